//! Load: 32 concurrent HTTP clients register a repair call and dispatch it.
//!
//! cargo run --release -p heatdesk-server --example load -- --database sqlite --clients 32 --tickets 20000
//! cargo run --release -p heatdesk-server --example load -- --database postgres --clients 32 --tickets 20000
//!
//! `--one-step` registers and dispatches with one request (`dispatch: true`).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use serde_json::json;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let backend = common::arg("--database", "sqlite");
    let clients: usize = common::arg("--clients", "32").parse()?;
    let tickets: usize = common::arg("--tickets", "20000").parse()?;
    let one_step = std::env::args().any(|a| a == "--one-step");
    let bench = common::start(&backend).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let next = Arc::new(AtomicUsize::new(0));

    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (client, next, base, token) = (client.clone(), next.clone(), bench.base.clone(), bench.token.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0usize;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= tickets {
                        break;
                    }
                    let station = format!("S{:02}", i % 20 + 1);
                    let body = json!({
                        "kind": "repair", "category": "no_heat", "priority": "urgent",
                        "caller_name": "王女士", "caller_phone": format!("139{:08}", i),
                        "address": format!("幸福小区{}栋{}单元{}室", i % 30 + 1, i % 6 + 1, 101 + i % 17),
                        "description": "暖气不热", "station_code": station, "dispatch": one_step,
                    });
                    let t = Instant::now();
                    let r = client.post(format!("{base}/api/v1/tickets")).bearer_auth(&token).json(&body).send().await;
                    latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                    let number = match r {
                        Ok(r) if r.status() == 201 => r.json::<serde_json::Value>().await.ok().and_then(|v| v["number"].as_str().map(String::from)),
                        _ => None,
                    };
                    let Some(number) = number else {
                        errors += 1;
                        continue;
                    };
                    if !one_step {
                        let t = Instant::now();
                        let r = client
                            .post(format!("{base}/api/v1/tickets/{number}/actions"))
                            .bearer_auth(&token)
                            .json(&json!({"action": "dispatch", "station_code": station}))
                            .send()
                            .await;
                        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                        if !matches!(r, Ok(ref r) if r.status() == 200) {
                            errors += 1;
                        }
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for w in workers {
        let (l, e) = w.await?;
        latencies.extend(l);
        errors += e;
    }
    let secs = started.elapsed().as_secs_f64();
    let (p50, p99, max) = common::percentiles(&mut latencies);
    println!(
        "{backend}: {tickets} tickets registered+dispatched ({}) by {clients} clients in {secs:.1} s = {:.0} tickets/s; \
         {} requests, latency p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms; {errors} errors",
        if one_step {
            "one request each"
        } else {
            "two requests each"
        },
        tickets as f64 / secs,
        latencies.len(),
    );
    bench.finish().await;
    Ok(())
}
