use domain::Timestamp;
use serde_json::{Value, json};

use crate::helpers::{TestApp, repair_call};

crate::on_both!(
    full_repair_lifecycle_is_recorded_to_the_second,
    illegal_transitions_are_409_invalid_transition,
    bad_input_names_the_field_and_stores_nothing,
    register_and_dispatch_in_one_step,
    inquiry_answered_on_the_call,
    redirect_reopen_and_merge,
    list_filters_and_keyset_pagination,
    concurrent_commands_never_corrupt_a_ticket,
    ticket_numbers_are_dated_and_sequential,
);

async fn full_repair_lifecycle_is_recorded_to_the_second(app: TestApp) {
    let number = app.register_repair().await;
    let steps: [(&str, Value, i64, &str); 7] = [
        (
            "operator",
            json!({"action": "dispatch", "station_code": "S01"}),
            40,
            "dispatched",
        ),
        ("station", json!({"action": "accept"}), 5 * 60, "accepted"),
        (
            "repairer",
            json!({"action": "contact", "note": "下午到"}),
            20 * 60,
            "contacted",
        ),
        ("repairer", json!({"action": "arrive"}), 30 * 60, "on_site"),
        (
            "repairer",
            json!({"action": "resolve", "note": "放气后正常", "measured_temp_c": 19.5}),
            45 * 60,
            "resolved",
        ),
        (
            "operator",
            json!({"action": "callback", "satisfied": true, "note": "满意"}),
            20 * 3600,
            "closed",
        ),
        (
            "operator",
            json!({"action": "reopen", "reason": "又不热了"}),
            3600,
            "dispatched",
        ),
    ];
    for (role, action, wait_s, status) in steps {
        app.clock.advance_millis(wait_s * 1000);
        let (code, body) = app.act(role, &number, action.clone()).await;
        assert_eq!(code, 200, "{action}: {body}");
        assert_eq!(body["status"], status);
    }
    let (code, t) = app
        .get("operator", &format!("/api/v1/tickets/{number}"))
        .await;
    assert_eq!(code, 200);
    assert_eq!(t["station"], json!({"code": "S01", "name": "红旗供热站"}));
    assert_eq!(t["caller_phone"], "13800000001");
    assert_eq!(t["account_no"], "A0001");
    assert_eq!(t["created_at"], "2026-12-04T09:05:00+08:00");
    let events = t["events"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "registered",
            "dispatched",
            "accepted",
            "contacted",
            "arrived",
            "resolved",
            "callback_satisfied",
            "reopened"
        ]
    );
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=8).collect::<Vec<_>>());
    assert_eq!(events[1]["at"], "2026-12-04T09:05:40+08:00");
    assert_eq!(events[1]["station_code"], "S01");
    assert_eq!(events[2]["actor"], "token:station");
    assert_eq!(events[2]["at"], "2026-12-04T09:10:40+08:00");
    assert_eq!(events[5]["measured_temp_c"], 19.5);
    assert_eq!(events[5]["status"], "resolved");
    assert_eq!(events[6]["note"], "满意");
    assert_eq!(events[7]["reason"], "又不热了");
}

async fn illegal_transitions_are_409_invalid_transition(app: TestApp) {
    let number = app.register_repair().await;
    let (code, body) = app
        .act("station", &number, json!({"action": "accept"}))
        .await;
    // Not yet dispatched: the station does not even see it.
    assert_eq!(code, 404, "{body}");
    let (code, body) = app
        .act("operator", &number, json!({"action": "accept"}))
        .await;
    assert_eq!(code, 409);
    assert_eq!(body["code"], "invalid_transition");
    assert_eq!(body["type"], "/problems/invalid_transition");
    assert_eq!(body["status"], 409);
    let (code, body) = app
        .act(
            "operator",
            &number,
            json!({"action": "callback", "satisfied": true}),
        )
        .await;
    assert_eq!(
        (code, body["code"].as_str()),
        (409, Some("invalid_transition"))
    );
    let (code, body) = app.act("operator", &number, json!({"action": "fly"})).await;
    assert_eq!((code, body["field"].as_str()), (422, Some("action")));
    // The ticket is untouched.
    let (_, t) = app
        .get("operator", &format!("/api/v1/tickets/{number}"))
        .await;
    assert_eq!(t["status"], "registered");
    assert_eq!(t["events"].as_array().unwrap().len(), 1);
}

