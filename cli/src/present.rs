//! `elicense present` and `elicense scan`: mobile display (亮证). `present`
//! makes a short-lived signed presentation of a stored license and writes it
//! as a QR image (PNG or SVG); `scan` verifies a scanned string on the spot
//! and prints every step.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use elicense::present::{
    PresentRequest, PresentRole, PresentStep, Presentation, PresentationVerifier,
};
use elicense::{
    InMemoryStatus, LicenseId, LicenseStanding, LicenseStore, SignedLicense, SigningKey,
    SnapshotStatus, StatusSource, TrustAnchors, UnknownStatus, Uscc,
};

use crate::common::{self, StoreArgs};
use crate::on_store;
use zeroize::Zeroizing;

/// Who signs a presentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Role {
    /// The issuing system's presentation key, on the holder's request (the default for a phone)
    System,
    /// The issuer's sealing key
    Seal,
}

/// `elicense present`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct PresentArgs {
    /// 电子证照标识 the license identifier
    #[arg(value_name = "ID")]
    pub(crate) id: String,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// The signing key: an Ed25519 private key, PKCS#8 PEM (the issuing system's presentation key, or with --role seal the issuer's sealing key)
    #[arg(long, value_name = "FILE")]
    pub(crate) key: PathBuf,
    /// Who signs
    #[arg(long, value_enum, default_value_t = Role::System)]
    pub(crate) role: Role,
    /// A field to show (by key, e.g. KZ_JYCS); repeat for more; the rest is bound by a digest
    #[arg(long, value_name = "KEY")]
    pub(crate) show: Vec<String>,
    /// Minutes until the presentation expires (1..=1440)
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub(crate) minutes: u32,
    /// When the presentation is made [default: now]
    #[arg(long, value_name = "TIME")]
    pub(crate) at: Option<String>,
    /// 证照类型 license types (JSON type files, a file or a directory) [default: the built-in templates]
    #[arg(long, value_name = "DIR|FILE")]
    pub(crate) types: Option<PathBuf>,
    /// The QR image to write: FILE.png or FILE.svg
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
    /// Pixels per QR module
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub(crate) scale: u32,
}

