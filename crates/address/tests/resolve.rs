//! Resolution against a small hand-made register: every variation class of
//! issue 4, from the register's side and from the caller's.

use address::{AddressError, AddressIndex, CommunityAlias, Method, RegisterEntry, StationArea};

/// Two stations side by side: A west of 126.1, B east of it.
fn stations() -> Vec<StationArea> {
    let square = |w: f64| {
        format!(
            r#"{{"type":"Polygon","coordinates":[[[{w},45.0],[{e},45.0],[{e},45.1],[{w},45.1],[{w},45.0]]]}}"#,
            e = w + 0.1
        )
    };
    vec![
        StationArea::from_geojson("A", "光华站", &square(126.0)).unwrap(),
        StationArea::from_geojson("B", "和平站", &square(126.1)).unwrap(),
    ]
}

#[allow(clippy::too_many_arguments)]
fn entry(
    account: &str,
    district: &str,
    street: &str,
    community: &str,
    building: &str,
    unit: &str,
    room: &str,
    station: &str,
    point: Option<(f64, f64)>,
) -> RegisterEntry {
    RegisterEntry {
        account_no: account.into(),
        district: district.into(),
        street: street.into(),
        community: community.into(),
        building: building.into(),
        unit: unit.into(),
        room: room.into(),
        station_code: station.into(),
        lat: point.map(|p| p.0),
        lon: point.map(|p| p.1),
    }
}

/// The register, spelt the ways registers spell: "3号楼", "三栋", "02",
/// "501室", full-width digits.
fn register() -> Vec<RegisterEntry> {
    let a = Some((45.05, 126.05));
    let b = Some((45.05, 126.15));
    let mut rows = vec![
        // 幸福小区 (A): building "3号楼", unit "2单元", rooms with 室.
        entry(
            "X-501",
            "南岗区",
            "光华街",
            "幸福小区",
            "3号楼",
            "2单元",
            "501室",
            "A",
            a,
        ),
        entry(
            "X-502",
            "南岗区",
            "光华街",
            "幸福小区",
            "3号楼",
            "2单元",
            "502室",
            "A",
            a,
        ),
        entry(
            "X-1501",
            "南岗区",
            "光华街",
            "幸福小区",
            "3号楼",
            "1单元",
            "501室",
            "A",
            a,
        ),
        entry(
            "X-7",
            "南岗区",
            "光华街",
            "幸福小区",
            "7号楼",
            "1单元",
            "101室",
            "A",
            a,
        ),
        // 幸福家园 (B): same core, other station; its building is "三栋", unit "02".
        entry(
            "J-301",
            "道外区",
            "和平路",
            "幸福家园",
            "三栋",
            "02",
            "301",
            "B",
            b,
        ),
        entry(
            "J-9",
            "道外区",
            "和平路",
            "幸福家园",
            "9栋",
            "1",
            "101",
            "B",
            b,
        ),
        // 锦绣花园 (B), written with full-width digits in the register.
        entry(
            "K-1",
            "道外区",
            "和平路",
            "锦绣花园",
            "１２号楼",
            "１",
            "１０１",
            "B",
            b,
        ),
        // 和平小区 twice: in two districts, on two streets, at two stations.
        entry(
            "H-A",
            "南岗区",
            "光华街",
            "和平小区",
            "1",
            "1",
            "101",
            "A",
            a,
        ),
        entry(
            "H-B",
            "道外区",
            "和平路",
            "和平小区",
            "1",
            "1",
            "101",
            "B",
            b,
        ),
        // 电业小区 (A), known to old callers as 电业局宿舍.
        entry(
            "D-1",
            "南岗区",
            "光华街",
            "电业小区",
            "2",
            "1",
            "201",
            "A",
            a,
        ),
        // A building served by both stations (an old boundary).
        entry(
            "S-A",
            "南岗区",
            "光华街",
            "松花公寓",
            "5",
            "1",
            "101",
            "A",
            a,
        ),
        entry(
            "S-B",
            "南岗区",
            "光华街",
            "松花公寓",
            "5",
            "2",
            "101",
            "B",
            a,
        ),
        // A register row whose coordinates lie in the other station's area.
        entry(
            "M-1",
            "南岗区",
            "光华街",
            "明珠小区",
            "1",
            "1",
            "101",
            "A",
            b,
        ),
    ];
    // A spread of ordinary flats so that rooms exist in several units.
    for unit in 1..=3 {
        rows.push(entry(
            &format!("X-8-{unit}"),
            "南岗区",
            "光华街",
            "幸福小区",
            "8",
            &unit.to_string(),
            "601",
            "A",
            a,
        ));
    }
    rows
}

