use serde_json::json;
use server::import::{RegisterKind, import};

use crate::helpers::{START, TestApp};

crate::on_both!(
    callers_are_found_by_any_form_of_their_phone,
    stations_and_categories_are_listed,
    imports_upsert_and_refuse_bad_files_whole,
    addresses_resolve_to_the_responsible_station,
);

async fn addresses_resolve_to_the_responsible_station(app: TestApp) {
    let (code, r) = app
        .post(
            "operator",
            "/api/v1/resolve",
            &json!({"text": "我家在幸福小区三栋二单元五零一，暖气不热"}),
        )
        .await;
    assert_eq!(code, 200, "{r}");
    assert_eq!(
        (r["method"].as_str(), r["account_no"].as_str()),
        (Some("exact"), Some("A0001")),
        "{r}"
    );
    assert_eq!(r["station"]["code"], "S01");
    assert!(r["confidence"].as_f64().unwrap() >= 0.8);
    // Nothing in the register, but a point inside S02's service area.
    let (_, r) = app
        .post(
            "operator",
            "/api/v1/resolve",
            &json!({"text": "不知道地址", "lat": 45.705, "lon": 126.615}),
        )
        .await;
    assert_eq!(
        (r["method"].as_str(), r["station"]["code"].as_str()),
        (Some("gis"), Some("S02")),
        "{r}"
    );
    let (_, r) = app
        .post("operator", "/api/v1/resolve", &json!({"text": ""}))
        .await;
    assert_eq!(r["method"], "none");
    let (code, p) = app
        .post(
            "operator",
            "/api/v1/resolve",
            &json!({"text": "x", "lat": 91.0, "lon": 126.0}),
        )
        .await;
    assert_eq!((code, p["field"].as_str()), (422, Some("lat")));
    let (code, p) = app
        .post(
            "operator",
            "/api/v1/resolve",
            &json!({"text": "幸".repeat(1001)}),
        )
        .await;
    assert_eq!(
        (code, p["field"].as_str(), p["code"].as_str()),
        (422, Some("text"), Some("too_long"))
    );
    assert_eq!(
        app.post("viewer", "/api/v1/resolve", &json!({"text": "幸福小区"}))
            .await
            .0,
        403
    );

    // Registration without account or station takes the confidently resolved station.
    let mut call = crate::helpers::repair_call();
    call.as_object_mut().unwrap().remove("account_no");
    call["address"] = json!("阳光家园七号楼2门501室");
    let (code, t) = app.post("operator", "/api/v1/tickets", &call).await;
    assert_eq!(code, 201, "{t}");
    assert_eq!(t["station"]["code"], "S02");
    // An address the register does not know leaves the station to the operator.
    call["address"] = json!("火星路1号");
    let (_, t) = app.post("operator", "/api/v1/tickets", &call).await;
    assert!(t["station"].is_null(), "{t}");
}

async fn callers_are_found_by_any_form_of_their_phone(app: TestApp) {
    for phone in ["13800000001", "138-0000-0001", "%2B86%20138%200000%200001"] {
        let (code, list) = app
            .get("operator", &format!("/api/v1/accounts?phone={phone}"))
            .await;
        assert_eq!(code, 200, "{list}");
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{phone}");
        assert_eq!(items[0]["account_no"], "A0001");
        assert_eq!(items[0]["holder"], "王秀英");
        assert_eq!(items[0]["address"], "南岗区光华街幸福小区3栋2单元501室");
        assert_eq!(items[0]["station"]["code"], "S01");
        assert_eq!(items[0]["payment_state"], "paid");
        assert_eq!(items[0]["phones"], json!(["13800000001"]));
    }
    let (_, by_no) = app
        .get("operator", "/api/v1/accounts?account_no=A0002")
        .await;
    assert_eq!(by_no["items"][0]["holder"], "李建国");
    let (_, by_name) = app.get("operator", "/api/v1/accounts?q=李").await;
    assert_eq!(by_name["items"].as_array().unwrap().len(), 1);
    let (_, by_community) = app.get("operator", "/api/v1/accounts?q=幸福").await;
    assert_eq!(by_community["items"][0]["account_no"], "A0001");
    let (code, problem) = app.get("operator", "/api/v1/accounts?phone=abc").await;
    assert_eq!((code, problem["field"].as_str()), (422, Some("phone")));
    let (code, problem) = app.get("operator", "/api/v1/accounts").await;
    assert_eq!((code, problem["field"].as_str()), (422, Some("phone")));
}

async fn stations_and_categories_are_listed(app: TestApp) {
    let (code, stations) = app.get("viewer", "/api/v1/stations").await;
    assert_eq!(code, 200);
    assert_eq!(stations[0]["code"], "S01");
    assert_eq!(stations[0]["branch"], "南岗分公司");
    assert_eq!(stations[0]["area"]["type"], "Polygon");
    let (_, categories) = app.get("operator", "/api/v1/categories").await;
    let no_heat = categories
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "no_heat")
        .unwrap();
    assert_eq!(no_heat["name_zh"], "暖气不热");
}

const STATIONS: &str = r#"{"type": "FeatureCollection", "features": [
  {"type": "Feature", "properties": {"code": "S03", "name": "新建供热站", "branch": "香坊分公司", "phone": "0451-82000003"},
   "geometry": {"type": "Polygon", "coordinates": [[[126.62, 45.70], [126.63, 45.70], [126.63, 45.71], [126.62, 45.71], [126.62, 45.70]]]}},
  {"type": "Feature", "properties": {"code": "S01", "name": "红旗供热站（新）", "branch": "南岗分公司"},
   "geometry": {"type": "Polygon", "coordinates": [[[126.60, 45.70], [126.61, 45.70], [126.61, 45.71], [126.60, 45.71], [126.60, 45.70]]]}}
]}"#;

