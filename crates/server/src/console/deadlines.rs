//! Which clock a ticket is on and how close it is to its deadline, with the
//! default deadlines of DESIGN.md §1 (accept 10 min after dispatch, result
//! 6 h after dispatch, callback 24 h after resolution, warning at 80 %).
//!
//! This is the console's stop-gap until the clocks issue brings configurable
//! deadlines per kind and priority into `domain`; then this module is
//! replaced by those, and the queue's cut-offs come from the same policy.

use domain::{Status, Timestamp};
use store::queues::LateCutoffs;

pub const ACCEPT_MS: i64 = 10 * Timestamp::MINUTE;
pub const RESULT_MS: i64 = 6 * Timestamp::HOUR;
pub const CALLBACK_MS: i64 = 24 * Timestamp::HOUR;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Ok,
    Warning,
    Late,
}

impl Level {
    pub fn code(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warning => "warning",
            Level::Late => "late",
        }
    }
}

/// The clock a ticket is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    /// `accept`, `result`, `callback` or `appointment`.
    pub clock: &'static str,
    pub due: Timestamp,
    pub level: Level,
}

/// `dispatched_at`: when the station's clock last started (dispatch,
/// redirect, reopen); `updated_at`: the last state change.
pub fn due(
    status: Status,
    dispatched_at: Option<i64>,
    updated_at: i64,
    appointment_at: Option<i64>,
    now: Timestamp,
) -> Option<Due> {
    let (clock, start, length) = match status {
        Status::Dispatched => ("accept", updated_at, ACCEPT_MS),
        Status::Accepted | Status::Contacted | Status::OnSite => {
            ("result", dispatched_at.unwrap_or(updated_at), RESULT_MS)
        }
        Status::Resolved => ("callback", updated_at, CALLBACK_MS),
        Status::Scheduled => {
            let at = appointment_at?;
            let level = if now.millis() >= at {
                Level::Late
            } else {
                Level::Ok
            };
            return Some(Due {
                clock: "appointment",
                due: Timestamp(at),
                level,
            });
        }
        _ => return None,
    };
    let due = Timestamp(start + length);
    let level = if now >= due {
        Level::Late
    } else if now.millis() >= start + length * 8 / 10 {
        Level::Warning
    } else {
        Level::Ok
    };
    Some(Due { clock, due, level })
}

/// The cut-offs for the "late or about to be late" queue at `now`: a ticket
/// whose clock started at or before these is at 80 % or more.
pub fn warning_cutoffs(now: Timestamp) -> LateCutoffs {
    LateCutoffs {
        accept: now.plus_millis(-ACCEPT_MS * 8 / 10),
        result: now.plus_millis(-RESULT_MS * 8 / 10),
        callback: now.plus_millis(-CALLBACK_MS * 8 / 10),
        appointment: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_clock_warns_at_eight_minutes_and_is_late_at_ten() {
        let t0 = 1_000_000_000;
        let at = |min: i64| Timestamp(t0 + min * Timestamp::MINUTE);
        let d = |m| due(Status::Dispatched, Some(t0), t0, None, at(m)).unwrap();
        assert_eq!(d(7).level, Level::Ok);
        assert_eq!(d(8).level, Level::Warning);
        assert_eq!(d(10).level, Level::Late);
        assert_eq!(d(0).due, at(10));
        assert_eq!(d(0).clock, "accept");
    }

    #[test]
    fn result_clock_runs_from_dispatch_not_from_accept() {
        let t0 = 1_000_000_000;
        let accepted = t0 + 5 * Timestamp::HOUR;
        let now = Timestamp(t0 + 5 * Timestamp::HOUR);
        let d = due(Status::Accepted, Some(t0), accepted, None, now).unwrap();
        assert_eq!((d.clock, d.level), ("result", Level::Warning));
        assert!(due(Status::Closed, None, t0, None, now).is_none());
        assert!(due(Status::Registered, None, t0, None, now).is_none());
    }

    #[test]
    fn cutoffs_match_the_warning_point() {
        let now = Timestamp(10 * Timestamp::DAY);
        let c = warning_cutoffs(now);
        let d = due(Status::Dispatched, None, c.accept.millis(), None, now).unwrap();
        assert_eq!(d.level, Level::Warning);
    }
}
