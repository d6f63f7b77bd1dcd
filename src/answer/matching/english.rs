//! How common a word is in everyday English, from film subtitles
//! (SUBTLEX-US; see `english_frequency.txt` for its source and licence).
//!
//! An FAQ is too small to learn from itself that "job" or "world" are
//! ordinary words: if one alternative happens to use "job", the FAQ's own
//! statistics call it as telling as "undss". The matcher caps the weight of
//! such words by how common they are in English (see
//! [`super::index::Params::english_cap`]).

use std::collections::HashMap;
use std::sync::LazyLock;

use super::normalize::stem;

const DATA: &str = include_str!("english_frequency.txt");

/// Zipf value (log10 of occurrences per billion words) by stem: about 7 for
/// "the", 5.6 for "job", 3.9 for "embassy", absent for rare words.
static ZIPF: LazyLock<HashMap<String, f32>> = LazyLock::new(|| {
    let mut total = 0f64;
    let mut counts: HashMap<String, f64> = HashMap::new();
    for line in DATA.lines() {
        if let Some(n) = line.strip_prefix("#total ") {
            total = n.trim().parse().unwrap_or(0.0);
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let mut parts = line.split(' ');
        if let (Some(word), Some(count)) = (parts.next(), parts.next()) {
            if let Ok(c) = count.parse::<f64>() {
                *counts.entry(stem(word)).or_insert(0.0) += c;
            }
        }
    }
    if total <= 0.0 {
        return HashMap::new();
    }
    counts
        .into_iter()
        .map(|(s, c)| (s, (c / total * 1e9).log10() as f32))
        .collect()
});

/// The Zipf value of a stem, or `None` for words rare in everyday English.
pub fn zipf(stem: &str) -> Option<f32> {
    ZIPF.get(stem).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_words_are_common_and_subject_words_are_not() {
        let job = zipf("job").expect("job is common");
        let embassy = zipf("embassi").expect("embassy is listed");
        assert!(job > 5.0 && job < 6.5, "{job}");
        assert!(embassy < job - 1.0, "{embassy}");
        assert_eq!(zipf("undss"), None);
    }
}
