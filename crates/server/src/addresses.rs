//! The in-memory address index: built from the register at start-up and
//! rebuilt whenever registers change (on any instance, via the change feed).

use std::sync::{Arc, RwLock};

use address::{AddressIndex, StationArea};
use store::{Change, Db};

/// The current index; readers take a cheap `Arc` clone and never wait for a rebuild.
pub struct Addresses(RwLock<Arc<AddressIndex>>);

impl Default for Addresses {
    /// Empty until [`Addresses::reload`]: everything resolves to `none`.
    fn default() -> Self {
        Addresses(RwLock::new(Arc::new(AddressIndex::build(&[], &[], &[]))))
    }
}

impl Addresses {
    pub fn current(&self) -> Arc<AddressIndex> {
        match self.0.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reads the register and swaps in a fresh index.
    pub async fn reload(&self, db: &Db) -> store::Result<()> {
        let entries = db.register_entries().await?;
        let stations: Vec<StationArea> = db
            .stations()
            .await?
            .iter()
            .filter_map(|s| {
                let area = s.area_geojson.as_deref()?;
                StationArea::from_geojson(&s.code, &s.name, area)
                    .inspect_err(
                        |e| tracing::warn!(station = %s.code, error = %e, "service area skipped"),
                    )
                    .ok()
            })
            .collect();
        let index =
            tokio::task::spawn_blocking(move || AddressIndex::build(&entries, &stations, &[]))
                .await
                .map_err(|e| {
                    store::StoreError::Config(format!("building the address index: {e}"))
                })?;
        tracing::info!(accounts = index.len(), "address index built");
        let index = Arc::new(index);
        match self.0.write() {
            Ok(mut guard) => *guard = index,
            Err(poisoned) => *poisoned.into_inner() = index,
        }
        Ok(())
    }

    /// Rebuilds after every register change until the feed closes.
    pub async fn follow(self: Arc<Self>, db: Db) {
        let mut changes = db.feed().subscribe();
        loop {
            match changes.recv().await {
                Ok(Change::Registers)
                | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    if let Err(e) = self.reload(&db).await {
                        tracing::error!(error = %e, "rebuilding the address index");
                    }
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    }
}
