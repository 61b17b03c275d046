//! The resource library: issue, lifecycle, verification service (codes 0–7),
//! authorised retrieval with a use record, disputes, annotated copies — on
//! the in-memory store, SQLite, and PostgreSQL when `ELICENSE_TEST_PG_URL` is set.

use std::collections::BTreeMap;

use crate::fixtures::*;
use crate::seal::{cert, key, org_a, org_b, seal_a, seal_verifier, sealer_of};
use elicense::*;

fn library<S: LicenseStore + 'static>(store: S) -> ResourceLibrary<S> {
    let sealer = Sealer::new(
        seal_a(),
        cert("signer_a"),
        vec![cert("signer_ca")],
        Box::new(key("signer_a")) as Box<dyn Signer>,
    )
    .unwrap();
    ResourceLibrary::new(store, seal_verifier())
        .unwrap()
        .with_issuer(org_a(), "330102".parse().unwrap(), sealer)
        .unwrap()
        .with_copy_maker(
            sealer_of("copy-seal", org_b(), "signer_b", vec![cert("signer_ca")]).boxed(),
        )
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

const ISSUED: &str = "2025-06-01T00:00:00Z";
const LATER: &str = "2026-01-01T00:00:00Z";

fn holder() -> HolderCode {
    HolderCode::from(company())
}

fn purpose() -> Purpose {
    Purpose::new("办理食品经营许可变更登记").unwrap()
}

