//! The search index, built once when the FAQ loads, and the scoring of a
//! question against it.
//!
//! Scoring is a soft TF-IDF cosine (Cohen, Ravikumar & Fienberg 2003):
//!
//! - every phrasing of an entry (its question and each alternative) is a
//!   vector of stemmed words weighted by IDF, where a word's document
//!   frequency counts the *entries* that use it: words that tell entries
//!   apart weigh more, words every entry shares weigh little;
//! - a question word that is not in the FAQ's vocabulary is matched to
//!   vocabulary words by Jaro-Winkler similarity (typos: "embasy" ->
//!   "embassy"), scaled by that similarity;
//! - a question word that matches nothing still counts in the question's
//!   length, so "visa appointment at the embassy" scores lower against an
//!   embassy entry than "the embassy" does: the unknown words are evidence
//!   that the question is about something else.
//!
//! An entry's score is its best phrasing's score. Only phrasings that share
//! at least one (soft-)matched word with the question are scored at all:
//! the inverted index narrows the candidates.

use std::collections::HashMap;

use super::normalize::terms;
use crate::faq::Faq;

/// Two different words are the same word misspelled when their
/// Jaro-Winkler similarity is at least this: "embasy"/"embassy" = 0.97,
/// "protect"/"protest" = 0.94 (a real risk, hence the scaling by
/// similarity), "treaty"/"treat" = 0.93, "secure"/"second" = 0.83 (rejected).
pub const SOFT_MATCH_MIN: f64 = 0.9;

/// Words this short are only matched exactly: Jaro-Winkler cannot tell a
/// typo from a different word at three letters ("war"/"way" = 0.82,
/// "un"/"us").
const SOFT_MATCH_MIN_CHARS: usize = 4;

/// How many vocabulary words one misspelled question word may stand for.
const SOFT_MATCHES_PER_WORD: usize = 3;

/// The weight of a question word the FAQ has never seen, as a share of the
/// weight of the rarest FAQ word. Below 1 because unknown words are often
/// chat filler the stopword list misses; above 0 because they are the best
/// sign that a question is off-topic.
pub const UNKNOWN_WORD_WEIGHT: f32 = 0.8;

type TermId = u32;

#[derive(Debug, Clone)]
struct Phrasing {
    entry: u32,
    /// (term, weight), weights L2-normalised, each term once.
    terms: Vec<(TermId, f32)>,
}

/// A scored entry: its index in the FAQ, its score in [0, 1] and which of
/// its phrasings matched best (0 = the question, 1.. = alternatives).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub entry: usize,
    pub score: f32,
    pub phrasing: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Index {
    vocab: HashMap<String, TermId>,
    words: Vec<String>,
    idf: Vec<f32>,
    postings: Vec<Vec<u32>>,
    phrasings: Vec<Phrasing>,
    /// For each phrasing, its position among its entry's phrasings.
    phrasing_rank: Vec<u32>,
    unknown_weight: f32,
}

impl Index {
    pub fn build(faq: &Faq) -> Index {
        let mut index = Index::default();
        let mut raw: Vec<(u32, Vec<TermId>)> = Vec::new();
        let mut df: Vec<u32> = Vec::new();
        for (e, entry) in faq.entries.iter().enumerate() {
            let mut entry_terms: Vec<TermId> = Vec::new();
            for (rank, text) in entry.phrasings().enumerate() {
                let mut ids: Vec<TermId> =
                    terms(text).into_iter().map(|t| index.intern(t)).collect();
                ids.sort_unstable();
                ids.dedup();
                entry_terms.extend(&ids);
                raw.push((e as u32, ids));
                index.phrasing_rank.push(rank as u32);
            }
            entry_terms.sort_unstable();
            entry_terms.dedup();
            df.resize(index.words.len(), 0);
            for t in entry_terms {
                df[t as usize] += 1;
            }
        }
        let n = faq.entries.len().max(1) as f32;
        index.idf = df.iter().map(|&d| idf(n, d as f32)).collect();
        index.unknown_weight = idf(n, 1.0) * UNKNOWN_WORD_WEIGHT;
        index.postings = vec![Vec::new(); index.words.len()];
        for (p, (entry, ids)) in raw.into_iter().enumerate() {
            let norm = ids
                .iter()
                .map(|&t| index.idf[t as usize].powi(2))
                .sum::<f32>()
                .sqrt();
            let terms = ids
                .iter()
                .map(|&t| {
                    (
                        t,
                        if norm > 0.0 {
                            index.idf[t as usize] / norm
                        } else {
                            0.0
                        },
                    )
                })
                .collect();
            for &t in &ids {
                index.postings[t as usize].push(p as u32);
            }
            index.phrasings.push(Phrasing { entry, terms });
        }
        index
    }

