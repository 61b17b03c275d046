//! The main job: a resource library (资源库) on an embedded SQLite file.
//!
//! Issues N sealed licenses (营业执照 and 食品经营许可证, two issuers; default
//! 100,000), performs a sample of every operation (status changes, renewal,
//! change, transfer in, verification by identifier / bytes / data,
//! authorised retrieval with its use record, a dispute upheld and one
//! rejected, an annotated copy), then batch-verifies every stored license —
//! seals, certificates, schema, validity, and each license's status in the
//! store through the library's verifier — and prints a summary with
//! throughput.
//!
//! `cargo run --release --example demo -- --n 100000 [--db path]`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a demonstration program, not library code"
)]

use std::collections::BTreeMap;
use std::time::Instant;

use elicense::*;

macro_rules! pki {
    ($name:literal) => {
        include_str!(concat!("../tests/data/pki/", $name))
    };
}

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn sealer(
    maker: &SealMaker<SigningKey>,
    cert_pem: &str,
    key_pem: &str,
    name: &str,
    seal_id: &str,
) -> Res<(Organisation, Sealer<Box<dyn Signer>>)> {
    let signer_ca = Certificate::from_pem(pki!("signer_ca.cert.pem"))?;
    let cert = Certificate::from_pem(cert_pem)?;
    let org = Organisation::new(name, *cert.organization().ok_or("no organisation")?)?;
    let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" width="42mm" height="42mm" viewBox="0 0 42 42"><circle cx="21" cy="21" r="20" fill="none" stroke="#d00" stroke-width="1.2"/></svg>"##;
    let seal = maker.make(SealSpec {
        vendor: "elicense-demo".into(),
        id: seal_id.into(),
        seal_type: SealType::License,
        name: format!("{name}证照专用章"),
        holder: org.clone(),
        certs: vec![SealCertRef::Certificate(cert.clone())],
        created_at: Timestamp::parse("2024-06-01T00:00:00Z")?,
        valid_from: Timestamp::parse("2024-06-01T00:00:00Z")?,
        valid_to: Timestamp::parse("2029-06-01T00:00:00Z")?,
        picture: SealPicture::new(PictureType::Svg, svg.to_vec(), 42, 42)?,
        extensions: vec![],
    })?;
    let signer: Box<dyn Signer> = Box::new(SigningKey::from_pkcs8_pem(key_pem)?);
    Ok((org, Sealer::new(seal, cert, vec![signer_ca], signer)?))
}

fn holder_code(i: usize) -> Res<Uscc> {
    let body = format!("91330100MA{:07}", i % 10_000_000);
    let c = uscc_check_char(&body)?;
    Ok(format!("{body}{c}").parse()?)
}

fn request(types: &LicenseTypes, i: usize) -> Res<IssueRequest> {
    let food = i % 2 == 1;
    let t = types
        .iter()
        .find(|t| {
            t.name()
                == if food {
                    "食品经营许可证"
                } else {
                    "营业执照"
                }
        })
        .ok_or("type")?;
    let f = |k: &str, v: &str| (k.to_owned(), FieldValue::from(v));
    let fields: BTreeMap<String, FieldValue> = if food {
        [
            f("KZ_JYCS", &format!("杭州市上城区解放路{i}号")),
            f("KZ_FDDBR", "张三"),
            f("KZ_JYXM", "预包装食品销售（含冷藏冷冻食品）"),
            f("KZ_ZTYT", "餐饮服务经营者"),
        ]
        .into()
    } else {
        [
            f("KZ_LX", "有限责任公司"),
            f("KZ_FDDBR", "李四"),
            f("KZ_CLRQ", "2020-01-01"),
            f("KZ_YYQX", "长期"),
            f("KZ_ZS", &format!("杭州市上城区延安路{i}号")),
            f("KZ_JYFW", "软件开发；信息技术咨询服务"),
            f("KZ_DJJG", "杭州市上城区市场监督管理局"),
        ]
        .into()
    };
    Ok(IssueRequest {
        type_code: *t.code(),
        number: format!("{}{:012}", if food { "JY" } else { "YZ" }, i),
        holder: Holder::new(
            format!("杭州第{i}号科技有限公司"),
            holder_code(i / 2)?.into(),
        )?,
        valid_from: Date::parse("2025-06-01")?,
        valid_to: if food {
            Some(Date::parse("2030-05-31")?)
        } else {
            None
        },
        fields,
        attachments: vec![],
    })
}

