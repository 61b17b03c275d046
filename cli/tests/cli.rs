//! The `elicense` binary run as a department runs it: real files, real
//! SQLite (and PostgreSQL when `ELICENSE_TEST_PG_URL` is set), exit codes,
//! reports parsed back and checked row by row against the library's single
//! verification.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, OnceLock};

use elicense::{
    Certificate, InMemoryStatus, LicenseTypes, SqliteStore, StatusSource, StoreStatus, Timestamp,
    TrustAnchors, Verifier,
};

const AT: &str = "2026-01-01T00:00:00Z";

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_elicense"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).stdin(Stdio::null()).output().unwrap()
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A demo library built once by `elicense demo` for every test.
struct Fixture {
    dir: PathBuf,
    db: PathBuf,
    export: PathBuf,
    lines: Vec<Vec<u8>>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let db = dir.join("library.db");
        let out = run(&["demo", "--n", "60", "--db", db.to_str().unwrap(), "--quiet"]);
        assert!(out.status.success(), "demo failed: {}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(stdout.contains("demo: N=60"), "{stdout}");
        assert!(
            stdout.contains("elicense verify"),
            "next steps shown: {stdout}"
        );
        let export = dir.join("export.jsonl");
        let lines: Vec<Vec<u8>> = std::fs::read(&export)
            .unwrap()
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(<[u8]>::to_vec)
            .collect();
        assert!(lines.len() >= 60);
        Fixture {
            dir,
            db,
            export,
            lines,
        }
    })
}

impl Fixture {
    fn p(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }

    /// The trust arguments of the demo's output.
    fn trust(&self) -> Vec<String> {
        vec![
            "--anchors".into(),
            self.p("anchors"),
            "--types".into(),
            self.p("types"),
            "--revocations".into(),
            self.p("revocations.json"),
            "--at".into(),
            AT.into(),
        ]
    }

    /// The library's own verifier for the same trust (and store status).
    fn verifier(&self, with_status: bool) -> Verifier {
        let mut types = LicenseTypes::new();
        for e in std::fs::read_dir(self.dir.join("types")).unwrap() {
            let json = std::fs::read_to_string(e.unwrap().path()).unwrap();
            types.insert(elicense::LicenseType::from_json(&json).unwrap());
        }
        assert_eq!(types.len(), LicenseTypes::builtin().len());
        let root = std::fs::read_to_string(self.dir.join("anchors/root.cert.pem")).unwrap();
        let v = Verifier::new(types)
            .with_trust_anchors(TrustAnchors::new().with(Certificate::from_pem(&root).unwrap()));
        if with_status {
            let store = SqliteStore::open(&self.db).unwrap();
            let inner: Arc<dyn StatusSource> = Arc::new(InMemoryStatus::complete_revocation_list());
            v.with_shared_status(Arc::new(StoreStatus::new(Arc::new(store), inner)))
        } else {
            v.with_status(InMemoryStatus::complete_revocation_list())
        }
    }
}

fn args<'a>(fixed: &'a [&'a str], more: &'a [String]) -> Vec<&'a str> {
    fixed
        .iter()
        .copied()
        .chain(more.iter().map(String::as_str))
        .collect()
}

/// A JSON Lines input with valid lines, tampered ones and malformed ones.
fn mixed_input(f: &Fixture) -> Vec<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = f.lines.iter().take(40).cloned().collect();
    // A flipped byte inside the license data: a data hash or signature failure.
    let mut t = f.lines[3].clone();
    let n = t.len();
    t[n / 3] ^= 0x01;
    lines.push(t);
    lines.push(b"not json at all".to_vec());
    lines.push(b"{\"format\":\"not a license\"}".to_vec());
    lines.push(Vec::new()); // an empty line is a row too
    let mut cut = f.lines[5].clone();
    cut.truncate(cut.len() / 2);
    lines.push(cut);
    lines
}

/// Checks report rows against the library's single verification of `lines`.
fn check_rows(
    rows: &[BTreeMap<String, serde_json::Value>],
    lines: &[Vec<u8>],
    v: &Verifier,
    source: &str,
) {
    assert_eq!(rows.len(), lines.len(), "one row per input line");
    let at = Timestamp::parse(AT).unwrap();
    for (i, (row, line)) in rows.iter().zip(lines).enumerate() {
        let single = v.verify(line, at);
        let s = |k: &str| row[k].as_str().map(str::to_owned);
        assert_eq!(s("source").as_deref(), Some(source));
        assert_eq!(row["line"].as_u64(), Some(i as u64 + 1), "row {i}");
        match &single {
            Ok(ok) => {
                assert_eq!(s("verdict").as_deref(), Some("valid"), "row {i}: {row:?}");
                assert_eq!(s("step"), None);
                assert_eq!(s("license_id"), Some(ok.license().id().to_string()));
                assert_eq!(s("holder"), Some(ok.license().holder().code().masked()));
            }
            Err(rej) => {
                assert_eq!(
                    s("verdict").as_deref(),
                    Some("rejected"),
                    "row {i}: {row:?}"
                );
                assert_eq!(s("step").as_deref(), Some(rej.step().name()), "row {i}");
                assert_eq!(
                    s("reason").as_deref(),
                    Some(rej.failure().kind()),
                    "row {i}"
                );
                assert_eq!(s("message"), Some(rej.failure().to_string()), "row {i}");
            }
        }
    }
}

