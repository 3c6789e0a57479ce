//! What the resolver answers, and how it refuses bad input.

use domain::DomainError;
use serde::Serialize;
use thiserror::Error;

/// Longest text the resolver reads. Addresses are short; anything longer is a
/// pasted document, and refusing it keeps the latency bound.
pub const MAX_TEXT_CHARS: usize = 1_000;

/// How an answer was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Every part the caller gave matched the register (names up to their
    /// suffix or an alias), and they point at one building.
    Exact,
    /// A name needed a homophone or one-character slip, a part the caller
    /// gave is not in the register, or the parts left a choice.
    Fuzzy,
    /// The text matched nothing; the point lies in a station's service area.
    Gis,
    /// No answer.
    None,
}

impl Method {
    pub fn code(self) -> &'static str {
        match self {
            Method::Exact => "exact",
            Method::Fuzzy => "fuzzy",
            Method::Gis => "gis",
            Method::None => "none",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StationHit {
    pub code: String,
    pub name: String,
}

/// The register's spelling of the building an answer points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildingHit {
    pub community: String,
    /// Empty when only the community is known.
    pub building: String,
    pub district: String,
    pub street: String,
}

/// One possible answer, best first in [`Resolution::candidates`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub station: Option<StationHit>,
    pub building: Option<BuildingHit>,
    pub account_no: Option<String>,
    /// How well this candidate fits the text, in 0..1 (not a probability:
    /// compare candidates of one resolution with it, and read the
    /// resolution's `confidence` for how far to trust the first).
    pub score: f64,
    pub method: Method,
    /// Metres from the point to the station's service area, for the
    /// nearest-station hint of a point outside every area.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
}

/// The answer to "which station is responsible for this address?".
///
/// `confidence` reads as follows:
/// * ≥ 0.8 — act on it: on the generated evaluation set (see `eval`) a
///   confident answer names the right station (and the right account, when it
///   names one) at least 99.9 % of the time;
/// * 0.5–0.8 — probably right, show the operator the candidates;
/// * < 0.5 — a guess or a tie; the operator must choose;
/// * 0 — nothing found (`method: none`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resolution {
    pub station: Option<StationHit>,
    pub building: Option<BuildingHit>,
    pub account_no: Option<String>,
    pub confidence: f64,
    pub method: Method,
    pub candidates: Vec<Candidate>,
}

impl Resolution {
    /// Nothing found, with whatever hints there are.
    pub fn none(candidates: Vec<Candidate>) -> Resolution {
        Resolution {
            station: None,
            building: None,
            account_no: None,
            confidence: 0.0,
            method: Method::None,
            candidates,
        }
    }

    /// Whether the answer may be acted on without asking the operator.
    pub fn is_confident(&self) -> bool {
        self.confidence >= CONFIDENT
    }
}

/// The confidence from which an answer is trusted (see [`Resolution`]).
pub const CONFIDENT: f64 = 0.8;

/// Input the resolver refuses, naming the field at fault.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum AddressError {
    #[error("text is longer than {max} characters")]
    TextTooLong { max: usize },
    #[error("lat must be a number between -90 and 90")]
    LatOutOfRange,
    #[error("lon must be a number between -180 and 180")]
    LonOutOfRange,
}

impl AddressError {
    /// Stable code, never renamed (the same codes as [`DomainError`]).
    pub fn code(&self) -> &'static str {
        match self {
            AddressError::TextTooLong { .. } => "too_long",
            AddressError::LatOutOfRange | AddressError::LonOutOfRange => "invalid_field",
        }
    }

    /// The input field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            AddressError::TextTooLong { .. } => "text",
            AddressError::LatOutOfRange => "lat",
            AddressError::LonOutOfRange => "lon",
        }
    }
}

/// So that the server maps address errors like every other field error.
impl From<AddressError> for DomainError {
    fn from(e: AddressError) -> DomainError {
        match e {
            AddressError::TextTooLong { max } => DomainError::TooLong {
                field: "text".into(),
                max,
            },
            other => DomainError::invalid(other.field(), other.to_string()),
        }
    }
}

/// Checks a WGS84 point given as (lat, lon).
pub fn check_point(lat: f64, lon: f64) -> Result<(), AddressError> {
    // NaN fails both range checks.
    if !(-90.0..=90.0).contains(&lat) {
        return Err(AddressError::LatOutOfRange);
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(AddressError::LonOutOfRange);
    }
    Ok(())
}
