//! The catalogue of ticket categories: configurable, with heating defaults.

use serde::{Deserialize, Serialize};

use crate::{DomainError, Kind};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    /// Stable code used by the API and the database (`no_heat`).
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// The kind a ticket of this category usually is: the console preselects it.
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryCatalogue {
    categories: Vec<Category>,
}

impl Default for CategoryCatalogue {
    fn default() -> Self {
        let c = |code: &str, zh: &str, en: &str, kind| Category {
            code: code.into(),
            name_zh: zh.into(),
            name_en: en.into(),
            kind,
        };
        CategoryCatalogue {
            categories: vec![
                c("no_heat", "暖气不热", "Radiators not warm", Kind::Repair),
                c("leak", "漏水", "Leak", Kind::Repair),
                c("valve", "阀门故障", "Valve fault", Kind::Repair),
                c("radiator", "暖气片", "Radiator", Kind::Repair),
                c("pipe", "管道", "Pipe", Kind::Repair),
                c("outage", "停热", "Heating outage", Kind::Repair),
                c(
                    "low_temp",
                    "室温不达标",
                    "Room below standard temperature",
                    Kind::Temperature,
                ),
                c("payment", "缴费", "Payment", Kind::Inquiry),
                c(
                    "suspend_resume",
                    "报停/恢复",
                    "Suspend / resume heating",
                    Kind::Service,
                ),
                c(
                    "account_change",
                    "过户/信息变更",
                    "Account change",
                    Kind::Service,
                ),
                c("policy", "政策咨询", "Policy question", Kind::Inquiry),
                c("outage_time", "停供时间", "Outage schedule", Kind::Inquiry),
                c(
                    "service_attitude",
                    "服务态度",
                    "Staff conduct",
                    Kind::Complaint,
                ),
                c("other", "其他", "Other", Kind::Inquiry),
            ],
        }
    }
}

impl CategoryCatalogue {
    pub fn new(categories: Vec<Category>) -> Result<Self, DomainError> {
        let mut seen = std::collections::HashSet::new();
        for c in &categories {
            if c.code.trim().is_empty()
                || !c
                    .code
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
            {
                return Err(DomainError::invalid(
                    "categories.code",
                    format!("{:?} is not a snake_case code", c.code),
                ));
            }
            if !seen.insert(c.code.clone()) {
                return Err(DomainError::invalid(
                    "categories.code",
                    format!("{} appears twice", c.code),
                ));
            }
        }
        if categories.is_empty() {
            return Err(DomainError::required("categories"));
        }
        Ok(CategoryCatalogue { categories })
    }

    pub fn all(&self) -> &[Category] {
        &self.categories
    }

    /// Finds a category by its code or by its Chinese or English name.
    pub fn find(&self, text: &str) -> Result<&Category, DomainError> {
        let text = text.trim();
        self.categories
            .iter()
            .find(|c| c.code == text || c.name_zh == text || c.name_en.eq_ignore_ascii_case(text))
            .ok_or_else(|| DomainError::unknown("category", text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_by_code_or_name() {
        let cat = CategoryCatalogue::default();
        assert_eq!(cat.find("暖气不热").unwrap().code, "no_heat");
        assert_eq!(cat.find("leak").unwrap().name_zh, "漏水");
        assert_eq!(cat.find("nonsense").unwrap_err().field(), Some("category"));
    }

    #[test]
    fn duplicate_codes_refused() {
        let one = CategoryCatalogue::default().all()[0].clone();
        assert!(CategoryCatalogue::new(vec![one.clone(), one]).is_err());
    }
}
