//! Regression questions kept beside the FAQ: `tests.toml` in the FAQ
//! directory, run by `faqbot check` and replayed by `faqbot diff`.
//!
//! ```toml
//! [[case]]
//! question = "who protects an embassy?"
//! expect = "who-protects-embassies"   # an entry id: it must be answered
//!
//! [[case]]
//! question = "what is the best pizza topping"
//! expect = "none"                      # off-topic: must not be answered
//! ```
//!
//! The file's format, read raw with spans and validated against the FAQ,
//! is [`crate::moderation::questions`]'s, with every other question file.
//! This module owns what a question was routed to ([`Route`]) and running
//! the cases against a matcher. It knows nothing of Discord.

use std::fmt;
use std::path::Path;

use crate::answer::matching::{Decision, Match, Matcher};
use crate::faq::{Diagnostic, Faq};
use crate::moderation::questions::{Expect, RegressionCase};

/// Where a question went: the answer, the suggestions, or the topic menu,
/// with the best score. Two routes are equal when the asker would see the
/// same thing (scores aside).
#[derive(Debug, Clone)]
pub struct Route {
    pub kind: RouteKind,
    /// The best entry's score.
    pub score: f32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteKind {
    Answer(String),
    Suggest(Vec<String>),
    Menu,
}

impl Route {
    pub fn of(faq: &Faq, m: &Match) -> Route {
        let id = |e: usize| faq.entries[e].id.clone();
        let kind = match &m.decision {
            Decision::Answer(s) => RouteKind::Answer(id(s.entry)),
            Decision::Suggest(list) => {
                RouteKind::Suggest(list.iter().map(|s| id(s.entry)).collect())
            }
            Decision::Fallback(_) => RouteKind::Menu,
        };
        Route {
            kind,
            score: m.score,
        }
    }

    /// Asks `matcher` (built from `faq`) and says where the question went.
    pub fn ask(faq: &Faq, matcher: &Matcher, question: &str) -> Route {
        Route::of(faq, &matcher.ask(question))
    }

    pub fn meets(&self, expect: &Expect) -> bool {
        match (expect, &self.kind) {
            (Expect::Entry(id), RouteKind::Answer(got)) => id == got,
            (Expect::Entry(_), _) => false,
            (Expect::NoAnswer, kind) => !matches!(kind, RouteKind::Answer(_)),
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            RouteKind::Answer(id) => write!(f, "answer `{id}`")?,
            RouteKind::Suggest(ids) => {
                write!(f, "suggestions ")?;
                for (i, id) in ids.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "`{id}`")?;
                }
            }
            RouteKind::Menu => write!(f, "the topic menu")?,
        }
        write!(f, " (score {:.2})", self.score)
    }
}

/// A case that did not get what it expects.
#[derive(Debug, Clone)]
pub struct Failure {
    pub case: RegressionCase,
    pub got: Route,
}

impl Failure {
    pub fn diagnostic(&self, path: &Path) -> Diagnostic {
        Diagnostic::error(
            path,
            self.case.pos,
            format!(
                "`{}`: expected {}, got {}",
                self.case.question, self.case.expect, self.got
            ),
        )
    }
}

/// Runs every case; returns those that failed.
pub fn run(cases: &[RegressionCase], faq: &Faq, matcher: &Matcher) -> Vec<Failure> {
    cases
        .iter()
        .filter_map(|case| {
            let got = Route::ask(faq, matcher, &case.question);
            (!got.meets(&case.expect)).then(|| Failure {
                case: case.clone(),
                got,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_meets_an_expectation_only_when_the_asker_sees_it() {
        let answer = Route {
            kind: RouteKind::Answer("a".into()),
            score: 0.7,
        };
        let suggest = Route {
            kind: RouteKind::Suggest(vec!["a".into(), "b".into()]),
            score: 0.4,
        };
        assert!(answer.meets(&Expect::Entry("a".into())));
        assert!(!answer.meets(&Expect::Entry("b".into())));
        assert!(!answer.meets(&Expect::NoAnswer));
        assert!(!suggest.meets(&Expect::Entry("a".into())));
        assert!(suggest.meets(&Expect::NoAnswer));
        assert_eq!(suggest.to_string(), "suggestions `a`, `b` (score 0.40)");
    }
}
