//! Trust lists (信任列表) and cross-region recognition (互通互认): a national
//! list naming two provincial list operators (浙江 33, 湖南 43), each
//! provincial list recognising its own issuer, all with real X.509
//! certificates (list operators generated here with rcgen; issuers, seal
//! maker and their CA from tests/data/pki).

use std::sync::Arc;

use elicense::*;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue, IsCa, Issuer,
    KeyIdMethod, KeyUsagePurpose, PKCS_ED25519, PublicKeyData, SignatureAlgorithm, date_time_ymd,
    string::PrintableString,
};
use sha2::{Digest, Sha256};

use crate::fixtures::*;

macro_rules! pki {
    ($name:literal) => {
        include_str!(concat!("../data/pki/", $name))
    };
}

/// An Ed25519 key rcgen can sign with (our own `SigningKey` underneath).
struct Key {
    key: SigningKey,
    public: [u8; 32],
}

impl Key {
    fn named(name: &str) -> Key {
        let seed: [u8; 32] = Sha256::digest(format!("elicense test trust list/{name}")).into();
        let key = SigningKey::from_seed(&seed);
        let public = *key.public_key().as_bytes();
        Key { key, public }
    }
}

impl PublicKeyData for Key {
    fn der_bytes(&self) -> &[u8] {
        &self.public
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_ED25519
    }
}

impl rcgen::SigningKey for Key {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        Ok(self.key.sign_message(msg).to_bytes().to_vec())
    }
}

/// A CA (self-signed) and the list operator certificate it issues.
pub struct Operator {
    pub root: Certificate,
    pub cert: Certificate,
    pub key: SigningKey,
    pub org: Organisation,
}

fn dn(org: Option<(&Uscc, &str)>, cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CountryName,
        DnValue::PrintableString(PrintableString::try_from("CN").unwrap()),
    );
    match org {
        Some((uscc, name)) => {
            dn.push(DnType::OrganizationName, name);
            dn.push(
                DnType::CustomDnType(vec![2, 5, 4, 97]),
                DnValue::PrintableString(
                    PrintableString::try_from(format!("NTRCN-{}", uscc.as_str())).unwrap(),
                ),
            );
        }
        None => dn.push(DnType::OrganizationName, "elicense Test Trust PKI"),
    }
    dn.push(DnType::CommonName, cn);
    dn
}

fn key_id(k: &Key) -> Vec<u8> {
    Sha256::digest(k.subject_public_key_info())[..20].to_vec()
}

/// A deterministic root CA and an operator certificate for `org` under it.
pub fn operator(name: &str, org: Organisation, serial: u8) -> Operator {
    let root_key = Key::named(&format!("{name} root"));
    let mut rp = CertificateParams::default();
    rp.not_before = date_time_ymd(2020, 1, 1);
    rp.not_after = date_time_ymd(2045, 1, 1);
    rp.serial_number = Some(vec![0x20, serial].into());
    rp.distinguished_name = dn(None, &format!("{name} Trust List Root CA"));
    rp.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    rp.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    rp.key_identifier_method = KeyIdMethod::PreSpecified(key_id(&root_key));
    let root = rp.self_signed(&root_key).unwrap();

    let op_key = Key::named(&format!("{name} operator"));
    let mut op = CertificateParams::default();
    op.not_before = date_time_ymd(2024, 1, 1);
    op.not_after = date_time_ymd(2030, 12, 31);
    op.serial_number = Some(vec![0x21, serial].into());
    op.distinguished_name = dn(
        Some((org.code(), org.name())),
        &format!("{name} trust list operator"),
    );
    op.is_ca = IsCa::ExplicitNoCa;
    op.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::ContentCommitment,
    ];
    op.key_identifier_method = KeyIdMethod::PreSpecified(key_id(&op_key));
    op.use_authority_key_identifier_extension = true;
    let issuer = Issuer::from_params(&rp, &root_key);
    let cert = op.signed_by(&op_key, &issuer).unwrap();
    Operator {
        root: Certificate::from_der(root.der()).unwrap(),
        cert: Certificate::from_der(cert.der()).unwrap(),
        key: op_key.key,
        org,
    }
}

fn org(body: &str, name: &str) -> Organisation {
    Organisation::new(name, Uscc::from_body(body).unwrap()).unwrap()
}

pub fn national() -> Operator {
    operator(
        "national",
        org("11100000MB0000001", "国家政务服务平台（测试）"),
        1,
    )
}
pub fn zhejiang() -> Operator {
    operator(
        "zhejiang",
        org("11330000MB0000001", "浙江省政务服务平台（测试）"),
        2,
    )
}
pub fn hunan() -> Operator {
    operator(
        "hunan",
        org("11430000MB0000001", "湖南省政务服务平台（测试）"),
        3,
    )
}

