//! The console over HTTP: every page in both languages, permissions, the
//! intake form, ticket actions, imports, the xlsx export and live updates.

use std::time::Duration;

use domain::Role;
use serde_json::json;

use crate::helpers::{START, TestApp, no_redirects, repair_call};

crate::on_both!(
    every_page_renders_in_both_languages,
    sign_in_and_language_follow_the_user,
    operators_cannot_open_admin_pages,
    station_users_see_only_their_station_in_the_console,
    register_dispatch_and_answer_through_the_form,
    caller_lookup_and_address_resolution,
    ticket_actions_show_errors_next_to_the_field,
    import_upload_shows_the_row_errors,
    queue_exports_exactly_the_filtered_rows,
    live_updates_arrive_over_sse,
    foreign_origin_posts_are_refused,
    service_area_map_sets_the_point_of_the_call,
    misplaced_accounts_are_reported,
    queues_sort_by_priority_and_status,
    admins_change_and_disable_users,
);

async fn dispatched_to(app: &TestApp, station: &str, phone: &str) -> String {
    let mut call = repair_call();
    call["station_code"] = json!(station);
    call["caller_phone"] = json!(phone);
    call["dispatch"] = json!(true);
    let (status, body) = app.post("operator", "/api/v1/tickets", &call).await;
    assert_eq!(status, 201, "{body}");
    body["number"].as_str().unwrap().to_string()
}

async fn every_page_renders_in_both_languages(app: TestApp) {
    let number = app.register_repair().await;
    let pages = [
        ("/", "来电受理", "Call intake"),
        ("/queues", "待派单", "To dispatch"),
        ("/queues?queue=in_progress", "处理中", "In progress"),
        ("/queues?queue=late", "已超时", "Late"),
        ("/queues?queue=warning", "即将超时", "Nearly late"),
        ("/messages", "短信记录", "Messages"),
        ("/queues?queue=callback", "待回访", "Callback due"),
        (
            "/queues?queue=scheduled&sort=oldest",
            "预约",
            "Appointments",
        ),
        ("/queues?queue=all&q=幸福", "导出 Excel", "Export to Excel"),
        (&format!("/tickets/{number}"), "处理记录", "Timeline"),
        ("/station", "待接单", "To accept"),
        ("/admin/users", "添加用户", "Add user"),
        ("/admin/stations", "红旗供热站", "Service area"),
        ("/admin/staff", "职务", "Position"),
        ("/admin/categories", "暖气不热", "Radiators not warm"),
        ("/admin/import", "导入登记簿", "Import a register"),
        ("/console/lookup?phone=13800000001", "王秀英", "Paid"),
    ];
    for (path, zh, en) in pages {
        let (status, html) = app.page("admin", path, "zh-CN,zh;q=0.9").await;
        assert_eq!(status, 200, "{path}: {html}");
        assert!(html.contains(zh), "{path} in Chinese lacks {zh}");
        let (status, html) = app.page("admin", path, "en-US,en;q=0.9").await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains(en), "{path} in English lacks {en}");
    }
    // The sign-in page needs nobody; Chinese is the default.
    let html = no_redirects()
        .get(app.url("/signin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"zh-CN\">") && html.contains("登录"));
    // Assets are served from the binary.
    for asset in [
        "/static/console.css",
        "/static/console.js",
        "/static/vendor/htmx/htmx.min.js",
    ] {
        let r = app.client.get(app.url(asset)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{asset}");
    }
}

async fn add_user(app: &TestApp, name: &str, role: Role, station: Option<&str>) {
    let hash = server::auth::hash_password("correct horse battery").unwrap();
    app.db
        .create_user(name, "张敏", role, station, &hash, START)
        .await
        .unwrap();
}

