//! `elicense trust publish|verify|merge`: trust lists (信任列表) as files, for
//! cross-region recognition (互通互认).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use elicense::{
    AcceptedSequences, Certificate, LicenseTypeCode, Organisation, PublicKey, Recognition,
    RegionCode, SigningKey, StaleLists, Timestamp, TrustAnchors, TrustEntry, TrustList,
    TrustListBuilder, TrustListVerifier, TrustRole, UnknownStatus, Uscc,
};

use crate::common;

/// Trust lists: publish (sign), verify, merge.
#[derive(Debug, clap::Args)]
pub(crate) struct TrustCmd {
    #[command(subcommand)]
    command: TrustCommand,
}

#[derive(Debug, clap::Subcommand)]
enum TrustCommand {
    /// 发布: sign a trust list from an entries file
    Publish(PublishArgs),
    /// 校验: verify one trust list (signature, operator chain, freshness, sequence); exit 0 accepted, 1 refused
    Verify(VerifyArgs),
    /// 合并: verify several lists (national and provincial) together and print what they recognise; exit 0 accepted, 1 refused
    Merge(MergeArgs),
}

#[derive(Debug, clap::Args)]
struct PublishArgs {
    /// The list operator's Ed25519 private key (PKCS#8 PEM)
    #[arg(long, value_name = "PEM")]
    operator_key: PathBuf,
    /// The operator's certificate (PEM); it must name the publisher's USCC
    #[arg(long, value_name = "PEM")]
    operator_cert: PathBuf,
    /// Intermediate certificates between the operator and its anchor (PEM)
    #[arg(long, value_name = "PEM")]
    chain: Option<PathBuf>,
    /// Publisher (the operator's organisation): name
    #[arg(long)]
    publisher_name: String,
    /// Publisher: 统一社会信用代码
    #[arg(long)]
    publisher_uscc: String,
    /// Publisher: 行政区划代码 (GB/T 2260)
    #[arg(long)]
    publisher_region: String,
    /// The entries: a JSON array (see docs/FORMAT.md §11, "Entries file")
    #[arg(long, value_name = "FILE")]
    entries: PathBuf,
    /// Sequence number (higher than the last list published)
    #[arg(long)]
    seq: u64,
    /// Issued at [default: now]
    #[arg(long)]
    issued_at: Option<String>,
    /// Days until the next list is due
    #[arg(long, default_value_t = 7)]
    valid_days: u32,
    /// Where to write the list
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// How lists are checked: anchors, operator revocation, time, state.
#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// Root certificates list operators chain to (PEM or DER, a file or a directory)
    #[arg(long, value_name = "DIR|FILE", required = true)]
    anchors: Vec<PathBuf>,
    /// Revocations of operator certificates (the revocation file of `elicense verify`)
    #[arg(long, value_name = "FILE")]
    revocations: Option<PathBuf>,
    /// DANGER: accept operator certificates whose revocation status is unknown
    #[arg(long)]
    danger_accept_unknown_revocation: bool,
    /// Rollback state: sequences accepted before (created if missing, updated when accepted)
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Verification time [default: now]
    #[arg(long)]
    at: Option<String>,
    /// DANGER: accept lists past their next-update
    #[arg(long)]
    danger_accept_stale: bool,
}

#[derive(Debug, clap::Args)]
struct VerifyArgs {
    /// The list file
    list: PathBuf,
    #[command(flatten)]
    check: CheckArgs,
}

#[derive(Debug, clap::Args)]
struct MergeArgs {
    /// The list files (any order)
    #[arg(required = true)]
    lists: Vec<PathBuf>,
    #[command(flatten)]
    check: CheckArgs,
    /// Also write the summary as JSON here
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub(crate) fn run(cmd: TrustCmd) -> Result<ExitCode> {
    match cmd.command {
        TrustCommand::Publish(a) => publish(a),
        TrustCommand::Verify(a) => verify(a),
        TrustCommand::Merge(a) => merge(a),
    }
}

/// One entry of the entries file.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    region: String,
    organisation: OrgFile,
    role: String,
    /// Certificate files (PEM or DER), relative to the entries file.
    #[serde(default)]
    certificates: Vec<PathBuf>,
    /// Raw Ed25519 keys, 64 hex digits or base64.
    #[serde(default)]
    keys: Vec<String>,
    #[serde(default)]
    license_types: Vec<String>,
    valid_from: String,
    valid_to: String,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct OrgFile {
    name: String,
    uscc: String,
}

fn region(s: &str) -> Result<RegionCode> {
    RegionCode::parse(s).map_err(|e| anyhow!("region `{s}`: {e}"))
}

fn uscc(s: &str) -> Result<Uscc> {
    Uscc::parse(s).map_err(|e| anyhow!("USCC `{s}`: {e}"))
}

fn one_certificate(path: &Path) -> Result<Certificate> {
    let mut certs = common::load_certificates(path)?;
    if certs.len() != 1 {
        bail!("{}: expected one certificate", path.display());
    }
    Ok(certs.remove(0))
}

fn load_entries(path: &Path) -> Result<Vec<TrustEntry>> {
    let bytes = common::read_small(path)?;
    let files: Vec<EntryFile> = serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: not an entries file", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for (i, e) in files.into_iter().enumerate() {
        let at = || format!("{} entry {i}", path.display());
        let role = TrustRole::parse(&e.role).ok_or_else(|| {
            anyhow!(
                "{}: role `{}` (issuer, seal_maker, status_publisher, list_operator)",
                at(),
                e.role
            )
        })?;
        let org =
            Organisation::new(e.organisation.name, uscc(&e.organisation.uscc)?).with_context(at)?;
        let mut entry = TrustEntry::new(
            region(&e.region)?,
            org,
            role,
            common::parse_time(&e.valid_from)?,
            common::parse_time(&e.valid_to)?,
        )
        .with_context(at)?;
        for c in &e.certificates {
            for cert in common::load_certificates(&base.join(c))? {
                entry = entry.with_certificate(cert);
            }
        }
        for k in &e.keys {
            let raw = common::decode_key(k).ok_or_else(|| anyhow!("{}: key `{k}`", at()))?;
            entry = entry.with_key(PublicKey::from_bytes(&raw).with_context(at)?);
        }
        for t in &e.license_types {
            entry = entry.with_license_type(
                LicenseTypeCode::parse(t).map_err(|err| anyhow!("{}: type `{t}`: {err}", at()))?,
            );
        }
        out.push(entry);
    }
    Ok(out)
}

