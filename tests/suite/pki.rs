//! The test PKI: a deterministic generator for `tests/data/pki/`.
//!
//! rcgen builds the certificates (without its `crypto` feature: no ring or
//! aws-lc); Ed25519 signing goes through rcgen's `SigningKey` trait implemented
//! with this crate's own `SigningKey` (ed25519-dalek). Keys come from fixed
//! seeds (`SHA-256("elicense test pki/" ‖ name)`), serials and validity dates
//! are fixed, and nothing reads the clock, so the output is byte-for-byte
//! reproducible.
//!
//! * `cargo test --test suite pki::generate -- --ignored` rewrites the files;
//! * `pki::fixtures_match_generator` (a normal test) regenerates in memory and
//!   requires the committed files to be identical, so they cannot drift.

use std::collections::BTreeMap;
use std::path::PathBuf;

use elicense::{SigningKey, Uscc};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue, IsCa, Issuer,
    KeyIdMethod, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, PKCS_ED25519, PublicKeyData,
    SignatureAlgorithm, date_time_ymd, string::PrintableString,
};
use sha2::{Digest, Sha256};

/// 杭州市上城区市场监督管理局 (org A).
const ORG_A: (&str, &str) = ("11330105002500287C", "杭州市上城区市场监督管理局");
/// Another bureau (org B, 湖南省).
const ORG_B: (&str, &str) = ("11430000006122244L", "湖南省市场监督管理局");
/// The seal maker's first 17 characters; the check character is computed.
const SEAL_MAKER_BODY: &str = "12330100MB0123456";
const SEAL_MAKER_NAME: &str = "杭州市公安局印章管理中心（测试）";

/// A fixed P-256 SubjectPublicKeyInfo: the curve's base point G, i.e. the
/// public key of the private key 1 (obviously a test value).
const P256_SPKI_HEX: &str = concat!(
    "3059301306072a8648ce3d020106082a8648ce3d030107034200",
    "04",
    "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296",
    "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
);

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The fixed P-256 SubjectPublicKeyInfo DER.
fn p256_spki() -> Vec<u8> {
    hex_decode(P256_SPKI_HEX)
}

/// An Ed25519 key for rcgen.
struct Ed25519Key {
    key: SigningKey,
    public: [u8; 32],
}

impl Ed25519Key {
    fn for_name(name: &str) -> Ed25519Key {
        let seed: [u8; 32] = Sha256::digest(format!("elicense test pki/{name}")).into();
        let key = SigningKey::from_seed(&seed);
        let public = *key.public_key().as_bytes();
        Ed25519Key { key, public }
    }
}

impl PublicKeyData for Ed25519Key {
    fn der_bytes(&self) -> &[u8] {
        &self.public
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_ED25519
    }
}

impl rcgen::SigningKey for Ed25519Key {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        Ok(self.key.sign_message(msg).to_bytes().to_vec())
    }
}

/// A P-256 public key (no private key: it only appears as a subject key).
struct P256Key {
    point: Vec<u8>,
}

impl PublicKeyData for P256Key {
    fn der_bytes(&self) -> &[u8] {
        &self.point
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_ECDSA_P256_SHA256
    }
}

