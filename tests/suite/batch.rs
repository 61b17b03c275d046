//! Batch verification gives every input exactly the single verifier's result.

use base64::Engine as _;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::pkcs8::DecodePrivateKey;
use proptest::prelude::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha512};

use crate::fixtures::*;
use crate::seal::*;
use elicense::*;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The single verifier's result, in the batch's shape.
fn single(v: &Verifier, doc: &[u8], at: Timestamp) -> Result<(), Rejected> {
    v.verify(doc, at).map(|_| ())
}

fn assert_same(v: &Verifier, docs: &[Vec<u8>], chunk: usize, at: Timestamp) {
    let batch = BatchVerifier::new(v.clone()).with_chunk_size(chunk);
    let outcomes = batch.verify_slice(docs, at);
    assert_eq!(outcomes.len(), docs.len());
    for (i, (o, d)) in outcomes.iter().zip(docs).enumerate() {
        assert_eq!(o.index(), i);
        assert_eq!(o.result(), &single(v, d, at), "input {i}");
    }
}

#[test]
fn wycheproof_through_the_batch_api() {
    let cases = crate::wycheproof::cases();
    let items: Vec<(&[u8], &[u8], &[u8])> = cases
        .iter()
        .map(|(_, pk, m, s, _)| (&pk[..], &m[..], &s[..]))
        .collect();
    let all = verify_signatures(&items);
    for ((id, .., expected), got) in cases.iter().zip(&all) {
        assert_eq!(got, expected, "tcId {id} in one batch");
    }
    // Each alone, and interleaved with valid signatures of another key.
    let key = SigningKey::from_seed(&[0x77; 32]);
    let good: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = (0..cases.len())
        .map(|i| {
            let m = format!("filler {i}").into_bytes();
            let s = key.sign_message(&m).to_bytes().to_vec();
            (key.public_key().as_bytes().to_vec(), m, s)
        })
        .collect();
    let mut mixed: Vec<(&[u8], &[u8], &[u8])> = Vec::new();
    for (c, g) in items.iter().zip(&good) {
        mixed.push(*c);
        mixed.push((&g.0, &g.1, &g.2));
    }
    let v = verify_signatures(&mixed);
    for (i, (_, _, _, _, expected)) in cases.iter().enumerate() {
        assert_eq!(v[2 * i], *expected, "case {i} interleaved");
        assert!(v[2 * i + 1]);
        assert_eq!(verify_signatures(&[items[i]])[0], *expected);
    }
}

/// signer_a's Ed25519 secret scalar, to craft signatures no honest signer makes.
fn signer_a_scalar() -> Scalar {
    let pem = pki("signer_a.key.pem");
    ed25519_dalek::SigningKey::from_pkcs8_pem(&pem)
        .unwrap()
        .to_scalar()
}

fn eight_torsion() -> Vec<EdwardsPoint> {
    let g: [u8; 32] = (0..32)
        .map(|i| {
            u8::from_str_radix(
                &"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"
                    [2 * i..2 * i + 2],
                16,
            )
            .unwrap()
        })
        .collect::<Vec<u8>>()
        .try_into()
        .unwrap();
    let t = CompressedEdwardsY(g).decompress().unwrap();
    (0..8u64).map(|i| t * Scalar::from(i)).collect()
}

