//! `elicense status publish`: an issuer's signed status snapshot (状态快照)
//! of a store — which of its licenses are not in force — for verifiers
//! without network access (`elicense serve` publishes the same at
//! `GET /v1/status/{issuer}`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use elicense::{InMemoryStatus, LicenseStore, SnapshotStatus, StatusSnapshot, StatusSource};

use crate::common::{self, StoreArgs};
use crate::on_store;
use crate::serve::load_status_key;

/// `elicense status`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct StatusArgs {
    #[command(subcommand)]
    pub(crate) command: StatusCommand,
}

/// What to do with status.
#[derive(Debug, Clone, clap::Subcommand)]
pub(crate) enum StatusCommand {
    /// Write the issuer's signed status snapshot of the store to a file
    Publish(PublishArgs),
}

/// `elicense status publish`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct PublishArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// 颁证单位 the issuing identity (a directory like `serve --issuer`'s): the snapshot covers its licenses and is signed with its key.pem
    #[arg(long, value_name = "DIR")]
    pub(crate) issuer: PathBuf,
    /// The snapshot file to write (replaced whole)
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
    /// Hours from issued-at to next-update (1–8760)
    #[arg(long, value_name = "H", default_value_t = 24)]
    pub(crate) valid_hours: u32,
    /// Issued-at (RFC 3339 or a date) [default: now]
    #[arg(long, value_name = "TIME")]
    pub(crate) at: Option<String>,
}

/// `elicense status`.
pub(crate) fn run(args: StatusArgs) -> Result<ExitCode> {
    match args.command {
        StatusCommand::Publish(a) => publish(&a),
    }
}

fn publish(a: &PublishArgs) -> Result<ExitCode> {
    if !(1..=8760).contains(&a.valid_hours) {
        bail!("--valid-hours must be 1–8760");
    }
    let issued_at = common::at_or_now(a.at.as_deref())?;
    let next_update = issued_at.saturating_add(i64::from(a.valid_hours) * 3600);
    let (issuer, key) = load_status_key(&a.issuer)?;
    let store = a.store.open(false)?;
    let snapshot = on_store!(store, |s| {
        let s: &dyn LicenseStore = &s;
        StatusSnapshot::from_store(s, &issuer, issued_at, next_update, &key)
            .context("cannot make the status snapshot")
    })?;
    let tmp = a.out.with_extension("partial");
    std::fs::write(&tmp, snapshot.as_bytes())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &a.out).with_context(|| format!("cannot write {}", a.out.display()))?;
    let digest: String = snapshot
        .digest()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    println!(
        "status publish: issuer {issuer}: {} licenses not in force; issued-at {}, next-update {}; {} bytes, sha256 {digest} -> {}",
        snapshot.not_in_force_count(),
        snapshot.issued_at(),
        snapshot.next_update(),
        snapshot.as_bytes().len(),
        a.out.display()
    );
    let public: String = elicense::Signer::public_key(&key)
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    // The line a verifier puts in its --status-keys file.
    println!("{issuer} {public}");
    Ok(ExitCode::SUCCESS)
}

/// License status from snapshot files, each verified under the key its
/// issuer has in `keys` (`USCC KEY` lines); certificates and seals from
/// `inner`. A license of an issuer without a snapshot, or past a snapshot's
/// next-update, has unknown status (refused).
pub(crate) fn snapshot_status(
    files: &[PathBuf],
    keys: &Path,
    inner: InMemoryStatus,
) -> Result<Arc<dyn StatusSource>> {
    let snapshots = common::load_snapshots(files, &common::key_lines(keys)?)?;
    Ok(Arc::new(SnapshotStatus::new(snapshots, Arc::new(inner))))
}