fn parse_jsonl(bytes: &[u8]) -> Vec<BTreeMap<String, serde_json::Value>> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect()
}

fn parse_csv(path: &Path) -> Vec<BTreeMap<String, serde_json::Value>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            "source",
            "line",
            "license_id",
            "holder",
            "verdict",
            "step",
            "reason",
            "message"
        ]
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| {
                    let v = if v.is_empty() {
                        serde_json::Value::Null
                    } else if h == "line" {
                        serde_json::Value::from(v.parse::<u64>().unwrap())
                    } else {
                        serde_json::Value::from(v)
                    };
                    (h.to_owned(), v)
                })
                .collect()
        })
        .collect()
}

fn write_lines(path: &Path, lines: &[Vec<u8>]) {
    let mut f = std::fs::File::create(path).unwrap();
    for l in lines {
        f.write_all(l).unwrap();
        f.write_all(b"\n").unwrap();
    }
}

#[test]
fn verify_jsonl_report_matches_single_verification() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mixed.jsonl");
    let lines = mixed_input(f);
    write_lines(&input, &lines);
    let report = dir.path().join("report.jsonl");
    let trust = f.trust();
    let out = run(&args(
        &[
            "verify",
            input.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
        &trust,
    ));
    assert_eq!(
        out.status.code(),
        Some(1),
        "some rejected: {}",
        text(&out.stderr)
    );
    let rows = parse_jsonl(&std::fs::read(&report).unwrap());
    check_rows(&rows, &lines, &f.verifier(false), input.to_str().unwrap());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("40 verified, 5 rejected"), "{stderr}");
    assert!(stderr.contains("rejected at parse: "), "{stderr}");
    assert!(stderr.contains("licenses/s"), "{stderr}");
}

#[test]
fn verify_csv_report_with_store_status_matches_single_verification() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.csv");
    let trust = f.trust();
    let out = run(&args(
        &[
            "verify",
            f.export.to_str().unwrap(),
            "--status",
            f.db.to_str().unwrap(),
            "--format",
            "csv",
            "--report",
            report.to_str().unwrap(),
            "--threads",
            "2",
        ],
        &trust,
    ));
    // The demo revoked, cancelled and superseded some licenses.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let rows = parse_csv(&report);
    check_rows(
        &rows,
        &f.lines,
        &f.verifier(true),
        f.export.to_str().unwrap(),
    );
    assert!(rows.iter().any(|r| r["step"] == "license_status"));
    assert!(text(&out.stderr).contains("rejected at license_status"));
}

#[test]
fn verify_all_valid_exits_zero_and_reads_stdin() {
    let f = fixture();
    let trust = f.trust();
    let input: Vec<u8> = f
        .lines
        .iter()
        .take(10)
        .flat_map(|l| [l.as_slice(), b"\r\n"].concat())
        .collect();
    let out = run_stdin(&args(&["verify", "-", "--report", "-"], &trust), &input);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows = parse_jsonl(&out.stdout);
    check_rows(&rows, &f.lines[..10], &f.verifier(false), "-");
}

#[test]
fn verify_directories_and_single_documents() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    for (i, l) in f.lines.iter().take(5).enumerate() {
        std::fs::write(
            docs.join(format!("{i}.json")),
            [l.as_slice(), b"\n"].concat(),
        )
        .unwrap();
    }
    std::fs::write(docs.join("bad.json"), b"{\"pretty\": true,\n \"x\": 1}\n").unwrap();
    std::fs::write(docs.join("ignored.txt"), b"not an input").unwrap();
    let single = dir.path().join("one.json");
    std::fs::write(&single, &f.lines[7]).unwrap();
    let report = dir.path().join("r.jsonl");
    let trust = f.trust();
    let out = run(&args(
        &[
            "verify",
            docs.to_str().unwrap(),
            single.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
        &trust,
    ));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let rows = parse_jsonl(&std::fs::read(&report).unwrap());
    assert_eq!(rows.len(), 7);
    let v = f.verifier(false);
    let at = Timestamp::parse(AT).unwrap();
    for (i, r) in rows.iter().take(5).enumerate() {
        assert!(
            r["source"]
                .as_str()
                .unwrap()
                .ends_with(&format!("{i}.json"))
        );
        assert_eq!(r["line"], 1);
        let expect = if v.verify(&f.lines[i], at).is_ok() {
            "valid"
        } else {
            "rejected"
        };
        assert_eq!(r["verdict"], expect);
    }
    assert!(rows[5]["source"].as_str().unwrap().ends_with("bad.json"));
    assert_eq!(rows[5]["step"], "parse");
    assert!(rows[6]["source"].as_str().unwrap().ends_with("one.json"));
}

