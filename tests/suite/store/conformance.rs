//! One conformance suite, run against every backend: each case is a function
//! of a [`Backend`]; `conformance!` instantiates all of them per backend.

use sha2::Digest;

use elicense::*;

use super::support::*;
use crate::fixtures::*;
use crate::seal::{seal_verifier, sealed_food};

macro_rules! conformance {
    ($backend:ident, $make:expr) => {
        mod $backend {
            #[allow(unused_imports)]
            use super::super::support::*;

            macro_rules! case {
                ($name:ident) => {
                    #[test]
                    fn $name() {
                        if let Some(b) = $make {
                            super::$name(&b);
                        }
                    }
                };
            }

            case!(round_trip);
            case!(idempotent_reinsert_and_conflict);
            case!(bad_input);
            case!(license_types);
            case!(queries_and_pagination);
            case!(keyset_pages_are_stable);
            case!(status_events);
            case!(issued_with_events);
            case!(attachments);
            case!(corrupted_document);
            case!(migrations);
            case!(personal_codes_are_masked);
        }
    };
}

conformance!(memory, Memory::new());
conformance!(sqlite, Sqlite::new());
#[cfg(feature = "postgres")]
conformance!(postgres, Postgres::new());

fn setup(b: &dyn Backend) -> &dyn LicenseStore {
    let s = b.store();
    assert_eq!(s.register_type(&food_type()).unwrap(), Inserted::New);
    s
}

fn other_id(serial: &str) -> LicenseId {
    LicenseId::from_parts(*food_type().code(), IssuerCode::Uscc(bureau()), serial, 1).unwrap()
}

fn round_trip(b: &dyn Backend) {
    let s = setup(b);
    let doc = sealed_food();
    let id = doc.license().id();
    assert_eq!(s.insert(&doc).unwrap(), Inserted::New);
    // Exact bytes back, and they still verify.
    let bytes = s.document(id).unwrap().unwrap();
    assert_eq!(bytes, doc.as_bytes());
    seal_verifier().verify(&bytes, now()).unwrap();
    let got = s.get(id).unwrap().unwrap();
    assert_eq!(got, doc);
    assert_eq!(
        s.entry(id).unwrap().unwrap(),
        CatalogEntry::new(doc.license(), LicenseStatus::Valid)
    );
    assert!(s.events(id).unwrap().is_empty());
    // A raw-key signed license of another type.
    assert_eq!(s.register_type(&business_type()).unwrap(), Inserted::New);
    let biz = business(1, other_bureau(), ("某某科技有限公司", org(1)), "430102");
    assert_eq!(s.insert_bytes(biz.as_bytes()).unwrap(), Inserted::New);
    assert_eq!(s.get(biz.license().id()).unwrap().unwrap(), biz);
    verifier()
        .verify(&s.document(biz.license().id()).unwrap().unwrap(), now())
        .expect_err("the fixture verifier does not know the business type");
    // Unknown identifiers.
    let missing = other_id("NOSUCH1");
    assert_eq!(s.document(&missing).unwrap(), None);
    assert_eq!(s.get(&missing).unwrap(), None);
    assert_eq!(s.entry(&missing).unwrap(), None);
    assert!(s.events(&missing).unwrap().is_empty());
    assert_eq!(s.count(&Query::new()).unwrap(), 2);
    // The registry for a verifier.
    let types = s.types().unwrap();
    assert_eq!(types.len(), 2);
    assert_eq!(types.get(food_type().code()), Some(&food_type()));
}

