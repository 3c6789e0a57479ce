//! The change feed: who changed which ticket, for live pages and indexes.
//!
//! In-process broadcast. With several instances on PostgreSQL the server
//! bridges it to LISTEN/NOTIFY (DESIGN.md §6).

use tokio::sync::broadcast;

#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Ticket {
        number: String,
        status: String,
        station_id: Option<i64>,
    },
    Registers,
}

#[derive(Clone)]
pub struct ChangeFeed(broadcast::Sender<Change>);

impl ChangeFeed {
    pub fn new() -> Self {
        ChangeFeed(broadcast::channel(1024).0)
    }
    pub fn publish(&self, change: Change) {
        // No subscriber is fine: nobody is watching.
        let _ = self.0.send(change);
    }
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.0.subscribe()
    }
}

impl Default for ChangeFeed {
    fn default() -> Self {
        Self::new()
    }
}
