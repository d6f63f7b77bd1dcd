//! The bot harness the Discord tests share: faqbot's real serenity client,
//! started by `faqbot::discord::run` exactly as `faqbot run` starts it
//! (only the proxy address differs) against a [`FakeDiscord`], and stopped
//! when the [`Running`] bot is dropped; the payloads tests send it, the
//! waits for its answers, the checks every answer must pass (no pings, the
//! source section), the 429 set-up, and the shipped binary run against the
//! fake. [`start_bot_direct`] runs the bot with no proxy, through
//! serenity's ratelimiter, against the fake as `https://discord.com`.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use faqbot::answer::engine::Engine;
use faqbot::cli::config::Config;
use faqbot::discord::config::{DiscordConfig, Token};
use faqbot::discord::{MakeHttp, Setup};
use faqbot::moderation::library::Library;
use faqbot::store::Store;
use faqbot::store::StoreConfig;
use serde_json::{json, Value};
use serenity::all::HttpBuilder;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::root;
use crate::support::fake_discord::{
    bot_user, guild_command, message, string_option, Failure, FakeDiscord, Request, BOT_USER_ID,
    CHANNEL_ID, DEFAULT_TIMEOUT, GUILD_ID,
};

pub(crate) const OTHER_USER: u64 = 1_100_000_000_000_000_301;
/// Shaped like a token; the fake takes any.
const TEST_TOKEN: &str = "MTEwMDAw.test-only.bm90LWEtcmVhbC10b2tlbg";

/// A bot running against a fake Discord; stopped on drop.
pub(crate) struct Running {
    pub(crate) fake: FakeDiscord,
    stop: Option<oneshot::Sender<()>>,
    pub(crate) task: JoinHandle<Result<(), serenity::Error>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.abort();
    }
}

/// The test-friendly settings: commands in [`GUILD_ID`], no cooldowns, REST
/// through `proxy` (`None`: directly to `https://discord.com`).
fn test_settings(proxy: Option<String>) -> DiscordConfig {
    DiscordConfig {
        proxy,
        guild_ids: vec![GUILD_ID],
        user_cooldown_secs: 0,
        repeat_window_secs: 0,
        ..DiscordConfig::default()
    }
}

/// A shutdown signal for the bot: send (or drop) the sender to stop it.
fn shutdown_signal() -> (
    oneshot::Sender<()>,
    impl Future<Output = ()> + Send + 'static,
) {
    let (stop, stopped) = oneshot::channel::<()>();
    (stop, async move {
        let _ = stopped.await;
    })
}

/// The store as `[store] path = ""` makes it: off.
pub(crate) fn store_off() -> Arc<Store> {
    let config = StoreConfig {
        location: None,
        ..StoreConfig::default()
    };
    Arc::new(Store::from_config(&config))
}

/// Starts the bot on `faq_dir` with test-friendly settings, changed by
/// `tweak`, and the store off (so every test here also shows that the
/// store being off changes nothing in answering); waits until it has
/// registered its commands.
pub(crate) async fn start_bot_with(
    faq_dir: &Path,
    tweak: impl FnOnce(&mut DiscordConfig),
) -> Running {
    start_bot_with_store(faq_dir, store_off(), tweak).await
}

/// [`start_bot_with`] recording to `store`.
pub(crate) async fn start_bot_with_store(
    faq_dir: &Path,
    store: Arc<Store>,
    tweak: impl FnOnce(&mut DiscordConfig),
) -> Running {
    start_bot_with_config(faq_dir, &Config::default(), store, tweak).await
}

/// [`start_bot_with_store`] with the matcher `config` says.
pub(crate) async fn start_bot_with_config(
    faq_dir: &Path,
    config: &Config,
    store: Arc<Store>,
    tweak: impl FnOnce(&mut DiscordConfig),
) -> Running {
    let fake = FakeDiscord::start().await;
    let engine = Engine::load(faq_dir, &config.engine()).expect("the FAQ loads");
    let mut settings = test_settings(Some(fake.base_url()));
    tweak(&mut settings);
    // With `faq_root`, the servers' own FAQs, as `faqbot run` loads them.
    let library = Library::with_root(engine, settings.faq_root.as_deref(), &config.engine());
    let token = Token::parse(TEST_TOKEN).expect("token shape");
    let (stop, shutdown) = shutdown_signal();
    let setup = Setup::new(Arc::new(library), settings, store);
    let task = tokio::spawn(faqbot::discord::run(setup, token, shutdown));
    wait_started(fake, stop, task).await
}

