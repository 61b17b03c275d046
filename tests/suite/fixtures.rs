//! Shared fixtures: organisations, a license type, a license, keys, a verifier.

use elicense::*;

pub fn uscc(s: &str) -> Uscc {
    s.parse().unwrap()
}

pub fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

pub fn date(s: &str) -> Date {
    Date::parse(s).unwrap()
}

/// 国家市场监督管理总局 (type definer).
pub fn samr() -> Uscc {
    uscc("11100000000013338W")
}

/// The issuing bureau.
pub fn bureau() -> Uscc {
    uscc("11330105002500287C")
}

/// Another bureau (another organisation).
pub fn other_bureau() -> Uscc {
    uscc("11430000006122244L")
}

/// The holder.
pub fn company() -> Uscc {
    uscc("91350100M000100Y43")
}

pub fn food_type() -> LicenseType {
    LicenseType::from_json(include_str!("../data/food_type.json")).unwrap()
}

pub fn issuer_key() -> SigningKey {
    SigningKey::from_seed(&[0x11; 32])
}

pub fn other_key() -> SigningKey {
    SigningKey::from_seed(&[0x22; 32])
}

pub fn food_data() -> LicenseData {
    let code = *food_type().code();
    LicenseData {
        id: LicenseId::from_parts(code, IssuerCode::Uscc(bureau()), "2025052201", 2).unwrap(),
        name: "食品经营许可证".into(),
        type_code: code,
        number: "JY13301050012345".into(),
        issuer: Organisation::new("杭州市上城区市场监督管理局", bureau()).unwrap(),
        issue_date: date("2025-05-22"),
        holder: Holder::new("杭州某某餐饮管理有限公司", HolderCode::from(company())).unwrap(),
        valid_from: date("2025-05-22"),
        valid_to: Some(date("2030-05-21")),
        region: "330102".parse().unwrap(),
        seal: Some(
            SealInfo::new(
                Organisation::new("杭州市上城区市场监督管理局", bureau()).unwrap(),
                "杭州市上城区市场监督管理局证照专用章",
                ts("2025-05-22T02:00:00Z"),
            )
            .unwrap(),
        ),
        created_at: ts("2025-05-22T01:30:00Z"),
        fields: [
            ("KZ_JYCS", FieldValue::from("杭州市上城区解放路1号")),
            ("KZ_FDDBR", FieldValue::from("张三")),
            (
                "KZ_JYXM",
                FieldValue::from("预包装食品销售（含冷藏冷冻食品）"),
            ),
            ("KZ_ZTYT", FieldValue::from("餐饮服务经营者")),
            ("KZ_RCJDGLJG", FieldValue::from("上城区市场监督管理局")),
            ("KZ_ZCZB", FieldValue::from("100.50")),
            ("KZ_CYRS", FieldValue::from(25i64)),
            ("KZ_WLJY", FieldValue::from(true)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        attachments: vec![
            Attachment::for_bytes(
                AttachmentRole::Layout,
                "license.ofd",
                "application/ofd",
                b"OFD layout file bytes",
            )
            .unwrap(),
        ],
        predecessor: Some(
            LicenseId::from_parts(code, IssuerCode::Uscc(bureau()), "2025052201", 1).unwrap(),
        ),
    }
}

pub fn food_license() -> License {
    License::new(food_data()).unwrap()
}

pub fn signed_food() -> SignedLicense {
    SignedLicense::sign(food_license(), &issuer_key(), ts("2025-05-22T02:00:00Z")).unwrap()
}

/// A verifier for raw-key signed licenses (the foundation's trust model).
pub fn verifier() -> Verifier {
    Verifier::new(LicenseTypes::new().with(food_type())).with_trusted_keys(
        TrustedKeys::new()
            .with(issuer_key().public_key(), bureau())
            .with(other_key().public_key(), other_bureau()),
    )
}

/// A time inside the validity window.
pub fn now() -> Timestamp {
    ts("2026-03-01T00:00:00Z")
}

/// The document bytes with the license replaced by `license` (signatures kept).
pub fn splice_license(doc: &SignedLicense, license: &License) -> Vec<u8> {
    let bytes = doc.as_bytes();
    let old = doc.license_bytes();
    let start = bytes
        .windows(old.len())
        .position(|w| w == old)
        .expect("license bytes are inside the document");
    let mut out = bytes[..start].to_vec();
    out.extend_from_slice(&license.to_canonical_bytes());
    out.extend_from_slice(&bytes[start + old.len()..]);
    out
}
