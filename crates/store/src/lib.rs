//! The heatdesk database. The only crate with SQL.
//!
//! [`Db`] talks to SQLite (embedded default) or PostgreSQL through sqlx's `Any`
//! driver, so one query text with `$1…$N` placeholders serves both. Where the
//! backends must differ, one function holds both arms side by side.
//!
//! Hot queries avoid JOINs, ORDER BY on an index and bound LIMITs: SQLite (built
//! with STAT4) re-prepares such statements at every new binding, which cost a
//! third of the CPU of a ticket command. Scalar subqueries do not.

pub mod accounts;
pub mod attachments;
pub mod bulk;
pub mod clocks;
pub mod error;
pub mod feed;
pub mod org;
pub mod outbox;
pub mod queues;
pub mod tickets;
pub mod users;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

pub use error::StoreError;
pub use feed::{Change, ChangeFeed};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The database handle: cheap to clone.
#[derive(Clone)]
pub struct Db {
    /// Reads (and, on PostgreSQL, writes).
    pool: AnyPool,
    /// Writes. On SQLite a single connection, so writers queue in-process
    /// instead of fighting over the file lock; on PostgreSQL the same pool.
    writer: AnyPool,
    backend: Backend,
    feed: ChangeFeed,
    /// The deadline and notification policy commands apply in their transaction.
    rules: Arc<Rules>,
}

/// What the store needs to know of the configuration to time tickets and
/// word their messages.
#[derive(Debug, Clone)]
pub struct Rules {
    pub policy: domain::sla::Policy,
    /// Times in messages are written in this zone.
    pub tz: chrono_tz::Tz,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            policy: domain::sla::Policy::default(),
            tz: chrono_tz::Asia::Shanghai,
        }
    }
}

impl Db {
    /// Connects to `url`: `sqlite://path.db` (created if missing) or
    /// `postgres://…`. Does not migrate; see [`Db::migrate`].
    pub async fn connect(url: &str) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::Config(format!(
                "database URL must start with sqlite:// or postgres://, got {url:?}"
            )));
        };
        let options = AnyConnectOptions::from_str(&with_sqlite_create(url))?
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
        let db = match backend {
            Backend::Sqlite => {
                let pool = sqlite_pool(8).connect_with(options.clone()).await?;
                let writer = sqlite_pool(1).connect_with(options).await?;
                // WAL lets readers go on while the writer writes; it sticks to the file.
                sqlx::query("PRAGMA journal_mode = WAL")
                    .execute(&writer)
                    .await?;
                Db {
                    pool,
                    writer,
                    backend,
                    feed: ChangeFeed::new(),
                    rules: Arc::default(),
                }
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?;
                Db {
                    writer: pool.clone(),
                    // Live changes cross instances through LISTEN/NOTIFY (feed.rs).
                    feed: ChangeFeed::postgres(url, pool.clone()),
                    pool,
                    backend,
                    rules: Arc::default(),
                }
            }
        };
        Ok(db)
    }

    /// Applies the pending migrations of this backend.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.writer).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.writer).await?,
        }
        Ok(())
    }

    /// This handle with `rules` (the configured policy) instead of the defaults.
    pub fn with_rules(mut self, rules: Rules) -> Db {
        self.rules = Arc::new(rules);
        self
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Live ticket changes (for SSE and in-memory indexes).
    pub fn feed(&self) -> &ChangeFeed {
        &self.feed
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }

    /// Tables and their columns, `(table, column, nullable)`, sorted: used by
    /// the test that keeps the two backends' migrations mirrored.
    pub async fn schema(&self) -> Result<Vec<(String, String, bool)>> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT m.name, p.name, CASE WHEN p.\"notnull\" = 0 AND p.pk = 0 THEN 1 ELSE 0 END \
                 FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'"
            }
            Backend::Postgres => {
                "SELECT table_name::text, column_name::text, CASE WHEN is_nullable = 'YES' THEN 1 ELSE 0 END::bigint \
                 FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%'"
            }
        };
        let rows: Vec<(String, String, i64)> = sqlx::query_as(sql).fetch_all(&self.pool).await?;
        let mut schema: Vec<_> = rows.into_iter().map(|(t, c, n)| (t, c, n == 1)).collect();
        schema.sort();
        Ok(schema)
    }
}

fn sqlite_pool(max: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(30))
        // An embedded file cannot drop the connection: skip the ping per acquire.
        .test_before_acquire(false)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                     PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32000;",
                )
                .await?;
                Ok(())
            })
        })
}

/// SQLite files are created when missing (`mode=rwc`) unless the URL says otherwise.
fn with_sqlite_create(url: &str) -> String {
    if url.starts_with("sqlite:") && !url.contains("mode=") && !url.contains(":memory:") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}mode=rwc")
    } else {
        url.to_string()
    }
}

/// A query assembled from fixed fragments with every value bound: list
/// filters build their SQL this way, so no user text ever reaches the SQL.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    text: String,
    binds: Vec<Bind>,
}

#[derive(Debug, Clone)]
enum Bind {
    Int(i64),
    Float(Option<f64>),
    Text(Option<String>),
}

impl Sql {
    pub(crate) fn new(text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            binds: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, fragment: &str) -> &mut Self {
        self.text.push_str(fragment);
        self
    }

    /// Binds `value` and appends its `$N` placeholder.
    pub(crate) fn bind_text(&mut self, value: impl Into<String>) -> &mut Self {
        self.bind(Bind::Text(Some(value.into())))
    }

    pub(crate) fn bind_opt_text(&mut self, value: Option<String>) -> &mut Self {
        self.bind(Bind::Text(value))
    }

    pub(crate) fn bind_int(&mut self, value: i64) -> &mut Self {
        self.bind(Bind::Int(value))
    }

    pub(crate) fn bind_float(&mut self, value: Option<f64>) -> &mut Self {
        self.bind(Bind::Float(value))
    }

    fn bind(&mut self, value: Bind) -> &mut Self {
        self.binds.push(value);
        self.text.push_str(&format!("${}", self.binds.len()));
        self
    }

    pub(crate) fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments> {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(self.text.clone()));
        for b in &self.binds {
            q = match b {
                Bind::Int(v) => q.bind(*v),
                Bind::Float(v) => q.bind(*v),
                Bind::Text(v) => q.bind(v.clone()),
            };
        }
        q
    }

    pub(crate) fn query_as<T>(
        &self,
    ) -> sqlx::query::QueryAs<'_, sqlx::Any, T, sqlx::any::AnyArguments>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(self.text.clone()));
        for b in &self.binds {
            q = match b {
                Bind::Int(v) => q.bind(*v),
                Bind::Float(v) => q.bind(*v),
                Bind::Text(v) => q.bind(v.clone()),
            };
        }
        q
    }
}

impl Db {
    /// Runs one administrative statement (CREATE/DROP DATABASE) outside any
    /// transaction. For tests and tooling; never with user input.
    pub async fn execute_admin(&self, statement: &str) -> Result<()> {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_string()))
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}
