//! The command-line tool's end-to-end speed beside the library's: generates
//! a JSON Lines file of N sealed licenses, then, in one run, times
//! `elicense verify FILE --report R` as a separate process (start-up, trust
//! loading, reading, verifying, writing a report row per line) and the
//! library's `BatchVerifier::verify_lines` on the same file in this process;
//! then the tool's peak memory on a file of 1,000,000 lines.
//!
//! `cargo run --release -p elicense-cli --example cli_report -- --n 200000 [--rss-lines 1000000]`
//!
//! Last line: `cli_report: licenses_per_s=N vs_library=R report_rows=M`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a measurement harness, not library code"
)]

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use elicense::*;
use rayon::prelude::*;

macro_rules! pki {
    ($name:literal) => {
        include_str!(concat!("../../tests/data/pki/", $name))
    };
}

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const AT: &str = "2026-03-01T00:00:00Z";

fn sealer(cert_pem: &str, key_pem: &str, name: &str, id: &str) -> Res<Sealer<SigningKey>> {
    let maker = SealMaker::new(
        Certificate::from_pem(pki!("seal_maker.cert.pem"))?,
        vec![],
        SigningKey::from_pkcs8_pem(pki!("seal_maker.key.pem"))?,
    )?;
    let cert = Certificate::from_pem(cert_pem)?;
    let org = Organisation::new(name, *cert.organization().ok_or("no organisation")?)?;
    let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" width="42mm" height="42mm" viewBox="0 0 42 42"><circle cx="21" cy="21" r="20" fill="none" stroke="#d00" stroke-width="1.2"/></svg>"##;
    let seal = maker.make(SealSpec {
        vendor: "elicense-cli-report".into(),
        id: id.into(),
        seal_type: SealType::License,
        name: format!("{name}证照专用章"),
        holder: org,
        certs: vec![SealCertRef::Certificate(cert.clone())],
        created_at: Timestamp::parse("2024-06-01T00:00:00Z")?,
        valid_from: Timestamp::parse("2024-06-01T00:00:00Z")?,
        valid_to: Timestamp::parse("2029-06-01T00:00:00Z")?,
        picture: SealPicture::new(PictureType::Svg, svg.to_vec(), 42, 42)?,
        extensions: vec![],
    })?;
    Ok(Sealer::new(
        seal,
        cert,
        vec![Certificate::from_pem(pki!("signer_ca.cert.pem"))?],
        SigningKey::from_pkcs8_pem(key_pem)?,
    )?)
}

/// License `i` (食品经营许可证): 9 in 10 by bureau A, 1 in 10 by bureau B.
fn make(sealers: &[Sealer<SigningKey>], food: &LicenseType, i: usize) -> Res<Vec<u8>> {
    let by_b = i % 10 == 9;
    let (issuer, region) = if by_b {
        (
            Organisation::new("湖南省市场监督管理局", "11430000006122244L".parse()?)?,
            "430000",
        )
    } else {
        (
            Organisation::new("杭州市上城区市场监督管理局", "11330105002500287C".parse()?)?,
            "330102",
        )
    };
    let f = |k: &str, v: &str| (k.to_owned(), FieldValue::from(v));
    let d = LicenseData {
        id: LicenseId::from_parts(
            *food.code(),
            IssuerCode::Uscc(*issuer.code()),
            &format!("25{i:08}"),
            1,
        )?,
        name: food.name().to_owned(),
        type_code: *food.code(),
        number: format!("JY1{i:015}"),
        issuer,
        issue_date: Date::parse("2025-05-22")?,
        holder: Holder::new(
            format!("杭州第{i}号餐饮管理有限公司"),
            "91350100M000100Y43".parse::<Uscc>()?.into(),
        )?,
        valid_from: Date::parse("2025-05-22")?,
        valid_to: Some(Date::parse("2030-05-21")?),
        region: region.parse()?,
        seal: None,
        created_at: Timestamp::parse("2025-05-22T01:30:00Z")?,
        fields: [
            f("KZ_JYCS", &format!("杭州市上城区解放路{i}号")),
            f("KZ_FDDBR", "张三"),
            f(
                "KZ_JYXM",
                "预包装食品销售（含冷藏冷冻食品）；热食类食品制售",
            ),
            f("KZ_ZTYT", "餐饮服务经营者"),
        ]
        .into(),
        attachments: vec![],
        predecessor: None,
    };
    let signed_at = Timestamp::parse("2025-05-22T02:00:00Z")?.saturating_add((i % 86_400) as i64);
    Ok(SignedLicense::seal(License::new(d)?, &sealers[usize::from(by_b)], signed_at)?.into_bytes())
}

/// The `elicense` binary of this build (built if missing).
fn binary() -> Res<PathBuf> {
    let exe = std::env::current_exe()?;
    // target/<profile>/examples/cli_report → target/<profile>/elicense
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("no target directory")?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let release = dir.file_name().is_some_and(|n| n == "release");
    let mut build = Command::new(cargo);
    build.args(["build", "-q", "-p", "elicense-cli", "--bin", "elicense"]);
    if release {
        build.arg("--release");
    }
    let status = build.status()?;
    if !status.success() {
        return Err("building the elicense binary failed".into());
    }
    Ok(dir.join("elicense"))
}

fn count_lines(path: &Path) -> Res<usize> {
    let mut n = 0;
    for l in BufReader::new(std::fs::File::open(path)?).split(b'\n') {
        l?;
        n += 1;
    }
    Ok(n)
}

