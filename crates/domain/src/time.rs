use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, FixedOffset, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::DomainError;

/// A point in time: milliseconds since the Unix epoch, UTC. Stored as BIGINT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub const MINUTE: i64 = 60_000;
    pub const HOUR: i64 = 3_600_000;
    pub const DAY: i64 = 86_400_000;

    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn plus_millis(self, ms: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(ms))
    }

    pub fn to_utc(self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.0).unwrap_or_default()
    }

    /// RFC 3339 in `tz`, to the second (e.g. `2026-12-04T09:05:00+08:00`).
    pub fn rfc3339(self, tz: Tz) -> String {
        self.to_utc()
            .with_timezone(&tz)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
    }

    /// Parses RFC 3339, or a local date-time / date without offset read in `tz`
    /// (`2026-12-04 09:05`, `2026-12-04`).
    pub fn parse(field: &str, text: &str, tz: Tz) -> Result<Timestamp, DomainError> {
        let text = text.trim();
        if let Ok(t) = DateTime::parse_from_rfc3339(text) {
            return Ok(Timestamp(t.timestamp_millis()));
        }
        for format in [
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%dT%H:%M",
        ] {
            if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(text, format) {
                return local(field, tz, naive);
            }
        }
        if let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return local(field, tz, date.and_hms_opt(0, 0, 0).unwrap_or_default());
        }
        Err(DomainError::invalid(
            field,
            "expected a date-time such as 2026-12-04T09:05:00+08:00 or 2026-12-04",
        ))
    }

    /// The calendar day in `tz` as `YYYYMMDD`: the prefix of ticket numbers.
    pub fn day_key(self, tz: Tz) -> String {
        self.to_utc()
            .with_timezone(&tz)
            .format("%Y%m%d")
            .to_string()
    }

    /// UTC offset of `tz` at this instant.
    pub fn offset(self, tz: Tz) -> FixedOffset {
        tz.offset_from_utc_datetime(&self.to_utc().naive_utc())
            .fix()
    }
}

fn local(field: &str, tz: Tz, naive: chrono::NaiveDateTime) -> Result<Timestamp, DomainError> {
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| Timestamp(t.timestamp_millis()))
        .ok_or_else(|| DomainError::invalid(field, "does not exist in the configured time zone"))
}

/// Where "now" comes from. Production uses [`SystemClock`]; tests use
/// [`ManualClock`] and advance it instead of sleeping.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp(Utc::now().timestamp_millis())
    }
}

/// A clock that only moves when told to. Clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        ManualClock(Arc::new(AtomicI64::new(start.0)))
    }
    pub fn advance_millis(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
    pub fn set(&self, t: Timestamp) {
        self.0.store(t.0, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_in_shanghai_to_the_second() {
        let t = Timestamp(1_796_346_300_123); // 2026-12-04T01:05:00.123Z
        assert_eq!(
            t.rfc3339(chrono_tz::Asia::Shanghai),
            "2026-12-04T09:05:00+08:00"
        );
        assert_eq!(t.day_key(chrono_tz::Asia::Shanghai), "20261204");
    }

    #[test]
    fn parses_offsets_and_local_forms() {
        let tz = chrono_tz::Asia::Shanghai;
        let a = Timestamp::parse("at", "2026-12-04T09:05:00+08:00", tz).unwrap();
        let b = Timestamp::parse("at", "2026-12-04 09:05", tz).unwrap();
        assert_eq!(a, b);
        let day = Timestamp::parse("at", "2026-12-04", tz).unwrap();
        assert_eq!(day.rfc3339(tz), "2026-12-04T00:00:00+08:00");
        let err = Timestamp::parse("appointment_at", "tomorrow", tz).unwrap_err();
        assert_eq!(err.field(), Some("appointment_at"));
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(Timestamp(1000));
        let shared = clock.clone();
        clock.advance_millis(Timestamp::MINUTE);
        assert_eq!(shared.now(), Timestamp(61_000));
    }
}
