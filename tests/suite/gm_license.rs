//! SM2 in the crate's own signed form: seals made with SM2 (`"alg":"SM2-SM3"`),
//! licenses sealed with SM2 signing certificates, verified single and batch
//! (verdicts identical, record by record, beside Ed25519-sealed licenses), and
//! issued by a resource library that runs on SM2 throughout.

use serde_json::Value;

use crate::fixtures::*;
use crate::seal::{anchors, org_a, sealed_food, sealed_license, spec};
use elicense::*;

pub struct Sm2Pki {
    pub root: Certificate,
    pub maker_cert: Certificate,
    pub maker_key: Sm2SigningKey,
    pub signer_cert: Certificate,
    pub signer_key: Sm2SigningKey,
}

fn cert_spec(cn: &str, serial: u64, ca: bool) -> Sm2CertificateSpec {
    Sm2CertificateSpec {
        common_name: cn.into(),
        organization: Some((org_a().name().into(), bureau())),
        serial,
        not_before: ts("2024-01-01T00:00:00Z"),
        not_after: ts("2030-01-01T00:00:00Z"),
        ca,
    }
}

fn sm2_key(seed: u8) -> Sm2SigningKey {
    Sm2SigningKey::from_bytes(&[seed; 32]).unwrap()
}

/// An SM2 root, a seal maker and a signer under it (keys from fixed scalars,
/// `root_seed` and the two after it).
pub fn sm2_pki(root_seed: u8) -> Sm2Pki {
    let root_key = sm2_key(root_seed);
    let root =
        issue_sm2_certificate(&cert_spec("SM2 Test Root", 1, true), &root_key, None).unwrap();
    let under = |cn, serial, key: &Sm2SigningKey| {
        issue_sm2_certificate(&cert_spec(cn, serial, false), key, Some((&root, &root_key))).unwrap()
    };
    let maker_key = sm2_key(root_seed + 1);
    let signer_key = sm2_key(root_seed + 2);
    Sm2Pki {
        maker_cert: under("SM2 Seal Maker", 2, &maker_key),
        signer_cert: under("SM2 Signer", 3, &signer_key),
        root,
        maker_key,
        signer_key,
    }
}

/// The SM2 sealer of organisation A (seal listing the signer's certificate).
pub fn sm2_sealer(pki: &Sm2Pki) -> Sealer<Box<dyn Signer>> {
    let maker = SealMaker::sm2(pki.maker_cert.clone(), vec![], pki.maker_key.clone()).unwrap();
    let seal = maker
        .make(spec(
            "3301020000099",
            org_a(),
            vec![SealCertRef::Certificate(pki.signer_cert.clone())],
        ))
        .unwrap();
    Sealer::sm2(
        seal,
        pki.signer_cert.clone(),
        vec![],
        pki.signer_key.clone(),
    )
    .unwrap()
}

pub fn sm2_sealed(pki: &Sm2Pki) -> SignedLicense {
    SignedLicense::seal(
        sealed_license(),
        &sm2_sealer(pki),
        ts("2025-05-22T02:00:00Z"),
    )
    .unwrap()
}

/// Trusts the Ed25519 test root and `pki`'s SM2 root.
pub fn verifier_for(pki: &Sm2Pki) -> Verifier {
    Verifier::new(LicenseTypes::new().with(food_type()))
        .with_trust_anchors(anchors().with(pki.root.clone()))
        .with_status(InMemoryStatus::complete_revocation_list())
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

fn canon(v: &Value) -> Vec<u8> {
    serde_json_canonicalizer::to_vec(v).unwrap()
}

/// `bytes` with `f` applied to its JSON and re-canonicalised.
fn edit(bytes: &[u8], f: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v = json(bytes);
    f(&mut v);
    canon(&v)
}

/// A base64 string with one bit of its byte `i` flipped.
fn flip_b64(s: &mut Value, i: usize) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut raw = b64.decode(s.as_str().unwrap()).unwrap();
    raw[i] ^= 0x01;
    *s = Value::String(b64.encode(raw));
}

