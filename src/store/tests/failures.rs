//! A broken SQLite file (locked, unopenable, read-only) or a full queue
//! never blocks or fails the caller, says so in the log, and the store
//! recovers once the file can be written again. A lock passes: the
//! writer keeps its batch and retries, so a lock released in time loses
//! nothing, and one held past a flush's patience loses what it held. A
//! file that cannot be written loses its events at once.

use super::*;

#[test]
fn a_lock_released_in_time_loses_nothing() {
    let (_dir, path) = temp_db();
    let (stats, log) = with_logs(|| {
        let store = Arc::new(Store::open(&path, test_options()));
        store.flush();
        let locker = Connection::open(&path).expect("open");
        locker.execute_batch("BEGIN EXCLUSIVE").expect("lock");
        record_from_thread(&store, 50);
        // Long enough for the writer to fail on the lock and keep its batch.
        std::thread::sleep(Duration::from_millis(300));
        let during = store.stats();
        assert_eq!((during.written, during.failed), (0, 0), "{during:?}");
        assert_eq!(during.queue_depth, 100, "{during:?}");
        locker.execute_batch("COMMIT").expect("unlock");
        store.flush();
        store.stats()
    });
    assert_eq!(
        (stats.queued, stats.written, stats.failed, stats.queue_depth),
        (100, 100, 0, 0),
        "{stats:?}"
    );
    assert!(log.contains("the events are kept and retried"), "{log}");
    assert_eq!(stored_texts(&path).len(), 50);
}

#[test]
fn a_lock_held_past_a_flush_loses_its_events_but_never_blocks_and_recovers() {
    let (_dir, path) = temp_db();
    let ((store, locked, after), log) = with_logs(|| {
        let store = Arc::new(Store::open(&path, test_options()));
        store.flush(); // created and migrated

        let locker = Connection::open(&path).expect("open");
        locker.execute_batch("BEGIN EXCLUSIVE").expect("lock");
        record_from_thread(&store, 300);
        store.flush();
        let locked = store.stats();
        locker.execute_batch("COMMIT").expect("unlock");
        store.record_question(question("after the lock", now_unix()));
        store.flush();
        let after = store.stats();
        (store, locked, after)
    });
    assert_eq!(locked.queued + locked.dropped, 600, "{locked:?}\n{log}");
    assert_eq!(locked.written, 0, "nothing gets past the lock\n{log}");
    assert_eq!(locked.failed, locked.queued, "{locked:?}\n{log}");
    assert_eq!(after.written, 1, "{after:?}\n{log}");
    assert_eq!(
        log.matches("cannot write to the store's database").count(),
        1,
        "warned once a minute at most, not once per batch: {log}"
    );
    assert!(log.contains("events_lost="), "{log}");
    assert!(log.contains("gave up waiting"), "{log}");
    assert_eq!(stored_texts(&path), ["after the lock"]);
    drop(store);
}

#[test]
fn a_database_locked_at_open_is_opened_later() {
    let (_dir, path) = temp_db();
    // A new file another process is writing: the migration cannot start.
    let locker = Connection::open(&path).expect("open");
    locker.execute_batch("BEGIN EXCLUSIVE").expect("lock");
    let (stats, log) = with_logs(|| {
        let store = Store::open(
            &path,
            Options {
                retry_max: Duration::ZERO,
                ..test_options()
            },
        );
        store.record_question(question("while locked", now_unix()));
        store.flush();
        assert_eq!(store.stats().failed, 1);
        locker.execute_batch("COMMIT").expect("unlock");
        store.record_question(question("once free", now_unix()));
        store.flush();
        store.stats()
    });
    assert_eq!((stats.written, stats.failed), (1, 1));
    assert_eq!(
        log.matches("cannot open the store's database").count(),
        1,
        "{log}"
    );
    assert!(log.contains("opened after all"), "{log}");
    assert_eq!(stored_texts(&path), ["once free"]);
}

