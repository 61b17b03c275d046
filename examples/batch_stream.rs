//! Streams N sealed licenses (default 1,000,000), generated on the fly as JSON
//! Lines, through the batch verifier: memory stays bounded by the chunk size,
//! not the input. Read its peak memory with
//!
//! ```sh
//! cargo build --release --example batch_stream
//! /usr/bin/time -v target/release/examples/batch_stream --n 1000000 2>&1 | grep -E 'Maximum resident|batch_stream'
//! ```
//!
//! Generation needs one Ed25519 signature per license, so the generator pre-signs
//! a pool of distinct licenses (4096 by default) and streams copies of them
//! cyclically; every line is still decoded and verified in full.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a measurement harness, not library code"
)]

use std::io::{BufRead, Read};
use std::time::Instant;

use elicense::*;

macro_rules! pki {
    ($name:literal) => {
        include_str!(concat!("../tests/data/pki/", $name))
    };
}

/// A `BufRead` that yields `n` lines cycling through `pool`.
struct Generator {
    pool: Vec<Vec<u8>>,
    n: usize,
    next: usize,
    pos: usize,
}

impl Read for Generator {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let avail = self.fill_buf()?;
        let k = avail.len().min(out.len());
        out[..k].copy_from_slice(&avail[..k]);
        self.consume(k);
        Ok(k)
    }
}

impl BufRead for Generator {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.next >= self.n {
            return Ok(&[]);
        }
        let line = &self.pool[self.next % self.pool.len()];
        Ok(&line[self.pos..])
    }

    fn consume(&mut self, amt: usize) {
        self.pos += amt;
        if self.next < self.n && self.pos >= self.pool[self.next % self.pool.len()].len() {
            self.pos = 0;
            self.next += 1;
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arg = |name: &str| {
        std::env::args()
            .skip_while(|a| a != name)
            .nth(1)
            .and_then(|s| s.parse::<usize>().ok())
    };
    let n = arg("--n").unwrap_or(1_000_000);
    let pool_size = arg("--pool").unwrap_or(4096);
    let chunk = arg("--chunk").unwrap_or(4096);

    let root = Certificate::from_pem(pki!("root.cert.pem"))?;
    let maker = SealMaker::new(
        Certificate::from_pem(pki!("seal_maker.cert.pem"))?,
        vec![],
        SigningKey::from_pkcs8_pem(pki!("seal_maker.key.pem"))?,
    )?;
    let cert = Certificate::from_pem(pki!("signer_a.cert.pem"))?;
    let bureau = Organisation::new(
        "杭州市上城区市场监督管理局",
        *cert.organization().ok_or("org")?,
    )?;
    let seal = maker.make(SealSpec {
        vendor: "elicense-batch-stream".into(),
        id: "3301020000001".into(),
        seal_type: SealType::License,
        name: "杭州市上城区市场监督管理局证照专用章".into(),
        holder: bureau.clone(),
        certs: vec![SealCertRef::Certificate(cert.clone())],
        created_at: Timestamp::parse("2024-06-01T00:00:00Z")?,
        valid_from: Timestamp::parse("2024-06-01T00:00:00Z")?,
        valid_to: Timestamp::parse("2029-06-01T00:00:00Z")?,
        picture: SealPicture::new(
            PictureType::Svg,
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec(),
            42,
            42,
        )?,
        extensions: vec![],
    })?;
    let sealer = Sealer::new(
        seal,
        cert,
        vec![Certificate::from_pem(pki!("signer_ca.cert.pem"))?],
        SigningKey::from_pkcs8_pem(pki!("signer_a.key.pem"))?,
    )?;
    let food = LicenseType::from_json(
        r#"{"code":"11100000000013338W009","name":"食品经营许可证","definer":{"name":"国家市场监督管理总局","code":"11100000000013338W"},"version":1,"holderKind":"organisation","validity":{"maxYears":{"years":5}},"fields":[{"key":"KZ_JYCS","label":"经营场所","kind":"text","required":true,"personal":false}]}"#,
    )?;
    let company: Uscc = "91350100M000100Y43".parse()?;
    let mut pool = Vec::with_capacity(pool_size);
    for i in 0..pool_size {
        let license = License::new(LicenseData {
            id: LicenseId::from_parts(
                *food.code(),
                IssuerCode::Uscc(*bureau.code()),
                &format!("25{i:08}"),
                1,
            )?,
            name: food.name().to_owned(),
            type_code: *food.code(),
            number: format!("JY1{i:015}"),
            issuer: bureau.clone(),
            issue_date: Date::parse("2025-05-22")?,
            holder: Holder::new(format!("第{i}号餐饮有限公司"), company.into())?,
            valid_from: Date::parse("2025-05-22")?,
            valid_to: Some(Date::parse("2030-05-21")?),
            region: "330102".parse()?,
            seal: None,
            created_at: Timestamp::parse("2025-05-22T01:30:00Z")?,
            fields: [(
                "KZ_JYCS".to_owned(),
                FieldValue::from("杭州市上城区解放路1号"),
            )]
            .into(),
            attachments: vec![],
            predecessor: None,
        })?;
        let mut line =
            SignedLicense::seal(license, &sealer, Timestamp::parse("2025-05-22T02:00:00Z")?)?
                .into_bytes();
        line.push(b'\n');
        pool.push(line);
    }
    let verifier = Verifier::new(LicenseTypes::new().with(food))
        .with_trust_anchors(TrustAnchors::new().with(root))
        .with_status(InMemoryStatus::complete_revocation_list());
    let batch = BatchVerifier::new(verifier).with_chunk_size(chunk);
    let input = Generator {
        pool,
        n,
        next: 0,
        pos: 0,
    };
    let at = Timestamp::parse("2026-03-01T00:00:00Z")?;
    let t = Instant::now();
    let mut last_index = 0;
    let summary = batch.verify_lines(input, at, |o| last_index = o.index())?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "batch_stream: licenses={} valid={} rejected={} last_index={} seconds={:.1} licenses_per_s={:.0}",
        summary.total,
        summary.valid,
        summary.rejected(),
        last_index,
        secs,
        summary.total as f64 / secs
    );
    Ok(())
}
