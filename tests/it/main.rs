//! Integration tests: the real `faqbot` binary on the bundled FAQ and on
//! fixture directories. One test crate; the smallest shared helpers live
//! here, the rest in [`support`].

mod bot;
mod bot_reload;
mod bot_servers;
mod bot_store;
mod check;
mod cli;
mod diff;
mod fake_discord_selftest;
mod fake_discord_shard_selftest;
mod guild_commands;
mod health;
mod learn;
mod properties;
mod question_table;
mod reload;
mod semantic;
mod serve;
mod shards;
mod store;
mod store_postgres;
mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

/// The project root: tests run the binary from there, as a user would.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixtures() -> PathBuf {
    root().join("tests").join("fixtures")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
