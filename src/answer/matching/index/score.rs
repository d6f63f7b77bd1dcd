//! Scoring one entry: a question read against the index once
//! ([`Prepared`]), what it explains of an entry, the entry's score
//! ([`Index::score`]) and the most that score can be ([`Index::bound`]),
//! which both searches prune by.

use super::{distinct_terms, Index, Scored, TermId};
use crate::answer::matching::normalize::{self, terms_of};

/// A question read against the index ([`Index::prepare`]), to score
/// entries one by one or to find those above a floor without ranking the
/// whole FAQ.
pub struct Prepared<'a> {
    pub(super) index: &'a Index,
    /// Each matched question word: its weight and the vocabulary it
    /// matches, with similarities.
    pub(super) matched: Vec<(f32, Vec<(TermId, f32)>)>,
    pub(super) hits: Vec<(TermId, f32)>,
    pub(super) question_weight: f32,
    pub(super) confidence: f32,
}

/// What scoring an entry needs to know about the question.
pub(super) struct Query<'a> {
    /// vocabulary term -> best similarity to any question word
    pub(super) hits: &'a [(TermId, f32)],
    pub(super) question_weight: f32,
    pub(super) confidence: f32,
    /// For the bound on phrasing coverage: what question words read as
    /// several vocabulary words may cover beyond their weight.
    pub(super) soft_slack: f32,
}

impl Index {
    /// A question read against the index once: its words' weights and the
    /// vocabulary they match, ready to score any entry. `None` when no
    /// word of it matches the FAQ.
    pub fn prepare(&self, question: &str) -> Option<Prepared<'_>> {
        self.prepare_words(normalize::words(question))
    }

    /// [`Index::prepare`] of a question already read with
    /// [`normalize::words`].
    pub(super) fn prepare_words(&self, question: Vec<String>) -> Option<Prepared<'_>> {
        let words = distinct_terms(terms_of(question));
        // Each question word: its weight and the vocabulary it matches.
        let mut question_weight = 0.0f32;
        let mut matched: Vec<(f32, Vec<(TermId, f32)>)> = Vec::with_capacity(words.len());
        // vocabulary term -> best similarity to any question word
        let mut hits: Vec<(TermId, f32)> = Vec::new();
        // The matched question words, each counted by similarity and rarity.
        let mut evidence = 0.0f32;
        for term in &words {
            let Some((weight, matches)) = self.read(term) else {
                continue;
            };
            question_weight += weight;
            if let Some(&(_, sim)) = matches.first() {
                // A function word is evidence only as far as it is rare.
                let rarity = weight / self.max_idf;
                evidence += if term.function {
                    sim * rarity
                } else {
                    sim * (1.0 + rarity) / 2.0
                };
            }
            hits.extend_from_slice(&matches);
            matched.push((weight, matches));
        }
        // Sorted by term, best similarity first, one per term: looked up
        // by binary search for every phrasing scored.
        hits.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
        hits.dedup_by_key(|h| h.0);
        if hits.is_empty() || question_weight == 0.0 {
            return None;
        }
        let confidence = if self.evidence > 0.0 {
            (evidence / self.evidence).min(1.0)
        } else {
            1.0
        };
        Some(Prepared {
            index: self,
            matched,
            hits,
            question_weight,
            confidence,
        })
    }

    /// What an entry must explain of the question for its bound to reach
    /// `bound`, less a margin for rounding: the bound is at most
    /// `combine(explained / question_weight, 1) * confidence`, which grows
    /// with what it explains. 0 when nothing can be ruled out.
    pub(super) fn explained_needed(&self, query: &Query, bound: f32) -> f32 {
        if bound <= 0.0 || query.confidence <= 0.0 {
            return 0.0;
        }
        // combine(q, 1) = 2q / (q + 1) >= b  <=>  q >= b / (2 - b)
        let b = bound / query.confidence;
        if b >= 2.0 {
            return 0.0; // cannot happen: bounds are at most the confidence
        }
        b / (2.0 - b) * query.question_weight * (1.0 - EXPLAINED_MARGIN)
    }

    /// [`Query::soft_slack`] of the `matched` question words. A word read
    /// as several vocabulary words adds its weight once to what an entry
    /// explains, but a phrasing holding two of them counts both, each at
    /// its own weight (which may be above the word's): so all of them are
    /// slack, not just the largest.
    pub(super) fn soft_slack(&self, matched: &[(f32, Vec<(TermId, f32)>)]) -> f32 {
        matched
            .iter()
            .filter(|m| m.1.len() > 1)
            .flat_map(|m| m.1.iter().map(|&(t, sim)| self.idf[t as usize] * sim))
            .sum()
    }

    /// The most entry `e`'s score can be, given that it explains
    /// `explained` of the question. A phrasing's covered weight is at most
    /// what the question's words explain of the entry (plus what words
    /// read as several near spellings may add), so its coverage is at most
    /// that over the entry's lightest phrasing. A little headroom keeps the
    /// bound above the score whatever the rounding.
    pub(super) fn bound(&self, query: &Query, e: u32, explained: f32) -> f32 {
        let qc = explained / query.question_weight;
        let lightest = self.lightest_phrasing[e as usize];
        let pc = if lightest > 0.0 {
            ((explained + query.soft_slack) / lightest * 1.0001 + 1e-6).min(1.0)
        } else {
            1.0
        };
        combine(qc, pc) * query.confidence
    }

    /// Entry `e`'s score and best phrasing, given that it explains
    /// `explained` of the question; `None` if it scores 0.
    pub(super) fn score(&self, query: &Query, e: u32, explained: f32) -> Option<Scored> {
        let Query {
            hits,
            question_weight,
            confidence,
            ..
        } = *query;
        let e = e as usize;
        let question_coverage = explained / question_weight;
        let (first, last) = (
            self.entry_start[e] as usize,
            self.entry_start[e + 1] as usize,
        );
        let (phrasing, phrasing_coverage) = (first..last)
            .map(|p| {
                let terms = &self.phrasing_terms
                    [self.phrasing_start[p] as usize..self.phrasing_start[p + 1] as usize];
                let covered: f32 = terms
                    .iter()
                    .map(|&t| {
                        hits.binary_search_by_key(&t, |h| h.0)
                            .map_or(0.0, |i| self.idf[t as usize] * hits[i].1)
                    })
                    .sum();
                let total = self.phrasing_total[p];
                if total > 0.0 {
                    covered / total
                } else {
                    0.0
                }
            })
            .enumerate()
            .fold(
                (0, 0.0f32),
                |best, (i, c)| if c > best.1 { (i, c) } else { best },
            );
        let score = (combine(question_coverage, phrasing_coverage) * confidence).min(1.0);
        (score > 0.0).then_some(Scored {
            entry: e,
            score,
            fuzzy: score,
            semantic: None,
            phrasing,
            question_coverage,
            phrasing_coverage,
        })
    }
}

