//! Deadlines, warnings and the escalation ladder (DESIGN.md §1, issue 5).
//!
//! A [`Policy`] says, per kind and priority (first matching rule wins), how
//! long each step of a ticket may take, when to warn, who is told at each
//! rung of the escalation ladder and who hears of which event. Everything
//! here is pure: the store turns [`clock_changes`] into clock rows in the
//! command's own transaction, and the scheduler asks [`next_stage`] what a
//! clock fires next.

use serde::{Deserialize, Serialize};

use crate::{DomainError, EventKind, Kind, Position, Priority, Timestamp};

macro_rules! step_enum {
    ($($variant:ident = $code:literal, $zh:literal, $en:literal;)+) => {
        /// A timed step of a ticket.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Step { $($variant),+ }

        impl Step {
            pub const ALL: &'static [Step] = &[$(Step::$variant),+];
            pub fn code(self) -> &'static str {
                match self { $(Step::$variant => $code),+ }
            }
            pub fn name_zh(self) -> &'static str {
                match self { $(Step::$variant => $zh),+ }
            }
            pub fn name_en(self) -> &'static str {
                match self { $(Step::$variant => $en),+ }
            }
            pub fn parse(text: &str) -> Result<Step, DomainError> {
                Self::ALL.iter().copied().find(|s| s.code() == text.trim())
                    .ok_or_else(|| DomainError::unknown("step", text))
            }
        }
    };
}

step_enum! {
    Accept = "accept", "接单", "Acceptance";
    Contact = "contact", "联系用户", "Customer contact";
    OnSite = "on_site", "到场", "Arrival on site";
    Result = "result", "处理结果", "Result";
    Callback = "callback", "回访", "Callback";
}

/// How long each step may take, in milliseconds; `None`: the step is not timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Deadlines {
    pub accept: Option<i64>,
    pub contact: Option<i64>,
    pub on_site: Option<i64>,
    pub result: Option<i64>,
    pub callback: Option<i64>,
}

impl Deadlines {
    pub fn of(&self, step: Step) -> Option<i64> {
        match step {
            Step::Accept => self.accept,
            Step::Contact => self.contact,
            Step::OnSite => self.on_site,
            Step::Result => self.result,
            Step::Callback => self.callback,
        }
    }
}

/// Deadlines for the tickets of one kind and/or priority.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaRule {
    /// `None` matches every kind.
    pub kind: Option<Kind>,
    /// `None` matches every priority.
    pub priority: Option<Priority>,
    pub deadlines: Deadlines,
    /// The warning fires at this fraction of each deadline (0 < warn_at ≤ 1).
    pub warn_at: f64,
}

/// A rung of the escalation ladder: `after` the missed deadline, tell `notify`.
#[derive(Debug, Clone, PartialEq)]
pub struct EscalationLevel {
    pub after_ms: i64,
    pub notify: Vec<Position>,
}

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Email,
}

impl Channel {
    pub fn code(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
        }
    }
    pub fn parse(text: &str) -> Result<Channel, DomainError> {
        match text.trim() {
            "sms" => Ok(Channel::Sms),
            "email" => Ok(Channel::Email),
            other => Err(DomainError::unknown("channel", other)),
        }
    }
}

/// Who hears of an event, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct NotifyRule {
    /// A ticket event, including a clock's `warned` and `escalated`.
    pub event: EventKind,
    pub positions: Vec<Position>,
    pub channel: Channel,
}

/// The whole deadline and notification policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub sla: Vec<SlaRule>,
    /// In order of `after_ms`, ascending (checked by [`Policy::new`]).
    pub escalation: Vec<EscalationLevel>,
    pub notify: Vec<NotifyRule>,
}

