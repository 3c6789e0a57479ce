//! The heatdesk binary: one file plus a database.

mod demo;

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use domain::{Clock, Phone, Role, SystemClock};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use server::config::Settings;
use server::{AppState, Config};
use store::Db;

#[derive(Parser)]
#[command(
    name = "heatdesk",
    version,
    about = "Customer service and repair dispatch for district heating"
)]
struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true, env = "HEATDESK_CONFIG")]
    config: Option<PathBuf>,
    /// sqlite://heatdesk.db or postgres://user@host/db (overrides the file).
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Log as JSON lines instead of text.
    #[arg(long, global = true, env = "HEATDESK_LOG_JSON")]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080.
        #[arg(long)]
        bind: Option<String>,
        /// Load the demo city first when the database is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Import a register file (all rows or none).
    Import {
        #[arg(value_parser = ["stations", "accounts", "staff"])]
        register: String,
        /// stations: .geojson; accounts, staff: .csv or .xlsx
        file: PathBuf,
    },
    /// Load a synthetic demo city into an empty database.
    Demo {
        #[arg(long, default_value_t = 20_000)]
        accounts: usize,
        #[arg(long, default_value_t = 21)]
        days: u32,
    },
    /// Manage login users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens for integrations.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user. The password is read from standard input when it is piped,
    /// otherwise generated and printed.
    Add {
        name: String,
        #[arg(long)]
        role: String,
        /// Station code, required for station and repairer users.
        #[arg(long)]
        station: Option<String>,
        /// Name shown in the console (default: the login name).
        #[arg(long)]
        display_name: Option<String>,
        /// Phone of this person in the staff register: the messages sent to
        /// them (escalations to a general manager, say) are shown as theirs.
        #[arg(long)]
        staff_phone: Option<String>,
    },
    /// Links an existing user to their staff register entry (by phone).
    Link {
        name: String,
        #[arg(long)]
        staff_phone: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token; it is printed once and stored only as a hash.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        station: Option<String>,
    },
}

fn load_config(cli: &Cli) -> anyhow::Result<Settings> {
    let mut figment = Figment::from(Serialized::defaults(Config::default()));
    if let Some(path) = &cli.config {
        if !path.exists() {
            bail!("configuration file {} does not exist", path.display());
        }
        figment = figment.merge(Toml::file(path));
    }
    // Only the configuration keys: other HEATDESK_* variables (tests, CI) are not settings.
    figment = figment.merge(Env::prefixed("HEATDESK_").only(&[
        "database_url",
        "bind",
        "timezone",
        "default_area_code",
        "session_hours",
        "login_max_failures",
        "login_window_minutes",
        "secure_cookies",
    ]));
    if let Some(url) = &cli.database_url {
        figment = figment.merge(("database_url", url));
    }
    if let Command::Serve {
        bind: Some(bind), ..
    } = &cli.command
    {
        figment = figment.merge(("bind", bind));
    }
    let config: Config = figment.extract().context("reading configuration")?;
    config
        .validate()
        .map_err(|e| anyhow::anyhow!("configuration: {e}"))
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init()
    } else {
        builder.init()
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(cli.log_json);
    let settings = load_config(&cli)?;
    let db = Db::connect(&settings.config.database_url)
        .await
        .with_context(|| format!("connecting to {}", settings.config.database_url))?;
    db.migrate().await.context("migrating the database")?;
    let clock = SystemClock;
    match cli.command {
        Command::Migrate => println!("database is up to date"),
        Command::Serve { demo, .. } => serve(db.clone(), settings, demo).await?,
        Command::Import { register, file } => {
            let kind =
                server::import::RegisterKind::parse(&register).context("unknown register")?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            match server::import::import(
                &db,
                kind,
                &name,
                &bytes,
                &settings.config.default_area_code,
                clock.now(),
            )
            .await
            {
                Ok(s) => println!(
                    "imported {register}: {} new, {} updated",
                    s.inserted, s.updated
                ),
                Err(server::AppError::Rows(rows)) => {
                    eprintln!(
                        "{}: {} rows have errors; nothing was imported",
                        file.display(),
                        rows.len()
                    );
                    for r in rows {
                        eprintln!("  row {}, column {}: {}", r.row, r.column, r.reason);
                    }
                    std::process::exit(2);
                }
                Err(e) => bail!("{}: {e}", file.display()),
            }
        }
        Command::Demo { accounts, days } => {
            if !database_is_empty(&db).await? {
                bail!("the database already holds data; the demo loads only into an empty one");
            }
            load_demo(&db, &settings, accounts, days).await?;
        }
        Command::User {
            command:
                UserCommand::Add {
                    name,
                    role,
                    station,
                    display_name,
                    staff_phone,
                },
        } => {
            let role = Role::parse(&role)?;
            // Checked before anything is written: a wrong phone leaves no half-made user.
            let staff_phone = match staff_phone {
                Some(p) => {
                    let phone =
                        Phone::parse("staff_phone", &p, &settings.config.default_area_code)?;
                    db.staff_id_by_phone(phone.as_str()).await?;
                    Some(phone)
                }
                None => None,
            };
            let password = read_or_generate_password()?;
            let hash = server::auth::hash_password(&password.0)?;
            let display = display_name.unwrap_or_else(|| name.clone());
            db.create_user(
                &name,
                &display,
                role,
                station.as_deref(),
                &hash,
                clock.now(),
            )
            .await?;
            if let Some(phone) = staff_phone {
                db.link_user_to_staff(&name, Some(phone.as_str())).await?;
            }
            if password.1 {
                println!(
                    "user {name} ({}) created; password: {}",
                    role.code(),
                    password.0
                );
            } else {
                println!("user {name} ({}) created", role.code());
            }
        }
        Command::User {
            command: UserCommand::Link { name, staff_phone },
        } => {
            let phone = Phone::parse(
                "staff_phone",
                &staff_phone,
                &settings.config.default_area_code,
            )?;
            db.link_user_to_staff(&name, Some(phone.as_str())).await?;
            println!("user {name} linked to staff {}", phone.as_str());
        }
        Command::Token {
            command:
                TokenCommand::Create {
                    name,
                    role,
                    station,
                },
        } => {
            let role = Role::parse(&role)?;
            let token = server::auth::new_secret("hd_");
            db.create_token(
                &name,
                role,
                station.as_deref(),
                &server::auth::secret_hash(&token),
                clock.now(),
            )
            .await?;
            eprintln!(
                "token {name} ({}) created; it is shown only this once:",
                role.code()
            );
            println!("{token}");
        }
    }
    db.close().await;
    Ok(())
}

