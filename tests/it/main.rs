//! Integration tests: the real `faqbot` binary on the bundled FAQ and on
//! fixture directories. One test crate; shared helpers live here.

mod bot;
mod bot_reload;
mod bot_store;
mod check;
mod cli;
mod diff;
mod fake_discord_selftest;
mod learn;
mod properties;
mod question_table;
mod reload;
mod semantic;
mod store;
mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The project root: tests run the binary from there, as a user would.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixtures() -> PathBuf {
    root().join("tests").join("fixtures")
}

/// `faqbot ARGS` run from the project root, with no config file in sight.
pub fn faqbot(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_faqbot"));
    cmd.current_dir(root()).args(args).env_remove("RUST_LOG");
    cmd
}

/// Runs `faqbot ARGS` with `stdin` piped in.
#[track_caller]
pub fn run_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = faqbot(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("faqbot starts");
    let mut input = child.stdin.take().expect("stdin is piped");
    let data = stdin.to_vec();
    // Write from another thread so a full stdout pipe cannot deadlock us.
    let writer = std::thread::spawn(move || input.write_all(&data));
    let out = child.wait_with_output().expect("faqbot finishes");
    writer
        .join()
        .expect("writer thread")
        .expect("stdin written");
    out
}

#[track_caller]
pub fn run(args: &[&str]) -> Output {
    faqbot(args).output().expect("faqbot runs")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