#[derive(Clone, Copy)]
enum Subject {
    /// A PKI entity with no organisation code: (O, CN).
    Pki(&'static str),
    /// An organisation's certificate: (USCC, O) and CN.
    Org((&'static str, &'static str), &'static str),
    /// Organisation name only, no organizationIdentifier.
    NoOrgId(&'static str, &'static str),
    /// The seal maker (its USCC is computed).
    SealMaker,
}

#[derive(Clone, Copy)]
enum Kind {
    Root,
    Ca(Option<u8>),
    EndEntity,
    /// An end entity without basicConstraints.
    EndEntityNoBc,
}

struct Spec {
    name: &'static str,
    issuer: Option<&'static str>,
    subject: Subject,
    kind: Kind,
    usages: &'static [KeyUsagePurpose],
    not_before: (i32, u8, u8),
    not_after: (i32, u8, u8),
    p256: bool,
    about: &'static str,
}

use KeyUsagePurpose::{ContentCommitment, CrlSign, DigitalSignature, KeyCertSign, KeyEncipherment};

const CA_KU: &[KeyUsagePurpose] = &[KeyCertSign, CrlSign];
const SIGNER_KU: &[KeyUsagePurpose] = &[DigitalSignature, ContentCommitment];
const LEAF_FROM: (i32, u8, u8) = (2024, 1, 1);
const LEAF_TO: (i32, u8, u8) = (2029, 12, 31);

fn specs() -> Vec<Spec> {
    let leaf = |name, issuer, subject, about| Spec {
        name,
        issuer: Some(issuer),
        subject,
        kind: Kind::EndEntity,
        usages: SIGNER_KU,
        not_before: LEAF_FROM,
        not_after: LEAF_TO,
        p256: false,
        about,
    };
    vec![
        Spec {
            name: "root",
            issuer: None,
            subject: Subject::Pki("elicense Test Root CA"),
            kind: Kind::Root,
            usages: CA_KU,
            not_before: (2020, 1, 1),
            not_after: (2045, 1, 1),
            p256: false,
            about: "self-signed root CA; the trust anchor of the tests",
        },
        Spec {
            name: "other_root",
            issuer: None,
            subject: Subject::Pki("elicense Other Root CA (not trusted)"),
            kind: Kind::Root,
            usages: CA_KU,
            not_before: (2020, 1, 1),
            not_after: (2045, 1, 1),
            p256: false,
            about: "another self-signed root CA, never an anchor",
        },
        Spec {
            name: "seal_maker",
            issuer: Some("root"),
            subject: Subject::SealMaker,
            kind: Kind::EndEntityNoBc,
            usages: SIGNER_KU,
            not_before: (2024, 1, 1),
            not_after: (2034, 1, 1),
            p256: false,
            about: "seal maker (制章机构) issued by root; good chain seal_maker → root \
                    (no basicConstraints extension)",
        },
        Spec {
            name: "signer_ca",
            issuer: Some("root"),
            subject: Subject::Pki("elicense Test Signer CA"),
            kind: Kind::Ca(Some(0)),
            usages: CA_KU,
            not_before: (2022, 1, 1),
            not_after: (2040, 1, 1),
            p256: false,
            about: "intermediate CA issued by root, pathLenConstraint 0",
        },
        leaf(
            "signer_a",
            "signer_ca",
            Subject::Org(ORG_A, "签章者 A (test signer)"),
            "signer of org A; good chain signer_a → signer_ca → root",
        ),
        leaf(
            "signer_b",
            "signer_ca",
            Subject::Org(ORG_B, "签章者 B (test signer)"),
            "signer of org B; good chain signer_b → signer_ca → root",
        ),
        Spec {
            not_before: (2020, 1, 1),
            not_after: (2022, 12, 31),
            ..leaf(
                "signer_expired",
                "signer_ca",
                Subject::Org(ORG_A, "signer_expired (test)"),
                "bad: expired (2020-01-01..2022-12-31) → Expired",
            )
        },
        Spec {
            not_before: (2035, 1, 1),
            not_after: (2040, 1, 1),
            ..leaf(
                "signer_not_yet_valid",
                "signer_ca",
                Subject::Org(ORG_A, "signer_not_yet_valid (test)"),
                "bad: valid 2035-01-01..2040-01-01 only → NotYetValid",
            )
        },
        Spec {
            usages: &[KeyEncipherment],
            ..leaf(
                "signer_wrong_ku",
                "signer_ca",
                Subject::Org(ORG_A, "signer_wrong_ku (test)"),
                "bad: keyUsage keyEncipherment only → MissingKeyUsage",
            )
        },
        leaf(
            "ee_issued_leaf",
            "signer_a",
            Subject::Org(ORG_A, "ee_issued_leaf (test)"),
            "bad: issued by signer_a, a CA:false end entity → NotCa (signer_a)",
        ),
        Spec {
            name: "sub_ca",
            issuer: Some("signer_ca"),
            subject: Subject::Pki("elicense Test Sub CA (violates pathLen)"),
            kind: Kind::Ca(None),
            usages: CA_KU,
            not_before: (2022, 1, 1),
            not_after: (2040, 1, 1),
            p256: false,
            about: "bad: CA issued by signer_ca, whose pathLenConstraint 0 forbids it",
        },
        leaf(
            "leaf_under_sub_ca",
            "sub_ca",
            Subject::Org(ORG_A, "leaf_under_sub_ca (test)"),
            "bad: leaf → sub_ca → signer_ca → root → PathLengthExceeded (signer_ca)",
        ),
        Spec {
            p256: true,
            ..leaf(
                "signer_p256",
                "signer_ca",
                Subject::Org(ORG_A, "signer_p256 (test)"),
                "bad: subject key is a fixed P-256 key (the base point G), signed with \
                 Ed25519 → UnsupportedKeyAlgorithm; no key file",
            )
        },
        leaf(
            "signer_no_org",
            "signer_ca",
            Subject::NoOrgId(ORG_A.1, "signer_no_org (test)"),
            "no organizationIdentifier: the chain is valid, organization() is None",
        ),
        leaf(
            "signer_unknown_root",
            "other_root",
            Subject::Org(ORG_A, "signer_unknown_root (test)"),
            "bad: issued by other_root, not an anchor → UnknownIssuer",
        ),
    ]
}

/// The seal maker's USCC (check character computed).
fn seal_maker_uscc() -> Uscc {
    Uscc::from_body(SEAL_MAKER_BODY).unwrap()
}

fn printable(s: &str) -> DnValue {
    DnValue::PrintableString(PrintableString::try_from(s).unwrap())
}

fn distinguished_name(subject: Subject) -> DistinguishedName {
    let org_id = DnType::CustomDnType(vec![2, 5, 4, 97]);
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, printable("CN"));
    match subject {
        Subject::Pki(cn) => {
            dn.push(DnType::OrganizationName, "elicense Test PKI");
            dn.push(DnType::CommonName, cn);
        }
        Subject::Org((uscc, org), cn) => {
            dn.push(DnType::OrganizationName, org);
            dn.push(org_id, printable(&format!("NTRCN-{uscc}")));
            dn.push(DnType::CommonName, cn);
        }
        Subject::NoOrgId(org, cn) => {
            dn.push(DnType::OrganizationName, org);
            dn.push(DnType::CommonName, cn);
        }
        Subject::SealMaker => {
            dn.push(DnType::OrganizationName, SEAL_MAKER_NAME);
            dn.push(
                org_id,
                printable(&format!("NTRCN-{}", seal_maker_uscc().as_str())),
            );
            dn.push(DnType::CommonName, "制章机构 seal maker (test)");
        }
    }
    dn
}

/// SHA-256 of the SubjectPublicKeyInfo, truncated to 20 bytes (RFC 7093 method 1).
fn key_id(key: &impl PublicKeyData) -> Vec<u8> {
    Sha256::digest(key.subject_public_key_info())[..20].to_vec()
}

/// Every file of `tests/data/pki/`, by name, with its contents.
fn generate_files() -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut issuers: BTreeMap<&str, (CertificateParams, Ed25519Key)> = BTreeMap::new();
    let mut readme = String::from(README_HEAD);
    for (n, spec) in (1u64..).zip(specs()) {
        let ed_key = Ed25519Key::for_name(spec.name);
        let p256 = P256Key {
            point: p256_spki()[26..].to_vec(),
        };
        let subject_key_id = if spec.p256 {
            key_id(&p256)
        } else {
            key_id(&ed_key)
        };
        let mut params = CertificateParams::default();
        params.not_before = date_time_ymd(spec.not_before.0, spec.not_before.1, spec.not_before.2);
        params.not_after = date_time_ymd(spec.not_after.0, spec.not_after.1, spec.not_after.2);
        params.serial_number = Some(vec![0x10, u8::try_from(n).unwrap()].into());
        params.distinguished_name = distinguished_name(spec.subject);
        params.is_ca = match spec.kind {
            Kind::Root => IsCa::Ca(BasicConstraints::Unconstrained),
            Kind::Ca(Some(len)) => IsCa::Ca(BasicConstraints::Constrained(len)),
            Kind::Ca(None) => IsCa::Ca(BasicConstraints::Unconstrained),
            Kind::EndEntity => IsCa::ExplicitNoCa,
            Kind::EndEntityNoBc => IsCa::NoCa,
        };
        params.key_usages = spec.usages.to_vec();
        params.key_identifier_method = KeyIdMethod::PreSpecified(subject_key_id);
        params.use_authority_key_identifier_extension = spec.issuer.is_some();

        let cert = match spec.issuer {
            None => params.self_signed(&ed_key).unwrap(),
            Some(issuer_name) => {
                let (issuer_params, issuer_key) = &issuers[issuer_name];
                let issuer = Issuer::from_params(issuer_params, issuer_key);
                if spec.p256 {
                    params.signed_by(&p256, &issuer).unwrap()
                } else {
                    params.signed_by(&ed_key, &issuer).unwrap()
                }
            }
        };
        files.insert(format!("{}.cert.pem", spec.name), cert.pem());
        let key_file = if spec.p256 {
            String::from("—")
        } else {
            let file = format!("{}.key.pem", spec.name);
            files.insert(file.clone(), ed_key.key.to_pkcs8_pem().unwrap().to_string());
            format!("`{file}`")
        };
        readme.push_str(&format!(
            "| `{name}.cert.pem` | {key_file} | {issuer} | {from} .. {to} | {about} |\n",
            name = spec.name,
            issuer = spec.issuer.unwrap_or("self"),
            from = ymd(spec.not_before),
            to = ymd(spec.not_after),
            about = spec.about,
        ));
        issuers.insert(spec.name, (params, ed_key));
    }
    readme.push_str(&format!(
        "\nOrganisations: A = `{}` {}, B = `{}` {}, seal maker = `{}` {}.\n",
        ORG_A.0,
        ORG_A.1,
        ORG_B.0,
        ORG_B.1,
        seal_maker_uscc().as_str(),
        SEAL_MAKER_NAME
    ));
    files.insert("README.md".into(), readme);
    files
}

