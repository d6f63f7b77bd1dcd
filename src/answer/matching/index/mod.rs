//! The search index, built once when the FAQ loads, and the scoring of a
//! question against it.
//!
//! Scoring is soft TF-IDF (Cohen, Ravikumar & Fienberg 2003), as coverage:
//!
//! - every phrasing of an entry (its question and each alternative) is a
//!   vector of stemmed words weighted by IDF, where a word's document
//!   frequency counts the *entries* that use it: words that tell entries
//!   apart weigh more, words every entry shares weigh little;
//! - function words are terms too, weighted like any word (so, little);
//! - a question word that is not in the FAQ's vocabulary is matched to
//!   vocabulary words by Jaro-Winkler similarity (typos: "embasy" ->
//!   "embassy"; word forms: "define" -> "definition"), or, for non-words,
//!   one edit away anywhere ("lpples" -> "apples"), scaled by that
//!   similarity; every word also matches its synonyms (`synonyms.txt`);
//! - a question word that matches nothing still counts in the question's
//!   length, so "visa appointment at the embassy" scores lower against an
//!   embassy entry than "the embassy" does: the unknown words are evidence
//!   that the question is about something else.
//!
//! An entry's score is its best phrasing's score. Only phrasings that share
//! at least one (soft-)matched word with the question are scored at all:
//! the inverted index narrows the candidates.
//!
//! The parts:
//! - this module: the index, in flat arrays, its build, and what the
//!   searches give back ([`Scored`], [`WordReading`]);
//! - `lexicon.rs`: how a question word is read against the vocabulary
//!   (typos, word forms, one edit away, synonyms);
//! - `params.rs`: the knobs of scoring ([`Params`]);
//! - `score.rs`: a question read once ([`Prepared`]) and one entry's
//!   score for it, with the bound both searches prune by;
//! - `search.rs`: the exact top k ([`Index::rank_top`]);
//! - `floor.rs`: the entries above a floor ([`Prepared::at_least`]).

mod floor;
mod lexicon;
mod params;
mod score;
mod search;

use rustc_hash::FxHashMap as HashMap;

use super::normalize::{all_terms, Term};
use super::spelling::Spelling;
use crate::faq::Faq;

pub use lexicon::{SOFT_MATCH_MIN, SYNONYM_SIMILARITY};
pub use params::{Params, SEMANTIC_WEIGHT};
pub use score::Prepared;

type TermId = u32;

/// How one question word was read: as typed (normalised), its stem, the
/// FAQ stem it matched (itself, or a near spelling) with the similarity,
/// and its weight.
#[derive(Debug, Clone, PartialEq)]
pub struct WordReading {
    pub word: String,
    pub stem: String,
    pub matched: Option<(String, f32)>,
    pub weight: f32,
}

/// A scored entry: its index in the FAQ, its score in [0, 1] and which of
/// its phrasings matched best (0 = the question, 1.. = alternatives).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub entry: usize,
    /// The final score: what the decision uses. The fuzzy score alone, or
    /// fused with the semantic one (see [`super::Matcher`]).
    pub score: f32,
    /// The score of the words alone (soft TF-IDF, near copies lifted).
    pub fuzzy: f32,
    /// The best phrasing by meaning, when the semantic stage ran.
    pub semantic: Option<super::semantic::SemanticHit>,
    pub phrasing: usize,
    /// How much of the question the entry explains, in [0, 1].
    pub question_coverage: f32,
    /// How much of the best phrasing the question covers, in [0, 1].
    pub phrasing_coverage: f32,
}

/// Best score first, ties broken by FAQ order: the order of a ranking.
fn best_first(a: &Scored, b: &Scored) -> std::cmp::Ordering {
    b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry))
}

