//! Offline status report: a signed status snapshot (StatusSnapshot) of
//! 1,000,000 licenses of one issuer with 1% revoked — its size and the mean
//! time of one lookup — then the batch verifier over real sealed licenses of
//! that issuer, once with the snapshot as the status source and once with no
//! license status, alternating rounds in the same run.
//!
//! `cargo run --release --example trust_report [-- --docs 10000 --rounds 20]`
//!
//! The last line is
//! `trust_report: snapshot_bytes=N licenses=1000000 lookup_ns=X batch_vs_plain=R`
//! where `batch_vs_plain` is the batch rate with the snapshot over the rate
//! without license status (best round of each).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a measurement harness, not library code"
)]

use std::sync::Arc;
use std::time::Instant;

use elicense::*;
use rayon::prelude::*;

macro_rules! pki {
    ($name:literal) => {
        include_str!(concat!("../tests/data/pki/", $name))
    };
}

const FOOD_TYPE: &str = include_str!("../tests/data/food_type.json");
const LICENSES: usize = 1_000_000;

fn arg(name: &str, default: usize) -> usize {
    std::env::args()
        .skip_while(|a| a != name)
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// CPU time of every thread of this process so far, in ns (Linux
/// schedstat; 0 elsewhere): a rate per CPU second is less disturbed by other
/// processes on a busy machine than one per wall second.
fn cpu_ns() -> u128 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    dir.filter_map(|e| {
        let s = std::fs::read_to_string(e.ok()?.path().join("schedstat")).ok()?;
        s.split_whitespace().next()?.parse::<u128>().ok()
    })
    .sum()
}