/// Starts the bot on the bundled FAQ with the test-friendly settings and no
/// proxy: REST goes to `https://discord.com/api/v10` (the fake's TLS side,
/// see [`FakeDiscord::direct_http`]) through serenity's ratelimiter, as in
/// production; the gateway is the fake's plain websocket. Waits until it
/// has registered its commands.
pub(crate) async fn start_bot_direct() -> Running {
    let fake = FakeDiscord::start_tls().await;
    let engine = Engine::load(
        &root().join("faq"),
        &faqbot::answer::engine::Settings::default(),
    )
    .expect("the FAQ loads");
    let settings = test_settings(None);
    let client = fake.direct_client();
    let make_http: MakeHttp = Arc::new(move || HttpBuilder::new(TEST_TOKEN).client(client.clone()));
    let (stop, shutdown) = shutdown_signal();
    let setup = Setup::new(Arc::new(Library::single(engine)), settings, store_off());
    let task = tokio::spawn(faqbot::discord::run_with_http(setup, make_http, shutdown));
    wait_started(fake, stop, task).await
}

/// Waits until the bot started by `task` is on the fake's gateway and has
/// registered its guild commands.
async fn wait_started(
    fake: FakeDiscord,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), serenity::Error>>,
) -> Running {
    fake.wait_until_ready(DEFAULT_TIMEOUT)
        .await
        .expect("the bot connects");
    commands_registered(&fake)
        .await
        .expect("the bot registers its commands");
    Running {
        fake,
        stop: Some(stop),
        task,
    }
}

/// The bot's bulk overwrite of its commands in [`GUILD_ID`], waited for
/// up to [`DEFAULT_TIMEOUT`].
pub(crate) async fn commands_registered(fake: &FakeDiscord) -> Result<Request, String> {
    fake.wait_for(
        |r| {
            r.is(
                "PUT",
                &format!("/applications/*/guilds/{GUILD_ID}/commands"),
            )
        },
        DEFAULT_TIMEOUT,
    )
    .await
}

/// [`start_bot_with`] on the bundled FAQ.
pub(crate) async fn start_bot(tweak: impl FnOnce(&mut DiscordConfig)) -> Running {
    start_bot_with(&root().join("faq"), tweak).await
}

/// A bot started with the default settings, and its callback to
/// `payload` (see [`interact`]).
pub(crate) async fn start_bot_and_interact(payload: Value) -> (Running, Request) {
    let bot = start_bot(|_| {}).await;
    let cb = interact(&bot.fake, payload).await;
    (bot, cb)
}

/// A message body's text content ("" when it has none).
pub(crate) fn content(body: &Value) -> &str {
    body["content"].as_str().unwrap_or("")
}

/// The data of the bot's private reply (flags 64) in the callback `cb`,
/// and its text.
#[track_caller]
pub(crate) fn private_reply(cb: &Request) -> (&Value, &str) {
    let data = &cb.body["data"];
    assert_eq!(data["flags"], 64, "private: {data}");
    (data, content(data))
}

/// A moderator command refused to someone who is not one: at once and
/// privately.
#[track_caller]
pub(crate) fn assert_refused_to_non_moderators(cb: &Request) {
    assert_eq!(cb.body["type"], 4, "{}", cb.body);
    assert_eq!(cb.body["data"]["flags"], 64, "privately: {}", cb.body);
    assert!(
        content(&cb.body["data"]).contains("Only moderators"),
        "{}",
        cb.body
    );
}

/// Sends a moderator command that answers privately in two steps (a
/// deferred response, then the text edited into it: reloading or reading
/// the store can take longer than Discord's 3 s) and returns that text.
pub(crate) async fn deferred_private_reply(
    fake: &FakeDiscord,
    payload: Value,
    timeout: Duration,
) -> String {
    let token = payload["token"].as_str().expect("token").to_string();
    let from = fake.request_count();
    let cb = interact(fake, payload).await;
    assert_eq!(cb.body["type"], 5, "deferred first: {}", cb.body);
    assert_eq!(cb.body["data"]["flags"], 64, "privately: {}", cb.body);
    let edit = fake
        .wait_for_from(
            from,
            |r| r.method == "PATCH" && r.path.ends_with(&format!("/{token}/messages/@original")),
            timeout,
        )
        .await
        .expect("the reply is edited into the deferred response");
    assert_no_pings(&edit.body);
    content(&edit.body).to_string()
}

/// Dispatches an interaction and returns the bot's callback request.
pub(crate) async fn interact(fake: &FakeDiscord, payload: Value) -> Request {
    let id = payload["id"].as_str().expect("interaction id").to_string();
    let from = fake.request_count();
    fake.dispatch("INTERACTION_CREATE", payload).await;
    fake.wait_for_from(
        from,
        |r| r.is("POST", "/interactions/*/*/callback") && r.segment(1) == Some(id.as_str()),
        DEFAULT_TIMEOUT,
    )
    .await
    .expect("the bot answers the interaction")
}

