//! Mobile display (亮证): presentations of every built-in type, their QR
//! codes decoded back by another implementation (rqrr), and every refusal.

use std::collections::BTreeMap;
use std::sync::Arc;

use elicense::present::{
    MAX_STRING_CHARS, PresentError, PresentRequest, PresentRole, PresentStep, Presentation,
    PresentationVerifier, SeenNonces,
};
use elicense::*;

use crate::fixtures::{date, issuer_key, other_key, ts};

fn uscc(s: &str) -> Uscc {
    s.parse().unwrap()
}

fn bureau() -> Uscc {
    uscc("11330105002500287C")
}

/// A typical license of built-in type `t`: every required field, plausible values.
fn typical(t: &LicenseType, serial: &str) -> SignedLicense {
    let person = t.holder_kind() == HolderKind::Person;
    let holder = if person {
        Holder::new(
            "张三丰",
            HolderCode::from(CitizenId::parse("11010519491231002X").unwrap()),
        )
        .unwrap()
    } else {
        Holder::new(
            "杭州某某餐饮管理有限公司",
            HolderCode::from(uscc("91350100M000100Y43")),
        )
        .unwrap()
    };
    let mut fields = BTreeMap::new();
    for f in t.fields().iter().filter(|f| f.required) {
        let v = match &f.kind {
            FieldKind::Date => FieldValue::from("1990-01-01"),
            FieldKind::Decimal => FieldValue::from("89.50"),
            FieldKind::Integer => FieldValue::from(25i64),
            FieldKind::Boolean => FieldValue::from(true),
            FieldKind::CitizenId => FieldValue::from("11010519491231002X"),
            FieldKind::RegionCode => FieldValue::from("330102"),
            FieldKind::Uscc => FieldValue::from("91350100M000100Y43"),
            FieldKind::Enum { values } => FieldValue::from(values[0].as_str()),
            _ => FieldValue::from("杭州市上城区解放路1号"),
        };
        fields.insert(f.key.clone(), v);
    }
    let data = LicenseData {
        id: LicenseId::from_parts(*t.code(), IssuerCode::Uscc(bureau()), serial, 1).unwrap(),
        name: t.name().to_owned(),
        type_code: *t.code(),
        number: "JY13301050012345".into(),
        issuer: Organisation::new("杭州市上城区市场监督管理局", bureau()).unwrap(),
        issue_date: date("2025-05-22"),
        holder,
        valid_from: date("2025-05-22"),
        valid_to: (t.validity() != ValidityRule::LongTerm).then(|| date("2030-05-21")),
        region: "330102".parse().unwrap(),
        seal: None,
        created_at: ts("2025-05-22T01:30:00Z"),
        fields,
        attachments: vec![],
        predecessor: None,
    };
    let license = License::new(data).unwrap();
    t.check(&license).unwrap();
    SignedLicense::sign(license, &issuer_key(), ts("2025-05-22T02:00:00Z")).unwrap()
}

fn made() -> Timestamp {
    ts("2026-03-01T08:00:00Z")
}

