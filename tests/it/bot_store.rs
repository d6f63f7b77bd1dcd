//! The bot's side of the moderators' loop, end to end against the fake
//! Discord with a real store in a temporary file: every question handled
//! is recorded with its trigger, outcome and entry; answers carry 👍/👎
//! and Why?; a vote is one per person (and no user id reaches the file);
//! picks from the menu and the suggestions are tied to the question that
//! led to them; `/faq-stats` is for moderators and counts what was asked.
//! Reads go through `store::Reader` after `Store::flush`, polled with a
//! generous deadline where the bot answers nothing to wait for.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use faqbot::store::{self, Options, Outcome, Question, Reader, Store, Trigger, Via};
use serde_json::{json, Value};

use crate::root;
use crate::support::bot::{
    ask_slash, assert_every_body_has_no_pings, assert_no_pings, assert_refused_to_non_moderators,
    content, deferred_private_reply, interact, mention, say, shown, start_bot_with,
    start_bot_with_store, Running, OTHER_USER,
};
use crate::support::fake_discord::{
    component, guild_command, message, user, with_member_rights, FakeDiscord, CHANNEL_ID, GUILD_ID,
    USER_ID,
};

const HELP_CHANNEL: u64 = CHANNEL_ID + 1;
const DM_CHANNEL: u64 = CHANNEL_ID + 7;
/// Discord's Manage Server permission bit.
const MANAGE_GUILD: u64 = 1 << 5;
/// Generous: the writer normally has a question on disk within
/// milliseconds.
const STORE_TIMEOUT: Duration = Duration::from_secs(15);

const ANSWERED: &str = "can cops just walk into an embassy";
const ANSWERED_ENTRY: &str = "host-country-no-entry-without-consent";
const UNSURE: &str = "embassy protection";
const NOTHING_FITS: &str = "what's a good pizza recipe";

/// A bot recording to a store in a temporary directory.
struct Recording {
    bot: Running,
    store: Arc<Store>,
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Recording {
    async fn start() -> Recording {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("faqbot.db");
        let store = Arc::new(Store::open(&path, Options::default()));
        let bot = start_bot_with_store(&root().join("faq"), store.clone(), |s| {
            s.help_channels = vec![HELP_CHANNEL];
        })
        .await;
        Recording {
            bot,
            store,
            path,
            _dir: dir,
        }
    }

    fn fake(&self) -> &FakeDiscord {
        &self.bot.fake
    }

    /// Writes what is queued, then opens the database to read it.
    async fn reader(&self) -> Reader {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.flush())
            .await
            .expect("flush");
        Reader::open(&self.path).expect("the store opens")
    }

