//! HTTP glue of heatdesk: thin handlers from HTTP to store commands.

pub mod addresses;
pub mod api;
pub mod auth;
pub mod config;
pub mod console;
pub mod error;
pub mod i18n;
pub mod import;
pub mod notify;
pub mod ops;
pub mod photos;
pub mod startup;
pub mod workers;

pub use config::Config;
pub use error::AppError;
pub use startup::{AppState, launch, router};
