//! Background work every instance runs (DESIGN.md §6): the scheduler fires
//! due clocks, the notifier delivers the outbox. Both only ever act through
//! the store's exactly-once operations, so any number of instances may run
//! them on one database, and whatever was due while every instance was down
//! happens when one comes back.
//!
//! Tests drive them directly ([`fire_due_clocks`], [`Notifier::deliver_due`])
//! with the manual clock; `launch` runs them in a loop.

use std::time::Duration;

use domain::Timestamp;
use futures::StreamExt;
use store::StoreError;
use store::clocks::Fired;

use crate::AppState;
use crate::notify::{Channels, Outcome};

/// Clocks read per query; a tick keeps going while it makes progress (a
/// clock may have several stages due after a downtime).
const CLOCK_BATCH: i64 = 500;
const PARALLEL_FIRES: usize = 8;
/// Batches per tick at most, so one tick cannot run forever.
const MAX_BATCHES: usize = 40;
/// Messages claimed per round, and sent at once.
const MESSAGE_BATCH: i64 = 100;
const PARALLEL_SENDS: usize = 16;
/// How long a claimed message is ours: longer than any gateway timeout.
const LEASE_MS: i64 = 120_000;

/// What one scheduler tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FireReport {
    pub warned: usize,
    pub escalated: usize,
    pub skipped: usize,
    pub lost: usize,
    pub errors: usize,
}

/// Fires every clock due at the clock's `now`, each stage once.
pub async fn fire_due_clocks(state: &AppState) -> Result<FireReport, StoreError> {
    let now = state.now();
    let mut report = FireReport::default();
    for _ in 0..MAX_BATCHES {
        let due = state.db.due_clocks(now, CLOCK_BATCH).await?;
        let before = report;
        // Several at once: on PostgreSQL their commits overlap (on SQLite the
        // single writer takes them in turn). Clocks of one ticket serialise on
        // the ticket row.
        let results: Vec<_> = futures::stream::iter(due.iter().cloned())
            .map(|clock| {
                let db = state.db.clone();
                async move {
                    let result = db.fire_clock(&clock, now).await;
                    (clock, result)
                }
            })
            .buffer_unordered(PARALLEL_FIRES)
            .collect()
            .await;
        for (clock, result) in results {
            match result {
                Ok(Fired::Warned { ticket, step }) => {
                    tracing::info!(%ticket, %step, "deadline warning");
                    report.warned += 1;
                }
                Ok(Fired::Escalated {
                    ticket,
                    step,
                    level,
                }) => {
                    tracing::warn!(%ticket, %step, level, "deadline missed: escalated");
                    report.escalated += 1;
                }
                Ok(Fired::SkippedWarning) => report.skipped += 1,
                Ok(Fired::Lost) => report.lost += 1,
                Err(e) => {
                    // One bad clock must not hold up the others.
                    tracing::error!(clock = clock.id, error = %e, "firing a clock");
                    report.errors += 1;
                }
            }
        }
        let progress = report.warned + report.escalated + report.skipped
            > before.warned + before.escalated + before.skipped;
        if due.is_empty() || !progress || report.errors > 0 {
            break;
        }
    }
    Ok(report)
}

/// Delivers due outbox messages through the configured channels.
#[derive(Clone)]
pub struct Notifier {
    channels: Channels,
    /// Who holds a claim: host, process and a random tag.
    owner: String,
    max_attempts: i64,
}

/// What one notifier round did.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DeliveryReport {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

impl Notifier {
    pub fn new(state: &AppState) -> Result<Notifier, String> {
        Ok(Notifier {
            channels: Channels::new(&state.settings)?,
            owner: format!(
                "{}-{}-{:08x}",
                hostname(),
                std::process::id(),
                rand::random::<u32>()
            ),
            max_attempts: state.settings.config.notify.max_attempts,
        })
    }

    /// Claims the due messages and tries each once.
    pub async fn deliver_due(&self, state: &AppState) -> Result<DeliveryReport, StoreError> {
        let claimed = state
            .db
            .claim_messages(&self.owner, state.now(), LEASE_MS, MESSAGE_BATCH)
            .await?;
        let outcomes: Vec<_> = futures::stream::iter(claimed)
            .map(|m| async move {
                let outcome = self.channels.send(&m).await;
                (m, outcome)
            })
            .buffer_unordered(PARALLEL_SENDS)
            .collect()
            .await;
        let mut report = DeliveryReport::default();
        let mut sent = Vec::new();
        for (m, outcome) in outcomes {
            match outcome {
                Outcome::Sent => sent.push(m.id),
                Outcome::Retry(error) if m.attempts < self.max_attempts => {
                    let at = state.now().plus_millis(backoff_ms(m.attempts));
                    tracing::warn!(message = m.id, attempt = m.attempts, %error, "delivery failed; will retry");
                    state.db.message_failed(m.id, &error, Some(at)).await?;
                    report.retrying += 1;
                }
                Outcome::Retry(error) | Outcome::Permanent(error) => {
                    tracing::error!(message = m.id, attempt = m.attempts, %error, "delivery failed for good");
                    state.db.message_failed(m.id, &error, None).await?;
                    report.failed += 1;
                }
            }
        }
        state.db.messages_sent(&sent, state.now()).await?;
        report.sent = sent.len();
        Ok(report)
    }
}

/// 5 s after the first failure, doubling, at most 15 min apart.
pub fn backoff_ms(attempts: i64) -> i64 {
    let doublings = (attempts - 1).clamp(0, 20) as u32;
    (5_000i64 << doublings).min(15 * Timestamp::MINUTE)
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "heatdesk".into())
}

/// Runs the scheduler and the notifier until the returned tasks are aborted.
pub fn spawn(state: AppState) -> Result<Vec<tokio::task::JoinHandle<()>>, String> {
    let notifier = Notifier::new(&state)?;
    let every = Duration::from_millis(state.settings.worker_interval_ms.max(10) as u64);
    let scheduler_state = state.clone();
    let scheduler = tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = fire_due_clocks(&scheduler_state).await {
                tracing::error!(error = %e, "clock scheduler");
            }
        }
    });
    let sender = tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // Keep going while there is a backlog; then wait for the next tick.
            loop {
                match notifier.deliver_due(&state).await {
                    Ok(r) if r.sent + r.retrying + r.failed > 0 => continue,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::error!(error = %e, "notifier");
                        break;
                    }
                }
            }
        }
    });
    Ok(vec![scheduler, sender])
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn backoff_doubles_up_to_a_cap() {
        assert_eq!(backoff_ms(1), 5_000);
        assert_eq!(backoff_ms(2), 10_000);
        assert_eq!(backoff_ms(5), 80_000);
        assert_eq!(backoff_ms(30), 900_000);
    }
}
