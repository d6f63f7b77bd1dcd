//! The moderator's commands with servers' own FAQs (`[discord] faq_root`):
//! `report --guild ID` reads that server's questions only, a server's
//! folder given as `--faq` does the same, the default FAQ's report leaves
//! out the servers with a folder of their own, and `check --guild` checks
//! that server's folder; `--guild` without `faq_root` is a usage error.

use faqbot::store::{now_unix, Options, Outcome, Question, QuestionId, Store, Trigger};

use crate::reload::copy_bundled_faq;
use crate::stdout;
use crate::support::command::{assert_exit, assert_success, faqbot};

const OWN: u64 = 1_100_000_000_000_000_510;
const OTHER: u64 = 1_100_000_000_000_000_520;

fn question(text: &str, guild: Option<u64>) -> Question {
    Question {
        id: QuestionId::generate(),
        at: now_unix(),
        text: text.into(),
        guild_id: guild,
        channel_id: Some(2),
        trigger: Trigger::Slash,
        outcome: Outcome::Fallback,
        entry: None,
        score: 0.1,
        runner_up: None,
        latency_us: 10,
    }
}

fn questions_in(out: &std::process::Output) -> u64 {
    assert_success(out);
    let report: serde_json::Value = serde_json::from_str(&stdout(out)).expect("JSON");
    report["questions"].as_u64().expect("a count")
}

#[test]
fn reports_and_checks_keep_to_one_server() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    copy_bundled_faq(&dir.join("faq"));
    copy_bundled_faq(&dir.join("faqs").join(OWN.to_string()));
    std::fs::write(
        dir.join("faqbot.toml"),
        "[matching]\nsemantic = false\n[discord]\nfaq_root = \"faqs\"\n",
    )
    .expect("config");
    {
        let store = Store::open(dir.join("faqbot.db").as_path(), Options::default());
        // Two questions in the server with its own FAQ, three in one
        // without, one in a DM.
        for (text, guild) in [
            ("own one", Some(OWN)),
            ("own two", Some(OWN)),
            ("other one", Some(OTHER)),
            ("other two", Some(OTHER)),
            ("other three", Some(OTHER)),
            ("a dm", None),
        ] {
            store.record_question(question(text, guild));
        }
        store.flush();
        assert_eq!(store.stats().written, 6);
    }
    let report = |extra: &[&str]| {
        let mut args = vec!["report", "--json", "--since", "1h"];
        args.extend_from_slice(extra);
        questions_in(&faqbot(args).current_dir(dir).run())
    };
    let own = OWN.to_string();
    let other = OTHER.to_string();
    let own_folder = format!("faqs/{OWN}");
    assert_eq!(report(&["--guild", &own]), 2, "the server's own questions");
    assert_eq!(
        report(&["--faq", &own_folder]),
        2,
        "its folder says the same"
    );
    assert_eq!(
        report(&["--guild", &other]),
        3,
        "a server on the default FAQ"
    );
    assert_eq!(
        report(&[]),
        4,
        "the default FAQ: all but the servers with their own"
    );

    // The bundled regression questions are tuned with the semantic stage.
    std::fs::write(
        dir.join("semantic.toml"),
        "[discord]\nfaq_root = \"faqs\"\n",
    )
    .expect("config");
    let out = faqbot(["--config", "semantic.toml", "check", "--guild", &own])
        .current_dir(dir)
        .run();
    assert!(stdout(&out).starts_with(&own_folder), "{}", stdout(&out));
    assert_success(&out);

    let bare = tempfile::tempdir().expect("tempdir");
    let out = faqbot(["check", "--guild", &own])
        .current_dir(bare.path())
        .run();
    assert_exit(&out, 2, "needs `[discord] faq_root`");
}
