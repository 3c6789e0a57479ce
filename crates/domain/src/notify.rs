//! The words of a notification (SMS or e-mail): short, in Chinese, with
//! everything a crew or a manager needs without opening the console —
//! ticket number, kind, address, caller phone, station, and what is late
//! and by how much.

use chrono_tz::Tz;

use crate::sla::{Step, span_zh};
use crate::{EventKind, Timestamp};

/// The ticket a message is about.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub number: &'a str,
    pub kind: &'a str,
    pub priority: &'a str,
    pub address: &'a str,
    pub caller_phone: &'a str,
    pub station: Option<&'a str>,
}

/// Why the message is sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum About {
    Event(EventKind),
    Warned {
        step: Step,
        due_at: Timestamp,
    },
    Escalated {
        level: usize,
        step: Step,
        late_ms: i64,
    },
}

pub fn text(facts: &Facts, about: &About, at: Timestamp, tz: Tz) -> String {
    let headline = match about {
        About::Event(event) => format!("【供热热线·{}】{}", event_zh(*event), facts.number),
        About::Warned { step, due_at } => format!(
            "【超时预警】{} {}将于{}超时（剩{}）",
            facts.number,
            step.name_zh(),
            due_at.to_utc().with_timezone(&tz).format("%H:%M"),
            span_zh(due_at.millis() - at.millis())
        ),
        About::Escalated {
            level,
            step,
            late_ms,
        } => format!(
            "【升级督办·{}级】{} {}已超时{}",
            level_zh(*level),
            facts.number,
            step.name_zh(),
            span_zh(*late_ms)
        ),
    };
    format!(
        "{headline}。{}（{}）：{}，来电{}，{}。",
        kind_zh(facts.kind),
        priority_zh(facts.priority),
        facts.address,
        facts.caller_phone,
        facts.station.unwrap_or("未派站"),
    )
}

fn level_zh(level: usize) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    DIGITS
        .get(level)
        .map_or_else(|| level.to_string(), |d| d.to_string())
}

fn kind_zh(kind: &str) -> &str {
    match kind {
        "inquiry" => "咨询",
        "repair" => "报修",
        "complaint" => "投诉",
        "temperature" => "室温",
        "service" => "业务办理",
        other => other,
    }
}

fn priority_zh(priority: &str) -> &str {
    match priority {
        "emergency" => "特急",
        "urgent" => "紧急",
        "normal" => "一般",
        other => other,
    }
}

fn event_zh(event: EventKind) -> &'static str {
    match event {
        EventKind::Registered => "受理",
        EventKind::Dispatched => "派单",
        EventKind::Redirected => "改派",
        EventKind::Accepted => "已接单",
        EventKind::Contacted => "已联系",
        EventKind::Scheduled => "已预约",
        EventKind::Arrived => "已到场",
        EventKind::Resolved => "已处理",
        EventKind::CallbackSatisfied => "回访满意",
        EventKind::CallbackUnsatisfied => "回访不满意重派",
        EventKind::Answered => "已答复",
        EventKind::Cancelled => "已撤单",
        EventKind::Reopened => "重新派单",
        EventKind::Merged => "已合并",
        EventKind::Warned => "超时预警",
        EventKind::Escalated => "升级督办",
        EventKind::CallbackNotReached => "回访未接通",
        EventKind::ClosedBySupervisor => "主管结单",
        EventKind::Assigned => "派工",
        EventKind::TemperatureMeasured => "室温已测",
        EventKind::DuplicateMerged => "重复工单并入",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FACTS: Facts = Facts {
        number: "20261204-0001",
        kind: "repair",
        priority: "emergency",
        address: "幸福小区3栋2单元501",
        caller_phone: "13800000000",
        station: Some("一站"),
    };

    #[test]
    fn dispatch_message_carries_what_the_crew_needs() {
        let t = text(
            &FACTS,
            &About::Event(EventKind::Dispatched),
            Timestamp(0),
            chrono_tz::Asia::Shanghai,
        );
        assert_eq!(
            t,
            "【供热热线·派单】20261204-0001。报修（特急）：幸福小区3栋2单元501，来电13800000000，一站。"
        );
    }

    #[test]
    fn escalation_says_what_is_late_and_by_how_much() {
        let t = text(
            &FACTS,
            &About::Escalated {
                level: 2,
                step: Step::Accept,
                late_ms: 70 * 60_000,
            },
            Timestamp(0),
            chrono_tz::Asia::Shanghai,
        );
        assert!(
            t.starts_with("【升级督办·二级】20261204-0001 接单已超时1小时10分钟。"),
            "{t}"
        );
        let w = text(
            &FACTS,
            &About::Warned {
                step: Step::Accept,
                due_at: Timestamp(1_796_346_900_000),
            },
            Timestamp(1_796_346_780_000),
            chrono_tz::Asia::Shanghai,
        );
        assert!(
            w.starts_with("【超时预警】20261204-0001 接单将于09:15超时（剩2分钟）"),
            "{w}"
        );
    }
}
