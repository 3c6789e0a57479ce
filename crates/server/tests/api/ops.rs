use crate::helpers::{Backend, TestApp};

crate::on_both!(health_metrics_and_api_docs, schemas_of_both_backends_match);

async fn health_metrics_and_api_docs(app: TestApp) {
    let text = |path: &'static str| {
        let client = app.client.clone();
        let url = app.url(path);
        async move {
            let r = client.get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    assert_eq!(text("/healthz").await, (200, "ok".to_string()));
    assert_eq!(text("/readyz").await, (200, "ready".to_string()));
    app.register_repair().await;
    let (code, metrics) = text("/metrics").await;
    assert_eq!(code, 200);
    assert!(
        metrics.contains("heatdesk_http_requests_total"),
        "{metrics}"
    );
    assert!(metrics.contains("heatdesk_tickets_registered_total"));

    let (code, spec) = text("/api/openapi.json").await;
    assert_eq!(code, 200);
    let spec: serde_json::Value = serde_json::from_str(&spec).unwrap();
    for path in [
        "/api/v1/tickets",
        "/api/v1/tickets/{number}",
        "/api/v1/tickets/{number}/actions",
        "/api/v1/accounts",
        "/api/v1/stations",
    ] {
        assert!(spec["paths"][path].is_object(), "{path} documented");
    }
    let (code, page) = text("/api/docs").await;
    assert_eq!(code, 200);
    assert!(
        page.contains("/static/vendor/swagger-ui/swagger-ui-bundle.js")
            && !page.contains("https://")
    );
    let (code, js) = text("/static/vendor/swagger-ui/swagger-ui-bundle.js").await;
    assert_eq!(code, 200);
    assert!(js.len() > 100_000);
}

/// The two backends' migrations are mirrored: same tables, columns and nullability.
async fn schemas_of_both_backends_match(app: TestApp) {
    let Some(other) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let ours = app.db.schema().await.unwrap();
    assert!(ours.len() > 50, "{ours:?}");
    assert_eq!(ours, other.db.schema().await.unwrap());
}
