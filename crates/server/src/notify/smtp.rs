//! E-mail through an SMTP relay. The message id is derived from the
//! idempotency key, so a mail sent twice after a crash is recognisably the
//! same mail.

use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use store::outbox::MessageRow;

use super::Outcome;
use crate::config::SmtpConfig;

#[derive(Clone)]
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl Smtp {
    pub fn new(c: &SmtpConfig) -> Result<Smtp, String> {
        let from = c
            .from
            .parse()
            .map_err(|e| format!("notify.smtp.from: {e}"))?;
        // Plain SMTP to a relay on the utility's network (see SmtpConfig).
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&c.host).port(c.port);
        if let (Some(user), Some(password)) = (&c.username, &c.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Smtp {
            transport: builder.build(),
            from,
        })
    }

    pub async fn send(&self, m: &MessageRow) -> Outcome {
        let to = match m.recipient.parse() {
            Ok(to) => to,
            Err(e) => return Outcome::Permanent(format!("bad address {}: {e}", m.recipient)),
        };
        let subject = match &m.ticket_number {
            Some(n) => format!("【供热热线】{n}"),
            None => "【供热热线】".to_string(),
        };
        let id = format!("<{}@heatdesk>", m.idempotency_key.replace('/', "."));
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(id))
            .header(ContentType::TEXT_PLAIN)
            .body(m.text.clone());
        let email = match email {
            Ok(e) => e,
            Err(e) => return Outcome::Permanent(format!("cannot build the mail: {e}")),
        };
        match self.transport.send(email).await {
            Ok(_) => Outcome::Sent,
            Err(e) if e.is_permanent() => Outcome::Permanent(format!("relay refused: {e}")),
            Err(e) => Outcome::Retry(format!("relay: {e}")),
        }
    }
}