fn idempotent_reinsert_and_conflict(b: &dyn Backend) {
    let s = setup(b);
    let a = simple(1);
    let id = a.license().id().clone();
    assert_eq!(s.insert(&a).unwrap(), Inserted::New);
    assert_eq!(s.insert(&a).unwrap(), Inserted::Duplicate);
    assert_eq!(s.insert_bytes(a.as_bytes()).unwrap(), Inserted::Duplicate);
    let a2 = reseal(&a);
    assert_ne!(a2.as_bytes(), a.as_bytes());
    let conflict = StoreError::Conflict { id: id.clone() };
    assert_eq!(s.insert(&a2), Err(conflict.clone()));
    assert_eq!(s.insert_bytes(a2.as_bytes()), Err(conflict.clone()));
    assert_eq!(s.document(&id).unwrap().unwrap(), a.as_bytes());

    // A batch with a conflict stores nothing.
    let (c, d) = (simple(2), simple(3));
    assert_eq!(
        s.insert_batch(&[c.clone(), a2.clone(), d.clone()]),
        Err(conflict)
    );
    assert_eq!(s.document(c.license().id()).unwrap(), None);
    assert_eq!(s.count(&Query::new()).unwrap(), 1);
    // Duplicates within a batch and against the store.
    assert_eq!(
        s.insert_batch(&[c.clone(), c.clone(), d.clone(), a.clone()])
            .unwrap(),
        vec![
            Inserted::New,
            Inserted::Duplicate,
            Inserted::New,
            Inserted::Duplicate
        ]
    );
    // Same identifier, different bytes, within one batch.
    let e = simple(4);
    assert_eq!(
        s.insert_batch(&[e.clone(), reseal(&e)]),
        Err(StoreError::Conflict {
            id: e.license().id().clone()
        })
    );
    assert_eq!(s.document(e.license().id()).unwrap(), None);
    assert_eq!(s.insert_batch(&[]).unwrap(), vec![]);
    assert_eq!(s.count(&Query::new()).unwrap(), 3);
}

fn bad_input(b: &dyn Backend) {
    let s = setup(b);
    let doc = simple(1);
    let bytes = doc.as_bytes();
    let mut trailing = bytes.to_vec();
    trailing.push(b' ');
    let mut flipped = bytes.to_vec();
    let n = flipped.len();
    flipped[n / 3] = 0x01; // a control character: not canonical JSON
    for bad in [
        &b""[..],
        b"{}",
        b"not json",
        &bytes[..bytes.len() - 1],
        &trailing,
        &flipped,
    ] {
        match s.insert_bytes(bad) {
            Err(StoreError::Decode(_)) => {}
            other => panic!("{}: {other:?}", b.name()),
        }
    }
    assert_eq!(s.count(&Query::new()).unwrap(), 0);

    // A type that is not registered: nothing of the batch is stored.
    let biz = business(1, other_bureau(), ("某某科技有限公司", org(1)), "430102");
    let unknown = StoreError::UnknownType {
        code: *business_type().code(),
    };
    assert_eq!(s.insert(&biz), Err(unknown.clone()));
    assert_eq!(s.insert_batch(&[doc.clone(), biz]), Err(unknown));
    assert_eq!(s.count(&Query::new()).unwrap(), 0);

    // Bounds.
    let too_many = vec![doc.clone(); store_limits::BATCH_LICENSES + 1];
    assert!(matches!(
        s.insert_batch(&too_many),
        Err(StoreError::Limit { max: 10_000, .. })
    ));
    assert!(matches!(
        s.put_attachment(&vec![0u8; store_limits::ATTACHMENT_BYTES + 1]),
        Err(StoreError::Limit { .. })
    ));
    assert!(Query::new().limit(store_limits::MAX_PAGE_SIZE + 1).is_err());
    assert!(Query::new().name_contains("").is_err());
    assert!(Query::new().name_contains("x".repeat(65)).is_err());

    // Events for a license that is not stored.
    let e = StatusEvent::new(
        doc.license().id().clone(),
        Operation::Suspend,
        ts("2026-01-01T00:00:00Z"),
        "审核员",
    )
    .unwrap();
    assert_eq!(
        s.record_event(&e),
        Err(StoreError::NotFound {
            id: doc.license().id().clone()
        })
    );
    assert_eq!(s.count(&Query::new()).unwrap(), 0);
}