/// A sealed document whose seal signature is made with `R = rB + T`: the
/// signer's own key, a torsion defect `T`.
fn torsion_doc(license: &License, t: &EdwardsPoint, nonce: u64) -> Vec<u8> {
    let f = forge_for(license);
    let mut entry = f.entry();
    let tbs = serde_json_canonicalizer::to_vec(&entry["tbs"]).unwrap();
    let message = [SIGNATURE_CONTEXT, &tbs].concat();
    let a = signer_a_scalar();
    let public = cert("signer_a")
        .ed25519_key()
        .unwrap()
        .as_bytes()
        .to_owned();
    let r = Scalar::from(nonce.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let big_r = (EdwardsPoint::mul_base(&r) + t).compress().to_bytes();
    let mut h = Sha512::new();
    h.update(big_r);
    h.update(public);
    h.update(&message);
    let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
    let s = r + k * a;
    let sig = [big_r.as_slice(), s.as_bytes()].concat();
    entry["sig"] = B64.encode(sig).into();
    f.with_entries(vec![entry])
}

fn forge_for(license: &License) -> Forge {
    let mut f = Forge::new(&seal_a(), cert("signer_a"), key("signer_a"));
    f.license = license.to_canonical_bytes();
    f
}

/// The n-th license of a family: same type, issuer and holder, other number.
fn nth_license(n: u32) -> License {
    let mut d = sealed_license().to_data();
    d.number = format!("JY1330105{n:07}");
    d.id = LicenseId::from_parts(d.type_code, *d.id.issuer(), &format!("25{n:08}"), 1).unwrap();
    d.predecessor = None;
    License::new(d).unwrap()
}

fn sealed_nth(n: u32) -> Vec<u8> {
    SignedLicense::seal(nth_license(n), &sealer_a(), ts("2025-05-22T02:00:00Z"))
        .unwrap()
        .into_bytes()
}

#[derive(Debug, Clone)]
enum Kind {
    Valid,
    TamperedLicense,
    TamperedSignature(usize),
    Torsion(usize),
    WrongKey,
    Duplicate(usize),
    Garbage(Vec<u8>),
    SignedLater,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        6 => Just(Kind::Valid),
        1 => Just(Kind::TamperedLicense),
        1 => (0usize..64).prop_map(Kind::TamperedSignature),
        2 => (0usize..8).prop_map(Kind::Torsion),
        1 => Just(Kind::WrongKey),
        2 => (0usize..40).prop_map(Kind::Duplicate),
        1 => proptest::collection::vec(any::<u8>(), 0..64).prop_map(Kind::Garbage),
        1 => Just(Kind::SignedLater),
    ]
}

fn build(kinds: &[Kind]) -> Vec<Vec<u8>> {
    let torsion = eight_torsion();
    let mut docs: Vec<Vec<u8>> = Vec::new();
    for (i, k) in kinds.iter().enumerate() {
        let n = i as u32;
        let doc = match k {
            Kind::Valid => sealed_nth(n),
            Kind::TamperedLicense => {
                let doc = SignedLicense::decode(&sealed_nth(n)).unwrap();
                let mut d = doc.license().to_data();
                d.number.push('X');
                splice_license(&doc, &License::new(d).unwrap())
            }
            Kind::TamperedSignature(bit) => {
                let doc = SignedLicense::decode(&sealed_nth(n)).unwrap();
                let sig = doc.signatures()[0].signature().to_bytes();
                let mut bad = sig;
                bad[bit % 64] ^= 1 << (bit % 8);
                String::from_utf8(doc.into_bytes())
                    .unwrap()
                    .replace(&B64.encode(sig), &B64.encode(bad))
                    .into_bytes()
            }
            Kind::Torsion(t) => torsion_doc(&nth_license(n), &torsion[*t], n as u64 + 1),
            Kind::WrongKey => {
                let mut f = forge_for(&nth_license(n));
                f.key = key("signer_b");
                f.bytes()
            }
            Kind::Duplicate(j) if !docs.is_empty() => docs[j % docs.len()].clone(),
            Kind::Duplicate(_) => sealed_nth(n),
            Kind::Garbage(bytes) => bytes.clone(),
            Kind::SignedLater => {
                SignedLicense::seal(nth_license(n), &sealer_a(), ts("2027-01-01T00:00:00Z"))
                    .unwrap()
                    .into_bytes()
            }
        };
        docs.push(doc);
    }
    docs
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    /// Mixed batches: batch outcome == single outcome for every input, across
    /// chunk boundaries.
    #[test]
    fn mixed_batches_agree_with_single(kinds in proptest::collection::vec(kind(), 1..36), chunk in 1usize..16) {
        let docs = build(&kinds);
        assert_same(&seal_verifier(), &docs, chunk, now());
    }
}

#[test]
fn every_torsion_defect_agrees_with_single() {
    let torsion = eight_torsion();
    let mut docs = Vec::new();
    for (i, t) in torsion.iter().enumerate() {
        docs.push(torsion_doc(&nth_license(i as u32), t, i as u64 + 1));
        docs.push(sealed_nth(100 + i as u32));
    }
    // Pairs of opposite defects in one batch cannot cancel.
    docs.push(torsion_doc(&nth_license(50), &torsion[2], 7));
    docs.push(torsion_doc(&nth_license(51), &torsion[6], 8));
    assert_same(&seal_verifier(), &docs, 64, now());
}

#[test]
fn key_signed_licenses_too() {
    let mut docs: Vec<Vec<u8>> = (0..20)
        .map(|i| {
            let mut d = nth_license(i).to_data();
            d.seal = None;
            SignedLicense::sign(
                License::new(d).unwrap(),
                &issuer_key(),
                ts("2025-05-22T02:00:00Z"),
            )
            .unwrap()
            .into_bytes()
        })
        .collect();
    docs[3][60] ^= 1;
    let stranger = SigningKey::from_seed(&[0x5a; 32]);
    docs.push(
        SignedLicense::sign(food_license(), &stranger, ts("2025-05-22T02:00:00Z"))
            .unwrap()
            .into_bytes(),
    );
    assert_same(&verifier(), &docs, 8, now());
}

