//! Safe reloads of the FAQ while the bot runs: the new engine is loaded,
//! validated and indexed off to the side, and swapped in whole only if the
//! FAQ has no errors; otherwise every error is returned and the current
//! engine keeps answering. Also what a reload is reported as: the entries
//! added, removed and changed, or every error with its file and line, in a
//! text that fits one Discord message.
//!
//! - [`rebuild`]: the pure core (FAQ directory + current engine -> new
//!   engine and [`Summary`], or every error);
//! - [`SharedEngine`]: the engine the bot answers from, shared by every
//!   task, swapped atomically by [`SharedEngine::reload`];
//! - [`Reload`]: a reload's result, rendered for moderators and the log.
//!
//! No Discord types here: [`crate::moderation::watch`] and [`crate::discord`] call it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use crate::answer::engine::{Engine, Source};
use crate::answer::text::{plural, with_lines};
use crate::faq::{Diagnostic, Entry, Faq};

/// Discord's limit on a message's content, which every report fits.
pub const MESSAGE_CHARS: usize = 2000;

/// How the entries of two FAQ versions differ, by entry id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Ids only in the new version, in its order.
    pub added: Vec<String>,
    /// Ids only in the old version, in its order.
    pub removed: Vec<String>,
    /// Ids in both whose entries differ in any field (the topic compared by
    /// name), in the new version's order.
    pub changed: Vec<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// Compares two FAQ versions entry by entry (by id).
pub fn compare(old: &Faq, new: &Faq) -> Changes {
    let old_by_id: HashMap<&str, &Entry> = old.entries.iter().map(|e| (e.id.as_str(), e)).collect();
    let new_ids: HashMap<&str, ()> = new.entries.iter().map(|e| (e.id.as_str(), ())).collect();
    let mut changes = Changes::default();
    for entry in &new.entries {
        match old_by_id.get(entry.id.as_str()) {
            None => changes.added.push(entry.id.clone()),
            Some(before) if !same_entry(old, before, new, entry) => {
                changes.changed.push(entry.id.clone())
            }
            Some(_) => {}
        }
    }
    changes.removed = old
        .entries
        .iter()
        .filter(|e| !new_ids.contains_key(e.id.as_str()))
        .map(|e| e.id.clone())
        .collect();
    changes
}

/// Whether two entries are the same in every field. Their `topic` is an
/// index that shifts when a topic is added before theirs, so topics are
/// compared by name.
fn same_entry(old: &Faq, a: &Entry, new: &Faq, b: &Entry) -> bool {
    let topic_name = |faq: &Faq, e: &Entry| faq.topics.get(e.topic).map(|t| t.name.clone());
    Entry {
        topic: 0,
        ..a.clone()
    } == Entry {
        topic: 0,
        ..b.clone()
    } && topic_name(old, a) == topic_name(new, b)
}

/// What a good reload changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Entries and topics in the new version.
    pub entries: usize,
    pub topics: usize,
    pub changes: Changes,
    /// Questions that now get a different answer, one line each; see
    /// [`routing_changes`].
    pub routing_changes: Vec<String>,
}