fn license_types(b: &dyn Backend) {
    let s = b.store();
    let builtin: Vec<LicenseType> = BUILTIN_TEMPLATES
        .iter()
        .map(|t| t.license_type().unwrap())
        .collect();
    for t in &builtin {
        assert_eq!(s.register_type(t).unwrap(), Inserted::New);
        assert_eq!(s.register_type(t).unwrap(), Inserted::Duplicate);
    }
    let mut expected = builtin.clone();
    expected.sort_by(|a, b| a.code().as_str().cmp(b.code().as_str()));
    assert_eq!(s.license_types().unwrap(), expected);
    assert_eq!(LicenseTypes::builtin().len(), 6);

    // The fixture is version 1 of the built-in 食品经营许可证 (version 2).
    let v1 = food_type();
    assert_eq!(s.register_type(&v1).unwrap(), Inserted::New);
    let latest = s.license_type(v1.code()).unwrap().unwrap();
    assert_eq!(latest.version(), 2);
    assert_eq!(s.license_types().unwrap(), expected);

    // Another definition under a registered code and version.
    let changed = LicenseType::from_json(
        &include_str!("../../data/food_type.json")
            .replace("\"maxChars\": 200", "\"maxChars\": 100"),
    )
    .unwrap();
    assert_ne!(changed, v1);
    assert_eq!(
        s.register_type(&changed),
        Err(StoreError::TypeConflict {
            code: *v1.code(),
            version: 1
        })
    );
    let unknown = LicenseTypeCode::from_parts(&samr(), 777).unwrap();
    assert_eq!(s.license_type(&unknown).unwrap(), None);
}

/// The licenses of the query tests: holders (several licenses each, persons
/// among them), regions (counties in two prefectures, a prefecture itself,
/// another province), validity windows, types, issuers, names with LIKE
/// wildcards in them.
fn population() -> Vec<SignedLicense> {
    let names = [
        "杭州某某餐饮管理有限公司",
        "上城区某某食品商行",
        "百分之百_Test%公司",
        "杭州西湖某某餐饮店",
    ];
    let regions = ["330102", "330105", "330106", "330203", "330100", "110101"];
    let windows = [
        ("2025-05-22", Some("2030-05-21")),
        ("2020-01-01", Some("2024-12-31")),
        ("2023-01-01", None),
    ];
    (0..36u32)
        .map(|i| {
            let holder = if i % 5 == 4 {
                ("李四", citizen(i % 3))
            } else {
                (names[i as usize % 4], org(i % 7))
            };
            let region = regions[i as usize % 6];
            if i % 8 == 7 {
                let issuer = if i % 16 == 7 {
                    bureau()
                } else {
                    other_bureau()
                };
                business(i, issuer, holder, region)
            } else {
                seal(food(i, holder, region, windows[i as usize % 3]))
            }
        })
        .collect()
}

fn sorted(mut entries: Vec<CatalogEntry>) -> Vec<CatalogEntry> {
    entries.sort_by(|a, b| a.id().as_str().cmp(b.id().as_str()));
    entries
}

/// Checks one query against the reference meaning: count, every page (size,
/// order, continuation) and the concatenation of the pages.
fn check_query(s: &dyn LicenseStore, all: &[CatalogEntry], q: Query) -> usize {
    let expected: Vec<CatalogEntry> = all.iter().filter(|e| q.matches(e)).cloned().collect();
    assert_eq!(s.count(&q).unwrap(), expected.len() as u64, "count {q:?}");
    let mut got = Vec::new();
    let mut page_q = q.clone();
    for _ in 0..100 {
        let page = s.query(&page_q).unwrap();
        assert!(page.entries().len() <= q.page_size() as usize);
        got.extend(page.entries().iter().cloned());
        match page.next() {
            Some(c) => {
                assert_eq!(page.entries().len(), q.page_size() as usize);
                assert_eq!(c.last_id(), page.entries().last().unwrap().id());
                page_q = q.clone().after(c.clone());
            }
            None => break,
        }
    }
    assert_eq!(got, expected, "{q:?}");
    expected.len()
}

