//! `elicense demo`: the main job. Builds a sample resource library (资源库)
//! on an embedded SQLite file — a test PKI (the repository's fixtures in
//! tests/data/pki), a seal maker, 证照专用章 seals for two issuers, N sealed
//! licenses of the built-in types and a sample of every lifecycle operation —
//! then writes what a department receives next to the database (trust
//! anchors, license types, a revocation file, a JSON Lines export) and
//! verifies the export with the code of `elicense verify`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use elicense::*;

use crate::common::{self, TrustArgs};
use crate::verify::{self, Format, VerifyArgs};

macro_rules! pki {
    ($name:literal) => {
        include_str!(concat!("../../tests/data/pki/", $name))
    };
}

/// Marks a directory as made by `elicense demo`, so a re-run may replace it.
const MARKER: &str = ".elicense-demo";

/// `elicense demo`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct DemoArgs {
    /// The SQLite database to create; trust anchors, types and the export are written beside it
    #[arg(long, value_name = "PATH", default_value = "elicense-demo/library.db")]
    pub(crate) db: PathBuf,
    /// Licenses to issue
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub(crate) n: usize,
    /// No progress output
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

fn sealer(
    maker: &SealMaker<SigningKey>,
    cert_pem: &str,
    key_pem: &str,
    name: &str,
    seal_id: &str,
) -> Result<(Organisation, Sealer<Box<dyn Signer>>)> {
    let signer_ca = Certificate::from_pem(pki!("signer_ca.cert.pem"))?;
    let cert = Certificate::from_pem(cert_pem)?;
    let org = Organisation::new(
        name,
        *cert
            .organization()
            .ok_or_else(|| anyhow!("no organisation"))?,
    )?;
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

fn holder_code(i: usize) -> Result<Uscc> {
    let body = format!("91330100MA{:07}", i % 10_000_000);
    let c = uscc_check_char(&body)?;
    Ok(format!("{body}{c}").parse()?)
}

fn request(types: &LicenseTypes, i: usize) -> Result<IssueRequest> {
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
        .ok_or_else(|| anyhow!("no such built-in type"))?;
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

/// `elicense demo`.
pub(crate) fn run(args: DemoArgs) -> Result<ExitCode> {
    let n = args.n;
    if n == 0 {
        bail!("--n must be at least 1");
    }
    let path = args.db.clone();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    prepare_dir(&dir, &path)?;

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
    // The issuing identities, written beside the database for `elicense serve --issuer`.
    let identities = [
        (
            "a",
            sealer_a.seal().as_bytes().to_vec(),
            pki!("signer_a.cert.pem"),
            pki!("signer_a.key.pem"),
            Some("330102"),
        ),
        (
            "b",
            sealer_b.seal().as_bytes().to_vec(),
            pki!("signer_b.cert.pem"),
            pki!("signer_b.key.pem"),
            Some("430000"),
        ),
        (
            "copy-maker",
            copy_sealer.seal().as_bytes().to_vec(),
            pki!("signer_b.cert.pem"),
            pki!("signer_b.key.pem"),
            None,
        ),
    ];
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
        lines.extend_from_slice(
            &lib.store()
                .document(e.id())?
                .ok_or_else(|| anyhow!("missing document"))?,
        );
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

    // What a department receives: anchors, types, revocations, an export.
    let anchors = dir.join("anchors");
    std::fs::create_dir_all(&anchors)?;
    std::fs::write(anchors.join("root.cert.pem"), pki!("root.cert.pem"))?;
    let types_dir = dir.join("types");
    std::fs::create_dir_all(&types_dir)?;
    for (i, t) in types.iter().enumerate() {
        std::fs::write(
            types_dir.join(format!("type{:02}.json", i + 1)),
            t.to_json(),
        )?;
    }
    for (name, seal, cert, key, region) in &identities {
        let d = dir.join("issuers").join(name);
        std::fs::create_dir_all(&d)?;
        std::fs::write(d.join("seal.json"), seal)?;
        std::fs::write(d.join("cert.pem"), cert)?;
        std::fs::write(d.join("chain.pem"), pki!("signer_ca.cert.pem"))?;
        // The repository's test keys: a demonstration, not a secret.
        std::fs::write(d.join("key.pem"), key)?;
        if let Some(r) = region {
            std::fs::write(d.join("region.txt"), format!("{r}\n"))?;
        }
    }
    let revocations = dir.join("revocations.json");
    std::fs::write(&revocations, common::empty_revocations_json())?;
    // The issuing system's presentation key (亮证), fresh for each demo.
    crate::present::write_system_key(
        &SigningKey::generate()?,
        &[*org_a.code(), *org_b.code()],
        &dir.join("presentation.key.pem"),
        &dir.join("presentation.keys"),
    )?;
    let export = dir.join("export.jsonl");
    let t = Instant::now();
    let exported = export_all(lib.store(), &export)?;
    println!(
        "export: {exported} stored licenses to {} in {:.1} s",
        export.display(),
        t.elapsed().as_secs_f64()
    );
    let sample_id = v4.license().id().to_string();
    // A license in force, for the presentation example.
    let in_force = lib
        .store()
        .query(&Query::new().status(LicenseStatus::Valid).limit(1)?)?
        .entries()
        .first()
        .map(|e| e.id().to_string())
        .unwrap_or_else(|| sample_id.clone());
    drop(lib);

    // Verify the export exactly as a department would.
    let report = dir.join("report.csv");
    let verify_args = VerifyArgs {
        inputs: vec![export.to_string_lossy().into_owned()],
        trust: TrustArgs {
            anchors: vec![anchors.clone()],
            keys: None,
            types: Some(types_dir.clone()),
            revocations: Some(revocations.clone()),
            danger_accept_unknown_revocation: false,
            trust_lists: vec![],
            list_anchors: vec![],
        },
        at: Some(at.to_string()),
        threads: None,
        status: Some(path.to_string_lossy().into_owned()),
        status_snapshots: vec![],
        status_keys: None,
        report: Some(report.clone()),
        format: Format::Csv,
        quiet: args.quiet,
    };
    let tally = verify::execute(&verify_args)?;
    verify::print_summary(&tally);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "demo: N={n}: issued and sealed {n} in {issue_secs:.1} s ({:.0}/s); exported {exported}; verified {} \
         with their status in the store: {} valid, {} rejected {:?}; report {}; db {:.0} MiB",
        n as f64 / issue_secs,
        tally.total,
        tally.valid,
        tally.total - tally.valid,
        tally.by_step,
        report.display(),
        size as f64 / 1048576.0,
    );
    let db = path.display();
    let d = dir.display();
    println!();
    println!("Next, as a department would (cargo run --release -- … or the elicense binary):");
    println!(
        "  elicense verify {d}/export.jsonl --anchors {d}/anchors --types {d}/types --revocations {d}/revocations.json --status {db} --at {at} --report report.csv --format csv"
    );
    println!(
        "  elicense inspect license.json --anchors {d}/anchors --revocations {d}/revocations.json   (after: elicense show {sample_id} --db {db} --out license.json)"
    );
    println!("  elicense query --db {db} --status revoked");
    println!("  elicense history {sample_id} --db {db}");
    println!(
        "  elicense present {in_force} --db {db} --key {d}/presentation.key.pem --out code.png   (then: elicense scan STRING --keys {d}/presentation.keys --status {db})"
    );
    println!(
        "  elicense serve --db {db} --anchors {d}/anchors --revocations {d}/revocations.json --issuer {d}/issuers/a --issuer {d}/issuers/b --copy-maker {d}/issuers/copy-maker"
    );
    println!(
        "  elicense archive {d}/export.jsonl --db other.db --anchors {d}/anchors --revocations {d}/revocations.json --at {at}"
    );
    Ok(ExitCode::SUCCESS)
}

/// Refuses to overwrite a database the demo did not make.
fn prepare_dir(dir: &Path, db: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let marker = dir.join(MARKER);
    if db.exists() {
        if !marker.exists() {
            bail!(
                "{} exists and was not made by `elicense demo`: choose another --db",
                db.display()
            );
        }
        for ext in ["", "-wal", "-shm"] {
            let mut p = db.as_os_str().to_owned();
            p.push(ext);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
    }
    std::fs::write(
        &marker,
        "made by elicense demo; the directory may be replaced by the next run\n",
    )?;
    Ok(())
}

/// Writes every stored license, one per line, in catalog order.
fn export_all(store: &SqliteStore, path: &Path) -> Result<usize> {
    let f =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, f);
    let mut q = Query::new().limit(store_limits::MAX_PAGE_SIZE)?;
    let mut count = 0;
    loop {
        let page = store.query(&q)?;
        for e in page.entries() {
            let doc = store
                .document(e.id())?
                .ok_or_else(|| anyhow!("missing document {}", e.id()))?;
            out.write_all(&doc)?;
            out.write_all(b"\n")?;
            count += 1;
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
    out.flush()?;
    Ok(count)
}
