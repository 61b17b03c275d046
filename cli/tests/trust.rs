//! `elicense trust publish|verify|merge` and `elicense verify --trust-list`
//! with real files and the test PKI (tests/data/pki): org A's signing
//! certificate serves as a list operator under the test root.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_elicense"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).stdin(Stdio::null()).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn pki(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/pki")
        .join(name)
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

const ORG_A: &str = "11330105002500287C";
const FOOD: &str = "11100000000013338W009";

struct Files {
    dir: PathBuf,
    entries: PathBuf,
    revocations: PathBuf,
}

fn files(types: &[String]) -> Files {
    let dir = tempfile::tempdir().unwrap().keep();
    let entries = dir.join("entries.json");
    let entry = serde_json::json!([{
        "region": "330100",
        "organisation": { "name": "杭州市上城区市场监督管理局", "uscc": ORG_A },
        "role": "issuer",
        "certificates": [pki("signer_a.cert.pem")],
        "license_types": types,
        "valid_from": "2025-01-01T00:00:00Z",
        "valid_to": "2035-01-01T00:00:00Z"
    }]);
    std::fs::write(&entries, serde_json::to_string_pretty(&entry).unwrap()).unwrap();
    let revocations = dir.join("revocations.json");
    std::fs::write(
        &revocations,
        "{\"complete\": true, \"certificates\": [], \"seals\": []}",
    )
    .unwrap();
    Files {
        dir,
        entries,
        revocations,
    }
}

fn publish(f: &Files, seq: u64, out: &Path) -> Output {
    run(&[
        "trust",
        "publish",
        "--operator-key",
        p(&pki("signer_a.key.pem")),
        "--operator-cert",
        p(&pki("signer_a.cert.pem")),
        "--chain",
        p(&pki("signer_ca.cert.pem")),
        "--publisher-name",
        "杭州市上城区市场监督管理局",
        "--publisher-uscc",
        ORG_A,
        "--publisher-region",
        "330102",
        "--entries",
        p(&f.entries),
        "--seq",
        &seq.to_string(),
        "--valid-days",
        "30",
        "--out",
        p(out),
    ])
}

fn verify(f: &Files, list: &Path, extra: &[&str]) -> Output {
    let root = pki("root.cert.pem");
    let mut args = vec![
        "trust",
        "verify",
        p(list),
        "--anchors",
        p(&root),
        "--revocations",
        p(&f.revocations),
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn publish_verify_and_refuse_tampered_stale_and_rolled_back_lists() {
    let f = files(&[FOOD.to_string()]);
    let list = f.dir.join("list-2.json");
    let out = publish(&f, 2, &list);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("sequence 2"));

    let state = f.dir.join("state.json");
    let out = verify(&f, &list, &["--state", p(&state)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("entry 0: issuer 11330105002500287C"));
    assert!(
        std::fs::read_to_string(&state)
            .unwrap()
            .contains("\"sequence\": 2")
    );

    // One byte changed: refused.
    let bytes = std::fs::read_to_string(&list).unwrap();
    let tampered = f.dir.join("tampered.json");
    std::fs::write(&tampered, bytes.replacen("330100", "330200", 1)).unwrap();
    let out = verify(&f, &tampered, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("signature does not verify"),
        "{}",
        text(&out.stdout)
    );

    // Without a revocation source the operator's status is unknown: refused.
    let out = run(&[
        "trust",
        "verify",
        p(&list),
        "--anchors",
        p(&pki("root.cert.pem")),
    ]);
    assert_eq!(out.status.code(), Some(1));

    // An older list after the state saw sequence 2: a rollback.
    let old = f.dir.join("list-1.json");
    assert!(publish(&f, 1, &old).status.success());
    let out = verify(&f, &old, &["--state", p(&state)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("rollback"),
        "{}",
        text(&out.stdout)
    );

    // Stale after its 30 days, unless the danger option is taken.
    let late = ["--at", "2099-01-01T00:00:00Z"];
    let out = verify(&f, &list, &late);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("stale"));
    let out = verify(&f, &list, &[late[0], late[1], "--danger-accept-stale"]);
    // (The operator's certificate has expired by 2099: still refused, for that reason.)
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !text(&out.stdout).contains("stale"),
        "{}",
        text(&out.stdout)
    );

    // Merge writes a summary.
    let summary = f.dir.join("summary.json");
    let out = run(&[
        "trust",
        "merge",
        p(&list),
        "--anchors",
        p(&pki("root.cert.pem")),
        "--revocations",
        p(&f.revocations),
        "--out",
        p(&summary),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(v["lists"][0]["publisher"], ORG_A);
    assert_eq!(v["lists"][0]["entries"][0]["license_types"][0], FOOD);
}

#[test]
fn verify_with_a_trust_list_accepts_only_recognised_issuers() {
    let dir = tempfile::tempdir().unwrap().keep();
    let db = dir.join("library.db");
    let out = run(&["demo", "--n", "40", "--db", p(&db), "--quiet"]);
    assert!(out.status.success(), "demo failed: {}", text(&out.stderr));
    // Recognise org A for every type of the demo.
    let mut types = Vec::new();
    for e in std::fs::read_dir(dir.join("types")).unwrap() {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(e.unwrap().path()).unwrap()).unwrap();
        types.push(v["code"].as_str().unwrap().to_string());
    }
    assert!(!types.is_empty());
    let f = files(&types);
    let list = f.dir.join("list.json");
    assert!(publish(&f, 1, &list).status.success());
    let report = dir.join("report.csv");
    let args = |with_list: bool| {
        let mut a = vec![
            "verify".to_string(),
            p(&dir.join("export.jsonl")).to_string(),
            "--anchors".into(),
            p(&dir.join("anchors")).to_string(),
            "--types".into(),
            p(&dir.join("types")).to_string(),
            "--revocations".into(),
            p(&dir.join("revocations.json")).to_string(),
            "--at".into(),
            "2026-01-01T00:00:00Z".into(),
            "--report".into(),
            p(&report).to_string(),
            "--format".into(),
            "csv".into(),
        ];
        if with_list {
            a.extend([
                "--trust-list".to_string(),
                p(&list).to_string(),
                "--list-anchors".into(),
                p(&pki("root.cert.pem")).to_string(),
            ]);
        }
        a
    };
    let count = |step: &str| {
        std::fs::read_to_string(&report)
            .unwrap()
            .lines()
            .filter(|l| l.contains(step))
            .count()
    };
    let out = bin().args(args(false)).output().unwrap();
    assert!(out.status.code().is_some(), "{}", text(&out.stderr));
    assert_eq!(count("recognition"), 0);
    let out = bin().args(args(true)).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let refused = count("not_recognised");
    assert!(refused > 0, "{}", std::fs::read_to_string(&report).unwrap());
    // Org A's licenses are still there and some verify.
    let csv = std::fs::read_to_string(&report).unwrap();
    assert!(
        csv.lines()
            .any(|l| l.contains(ORG_A) || l.contains(",valid") || l.contains(",ok")),
        "{csv}"
    );
}