fn region(s: &str) -> RegionCode {
    s.parse().unwrap()
}

fn cert(pem: &str) -> Certificate {
    Certificate::from_pem(pem).unwrap()
}

pub fn signer_a() -> Certificate {
    cert(pki!("signer_a.cert.pem"))
}
pub fn signer_b() -> Certificate {
    cert(pki!("signer_b.cert.pem"))
}

const FROM: &str = "2025-01-01T00:00:00Z";
const TO: &str = "2029-12-31T00:00:00Z";
pub const ISSUED: &str = "2026-02-01T00:00:00Z";
pub const NEXT: &str = "2026-04-01T00:00:00Z";

fn entry(reg: &str, o: Organisation, role: TrustRole) -> TrustEntry {
    TrustEntry::new(region(reg), o, role, ts(FROM), ts(TO)).unwrap()
}

/// The national list: the two provincial operators and the seal maker.
pub fn national_list(seq: u64) -> TrustList {
    let n = national();
    let zj = zhejiang();
    let hn = hunan();
    let maker = cert(pki!("seal_maker.cert.pem"));
    let maker_org = Organisation::new(
        "杭州市公安局印章管理中心（测试）",
        *maker.organization().unwrap(),
    )
    .unwrap();
    TrustListBuilder::new(n.org.clone(), region("110000"), seq, ts(ISSUED), ts(NEXT))
        .entry(entry("330000", zj.org.clone(), TrustRole::ListOperator).with_certificate(zj.root))
        .entry(entry("430000", hn.org.clone(), TrustRole::ListOperator).with_certificate(hn.root))
        .entry(entry("330000", maker_org, TrustRole::SealMaker).with_certificate(maker))
        .sign(&n.key, &n.cert, &[])
        .unwrap()
}

fn org_a() -> Organisation {
    Organisation::new("杭州市上城区市场监督管理局", bureau()).unwrap()
}
fn org_b() -> Organisation {
    Organisation::new("湖南省市场监督管理局", other_bureau()).unwrap()
}

/// Zhejiang's list: org A, an issuer of food licenses in 杭州 (3301).
pub fn zhejiang_list(seq: u64, a_region: &str) -> TrustList {
    let zj = zhejiang();
    TrustListBuilder::new(zj.org.clone(), region("330000"), seq, ts(ISSUED), ts(NEXT))
        .entry(
            entry(a_region, org_a(), TrustRole::Issuer)
                .with_certificate(signer_a())
                .with_license_type(*food_type().code()),
        )
        .entry(
            entry("330100", org_a(), TrustRole::StatusPublisher)
                .with_key(status_key().public_key()),
        )
        .sign(&zj.key, &zj.cert, &[])
        .unwrap()
}

/// Hunan's list: org B, an issuer of `types` in 湖南.
pub fn hunan_list(seq: u64, types: &[LicenseTypeCode]) -> TrustList {
    let hn = hunan();
    let mut e = entry("430000", org_b(), TrustRole::Issuer).with_certificate(signer_b());
    for t in types {
        e = e.with_license_type(*t);
    }
    TrustListBuilder::new(hn.org.clone(), region("430000"), seq, ts(ISSUED), ts(NEXT))
        .entry(e)
        .sign(&hn.key, &hn.cert, &[])
        .unwrap()
}

pub fn status_key() -> SigningKey {
    SigningKey::from_seed(&[0x5a; 32])
}

/// Lists verify against the national root only.
pub fn list_verifier() -> TrustListVerifier {
    TrustListVerifier::new(TrustAnchors::new().with(national().root))
        .with_status(Arc::new(InMemoryStatus::complete_revocation_list()))
}

pub fn merge(lists: &[&TrustList]) -> Result<Recognition, TrustListError> {
    let bytes: Vec<&[u8]> = lists.iter().map(|l| l.as_bytes()).collect();
    Recognition::merge(
        &bytes,
        &list_verifier(),
        now(),
        &mut AcceptedSequences::new(),
    )
}

/// A verifier of province A's department: the food type, certificate status
/// from a complete revocation list, and what `recognition` lists.
pub fn department(recognition: Recognition) -> Verifier {
    Verifier::new(LicenseTypes::new().with(food_type()))
        .with_status(InMemoryStatus::complete_revocation_list())
        .with_recognition(recognition)
}

fn sealer(cert_pem: &str, key_pem: &str, holder: Organisation, id: &str) -> Sealer<SigningKey> {
    sealer_with(
        cert(cert_pem),
        vec![cert(pki!("signer_ca.cert.pem"))],
        SigningKey::from_pkcs8_pem(key_pem).unwrap(),
        holder,
        id,
    )
}

