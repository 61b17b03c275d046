//! `elicense status publish` on a demo library: the snapshot file verifies
//! under the issuer's key and answers every license of the issuer as the
//! store has it; bad arguments write nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

use elicense::{
    LicenseStanding, LicenseStore, Query, Seal, SigningKey, SqliteStore, StatusSnapshot, Timestamp,
    Uscc,
};

const AT: &str = "2026-01-01T00:00:00Z";

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_elicense"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn issuer_of(dir: &Path) -> Uscc {
    let seal = Seal::decode(&std::fs::read(dir.join("seal.json")).unwrap()).unwrap();
    *seal.holder().code()
}

#[test]
fn status_publish_writes_a_signed_snapshot_of_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("library.db");
    let out = run(&["demo", "--n", "40", "--db", db.to_str().unwrap(), "--quiet"]);
    assert!(out.status.success(), "demo failed: {}", text(&out.stderr));
    let at = Timestamp::parse(AT).unwrap();
    let store = SqliteStore::open(&db).unwrap();
    let mut not_in_force = 0;
    let mut published = std::collections::BTreeMap::new();
    for name in ["a", "b"] {
        let issuer_dir = dir.path().join("issuers").join(name);
        let file = dir.path().join(format!("{name}.status"));
        let out = run(&[
            "status",
            "publish",
            "--db",
            db.to_str().unwrap(),
            "--issuer",
            issuer_dir.to_str().unwrap(),
            "--out",
            file.to_str().unwrap(),
            "--valid-hours",
            "48",
            "--at",
            AT,
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let issuer = issuer_of(&issuer_dir);
        let stdout = text(&out.stdout);
        published.insert(name, stdout.clone());
        assert!(
            stdout.starts_with(&format!("status publish: issuer {issuer}: ")),
            "{stdout}"
        );
        let key = SigningKey::from_pkcs8_pem(
            &std::fs::read_to_string(issuer_dir.join("key.pem")).unwrap(),
        )
        .unwrap();
        let bytes = std::fs::read(&file).unwrap();
        let snap = StatusSnapshot::from_signed_bytes(&bytes, &key.public_key()).unwrap();
        assert_eq!(snap.issued_at(), at);
        assert_eq!(snap.next_update(), at.saturating_add(48 * 3600));
        assert!(stdout.contains(&format!(
            "{} licenses not in force",
            snap.not_in_force_count()
        )));
        // Every license of the issuer answers as the store has it.
        let mut q = Query::new().issuer(issuer).limit(1000).unwrap();
        let mut seen = 0;
        loop {
            let page = store.query(&q).unwrap();
            for e in page.entries() {
                seen += 1;
                let standing = snap.standing(e.id(), at);
                if e.status().is_in_force() {
                    assert_eq!(standing, LicenseStanding::InForce, "{}", e.id());
                } else {
                    not_in_force += 1;
                    assert!(
                        matches!(standing, LicenseStanding::NotInForce { status, .. } if status == e.status()),
                        "{}: {standing:?}",
                        e.id()
                    );
                }
            }
            match page.next() {
                Some(c) => {
                    q = Query::new()
                        .issuer(issuer)
                        .limit(1000)
                        .unwrap()
                        .after(c.clone())
                }
                None => break,
            }
        }
        assert!(seen > 0, "the demo issued licenses as {name}");
    }
    assert!(
        not_in_force > 0,
        "the demo revokes, cancels and supersedes licenses"
    );

    // Offline: `verify --status-snapshot` answers as `verify --status DB`.
    let keys = dir.path().join("status.keys");
    let mut lines = String::new();
    for name in ["a", "b"] {
        let issuer_dir = dir.path().join("issuers").join(name);
        let key = SigningKey::from_pkcs8_pem(
            &std::fs::read_to_string(issuer_dir.join("key.pem")).unwrap(),
        )
        .unwrap();
        let hex: String = key
            .public_key()
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let line = format!("{} {hex}", issuer_of(&issuer_dir));
        assert!(
            published[name].lines().any(|l| l == line),
            "publish prints the --status-keys line"
        );
        lines.push_str(&line);
        lines.push('\n');
    }
    std::fs::write(&keys, lines).unwrap();
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_owned();
    let trust = [
        "--anchors".to_owned(),
        p("anchors"),
        "--types".to_owned(),
        p("types"),
        "--revocations".to_owned(),
        p("revocations.json"),
        "--at".to_owned(),
        AT.to_owned(),
        "--quiet".to_owned(),
        "--report".to_owned(),
        "-".to_owned(),
    ];
    let verdicts = |extra: &[String]| -> (Option<i32>, Vec<(String, String, String)>) {
        let mut all = vec!["verify".to_owned(), p("export.jsonl")];
        all.extend(trust.iter().cloned());
        all.extend(extra.iter().cloned());
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        let out = run(&refs);
        let rows = text(&out.stdout)
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (
                    v["license_id"].to_string(),
                    v["verdict"].to_string(),
                    v["step"].to_string(),
                )
            })
            .collect();
        (out.status.code(), rows)
    };
    let (code_db, by_store) = verdicts(&["--status".to_owned(), db.to_str().unwrap().to_owned()]);
    let (code_snap, by_snapshot) = verdicts(&[
        "--status-snapshot".to_owned(),
        p("a.status"),
        "--status-snapshot".to_owned(),
        p("b.status"),
        "--status-keys".to_owned(),
        keys.to_str().unwrap().to_owned(),
    ]);
    assert!(by_store.len() >= 40);
    assert_eq!(by_snapshot, by_store, "the same verdict, row by row");
    assert_eq!(
        (code_db, code_snap),
        (Some(1), Some(1)),
        "some are not in force"
    );
    assert!(
        by_store
            .iter()
            .any(|(_, _, step)| step.contains("license_status"))
    );
    // Only a's snapshot: b's licenses have unknown status and are refused.
    let (_, only_a) = verdicts(&[
        "--status-snapshot".to_owned(),
        p("a.status"),
        "--status-keys".to_owned(),
        keys.to_str().unwrap().to_owned(),
    ]);
    assert!(only_a.len() == by_store.len() && only_a != by_store);
    // A snapshot under another issuer's key is refused: exit 2.
    std::fs::write(
        &keys,
        std::fs::read_to_string(&keys)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let (code, rows) = verdicts(&[
        "--status-snapshot".to_owned(),
        p("b.status"),
        "--status-keys".to_owned(),
        keys.to_str().unwrap().to_owned(),
    ]);
    assert_eq!(code, Some(2));
    assert!(rows.is_empty());

    // Bad arguments: exit 2, nothing written.
    let file = dir.path().join("bad.status");
    let a_dir = dir.path().join("issuers/a");
    for (what, args) in [
        (
            "zero hours",
            vec!["--issuer", a_dir.to_str().unwrap(), "--valid-hours", "0"],
        ),
        ("no such issuer", vec!["--issuer", "/nonexistent/issuer"]),
    ] {
        let mut all = vec!["status", "publish", "--db", db.to_str().unwrap(), "--out"];
        all.push(file.to_str().unwrap());
        all.extend(args);
        let out = run(&all);
        assert_eq!(out.status.code(), Some(2), "{what}: {}", text(&out.stderr));
        assert!(!file.exists(), "{what}");
    }
    let out = run(&[
        "status",
        "publish",
        "--db",
        dir.path().join("missing.db").to_str().unwrap(),
        "--issuer",
        a_dir.to_str().unwrap(),
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!file.exists());
}
