//! SMS through the utility's gateway adapter: `POST url` with JSON
//! `{to, text, ticket, event, idempotency_key}` (and an `Idempotency-Key`
//! header). 2xx: sent. 408, 429, 5xx, timeouts and refused connections: try
//! again. Any other answer: the gateway will never take it.

use std::time::Duration;

use serde::Serialize;
use store::outbox::MessageRow;

use super::Outcome;

#[derive(Clone)]
pub struct Webhook {
    client: reqwest::Client,
    url: String,
}

#[derive(Serialize)]
struct Payload<'a> {
    to: &'a str,
    text: &'a str,
    ticket: Option<&'a str>,
    event: &'a str,
    idempotency_key: &'a str,
}

impl Webhook {
    pub fn new(url: &str, timeout_ms: i64) -> Result<Webhook, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(timeout_ms.max(1) as u64))
            .build()
            .map_err(|e| format!("notify.sms: {e}"))?;
        Ok(Webhook {
            client,
            url: url.to_string(),
        })
    }

    pub async fn send(&self, m: &MessageRow) -> Outcome {
        let payload = Payload {
            to: &m.recipient,
            text: &m.text,
            ticket: m.ticket_number.as_deref(),
            event: &m.event,
            idempotency_key: &m.idempotency_key,
        };
        let response = self
            .client
            .post(&self.url)
            .header("Idempotency-Key", &m.idempotency_key)
            .json(&payload)
            .send()
            .await;
        match response {
            Ok(r) if r.status().is_success() => Outcome::Sent,
            Ok(r) => {
                let status = r.status();
                let body: String = r
                    .text()
                    .await
                    .unwrap_or_default()
                    .chars()
                    .take(200)
                    .collect();
                let error = format!("gateway answered {status}: {body}");
                if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
                    Outcome::Retry(error)
                } else {
                    Outcome::Permanent(error)
                }
            }
            Err(e) if e.is_timeout() => Outcome::Retry("gateway timed out".into()),
            Err(e) => Outcome::Retry(format!("gateway unreachable: {e}")),
        }
    }
}
