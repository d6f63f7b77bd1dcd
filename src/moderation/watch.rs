//! Watching the FAQ directory while the bot runs: every change to a
//! `*.toml` file in it, once the files have been quiet for [`DEBOUNCE`],
//! reloads the shared engine through [`SharedEngine::reload`] and hands the
//! [`Reload`] on. The work happens on the watcher's own thread, never on
//! the threads that answer questions. No Discord types: the bot decides
//! where outcomes are announced.

use std::path::Path;
use std::time::Duration;

use notify_debouncer_mini::notify::{self, RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{new_debouncer, DebounceEventResult, DebouncedEventKind, Debouncer};

use crate::moderation::reload::{Reload, SharedEngine};

/// How long the files must be quiet before a reload: an editor's save (a
/// write, or a temporary file renamed over the old one) and `git checkout`
/// of several files become one reload, and a report comes well within two
/// seconds of the last save.
pub const DEBOUNCE: Duration = Duration::from_millis(400);

/// Watches while it lives; dropping it stops the watching.
pub struct Watching {
    _debouncer: Debouncer<RecommendedWatcher>,
}

impl std::fmt::Debug for Watching {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Watching")
    }
}

/// Starts watching `dir` (not its subdirectories: the FAQ is the `*.toml`
/// files directly in it). After each burst of changes, reloads `engine`,
/// logs the outcome and passes it to `on_reload`.
pub fn watch(
    dir: &Path,
    engine: SharedEngine,
    mut on_reload: impl FnMut(Reload) + Send + 'static,
) -> Result<Watching, notify::Error> {
    let handler = move |result: DebounceEventResult| match result {
        Ok(events) => {
            let relevant = events.iter().any(|e| {
                e.kind == DebouncedEventKind::Any && e.path.extension().is_some_and(|x| x == "toml")
            });
            if !relevant {
                return;
            }
            let outcome = engine.reload();
            outcome.log("file change");
            on_reload(outcome);
        }
        Err(e) => {
            tracing::warn!(error = %e, "watching the FAQ directory failed; use /faq-reload after editing")
        }
    };
    let mut debouncer = new_debouncer(DEBOUNCE, handler)?;
    debouncer
        .watcher()
        .watch(dir, RecursiveMode::NonRecursive)?;
    tracing::info!(dir = %dir.display(), "watching the FAQ for changes");
    Ok(Watching {
        _debouncer: debouncer,
    })
}