impl Default for Policy {
    /// DESIGN.md §1: accept 10 min after dispatch, contact 1 h, on site 30 min
    /// for emergencies, result 6 h, callback 24 h after resolution, warning at
    /// 80 %; the general manager at the miss, the chairman an hour later.
    fn default() -> Self {
        let base = Deadlines {
            accept: Some(10 * Timestamp::MINUTE),
            contact: Some(Timestamp::HOUR),
            on_site: None,
            result: Some(6 * Timestamp::HOUR),
            callback: Some(24 * Timestamp::HOUR),
        };
        let station_crew = vec![
            Position::Repairer,
            Position::StationDirector,
            Position::ProductionDeputy,
            Position::BranchManager,
            Position::GeneralManager,
        ];
        Policy {
            sla: vec![
                SlaRule {
                    kind: None,
                    priority: Some(Priority::Emergency),
                    deadlines: Deadlines {
                        on_site: Some(30 * Timestamp::MINUTE),
                        ..base
                    },
                    warn_at: 0.8,
                },
                SlaRule {
                    kind: None,
                    priority: None,
                    deadlines: base,
                    warn_at: 0.8,
                },
            ],
            escalation: vec![
                EscalationLevel {
                    after_ms: 0,
                    notify: vec![Position::GeneralManager],
                },
                EscalationLevel {
                    after_ms: Timestamp::HOUR,
                    notify: vec![Position::Chairman],
                },
            ],
            notify: vec![
                NotifyRule {
                    event: EventKind::Dispatched,
                    positions: station_crew.clone(),
                    channel: Channel::Sms,
                },
                NotifyRule {
                    event: EventKind::Redirected,
                    positions: station_crew,
                    channel: Channel::Sms,
                },
                // The repairers put on a ticket (only they: see the outbox).
                NotifyRule {
                    event: EventKind::Assigned,
                    positions: vec![Position::Repairer],
                    channel: Channel::Sms,
                },
                NotifyRule {
                    event: EventKind::CallbackUnsatisfied,
                    positions: vec![Position::Repairer, Position::StationDirector],
                    channel: Channel::Sms,
                },
                NotifyRule {
                    event: EventKind::Reopened,
                    positions: vec![Position::Repairer, Position::StationDirector],
                    channel: Channel::Sms,
                },
                NotifyRule {
                    event: EventKind::Warned,
                    positions: vec![Position::Repairer, Position::StationDirector],
                    channel: Channel::Sms,
                },
            ],
        }
    }
}

impl Policy {
    /// Checks what the types cannot: deadlines positive, `warn_at` in
    /// (0, 1], escalation levels in order. Errors name the key (`sla[1].warn_at`).
    pub fn new(
        sla: Vec<SlaRule>,
        escalation: Vec<EscalationLevel>,
        notify: Vec<NotifyRule>,
    ) -> Result<Policy, DomainError> {
        for (i, rule) in sla.iter().enumerate() {
            for step in Step::ALL {
                if rule.deadlines.of(*step).is_some_and(|ms| ms <= 0) {
                    return Err(DomainError::invalid(
                        &format!("sla[{i}].{}", step.code()),
                        "must be a positive duration",
                    ));
                }
            }
            if !(rule.warn_at > 0.0 && rule.warn_at <= 1.0) {
                return Err(DomainError::invalid(
                    &format!("sla[{i}].warn_at"),
                    "must be a fraction greater than 0 and at most 1, such as 0.8",
                ));
            }
        }
        for (i, level) in escalation.iter().enumerate() {
            if level.after_ms < 0 {
                return Err(DomainError::invalid(
                    &format!("escalation.levels[{i}].after"),
                    "must not be negative",
                ));
            }
            if i > 0 && level.after_ms <= escalation[i - 1].after_ms {
                return Err(DomainError::invalid(
                    &format!("escalation.levels[{i}].after"),
                    "levels must come in order, each later than the one before",
                ));
            }
            if level.notify.is_empty() {
                return Err(DomainError::required(&format!(
                    "escalation.levels[{i}].notify"
                )));
            }
        }
        for (i, rule) in notify.iter().enumerate() {
            if rule.positions.is_empty() {
                return Err(DomainError::required(&format!(
                    "notify.rule[{i}].positions"
                )));
            }
        }
        Ok(Policy {
            sla,
            escalation,
            notify,
        })
    }