async fn bad_input_names_the_field_and_stores_nothing(app: TestApp) {
    let mut cases: Vec<(Value, &str, &str)> = Vec::new();
    let with = |key: &str, value: Value| {
        let mut call = repair_call();
        call[key] = value;
        call
    };
    cases.push((with("kind", json!("fire")), "kind", "unknown_value"));
    cases.push((with("category", json!("飞碟")), "category", "unknown_value"));
    cases.push((with("priority", json!("asap")), "priority", "unknown_value"));
    cases.push((
        with("station_code", json!("S99")),
        "station_code",
        "unknown_value",
    ));
    cases.push((
        with("account_no", json!("NOPE")),
        "account_no",
        "unknown_value",
    ));
    cases.push((with("caller_phone", json!("")), "caller_phone", "required"));
    cases.push((
        with("caller_phone", json!("12")),
        "caller_phone",
        "invalid_field",
    ));
    cases.push((
        with("caller_phone", json!("1380000000112345")),
        "caller_phone",
        "invalid_field",
    ));
    cases.push((
        with("description", json!("暖".repeat(5000))),
        "description",
        "too_long",
    ));
    cases.push((with("address", json!("  ")), "address", "required"));
    cases.push((with("lat", json!(45.7)), "lon", "required"));
    cases.push((with("lat", json!("north")), "lat", "invalid_field"));
    let mut missing = repair_call();
    missing.as_object_mut().unwrap().remove("kind");
    cases.push((missing, "kind", "invalid_field"));
    for (body, field, code) in cases {
        let (status, problem) = app.post("operator", "/api/v1/tickets", &body).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["field"], field, "{problem}");
        assert_eq!(problem["code"], code, "{problem}");
    }
    // Malformed JSON and wrong content type.
    let r = app
        .client
        .post(app.url("/api/v1/tickets"))
        .bearer_auth(app.token("operator"))
        .header("content-type", "application/json")
        .body("{\"kind\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let (_, problem) = crate::helpers::status_json(r).await;
    assert_eq!(problem["code"], "malformed_json");
    let r = app
        .client
        .post(app.url("/api/v1/tickets"))
        .bearer_auth(app.token("operator"))
        .header("content-type", "text/plain")
        .body(repair_call().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let (code, list) = app.get("operator", "/api/v1/tickets").await;
    assert_eq!(code, 200);
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        0,
        "nothing was stored"
    );
}

async fn register_and_dispatch_in_one_step(app: TestApp) {
    let mut call = repair_call();
    call["dispatch"] = json!(true);
    call["account_no"] = json!(null);
    call["station_code"] = json!("S02");
    let (code, t) = app.post("operator", "/api/v1/tickets", &call).await;
    assert_eq!(code, 201, "{t}");
    assert_eq!(t["status"], "dispatched");
    assert_eq!(t["station"]["code"], "S02");
    let kinds: Vec<&str> = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["registered", "dispatched"]);
    // Without a station (no account, an address the register does not know)
    // there is nothing to dispatch to.
    let mut call = repair_call();
    call["dispatch"] = json!(true);
    call["account_no"] = json!(null);
    call["address"] = json!("火星路1号");
    let (code, problem) = app.post("operator", "/api/v1/tickets", &call).await;
    assert_eq!(
        (code, problem["field"].as_str()),
        (422, Some("station_code"))
    );
}

