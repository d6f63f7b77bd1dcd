//! Which FAQ answers which server: the default FAQ (`faq_dir`), and for
//! each server with a folder of its own under `[discord] faq_root`
//! (`<faq_root>/<guild id>/`), that folder's FAQ. Each FAQ is loaded,
//! indexed and reloaded on its own ([`SharedEngine`]): a broken edit in
//! one server's folder leaves that server on its last good version and
//! every other server untouched. Servers whose folders are the same folder
//! (a symlink, or a link to the default) share one engine, so memory grows
//! with the number of distinct FAQs, not of servers; the semantic model is
//! loaded once per process whatever the number of engines
//! ([`crate::answer::matching::semantic::shared_model`]).
//!
//! A server folder that has never loaded (broken at start, or broken when
//! it first appeared) has no last good version: the server is told its
//! FAQ is unavailable rather than answered from another server's FAQ.
//!
//! No Discord types: the bot asks [`Library::engine_for`] with a guild id.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use crate::answer::engine::{Engine, Settings};
use crate::faq::Faq;
use crate::moderation::reload::{compare, Reload, SharedEngine, Summary};
use crate::telemetry;

/// The folder of server `guild`'s own FAQ under `root` (it may not exist).
pub fn guild_folder(root: &Path, guild: u64) -> PathBuf {
    root.join(guild.to_string())
}

/// The folders directly in a `faq_root`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Folders {
    /// Those named by a server id, in order.
    pub guilds: Vec<u64>,
    /// The others (left out).
    pub others: Vec<PathBuf>,
}

/// The folders directly in `root`: the servers' (named by a server id)
/// and the others.
pub fn guild_folders(root: &Path) -> std::io::Result<Folders> {
    let mut folders = Folders::default();
    for entry in std::fs::read_dir(root)?.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        match entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u64>().ok())
        {
            Some(guild) if guild > 0 => folders.guilds.push(guild),
            _ => folders.others.push(path),
        }
    }
    folders.guilds.sort_unstable();
    folders.others.sort();
    Ok(folders)
}

/// Which FAQ a reload or an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// The default FAQ (`faq_dir`): DMs, the terminal, and every server
    /// without a folder of its own.
    Default,
    /// A server's own folder.
    Guild(u64),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Default => f.write_str("the default FAQ"),
            Target::Guild(g) => write!(f, "server {g}'s FAQ"),
        }
    }
}

/// What the bot answers a server from.
#[derive(Debug, Clone)]
pub enum Answering {
    /// This engine (the server's own FAQ, or the default).
    Engine(Arc<Engine>),
    /// The server has a folder of its own, which has errors and has never
    /// loaded: there is no version of it to answer from.
    Unavailable,
}

/// A distinct FAQ folder.
#[derive(Debug, Clone)]
enum Slot {
    Ready(SharedEngine),
    /// Never loaded: its last try had errors (returned by that reload).
    Broken,
}

#[derive(Debug, Default)]
struct State {
    /// Servers with a folder of their own -> that folder, canonical.
    guilds: HashMap<u64, PathBuf>,
    /// Canonical folder -> its FAQ (the default's is not here).
    folders: HashMap<PathBuf, Slot>,
}

/// Every FAQ the bot answers from. Share it in an `Arc`.
#[derive(Debug)]
pub struct Library {
    default: SharedEngine,
    /// The default FAQ's folder, canonical (None: built in memory).
    default_dir: Option<PathBuf>,
    root: Option<PathBuf>,
    settings: Settings,
    state: RwLock<State>,
    /// Held while a folder's slot is created or replaced, so that two
    /// reloads of a new folder load it once.
    loading: Mutex<()>,
}

impl Library {
    /// One FAQ for every server.
    pub fn single(engine: Engine) -> Library {
        Library::with_root(engine, None, &Settings::default())
    }