fn sealer_with(
    c: Certificate,
    chain: Vec<Certificate>,
    key: SigningKey,
    holder: Organisation,
    id: &str,
) -> Sealer<SigningKey> {
    let maker = SealMaker::new(
        cert(pki!("seal_maker.cert.pem")),
        vec![],
        SigningKey::from_pkcs8_pem(pki!("seal_maker.key.pem")).unwrap(),
    )
    .unwrap();
    let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" width="42mm" height="42mm"><circle cx="21" cy="21" r="20"/></svg>"##;
    let seal = maker
        .make(SealSpec {
            vendor: "elicense-trustlist-test".into(),
            id: id.into(),
            seal_type: SealType::License,
            name: format!("{}证照专用章", holder.name()),
            holder,
            certs: vec![SealCertRef::Certificate(c.clone())],
            created_at: ts("2024-06-01T00:00:00Z"),
            valid_from: ts("2024-06-01T00:00:00Z"),
            valid_to: ts("2029-06-01T00:00:00Z"),
            picture: SealPicture::new(PictureType::Svg, svg.to_vec(), 42, 42).unwrap(),
            extensions: vec![],
        })
        .unwrap();
    Sealer::new(seal, c, chain, key).unwrap()
}

/// A food license sealed by org A (region `reg`) with serial `serial`.
pub fn license_a(serial: &str, reg: &str) -> SignedLicense {
    let mut d = food_data();
    d.id =
        LicenseId::from_parts(*food_type().code(), IssuerCode::Uscc(bureau()), serial, 1).unwrap();
    d.predecessor = None;
    d.seal = None;
    d.region = region(reg);
    let s = sealer(
        pki!("signer_a.cert.pem"),
        pki!("signer_a.key.pem"),
        org_a(),
        "3301020000001",
    );
    SignedLicense::seal(License::new(d).unwrap(), &s, ts("2025-05-22T02:00:00Z")).unwrap()
}

/// A food license sealed by org B in 湖南.
pub fn license_b(serial: &str) -> SignedLicense {
    let mut d = food_data();
    d.id = LicenseId::from_parts(
        *food_type().code(),
        IssuerCode::Uscc(other_bureau()),
        serial,
        1,
    )
    .unwrap();
    d.predecessor = None;
    d.seal = None;
    d.issuer = org_b();
    d.region = region("430100");
    let s = sealer(
        pki!("signer_b.cert.pem"),
        pki!("signer_b.key.pem"),
        org_b(),
        "4300000000001",
    );
    SignedLicense::seal(License::new(d).unwrap(), &s, ts("2025-05-22T02:00:00Z")).unwrap()
}

fn not_recognised(v: &Verifier, doc: &SignedLicense) -> NotRecognisedReason {
    let r = v.verify(doc.as_bytes(), now()).unwrap_err();
    assert_eq!(r.step(), Step::Recognition, "{}", r.report());
    match r.failure() {
        Failure::NotRecognised { reason, .. } => reason.clone(),
        other => panic!("{other:?}"),
    }
}

fn list_error(e: TrustListError) -> TrustListError {
    match e {
        TrustListError::InList { error, .. } => *error,
        other => other,
    }
}

#[test]
fn province_b_verifies_in_province_a_only_after_loading_b_list() {
    let nat = national_list(1);
    let zj = zhejiang_list(1, "330100");
    let hn = hunan_list(1, &[*food_type().code()]);
    let a = license_a("2026000001", "330102");
    let b = license_b("2026000002");

    // Province A knows the national list and its own.
    let v = department(merge(&[&nat, &zj]).unwrap());
    let ok = v.verify(a.as_bytes(), now()).unwrap();
    let by = ok.report().recognised_by().unwrap();
    assert_eq!(by.publisher, *zhejiang().org.code());
    assert_eq!((by.sequence, by.entry), (1, 0));
    assert!(ok.report().to_string().contains("entry 0"));
    // B's signer chains to nothing A trusts yet.
    let r = v.verify(b.as_bytes(), now()).unwrap_err();
    assert_eq!(r.step(), Step::SignerCertificate);

    // After loading B's list (any order), both verify; B's report names Hunan's list.
    let recognition = merge(&[&hn, &zj, &nat]).unwrap();
    assert_eq!(recognition.lists().len(), 3);
    let under = recognition
        .lists()
        .iter()
        .find(|l| l.publisher == *hunan().org.code())
        .unwrap()
        .under
        .clone()
        .unwrap();
    assert_eq!((under.publisher, under.entry), (*national().org.code(), 1));
    let v = department(recognition);
    v.verify(a.as_bytes(), now()).unwrap();
    let ok = v.verify(b.as_bytes(), now()).unwrap();
    assert_eq!(
        ok.report().recognised_by().unwrap().publisher,
        *hunan().org.code()
    );

    // A provincial list without the national one does not chain.
    let e = list_error(merge(&[&hn]).unwrap_err());
    assert!(matches!(e, TrustListError::ChainRejected(_)), "{e:?}");
}

