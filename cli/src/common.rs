//! What several subcommands share: trust (anchors, keys, revocations),
//! license types, the verification time, and opening a store.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use elicense::{
    Certificate, Date, InMemoryStatus, IssuerCode, LicenseType, LicenseTypes, PublicKey,
    SnapshotError, SqliteStore, StatusSnapshot, StatusSource, StoreStatus, Timestamp, TrustAnchors,
    TrustedKeys, UnknownStatus, Uscc, Verifier,
};

/// Largest trust, type or revocation file read (they are small by nature).
const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// Where trust and license types come from.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct TrustArgs {
    /// 信任锚 trust anchors: root certificates (PEM or DER), a file or a directory of them
    #[arg(long, value_name = "DIR|FILE")]
    pub(crate) anchors: Vec<PathBuf>,
    /// 受信任公钥 raw trusted keys: a file of `USCC KEY` lines (KEY: Ed25519 public key, 64 hex digits or base64)
    #[arg(long, value_name = "FILE")]
    pub(crate) keys: Option<PathBuf>,
    /// 证照类型 license types: JSON type files, a file or a directory [default: the built-in templates]
    #[arg(long, value_name = "DIR|FILE")]
    pub(crate) types: Option<PathBuf>,
    /// 吊销列表 revocations of certificates and seals: a JSON file (see docs/FORMAT.md, "Revocation file")
    #[arg(long, value_name = "FILE")]
    pub(crate) revocations: Option<PathBuf>,
    /// DANGER: accept certificates and seals whose revocation status is unknown (no revocation file)
    #[arg(long)]
    pub(crate) danger_accept_unknown_revocation: bool,
    /// 信任列表 trust lists (`elicense trust publish`): their issuers, seal makers and keys are
    /// trusted, and a license verifies only if a list recognises its issuer for its type and region
    #[arg(long = "trust-list", value_name = "FILE")]
    pub(crate) trust_lists: Vec<PathBuf>,
    /// Roots the trust lists' operators chain to (with --trust-list; checked now, with --revocations)
    #[arg(long, value_name = "DIR|FILE")]
    pub(crate) list_anchors: Vec<PathBuf>,
}

/// Reads a file of at most [`MAX_CONFIG_BYTES`].
pub(crate) fn read_small(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let f = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut bytes = Vec::new();
    f.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        bail!(
            "{} is larger than {} MiB",
            path.display(),
            MAX_CONFIG_BYTES >> 20
        );
    }
    Ok(bytes)
}

/// The files of `path`: itself, or a directory's regular files with one of
/// `exts` (sorted by name).
fn files_of(path: &Path, exts: &[&str]) -> Result<Vec<PathBuf>> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in
        std::fs::read_dir(path).with_context(|| format!("cannot list {}", path.display()))?
    {
        let p = entry?.path();
        let ext = p
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        if p.is_file() && ext.is_some_and(|e| exts.contains(&e.as_str())) {
            files.push(p);
        }
    }
    files.sort();
    Ok(files)
}

/// Certificates from PEM (one or more per file) or DER files.
pub(crate) fn load_certificates(path: &Path) -> Result<Vec<Certificate>> {
    let mut certs = Vec::new();
    for file in files_of(path, &["pem", "crt", "cer", "der"])? {
        let bytes = read_small(&file)?;
        let parsed =
            if bytes.starts_with(b"-----") || bytes.trim_ascii_start().starts_with(b"-----") {
                let text = std::str::from_utf8(&bytes)
                    .map_err(|_| anyhow!("{}: PEM that is not UTF-8", file.display()))?;
                Certificate::pem_bundle(text)
            } else {
                Certificate::from_der(&bytes).map(|c| vec![c])
            };
        certs.extend(parsed.with_context(|| format!("{}: not a certificate", file.display()))?);
    }
    if certs.is_empty() {
        bail!("no certificate found in {}", path.display());
    }
    Ok(certs)
}

/// Raw trusted keys: `USCC KEY` per line; `#` starts a comment.
pub(crate) fn load_keys(path: &Path) -> Result<TrustedKeys> {
    let mut keys = TrustedKeys::new();
    for (org, key) in key_lines(path)? {
        keys.insert(key, org);
    }
    Ok(keys)
}

/// The `(organisation, key)` pairs of a `USCC KEY` file (FORMAT.md §8), in
/// file order; an empty file is an error.
pub(crate) fn key_lines(path: &Path) -> Result<Vec<(Uscc, PublicKey)>> {
    let bytes = read_small(path)?;
    let text =
        std::str::from_utf8(&bytes).map_err(|_| anyhow!("{}: not UTF-8 text", path.display()))?;
    let mut keys = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let at = || format!("{} line {}", path.display(), n + 1);
        let mut parts = line.split_whitespace();
        let (Some(org), Some(key), None) = (parts.next(), parts.next(), parts.next()) else {
            bail!("{}: expected `USCC KEY`", at());
        };
        let org: Uscc = org
            .parse()
            .map_err(|e| anyhow!("{}: organisation code: {e}", at()))?;
        let raw = decode_key(key).ok_or_else(|| {
            anyhow!(
                "{}: the key is neither 64 hex digits nor base64 of 32 bytes",
                at()
            )
        })?;
        let key = PublicKey::from_bytes(&raw).map_err(|e| anyhow!("{}: key: {e}", at()))?;
        keys.push((org, key));
    }
    if keys.is_empty() {
        bail!("no key found in {}", path.display());
    }
    Ok(keys)
}