/// Questions that a reload routes differently (answer, suggestions or the
/// topic menu), one line each as `faqbot diff` prints them: the regression
/// questions of `dir` (its `tests.toml`), plus every phrasing of the
/// entries added, removed or changed, in both versions. Replaying only
/// those keeps a reload of a big FAQ quick; an edit's effect shows first
/// on its own entries' phrasings and on the cases moderators wrote.
pub fn routing_changes(
    dir: &std::path::Path,
    old: &Engine,
    new: &Engine,
    changes: &Changes,
) -> Vec<String> {
    let mut questions = crate::moderation::diff::regression_questions(&[dir]);
    let touched: std::collections::HashSet<&str> = changes
        .added
        .iter()
        .chain(&changes.removed)
        .chain(&changes.changed)
        .map(String::as_str)
        .collect();
    for faq in [&old.faq, &new.faq] {
        for e in faq
            .entries
            .iter()
            .filter(|e| touched.contains(e.id.as_str()))
        {
            questions.extend(e.phrasings().map(str::to_string));
        }
    }
    crate::moderation::diff::replay(old, new, questions.iter().map(String::as_str))
        .changes
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// The pure core of a reload: loads, validates and indexes the FAQ that
/// `source` names, beside `current` (which is not touched), and says how it
/// differs. On any error returns every error, as `faqbot check` prints
/// them.
pub fn rebuild(source: &Source, current: &Engine) -> Result<(Engine, Summary), Vec<Diagnostic>> {
    let new = Engine::load_from(source)?;
    let changes = compare(&current.faq, &new.faq);
    let summary = Summary {
        entries: new.faq.entries.len(),
        topics: new.faq.topics.len(),
        routing_changes: routing_changes(&source.dir, current, &new, &changes),
        changes,
    };
    Ok((new, summary))
}

/// The result of [`SharedEngine::reload`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reload {
    /// The new version answers from now on.
    Reloaded {
        summary: Summary,
        /// The reload before this one had failed (its errors are fixed).
        after_failure: bool,
    },
    /// The FAQ has errors: the last good version keeps answering.
    Rejected { errors: Vec<Diagnostic> },
    /// The engine was not loaded from a directory, so there is nothing to
    /// reload from.
    NoSource,
}

impl Reload {
    /// Whether moderators should hear of it when nobody asked (a watcher
    /// saw a file change): errors, changes, and the first good reload after
    /// errors; not a save that changed nothing.
    pub fn worth_announcing(&self) -> bool {
        match self {
            Reload::Reloaded {
                summary,
                after_failure,
            } => {
                *after_failure || !summary.changes.is_empty() || !summary.routing_changes.is_empty()
            }
            Reload::Rejected { .. } => true,
            Reload::NoSource => false,
        }
    }

    /// The report for moderators, in at most `limit` characters (use
    /// [`MESSAGE_CHARS`] for a Discord message): every error with its file
    /// and line, or the entries added, removed and changed, each in a code
    /// block so that no id or path is read as Markdown; what does not fit
    /// ends in "… and N more".
    pub fn render(&self, limit: usize) -> String {
        let (head, lines) = match self {
            Reload::Rejected { errors } => (
                format!(
                    "FAQ reload failed: {} error{}. The bot keeps answering from the last good version; fix {} and save again (or run `faqbot check`).",
                    errors.len(),
                    plural(errors.len()),
                    if errors.len() == 1 { "it" } else { "them" }
                ),
                errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ),
            Reload::Reloaded {
                summary,
                after_failure,
            } => {
                let c = &summary.changes;
                let mut head = format!(
                    "FAQ reloaded{}: {} entries in {} topics; {} added, {} removed, {} changed.",
                    if *after_failure {
                        " (the errors reported before are fixed)"
                    } else {
                        ""
                    },
                    summary.entries,
                    summary.topics,
                    c.added.len(),
                    c.removed.len(),
                    c.changed.len()
                );
                if c.is_empty() {
                    head.push_str(" No entry changed.");
                }
                let lines = c
                    .added
                    .iter()
                    .map(|id| format!("+ {id}"))
                    .chain(c.removed.iter().map(|id| format!("- {id}")))
                    .chain(c.changed.iter().map(|id| format!("~ {id}")))
                    .chain(summary.routing_changes.iter().cloned())
                    .collect();
                (head, lines)
            }
            Reload::NoSource => (
                "This FAQ was not loaded from a directory, so there is nothing to reload from."
                    .to_string(),
                Vec::new(),
            ),
        };
        with_lines(&head, &lines, limit)
    }

