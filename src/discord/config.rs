//! The `[discord]` table of the config file, and the bot token read from
//! the environment into a type that never prints it. The command line
//! reads the file ([`crate::cli::config`]); this module owns what the
//! bot's settings mean and which of them are mistakes.

use serde::Deserialize;

/// The `[discord]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiscordConfig {
    /// The environment variable that holds the bot token.
    pub token_env: String,
    /// Guilds to register the slash commands in (instantly); empty:
    /// register them globally (Discord may take up to an hour to show them).
    pub guild_ids: Vec<u64>,
    /// With `guild_ids`: also remove the bot's global commands at start
    /// (left from before the switch to `guild_ids`, they show each command
    /// twice in those servers).
    pub clear_global_commands: bool,
    /// Channels where every message is matched and a confident answer is
    /// posted (needs the privileged Message Content intent).
    pub help_channels: Vec<u64>,
    /// Roles allowed to use the moderator commands (`/faq-reload`), besides
    /// members with the Manage Server permission.
    pub moderator_roles: Vec<u64>,
    /// Channel where FAQ reloads are reported to moderators (errors with
    /// file and line, or what changed); unset: only the log and the
    /// `/faq-reload` reply.
    pub mod_log_channel: Option<u64>,
    /// Whether the FAQ directory is watched and reloaded on every change.
    pub watch_faq: bool,
    /// A folder of servers' own FAQs: `<faq_root>/<guild id>/` is that
    /// server's FAQ, and servers without one get `faq_dir`'s. Unset: one
    /// FAQ for every server.
    pub faq_root: Option<std::path::PathBuf>,
    /// Seconds a user waits between two questions (0: no cooldown).
    pub user_cooldown_secs: u64,
    /// Seconds during which the same answer in the same channel points to
    /// the earlier one instead of being repeated (0: always answer).
    pub repeat_window_secs: u64,
    /// Whether `/faq` answers are visible to everyone (`private:true` on the
    /// command makes one private); menus and suggestions are always private.
    pub public_answers: bool,
    /// Number of shards; 0 lets Discord recommend it (large bots only need
    /// more than 1).
    pub shards: u32,
    /// The application's public key (hex, as the Developer Portal's
    /// General Information page shows it): `faqbot serve` verifies every
    /// interaction webhook's Ed25519 signature with it.
    pub public_key: Option<String>,
    /// Optional base address of an HTTP proxy for Discord's REST API (such
    /// as nirn-proxy or twilight-http-proxy), e.g. "http://127.0.0.1:8080":
    /// every REST call goes through it, and it owns rate limiting.
    pub proxy: Option<String>,
}

/// The shards one process runs: `first..=last` of `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSlice {
    pub first: u32,
    pub last: u32,
    pub total: u32,
}

impl ShardSlice {
    /// Every shard of a bot with `total` shards.
    pub fn all(total: u32) -> ShardSlice {
        ShardSlice {
            first: 0,
            last: total.max(1) - 1,
            total: total.max(1),
        }
    }

    /// `--shards 0-3 --total-shards 8` (or `--shards 2`); the message says
    /// what is wrong.
    pub fn parse(range: &str, total: u32) -> Result<ShardSlice, String> {
        let number = |s: &str| {
            s.trim().parse::<u32>().map_err(|_| {
                format!("--shards {range}: {s:?} is not a shard number; write a range like 0-3")
            })
        };
        let (first, last) = match range.split_once('-') {
            Some((a, b)) => (number(a)?, number(b)?),
            None => {
                let n = number(range)?;
                (n, n)
            }
        };
        if total == 0 {
            return Err("--total-shards must be at least 1".into());
        }
        if first > last {
            return Err(format!(
                "--shards {range}: the first shard comes after the last"
            ));
        }
        if last >= total {
            return Err(format!(
                "--shards {range}: shard {last} does not exist with --total-shards {total} (shards are numbered 0 to {})",
                total - 1
            ));
        }
        Ok(ShardSlice { first, last, total })
    }

    /// The shard ids, in order.
    pub fn ids(&self) -> std::ops::RangeInclusive<u32> {
        self.first..=self.last
    }

    /// Whether this slice gets direct messages: Discord sends them to
    /// shard 0.
    pub fn has_dms(&self) -> bool {
        self.first == 0
    }
}

impl std::fmt::Display for ShardSlice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{} of {}", self.first, self.last, self.total)
    }
}

/// The token variable read when the config names none.
pub const DEFAULT_TOKEN_ENV: &str = "DISCORD_TOKEN";

impl Default for DiscordConfig {
    fn default() -> Self {
        DiscordConfig {
            token_env: DEFAULT_TOKEN_ENV.to_string(),
            guild_ids: Vec::new(),
            clear_global_commands: false,
            help_channels: Vec::new(),
            moderator_roles: Vec::new(),
            mod_log_channel: None,
            watch_faq: true,
            faq_root: None,
            user_cooldown_secs: 3,
            repeat_window_secs: 60,
            public_answers: true,
            shards: 1,
            public_key: None,
            proxy: None,
        }
    }
}

/// The bot token. Its `Debug` and `Display` print `[redacted]`, so that
/// logging a config or an error can never leak it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

/// Why the token cannot be used: what is wrong, with the variable's name,
/// never the value.
#[derive(Debug, thiserror::Error)]
#[error("{var} {why}")]
pub struct TokenError {
    pub var: String,
    pub why: &'static str,
}