pub(crate) fn decode_key(s: &str) -> Option<[u8; 32]> {
    use base64::Engine;
    if s.len() == 64 {
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        return Some(out);
    }
    let v = base64::engine::general_purpose::STANDARD
        .decode(s)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s))
        .ok()?;
    v.try_into().ok()
}

/// The revocation file: which certificates (by SHA-256 of their DER) and
/// seals are revoked since when, and whether the list is complete (then
/// anything it does not name is good).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RevocationFile {
    complete: bool,
    #[serde(default)]
    certificates: Vec<RevokedCert>,
    #[serde(default)]
    seals: Vec<RevokedSeal>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokedCert {
    sha256: String,
    since: String,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokedSeal {
    id: String,
    since: String,
}

/// Reads a revocation file into a status source.
pub(crate) fn load_revocations(path: &Path) -> Result<InMemoryStatus> {
    let bytes = read_small(path)?;
    let file: RevocationFile = serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: not a revocation file", path.display()))?;
    let mut status = if file.complete {
        InMemoryStatus::complete_revocation_list()
    } else {
        InMemoryStatus::new()
    };
    for c in &file.certificates {
        let fp = decode_key(&c.sha256)
            .filter(|_| c.sha256.len() == 64)
            .ok_or_else(|| {
                anyhow!(
                    "{}: certificate sha256 must be 64 hex digits",
                    path.display()
                )
            })?;
        status.revoke_certificate_fingerprint(fp, parse_time(&c.since)?);
    }
    for s in &file.seals {
        status.revoke_seal(&s.id, parse_time(&s.since)?);
    }
    Ok(status)
}

/// Writes an empty, complete revocation file (nothing revoked).
pub(crate) fn empty_revocations_json() -> &'static str {
    "{\"complete\": true, \"certificates\": [], \"seals\": []}\n"
}

/// Parses a time: RFC 3339 (`2026-01-01T00:00:00Z`) or a date (`2026-01-01`,
/// taken at noon China Standard Time, inside that day wherever one looks).
pub(crate) fn parse_time(s: &str) -> Result<Timestamp> {
    if let Ok(t) = Timestamp::parse(s) {
        return Ok(t);
    }
    let d = Date::parse(s).map_err(|e| {
        anyhow!("`{s}` is neither a time (2026-01-01T08:00:00+08:00) nor a date (2026-01-01): {e}")
    })?;
    Ok(d.start().saturating_add(12 * 3600))
}

/// The verification time: `--at` or now.
pub(crate) fn at_or_now(at: Option<&str>) -> Result<Timestamp> {
    at.map(parse_time)
        .transpose()
        .map(|t| t.unwrap_or_else(Timestamp::now))
}

/// License types from `--types`, or the built-in templates.
pub(crate) fn load_types(path: Option<&Path>) -> Result<LicenseTypes> {
    let Some(path) = path else {
        return Ok(LicenseTypes::builtin());
    };
    let mut types = LicenseTypes::new();
    for file in files_of(path, &["json"])? {
        let bytes = read_small(&file)?;
        let text =
            std::str::from_utf8(&bytes).map_err(|_| anyhow!("{}: not UTF-8", file.display()))?;
        let t = LicenseType::from_json(text)
            .with_context(|| format!("{}: not a license type", file.display()))?;
        types.insert(t);
    }
    if types.is_empty() {
        bail!("no license type found in {}", path.display());
    }
    Ok(types)
}

/// The certificate and seal revocation source the trust arguments name.
pub(crate) fn revocation_source(trust: &TrustArgs) -> Result<InMemoryStatus> {
    match &trust.revocations {
        Some(p) => load_revocations(p),
        None => Ok(InMemoryStatus::new()),
    }
}

/// A verifier from the trust arguments (and, for license status, `status`).
pub(crate) fn verifier(
    trust: &TrustArgs,
    status: Option<Arc<dyn StatusSource>>,
) -> Result<Verifier> {
    if trust.anchors.is_empty() && trust.keys.is_none() && trust.trust_lists.is_empty() {
        bail!(
            "no trust given: name root certificates with --anchors, raw keys with --keys, or trust lists with --trust-list"
        );
    }
    let types = load_types(trust.types.as_deref())?;
    let mut anchors = TrustAnchors::new();
    for p in &trust.anchors {
        for c in load_certificates(p)? {
            anchors.add(c);
        }
    }
    let mut v = Verifier::new(types).with_trust_anchors(anchors);
    if let Some(k) = &trust.keys {
        v = v.with_trusted_keys(load_keys(k)?);
    }
    let revocations = revocation_source(trust)?;
    v = match status {
        Some(s) => v.with_shared_status(s),
        None => v.with_status(revocations),
    };
    if trust.danger_accept_unknown_revocation {
        v = v.with_unknown_status(elicense::danger::accept_unknown_status());
    } else {
        v = v.with_unknown_status(UnknownStatus::Deny);
    }
    if !trust.trust_lists.is_empty() {
        // Lists are judged as they stand now (freshness is about the present).
        v = v.with_recognition(crate::trust::recognition(
            &trust.trust_lists,
            &trust.list_anchors,
            trust.revocations.as_deref(),
            trust.danger_accept_unknown_revocation,
            Timestamp::now(),
        )?);
    }
    Ok(v)
}