/// Every operation, in order, on one backend.
fn full_lifecycle<S: LicenseStore + 'static>(store: S) {
    let lib = library(store);
    let t0 = ts(ISSUED);
    let at = ts(LATER);

    // Issue.
    let v1 = lib.issue(&bureau(), request(), t0).unwrap();
    let id1 = v1.license().id().clone();
    assert_eq!(id1.serial(), "0000000001");
    assert_eq!(id1.version(), 1);
    let second = lib.issue(&bureau(), request(), t0).unwrap();
    assert_eq!(second.license().id().serial(), "0000000002");
    // The 新发 event went in with the license.
    let events = lib.store().events(&id1).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event().operation(), Operation::Issue);
    assert_eq!(events[0].event().at(), t0);
    assert_eq!(events[0].event().actor(), bureau().as_str());
    assert_eq!(events[0].status(), LicenseStatus::Valid);
    // The license status step ran, against the store.
    let report = lib.verify_id(&id1, at).unwrap().report().unwrap().clone();
    assert!(
        report
            .checks()
            .iter()
            .any(|c| c.step() == Step::LicenseStatus && c.outcome() == &Outcome::Passed)
    );
    assert_eq!(lib.verify_id(&id1, at).unwrap().code(), VerifyCode::Valid);
    assert_eq!(VerifyCode::Valid.code(), 0);
    assert_eq!(
        lib.verify_bytes(v1.as_bytes(), at).unwrap().code(),
        VerifyCode::Valid
    );

    // Verify submitted data.
    let mut check = DataCheck {
        type_code: Some(*food_type().code()),
        holder: Some(holder()),
        number: Some("JY13301050012345".into()),
        fields: [("KZ_FDDBR".to_string(), FieldValue::from("张三"))].into(),
    };
    // Two licenses share the number here; the current one with the highest version wins.
    assert_eq!(
        lib.verify_data(&check, at).unwrap().code(),
        VerifyCode::Valid
    );
    check
        .fields
        .insert("KZ_FDDBR".into(), FieldValue::from("李四"));
    let r = lib.verify_data(&check, at).unwrap();
    assert_eq!((r.code(), r.code().code()), (VerifyCode::PartlyWrong, 7));
    assert_eq!(r.mismatched(), ["KZ_FDDBR".to_string()]);
    check.fields = [("KZ_QFR".to_string(), FieldValue::from("王五"))].into();
    assert_eq!(
        lib.verify_data(&check, at).unwrap().code(),
        VerifyCode::Incomplete
    );
    let r = lib
        .verify_data(
            &DataCheck {
                number: None,
                ..check.clone()
            },
            at,
        )
        .unwrap();
    assert_eq!(r.code(), VerifyCode::MissingParameter);
    assert_eq!(r.missing(), ["number"]);
    check.number = Some("JY0".into());
    assert_eq!(
        lib.verify_data(&check, at).unwrap().code(),
        VerifyCode::NotFound
    );

    // Suspend and resume; invalid transitions name the current status.
    lib.suspend(
        &id1,
        "上城区市场监管局 张三",
        "涉嫌违法经营",
        ts("2025-07-01T00:00:00Z"),
    )
    .unwrap();
    let r = lib.verify_id(&id1, at).unwrap();
    assert_eq!(r.code(), VerifyCode::TemporarilyInvalid);
    // Through the status source: the report names the license status step.
    assert_eq!(r.failed_step(), Some(Step::LicenseStatus));
    assert_eq!(
        r.status_problem(),
        Some(&StatusProblem::Status(LicenseStatus::Suspended))
    );
    assert!(matches!(
        r.report().unwrap().failure(),
        Some((
            Step::LicenseStatus,
            Failure::LicenseNotInForce {
                status: LicenseStatus::Suspended,
                ..
            }
        ))
    ));
    // At an instant before the suspension it was in force.
    assert_eq!(
        lib.verify_id(&id1, ts("2025-06-30T00:00:00Z"))
            .unwrap()
            .code(),
        VerifyCode::Valid
    );
    // The library's verifier carries the store's status everywhere, batch
    // included (same verdict as single); the document verifier does not.
    let batch = BatchVerifier::new(lib.verifier().clone());
    let docs = [v1.as_bytes(), second.as_bytes()];
    let outcomes = batch.verify_slice(&docs, at);
    assert_eq!(outcomes[0].failed_step(), Some(Step::LicenseStatus));
    assert_eq!(
        outcomes[0].result().as_ref().unwrap_err(),
        &lib.verifier().verify(v1.as_bytes(), at).unwrap_err()
    );
    assert!(outcomes[1].is_valid());
    assert!(lib.document_verifier().verify(v1.as_bytes(), at).is_ok());
    assert_eq!(
        lib.suspend(&id1, "x", "again", ts("2025-07-02T00:00:00Z")),
        Err(ResourceError::Transition {
            id: id1.clone(),
            current: LicenseStatus::Suspended,
            operation: Operation::Suspend
        })
    );
    assert!(matches!(
        lib.renew(&id1, &Amendment::new(), "x", ts("2025-07-02T00:00:00Z")),
        Err(ResourceError::Transition {
            current: LicenseStatus::Suspended,
            operation: Operation::Renew,
            ..
        })
    ));
    lib.resume(&id1, "x", ts("2025-07-03T00:00:00Z")).unwrap();
    assert_eq!(lib.verify_id(&id1, at).unwrap().code(), VerifyCode::Valid);
    assert_eq!(
        lib.set_status(&id1, Operation::Renew, "x", None, at),
        Err(ResourceError::NotAStatusChange {
            operation: Operation::Renew
        })
    );

    // Renew: version 2, linked; version 1 superseded and failing verification.
    let v2 = lib
        .renew(
            &id1,
            &Amendment::new().validity(date("2025-08-01"), Some(date("2030-07-31"))),
            "x",
            ts("2025-08-01T00:00:00Z"),
        )
        .unwrap();
    let id2 = v2.license().id().clone();
    assert_eq!(id2, id1.with_version(2).unwrap());
    assert_eq!(v2.license().predecessor(), Some(&id1));
    let old = lib.verify_id(&id1, at).unwrap();
    assert_eq!(old.code(), VerifyCode::Invalid);
    assert_eq!(
        old.status_problem(),
        Some(&StatusProblem::Status(LicenseStatus::Other))
    );
    assert_eq!(lib.verify_id(&id2, at).unwrap().code(), VerifyCode::Valid);
    assert!(matches!(
        lib.change(&id1, &Amendment::new(), "x", at),
        Err(ResourceError::Transition {
            current: LicenseStatus::Other,
            ..
        })
    ));
    let chain: Vec<LicenseId> = lib
        .versions(&id1)
        .unwrap()
        .iter()
        .map(|e| e.id().clone())
        .collect();
    assert_eq!(chain, vec![id1.clone(), id2.clone()]);

    // Authorised retrieval.
    let bank = org_b();
    assert!(matches!(
        lib.fetch(&bank, &purpose(), &id2, at),
        Err(ResourceError::NoPermission { .. })
    ));
    lib.grant(Grant::by_holder(
        holder(),
        *bank.code(),
        *food_type().code(),
        Some(ts("2026-12-31T00:00:00Z")),
    ))
    .unwrap();
    let fetched = lib.fetch(&bank, &purpose(), &id2, at).unwrap();
    assert_eq!(fetched.as_bytes(), v2.as_bytes());
    let found = lib
        .query_by_holder(&bank, &purpose(), &holder(), food_type().code(), at)
        .unwrap();
    assert_eq!(found.len(), 3);
    // Expired grant.
    assert!(matches!(
        lib.fetch(&bank, &purpose(), &id2, ts("2027-01-01T00:00:00Z")),
        Err(ResourceError::NoPermission { .. })
    ));
    let uses = lib.uses_of(&holder()).unwrap();
    let results: Vec<UseResult> = uses.iter().map(UseRecord::result).collect();
    assert_eq!(
        results,
        vec![
            UseResult::NoPermission,
            UseResult::Allowed { count: 1 },
            UseResult::Allowed { count: 3 },
            UseResult::NoPermission
        ]
    );
    assert!(
        uses.iter()
            .all(|u| u.accessor() == bank.code() && u.purpose() == purpose().as_str())
    );

    // Disputes.
    assert_eq!(
        lib.raise_dispute(
            &id2,
            &HolderCode::from(bureau()),
            vec!["KZ_JYCS".into()],
            "地址有误",
            at
        ),
        Err(ResourceError::NotHolder { id: id2.clone() })
    );
    assert!(matches!(
        lib.raise_dispute(&id2, &holder(), vec!["KZ_NOPE".into()], "地址有误", at),
        Err(ResourceError::DisputeField { .. })
    ));
    let d = lib
        .raise_dispute(
            &id2,
            &holder(),
            vec!["KZ_JYCS".into()],
            "经营场所门牌号有误",
            at,
        )
        .unwrap();
    let flagged = lib.verify_id(&id2, at).unwrap();
    assert_eq!(flagged.under_review(), [d]);
    let wrong: BTreeMap<String, FieldValue> =
        [("KZ_FDDBR".to_string(), FieldValue::from("李四"))].into();
    assert!(matches!(
        lib.uphold_dispute(d, wrong, "x", at),
        Err(ResourceError::DisputeField { .. })
    ));
    let fix: BTreeMap<String, FieldValue> = [(
        "KZ_JYCS".to_string(),
        FieldValue::from("杭州市上城区解放路2号"),
    )]
    .into();
    let v3 = lib.uphold_dispute(d, fix, "x", at).unwrap();
    let id3 = v3.license().id().clone();
    assert_eq!(id3.version(), 3);
    assert!(matches!(
        lib.dispute(d).unwrap().unwrap().state(),
        DisputeState::Upheld { corrected, .. } if *corrected == id3
    ));
    assert_eq!(
        lib.reject_dispute(d, "重复", at),
        Err(ResourceError::DisputeClosed { id: d })
    );
    assert_eq!(lib.verify_id(&id2, at).unwrap().code(), VerifyCode::Invalid);
    let r3 = lib.verify_id(&id3, at).unwrap();
    assert_eq!(r3.code(), VerifyCode::Valid);
    assert!(r3.under_review().is_empty());
    let d2 = lib
        .raise_dispute(&id3, &holder(), vec!["KZ_JYXM".into()], "经营项目不全", at)
        .unwrap();
    lib.reject_dispute(d2, "与申请材料一致", at).unwrap();
    assert!(lib.verify_id(&id3, at).unwrap().under_review().is_empty());
    let chain = lib.versions(&id2).unwrap();
    assert_eq!(chain.len(), 3);
    for e in &chain {
        let expected = if e.id() == &id3 {
            VerifyCode::Valid
        } else {
            VerifyCode::Invalid
        };
        assert_eq!(lib.verify_id(e.id(), at).unwrap().code(), expected);
    }

    // Annotated copy.
    let until = ts("2026-01-31T00:00:00Z");
    let copy = lib
        .annotated_copy(
            &id3,
            &CopyRequest {
                purpose: purpose(),
                user: bank.clone(),
                valid_until: until,
            },
            at,
        )
        .unwrap();
    let b = copy.as_bytes();
    assert!(matches!(
        lib.verify_copy(b, &purpose(), bank.code(), at).unwrap(),
        CopyCheck::Valid(_)
    ));
    assert_eq!(
        lib.verify_copy(b, &Purpose::new("其他事由").unwrap(), bank.code(), at)
            .unwrap(),
        CopyCheck::WrongPurpose
    );
    assert_eq!(
        lib.verify_copy(b, &purpose(), &bureau(), at).unwrap(),
        CopyCheck::WrongUser
    );
    assert!(matches!(
        lib.verify_copy(b, &purpose(), bank.code(), ts("2026-02-01T00:00:00Z"))
            .unwrap(),
        CopyCheck::OutOfTime { .. }
    ));
    // The copy is the stored license plus the copy maker's seal signature,
    // whose property info carries the annotation.
    let doc = SignedLicense::decode(b).unwrap();
    assert_eq!(doc.signatures().len(), 2);
    let sig = &doc.signatures()[1];
    assert_eq!(sig.seal().unwrap().holder(), &org_b());
    assert_eq!(
        sig.tbs().property(),
        Some(
            format!(
                "elicense-copy/1|{until}|{}|{}",
                bank.code(),
                purpose().as_str()
            )
            .as_str()
        )
    );
    assert_eq!(sig.tbs().signed_at(), at);
    // Another purpose written into the signed annotation: the copy maker's
    // signature no longer verifies.
    let forged = String::from_utf8(b.to_vec())
        .unwrap()
        .replace("变更登记", "注销登记");
    match lib
        .verify_copy(
            forged.as_bytes(),
            &Purpose::new("办理食品经营许可注销登记").unwrap(),
            bank.code(),
            at,
        )
        .unwrap()
    {
        CopyCheck::BadSignature(report) => {
            assert_eq!(report.failed_step(), Some(Step::SignatureValue));
        }
        other => panic!("{other:?}"),
    }
    // A copy whose last signature is not the copy maker's is not a copy.
    assert_eq!(
        lib.verify_copy(v1.as_bytes(), &purpose(), bank.code(), at)
            .unwrap(),
        CopyCheck::Malformed
    );
    assert_eq!(
        lib.verify_copy(b"{}", &purpose(), bank.code(), at).unwrap(),
        CopyCheck::Malformed
    );
    // A purpose on several lines cannot be annotated.
    assert!(matches!(
        lib.annotated_copy(
            &id3,
            &CopyRequest {
                purpose: Purpose::new("第一行\n第二行").unwrap(),
                user: bank.clone(),
                valid_until: until,
            },
            at,
        ),
        Err(ResourceError::Copy { .. })
    ));

    // Revoke: final; the copy fails with the license.
    lib.revoke(&id3, "x", "吊销", ts("2026-01-02T00:00:00Z"))
        .unwrap();
    let later = ts("2026-01-03T00:00:00Z");
    assert_eq!(
        lib.verify_id(&id3, later).unwrap().code(),
        VerifyCode::Invalid
    );
    assert!(matches!(
        lib.verify_copy(b, &purpose(), bank.code(), later).unwrap(),
        CopyCheck::License(r) if r.code() == VerifyCode::Invalid
    ));
    assert!(matches!(
        lib.resume(&id3, "x", later),
        Err(ResourceError::Transition {
            current: LicenseStatus::Revoked,
            ..
        })
    ));

    // Expire, then cancel.
    let id = second.license().id().clone();
    assert_eq!(lib.expire(&id, "x", at).unwrap(), LicenseStatus::Expired);
    assert_eq!(
        lib.cancel(&id, "x", "申请注销", at).unwrap(),
        LicenseStatus::Cancelled
    );
}

