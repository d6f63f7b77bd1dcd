//! Two `faqbot run` processes, the shipped binary, each running half of
//! the bot's shards (`--shards 0-0` and `--shards 1-1` of
//! `--total-shards 2`) against a fake Discord that routes each server to
//! shard `(guild_id >> 22) % 2`, sharing one PostgreSQL store: each
//! process answers its own servers, each server from its own FAQ; their
//! IDENTIFYs are spaced 5 s apart through the store's advisory lock; both
//! write the store, and `faqbot report --guild` shows each server's
//! questions; stopping one leaves the other's servers answering. Needs
//! the server `FAQBOT_TEST_PG` names (skipped, saying so, when unset).

#![cfg(unix)]

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

use crate::reload::{
    copy_bundled_faq, with_penguins, EDITED_FILE, PENGUIN_ANSWER, PENGUIN_QUESTION,
};
use crate::stdout;
use crate::support::bot::{ask_slash, faqbot_run, interact, sigterm_and_wait};
use crate::support::command::{assert_success, faqbot};
use crate::support::fake_discord::{guild_on_shard, FakeDiscord};
use crate::support::postgres::TestDb;

/// `payload` as if sent in server `guild`.
fn in_server(mut payload: Value, guild: u64) -> Value {
    payload["guild_id"] = json!(guild.to_string());
    payload
}

/// The answer's text to `question` in `guild`, if the reply is an answer.
async fn answer_in(fake: &FakeDiscord, guild: u64, question: &str) -> Option<String> {
    let cb = interact(fake, in_server(ask_slash(question), guild)).await;
    cb.body["data"]["embeds"][0]["description"]
        .as_str()
        .map(str::to_string)
}

fn penguins(answer: Option<&str>) -> bool {
    answer.is_some_and(|a| a.contains(PENGUIN_ANSWER))
}

/// `report --guild GUILD --json` over the store, as its questions count.
fn reported_questions(config: &Path, store: &str, guild: u64) -> u64 {
    let out = faqbot(["--config".as_ref(), config.as_os_str()])
        .args(["report", "--json", "--since", "1h", "--store", store])
        .args(["--guild", &guild.to_string()])
        .run();
    assert_success(&out);
    let report: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    report["questions"].as_u64().expect("a count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_with_disjoint_shards_answer_their_own_servers_and_share_one_store() {
    let Some(db) = TestDb::create("two faqbot run processes") else {
        return;
    };
    let fake = FakeDiscord::start_sharded(2).await;
    let (a, b) = (guild_on_shard(0, 2), guild_on_shard(1, 2));
    let tmp = tempfile::tempdir().expect("tempdir");
    let (default, root) = (tmp.path().join("faq"), tmp.path().join("faqs"));
    copy_bundled_faq(&default);
    for server in [a, b] {
        copy_bundled_faq(&root.join(server.to_string()));
    }
    // Server A's own FAQ knows the penguins; B's does not.
    let a_file = root.join(a.to_string()).join(EDITED_FILE);
    let original = std::fs::read_to_string(&a_file).expect("read");
    std::fs::write(&a_file, with_penguins(&original, false).0).expect("write");
    let config = tmp.path().join("faqbot.toml");
    std::fs::write(
        &config,
        format!(
            "faq_dir = {default:?}\n[matching]\nsemantic = false\n[discord]\nguild_ids = [{a}]\nproxy = {:?}\nfaq_root = {root:?}\nuser_cooldown_secs = 0\nrepeat_window_secs = 0\nwatch_faq = false\n[store]\nurl = {:?}\n",
            fake.base_url(),
            db.url(),
        ),
    )
    .expect("config");
    let token = "MTEwMDAwMDAwMDAwMDAwMDAx.Gx7Yzq.two-process-test-token000";
    let start = |range: &str| {
        faqbot_run(&config, token)
            .args(["--shards", range, "--total-shards", "2"])
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("faqbot starts")
    };
    let mut first = start("0-0");
    let mut second = start("1-1");
    fake.wait_until_ready_shards(&[0, 1], Duration::from_secs(60))
        .await
        .expect("both processes connect their shard");
    // Two processes, one bucket (max_concurrency 1): the second IDENTIFY
    // waited for the first's turn in the store, 5 s after its READY.
    let identifies = fake.identify_log();
    assert_eq!(identifies.len(), 2, "{identifies:?}");
    let gaps = fake.identify_bucket_gaps();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert!(gaps[0].gap >= Duration::from_secs(5), "{gaps:?}");
    println!("IDENTIFY of shard 1 came {:?} after shard 0's", gaps[0].gap);

    // Each server answered from its own FAQ, by the process of its shard.
    assert!(penguins(
        answer_in(&fake, a, PENGUIN_QUESTION).await.as_deref()
    ));
    assert!(!penguins(
        answer_in(&fake, b, PENGUIN_QUESTION).await.as_deref()
    ));
    let bundled = "Can host country authorities enter an embassy without permission?";
    assert!(answer_in(&fake, b, bundled)
        .await
        .is_some_and(|t| t.contains("Vienna Convention")));
    assert!(fake.dispatches().iter().any(|d| d.shard == 0));
    assert!(fake.dispatches().iter().any(|d| d.shard == 1));

    // Stopping the second process leaves A answering; B's events have
    // nowhere to go.
    assert!(sigterm_and_wait(&mut second).await.success());
    fake.wait_until_disconnected(1, Duration::from_secs(10))
        .await
        .expect("shard 1 goes away with its process");
    assert!(penguins(
        answer_in(&fake, a, PENGUIN_QUESTION).await.as_deref()
    ));
    let undelivered = fake
        .try_dispatch(
            "INTERACTION_CREATE",
            in_server(ask_slash(bundled), b),
            Duration::ZERO,
        )
        .await;
    assert!(undelivered.is_err(), "{undelivered:?}");
    assert!(sigterm_and_wait(&mut first).await.success());

    // Both wrote the one store; each server's report has its own only.
    assert_eq!(reported_questions(&config, db.url(), a), 2);
    assert_eq!(reported_questions(&config, db.url(), b), 2);
}
