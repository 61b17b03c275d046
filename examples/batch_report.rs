//! Batch verification report: generates N sealed licenses, then measures in one
//! run elicense's batch verifier against raw ed25519-dalek (`verify_batch` at
//! its best batch size, and a `verify_strict` loop) over the same
//! (message, signature, key) triples, and against jsonwebtoken EdDSA decoding of
//! equivalent JWTs; then again with 1% invalid licenses planted.
//!
//! `cargo run --release --example batch_report -- --n 100000`
//!
//! Everything is built as this repository builds (the AVX-512 IFMA backend of
//! curve25519-dalek 5 via .cargo/config.toml; jsonwebtoken's curve25519-dalek 4
//! gets the same flag, but its AVX-512 backend needs nightly, so it runs its
//! best stable backend).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a measurement harness, not library code"
)]

use std::time::Instant;

use base64::Engine as _;
use elicense::*;
use rayon::prelude::*;

macro_rules! pki {
    ($name:literal) => {
        include_str!(concat!("../tests/data/pki/", $name))
    };
}

const B64URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

struct Fixture {
    verifier: Verifier,
    sealers: Vec<Sealer<SigningKey>>,
    template: LicenseData,
    at: Timestamp,
}

fn fixture() -> Result<Fixture, Box<dyn std::error::Error>> {
    let root = Certificate::from_pem(pki!("root.cert.pem"))?;
    let signer_ca = Certificate::from_pem(pki!("signer_ca.cert.pem"))?;
    let maker = SealMaker::new(
        Certificate::from_pem(pki!("seal_maker.cert.pem"))?,
        vec![],
        SigningKey::from_pkcs8_pem(pki!("seal_maker.key.pem"))?,
    )?;
    let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" width="42mm" height="42mm" viewBox="0 0 42 42"><circle cx="21" cy="21" r="20" fill="none" stroke="#d00" stroke-width="1.2"/></svg>"##;
    let mut sealers = Vec::new();
    for (cert_pem, key_pem, name, id) in [
        (
            pki!("signer_a.cert.pem"),
            pki!("signer_a.key.pem"),
            "杭州市上城区市场监督管理局",
            "3301020000001",
        ),
        (
            pki!("signer_b.cert.pem"),
            pki!("signer_b.key.pem"),
            "湖南省市场监督管理局",
            "4300000000001",
        ),
    ] {
        let cert = Certificate::from_pem(cert_pem)?;
        let org = Organisation::new(name, *cert.organization().ok_or("no organisation")?)?;
        let seal = maker.make(SealSpec {
            vendor: "elicense-batch-report".into(),
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
        sealers.push(Sealer::new(
            seal,
            cert,
            vec![signer_ca.clone()],
            SigningKey::from_pkcs8_pem(key_pem)?,
        )?);
    }
    let food = LicenseType::from_json(FOOD_TYPE)?;
    let bureau: Uscc = "11330105002500287C".parse()?;
    let template = LicenseData {
        id: LicenseId::from_parts(*food.code(), IssuerCode::Uscc(bureau), "2025000000", 1)?,
        name: food.name().to_owned(),
        type_code: *food.code(),
        number: "JY13301050000000".into(),
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
            ("KZ_JYCS", "杭州市上城区解放路1号"),
            ("KZ_FDDBR", "张三"),
            (
                "KZ_JYXM",
                "预包装食品销售（含冷藏冷冻食品）；热食类食品制售",
            ),
            ("KZ_ZTYT", "餐饮服务经营者"),
            ("KZ_RCJDGLJG", "上城区市场监督管理局"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), FieldValue::from(v)))
        .collect(),
        attachments: vec![Attachment::new(
            AttachmentRole::Layout,
            "license.ofd",
            "application/ofd",
            [7u8; 32],
            48_213,
        )?],
        predecessor: None,
    };
    let verifier = Verifier::new(LicenseTypes::new().with(food))
        .with_trust_anchors(TrustAnchors::new().with(root))
        .with_status(InMemoryStatus::complete_revocation_list());
    Ok(Fixture {
        verifier,
        sealers,
        template,
        at: Timestamp::parse("2026-03-01T00:00:00Z")?,
    })
}

