//! Console translations: `locales/zh-CN.toml` (the default) and
//! `locales/en.toml`, flat `key = "text"` tables embedded in the binary and
//! parsed once. Every word the console shows goes through [`Lang::t`],
//! including states, kinds, priorities and error codes (`error.<code>`).

use std::collections::HashMap;
use std::sync::OnceLock;

use domain::CategoryCatalogue;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

const ZH_SOURCE: &str = include_str!("../locales/zh-CN.toml");
const EN_SOURCE: &str = include_str!("../locales/en.toml");

fn parse(source: &str, name: &str) -> HashMap<String, String> {
    match toml::from_str::<HashMap<String, String>>(source) {
        Ok(map) => map,
        Err(e) => {
            // The files are embedded and checked by the tests: this is a build mistake.
            tracing::error!(error = %e, "locale file {name} is unreadable");
            HashMap::new()
        }
    }
}

fn table(lang: Lang) -> &'static HashMap<String, String> {
    static ZH: OnceLock<HashMap<String, String>> = OnceLock::new();
    static EN: OnceLock<HashMap<String, String>> = OnceLock::new();
    match lang {
        Lang::Zh => ZH.get_or_init(|| parse(ZH_SOURCE, "zh-CN.toml")),
        Lang::En => EN.get_or_init(|| parse(EN_SOURCE, "en.toml")),
    }
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    /// The code stored in `users.locale`, the cookie and `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The language's own name, for the switch.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::Zh => "中文",
            Lang::En => "English",
        }
    }

    /// Accepts `zh`, `zh-CN`, `zh-Hans-CN`, `en`, `en-US` … (case-insensitive).
    pub fn parse(text: &str) -> Option<Lang> {
        let primary = text
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The best language of an `Accept-Language` header, by q-value.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("");
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(lang) = Lang::parse(tag)
                && q > 0.0
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l)
    }

    /// The user's saved choice, then the `heatdesk_lang` cookie, then the
    /// browser's `Accept-Language`; Chinese by default.
    pub fn negotiate(saved: Option<&str>, cookie: Option<&str>, accept: Option<&str>) -> Lang {
        saved
            .and_then(Lang::parse)
            .or_else(|| cookie.and_then(Lang::parse))
            .or_else(|| accept.and_then(Lang::from_accept_language))
            .unwrap_or_default()
    }

    /// The text for `key`; the key itself when missing (a test keeps that from happening).
    pub fn t(self, key: &str) -> &str {
        match table(self).get(key) {
            Some(text) => text.as_str(),
            None => key,
        }
    }

    /// The text for `key` with `{name}` placeholders filled in.
    pub fn tf(self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.t(key).to_string();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// A text for a dynamic key such as `status.dispatched`; the bare code when missing.
    pub fn code_name(self, prefix: &str, code: &str) -> String {
        let key = format!("{prefix}.{code}");
        match table(self).get(&key) {
            Some(text) => text.clone(),
            None => code.to_string(),
        }
    }

    pub fn status(self, code: &str) -> String {
        self.code_name("status", code)
    }
    pub fn kind(self, code: &str) -> String {
        self.code_name("kind", code)
    }
    pub fn priority(self, code: &str) -> String {
        self.code_name("priority", code)
    }
    pub fn difficulty(self, code: &str) -> String {
        self.code_name("difficulty", code)
    }
    pub fn event(self, code: &str) -> String {
        self.code_name("event", code)
    }
    pub fn role(self, code: &str) -> String {
        self.code_name("role", code)
    }
    pub fn payment(self, code: &str) -> String {
        self.code_name("payment", code)
    }
    pub fn position(self, code: &str) -> String {
        self.code_name("position", code)
    }
    /// A field's label; an item of a list (`readings[0].celsius`) reads
    /// "读数 1 温度" / "Reading 1 temperature".
    pub fn field(self, name: &str) -> String {
        if let Some((list, rest)) = name.split_once('[')
            && let Some((index, sub)) = rest.split_once("].")
            && let Ok(i) = index.parse::<usize>()
        {
            return format!(
                "{} {} {}",
                self.code_name("field", list),
                i + 1,
                self.code_name("field", sub)
            );
        }
        self.code_name("field", name)
    }

    /// A category's name from the configured catalogue (which carries both languages).
    pub fn category(self, catalogue: &CategoryCatalogue, code: &str) -> String {
        match catalogue.find(code) {
            Ok(c) => match self {
                Lang::Zh => c.name_zh.clone(),
                Lang::En => c.name_en.clone(),
            },
            Err(_) => code.to_string(),
        }
    }

    /// A localized message for an error code, naming the field when there is one.
    pub fn error(self, code: &str, field: Option<&str>) -> String {
        let key = format!("error.{code}");
        let template = table(self)
            .get(&key)
            .map_or_else(|| self.t("error.internal").to_string(), Clone::clone);
        let field_name = field.map(|f| self.field(f)).unwrap_or_default();
        template.replace("{field}", &field_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(source: &str) -> BTreeSet<String> {
        toml::from_str::<HashMap<String, String>>(source)
            .expect("locale parses as a flat table of strings")
            .into_keys()
            .collect()
    }

    #[test]
    fn both_locales_have_the_same_keys() {
        let zh = keys(ZH_SOURCE);
        let en = keys(EN_SOURCE);
        let only_zh: Vec<_> = zh.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&zh).collect();
        assert!(
            only_zh.is_empty() && only_en.is_empty(),
            "keys only in zh-CN: {only_zh:?}; only in en: {only_en:?}"
        );
    }

    /// Every `t("…")` / `tf("…"` in the console's code and templates names an existing key.
    #[test]
    fn every_key_used_exists() {
        let zh = keys(ZH_SOURCE);
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["templates", "src/console"] {
            for entry in std::fs::read_dir(root.join(dir)).expect("dir") {
                files.push(entry.expect("entry").path());
            }
        }
        let mut missing = BTreeSet::new();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("read");
            for marker in [".t(\"", ".tf(\""] {
                for piece in text.split(marker).skip(1) {
                    let key = piece.split('"').next().unwrap_or("");
                    if !key.is_empty() && !zh.contains(key) {
                        missing.insert(format!("{}: {key}", file.display()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "missing keys: {missing:#?}");
    }

    #[test]
    fn every_code_has_a_name() {
        for lang in Lang::ALL {
            for s in domain::Status::ALL {
                assert_ne!(lang.status(s.code()), s.code(), "{s:?}");
            }
            for k in domain::Kind::ALL {
                assert_ne!(lang.kind(k.code()), k.code());
            }
            for p in domain::Priority::ALL {
                assert_ne!(lang.priority(p.code()), p.code());
            }
            for d in domain::Difficulty::ALL {
                assert_ne!(lang.difficulty(d.code()), d.code());
            }
            for e in domain::EventKind::ALL {
                assert_ne!(lang.event(e.code()), e.code());
            }
            for r in domain::Role::ALL {
                assert_ne!(lang.role(r.code()), r.code());
            }
            for p in domain::PaymentState::ALL {
                assert_ne!(lang.payment(p.code()), p.code());
            }
            for p in domain::Position::ALL {
                assert_ne!(lang.position(p.code()), p.code());
            }
            for code in [
                "invalid_field",
                "required",
                "too_long",
                "unknown_value",
                "invalid_transition",
                "not_found",
                "conflict",
                "duplicate",
                "unauthorized",
                "forbidden",
                "too_many_attempts",
                "import_rows",
                "internal",
                "bad_request",
                "payload_too_large",
            ] {
                assert!(table(lang).contains_key(&format!("error.{code}")), "{code}");
            }
        }
    }

    #[test]
    fn negotiation_order() {
        assert_eq!(Lang::negotiate(None, None, None), Lang::Zh);
        assert_eq!(
            Lang::negotiate(None, None, Some("en-US,en;q=0.9,zh;q=0.5")),
            Lang::En
        );
        assert_eq!(
            Lang::negotiate(None, None, Some("fr, zh-CN;q=0.8, en;q=0.7")),
            Lang::Zh
        );
        assert_eq!(Lang::negotiate(None, Some("en"), Some("zh-CN")), Lang::En);
        assert_eq!(Lang::negotiate(Some("zh-CN"), Some("en"), None), Lang::Zh);
        assert_eq!(
            Lang::En.error("required", Some("address")),
            "Address is required"
        );
    }
}
