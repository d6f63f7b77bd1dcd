//! `faqbot serve`, the shipped binary, as two replicas behind the test
//! acting as a round-robin balancer, with REST (registering, follow-ups)
//! going to the fake Discord: signed interaction webhooks are answered in
//! the HTTP response, a missing or bad signature gets 401, PING gets PONG,
//! and a bounded load is acknowledged in full.

#![cfg(unix)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ed25519_dalek::{Signer, SigningKey};
use serde_json::{json, Value};

use crate::root;
use crate::support::bot::ask_slash;
use crate::support::fake_discord::{
    autocomplete, component, focused_option, guild_command, FakeDiscord, GUILD_ID,
};
use crate::support::http::{free_addr, wait_for_status};

/// The application's key pair, as the Developer Portal would hold it.
fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

fn public_key_hex() -> String {
    signing_key()
        .verifying_key()
        .to_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Discord's signature of `body` sent at `timestamp`, in hex.
fn sign(timestamp: &str, body: &[u8]) -> String {
    let message = [timestamp.as_bytes(), body].concat();
    signing_key()
        .sign(&message)
        .to_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Replicas of `faqbot serve` and the round-robin balancer in front.
pub struct Replicas {
    pub addrs: Vec<SocketAddr>,
    next: AtomicUsize,
    client: reqwest::Client,
    _children: Vec<tokio::process::Child>,
}

impl Replicas {
    /// `n` replicas on the bundled FAQ, REST through `fake`, sharing the
    /// config `extra` adds to (tables after `[discord]`).
    pub async fn start(n: usize, fake: &FakeDiscord, dir: &Path, extra: &str) -> Replicas {
        Replicas::start_on(&root().join("faq"), n, fake, dir, extra).await
    }

    /// [`Replicas::start`] on the FAQ in `faq`.
    pub async fn start_on(
        faq: &Path,
        n: usize,
        fake: &FakeDiscord,
        dir: &Path,
        extra: &str,
    ) -> Replicas {
        let config = dir.join("faqbot.toml");
        std::fs::write(
            &config,
            format!(
                "faq_dir = {:?}\n[discord]\nguild_ids = [{GUILD_ID}]\nproxy = {:?}\npublic_key = {:?}\nuser_cooldown_secs = 0\nrepeat_window_secs = 0\n{extra}",
                faq,
                fake.base_url(),
                public_key_hex(),
            ),
        )
        .expect("config");
        let mut addrs = Vec::new();
        let mut children = Vec::new();
        for _ in 0..n {
            let addr = free_addr();
            let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_faqbot"))
                .arg("--config")
                .arg(&config)
                .arg("serve")
                .arg("--listen")
                .arg(addr.to_string())
                .env(
                    "DISCORD_TOKEN",
                    "MTEwMDAwMDAwMDAwMDAwMDAx.Gx7Yzq.serve-test-token-00000000",
                )
                .env_remove("RUST_LOG")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("faqbot serve starts");
            addrs.push(addr);
            children.push(child);
        }
        for &addr in &addrs {
            wait_for_status(addr, "/healthz", 200).await;
        }
        Replicas {
            addrs,
            next: AtomicUsize::new(0),
            client: reqwest::Client::new(),
            _children: children,
        }
    }

    /// The next replica, round robin.
    pub fn pick(&self) -> SocketAddr {
        self.addrs[self.next.fetch_add(1, Ordering::Relaxed) % self.addrs.len()]
    }

    /// POSTs `body` to `addr`'s endpoint with `signature` (none: unsigned);
    /// the status and the JSON answer (Null if it is not JSON).
    pub async fn post(
        &self,
        addr: SocketAddr,
        body: &[u8],
        signature: Option<(&str, &str)>,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("http://{addr}/interactions"))
            .header("content-type", "application/json")
            .timeout(Duration::from_secs(10))
            .body(body.to_vec());
        if let Some((signature, timestamp)) = signature {
            request = request
                .header("X-Signature-Ed25519", signature)
                .header("X-Signature-Timestamp", timestamp);
        }
        let response = request.send().await.expect("the replica answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// `interaction`, signed as Discord signs it, to the next replica.
    pub async fn send(&self, interaction: &Value) -> (u16, Value) {
        self.send_to(self.pick(), interaction).await
    }

    /// `interaction`, signed, to the replica at `addr`.
    pub async fn send_to(&self, addr: SocketAddr, interaction: &Value) -> (u16, Value) {
        let body = serde_json::to_vec(interaction).expect("JSON");
        let timestamp = format!("{}", faqbot::store::now_unix());
        let signature = sign(&timestamp, &body);
        self.post(addr, &body, Some((&signature, &timestamp))).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_webhooks_are_answered_by_either_replica_and_bad_signatures_get_401() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let replicas = Replicas::start(2, &fake, dir.path(), "[store]\npath = \"\"\n").await;

    // PING, as Discord sends when the URL is saved.
    for _ in 0..2 {
        let (status, pong) = replicas
            .send(&json!({"id": "1", "type": 1, "application_id": "1", "token": "t", "version": 1}))
            .await;
        assert_eq!((status, pong), (200, json!({"type": 1})));
    }
    // A question, to each replica in turn: answered in the HTTP response.
    for _ in 0..2 {
        let (status, answer) = replicas
            .send(&ask_slash("can cops just walk into an embassy"))
            .await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["type"], 4, "{answer}");
        let embed = &answer["data"]["embeds"][0];
        assert!(
            embed["title"]
                .as_str()
                .is_some_and(|d| d.contains("embassy")),
            "{answer}"
        );
        assert!(
            embed["description"]
                .as_str()
                .is_some_and(|d| d.ends_with("Source: Host Country Responsibilities")),
            "{answer}"
        );
        assert_eq!(
            answer["data"]["allowed_mentions"]["parse"],
            json!([]),
            "no pings: {answer}"
        );
    }
    // A button: Why? on an answer, from the message Discord made of it.
    // (Both to one replica: the other would need the store, off here, to
    // know the question.)
    let asked = ask_slash("who protects embassies?");
    let one = replicas.addrs[0];
    let (_, answer) = replicas.send_to(one, &asked).await;
    fake.answered_by_webhook(&asked, &answer)
        .expect("a valid answer");
    let token = asked["token"].as_str().expect("token");
    let message = fake.original_response(token).expect("the answer's message");
    let why = answer["data"]["components"][0]["components"]
        .as_array()
        .and_then(|buttons| buttons.iter().find(|b| b["label"] == "Why?"))
        .and_then(|b| b["custom_id"].as_str())
        .expect("a Why? button")
        .to_string();
    let (status, explained) = replicas
        .send_to(one, &component(&why, None, &message))
        .await;
    assert_eq!(status, 200);
    assert_eq!(explained["type"], 4, "{explained}");
    assert_eq!(explained["data"]["flags"], 64, "privately: {explained}");
    assert!(
        explained["data"]["content"]
            .as_str()
            .is_some_and(|c| c.starts_with("Why this reply to \"who protects embassies?\"")),
        "explained: {explained}"
    );
    // A select menu: /faq-topics, then a topic, updating the menu's message.
    let topics = guild_command("faq-topics", json!([]));
    let (_, menu) = replicas.send(&topics).await;
    fake.answered_by_webhook(&topics, &menu)
        .expect("a valid menu");
    let select = &menu["data"]["components"][0]["components"][0];
    let first = select["options"][0]["value"]
        .as_str()
        .expect("a topic")
        .to_string();
    let menu_id = select["custom_id"].as_str().expect("custom id").to_string();
    let shown = fake
        .original_response(topics["token"].as_str().expect("token"))
        .expect("the menu's message");
    let (status, picked) = replicas
        .send(&component(&menu_id, Some(vec![first]), &shown))
        .await;
    assert_eq!(status, 200);
    assert!(
        matches!(picked["type"].as_u64(), Some(4 | 7)),
        "the topic's questions: {picked}"
    );
    assert!(
        picked["data"]["components"][0]["components"][0]["options"]
            .as_array()
            .is_some_and(|o| !o.is_empty()),
        "{picked}"
    );

    // Autocomplete.
    let typing = autocomplete(
        "faq",
        json!([focused_option("question", "who protects emb")]),
    );
    let (status, choices) = replicas.send(&typing).await;
    assert_eq!(status, 200);
    assert_eq!(choices["type"], 8, "{choices}");
    assert!(
        !choices["data"]["choices"]
            .as_array()
            .expect("choices")
            .is_empty(),
        "{choices}"
    );

    // Unsigned, signed with another key, signed for another body or time.
    let body = serde_json::to_vec(&ask_slash("who protects embassies?")).expect("JSON");
    let timestamp = "1700000000";
    let good = sign(timestamp, &body);
    let other_key = SigningKey::from_bytes(&[9; 32]);
    let forged: String = other_key
        .sign(&[timestamp.as_bytes(), &body].concat())
        .to_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let addr = replicas.pick();
    for (signature, why) in [
        (None, "unsigned"),
        (Some((forged.as_str(), timestamp)), "another key"),
        (Some((good.as_str(), "1700000001")), "another timestamp"),
        (Some(("zz", timestamp)), "not hex"),
    ] {
        let (status, _) = replicas.post(addr, &body, signature).await;
        assert_eq!(status, 401, "{why}");
    }
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    let (status, _) = replicas
        .post(addr, &tampered, Some((&good, timestamp)))
        .await;
    assert_eq!(status, 401, "a changed body");
    let (status, answer) = replicas.post(addr, &body, Some((&good, timestamp))).await;
    assert_eq!(
        (status, answer["type"].clone()),
        (200, json!(4)),
        "the genuine request"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounded_load_of_2000_interactions_is_acknowledged_in_full() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("faqbot.db");
    let replicas = std::sync::Arc::new(
        Replicas::start(
            2,
            &fake,
            dir.path(),
            &format!("[store]\npath = {store:?}\n"),
        )
        .await,
    );
    let questions = [
        "can cops just walk into an embassy",
        "who protects embassies?",
        "what does the vienna convention say about diplomats",
        "do private security firms guard embassies",
        "asdf qwer zxcv",
    ];
    // At most 32 in flight, as a balancer in front would queue the rest.
    let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(32));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..2000 {
        let (replicas, limit) = (replicas.clone(), limit.clone());
        let question = questions[i % questions.len()];
        tasks.spawn(async move {
            let _slot = limit.acquire_owned().await.expect("semaphore");
            let started = Instant::now();
            let (status, body) = replicas.send(&ask_slash(question)).await;
            (status, body["type"].as_u64(), started.elapsed())
        });
    }
    let mut worst = Duration::ZERO;
    let mut kinds = std::collections::BTreeMap::new();
    while let Some(done) = tasks.join_next().await {
        let (status, kind, took) = done.expect("a request task");
        assert_eq!(status, 200);
        *kinds.entry(kind).or_insert(0) += 1;
        worst = worst.max(took);
    }
    println!("2000 interactions: responses by type {kinds:?}, slowest ack {worst:?}");
    // Answers (4) or, when late, deferrals (5); nothing else, nothing lost.
    assert_eq!(kinds.values().sum::<usize>(), 2000);
    assert!(kinds.keys().all(|k| matches!(k, Some(4 | 5))), "{kinds:?}");
    // The endpoint defers at 2 s: an acknowledgement past Discord's 3 s
    // would mean the endpoint itself was stuck.
    assert!(worst < Duration::from_secs(3), "slowest ack {worst:?}");
}

/// When the bot's answer comes after the endpoint has deferred, it is
/// edited into the deferred reply instead of being lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_after_the_deferral_is_edited_into_the_deferred_reply() {
    use faqbot::discord::rest::Rest;
    use serenity::all::{
        CreateInteractionResponse, CreateInteractionResponseMessage, HttpBuilder, InteractionId,
    };

    let fake = FakeDiscord::start().await;
    let interaction = ask_slash("who protects embassies?");
    let token = interaction["token"].as_str().expect("token").to_string();
    let http = HttpBuilder::new("MTEw.serve-test.token")
        .proxy(fake.base_url())
        .ratelimiter_disabled(true)
        .build();
    http.set_application_id(crate::support::fake_discord::APP_ID.into());
    let rest = Rest::default();
    let id = InteractionId::new(interaction["id"].as_str().expect("id").parse().expect("id"));
    let _waiting = rest.callbacks().expect(id);
    assert!(rest.callbacks().give_up(id), "the endpoint deferred");
    // Discord got the endpoint's deferral as the webhook's answer.
    let deferral = json!({"type": 5, "data": {"flags": 64}});
    fake.answered_by_webhook(&interaction, &deferral)
        .expect("a valid deferral");
    let late = CreateInteractionResponse::Message(
        CreateInteractionResponseMessage::new().content("the late answer"),
    );
    rest.respond(&http, id, &token, &late)
        .await
        .expect("edited in");
    let edit = fake
        .wait_for(
            |r| r.method == "PATCH" && r.path.ends_with(&format!("/{token}/messages/@original")),
            Duration::from_secs(5),
        )
        .await
        .expect("an edit of the deferred reply");
    assert_eq!(edit.body["content"], "the late answer", "{}", edit.body);
    assert!(
        fake.requests()
            .iter()
            .all(|r| !r.is("POST", "/interactions/*/*/callback")),
        "no second response to the interaction"
    );
}

/// A `/faq-reload` through one replica reaches the other through the
/// shared Postgres store (`NOTIFY`), with no watcher on either: the other
/// answers from the new version within 2 s of the first's report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_through_one_replica_is_seen_by_the_other_within_two_seconds() {
    use crate::reload::{with_penguins, FaqCopy, EDITED_FILE, PENGUIN_ANSWER, PENGUIN_QUESTION};
    use crate::support::fake_discord::with_member_rights;

    let Some(db) = crate::support::postgres::TestDb::create("serve replicas reload") else {
        return;
    };
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let faq = FaqCopy::new();
    let extra = format!(
        "watch_faq = false\n[matching]\nsemantic = false\n[store]\nurl = {:?}\n",
        db.url()
    );
    let replicas = Replicas::start_on(&faq.dir, 2, &fake, dir.path(), &extra).await;
    let (first, second) = (replicas.addrs[0], replicas.addrs[1]);
    let penguins = |answer: &Value| {
        answer["data"]["embeds"][0]["description"]
            .as_str()
            .is_some_and(|d| d.contains(PENGUIN_ANSWER))
    };
    let (_, before) = replicas.send_to(second, &ask_slash(PENGUIN_QUESTION)).await;
    assert!(!penguins(&before), "not known yet: {before}");
    // Give the second replica a moment to be listening.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let (edited, _) = with_penguins(&faq.read(EDITED_FILE), false);
    faq.write(EDITED_FILE, &edited);
    let reload = with_member_rights(guild_command("faq-reload", json!([])), 1 << 5, &[]);
    let token = reload["token"].as_str().expect("token").to_string();
    let (status, deferred) = replicas.send_to(first, &reload).await;
    assert_eq!(
        (status, deferred["type"].clone()),
        (200, json!(5)),
        "{deferred}"
    );
    fake.answered_by_webhook(&reload, &deferred)
        .expect("a valid deferral");
    let report = fake
        .wait_for(
            |r| r.method == "PATCH" && r.path.ends_with(&format!("/{token}/messages/@original")),
            Duration::from_secs(20),
        )
        .await
        .expect("the first replica reports the reload");
    let reported = Instant::now();
    let text = report.body["content"].as_str().unwrap_or_default();
    assert!(text.starts_with("FAQ reloaded"), "{text}");
    loop {
        let (_, answer) = replicas.send_to(second, &ask_slash(PENGUIN_QUESTION)).await;
        if penguins(&answer) {
            break;
        }
        assert!(
            reported.elapsed() < Duration::from_secs(2),
            "the second replica still answers from the old FAQ: {answer}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "reload seen by the other replica {:?} after the report",
        reported.elapsed()
    );
}
