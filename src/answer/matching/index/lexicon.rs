//! How a question word is read against the FAQ's vocabulary: as itself, as
//! a typo (Jaro-Winkler, same first letter), as another form of the same
//! word, as a non-word one edit away (SymSpell's one-deletion variants), and
//! with its synonyms (`../synonyms.txt`); and the look-ups by spelling that
//! the index builds for it.

use std::sync::LazyLock;

use rustc_hash::FxHashMap as HashMap;

use super::{Index, TermId};
use crate::answer::matching::english;
use crate::answer::matching::normalize::{stem, Term};

/// Two different words are the same word misspelled when their
/// Jaro-Winkler similarity is at least this: "embasy"/"embassy" = 0.97,
/// "protect"/"protest" = 0.94 (a real risk, hence the scaling by
/// similarity), "treaty"/"treat" = 0.93, "secure"/"second" = 0.83 (rejected).
pub const SOFT_MATCH_MIN: f64 = 0.9;

/// Words this short are only matched exactly: Jaro-Winkler cannot tell a
/// typo from a different word at three letters ("war"/"way" = 0.82,
/// "un"/"us").
const SOFT_MATCH_MIN_CHARS: usize = 4;

/// A typo changes a word by one edit (two in longer words), and rarely its
/// first letter: Jaro-Winkler alone is generous with words that share a
/// beginning ("married" and "marines" score 0.90, yet are three edits
/// apart), and one edit at the front turns "bread" into "read".
pub(super) fn is_typo_distance(a: &str, b: &str) -> bool {
    if a.chars().next() != b.chars().next() {
        return false;
    }
    let max_edits = if a.chars().count().min(b.chars().count()) <= 5 {
        1
    } else {
        2
    };
    strsim::damerau_levenshtein(a, b) <= max_edits
}

/// Another form of the same word, which the stemmer left apart ("defin"
/// from "define", "definit" from "definition"; "japanes"/"japan"): one stem
/// starts with the other, which is at least [`WORD_FORM_MIN_CHARS`] long,
/// and adds at most [`MAX_FORM_EXTRA`] letters ("recip" from "recipes" is
/// not "reciproc").
fn is_word_form(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.chars().count() >= WORD_FORM_MIN_CHARS && long.starts_with(short)
}

const WORD_FORM_MIN_CHARS: usize = 5;
const MAX_FORM_EXTRA: usize = 2;

/// A word form counts a little less than the word itself.
const WORD_FORM_SIMILARITY: f32 = 0.9;

/// What a synonym counts by default: less than a typo, since synonyms
/// are only near in meaning.
pub const SYNONYM_SIMILARITY: f32 = 0.8;

fn has_digit(word: &str) -> bool {
    word.chars().any(char::is_numeric)
}

/// The synonym groups, by stem: each stem -> the other stems of its groups.
static SYNONYMS: LazyLock<HashMap<String, Vec<String>>> = LazyLock::new(|| {
    let mut map: HashMap<String, Vec<String>> = HashMap::default();
    for line in include_str!("../synonyms.txt").lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let group: Vec<String> = line.split_whitespace().map(stem).collect();
        for a in &group {
            let others = map.entry(a.clone()).or_default();
            others.extend(group.iter().filter(|b| *b != a).cloned());
            others.sort_unstable();
            others.dedup();
        }
    }
    map
});

/// The stems that mean the same as `stem` (see [`SYNONYMS`]).
fn synonyms(stem: &str) -> impl Iterator<Item = &'static str> {
    SYNONYMS.get(stem).into_iter().flatten().map(String::as_str)
}

/// Two-letter strings rarer than this in English are read as typos.
const TWO_LETTER_WORD_MIN_ZIPF: f32 = 4.0;

/// Non-words this short are not matched one edit away: too many words
/// are one edit from a two-letter string.
const ONE_EDIT_MIN_CHARS: usize = 3;

/// What a match one edit away counts: less than a same-initial typo.
const ONE_EDIT_SIMILARITY: f32 = 0.8;

/// A word and the words it makes with one character deleted.
fn deletion_variants(word: &str) -> impl Iterator<Item = String> + '_ {
    std::iter::once(word.to_string()).chain(word.char_indices().map(|(i, c)| {
        let mut v = String::with_capacity(word.len());
        v.push_str(&word[..i]);
        v.push_str(&word[i + c.len_utf8()..]);
        v
    }))
}

/// How many vocabulary words one misspelled question word may stand for.
const SOFT_MATCHES_PER_WORD: usize = 3;

impl Index {
    /// The look-ups by spelling: every word as written in the FAQ (`seen`:
    /// normalised, with its term) and its one-deletion variants, for
    /// [`Index::one_edit_away`], and the vocabulary by first letter, for
    /// [`Index::near_spellings`].
    pub(super) fn build_spellings(&mut self, seen: HashMap<String, TermId>) {
        // Numbers are never typos of each other ("flight 124" is not
        // "flight 123"): only words without digits are looked up by
        // spelling. An FAQ may have a number in every entry.
        let mut written: Vec<(String, TermId)> =
            seen.into_iter().filter(|(w, _)| !has_digit(w)).collect();
        written.sort_unstable();
        for (i, (word, _)) in written.iter().enumerate() {
            if word.chars().count() >= ONE_EDIT_MIN_CHARS - 1 {
                for v in deletion_variants(word) {
                    self.deletions.entry(v).or_default().push(i as u32);
                }
            }
        }
        self.written = written;
        for (id, word) in self.words.iter().enumerate() {
            if has_digit(word) {
                continue;
            }
            if let Some(c) = word.chars().next() {
                self.by_initial.entry(c).or_default().push(id as TermId);
            }
        }
    }

