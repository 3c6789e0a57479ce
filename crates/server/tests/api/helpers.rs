//! A real server on 127.0.0.1:0 over a fresh database, for each test.
//!
//! Every test runs on SQLite and, when `HEATDESK_TEST_PG_URL` is set, on
//! PostgreSQL (a fresh database per test, dropped after). With
//! `HEATDESK_REQUIRE_PG=1` a missing PostgreSQL fails instead of skipping.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use domain::{ManualClock, Role, Timestamp};
use serde_json::{Value, json};
use server::config::Config;
use server::{AppState, auth};
use store::Db;
use store::org::StationRecord;

/// 2026-12-04 09:05:00 in Shanghai.
pub const START: Timestamp = Timestamp(1_796_346_300_000);

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub addr: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub clock: ManualClock,
    /// The server's state: tests run its workers directly (`server::workers`).
    pub state: AppState,
    pub db_url: String,
    /// Bearer tokens by role; the station/repairer ones are bound to S01.
    pub tokens: std::collections::HashMap<&'static str, String>,
    _database: TestDatabase,
    _server: tokio::task::JoinHandle<()>,
}

/// A database that removes itself when the test ends, whatever happens.
struct TestDatabase {
    sqlite_path: Option<std::path::PathBuf>,
    pg: Option<(String, String)>,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(path) = &self.sqlite_path {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        if let Some((admin_url, name)) = self.pg.take() {
            // Drop runs inside the test's runtime: use a thread with its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(rt) = rt {
                    rt.block_on(async {
                        if let Ok(db) = Db::connect(&admin_url).await {
                            let _ = db
                                .execute_admin(&format!(
                                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                                ))
                                .await;
                            db.close().await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    )
}

/// `None` when PostgreSQL tests are not configured (and not required).
async fn database(backend: Backend) -> Option<(Db, String, TestDatabase)> {
    match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("{}.db", unique("heatdesk_test")));
            let url = format!("sqlite://{}", path.display());
            let db = Db::connect(&url).await.expect("sqlite");
            Some((
                db,
                url,
                TestDatabase {
                    sqlite_path: Some(path),
                    pg: None,
                },
            ))
        }
        Backend::Postgres => {
            let Ok(admin_url) = std::env::var("HEATDESK_TEST_PG_URL") else {
                if std::env::var("HEATDESK_REQUIRE_PG").is_ok_and(|v| v == "1") {
                    panic!("HEATDESK_REQUIRE_PG=1 but HEATDESK_TEST_PG_URL is not set");
                }
                eprintln!("skipping PostgreSQL: HEATDESK_TEST_PG_URL is not set");
                return None;
            };
            let name = unique("heatdesk_test");
            let admin = Db::connect(&admin_url)
                .await
                .expect("connect to HEATDESK_TEST_PG_URL");
            admin
                .execute_admin(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create test database");
            admin.close().await;
            let url = with_database(&admin_url, &name);
            let db = Db::connect(&url).await.expect("connect to test database");
            Some((
                db,
                url,
                TestDatabase {
                    sqlite_path: None,
                    pg: Some((admin_url, name)),
                },
            ))
        }
    }
}

/// Replaces the database name in a postgres URL.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl TestApp {
    /// A migrated database with two stations, a few accounts, and a token
    /// per role; the server listening on a free port with a manual clock.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        TestApp::spawn_with(backend, test_config()).await
    }

    /// As [`TestApp::spawn`], with this configuration.
    pub async fn spawn_with(backend: Backend, config: Config) -> Option<TestApp> {
        let (db, db_url, guard) = database(backend).await?;
        db.migrate().await.expect("migrate");
        let clock = ManualClock::new(START);
        seed(&db).await;
        let mut tokens = std::collections::HashMap::new();
        for (name, role, station) in [
            ("admin", Role::Admin, None),
            ("operator", Role::Operator, None),
            ("station", Role::Station, Some("S01")),
            ("station2", Role::Station, Some("S02")),
            ("repairer", Role::Repairer, Some("S01")),
            ("manager", Role::Manager, None),
            ("viewer", Role::Viewer, None),
        ] {
            let token = auth::new_secret("hd_");
            db.create_token(name, role, station, &auth::secret_hash(&token), START)
                .await
                .expect("token");
            tokens.insert(name, token);
        }
        let settings = config.validate().expect("config");
        let state = AppState::new(db.clone(), Arc::new(clock.clone()), settings);
        let (addr, server) = serve(state.clone()).await;
        Some(TestApp {
            addr,
            client: reqwest::Client::builder().build().expect("client"),
            db: state.db.clone(),
            clock,
            state,
            db_url,
            tokens,
            _database: guard,
            _server: server,
        })
    }

    /// Another instance on the same database and the same clock: a second
    /// process behind the load balancer, or this one after a restart.
    pub async fn instance(&self, config: Config) -> Instance {
        let db = Db::connect(&self.db_url).await.expect("connect");
        let settings = config.validate().expect("config");
        let state = AppState::new(db, Arc::new(self.clock.clone()), settings);
        let (addr, server) = serve(state.clone()).await;
        Instance {
            state,
            addr,
            server,
        }
    }

