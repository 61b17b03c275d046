//! Tests against the committed test PKI (tests/data/pki/, made by tests/suite/pki.rs).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use sha2::Digest as _;

use super::*;
use crate::date::Timestamp;
use crate::ids::Uscc;
use crate::sign::SigningKey;
use crate::status::{InMemoryStatus, StatusSource, UnknownStatus};

macro_rules! fixtures {
    ($($name:literal),* $(,)?) => {
        const NAMES: &[&str] = &[$($name),*];
        fn pem(name: &str) -> &'static str {
            match name {
                $($name => include_str!(concat!("../../tests/data/pki/", $name, ".cert.pem")),)*
                _ => panic!("no fixture {name}"),
            }
        }
    };
}

fixtures!(
    "root",
    "other_root",
    "seal_maker",
    "signer_ca",
    "signer_a",
    "signer_b",
    "signer_expired",
    "signer_not_yet_valid",
    "signer_wrong_ku",
    "ee_issued_leaf",
    "sub_ca",
    "leaf_under_sub_ca",
    "signer_p256",
    "signer_no_org",
    "signer_unknown_root",
);

const SIGNER_A_KEY: &str = include_str!("../../tests/data/pki/signer_a.key.pem");
const ROOT_KEY: &str = include_str!("../../tests/data/pki/root.key.pem");

fn cert(name: &str) -> Certificate {
    Certificate::from_pem(pem(name)).unwrap()
}

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn at() -> Timestamp {
    ts("2026-03-01T00:00:00Z")
}

fn anchors() -> TrustAnchors {
    TrustAnchors::new().with(cert("root"))
}

fn every_cert() -> Vec<Certificate> {
    NAMES.iter().map(|n| cert(n)).collect()
}

/// Verifies `leaf` with the given intermediates against `root` at `at()`,
/// everything good per a complete revocation list.
fn verify_with(
    leaf: &Certificate,
    intermediates: &[Certificate],
    time: Timestamp,
) -> Result<VerifiedChain, ChainError> {
    verify_chain(
        leaf,
        intermediates,
        &anchors(),
        time,
        CertUsage::Signer,
        &ChainPolicy::default(),
        &InMemoryStatus::complete_revocation_list(),
        UnknownStatus::Deny,
    )
}

fn verify_named(leaf: &str, intermediates: &[&str]) -> Result<VerifiedChain, ChainError> {
    let inter: Vec<Certificate> = intermediates.iter().map(|n| cert(n)).collect();
    verify_with(&cert(leaf), &inter, at())
}

fn subject_of(name: &str) -> String {
    cert(name).subject().to_owned()
}

fn replace_all(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut out = haystack.to_vec();
    let mut i = 0;
    while i + from.len() <= out.len() {
        if &out[i..i + from.len()] == from {
            out[i..i + from.len()].copy_from_slice(to);
            i += from.len();
        } else {
            i += 1;
        }
    }
    out
}

