//! What to improve next, from what people asked: the summary behind
//! `faqbot report`, `faqbot learn` and `/faq-stats`.
//!
//! Input is plain rows (what the store returns, or anything else): each
//! question with its outcome and what the asker picked afterwards, and the
//! votes per entry. Output: the most asked entries, unanswered questions
//! grouped when they are near duplicates, near misses, the entries with
//! the most 👎, and proposed alternatives: questions that ended with the
//! asker picking entry X often enough become alternatives of X. The
//! summary is pure; [`read_store`] is the one part that reads the store
//! (through its read-only [`crate::store::Reader`]). No Discord.

use std::collections::HashMap;

use serde::Serialize;

use crate::answer::engine::Engine;
use crate::answer::matching::normalize::normalize;
use crate::answer::matching::Outcome;
use crate::moderation::regression::{Route, RouteKind};
use crate::store::{PickedQuestion, Question, ReadError, Reader, Scope, VoteTotal};

/// One question the bot handled, and what happened next.
#[derive(Debug, Clone, PartialEq)]
pub struct Asked {
    pub text: String,
    pub outcome: Outcome,
    /// The entry answered, or the best entry when not answered.
    pub entry: Option<String>,
    pub score: f32,
    /// The entry the asker then picked from the suggestions or the menu.
    pub picked: Option<String>,
}

/// 👍 and 👎 for one entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Votes {
    pub entry: String,
    pub up: u32,
    pub down: u32,
}

/// Near-duplicate questions counted together.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// The most frequent wording.
    pub example: String,
    pub count: usize,
    /// Every distinct wording, most frequent first.
    pub wordings: Vec<String>,
}

/// A question proposed as a new alternative of an entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    pub entry: String,
    pub question: String,
    /// How many times askers of this question (or a near duplicate) picked
    /// the entry.
    pub picks: usize,
}

/// How the report is cut.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How many rows each list shows.
    pub top: usize,
    /// How many picks of one entry make a question an alternative of it.
    pub min_picks: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            top: 10,
            min_picks: 2,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    pub questions: usize,
    pub answered: usize,
    /// Entries by how often they were answered, most first.
    pub most_asked: Vec<(String, usize)>,
    /// Questions that got no answer, near duplicates together.
    pub unanswered: Vec<Group>,
    /// Unanswered questions whose best entry came close (suggestions were
    /// shown): best entry, its best score, how many.
    pub near_misses: Vec<(String, f32, usize)>,
    /// Entries with 👎 votes, most first.
    pub most_down: Vec<Votes>,
    pub proposals: Vec<Proposal>,
}

/// Two wordings are near duplicates at this similarity of their
/// normalised text (normalised Levenshtein): typos and small rewordings,
/// not different questions on one subject.
pub const NEAR_DUPLICATE: f64 = 0.8;

/// Groups wordings (with their counts) into near duplicates; the most
/// frequent wordings seed the groups.
fn group(counts: HashMap<String, (String, usize)>) -> Vec<Group> {
    let mut items: Vec<(String, String, usize)> = counts
        .into_iter()
        .map(|(k, (text, n))| (k, text, n))
        .collect();
    items.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    let mut groups: Vec<(String, Group)> = Vec::new();
    for (key, text, n) in items {
        match groups
            .iter_mut()
            .find(|(k, _)| strsim::normalized_levenshtein(k, &key) >= NEAR_DUPLICATE)
        {
            Some((_, g)) => {
                g.count += n;
                g.wordings.push(text);
            }
            None => groups.push((
                key,
                Group {
                    example: text.clone(),
                    count: n,
                    wordings: vec![text],
                },
            )),
        }
    }
    let mut out: Vec<Group> = groups.into_iter().map(|(_, g)| g).collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.example.cmp(&b.example)));
    out
}

