//! Channels that carry outbox messages to people: SMS through the `log`
//! driver (the demo) or a `webhook` to the utility's SMS gateway adapter,
//! and e-mail through an SMTP relay. A channel answers whether a message
//! went, should be tried again later, or can never go.

mod smtp;
mod webhook;

use store::outbox::MessageRow;

use crate::config::{Settings, SmsDriver};

pub use smtp::Smtp;
pub use webhook::Webhook;

/// The result of one delivery attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Sent,
    /// A passing failure (timeout, 5xx, connection refused): try again later.
    Retry(String),
    /// The message can never go as it is (rejected by the gateway).
    Permanent(String),
}

/// Every channel of this instance, built once from the configuration.
#[derive(Clone)]
pub struct Channels {
    sms: Sms,
    email: Option<Smtp>,
}

#[derive(Clone)]
enum Sms {
    Log,
    Webhook(Webhook),
}

impl Channels {
    pub fn new(settings: &Settings) -> Result<Channels, String> {
        let sms = match &settings.sms {
            SmsDriver::Log => Sms::Log,
            SmsDriver::Webhook { url, timeout_ms } => Sms::Webhook(Webhook::new(url, *timeout_ms)?),
        };
        let email = settings
            .config
            .notify
            .smtp
            .as_ref()
            .map(Smtp::new)
            .transpose()?;
        Ok(Channels { sms, email })
    }

    pub async fn send(&self, m: &MessageRow) -> Outcome {
        match m.channel.as_str() {
            "sms" => match &self.sms {
                Sms::Log => {
                    tracing::info!(
                        to = %m.recipient,
                        ticket = m.ticket_number.as_deref().unwrap_or(""),
                        key = %m.idempotency_key,
                        text = %m.text,
                        "sms (log driver)"
                    );
                    Outcome::Sent
                }
                Sms::Webhook(w) => w.send(m).await,
            },
            "email" => match &self.email {
                Some(smtp) => smtp.send(m).await,
                None => Outcome::Permanent("no [notify.smtp] relay is configured".into()),
            },
            other => Outcome::Permanent(format!("unknown channel {other}")),
        }
    }
}
