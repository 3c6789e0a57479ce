//! Browser tests of the console: Debian's chromium driven through
//! chromium-driver with fantoccini (DESIGN.md §5). They run only with
//! `HEATDESK_BROWSER_TESTS=1`; each starts its own chromedriver on a free
//! port and its own server on 127.0.0.1:0 over a fresh SQLite database.
//!
//! `HEATDESK_SCREENSHOTS=DIR` also saves screenshots of the intake and
//! ticket pages at 1366×768 there.

#[allow(dead_code, unused_imports)]
#[path = "../api/helpers.rs"]
mod helpers;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use domain::Role;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use helpers::{Backend, START, TestApp};
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

fn enabled() -> bool {
    if std::env::var("HEATDESK_BROWSER_TESTS").is_ok_and(|v| v == "1") {
        true
    } else {
        eprintln!(
            "skipping browser test: set HEATDESK_BROWSER_TESTS=1 (needs chromium and chromium-driver)"
        );
        false
    }
}

/// A chromedriver process, killed with the test.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn driver() -> Driver {
    let port = free_port();
    let child = Command::new(
        std::env::var("HEATDESK_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()),
    )
    .arg(format!("--port={port}"))
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .expect("chromedriver (apt-get install chromium-driver)");
    let url = format!("http://127.0.0.1:{port}");
    let driver = Driver { child, url };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("chromedriver did not start");
}

/// A fresh, empty directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(prefix: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "heatdesk-{prefix}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One browser session with its own profile and download folder.
struct Browser {
    client: Client,
    downloads: TempDir,
    _profile: TempDir,
}

async fn browser(driver: &Driver) -> Browser {
    let profile = TempDir::new("profile");
    let downloads = TempDir::new("downloads");
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": std::env::var("HEATDESK_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            // Exactly the flags of DESIGN.md §5, a fresh profile, a laptop-sized window.
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", format!("--user-data-dir={}", profile.0.display()),
                "--window-size=1366,768", "--lang=zh-CN",
            ],
            "prefs": {
                "download.default_directory": downloads.0.display().to_string(),
                "download.prompt_for_download": false,
                "intl.accept_languages": "zh-CN,zh",
            },
        }),
    );
    // Plain HTTP to chromedriver on loopback.
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a chromium session");
    Browser {
        client,
        downloads,
        _profile: profile,
    }
}

async fn app_with_users() -> TestApp {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite app");
    for (name, display, role, station) in [
        ("wangli", "王丽", Role::Operator, None),
        ("zhaojun", "赵军", Role::Station, Some("S01")),
    ] {
        let hash = server::auth::hash_password(PASSWORD).expect("hash");
        app.db
            .create_user(name, display, role, station, &hash, START)
            .await
            .expect("user");
    }
    app
}

async fn sign_in(app: &TestApp, b: &Browser, user: &str) {
    let c = &b.client;
    c.goto(&app.url("/signin")).await.expect("goto");
    c.find(Locator::Id("username"))
        .await
        .expect("username field")
        .send_keys(user)
        .await
        .expect("type");
    c.find(Locator::Id("password"))
        .await
        .expect("password field")
        .send_keys(&format!("{PASSWORD}{}", char::from(Key::Enter)))
        .await
        .expect("type");
    wait_js(c, "return location.pathname !== '/signin'").await;
}

