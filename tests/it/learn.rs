//! The moderators' loop end to end, on the store and the command line: a
//! scripted session of questions, picks and votes is recorded as the bot
//! records them; `faqbot report` shows the unanswered groups, the most 👎
//! and the suggested alternative; `faqbot learn` prints it as TOML;
//! `learn --apply` writes it into the FAQ, `check` still passes, and the
//! next such question gets a direct answer.

use std::path::{Path, PathBuf};
use std::time::Duration;

use faqbot::answer::engine::Engine;
use faqbot::cli::config::Config;
use faqbot::store::{Options, Pick, Question, Store, Trigger, Via, Vote};

use crate::support::command::{assert_exit, assert_starts_with, faqbot, TestCommand};
use crate::{root, stdout};

/// The question askers keep asking in other words, and the entry they
/// pick from the suggestions afterwards.
const ASKED: [&str; 3] = [
    "is there a un agency for diplomat safety",
    "is there a UN agency for diplomat safety?",
    "is there an un agency for diplomats safety",
];
const PICKED: &str = "un-undss";

pub(crate) fn copy_faq(to: &Path) {
    for e in std::fs::read_dir(root().join("faq")).expect("faq/") {
        let path = e.expect("entry").path();
        std::fs::copy(&path, to.join(path.file_name().expect("name"))).expect("copy");
    }
}

/// Records `text` as the bot would: matched with the FAQ as it is, then
/// what the asker did next.
fn ask(store: &Store, engine: &Engine, text: &str, trigger: Trigger) -> Question {
    let m = engine.matcher.ask(text);
    let q = Question::from_match(text, trigger, &m, &engine.faq, Duration::from_micros(40));
    store.record_question(q.clone());
    q
}

/// `faqbot ARGS` run in `dir`.
fn faqbot_in<const N: usize>(dir: &Path, args: [&str; N]) -> TestCommand {
    faqbot(args).current_dir(dir)
}

