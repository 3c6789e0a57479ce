//! Run-time configuration. Loaded by the binary from a TOML file and
//! `HEATDESK_*` variables; every field has a sensible default.

use std::str::FromStr;

use chrono_tz::Tz;
use domain::Position;
use domain::sla::{Deadlines, EscalationLevel, NotifyRule, Policy, SlaRule};
use domain::temperature::{RefundTier, TemperatureRules};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `sqlite://heatdesk.db` (embedded) or `postgres://user@host/db`.
    pub database_url: String,
    /// Address the HTTP server listens on.
    pub bind: String,
    /// IANA time zone in which times are shown and ticket numbers are dated.
    pub timezone: String,
    /// Area code given to local landline numbers typed without one (e.g. `0451`).
    pub default_area_code: String,
    /// How long a console session lasts without signing in again, in hours.
    pub session_hours: i64,
    /// Failed logins per user within `login_window_minutes` before further tries are refused.
    pub login_max_failures: i64,
    pub login_window_minutes: i64,
    /// Send the session cookie only over HTTPS (set behind a TLS proxy).
    pub secure_cookies: bool,
    /// Ticket categories; empty means the built-in heating catalogue.
    pub categories: Vec<domain::Category>,
    /// Deadlines per kind and priority, first match wins; empty means
    /// DESIGN.md's defaults.
    pub sla: Vec<SlaConfig>,
    pub escalation: EscalationConfig,
    pub notify: NotifyConfig,
    pub workers: WorkersConfig,
    pub temperature: TemperatureConfig,
}

/// `[temperature]`: the room-temperature standard and the refund table
/// (`[[temperature.refund]] from_c = 16, below_c = 18, percent = 30`; leave
/// `from_c` out for "below"). Without tiers, DESIGN.md's example table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TemperatureConfig {
    pub standard_c: f64,
    pub refund: Vec<RefundTier>,
}

impl Default for TemperatureConfig {
    fn default() -> Self {
        TemperatureConfig {
            standard_c: TemperatureRules::default().standard_c,
            refund: Vec::new(),
        }
    }
}

/// One `[[sla]]` table. Durations like `30s`, `10m`, `1h`; a step left out
/// is not timed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlaConfig {
    pub kind: Option<String>,
    pub priority: Option<String>,
    pub accept: Option<String>,
    pub contact: Option<String>,
    pub on_site: Option<String>,
    pub result: Option<String>,
    pub callback: Option<String>,
    /// Fraction of each deadline at which to warn (default 0.8).
    pub warn_at: Option<f64>,
}

/// `[escalation]`: `levels = [{ after = "0s", notify = ["general_manager"] }, …]`,
/// `after` counted from the missed deadline; empty means DESIGN.md's ladder.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EscalationConfig {
    pub levels: Vec<LevelConfig>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelConfig {
    pub after: String,
    pub notify: Vec<String>,
}

/// `[notify]`: who hears of what (`[[notify.rule]]`, empty means the
/// defaults), and how messages travel (`[notify.sms]`, `[notify.smtp]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    pub rule: Vec<RuleConfig>,
    pub sms: SmsConfig,
    pub smtp: Option<SmtpConfig>,
    /// Delivery attempts before a message is given up as failed.
    pub max_attempts: i64,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            rule: Vec::new(),
            sms: SmsConfig::default(),
            smtp: None,
            max_attempts: 10,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// A ticket event (`dispatched`, `redirected`, …) or `warned` / `escalated`.
    pub event: String,
    pub positions: Vec<String>,
    /// `sms` (default) or `email`.
    #[serde(default)]
    pub channel: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsConfig {
    /// `log` (write messages to the log; the default, for the demo) or
    /// `webhook` (HTTP POST JSON to `url`).
    pub driver: String,
    pub url: Option<String>,
    /// How long to wait for the gateway before trying again later.
    pub timeout: String,
}

impl Default for SmsConfig {
    fn default() -> Self {
        SmsConfig {
            driver: "log".into(),
            url: None,
            timeout: "10s".into(),
        }
    }
}