/// The message the bot showed in response to interaction callback `cb`.
pub(crate) fn shown(fake: &FakeDiscord, cb: &Request) -> Value {
    let token = cb.segment(2).expect("token");
    fake.original_response(token).expect("the message exists")
}

/// A guild message from `author` that mentions the bot.
pub(crate) fn mention(question: &str, author: u64) -> Value {
    let content = format!("<@{}> {question}", BOT_USER_ID);
    message(
        &content,
        author,
        CHANNEL_ID,
        Some(GUILD_ID),
        vec![bot_user()],
        None,
    )
}

pub(crate) fn ask_slash(question: &str) -> Value {
    guild_command("faq", json!([string_option("question", question)]))
}

/// Dispatches a message and returns the bot's message in the channel.
pub(crate) async fn say(fake: &FakeDiscord, payload: Value) -> Request {
    let from = fake.request_count();
    fake.dispatch("MESSAGE_CREATE", payload).await;
    fake.wait_for_from(
        from,
        |r| r.is("POST", "/channels/*/messages"),
        DEFAULT_TIMEOUT,
    )
    .await
    .expect("the bot replies in the channel")
}

/// The allowed_mentions of a body: must allow nothing.
#[track_caller]
pub(crate) fn assert_no_pings(body: &Value) {
    let am = if body.get("data").is_some() {
        &body["data"]["allowed_mentions"]
    } else {
        &body["allowed_mentions"]
    };
    assert_eq!(
        am["parse"],
        json!([]),
        "allowed_mentions must allow nothing: {body}"
    );
    assert_eq!(am["users"], json!([]), "{body}");
    assert_eq!(am["roles"], json!([]), "{body}");
    assert_eq!(am["replied_user"], json!(false), "{body}");
}

/// Every message-bearing request the bot sent forbids every mention.
#[track_caller]
pub(crate) fn assert_every_body_has_no_pings(fake: &FakeDiscord) {
    let mut checked = 0;
    for r in fake.requests() {
        let carries_message = (r.is("POST", "/interactions/*/*/callback")
            && [4, 7].contains(&r.body["type"].as_u64().unwrap_or(0)))
            || r.is("POST", "/channels/*/messages")
            || r.method == "PATCH";
        if carries_message {
            assert_no_pings(&r.body);
            checked += 1;
        }
    }
    assert!(checked > 0, "no message bodies were sent");
}

/// An answer embed: its title names `title_contains` (any case), its text
/// ends with its source `section`.
#[track_caller]
pub(crate) fn assert_answer_embed(embed: &Value, title_contains: &str, section: &str) {
    let title = embed["title"].as_str().expect("title");
    assert!(
        title.to_lowercase().contains(title_contains),
        "title {title:?}"
    );
    let description = embed["description"].as_str().expect("description");
    assert!(
        description.ends_with(&format!("Source: {section}")),
        "the answer must end with its source section: {description:?}"
    );
}

/// A REST route the bot answers on, and the event it answers there.
pub(crate) struct Route {
    pub(crate) method: &'static str,
    pub(crate) path: &'static str,
    /// The dispatch whose answer goes this way.
    pub(crate) event: &'static str,
}

/// The answer to an interaction.
pub(crate) const CALLBACK: Route = Route {
    method: "POST",
    path: "/interactions/*/*/callback",
    event: "INTERACTION_CREATE",
};

/// The answer to a message, in its channel.
pub(crate) const CHANNEL_MESSAGE: Route = Route {
    method: "POST",
    path: "/channels/*/messages",
    event: "MESSAGE_CREATE",
};

impl Route {
    pub(crate) fn matches(&self, r: &Request) -> bool {
        r.is(self.method, self.path)
    }
}

/// Has the fake answer the next request on `route` with a 429 (retry
/// after `retry_after_secs`), then dispatches `payload` as the event that
/// `route` answers. Returns the request count from before the dispatch, and
/// the first request on `route` after it with `status` (any status:
/// `None`), failing with `what` when none comes within [`DEFAULT_TIMEOUT`].
pub(crate) async fn ask_into_a_429(
    fake: &FakeDiscord,
    route: &Route,
    retry_after_secs: f64,
    payload: Value,
    status: Option<u16>,
    what: &str,
) -> (usize, Request) {
    fake.fail_next(
        route.method,
        route.path,
        Failure::rate_limited(retry_after_secs),
    );
    let from = fake.request_count();
    fake.dispatch(route.event, payload).await;
    let answered = fake
        .wait_for_from(
            from,
            |r| route.matches(r) && status.is_none_or(|s| r.status == s),
            DEFAULT_TIMEOUT,
        )
        .await
        .expect(what);
    (from, answered)
}

