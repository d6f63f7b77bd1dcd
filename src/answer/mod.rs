//! The asker's path: a question in, a reply out. Pure and synchronous; no
//! Discord types, no files but the vector cache.
//!
//! - [`matching`]: normalise, index, score, and decide between answering,
//!   suggesting and the topic menu.
//! - [`engine`]: the FAQ and its matcher, built once per load (the semantic
//!   stage's model and the phrasings' vectors set up there).
//! - [`vector_cache`]: the phrasings' sentence vectors on disk.
//! - [`reply`]: a decision worded for a terminal and as JSON.
//! - [`why`]: why a question got its reply (`ask --explain`, the Why? button).
//! - [`text`]: plural endings, text cut to a length, lines fitted into a
//!   message, for every audience.

pub mod engine;
pub mod matching;
pub mod reply;
pub mod text;
pub mod vector_cache;
pub mod why;
