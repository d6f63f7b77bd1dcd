//! `faqbot check` on the bundled FAQ and on the broken fixtures. Each
//! fixture states what check must report in `# expect:` comments; the test
//! holds check to exactly that list: every problem, nothing more.

use crate::support::command::{assert_exit, assert_starts_with, faqbot};
use crate::{fixtures, stdout};

/// The `# expect:` lines of every file in a fixture directory.
fn expectations(dir: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(fixtures().join(dir))
        .expect("fixture dir")
        .map(|e| e.expect("entry").path())
        .collect();
    paths.sort();
    for path in paths {
        let bytes = std::fs::read(&path).expect("fixture file");
        for line in String::from_utf8_lossy(&bytes).lines() {
            if let Some(e) = line.strip_prefix("# expect: ") {
                out.push(e.to_string());
            }
        }
    }
    out
}

/// Runs check on a fixture and holds it to the fixture's expectations;
/// returns the summary line.
#[track_caller]
fn check_fixture(dir: &str, expect_exit: i32) -> String {
    let out = faqbot(["check", dir]).current_dir(fixtures()).run();
    let text = stdout(&out);
    let reported: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(": error: ") || l.contains(": warning: "))
        .collect();
    let expected = expectations(dir);
    assert!(!expected.is_empty(), "fixture {dir} states no expectations");
    for e in &expected {
        assert!(
            reported.iter().any(|r| r.starts_with(e.as_str())),
            "check {dir} did not report\n  {e}\nit printed:\n{text}"
        );
    }
    assert_eq!(
        reported.len(),
        expected.len(),
        "check {dir} reported more or fewer problems than the fixture states:\n{text}"
    );
    assert_eq!(
        out.status.code(),
        Some(expect_exit),
        "exit code of check {dir}:\n{text}"
    );
    let last = text.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(&format!("{dir}: ")),
        "summary line missing: {last}"
    );
    last.to_string()
}

#[test]
fn bundled_faq_passes_check_without_warnings() {
    let out = faqbot(["check", "--strict", "faq"]).run();
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("0 errors, 0 warnings"), "{text}");
}

#[test]
fn bundled_faq_runs_its_regression_questions() {
    let out = faqbot(["check", "faq"]).run();
    let text = stdout(&out);
    let (cases, problems) =
        faqbot::moderation::questions::load_regression(&crate::root().join("faq"), None)
            .expect("the bundled FAQ has tests.toml");
    assert!(problems.is_empty(), "{problems:?}");
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let off_topic = cases
        .iter()
        .filter(|c| c.expect == faqbot::moderation::questions::Expect::NoAnswer)
        .count();
    assert!(off_topic >= 10, "{off_topic} off-topic cases");
    assert!(
        text.contains(&format!("{} regression questions pass", cases.len())),
        "{text}"
    );
}

#[test]
fn stale_and_future_review_dates_are_warnings() {
    check_fixture("review", 0);
}

#[test]
fn failing_regression_questions_are_errors_at_their_line() {
    check_fixture("regression", 1);
}

#[test]
fn bundled_faq_has_the_promised_shape() {
    let report = faqbot::faq::load_dir(&crate::root().join("faq"));
    let faq = report.faq.expect("bundled FAQ is valid");
    assert!(faq.entries.len() >= 40, "{} entries", faq.entries.len());
    // The seed document's heading lines, copied verbatim (the document
    // itself lives outside the repository).
    let text = std::fs::read_to_string(crate::root().join("tests/data/seed-headings.txt"))
        .expect("headings");
    let headings: Vec<&str> = text.lines().collect();
    for e in &faq.entries {
        assert!(
            e.alternatives.len() >= 3,
            "{} has {} alternatives",
            e.id,
            e.alternatives.len()
        );
        assert!(
            headings
                .iter()
                .any(|h| *h == e.section || h.starts_with(&format!("{}:", e.section))),
            "section of {} is not a heading of the document: {:?}",
            e.id,
            e.section
        );
    }
    // One topic per heading: the overview, five titled sections, the FAQ;
    // each topic's entries all come from its one section.
    assert_eq!(faq.topics.len(), headings.len());
    let mut sections = std::collections::BTreeSet::new();
    for topic in &faq.topics {
        let own: std::collections::BTreeSet<&str> = topic
            .entries
            .iter()
            .map(|&i| faq.entries[i].section.as_str())
            .collect();
        assert_eq!(own.len(), 1, "topic {} mixes sections {own:?}", topic.name);
        sections.extend(own);
    }
    assert_eq!(sections.len(), headings.len(), "{sections:?}");
}

#[test]
fn syntax_error_is_reported_at_its_line() {
    check_fixture("syntax-error", 1);
}

#[test]
fn every_error_in_every_file_is_reported_in_one_run() {
    let summary = check_fixture("many-errors", 1);
    // The counts are of what the files hold, broken entries included.
    assert_eq!(
        summary,
        "many-errors: 2 files, 2 topics, 7 entries: 11 errors, 0 warnings"
    );
}

#[test]
fn a_file_that_is_not_utf8_is_reported() {
    check_fixture("not-utf8", 1);
}

#[test]
fn an_answer_over_discords_limit_is_an_error() {
    check_fixture("too-long", 1);
}

#[test]
fn warnings_pass_unless_strict() {
    check_fixture("warnings", 0);
    let out = faqbot(["check", "--strict", "warnings"])
        .current_dir(fixtures())
        .run();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn an_empty_directory_is_an_error() {
    let out = faqbot(["check", "empty-dir"]).current_dir(fixtures()).run();
    assert_eq!(out.status.code(), Some(1));
    assert_starts_with(&stdout(&out), "empty-dir: error: no FAQ files");
}

#[test]
fn ask_refuses_a_broken_faq_and_says_how_to_find_out_more() {
    let out = faqbot(["ask", "--faq", "many-errors", "anything"])
        .current_dir(fixtures())
        .run();
    let err = assert_exit(
        &out,
        1,
        "many-errors/01-first.toml:16:1: error: entry `typo-in-key`: unknown field `anwser`",
    );
    assert!(err.contains("faqbot check many-errors"), "{err}");
}

/// Named like FAQ files but not readable as files: each is an error at its
/// path, and the valid topic still loads.
#[cfg(unix)]
#[test]
fn toml_paths_that_are_not_readable_files_are_errors_at_their_path() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().expect("tempdir");
    let faq = dir.path();
    std::fs::copy(
        crate::root().join("faq/01-overview.toml"),
        faq.join("01-overview.toml"),
    )
    .expect("a valid topic");
    symlink(faq.join("nowhere.toml"), faq.join("broken.toml")).expect("dangling link");
    symlink(faq.join("loop.toml"), faq.join("loop.toml")).expect("looping link");
    std::fs::create_dir(faq.join("folder.toml")).expect("a directory");
    let fifo = std::process::Command::new("mkfifo")
        .arg(faq.join("pipe.toml"))
        .status()
        .expect("mkfifo runs");
    assert!(fifo.success());
    symlink(faq.join("gone.toml"), faq.join("tests.toml")).expect("dangling tests.toml");

    let out = faqbot(["check", "--strict"]).arg(faq).run();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    for (name, says) in [
        ("broken.toml", "leads nowhere or loops"),
        ("loop.toml", "leads nowhere or loops"),
        ("folder.toml", "a directory"),
        ("pipe.toml", "not a plain file"),
        ("tests.toml", "regression questions cannot be read"),
    ] {
        assert!(
            text.lines()
                .any(|l| l.contains(name) && l.contains(": error: ") && l.contains(says)),
            "{name}: {says}\n{text}"
        );
    }
}
