//! The service over real HTTP on 127.0.0.1 (ephemeral port), on SQLite and
//! on PostgreSQL (`ELICENSE_TEST_PG_URL`): every endpoint and refusal, batch
//! verdicts against the library's, the OpenAPI document, graceful shutdown.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use elicense::*;
use elicense_service::{Limits, Service, ServiceStore};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::*;

/// Runs library calls from the test's async code off the async workers.
fn sync<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

fn tampered(doc: &SignedLicense) -> Vec<u8> {
    let text = std::str::from_utf8(doc.as_bytes()).unwrap();
    assert!(text.contains("号"));
    text.replacen("号", "巷", 1).into_bytes()
}

async fn error_code(r: reqwest::Response) -> (StatusCode, String) {
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    (status, v["error"]["code"].as_str().unwrap().to_owned())
}

/// What the library answers for `bytes`, as the fields the service reports.
fn expected<S: ServiceStore>(lib: &ResourceLibrary<S>, bytes: &[u8]) -> Value {
    let r = lib.verify_bytes(bytes, at()).unwrap();
    json!({
        "code": r.code().code(),
        "id": r.id().map(ToString::to_string),
        "failed_step": r.failed_step().map(|s| s.name()),
        "status": r.status().map(|s| s.code()),
        "under_review": r.under_review().iter().map(|d| d.get()).collect::<Vec<_>>(),
    })
}

fn reported(v: &Value) -> Value {
    json!({
        "code": v["code"],
        "id": v["id"],
        "failed_step": v["failed_step"],
        "status": v["status"],
        "under_review": v["under_review"],
    })
}

/// The key issuer A's status snapshots are signed with (its signing key).
fn status_key() -> SigningKey {
    SigningKey::from_pkcs8_pem(include_str!("../../tests/data/pki/signer_a.key.pem")).unwrap()
}

