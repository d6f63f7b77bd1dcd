//! The semantic stage with the real bundled model: fidelity to the
//! reference implementation, paraphrases found, and model files that
//! cannot be used reported at start, naming the file.

use std::path::Path;

use faqbot::answer::engine::Engine;
use faqbot::answer::matching::semantic::{Model, ModelError};
use faqbot::answer::matching::Decision;
use faqbot::cli::config::Config;

use crate::root;
use crate::support::command::faqbot;

/// The sentence vectors must agree with the reference implementation
/// (`shared/bench/baselines/embed_minilm.py`, onnxruntime) on every one of
/// the 200 fixture sentences, including the awkward ones (emoji, CJK,
/// right-to-left, a text longer than the model's 256 tokens).
#[test]
fn vectors_agree_with_the_reference_on_200_sentences() {
    let dir = root().join("tests/data/minilm_reference");
    let sentences = std::fs::read_to_string(dir.join("sentences.txt")).expect("sentences");
    let sentences: Vec<&str> = sentences.lines().collect();
    let bytes = std::fs::read(dir.join("vectors.f32")).expect("vectors");
    let reference: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    assert_eq!(sentences.len(), 200);
    assert_eq!(reference.len(), 200 * 384);
    let model = Model::bundled().expect("the bundled model loads");
    let ours = model.embed(&sentences).expect("embeds");
    let mut worst = (1.0f32, "");
    for (i, s) in sentences.iter().enumerate() {
        let (a, b) = (
            &ours[i * 384..(i + 1) * 384],
            &reference[i * 384..(i + 1) * 384],
        );
        let cos: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        if cos < worst.0 {
            worst = (cos, s);
        }
    }
    println!(
        "lowest cosine to the reference: {:.5} on {:?}",
        worst.0, worst.1
    );
    assert!(worst.0 >= 0.99, "cosine {} on {:?}", worst.0, worst.1);
    // Embedding one at a time gives the batch's vectors (padding is masked).
    let one = model.embed(&[sentences[0]]).expect("embeds");
    let cos: f32 = one.iter().zip(&ours[..384]).map(|(x, y)| x * y).sum();
    assert!(cos > 0.9999, "{cos}");
}

fn write_faq(dir: &Path) {
    std::fs::write(
        dir.join("01-work.toml"),
        r#"[topic]
name = "Work"
description = "Working here"

[[entry]]
id = "vacation-request"
question = "How do I submit a vacation request?"
alternatives = ["where is the vacation request form", "how do i take time off"]
answer = "Fill in the vacation request form in the HR portal two weeks ahead."
section = "Leave"

[[entry]]
id = "payroll-date"
question = "When is payroll processed?"
alternatives = ["what day do salaries arrive"]
answer = "On the 25th of each month."
section = "Pay"

[[entry]]
id = "parking"
question = "Where can employees park?"
alternatives = ["is there a car park for staff"]
answer = "In the garage under building B."
section = "Campus"

[[entry]]
id = "laptop-broken"
question = "My laptop is broken, who fixes it?"
alternatives = ["computer does not turn on"]
answer = "Open a ticket with the IT help desk."
section = "IT"
"#,
    )
    .expect("write");
}

/// A paraphrase that shares no content word with its entry ("day off" for
/// "vacation request") is found by meaning, and words alone cannot.
#[test]
fn a_day_off_finds_the_vacation_request_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_faq(dir.path());
    let question = "how do i take a day off from work";
    let engine =
        Engine::load(dir.path(), &faqbot::answer::engine::Settings::default()).expect("loads");
    let m = engine.matcher.ask(question);
    let best = m.top.first().expect("ranked");
    assert_eq!(engine.faq.entries[best.entry].id, "vacation-request");
    assert!(best.semantic.is_some(), "the model ran");
    assert!(
        matches!(m.decision, Decision::Answer(_)),
        "{:?}",
        m.decision
    );
    // The same question by words only: no answer.
    let mut fuzzy = Config::default();
    fuzzy.matching.semantic = false;
    let words_only = Engine::load(dir.path(), &fuzzy.engine()).expect("loads");
    assert!(!matches!(
        words_only.matcher.ask(question).decision,
        Decision::Answer(_)
    ));

    // The binary, from the FAQ folder and nothing else, says so too.
    let out = faqbot(["ask", "--faq"])
        .arg(dir.path())
        .args(["--explain", question])
        .run();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("HR portal"), "{stdout}");
    assert!(stdout.contains("Source: Leave"), "{stdout}");
    assert!(stderr.contains("semantic 0."), "{stderr}");
}

#[test]
fn a_missing_or_corrupt_model_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundled = root().join("models/all-MiniLM-L6-v2");
    for f in ["config.json", "tokenizer.json"] {
        std::fs::copy(bundled.join(f), dir.path().join(f)).expect("copy");
    }
    // No weights at all.
    let e: ModelError = Model::load_dir(dir.path()).expect_err("no weights");
    assert_eq!(e.file, dir.path().join("model.safetensors"));
    // Weights cut short.
    let weights = std::fs::read(bundled.join("model.safetensors")).expect("read");
    std::fs::write(
        dir.path().join("model.safetensors"),
        &weights[..weights.len() / 2],
    )
    .expect("write");
    let e = Model::load_dir(dir.path()).expect_err("truncated weights");
    assert_eq!(e.file, dir.path().join("model.safetensors"), "{e}");
    // A broken tokenizer.
    std::fs::write(dir.path().join("tokenizer.json"), "{").expect("write");
    let e = Model::load_dir(dir.path()).expect_err("bad tokenizer");
    assert_eq!(e.file, dir.path().join("tokenizer.json"), "{e}");

    // The binary refuses to start with it, naming the file, and exits 2.
    let faq = tempfile::tempdir().expect("tempdir");
    write_faq(faq.path());
    let config = dir.path().join("faqbot.toml");
    std::fs::write(
        &config,
        format!(
            "[matching]\nmodel = {:?}\n",
            dir.path().display().to_string()
        ),
    )
    .expect("write");
    let out = faqbot(["--config"])
        .arg(&config)
        .args(["ask", "--faq"])
        .arg(faq.path())
        .arg("hello")
        .run();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("tokenizer.json"), "{stderr}");
}
