//! The command-line contract that scripts rely on: `ask` (text, JSON,
//! standard input), `topics`, `import`, `eval`, and the config file.

use serde_json::Value;

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::command::{assert_contains, assert_exit, assert_success, faqbot};
use crate::support::files::{file_names, temp_file, write_file};
use crate::{stderr, stdout};

/// `faqbot import FROM --out OUT EXTRA...`.
fn import(from: &Path, out: &Path, extra: &[&str]) -> Output {
    faqbot(["import"])
        .arg(from)
        .arg("--out")
        .arg(out)
        .args(extra)
        .run()
}

/// `rows` written as `name` in a fresh temporary folder, and where an
/// import is to go: `out` in that folder, not made yet.
fn rows_to_import(name: &str, rows: &str, out: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let (dir, from) = temp_file(name, rows);
    let out_dir = dir.path().join(out);
    (dir, from, out_dir)
}

/// [`rows_to_import`], imported: the folder, the rows' path, the import's
/// folder and the import's output.
fn import_new(name: &str, rows: &str, out: &str) -> (tempfile::TempDir, PathBuf, PathBuf, Output) {
    let (dir, from, out_dir) = rows_to_import(name, rows, out);
    let output = import(&from, &out_dir, &[]);
    (dir, from, out_dir, output)
}

/// `faqbot ask` with `input` on stdin: its output, and its stdout.
fn ask_stdin(input: &[u8]) -> (Output, String) {
    let out = faqbot(["ask"]).stdin(input).run();
    let text = stdout(&out);
    (out, text)
}

/// `faqbot check [--strict] DIR`, which must pass.
#[track_caller]
fn assert_check_passes(dir: &Path, strict: bool) {
    let strict = if strict { &["--strict"][..] } else { &[] };
    let check = faqbot(["check"]).args(strict).arg(dir).run();
    assert!(check.status.success(), "{}", stdout(&check));
}

/// Checks one `ask --json` object against the contract.
#[track_caller]
fn assert_contract(v: &Value, question: &str) {
    assert_eq!(v["question"], question, "{v}");
    assert!(v["score"].is_number(), "{v}");
    match v["outcome"].as_str() {
        Some("answer") => {
            for key in ["id", "answer", "section", "topic", "matched"] {
                assert!(
                    v[key].as_str().is_some_and(|s| !s.is_empty()),
                    "answer without {key}: {v}"
                );
            }
        }
        Some("suggest") => {
            let list = v["suggestions"].as_array().expect("suggestions");
            assert!((1..=3).contains(&list.len()), "{v}");
            for s in list {
                for key in ["id", "question", "section"] {
                    assert!(s[key].is_string(), "suggestion without {key}: {v}");
                }
                assert!(s["score"].is_number(), "{v}");
            }
            let ids: std::collections::HashSet<&str> =
                list.iter().filter_map(|s| s["id"].as_str()).collect();
            assert_eq!(
                ids.len(),
                list.len(),
                "suggestions must be distinct entries: {v}"
            );
        }
        Some("fallback") => {
            let topics = v["topics"].as_array().expect("topics");
            assert_eq!(topics.len(), 7, "{v}");
            for t in topics {
                assert!(t["name"].is_string() && t["description"].is_string(), "{v}");
                assert!(t["entries"].as_u64().is_some_and(|n| n > 0), "{v}");
            }
        }
        other => panic!("bad outcome {other:?} in {v}"),
    }
}

#[test]
fn ask_prints_the_answer_and_its_source() {
    let out = faqbot(["ask", "can the police enter an embassy without permission"]).run();
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("inviolab"), "{text}");
    assert!(
        text.contains("\nSource: Host Country Responsibilities\n"),
        "{text}"
    );
}

#[test]
fn ask_without_quotes_joins_the_words() {
    let quoted = stdout(&faqbot(["ask", "--json", "who protects embassies"]).run());
    let loose = stdout(&faqbot(["ask", "--json", "who", "protects", "embassies"]).run());
    assert_eq!(quoted, loose);
}

