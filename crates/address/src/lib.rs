//! Chinese addresses → the responsible heating station. No I/O.
//!
//! * [`normalise`] and [`parse`]: what a caller said → canonical parts;
//! * [`AddressIndex`]: the register in memory; [`AddressIndex::resolve`] turns
//!   text and/or a map point into a [`Resolution`] (station, building,
//!   account, confidence, method, candidates), ready to serialise as the
//!   API's answer;
//! * GIS: [`AddressIndex::stations_containing`],
//!   [`AddressIndex::nearest_station`], [`AddressIndex::misplaced_accounts`];
//! * [`eval`]: the seeded synthetic register and caller phrasings the
//!   accuracy figures are measured on.

pub mod eval;
mod gis;
mod index;
mod names;
mod normalise;
mod parse;
mod resolution;

pub use gis::{AreaError, StationArea, parse_area};
pub use index::{AddressIndex, CommunityAlias, RegisterEntry};
pub use normalise::normalise;
pub use parse::{ParsedAddress, parse};
pub use resolution::{
    AddressError, BuildingHit, CONFIDENT, Candidate, MAX_TEXT_CHARS, Method, Resolution, StationHit,
};
