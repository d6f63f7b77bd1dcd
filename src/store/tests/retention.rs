//! Retention: rows older than `retention_days` are deleted at open and
//! while the store is open; 0 keeps everything.

use super::*;

on_both! {
fn retention_deletes_old_rows_at_open_and_keeps_new_ones(db) {
    let now = now_unix();
    let day = 24 * 60 * 60;
    let old = question("asked long ago", now - 31 * day);
    let recent = question("asked last week", now - 7 * day);
    {
        let store = db.open();
        for q in [&old, &recent] {
            store.record_question(q.clone());
            store.record_pick(Pick {
                question: q.id,
                entry: "x".into(),
                via: Via::Menu,
                at: q.at,
            });
            store.record_vote(Vote {
                question: q.id,
                voter: 1,
                up: true,
                entry: None,
                at: q.at,
            });
        }
    }
    // Written as given (the purge at open came first).
    let r = db.reader();
    assert_eq!(r.questions_since(0, &Scope::All).expect("q").len(), 2);

    let ((), log) = with_logs(|| {
        let store = db.open();
        store.flush();
    });
    assert!(log.contains("old rows deleted from the store"), "{log}");
    assert_eq!(
        r.questions_since(0, &Scope::All).expect("q"),
        std::slice::from_ref(&recent),
        "older than 30 days: deleted"
    );
    let picks = r.picks_since(0, &Scope::All).expect("picks");
    assert_eq!(picks.len(), 1);
    assert_eq!(picks[0].question, recent.id);
    assert_eq!(
        r.vote_totals(0, &Scope::All).expect("votes"),
        [total("host-country-duties", 1, 0)]
    );

    // retention_days = 0 keeps everything.
    let keep = db.open_with(|o| o.retention_days = 0);
    keep.record_question(old.clone());
    keep.flush();
    drop(keep);
    let keep = db.open_with(|o| o.retention_days = 0);
    keep.flush();
    assert_eq!(r.questions_since(0, &Scope::All).expect("q").len(), 2);
}
}

on_both! {
fn retention_also_runs_while_the_store_is_open(db) {
    // Purging after every batch stands in for once a day.
    let store = db.open_with(|o| o.purge_interval = Duration::ZERO);
    let now = now_unix();
    let recent = question("new", now);
    store.record_question(question("old", now - 40 * 24 * 60 * 60));
    store.record_question(recent.clone());
    store.flush();
    assert_eq!(db.reader().questions_since(0, &Scope::All).expect("q"), [recent]);
    assert_eq!(store.stats().written, 2);
}
}