#[test]
fn ask_json_has_the_answer_fields() {
    let out = faqbot([
        "ask",
        "--json",
        "can the police enter an embassy without permission",
    ])
    .run();
    let v: Value = serde_json::from_str(&stdout(&out)).expect("one JSON object");
    assert_eq!(v["outcome"], "answer");
    assert_eq!(v["id"], "host-country-no-entry-without-consent");
    assert_eq!(v["section"], "Host Country Responsibilities");
    assert_contract(&v, "can the police enter an embassy without permission");
}

#[test]
fn an_off_topic_question_gets_the_topic_menu() {
    let out = faqbot(["ask", "any good pizza recipes?"]).run();
    let text = stdout(&out);
    assert!(
        text.starts_with("Sorry, I couldn't find an answer to that."),
        "{text}"
    );
    assert!(text.contains("Host country duties"), "{text}");
}

/// Hostile and odd input, one question per line: each non-empty line gets
/// exactly one JSON object, in order, following the contract.
#[test]
fn stdin_gives_one_json_object_per_non_empty_line_whatever_the_input() {
    let huge = "embassy security ".repeat(60_000); // about 1 MB
    let lines: Vec<Vec<u8>> = vec![
        b"who protects embassies".to_vec(),
        b"   ".to_vec(),
        huge.into_bytes(),
        b"caf\xE9 au lait \xFF\xFE".to_vec(), // not UTF-8
        "emb\u{200B}assy\u{200D} guards\u{0007}\u{0000}"
            .as_bytes()
            .to_vec(),
        "🛡️🏛️🔥".as_bytes().to_vec(),
        "من يحمي السفارات؟".as_bytes().to_vec(), // right-to-left
        "谁保护大使馆".as_bytes().to_vec(),
        b"<@123456789012345678>".to_vec(),
        b"@everyone @here".to_vec(),
        b"```rm -rf /``` <:blob:123>".to_vec(),
        "\u{202E}ssabme eht sdraug ohw".as_bytes().to_vec(),
        b"what about un peacekeepers".to_vec(),
    ];
    let mut input = Vec::new();
    for l in &lines {
        input.extend_from_slice(l);
        input.extend_from_slice(b"\r\n");
        input.extend_from_slice(b"\n"); // empty lines are skipped
    }
    let out = faqbot(["ask", "--json"]).stdin(&input).run();
    assert_success(&out);
    let text = stdout(&out);
    let objects: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(objects.len(), lines.len(), "{text}");
    for (line, v) in lines.iter().zip(&objects) {
        assert_contract(v, &String::from_utf8_lossy(line));
    }
    assert_eq!(objects[0]["outcome"], "answer");
    assert_eq!(objects[1]["outcome"], "fallback");
    assert_eq!(objects[1]["reason"], "no_words");
    assert_eq!(
        objects[8]["reason"], "no_words",
        "a question that is only a mention has no words"
    );
    assert_eq!(objects[9]["reason"], "no_words");
    assert_contains(&stderr(&out), "stdin:7: warning: not valid UTF-8");
}

#[test]
fn stdin_text_mode_gives_one_line_per_question() {
    let (_, text) = ask_stdin(b"who protects embassies\n\nwhat is the weather\nun\n");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with("[answer faq-who-is-responsible]"),
        "{text}"
    );
    assert!(
        lines[0].ends_with("(Source: Frequently asked questions)"),
        "{text}"
    );
    assert!(lines[1].starts_with("[fallback]"), "{text}");
}

#[test]
fn topics_lists_the_menu() {
    let text = stdout(&faqbot(["topics"]).run());
    assert_eq!(text.lines().count(), 7, "{text}");
    let v: Value =
        serde_json::from_str(&stdout(&faqbot(["topics", "--json"]).run())).expect("JSON");
    let topics = v["topics"].as_array().expect("topics");
    assert_eq!(topics.len(), 7);
    let total: usize = topics
        .iter()
        .map(|t| t["questions"].as_array().expect("questions").len())
        .sum();
    assert!(total >= 40);
}

