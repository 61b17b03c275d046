//! The license store report: ingest of sealed licenses (batched transactions),
//! holder lookups (p50, p99), a type+region+status page, name search and
//! document fetches, on SQLite and — when `ELICENSE_TEST_PG_URL` is set and
//! the `postgres` feature is on — PostgreSQL, in one run.
//!
//! ```sh
//! cargo run --release --example store_report -- --n 1000000
//! ELICENSE_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test \
//!     cargo run --release --features postgres --example store_report -- --n 1000000
//! ```
//!
//! `--keep` keeps the SQLite file and the PostgreSQL schema for inspection.
//!
//! Licenses are sealed with the committed test PKI (tests/data/pki), in
//! parallel, a chunk at a time; only the store calls are timed. The last line
//! is machine-readable:
//! `store_report: sqlite_ingest_per_s=… sqlite_holder_p50_us=… pg_ingest_per_s=… pg_holder_p50_us=…`

use std::time::{Duration, Instant};

use elicense::*;
use rayon::prelude::*;

macro_rules! pki {
    ($name:literal) => {
        include_str!(concat!("../tests/data/pki/", $name))
    };
}

const FOOD_TYPE: &str = include_str!("../tests/data/food_type.json");
const SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="42mm" height="42mm" viewBox="0 0 42 42"><circle cx="21" cy="21" r="20" fill="none" stroke="#d00" stroke-width="1.2"/></svg>"##;
const BATCH: usize = 1_000;
const CHUNK: usize = 20_000;
const LOOKUPS: usize = 10_000;
const EVENTS: usize = 2_000;
const REGIONS: [&str; 16] = [
    "330102", "330105", "330106", "330108", "330109", "330110", "330111", "330112", "330113",
    "330114", "330203", "330205", "330206", "330302", "330402", "330502",
];
const NAME_CHARS: [char; 20] = [
    '鑫', '华', '盛', '源', '泰', '丰', '兴', '隆', '祥', '瑞', '嘉', '和', '福', '顺', '安', '康',
    '宏', '达', '美', '味',
];

type Error = Box<dyn std::error::Error>;

/// What the generator needs: the type, the bureau and its sealer.
struct Issuer {
    food: LicenseType,
    bureau: Organisation,
    sealer: Sealer<SigningKey>,
    sealed_at: Timestamp,
}

fn issuer() -> Result<Issuer, Error> {
    let maker = SealMaker::new(
        Certificate::from_pem(pki!("seal_maker.cert.pem"))?,
        vec![],
        SigningKey::from_pkcs8_pem(pki!("seal_maker.key.pem"))?,
    )?;
    let cert = Certificate::from_pem(pki!("signer_a.cert.pem"))?;
    let code = *cert
        .organization()
        .ok_or("signer_a names no organisation")?;
    let bureau = Organisation::new("杭州市上城区市场监督管理局", code)?;
    let seal = maker.make(SealSpec {
        vendor: "elicense-report".into(),
        id: "3301020000001".into(),
        seal_type: SealType::License,
        name: "杭州市上城区市场监督管理局证照专用章".into(),
        holder: bureau.clone(),
        certs: vec![SealCertRef::Certificate(cert.clone())],
        created_at: Timestamp::parse("2024-06-01T00:00:00Z")?,
        valid_from: Timestamp::parse("2024-06-01T00:00:00Z")?,
        valid_to: Timestamp::parse("2029-06-01T00:00:00Z")?,
        picture: SealPicture::new(PictureType::Svg, SVG.as_bytes().to_vec(), 42, 42)?,
        extensions: vec![],
    })?;
    let sealer = Sealer::new(
        seal,
        cert,
        vec![Certificate::from_pem(pki!("signer_ca.cert.pem"))?],
        SigningKey::from_pkcs8_pem(pki!("signer_a.key.pem"))?,
    )?;
    Ok(Issuer {
        food: LicenseType::from_json(FOOD_TYPE)?,
        bureau,
        sealer,
        sealed_at: Timestamp::parse("2025-05-22T02:00:00Z")?,
    })
}

/// Holder `h` (two licenses each).
fn holder(h: usize) -> Result<HolderCode, Error> {
    Ok(HolderCode::from(Uscc::from_body(&format!(
        "91330102{h:09}"
    ))?))
}

fn holder_name(h: usize) -> String {
    let c = |k: u32| {
        let i = (h / 20usize.pow(k)) % NAME_CHARS.len();
        NAME_CHARS.get(i).copied().unwrap_or('某')
    };
    format!("杭州{}{}{}餐饮管理有限公司", c(0), c(1), c(2))
}

fn license_id(is: &Issuer, i: usize) -> Result<LicenseId, Error> {
    Ok(LicenseId::from_parts(
        *is.food.code(),
        IssuerCode::Uscc(*is.bureau.code()),
        &format!("R{i:09}"),
        1,
    )?)
}

