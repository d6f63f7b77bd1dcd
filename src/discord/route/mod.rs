//! The bot's decisions, as data. [`route`] takes one event (read out of
//! Discord's types by [`super::handler`]), the engine and the bot's
//! [`Memory`], and returns the [`Action`]s that answer it; the handler
//! performs them in order. Pure and synchronous: no serenity, no network,
//! no store, and no clock but the `now` it is given, so cooldowns and the
//! repeat window are tested by moving `now`.
//!
//! The one flow every answer in a channel shares lives here once: an
//! answer given in the channel a moment ago is pointed to, not repeated;
//! otherwise it is sent and remembered, once its link is known
//! ([`Memory::remember_answer`]).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::recent::RecentQuestions;
use super::view::{self, note, Choice, View};
use crate::answer::engine::Engine;
use crate::answer::matching::{Decision, Match, Outcome};
use crate::answer::why::Why;
use crate::discord::config::DiscordConfig;
use crate::faq::Entry;
use crate::store::{now_unix, Pick, Question, QuestionId, Trigger, Via, Vote};

/// The reply to a 👍 or 👎.
pub const VOTE_NOTED: &str = "Thanks — noted.";
/// ... when votes are not recorded (the store is off).
const VOTE_NOT_RECORDED: &str = "Thanks! (Votes are not recorded on this bot right now.)";
/// What Why? says when the question is no longer known.
pub const WHY_TOO_OLD: &str =
    "This answer is too old to explain; ask again and press Why? on the new answer.";
/// The intro of a menu whose ids this FAQ no longer has.
const STALE_MENU: &str = "That menu is out of date (the FAQ changed). Pick a topic again:";
/// What a server whose own FAQ has never loaded is told.
pub const FAQ_UNAVAILABLE: &str = "This server's FAQ has errors, so I cannot answer from it yet. Moderators: run /faq-reload to see them.";
/// The intro of the topic menu when browsing.
const BROWSE: &str = "Pick a topic to browse its questions:";

/// Where a question was asked (a DM has no guild).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub guild: Option<u64>,
    pub channel: u64,
}

/// How a message addresses the bot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Addressed {
    /// Sent as a direct message.
    pub dm: bool,
    /// It mentions the bot.
    pub mentioned: bool,
    /// It replies to one of the bot's messages.
    pub replied_to_me: bool,
}

/// One event, in plain values.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// `/faq question:… [private:…]`.
    Ask {
        user: u64,
        place: Place,
        question: &'a str,
        private: Option<bool>,
    },
    /// `/faq-topics`.
    Topics,
    /// "Find FAQ answer" on a message: the message's channel and text, or
    /// `None` when the target is not a message.
    Find {
        user: u64,
        place: Place,
        target: Option<(u64, &'a str)>,
    },
    /// A command this version does not know.
    UnknownCommand(&'a str),
    /// `/faq` while its question is being typed.
    Autocomplete(&'a str),
    /// A button or menu: its custom id, the value picked in a menu, and
    /// whether the message it is on is private (the asker's own).
    Component {
        user: u64,
        custom_id: &'a str,
        chosen: Option<&'a str>,
        on_private_message: bool,
    },
    /// A message the bot can read.
    Message {
        author: u64,
        author_is_bot: bool,
        place: Place,
        text: &'a str,
        addressed: Addressed,
    },
}

/// What the bot does, in order; the handler stops at the first that fails.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// The interaction's response, as a new message. `remember`: the entry
    /// this public answer gives, so that repeats in the channel can point
    /// to it once its link is known.
    Respond {
        view: View,
        remember: Option<String>,
    },
    /// The interaction's response: the component's own message, changed.
    Update(View),
    /// The autocomplete choices: (name, value).
    Choices(Vec<(String, String)>),
    /// A message replying to the one that asked (the event's message, or
    /// the target of "Find FAQ answer"), remembered like `Respond`'s.
    Reply {
        view: View,
        remember: Option<String>,
    },
    /// Written to the store, without waiting.
    Record(Record),
    /// Why? on a question no longer in memory: its text must come from the
    /// store; then [`why_view`] answers, or [`WHY_TOO_OLD`].
    ExplainFromStore(QuestionId),
}

/// The answer to `event` in a server whose own FAQ has never loaded
/// ([`crate::moderation::library::Answering::Unavailable`]): a private
/// note to whoever asked; nothing for what did not address the bot (help
/// channels, other bots), and no autocomplete choices.
pub fn unavailable(event: &Event<'_>) -> Vec<Action> {
    let told = note(FAQ_UNAVAILABLE);
    match *event {
        Event::Autocomplete(_) => vec![Action::Choices(Vec::new())],
        Event::Message {
            author_is_bot,
            addressed,
            ..
        } => {
            if !author_is_bot && (addressed.mentioned || addressed.replied_to_me) {
                vec![Action::Reply {
                    view: told,
                    remember: None,
                }]
            } else {
                Vec::new()
            }
        }
        _ => vec![Action::Respond {
            view: told,
            remember: None,
        }],
    }
}

/// A row for the store.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Question(Question),
    Pick(Pick),
    Vote(Vote),
}

