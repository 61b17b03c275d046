//! Single verification: each step can fail on its own and is reported as that step.

use crate::fixtures::*;
use elicense::*;

fn rejected(bytes: &[u8], at: Timestamp) -> Rejected {
    verifier().verify(bytes, at).expect_err("must be rejected")
}

#[test]
fn a_good_license_passes_every_step() {
    let doc = signed_food();
    let v = verifier().verify(doc.as_bytes(), now()).unwrap();
    assert!(v.report().passed());
    assert_eq!(v.report().checks().len(), Step::ALL.len());
    assert!(v.report().checks().iter().all(|c| {
        c.outcome() == &Outcome::Passed
            || ((c.step().is_seal_step()
                || matches!(c.step(), Step::LicenseStatus | Step::Recognition))
                && c.outcome() == &Outcome::NotApplicable)
    }));
    assert_eq!(v.verified_at(), now());
    assert_eq!(v.license(), doc.license());
    assert_eq!(v.as_bytes(), doc.as_bytes());
}

#[test]
fn parse_step_catches_malformed_and_non_canonical_input() {
    let doc = signed_food();
    let text = String::from_utf8(doc.as_bytes().to_vec()).unwrap();
    let pretty = serde_json::to_string_pretty(
        &serde_json::from_slice::<serde_json::Value>(doc.as_bytes()).unwrap(),
    )
    .unwrap();
    for (what, bytes) in [
        ("empty", Vec::new()),
        ("not json", b"hello".to_vec()),
        ("pretty printed", pretty.into_bytes()),
        ("trailing newline", [doc.as_bytes(), b"\n"].concat()),
        (
            "truncated",
            doc.as_bytes()[..doc.as_bytes().len() - 1].to_vec(),
        ),
        (
            "unknown member",
            text.replacen("{\"format\"", "{\"extra\":1,\"format\"", 1)
                .into_bytes(),
        ),
        (
            "duplicate member",
            text.replacen(
                "{\"format\":\"elicense/1\",",
                "{\"format\":\"elicense/1\",\"format\":\"elicense/1\",",
                1,
            )
            .into_bytes(),
        ),
        (
            "other format",
            text.replacen("elicense/1", "elicense/2", 1).into_bytes(),
        ),
        (
            "escaped slash",
            text.replacen("application/ofd", "application\\/ofd", 1)
                .into_bytes(),
        ),
    ] {
        let r = rejected(&bytes, now());
        assert_eq!(r.step(), Step::Parse, "{what}: {r}");
        assert!(matches!(r.failure(), Failure::Decode(_)), "{what}");
    }
}

