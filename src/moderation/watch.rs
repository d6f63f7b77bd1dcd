//! Watching the FAQ folders while the bot runs: every change to a `*.toml`
//! file of the default FAQ, or of a server's folder under `faq_root` (and
//! a server's folder appearing or going), once the files have been quiet
//! for [`DEBOUNCE`], reloads that FAQ alone through [`Library::reload`] and
//! hands the [`Reload`] on with its [`Target`]. The work happens on the
//! watcher's own thread, never on the threads that answer questions. No
//! Discord types: the bot decides where outcomes are announced.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify_debouncer_mini::notify::{self, RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{new_debouncer, DebounceEventResult, DebouncedEventKind, Debouncer};

use crate::moderation::library::{Library, Target};
use crate::moderation::reload::Reload;

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

/// The folders watched, canonical (so that they compare with the paths
/// the watcher reports).
struct Watched {
    /// The default FAQ's folder (its `*.toml` files, not subfolders).
    default: Option<PathBuf>,
    /// The servers' folders' parent, watched with its subfolders.
    root: Option<PathBuf>,
}

impl Watched {
    /// Which FAQs the changed `paths` belong to.
    fn targets<'a>(&self, paths: impl Iterator<Item = &'a Path>) -> BTreeSet<Target> {
        let mut targets = BTreeSet::new();
        for path in paths {
            let in_default = self.default.as_deref().is_some_and(|d| {
                path.parent() == Some(d) && path.extension().is_some_and(|x| x == "toml")
            });
            if in_default {
                targets.insert(Target::Default);
            } else if let Some(t) = self
                .root
                .as_deref()
                .and_then(|r| Library::target_of_path(r, path))
            {
                targets.insert(t);
            }
        }
        targets
    }
}

/// Starts watching the folders of `library`'s FAQs. After each burst of
/// changes, reloads each FAQ touched, logs the outcome and passes it to
/// `on_reload`. Fails when neither folder can be watched.
pub fn watch(
    library: Arc<Library>,
    mut on_reload: impl FnMut(Target, Reload) + Send + 'static,
) -> Result<Watching, notify::Error> {
    let folders = Watched {
        default: library
            .default_engine()
            .get()
            .source
            .as_ref()
            .and_then(|s| s.dir.canonicalize().ok()),
        root: library.root().and_then(|r| r.canonicalize().ok()),
    };
    let (default, root) = (folders.default.clone(), folders.root.clone());
    let handler = move |result: DebounceEventResult| match result {
        Ok(events) => {
            let changed = events
                .iter()
                .filter(|e| e.kind == DebouncedEventKind::Any)
                .map(|e| e.path.as_path());
            for target in folders.targets(changed) {
                let outcome = library.reload(match target {
                    Target::Default => None,
                    Target::Guild(g) => Some(g),
                });
                outcome.log(&format!("file change in {target}"));
                on_reload(target, outcome);
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "watching the FAQ folders failed; use /faq-reload after editing")
        }
    };
    let mut debouncer = new_debouncer(DEBOUNCE, handler)?;
    let mut watched = 0;
    let mut last_error = None;
    for (dir, mode) in [
        (default, RecursiveMode::NonRecursive),
        (root, RecursiveMode::Recursive),
    ] {
        let Some(dir) = dir else { continue };
        match debouncer.watcher().watch(&dir, mode) {
            Ok(()) => {
                tracing::info!(dir = %dir.display(), "watching for FAQ changes");
                watched += 1;
            }
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "cannot watch this FAQ folder; edits in it need /faq-reload");
                last_error = Some(e);
            }
        }
    }
    match (watched, last_error) {
        (0, Some(e)) => Err(e),
        (0, None) => Err(notify::Error::generic("no FAQ folder to watch")),
        _ => Ok(Watching {
            _debouncer: debouncer,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_grouped_by_the_faq_they_belong_to() {
        let folders = Watched {
            default: Some(PathBuf::from("/srv/faq")),
            root: Some(PathBuf::from("/srv/faqs")),
        };
        let paths = [
            "/srv/faq/01-a.toml",
            "/srv/faq/notes.txt",
            "/srv/faq/sub/01-a.toml",
            "/srv/faqs/7/01-a.toml",
            "/srv/faqs/7/02-b.toml",
            "/srv/faqs/8",
            "/srv/faqs/README.md",
        ];
        let targets = folders.targets(paths.iter().map(Path::new));
        assert_eq!(
            targets.into_iter().collect::<Vec<_>>(),
            vec![Target::Default, Target::Guild(7), Target::Guild(8)]
        );
    }
}