    /// Logs the outcome: a warning per error, or one info line with the
    /// counts and ids. `trigger` says what started the reload.
    pub fn log(&self, trigger: &str) {
        match self {
            Reload::Rejected { errors } => {
                tracing::warn!(
                    trigger,
                    errors = errors.len(),
                    "FAQ reload failed; still answering from the last good version"
                );
                for e in errors {
                    tracing::warn!(trigger, "{e}");
                }
            }
            Reload::Reloaded {
                summary,
                after_failure,
            } => {
                let c = &summary.changes;
                tracing::info!(
                    trigger,
                    entries = summary.entries,
                    topics = summary.topics,
                    added = c.added.len(),
                    removed = c.removed.len(),
                    changed = c.changed.len(),
                    added_ids = ?c.added,
                    removed_ids = ?c.removed,
                    changed_ids = ?c.changed,
                    after_failure,
                    "FAQ reloaded"
                );
            }
            Reload::NoSource => {
                tracing::warn!(
                    trigger,
                    "FAQ reload asked for, but the FAQ has no directory"
                )
            }
        }
    }
}

/// The engine the bot answers from, shared by every task and thread. A
/// reader takes the current `Arc<Engine>` (the lock is held only to clone
/// it) and answers from it even if a reload swaps in another meanwhile: a
/// question is answered by the old engine or the new one, never by a
/// half-built one. Reloads run one at a time, so each is compared with the
/// engine it replaces.
#[derive(Debug, Clone)]
pub struct SharedEngine {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    current: RwLock<Arc<Engine>>,
    /// Held for a whole reload; holds whether the last reload failed.
    reloading: Mutex<bool>,
}

impl SharedEngine {
    pub fn new(engine: Engine) -> SharedEngine {
        SharedEngine {
            inner: Arc::new(Inner {
                current: RwLock::new(Arc::new(engine)),
                reloading: Mutex::new(false),
            }),
        }
    }

    /// The current engine.
    pub fn get(&self) -> Arc<Engine> {
        match self.inner.current.read() {
            Ok(e) => Arc::clone(&e),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Replaces the engine.
    pub fn set(&self, engine: Engine) {
        let engine = Arc::new(engine);
        match self.inner.current.write() {
            Ok(mut e) => *e = engine,
            Err(poisoned) => *poisoned.into_inner() = engine,
        }
    }

    /// Rebuilds the engine from the directory it was loaded from and swaps
    /// it in if the FAQ has no errors; otherwise keeps the current one.
    /// Blocks for as long as loading and indexing take: call it from a
    /// thread, or `spawn_blocking` in async code.
    pub fn reload(&self) -> Reload {
        let mut failed_before = self
            .inner
            .reloading
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let current = self.get();
        let Some(source) = current.source.clone() else {
            return Reload::NoSource;
        };
        match rebuild(&source, &current) {
            Ok((engine, summary)) => {
                self.set(engine);
                let after_failure = std::mem::replace(&mut *failed_before, false);
                Reload::Reloaded {
                    summary,
                    after_failure,
                }
            }
            Err(errors) => {
                *failed_before = true;
                Reload::Rejected { errors }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn reports_fit_and_count_what_is_left_out() {
        let errors: Vec<Diagnostic> = (1..=500)
            .map(|i| {
                Diagnostic::error(
                    Path::new("faq/01-a_b.toml"),
                    crate::faq::Position { line: i, col: 3 },
                    "unknown field `x`",
                )
            })
            .collect();
        let text = Reload::Rejected { errors }.render(MESSAGE_CHARS);
        assert!(text.chars().count() <= MESSAGE_CHARS, "{}", text.len());
        assert!(text.starts_with("FAQ reload failed: 500 errors."), "{text}");
        assert!(text.contains("faq/01-a_b.toml:1:3: error: unknown field `x`"));
        let shown = text.matches("error: unknown").count();
        assert!(
            text.ends_with(&format!("… and {} more\n```", 500 - shown)),
            "{text}"
        );
    }

    #[test]
    fn a_save_that_changes_nothing_is_not_announced() {
        let quiet = Reload::Reloaded {
            summary: Summary::default(),
            after_failure: false,
        };
        assert!(!quiet.worth_announcing());
        assert!(quiet.render(MESSAGE_CHARS).contains("No entry changed."));
        let fixed = Reload::Reloaded {
            summary: Summary::default(),
            after_failure: true,
        };
        assert!(fixed.worth_announcing());
        assert!(Reload::Rejected { errors: Vec::new() }.worth_announcing());
    }
}
