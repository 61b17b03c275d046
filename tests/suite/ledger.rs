//! The resource library's ledger: one conformance suite run against
//! [`MemoryLedger`], [`SqliteLedger`] (in memory and in a file, reopened to
//! see everything survive) and `PostgresLedger` when `ELICENSE_TEST_PG_URL`
//! is set; schema migration from version 1; and a resource library on SQLite
//! keeping its grants, use record and serials across a restart.

use std::sync::Arc;

use elicense::*;

use crate::fixtures::*;
use crate::seal::{cert, key, org_a, org_b, seal_a, seal_verifier};

/// What every ledger must do, and what a reopened durable one must still hold.
mod conformance {
    use super::*;

    pub fn citizen() -> HolderCode {
        HolderCode::from(CitizenId::from_body("11010519491231002").unwrap())
    }

    fn holder() -> HolderCode {
        HolderCode::from(company())
    }

    fn type_code() -> LicenseTypeCode {
        *food_type().code()
    }

    fn license(serial: &str) -> LicenseId {
        LicenseId::from_parts(type_code(), IssuerCode::Uscc(bureau()), serial, 1).unwrap()
    }

    fn holder_grant() -> Grant {
        Grant::by_holder(
            holder(),
            other_bureau(),
            type_code(),
            Some(ts("2026-12-31T00:00:00Z")),
        )
    }

    fn citizen_grant() -> Grant {
        Grant::by_holder(citizen(), other_bureau(), type_code(), None)
    }

    fn policy_grant() -> Grant {
        Grant::by_policy(samr(), type_code(), None)
    }

    fn uses() -> Vec<UseRecord> {
        vec![
            UseRecord::new(
                other_bureau(),
                "长沙市某局",
                UseAction::Query,
                Some(holder()),
                Some(type_code()),
                None,
                ts("2025-06-01T00:00:00Z"),
                "办理食品经营许可变更登记",
                UseResult::Allowed { count: 3 },
            ),
            UseRecord::new(
                samr(),
                "国家市场监督管理总局",
                UseAction::Fetch,
                Some(citizen()),
                Some(type_code()),
                Some(license("0000000007")),
                ts("2025-06-02T00:00:00Z"),
                "核查",
                UseResult::NoPermission,
            ),
            UseRecord::new(
                samr(),
                "国家市场监督管理总局",
                UseAction::Fetch,
                None,
                Some(type_code()),
                Some(license("0000000099")),
                ts("2025-06-03T00:00:00Z"),
                "核查",
                UseResult::NotFound,
            ),
            // Earlier than the first: order is the order of appending.
            UseRecord::new(
                other_bureau(),
                "长沙市某局",
                UseAction::Fetch,
                Some(holder()),
                Some(type_code()),
                Some(license("0000000001")),
                ts("2025-05-01T00:00:00Z"),
                "办理\n登记",
                UseResult::Allowed { count: 1 },
            ),
        ]
    }