fn index() -> AddressIndex {
    AddressIndex::build(
        &register(),
        &stations(),
        &[CommunityAlias::new("电业局宿舍", "电业小区")],
    )
}

#[track_caller]
fn resolves(
    index: &AddressIndex,
    text: &str,
    station: &str,
    account: Option<&str>,
    method: Method,
) {
    let r = index.resolve(text, None).unwrap();
    assert_eq!(
        r.station.as_ref().map(|s| s.code.as_str()),
        Some(station),
        "{text}: {r:#?}"
    );
    assert_eq!(r.account_no.as_deref(), account, "{text}: {r:#?}");
    assert_eq!(r.method, method, "{text}: {r:#?}");
}

#[track_caller]
fn confident(index: &AddressIndex, text: &str, station: &str, account: Option<&str>) {
    let r = index.resolve(text, None).unwrap();
    assert_eq!(
        r.station.as_ref().map(|s| s.code.as_str()),
        Some(station),
        "{text}: {r:#?}"
    );
    assert_eq!(r.account_no.as_deref(), account, "{text}: {r:#?}");
    assert!(r.is_confident(), "{text}: {r:#?}");
}

#[track_caller]
fn unsure(index: &AddressIndex, text: &str) -> address::Resolution {
    let r = index.resolve(text, None).unwrap();
    assert!(!r.is_confident(), "{text}: {r:#?}");
    r
}

#[test]
fn the_issue_examples_are_one_flat() {
    let index = index();
    for text in [
        "我家在幸福小区三栋二单元五零一",
        "幸福小区3号楼2门501室",
        "光华街那个幸福小区3栋2单元501",
        "南岗区光华街幸福小区3号楼2单元501室",
    ] {
        resolves(&index, text, "A", Some("X-501"), Method::Exact);
    }
    // "幸福3-2-501": 幸福 is also 幸福家园's core, but only 幸福小区 has 3-2-501.
    confident(&index, "幸福3-2-501", "A", Some("X-501"));
}

#[test]
fn register_spellings_meet_caller_spellings() {
    let index = index();
    // Register "三栋" / "02" / "301" against a caller's digits and words.
    resolves(
        &index,
        "幸福家园3号楼2单元301室",
        "B",
        Some("J-301"),
        Method::Exact,
    );
    resolves(
        &index,
        "幸福家园三栋二门三零一",
        "B",
        Some("J-301"),
        Method::Exact,
    );
    // Register full-width "１２号楼" against "十二栋".
    resolves(
        &index,
        "锦绣花园十二栋一单元一零一",
        "B",
        Some("K-1"),
        Method::Exact,
    );
}

#[test]
fn unit_words_compact_forms_and_noise() {
    let index = index();
    for text in [
        "幸福小区3幢2单元501户",
        "幸福小区3座2门501号",
        "幸福小区3#2-501",
        "幸福小区3-2-501",
        "幸福小区 3 2 501",
        "幸福小区３栋２单元５０１",
        "住在那个幸福小区3栋2单元501，暖气不热好几天了",
        "就是幸福小区三号楼二单元五〇一室",
    ] {
        resolves(&index, text, "A", Some("X-501"), Method::Exact);
    }
}