#[test]
fn issuer_for_other_types_or_region_or_unlisted_is_refused_with_a_reason() {
    let nat = national_list(1);
    let other_type = LicenseTypeCode::from_parts(&samr(), 10).unwrap();
    let b = license_b("2026000002");
    let v = department(
        merge(&[
            &nat,
            &zhejiang_list(1, "330100"),
            &hunan_list(1, &[other_type]),
        ])
        .unwrap(),
    );
    assert_eq!(not_recognised(&v, &b), NotRecognisedReason::OtherType);

    // A is recognised for 宁波 (3302) only; the license is of 杭州 上城区.
    let v = department(merge(&[&nat, &zhejiang_list(1, "330200")]).unwrap());
    let a = license_a("2026000001", "330102");
    assert_eq!(
        not_recognised(&v, &a),
        NotRecognisedReason::OtherRegion {
            listed: vec![region("330200")]
        }
    );

    // B's certificate is trusted some other way, but no list names B.
    let v = department(merge(&[&nat, &zhejiang_list(1, "330100")]).unwrap())
        .with_trust_anchors(TrustAnchors::new().with(cert(pki!("root.cert.pem"))))
        .with_recognition(merge(&[&nat, &zhejiang_list(1, "330100")]).unwrap());
    assert_eq!(not_recognised(&v, &b), NotRecognisedReason::NotListed);

    // Recognised until 2029-12-31 only (certificates count at the signing
    // time; the license itself runs to 2030-05-21).
    let v = department(merge(&[&nat, &zhejiang_list(1, "330100")]).unwrap());
    let r = v
        .verify(a.as_bytes(), ts("2030-01-02T00:00:00Z"))
        .unwrap_err();
    assert_eq!(r.step(), Step::Recognition);
    assert!(matches!(
        r.failure(),
        Failure::NotRecognised {
            reason: NotRecognisedReason::OutsideValidity { .. },
            ..
        }
    ));
}

#[test]
fn a_provincial_list_may_not_reach_outside_its_province() {
    let zj = zhejiang();
    let out = TrustListBuilder::new(zj.org.clone(), region("330000"), 1, ts(ISSUED), ts(NEXT))
        .entry(
            entry("430000", org_b(), TrustRole::Issuer)
                .with_certificate(signer_b())
                .with_license_type(*food_type().code()),
        )
        .sign(&zj.key, &zj.cert, &[])
        .unwrap();
    let e = list_error(merge(&[&national_list(1), &out]).unwrap_err());
    assert!(
        matches!(e, TrustListError::OutOfScope { entry: 0, .. }),
        "{e:?}"
    );

    // Hunan's operator publishing as Zhejiang: refused.
    let hn = hunan();
    let wrong = TrustListBuilder::new(zj.org.clone(), region("330000"), 1, ts(ISSUED), ts(NEXT))
        .entry(
            entry("330100", org_a(), TrustRole::Issuer)
                .with_certificate(signer_a())
                .with_license_type(*food_type().code()),
        )
        .sign(&hn.key, &hn.cert, &[])
        .unwrap();
    let e = list_error(merge(&[&national_list(1), &wrong]).unwrap_err());
    assert!(matches!(e, TrustListError::WrongPublisher { .. }), "{e:?}");
}

#[test]
fn stale_lists_are_refused_unless_the_danger_option_is_taken() {
    let nat = national_list(1);
    let late = ts("2026-05-01T00:00:00Z");
    let e = list_verifier()
        .verify(nat.as_bytes(), late, &mut AcceptedSequences::new())
        .unwrap_err();
    assert_eq!(
        e,
        TrustListError::Stale {
            next_update: ts(NEXT),
            at: late
        }
    );
    let lenient = list_verifier().with_stale(danger::accept_stale_trust_list());
    lenient
        .verify(nat.as_bytes(), late, &mut AcceptedSequences::new())
        .unwrap();
    // Nor before it was issued.
    let e = list_verifier()
        .verify(
            nat.as_bytes(),
            ts("2026-01-01T00:00:00Z"),
            &mut AcceptedSequences::new(),
        )
        .unwrap_err();
    assert!(matches!(e, TrustListError::NotYetIssued { .. }));
}