    /// Runs every operation on an empty ledger.
    pub fn run(l: &dyn Ledger) {
        // Serial counters: per scope, set, advanced.
        assert_eq!(l.last_serial("a/b").unwrap(), 0);
        l.set_last_serial("a/b", 41).unwrap();
        assert_eq!(l.last_serial("a/b").unwrap(), 41);
        assert_eq!(l.last_serial("a/b/20250601").unwrap(), 0);
        assert_eq!(l.advance_serial("a/b", 1).unwrap(), 42);
        assert_eq!(l.advance_serial("a/b", 10).unwrap(), 52);
        assert_eq!(l.advance_serial("new", 3).unwrap(), 3);
        assert_eq!(l.advance_serial("new", 0).unwrap(), 3);
        l.set_last_serial("new", 9_999_999_999).unwrap();
        assert_eq!(l.last_serial("new").unwrap(), 9_999_999_999);
        // Past what a counter holds (u64 in memory, i64 in a database): refused.
        l.set_last_serial("huge", i64::MAX as u64).unwrap();
        assert!(matches!(
            l.advance_serial("huge", u64::MAX),
            Err(ResourceError::Ledger { .. })
        ));
        assert_eq!(l.last_serial("huge").unwrap(), i64::MAX as u64);

        // Grants: duplicates kept, removed together, per accessor.
        assert!(l.grants_of(&other_bureau()).unwrap().is_empty());
        l.add_grant(holder_grant()).unwrap();
        l.add_grant(citizen_grant()).unwrap();
        l.add_grant(holder_grant()).unwrap();
        l.add_grant(policy_grant()).unwrap();
        assert_eq!(
            l.grants_of(&other_bureau()).unwrap(),
            [holder_grant(), citizen_grant(), holder_grant()]
        );
        assert_eq!(l.grants_of(&samr()).unwrap(), [policy_grant()]);
        let g = &l.grants_of(&samr()).unwrap()[0];
        assert_eq!(
            (g.holder(), g.source(), g.until()),
            (None, GrantSource::Policy, None)
        );
        assert_eq!(l.remove_grant(&holder_grant()).unwrap(), 2);
        assert_eq!(l.remove_grant(&holder_grant()).unwrap(), 0);
        // Same accessor and type, another end: not equal, not removed.
        let other_end = Grant::by_holder(citizen(), other_bureau(), type_code(), Some(now()));
        assert_eq!(l.remove_grant(&other_end).unwrap(), 0);
        assert_eq!(l.grants_of(&other_bureau()).unwrap(), [citizen_grant()]);
        l.add_grant(holder_grant()).unwrap();

        // The use record: per holder, in the order appended.
        assert!(l.uses_of(&holder()).unwrap().is_empty());
        for u in uses() {
            l.append_use(u).unwrap();
        }
        check_uses(l);

        // Disputes: numbered from 1, per license, decided.
        let d1 = l
            .add_dispute(
                license("0000000001"),
                vec!["KZ_FDDBR".into(), "KZ_JYCS".into()],
                "法定代表人姓名有误".into(),
                ts("2025-06-05T00:00:00Z"),
            )
            .unwrap();
        let d2 = l
            .add_dispute(
                license("0000000002"),
                vec!["KZ_JYCS".into()],
                "经营场所有误".into(),
                ts("2025-06-06T00:00:00Z"),
            )
            .unwrap();
        let d3 = l
            .add_dispute(
                license("0000000001"),
                vec!["KZ_FDDBR".into()],
                "又一次".into(),
                ts("2025-06-07T00:00:00Z"),
            )
            .unwrap();
        assert_eq!((d1.get(), d2.get(), d3.get()), (1, 2, 3));
        let d = l.dispute(d1).unwrap().unwrap();
        assert_eq!(d.id(), d1);
        assert_eq!(d.license(), &license("0000000001"));
        assert_eq!(d.fields(), ["KZ_FDDBR", "KZ_JYCS"]);
        assert_eq!(d.reason(), "法定代表人姓名有误");
        assert_eq!(d.raised_at(), ts("2025-06-05T00:00:00Z"));
        assert!(d.is_open());
        assert_eq!(l.dispute(DisputeId::new(99)).unwrap(), None);
        assert!(matches!(
            l.set_dispute_state(DisputeId::new(99), DisputeState::UnderReview),
            Err(ResourceError::UnknownDispute(id)) if id.get() == 99
        ));
        l.set_dispute_state(d1, upheld()).unwrap();
        l.set_dispute_state(d2, rejected()).unwrap();
        check_disputes(l);
    }

    fn upheld() -> DisputeState {
        DisputeState::Upheld {
            corrected: LicenseId::from_parts(
                type_code(),
                IssuerCode::Uscc(bureau()),
                "0000000001",
                2,
            )
            .unwrap(),
            at: ts("2025-06-10T00:00:00Z"),
        }
    }

    fn rejected() -> DisputeState {
        DisputeState::Rejected {
            reason: "核实无误".into(),
            at: ts("2025-06-11T00:00:00Z"),
        }
    }

    fn check_uses(l: &dyn Ledger) {
        let all = uses();
        assert_eq!(
            l.uses_of(&holder()).unwrap(),
            [all[0].clone(), all[3].clone()]
        );
        assert_eq!(l.uses_of(&citizen()).unwrap(), [all[1].clone()]);
        assert!(l.uses_of(&HolderCode::from(samr())).unwrap().is_empty());
    }