#[test]
fn missing_parts_keep_the_station() {
    let index = index();
    // No unit: room 501 is in units 1 and 2 of building 3, so no account.
    resolves(&index, "幸福小区3栋501", "A", None, Method::Exact);
    // Room in one unit only: the account is known.
    resolves(&index, "幸福小区3栋502", "A", Some("X-502"), Method::Exact);
    // No room, no building.
    resolves(&index, "幸福小区3栋2单元", "A", None, Method::Exact);
    resolves(&index, "幸福小区暖气不热", "A", None, Method::Exact);
    // No district, no street: the community name is unique.
    confident(&index, "锦绣花园12栋1单元101", "B", Some("K-1"));
}

#[test]
fn suffixes_dropped_or_swapped() {
    let index = index();
    // 幸福 + building 7: only 幸福小区 has a building 7.
    confident(&index, "幸福7栋1单元101", "A", Some("X-7"));
    // 幸福 + building 9: only 幸福家园.
    confident(&index, "幸福9-1-101", "B", Some("J-9"));
    // "锦绣小区": another suffix on a unique core.
    resolves(
        &index,
        "锦绣小区12号楼1单元101",
        "B",
        Some("K-1"),
        Method::Fuzzy,
    );
}

#[test]
fn ambiguity_is_said_as_low_confidence() {
    let index = index();
    // 幸福 alone: 幸福小区 (A) or 幸福家园 (B).
    let r = unsure(&index, "幸福");
    assert!(r.candidates.len() >= 2, "{r:#?}");
    // 和平小区 exists in two districts: without district or street, a tie …
    let r = unsure(&index, "和平小区1栋1单元101");
    assert_eq!(r.account_no, None);
    assert!(r.candidates.len() >= 2);
    // … which the street or the district settles.
    confident(&index, "和平路和平小区1栋1单元101", "B", Some("H-B"));
    confident(&index, "南岗区和平小区1栋1单元101", "A", Some("H-A"));
}

#[test]
fn aliases_sounds_and_slips() {
    let index = index();
    resolves(
        &index,
        "电业局宿舍2栋1单元201",
        "A",
        Some("D-1"),
        Method::Exact,
    );
    // 锦绣花园 heard as 金秀华园.
    resolves(
        &index,
        "金秀华园12栋1单元101",
        "B",
        Some("K-1"),
        Method::Fuzzy,
    );
    // One character wrong in a four-character name.
    let r = index.resolve("锦绣天园12栋1单元101", None).unwrap();
    assert_eq!(
        r.station.map(|s| s.code),
        Some("B".into()),
        "{:?}",
        r.candidates
    );
    assert_eq!(r.method, Method::Fuzzy);
}

#[test]
fn a_building_across_two_stations_is_not_confident() {
    let index = index();
    let r = unsure(&index, "松花公寓5栋");
    assert!(r.station.is_some());
    // With the flat, the account decides.
    confident(&index, "松花公寓5栋2单元101", "B", Some("S-B"));
}

#[test]
fn a_point_answers_when_the_text_cannot() {
    let index = index();
    let r = index
        .resolve("新建回迁楼3栋", Some((45.05, 126.15)))
        .unwrap();
    assert_eq!(r.method, Method::Gis);
    assert_eq!(r.station.map(|s| s.code), Some("B".into()));
    assert!(r.confidence >= 0.8);
    // Point only.
    let r = index.resolve("", Some((45.05, 126.05))).unwrap();
    assert_eq!(
        (r.method, r.station.map(|s| s.code)),
        (Method::Gis, Some("A".into()))
    );
    // A tie in the text settled by the point.
    let r = index
        .resolve("和平小区1栋1单元101", Some((45.05, 126.15)))
        .unwrap();
    assert_eq!(r.account_no.as_deref(), Some("H-B"));
    assert!(r.is_confident());
    // Outside every area: no answer, the nearest station as a hint.
    let r = index.resolve("", Some((45.05, 126.3))).unwrap();
    assert_eq!(r.method, Method::None);
    assert_eq!(r.station, None);
    let hint = &r.candidates[0];
    assert_eq!(hint.station.as_ref().map(|s| s.code.as_str()), Some("B"));
    assert!(
        hint.distance_m
            .is_some_and(|d| (7_000.0..9_000.0).contains(&d))
    );
}

