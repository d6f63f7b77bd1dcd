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

mod lexicon;
mod params;

use std::collections::BinaryHeap;

use rustc_hash::FxHashMap as HashMap;

use super::normalize::{all_terms, terms_of, Term};
use super::spelling::Spelling;
use crate::faq::Faq;

pub use lexicon::{SOFT_MATCH_MIN, SYNONYM_SIMILARITY};
pub use params::{Params, SEMANTIC_WEIGHT};

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
        let long = long_postings(faq.entries.len());
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

    /// Every entry that shares a word with the question, best first (ties
    /// broken by FAQ order), each with its best phrasing.
    pub fn rank(&self, question: &str) -> Vec<Scored> {
        self.rank_top(question, usize::MAX)
    }

    /// The `k` best entries for a question, best first (ties broken by FAQ
    /// order): the same as the first `k` of [`Index::rank`], found without
    /// scoring every candidate.
    ///
    /// An entry's score is the harmonic mean of two coverages:
    /// - how much of the *question* the entry explains: the IDF-weighted
    ///   share of question words found in the entry (phrasings at full
    ///   strength, answer-only words at [`Params::answer_word`]), counting
    ///   words the FAQ has never seen against it;
    /// - how much of the entry's best *phrasing* the question covers.
    ///
    /// A question must both be explained by the entry and say what the
    /// entry is about to score high; a question with too little matched
    /// evidence is scaled down (see [`Params::evidence`]).
    ///
    /// The first coverage comes from the postings of the question's words
    /// alone; since the phrasing coverage is at most 1, it bounds the
    /// score. Candidates that cannot reach the `k`-th best score of a few
    /// probes are dropped, the rest are taken best bound first, and the
    /// search stops once no bound can beat the `k`-th best score: the
    /// result is exact.
    pub fn rank_top(&self, question: &str, k: usize) -> Vec<Scored> {
        self.rank_top_words(super::normalize::words(question), k)
    }

    /// [`Index::rank_top`] of a question already read with
    /// [`super::normalize::words`] (the matcher also compares its spelling).
    pub fn rank_top_words(&self, question: Vec<String>, k: usize) -> Vec<Scored> {
        let Some(Prepared {
            mut matched,
            hits,
            question_weight,
            confidence,
            ..
        }) = self.prepare_words(question)
        else {
            return Vec::new();
        };
        if k == 0 {
            return Vec::new();
        }

        // Words with long postings (function words, in a big FAQ) come
        // last. They are first left out: their share is looked up only for
        // the entries the other words found (`long_terms`), and that is the
        // answer if no entry found by them alone could make the top k.
        // Otherwise the entries only they reach join the search. Either
        // way, each entry sums its words in the same order, so both give
        // the same scores to the bit.
        let n = self.entry_start.len() - 1;
        let long = long_postings(n);
        let deferrable = |m: &(f32, Vec<(TermId, f32)>)| match m.1.as_slice() {
            [(t, _)] => self.postings[*t as usize].len() > long,
            _ => false,
        };
        matched.sort_by_key(|m| deferrable(m)); // stable: the deferred words last
        let split = matched.partition_point(|m| !deferrable(m));
        let (found_by, deferred) = matched.split_at(split);
        // A word read as several vocabulary words adds its weight once to
        // what an entry explains, but a phrasing holding two of them counts
        // both, each at its own weight (which may be above the word's): so
        // all of them are slack, not just the largest.
        let soft_slack = matched
            .iter()
            .filter(|m| m.1.len() > 1)
            .flat_map(|m| m.1.iter().map(|&(t, sim)| self.idf[t as usize] * sim))
            .sum();
        let query = Query {
            hits: &hits,
            question_weight,
            confidence,
            soft_slack,
        };
        let found_by_any = found_by.iter().any(|m| !m.1.is_empty());
        if k == usize::MAX || deferred.is_empty() {
            // Everything wanted, or no long postings to leave out: every
            // word's postings are walked, and `explained` is exact.
            let (explained, touched) = self.coverage(&matched, n);
            return self.select(&query, &touched, |e| explained[e as usize], k);
        }
        // The entries the other words found, with the deferred words'
        // share looked up.
        let (explained, touched) = if found_by_any {
            self.coverage(found_by, n)
        } else {
            (Vec::new(), Vec::new())
        };
        let words = self.deferred_words(deferred);
        // An entry no other word found explains 0 before the deferred ones.
        let before = |e: u32| explained.get(e as usize).copied().unwrap_or(0.0);
        let exact = |e: u32| self.explained_by(&words, e, before(e));
        let mut found = self.bounds(&query, &touched, exact);
        let (kept, probed) = self.narrow(&query, &mut found, exact, k);
        let top = self.take_best(&query, kept, exact, k);
        let deferred_weight: f32 = deferred.iter().map(|m| m.0).sum();
        let unseen_bound = combine(deferred_weight / question_weight, 1.0) * confidence;
        if top.len() == k && unseen_bound < top[k - 1].score {
            return top;
        }
        // Entries only deferred words reach may make the top k: they join
        // the found ones and all are ranked again, as one search would. An
        // unseen entry bound below both the lowest bound of the found
        // probes and their k-th best score is not looked for: the found
        // probes outrank it, so it is no probe of all, and the narrowing of
        // all drops it as long as all's probes score no lower (otherwise
        // every unseen entry is looked for).
        let floor = probed.map_or(0.0, |p| p.lowest_bound.min(p.kth_score));
        let mut all = found.clone();
        all.extend(self.unseen(&query, &words, &explained, floor, n));
        let (kept, probed) = self.narrow(&query, &mut all, exact, k);
        if floor > 0.0 && !probed.is_some_and(|p| p.kth_score >= floor) {
            found.extend(self.unseen(&query, &words, &explained, 0.0, n));
            let (kept, _) = self.narrow(&query, &mut found, exact, k);
            return self.take_best(&query, kept, exact, k);
        }
        self.take_best(&query, kept, exact, k)
    }

    /// A question read against the index once: its words' weights and the
    /// vocabulary they match, ready to score any entry. `None` when no
    /// word of it matches the FAQ.
    pub fn prepare(&self, question: &str) -> Option<Prepared<'_>> {
        self.prepare_words(super::normalize::words(question))
    }

    fn prepare_words(&self, question: Vec<String>) -> Option<Prepared<'_>> {
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

    /// The deferred words (each matches one term), ready to look up.
    fn deferred_words(&self, deferred: &[(f32, Vec<(TermId, f32)>)]) -> Vec<Deferred> {
        deferred
            .iter()
            .map(|(weight, matches)| {
                let (term, sim) = matches[0];
                Deferred {
                    weight: *weight,
                    sim,
                    term,
                    bit: self.long_bit.get(&term).map(|&b| 1u64 << b),
                }
            })
            .collect()
    }

    /// `x` (what earlier words explain of entry `e`) plus what the deferred
    /// `words` explain of it, looked up: the same sum, term by term and in
    /// the same order, as [`Index::coverage`] makes.
    fn explained_by(&self, words: &[Deferred], e: u32, mut x: f32) -> f32 {
        let [strong, weak] = self.long_terms[e as usize];
        for w in words {
            let strength = match w.bit {
                Some(bit) if strong & bit != 0 => 1.0,
                Some(bit) if weak & bit != 0 => self.answer_word,
                Some(_) => continue,
                None => {
                    let postings = &self.postings[w.term as usize];
                    match postings.binary_search_by_key(&e, |p| p.0) {
                        Ok(i) => postings[i].1,
                        Err(_) => continue,
                    }
                }
            };
            if strength > 0.0 {
                x += w.weight * (w.sim * strength);
            }
        }
        x
    }

    /// The entries only the `deferred` words reach (those `explained` by
    /// the other words is 0 for), with what they explain and their bound,
    /// except some bound below `floor`. What the words explain is summed in
    /// the same order as [`Index::coverage`] sums it.
    ///
    /// Words whose most, all together, cannot lift an entry's bound to
    /// `floor` need not be walked (MaxScore, Turtle & Flood 1995): an
    /// entry only they reach is bound below it. An entry the others reach
    /// has their share looked up.
    fn unseen(
        &self,
        query: &Query,
        deferred: &[Deferred],
        explained: &[f32],
        floor: f32,
        n: usize,
    ) -> Vec<Bound> {
        let needed = self.explained_needed(query, floor);
        let max_strength = self.answer_word.max(1.0);
        let most: Vec<f32> = deferred
            .iter()
            .map(|w| w.weight * (w.sim * max_strength))
            .collect();
        let mut by_most: Vec<usize> = (0..deferred.len()).collect();
        by_most.sort_by(|&a, &b| most[a].total_cmp(&most[b]));
        let mut walk = vec![true; deferred.len()];
        let mut skipped_most = 0.0f32;
        for i in by_most {
            if skipped_most + most[i] >= needed {
                break;
            }
            skipped_most += most[i];
            walk[i] = false;
        }
        let mut partial = vec![0.0f32; n];
        let mut reached: Vec<u32> = Vec::new();
        let seen = |e: u32| explained.get(e as usize).is_some_and(|&x| x != 0.0);
        for (w, _) in deferred.iter().zip(&walk).filter(|w| *w.1) {
            for &(e, strength) in &self.postings[w.term as usize] {
                if strength <= 0.0 || seen(e) {
                    continue;
                }
                let x = &mut partial[e as usize];
                if *x == 0.0 {
                    reached.push(e);
                }
                *x += w.weight * (w.sim * strength);
            }
        }
        reached.retain(|&e| partial[e as usize] + skipped_most >= needed);
        if walk.iter().all(|&w| w) {
            // Every word walked, in order: `partial` is the exact sum.
            self.bounds(query, &reached, |e| partial[e as usize])
        } else {
            self.bounds(query, &reached, |e| self.explained_by(deferred, e, 0.0))
        }
    }

    /// What an entry must explain of the question for its bound to reach
    /// `bound`, less a margin for rounding: the bound is at most
    /// `combine(explained / question_weight, 1) * confidence`, which grows
    /// with what it explains. 0 when nothing can be ruled out.
    fn explained_needed(&self, query: &Query, bound: f32) -> f32 {
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

    /// How much of the question each entry explains, word by word (a word
    /// counts its best match in the entry), and the entries any word
    /// reached, in the order first reached. Dense arrays: common words
    /// have long postings.
    fn coverage(&self, matched: &[(f32, Vec<(TermId, f32)>)], n: usize) -> (Vec<f32>, Vec<u32>) {
        let mut explained = vec![0.0f32; n];
        let mut touched: Vec<u32> = Vec::new();
        let mut best_for_word = vec![
            0.0f32;
            if matched.iter().any(|m| m.1.len() > 1) {
                n
            } else {
                0
            }
        ];
        let mut word_touched: Vec<u32> = Vec::new();
        for (weight, matches) in matched {
            match matches.as_slice() {
                [] => {}
                [(t, sim)] => {
                    for &(e, strength) in &self.postings[*t as usize] {
                        if strength <= 0.0 {
                            continue; // adds nothing (answer_word = 0)
                        }
                        let x = &mut explained[e as usize];
                        if *x == 0.0 {
                            touched.push(e);
                        }
                        *x += weight * (sim * strength);
                    }
                }
                several => {
                    for &(t, sim) in several {
                        for &(e, strength) in &self.postings[t as usize] {
                            if strength <= 0.0 {
                                continue;
                            }
                            let b = &mut best_for_word[e as usize];
                            if *b == 0.0 {
                                word_touched.push(e);
                            }
                            *b = b.max(sim * strength);
                        }
                    }
                    for e in word_touched.drain(..) {
                        let best = std::mem::take(&mut best_for_word[e as usize]);
                        let x = &mut explained[e as usize];
                        if *x == 0.0 {
                            touched.push(e);
                        }
                        *x += weight * best;
                    }
                }
            }
        }
        (explained, touched)
    }

    /// The `k` best of the `candidates`, scored exactly, best bound first
    /// with an early stop; `explained(e)` is what candidate `e` explains of
    /// the question.
    fn select(
        &self,
        query: &Query,
        candidates: &[u32],
        explained: impl Fn(u32) -> f32,
        k: usize,
    ) -> Vec<Scored> {
        let mut bounds = self.bounds(query, candidates, &explained);
        let (kept, _) = self.narrow(query, &mut bounds, &explained, k);
        self.take_best(query, kept, &explained, k)
    }

    /// Each candidate's bound.
    fn bounds(
        &self,
        query: &Query,
        candidates: &[u32],
        explained: impl Fn(u32) -> f32,
    ) -> Vec<Bound> {
        candidates
            .iter()
            .map(|&e| Bound {
                bound: self.bound(query, e, explained(e)),
                entry: e,
            })
            .collect()
    }

    /// The candidates [`Index::take_best`] needs to see, of many (a common
    /// word reaches most of a big FAQ), as ordering them all is much of
    /// the work: the first [`PROBES`] in bound order, and of the rest only
    /// those bound at least the `k`-th best score of those first ones.
    /// Once those first ones are scored, the `k`-th best score is at least
    /// that, so the search would stop before any entry dropped: it scores
    /// exactly the entries it would score without the narrowing, in the
    /// same order, and gives the same answer to the bit. Reorders
    /// `bounds`; also says what the probes found, if it narrowed.
    fn narrow(
        &self,
        query: &Query,
        bounds: &mut [Bound],
        explained: impl Fn(u32) -> f32,
        k: usize,
    ) -> (Vec<Bound>, Option<Probed>) {
        if k > PROBES || bounds.len() < NARROW_MIN {
            return (bounds.to_vec(), None);
        }
        bounds.select_nth_unstable_by(PROBES - 1, |a, b| b.cmp(a));
        let (first, rest) = bounds.split_at(PROBES);
        let mut scores: Vec<f32> = first
            .iter()
            .filter_map(|b| self.score(query, b.entry, explained(b.entry)))
            .map(|s| s.score)
            .collect();
        if scores.len() < k {
            return (bounds.to_vec(), None);
        }
        scores.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
        let kth_score = scores[k - 1];
        let mut kept = first.to_vec();
        kept.extend(rest.iter().filter(|b| b.bound >= kth_score));
        let lowest_bound = first.iter().map(|b| b.bound).fold(f32::INFINITY, f32::min);
        (
            kept,
            Some(Probed {
                lowest_bound,
                kth_score,
            }),
        )
    }

    /// The `k` best of the candidates, scored exactly, best bound first
    /// with an early stop.
    fn take_best(
        &self,
        query: &Query,
        bounds: Vec<Bound>,
        explained: impl Fn(u32) -> f32,
        k: usize,
    ) -> Vec<Scored> {
        let mut heap = BinaryHeap::from(bounds);
        let mut top: Vec<Scored> = Vec::new();
        while let Some(b) = heap.pop() {
            if top.len() >= k {
                let kth = top[k - 1];
                let cannot_beat =
                    b.bound < kth.score || (b.bound == kth.score && b.entry as usize > kth.entry);
                if cannot_beat {
                    break;
                }
            }
            let Some(scored) = self.score(query, b.entry, explained(b.entry)) else {
                continue;
            };
            if k == usize::MAX {
                top.push(scored);
                continue;
            }
            let (e, score) = (scored.entry, scored.score);
            let at = top.partition_point(|s| s.score > score || (s.score == score && s.entry < e));
            if at < k {
                top.insert(at, scored);
                top.truncate(k);
            }
        }
        if k == usize::MAX {
            // Everything was scored: sort once.
            top.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
        }
        top
    }

    /// The most entry `e`'s score can be, given that it explains
    /// `explained` of the question. A phrasing's covered weight is at most
    /// what the question's words explain of the entry (plus what words
    /// read as several near spellings may add), so its coverage is at most
    /// that over the entry's lightest phrasing. A little headroom keeps the
    /// bound above the score whatever the rounding.
    fn bound(&self, query: &Query, e: u32, explained: f32) -> f32 {
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
    fn score(&self, query: &Query, e: u32, explained: f32) -> Option<Scored> {
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

/// A question read against the index ([`Index::prepare`]), to score
/// entries one by one or to find those above a floor without ranking the
/// whole FAQ.
pub struct Prepared<'a> {
    index: &'a Index,
    /// Each matched question word: its weight and the vocabulary it
    /// matches, with similarities.
    matched: Vec<(f32, Vec<(TermId, f32)>)>,
    hits: Vec<(TermId, f32)>,
    question_weight: f32,
    confidence: f32,
}

impl Prepared<'_> {
    fn query(&self) -> Query<'_> {
        let index = self.index;
        Query {
            hits: &self.hits,
            question_weight: self.question_weight,
            confidence: self.confidence,
            soft_slack: self
                .matched
                .iter()
                .filter(|m| m.1.len() > 1)
                .flat_map(|m| m.1.iter().map(|&(t, sim)| index.idf[t as usize] * sim))
                .sum(),
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
    fn explained_by_word(&self, i: usize, e: u32) -> f32 {
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

    /// The (at most) `k` best entries that score at least `floor`, best
    /// first, ties by FAQ order. Only the postings of the words an entry
    /// cannot do without are walked: the commonest words, whose most
    /// together cannot lift an entry to `floor`, are looked up for the
    /// entries the others found (MaxScore, Turtle & Flood 1995). The
    /// higher the floor, the fewer words are walked: at a floor near 1,
    /// one or two rare words.
    pub fn at_least(&self, floor: f32, k: usize) -> Vec<Scored> {
        let index = self.index;
        let query = self.query();
        // No score is above the confidence (see [`Index::bound`]).
        if floor > query.confidence {
            return Vec::new();
        }
        let needed = index.explained_needed(&query, floor);
        let max_strength = index.answer_word.max(1.0);
        // The most each word can add to what an entry explains.
        let most: Vec<f32> = self
            .matched
            .iter()
            .map(|(weight, matches)| {
                let sim = matches.iter().map(|m| m.1).fold(0.0f32, f32::max);
                weight * (sim * max_strength)
            })
            .collect();
        // Words by what they may add, most first.
        let mut by_most: Vec<usize> = (0..self.matched.len()).collect();
        by_most.sort_by(|&a, &b| most[b].total_cmp(&most[a]));
        // An entry may lack words worth this much, and no more.
        let slack = most.iter().sum::<f32>() - needed;
        // The one vocabulary term a word matches (a word read as several
        // is never required, and never rules an entry out).
        let term = |i: usize| match self.matched[i].1.as_slice() {
            [(t, _)] => Some(*t),
            _ => None,
        };
        let postings = |t: TermId| index.postings[t as usize].as_slice();

        // A word worth more than the slack is in every entry that can reach
        // the floor: the candidates are the postings of the rarest such
        // word. Else an entry that lacks every word of a set worth more
        // than the slack cannot reach it (prefix filtering, Chaudhuri et
        // al. 2006): the candidates are the postings of the fewest words,
        // most first, worth more together. Either way these are the rarest
        // words, with the shortest postings.
        let required: Option<usize> = by_most
            .iter()
            .copied()
            .take_while(|&i| most[i] > slack)
            .filter(|&i| term(i).is_some())
            .min_by_key(|&i| term(i).map_or(usize::MAX, |t| postings(t).len()));
        // What each candidate's words explain, summed word by word.
        let mut explained: Vec<f32> = Vec::new();
        let mut candidates: Vec<u32> = match required.and_then(|i| Some((i, term(i)?))) {
            Some((i, t)) => {
                let (weight, matches) = &self.matched[i];
                let sim = matches[0].1;
                postings(t)
                    .iter()
                    .filter(|p| p.1 > 0.0)
                    .map(|p| {
                        explained.push(weight * (sim * p.1));
                        p.0
                    })
                    .collect()
            }
            None => {
                let mut worth = 0.0f32;
                let mut union: Vec<u32> = by_most
                    .iter()
                    .take_while(|&&i| {
                        let more = worth <= slack;
                        worth += most[i];
                        more
                    })
                    .flat_map(|&i| self.matched[i].1.iter())
                    .flat_map(|&(t, _)| postings(t).iter())
                    .filter(|p| p.1 > 0.0)
                    .map(|p| p.0)
                    .collect();
                union.sort_unstable();
                union.dedup();
                explained.resize(union.len(), 0.0);
                union
            }
        };
        // Then word by word, most first, each candidate's lack is added up
        // and those that lack more than the slack are dropped: most go at
        // the second or third word. Both lists are sorted by entry, so
        // each word is one forward pass over its postings, galloping. What
        // each word explains of a candidate is summed on the way.
        let mut lacking = vec![0.0f32; candidates.len()];
        let mut several = Vec::new();
        for &i in &by_most {
            if candidates.is_empty() {
                break;
            }
            if Some(i) == required {
                continue; // in every candidate, and already summed
            }
            let (weight, matches) = &self.matched[i];
            let [(t, sim)] = matches.as_slice() else {
                several.push(i);
                continue;
            };
            let list = postings(*t);
            let (gain, lack) = (weight * sim, most[i]);
            let mut survivors = Survivors {
                entries: &mut candidates,
                lacking: &mut lacking,
                explained: &mut explained,
            };
            // A word with one of the longest postings has its bit in each
            // entry; else a short list is walked, a long one galloped
            // through.
            if let Some(&bit) = index.long_bit.get(t) {
                let bit = 1u64 << bit;
                survivors.pass_with(gain, lack, slack, |e| {
                    let [strong, weak] = index.long_terms[e as usize];
                    if strong & bit != 0 {
                        1.0
                    } else if weak & bit != 0 {
                        index.answer_word
                    } else {
                        0.0
                    }
                });
            } else if list.len() <= 4 * survivors.entries.len() {
                survivors.pass(list, gain, lack, slack, walk);
            } else {
                survivors.pass(list, gain, lack, slack, gallop);
            }
        }
        let mut out: Vec<Scored> = candidates
            .into_iter()
            .zip(explained)
            .filter_map(|(e, mut x)| {
                for &i in &several {
                    x += self.explained_by_word(i, e);
                }
                if index.bound(&query, e, x) < floor {
                    return None;
                }
                index.score(&query, e, x).filter(|s| s.score >= floor)
            })
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
        out.truncate(k);
        out
    }
}

/// The candidates of [`Prepared::at_least`], with what each lacks and
/// what it explains so far (three parallel lists, sorted by entry).
struct Survivors<'a> {
    entries: &'a mut Vec<u32>,
    lacking: &'a mut Vec<f32>,
    explained: &'a mut Vec<f32>,
}

impl Survivors<'_> {
    /// One word's pass: each entry in `list` explains `gain` times its
    /// strength there; each entry not in it lacks `lack` more, and is
    /// dropped once it lacks more than `slack`. `step` moves through the
    /// list ([`walk`] or [`gallop`]: generic, so that it is inlined).
    fn pass(
        &mut self,
        list: &[(u32, f32)],
        gain: f32,
        lack: f32,
        slack: f32,
        step: impl Fn(&[(u32, f32)], usize, u32) -> usize,
    ) {
        let mut at = 0;
        self.pass_with(gain, lack, slack, |e| {
            at = step(list, at, e);
            list.get(at).filter(|p| p.0 == e).map_or(0.0, |p| p.1)
        });
    }

    /// The same, with each entry's strength from `strength` (called in
    /// entry order).
    fn pass_with(
        &mut self,
        gain: f32,
        lack: f32,
        slack: f32,
        mut strength: impl FnMut(u32) -> f32,
    ) {
        let mut kept = 0;
        for c in 0..self.entries.len() {
            let e = self.entries[c];
            let strength = strength(e);
            let mut lacking = self.lacking[c];
            if strength > 0.0 {
                self.explained[c] += gain * strength;
            } else {
                lacking += lack;
            }
            if lacking <= slack {
                self.entries[kept] = e;
                self.lacking[kept] = lacking;
                self.explained[kept] = self.explained[c];
                kept += 1;
            }
        }
        self.entries.truncate(kept);
        self.lacking.truncate(kept);
        self.explained.truncate(kept);
    }
}

/// The first index at or after `from` whose entry is at least `e`, in
/// postings sorted by entry, one step at a time.
#[inline]
fn walk(list: &[(u32, f32)], mut from: usize, e: u32) -> usize {
    while list.get(from).is_some_and(|p| p.0 < e) {
        from += 1;
    }
    from
}

/// The same as [`walk`], by doubling steps, then a binary search, so a
/// pass over sorted entries costs the log of the gaps, not the length.
#[inline]
fn gallop(list: &[(u32, f32)], from: usize, e: u32) -> usize {
    let mut step = 1;
    let mut lo = from;
    while lo + step <= list.len() && list[lo + step - 1].0 < e {
        lo += step;
        step *= 2;
    }
    let hi = (lo + step).min(list.len());
    lo + list[lo..hi].partition_point(|p| p.0 < e)
}

/// A question word left out of the first search (see [`Index::rank_top`]):
/// its weight and the one term it matches, with its bit in
/// [`Index::long_terms`] if it has one.
struct Deferred {
    weight: f32,
    sim: f32,
    term: TermId,
    bit: Option<u64>,
}

/// What scoring an entry needs to know about the question.
struct Query<'a> {
    /// vocabulary term -> best similarity to any question word
    hits: &'a [(TermId, f32)],
    question_weight: f32,
    confidence: f32,
    /// For the bound on phrasing coverage: what question words read as
    /// several vocabulary words may cover beyond their weight.
    soft_slack: f32,
}

