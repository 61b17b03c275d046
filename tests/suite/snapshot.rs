//! Status snapshots: signed, compressed, offline license status for the
//! single and the batch verifier alike.

use std::sync::Arc;

use proptest::prelude::*;

use crate::fixtures::*;
use elicense::*;

fn nth_license(n: u32) -> License {
    let mut d = food_license().to_data();
    d.number = format!("JY1330102{n:07}");
    d.id = LicenseId::from_parts(d.type_code, *d.id.issuer(), &format!("26{n:08}"), 1).unwrap();
    d.predecessor = None;
    License::new(d).unwrap()
}

fn nth_signed(n: u32) -> SignedLicense {
    SignedLicense::sign(nth_license(n), &issuer_key(), ts("2025-05-22T02:00:00Z")).unwrap()
}

fn issuer_code() -> IssuerCode {
    IssuerCode::Uscc(bureau())
}

fn snapshot_key() -> SigningKey {
    SigningKey::from_seed(&[0x5a; 32])
}

fn window() -> (Timestamp, Timestamp) {
    (ts("2026-02-28T00:00:00Z"), ts("2026-03-07T00:00:00Z"))
}

/// Licenses 0..40 in a store; every fourth revoked, every fourth + 1 suspended.
fn store_with_events() -> (MemoryStore, Vec<SignedLicense>) {
    let store = MemoryStore::new();
    store.register_type(&food_type()).unwrap();
    let docs: Vec<SignedLicense> = (0..40).map(nth_signed).collect();
    for d in &docs {
        store.insert(d).unwrap();
    }
    for (n, d) in docs.iter().enumerate() {
        let op = match n % 4 {
            0 => Operation::Revoke,
            1 => Operation::Suspend,
            _ => continue,
        };
        let e = StatusEvent::new(
            d.license().id().clone(),
            op,
            ts("2026-01-10T00:00:00Z"),
            "上城区市场监管局 王五",
        )
        .unwrap()
        .with_reason("测试")
        .unwrap();
        store.record_event(&e).unwrap();
    }
    (store, docs)
}

fn offline_verifier(snapshot: StatusSnapshot) -> Verifier {
    verifier().with_status(SnapshotStatus::new(
        [snapshot],
        Arc::new(InMemoryStatus::complete_revocation_list()),
    ))
}

/// The store makes the snapshot from its events; a published file, read back
/// under the issuer's key, denies revoked and suspended licenses on the single
/// and the batch path with identical verdicts.
#[test]
fn revoked_fails_offline_single_and_batch() {
    let (store, docs) = store_with_events();
    let (issued, next) = window();
    let made =
        StatusSnapshot::from_store(&store, &bureau(), issued, next, &snapshot_key()).unwrap();
    assert_eq!(made.not_in_force_count(), 20);
    // Published bytes, loaded elsewhere.
    let loaded =
        StatusSnapshot::from_signed_bytes(made.as_bytes(), &snapshot_key().public_key()).unwrap();
    assert_eq!(loaded.digest(), made.digest());
    let v = offline_verifier(loaded);
    let bytes: Vec<Vec<u8>> = docs.iter().map(|d| d.as_bytes().to_vec()).collect();
    let at = now();
    let batch = BatchVerifier::new(v.clone()).verify_slice(&bytes, at);
    for (n, (doc, o)) in bytes.iter().zip(&batch).enumerate() {
        let single = v.verify(doc, at).map(|_| ());
        assert_eq!(o.result(), &single, "license {n}");
        if n % 4 < 2 {
            assert_eq!(o.failed_step(), Some(Step::LicenseStatus), "license {n}");
        } else {
            assert!(o.is_valid(), "license {n}");
        }
    }
    let report = v.verify(&bytes[0], at).unwrap_err();
    assert_eq!(report.report().failed_step(), Some(Step::LicenseStatus));
}

