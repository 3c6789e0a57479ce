//! Resolves phrasings against the generated city and prints the answers as
//! the API would return them.
//!
//! ```text
//! cargo run -p heatdesk-address --example resolve -- "幸福小区3-2-501" ["lat,lon"]
//! ```

use address::eval;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let city = eval::city(4, 30_000);
    let index = city.index();
    let point = args
        .get(1)
        .and_then(|p| p.split_once(','))
        .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)));
    for text in args.first().into_iter() {
        println!("{}", address::normalise(text));
        match index.resolve(text, point) {
            Ok(r) => println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default()),
            Err(e) => println!("error {} on {}: {e}", e.code(), e.field()),
        }
    }
}
