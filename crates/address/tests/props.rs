//! Properties over arbitrary input: the normaliser, the parser and the
//! resolver never panic, and normalising is idempotent.

use std::sync::OnceLock;

use address::{AddressIndex, eval, normalise, parse};
use proptest::prelude::*;

fn index() -> &'static AddressIndex {
    static INDEX: OnceLock<AddressIndex> = OnceLock::new();
    INDEX.get_or_init(|| eval::city(1, 3_000).index())
}

/// Text that looks like addresses more often than random text does.
fn addressy() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "幸福",
        "小区",
        "家园",
        "三",
        "十",
        "二十三",
        "五零一",
        "〇",
        "栋",
        "号楼",
        "号",
        "幢",
        "座",
        "#",
        "单元",
        "门",
        "室",
        "户",
        "楼",
        "层",
        "-",
        " ",
        "，",
        "我家在",
        "那个",
        "暖气不热",
        "3",
        "501",
        "Ａ",
        "１２",
        "区",
        "街",
        "路",
        "期",
        "院",
        "😀",
        "\u{0}",
        "\u{202e}",
        "é",
        "مرحبا",
    ]);
    prop::collection::vec(pieces, 0..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn normalise_is_idempotent(text in addressy()) {
        let once = normalise(&text);
        prop_assert_eq!(normalise(&once), once);
    }

    #[test]
    fn normalise_is_idempotent_on_anything(text in any::<String>()) {
        let once = normalise(&text);
        prop_assert_eq!(normalise(&once), once);
    }

    #[test]
    fn parse_never_panics(text in any::<String>(), more in addressy()) {
        let _ = parse(&text);
        let _ = parse(&more);
    }

    #[test]
    fn resolve_never_panics(
        text in prop_oneof![addressy(), any::<String>()],
        lat in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), -100.0..100.0f64, 45.6..45.9f64],
        lon in prop_oneof![Just(f64::NEG_INFINITY), -200.0..200.0f64, 126.4..126.9f64],
        with_point in any::<bool>(),
    ) {
        let point = with_point.then_some((lat, lon));
        if let Ok(r) = index().resolve(&text, point) {
            prop_assert!((0.0..=1.0).contains(&r.confidence));
            prop_assert!(serde_json::to_string(&r).is_ok());
        }
        let _ = index().stations_containing(lat, lon);
        let _ = index().nearest_station(lat, lon);
    }
}

#[test]
fn huge_input_is_refused_or_survived() {
    let huge = "幸福小区3栋2单元501室😀\u{0}".repeat(20_000);
    let _ = normalise(&huge);
    let _ = parse(&huge);
    let e = index().resolve(&huge, None).unwrap_err();
    assert_eq!(e.field(), "text");
}