#[test]
fn an_sm2_sealed_license_verifies_single_and_batch() {
    let pki = sm2_pki(0x31);
    let doc = sm2_sealed(&pki);
    let v = json(doc.as_bytes());
    assert_eq!(v["signatures"][0]["tbs"]["alg"], "SM2-SM3");
    assert_eq!(v["signatures"][0]["seal"]["alg"], "SM2-SM3");
    let sig = &doc.signatures()[0];
    assert_eq!(sig.tbs().algorithm(), Algorithm::Sm2Sm3);
    assert_eq!(sig.seal().unwrap().algorithm(), Algorithm::Sm2Sm3);
    // What is carried is canonical and decodes to itself.
    assert_eq!(canon(&v), doc.as_bytes());
    assert_eq!(SignedLicense::decode(doc.as_bytes()).unwrap(), doc);

    // The license signature is SM2 over the documented message, for the
    // standard user id, by the signer certificate's key.
    let key = pki.signer_cert.sm2_key().unwrap();
    assert_eq!(key.user_id(), SM2_DEFAULT_USER_ID);
    key.verify(
        &sig.message(),
        &Sm2Signature::from_bytes(sig.signature().as_bytes()),
    )
    .unwrap();
    let seal = sig.seal().unwrap();
    pki.maker_cert
        .sm2_key()
        .unwrap()
        .verify(
            &seal.message(),
            &Sm2Signature::from_bytes(seal.signature().as_bytes()),
        )
        .unwrap();

    let verifier = verifier_for(&pki);
    let ok = verifier.verify(doc.as_bytes(), now()).unwrap();
    assert!(ok.report().passed());
    assert_eq!(ok.license().number(), "JY13301050012345");
    let batch = BatchVerifier::new(verifier.clone());
    let out = batch.verify_slice(&[doc.as_bytes()], now());
    assert!(out[0].is_valid(), "{:?}", out[0].result());
    // The cached single path agrees.
    let mut cache = VerifyCache::new();
    for _ in 0..2 {
        verifier
            .verify_cached(doc.as_bytes(), now(), &mut cache)
            .unwrap();
    }
}

#[test]
fn sm2_makers_and_sealers_refuse_mismatched_keys() {
    let pki = sm2_pki(0x41);
    // The signer's key for the maker's certificate.
    assert!(matches!(
        SealMaker::sm2(pki.maker_cert.clone(), vec![], pki.signer_key.clone()),
        Err(SealError::MakerKeyMismatch)
    ));
    // An Ed25519 certificate for an SM2 key, an SM2 certificate for Ed25519.
    assert!(
        SealMaker::sm2(
            crate::seal::cert("seal_maker"),
            vec![],
            pki.maker_key.clone()
        )
        .is_err()
    );
    assert!(SealMaker::new(pki.maker_cert.clone(), vec![], issuer_key()).is_err());
    let seal = sm2_sealer(&pki).seal().clone();
    assert!(
        Sealer::sm2(
            seal.clone(),
            pki.signer_cert.clone(),
            vec![],
            pki.maker_key.clone()
        )
        .is_err()
    );
    // A certificate the seal does not list.
    assert!(matches!(
        Sealer::sm2(seal, pki.maker_cert.clone(), vec![], pki.maker_key.clone()),
        Err(SealError::Invalid { field: "cert", .. })
    ));
    // Another user id than the standard one.
    let other_id = Sm2SigningKey::from_bytes_with_id(&[0x43; 32], "ALICE123@YAHOO.COM").unwrap();
    assert!(SealMaker::sm2(pki.signer_cert.clone(), vec![], other_id).is_err());
}