#[test]
fn missing_or_bad_trust_is_exit_2_and_writes_nothing() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.jsonl");
    let missing = dir.path().join("no-such-anchors.pem");
    let out = run(&[
        "verify",
        f.export.to_str().unwrap(),
        "--anchors",
        missing.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("no-such-anchors.pem"), "names the file: {err}");
    assert!(!report.exists(), "no report for a usage error");

    // No trust at all.
    let out = run(&["verify", f.export.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--anchors"));

    // A file that is not a certificate.
    let junk = dir.path().join("junk.pem");
    std::fs::write(
        &junk,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let out = run(&[
        "verify",
        f.export.to_str().unwrap(),
        "--anchors",
        junk.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("junk.pem"));

    // Archive with missing trust: the store is not even created.
    let db = dir.path().join("new.db");
    let out = run(&[
        "archive",
        f.export.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--anchors",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!db.exists(), "nothing written to the store");

    // A missing input.
    let trust = f.trust();
    let out = run(&args(&["verify", "/no/such/input.jsonl"], &trust));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/no/such/input.jsonl"));

    // Usage errors.
    assert_eq!(run(&["verify"]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        run(&["verify", "x", "--format", "xml"]).status.code(),
        Some(2)
    );
    assert_eq!(run(&["--help"]).status.code(), Some(0));
}

#[test]
fn unknown_revocation_status_is_refused_unless_danger_is_named() {
    let f = fixture();
    let anchors = f.p("anchors");
    let input = f.export.to_str().unwrap();
    let out = run(&[
        "verify",
        input,
        "--anchors",
        &anchors,
        "--at",
        AT,
        "--report",
        "-",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let rows = parse_jsonl(&out.stdout);
    assert!(rows.iter().all(|r| r["verdict"] == "rejected"));
    assert!(rows[0]["message"].as_str().unwrap().contains("unknown"));
    let out = run(&[
        "verify",
        input,
        "--anchors",
        &anchors,
        "--at",
        AT,
        "--danger-accept-unknown-revocation",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn progress_output_quiet_and_non_terminal() {
    let f = fixture();
    let trust = f.trust();
    let input = f.export.to_str().unwrap();
    // stderr is a pipe here: plain text, no terminal control sequences.
    let out = run(&args(&["verify", input], &trust));
    let err = text(&out.stderr);
    assert!(!err.contains('\r') && !err.contains('\u{1b}'), "{err:?}");
    assert!(err.contains("elicense verify:"), "{err}");
    // --quiet: nothing on stderr when everything verified.
    let out = run(&args(&["verify", input, "--quiet"], &trust));
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
}

#[test]
fn inspect_text_and_json() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("license.json");
    std::fs::write(&doc, &f.lines[0]).unwrap();
    let trust = f.trust();
    let out = run(&args(&["inspect", doc.to_str().unwrap()], &trust));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    for needle in [
        "证照类型",
        "法定代表人",
        "证照专用章",
        "Certificate",
        "VALID",
        "[pass] seal_maker_signature",
        "[pass] data_hash",
        "picture",
    ] {
        assert!(s.contains(needle), "{needle} missing in:\n{s}");
    }
    let out = run(&args(&["inspect", doc.to_str().unwrap(), "--json"], &trust));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "valid");
    assert_eq!(
        v["report"].as_array().unwrap().len(),
        elicense::Step::ALL.len()
    );
    assert!(
        v["report"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["outcome"] != "failed")
    );
    assert!(!v["certificates"].as_array().unwrap().is_empty());
    assert_eq!(v["signatures"][0]["seal"]["picture"]["type"], "svg");

    // A tampered document: rejected, exit 1, the failing step named.
    let mut bad = f.lines[0].clone();
    let n = bad.len();
    bad[n - 20] ^= 0x02;
    let out = run_stdin(&args(&["inspect", "-", "--json"], &trust), &bad);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "rejected");
    let single = f
        .verifier(false)
        .verify(&bad, Timestamp::parse(AT).unwrap())
        .unwrap_err();
    assert_eq!(v["failed_step"], single.step().name());
}

fn archive_args<'a>(
    f: &'a Fixture,
    input: &'a str,
    store: &'a [&'a str],
    trust: &'a [String],
) -> Vec<&'a str> {
    let _ = f;
    let mut a = vec!["archive", input];
    a.extend_from_slice(store);
    a.extend(trust.iter().map(String::as_str));
    a.push("--quiet");
    a
}

fn check_archive_query_show(store: &[&str]) {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let mut lines: Vec<Vec<u8>> = f.lines.iter().take(30).cloned().collect();
    lines.push(b"{\"broken\":".to_vec());
    write_lines(&input, &lines);
    let trust = f.trust();
    let a = archive_args(f, input.to_str().unwrap(), store, &trust);
    let out = run(&a);
    assert_eq!(
        out.status.code(),
        Some(1),
        "one rejected line: {}",
        text(&out.stderr)
    );
    let s = text(&out.stdout);
    assert!(s.contains("31 lines: 30 imported, 0 duplicates"), "{s}");
    assert!(s.contains("line 31: rejected at parse"), "{s}");
    // Resumable: a second run imports nothing twice.
    let out = run(&a);
    let s = text(&out.stdout);
    assert!(s.contains("0 imported, 30 duplicates"), "{s}");

    // query: every archived license exactly once across keyset pages.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut q = vec!["query", "--limit", "7", "--format", "jsonl"];
        q.extend_from_slice(store);
        if let Some(c) = &after {
            q.extend(["--after", c.as_str()]);
        }
        let out = run(&q);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        for r in parse_jsonl(&out.stdout) {
            seen.push(r["id"].as_str().unwrap().to_owned());
        }
        let err = text(&out.stderr);
        match err.split("--after ").nth(1) {
            Some(c) => after = Some(c.trim().to_owned()),
            None => break,
        }
    }
    let at = Timestamp::parse(AT).unwrap();
    let v = f.verifier(false);
    let mut expected: Vec<String> = lines[..30]
        .iter()
        .map(|l| v.verify(l, at).unwrap().license().id().to_string())
        .collect();
    expected.sort();
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, expected, "each archived license once");
    assert_eq!(seen.len(), 30);

    // query filters: a type and a holder.
    let first = v.verify(&lines[0], at).unwrap();
    let l = first.license();
    let ty = l.type_code().to_string();
    let holder = l.holder().code().value().to_owned();
    let mut q = vec![
        "query",
        "--format",
        "jsonl",
        "--type",
        ty.as_str(),
        "--holder",
        holder.as_str(),
    ];
    q.extend_from_slice(store);
    let out = run(&q);
    let rows = parse_jsonl(&out.stdout);
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r["type"] == ty.as_str() && r["holder"] == holder.as_str())
    );
    assert!(rows.iter().any(|r| r["id"] == l.id().to_string().as_str()));
    let mut q = vec!["query", "--status", "revoked"];
    q.extend_from_slice(store);
    let out = run(&q);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("0 entries"),
        "nothing revoked in the archive"
    );
    let mut q = vec!["query", "--status", "bogus"];
    q.extend_from_slice(store);
    assert_eq!(run(&q).status.code(), Some(2));

    // show: the exact bytes; to a file; an unknown id.
    let id = l.id().to_string();
    let mut s = vec!["show", id.as_str()];
    s.extend_from_slice(store);
    let out = run(&s);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, lines[0]);
    let file = dir.path().join("out.json");
    let mut s2 = s.clone();
    s2.extend(["--out", file.to_str().unwrap()]);
    assert_eq!(run(&s2).status.code(), Some(0));
    assert_eq!(std::fs::read(&file).unwrap(), lines[0]);
    let other = elicense::LicenseId::from_parts(
        *l.type_code(),
        elicense::IssuerCode::Uscc(*l.issuer().code()),
        "0000999999",
        1,
    )
    .unwrap()
    .to_string();
    let mut s3 = vec!["show", other.as_str()];
    s3.extend_from_slice(store);
    let out = run(&s3);
    assert_eq!(out.status.code(), Some(1), "not found");
    assert!(text(&out.stderr).contains("no license"));
    let mut s4 = vec!["show", "not-an-id"];
    s4.extend_from_slice(store);
    assert_eq!(run(&s4).status.code(), Some(2));

    // history of an archived license: no events, one version.
    let mut h = vec!["history", id.as_str(), "--json"];
    h.extend_from_slice(store);
    let out = run(&h);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "01");
    assert!(
        v["versions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == id.as_str())
    );
}

