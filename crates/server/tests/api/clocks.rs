//! Deadlines, warnings, escalation and the outbox (issue 5), driven with the
//! manual clock: the scheduler and the notifier are run by the test, never
//! waited for.

use serde_json::{Value, json};
use server::workers::{self, Notifier};
use store::org::StaffRecord;

use crate::gateway::{Gateway, MailRelay};
use crate::helpers::{START, TestApp, test_config};
use domain::{Clock, Position, Timestamp};

const MIN: i64 = Timestamp::MINUTE;

const GM: &str = "13900000001";
const CHAIRMAN: &str = "13900000002";
const DIRECTOR_S01: &str = "13900000003";
const REPAIRER_S01: &str = "13900000004";
const REPAIRER_S02: &str = "13900000005";
const BRANCH_MANAGER_S01: &str = "13900000006";
const BRANCH_MANAGER_S02: &str = "13900000007";

async fn seed_staff(app: &TestApp) {
    let person = |phone: &str, position, branch: Option<&str>, station: Option<&str>| StaffRecord {
        row: 2,
        name: format!("员工{}", &phone[7..]),
        phone: phone.into(),
        position,
        branch: branch.map(Into::into),
        station_code: station.map(Into::into),
        email: None,
    };
    app.db
        .import_staff(
            &[
                person(GM, Position::GeneralManager, None, None),
                person(CHAIRMAN, Position::Chairman, None, None),
                person(
                    DIRECTOR_S01,
                    Position::StationDirector,
                    Some("南岗分公司"),
                    Some("S01"),
                ),
                person(
                    REPAIRER_S01,
                    Position::Repairer,
                    Some("南岗分公司"),
                    Some("S01"),
                ),
                person(
                    REPAIRER_S02,
                    Position::Repairer,
                    Some("道里分公司"),
                    Some("S02"),
                ),
                person(
                    BRANCH_MANAGER_S01,
                    Position::BranchManager,
                    Some("南岗分公司"),
                    None,
                ),
                person(
                    BRANCH_MANAGER_S02,
                    Position::BranchManager,
                    Some("道里分公司"),
                    None,
                ),
            ],
            START,
        )
        .await
        .expect("staff");
}

/// Registers and dispatches a repair of `priority` to S01 in one request.
async fn dispatched(app: &TestApp, priority: &str) -> String {
    let mut call = crate::helpers::repair_call();
    call["priority"] = json!(priority);
    call["dispatch"] = json!(true);
    let (code, body) = app.post("operator", "/api/v1/tickets", &call).await;
    assert_eq!(code, 201, "{body}");
    body["number"].as_str().unwrap().to_string()
}

async fn ticket(app: &TestApp, number: &str) -> Value {
    let (code, body) = app
        .get("manager", &format!("/api/v1/tickets/{number}"))
        .await;
    assert_eq!(code, 200, "{body}");
    body
}

/// The clock events of one step: ("warned", 0) or ("escalated", level).
async fn clock_events(app: &TestApp, number: &str, step: &str) -> Vec<(String, i64)> {
    ticket(app, number).await["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["step"] == step)
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_string(),
                e["level"].as_i64().unwrap_or(0),
            )
        })
        .collect()
}