    /// The default FAQ `engine` and, with `root`, every server folder in it
    /// (each loaded now; one with errors is logged, with every error, and
    /// that server's FAQ is unavailable until a reload succeeds). Folders
    /// whose name is not a server id are logged and left out.
    pub fn with_root(engine: Engine, root: Option<&Path>, settings: &Settings) -> Library {
        let default_dir = engine
            .source
            .as_ref()
            .and_then(|s| s.dir.canonicalize().ok());
        let library = Library {
            default: SharedEngine::new(engine),
            default_dir,
            root: root.map(Path::to_path_buf),
            settings: settings.clone(),
            state: RwLock::new(State::default()),
            loading: Mutex::new(()),
        };
        if let Some(root) = root {
            for guild in library.scan(root) {
                let outcome = library.reload(Some(guild));
                outcome.log(&format!("start, server {guild}"));
            }
        }
        library
    }

    /// The server ids of the folders in `root`; folders that are not a
    /// server's are logged.
    fn scan(&self, root: &Path) -> Vec<u64> {
        match guild_folders(root) {
            Ok(Folders { guilds, others }) => {
                for folder in others {
                    tracing::warn!(folder = %folder.display(), "not a server's FAQ folder (its name is not a server id): left out");
                }
                guilds
            }
            Err(e) => {
                tracing::warn!(faq_root = %root.display(), error = %e, "cannot read [discord] faq_root; every server gets the default FAQ until it can be read and /faq-reload is run");
                Vec::new()
            }
        }
    }

    /// The folder of every server's own FAQ, if there is one.
    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    /// The default FAQ, shared, for what acts on it alone.
    pub fn default_engine(&self) -> &SharedEngine {
        &self.default
    }

