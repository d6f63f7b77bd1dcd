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
//! This module owns the file's format (parsed raw with spans, then
//! validated against the FAQ, every problem with its line), what a question
//! was routed to ([`Route`]), and running the cases against a matcher. It
//! knows nothing of Discord.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::answer::matching::{Decision, Match, Matcher};
use crate::faq::{Diagnostic, Faq, Position};

/// The file's name inside the FAQ directory; the FAQ loader skips it.
pub const FILE: &str = crate::faq::TESTS_FILE;

/// What a case expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// This entry is answered.
    Entry(String),
    /// No answer (suggestions or the topic menu are fine).
    NoAnswer,
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Entry(id) => write!(f, "answer `{id}`"),
            Expect::NoAnswer => write!(f, "no answer"),
        }
    }
}

/// One regression question, with where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub question: String,
    pub expect: Expect,
    pub pos: Position,
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    case: Vec<Spanned<RawCase>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    question: Spanned<String>,
    expect: Spanned<String>,
}

/// The cases of `dir/tests.toml`: `None` when there is no such file; else
/// the valid cases and every problem found (unknown entry ids need `faq`;
/// without it they are not checked).
pub fn load(dir: &Path, faq: Option<&Faq>) -> Option<(Vec<Case>, Vec<Diagnostic>)> {
    let path = dir.join(FILE);
    if std::fs::symlink_metadata(&path).is_err() {
        return None; // no regression questions: that is allowed
    }
    if let Some(problem) = crate::faq::load::not_a_file(&path) {
        return Some((
            Vec::new(),
            vec![Diagnostic::file_error(
                &path,
                format!("the regression questions cannot be read: {problem}"),
            )],
        ));
    }
    Some(match std::fs::read_to_string(&path) {
        Ok(text) => parse(&text, &path, faq),
        Err(e) => (
            Vec::new(),
            vec![Diagnostic::file_error(
                &path,
                format!("cannot read the regression questions: {e}"),
            )],
        ),
    })
}

/// Parses a regression file's text (`path` is for the messages).
pub fn parse(text: &str, path: &Path, faq: Option<&Faq>) -> (Vec<Case>, Vec<Diagnostic>) {
    let raw: RawFile = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            let pos = Position::of_offset(text, e.span().map_or(0, |s| s.start));
            let message = e.message().trim_end().to_string();
            return (
                Vec::new(),
                vec![Diagnostic::error(
                    path,
                    pos,
                    format!(
                        "{message}; each case is a [[case]] table with `question` and `expect` (an entry id, or \"none\")"
                    ),
                )],
            );
        }
    };
    let mut cases = Vec::new();
    let mut problems = Vec::new();
    let mut seen: std::collections::HashMap<String, Position> = std::collections::HashMap::new();
    for raw_case in raw.case {
        let pos = Position::of_offset(text, raw_case.span().start);
        let raw_case = raw_case.into_inner();
        let question = raw_case.question.get_ref().trim().to_string();
        if question.is_empty() {
            problems.push(Diagnostic::error(
                path,
                Position::of_offset(text, raw_case.question.span().start),
                "the question is empty; write the question as an asker would",
            ));
            continue;
        }
        let expect_text = raw_case.expect.get_ref().trim();
        let expect = if expect_text.eq_ignore_ascii_case("none") {
            Expect::NoAnswer
        } else {
            if let Some(faq) = faq {
                if faq.entry_by_id(expect_text).is_none() {
                    let ids = faq.entries.iter().map(|e| e.id.as_str());
                    let hint = match crate::faq::raw::did_you_mean(expect_text, ids) {
                        Some(id) => format!("did you mean `{id}`? "),
                        None => String::new(),
                    };
                    problems.push(Diagnostic::error(
                        path,
                        Position::of_offset(text, raw_case.expect.span().start),
                        format!(
                            "no entry has the id `{expect_text}`; {hint}expect an entry id, or \"none\" for a question that must not be answered"
                        ),
                    ));
                    continue;
                }
            }
            Expect::Entry(expect_text.to_string())
        };
        let key = crate::answer::matching::normalize::normalize(&question);
        if let Some(first) = seen.get(&key) {
            problems.push(Diagnostic::warning(
                path,
                pos,
                format!(
                    "the question `{question}` is already a case at line {}; it is run once, keep one",
                    first.line
                ),
            ));
            continue;
        }
        seen.insert(key, pos);
        cases.push(Case {
            question,
            expect,
            pos,
        });
    }
    (cases, problems)
}

/// A case that did not get what it expects.
#[derive(Debug, Clone)]
pub struct Failure {
    pub case: Case,
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
pub fn run(cases: &[Case], faq: &Faq, matcher: &Matcher) -> Vec<Failure> {
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

    fn faq() -> Faq {
        crate::synthetic::synthetic_faq(5, 3)
    }

    #[test]
    fn cases_parse_with_their_lines_and_unknown_ids_are_errors() {
        let text = "[[case]]\nquestion = \"a b\"\nexpect = \"e1\"\n\n[[case]]\nquestion = \"x\"\nexpect = \"none\"\n\n[[case]]\nquestion = \"y\"\nexpect = \"nope\"\n\n[[case]]\nquestion = \"z\"\nexpect = \"E2\"\n";
        let (cases, problems) = parse(text, Path::new("tests.toml"), Some(&faq()));
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].expect, Expect::Entry("e1".into()));
        assert_eq!(cases[0].pos.line, 1);
        assert_eq!(cases[1].expect, Expect::NoAnswer);
        assert_eq!(cases[1].pos.line, 5);
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 2);
        assert!(
            shown[0].starts_with("tests.toml:11:10: error: no entry has the id `nope`; expect"),
            "{shown:?}"
        );
        assert!(
            shown[1].starts_with(
                "tests.toml:15:10: error: no entry has the id `E2`; did you mean `e2`?"
            ),
            "{shown:?}"
        );
    }

    #[test]
    fn unknown_keys_and_empty_questions_are_reported_with_their_line() {
        let (_, problems) = parse(
            "[[case]]\nquestion = \"a\"\nexpected = \"e1\"\n",
            Path::new("t.toml"),
            None,
        );
        assert!(
            problems[0]
                .to_string()
                .starts_with("t.toml:3:1: error: unknown field `expected`"),
            "{problems:?}"
        );
        let (cases, problems) = parse(
            "[[case]]\nquestion = \"  \"\nexpect = \"none\"\n",
            Path::new("t.toml"),
            None,
        );
        assert!(cases.is_empty());
        assert!(problems[0]
            .to_string()
            .starts_with("t.toml:2:12: error: the question is empty"));
    }

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
