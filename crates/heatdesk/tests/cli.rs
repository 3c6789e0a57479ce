//! The binary as an administrator uses it: migrate, import, user, token,
//! demo and serve, on a fresh SQLite file (and PostgreSQL when configured).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_heatdesk");

struct Database {
    url: String,
    cleanup: Box<dyn Fn()>,
}

impl Drop for Database {
    fn drop(&mut self) {
        (self.cleanup)();
    }
}

fn sqlite(name: &str) -> Database {
    let path = std::env::temp_dir().join(format!("heatdesk_cli_{name}_{}.db", std::process::id()));
    let p = path.clone();
    let cleanup = move || {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
        }
    };
    cleanup();
    Database {
        url: format!("sqlite://{}", path.display()),
        cleanup: Box::new(cleanup),
    }
}

/// A fresh PostgreSQL database made with psql, when HEATDESK_TEST_PG_URL is set.
fn postgres(name: &str) -> Option<Database> {
    let admin = std::env::var("HEATDESK_TEST_PG_URL").ok()?;
    let db = format!("heatdesk_cli_{name}_{}", std::process::id());
    let admin_url = admin.clone();
    let psql = move |sql: String| {
        let status = Command::new("psql")
            .env("PGOPTIONS", "--client-min-messages=warning")
            .arg(&admin_url)
            .arg("-qc")
            .arg(sql)
            .status()
            .expect("psql");
        assert!(status.success());
    };
    psql(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
    psql(format!("CREATE DATABASE {db}"));
    let url = format!("{}/{db}", admin.rsplit_once('/').expect("url").0);
    let drop_db = format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)");
    Some(Database {
        url,
        cleanup: Box::new(move || psql(drop_db.clone())),
    })
}

fn run(db: &Database, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .args(["--database-url", &db.url])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run heatdesk");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("wait")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Starts `serve` on a free port and returns the child and its base URL.
fn serve(db: &Database) -> (Child, String) {
    serve_with(db, &[])
}

/// As [`serve`], with global flags (`--config FILE`) before the subcommand.
fn serve_with(db: &Database, global: &[&str]) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(global)
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url", &db.url])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let stdout = child.stdout.take().expect("stdout");
    let line = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find(|l| l.contains("listening"))
        .expect("listening line");
    let url = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("address");
    (child, format!("http://{url}"))
}

const STATIONS: &str = r#"{"type": "FeatureCollection", "features": [
 {"type": "Feature", "properties": {"code": "S01", "name": "红旗供热站", "branch": "南岗分公司"},
  "geometry": {"type": "Polygon", "coordinates": [[[126.60, 45.70], [126.61, 45.70], [126.61, 45.71], [126.60, 45.71], [126.60, 45.70]]]}}]}"#;

