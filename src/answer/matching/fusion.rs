//! The final score: the fuzzy score and the semantic score combined.
//!
//! `final = (1 - w) * fuzzy + w * semantic`, where `semantic` is the best
//! phrasing's cosine read against the FAQ's background (see
//! [`super::semantic`]), and `w` is [`super::Params::semantic_weight`].
//! Both signals run from about 0 (unrelated) to 1 (the same question), so
//! the final score does too, and the decision rule ([`super::decide`])
//! reads it with the same thresholds on any FAQ.
//!
//! Every entry gets both signals: the fuzzy ranking of every entry sharing
//! a word (the best [`FUZZY_CANDIDATES`] in FAQs above
//! [`FULL_FUSION_ENTRIES`]), and the cosine to every phrasing.
//!
//! A question the words already settle skips the model: a near copy of a
//! phrasing, far ahead of the next entry (see [`Fusion::settled`]).

use super::normalize;
use super::semantic::{Semantic, SemanticHit};
use super::Scored;

/// Up to this many entries, every entry's fuzzy score joins the fusion.
pub const FULL_FUSION_ENTRIES: usize = 2_000;

/// Above [`FULL_FUSION_ENTRIES`], the fuzzy scores of the best this many
/// entries join; the others count as 0 by words (an entry that far down
/// the word ranking scores little by words anyway).
pub const FUZZY_CANDIDATES: usize = 200;

/// A fuzzy score at least this high is a near copy of a phrasing (the
/// near-copy lift of [`super::spelling`] puts copies there).
pub const SETTLED_SCORE: f32 = 0.95;

/// ... and when the next entry is this far behind, the model cannot change
/// the answer: the question skips it.
pub const SETTLED_MARGIN: f32 = 0.4;

/// The semantic stage of one FAQ: its vectors and the fusion weight.
#[derive(Debug, Clone)]
pub struct Fusion {
    semantic: Semantic,
    weight: f32,
}

impl Fusion {
    pub fn new(semantic: Semantic, weight: f32) -> Fusion {
        Fusion { semantic, weight }
    }

    pub fn semantic(&self) -> &Semantic {
        &self.semantic
    }

    /// The semantic score's share of the final score.
    pub fn weight(&self) -> f32 {
        self.weight
    }

    /// How many entries the fuzzy ranking should return for the top `k`.
    pub fn fuzzy_depth(&self, entries: usize, k: usize) -> usize {
        if entries <= FULL_FUSION_ENTRIES {
            usize::MAX
        } else {
            FUZZY_CANDIDATES.max(k)
        }
    }

    /// Whether the fuzzy ranking alone decides: a near copy of one entry's
    /// phrasing, far ahead of every other entry.
    pub fn settled(fuzzy: &[Scored]) -> bool {
        let Some(best) = fuzzy.first() else {
            return false;
        };
        let next = fuzzy.get(1).map_or(0.0, |s| s.score);
        best.score >= SETTLED_SCORE && best.score - next >= SETTLED_MARGIN
    }

    /// The `k` best entries by the final score, best first (ties by FAQ
    /// order), from the fuzzy ranking `fuzzy` (best first).
    pub fn fuse(&self, question: &str, mut fuzzy: Vec<Scored>, k: usize) -> Vec<Scored> {
        if Fusion::settled(&fuzzy) {
            fuzzy.truncate(k);
            return fuzzy;
        }
        let vector = match self.semantic.embed(&normalize::for_model(question)) {
            Ok(v) => v,
            Err(e) => {
                // Should not happen (any text tokenizes): answer by words.
                tracing::warn!(error = %e, "the semantic model failed; matching by words only");
                fuzzy.truncate(k);
                return fuzzy;
            }
        };
        let hits = self.semantic.score_entries(&vector);
        let mut by_entry: Vec<Option<Scored>> = vec![None; hits.len()];
        for s in fuzzy {
            by_entry[s.entry] = Some(s);
        }
        let w = self.weight;
        let mut fused: Vec<(f32, Scored)> = hits
            .iter()
            .zip(by_entry)
            .enumerate()
            .map(|(entry, (&hit, words))| {
                let fuzzy = words.map_or(0.0, |s| s.score);
                let meaning = w * self.semantic.normalise(hit.cosine);
                let by_words = (1.0 - w) * fuzzy;
                let raw = by_words + meaning;
                (
                    raw,
                    scored(entry, raw, fuzzy, by_words >= meaning, hit, words),
                )
            })
            .collect();
        let order = |a: &(f32, Scored), b: &(f32, Scored)| {
            b.0.total_cmp(&a.0).then(a.1.entry.cmp(&b.1.entry))
        };
        if k < fused.len() {
            fused.select_nth_unstable_by(k, order);
            fused.truncate(k);
        }
        fused.sort_by(order);
        fused
            .into_iter()
            .map(|(_, s)| s)
            .filter(|s| s.score > 0.0)
            .collect()
    }
}

/// One entry's fused result. Its phrasing is the one that counted more:
/// the words' best phrasing, or the one closest in meaning.
fn scored(
    entry: usize,
    raw: f32,
    fuzzy: f32,
    words_counted_more: bool,
    hit: SemanticHit,
    words: Option<Scored>,
) -> Scored {
    let (phrasing, question_coverage, phrasing_coverage) = match words {
        Some(s) if words_counted_more => (s.phrasing, s.question_coverage, s.phrasing_coverage),
        Some(s) => (hit.phrasing, s.question_coverage, s.phrasing_coverage),
        None => (hit.phrasing, 0.0, 0.0),
    };
    Scored {
        entry,
        score: raw.clamp(0.0, 1.0),
        fuzzy,
        semantic: Some(hit),
        phrasing,
        question_coverage,
        phrasing_coverage,
    }
}
