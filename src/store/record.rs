//! What the store records: questions, picks and votes, their names as
//! stored (triggers, outcomes, vias), and question ids, which are made in
//! the process and unique across every process writing one database.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::answer::matching::{Decision, Match};
use crate::faq::Faq;

use super::now_unix;

/// A question's id, made in the process (not by the database) so that the
/// handler has it at once, for the custom ids of vote and pick buttons.
/// Printed and parsed as a decimal number.
///
/// Its bits, snowflake-style, from the top: 0; the time in milliseconds
/// since 1970 (43 bits); a counter (5 bits); a tag drawn at random once
/// per process (15 bits). The tag keeps two processes writing one shared
/// database (PostgreSQL) from making the same id in the same millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QuestionId(pub u64);

/// Bits of the per-process tag, at the bottom of an id: two processes
/// draw the same tag once in 32,768 pairs, and even then collide only on
/// ids made in the same millisecond with the same count.
const TAG_BITS: u32 = 15;
/// Bits of the counter above the tag: 32 ids per millisecond; more borrow
/// the next millisecond's (ids still rise and stay unique).
const COUNTER_BITS: u32 = 5;
/// Where the milliseconds start: 43 bits of them stay below 2^63 until
/// the year 2248.
const TIME_SHIFT: u32 = TAG_BITS + COUNTER_BITS;

/// The last id handed out in this process.
static LAST_ID: AtomicU64 = AtomicU64::new(0);

/// This process's tag, drawn on first use.
fn process_tag() -> u64 {
    static TAG: OnceLock<u64> = OnceLock::new();
    *TAG.get_or_init(|| {
        let mut bytes = [0u8; 8];
        let random = match getrandom::fill(&mut bytes) {
            Ok(()) => u64::from_le_bytes(bytes),
            // No randomness: the process id and the clock still differ
            // between two processes started together, most of the time.
            Err(_) => {
                let nanos = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| u64::from(d.subsec_nanos()));
                u64::from(std::process::id()).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ nanos
            }
        };
        random & ((1 << TAG_BITS) - 1)
    })
}

/// The id after `last` for a process tagged `tag` at `millis`: the time's
/// first id, or one count above `last` if that is larger (the tag stays).
fn next_id(last: u64, millis: u64, tag: u64) -> u64 {
    let base = (millis << TIME_SHIFT) | tag;
    base.max(last.saturating_add(1 << TAG_BITS))
}

impl QuestionId {
    /// A new id (see the type for its bits). Ids rise within a process,
    /// are unique within it, are unique across processes but for a one
    /// in 32,768 draw of the same tag, do not repeat across restarts, and
    /// stay below 2^63 (a signed 64-bit column) until the year 2248.
    pub fn generate() -> QuestionId {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(0));
        let tag = process_tag();
        let previous = LAST_ID
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
                Some(next_id(last, millis, tag))
            })
            // The closure always returns Some, so this is the Ok value.
            .unwrap_or_else(|last| last);
        QuestionId(next_id(previous, millis, tag))
    }

    /// The tag of the process that made this id.
    pub fn process_tag(self) -> u64 {
        self.0 & ((1 << TAG_BITS) - 1)
    }
}

impl fmt::Display for QuestionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for QuestionId {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(QuestionId)
    }
}

/// Defines a small enum stored as text, with its names.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The name stored in the database.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The value named `s` (as [`Self::as_str`] writes it).
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum! {
    /// How a question reached the bot, or how an entry was picked: the
    /// one name for it in logs and in the store. Only questions are
    /// stored with a trigger; picks are logged, and stored as picks.
    Trigger {
        /// `/faq question:…`
        Slash => "slash",
        /// The message command "Find FAQ answer" on someone's message.
        ContextMenu => "context_menu",
        /// A message mentioning the bot.
        Mention => "mention",
        /// A reply to one of the bot's messages.
        Reply => "reply",
        /// A direct message.
        Dm => "dm",
        /// A message in a help channel.
        HelpChannel => "help_channel",
        /// `faqbot ask` in a terminal.
        Terminal => "terminal",
        /// An entry picked from `/faq`'s autocomplete list.
        Picked => "autocomplete_pick",
        /// A suggestion's button.
        Button => "button",
        /// The topic → question menu.
        Menu => "menu",
    }
}

/// What the bot did with a question (the matcher's, stored by name).
pub use crate::answer::matching::Outcome;

text_enum! {
    /// Where a pick came from.
    Via {
        /// A "Did you mean…" suggestion button.
        Suggestion => "suggestion",
        /// The topic → question menu.
        Menu => "menu",
    }
}