/// What routing reads besides the event.
pub struct Env<'a> {
    pub engine: &'a Engine,
    pub settings: &'a DiscordConfig,
    /// Whether votes are recorded (the store is on): answers get 👍/👎.
    pub votes: bool,
}

/// A user's last question, for the cooldown: when, and whether the note
/// for this window was sent.
#[derive(Debug, Clone, Copy)]
struct Asked {
    at: Instant,
    noted: bool,
}

/// A question inside its asker's cooldown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cooldown {
    /// Until the asker may ask again.
    wait: Duration,
    /// The first question of this window to be turned away.
    first_note: bool,
}

/// What the bot remembers between events: each user's last question
/// (cooldowns), the answers given lately per channel (repeats), and the
/// questions' texts (Why?).
#[derive(Default)]
pub struct Memory {
    last_question: HashMap<u64, Asked>,
    recent_answers: HashMap<(u64, String), (Instant, String)>,
    questions: RecentQuestions,
}

impl Memory {
    /// `Some` when `user` asked less than `window` before `now`; else
    /// records this question.
    fn cooldown(&mut self, user: u64, window: Duration, now: Instant) -> Option<Cooldown> {
        if window.is_zero() {
            return None;
        }
        if let Some(asked) = self.last_question.get_mut(&user) {
            let since = now.saturating_duration_since(asked.at);
            if since < window {
                let first_note = !asked.noted;
                asked.noted = true;
                return Some(Cooldown {
                    wait: window - since,
                    first_note,
                });
            }
        }
        self.last_question
            .retain(|_, a| now.saturating_duration_since(a.at) < window);
        self.last_question.insert(
            user,
            Asked {
                at: now,
                noted: false,
            },
        );
        None
    }

    /// The link to `entry`'s answer in `channel` within `window`, if any.
    fn recent_answer(
        &mut self,
        channel: u64,
        entry: &str,
        window: Duration,
        now: Instant,
    ) -> Option<String> {
        if window.is_zero() {
            return None;
        }
        self.recent_answers
            .retain(|_, (t, _)| now.saturating_duration_since(*t) < window);
        self.recent_answers
            .get(&(channel, entry.to_string()))
            .map(|(_, link)| link.clone())
    }

    /// Remembers that `entry` was answered in `channel` at `link`, for
    /// `window` from `now` (nothing when the window is zero).
    pub fn remember_answer(
        &mut self,
        channel: u64,
        entry: &str,
        link: String,
        window: Duration,
        now: Instant,
    ) {
        if window.is_zero() {
            return;
        }
        self.recent_answers
            .insert((channel, entry.to_string()), (now, link));
    }

    /// The text of question `id`, while it is remembered.
    pub fn question(&self, id: QuestionId) -> Option<&str> {
        self.questions.get(id)
    }
}

/// The cooldown set for askers.
fn cooldown_window(settings: &DiscordConfig) -> Duration {
    Duration::from_secs(settings.user_cooldown_secs)
}

/// How long an answer in a channel is pointed to instead of repeated.
pub fn repeat_window(settings: &DiscordConfig) -> Duration {
    Duration::from_secs(settings.repeat_window_secs)
}

/// Decides what answers `event`. `now`: when it arrived.
pub fn route(event: &Event, env: &Env, memory: &mut Memory, now: Instant) -> Vec<Action> {
    let mut route = Router {
        env,
        memory,
        now,
        actions: Vec::new(),
    };
    route.event(event);
    route.actions
}

/// One event's routing: what it reads, and the actions so far.
struct Router<'e, 'm> {
    env: &'e Env<'e>,
    memory: &'m mut Memory,
    now: Instant,
    actions: Vec<Action>,
}