fn publish(a: PublishArgs) -> Result<ExitCode> {
    let key_bytes = zeroize::Zeroizing::new(common::read_small(&a.operator_key)?);
    let key_pem = std::str::from_utf8(&key_bytes)
        .map_err(|_| anyhow!("{}: not PEM", a.operator_key.display()))?;
    let key = SigningKey::from_pkcs8_pem(key_pem)
        .map_err(|e| anyhow!("{}: not an Ed25519 key: {e}", a.operator_key.display()))?;
    let cert = one_certificate(&a.operator_cert)?;
    let chain = match &a.chain {
        Some(p) => common::load_certificates(p)?,
        None => Vec::new(),
    };
    let publisher = Organisation::new(a.publisher_name, uscc(&a.publisher_uscc)?)?;
    let issued_at = common::at_or_now(a.issued_at.as_deref())?;
    let next = issued_at.saturating_add(i64::from(a.valid_days) * 86_400);
    let mut b = TrustListBuilder::new(
        publisher,
        region(&a.publisher_region)?,
        a.seq,
        issued_at,
        next,
    );
    for e in load_entries(&a.entries)? {
        b = b.entry(e);
    }
    let list = b.sign(&key, &cert, &chain)?;
    std::fs::write(&a.out, list.as_bytes())
        .with_context(|| format!("cannot write {}", a.out.display()))?;
    println!(
        "published {}: {} sequence {}, {} entries, next update {}",
        a.out.display(),
        list.publisher().code(),
        list.sequence(),
        list.entries().len(),
        list.next_update()
    );
    Ok(ExitCode::SUCCESS)
}

fn list_verifier(c: &CheckArgs) -> Result<TrustListVerifier> {
    let mut anchors = TrustAnchors::new();
    for p in &c.anchors {
        for cert in common::load_certificates(p)? {
            anchors.add(cert);
        }
    }
    let status = match &c.revocations {
        Some(p) => common::load_revocations(p)?,
        None => elicense::InMemoryStatus::new(),
    };
    let mut v = TrustListVerifier::new(anchors).with_status(Arc::new(status));
    v = v.with_unknown_status(if c.danger_accept_unknown_revocation {
        elicense::danger::accept_unknown_status()
    } else {
        UnknownStatus::Deny
    });
    if c.danger_accept_stale {
        v = v.with_stale(elicense::danger::accept_stale_trust_list());
    } else {
        v = v.with_stale(StaleLists::Refuse);
    }
    Ok(v)
}

fn load_state(c: &CheckArgs) -> Result<AcceptedSequences> {
    match &c.state {
        Some(p) if p.exists() => {
            let bytes = common::read_small(p)?;
            let text =
                std::str::from_utf8(&bytes).map_err(|_| anyhow!("{}: not UTF-8", p.display()))?;
            Ok(AcceptedSequences::from_json(text)
                .with_context(|| format!("{}: not a trust list state file", p.display()))?)
        }
        _ => Ok(AcceptedSequences::new()),
    }
}

fn save_state(c: &CheckArgs, state: &AcceptedSequences) -> Result<()> {
    if let Some(p) = &c.state {
        // Write beside, then rename: a crash leaves the old state whole.
        let tmp = p.with_extension("tmp");
        std::fs::write(&tmp, state.to_json())
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, p).with_context(|| format!("cannot write {}", p.display()))?;
    }
    Ok(())
}

