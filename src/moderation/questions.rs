//! Every question file, read in one place: the labelled question tables
//! and benchmark JSON lines that `faqbot eval` scores, plain lists of
//! questions, and the FAQ folder's regression questions (`tests.toml`)
//! that `faqbot check` runs. `eval` and `diff` read through
//! [`load_cases`], `check` and `diff` through [`load_regression`]
//! ([`crate::moderation::regression`] runs them).
//!
//! ```toml
//! # tests.toml
//! [[case]]
//! question = "who protects an embassy?"
//! expect = "who-protects-embassies"   # an entry id: it must be answered
//!
//! [[case]]
//! question = "what is the best pizza topping"
//! expect = "none"                      # off-topic: must not be answered
//! ```
//!
//! A regression file is read raw with spans, then validated against the
//! FAQ, every problem with its line.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::faq::{Diagnostic, Faq, Position, TESTS_FILE};

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
pub struct RegressionCase {
    pub question: String,
    pub expect: Expect,
    pub pos: Position,
}

/// One question and what the bot should do with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub text: String,
    pub expect: Label,
}

/// What a question expects.
#[derive(Debug, Clone, PartialEq)]
pub enum Label {
    /// An answer with one of these entries (in scope).
    Answer(Vec<String>),
    /// No answer (out of scope).
    NoAnswer,
    /// Nothing said (a plain list of questions): only outcomes are counted.
    Unlabelled,
}

impl Label {
    fn from_ids(ids: Option<Vec<String>>) -> Label {
        ids.map_or(Label::NoAnswer, Label::Answer)
    }
}

/// `expect` in a question table or JSON lines: an id, or a list of them.
#[derive(Deserialize)]
#[serde(untagged)]
enum Ids {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct JsonCase {
    #[serde(alias = "question")]
    text: String,
    expect: Option<Ids>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlTable {
    case: Vec<TomlCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlCase {
    q: String,
    /// Missing: an unlabelled question.
    expect: Option<Ids>,
}

fn expect_ids(e: Option<Ids>) -> Option<Vec<String>> {
    match e {
        None => None,
        Some(Ids::One(s)) if s == "none" => None,
        Some(Ids::One(s)) => Some(vec![s]),
        Some(Ids::Many(v)) => Some(v),
    }
}

/// How a question file is written, by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `.toml`: a question table, or an FAQ folder's `tests.toml`.
    Toml,
    /// `.jsonl`, `.json`: the benchmark's JSON lines.
    JsonLines,
    /// Anything else: one question per line, unlabelled.
    Lines,
}

impl Kind {
    pub fn of(path: &Path) -> Kind {
        match path.extension().and_then(|x| x.to_str()) {
            Some("toml") => Kind::Toml,
            Some("jsonl" | "json") => Kind::JsonLines,
            _ => Kind::Lines,
        }
    }
}

/// Why a question file cannot be read; each names the file (and the line).
#[derive(Debug, thiserror::Error)]
pub enum QuestionsError {
    #[error("{file}: cannot read: {error}")]
    Read { file: String, error: std::io::Error },
    #[error("{file}:{line}: {error}")]
    Line {
        file: String,
        line: usize,
        error: serde_json::Error,
    },
    #[error("{file}: neither a question table ([[case]] with `q` and `expect`: {table_error}) nor regression questions ([[case]] with `question` and `expect`)")]
    NotQuestions { file: String, table_error: String },
}

/// Reads a question file (its kind from its name: see [`Kind`]): what
/// `eval` scores and `diff` replays.
pub fn load_cases(path: &Path) -> Result<Vec<Case>, QuestionsError> {
    let text = std::fs::read_to_string(path).map_err(|e| QuestionsError::Read {
        file: path.display().to_string(),
        error: e,
    })?;
    parse_cases(&text, Kind::of(path), &path.display().to_string())
}

/// Parses a question file's text of `kind` (`source` names it in errors).
pub fn parse_cases(text: &str, kind: Kind, source: &str) -> Result<Vec<Case>, QuestionsError> {
    if kind == Kind::Lines {
        return Ok(text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| Case {
                text: l.to_string(),
                expect: Label::Unlabelled,
            })
            .collect());
    }
    if kind == Kind::Toml {
        let table_error = match toml::from_str::<TomlTable>(text) {
            Ok(t) => {
                return Ok(t
                    .case
                    .into_iter()
                    .map(|c| Case {
                        text: c.q,
                        expect: match c.expect {
                            Some(e) => Label::from_ids(expect_ids(Some(e))),
                            None => Label::Unlabelled,
                        },
                    })
                    .collect())
            }
            Err(e) => e,
        };
        // An FAQ folder's regression questions (`tests.toml`: `question`
        // and `expect` per case) are labelled questions too.
        let (cases, diagnostics) = parse_regression(text, Path::new(source), None);
        if diagnostics.iter().any(|d| d.is_error()) || cases.is_empty() {
            return Err(QuestionsError::NotQuestions {
                file: source.to_string(),
                table_error: table_error.message().trim_end().to_string(),
            });
        }
        return Ok(cases
            .into_iter()
            .map(|c| Case {
                text: c.question,
                expect: match c.expect {
                    Expect::Entry(id) => Label::Answer(vec![id]),
                    Expect::NoAnswer => Label::NoAnswer,
                },
            })
            .collect());
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let c: JsonCase = serde_json::from_str(l).map_err(|e| QuestionsError::Line {
                file: source.to_string(),
                line: i + 1,
                error: e,
            })?;
            Ok(Case {
                text: c.text,
                expect: Label::from_ids(expect_ids(c.expect)),
            })
        })
        .collect()
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
pub fn load_regression(
    dir: &Path,
    faq: Option<&Faq>,
) -> Option<(Vec<RegressionCase>, Vec<Diagnostic>)> {
    let path = dir.join(TESTS_FILE);
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
        Ok(text) => parse_regression(&text, &path, faq),
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
pub fn parse_regression(
    text: &str,
    path: &Path,
    faq: Option<&Faq>,
) -> (Vec<RegressionCase>, Vec<Diagnostic>) {
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
        cases.push(RegressionCase {
            question,
            expect,
            pos,
        });
    }
    (cases, problems)
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
        let (cases, problems) = parse_regression(text, Path::new("tests.toml"), Some(&faq()));
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
        let (_, problems) = parse_regression(
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
        let (cases, problems) = parse_regression(
            "[[case]]\nquestion = \"  \"\nexpect = \"none\"\n",
            Path::new("t.toml"),
            None,
        );
        assert!(cases.is_empty());
        assert!(problems[0]
            .to_string()
            .starts_with("t.toml:2:12: error: the question is empty"));
    }
}