impl Router<'_, '_> {
    fn event(&mut self, event: &Event) {
        let faq = &self.env.engine.faq;
        match *event {
            Event::Ask {
                user,
                place,
                question,
                private,
            } => self.ask_command(user, place, question, private),
            Event::Topics => self.respond(view::topic_menu(faq, 0, BROWSE, None)),
            Event::Find {
                user,
                place,
                target,
            } => self.find(user, place, target),
            Event::UnknownCommand(name) => {
                tracing::warn!(
                    command = name,
                    "unknown command; was it removed from the bot?"
                );
                self.respond(note("I don't know that command any more."));
            }
            Event::Autocomplete(typed) => {
                let choices = view::autocomplete(faq, &self.env.engine.matcher, typed);
                self.actions.push(Action::Choices(choices));
            }
            Event::Component {
                user,
                custom_id,
                chosen,
                on_private_message,
            } => self.component(user, custom_id, chosen, on_private_message),
            Event::Message {
                author,
                author_is_bot,
                place,
                text,
                addressed,
            } => {
                if !author_is_bot {
                    self.message(author, place, text, addressed);
                }
            }
        }
    }

    fn respond(&mut self, view: View) {
        self.actions.push(Action::Respond {
            view,
            remember: None,
        });
    }

    fn reply(&mut self, view: View) {
        self.actions.push(Action::Reply {
            view,
            remember: None,
        });
    }

    /// `Some` with the note to send when `user` is inside the cooldown.
    fn cooldown(&mut self, user: u64) -> Option<(View, bool)> {
        let window = cooldown_window(self.env.settings);
        self.memory
            .cooldown(user, window, self.now)
            .map(|c| (cooldown_view(c.wait), c.first_note))
    }

    /// Sends `view` in `channel` (as the response, or as a reply), unless
    /// the same answer was given there a moment ago: then a pointer to it.
    fn answer_in_channel(&mut self, channel: u64, view: View, pointer: &str, respond: bool) {
        let Some(entry) = view.answers.clone() else {
            return self.push_in_channel(view, None, respond);
        };
        let window = repeat_window(self.env.settings);
        match self.memory.recent_answer(channel, &entry, window, self.now) {
            Some(link) => self.push_in_channel(note(&format!("{pointer} {link}")), None, respond),
            None => self.push_in_channel(view, Some(entry), respond),
        }
    }

    fn push_in_channel(&mut self, view: View, remember: Option<String>, respond: bool) {
        self.actions.push(if respond {
            Action::Respond { view, remember }
        } else {
            Action::Reply { view, remember }
        });
    }

    /// Matches a question, logs the one line per question, records it and
    /// remembers its text for Why?.
    fn ask(&mut self, question: &str, trigger: Trigger, place: Place) -> (Match, QuestionId) {
        let engine = self.env.engine;
        let m = engine.matcher.ask(question);
        let latency = self.now.elapsed();
        log_question(engine, &m, trigger, latency);
        tracing::debug!(question, "question text");
        let mut q = Question::from_match(question, trigger, &m, &engine.faq, latency);
        // A DM channel stands for one person: kept for no DM.
        if let Some(guild) = place.guild {
            q.guild_id = Some(guild);
            q.channel_id = Some(place.channel);
        }
        let id = q.id;
        self.actions.push(Action::Record(Record::Question(q)));
        self.memory.questions.insert(id, question);
        (m, id)
    }

    fn ask_command(&mut self, user: u64, place: Place, question: &str, private: Option<bool>) {
        if let Some((v, _)) = self.cooldown(user) {
            return self.respond(v);
        }
        let engine = self.env.engine;
        let public = private.map_or(self.env.settings.public_answers, |p| !p);
        // A question picked from the autocomplete list names its entry.
        let picked = question
            .strip_prefix(view::ENTRY_CHOICE_PREFIX)
            .and_then(|id| engine.faq.entries.iter().position(|e| e.id == id));
        let v = match picked {
            Some(e) => {
                log_pick(engine, e, Trigger::Picked);
                view::answer(&engine.faq.entries[e], !public)
            }
            None if question.trim().is_empty() => {
                view::topic_menu(&engine.faq, 0, view::NO_WORDS, None)
            }
            None => {
                let (m, id) = self.ask(question, Trigger::Slash, place);
                view::for_match(&engine.faq, &m, public, Some(id), self.env.votes)
            }
        };
        if v.ephemeral {
            return self.respond(v);
        }
        self.answer_in_channel(
            place.channel,
            v,
            "This was answered in this channel a moment ago:",
            true,
        );
    }