/// License `i`: 9 in 10 issued by bureau A, 1 in 10 by bureau B; distinct
/// numbers, holders and signing times.
fn make(f: &Fixture, i: usize) -> Result<SignedLicense, Box<dyn std::error::Error + Send + Sync>> {
    let mut d = f.template.clone();
    let by_b = i % 10 == 9;
    let sealer = &f.sealers[usize::from(by_b)];
    if by_b {
        let b: Uscc = "11430000006122244L".parse()?;
        d.issuer = Organisation::new("湖南省市场监督管理局", b)?;
        d.region = "430000".parse()?;
    }
    d.number = format!("JY1{:015}", i);
    d.id = LicenseId::from_parts(
        d.type_code,
        IssuerCode::Uscc(*d.issuer.code()),
        &format!("25{i:08}"),
        1,
    )?;
    d.holder = Holder::new(
        format!("杭州第{i}号餐饮管理有限公司"),
        "91350100M000100Y43".parse::<Uscc>()?.into(),
    )?;
    let signed_at = Timestamp::parse("2025-05-22T02:00:00Z")?.saturating_add((i % 86_400) as i64);
    Ok(SignedLicense::seal(License::new(d)?, sealer, signed_at)?)
}

struct Triple {
    message: Vec<u8>,
    sig: ed25519_dalek::Signature,
    key: ed25519_dalek::VerifyingKey,
}

fn triples(docs: &[SignedLicense]) -> Vec<Triple> {
    docs.iter()
        .filter_map(|d| {
            let s = d.signatures().first()?;
            let key = s.signer().certificate()?.ed25519_key().ok()?;
            Some(Triple {
                message: s.message(),
                sig: ed25519_dalek::Signature::from_bytes(s.signature().as_bytes()),
                key: ed25519_dalek::VerifyingKey::from_bytes(key.as_bytes()).ok()?,
            })
        })
        .collect()
}

/// Equivalent JWTs: the license JSON as claims, EdDSA with the same keys.
fn jwts(docs: &[SignedLicense], f: &Fixture) -> Vec<(String, usize)> {
    let keys: Vec<jsonwebtoken::EncodingKey> = [pki!("signer_a.key.pem"), pki!("signer_b.key.pem")]
        .iter()
        .map(|pem| {
            let der = SigningKey::from_pkcs8_pem(pem)
                .and_then(|k| k.to_pkcs8_der())
                .expect("pkcs8");
            jsonwebtoken::EncodingKey::from_ed_der(&der)
        })
        .collect();
    let _ = f;
    docs.par_iter()
        .enumerate()
        .map(|(i, d)| {
            let claims: serde_json::Value =
                serde_json::from_slice(d.license_bytes()).unwrap_or_default();
            let k = usize::from(i % 10 == 9);
            let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
            (
                jsonwebtoken::encode(&header, &claims, &keys[k]).unwrap_or_default(),
                k,
            )
        })
        .collect()
}

fn jwt_decoders() -> Vec<jsonwebtoken::DecodingKey> {
    [pki!("signer_a.cert.pem"), pki!("signer_b.cert.pem")]
        .iter()
        .map(|pem| {
            let cert = Certificate::from_pem(pem).expect("cert");
            let key = cert.ed25519_key().expect("ed25519");
            jsonwebtoken::DecodingKey::from_ed_components(&B64URL.encode(key.as_bytes()))
                .expect("key")
        })
        .collect()
}

fn rate(n: usize, secs: f64) -> f64 {
    n as f64 / secs
}

/// Best of `rounds` runs, in items per second.
fn best<T>(n: usize, rounds: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = 0.0f64;
    let mut last = None;
    for _ in 0..rounds {
        let t = Instant::now();
        let out = f();
        best = best.max(rate(n, t.elapsed().as_secs_f64()));
        last = Some(out);
    }
    (best, last.expect("rounds ≥ 1"))
}

