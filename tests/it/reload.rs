//! Safe reloads without Discord: the reload core on a temporary copy of the
//! bundled FAQ (broken edits keep the old engine and name every error's
//! file and line; good edits are counted exactly), and engines swapped many
//! times under threads that keep asking.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use faqbot::answer::engine::{Engine, Source};
use faqbot::answer::matching::Decision;
use faqbot::moderation::reload::{rebuild, Reload, SharedEngine, MESSAGE_CHARS};

use crate::root;

/// The file the fixture edits go into.
pub const EDITED_FILE: &str = "02-host-country.toml";
/// The entry the edits add: only the edited FAQ can answer it.
pub const PENGUIN_ID: &str = "reload-embassy-penguins";
pub const PENGUIN_QUESTION: &str = "What do the embassy penguins eat?";
pub const PENGUIN_ANSWER: &str = "The embassy penguins eat krill.";

/// A temporary copy of the bundled `faq/`; the directory is `path()/faq`.
pub struct FaqCopy {
    _tmp: tempfile::TempDir,
    pub dir: PathBuf,
}

impl FaqCopy {
    pub fn new() -> FaqCopy {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("faq");
        copy_bundled_faq(&dir);
        FaqCopy { _tmp: tmp, dir }
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    pub fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.path(file)).expect("read")
    }

    /// Replaces `file` at once (write beside it, then rename), as editors
    /// that save atomically do.
    pub fn write(&self, file: &str, text: &str) {
        let tmp = self.dir.join(format!(".{file}.swp"));
        std::fs::write(&tmp, text).expect("write");
        std::fs::rename(&tmp, self.path(file)).expect("rename");
    }
}

/// Copies the bundled `faq/` to `dir` (made, with its parents).
pub fn copy_bundled_faq(dir: &Path) {
    std::fs::create_dir_all(dir).expect("mkdir");
    for f in std::fs::read_dir(root().join("faq")).expect("faq/") {
        let f = f.expect("entry").path();
        std::fs::copy(&f, dir.join(f.file_name().expect("name"))).expect("copy");
    }
}

/// The bundled `02-host-country.toml` with the penguin entry appended; with
/// `broken`, its `answer` key is misspelt. Also returns the 1-based line of
/// that key.
pub fn with_penguins(original: &str, broken: bool) -> (String, usize) {
    let key = if broken { "answr" } else { "answer" };
    let addition = format!(
        "\n[[entry]]\nid = \"{PENGUIN_ID}\"\nquestion = \"{PENGUIN_QUESTION}\"\nalternatives = [\"penguin food at the embassy\", \"what are the embassy penguins fed\", \"embassy penguin diet\"]\n{key} = \"{PENGUIN_ANSWER}\"\nsection = \"Penguins\"\n"
    );
    let text = format!("{}{addition}", original.trim_end_matches('\n'));
    let line = text
        .lines()
        .position(|l| l.starts_with(&format!("{key} = ")))
        .expect("the key's line")
        + 1;
    (text, line)
}

/// The id of the entry `engine` answers `question` with, if it answers.
pub fn answered_id(engine: &Engine, question: &str) -> Option<String> {
    match engine.matcher.ask(question).decision {
        Decision::Answer(s) => Some(engine.faq.entries[s.entry].id.clone()),
        _ => None,
    }
}

fn load(dir: &Path) -> Engine {
    Engine::load(dir, &faqbot::answer::engine::Settings::default()).expect("the FAQ loads")
}