    /// The first rule matching the ticket, if any.
    pub fn rule_for(&self, kind: Kind, priority: Priority) -> Option<&SlaRule> {
        self.sla
            .iter()
            .find(|r| r.kind.is_none_or(|k| k == kind) && r.priority.is_none_or(|p| p == priority))
    }

    /// Positions told of `event` by `channel`, each once, in rule order.
    pub fn recipients(&self, event: EventKind) -> Vec<(Position, Channel)> {
        let mut out: Vec<(Position, Channel)> = Vec::new();
        for rule in self.notify.iter().filter(|r| r.event == event) {
            for p in &rule.positions {
                if !out.contains(&(*p, rule.channel)) {
                    out.push((*p, rule.channel));
                }
            }
        }
        out
    }
}

/// Parses a duration such as `30s`, `10m`, `1h`, `1h 30m` or `0s` into
/// milliseconds; `key` names the setting in the error.
pub fn parse_duration(key: &str, text: &str) -> Result<i64, DomainError> {
    let text = text.trim();
    if text.starts_with('-') {
        return Err(DomainError::invalid(key, "must not be negative"));
    }
    humantime::parse_duration(text)
        .ok()
        .and_then(|d| i64::try_from(d.as_millis()).ok())
        .ok_or_else(|| {
            DomainError::invalid(
                key,
                format!("{text:?} is not a duration such as 30s, 10m or 1h"),
            )
        })
}

/// A timed step, as the store keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockTimes {
    pub started_at: Timestamp,
    pub warn_at: Timestamp,
    pub due_at: Timestamp,
}

impl ClockTimes {
    pub fn new(started_at: Timestamp, length_ms: i64, warn_fraction: f64) -> ClockTimes {
        let warn_ms = (length_ms as f64 * warn_fraction).round() as i64;
        ClockTimes {
            started_at,
            warn_at: started_at.plus_millis(warn_ms.clamp(0, length_ms)),
            due_at: started_at.plus_millis(length_ms),
        }
    }
}

/// What a ticket event does to its clocks.
#[derive(Debug, Clone, PartialEq)]
pub enum ClockChange {
    /// Start (or restart) the step's clock; a running clock of the step is replaced.
    Start { step: Step, times: ClockTimes },
    /// The step is done: the clock stops, met or late by how much.
    Stop { step: Step },
    /// Stop counting until `until` (an appointment); the time left is kept.
    PauseUntil { step: Step, until: Timestamp },
    /// The ticket left the station's hands (closed, cancelled, merged):
    /// every running clock is cancelled.
    CancelAll,
}