async fn messages(app: &TestApp, query: &str) -> Vec<Value> {
    let (code, body) = app
        .get("admin", &format!("/api/v1/messages?limit=500&{query}"))
        .await;
    assert_eq!(code, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

fn recipients(messages: &[Value]) -> Vec<String> {
    let mut to: Vec<String> = messages
        .iter()
        .map(|m| m["to"].as_str().unwrap().to_string())
        .collect();
    to.sort();
    to
}

async fn tick(app: &TestApp) -> workers::FireReport {
    workers::fire_due_clocks(&app.state).await.expect("tick")
}

async fn emergency_repair_nobody_accepts(app: TestApp) {
    seed_staff(&app).await;
    let number = dispatched(&app, "emergency").await;

    // Dispatch tells the crew of S01, its branch manager and the general manager.
    let sent = messages(&app, "event=dispatched").await;
    assert_eq!(
        recipients(&sent),
        vec![GM, DIRECTOR_S01, REPAIRER_S01, BRANCH_MANAGER_S01]
    );
    assert!(sent[0]["text"].as_str().unwrap().contains(&number));
    assert!(
        sent[0]["text"]
            .as_str()
            .unwrap()
            .contains("幸福小区3栋2单元501")
    );

    app.clock.advance_millis(8 * MIN - 1000);
    tick(&app).await;
    assert!(clock_events(&app, &number, "accept").await.is_empty());

    app.clock.set(START.plus_millis(8 * MIN));
    let report = tick(&app).await;
    assert_eq!(report.warned, 1, "{report:?}");
    tick(&app).await;
    assert_eq!(
        clock_events(&app, &number, "accept").await,
        vec![("warned".to_string(), 0)]
    );

    app.clock.set(START.plus_millis(10 * MIN));
    tick(&app).await;
    tick(&app).await;
    assert_eq!(
        clock_events(&app, &number, "accept").await,
        vec![("warned".to_string(), 0), ("escalated".to_string(), 1)]
    );
    let escalations: Vec<Value> = messages(&app, "event=escalated")
        .await
        .into_iter()
        .filter(|m| m["text"].as_str().unwrap().contains("接单已超时"))
        .collect();
    assert_eq!(recipients(&escalations), vec![GM]);

    app.clock.set(START.plus_millis(70 * MIN - 1000));
    tick(&app).await;
    assert_eq!(clock_events(&app, &number, "accept").await.len(), 2);
    app.clock.set(START.plus_millis(70 * MIN));
    tick(&app).await;
    tick(&app).await;
    assert_eq!(
        clock_events(&app, &number, "accept").await,
        vec![
            ("warned".to_string(), 0),
            ("escalated".to_string(), 1),
            ("escalated".to_string(), 2)
        ]
    );
    let chairman: Vec<Value> = messages(&app, "event=escalated")
        .await
        .into_iter()
        .filter(|m| m["to"] == CHAIRMAN && m["text"].as_str().unwrap().contains("接单"))
        .collect();
    assert_eq!(chairman.len(), 1);
    assert!(
        chairman[0]["text"]
            .as_str()
            .unwrap()
            .contains("【升级督办·二级】"),
        "{}",
        chairman[0]["text"]
    );

    // The ticket shows the clock at level 2, still running.
    let t = ticket(&app, &number).await;
    let accept = t["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["step"] == "accept")
        .unwrap()
        .clone();
    assert_eq!(accept["state"], "running");
    assert_eq!(accept["escalation_level"], 2);

    // Accepting late stops the clock and records how late.
    let (code, _) = app
        .act("station", &number, json!({"action": "accept"}))
        .await;
    assert_eq!(code, 200);
    let t = ticket(&app, &number).await;
    let accept = t["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["step"] == "accept")
        .unwrap()
        .clone();
    assert_eq!(accept["state"], "late");
    assert_eq!(accept["late_seconds"], 60 * 60);
}

async fn acceptance_in_time_sends_nothing(app: TestApp) {
    seed_staff(&app).await;
    let number = dispatched(&app, "urgent").await;
    let after_dispatch = messages(&app, "").await.len();
    app.clock.advance_millis(5 * MIN);
    let (code, _) = app
        .act("station", &number, json!({"action": "accept"}))
        .await;
    assert_eq!(code, 200);
    for minute in [8, 10, 11, 30] {
        app.clock.set(START.plus_millis(minute * MIN));
        let report = tick(&app).await;
        assert_eq!(report, workers::FireReport::default(), "at {minute} min");
    }
    assert!(clock_events(&app, &number, "accept").await.is_empty());
    assert_eq!(messages(&app, "").await.len(), after_dispatch);
    let t = ticket(&app, &number).await;
    let accept = &t["clocks"].as_array().unwrap()[0];
    assert_eq!(
        (accept["step"].clone(), accept["state"].clone()),
        (json!("accept"), json!("met"))
    );
}

async fn scheduled_pauses_and_resumes_the_result_clock(app: TestApp) {
    let number = dispatched(&app, "normal").await;
    app.clock.advance_millis(5 * MIN);
    app.act("station", &number, json!({"action": "accept"}))
        .await;
    // One hour into the six: an appointment tomorrow at 09:05.
    app.clock.set(START.plus_millis(60 * MIN));
    let appointment = START.plus_millis(Timestamp::DAY);
    let (code, body) = app
        .act(
            "repairer",
            &number,
            json!({"action": "schedule", "appointment_at": "2026-12-05T09:05:00+08:00"}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    // Where the result clock would have warned (4 h 48 min) and been due (6 h): nothing.
    for at in [4 * 60 + 48, 6 * 60, 20 * 60] {
        app.clock.set(START.plus_millis(at * MIN));
        tick(&app).await;
    }
    assert!(clock_events(&app, &number, "result").await.is_empty());
    let t = ticket(&app, &number).await;
    let result = t["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["step"] == "result")
        .unwrap()
        .clone();
    assert_eq!(result["paused_until"], "2026-12-05T09:05:00+08:00");
    // The five hours left run again from the appointment.
    assert_eq!(result["due_at"], "2026-12-05T14:05:00+08:00");
    app.clock
        .set(appointment.plus_millis(3 * 60 * MIN + 48 * MIN));
    tick(&app).await;
    assert_eq!(
        clock_events(&app, &number, "result").await,
        vec![("warned".to_string(), 0)]
    );
    app.clock.set(appointment.plus_millis(5 * 60 * MIN));
    tick(&app).await;
    assert_eq!(clock_events(&app, &number, "result").await.len(), 2);
}

async fn reopening_restarts_the_clocks(app: TestApp) {
    let number = dispatched(&app, "normal").await;
    for (minutes, role, action) in [
        (5, "station", json!({"action": "accept"})),
        (
            10,
            "repairer",
            json!({"action": "contact", "note": "马上到"}),
        ),
        (30, "repairer", json!({"action": "arrive"})),
        (60, "repairer", json!({"action": "resolve", "note": "放气"})),
    ] {
        app.clock.set(START.plus_millis(minutes * MIN));
        let (code, body) = app.act(role, &number, action).await;
        assert_eq!(code, 200, "{body}");
    }
    let t = ticket(&app, &number).await;
    let states: Vec<(String, String)> = t["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["step"].as_str().unwrap().into(),
                c["state"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        states.contains(&("result".into(), "met".into())),
        "{states:?}"
    );
    assert!(
        states.contains(&("callback".into(), "running".into())),
        "{states:?}"
    );

    app.clock.set(START.plus_millis(3 * 60 * MIN));
    let (code, body) = app
        .act(
            "operator",
            &number,
            json!({"action": "callback", "satisfied": false, "note": "还是不热"}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let t = ticket(&app, &number).await;
    let running: Vec<&str> = t["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["state"] == "running")
        .map(|c| c["step"].as_str().unwrap())
        .collect();
    assert_eq!(running, vec!["accept", "contact", "result"]);
    // The new round's acceptance warns 8 minutes after the reopening.
    app.clock.set(START.plus_millis(3 * 60 * MIN + 8 * MIN));
    tick(&app).await;
    assert_eq!(
        clock_events(&app, &number, "accept").await,
        vec![("warned".to_string(), 0)]
    );
}

async fn webhook_delivery_retries_and_fails_visibly(app: TestApp) {
    seed_staff(&app).await;
    let gateway = Gateway::start().await;
    let mut config = test_config();
    config.notify.sms.driver = "webhook".into();
    config.notify.sms.url = Some(gateway.url.clone());
    config.notify.sms.timeout = "500ms".into();
    config.notify.max_attempts = 3;
    let instance = app.instance(config).await;
    let notifier = Notifier::new(&instance.state).expect("notifier");

    // The gateway is down for the first two requests; the branch manager's
    // number is refused for good.
    gateway.answer_next(&[500, 503]);
    gateway.reject(BRANCH_MANAGER_S01, 400);
    let number = dispatched(&app, "urgent").await;
    let first = notifier.deliver_due(&instance.state).await.unwrap();
    assert_eq!(
        (first.sent, first.retrying, first.failed),
        (1, 2, 1),
        "{first:?}"
    );
    // Nothing is due again before the backoff.
    let again = notifier.deliver_due(&instance.state).await.unwrap();
    assert_eq!(again, workers::DeliveryReport::default());
    app.clock.advance_millis(5_000);
    let second = notifier.deliver_due(&instance.state).await.unwrap();
    assert_eq!(second.sent, 2, "{second:?}");

    let all = messages(&app, &format!("ticket={number}")).await;
    let state_of = |to: &str| {
        all.iter()
            .find(|m| m["to"] == to)
            .map(|m| {
                (
                    m["state"].as_str().unwrap().to_string(),
                    m["attempts"].as_i64().unwrap(),
                )
            })
            .unwrap()
    };
    assert_eq!(state_of(BRANCH_MANAGER_S01).0, "failed");
    assert!(
        all.iter().find(|m| m["to"] == BRANCH_MANAGER_S01).unwrap()["last_error"]
            .as_str()
            .unwrap()
            .contains("400")
    );
    let retried: Vec<_> = all
        .iter()
        .filter(|m| m["attempts"] == 2)
        .map(|m| m["state"].clone())
        .collect();
    assert_eq!(retried, vec![json!("sent"), json!("sent")]);

    // Each message reached the gateway once as a success, with its key in
    // the body and the header, in the shape adapters take.
    let delivered = gateway.delivered();
    assert_eq!(delivered.len(), 3);
    for body in &delivered {
        for field in ["to", "text", "ticket", "event", "idempotency_key"] {
            assert!(body.get(field).is_some(), "{field} missing in {body}");
        }
        assert_eq!(body["ticket"], number.as_str());
    }
    for (_, body, header) in gateway.requests() {
        assert_eq!(body["idempotency_key"], header.as_str());
    }

    // A gateway that does not answer in time is retried, with the same key.
    gateway.delay(std::time::Duration::from_secs(2));
    let (code, _) = app
        .act(
            "operator",
            &number,
            json!({"action": "redirect", "station_code": "S02", "reason": "不归本站"}),
        )
        .await;
    assert_eq!(code, 200);
    let slow = notifier.deliver_due(&instance.state).await.unwrap();
    assert_eq!(slow.sent, 0);
    assert!(slow.retrying > 0, "{slow:?}");

    // Admins see the permanent failure in the console's message log.
    let page = app.page("admin", "/messages?state=failed", "zh-CN").await.1;
    assert!(page.contains(BRANCH_MANAGER_S01), "{page}");
    assert!(page.contains("/retry"));
}

async fn two_instances_fire_and_send_once(app: TestApp) {
    seed_staff(&app).await;
    let gateway = Gateway::start().await;
    let mut config = test_config();
    config.notify.sms.driver = "webhook".into();
    config.notify.sms.url = Some(gateway.url.clone());
    let a = app.instance(config.clone()).await;
    let b = app.instance(config).await;
    let number = dispatched(&app, "emergency").await;
    app.clock.set(START.plus_millis(10 * MIN));
    for _ in 0..3 {
        let (ra, rb) = tokio::join!(
            workers::fire_due_clocks(&a.state),
            workers::fire_due_clocks(&b.state)
        );
        ra.unwrap();
        rb.unwrap();
    }
    // The accept clock: warning skipped (already due), one escalation.
    assert_eq!(
        clock_events(&app, &number, "accept").await,
        vec![("escalated".to_string(), 1)]
    );
    let na = Notifier::new(&a.state).unwrap();
    let nb = Notifier::new(&b.state).unwrap();
    for _ in 0..3 {
        let (ra, rb) = tokio::join!(na.deliver_due(&a.state), nb.deliver_due(&b.state));
        ra.unwrap();
        rb.unwrap();
    }
    let all = messages(&app, "").await;
    assert!(all.iter().all(|m| m["state"] == "sent"), "{all:?}");
    let mut keys: Vec<String> = gateway
        .requests()
        .into_iter()
        .map(|(_, _, key)| key)
        .collect();
    let sent = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), sent, "a message went to the gateway twice");
    assert_eq!(sent, all.len());
    let to_gm_about_accept = gateway
        .delivered()
        .into_iter()
        .filter(|b| {
            b["to"] == GM
                && b["event"] == "escalated"
                && b["text"].as_str().unwrap().contains("接单")
        })
        .count();
    assert_eq!(to_gm_about_accept, 1);
}

async fn a_clock_due_while_down_fires_after_restart(app: TestApp) {
    seed_staff(&app).await;
    let number = dispatched(&app, "urgent").await;
    app.stop();
    // Down from 5 minutes to 20: the warning (8) and the deadline (10) pass unseen.
    app.clock.set(START.plus_millis(20 * MIN));
    let restarted = app.instance(test_config()).await;
    let report = workers::fire_due_clocks(&restarted.state).await.unwrap();
    assert_eq!(report.escalated, 1, "{report:?}");
    assert_eq!(report.skipped, 1, "{report:?}");
    let (code, t) = status_of(&restarted, &app, &number).await;
    assert_eq!(code, 200);
    let accept: Vec<&Value> = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["step"] == "accept")
        .collect();
    assert_eq!(accept.len(), 1);
    assert_eq!(accept[0]["kind"], "escalated");
    assert_eq!(accept[0]["late_ms"], 10 * MIN);
    assert_eq!(
        workers::fire_due_clocks(&restarted.state)
            .await
            .unwrap()
            .escalated,
        0
    );
}

async fn status_of(
    instance: &crate::helpers::Instance,
    app: &TestApp,
    number: &str,
) -> (u16, Value) {
    let r = app
        .client
        .get(format!("{}/api/v1/tickets/{number}", instance.addr))
        .bearer_auth(app.token("manager"))
        .send()
        .await
        .unwrap();
    crate::helpers::status_json(r).await
}

async fn console_shows_clocks_and_late_queue(app: TestApp) {
    seed_staff(&app).await;
    let number = dispatched(&app, "urgent").await;
    app.clock.set(START.plus_millis(9 * MIN));
    tick(&app).await;
    let page = |path: String, role: &'static str| {
        let app = &app;
        async move {
            let r = app
                .client
                .get(app.url(&path))
                .bearer_auth(app.token(role))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (_, warning) = page("/queues?queue=warning".into(), "operator").await;
    assert!(warning.contains(&number));
    let (_, late) = page("/queues?queue=late".into(), "operator").await;
    assert!(!late.contains(&format!("data-number=\"{number}\"")));
    app.clock.set(START.plus_millis(11 * MIN));
    tick(&app).await;
    let (_, late) = page("/queues?queue=late".into(), "operator").await;
    assert!(
        late.contains(&format!("data-number=\"{number}\"")),
        "{late}"
    );
    // The tabs count it, for everyone and for its station only.
    let stations = app.db.station_ids().await.unwrap();
    let now = START.plus_millis(11 * MIN);
    for (scope, late) in [
        (None, 1),
        (Some(stations["S01"]), 1),
        (Some(stations["S02"]), 0),
    ] {
        let counts = app.db.queue_counts(scope, now).await.unwrap();
        assert_eq!((counts.warning, counts.late), (0, late), "{scope:?}");
    }
    let at_nine = app
        .db
        .queue_counts(None, START.plus_millis(9 * MIN))
        .await
        .unwrap();
    assert_eq!((at_nine.warning, at_nine.late), (1, 0));
    let (_, t) = page(format!("/tickets/{number}"), "operator").await;
    assert!(t.contains("id=\"clocks\""));
    assert!(t.contains("已超时 1分钟"), "{t}");
    assert!(t.contains("已升级至 1 级"));
    assert!(t.contains("id=\"ticket-messages\""));
    assert!(t.contains(GM));
    // Station users see neither the log nor who was told on the ticket page.
    let (code, _) = page("/messages".into(), "station").await;
    assert_eq!(code, 403);
    let (_, station_view) = page(format!("/tickets/{number}"), "station").await;
    assert!(station_view.contains("id=\"clocks\""));
    assert!(!station_view.contains("id=\"ticket-messages\"") && !station_view.contains(GM));
    let (code, log) = page("/messages?event=escalated".into(), "manager").await;
    assert_eq!(code, 200);
    assert!(log.contains(&number));
    assert!(!log.contains("/retry"));

    // The general manager, signed in and linked to the staff register, sees
    // the messages sent to them first.
    let hash = server::auth::hash_password("correct horse battery").unwrap();
    app.db
        .create_user("gm", "李总", domain::Role::Manager, None, &hash, START)
        .await
        .unwrap();
    app.db.link_user_to_staff("gm", Some(GM)).await.unwrap();
    let cookie = app.session("gm", "correct horse battery").await;
    let mine = app
        .client
        .get(app.url("/messages"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(mine.contains("升级督办") && mine.contains(GM), "{mine}");
    assert!(
        !mine.contains(DIRECTOR_S01),
        "only the messages to the general manager"
    );
    let everyone = app
        .client
        .get(app.url("/messages?mine=0"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(everyone.contains(DIRECTOR_S01));
    assert!(matches!(
        app.db.link_user_to_staff("gm", Some("13000000000")).await,
        Err(store::StoreError::NotFound { .. })
    ));
}

async fn email_goes_through_the_smtp_relay(app: TestApp) {
    let relay = MailRelay::start().await;
    let gm = StaffRecord {
        row: 2,
        name: "李总".into(),
        phone: GM.into(),
        position: Position::GeneralManager,
        branch: None,
        station_code: None,
        email: Some("gm@example.com".into()),
    };
    app.db.import_staff(&[gm], START).await.unwrap();
    let mut config = test_config();
    config.notify.rule = vec![server::config::RuleConfig {
        event: "escalated".into(),
        positions: vec!["general_manager".into()],
        channel: Some("email".into()),
    }];
    config.notify.smtp = Some(server::config::SmtpConfig {
        host: "127.0.0.1".into(),
        port: relay.port,
        from: "hotline@example.com".into(),
        username: None,
        password: None,
    });
    let instance = app.instance(config).await;
    let number = dispatched(&app, "urgent").await;
    app.clock.set(START.plus_millis(10 * MIN));
    workers::fire_due_clocks(&instance.state).await.unwrap();
    let notifier = Notifier::new(&instance.state).unwrap();
    let report = notifier.deliver_due(&instance.state).await.unwrap();
    assert_eq!(report.failed, 0, "{report:?}");
    // The ladder's SMS (log driver) and the rule's e-mail.
    let mails = relay.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].contains("gm@example.com"));
    assert!(
        mails[0].contains(&format!("{number}.")),
        "message id from the idempotency key: {}",
        mails[0]
    );
    let email: Vec<Value> = messages(&app, "event=escalated")
        .await
        .into_iter()
        .filter(|m| m["channel"] == "email")
        .collect();
    assert_eq!(email.len(), 1);
    assert_eq!(email[0]["state"], "sent");
}

async fn warnings_reach_the_assigned_repairer_and_redirects_the_new_crew(app: TestApp) {
    seed_staff(&app).await;
    let second = StaffRecord {
        row: 2,
        name: "赵工".into(),
        phone: "13900000008".into(),
        position: Position::Repairer,
        branch: Some("南岗分公司".into()),
        station_code: Some("S01".into()),
        email: None,
    };
    app.db.import_staff(&[second], START).await.unwrap();
    let number = dispatched(&app, "urgent").await;
    // Both repairers of S01 hear of the dispatch.
    let to = recipients(&messages(&app, "event=dispatched").await);
    assert!(to.contains(&REPAIRER_S01.to_string()) && to.contains(&"13900000008".to_string()));
    // Once one is on the ticket, the warning goes to them (and the director) only.
    let staff_id = app.db.staff_id_by_phone(REPAIRER_S01).await.unwrap();
    let (s, b) = app
        .act(
            "station",
            &number,
            json!({"action": "assign", "staff_ids": [staff_id]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    app.clock.set(START.plus_millis(8 * MIN));
    tick(&app).await;
    assert_eq!(
        recipients(&messages(&app, "event=warned").await),
        vec![DIRECTOR_S01, REPAIRER_S01]
    );
    // A redirect tells the new station's crew, although S01's repairer is still assigned.
    let (code, body) = app
        .act(
            "operator",
            &number,
            json!({"action": "redirect", "station_code": "S02", "reason": "不归本站"}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        recipients(&messages(&app, "event=redirected").await),
        vec![GM, REPAIRER_S02, BRANCH_MANAGER_S02]
    );
}

/// With notify rules configured for dispatch only (the example),
/// warnings still fire: an event, no messages.
async fn warnings_fire_when_no_rule_covers_them(app: TestApp) {
    seed_staff(&app).await;
    let mut config = test_config();
    config.notify.rule = vec![server::config::RuleConfig {
        event: "dispatched".into(),
        positions: vec!["repairer".into()],
        channel: None,
    }];
    let instance = app.instance(config).await;
    let number = dispatched(&app, "urgent").await;
    app.clock.set(START.plus_millis(8 * MIN));
    let report = workers::fire_due_clocks(&instance.state).await.unwrap();
    assert_eq!((report.warned, report.errors), (1, 0), "{report:?}");
    assert_eq!(
        clock_events(&app, &number, "accept").await,
        vec![("warned".to_string(), 0)]
    );
    assert!(messages(&app, "event=warned").await.is_empty());
}

/// A clock read by the scheduler and then paused by an appointment is not
/// fired with its old deadline.
async fn a_clock_paused_after_it_was_read_is_not_fired(app: TestApp) {
    let number = dispatched(&app, "normal").await;
    app.act("station", &number, json!({"action": "accept"}))
        .await;
    // Past the result clock's warning point (4 h 48 min): read as due.
    app.clock.set(START.plus_millis(5 * 60 * MIN));
    let due = app.db.due_clocks(app.clock.now(), 100).await.unwrap();
    let result = due.iter().find(|c| c.step == "result").unwrap().clone();
    // Meanwhile the crew agrees a visit tomorrow, which moves the clock.
    let (code, body) = app
        .act(
            "repairer",
            &number,
            json!({"action": "schedule", "appointment_at": "2026-12-05T09:05:00+08:00"}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let fired = app.db.fire_clock(&result, app.clock.now()).await.unwrap();
    assert_eq!(fired, store::clocks::Fired::Lost);
    assert!(clock_events(&app, &number, "result").await.is_empty());
}

crate::on_both!(
    warnings_fire_when_no_rule_covers_them,
    a_clock_paused_after_it_was_read_is_not_fired,
    warnings_reach_the_assigned_repairer_and_redirects_the_new_crew,
    email_goes_through_the_smtp_relay,
    emergency_repair_nobody_accepts,
    acceptance_in_time_sends_nothing,
    scheduled_pauses_and_resumes_the_result_clock,
    reopening_restarts_the_clocks,
    webhook_delivery_retries_and_fails_visibly,
    two_instances_fire_and_send_once,
    a_clock_due_while_down_fires_after_restart,
    console_shows_clocks_and_late_queue,
);