fn queries_and_pagination(b: &dyn Backend) {
    let s = setup(b);
    s.register_type(&business_type()).unwrap();
    let docs = population();
    let outcomes = s.insert_batch(&docs).unwrap();
    assert!(outcomes.iter().all(|o| *o == Inserted::New));
    // Some status changes.
    let mut statuses = vec![LicenseStatus::Valid; docs.len()];
    for (i, d) in docs.iter().enumerate() {
        let op = match i % 9 {
            1 => Operation::Suspend,
            5 => Operation::Cancel,
            _ => continue,
        };
        let e = StatusEvent::new(
            d.license().id().clone(),
            op,
            ts("2026-01-01T00:00:00Z"),
            "审核员",
        )
        .unwrap();
        statuses[i] = s.record_event(&e).unwrap();
    }
    let all = sorted(
        docs.iter()
            .zip(&statuses)
            .map(|(d, st)| CatalogEntry::new(d.license(), *st))
            .collect(),
    );
    for e in &all {
        assert_eq!(&s.entry(e.id()).unwrap().unwrap(), e);
    }

    let food = *food_type().code();
    let biz = *business_type().code();
    let r = |c: &str| -> RegionCode { c.parse().unwrap() };
    let q = Query::new;
    let page = |n| Query::new().limit(n).unwrap();
    // (query, at least this many matches — so no case is vacuous)
    let cases: Vec<(Query, usize)> = vec![
        (q(), 36),
        (page(7), 36),
        (page(1), 36),
        (page(1000), 36),
        (q().holder(org(3)), 2),
        (page(1).holder(org(3)), 2),
        (q().holder(citizen(1)), 2),
        (q().holder(org(99)), 0),
        (q().type_code(food), 20),
        (q().type_code(biz), 4),
        (q().issuer(other_bureau()), 2),
        (q().issuer(bureau()), 30),
        (q().status(LicenseStatus::Suspended), 3),
        (q().status(LicenseStatus::Cancelled), 3),
        (q().status(LicenseStatus::Valid), 25),
        (q().region(r("330000")), 28),
        (q().region(r("330100")), 20),
        (q().region(r("330102")), 6),
        (q().region(r("330200")), 6),
        (q().region(r("110000")), 6),
        (q().region(r("440000")), 0),
        (q().valid_at(date("2026-01-01")), 15),
        (q().valid_at(date("2021-06-01")), 10),
        (q().valid_at(date("2019-01-01")), 0),
        (q().name_contains("餐饮").unwrap(), 10),
        (q().name_contains("某某餐饮管理").unwrap(), 5),
        (q().name_contains("营业执照").unwrap(), 4),
        (q().name_contains("李").unwrap(), 5),
        (q().name_contains("_T").unwrap(), 5),
        (q().name_contains("%").unwrap(), 5),
        (q().name_contains("_Test%").unwrap(), 5),
        (q().name_contains("test").unwrap(), 0),
        (q().name_contains("\"").unwrap(), 0),
        (q().name_contains("餐饮 管理").unwrap(), 0),
        (
            q().type_code(food)
                .region(r("330100"))
                .status(LicenseStatus::Valid),
            8,
        ),
        (
            page(2)
                .type_code(food)
                .region(r("330000"))
                .valid_at(date("2026-01-01"))
                .name_contains("餐饮")
                .unwrap(),
            2,
        ),
        (q().holder(org(0)).status(LicenseStatus::Valid), 1),
        (q().issuer(bureau()).region(r("110000")).type_code(biz), 0),
    ];
    for (query, at_least) in cases {
        let n = check_query(s, &all, query.clone());
        assert!(
            n >= at_least,
            "{}: {n} < {at_least} for {query:?}",
            b.name()
        );
    }
}