#[test]
fn rollback_and_reused_sequences_are_refused_and_change_nothing() {
    let mut state = AcceptedSequences::new();
    let v = list_verifier();
    v.verify(national_list(2).as_bytes(), now(), &mut state)
        .unwrap();
    v.verify(national_list(2).as_bytes(), now(), &mut state)
        .unwrap();
    let before = state.clone();
    let e = v
        .verify(national_list(1).as_bytes(), now(), &mut state)
        .unwrap_err();
    assert_eq!(
        e,
        TrustListError::Rollback {
            accepted: 2,
            got: 1
        }
    );
    assert_eq!(state, before);
    // The state survives a file round trip.
    let mut state = AcceptedSequences::from_json(&state.to_json()).unwrap();
    assert_eq!(state.accepted(national().org.code()), Some(2));
    let e = v
        .verify(national_list(1).as_bytes(), now(), &mut state)
        .unwrap_err();
    assert!(matches!(e, TrustListError::Rollback { .. }));

    // A merge that fails records nothing; one that succeeds records every list.
    let mut state = AcceptedSequences::new();
    let zj2 = zhejiang_list(2, "330100");
    let nat = national_list(1);
    Recognition::merge(&[nat.as_bytes(), zj2.as_bytes()], &v, now(), &mut state).unwrap();
    let before = state.clone();
    let zj1 = zhejiang_list(1, "330100");
    let e =
        Recognition::merge(&[nat.as_bytes(), zj1.as_bytes()], &v, now(), &mut state).unwrap_err();
    assert_eq!(
        list_error(e),
        TrustListError::Rollback {
            accepted: 2,
            got: 1
        }
    );
    assert_eq!(state, before);
    // Same sequence, other contents.
    let other = zhejiang_list(2, "330200");
    let e =
        Recognition::merge(&[nat.as_bytes(), other.as_bytes()], &v, now(), &mut state).unwrap_err();
    assert_eq!(
        list_error(e),
        TrustListError::SequenceReused { sequence: 2 }
    );
}

#[test]
fn tampered_and_wrongly_signed_lists_are_refused() {
    let zj = zhejiang_list(1, "330100");
    let text = String::from_utf8(zj.as_bytes().to_vec()).unwrap();
    // One byte: another region, still canonical JSON.
    let tampered = text.replacen("\"region\":\"330100\"", "\"region\":\"330200\"", 1);
    assert_ne!(tampered, text);
    assert_eq!(
        TrustList::from_signed_bytes(tampered.as_bytes()).unwrap_err(),
        TrustListError::BadSignature
    );
    // Every single-bit flip is refused.
    let mut bytes = zj.as_bytes().to_vec();
    for i in (0..bytes.len()).step_by(97) {
        bytes[i] ^= 0x01;
        assert!(TrustList::from_signed_bytes(&bytes).is_err(), "flip at {i}");
        bytes[i] ^= 0x01;
    }
    // Non-canonical (whitespace) is malformed, not merely unsigned.
    let spaced = text.replacen(",", ", ", 1);
    assert!(matches!(
        TrustList::from_signed_bytes(spaced.as_bytes()).unwrap_err(),
        TrustListError::Malformed { .. }
    ));

    // Signed by an operator under a root nobody names.
    let rogue = operator("rogue", zhejiang().org, 9);
    let list = TrustListBuilder::new(rogue.org.clone(), region("330000"), 1, ts(ISSUED), ts(NEXT))
        .entry(
            entry("330100", org_a(), TrustRole::Issuer)
                .with_certificate(signer_a())
                .with_license_type(*food_type().code()),
        )
        .sign(&rogue.key, &rogue.cert, &[])
        .unwrap();
    let e = list_error(merge(&[&national_list(1), &list]).unwrap_err());
    assert!(matches!(e, TrustListError::ChainRejected(_)), "{e:?}");
    // The rogue's signature with the real operator's certificate swapped in.
    let b64 = |c: &Certificate| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(c.der())
    };
    let swapped = String::from_utf8(list.as_bytes().to_vec())
        .unwrap()
        .replace(&b64(&rogue.cert), &b64(&zhejiang().cert));
    assert_eq!(
        TrustList::from_signed_bytes(swapped.as_bytes()).unwrap_err(),
        TrustListError::BadSignature
    );
    // The builder refuses a certificate that is not the signer's.
    assert_eq!(
        TrustListBuilder::new(rogue.org.clone(), region("330000"), 1, ts(ISSUED), ts(NEXT))
            .sign(&rogue.key, &zhejiang().cert, &[])
            .unwrap_err(),
        TrustListError::OperatorKey
    );
    // Over the size budget, unread.
    let big = vec![b' '; MAX_TRUST_LIST_BYTES + 1];
    assert!(matches!(
        TrustList::from_signed_bytes(&big).unwrap_err(),
        TrustListError::TooLarge { .. }
    ));
}

