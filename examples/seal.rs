//! Electronic seals end to end: a seal maker (制章机构) makes a 证照专用章 for an
//! issuing bureau in Hangzhou; the bureau seals a 食品经营许可证 with it; a
//! verifier in another city, knowing only its trust anchor, verifies the
//! license and prints the step-by-step report — then sees what happens when
//! the seal is revoked.
//!
//! Certificates and keys are the committed test PKI (tests/data/pki, made by
//! tests/suite/pki.rs). Run: `cargo run --release --example seal`

use elicense::*;

macro_rules! pki {
    ($name:literal) => {
        include_str!(concat!("../tests/data/pki/", $name))
    };
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Certificate::from_pem(pki!("root.cert.pem"))?;
    let signer_ca = Certificate::from_pem(pki!("signer_ca.cert.pem"))?;

    // 1. The seal maker makes a 证照专用章 for the bureau, listing the bureau's
    //    signing certificate.
    let maker = SealMaker::new(
        Certificate::from_pem(pki!("seal_maker.cert.pem"))?,
        vec![],
        SigningKey::from_pkcs8_pem(pki!("seal_maker.key.pem"))?,
    )?;
    let bureau_cert = Certificate::from_pem(pki!("signer_a.cert.pem"))?;
    let bureau_code = *bureau_cert
        .organization()
        .ok_or("the bureau's certificate names no organisation")?;
    let bureau = Organisation::new("杭州市上城区市场监督管理局", bureau_code)?;
    let seal = maker.make(SealSpec {
        vendor: "elicense-example".into(),
        id: "3301020000001".into(),
        seal_type: SealType::License,
        name: "杭州市上城区市场监督管理局证照专用章".into(),
        holder: bureau.clone(),
        certs: vec![SealCertRef::Certificate(bureau_cert.clone())],
        created_at: Timestamp::parse("2024-06-01T00:00:00Z")?,
        valid_from: Timestamp::parse("2024-06-01T00:00:00Z")?,
        valid_to: Timestamp::parse("2029-06-01T00:00:00Z")?,
        picture: SealPicture::new(PictureType::Svg, SEAL_SVG.as_bytes().to_vec(), 42, 42)?,
        extensions: vec![],
    })?;
    println!(
        "seal maker {} made {} 「{}」 (esID {}, {} bytes)",
        maker_name(seal.maker()),
        seal.seal_type().name_zh(),
        seal.name(),
        seal.id(),
        seal.as_bytes().len()
    );

    // 2. The bureau issues and seals a license.
    let sealer = Sealer::new(
        seal,
        bureau_cert,
        vec![signer_ca],
        SigningKey::from_pkcs8_pem(pki!("signer_a.key.pem"))?,
    )?
    .with_property("版式文件第1页，距左120mm，距上200mm")?;
    let food = LicenseType::from_json(FOOD_TYPE)?;
    let sealed_at = Timestamp::parse("2025-05-22T02:00:00Z")?;
    let license = License::new(LicenseData {
        id: LicenseId::from_parts(*food.code(), IssuerCode::Uscc(bureau_code), "2025052201", 1)?,
        name: food.name().to_owned(),
        type_code: *food.code(),
        number: "JY13301050012345".into(),
        issuer: bureau.clone(),
        issue_date: Date::parse("2025-05-22")?,
        holder: Holder::new(
            "杭州某某餐饮管理有限公司",
            "91350100M000100Y43".parse::<Uscc>()?.into(),
        )?,
        valid_from: Date::parse("2025-05-22")?,
        valid_to: Some(Date::parse("2030-05-21")?),
        region: "330102".parse()?,
        seal: Some(SealInfo::new(bureau, sealer.seal().name(), sealed_at)?),
        created_at: Timestamp::parse("2025-05-22T01:30:00Z")?,
        fields: [
            ("KZ_JYCS", "杭州市上城区解放路1号"),
            ("KZ_FDDBR", "张三"),
            ("KZ_JYXM", "预包装食品销售（含冷藏冷冻食品）"),
            ("KZ_ZTYT", "餐饮服务经营者"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), FieldValue::from(v)))
        .collect(),
        attachments: vec![],
        predecessor: None,
    })?;
    let sealed = SealedLicense::seal(license, &sealer, sealed_at)?;
    println!(
        "bureau sealed license {} ({} bytes)\n",
        sealed.license().id(),
        sealed.as_bytes().len()
    );

    // 3. A verifier in Changsha trusts only the root CA and knows the type.
    let mut status = InMemoryStatus::complete_revocation_list();
    let verifier = Verifier::new(LicenseTypes::new().with(food.clone()))
        .with_trust_anchors(TrustAnchors::new().with(root.clone()))
        .with_status(status.clone());
    let at = Timestamp::parse("2026-03-01T00:00:00Z")?;
    let verified = verifier.verify(sealed.as_bytes(), at)?;
    println!("verified at {at}:\n{}", verified.report());

    // 4. The seal is later found to have been revoked before the license was
    //    sealed: the same verifier, told so, rejects it at the seal step.
    status.revoke_seal("3301020000001", Timestamp::parse("2025-05-01T00:00:00Z")?);
    let verifier = Verifier::new(LicenseTypes::new().with(food))
        .with_trust_anchors(TrustAnchors::new().with(root))
        .with_status(status);
    match verifier.verify(sealed.as_bytes(), at) {
        Ok(_) => return Err("a license sealed with a revoked seal verified".into()),
        Err(rejected) => println!(
            "after the seal's revocation: rejected at `{}`\n{}",
            rejected.step(),
            rejected.report()
        ),
    }
    Ok(())
}

fn maker_name(cert: &Certificate) -> &str {
    cert.organization_name()
        .or_else(|| cert.common_name())
        .unwrap_or("?")
}

const SEAL_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="42mm" height="42mm" viewBox="0 0 42 42"><circle cx="21" cy="21" r="20" fill="none" stroke="#d00" stroke-width="1.2"/><text x="21" y="24" font-size="4" text-anchor="middle" fill="#d00">证照专用章</text></svg>"##;

/// The 食品经营许可证 type definition of the test fixtures (a JSON data file).
const FOOD_TYPE: &str = include_str!("../tests/data/food_type.json");