#[test]
fn import_writes_files_that_pass_check_and_refuses_to_overwrite() {
    let (_dir, csv, out_dir, out) = import_new(
        "faq.csv",
        "question,answer,alternatives,topic,section\n\"How do I reset my password?\",Use the link on the login page.,forgot password | cant log in,Accounts,Help centre\nWhere is the office?,\"Main street 1,\nsecond floor\",,Visits,Help centre\n",
        "faq",
    );
    assert_success(&out);
    assert_contains(&stdout(&out), "wrote 2 entries in 2 topic files");
    assert_check_passes(&out_dir, true);
    let ask = faqbot(["ask", "--json", "--faq"])
        .arg(&out_dir)
        .arg("i forgot my password")
        .run();
    let v: Value = serde_json::from_str(&stdout(&ask)).expect("JSON");
    assert_eq!(v["id"], "how-do-i-reset-my-password", "{v}");
    // A second import into the same directory is refused.
    let again = import(&csv, &out_dir, &[]);
    assert_exit(&again, 1, "--force");
}

#[test]
fn import_of_bad_rows_reports_each_and_writes_nothing() {
    let (_dir, _input, out_dir, out) = import_new(
        "in.jsonl",
        "{\"question\": \"q\"}\n{\"question\": \"q2\", \"answer\": \"a\", \"colour\": 1}\n",
        "out",
    );
    let err = assert_exit(&out, 1, "in.jsonl:1: error: missing `answer`");
    assert!(
        err.contains("in.jsonl:2: error: not a valid JSON row: unknown field `colour`"),
        "{err}"
    );
    assert!(!out_dir.exists(), "nothing may be written");
}

#[test]
fn eval_prints_the_benchmark_metrics() {
    let (_dir, q) = temp_file(
        "q.jsonl",
        "{\"text\": \"can cops enter an embassy without the ambassador saying yes\", \"expect\": \"host-country-no-entry-without-consent\"}\n{\"text\": \"best pizza in town\", \"expect\": null}\n",
    );
    let out = faqbot(["eval"]).arg(&q).args(["--json", "--sweep"]).run();
    assert_success(&out);
    let v: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(v["metrics"]["n_in_scope"], 1);
    assert_eq!(v["metrics"]["n_oos"], 1);
    assert_eq!(v["metrics"]["oos_false_answer"], 0.0);
    assert!(v["sweep"].as_array().is_some_and(|s| s.len() > 10));
}

#[test]
fn a_config_file_can_move_the_faq_and_the_thresholds() {
    let faq = crate::root().join("faq");
    let (dir, config) = temp_file(
        "faqbot.toml",
        format!(
            "faq_dir = {:?}\n[matching]\nanswer = 1.0\nsuggest = 1.0\n",
            faq
        ),
    );
    // With an answer threshold of 1.0 nothing short of a perfect match answers.
    let out = faqbot(["--config"])
        .arg(&config)
        .args(["ask", "--json", "embassy guards in war zones"])
        .current_dir(dir.path())
        .run();
    let v: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(v["outcome"], "fallback", "{v}");
}

#[test]
fn a_bad_config_file_is_a_clear_error() {
    let (_dir, config) = temp_file("c.toml", "[matching]\nanswer = 0.5\nthreshold = 2\n");
    let out = faqbot(["--config"]).arg(&config).args(["ask", "hi"]).run();
    assert_exit(&out, 2, "c.toml:3:1: error: unknown field `threshold`");
    let missing = faqbot(["--config", "/nonexistent/faqbot.toml", "topics"]).run();
    assert_exit(&missing, 2, "cannot read the config file");
}

#[test]
fn run_without_a_valid_token_is_a_clear_error_that_names_the_variable() {
    let missing = faqbot(["run"]).env_remove("DISCORD_TOKEN").run();
    assert_exit(&missing, 2, "DISCORD_TOKEN is not set");

    let secret = "not a token but secret-ish";
    let malformed = faqbot(["run"]).env("DISCORD_TOKEN", secret).run();
    let err = assert_exit(
        &malformed,
        2,
        "DISCORD_TOKEN does not look like a bot token",
    );
    assert!(!err.contains(secret), "the value is never echoed: {err}");

    // A config can name another variable.
    let (_dir, config) = temp_file("c.toml", "[discord]\ntoken_env = \"MY_BOT_TOKEN\"\n");
    let named = faqbot(["--config"])
        .arg(&config)
        .arg("run")
        .env_remove("MY_BOT_TOKEN")
        .run();
    assert_exit(&named, 2, "MY_BOT_TOKEN is not set");
}

