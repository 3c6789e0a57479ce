//! Index build time at 170,000 accounts and resolution latency over a mix of
//! phrasings (every class of the evaluation set).
//!
//! ```text
//! cargo bench -p heatdesk-address
//! ```
//! Criterion reports means; before it runs, this prints the p50/p99/max of
//! single resolutions, which is what the ≤ 1 ms target is about.

use std::hint::black_box;
use std::time::{Duration, Instant};

use address::eval;
use criterion::{Criterion, criterion_group};

const ACCOUNTS: usize = 170_000;

fn percentiles() {
    let city = eval::city(4, ACCOUNTS);
    let started = Instant::now();
    let index = city.index();
    let build = started.elapsed();
    let cases = eval::cases(&city, 5, 6_000);
    let mut micros: Vec<f64> = Vec::with_capacity(cases.len() * 3);
    for _ in 0..3 {
        for case in &cases {
            let started = Instant::now();
            let _ = black_box(index.resolve(black_box(&case.text), case.point));
            micros.push(started.elapsed().as_secs_f64() * 1e6);
        }
    }
    micros.sort_by(f64::total_cmp);
    let at = |q: f64| micros[((micros.len() - 1) as f64 * q) as usize];
    println!(
        "{} accounts: one build {:.0} ms; resolve over {} calls: p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        index.len(),
        build.as_secs_f64() * 1e3,
        micros.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    );
}

fn bench(c: &mut Criterion) {
    let city = eval::city(4, ACCOUNTS);
    let cases = eval::cases(&city, 5, 2_000);

    let mut group = c.benchmark_group("index");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(15));
    group.bench_function("build_170k", |b| {
        b.iter(|| black_box(city.index()));
    });
    group.finish();

    let index = city.index();
    let mut group = c.benchmark_group("resolve");
    group.measurement_time(Duration::from_secs(10));
    let mut i = 0;
    group.bench_function("mixed_phrasings_170k", |b| {
        b.iter(|| {
            let case = &cases[i % cases.len()];
            i += 1;
            black_box(index.resolve(black_box(&case.text), case.point))
        });
    });
    group.finish();
}

criterion_group!(benches, bench);

fn main() {
    percentiles();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