/// The index, in flat arrays (few allocations, compact at 100k entries).
#[derive(Debug, Clone, Default)]
pub struct Index {
    /// Every phrasing's text, for re-ranking near copies of a question.
    spelling: Spelling,
    vocab: HashMap<String, TermId>,
    words: Vec<String>,
    /// Whether each term is (the stem of) a function word.
    function: Vec<bool>,
    /// Vocabulary by first character, for typo look-ups (a typo keeps its
    /// first letter, see
    /// [`is_typo_distance`](lexicon::is_typo_distance)).
    by_initial: HashMap<char, Vec<TermId>>,
    /// Every word as written in the FAQ (normalised), with its term.
    written: Vec<(String, TermId)>,
    /// Each written word and its one-deletion variants -> the words (in
    /// `written`), for typos anywhere in a word ([`Index::one_edit_away`]).
    deletions: HashMap<String, Vec<u32>>,
    idf: Vec<f32>,
    /// term -> (entry, strength) for every entry that uses it: strength 1
    /// in its question or alternatives, [`Params::answer_word`] if only in
    /// its answer.
    postings: Vec<Vec<(u32, f32)>>,
    /// Every phrasing's (term, weight) pairs, one after another; phrasing
    /// `p` is `phrasing_terms[phrasing_start[p]..phrasing_start[p + 1]]`.
    phrasing_terms: Vec<TermId>,
    phrasing_start: Vec<u32>,
    /// The sum of each phrasing's weights.
    phrasing_total: Vec<f32>,
    /// Per entry, the smallest of its phrasings' totals.
    lightest_phrasing: Vec<f32>,
    /// Entry `e`'s phrasings are `entry_start[e]..entry_start[e + 1]`.
    entry_start: Vec<u32>,
    /// The terms with the longest postings (at most 64, only those a
    /// search defers: see [`Index::rank_top`]) -> their bit in
    /// `long_terms`.
    long_bit: HashMap<TermId, u32>,
    /// Per entry, which of those terms it uses: at strength 1, and at
    /// another strength ([`Params::answer_word`]). Reading an entry's share
    /// of a deferred word here costs one look-up, where its postings would
    /// take a binary search or a walk over most of the FAQ.
    long_terms: Vec<[u64; 2]>,
    answer_word: f32,
    unknown_weight: f32,
    synonym: f32,
    /// The IDF of a word only one entry uses (the rarest possible).
    max_idf: f32,
    evidence: f32,
}

impl Index {
    pub fn build(faq: &Faq) -> Index {
        Index::build_with(faq, Params::default())
    }

    pub fn build_with(faq: &Faq, params: Params) -> Index {
        let mut index = Index::default();
        // Each distinct word is stemmed and interned once (an FAQ repeats
        // its words many times; the stemmer allocates per call).
        let mut seen: HashMap<String, TermId> = HashMap::default();
        let mut term_ids = |index: &mut Index, words: Vec<String>| -> Vec<TermId> {
            words
                .into_iter()
                .map(|w| match seen.get(&w) {
                    Some(&id) => id,
                    None => {
                        let id = index.intern(super::normalize::stem(&w));
                        if super::normalize::is_stopword(&w) {
                            index.function[id as usize] = true;
                        }
                        seen.insert(w, id);
                        id
                    }
                })
                .collect()
        };
        // Per entry: its phrasings' terms, one after another, and a posting
        // for every word with its strength. Nothing per entry or phrasing
        // is allocated apart: at 100k entries that is most of the work.
        let mut words: Vec<(TermId, f32)> = Vec::new();
        // Room for every phrasing up front: the tables are large at 100k
        // entries, and growing them by doubling holds the old and the new
        // copy at once.
        let (phrasings, bytes) = faq
            .entries
            .iter()
            .flat_map(|e| e.phrasings())
            .fold((0, 0), |(n, b), text| (n + 1, b + text.len()));
        index.spelling.reserve(phrasings, bytes);
        index.phrasing_start.reserve_exact(phrasings + 1);
        index.entry_start.reserve_exact(faq.entries.len() + 1);
        index.entry_start.push(0);
        index.phrasing_start.push(0);
        for (e, entry) in faq.entries.iter().enumerate() {
            let first_term = index.phrasing_terms.len();
            for text in entry.phrasings() {
                let words = super::normalize::words(text);
                index.spelling.push_phrasing(&words);
                let mut ids = term_ids(&mut index, words);
                ids.sort_unstable();
                ids.dedup();
                index.phrasing_terms.extend(ids);
                index.phrasing_start.push(index.phrasing_terms.len() as u32);
            }
            words.clear();
            words.extend(
                term_ids(&mut index, super::normalize::words(&entry.answer))
                    .into_iter()
                    .map(|t| (t, params.answer_word)),
            );
            words.extend(index.phrasing_terms[first_term..].iter().map(|&t| (t, 1.0)));
            // Strongest first within a term, then keep one per term.
            words.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
            words.dedup_by_key(|w| w.0);
            for &(t, strength) in &words {
                index.postings[t as usize].push((e as u32, strength));
            }
            index
                .entry_start
                .push(index.phrasing_start.len() as u32 - 1);
        }
        let df: Vec<usize> = index.postings.iter().map(Vec::len).collect();
        let n = faq.entries.len().max(1) as f32;
        let weight = |df: f32| idf(n, df);
        let max_weight = weight(1.0);
        index.idf = df
            .iter()
            .zip(&index.words)
            .map(|(&d, word)| {
                let w = weight(d as f32);
                if params.english_cap <= 0.0 {
                    return w;
                }
                match super::english::zipf(word) {
                    Some(z) => {
                        w.min(max_weight * ((7.0 - z) / params.english_cap).clamp(0.05, 1.0))
                    }
                    None => w,
                }
            })
            .collect();
        index.unknown_weight = max_weight * params.unknown_word;
        index.max_idf = max_weight;
        index.answer_word = params.answer_word;
        let long = search::long_postings(faq.entries.len());
        let mut longest: Vec<TermId> = (0..index.postings.len() as TermId)
            .filter(|&t| index.postings[t as usize].len() > long)
            .collect();
        longest.sort_by_key(|&t| std::cmp::Reverse(index.postings[t as usize].len()));
        longest.truncate(64);
        index.long_terms = vec![[0; 2]; faq.entries.len()];
        for (bit, &t) in longest.iter().enumerate() {
            index.long_bit.insert(t, bit as u32);
            for &(e, strength) in &index.postings[t as usize] {
                let kind = usize::from(strength != 1.0);
                index.long_terms[e as usize][kind] |= 1 << bit;
            }
        }
        index.evidence = params.evidence;
        index.synonym = params.synonym;
        let totals = per_range(&index.phrasing_start, |r| {
            index.phrasing_terms[r]
                .iter()
                .map(|&t| index.idf[t as usize])
                .sum()
        });
        index.phrasing_total = totals;
        let lightest = per_range(&index.entry_start, |r| {
            index.phrasing_total[r]
                .iter()
                .copied()
                .fold(f32::INFINITY, f32::min)
        });
        index.lightest_phrasing = lightest;
        index.build_spellings(seen);
        index.shrink();
        index
    }

