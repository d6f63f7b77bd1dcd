//! The exact top k for a question ([`Index::rank_top`]): candidates from
//! the postings, each with a bound on its score, narrowed by a few probes
//! and scored best bound first until no bound can beat the `k`-th score.
//! Words with long postings are deferred: looked up for the entries the
//! other words found, and walked only if entries they alone reach could
//! make the top k.

use std::collections::BinaryHeap;

use super::score::{combine, Query};
use super::{best_first, Index, Prepared, Scored, TermId};
use crate::answer::matching::normalize;

impl Index {
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
    ///   strength, answer-only words at
    ///   [`Params::answer_word`](super::Params::answer_word)), counting
    ///   words the FAQ has never seen against it;
    /// - how much of the entry's best *phrasing* the question covers.
    ///
    /// A question must both be explained by the entry and say what the
    /// entry is about to score high; a question with too little matched
    /// evidence is scaled down (see
    /// [`Params::evidence`](super::Params::evidence)).
    ///
    /// The first coverage comes from the postings of the question's words
    /// alone; since the phrasing coverage is at most 1, it bounds the
    /// score. Candidates that cannot reach the `k`-th best score of a few
    /// probes are dropped, the rest are taken best bound first, and the
    /// search stops once no bound can beat the `k`-th best score: the
    /// result is exact.
    pub fn rank_top(&self, question: &str, k: usize) -> Vec<Scored> {
        self.rank_top_words(normalize::words(question), k)
    }

    /// [`Index::rank_top`] of a question already read with
    /// [`normalize::words`] (the matcher also compares its spelling).
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
        let query = Query {
            hits: &hits,
            question_weight,
            confidence,
            soft_slack: self.soft_slack(&matched),
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
        let uses = self.long_terms[e as usize];
        for w in words {
            let strength = match w.bit {
                Some(bit) => self.long_strength(uses, bit),
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
            top.sort_by(best_first);
        }
        top
    }
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

/// Postings longer than this share of the entries (and
/// [`LONG_POSTINGS_MIN`]) are first left out of a search: see
/// [`Index::rank_top`].
const LONG_POSTINGS_SHARE: usize = 16;
const LONG_POSTINGS_MIN: usize = 512;

/// How long postings must be to be left out first, in an FAQ of `n`
/// entries.
pub(super) fn long_postings(n: usize) -> usize {
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

/// What [`Index::narrow`]'s probes found: the lowest of their bounds and
/// the `k`-th best of their scores.
#[derive(Debug, Clone, Copy)]
struct Probed {
    lowest_bound: f32,
    kth_score: f32,
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
