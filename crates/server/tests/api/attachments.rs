//! A ticket's photos and signature: thumbnails made at upload and served
//! with `?size=thumb`, and the files through the JSON API with the ticket's
//! own visibility.

use std::io::Cursor;

use base64::Engine;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::{TestApp, no_redirects};
use crate::on_both;

on_both!(
    photos_get_thumbnails_and_pages_show_them,
    attachments_through_the_api,
    other_stations_see_no_files,
);

fn png(img: image::RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// Something like a photo: gradients rather than one flat colour.
fn photo_png(w: u32, h: u32) -> Vec<u8> {
    png(image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            (x * 255 / w) as u8,
            (y * 255 / h) as u8,
            ((x ^ y) & 0xFF) as u8,
        ])
    }))
}

fn signature_png() -> Vec<u8> {
    png(image::RgbImage::from_pixel(60, 20, image::Rgb([0, 0, 0])))
}

/// A ticket of S01 resolved on the phone page with a 2000×1500 photo and a
/// signature; returns its number and the ids of the photo and the signature.
async fn resolved_with_files(app: &TestApp) -> (String, i64, i64) {
    let number = app.register_repair().await;
    for (role, action) in [
        (
            "operator",
            json!({"action": "dispatch", "station_code": "S01"}),
        ),
        ("station", json!({"action": "accept"})),
        ("station", json!({"action": "contact"})),
        ("station", json!({"action": "arrive"})),
    ] {
        let (s, b) = app.act(role, &number, action).await;
        assert_eq!(s, 200, "{b}");
    }
    let form = Form::new()
        .text("action", "resolve")
        .text("note", "更换阀门")
        .part(
            "photos",
            Part::bytes(photo_png(2000, 1500)).file_name("valve.png"),
        )
        .text(
            "signature",
            format!(
                "data:image/png;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(signature_png())
            ),
        );
    let r = no_redirects()
        .post(app.url(&format!("/m/tickets/{number}")))
        .bearer_auth(app.token("station"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let t = app.db.ticket(&number).await.unwrap().unwrap();
    assert_eq!(t.status, "resolved");
    let files = app.db.attachments(t.id).await.unwrap();
    let kinds: Vec<&str> = files.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(kinds, ["photo", "signature"]);
    (number, files[0].id, files[1].id)
}

/// GET with `role`'s token: status, content type and body.
async fn fetch(app: &TestApp, role: &str, path: &str) -> (u16, String, Vec<u8>) {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(app.token(role))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let content_type = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, content_type, r.bytes().await.unwrap().to_vec())
}

fn size_of(bytes: &[u8]) -> (u32, u32) {
    let img = image::load_from_memory(bytes).expect("an image");
    (img.width(), img.height())
}

async fn photos_get_thumbnails_and_pages_show_them(app: TestApp) {
    let (number, photo, signature) = resolved_with_files(&app).await;
    let full_url = format!("/tickets/{number}/attachments/{photo}");

    let (s, ct, full) = fetch(&app, "operator", &full_url).await;
    assert_eq!((s, ct.as_str()), (200, "image/jpeg"));
    assert_eq!(size_of(&full), (1600, 1200));
    let (s, ct, thumb) = fetch(&app, "operator", &format!("{full_url}?size=thumb")).await;
    assert_eq!((s, ct.as_str()), (200, "image/jpeg"));
    let (w, h) = size_of(&thumb);
    assert!(w.max(h) <= 320, "{w}×{h}");
    assert_eq!((w, h), (320, 240));
    assert!(
        thumb.len() < full.len(),
        "thumb {} bytes, full {} bytes",
        thumb.len(),
        full.len()
    );
    // `?size=full` is the file itself.
    let (_, _, again) = fetch(&app, "operator", &format!("{full_url}?size=full")).await;
    assert_eq!(again, full);

    // A signature has no thumbnail: the PNG itself.
    let sig_url = format!("/tickets/{number}/attachments/{signature}");
    let (s, ct, sig_thumb) = fetch(&app, "operator", &format!("{sig_url}?size=thumb")).await;
    assert_eq!((s, ct.as_str()), (200, "image/png"));
    assert_eq!(sig_thumb, signature_png());
    assert_eq!(fetch(&app, "operator", &sig_url).await.2, sig_thumb);

    // A photo stored before thumbnails were made: the photo itself.
    app.db
        .execute_admin(&format!(
            "UPDATE ticket_attachments SET thumb = NULL WHERE id = {photo}"
        ))
        .await
        .unwrap();
    let (s, ct, old) = fetch(&app, "operator", &format!("{full_url}?size=thumb")).await;
    assert_eq!((s, ct.as_str()), (200, "image/jpeg"));
    assert_eq!(old, full);

    // Any other size is refused, naming the field; no panics on odd input.
    let (s, _, _) = fetch(&app, "operator", &format!("{full_url}?size=huge")).await;
    assert_eq!(s, 422);
    let (s, _, _) = fetch(&app, "operator", &format!("{full_url}?size=a&size=b")).await;
    assert_eq!(s, 400);

    // Both pages list thumbnails, each a link to the full file, in a box of
    // a known size so the page does not jump while they load.
    let (console, phone) = (format!("/tickets/{number}"), format!("/m/tickets/{number}"));
    for (page, id, width, height) in [
        (&console, photo, 120, 120),
        (&console, signature, 240, 120),
        (&phone, photo, 96, 96),
        (&phone, signature, 192, 96),
    ] {
        let r = app
            .client
            .get(app.url(page))
            .bearer_auth(app.token("station"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{page}");
        let html = r.text().await.unwrap();
        let href = format!("href=\"/tickets/{number}/attachments/{id}\"");
        let at = html.find(&href).unwrap_or_else(|| panic!("{page}: {href}"));
        let link = &html[at..];
        let link = &link[..link.find("</a>").unwrap()];
        for part in [
            format!("src=\"/tickets/{number}/attachments/{id}?size=thumb\""),
            "loading=\"lazy\"".to_string(),
            format!("width=\"{width}\""),
            format!("height=\"{height}\""),
        ] {
            assert!(link.contains(&part), "{page}: {part} in {link}");
        }
    }
}

async fn attachments_through_the_api(app: TestApp) {
    let (number, photo, signature) = resolved_with_files(&app).await;
    let (s, ticket) = app
        .get("operator", &format!("/api/v1/tickets/{number}"))
        .await;
    assert_eq!(s, 200);
    let resolved_seq = ticket["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "resolved")
        .map(|e| e["seq"].clone())
        .expect("a resolved event");

    let list = format!("/api/v1/tickets/{number}/attachments");
    for role in [
        "operator", "station", "repairer", "viewer", "manager", "admin",
    ] {
        let (s, body) = app.get(role, &list).await;
        assert_eq!(s, 200, "{role}: {body}");
        assert_eq!(body["items"].as_array().map(Vec::len), Some(2), "{body}");
    }
    let (_, body) = app.get("operator", &list).await;
    assert_eq!(body["ticket"], json!(number));
    let items = body["items"].as_array().unwrap();
    let (p, sig) = (&items[0], &items[1]);
    let href = format!("/api/v1/tickets/{number}/attachments/{photo}");
    assert_eq!(p["id"], json!(photo));
    assert_eq!(p["kind"], "photo");
    assert_eq!(p["content_type"], "image/jpeg");
    assert_eq!(p["event_seq"], resolved_seq);
    assert_eq!(p["created_by"], "token:station");
    assert_eq!(p["created_at"], "2026-12-04T09:05:00+08:00");
    assert_eq!(p["href"], json!(href));
    assert_eq!(p["thumb_href"], json!(format!("{href}?size=thumb")));
    assert_eq!(sig["id"], json!(signature));
    assert_eq!(sig["kind"], "signature");
    assert_eq!(sig["content_type"], "image/png");
    assert_eq!(sig["event_seq"], resolved_seq);

    // The bytes behind the hrefs.
    let (s, ct, full) = fetch(&app, "station", p["href"].as_str().unwrap()).await;
    assert_eq!((s, ct.as_str()), (200, "image/jpeg"));
    assert_eq!(full.len() as i64, p["size_bytes"].as_i64().unwrap());
    assert_eq!(size_of(&full), (1600, 1200));
    let (s, ct, thumb) = fetch(&app, "station", p["thumb_href"].as_str().unwrap()).await;
    assert_eq!((s, ct.as_str()), (200, "image/jpeg"));
    let (w, h) = size_of(&thumb);
    assert!(w.max(h) <= 320 && thumb.len() < full.len(), "{w}×{h}");
    let (s, ct, sig_bytes) = fetch(&app, "station", sig["thumb_href"].as_str().unwrap()).await;
    assert_eq!((s, ct.as_str()), (200, "image/png"));
    assert_eq!(sig_bytes, signature_png());
    assert_eq!(sig_bytes.len() as i64, sig["size_bytes"].as_i64().unwrap());

    // What is not there: 404 problem documents; a bad size: 422 naming it.
    let other = app.register_repair().await;
    let (s, body) = app
        .get("operator", &format!("/api/v1/tickets/{other}/attachments"))
        .await;
    assert_eq!((s, body["items"].clone()), (200, json!([])));
    for path in [
        format!("/api/v1/tickets/{other}/attachments/{photo}"),
        format!("/api/v1/tickets/{number}/attachments/999999"),
        format!("/api/v1/tickets/{number}/attachments/abc"),
        format!("/api/v1/tickets/{number}/attachments/99999999999999999999999"),
        "/api/v1/tickets/NOPE/attachments".to_string(),
        "/api/v1/tickets/NOPE/attachments/1".to_string(),
    ] {
        let (s, body) = app.get("operator", &path).await;
        assert_eq!(
            (s, body["code"].clone()),
            (404, json!("not_found")),
            "{path}"
        );
    }
    let (s, body) = app.get("operator", &format!("{href}?size=huge")).await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(body["field"], "size");

    // Signed out: nothing.
    let r = app.client.get(app.url(&href)).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = app.client.get(app.url(&list)).send().await.unwrap();
    assert_eq!(r.status(), 401);

    // Both paths are in the OpenAPI document.
    let spec: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/api/v1/tickets/{number}/attachments",
        "/api/v1/tickets/{number}/attachments/{id}",
    ] {
        assert!(spec["paths"][path]["get"].is_object(), "{path} documented");
    }
}

async fn other_stations_see_no_files(app: TestApp) {
    let (number, photo, signature) = resolved_with_files(&app).await;
    // station2 is bound to S02: as for the ticket itself, 404 on everything.
    let (s, body) = app
        .get("station2", &format!("/api/v1/tickets/{number}"))
        .await;
    assert_eq!(s, 404, "{body}");
    let (s, body) = app
        .get("station2", &format!("/api/v1/tickets/{number}/attachments"))
        .await;
    assert_eq!((s, body["code"].clone()), (404, json!("not_found")));
    for id in [photo, signature] {
        for suffix in ["", "?size=thumb", "?size=huge"] {
            for path in [
                format!("/api/v1/tickets/{number}/attachments/{id}{suffix}"),
                format!("/tickets/{number}/attachments/{id}{suffix}"),
            ] {
                let (s, _, bytes) = fetch(&app, "station2", &path).await;
                assert_eq!(s, 404, "{path}");
                assert!(image::load_from_memory(&bytes).is_err(), "{path}");
            }
        }
    }
}