async fn imports_upsert_and_refuse_bad_files_whole(app: TestApp) {
    let summary = import(
        &app.db,
        RegisterKind::Stations,
        "stations.geojson",
        STATIONS.as_bytes(),
        "0451",
        START,
    )
    .await
    .unwrap();
    assert_eq!((summary.inserted, summary.updated), (1, 1));
    let (_, stations) = app.get("viewer", "/api/v1/stations").await;
    assert_eq!(stations.as_array().unwrap().len(), 3);
    assert_eq!(stations[0]["name"], "红旗供热站（新）");

    let csv = "account_no,holder,phone,district,street,community,building,unit,room,area_m2,station_code,lat,lon\n\
               A0001,王秀英,13800000001;0451-82345678,南岗区,光华街,幸福小区,3,2,501,90.5,S01,,\n\
               B0001,赵六,13900000009,香坊区,和平路,锦绣花园,1,1,101,66,S03,45.705,126.625\n";
    let summary = import(
        &app.db,
        RegisterKind::Accounts,
        "accounts.csv",
        csv.as_bytes(),
        "0451",
        START,
    )
    .await
    .unwrap();
    assert_eq!((summary.inserted, summary.updated), (1, 1));
    let (_, found) = app.get("operator", "/api/v1/accounts?phone=82345678").await;
    assert_eq!(
        found["items"][0]["account_no"], "A0001",
        "the landline, typed without area code, finds the account"
    );
    assert_eq!(found["items"][0]["area_m2"], 90.5);
    // Importing the same file again changes nothing but counts updates.
    let again = import(
        &app.db,
        RegisterKind::Accounts,
        "accounts.csv",
        csv.as_bytes(),
        "0451",
        START,
    )
    .await
    .unwrap();
    assert_eq!((again.inserted, again.updated), (0, 2));

    // A bad row refuses the whole file: the good row before it is not written.
    let bad = "account_no,holder,phone,district,street,community,building,unit,room,area_m2,station_code,lat,lon\n\
               C0001,钱七,13900000010,香坊区,和平路,锦绣花园,2,1,101,70,S03,,\n\
               C0002,孙八,12,香坊区,和平路,锦绣花园,2,1,102,-5,S99,,\n";
    let err = import(
        &app.db,
        RegisterKind::Accounts,
        "accounts.csv",
        bad.as_bytes(),
        "0451",
        START,
    )
    .await
    .unwrap_err();
    let server::AppError::Rows(rows) = err else {
        panic!("row errors expected")
    };
    assert!(
        rows.iter().any(|r| r.row == 3 && r.column == "phone"),
        "{rows:?}"
    );
    assert!(
        rows.iter().any(|r| r.row == 3 && r.column == "area_m2"),
        "{rows:?}"
    );
    let (_, none) = app
        .get("operator", "/api/v1/accounts?account_no=C0001")
        .await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0);
    // An unknown station is found by the store, and also refuses the file.
    let unknown = bad.replace(",12,", ",13900000011,").replace(",-5,", ",50,");
    let err = import(
        &app.db,
        RegisterKind::Accounts,
        "accounts.csv",
        unknown.as_bytes(),
        "0451",
        START,
    )
    .await
    .unwrap_err();
    let server::AppError::Rows(rows) = err else {
        panic!("row errors expected")
    };
    assert_eq!((rows[0].row, rows[0].column.as_str()), (3, "station_code"));
    let (_, none) = app
        .get("operator", "/api/v1/accounts?account_no=C0001")
        .await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0);

    // Missing column.
    let err = import(
        &app.db,
        RegisterKind::Accounts,
        "a.csv",
        b"account_no,holder\nX,Y\n",
        "0451",
        START,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, server::AppError::Rows(ref rows) if rows.iter().any(|r| r.column == "station_code"))
    );

    // Staff, with Chinese positions.
    let staff = "name,phone,position,branch,station_code\n张站长,13700000001,站长,,S01\n李师傅,13700000002,维修工,,S01\n刘总,13700000003,总经理,,\n";
    let summary = import(
        &app.db,
        RegisterKind::Staff,
        "staff.csv",
        staff.as_bytes(),
        "0451",
        START,
    )
    .await
    .unwrap();
    assert_eq!(summary.inserted, 3);
    let people = app.db.staff().await.unwrap();
    let director = people.iter().find(|p| p.phone == "13700000001").unwrap();
    assert_eq!(
        (director.position.as_str(), director.station_code.as_deref()),
        ("station_director", Some("S01"))
    );
    assert_eq!(
        director.branch_name.as_deref(),
        Some("南岗分公司"),
        "branch taken from the station"
    );
    let bad_staff = "name,phone,position,branch,station_code\n王五,13700000004,维修工,,S77\n";
    assert!(
        import(
            &app.db,
            RegisterKind::Staff,
            "staff.csv",
            bad_staff.as_bytes(),
            "0451",
            START
        )
        .await
        .is_err()
    );
    assert_eq!(app.db.staff().await.unwrap().len(), 3);

    // A GeoJSON with a broken polygon is refused whole.
    let broken = STATIONS.replace("[126.62, 45.70]]]", "[126.62, 45.75]]]");
    let err = import(
        &app.db,
        RegisterKind::Stations,
        "s.geojson",
        broken.as_bytes(),
        "0451",
        START,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, server::AppError::Rows(ref rows) if rows[0].column == "geometry"),
        "{err:?}"
    );
}