#[test]
fn json_lines_stream() {
    let v = seal_verifier();
    let good = sealed_nth(1);
    let mut input = Vec::new();
    let mut expected: Vec<Vec<u8>> = Vec::new();
    for (i, line) in [
        good.clone(),
        Vec::new(),
        b"not json".to_vec(),
        sealed_nth(2),
        good.clone(),
    ]
    .into_iter()
    .enumerate()
    {
        input.extend_from_slice(&line);
        input.extend_from_slice(if i == 3 { b"\r\n" } else { b"\n" });
        expected.push(line);
    }
    // Oversized lines (over the decoding limit), one ending "\r\n", and a
    // last line without "\n".
    let limit = v.options().limits.max_document_bytes;
    let huge = vec![b'x'; limit + 10];
    input.extend_from_slice(&huge);
    input.push(b'\n');
    expected.push(huge.clone());
    input.extend_from_slice(&huge);
    input.extend_from_slice(b"\r\n");
    expected.push(huge);
    input.extend_from_slice(&good);
    expected.push(good.clone());

    let batch = BatchVerifier::new(v.clone()).with_chunk_size(3);
    let mut outcomes = Vec::new();
    let summary = batch
        .verify_lines(&input[..], now(), |o| outcomes.push(o))
        .unwrap();
    assert_eq!(outcomes.len(), expected.len());
    for (i, (o, line)) in outcomes.iter().zip(&expected).enumerate() {
        assert_eq!(o.index(), i);
        assert_eq!(o.result(), &single(&v, line, now()), "line {i}");
    }
    assert_eq!(summary.total, expected.len());
    assert_eq!(summary.valid, 4);
    assert_eq!(
        outcomes[0].id(),
        Some(SignedLicense::decode(&good).unwrap().license().id())
    );
}

#[test]
fn one_bad_license_in_ten_thousand_is_found() {
    let doc = SignedLicense::decode(&sealed_nth(0)).unwrap();
    let template = String::from_utf8(doc.as_bytes().to_vec()).unwrap();
    // Ten thousand licenses: sign once per distinct license number.
    let n = 10_000;
    let docs: Vec<Vec<u8>> = (0..n).map(|i| sealed_nth(i as u32)).collect();
    let mut docs = docs;
    let bad = 7_321;
    let sig = B64.encode(
        SignedLicense::decode(&docs[bad]).unwrap().signatures()[0]
            .signature()
            .as_bytes(),
    );
    let mut raw = B64.decode(&sig).unwrap();
    raw[50] ^= 4;
    docs[bad] = String::from_utf8(docs[bad].clone())
        .unwrap()
        .replace(&sig, &B64.encode(raw))
        .into_bytes();
    let _ = template;
    let batch = BatchVerifier::new(seal_verifier());
    let outcomes = batch.verify_slice(&docs, now());
    let failed: Vec<usize> = outcomes
        .iter()
        .filter(|o| !o.is_valid())
        .map(BatchOutcome::index)
        .collect();
    assert_eq!(failed, vec![bad]);
    assert_eq!(outcomes[bad].failed_step(), Some(Step::SignatureValue));
}

#[test]
fn garbage_never_panics_and_matches_single() {
    let v = seal_verifier();
    let good = sealed_nth(9);
    let mut docs = vec![Vec::new(), b"{".to_vec(), b"[]".to_vec(), good.clone()];
    for cut in [1, 10, 100, 1000, good.len() - 1] {
        docs.push(good[..cut].to_vec());
    }
    let mut v2: Value = serde_json::from_slice(&good).unwrap();
    v2["signatures"] = json!([]);
    docs.push(serde_json_canonicalizer::to_vec(&v2).unwrap());
    assert_same(&v, &docs, 4, now());
}