fn ymd((y, m, d): (i32, u8, u8)) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}

const README_HEAD: &str = "\
# Test PKI

Generated by `tests/suite/pki.rs` (`cargo test --test suite pki::generate -- --ignored`);
**test keys only** — the private keys are derived from public seeds
(`SHA-256(\"elicense test pki/\" ‖ name)`) and must never be trusted anywhere.
`pki::fixtures_match_generator` fails if these files differ from what the
generator makes, so edit the generator, never the files.

All certificates use Ed25519 (RFC 8410) signatures. Times are 00:00:00Z of the
dates shown (notBefore and notAfter are both inclusive). End entities carry
keyUsage digitalSignature + nonRepudiation unless stated; CAs keyCertSign +
cRLSign. Organisation certificates name their organisation by
organizationIdentifier `NTRCN-<USCC>` (ETSI EN 319 412-1). Serial numbers are
`10 01`, `10 02`, … in the order below. Key files are PKCS#8 v2 PEM.

| certificate | key | issuer | validity | what it is for |
|---|---|---|---|---|
";

fn pki_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/pki")
}

#[test]
#[ignore = "writes tests/data/pki/; run on purpose to regenerate the test PKI"]
fn generate() {
    let dir = pki_dir();
    std::fs::create_dir_all(&dir).unwrap();
    for (name, contents) in generate_files() {
        std::fs::write(dir.join(name), contents).unwrap();
    }
}

