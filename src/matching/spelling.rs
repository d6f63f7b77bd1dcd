//! Whole-question spelling: a question typed almost exactly as one of an
//! entry's phrasings, with a typo or two, is that phrasing. Word matching
//! alone can miss it when typos hit short words ("myy my me waat" for "my
//! my me what"), and an FAQ with many similar phrasings then ties; the
//! characters of the whole question settle it.
//!
//! This is a re-ranking of the word ranking's shortlist (the best
//! [`RERANK_DEPTH`] entries), not a second search: a phrasing the words do
//! not bring near the top is not a near copy of the question.

use rapidfuzz::distance::levenshtein;

use super::normalize::words;

/// How many of the best entries by words are re-ranked by spelling.
pub const RERANK_DEPTH: usize = 10;

/// A phrasing must be at least this similar, character by character
/// (1 − Levenshtein distance / longer length), to count as the question
/// retyped. Paraphrases stay well below it.
const NEAR_COPY: f64 = 0.8;

/// The most a near copy lifts a score: an exact copy moves it this share
/// of the way from its word score to 1.
const MAX_LIFT: f32 = 0.3;

/// The FAQ's phrasings, normalised, in one arena (built by the index,
/// which numbers the phrasings).
#[derive(Debug, Clone, Default)]
pub struct Spelling {
    text: String,
    /// Each phrasing's end in `text`.
    phrasing_end: Vec<u32>,
}

/// The normalised text a question is compared as: its words (see
/// [`words`]) joined by single spaces, as phrasings are stored.
pub fn spelled(text: &str) -> String {
    words(text).join(" ")
}

impl Spelling {
    /// Adds the next phrasing, given as its words.
    pub fn push_phrasing(&mut self, words: &[String]) {
        for (i, w) in words.iter().enumerate() {
            if i > 0 {
                self.text.push(' ');
            }
            self.text.push_str(w);
        }
        self.phrasing_end.push(self.text.len() as u32);
    }

    fn phrasing(&self, p: usize) -> &str {
        let start = p
            .checked_sub(1)
            .map_or(0, |q| self.phrasing_end[q] as usize);
        &self.text[start..self.phrasing_end[p] as usize]
    }

    /// How near a copy of the question the nearest of `phrasings` is, in
    /// [0, 1]: 0 below [`NEAR_COPY`], 1 for an exact copy.
    pub fn near_copy(&self, question: &str, phrasings: std::ops::Range<usize>) -> f32 {
        let q_len = question.chars().count();
        if q_len == 0 {
            return 0.0;
        }
        let mut best = 0.0f64;
        for p in phrasings.map(|p| self.phrasing(p)) {
            let longer = q_len.max(p.chars().count()) as f64;
            // The most edits that could still beat the best so far; the
            // bit-parallel search gives up beyond it, which is what keeps
            // this cheap on the many phrasings that are no copy at all.
            let max_edits = ((1.0 - NEAR_COPY.max(best)) * longer + 1e-9).floor() as usize;
            let args = levenshtein::Args::default().score_cutoff(max_edits);
            if let Some(d) = levenshtein::distance_with_args(question.chars(), p.chars(), &args) {
                best = best.max(1.0 - d as f64 / longer);
            }
        }
        if best < NEAR_COPY {
            0.0
        } else {
            ((best - NEAR_COPY) / (1.0 - NEAR_COPY)) as f32
        }
    }

    /// A score lifted by how near a copy the entry is.
    pub fn lift(score: f32, near_copy: f32) -> f32 {
        score + (1.0 - score) * MAX_LIFT * near_copy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spelling(phrasings: &[&str]) -> Spelling {
        let mut s = Spelling::default();
        for p in phrasings {
            s.push_phrasing(&words(p));
        }
        s
    }

    #[test]
    fn an_exact_copy_is_fully_near_and_a_paraphrase_not_at_all() {
        let s = spelling(&["Who protects embassies?", "what guards an embassy"]);
        assert_eq!(s.near_copy(&spelled("who protects embassies"), 0..2), 1.0);
        assert_eq!(
            s.near_copy(&spelled("which forces keep embassies safe"), 0..2),
            0.0
        );
    }

    #[test]
    fn a_typo_or_two_is_a_near_copy_of_the_nearest_phrasing() {
        let s = spelling(&["my my me what", "what me what my"]);
        let typed = spelled("myy my me waat");
        let near = s.near_copy(&typed, 0..1);
        assert!(near > 0.0 && near < 1.0, "{near}");
        assert_eq!(s.near_copy(&typed, 1..2), 0.0);
        // Only the given phrasings count.
        assert_eq!(s.near_copy(&typed, 0..2), near);
    }

    #[test]
    fn lifting_keeps_scores_in_range_and_order() {
        assert_eq!(Spelling::lift(0.5, 0.0), 0.5);
        assert!(Spelling::lift(0.5, 1.0) > Spelling::lift(0.5, 0.5));
        assert!(Spelling::lift(0.99, 1.0) <= 1.0);
        assert_eq!(Spelling::default().near_copy("", 0..0), 0.0);
    }
}