/// The clock changes an event brings, under `rule` (none when no rule
/// matches: nothing is timed). `appointment` is the ticket's appointment
/// for `scheduled`.
pub fn clock_changes(
    event: EventKind,
    rule: Option<&SlaRule>,
    at: Timestamp,
    appointment: Option<Timestamp>,
) -> Vec<ClockChange> {
    use ClockChange::*;
    let start = |steps: &[Step]| -> Vec<ClockChange> {
        let Some(rule) = rule else { return vec![] };
        steps
            .iter()
            .filter_map(|step| {
                rule.deadlines.of(*step).map(|ms| Start {
                    step: *step,
                    times: ClockTimes::new(at, ms, rule.warn_at),
                })
            })
            .collect()
    };
    let station_steps = [Step::Accept, Step::Contact, Step::OnSite, Step::Result];
    match event {
        // A new round at a station: everything the station owes starts now.
        EventKind::Dispatched | EventKind::Reopened => {
            let mut v = vec![CancelAll];
            v.extend(start(&station_steps));
            v
        }
        EventKind::CallbackUnsatisfied => {
            let mut v = vec![Stop {
                step: Step::Callback,
            }];
            v.extend(start(&station_steps));
            v
        }
        // A wrong route: the new station must accept in time; the customer's
        // wait (contact, on site, result) keeps running.
        EventKind::Redirected => start(&[Step::Accept]),
        EventKind::Accepted => vec![Stop { step: Step::Accept }],
        EventKind::Contacted => vec![Stop {
            step: Step::Contact,
        }],
        // Agreeing a time is contact; the rest waits for the appointment.
        EventKind::Scheduled => {
            let mut v = vec![Stop {
                step: Step::Contact,
            }];
            if let Some(until) = appointment {
                v.push(PauseUntil {
                    step: Step::OnSite,
                    until,
                });
                v.push(PauseUntil {
                    step: Step::Result,
                    until,
                });
            }
            v
        }
        EventKind::Arrived | EventKind::TemperatureMeasured => vec![
            Stop {
                step: Step::Contact,
            },
            Stop { step: Step::OnSite },
        ],
        EventKind::Resolved => {
            let mut v: Vec<ClockChange> = [Step::Accept, Step::Contact, Step::OnSite, Step::Result]
                .iter()
                .map(|s| Stop { step: *s })
                .collect();
            v.extend(start(&[Step::Callback]));
            v
        }
        EventKind::CallbackSatisfied => vec![
            Stop {
                step: Step::Callback,
            },
            CancelAll,
        ],
        EventKind::Answered
        | EventKind::Cancelled
        | EventKind::Merged
        | EventKind::ClosedBySupervisor => vec![CancelAll],
        EventKind::Registered
        | EventKind::Warned
        | EventKind::Escalated
        | EventKind::CallbackNotReached
        | EventKind::Assigned
        | EventKind::DuplicateMerged => vec![],
    }
}

/// Where a paused clock's deadlines move: the time that was left when the
/// pause began counts again from `until`. `paused_until` is the end of an
/// earlier pause, if any: before it, none of the time left was used yet.
pub fn paused(
    times: ClockTimes,
    at: Timestamp,
    paused_until: Option<Timestamp>,
    until: Timestamp,
) -> ClockTimes {
    let from = paused_until.map_or(at, |p| p.max(at));
    let left = times.due_at.millis() - from.millis();
    let warn_left = times.warn_at.millis() - from.millis();
    ClockTimes {
        started_at: times.started_at,
        warn_at: until.plus_millis(warn_left.max(0)),
        due_at: until.plus_millis(left),
    }
}

/// What a clock fires at a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fire {
    Warn,
    /// 1-based rung of the escalation ladder.
    Escalate(usize),
}

/// The next thing a clock fires and when, after `fired` stages (0 = none
/// yet; 1 = the warning; 1 + n = escalation level n). `None`: nothing left.
pub fn next_stage(
    fired: usize,
    times: ClockTimes,
    ladder: &[EscalationLevel],
) -> Option<(Fire, Timestamp)> {
    if fired == 0 {
        return Some((Fire::Warn, times.warn_at));
    }
    ladder.get(fired - 1).map(|level| {
        (
            Fire::Escalate(fired),
            times.due_at.plus_millis(level.after_ms),
        )
    })
}

/// "1小时5分" / "1 h 5 min" — how late or how much is left, to the minute.
pub fn span_zh(ms: i64) -> String {
    let minutes = (ms.max(0) + 59_999) / 60_000;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m}分钟"),
        (h, 0) => format!("{h}小时"),
        (h, m) => format!("{h}小时{m}分钟"),
    }
}

