//! The station board and the field work around it: crews of several
//! repairers, a redirect with its reason (the clocks follow the ticket),
//! room-temperature visits with their refund tier, and merged duplicates.

use domain::Role;
use serde_json::{Value, json};

use crate::helpers::{START, TestApp, no_redirects, repair_call, status_text};
use crate::on_both;

on_both!(
    the_board_assigns_a_crew_of_two,
    a_wrong_route_is_redirected_in_one_step_and_the_clocks_follow,
    a_temperature_visit_finds_the_refund_tier,
    bad_temperature_visits_store_nothing,
    a_merged_ticket_follows_its_primary_and_its_caller_is_called_back,
);

const MIN: i64 = 60_000;
const PASSWORD: &str = "correct horse battery";

async fn page(app: &TestApp, role: &str, path: &str) -> (u16, String) {
    app.page(role, path, "zh-CN").await
}

async fn post_form(app: &TestApp, role: &str, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    status_text(app.post_form(role, path, form).await).await
}

/// Two repairers and a director at S01, a repairer and a director at S02;
/// returns the staff ids of the S01 repairers and of the S02 repairer.
async fn staff(app: &TestApp) -> (i64, i64, i64) {
    let (zhao, qian, li, _) = staff_and_director(app).await;
    (zhao, qian, li)
}

/// [`staff`], and the S01 director's id.
async fn staff_and_director(app: &TestApp) -> (i64, i64, i64, i64) {
    let csv = "name,phone,position,branch,station_code\n\
        赵师傅,13700000001,维修工,南岗分公司,S01\n\
        钱师傅,13700000002,维修工,南岗分公司,S01\n\
        孙站长,13700000003,站长,南岗分公司,S01\n\
        李师傅,13700000004,维修工,道里分公司,S02\n\
        周站长,13700000005,站长,道里分公司,S02\n";
    app.import_staff(csv).await;
    let people = app.db.staff().await.unwrap();
    let id = |name: &str| people.iter().find(|p| p.name == name).unwrap().id;
    (id("赵师傅"), id("钱师傅"), id("李师傅"), id("孙站长"))
}

async fn dispatched(app: &TestApp, call: Value) -> String {
    let mut call = call;
    call["dispatch"] = json!(true);
    let (s, b) = app.post("operator", "/api/v1/tickets", &call).await;
    assert_eq!(s, 201, "{b}");
    b["number"].as_str().unwrap().to_string()
}

/// A setup step that must succeed.
async fn act_ok(app: &TestApp, role: &str, number: &str, action: Value) -> Value {
    let (s, b) = app.act(role, number, action).await;
    assert_eq!(s, 200, "{b}");
    b
}

async fn ticket(app: &TestApp, number: &str) -> Value {
    let (s, b) = app.get("admin", &format!("/api/v1/tickets/{number}")).await;
    assert_eq!(s, 200, "{b}");
    b
}