#[test]
fn gis_queries() {
    let index = index();
    let codes = |lat, lon| -> Vec<String> {
        index
            .stations_containing(lat, lon)
            .into_iter()
            .map(|s| s.code)
            .collect()
    };
    assert_eq!(codes(45.05, 126.05), ["A"]);
    assert_eq!(codes(45.05, 126.1), ["A", "B"]); // on the shared border
    assert!(codes(46.0, 126.05).is_empty());
    assert!(codes(f64::NAN, 126.0).is_empty());
    assert_eq!(
        index
            .nearest_station(45.05, 126.05)
            .map(|(s, d)| (s.code, d)),
        Some(("A".into(), 0.0))
    );
    assert_eq!(index.nearest_station(91.0, 0.0), None);
    // S-B stands in A's area but is served by B; M-1 is simply misplaced.
    assert_eq!(index.misplaced_accounts(), ["S-B", "M-1"]);
}

#[test]
fn bad_input_gets_a_clear_answer() {
    let index = index();
    for text in [
        "",
        "   ",
        "\u{0}\u{1}\u{2}",
        "😀😀😀",
        "hello world",
        "ÄÖÜ مرحبا Привет",
        "3-2-501",
    ] {
        let r = index.resolve(text, None).unwrap();
        assert_eq!(r.method, Method::None, "{text}: {r:#?}");
        assert_eq!(r.confidence, 0.0);
    }
    let long = "幸".repeat(1_001);
    let e = index.resolve(&long, None).unwrap_err();
    assert_eq!((e.code(), e.field()), ("too_long", "text"));
    assert!(index.resolve(&"幸".repeat(1_000), None).is_ok());
    for (point, field) in [
        ((91.0, 0.0), "lat"),
        ((f64::NAN, 0.0), "lat"),
        ((0.0, 180.5), "lon"),
        ((0.0, f64::INFINITY), "lon"),
    ] {
        let e = index.resolve("幸福小区", Some(point)).unwrap_err();
        assert_eq!((e.code(), e.field()), ("invalid_field", field));
    }
    let domain: domain::DomainError = AddressError::LatOutOfRange.into();
    assert_eq!(domain.field(), Some("lat"));
}

#[test]
fn serialises_as_the_api_answers() {
    let index = index();
    let r = index.resolve("幸福小区3-2-501", None).unwrap();
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["station"]["code"], "A");
    assert_eq!(json["station"]["name"], "光华站");
    assert_eq!(json["building"]["community"], "幸福小区");
    assert_eq!(json["building"]["building"], "3号楼");
    assert_eq!(json["account_no"], "X-501");
    assert_eq!(json["method"], "exact");
    assert!(json["confidence"].is_f64());
    assert!(json["candidates"].is_array());
    let none = serde_json::to_value(index.resolve("", None).unwrap()).unwrap();
    assert_eq!(none["station"], serde_json::Value::Null);
    assert_eq!(none["method"], "none");
}

#[test]
fn an_empty_register_resolves_nothing() {
    let index = AddressIndex::build(&[], &[], &[]);
    assert!(index.is_empty());
    assert_eq!(
        index.resolve("幸福小区3-2-501", None).unwrap().method,
        Method::None
    );
    assert_eq!(
        index.resolve("", Some((45.0, 126.0))).unwrap().method,
        Method::None
    );
    assert_eq!(index.nearest_station(45.0, 126.0), None);
}
