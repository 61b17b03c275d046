//! `elicense verify`: bulk verification through the library's batch
//! verifier, one report row per input document.
//!
//! The main thread reads and hands chunks to the batch verifier (which reads
//! the next chunk while one is verified); a writer thread formats the report
//! rows of one chunk while the next is verified, so the report is not a
//! serial phase. Memory is a few chunks whatever the input's length.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use elicense::{BatchOutcome, BatchVerifier, Timestamp};

use crate::common::{self, TrustArgs};

/// Outcomes handed to the writer at once.
const ROWS_PER_MESSAGE: usize = 4096;
/// Single-document files verified at once.
const FILES_PER_CHUNK: usize = 1024;

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// JSON Lines: one object per row
    Jsonl,
    /// CSV with a header row
    Csv,
}

/// `elicense verify`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct VerifyArgs {
    /// Inputs: JSON Lines files (one document per line), single documents (*.json), directories of
    /// them; `-` is standard input (JSON Lines)
    #[arg(required = true, value_name = "INPUT")]
    pub(crate) inputs: Vec<String>,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    /// 核验时间 verification time: RFC 3339 (2026-01-01T08:00:00+08:00) or a date [default: now]
    #[arg(long, value_name = "TIME")]
    pub(crate) at: Option<String>,
    /// Worker threads [default: one per core]
    #[arg(long, value_name = "N")]
    pub(crate) threads: Option<usize>,
    /// 证照状态 license status from the status events of this store (SQLite file or postgres:// URL)
    #[arg(long, value_name = "DB")]
    pub(crate) status: Option<String>,
    /// 状态快照 license status offline from signed status snapshots (`elicense status publish`), one per issuer (repeatable; needs --status-keys)
    #[arg(
        long = "status-snapshot",
        value_name = "FILE",
        conflicts_with = "status",
        requires = "status_keys"
    )]
    pub(crate) status_snapshots: Vec<PathBuf>,
    /// The issuers' status keys: a file of `USCC KEY` lines (as --keys); a snapshot must verify under its issuer's key
    #[arg(long, value_name = "FILE", requires = "status_snapshots")]
    pub(crate) status_keys: Option<PathBuf>,
    /// Write one row per input document to FILE (`-`: standard output)
    #[arg(long, value_name = "FILE")]
    pub(crate) report: Option<PathBuf>,
    /// Report format
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    pub(crate) format: Format,
    /// No progress output
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

/// What a run found.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tally {
    /// Documents seen.
    pub(crate) total: usize,
    /// Documents that verified.
    pub(crate) valid: usize,
    /// Rejections by failing step.
    pub(crate) by_step: BTreeMap<&'static str, usize>,
    /// Wall-clock time of the run.
    pub(crate) seconds: f64,
}

/// One input, as found on the command line or in a directory.
enum Source {
    Stdin,
    Lines(PathBuf),
    Doc(PathBuf),
}

fn sources(inputs: &[String]) -> Result<Vec<Source>> {
    let mut out = Vec::new();
    let mut stdin = false;
    for i in inputs {
        if i == "-" {
            if stdin {
                bail!("standard input (`-`) named twice");
            }
            stdin = true;
            out.push(Source::Stdin);
            continue;
        }
        let p = PathBuf::from(i);
        let meta = std::fs::metadata(&p).with_context(|| format!("cannot read input {i}"))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            for e in std::fs::read_dir(&p).with_context(|| format!("cannot list {i}"))? {
                let f = e?.path();
                if f.is_file() {
                    match ext(&f).as_deref() {
                        Some("json") => files.push(Source::Doc(f)),
                        Some("jsonl" | "ndjson") => files.push(Source::Lines(f)),
                        _ => {}
                    }
                }
            }
            files.sort_by(|a, b| name(a).cmp(name(b)));
            out.extend(files);
        } else if ext(&p).as_deref() == Some("json") {
            out.push(Source::Doc(p));
        } else {
            out.push(Source::Lines(p));
        }
    }
    Ok(out)
}

fn name(s: &Source) -> &Path {
    match s {
        Source::Stdin => Path::new("-"),
        Source::Lines(p) | Source::Doc(p) => p,
    }
}