/// A byte that is not UTF-8 anywhere in a document — in the license, in the
/// seal or signer the batch skips as byte-equal to known ones, in the
/// signature — is reported as the up-front UTF-8 check reports it, also when
/// the decoder meets another defect first; batch and single agree.
#[test]
fn invalid_utf8_anywhere_is_reported_at_the_first_bad_byte() {
    let v = seal_verifier();
    let good = sealed_nth(1);
    // The first document makes the seal and signer known to the batch.
    let mut docs = vec![sealed_nth(2)];
    for at in (0..good.len()).step_by(29).chain([good.len() - 1]) {
        let mut bad = good.clone();
        bad[at] = 0xff;
        let mut worse = bad.clone();
        // A structural defect before the bad byte.
        worse[at / 2] = b'\n';
        let both = if at >= 2 { vec![bad, worse] } else { vec![bad] };
        for doc in both {
            let first = std::str::from_utf8(&doc).unwrap_err().valid_up_to();
            match SignedLicense::decode(&doc) {
                Err(DecodeError::Json(e)) => {
                    assert_eq!(e.kind(), &JsonErrorKind::InvalidUtf8, "byte {at}");
                    assert_eq!(e.offset(), first, "byte {at}");
                }
                other => panic!("byte {at}: {other:?}"),
            }
            docs.push(doc);
        }
    }
    assert_same(&v, &docs, 7, now());
}

/// Writes the seed corpus of the batch_lines fuzz target
/// (`cargo test --test suite batch::write_fuzz_seeds -- --ignored`).
#[test]
#[ignore]
fn write_fuzz_seeds() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/batch_lines");
    std::fs::create_dir_all(&dir).unwrap();
    let kinds = [
        Kind::Valid,
        Kind::TamperedLicense,
        Kind::TamperedSignature(3),
        Kind::Torsion(4),
        Kind::WrongKey,
        Kind::Duplicate(0),
    ];
    let docs = build(&kinds);
    let mut all = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        std::fs::write(
            dir.join(format!("line_{i}.jsonl")),
            [d.as_slice(), b"\n"].concat(),
        )
        .unwrap();
        all.extend_from_slice(d);
        all.extend_from_slice(if i % 2 == 0 { b"\n" } else { b"\r\n" });
    }
    std::fs::write(dir.join("mixed.jsonl"), &all).unwrap();
    std::fs::write(dir.join("empty_lines.jsonl"), b"\n\n{}\n").unwrap();
}

/// Certificates and seals all good; license status known for some licenses only.
struct SomeLicenses(Vec<LicenseId>);

impl StatusSource for SomeLicenses {
    fn certificate_status(&self, _: &Certificate, _: Timestamp) -> RevocationStatus {
        RevocationStatus::Good
    }
    fn seal_status(&self, _: &str, _: Timestamp) -> RevocationStatus {
        RevocationStatus::Good
    }
    fn tracks_licenses(&self) -> bool {
        true
    }
    fn license_status(&self, id: &LicenseId, _: Timestamp) -> LicenseStanding {
        if self.0.contains(id) {
            LicenseStanding::InForce
        } else {
            LicenseStanding::Unknown
        }
    }
}

/// With a status source that keeps license status, the batch asks it once per
/// run and gives every license the single path's verdict: in force, suspended
/// since before or after the verification time, unknown, or with a bad
/// signature as well.
#[test]
fn license_status_agrees_with_single() {
    let docs: Vec<Vec<u8>> = (0..40).map(sealed_nth).collect();
    let id = |n: u32| nth_license(n).id().clone();
    let at = now();
    let mut listed = InMemoryStatus::complete_revocation_list();
    for n in 0..40u32 {
        match n % 4 {
            0 => {
                listed.set_license_status(
                    &id(n),
                    LicenseStatus::Suspended,
                    ts("2025-06-01T00:00:00Z"),
                );
            }
            1 => {
                listed.set_license_status(
                    &id(n),
                    LicenseStatus::Revoked,
                    ts("2099-01-01T00:00:00Z"),
                );
            }
            _ => {}
        }
    }
    let partial = SomeLicenses((0..40u32).step_by(3).map(id).collect());
    let mut mixed = docs.clone();
    // A bad signature on a suspended license: the signature step fails first.
    let last = mixed[8].len() - 10;
    mixed[8][last] ^= 1;
    let sources: Vec<std::sync::Arc<dyn StatusSource>> =
        vec![std::sync::Arc::new(listed), std::sync::Arc::new(partial)];
    for status in sources {
        let v = seal_verifier().with_shared_status(status);
        for chunk in [7, 4096] {
            assert_same(&v, &mixed, chunk, at);
        }
        let outcomes = BatchVerifier::new(v.clone()).verify_slice(&mixed, at);
        assert!(
            outcomes
                .iter()
                .any(|o| o.failed_step() == Some(Step::LicenseStatus))
        );
        assert!(outcomes.iter().any(|o| o.is_valid()));
        assert_ne!(outcomes[8].failed_step(), Some(Step::LicenseStatus));
    }
}