struct Row {
    name: String,
    one: f64,
    all: f64,
}

fn print_table(title: &str, rows: &[Row], threads: usize) {
    println!("\n{title}");
    println!(
        "{:<52} {:>14} {:>14}",
        "contender",
        "1 thread /s",
        format!("{threads} threads /s")
    );
    for r in rows {
        println!("{:<52} {:>14.0} {:>14.0}", r.name, r.one, r.all);
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .skip_while(|a| a != "--n")
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(100_000);
    let threads = rayon::current_num_threads();
    let f = fixture()?;
    eprintln!("generating {n} sealed licenses…");
    let t = Instant::now();
    let docs: Vec<SignedLicense> = (0..n)
        .into_par_iter()
        .map(|i| make(&f, i).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let bytes: Vec<Vec<u8>> = docs.iter().map(|d| d.as_bytes().to_vec()).collect();
    let mean = bytes.iter().map(Vec::len).sum::<usize>() / n.max(1);
    eprintln!(
        "generated in {:.1} s ({mean} bytes per document)",
        t.elapsed().as_secs_f64()
    );
    if let Some(v) = std::env::var_os("BATCH_REPORT_PROFILE") {
        // Only elicense's batch path, repeatedly (the variable's value is the
        // number of rounds, 5 when not a number): for profilers.
        let rounds: usize = v.to_str().and_then(|s| s.parse().ok()).unwrap_or(5);
        let batch = BatchVerifier::new(f.verifier.clone());
        let t = Instant::now();
        for _ in 0..rounds {
            std::hint::black_box(batch.verify_slice(&bytes, f.at));
        }
        eprintln!(
            "{:.0} licenses/s",
            rate(rounds * n, t.elapsed().as_secs_f64())
        );
        return Ok(());
    }
    let trip = triples(&docs);
    let tokens = jwts(&docs, &f);
    let decoders = jwt_decoders();
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;

    let rounds = 3;
    let batch = BatchVerifier::new(f.verifier.clone());
    let run_batch = |docs: &[Vec<u8>]| {
        let out = batch.verify_slice(docs, f.at);
        out.iter().filter(|o| o.is_valid()).count()
    };
    let (e_all, valid) = best(n, rounds, || run_batch(&bytes));
    assert_eq!(valid, n, "every generated license must verify");
    let (e_one, _) = one.install(|| best(n, rounds, || run_batch(&bytes)));

    let mut dalek_best = (0usize, 0.0f64, 0.0f64);
    for size in [64usize, 256, 1024] {
        let run = || {
            trip.par_chunks(size)
                .map(|c| {
                    let m: Vec<&[u8]> = c.iter().map(|t| t.message.as_slice()).collect();
                    let s: Vec<ed25519_dalek::Signature> = c.iter().map(|t| t.sig).collect();
                    let k: Vec<ed25519_dalek::VerifyingKey> = c.iter().map(|t| t.key).collect();
                    usize::from(ed25519_dalek::verify_batch(&m, &s, &k).is_ok())
                })
                .sum::<usize>()
        };
        let (all, _) = best(n, rounds, run);
        let (one_t, _) = one.install(|| best(n, rounds, run));
        if all > dalek_best.2 {
            dalek_best = (size, one_t, all);
        }
    }
    let strict = || {
        trip.par_iter()
            .filter(|t| t.key.verify_strict(&t.message, &t.sig).is_ok())
            .count()
    };
    let (s_all, _) = best(n, rounds, strict);
    let (s_one, _) = one.install(|| best(n, rounds, strict));
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    let jwt = || {
        tokens
            .par_iter()
            .filter(|(tok, k)| {
                jsonwebtoken::decode::<serde_json::Value>(tok, &decoders[*k], &validation).is_ok()
            })
            .count()
    };
    let (j_all, j_ok) = best(n, 1, jwt);
    assert_eq!(j_ok, n, "every JWT must verify");
    let (j_one, _) = one.install(|| best(n, 1, jwt));

    let rows = vec![
        Row {
            name: "elicense BatchVerifier (full verification)".into(),
            one: e_one,
            all: e_all,
        },
        Row {
            name: format!(
                "ed25519-dalek verify_batch ({}, signatures only)",
                dalek_best.0
            ),
            one: dalek_best.1,
            all: dalek_best.2,
        },
        Row {
            name: "ed25519-dalek verify_strict loop (signatures only)".into(),
            one: s_one,
            all: s_all,
        },
        Row {
            name: "jsonwebtoken EdDSA decode (signature + claims)".into(),
            one: j_one,
            all: j_all,
        },
    ];
    print_table(&format!("all {n} licenses valid"), &rows, threads);

    // 1% invalid: a bit flipped in the signature value of every 100th license.
    let mut planted = Vec::new();
    let mut bad = bytes.clone();
    for i in (37..n).step_by(100) {
        let s = docs[i].signatures()[0].signature().to_bytes();
        let mut t = s;
        t[i % 64] ^= 1;
        let b64 = base64::engine::general_purpose::STANDARD;
        let text = String::from_utf8(bad[i].clone())?;
        bad[i] = text.replace(&b64.encode(s), &b64.encode(t)).into_bytes();
        planted.push(i);
    }
    let mut bad_trip: Vec<Triple> = triples(&docs);
    for &i in &planted {
        let mut b = bad_trip[i].sig.to_bytes();
        b[i % 64] ^= 1;
        bad_trip[i].sig = ed25519_dalek::Signature::from_bytes(&b);
    }
    let (eb_all, found) = best(n, rounds, || {
        batch
            .verify_slice(&bad, f.at)
            .iter()
            .filter(|o| !o.is_valid())
            .map(|o| o.index())
            .collect::<Vec<usize>>()
    });
    let (eb_one, _) = one.install(|| best(n, rounds, || batch.verify_slice(&bad, f.at).len()));
    let size = dalek_best.0;
    let dalek_find = || {
        // What a dalek user must do: batch, then re-check failed batches one by one.
        bad_trip
            .par_chunks(size)
            .map(|c| {
                let m: Vec<&[u8]> = c.iter().map(|t| t.message.as_slice()).collect();
                let s: Vec<ed25519_dalek::Signature> = c.iter().map(|t| t.sig).collect();
                let k: Vec<ed25519_dalek::VerifyingKey> = c.iter().map(|t| t.key).collect();
                if ed25519_dalek::verify_batch(&m, &s, &k).is_ok() {
                    0
                } else {
                    c.iter()
                        .filter(|t| t.key.verify_strict(&t.message, &t.sig).is_err())
                        .count()
                }
            })
            .sum::<usize>()
    };
    let (db_all, dalek_found) = best(n, rounds, dalek_find);
    let (db_one, _) = one.install(|| best(n, rounds, dalek_find));
    let attributed = found.iter().filter(|i| planted.contains(i)).count();
    let rows = vec![
        Row {
            name: "elicense BatchVerifier (full verification)".into(),
            one: eb_one,
            all: eb_all,
        },
        Row {
            name: format!("ed25519-dalek verify_batch ({size}) + per-item retry"),
            one: db_one,
            all: db_all,
        },
    ];
    print_table(
        &format!(
            "1% invalid ({} planted; elicense found {} exactly, dalek retry found {})",
            planted.len(),
            attributed,
            dalek_found
        ),
        &rows,
        threads,
    );
    let extra = found.len() - attributed;
    if extra > 0 {
        println!("elicense flagged {extra} licenses that were not planted");
    }
    println!(
        "batch_report: licenses_per_s={:.0} vs_dalek_batch={:.2} vs_jsonwebtoken={:.2} attributed={}/{}",
        e_all,
        e_all / dalek_best.2,
        e_all / j_all,
        if extra == 0 { attributed } else { 0 },
        planted.len()
    );
    Ok(())
}

/// The 食品经营许可证 type definition of the test fixtures (a JSON data file).
const FOOD_TYPE: &str = include_str!("../tests/data/food_type.json");