async fn sign_in_and_language_follow_the_user(app: TestApp) {
    add_user(&app, "zhangmin", Role::Operator, None).await;
    let client = no_redirects();
    // Without a session every page sends you to sign in, and back afterwards.
    let r = client
        .get(app.url("/queues?queue=late"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        "/signin?next=/queues%3Fqueue%3Dlate"
    );

    let r = client
        .post(app.url("/signin"))
        .form(&[("username", "zhangmin"), ("password", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let html = r.text().await.unwrap();
    assert!(html.contains("用户名或密码不正确") && html.contains("value=\"zhangmin\""));

    let r = client
        .post(app.url("/signin"))
        .form(&[
            ("username", "zhangmin"),
            ("password", "correct horse battery"),
            ("next", "/queues"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/queues");
    let session = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let get = |path: &'static str, lang: &'static str| {
        client
            .get(app.url(path))
            .header("cookie", &session)
            .header("accept-language", lang)
            .send()
    };
    let html = get("/", "en").await.unwrap().text().await.unwrap();
    assert!(
        html.contains("Call intake"),
        "Accept-Language picks English"
    );

    // Switching the language is remembered for the user, whatever the browser says.
    let r = client
        .post(app.url("/lang"))
        .header("cookie", &session)
        .form(&[("lang", "zh-CN"), ("back", "/queues")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/queues");
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("heatdesk_lang=zh-CN")
    );
    let html = get("/", "en").await.unwrap().text().await.unwrap();
    assert!(
        html.contains("来电受理"),
        "the saved choice wins over Accept-Language"
    );
    let user = app.db.user_by_name("zhangmin").await.unwrap().unwrap();
    assert_eq!(user.locale.as_deref(), Some("zh-CN"));

    // Signing out ends the session.
    let r = client
        .post(app.url("/signout"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = get("/", "zh-CN").await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/signin");
}

async fn operators_cannot_open_admin_pages(app: TestApp) {
    for path in [
        "/admin/users",
        "/admin/stations",
        "/admin/staff",
        "/admin/categories",
        "/admin/import",
    ] {
        for role in ["operator", "station", "manager", "viewer"] {
            let (status, html) = app.page(role, path, "zh-CN").await;
            assert_eq!(status, 403, "{role} {path}");
            assert!(html.contains("您没有权限"), "{html}");
        }
    }
    let r = app
        .post_form(
            "operator",
            "/admin/users",
            &[
                ("username", "x"),
                ("role", "admin"),
                ("password", "12345678"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert!(app.db.user_by_name("x").await.unwrap().is_none());
    // A viewer cannot register; the intake page sends them to the queues.
    let (status, _) = app.page("viewer", "/", "zh-CN").await;
    assert_eq!(status, 303);
    let r = app
        .post_form("viewer", "/console/tickets", &[("phone", "13800000001")])
        .await;
    assert_eq!(r.status(), 403);
    // The admin adds a user through the form; mistakes are shown next to the field.
    let r = app
        .post_form(
            "admin",
            "/admin/users",
            &[
                ("username", "li si"),
                ("role", "station"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("用户名填写有误") && html.contains("密码至少 8 位"),
        "{html}"
    );
    let r = app
        .post_form(
            "admin",
            "/admin/users",
            &[
                ("username", "lisi"),
                ("display_name", "李四"),
                ("role", "station"),
                ("station_code", "S02"),
                ("password", "correct horse"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("已添加用户 lisi"));
    let user = app.db.user_by_name("lisi").await.unwrap().unwrap();
    assert_eq!(user.station_code.as_deref(), Some("S02"));
}

async fn station_users_see_only_their_station_in_the_console(app: TestApp) {
    let ours = dispatched_to(&app, "S01", "13900000001").await;
    let theirs = dispatched_to(&app, "S02", "13900000002").await;
    let registered = app.register_repair().await;
    for path in ["/queues?queue=all", "/queues?queue=in_progress", "/station"] {
        let (status, html) = app.page("station", path, "zh-CN").await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains(&ours), "{path} shows our ticket");
        assert!(!html.contains(&theirs), "{path} hides the other station's");
        assert!(
            !html.contains(&registered),
            "{path} hides undispatched tickets"
        );
    }
    let (status, html) = app.page("station", "/station?station=S02", "zh-CN").await;
    assert_eq!(status, 200);
    assert!(html.contains("红旗供热站") && !html.contains(&theirs));
    let (status, _) = app
        .page("station", &format!("/tickets/{theirs}"), "zh-CN")
        .await;
    assert_eq!(status, 404);
    let (status, _) = app.page("station", "/queues?station=S02", "zh-CN").await;
    assert_eq!(status, 403);
    let (status, _) = app
        .page(
            "station",
            "/queues/export.xlsx?queue=all&station=S02",
            "zh-CN",
        )
        .await;
    assert_eq!(status, 403);
    // The station accepts from its view and goes back to it.
    let r = app
        .post_form(
            "station",
            &format!("/tickets/{ours}/actions"),
            &[("action", "accept"), ("back", "/station")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/station");
    assert_eq!(
        app.db.ticket(&ours).await.unwrap().unwrap().status,
        "accepted"
    );
    let r = app
        .post_form(
            "station",
            &format!("/tickets/{theirs}/actions"),
            &[("action", "accept")],
        )
        .await;
    assert_eq!(r.status(), 404);
    // …and puts a repairer of its own on it; not one of another station.
    let staff = "name,phone,position,branch,station_code\n赵师傅,13700000001,维修工,南岗分公司,S01\n钱师傅,13700000002,维修工,道里分公司,S02\n";
    app.import_staff(staff).await;
    let (_, html) = app
        .page("station", &format!("/tickets/{ours}?open=assign"), "zh-CN")
        .await;
    assert!(html.contains("赵师傅") && !html.contains("钱师傅"));
    let people = app.db.staff().await.unwrap();
    let zhao = people
        .iter()
        .find(|p| p.name == "赵师傅")
        .unwrap()
        .id
        .to_string();
    let qian = people
        .iter()
        .find(|p| p.name == "钱师傅")
        .unwrap()
        .id
        .to_string();
    let assign = |staff: &str| {
        vec![
            ("action", "assign".to_string()),
            ("staff_ids", staff.to_string()),
            ("back", "/station".to_string()),
        ]
    };
    let path = format!("/tickets/{ours}/actions");
    let post = |role: &'static str, f: Vec<(&'static str, String)>| {
        let path = path.clone();
        let app = &app;
        async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form(role, &path, &pairs).await
        }
    };
    let r = post("station", assign(&qian)).await;
    assert_eq!(r.status(), 422);
    let r = post("station", assign(&zhao)).await;
    assert_eq!(r.status(), 303);
    let (_, html) = app
        .page("operator", &format!("/tickets/{ours}"), "zh-CN")
        .await;
    assert!(
        html.contains("赵师傅 13700000001"),
        "the ticket names its repairer"
    );
    let r = post("repairer", assign(&zhao)).await;
    assert_eq!(r.status(), 403);
}

async fn register_dispatch_and_answer_through_the_form(app: TestApp) {
    // Missing fields: every one is named next to its field, nothing typed is lost.
    let r = app
        .post_form(
            "operator",
            "/console/tickets",
            &[
                ("phone", "138 0000 0001"),
                ("caller_name", "王秀英"),
                ("kind", "repair"),
                ("priority", "urgent"),
                ("difficulty", "normal"),
                ("intent", "dispatch"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("请填写地址")
            && html.contains("请填写问题描述")
            && html.contains("请填写类别"),
        "{html}"
    );
    assert!(html.contains("value=\"138 0000 0001\"") && html.contains("value=\"王秀英\""));
    assert!(app.db.ticket("20261204-0001").await.unwrap().is_none());

    let form = [
        ("phone", "138 0000 0001"),
        ("caller_name", "王秀英"),
        ("address", "南岗区光华街幸福小区3栋2单元501室"),
        ("account_no", "A0001"),
        ("station_code", ""),
        ("kind", "repair"),
        ("category", "no_heat"),
        ("priority", "urgent"),
        ("difficulty", "normal"),
        ("description", "卧室暖气片不热"),
        ("intent", "dispatch"),
    ];
    let r = app.post_form("operator", "/console/tickets", &form).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"registered-number\"") && html.contains("20261204-0001"),
        "{html}"
    );
    assert!(html.contains("已派单至 红旗供热站"));
    let t = app.db.ticket("20261204-0001").await.unwrap().unwrap();
    assert_eq!(
        (t.status.as_str(), t.station_code.as_deref()),
        ("dispatched", Some("S01"))
    );
    assert_eq!(t.caller_phone, "13800000001");
    assert_eq!(t.created_by, "token:operator");

    // Through htmx: the form fragment and the event that resets the screen.
    let r = no_redirects()
        .post(app.url("/console/tickets"))
        .bearer_auth(app.token("operator"))
        .header("hx-request", "true")
        .form(&[
            ("phone", "0451-8888 1234"),
            ("address", "阳光家园7栋"),
            ("kind", "inquiry"),
            ("category", "payment"),
            ("priority", "normal"),
            ("description", "问缴费截止日期"),
            ("answer", "本采暖期缴费截止到11月30日"),
            ("intent", "answer"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["hx-trigger"], "heatdesk-registered");
    let html = r.text().await.unwrap();
    assert!(html.starts_with("<div id=\"intake-form-wrap\">") && html.contains("已答复并办结"));
    let t = app.db.ticket("20261204-0002").await.unwrap().unwrap();
    assert_eq!(t.status, "closed");
    let events = app.db.ticket_events(t.id).await.unwrap();
    assert_eq!(events[1].data["note"], "本采暖期缴费截止到11月30日");

    // Dispatching needs a station; an inquiry answered needs the answer.
    let r = app
        .post_form(
            "operator",
            "/console/tickets",
            &[
                ("phone", "13900001111"),
                ("address", "无名路1号"),
                ("kind", "repair"),
                ("category", "leak"),
                ("priority", "normal"),
                ("description", "漏水"),
                ("intent", "dispatch"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("请填写供热站"));
    let r = app
        .post_form(
            "operator",
            "/console/tickets",
            &[
                ("phone", "12"),
                ("address", "无名路1号"),
                ("kind", "repair"),
                ("category", "leak"),
                ("priority", "normal"),
                ("description", "漏水"),
                ("intent", "register"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("来电号码填写有误") && html.contains("value=\"12\""),
        "{html}"
    );
}

async fn caller_lookup_and_address_resolution(app: TestApp) {
    let (status, html) = app
        .page("operator", "/console/lookup?phone=138-0000-0001", "zh-CN")
        .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("王秀英")
            && html.contains("红旗供热站")
            && html.contains("已缴费")
            && html.contains("86.5")
    );
    assert!(html.contains("data-account-no=\"A0001\"") && !html.contains("重复来电"));
    let number = app.register_repair().await;
    let (_, html) = app
        .page("operator", "/console/lookup?phone=13800000001", "zh-CN")
        .await;
    assert!(html.contains("重复来电") && html.contains("1 张未办结") && html.contains(&number));
    let (_, html) = app
        .page("operator", "/console/lookup?phone=1380", "zh-CN")
        .await;
    assert!(html.contains("输入来电号码后"), "too short to look up");
    let (_, html) = app
        .page("operator", "/console/lookup?phone=13911112222", "zh-CN")
        .await;
    assert!(html.contains("此号码未登记热用户"));

    for (address, station, confidence) in [
        ("幸福小区3栋2单元501", "S01", "exact"),
        ("南岗区光华街幸福小区3-2-501", "S01", "exact"),
        ("幸福小区3栋", "S01", "exact"),
        ("阳光家园7栋1单元", "S02", "fuzzy"),
        ("无名小区9栋", "", "none"),
    ] {
        let (status, html) = app
            .page(
                "operator",
                &format!("/console/resolve?address={address}"),
                "zh-CN",
            )
            .await;
        assert_eq!(status, 200);
        assert!(
            html.contains(&format!("data-station=\"{station}\""))
                && html.contains(&format!("data-confidence=\"{confidence}\"")),
            "{address}: {html}"
        );
    }
}

async fn ticket_actions_show_errors_next_to_the_field(app: TestApp) {
    let number = dispatched_to(&app, "S01", "13900000003").await;
    let (_, html) = app
        .page("operator", &format!("/tickets/{number}"), "zh-CN")
        .await;
    assert!(html.contains("id=\"act-accept\"") && html.contains("id=\"act-cancel\""));
    assert!(
        !html.contains("id=\"act-resolve\""),
        "not allowed while dispatched"
    );
    let (_, html) = app
        .page("viewer", &format!("/tickets/{number}"), "zh-CN")
        .await;
    assert!(html.contains("当前状态下没有可执行的操作") && !html.contains("id=\"act-accept\""));

    let act = |form: Vec<(&'static str, &'static str)>| {
        let path = format!("/tickets/{number}/actions");
        let app = &app;
        async move { app.post_form("operator", &path, &form).await }
    };
    assert_eq!(act(vec![("action", "accept")]).await.status(), 303);
    assert_eq!(act(vec![("action", "arrive")]).await.status(), 303);
    // Resolve without a note: the message sits by the note, the temperature typed stays.
    let r = act(vec![("action", "resolve"), ("measured_temp_c", "19.5")]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("请填写说明") && html.contains("value=\"19.5\""),
        "{html}"
    );
    assert!(html.contains("<details class=\"action\" id=\"act-resolve\" data-key=\"r\" open>"));
    // An action the state does not allow: a clear message, nothing changes.
    let r = act(vec![("action", "answer"), ("note", "x")]).await;
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("工单当前状态不允许此操作"));
    assert_eq!(
        act(vec![
            ("action", "resolve"),
            ("note", "放气后正常"),
            ("measured_temp_c", "20")
        ])
        .await
        .status(),
        303
    );
    // A note, then the timeline to the second with who did what.
    let r = app
        .post_form(
            "operator",
            &format!("/tickets/{number}/notes"),
            &[("text", "用户要求下午回电")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = app
        .page("operator", &format!("/tickets/{number}"), "zh-CN")
        .await;
    for expected in [
        "2026-12-04 09:05:00",
        "token:operator",
        "反馈结果",
        "放气后正常",
        "实测室温 (°C): 20.0 °C",
        "用户要求下午回电",
        "回访：满意，办结",
    ] {
        assert!(html.contains(expected), "{expected}");
    }
    let (_, html) = app
        .page("operator", &format!("/tickets/{number}"), "en")
        .await;
    assert!(html.contains("Result reported") && html.contains("Callback: satisfied, close"));
    let (status, _) = app
        .page("operator", "/tickets/20261204-9999", "zh-CN")
        .await;
    assert_eq!(status, 404);
}

fn multipart(fields: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----heatdeskboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, file, bytes) in fields {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn import_upload_shows_the_row_errors(app: TestApp) {
    let upload = |fields: Vec<(&'static str, Option<&'static str>, &'static [u8])>,
                  role: &'static str| {
        let (content_type, body) = multipart(&fields);
        let app = &app;
        async move {
            no_redirects()
                .post(app.url("/admin/import"))
                .bearer_auth(app.token(role))
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let bad: &[u8] = "account_no,holder,phone,district,street,community,building,unit,room,area_m2,station_code,lat,lon\n\
        C0001,钱七,13900000010,香坊区,和平路,锦绣花园,2,1,101,70,S01,,\n\
        C0002,孙八,12,香坊区,和平路,锦绣花园,2,1,102,-5,S99,,\n"
        .as_bytes();
    let r = upload(
        vec![
            ("kind", None, b"accounts"),
            ("file", Some("accounts.csv"), bad),
        ],
        "admin",
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"import-rows\"") && html.contains("未导入任何数据"),
        "{html}"
    );
    assert!(
        html.contains("<td class=\"mono\">3</td>") && html.contains("phone"),
        "{html}"
    );
    assert!(
        app.db.account("C0001").await.unwrap().is_none(),
        "nothing was written"
    );

    let good: &[u8] = "account_no,holder,phone,district,street,community,building,unit,room,area_m2,station_code,lat,lon\n\
        C0001,钱七,13900000010,香坊区,和平路,锦绣花园,2,1,101,70,S01,,\n"
        .as_bytes();
    let r = upload(
        vec![
            ("kind", None, b"accounts"),
            ("file", Some("accounts.csv"), good),
        ],
        "admin",
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("导入完成: 新增 1 · 更新 0")
    );
    assert!(app.db.account("C0001").await.unwrap().is_some());
    let r = upload(
        vec![
            ("kind", None, b"accounts"),
            ("file", Some("accounts.csv"), good),
        ],
        "operator",
    )
    .await;
    assert_eq!(r.status(), 403);
}

async fn queue_exports_exactly_the_filtered_rows(app: TestApp) {
    let a = dispatched_to(&app, "S01", "13900000004").await;
    let b = dispatched_to(&app, "S02", "13900000005").await;
    let c = app.register_repair().await;
    let r = no_redirects()
        .get(app.url("/queues/export.xlsx?queue=in_progress&sort=oldest"))
        .bearer_auth(app.token("operator"))
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("heatdesk-in_progress-20261204.xlsx")
    );
    let rows = read_xlsx(&r.bytes().await.unwrap());
    assert_eq!(rows[0][0], "工单号");
    assert_eq!(rows[0][1], "状态");
    let numbers: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        numbers,
        vec![a.as_str(), b.as_str()],
        "oldest first, no registered ticket"
    );
    assert_eq!(rows[1][1], "已派单");
    assert_eq!(rows[1][8], "红旗供热站");
    assert!(
        rows[1][10].starts_with("接单时限 2026-12-04 09:15:00"),
        "{:?}",
        rows[1]
    );
    assert!(!numbers.contains(&c.as_str()));

    let r = no_redirects()
        .get(app.url("/queues/export.xlsx?queue=all&station=S02"))
        .bearer_auth(app.token("operator"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    let rows = read_xlsx(&r.bytes().await.unwrap());
    assert_eq!(rows[0][0], "Number");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][0], b);
    assert_eq!(rows[1][1], "Dispatched");

    // The late queue: ten minutes after dispatch nobody has accepted.
    app.clock.advance_millis(11 * domain::Timestamp::MINUTE);
    let (_, html) = app.page("operator", "/queues?queue=late", "zh-CN").await;
    assert!(html.contains(&a) && html.contains(&b) && html.contains("due-late"));
    assert!(!html.contains(&c));
}

pub fn read_xlsx(bytes: &[u8]) -> Vec<Vec<String>> {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("a workbook");
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).expect("a sheet");
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

async fn live_updates_arrive_over_sse(app: TestApp) {
    let mut stream = app
        .client
        .get(app.url("/console/events"))
        .bearer_auth(app.token("station"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert!(
        stream.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    // Another station's ticket is not announced to this station; its own is.
    let theirs = dispatched_to(&app, "S02", "13900000006").await;
    let ours = dispatched_to(&app, "S01", "13900000007").await;
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains(&ours) {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .expect("the change arrives within seconds")
            .unwrap()
            .expect("stream open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("event: ticket"), "{seen}");
    assert!(seen.contains("\"status\":\"dispatched\""));
    assert!(!seen.contains(&theirs), "{seen}");
}

async fn foreign_origin_posts_are_refused(app: TestApp) {
    let r = no_redirects()
        .post(app.url("/console/tickets"))
        .bearer_auth(app.token("operator"))
        .header("origin", "https://evil.example")
        .form(&[("phone", "13800000001")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let host = app.addr.trim_start_matches("http://").to_string();
    let r = no_redirects()
        .post(app.url("/lang"))
        .header("origin", format!("http://{host}"))
        .form(&[("lang", "en")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
}

async fn service_area_map_sets_the_point_of_the_call(app: TestApp) {
    // The map of both stations' areas is on the intake screen, after the buttons.
    for lang in ["zh-CN", "en"] {
        let (status, html) = app.page("operator", "/", lang).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("id=\"area-map\"")
                && html.contains("id=\"map-area-S01\"")
                && html.contains("id=\"map-area-S02\"")
                && html.contains("name=\"lat\"")
                && html.contains("name=\"lon\""),
            "{html}"
        );
        let buttons = html.find("id=\"btn-register\"").unwrap();
        assert!(
            html.find("id=\"area-map\"").unwrap() > buttons,
            "map after the essential fields"
        );
    }
    // Text the register does not know + a point in S02's square: the station by GIS.
    let (status, html) = app
        .page(
            "operator",
            "/console/resolve?address=无名小区9栋&lat=45.705&lon=126.615",
            "en",
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("data-station=\"S02\"")
            && html.contains("data-confidence=\"gis\"")
            && html.contains("from the map point"),
        "{html}"
    );
    // The point alone does it too; without it the text resolves to nothing.
    let (_, html) = app
        .page(
            "operator",
            "/console/resolve?address=&lat=45.705&lon=126.605",
            "en",
        )
        .await;
    assert!(
        html.contains("data-station=\"S01\"") && html.contains("data-confidence=\"gis\""),
        "{html}"
    );
    let (_, html) = app
        .page(
            "operator",
            "/console/resolve?address=无名小区9栋&lat=&lon=",
            "en",
        )
        .await;
    assert!(
        html.contains("data-station=\"\"") && html.contains("data-confidence=\"none\""),
        "{html}"
    );
    // Half a point is a field error, not a guess.
    let (_, html) = app
        .page(
            "operator",
            "/console/resolve?address=无名小区9栋&lat=45.7&lon=",
            "en",
        )
        .await;
    assert!(
        html.contains("id=\"resolve-error\"") && html.contains("data-station=\"\""),
        "{html}"
    );

    // Registered and dispatched from the console with the map point: the
    // ticket keeps the point and goes to the station that holds it.
    let form = [
        ("phone", "139 0000 0077"),
        ("caller_name", "赵先生"),
        ("address", "无名小区9栋"),
        ("account_no", ""),
        ("station_code", ""),
        ("lat", "45.705"),
        ("lon", "126.615"),
        ("kind", "repair"),
        ("category", "no_heat"),
        ("priority", "normal"),
        ("difficulty", "normal"),
        ("description", "暖气不热"),
        ("intent", "dispatch"),
    ];
    let r = app.post_form("operator", "/console/tickets", &form).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let marker = "id=\"registered-number\" data-number=\"";
    let at = html.find(marker).expect(&html) + marker.len();
    let number = &html[at..at + html[at..].find('"').unwrap()];
    let t = app.db.ticket(number).await.unwrap().unwrap();
    assert_eq!((t.lat, t.lon), (Some(45.705), Some(126.615)));
    assert_eq!(t.station_code.as_deref(), Some("S02"));
    assert_eq!(t.status, "dispatched");
    // A bad point comes back next to its field, with everything as typed.
    let mut bad = form;
    bad[6] = ("lon", "");
    let r = app.post_form("operator", "/console/tickets", &bad).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"lon-err\">") && html.contains("value=\"45.705\""),
        "{html}"
    );
    assert!(!html.contains("id=\"lon-err\"></span>"), "{html}");
}

async fn misplaced_accounts_are_reported(app: TestApp) {
    // A0002 belongs to S02 but its coordinates lie in S01's square.
    for (lang, words) in [("zh-CN", "位置异常热用户"), ("en", "Misplaced accounts")] {
        let (status, html) = app.page("admin", "/admin/misplaced", lang).await;
        assert_eq!(status, 200);
        assert!(html.contains(words), "{html}");
        assert!(html.contains("A0002") && html.contains("李建国"), "{html}");
        assert!(!html.contains("A0001"), "A0001 lies in its own area");
        assert!(
            html.contains("红旗供热站 (S01)"),
            "the area the point lies in: {html}"
        );
    }
    let (status, _) = app.page("operator", "/admin/misplaced", "en").await;
    assert_ne!(status, 200);
}

async fn queues_sort_by_priority_and_status(app: TestApp) {
    let mut numbers = Vec::new();
    for (priority, phone) in [
        ("normal", "13900000011"),
        ("emergency", "13900000012"),
        ("urgent", "13900000013"),
        ("emergency", "13900000014"),
    ] {
        let mut call = repair_call();
        call["priority"] = json!(priority);
        call["caller_phone"] = json!(phone);
        call["station_code"] = json!("S01");
        call["dispatch"] = json!(true);
        let (status, body) = app.post("operator", "/api/v1/tickets", &call).await;
        assert_eq!(status, 201, "{body}");
        numbers.push(body["number"].as_str().unwrap().to_string());
    }
    let (_, body) = app
        .act("operator", &numbers[0], json!({"action": "accept"}))
        .await;
    assert!(body["status"] == "accepted", "{body}");
    let order = |html: &str| -> Vec<usize> {
        let mut found: Vec<(usize, usize)> = numbers
            .iter()
            .enumerate()
            .filter_map(|(i, n)| html.find(&format!("data-number=\"{n}\"")).map(|at| (at, i)))
            .collect();
        found.sort();
        found.into_iter().map(|(_, i)| i).collect()
    };
    // Most urgent first, oldest first within a priority.
    let (status, html) = app
        .page("operator", "/queues?queue=in_progress&sort=priority", "en")
        .await;
    assert_eq!(status, 200);
    assert_eq!(order(&html), vec![1, 3, 2, 0], "{html}");
    assert!(html.contains("id=\"sort-priority\"") && html.contains("aria-sort=\"ascending\""));
    // By step: dispatched ones (oldest first), then the accepted one.
    let (_, html) = app
        .page("operator", "/queues?queue=in_progress&sort=status", "en")
        .await;
    assert_eq!(order(&html), vec![1, 2, 3, 0], "{html}");
    // Pages of two keep the order across the group boundary (cursor `group.id`).
    let mut f = store::queues::QueueFilter {
        statuses: vec![domain::Status::Dispatched, domain::Status::Accepted],
        group_by: Some(store::queues::QueueGroup::Priority),
        oldest_first: true,
        limit: 2,
        ..Default::default()
    };
    let mut seen = Vec::new();
    loop {
        let rows = app.db.queue(&f).await.unwrap();
        seen.extend(rows.iter().map(|t| t.number.clone()));
        let Some(last) = rows.last().filter(|_| rows.len() == 2) else {
            break;
        };
        let cursor = f.cursor_after(last);
        assert!(f.set_cursor(&cursor).is_some());
    }
    let expected: Vec<String> = [1, 3, 2, 0].iter().map(|&i| numbers[i].clone()).collect();
    assert_eq!(seen, expected);
    // The late queue keeps newest/oldest; an unknown order is a field error.
    let (status, html) = app
        .page("operator", "/queues?queue=late&sort=priority", "en")
        .await;
    assert_eq!(status, 200);
    assert!(!html.contains("id=\"sort-priority\""));
    let (status, _) = app
        .page("operator", "/queues?queue=in_progress&sort=bogus", "en")
        .await;
    assert_eq!(status, 422);
}

async fn admins_change_and_disable_users(app: TestApp) {
    add_user(&app, "wangli", Role::Operator, None).await;
    let login = || async {
        app.client
            .post(app.url("/api/v1/login"))
            .json(&serde_json::json!({"username": "wangli", "password": "correct horse battery"}))
            .send()
            .await
            .unwrap()
    };
    let session = app.session("wangli", "correct horse battery").await;
    let me = || async {
        app.client
            .get(app.url("/api/v1/me"))
            .header("cookie", &session)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(me().await, 200);

    // The users list links to each user's page, prefilled.
    let (_, list) = app.page("admin", "/admin/users", "zh-CN").await;
    assert!(list.contains("href=\"/admin/users/wangli\""), "{list}");
    let (code, form) = app.page("admin", "/admin/users/wangli", "en").await;
    assert_eq!(code, 200);
    assert!(form.contains("value=\"张敏\""), "{form}");
    let (code, _) = app.page("admin", "/admin/users/nobody", "en").await;
    assert_eq!(code, 404);
    let (code, _) = app.page("operator", "/admin/users/wangli", "en").await;
    assert_eq!(code, 403);

    let post = |fields: Vec<(&'static str, &'static str)>| {
        let app = &app;
        async move {
            let r = no_redirects()
                .post(app.url("/admin/users/wangli"))
                .bearer_auth(app.token("admin"))
                .header("accept-language", "en")
                .form(&fields)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    // A station role without a station, an unknown staff phone, a short
    // password: errors next to the fields, nothing changed.
    let (code, html) = post(vec![
        ("display_name", "王丽"),
        ("role", "station"),
        ("station_code", ""),
        ("staff_phone", ""),
    ])
    .await;
    assert_eq!(code, 422, "{html}");
    assert!(html.contains("field invalid") && html.contains("e-station"));
    let (code, _) = post(vec![
        ("display_name", "王丽"),
        ("role", "operator"),
        ("staff_phone", "13999999999"),
    ])
    .await;
    assert_eq!(code, 422);
    let (code, _) = post(vec![
        ("display_name", "王丽"),
        ("role", "operator"),
        ("password", "short"),
    ])
    .await;
    assert_eq!(code, 422);
    assert_eq!(me().await, 200, "nothing changed");

    // Disabling ends the sessions and refuses new sign-ins.
    let (code, html) = post(vec![
        ("display_name", "王丽"),
        ("role", "manager"),
        ("disabled", "on"),
    ])
    .await;
    assert_eq!(code, 200, "{html}");
    assert!(html.contains("User wangli saved"));
    assert_eq!(me().await, 401);
    assert_eq!(login().await.status(), 401);
    let user = app.db.user_by_name("wangli").await.unwrap().unwrap();
    assert_eq!(
        (user.role.as_str(), user.display_name.as_str()),
        ("manager", "王丽")
    );

    // Enabled again with a new password.
    let (code, _) = post(vec![
        ("display_name", "王丽"),
        ("role", "manager"),
        ("password", "a new long password"),
    ])
    .await;
    assert_eq!(code, 200);
    let r = app
        .client
        .post(app.url("/api/v1/login"))
        .json(&serde_json::json!({"username": "wangli", "password": "a new long password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
