//! Every signed element of a license changed to another well-formed value:
//! verification fails at the data-hash step (the signature still verifies over
//! its to-be-signed block, which no longer matches the license bytes); every
//! element of the to-be-signed block or the signature changed: it fails at the
//! signature-value step.

use crate::fixtures::*;
use elicense::*;

fn expect_failure_at(step: Step, what: &str, bytes: &[u8]) {
    let rejected = verifier()
        .verify(bytes, now())
        .err()
        .unwrap_or_else(|| panic!("{what}: tampered license verified"));
    assert_eq!(rejected.step(), step, "{what}: {rejected}");
}

fn expect_signature_failure(what: &str, bytes: &[u8]) {
    expect_failure_at(Step::SignatureValue, what, bytes)
}

fn tampered(what: &str, change: impl FnOnce(&mut LicenseData)) {
    let doc = signed_food();
    let mut data = doc.license().to_data();
    change(&mut data);
    let license = License::new(data).unwrap_or_else(|e| panic!("{what}: not well-formed: {e}"));
    assert_ne!(&license, doc.license(), "{what}: nothing changed");
    let bytes = splice_license(&doc, &license);
    // Still a well-formed document…
    SignedLicense::decode(&bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
    // …that no longer verifies, at the data-hash step.
    expect_failure_at(Step::DataHash, what, &bytes);
}

fn other_id(data: &LicenseData, serial: &str, version: u16) -> LicenseId {
    LicenseId::from_parts(data.type_code, *data.id.issuer(), serial, version).unwrap()
}

#[test]
fn the_untampered_license_verifies() {
    verifier().verify(signed_food().as_bytes(), now()).unwrap();
}

#[test]
fn every_license_element() {
    tampered("id serial", |d| d.id = other_id(d, "2025052299", 2));
    tampered("id version", |d| d.id = other_id(d, "2025052201", 3));
    tampered("name", |d| d.name = "食品经营许可证（副本）".into());
    tampered("type code", |d| {
        d.type_code = LicenseTypeCode::from_parts(&samr(), 10).unwrap();
        d.id = LicenseId::from_parts(d.type_code, *d.id.issuer(), "2025052201", 2).unwrap();
        d.predecessor = None;
    });
    tampered("number", |d| d.number = "JY13301050012346".into());
    tampered("issuer name", |d| {
        d.issuer = Organisation::new("杭州市市场监督管理局", bureau()).unwrap()
    });
    tampered("issuer code", |d| {
        d.issuer = Organisation::new("杭州市上城区市场监督管理局", other_bureau()).unwrap();
        d.id = LicenseId::from_parts(
            d.type_code,
            IssuerCode::Uscc(other_bureau()),
            "2025052201",
            2,
        )
        .unwrap();
    });
    tampered("issue date", |d| d.issue_date = date("2025-05-23"));
    tampered("holder name", |d| {
        d.holder = Holder::new("杭州另一餐饮有限公司", d.holder.code().clone()).unwrap()
    });
    tampered("holder code", |d| {
        d.holder = Holder::new(
            d.holder.name(),
            HolderCode::from(uscc("91350100M000100Y43")),
        )
        .unwrap();
        d.holder = Holder::new(d.holder.name(), HolderCode::from(samr())).unwrap();
    });
    tampered("holder code type", |d| {
        d.holder = Holder::new(
            d.holder.name(),
            HolderCode::new("099", "MA2K3L4P5").unwrap(),
        )
        .unwrap()
    });
    tampered("valid from", |d| d.valid_from = date("2025-05-21"));
    tampered("valid to", |d| d.valid_to = Some(date("2030-05-20")));
    tampered("valid to removed", |d| d.valid_to = None);
    tampered("region", |d| d.region = "330103".parse().unwrap());
    tampered("seal name", |d| {
        let s = d.seal.clone().unwrap();
        d.seal = Some(SealInfo::new(s.sealer().clone(), "另一枚印章", s.sealed_at()).unwrap());
    });
    tampered("seal sealer", |d| {
        let s = d.seal.clone().unwrap();
        let sealer = Organisation::new("杭州市上城区人民政府", other_bureau()).unwrap();
        d.seal = Some(SealInfo::new(sealer, s.seal_name(), s.sealed_at()).unwrap());
    });
    tampered("seal time", |d| {
        let s = d.seal.clone().unwrap();
        d.seal = Some(
            SealInfo::new(
                s.sealer().clone(),
                s.seal_name(),
                ts("2025-05-22T02:00:01Z"),
            )
            .unwrap(),
        );
    });
    tampered("seal removed", |d| d.seal = None);
    tampered("created at", |d| d.created_at = ts("2025-05-22T01:30:01Z"));
    tampered("field value", |d| {
        d.fields
            .insert("KZ_JYCS".into(), "杭州市上城区解放路2号".into());
    });
    tampered("field integer", |d| {
        d.fields.insert("KZ_CYRS".into(), 26i64.into());
    });
    tampered("field boolean", |d| {
        d.fields.insert("KZ_WLJY".into(), false.into());
    });
    tampered("field type (integer as text)", |d| {
        d.fields.insert("KZ_CYRS".into(), "25".into());
    });
    tampered("field added", |d| {
        d.fields.insert("KZ_BZ".into(), "备注".into());
    });
    tampered("field removed", |d| {
        d.fields.remove("KZ_RCJDGLJG");
    });
    let att = |d: &LicenseData| d.attachments[0].clone();
    tampered("attachment digest", |d| {
        let a = att(d);
        d.attachments[0] =
            Attachment::new(a.role(), a.name(), a.media_type(), [9u8; 32], a.size()).unwrap();
    });
    tampered("attachment size", |d| {
        let a = att(d);
        d.attachments[0] = Attachment::new(
            a.role(),
            a.name(),
            a.media_type(),
            *a.sha256(),
            a.size() + 1,
        )
        .unwrap();
    });
    tampered("attachment name", |d| {
        let a = att(d);
        d.attachments[0] = Attachment::new(
            a.role(),
            "license2.ofd",
            a.media_type(),
            *a.sha256(),
            a.size(),
        )
        .unwrap();
    });
    tampered("attachment media type", |d| {
        let a = att(d);
        d.attachments[0] =
            Attachment::new(a.role(), a.name(), "application/pdf", *a.sha256(), a.size()).unwrap();
    });
    tampered("attachment role", |d| {
        let a = att(d);
        d.attachments[0] = Attachment::new(
            AttachmentRole::Attachment,
            a.name(),
            a.media_type(),
            *a.sha256(),
            a.size(),
        )
        .unwrap();
    });
    tampered("attachment added", |d| {
        d.attachments.push(
            Attachment::for_bytes(AttachmentRole::Attachment, "photo.png", "image/png", b"png")
                .unwrap(),
        );
    });
    tampered("attachment removed", |d| d.attachments.clear());
    tampered("predecessor", |d| {
        d.predecessor = Some(other_id(d, "2024010101", 1))
    });
    tampered("predecessor removed", |d| d.predecessor = None);
}

#[test]
fn every_to_be_signed_element() {
    let doc = signed_food();
    let text = String::from_utf8(doc.as_bytes().to_vec()).unwrap();
    let tbs = String::from_utf8(doc.signatures()[0].tbs_bytes().to_vec()).unwrap();
    let replace_in_tbs = |from: &str, to: &str| {
        assert!(tbs.contains(from), "{from}");
        text.replace(&tbs, &tbs.replace(from, to))
    };
    // signing time, one second later
    expect_signature_failure(
        "signedAt",
        replace_in_tbs("2025-05-22T02:00:00Z", "2025-05-22T02:00:01Z").as_bytes(),
    );
    // data hash of other bytes
    let hash = elicense_hex(&doc.signatures()[0].tbs().data_hash()[..]);
    let other = format!(
        "{}{}",
        &hash[..63],
        if hash.ends_with('0') { "1" } else { "0" }
    );
    expect_signature_failure("dataHash", replace_in_tbs(&hash, &other).as_bytes());
    // signer digest
    let signer = elicense_hex(&doc.signatures()[0].tbs().signer_digest()[..]);
    let other = format!(
        "{}{}",
        &signer[..63],
        if signer.ends_with('0') { "1" } else { "0" }
    );
    expect_signature_failure("signer", replace_in_tbs(&signer, &other).as_bytes());
}

#[test]
fn signature_and_key_bytes() {
    let doc = signed_food();
    let text = String::from_utf8(doc.as_bytes().to_vec()).unwrap();
    // A different but well-formed signature value: flip one bit of S's low byte
    // by re-encoding.
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let sig = doc.signatures()[0].signature().to_bytes();
    let mut bad = sig;
    bad[40] ^= 1;
    let bytes = text.replace(&b64.encode(sig), &b64.encode(bad));
    expect_signature_failure("sig", bytes.as_bytes());
    // Another (trusted) key carried instead of the signer's.
    let key = issuer_key().public_key();
    let other = other_key().public_key();
    let bytes = text.replace(&b64.encode(key.as_bytes()), &b64.encode(other.as_bytes()));
    expect_signature_failure("signer key", bytes.as_bytes());
}

fn elicense_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