impl Prepared<'_> {
    pub(super) fn query(&self) -> Query<'_> {
        Query {
            hits: &self.hits,
            question_weight: self.question_weight,
            confidence: self.confidence,
            soft_slack: self.index.soft_slack(&self.matched),
        }
    }

    /// What the question explains of entry `e`, looked up word by word in
    /// the postings (each word counts its best match in the entry): the
    /// sum [`Index::coverage`] makes, perhaps in another order (so it may
    /// differ from [`Index::rank_top`]'s in the last bit).
    fn explained(&self, e: u32) -> f32 {
        (0..self.matched.len())
            .map(|i| self.explained_by_word(i, e))
            .sum()
    }

    /// What question word `i` explains of entry `e`: its best match there.
    pub(super) fn explained_by_word(&self, i: usize, e: u32) -> f32 {
        let index = self.index;
        let (weight, matches) = &self.matched[i];
        let best = matches
            .iter()
            .filter_map(|&(t, sim)| {
                let postings = &index.postings[t as usize];
                let at = postings.binary_search_by_key(&e, |p| p.0).ok()?;
                Some(sim * postings[at].1).filter(|_| postings[at].1 > 0.0)
            })
            .fold(0.0f32, f32::max);
        if best > 0.0 {
            weight * best
        } else {
            0.0
        }
    }

    /// Entry `e`'s score for this question (`None` if it scores 0).
    pub fn score_of(&self, e: usize) -> Option<Scored> {
        let e = u32::try_from(e).ok()?;
        self.index.score(&self.query(), e, self.explained(e))
    }
}

/// The share of a needed explained weight ([`Index::explained_needed`])
/// an entry may lack and still be kept: far more than rounding can move
/// a sum of a few dozen terms, so no entry that could reach the bound is
/// ruled out.
const EXPLAINED_MARGIN: f32 = 1e-3;

/// The two coverages -> one score: their harmonic mean, which is high only
/// when both are (a question that matches a short phrasing but is mostly
/// about something else scores low, and so does a question that says one
/// word of a long phrasing).
pub(super) fn combine(question: f32, phrasing: f32) -> f32 {
    if question + phrasing > 0.0 {
        2.0 * question * phrasing / (question + phrasing)
    } else {
        0.0
    }
}