fn ext(p: &Path) -> Option<String> {
    p.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

/// `elicense verify`: exit 0 when every document verified, 1 when some
/// was rejected.
pub(crate) fn run(args: VerifyArgs) -> Result<ExitCode> {
    let tally = execute(&args)?;
    if !args.quiet || tally.valid != tally.total {
        print_summary(&tally);
    }
    Ok(if tally.valid == tally.total {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Prints the summary on standard error.
pub(crate) fn print_summary(t: &Tally) {
    let rate = if t.seconds > 0.0 {
        t.total as f64 / t.seconds
    } else {
        0.0
    };
    eprintln!(
        "elicense verify: {} documents in {:.2} s ({rate:.0} licenses/s): {} verified, {} rejected",
        t.total,
        t.seconds,
        t.valid,
        t.total - t.valid
    );
    for (step, n) in &t.by_step {
        eprintln!("  rejected at {step}: {n}");
    }
    if let Some(kib) = peak_rss_kib() {
        eprintln!("  peak memory: {:.1} MiB", kib as f64 / 1024.0);
    }
}

/// Peak resident memory of this process (Linux: VmHWM), in KiB.
pub(crate) fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs a verification: checks every input and the trust before anything is
/// verified or written (a usage error leaves no report).
pub(crate) fn execute(args: &VerifyArgs) -> Result<Tally> {
    let started = Instant::now();
    let sources = sources(&args.inputs)?;
    let at = common::at_or_now(args.at.as_deref())?;
    let status = match &args.status {
        Some(db) => Some(common::store_status(
            db,
            common::revocation_source(&args.trust)?,
        )?),
        None => match &args.status_keys {
            Some(keys) => Some(crate::status::snapshot_status(
                &args.status_snapshots,
                keys,
                common::revocation_source(&args.trust)?,
            )?),
            None => None,
        },
    };
    let verifier = common::verifier(&args.trust, status)?;
    if let Some(n) = args.threads {
        if n == 0 {
            bail!("--threads must be at least 1");
        }
        // Fails only if a pool was built already (then that one is used).
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
    }
    let out: Box<dyn Write + Send> = match &args.report {
        None => Box::new(std::io::sink()),
        Some(p) if p.as_os_str() == "-" => Box::new(std::io::stdout()),
        Some(p) => Box::new(
            std::fs::File::create(p)
                .with_context(|| format!("cannot create the report {}", p.display()))?,
        ),
    };
    let writer = RowWriter::new(out, args.format, args.report.is_some())?;
    let progress = Progress::new(args.quiet);
    let (tx, rx) = sync_channel::<Vec<Row>>(4);
    let handle = std::thread::spawn(move || write_rows(rx, writer, progress));

    let batch = BatchVerifier::new(verifier);
    let sent = feed(&batch, &sources, at, &tx);
    drop(tx);
    let written = handle
        .join()
        .map_err(|_| anyhow::anyhow!("the report writer stopped"))?;
    sent?;
    let mut tally = written?;
    tally.seconds = started.elapsed().as_secs_f64();
    Ok(tally)
}

/// One report row before formatting: where it came from and the verdict.
struct Row {
    source: Arc<str>,
    line: usize,
    outcome: BatchOutcome,
}

fn feed(
    batch: &BatchVerifier,
    sources: &[Source],
    at: Timestamp,
    tx: &SyncSender<Vec<Row>>,
) -> Result<()> {
    let max = batch.verifier().options().limits.max_document_bytes;
    let mut pending: Vec<Row> = Vec::with_capacity(ROWS_PER_MESSAGE);
    let send = |pending: &mut Vec<Row>, force: bool| -> bool {
        if pending.len() >= ROWS_PER_MESSAGE || (force && !pending.is_empty()) {
            let rows = std::mem::replace(pending, Vec::with_capacity(ROWS_PER_MESSAGE));
            return tx.send(rows).is_ok();
        }
        true
    };
    let mut docs: Vec<(Arc<str>, Vec<u8>)> = Vec::new();
    let flush_docs = |docs: &mut Vec<(Arc<str>, Vec<u8>)>, pending: &mut Vec<Row>| {
        let bytes: Vec<&[u8]> = docs.iter().map(|(_, b)| b.as_slice()).collect();
        let outcomes = batch.verify_slice(&bytes, at);
        for ((source, _), outcome) in docs.drain(..).zip(outcomes) {
            pending.push(Row {
                source,
                line: 1,
                outcome,
            });
        }
    };
    for s in sources {
        let label: Arc<str> = Arc::from(name(s).to_string_lossy().as_ref());
        let lines = |reader: &mut dyn BufRead, pending: &mut Vec<Row>| -> Result<()> {
            let mut alive = true;
            batch
                .verify_lines(reader, at, |outcome| {
                    pending.push(Row {
                        source: Arc::clone(&label),
                        line: outcome.index() + 1,
                        outcome,
                    });
                    if alive {
                        alive = send(pending, false);
                    }
                })
                .with_context(|| format!("reading {label}"))?;
            Ok(())
        };
        match s {
            Source::Stdin => lines(&mut std::io::stdin().lock(), &mut pending)?,
            Source::Lines(p) => {
                let f = std::fs::File::open(p).with_context(|| format!("cannot open {label}"))?;
                lines(&mut BufReader::with_capacity(1 << 20, f), &mut pending)?;
            }
            Source::Doc(p) => {
                docs.push((Arc::clone(&label), read_doc(p, max)?));
                if docs.len() >= FILES_PER_CHUNK {
                    flush_docs(&mut docs, &mut pending);
                }
            }
        }
        if !matches!(s, Source::Doc(_)) && !docs.is_empty() {
            flush_docs(&mut docs, &mut pending);
        }
        send(&mut pending, false);
    }
    if !docs.is_empty() {
        flush_docs(&mut docs, &mut pending);
    }
    send(&mut pending, true);
    Ok(())
}

/// A single-document file: at most `max + 1` bytes are read (a larger one is
/// rejected as too large without being held), a final line end dropped.
fn read_doc(p: &Path, max: usize) -> Result<Vec<u8>> {
    let f = std::fs::File::open(p).with_context(|| format!("cannot open {}", p.display()))?;
    let mut bytes = Vec::new();
    f.take(max as u64 + 3)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", p.display()))?;
    if bytes.ends_with(b"\n") {
        bytes.pop();
        if bytes.ends_with(b"\r") {
            bytes.pop();
        }
    }
    Ok(bytes)
}

/// A report row as written (FORMAT.md §8): borrowed from the outcome, so a
/// valid row costs no allocation.
pub(crate) struct ReportRow<'a> {
    /// Input file (`-` for standard input).
    pub(crate) source: &'a str,
    /// Line in a JSON Lines input (1 for a single-document file).
    pub(crate) line: usize,
    /// The license identifier, when the document was readable far enough.
    pub(crate) license_id: Option<&'a str>,
    /// The holder's code, masked when it is personal data.
    pub(crate) holder: Option<Cow<'a, str>>,
    /// `valid` or `rejected`.
    pub(crate) verdict: &'static str,
    /// The failing step.
    pub(crate) step: Option<&'static str>,
    /// The typed reason (snake_case kind).
    pub(crate) reason: Option<&'static str>,
    /// The reason in words.
    pub(crate) message: Option<String>,
}

/// The report's CSV header.
const CSV_HEADER: [&str; 8] = [
    "source",
    "line",
    "license_id",
    "holder",
    "verdict",
    "step",
    "reason",
    "message",
];

enum RowWriter {
    None,
    Jsonl {
        out: std::io::BufWriter<Box<dyn Write + Send>>,
        /// The JSON string of the last source seen, and that source.
        source: (Arc<str>, String),
    },
    Csv(Box<csv::Writer<Box<dyn Write + Send>>>),
}

impl RowWriter {
    fn new(out: Box<dyn Write + Send>, format: Format, enabled: bool) -> Result<RowWriter> {
        Ok(match (enabled, format) {
            (false, _) => RowWriter::None,
            (true, Format::Jsonl) => RowWriter::Jsonl {
                out: std::io::BufWriter::with_capacity(1 << 20, out),
                source: (Arc::from(""), "\"\"".to_owned()),
            },
            (true, Format::Csv) => {
                let mut w = csv::WriterBuilder::new()
                    .buffer_capacity(1 << 20)
                    .from_writer(out);
                w.write_record(CSV_HEADER)?;
                RowWriter::Csv(Box::new(w))
            }
        })
    }

    fn write(&mut self, source: &Arc<str>, row: &ReportRow<'_>) -> Result<()> {
        match self {
            RowWriter::None => {}
            RowWriter::Jsonl { out, source: last } => {
                if !Arc::ptr_eq(&last.0, source) {
                    *last = (Arc::clone(source), serde_json::to_string(&**source)?);
                }
                // Identifiers and holder codes are ASCII letters, digits,
                // `.`, `-` and `*`: nothing to escape. The message is
                // written by serde_json.
                let w = out;
                w.write_all(b"{\"source\":")?;
                w.write_all(last.1.as_bytes())?;
                write!(w, ",\"line\":{}", row.line)?;
                write_opt(w, ",\"license_id\":", row.license_id)?;
                write_opt(w, ",\"holder\":", row.holder.as_deref())?;
                write!(w, ",\"verdict\":\"{}\"", row.verdict)?;
                write_opt(w, ",\"step\":", row.step)?;
                write_opt(w, ",\"reason\":", row.reason)?;
                w.write_all(b",\"message\":")?;
                match &row.message {
                    Some(m) => serde_json::to_writer(&mut *w, m)?,
                    None => w.write_all(b"null")?,
                }
                w.write_all(b"}\n")?;
            }
            RowWriter::Csv(w) => {
                let line = row.line.to_string();
                w.write_record([
                    row.source.as_bytes(),
                    line.as_bytes(),
                    row.license_id.unwrap_or_default().as_bytes(),
                    row.holder.as_deref().unwrap_or_default().as_bytes(),
                    row.verdict.as_bytes(),
                    row.step.unwrap_or_default().as_bytes(),
                    row.reason.unwrap_or_default().as_bytes(),
                    row.message.as_deref().unwrap_or_default().as_bytes(),
                ])?;
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<()> {
        match self {
            RowWriter::None => {}
            RowWriter::Jsonl { mut out, .. } => out.flush()?,
            RowWriter::Csv(mut w) => w.flush()?,
        }
        Ok(())
    }
}

/// `"key":null` or `"key":"value"` (`value` needs no escaping).
fn write_opt(w: &mut impl Write, key: &str, v: Option<&str>) -> std::io::Result<()> {
    w.write_all(key.as_bytes())?;
    match v {
        None => w.write_all(b"null"),
        Some(v) => {
            w.write_all(b"\"")?;
            w.write_all(v.as_bytes())?;
            w.write_all(b"\"")
        }
    }
}

fn write_rows(
    rx: Receiver<Vec<Row>>,
    mut writer: RowWriter,
    mut progress: Progress,
) -> Result<Tally> {
    let mut tally = Tally::default();
    // A write failure stops writing but not receiving, so the reader never
    // blocks on a full channel; the error is returned at the end.
    let mut failed: Option<anyhow::Error> = None;
    for rows in rx {
        for r in &rows {
            tally.total += 1;
            let (verdict, step, reason, message) = match r.outcome.result() {
                Ok(()) => {
                    tally.valid += 1;
                    ("valid", None, None, None)
                }
                Err(rej) => {
                    let step = rej.step().name();
                    *tally.by_step.entry(step).or_insert(0) += 1;
                    let f = rej.failure();
                    ("rejected", Some(step), Some(f.kind()), Some(f.to_string()))
                }
            };
            if failed.is_some() || matches!(writer, RowWriter::None) {
                continue;
            }
            let row = ReportRow {
                source: &r.source,
                line: r.line,
                license_id: r.outcome.id().map(|id| id.as_str()),
                holder: r.outcome.holder().map(|h| {
                    if h.is_personal() {
                        Cow::Owned(h.masked())
                    } else {
                        Cow::Borrowed(h.value())
                    }
                }),
                verdict,
                step,
                reason,
                message,
            };
            if let Err(e) = writer.write(&r.source, &row) {
                failed = Some(e.context("writing the report"));
            }
        }
        progress.advance(tally.total, rows.len());
    }
    progress.finish(tally.total);
    if let Some(e) = failed {
        return Err(e);
    }
    writer.finish().context("writing the report")?;
    Ok(tally)
}

/// Progress on standard error: a bar on a terminal, a plain line every few
/// seconds otherwise, nothing with `--quiet`.
enum Progress {
    Quiet,
    Bar(indicatif::ProgressBar),
    Plain { start: Instant, last: Instant },
}

impl Progress {
    fn new(quiet: bool) -> Progress {
        if quiet {
            Progress::Quiet
        } else if std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {elapsed_precise} {human_pos} documents verified ({per_sec})",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            Progress::Bar(bar)
        } else {
            let now = Instant::now();
            Progress::Plain {
                start: now,
                last: now,
            }
        }
    }

    fn advance(&mut self, total: usize, by: usize) {
        match self {
            Progress::Quiet => {}
            Progress::Bar(b) => b.inc(by as u64),
            Progress::Plain { start, last } => {
                if last.elapsed() >= Duration::from_secs(5) {
                    *last = Instant::now();
                    let s = start.elapsed().as_secs_f64();
                    eprintln!(
                        "elicense verify: {total} documents verified in {s:.0} s ({:.0}/s)",
                        total as f64 / s.max(1e-9)
                    );
                }
            }
        }
    }

    fn finish(self, _total: usize) {
        if let Progress::Bar(b) = self {
            b.finish_and_clear();
        }
    }
}