#[test]
fn full_lifecycle_memory() {
    full_lifecycle(MemoryStore::new());
}

#[test]
fn full_lifecycle_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    full_lifecycle(SqliteStore::open(dir.path().join("library.db")).unwrap());
}

#[cfg(feature = "postgres")]
#[test]
fn full_lifecycle_postgres() {
    let Some(pg) = crate::store::support::Postgres::new() else {
        return;
    };
    full_lifecycle(pg.open_again(PostgresOptions::new()).unwrap());
}

#[test]
fn refused_issues_change_nothing() {
    let lib = library(MemoryStore::new());
    let t0 = ts(ISSUED);
    let mut bad = request();
    bad.fields.remove("KZ_JYCS");
    assert!(matches!(
        lib.issue(&bureau(), bad, t0),
        Err(ResourceError::Schema {
            error: SchemaError::MissingField { .. },
            ..
        })
    ));
    assert_eq!(
        lib.issue(&other_bureau(), request(), t0),
        Err(ResourceError::UnknownIssuer {
            issuer: other_bureau()
        })
    );
    let mut too_long = request();
    too_long.valid_to = Some(date("2040-01-01"));
    assert!(matches!(
        lib.issue(&bureau(), too_long, t0),
        Err(ResourceError::Schema { .. })
    ));
    assert_eq!(lib.store().count(&Query::new()).unwrap(), 0);
    // The serial was not used up.
    let ok = lib.issue(&bureau(), request(), t0).unwrap();
    assert_eq!(ok.license().id().serial(), "0000000001");
    assert!(matches!(
        lib.versions(&ok.license().id().with_version(9).unwrap()),
        Err(ResourceError::NotFound { .. })
    ));
}