/// The whole scenario on one store.
async fn scenario<S: ServiceStore>(
    lib: ResourceLibrary<S>,
    orgs: Orgs,
    docs: Vec<SignedLicense>,
    label: &str,
) {
    let t = sync(|| tokens(&lib, &orgs));
    // Prepared states: docs[3] suspended, docs[5] revoked (by the library).
    sync(|| {
        lib.suspend(docs[3].license().id(), "test", "立案调查", at())
            .unwrap();
        lib.revoke(docs[5].license().id(), "test", "吊销", at())
            .unwrap();
    });
    let mut limits = Limits::default();
    limits.body_bytes = 64 * 1024;
    let trust_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        trust_dir.path().join(format!("{}.trust", orgs.a.code())),
        b"a trust list",
    )
    .unwrap();
    let service = service(lib, limits)
        .with_status_signer(*orgs.a.code(), std::sync::Arc::new(status_key()))
        .with_trust_lists(trust_dir.path());
    let server = start(service.clone()).await;
    let c = client();
    let lib = service.library();

    // ---- health, metrics, OpenAPI ----
    let r = c.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200, "{label}");
    let doc: Value = c
        .get(server.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listed: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(p, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.to_uppercase(), p.clone()))
        })
        .collect();
    let routes: BTreeSet<(String, String)> = [
        ("GET", "/healthz"),
        ("GET", "/metrics"),
        ("GET", "/openapi.json"),
        ("POST", "/v1/verify"),
        ("POST", "/v1/verify/batch"),
        ("GET", "/v1/licenses"),
        ("POST", "/v1/licenses"),
        ("GET", "/v1/licenses/{id}"),
        ("GET", "/v1/licenses/{id}/verify"),
        ("POST", "/v1/licenses/{id}/suspend"),
        ("POST", "/v1/licenses/{id}/resume"),
        ("POST", "/v1/licenses/{id}/revoke"),
        ("POST", "/v1/licenses/{id}/cancel"),
        ("POST", "/v1/licenses/{id}/renew"),
        ("POST", "/v1/licenses/{id}/change"),
        ("POST", "/v1/licenses/{id}/copies"),
        ("GET", "/v1/uses"),
        ("POST", "/v1/disputes"),
        ("POST", "/v1/disputes/{id}/uphold"),
        ("POST", "/v1/disputes/{id}/reject"),
        ("GET", "/v1/status/{issuer}"),
        ("GET", "/v1/trust-lists/{publisher}"),
    ]
    .iter()
    .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
    .collect();
    assert_eq!(listed, routes, "the OpenAPI document lists every route");
    // Every listed route answers (none is a 404 of the router).
    for (m, p) in &routes {
        let a = orgs.a.code().to_string();
        let path = p
            .replace("{id}", "1")
            .replace("{issuer}", &a)
            .replace("{publisher}", &a);
        let req = if m == "GET" {
            c.get(server.url(&path))
        } else {
            c.post(server.url(&path))
        };
        let r = req.send().await.unwrap();
        assert_ne!(r.status(), StatusCode::NOT_FOUND, "{m} {p}");
        assert_ne!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{m} {p}");
    }
    let (s, code) = error_code(c.get(server.url("/v1/nothing")).send().await.unwrap()).await;
    assert_eq!((s, code.as_str()), (StatusCode::NOT_FOUND, "no_route"));

    // ---- POST /v1/verify ----
    let valid = &docs[0];
    let r: Value = c
        .post(server.url("/v1/verify"))
        .body(valid.as_bytes().to_vec())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["code"], 0, "{label}: {r}");
    assert_eq!(r["valid"], true);
    assert_eq!(r["id"], valid.license().id().to_string());
    assert!(r.get("report").is_none());
    let mut with_newline = valid.as_bytes().to_vec();
    with_newline.extend_from_slice(b"\r\n");
    let r: Value = c
        .post(server.url("/v1/verify"))
        .body(with_newline)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        r["code"], 0,
        "a final line break is not part of the document"
    );
    let full: Value = c
        .post(server.url("/v1/verify?report=full"))
        .body(valid.as_bytes().to_vec())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let steps = full["report"].as_array().unwrap();
    assert!(steps.len() >= 5, "{full}");
    assert!(steps.iter().all(|s| s["outcome"] != "failed"));
    let bad = tampered(&docs[1]);
    let r: Value = c
        .post(server.url("/v1/verify?report=full"))
        .body(bad.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["code"], 3);
    assert!(r["failed_step"].is_string(), "{r}");
    assert!(
        r["report"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["outcome"] == "failed")
    );
    let r: Value = c
        .post(server.url("/v1/verify"))
        .body(docs[3].as_bytes().to_vec())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (r["code"].clone(), r["status"].clone()),
        (json!(2), json!("02"))
    );
    let r: Value = c
        .post(server.url("/v1/verify"))
        .body(docs[5].as_bytes().to_vec())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["code"], 3);
    let r: Value = c
        .post(server.url("/v1/verify"))
        .body(&b"not a license"[..])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["code"], 3);
    assert_eq!(r["failed_step"], "parse");
    // Empty: 400; oversized: 413; bad parameter: 400.
    let (s, code) = error_code(c.post(server.url("/v1/verify")).send().await.unwrap()).await;
    assert_eq!(
        (s, code.as_str()),
        (StatusCode::BAD_REQUEST, "missing_body")
    );
    let (s, code) = error_code(
        c.post(server.url("/v1/verify"))
            .body(vec![b' '; 65 * 1024])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s, code.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
    );
    let (s, _) = error_code(
        c.post(server.url("/v1/verify?report=some"))
            .body(valid.as_bytes().to_vec())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // Concurrent requests (coalesced into batches) answer exactly as the
    // library's single path does, each for its own document.
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        inputs.push(d.as_bytes().to_vec());
        if i % 4 == 0 {
            inputs.push(tampered(d));
        }
    }
    inputs.push(b"{}".to_vec());
    let mut tasks = Vec::new();
    for round in 0..3 {
        for (i, body) in inputs.iter().enumerate() {
            let c = c.clone();
            let url = server.url("/v1/verify");
            let body = body.clone();
            tasks.push(tokio::spawn(async move {
                let v: Value = c
                    .post(url)
                    .body(body)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                (round, i, v)
            }));
        }
    }
    for task in tasks {
        let (_, i, v) = task.await.unwrap();
        assert_eq!(
            reported(&v),
            sync(|| expected(lib, &inputs[i])),
            "{label}: input {i}"
        );
    }

    // ---- POST /v1/verify/batch: verdicts equal the library's, line by line ----
    let mut body = Vec::new();
    let mut n = 0;
    for round in 0..60 {
        for (i, d) in docs.iter().enumerate() {
            if (i + round) % 7 == 0 {
                body.extend_from_slice(&tampered(d));
            } else {
                body.extend_from_slice(d.as_bytes());
            }
            body.push(b'\n');
            n += 1;
        }
        body.extend_from_slice(b"{\"format\":\"nothing\"}\n");
        n += 1;
    }
    let mut want = Vec::new();
    sync(|| {
        BatchVerifier::new(lib.verifier().clone())
            .verify_lines(&body[..], at(), |o| want.push(o))
            .unwrap()
    });
    let resp = c
        .post(server.url("/v1/verify/batch"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "application/x-ndjson",
        "{label}"
    );
    let text = resp.text().await.unwrap();
    let got: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(got.len(), n);
    assert_eq!(want.len(), n);
    let mut rejected = 0;
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g["line"], w.index() + 1);
        assert_eq!(g["valid"], w.is_valid(), "line {}", w.index() + 1);
        assert_eq!(g["failed_step"].as_str(), w.failed_step().map(|s| s.name()));
        assert_eq!(
            g["id"].as_str().map(str::to_owned),
            w.id().map(ToString::to_string)
        );
        rejected += usize::from(!w.is_valid());
    }
    assert!(
        rejected > 60 * 2,
        "the batch mixes valid and rejected lines"
    );

    // ---- tokens ----
    let verify_url = server.url(&format!("/v1/licenses/{}/verify", valid.license().id()));
    let (s, code) = error_code(c.get(&verify_url).send().await.unwrap()).await;
    assert_eq!(
        (s, code.as_str()),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    let r = c
        .get(&verify_url)
        .bearer_auth("elt_0123456789abcdef_nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let mut wrong = t.bank.clone();
    wrong.pop();
    wrong.push(if t.bank.ends_with('A') { 'B' } else { 'A' });
    let r = c.get(&verify_url).bearer_auth(&wrong).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "a changed secret is refused"
    );
    for tok in sync(|| lib.store().tokens().unwrap()) {
        for secret in [&t.bank, &t.other, &t.issuer_a, &t.issuer_b] {
            let s = secret.splitn(3, '_').nth(2).unwrap();
            assert!(s.len() >= 40);
            assert!(!format!("{tok:?}").contains(s), "only the digest is stored");
            assert!(!tok.key_id().contains(s));
        }
    }

    // ---- GET /v1/licenses/{id}/verify ----
    let r: Value = c
        .get(&verify_url)
        .bearer_auth(&t.bank)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["code"], 0);
    let r: Value = c
        .get(format!("{verify_url}?report=full"))
        .bearer_auth(&t.bank)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(r["report"].is_array());
    let unknown =
        LicenseId::from_parts(food(), IssuerCode::Uscc(*orgs.a.code()), "9999999999", 1).unwrap();
    let r: Value = c
        .get(server.url(&format!("/v1/licenses/{unknown}/verify")))
        .bearer_auth(&t.bank)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["code"], 5);
    let (s, code) = error_code(
        c.get(server.url("/v1/licenses/not-an-id/verify"))
            .bearer_auth(&t.bank)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, code.as_str()), (StatusCode::BAD_REQUEST, "identifier"));

    // ---- GET /v1/licenses (search) ----
    let (s, _) = error_code(c.get(server.url("/v1/licenses")).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let holder = valid.license().holder().code().value().to_owned();
    let page: Value = c
        .get(server.url(&format!("/v1/licenses?holder={holder}")))
        .bearer_auth(&t.bank)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{page}");
    assert!(
        entries
            .iter()
            .any(|e| e["id"] == valid.license().id().to_string())
    );
    let page: Value = c
        .get(server.url("/v1/licenses?status=revoked"))
        .bearer_auth(&t.bank)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["entries"].as_array().unwrap().len(), 1);
    assert_eq!(page["entries"][0]["id"], docs[5].license().id().to_string());
    // Keyset pages of 7 over the 40 licenses of type and region.
    let mut seen = BTreeSet::new();
    let mut after: Option<String> = None;
    loop {
        let mut url = format!("/v1/licenses?region=330102&limit=7&type={}", food());
        if let Some(a) = &after {
            url.push_str(&format!("&after={a}"));
        }
        let page: Value = c
            .get(server.url(&url))
            .bearer_auth(&t.bank)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for e in page["entries"].as_array().unwrap() {
            assert_eq!(e["type"], food().to_string());
            assert!(seen.insert(e["id"].as_str().unwrap().to_owned()));
        }
        match page["next"].as_str() {
            Some(n) => after = Some(n.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 20);
    for bad in [
        "holder=123",
        "status=nothing",
        "type=x",
        "limit=5000",
        "valid_at=2026-13-01",
    ] {
        let (s, _) = error_code(
            c.get(server.url(&format!("/v1/licenses?{bad}")))
                .bearer_auth(&t.bank)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
    }

    // ---- GET /v1/licenses/{id} (authorised fetch) and GET /v1/uses ----
    let food_doc = &docs[1];
    let fetch_url = server.url(&format!("/v1/licenses/{}", food_doc.license().id()));
    let (s, _) = error_code(c.get(&fetch_url).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, code) = error_code(c.get(&fetch_url).bearer_auth(&t.bank).send().await.unwrap()).await;
    assert_eq!(
        (s, code.as_str()),
        (StatusCode::BAD_REQUEST, "purpose_required")
    );
    let (s, code) = error_code(
        c.get(&fetch_url)
            .bearer_auth(&t.bank)
            .header("X-Purpose", "x".repeat(201))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, code.as_str()), (StatusCode::BAD_REQUEST, "text"));
    let purpose = reqwest::header::HeaderValue::from_bytes("办理对公账户开户".as_bytes()).unwrap();
    let r = c
        .get(&fetch_url)
        .bearer_auth(&t.bank)
        .header("X-Purpose", purpose.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.bytes().await.unwrap().as_ref(),
        food_doc.as_bytes(),
        "the exact stored bytes"
    );
    // The bank holds no grant for 营业执照; the insurer none at all.
    let biz_url = server.url(&format!("/v1/licenses/{}", valid.license().id()));
    let (s, code) = error_code(
        c.get(&biz_url)
            .bearer_auth(&t.bank)
            .header("X-Purpose", purpose.clone())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, code.as_str()), (StatusCode::FORBIDDEN, "no_permission"));
    let (s, _) = error_code(
        c.get(&fetch_url)
            .bearer_auth(&t.other)
            .header("X-Purpose", purpose.clone())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, code) = error_code(
        c.get(server.url(&format!("/v1/licenses/{unknown}")))
            .bearer_auth(&t.bank)
            .header("X-Purpose", purpose.clone())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, code.as_str()), (StatusCode::NOT_FOUND, "not_found"));
    // Every use and refusal is recorded; the use record is for issuers.
    let food_holder = food_doc.license().holder().code().value().to_owned();
    let (s, code) = error_code(
        c.get(server.url(&format!("/v1/uses?holder={food_holder}")))
            .bearer_auth(&t.bank)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s, code.as_str()),
        (StatusCode::FORBIDDEN, "issuer_role_required")
    );
    let uses: Value = c
        .get(server.url(&format!("/v1/uses?holder={food_holder}")))
        .bearer_auth(&t.issuer_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let results: Vec<(&str, &str)> = uses
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["accessor_name"].as_str().unwrap(),
                u["result"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        results,
        vec![
            ("某某银行杭州分行", "allowed"),
            ("某某银行杭州分行", "no_permission"),
            ("某某保险公司", "no_permission"),
        ],
        "{label}: {uses}"
    );
    assert_eq!(uses[0]["purpose"], "办理对公账户开户");
    let (s, _) = error_code(
        c.get(server.url("/v1/uses"))
            .bearer_auth(&t.issuer_a)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // ---- POST /v1/licenses (issue) ----
    let count = |lib: &ResourceLibrary<S>| sync(|| lib.store().count(&Query::new()).unwrap());
    let before = count(lib);
    let issue_body = json!({
        "type_code": food().to_string(),
        "number": "JY999900000001",
        "holder": {"name": "某某食品有限公司", "code_type": "001", "code": holder_code(777).to_string()},
        "valid_from": "2025-12-01",
        "valid_to": "2030-11-30",
        "fields": {
            "KZ_JYCS": "杭州市上城区某路1号", "KZ_FDDBR": "王五",
            "KZ_JYXM": "预包装食品销售", "KZ_ZTYT": "餐饮服务经营者"
        }
    });
    let (s, code) = error_code(
        c.post(server.url("/v1/licenses"))
            .bearer_auth(&t.bank)
            .json(&issue_body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s, code.as_str()),
        (StatusCode::FORBIDDEN, "issuer_role_required")
    );
    for (bad, want) in [
        (b"{not json".to_vec(), "malformed_body"),
        (b"{\"type_code\": 1}".to_vec(), "malformed_body"),
        (b"".to_vec(), "missing_body"),
    ] {
        let (s, code) = error_code(
            c.post(server.url("/v1/licenses"))
                .bearer_auth(&t.issuer_a)
                .body(bad)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!((s, code.as_str()), (StatusCode::BAD_REQUEST, want));
    }
    let mut missing_field = issue_body.clone();
    missing_field["fields"]
        .as_object_mut()
        .unwrap()
        .remove("KZ_JYCS");
    let (s, code) = error_code(
        c.post(server.url("/v1/licenses"))
            .bearer_auth(&t.issuer_a)
            .json(&missing_field)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, code.as_str()), (StatusCode::BAD_REQUEST, "schema"));
    let mut personal = issue_body.clone();
    personal["holder"] = json!({"name": "张三", "code_type": "111", "code": "110101197608056896"});
    let r = c
        .post(server.url("/v1/licenses"))
        .bearer_auth(&t.issuer_a)
        .json(&personal)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        !r.text().await.unwrap().contains("110101197608056896"),
        "no identity number in an error body"
    );
    assert_eq!(count(lib), before, "refused issues store nothing");
    let r = c
        .post(server.url("/v1/licenses"))
        .bearer_auth(&t.issuer_a)
        .json(&issue_body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{label}");
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let issued = SignedLicense::decode(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(location, format!("/v1/licenses/{}", issued.license().id()));
    assert_eq!(count(lib), before + 1);
    assert_eq!(
        sync(|| lib.verify_id(issued.license().id(), at()).unwrap().code()),
        VerifyCode::Valid
    );
    let new_id = issued.license().id().to_string();

    // ---- lifecycle ----
    let op = |name: &str, id: &str| server.url(&format!("/v1/licenses/{id}/{name}"));
    let reason = json!({"reason": "立案调查"});
    let (s, code) = error_code(
        c.post(op("suspend", &new_id))
            .bearer_auth(&t.issuer_b)
            .json(&reason)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, code.as_str()), (StatusCode::FORBIDDEN, "not_issuer"));
    let (s, code) = error_code(
        c.post(op("suspend", &new_id))
            .bearer_auth(&t.issuer_a)
            .body("{}")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s, code.as_str()),
        (StatusCode::BAD_REQUEST, "malformed_body")
    );
    let r: Value = c
        .post(op("suspend", &new_id))
        .bearer_auth(&t.issuer_a)
        .json(&reason)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["status"], "02");
    let v: Value = c
        .post(server.url("/v1/verify"))
        .body(issued.as_bytes().to_vec())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["code"], 2);
    let (s, code) = error_code(
        c.post(op("suspend", &new_id))
            .bearer_auth(&t.issuer_a)
            .json(&reason)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, code.as_str()), (StatusCode::CONFLICT, "transition"));
    let r: Value = c
        .post(op("resume", &new_id))
        .bearer_auth(&t.issuer_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["status"], "01");
    let r = c
        .post(op("renew", &new_id))
        .bearer_auth(&t.issuer_a)
        .json(&json!({"valid_from": "2026-01-01", "valid_to": "2030-12-31"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{label}");
    let v2 = SignedLicense::decode(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(v2.license().id().version(), 2);
    assert_eq!(v2.license().predecessor(), Some(issued.license().id()));
    let v2_id = v2.license().id().to_string();
    let r = c
        .post(op("change", &v2_id))
        .bearer_auth(&t.issuer_a)
        .json(&json!({"set_fields": {"KZ_FDDBR": "赵六"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v3 = SignedLicense::decode(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(
        v3.license().field("KZ_FDDBR"),
        Some(&FieldValue::from("赵六"))
    );
    let v3_id = v3.license().id().to_string();
    assert_eq!(
        sync(|| lib.verify_id(v2.license().id(), at()).unwrap().code()),
        VerifyCode::Invalid
    );
    let (s, _) = error_code(
        c.post(op("renew", unknown.as_ref()))
            .bearer_auth(&t.issuer_a)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // ---- disputes ----
    let holder777 = holder_code(777).to_string();
    let dispute = |fields: Value| {
        json!({"license": v3_id, "holder_code_type": "001", "holder_code": holder777,
               "fields": fields, "reason": "门牌号有误"})
    };
    let (s, code) = error_code(
        c.post(server.url("/v1/disputes"))
            .bearer_auth(&t.issuer_a)
            .json(&dispute(json!(["KZ_NOPE"])))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s, code.as_str()),
        (StatusCode::BAD_REQUEST, "dispute_field")
    );
    let r: Value = c
        .post(server.url("/v1/disputes"))
        .bearer_auth(&t.issuer_a)
        .json(&dispute(json!(["KZ_JYCS"])))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["state"], "under_review");
    let d1 = r["id"].as_u64().unwrap();
    let v: Value = c
        .post(server.url("/v1/verify"))
        .body(v3.as_bytes().to_vec())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        v["under_review"],
        json!([d1]),
        "a dispute under review is flagged"
    );
    let (s, code) = error_code(
        c.post(server.url(&format!("/v1/disputes/{d1}/uphold")))
            .bearer_auth(&t.issuer_a)
            .json(&json!({"corrections": {"KZ_FDDBR": "某某"}}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s, code.as_str()),
        (StatusCode::BAD_REQUEST, "dispute_field")
    );
    let r = c
        .post(server.url(&format!("/v1/disputes/{d1}/uphold")))
        .bearer_auth(&t.issuer_a)
        .json(&json!({"corrections": {"KZ_JYCS": "杭州市上城区某路2号"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v4 = SignedLicense::decode(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(
        v4.license().field("KZ_JYCS"),
        Some(&FieldValue::from("杭州市上城区某路2号"))
    );
    let (s, code) = error_code(
        c.post(server.url(&format!("/v1/disputes/{d1}/uphold")))
            .bearer_auth(&t.issuer_a)
            .json(&json!({"corrections": {}}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, code.as_str()), (StatusCode::CONFLICT, "dispute_closed"));
    let v4_id = v4.license().id().to_string();
    let r: Value = c
        .post(server.url("/v1/disputes"))
        .bearer_auth(&t.issuer_a)
        .json(
            &json!({"license": v4_id, "holder_code_type": "001", "holder_code": holder777,
                      "fields": ["KZ_JYXM"], "reason": "经营项目不全"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let d2 = r["id"].as_u64().unwrap();
    let (s, _) = error_code(
        c.post(server.url(&format!("/v1/disputes/{d2}/reject")))
            .bearer_auth(&t.issuer_b)
            .json(&json!({"reason": "与申请材料一致"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let r: Value = c
        .post(server.url(&format!("/v1/disputes/{d2}/reject")))
        .bearer_auth(&t.issuer_a)
        .json(&json!({"reason": "与申请材料一致"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["state"], "rejected");
    let (s, code) = error_code(
        c.post(server.url("/v1/disputes/999999/reject"))
            .bearer_auth(&t.issuer_a)
            .json(&json!({"reason": "x"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s, code.as_str()),
        (StatusCode::NOT_FOUND, "unknown_dispute")
    );

    // ---- annotated copies ----
    let copy_url = server.url(&format!("/v1/licenses/{v4_id}/copies"));
    let copy_body = json!({"valid_until": "2026-01-31T00:00:00Z"});
    let (s, _) = error_code(
        c.post(&copy_url)
            .bearer_auth(&t.other)
            .header("X-Purpose", purpose.clone())
            .json(&copy_body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let r = c
        .post(&copy_url)
        .bearer_auth(&t.bank)
        .header("X-Purpose", purpose.clone())
        .json(&copy_body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{label}");
    let copy = r.bytes().await.unwrap();
    let p = Purpose::new("办理对公账户开户").unwrap();
    assert!(matches!(
        sync(|| lib.verify_copy(&copy, &p, orgs.bank.code(), at()).unwrap()),
        CopyCheck::Valid(_)
    ));

    // ---- lifecycle endings: revoke and cancel ----
    let r: Value = c
        .post(op("revoke", &v4_id))
        .bearer_auth(&t.issuer_a)
        .json(&json!({"reason": "吊销"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["status"], "07");
    let id7 = docs[7].license().id().to_string();
    let r: Value = c
        .post(op("cancel", &id7))
        .bearer_auth(&t.issuer_a)
        .json(&json!({"reason": "申请注销"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["status"], "04");

    // ---- metrics ----
    let text = c
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("elicense_http_requests_total{route=\"/v1/verify\",status=\"200\"}"));
    assert!(
        text.contains("elicense_http_requests_total{route=\"/v1/licenses/{id}\",status=\"403\"}")
    );
    assert!(text.contains("elicense_http_request_duration_seconds_bucket{le=\"+Inf\"}"));
    let verified: u64 = text
        .lines()
        .find(|l| l.starts_with("elicense_licenses_verified_total{result=\"valid\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(verified > 2000, "{verified}");
    assert!(!text.contains(&holder), "no holder code in metrics");

    shutdown(server).await;
}

async fn shutdown(mut server: Server) {
    let _ = server.stop.take().unwrap().send(());
    server.done.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_every_endpoint_and_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("library.db")).unwrap();
    let ledger = store.ledger();
    let (lib, orgs, docs) = library(store, Box::new(ledger), 40);
    scenario(lib, orgs, docs, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_every_endpoint_and_refusal() {
    let (lib, orgs, docs) = library(MemoryStore::new(), Box::new(MemoryLedger::new()), 40);
    scenario(lib, orgs, docs, "memory").await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_every_endpoint_and_refusal() {
    const VAR: &str = "ELICENSE_TEST_PG_URL";
    let Ok(url) = std::env::var(VAR) else {
        eprintln!("SKIPPED: PostgreSQL service test: set {VAR} to run it");
        return;
    };
    let schema = format!(
        "elicense_svc_{:08x}_{:08x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    // The synchronous client never runs on an async worker: the library is
    // built on the blocking pool, and the scenario's own calls to it run in
    // `block_in_place`.
    let (lib, orgs, docs) = tokio::task::spawn_blocking({
        let (url, schema) = (url.clone(), schema.clone());
        move || {
            let opts = PostgresOptions::new().schema(&schema).unwrap();
            let store = PostgresStore::connect_with(&url, &opts)
                .unwrap_or_else(|e| panic!("{VAR} is set but PostgreSQL cannot be used: {e}"));
            let ledger = store.ledger();
            library(store, Box::new(ledger), 40)
        }
    })
    .await
    .unwrap();
    scenario(lib, orgs, docs, "postgres").await;
    tokio::task::spawn_blocking(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
            .unwrap();
    })
    .await
    .unwrap();
}

/// A request in flight when shutdown starts is finished: a batch whose body
/// is still being sent gets every verdict; new connections are refused after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_requests_in_flight() {
    let (lib, _orgs, docs) = library(MemoryStore::new(), Box::new(MemoryLedger::new()), 10);
    let server = start(service(lib, Limits::default())).await;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let body = reqwest::Body::wrap_stream(futures_util::stream::unfold(rx, |mut rx| async {
        rx.recv().await.map(|item| (item, rx))
    }));
    let url = server.url("/v1/verify/batch");
    let request = tokio::spawn(async move { client().post(url).body(body).send().await });
    let mut first = Vec::new();
    for d in &docs[..5] {
        first.extend_from_slice(d.as_bytes());
        first.push(b'\n');
    }
    tx.send(Ok(first)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let Server {
        addr,
        mut stop,
        done,
    } = server;
    let _ = stop.take().unwrap().send(());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !done.is_finished(),
        "the server waits for the request in flight"
    );
    let mut rest = Vec::new();
    for d in &docs[5..] {
        rest.extend_from_slice(d.as_bytes());
        rest.push(b'\n');
    }
    tx.send(Ok(rest)).await.unwrap();
    drop(tx);
    let resp = request.await.unwrap().unwrap();
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 10);
    assert!(lines.iter().all(|l| l["valid"] == true), "{text}");
    tokio::time::timeout(Duration::from_secs(10), done)
        .await
        .expect("the server stops once the request is done")
        .unwrap()
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no new connections after shutdown"
    );
}

/// Requests that take longer than the limit are answered 408.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_requests_time_out() {
    let (lib, _orgs, _docs) = library(MemoryStore::new(), Box::new(MemoryLedger::new()), 1);
    let mut limits = Limits::default();
    limits.timeout = Duration::from_millis(200);
    let server = start(service(lib, limits)).await;
    // A body that never ends: the request times out while it is read.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    tx.send(Ok(b"{".to_vec())).await.unwrap();
    let body = reqwest::Body::wrap_stream(futures_util::stream::unfold(rx, |mut rx| async {
        rx.recv().await.map(|item| (item, rx))
    }));
    let r = client()
        .post(server.url("/v1/verify"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::REQUEST_TIMEOUT);
    drop(tx);
    shutdown(server).await;
}

#[allow(dead_code)]
fn assert_send<S: ServiceStore>(s: Service<S>) -> impl Send {
    s
}

fn etag(r: &reqwest::Response) -> String {
    r.headers()
        .get("etag")
        .expect("an ETag")
        .to_str()
        .unwrap()
        .to_owned()
}

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// `GET /v1/status/{issuer}` and `GET /v1/trust-lists/{publisher}`: public,
/// a strong ETag of the bytes, 304 for a held ETag, 404 for the unknown; the
/// snapshot verifies under the issuer's status key and shows the store's
/// statuses, and a change through the service is published at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_snapshots_and_trust_lists_are_published_with_etags() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("library.db")).unwrap();
    let ledger = store.ledger();
    let (lib, orgs, docs) = library(store, Box::new(ledger), 12);
    let t = sync(|| tokens(&lib, &orgs));
    sync(|| {
        lib.revoke(docs[2].license().id(), "test", "吊销", at())
            .unwrap();
        lib.suspend(docs[4].license().id(), "test", "立案调查", at())
            .unwrap();
    });
    let trust = tempfile::tempdir().unwrap();
    let b_list = b"ELTL opaque signed trust list of B \x00\x01\x02".to_vec();
    std::fs::write(
        trust.path().join(format!("{}.trust", orgs.b.code())),
        &b_list,
    )
    .unwrap();
    let service = service(lib, Limits::default())
        .with_status_signer(*orgs.a.code(), std::sync::Arc::new(status_key()))
        .with_trust_lists(trust.path());
    assert_eq!(service.status_issuers(), vec![*orgs.a.code()]);
    let server = start(service).await;
    let c = client();
    let status_url = server.url(&format!("/v1/status/{}", orgs.a.code()));

    // ---- the snapshot: 200, a strong ETag, what the store holds ----
    let r = c.get(&status_url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/octet-stream");
    let cache = r.headers()["cache-control"].to_str().unwrap().to_owned();
    assert!(cache.starts_with("public, max-age="), "{cache}");
    let tag = etag(&r);
    let bytes = r.bytes().await.unwrap();
    let snap = StatusSnapshot::from_signed_bytes(&bytes, &status_key().public_key()).unwrap();
    assert_eq!(tag, format!("\"{}\"", hex(&snap.digest())));
    assert_eq!(snap.issuer(), &IssuerCode::Uscc(*orgs.a.code()));
    assert_eq!(snap.issued_at(), at());
    assert!(snap.next_update() > at());
    assert_eq!(snap.not_in_force_count(), 2);
    let standing = |s: &StatusSnapshot, i: usize| s.standing(docs[i].license().id(), at());
    assert!(matches!(
        standing(&snap, 2),
        LicenseStanding::NotInForce {
            status: LicenseStatus::Revoked,
            ..
        }
    ));
    assert!(matches!(
        standing(&snap, 4),
        LicenseStanding::NotInForce {
            status: LicenseStatus::Suspended,
            ..
        }
    ));
    assert_eq!(standing(&snap, 0), LicenseStanding::InForce);
    // Another key does not verify it.
    assert!(
        StatusSnapshot::from_signed_bytes(&bytes, &SigningKey::from_seed(&[7; 32]).public_key())
            .is_err()
    );

    // ---- conditional requests ----
    for held in [
        tag.clone(),
        format!("W/{tag}"),
        format!("\"00\", {tag}"),
        "*".to_owned(),
    ] {
        let r = c
            .get(&status_url)
            .header("if-none-match", &held)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED, "{held}");
        assert_eq!(etag(&r), tag);
        assert!(r.bytes().await.unwrap().is_empty());
    }
    let r = c
        .get(&status_url)
        .header("if-none-match", "\"00\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(etag(&r), tag, "nothing changed: the same snapshot");
    assert_eq!(r.bytes().await.unwrap(), bytes);

    // ---- a change through the service is published at once ----
    let r = c
        .post(server.url(&format!("/v1/licenses/{}/revoke", docs[6].license().id())))
        .bearer_auth(&t.issuer_a)
        .json(&json!({"reason": "吊销"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .get(&status_url)
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the held snapshot is out of date");
    let tag2 = etag(&r);
    assert_ne!(tag2, tag);
    let snap2 =
        StatusSnapshot::from_signed_bytes(&r.bytes().await.unwrap(), &status_key().public_key())
            .unwrap();
    assert_eq!(snap2.not_in_force_count(), 3);
    assert!(matches!(
        standing(&snap2, 6),
        LicenseStanding::NotInForce {
            status: LicenseStatus::Revoked,
            ..
        }
    ));
    // An offline verifier answers from it.
    let verified = sync(|| {
        let v = Verifier::new(LicenseTypes::builtin())
            .with_trust_anchors(TrustAnchors::new().with(
                Certificate::from_pem(include_str!("../../tests/data/pki/root.cert.pem")).unwrap(),
            ))
            .with_status(SnapshotStatus::new(
                [snap2],
                std::sync::Arc::new(InMemoryStatus::complete_revocation_list()),
            ));
        (
            v.verify(docs[0].as_bytes(), at()).is_ok(),
            v.verify(docs[6].as_bytes(), at()).is_ok(),
        )
    });
    assert_eq!(verified, (true, false));

    // ---- unknown issuers ----
    for bad in [
        orgs.b.code().to_string(),
        "91330100MA0000000X".to_owned(),
        "not-a-code".to_owned(),
        "..%2F..%2Fetc%2Fpasswd".to_owned(),
    ] {
        let (s, code) = error_code(
            c.get(server.url(&format!("/v1/status/{bad}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (s, code.as_str()),
            (StatusCode::NOT_FOUND, "unknown_issuer"),
            "{bad}"
        );
    }

    // ---- trust lists ----
    let list_url = server.url(&format!("/v1/trust-lists/{}", orgs.b.code()));
    let r = c.get(&list_url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let ltag = etag(&r);
    use sha2::Digest as _;
    assert_eq!(ltag, format!("\"{}\"", hex(&sha2::Sha256::digest(&b_list))));
    assert_eq!(r.bytes().await.unwrap(), b_list);
    let r = c
        .get(&list_url)
        .header("if-none-match", &ltag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    // A new list published: a new ETag.
    let newer = b"ELTL the next trust list of B".to_vec();
    std::fs::write(
        trust.path().join(format!("{}.trust", orgs.b.code())),
        &newer,
    )
    .unwrap();
    let r = c
        .get(&list_url)
        .header("if-none-match", &ltag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_ne!(etag(&r), ltag);
    assert_eq!(r.bytes().await.unwrap(), newer);
    // A file beside the lists that is no publisher's is never served.
    std::fs::write(trust.path().join("secret.trust"), b"no").unwrap();
    for bad in [
        orgs.a.code().to_string(),
        "secret".to_owned(),
        "..%2Fsecret".to_owned(),
        format!("{}%2F..%2Fsecret", orgs.b.code()),
    ] {
        let (s, code) = error_code(
            c.get(server.url(&format!("/v1/trust-lists/{bad}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (s, code.as_str()),
            (StatusCode::NOT_FOUND, "unknown_publisher"),
            "{bad}"
        );
    }
    shutdown(server).await;
}
