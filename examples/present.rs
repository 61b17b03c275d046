//! Mobile display (亮证): a sample presentation of a 食品经营许可证 as a QR
//! code (PNG and SVG in the temp directory), its size and QR version, and
//! the verification rate beside raw ed25519-dalek `verify_strict` over the
//! same message in the same run.
//!
//! `cargo run --release --example present`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a demonstration program, not library code"
)]

use std::sync::Arc;
use std::time::Instant;

use elicense::present::{PresentRequest, PresentRole, Presentation, PresentationVerifier};
use elicense::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let types = LicenseTypes::builtin();
    let food = types
        .iter()
        .find(|t| t.name() == "食品经营许可证")
        .ok_or("type")?;
    let bureau: Uscc = "11330105002500287C".parse()?;
    let f = |k: &str, v: &str| (k.to_owned(), FieldValue::from(v));
    let license = License::new(LicenseData {
        id: LicenseId::from_parts(*food.code(), IssuerCode::Uscc(bureau), "2025052201", 1)?,
        name: food.name().to_owned(),
        type_code: *food.code(),
        number: "JY13301050012345".into(),
        issuer: Organisation::new("杭州市上城区市场监督管理局", bureau)?,
        issue_date: Date::parse("2025-05-22")?,
        holder: Holder::new(
            "杭州某某餐饮管理有限公司",
            "91350100M000100Y43".parse::<Uscc>()?.into(),
        )?,
        valid_from: Date::parse("2025-05-22")?,
        valid_to: Some(Date::parse("2030-05-21")?),
        region: "330102".parse()?,
        seal: None,
        created_at: Timestamp::parse("2025-05-22T01:30:00Z")?,
        fields: [
            f("KZ_JYCS", "杭州市上城区解放路1号"),
            f("KZ_FDDBR", "张三"),
            f("KZ_JYXM", "预包装食品销售（含冷藏冷冻食品）"),
            f("KZ_ZTYT", "餐饮服务经营者"),
        ]
        .into(),
        attachments: vec![],
        predecessor: None,
    })?;
    // The issuing system's presentation key (a fixed seed for the sample).
    let system_key = SigningKey::from_seed(&[0x5a; 32]);
    let doc = SignedLicense::sign(
        license,
        &system_key,
        Timestamp::parse("2025-05-22T02:00:00Z")?,
    )?;
    let made = Timestamp::parse("2026-03-01T08:00:00Z")?;
    let p = Presentation::create(
        &doc,
        &types,
        &PresentRequest {
            show: &[],
            made_at: made,
            minutes: 5,
            nonce: None,
            role: PresentRole::IssuingSystem,
        },
        &system_key,
    )?;
    let s = p.to_qr_string();
    let qr = p.qr()?;
    let dir = std::env::temp_dir();
    let png = dir.join("elicense-present.png");
    let svg = dir.join("elicense-present.svg");
    std::fs::write(&png, qr.to_png(8))?;
    std::fs::write(&svg, qr.to_svg(8))?;
    println!(
        "presentation: {} bytes, {} characters ({}…), QR version {} at ECC Q ({}×{} modules)",
        p.as_bytes().len(),
        s.len(),
        &s[..24],
        qr.version(),
        qr.width(),
        qr.width()
    );
    println!("wrote {} and {}", png.display(), svg.display());

    let mut status = InMemoryStatus::complete_revocation_list();
    status.set_license_status(doc.license().id(), LicenseStatus::Valid, made);
    let verifier = PresentationVerifier::new(Arc::new(status))
        .with_issuer_key(bureau, system_key.public_key());
    let at = made.saturating_add(60);
    verifier.verify_str(&s, at).map_err(|e| e.to_string())?;

    // Same run: scan-string verification vs raw verify_strict of the same
    // signature over the same message.
    let n = 50_000;
    let mut best_ours = f64::MAX;
    let mut best_raw = f64::MAX;
    let bytes = p.as_bytes();
    let (body, sig) = bytes.split_at(bytes.len() - 64);
    let mut message = b"elicense/presentation/1\0".to_vec();
    message.extend_from_slice(body);
    let vk = ed25519_dalek::VerifyingKey::from_bytes(system_key.public_key().as_bytes())?;
    let sig = ed25519_dalek::Signature::from_slice(sig)?;
    for _ in 0..3 {
        let t = Instant::now();
        for _ in 0..n {
            std::hint::black_box(verifier.verify_str(std::hint::black_box(&s), at).is_ok());
        }
        best_ours = best_ours.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        for _ in 0..n {
            std::hint::black_box(
                vk.verify_strict(std::hint::black_box(&message), &sig)
                    .is_ok(),
            );
        }
        best_raw = best_raw.min(t.elapsed().as_secs_f64());
    }
    let ours = n as f64 / best_ours;
    let raw = n as f64 / best_raw;
    println!(
        "verify (decode + all steps), 1 thread: {ours:.0}/s; raw verify_strict: {raw:.0}/s; ratio {:.3}",
        ours / raw
    );
    println!(
        "present_report: bytes={} qr_version={} verify_per_s={ours:.0}",
        p.as_bytes().len(),
        qr.version()
    );
    Ok(())
}
