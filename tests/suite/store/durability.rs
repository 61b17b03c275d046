//! Durability of the SQLite store: a writer killed with SIGKILL mid-ingest
//! leaves every committed batch intact and no part of any other; readers keep
//! reading while a writer works.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use elicense::*;
use rayon::prelude::*;

use super::support::*;
use crate::fixtures::*;
use crate::seal::seal_verifier;

/// Where the child writes (set by the parent; the child test does nothing without it).
const CHILD_DB: &str = "ELICENSE_STORE_CHILD_DB";
const BATCH: usize = 250;
const BATCHES_PER_RUN: usize = 24;

/// License number `i` of the ingest: distinct holders, a few regions.
fn durable(i: usize) -> SignedLicense {
    let regions = ["330102", "330105", "330106", "330108", "330110"];
    seal(food(
        i as u32,
        ("杭州某某餐饮管理有限公司", org(i as u32)),
        regions[i % regions.len()],
        ("2025-05-22", Some("2030-05-21")),
    ))
}

/// The child: continues the ingest where the store stands, one transaction
/// per batch, printing `committed N` after each commit, until killed.
#[test]
#[ignore = "a child process of killed_writer_leaves_whole_batches_only"]
fn ingest_child() {
    let Ok(path) = std::env::var(CHILD_DB) else {
        return;
    };
    let store = SqliteStore::open(&path).unwrap();
    store.register_type(&food_type()).unwrap();
    let start = store.count(&Query::new()).unwrap() as usize;
    assert_eq!(start % BATCH, 0, "a partial batch is stored");
    // Sealed up front so that the loop below is all writing.
    let docs: Vec<SignedLicense> = (start..start + BATCH * BATCHES_PER_RUN)
        .into_par_iter()
        .map(durable)
        .collect();
    println!("ready");
    for (k, batch) in docs.chunks(BATCH).enumerate() {
        store.insert_batch(batch).unwrap();
        println!("committed {}", start + (k + 1) * BATCH);
    }
    println!("done");
    std::thread::sleep(Duration::from_secs(60));
}

/// Runs the child until it has committed at least one batch and a little
/// more, kills it with SIGKILL, and returns the highest count it reported.
fn run_and_kill(path: &std::path::Path, delay: Duration) -> usize {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "store::durability::ingest_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DB, path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut reported = 0;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("committed ") {
            reported = n.parse().unwrap();
            break;
        }
        assert_ne!(line, "done");
    }
    assert!(reported > 0, "the child committed nothing");
    std::thread::sleep(delay);
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success());
    for line in lines {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("committed ") {
            reported = n.parse().unwrap();
        }
    }
    reported
}

#[test]
fn killed_writer_leaves_whole_batches_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ingest.db");
    let mut last = 0;
    for (round, delay_ms) in [15u64, 40, 5].into_iter().enumerate() {
        let reported = run_and_kill(&path, Duration::from_millis(delay_ms));
        // Reopen after the kill: SQLite recovers from its WAL.
        let store = SqliteStore::open(&path).unwrap();
        let n = store.count(&Query::new()).unwrap() as usize;
        assert_eq!(
            n % BATCH,
            0,
            "round {round}: a partial batch survived ({n})"
        );
        assert!(
            n >= reported,
            "round {round}: committed batches were lost ({n} < {reported})"
        );
        assert!(
            n <= reported + BATCH,
            "round {round}: more than the batch in flight"
        );
        assert!(n > last, "round {round}: nothing new was committed");
        last = n;
        let check: String = rusqlite::Connection::open(&path)
            .unwrap()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }
    // Every committed license is intact: exactly licenses 0..n, each the
    // bytes that were sealed, each still verifying.
    let store = SqliteStore::open(&path).unwrap();
    let verifier = seal_verifier();
    let mut cache = VerifyCache::new();
    let mut q = Query::new().limit(store_limits::MAX_PAGE_SIZE).unwrap();
    let mut seen = 0;
    loop {
        let page = store.query(&q).unwrap();
        for e in page.entries() {
            let bytes = store.document(e.id()).unwrap().unwrap();
            let doc = SignedLicense::decode(&bytes).unwrap();
            let i: usize = doc.license().id().serial()[1..].parse().unwrap();
            assert!(i < last);
            assert_eq!(doc.license().holder().code(), &org(i as u32));
            verifier.verify_cached(&bytes, now(), &mut cache).unwrap();
            seen += 1;
        }
        match page.next() {
            Some(c) => q = q.after(c.clone()),
            None => break,
        }
    }
    assert_eq!(seen, last);
    // Spot check: the bytes are exactly those sealed.
    for i in [0, last / 2, last - 1] {
        let doc = durable(i);
        assert_eq!(
            store.document(doc.license().id()).unwrap().unwrap(),
            doc.as_bytes()
        );
    }
}

#[test]
fn readers_read_while_a_writer_ingests() {
    const N: usize = 40;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("concurrent.db");
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    store.register_type(&food_type()).unwrap();
    let batches: Vec<Vec<SignedLicense>> = (0..20)
        .map(|k| (k * N..(k + 1) * N).into_par_iter().map(durable).collect())
        .collect();

    // A writer holding the write lock does not block readers.
    {
        let raw = rusqlite::Connection::open(&path).unwrap();
        raw.execute_batch(
            "BEGIN IMMEDIATE; INSERT INTO license_types (code, version, name, definition) \
             VALUES ('x', 1, 'x', 'x');",
        )
        .unwrap();
        let t = Instant::now();
        assert_eq!(store.count(&Query::new()).unwrap(), 0);
        assert_eq!(
            store.license_types().unwrap().len(),
            1,
            "uncommitted row seen"
        );
        assert!(t.elapsed() < Duration::from_secs(5), "the reader waited");
        raw.execute_batch("ROLLBACK").unwrap();
    }

    let done = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = (0..2)
        .map(|r| {
            let (store, done, reads) = (Arc::clone(&store), Arc::clone(&done), Arc::clone(&reads));
            let path = path.clone();
            std::thread::spawn(move || {
                // One reader shares the writer's store, one opens its own.
                let own = SqliteStore::open(&path).unwrap();
                let s: &dyn LicenseStore = if r == 0 { &*store } else { &own };
                let mut last = 0;
                let mut distinct = 0;
                while !done.load(Ordering::Acquire) {
                    let n = s.count(&Query::new()).unwrap() as usize;
                    assert_eq!(n % N, 0, "a reader saw half a batch");
                    assert!(n >= last);
                    if n != last {
                        distinct += 1;
                    }
                    last = n;
                    if n > 0 {
                        let page = s.query(&Query::new().holder(org(0))).unwrap();
                        assert_eq!(page.entries().len(), 1);
                        let id = page.entries()[0].id().clone();
                        assert!(s.document(&id).unwrap().is_some());
                    }
                    reads.fetch_add(1, Ordering::Relaxed);
                }
                distinct
            })
        })
        .collect();
    for batch in &batches {
        store.insert_batch(batch).unwrap();
        // Let the readers read between batches (however loaded the machine
        // is): wait until both have read at least once more, for at most 10 s.
        let before = reads.load(Ordering::Relaxed);
        let t = Instant::now();
        while reads.load(Ordering::Relaxed) < before + 2 && t.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    done.store(true, Ordering::Release);
    let distinct: usize = readers.into_iter().map(|h| h.join().unwrap()).sum();
    assert!(
        reads.load(Ordering::Relaxed) >= 20,
        "the readers barely ran"
    );
    assert!(distinct >= 2, "the readers never saw the store grow");
    assert_eq!(store.count(&Query::new()).unwrap() as usize, 20 * N);
}