    fn state(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn state_mut(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    /// What to answer a question in `guild` (None: a DM) from.
    pub fn engine_for(&self, guild: Option<u64>) -> Answering {
        let state = self.state();
        let slot = guild
            .and_then(|g| state.guilds.get(&g))
            .and_then(|dir| state.folders.get(dir));
        match slot {
            Some(Slot::Ready(shared)) => Answering::Engine(shared.get()),
            Some(Slot::Broken) => Answering::Unavailable,
            None => Answering::Engine(self.default.get()),
        }
    }

    /// Which FAQ answers `guild`.
    pub fn target_of(&self, guild: Option<u64>) -> Target {
        match guild {
            Some(g) if self.state().guilds.contains_key(&g) => Target::Guild(g),
            _ => Target::Default,
        }
    }

    /// The servers with a folder of their own, in order.
    pub fn own_faq_guilds(&self) -> Vec<u64> {
        let mut guilds: Vec<u64> = self.state().guilds.keys().copied().collect();
        guilds.sort_unstable();
        guilds
    }

    /// How many engines answer (the default and each distinct folder that
    /// has loaded).
    pub fn distinct_engines(&self) -> usize {
        1 + self
            .state()
            .folders
            .values()
            .filter(|s| matches!(s, Slot::Ready(_)))
            .count()
    }

    /// Reloads the FAQ that answers `guild` (None: the default): a
    /// server's folder that has appeared is loaded, one that has gone puts
    /// the server back on the default FAQ, and otherwise the folder is
    /// reloaded as [`SharedEngine::reload`] does, keeping its last good
    /// version on errors. Blocking (loading and indexing): run it off the
    /// async threads.
    pub fn reload(&self, guild: Option<u64>) -> Reload {
        let outcome = self.reload_uncounted(guild);
        match &outcome {
            Reload::Reloaded { .. } => telemetry::reload(true, 0),
            Reload::Rejected { errors } => telemetry::reload(false, errors.len()),
            Reload::NoSource => {}
        }
        outcome
    }

    fn reload_uncounted(&self, guild: Option<u64>) -> Reload {
        let (Some(root), Some(guild)) = (&self.root, guild) else {
            return self.default.reload();
        };
        let _loading = self.loading.lock().unwrap_or_else(|p| p.into_inner());
        let folder = guild_folder(root, guild);
        let canonical = match folder.canonicalize() {
            Ok(c) if c.is_dir() => c,
            _ => {
                if self.forget(guild) {
                    tracing::info!(guild, folder = %folder.display(), "the server's FAQ folder is gone: it now gets the default FAQ");
                }
                return self.default.reload();
            }
        };
        if Some(&canonical) == self.default_dir.as_ref() {
            // A link to the default FAQ: nothing of its own to load.
            self.forget(guild);
            return self.default.reload();
        }
        let existing = self.state().folders.get(&canonical).cloned();
        let (slot, outcome) = match existing {
            Some(Slot::Ready(shared)) => {
                let outcome = shared.reload();
                (Slot::Ready(shared), outcome)
            }
            Some(Slot::Broken) => self.first_load(&canonical, true),
            None => self.first_load(&canonical, false),
        };
        let mut state = self.state_mut();
        let previous = state.guilds.insert(guild, canonical.clone());
        state.folders.insert(canonical, slot);
        if let Some(previous) = previous {
            prune(&mut state, &previous);
        }
        outcome
    }

    /// Loads a folder no engine answers from yet. `after_failure`: its
    /// last try had errors.
    fn first_load(&self, dir: &Path, after_failure: bool) -> (Slot, Reload) {
        match Engine::load(dir, &self.settings) {
            Ok(engine) => {
                let changes = compare(&Faq::default(), &engine.faq);
                let summary = Summary {
                    entries: engine.faq.entries.len(),
                    topics: engine.faq.topics.len(),
                    changes,
                    routing_changes: Vec::new(),
                };
                (
                    Slot::Ready(SharedEngine::new(engine)),
                    Reload::Reloaded {
                        summary,
                        after_failure,
                    },
                )
            }
            Err(errors) => (Slot::Broken, Reload::Rejected { errors }),
        }
    }

    /// Puts `guild` back on the default FAQ; whether it had its own.
    fn forget(&self, guild: u64) -> bool {
        let mut state = self.state_mut();
        match state.guilds.remove(&guild) {
            Some(dir) => {
                prune(&mut state, &dir);
                true
            }
            None => false,
        }
    }

    /// Which FAQ a changed file at `path` belongs to, when `root` is the
    /// folder of the servers' FAQs: a `*.toml` file in (or a folder that
    /// is) `<root>/<guild id>`. None for anything else.
    pub fn target_of_path(root: &Path, path: &Path) -> Option<Target> {
        let rest = path.strip_prefix(root).ok()?;
        let mut parts = rest.components();
        let Some(Component::Normal(first)) = parts.next() else {
            return None;
        };
        let guild = first.to_str()?.parse::<u64>().ok().filter(|&g| g > 0)?;
        let inside: Vec<Component<'_>> = parts.collect();
        let relevant = inside.is_empty()
            || (inside.len() == 1 && path.extension().is_some_and(|x| x == "toml"));
        relevant.then_some(Target::Guild(guild))
    }
}

/// Drops the slot of `dir` when no server uses it any more.
fn prune(state: &mut State, dir: &Path) {
    if !state.guilds.values().any(|d| d == dir) {
        state.folders.remove(dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::engine::MatchingConfig;

    fn words_only() -> Settings {
        Settings {
            matching: MatchingConfig {
                semantic: false,
                ..MatchingConfig::default()
            },
            ..Settings::default()
        }
    }

    fn topic(dir: &Path, question: &str, answer: &str) {
        std::fs::create_dir_all(dir).expect("mkdir");
        let text = format!(
            "[topic]\nname = \"Basics\"\ndescription = \"The basics\"\n\n[[entry]]\nid = \"basics-one\"\nquestion = \"{question}\"\nanswer = \"{answer}\"\nsection = \"Introduction\"\n"
        );
        std::fs::write(dir.join("01-basics.toml"), text).expect("write");
    }

    fn answer_of(library: &Library, guild: Option<u64>) -> Option<String> {
        match library.engine_for(guild) {
            Answering::Engine(e) => Some(e.faq.entries[0].answer.clone()),
            Answering::Unavailable => None,
        }
    }

    #[test]
    fn folder_paths_name_their_server() {
        let root = Path::new("/x/faqs");
        let of = |p: &str| Library::target_of_path(root, Path::new(p));
        assert_eq!(of("/x/faqs/123/a.toml"), Some(Target::Guild(123)));
        assert_eq!(of("/x/faqs/123"), Some(Target::Guild(123)));
        assert_eq!(of("/x/faqs/123/a.txt"), None);
        assert_eq!(of("/x/faqs/123/sub/a.toml"), None);
        assert_eq!(of("/x/faqs/default/a.toml"), None);
        assert_eq!(of("/x/faqs/0/a.toml"), None);
        assert_eq!(of("/x/other/123/a.toml"), None);
    }

    #[test]
    fn each_server_has_its_own_faq_and_a_broken_one_affects_no_other() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (default, root) = (tmp.path().join("faq"), tmp.path().join("faqs"));
        topic(&default, "What is the default?", "The default answer.");
        topic(&root.join("11"), "What is eleven?", "Eleven's answer.");
        topic(
            &root.join("22"),
            "What is twenty-two?",
            "Twenty-two's answer.",
        );
        // A third server's folder is broken from the start.
        std::fs::create_dir_all(root.join("33")).expect("mkdir");
        std::fs::write(root.join("33/01-x.toml"), "name = \n").expect("write");
        // A fourth shares the second's folder.
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("22"), root.join("44")).expect("symlink");
        std::fs::create_dir_all(root.join("not-a-server")).expect("mkdir");

        let settings = words_only();
        let engine = Engine::load(&default, &settings).expect("default loads");
        let library = Library::with_root(engine, Some(&root), &settings);
        assert_eq!(
            answer_of(&library, None).as_deref(),
            Some("The default answer.")
        );
        assert_eq!(
            answer_of(&library, Some(99)).as_deref(),
            Some("The default answer.")
        );
        assert_eq!(
            answer_of(&library, Some(11)).as_deref(),
            Some("Eleven's answer.")
        );
        assert_eq!(
            answer_of(&library, Some(22)).as_deref(),
            Some("Twenty-two's answer.")
        );
        assert_eq!(
            answer_of(&library, Some(33)),
            None,
            "never loaded: unavailable"
        );
        #[cfg(unix)]
        {
            assert_eq!(
                answer_of(&library, Some(44)).as_deref(),
                Some("Twenty-two's answer.")
            );
            assert_eq!(
                library.distinct_engines(),
                3,
                "default, 11, and 22 shared by 44"
            );
        }
        assert_eq!(library.target_of(Some(11)), Target::Guild(11));
        assert_eq!(library.target_of(Some(99)), Target::Default);

        // A broken edit in 11 keeps 11 on its last good version, and 22 and
        // the default untouched.
        std::fs::write(
            root.join("11/01-basics.toml"),
            "[topic]\nname = \"Basics\"\n[[entry]]\n",
        )
        .expect("write");
        assert!(matches!(library.reload(Some(11)), Reload::Rejected { .. }));
        assert_eq!(
            answer_of(&library, Some(11)).as_deref(),
            Some("Eleven's answer.")
        );
        assert_eq!(
            answer_of(&library, Some(22)).as_deref(),
            Some("Twenty-two's answer.")
        );
        assert_eq!(
            answer_of(&library, None).as_deref(),
            Some("The default answer.")
        );

        // Fixed, 33 loads; a new folder appears; a folder removed goes
        // back to the default.
        std::fs::remove_file(root.join("33/01-x.toml")).expect("rm");
        topic(
            &root.join("33"),
            "What is thirty-three?",
            "Thirty-three's answer.",
        );
        match library.reload(Some(33)) {
            Reload::Reloaded {
                after_failure,
                summary,
            } => {
                assert!(after_failure);
                assert_eq!(summary.changes.added, vec!["basics-one".to_string()]);
            }
            other => panic!("33 should load now: {other:?}"),
        }
        assert_eq!(
            answer_of(&library, Some(33)).as_deref(),
            Some("Thirty-three's answer.")
        );
        topic(
            &root.join("55"),
            "What is fifty-five?",
            "Fifty-five's answer.",
        );
        assert_eq!(
            answer_of(&library, Some(55)).as_deref(),
            Some("The default answer.")
        );
        assert!(matches!(library.reload(Some(55)), Reload::Reloaded { .. }));
        assert_eq!(
            answer_of(&library, Some(55)).as_deref(),
            Some("Fifty-five's answer.")
        );
        std::fs::remove_dir_all(root.join("55")).expect("rm");
        library.reload(Some(55));
        assert_eq!(
            answer_of(&library, Some(55)).as_deref(),
            Some("The default answer.")
        );
        assert_eq!(library.own_faq_guilds(), {
            let mut v = vec![11, 22, 33];
            if cfg!(unix) {
                v.push(44);
            }
            v
        });
    }
}
