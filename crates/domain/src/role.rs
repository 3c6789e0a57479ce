//! Login roles and what each may do.

use serde::{Deserialize, Serialize};

use crate::{Action, DomainError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Operator,
    Station,
    Repairer,
    Manager,
    Viewer,
}

/// Things a role may do, beyond the per-action rules of [`Role::may_act`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Register new tickets (the hotline).
    RegisterTickets,
    /// See tickets of every station; without it only the user's own station.
    SeeAllStations,
    /// Look up customer accounts by phone, number or name.
    LookUpAccounts,
    /// Import registers, manage users, tokens, stations and staff.
    Administer,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Operator,
        Role::Station,
        Role::Repairer,
        Role::Manager,
        Role::Viewer,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Station => "station",
            Role::Repairer => "repairer",
            Role::Manager => "manager",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(text: &str) -> Result<Role, DomainError> {
        Role::ALL
            .into_iter()
            .find(|r| r.code() == text.trim())
            .ok_or_else(|| DomainError::unknown("role", text))
    }

    /// Station and repairer users are bound to one station.
    pub fn needs_station(self) -> bool {
        matches!(self, Role::Station | Role::Repairer)
    }

    pub fn has(self, permission: Permission) -> bool {
        use Permission::*;
        match permission {
            RegisterTickets => matches!(self, Role::Admin | Role::Operator),
            SeeAllStations => matches!(
                self,
                Role::Admin | Role::Operator | Role::Manager | Role::Viewer
            ),
            LookUpAccounts => matches!(
                self,
                Role::Admin | Role::Operator | Role::Manager | Role::Station
            ),
            Administer => self == Role::Admin,
        }
    }

    /// Whether this role may take `action` on a ticket it can see.
    pub fn may_act(self, action: &Action) -> bool {
        match action {
            // The hotline dispatches; a station may redirect a wrong route.
            Action::Dispatch { .. } => matches!(self, Role::Admin | Role::Operator | Role::Station),
            Action::Accept | Action::Redirect { .. } | Action::Assign { .. } => {
                matches!(self, Role::Admin | Role::Operator | Role::Station)
            }
            // Field steps: the crew, or the hotline recording what the crew reported.
            Action::Contact { .. }
            | Action::Arrive
            | Action::Schedule { .. }
            | Action::Resolve { .. }
            | Action::MeasureTemperature { .. } => {
                matches!(
                    self,
                    Role::Admin | Role::Operator | Role::Station | Role::Repairer
                )
            }
            // Closing without a callback is a supervisor's decision.
            Action::Close { .. } => matches!(self, Role::Admin | Role::Manager),
            Action::Answer { .. }
            | Action::Callback { .. }
            | Action::CallbackNotReached { .. }
            | Action::Cancel { .. }
            | Action::Reopen { .. }
            | Action::Merge { .. } => matches!(self, Role::Admin | Role::Operator),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_unknown_is_refused() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()).unwrap(), r);
        }
        assert_eq!(Role::parse("root").unwrap_err().code(), "unknown_value");
    }

    #[test]
    fn viewers_only_look() {
        assert!(!Role::Viewer.may_act(&Action::Accept));
        assert!(!Role::Viewer.has(Permission::RegisterTickets));
        assert!(Role::Viewer.has(Permission::SeeAllStations));
    }

    #[test]
    fn stations_do_field_work_but_do_not_close() {
        assert!(Role::Station.may_act(&Action::Accept));
        assert!(!Role::Station.may_act(&Action::Callback {
            satisfaction: crate::Satisfaction::Satisfied,
            note: String::new()
        }));
        let close = Action::Close { reason: "r".into() };
        assert!(Role::Manager.may_act(&close) && Role::Admin.may_act(&close));
        assert!(!Role::Operator.may_act(&close) && !Role::Station.may_act(&close));
        assert!(!Role::Station.has(Permission::SeeAllStations));
        assert!(!Role::Repairer.may_act(&Action::Accept));
    }
}
