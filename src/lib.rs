//! faqbot: answers questions from a curated FAQ, in Discord or a terminal.
//!
//! # Layout
//!
//! Grouped by whom each part serves; `docs/architecture.md` draws it and
//! says what may import what.
//!
//! - [`faq`]: the knowledge base: TOML topic files -> a validated [`faq::Faq`],
//!   with every problem reported by file, line and column.
//! - [`answer`]: the asker's path: the matcher, the engine built from an
//!   FAQ, the reply and why it was given.
//! - [`moderation`]: the moderator's tools: check, regression questions,
//!   eval, diff, report, learn, import, reload and watch.
//! - [`store`]: the record of questions, picks and votes, in a SQLite file
//!   or PostgreSQL, written by its own thread so that recording never
//!   slows answering.
//! - [`telemetry`]: the metrics the bot counts and whether it is ready,
//!   for `/metrics` and `/healthz`.
//! - [`discord`]: the bot; the only module that imports serenity.
//! - [`cli`]: the operator's side: the command line, the config file and
//!   logging; `main.rs` calls [`cli::logging::init`] and [`cli::run`].
//!
//! Everything outside `discord` is free of Discord types and tested
//! without a network.

pub mod answer;
pub mod cli;
pub mod discord;
pub mod faq;
pub mod moderation;
pub mod store;
pub mod telemetry;

// Unit tests share the integration tests' synthetic FAQ; `faqbot::` names
// this crate there as it does in the file's other homes.
#[cfg(test)]
extern crate self as faqbot;
#[cfg(test)]
#[path = "../tests/it/support/synthetic.rs"]
pub(crate) mod synthetic;
