//! Shared set-up of the load and query benchmarks: a fresh database with 20
//! stations, an operator token, and the real server on a free port.

use std::sync::Arc;

use domain::{Clock, Role, SystemClock};
use serde_json::json;
use server::config::Config;
use server::{AppState, auth};
use store::Db;
use store::org::StationRecord;

pub struct Bench {
    #[allow(dead_code)] // the clocks benchmark runs the workers with it
    pub state: AppState,
    pub db: Db,
    pub base: String,
    pub token: String,
    #[allow(dead_code)] // the query benchmark seeds with it; the load benchmark does not
    pub station_ids: Vec<i64>,
    /// Dropped PostgreSQL database (admin URL, name) or SQLite file.
    cleanup: Option<(String, String)>,
    sqlite_file: Option<std::path::PathBuf>,
}

pub fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_string())
}

/// `--database sqlite` (a temporary file) or `--database postgres` (a fresh
/// database on `HEATDESK_TEST_PG_URL`, default local). `--keep NAME` keeps and
/// reuses a named database between runs (for the 1 M-ticket benchmark).
#[allow(dead_code)] // the query and clocks benchmarks start with their own configuration
pub async fn start(backend: &str) -> anyhow::Result<Bench> {
    start_with(backend, Config::default()).await
}

/// As [`start`], with this configuration for the server.
pub async fn start_with(backend: &str, config: Config) -> anyhow::Result<Bench> {
    let keep = arg("--keep", "");
    let (url, cleanup, sqlite_file) = match backend {
        "sqlite" => {
            let path = if keep.is_empty() {
                std::env::temp_dir().join(format!("heatdesk_bench_{}.db", std::process::id()))
            } else {
                std::env::temp_dir().join(format!("{keep}.db"))
            };
            let file = keep.is_empty().then(|| path.clone());
            (format!("sqlite://{}", path.display()), None, file)
        }
        "postgres" => {
            let admin = std::env::var("HEATDESK_TEST_PG_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            let name = if keep.is_empty() {
                format!("heatdesk_bench_{}", std::process::id())
            } else {
                keep.clone()
            };
            let admin_db = Db::connect(&admin).await?;
            let exists = admin_db
                .execute_admin(&format!("CREATE DATABASE \"{name}\""))
                .await
                .is_err();
            if exists && keep.is_empty() {
                anyhow::bail!("database {name} exists");
            }
            admin_db.close().await;
            let url = format!(
                "{}/{name}",
                admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b)
            );
            (url, keep.is_empty().then_some((admin, name)), None)
        }
        other => anyhow::bail!("--database sqlite|postgres, not {other}"),
    };
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    let now = SystemClock.now();
    if db.stations().await?.is_empty() {
        db.import_stations(&stations(), now).await?;
    }
    let token = auth::new_secret("hd_");
    let token_name = format!(
        "bench-{}",
        auth::new_secret("").chars().take(8).collect::<String>()
    );
    db.create_token(
        &token_name,
        Role::Operator,
        None,
        &auth::secret_hash(&token),
        now,
    )
    .await?;
    let mut station_ids: Vec<i64> = db.station_ids().await?.into_values().collect();
    station_ids.sort();

    let settings = config.validate().map_err(anyhow::Error::msg)?;
    let state = AppState::new(db.clone(), Arc::new(SystemClock), settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let serving = state.clone();
    tokio::spawn(async move {
        let _ = server::launch(listener, serving, std::future::pending()).await;
    });
    Ok(Bench {
        state,
        db,
        base,
        token,
        station_ids,
        cleanup,
        sqlite_file,
    })
}

impl Bench {
    pub async fn finish(self) {
        self.db.close().await;
        if let Some((admin, name)) = self.cleanup
            && let Ok(db) = Db::connect(&admin).await
        {
            let _ = db
                .execute_admin(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await;
            db.close().await;
        }
        if let Some(path) = self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
    }
}

fn stations() -> Vec<StationRecord> {
    (1..=20)
        .map(|i| {
            let (lon, lat) = (126.55 + 0.02 * f64::from(i % 5), 45.70 + 0.02 * f64::from(i / 5));
            StationRecord {
                code: format!("S{i:02}"),
                name: format!("第{i}供热站"),
                branch: format!("第{}分公司", i % 4 + 1),
                phone: None,
                area_geojson: Some(
                    json!({"type": "Polygon", "coordinates": [[[lon, lat], [lon + 0.02, lat], [lon + 0.02, lat + 0.02], [lon, lat + 0.02], [lon, lat]]]})
                        .to_string(),
                ),
            }
        })
        .collect()
}

/// p50, p99 and max of `samples` in milliseconds.
pub fn percentiles(samples: &mut [f64]) -> (f64, f64, f64) {
    if samples.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    let at = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    (at(0.50), at(0.99), samples[samples.len() - 1])
}