#[test]
fn explain_shows_score_phrasing_runner_up_and_thresholds() {
    let out = faqbot(["ask", "--explain", "can cops raid an embassy"]).run();
    assert!(out.status.success());
    let why = crate::stderr(&out);
    assert!(why.starts_with("Answered.\n"), "{why}");
    assert!(
        why.contains("Best match: `host-country-no-entry-without-consent`, score 1.00, via an alternative \"can cops raid an embassy\"."),
        "{why}"
    );
    assert!(why.contains("Runner-up: `"), "{why}");
    assert!(
        why.contains("Thresholds: answer at score ≥ 0.525 with a lead ≥ 0.08; suggest at ≥ 0.23 (then others at ≥ 0.115)"),
        "{why}"
    );
    // The reply itself still goes to stdout.
    assert!(stdout(&out).contains("Source: Host Country Responsibilities"));
}

#[test]
fn a_reader_that_stops_early_ends_ask_quietly() {
    use std::io::{BufRead, BufReader, Write};
    let mut child = faqbot(["ask"]).spawn();
    let mut input = child.stdin.take().expect("stdin is piped");
    // Far more output than a pipe holds, so faqbot is still writing when
    // the reader goes away.
    let writer = std::thread::spawn(move || {
        let line = "who protects embassies\n".repeat(20_000);
        let _ = input.write_all(line.as_bytes());
    });
    let mut first = String::new();
    let mut reader = BufReader::new(child.stdout.take().expect("stdout is piped"));
    reader.read_line(&mut first).expect("one line");
    assert!(first.starts_with("[answer "), "{first}");
    drop(reader);
    let out = child.wait_with_output().expect("faqbot finishes");
    let _ = writer.join();
    let err = crate::stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}

#[test]
fn a_missing_faq_folder_is_named_as_missing_not_as_an_faq_with_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("no-such-faq");
    let out = faqbot(["ask", "--faq"])
        .arg(&missing)
        .stdin(b"who protects embassies\n")
        .run();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("there is no FAQ folder at"), "{err}");
    assert!(!err.contains("has errors"), "{err}");
}

#[test]
fn log_format_json_writes_one_json_object_per_line() {
    let out = faqbot(["-v", "--log-format", "json", "ask"])
        .stdin(b"who protects embassies\n")
        .run();
    assert_success(&out);
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty(), "-v logs the question");
    for line in &lines {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v["level"].is_string() && v["fields"].is_object(), "{line}");
    }
    assert!(
        lines.iter().any(|l| l.contains("question handled")),
        "{err}"
    );
}

