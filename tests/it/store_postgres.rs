//! `faqbot report --store postgres://…`: the command line reads a
//! PostgreSQL store the bot wrote, and says a bad or unreachable address
//! clearly, never with its password. The first test needs the server
//! `FAQBOT_TEST_PG` names (skipped, saying so, when it is unset); the
//! second needs none.

use faqbot::store::{now_unix, Location, Options, Outcome, Question, QuestionId, Store, Trigger};

use crate::support::command::{assert_exit, assert_success, faqbot};
use crate::support::postgres::TestDb;
use crate::{root, stdout};

#[test]
fn report_reads_the_questions_recorded_in_postgres() {
    let Some(db) = TestDb::create("faqbot report --store postgres://") else {
        return;
    };
    {
        let location = Location::parse(db.url()).expect("a postgres url");
        let store = Store::open(location, Options::default());
        for (text, outcome) in [
            ("where do i get a visa", Outcome::Fallback),
            ("where do I get a visa?", Outcome::Fallback),
            ("can cops raid an embassy", Outcome::Answer),
        ] {
            store.record_question(Question {
                id: QuestionId::generate(),
                at: now_unix(),
                text: text.into(),
                guild_id: Some(1),
                channel_id: Some(2),
                trigger: Trigger::Slash,
                outcome,
                entry: (outcome == Outcome::Answer).then(|| "host-country-duties".to_string()),
                score: 0.5,
                runner_up: None,
                latency_us: 10,
            });
        }
        store.flush();
        assert_eq!(store.stats().written, 3);
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    // The word matcher: no model to load for a report.
    std::fs::write(
        tmp.path().join("faqbot.toml"),
        "[matching]\nsemantic = false\n",
    )
    .expect("config");
    let out = faqbot(["report", "--json", "--store", db.url(), "--faq"])
        .arg(root().join("faq"))
        .current_dir(tmp.path())
        .run();
    assert_success(&out);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(report["questions"], 3, "{report}");
    assert_eq!(report["answered"], 1, "{report}");
}

#[test]
fn a_bad_or_unreachable_postgres_store_is_said_without_its_password() {
    // Nothing listens on port 1.
    let out = faqbot([
        "report",
        "--store",
        "postgres://faqbot:s3cret@127.0.0.1:1/faqbot",
    ])
    .run();
    let err = assert_exit(
        &out,
        1,
        "postgres://faqbot:***@127.0.0.1:1/faqbot: cannot open the store's database",
    );
    assert!(!err.contains("s3cret"), "{err}");

    let out = faqbot([
        "report",
        "--store",
        "postgres://faqbot:s3cret@127.0.0.1:port/faqbot",
    ])
    .run();
    let err = assert_exit(&out, 2, "not a valid PostgreSQL address");
    assert!(!err.contains("s3cret"), "{err}");
    assert!(err.contains("faqbot:***@"), "{err}");
}
