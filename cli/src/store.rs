//! The subcommands over a store: `archive` (存量归集), `query` (目录查询),
//! `show` (调取) and `history` (业务记录).

use std::io::{BufReader, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use elicense::{
    ArchiveReport, CatalogEntry, Cursor, Date, HolderCode, HolderCodeType, LicenseId,
    LicenseStatus, LicenseStore, LicenseTypeCode, Query, RegionCode, ResourceLibrary, Uscc,
    Verifier,
};

use crate::common::{self, StoreArgs, TrustArgs};
use crate::on_store;

/// `elicense archive`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ArchiveArgs {
    /// JSON Lines files of sealed licenses (`-`: standard input)
    #[arg(required = true, value_name = "INPUT")]
    pub(crate) inputs: Vec<String>,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    /// 核验时间 the time each license is verified at before it is stored [default: now]
    #[arg(long, value_name = "TIME")]
    pub(crate) at: Option<String>,
    /// No progress output
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

/// Counts bytes read and shows progress.
struct Counting<R> {
    inner: R,
    progress: Progress,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.advance(n as u64);
        Ok(n)
    }
}

enum Progress {
    Quiet,
    Bar(indicatif::ProgressBar),
    Plain {
        label: String,
        done: u64,
        len: Option<u64>,
        last: Instant,
    },
}