/// [`ask_into_a_429`] with a Retry-After of 300 ms that the bot must
/// wait out: the request is sent again, with status `ok`, no sooner than
/// that. Returns the request count from before the dispatch, the answer
/// and how long the bot waited.
pub(crate) async fn retried_after_429(
    fake: &FakeDiscord,
    route: &Route,
    payload: Value,
    ok: u16,
    what: &str,
) -> (usize, Request, Duration) {
    let (from, answered) = ask_into_a_429(fake, route, 0.3, payload, Some(ok), what).await;
    let (statuses, waited) = statuses_and_wait(fake, from, route);
    assert_eq!(statuses, [429, ok]);
    assert_waited_out(waited, Duration::from_millis(300));
    (from, answered, waited)
}

/// The requests on `route` from `from` on.
pub(crate) fn sent_on(fake: &FakeDiscord, from: usize, route: &Route) -> Vec<Request> {
    fake.requests()
        .into_iter()
        .skip(from)
        .filter(|r| route.matches(r))
        .collect()
}

/// A retry came no sooner than the 429's `retry_after` said.
#[track_caller]
pub(crate) fn assert_waited_out(waited: Duration, retry_after: Duration) {
    assert!(
        waited >= retry_after,
        "retried after {waited:?}, before retry-after ({retry_after:?})"
    );
}

/// The retries of one route after `from`: the statuses, and the time
/// between the 429 and the request after it.
pub(crate) fn statuses_and_wait(
    fake: &FakeDiscord,
    from: usize,
    route: &Route,
) -> (Vec<u16>, Duration) {
    let sent = sent_on(fake, from, route);
    let statuses = sent.iter().map(|r| r.status).collect();
    let waited = match sent.as_slice() {
        [limited, retry, ..] => {
            assert_eq!(retry.raw_body, limited.raw_body, "the same body, resent");
            retry.received - limited.received
        }
        _ => Duration::ZERO,
    };
    (statuses, waited)
}

/// A config file in `dir` for the binary: the bundled FAQ, REST through
/// `fake`, the store in `dir`, and `discord_extra` lines in `[discord]`.
#[cfg(unix)]
pub(crate) fn binary_config(dir: &Path, fake: &FakeDiscord, discord_extra: &str) -> PathBuf {
    let config = dir.join("faqbot.toml");
    std::fs::write(
        &config,
        format!(
            "faq_dir = {:?}\n[discord]\nguild_ids = [{GUILD_ID}]\nproxy = {:?}\n{discord_extra}[store]\npath = {:?}\n",
            root().join("faq"),
            fake.base_url(),
            dir.join("faqbot.db"),
        ),
    )
    .expect("write config");
    config
}

/// `faqbot --config CONFIG run`, the shipped binary as an operator runs
/// it, with `token` in `DISCORD_TOKEN`, no `RUST_LOG`, stdout discarded,
/// and killed if the test drops it; stderr is the caller's to set.
#[cfg(unix)]
pub(crate) fn faqbot_run(config: &Path, token: &str) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_faqbot"));
    cmd.arg("--config")
        .arg(config)
        .arg("run")
        .env("DISCORD_TOKEN", token)
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true);
    cmd
}

/// Makes the gateway `fake` hands out (for its next 20 look-ups) a port
/// where nothing listens: the bot starts, and keeps trying to connect.
pub(crate) fn gateway_unreachable(fake: &FakeDiscord) {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let nowhere = format!("ws://{}", closed.local_addr().expect("addr"));
    drop(closed);
    for _ in 0..20 {
        fake.fail_next(
            "GET",
            "/gateway",
            Failure::new(200, json!({"url": nowhere})),
        );
        fake.fail_next(
            "GET",
            "/gateway/bot",
            Failure::new(
                200,
                json!({"url": nowhere, "shards": 1, "session_start_limit": {
                    "total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}}),
            ),
        );
    }
}

/// Sends SIGTERM to `child` and waits up to 10 s for it to exit.
#[cfg(unix)]
pub(crate) async fn sigterm_and_wait(
    child: &mut tokio::process::Child,
) -> std::process::ExitStatus {
    let pid = child.id().expect("pid").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(status.success());
    tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("it stops within 10 s of SIGTERM")
        .expect("exit status")
}
