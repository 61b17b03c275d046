//! Bulk archiving (存量归集) through the batch verifier.

use crate::fixtures::*;
use crate::seal::*;
use elicense::*;

fn library<S: LicenseStore + 'static>(store: S) -> ResourceLibrary<S> {
    ResourceLibrary::new(store, seal_verifier()).unwrap()
}

/// A sealed license number `n` of the fixture family.
fn sealed(n: u32) -> SignedLicense {
    let mut d = sealed_license().to_data();
    d.number = format!("JY1330105{n:07}");
    d.id = LicenseId::from_parts(d.type_code, *d.id.issuer(), &format!("26{n:08}"), 1).unwrap();
    d.predecessor = None;
    SignedLicense::seal(
        License::new(d).unwrap(),
        &sealer_a(),
        ts("2025-05-22T02:00:00Z"),
    )
    .unwrap()
}

fn jsonl(docs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for d in docs {
        out.extend_from_slice(d);
        out.push(b'\n');
    }
    out
}

fn archive_scenario<S: LicenseStore + 'static>(store: S) {
    let lib = library(store);
    let good: Vec<SignedLicense> = (0..2_500).map(sealed).collect();
    let mut lines: Vec<Vec<u8>> = good.iter().map(|d| d.as_bytes().to_vec()).collect();
    // Bad lines: garbage, a tampered license, one signed after the verification time.
    lines.insert(10, b"not a license".to_vec());
    let mut tampered = String::from_utf8(good[20].as_bytes().to_vec()).unwrap();
    tampered = tampered.replacen("JY13301050000020", "JY13301050099999", 1);
    lines.insert(30, tampered.into_bytes());
    let first = lib.archive(&jsonl(&lines)[..], now()).unwrap();
    assert_eq!(first.total, 2_502);
    assert_eq!(first.imported, 2_500);
    assert_eq!(first.duplicates, 0);
    assert_eq!(first.rejected_count(), 2);
    assert_eq!(first.rejected_by_step.get(&Step::Parse), Some(&1));
    assert_eq!(first.rejected_by_step.get(&Step::DataHash), Some(&1));
    let r = &first.rejected[0];
    assert_eq!((r.line, r.step), (11, Step::Parse));
    assert!(first.conflicts.is_empty());
    // Every stored license is byte-identical to the input.
    for d in good.iter().step_by(97) {
        assert_eq!(
            lib.store().document(d.license().id()).unwrap().as_deref(),
            Some(d.as_bytes())
        );
    }

    // Again: idempotent — all duplicates, nothing imported.
    let again = lib.archive(&jsonl(&lines)[..], now()).unwrap();
    assert_eq!((again.imported, again.duplicates), (0, 2_500));

    // A different, validly sealed license under a stored identifier: a
    // conflict, reported with its line, never overwritten.
    let mut d = good[5].license().to_data();
    d.number = "JY1330105CHANGED".into();
    let other = SignedLicense::seal(
        License::new(d).unwrap(),
        &sealer_a(),
        ts("2025-05-22T02:00:00Z"),
    )
    .unwrap();
    let mixed = jsonl(&[sealed(9_000).as_bytes().to_vec(), other.as_bytes().to_vec()]);
    let third = lib.archive(&mixed[..], now()).unwrap();
    assert_eq!(third.imported, 1);
    assert_eq!(third.conflicts, vec![(2, good[5].license().id().clone())]);
    assert_eq!(
        lib.store()
            .document(good[5].license().id())
            .unwrap()
            .as_deref(),
        Some(good[5].as_bytes())
    );
}

#[test]
fn archive_on_memory() {
    archive_scenario(MemoryStore::new());
}

#[test]
fn archive_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    archive_scenario(SqliteStore::open(dir.path().join("archive.db")).unwrap());
}
