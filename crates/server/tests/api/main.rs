//! HTTP tests against a real server on a real database (DESIGN.md §5).

mod helpers;

mod attachments;
mod auth;
mod callback;
mod clocks;
mod console;
mod field;
mod gateway;
mod ops;
mod registers;
mod station;
mod tickets;