fn main() -> Res<()> {
    let mut n = 100_000usize;
    let mut db: Option<std::path::PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--n" => n = args.next().ok_or("--n needs a number")?.parse()?,
            "--db" => db = Some(args.next().ok_or("--db needs a path")?.into()),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let dir = tempfile_dir()?;
    let keep = db.is_some();
    let path = db.unwrap_or_else(|| dir.join("library.db"));
    let _ = std::fs::remove_file(&path);

    let maker = SealMaker::new(
        Certificate::from_pem(pki!("seal_maker.cert.pem"))?,
        vec![],
        SigningKey::from_pkcs8_pem(pki!("seal_maker.key.pem"))?,
    )?;
    let (org_a, sealer_a) = sealer(
        &maker,
        pki!("signer_a.cert.pem"),
        pki!("signer_a.key.pem"),
        "杭州市上城区市场监督管理局",
        "3301020000001",
    )?;
    let (org_b, sealer_b) = sealer(
        &maker,
        pki!("signer_b.cert.pem"),
        pki!("signer_b.key.pem"),
        "湖南省市场监督管理局",
        "4300000000001",
    )?;
    // Annotated copies are sealed with B's second seal (a 加注件 seal).
    let (_, copy_sealer) = sealer(
        &maker,
        pki!("signer_b.cert.pem"),
        pki!("signer_b.key.pem"),
        "湖南省市场监督管理局",
        "4300000000002",
    )?;
    let types = LicenseTypes::builtin();
    let verifier = Verifier::new(types.clone())
        .with_trust_anchors(TrustAnchors::new().with(Certificate::from_pem(pki!("root.cert.pem"))?))
        .with_status(InMemoryStatus::complete_revocation_list());
    let store = SqliteStore::open(&path)?;
    // Grants, the use record, disputes and serial counters live in the same
    // database file as the licenses.
    let ledger = store.ledger();
    let lib = ResourceLibrary::new(store, verifier)?
        .with_ledger(Box::new(ledger))
        .with_issuer(org_a.clone(), "330102".parse()?, sealer_a)?
        .with_issuer(org_b.clone(), "430000".parse()?, sealer_b)?
        .with_copy_maker(copy_sealer);

    // Issue N licenses in batches of 10,000 (one transaction each), 9 in 10 by A.
    let issued_at = Timestamp::parse("2025-06-01T02:00:00Z")?;
    let t = Instant::now();
    let mut start = 0;
    while start < n {
        let end = (start + 10_000).min(n);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for i in start..end {
            let r = request(&types, i)?;
            if i % 10 == 9 { b.push(r) } else { a.push(r) }
        }
        if !a.is_empty() {
            lib.issue_batch(org_a.code(), a, issued_at)?;
        }
        if !b.is_empty() {
            lib.issue_batch(org_b.code(), b, issued_at)?;
        }
        start = end;
    }
    let issue_secs = t.elapsed().as_secs_f64();
    lib.store().refresh_statistics()?;

    // A sample of each operation.
    let t = Instant::now();
    let day = |d: &str| Timestamp::parse(d);
    let sample = lib.issue(
        org_a.code(),
        request(&types, 1)?,
        day("2025-06-02T00:00:00Z")?,
    )?;
    let id = sample.license().id().clone();
    lib.suspend(
        &id,
        "上城区市场监管局",
        "立案调查",
        day("2025-07-01T00:00:00Z")?,
    )?;
    let refused = lib.suspend(
        &id,
        "上城区市场监管局",
        "再次暂扣",
        day("2025-07-02T00:00:00Z")?,
    );
    lib.resume(&id, "上城区市场监管局", day("2025-07-03T00:00:00Z")?)?;
    let v2 = lib.renew(
        &id,
        &Amendment::new(),
        "上城区市场监管局",
        day("2025-08-01T00:00:00Z")?,
    )?;
    let v3 = lib.change(
        v2.license().id(),
        &Amendment::new().field("KZ_FDDBR", "王五"),
        "上城区市场监管局",
        day("2025-09-01T00:00:00Z")?,
    )?;
    let v4 = lib.transfer_in(
        v3.license().id(),
        org_b.code(),
        &Amendment::new(),
        "湖南省市场监管局",
        day("2025-10-01T00:00:00Z")?,
    )?;
    let at = day("2026-01-01T00:00:00Z")?;
    let chain = lib.versions(&id)?;
    let chain_codes: Vec<u8> = chain
        .iter()
        .map(|e| lib.verify_id(e.id(), at).map(|r| r.code().code()))
        .collect::<Result<_, _>>()?;
    let holder = sample.license().holder().code().clone();
    let bank = Organisation::new(
        "某某银行杭州分行",
        "91330100MA0000001X"
            .parse()
            .or_else(|_| holder_code(9_999_999))?,
    )?;
    let purpose = Purpose::new("办理对公账户开户")?;
    let denied = lib.fetch(&bank, &purpose, v4.license().id(), at).is_err();
    lib.grant(Grant::by_holder(
        holder.clone(),
        *bank.code(),
        *v4.license().type_code(),
        None,
    ))?;
    lib.fetch(&bank, &purpose, v4.license().id(), at)?;
    let found = lib.query_by_holder(&bank, &purpose, &holder, v4.license().type_code(), at)?;
    let uses = lib.uses_of(&holder)?.len();
    let by_bytes = lib.verify_bytes(v4.as_bytes(), at)?.code().code();
    let by_data = lib
        .verify_data(
            &DataCheck {
                type_code: Some(*v4.license().type_code()),
                holder: Some(holder.clone()),
                number: Some(v4.license().number().to_owned()),
                fields: [("KZ_FDDBR".to_owned(), FieldValue::from("张三"))].into(),
            },
            at,
        )?
        .code()
        .code();
    let d = lib.raise_dispute(
        v4.license().id(),
        &holder,
        vec!["KZ_JYCS".into()],
        "门牌号有误",
        at,
    )?;
    let flagged = !lib
        .verify_id(v4.license().id(), at)?
        .under_review()
        .is_empty();
    let v5 = lib.uphold_dispute(
        d,
        [(
            "KZ_JYCS".to_owned(),
            FieldValue::from("杭州市上城区解放路2号"),
        )]
        .into(),
        "湖南省市场监管局",
        at,
    )?;
    let d2 = lib.raise_dispute(
        v5.license().id(),
        &holder,
        vec!["KZ_JYXM".into()],
        "经营项目不全",
        at,
    )?;
    lib.reject_dispute(d2, "与申请材料一致", at)?;
    let copy = lib.annotated_copy(
        v5.license().id(),
        &CopyRequest {
            purpose: purpose.clone(),
            user: bank.clone(),
            valid_until: day("2026-01-31T00:00:00Z")?,
        },
        at,
    )?;
    let copy_ok = matches!(
        lib.verify_copy(copy.as_bytes(), &purpose, bank.code(), at)?,
        CopyCheck::Valid(_)
    );
    let other = LicenseId::from_parts(
        *v4.license().type_code(),
        IssuerCode::Uscc(*org_a.code()),
        "0000000001",
        1,
    )?;
    lib.expire(&other, "上城区市场监管局", at)?;
    lib.cancel(&other, "上城区市场监管局", "申请注销", at)?;
    let revoked = LicenseId::from_parts(
        *v4.license().type_code(),
        IssuerCode::Uscc(*org_a.code()),
        "0000000002",
        1,
    )?;
    lib.revoke(&revoked, "上城区市场监管局", "吊销", at)?;
    let sample_ms = t.elapsed().as_secs_f64() * 1e3;
    println!(
        "sample: chain of {} versions verifying {:?}; refused suspend: {}; fetch without grant refused: {denied}; \
         query found {}; {uses} uses recorded; verify bytes {by_bytes}, data {by_data}; dispute flagged {flagged}, \
         upheld -> v{}; annotated copy valid {copy_ok}; {sample_ms:.1} ms",
        chain.len(),
        chain_codes,
        refused
            .map(|_| "no".to_owned())
            .unwrap_or_else(|e| e.to_string()),
        found.len(),
        v5.license().id().version(),
    );

    // Bulk archiving (存量归集): re-archive the first stored licenses (all
    // duplicates: archiving is idempotent) with one unreadable line.
    let t = Instant::now();
    let mut lines = Vec::new();
    let page = lib
        .store()
        .query(&Query::new().limit(store_limits::MAX_PAGE_SIZE)?)?;
    for e in page.entries() {
        lines.extend_from_slice(&lib.store().document(e.id())?.ok_or("missing document")?);
        lines.push(b'\n');
    }
    lines.extend_from_slice(b"{\"format\":\"not a license\"}\n");
    let archived = lib.archive(&lines[..], at)?;
    println!(
        "archive: {} lines: {} imported, {} duplicates, {} rejected ({:?}); {:.1} ms",
        archived.total,
        archived.imported,
        archived.duplicates,
        archived.rejected_count(),
        archived.rejected_by_step,
        t.elapsed().as_secs_f64() * 1e3
    );

    // Batch-verify the whole library from the stored bytes.
    let t = Instant::now();
    let mut docs = Vec::with_capacity(n + 8);
    let mut q = Query::new().limit(store_limits::MAX_PAGE_SIZE)?;
    loop {
        let page = lib.store().query(&q)?;
        for e in page.entries() {
            docs.push(lib.store().document(e.id())?.ok_or("missing document")?);
        }
        match page.next() {
            Some(c) => {
                q = Query::new()
                    .limit(store_limits::MAX_PAGE_SIZE)?
                    .after(c.clone())
            }
            None => break,
        }
    }
    let read_secs = t.elapsed().as_secs_f64();
    let batch = BatchVerifier::new(lib.verifier().clone());
    let t = Instant::now();
    let outcomes = batch.verify_slice(&docs, at);
    let verify_secs = t.elapsed().as_secs_f64();
    let valid = outcomes.iter().filter(|o| o.is_valid()).count();
    let mut by_step: BTreeMap<String, usize> = BTreeMap::new();
    for o in &outcomes {
        if let Some(step) = o.failed_step() {
            *by_step.entry(step.to_string()).or_insert(0) += 1;
        }
    }
    // The library's verifier asks the store for each license's status: the
    // licenses that verify are exactly those in force per the store.
    let in_force = lib
        .store()
        .count(&Query::new().status(LicenseStatus::Valid))?;
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "demo: N={n}: issued and sealed {n} in {issue_secs:.1} s ({:.0}/s); read {} stored in {read_secs:.1} s; \
         batch-verified {} in {verify_secs:.2} s ({:.0} licenses/s, store status included): {valid} verify, \
         {} rejected {by_step:?}; {in_force} in force per the store; db {:.0} MiB",
        n as f64 / issue_secs,
        docs.len(),
        docs.len(),
        docs.len() as f64 / verify_secs,
        docs.len() - valid,
        size as f64 / 1048576.0,
    );
    drop(lib);
    if !keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

fn tempfile_dir() -> Res<std::path::PathBuf> {
    let d = std::env::temp_dir().join(format!("elicense-demo-{}", std::process::id()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}