pub fn span_en(ms: i64) -> String {
    let minutes = (ms.max(0) + 59_999) / 60_000;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp(1_000_000_000_000);

    fn times(step: Step, changes: &[ClockChange]) -> Option<ClockTimes> {
        changes.iter().find_map(|c| match c {
            ClockChange::Start { step: s, times } if *s == step => Some(*times),
            _ => None,
        })
    }

    #[test]
    fn emergency_repair_gets_the_default_ladder() {
        let policy = Policy::default();
        let rule = policy.rule_for(Kind::Repair, Priority::Emergency);
        let changes = clock_changes(EventKind::Dispatched, rule, T0, None);
        let accept = times(Step::Accept, &changes).unwrap();
        assert_eq!(accept.warn_at, T0.plus_millis(8 * Timestamp::MINUTE));
        assert_eq!(accept.due_at, T0.plus_millis(10 * Timestamp::MINUTE));
        assert!(times(Step::OnSite, &changes).is_some());
        let (fire, at) = next_stage(0, accept, &policy.escalation).unwrap();
        assert_eq!((fire, at), (Fire::Warn, accept.warn_at));
        assert_eq!(
            next_stage(1, accept, &policy.escalation),
            Some((Fire::Escalate(1), accept.due_at))
        );
        assert_eq!(
            next_stage(2, accept, &policy.escalation),
            Some((
                Fire::Escalate(2),
                accept.due_at.plus_millis(Timestamp::HOUR)
            ))
        );
        assert_eq!(next_stage(3, accept, &policy.escalation), None);
    }

    #[test]
    fn normal_priority_has_no_on_site_clock() {
        let policy = Policy::default();
        let rule = policy.rule_for(Kind::Complaint, Priority::Normal);
        let changes = clock_changes(EventKind::Dispatched, rule, T0, None);
        assert!(times(Step::OnSite, &changes).is_none());
        assert!(times(Step::Result, &changes).is_some());
    }

    #[test]
    fn no_rule_means_no_clocks() {
        let policy = Policy::new(vec![], vec![], vec![]).unwrap();
        let rule = policy.rule_for(Kind::Repair, Priority::Normal);
        assert_eq!(
            clock_changes(EventKind::Dispatched, rule, T0, None),
            vec![ClockChange::CancelAll]
        );
    }

    #[test]
    fn pausing_keeps_the_time_left() {
        let t = ClockTimes::new(T0, 6 * Timestamp::HOUR, 0.8);
        let at = T0.plus_millis(Timestamp::HOUR);
        let appointment = T0.plus_millis(Timestamp::DAY);
        let p = paused(t, at, None, appointment);
        assert_eq!(p.due_at, appointment.plus_millis(5 * Timestamp::HOUR));
        assert_eq!(
            p.warn_at,
            appointment.plus_millis(48 * Timestamp::MINUTE + 3 * Timestamp::HOUR)
        );
        // Rescheduling before the first appointment uses nothing of the time left.
        let later = appointment.plus_millis(Timestamp::DAY);
        let again = paused(p, at.plus_millis(Timestamp::HOUR), Some(appointment), later);
        assert_eq!(again.due_at, later.plus_millis(5 * Timestamp::HOUR));
    }

    #[test]
    fn policy_errors_name_the_key() {
        let mut rule = Policy::default().sla[0].clone();
        rule.warn_at = 1.5;
        let err = Policy::new(vec![rule], vec![], vec![]).unwrap_err();
        assert_eq!(err.field(), Some("sla[0].warn_at"));
        let levels = vec![
            EscalationLevel {
                after_ms: Timestamp::HOUR,
                notify: vec![Position::GeneralManager],
            },
            EscalationLevel {
                after_ms: 0,
                notify: vec![Position::Chairman],
            },
        ];
        let err = Policy::new(vec![], levels, vec![]).unwrap_err();
        assert_eq!(err.field(), Some("escalation.levels[1].after"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("k", "10m").unwrap(), 600_000);
        assert_eq!(parse_duration("k", "1h 30m").unwrap(), 5_400_000);
        assert_eq!(parse_duration("k", "0s").unwrap(), 0);
        assert_eq!(
            parse_duration("sla[0].accept", "-5m").unwrap_err().field(),
            Some("sla[0].accept")
        );
        assert!(parse_duration("k", "soon").is_err());
        assert_eq!(span_zh(65 * 60_000), "1小时5分钟");
        assert_eq!(span_en(30_000), "1 min");
    }

    #[test]
    fn recipients_are_unique_per_channel() {
        let p = Policy::default();
        let r = p.recipients(EventKind::Dispatched);
        assert_eq!(r.len(), 5);
        assert!(p.recipients(EventKind::Escalated).is_empty());
    }
}