fn main() -> Res<()> {
    let mut n = 200_000usize;
    let mut rss_lines = 1_000_000usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--n" => n = args.next().ok_or("--n needs a number")?.parse()?,
            "--rss-lines" => {
                rss_lines = args.next().ok_or("--rss-lines needs a number")?.parse()?
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let elicense = binary()?;
    let dir = std::env::temp_dir().join(format!("elicense-cli-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let anchors = dir.join("root.cert.pem");
    std::fs::write(&anchors, pki!("root.cert.pem"))?;
    let revocations = dir.join("revocations.json");
    std::fs::write(&revocations, "{\"complete\": true}\n")?;

    let types = LicenseTypes::builtin();
    let food = types
        .iter()
        .find(|t| t.name() == "食品经营许可证")
        .ok_or("no built-in food type")?
        .clone();
    let sealers = vec![
        sealer(
            pki!("signer_a.cert.pem"),
            pki!("signer_a.key.pem"),
            "杭州市上城区市场监督管理局",
            "3301020000001",
        )?,
        sealer(
            pki!("signer_b.cert.pem"),
            pki!("signer_b.key.pem"),
            "湖南省市场监督管理局",
            "4300000000001",
        )?,
    ];
    eprintln!("generating {n} sealed licenses…");
    let t = Instant::now();
    let docs: Vec<Vec<u8>> = (0..n)
        .into_par_iter()
        .map(|i| make(&sealers, &food, i).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let input = dir.join("licenses.jsonl");
    {
        let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&input)?);
        for d in &docs {
            w.write_all(d)?;
            w.write_all(b"\n")?;
        }
        w.flush()?;
    }
    let size = std::fs::metadata(&input)?.len();
    eprintln!(
        "generated in {:.1} s: {} MiB, {} bytes per document",
        t.elapsed().as_secs_f64(),
        size >> 20,
        size / n.max(1) as u64
    );
    drop(docs);

    let at = Timestamp::parse(AT)?;
    let verifier = Verifier::new(types)
        .with_trust_anchors(TrustAnchors::new().with(Certificate::from_pem(pki!("root.cert.pem"))?))
        .with_status(InMemoryStatus::complete_revocation_list());
    let report = dir.join("report.jsonl");
    let verify_cmd = |input: &Path, report: &Path| {
        let mut c = Command::new(&elicense);
        c.arg("verify")
            .arg(input)
            .arg("--anchors")
            .arg(&anchors)
            .arg("--revocations")
            .arg(&revocations)
            .args(["--at", AT, "--report"])
            .arg(report);
        c
    };

    // Alternate library and process runs, best of three each, so both see
    // the same page cache and machine state.
    let mut lib_best = f64::MAX;
    let mut cli_best = f64::MAX;
    let mut valid = 0;
    for round in 0..3 {
        let batch = BatchVerifier::new(verifier.clone());
        let t = Instant::now();
        let reader = BufReader::with_capacity(1 << 20, std::fs::File::open(&input)?);
        let summary = batch.verify_lines(reader, at, |o| {
            std::hint::black_box(o);
        })?;
        lib_best = lib_best.min(t.elapsed().as_secs_f64());
        valid = summary.valid;

        let t = Instant::now();
        let out = verify_cmd(&input, &report).arg("--quiet").output()?;
        cli_best = cli_best.min(t.elapsed().as_secs_f64());
        if !out.status.success() {
            return Err(format!(
                "elicense verify failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        eprintln!(
            "round {round}: library {:.0}/s, elicense verify {:.0}/s",
            n as f64 / lib_best,
            n as f64 / cli_best
        );
    }
    assert_eq!(valid, n, "every generated license verifies");
    let rows = count_lines(&report)?;
    let lib_rate = n as f64 / lib_best;
    let cli_rate = n as f64 / cli_best;
    println!(
        "{:<58} {:>12}",
        "path (same file, same run, best of 3)", "licenses/s"
    );
    println!(
        "{:<58} {:>12.0}",
        "BatchVerifier::verify_lines (in process)", lib_rate
    );
    println!(
        "{:<58} {:>12.0}",
        "elicense verify --report (a process, end to end)", cli_rate
    );

    // Peak memory of the tool on a long input: the same licenses repeated.
    if rss_lines > 0 {
        let long = dir.join("long.jsonl");
        {
            let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&long)?);
            let mut written = 0;
            'outer: loop {
                for l in BufReader::new(std::fs::File::open(&input)?).split(b'\n') {
                    if written == rss_lines {
                        break 'outer;
                    }
                    w.write_all(&l?)?;
                    w.write_all(b"\n")?;
                    written += 1;
                }
            }
            w.flush()?;
        }
        let long_report = dir.join("long-report.jsonl");
        let t = Instant::now();
        let out = verify_cmd(&long, &long_report).output()?;
        let secs = t.elapsed().as_secs_f64();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let peak = stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix("peak memory: "))
            .unwrap_or("?");
        let long_rows = count_lines(&long_report)?;
        println!(
            "{rss_lines} lines ({} MiB): elicense verify in {secs:.1} s ({:.0}/s), {long_rows} report rows, peak memory {peak}",
            std::fs::metadata(&long)?.len() >> 20,
            rss_lines as f64 / secs
        );
        let _ = std::fs::remove_file(&long);
        let _ = std::fs::remove_file(&long_report);
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "cli_report: licenses_per_s={cli_rate:.0} vs_library={:.3} report_rows={rows}",
        cli_rate / lib_rate
    );
    Ok(())
}
