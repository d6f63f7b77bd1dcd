//! The moderator's tools: keeping the FAQ right and current. Synchronous
//! and free of Discord types; the bot and the command line call them.
//!
//! - [`check`]: `faqbot check`, the structural checks plus the matcher's.
//! - [`questions`]: every question file, read one way: question tables,
//!   JSON lines, plain lists, and the FAQ folder's `tests.toml`.
//! - [`regression`]: running the FAQ folder's regression questions.
//! - [`eval`]: `faqbot eval`, accuracy on labelled questions.
//! - [`diff`]: `faqbot diff`, the questions an FAQ edit routes differently.
//! - [`report`]: what to improve next, from what people asked.
//! - [`learn`]: proposed alternatives as TOML, or written into the files.
//! - [`import`]: JSON lines / CSV -> topic files.
//! - [`reload`]: safe reloads: a new engine built to the side and swapped in
//!   whole, or every error reported and the old one kept.
//! - [`watch`]: watching the FAQ folder and reloading on each change.

pub mod check;
pub mod diff;
pub mod eval;
pub mod import;
pub mod learn;
pub mod library;
pub mod questions;
pub mod regression;
pub mod reload;
pub mod report;
pub mod watch;
