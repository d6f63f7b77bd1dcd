//! faqbot: answers questions from a curated FAQ, in Discord or a terminal.
//!
//! # Layout
//!
//! - [`config`]: the operator's config file (FAQ directory, thresholds, store).
//! - [`faq`]: the knowledge base: TOML topic files -> a validated [`faq::Faq`],
//!   with every problem reported by file, line and column.
//! - [`matching`]: pure and synchronous: normalise, index, score, decide
//!   between answering, suggesting and the topic menu.
//! - [`reply`]: the outcome of a question rendered for a terminal and as JSON.
//! - [`learn`]: proposed alternatives as TOML, or written into the FAQ files.
//! - [`report`]: what to improve next, from what people asked (`report`, `learn`).
//! - [`why`]: why a question got its reply (`ask --explain`, the Why? button).
//! - [`check`]: `faqbot check`, the structural checks plus the matcher's.
//! - [`regression`]: the FAQ folder's regression questions (`tests.toml`).
//! - [`diff`]: `faqbot diff`, the questions an FAQ edit routes differently.
//! - [`import`]: JSON lines / CSV -> topic files.
//! - [`eval`]: `faqbot eval`, accuracy on labelled questions (benchmark metrics).
//! - [`engine`]: the FAQ and its matcher, built once per load (the
//!   semantic stage's model and phrasing vectors set up there).
//! - [`vector_cache`]: the phrasings' sentence vectors on disk.
//! - [`store`]: the SQLite database of questions, picks and votes, written
//!   by its own thread so that recording never slows answering.
//! - [`reload`]: safe reloads: a new engine built to the side and swapped
//!   in whole, or every error reported and the old one kept.
//! - [`watch`]: watching the FAQ directory and reloading on each change.
//! - [`discord`]: the bot; the only module that imports serenity.
//! - [`logging`]: the log subscriber, and the redaction of tokens in every line.
//! - [`text`]: plural endings, text cut to a length, lines fitted into a
//!   message.
//! - [`cli`]: the command line; `main.rs` calls [`logging::init`] and [`cli::run`].
//!
//! Everything outside `discord` is free of Discord types and tested
//! without a network.

pub mod check;
pub mod cli;
pub mod config;
pub mod diff;
pub mod discord;
pub mod engine;
pub mod eval;
pub mod faq;
pub mod import;
pub mod learn;
pub mod logging;
pub mod matching;
pub mod regression;
pub mod reload;
pub mod reply;
pub mod report;
pub mod store;
pub mod text;
pub mod vector_cache;
pub mod watch;
pub mod why;