fn keyset_pages_are_stable(b: &dyn Backend) {
    let s = setup(b);
    let docs: Vec<SignedLicense> = (10..30).map(simple).collect();
    s.insert_batch(&docs).unwrap();
    let q = Query::new().limit(5).unwrap();
    let first = s.query(&q).unwrap();
    let cursor = first.next().unwrap().clone();
    // New licenses before and after the cursor while paging.
    let before = simple(1);
    let after = simple(99);
    s.insert_batch(&[before.clone(), after.clone()]).unwrap();
    let mut seen: Vec<CatalogEntry> = first.entries().to_vec();
    let mut next = Some(cursor);
    while let Some(c) = next {
        let page = s.query(&q.clone().after(c)).unwrap();
        seen.extend(page.entries().iter().cloned());
        next = page.next().cloned();
    }
    let ids: Vec<&str> = seen.iter().map(|e| e.id().as_str()).collect();
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids, unique, "no entry twice");
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "identifier order");
    assert_eq!(
        ids.len(),
        21,
        "every original entry once, plus the later one"
    );
    assert!(ids.contains(&after.license().id().as_str()));
    assert!(!ids.contains(&before.license().id().as_str()));
    // A cursor survives being written out and read back.
    let text = first.next().unwrap().to_string();
    let parsed: Cursor = text.parse().unwrap();
    assert_eq!(&parsed, first.next().unwrap());
}

fn status_events(b: &dyn Backend) {
    let s = setup(b);
    let a = simple(1);
    let id = a.license().id().clone();
    s.insert(&a).unwrap();
    let ev =
        |op, at: &str| StatusEvent::new(id.clone(), op, ts(at), "上城区市场监管局 王五").unwrap();

    let suspend = ev(Operation::Suspend, "2026-01-10T00:00:00Z")
        .with_reason("涉嫌违法经营，立案调查")
        .unwrap();
    assert_eq!(s.record_event(&suspend).unwrap(), LicenseStatus::Suspended);
    assert_eq!(
        s.entry(&id).unwrap().unwrap().status(),
        LicenseStatus::Suspended
    );
    assert_eq!(
        s.count(&Query::new().status(LicenseStatus::Suspended))
            .unwrap(),
        1
    );
    // Refused events change nothing.
    assert_eq!(
        s.record_event(&ev(Operation::Suspend, "2026-01-11T00:00:00Z")),
        Err(StoreError::Transition {
            id: id.clone(),
            from: LicenseStatus::Suspended,
            operation: Operation::Suspend
        })
    );
    assert_eq!(
        s.record_event(&ev(Operation::Resume, "2026-01-05T00:00:00Z")),
        Err(StoreError::EventOrder {
            id: id.clone(),
            last: ts("2026-01-10T00:00:00Z"),
            at: ts("2026-01-05T00:00:00Z"),
        })
    );
    assert!(matches!(
        s.record_event(&ev(Operation::Issue, "2026-01-12T00:00:00Z")),
        Err(StoreError::Transition { .. })
    ));
    assert_eq!(
        s.record_event(&ev(Operation::Resume, "2026-02-01T00:00:00Z"))
            .unwrap(),
        LicenseStatus::Valid
    );
    // Same instant as the last event is fine.
    assert_eq!(
        s.record_event(&ev(Operation::Revoke, "2026-02-01T00:00:00Z"))
            .unwrap(),
        LicenseStatus::Revoked
    );
    assert!(matches!(
        s.record_event(&ev(Operation::Resume, "2026-03-01T00:00:00Z")),
        Err(StoreError::Transition {
            from: LicenseStatus::Revoked,
            ..
        })
    ));
    let events = s.events(&id).unwrap();
    let summary: Vec<(u32, Operation, LicenseStatus)> = events
        .iter()
        .map(|e| (e.seq(), e.event().operation(), e.status()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, Operation::Suspend, LicenseStatus::Suspended),
            (2, Operation::Resume, LicenseStatus::Valid),
            (3, Operation::Revoke, LicenseStatus::Revoked),
        ]
    );
    assert_eq!(events[0].event(), &suspend);
    assert_eq!(events[1].event().reason(), None);
    assert_eq!(events[2].event().actor(), "上城区市场监管局 王五");
    assert_eq!(
        s.entry(&id).unwrap().unwrap().status(),
        LicenseStatus::Revoked
    );
    // The document itself never changes.
    assert_eq!(s.document(&id).unwrap().unwrap(), a.as_bytes());
}