    fn find(&mut self, user: u64, place: Place, target: Option<(u64, &str)>) {
        let Some((channel, text)) = target else {
            return self.respond(note("I can only look up a message's text."));
        };
        if let Some((v, _)) = self.cooldown(user) {
            return self.respond(v);
        }
        if text.trim().is_empty() {
            return self.respond(note("That message has no text I can see to look up (if it was sent before I joined, or is only an image, I can't read it)."));
        }
        let engine = self.env.engine;
        let (m, id) = self.ask(text, Trigger::ContextMenu, Place { channel, ..place });
        match &m.decision {
            Decision::Answer(s) => {
                // Acknowledge privately, then answer in the channel as a
                // reply to the message that asked.
                self.respond(note("Answered below."));
                let v = self.answer_view(&engine.faq.entries[s.entry], id);
                self.answer_in_channel(channel, v, "This was answered a moment ago:", false);
            }
            _ => self.respond(view::for_match(
                &engine.faq,
                &m,
                false,
                Some(id),
                self.env.votes,
            )),
        }
    }

    /// A public answer with its 👍/👎 (when votes are recorded) and Why?.
    fn answer_view(&self, entry: &Entry, id: QuestionId) -> View {
        view::with_feedback(view::answer(entry, false), id, self.env.votes, None)
    }

    /// The private answer to an entry picked from suggestions or menus:
    /// with 👍/👎 naming that entry when it followed a question (browsing
    /// has none) and votes are recorded.
    fn picked_answer(&self, entry: &Entry, question: Option<QuestionId>) -> View {
        let v = view::answer(entry, true);
        match question {
            Some(q) if self.env.votes => view::with_feedback(v, q, true, Some(&entry.id)),
            _ => v,
        }
    }

    /// Records that the asker of `question` picked `entry`; nothing when
    /// there was no question (browsing the menu).
    fn record_pick(&mut self, question: Option<QuestionId>, entry: &str, via: Via) {
        if let Some(question) = question {
            self.actions.push(Action::Record(Record::Pick(Pick {
                question,
                entry: entry.to_string(),
                via,
                at: now_unix(),
            })));
        }
    }

    fn component(&mut self, user: u64, custom_id: &str, chosen: Option<&str>, private: bool) {
        let engine = self.env.engine;
        let faq = &engine.faq;
        let action = view::Action::parse(custom_id);
        let chosen = chosen.and_then(Choice::parse);
        let stale = |question| view::topic_menu(faq, 0, STALE_MENU, question);
        let v = match (action, chosen) {
            (
                Some(view::Action::Vote {
                    question,
                    up,
                    entry,
                }),
                _,
            ) => return self.vote(user, question, up, entry),
            (Some(view::Action::Why(question)), _) => {
                return match self.memory.question(question) {
                    Some(text) => {
                        let v = why_view(engine, text);
                        self.respond(v)
                    }
                    None => self.actions.push(Action::ExplainFromStore(question)),
                }
            }
            (Some(view::Action::Answer { entry, question }), _) => {
                match faq.entries.iter().position(|e| e.id == entry) {
                    Some(e) => {
                        log_pick(engine, e, Trigger::Button);
                        self.record_pick(question, &entry, Via::Suggestion);
                        // A suggestion click answers privately, whoever clicks.
                        let v = self.picked_answer(&faq.entries[e], question);
                        return self.respond(v);
                    }
                    None => stale(question),
                }
            }
            (Some(view::Action::TopicMenu { question, .. }), Some(Choice::Topic(t))) => {
                view::question_menu(faq, t, 0, question).unwrap_or_else(|| stale(question))
            }
            (Some(view::Action::TopicMenu { question, .. }), Some(Choice::Page(p))) => {
                view::topic_menu(faq, p, BROWSE, question)
            }
            (
                Some(view::Action::QuestionMenu {
                    topic, question, ..
                }),
                Some(Choice::Page(p)),
            ) => view::question_menu(faq, topic, p, question).unwrap_or_else(|| stale(question)),
            (Some(view::Action::QuestionMenu { question, .. }), Some(Choice::Entry(id))) => {
                match faq.entries.iter().position(|e| e.id == id) {
                    Some(e) => {
                        log_pick(engine, e, Trigger::Menu);
                        self.record_pick(question, &id, Via::Menu);
                        self.picked_answer(&faq.entries[e], question)
                    }
                    None => stale(question),
                }
            }
            _ => {
                // Discord sends only our own components: an id this version
                // cannot read, or a menu without a choice, is a stale or
                // damaged menu. Offer the topics again rather than leave
                // "This interaction failed".
                tracing::debug!(custom_id, "a component this version cannot read");
                stale(None)
            }
        };
        // Menus update in place (topic -> questions -> answer) when they are
        // the asker's own private message; a menu on a public message (a
        // reply to a mention) opens a private copy for whoever clicks.
        if private {
            self.actions.push(Action::Update(v));
        } else {
            self.respond(View {
                ephemeral: true,
                ..v
            });
        }
    }