/// Postings longer than this share of the entries (and
/// [`LONG_POSTINGS_MIN`]) are first left out of a search: see
/// [`Index::rank_top`].
const LONG_POSTINGS_SHARE: usize = 16;
const LONG_POSTINGS_MIN: usize = 512;

/// How long postings must be to be left out first, in an FAQ of `n`
/// entries.
fn long_postings(n: usize) -> usize {
    (n / LONG_POSTINGS_SHARE).max(LONG_POSTINGS_MIN)
}

/// How many candidates [`Index::select`] scores first to narrow the rest,
/// when there are many.
const PROBES: usize = 32;

/// How many candidates [`Index::narrow`] needs to be worth it: below, the
/// probes scored ahead (the search mostly stops after a few) cost more
/// than ordering the candidates (measured on CLINC150's 150 entries and
/// make_scale's 1k).
const NARROW_MIN: usize = 1024;

/// The share of a needed explained weight ([`Index::explained_needed`])
/// an entry may lack and still be kept: far more than rounding can move
/// a sum of a few dozen terms, so no entry that could reach the bound is
/// ruled out.
const EXPLAINED_MARGIN: f32 = 1e-3;

/// What [`Index::narrow`]'s probes found: the lowest of their bounds and
/// the `k`-th best of their scores.
#[derive(Debug, Clone, Copy)]
struct Probed {
    lowest_bound: f32,
    kth_score: f32,
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

/// A candidate with the most its score can be, ordered for a max-heap
/// (highest bound first, then lowest entry).
#[derive(Debug, Clone, Copy)]
struct Bound {
    bound: f32,
    entry: u32,
}

impl PartialEq for Bound {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}

impl Eq for Bound {}

impl PartialOrd for Bound {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Bound {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.bound
            .total_cmp(&other.bound)
            .then(other.entry.cmp(&self.entry))
    }
}

/// The two coverages -> one score: their harmonic mean, which is high only
/// when both are (a question that matches a short phrasing but is mostly
/// about something else scores low, and so does a question that says one
/// word of a long phrasing).
fn combine(question: f32, phrasing: f32) -> f32 {
    if question + phrasing > 0.0 {
        2.0 * question * phrasing / (question + phrasing)
    } else {
        0.0
    }
}

/// Smoothed inverse document frequency: never zero, so a word every entry
/// uses still counts a little.
fn idf(entries: f32, df: f32) -> f32 {
    (1.0 + entries / df).ln()
}

#[cfg(test)]
mod tests;
