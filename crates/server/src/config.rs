//! Run-time configuration. Loaded by the binary from a TOML file and
//! `HEATDESK_*` variables; every field has a sensible default.

use std::str::FromStr;

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `sqlite://heatdesk.db` (embedded) or `postgres://user@host/db`.
    pub database_url: String,
    /// Address the HTTP server listens on.
    pub bind: String,
    /// IANA time zone in which times are shown and ticket numbers are dated.
    pub timezone: String,
    /// Area code given to local landline numbers typed without one (e.g. `0451`).
    pub default_area_code: String,
    /// How long a console session lasts without signing in again, in hours.
    pub session_hours: i64,
    /// Failed logins per user within `login_window_minutes` before further tries are refused.
    pub login_max_failures: i64,
    pub login_window_minutes: i64,
    /// Send the session cookie only over HTTPS (set behind a TLS proxy).
    pub secure_cookies: bool,
    /// Ticket categories; empty means the built-in heating catalogue.
    pub categories: Vec<domain::Category>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://heatdesk.db".into(),
            bind: "127.0.0.1:8080".into(),
            timezone: "Asia/Shanghai".into(),
            default_area_code: "0451".into(),
            session_hours: 12,
            login_max_failures: 5,
            login_window_minutes: 15,
            secure_cookies: false,
            categories: Vec::new(),
        }
    }
}

impl Config {
    /// Checks the values that cannot be checked by their type, naming the key.
    pub fn validate(&self) -> Result<Settings, String> {
        let tz = Tz::from_str(&self.timezone)
            .map_err(|_| format!("timezone: unknown time zone {:?}", self.timezone))?;
        let area = self.default_area_code.trim().trim_start_matches('0');
        if area.is_empty() || area.len() > 3 || !area.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!(
                "default_area_code: {:?} is not an area code such as 0451",
                self.default_area_code
            ));
        }
        if self.session_hours <= 0 {
            return Err("session_hours: must be positive".into());
        }
        if self.login_max_failures <= 0 || self.login_window_minutes <= 0 {
            return Err("login_max_failures / login_window_minutes: must be positive".into());
        }
        let catalogue = if self.categories.is_empty() {
            domain::CategoryCatalogue::default()
        } else {
            domain::CategoryCatalogue::new(self.categories.clone()).map_err(|e| e.to_string())?
        };
        Ok(Settings {
            tz,
            catalogue,
            config: self.clone(),
        })
    }
}

/// Configuration after validation, in the types the server uses.
#[derive(Debug, Clone)]
pub struct Settings {
    pub tz: Tz,
    pub catalogue: domain::CategoryCatalogue,
    pub config: Config,
}