#[test]
fn a_broken_edit_names_every_error_and_keeps_the_old_engine() {
    let faq = FaqCopy::new();
    let shared = SharedEngine::new(load(&faq.dir));
    let before = shared.get();
    let (broken, line) = with_penguins(&faq.read(EDITED_FILE), true);
    faq.write(EDITED_FILE, &broken);
    // A second mistake in another file: both must be reported at once.
    let overview = faq.read("01-overview.toml");
    let bad_id_line = overview
        .lines()
        .position(|l| l.starts_with("id = "))
        .expect("an id")
        + 1;
    let overview = overview.replacen("id = \"", "id = \"Not A Slug ", 1);
    faq.write("01-overview.toml", &overview);

    let outcome = shared.reload();
    let Reload::Rejected { errors } = &outcome else {
        panic!("a broken FAQ must be rejected: {outcome:?}");
    };
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let expect_1 = format!(
        "{}:{line}:1: error: entry `{PENGUIN_ID}`: unknown field `answr`; did you mean `answer`?",
        faq.path(EDITED_FILE).display()
    );
    assert!(
        shown.iter().any(|e| e.starts_with(&expect_1)),
        "{expect_1} in {shown:#?}"
    );
    let expect_2 = format!("{}:{bad_id_line}:", faq.path("01-overview.toml").display());
    assert!(
        shown.iter().any(|e| e.starts_with(&expect_2)),
        "{expect_2} in {shown:#?}"
    );
    let report = outcome.render(MESSAGE_CHARS);
    assert!(
        report.contains(&format!("{EDITED_FILE}:{line}:1")),
        "{report}"
    );
    assert!(
        report.contains(&format!("01-overview.toml:{bad_id_line}:")),
        "{report}"
    );

    // The old engine still answers, untouched.
    let now = shared.get();
    assert!(Arc::ptr_eq(&before, &now), "the engine was not swapped");
    assert_eq!(
        answered_id(
            &now,
            "Can host country authorities enter an embassy without permission?"
        )
        .as_deref(),
        Some("host-country-no-entry-without-consent")
    );
    assert_ne!(
        answered_id(&now, PENGUIN_QUESTION).as_deref(),
        Some(PENGUIN_ID)
    );

    // Fixed: the new engine answers what only it knows, and says the
    // errors are gone.
    faq.write(
        "01-overview.toml",
        &std::fs::read_to_string(root().join("faq/01-overview.toml")).expect("read"),
    );
    let (fixed, _) = with_penguins(
        &std::fs::read_to_string(root().join("faq").join(EDITED_FILE)).expect("read"),
        false,
    );
    faq.write(EDITED_FILE, &fixed);
    let outcome = shared.reload();
    let Reload::Reloaded {
        summary,
        after_failure,
    } = &outcome
    else {
        panic!("the fixed FAQ must load: {outcome:?}");
    };
    assert!(after_failure);
    assert_eq!(summary.changes.added, [PENGUIN_ID]);
    assert!(summary.changes.removed.is_empty() && summary.changes.changed.is_empty());
    // The added entry's phrasings are answered by it now.
    assert!(
        summary
            .routing_changes
            .iter()
            .all(|l| l.ends_with(&format!("→ answer `{PENGUIN_ID}` (score 1.00)"))),
        "{:?}",
        summary.routing_changes
    );
    assert_eq!(
        summary.routing_changes.len(),
        4,
        "{:?}",
        summary.routing_changes
    );
    let now = shared.get();
    assert_eq!(
        answered_id(&now, PENGUIN_QUESTION).as_deref(),
        Some(PENGUIN_ID)
    );
    assert!(outcome
        .render(MESSAGE_CHARS)
        .contains("the errors reported before are fixed"));
}