fn request<'a>(show: &'a [&'a str]) -> PresentRequest<'a> {
    PresentRequest {
        show,
        made_at: made(),
        minutes: 5,
        nonce: None,
        role: PresentRole::IssuingSystem,
    }
}

fn status_of(doc: &SignedLicense, s: LicenseStatus) -> Arc<dyn StatusSource> {
    let mut st = InMemoryStatus::complete_revocation_list();
    st.set_license_status(doc.license().id(), s, ts("2025-06-01T00:00:00Z"));
    Arc::new(st)
}

fn verifier(doc: &SignedLicense) -> PresentationVerifier {
    PresentationVerifier::new(status_of(doc, LicenseStatus::Valid))
        .with_issuer_key(bureau(), issuer_key().public_key())
}

fn food() -> (LicenseType, SignedLicense) {
    let types = LicenseTypes::builtin();
    let t = types
        .iter()
        .find(|t| t.name() == "食品经营许可证")
        .unwrap()
        .clone();
    let doc = typical(&t, "2025052201");
    (t, doc)
}

#[test]
fn every_builtin_type_round_trips_and_fits_version_11_at_q() {
    let types = LicenseTypes::builtin();
    for t in types.iter() {
        let doc = typical(t, "2025052201");
        let p = Presentation::create(&doc, &types, &request(&[]), &issuer_key()).unwrap();
        let s = p.to_qr_string();
        assert!(s.starts_with("EL1:"));
        assert!(
            s.bytes()
                .all(|b| b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".contains(&b))
        );
        let back = Presentation::from_qr_string(&s).unwrap();
        assert_eq!(back, p);
        assert!(back.matches(&doc));
        let v = verifier(&doc)
            .verify_str(&s, made().saturating_add(60))
            .unwrap();
        assert!(v.report.passed());
        let version = p.qr().unwrap().version();
        println!(
            "{}: {} bytes, {} characters, QR version {version} at ECC Q",
            t.name(),
            p.as_bytes().len(),
            s.len()
        );
        assert!(version <= 11, "{}: version {version}", t.name());
        if t.holder_kind() == HolderKind::Person {
            assert_eq!(p.holder_name(), "张**", "a person's name is masked");
        }
        // With one field shown it still decodes and verifies.
        let key = t
            .fields()
            .iter()
            .find(|f| f.required && !f.personal)
            .unwrap()
            .key
            .as_str();
        let p1 = Presentation::create(&doc, &types, &request(&[key]), &issuer_key()).unwrap();
        assert_eq!(p1.shown().len(), 1);
        verifier(&doc)
            .verify_str(&p1.to_qr_string(), made())
            .unwrap();
        println!("  showing {key}: QR version {}", p1.qr().unwrap().version());
    }
}

#[test]
fn every_flipped_byte_is_refused() {
    let (_, doc) = food();
    let types = LicenseTypes::builtin();
    let p = Presentation::create(&doc, &types, &request(&["KZ_JYXM"]), &issuer_key()).unwrap();
    let bytes = p.as_bytes().to_vec();
    let v = verifier(&doc);
    for i in 0..bytes.len() {
        for bit in [0x01u8, 0x80] {
            let mut b = bytes.clone();
            b[i] ^= bit;
            if let Ok(q) = Presentation::decode(&b) {
                let r = v.verify(q, made());
                assert!(r.is_err(), "byte {i} bit {bit:#x} accepted");
                let step = r.unwrap_err().step();
                assert!(
                    matches!(step, PresentStep::Signature | PresentStep::Issuer),
                    "byte {i}: {step}"
                );
            }
        }
    }
}

#[test]
fn refusals_are_typed() {
    let (_, doc) = food();
    let types = LicenseTypes::builtin();
    let p = Presentation::create(&doc, &types, &request(&[]), &issuer_key()).unwrap();
    let s = p.to_qr_string();
    let v = verifier(&doc);

    // Expired (5 minutes) and made in the future.
    let r = v.verify_str(&s, made().saturating_add(5 * 60)).unwrap_err();
    assert_eq!(r.step(), PresentStep::Expiry);
    assert!(matches!(r.error(), Some(PresentError::Expired { .. })));
    let r = v.verify_str(&s, made().saturating_add(-1)).unwrap_err();
    assert!(matches!(r.error(), Some(PresentError::NotYetMade { .. })));

    // Wrong issuer key, unknown issuer.
    let other = PresentationVerifier::new(status_of(&doc, LicenseStatus::Valid))
        .with_issuer_key(bureau(), other_key().public_key());
    let r = other.verify_str(&s, made()).unwrap_err();
    assert_eq!(r.step(), PresentStep::Signature);
    let nobody = PresentationVerifier::new(status_of(&doc, LicenseStatus::Valid));
    let r = nobody.verify_str(&s, made()).unwrap_err();
    assert!(matches!(
        r.error(),
        Some(PresentError::UnknownIssuer { .. })
    ));
    let forged = Presentation::create(&doc, &types, &request(&[]), &other_key()).unwrap();
    let r = v.verify_str(&forged.to_qr_string(), made()).unwrap_err();
    assert!(matches!(r.error(), Some(PresentError::BadSignature { .. })));

    // Revoked, suspended, unknown status (denied unless danger).
    for st in [LicenseStatus::Revoked, LicenseStatus::Suspended] {
        let rv = PresentationVerifier::new(status_of(&doc, st))
            .with_issuer_key(bureau(), issuer_key().public_key());
        let r = rv.verify_str(&s, made()).unwrap_err();
        assert_eq!(r.step(), PresentStep::LicenseStatus);
        assert!(
            matches!(r.error(), Some(PresentError::NotInForce { status, .. }) if *status == st)
        );
    }
    let unknown =
        PresentationVerifier::without_status().with_issuer_key(bureau(), issuer_key().public_key());
    let r = unknown.verify_str(&s, made()).unwrap_err();
    assert!(matches!(
        r.error(),
        Some(PresentError::StatusUnknown { .. })
    ));
    let danger = PresentationVerifier::without_status()
        .with_issuer_key(bureau(), issuer_key().public_key())
        .with_unknown_status(danger::accept_unknown_status());
    danger.verify_str(&s, made()).unwrap();

    // Truncated, oversized, wrong prefix, not Base45.
    for cut in [5, s.len() / 2, s.len() - 3] {
        let r = v.verify_str(&s[..cut], made()).unwrap_err();
        assert_eq!(r.step(), PresentStep::Decode, "cut at {cut}");
    }
    let big = format!("EL1:{}", "0".repeat(MAX_STRING_CHARS));
    assert!(matches!(
        Presentation::from_qr_string(&big),
        Err(PresentError::TooLarge { .. })
    ));
    assert!(matches!(
        Presentation::from_qr_string(&s.replacen("EL1:", "EL2:", 1)),
        Err(PresentError::Prefix)
    ));
    assert!(matches!(
        Presentation::from_qr_string(&format!("{s}a")),
        Err(PresentError::Base45 { .. })
    ));

    // The license outside its validity window.
    let late = Presentation::create(
        &doc,
        &types,
        &PresentRequest {
            made_at: ts("2030-06-01T00:00:00Z"),
            ..request(&[])
        },
        &issuer_key(),
    )
    .unwrap();
    let r = v
        .verify_str(&late.to_qr_string(), ts("2030-06-01T00:01:00Z"))
        .unwrap_err();
    assert_eq!(r.step(), PresentStep::LicenseValidity);

    // Bad requests.
    assert!(matches!(
        Presentation::create(&doc, &types, &request(&["KZ_NOPE"]), &issuer_key()),
        Err(PresentError::Unpresentable(_))
    ));
    assert!(
        Presentation::create(
            &doc,
            &types,
            &PresentRequest {
                minutes: 0,
                ..request(&[])
            },
            &issuer_key()
        )
        .is_err()
    );
}

#[test]
fn replays_are_refused_with_a_seen_nonce_set() {
    let (_, doc) = food();
    let types = LicenseTypes::builtin();
    let seen = Arc::new(SeenNonces::new());
    let v = verifier(&doc).with_seen_nonces(Arc::clone(&seen));
    let p = Presentation::create(&doc, &types, &request(&[]), &issuer_key()).unwrap();
    let s = p.to_qr_string();
    let ok = v.verify_str(&s, made()).unwrap();
    assert!(ok.report.steps().iter().all(|(_, o)| *o == Ok(true)));
    let r = v.verify_str(&s, made().saturating_add(10)).unwrap_err();
    assert_eq!(r.step(), PresentStep::Replay);
    // A fresh presentation (new nonce) of the same license is accepted.
    let p2 = Presentation::create(&doc, &types, &request(&[]), &issuer_key()).unwrap();
    assert_ne!(p2.nonce(), p.nonce());
    v.verify_str(&p2.to_qr_string(), made()).unwrap();
    assert_eq!(seen.len(), 2);
}

#[test]
fn a_presentation_binds_its_full_license() {
    let (t, doc) = food();
    let types = LicenseTypes::builtin();
    let p = Presentation::create(&doc, &types, &request(&[]), &issuer_key()).unwrap();
    assert!(p.matches(&doc));
    let other = typical(&t, "2025052202");
    assert!(!p.matches(&other));
}

#[test]
fn png_and_svg_decode_back_to_the_same_string() {
    let (_, doc) = food();
    let types = LicenseTypes::builtin();
    let p = Presentation::create(&doc, &types, &request(&["KZ_JYXM"]), &issuer_key()).unwrap();
    let s = p.to_qr_string();
    let qr = p.qr().unwrap();
    let png = qr.to_png(4);
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // Decode our PNG's pixels: IHDR size, then the stored zlib blocks.
    let side = u32::from_be_bytes(png[16..20].try_into().unwrap()) as usize;
    let pixels = unstore(&png);
    assert_eq!(pixels.len(), side * (side + 1));
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
        pixels[y * (side + 1) + 1 + x]
    });
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1);
    let (meta, content) = grids[0].decode().unwrap();
    assert_eq!(content, s, "the PNG scans back to the presentation");
    assert_eq!(meta.version.0 as u8, qr.version());
    assert_eq!(meta.ecc_level, 3, "ECC level Q");
    let svg = qr.to_svg(4);
    assert!(svg.contains("<svg") && svg.contains("</svg>"));
}