/// Builds the report. `engine` is the FAQ as it is now: proposals are
/// dropped for entries that no longer exist, for questions that are
/// already a phrasing of the entry, and for questions it now answers.
pub fn build(engine: &Engine, asked: &[Asked], votes: &[Votes], limits: Limits) -> Report {
    let mut report = Report {
        questions: asked.len(),
        ..Report::default()
    };
    let mut answered: HashMap<&str, usize> = HashMap::new();
    let mut unanswered: HashMap<String, (String, usize)> = HashMap::new();
    let mut near: HashMap<&str, (f32, usize)> = HashMap::new();
    // normalised question -> (a wording, picked entry -> count)
    let mut picks: HashMap<String, (String, HashMap<&str, usize>)> = HashMap::new();
    for a in asked {
        let key = normalize(&a.text);
        if key.is_empty() {
            continue;
        }
        if a.outcome == Outcome::Answer {
            report.answered += 1;
            if let Some(e) = &a.entry {
                *answered.entry(e).or_default() += 1;
            }
        } else {
            unanswered
                .entry(key.clone())
                .or_insert_with(|| (a.text.trim().to_string(), 0))
                .1 += 1;
            if a.outcome == Outcome::Suggest {
                if let Some(e) = &a.entry {
                    let n = near.entry(e).or_insert((0.0, 0));
                    n.0 = n.0.max(a.score);
                    n.1 += 1;
                }
            }
        }
        if let Some(p) = &a.picked {
            *picks
                .entry(key)
                .or_insert_with(|| (a.text.trim().to_string(), HashMap::new()))
                .1
                .entry(p)
                .or_default() += 1;
        }
    }
    let mut most: Vec<(String, usize)> = answered
        .into_iter()
        .map(|(e, n)| (e.to_string(), n))
        .collect();
    most.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    most.truncate(limits.top);
    report.most_asked = most;
    report.unanswered = group(unanswered);
    report.unanswered.truncate(limits.top);
    let mut near: Vec<(String, f32, usize)> = near
        .into_iter()
        .map(|(e, (s, n))| (e.to_string(), s, n))
        .collect();
    near.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.total_cmp(&a.1)).then(a.0.cmp(&b.0)));
    near.truncate(limits.top);
    report.near_misses = near;
    let mut down: Vec<Votes> = votes.iter().filter(|v| v.down > 0).cloned().collect();
    down.sort_by(|a, b| {
        b.down
            .cmp(&a.down)
            .then(a.up.cmp(&b.up))
            .then(a.entry.cmp(&b.entry))
    });
    down.truncate(limits.top);
    report.most_down = down;
    report.proposals = proposals(engine, picks, limits.min_picks);
    report
}

/// Questions whose askers picked one entry at least `min_picks` times (a
/// near duplicate counting with its group), and more often than any other.
fn proposals(
    engine: &Engine,
    picks: HashMap<String, (String, HashMap<&str, usize>)>,
    min_picks: usize,
) -> Vec<Proposal> {
    // Near duplicates pool their picks under the most picked wording.
    let mut items: Vec<(String, String, HashMap<&str, usize>)> = picks
        .into_iter()
        .map(|(k, (text, p))| (k, text, p))
        .collect();
    items.sort_by(|a, b| {
        let total = |p: &HashMap<&str, usize>| p.values().sum::<usize>();
        total(&b.2).cmp(&total(&a.2)).then(a.0.cmp(&b.0))
    });
    let mut pooled: Vec<(String, String, HashMap<&str, usize>)> = Vec::new();
    for (key, text, p) in items {
        match pooled
            .iter_mut()
            .find(|(k, _, _)| strsim::normalized_levenshtein(k, &key) >= NEAR_DUPLICATE)
        {
            Some((_, _, into)) => {
                for (e, n) in p {
                    *into.entry(e).or_default() += n;
                }
            }
            None => pooled.push((key, text, p)),
        }
    }
    let mut out = Vec::new();
    for (key, text, p) in pooled {
        let mut ranked: Vec<(&str, usize)> = p.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let Some(&(entry, n)) = ranked.first() else {
            continue;
        };
        if n < min_picks || ranked.get(1).is_some_and(|r| r.1 == n) {
            continue;
        }
        let Some(e) = engine.faq.entry_by_id(entry) else {
            continue;
        };
        if e.phrasings().any(|ph| normalize(ph) == key) {
            continue;
        }
        let now = Route::ask(&engine.faq, &engine.matcher, &text);
        if matches!(&now.kind, RouteKind::Answer(id) if id == entry) {
            continue;
        }
        out.push(Proposal {
            entry: entry.to_string(),
            question: text,
            picks: n,
        });
    }
    out.sort_by(|a, b| {
        b.picks
            .cmp(&a.picks)
            .then(a.entry.cmp(&b.entry))
            .then(a.question.cmp(&b.question))
    });
    out
}

