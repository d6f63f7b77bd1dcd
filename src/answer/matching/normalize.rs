//! Text -> the words the matcher compares.
//!
//! [`normalize`] strips what is not part of a question (Discord markup:
//! mentions, custom emoji, timestamps, code blocks; URLs; punctuation;
//! zero-width and control characters), applies Unicode NFKC and case folding.
//! [`terms`] then drops filler words and reduces each word to its stem
//! (Snowball English), so "protecting", "protected" and "protection" meet.

use std::sync::LazyLock;

use regex::Regex;
use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;

/// Only this many characters of a question are read. Discord messages hold
/// at most 4000 (with Nitro); longer input is pasted text, not a question,
/// and reading all of it would only cost time.
pub const MAX_QUESTION_CHARS: usize = 4000;

/// Words longer than this are not words (hashes, base64, keyboard mashing).
const MAX_WORD_CHARS: usize = 40;

static CODE_BLOCK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)```.*?(```|$)").expect("static regex"));
/// `<@id>`, `<@!id>`, `<@&id>`, `<#id>`, `<:name:id>`, `<a:name:id>`,
/// `<t:123:R>`, `</cmd:id>`.
static DISCORD_MARKUP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"<(?:@[!&]?\d+|#\d+|a?:\w+:\d+|t:-?\d+(?::\w)?|/[\w -]+:\d+)>")
        .expect("static regex")
});
static URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?:https?://|www\.)\S+").expect("static regex"));
/// `@everyone` and `@here` are not words of the question.
static MASS_MENTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"@(?:everyone|here)\b").expect("static regex"));

static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// Words that say nothing about which entry is meant: question words,
/// pronouns, auxiliaries, chat filler. Checked before stemming.
const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "actually",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "anyone",
    "anything",
    "anyway",
    "are",
    "as",
    "at",
    "basically",
    "be",
    "been",
    "being",
    "bro",
    "but",
    "by",
    "can",
    "could",
    "d",
    "did",
    "do",
    "does",
    "doing",
    "don",
    "dont",
    "eh",
    "even",
    "ever",
    "exactly",
    "for",
    "from",
    "get",
    "gets",
    "getting",
    "got",
    "guys",
    "had",
    "has",
    "have",
    "hello",
    "here",
    "hey",
    "hi",
    "i",
    "id",
    "if",
    "im",
    "in",
    "into",
    "is",
    "it",
    "its",
    "just",
    "kind",
    "kinda",
    "know",
    "like",
    "literally",
    "ll",
    "lol",
    "lot",
    "m",
    "maybe",
    "me",
    "mean",
    "my",
    "now",
    "nowadays",
    "of",
    "ok",
    "okay",
    "on",
    "or",
    "please",
    "pls",
    "plz",
    "question",
    "re",
    "really",
    "s",
    "so",
    "some",
    "somebody",
    "someone",
    "something",
    "sort",
    "sure",
    "t",
    "tell",
    "than",
    "thanks",
    "that",
    "thats",
    "the",
    "their",
    "them",
    "then",
    "there",
    "theres",
    "these",
    "they",
    "theyre",
    "thing",
    "things",
    "this",
    "those",
    "though",
    "thx",
    "to",
    "today",
    "u",
    "ur",
    "us",
    "ve",
    "wanna",
    "was",
    "we",
    "were",
    "whether",
    "whom",
    "will",
    "with",
    "wonder",
    "wondered",
    "wondering",
    "would",
    "ya",
    "yall",
    "you",
    "your",
    "youre",
];

/// Chat spellings of ordinary words, read as the words they stand for.
/// General chat shorthand only: an FAQ's own jargon belongs in its entries'
/// alternatives, where moderators can see and change it.
/// The longest chat spelling in [`CHAT_WORDS`]: longer words skip the look-up.
const CHAT_WORD_MAX_LEN: usize = 6;

const CHAT_WORDS: &[(&str, &str)] = &[
    ("abt", "about"),
    ("b4", "before"),
    ("bc", "because"),
    ("cop", "police"),
    ("cops", "police"),
    ("coz", "because"),
    ("cuz", "because"),
    ("dept", "department"),
    ("gov", "government"),
    ("govs", "governments"),
    ("govt", "government"),
    ("govts", "governments"),
    ("hows", "how"),
    ("info", "information"),
    ("intl", "international"),
    ("ppl", "people"),
    ("r", "are"),
    ("tho", "though"),
    ("w", "with"),
    ("whats", "what"),
    ("wheres", "where"),
    ("whos", "who"),
    ("whys", "why"),
    ("y", "why"),
];

/// NFKC, lower case, markup and punctuation removed; words separated by
/// single spaces. Reads at most [`MAX_QUESTION_CHARS`] characters.
pub fn normalize(text: &str) -> String {
    let text = strip_markup(text);
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    // NFKC then full Unicode case folding ("Straße" and "STRASSE" meet);
    // for ASCII text both come down to lower-casing.
    let folded = if text.is_ascii() {
        text.to_ascii_lowercase()
    } else {
        caseless::default_case_fold_str(&text.nfkc().collect::<String>())
    };
    for c in folded.chars() {
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        } else if c == '\'' || c == '\u{2019}' || is_invisible(c) {
            // Apostrophes join ("don't" -> "dont"); zero-width characters
            // vanish, so "emb\u{200B}assy" is still "embassy".
        } else {
            pending_space = true;
        }
    }
    out
}

