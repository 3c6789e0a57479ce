//! How a ticket's clocks read in the console: the step, when it is due,
//! how much time is left or how late it is, and how far up the escalation
//! ladder it went. The clocks themselves live in the store (issue 5).

use domain::Timestamp;
use domain::sla::{span_en, span_zh};
use store::clocks::ClockRow;

use super::show_time;
use crate::AppState;
use crate::i18n::Lang;

pub struct ClockView {
    pub step: String,
    /// `ok`, `warning`, `late`, `paused` while running; `met`, `done_late`,
    /// `cancelled` once stopped. Also the CSS class.
    pub level: &'static str,
    pub due: String,
    /// "剩 5分钟" / "超时 3分钟" / "暂停至 …" / "按时完成" …
    pub status: String,
    /// "已升级至 1 级", empty below the ladder.
    pub escalation: String,
}

pub fn level(c: &ClockRow, now: Timestamp) -> &'static str {
    match c.state.as_str() {
        "running" if c.paused_until.is_some_and(|p| now.millis() < p) => "paused",
        "running" if now.millis() >= c.due_at => "late",
        "running" if now.millis() >= c.warn_at => "warning",
        "running" => "ok",
        "met" => "met",
        "late" => "done_late",
        _ => "cancelled",
    }
}

/// A span of time to the minute, in the page's language.
pub fn span(l: Lang, ms: i64) -> String {
    match l {
        Lang::Zh => span_zh(ms),
        Lang::En => span_en(ms),
    }
}

pub fn view(state: &AppState, l: Lang, c: &ClockRow, now: Timestamp) -> ClockView {
    let level = level(c, now);
    let status = match level {
        "paused" => l
            .t("clock.paused_until")
            .replace("{}", &show_time(state, c.paused_until.unwrap_or(c.due_at))),
        "late" => l
            .t("clock.late_by")
            .replace("{}", &span(l, now.millis() - c.due_at)),
        "ok" | "warning" => l
            .t("clock.left")
            .replace("{}", &span(l, c.due_at - now.millis())),
        "met" => l.t("clock.met").to_string(),
        "done_late" => l
            .t("clock.done_late")
            .replace("{}", &span(l, c.late_ms.unwrap_or(0))),
        _ => l.t("clock.cancelled").to_string(),
    };
    ClockView {
        step: l.code_name("clock", &c.step),
        level,
        due: show_time(state, c.due_at),
        status,
        escalation: if c.level() > 0 {
            l.t("clock.escalated").replace("{}", &c.level().to_string())
        } else {
            String::new()
        },
    }
}

/// The badge a list (and its export) shows for a ticket: its most urgent
/// running clock and when it is due; the level goes in its own column.
pub fn badge(state: &AppState, l: Lang, running: &[ClockRow], now: Timestamp) -> (String, String) {
    let rank = |c: &ClockRow| match level(c, now) {
        "late" => 0,
        "warning" => 1,
        "ok" => 2,
        _ => 3,
    };
    match running.iter().min_by_key(|c| (rank(c), c.due_at)) {
        Some(c) => {
            let v = view(state, l, c, now);
            let when = if v.level == "paused" { v.status } else { v.due };
            (format!("{} {when}", v.step), v.level.to_string())
        }
        None => (String::new(), "ok".to_string()),
    }
}
