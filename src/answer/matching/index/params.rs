//! The knobs of scoring ([`Params`], the config file's `[scoring]` table)
//! and their defaults.

use super::SYNONYM_SIMILARITY;

/// The knobs of scoring (not of deciding: see
/// [`Thresholds`](crate::answer::matching::Thresholds)); the config file's
/// `[scoring]` table overrides them.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// How much a question word found only in an entry's *answer* counts,
    /// relative to one found in its question or alternatives. The answer
    /// holds the document's own words, which people reuse ("perimeter",
    /// "armored"), but it also mentions things the entry is not about.
    pub answer_word: f32,
    /// The weight of a question word the FAQ has never seen, as a share of
    /// the weight of the rarest FAQ word. Below 1 because unknown words are
    /// often chat filler the stopword list misses; above 0 because they are
    /// the best sign that a question is off-topic.
    pub unknown_word: f32,
    /// How many matched words a confident score needs. A question whose
    /// only match is one common word ("embassy", "help") explains itself
    /// fully, yet says too little to pick an entry. Each matched question
    /// word counts its similarity times `(1 + rarity) / 2`, where rarity is
    /// its IDF over the rarest word's: a word only one entry uses counts 1,
    /// a word every entry uses about 1/2. The score is scaled by
    /// `min(1, count / evidence)`.
    pub evidence: f32,
    /// Caps an FAQ word's weight by how ordinary it is in English: at most
    /// the rarest FAQ word's weight times `(7 − zipf) / english_cap`, where
    /// zipf is the word's everyday frequency (7 for "the", 5.6 for "job",
    /// 3.9 for "embassy"; see
    /// [`english`](crate::answer::matching::english)). A word that one
    /// alternative happens to use ("job", "world", "biggest") then no
    /// longer counts as much as a real subject word ("undss"). With 4.0,
    /// words rarer than zipf 3 are not capped and "job" keeps 35 % of the
    /// top weight. 0 turns the cap off. Measured (`faqbot eval`): on the
    /// seed FAQ's tuning set `dev2` it lifts questions answered right at
    /// the strict operating point from 37 % to 51 %; on CLINC150 val it
    /// costs 1.8 points of top-1 and nothing at the strict point.
    pub english_cap: f32,
    /// What a word of the same synonym group counts ("define" for
    /// "meaning"; `src/answer/matching/synonyms.txt`), as a similarity. 0 turns
    /// synonyms off.
    pub synonym: f32,
    /// The semantic score's share of the final score, when the semantic
    /// stage is on (see [`fusion`](crate::answer::matching::fusion)); the
    /// fuzzy score has the rest.
    pub semantic_weight: f32,
}

/// The semantic score's share of the final score. Chosen on the tuning
/// sets (CLINC150 val and the seed FAQ's dev2) together: see
/// `docs/matching.md` for the sweep.
pub const SEMANTIC_WEIGHT: f32 = 0.6;

impl Default for Params {
    fn default() -> Self {
        Params {
            answer_word: 0.7,
            unknown_word: 1.0,
            evidence: 1.5,
            english_cap: 4.0,
            synonym: SYNONYM_SIMILARITY,
            semantic_weight: SEMANTIC_WEIGHT,
        }
    }
}
