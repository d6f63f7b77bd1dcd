//! `faqbot diff OLD NEW`: what an edit to the FAQ changes for askers.
//!
//! Replays questions against two versions of the FAQ and keeps those whose
//! route changes: a different answer, an answer gained or lost, other
//! suggestions, or the topic menu instead. Score changes alone are not
//! shown. The questions come from both versions' regression files, from
//! any file given (read as `eval` reads them), and from what people asked
//! (the store, read by the caller). Pure: the engines and the questions
//! are handed in.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use crate::answer::engine::Engine;
use crate::answer::matching::normalize::normalize;
use crate::moderation::questions::{self, QuestionsError};
use crate::moderation::regression::{Route, RouteKind};

/// One question whose route differs between the two versions.
#[derive(Debug, Clone)]
pub struct Change {
    pub question: String,
    pub old: Route,
    pub new: Route,
}

impl Change {
    /// How the change reads in the summary.
    pub fn kind(&self) -> ChangeKind {
        match (&self.old.kind, &self.new.kind) {
            (RouteKind::Answer(_), RouteKind::Answer(_)) => ChangeKind::OtherAnswer,
            (RouteKind::Answer(_), _) => ChangeKind::AnswerLost,
            (_, RouteKind::Answer(_)) => ChangeKind::AnswerGained,
            _ => ChangeKind::OtherChoices,
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {} → {}", self.question, self.old, self.new)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Answered before and now, with different entries.
    OtherAnswer,
    /// Answered before, not now.
    AnswerLost,
    /// Answered now, not before.
    AnswerGained,
    /// Not answered either time, but the suggestions or menu differ.
    OtherChoices,
}

/// The result of replaying questions against two versions.
#[derive(Debug, Clone, Default)]
pub struct Diff {
    /// How many distinct questions were replayed.
    pub replayed: usize,
    pub changes: Vec<Change>,
}

impl Diff {
    pub fn count(&self, kind: ChangeKind) -> usize {
        self.changes.iter().filter(|c| c.kind() == kind).count()
    }

    /// One line: how many questions, how many changed and how.
    pub fn summary(&self) -> String {
        format!(
            "{} question{} replayed, {} changed: {} answer{} gained, {} lost, {} switched to another entry, {} with other suggestions or the menu",
            self.replayed,
            crate::answer::text::plural(self.replayed),
            self.changes.len(),
            self.count(ChangeKind::AnswerGained),
            crate::answer::text::plural(self.count(ChangeKind::AnswerGained)),
            self.count(ChangeKind::AnswerLost),
            self.count(ChangeKind::OtherAnswer),
            self.count(ChangeKind::OtherChoices),
        )
    }
}

/// Replays `questions` (repeats, after normalising, are asked once)
/// against both engines, in the order given.
pub fn replay<'a>(
    old: &Engine,
    new: &Engine,
    questions: impl IntoIterator<Item = &'a str>,
) -> Diff {
    let mut seen = HashSet::new();
    let mut diff = Diff::default();
    for q in questions {
        let q = q.trim();
        if q.is_empty() || !seen.insert(normalize(q)) {
            continue;
        }
        diff.replayed += 1;
        let before = Route::ask(&old.faq, &old.matcher, q);
        let after = Route::ask(&new.faq, &new.matcher, q);
        if before.kind != after.kind {
            diff.changes.push(Change {
                question: q.to_string(),
                old: before,
                new: after,
            });
        }
    }
    diff
}

/// The regression questions of `dirs`, in order, for replaying. Problems
/// in those files are not this command's business (`check` reports them);
/// unreadable ones add nothing.
pub fn regression_questions(dirs: &[&Path]) -> Vec<String> {
    dirs.iter()
        .filter_map(|dir| questions::load_regression(dir, None))
        .flat_map(|(cases, _)| cases.into_iter().map(|c| c.question))
        .collect()
}

/// Questions from a file, read as `eval` reads them ([`questions::load_cases`]:
/// a question table or regression file, JSON lines, or one question per
/// line); only the questions matter here.
pub fn read_questions(path: &Path) -> Result<Vec<String>, QuestionsError> {
    let cases = questions::load_cases(path)?;
    Ok(cases.into_iter().map(|c| c.text).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::engine::Settings;
    use crate::faq::Faq;

    fn engine(faq: Faq) -> Engine {
        // The replay's logic, on the word matcher (no model needed).
        let mut config = Settings::default();
        config.matching.semantic = false;
        Engine::new(faq, &config).expect("no model to load")
    }

    #[test]
    fn only_changed_routes_are_kept_and_counted_by_kind() {
        let old = crate::synthetic::synthetic_faq(40, 5);
        let mut new = old.clone();
        // Entry 0 loses its phrasings' words: its own question is no longer
        // answered by it.
        new.entries[0].question = "zzz qqq".into();
        new.entries[0].alternatives = vec!["zzz".into(), "qqq".into()];
        let q0 = old.entries[0].question.clone();
        let q1 = old.entries[1].question.clone();
        let diff = replay(
            &engine(old),
            &engine(new),
            [q0.as_str(), q1.as_str(), q1.as_str(), ""],
        );
        assert_eq!(
            diff.replayed, 2,
            "repeats and empty lines are asked once or not at all"
        );
        assert_eq!(diff.changes.len(), 1, "{:?}", diff.changes);
        assert_eq!(diff.changes[0].question, q0);
        assert!(matches!(diff.changes[0].old.kind, RouteKind::Answer(ref id) if id == "e0"));
        assert_ne!(diff.changes[0].kind(), ChangeKind::AnswerGained);
        assert!(diff
            .summary()
            .starts_with("2 questions replayed, 1 changed"));
    }
}