#[test]
fn oversized_documents_are_refused_before_parsing() {
    let doc = signed_food();
    let v = verifier()
        .with_options(VerifyOptions::default().with_limits(
            DecodeLimits::default().with_max_document_bytes(doc.as_bytes().len() - 1),
        ));
    let r = v.verify(doc.as_bytes(), now()).unwrap_err();
    assert_eq!(r.step(), Step::Parse);
    match r.failure() {
        Failure::Decode(DecodeError::Json(e)) => {
            assert!(matches!(e.kind(), JsonErrorKind::TooLarge { .. }), "{e}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn identifiers_step_catches_bad_identifiers() {
    let doc = signed_food();
    let text = String::from_utf8(doc.as_bytes().to_vec()).unwrap();
    let id = doc.license().id().as_str().to_string();
    // Wrong check character.
    let last = id.chars().last().unwrap();
    let bad_check = format!(
        "{}{}",
        &id[..id.len() - 1],
        if last == '0' { '1' } else { '0' }
    );
    let r = rejected(text.replace(&id, &bad_check).as_bytes(), now());
    assert_eq!(r.step(), Step::Identifiers, "{r}");
    // Holder USCC with a wrong check character.
    let r = rejected(
        text.replace("91350100M000100Y43", "91350100M000100Y44")
            .as_bytes(),
        now(),
    );
    assert_eq!(r.step(), Step::Identifiers, "{r}");
    // An identifier that names another issuer than the issuer element.
    let mut data = doc.license().to_data();
    data.issuer = Organisation::new("x", other_bureau()).unwrap();
    assert!(matches!(
        License::new(data),
        Err(ModelError::IdentifierMismatch { .. })
    ));
}

#[test]
fn signature_step_failures() {
    let doc = signed_food();
    // A key nobody trusts.
    let stranger = SigningKey::from_seed(&[0x33; 32]);
    let d = SignedLicense::sign(food_license(), &stranger, ts("2025-05-22T02:00:00Z")).unwrap();
    let r = rejected(d.as_bytes(), now());
    assert!(
        matches!(r.failure(), Failure::UntrustedSigner { index: 0, .. }),
        "{r}"
    );
    // A trusted key of another organisation: not the issuer.
    let d = SignedLicense::sign(food_license(), &other_key(), ts("2025-05-22T02:00:00Z")).unwrap();
    let r = rejected(d.as_bytes(), now());
    assert!(
        matches!(r.failure(), Failure::NoIssuerSignature { .. }),
        "{r}"
    );
    // Signed after the verification time.
    let r = rejected(doc.as_bytes(), ts("2025-05-22T01:59:59Z"));
    assert_eq!(r.step(), Step::SignatureValue);
    assert!(
        matches!(r.failure(), Failure::SignedAfterVerificationTime { .. }),
        "{r}"
    );
}

#[test]
fn co_signatures_are_all_checked() {
    let doc = signed_food();
    let co = doc
        .add_signature(&other_key(), ts("2025-05-22T03:00:00Z"))
        .unwrap();
    assert_eq!(co.signatures().len(), 2);
    assert_eq!(co.license_bytes(), doc.license_bytes());
    verifier().verify(co.as_bytes(), now()).unwrap();
    // The co-signer untrusted: rejected even though the issuer signed.
    let stranger = SigningKey::from_seed(&[0x44; 32]);
    let co = doc
        .add_signature(&stranger, ts("2025-05-22T03:00:00Z"))
        .unwrap();
    let r = rejected(co.as_bytes(), now());
    assert!(
        matches!(r.failure(), Failure::UntrustedSigner { index: 1, .. }),
        "{r}"
    );
}

#[test]
fn schema_step() {
    // Unknown type.
    let v = Verifier::new(LicenseTypes::new())
        .with_trusted_keys(TrustedKeys::new().with(issuer_key().public_key(), bureau()));
    let r = v.verify(signed_food().as_bytes(), now()).unwrap_err();
    assert_eq!(r.step(), Step::Schema);
    assert!(matches!(r.failure(), Failure::UnknownType { .. }));
    // A required field missing (validly signed).
    let mut data = food_data();
    data.fields.remove("KZ_JYCS");
    let d = SignedLicense::sign(
        License::new(data).unwrap(),
        &issuer_key(),
        ts("2025-05-22T02:00:00Z"),
    )
    .unwrap();
    let r = rejected(d.as_bytes(), now());
    assert_eq!(r.step(), Step::Schema);
    assert!(
        matches!(
            r.failure(),
            Failure::Schema(SchemaError::MissingField { .. })
        ),
        "{r}"
    );
    // A value of the wrong kind; the value itself is not in the message.
    let mut data = food_data();
    data.fields.insert("KZ_FDDBR".into(), 1i64.into());
    let d = SignedLicense::sign(
        License::new(data).unwrap(),
        &issuer_key(),
        ts("2025-05-22T02:00:00Z"),
    )
    .unwrap();
    let r = rejected(d.as_bytes(), now());
    assert!(
        matches!(r.failure(), Failure::Schema(SchemaError::FieldKind { .. })),
        "{r}"
    );
    // Validity longer than the type allows (5 years).
    let mut data = food_data();
    data.valid_to = Some(date("2030-05-22"));
    let d = SignedLicense::sign(
        License::new(data).unwrap(),
        &issuer_key(),
        ts("2025-05-22T02:00:00Z"),
    )
    .unwrap();
    let r = rejected(d.as_bytes(), now());
    assert!(
        matches!(r.failure(), Failure::Schema(SchemaError::Validity { .. })),
        "{r}"
    );
    // A person cannot hold this type.
    let mut data = food_data();
    data.holder = Holder::new(
        "张三",
        HolderCode::new("111", "11010519491231002X").unwrap(),
    )
    .unwrap();
    let d = SignedLicense::sign(
        License::new(data).unwrap(),
        &issuer_key(),
        ts("2025-05-22T02:00:00Z"),
    )
    .unwrap();
    let r = rejected(d.as_bytes(), now());
    assert!(
        matches!(r.failure(), Failure::Schema(SchemaError::HolderKind { .. })),
        "{r}"
    );
    assert!(!r.to_string().contains("11010519491231002X"));
    assert!(!format!("{r:?}").contains("11010519491231002X"));
}

#[test]
fn validity_step_in_china_standard_time() {
    let doc = signed_food();
    // valid_from 2025-05-22 starts at 2025-05-21T16:00:00Z.
    let r = rejected(doc.as_bytes(), ts("2025-05-21T15:59:59Z"));
    // (signed at 02:00Z on the 22nd, so that time fails the signature step first)
    assert_eq!(r.step(), Step::SignatureValue);
    let mut data = food_data();
    data.valid_from = date("2025-06-01");
    data.valid_to = Some(date("2030-05-31"));
    let d = SignedLicense::sign(
        License::new(data).unwrap(),
        &issuer_key(),
        ts("2025-05-22T02:00:00Z"),
    )
    .unwrap();
    let r = rejected(d.as_bytes(), ts("2025-05-31T15:59:59Z"));
    assert_eq!(r.step(), Step::Validity);
    assert!(matches!(r.failure(), Failure::NotYetValid { .. }));
    verifier()
        .verify(d.as_bytes(), ts("2025-05-31T16:00:00Z"))
        .unwrap();
    // valid_to 2030-05-21 ends at 2030-05-21T16:00:00Z.
    verifier()
        .verify(doc.as_bytes(), ts("2030-05-21T15:59:59Z"))
        .unwrap();
    let r = rejected(doc.as_bytes(), ts("2030-05-21T16:00:00Z"));
    assert_eq!(r.step(), Step::Validity);
    assert!(matches!(r.failure(), Failure::Expired { .. }));
    // The report: earlier steps passed, validity failed, nothing after.
    let lines = r.report().to_string();
    assert!(lines.contains("[pass] signature_value"), "{lines}");
    assert!(lines.contains("[ na ] seal_maker_signature"), "{lines}");
    assert!(lines.contains("[FAIL] license_validity"), "{lines}");
    assert!(lines.contains("[ -- ] organisation (not run)"), "{lines}");
}

#[test]
fn a_faulty_signer_cannot_issue() {
    struct Faulty(SigningKey);
    impl Signer for Faulty {
        fn public_key(&self) -> PublicKey {
            self.0.public_key()
        }
        fn sign(&self, message: &[u8]) -> Result<Signature, SignError> {
            let mut s = self.0.sign_message(message).to_bytes();
            s[0] ^= 1;
            Ok(Signature::from_bytes(s))
        }
    }
    struct Down;
    impl Signer for Down {
        fn public_key(&self) -> PublicKey {
            issuer_key().public_key()
        }
        fn sign(&self, _: &[u8]) -> Result<Signature, SignError> {
            Err(SignError::backend("HSM unreachable"))
        }
    }
    assert_eq!(
        SignedLicense::sign(food_license(), &Faulty(issuer_key()), now()).unwrap_err(),
        SignError::FaultySignature
    );
    assert!(matches!(
        SignedLicense::sign(food_license(), &Down, now()).unwrap_err(),
        SignError::Backend { .. }
    ));
}

#[test]
fn decoding_round_trips_and_signing_is_deterministic() {
    let a = signed_food();
    let b = signed_food();
    assert_eq!(a.as_bytes(), b.as_bytes());
    let back = SignedLicense::decode(a.as_bytes()).unwrap();
    assert_eq!(back, a);
    assert_eq!(
        License::from_canonical_bytes(a.license_bytes(), 1 << 20).unwrap(),
        *a.license()
    );
}

/// The schema check finds a license's field problems in the order of a
/// field-by-field lookup: unknown and wrong-kind fields in key order, then the
/// first missing required field in definition order (the type defines its
/// fields out of key order).
#[test]
fn schema_field_problems_come_in_order() {
    let ty = food_type();
    let base = food_data();
    let keys: Vec<String> = base.fields.keys().cloned().collect();
    // One problem at a time or together: an unknown key before, among and
    // after the known ones; a text field given an integer.
    let unknown = [None, Some("KZ_A"), Some("KZ_JYCT"), Some("KZ_ZZ")];
    let wrong_kind = [None, Some("KZ_FDDBR"), Some("KZ_ZTYT")];
    let mut checked = 0;
    for kept in 0u32..(1 << keys.len()) {
        for extra in unknown {
            for bad in wrong_kind {
                let mut data = base.clone();
                for (i, k) in keys.iter().enumerate() {
                    if kept & (1 << i) == 0 {
                        data.fields.remove(k);
                    }
                }
                if let Some(k) = extra {
                    data.fields.insert(k.into(), "x".into());
                }
                if let Some(k) = bad {
                    data.fields.insert(k.into(), 1i64.into());
                }
                let license = License::new(data).unwrap();
                // The reference: look each field up.
                let mut expected = None;
                for (key, value) in license.fields() {
                    match ty.field(key) {
                        None => expected = Some(("unknown", key.clone())),
                        Some(_) if bad == Some(key.as_str()) => {
                            assert!(matches!(value, FieldValue::Integer(1)));
                            expected = Some(("kind", key.clone()));
                        }
                        Some(_) => continue,
                    }
                    break;
                }
                if expected.is_none() {
                    expected = ty
                        .fields()
                        .iter()
                        .find(|f| f.required && license.field(&f.key).is_none())
                        .map(|f| ("missing", f.key.clone()));
                }
                let got = match ty.check(&license) {
                    Ok(()) => None,
                    Err(SchemaError::UnknownField { key }) => Some(("unknown", key)),
                    Err(SchemaError::FieldKind { key, .. }) => Some(("kind", key)),
                    Err(SchemaError::MissingField { key, .. }) => Some(("missing", key)),
                    Err(e) => panic!("{e}"),
                };
                assert_eq!(got, expected, "kept {kept:b}, {extra:?}, {bad:?}");
                checked += 1;
            }
        }
    }
    assert!(checked > 100);
}