/// The password and whether it was generated (and so must be printed).
fn read_or_generate_password() -> anyhow::Result<(String, bool)> {
    if !std::io::stdin().is_terminal() {
        let mut input = String::new();
        std::io::stdin().read_to_string(&mut input)?;
        let password = input.lines().next().unwrap_or("").trim().to_string();
        if !password.is_empty() {
            if password.chars().count() < 8 {
                bail!("password: at least 8 characters");
            }
            return Ok((password, false));
        }
    }
    Ok((
        server::auth::new_secret("").chars().take(16).collect(),
        true,
    ))
}

async fn database_is_empty(db: &Db) -> anyhow::Result<bool> {
    Ok(db.count_accounts().await? == 0
        && db.count_users().await? == 0
        && db.stations().await?.is_empty())
}

async fn load_demo(db: &Db, settings: &Settings, accounts: usize, days: u32) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let options = demo::DemoOptions {
        accounts,
        days,
        ..Default::default()
    };
    let summary = demo::load(
        db,
        &options,
        SystemClock.now(),
        settings.tz,
        &server::auth::hash_password,
    )
    .await?;
    println!(
        "demo city loaded in {:.1} s: {} stations, {} staff, {} accounts, {} tickets",
        started.elapsed().as_secs_f64(),
        summary.stations,
        summary.staff,
        summary.accounts,
        summary.tickets
    );
    println!("demo logins:");
    for login in &summary.logins {
        let station = login
            .station_code
            .as_deref()
            .map(|s| format!(" @ {s}"))
            .unwrap_or_default();
        println!(
            "  {:<10} {:<18} {}{station}",
            login.username,
            login.password,
            login.role.code()
        );
    }
    Ok(())
}

async fn serve(db: Db, settings: Settings, demo: bool) -> anyhow::Result<()> {
    if demo {
        if database_is_empty(&db).await? {
            load_demo(
                &db,
                &settings,
                demo::DemoOptions::default().accounts,
                demo::DemoOptions::default().days,
            )
            .await?;
        } else {
            println!(
                "database already holds data; demo not loaded (sign in with the logins printed when it was)"
            );
        }
    }
    let bind = settings.config.bind.clone();
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .with_context(|| format!("binding {bind}"))?;
    let addr = listener.local_addr()?;
    println!(
        "heatdesk is listening: open http://{addr}/ to sign in (API docs: http://{addr}/api/docs)"
    );
    let state = AppState::new(db.clone(), Arc::new(SystemClock), settings);
    server::launch(listener, state, shutdown_signal()).await?;
    db.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down");
}
