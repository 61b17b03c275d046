//! Electronic seals: making seals, sealing licenses, and verification in the
//! GB/T 38540 order — each step can fail on its own and is reported as that step.

use base64::Engine as _;
use serde_json::{Value, json};
use sha2::Digest;

use crate::fixtures::*;
use elicense::*;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

pub fn pki(name: &str) -> String {
    let path = format!("{}/tests/data/pki/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn cert(name: &str) -> Certificate {
    Certificate::from_pem(&pki(&format!("{name}.cert.pem"))).unwrap()
}

pub fn key(name: &str) -> SigningKey {
    SigningKey::from_pkcs8_pem(&pki(&format!("{name}.key.pem"))).unwrap()
}

pub fn anchors() -> TrustAnchors {
    TrustAnchors::new().with(cert("root"))
}

pub const SVG_TEXT: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="42mm" height="42mm" viewBox="0 0 42 42"><circle cx="21" cy="21" r="20" fill="none" stroke="#d00" stroke-width="1.2"/><text x="21" y="24" font-size="4" text-anchor="middle" fill="#d00">证照专用章</text></svg>"##;
pub const SVG: &[u8] = SVG_TEXT.as_bytes();

pub fn picture() -> SealPicture {
    SealPicture::new(PictureType::Svg, SVG.to_vec(), 42, 42).unwrap()
}

pub fn org_a() -> Organisation {
    Organisation::new("杭州市上城区市场监督管理局", bureau()).unwrap()
}

pub fn org_b() -> Organisation {
    Organisation::new("长沙市市场监督管理局", other_bureau()).unwrap()
}

/// A seal spec for `holder`, listing `certs`.
pub fn spec(id: &str, holder: Organisation, certs: Vec<SealCertRef>) -> SealSpec {
    SealSpec {
        vendor: "elicense-test".into(),
        id: id.into(),
        seal_type: SealType::License,
        name: format!("{}证照专用章", holder.name()),
        holder,
        certs,
        created_at: ts("2024-06-01T00:00:00Z"),
        valid_from: ts("2024-06-01T00:00:00Z"),
        valid_to: ts("2029-06-01T00:00:00Z"),
        picture: picture(),
        extensions: vec![],
    }
}

pub fn maker() -> SealMaker<SigningKey> {
    SealMaker::new(cert("seal_maker"), vec![], key("seal_maker")).unwrap()
}

/// A sealer for `signer`: a seal `id` of `holder` made by the test seal
/// maker, listing `signer`'s certificate whole, with `signer`'s key.
pub fn sealer_of(
    id: &str,
    holder: Organisation,
    signer: &str,
    chain: Vec<Certificate>,
) -> Sealer<SigningKey> {
    let seal = maker()
        .make(spec(
            id,
            holder,
            vec![SealCertRef::Certificate(cert(signer))],
        ))
        .unwrap();
    Sealer::new(seal, cert(signer), chain, key(signer)).unwrap()
}

pub fn seal_a() -> Seal {
    maker()
        .make(spec(
            "3301020000001",
            org_a(),
            vec![SealCertRef::Certificate(cert("signer_a"))],
        ))
        .unwrap()
}

pub fn sealer_a() -> Sealer<SigningKey> {
    Sealer::new(
        seal_a(),
        cert("signer_a"),
        vec![cert("signer_ca")],
        key("signer_a"),
    )
    .unwrap()
}

/// The fixture license with sealing information matching `sealer_a`.
pub fn sealed_license() -> License {
    let mut data = food_data();
    data.seal = Some(
        SealInfo::new(
            org_a(),
            "杭州市上城区市场监督管理局证照专用章",
            ts("2025-05-22T02:00:00Z"),
        )
        .unwrap(),
    );
    License::new(data).unwrap()
}

pub fn sealed_food() -> SignedLicense {
    SignedLicense::seal(sealed_license(), &sealer_a(), ts("2025-05-22T02:00:00Z")).unwrap()
}

pub fn seal_verifier() -> Verifier {
    Verifier::new(LicenseTypes::new().with(food_type()))
        .with_trust_anchors(anchors())
        .with_status(InMemoryStatus::complete_revocation_list())
}

/// (certificate fixture, intermediates, expected chain error)
type ChainCase = (&'static str, Vec<Certificate>, fn(&ChainError) -> bool);

fn reject(v: &Verifier, bytes: &[u8]) -> Rejected {
    v.verify(bytes, now()).expect_err("must be rejected")
}

fn fails_at(bytes: &[u8], step: Step) -> Failure {
    let r = reject(&seal_verifier(), bytes);
    assert_eq!(r.step(), step, "{r}");
    r.failure().clone()
}

fn canon(v: &Value) -> Vec<u8> {
    serde_json_canonicalizer::to_vec(v).unwrap()
}

fn sha_hex(b: &[u8]) -> String {
    sha2::Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// Builds a sealed document by hand with an independent canonicaliser: lets a
/// test sign whatever it likes (a forged seal, a certificate not in the list…).
pub struct Forge {
    pub license: Vec<u8>,
    pub seal: Value,
    pub cert: Certificate,
    pub chain: Vec<Certificate>,
    pub key: SigningKey,
    pub signed_at: String,
}

impl Forge {
    pub fn new(seal: &Seal, cert: Certificate, key: SigningKey) -> Forge {
        Forge {
            license: sealed_license().to_canonical_bytes(),
            seal: serde_json::from_slice(seal.as_bytes()).unwrap(),
            cert,
            chain: vec![crate::seal::cert("signer_ca")],
            key,
            signed_at: "2025-05-22T02:00:00Z".into(),
        }
    }

    pub fn entry(&self) -> Value {
        let tbs = json!({
            "alg": "Ed25519",
            "dataHash": sha_hex(&self.license),
            "seal": sha_hex(&canon(&self.seal)),
            "signedAt": self.signed_at,
            "signer": sha_hex(self.cert.der()),
            "v": 1,
        });
        let message = [SIGNATURE_CONTEXT, &canon(&tbs)].concat();
        let sig = self.key.sign_message(&message);
        let mut signer = json!({ "cert": B64.encode(self.cert.der()) });
        if !self.chain.is_empty() {
            signer["chain"] = self.chain.iter().map(|c| B64.encode(c.der())).collect();
        }
        json!({ "seal": self.seal, "sig": B64.encode(sig.as_bytes()), "signer": signer, "tbs": tbs })
    }

    pub fn bytes(&self) -> Vec<u8> {
        self.with_entries(vec![self.entry()])
    }

    pub fn with_entries(&self, entries: Vec<Value>) -> Vec<u8> {
        let license: Value = serde_json::from_slice(&self.license).unwrap();
        canon(&json!({ "format": "elicense/1", "license": license, "signatures": entries }))
    }
}

#[test]
fn a_sealed_license_passes_every_step_in_order() {
    let doc = sealed_food();
    let v = seal_verifier().verify(doc.as_bytes(), now()).unwrap();
    let steps: Vec<Step> = v.report().checks().iter().map(|c| c.step()).collect();
    assert_eq!(steps, Step::ALL);
    assert!(
        v.report()
            .checks()
            .iter()
            .all(|c| c.outcome() == &Outcome::Passed
                || (matches!(c.step(), Step::LicenseStatus | Step::Recognition)
                    && c.outcome() == &Outcome::NotApplicable)),
        "{}",
        v.report()
    );
    let sig = &v.signatures()[0];
    assert_eq!(
        sig.seal().unwrap().name(),
        "杭州市上城区市场监督管理局证照专用章"
    );
    assert_eq!(
        sig.signer().certificate().unwrap().organization(),
        Some(&bureau())
    );
    // The document is canonical and decodes to itself.
    assert_eq!(SignedLicense::decode(doc.as_bytes()).unwrap(), doc);
    // Sealing is deterministic.
    assert_eq!(sealed_food().as_bytes(), doc.as_bytes());
    // The forge (an independent encoder) reproduces it byte for byte.
    let forged = Forge::new(&seal_a(), cert("signer_a"), key("signer_a"));
    assert_eq!(forged.bytes(), doc.as_bytes());
}

#[test]
fn seals_round_trip_and_refuse_bad_input() {
    let seal = seal_a();
    assert_eq!(Seal::decode(seal.as_bytes()).unwrap(), seal);
    assert_eq!(seal.seal_type(), SealType::License);
    assert_eq!(seal.holder().code(), &bureau());
    assert!(seal.binds_maker());
    // Digest-only certificate lists.
    let by_digest = maker()
        .make(spec(
            "3301020000002",
            org_a(),
            vec![SealCertRef::Digest(cert("signer_a").fingerprint())],
        ))
        .unwrap();
    let sealer = Sealer::new(
        by_digest,
        cert("signer_a"),
        vec![cert("signer_ca")],
        key("signer_a"),
    )
    .unwrap();
    let doc = SignedLicense::seal(sealed_license(), &sealer, ts("2025-05-22T02:00:00Z")).unwrap();
    seal_verifier().verify(doc.as_bytes(), now()).unwrap();
    // Bad specs.
    let mut s = spec("bad id!", org_a(), vec![SealCertRef::Digest([1; 32])]);
    assert!(maker().make(s.clone()).is_err());
    s.id = "ok".into();
    s.certs.clear();
    assert!(maker().make(s.clone()).is_err());
    s.certs = vec![SealCertRef::Digest([1; 32])];
    s.valid_to = ts("2020-01-01T00:00:00Z");
    assert!(maker().make(s).is_err());
    assert!(SealPicture::new(PictureType::Png, SVG.to_vec(), 40, 40).is_err());
    assert!(SealPicture::new(PictureType::Svg, vec![b'<'; 70_000], 40, 40).is_err());
    assert!(SealPicture::new(PictureType::Svg, SVG.to_vec(), 0, 40).is_err());
    // A maker whose key is not its certificate's.
    assert!(matches!(
        SealMaker::new(cert("seal_maker"), vec![], key("signer_a")),
        Err(SealError::MakerKeyMismatch)
    ));
    // A sealer whose certificate the seal does not list.
    assert!(Sealer::new(seal_a(), cert("signer_b"), vec![], key("signer_b")).is_err());
    // Garbage never panics.
    for bad in [
        &b""[..],
        b"{}",
        b"{\"alg\":\"Ed25519\"}",
        &seal.as_bytes()[..100],
    ] {
        assert!(Seal::decode(bad).is_err());
    }
}

#[test]
fn signature_value_step() {
    let doc = sealed_food();
    // A bit of the signature flipped.
    let mut f = Forge::new(&seal_a(), cert("signer_a"), key("signer_a"));
    let mut e = f.entry();
    let mut sig = B64.decode(e["sig"].as_str().unwrap()).unwrap();
    sig[10] ^= 1;
    e["sig"] = B64.encode(sig).into();
    assert!(matches!(
        fails_at(&f.with_entries(vec![e]), Step::SignatureValue),
        Failure::InvalidSignature { index: 0 }
    ));
    // Signed by another key than the certificate's.
    f.key = key("signer_b");
    assert!(matches!(
        fails_at(&f.bytes(), Step::SignatureValue),
        Failure::InvalidSignature { .. }
    ));
    // A signer certificate with a P-256 key: the algorithm is named.
    let f = Forge::new(&seal_a(), cert("signer_p256"), key("signer_a"));
    match fails_at(&f.bytes(), Step::SignatureValue) {
        Failure::SignerKey { reason, .. } => assert!(reason.contains("P-256"), "{reason}"),
        other => panic!("{other:?}"),
    }
    // Signed after the verification time.
    let r = seal_verifier()
        .verify(doc.as_bytes(), ts("2025-05-22T01:59:59Z"))
        .unwrap_err();
    assert_eq!(r.step(), Step::SignatureValue);
}

#[test]
fn signer_in_seal_step_and_swapped_certificate_list() {
    // The seal lists signer_b only; signer_a signs with it.
    let seal = maker()
        .make(spec(
            "3301020000003",
            org_a(),
            vec![SealCertRef::Certificate(cert("signer_b"))],
        ))
        .unwrap();
    let f = Forge::new(&seal, cert("signer_a"), key("signer_a"));
    assert!(matches!(
        fails_at(&f.bytes(), Step::SignerInSeal),
        Failure::SignerNotInSeal { index: 0 }
    ));
    // The certificate list of a genuine seal swapped for another: the maker's
    // signature no longer covers it.
    let mut f = Forge::new(&seal_a(), cert("signer_a"), key("signer_a"));
    f.seal["info"]["property"]["certs"] = json!([{ "cert": B64.encode(cert("signer_b").der()) }, { "cert": B64.encode(cert("signer_a").der()) }]);
    assert!(matches!(
        fails_at(&f.bytes(), Step::SealMakerSignature),
        Failure::InvalidSealSignature { .. }
    ));
}

#[test]
fn seal_maker_signature_step() {
    // A seal field changed after the maker signed (name).
    let mut f = Forge::new(&seal_a(), cert("signer_a"), key("signer_a"));
    f.seal["info"]["property"]["name"] = "伪造的证照专用章".into();
    assert!(matches!(
        fails_at(&f.bytes(), Step::SealMakerSignature),
        Failure::InvalidSealSignature { .. }
    ));
    // The maker certificate carried swapped for another.
    let mut f = Forge::new(&seal_a(), cert("signer_a"), key("signer_a"));
    f.seal["maker"]["cert"] = B64.encode(cert("signer_b").der()).into();
    assert!(matches!(
        fails_at(&f.bytes(), Step::SealMakerSignature),
        Failure::SealMakerNotBound { .. }
    ));
}

#[test]
fn seal_maker_certificate_step() {
    let seal_by = |maker_name: &str, chain: Vec<Certificate>| {
        SealMaker::new(cert(maker_name), chain, key(maker_name))
            .unwrap()
            .make(spec(
                "3301020000004",
                org_a(),
                vec![SealCertRef::Certificate(cert("signer_a"))],
            ))
            .unwrap()
    };
    let cases: Vec<ChainCase> = vec![
        ("signer_expired", vec![cert("signer_ca")], |e| {
            matches!(e, ChainError::Expired { .. })
        }),
        ("signer_unknown_root", vec![], |e| {
            matches!(e, ChainError::UnknownIssuer { .. })
        }),
        ("signer_wrong_ku", vec![cert("signer_ca")], |e| {
            matches!(e, ChainError::MissingKeyUsage { .. })
        }),
    ];
    for (name, chain, expected) in cases {
        let seal = seal_by(name, chain);
        let sealer = Sealer::new(
            seal,
            cert("signer_a"),
            vec![cert("signer_ca")],
            key("signer_a"),
        )
        .unwrap();
        let doc =
            SignedLicense::seal(sealed_license(), &sealer, ts("2025-05-22T02:00:00Z")).unwrap();
        match fails_at(doc.as_bytes(), Step::SealMakerCertificate) {
            Failure::SealMakerCertificate { error, .. } => {
                assert!(expected(&error), "{name}: {error}")
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

fn sealer_with(s: SealSpec) -> Sealer<SigningKey> {
    Sealer::new(
        maker().make(s).unwrap(),
        cert("signer_a"),
        vec![cert("signer_ca")],
        key("signer_a"),
    )
    .unwrap()
}

fn a_spec() -> SealSpec {
    spec(
        "3301020000005",
        org_a(),
        vec![SealCertRef::Certificate(cert("signer_a"))],
    )
}

#[test]
fn seal_validity_step() {
    let at = ts("2025-05-22T02:00:00Z");
    // An expired seal.
    let mut s = a_spec();
    s.valid_to = ts("2025-01-01T00:00:00Z");
    let doc = SignedLicense::seal(sealed_license(), &sealer_with(s), at).unwrap();
    assert!(matches!(
        fails_at(doc.as_bytes(), Step::SealValidity),
        Failure::SealNotValidAtSigning { .. }
    ));
    // Made after the signing time.
    let mut s = a_spec();
    s.created_at = ts("2025-06-01T00:00:00Z");
    let doc = SignedLicense::seal(sealed_license(), &sealer_with(s), at).unwrap();
    assert!(matches!(
        fails_at(doc.as_bytes(), Step::SealValidity),
        Failure::SealMadeAfterSigning { .. }
    ));
    // An unknown critical extension.
    let mut s = a_spec();
    s.extensions = vec![SealExtension::new("1.2.156.99999.1", true, b"x".to_vec()).unwrap()];
    let doc = SignedLicense::seal(sealed_license(), &sealer_with(s), at).unwrap();
    assert!(matches!(
        fails_at(doc.as_bytes(), Step::SealValidity),
        Failure::UnknownCriticalExtension { .. }
    ));
    // A non-critical one is fine.
    let mut s = a_spec();
    s.extensions = vec![SealExtension::new("1.2.156.99999.1", false, b"x".to_vec()).unwrap()];
    let doc = SignedLicense::seal(sealed_license(), &sealer_with(s), at).unwrap();
    seal_verifier().verify(doc.as_bytes(), now()).unwrap();
    // Revoked before signing; revoked after signing is still good at signing.
    let doc = sealed_food();
    let mut status = InMemoryStatus::complete_revocation_list();
    status.revoke_seal(seal_a().id(), ts("2025-01-01T00:00:00Z"));
    let r = reject(&seal_verifier().with_status(status), doc.as_bytes());
    assert_eq!(r.step(), Step::SealValidity);
    assert!(matches!(r.failure(), Failure::SealRevoked { .. }), "{r}");
    let mut status = InMemoryStatus::complete_revocation_list();
    status.revoke_seal(seal_a().id(), ts("2025-06-01T00:00:00Z"));
    seal_verifier()
        .with_status(status)
        .verify(doc.as_bytes(), now())
        .unwrap();
    // Unknown seal status: denied by default, accepted only through `danger`.
    let mut status = InMemoryStatus::new();
    for c in ["signer_a", "signer_ca", "seal_maker"] {
        status.good_certificate(&cert(c));
    }
    let v = seal_verifier().with_status(status.clone());
    let r = reject(&v, doc.as_bytes());
    assert!(
        matches!(r.failure(), Failure::SealStatusUnknown { .. }),
        "{r}"
    );
    let v = v.with_unknown_status(danger::accept_unknown_status());
    v.verify(doc.as_bytes(), now()).unwrap();
    status.good_seal(seal_a().id());
    seal_verifier()
        .with_status(status)
        .verify(doc.as_bytes(), now())
        .unwrap();
}

#[test]
fn signer_certificate_step() {
    let at = ts("2025-05-22T02:00:00Z");
    let cases: Vec<ChainCase> = vec![
        ("signer_expired", vec![cert("signer_ca")], |e| {
            matches!(e, ChainError::Expired { .. })
        }),
        ("signer_not_yet_valid", vec![cert("signer_ca")], |e| {
            matches!(e, ChainError::NotYetValid { .. })
        }),
        ("signer_wrong_ku", vec![cert("signer_ca")], |e| {
            matches!(e, ChainError::MissingKeyUsage { .. })
        }),
        (
            "ee_issued_leaf",
            vec![cert("signer_a"), cert("signer_ca")],
            |e| matches!(e, ChainError::NotCa { .. }),
        ),
        (
            "leaf_under_sub_ca",
            vec![cert("sub_ca"), cert("signer_ca")],
            |e| matches!(e, ChainError::PathLengthExceeded { .. }),
        ),
        ("signer_unknown_root", vec![], |e| {
            matches!(e, ChainError::UnknownIssuer { .. })
        }),
    ];
    for (name, chain, expected) in cases {
        let sealer = sealer_of("3301020000006", org_a(), name, chain);
        let doc = SignedLicense::seal(sealed_license(), &sealer, at).unwrap();
        match fails_at(doc.as_bytes(), Step::SignerCertificate) {
            Failure::SignerCertificate { error, .. } => {
                assert!(expected(&error), "{name}: {error}")
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    // A revoked signer certificate.
    let doc = sealed_food();
    let mut status = InMemoryStatus::complete_revocation_list();
    status.revoke_certificate(&cert("signer_a"), ts("2025-03-01T00:00:00Z"));
    let r = reject(&seal_verifier().with_status(status), doc.as_bytes());
    assert_eq!(r.step(), Step::SignerCertificate);
    match r.failure() {
        Failure::SignerCertificate { error, .. } => {
            assert!(matches!(error, ChainError::Revoked { .. }), "{error}")
        }
        other => panic!("{other:?}"),
    }
    // Nothing trusted: unknown issuer.
    let v = Verifier::new(LicenseTypes::new().with(food_type()))
        .with_status(InMemoryStatus::complete_revocation_list());
    let r = reject(&v, doc.as_bytes());
    assert_eq!(r.step(), Step::SealMakerCertificate, "{r}");
}

#[test]
fn data_hash_step_and_replayed_signatures() {
    // A license element changed under a genuine seal signature.
    let doc = sealed_food();
    let mut data = doc.license().to_data();
    data.number = "JY13301050099999".into();
    let tampered = splice_license(&doc, &License::new(data).unwrap());
    assert!(matches!(
        fails_at(&tampered, Step::DataHash),
        Failure::DataHashMismatch { index: 0 }
    ));
    // The seal signature of one license replayed onto another license.
    let mut other = sealed_license().to_data();
    other.holder = Holder::new("另一家公司", HolderCode::from(samr())).unwrap();
    let other = License::new(other).unwrap();
    let mut f = Forge::new(&seal_a(), cert("signer_a"), key("signer_a"));
    let genuine_entry = f.entry();
    f.license = other.to_canonical_bytes();
    let replayed = f.with_entries(vec![genuine_entry]);
    assert!(matches!(
        fails_at(&replayed, Step::DataHash),
        Failure::DataHashMismatch { .. }
    ));
}

#[test]
fn organisation_step() {
    let at = ts("2025-05-22T02:00:00Z");
    // A seal of another organisation (org B's seal, org B's signer) on org A's license.
    let sealer_b = sealer_of(
        "4301000000001",
        org_b(),
        "signer_b",
        vec![cert("signer_ca")],
    );
    let doc = SignedLicense::seal(sealed_license(), &sealer_b, at).unwrap();
    assert!(matches!(
        fails_at(doc.as_bytes(), Step::Organisation),
        Failure::NoIssuerSignature { .. }
    ));
    // Org A's seal listing org B's signer certificate.
    let sealer = sealer_of(
        "3301020000007",
        org_a(),
        "signer_b",
        vec![cert("signer_ca")],
    );
    let doc = SignedLicense::seal(sealed_license(), &sealer, at).unwrap();
    assert!(matches!(
        fails_at(doc.as_bytes(), Step::Organisation),
        Failure::SignerOrganisationMismatch { found: Some(_), .. }
    ));
    // A signer certificate that names no organisation.
    let sealer = sealer_of(
        "3301020000008",
        org_a(),
        "signer_no_org",
        vec![cert("signer_ca")],
    );
    let doc = SignedLicense::seal(sealed_license(), &sealer, at).unwrap();
    assert!(matches!(
        fails_at(doc.as_bytes(), Step::Organisation),
        Failure::SignerOrganisationMismatch { found: None, .. }
    ));
    // Printed sealing information that does not match the seal.
    let mut data = sealed_license().to_data();
    data.seal = Some(SealInfo::new(org_a(), "另一枚印章", at).unwrap());
    let doc = SignedLicense::seal(License::new(data).unwrap(), &sealer_a(), at).unwrap();
    assert!(matches!(
        fails_at(doc.as_bytes(), Step::Organisation),
        Failure::SealInfoMismatch { what: "seal name" }
    ));
    let mut data = sealed_license().to_data();
    data.seal = Some(
        SealInfo::new(
            org_a(),
            "杭州市上城区市场监督管理局证照专用章",
            ts("2025-05-22T02:00:01Z"),
        )
        .unwrap(),
    );
    let doc = SignedLicense::seal(License::new(data).unwrap(), &sealer_a(), at).unwrap();
    assert!(matches!(
        fails_at(doc.as_bytes(), Step::Organisation),
        Failure::SealInfoMismatch { what: "sealed at" }
    ));
}

#[test]
fn co_issuer_seals() {
    let doc = sealed_food();
    let sealer_b = sealer_of(
        "4301000000002",
        org_b(),
        "signer_b",
        vec![cert("signer_ca")],
    );
    let both = doc.add_seal(&sealer_b, ts("2025-05-22T03:00:00Z")).unwrap();
    assert_eq!(both.signatures().len(), 2);
    seal_verifier().verify(both.as_bytes(), now()).unwrap();
}

/// Every leaf value of the seal signature (seal, signer, signature, to-be-signed
/// block) changed to another value: the document is always rejected, and
/// (except where the change breaks decoding) not at the parse step.
#[test]
fn every_seal_and_signature_element_tampered_is_caught() {
    let doc = sealed_food();
    let root: Value = serde_json::from_slice(doc.as_bytes()).unwrap();
    let mut paths = Vec::new();
    leaves(
        &root["signatures"][0],
        "/signatures/0".to_string(),
        &mut paths,
    );
    assert!(paths.len() > 25, "{}", paths.len());
    let v = seal_verifier();
    let mut not_parse = 0;
    for path in &paths {
        let mut m = root.clone();
        let leaf = m.pointer_mut(path).unwrap();
        *leaf = mutate(leaf);
        let bytes = canon(&m);
        let r = v
            .verify(&bytes, now())
            .err()
            .unwrap_or_else(|| panic!("{path}: tampered document verified"));
        if r.step() != Step::Parse {
            not_parse += 1;
        }
    }
    // Most changes are caught by a cryptographic or trust step, not by syntax.
    assert!(not_parse * 2 > paths.len(), "{not_parse}/{}", paths.len());
}

fn leaves(v: &Value, path: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                leaves(x, format!("{path}/{k}"), out)
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                leaves(x, format!("{path}/{i}"), out)
            }
        }
        _ => out.push(path),
    }
}

/// Another value of the same shape: base64 keeps decoding, timestamps stay
/// timestamps, digests stay digests.
fn mutate(v: &Value) -> Value {
    match v {
        Value::Bool(b) => Value::Bool(!b),
        Value::Number(n) => json!(n.as_u64().unwrap() + 1),
        Value::String(s) => {
            if let Ok(t) = Timestamp::parse(s) {
                return t.saturating_add(1).to_string().into();
            }
            let is_hex = s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
            if is_hex {
                let last = if s.ends_with('0') { '1' } else { '0' };
                return format!("{}{last}", &s[..63]).into();
            }
            if let Ok(bytes) = B64.decode(s)
                && bytes.len() >= 4
            {
                let mut b = bytes;
                let mid = b.len() / 2;
                b[mid] ^= 0x01;
                return B64.encode(b).into();
            }
            format!("{s}X").into()
        }
        other => other.clone(),
    }
}

/// Cached verification gives exactly the single path's result (verdict and
/// report), across good and failing documents and verification times, with one
/// cache shared by all of them.
#[test]
fn cached_verdicts_equal_single_verdicts() {
    let at_sign = ts("2025-05-22T02:00:00Z");
    let mut docs: Vec<Vec<u8>> = vec![sealed_food().as_bytes().to_vec()];
    for name in [
        "signer_expired",
        "signer_wrong_ku",
        "signer_unknown_root",
        "signer_b",
    ] {
        let chain = if name == "signer_unknown_root" {
            vec![]
        } else {
            vec![cert("signer_ca")]
        };
        let sealer = sealer_of("3301020000009", org_a(), name, chain);
        docs.push(
            SignedLicense::seal(sealed_license(), &sealer, at_sign)
                .unwrap()
                .into_bytes(),
        );
    }
    let mut s = a_spec();
    s.valid_to = ts("2025-01-01T00:00:00Z");
    docs.push(
        SignedLicense::seal(sealed_license(), &sealer_with(s), at_sign)
            .unwrap()
            .into_bytes(),
    );
    for t in [
        "2025-05-22T03:00:00Z",
        "2025-06-01T00:00:00Z",
        "2026-01-01T00:00:00Z",
    ] {
        docs.push(
            SignedLicense::seal(sealed_license(), &sealer_a(), ts(t))
                .unwrap()
                .into_bytes(),
        );
    }
    let mut status = InMemoryStatus::complete_revocation_list();
    status.revoke_certificate(&cert("signer_a"), ts("2025-12-01T00:00:00Z"));
    let verifiers = [seal_verifier(), seal_verifier().with_status(status)];
    for v in &verifiers {
        let mut cache = VerifyCache::new();
        for round in 0..2 {
            for at in [
                "2025-05-22T02:30:00Z",
                "2026-03-01T00:00:00Z",
                "2031-01-01T00:00:00Z",
            ] {
                for (i, d) in docs.iter().enumerate() {
                    let single = v.verify(d, ts(at)).map(|ok| ok.report().clone());
                    let cached = v
                        .verify_cached(d, ts(at), &mut cache)
                        .map(|ok| ok.report().clone());
                    assert_eq!(single, cached, "round {round} doc {i} at {at}");
                }
            }
        }
        let (hits, _) = cache.stats();
        assert!(hits > 0);
    }
}

/// Writes seed corpora for the seal and sealed-license fuzz targets
/// (`cargo test --test suite seal::write_fuzz_seeds -- --ignored`).
#[test]
#[ignore]
fn write_fuzz_seeds() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let seal = seal_a();
    std::fs::write(root.join("seal_decode/seal_a.json"), seal.as_bytes()).unwrap();
    let b = seal.as_bytes();
    std::fs::write(root.join("seal_decode/truncated.json"), &b[..b.len() / 2]).unwrap();
    let mut s = a_spec();
    s.extensions = vec![SealExtension::new("1.2.156.99999.1", true, b"x".to_vec()).unwrap()];
    s.certs = vec![SealCertRef::Digest(cert("signer_a").fingerprint())];
    std::fs::write(
        root.join("seal_decode/digest_ext.json"),
        maker().make(s).unwrap().as_bytes(),
    )
    .unwrap();
    std::fs::write(
        root.join("license_decode/sealed_food.json"),
        sealed_food().as_bytes(),
    )
    .unwrap();
}