#[test]
fn fixtures_match_generator() {
    let files = generate_files();
    let dir = pki_dir();
    for (name, contents) in &files {
        let committed = std::fs::read_to_string(dir.join(name))
            .unwrap_or_else(|e| panic!("{name}: {e} (run pki::generate)"));
        assert!(
            &committed == contents,
            "{name} differs from the generator's output (run pki::generate)"
        );
    }
    // No stale files either.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            files.contains_key(&name),
            "{name} is not made by the generator"
        );
    }
}

#[test]
fn generation_is_deterministic_and_parses() {
    let files = generate_files();
    assert_eq!(files, generate_files());
    for (name, text) in &files {
        if name.ends_with(".cert.pem") {
            let cert = elicense::Certificate::from_pem(text).unwrap();
            assert_eq!(&cert.to_pem(), text, "{name}");
        } else if name.ends_with(".key.pem") {
            let key = SigningKey::from_pkcs8_pem(text).unwrap();
            let cert_name = name.replace(".key.pem", ".cert.pem");
            let cert = elicense::Certificate::from_pem(&files[&cert_name]).unwrap();
            assert_eq!(cert.ed25519_key().unwrap(), &key.public_key(), "{name}");
        }
    }
    let p256 = elicense::Certificate::from_pem(&files["signer_p256.cert.pem"]).unwrap();
    assert!(
        p256.der()
            .windows(p256_spki().len())
            .any(|w| w == p256_spki().as_slice())
    );
}
