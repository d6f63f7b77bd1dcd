//! "Why this answer?": the numbers behind a reply, in words a moderator
//! can act on. Used by `faqbot ask --explain` and the bot's Why? button.
//!
//! It owns nothing but the explanation: the score, which question or
//! alternative matched, the runner-up and its score, the thresholds in
//! force, and how each word of the question was read. Pure; no Discord.

use std::fmt::Write as _;

use crate::answer::matching::{Matcher, Outcome, Scored, Thresholds, WordReading};
use crate::faq::Faq;

/// One entry as the explanation shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    pub id: String,
    pub score: f32,
    /// The phrasing (question or alternative) that matched best.
    pub matched: String,
    /// Whether `matched` is the entry's question (else an alternative).
    pub is_question: bool,
    /// The two signals behind the score, when the semantic stage ran.
    pub signals: Option<Signals>,
}

/// The fuzzy and semantic scores that the final score fuses.
#[derive(Debug, Clone, PartialEq)]
pub struct Signals {
    /// The score by words alone.
    pub fuzzy: f32,
    /// The cosine to the phrasing closest in meaning.
    pub cosine: f32,
    /// That phrasing.
    pub semantic_via: String,
}

impl Pick {
    /// "words 0.52, semantic 0.71 via "how do i take time off"".
    fn signals_text(&self) -> Option<String> {
        self.signals.as_ref().map(|s| {
            format!(
                "words {:.2}, semantic {:.2} via \"{}\"",
                s.fuzzy, s.cosine, s.semantic_via
            )
        })
    }
}

impl Pick {
    fn new(faq: &Faq, s: &Scored) -> Pick {
        let e = &faq.entries[s.entry];
        Pick {
            id: e.id.clone(),
            score: s.score,
            matched: e
                .phrasings()
                .nth(s.phrasing)
                .unwrap_or(&e.question)
                .to_string(),
            is_question: s.phrasing == 0,
            signals: s.semantic.map(|hit| Signals {
                fuzzy: s.fuzzy,
                cosine: hit.cosine,
                semantic_via: e
                    .phrasings()
                    .nth(hit.phrasing)
                    .unwrap_or(&e.question)
                    .to_string(),
            }),
        }
    }
}

/// Why a question got the reply it got.
#[derive(Debug, Clone, PartialEq)]
pub struct Why {
    /// `answer`, `suggest` or `fallback`.
    pub outcome: Outcome,
    pub best: Option<Pick>,
    pub runner_up: Option<Pick>,
    pub thresholds: Thresholds,
    pub words: Vec<WordReading>,
    /// The FAQ's background cosine and the semantic share of the score,
    /// when the semantic stage is on.
    pub fusion: Option<(f32, f32)>,
}

impl Why {
    pub fn new(faq: &Faq, matcher: &Matcher, question: &str) -> Why {
        let m = matcher.ask(question);
        Why {
            outcome: m.decision.outcome(),
            best: m.top.first().map(|s| Pick::new(faq, s)),
            runner_up: m.top.get(1).map(|s| Pick::new(faq, s)),
            thresholds: matcher.thresholds(),
            words: matcher.explain(question),
            fusion: matcher.fusion_settings(),
        }
    }

