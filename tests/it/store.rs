//! The question store as the bot will use it: opened from a config file,
//! shared in an `Arc`, recorded into from async tasks, read back by a
//! report after shutdown.

use std::path::Path;
use std::sync::Arc;

use faqbot::cli::config::Config;
use faqbot::store::{
    now_unix, Outcome, Pick, Question, QuestionId, Reader, Store, Trigger, Via, Vote, VoteTotal,
};

#[test]
fn store_from_the_config_file_records_from_async_tasks_and_a_report_reads_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("stats.db");
    let config = Config::parse(
        &format!(
            "[store]\npath = {:?}\nretention_days = 14\n",
            db.display().to_string()
        ),
        Path::new("faqbot.toml"),
    )
    .expect("config");
    assert_eq!(config.store.retention_days, 14);
    let store = Arc::new(Store::from_config(&config.store));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    // A single-threaded runtime: a blocking record would stall every task.
    let ids: Vec<QuestionId> = runtime.block_on(async {
        let mut tasks = Vec::new();
        for n in 0..20u64 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let q = Question {
                    id: QuestionId::generate(),
                    at: now_unix(),
                    text: format!("question {n}"),
                    guild_id: Some(1),
                    channel_id: Some(100 + n),
                    trigger: Trigger::Slash,
                    outcome: if n % 2 == 0 {
                        Outcome::Answer
                    } else {
                        Outcome::Suggest
                    },
                    entry: Some(format!("entry-{}", n % 2)),
                    score: 0.5,
                    runner_up: None,
                    latency_us: 10,
                };
                let id = q.id;
                store.record_question(q);
                if n % 2 == 1 {
                    store.record_pick(Pick {
                        question: id,
                        entry: "entry-0".into(),
                        via: Via::Suggestion,
                        at: now_unix(),
                    });
                } else {
                    store.record_vote(Vote {
                        question: id,
                        voter: 1000 + n,
                        up: n % 4 == 0,
                        entry: None,
                        at: now_unix(),
                    });
                }
                id
            }));
        }
        let mut ids = Vec::new();
        for t in tasks {
            ids.push(t.await.expect("task"));
        }
        ids
    });
    // Shutdown: dropping the last handle writes what is queued.
    drop(store);

    let r = Reader::open(&db).expect("report opens the database");
    let questions = r
        .questions_since(0, &faqbot::store::Scope::All)
        .expect("questions");
    assert_eq!(questions.len(), 20);
    let mut stored: Vec<QuestionId> = questions.iter().map(|q| q.id).collect();
    let mut expected = ids.clone();
    stored.sort();
    expected.sort();
    assert_eq!(
        stored, expected,
        "the ids the callers got are the rows' ids"
    );
    let picks = r.picks_since(0, &faqbot::store::Scope::All).expect("picks");
    assert_eq!(picks.len(), 10);
    assert!(picks.iter().all(|p| p
        .text
        .as_deref()
        .is_some_and(|t| t.starts_with("question "))
        && p.best_entry.as_deref() == Some("entry-1")));
    assert_eq!(
        r.vote_totals(0, &faqbot::store::Scope::All).expect("votes"),
        [VoteTotal {
            entry: "entry-0".into(),
            up: 5,
            down: 5
        }]
    );
}
