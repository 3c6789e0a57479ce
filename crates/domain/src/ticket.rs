//! Tickets: their vocabulary and their state machine (DESIGN.md §1).
//!
//! A command is an [`Action`]; [`Status::decide`] checks it against the current
//! state and answers with a [`Transition`] (the new state and the event to
//! append) or a [`DomainError`]. The store applies the transition in one
//! transaction.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{optional_text, required_text};
use crate::temperature::Visit;
use crate::{CategoryCatalogue, DomainError, Phone, Timestamp};

macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident, $field:literal { $($variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Stable code, as stored and as the API speaks it.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn parse(text: &str) -> Result<$name, DomainError> {
                let text = text.trim();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.code() == text)
                    .ok_or_else(|| DomainError::unknown($field, text))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

code_enum!(
    /// What the caller wants.
    Kind, "kind" {
        Inquiry = "inquiry",
        Repair = "repair",
        Complaint = "complaint",
        Temperature = "temperature",
        Service = "service",
    }
);

code_enum!(Priority, "priority" {
    Emergency = "emergency",
    Urgent = "urgent",
    Normal = "normal",
});

code_enum!(
    /// How hard the job looks at intake; steers crew choice and reports.
    Difficulty, "difficulty" {
        Easy = "easy",
        Normal = "normal",
        Hard = "hard",
    }
);

code_enum!(
    /// How the ticket reached us.
    Channel, "channel" {
        Phone = "phone",
        Web = "web",
        Open311 = "open311",
        Wechat = "wechat",
        WalkIn = "walk_in",
        Api = "api",
    }
);

code_enum!(
    /// What the customer says at the callback (满意 / 基本满意 / 不满意).
    Satisfaction, "satisfaction" {
        Satisfied = "satisfied",
        BasicallySatisfied = "basically_satisfied",
        Unsatisfied = "unsatisfied",
    }
);

code_enum!(Status, "status" {
    Registered = "registered",
    Dispatched = "dispatched",
    Accepted = "accepted",
    Contacted = "contacted",
    Scheduled = "scheduled",
    OnSite = "on_site",
    Resolved = "resolved",
    Closed = "closed",
    Cancelled = "cancelled",
    Merged = "merged",
});

code_enum!(
    /// What happened to a ticket: the `kind` of a row in its timeline.
    EventKind, "event" {
        Registered = "registered",
        Dispatched = "dispatched",
        Redirected = "redirected",
        Accepted = "accepted",
        Contacted = "contacted",
        Scheduled = "scheduled",
        Arrived = "arrived",
        Resolved = "resolved",
        CallbackSatisfied = "callback_satisfied",
        CallbackUnsatisfied = "callback_unsatisfied",
        Answered = "answered",
        Cancelled = "cancelled",
        Reopened = "reopened",
        Merged = "merged",
        // Fired by a clock (see `sla`), not by a command; the state does not change.
        Warned = "warned",
        Escalated = "escalated",
        // A callback that did not reach the customer (tried again later), and a
        // close by a supervisor without a callback.
        CallbackNotReached = "callback_not_reached",
        ClosedBySupervisor = "closed_by_supervisor",
        // Field work that does not change the state: who is on the ticket,
        // and a room-temperature visit's readings and verdict.
        Assigned = "assigned",
        TemperatureMeasured = "temperature_measured",
        // On a primary ticket: a duplicate was merged into it (its caller is
        // called back with it).
        DuplicateMerged = "duplicate_merged",
    }
);

/// Limits on free text, in characters.
pub const MAX_NAME: usize = 50;
pub const MAX_ADDRESS: usize = 200;
pub const MAX_NOTE: usize = 2000;
pub const MAX_DESCRIPTION: usize = 4000;
/// At most this many people on one ticket.
pub const MAX_CREW: usize = 10;

/// A command on an existing ticket, with its inputs already parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Dispatch {
        station_code: String,
    },
    Accept,
    /// A wrong route fixed in one step: to another station, with the reason.
    Redirect {
        station_code: String,
        reason: String,
    },
    /// Puts these staff of the ticket's station on it (replacing the crew).
    Assign {
        staff_ids: Vec<i64>,
    },
    Contact {
        note: String,
    },
    Arrive,
    Schedule {
        appointment_at: Timestamp,
    },
    Resolve {
        note: String,
        measured_temp_c: Option<f64>,
    },
    /// A room-temperature visit, already checked and judged ([`Visit::assess`]).
    MeasureTemperature {
        visit: Visit,
    },
    Callback {
        satisfaction: Satisfaction,
        note: String,
    },
    /// The callback did not reach the customer; the ticket waits for another try.
    CallbackNotReached {
        note: String,
    },
    /// A supervisor closes the ticket without a callback (recorded with the reason).
    Close {
        reason: String,
    },
    Answer {
        note: String,
    },
    Cancel {
        reason: String,
    },
    Reopen {
        reason: String,
    },
    Merge {
        into: String,
    },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Dispatch { .. } => "dispatch",
            Action::Accept => "accept",
            Action::Redirect { .. } => "redirect",
            Action::Assign { .. } => "assign",
            Action::MeasureTemperature { .. } => "measure_temperature",
            Action::Contact { .. } => "contact",
            Action::Arrive => "arrive",
            Action::Schedule { .. } => "schedule",
            Action::Resolve { .. } => "resolve",
            Action::Callback { .. } => "callback",
            Action::CallbackNotReached { .. } => "callback_not_reached",
            Action::Close { .. } => "close",
            Action::Answer { .. } => "answer",
            Action::Cancel { .. } => "cancel",
            Action::Reopen { .. } => "reopen",
            Action::Merge { .. } => "merge",
        }
    }

    /// Whether the action fits a ticket of `kind` (a room-temperature visit
    /// is for temperature tickets only).
    pub fn fits_kind(&self, kind: &str) -> Result<(), DomainError> {
        match self {
            Action::MeasureTemperature { .. } if kind != Kind::Temperature.code() => {
                Err(DomainError::invalid(
                    "kind",
                    "room temperature is measured on temperature tickets",
                ))
            }
            _ => Ok(()),
        }
    }

    /// Checks the free-text and value inputs of the action.
    pub fn validate(self, now: Timestamp) -> Result<Action, DomainError> {
        Ok(match self {
            Action::Dispatch { station_code } => Action::Dispatch {
                station_code: required_text("station_code", &station_code, 50)?,
            },
            Action::Redirect {
                station_code,
                reason,
            } => Action::Redirect {
                station_code: required_text("station_code", &station_code, 50)?,
                reason: required_text("reason", &reason, MAX_NOTE)?,
            },
            Action::Assign { mut staff_ids } => {
                staff_ids.sort_unstable();
                staff_ids.dedup();
                if staff_ids.is_empty() {
                    return Err(DomainError::required("staff_ids"));
                }
                if staff_ids.len() > MAX_CREW {
                    return Err(DomainError::invalid(
                        "staff_ids",
                        format!("at most {MAX_CREW} people on one ticket"),
                    ));
                }
                Action::Assign { staff_ids }
            }
            Action::Contact { note } => Action::Contact {
                note: optional_text("note", &note, MAX_NOTE)?,
            },
            Action::Schedule { appointment_at } => {
                // A few minutes of slack for a form filled in while talking.
                if appointment_at < now.plus_millis(-5 * Timestamp::MINUTE) {
                    return Err(DomainError::invalid(
                        "appointment_at",
                        "the appointment is in the past",
                    ));
                }
                if appointment_at > now.plus_millis(60 * Timestamp::DAY) {
                    return Err(DomainError::invalid(
                        "appointment_at",
                        "the appointment is more than 60 days ahead",
                    ));
                }
                Action::Schedule { appointment_at }
            }
            Action::Resolve {
                note,
                measured_temp_c,
            } => {
                if let Some(t) = measured_temp_c
                    && !crate::temperature::in_range(t)
                {
                    return Err(DomainError::TemperatureOutOfRange {
                        field: "measured_temp_c".into(),
                    });
                }
                Action::Resolve {
                    note: required_text("note", &note, MAX_NOTE)?,
                    measured_temp_c,
                }
            }
            Action::Callback { satisfaction, note } => {
                let note = optional_text("note", &note, MAX_NOTE)?;
                if satisfaction == Satisfaction::Unsatisfied && note.is_empty() {
                    // The station needs to know what is still wrong.
                    return Err(DomainError::required("note"));
                }
                Action::Callback { satisfaction, note }
            }
            Action::CallbackNotReached { note } => Action::CallbackNotReached {
                note: optional_text("note", &note, MAX_NOTE)?,
            },
            Action::Close { reason } => Action::Close {
                reason: required_text("reason", &reason, MAX_NOTE)?,
            },
            Action::Answer { note } => Action::Answer {
                note: required_text("note", &note, MAX_NOTE)?,
            },
            Action::Cancel { reason } => Action::Cancel {
                reason: required_text("reason", &reason, MAX_NOTE)?,
            },
            Action::Reopen { reason } => Action::Reopen {
                reason: required_text("reason", &reason, MAX_NOTE)?,
            },
            Action::Merge { into } => Action::Merge {
                into: required_text("into", &into, 30)?,
            },
            a @ (Action::Accept | Action::Arrive | Action::MeasureTemperature { .. }) => a,
        })
    }
}

