//! The bot's decisions without Discord: events in, actions out, with the
//! clock moved by hand. What goes over the wire is tested end to end in
//! `tests/it/bot*.rs`.

use std::path::Path;
use std::sync::OnceLock;

use super::*;
use crate::answer::engine::Settings;

/// The bundled FAQ on the word matcher (the decisions, not the model,
/// are under test here).
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut settings = Settings::default();
        settings.matching.semantic = false;
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("faq");
        Engine::load(&dir, &settings).expect("the bundled FAQ loads")
    })
}

/// An entry's own question: answered on words alone.
const QUESTION: &str = "What must a host country protect under the Vienna Conventions?";
const ENTRY: &str = "host-country-protects-premises";

const GUILD: Place = Place {
    guild: Some(1),
    channel: 10,
};

/// The bot's settings and memory, as one event after another finds them.
struct Harness {
    settings: DiscordConfig,
    memory: Memory,
    votes: bool,
}

impl Harness {
    /// Cooldown and repeat window in seconds; channel 20 is a help channel.
    fn new(cooldown: u64, repeat: u64) -> Harness {
        Harness {
            settings: DiscordConfig {
                user_cooldown_secs: cooldown,
                repeat_window_secs: repeat,
                help_channels: vec![20],
                ..DiscordConfig::default()
            },
            memory: Memory::default(),
            votes: true,
        }
    }

    fn run(&mut self, event: Event, now: Instant) -> Vec<Action> {
        let env = Env {
            engine: engine(),
            settings: &self.settings,
            votes: self.votes,
        };
        route(&event, &env, &mut self.memory, now)
    }
}

fn ask(user: u64, question: &str) -> Event<'_> {
    Event::Ask {
        user,
        place: GUILD,
        question,
        private: None,
    }
}

fn mention(author: u64, place: Place, text: &str) -> Event<'_> {
    Event::Message {
        author,
        author_is_bot: false,
        place,
        text,
        addressed: Addressed {
            mentioned: true,
            ..Addressed::default()
        },
    }
}

/// The text of each action that sends something, and what it remembers.
fn sent(actions: &[Action]) -> Vec<(String, Option<String>)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Respond { view, remember } | Action::Reply { view, remember } => Some((
                view.content
                    .clone()
                    .or_else(|| view.embed.as_ref().map(|e| e.title.clone()))
                    .unwrap_or_default(),
                remember.clone(),
            )),
            Action::Update(view) => Some((view.content.clone().unwrap_or_default(), None)),
            _ => None,
        })
        .collect()
}

/// The text of the one thing `actions` send, which remembers nothing.
#[track_caller]
fn only_note(actions: &[Action]) -> String {
    match &sent(actions)[..] {
        [(text, None)] => text.clone(),
        other => panic!("expected one note, got {other:?}"),
    }
}

fn recorded_questions(actions: &[Action]) -> usize {
    actions
        .iter()
        .filter(|a| matches!(a, Action::Record(Record::Question(_))))
        .count()
}

#[test]
fn a_cooldown_turns_a_user_away_until_it_expires() {
    let mut h = Harness::new(3, 0);
    let t0 = Instant::now();
    let first = h.run(ask(7, QUESTION), t0);
    assert_eq!(recorded_questions(&first), 1);
    assert!(
        matches!(first.last(), Some(Action::Respond { view, .. }) if view.answers.as_deref() == Some(ENTRY))
    );

    let soon = h.run(ask(7, QUESTION), t0 + Duration::from_millis(1200));
    assert_eq!(recorded_questions(&soon), 0, "not matched, not recorded");
    let text = only_note(&soon);
    assert!(text.contains("please wait 2 seconds"), "{text}");

    // Someone else is not held up.
    let other = h.run(ask(8, QUESTION), t0 + Duration::from_millis(1200));
    assert_eq!(recorded_questions(&other), 1);

    let later = h.run(ask(7, QUESTION), t0 + Duration::from_secs(3));
    assert_eq!(recorded_questions(&later), 1, "the window has passed");
}

#[test]
fn a_flood_of_messages_gets_one_note_per_window() {
    let mut h = Harness::new(3, 0);
    let t0 = Instant::now();
    let at = |ms| t0 + Duration::from_millis(ms);
    let answered = h.run(mention(7, GUILD, QUESTION), at(0));
    assert_eq!(sent(&answered).len(), 1);
    let noted = h.run(mention(7, GUILD, QUESTION), at(500));
    let text = only_note(&noted);
    assert!(text.contains("please wait 3 seconds"), "{text}");
    assert!(h.run(mention(7, GUILD, QUESTION), at(1000)).is_empty());
    assert!(h.run(mention(7, GUILD, QUESTION), at(2900)).is_empty());
    let again = h.run(mention(7, GUILD, QUESTION), at(3000));
    assert_eq!(recorded_questions(&again), 1);
    assert_eq!(sent(&again)[0].1.as_deref(), Some(ENTRY));
}