#[test]
fn import_force_replaces_the_folder_whole_and_keeps_the_old_one_aside() {
    let (dir, csv, out_dir) = rows_to_import(
        "faq.csv",
        "question,answer,topic,section\nWhere is the office?,Main street 1.,Visits,Help centre\n",
        "faq",
    );
    std::fs::create_dir(&out_dir).expect("old folder");
    write_file(&out_dir, "zz-old-topic.toml", "[topic]\nname = \"Old\"\n");
    let out = import(&csv, &out_dir, &["--force"]);
    assert_success(&out);
    let now = file_names(&out_dir);
    assert_eq!(now, ["01-visits.toml"], "only the imported files");
    let kept = stdout(&out)
        .lines()
        .find_map(|l| l.strip_prefix("the folder that was there is kept, whole, at "))
        .map(std::path::PathBuf::from)
        .expect("says where the old folder is");
    assert!(kept.join("zz-old-topic.toml").is_file(), "nothing lost");
    let leftovers: Vec<_> = file_names(dir.path())
        .into_iter()
        .filter(|n| n.contains(".import-"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no staging folder left: {leftovers:?}"
    );
    assert_check_passes(&out_dir, true);
}

#[test]
fn in_the_terminal_a_number_picks_a_suggestion_and_a_topic_lists_its_questions() {
    let (out, text) =
        ask_stdin(b"embassy protection\n2\nwhat's a good pizza recipe\nun security role\n1\n1\n");
    assert_success(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6, "{text}");
    assert!(
        lines[0].starts_with("[suggest] Did you mean: 1. "),
        "{text}"
    );
    // "2" answers the second suggestion.
    let second = lines[0]
        .split("; 2. ")
        .nth(1)
        .and_then(|s| s.split('[').nth(1))
        .and_then(|s| s.split(']').next())
        .expect("a second suggestion with its id");
    assert!(
        lines[1].starts_with(&format!("[answer {second}]")),
        "{second}: {text}"
    );
    assert!(lines[2].starts_with("[fallback]"), "{text}");
    // A topic's name lists its questions; "1" answers the first.
    assert!(lines[3].starts_with("UN security role"), "{text}");
    let first = lines[3]
        .split(" 1. ")
        .nth(1)
        .and_then(|s| s.split(" 2. ").next())
        .expect("a first question");
    assert!(
        lines[4].starts_with("[answer ") && lines[4].contains(first),
        "{first}: {text}"
    );
    // After an answer a number is a question again.
    assert!(!lines[5].starts_with("[answer"), "{text}");
}

#[test]
fn eval_reads_an_faq_folders_regression_questions() {
    let out = faqbot(["eval", "faq/tests.toml"]).run();
    assert_success(&out);
    let text = stdout(&out);
    assert!(text.contains("answered right"), "{text}");
    let first = text.lines().next().unwrap_or_default();
    assert!(first.contains("questions"), "{text}");
}

/// A plain file of one question per line is unlabelled: `eval` counts
/// what the bot would do with each, and claims no accuracy.
#[test]
fn eval_reads_a_plain_file_of_questions_as_unlabelled() {
    let (_dir, path) = temp_file(
        "asked.txt",
        "can the police enter an embassy without permission\r\n\n  any good pizza recipes?  \n",
    );
    let out = faqbot(["eval"]).arg(&path).run();
    assert_success(&out);
    let text = stdout(&out);
    assert!(
        text.lines().next().is_some_and(|l| l
            .ends_with("2 questions (0 in scope, 0 out of scope, 2 unlabelled); FAQ: 49 entries")),
        "{text}"
    );
    assert!(
        text.contains("unlabelled questions:  50.0% answered,   0.0% suggestions,  50.0% topic menu (1 / 0 / 1)"),
        "{text}"
    );
    assert!(!text.contains("answered right"), "{text}");
    let json = stdout(&faqbot(["eval", "--json"]).arg(&path).run());
    let v: Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(v["metrics"]["n_unlabelled"], 2, "{v}");
    assert_eq!(
        v["metrics"]["unlabelled_outcomes"],
        serde_json::json!([1, 0, 1]),
        "{v}"
    );
}

/// `import --add` puts new topics beside an FAQ's own, after them in the
/// menu; rows that reuse one of its ids or topic names write nothing.
#[test]
fn import_add_puts_new_topics_after_the_existing_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let faq_dir = dir.path().join("faq");
    std::fs::create_dir(&faq_dir).expect("faq dir");
    crate::learn::copy_faq(&faq_dir);
    let before = file_names(&faq_dir);
    let csv = write_file(
        dir.path(),
        "new.csv",
        "Question,Answer,Topic,Section\r\nWhere is the visitors' office?,Main street 1.,Office visits,Help centre\r\n",
    );
    let out = import(&csv, &faq_dir, &["--add"]);
    assert_success(&out);
    let added = faq_dir.join("08-office-visits.toml");
    let text = std::fs::read_to_string(&added).expect("the new topic file");
    assert!(text.contains("order = 8"), "{text}");
    let topics = stdout(&faqbot(["topics", "--json", "--faq"]).arg(&faq_dir).run());
    let v: Value = serde_json::from_str(&topics).expect("JSON");
    let names: Vec<&str> = v["topics"]
        .as_array()
        .expect("topics")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(names.len(), 8, "{names:?}");
    assert_eq!(names.last(), Some(&"Office visits"), "{names:?}");
    assert_check_passes(&faq_dir, false);

    // A row whose topic is already there: refused, nothing written.
    let clash = write_file(
        dir.path(),
        "clash.csv",
        "question,answer,topic\nAnother?,Yes.,Office visits\n",
    );
    let out = import(&clash, &faq_dir, &["--add"]);
    assert_exit(&out, 1, "error: topic `Office visits` is already in");
    let after = file_names(&faq_dir);
    let mut expected = before.clone();
    expected.push("08-office-visits.toml".into());
    expected.sort();
    assert_eq!(after, expected, "nothing more written");
}
