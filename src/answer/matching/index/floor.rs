//! The entries that score at least a floor for a question
//! ([`Prepared::at_least`], for `faqbot check`'s entries too alike to tell
//! apart), found without ranking the whole FAQ: the candidates come from
//! the rarest words' postings (prefix filtering), and each further word
//! drops those that now lack too much, in one pass over sorted postings.

use super::{best_first, Prepared, Scored, TermId};

impl Prepared<'_> {
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
                    index.long_strength(index.long_terms[e as usize], bit)
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
        out.sort_by(best_first);
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