#[test]
fn archive_query_show_history_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("archive.db");
    check_archive_query_show(&["--db", db.to_str().unwrap()]);
}

#[test]
fn archive_query_show_on_postgres() {
    let Ok(url) = std::env::var("ELICENSE_TEST_PG_URL") else {
        eprintln!("ELICENSE_TEST_PG_URL not set: PostgreSQL CLI test skipped");
        return;
    };
    if !cfg!(feature = "postgres") {
        panic!(
            "ELICENSE_TEST_PG_URL is set but elicense-cli was built without the postgres feature"
        );
    }
    let schema = format!("cli_test_{}", std::process::id());
    check_archive_query_show(&["--pg", url.as_str(), "--pg-schema", schema.as_str()]);
    // Leave the server as we found it.
    let mut c = postgres_client(&url);
    c(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
}

/// Runs a statement with psql (the tests do not link a PostgreSQL client).
fn postgres_client(url: &str) -> impl FnMut(&str) + '_ {
    move |sql: &str| {
        let out = Command::new("psql").args([url, "-qAtc", sql]).output();
        if let Ok(o) = out {
            assert!(o.status.success(), "psql: {}", text(&o.stderr));
        }
    }
}

#[test]
fn history_shows_events_and_version_chain() {
    let f = fixture();
    // The demo's sample license was suspended, resumed, renewed, changed and transferred.
    let superseded = not_in_force(f);
    assert!(!superseded.is_empty());
    let db = f.db.to_str().unwrap();
    let mut with_chain = 0;
    for id in &superseded {
        let out = run(&["history", id, "--db", db, "--json"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let h: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(!h["events"].as_array().unwrap().is_empty(), "{h}");
        if h["versions"].as_array().unwrap().len() > 1 {
            with_chain += 1;
        }
    }
    assert!(with_chain > 0, "the renewed sample has a version chain");
    let out = run(&["history", &superseded[0], "--db", db]);
    let s = text(&out.stdout);
    assert!(s.contains("业务记录") && s.contains("版本链"), "{s}");
    // A missing store is an error, not a new empty store.
    let out = run(&["history", &superseded[0], "--db", "/no/such/store.db"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn demo_refuses_to_overwrite_a_foreign_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("precious.db");
    std::fs::write(&db, b"someone's data").unwrap();
    let out = run(&["demo", "--n", "2", "--db", db.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read(&db).unwrap(), b"someone's data");
}

/// The exported licenses not in force at [`AT`] (the demo's superseded and
/// revoked ones), by the library's verifier with the store's status.
fn not_in_force(f: &Fixture) -> Vec<String> {
    let at = Timestamp::parse(AT).unwrap();
    let v = f.verifier(true);
    f.lines
        .iter()
        .filter_map(|l| {
            let r = v.verify(l, at).err()?;
            (r.step() == elicense::Step::LicenseStatus).then(|| {
                elicense::SignedLicense::decode(l)
                    .unwrap()
                    .license()
                    .id()
                    .to_string()
            })
        })
        .collect()
}

/// A license of issuer A in force at [`AT`], from `elicense query`.
fn in_force_of_a(f: &Fixture) -> String {
    let out = run(&[
        "query",
        "--db",
        f.db.to_str().unwrap(),
        "--status",
        "valid",
        "--issuer",
        "11330105002500287C",
        "--format",
        "jsonl",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let first: serde_json::Value =
        serde_json::from_slice(out.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    first["id"].as_str().unwrap().to_owned()
}

fn scan_json(args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["scan"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let out = run(&all);
    let code = out.status.code().unwrap();
    assert_ne!(code, 2, "{}", text(&out.stderr));
    (code, serde_json::from_slice(&out.stdout).unwrap())
}

/// `elicense present ID` signed by issuer A's presentation key (the demo's)
/// at `at`, image to `out`; asserts success and returns the printed code and
/// the output.
fn present(f: &Fixture, id: &str, at: &str, out: &Path) -> (String, Output) {
    let key = f.p("presentation.key.pem");
    let db = f.db.to_str().unwrap();
    let out = run(&[
        "present",
        id,
        "--db",
        db,
        "--key",
        &key,
        "--at",
        at,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    (text(&out.stdout).trim().to_owned(), out)
}

#[test]
fn present_writes_a_scannable_code_and_scan_verifies_it() {
    let f = fixture();
    let id = in_force_of_a(f);
    let out_dir = tempfile::tempdir().unwrap();
    let png = out_dir.path().join("code.png");
    let (db, keys) = (f.db.to_str().unwrap(), f.p("presentation.keys"));
    let (s, out) = present(f, &id, AT, &png);
    assert!(s.starts_with("EL1:"), "{s}");
    assert!(
        text(&out.stderr).contains("QR version"),
        "{}",
        text(&out.stderr)
    );
    // The image is the library's rendering of that string (whose PNGs the
    // library's tests decode back with rqrr), at version ≤ 11, ECC Q.
    let p = elicense::present::Presentation::from_qr_string(&s).unwrap();
    assert_eq!(p.license_id().to_string(), id);
    let qr = p.qr().unwrap();
    assert!(qr.version() <= 11, "QR version {}", qr.version());
    assert_eq!(std::fs::read(&png).unwrap(), qr.to_png(8));

    // Accepted with the store's status; replay not checked by a CLI run.
    let (code, r) = scan_json(&[&s, "--keys", &keys, "--status", db, "--at", AT]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["accepted"], true);
    assert_eq!(r["presentation"]["license_id"], id.as_str());
    let outcomes: Vec<&str> = r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        [
            "pass",
            "pass",
            "pass",
            "pass",
            "not_checked",
            "pass",
            "pass"
        ]
    );
    let text_out = run(&["scan", &s, "--keys", &keys, "--status", db, "--at", AT]);
    assert_eq!(text_out.status.code(), Some(0));
    assert!(text(&text_out.stdout).contains("result: ACCEPTED"));
    // Read from standard input too.
    let piped = run_stdin(
        &["scan", "-", "--keys", &keys, "--status", db, "--at", AT],
        s.as_bytes(),
    );
    assert_eq!(piped.status.code(), Some(0), "{}", text(&piped.stderr));

    // No license status: refused at license_status unless danger is named.
    let (code, r) = scan_json(&[&s, "--keys", &keys, "--at", AT]);
    assert_eq!(
        (code, r["failed_step"].as_str()),
        (1, Some("license_status"))
    );
    let (code, _) = scan_json(&[
        &s,
        "--keys",
        &keys,
        "--at",
        AT,
        "--danger-accept-unknown-status",
    ]);
    assert_eq!(code, 0);
    // Five minutes later (the default expiry) it has expired.
    let (code, r) = scan_json(&[
        &s,
        "--keys",
        &keys,
        "--status",
        db,
        "--at",
        "2026-01-01T00:05:01Z",
    ]);
    assert_eq!(
        (code, r["failed_step"].as_str()),
        (1, Some("expiry")),
        "{r}"
    );
    // Another key for the same issuers: the signature fails.
    let other = out_dir.path().join("other.keys");
    let other_key: String = elicense::SigningKey::from_seed(&[7; 32])
        .public_key()
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let lines: String = std::fs::read_to_string(&keys)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{} {other_key}\n", l.split(' ').next().unwrap()))
        .collect();
    std::fs::write(&other, lines).unwrap();
    let (code, r) = scan_json(&[
        &s,
        "--keys",
        other.to_str().unwrap(),
        "--status",
        db,
        "--at",
        AT,
    ]);
    assert_eq!(code, 1);
    assert!(
        matches!(r["failed_step"].as_str(), Some("signature" | "issuer")),
        "{r}"
    );
    // Each character changed: refused, never accepted, never an error.
    let bytes = s.as_bytes();
    for i in (4..bytes.len()).step_by(7) {
        let mut t = bytes.to_vec();
        t[i] = if t[i] == b'0' { b'1' } else { b'0' };
        let t = String::from_utf8(t).unwrap();
        let (code, r) = scan_json(&[&t, "--keys", &keys, "--status", db, "--at", AT]);
        assert_eq!(code, 1, "changed at {i}: {r}");
    }
    // Truncated and oversized strings.
    let (code, r) = scan_json(&[&s[..s.len() / 2], "--keys", &keys, "--at", AT]);
    assert_eq!((code, r["failed_step"].as_str()), (1, Some("decode")));
    let big = format!("EL1:{}", "0".repeat(5000));
    let (code, r) = scan_json(&[&big, "--keys", &keys, "--at", AT]);
    assert_eq!((code, r["failed_step"].as_str()), (1, Some("decode")));
    assert!(r["message"].as_str().unwrap().contains("too large"), "{r}");
}

#[test]
fn present_by_the_sealing_key_verifies_through_the_certificate_chain() {
    let f = fixture();
    let id = in_force_of_a(f);
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("code.svg");
    let pki = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/pki/");
    let out = run(&[
        "present",
        &id,
        "--db",
        f.db.to_str().unwrap(),
        "--key",
        &format!("{pki}signer_a.key.pem"),
        "--role",
        "seal",
        "--show",
        "KZ_ZS",
        "--minutes",
        "30",
        "--at",
        AT,
        "--out",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout).trim().to_owned();
    let image = std::fs::read_to_string(&svg).unwrap();
    assert!(
        image.starts_with("<?xml") || image.starts_with("<svg"),
        "{image:.60}"
    );
    // The signer certificate with its CA, verified to the demo's anchor.
    let bundle = dir.path().join("signer_a.pem");
    let pem = std::fs::read_to_string(format!("{pki}signer_a.cert.pem")).unwrap()
        + &std::fs::read_to_string(format!("{pki}signer_ca.cert.pem")).unwrap();
    std::fs::write(&bundle, pem).unwrap();
    let (bundle, anchors, revocations) = (
        bundle.to_str().unwrap().to_owned(),
        f.p("anchors"),
        f.p("revocations.json"),
    );
    let db = f.db.to_str().unwrap();
    let base = [
        "--cert",
        bundle.as_str(),
        "--anchors",
        anchors.as_str(),
        "--revocations",
        revocations.as_str(),
        "--status",
        db,
        "--at",
        AT,
    ];
    let mut args = vec![s.as_str()];
    args.extend_from_slice(&base);
    let (code, r) = scan_json(&args);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["presentation"]["signed_by"], "seal");
    assert_eq!(r["presentation"]["fields"][0][0], "KZ_ZS");
    // The system key is not the seal's: with only the system keys it fails.
    let (code, r) = scan_json(&[
        &s,
        "--keys",
        &f.p("presentation.keys"),
        "--status",
        db,
        "--at",
        AT,
    ]);
    assert_eq!(
        (code, r["failed_step"].as_str()),
        (1, Some("signature")),
        "{r}"
    );
    // No anchors for --cert: a usage error (exit 2), nothing verified.
    let out = run(&["scan", &s, "--cert", &bundle, "--at", AT]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn present_refuses_what_it_cannot_present() {
    let f = fixture();
    let db = f.db.to_str().unwrap();
    let key = f.p("presentation.key.pem");
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("x.png");
    let png = png.to_str().unwrap();
    // A license not in force (superseded by the demo's renewals) at AT.
    let superseded = not_in_force(f).swap_remove(0);
    let out = run(&[
        "present",
        &superseded,
        "--db",
        db,
        "--key",
        &key,
        "--at",
        AT,
        "--out",
        png,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("not in force"));
    assert!(!Path::new(png).exists(), "nothing written");
    // Unknown license: 1; a field the license lacks, a bad image name, a bad
    // expiry, a file that is not a key: 2.
    let id = in_force_of_a(f);
    let unknown = id.replace(".0000000001.", ".0000009999.");
    let out = run(&[
        "present", &unknown, "--db", db, "--key", &key, "--at", AT, "--out", png,
    ]);
    assert!(
        matches!(out.status.code(), Some(1 | 2)),
        "{}",
        text(&out.stderr)
    );
    for extra in [
        &["--show", "NO_SUCH_FIELD"][..],
        &["--minutes", "0"][..],
        &["--minutes", "100000"][..],
    ] {
        let mut a = vec![
            "present", &id, "--db", db, "--key", &key, "--at", AT, "--out", png,
        ];
        a.extend_from_slice(extra);
        let out = run(&a);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{extra:?}: {}",
            text(&out.stderr)
        );
    }
    let out = run(&[
        "present", &id, "--db", db, "--key", &key, "--out", "code.gif",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&[
        "present",
        &id,
        "--db",
        db,
        "--key",
        &f.p("revocations.json"),
        "--out",
        png,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        !text(&out.stderr).contains("PRIVATE"),
        "no key material echoed"
    );
    assert!(!Path::new(png).exists(), "nothing written");
}

#[test]
fn scan_takes_license_status_offline_from_a_signed_snapshot() {
    use elicense::{IssuerCode, LicenseId};
    let f = fixture();
    let id = in_force_of_a(f);
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("code.svg");
    let svg = svg.to_str().unwrap();
    let keys = f.p("presentation.keys");
    let (s, _) = present(f, &id, AT, Path::new(svg));

    // Issuer A's status key signs snapshots of the store's status.
    let status_key = elicense::SigningKey::from_seed(&[42; 32]);
    let hex: String = status_key
        .public_key()
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let a: elicense::Uscc = "11330105002500287C".parse().unwrap();
    let status_keys = dir.path().join("status.keys");
    std::fs::write(&status_keys, format!("# issuer A\n{a} {hex}\n")).unwrap();
    let at = Timestamp::parse(AT).unwrap();
    let day = Timestamp::parse("2026-01-02T00:00:00Z").unwrap();
    let store = SqliteStore::open(&f.db).unwrap();
    let current = elicense::StatusSnapshot::from_store(&store, &a, at, day, &status_key).unwrap();
    let current_path = dir.path().join("a.snapshot");
    std::fs::write(&current_path, current.as_bytes()).unwrap();
    let snap = |path: &Path, at: &str| {
        scan_json(&[
            &s,
            "--keys",
            &keys,
            "--status-snapshot",
            path.to_str().unwrap(),
            "--status-keys",
            status_keys.to_str().unwrap(),
            "--at",
            at,
        ])
    };

    // In force by the snapshot: accepted with no store at hand.
    let (code, r) = snap(&current_path, AT);
    assert_eq!(code, 0, "{r}");
    // A snapshot listing it revoked: refused at license_status.
    let lid: LicenseId = id.parse().unwrap();
    let revoked = elicense::StatusSnapshot::build(
        &IssuerCode::Uscc(a),
        at,
        day,
        [(&lid, elicense::LicenseStatus::Revoked)],
        &status_key,
    )
    .unwrap();
    let revoked_path = dir.path().join("revoked.snapshot");
    std::fs::write(&revoked_path, revoked.as_bytes()).unwrap();
    let (code, r) = snap(&revoked_path, AT);
    assert_eq!(
        (code, r["failed_step"].as_str()),
        (1, Some("license_status")),
        "{r}"
    );
    // Stale (past next-update): status unknown, refused.
    let stale_at = "2026-01-02T00:00:01Z";
    let (late_s, _) = present(f, &id, stale_at, Path::new(svg));
    let (code, r) = scan_json(&[
        &late_s,
        "--keys",
        &keys,
        "--status-snapshot",
        current_path.to_str().unwrap(),
        "--status-keys",
        status_keys.to_str().unwrap(),
        "--at",
        stale_at,
    ]);
    assert_eq!(
        (code, r["failed_step"].as_str()),
        (1, Some("license_status")),
        "{r}"
    );
    // A snapshot signed by a key not listed for its issuer: a usage error.
    let other_keys = dir.path().join("other.keys");
    std::fs::write(&other_keys, format!("{a} {}\n", "11".repeat(32))).unwrap();
    let out = run(&[
        "scan",
        &s,
        "--keys",
        &keys,
        "--status-snapshot",
        current_path.to_str().unwrap(),
        "--status-keys",
        other_keys.to_str().unwrap(),
        "--at",
        AT,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not a trusted status snapshot"),
        "{}",
        text(&out.stderr)
    );
    // A flipped byte: refused the same way, never used.
    let mut bad = current.as_bytes().to_vec();
    bad[20] ^= 1;
    let bad_path = dir.path().join("bad.snapshot");
    std::fs::write(&bad_path, &bad).unwrap();
    let out = run(&[
        "scan",
        &s,
        "--keys",
        &keys,
        "--status-snapshot",
        bad_path.to_str().unwrap(),
        "--status-keys",
        status_keys.to_str().unwrap(),
        "--at",
        AT,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
}

#[test]
fn scan_recognises_issuers_and_status_keys_through_trust_lists() {
    let f = fixture();
    let id = in_force_of_a(f);
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("code.svg");
    let keys = f.p("presentation.keys");
    let (s, _) = present(f, &id, AT, &svg);
    let a = "11330105002500287C";
    // The demo's presentation key of issuer A, as hex.
    let presentation_key = std::fs::read_to_string(&keys)
        .unwrap()
        .lines()
        .find(|l| l.starts_with(a))
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_owned();
    let status_key = elicense::SigningKey::from_seed(&[43; 32]);
    let status_hex: String = status_key
        .public_key()
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let pki = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/pki/");
    let publish = |types: &[&str], out: &Path| {
        let entries = dir.path().join("entries.json");
        let doc = serde_json::json!([
            {
                "region": "330100",
                "organisation": {"name": "杭州市上城区市场监督管理局", "uscc": a},
                "role": "issuer",
                "keys": [presentation_key],
                "license_types": types,
                "valid_from": "2025-01-01T00:00:00Z",
                "valid_to": "2030-01-01T00:00:00Z"
            },
            {
                "region": "330100",
                "organisation": {"name": "杭州市上城区市场监督管理局", "uscc": a},
                "role": "status_publisher",
                "keys": [status_hex],
                "valid_from": "2025-01-01T00:00:00Z",
                "valid_to": "2030-01-01T00:00:00Z"
            }
        ]);
        std::fs::write(&entries, doc.to_string()).unwrap();
        let o = run(&[
            "trust",
            "publish",
            "--operator-key",
            &format!("{pki}signer_a.key.pem"),
            "--operator-cert",
            &format!("{pki}signer_a.cert.pem"),
            "--chain",
            &format!("{pki}signer_ca.cert.pem"),
            "--publisher-name",
            "杭州市上城区市场监督管理局",
            "--publisher-uscc",
            a,
            "--publisher-region",
            "330102",
            "--entries",
            entries.to_str().unwrap(),
            "--seq",
            "1",
            "--issued-at",
            "2025-12-31T00:00:00Z",
            "--valid-days",
            "7",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    };
    let revocations = dir.path().join("revocations.json");
    std::fs::write(
        &revocations,
        "{\"complete\": true, \"certificates\": [], \"seals\": []}",
    )
    .unwrap();
    let food = dir.path().join("food.trust");
    // The license's own type, and another.
    let own = id.split('.').nth(5).unwrap().to_owned();
    let other_type = if own.ends_with("W009") {
        "11100000000013338W010"
    } else {
        "11100000000013338W009"
    };
    publish(&[&own], &food);
    let store = SqliteStore::open(&f.db).unwrap();
    let at = Timestamp::parse(AT).unwrap();
    let day = Timestamp::parse("2026-01-02T00:00:00Z").unwrap();
    let snapshot =
        elicense::StatusSnapshot::from_store(&store, &a.parse().unwrap(), at, day, &status_key)
            .unwrap();
    let snap = dir.path().join("a.snapshot");
    std::fs::write(&snap, snapshot.as_bytes()).unwrap();
    let scan = |list: &Path| {
        scan_json(&[
            &s,
            "--trust-list",
            list.to_str().unwrap(),
            "--list-anchors",
            &format!("{pki}root.cert.pem"),
            "--revocations",
            revocations.to_str().unwrap(),
            "--status-snapshot",
            snap.to_str().unwrap(),
            "--at",
            AT,
        ])
    };
    // No --keys: the list's issuer entry recognises the presentation key,
    // its status publisher's key checks the snapshot.
    let (code, r) = scan(&food);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["recognised_by"]["publisher"], a);
    assert_eq!(r["recognised_by"]["entry"], 0);
    // A list recognising A for another type only: refused at issuer.
    let other = dir.path().join("other.trust");
    publish(&[other_type], &other);
    let (code, r) = scan(&other);
    assert_eq!(
        (code, r["failed_step"].as_str()),
        (1, Some("issuer")),
        "{r}"
    );
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("other license types"),
        "{r}"
    );
}