/// A question the bot handled, as recorded and as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub id: QuestionId,
    /// When it was asked, in Unix seconds.
    pub at: i64,
    /// As asked; the store keeps it as the matcher reads it, without
    /// mentions or other Discord markup (so no user or role id is kept).
    pub text: String,
    /// The guild it was asked in (none: a DM or the terminal).
    pub guild_id: Option<u64>,
    pub channel_id: Option<u64>,
    pub trigger: Trigger,
    pub outcome: Outcome,
    /// The entry answered, or else the best entry (none when nothing
    /// matched).
    pub entry: Option<String>,
    /// The best entry's score (0 when nothing matched).
    pub score: f32,
    /// The second best entry and its score.
    pub runner_up: Option<(String, f32)>,
    /// How long matching took, in microseconds.
    pub latency_us: u64,
}

impl Question {
    /// The record of `text` answered with `m` from `faq`, asked now, with a
    /// new id: the entry is the one answered, else the best one; the
    /// runner-up is the best other entry. Guild and channel are left for
    /// the caller to set.
    pub fn from_match(
        text: &str,
        trigger: Trigger,
        m: &Match,
        faq: &Faq,
        latency: Duration,
    ) -> Question {
        let best = match &m.decision {
            Decision::Answer(s) => Some(*s),
            _ => m.top.first().copied(),
        };
        let id_of = |entry: usize| faq.entries.get(entry).map(|e| e.id.clone());
        let runner_up = best.and_then(|b| m.top.iter().find(|s| s.entry != b.entry));
        Question {
            id: QuestionId::generate(),
            at: now_unix(),
            text: text.to_string(),
            guild_id: None,
            channel_id: None,
            trigger,
            outcome: m.decision.outcome(),
            entry: best.and_then(|b| id_of(b.entry)),
            score: best.map_or(m.score, |b| b.score),
            runner_up: runner_up.and_then(|r| id_of(r.entry).map(|id| (id, r.score))),
            latency_us: u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
        }
    }
}

/// What the asker picked after a question: a suggestion or a menu item.
#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    pub question: QuestionId,
    /// The entry picked.
    pub entry: String,
    pub via: Via,
    /// Unix seconds.
    pub at: i64,
}

/// A 👍 (`up`) or 👎 vote on the answer to a question. `voter` is the
/// Discord user id: it is hashed with the database's salt before it is
/// written, and never stored as such.
#[derive(Debug, Clone, PartialEq)]
pub struct Vote {
    pub question: QuestionId,
    pub voter: u64,
    pub up: bool,
    /// The entry voted on, when it is not the question's own (an answer
    /// the asker picked from the suggestions or the menu).
    pub entry: Option<String>,
    /// Unix seconds.
    pub at: i64,
}

/// One event to write: what the writer thread takes off the queue.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Record {
    Question(Question),
    Pick(Pick),
    Vote(Vote),
}

#[cfg(test)]
pub(crate) mod id_tests {
    use super::*;

    #[test]
    fn two_processes_in_the_same_millisecond_make_different_ids() {
        let millis = 1_800_000_000_000;
        let (a, b) = (0x1234, 0x0042);
        let (mut last_a, mut last_b) = (0, 0);
        let mut ids = Vec::new();
        for _ in 0..100 {
            last_a = next_id(last_a, millis, a);
            last_b = next_id(last_b, millis, b);
            ids.extend([last_a, last_b]);
            assert_eq!(QuestionId(last_a).process_tag(), a);
            assert_eq!(QuestionId(last_b).process_tag(), b);
        }
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n, "no id made twice");
        // 100 ids in one millisecond borrow the next ones', still rising.
        assert!(last_a >> TIME_SHIFT > millis);
        // The clock going back does not make ids fall.
        assert!(next_id(last_a, millis - 5_000, a) > last_a);
    }

    #[test]
    fn ids_stay_below_2_pow_63_until_2248_and_above_the_old_ones() {
        // 2248-01-01 in Unix milliseconds.
        let year_2248 = 8_772_796_800_000u64;
        let max_tag = (1 << TAG_BITS) - 1;
        assert!(next_id(0, year_2248, max_tag) < 1 << 63);
        // An id of the old layout (milliseconds << 16) made now is below
        // any new one, so ids keep rising across the upgrade.
        let now = 1_800_000_000_000u64;
        assert!(next_id(0, now, 0) > (now << 16) + 0xFFFF);
    }
}