fn administer(db: Database) {
    // One directory per database: the SQLite and PostgreSQL runs go in parallel.
    let backend = if db.url.starts_with("sqlite") {
        "sqlite"
    } else {
        "pg"
    };
    let dir = std::env::temp_dir().join(format!(
        "heatdesk_cli_files_{}_{backend}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    let stations = dir.join("stations.geojson");
    std::fs::write(&stations, STATIONS).expect("write");
    let accounts = dir.join("accounts.csv");
    // GBK, as Excel writes it on a Chinese system.
    let (gbk, _, _) = encoding_rs::GBK.encode(
        "account_no,holder,phone,district,street,community,building,unit,room,area_m2,station_code,lat,lon\r\n\
         A1,王秀英,13800000001,南岗区,光华街,幸福小区,3,2,501,86.5,S01,,\r\n",
    );
    std::fs::write(&accounts, &gbk).expect("write");
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "account_no,holder,phone,district,street,community,building,unit,room,area_m2,station_code,lat,lon\nA2,李,12,南岗区,光华街,幸福小区,3,2,502,x,S01,,\n").expect("write");

    let o = run(&db, &["migrate"], None);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(
        &db,
        &["import", "stations", stations.to_str().unwrap()],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("1 new"), "{}", text(&o));
    let o = run(
        &db,
        &["import", "accounts", accounts.to_str().unwrap()],
        None,
    );
    assert!(
        text(&o).contains("imported accounts: 1 new, 0 updated"),
        "{}",
        text(&o)
    );
    let o = run(&db, &["import", "accounts", bad.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let report = text(&o);
    assert!(
        report.contains("row 2, column phone") && report.contains("row 2, column area_m2"),
        "{report}"
    );

    let o = run(
        &db,
        &[
            "user",
            "add",
            "wangli",
            "--role",
            "operator",
            "--display-name",
            "王丽",
        ],
        Some("a long password\n"),
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = run(
        &db,
        &["user", "add", "zhan", "--role", "station"],
        Some("a long password\n"),
    );
    assert!(!o.status.success(), "a station user needs --station");
    let o = run(
        &db,
        &[
            "user",
            "add",
            "zhan",
            "--role",
            "station",
            "--station",
            "S01",
        ],
        None,
    );
    assert!(
        text(&o).contains("password: "),
        "generated and printed: {}",
        text(&o)
    );
    // A manager who is the general manager of the staff register.
    let staff = dir.join("staff.csv");
    std::fs::write(&staff, "name,phone,position\n李总,139 0000 0001,总经理\n").expect("write");
    let o = run(&db, &["import", "staff", staff.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(
        &db,
        &[
            "user",
            "add",
            "li",
            "--role",
            "manager",
            "--staff-phone",
            "13900000001",
        ],
        Some("a long password\n"),
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = run(
        &db,
        &["user", "link", "wangli", "--staff-phone", "13900000009"],
        None,
    );
    assert!(!o.status.success(), "no such staff member");
    assert!(text(&o).contains("13900000009"), "{}", text(&o));
    let o = run(
        &db,
        &[
            "user",
            "add",
            "zhao",
            "--role",
            "manager",
            "--staff-phone",
            "13900000009",
        ],
        Some("a long password\n"),
    );
    assert!(!o.status.success(), "no such staff member");
    let o = run(
        &db,
        &["user", "add", "zhao", "--role", "manager"],
        Some("a long password\n"),
    );
    assert!(o.status.success(), "nothing was half-made: {}", text(&o));

    let o = run(
        &db,
        &["token", "create", "--name", "cti", "--role", "operator"],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    let token = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert!(token.starts_with("hd_"));

    let (mut server, base) = serve(&db);
    let rt = tokio_runtime();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let r = client
            .get(format!("{base}/api/v1/accounts?phone=13800000001"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["items"][0]["holder"], "王秀英", "GBK decoded");
        let r = client
            .post(format!("{base}/api/v1/login"))
            .json(&serde_json::json!({"username": "wangli", "password": "a long password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    });
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

fn demo_city(db: Database) {
    let o = run(&db, &["demo", "--accounts", "3000", "--days", "3"], None);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("demo logins") && out.contains("operator1"),
        "{out}"
    );
    let o = run(&db, &["demo"], None);
    assert!(
        !o.status.success(),
        "the demo refuses a database that holds data"
    );
    let (mut server, base) = serve(&db);
    let password = out
        .lines()
        .find(|l| l.trim_start().starts_with("operator1"))
        .and_then(|l| l.split_whitespace().nth(1))
        .expect("operator1's password")
        .to_string();
    tokio_runtime().block_on(async {
        let client = reqwest::Client::new();
        let r = client
            .post(format!("{base}/api/v1/login"))
            .json(&serde_json::json!({"username": "operator1", "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let cookie = r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let stations: serde_json::Value = client
            .get(format!("{base}/api/v1/stations"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(stations.as_array().unwrap().len() >= 15);
        let tickets: serde_json::Value = client
            .get(format!("{base}/api/v1/tickets?limit=500"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        // Volume scales with the city: 3,000 accounts make a dozen or more calls a day.
        assert!(
            tickets["items"].as_array().unwrap().len() > 20,
            "a few days of history: {tickets}"
        );
        // The history's messages count as delivered back then: none waits
        // to go out at start-up (only what the clocks fire from now on).
        let pending: serde_json::Value = client
            .get(format!(
                "{base}/api/v1/messages?state=pending&event=dispatched&limit=500"
            ))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(pending["items"], serde_json::json!([]), "{pending}");
        let sent: serde_json::Value = client
            .get(format!(
                "{base}/api/v1/messages?state=sent&event=dispatched&limit=5"
            ))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(!sent["items"].as_array().unwrap().is_empty(), "{sent}");
    });
    let _ = server.kill();
    let _ = server.wait();
}

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn administer_on_sqlite() {
    administer(sqlite("admin"));
}

#[test]
fn administer_on_postgres() {
    match postgres("admin") {
        Some(db) => administer(db),
        None => assert_ne!(
            std::env::var("HEATDESK_REQUIRE_PG").as_deref(),
            Ok("1"),
            "PostgreSQL required"
        ),
    }
}

#[test]
fn demo_city_on_sqlite() {
    demo_city(sqlite("demo"));
}

#[test]
fn demo_city_on_postgres() {
    match postgres("demo") {
        Some(db) => demo_city(db),
        None => assert_ne!(
            std::env::var("HEATDESK_REQUIRE_PG").as_deref(),
            Ok("1"),
            "PostgreSQL required"
        ),
    }
}

/// An invalid deadline policy stops start-up, naming the key.
#[test]
fn invalid_policy_stops_serve() {
    let db = sqlite("policy");
    let path = std::env::temp_dir().join(format!("heatdesk_policy_{}.toml", std::process::id()));
    for (toml, key) in [
        (
            "[[sla]]\nkind = \"repair\"\naccept = \"-10m\"\n",
            "sla[0].accept",
        ),
        (
            "[escalation]\nlevels = [ { after = \"0s\", notify = [\"janitor\"] } ]\n",
            "escalation.levels[0].notify",
        ),
    ] {
        std::fs::write(&path, toml).expect("write config");
        let out = run(
            &db,
            &[
                "--config",
                path.to_str().expect("path"),
                "serve",
                "--bind",
                "127.0.0.1:0",
            ],
            None,
        );
        assert!(!out.status.success(), "{}", text(&out));
        assert!(text(&out).contains(key), "{key}: {}", text(&out));
    }
    let _ = std::fs::remove_file(&path);
}

/// A clock that falls due while the process is dead (`kill -9`) fires once
/// when it is back. The one test here that waits for real time: what it
/// checks is the process dying, which no manual clock can stand in for.
#[test]
fn a_clock_due_during_a_kill_9_fires_after_restart() {
    let db = sqlite("kill9");
    let dir = std::env::temp_dir().join(format!("heatdesk_kill9_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let stations = dir.join("stations.geojson");
    std::fs::write(&stations, STATIONS).expect("write");
    let config = dir.join("heatdesk.toml");
    std::fs::write(
        &config,
        "[[sla]]\naccept = \"2s\"\nwarn_at = 0.5\n\n\
         [escalation]\nlevels = [ { after = \"0s\", notify = [\"general_manager\"] } ]\n\n\
         [workers]\ninterval = \"100ms\"\n",
    )
    .expect("write");
    let config = config.to_str().expect("path").to_string();
    assert!(run(&db, &["migrate"], None).status.success());
    let o = run(
        &db,
        &["import", "stations", stations.to_str().unwrap()],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = run(
        &db,
        &["token", "create", "--name", "t", "--role", "operator"],
        None,
    );
    let token = String::from_utf8_lossy(&o.stdout).trim().to_string();

    let rt = tokio_runtime();
    let client = reqwest::Client::new();
    let (mut first, base) = serve_with(&db, &["--config", &config]);
    let number = rt.block_on(async {
        let r = client
            .post(format!("{base}/api/v1/tickets"))
            .bearer_auth(&token)
            .json(&serde_json::json!({
                "kind": "repair", "category": "暖气不热", "priority": "urgent",
                "caller_name": "王秀英", "caller_phone": "13800000001",
                "address": "幸福小区3栋2单元501", "description": "不热",
                "station_code": "S01", "dispatch": true,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let body: serde_json::Value = r.json().await.unwrap();
        body["number"].as_str().unwrap().to_string()
    });
    // SIGKILL: no shutdown, nothing flushed on the way out.
    first.kill().expect("kill -9");
    let _ = first.wait();
    std::thread::sleep(std::time::Duration::from_millis(2500));

    let (mut second, base) = serve_with(&db, &["--config", &config]);
    let accept_events = rt.block_on(async {
        let fetch = || async {
            let t: serde_json::Value = client
                .get(format!("{base}/api/v1/tickets/{number}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            t["events"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["step"] == "accept")
                .map(|e| e["kind"].as_str().unwrap().to_string())
                .collect::<Vec<String>>()
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while fetch().await.is_empty() && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        // A few more scheduler ticks, to see that nothing fires twice.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        fetch().await
    });
    let _ = second.kill();
    let _ = second.wait();
    let _ = std::fs::remove_dir_all(&dir);
    // The warning came due while it was down and is dropped; the escalation fires once.
    assert_eq!(accept_events, vec!["escalated".to_string()]);
}