#[test]
fn a_path_that_cannot_be_a_database_is_logged_once_and_never_blocks() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A directory is not a database file, for root too.
    let (stats, log) = with_logs(|| {
        let store = Arc::new(Store::open(
            dir.path(),
            Options {
                retry_max: Duration::ZERO,
                ..test_options()
            },
        ));
        assert!(store.enabled());
        for _ in 0..3 {
            record_from_thread(&store, 50);
            store.flush();
        }
        store.stats()
    });
    assert_eq!(stats.written, 0);
    assert_eq!(stats.failed + stats.dropped, 300);
    assert_eq!(
        log.matches("cannot open the store's database").count(),
        1,
        "said once, though retried every batch: {log}"
    );
}

#[test]
fn a_read_only_database_file_never_blocks() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, path) = temp_db();
    Store::open(&path, test_options()).flush();
    for name in ["faqbot.db", "faqbot.db-wal", "faqbot.db-shm"] {
        let p = dir.path().join(name);
        if p.exists() {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o444)).expect("chmod");
        }
    }
    // Root writes through file permissions: then make the files immutable
    // (chattr +i stops root too), where the file system allows it. The
    // guard lifts the flag again, even if the test fails, so the temporary
    // directory can be removed.
    struct Immutable(Vec<std::path::PathBuf>);
    impl Drop for Immutable {
        fn drop(&mut self) {
            for p in &self.0 {
                let _ = std::process::Command::new("chattr")
                    .arg("-i")
                    .arg(p)
                    .status();
            }
        }
    }
    let mut _guard = Immutable(Vec::new());
    let writable = || std::fs::OpenOptions::new().write(true).open(&path).is_ok();
    if writable() {
        for name in ["faqbot.db", "faqbot.db-wal", "faqbot.db-shm"] {
            let p = dir.path().join(name);
            let made = p.exists()
                && std::process::Command::new("chattr")
                    .arg("+i")
                    .arg(&p)
                    .status()
                    .is_ok_and(|s| s.success());
            if made {
                _guard.0.push(p);
            }
        }
    }
    let read_only = !writable();
    let (stats, log) = with_logs(|| {
        let store = Arc::new(Store::open(&path, test_options()));
        record_from_thread(&store, 100);
        store.flush();
        store.stats()
    });
    assert_eq!(stats.queued + stats.dropped, 200);
    assert_eq!(stats.written + stats.failed, stats.queued);
    if read_only {
        assert_eq!(stats.written, 0);
        assert!(log.contains("cannot"), "{log}");
    } else {
        eprintln!(
            "running with write access through 0444 and no chattr: only checked that it returned"
        );
    }
}

#[test]
fn a_full_queue_drops_and_counts_without_blocking() {
    let (_dir, path) = temp_db();
    let (stats, log) = with_logs(|| {
        let store = Arc::new(Store::open(
            &path,
            Options {
                queue_capacity: 4,
                // Long enough that the writer stays stuck on the lock
                // while the events pour in.
                busy_timeout: Duration::from_secs(3),
                ..test_options()
            },
        ));
        store.flush();
        let locker = Connection::open(&path).expect("open");
        locker.execute_batch("BEGIN EXCLUSIVE").expect("lock");
        record_from_thread(&store, 500);
        let during = store.stats();
        locker.execute_batch("COMMIT").expect("unlock");
        store.flush();
        (during, store.stats())
    });
    let (during, after) = stats;
    assert_eq!(during.queued + during.dropped, 1000);
    assert!(
        during.dropped > 0,
        "a 4-event queue cannot take 1000: {during:?}"
    );
    assert_eq!(after.dropped, during.dropped);
    assert_eq!(
        after.written + after.failed,
        after.queued,
        "every queued event is written or counted lost: {after:?}"
    );
    assert!(log.contains("store queue full"), "{log}");
    assert_eq!(
        log.matches("store queue full").count(),
        1,
        "warned once a minute at most: {log}"
    );
}