/// The outcome of an allowed action: the new state and the event to append.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub to: Status,
    pub event: EventKind,
    /// Details of the event (notes, station, appointment …), stored as JSON.
    pub data: serde_json::Value,
}

impl Status {
    /// Closed, cancelled and merged tickets take no further action
    /// (except a reopen of a closed one).
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Closed | Status::Cancelled | Status::Merged)
    }

    /// Decides whether `action` may happen now, and what it does.
    /// `current_station` is the station the ticket is dispatched to, if any.
    pub fn decide(
        self,
        action: &Action,
        current_station: Option<&str>,
    ) -> Result<Transition, DomainError> {
        use Status::*;
        let t = |to, event, data| Ok(Transition { to, event, data });
        match (self, action) {
            (Registered, Action::Dispatch { station_code }) => t(
                Dispatched,
                EventKind::Dispatched,
                json!({ "station_code": station_code }),
            ),
            (Dispatched, Action::Accept) => t(Accepted, EventKind::Accepted, json!({})),
            (
                Dispatched | Accepted | Contacted,
                Action::Redirect {
                    station_code,
                    reason,
                },
            ) => {
                if current_station == Some(station_code.as_str()) {
                    return Err(DomainError::invalid(
                        "station_code",
                        "the ticket is already at this station",
                    ));
                }
                t(
                    Dispatched,
                    EventKind::Redirected,
                    json!({ "station_code": station_code, "from": current_station, "reason": reason }),
                )
            }
            (
                Dispatched | Accepted | Contacted | Scheduled | OnSite,
                Action::Assign { staff_ids },
            ) => t(self, EventKind::Assigned, json!({ "staff_ids": staff_ids })),
            // Measuring is being there: the visit puts the ticket on site.
            (Accepted | Contacted | Scheduled | OnSite, Action::MeasureTemperature { visit }) => t(
                OnSite,
                EventKind::TemperatureMeasured,
                serde_json::to_value(visit).unwrap_or_default(),
            ),
            (Accepted | Scheduled | Contacted, Action::Contact { note }) => {
                // Contacting again from `scheduled` (to confirm the visit) keeps the appointment.
                let to = if self == Scheduled {
                    Scheduled
                } else {
                    Contacted
                };
                t(to, EventKind::Contacted, json!({ "note": note }))
            }
            (Accepted | Contacted | Scheduled, Action::Arrive) => {
                t(OnSite, EventKind::Arrived, json!({}))
            }
            (Accepted | Contacted | OnSite | Scheduled, Action::Schedule { appointment_at }) => t(
                Scheduled,
                EventKind::Scheduled,
                json!({ "appointment_at": appointment_at.millis() }),
            ),
            // Contacted → resolved: fixed by guiding the customer over the phone.
            (
                Contacted | OnSite,
                Action::Resolve {
                    note,
                    measured_temp_c,
                },
            ) => t(
                Resolved,
                EventKind::Resolved,
                json!({ "note": note, "measured_temp_c": measured_temp_c }),
            ),
            // Satisfied or basically satisfied closes; the words are kept.
            (Resolved, Action::Callback { satisfaction, note })
                if *satisfaction != Satisfaction::Unsatisfied =>
            {
                t(
                    Closed,
                    EventKind::CallbackSatisfied,
                    json!({ "note": note, "satisfaction": satisfaction.code(), "satisfied": true }),
                )
            }
            (Resolved, Action::Callback { note, .. }) => t(
                Dispatched,
                EventKind::CallbackUnsatisfied,
                json!({ "note": note, "satisfaction": "unsatisfied", "satisfied": false }),
            ),
            (Resolved, Action::CallbackNotReached { note }) => t(
                Resolved,
                EventKind::CallbackNotReached,
                json!({ "note": note }),
            ),
            (s, Action::Close { reason }) if !s.is_terminal() => t(
                Closed,
                EventKind::ClosedBySupervisor,
                json!({ "reason": reason }),
            ),
            (Registered, Action::Answer { note }) => {
                t(Closed, EventKind::Answered, json!({ "note": note }))
            }
            (
                Registered | Dispatched | Accepted | Contacted | Scheduled | OnSite,
                Action::Cancel { reason },
            ) => t(Cancelled, EventKind::Cancelled, json!({ "reason": reason })),
            (Resolved | Closed, Action::Reopen { reason }) => {
                if current_station.is_none() {
                    return Err(DomainError::invalid(
                        "reason",
                        "the ticket was never dispatched to a station",
                    ));
                }
                t(Dispatched, EventKind::Reopened, json!({ "reason": reason }))
            }
            (s, Action::Merge { into }) if !s.is_terminal() => {
                t(Merged, EventKind::Merged, json!({ "into": into }))
            }
            (s, a) => Err(DomainError::InvalidTransition {
                action: a.name().to_string(),
                status: s.code().to_string(),
            }),
        }
    }
}