/// Where a store is.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct StoreArgs {
    /// 证照库 the store: an SQLite database file
    #[arg(
        long,
        value_name = "PATH",
        required_unless_present = "pg",
        conflicts_with = "pg"
    )]
    pub(crate) db: Option<PathBuf>,
    /// 证照库 the store: a PostgreSQL connection URL (postgres://user@host/db)
    #[arg(long, value_name = "URL")]
    pub(crate) pg: Option<String>,
    /// PostgreSQL schema holding the store's tables [default: the connection's search_path]
    #[arg(long, value_name = "NAME", requires = "pg")]
    pub(crate) pg_schema: Option<String>,
}

/// An open store of either kind.
pub(crate) enum AnyStore {
    /// Embedded SQLite.
    Sqlite(SqliteStore),
    /// PostgreSQL.
    #[cfg(feature = "postgres")]
    Pg(elicense::PostgresStore),
}

/// Runs `$body` with `$s` bound to the concrete store.
#[macro_export]
macro_rules! on_store {
    ($store:expr, |$s:ident| $body:expr) => {
        match $store {
            $crate::common::AnyStore::Sqlite($s) => $body,
            #[cfg(feature = "postgres")]
            $crate::common::AnyStore::Pg($s) => $body,
        }
    };
}

impl StoreArgs {
    /// Opens the store; `create` allows a new SQLite file.
    pub(crate) fn open(&self, create: bool) -> Result<AnyStore> {
        if let Some(path) = &self.db {
            if !create && !path.exists() {
                bail!("no store at {}", path.display());
            }
            let s = SqliteStore::open(path)
                .with_context(|| format!("cannot open the store {}", path.display()))?;
            return Ok(AnyStore::Sqlite(s));
        }
        match &self.pg {
            Some(url) => open_pg(url, self.pg_schema.as_deref()),
            None => bail!("name a store with --db PATH or --pg URL"),
        }
    }
}

#[cfg(feature = "postgres")]
fn open_pg(url: &str, schema: Option<&str>) -> Result<AnyStore> {
    let mut options = elicense::PostgresOptions::new();
    if let Some(s) = schema {
        options = options.schema(s)?;
    }
    let s = elicense::PostgresStore::connect_with(url, &options)
        .context("cannot open the PostgreSQL store")?;
    Ok(AnyStore::Pg(s))
}

#[cfg(not(feature = "postgres"))]
fn open_pg(_url: &str, _schema: Option<&str>) -> Result<AnyStore> {
    bail!("this elicense was built without PostgreSQL support (build with `--features postgres`)")
}

/// Reads signed status snapshots (证照状态快照) and checks each one's
/// signature under a status key listed for its own issuer in `keys` (from
/// a file of `USCC KEY` lines, or the trust lists' status publishers). A snapshot no listed key signed for its own
/// issuer is an error naming the file.
pub(crate) fn load_snapshots(
    paths: &[PathBuf],
    keys: &[(Uscc, PublicKey)],
) -> Result<Vec<StatusSnapshot>> {
    if keys.is_empty() {
        bail!("no status key to check the snapshots with");
    }
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        let bytes = read_small(path)?;
        let found = keys.iter().find_map(|(org, key)| {
            let s = StatusSnapshot::from_signed_bytes(&bytes, key).ok()?;
            (*s.issuer() == IssuerCode::Uscc(*org)).then_some(s)
        });
        match found {
            Some(s) => out.push(s),
            None => {
                // Say why: malformed, or signed by no key listed for its issuer.
                let first = keys.first().map(|(_, k)| k);
                let why = match first.map(|k| StatusSnapshot::from_signed_bytes(&bytes, k)) {
                    Some(Err(e)) if !matches!(e, SnapshotError::InvalidSignature) => e.to_string(),
                    _ => "signed by no status key listed for its issuer".to_owned(),
                };
                bail!("{}: not a trusted status snapshot: {why}", path.display());
            }
        }
    }
    Ok(out)
}

/// A status source answering license status from the store at `db`
/// (a path, or a postgres:// URL), certificates and seals from `inner`.
pub(crate) fn store_status(db: &str, inner: InMemoryStatus) -> Result<Arc<dyn StatusSource>> {
    let args = if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        StoreArgs {
            db: None,
            pg: Some(db.to_owned()),
            pg_schema: None,
        }
    } else {
        StoreArgs {
            db: Some(db.into()),
            pg: None,
            pg_schema: None,
        }
    };
    let inner: Arc<dyn StatusSource> = Arc::new(inner);
    Ok(on_store!(args.open(false)?, |s| Arc::new(
        StoreStatus::new(Arc::new(s), inner)
    )))
}