    /// Stops this server abruptly (as `kill -9` would), leaving the database.
    pub fn stop(&self) {
        self._server.abort();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.addr)
    }

    pub fn token(&self, role: &str) -> &str {
        &self.tokens[role]
    }

    pub async fn get(&self, role: &str, path: &str) -> (u16, Value) {
        let r = self
            .client
            .get(self.url(path))
            .bearer_auth(self.token(role))
            .send()
            .await
            .expect("GET");
        status_json(r).await
    }

    pub async fn post(&self, role: &str, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .post(self.url(path))
            .bearer_auth(self.token(role))
            .json(body)
            .send()
            .await
            .expect("POST");
        status_json(r).await
    }

    /// Registers a typical repair call from the account holder of `A0001` (station S01).
    pub async fn register_repair(&self) -> String {
        let (status, body) = self
            .post("operator", "/api/v1/tickets", &repair_call())
            .await;
        assert_eq!(status, 201, "{body}");
        body["number"].as_str().expect("number").to_string()
    }

    /// Signs `user` in through the API and returns the session cookie
    /// (`name=value`), for pages that need a real user rather than a token.
    pub async fn session(&self, user: &str, password: &str) -> String {
        let r = self
            .client
            .post(self.url("/api/v1/login"))
            .json(&json!({"username": user, "password": password}))
            .send()
            .await
            .expect("POST /api/v1/login");
        assert_eq!(r.status(), 200, "signing in {user}");
        r.headers()["set-cookie"]
            .to_str()
            .expect("cookie")
            .split(';')
            .next()
            .expect("cookie")
            .to_string()
    }

    pub async fn act(&self, role: &str, number: &str, action: Value) -> (u16, Value) {
        self.post(role, &format!("/api/v1/tickets/{number}/actions"), &action)
            .await
    }

    /// A console page as `role` sees it in `lang` (redirects not followed).
    pub async fn page(&self, role: &str, path: &str, lang: &str) -> (u16, String) {
        let r = no_redirects()
            .get(self.url(path))
            .bearer_auth(self.token(role))
            .header("accept-language", lang)
            .send()
            .await
            .expect("GET page");
        status_text(r).await
    }

    /// A console form posted as `role` (Chinese pages; redirects not followed).
    pub async fn post_form(
        &self,
        role: &str,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        no_redirects()
            .post(self.url(path))
            .bearer_auth(self.token(role))
            .header("accept-language", "zh-CN")
            .form(form)
            .send()
            .await
            .expect("POST form")
    }

    /// Imports a staff register (CSV with a header row) as the admin page would.
    pub async fn import_staff(&self, csv: &str) {
        server::import::import(
            &self.db,
            server::import::RegisterKind::Staff,
            "staff.csv",
            csv.as_bytes(),
            "0451",
            START,
        )
        .await
        .expect("import staff");
    }
}

/// A client that shows redirects (a form's 303) instead of following them.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A response's status and text.
pub async fn status_text(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    (status, r.text().await.expect("body"))
}

/// Tests drive the scheduler and the notifier themselves, with the manual clock.
pub fn test_config() -> Config {
    let mut config = Config::default();
    config.workers.enabled = false;
    config
}

async fn serve(state: AppState) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = format!("http://{}", listener.local_addr().expect("addr"));
    let server = tokio::spawn(async move {
        let _ = server::launch(listener, state, std::future::pending()).await;
    });
    (addr, server)
}

/// A server instance beside a [`TestApp`]; it stops (as if killed) when dropped.
pub struct Instance {
    pub state: AppState,
    pub addr: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub async fn status_json(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub fn repair_call() -> Value {
    json!({
        "kind": "repair",
        "category": "暖气不热",
        "priority": "urgent",
        "caller_name": "王秀英",
        "caller_phone": "138 0000 0001",
        "address": "幸福小区3栋2单元501",
        "description": "卧室暖气片不热，已经两天了",
        "account_no": "A0001",
    })
}

fn square(lon: f64, lat: f64) -> String {
    let d = 0.01;
    json!({"type": "Polygon", "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]]})
        .to_string()
}

async fn seed(db: &Db) {
    let stations = vec![
        StationRecord {
            code: "S01".into(),
            name: "红旗供热站".into(),
            branch: "南岗分公司".into(),
            phone: Some("0451-82000001".into()),
            area_geojson: Some(square(126.60, 45.70)),
        },
        StationRecord {
            code: "S02".into(),
            name: "和平供热站".into(),
            branch: "道里分公司".into(),
            phone: None,
            area_geojson: Some(square(126.61, 45.70)),
        },
    ];
    db.import_stations(&stations, START)
        .await
        .expect("stations");
    let account =
        |no: &str, holder: &str, phone: &str, community: &str, building: &str, station: &str| {
            store::accounts::AccountRecord {
                row: 2,
                account_no: no.into(),
                holder: holder.into(),
                phones: vec![phone.into()],
                district: "南岗区".into(),
                street: "光华街".into(),
                community: community.into(),
                building: building.into(),
                unit: "2".into(),
                room: "501".into(),
                area_m2: 86.5,
                payment_state: domain::PaymentState::Paid,
                station_code: station.into(),
                lat: Some(45.705),
                lon: Some(126.605),
            }
        };
    db.import_accounts(
        &[
            account("A0001", "王秀英", "13800000001", "幸福小区", "3", "S01"),
            account("A0002", "李建国", "13800000002", "阳光家园", "7", "S02"),
        ],
        START,
    )
    .await
    .expect("accounts");
}

/// Runs an async test body on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if let Some(app) = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await {
                    super::$name(app).await;
                }
            })+
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if let Some(app) = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await {
                    super::$name(app).await;
                }
            })+
        }
    };
}