impl Progress {
    fn new(quiet: bool, label: &str, len: Option<u64>) -> Progress {
        if quiet {
            return Progress::Quiet;
        }
        if std::io::stderr().is_terminal() {
            let bar = match len {
                Some(n) => indicatif::ProgressBar::new(n),
                None => indicatif::ProgressBar::new_spinner(),
            };
            let template = if len.is_some() {
                "{msg} [{bar:30}] {binary_bytes}/{binary_total_bytes} ({eta})"
            } else {
                "{spinner} {msg} {binary_bytes} read"
            };
            bar.set_style(
                indicatif::ProgressStyle::with_template(template)
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_message(label.to_owned());
            bar.enable_steady_tick(Duration::from_millis(200));
            return Progress::Bar(bar);
        }
        Progress::Plain {
            label: label.to_owned(),
            done: 0,
            len,
            last: Instant::now(),
        }
    }

    fn advance(&mut self, n: u64) {
        match self {
            Progress::Quiet => {}
            Progress::Bar(b) => b.inc(n),
            Progress::Plain {
                label,
                done,
                len,
                last,
            } => {
                *done += n;
                if last.elapsed() >= Duration::from_secs(5) {
                    *last = Instant::now();
                    match len {
                        Some(l) if *l > 0 => eprintln!(
                            "elicense archive: {label}: {:.0}% read",
                            *done as f64 * 100.0 / *l as f64
                        ),
                        _ => eprintln!("elicense archive: {label}: {} MiB read", *done >> 20),
                    }
                }
            }
        }
    }

    fn finish(&self) {
        if let Progress::Bar(b) = self {
            b.finish_and_clear();
        }
    }
}

/// `elicense archive`: exit 0 when every line was imported or already
/// stored, 1 when some line was rejected or conflicts with a stored license.
pub(crate) fn archive(args: ArchiveArgs) -> Result<ExitCode> {
    // Trust, time and inputs first: a usage error writes nothing.
    let at = common::at_or_now(args.at.as_deref())?;
    let verifier = common::verifier(&args.trust, None)?;
    let mut stdin = false;
    for i in &args.inputs {
        if i == "-" {
            if stdin {
                bail!("standard input (`-`) named twice");
            }
            stdin = true;
        } else if !std::path::Path::new(i).is_file() {
            bail!("no input file {i}");
        }
    }
    let store = args.store.open(true)?;
    on_store!(store, |s| archive_into(s, verifier, &args, at))
}

fn archive_into<S: LicenseStore + 'static>(
    store: S,
    verifier: Verifier,
    args: &ArchiveArgs,
    at: elicense::Timestamp,
) -> Result<ExitCode> {
    let lib = ResourceLibrary::new(store, verifier)?;
    let started = Instant::now();
    let mut clean = true;
    for input in &args.inputs {
        let (reader, len): (Box<dyn Read>, Option<u64>) = if input == "-" {
            (Box::new(std::io::stdin()), None)
        } else {
            let f = std::fs::File::open(input).with_context(|| format!("cannot open {input}"))?;
            let len = f.metadata().ok().map(|m| m.len());
            (Box::new(f), len)
        };
        let progress = Progress::new(args.quiet, input, len);
        let mut counting = Counting {
            inner: reader,
            progress,
        };
        let report = lib
            .archive(BufReader::with_capacity(1 << 20, &mut counting), at)
            .with_context(|| format!("archiving {input}"))?;
        counting.progress.finish();
        clean &= report.rejected_count() == 0 && report.conflicts.is_empty();
        print_archive(input, &report);
    }
    lib.store().refresh_statistics()?;
    if !args.quiet {
        eprintln!(
            "elicense archive: done in {:.2} s",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Lines listed individually per kind of problem.
const LISTED: usize = 20;

fn print_archive(input: &str, r: &ArchiveReport) {
    println!(
        "{input}: {} lines: {} imported, {} duplicates (already stored), {} conflicts, {} rejected",
        r.total,
        r.imported,
        r.duplicates,
        r.conflicts.len(),
        r.rejected_count()
    );
    for (step, n) in &r.rejected_by_step {
        println!("  rejected at {step}: {n}");
    }
    for (line, id) in r.conflicts.iter().take(LISTED) {
        println!("  line {line}: conflict: another license is stored as {id}");
    }
    if r.conflicts.len() > LISTED {
        println!("  … {} more conflicts", r.conflicts.len() - LISTED);
    }
    for rej in r.rejected.iter().take(LISTED) {
        let id = rej.id.as_ref().map(|i| format!(" {i}")).unwrap_or_default();
        println!(
            "  line {}{id}: rejected at {}: {}",
            rej.line, rej.step, rej.reason
        );
    }
    if r.rejected.len() > LISTED {
        println!("  … {} more rejected lines", r.rejected.len() - LISTED);
    }
}

/// Output formats of `query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum QueryFormat {
    /// An aligned table for people
    Table,
    /// JSON Lines: one catalog entry per line
    Jsonl,
}

/// `elicense query`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct QueryArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// 持证主体代码 holder code (a USCC, a citizen id, or TYPE:VALUE with a 3-digit code type)
    #[arg(long, value_name = "CODE")]
    pub(crate) holder: Option<String>,
    /// 证照类型代码 license type code
    #[arg(long = "type", value_name = "CODE")]
    pub(crate) type_code: Option<String>,
    /// 颁证单位 issuer USCC
    #[arg(long, value_name = "USCC")]
    pub(crate) issuer: Option<String>,
    /// 证照状态 status: a code (01), or its name (valid, 有效, suspended, revoked, …)
    #[arg(long, value_name = "STATUS")]
    pub(crate) status: Option<String>,
    /// 行政区划代码 region code (GB/T 2260)
    #[arg(long, value_name = "CODE")]
    pub(crate) region: Option<String>,
    /// Valid on this day (YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    pub(crate) valid_at: Option<String>,
    /// The license's name or holder's name contains this text
    #[arg(long, value_name = "TEXT")]
    pub(crate) name: Option<String>,
    /// Continue after this cursor (printed at the end of the previous page)
    #[arg(long, value_name = "CURSOR")]
    pub(crate) after: Option<String>,
    /// Entries per page
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub(crate) limit: u32,
    /// Output format
    #[arg(long, value_enum, default_value_t = QueryFormat::Table)]
    pub(crate) format: QueryFormat,
    /// Show holders' personal identity numbers unmasked
    #[arg(long)]
    pub(crate) show_personal: bool,
}

fn parse_holder(s: &str) -> Result<HolderCode> {
    if let Some((t, v)) = s.split_once(':') {
        return HolderCode::new(t, v).map_err(|e| anyhow!("--holder: {e}"));
    }
    if let Ok(u) = s.parse::<Uscc>() {
        return Ok(HolderCode::Org(u));
    }
    HolderCode::from_type(HolderCodeType::CITIZEN_ID, s).map_err(|_| {
        anyhow!("--holder: neither a USCC nor a citizen id (give TYPE:VALUE for other code types)")
    })
}

fn parse_status(s: &str) -> Result<LicenseStatus> {
    if let Ok(st) = LicenseStatus::from_code(s) {
        return Ok(st);
    }
    for code in ["01", "02", "03", "04", "05", "06", "07", "99"] {
        if let Ok(st) = LicenseStatus::from_code(code)
            && (st.name_en().eq_ignore_ascii_case(s) || st.name_zh() == s)
        {
            return Ok(st);
        }
    }
    bail!(
        "--status: unknown status `{s}` (01–07, 99 or valid, suspended, withdrawn, cancelled, expired, transferred_out, revoked, other)"
    )
}

fn build_query(a: &QueryArgs) -> Result<Query> {
    let mut q = Query::new().limit(a.limit)?;
    if let Some(h) = &a.holder {
        q = q.holder(parse_holder(h)?);
    }
    if let Some(t) = &a.type_code {
        q = q.type_code(
            t.parse::<LicenseTypeCode>()
                .map_err(|e| anyhow!("--type: {e}"))?,
        );
    }
    if let Some(i) = &a.issuer {
        q = q.issuer(i.parse::<Uscc>().map_err(|e| anyhow!("--issuer: {e}"))?);
    }
    if let Some(s) = &a.status {
        q = q.status(parse_status(s)?);
    }
    if let Some(r) = &a.region {
        q = q.region(
            r.parse::<RegionCode>()
                .map_err(|e| anyhow!("--region: {e}"))?,
        );
    }
    if let Some(d) = &a.valid_at {
        q = q.valid_at(Date::parse(d).map_err(|e| anyhow!("--valid-at: {e}"))?);
    }
    if let Some(n) = &a.name {
        q = q.name_contains(n.as_str())?;
    }
    if let Some(c) = &a.after {
        q = q.after(c.parse::<Cursor>().map_err(|e| anyhow!("--after: {e}"))?);
    }
    Ok(q)
}

fn holder_shown(e: &CatalogEntry, show_personal: bool) -> String {
    let c = e.holder().code();
    if show_personal {
        c.value().to_owned()
    } else {
        c.masked()
    }
}

/// `elicense query`: one page of catalog entries; the cursor of the next
/// page, if any, on standard error.
pub(crate) fn query(args: QueryArgs) -> Result<ExitCode> {
    let q = build_query(&args)?;
    let store = args.store.open(false)?;
    let page = on_store!(store, |s| s.query(&q)?);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        QueryFormat::Jsonl => {
            for e in page.entries() {
                let row = serde_json::json!({
                    "id": e.id().to_string(),
                    "type": e.type_code().to_string(),
                    "name": e.name(),
                    "number": e.number(),
                    "holder_name": e.holder().name(),
                    "holder": holder_shown(e, args.show_personal),
                    "issuer": e.issuer().code().to_string(),
                    "issuer_name": e.issuer().name(),
                    "region": e.region().to_string(),
                    "issue_date": e.issue_date().to_string(),
                    "valid_from": e.valid_from().to_string(),
                    "valid_to": e.valid_to().map(|d| d.to_string()),
                    "status": e.status().code(),
                });
                serde_json::to_writer(&mut out, &row)?;
                out.write_all(b"\n")?;
            }
        }
        QueryFormat::Table => {
            writeln!(
                out,
                "{:<72} {:<12} {:<20} {:<24} {:<8} {:<10} name / holder",
                "id 电子证照标识", "status", "number", "holder", "region", "valid_to"
            )?;
            for e in page.entries() {
                writeln!(
                    out,
                    "{:<72} {:<12} {:<20} {:<24} {:<8} {:<10} {} / {}",
                    e.id().to_string(),
                    format!("{} {}", e.status().code(), e.status().name_en()),
                    e.number(),
                    holder_shown(e, args.show_personal),
                    e.region().to_string(),
                    e.valid_to()
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "长期".to_owned()),
                    e.name(),
                    e.holder().name()
                )?;
            }
        }
    }
    out.flush()?;
    match page.next() {
        Some(c) => eprintln!(
            "{} entries; next page: --after {}",
            page.entries().len(),
            c.as_str()
        ),
        None => eprintln!("{} entries; last page", page.entries().len()),
    }
    Ok(ExitCode::SUCCESS)
}

