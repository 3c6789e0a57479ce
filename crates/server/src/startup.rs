//! Building the application and launching it on a listener (tests bind port 0).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use domain::{Clock, Timestamp};
use store::Db;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

use crate::config::Settings;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    /// Address → station resolution, rebuilt when registers change.
    pub addresses: Arc<crate::addresses::Addresses>,
}

impl AppState {
    pub fn new(db: Db, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        // Commands apply the configured deadlines in their own transaction.
        let db = db.with_rules(store::Rules {
            policy: settings.policy.clone(),
            tz: settings.tz,
        });
        AppState {
            db,
            clock,
            settings: Arc::new(settings),
            addresses: Default::default(),
        }
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

/// Largest request body: JSON commands are small; register files come through
/// the admin upload, which sets its own limit.
const BODY_LIMIT: usize = 1024 * 1024;

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(crate::api::routes())
        .merge(crate::console::routes())
        .merge(crate::ops::routes())
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        // Pages, JSON and assets gzip'd for phones on slow connections (the
        // default predicate leaves images, SSE streams and tiny bodies alone).
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn(crate::ops::track_requests))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves the app on `listener` until `shutdown` resolves.
pub async fn launch(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Err(e) = state.addresses.reload(&state.db).await {
        return Err(std::io::Error::other(format!(
            "building the address index: {e}"
        )));
    }
    // Background tasks end with the server, also when this future is dropped.
    let mut tasks = BackgroundTasks(vec![tokio::spawn(
        state.addresses.clone().follow(state.db.clone()),
    )]);
    if state.settings.config.workers.enabled {
        tasks
            .0
            .extend(crate::workers::spawn(state.clone()).map_err(std::io::Error::other)?);
    }
    let app = router(state.clone());
    tasks.0.push(tokio::spawn(sweep_sessions(state)));
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    drop(tasks);
    result
}

struct BackgroundTasks(Vec<tokio::task::JoinHandle<()>>);

impl Drop for BackgroundTasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// Removes expired sessions now and then; every instance may do it.
async fn sweep_sessions(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        if let Err(e) = state.db.delete_expired_sessions(state.now()).await {
            tracing::warn!(error = %e, "sweeping expired sessions");
        }
    }
}
