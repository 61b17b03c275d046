//! `elicense serve`: the resource library's HTTP service (统一对外服务接口)
//! over a store, until SIGTERM or Ctrl-C (requests in flight are finished).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use elicense::{
    Certificate, Ledger, LicenseStore, RegionCode, ResourceLibrary, Seal, Sealer, Signer,
    SigningKey, TokenStore, Uscc, Verifier,
};
use elicense_service::{Clock, Limits, Service};

use crate::common::{self, StoreArgs, TrustArgs};
use crate::on_store;

/// `elicense serve`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    /// Address to listen on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub(crate) listen: String,
    /// 颁证单位 an issuing identity for the write routes: a directory with seal.json, cert.pem, key.pem, region.txt and optionally chain.pem (`elicense demo` writes two)
    #[arg(long = "issuer", value_name = "DIR")]
    pub(crate) issuers: Vec<PathBuf>,
    /// 加注件 the identity that seals annotated copies: a directory like --issuer's (region.txt not needed)
    #[arg(long, value_name = "DIR")]
    pub(crate) copy_maker: Option<PathBuf>,
    /// Largest request body in bytes (the batch route streams any length)
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub(crate) max_body: usize,
    /// Seconds a request may take (the batch route excepted)
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub(crate) timeout: u64,
    /// 信任列表 a directory of signed trust lists to publish at GET /v1/trust-lists/{USCC} (files {USCC}.trust)
    #[arg(long, value_name = "DIR")]
    pub(crate) trust_lists: Option<PathBuf>,
    /// Hours from issued-at to next-update of the status snapshots published at GET /v1/status/{issuer}
    #[arg(long, value_name = "H", default_value_t = 24)]
    pub(crate) status_valid_hours: u32,
    /// Threads verifying coalesced `POST /v1/verify` requests
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub(crate) verify_workers: usize,
}

/// A sealer from a directory: seal.json (the seal's bytes), cert.pem (the
/// signing certificate), key.pem (its PKCS#8 Ed25519 key), chain.pem
/// (optional intermediates).
pub(crate) fn load_sealer(dir: &Path) -> Result<Sealer<Box<dyn Signer>>> {
    let seal_bytes = common::read_small(&dir.join("seal.json"))?;
    let seal = Seal::decode(&seal_bytes)
        .with_context(|| format!("{}: seal.json is not a seal", dir.display()))?;
    let cert_pem = String::from_utf8(common::read_small(&dir.join("cert.pem"))?)
        .map_err(|_| anyhow!("{}: cert.pem is not UTF-8", dir.display()))?;
    let cert =
        Certificate::from_pem(&cert_pem).with_context(|| format!("{}: cert.pem", dir.display()))?;
    let chain_path = dir.join("chain.pem");
    let chain = if chain_path.exists() {
        common::load_certificates(&chain_path)?
    } else {
        vec![]
    };
    let signer: Box<dyn Signer> = Box::new(load_key(dir)?);
    Sealer::new(seal, cert, chain, signer).with_context(|| {
        format!(
            "{}: the seal, certificate and key do not match",
            dir.display()
        )
    })
}

fn load_key(dir: &Path) -> Result<SigningKey> {
    let key_pem = zeroize::Zeroizing::new(
        String::from_utf8(common::read_small(&dir.join("key.pem"))?)
            .map_err(|_| anyhow!("{}: key.pem is not UTF-8", dir.display()))?,
    );
    SigningKey::from_pkcs8_pem(&key_pem).map_err(|e| anyhow!("{}: key.pem: {e}", dir.display()))
}

/// An issuer's status key from its directory (like `--issuer`'s): the key
/// of its signing certificate (key.pem), after checking the seal,
/// certificate and key belong together; and the issuer (the seal's holder).
pub(crate) fn load_status_key(dir: &Path) -> Result<(Uscc, SigningKey)> {
    let sealer = load_sealer(dir)?;
    Ok((*sealer.seal().holder().code(), load_key(dir)?))
}

/// `elicense serve`.
pub(crate) fn run(args: ServeArgs) -> Result<ExitCode> {
    let verifier = common::verifier(&args.trust, None)?;
    let addr: std::net::SocketAddr = args.listen.parse().map_err(|_| {
        anyhow!(
            "--listen: `{}` is not an address (e.g. 127.0.0.1:8080)",
            args.listen
        )
    })?;
    init_logs();
    let store = args.store.open(false)?;
    on_store!(store, |s| {
        let ledger: Box<dyn Ledger> = Box::new(s.ledger());
        serve_on(s, ledger, verifier, &args, addr)
    })
}

fn init_logs() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("ELICENSE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

fn serve_on<S: LicenseStore + TokenStore + 'static>(
    store: S,
    ledger: Box<dyn Ledger>,
    verifier: Verifier,
    args: &ServeArgs,
    addr: std::net::SocketAddr,
) -> Result<ExitCode> {
    let mut lib = ResourceLibrary::new(store, verifier)?.with_ledger(ledger);
    let mut status_keys = Vec::new();
    for dir in &args.issuers {
        status_keys.push(load_status_key(dir)?);
        let sealer = load_sealer(dir)?;
        let region_text = String::from_utf8(common::read_small(&dir.join("region.txt"))?)
            .map_err(|_| anyhow!("{}: region.txt is not UTF-8", dir.display()))?;
        let region: RegionCode = region_text
            .trim()
            .parse()
            .map_err(|e| anyhow!("{}: region.txt: {e}", dir.display()))?;
        let org = sealer.seal().holder().clone();
        lib = lib
            .with_issuer(org, region, sealer)
            .with_context(|| format!("{}", dir.display()))?;
    }
    if let Some(dir) = &args.copy_maker {
        lib = lib.with_copy_maker(load_sealer(dir)?);
    }
    if args.max_body == 0 || args.timeout == 0 {
        bail!("--max-body and --timeout must be at least 1");
    }
    let mut limits = Limits::default();
    limits.body_bytes = args.max_body;
    limits.timeout = Duration::from_secs(args.timeout);
    limits.verify_workers = args.verify_workers.max(1);
    if !(1..=8760).contains(&args.status_valid_hours) {
        bail!("--status-valid-hours must be 1–8760");
    }
    limits.status_valid_for = Duration::from_secs(u64::from(args.status_valid_hours) * 3600);
    let mut service = Service::with(lib, Clock::System, limits);
    for (issuer, key) in status_keys {
        service = service.with_status_signer(issuer, std::sync::Arc::new(key));
    }
    if let Some(dir) = &args.trust_lists {
        if !dir.is_dir() {
            bail!("--trust-lists: {} is not a directory", dir.display());
        }
        service = service.with_trust_lists(dir);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr()?;
        tracing::info!(%local, issuers = args.issuers.len(), "elicense serve: listening");
        eprintln!("elicense serve: listening on http://{local} (Ctrl-C or SIGTERM stops it)");
        elicense_service::serve(
            listener,
            elicense_service::router(service),
            elicense_service::shutdown_signal(),
        )
        .await
        .context("serving")
    })?;
    eprintln!("elicense serve: stopped");
    Ok(ExitCode::SUCCESS)
}