/// Waits (up to 10 s) until `script` returns true in the page.
async fn wait_js(c: &Client, script: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(v) = c.execute(script, vec![]).await
            && v.as_bool() == Some(true)
        {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for: {script}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn js(c: &Client, script: &str) -> serde_json::Value {
    c.execute(script, vec![]).await.expect("script")
}

/// Presses keys on whatever has the focus, as a person at the keyboard does.
struct Keyboard<'a> {
    c: &'a Client,
    /// Keystrokes that are not free text (shortcuts, Enter, Tab …); a chord counts once.
    strokes: usize,
    /// Keys pressed, modifiers included.
    presses: usize,
}

impl<'a> Keyboard<'a> {
    fn new(c: &'a Client) -> Self {
        Keyboard {
            c,
            strokes: 0,
            presses: 0,
        }
    }

    async fn send(&self, keys: KeyActions) {
        self.c.perform_actions(keys).await.expect("keys");
    }

    /// Free text (a number, a description): not counted as keystrokes.
    async fn text(&mut self, text: &str) {
        let mut keys = KeyActions::new("keyboard".into());
        for ch in text.chars() {
            keys = keys
                .then(KeyAction::Down { value: ch })
                .then(KeyAction::Up { value: ch });
        }
        self.send(keys).await;
    }

    /// One keystroke: a key with its modifiers held.
    async fn press(&mut self, modifiers: &[Key], key: char) {
        let mut keys = KeyActions::new("keyboard".into());
        for m in modifiers {
            keys = keys.then(KeyAction::Down {
                value: char::from(*m),
            });
        }
        keys = keys
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        for m in modifiers.iter().rev() {
            keys = keys.then(KeyAction::Up {
                value: char::from(*m),
            });
        }
        self.send(keys).await;
        self.strokes += 1;
        self.presses += 1 + modifiers.len();
    }

    async fn key(&mut self, key: Key) {
        self.press(&[], char::from(key)).await;
    }
}

async fn focused_id(c: &Client) -> String {
    js(
        c,
        "return document.activeElement ? document.activeElement.id : ''",
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_string()
}

async fn screenshot(c: &Client, name: &str) {
    if let Ok(dir) = std::env::var("HEATDESK_SCREENSHOTS") {
        let png = c.screenshot().await.expect("screenshot");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(Path::new(&dir).join(name), png).expect("write screenshot");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_only_repair_call_by_a_known_caller() {
    if !enabled() {
        return;
    }
    let app = app_with_users().await;
    // The caller called before: the intake flags the repeat caller.
    app.register_repair().await;
    let d = driver().await;
    let b = browser(&d).await;
    let c = &b.client;
    sign_in(&app, &b, "wangli").await;
    assert_eq!(
        focused_id(c).await,
        "phone",
        "the phone field has the focus"
    );

    let description = "卧室暖气片不热，已经两天了";
    let mut k = Keyboard::new(c);
    let started = Instant::now();
    k.text("13800000001").await;
    // The caller appears and the one account is picked: name, address, station.
    wait_js(
        c,
        "return document.getElementById('account_no').value === 'A0001'",
    )
    .await;
    wait_js(
        c,
        "return !!document.querySelector('aside#caller #repeat-flag')",
    )
    .await;
    k.key(Key::Enter).await; // to the picker
    assert_eq!(focused_id(c).await, "picker");
    k.press(&[], '1').await; // category 暖气不热 → kind repair
    k.press(&[], 'x').await; // priority 紧急
    k.key(Key::Enter).await; // to the description
    assert_eq!(focused_id(c).await, "description");
    k.text(description).await;
    screenshot(c, "intake-filled.png").await;
    k.press(&[Key::Control, Key::Shift], char::from(Key::Enter))
        .await; // register + dispatch
    wait_js(c, "return !!document.getElementById('registered-number')").await;
    let elapsed = started.elapsed();
    wait_js(
        c,
        "return document.activeElement && document.activeElement.id === 'phone'",
    )
    .await;

    let number = js(
        c,
        "return document.getElementById('registered-number').dataset.number",
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_string();
    let t = app.db.ticket(&number).await.unwrap().expect("the ticket");
    assert_eq!(t.status, "dispatched");
    assert_eq!(t.station_code.as_deref(), Some("S01"));
    assert_eq!(t.category, "no_heat");
    assert_eq!(t.kind, "repair");
    assert_eq!(t.priority, "urgent");
    assert_eq!(t.caller_name, "王秀英");
    assert_eq!(t.account_no.as_deref(), Some("A0001"));
    assert_eq!(t.description, description);
    // The draft is gone and the form is fresh for the next call.
    assert_eq!(
        js(c, "return localStorage.getItem('heatdesk.intake.draft')").await,
        json!(null)
    );
    assert_eq!(
        js(c, "return document.getElementById('phone').value").await,
        json!("")
    );
    screenshot(c, "intake-registered.png").await;
    println!(
        "CONSOLE-BENCH keystrokes_beyond_free_text={} key_presses_with_modifiers={} free_text_chars={} wall_ms={}",
        k.strokes,
        k.presses,
        "13800000001".len() + description.chars().count(),
        elapsed.as_millis()
    );
    assert!(k.strokes <= 10);

    c.goto(&app.url(&format!("/tickets/{number}")))
        .await
        .unwrap();
    screenshot(c, "ticket.png").await;
    c.goto(&app.url("/queues?queue=in_progress")).await.unwrap();
    screenshot(c, "queue.png").await;
    b.client.close().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn draft_survives_a_reload_and_inquiry_is_answered_on_the_spot() {
    if !enabled() {
        return;
    }
    let app = app_with_users().await;
    let d = driver().await;
    let b = browser(&d).await;
    let c = &b.client;
    sign_in(&app, &b, "wangli").await;
    let mut k = Keyboard::new(c);
    k.text("13800000002").await;
    wait_js(
        c,
        "return document.getElementById('account_no').value === 'A0002'",
    )
    .await;
    k.key(Key::Enter).await;
    k.press(&[], '8').await; // 缴费: an inquiry
    k.key(Key::Enter).await;
    k.text("问本期缴费截止日期").await;
    // The tab crashes: the draft is still there after a reload.
    tokio::time::sleep(Duration::from_millis(400)).await;
    c.refresh().await.unwrap();
    wait_js(
        c,
        "return document.getElementById('description').value === '问本期缴费截止日期'",
    )
    .await;
    assert_eq!(
        js(c, "return document.getElementById('phone').value").await,
        json!("13800000002")
    );
    assert_eq!(
        js(
            c,
            "return document.getElementById('intake-form').dataset.kind"
        )
        .await,
        json!("inquiry")
    );
    // Focus the description again with the keyboard: F2, Enter, Enter.
    k.key(Key::F2).await;
    k.key(Key::Enter).await;
    k.key(Key::Enter).await;
    assert_eq!(focused_id(c).await, "description");
    k.key(Key::Tab).await; // the answer field, shown for inquiries
    assert_eq!(focused_id(c).await, "answer");
    k.text("本采暖期11月30日前缴费").await;
    k.press(&[Key::Control, Key::Shift], char::from(Key::Enter))
        .await; // answer and close
    wait_js(c, "return !!document.getElementById('registered-number')").await;
    let number = js(
        c,
        "return document.getElementById('registered-number').dataset.number",
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_string();
    let t = app.db.ticket(&number).await.unwrap().expect("ticket");
    assert_eq!((t.kind.as_str(), t.status.as_str()), ("inquiry", "closed"));
    let events = app.db.ticket_events(t.id).await.unwrap();
    assert_eq!(
        events.last().unwrap().data["note"],
        "本采暖期11月30日前缴费"
    );
    b.client.close().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_click_on_the_map_sets_the_point_and_the_station() {
    if !enabled() {
        return;
    }
    let app = app_with_users().await;
    let d = driver().await;
    let b = browser(&d).await;
    let c = &b.client;
    sign_in(&app, &b, "wangli").await;
    // An address the register does not know.
    c.find(Locator::Id("address"))
        .await
        .expect("address field")
        .send_keys("无名小区9栋")
        .await
        .expect("type");
    wait_js(
        c,
        "return document.getElementById('resolve').dataset.confidence === 'none'",
    )
    .await;
    // The map is folded after the buttons; open it and click in S02's area.
    c.find(Locator::Css("#map-box summary"))
        .await
        .expect("map summary")
        .click()
        .await
        .expect("open the map");
    c.find(Locator::Id("map-area-S02"))
        .await
        .expect("S02 on the map")
        .click()
        .await
        .expect("click the map");
    wait_js(
        c,
        "return document.getElementById('resolve').dataset.confidence === 'gis'",
    )
    .await;
    let lat: f64 = js(c, "return document.getElementById('lat').value")
        .await
        .as_str()
        .and_then(|v| v.parse().ok())
        .expect("lat set");
    let lon: f64 = js(c, "return document.getElementById('lon').value")
        .await
        .as_str()
        .and_then(|v| v.parse().ok())
        .expect("lon set");
    assert!(
        (45.70..=45.71).contains(&lat) && (126.61..=126.62).contains(&lon),
        "{lat}, {lon}"
    );
    assert_eq!(
        js(c, "return document.getElementById('station_code').value").await,
        json!("S02")
    );
    screenshot(c, "intake-map").await;
    b.client.close().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_in_another_session_arrives_live() {
    if !enabled() {
        return;
    }
    let app = app_with_users().await;
    let mut call = helpers::repair_call();
    call["dispatch"] = json!(true);
    let (_, body) = app.post("operator", "/api/v1/tickets", &call).await;
    let number = body["number"].as_str().unwrap().to_string();
    let d = driver().await;
    let operator = browser(&d).await;
    let station = browser(&d).await;
    sign_in(&app, &operator, "wangli").await;
    sign_in(&app, &station, "zhaojun").await;

    let o = &operator.client;
    o.goto(&app.url(&format!("/tickets/{number}")))
        .await
        .unwrap();
    wait_js(o, "return document.body.dataset.live === 'on'").await;
    js(o, "window.__notReloaded = true; return true").await;
    assert_eq!(
        js(
            o,
            "return document.getElementById('ticket-status').textContent"
        )
        .await,
        json!("已派单")
    );

    // The station accepts on its own screen…
    let s = &station.client;
    s.goto(&app.url("/station")).await.unwrap();
    s.find(Locator::Css("#section-incoming button.primary"))
        .await
        .expect("the accept button")
        .click()
        .await
        .unwrap();
    // …and the operator's page shows it without a reload.
    wait_js(
        o,
        "return document.getElementById('ticket-status').textContent === '已接单'",
    )
    .await;
    assert_eq!(
        js(o, "return window.__notReloaded === true").await,
        json!(true)
    );
    // The queue refreshes too.
    o.goto(&app.url("/queues?queue=in_progress")).await.unwrap();
    wait_js(o, "return document.body.dataset.live === 'on'").await;
    js(o, "window.__notReloaded = true; return true").await;
    let (_, body) = app.post("operator", "/api/v1/tickets", &call).await;
    let second = body["number"].as_str().unwrap().to_string();
    wait_js(
        o,
        &format!("return !!document.querySelector('tr[data-number=\"{second}\"]')"),
    )
    .await;
    assert_eq!(
        js(o, "return window.__notReloaded === true").await,
        json!(true)
    );
    operator.client.close().await.ok();
    station.client.close().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_language_switch_is_remembered() {
    if !enabled() {
        return;
    }
    let app = app_with_users().await;
    let d = driver().await;
    let b = browser(&d).await;
    let c = &b.client;
    sign_in(&app, &b, "wangli").await;
    assert_eq!(
        js(c, "return document.documentElement.lang").await,
        json!("zh-CN")
    );
    assert!(c.source().await.unwrap().contains("来电受理"));
    c.find(Locator::Id("lang-switch"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_js(c, "return document.documentElement.lang === 'en'").await;
    assert!(c.source().await.unwrap().contains("Call intake"));
    c.goto(&app.url("/queues")).await.unwrap();
    assert!(c.source().await.unwrap().contains("To dispatch"));
    let user = app.db.user_by_name("wangli").await.unwrap().unwrap();
    assert_eq!(user.locale.as_deref(), Some("en"));
    c.find(Locator::Id("lang-switch"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_js(c, "return document.documentElement.lang === 'zh-CN'").await;
    assert_eq!(js(c, "return location.pathname").await, json!("/queues"));
    b.client.close().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_is_exported_to_xlsx() {
    if !enabled() {
        return;
    }
    let app = app_with_users().await;
    let mut call = helpers::repair_call();
    call["dispatch"] = json!(true);
    let mut numbers = Vec::new();
    for _ in 0..3 {
        let (_, body) = app.post("operator", "/api/v1/tickets", &call).await;
        numbers.push(body["number"].as_str().unwrap().to_string());
    }
    let d = driver().await;
    let b = browser(&d).await;
    let c = &b.client;
    sign_in(&app, &b, "wangli").await;
    c.goto(&app.url("/queues?queue=in_progress&sort=oldest"))
        .await
        .unwrap();
    c.find(Locator::Id("export"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let file = loop {
        let done = std::fs::read_dir(&b.downloads.0)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == "xlsx"));
        if let Some(f) = done {
            break f;
        }
        assert!(Instant::now() < deadline, "no download arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        file.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("heatdesk-in_progress-")
    );
    use calamine::{Reader, Xlsx, open_workbook};
    let mut book: Xlsx<_> = open_workbook(&file).expect("the workbook opens");
    let name = book.sheet_names()[0].clone();
    assert_eq!(name, "工单");
    let range = book.worksheet_range(&name).unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows[0][0], "工单号");
    let exported: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        exported,
        numbers.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert!(
        rows[1..]
            .iter()
            .all(|r| r[1] == "已派单" && r[8] == "红旗供热站")
    );
    b.client.close().await.ok();
}

/// The repairer's phone pages at a phone's size: contact, arrive, and the
/// result with photos from the file input (the camera-sized one shrunk by
/// field.js before sending) and a signature drawn on the pad.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repairer_resolves_on_the_phone_with_photo_and_signature() {
    if !enabled() {
        return;
    }
    let app = app_with_users().await;
    let staff =
        "name,phone,position,branch,station_code\n孙师傅,13700000009,维修工,南岗分公司,S01\n";
    app.import_staff(staff).await;
    let hash = server::auth::hash_password(PASSWORD).expect("hash");
    app.db
        .create_user("sun", "孙师傅", Role::Repairer, Some("S01"), &hash, START)
        .await
        .expect("user");
    app.db
        .link_user_to_staff("sun", Some("13700000009"))
        .await
        .expect("link");
    let number = app.register_repair().await;
    app.act(
        "operator",
        &number,
        json!({"action": "dispatch", "station_code": "S01"}),
    )
    .await;
    app.act("station", &number, json!({"action": "accept"}))
        .await;
    let sun = app.db.staff().await.expect("staff")[0].id;
    app.act(
        "station",
        &number,
        json!({"action": "assign", "staff_ids": [sun]}),
    )
    .await;

    let driver = driver().await;
    let b = browser(&driver).await;
    let c = &b.client;
    c.set_window_size(390, 844).await.expect("phone size");
    sign_in(&app, &b, "sun").await;
    c.goto(&app.url("/m/")).await.expect("goto");
    wait_js(
        c,
        "return document.documentElement.scrollWidth <= window.innerWidth",
    )
    .await;
    c.find(Locator::Id(&format!("m-{number}")))
        .await
        .expect("my ticket")
        .click()
        .await
        .expect("open");
    wait_js(c, "return !!document.getElementById('m-call')").await;
    let height = js(
        c,
        "return document.querySelector('#m-contact button').getBoundingClientRect().height",
    )
    .await;
    assert!(
        height.as_f64().unwrap_or(0.0) >= 48.0,
        "touch target {height}"
    );
    for (form, reached) in [("m-contact", "contacted"), ("m-arrive", "on_site")] {
        c.find(Locator::Css(&format!("#{form} button")))
            .await
            .expect("step button")
            .click()
            .await
            .expect("click");
        // The next page shows the new state (the same buttons may be on both).
        wait_js(
            c,
            &format!("return !!document.querySelector('#m-status.st-{reached}')"),
        )
        .await;
    }
    c.find(Locator::Css("#m-resolve summary"))
        .await
        .expect("resolve")
        .click()
        .await
        .expect("open the form");
    c.find(Locator::Id("m-note"))
        .await
        .expect("note")
        .send_keys("更换阀门")
        .await
        .expect("type");
    let dir = TempDir::new("photo");
    // A "photo" the phone cannot decode goes as it is, and the server refuses
    // it next to the field, keeping the note.
    let broken = dir.0.join("broken.jpg");
    std::fs::write(&broken, b"%PDF-1.4 not a photo").expect("file");
    c.find(Locator::Id("m-photos"))
        .await
        .expect("file input")
        .send_keys(&broken.display().to_string())
        .await
        .expect("choose the file");
    c.find(Locator::Id("m-resolve-submit"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("send");
    wait_js(
        c,
        "const e = document.getElementById('m-photos-err'); return !!e && e.textContent.includes('只能上传图片') && document.getElementById('m-note').value === '更换阀门'",
    )
    .await;
    let file = dir.0.join("photo.png");
    let img = image::RgbImage::from_pixel(64, 48, image::Rgb([200, 80, 20]));
    img.save(&file).expect("png");
    // A camera-sized photo that the server would refuse as it is (noise does
    // not compress: over 10 MB as PNG): it gets through only shrunk on the phone.
    let big = dir.0.join("camera.png");
    let mut seed = 0x2545_f491_u32;
    let noise = image::RgbImage::from_fn(2400, 1800, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let [r, g, b, _] = seed.to_le_bytes();
        image::Rgb([r, g, b])
    });
    noise.save(&big).expect("png");
    assert!(std::fs::metadata(&big).expect("size").len() > 10 * 1024 * 1024);
    c.find(Locator::Id("m-photos"))
        .await
        .expect("file input")
        .send_keys(&format!("{}\n{}", file.display(), big.display()))
        .await
        .expect("choose the files");
    js(
        c,
        "const cv = document.getElementById('m-sig'); cv.scrollIntoView(); const r = cv.getBoundingClientRect();
         const at = (type, x, y) => cv.dispatchEvent(new PointerEvent(type, {bubbles: true, pointerId: 1, clientX: r.left + x, clientY: r.top + y}));
         at('pointerdown', 10, 10); for (let i = 1; i <= 20; i++) { at('pointermove', 10 + i * 10, 10 + (i % 5) * 20); } at('pointerup', 210, 30);
         return true;",
    )
    .await;
    c.find(Locator::Id("m-resolve-submit"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("send");
    wait_js(
        c,
        "return document.querySelectorAll('#m-files img').length === 3",
    )
    .await;
    screenshot(c, "m-ticket.png").await;
    let t = app.db.ticket(&number).await.expect("db").expect("ticket");
    assert_eq!(t.status, "resolved");
    let files = app.db.attachments(t.id).await.expect("files");
    let kinds: Vec<&str> = files.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(kinds, ["photo", "photo", "signature"]);
    let mut sides = Vec::new();
    for (file, thumb) in [(&files[1], false), (&files[1], true), (&files[0], false)] {
        let (_, bytes) = app
            .db
            .attachment_file(t.id, file.id, thumb)
            .await
            .expect("db")
            .expect("a file");
        let img = image::load_from_memory(&bytes).expect("an image");
        sides.push((img.width(), img.height()));
    }
    assert_eq!(sides, [(1600, 1200), (320, 240), (64, 48)]);
    // The thumbnails are what the page shows, each linking to the photo.
    let shown = js(
        c,
        "return [...document.querySelectorAll('#m-files a')].map(a => [a.getAttribute('href'), a.querySelector('img').getAttribute('src')])",
    )
    .await;
    for (pair, file) in shown.as_array().expect("links").iter().zip(&files) {
        let href = format!("/tickets/{number}/attachments/{}", file.id);
        assert_eq!(pair, &json!([href, format!("{href}?size=thumb")]));
    }

    // The console's ticket page shows the photo and the signature as thumbnails.
    c.goto(&app.url(&format!("/tickets/{number}")))
        .await
        .expect("goto");
    wait_js(
        c,
        "const i = [...document.querySelectorAll('#attachments img')]; return i.length === 3 && i.every(x => x.complete && x.naturalWidth > 0)",
    )
    .await;
}

/// The station board on a station director's phone: two repairers put on one
/// ticket with two ticks, and a wrong route sent to the right station with
/// its reason, in one step each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_station_runs_its_board_from_a_phone() {
    if !enabled() {
        return;
    }
    let app = app_with_users().await;
    let staff = "name,phone,position,branch,station_code\n\
        孙师傅,13700000009,维修工,南岗分公司,S01\n\
        周师傅,13700000008,维修工,南岗分公司,S01\n";
    app.import_staff(staff).await;
    let mut numbers = Vec::new();
    for _ in 0..2 {
        let number = app.register_repair().await;
        app.act(
            "operator",
            &number,
            json!({"action": "dispatch", "station_code": "S01"}),
        )
        .await;
        numbers.push(number);
    }
    let (crewed, misrouted) = (&numbers[0], &numbers[1]);

    let driver = driver().await;
    let b = browser(&driver).await;
    let c = &b.client;
    c.set_window_size(390, 844).await.expect("phone size");
    sign_in(&app, &b, "zhaojun").await;
    c.goto(&app.url("/station")).await.expect("goto");
    wait_js(
        c,
        "return !!document.getElementById('section-incoming') && document.documentElement.scrollWidth <= window.innerWidth",
    )
    .await;
    let row = |number: &str| format!("#section-incoming tr[data-number='{number}']");
    let height = js(
        c,
        &format!(
            "return document.querySelector(\"{} a.row-assign\").getBoundingClientRect().height",
            row(crewed)
        ),
    )
    .await;
    assert!(
        height.as_f64().unwrap_or(0.0) >= 48.0,
        "touch target {height}"
    );
    screenshot(c, "station-phone.png").await;
    // Assign: the ticket's crew form, two ticks, one tap, back on the board.
    c.find(Locator::Css(&format!("{} a.row-assign", row(crewed))))
        .await
        .expect("assign")
        .click()
        .await
        .expect("open");
    wait_js(c, "return !!document.querySelector('#act-assign[open]')").await;
    for checkbox in c
        .find_all(Locator::Css("#act-assign input[name=staff_ids]"))
        .await
        .expect("ticks")
    {
        checkbox.click().await.expect("tick");
    }
    c.find(Locator::Css("#act-assign button[type=submit]"))
        .await
        .expect("assign button")
        .click()
        .await
        .expect("assign");
    wait_js(
        c,
        &format!(
            "const r = document.querySelector(\"{}\"); return location.pathname === '/station' && !!r && /孙师傅、周师傅|周师傅、孙师傅/.test(r.textContent)",
            row(crewed)
        ),
    )
    .await;
    // The wrong route: the other station and the reason, one tap.
    c.find(Locator::Css(&format!("{} a.row-redirect", row(misrouted))))
        .await
        .expect("redirect")
        .click()
        .await
        .expect("open");
    wait_js(
        c,
        "return !!document.querySelector('#act-redirect[open]') && document.documentElement.scrollWidth <= window.innerWidth",
    )
    .await;
    js(
        c,
        "document.querySelector('#act-redirect select[name=station_code]').value = 'S02'; return true;",
    )
    .await;
    c.find(Locator::Id("redirect-reason"))
        .await
        .expect("reason")
        .send_keys("该楼归和平站供热")
        .await
        .expect("type");
    c.find(Locator::Css("#act-redirect button[type=submit]"))
        .await
        .expect("redirect button")
        .click()
        .await
        .expect("redirect");
    wait_js(
        c,
        &format!(
            "return location.pathname === '/station' && !!document.getElementById('section-incoming') && !document.querySelector(\"{}\")",
            row(misrouted)
        ),
    )
    .await;
    let t = app.db.ticket(misrouted).await.expect("db").expect("ticket");
    assert_eq!(t.station_code.as_deref(), Some("S02"));
    let events = app.db.ticket_events(t.id).await.expect("events");
    let last = events.last().expect("an event");
    assert_eq!(last.kind, "redirected");
    assert_eq!(last.data["reason"], "该楼归和平站供热");
    let crewed = app.db.ticket(crewed).await.expect("db").expect("ticket");
    let crew = app.db.assignments(&[crewed.id]).await.expect("crew");
    assert_eq!(crew[&crewed.id].len(), 2);
    b.client.close().await.ok();
}