fn events_of<'a>(t: &'a Value, kind: &str) -> Vec<&'a Value> {
    t["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

async fn recipients(app: &TestApp, number: &str, event: &str) -> Vec<String> {
    let (s, b) = app
        .get(
            "admin",
            &format!("/api/v1/messages?ticket={number}&event={event}&limit=500"),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let mut to: Vec<String> = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["to"].as_str().unwrap().to_string())
        .collect();
    to.sort();
    to
}

async fn the_board_assigns_a_crew_of_two(app: TestApp) {
    let (zhao, qian, li, director) = staff_and_director(&app).await;
    let number = dispatched(&app, repair_call()).await;
    // The station's people, as an integration finds the ids to assign.
    let (s, b) = app.get("station", "/api/v1/stations/S01/staff").await;
    assert_eq!(s, 200, "{b}");
    let ids: Vec<i64> = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&zhao) && ids.contains(&qian) && !ids.contains(&li));
    assert_eq!(b["items"][0]["position"], "repairer", "repairers first");
    let (s, _) = app.get("station", "/api/v1/stations/S02/staff").await;
    assert_eq!(s, 404, "another station's people are not listed");

    // The station sees it as incoming, with accept, crew and redirect forms.
    let (s, html) = page(&app, "station", "/station").await;
    assert_eq!(s, 200);
    let incoming = &html[html.find("section-incoming").unwrap()..];
    let incoming = &incoming[..incoming.find("</section>").unwrap()];
    assert!(incoming.contains(&number), "incoming lists the ticket");
    assert!(incoming.contains("row-assign") && incoming.contains("row-redirect"));
    // Phones on slow connections get it gzip'd.
    let r = no_redirects()
        .get(app.url("/station"))
        .bearer_auth(app.token("station"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    assert!(r.bytes().await.unwrap().len() < html.len() / 2);
    // They open the ticket's form, which comes back to the board.
    let (s, html) = page(
        &app,
        "station",
        &format!("/tickets/{number}?open=assign&back=%2Fstation%3Fstation%3DS01"),
    )
    .await;
    assert_eq!(s, 200);
    let form = &html[html.find("id=\"act-assign\"").unwrap()..];
    let form = &form[..form.find("</details>").unwrap()];
    assert!(form.contains(" open>") || form.contains(" open "), "{form}");
    assert!(
        form.contains("name=\"back\" value=\"/station?station=S01\""),
        "{form}"
    );
    assert!(
        form.contains(&format!("value=\"{zhao}\""))
            && !form.contains(&format!("value=\"{director}\""))
    );

    // Two repairers in one step, through the board's form.
    let (s, body) = post_form(
        &app,
        "station",
        &format!("/tickets/{number}/actions"),
        &[
            ("action", "assign"),
            ("staff_ids", &zhao.to_string()),
            ("staff_ids", &qian.to_string()),
            ("back", "/station?station=S01"),
        ],
    )
    .await;
    assert_eq!(s, 303, "{body}");
    let t = ticket(&app, &number).await;
    let crew: Vec<&str> = t["crew"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(crew.len(), 2, "{crew:?}");
    assert!(crew.contains(&"赵师傅") && crew.contains(&"钱师傅"));
    let assigned = events_of(&t, "assigned");
    assert_eq!(assigned.len(), 1);
    assert_eq!(assigned[0]["actor"], "token:station");
    assert_eq!(
        assigned[0]["status"], "dispatched",
        "assigning keeps the state"
    );
    // Only the two named hear of it.
    assert_eq!(
        recipients(&app, &number, "assigned").await,
        vec!["13700000001", "13700000002"]
    );
    let (_, html) = page(&app, "station", "/station").await;
    assert!(html.contains("赵师傅、钱师傅") || html.contains("钱师傅、赵师傅"));

    // Someone of another station cannot be put on it; nothing changes.
    let (s, b) = app
        .act(
            "station",
            &number,
            json!({"action": "assign", "staff_ids": [zhao, li]}),
        )
        .await;
    assert_eq!((s, b["field"].as_str()), (422, Some("staff_ids")), "{b}");
    let (s, b) = app
        .act(
            "station",
            &number,
            json!({"action": "assign", "staff_ids": [99999]}),
        )
        .await;
    assert_eq!(s, 404, "{b}");
    // The crew is repairers: a director on it would lock them out.
    let (s, b) = app
        .act(
            "station",
            &number,
            json!({"action": "assign", "staff_ids": [director]}),
        )
        .await;
    assert_eq!((s, b["field"].as_str()), (422, Some("staff_ids")), "{b}");
    let (s, _) = app
        .act(
            "station",
            &number,
            json!({"action": "assign", "staff_ids": []}),
        )
        .await;
    assert_eq!(s, 422);
    let t = ticket(&app, &number).await;
    assert_eq!(t["crew"].as_array().unwrap().len(), 2);
    assert_eq!(events_of(&t, "assigned").len(), 1);
    // A repairer does not assign, and the other station does not see it.
    let (s, _) = app
        .act(
            "repairer",
            &number,
            json!({"action": "assign", "staff_ids": [zhao]}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .act(
            "station2",
            &number,
            json!({"action": "assign", "staff_ids": [li]}),
        )
        .await;
    assert_eq!(s, 404);

    // Either member of the crew may act; a repairer not on it may not.
    let hash = server::auth::hash_password(PASSWORD).unwrap();
    for (user, phone) in [("qian", "13700000002"), ("sun", "13700000003")] {
        app.db
            .create_user(user, user, Role::Repairer, Some("S01"), &hash, START)
            .await
            .unwrap();
        app.db.link_user_to_staff(user, Some(phone)).await.unwrap();
    }
    act_ok(&app, "station", &number, json!({"action": "accept"})).await;
    let act_as = |cookie: String, action: Value| {
        let client = app.client.clone();
        let url = app.url(&format!("/api/v1/tickets/{number}/actions"));
        async move {
            let r = client
                .post(url)
                .header("cookie", cookie)
                .json(&action)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap())
        }
    };
    let sun = app.session("sun", PASSWORD).await;
    let (s, b) = act_as(sun, json!({"action": "contact", "note": "x"})).await;
    assert_eq!((s, b["code"].as_str()), (403, Some("not_assigned")), "{b}");
    let qian_cookie = app.session("qian", PASSWORD).await;
    let (s, b) = act_as(qian_cookie, json!({"action": "contact", "note": "马上到"})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "contacted");

    // A new assignment replaces the crew: 钱师傅 is off it and told nothing.
    act_ok(
        &app,
        "station",
        &number,
        json!({"action": "assign", "staff_ids": [zhao]}),
    )
    .await;
    assert_eq!(
        recipients(&app, &number, "assigned").await,
        vec!["13700000001", "13700000001", "13700000002"]
    );
    let qian_cookie = app.session("qian", PASSWORD).await;
    let (s, b) = act_as(qian_cookie, json!({"action": "arrive"})).await;
    assert_eq!((s, b["code"].as_str()), (403, Some("not_assigned")), "{b}");
}

async fn a_wrong_route_is_redirected_in_one_step_and_the_clocks_follow(app: TestApp) {
    let (zhao, _, _) = staff(&app).await;
    let number = dispatched(&app, repair_call()).await;
    act_ok(&app, "station", &number, json!({"action": "accept"})).await;
    act_ok(
        &app,
        "station",
        &number,
        json!({"action": "assign", "staff_ids": [zhao]}),
    )
    .await;
    let before = ticket(&app, &number).await;
    let started = |t: &Value, step: &str| -> Vec<String> {
        t["clocks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["step"] == step && c["state"] == "running")
            .map(|c| c["started_at"].as_str().unwrap().to_string())
            .collect()
    };
    let contact_started = started(&before, "contact");
    assert_eq!(contact_started.len(), 1);

    app.clock.set(START.plus_millis(5 * MIN));
    // A reason is required, and the other station must be another one.
    let (s, b) = app
        .act(
            "station",
            &number,
            json!({"action": "redirect", "station_code": "S02"}),
        )
        .await;
    assert_eq!((s, b["field"].as_str()), (422, Some("reason")), "{b}");
    let (s, b) = app
        .act(
            "station",
            &number,
            json!({"action": "redirect", "station_code": "S01", "reason": "x"}),
        )
        .await;
    assert_eq!((s, b["field"].as_str()), (422, Some("station_code")), "{b}");
    let (s, b) = app
        .act(
            "station",
            &number,
            json!({"action": "redirect", "station_code": "S99", "reason": "x"}),
        )
        .await;
    assert_eq!((s, b["field"].as_str()), (422, Some("station_code")), "{b}");

    // One step from the board: station, reason, done.
    let mut feed = app.db.feed().subscribe();
    let (s, body) = post_form(
        &app,
        "station",
        &format!("/tickets/{number}/actions"),
        &[
            ("action", "redirect"),
            ("station_code", "S02"),
            ("reason", "该楼归和平站供热"),
            ("back", "/station"),
        ],
    )
    .await;
    assert_eq!(s, 303, "{body}");
    let t = ticket(&app, &number).await;
    assert_eq!(t["status"], "dispatched");
    assert_eq!(t["station"]["code"], "S02");
    assert_eq!(t["crew"], json!([]), "the old station's crew is off it");
    let redirected = events_of(&t, "redirected");
    assert_eq!(redirected.len(), 1);
    assert_eq!(redirected[0]["reason"], "该楼归和平站供热");
    assert_eq!(redirected[0]["from"], "S01");
    assert_eq!(redirected[0]["station_code"], "S02");
    // The old station's live pages hear of it, to drop it.
    let s01 = app.db.station_by_code("S01").await.unwrap().unwrap().id;
    let mut told_s01 = false;
    while let Ok(change) = feed.try_recv() {
        if let store::Change::Ticket {
            number: n,
            left_station_id,
            ..
        } = change
        {
            told_s01 |= n == number && left_station_id == Some(s01);
        }
    }
    assert!(told_s01, "the redirect names the station it left");
    // The new station must accept anew; the customer's wait keeps running.
    let accept = started(&t, "accept");
    assert_eq!(accept.len(), 1);
    assert!(accept[0].contains("09:10:00"), "{accept:?}");
    assert_eq!(started(&t, "contact"), contact_started);
    // The new station's people hear of it.
    let to = recipients(&app, &number, "redirected").await;
    assert!(to.contains(&"13700000004".to_string()) && to.contains(&"13700000005".to_string()));
    assert!(!to.contains(&"13700000001".to_string()), "{to:?}");

    // The old station no longer sees it; the new one has it on its board.
    let (s, _) = app
        .get("station", &format!("/api/v1/tickets/{number}"))
        .await;
    assert_eq!(s, 404);
    let (_, html) = page(&app, "station2", "/station").await;
    let incoming = &html[html.find("section-incoming").unwrap()..];
    assert!(incoming[..incoming.find("</section>").unwrap()].contains(&number));
    // The timeline shows the reason.
    let (_, html) = page(&app, "admin", &format!("/tickets/{number}")).await;
    assert!(html.contains("该楼归和平站供热"));

    // The warning before the new deadline goes to the new station's people.
    app.clock.set(START.plus_millis(13 * MIN + 30_000));
    server::workers::fire_due_clocks(&app.state).await.unwrap();
    assert_eq!(
        recipients(&app, &number, "warned").await,
        vec!["13700000004", "13700000005"]
    );
    // Not accepted 10 min after the redirect: late on the new board.
    app.clock.set(START.plus_millis(16 * MIN));
    server::workers::fire_due_clocks(&app.state).await.unwrap();
    let (_, html) = page(&app, "station2", "/station").await;
    let late = &html[html.find("section-late").unwrap()..];
    assert!(late[..late.find("</section>").unwrap()].contains(&number));
}

fn temperature_call() -> Value {
    let mut call = repair_call();
    call["kind"] = json!("temperature");
    call["category"] = json!("low_temp");
    call["priority"] = json!("normal");
    call["description"] = json!("卧室只有15度");
    call
}

async fn a_temperature_visit_finds_the_refund_tier(app: TestApp) {
    let number = dispatched(&app, temperature_call()).await;
    act_ok(&app, "station", &number, json!({"action": "accept"})).await;
    app.clock.set(START.plus_millis(60 * MIN));
    let (s, b) = app
        .act(
            "repairer",
            &number,
            json!({
                "action": "measure_temperature",
                "readings": [
                    {"room": "卧室", "celsius": 15.0, "at": "2026-12-04 10:00"},
                    {"room": "卧室", "celsius": 15.4},
                    {"room": "客厅", "celsius": 17.0},
                ],
                "protocol_followed": true,
                "co_signed_by": "王秀英",
            }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    // Bedroom 15.2, living room 17.0: 16.1 °C, the 16–18 °C tier, 30 %.
    assert_eq!(b["status"], "on_site");
    assert_eq!(b["room_temp_c"], 16.1);
    assert_eq!(b["refund_percent"], 30);
    let visit = events_of(&b, "temperature_measured")[0];
    assert_eq!(visit["average_c"], 16.1);
    assert_eq!(visit["standard_c"], 18.0);
    assert_eq!(visit["meets_standard"], false);
    assert_eq!(visit["measured_by"], "repairer");
    assert_eq!(visit["co_signed_by"], "王秀英");
    assert_eq!(visit["readings"].as_array().unwrap().len(), 3);
    assert_eq!(visit["readings"][0]["at"], "2026-12-04T10:00:00+08:00");

    // A second visit through the console form (the crew reported by phone).
    let (s, body) = post_form(
        &app,
        "operator",
        &format!("/tickets/{number}/actions"),
        &[
            ("action", "measure_temperature"),
            ("room", "卧室"),
            ("celsius", "19.5"),
            ("reading_at", ""),
            ("room", "客厅"),
            ("celsius", "20,1"),
            ("reading_at", "2026-12-04 10:03"),
            ("room", ""),
            ("celsius", ""),
            ("reading_at", ""),
            ("protocol_followed", "1"),
            ("measured_by", "赵师傅"),
            ("co_signed_by", "王秀英"),
        ],
    )
    .await;
    assert_eq!(s, 303, "{body}");
    let t = ticket(&app, &number).await;
    // (19.5 + 20.1) / 2 = 19.8: meets the standard, yet DESIGN's table gives 10 %.
    assert_eq!(t["room_temp_c"], 19.8);
    assert_eq!(t["refund_percent"], 10);
    assert_eq!(events_of(&t, "temperature_measured").len(), 2);
    let (_, html) = page(&app, "operator", &format!("/tickets/{number}")).await;
    assert!(html.contains("id=\"ticket-temperature\""));
    assert!(html.contains("19.8 °C") && html.contains("达标"));
    assert!(
        html.contains("客厅 20.1 °C"),
        "the timeline lists the readings"
    );

    // Resolved, the result stays on the ticket and goes into the export.
    act_ok(
        &app,
        "repairer",
        &number,
        json!({"action": "resolve", "note": "调节阀门后复测达标"}),
    )
    .await;
    let r = no_redirects()
        .get(app.url("/queues/export.xlsx?queue=all"))
        .bearer_auth(app.token("operator"))
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap();
    let rows = crate::console::read_xlsx(&bytes);
    let header = &rows[0];
    let temp_col = header.iter().position(|h| h.contains("室温")).unwrap();
    let refund_col = header.iter().position(|h| h.contains("退费")).unwrap();
    let row = rows.iter().find(|r| r[0] == number).unwrap();
    assert_eq!(row[temp_col], "19.8");
    assert_eq!(row[refund_col], "10");
}

async fn bad_temperature_visits_store_nothing(app: TestApp) {
    let number = dispatched(&app, temperature_call()).await;
    act_ok(&app, "station", &number, json!({"action": "accept"})).await;
    let reading = |c: f64| json!({"room": "卧室", "celsius": c});
    let visit = |readings: Value, protocol: bool, cosign: &str| {
        json!({
            "action": "measure_temperature",
            "readings": readings,
            "protocol_followed": protocol,
            "co_signed_by": cosign,
        })
    };
    for (body, field) in [
        (
            visit(json!([reading(61.0)]), true, "王"),
            "readings[0].celsius",
        ),
        (
            visit(json!([reading(18.0), reading(-30.5)]), true, "王"),
            "readings[1].celsius",
        ),
        (visit(json!([]), true, "王"), "readings"),
        (
            visit(json!([reading(18.0)]), false, "王"),
            "protocol_followed",
        ),
        (visit(json!([reading(18.0)]), true, " "), "co_signed_by"),
        (
            visit(
                json!([{"room": "卧室", "celsius": 18.0, "at": "2026-12-04 12:00"}]),
                true,
                "王",
            ),
            "readings[0].at",
        ),
    ] {
        let (s, b) = app.act("repairer", &number, body).await;
        assert_eq!((s, b["field"].as_str()), (422, Some(field)), "{b}");
    }
    // The console names the bad row next to the readings.
    let (s, html) = post_form(
        &app,
        "operator",
        &format!("/tickets/{number}/actions"),
        &[
            ("action", "measure_temperature"),
            ("room", "卧室"),
            ("celsius", "75"),
            ("protocol_followed", "1"),
            ("co_signed_by", "王"),
        ],
    )
    .await;
    assert_eq!(s, 422);
    assert!(
        html.contains("读数 1 温度 (°C)应在 −30 至 60 °C 之间"),
        "the error says the range: {html}"
    );
    assert!(html.contains("value=\"75\""), "what was typed is kept");
    // An empty first row: the error names the row the user typed in.
    let (s, html) = post_form(
        &app,
        "operator",
        &format!("/tickets/{number}/actions"),
        &[
            ("action", "measure_temperature"),
            ("room", ""),
            ("celsius", ""),
            ("room", "客厅"),
            ("celsius", "-31"),
            ("protocol_followed", "1"),
            ("co_signed_by", "王"),
        ],
    )
    .await;
    assert_eq!(s, 422);
    assert!(html.contains("读数 2 温度 (°C)应在"), "{html}");
    let t = ticket(&app, &number).await;
    assert_eq!(t["status"], "accepted");
    assert_eq!(t["room_temp_c"], Value::Null);
    assert!(events_of(&t, "temperature_measured").is_empty());
    // Only temperature tickets get a visit.
    let repair = dispatched(&app, repair_call()).await;
    act_ok(&app, "station", &repair, json!({"action": "accept"})).await;
    let (s, b) = app
        .act(
            "repairer",
            &repair,
            visit(json!([reading(15.0)]), true, "王"),
        )
        .await;
    assert_eq!((s, b["field"].as_str()), (422, Some("kind")), "{b}");
    // Viewers do not measure.
    let (s, _) = app
        .act("viewer", &number, visit(json!([reading(15.0)]), true, "王"))
        .await;
    assert_eq!(s, 403);
    // The ends of the range are readings: (−30 + 60) / 2 = 15 °C, 50 %.
    let t = act_ok(
        &app,
        "repairer",
        &number,
        visit(
            json!([reading(-30.0), {"room": "客厅", "celsius": 60.0}]),
            true,
            "王",
        ),
    )
    .await;
    assert_eq!(
        (t["room_temp_c"].as_f64(), t["refund_percent"].as_i64()),
        (Some(15.0), Some(50))
    );
}

async fn a_merged_ticket_follows_its_primary_and_its_caller_is_called_back(app: TestApp) {
    let primary = dispatched(&app, repair_call()).await;
    let mut neighbour = repair_call();
    neighbour["caller_name"] = json!("邻居张先生");
    neighbour["caller_phone"] = json!("139 0000 0009");
    neighbour["account_no"] = Value::Null;
    let duplicate = dispatched(&app, neighbour).await;

    // A ticket cannot be merged into itself or into one that is gone.
    let (s, b) = app
        .act(
            "operator",
            &duplicate,
            json!({"action": "merge", "into": duplicate}),
        )
        .await;
    assert_eq!((s, b["field"].as_str()), (422, Some("into")), "{b}");
    let (s, b) = app
        .act(
            "operator",
            &duplicate,
            json!({"action": "merge", "into": "20261204-9999"}),
        )
        .await;
    assert_eq!((s, b["field"].as_str()), (422, Some("into")), "{b}");
    // A station does not merge.
    let (s, _) = app
        .act(
            "station",
            &duplicate,
            json!({"action": "merge", "into": primary}),
        )
        .await;
    assert_eq!(s, 403);

    // From the console.
    let (s, body) = post_form(
        &app,
        "operator",
        &format!("/tickets/{duplicate}/actions"),
        &[("action", "merge"), ("into", &primary)],
    )
    .await;
    assert_eq!(s, 303, "{body}");
    let d = ticket(&app, &duplicate).await;
    assert_eq!(d["status"], "merged");
    assert_eq!(d["merged_into"], primary);
    assert_eq!(
        d["primary"],
        json!({"number": primary, "status": "dispatched"})
    );
    assert!(
        d["clocks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["state"] != "running"),
        "a merged ticket owes nothing of its own"
    );
    let merged = events_of(&d, "merged");
    assert_eq!(merged[0]["into"], primary);
    // Nothing merges into a merged ticket.
    let third = dispatched(&app, repair_call()).await;
    let (s, _) = app
        .act(
            "operator",
            &third,
            json!({"action": "merge", "into": duplicate}),
        )
        .await;
    assert_eq!(s, 422);
    // A primary merged on into another takes its duplicates along.
    let other = dispatched(&app, repair_call()).await;
    let extra = dispatched(&app, repair_call()).await;
    act_ok(
        &app,
        "operator",
        &extra,
        json!({"action": "merge", "into": other}),
    )
    .await;
    act_ok(
        &app,
        "operator",
        &other,
        json!({"action": "merge", "into": third}),
    )
    .await;
    assert_eq!(ticket(&app, &extra).await["merged_into"], third.as_str());
    let t3 = ticket(&app, &third).await;
    let dups: Vec<&str> = t3["duplicates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["number"].as_str().unwrap())
        .collect();
    assert_eq!(dups, vec![other.as_str(), extra.as_str()]);
    assert_eq!(
        events_of(&t3, "duplicate_merged")[0]["with"],
        json!([extra])
    );
    // Another station's user does not see the duplicates of S01's tickets.
    let (s, _) = app
        .get("station2", &format!("/api/v1/tickets/{third}"))
        .await;
    assert_eq!(s, 404);

    // The primary carries the duplicate's caller to its callback.
    let p = ticket(&app, &primary).await;
    assert_eq!(p["duplicates"][0]["number"], duplicate);
    assert_eq!(p["duplicates"][0]["caller_phone"], "13900000009");
    for step in [
        json!({"action": "accept"}),
        json!({"action": "contact", "note": "x"}),
        json!({"action": "arrive"}),
        json!({"action": "resolve", "note": "放气后正常"}),
    ] {
        let (s, b) = app.act("station", &primary, step).await;
        assert_eq!(s, 200, "{b}");
    }
    let (_, html) = page(&app, "operator", &format!("/tickets/{primary}")).await;
    let dups = &html[html.find("id=\"ticket-duplicates\"").unwrap()..];
    assert!(dups.contains("tel:13900000009") && dups.contains("邻居张先生"));
    assert!(html.contains("id=\"act-callback_ok\""));
    let (_, html) = page(&app, "operator", "/queues?queue=callback").await;
    let row = &html[html.find(&format!("data-number=\"{primary}\"")).unwrap()..];
    assert!(
        row[..row.find("</tr>").unwrap()].contains("+1 位来电人"),
        "the callback queue marks the extra caller"
    );

    // The merged ticket follows: its primary's state shows on it.
    let d = ticket(&app, &duplicate).await;
    assert_eq!(d["primary"]["status"], "resolved");
    let (_, html) = page(&app, "operator", &format!("/tickets/{duplicate}")).await;
    assert!(html.contains("id=\"ticket-primary\"") && html.contains("已处理"));
    act_ok(
        &app,
        "operator",
        &primary,
        json!({"action": "callback", "satisfaction": "satisfied", "note": "两户都已正常"}),
    )
    .await;
    let d = ticket(&app, &duplicate).await;
    assert_eq!(d["primary"]["status"], "closed");
    let p = ticket(&app, &primary).await;
    let merged_in = events_of(&p, "duplicate_merged");
    assert_eq!(
        merged_in.len(),
        1,
        "the primary's timeline records the merge"
    );
    assert_eq!(merged_in[0]["number"], duplicate);
    // The callback records whom it covered.
    let p = ticket(&app, &primary).await;
    let callback = events_of(&p, "callback_satisfied")[0];
    assert_eq!(
        callback["duplicates"],
        json!([{"number": duplicate, "caller_phone": "13900000009"}])
    );
}