/// A ticket as the operator registers it, checked and normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTicket {
    pub kind: Kind,
    pub category: String,
    pub priority: Priority,
    pub difficulty: Difficulty,
    pub channel: Channel,
    pub caller_name: String,
    pub caller_phone: Phone,
    pub address: String,
    pub description: String,
    pub account_no: Option<String>,
    pub station_code: Option<String>,
    pub point: Option<(f64, f64)>,
}

/// Raw input for a new ticket, as it arrives from the API or the console.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewTicketInput<'a> {
    pub kind: &'a str,
    pub category: &'a str,
    pub priority: &'a str,
    pub difficulty: Option<&'a str>,
    pub channel: Option<&'a str>,
    pub caller_name: &'a str,
    pub caller_phone: &'a str,
    pub address: &'a str,
    pub description: &'a str,
    pub account_no: Option<&'a str>,
    pub station_code: Option<&'a str>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

impl NewTicket {
    pub fn parse(
        input: NewTicketInput<'_>,
        catalogue: &CategoryCatalogue,
        default_area_code: &str,
    ) -> Result<NewTicket, DomainError> {
        let kind = Kind::parse(input.kind)?;
        let category = catalogue.find(input.category)?.code.clone();
        let priority = Priority::parse(input.priority)?;
        let difficulty = input
            .difficulty
            .filter(|d| !d.trim().is_empty())
            .map(Difficulty::parse)
            .transpose()?;
        let channel = input
            .channel
            .filter(|c| !c.trim().is_empty())
            .map(Channel::parse)
            .transpose()?;
        let point = match (input.lat, input.lon) {
            (None, None) => None,
            (Some(lat), Some(lon)) => {
                if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
                    return Err(DomainError::invalid(
                        "lat",
                        "latitude must be between -90 and 90",
                    ));
                }
                if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
                    return Err(DomainError::invalid(
                        "lon",
                        "longitude must be between -180 and 180",
                    ));
                }
                Some((lat, lon))
            }
            (Some(_), None) => return Err(DomainError::required("lon")),
            (None, Some(_)) => return Err(DomainError::required("lat")),
        };
        let optional_code = |field: &str, v: Option<&str>| -> Result<Option<String>, DomainError> {
            match v.map(str::trim).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) => Ok(Some(optional_text(field, v, 50)?)),
            }
        };
        Ok(NewTicket {
            kind,
            category,
            priority,
            difficulty: difficulty.unwrap_or(Difficulty::Normal),
            channel: channel.unwrap_or(Channel::Phone),
            caller_name: optional_text("caller_name", input.caller_name, MAX_NAME)?,
            caller_phone: Phone::parse("caller_phone", input.caller_phone, default_area_code)?,
            address: required_text("address", input.address, MAX_ADDRESS)?,
            description: required_text("description", input.description, MAX_DESCRIPTION)?,
            account_no: optional_code("account_no", input.account_no)?,
            station_code: optional_code("station_code", input.station_code)?,
            point,
        })
    }
}