/// `elicense present`: exit 1 when the store has no such license or it is
/// not in force at the time; prints the presentation string on standard
/// output, what was written on standard error.
pub(crate) fn present(args: PresentArgs) -> Result<ExitCode> {
    let id = LicenseId::parse(&args.id)
        .map_err(|e| anyhow!("`{}` is not a license identifier: {e}", args.id))?;
    let ext = args
        .out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let svg = match ext.as_deref() {
        Some("svg") => true,
        Some("png") => false,
        _ => bail!("--out {}: name a .png or .svg file", args.out.display()),
    };
    let at = common::at_or_now(args.at.as_deref())?;
    let types = common::load_types(args.types.as_deref())?;
    let key = load_signing_key(&args.key)?;
    let store = args.store.open(false)?;
    let (bytes, standing) = on_store!(store, |s| {
        let bytes = s.document(&id)?;
        let standing =
            elicense::StoreStatus::new(&s, Arc::new(InMemoryStatus::new())).license_status(&id, at);
        (bytes, standing)
    });
    let Some(bytes) = bytes else {
        eprintln!("elicense present: no license {id} in the store");
        return Ok(ExitCode::from(1));
    };
    match standing {
        LicenseStanding::InForce => {}
        LicenseStanding::NotInForce { status, since } => {
            eprintln!(
                "elicense present: license {id} is not in force ({status} since {since}); no presentation made"
            );
            return Ok(ExitCode::from(1));
        }
        _ => {
            eprintln!("elicense present: the status of license {id} is unknown");
            return Ok(ExitCode::from(1));
        }
    }
    let doc = SignedLicense::decode(&bytes)
        .with_context(|| format!("the stored license {id} does not decode"))?;
    let show: Vec<&str> = args.show.iter().map(String::as_str).collect();
    let role = match args.role {
        Role::System => PresentRole::IssuingSystem,
        Role::Seal => PresentRole::Seal,
    };
    let p = Presentation::create(
        &doc,
        &types,
        &PresentRequest {
            show: &show,
            made_at: at,
            minutes: args.minutes,
            nonce: None,
            role,
        },
        &key,
    )?;
    let qr = p.qr()?;
    let scale = args.scale.clamp(1, 32);
    let image = if svg {
        qr.to_svg(scale).into_bytes()
    } else {
        qr.to_png(scale as usize)
    };
    std::fs::write(&args.out, image)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    let s = p.to_qr_string();
    println!("{s}");
    eprintln!(
        "elicense present: {id}: {} bytes, {} characters, QR version {} at ECC Q; expires {}; wrote {}",
        p.as_bytes().len(),
        s.len(),
        qr.version(),
        p.expires_at(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn load_signing_key(path: &Path) -> Result<SigningKey> {
    let bytes = Zeroizing::new(common::read_small(path)?);
    let text =
        std::str::from_utf8(&bytes).map_err(|_| anyhow!("{}: not a PEM file", path.display()))?;
    SigningKey::from_pkcs8_pem(text)
        .map_err(|e| anyhow!("{}: not an Ed25519 PKCS#8 private key: {e}", path.display()))
}

/// How `scan` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ScanFormat {
    /// For a person at the counter
    Text,
    /// One JSON object
    Json,
}

/// `elicense scan`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ScanArgs {
    /// The scanned string (EL1:…), or `-` to read it from standard input
    #[arg(value_name = "STRING")]
    pub(crate) input: String,
    /// Presentation keys of issuers: a file of `USCC KEY` lines (KEY: Ed25519 public key, 64 hex digits or base64)
    #[arg(long, value_name = "FILE")]
    pub(crate) keys: Option<PathBuf>,
    /// An issuer's signing certificate (PEM: the certificate, then its intermediates); its chain must verify to --anchors
    #[arg(long, value_name = "FILE", requires = "anchors")]
    pub(crate) cert: Vec<PathBuf>,
    /// 信任锚 root certificates for --cert (PEM or DER), a file or a directory
    #[arg(long, value_name = "DIR|FILE")]
    pub(crate) anchors: Vec<PathBuf>,
    /// 吊销列表 revocations of certificates (JSON, see docs/FORMAT.md "Revocation file")
    #[arg(long, value_name = "FILE")]
    pub(crate) revocations: Option<PathBuf>,
    /// 证照状态 license status from a store: an SQLite file or a postgres:// URL
    #[arg(long, value_name = "DB|URL")]
    pub(crate) status: Option<String>,
    /// 状态快照 signed status snapshots (offline license status, one per issuer); license status then comes from them only
    #[arg(
        long = "status-snapshot",
        value_name = "FILE",
        conflicts_with = "status"
    )]
    pub(crate) snapshot: Vec<PathBuf>,
    /// Status keys of issuers for --status-snapshot: a file of `USCC KEY` lines (added to the status publishers of --trust-list)
    #[arg(long = "status-keys", value_name = "FILE")]
    pub(crate) snapshot_keys: Option<PathBuf>,
    /// 信任列表 trust lists (`elicense trust publish`): an issuer entry's raw keys recognise presentations of its license types; its status publishers' keys check --status-snapshot
    #[arg(long = "trust-list", value_name = "FILE", requires = "list_anchors")]
    pub(crate) trust_lists: Vec<PathBuf>,
    /// Roots the trust lists' operators chain to (with --trust-list; certificate revocation from --revocations)
    #[arg(long, value_name = "DIR|FILE")]
    pub(crate) list_anchors: Vec<PathBuf>,
    /// DANGER: accept a license whose status is unknown (no --status or --status-snapshot, the store does not know it, or the snapshot is stale)
    #[arg(long)]
    pub(crate) danger_accept_unknown_status: bool,
    /// The verification time [default: now]
    #[arg(long, value_name = "TIME")]
    pub(crate) at: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ScanFormat::Text)]
    pub(crate) format: ScanFormat,
}