#[test]
fn a_session_of_picks_becomes_an_alternative_that_answers_next_time() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let faq_dir: PathBuf = tmp.path().join("faq");
    std::fs::create_dir(&faq_dir).expect("mkdir");
    copy_faq(&faq_dir);
    let db = tmp.path().join("faqbot.db");
    // The learning loop on the word matcher, where these wordings are near
    // misses (with the semantic stage on, the first is answered outright).
    let mut config = Config::default();
    config.matching.semantic = false;
    // The bundled regression questions hold two that only the semantic
    // stage answers; by words they are near misses, so they leave this copy.
    let cases = faq_dir.join("tests.toml");
    let text = std::fs::read_to_string(&cases).expect("read tests.toml");
    let mut kept = text.clone();
    for q in [
        "why do missions hire private security firms",
        "what technology do private security companies use",
    ] {
        let block = kept
            .split("[[case]]")
            .find(|b| b.contains(&format!("question = \"{q}\"")))
            .map(|b| format!("[[case]]{b}"))
            .expect("the case is in tests.toml");
        kept = kept.replacen(&block, "", 1);
    }
    assert_ne!(kept, text);
    std::fs::write(&cases, kept).expect("write tests.toml");
    let config_file = tmp.path().join("faqbot.toml");
    std::fs::write(&config_file, "[matching]\nsemantic = false\n").expect("write config");
    let engine = Engine::load(&faq_dir, &config.engine()).expect("the FAQ loads");

    // Before: the question only gets suggestions.
    let before = engine.matcher.ask(ASKED[0]);
    assert_eq!(before.decision.outcome().as_str(), "suggest");

    {
        let store = Store::open(&db, Options::default());
        // Three askers, three wordings, each picks the same entry: two
        // from the suggestions, one through the topic menu.
        for (i, text) in ASKED.into_iter().enumerate() {
            let q = ask(&store, &engine, text, Trigger::Slash);
            store.record_pick(Pick {
                question: q.id,
                entry: PICKED.into(),
                via: if i == 2 { Via::Menu } else { Via::Suggestion },
                at: q.at,
            });
        }
        // Unanswered, no pick: the same question twice and another once.
        for text in [
            "where do i get a visa",
            "where do I get a visa?",
            "how do i renew my visa",
        ] {
            ask(&store, &engine, text, Trigger::Mention);
        }
        // Answered, then voted on: one voter changes their mind (👍 then
        // 👎), one votes 👎 twice, one votes 👍: 2 👎 and 1 👍.
        let answered = ask(
            &store,
            &engine,
            "can cops raid an embassy",
            Trigger::HelpChannel,
        );
        assert_eq!(answered.outcome.as_str(), "answer");
        for (voter, up) in [
            (111, true),
            (111, false),
            (222, false),
            (222, false),
            (333, true),
        ] {
            store.record_vote(Vote {
                question: answered.id,
                voter,
                up,
                entry: None,
                at: answered.at,
            });
        }
        store.flush();
    }

    // `faqbot ARGS --store DB --faq FAQ`, on what the session recorded.
    let on_the_store = |args: &[&str]| {
        faqbot(args)
            .current_dir(tmp.path())
            .arg("--store")
            .arg(&db)
            .arg("--faq")
            .arg(&faq_dir)
            .run()
    };
    let report = on_the_store(&["report"]);
    let text = stdout(&report);
    assert!(report.status.success(), "{text}{}", crate::stderr(&report));
    // Shown with `cargo test a_session_of_picks -- --nocapture`.
    println!("$ faqbot report\n{text}");
    assert!(text.starts_with("7 questions, 1 answered"), "{text}");
    // The three wordings are one group (two of them differ only in case
    // and punctuation, so they are one wording); the visa questions are
    // two groups.
    assert!(
        text.contains(
            "      3  \"is there a un agency for diplomat safety\" (and 1 similar wording)"
        ),
        "{text}"
    );
    assert!(
        text.contains("      2  \"where do i get a visa\"\n"),
        "{text}"
    );
    assert!(
        text.contains("      1  \"how do i renew my visa\""),
        "{text}"
    );
    assert!(
        text.contains("      2 👎     1 👍  host-country-no-entry-without-consent"),
        "{text}"
    );
    assert!(
        text.contains(&format!("  {PICKED}  +\"{}\"  (3 picks)", ASKED[0])),
        "{text}"
    );

    let learn = on_the_store(&["learn"]);
    let toml = stdout(&learn);
    assert!(learn.status.success(), "{toml}");
    println!("$ faqbot learn\n{toml}");
    assert!(
        toml.contains("05-un-security.toml: add to these entries' alternatives"),
        "{toml}"
    );
    assert!(
        toml.contains(&format!(
            "[[entry]]\nid = \"{PICKED}\"\nalternatives = [\n  \"{}\",  # picked 3 times\n]",
            ASKED[0]
        )),
        "{toml}"
    );

    let apply = on_the_store(&["learn", "--apply"]);
    let applied = stdout(&apply);
    assert!(apply.status.success(), "{applied}{}", crate::stderr(&apply));
    println!("$ faqbot learn --apply\n{applied}");
    assert!(
        applied.contains("05-un-security.toml: added 1 alternative"),
        "{applied}"
    );
    let file = std::fs::read_to_string(faq_dir.join("05-un-security.toml")).expect("read");
    assert!(file.contains(&format!("  \"{}\",\n", ASKED[0])), "{file}");

    let check = faqbot_in(tmp.path(), ["check", "--strict"])
        .arg(&faq_dir)
        .run();
    assert!(check.status.success(), "{}", stdout(&check));

    // After: the next such question gets a direct answer.
    let after = faqbot_in(tmp.path(), ["ask", "--json", "--faq"])
        .arg(&faq_dir)
        .arg(ASKED[0])
        .run();
    let v: serde_json::Value = serde_json::from_str(stdout(&after).trim()).expect("JSON");
    println!(
        "before: {} (score {:.2}); after: {} `{}` (score {})",
        before.decision.outcome(),
        before.score,
        v["outcome"],
        v["id"],
        v["score"]
    );
    assert_eq!(v["outcome"], "answer", "{v}");
    assert_eq!(v["id"], PICKED, "{v}");

    // `diff` replays what people asked (from the store) against the FAQ
    // before and after: the learned question now gets its answer.
    let bundled = root().join("faq");
    let diff = faqbot_in(tmp.path(), ["diff"])
        .arg(&bundled)
        .arg(&faq_dir)
        .arg("--store")
        .arg(&db)
        .run();
    let changed = stdout(&diff);
    assert!(
        changed.contains(&format!(
            "\"{}\": suggestions `faq-un-support`, `un-undss`",
            ASKED[0]
        )) && changed.contains(&format!("→ answer `{PICKED}` (score 1.00)")),
        "{changed}"
    );
    println!("$ faqbot diff faq/ learned-faq/\n{changed}");

    // Learning again proposes nothing: the question is a phrasing now.
    let again = on_the_store(&["learn"]);
    assert_starts_with(&stdout(&again), "# No alternatives to suggest yet");
}

#[test]
fn report_without_a_store_says_where_it_looked_and_what_to_do() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let missing = tmp.path().join("none.db");
    let faq = root().join("faq");
    let out = faqbot_in(tmp.path(), ["report", "--faq"])
        .arg(&faq)
        .arg("--store")
        .arg(&missing)
        .run();
    assert_exit(&out, 1, "none.db: no store yet");
    let bad = faqbot_in(tmp.path(), ["report", "--since", "7x"]).run();
    assert_exit(&bad, 2, "write it like 7d");
}