    fn check_disputes(l: &dyn Ledger) {
        let of1 = l.disputes_of(&license("0000000001")).unwrap();
        assert_eq!(of1.iter().map(|d| d.id().get()).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(of1[0].state(), &upheld());
        assert!(of1[1].is_open());
        assert_eq!(
            l.dispute(DisputeId::new(2)).unwrap().unwrap().state(),
            &rejected()
        );
        assert!(l.disputes_of(&license("0000000003")).unwrap().is_empty());
    }

    /// What [`run`] left, as a reopened ledger must still hold it.
    pub fn check_persisted(l: &dyn Ledger) {
        assert_eq!(l.last_serial("a/b").unwrap(), 52);
        assert_eq!(l.last_serial("new").unwrap(), 9_999_999_999);
        assert_eq!(
            l.grants_of(&other_bureau()).unwrap(),
            [citizen_grant(), holder_grant()]
        );
        assert_eq!(l.grants_of(&samr()).unwrap(), [policy_grant()]);
        check_uses(l);
        check_disputes(l);
        // Numbering goes on after a restart.
        let d4 = l
            .add_dispute(
                license("0000000004"),
                vec!["KZ_JYCS".into()],
                "x".into(),
                ts("2025-07-01T00:00:00Z"),
            )
            .unwrap();
        assert_eq!(d4.get(), 4);
        assert_eq!(l.advance_serial("a/b", 1).unwrap(), 53);
    }

    /// A database counter ends at `i64::MAX` (after [`run`]): advancing past
    /// it changes nothing.
    pub fn database_bounds(l: &dyn Ledger) {
        assert!(matches!(
            l.advance_serial("huge", 1),
            Err(ResourceError::Ledger { .. })
        ));
        assert_eq!(l.last_serial("huge").unwrap(), i64::MAX as u64);
        assert!(matches!(
            l.set_last_serial("huge", u64::MAX),
            Err(ResourceError::Ledger { .. })
        ));
        assert_eq!(l.last_serial("huge").unwrap(), i64::MAX as u64);
    }

    /// Ledgers sharing one database (or one ledger shared by threads) never
    /// hand out the same serial.
    pub fn concurrent_serials(ledgers: Vec<Arc<dyn Ledger>>) {
        const PER_THREAD: u64 = 25;
        let threads: Vec<_> = ledgers
            .iter()
            .flat_map(|l| [Arc::clone(l), Arc::clone(l)])
            .map(|l| {
                std::thread::spawn(move || {
                    (0..PER_THREAD)
                        .map(|i| {
                            let n = 1 + i % 3;
                            let last = l.advance_serial("race", n).unwrap();
                            (last + 1 - n)..=last
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut taken: Vec<u64> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .flatten()
            .collect();
        let n = taken.len();
        taken.sort_unstable();
        taken.dedup();
        assert_eq!(taken.len(), n, "a serial was handed out twice");
        assert_eq!(taken.last().copied(), Some(n as u64), "no gaps either");
        assert_eq!(ledgers[0].last_serial("race").unwrap(), n as u64);
    }
}

#[test]
fn memory_ledger_conformance() {
    let l = MemoryLedger::new();
    conformance::run(&l);
    conformance::check_persisted(&l);
    conformance::concurrent_serials(vec![Arc::new(MemoryLedger::new())]);
}

#[test]
fn sqlite_ledger_in_memory_conformance() {
    let store = SqliteStore::open_in_memory().unwrap();
    let l = store.ledger();
    conformance::run(&l);
    conformance::check_persisted(&l);
    conformance::database_bounds(&l);
}

#[test]
fn sqlite_ledger_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    {
        let store = SqliteStore::open(&path).unwrap();
        conformance::run(&store.ledger());
    }
    let store = SqliteStore::open(&path).unwrap();
    conformance::check_persisted(&store.ledger());
    // Two stores on one file, as two processes would have.
    let other = SqliteStore::open(&path).unwrap();
    conformance::concurrent_serials(vec![Arc::new(store.ledger()), Arc::new(other.ledger())]);
}

#[test]
fn sqlite_schema_1_migrates_to_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let store = SqliteStore::open(&path).unwrap();
        store.register_type(&food_type()).unwrap();
    }
    // Make it a version-1 database: no ledger tables.
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "DROP TABLE ledger_counters; DROP TABLE ledger_grants; DROP TABLE ledger_uses;
             DROP TABLE ledger_disputes; DROP TABLE access_tokens;
             UPDATE elicense_schema SET version = 1;",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let version: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT version FROM elicense_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, STORE_SCHEMA_VERSION);
    assert_eq!(STORE_SCHEMA_VERSION, 3);
    assert!(store.license_type(food_type().code()).unwrap().is_some());
    conformance::run(&store.ledger());
}

#[cfg(feature = "postgres")]
mod pg {
    use super::*;
    use crate::store::support::Postgres;

    #[test]
    fn postgres_ledger_conformance_and_reopening() {
        let Some(b) = Postgres::new() else { return };
        conformance::run(&b.store.ledger());
        let again = b.open_again(PostgresOptions::new()).unwrap();
        conformance::check_persisted(&again.ledger());
        conformance::database_bounds(&again.ledger());
        let third = b.open_again(PostgresOptions::new()).unwrap();
        conformance::concurrent_serials(vec![Arc::new(again.ledger()), Arc::new(third.ledger())]);
    }

    #[test]
    fn postgres_schema_1_migrates_to_the_ledger() {
        let Some(b) = Postgres::new() else { return };
        b.store.register_type(&food_type()).unwrap();
        b.raw()
            .batch_execute(
                "DROP TABLE ledger_counters; DROP TABLE ledger_grants; DROP TABLE ledger_uses;
                 DROP TABLE ledger_disputes; DROP TABLE access_tokens;
             UPDATE elicense_schema SET version = 1;",
            )
            .unwrap();
        let store = b.open_again(PostgresOptions::new()).unwrap();
        let version: i64 = b
            .raw()
            .query_one("SELECT version FROM elicense_schema", &[])
            .unwrap()
            .get(0);
        assert_eq!(version, STORE_SCHEMA_VERSION);
        assert!(store.license_type(food_type().code()).unwrap().is_some());
        conformance::run(&store.ledger());
    }
}

fn library(store: SqliteStore) -> ResourceLibrary<SqliteStore> {
    let sealer = Sealer::new(
        seal_a(),
        cert("signer_a"),
        vec![cert("signer_ca")],
        Box::new(key("signer_a")) as Box<dyn Signer>,
    )
    .unwrap();
    let ledger = store.ledger();
    ResourceLibrary::new(store, seal_verifier())
        .unwrap()
        .with_issuer(org_a(), "330102".parse().unwrap(), sealer)
        .unwrap()
        .with_ledger(Box::new(ledger))
}

fn request() -> IssueRequest {
    let d = food_data();
    IssueRequest {
        type_code: d.type_code,
        number: d.number,
        holder: d.holder,
        valid_from: d.valid_from,
        valid_to: d.valid_to,
        fields: d.fields,
        attachments: d.attachments,
    }
}

#[test]
fn resource_library_keeps_its_ledger_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.db");
    let holder = HolderCode::from(company());
    let purpose = Purpose::new("办理食品经营许可变更登记").unwrap();
    let at = ts("2025-06-02T00:00:00Z");
    let id = {
        let lib = library(SqliteStore::open(&path).unwrap());
        let issued = lib
            .issue(&bureau(), request(), ts("2025-06-01T00:00:00Z"))
            .unwrap();
        let id = issued.license().id().clone();
        assert_eq!(id.serial(), "0000000001");
        lib.grant(Grant::by_holder(
            holder.clone(),
            *org_b().code(),
            *food_type().code(),
            None,
        ))
        .unwrap();
        let fetched = lib.fetch(&org_b(), &purpose, &id, at).unwrap();
        assert_eq!(fetched.as_bytes(), issued.as_bytes());
        let uses = lib.uses_of(&holder).unwrap();
        assert_eq!(uses.len(), 1);
        assert_eq!(uses[0].result(), UseResult::Allowed { count: 1 });
        id
    };

    // After a restart: the use is still listed, the grant still holds and
    // the serials go on.
    let lib = library(SqliteStore::open(&path).unwrap());
    let uses = lib.uses_of(&holder).unwrap();
    assert_eq!(uses.len(), 1);
    let u = &uses[0];
    assert_eq!(
        (u.accessor(), u.action(), u.license(), u.at(), u.purpose()),
        (
            org_b().code(),
            UseAction::Fetch,
            Some(&id),
            at,
            purpose.as_str()
        )
    );
    lib.fetch(&org_b(), &purpose, &id, ts("2025-06-03T00:00:00Z"))
        .unwrap();
    assert_eq!(lib.uses_of(&holder).unwrap().len(), 2);
    let next = lib
        .issue(&bureau(), request(), ts("2025-06-04T00:00:00Z"))
        .unwrap();
    assert_eq!(next.license().id().serial(), "0000000002");
}
