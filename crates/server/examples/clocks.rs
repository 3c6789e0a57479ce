//! The clock scheduler and the notifier under load (issue 5):
//!
//! 1. the scheduler's per-tick query with nothing due, at 10,000 and at
//!    1,000,000 pending clocks (its cost must not grow with the backlog);
//! 2. 1,000 clocks falling due at the same instant among 1,000,000 pending,
//!    fired by the real worker loop (interval 1 s): how long after the due
//!    time the first and the last have fired;
//! 3. the notifier's throughput to a local webhook gateway.
//!
//! cargo run --release -p heatdesk-server --example clocks -- --database sqlite --clocks 1000000
//! cargo run --release -p heatdesk-server --example clocks -- --database postgres --clocks 1000000

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::{Clock, Position, SystemClock, Timestamp};
use server::AppState;
use server::config::Config;
use server::workers::Notifier;
use store::bulk::{BulkEvent, BulkTicket};
use store::org::StaffRecord;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let backend = common::arg("--database", "sqlite");
    let wanted: i64 = common::arg("--clocks", "1000000").parse()?;
    let messages_tickets: usize = common::arg("--dispatches", "1000").parse()?;
    let mut config = Config::default();
    config.workers.enabled = false;
    let bench = common::start_with(&backend, config).await?;
    let now = SystemClock.now();

    println!("| pending clocks | per-tick query, nothing due: p50 ms | p99 ms |");
    println!("|---|---|---|");
    for size in [10_000.min(wanted), wanted] {
        grow(&bench, size, now).await?;
        let pending = bench.db.count_pending_clocks().await?;
        let mut samples = Vec::new();
        for _ in 0..200 {
            let t = Instant::now();
            let due = bench.db.due_clocks(SystemClock.now(), 500).await?;
            samples.push(t.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(due.is_empty(), "nothing should be due yet");
        }
        let (p50, p99, _) = common::percentiles(&mut samples);
        println!("| {pending} | {p50:.3} | {p99:.3} |");
    }

    // 1,000 clocks due two seconds from now; the real loop fires them.
    let due_at = SystemClock.now().plus_millis(2_000);
    let ids = bench.db.bulk_make_clocks_due(1_000, due_at).await?;
    let workers = server::workers::spawn(bench.state.clone()).map_err(anyhow::Error::msg)?;
    let (mut first, mut last) = (None, None);
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let fired = bench.db.count_fired(&ids).await?;
        let late_ms = SystemClock.now().millis() - due_at.millis();
        if fired > 0 && first.is_none() {
            first = Some(late_ms);
        }
        if fired == ids.len() as i64 {
            last = Some(late_ms);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for w in workers {
        w.abort();
    }
    println!(
        "\n1,000 clocks due at once among {} pending: first fired {} ms after the due time, all {} ms after (worker interval 1 s)",
        bench.db.count_pending_clocks().await?,
        first.map_or("—".into(), |v| v.to_string()),
        last.map_or("not within 60 s".into(), |v| v.to_string()),
    );

    // The notifier: dispatches to stations with crews, then delivery to a local gateway.
    bench.db.import_staff(&staff(), now).await?;
    let client = reqwest::Client::new();
    for i in 0..messages_tickets {
        let r = client
            .post(format!("{}/api/v1/tickets", bench.base))
            .bearer_auth(&bench.token)
            .json(&serde_json::json!({
                "kind": "repair", "category": "暖气不热", "priority": "urgent",
                "caller_name": "用户", "caller_phone": format!("139{:08}", i),
                "address": "幸福小区1栋1单元101", "description": "暖气不热",
                "station_code": format!("S{:02}", i % 20 + 1), "dispatch": true,
            }))
            .send()
            .await?;
        anyhow::ensure!(r.status() == 201, "register: {}", r.text().await?);
    }
    let gateway = gateway().await?;
    let mut config = Config::default();
    config.workers.enabled = false;
    config.notify.sms.driver = "webhook".into();
    config.notify.sms.url = Some(gateway);
    let settings = config.validate().map_err(anyhow::Error::msg)?;
    let state = AppState::new(bench.db.clone(), Arc::new(SystemClock), settings);
    let notifier = Notifier::new(&state).map_err(anyhow::Error::msg)?;
    let t = Instant::now();
    let mut sent = 0;
    loop {
        let r = notifier.deliver_due(&state).await?;
        anyhow::ensure!(r.failed == 0 && r.retrying == 0, "{r:?}");
        if r.sent == 0 {
            break;
        }
        sent += r.sent;
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "notifier: {sent} messages from {messages_tickets} dispatches to a local webhook in {secs:.2} s = {:.0} messages/s",
        sent as f64 / secs
    );
    bench.finish().await;
    Ok(())
}

/// Seeds dispatched tickets until `size` of them hold a pending clock,
/// warnings spread over the next 30 days.
async fn grow(bench: &common::Bench, size: i64, now: Timestamp) -> anyhow::Result<()> {
    let have = bench.db.count_tickets().await?;
    let t = Instant::now();
    let mut n = have;
    while n < size {
        let end = (n + 20_000).min(size);
        let tickets: Vec<BulkTicket> = (n..end)
            .map(|i| BulkTicket {
                number: format!("C{i:08}"),
                kind: "repair",
                category: "no_heat",
                priority: "normal",
                status: "dispatched",
                caller_name: "用户".into(),
                caller_phone: format!("13{:09}", i),
                address: "幸福小区1栋1单元101".into(),
                description: "暖气不热".into(),
                account_no: None,
                station_id: Some(bench.station_ids[i as usize % bench.station_ids.len()]),
                created_at: now,
                updated_at: now,
                events: vec![BulkEvent {
                    kind: "dispatched",
                    at: now,
                    actor: "bench".into(),
                    status_after: "dispatched",
                }],
            })
            .collect();
        bench.db.bulk_insert_tickets(&tickets).await?;
        n = end;
    }
    // Warnings from an hour from now on, over 30 days: nothing is due during the run.
    bench
        .db
        .bulk_start_clocks(now.plus_millis(Timestamp::HOUR), 30 * Timestamp::DAY)
        .await?;
    bench.db.analyze().await?;
    if n > have {
        println!(
            "(seeded {} tickets with clocks in {:.1} s)",
            n - have,
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// A director, a production deputy and two repairers per station, a
/// manager per branch and a general manager: six SMS per dispatch.
fn staff() -> Vec<StaffRecord> {
    let mut people = vec![person(0, Position::GeneralManager, None, None)];
    for b in 1..=4 {
        people.push(person(
            b,
            Position::BranchManager,
            Some(format!("第{b}分公司")),
            None,
        ));
    }
    for s in 1..=20 {
        let station = Some(format!("S{s:02}"));
        for (k, p) in [
            Position::StationDirector,
            Position::ProductionDeputy,
            Position::Repairer,
            Position::Repairer,
        ]
        .into_iter()
        .enumerate()
        {
            people.push(person(100 + s * 10 + k, p, None, station.clone()));
        }
    }
    people
}

fn person(
    n: usize,
    position: Position,
    branch: Option<String>,
    station: Option<String>,
) -> StaffRecord {
    StaffRecord {
        row: n + 2,
        name: format!("员工{n}"),
        phone: format!("1370000{n:04}"),
        position,
        branch,
        station_code: station,
        email: None,
    }
}

/// A gateway that takes every message.
async fn gateway() -> anyhow::Result<String> {
    let app = axum::Router::new().route("/sms", axum::routing::post(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/sms", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(url)
}
