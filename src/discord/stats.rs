//! `/faq-stats`: the moderators' summary of what people asked lately,
//! read from the question store and built by [`crate::moderation::report`]: counts,
//! most asked entries, unanswered questions, near misses, the most 👎 and
//! proposed alternatives, in one private message.
//!
//! Who may run it is [`super::moderator::is_moderator`]'s rule, as for
//! `/faq-reload`. Turning store rows into the report's rows is plain code
//! ([`asked_rows`], [`vote_rows`], [`render`]), tested without Discord.

use super::rest::Rest;

use serenity::all::{
    CommandInteraction, CommandOptionType, CreateCommand, CreateCommandOption, Http, ResolvedValue,
};

use super::moderator;
use super::view::limits;
use crate::answer::engine::Engine;
use crate::answer::text::with_lines;
use crate::moderation::library::{Answering, Library};
use crate::moderation::report::{self, Limits, Report};
use crate::store::{now_unix, Location, ReadError, Reader, Scope, Store};

/// The moderators' command that shows the stats.
pub const STATS_COMMAND: &str = "faq-stats";
/// The period shown when no `days` is given.
pub const DEFAULT_DAYS: i64 = 7;
/// The longest period one can ask for (retention usually deletes rows
/// well before that).
pub const MAX_DAYS: i64 = 3650;

pub const NOT_A_MODERATOR: &str =
    "Only moderators (Manage Server, or a moderator role) can see the FAQ stats.";
const STORE_OFF: &str = "The question store is off (`[store] path = \"\"` in the bot's config), so there are no stats to show.";
const CANNOT_READ: &str =
    "I could not read the question store; see the bot's log. Answering is not affected.";

/// `/faq-stats [days]`, for moderators.
pub fn command() -> CreateCommand {
    moderator::command(
        STATS_COMMAND,
        "Moderators: what people asked lately, what went unanswered, the most 👎",
    )
    .add_option(
        CreateCommandOption::new(
            CommandOptionType::Integer,
            "days",
            "How many days back (default 7)",
        )
        .min_int_value(1)
        .max_int_value(MAX_DAYS as u64),
    )
}

/// The report as one Discord message: the counts first, then the lists in
/// a code block; what does not fit ends in "… and N more".
pub fn render(report: &Report, days: i64) -> String {
    let text = report.to_text();
    let mut lines = text.lines();
    let counts = lines.next().unwrap_or_default();
    let head = format!(
        "FAQ stats, last {days} day{}: {counts}",
        crate::answer::text::plural(days)
    );
    let rest: Vec<String> = lines
        .skip_while(|l| l.trim().is_empty())
        .map(str::to_string)
        .collect();
    with_lines(&head, &rest, limits::CONTENT)
}

/// Reads the last `days` days of `scope` from the store at `location`
/// and builds the report against the FAQ as it is now. Blocking: run it
/// off the async threads.
pub fn summary(
    engine: &Engine,
    location: &Location,
    days: i64,
    scope: &Scope,
) -> Result<String, ReadError> {
    let since = now_unix().saturating_sub(days.saturating_mul(24 * 60 * 60));
    let (asked, votes) = report::read_store(&Reader::open(location)?, since, scope)?;
    let report = report::build(engine, &asked, &votes, Limits::default());
    Ok(render(&report, days))
}

/// Runs `/faq-stats` for a moderator (the handler has refused anyone
/// else): reads the store (off the async threads) and replies privately.
pub async fn run_command(
    rest: &Rest,
    http: &Http,
    cmd: &CommandInteraction,
    library: &Library,
    store: &Store,
) -> serenity::Result<()> {
    let Some(location) = store.location().cloned() else {
        return moderator::reply(rest, http, cmd, STORE_OFF).await;
    };
    let days = cmd
        .data
        .options()
        .into_iter()
        .find_map(|o| match (o.name, o.value) {
            ("days", ResolvedValue::Integer(d)) => Some(d),
            _ => None,
        })
        .unwrap_or(DEFAULT_DAYS)
        .clamp(1, MAX_DAYS);
    // Reading and grouping a month of questions can pass the 3 s Discord
    // gives a response: acknowledge first, privately, then edit.
    // The server's own FAQ, which its questions were matched against, and
    // its questions alone.
    let guild = cmd.guild_id.map(|g| g.get());
    let Answering::Engine(engine) = library.engine_for(guild) else {
        return moderator::reply(rest, http, cmd, crate::discord::route::FAQ_UNAVAILABLE).await;
    };
    let scope = guild.map_or(Scope::All, Scope::Guild);
    let text = match moderator::deferred(rest, http, cmd, move || {
        summary(&engine, &location, days, &scope)
    })
    .await?
    {
        Ok(Ok(text)) => text,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "/faq-stats: cannot read the store");
            CANNOT_READ.to_string()
        }
        Err(e) => {
            tracing::error!(error = %e, "/faq-stats stopped unexpectedly");
            CANNOT_READ.to_string()
        }
    };
    moderator::edit(rest, http, cmd, &text).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_report_fits_one_message_and_says_how_much_is_left_out() {
        let report = Report {
            questions: 500,
            answered: 100,
            unanswered: (0..200)
                .map(|i| report::Group {
                    example: format!("question number {i} that nobody could answer ``` at all"),
                    count: 1,
                    wordings: vec![String::new()],
                })
                .collect(),
            ..Report::default()
        };
        let text = render(&report, 7);
        assert!(text.chars().count() <= limits::CONTENT, "{text}");
        assert!(
            text.starts_with("FAQ stats, last 7 days: 500 questions, 100 answered (20 %)"),
            "{text}"
        );
        assert!(text.contains("… and "), "{text}");
        assert!(text.ends_with("```"), "the code block is closed: {text}");
        assert_eq!(text.matches("```").count(), 2, "{text}");
    }
}
