//! The knowledge base: FAQ files on disk -> a validated [`Faq`].
//!
//! - [`raw`]: the TOML format as written, read key by key with spans, and
//!   the same format for writing (`faqbot import`);
//! - [`load`]: reading a directory, parsing and validating each file,
//!   collecting every problem as a [`Diagnostic`] with file, line and
//!   column, and assembling the files into one [`Faq`];
//! - [`slug`]: the form of ids, and slugs made from any text;
//! - this module: the validated types the rest of the program uses.
//!
//! No Discord types and no matching here.

pub mod diagnostic;
pub mod load;
pub mod raw;
pub mod slug;

pub use diagnostic::{Diagnostic, Position, Severity};
pub use load::{load_dir, parse_file, LoadReport};

/// The regression questions' file inside an FAQ folder
/// ([`crate::moderation::regression`]); the loader skips it, as it is not a
/// topic.
pub const TESTS_FILE: &str = "tests.toml";

use std::path::PathBuf;

/// Discord's limits that FAQ content must fit (checked by `faqbot check`).
pub mod limits {
    /// An embed description: where an answer is shown.
    pub const ANSWER_CHARS: usize = 4096;
    /// A select-menu option's label and description: topic names and
    /// descriptions, and questions in the question menu.
    pub const MENU_TEXT_CHARS: usize = 100;
    /// Ids travel inside a component's custom_id (100 characters) together
    /// with a short prefix, so they are kept well under it.
    pub const ID_CHARS: usize = 64;
    /// Options a single select menu can show; more need pages.
    pub const MENU_OPTIONS: usize = 25;
}

/// A topic: one file under `faq/`, shown as one option of the topic menu.
#[derive(Debug, Clone, PartialEq)]
pub struct Topic {
    pub name: String,
    pub description: String,
    pub emoji: Option<String>,
    /// Menu position: topics sort by `order`, then by file name.
    pub order: i64,
    pub file: PathBuf,
    /// Indexes into [`Faq::entries`], in file order.
    pub entries: Vec<usize>,
}

/// One question and its answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Entry {
    pub id: String,
    pub question: String,
    pub alternatives: Vec<String>,
    pub answer: String,
    /// The source section the answer comes from.
    pub section: String,
    pub link: Option<String>,
    pub tags: Vec<String>,
    /// Who keeps this entry current.
    pub owner: Option<String>,
    /// When the answer was last checked against its source; `faqbot check`
    /// warns when that is longer ago than the config's `review_after_days`.
    pub reviewed: Option<jiff::civil::Date>,
    /// Index into [`Faq::topics`].
    pub topic: usize,
}

impl Entry {
    /// The question first, then its alternatives: every way it is asked.
    pub fn phrasings(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.question.as_str()).chain(self.alternatives.iter().map(String::as_str))
    }
}

/// A whole, valid FAQ: topics in menu order, entries in topic order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faq {
    pub topics: Vec<Topic>,
    pub entries: Vec<Entry>,
}

impl Faq {
    pub fn entry_by_id(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    pub fn topic_of(&self, entry: &Entry) -> &Topic {
        &self.topics[entry.topic]
    }
}
