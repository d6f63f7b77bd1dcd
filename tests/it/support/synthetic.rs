//! A synthetic FAQ for tests and benchmarks of speed and scale. Test
//! support, never built into the program: the library's unit tests, the
//! integration tests and the benchmark each include this file.

use faqbot::faq::{Entry, Faq, Topic};

/// A synthetic FAQ for tests and benchmarks of speed and scale: `n`
/// entries of three phrasings each, words drawn from a fixed vocabulary
/// with a skewed frequency (a few words are in most entries, as in real
/// FAQs), deterministic for a seed. Word salad: good for timing, says
/// nothing about accuracy.
pub fn synthetic_faq(n: usize, seed: u64) -> Faq {
    let mut next = xorshift(seed);
    // 2,000 distinct made-up words of two to four syllables.
    const CONSONANTS: &[u8] = b"bcdfghjklmnprstvz";
    let mut vocab: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    while vocab.len() < 2_000 {
        let syllables = 2 + (next() % 3) as usize;
        let word = made_up_word(CONSONANTS, syllables, &mut next);
        if seen.insert(word.clone()) {
            vocab.push(word);
        }
    }
    let mut phrase = || {
        let len = 3 + (next() % 8) as usize;
        (0..len)
            .map(|_| {
                // Squaring skews towards low indexes: frequent words.
                let r = (next() % 1000) as f64 / 1000.0;
                vocab[((r * r) * vocab.len() as f64) as usize].clone()
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    one_topic_faq((0..n).map(|_| {
        let question = phrase();
        (question, vec![phrase(), phrase()])
    }))
}

/// The random numbers behind every synthetic FAQ: xorshift64* from
/// `seed`, deterministic.
pub fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed | 1;
    move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// A made-up word of `syllables` consonant-vowel pairs, each letter drawn
/// with `next` (the consonant first) from `consonants` and the vowels.
pub fn made_up_word(consonants: &[u8], syllables: usize, next: &mut dyn FnMut() -> u64) -> String {
    const VOWELS: &[u8] = b"aeiou";
    (0..syllables)
        .flat_map(|_| {
            let c = consonants[(next() % consonants.len() as u64) as usize] as char;
            let v = VOWELS[(next() % VOWELS.len() as u64) as usize] as char;
            [c, v]
        })
        .collect()
}

/// An FAQ of one topic, `T`, holding an entry `e{i}` for each (question,
/// alternatives) of `phrasings`, in order, with a stock answer and section.
pub fn one_topic_faq(phrasings: impl IntoIterator<Item = (String, Vec<String>)>) -> Faq {
    let mut faq = Faq::default();
    for (e, (question, alternatives)) in phrasings.into_iter().enumerate() {
        faq.entries.push(Entry {
            id: format!("e{e}"),
            question,
            alternatives,
            answer: format!("Answer {e}."),
            section: "S".into(),
            link: None,
            tags: vec![],
            owner: None,
            reviewed: None,
            topic: 0,
        });
    }
    faq.topics.push(Topic {
        name: "T".into(),
        description: "d".into(),
        emoji: None,
        order: 0,
        file: "t.toml".into(),
        entries: (0..faq.entries.len()).collect(),
    });
    faq
}