async fn inquiry_answered_on_the_call(app: TestApp) {
    let call = json!({"kind": "inquiry", "category": "缴费", "priority": "normal", "caller_phone": "0451-82345678",
        "address": "光华街", "description": "在哪里缴费"});
    let (code, t) = app.post("operator", "/api/v1/tickets", &call).await;
    assert_eq!(code, 201, "{t}");
    assert_eq!(t["category"], "payment");
    assert!(t["station"].is_null());
    let number = t["number"].as_str().unwrap();
    let (code, problem) = app
        .act("operator", number, json!({"action": "answer"}))
        .await;
    assert_eq!((code, problem["field"].as_str()), (422, Some("note")));
    let (code, t) = app
        .act(
            "operator",
            number,
            json!({"action": "answer", "note": "可在营业厅或微信缴费"}),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(t["status"], "closed");
}

async fn redirect_reopen_and_merge(app: TestApp) {
    let number = app.register_repair().await;
    app.act(
        "operator",
        &number,
        json!({"action": "dispatch", "station_code": "S01"}),
    )
    .await;
    // Dispatching again is no way to move it: that takes a reason.
    let (code, _) = app
        .act(
            "station",
            &number,
            json!({"action": "dispatch", "station_code": "S02"}),
        )
        .await;
    assert_eq!(code, 409);
    // The station says: not ours. It redirects in one step.
    let (code, t) = app
        .act(
            "station",
            &number,
            json!({"action": "redirect", "station_code": "S02", "reason": "不归本站"}),
        )
        .await;
    assert_eq!(code, 200, "{t}");
    assert_eq!(t["station"]["code"], "S02");
    assert_eq!(t["events"][2]["kind"], "redirected");
    assert_eq!(t["events"][2]["from"], "S01");
    // S01 no longer sees it; S02 does.
    assert_eq!(
        app.get("station", &format!("/api/v1/tickets/{number}"))
            .await
            .0,
        404
    );
    assert_eq!(
        app.get("station2", &format!("/api/v1/tickets/{number}"))
            .await
            .0,
        200
    );

    let dup = app.register_repair().await;
    let (code, problem) = app
        .act("operator", &dup, json!({"action": "merge", "into": dup}))
        .await;
    assert_eq!((code, problem["field"].as_str()), (422, Some("into")));
    let (code, problem) = app
        .act(
            "operator",
            &dup,
            json!({"action": "merge", "into": "20000101-0001"}),
        )
        .await;
    assert_eq!((code, problem["field"].as_str()), (422, Some("into")));
    let (code, t) = app
        .act("operator", &dup, json!({"action": "merge", "into": number}))
        .await;
    assert_eq!(code, 200, "{t}");
    assert_eq!(
        (t["status"].as_str(), t["merged_into"].as_str()),
        (Some("merged"), Some(number.as_str()))
    );
    // Nothing merges into a merged ticket.
    let third = app.register_repair().await;
    let (code, _) = app
        .act("operator", &third, json!({"action": "merge", "into": dup}))
        .await;
    assert_eq!(code, 422);

    // Appointment: schedule in the past is refused, in the future accepted.
    app.act("station2", &number, json!({"action": "accept"}))
        .await;
    let (code, problem) = app
        .act(
            "repairer",
            &number,
            json!({"action": "schedule", "appointment_at": "2026-12-05 14:00"}),
        )
        .await;
    assert_eq!(
        code, 404,
        "a repairer of S01 cannot touch S02's ticket: {problem}"
    );
    let (code, problem) = app
        .act(
            "station2",
            &number,
            json!({"action": "schedule", "appointment_at": "2026-12-01 14:00"}),
        )
        .await;
    assert_eq!(
        (code, problem["field"].as_str()),
        (422, Some("appointment_at"))
    );
    let (code, t) = app
        .act(
            "station2",
            &number,
            json!({"action": "schedule", "appointment_at": "2026-12-05 14:00"}),
        )
        .await;
    assert_eq!(code, 200, "{t}");
    assert_eq!(t["status"], "scheduled");
    assert_eq!(t["appointment_at"], "2026-12-05T14:00:00+08:00");
    assert_eq!(
        t["events"].as_array().unwrap().last().unwrap()["appointment_at"],
        "2026-12-05T14:00:00+08:00"
    );
}

async fn list_filters_and_keyset_pagination(app: TestApp) {
    let mut numbers = Vec::new();
    for i in 0..7 {
        let mut call = repair_call();
        if i % 2 == 1 {
            call["priority"] = json!("emergency");
            call["address"] = json!(format!("阳光家园{i}栋"));
            call["account_no"] = json!("A0002");
            call["caller_phone"] = json!("13800000002");
        }
        let (code, t) = app.post("operator", "/api/v1/tickets", &call).await;
        assert_eq!(code, 201);
        numbers.push(t["number"].as_str().unwrap().to_string());
        app.clock.advance_millis(Timestamp::MINUTE);
    }
    app.act(
        "operator",
        &numbers[0],
        json!({"action": "dispatch", "station_code": "S01"}),
    )
    .await;

    let count = |v: &Value| v["items"].as_array().unwrap().len();
    let (_, all) = app.get("operator", "/api/v1/tickets?limit=3").await;
    assert_eq!(count(&all), 3);
    assert_eq!(
        all["items"][0]["number"],
        numbers[6].as_str(),
        "newest first"
    );
    let mut seen: Vec<String> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["number"].as_str().unwrap().into())
        .collect();
    let mut cursor = all["next_cursor"].as_str().unwrap().to_string();
    loop {
        let (_, page) = app
            .get(
                "operator",
                &format!("/api/v1/tickets?limit=3&cursor={cursor}"),
            )
            .await;
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["number"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    let mut expected = numbers.clone();
    expected.reverse();
    assert_eq!(seen, expected, "every ticket once, in order");

    let (_, emergencies) = app
        .get("operator", "/api/v1/tickets?priority=emergency")
        .await;
    assert_eq!(count(&emergencies), 3);
    let (_, s01) = app
        .get(
            "operator",
            "/api/v1/tickets?station=S01&status=dispatched,accepted",
        )
        .await;
    assert_eq!(count(&s01), 1);
    let (_, by_phone) = app.get("operator", "/api/v1/tickets?q=138-0000-0002").await;
    assert_eq!(count(&by_phone), 3);
    let (_, by_number) = app
        .get("operator", &format!("/api/v1/tickets?q={}", numbers[4]))
        .await;
    assert_eq!(count(&by_number), 1);
    let (_, by_text) = app.get("operator", "/api/v1/tickets?q=阳光").await;
    assert_eq!(count(&by_text), 3);
    let (_, by_percent) = app.get("operator", "/api/v1/tickets?q=%25").await;
    assert_eq!(count(&by_percent), 0, "% is searched literally");
    let (_, window) = app
        .get(
            "operator",
            "/api/v1/tickets?from=2026-12-04T09:07:00%2B08:00&to=2026-12-04T09:09:00%2B08:00",
        )
        .await;
    assert_eq!(count(&window), 2);

    for (query, field) in [
        ("status=lost", "status"),
        ("kind=x", "kind"),
        ("station=S99", "station"),
        ("limit=0", "limit"),
        ("cursor=abc", "cursor"),
        ("from=yesterday", "from"),
    ] {
        let (code, problem) = app
            .get("operator", &format!("/api/v1/tickets?{query}"))
            .await;
        assert_eq!(
            (code, problem["field"].as_str()),
            (422, Some(field)),
            "{query}: {problem}"
        );
    }
}

async fn concurrent_commands_never_corrupt_a_ticket(app: TestApp) {
    let number = app.register_repair().await;
    app.act(
        "operator",
        &number,
        json!({"action": "dispatch", "station_code": "S01"}),
    )
    .await;
    // Ten clients accept at once: exactly one wins, the rest see a clear 409.
    let attempts = (0..10).map(|_| app.act("station", &number, json!({"action": "accept"})));
    let results = futures::future::join_all(attempts).await;
    let ok = results.iter().filter(|(c, _)| *c == 200).count();
    assert_eq!(ok, 1, "{results:?}");
    assert!(
        results
            .iter()
            .all(|(c, b)| *c == 200 || (*c == 409 && b["code"] == "invalid_transition")),
        "{results:?}"
    );
    // Many different commands racing on one ticket keep the timeline gapless.
    let notes = (0..8).map(|i| {
        app.act(
            "repairer",
            &number,
            json!({"action": "contact", "note": format!("call {i}")}),
        )
    });
    futures::future::join_all(notes).await;
    let (_, t) = app
        .get("operator", &format!("/api/v1/tickets/{number}"))
        .await;
    let events = t["events"].as_array().unwrap();
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=events.len() as i64).collect::<Vec<_>>());
    assert_eq!(events.iter().filter(|e| e["kind"] == "accepted").count(), 1);
    assert_eq!(t["status"], "contacted");
}

async fn ticket_numbers_are_dated_and_sequential(app: TestApp) {
    let a = app.register_repair().await;
    let b = app.register_repair().await;
    assert_eq!(a, "20261204-0001");
    assert_eq!(b, "20261204-0002");
    // Next day in Shanghai (16:00 UTC is midnight there).
    app.clock
        .set(Timestamp(1_796_400_000_000 + 8 * Timestamp::HOUR));
    assert_eq!(app.register_repair().await, "20261205-0001");
    let call = repair_call();
    let many = (0..20).map(|_| app.post("operator", "/api/v1/tickets", &call));
    let results = futures::future::join_all(many).await;
    let mut numbers: Vec<String> = results
        .iter()
        .map(|(c, t)| {
            assert_eq!(*c, 201);
            t["number"].as_str().unwrap().to_string()
        })
        .collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(
        numbers.len(),
        20,
        "concurrent registrations get distinct numbers"
    );
}
