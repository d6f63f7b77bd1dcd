//! What the bot shows in Discord, as plain data: the answer embed, the
//! "Did you mean…" buttons, the topic and question menus, autocomplete
//! choices, and the 👍/👎/Why? row under an answer. Pure functions of the
//! FAQ and the matcher's outcome, with every text cut to Discord's limits;
//! [`super::build`] turns a [`View`] into serenity's builders. The ids
//! that tie a click back to an action (and to the question that led to
//! it) are the `custom_id` submodule's, re-exported here as [`Action`]
//! and [`Choice`].

mod custom_id;

pub use custom_id::{Action, Choice};

use crate::answer::matching::{Decision, Match, Matcher};
use crate::faq::{Entry, Faq};
use crate::store::QuestionId;

/// Discord's limits on what a message may hold (characters, or counts).
pub mod limits {
    pub const CONTENT: usize = 2000;
    pub const EMBED_TITLE: usize = 256;
    pub const EMBED_DESCRIPTION: usize = 4096;
    pub const EMBED_TOTAL: usize = 6000;
    pub const BUTTON_LABEL: usize = 80;
    pub const SELECT_LABEL: usize = 100;
    pub const SELECT_DESCRIPTION: usize = 100;
    pub const SELECT_VALUE: usize = 100;
    pub const SELECT_PLACEHOLDER: usize = 150;
    pub const SELECT_OPTIONS: usize = 25;
    pub const CUSTOM_ID: usize = 100;
    pub const AUTOCOMPLETE_CHOICES: usize = 25;
    pub const CHOICE_NAME: usize = 100;
    pub const CHOICE_VALUE: usize = 100;
}

pub use crate::answer::text::cut;

