//! Whole-question spelling: a question typed almost exactly as one of an
//! entry's phrasings, with a typo or two, is that phrasing. Word matching
//! alone can miss it when typos hit short words ("myy my me waat" for "my
//! my me what"), and an FAQ with many similar phrasings then ties; the
//! characters of the whole question settle it.
//!
//! This is a re-ranking of the word ranking's shortlist (the best
//! [`rerank_depth`] entries), not a second search: a phrasing the words do
//! not bring near the top is not a near copy of the question.

use rapidfuzz::distance::levenshtein;

/// How many of the best entries by words are re-ranked by spelling, for
/// an FAQ of `entries`: the three shown, and more in a big FAQ, where
/// more phrasings share most of their words (make_scale.py's typo'd
/// questions: at 100,000 entries, re-ranking the best 5 finds 97.5 % of
/// them first, the best 10 98.0 %). Three more for every tenfold past
/// 1,000 entries: 3 up to 1,000, 6 at 10,000, 10 at 100,000.
pub fn rerank_depth(entries: usize) -> usize {
    let tenfolds = (entries.max(1000) as f64 / 1000.0).log2() / 10f64.log2();
    super::MAX_SUGGESTIONS + (tenfolds * 3.3).round() as usize
}

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
    /// Each phrasing's length in characters (capped), for the length check
    /// that rules most phrasings out before any comparison.
    phrasing_chars: Vec<u16>,
}

/// A question as it is compared with phrasings: its words (from
/// [`super::normalize::words`]) joined by single spaces, as phrasings are
/// stored, made ready once for comparing with many phrasings.
pub struct Typed {
    chars: usize,
    compare: levenshtein::BatchComparator<char>,
}

impl Typed {
    pub fn new(words: &[String]) -> Typed {
        let spelled = words.join(" ");
        Typed {
            chars: spelled.chars().count(),
            compare: levenshtein::BatchComparator::new(spelled.chars()),
        }
    }
}

impl Spelling {
    /// Room for `phrasings` phrasings of about `bytes` bytes in all, so that
    /// a big FAQ's text is not copied again and again as it grows.
    pub fn reserve(&mut self, phrasings: usize, bytes: usize) {
        self.text.reserve(bytes);
        self.phrasing_end.reserve_exact(phrasings);
        self.phrasing_chars.reserve_exact(phrasings);
    }

    /// Adds the next phrasing, given as its words.
    pub fn push_phrasing(&mut self, words: &[String]) {
        for (i, w) in words.iter().enumerate() {
            if i > 0 {
                self.text.push(' ');
            }
            self.text.push_str(w);
        }
        let start = self.phrasing_end.last().map_or(0, |&e| e as usize);
        let chars = self.text[start..].chars().count();
        self.phrasing_chars
            .push(chars.min(u16::MAX as usize) as u16);
        self.phrasing_end.push(self.text.len() as u32);
    }

    /// Gives back the slack left by growing the tables.
    pub fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.phrasing_end.shrink_to_fit();
        self.phrasing_chars.shrink_to_fit();
    }

    fn phrasing(&self, p: usize) -> &str {
        let start = p
            .checked_sub(1)
            .map_or(0, |q| self.phrasing_end[q] as usize);
        &self.text[start..self.phrasing_end[p] as usize]
    }

    /// How near a copy of the question the nearest of `phrasings` is, in
    /// [0, 1]: 0 below 80 % similar (`NEAR_COPY`), 1 for an exact copy.
    pub fn near_copy(&self, question: &Typed, phrasings: std::ops::Range<usize>) -> f32 {
        if question.chars == 0 {
            return 0.0;
        }
        let mut best = 0.0f64;
        for p in phrasings {
            let p_chars = self.phrasing_chars[p] as usize;
            let longer = question.chars.max(p_chars) as f64;
            // The most edits that could still beat the best so far. The
            // length difference alone is that many edits; beyond it the
            // bit-parallel search gives up early, which keeps this cheap on
            // the many phrasings that are no copy at all.
            let max_edits = ((1.0 - NEAR_COPY.max(best)) * longer + 1e-9).floor() as usize;
            if question.chars.abs_diff(p_chars) > max_edits {
                continue;
            }
            let args = levenshtein::Args::default().score_cutoff(max_edits);
            let text = self.phrasing(p);
            if let Some(d) = question.compare.distance_with_args(text.chars(), &args) {
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
    use crate::answer::matching::normalize::words;

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
        assert_eq!(
            s.near_copy(&Typed::new(&words("who protects embassies")), 0..2),
            1.0
        );
        assert_eq!(
            s.near_copy(
                &Typed::new(&words("which forces keep embassies safe")),
                0..2
            ),
            0.0
        );
    }

    #[test]
    fn a_typo_or_two_is_a_near_copy_of_the_nearest_phrasing() {
        let s = spelling(&["my my me what", "what me what my"]);
        let typed = Typed::new(&words("myy my me waat"));
        let near = s.near_copy(&typed, 0..1);
        assert!(near > 0.0 && near < 1.0, "{near}");
        assert_eq!(s.near_copy(&typed, 1..2), 0.0);
        // Only the given phrasings count.
        assert_eq!(s.near_copy(&typed, 0..2), near);
    }

    #[test]
    fn bigger_faqs_re_rank_deeper() {
        assert_eq!(rerank_depth(49), 3);
        assert_eq!(rerank_depth(1000), 3);
        assert_eq!(rerank_depth(10_000), 6);
        assert_eq!(rerank_depth(100_000), 10);
    }

    #[test]
    fn lifting_keeps_scores_in_range_and_order() {
        assert_eq!(Spelling::lift(0.5, 0.0), 0.5);
        assert!(Spelling::lift(0.5, 1.0) > Spelling::lift(0.5, 0.5));
        assert!(Spelling::lift(0.99, 1.0) <= 1.0);
        assert_eq!(Spelling::default().near_copy(&Typed::new(&[]), 0..0), 0.0);
    }
}