    /// How one question word is read: its weight and the vocabulary it
    /// stands for (empty: a word the FAQ never uses, which counts against
    /// every entry). `None` for a function word the FAQ never uses: it
    /// says nothing.
    pub(super) fn read(&self, term: &Term) -> Option<(f32, Vec<(TermId, f32)>)> {
        let matches = self.lookup(&term.stem, &term.word, term.function);
        if term.function && matches.is_empty() {
            return None;
        }
        let weight = matches
            .first()
            .map_or(self.unknown_weight, |&(t, _)| self.idf[t as usize]);
        Some((weight, matches))
    }

    /// Vocabulary words that a question word stands for, with similarity.
    /// A function word is never read as a typo: it is a word the asker
    /// meant ("lol" is not "low").
    fn lookup(&self, word: &str, written: &str, function: bool) -> Vec<(TermId, f32)> {
        let mut found = match self.vocab.get(word) {
            Some(&id) => vec![(id, 1.0)],
            None if function => Vec::new(),
            None => {
                // A real word is not a misspelled function word ("weather"
                // is not "whether"); a non-word may be ("woudl").
                // Two-letter words that are rare in English ("od", "ot")
                // are mostly swapped letters.
                let real_word = english::zipf(word)
                    .is_some_and(|z| word.len() > 2 || z >= TWO_LETTER_WORD_MIN_ZIPF);
                let mut found = self.near_spellings(word, real_word);
                if !real_word {
                    // One edit beats two: "nterest" is "interest" (one
                    // letter dropped), not "nearest" (two changed).
                    let one_edit = self.one_edit_away(written);
                    if !one_edit.is_empty() {
                        found.retain(|&(t, _)| {
                            one_edit.iter().any(|o| o.0 == t)
                                || strsim::damerau_levenshtein(word, &self.words[t as usize]) <= 1
                        });
                        for o in one_edit {
                            if !found.iter().any(|f| f.0 == o.0) {
                                found.push(o);
                            }
                        }
                    }
                }
                found
            }
        };
        if self.synonym > 0.0 {
            for other in synonyms(word) {
                if let Some(&id) = self.vocab.get(other) {
                    if !found.iter().any(|f| f.0 == id) {
                        found.push((id, self.synonym));
                    }
                }
            }
        }
        found
    }

    /// Vocabulary words of the same initial close by Jaro-Winkler: typos
    /// and word forms (see [`is_typo_distance`], [`is_word_form`]).
    fn near_spellings(&self, word: &str, real_word: bool) -> Vec<(TermId, f32)> {
        let len = word.chars().count();
        if len < SOFT_MATCH_MIN_CHARS {
            return Vec::new();
        }
        let Some(same_initial) = word.chars().next().and_then(|c| self.by_initial.get(&c)) else {
            return Vec::new();
        };
        let mut found: Vec<(TermId, f32)> = same_initial
            .iter()
            .filter_map(|&t| {
                if real_word && self.function[t as usize] {
                    return None;
                }
                let w = &self.words[t as usize];
                // A typo is at most two edits, so lengths differ by at most two.
                let w_len = w.chars().count();
                if w_len < SOFT_MATCH_MIN_CHARS || w_len.abs_diff(len) > MAX_FORM_EXTRA {
                    return None;
                }
                let s = strsim::jaro_winkler(word, w);
                if s < SOFT_MATCH_MIN {
                    return None;
                }
                if is_typo_distance(word, w) {
                    Some((t, s as f32))
                } else if is_word_form(word, w) {
                    Some((t, s as f32 * WORD_FORM_SIMILARITY))
                } else {
                    None
                }
            })
            .collect();
        found.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        found.truncate(SOFT_MATCHES_PER_WORD);
        found
    }

    /// For a word that is not English and has no near spelling: the
    /// vocabulary words one edit away as written, wherever the edit is
    /// ("lpples" for "apples", "tje" for "the"), found through their
    /// one-deletion variants (SymSpell). They count [`ONE_EDIT_SIMILARITY`].
    fn one_edit_away(&self, word: &str) -> Vec<(TermId, f32)> {
        let len = word.chars().count();
        if len < ONE_EDIT_MIN_CHARS {
            // Too many words are one edit from two letters, but swapped
            // letters are a typo of one word only ("od" for "do").
            let swapped: String = word.chars().rev().collect();
            return match self
                .written
                .binary_search_by(|w| w.0.as_str().cmp(&swapped))
            {
                Ok(i) if len == 2 && swapped != word => {
                    vec![(self.written[i].1, ONE_EDIT_SIMILARITY)]
                }
                _ => Vec::new(),
            };
        }
        let mut found: Vec<TermId> = deletion_variants(word)
            .filter_map(|v| self.deletions.get(&v))
            .flatten()
            .filter(|&&s| strsim::damerau_levenshtein(word, &self.written[s as usize].0) <= 1)
            .map(|&s| self.written[s as usize].1)
            .collect();
        found.sort_unstable();
        found.dedup();
        // The likeliest intended word is the one the FAQ uses most
        // ("jut" is "just" sooner than "jet"), as in SymSpell.
        found.sort_by_key(|&t| std::cmp::Reverse(self.postings[t as usize].len()));
        found.truncate(SOFT_MATCHES_PER_WORD);
        found
            .into_iter()
            .map(|t| (t, ONE_EDIT_SIMILARITY))
            .collect()
    }
}