#[test]
fn an_answer_given_a_moment_ago_is_pointed_to_until_the_window_ends() {
    let mut h = Harness::new(0, 60);
    let window = repeat_window(&h.settings);
    let t0 = Instant::now();
    let first = h.run(mention(7, GUILD, QUESTION), t0);
    assert_eq!(
        sent(&first)[0].1.as_deref(),
        Some(ENTRY),
        "remembered once sent"
    );
    // What the handler does once the reply is sent and its link known.
    h.memory
        .remember_answer(GUILD.channel, ENTRY, "https://link/1".into(), window, t0);

    let repeat = h.run(mention(8, GUILD, QUESTION), t0 + Duration::from_secs(59));
    assert_eq!(recorded_questions(&repeat), 1, "still recorded");
    assert_eq!(
        sent(&repeat),
        [(
            "This was answered a moment ago: https://link/1".to_string(),
            None
        )]
    );
    // A slash command says where.
    let slash = h.run(ask(9, QUESTION), t0 + Duration::from_secs(59));
    assert_eq!(
        sent(&slash),
        [(
            "This was answered in this channel a moment ago: https://link/1".to_string(),
            None
        )]
    );
    // A private answer is never a pointer.
    let private = Event::Ask {
        user: 9,
        place: GUILD,
        question: QUESTION,
        private: Some(true),
    };
    let private = h.run(private, t0 + Duration::from_secs(59));
    assert!(
        matches!(private.last(), Some(Action::Respond { view, remember: None }) if view.ephemeral && view.answers.as_deref() == Some(ENTRY))
    );
    // Another channel has not seen it.
    let elsewhere = Place {
        channel: 11,
        ..GUILD
    };
    let there = h.run(mention(8, elsewhere, QUESTION), t0 + Duration::from_secs(1));
    assert_eq!(sent(&there)[0].1.as_deref(), Some(ENTRY));

    let expired = h.run(mention(8, GUILD, QUESTION), t0 + Duration::from_secs(60));
    assert_eq!(
        sent(&expired)[0].1.as_deref(),
        Some(ENTRY),
        "answered in full"
    );
}

#[test]
fn help_channels_get_confident_answers_only_and_other_messages_nothing() {
    let mut h = Harness::new(3, 60);
    let t0 = Instant::now();
    let help = Place {
        guild: Some(1),
        channel: 20,
    };
    let plain = |text, place| Event::Message {
        author: 7,
        author_is_bot: false,
        place,
        text,
        addressed: Addressed::default(),
    };
    assert!(h.run(plain(QUESTION, GUILD), t0).is_empty());
    let unsure = h.run(plain("zxq blorf wibble?", help), t0);
    assert_eq!(recorded_questions(&unsure), 1);
    assert!(sent(&unsure).is_empty(), "no menu in a help channel");
    // No cooldown in help channels: the same user at once is answered.
    let sure = h.run(plain(QUESTION, help), t0);
    assert_eq!(sent(&sure)[0].1.as_deref(), Some(ENTRY));
    h.memory.remember_answer(
        help.channel,
        ENTRY,
        "https://link/2".into(),
        Duration::from_secs(60),
        t0,
    );
    let again = h.run(plain(QUESTION, help), t0);
    assert!(sent(&again).is_empty(), "not even a pointer");
    let bot = Event::Message {
        author: 7,
        author_is_bot: true,
        place: GUILD,
        text: QUESTION,
        addressed: Addressed {
            mentioned: true,
            ..Addressed::default()
        },
    };
    assert!(h.run(bot, t0).is_empty());
}

#[test]
fn votes_are_recorded_only_when_the_store_is_on() {
    let mut h = Harness::new(0, 0);
    let question = QuestionId(42);
    let id = view::Action::Vote {
        question,
        up: true,
        entry: None,
    }
    .custom_id();
    let event = Event::Component {
        user: 7,
        custom_id: &id,
        chosen: None,
        on_private_message: false,
    };
    let on = h.run(event, Instant::now());
    assert!(
        matches!(&on[0], Action::Record(Record::Vote(v)) if v.question == question && v.up && v.voter == 7)
    );
    assert_eq!(sent(&on), [(VOTE_NOTED.to_string(), None)]);
    h.votes = false;
    let off = h.run(event, Instant::now());
    assert_eq!(sent(&off), [(VOTE_NOT_RECORDED.to_string(), None)]);
    assert_eq!(off.len(), 1, "nothing recorded");
}

#[test]
fn why_explains_from_memory_else_asks_the_store() {
    let mut h = Harness::new(0, 0);
    let asked = h.run(ask(7, QUESTION), Instant::now());
    let Some(Action::Record(Record::Question(q))) = asked.first() else {
        panic!("the question is recorded first: {asked:?}");
    };
    let why = |id: QuestionId| view::Action::Why(id).custom_id();
    let (known, unknown) = (why(q.id), why(QuestionId(1)));
    let component = |custom_id| Event::Component {
        user: 8,
        custom_id,
        chosen: None,
        on_private_message: false,
    };
    let explained = h.run(component(&known), Instant::now());
    let text = only_note(&explained);
    assert!(
        text.starts_with(&format!("Why this reply to \"{QUESTION}\":\nAnswered.")),
        "{text}"
    );
    let forgotten = h.run(component(&unknown), Instant::now());
    assert_eq!(forgotten, [Action::ExplainFromStore(QuestionId(1))]);
}

#[test]
fn a_stale_menu_offers_the_topics_privately_in_place_or_as_a_copy() {
    let mut h = Harness::new(0, 0);
    let menu = |custom_id, on_private_message| Event::Component {
        user: 7,
        custom_id,
        chosen: Some("e:no-such-entry"),
        on_private_message,
    };
    let id = view::Action::QuestionMenu {
        topic: 0,
        page: 0,
        question: None,
    }
    .custom_id();
    let own = h.run(menu(&id, true), Instant::now());
    assert!(matches!(&own[..], [Action::Update(v)] if v.content.as_deref() == Some(STALE_MENU)));
    let public = h.run(menu(&id, false), Instant::now());
    assert!(
        matches!(&public[..], [Action::Respond { view, remember: None }]
        if view.ephemeral && view.content.as_deref() == Some(STALE_MENU))
    );
    let garbage = h.run(menu("faq:zzz", true), Instant::now());
    assert!(
        matches!(&garbage[..], [Action::Update(v)] if v.content.as_deref() == Some(STALE_MENU))
    );
}
