//! The callback (回访) that closes a ticket, and the supervisor's override
//! (issue 6, part).

use serde_json::{Value, json};

use crate::helpers::TestApp;

crate::on_both!(
    callbacks_record_reach_and_satisfaction,
    only_supervisors_close_without_a_callback,
    the_callback_queue_is_oldest_first,
);

/// A repair taken through to `resolved`.
async fn resolved(app: &TestApp) -> String {
    let number = app.register_repair().await;
    for (role, action) in [
        (
            "operator",
            json!({"action": "dispatch", "station_code": "S01"}),
        ),
        ("station", json!({"action": "accept"})),
        ("repairer", json!({"action": "contact", "note": "马上到"})),
        ("repairer", json!({"action": "arrive"})),
        (
            "repairer",
            json!({"action": "resolve", "note": "放气后正常"}),
        ),
    ] {
        app.clock.advance_millis(60_000);
        let (code, body) = app.act(role, &number, action).await;
        assert_eq!(code, 200, "{body}");
    }
    number
}

fn last_event(t: &Value) -> Value {
    t["events"].as_array().unwrap().last().unwrap().clone()
}

async fn callbacks_record_reach_and_satisfaction(app: TestApp) {
    let number = resolved(&app).await;
    // Nobody answers: the ticket keeps waiting for its callback, the attempt is on record.
    let (code, t) = app
        .act(
            "operator",
            &number,
            json!({"action": "callback_not_reached", "note": "无人接听"}),
        )
        .await;
    assert_eq!(code, 200, "{t}");
    assert_eq!(t["status"], "resolved");
    assert_eq!(last_event(&t)["kind"], "callback_not_reached");
    let callback_clock = t["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["step"] == "callback")
        .unwrap()
        .clone();
    assert_eq!(callback_clock["state"], "running");

    // 基本满意 closes, with the customer's words and answer.
    let (code, t) = app
        .act(
            "operator",
            &number,
            json!({"action": "callback", "satisfaction": "basically_satisfied", "note": "还行"}),
        )
        .await;
    assert_eq!(code, 200, "{t}");
    assert_eq!(t["status"], "closed");
    let e = last_event(&t);
    assert_eq!(
        (e["kind"].clone(), e["satisfaction"].clone()),
        (json!("callback_satisfied"), json!("basically_satisfied"))
    );

    // Not satisfied needs the customer's words; an unknown answer is a field error.
    let other = resolved(&app).await;
    let (code, body) = app
        .act(
            "operator",
            &other,
            json!({"action": "callback", "satisfaction": "unsatisfied"}),
        )
        .await;
    assert_eq!(
        (code, body["field"].clone()),
        (422, json!("note")),
        "{body}"
    );
    let (code, body) = app
        .act(
            "operator",
            &other,
            json!({"action": "callback", "satisfaction": "so-so"}),
        )
        .await;
    assert_eq!(
        (code, body["field"].clone()),
        (422, json!("satisfaction")),
        "{body}"
    );
    let (code, t) = app
        .act(
            "operator",
            &other,
            json!({"action": "callback", "satisfaction": "unsatisfied", "note": "还是不热"}),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(t["status"], "dispatched", "reopened to its station");
    assert_eq!(t["station"]["code"], "S01");

    // The console's ticket page offers the three answers and "not reached".
    let page = app
        .page(
            "operator",
            &format!("/tickets/{}", resolved(&app).await),
            "zh-CN",
        )
        .await
        .1;
    for action in [
        "callback_ok",
        "callback_basic",
        "callback_no",
        "callback_missed",
    ] {
        assert!(page.contains(&format!("id=\"act-{action}\"")), "{action}");
    }
    assert!(
        !page.contains("id=\"act-close\""),
        "operators do not override"
    );
}

async fn only_supervisors_close_without_a_callback(app: TestApp) {
    let number = app.register_repair().await;
    let (code, _) = app
        .act(
            "operator",
            &number,
            json!({"action": "close", "reason": "用户自行修好"}),
        )
        .await;
    assert_eq!(code, 403);
    let (code, body) = app
        .act("manager", &number, json!({"action": "close"}))
        .await;
    assert_eq!(
        (code, body["field"].clone()),
        (422, json!("reason")),
        "{body}"
    );
    let (code, t) = app
        .act(
            "manager",
            &number,
            json!({"action": "close", "reason": "用户自行修好"}),
        )
        .await;
    assert_eq!(code, 200, "{t}");
    assert_eq!(t["status"], "closed");
    let e = last_event(&t);
    assert_eq!(e["kind"], "closed_by_supervisor");
    assert_eq!(e["reason"], "用户自行修好");
    assert_eq!(e["actor"], "token:manager");
    assert!(
        t["clocks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["state"] != "running"),
        "no clock runs on a closed ticket"
    );
    let (code, _) = app
        .act(
            "manager",
            &number,
            json!({"action": "close", "reason": "again"}),
        )
        .await;
    assert_eq!(code, 409);
}

async fn the_callback_queue_is_oldest_first(app: TestApp) {
    let first = resolved(&app).await;
    let second = resolved(&app).await;
    let html = app
        .page("operator", "/queues?queue=callback&fragment=1", "zh-CN")
        .await
        .1;
    let a = html
        .find(&format!("data-number=\"{first}\""))
        .expect("first listed");
    let b = html
        .find(&format!("data-number=\"{second}\""))
        .expect("second listed");
    assert!(a < b, "the longest-waiting callback comes first");
}