/// `[notify.smtp]`: a mail relay spoken to in plain SMTP (a local relay
/// handles TLS to the outside world).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    pub from: String,
    pub username: Option<String>,
    pub password: Option<String>,
}

fn default_smtp_port() -> u16 {
    25
}

/// `[workers]`: the clock scheduler and the notifier in every instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkersConfig {
    /// Run them in this process (turn off only for a web-only instance).
    pub enabled: bool,
    /// How often to look for due clocks and messages: the longest a due
    /// clock waits to fire.
    pub interval: String,
}

impl Default for WorkersConfig {
    fn default() -> Self {
        WorkersConfig {
            enabled: true,
            interval: "1s".into(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://heatdesk.db".into(),
            bind: "127.0.0.1:8080".into(),
            timezone: "Asia/Shanghai".into(),
            default_area_code: "0451".into(),
            session_hours: 12,
            login_max_failures: 5,
            login_window_minutes: 15,
            secure_cookies: false,
            categories: Vec::new(),
            sla: Vec::new(),
            escalation: EscalationConfig::default(),
            notify: NotifyConfig::default(),
            workers: WorkersConfig::default(),
            temperature: TemperatureConfig::default(),
        }
    }
}

impl Config {
    /// Checks the values that cannot be checked by their type, naming the key.
    pub fn validate(&self) -> Result<Settings, String> {
        let tz = Tz::from_str(&self.timezone)
            .map_err(|_| format!("timezone: unknown time zone {:?}", self.timezone))?;
        let area = self.default_area_code.trim().trim_start_matches('0');
        if area.is_empty() || area.len() > 3 || !area.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!(
                "default_area_code: {:?} is not an area code such as 0451",
                self.default_area_code
            ));
        }
        if self.session_hours <= 0 {
            return Err("session_hours: must be positive".into());
        }
        if self.login_max_failures <= 0 || self.login_window_minutes <= 0 {
            return Err("login_max_failures / login_window_minutes: must be positive".into());
        }
        let catalogue = if self.categories.is_empty() {
            domain::CategoryCatalogue::default()
        } else {
            domain::CategoryCatalogue::new(self.categories.clone()).map_err(|e| e.to_string())?
        };
        let policy = self.policy()?;
        let sms = match self.notify.sms.driver.as_str() {
            "log" => SmsDriver::Log,
            "webhook" => {
                let url = self.notify.sms.url.clone().unwrap_or_default();
                // Plain HTTP to an adapter on the utility's network; it speaks
                // TLS (if any) to the SMS provider.
                if !url.starts_with("http://") {
                    return Err(format!(
                        "notify.sms.url: the webhook driver needs an http:// URL of the gateway adapter, got {url:?}"
                    ));
                }
                let timeout_ms = duration("notify.sms.timeout", &self.notify.sms.timeout)?;
                // A claim lasts 2 min and a round sends up to 100 messages 16
                // at a time: a longer wait could outlast the claim.
                if !(100..=15_000).contains(&timeout_ms) {
                    return Err("notify.sms.timeout: must be between 100ms and 15s".to_string());
                }
                SmsDriver::Webhook { url, timeout_ms }
            }
            other => {
                return Err(format!(
                    "notify.sms.driver: {other:?} is not a driver (log or webhook)"
                ));
            }
        };
        if let Some(i) = policy
            .notify
            .iter()
            .position(|r| r.channel == domain::sla::Channel::Email)
            && self.notify.smtp.is_none()
        {
            return Err(format!(
                "notify.smtp: notify.rule[{i}] sends e-mail, so [notify.smtp] must say which relay to use"
            ));
        }
        if self.notify.max_attempts < 1 {
            return Err("notify.max_attempts: must be at least 1".into());
        }
        let interval_ms = duration("workers.interval", &self.workers.interval)?;
        if interval_ms < 10 {
            return Err("workers.interval: must be at least 10ms".into());
        }
        let tiers = if self.temperature.refund.is_empty() {
            TemperatureRules::default().tiers
        } else {
            self.temperature.refund.clone()
        };
        let temperature =
            TemperatureRules::new(self.temperature.standard_c, tiers).map_err(|e| e.to_string())?;
        Ok(Settings {
            tz,
            temperature,
            catalogue,
            policy,
            sms,
            worker_interval_ms: interval_ms,
            config: self.clone(),
        })
    }

    /// The deadline and notification policy, checked; errors name the key.
    fn policy(&self) -> Result<Policy, String> {
        let defaults = Policy::default();
        let sla = if self.sla.is_empty() {
            defaults.sla
        } else {
            let mut rules = Vec::new();
            for (i, r) in self.sla.iter().enumerate() {
                let key = |k: &str| format!("sla[{i}].{k}");
                let step = |k: &str, v: &Option<String>| -> Result<Option<i64>, String> {
                    v.as_deref().map(|v| duration(&key(k), v)).transpose()
                };
                rules.push(SlaRule {
                    kind: r
                        .kind
                        .as_deref()
                        .map(domain::Kind::parse)
                        .transpose()
                        .map_err(|e| format!("{}: {e}", key("kind")))?,
                    priority: r
                        .priority
                        .as_deref()
                        .map(domain::Priority::parse)
                        .transpose()
                        .map_err(|e| format!("{}: {e}", key("priority")))?,
                    deadlines: Deadlines {
                        accept: step("accept", &r.accept)?,
                        contact: step("contact", &r.contact)?,
                        on_site: step("on_site", &r.on_site)?,
                        result: step("result", &r.result)?,
                        callback: step("callback", &r.callback)?,
                    },
                    warn_at: r.warn_at.unwrap_or(0.8),
                });
            }
            rules
        };
        let escalation = if self.escalation.levels.is_empty() {
            defaults.escalation
        } else {
            let mut levels = Vec::new();
            for (i, level) in self.escalation.levels.iter().enumerate() {
                levels.push(EscalationLevel {
                    after_ms: duration(&format!("escalation.levels[{i}].after"), &level.after)?,
                    notify: positions(&format!("escalation.levels[{i}].notify"), &level.notify)?,
                });
            }
            levels
        };
        let notify = if self.notify.rule.is_empty() {
            defaults.notify
        } else {
            let mut rules = Vec::new();
            for (i, r) in self.notify.rule.iter().enumerate() {
                let key = |k: &str| format!("notify.rule[{i}].{k}");
                rules.push(NotifyRule {
                    event: domain::EventKind::parse(&r.event)
                        .map_err(|e| format!("{}: {e}", key("event")))?,
                    positions: positions(&key("positions"), &r.positions)?,
                    channel: domain::sla::Channel::parse(r.channel.as_deref().unwrap_or("sms"))
                        .map_err(|e| format!("{}: {e}", key("channel")))?,
                });
            }
            rules
        };
        Policy::new(sla, escalation, notify).map_err(|e| e.to_string())
    }
}