/// A stale snapshot (after next-update) answers nothing: denied by default,
/// accepted only with the danger policy.
#[test]
fn stale_snapshot_denies() {
    let (store, docs) = store_with_events();
    let (issued, next) = window();
    let s = StatusSnapshot::from_store(&store, &bureau(), issued, next, &snapshot_key()).unwrap();
    let v = offline_verifier(s.clone());
    let good = docs[2].as_bytes();
    assert!(v.verify(good, now()).is_ok());
    let late = ts("2026-03-08T00:00:00Z");
    assert_eq!(
        s.standing(docs[2].license().id(), late),
        LicenseStanding::Unknown
    );
    let err = v.verify(good, late).unwrap_err();
    assert_eq!(err.report().failed_step(), Some(Step::LicenseStatus));
    let danger = v.with_unknown_status(danger::accept_unknown_status());
    assert!(danger.verify(good, late).is_ok());
}

/// A license of an issuer without a snapshot is unknown.
#[test]
fn other_issuer_unknown() {
    let (issued, next) = window();
    let s = StatusSnapshot::build(&issuer_code(), issued, next, [], &snapshot_key()).unwrap();
    let other = LicenseId::from_parts(
        *food_type().code(),
        IssuerCode::Uscc(other_bureau()),
        "2600000001",
        1,
    )
    .unwrap();
    let src = SnapshotStatus::new([s], Arc::new(InMemoryStatus::new()));
    assert_eq!(src.license_status(&other, now()), LicenseStanding::Unknown);
    assert_eq!(
        src.license_status(nth_license(1).id(), now()),
        LicenseStanding::InForce
    );
}

/// Tampered, wrongly signed, truncated and bomb snapshots are refused with a
/// typed error.
#[test]
fn bad_snapshots_refused() {
    let (issued, next) = window();
    let ids: Vec<LicenseId> = (0..100).map(|n| nth_license(n).id().clone()).collect();
    let s = StatusSnapshot::build(
        &issuer_code(),
        issued,
        next,
        ids.iter().map(|id| (id, LicenseStatus::Revoked)),
        &snapshot_key(),
    )
    .unwrap();
    let key = snapshot_key().public_key();
    let bytes = s.as_bytes().to_vec();
    for i in [5, 30, bytes.len() - 70, bytes.len() - 1] {
        let mut t = bytes.clone();
        t[i] ^= 0x01;
        assert!(
            StatusSnapshot::from_signed_bytes(&t, &key).is_err(),
            "byte {i}"
        );
    }
    assert_eq!(
        StatusSnapshot::from_signed_bytes(&bytes, &other_key().public_key()).unwrap_err(),
        SnapshotError::InvalidSignature
    );
    for len in [0, 3, 40, bytes.len() - 1] {
        assert!(StatusSnapshot::from_signed_bytes(&bytes[..len], &key).is_err());
    }
    // A section claiming four million names in a few bytes: refused before
    // anything is allocated.
    let mut bomb = b"ELS1".to_vec();
    bomb.push(18);
    bomb.extend_from_slice(bureau().as_str().as_bytes());
    bomb.extend_from_slice(&issued.unix().to_be_bytes());
    bomb.extend_from_slice(&next.unix().to_be_bytes());
    bomb.extend_from_slice(&[1, 7]);
    bomb.extend_from_slice(&(MAX_SNAPSHOT_ENTRIES).to_be_bytes());
    bomb.push(0);
    bomb.extend_from_slice(&4u32.to_be_bytes());
    bomb.extend_from_slice(&[0; 4]);
    let sig = snapshot_key().sign_message(&bomb);
    bomb.extend_from_slice(sig.as_bytes());
    assert!(matches!(
        StatusSnapshot::from_signed_bytes(&bomb, &key),
        Err(SnapshotError::TooManyEntries { .. })
    ));
    let huge = vec![0u8; MAX_SNAPSHOT_BYTES + 1];
    assert!(matches!(
        StatusSnapshot::from_signed_bytes(&huge, &key),
        Err(SnapshotError::TooLarge { .. })
    ));
}

/// 1,000,000 licenses with 1% revoked fit in 64 KB.
#[test]
fn one_percent_of_a_million_fits() {
    let (issued, next) = window();
    let ids: Vec<LicenseId> = (0..10_000u32)
        .map(|n| {
            LicenseId::from_parts(
                *food_type().code(),
                issuer_code(),
                &format!("26{:08}", n * 100),
                1,
            )
            .unwrap()
        })
        .collect();
    let s = StatusSnapshot::build(
        &issuer_code(),
        issued,
        next,
        ids.iter().map(|id| (id, LicenseStatus::Revoked)),
        &snapshot_key(),
    )
    .unwrap();
    assert!(s.as_bytes().len() <= 64 * 1024, "{}", s.as_bytes().len());
    assert_eq!(s.not_in_force_count(), 10_000);
}