/// The first [`MAX_QUESTION_CHARS`] characters of `text`, without what is
/// not part of a question: code blocks, Discord markup (mentions, channels,
/// custom emoji, timestamps, commands), URLs and `@everyone`/`@here`.
fn strip_markup(text: &str) -> std::borrow::Cow<'_, str> {
    // No byte count is below the character count, so short texts need no
    // counting.
    let text = if text.len() > MAX_QUESTION_CHARS {
        text.char_indices()
            .nth(MAX_QUESTION_CHARS)
            .map_or(text, |(cut, _)| &text[..cut])
    } else {
        text
    };
    // The markup patterns all need one of these characters; most text has
    // none, and skipping four regex passes makes indexing much faster.
    let may_have_markup = text.contains(['<', '`', '@', ':']) || text.contains("www.");
    if may_have_markup {
        let text = CODE_BLOCK.replace_all(text, " ");
        let text = DISCORD_MARKUP.replace_all(&text, " ");
        let text = URL.replace_all(&text, " ");
        MASS_MENTION.replace_all(&text, " ").into_owned().into()
    } else {
        text.into()
    }
}

/// A question as the sentence-embedding model reads it: markup stripped
/// (see [`normalize`]), invisible characters dropped and whitespace
/// collapsed, but case and punctuation kept (the model's tokenizer has its
/// own rules for them).
pub fn for_model(text: &str) -> String {
    let text = strip_markup(text);
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        let word: String = word
            .chars()
            .filter(|&c| !is_invisible(c) && !c.is_control())
            .collect();
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&word);
    }
    out
}

/// Zero-width and formatting characters (Unicode category Cf and the
/// variation selectors) that are invisible in a message.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}')
}

pub fn is_stopword(word: &str) -> bool {
    STOPWORDS.binary_search(&word).is_ok()
}

/// The stemmed content words of `text`, in order (duplicates kept).
pub fn terms(text: &str) -> Vec<String> {
    content_words(text).iter().map(|w| stem(w)).collect()
}

/// A word of a question as the matcher reads it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Term {
    /// The Snowball stem: what is matched.
    pub stem: String,
    /// The word as written (normalised): what typos are measured on.
    pub word: String,
    /// One of the stopwords (function words) of this module.
    pub function: bool,
}

/// Every word of `text`, in order (duplicates kept). The function words
/// say little alone, but their pattern tells questions apart ("how do you
/// say", "what does it mean"); the matcher weighs them by how common they
/// are, so they count little, and ignores those the FAQ never uses.
pub fn all_terms(text: &str) -> Vec<Term> {
    terms_of(words(text))
}

/// [`all_terms`] of words already read with [`words`].
pub fn terms_of(words: Vec<String>) -> Vec<Term> {
    words
        .into_iter()
        .map(|w| Term {
            stem: stem(&w),
            function: is_stopword(&w),
            word: w,
        })
        .collect()
}

/// The content words of `text` before stemming, in order: filler words
/// dropped, chat spellings read as the words they stand for.
pub fn content_words(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .filter(|w| !is_stopword(w))
        .collect()
}

/// The words of `text`, normalised, chat spellings read as the words they
/// stand for, overlong "words" (pasted junk) dropped.
pub fn words(text: &str) -> Vec<String> {
    normalize(text)
        .split(' ')
        .filter(|w| !w.is_empty() && w.chars().count() <= MAX_WORD_CHARS)
        .map(|w| {
            if w.len() > CHAT_WORD_MAX_LEN {
                return w.to_string();
            }
            CHAT_WORDS
                .binary_search_by_key(&w, |&(from, _)| from)
                .map_or(w, |i| CHAT_WORDS[i].1)
                .to_string()
        })
        .collect()
}

/// The Snowball English stem of a lower-case word (words in other scripts
/// pass through unchanged).
pub fn stem(word: &str) -> String {
    STEMMER.stem(word).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_words_are_sorted_and_within_the_length_filter() {
        assert!(CHAT_WORDS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(CHAT_WORDS.iter().all(|w| w.0.len() <= CHAT_WORD_MAX_LEN));
    }

    #[test]
    fn stopword_list_is_sorted_for_binary_search() {
        assert!(
            STOPWORDS.windows(2).all(|w| w[0] < w[1]),
            "STOPWORDS must stay sorted and unique"
        );
    }

    #[test]
    fn discord_markup_urls_and_code_are_removed() {
        assert_eq!(
            normalize("<@123456> hey <:blob:987> who **guards** the embassy?? https://x.y/z ```rust\nfn main(){}\n```"),
            "hey who guards the embassy"
        );
        assert_eq!(
            normalize("<@!1> <@&2> <#3> <a:dance:4> <t:1700000000:R> @everyone"),
            ""
        );
    }

    #[test]
    fn unicode_is_folded_and_invisible_characters_vanish() {
        assert_eq!(normalize("ＥＭＢＡＳＳＹ"), "embassy");
        assert_eq!(normalize("Straße"), normalize("STRASSE"));
        assert_eq!(normalize("emb\u{200B}assy\u{FEFF}"), "embassy");
        assert_eq!(normalize("Don’t   PANIC!"), "dont panic");
        assert_eq!(normalize("сольдат 外交官"), "сольдат 外交官");
        assert_eq!(normalize("\u{0007}\u{0000}ctrl"), "ctrl");
    }

    #[test]
    fn terms_drop_filler_and_stem() {
        // Question words stay: "who" and "why" ask different things.
        assert_eq!(
            terms("Who is protecting the embassies?"),
            ["who", "protect", "embassi"]
        );
        assert_eq!(terms("is it the one"), ["one"]);
        assert_eq!(terms("and so it is"), Vec::<String>::new());
        assert_eq!(
            terms("do cops guard the govt"),
            ["polic", "guard", "govern"]
        );
    }

    #[test]
    fn huge_input_is_cut() {
        let huge = "embassy ".repeat(200_000);
        assert!(normalize(&huge).len() <= MAX_QUESTION_CHARS);
    }
}