fn issued_with_events(b: &dyn Backend) {
    use std::sync::Arc;
    let s = setup(b);
    let issue = |doc: &SignedLicense| {
        StatusEvent::new(
            doc.license().id().clone(),
            Operation::Issue,
            ts("2025-05-22T02:00:00Z"),
            "上城区市场监管局",
        )
        .unwrap()
    };
    let (a, c) = (simple(1), simple(2));
    let stored = |id: &LicenseId| s.entry(id).unwrap().is_some();

    // Refusals store nothing.
    let wrong_op = StatusEvent::new(
        a.license().id().clone(),
        Operation::Suspend,
        ts("2025-05-22T02:00:00Z"),
        "x",
    )
    .unwrap();
    assert_eq!(
        s.insert_issued(&[a.clone(), c.clone()], &[wrong_op, issue(&c)]),
        Err(StoreError::NotIssue {
            id: a.license().id().clone(),
            operation: Operation::Suspend
        })
    );
    assert!(matches!(
        s.insert_issued(&[a.clone(), c.clone()], &[issue(&a)]),
        Err(StoreError::NotIssue { .. })
    ));
    assert!(matches!(
        s.insert_issued(std::slice::from_ref(&a), &[issue(&c)]),
        Err(StoreError::NotIssue { .. })
    ));
    assert!(matches!(
        s.insert_issued(std::slice::from_ref(&a), &[issue(&a), issue(&c)]),
        Err(StoreError::NotIssue { .. })
    ));
    assert!(matches!(
        s.insert_issued(&[a.clone(), a.clone()], &[issue(&a), issue(&a)]),
        Err(StoreError::Conflict { .. })
    ));
    let old = simple(3);
    s.insert(&old).unwrap();
    assert!(matches!(
        s.insert_issued(&[a.clone(), old.clone()], &[issue(&a), issue(&old)]),
        Err(StoreError::Conflict { .. })
    ));
    assert!(!stored(a.license().id()) && !stored(c.license().id()));
    assert!(s.events(a.license().id()).unwrap().is_empty());
    assert!(s.events(old.license().id()).unwrap().is_empty());

    // Issued: the license and its 新发 event, together.
    s.insert_issued(&[a.clone(), c.clone()], &[issue(&a), issue(&c)])
        .unwrap();
    let id = a.license().id().clone();
    assert_eq!(s.document(&id).unwrap().unwrap(), a.as_bytes());
    let events = s.events(&id).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].seq(), events[0].status()),
        (1, LicenseStatus::Valid)
    );
    assert_eq!(events[0].event(), &issue(&a));
    assert_eq!(
        s.entry(&id).unwrap().unwrap().status(),
        LicenseStatus::Valid
    );
    // 新发 is the first event only; later events follow it.
    assert!(matches!(
        s.record_event(
            &StatusEvent::new(
                id.clone(),
                Operation::Issue,
                ts("2026-01-01T00:00:00Z"),
                "x"
            )
            .unwrap()
        ),
        Err(StoreError::Transition { .. })
    ));
    assert_eq!(
        s.record_event(
            &StatusEvent::new(
                id.clone(),
                Operation::Suspend,
                ts("2026-01-10T00:00:00Z"),
                "x"
            )
            .unwrap()
        )
        .unwrap(),
        LicenseStatus::Suspended
    );
    assert_eq!(s.events(&id).unwrap()[1].seq(), 2);

    // The store as a status source: the standing at each instant.
    let status = StoreStatus::new(
        b.store(),
        Arc::new(InMemoryStatus::complete_revocation_list()),
    );
    assert!(status.tracks_licenses());
    assert_eq!(
        status.license_status(&id, ts("2025-12-31T00:00:00Z")),
        LicenseStanding::InForce
    );
    assert_eq!(
        status.license_status(&id, ts("2026-01-10T00:00:00Z")),
        LicenseStanding::NotInForce {
            status: LicenseStatus::Suspended,
            since: ts("2026-01-10T00:00:00Z")
        }
    );
    // Archived without events: in force; not stored: unknown.
    assert_eq!(
        status.license_status(old.license().id(), ts("2026-01-10T00:00:00Z")),
        LicenseStanding::InForce
    );
    assert_eq!(
        status.license_status(&other_id("0000000099"), ts("2026-01-10T00:00:00Z")),
        LicenseStanding::Unknown
    );
    // Many at once: the same answers, from one snapshot.
    let missing = other_id("0000000099");
    let ids = [&id, old.license().id(), &missing, c.license().id()];
    assert_eq!(
        s.status_histories(&ids).unwrap(),
        vec![
            Some(vec![
                (ts("2025-05-22T02:00:00Z"), LicenseStatus::Valid),
                (ts("2026-01-10T00:00:00Z"), LicenseStatus::Suspended)
            ]),
            Some(vec![]),
            None,
            Some(vec![(ts("2025-05-22T02:00:00Z"), LicenseStatus::Valid)]),
        ]
    );
    for at in [
        "2025-01-01T00:00:00Z",
        "2025-12-31T00:00:00Z",
        "2026-01-10T00:00:00Z",
    ] {
        let one: Vec<LicenseStanding> = ids
            .iter()
            .map(|i| status.license_status(i, ts(at)))
            .collect();
        assert_eq!(status.license_statuses(&ids, ts(at)), one);
    }
}

