//! `faqbot diff` on two fixture folders: it prints exactly the questions
//! whose route changes, old → new with scores, then the count.

use crate::support::command::{assert_exit, faqbot};
use crate::{fixtures, stdout};

#[test]
fn diff_prints_exactly_the_changed_routes() {
    let out = faqbot([
        "diff",
        "diff-old",
        "diff-new",
        "--questions",
        "diff-questions.txt",
    ])
    .current_dir(fixtures())
    .run();
    assert!(out.status.success(), "{}", stdout(&out));
    // Unchanged routes (the lost passport, the visa fee, an off-topic
    // question) are not printed; a question in two sources is asked once.
    // `visa-fee` joins the suggestions at the others' lower bar.
    assert_eq!(
        stdout(&out),
        "\"when is the embassy open\": answer `embassy-hours` (score 1.00) → suggestions `consulate-address` (score 0.33)\n\
         \"where is the consulate\": suggestions `embassy-hours`, `visa-fee` (score 0.36) → answer `consulate-address` (score 1.00)\n\
         \"consulate address please\": suggestions `embassy-hours`, `visa-fee` (score 0.32) → answer `consulate-address` (score 1.00)\n\
         6 questions replayed, 3 changed: 2 answers gained, 1 lost, 0 switched to another entry, 0 with other suggestions or the menu\n"
    );
}

#[test]
fn diff_of_a_folder_with_itself_changes_nothing() {
    let out = faqbot(["diff", "faq", "faq", "--json"])
        .current_dir(crate::root())
        .run();
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("one JSON object");
    assert_eq!(v["changed"], 0);
    assert!(v["replayed"].as_u64().unwrap_or(0) >= 40, "{v}");
}

#[test]
fn diff_refuses_an_unreadable_questions_file() {
    let out = faqbot([
        "diff",
        "diff-old",
        "diff-new",
        "--questions",
        "no-such-file.txt",
    ])
    .current_dir(fixtures())
    .run();
    assert_exit(&out, 2, "no-such-file.txt: cannot read");
}