/// `elicense show`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ShowArgs {
    /// 电子证照标识 the license identifier
    #[arg(value_name = "ID")]
    pub(crate) id: String,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// Write the bytes to FILE instead of standard output
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

fn parse_id(s: &str) -> Result<LicenseId> {
    LicenseId::parse(s).map_err(|e| anyhow!("`{s}` is not a license identifier: {e}"))
}

/// `elicense show`: exit 1 when the store has no such license.
pub(crate) fn show(args: ShowArgs) -> Result<ExitCode> {
    let id = parse_id(&args.id)?;
    let store = args.store.open(false)?;
    let Some(bytes) = on_store!(store, |s| s.document(&id)?) else {
        eprintln!("elicense show: no license {id} in the store");
        return Ok(ExitCode::from(1));
    };
    match &args.out {
        Some(p) => std::fs::write(p, &bytes).with_context(|| format!("writing {}", p.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `elicense history`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct HistoryArgs {
    /// 电子证照标识 the license identifier
    #[arg(value_name = "ID")]
    pub(crate) id: String,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// Print JSON instead of text
    #[arg(long)]
    pub(crate) json: bool,
}

/// `elicense history`: the license's status events and its version chain;
/// exit 1 when the store has no such license.
pub(crate) fn history(args: HistoryArgs) -> Result<ExitCode> {
    let id = parse_id(&args.id)?;
    let store = args.store.open(false)?;
    on_store!(store, |s| history_of(s, &id, args.json))
}

fn history_of<S: LicenseStore + 'static>(store: S, id: &LicenseId, json: bool) -> Result<ExitCode> {
    let Some(entry) = store.entry(id)? else {
        eprintln!("elicense history: no license {id} in the store");
        return Ok(ExitCode::from(1));
    };
    let events = store.events(id)?;
    let types = store.types()?;
    let lib = ResourceLibrary::new(store, Verifier::new(types))?;
    let versions = lib.versions(id)?;
    if json {
        let v = serde_json::json!({
            "id": id.to_string(),
            "status": entry.status().code(),
            "events": events.iter().map(|e| serde_json::json!({
                "seq": e.seq(),
                "operation": e.event().operation().code(),
                "at": e.event().at().to_string(),
                "actor": e.event().actor(),
                "reason": e.event().reason(),
                "status": e.status().code(),
            })).collect::<Vec<_>>(),
            "versions": versions.iter().map(|v| serde_json::json!({
                "id": v.id().to_string(),
                "status": v.status().code(),
                "valid_from": v.valid_from().to_string(),
                "valid_to": v.valid_to().map(|d| d.to_string()),
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("证照 {id}: {} ({})", entry.name(), entry.status());
    println!("业务记录 status events:");
    if events.is_empty() {
        println!("  (none: in force since issue)");
    }
    for e in &events {
        let ev = e.event();
        println!(
            "  #{} {} {} by {} → {}{}",
            e.seq(),
            ev.at(),
            ev.operation(),
            ev.actor(),
            e.status(),
            ev.reason()
                .map(|r| format!(" ({})", r.lines().next().unwrap_or_default()))
                .unwrap_or_default()
        );
    }
    println!("版本链 version chain (oldest first):");
    for v in &versions {
        let mark = if v.id() == id { " ←" } else { "" };
        println!("  {} {}{mark}", v.id(), v.status());
    }
    Ok(ExitCode::SUCCESS)
}