fn sha(bytes: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(bytes).into()
}

fn attachments(b: &dyn Backend) {
    let s = b.store();
    let chunk = store_limits::ATTACHMENT_CHUNK_BYTES;
    // The fixture's layout file, named by digest in the license.
    let layout = b"OFD layout file bytes";
    let named = *sealed_food().license().attachments()[0].sha256();
    assert_eq!(named, sha(layout));
    assert_eq!(s.attachment(&named).unwrap(), None);
    assert_eq!(s.put_attachment(layout).unwrap(), Inserted::New);
    assert_eq!(s.put_attachment(layout).unwrap(), Inserted::Duplicate);
    assert_eq!(s.attachment(&named).unwrap().unwrap(), layout);
    // Empty, exactly one chunk, and several chunks.
    let big: Vec<u8> = (0..2 * chunk + 123).map(|i| (i * 31 % 251) as u8).collect();
    let one: Vec<u8> = (0..chunk).map(|i| (i % 13) as u8).collect();
    let big2: Vec<u8> = big.iter().map(|x| x ^ 0x5a).collect();
    for file in [&b""[..], &one, &big, &big2] {
        assert_eq!(s.put_attachment(file).unwrap(), Inserted::New);
        assert_eq!(s.put_attachment(file).unwrap(), Inserted::Duplicate);
        assert_eq!(s.attachment(&sha(file)).unwrap().unwrap(), file);
    }
    // Corruption is detected on read.
    if b.corrupt_chunk(&sha(&big), 1) {
        assert_eq!(
            s.attachment(&sha(&big)),
            Err(StoreError::AttachmentCorrupt { sha256: sha(&big) })
        );
        // A duplicate put does not hide it either.
        assert_eq!(s.put_attachment(&big).unwrap(), Inserted::Duplicate);
        assert!(s.attachment(&sha(&big)).is_err());
        assert!(b.delete_chunk(&sha(&big2), 2));
        assert_eq!(
            s.attachment(&sha(&big2)),
            Err(StoreError::AttachmentCorrupt { sha256: sha(&big2) })
        );
        // Others are unaffected.
        assert_eq!(s.attachment(&sha(&one)).unwrap().unwrap(), one);
        assert_eq!(s.attachment(&named).unwrap().unwrap(), layout);
    } else {
        eprintln!("{}: no raw access to corrupt an attachment", b.name());
    }
}

