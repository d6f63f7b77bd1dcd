//! End-to-end tests of the Discord bot against the fake Discord of
//! [`crate::support::fake_discord`], through the harness of
//! [`crate::support::bot`]. They fail if the bot stops answering, drops the
//! source section, or pings anyone. One test runs the bot with no proxy,
//! through serenity's ratelimiter, against the fake as
//! `https://discord.com`.

use std::time::{Duration, Instant};

use faqbot::answer::engine::Engine;
use faqbot::discord::config::DiscordConfig;
use serde_json::{json, Value};

use crate::root;
use crate::support::bot::{
    ask_into_a_429, ask_slash, assert_answer_embed, assert_every_body_has_no_pings,
    assert_no_pings, assert_waited_out, content, interact, mention, private_reply,
    retried_after_429, say, sent_on, shown, start_bot, start_bot_and_interact, start_bot_direct,
    start_bot_with, Route, Running, CALLBACK, CHANNEL_MESSAGE, OTHER_USER,
};
#[cfg(unix)]
use crate::support::bot::{
    binary_config, commands_registered, faqbot_run, gateway_unreachable, sigterm_and_wait,
};
use crate::support::fake_discord::{
    autocomplete, component, focused_option, guild_command, message, message_command,
    string_option, user, Failure, FakeDiscord, Request, CHANNEL_ID, DEFAULT_TIMEOUT, GUILD_ID,
    USER_ID,
};

/// A bot with the default settings, started with the fake set to fail
/// the next request on `route` with `failure`.
async fn start_bot_failing_next(route: &Route, failure: Failure) -> Running {
    let bot = start_bot(|_| {}).await;
    bot.fake.fail_next(route.method, route.path, failure);
    bot
}

/// A question [`OTHER_USER`] asked in the channel, without a mention:
/// what "Find FAQ answer" is run on.
fn raid_question() -> Value {
    message(
        "so can the police just raid an embassy?",
        OTHER_USER,
        CHANNEL_ID,
        Some(GUILD_ID),
        vec![],
        None,
    )
}

/// `body` (a message the bot sent) is an answer that names its source.
#[track_caller]
fn assert_cites_a_source(body: &Value) {
    assert!(
        body["embeds"][0]["description"]
            .as_str()
            .is_some_and(|d| d.contains("Source: ")),
        "{body}"
    );
}

/// Runs "Find FAQ answer" on `asked`: its callback, and the bot's first
/// post in the channel after it (`what` it is, should none come).
async fn find_answer_for(fake: &FakeDiscord, asked: &Value, what: &str) -> (Request, Request) {
    let from = fake.request_count();
    let cb = interact(fake, message_command(asked)).await;
    let posted = fake
        .wait_for_from(
            from,
            |r| r.is("POST", "/channels/*/messages"),
            DEFAULT_TIMEOUT,
        )
        .await
        .expect(what);
    (cb, posted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_the_faq_commands_in_the_configured_guild() {
    let bot = start_bot(|_| {}).await;
    let commands = bot.fake.registered_commands(Some(GUILD_ID));
    let names: Vec<&str> = commands.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "faq",
            "faq-topics",
            "Find FAQ answer",
            "faq-reload",
            "faq-stats"
        ]
    );
    assert_eq!(commands[0]["options"][0]["autocomplete"], true);
    assert_eq!(commands[2]["type"], 3, "a message context-menu command");
    assert!(
        bot.fake.registered_commands(None).is_empty(),
        "no global commands when guilds are set"
    );
    assert!(
        !bot.fake
            .requests()
            .iter()
            .any(|r| r.is("PUT", "/applications/*/commands")),
        "global commands are left alone unless asked"
    );
}