    fn intern(&mut self, word: String) -> TermId {
        if let Some(&id) = self.vocab.get(&word) {
            return id;
        }
        let id = self.words.len() as TermId;
        self.words.push(word.clone());
        self.vocab.insert(word, id);
        id
    }

    /// Vocabulary words that a question word stands for, with similarity.
    fn lookup(&self, word: &str) -> Vec<(TermId, f32)> {
        if let Some(&id) = self.vocab.get(word) {
            return vec![(id, 1.0)];
        }
        if word.chars().count() < SOFT_MATCH_MIN_CHARS {
            return Vec::new();
        }
        let mut found: Vec<(TermId, f32)> = self
            .words
            .iter()
            .enumerate()
            .filter(|(_, w)| w.len() >= SOFT_MATCH_MIN_CHARS)
            .filter_map(|(i, w)| {
                let s = strsim::jaro_winkler(word, w);
                (s >= SOFT_MATCH_MIN).then_some((i as TermId, s as f32))
            })
            .collect();
        found.sort_by(|a, b| b.1.total_cmp(&a.1));
        found.truncate(SOFT_MATCHES_PER_WORD);
        found
    }

    /// Every entry that shares a word with the question, best first (ties
    /// broken by FAQ order), each with its best phrasing.
    pub fn rank(&self, question: &str) -> Vec<Scored> {
        let mut words = terms(question);
        words.sort_unstable();
        words.dedup();
        if words.is_empty() {
            return Vec::new();
        }
        // Each question word: its weight and the vocabulary it matches.
        let mut query_norm = 0.0f32;
        let mut by_term: HashMap<TermId, Vec<(usize, f32)>> = HashMap::new();
        let mut weights = Vec::with_capacity(words.len());
        for (q, word) in words.iter().enumerate() {
            let matches = self.lookup(word);
            let weight = matches
                .first()
                .map_or(self.unknown_weight, |&(t, _)| self.idf[t as usize]);
            query_norm += weight * weight;
            weights.push(weight);
            for (t, sim) in matches {
                by_term.entry(t).or_default().push((q, sim));
            }
        }
        let query_norm = query_norm.sqrt();
        if by_term.is_empty() || query_norm == 0.0 {
            return Vec::new();
        }

        let mut candidates: Vec<u32> = by_term
            .keys()
            .flat_map(|&t| self.postings[t as usize].iter().copied())
            .collect();
        candidates.sort_unstable();
        candidates.dedup();

        let mut best_per_word = vec![0.0f32; words.len()];
        let mut best: HashMap<u32, Scored> = HashMap::new();
        for p in candidates {
            let phrasing = &self.phrasings[p as usize];
            best_per_word.iter_mut().for_each(|b| *b = 0.0);
            for &(t, w) in &phrasing.terms {
                if let Some(qs) = by_term.get(&t) {
                    for &(q, sim) in qs {
                        best_per_word[q] = best_per_word[q].max(sim * w);
                    }
                }
            }
            let dot: f32 = best_per_word.iter().zip(&weights).map(|(b, w)| b * w).sum();
            let score = (dot / query_norm).min(1.0);
            let scored = Scored {
                entry: phrasing.entry as usize,
                score,
                phrasing: self.phrasing_rank[p as usize] as usize,
            };
            best.entry(phrasing.entry)
                .and_modify(|s| {
                    if score > s.score {
                        *s = scored;
                    }
                })
                .or_insert(scored);
        }
        let mut ranked: Vec<Scored> = best.into_values().collect();
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
        ranked
    }
}

/// Smoothed inverse document frequency: never zero, so a word every entry
/// uses still counts a little.
fn idf(entries: f32, df: f32) -> f32 {
    (1.0 + entries / df).ln()
}