/// A named document and the step and failure kind it must fail at (`None`: valid).
type Case = (String, Vec<u8>, Option<(Step, &'static str)>);

/// Documents of both algorithms, good and tampered, with the step and
/// failure kind each must fail at (`None`: valid).
fn mixed_cases(pki: &Sm2Pki, rogue: &Sm2Pki) -> Vec<Case> {
    let ed = sealed_food();
    let sm = sm2_sealed(pki);
    let mut cases: Vec<Case> = Vec::new();
    for (alg, doc) in [("ed25519", &ed), ("sm2", &sm)] {
        let b = doc.as_bytes();
        cases.push((format!("{alg} good"), b.to_vec(), None));
        for i in [0usize, 31, 32, 63] {
            cases.push((
                format!("{alg} signature byte {i}"),
                edit(b, |v| flip_b64(&mut v["signatures"][0]["sig"], i)),
                Some((Step::SignatureValue, "invalid_signature")),
            ));
        }
        // The seal maker's signature: the seal's bytes change, so the
        // signature names another seal.
        cases.push((
            format!("{alg} seal signature"),
            edit(b, |v| flip_b64(&mut v["signatures"][0]["seal"]["sig"], 5)),
            Some((Step::SignatureValue, "seal_digest_mismatch")),
        ));
        // A changed license: the signatures stand, the data hash does not.
        cases.push((
            format!("{alg} license number"),
            edit(b, |v| v["license"]["number"] = "JY13301050099999".into()),
            Some((Step::DataHash, "data_hash_mismatch")),
        ));
        // Algorithm substitution: the to-be-signed block names the other one.
        let other = if alg == "sm2" { "Ed25519" } else { "SM2-SM3" };
        cases.push((
            format!("{alg} tbs alg {other}"),
            edit(b, |v| v["signatures"][0]["tbs"]["alg"] = other.into()),
            Some((Step::SignatureValue, "signer_key")),
        ));
        cases.push((
            format!("{alg} truncated"),
            b[..b.len() - 1].to_vec(),
            Some((Step::Parse, "decode")),
        ));
    }
    // The SM2 signer certificate of another root (same key, same name):
    // the seal lists it, the maker is trusted; its chain fails.
    let rogue_cert = {
        let root_key = sm2_key(0x51);
        assert_eq!(rogue.root.subject(), pki.root.subject());
        issue_sm2_certificate(
            &cert_spec("SM2 Signer", 3, false),
            &pki.signer_key,
            Some((&rogue.root, &root_key)),
        )
        .unwrap()
    };
    let maker = SealMaker::sm2(pki.maker_cert.clone(), vec![], pki.maker_key.clone()).unwrap();
    let seal = maker
        .make(spec(
            "3301020000098",
            org_a(),
            vec![SealCertRef::Certificate(rogue_cert.clone())],
        ))
        .unwrap();
    let sealer = Sealer::sm2(seal.clone(), rogue_cert, vec![], pki.signer_key.clone()).unwrap();
    let doc = SignedLicense::seal(sealed_license(), &sealer, ts("2025-05-22T02:00:00Z")).unwrap();
    cases.push((
        "sm2 signer under another root".into(),
        doc.into_bytes(),
        Some((Step::SignerCertificate, "signer_certificate")),
    ));
    // A seal made by a maker under another root.
    let rogue_sealer = sm2_sealer(rogue);
    let doc =
        SignedLicense::seal(sealed_license(), &rogue_sealer, ts("2025-05-22T02:00:00Z")).unwrap();
    cases.push((
        "sm2 maker under another root".into(),
        doc.into_bytes(),
        Some((Step::SealMakerCertificate, "seal_maker_certificate")),
    ));
    // The good seal's info with a valid SM2 signature by another key (the
    // rogue maker's): the maker-signature step.
    let good_seal = sm.signatures()[0].seal().unwrap();
    let forged = {
        let msg = good_seal.message();
        let sig = rogue.maker_key.sign(&msg).to_bytes();
        let mut v = json(good_seal.as_bytes());
        use base64::Engine as _;
        v["sig"] = base64::engine::general_purpose::STANDARD.encode(sig).into();
        v
    };
    // Seal the license with the forged seal (the signature names it).
    let forged_seal = Seal::decode(&canon(&forged)).unwrap();
    let sealer = Sealer::sm2(
        forged_seal,
        pki.signer_cert.clone(),
        vec![],
        pki.signer_key.clone(),
    )
    .unwrap();
    let doc = SignedLicense::seal(sealed_license(), &sealer, ts("2025-05-22T02:00:00Z")).unwrap();
    cases.push((
        "sm2 seal signed by another key".into(),
        doc.into_bytes(),
        Some((Step::SealMakerSignature, "invalid_seal_signature")),
    ));
    cases
}

#[test]
fn mixed_batches_give_the_single_verdicts_record_by_record() {
    let pki = sm2_pki(0x31);
    let rogue = sm2_pki(0x51);
    let verifier = verifier_for(&pki);
    let cases = mixed_cases(&pki, &rogue);
    for (name, bytes, expected) in &cases {
        let single = verifier.verify(bytes, now());
        match (expected, &single) {
            (None, Ok(_)) => {}
            (Some((step, kind)), Err(r)) => {
                assert_eq!(r.step(), *step, "{name}: {}", r.report());
                assert_eq!(r.failure().kind(), *kind, "{name}: {}", r.report());
            }
            _ => panic!("{name}: {:?}", single.as_ref().map(|_| ())),
        }
    }
    // Many copies interleaved (more than one task of 512), in two chunk sizes.
    let docs: Vec<&[u8]> = (0..1100)
        .map(|i| cases[i % cases.len()].1.as_slice())
        .collect();
    let singles: Vec<Result<(), Rejected>> = cases
        .iter()
        .map(|(_, b, _)| verifier.verify(b, now()).map(|_| ()))
        .collect();
    for chunk in [4096, 97] {
        let batch = BatchVerifier::new(verifier.clone()).with_chunk_size(chunk);
        let out = batch.verify_slice(&docs, now());
        assert_eq!(out.len(), docs.len());
        for (i, o) in out.iter().enumerate() {
            assert_eq!(o.index(), i);
            assert_eq!(
                o.result(),
                &singles[i % cases.len()],
                "{} (chunk {chunk})",
                cases[i % cases.len()].0
            );
        }
        // And as JSON Lines.
        let mut lines = Vec::new();
        for d in &docs[..200] {
            lines.extend_from_slice(d);
            lines.push(b'\n');
        }
        let mut got = Vec::new();
        batch
            .verify_lines(&lines[..], now(), |o| got.push(o))
            .unwrap();
        for (i, o) in got.iter().enumerate() {
            assert_eq!(o.result(), &singles[i % cases.len()]);
        }
    }
}

#[test]
fn a_resource_library_issues_and_verifies_on_sm2() {
    let pki = sm2_pki(0x61);
    let verifier = verifier_for(&pki);
    let lib = ResourceLibrary::new(MemoryStore::new(), verifier.clone())
        .unwrap()
        .with_issuer(org_a(), "330102".parse().unwrap(), sm2_sealer(&pki))
        .unwrap();
    let d = food_data();
    let request = IssueRequest {
        type_code: d.type_code,
        number: d.number,
        holder: d.holder,
        valid_from: d.valid_from,
        valid_to: d.valid_to,
        fields: d.fields,
        attachments: d.attachments,
    };
    let issued = lib
        .issue(&bureau(), request, ts("2025-06-01T00:00:00Z"))
        .unwrap();
    assert_eq!(issued.signatures()[0].tbs().algorithm(), Algorithm::Sm2Sm3);
    verifier.verify(issued.as_bytes(), now()).unwrap();
    let result = lib.verify_bytes(issued.as_bytes(), now()).unwrap();
    assert_eq!(result.code(), VerifyCode::Valid, "{result:?}");
}

/// The committed SM2-sealed document (tests/data/gm/) verifies with its root.
#[test]
fn the_committed_sm2_document_verifies() {
    let (doc, root) = crate::gm_license_fixture::load();
    let v = Verifier::new(LicenseTypes::new().with(food_type()))
        .with_trust_anchors(TrustAnchors::new().with(root))
        .with_status(InMemoryStatus::complete_revocation_list());
    v.verify(&doc, now()).unwrap();
    assert!(BatchVerifier::new(v).verify_slice(&[&doc], now())[0].is_valid());
}

/// Rewrites tests/data/gm/ (`cargo test --features gm --test suite
/// gm_license::generate -- --ignored`).
#[test]
#[ignore]
fn generate() {
    let pki = sm2_pki(0x71);
    let dir = format!("{}/tests/data/gm", env!("CARGO_MANIFEST_DIR"));
    std::fs::write(
        format!("{dir}/sm2_sealed.json"),
        sm2_sealed(&pki).as_bytes(),
    )
    .unwrap();
    std::fs::write(format!("{dir}/sm2_root.der"), pki.root.der()).unwrap();
}

/// A bit flipped anywhere in an SM2-sealed document (every 7th byte) is
/// refused, single and batch alike; one in the SM2 values themselves at the
/// step that checks them.
#[test]
fn flipped_bytes_anywhere_give_the_same_verdicts_single_and_batch() {
    let pki = sm2_pki(0x31);
    let verifier = verifier_for(&pki);
    let doc = sm2_sealed(&pki);
    let bytes = doc.as_bytes();
    let mut docs = Vec::new();
    for i in (0..bytes.len()).step_by(7) {
        let mut b = bytes.to_vec();
        b[i] ^= 0x01;
        docs.push(b);
    }
    let singles: Vec<_> = docs
        .iter()
        .map(|d| verifier.verify(d, now()).map(|_| ()))
        .collect();
    let out = BatchVerifier::new(verifier.clone()).verify_slice(&docs, now());
    for (i, (o, s)) in out.iter().zip(&singles).enumerate() {
        assert_eq!(o.result(), s, "byte {}", i * 7);
        assert!(s.is_err(), "byte {} accepted", i * 7);
    }
    // Every byte of the two SM2 signature values.
    for (field, step, kind) in [
        ("sig", Step::SignatureValue, "invalid_signature"),
        ("seal", Step::SealMakerSignature, "invalid_seal_signature"),
    ] {
        for i in 0..64 {
            let sealer = sm2_sealer(&pki);
            let d = if field == "sig" {
                edit(bytes, |v| flip_b64(&mut v["signatures"][0]["sig"], i))
            } else {
                // A seal with a flipped maker signature, sealed anew (so the
                // license signature names it and is valid).
                let mut v = json(sealer.seal().as_bytes());
                flip_b64(&mut v["sig"], i);
                let seal = Seal::decode(&canon(&v)).unwrap();
                let s = Sealer::sm2(
                    seal,
                    pki.signer_cert.clone(),
                    vec![],
                    pki.signer_key.clone(),
                )
                .unwrap();
                SignedLicense::seal(sealed_license(), &s, ts("2025-05-22T02:00:00Z"))
                    .unwrap()
                    .into_bytes()
            };
            let r = verifier.verify(&d, now()).unwrap_err();
            assert_eq!(
                (r.step(), r.failure().kind()),
                (step, kind),
                "{field} byte {i}"
            );
            let b = BatchVerifier::new(verifier.clone()).verify_slice(&[&d], now());
            assert_eq!(b[0].result(), &Err(r));
        }
    }
}
