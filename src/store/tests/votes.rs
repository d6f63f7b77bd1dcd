//! Votes: each counts for the entry that was voted on, once per voter and
//! answer, and no user id reaches the database files.

use super::*;
use crate::store::backend::voter_hash;

on_both! {
fn a_vote_on_a_picked_answer_counts_for_the_picked_entry(db) {
    let store = db.open();
    let now = now_unix();
    // The bot's best entry was host-country-duties; the asker picked
    // who-pays from the suggestions and voted on that answer.
    let q = question("who guards embassies?", now);
    store.record_question(q.clone());
    store.record_vote(Vote {
        question: q.id,
        voter: 1,
        up: false,
        entry: Some("who-pays".into()),
        at: now,
    });
    store.record_vote(Vote {
        question: q.id,
        voter: 2,
        up: true,
        entry: None,
        at: now,
    });
    store.flush();
    assert_eq!(
        db.reader().vote_totals(0, &Scope::All).expect("votes"),
        [total("host-country-duties", 1, 0), total("who-pays", 0, 1),]
    );
}
}

#[test]
fn one_vote_per_voter_per_answer_and_no_user_id_in_the_file() {
    let (dir, path, store, now) = open_temp();
    let q1 = question("who guards embassies?", now);
    let mut q2 = question("who pays for embassy guards?", now);
    q2.entry = Some("who-pays".into());
    store.record_question(q1.clone());
    store.record_question(q2.clone());
    let (alice, bob) = (123_456_789_012_345_678u64, 876_543_210_987_654_321u64);
    let vote = |question: &Question, voter, up| Vote {
        question: question.id,
        voter,
        up,
        entry: None,
        at: now,
    };
    // Alice changes her mind on q1: only her last vote counts.
    store.record_vote(vote(&q1, alice, true));
    store.record_vote(vote(&q1, alice, false));
    // Bob votes on q1 too, and twice the same way on q2.
    store.record_vote(vote(&q1, bob, true));
    store.record_vote(vote(&q2, bob, true));
    store.record_vote(vote(&q2, bob, true));
    store.flush();

    let r = Reader::open(&path).expect("reader");
    assert_eq!(
        r.vote_totals(0, &Scope::All).expect("votes"),
        [total("host-country-duties", 1, 1), total("who-pays", 1, 0),]
    );

    let conn = Connection::open(&path).expect("open");
    let rows: Vec<(Vec<u8>, String, i64)> = conn
        .prepare("SELECT voter, quote(voter), value FROM votes ORDER BY question_id, value")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(rows.len(), 3, "{rows:?}");
    let salt = voter_salt(&path);
    assert_eq!(salt.len(), 32);
    assert_eq!(rows[0], {
        let h = voter_hash(&salt, alice).to_vec();
        let hex: String = h.iter().map(|b| format!("{b:02X}")).collect();
        (h, format!("X'{hex}'"), -1)
    });
    for (hash, text, _) in &rows {
        assert_eq!(hash.len(), 32);
        for id in [alice, bob] {
            assert!(!text.contains(&id.to_string()));
            assert_ne!(hash.as_slice(), id.to_be_bytes().as_slice());
        }
    }
    // Nowhere in the database files, in clear: not as text, not as bytes.
    drop(store);
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir.path()).expect("dir") {
        bytes.extend(std::fs::read(entry.expect("entry").path()).expect("read"));
    }
    for id in [alice, bob] {
        for needle in [
            id.to_string().into_bytes(),
            id.to_be_bytes().to_vec(),
            id.to_le_bytes().to_vec(),
        ] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                "user id {id} found in the database files"
            );
        }
    }
    // Another database, another salt: hashes cannot be matched across them.
    let other = dir.path().join("other.db");
    let s = Store::open(&other, test_options());
    s.flush();
    let other_salt = voter_salt(&other);
    assert_ne!(salt, other_salt);
}