#[test]
fn date_counter_serials_and_not_activated() {
    let lib = library(MemoryStore::new()).with_serial_policy(SerialPolicy::DateCounter);
    let mut r = request();
    r.valid_from = date("2026-01-01");
    r.valid_to = Some(date("2030-12-31"));
    let l = lib.issue(&bureau(), r, ts(ISSUED)).unwrap();
    assert_eq!(l.license().id().serial(), "20250601000001");
    let res = lib
        .verify_id(l.license().id(), ts("2025-07-01T00:00:00Z"))
        .unwrap();
    assert_eq!(
        (res.code(), res.code().code()),
        (VerifyCode::NotActivated, 1)
    );
    let missing =
        LicenseId::from_parts(*food_type().code(), IssuerCode::Uscc(bureau()), "X1", 1).unwrap();
    assert_eq!(
        lib.verify_id(&missing, ts(LATER)).unwrap().code(),
        VerifyCode::NotFound
    );
    assert!(matches!(
        lib.fetch(&org_b(), &purpose(), &missing, ts(LATER)),
        Err(ResourceError::NotFound { .. })
    ));
}

#[test]
fn purposes_are_checked_and_policy_grants_cover_every_holder() {
    assert!(Purpose::new("").is_err());
    assert!(Purpose::new("x".repeat(201)).is_err());
    assert!(Purpose::new("x".repeat(200)).is_ok());
    assert!(Purpose::new(" 前后空格").is_err());
    let lib = library(MemoryStore::new());
    let l = lib.issue(&bureau(), request(), ts(ISSUED)).unwrap();
    lib.grant(Grant::by_policy(*org_b().code(), *food_type().code(), None))
        .unwrap();
    assert!(
        lib.fetch(&org_b(), &purpose(), l.license().id(), ts(LATER))
            .is_ok()
    );
    let g = Grant::by_policy(*org_b().code(), *food_type().code(), None);
    assert_eq!(lib.revoke_grant(&g).unwrap(), 1);
    assert!(
        lib.fetch(&org_b(), &purpose(), l.license().id(), ts(LATER))
            .is_err()
    );
}

#[test]
fn tampered_or_foreign_submissions_are_invalid() {
    let lib = library(MemoryStore::new());
    let l = lib.issue(&bureau(), request(), ts(ISSUED)).unwrap();
    let mut bytes = l.as_bytes().to_vec();
    if let Some(p) = bytes.windows(6).position(|w| w == "张三".as_bytes()) {
        bytes[p + 5] ^= 1;
    }
    assert_eq!(
        lib.verify_bytes(&bytes, ts(LATER)).unwrap().code(),
        VerifyCode::Invalid
    );
    // A genuine sealed license the library does not hold.
    let foreign = crate::seal::sealed_food();
    assert_eq!(
        lib.verify_bytes(foreign.as_bytes(), ts(LATER))
            .unwrap()
            .code(),
        VerifyCode::NotFound
    );
}