fn positions(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

// ----- parsing -----

#[test]
fn every_fixture_parses_and_round_trips() {
    for name in NAMES {
        let text = pem(name);
        let c = Certificate::from_pem(text).unwrap();
        assert_eq!(c.to_pem(), text, "{name}");
        let again = Certificate::from_der(c.der()).unwrap();
        assert_eq!(again, c);
        assert_eq!(
            c.fingerprint(),
            <[u8; 32]>::from(sha2::Sha256::digest(c.der()))
        );
        assert!(c.not_before() < c.not_after(), "{name}");
        assert!(c.subject().starts_with("CN="), "{name}: {}", c.subject());
        assert!(c.subject().ends_with(",C=CN"), "{name}");
    }
    let bundle: String = NAMES.iter().map(|n| pem(n)).collect();
    let all = Certificate::pem_bundle(&bundle).unwrap();
    assert_eq!(all, every_cert());
}

#[test]
fn accessors() {
    let root = cert("root");
    assert_eq!(
        root.subject(),
        "CN=elicense Test Root CA,O=elicense Test PKI,C=CN"
    );
    assert_eq!(root.issuer(), root.subject());
    assert_eq!(root.serial_hex(), "1001");
    assert!(root.is_ca());
    assert_eq!(root.path_len_constraint(), None);
    let ku = root.key_usage().unwrap();
    assert!(ku.key_cert_sign() && ku.crl_sign() && !ku.digital_signature());
    assert_eq!(format!("{ku:?}"), "{keyCertSign, cRLSign}");
    assert_eq!(root.not_before(), ts("2020-01-01T00:00:00Z"));
    assert_eq!(root.not_after(), ts("2045-01-01T00:00:00Z"));
    assert_eq!(root.organization(), None);
    assert_eq!(root.organization_name(), Some("elicense Test PKI"));
    assert_eq!(root.common_name(), Some("elicense Test Root CA"));
    assert_eq!(
        root.ed25519_key().unwrap(),
        &SigningKey::from_pkcs8_pem(ROOT_KEY).unwrap().public_key()
    );

    let ca = cert("signer_ca");
    assert!(ca.is_ca());
    assert_eq!(ca.path_len_constraint(), Some(0));
    assert_eq!(ca.issuer(), root.subject());

    let a = cert("signer_a");
    assert_eq!(
        a.subject(),
        "CN=签章者 A (test signer),organizationIdentifier=NTRCN-11330105002500287C,\
         O=杭州市上城区市场监督管理局,C=CN"
    );
    assert_eq!(a.issuer(), ca.subject());
    assert!(!a.is_ca());
    assert_eq!(a.path_len_constraint(), None);
    let ku = a.key_usage().unwrap();
    assert!(ku.digital_signature() && ku.non_repudiation() && !ku.key_cert_sign());
    assert_eq!(a.not_after(), ts("2029-12-31T00:00:00Z"));
    assert_eq!(
        a.ed25519_key().unwrap(),
        &SigningKey::from_pkcs8_pem(SIGNER_A_KEY)
            .unwrap()
            .public_key()
    );
    assert_eq!(a.common_name(), Some("签章者 A (test signer)"));

    let wrong = cert("signer_wrong_ku").key_usage().unwrap();
    assert!(wrong.key_encipherment() && !wrong.digital_signature() && !wrong.non_repudiation());
    assert!(!cert("seal_maker").is_ca());

    let debug = format!("{a:?}");
    assert!(debug.contains(a.subject()));
    assert!(debug.contains(&crate::model::hex(&a.fingerprint())));
}

#[test]
fn organization_values() {
    let uscc = |s: &str| Uscc::parse(s).unwrap();
    assert_eq!(
        cert("signer_a").organization(),
        Some(&uscc("11330105002500287C"))
    );
    assert_eq!(
        cert("signer_b").organization(),
        Some(&uscc("11430000006122244L"))
    );
    assert_eq!(
        cert("seal_maker").organization(),
        Some(&uscc("12330100MB0123456R"))
    );
    assert_eq!(
        cert("seal_maker").organization_name(),
        Some("杭州市公安局印章管理中心（测试）")
    );
    assert_eq!(cert("signer_no_org").organization(), None);
    assert_eq!(
        cert("signer_no_org").organization_name(),
        Some("杭州市上城区市场监督管理局")
    );
    assert_eq!(cert("root").organization(), None);
    assert_eq!(cert("signer_ca").organization(), None);

    // The value forms accepted and refused.
    assert_eq!(
        super::certificate::organization_uscc("NTRCN-11330105002500287C"),
        Some(uscc("11330105002500287C"))
    );
    assert_eq!(
        super::certificate::organization_uscc("11330105002500287C"),
        Some(uscc("11330105002500287C"))
    );
    for bad in [
        "NTRCN-11330105002500287D",
        "VATCN-11330105002500287C",
        "NTRCN11330105002500287C",
        "ntrcn-11330105002500287C",
        "11330105002500287c",
        "",
    ] {
        assert_eq!(super::certificate::organization_uscc(bad), None, "{bad}");
    }
}

#[test]
fn p256_key_is_named() {
    let c = cert("signer_p256");
    assert_eq!(
        c.ed25519_key(),
        Err(CertError::UnsupportedKeyAlgorithm {
            algorithm: "id-ecPublicKey (P-256)".into()
        })
    );
    assert_eq!(
        c.organization(),
        Some(&Uscc::parse("11330105002500287C").unwrap())
    );
}

#[test]
fn weak_and_malformed_keys_are_refused() {
    let a = cert("signer_a");
    let key = *a.ed25519_key().unwrap().as_bytes();
    // The identity point (small order) in place of the key.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let weak = Certificate::from_der(&replace_all(a.der(), &key, &identity)).unwrap();
    assert_eq!(weak.ed25519_key(), Err(CertError::WeakKey));
    assert_eq!(
        verify_with(&weak, &[cert("signer_ca")], at()).unwrap_err(),
        ChainError::InvalidKey {
            subject: weak.subject().to_owned(),
            problem: CertError::WeakKey
        }
    );
    // y = 2: not on the curve.
    let mut off_curve = [0u8; 32];
    off_curve[0] = 2;
    let bad = Certificate::from_der(&replace_all(a.der(), &key, &off_curve)).unwrap();
    assert_eq!(bad.ed25519_key(), Err(CertError::InvalidKey));
}

#[test]
fn size_trailing_and_algorithm_mismatch() {
    let der = cert("signer_a").der().to_vec();
    let mut trailing = der.clone();
    trailing.push(0);
    assert_eq!(
        Certificate::from_der(&trailing),
        Err(CertError::TrailingData { bytes: 1 })
    );
    let big = vec![0x30; 16 * 1024 + 1];
    assert_eq!(
        Certificate::from_der(&big),
        Err(CertError::TooLarge {
            what: "certificate DER",
            max: 16 * 1024,
            found: 16 * 1024 + 1
        })
    );
    // Ed25519 → Ed448 inside the TBS only.
    let ed25519 = [0x06, 0x03, 0x2b, 0x65, 0x70];
    let at_ = positions(&der, &ed25519);
    assert_eq!(at_.len(), 3, "TBS signature, SPKI, outer signature");
    let mut mismatch = der.clone();
    mismatch[at_[0] + 4] = 0x71;
    assert_eq!(
        Certificate::from_der(&mismatch),
        Err(CertError::SignatureAlgorithmMismatch)
    );
}

#[test]
fn garbage_and_truncations_are_errors_never_panics() {
    for name in NAMES {
        let der = cert(name).der().to_vec();
        for len in 0..der.len() {
            assert!(
                Certificate::from_der(&der[..len]).is_err(),
                "{name} truncated to {len}"
            );
        }
        // Every single-byte change: parse or fail, never panic.
        for i in 0..der.len() {
            let mut d = der.clone();
            d[i] ^= 0x41;
            let _ = Certificate::from_der(&d).map(|c| (c.subject().len(), c.ed25519_key().is_ok()));
        }
    }
    for garbage in [
        &b""[..],
        b"\x30",
        b"\x30\x80\x00\x00",
        b"\x30\x03\x02\x01\x00",
        b"hello",
    ] {
        assert!(matches!(
            Certificate::from_der(garbage),
            Err(CertError::Der { .. })
        ));
    }
    // PEM.
    let text = pem("signer_a");
    // (Only the final line break may go.)
    for len in 0..text.trim_end().len() {
        if let Some(prefix) = text.get(..len) {
            assert!(
                Certificate::from_pem(prefix).is_err(),
                "PEM truncated to {len}"
            );
        }
    }
    let two = format!("{text}{}", pem("root"));
    assert!(matches!(
        Certificate::from_pem(&two),
        Err(CertError::Pem { .. })
    ));
    assert!(matches!(
        Certificate::from_pem(""),
        Err(CertError::Pem { .. })
    ));
    let key_and_cert = format!("{SIGNER_A_KEY}{text}");
    assert!(matches!(
        Certificate::from_pem(&key_and_cert),
        Err(CertError::Pem { .. })
    ));
    let many = text.repeat(65);
    assert_eq!(
        Certificate::pem_bundle(&many),
        Err(CertError::TooManyCertificates { max: 64 })
    );
    assert_eq!(Certificate::pem_bundle(&text.repeat(64)).unwrap().len(), 64);
    let junk = "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n";
    assert!(matches!(
        Certificate::from_pem(junk),
        Err(CertError::Der { .. })
    ));
    assert!(matches!(
        Certificate::from_pem(&"x".repeat(40 * 1024)),
        Err(CertError::TooLarge { .. })
    ));
}

#[test]
fn trust_anchors() {
    let mut anchors = TrustAnchors::new();
    assert!(anchors.is_empty());
    anchors.add(cert("root")).add(cert("root"));
    assert_eq!(anchors.len(), 1);
    let bundle = format!("{}{}", pem("root"), pem("other_root"));
    let both = TrustAnchors::from_pem_bundle(&bundle).unwrap();
    assert_eq!(both.len(), 2);
    assert_eq!(
        both.iter()
            .map(Certificate::common_name)
            .collect::<Vec<_>>(),
        [
            Some("elicense Test Root CA"),
            Some("elicense Other Root CA (not trusted)")
        ]
    );
    assert!(TrustAnchors::from_pem_bundle("-----BEGIN CERTIFICATE-----\n").is_err());
}

// ----- chains -----

#[test]
fn good_chains_pass() {
    let chain = verify_named("signer_a", &["signer_ca"]).unwrap();
    assert_eq!(
        chain.certificates(),
        &[cert("signer_a"), cert("signer_ca"), cert("root")]
    );
    assert_eq!(chain.leaf(), &cert("signer_a"));
    assert_eq!(chain.anchor(), &cert("root"));

    let chain = verify_named("signer_b", &["signer_ca"]).unwrap();
    assert_eq!(chain.certificates().len(), 3);

    let chain = verify_named("seal_maker", &[]).unwrap();
    assert_eq!(chain.certificates(), &[cert("seal_maker"), cert("root")]);

    // With every fixture offered as an intermediate, the same paths are found.
    let all = every_cert();
    for leaf in ["signer_a", "signer_b", "seal_maker", "signer_no_org"] {
        let chain = verify_with(&cert(leaf), &all, at()).unwrap();
        assert_eq!(chain.anchor(), &cert("root"), "{leaf}");
    }
    // No organizationIdentifier does not matter to path validation.
    let chain = verify_named("signer_no_org", &["signer_ca"]).unwrap();
    assert_eq!(chain.leaf().organization(), None);
}

#[test]
fn bad_chains_fail_at_the_expected_certificate() {
    let all = every_cert();
    let cases: Vec<(&str, &[&str], ChainError)> = vec![
        (
            "signer_expired",
            &["signer_ca"],
            ChainError::Expired {
                subject: subject_of("signer_expired"),
                not_after: ts("2022-12-31T00:00:00Z"),
                at: at(),
            },
        ),
        (
            "signer_not_yet_valid",
            &["signer_ca"],
            ChainError::NotYetValid {
                subject: subject_of("signer_not_yet_valid"),
                not_before: ts("2035-01-01T00:00:00Z"),
                at: at(),
            },
        ),
        (
            "signer_wrong_ku",
            &["signer_ca"],
            ChainError::MissingKeyUsage {
                subject: subject_of("signer_wrong_ku"),
                needed: "digitalSignature or nonRepudiation",
            },
        ),
        (
            "ee_issued_leaf",
            &["signer_a", "signer_ca"],
            ChainError::NotCa {
                subject: subject_of("signer_a"),
            },
        ),
        (
            "leaf_under_sub_ca",
            &["sub_ca", "signer_ca"],
            ChainError::PathLengthExceeded {
                subject: subject_of("signer_ca"),
            },
        ),
        (
            "signer_p256",
            &["signer_ca"],
            ChainError::UnsupportedKeyAlgorithm {
                subject: subject_of("signer_p256"),
                algorithm: "id-ecPublicKey (P-256)".into(),
            },
        ),
        (
            "signer_unknown_root",
            &["signer_ca"],
            ChainError::UnknownIssuer {
                subject: subject_of("signer_unknown_root"),
            },
        ),
    ];
    for (leaf, intermediates, expected) in cases {
        assert_eq!(
            verify_named(leaf, intermediates).unwrap_err(),
            expected,
            "{leaf}"
        );
        // Offering every fixture changes nothing but the unknown root's end.
        let with_all = verify_with(&cert(leaf), &all, at()).unwrap_err();
        if leaf == "signer_unknown_root" {
            // other_root is found, checked, and has no issuer but itself.
            assert_eq!(
                with_all,
                ChainError::UnknownIssuer {
                    subject: subject_of("other_root")
                }
            );
        } else {
            assert_eq!(with_all, expected, "{leaf} with all intermediates");
        }
    }
    // Trusting other_root makes signer_unknown_root good.
    let anchors = anchors().with(cert("other_root"));
    verify_chain(
        &cert("signer_unknown_root"),
        &[],
        &anchors,
        at(),
        CertUsage::Signer,
        &ChainPolicy::default(),
        &InMemoryStatus::complete_revocation_list(),
        UnknownStatus::Deny,
    )
    .unwrap();
    // Without the intermediate, or without anchors, there is no path.
    assert_eq!(
        verify_named("signer_a", &[]).unwrap_err(),
        ChainError::UnknownIssuer {
            subject: subject_of("signer_a")
        }
    );
    let none = verify_chain(
        &cert("signer_a"),
        &[cert("signer_ca")],
        &TrustAnchors::new(),
        at(),
        CertUsage::Signer,
        &ChainPolicy::default(),
        &InMemoryStatus::complete_revocation_list(),
        UnknownStatus::Deny,
    );
    assert_eq!(
        none.unwrap_err(),
        ChainError::UnknownIssuer {
            subject: subject_of("signer_ca")
        }
    );
    // A CA is not a signer.
    assert_eq!(
        verify_named("signer_ca", &[]).unwrap_err(),
        ChainError::MissingKeyUsage {
            subject: subject_of("signer_ca"),
            needed: "digitalSignature or nonRepudiation"
        }
    );
}

#[test]
fn tampered_certificates_fail_their_signature() {
    let a = cert("signer_a");
    // Change one character of the CN inside the signed part.
    let tampered = replace_all(a.der(), "test signer".as_bytes(), "test signeR".as_bytes());
    let t = Certificate::from_der(&tampered).unwrap();
    assert_eq!(
        verify_with(&t, &[cert("signer_ca")], at()).unwrap_err(),
        ChainError::BadSignature {
            subject: t.subject().to_owned()
        }
    );
    // Change the last byte of the signature.
    let mut der = a.der().to_vec();
    *der.last_mut().unwrap() ^= 1;
    let t = Certificate::from_der(&der).unwrap();
    assert_eq!(
        verify_with(&t, &[cert("signer_ca")], at()).unwrap_err(),
        ChainError::BadSignature {
            subject: subject_of("signer_a")
        }
    );
    // An intermediate whose signature is broken.
    let mut ca = cert("signer_ca").der().to_vec();
    *ca.last_mut().unwrap() ^= 1;
    assert_eq!(
        verify_with(&a, &[Certificate::from_der(&ca).unwrap()], at()).unwrap_err(),
        ChainError::BadSignature {
            subject: subject_of("signer_ca")
        }
    );
}

#[test]
fn unsupported_signature_algorithm_and_critical_extension() {
    let ed25519 = [0x06, 0x03, 0x2b, 0x65, 0x70];
    let der = cert("signer_a").der().to_vec();
    let p = positions(&der, &ed25519);
    let mut ed448 = der.clone();
    ed448[p[0] + 4] = 0x71;
    ed448[p[2] + 4] = 0x71;
    let c = Certificate::from_der(&ed448).unwrap();
    assert_eq!(
        verify_with(&c, &[cert("signer_ca")], at()).unwrap_err(),
        ChainError::UnsupportedSignatureAlgorithm {
            subject: subject_of("signer_a"),
            algorithm: "Ed448".into()
        }
    );
    // signer_ca's critical keyUsage (2.5.29.15) renamed to 2.5.29.99.
    let ca = cert("signer_ca").der().to_vec();
    let renamed = replace_all(
        &ca,
        &[0x06, 0x03, 0x55, 0x1d, 0x0f, 0x01, 0x01, 0xff],
        &[0x06, 0x03, 0x55, 0x1d, 0x63, 0x01, 0x01, 0xff],
    );
    assert_ne!(renamed, ca);
    let ca = Certificate::from_der(&renamed).unwrap();
    assert_eq!(ca.key_usage(), None);
    assert_eq!(
        verify_with(&cert("signer_a"), &[ca], at()).unwrap_err(),
        ChainError::UnsupportedCriticalExtension {
            subject: subject_of("signer_ca"),
            oid: "2.5.29.99".into()
        }
    );
}

#[test]
fn validity_boundaries() {
    let a = cert("signer_a");
    let ca = [cert("signer_ca")];
    let nb = a.not_before();
    let na = a.not_after();
    assert!(a.is_valid_at(nb) && a.is_valid_at(na));
    assert!(!a.is_valid_at(nb.saturating_add(-1)) && !a.is_valid_at(na.saturating_add(1)));
    verify_with(&a, &ca, nb).unwrap();
    verify_with(&a, &ca, na).unwrap();
    assert_eq!(
        verify_with(&a, &ca, nb.saturating_add(-1)).unwrap_err(),
        ChainError::NotYetValid {
            subject: a.subject().to_owned(),
            not_before: nb,
            at: nb.saturating_add(-1)
        }
    );
    assert_eq!(
        verify_with(&a, &ca, na.saturating_add(1)).unwrap_err(),
        ChainError::Expired {
            subject: a.subject().to_owned(),
            not_after: na,
            at: na.saturating_add(1)
        }
    );
    // A valid leaf under a CA that is not yet valid: signer_expired was valid
    // in 2021, signer_ca only from 2022.
    let t = ts("2021-06-01T00:00:00Z");
    assert_eq!(
        verify_with(&cert("signer_expired"), &ca, t).unwrap_err(),
        ChainError::NotYetValid {
            subject: subject_of("signer_ca"),
            not_before: ts("2022-01-01T00:00:00Z"),
            at: t
        }
    );
    // seal_maker (to 2034) is fine in 2033 under root (to 2045).
    verify_with(&cert("seal_maker"), &[], ts("2033-12-31T23:59:59Z")).unwrap();
}

#[test]
fn budgets() {
    let a = cert("signer_a");
    let ca = [cert("signer_ca")];
    let run = |policy: ChainPolicy| {
        verify_chain(
            &a,
            &ca,
            &anchors(),
            at(),
            CertUsage::Signer,
            &policy,
            &InMemoryStatus::complete_revocation_list(),
            UnknownStatus::Deny,
        )
    };
    assert_eq!(
        run(ChainPolicy::default().with_max_depth(2)).unwrap_err(),
        ChainError::MaximumDepthExceeded { max: 2 }
    );
    assert_eq!(
        run(ChainPolicy::default().with_max_signature_checks(1)).unwrap_err(),
        ChainError::MaximumSignatureChecksExceeded { max: 1 }
    );
    run(ChainPolicy::default()
        .with_max_depth(3)
        .with_max_signature_checks(2))
    .unwrap();
    let p = ChainPolicy::default();
    assert_eq!((p.max_depth, p.max_signature_checks), (5, 16));
}

#[test]
fn revocation() {
    let a = cert("signer_a");
    let ca = cert("signer_ca");
    let run = |status: &dyn StatusSource, unknown: UnknownStatus| {
        verify_chain(
            &a,
            std::slice::from_ref(&ca),
            &anchors(),
            at(),
            CertUsage::Signer,
            &ChainPolicy::default(),
            status,
            unknown,
        )
    };
    let since = ts("2025-06-01T00:00:00Z");
    let mut status = InMemoryStatus::complete_revocation_list();
    status.revoke_certificate(&a, since);
    assert_eq!(
        run(&status, UnknownStatus::Deny).unwrap_err(),
        ChainError::Revoked {
            subject: a.subject().to_owned(),
            since
        }
    );
    // Revoked after the verification time: good at that time.
    let mut later = InMemoryStatus::complete_revocation_list();
    later.revoke_certificate(&a, ts("2027-01-01T00:00:00Z"));
    run(&later, UnknownStatus::Deny).unwrap();
    // A revoked intermediate.
    let mut status = InMemoryStatus::complete_revocation_list();
    status.revoke_certificate(&ca, since);
    assert_eq!(
        run(&status, UnknownStatus::Deny).unwrap_err(),
        ChainError::Revoked {
            subject: ca.subject().to_owned(),
            since
        }
    );
    // Revoking the anchor is not asked about: the anchor is trusted as given.
    let mut status = InMemoryStatus::complete_revocation_list();
    status.revoke_certificate(&cert("root"), since);
    run(&status, UnknownStatus::Deny).unwrap();

    // Unknown status.
    let nothing = InMemoryStatus::new();
    assert_eq!(
        run(&nothing, UnknownStatus::Deny).unwrap_err(),
        ChainError::StatusUnknown {
            subject: a.subject().to_owned()
        }
    );
    run(&nothing, crate::danger::accept_unknown_status()).unwrap();
    let mut partial = InMemoryStatus::new();
    partial.good_certificate(&a);
    assert_eq!(
        run(&partial, UnknownStatus::default()).unwrap_err(),
        ChainError::StatusUnknown {
            subject: ca.subject().to_owned()
        }
    );
    partial.good_certificate(&ca);
    run(&partial, UnknownStatus::Deny).unwrap();
    // Accepting unknown status never accepts a revoked certificate.
    let mut revoked = InMemoryStatus::new();
    revoked.revoke_certificate(&a, since);
    assert!(matches!(
        run(&revoked, crate::danger::accept_unknown_status()),
        Err(ChainError::Revoked { .. })
    ));
}

#[test]
fn errors_display_the_certificate() {
    let e = verify_named("signer_expired", &["signer_ca"]).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("signer_expired (test)"), "{text}");
    assert!(text.contains("2022-12-31T00:00:00Z"), "{text}");
    let e = CertError::UnsupportedKeyAlgorithm {
        algorithm: "rsaEncryption".into(),
    };
    assert!(e.to_string().contains("rsaEncryption"));
}