/// Reads what the report needs from the store: questions in `scope` asked
/// since `since` (Unix seconds), each with the entry its asker picked
/// afterwards, and the votes per entry. `faqbot report`, `learn` and
/// `/faq-stats` all read through here.
pub fn read_store(
    reader: &Reader,
    since: i64,
    scope: &Scope,
) -> Result<(Vec<Asked>, Vec<Votes>), ReadError> {
    let questions = reader.questions_since(since, scope)?;
    let picks = reader.picks_since(since, scope)?;
    let totals = reader.vote_totals(since, scope)?;
    Ok((asked_rows(&questions, &picks), vote_rows(&totals)))
}

/// The report's rows: each question with the entry last picked after it
/// (from the suggestions or the menu), if any. `picks` come oldest first,
/// as the store returns them: the last one for a question wins.
pub fn asked_rows(questions: &[Question], picks: &[PickedQuestion]) -> Vec<Asked> {
    let picked: HashMap<_, &str> = picks
        .iter()
        .map(|p| (p.question, p.picked.as_str()))
        .collect();
    questions
        .iter()
        .map(|q| Asked {
            text: q.text.clone(),
            outcome: q.outcome,
            entry: q.entry.clone(),
            score: q.score,
            picked: picked.get(&q.id).map(|e| (*e).to_string()),
        })
        .collect()
}

/// The report's vote rows.
pub fn vote_rows(totals: &[VoteTotal]) -> Vec<Votes> {
    totals
        .iter()
        .map(|t| Votes {
            entry: t.entry.clone(),
            up: u32::try_from(t.up).unwrap_or(u32::MAX),
            down: u32::try_from(t.down).unwrap_or(u32::MAX),
        })
        .collect()
}

