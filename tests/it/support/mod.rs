//! What the integration tests share: the `faqbot` binary as the tests run
//! it, the files they write for it, fixtures built in code, the fake
//! Discord and the bot harness that runs against it, and a PostgreSQL
//! database of its own for a test.

pub mod bot;
pub mod command;
pub mod fake_discord;
pub mod files;
pub mod http;
pub mod postgres;
pub mod synthetic;