    /// The explanation as plain lines (Markdown-safe apart from the
    /// backticks around ids and the quotes around phrasings).
    pub fn to_text(&self) -> String {
        let t = self.thresholds;
        let mut out = String::new();
        let verdict = match self.outcome {
            Outcome::Answer => "Answered",
            Outcome::Suggest => "Suggestions shown, no answer",
            Outcome::Fallback => "Topic menu shown, no answer",
        };
        let _ = writeln!(out, "{verdict}.");
        match &self.best {
            Some(b) => {
                let via = if b.is_question {
                    "its question"
                } else {
                    "an alternative"
                };
                let _ = writeln!(
                    out,
                    "Best match: `{}`, score {:.2}, via {via} \"{}\".",
                    b.id, b.score, b.matched
                );
                if let Some(signals) = b.signals_text() {
                    let _ = writeln!(out, "  Signals: {signals}.");
                }
            }
            None => {
                let _ = writeln!(out, "No entry shares a word with the question.");
            }
        }
        match (&self.best, &self.runner_up) {
            (Some(b), Some(r)) => {
                let _ = writeln!(
                    out,
                    "Runner-up: `{}`, score {:.2} (lead {:.2}), via \"{}\".",
                    r.id,
                    r.score,
                    b.score - r.score,
                    r.matched
                );
                if let Some(signals) = r.signals_text() {
                    let _ = writeln!(out, "  Signals: {signals}.");
                }
            }
            (Some(_), None) => {
                let _ = writeln!(out, "Runner-up: none.");
            }
            _ => {}
        }
        let _ = writeln!(
            out,
            "Thresholds: answer at score ≥ {} with a lead ≥ {}; suggest at ≥ {} (then others at ≥ {}); else the topic menu.",
            short(t.answer),
            short(t.margin),
            short(t.suggest),
            short(t.suggest_others)
        );
        if let Some((bg, share)) = self.fusion {
            let _ = writeln!(
                out,
                "Score = {:.0} % words + {:.0} % meaning; a cosine counts above this FAQ's background ({bg:.2}, how alike its different entries are).",
                100.0 - share * 100.0,
                share * 100.0
            );
        }
        if !self.words.is_empty() {
            let words: Vec<String> = self
                .words
                .iter()
                .map(|r| {
                    // The word as typed, and its stem when that differs:
                    // "does [stem doe]" (matching compares stems).
                    let typed = if r.stem == r.word {
                        r.word.clone()
                    } else {
                        format!("{} [stem {}]", r.word, r.stem)
                    };
                    match &r.matched {
                        Some((w, _)) if *w == r.stem => format!("{typed} ({:.2})", r.weight),
                        Some((w, sim)) => {
                            format!("{typed} → {w} ({:.2}, similarity {sim:.2})", r.weight)
                        }
                        None => format!("{typed} (not in the FAQ, {:.2})", r.weight),
                    }
                })
                .collect();
            let _ = writeln!(out, "Words (weight): {}.", words.join(", "));
        }
        out
    }
}

/// A threshold as configured: 0.525, 0.08, 0.3 (no float noise, no
/// rounding that would misstate it).
fn short(x: f32) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_names_its_phrasing_runner_up_and_thresholds() {
        let faq = crate::synthetic::synthetic_faq(30, 9);
        let matcher = Matcher::new(&faq, Thresholds::default());
        let q = faq.entries[4].alternatives[0].clone();
        let why = Why::new(&faq, &matcher, &q);
        let best = why.best.as_ref().expect("a best entry");
        assert_eq!(best.id, "e4");
        assert_eq!(best.matched, q);
        assert!(!best.is_question);
        let text = why.to_text();
        assert!(
            text.contains(&format!("via an alternative \"{q}\"")),
            "{text}"
        );
        assert!(
            text.contains("Thresholds: answer at score ≥ 0.55 with a lead ≥ 0.08"),
            "{text}"
        );
        if let Some(r) = &why.runner_up {
            assert!(text.contains(&format!("Runner-up: `{}`", r.id)), "{text}");
            assert!(r.score <= best.score);
        }
    }

    #[test]
    fn a_question_with_no_match_says_so() {
        let faq = crate::synthetic::synthetic_faq(10, 2);
        let matcher = Matcher::new(&faq, Thresholds::default());
        let why = Why::new(&faq, &matcher, "🙂");
        assert_eq!(why.outcome, Outcome::Fallback);
        assert!(why
            .to_text()
            .contains("No entry shares a word with the question."));
    }

    /// Moderators read the words as they typed them; the stem (what is
    /// matched) is shown beside a word only when it differs.
    #[test]
    fn words_are_shown_as_typed_with_their_stem_beside() {
        let mut faq = crate::synthetic::synthetic_faq(3, 4);
        faq.entries[0].question = "what does embassy security mean".into();
        let matcher = Matcher::new(&faq, Thresholds::default());
        let text = Why::new(&faq, &matcher, "what does embasy security mean").to_text();
        let words = text
            .lines()
            .find(|l| l.starts_with("Words (weight): "))
            .expect("the words line");
        assert!(words.contains("does [stem doe] ("), "{words}");
        assert!(
            words.contains("embasy [stem embasi] → embassi ("),
            "{words}"
        );
        assert!(words.contains("mean ("), "{words}");
        assert!(!words.contains("mean [stem"), "{words}");
    }
}
