//! The change feed: who changed which ticket, for live pages and indexes.
//!
//! An in-process broadcast. On PostgreSQL it is bridged to LISTEN/NOTIFY on
//! the channel [`CHANNEL`] so that every instance behind a load balancer
//! hears every change (DESIGN.md §6):
//!
//! - [`ChangeFeed::publish`] delivers the change to this instance's
//!   subscribers at once, and queues a `NOTIFY` carrying the change and this
//!   feed's random `origin` id;
//! - a listener task delivers notifications from *other* origins to the
//!   local subscribers. A notification whose origin is this feed is dropped,
//!   so an instance never delivers its own change twice.
//!
//! Delivery across instances is best effort (a change made while the
//! listener reconnects is missed); pages that need certainty reload.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};

/// The PostgreSQL notification channel.
pub const CHANNEL: &str = "heatdesk_changes";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    Ticket {
        number: String,
        status: String,
        station_id: Option<i64>,
        /// The station it left (a redirect): its pages must drop it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        left_station_id: Option<i64>,
    },
    Registers,
}

/// What travels over NOTIFY: the change and the feed that published it.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    origin: u64,
    change: Change,
}

#[derive(Clone)]
pub struct ChangeFeed {
    local: broadcast::Sender<Change>,
    /// Random id of this feed (one per `Db`): notifications it sent itself are ignored.
    origin: u64,
    /// Outgoing notifications, when bridged to PostgreSQL.
    notify: Option<mpsc::UnboundedSender<String>>,
}

impl ChangeFeed {
    pub fn new() -> Self {
        ChangeFeed {
            local: broadcast::channel(1024).0,
            origin: rand_origin(),
            notify: None,
        }
    }

    /// A feed bridged to PostgreSQL LISTEN/NOTIFY: spawns a task that sends
    /// this feed's changes with `pg_notify` over `pool`, and one that listens
    /// on a dedicated connection to `url`. Both end when the feed's last
    /// clone is dropped (checked as notifications arrive) or the pool is closed,
    /// and with the runtime. Must run inside a tokio runtime.
    pub(crate) fn postgres(url: &str, pool: sqlx::AnyPool) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let feed = ChangeFeed {
            notify: Some(tx),
            ..ChangeFeed::new()
        };
        tokio::spawn(send_notifications(rx, pool.clone()));
        tokio::spawn(listen(
            url.to_string(),
            pool,
            feed.origin,
            feed.local.downgrade(),
        ));
        feed
    }

    pub fn publish(&self, change: Change) {
        if let Some(notify) = &self.notify
            && let Ok(payload) = serde_json::to_string(&Envelope {
                origin: self.origin,
                change: change.clone(),
            })
        {
            // The sender task is gone only when the runtime is shutting down.
            let _ = notify.send(payload);
        }
        // No subscriber is fine: nobody is watching.
        let _ = self.local.send(change);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.local.subscribe()
    }

    /// Delivers a change heard from another instance to local subscribers.
    fn deliver_remote(local: &broadcast::Sender<Change>, origin: u64, payload: &str) {
        match serde_json::from_str::<Envelope>(payload) {
            Ok(envelope) if envelope.origin != origin => {
                let _ = local.send(envelope.change);
            }
            Ok(_) => {} // our own change: already delivered by publish
            Err(e) => tracing::warn!(error = %e, "unreadable change notification"),
        }
    }
}

impl Default for ChangeFeed {
    fn default() -> Self {
        Self::new()
    }
}

fn rand_origin() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded from the OS per process and per instance.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

async fn send_notifications(mut rx: mpsc::UnboundedReceiver<String>, pool: sqlx::AnyPool) {
    while let Some(payload) = rx.recv().await {
        if pool.is_closed() {
            return;
        }
        if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(payload)
            .execute(&pool)
            .await
        {
            tracing::warn!(error = %e, "sending change notification");
        }
    }
}

async fn listen(
    url: String,
    pool: sqlx::AnyPool,
    origin: u64,
    local: broadcast::WeakSender<Change>,
) {
    let mut backoff = Duration::from_millis(200);
    loop {
        if pool.is_closed() || local.upgrade().is_none() {
            return;
        }
        let mut listener = match sqlx::postgres::PgListener::connect(&url).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "change listener: connecting");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
                continue;
            }
        };
        if let Err(e) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %e, "change listener: LISTEN");
            tokio::time::sleep(backoff).await;
            continue;
        }
        backoff = Duration::from_millis(200);
        loop {
            match listener.try_recv().await {
                Ok(Some(n)) => {
                    let Some(sender) = local.upgrade() else {
                        return;
                    };
                    ChangeFeed::deliver_remote(&sender, origin, n.payload());
                }
                // The connection was lost (try_recv reports it once): listen again.
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "change listener");
                    tokio::time::sleep(backoff).await;
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_notifications_are_not_delivered_twice() {
        let feed = ChangeFeed::new();
        let mut rx = feed.subscribe();
        let change = Change::Ticket {
            number: "20261204-0001".into(),
            status: "dispatched".into(),
            station_id: Some(1),
            left_station_id: None,
        };
        let own = serde_json::to_string(&Envelope {
            origin: feed.origin,
            change: change.clone(),
        })
        .unwrap();
        ChangeFeed::deliver_remote(&feed.local, feed.origin, &own);
        assert!(rx.try_recv().is_err());
        let other = serde_json::to_string(&Envelope {
            origin: feed.origin ^ 1,
            change: change.clone(),
        })
        .unwrap();
        ChangeFeed::deliver_remote(&feed.local, feed.origin, &other);
        assert_eq!(rx.try_recv().unwrap(), change);
    }
}

/// Two instances on one PostgreSQL database: each hears the other's changes
/// once, and its own once (runs when `HEATDESK_TEST_PG_URL` is set).
#[cfg(test)]
mod postgres_tests {
    use std::time::Duration;

    use super::Change;
    use crate::Db;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn changes_cross_instances_once() {
        let Ok(url) = std::env::var("HEATDESK_TEST_PG_URL") else {
            assert!(
                !std::env::var("HEATDESK_REQUIRE_PG").is_ok_and(|v| v == "1"),
                "HEATDESK_REQUIRE_PG=1 but HEATDESK_TEST_PG_URL is not set"
            );
            return;
        };
        let a = Db::connect(&url).await.expect("instance a");
        let b = Db::connect(&url).await.expect("instance b");
        let mut heard_by_a = a.feed().subscribe();
        let change = |n: &str| Change::Ticket {
            number: n.into(),
            status: "dispatched".into(),
            station_id: Some(7),
            left_station_id: None,
        };
        // The listener starts in the background: publish until it hears.
        let mut got = None;
        for i in 0..50 {
            b.feed().publish(change(&format!("B-{i}")));
            if let Ok(Ok(c)) =
                tokio::time::timeout(Duration::from_millis(200), heard_by_a.recv()).await
            {
                got = Some(c);
                break;
            }
        }
        assert!(
            matches!(got, Some(Change::Ticket { ref number, .. }) if number.starts_with("B-")),
            "{got:?}"
        );
        // Drain what else b sent, then check a's own change arrives exactly once.
        tokio::time::sleep(Duration::from_millis(300)).await;
        while heard_by_a.try_recv().is_ok() {}
        a.feed().publish(change("A-own"));
        let first = tokio::time::timeout(Duration::from_secs(2), heard_by_a.recv())
            .await
            .expect("own change")
            .expect("open");
        assert_eq!(first, change("A-own"));
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(heard_by_a.try_recv().is_err(), "delivered twice");
        a.close().await;
        b.close().await;
    }
}