#[test]
fn added_removed_and_changed_are_counted_exactly() {
    let faq = FaqCopy::new();
    let old = load(&faq.dir);
    let source = Source::new(&faq.dir, &faqbot::answer::engine::Settings::default());

    // Added: the penguin entry. Changed: the first answer of the same file.
    let (text, _) = with_penguins(&faq.read(EDITED_FILE), false);
    let text = text.replacen(
        "answer = \"\"\"\n",
        "answer = \"\"\"\nEdited while the bot runs. ",
        1,
    );
    faq.write(EDITED_FILE, &text);
    let first_answer_id = old
        .faq
        .entries
        .iter()
        .find(|e| old.faq.topic_of(e).file.ends_with(EDITED_FILE))
        .expect("an entry in the edited file")
        .id
        .clone();

    // Removed: the last entry of 06-private-security.toml.
    let private = faq.read("06-private-security.toml");
    let cut = private.rfind("[[entry]]").expect("an entry");
    let removed_id = private[cut..]
        .lines()
        .find_map(|l| l.strip_prefix("id = \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("its id")
        .to_string();
    faq.write("06-private-security.toml", &private[..cut]);

    // Changed by topic: 07-faq.toml's topic renamed changes all its entries.
    let faq_topic =
        faq.read("07-faq.toml")
            .replacen("name = \"FAQ\"", "name = \"Quick answers\"", 1);
    faq.write("07-faq.toml", &faq_topic);
    let in_topic_7: Vec<String> = old
        .faq
        .entries
        .iter()
        .filter(|e| old.faq.topic_of(e).file.ends_with("07-faq.toml"))
        .map(|e| e.id.clone())
        .collect();

    let (new, summary) = rebuild(&source, &old).expect("the edited FAQ loads");
    assert_eq!(summary.changes.added, [PENGUIN_ID]);
    assert_eq!(summary.changes.removed, std::slice::from_ref(&removed_id));
    let mut expect_changed = vec![first_answer_id];
    expect_changed.extend(in_topic_7);
    assert_eq!(summary.changes.changed, expect_changed);
    assert_eq!(summary.entries, old.faq.entries.len());
    assert_eq!(summary.entries, new.faq.entries.len());
    assert_eq!(summary.topics, 7);
    // `rebuild` left the old engine as it was.
    assert_eq!(
        old.faq.entries.len(),
        load(&root().join("faq")).faq.entries.len()
    );
    assert!(old.faq.entry_by_id(PENGUIN_ID).is_none());

    let report = Reload::Reloaded {
        summary: summary.clone(),
        after_failure: false,
    }
    .render(MESSAGE_CHARS);
    assert!(
        report.contains(&format!(
            "1 added, 1 removed, {} changed",
            summary.changes.changed.len()
        )),
        "{report}"
    );
    assert!(report.contains(&format!("+ {PENGUIN_ID}")), "{report}");
    assert!(report.contains(&format!("- {removed_id}")), "{report}");
    // Routing changes: the new entry's phrasings are now answered by it,
    // and the removed entry's own question is no longer answered by it.
    // Unchanged entries' phrasings are not replayed.
    let removed_question = old
        .faq
        .entry_by_id(&removed_id)
        .expect("in the old FAQ")
        .question
        .clone();
    let gained = format!("\"{PENGUIN_QUESTION}\": ");
    let lost = format!("{removed_question:?}: answer `{removed_id}`");
    assert!(
        summary
            .routing_changes
            .iter()
            .any(|l| l.starts_with(&gained)
                && l.ends_with(&format!("→ answer `{PENGUIN_ID}` (score 1.00)"))),
        "{:?}",
        summary.routing_changes
    );
    assert!(
        summary.routing_changes.iter().any(|l| l.starts_with(&lost)),
        "{:?}",
        summary.routing_changes
    );
    assert!(report.contains(&lost), "{report}");

    // Nothing changed: nothing to report.
    let (_, again) = rebuild(&source, &new).expect("loads");
    assert!(again.changes.is_empty(), "{again:?}");
}

/// Engines swapped dozens of times while four threads ask: every answer
/// comes from one whole engine (entry index, id and answer agree), and the
/// question whose answer differs between the two versions always gets one
/// of the two right answers.
#[test]
fn questions_asked_during_reloads_get_whole_answers() {
    const SWAPS: usize = 30;
    let faq = FaqCopy::new();
    let original = faq.read(EDITED_FILE);
    let (krill, _) = with_penguins(&original, false);
    let fish_answer = "The embassy penguins eat fish.";
    let fish = krill.replace(PENGUIN_ANSWER, fish_answer);
    // Version B also drops a whole file, so entry indexes shift between
    // versions: an answer mixing two engines would show it.
    let treaties = faq.read("04-treaties.toml");
    faq.write(EDITED_FILE, &krill);
    let shared = SharedEngine::new(load(&faq.dir));
    let questions: Vec<String> = shared
        .get()
        .faq
        .entries
        .iter()
        .map(|e| e.question.clone())
        .collect();

    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|t| {
            let shared = shared.clone();
            let stop = Arc::clone(&stop);
            let questions = questions.clone();
            std::thread::spawn(move || {
                let mut seen = [0usize; 2];
                let mut asked = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let engine = shared.get();
                    assert!(!engine.faq.entries.is_empty(), "an empty index answered");
                    let m = engine.matcher.ask(PENGUIN_QUESTION);
                    let Decision::Answer(s) = m.decision else {
                        panic!("the penguin question must be answered: {m:?}");
                    };
                    let entry = &engine.faq.entries[s.entry];
                    assert_eq!(entry.id, PENGUIN_ID);
                    match entry.answer.as_str() {
                        PENGUIN_ANSWER => seen[0] += 1,
                        a if a == fish_answer => seen[1] += 1,
                        other => panic!("an answer from neither version: {other:?}"),
                    }
                    // Any other question: a valid outcome whose entry is
                    // the engine's own.
                    let q = &questions[(asked + t) % questions.len()];
                    let engine = shared.get();
                    if let Decision::Answer(s) = engine.matcher.ask(q).decision {
                        assert!(s.entry < engine.faq.entries.len());
                    }
                    asked += 1;
                }
                (seen, asked)
            })
        })
        .collect();

    let mut swaps = 0;
    for i in 0..SWAPS {
        let b = i % 2 == 0;
        faq.write(EDITED_FILE, if b { &fish } else { &krill });
        if b {
            std::fs::remove_file(faq.path("04-treaties.toml")).expect("rm");
        } else {
            faq.write("04-treaties.toml", &treaties);
        }
        match shared.reload() {
            Reload::Reloaded { .. } => swaps += 1,
            other => panic!("every version is valid: {other:?}"),
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    stop.store(true, Ordering::Relaxed);
    let mut seen = [0usize; 2];
    for r in readers {
        let (s, asked) = r.join().expect("no reader panicked");
        assert!(asked > 0);
        seen[0] += s[0];
        seen[1] += s[1];
    }
    assert_eq!(swaps, SWAPS);
    assert!(
        seen[0] > 0 && seen[1] > 0,
        "both versions answered: {seen:?}"
    );
}