/// License `i`, sealed.
fn make(is: &Issuer, i: usize) -> Result<SignedLicense, Error> {
    let start = Date::parse("2024-01-01")?
        .add_days((i % 700) as i64)
        .ok_or("date")?;
    let end = start
        .add_years(5)
        .and_then(|d| d.add_days(-1))
        .ok_or("date")?;
    let license = License::new(LicenseData {
        id: license_id(is, i)?,
        name: is.food.name().to_owned(),
        type_code: *is.food.code(),
        number: format!("JY1330102{i:07}"),
        issuer: is.bureau.clone(),
        issue_date: start,
        holder: Holder::new(holder_name(i / 2), holder(i / 2)?)?,
        valid_from: start,
        valid_to: Some(end),
        region: REGIONS.get(i % REGIONS.len()).ok_or("region")?.parse()?,
        seal: Some(SealInfo::new(
            is.bureau.clone(),
            is.sealer.seal().name(),
            is.sealed_at,
        )?),
        created_at: Timestamp::parse("2025-05-22T01:00:00Z")?,
        fields: [
            (
                "KZ_JYCS",
                FieldValue::from(format!("杭州市上城区解放路{}号", i % 997)),
            ),
            ("KZ_FDDBR", FieldValue::from("张三")),
            (
                "KZ_JYXM",
                FieldValue::from("预包装食品销售（含冷藏冷冻食品）"),
            ),
            ("KZ_ZTYT", FieldValue::from("餐饮服务经营者")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        attachments: vec![],
        predecessor: None,
    })?;
    Ok(SignedLicense::seal(license, &is.sealer, is.sealed_at)?)
}

/// xorshift64*: reproducible picks.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n.max(1)
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e6)
}

/// What one backend measured.
struct Measured {
    ingest_per_s: f64,
    holder_p50_us: f64,
}

struct Backend<'a> {
    name: &'static str,
    store: &'a dyn LicenseStore,
    ingest: Duration,
}