    /// 👍 or 👎 on an answer: recorded (the store hashes the voter's id; a
    /// later vote by the same person replaces it) and thanked privately.
    fn vote(&mut self, voter: u64, question: QuestionId, up: bool, entry: Option<String>) {
        if !self.env.votes {
            return self.respond(note(VOTE_NOT_RECORDED));
        }
        self.actions.push(Action::Record(Record::Vote(Vote {
            question,
            voter,
            up,
            entry,
            at: now_unix(),
        })));
        self.respond(note(VOTE_NOTED));
    }

    /// Mentions of the bot, replies to it, DMs and help channels.
    fn message(&mut self, author: u64, place: Place, text: &str, addressed: Addressed) {
        let trigger = if addressed.dm {
            Trigger::Dm
        } else if addressed.mentioned {
            Trigger::Mention
        } else if addressed.replied_to_me {
            Trigger::Reply
        } else if self.env.settings.help_channels.contains(&place.channel) {
            Trigger::HelpChannel
        } else {
            return;
        };
        let engine = self.env.engine;
        // Mentions are not words: the matcher's normaliser drops them.
        if trigger == Trigger::HelpChannel {
            // Only a confident answer, never a menu, and no cooldown notes;
            // nothing, not even a pointer, when it was just given.
            let (m, id) = self.ask(text, trigger, place);
            if let Decision::Answer(s) = m.decision {
                let entry = &engine.faq.entries[s.entry];
                let window = repeat_window(self.env.settings);
                let recent = self
                    .memory
                    .recent_answer(place.channel, &entry.id, window, self.now);
                if recent.is_none() {
                    let v = self.answer_view(entry, id);
                    self.push_in_channel(v, Some(entry.id.clone()), false);
                }
            }
            return;
        }
        if let Some((v, first_note)) = self.cooldown(author) {
            // A message cannot be answered privately: one public note per
            // cooldown window, and the rest of a flood gets nothing.
            if first_note {
                self.reply(v);
            }
            return;
        }
        let (m, id) = self.ask(text, trigger, place);
        let v = view::for_match(&engine.faq, &m, true, Some(id), self.env.votes);
        self.answer_in_channel(place.channel, v, "This was answered a moment ago:", false);
    }
}

/// Why?: the numbers behind the reply to `question`, as the FAQ is now.
pub fn why_view(engine: &Engine, question: &str) -> View {
    let why = Why::new(&engine.faq, &engine.matcher, question).to_text();
    let asked = view::cut(&question.replace(['\n', '\r'], " "), 300);
    note(&format!("Why this reply to \"{asked}\":\n{why}"))
}

fn cooldown_view(wait: Duration) -> View {
    let secs = wait.as_secs_f32().ceil().max(1.0) as u64;
    note(&format!(
        "You're asking faster than I can keep up; please wait {secs} second{} and ask again.",
        crate::answer::text::plural(secs)
    ))
}

fn log_question(engine: &Engine, m: &Match, trigger: Trigger, latency: Duration) {
    let entry = match &m.decision {
        Decision::Answer(s) => engine.faq.entries[s.entry].id.as_str(),
        _ => "",
    };
    tracing::info!(
        trigger = trigger.as_str(),
        outcome = m.decision.outcome().as_str(),
        entry,
        score = m.score,
        latency_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
        "question handled"
    );
}

/// A pick from a list (autocomplete, button, menu) answers an entry
/// directly: logged like a question, with score 1.
fn log_pick(engine: &Engine, entry: usize, trigger: Trigger) {
    tracing::info!(
        trigger = trigger.as_str(),
        outcome = Outcome::Answer.as_str(),
        entry = engine.faq.entries[entry].id.as_str(),
        score = 1.0,
        latency_us = 0u64,
        "question handled"
    );
}

#[cfg(test)]
mod tests;