    /// The questions recorded, once there are at least `n` (the bot
    /// records a question as it handles it, which may be after the event
    /// was dispatched when there is no reply to wait for).
    async fn questions(&self, n: usize) -> Vec<Question> {
        let deadline = Instant::now() + STORE_TIMEOUT;
        loop {
            let questions = self
                .reader()
                .await
                .questions_since(0, &faqbot::store::Scope::All)
                .expect("read");
            if questions.len() >= n {
                return questions;
            }
            assert!(
                Instant::now() < deadline,
                "{} questions recorded, expected {n}: {questions:?}",
                questions.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn question<'a>(questions: &'a [Question], text: &str) -> &'a Question {
    questions
        .iter()
        .find(|q| q.text == text)
        .unwrap_or_else(|| panic!("{text:?} is recorded: {questions:?}"))
}

/// The custom ids of the buttons in a message's components.
fn buttons(data: &Value) -> Vec<(String, String)> {
    data["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().into_iter().flatten())
        .filter(|c| c["type"] == 2)
        .map(|b| {
            (
                b["label"].as_str().unwrap_or("").to_string(),
                b["custom_id"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// `payload` (a component interaction) as clicked by `user_id`: the
/// member's user in a guild, the user elsewhere.
fn clicked_by(mut payload: Value, user_id: u64) -> Value {
    let clicker = user(user_id, "someone-else");
    match payload.get_mut("member") {
        Some(member) if member.is_object() => member["user"] = clicker,
        _ => payload["user"] = clicker,
    }
    payload
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_question_handled_is_recorded_with_trigger_outcome_and_entry() {
    let rec = Recording::start().await;
    let fake = rec.fake();
    let started = store::now_unix();

    interact(fake, ask_slash(ANSWERED)).await;
    interact(fake, ask_slash(NOTHING_FITS)).await;
    say(fake, mention("who protects embassies?", USER_ID)).await;
    say(
        fake,
        message(
            "can the police enter an embassy without permission",
            USER_ID,
            DM_CHANNEL,
            None,
            vec![],
            None,
        ),
    )
    .await;
    // Read in a help channel but not answered (no reply to wait for).
    fake.dispatch(
        "MESSAGE_CREATE",
        message(
            "lol anyone up for pizza",
            USER_ID,
            HELP_CHANNEL,
            Some(GUILD_ID),
            vec![],
            None,
        ),
    )
    .await;

    let questions = rec.questions(5).await;
    assert_eq!(questions.len(), 5, "{questions:?}");

    let q = question(&questions, ANSWERED);
    assert_eq!(q.trigger, Trigger::Slash);
    assert_eq!(q.outcome, Outcome::Answer);
    assert_eq!(q.entry.as_deref(), Some(ANSWERED_ENTRY));
    assert!(q.score >= 0.55, "{q:?}");
    assert_eq!(q.guild_id, Some(GUILD_ID));
    assert_eq!(q.channel_id, Some(CHANNEL_ID));
    assert!(q.at >= started, "{q:?}");

    let q = question(&questions, NOTHING_FITS);
    assert_eq!((q.trigger, q.outcome), (Trigger::Slash, Outcome::Fallback));

    // Asked as "<@bot id> who protects embassies?": kept without the
    // mention, so that no user id is stored.
    let q = question(&questions, "who protects embassies?");
    assert!(
        questions.iter().all(|q| !q.text.contains("<@")),
        "{questions:?}"
    );
    assert_eq!((q.trigger, q.outcome), (Trigger::Mention, Outcome::Answer));
    assert_eq!(q.entry.as_deref(), Some("faq-who-is-responsible"));

    let q = question(
        &questions,
        "can the police enter an embassy without permission",
    );
    assert_eq!((q.trigger, q.outcome), (Trigger::Dm, Outcome::Answer));
    assert_eq!(q.entry.as_deref(), Some(ANSWERED_ENTRY));
    assert_eq!(
        (q.guild_id, q.channel_id),
        (None, None),
        "a DM channel stands for a person: not kept"
    );

    let q = question(&questions, "lol anyone up for pizza");
    assert_eq!(
        (q.trigger, q.outcome),
        (Trigger::HelpChannel, Outcome::Fallback)
    );
    assert_eq!(q.channel_id, Some(HELP_CHANNEL));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn votes_count_once_per_person_and_no_user_id_reaches_the_file() {
    let rec = Recording::start().await;
    let fake = rec.fake();
    let cb = interact(fake, ask_slash(ANSWERED)).await;
    let recorded = rec.questions(1).await;
    let id = recorded[0].id;

    let row = buttons(&cb.body["data"]);
    assert_eq!(
        row,
        [
            ("👍".to_string(), format!("faq:up:{id}")),
            ("👎".to_string(), format!("faq:down:{id}")),
            ("Why?".to_string(), format!("faq:why:{id}")),
        ],
        "the answer carries the question's id in its buttons"
    );
    let answer = shown(fake, &cb);
    let down = format!("faq:down:{id}");
    let up = format!("faq:up:{id}");
    for payload in [
        component(&down, None, &answer),
        component(&down, None, &answer),
        clicked_by(component(&up, None, &answer), OTHER_USER),
    ] {
        let thanks = interact(fake, payload).await;
        assert_eq!(thanks.body["type"], 4, "{}", thanks.body);
        assert_eq!(
            thanks.body["data"]["flags"], 64,
            "privately: {}",
            thanks.body
        );
        assert_eq!(content(&thanks.body["data"]), "Thanks — noted.");
        assert_no_pings(&thanks.body);
    }

    let totals = rec
        .reader()
        .await
        .vote_totals(0, &faqbot::store::Scope::All)
        .expect("read");
    assert_eq!(
        totals,
        [store::VoteTotal {
            entry: ANSWERED_ENTRY.into(),
            up: 1,
            down: 1
        }],
        "the same person's two 👎 are one vote"
    );

    // Nothing in the database, or its write-ahead log, is a user id.
    let mut bytes = Vec::new();
    for suffix in ["", "-wal"] {
        let file = PathBuf::from(format!("{}{suffix}", rec.path.display()));
        if let Ok(b) = std::fs::read(&file) {
            bytes.extend(b);
        }
    }
    assert!(bytes.len() > 1000, "the database was read");
    for voter in [USER_ID, OTHER_USER] {
        for needle in [
            voter.to_string().into_bytes(),
            voter.to_be_bytes().to_vec(),
            voter.to_le_bytes().to_vec(),
        ] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                "user id {voter} is stored in clear"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn picks_from_the_menu_and_the_suggestions_are_tied_to_their_question() {
    let rec = Recording::start().await;
    let fake = rec.fake();

    // Nothing fits: topic -> question -> answer.
    let cb = interact(fake, ask_slash(NOTHING_FITS)).await;
    let fallback_id = rec.questions(1).await[0].id;
    let select = &cb.body["data"]["components"][0]["components"][0];
    let topics_id = select["custom_id"].as_str().expect("custom_id");
    assert_eq!(topics_id, format!("faq:topics:0:{fallback_id}"));
    let un = select["options"]
        .as_array()
        .expect("options")
        .iter()
        .find(|o| o["label"].as_str().is_some_and(|l| l.contains("UN")))
        .expect("the UN topic");
    let menu = shown(fake, &cb);
    let chosen = interact(
        fake,
        component(
            topics_id,
            Some(vec![un["value"].as_str().expect("value").to_string()]),
            &menu,
        ),
    )
    .await;
    let questions = &chosen.body["data"]["components"][0]["components"][0];
    let questions_id = questions["custom_id"].as_str().expect("custom_id");
    assert!(
        questions_id.ends_with(&format!(":{fallback_id}")),
        "the question id goes along: {questions_id}"
    );
    let picked = questions["options"][1]["value"].as_str().expect("value");
    let picked_entry = picked.strip_prefix("e:").expect("an entry option");
    let answer = interact(
        fake,
        component(questions_id, Some(vec![picked.to_string()]), &menu),
    )
    .await;
    assert!(
        answer.body["data"]["embeds"][0].is_object(),
        "{}",
        answer.body
    );

    // Unsure: a suggestion click, on the second suggestion (not the
    // question's best entry).
    let cb = interact(fake, ask_slash(UNSURE)).await;
    let unsure = rec.questions(2).await;
    let unsure_q = question(&unsure, UNSURE);
    let unsure_id = unsure_q.id;
    assert_eq!(unsure_q.entry.as_deref(), Some("faq-who-is-responsible"));
    let (_, second) = buttons(&cb.body["data"])
        .into_iter()
        .nth(1)
        .expect("a second suggestion button");
    assert_eq!(
        second,
        format!("faq:answer:security-measures-what-it-involves:{unsure_id}")
    );
    let picked_answer = interact(fake, component(&second, None, &shown(fake, &cb))).await;
    // The picked answer takes votes for the entry picked (not the
    // question's best entry), and has no Why? (the bot did not choose it).
    let feedback = buttons(&picked_answer.body["data"]);
    let labels: Vec<&str> = feedback.iter().map(|b| b.0.as_str()).collect();
    assert_eq!(labels, ["👍", "👎"], "{}", picked_answer.body);
    assert_eq!(
        feedback[1].1,
        format!("faq:down:{unsure_id}:security-measures-what-it-involves")
    );
    let voted = interact(
        fake,
        component(&feedback[1].1, None, &shown(fake, &picked_answer)),
    )
    .await;
    assert!(
        content(&voted.body["data"]).contains("noted"),
        "{}",
        voted.body
    );

    // Browsing with /faq-topics is no question: its pick is not recorded.
    let cb = interact(fake, guild_command("faq-topics", json!([]))).await;
    let browse = &cb.body["data"]["components"][0]["components"][0];
    assert_eq!(browse["custom_id"], "faq:topics:0", "no question id");
    let menu = shown(fake, &cb);
    let chosen = interact(
        fake,
        component("faq:topics:0", Some(vec!["t:0".into()]), &menu),
    )
    .await;
    let questions = &chosen.body["data"]["components"][0]["components"][0];
    interact(
        fake,
        component(
            questions["custom_id"].as_str().expect("custom_id"),
            Some(vec![questions["options"][0]["value"]
                .as_str()
                .expect("value")
                .to_string()]),
            &menu,
        ),
    )
    .await;

    let reader = rec.reader().await;
    let votes = reader
        .vote_totals(0, &faqbot::store::Scope::All)
        .expect("read");
    assert_eq!(
        votes
            .iter()
            .map(|v| (v.entry.as_str(), v.up, v.down))
            .collect::<Vec<_>>(),
        [("security-measures-what-it-involves", 0, 1)],
        "the vote counts for the entry picked, not the question's best"
    );
    let picks = reader
        .picks_since(0, &faqbot::store::Scope::All)
        .expect("read");
    let summary: Vec<(u64, &str, Via, Option<&str>)> = picks
        .iter()
        .map(|p| (p.question.0, p.picked.as_str(), p.via, p.text.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            (fallback_id.0, picked_entry, Via::Menu, Some(NOTHING_FITS)),
            (
                unsure_id.0,
                "security-measures-what-it-involves",
                Via::Suggestion,
                Some(UNSURE)
            ),
        ]
    );
    assert_every_body_has_no_pings(fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn why_explains_an_answer_privately_and_odd_ids_are_ignored() {
    let rec = Recording::start().await;
    let fake = rec.fake();
    let r = say(fake, mention("who protects embassies?", USER_ID)).await;
    let (_, why) = buttons(&r.body)
        .into_iter()
        .find(|(label, _)| label == "Why?")
        .expect("a Why? button under the answer");
    let explained = interact(
        fake,
        clicked_by(component(&why, None, &r.response), OTHER_USER),
    )
    .await;
    assert_eq!(explained.body["type"], 4, "{}", explained.body);
    assert_eq!(explained.body["data"]["flags"], 64, "{}", explained.body);
    let text = content(&explained.body["data"]);
    assert!(
        text.contains("Best match: `faq-who-is-responsible`"),
        "{text}"
    );
    assert!(text.contains("Thresholds:"), "{text}");
    assert!(text.chars().count() <= 2000);
    assert_no_pings(&explained.body);

    // A question the bot does not know (another run's, long gone).
    let old = interact(fake, component("faq:why:12345", None, &r.response)).await;
    assert!(
        content(&old.body["data"]).contains("too old to explain"),
        "{}",
        old.body
    );

    // Broken or stale ids: a private "out of date" reply, no crash.
    for odd in [
        "faq:up:",
        "faq:why:x",
        "faq:down:-3",
        "other-bot:vote",
        "faq:answer:a:b:c",
    ] {
        let reply = interact(fake, component(odd, None, &r.response)).await;
        assert_eq!(reply.body["data"]["flags"], 64, "{odd}: {}", reply.body);
        assert!(
            content(&reply.body["data"]).contains("out of date"),
            "{odd}: {}",
            reply.body
        );
    }
    let still = interact(fake, ask_slash(ANSWERED)).await;
    assert!(
        still.body["data"]["embeds"][0].is_object(),
        "{}",
        still.body
    );
}

/// `/faq-stats` as `USER_ID` with the given rights.
fn stats_command(permissions: u64, days: Option<i64>) -> Value {
    let options = match days {
        Some(d) => json!([{"name": "days", "type": 4, "value": d}]),
        None => json!([]),
    };
    with_member_rights(guild_command("faq-stats", options), permissions, &[])
}

/// Sends the command as a moderator and returns the private reply.
async fn stats_as_moderator(fake: &FakeDiscord, payload: Value) -> String {
    deferred_private_reply(fake, payload, STORE_TIMEOUT).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faq_stats_is_for_moderators_and_counts_what_was_asked() {
    let rec = Recording::start().await;
    let fake = rec.fake();
    let command = fake
        .registered_commands(Some(GUILD_ID))
        .into_iter()
        .find(|c| c["name"] == "faq-stats")
        .expect("/faq-stats is registered");
    assert_eq!(
        command["default_member_permissions"],
        MANAGE_GUILD.to_string(),
        "shown only to Manage Server by default: {command}"
    );

    interact(fake, ask_slash(ANSWERED)).await;
    interact(fake, ask_slash("who protects embassies")).await;
    interact(fake, ask_slash(NOTHING_FITS)).await;
    rec.questions(3).await;

    let refused = interact(fake, stats_command(0, None)).await;
    assert_refused_to_non_moderators(&refused);

    let stats = stats_as_moderator(fake, stats_command(MANAGE_GUILD, None)).await;
    assert!(
        stats.starts_with("FAQ stats, last 7 days: 3 questions, 2 answered (67 %)"),
        "{stats}"
    );
    assert!(stats.contains(ANSWERED_ENTRY), "most asked: {stats}");
    assert!(stats.contains(NOTHING_FITS), "unanswered: {stats}");
    assert!(stats.chars().count() <= 2000);
    let one_day = stats_as_moderator(fake, stats_command(MANAGE_GUILD, Some(1))).await;
    assert!(
        one_day.starts_with("FAQ stats, last 1 day: 3 questions"),
        "{one_day}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_store_off_answers_have_no_votes_and_stats_say_so() {
    // `[store] path = ""`, as `start_bot_with` runs every other bot test.
    let bot = start_bot_with(&root().join("faq"), |_| {}).await;
    let fake = &bot.fake;
    let cb = interact(fake, ask_slash(ANSWERED)).await;
    let labels: Vec<String> = buttons(&cb.body["data"]).into_iter().map(|b| b.0).collect();
    assert_eq!(labels, ["Why?"], "no votes to record, so no vote buttons");
    let (_, why) = buttons(&cb.body["data"]).remove(0);
    let explained = interact(fake, component(&why, None, &shown(fake, &cb))).await;
    assert!(content(&explained.body["data"]).contains("Best match:"));

    let off = interact(fake, stats_command(MANAGE_GUILD, None)).await;
    assert_eq!(off.body["data"]["flags"], 64, "{}", off.body);
    assert!(
        content(&off.body["data"]).contains("store is off"),
        "{}",
        off.body
    );
}

/// A database that cannot be written (here a directory where the file
/// should be) loses the record, not the answers: the bot answers, shows
/// its buttons, takes votes without erroring, and the store counts the
/// lost events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_cannot_be_written_does_not_stop_answering() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(Store::open(dir.path(), Options::default()));
    let bot = start_bot_with_store(&root().join("faq"), store.clone(), |_| {}).await;
    let fake = &bot.fake;
    for _ in 0..3 {
        let cb = interact(fake, ask_slash(ANSWERED)).await;
        assert!(
            cb.body["data"]["embeds"][0]["description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "{}",
            cb.body
        );
        let (_, down) = buttons(&cb.body["data"])
            .into_iter()
            .find(|b| b.0 == "👎")
            .expect("a 👎 button");
        let voted = interact(fake, component(&down, None, &shown(fake, &cb))).await;
        assert!(
            content(&voted.body["data"]).contains("noted"),
            "{}",
            voted.body
        );
    }
    let stats = tokio::task::spawn_blocking(move || {
        store.flush();
        store.stats()
    })
    .await
    .expect("flush");
    assert_eq!(stats.written, 0, "{stats:?}");
    assert!(stats.failed >= 6, "3 questions and 3 votes lost: {stats:?}");
}