/// The pixel bytes of a PNG whose IDAT is zlib stored blocks (ours).
fn unstore(png: &[u8]) -> Vec<u8> {
    let mut at = 8;
    let mut idat = Vec::new();
    while at < png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let kind = &png[at + 4..at + 8];
        if kind == b"IDAT" {
            idat.extend_from_slice(&png[at + 8..at + 8 + len]);
        }
        at += 12 + len;
    }
    let mut out = Vec::new();
    let mut i = 2;
    loop {
        let last = idat[i] & 1;
        let len = u16::from_le_bytes([idat[i + 1], idat[i + 2]]) as usize;
        out.extend_from_slice(&idat[i + 5..i + 5 + len]);
        i += 5 + len;
        if last == 1 {
            break;
        }
    }
    out
}

#[test]
fn format_md_presentation_vector() {
    let (_, doc) = food();
    let types = LicenseTypes::builtin();
    let p = Presentation::create(
        &doc,
        &types,
        &PresentRequest {
            show: &["KZ_ZTYT"],
            made_at: made(),
            minutes: 5,
            nonce: Some([1, 2, 3, 4, 5, 6, 7, 8]),
            role: PresentRole::IssuingSystem,
        },
        &issuer_key(),
    )
    .unwrap();
    let hex: String = p.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    let md = include_str!("../../docs/FORMAT.md");
    let find = |name: &str| {
        let tag = format!("# vector: {name}\n");
        let start = md.find(&tag).unwrap_or_else(|| panic!("{name} missing")) + tag.len();
        md[start..].lines().next().unwrap().to_owned()
    };
    assert_eq!(find("presentation-hex"), hex);
    assert_eq!(find("presentation-string"), p.to_qr_string());
    let _ = date;
}