#[test]
fn batch_verdicts_equal_single_verdicts_with_recognition() {
    let nat = national_list(1);
    let v = department(merge(&[&nat, &zhejiang_list(1, "330100")]).unwrap())
        .with_trust_anchors(TrustAnchors::new().with(cert(pki!("root.cert.pem"))))
        .with_recognition(merge(&[&nat, &zhejiang_list(1, "330100")]).unwrap());
    let mut docs: Vec<Vec<u8>> = Vec::new();
    for i in 0..24 {
        let serial = format!("20260001{i:02}");
        let doc = match i % 4 {
            0 | 1 => license_a(&serial, "330102"),
            2 => license_a(&serial, "320100"),
            _ => license_b(&serial),
        };
        let mut bytes = doc.into_bytes();
        if i == 5 {
            let n = bytes.len() - 10;
            bytes[n] ^= 1;
        }
        docs.push(bytes);
    }
    let batch = BatchVerifier::new(v.clone()).with_chunk_size(7);
    let outcomes = batch.verify_slice(&docs, now());
    let mut steps = std::collections::BTreeSet::new();
    for (doc, o) in docs.iter().zip(&outcomes) {
        let single = v.verify(doc, now()).map(|_| ());
        assert_eq!(o.result(), &single);
        steps.insert(o.failed_step());
    }
    assert!(steps.contains(&None));
    assert!(steps.contains(&Some(Step::Recognition)));
    assert!(steps.len() >= 3, "{steps:?}");
}

#[test]
fn offline_revocation_with_a_listed_status_publisher() {
    let nat = national_list(1);
    let zj = zhejiang_list(1, "330100");
    let recognition = merge(&[&nat, &zj]).unwrap();
    let good = license_a("2026000001", "330102");
    let revoked = license_a("2026000009", "330102");
    let snapshot = StatusSnapshot::build(
        &IssuerCode::Uscc(bureau()),
        ts(ISSUED),
        ts(NEXT),
        [(revoked.license().id(), LicenseStatus::Revoked)],
        &status_key(),
    )
    .unwrap();
    // The department checks the snapshot with the key the list names.
    let key = *recognition.status_keys(&bureau()).next().unwrap();
    let snapshot = StatusSnapshot::from_signed_bytes(snapshot.as_bytes(), &key).unwrap();
    let status = SnapshotStatus::new(
        [snapshot],
        Arc::new(InMemoryStatus::complete_revocation_list()),
    );
    let v = Verifier::new(LicenseTypes::new().with(food_type()))
        .with_status(status)
        .with_recognition(recognition);
    v.verify(good.as_bytes(), now()).unwrap();
    let r = v.verify(revoked.as_bytes(), now()).unwrap_err();
    assert_eq!(r.step(), Step::LicenseStatus);
    let docs = [good.as_bytes(), revoked.as_bytes()];
    let outcomes = BatchVerifier::new(v.clone()).verify_slice(&docs, now());
    assert!(outcomes[0].is_valid());
    assert_eq!(outcomes[1].failed_step(), Some(Step::LicenseStatus));
}

#[test]
fn without_trust_lists_the_step_is_not_applicable() {
    let v = Verifier::new(LicenseTypes::new().with(food_type()))
        .with_trust_anchors(TrustAnchors::new().with(cert(pki!("root.cert.pem"))))
        .with_status(InMemoryStatus::complete_revocation_list());
    let ok = v
        .verify(license_a("2026000001", "330102").as_bytes(), now())
        .unwrap();
    let check = ok
        .report()
        .checks()
        .iter()
        .find(|c| c.step() == Step::Recognition)
        .unwrap();
    assert_eq!(check.outcome(), &Outcome::NotApplicable);
    assert!(ok.report().recognised_by().is_none());
}

/// Writes the seed corpus of the `trustlist_decode` fuzz target (real lists,
/// truncated, over a budget, too deep): `cargo test --test suite
/// trustlist::write_corpus -- --ignored`.
#[test]
#[ignore]
fn write_corpus() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/trustlist_decode");
    std::fs::create_dir_all(&dir).unwrap();
    let nat = national_list(1);
    let zj = zhejiang_list(1, "330100");
    let hn = hunan_list(1, &[*food_type().code()]);
    let w = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).unwrap();
    w("national", nat.as_bytes());
    w("zhejiang", zj.as_bytes());
    w("hunan", hn.as_bytes());
    w("truncated", &zj.as_bytes()[..zj.as_bytes().len() / 2]);
    let text = String::from_utf8(hn.as_bytes().to_vec()).unwrap();
    let key = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(status_key().public_key().as_bytes())
    };
    let many = vec![format!("\"{key}\""); MAX_ENTRY_ITEMS + 1].join(",");
    w(
        "too_many_keys",
        text.replacen("\"keys\":[]", &format!("\"keys\":[{many}]"), 1)
            .as_bytes(),
    );
    w("deep", &[b'['; 64]);
    w("empty_object", b"{}");
}