fn ingest_all(is: &Issuer, n: usize, backends: &mut [Backend<'_>]) -> Result<usize, Error> {
    let mut bytes = 0usize;
    let started = Instant::now();
    for chunk_start in (0..n).step_by(CHUNK) {
        let end = (chunk_start + CHUNK).min(n);
        let docs: Vec<SignedLicense> = (chunk_start..end)
            .into_par_iter()
            .map(|i| make(is, i).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?;
        bytes += docs.iter().map(|d| d.as_bytes().len()).sum::<usize>();
        for b in backends.iter_mut() {
            let t = Instant::now();
            for batch in docs.chunks(BATCH) {
                b.store.insert_batch(batch)?;
            }
            b.ingest += t.elapsed();
        }
        if end.is_multiple_of(200_000) || end == n {
            eprintln!(
                "  {end} licenses sealed and stored ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(bytes)
}

fn measure(is: &Issuer, n: usize, b: &Backend<'_>) -> Result<Measured, Error> {
    let s = b.store;
    let ingest_per_s = n as f64 / b.ingest.as_secs_f64();
    println!(
        "{:8} ingest            {:>10.0} licenses/s  ({n} in {:.1} s, batches of {BATCH})",
        b.name,
        ingest_per_s,
        b.ingest.as_secs_f64()
    );

    // Status events: one transaction each.
    let mut rng = Rng(0x5eed_0001);
    let t = Instant::now();
    let at = Timestamp::parse("2026-01-10T00:00:00Z")?;
    let mut suspended = 0;
    for _ in 0..EVENTS.min(n) {
        let id = license_id(is, rng.below(n))?;
        let e = StatusEvent::new(id, Operation::Suspend, at, "上城区市场监管局")?;
        match s.record_event(&e) {
            Ok(_) => suspended += 1,
            Err(StoreError::Transition { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    println!(
        "{:8} status events     {:>10.0} events/s    ({suspended} suspensions)",
        b.name,
        suspended as f64 / t.elapsed().as_secs_f64()
    );

    // Holder lookups.
    let mut rng = Rng(0x5eed_0002);
    let holders = n.div_ceil(2);
    let mut times = Vec::with_capacity(LOOKUPS);
    for _ in 0..LOOKUPS {
        let code = holder(rng.below(holders))?;
        let q = Query::new().holder(code);
        let t = Instant::now();
        let page = s.query(&q)?;
        times.push(t.elapsed());
        if page.entries().is_empty() {
            return Err("a holder lookup found nothing".into());
        }
    }
    times.sort();
    let holder_p50_us = percentile(&times, 0.5);
    println!(
        "{:8} holder lookup     p50 {:>7.1} µs  p99 {:>7.1} µs  ({LOOKUPS} random holders)",
        b.name,
        holder_p50_us,
        percentile(&times, 0.99)
    );

    // Document fetches (exact bytes, digest checked).
    let mut rng = Rng(0x5eed_0003);
    let mut times = Vec::with_capacity(LOOKUPS);
    for _ in 0..LOOKUPS {
        let id = license_id(is, rng.below(n))?;
        let t = Instant::now();
        let doc = s.document(&id)?;
        times.push(t.elapsed());
        if doc.is_none() {
            return Err("a document is missing".into());
        }
    }
    times.sort();
    println!(
        "{:8} document fetch    p50 {:>7.1} µs  p99 {:>7.1} µs",
        b.name,
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );

    // A type + region + status page, and the tenth page of it.
    let q = Query::new()
        .type_code(*is.food.code())
        .region("330100".parse()?)
        .status(LicenseStatus::Valid)
        .limit(100)?;
    let t = Instant::now();
    let first = s.query(&q)?;
    let first_time = t.elapsed();
    let mut page = first.clone();
    let t = Instant::now();
    for _ in 0..9 {
        match page.next() {
            Some(c) => page = s.query(&q.clone().after(c.clone()))?,
            None => break,
        }
    }
    println!(
        "{:8} type+region+status first page {:.2} ms, pages 2–10 {:.2} ms each ({} entries a page)",
        b.name,
        first_time.as_secs_f64() * 1e3,
        t.elapsed().as_secs_f64() * 1e3 / 9.0,
        first.entries().len()
    );

    // Name search (Chinese substring), first page.
    let q = Query::new().name_contains("鑫华盛")?.limit(100)?;
    let t = Instant::now();
    let found = s.query(&q)?;
    println!(
        "{:8} name search 「鑫华盛」 {:.2} ms ({} entries)",
        b.name,
        t.elapsed().as_secs_f64() * 1e3,
        found.entries().len()
    );
    Ok(Measured {
        ingest_per_s,
        holder_p50_us,
    })
}

fn main() -> Result<(), Error> {
    let mut n = 1_000_000usize;
    let mut keep = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--n" => n = args.next().ok_or("--n needs a number")?.parse()?,
            "--keep" => keep = true,
            other => {
                return Err(format!("unknown argument {other:?} (use --n N [--keep])").into());
            }
        }
    }
    if n == 0 {
        return Err("--n must be at least 1".into());
    }
    let is = issuer()?;
    let dir = std::env::temp_dir().join(format!("elicense-store-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("licenses.db");
    let sqlite = SqliteStore::open(&path)?;
    sqlite.register_type(&is.food)?;
    let mut backends = vec![Backend {
        name: "sqlite",
        store: &sqlite,
        ingest: Duration::ZERO,
    }];

    let url = std::env::var("ELICENSE_TEST_PG_URL").ok();
    #[cfg(feature = "postgres")]
    let (pg, schema) = match &url {
        Some(url) => {
            let schema = format!("elicense_report_{}", std::process::id());
            let store = PostgresStore::connect_with(url, &PostgresOptions::new().schema(&schema)?)?;
            store.register_type(&is.food)?;
            (Some(store), Some(schema))
        }
        None => (None, None),
    };
    #[cfg(feature = "postgres")]
    if let Some(pg) = &pg {
        backends.push(Backend {
            name: "postgres",
            store: pg,
            ingest: Duration::ZERO,
        });
    }
    #[cfg(not(feature = "postgres"))]
    if url.is_some() {
        eprintln!(
            "ELICENSE_TEST_PG_URL is set, but this build has no `postgres` feature: add --features postgres"
        );
    }

    println!(
        "store report: {n} sealed licenses, {} holders, {} regions, {} CPUs",
        n.div_ceil(2),
        REGIONS.len(),
        rayon::current_num_threads()
    );
    let bytes = ingest_all(&is, n, &mut backends)?;
    println!(
        "documents: {:.0} bytes each on average, {:.1} MiB in all",
        bytes as f64 / n as f64,
        bytes as f64 / (1 << 20) as f64
    );
    for b in &backends {
        let t = Instant::now();
        b.store.refresh_statistics()?;
        println!(
            "{:8} refresh_statistics after the bulk load: {:.2} s",
            b.name,
            t.elapsed().as_secs_f64()
        );
    }
    let mut results = Vec::new();
    for b in &backends {
        results.push(measure(&is, n, b)?);
    }
    let db_bytes: u64 = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!(
        "sqlite   file size         {:.1} MiB",
        db_bytes as f64 / (1 << 20) as f64
    );
    drop(backends);
    drop(sqlite);
    if keep {
        println!("kept: {}", path.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    #[cfg(feature = "postgres")]
    if let (Some(url), Some(schema), false) = (&url, &schema, keep) {
        drop(pg);
        let mut c = postgres::Client::connect(url, postgres::NoTls)?;
        c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))?;
    }

    let fmt = |m: Option<&Measured>, f: fn(&Measured) -> f64| {
        m.map_or("na".to_string(), |m| format!("{:.0}", f(m)))
    };
    let (sq, pg) = (results.first(), results.get(1));
    if let (Some(s), Some(p)) = (sq, pg) {
        println!(
            "postgres/sqlite ingest ratio {:.2} (target: PostgreSQL within 3x)",
            s.ingest_per_s / p.ingest_per_s
        );
    }
    println!(
        "store_report: sqlite_ingest_per_s={} sqlite_holder_p50_us={} pg_ingest_per_s={} pg_holder_p50_us={}",
        fmt(sq, |m| m.ingest_per_s),
        fmt(sq, |m| m.holder_p50_us),
        fmt(pg, |m| m.ingest_per_s),
        fmt(pg, |m| m.holder_p50_us),
    );
    Ok(())
}
