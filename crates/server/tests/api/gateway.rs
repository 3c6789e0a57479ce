//! A local HTTP server standing in for the SMS gateway: it records every
//! POST, answers with the statuses a test plans (200 otherwise), and can
//! reject one recipient for good or answer slowly.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;

#[derive(Default)]
struct Plan {
    /// Statuses for the next requests, in order.
    next: VecDeque<u16>,
    /// Recipients always answered with this status.
    reject: HashMap<String, u16>,
    delay: Option<Duration>,
    /// Every request: (status answered, JSON body, Idempotency-Key header).
    log: Vec<(u16, Value, String)>,
}

#[derive(Clone)]
pub struct Gateway {
    pub url: String,
    plan: Arc<Mutex<Plan>>,
}

impl Gateway {
    pub async fn start() -> Gateway {
        let plan = Arc::new(Mutex::new(Plan::default()));
        let app = axum::Router::new()
            .route("/sms", post(receive))
            .with_state(plan.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/sms", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Gateway { url, plan }
    }

    pub fn answer_next(&self, statuses: &[u16]) {
        self.plan.lock().unwrap().next.extend(statuses);
    }

    pub fn reject(&self, to: &str, status: u16) {
        self.plan.lock().unwrap().reject.insert(to.into(), status);
    }

    pub fn delay(&self, delay: Duration) {
        self.plan.lock().unwrap().delay = Some(delay);
    }

    /// Every request so far: (status, body, Idempotency-Key header).
    pub fn requests(&self) -> Vec<(u16, Value, String)> {
        self.plan.lock().unwrap().log.clone()
    }

    /// Bodies of the requests answered 2xx.
    pub fn delivered(&self) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|(s, _, _)| (200..300).contains(s))
            .map(|(_, body, _)| body)
            .collect()
    }
}

async fn receive(
    State(plan): State<Arc<Mutex<Plan>>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> StatusCode {
    let (status, delay) = {
        let mut plan = plan.lock().unwrap();
        let to = body["to"].as_str().unwrap_or_default().to_string();
        let status = match plan.reject.get(&to) {
            Some(s) => *s,
            None => plan.next.pop_front().unwrap_or(200),
        };
        let key = headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        plan.log.push((status, body, key));
        (status, plan.delay)
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    StatusCode::from_u16(status).unwrap_or(StatusCode::OK)
}

/// A mail relay that speaks just enough SMTP to take mail, and keeps it.
#[derive(Clone)]
pub struct MailRelay {
    pub port: u16,
    mails: Arc<Mutex<Vec<String>>>,
}

impl MailRelay {
    pub async fn start() -> MailRelay {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let kept = mails.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 relay ready\r\n").await;
                    let mut data: Option<String> = None;
                    while let Ok(Some(line)) = lines.next_line().await {
                        if let Some(body) = data.as_mut() {
                            if line == "." {
                                kept.lock().unwrap().push(std::mem::take(body));
                                data = None;
                                let _ = write.write_all(b"250 queued\r\n").await;
                            } else {
                                body.push_str(&line);
                                body.push('\n');
                            }
                            continue;
                        }
                        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                        let answer: &[u8] = match verb.as_str() {
                            "EHLO" | "HELO" => b"250 relay\r\n",
                            "DATA" => {
                                data = Some(String::new());
                                b"354 go ahead\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                break;
                            }
                            _ => b"250 ok\r\n",
                        };
                        let _ = write.write_all(answer).await;
                    }
                });
            }
        });
        MailRelay { port, mails }
    }

    pub fn mails(&self) -> Vec<String> {
        self.mails.lock().unwrap().clone()
    }
}