const STATUSES: [LicenseStatus; 4] = [
    LicenseStatus::Valid,
    LicenseStatus::Suspended,
    LicenseStatus::Revoked,
    LicenseStatus::Cancelled,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Any status set round-trips: every listed license has its status, every
    /// other license is in force.
    #[test]
    fn round_trip(set in proptest::collection::btree_map(0u32..5_000, 0usize..4, 0..300)) {
        let (issued, next) = window();
        let ids: Vec<(LicenseId, LicenseStatus)> = set
            .iter()
            .map(|(n, s)| (nth_license(*n).id().clone(), STATUSES[*s]))
            .collect();
        let s = StatusSnapshot::build(
            &issuer_code(),
            issued,
            next,
            ids.iter().map(|(id, st)| (id, *st)),
            &snapshot_key(),
        )
        .unwrap();
        let back =
            StatusSnapshot::from_signed_bytes(s.as_bytes(), &snapshot_key().public_key()).unwrap();
        prop_assert_eq!(back.as_bytes(), s.as_bytes());
        for (id, st) in &ids {
            let want = if st.is_in_force() {
                LicenseStanding::InForce
            } else {
                LicenseStanding::NotInForce { status: *st, since: issued }
            };
            prop_assert_eq!(back.standing(id, now()), want);
        }
        for n in 5_000..5_020u32 {
            prop_assert_eq!(back.standing(nth_license(n).id(), now()), LicenseStanding::InForce);
        }
    }
}

/// The fuzz seed corpus holds real snapshots (empty, one section, several
/// sections) that verify under the test key; `ELICENSE_WRITE_CORPUS=1`
/// rewrites them.
#[test]
fn corpus_seeds_are_real_snapshots() {
    let (issued, next) = window();
    let ids: Vec<LicenseId> = (0..50).map(|n| nth_license(n).id().clone()).collect();
    let seeds: Vec<(&str, Vec<(&LicenseId, LicenseStatus)>)> = vec![
        ("empty", vec![]),
        (
            "revoked",
            ids.iter().map(|id| (id, LicenseStatus::Revoked)).collect(),
        ),
        (
            "mixed",
            ids.iter()
                .zip(STATUSES.iter().cycle())
                .map(|(id, s)| (id, *s))
                .collect(),
        ),
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/snapshot_decode");
    for (name, entries) in seeds {
        let s =
            StatusSnapshot::build(&issuer_code(), issued, next, entries, &snapshot_key()).unwrap();
        let path = dir.join(name);
        if std::env::var_os("ELICENSE_WRITE_CORPUS").is_some() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, s.as_bytes()).unwrap();
        }
        let stored = std::fs::read(&path).unwrap();
        assert_eq!(stored, s.as_bytes(), "{name}");
    }
}

/// The snapshot vector printed in docs/FORMAT.md §11 is recomputed here.
#[test]
fn format_md_snapshot_vector() {
    let (issued_at, next_update) = window();
    let revoked = nth_license(1).id().clone();
    let suspended = nth_license(2).id().clone();
    let s = StatusSnapshot::build(
        &issuer_code(),
        issued_at,
        next_update,
        [
            (&revoked, LicenseStatus::Revoked),
            (&suspended, LicenseStatus::Suspended),
        ],
        &snapshot_key(),
    )
    .unwrap();
    let hex: String = s.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    let md = include_str!("../../docs/FORMAT.md");
    let tag = "# vector: snapshot-hex\n";
    let start = md.find(tag).expect("snapshot-hex vector missing") + tag.len();
    let printed = md[start..].lines().next().unwrap();
    if std::env::var_os("ELICENSE_PRINT_VECTORS").is_some() {
        println!("snapshot-hex {hex}\nrevoked {revoked}\nsuspended {suspended}");
    }
    assert_eq!(printed, hex);
    let key = snapshot_key().public_key();
    let back = StatusSnapshot::from_signed_bytes(&hex_bytes(printed), &key).unwrap();
    assert_eq!(back.not_in_force_count(), 2);
    assert_eq!(
        back.standing(&revoked, issued_at),
        s.standing(&revoked, issued_at)
    );
}

fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
