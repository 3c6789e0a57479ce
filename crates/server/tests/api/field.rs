//! The repairer's phone pages (/m/): the field flow, appointments, photos
//! and signatures, and who may act on and see what.

use std::io::Cursor;

use base64::Engine;
use domain::Role;
use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::helpers::{START, TestApp, no_redirects};
use crate::on_both;

on_both!(
    field_flow_with_photo_and_signature,
    bad_files_and_past_appointments_store_nothing,
    repairers_act_only_on_their_own_tickets,
    a_temperature_visit_on_the_phone_with_the_customers_signature,
);

const PASSWORD: &str = "correct horse battery";

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([20, 120, 200]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn signature() -> String {
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png(60, 20))
    )
}

/// Two repairers of S01 in the staff register, each with a login linked to it;
/// returns their staff ids (zhao, qian).
async fn crew(app: &TestApp) -> (i64, i64) {
    let staff = "name,phone,position,branch,station_code\n赵师傅,13700000001,维修工,南岗分公司,S01\n钱师傅,13700000002,维修工,南岗分公司,S01\n";
    app.import_staff(staff).await;
    let hash = server::auth::hash_password(PASSWORD).unwrap();
    for (user, phone) in [("zhao", "13700000001"), ("qian", "13700000002")] {
        app.db
            .create_user(user, user, Role::Repairer, Some("S01"), &hash, START)
            .await
            .unwrap();
        app.db.link_user_to_staff(user, Some(phone)).await.unwrap();
    }
    let people = app.db.staff().await.unwrap();
    let id = |name: &str| people.iter().find(|p| p.name == name).unwrap().id;
    (id("赵师傅"), id("钱师傅"))
}