fn duration(key: &str, text: &str) -> Result<i64, String> {
    domain::sla::parse_duration(key, text).map_err(|e| e.to_string())
}

fn positions(key: &str, names: &[String]) -> Result<Vec<Position>, String> {
    names
        .iter()
        .map(|n| Position::parse(n).map_err(|e| format!("{key}: {e}")))
        .collect()
}

/// Where SMS go.
#[derive(Debug, Clone, PartialEq)]
pub enum SmsDriver {
    /// Written to the log (the demo, or before a gateway is set up).
    Log,
    /// POSTed as JSON to an SMS gateway adapter.
    Webhook { url: String, timeout_ms: i64 },
}

/// Configuration after validation, in the types the server uses.
#[derive(Debug, Clone)]
pub struct Settings {
    pub tz: Tz,
    pub catalogue: domain::CategoryCatalogue,
    pub policy: Policy,
    pub sms: SmsDriver,
    pub worker_interval_ms: i64,
    /// The room-temperature standard and refund table.
    pub temperature: TemperatureRules,
    pub config: Config,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The issue's example, parsed as a utility would write it.
    const EXAMPLE: &str = r#"
[[sla]]
kind = "repair"
priority = "emergency"
accept = "10m"
contact = "1h"
on_site = "30m"
result = "6h"
callback = "24h"
warn_at = 0.8

[escalation]
levels = [ { after = "0s", notify = ["general_manager"] },
           { after = "1h", notify = ["chairman"] } ]

[[notify.rule]]
event = "dispatched"
positions = ["repairer", "station_director", "production_deputy", "branch_manager", "general_manager"]
channel = "sms"

[notify.sms]
driver = "webhook"
url = "http://127.0.0.1:9000/sms"
"#;

