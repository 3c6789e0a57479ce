//! Queries on a database holding 1,000,000 tickets: filtered lists and one
//! ticket with its events, over HTTP, p50/p99 of 200 runs each.
//!
//! cargo run --release -p heatdesk-server --example query -- --database sqlite --tickets 1000000 --keep heatdesk_bench_1m
//! cargo run --release -p heatdesk-server --example query -- --database postgres --tickets 1000000 --keep heatdesk_bench_1m
//!
//! `--keep NAME` keeps the seeded database for the next run (seeding takes a while).

mod common;

use std::time::Instant;

use domain::{Clock, SystemClock, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use store::bulk::{BulkEvent, BulkTicket};

const KINDS: [(&str, &str); 5] = [
    ("repair", "no_heat"),
    ("repair", "leak"),
    ("inquiry", "payment"),
    ("complaint", "service_attitude"),
    ("temperature", "low_temp"),
];
const COMMUNITIES: [&str; 8] = [
    "幸福小区",
    "阳光家园",
    "锦绣花园",
    "和平新村",
    "康乐苑",
    "华府公寓",
    "青年城",
    "松花江畔",
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let backend = common::arg("--database", "sqlite");
    let wanted: i64 = common::arg("--tickets", "1000000").parse()?;
    let runs: usize = common::arg("--runs", "200").parse()?;
    // The scheduler stays off: the seeded clocks that are due would fire
    // during the measurements (the clocks example measures the scheduler).
    let mut config = server::config::Config::default();
    config.workers.enabled = false;
    let bench = common::start_with(&backend, config).await?;

    // Accounts first: statistics gathered on an empty register would make
    // PostgreSQL check the import's foreign keys by scanning (quadratic).
    if bench.db.count_accounts().await? < 170_000 {
        let t = Instant::now();
        bench
            .db
            .import_accounts(&accounts(&bench, 170_000), SystemClock.now())
            .await?;
        println!(
            "imported 170000 accounts in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    let have = bench.db.count_tickets().await?;
    if have < wanted {
        let t = Instant::now();
        seed(&bench, have, wanted).await?;
        // The open tickets' clocks, one in twenty past its deadline (some
        // 4,500 late tickets: a bad day on the hotline).
        let now = SystemClock.now();
        bench
            .db
            .bulk_start_clocks(now.plus_millis(-Timestamp::DAY), 20 * Timestamp::DAY)
            .await?;
        bench.db.analyze().await?;
        println!(
            "seeded {} tickets in {:.1} s",
            wanted - have,
            t.elapsed().as_secs_f64()
        );
    }
    let total = bench.db.count_tickets().await?;
    let client = reqwest::Client::new();
    let get = |path: String| async {
        let (ms, text) = timed_get(&client, &bench, path).await?;
        Ok::<_, anyhow::Error>((ms, serde_json::from_str::<serde_json::Value>(&text)?))
    };
    // A number and a phone that exist, from the newest page.
    let (_, newest) = get("/api/v1/tickets?limit=1".into()).await?;
    let phone = newest["items"][0]["caller_phone"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (_, middle) = get("/api/v1/tickets?status=closed&limit=500".into()).await?;
    let cursor_mid = middle["next_cursor"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    let queries: Vec<(&str, String)> = vec![
        ("newest 50", "/api/v1/tickets".into()),
        (
            "status=dispatched",
            "/api/v1/tickets?status=dispatched".into(),
        ),
        (
            "station + open statuses",
            "/api/v1/tickets?station=S07&status=dispatched,accepted,contacted,scheduled,on_site"
                .into(),
        ),
        (
            "kind + priority",
            "/api/v1/tickets?kind=repair&priority=emergency".into(),
        ),
        ("caller phone", format!("/api/v1/tickets?q={phone}")),
        (
            "text in address",
            "/api/v1/tickets?q=%E9%94%A6%E7%BB%A3%E8%8A%B1%E5%9B%AD".into(),
        ),
        (
            "rare text (full scan)",
            "/api/v1/tickets?q=%E4%B8%8D%E5%AD%98%E5%9C%A8%E7%9A%84%E5%9C%B0%E5%9D%80".into(),
        ),
        (
            "one day",
            "/api/v1/tickets?from=2026-11-20&to=2026-11-21".into(),
        ),
        (
            "page 2 of closed (cursor)",
            format!("/api/v1/tickets?status=closed&cursor={cursor_mid}"),
        ),
    ];
    println!("{backend}, {total} tickets, {runs} runs each (HTTP, server in-process)");
    println!("| query | rows | p50 ms | p99 ms |");
    println!("|---|---|---|---|");
    for (name, path) in &queries {
        let mut samples = Vec::new();
        let mut rows = 0;
        for _ in 0..runs {
            let (ms, body) = get(path.clone()).await?;
            rows = body["items"].as_array().map_or(0, Vec::len);
            samples.push(ms);
        }
        let (p50, p99, _) = common::percentiles(&mut samples);
        println!("| {name} | {rows} | {p50:.2} | {p99:.2} |");
    }
    // One ticket with its events, different tickets each time.
    let numbers: Vec<String> = middle["items"].as_array().map_or(vec![], |items| {
        items
            .iter()
            .filter_map(|t| t["number"].as_str().map(String::from))
            .collect()
    });
    let mut samples = Vec::new();
    for i in 0..runs {
        let number = &numbers[i % numbers.len().max(1)];
        let (ms, body) = get(format!("/api/v1/tickets/{number}")).await?;
        anyhow::ensure!(body["events"].as_array().is_some_and(|e| !e.is_empty()));
        samples.push(ms);
    }
    let (p50, p99, _) = common::percentiles(&mut samples);
    println!("| one ticket with events | 1 | {p50:.2} | {p99:.2} |");

    // Console pages (HTML), server-side time as seen by the client.
    let html = |path: String| async {
        let (ms, text) = timed_get(&client, &bench, path).await?;
        Ok::<_, anyhow::Error>((ms, text.len()))
    };
    let pages: Vec<(&str, String)> = vec![
        ("intake page", "/".into()),
        (
            "caller lookup (170k accounts)",
            "/console/lookup?phone=13000000042".into(),
        ),
        ("queue: in progress", "/queues?queue=in_progress".into()),
        (
            "queue: in progress, table only (no counts)",
            "/queues?queue=in_progress&fragment=1".into(),
        ),
        ("queue: late", "/queues?queue=late".into()),
        ("queue: callback", "/queues?queue=callback".into()),
        (
            "queue: station S07",
            "/queues?queue=in_progress&station=S07".into(),
        ),
        (
            "queue: in progress by priority",
            "/queues?queue=in_progress&sort=priority&fragment=1".into(),
        ),
        (
            "queue: in progress by status",
            "/queues?queue=in_progress&sort=status&fragment=1".into(),
        ),
        (
            "queue: S07 by priority, oldest",
            "/queues?queue=in_progress&station=S07&sort=priority&fragment=1".into(),
        ),
        (
            "queue: all by status",
            "/queues?queue=all&sort=status&fragment=1".into(),
        ),
        ("ticket page", format!("/tickets/{}", numbers[0])),
        // The board: four sections (late, incoming, in progress, scheduled)
        // of up to 200 rows each, with their crews and forms.
        ("station board S07", "/station?station=S07".into()),
        // The board's "late" section on its own: one station's late clocks.
        (
            "queue: late at S07, table only",
            "/queues?queue=late&station=S07&fragment=1".into(),
        ),
    ];
    println!("| console page | bytes | gzip bytes | p50 ms | p99 ms |");
    println!("|---|---|---|---|---|");
    for (name, path) in &pages {
        // What a browser downloads (reqwest here does not decode gzip).
        let gzipped = client
            .get(format!("{}{path}", bench.base))
            .bearer_auth(&bench.token)
            .header("accept-encoding", "gzip")
            .send()
            .await?
            .bytes()
            .await?
            .len();
        let mut samples = Vec::new();
        let mut bytes = 0;
        for _ in 0..runs {
            let (ms, len) = html(path.clone()).await?;
            bytes = len;
            samples.push(ms);
        }
        let (p50, p99, _) = common::percentiles(&mut samples);
        println!("| {name} | {bytes} | {gzipped} | {p50:.2} | {p99:.2} |");
    }
    // The queue counts of a page, in the store: all six, and the four state
    // queues alone (the other two read the clocks table).
    let mut counts = Vec::new();
    let mut states = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        bench.db.queue_counts(None, SystemClock.now()).await?;
        counts.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        bench.db.state_counts(None).await?;
        states.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (c50, c99, _) = common::percentiles(&mut counts);
    let (s50, s99, _) = common::percentiles(&mut states);
    println!("| store: queue_counts (all six) | - | {c50:.2} | {c99:.2} |");
    println!("| store: state_counts (four state queues) | - | {s50:.2} | {s99:.2} |");
    bench.finish().await;
    Ok(())
}

/// A plausible history: ~90 % closed, the rest spread over the open states,
/// over the last 200 days, 20 stations, phones from a pool of 170,000.
async fn seed(bench: &common::Bench, from: i64, to: i64) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(7 + from as u64);
    let now = SystemClock.now();
    let span = 200 * Timestamp::DAY;
    let chunk = 50_000;
    let mut i = from;
    while i < to {
        let end = (i + chunk).min(to);
        let tickets: Vec<BulkTicket> = (i..end)
            .map(|n| {
                // Ids grow with time, as in real life.
                let created = Timestamp(now.millis() - span + span * n / to.max(1));
                let (kind, category) = KINDS[rng.random_range(0..KINDS.len())];
                let status = match rng.random_range(0..100) {
                    0..90 => "closed",
                    90..93 => "dispatched",
                    93..95 => "accepted",
                    95..96 => "scheduled",
                    96..98 => "resolved",
                    98..99 => "cancelled",
                    _ => "on_site",
                };
                let events = [
                    "registered",
                    "dispatched",
                    "accepted",
                    "arrived",
                    "resolved",
                    "callback_satisfied",
                ]
                .iter()
                // Three events a ticket keep the seed quick; the timeline query reads them all.
                .take(3)
                .enumerate()
                .map(|(k, kind)| BulkEvent {
                    kind,
                    at: created.plus_millis(k as i64 * 20 * Timestamp::MINUTE),
                    actor: "bench".into(),
                    status_after: status,
                })
                .collect();
                let community = COMMUNITIES[rng.random_range(0..COMMUNITIES.len())];
                BulkTicket {
                    number: format!("B{}-{n:07}", created.day_key(chrono_tz::Asia::Shanghai)),
                    kind,
                    category,
                    priority: ["normal", "normal", "normal", "urgent", "emergency"]
                        [rng.random_range(0..5)],
                    status,
                    caller_name: "用户".into(),
                    caller_phone: format!(
                        "13{:09}",
                        rng.random_range(0..170_000) * 4099 % 1_000_000_000
                    ),
                    address: format!(
                        "{community}{}栋{}单元{}室",
                        rng.random_range(1..30),
                        rng.random_range(1..7),
                        rng.random_range(101..1802)
                    ),
                    description: "暖气不热".into(),
                    account_no: None,
                    station_id: Some(
                        bench.station_ids[rng.random_range(0..bench.station_ids.len())],
                    ),
                    created_at: created,
                    updated_at: created.plus_millis(2 * Timestamp::HOUR),
                    events,
                }
            })
            .collect();
        bench.db.bulk_insert_tickets(&tickets).await?;
        i = end;
    }
    Ok(())
}

/// A register of `n` accounts over the 20 stations, phones 130000000NN….
fn accounts(bench: &common::Bench, n: usize) -> Vec<store::accounts::AccountRecord> {
    let codes: Vec<String> = (1..=bench.station_ids.len())
        .map(|i| format!("S{i:02}"))
        .collect();
    (0..n)
        .map(|i| store::accounts::AccountRecord {
            row: i + 2,
            account_no: format!("HB{i:07}"),
            holder: "用户".into(),
            phones: vec![format!("130{:08}", i)],
            district: "南岗区".into(),
            street: "光华街".into(),
            community: COMMUNITIES[i % COMMUNITIES.len()].into(),
            building: format!("{}", i / 600 % 30 + 1),
            unit: format!("{}", i / 100 % 6 + 1),
            room: format!("{}", 101 + i % 100),
            area_m2: 80.0,
            payment_state: domain::PaymentState::Paid,
            station_code: codes[i % codes.len()].clone(),
            lat: None,
            lon: None,
        })
        .collect()
}

/// GETs `path` with the bench token: milliseconds to the full body, and the body.
async fn timed_get(
    client: &reqwest::Client,
    bench: &common::Bench,
    path: String,
) -> anyhow::Result<(f64, String)> {
    let t = Instant::now();
    let r = client
        .get(format!("{}{path}", bench.base))
        .bearer_auth(&bench.token)
        .send()
        .await?;
    let status = r.status();
    let body = r.text().await?;
    anyhow::ensure!(status == 200, "{path}: {status} {body}");
    Ok((t.elapsed().as_secs_f64() * 1000.0, body))
}
