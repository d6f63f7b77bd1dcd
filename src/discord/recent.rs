//! The texts of the questions the bot was asked lately, by question id:
//! what the Why? button explains. Bounded by a count and by the bytes of
//! text kept, the oldest forgotten first (question ids rise, so the
//! smallest id is the oldest). Older questions are looked up in the
//! store, when it is on.

use std::collections::BTreeMap;

use crate::store::QuestionId;

/// How many questions are kept.
pub const MAX_QUESTIONS: usize = 10_000;
/// How many bytes of question text are kept at most (Discord messages
/// can be 4,000 characters; most questions are a line).
pub const MAX_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug)]
pub struct RecentQuestions {
    texts: BTreeMap<QuestionId, String>,
    bytes: usize,
    max_questions: usize,
    max_bytes: usize,
}

impl Default for RecentQuestions {
    fn default() -> Self {
        RecentQuestions::new(MAX_QUESTIONS, MAX_BYTES)
    }
}

impl RecentQuestions {
    pub fn new(max_questions: usize, max_bytes: usize) -> RecentQuestions {
        RecentQuestions {
            texts: BTreeMap::new(),
            bytes: 0,
            max_questions,
            max_bytes,
        }
    }

    /// Remembers `text` as question `id`, forgetting the oldest beyond the
    /// bounds.
    pub fn insert(&mut self, id: QuestionId, text: &str) {
        if let Some(old) = self.texts.insert(id, text.to_string()) {
            self.bytes -= old.len();
        }
        self.bytes += text.len();
        while self.texts.len() > self.max_questions || self.bytes > self.max_bytes {
            match self.texts.pop_first() {
                Some((_, t)) => self.bytes -= t.len(),
                None => break,
            }
        }
    }

    /// The text of question `id`, if it is still remembered.
    pub fn get(&self, id: QuestionId) -> Option<&str> {
        self.texts.get(&id).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.texts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_are_forgotten_beyond_the_count() {
        let mut r = RecentQuestions::new(3, 1000);
        for i in 1..=5 {
            r.insert(QuestionId(i), &format!("q{i}"));
        }
        assert_eq!(r.len(), 3);
        assert_eq!(r.get(QuestionId(1)), None);
        assert_eq!(r.get(QuestionId(2)), None);
        assert_eq!(r.get(QuestionId(5)), Some("q5"));
    }

    #[test]
    fn the_oldest_are_forgotten_beyond_the_bytes() {
        let mut r = RecentQuestions::new(100, 10);
        r.insert(QuestionId(1), "aaaa");
        r.insert(QuestionId(2), "bbbb");
        r.insert(QuestionId(3), "cccc");
        assert_eq!(r.get(QuestionId(1)), None);
        assert_eq!(r.get(QuestionId(3)), Some("cccc"));
        // A text bigger than the whole budget is not kept, and empties
        // nothing else into a broken state.
        r.insert(QuestionId(4), &"x".repeat(11));
        assert!(r.is_empty());
        r.insert(QuestionId(5), "ok");
        assert_eq!(r.get(QuestionId(5)), Some("ok"));
    }

    #[test]
    fn the_same_id_twice_keeps_one_text() {
        let mut r = RecentQuestions::new(10, 10);
        r.insert(QuestionId(1), "aaaaaaaa");
        r.insert(QuestionId(1), "bb");
        r.insert(QuestionId(2), "cccccccc");
        assert_eq!(r.get(QuestionId(1)), Some("bb"));
        assert_eq!(r.get(QuestionId(2)), Some("cccccccc"));
    }
}
