//! The rules of heatdesk, free of I/O: tickets and their state machine, the
//! category catalogue, roles and permissions, phone numbers, time, and the
//! deadline policy.

pub mod category;
pub mod error;
pub mod notify;
pub mod org;
pub mod phone;
pub mod role;
pub mod sla;
pub mod temperature;
pub mod ticket;
pub mod time;

pub use category::{Category, CategoryCatalogue};
pub use error::DomainError;
pub use org::{PaymentState, Position};
pub use phone::Phone;
pub use role::{Permission, Role};
pub use ticket::{
    Action, Channel, Difficulty, EventKind, Kind, NewTicket, Priority, Satisfaction, Status,
    Transition,
};
pub use time::{Clock, ManualClock, SystemClock, Timestamp};