impl Report {
    /// The report as a moderator reads it in a terminal.
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} questions, {} answered ({:.0} %)",
            self.questions,
            self.answered,
            if self.questions > 0 {
                100.0 * self.answered as f64 / self.questions as f64
            } else {
                0.0
            }
        );
        let _ = writeln!(out, "\nMost asked entries:");
        if self.most_asked.is_empty() {
            let _ = writeln!(out, "  (none)");
        }
        for (e, n) in &self.most_asked {
            let _ = writeln!(out, "  {n:>5}  {e}");
        }
        let _ = writeln!(out, "\nUnanswered questions (near duplicates together):");
        if self.unanswered.is_empty() {
            let _ = writeln!(out, "  (none)");
        }
        for g in &self.unanswered {
            let more = g.wordings.len() - 1;
            let also = if more > 0 {
                format!(
                    " (and {more} similar wording{})",
                    crate::answer::text::plural(more)
                )
            } else {
                String::new()
            };
            let _ = writeln!(out, "  {:>5}  \"{}\"{also}", g.count, g.example);
        }
        let _ = writeln!(
            out,
            "\nNear misses (suggestions shown, no answer), by best entry:"
        );
        if self.near_misses.is_empty() {
            let _ = writeln!(out, "  (none)");
        }
        for (e, s, n) in &self.near_misses {
            let _ = writeln!(out, "  {n:>5}  {e} (best score {s:.2})");
        }
        let _ = writeln!(out, "\nMost 👎:");
        if self.most_down.is_empty() {
            let _ = writeln!(out, "  (none)");
        }
        for v in &self.most_down {
            let _ = writeln!(out, "  {:>5} 👎 {:>5} 👍  {}", v.down, v.up, v.entry);
        }
        let _ = writeln!(
            out,
            "\nSuggested alternatives (`faqbot learn` prints them as TOML):"
        );
        if self.proposals.is_empty() {
            let _ = writeln!(out, "  (none)");
        }
        for p in &self.proposals {
            let _ = writeln!(
                out,
                "  {}  +\"{}\"  ({} picks)",
                p.entry, p.question, p.picks
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::engine::Settings;
    use crate::store::{QuestionId, Trigger, Via};

    fn question(id: u64, text: &str, outcome: Outcome, entry: Option<&str>) -> Question {
        Question {
            id: QuestionId(id),
            at: 0,
            text: text.into(),
            guild_id: None,
            channel_id: None,
            trigger: Trigger::Slash,
            outcome,
            entry: entry.map(Into::into),
            score: 0.5,
            runner_up: None,
            latency_us: 10,
        }
    }

    fn pick(id: u64, entry: &str) -> PickedQuestion {
        PickedQuestion {
            question: QuestionId(id),
            text: None,
            best_entry: None,
            picked: entry.into(),
            via: Via::Menu,
            at: 0,
        }
    }

    #[test]
    fn picks_are_joined_to_their_question_the_last_one_counting() {
        let rows = asked_rows(
            &[
                question(1, "a", Outcome::Fallback, None),
                question(2, "b", Outcome::Suggest, Some("x")),
                question(3, "c", Outcome::Answer, Some("y")),
            ],
            &[
                pick(2, "first"),
                pick(2, "second"),
                pick(1, "z"),
                pick(9, "w"),
            ],
        );
        let picked: Vec<Option<&str>> = rows.iter().map(|r| r.picked.as_deref()).collect();
        assert_eq!(picked, [Some("z"), Some("second"), None]);
        assert_eq!(rows[1].outcome, Outcome::Suggest);
        assert_eq!(rows[1].entry.as_deref(), Some("x"));
    }

    fn asked(text: &str, outcome: &str, entry: Option<&str>, picked: Option<&str>) -> Asked {
        Asked {
            text: text.into(),
            outcome: Outcome::parse(outcome).expect("an outcome"),
            entry: entry.map(Into::into),
            score: 0.4,
            picked: picked.map(Into::into),
        }
    }

    fn engine() -> Engine {
        // Word salad: the report's logic, on the word matcher.
        let mut config = Settings::default();
        config.matching.semantic = false;
        Engine::new(crate::synthetic::synthetic_faq(20, 4), &config).expect("no model to load")
    }

    #[test]
    fn unanswered_near_duplicates_are_grouped_and_counted() {
        let rows = [
            asked("where do i park", "fallback", None, None),
            asked("where do i park?", "fallback", None, None),
            asked("wher do i park", "fallback", None, None),
            asked("is there wifi", "fallback", None, None),
            asked("some answered thing", "answer", Some("e1"), None),
        ];
        let r = build(&engine(), &rows, &[], Limits::default());
        assert_eq!(r.questions, 5);
        assert_eq!(r.answered, 1);
        assert_eq!(r.most_asked, vec![("e1".to_string(), 1)]);
        assert_eq!(r.unanswered.len(), 2, "{:?}", r.unanswered);
        assert_eq!(r.unanswered[0].count, 3);
        assert_eq!(r.unanswered[1].example, "is there wifi");
    }

    #[test]
    fn picks_often_enough_become_proposals_once_per_group() {
        let rows = [
            asked("zork blorp", "fallback", None, Some("e3")),
            asked("zork blorp!", "suggest", Some("e2"), Some("e3")),
            asked("zork blorpp", "fallback", None, Some("e3")),
            asked("quux", "fallback", None, Some("e5")),
            asked("tie", "fallback", None, Some("e5")),
            asked("tie", "fallback", None, Some("e6")),
        ];
        let r = build(&engine(), &rows, &[], Limits::default());
        assert_eq!(
            r.proposals,
            vec![Proposal {
                entry: "e3".into(),
                question: "zork blorp".into(),
                picks: 3
            }],
            "one pick of `quux` is not enough, a tie proposes nothing"
        );
    }

    #[test]
    fn a_question_already_a_phrasing_or_already_answered_is_not_proposed() {
        let e = engine();
        let own = e.faq.entries[3].question.clone();
        let rows = [
            asked(&own, "suggest", Some("e3"), Some("e3")),
            asked(&own, "suggest", Some("e3"), Some("e3")),
            asked("nonexistent entry q", "fallback", None, Some("no-such-id")),
            asked("nonexistent entry q", "fallback", None, Some("no-such-id")),
        ];
        assert!(build(&e, &rows, &[], Limits::default())
            .proposals
            .is_empty());
    }

    #[test]
    fn most_down_voted_first() {
        let votes = [
            Votes {
                entry: "a".into(),
                up: 5,
                down: 1,
            },
            Votes {
                entry: "b".into(),
                up: 0,
                down: 3,
            },
            Votes {
                entry: "c".into(),
                up: 2,
                down: 0,
            },
        ];
        let r = build(&engine(), &[], &votes, Limits::default());
        let order: Vec<&str> = r.most_down.iter().map(|v| v.entry.as_str()).collect();
        assert_eq!(order, ["b", "a"]);
    }
}
