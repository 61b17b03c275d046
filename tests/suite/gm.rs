//! GB/T 38540 seals made by another implementation (ofdrw, tests/data/gbt38540),
//! decoded, re-encoded byte for byte, and checked element by element.

use elicense::{
    SM2_WITH_SM3, SesCertRef, SesError, SesSeal, SesSignature, SesVersion, Sm2Signature, TimeKind,
    Timestamp,
};

pub fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/data/gbt38540/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

pub fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

const MAKER_SERIAL: &str = "01719d2e201d";
const SIGNER_SERIAL: &str = "01719d2dab60";

#[test]
fn ofdrw_seals_decode_and_re_encode_exactly() {
    for (file, version, vendor, id, name, created, to) in [
        (
            "UserV4.esl",
            SesVersion::V4,
            "OFDR&WTest",
            "51f044b76510434e9bc67a1185c2fba5",
            "OFD R&W 测试用印章",
            "2020-04-22T02:09:00Z",
            "2022-04-22T02:09:00Z",
        ),
        (
            "UserV5.esl",
            SesVersion::V5,
            "OFDR&WTestV5",
            "09aaf39291e049e4b3d716414590937e",
            "OFD R&W V5测试用印章",
            "2026-04-24T08:53:23Z",
            "2028-04-24T08:53:23Z",
        ),
    ] {
        let bytes = data(file);
        let seal = SesSeal::decode(&bytes).unwrap();
        assert_eq!(seal.encode(), bytes, "{file}");
        assert_eq!(seal.as_bytes(), &bytes[..]);
        let i = seal.info();
        assert_eq!(seal.version(), version);
        assert_eq!(i.vendor, vendor);
        assert_eq!(i.id, id);
        assert_eq!(i.seal_type, 3);
        assert_eq!(i.name, name);
        assert_eq!(i.cert_list_type, Some(1));
        assert_eq!(i.created.at, ts(created));
        assert_eq!(i.created.kind, TimeKind::Generalized);
        assert_eq!(i.valid_from.at, ts(created));
        assert_eq!(i.valid_to.at, ts(to));
        assert_eq!(i.picture.kind, "PNG");
        assert_eq!(i.picture.data.len(), 15693);
        assert!(i.picture.data.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!((i.picture.width_mm, i.picture.height_mm), (40, 40));
        assert_eq!(i.extensions, None);
        let [SesCertRef::Certificate(listed)] = &i.certs[..] else {
            panic!("{file}: one whole certificate expected");
        };
        let listed = elicense::Certificate::from_der(listed).unwrap();
        assert_eq!(listed.serial_hex(), SIGNER_SERIAL);
        assert_eq!(seal.maker().serial_hex(), MAKER_SERIAL);
        for c in [&listed, seal.maker()] {
            assert_eq!(
                c.subject(),
                "CN=Test Certificate,L=Hangzhou,ST=Zhejiang,O=OFD R&W,C=CN"
            );
            assert_eq!(
                c.not_after(),
                ts(if c == &listed {
                    "2022-04-21T14:39:08Z"
                } else {
                    "2022-04-21T14:39:38Z"
                })
            );
            c.sm2_key().unwrap();
        }
        assert_eq!(seal.signature_algorithm(), SM2_WITH_SM3);
        // ofdrw's maker signs the DER of SES_SealInfo.
        let sig = Sm2Signature::from_der(seal.signature()).unwrap();
        seal.maker()
            .sm2_key()
            .unwrap()
            .verify(seal.info_bytes(), &sig)
            .unwrap();
    }
}

#[test]
fn ofdrw_signatures_decode_and_re_encode_exactly() {
    for (file, version, seal_file, time) in [
        (
            "SignedValueV4.dat",
            SesVersion::V4,
            "UserV4.esl",
            "2020-10-12T11:14:03Z",
        ),
        (
            "SignedValueV5.dat",
            SesVersion::V5,
            "UserV5.esl",
            "2026-04-24T08:53:26Z",
        ),
    ] {
        let bytes = data(file);
        let s = SesSignature::decode(&bytes).unwrap();
        assert_eq!(s.encode(), bytes, "{file}");
        assert_eq!(s.version(), version);
        let t = s.to_sign();
        assert_eq!(t.time.at, ts(time));
        assert_eq!(t.data_hash.len(), 32);
        assert_eq!(t.property_info, "/Doc_0/Signs/Sign_0/Signature.xml");
        assert_eq!(t.extensions, None);
        assert_eq!(s.timestamp(), None);
        assert_eq!(s.signer().serial_hex(), SIGNER_SERIAL);
        assert_eq!(s.signature_algorithm(), SM2_WITH_SM3);
        // The seal inside is a seal of the same edition (the V5 signature's
        // seal was made a few seconds after UserV5.esl, so it differs).
        assert_eq!(s.seal().version(), version);
        if version == SesVersion::V4 {
            assert_eq!(s.seal().as_bytes(), &data(seal_file)[..]);
        }
        assert_eq!(
            s.seal().info().name,
            SesSeal::decode(&data(seal_file)).unwrap().info().name
        );
        // The signer signs the DER of TBS_Sign.
        let sig = Sm2Signature::from_der(s.signature()).unwrap();
        s.signer()
            .sm2_key()
            .unwrap()
            .verify(s.tbs_bytes(), &sig)
            .unwrap();
    }
}

#[test]
fn every_truncation_and_trailing_byte_is_a_typed_error() {
    for file in ["UserV5.esl", "SignedValueV4.dat"] {
        let bytes = data(file);
        let decode = |b: &[u8]| {
            if file.ends_with(".esl") {
                SesSeal::decode(b).map(|_| ())
            } else {
                SesSignature::decode(b).map(|_| ())
            }
        };
        for cut in (0..bytes.len()).step_by(97).chain([bytes.len() - 1]) {
            assert!(decode(&bytes[..cut]).is_err(), "{file} cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer), Err(SesError::TrailingBytes));
    }
}

#[test]
fn element_errors_name_the_element() {
    let bytes = data("UserV5.esl");
    // The header version INTEGER is at offset 14: 02 01 05.
    assert_eq!(&bytes[14..17], &[0x02, 0x01, 0x05]);
    let mut v6 = bytes.clone();
    v6[16] = 6;
    assert_eq!(
        SesSeal::decode(&v6),
        Err(SesError::UnsupportedVersion {
            field: "SES_Header.version",
            found: 6
        })
    );
    // "ES" → "EX".
    let mut id = bytes.clone();
    id[13] = b'X';
    assert!(matches!(
        SesSeal::decode(&id),
        Err(SesError::Invalid {
            field: "SES_Header.ID",
            ..
        })
    ));
    // The esID IA5String (offset 31) retagged as UTF8String.
    let mut tagged = bytes.clone();
    assert_eq!(tagged[31], 0x16);
    tagged[31] = 0x0c;
    assert_eq!(
        SesSeal::decode(&tagged),
        Err(SesError::UnexpectedTag {
            field: "esID",
            expected: 0x16,
            found: 0x0c
        })
    );
    // Too large before anything is parsed.
    let big = vec![0u8; elicense::ses_limits::BYTES + 1];
    assert!(matches!(
        SesSeal::decode(&big),
        Err(SesError::TooLarge { .. })
    ));
    assert!(matches!(
        SesSignature::decode(&big),
        Err(SesError::TooLarge { .. })
    ));
}

#[test]
fn deep_nesting_is_refused() {
    let mut v = vec![0x05, 0x00];
    for _ in 0..64 {
        let mut o = vec![0x30, v.len() as u8];
        if v.len() >= 0x80 {
            o = vec![0x30, 0x81, v.len() as u8];
        }
        o.extend_from_slice(&v);
        v = o;
        if v.len() > 250 {
            break;
        }
    }
    assert!(SesSignature::decode(&v).is_err());
    assert!(SesSeal::decode(&v).is_err());
}

pub mod verify {
    use super::{data, ts};
    use elicense::{
        Certificate, ChainError, Failure, InMemoryStatus, LicenseTypes, Outcome, SesSignature,
        Step, TrustAnchors, Verifier, sm3,
    };

    /// A verifier that trusts the ofdrw maker and signer certificates
    /// themselves (their root is not published) and knows their status and
    /// the seals'.
    pub fn ofdrw_verifier(revoked_seal: Option<&str>) -> Verifier {
        let sig = SesSignature::decode(&data("SignedValueV4.dat")).unwrap();
        let maker = sig.seal().maker().clone();
        let signer = sig.signer().clone();
        let mut status = InMemoryStatus::new();
        status.good_certificate(&maker).good_certificate(&signer);
        for f in ["UserV4.esl", "UserV5.esl"] {
            let id = elicense::SesSeal::decode(&data(f))
                .unwrap()
                .info()
                .id
                .clone();
            status.good_seal(&id);
        }
        let v5 = SesSignature::decode(&data("SignedValueV5.dat")).unwrap();
        status.good_seal(&v5.seal().info().id);
        if let Some(id) = revoked_seal {
            status.revoke_seal(id, ts("2020-05-01T00:00:00Z"));
        }
        Verifier::new(LicenseTypes::new())
            .with_trust_anchors(TrustAnchors::new().with(maker).with(signer))
            .with_status(status)
    }

    fn outcome(r: &elicense::Report, step: Step) -> &Outcome {
        r.checks()
            .iter()
            .find(|c| c.step() == step)
            .unwrap()
            .outcome()
    }

    #[test]
    fn v4_signature_verifies_in_the_standards_order_up_to_the_data() {
        let v = ofdrw_verifier(None);
        let bytes = data("SignedValueV4.dat");
        // The signed OFD file (Signature.xml) is not published: every step
        // before the data hash passes, the data hash fails for other data.
        let r = v
            .verify_ses_signature(&bytes, b"not the signed file", ts("2021-01-01T00:00:00Z"))
            .unwrap_err();
        assert_eq!(r.step(), Step::DataHash, "{}", r.report());
        for step in [
            Step::Parse,
            Step::SignatureValue,
            Step::SignerInSeal,
            Step::SealMakerSignature,
            Step::SealMakerCertificate,
            Step::SealValidity,
            Step::SignerCertificate,
        ] {
            assert_eq!(outcome(r.report(), step), &Outcome::Passed, "{step}");
        }
        for step in [
            Step::Identifiers,
            Step::Schema,
            Step::Validity,
            Step::Organisation,
        ] {
            assert_eq!(outcome(r.report(), step), &Outcome::NotApplicable);
        }
        // The standalone seal verifies at the signing time.
        v.verify_ses_seal(&data("UserV4.esl"), ts("2020-10-12T11:14:03Z"))
            .unwrap();
        // Before it was signed: signed after the verification time.
        let early = v
            .verify_ses_signature(&bytes, b"", ts("2020-10-12T11:14:02Z"))
            .unwrap_err();
        assert!(matches!(
            early.failure(),
            Failure::SignedAfterVerificationTime { .. }
        ));
    }

    #[test]
    fn v5_signature_fails_at_the_expired_maker_certificate() {
        let v = ofdrw_verifier(None);
        // The V5 seal was made in 2026, the certificates expired in 2022.
        let r = v
            .verify_ses_signature(&data("SignedValueV5.dat"), b"", ts("2026-05-01T00:00:00Z"))
            .unwrap_err();
        assert_eq!(r.step(), Step::SealMakerCertificate, "{}", r.report());
        let Failure::SealMakerCertificate { error, .. } = r.failure() else {
            panic!()
        };
        assert!(matches!(error, ChainError::Expired { .. }), "{error}");
        assert_eq!(outcome(r.report(), Step::SignatureValue), &Outcome::Passed);
        assert_eq!(outcome(r.report(), Step::SignerInSeal), &Outcome::Passed);
        assert_eq!(
            outcome(r.report(), Step::SealMakerSignature),
            &Outcome::Passed
        );
        assert_eq!(outcome(r.report(), Step::SealValidity), &Outcome::NotRun);
        let seal = v
            .verify_ses_seal(&data("UserV5.esl"), ts("2027-01-01T00:00:00Z"))
            .unwrap_err();
        assert_eq!(seal.step(), Step::SealMakerCertificate);
    }

    #[test]
    fn v4_failures_at_each_step() {
        let bytes = data("SignedValueV4.dat");
        let at = ts("2021-01-01T00:00:00Z");
        let sig = SesSignature::decode(&bytes).unwrap();
        // Untrusted: no anchors.
        let bare = Verifier::new(LicenseTypes::new());
        let r = bare.verify_ses_signature(&bytes, b"", at).unwrap_err();
        assert_eq!(r.step(), Step::SealMakerCertificate);
        // A revoked seal.
        let revoked = ofdrw_verifier(Some(&sig.seal().info().id));
        let r = revoked.verify_ses_signature(&bytes, b"", at).unwrap_err();
        assert!(
            matches!(r.failure(), Failure::SealRevoked { .. }),
            "{}",
            r.report()
        );
        // Only the maker trusted: the signer certificate has no known issuer.
        let maker_only = Verifier::new(LicenseTypes::new())
            .with_trust_anchors(TrustAnchors::new().with(sig.seal().maker().clone()))
            .with_status(InMemoryStatus::new())
            .with_unknown_status(elicense::danger::accept_unknown_status());
        let r = maker_only
            .verify_ses_signature(&bytes, b"", at)
            .unwrap_err();
        assert_eq!(r.step(), Step::SignerCertificate, "{}", r.report());
        let _: &Certificate = sig.signer();
        // The data hash is SM3 of the data: a signature made over known data
        // passes it (elicense's own, in the SM2 sealing tests).
        assert_ne!(sig.to_sign().data_hash, sm3(b""));
    }

    /// Flipping a byte of a signed element is caught: in the standalone seal
    /// at parse or the maker signature (or, in the maker certificate, at the
    /// maker certificate); in the signature at parse or the signature value.
    #[test]
    fn flipped_bytes_are_caught_at_the_right_step() {
        let v = ofdrw_verifier(None);
        let at = ts("2020-10-12T11:14:03Z");
        let seal = data("UserV4.esl");
        let info_end = 4 + elicense::SesSeal::decode(&seal).unwrap().info_bytes().len();
        for i in (0..seal.len()).step_by(31) {
            let mut b = seal.clone();
            b[i] ^= 0x01;
            let r = v.verify_ses_seal(&b, at).unwrap_err();
            let ok = if i < info_end {
                matches!(r.step(), Step::Parse | Step::SealMakerSignature)
            } else {
                matches!(
                    r.step(),
                    Step::Parse | Step::SealMakerSignature | Step::SealMakerCertificate
                )
            };
            assert!(ok, "byte {i}: {}", r.report());
        }
        let sig = data("SignedValueV4.dat");
        let tbs_end = 4 + SesSignature::decode(&sig).unwrap().tbs_bytes().len();
        for i in (0..sig.len()).step_by(29) {
            let mut b = sig.clone();
            b[i] ^= 0x01;
            let r = v.verify_ses_signature(&b, b"", at).unwrap_err();
            let ok = if i < tbs_end {
                matches!(r.step(), Step::Parse | Step::SignatureValue)
            } else {
                // The signer certificate (its key), the algorithm, the value.
                matches!(
                    r.step(),
                    Step::Parse | Step::SignatureValue | Step::SignerInSeal
                )
            };
            assert!(ok, "byte {i}: {}", r.report());
        }
    }
}

/// Seals and signatures elicense makes with SM2, verified by elicense.
pub mod issue {
    use super::ts;
    use elicense::{
        Certificate, ChainError, Failure, InMemoryStatus, LicenseTypes, SesCertRef, SesExtension,
        SesPicture, SesSeal, SesSealInfo, SesSealMaker, SesSealer, SesSignature, SesTime,
        SesVersion, Sm2CertificateSpec, Sm2SigningKey, Step, TimeKind, TrustAnchors, Uscc,
        Verifier, issue_sm2_certificate, sm3,
    };

    pub struct Pki {
        pub root: Certificate,
        pub maker_cert: Certificate,
        pub maker: SesSealMaker,
        pub signer_cert: Certificate,
        pub signer_key: Sm2SigningKey,
        pub other_cert: Certificate,
        pub other_key: Sm2SigningKey,
    }

    fn spec(cn: &str, serial: u64, ca: bool) -> Sm2CertificateSpec {
        Sm2CertificateSpec {
            common_name: cn.into(),
            organization: Some((
                "某某市市场监督管理局".into(),
                Uscc::parse("91350100M000100Y43").unwrap(),
            )),
            serial,
            not_before: ts("2025-01-01T00:00:00Z"),
            not_after: ts("2030-01-01T00:00:00Z"),
            ca,
        }
    }

    pub fn pki() -> Pki {
        let root_key = Sm2SigningKey::generate().unwrap();
        let root = issue_sm2_certificate(&spec("SM2 Root", 1, true), &root_key, None).unwrap();
        let issue = |cn, serial| {
            let key = Sm2SigningKey::generate().unwrap();
            let cert =
                issue_sm2_certificate(&spec(cn, serial, false), &key, Some((&root, &root_key)))
                    .unwrap();
            (cert, key)
        };
        let (maker_cert, maker_key) = issue("Seal maker", 2);
        let (signer_cert, signer_key) = issue("Signer", 3);
        let (other_cert, other_key) = issue("Other", 4);
        Pki {
            root: root.clone(),
            maker: SesSealMaker::new(maker_cert.clone(), maker_key).unwrap(),
            maker_cert,
            signer_cert,
            signer_key,
            other_cert,
            other_key,
        }
    }

    pub const SEAL_ID: &str = "330100-2026-000001";

    pub fn info(version: SesVersion, signer: &Certificate) -> SesSealInfo {
        let t = |s| SesTime {
            at: ts(s),
            kind: TimeKind::Generalized,
        };
        SesSealInfo {
            version,
            vendor: "elicense".into(),
            id: SEAL_ID.into(),
            seal_type: 2,
            name: "某某市市场监督管理局证照专用章".into(),
            cert_list_type: Some(2),
            certs: vec![SesCertRef::Digest {
                algorithm: "sm3".into(),
                value: sm3(signer.der()).to_vec(),
            }],
            created: t("2026-01-01T00:00:00Z"),
            valid_from: t("2026-01-01T00:00:00Z"),
            valid_to: t("2028-12-31T23:59:59Z"),
            picture: SesPicture {
                kind: "PNG".into(),
                data: b"\x89PNG\r\n\x1a\n-not-really-an-image".to_vec(),
                width_mm: 42,
                height_mm: 42,
            },
            extensions: Some(vec![
                SesExtension::new("1.2.156.3005.2.99", false, b"note".to_vec()).unwrap(),
            ]),
        }
    }

    pub fn verifier(pki: &Pki) -> Verifier {
        let mut status = InMemoryStatus::new();
        status
            .good_certificate(&pki.maker_cert)
            .good_certificate(&pki.signer_cert)
            .good_certificate(&pki.other_cert)
            .good_seal(SEAL_ID);
        Verifier::new(LicenseTypes::new())
            .with_trust_anchors(TrustAnchors::new().with(pki.root.clone()))
            .with_status(status)
    }

    #[test]
    fn sm2_certificates_chain_to_an_sm2_root() {
        let pki = pki();
        assert!(pki.root.is_ca());
        assert_eq!(
            pki.signer_cert.organization().unwrap().as_str(),
            "91350100M000100Y43"
        );
        let status = {
            let mut s = InMemoryStatus::new();
            s.good_certificate(&pki.signer_cert);
            s
        };
        let anchors = TrustAnchors::new().with(pki.root.clone());
        let chain = elicense::verify_chain(
            &pki.signer_cert,
            &[],
            &anchors,
            ts("2026-06-01T00:00:00Z"),
            elicense::CertUsage::Signer,
            &elicense::ChainPolicy::default(),
            &status,
            elicense::UnknownStatus::Deny,
        )
        .unwrap();
        assert_eq!(chain.anchor(), &pki.root);
        // Under another root with the same name: bad signature.
        let other_root_key = Sm2SigningKey::generate().unwrap();
        let other_root =
            issue_sm2_certificate(&spec("SM2 Root", 1, true), &other_root_key, None).unwrap();
        let err = elicense::verify_chain(
            &pki.signer_cert,
            &[],
            &TrustAnchors::new().with(other_root),
            ts("2026-06-01T00:00:00Z"),
            elicense::CertUsage::Signer,
            &elicense::ChainPolicy::default(),
            &status,
            elicense::UnknownStatus::Deny,
        )
        .unwrap_err();
        assert!(matches!(err, ChainError::BadSignature { .. }), "{err}");
    }

    #[test]
    fn elicense_seals_and_signatures_round_trip_and_verify() {
        let pki = pki();
        let v = verifier(&pki);
        for version in [SesVersion::V4, SesVersion::V5] {
            let info = info(version, &pki.signer_cert);
            let seal = pki.maker.make(&info).unwrap();
            assert_eq!(seal.info(), &info);
            let again = SesSeal::decode(seal.as_bytes()).unwrap();
            assert_eq!(again.encode(), seal.as_bytes());
            v.verify_ses_seal(seal.as_bytes(), ts("2026-06-01T00:00:00Z"))
                .unwrap();
            let sealer = SesSealer::new(
                seal.clone(),
                pki.signer_cert.clone(),
                pki.signer_key.clone(),
            )
            .unwrap();
            let doc = b"<ofd:Signature>...</ofd:Signature>";
            let at = ts("2026-06-01T08:00:00Z");
            let sig = sealer
                .sign(doc, "/Doc_0/Signs/Sign_0/Signature.xml", at)
                .unwrap();
            let decoded = SesSignature::decode(sig.as_bytes()).unwrap();
            assert_eq!(decoded.encode(), sig.as_bytes());
            assert_eq!(decoded.version(), version);
            let ok = v.verify_ses_signature(sig.as_bytes(), doc, at).unwrap();
            assert!(ok.report().passed());
            assert_eq!(ok.to_sign().data_hash, sm3(doc));
            // Other data: the data hash step.
            let r = v
                .verify_ses_signature(sig.as_bytes(), b"other", at)
                .unwrap_err();
            assert_eq!(r.step(), Step::DataHash);
            // After the seal's validity: seal validity.
            let late = sealer.sign(doc, "x", ts("2029-01-01T00:00:00Z")).unwrap();
            let r = v
                .verify_ses_signature(late.as_bytes(), doc, ts("2029-06-01T00:00:00Z"))
                .unwrap_err();
            assert!(
                matches!(r.failure(), Failure::SealNotValidAtSigning { .. }),
                "{}",
                r.report()
            );
            // A certificate not in the seal's list, with a valid signature.
            let stranger =
                SesSealer::new(seal.clone(), pki.other_cert.clone(), pki.other_key.clone())
                    .unwrap();
            let s = stranger.sign(doc, "x", at).unwrap();
            let r = v.verify_ses_signature(s.as_bytes(), doc, at).unwrap_err();
            assert_eq!(r.step(), Step::SignerInSeal, "{}", r.report());
            // A revoked signer certificate.
            let mut status = InMemoryStatus::new();
            status
                .good_certificate(&pki.maker_cert)
                .revoke_certificate(&pki.signer_cert, ts("2026-03-01T00:00:00Z"))
                .good_seal(SEAL_ID);
            let revoked = Verifier::new(LicenseTypes::new())
                .with_trust_anchors(TrustAnchors::new().with(pki.root.clone()))
                .with_status(status);
            let r = revoked
                .verify_ses_signature(sig.as_bytes(), doc, at)
                .unwrap_err();
            assert_eq!(r.step(), Step::SignerCertificate, "{}", r.report());
        }
    }

    #[test]
    fn flipped_bytes_in_made_signatures_are_caught() {
        let pki = pki();
        let v = verifier(&pki);
        let seal = pki
            .maker
            .make(&info(SesVersion::V5, &pki.signer_cert))
            .unwrap();
        let sealer = SesSealer::new(seal, pki.signer_cert.clone(), pki.signer_key.clone()).unwrap();
        let at = ts("2026-06-01T08:00:00Z");
        let sig = sealer.sign(b"data", "p", at).unwrap();
        let bytes = sig.as_bytes().to_vec();
        let tbs_end = 4 + sig.tbs_bytes().len();
        for i in (0..bytes.len()).step_by(7) {
            let mut b = bytes.clone();
            b[i] ^= 0x10;
            let r = v.verify_ses_signature(&b, b"data", at).unwrap_err();
            let ok = if i < tbs_end {
                matches!(r.step(), Step::Parse | Step::SignatureValue)
            } else {
                matches!(
                    r.step(),
                    Step::Parse | Step::SignatureValue | Step::SignerInSeal
                )
            };
            assert!(ok, "byte {i}: {}", r.report());
        }
    }
}

/// Known answers from the standards, through the public API: SM3 (GB/T
/// 32905-2016 Appendix A, examples 1 and 2: "abc" and the 512-bit message)
/// and the SM2 signature of GB/T 32918.5-2017 Appendix A / GM/T 0003.5
/// (recommended curve, user id 1234567812345678, message "message digest"):
/// the published (r, s) verifies under the published public key.
pub mod known_answers {
    use elicense::{SM2_DEFAULT_USER_ID, Sm2PublicKey, Sm2Signature, Sm2SigningKey, sm3};

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn sm3_examples() {
        assert_eq!(
            sm3(b"abc").to_vec(),
            unhex("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
        );
        let m512 = b"abcd".repeat(16);
        assert_eq!(m512.len() * 8, 512);
        assert_eq!(
            sm3(&m512).to_vec(),
            unhex("debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732")
        );
    }

    #[test]
    fn sm2_published_signature() {
        let public = unhex(concat!(
            "04",
            "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020",
            "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
        ));
        let rs: [u8; 64] = unhex(concat!(
            "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3",
            "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
        ))
        .try_into()
        .unwrap();
        let key = Sm2PublicKey::from_sec1(&public).unwrap();
        assert_eq!(key.user_id(), SM2_DEFAULT_USER_ID);
        assert_eq!(
            key.z_value().to_vec(),
            unhex("B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3")
        );
        let sig = Sm2Signature::from_bytes(&rs);
        key.verify(b"message digest", &sig).unwrap();
        // The DER form (GB/T 35276) reads back to the same value.
        assert_eq!(Sm2Signature::from_der(&sig.to_der()).unwrap(), sig);
        // Another message, another user id, another bit: refused.
        assert!(key.verify(b"message digesT", &sig).is_err());
        assert!(
            key.with_user_id("ALICE123@YAHOO.COM")
                .unwrap()
                .verify(b"message digest", &sig)
                .is_err()
        );
        let mut bad = rs;
        bad[0] ^= 0x80;
        assert!(
            key.verify(b"message digest", &Sm2Signature::from_bytes(&bad))
                .is_err()
        );
        // The published private key gives the published public key.
        let d: [u8; 32] = unhex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
            .try_into()
            .unwrap();
        let sk = Sm2SigningKey::from_bytes(&d).unwrap();
        assert_eq!(sk.public_key().to_sec1().to_vec(), public);
    }
}