impl Token {
    /// Reads the token from environment variable `var`: missing, empty or
    /// not shaped like a bot token (three dot-separated parts) is an error
    /// that names the variable, never the value.
    pub fn from_env(var: &str) -> Result<Token, TokenError> {
        let error = |why| TokenError {
            var: var.to_string(),
            why,
        };
        match std::env::var(var) {
            Ok(value) => Token::parse(&value).map_err(error),
            Err(std::env::VarError::NotPresent) => Err(error(
                "is not set: put the bot token from the Discord developer portal in it (see the README, \"Run it in your server\")",
            )),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(error("is not valid text; copy the bot token again"))
            }
        }
    }

    /// Checks the shape of a token given directly (tests, a secret store);
    /// the error says what is wrong, never the value.
    pub fn parse(value: &str) -> Result<Token, &'static str> {
        let value = value.trim();
        let value = value.strip_prefix("Bot ").unwrap_or(value);
        if value.is_empty() {
            return Err("is empty: put the bot token from the Discord developer portal in it");
        }
        let parts: Vec<&str> = value.split('.').collect();
        let shaped = parts.len() == 3
            && parts.iter().all(|p| !p.is_empty())
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !shaped {
            return Err("does not look like a bot token (three parts separated by dots); copy it again from the developer portal's Bot page");
        }
        Ok(Token(value.to_string()))
    }

    /// The token itself, for the Discord client only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token([redacted])")
    }
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl DiscordConfig {
    /// What a config file must not say of the bot; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        if self.token_env.trim().is_empty() {
            return Err(
                "discord.token_env is empty; name the environment variable that holds the token"
                    .into(),
            );
        }
        if self.clear_global_commands && self.guild_ids.is_empty() {
            return Err(
                "discord.clear_global_commands = true needs guild_ids: without them the global commands are the bot's only ones"
                    .into(),
            );
        }
        if self.mod_log_channel == Some(0) {
            return Err(
                "discord.mod_log_channel = 0 is not a channel id; copy the channel's id (Developer Mode, right-click the channel, Copy Channel ID)"
                    .into(),
            );
        }
        if let Some(key) = &self.public_key {
            verifier(key)?;
        }
        if let Some(proxy) = &self.proxy {
            if !(proxy.starts_with("http://") || proxy.starts_with("https://")) {
                return Err(format!(
                    "discord.proxy = {proxy:?} is not an http:// or https:// address"
                ));
            }
        }
        Ok(())
    }
}

/// The verifier of interaction webhooks signed for public key `hex`; the
/// message says what is wrong with it.
pub fn verifier(hex: &str) -> Result<serenity::interactions_endpoint::Verifier, String> {
    let hex = hex.trim();
    let bytes: Option<Vec<u8>> = (hex.len() == 64)
        .then(|| {
            (0..32)
                .map(|i| {
                    hex.get(2 * i..2 * i + 2)
                        .and_then(|b| u8::from_str_radix(b, 16).ok())
                })
                .collect()
        })
        .flatten();
    let key: [u8; 32] = bytes
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            "discord.public_key is not 64 hexadecimal digits; copy the Public Key from the Developer Portal (General Information)".to_string()
        })?;
    serenity::interactions_endpoint::Verifier::try_new(key)
        .map_err(|e| format!("discord.public_key is not a valid Ed25519 public key: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_key_must_be_64_hex_digits_of_a_real_key() {
        // Serenity's documented example key.
        assert!(
            verifier("67c6bd767ca099e79efac9fcce4d2022a63bf7dea780e7f3d813f694c1597089").is_ok()
        );
        assert!(verifier("67c6bd")
            .err()
            .expect("short")
            .contains("64 hexadecimal"));
        let not_hex = "zz".repeat(32);
        assert!(verifier(&not_hex)
            .err()
            .expect("not hex")
            .contains("64 hexadecimal"));
        let config = DiscordConfig {
            public_key: Some("abc".into()),
            ..DiscordConfig::default()
        };
        assert!(config.validate().is_err());
    }

    #[test]
    fn shard_slices_parse_and_say_what_is_wrong() {
        let s = ShardSlice::parse("0-3", 8).expect("a slice");
        assert_eq!((s.first, s.last, s.total), (0, 3, 8));
        assert_eq!(s.ids().collect::<Vec<_>>(), vec![0, 1, 2, 3]);
        assert!(s.has_dms());
        let one = ShardSlice::parse("5", 8).expect("one shard");
        assert_eq!(one.ids().collect::<Vec<_>>(), vec![5]);
        assert!(!one.has_dms());
        assert!(ShardSlice::parse("4-8", 8)
            .expect_err("8 is past the end")
            .contains("does not exist"));
        assert!(ShardSlice::parse("3-1", 8)
            .expect_err("backwards")
            .contains("after"));
        assert!(ShardSlice::parse("a-b", 8)
            .expect_err("not numbers")
            .contains("not a shard number"));
        assert!(ShardSlice::parse("0", 0).is_err());
        assert_eq!(ShardSlice::all(1).ids().collect::<Vec<_>>(), vec![0]);
    }

    #[test]
    fn tokens_never_print_and_bad_ones_name_the_variable() {
        let t = Token::parse("MTIz.NDU2.Nzg5-_x").expect("shaped like a token");
        assert_eq!(format!("{t:?}"), "Token([redacted])");
        assert_eq!(t.to_string(), "[redacted]");
        assert_eq!(t.expose(), "MTIz.NDU2.Nzg5-_x");
        assert!(Token::parse("Bot a.b.c").is_ok());
        assert!(Token::parse("").is_err());
        assert!(Token::parse("no-dots-here").is_err());
        assert!(Token::parse("a.b.c d").is_err());
        let e = Token::from_env("FAQBOT_TEST_SURELY_UNSET_VARIABLE")
            .expect_err("unset")
            .to_string();
        assert!(
            e.starts_with("FAQBOT_TEST_SURELY_UNSET_VARIABLE is not set"),
            "{e}"
        );
    }
}