/// The human ticket number: the day in the configured zone and that day's
/// sequence, e.g. `20261204-0037` — short enough to read over the phone.
pub fn ticket_number(day_key: &str, sequence: i64) -> String {
    format!("{day_key}-{sequence:04}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dispatch(code: &str) -> Action {
        Action::Dispatch {
            station_code: code.into(),
        }
    }

    #[test]
    fn the_repair_happy_path() {
        let mut s = Status::Registered;
        let steps = [
            (dispatch("S01"), Status::Dispatched),
            (Action::Accept, Status::Accepted),
            (
                Action::Contact {
                    note: "will come".into(),
                },
                Status::Contacted,
            ),
            (Action::Arrive, Status::OnSite),
            (
                Action::Resolve {
                    note: "bled radiator".into(),
                    measured_temp_c: Some(19.5),
                },
                Status::Resolved,
            ),
            (
                Action::Callback {
                    satisfaction: Satisfaction::BasicallySatisfied,
                    note: String::new(),
                },
                Status::Closed,
            ),
        ];
        for (action, expected) in steps {
            s = s.decide(&action, Some("S01")).unwrap().to;
            assert_eq!(s, expected);
        }
    }

    #[test]
    fn a_callback_that_does_not_reach_the_customer_keeps_the_ticket_waiting() {
        let t = Status::Resolved
            .decide(
                &Action::CallbackNotReached {
                    note: "无人接听".into(),
                },
                Some("S01"),
            )
            .unwrap();
        assert_eq!(
            (t.to, t.event),
            (Status::Resolved, EventKind::CallbackNotReached)
        );
        assert!(
            Status::Dispatched
                .decide(
                    &Action::CallbackNotReached {
                        note: String::new()
                    },
                    Some("S01")
                )
                .is_err()
        );
    }

    #[test]
    fn a_supervisor_closes_any_open_ticket_but_not_a_finished_one() {
        let close = Action::Close {
            reason: "用户已自行修好".into(),
        };
        for s in [
            Status::Registered,
            Status::Dispatched,
            Status::OnSite,
            Status::Resolved,
        ] {
            let t = s.decide(&close, Some("S01")).unwrap();
            assert_eq!(
                (t.to, t.event),
                (Status::Closed, EventKind::ClosedBySupervisor)
            );
        }
        assert!(Status::Closed.decide(&close, Some("S01")).is_err());
        assert!(Status::Cancelled.decide(&close, Some("S01")).is_err());
    }

    #[test]
    fn unsatisfied_callback_reopens_to_the_station() {
        let t = Status::Resolved
            .decide(
                &Action::Callback {
                    satisfaction: Satisfaction::Unsatisfied,
                    note: "still cold".into(),
                },
                Some("S01"),
            )
            .unwrap();
        assert_eq!(t.to, Status::Dispatched);
        assert_eq!(t.event, EventKind::CallbackUnsatisfied);
    }

    #[test]
    fn illegal_transitions_name_action_and_state() {
        let err = Status::Registered
            .decide(&Action::Accept, None)
            .unwrap_err();
        assert_eq!(err.code(), "invalid_transition");
        assert_eq!(
            err.to_string(),
            "action accept is not allowed while the ticket is registered"
        );
        assert!(
            Status::Closed
                .decide(&Action::Cancel { reason: "x".into() }, None)
                .is_err()
        );
        assert!(
            Status::Merged
                .decide(&Action::Merge { into: "x".into() }, None)
                .is_err()
        );
    }

    #[test]
    fn a_dispatched_ticket_moves_only_by_a_redirect() {
        // A redirect carries its reason; dispatching again would not.
        for s in [Status::Dispatched, Status::Accepted] {
            let err = s.decide(&dispatch("S02"), Some("S01")).unwrap_err();
            assert_eq!(err.code(), "invalid_transition");
        }
    }

    #[test]
    fn a_redirect_needs_a_reason_and_another_station() {
        let redirect = |code: &str, reason: &str| Action::Redirect {
            station_code: code.into(),
            reason: reason.into(),
        };
        let now = Timestamp(0);
        assert_eq!(
            redirect("S02", " ").validate(now).unwrap_err().field(),
            Some("reason")
        );
        let t = Status::Contacted
            .decide(&redirect("S02", "不归本站"), Some("S01"))
            .unwrap();
        assert_eq!((t.to, t.event), (Status::Dispatched, EventKind::Redirected));
        assert_eq!(t.data["reason"], "不归本站");
        assert_eq!(t.data["from"], "S01");
        assert!(
            Status::Accepted
                .decide(&redirect("S01", "x"), Some("S01"))
                .is_err()
        );
        assert!(
            Status::Resolved
                .decide(&redirect("S02", "x"), Some("S01"))
                .is_err()
        );
    }

    #[test]
    fn assigning_a_crew_keeps_the_state() {
        let assign = Action::Assign {
            staff_ids: vec![3, 1, 3],
        }
        .validate(Timestamp(0))
        .unwrap();
        assert_eq!(
            assign,
            Action::Assign {
                staff_ids: vec![1, 3]
            }
        );
        for s in [Status::Dispatched, Status::Scheduled, Status::OnSite] {
            let t = s.decide(&assign, Some("S01")).unwrap();
            assert_eq!((t.to, t.event), (s, EventKind::Assigned));
        }
        assert!(Status::Resolved.decide(&assign, Some("S01")).is_err());
        let none = Action::Assign { staff_ids: vec![] };
        assert_eq!(
            none.validate(Timestamp(0)).unwrap_err().field(),
            Some("staff_ids")
        );
    }

    #[test]
    fn inputs_are_validated() {
        let now = Timestamp(1_000_000_000_000);
        let past = Action::Schedule {
            appointment_at: now.plus_millis(-Timestamp::HOUR),
        };
        assert_eq!(
            past.validate(now).unwrap_err().field(),
            Some("appointment_at")
        );
        let hot = Action::Resolve {
            note: "x".into(),
            measured_temp_c: Some(80.0),
        };
        assert_eq!(
            hot.validate(now).unwrap_err().field(),
            Some("measured_temp_c")
        );
        let silent = Action::Callback {
            satisfaction: Satisfaction::Unsatisfied,
            note: " ".into(),
        };
        assert_eq!(silent.validate(now).unwrap_err().field(), Some("note"));
    }

    fn input() -> NewTicketInput<'static> {
        NewTicketInput {
            kind: "repair",
            category: "暖气不热",
            priority: "urgent",
            caller_name: "王女士",
            caller_phone: "138 0000 1111",
            address: "幸福小区3栋2单元501",
            description: "卧室暖气片不热",
            ..Default::default()
        }
    }

    #[test]
    fn new_ticket_parses_and_normalises() {
        let t = NewTicket::parse(input(), &CategoryCatalogue::default(), "0451").unwrap();
        assert_eq!(t.category, "no_heat");
        assert_eq!(t.caller_phone.as_str(), "13800001111");
        assert_eq!(t.channel, Channel::Phone);
        assert_eq!(t.difficulty, Difficulty::Normal);
    }

    #[test]
    fn new_ticket_errors_name_the_field() {
        let cat = CategoryCatalogue::default();
        let cases: Vec<(NewTicketInput, &str)> = vec![
            (
                NewTicketInput {
                    kind: "fire",
                    ..input()
                },
                "kind",
            ),
            (
                NewTicketInput {
                    priority: "asap",
                    ..input()
                },
                "priority",
            ),
            (
                NewTicketInput {
                    category: "x",
                    ..input()
                },
                "category",
            ),
            (
                NewTicketInput {
                    caller_phone: "12",
                    ..input()
                },
                "caller_phone",
            ),
            (
                NewTicketInput {
                    address: "",
                    ..input()
                },
                "address",
            ),
            (
                NewTicketInput {
                    lat: Some(91.0),
                    lon: Some(0.0),
                    ..input()
                },
                "lat",
            ),
            (
                NewTicketInput {
                    lat: Some(45.0),
                    ..input()
                },
                "lon",
            ),
        ];
        for (i, field) in cases {
            assert_eq!(
                NewTicket::parse(i, &cat, "0451").unwrap_err().field(),
                Some(field)
            );
        }
        let long = "暖".repeat(MAX_DESCRIPTION + 1);
        let err = NewTicket::parse(
            NewTicketInput {
                description: &long,
                ..input()
            },
            &cat,
            "0451",
        )
        .unwrap_err();
        assert_eq!((err.code(), err.field()), ("too_long", Some("description")));
    }

    #[test]
    fn ticket_numbers_read_well() {
        assert_eq!(ticket_number("20261204", 37), "20261204-0037");
        assert_eq!(ticket_number("20261204", 12345), "20261204-12345");
    }

    fn any_action() -> impl Strategy<Value = Action> {
        prop_oneof![
            Just(dispatch("S01")),
            Just(dispatch("S02")),
            Just(Action::Accept),
            Just(Action::Redirect {
                station_code: "S02".into(),
                reason: "r".into()
            }),
            Just(Action::Assign { staff_ids: vec![1] }),
            Just(Action::Contact {
                note: String::new()
            }),
            Just(Action::Arrive),
            Just(Action::Schedule {
                appointment_at: Timestamp(0)
            }),
            Just(Action::Resolve {
                note: "n".into(),
                measured_temp_c: None
            }),
            prop::sample::select(Satisfaction::ALL).prop_map(|satisfaction| Action::Callback {
                satisfaction,
                note: "n".into()
            }),
            Just(Action::CallbackNotReached {
                note: String::new()
            }),
            Just(Action::Close { reason: "r".into() }),
            Just(Action::Answer { note: "n".into() }),
            Just(Action::Cancel { reason: "r".into() }),
            Just(Action::Reopen { reason: "r".into() }),
            Just(Action::Merge { into: "x".into() }),
        ]
    }

    proptest! {
        /// Whatever sequence of commands arrives, the machine never leaves a
        /// terminal state except by reopening a closed ticket, and a ticket is
        /// only ever closed through an answer, a satisfied callback or a
        /// supervisor's explicit close.
        #[test]
        fn state_machine_invariants(actions in proptest::collection::vec(any_action(), 0..40)) {
            let mut status = Status::Registered;
            let mut station: Option<String> = None;
            for action in actions {
                match status.decide(&action, station.as_deref()) {
                    Ok(t) => {
                        if status.is_terminal() {
                            prop_assert!(status == Status::Closed && t.event == EventKind::Reopened);
                        }
                        if t.to == Status::Closed {
                            let closing = matches!(
                                t.event,
                                EventKind::Answered | EventKind::CallbackSatisfied | EventKind::ClosedBySupervisor
                            );
                            prop_assert!(closing);
                        }
                        if t.to == Status::Dispatched {
                            let dispatching = matches!(action, Action::Dispatch { .. } | Action::Redirect { .. });
                            prop_assert!(station.is_some() || dispatching);
                        }
                        if let Action::Dispatch { station_code } | Action::Redirect { station_code, .. } = &action {
                            station = Some(station_code.clone());
                        }
                        if matches!(action, Action::Assign { .. }) {
                            prop_assert_eq!(t.to, status);
                        }
                        status = t.to;
                    }
                    Err(e) => prop_assert!(e.code() == "invalid_transition" || e.code() == "invalid_field"),
                }
            }
        }
    }
}