fn describe(list: &TrustList) {
    println!(
        "list {} ({}) region {} sequence {} issued {} next update {}",
        list.publisher().code(),
        list.publisher().name(),
        list.region(),
        list.sequence(),
        list.issued_at(),
        list.next_update()
    );
    for (i, e) in list.entries().iter().enumerate() {
        let types: Vec<&str> = e.license_types().iter().map(|t| t.as_str()).collect();
        println!(
            "  entry {i}: {} {} ({}) region {} valid {} .. {}; {} certificates, {} keys; types [{}]",
            e.role(),
            e.organisation().code(),
            e.organisation().name(),
            e.region(),
            e.valid_from(),
            e.valid_to(),
            e.certificates().len(),
            e.keys().len(),
            types.join(", ")
        );
    }
}

fn verify(a: VerifyArgs) -> Result<ExitCode> {
    let v = list_verifier(&a.check)?;
    let mut state = load_state(&a.check)?;
    let at = common::at_or_now(a.check.at.as_deref())?;
    let bytes = common::read_small(&a.list)?;
    match v.verify(&bytes, at, &mut state) {
        Ok(list) => {
            save_state(&a.check, &state)?;
            println!("accepted {}", a.list.display());
            describe(&list);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("refused {}: {e}", a.list.display());
            Ok(ExitCode::from(1))
        }
    }
}

/// Verifies and merges the trust lists of `elicense verify --trust-list`.
pub(crate) fn recognition(
    lists: &[PathBuf],
    anchors: &[PathBuf],
    revocations: Option<&Path>,
    danger_accept_unknown_revocation: bool,
    at: Timestamp,
) -> Result<Recognition> {
    if anchors.is_empty() {
        bail!("--trust-list needs --list-anchors (the roots list operators chain to)");
    }
    let check = CheckArgs {
        anchors: anchors.to_vec(),
        revocations: revocations.map(Path::to_path_buf),
        danger_accept_unknown_revocation,
        state: None,
        at: None,
        danger_accept_stale: false,
    };
    let v = list_verifier(&check)?;
    let files: Vec<Vec<u8>> = lists
        .iter()
        .map(|p| common::read_small(p))
        .collect::<Result<_>>()?;
    let refs: Vec<&[u8]> = files.iter().map(Vec::as_slice).collect();
    Recognition::merge(&refs, &v, at, &mut AcceptedSequences::new()).map_err(|e| match e {
        elicense::TrustListError::InList { index, error } => anyhow!(
            "trust list {} refused: {error}",
            lists
                .get(index)
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        ),
        other => anyhow!("trust lists refused: {other}"),
    })
}

fn merge(a: MergeArgs) -> Result<ExitCode> {
    let v = list_verifier(&a.check)?;
    let mut state = load_state(&a.check)?;
    let at = common::at_or_now(a.check.at.as_deref())?;
    let files: Vec<Vec<u8>> = a
        .lists
        .iter()
        .map(|p| common::read_small(p))
        .collect::<Result<_>>()?;
    let refs: Vec<&[u8]> = files.iter().map(Vec::as_slice).collect();
    let recognition = match Recognition::merge(&refs, &v, at, &mut state) {
        Ok(r) => r,
        Err(elicense::TrustListError::InList { index, error }) => {
            let name = a
                .lists
                .get(index)
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            println!("refused {name}: {error}");
            return Ok(ExitCode::from(1));
        }
        Err(e) => {
            println!("refused: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    save_state(&a.check, &state)?;
    let mut summary = Vec::new();
    for (path, bytes) in a.lists.iter().zip(&files) {
        let list = TrustList::from_signed_bytes(bytes)?;
        let merged = recognition
            .lists()
            .iter()
            .find(|m| m.digest == list.digest())
            .ok_or_else(|| anyhow!("{}: not merged", path.display()))?;
        match &merged.under {
            Some(by) => println!("accepted {} under {by}", path.display()),
            None => println!("accepted {} (chains to an anchor)", path.display()),
        }
        describe(&list);
        summary.push(serde_json::json!({
            "file": path.display().to_string(),
            "publisher": list.publisher().code().as_str(),
            "sequence": list.sequence(),
            "next_update": list.next_update().to_string(),
            "under": merged.under.as_ref().map(|b| serde_json::json!({
                "publisher": b.publisher.as_str(), "sequence": b.sequence, "entry": b.entry
            })),
            "entries": list.entries().iter().map(|e| serde_json::json!({
                "role": e.role().name(),
                "organisation": e.organisation().code().as_str(),
                "region": e.region().as_str(),
                "license_types": e.license_types().iter().map(|t| t.as_str()).collect::<Vec<_>>(),
                "valid_from": e.valid_from().to_string(),
                "valid_to": e.valid_to().to_string(),
            })).collect::<Vec<_>>(),
        }));
    }
    if let Some(out) = &a.out {
        let text = serde_json::to_string_pretty(&serde_json::json!({ "lists": summary }))?;
        std::fs::write(out, text).with_context(|| format!("cannot write {}", out.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}