/// A ticket dispatched to S01, accepted, and assigned to `staff`.
async fn assigned_ticket(app: &TestApp, staff: i64) -> String {
    let number = app.register_repair().await;
    let (s, b) = app
        .act(
            "operator",
            &number,
            json!({"action": "dispatch", "station_code": "S01"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = app
        .act("station", &number, json!({"action": "accept"}))
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = app
        .act(
            "station",
            &number,
            json!({"action": "assign", "staff_ids": [staff]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    number
}

async fn get_page(app: &TestApp, cookie: &str, path: &str) -> (u16, String) {
    let r = no_redirects()
        .get(app.url(path))
        .header("cookie", cookie)
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn post_m(app: &TestApp, cookie: &str, number: &str, form: Form) -> (u16, String) {
    let r = no_redirects()
        .post(app.url(&format!("/m/tickets/{number}")))
        .header("cookie", cookie)
        .header("accept-language", "zh-CN")
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn step(action: &str) -> Form {
    Form::new().text("action", action.to_string())
}

fn photo(bytes: Vec<u8>, name: &str) -> Part {
    Part::bytes(bytes).file_name(name.to_string())
}

async fn status(app: &TestApp, number: &str) -> String {
    app.db.ticket(number).await.unwrap().unwrap().status
}

async fn field_flow_with_photo_and_signature(app: TestApp) {
    let (zhao, qian) = crew(&app).await;
    let mine = assigned_ticket(&app, zhao).await;
    let theirs = assigned_ticket(&app, qian).await;
    let cookie = app.session("zhao", PASSWORD).await;

    // My tickets: mine with address, caller and its most urgent clock; not theirs.
    let (s, html) = get_page(&app, &cookie, "/m/").await;
    assert_eq!(s, 200);
    assert!(html.contains(&mine) && !html.contains(&theirs), "{html}");
    assert!(html.contains("幸福小区3栋2单元501") && html.contains("王秀英"));
    assert!(html.contains("tel:13800000001") && html.contains("我的工单"));
    assert!(!html.contains("htmx"), "the phone pages load no htmx");

    let (s, html) = get_page(&app, &cookie, &format!("/m/tickets/{mine}")).await;
    assert_eq!(s, 200);
    assert!(html.contains("tel:13800000001") && html.contains("已联系用户"));

    for (action, after) in [("contact", "contacted"), ("arrive", "on_site")] {
        let (s, body) = post_m(&app, &cookie, &mine, step(action)).await;
        assert_eq!(s, 303, "{action}: {body}");
        assert_eq!(status(&app, &mine).await, after);
    }

    // An appointment with a time window: the end is kept in the event.
    let (s, body) = post_m(
        &app,
        &cookie,
        &mine,
        step("schedule")
            .text("date", "2026-12-05")
            .text("from", "14:00")
            .text("until", "16:00"),
    )
    .await;
    assert_eq!(s, 303, "{body}");
    assert_eq!(status(&app, &mine).await, "scheduled");
    let (s, body) = post_m(&app, &cookie, &mine, step("arrive")).await;
    assert_eq!(s, 303, "{body}");

    // The result: note, parts, a photo (shrunk) and the signature, together.
    let form = step("resolve")
        .text("note", "更换暖气阀门，已恢复供热")
        .text("parts", "阀门 DN20\n生料带\n")
        .part("photos", photo(png(2400, 1200), "valve.png"))
        .text("signature", signature());
    let (s, body) = post_m(&app, &cookie, &mine, form).await;
    assert_eq!(s, 303, "{body}");
    assert_eq!(status(&app, &mine).await, "resolved");
    let t = app.db.ticket(&mine).await.unwrap().unwrap();
    let files = app.db.attachments(t.id).await.unwrap();
    let kinds: Vec<&str> = files.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(kinds, ["photo", "signature"]);
    let events = app.db.ticket_events(t.id).await.unwrap();
    let scheduled = events.iter().find(|e| e.kind == "scheduled").unwrap();
    assert!(
        scheduled.data["appointment_until"].as_i64().unwrap()
            > scheduled.data["appointment_at"].as_i64().unwrap()
    );
    let resolved = events.iter().find(|e| e.kind == "resolved").unwrap();
    assert_eq!(resolved.data["parts"], json!(["阀门 DN20", "生料带"]));
    assert_eq!(resolved.actor, "zhao");
    assert_eq!(files[0].event_seq, resolved.seq);

    // The station and the operator see the files; another station does not.
    let photo_url = format!("/tickets/{mine}/attachments/{}", files[0].id);
    for role in ["station", "operator", "repairer"] {
        let r = app
            .client
            .get(app.url(&photo_url))
            .bearer_auth(app.token(role))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{role}");
        assert_eq!(r.headers()["content-type"], "image/jpeg");
        let img = image::load_from_memory(&r.bytes().await.unwrap()).unwrap();
        assert_eq!((img.width(), img.height()), (1600, 800));
    }
    let r = app
        .client
        .get(app.url(&photo_url))
        .bearer_auth(app.token("station2"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // An attachment id of another ticket is not reachable through this one.
    let r = app
        .client
        .get(app.url(&format!("/tickets/{theirs}/attachments/{}", files[0].id)))
        .bearer_auth(app.token("operator"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // The console's ticket page shows them as thumbnails, and the parts.
    let r = app
        .client
        .get(app.url(&format!("/tickets/{mine}")))
        .bearer_auth(app.token("operator"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains(&photo_url) && html.contains("Photos and signature"));
    assert!(html.contains("Parts used: 阀门 DN20, 生料带"));
    assert!(html.contains("Until: 2026-12-05 16:00:00"));

    // Resolved work leaves the list.
    let (_, html) = get_page(&app, &cookie, "/m/").await;
    assert!(!html.contains(&mine));
}

async fn bad_files_and_past_appointments_store_nothing(app: TestApp) {
    let (zhao, _) = crew(&app).await;
    let number = assigned_ticket(&app, zhao).await;
    let cookie = app.session("zhao", PASSWORD).await;
    let (s, _) = post_m(&app, &cookie, &number, step("arrive")).await;
    assert_eq!(s, 303);

    // An appointment in the past (START is 2026-12-04 09:05 Shanghai).
    let (s, html) = post_m(
        &app,
        &cookie,
        &number,
        step("schedule")
            .text("date", "2026-12-04")
            .text("from", "08:00"),
    )
    .await;
    assert_eq!(s, 422);
    assert!(html.contains("预约时间已过"), "{html}");
    assert!(html.contains("value=\"08:00\""), "what was typed is kept");
    // A window that ends before it starts.
    let (s, _) = post_m(
        &app,
        &cookie,
        &number,
        step("schedule")
            .text("date", "2026-12-05")
            .text("from", "14:00")
            .text("until", "13:00"),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(status(&app, &number).await, "on_site");

    // A file that is not an image, beside a good one: nothing is kept.
    let form = step("resolve")
        .text("note", "已修好")
        .part("photos", photo(png(40, 40), "ok.png"))
        .part(
            "photos",
            photo(b"%PDF-1.4 not a photo".to_vec(), "photo.jpg"),
        )
        .text("signature", signature());
    let (s, html) = post_m(&app, &cookie, &number, form).await;
    assert_eq!(s, 422);
    assert!(html.contains("只能上传图片"), "{html}");
    // Over the size limit.
    let form = step("resolve").text("note", "已修好").part(
        "photos",
        photo(vec![0xFF; 10 * 1024 * 1024 + 1], "huge.jpg"),
    );
    let (s, html) = post_m(&app, &cookie, &number, form).await;
    assert_eq!(s, 413);
    assert!(html.contains("文件超过 10 MB"), "{html}");
    // A signature that is not a PNG.
    let form = step("resolve")
        .text("note", "已修好")
        .text("signature", "data:image/png;base64,aGVsbG8=");
    let (s, _) = post_m(&app, &cookie, &number, form).await;
    assert_eq!(s, 422);

    let t = app.db.ticket(&number).await.unwrap().unwrap();
    assert_eq!(t.status, "on_site");
    assert!(app.db.attachments(t.id).await.unwrap().is_empty());
    assert!(
        !app.db
            .ticket_events(t.id)
            .await
            .unwrap()
            .iter()
            .any(|e| e.kind == "resolved")
    );
}

async fn repairers_act_only_on_their_own_tickets(app: TestApp) {
    let (zhao, qian) = crew(&app).await;
    let theirs = assigned_ticket(&app, qian).await;
    let cookie = app.session("zhao", PASSWORD).await;

    // On the phone: 403 with a localized message, nothing changes.
    let (s, html) = post_m(&app, &cookie, &theirs, step("contact")).await;
    assert_eq!(s, 403);
    assert!(html.contains("该工单已派给其他维修人员"), "{html}");
    assert_eq!(status(&app, &theirs).await, "accepted");

    // In the API: a repairer token is no one's assignee.
    let (s, body) = app
        .act("repairer", &theirs, json!({"action": "contact"}))
        .await;
    assert_eq!(s, 403, "{body}");
    assert_eq!(body["code"], "not_assigned");
    // The station itself may still record the step; so may the assignee.
    let cookie_qian = app.session("qian", PASSWORD).await;
    let (s, body) = post_m(&app, &cookie_qian, &theirs, step("contact")).await;
    assert_eq!(s, 303, "{body}");
    let (s, _) = app
        .act("station", &theirs, json!({"action": "arrive"}))
        .await;
    assert_eq!(s, 200);

    // Not yet assigned: any repairer of the station may take the step.
    let open = assigned_ticket(&app, zhao).await;
    let (s, body) = app
        .act("repairer", &open, json!({"action": "contact"}))
        .await;
    assert_eq!(s, 403, "assigned to zhao: {body}");
    let number = app.register_repair().await;
    app.act(
        "operator",
        &number,
        json!({"action": "dispatch", "station_code": "S01"}),
    )
    .await;
    app.act("station", &number, json!({"action": "accept"}))
        .await;
    let (s, body) = app
        .act("repairer", &number, json!({"action": "contact"}))
        .await;
    assert_eq!(s, 200, "{body}");

    // A station user's phone list is the station's open work.
    let hash = server::auth::hash_password(PASSWORD).unwrap();
    app.db
        .create_user("hongqi", "红旗站", Role::Station, Some("S01"), &hash, START)
        .await
        .unwrap();
    let cookie_station = app.session("hongqi", PASSWORD).await;
    let (_, html) = get_page(&app, &cookie_station, "/m/").await;
    assert!(html.contains(&theirs) && html.contains(&open) && html.contains(&number));
}

async fn a_temperature_visit_on_the_phone_with_the_customers_signature(app: TestApp) {
    let (zhao, _) = crew(&app).await;
    let mut call = crate::helpers::repair_call();
    call["kind"] = json!("temperature");
    call["category"] = json!("low_temp");
    call["dispatch"] = json!(true);
    let (s, b) = app.post("operator", "/api/v1/tickets", &call).await;
    assert_eq!(s, 201, "{b}");
    let number = b["number"].as_str().unwrap().to_string();
    app.act("station", &number, json!({"action": "accept"}))
        .await;
    app.act(
        "station",
        &number,
        json!({"action": "assign", "staff_ids": [zhao]}),
    )
    .await;
    let cookie = app.session("zhao", PASSWORD).await;
    let (_, html) = get_page(&app, &cookie, &format!("/m/tickets/{number}")).await;
    assert!(
        html.contains("id=\"m-visit\""),
        "a temperature ticket offers the visit"
    );

    // A reading out of range: named, nothing stored, what was typed kept.
    let visit = |bedroom: &str| {
        step("measure_temperature")
            .text("room", "卧室")
            .text("celsius", bedroom.to_string())
            .text("room", "客厅")
            .text("celsius", "15.5")
            .text("room", "")
            .text("celsius", "")
            .text("protocol_followed", "1")
            .text("co_signed_by", "王秀英")
            .text("signature", signature())
    };
    let (s, html) = post_m(&app, &cookie, &number, visit("65")).await;
    assert_eq!(s, 422, "{html}");
    assert!(
        html.contains("读数 1 温度 (°C)应在 −30 至 60 °C 之间"),
        "{html}"
    );
    assert!(html.contains("value=\"65\""));
    assert!(
        app.db
            .attachments(app.db.ticket(&number).await.unwrap().unwrap().id)
            .await
            .unwrap()
            .is_empty()
    );

    // Good readings with a signature that is no image: the visit is refused
    // as a whole (no event, no file, no result on the ticket).
    let broken = visit("14.5").text("signature", "data:image/png;base64,aGVsbG8=");
    let (s, html) = post_m(&app, &cookie, &number, broken).await;
    assert_eq!(s, 422, "{html}");
    let t = app.db.ticket(&number).await.unwrap().unwrap();
    assert_eq!((t.room_temp_c, t.status.as_str()), (None, "accepted"));
    assert!(app.db.attachments(t.id).await.unwrap().is_empty());

    let (s, html) = post_m(&app, &cookie, &number, visit("14.5")).await;
    assert_eq!(s, 303, "{html}");
    let (_, t) = app.get("admin", &format!("/api/v1/tickets/{number}")).await;
    // (14.5 + 15.5) / 2 = 15.0: the 14–16 °C tier, 50 %.
    assert_eq!(
        (t["room_temp_c"].as_f64(), t["refund_percent"].as_i64()),
        (Some(15.0), Some(50))
    );
    assert_eq!(t["status"], "on_site");
    let visit_event = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "temperature_measured")
        .unwrap();
    assert_eq!(visit_event["measured_by"], "zhao");
    assert_eq!(visit_event["actor"], "zhao");
    // The customer's drawn co-signature is kept with the visit.
    let ticket_id = app.db.ticket(&number).await.unwrap().unwrap().id;
    let files = app.db.attachments(ticket_id).await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].kind, "signature");
    assert_eq!(files[0].event_seq, visit_event["seq"].as_i64().unwrap());
    let (_, html) = get_page(&app, &cookie, &format!("/m/tickets/{number}")).await;
    assert!(html.contains("id=\"m-temperature\"") && html.contains("15.0 °C"));
}
