//! The `faqbot` binary as the command-line tests run it: [`TestCommand`]
//! (or its shorthand [`faqbot`]) starts it from the project root, with no
//! `RUST_LOG` and no config file in sight, takes arguments as anything
//! path-like (`&str`, `Path`, `PathBuf`, `OsString`), and writes standard
//! input from another thread so a full stdout pipe cannot deadlock.

use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use crate::root;

/// `faqbot ARGS`, to be [`run`](TestCommand::run) (or
/// [`spawn`](TestCommand::spawn)ed).
pub struct TestCommand {
    cmd: Command,
    stdin: Option<Vec<u8>>,
}

impl Default for TestCommand {
    fn default() -> Self {
        Self::new()
    }
}

impl TestCommand {
    /// `faqbot` with no arguments yet, run from the project root.
    pub fn new() -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_faqbot"));
        cmd.current_dir(root()).env_remove("RUST_LOG");
        Self { cmd, stdin: None }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.cmd.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.cmd.args(args);
        self
    }

    /// What the binary reads on standard input (otherwise its stdin is
    /// closed at once).
    pub fn stdin(mut self, bytes: impl AsRef<[u8]>) -> Self {
        self.stdin = Some(bytes.as_ref().to_vec());
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.cmd.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.cmd.env_remove(key);
        self
    }

    /// Runs it from `dir` instead of the project root.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cmd.current_dir(dir);
        self
    }

    /// Runs it to the end, with its output captured.
    #[track_caller]
    pub fn run(self) -> Output {
        let Self { mut cmd, stdin } = self;
        let Some(data) = stdin else {
            return cmd.output().expect("faqbot runs");
        };
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("faqbot starts");
        let mut input = child.stdin.take().expect("stdin is piped");
        // Write from another thread so a full stdout pipe cannot deadlock us.
        let writer = std::thread::spawn(move || input.write_all(&data));
        let out = child.wait_with_output().expect("faqbot finishes");
        writer
            .join()
            .expect("writer thread")
            .expect("stdin written");
        out
    }

    /// Starts it with stdin, stdout and stderr piped, for a test that talks
    /// to it while it runs (and so writes its stdin itself).
    #[track_caller]
    pub fn spawn(self) -> Child {
        assert!(
            self.stdin.is_none(),
            "a spawned faqbot's stdin is the test's to write"
        );
        let mut cmd = self.cmd;
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("faqbot starts")
    }
}

/// `faqbot ARGS` from the project root: `faqbot(["check", "faq"]).run()`.
pub fn faqbot<I, S>(args: I) -> TestCommand
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    TestCommand::new().args(args)
}

/// `out` exited with `code` and its stderr says `says`; returns that
/// stderr for more checks.
#[track_caller]
pub fn assert_exit(out: &Output, code: i32, says: &str) -> String {
    let err = crate::stderr(out);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(err.contains(says), "{err}");
    err
}

/// `out` exited successfully; its stderr is shown otherwise.
#[track_caller]
pub fn assert_success(out: &Output) {
    assert!(out.status.success(), "{}", crate::stderr(out));
}

/// `text` (what a command printed) contains `part`; `text` is shown
/// otherwise.
#[track_caller]
pub fn assert_contains(text: &str, part: &str) {
    assert!(text.contains(part), "{text}");
}

/// `text` (what a command printed) starts with `prefix`; `text` is shown
/// otherwise.
#[track_caller]
pub fn assert_starts_with(text: &str, prefix: &str) {
    assert!(text.starts_with(prefix), "{text}");
}