/// Largest scanned string read from standard input.
const MAX_STDIN: u64 = 64 << 10;

/// `elicense scan`: exit 0 accepted, 1 refused, 2 usage or trust error.
pub(crate) fn scan(args: ScanArgs) -> Result<ExitCode> {
    let input = if args.input == "-" {
        use std::io::Read;
        let mut s = String::new();
        std::io::stdin()
            .take(MAX_STDIN)
            .read_to_string(&mut s)
            .context("cannot read the scanned string from standard input")?;
        s
    } else {
        args.input.clone()
    };
    let input = input.trim();
    if args.keys.is_none() && args.cert.is_empty() && args.trust_lists.is_empty() {
        bail!(
            "no issuer recognised: name presentation keys with --keys, certificates with --cert, or trust lists with --trust-list"
        );
    }
    let at = common::at_or_now(args.at.as_deref())?;
    let revocations = match &args.revocations {
        Some(p) => common::load_revocations(p)?,
        None => InMemoryStatus::new(),
    };
    let recognition = if args.trust_lists.is_empty() {
        None
    } else {
        Some(Arc::new(crate::trust::recognition(
            &args.trust_lists,
            &args.list_anchors,
            args.revocations.as_deref(),
            false,
            at,
        )?))
    };
    let status: Arc<dyn StatusSource> = match &args.status {
        Some(db) => common::store_status(db, revocations.clone())?,
        None if !args.snapshot.is_empty() => {
            let mut keys = match &args.snapshot_keys {
                Some(path) => common::key_lines(path)?,
                None => Vec::new(),
            };
            if let Some(r) = &recognition {
                keys.extend(r.status_publishers());
            }
            if keys.is_empty() {
                bail!(
                    "--status-snapshot needs status keys: --status-keys, or trust lists with status publishers"
                );
            }
            Arc::new(SnapshotStatus::new(
                common::load_snapshots(&args.snapshot, &keys)?,
                Arc::new(revocations.clone()),
            ))
        }
        None => Arc::new(revocations.clone()),
    };
    let mut v = PresentationVerifier::new(status).with_unknown_status(
        if args.danger_accept_unknown_status {
            elicense::danger::accept_unknown_status()
        } else {
            UnknownStatus::Deny
        },
    );
    if let Some(r) = recognition {
        v = v.with_recognition(r);
    }
    if let Some(path) = &args.keys {
        // One key may serve several issuers (one issuing system for a region).
        for (org, key) in common::key_lines(path)? {
            v = v.with_issuer_key(org, key);
        }
    }
    if !args.cert.is_empty() {
        let mut anchors = TrustAnchors::new();
        for p in &args.anchors {
            for c in common::load_certificates(p)? {
                anchors.add(c);
            }
        }
        for path in &args.cert {
            let mut certs = common::load_certificates(path)?.into_iter();
            let leaf = certs
                .next()
                .ok_or_else(|| anyhow!("no certificate in {}", path.display()))?;
            let chain: Vec<_> = certs.collect();
            v = v
                .with_certificate(&leaf, &chain, &anchors, at, &revocations)
                .with_context(|| format!("{}: the certificate is not trusted", path.display()))?;
        }
    }
    let (presentation, report, accepted) = match v.verify_str(input, at) {
        Ok(ok) => (Some(ok.presentation), ok.report, true),
        Err(e) => (e.presentation.map(|b| *b), e.report, false),
    };
    match args.format {
        ScanFormat::Text => {
            let mut out = String::new();
            if let Some(p) = &presentation {
                describe(&mut out, p);
            }
            out.push_str(&format!("verification at {at}:\n{report}"));
            if let Some(by) = report.recognised_by() {
                out.push_str(&format!("issuer recognised by the {by}\n"));
            }
            match report.failure() {
                None => out.push_str("result: ACCEPTED\n"),
                Some((step, e)) => out.push_str(&format!("result: REFUSED at {step}: {e}\n")),
            }
            print!("{out}");
        }
        ScanFormat::Json => {
            let all = report.steps();
            // Replay is "not checked" (no seen-nonce set) when the steps
            // before it passed, "not run" otherwise.
            let reached_replay = all
                .iter()
                .any(|(s, o)| *s == PresentStep::Expiry && matches!(o, Ok(true)));
            let steps: Vec<serde_json::Value> = all
                .into_iter()
                .map(|(s, o)| {
                    let (outcome, message) = match o {
                        Ok(true) => ("pass", None),
                        Ok(false) if s == PresentStep::Replay && reached_replay => {
                            ("not_checked", None)
                        }
                        Ok(false) => ("not_run", None),
                        Err(e) => ("fail", Some(e.to_string())),
                    };
                    serde_json::json!({"step": s.name(), "outcome": outcome, "message": message})
                })
                .collect();
            let shown = presentation.as_ref().map(|p| {
                serde_json::json!({
                    "license_id": p.license_id().to_string(),
                    "type": p.license_id().type_code().to_string(),
                    "issuer": p.issuer().to_string(),
                    "holder_name": p.holder_name(),
                    "fields": p.shown().iter().map(|(k, v)| serde_json::json!([k, v])).collect::<Vec<_>>(),
                    "valid_from": p.validity().0.to_string(),
                    "valid_to": p.validity().1.map(|d| d.to_string()),
                    "made_at": p.made_at().to_string(),
                    "expires_at": p.expires_at().to_string(),
                    "signed_by": role_name(p.role()),
                })
            });
            let failure = report.failure();
            let doc = serde_json::json!({
                "accepted": accepted,
                "at": at.to_string(),
                "failed_step": failure.map(|(s, _)| s.name()),
                "message": failure.map(|(_, e)| e.to_string()),
                "presentation": shown,
                "recognised_by": report.recognised_by().map(|b| serde_json::json!({
                    "publisher": b.publisher.to_string(),
                    "sequence": b.sequence,
                    "entry": b.entry,
                })),
                "steps": steps,
            });
            println!("{doc}");
        }
    }
    Ok(if accepted {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn role_name(r: PresentRole) -> &'static str {
    match r {
        PresentRole::Seal => "seal",
        _ => "issuing_system",
    }
}

fn describe(out: &mut String, p: &Presentation) {
    use std::fmt::Write;
    let (from, to) = p.validity();
    let _ = writeln!(out, "license:   {}", p.license_id());
    let _ = writeln!(out, "type:      {}", p.license_id().type_code());
    let _ = writeln!(out, "holder:    {}", p.holder_name());
    for (k, v) in p.shown() {
        let _ = writeln!(out, "  {k}: {v}");
    }
    let _ = writeln!(
        out,
        "validity:  {from} – {}",
        to.map_or_else(|| "long-term".to_owned(), |d| d.to_string())
    );
    let _ = writeln!(out, "issuer:    {}", p.issuer());
    let _ = writeln!(
        out,
        "made:      {} (expires {}), signed by the {}",
        p.made_at(),
        p.expires_at(),
        match p.role() {
            PresentRole::Seal => "issuer's sealing key",
            _ => "issuing system",
        }
    );
}

/// Writes the issuing system's presentation key (PKCS#8 PEM, owner-only
/// where the platform has permissions) and a `USCC KEY` file naming it for
/// each of `issuers`.
pub(crate) fn write_system_key(
    key: &SigningKey,
    issuers: &[Uscc],
    key_path: &Path,
    keys_path: &Path,
) -> Result<()> {
    let pem = key.to_pkcs8_pem()?;
    write_private(key_path, pem.as_bytes())?;
    let hex: String = key
        .public_key()
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut lines = String::from("# issuer (USCC) and its presentation key (Ed25519, hex)\n");
    for i in issuers {
        lines.push_str(&format!("{i} {hex}\n"));
    }
    std::fs::write(keys_path, lines)
        .with_context(|| format!("cannot write {}", keys_path.display()))?;
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(bytes)?;
    Ok(())
}