    /// Gives back what growing the tables left unused. Vectors grow by
    /// doubling, so at 100k entries about a quarter of the index's memory
    /// was slack that the bot would carry for as long as it runs.
    fn shrink(&mut self) {
        self.spelling.shrink_to_fit();
        self.words.shrink_to_fit();
        self.function.shrink_to_fit();
        self.phrasing_terms.shrink_to_fit();
        self.phrasing_start.shrink_to_fit();
        self.entry_start.shrink_to_fit();
        for p in &mut self.postings {
            p.shrink_to_fit();
        }
        for d in self.deletions.values_mut() {
            d.shrink_to_fit();
        }
        self.deletions.shrink_to_fit();
        self.vocab.shrink_to_fit();
    }

    fn intern(&mut self, word: String) -> TermId {
        if let Some(&id) = self.vocab.get(&word) {
            return id;
        }
        let id = self.words.len() as TermId;
        self.words.push(word.clone());
        self.function.push(false);
        self.postings.push(Vec::new());
        self.vocab.insert(word, id);
        id
    }

    /// An entry's strength for a term with one of the longest postings,
    /// from the entry's [`Index::long_terms`] (`uses`) and the term's `bit`
    /// there: 1 in its question or alternatives, [`Params::answer_word`]
    /// if only in its answer, 0 if it does not use the term.
    fn long_strength(&self, [strong, weak]: [u64; 2], bit: u64) -> f32 {
        if strong & bit != 0 {
            1.0
        } else if weak & bit != 0 {
            self.answer_word
        } else {
            0.0
        }
    }

    /// How many entries the index holds.
    pub fn entries(&self) -> usize {
        self.entry_start.len().saturating_sub(1)
    }

    /// How near a copy of the question the entry's nearest phrasing is,
    /// in [0, 1] (see [`super::spelling`]).
    pub fn near_copy(&self, question: &super::spelling::Typed, entry: usize) -> f32 {
        let first = self.entry_start[entry] as usize;
        let last = self.entry_start[entry + 1] as usize;
        self.spelling.near_copy(question, first..last)
    }

    /// How each word of a question was read. For `faqbot ask --explain`.
    pub fn explain(&self, question: &str) -> Vec<WordReading> {
        question_terms(question)
            .into_iter()
            .filter_map(|term| {
                let (weight, matches) = self.read(&term)?;
                let m = matches.first().copied();
                Some(WordReading {
                    matched: m.map(|(t, s)| (self.words[t as usize].clone(), s)),
                    word: term.word,
                    stem: term.stem,
                    weight,
                })
            })
            .collect()
    }
}

/// `f` of each range of a flat array, given the ranges' starts (and the
/// end after the last).
fn per_range<T>(starts: &[u32], f: impl Fn(std::ops::Range<usize>) -> T) -> Vec<T> {
    starts
        .windows(2)
        .map(|w| f(w[0] as usize..w[1] as usize))
        .collect()
}

/// A question's distinct terms, each with whether it is a function word
/// (see [`all_terms`]).
fn question_terms(question: &str) -> Vec<Term> {
    distinct_terms(all_terms(question))
}

/// Terms sorted, one per stem.
fn distinct_terms(mut words: Vec<Term>) -> Vec<Term> {
    words.sort_unstable();
    words.dedup_by(|a, b| a.stem == b.stem);
    words
}

/// Smoothed inverse document frequency: never zero, so a word every entry
/// uses still counts a little.
fn idf(entries: f32, df: f32) -> f32 {
    (1.0 + entries / df).ln()
}

#[cfg(test)]
mod tests;