#[test]
fn corpus_lists_decode() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/trustlist_decode");
    let nat = std::fs::read(dir.join("national")).unwrap();
    assert_eq!(
        TrustList::from_signed_bytes(&nat).unwrap(),
        national_list(1),
        "the committed corpus list is the one the tests make"
    );
    let e = TrustList::from_signed_bytes(&std::fs::read(dir.join("too_many_keys")).unwrap())
        .unwrap_err();
    assert!(matches!(e, TrustListError::TooLarge { .. }), "{e:?}");
}

/// Mobile display (亮证) with trust lists: a presentation verifies under a
/// presentation key that a list's issuer entry names for the license's type,
/// and the report names the list and entry.
#[test]
fn presentations_are_recognised_through_trust_lists() {
    use elicense::present::{
        PresentError, PresentRequest, PresentRole, Presentation, PresentationVerifier,
    };
    let system = SigningKey::from_seed(&[0x33; 32]);
    let zj = zhejiang();
    // Zhejiang lists org A's presentation key for food licenses, in 杭州.
    let list = |types: &[LicenseTypeCode], from: &str, to: &str| {
        let mut e = TrustEntry::new(
            region("330100"),
            org_a(),
            TrustRole::Issuer,
            ts(from),
            ts(to),
        )
        .unwrap()
        .with_key(system.public_key());
        for t in types {
            e = e.with_license_type(*t);
        }
        TrustListBuilder::new(zj.org.clone(), region("330000"), 1, ts(ISSUED), ts(NEXT))
            .entry(e)
            .sign(&zj.key, &zj.cert, &[])
            .unwrap()
    };
    let doc = license_a("2025052299", "330102");
    let types = LicenseTypes::new().with(food_type());
    let at = ts("2026-03-01T08:01:00Z");
    let p = Presentation::create(
        &doc,
        &types,
        &PresentRequest {
            show: &[],
            made_at: ts("2026-03-01T08:00:00Z"),
            minutes: 5,
            nonce: None,
            role: PresentRole::IssuingSystem,
        },
        &system,
    )
    .unwrap();
    let s = p.to_qr_string();
    let mut st = InMemoryStatus::complete_revocation_list();
    st.set_license_status(
        doc.license().id(),
        LicenseStatus::Valid,
        ts("2025-06-01T00:00:00Z"),
    );
    let st: Arc<dyn StatusSource> = Arc::new(st);
    let verifier = |lists: &[&TrustList]| {
        PresentationVerifier::new(st.clone()).with_recognition(Arc::new(merge(lists).unwrap()))
    };
    let national = national_list(1);

    // Listed for food licenses: accepted, naming Zhejiang's list, entry 0.
    let good = list(&[*food_type().code()], FROM, TO);
    let ok = verifier(&[&national, &good]).verify_str(&s, at).unwrap();
    let by = ok.report.recognised_by().unwrap();
    assert_eq!(
        (by.publisher, by.sequence, by.entry),
        (*zj.org.code(), 1, 0)
    );

    // Listed for other types only; outside the entry's window; not listed.
    let other: LicenseTypeCode = "11100000000013338W010".parse().unwrap();
    let cases: [(TrustList, &str); 2] = [
        (list(&[other], FROM, TO), "other_type"),
        (
            list(&[*food_type().code()], FROM, "2026-02-15T00:00:00Z"),
            "outside_validity",
        ),
    ];
    for (l, kind) in cases {
        let r = verifier(&[&national, &l]).verify_str(&s, at).unwrap_err();
        match r.error() {
            Some(PresentError::NotRecognised { issuer, reason }) => {
                assert_eq!((*issuer, reason.kind()), (bureau(), kind));
            }
            other => panic!("{kind}: {other:?}"),
        }
        assert_eq!(r.step().name(), "issuer");
    }
    let r = verifier(&[&national]).verify_str(&s, at).unwrap_err();
    assert!(
        matches!(r.error(), Some(PresentError::UnknownIssuer { .. })),
        "{r}"
    );

    // Another key signed it: the listed key does not verify it.
    let forged = Presentation::create(
        &doc,
        &types,
        &PresentRequest {
            show: &[],
            made_at: ts("2026-03-01T08:00:00Z"),
            minutes: 5,
            nonce: None,
            role: PresentRole::IssuingSystem,
        },
        &SigningKey::from_seed(&[0x34; 32]),
    )
    .unwrap();
    let r = verifier(&[&national, &good])
        .verify_str(&forged.to_qr_string(), at)
        .unwrap_err();
    assert!(
        matches!(r.error(), Some(PresentError::BadSignature { .. })),
        "{r}"
    );
}

