//! Accuracy and latency on the full generated evaluation set.
//!
//! ```text
//! cargo run -p heatdesk-address --release --example eval [accounts] [cases] [seed]
//! ```
//! Defaults: 100,000 accounts, 6,000 phrasings, seed 4. Prints the accuracy
//! report, index build time, and resolution latency percentiles.

use std::time::Instant;

use address::eval;

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let accounts = args.first().copied().unwrap_or(100_000) as usize;
    let count = args.get(1).copied().unwrap_or(6_000) as usize;
    let seed = args.get(2).copied().unwrap_or(4);

    let city = eval::city(seed, accounts);
    let started = Instant::now();
    let index = city.index();
    let build = started.elapsed();
    let cases = eval::cases(&city, seed + 1, count);
    println!(
        "register: {} accounts, {} communities, {} stations, {} aliases",
        index.len(),
        city.communities.len(),
        city.stations.len(),
        city.aliases.len()
    );
    println!("index build: {:.1} ms", build.as_secs_f64() * 1e3);
    println!(
        "misplaced accounts found: {}",
        index.misplaced_accounts().len()
    );

    let report = eval::evaluate(&index, &cases);
    if std::env::var_os("EVAL_MISSES").is_some() {
        print!("{report:#}");
    } else {
        print!("{report}");
    }

    let mut latencies: Vec<f64> = Vec::with_capacity(cases.len() * 3);
    for _ in 0..3 {
        for case in &cases {
            let started = Instant::now();
            let _ = std::hint::black_box(index.resolve(&case.text, case.point));
            latencies.push(started.elapsed().as_secs_f64() * 1e6);
        }
    }
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q) as usize];
    println!(
        "resolve latency over {} calls: p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        latencies.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    );
}
