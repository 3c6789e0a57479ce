//! The utility's people and customers: staff positions and payment states.

use serde::{Deserialize, Serialize};

use crate::DomainError;

macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident, $field:literal { $($variant:ident = $code:literal, $zh:literal $(| $alias:literal)*, $en:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
            pub fn name_zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }
            pub fn name_en(self) -> &'static str {
                match self { $($name::$variant => $en),+ }
            }

            /// Accepts the code or the Chinese name (as in the utility's Excel files).
            pub fn parse(text: &str) -> Result<$name, DomainError> {
                let text = text.trim();
                match text {
                    $($code | $zh $(| $alias)* => Ok($name::$variant),)+
                    _ => Self::ALL
                        .iter()
                        .copied()
                        .find(|v| v.name_en().eq_ignore_ascii_case(text))
                        .ok_or_else(|| DomainError::unknown($field, text)),
                }
            }
        }
    };
}

named_enum!(
    /// What a staff member is; notification rules name positions.
    Position, "position" {
        Chairman = "chairman", "董事长", "Chairman";
        GeneralManager = "general_manager", "总经理", "General manager";
        DeputyGeneralManager = "deputy_general_manager", "副总经理", "Deputy general manager";
        BranchManager = "branch_manager", "分公司经理" | "分公司总经理", "Branch manager";
        StationDirector = "station_director", "站长" | "供热站站长", "Station director";
        ProductionDeputy = "production_deputy", "生产副站长" | "生产副经理", "Production deputy";
        Repairer = "repairer", "维修工" | "维修员" | "检修工", "Repairer";
        Operator = "operator", "话务员" | "客服", "Operator";
        Dispatcher = "dispatcher", "调度员", "Dispatcher";
    }
);

/// Whose staff a position means for a ticket: its station's, its
/// station's branch's, or the company's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Station,
    Branch,
    Company,
}

impl Position {
    /// Whose staff the position means for a ticket (notification rules).
    pub fn scope(self) -> Scope {
        match self {
            Position::Chairman | Position::GeneralManager | Position::DeputyGeneralManager => {
                Scope::Company
            }
            Position::BranchManager => Scope::Branch,
            _ => Scope::Station,
        }
    }
}

named_enum!(
    /// Whether the account has paid for the current heating season.
    PaymentState, "payment_state" {
        Paid = "paid", "已缴" | "已缴费", "Paid";
        Partial = "partial", "部分缴费", "Partly paid";
        Unpaid = "unpaid", "未缴" | "欠费" | "未缴费", "Unpaid";
        Suspended = "suspended", "报停" | "停供", "Suspended";
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_parse_from_code_chinese_or_english() {
        assert_eq!(Position::parse("站长").unwrap(), Position::StationDirector);
        assert_eq!(
            Position::parse("general_manager").unwrap(),
            Position::GeneralManager
        );
        assert_eq!(Position::parse("repairer").unwrap(), Position::Repairer);
        assert_eq!(Position::parse("Chairman").unwrap(), Position::Chairman);
        assert_eq!(
            Position::parse("厨师").unwrap_err().field(),
            Some("position")
        );
        assert_eq!(Position::GeneralManager.scope(), Scope::Company);
        assert_eq!(Position::BranchManager.scope(), Scope::Branch);
        assert_eq!(Position::Repairer.scope(), Scope::Station);
    }

    #[test]
    fn payment_states_parse() {
        assert_eq!(PaymentState::parse("欠费").unwrap(), PaymentState::Unpaid);
        assert_eq!(PaymentState::parse("paid").unwrap(), PaymentState::Paid);
    }
}