fn corrupted_document(b: &dyn Backend) {
    let s = setup(b);
    let a = simple(1);
    let other = simple(2);
    s.insert_batch(&[a.clone(), other.clone()]).unwrap();
    if !b.corrupt_document(a.license().id()) {
        eprintln!("{}: no raw access to corrupt a document", b.name());
        return;
    }
    let corrupt = StoreError::Corrupt {
        what: "license document",
        key: a.license().id().to_string(),
    };
    assert_eq!(s.document(a.license().id()), Err(corrupt.clone()));
    assert_eq!(s.get(a.license().id()), Err(corrupt));
    assert_eq!(s.get(other.license().id()).unwrap().unwrap(), other);
}

fn migrations(b: &dyn Backend) {
    let s = setup(b);
    let a = simple(1);
    s.insert(&a).unwrap();
    let Some(again) = b.reopen() else {
        eprintln!("{}: nothing to reopen", b.name());
        return;
    };
    // Opening twice migrates nothing and keeps everything.
    let again = again.unwrap();
    assert_eq!(
        again.document(a.license().id()).unwrap().unwrap(),
        a.as_bytes()
    );
    assert_eq!(
        again.register_type(&food_type()).unwrap(),
        Inserted::Duplicate
    );
    drop(again);
    // A schema from the future is refused, clearly.
    assert!(b.set_schema_version(STORE_SCHEMA_VERSION + 1));
    match b.reopen().unwrap() {
        Err(e @ StoreError::SchemaTooNew { .. }) => {
            assert_eq!(
                e,
                StoreError::SchemaTooNew {
                    found: STORE_SCHEMA_VERSION + 1,
                    supported: STORE_SCHEMA_VERSION
                }
            );
            assert!(e.to_string().contains("upgrade elicense"), "{e}");
        }
        Err(e) => panic!("{}: {e}", b.name()),
        Ok(_) => panic!("{}: a newer schema was opened", b.name()),
    }
    assert!(b.set_schema_version(STORE_SCHEMA_VERSION));
    assert!(b.reopen().unwrap().is_ok());
}

fn personal_codes_are_masked(b: &dyn Backend) {
    let s = setup(b);
    let person = citizen(7);
    let number = person.value().to_owned();
    let doc = seal(food(
        5,
        ("李四", person.clone()),
        "330102",
        ("2025-05-22", Some("2030-05-21")),
    ));
    s.insert(&doc).unwrap();
    let entry = s.entry(doc.license().id()).unwrap().unwrap();
    // Stored as given...
    assert_eq!(entry.holder().code().value(), number);
    let q = Query::new().holder(person);
    assert_eq!(s.query(&q).unwrap().entries(), std::slice::from_ref(&entry));
    // ...never shown.
    let conflict = s.insert(&reseal(&doc)).unwrap_err();
    let page = s.query(&q).unwrap();
    for text in [
        format!("{entry:?}"),
        format!("{q:?}"),
        format!("{page:?}"),
        format!("{conflict} {conflict:?}"),
        format!("{:?}", b.store().types().unwrap()),
    ] {
        assert!(!text.contains(&number), "{}: {text}", b.name());
    }
}
