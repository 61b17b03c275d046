//! Quickstart: define a 食品经营许可证 type, issue a license to a company, print
//! it, verify it, then tamper with one field and show the failing report.
//!
//! Run: `cargo run --release --example quickstart`

use elicense::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. The type definer (国家市场监督管理总局) publishes the license type.
    let samr: Uscc = "11100000000013338W".parse()?;
    let food = LicenseType::from_json(FOOD_TYPE)?;
    assert_eq!(food.definer().code(), &samr);
    println!(
        "license type {} {} ({} fields)",
        food.code(),
        food.name(),
        food.fields().len()
    );

    // 2. The issuing bureau makes a license for a company.
    let bureau: Uscc = "11330105002500287C".parse()?;
    let company: Uscc = "91350100M000100Y43".parse()?;
    let key = SigningKey::generate()?;
    let issued_at = Timestamp::parse("2025-05-22T02:00:00Z")?;
    let license = License::new(LicenseData {
        id: LicenseId::from_parts(*food.code(), IssuerCode::Uscc(bureau), "2025052201", 1)?,
        name: food.name().to_owned(),
        type_code: *food.code(),
        number: "JY13301050012345".into(),
        issuer: Organisation::new("杭州市上城区市场监督管理局", bureau)?,
        issue_date: Date::parse("2025-05-22")?,
        holder: Holder::new("杭州某某餐饮管理有限公司", HolderCode::from(company))?,
        valid_from: Date::parse("2025-05-22")?,
        valid_to: Some(Date::parse("2030-05-21")?),
        region: "330102".parse()?,
        seal: None,
        created_at: issued_at,
        fields: [
            ("KZ_JYCS", FieldValue::from("杭州市上城区解放路1号")),
            ("KZ_FDDBR", FieldValue::from("张三")),
            (
                "KZ_JYXM",
                FieldValue::from("预包装食品销售（含冷藏冷冻食品）"),
            ),
            ("KZ_ZTYT", FieldValue::from("餐饮服务经营者")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
        attachments: vec![Attachment::for_bytes(
            AttachmentRole::Layout,
            "license.ofd",
            "application/ofd",
            b"(the OFD layout file)",
        )?],
        predecessor: None,
    })?;
    food.check(&license)?;
    let signed = SignedLicense::sign(license, &key, issued_at)?;
    println!("\nissued {}", signed.license().id());
    println!(
        "document ({} bytes):\n{}",
        signed.as_bytes().len(),
        String::from_utf8_lossy(signed.as_bytes())
    );

    // 3. A verifier that trusts the bureau's key and knows the type. (Licenses
    //    in circulation are sealed with X.509-backed electronic seals: see
    //    examples/seal.rs.)
    let verifier = Verifier::new(LicenseTypes::new().with(food))
        .with_trusted_keys(TrustedKeys::new().with(key.public_key(), bureau));
    let at = Timestamp::parse("2026-03-01T00:00:00Z")?;
    let verified = verifier.verify(signed.as_bytes(), at)?;
    println!(
        "\nverified at {at} — holder {}:\n{}",
        verified.license().holder().name(),
        verified.report()
    );

    // 4. Someone changes the business address in the document.
    let tampered = String::from_utf8(signed.as_bytes().to_vec())?
        .replace("解放路1号", "解放路9号")
        .into_bytes();
    match verifier.verify(&tampered, at) {
        Ok(_) => return Err("a tampered license verified".into()),
        Err(rejected) => println!(
            "tampered copy rejected at step `{}`:\n{}",
            rejected.step(),
            rejected.report()
        ),
    }
    Ok(())
}

/// The 食品经营许可证 type definition of the test fixtures (a JSON data file).
const FOOD_TYPE: &str = include_str!("../tests/data/food_type.json");