    fn check(toml_text: &str) -> Result<Settings, String> {
        let config: Config = toml::from_str(toml_text).map_err(|e| e.to_string())?;
        config.validate()
    }

    #[test]
    fn the_documented_example_is_valid() {
        let s = check(EXAMPLE).unwrap();
        assert_eq!(s.policy.sla.len(), 1);
        assert_eq!(s.policy.sla[0].deadlines.on_site, Some(30 * 60_000));
        assert_eq!(s.policy.escalation[1].after_ms, 3_600_000);
        assert_eq!(s.policy.notify[0].positions.len(), 5);
        assert_eq!(
            s.sms,
            SmsDriver::Webhook {
                url: "http://127.0.0.1:9000/sms".into(),
                timeout_ms: 10_000
            }
        );
    }

    #[test]
    fn the_refund_table_is_configured_and_checked() {
        let s = check(
            "[temperature]\nstandard_c = 20\n[[temperature.refund]]\nfrom_c = 18\nbelow_c = 20\npercent = 20\n\
             [[temperature.refund]]\nbelow_c = 18\npercent = 100\n",
        )
        .unwrap();
        assert_eq!(s.temperature.standard_c, 20.0);
        assert_eq!(s.temperature.refund_percent(19.0), 20);
        assert_eq!(s.temperature.refund_percent(10.0), 100);
        let err =
            check("[[temperature.refund]]\nfrom_c = 18\nbelow_c = 16\npercent = 20\n").unwrap_err();
        assert!(err.starts_with("temperature.refund[0]"), "{err}");
    }

    #[test]
    fn defaults_are_designs() {
        let s = Config::default().validate().unwrap();
        assert_eq!(s.temperature, TemperatureRules::default());
        assert_eq!(s.policy, Policy::default());
        assert_eq!(s.sms, SmsDriver::Log);
    }

    #[test]
    fn invalid_policies_name_the_key() {
        let cases = [
            (
                r#"[[sla]]
kind = "plumbing"
accept = "10m""#,
                "sla[0].kind",
            ),
            (
                r#"[[sla]]
accept = "-5m""#,
                "sla[0].accept",
            ),
            (
                r#"[[sla]]
result = "soon""#,
                "sla[0].result",
            ),
            (
                r#"[[sla]]
accept = "10m"
warn_at = 1.5"#,
                "sla[0].warn_at",
            ),
            (
                r#"[escalation]
levels = [ { after = "1h", notify = ["chairman"] }, { after = "0s", notify = ["general_manager"] } ]"#,
                "escalation.levels[1].after",
            ),
            (
                r#"[escalation]
levels = [ { after = "0s", notify = ["janitor"] } ]"#,
                "escalation.levels[0].notify",
            ),
            (
                r#"[[notify.rule]]
event = "exploded"
positions = ["chairman"]"#,
                "notify.rule[0].event",
            ),
            (
                r#"[[notify.rule]]
event = "dispatched"
positions = ["repairer"]
channel = "email""#,
                "notify.smtp",
            ),
            (
                r#"[notify.sms]
driver = "carrier_pigeon""#,
                "notify.sms.driver",
            ),
            (
                r#"[notify.sms]
driver = "webhook""#,
                "notify.sms.url",
            ),
        ];
        for (text, key) in cases {
            let err = check(text).unwrap_err();
            assert!(err.starts_with(key), "{key}: got {err}");
        }
    }
}