/// After a switch to `guild_ids`, `clear_global_commands` has the bot
/// remove its old global commands itself (an empty bulk overwrite).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clear_global_commands_removes_the_global_ones_at_start() {
    let bot = start_bot(|s| s.clear_global_commands = true).await;
    let cleared = bot
        .fake
        .wait_for(|r| r.is("PUT", "/applications/*/commands"), DEFAULT_TIMEOUT)
        .await
        .expect("the global commands are overwritten");
    assert_eq!(cleared.body, json!([]), "{cleared:?}");
    assert!(cleared.status < 300, "{cleared:?}");
    assert_eq!(bot.fake.registered_commands(Some(GUILD_ID)).len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_command_answers_with_the_source_section_and_pings_nobody() {
    let (_bot, cb) =
        start_bot_and_interact(ask_slash("@everyone can cops just walk into an embassy?")).await;
    assert_eq!(cb.status, 204);
    assert_eq!(cb.body["type"], 4, "a message response: {}", cb.body);
    let data = &cb.body["data"];
    assert_answer_embed(
        &data["embeds"][0],
        "embassy",
        "Host Country Responsibilities",
    );
    assert_eq!(
        data["flags"].as_u64().unwrap_or(0) & 64,
        0,
        "public by default: {data}"
    );
    assert_no_pings(&cb.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_true_keeps_the_answer_to_the_asker() {
    let payload = guild_command(
        "faq",
        json!([string_option("question", "who protects embassies"), {"name": "private", "type": 5, "value": true}]),
    );
    let (_bot, cb) = start_bot_and_interact(payload).await;
    assert_eq!(cb.body["data"]["flags"], 64, "{}", cb.body);
    assert!(cb.body["data"]["embeds"][0]["description"]
        .as_str()
        .is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autocomplete_lists_questions_and_a_pick_answers_that_entry() {
    let payload = autocomplete("faq", json!([focused_option("question", "blue helmets")]));
    let (bot, cb) = start_bot_and_interact(payload).await;
    assert_eq!(cb.body["type"], 8, "an autocomplete result: {}", cb.body);
    let choices = cb.body["data"]["choices"].as_array().expect("choices");
    assert!(!choices.is_empty() && choices.len() <= 25, "{choices:?}");
    for c in choices {
        assert!(c["name"].as_str().is_some_and(|n| n.chars().count() <= 100));
        assert!(c["value"]
            .as_str()
            .is_some_and(|v| v.chars().count() <= 100));
    }
    let first = choices[0]["value"].as_str().expect("value").to_string();
    assert!(
        first.starts_with("faq-entry:un-"),
        "blue helmets are UN peacekeepers: {first}"
    );
    let picked_id = first.trim_start_matches("faq-entry:").to_string();

    let cb = interact(&bot.fake, ask_slash(&first)).await;
    let embed = &cb.body["data"]["embeds"][0];
    let engine = Engine::load(
        &root().join("faq"),
        &faqbot::answer::engine::Settings::default(),
    )
    .expect("faq");
    let entry = engine
        .faq
        .entry_by_id(&picked_id)
        .expect("picked entry exists");
    assert_eq!(
        embed["title"],
        entry.question.as_str(),
        "a pick answers exactly that entry"
    );
    assert!(embed["description"]
        .as_str()
        .is_some_and(|d| d.ends_with(&format!("Source: {}", entry.section))));

    // Nothing typed yet: the first 25 questions.
    let empty = autocomplete("faq", json!([focused_option("question", "")]));
    let cb = interact(&bot.fake, empty).await;
    assert_eq!(
        cb.body["data"]["choices"].as_array().map(Vec::len),
        Some(25)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsure_questions_get_suggestion_buttons_and_a_click_answers() {
    let (bot, cb) = start_bot_and_interact(ask_slash("embassy protection")).await;
    let (data, text) = private_reply(&cb);
    assert!(text.starts_with("I'm not sure"), "{data}");
    let buttons = data["components"][0]["components"]
        .as_array()
        .expect("a row of buttons");
    assert!((1..=3).contains(&buttons.len()), "{buttons:?}");
    let custom_id = buttons[0]["custom_id"]
        .as_str()
        .expect("custom_id")
        .to_string();
    assert!(custom_id.starts_with("faq:answer:"), "{custom_id}");
    assert!(buttons
        .iter()
        .all(|b| b["label"].as_str().is_some_and(|l| l.chars().count() <= 80)));

    let shown = shown(&bot.fake, &cb);
    let click = interact(&bot.fake, component(&custom_id, None, &shown)).await;
    assert_eq!(click.body["type"], 4, "{}", click.body);
    let embed = &click.body["data"]["embeds"][0];
    assert!(
        embed["description"]
            .as_str()
            .is_some_and(|d| d.contains("\n\nSource: ")),
        "{embed}"
    );
    assert_no_pings(&click.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_fits_topic_menu_then_questions_then_the_answer() {
    let (bot, cb) = start_bot_and_interact(ask_slash("what's a good pizza recipe")).await;
    let (data, text) = private_reply(&cb);
    assert!(text.starts_with("Sorry"), "{data}");
    let select = &data["components"][0]["components"][0];
    assert_eq!(select["type"], 3, "a string select: {select}");
    let options = select["options"].as_array().expect("options");
    assert_eq!(options.len(), 7, "one option per topic");
    let topic_id = select["custom_id"].as_str().expect("custom_id").to_string();

    // Choose the UN topic.
    let un = options
        .iter()
        .find(|o| o["label"].as_str().is_some_and(|l| l.contains("UN")))
        .expect("the UN topic");
    let shown = shown(&bot.fake, &cb);
    let chosen = interact(
        &bot.fake,
        component(
            &topic_id,
            Some(vec![un["value"].as_str().expect("value").to_string()]),
            &shown,
        ),
    )
    .await;
    assert_eq!(
        chosen.body["type"], 7,
        "the menu updates in place: {}",
        chosen.body
    );
    let questions = &chosen.body["data"]["components"][0]["components"][0];
    let question_options = questions["options"].as_array().expect("question options");
    assert!(question_options.len() >= 5, "{questions}");
    assert!(question_options.iter().all(|o| o["label"]
        .as_str()
        .is_some_and(|l| l.chars().count() <= 100)));

    // Choose a question: the answer replaces the menu.
    let pick = question_options[0]["value"]
        .as_str()
        .expect("value")
        .to_string();
    let answer = interact(
        &bot.fake,
        component(
            questions["custom_id"].as_str().expect("id"),
            Some(vec![pick]),
            &shown,
        ),
    )
    .await;
    assert_eq!(answer.body["type"], 7);
    assert_answer_embed(&answer.body["data"]["embeds"][0], "", "Role of UN Security");
    assert_eq!(
        answer.body["data"]["components"],
        json!([]),
        "the menu is gone"
    );
    assert_every_body_has_no_pings(&bot.fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_or_malformed_menus_get_a_private_out_of_date_reply() {
    let (bot, cb) = start_bot_and_interact(ask_slash("what's a good pizza recipe")).await;
    let topic_id = cb.body["data"]["components"][0]["components"][0]["custom_id"]
        .as_str()
        .expect("the topic menu's id")
        .to_string();
    let shown = shown(&bot.fake, &cb);
    for (custom_id, values) in [
        ("garbage", None),
        ("faq:answer:", None),
        ("faq:vote:not-a-number:up", None),
        (topic_id.as_str(), Some(vec![])),
        (topic_id.as_str(), Some(vec!["t:999999".to_string()])),
    ] {
        let reply = interact(&bot.fake, component(custom_id, values.clone(), &shown)).await;
        let kind = &reply.body["type"];
        assert!(
            *kind == 7 || (*kind == 4 && reply.body["data"]["flags"] == 64),
            "{custom_id} {values:?}: a private reply or the private menu updated: {}",
            reply.body
        );
        assert!(
            content(&reply.body["data"]).contains("out of date"),
            "{custom_id} {values:?}: {}",
            reply.body
        );
    }
    assert_every_body_has_no_pings(&bot.fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_4014_close_says_to_enable_message_content_or_empty_help_channels() {
    let help = 1_300_000_000_000_000_009;
    let mut bot = start_bot(|s| s.help_channels = vec![help]).await;
    bot.fake.close_gateway(4014).await.expect("closed");
    let task = &mut bot.task;
    let result = tokio::time::timeout(DEFAULT_TIMEOUT, task)
        .await
        .expect("the bot stops on a fatal close")
        .expect("no panic");
    let e = result.expect_err("4014 is fatal");
    let settings = DiscordConfig {
        help_channels: vec![help],
        ..DiscordConfig::default()
    };
    let told = faqbot::discord::explain_failure(&e, &settings);
    assert!(told.contains("4014"), "{told}");
    assert!(told.contains("Message Content Intent"), "{told}");
    assert!(told.contains("help_channels = []"), "{told}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faq_topics_opens_the_menu() {
    let (_bot, cb) = start_bot_and_interact(guild_command("faq-topics", json!([]))).await;
    assert_eq!(
        cb.body["data"]["components"][0]["components"][0]["options"]
            .as_array()
            .map(Vec::len),
        Some(7)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_faq_answer_replies_to_the_message_that_asked() {
    let bot = start_bot(|_| {}).await;
    let asked = raid_question();
    let asked_id = asked["id"].as_str().expect("id").to_string();
    let (cb, reply) =
        find_answer_for(&bot.fake, &asked, "the answer is posted in the channel").await;
    assert_eq!(
        cb.body["data"]["flags"], 64,
        "the invoker gets a private note: {}",
        cb.body
    );
    assert_eq!(
        reply.body["message_reference"]["message_id"],
        asked_id.as_str(),
        "{}",
        reply.body
    );
    assert_answer_embed(
        &reply.body["embeds"][0],
        "embassy",
        "Host Country Responsibilities",
    );
    assert_no_pings(&reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mentions_replies_and_dms_are_answered_and_other_messages_ignored() {
    let bot = start_bot(|_| {}).await;
    let fake = &bot.fake;

    // Mention.
    let asked = mention("who protects embassies?", USER_ID);
    let r = say(fake, asked.clone()).await;
    assert_answer_embed(
        &r.body["embeds"][0],
        "responsible",
        "Frequently asked questions",
    );
    assert_eq!(r.body["message_reference"]["message_id"], asked["id"]);

    // Reply to one of the bot's messages.
    let bots_message = r.response.clone();
    let reply = message(
        "and what about un peacekeepers?",
        USER_ID,
        CHANNEL_ID,
        Some(GUILD_ID),
        vec![],
        Some(bots_message),
    );
    let r = say(fake, reply).await;
    assert_cites_a_source(&r.body);

    // A DM.
    let dm = message(
        "can the police enter an embassy without permission",
        USER_ID,
        CHANNEL_ID + 7,
        None,
        vec![],
        None,
    );
    let r = say(fake, dm).await;
    assert_cites_a_source(&r.body);

    // A message to nobody in particular: no reply.
    let from = fake.request_count();
    fake.dispatch(
        "MESSAGE_CREATE",
        message(
            "who protects embassies",
            USER_ID,
            CHANNEL_ID,
            Some(GUILD_ID),
            vec![user(OTHER_USER, "someone")],
            None,
        ),
    )
    .await;
    fake.ensure_no_request_from(
        from,
        |r| r.is("POST", "/channels/*/messages"),
        Duration::from_millis(300),
    )
    .await
    .expect("the bot stays quiet");
    assert_every_body_has_no_pings(fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_with_retry_after_is_retried_by_serenitys_ratelimiter() {
    let bot = start_bot_direct().await;
    let fake = &bot.fake;
    // Production-like: every REST call so far (the gateway look-up, the
    // command registration) went to https://discord.com, over TLS.
    let startup = fake.requests();
    assert!(startup[0].is("GET", "/gateway"), "{:?}", startup[0]);
    assert!(
        startup
            .iter()
            .all(|r| r.tls && r.header("host") == Some("discord.com")),
        "{startup:?}"
    );

    let asked = mention("who protects embassies?", USER_ID);
    let (from, answered, _) = retried_after_429(
        fake,
        &CHANNEL_MESSAGE,
        asked.clone(),
        200,
        "the ratelimiter retries the answer after the 429",
    )
    .await;

    // Exactly the 429 and then its retry: the same request, sent again no
    // sooner than retry-after.
    let posts = sent_on(fake, from, &CHANNEL_MESSAGE);
    let statuses: Vec<u16> = posts.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 200], "{posts:?}");
    let (limited, retry) = (&posts[0], &posts[1]);
    assert_eq!(retry.index, answered.index);
    assert_eq!(retry.path, limited.path);
    assert_eq!(retry.raw_body, limited.raw_body, "the same body, resent");
    assert!(retry.tls && limited.tls);
    let waited = retry.received - limited.received;
    assert_waited_out(waited, Duration::from_millis(300));
    assert!(waited < Duration::from_secs(3), "retried after {waited:?}");

    // What the user sees is the answer, as without the 429.
    assert_answer_embed(
        &retry.body["embeds"][0],
        "responsible",
        "Frequently asked questions",
    );
    assert_eq!(retry.body["message_reference"]["message_id"], asked["id"]);
    assert_no_pings(&retry.body);
    // ... and nothing else: no second message, no failed call.
    fake.ensure_no_request_from(retry.index + 1, |_| true, Duration::from_millis(300))
        .await
        .expect("nothing more after the answer");
    let failed: Vec<Request> = fake
        .requests()
        .into_iter()
        .filter(|r| r.status >= 400 && r.index != limited.index)
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
}

/// Behind `[discord] proxy` serenity's ratelimiter is off: the bot waits
/// out a 429's Retry-After itself and sends again, for the interaction
/// callback (within its 3 seconds) and for a reply to a mention.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_the_proxy_a_429_is_retried_after_retry_after() {
    let bot = start_bot(|_| {}).await;
    let fake = &bot.fake;

    // [429, 204], waited out.
    let (_, cb, waited) = retried_after_429(
        fake,
        &CALLBACK,
        ask_slash("who protects embassies"),
        204,
        "the answer is sent again after the 429",
    )
    .await;
    assert_answer_embed(
        &cb.body["data"]["embeds"][0],
        "responsible",
        "Frequently asked questions",
    );
    assert!(waited < Duration::from_secs(2), "retried after {waited:?}");

    // [429, 200], waited out.
    let (_, answered, _) = retried_after_429(
        fake,
        &CHANNEL_MESSAGE,
        mention("who protects embassies?", USER_ID),
        200,
        "the reply is sent again after the 429",
    )
    .await;
    assert!(answered.body["embeds"][0].is_object(), "{answered:?}");
    assert_every_body_has_no_pings(fake);
}

/// A 429 that lasts past the interaction's deadline (3 s) is given up at
/// once, not waited out, and the bot goes on answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_past_the_interaction_deadline_is_given_up_at_once() {
    let bot = start_bot(|_| {}).await;
    let fake = &bot.fake;
    let (_, limited) = ask_into_a_429(
        fake,
        &CALLBACK,
        30.0,
        ask_slash("who protects embassies"),
        None,
        "a callback",
    )
    .await;
    assert_eq!(limited.status, 429);
    fake.ensure_no_request_from(
        limited.index + 1,
        |r| r.raw_body == limited.raw_body,
        Duration::from_secs(2),
    )
    .await
    .expect("the answer is not sent again");
    let cb = interact(fake, ask_slash("who protects embassies")).await;
    assert_eq!(cb.status, 204);
    assert!(cb.body["data"]["embeds"][0].is_object(), "{cb:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_help_channel_gets_only_confident_answers() {
    let help = CHANNEL_ID + 1;
    let bot = start_bot(|s| s.help_channels = vec![help]).await;
    let in_help = |text: &str| message(text, USER_ID, help, Some(GUILD_ID), vec![], None);
    let r = say(
        &bot.fake,
        in_help("can the police just walk into an embassy"),
    )
    .await;
    assert_cites_a_source(&r.body);
    let from = bot.fake.request_count();
    bot.fake
        .dispatch("MESSAGE_CREATE", in_help("lol anyone up for pizza"))
        .await;
    bot.fake
        .ensure_no_request_from(
            from,
            |r| r.is("POST", "/channels/*/messages"),
            Duration::from_millis(300),
        )
        .await
        .expect("no menu or apology in a help channel");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cooldown_stops_floods_with_a_polite_private_note() {
    let bot = start_bot(|s| s.user_cooldown_secs = 60).await;
    let first = interact(&bot.fake, ask_slash("who protects embassies")).await;
    assert!(first.body["data"]["embeds"][0].is_object());
    let second = interact(&bot.fake, ask_slash("and consulates?")).await;
    let (data, text) = private_reply(&second);
    assert!(text.contains("please wait"), "{data}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_mentions_gets_one_answer_and_one_note() {
    let bot = start_bot(|s| s.user_cooldown_secs = 60).await;
    let first = say(&bot.fake, mention("who protects embassies?", USER_ID)).await;
    assert!(first.body["embeds"][0].is_object(), "{}", first.body);
    let second = say(&bot.fake, mention("and consulates?", USER_ID)).await;
    assert!(
        content(&second.body).contains("please wait"),
        "{}",
        second.body
    );
    let from = bot.fake.request_count();
    for i in 0..8 {
        bot.fake
            .dispatch(
                "MESSAGE_CREATE",
                mention(&format!("still there? {i}"), USER_ID),
            )
            .await;
    }
    // Another member is not held up by the first one's cooldown: their
    // answer is the next message the bot sends.
    let other = say(&bot.fake, mention("who protects embassies?", OTHER_USER)).await;
    assert!(other.body["embeds"][0].is_object(), "{}", other.body);
    // Events are handled concurrently: give any late note time to arrive.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let posted: Vec<Request> = bot.fake.requests()[from..]
        .iter()
        .filter(|r| r.is("POST", "/channels/*/messages"))
        .cloned()
        .collect();
    assert_eq!(
        posted.len(),
        1,
        "the flood got no more messages: {:?}",
        posted.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_answer_in_the_same_channel_points_to_the_earlier_one() {
    let bot = start_bot(|s| s.repeat_window_secs = 60).await;
    let first = say(&bot.fake, mention("who protects embassies?", USER_ID)).await;
    assert!(first.body["embeds"][0].is_object());
    // The bot remembers its answer once Discord has returned the message.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = say(&bot.fake, mention("who protects embassies?", OTHER_USER)).await;
    let text = second.body["content"].as_str().expect("a pointer");
    let first_id = first.response["id"].as_str().expect("message id");
    assert!(
        text.contains("answered a moment ago") && text.contains(first_id),
        "{text}"
    );
    assert!(
        second
            .body
            .get("embeds")
            .is_none_or(|e| e.as_array().is_some_and(Vec::is_empty)),
        "{}",
        second.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn texts_over_discords_limits_are_cut_not_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let long_question = format!("Why {}?", "so ".repeat(120));
    let long_answer = "Because. ".repeat(455); // 4095 characters
    std::fs::write(
        dir.path().join("long.toml"),
        format!(
            "[topic]\nname = \"Long\"\ndescription = \"Long texts\"\n\n[[entry]]\nid = \"long\"\nquestion = {long_question:?}\nalternatives = [\"tell me the long one\"]\nanswer = {long_answer:?}\nsection = \"Limits\"\n"
        ),
    )
    .expect("write");
    let bot = start_bot_with(dir.path(), |_| {}).await;
    let cb = interact(&bot.fake, ask_slash("tell me the long one")).await;
    assert_eq!(cb.status, 204, "Discord accepted it: {}", cb.response);
    let embed = &cb.body["data"]["embeds"][0];
    let title = embed["title"].as_str().expect("title");
    let description = embed["description"].as_str().expect("description");
    assert!(
        title.chars().count() <= 256 && title.ends_with('…'),
        "{title}"
    );
    assert!(
        description.chars().count() <= 4096,
        "{}",
        description.chars().count()
    );
    assert!(
        description.ends_with("Source: Limits"),
        "the source survives the cut"
    );
    assert!(description.contains("…\n\nSource: Limits"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_disconnect_is_resumed_and_questions_still_answered() {
    let bot = start_bot(|_| {}).await;
    bot.fake.close_gateway(4000).await.expect("close");
    bot.fake
        .wait_for_frame(|f| f.op == 6, DEFAULT_TIMEOUT)
        .await
        .expect("the bot resumes");
    assert_eq!(bot.fake.identifies().len(), 1, "resumed, not re-identified");
    let cb = interact(&bot.fake, ask_slash("who protects embassies")).await;
    assert!(cb.body["data"]["embeds"][0].is_object());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_permissions_are_survived() {
    let bot = start_bot_failing_next(&CHANNEL_MESSAGE, Failure::missing_permissions()).await;
    let denied = say(&bot.fake, mention("who protects embassies?", USER_ID)).await;
    assert_eq!(denied.status, 403);
    // Still alive: the next question is answered.
    let ok = say(&bot.fake, mention("who protects embassies?", OTHER_USER)).await;
    assert_eq!(ok.status, 200);
    let cb = interact(&bot.fake, ask_slash("who protects embassies")).await;
    assert_eq!(cb.status, 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_response_becomes_something_went_wrong() {
    // Discord fails the first callback: the bot's answer is lost, so it
    // tells the user, privately, with a second callback.
    let bot = start_bot_failing_next(&CALLBACK, Failure::server_error()).await;
    let payload = ask_slash("who protects embassies");
    let id = payload["id"].as_str().expect("id").to_string();
    let from = bot.fake.request_count();
    bot.fake.dispatch("INTERACTION_CREATE", payload).await;
    let callbacks = |r: &Request| {
        r.is("POST", "/interactions/*/*/callback") && r.segment(1) == Some(id.as_str())
    };
    let failed = bot
        .fake
        .wait_for_from(from, callbacks, DEFAULT_TIMEOUT)
        .await
        .expect("a first callback");
    assert_eq!(failed.status, 500);
    let sorry = bot
        .fake
        .wait_for_from(failed.index + 1, callbacks, DEFAULT_TIMEOUT)
        .await
        .expect("the user is told");
    assert_eq!(sorry.status, 204);
    let (data, text) = private_reply(&sorry);
    assert!(text.starts_with("Something went wrong"), "{data}");
    assert_no_pings(&sorry.body);
    // And the bot goes on answering.
    let cb = interact(&bot.fake, ask_slash("who protects embassies")).await;
    assert!(cb.body["data"]["embeds"][0].is_object());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_permissions_after_acknowledging_get_a_private_hint() {
    let bot = start_bot_failing_next(&CHANNEL_MESSAGE, Failure::missing_permissions()).await;
    let asked = raid_question();
    let (cb, denied) = find_answer_for(&bot.fake, &asked, "the bot tries to post").await;
    let token = cb.segment(2).expect("token").to_string();
    assert_eq!(denied.status, 403);
    // The token is this interaction's alone: any request with it is after.
    let hint = bot
        .fake
        .wait_for(
            |r| r.is("POST", "/webhooks/*/*") && r.segment(2) == Some(token.as_str()),
            DEFAULT_TIMEOUT,
        )
        .await
        .expect("a private follow-up explains");
    assert!(
        hint.body["content"]
            .as_str()
            .is_some_and(|c| c.contains("permission")),
        "{}",
        hint.body
    );
    assert_eq!(hint.body["flags"], 64);
    assert_no_pings(&hint.body);
}

/// The bot-side latency: from the dispatch of a slash command to the
/// arrival of its callback at the fake, over many questions. Printed, not
/// asserted (timings belong in measurements, not in pass/fail).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_per_interaction_is_measured() {
    let bot = start_bot(|_| {}).await;
    let questions = [
        "who protects embassies",
        "can cops just walk into an embassy",
        "un peacekeepers",
        "pizza recipe",
        "embassy protection",
    ];
    let mut samples = Vec::new();
    for i in 0..60 {
        let payload = ask_slash(questions[i % questions.len()]);
        let started = Instant::now();
        interact(&bot.fake, payload).await;
        samples.push(started.elapsed());
    }
    samples.sort();
    let median = samples[samples.len() / 2];
    let p95 = samples[samples.len() * 95 / 100];
    println!(
        "bot-side latency per interaction (dispatch -> callback at the fake, {} samples): median {:.2} ms, p95 {:.2} ms",
        samples.len(),
        median.as_secs_f64() * 1000.0,
        p95.as_secs_f64() * 1000.0
    );
    assert_eq!(samples.len(), 60);
}

/// While the gateway refuses connections (the bot keeps retrying), SIGTERM
/// still stops the binary promptly, with the store written.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_binary_while_the_gateway_is_unreachable() {
    use std::process::Stdio;

    let fake = FakeDiscord::start().await;
    gateway_unreachable(&fake);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = binary_config(dir.path(), &fake, "");
    let mut child = faqbot_run(
        &config,
        "MTEwMDAwMDAwMDAwMDAwMDAx.Gx7Yzq.unreachable-gateway-token-000000",
    )
    .stderr(Stdio::piped())
    .spawn()
    .expect("faqbot starts");
    fake.wait_for(
        |r| r.is("GET", "/gateway") || r.is("GET", "/gateway/bot"),
        Duration::from_secs(20),
    )
    .await
    .expect("it looks the gateway up");
    // Let it fail to connect for longer than it waits before saying so.
    tokio::time::sleep(Duration::from_millis(6500)).await;
    let mut stderr = child.stderr.take().expect("stderr");
    let exit = sigterm_and_wait(&mut child).await;
    assert!(exit.success(), "a clean stop while reconnecting: {exit:?}");
    let mut log = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut stderr, &mut log)
        .await
        .expect("the log");
    // One clear error, not serenity's line per attempt.
    let said: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("cannot reach Discord's gateway"))
        .collect();
    assert_eq!(said.len(), 1, "{log}");
    assert!(said[0].contains("ERROR"), "{log}");
    assert!(!log.contains("Err starting shard"), "{log}");
    assert!(
        dir.path().join("faqbot.db").is_file(),
        "the store was opened and closed"
    );
}

/// The shipped binary, exactly as an operator runs it: `faqbot run` with a
/// config whose `[discord] proxy` points at the fake and the token in the
/// environment. It registers its commands, answers, logs one line per
/// question without ever writing the token (even at debug level), and
/// stops cleanly on SIGTERM.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_faqbot_binary_runs_against_the_fake_and_never_logs_the_token() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = binary_config(dir.path(), &fake, "user_cooldown_secs = 0\n");
    let token = "MTEwMDAwMDAwMDAwMDAwMDAx.Gx7Yzq.s3cr3t-t0ken-that-must-never-be-logged";
    let log = dir.path().join("stderr.log");
    let mut child = faqbot_run(&config, token)
        .env("RUST_LOG", "debug")
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("faqbot starts");

    fake.wait_until_ready(Duration::from_secs(20))
        .await
        .expect("the binary connects");
    assert_eq!(
        fake.identifies()[0]["token"],
        format!("Bot {token}"),
        "it identifies with the token from the environment"
    );
    commands_registered(&fake)
        .await
        .expect("it registers its commands");
    let cb = interact(&fake, ask_slash("can cops just walk into an embassy")).await;
    assert_answer_embed(
        &cb.body["data"]["embeds"][0],
        "embassy",
        "Host Country Responsibilities",
    );

    let exit = sigterm_and_wait(&mut child).await;
    assert!(exit.success(), "a clean shutdown: {exit:?}");

    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(
        logged.contains("question handled"),
        "one line per question:\n{logged}"
    );
    assert!(
        logged.contains("trigger=\"slash\"") || logged.contains("trigger=slash"),
        "{logged}"
    );
    assert!(logged.contains("latency_us"), "{logged}");
    assert!(
        logged.contains(&faqbot::discord::invite_url(
            crate::support::fake_discord::APP_ID
        )),
        "the invite URL is logged at start:\n{logged}"
    );
    for secret in [token, "s3cr3t-t0ken-that-must-never-be-logged", "Gx7Yzq"] {
        assert!(!logged.contains(secret), "the token leaked into the log");
    }
    // The interaction's token (the fake's `fake-token-{id}`) answers or
    // edits the reply for 15 minutes: a credential too.
    assert!(
        !logged.contains("fake-token-"),
        "an interaction token leaked into the log:\n{}",
        logged
            .lines()
            .filter(|l| l.contains("fake-token-"))
            .take(3)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        logged.contains("[redacted]"),
        "debug lines name the redaction"
    );
    // The store the config names was opened, and the question written
    // before the process ended.
    let reader =
        faqbot::store::Reader::open(dir.path().join("faqbot.db")).expect("the store exists");
    let asked = reader
        .questions_since(0, &faqbot::store::Scope::All)
        .expect("read");
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0].text, "can cops just walk into an embassy");
    assert_eq!(asked[0].trigger, faqbot::store::Trigger::Slash);
}