/// A message, ready to send: at most one embed, rows of components.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct View {
    pub content: Option<String>,
    pub embed: Option<EmbedView>,
    pub rows: Vec<Row>,
    /// Only the asker sees it (for interaction responses).
    pub ephemeral: bool,
    /// The id of the entry this view answers with, if it is an answer.
    pub answers: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EmbedView {
    pub title: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    Buttons(Vec<ButtonView>),
    Select(SelectView),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ButtonView {
    pub custom_id: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SelectView {
    pub custom_id: String,
    pub placeholder: String,
    pub options: Vec<OptionView>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OptionView {
    pub label: String,
    pub value: String,
    pub description: Option<String>,
    pub emoji: Option<String>,
}

/// Plain text, cut to fit one message.
pub fn text(text: &str, ephemeral: bool) -> View {
    View {
        content: Some(cut(text, limits::CONTENT)),
        ephemeral,
        ..View::default()
    }
}

/// A short private note.
pub fn note(text: &str) -> View {
    self::text(text, true)
}

/// The answer to an entry: its question as the title, the answer, then
/// `Source: <section>` (a link when the entry has one).
pub fn answer(entry: &Entry, ephemeral: bool) -> View {
    let source = match &entry.link {
        Some(link) => format!("Source: [{}]({})", entry.section, link),
        None => format!("Source: {}", entry.section),
    };
    // The source line always fits: the answer is cut to make room for it.
    let room = limits::EMBED_DESCRIPTION.saturating_sub(source.chars().count() + 2);
    let description = format!(
        "{}\n\n{}",
        cut(entry.answer.trim(), room),
        cut(&source, limits::EMBED_DESCRIPTION)
    );
    View {
        content: None,
        embed: Some(EmbedView {
            title: cut(&entry.question, limits::EMBED_TITLE),
            description: cut(&description, limits::EMBED_DESCRIPTION),
        }),
        rows: Vec::new(),
        ephemeral,
        answers: Some(entry.id.clone()),
    }
}

/// Button labels under an answer.
pub const UP_LABEL: &str = "👍";
pub const DOWN_LABEL: &str = "👎";
pub const WHY_LABEL: &str = "Why?";

/// `view` (an answer to `question`) with a row of 👍 and 👎 (when `votes`:
/// only when votes are recorded) and "Why?". `picked`: the entry the asker
/// picked from suggestions or menus, which the votes then name; Why?
/// explains the bot's own reply, so a picked answer does not get it.
pub fn with_feedback(
    mut view: View,
    question: QuestionId,
    votes: bool,
    picked: Option<&str>,
) -> View {
    let mut buttons = Vec::new();
    if votes {
        for (up, label) in [(true, UP_LABEL), (false, DOWN_LABEL)] {
            buttons.push(ButtonView {
                custom_id: Action::Vote {
                    question,
                    up,
                    entry: picked.map(str::to_string),
                }
                .custom_id(),
                label: label.into(),
            });
        }
    }
    if picked.is_none() {
        buttons.push(ButtonView {
            custom_id: Action::Why(question).custom_id(),
            label: WHY_LABEL.into(),
        });
    }
    if buttons.is_empty() {
        return view;
    }
    view.rows.push(Row::Buttons(buttons));
    view
}

/// "Did you mean…" with one button per suggested entry; the buttons carry
/// `question`, so that a click is recorded as a pick after it.
pub fn suggestions(entries: &[&Entry], question: Option<QuestionId>) -> View {
    let mut content = String::from("I'm not sure which one you mean. Did you mean:");
    for (i, e) in entries.iter().enumerate() {
        content.push_str(&format!("\n{}. {}", i + 1, e.question));
    }
    let buttons = entries
        .iter()
        .enumerate()
        .map(|(i, e)| ButtonView {
            custom_id: Action::Answer {
                entry: e.id.clone(),
                question,
            }
            .custom_id(),
            label: cut(&format!("{}. {}", i + 1, e.question), limits::BUTTON_LABEL),
        })
        .collect::<Vec<_>>();
    View {
        content: Some(cut(&content, limits::CONTENT)),
        embed: None,
        rows: if buttons.is_empty() {
            Vec::new()
        } else {
            vec![Row::Buttons(buttons)]
        },
        ephemeral: true,
        answers: None,
    }
}

/// Options for one page of a long list: up to 25 items, or 24 and "More…"
/// (which wraps around to the first page on the last one).
fn page_of<T>(items: &[T], page: usize) -> (&[T], Option<usize>) {
    if items.len() <= limits::SELECT_OPTIONS {
        return (items, None);
    }
    let per_page = limits::SELECT_OPTIONS - 1;
    let pages = items.len().div_ceil(per_page);
    let page = page % pages;
    let start = page * per_page;
    let end = (start + per_page).min(items.len());
    (&items[start..end], Some((page + 1) % pages))
}

/// Page `page` of `items` as options (each made by `option`), with the
/// option to the next page when there is one.
fn paged_options(
    items: &[usize],
    page: usize,
    option: impl Fn(usize) -> OptionView,
) -> Vec<OptionView> {
    let (shown, next) = page_of(items, page);
    let mut options: Vec<OptionView> = shown.iter().map(|&i| option(i)).collect();
    options.extend(next.map(more_option));
    options
}

fn more_option(next: usize) -> OptionView {
    OptionView {
        label: if next == 0 {
            "Back to the start…".into()
        } else {
            "More…".into()
        },
        value: Choice::Page(next).value(),
        description: None,
        emoji: None,
    }
}

/// The topic menu: `intro` above a select of topics. `question` is the
/// question that fell back to it (none when browsing), carried through
/// the menu to the answer picked.
pub fn topic_menu(faq: &Faq, page: usize, intro: &str, question: Option<QuestionId>) -> View {
    let topics: Vec<usize> = (0..faq.topics.len()).collect();
    let options = paged_options(&topics, page, |t| {
        let topic = &faq.topics[t];
        OptionView {
            label: cut(&topic.name, limits::SELECT_LABEL),
            value: Choice::Topic(t).value(),
            description: Some(cut(&topic.description, limits::SELECT_DESCRIPTION)),
            emoji: topic.emoji.clone(),
        }
    });
    private_menu(
        intro,
        Action::TopicMenu { page, question },
        "Choose a topic",
        options,
    )
}

/// A private message of `text` with one select menu.
fn private_menu(text: &str, action: Action, placeholder: &str, options: Vec<OptionView>) -> View {
    View {
        content: Some(cut(text, limits::CONTENT)),
        embed: None,
        rows: vec![Row::Select(SelectView {
            custom_id: action.custom_id(),
            placeholder: cut(placeholder, limits::SELECT_PLACEHOLDER),
            options,
        })],
        ephemeral: true,
        answers: None,
    }
}

/// A topic's questions as a select menu; `None` if there is no such topic.
/// `question` as for [`topic_menu`].
pub fn question_menu(
    faq: &Faq,
    topic: usize,
    page: usize,
    question: Option<QuestionId>,
) -> Option<View> {
    let t = faq.topics.get(topic)?;
    let options = paged_options(&t.entries, page, |e| {
        let entry = &faq.entries[e];
        OptionView {
            label: cut(&entry.question, limits::SELECT_LABEL),
            value: cut(
                &Choice::Entry(entry.id.clone()).value(),
                limits::SELECT_VALUE,
            ),
            description: None,
            emoji: None,
        }
    });
    let heading = match &t.emoji {
        Some(e) => format!("{e} **{}**: {}", t.name, t.description),
        None => format!("**{}**: {}", t.name, t.description),
    };
    Some(private_menu(
        &heading,
        Action::QuestionMenu {
            topic,
            page,
            question,
        },
        "Choose a question",
        options,
    ))
}

/// The apology above the topic menu when nothing fits.
pub const NO_MATCH: &str =
    "Sorry, I couldn't find an answer to that. Pick a topic to browse its questions:";
/// ... and when the question has nothing to look up.
pub const NO_WORDS: &str = "Ask me a question in words, or pick a topic to browse its questions:";

/// The reply to a matched question. `public_answer` says whether an answer
/// is shown to everyone; suggestions and menus are always private. With
/// the question's id, an answer gets the 👍/👎 (when `votes`) and Why?
/// buttons, and suggestions and menus carry the id to the pick.
pub fn for_match(
    faq: &Faq,
    m: &Match,
    public_answer: bool,
    question: Option<QuestionId>,
    votes: bool,
) -> View {
    match &m.decision {
        Decision::Answer(s) => {
            let v = answer(&faq.entries[s.entry], !public_answer);
            match question {
                Some(q) => with_feedback(v, q, votes, None),
                None => v,
            }
        }
        Decision::Suggest(list) => {
            let entries: Vec<&Entry> = list.iter().map(|s| &faq.entries[s.entry]).collect();
            suggestions(&entries, question)
        }
        Decision::Fallback(reason) => topic_menu(
            faq,
            0,
            match reason {
                crate::answer::matching::FallbackReason::NoWords => NO_WORDS,
                crate::answer::matching::FallbackReason::NoMatch => NO_MATCH,
            },
            question,
        ),
    }
}

/// The autocomplete value that names an entry exactly (what the user picks).
pub const ENTRY_CHOICE_PREFIX: &str = "faq-entry:";

/// Up to 25 FAQ questions for what the user has typed so far: the best
/// matches, or the FAQ's first questions while nothing is typed yet.
pub fn autocomplete(faq: &Faq, matcher: &Matcher, typed: &str) -> Vec<(String, String)> {
    let ranked: Vec<usize> = if typed.trim().is_empty() {
        (0..faq.entries.len()).collect()
    } else {
        let mut r: Vec<usize> = matcher
            .rank_top(typed, limits::AUTOCOMPLETE_CHOICES)
            .iter()
            .map(|s| s.entry)
            .collect();
        if r.is_empty() {
            // Nothing shares a word yet (a half-typed word): prefix matches.
            let needle = typed.trim().to_lowercase();
            r = (0..faq.entries.len())
                .filter(|&e| faq.entries[e].question.to_lowercase().contains(&needle))
                .collect();
        }
        r
    };
    ranked
        .into_iter()
        .take(limits::AUTOCOMPLETE_CHOICES)
        .map(|e| {
            let entry = &faq.entries[e];
            (
                cut(&entry.question, limits::CHOICE_NAME),
                cut(
                    &format!("{ENTRY_CHOICE_PREFIX}{}", entry.id),
                    limits::CHOICE_VALUE,
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faq::Topic;

    fn entry(id: &str, question: &str, answer: &str) -> Entry {
        Entry {
            id: id.into(),
            question: question.into(),
            alternatives: vec![],
            answer: answer.into(),
            section: "Host Country Responsibilities".into(),
            link: None,
            tags: vec![],
            owner: None,
            reviewed: None,
            topic: 0,
        }
    }

    fn faq_with(topics: usize, per_topic: usize) -> Faq {
        let mut faq = Faq::default();
        for t in 0..topics {
            let mut topic = Topic {
                name: format!("Topic {t}"),
                description: format!("About {t}"),
                emoji: None,
                order: t as i64,
                file: format!("{t}.toml").into(),
                entries: vec![],
            };
            for e in 0..per_topic {
                topic.entries.push(faq.entries.len());
                let mut en = entry(
                    &format!("e-{t}-{e}"),
                    &format!("Question {t} {e}?"),
                    "Answer.",
                );
                en.topic = t;
                faq.entries.push(en);
            }
            faq.topics.push(topic);
        }
        faq
    }

    #[test]
    fn an_answer_shows_question_answer_and_source() {
        let v = answer(
            &entry("a", "Who protects embassies?", "The host country."),
            false,
        );
        let e = v.embed.expect("embed");
        assert_eq!(e.title, "Who protects embassies?");
        assert!(e.description.starts_with("The host country."));
        assert!(e
            .description
            .ends_with("\n\nSource: Host Country Responsibilities"));
        let mut linked = entry("a", "Q", "A");
        linked.link = Some("https://example.org/x".into());
        let e = answer(&linked, true).embed.expect("embed");
        assert!(e
            .description
            .ends_with("Source: [Host Country Responsibilities](https://example.org/x)"));
    }

    #[test]
    fn long_texts_are_cut_to_discords_limits_and_keep_the_source() {
        let long = entry("a", &"Q".repeat(300), &"A".repeat(5000));
        let e = answer(&long, false).embed.expect("embed");
        assert_eq!(e.title.chars().count(), limits::EMBED_TITLE);
        assert!(e.description.chars().count() <= limits::EMBED_DESCRIPTION);
        assert!(e
            .description
            .ends_with("Source: Host Country Responsibilities"));
        assert!(e.title.chars().count() + e.description.chars().count() <= limits::EMBED_TOTAL);
        let v = suggestions(&[&long, &long], Some(QuestionId(u64::MAX)));
        for row in &v.rows {
            if let Row::Buttons(b) = row {
                assert!(b
                    .iter()
                    .all(|b| b.label.chars().count() <= limits::BUTTON_LABEL));
            }
        }
        assert!(v.content.expect("content").chars().count() <= limits::CONTENT);
    }

    #[test]
    fn suggestions_are_numbered_buttons_that_answer() {
        let a = entry("a-1", "First?", "x");
        let b = entry("b-2", "Second?", "y");
        let v = suggestions(&[&a, &b], Some(QuestionId(42)));
        assert!(v.ephemeral);
        assert_eq!(
            v.rows,
            vec![Row::Buttons(vec![
                ButtonView {
                    custom_id: "faq:answer:a-1:42".into(),
                    label: "1. First?".into()
                },
                ButtonView {
                    custom_id: "faq:answer:b-2:42".into(),
                    label: "2. Second?".into()
                },
            ])]
        );
    }

    #[test]
    fn an_answer_to_a_question_gets_votes_and_why() {
        let e = entry("a-1", "First?", "x");
        let q = QuestionId(7);
        let v = with_feedback(answer(&e, false), q, true, None);
        assert_eq!(
            v.rows,
            vec![Row::Buttons(vec![
                ButtonView {
                    custom_id: "faq:up:7".into(),
                    label: "👍".into()
                },
                ButtonView {
                    custom_id: "faq:down:7".into(),
                    label: "👎".into()
                },
                ButtonView {
                    custom_id: "faq:why:7".into(),
                    label: "Why?".into()
                },
            ])]
        );
        // Votes not recorded: only Why?.
        let v = with_feedback(answer(&e, false), q, false, None);
        assert_eq!(
            v.rows,
            vec![Row::Buttons(vec![ButtonView {
                custom_id: "faq:why:7".into(),
                label: "Why?".into()
            }])]
        );
    }

    #[test]
    fn menus_with_more_than_25_options_page_with_more() {
        let faq = faq_with(1, 60);
        let first = question_menu(&faq, 0, 0, None).expect("topic 0");
        let Row::Select(s) = &first.rows[0] else {
            panic!("a select")
        };
        assert_eq!(s.options.len(), 25);
        assert_eq!(s.options[24].label, "More…");
        assert_eq!(s.options[24].value, "more:1");
        let last = question_menu(&faq, 0, 2, None).expect("topic 0");
        let Row::Select(s) = &last.rows[0] else {
            panic!("a select")
        };
        assert_eq!(s.options.len(), 60 - 48 + 1);
        assert_eq!(s.options.last().map(|o| o.value.as_str()), Some("more:0"));
        assert!(question_menu(&faq, 5, 0, None).is_none());

        let small = faq_with(3, 2);
        let v = topic_menu(&small, 0, NO_MATCH, Some(QuestionId(9)));
        assert!(matches!(&v.rows[0], Row::Select(s) if s.custom_id == "faq:topics:0:9"));
        let Row::Select(s) = &v.rows[0] else {
            panic!("a select")
        };
        assert_eq!(s.options.len(), 3);
        assert_eq!(s.options[1].value, "t:1");
        assert_eq!(s.options[1].description.as_deref(), Some("About 1"));
    }
}