fn serial(i: usize) -> String {
    format!("25{i:08}")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let docs_n = arg("--docs", 10_000).min(LICENSES);
    let rounds = arg("--rounds", 20).max(1);
    let food = LicenseType::from_json(FOOD_TYPE)?;
    let bureau: Uscc = "11330105002500287C".parse()?;
    let issuer = IssuerCode::Uscc(bureau);
    let at = Timestamp::parse("2026-03-01T00:00:00Z")?;
    let issued = Timestamp::parse("2026-02-28T00:00:00Z")?;
    let next = Timestamp::parse("2026-03-07T00:00:00Z")?;

    // 1. The snapshot: every 100th license revoked.
    let ids: Vec<LicenseId> = (0..LICENSES)
        .into_par_iter()
        .map(|i| LicenseId::from_parts(*food.code(), issuer, &serial(i), 1))
        .collect::<Result<_, _>>()?;
    let status_key = SigningKey::from_seed(&[0x5a; 32]);
    let t = Instant::now();
    let snapshot = StatusSnapshot::build(
        &issuer,
        issued,
        next,
        ids.iter()
            .step_by(100)
            .map(|id| (id, LicenseStatus::Revoked)),
        &status_key,
    )?;
    eprintln!(
        "snapshot of {} licenses, {} not in force: {} bytes, built in {:.2} s",
        LICENSES,
        snapshot.not_in_force_count(),
        snapshot.as_bytes().len(),
        t.elapsed().as_secs_f64()
    );
    let snapshot =
        StatusSnapshot::from_signed_bytes(snapshot.as_bytes(), &status_key.public_key())?;

    // 2. Lookups of every identifier, in order, as a verifier asks right
    //    after decoding a license (the identifier is in cache); scattered
    //    order over the 1M identifiers in memory is printed too (that one is
    //    dominated by cache misses on the identifiers themselves).
    let passes = 4;
    let mut revoked = 0usize;
    let t = Instant::now();
    for _ in 0..passes {
        for id in &ids {
            if !matches!(snapshot.standing(id, at), LicenseStanding::InForce) {
                revoked += 1;
            }
        }
    }
    let lookup_ns = t.elapsed().as_nanos() as f64 / (passes * LICENSES) as f64;
    assert_eq!(
        revoked,
        passes * LICENSES / 100,
        "every revoked license is found"
    );
    let t = Instant::now();
    let mut scattered = 0usize;
    for k in 0..LICENSES {
        let i = (k * 7919) % LICENSES;
        scattered += usize::from(matches!(
            snapshot.standing(&ids[i], at),
            LicenseStanding::InForce
        ));
    }
    let scattered_ns = t.elapsed().as_nanos() as f64 / LICENSES as f64;
    eprintln!(
        "lookup: {lookup_ns:.1} ns mean over {} lookups in order; {scattered_ns:.1} ns scattered ({scattered} in force)",
        passes * LICENSES
    );

    // 3. Real sealed licenses of that issuer (the first `docs_n` identifiers).
    let root = Certificate::from_pem(pki!("root.cert.pem"))?;
    let signer_ca = Certificate::from_pem(pki!("signer_ca.cert.pem"))?;
    let maker = SealMaker::new(
        Certificate::from_pem(pki!("seal_maker.cert.pem"))?,
        vec![],
        SigningKey::from_pkcs8_pem(pki!("seal_maker.key.pem"))?,
    )?;
    let cert = Certificate::from_pem(pki!("signer_a.cert.pem"))?;
    let org = Organisation::new("杭州市上城区市场监督管理局", bureau)?;
    let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" width="42mm" height="42mm" viewBox="0 0 42 42"><circle cx="21" cy="21" r="20" fill="none" stroke="#d00" stroke-width="1.2"/></svg>"##;
    let seal = maker.make(SealSpec {
        vendor: "elicense-trust-report".into(),
        id: "3301020000001".into(),
        seal_type: SealType::License,
        name: "杭州市上城区市场监督管理局证照专用章".into(),
        holder: org.clone(),
        certs: vec![SealCertRef::Certificate(cert.clone())],
        created_at: Timestamp::parse("2024-06-01T00:00:00Z")?,
        valid_from: Timestamp::parse("2024-06-01T00:00:00Z")?,
        valid_to: Timestamp::parse("2029-06-01T00:00:00Z")?,
        picture: SealPicture::new(PictureType::Svg, svg.to_vec(), 42, 42)?,
        extensions: vec![],
    })?;
    let sealer = Sealer::new(
        seal,
        cert,
        vec![signer_ca],
        SigningKey::from_pkcs8_pem(pki!("signer_a.key.pem"))?,
    )?;
    let template = LicenseData {
        id: ids[0].clone(),
        name: food.name().to_owned(),
        type_code: *food.code(),
        number: String::new(),
        issuer: org,
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
            ("KZ_JYCS", "杭州市上城区解放路1号"),
            ("KZ_FDDBR", "张三"),
            ("KZ_JYXM", "预包装食品销售（含冷藏冷冻食品）"),
            ("KZ_ZTYT", "餐饮服务经营者"),
            ("KZ_RCJDGLJG", "上城区市场监督管理局"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), FieldValue::from(v)))
        .collect(),
        attachments: vec![],
        predecessor: None,
    };
    let t = Instant::now();
    let docs: Vec<Vec<u8>> = (0..docs_n)
        .into_par_iter()
        .map(|i| {
            let mut d = template.clone();
            d.id = ids[i].clone();
            d.number = format!("JY1{i:015}");
            let signed_at = Timestamp::parse("2025-05-22T02:00:00Z")
                .unwrap()
                .saturating_add((i % 86_400) as i64);
            SignedLicense::seal(License::new(d).unwrap(), &sealer, signed_at)
                .unwrap()
                .into_bytes()
        })
        .collect();
    eprintln!(
        "{docs_n} sealed licenses generated in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let base = Verifier::new(LicenseTypes::new().with(food))
        .with_trust_anchors(TrustAnchors::new().with(root));
    let plain = BatchVerifier::new(
        base.clone()
            .with_status(InMemoryStatus::complete_revocation_list()),
    );
    let with_snapshot = BatchVerifier::new(base.with_status(SnapshotStatus::new(
        [snapshot.clone()],
        Arc::new(InMemoryStatus::complete_revocation_list()),
    )));

    // Alternating rounds; the best of each.
    let mut best_plain = 0.0f64;
    let mut best_snap = 0.0f64;
    let mut cpu = [0u128; 2];
    for round in 0..rounds {
        for which in [round % 2, 1 - round % 2] {
            let batch = if which == 0 { &plain } else { &with_snapshot };
            let c = cpu_ns();
            let t = Instant::now();
            let out = batch.verify_slice(&docs, at);
            let rate = docs_n as f64 / t.elapsed().as_secs_f64();
            cpu[which] += cpu_ns().saturating_sub(c);
            let valid = out.iter().filter(|o| o.is_valid()).count();
            if which == 0 {
                assert_eq!(valid, docs_n, "every license verifies without status");
                best_plain = best_plain.max(rate);
            } else {
                assert_eq!(
                    valid,
                    docs_n - docs_n.div_ceil(100),
                    "the snapshot refuses exactly the revoked ones"
                );
                best_snap = best_snap.max(rate);
            }
        }
    }
    eprintln!(
        "batch, {} threads: {best_plain:.0} licenses/s without license status, {best_snap:.0} licenses/s with the snapshot",
        rayon::current_num_threads()
    );
    if cpu[0] > 0 && cpu[1] > 0 {
        eprintln!(
            "per CPU second (all rounds): {:.0} without license status, {:.0} with the snapshot, ratio {:.3}",
            (rounds * docs_n) as f64 / (cpu[0] as f64 / 1e9),
            (rounds * docs_n) as f64 / (cpu[1] as f64 / 1e9),
            cpu[0] as f64 / cpu[1] as f64
        );
    }
    println!(
        "trust_report: snapshot_bytes={} licenses={LICENSES} lookup_ns={lookup_ns:.1} batch_vs_plain={:.3}",
        snapshot.as_bytes().len(),
        best_snap / best_plain
    );
    Ok(())
}
