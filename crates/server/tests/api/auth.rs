use domain::Role;
use serde_json::json;

use crate::helpers::{START, TestApp, repair_call, status_json};

crate::on_both!(
    sign_in_with_a_session_cookie_and_out_again,
    failed_sign_ins_are_throttled,
    requests_without_credentials_are_refused,
    roles_limit_what_users_do,
    station_users_see_only_their_station,
);

async fn add_user(app: &TestApp, name: &str, role: Role, station: Option<&str>, password: &str) {
    let hash = server::auth::hash_password(password).unwrap();
    app.db
        .create_user(name, "王丽", role, station, &hash, START)
        .await
        .unwrap();
}

async fn login(app: &TestApp, name: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/login"))
        .json(&json!({"username": name, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn sign_in_with_a_session_cookie_and_out_again(app: TestApp) {
    add_user(
        &app,
        "wangli",
        Role::Operator,
        None,
        "correct horse battery",
    )
    .await;
    let r = login(&app, "wangli", "correct horse battery").await;
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    let (_, me) = status_json(r).await;
    assert_eq!(me["role"], "operator");

    // The cookie works for the API, including writes.
    let r = app
        .client
        .post(app.url("/api/v1/tickets"))
        .header("cookie", &session)
        .json(&repair_call())
        .send()
        .await
        .unwrap();
    let (code, t) = status_json(r).await;
    assert_eq!(code, 201, "{t}");
    assert_eq!(t["created_by"], "wangli");

    let r = app
        .client
        .post(app.url("/api/v1/logout"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = app
        .client
        .get(app.url("/api/v1/me"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "the session is gone from the database");

    // Sessions expire.
    let r = login(&app, "wangli", "correct horse battery").await;
    let session = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    app.clock.advance_millis(13 * domain::Timestamp::HOUR);
    let r = app
        .client
        .get(app.url("/api/v1/me"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

async fn failed_sign_ins_are_throttled(app: TestApp) {
    add_user(&app, "zhang", Role::Operator, None, "right password").await;
    for _ in 0..5 {
        let (code, problem) = status_json(login(&app, "zhang", "wrong").await).await;
        assert_eq!(
            (code, problem["code"].as_str()),
            (401, Some("unauthorized"))
        );
    }
    // Even the right password is refused now, with Retry-After.
    let r = login(&app, "zhang", "right password").await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    // Unknown users are throttled the same way and get the same answer.
    let (code, _) = status_json(login(&app, "nobody", "x").await).await;
    assert_eq!(code, 401);
    // After the window, the right password works again.
    app.clock.advance_millis(16 * domain::Timestamp::MINUTE);
    assert_eq!(login(&app, "zhang", "right password").await.status(), 200);
}

async fn requests_without_credentials_are_refused(app: TestApp) {
    let r = app
        .client
        .get(app.url("/api/v1/tickets"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .get(app.url("/api/v1/tickets"))
        .bearer_auth("hd_forged")
        .send()
        .await
        .unwrap();
    let (code, problem) = status_json(r).await;
    assert_eq!(
        (code, problem["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let r = app
        .client
        .get(app.url("/api/v1/tickets"))
        .header("cookie", "heatdesk_session=s_forged")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

async fn roles_limit_what_users_do(app: TestApp) {
    for role in ["viewer", "station", "repairer", "manager"] {
        let (code, problem) = app.post(role, "/api/v1/tickets", &repair_call()).await;
        assert_eq!(
            (code, problem["code"].as_str()),
            (403, Some("forbidden")),
            "{role}"
        );
    }
    let number = app.register_repair().await;
    app.act(
        "operator",
        &number,
        json!({"action": "dispatch", "station_code": "S01"}),
    )
    .await;
    assert_eq!(
        app.act("repairer", &number, json!({"action": "accept"}))
            .await
            .0,
        403
    );
    assert_eq!(
        app.act("viewer", &number, json!({"action": "accept"}))
            .await
            .0,
        403
    );
    assert_eq!(
        app.act("station", &number, json!({"action": "accept"}))
            .await
            .0,
        200
    );
    assert_eq!(
        app.act(
            "station",
            &number,
            json!({"action": "cancel", "reason": "x"})
        )
        .await
        .0,
        403
    );
    // Viewers and managers read everything.
    assert_eq!(
        app.get("viewer", &format!("/api/v1/tickets/{number}"))
            .await
            .0,
        200
    );
    assert_eq!(app.get("manager", "/api/v1/tickets").await.0, 200);
    // Repairers do not look up customer accounts; operators do.
    assert_eq!(
        app.get("repairer", "/api/v1/accounts?phone=13800000001")
            .await
            .0,
        403
    );
    assert_eq!(
        app.get("operator", "/api/v1/accounts?phone=13800000001")
            .await
            .0,
        200
    );
}

async fn station_users_see_only_their_station(app: TestApp) {
    let ours = app.register_repair().await;
    app.act(
        "operator",
        &ours,
        json!({"action": "dispatch", "station_code": "S01"}),
    )
    .await;
    let theirs = app.register_repair().await;
    app.act(
        "operator",
        &theirs,
        json!({"action": "dispatch", "station_code": "S02"}),
    )
    .await;

    let (_, list) = app.get("station", "/api/v1/tickets").await;
    let numbers: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, [ours.as_str()]);
    assert_eq!(
        app.get("station", "/api/v1/tickets?station=S02").await.0,
        403
    );
    assert_eq!(
        app.get("station", &format!("/api/v1/tickets/{theirs}"))
            .await
            .0,
        404
    );
    assert_eq!(
        app.act("station", &theirs, json!({"action": "accept"}))
            .await
            .0,
        404
    );
    assert_eq!(
        app.get("station2", &format!("/api/v1/tickets/{theirs}"))
            .await
            .0,
        200
    );
    // Account lookups are confined too.
    let (_, accounts) = app
        .get("station", "/api/v1/accounts?phone=13800000002")
        .await;
    assert_eq!(accounts["items"].as_array().unwrap().len(), 0);
}