/// The trust list of docs/FORMAT.md §11: the national test operator lists one
/// issuer with a raw key (the key of the §7 seed) for the food type.
fn vector_list() -> TrustList {
    let n = national();
    let key = SigningKey::from_seed(&crate::vectors::vector_seed()).public_key();
    TrustListBuilder::new(
        n.org.clone(),
        region("110000"),
        7,
        ts("2026-01-01T00:00:00Z"),
        ts("2026-01-08T00:00:00Z"),
    )
    .entry(
        entry("330100", org_a(), TrustRole::Issuer)
            .with_key(key)
            .with_license_type(*food_type().code()),
    )
    .sign(&n.key, &n.cert, &[])
    .unwrap()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn format_md_trust_list_vectors_match_the_code() {
    let list = vector_list();
    let doc: serde_json::Value = serde_json::from_slice(list.as_bytes()).unwrap();
    let list_bytes = {
        // The list member's bytes, cut from the document (it is canonical).
        let text = std::str::from_utf8(list.as_bytes()).unwrap();
        let start = text.find("\"list\":").unwrap() + "\"list\":".len();
        let end = text.find(",\"signature\":").unwrap();
        text[start..end].to_string()
    };
    let op = list.operator();
    let mut message = TRUST_LIST_CONTEXT.to_vec();
    message.extend_from_slice(&op.fingerprint());
    message.extend_from_slice(list_bytes.as_bytes());
    let sig = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(doc["signature"]["value"].as_str().unwrap())
            .unwrap()
    };
    // Raw Ed25519 over the documented message, outside the library's types.
    let key =
        ed25519_dalek::VerifyingKey::from_bytes(op.ed25519_key().unwrap().as_bytes()).unwrap();
    key.verify_strict(
        &message,
        &ed25519_dalek::Signature::from_slice(&sig).unwrap(),
    )
    .unwrap();
    let computed = [
        (
            "trustlist-operator-public-key",
            hex(op.ed25519_key().unwrap().as_bytes()),
        ),
        ("trustlist-operator-cert-sha256", hex(&op.fingerprint())),
        ("trustlist-list", list_bytes.clone()),
        ("trustlist-message-sha256", hex(&Sha256::digest(&message))),
        ("trustlist-signature", hex(&sig)),
        ("trustlist-document-sha256", hex(&list.digest())),
    ];
    if std::env::var_os("ELICENSE_PRINT_VECTORS").is_some() {
        for (name, value) in &computed {
            println!("```text\n# vector: {name}\n{value}\n```\n");
        }
    }
    let documented = crate::vectors::doc_vectors();
    for (name, value) in &computed {
        let doc = documented
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("docs/FORMAT.md lacks vector {name}"));
        assert_eq!(&doc.1, value, "vector {name} in docs/FORMAT.md is stale");
    }
}

#[test]
fn a_ca_listed_for_one_issuer_cannot_vouch_for_another() {
    // Hunan lists a CA for its issuer B; that CA (misused) certifies org A.
    let rogue = operator("hunan issuers", org_a(), 5);
    let hn = hunan();
    let hn_list = TrustListBuilder::new(hn.org.clone(), region("430000"), 1, ts(ISSUED), ts(NEXT))
        .entry(
            entry("430000", org_b(), TrustRole::Issuer)
                .with_certificate(rogue.root.clone())
                .with_license_type(*food_type().code()),
        )
        .sign(&hn.key, &hn.cert, &[])
        .unwrap();
    let v = department(merge(&[&national_list(1), &zhejiang_list(1, "330100"), &hn_list]).unwrap());
    // A license "by A" sealed with the rogue certificate, carrying A's real
    // certificate too (it is public) to look listed.
    let mut d = food_data();
    d.predecessor = None;
    d.seal = None;
    let s = sealer_with(
        rogue.cert.clone(),
        vec![rogue.root.clone(), signer_a()],
        rogue.key,
        org_a(),
        "3301020000099",
    );
    let doc =
        SignedLicense::seal(License::new(d).unwrap(), &s, ts("2025-05-22T02:00:00Z")).unwrap();
    // Its chain is good (the CA is an anchor now) and it names A …
    assert_eq!(
        not_recognised(&v, &doc),
        NotRecognisedReason::SignerNotListed
    );
    // … and the batch verifier says the same.
    let out = BatchVerifier::new(v.clone()).verify_slice(&[doc.as_bytes()], now());
    assert_eq!(
        out[0].result(),
        &v.verify(doc.as_bytes(), now()).map(|_| ())
    );
    // A's own license still verifies.
    v.verify(license_a("2026000001", "330102").as_bytes(), now())
        .unwrap();
}
