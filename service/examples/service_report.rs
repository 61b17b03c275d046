//! Service load report: starts the service on 127.0.0.1 over a real SQLite
//! store of sealed licenses, drives it with a bounded in-process HTTP/1.1
//! client (a fixed number of requests on keep-alive connections; it stops by
//! itself) and measures, in the same run, the library's in-process rates on
//! the same documents.
//!
//! `cargo run --release -p elicense-service --example service_report`
//! (`-- --licenses N --requests N --connections N --batch-lines N` to change
//! the sizes, `--verify-workers N --server-threads N` to try other settings).
//!
//! The client runs in the same process on the same cores as the server: the
//! request rate is what the server reaches while sharing the machine with
//! its load generator, a lower bound of what it does alone.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs,
    reason = "a measurement harness, not library code"
)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use elicense::*;
use elicense_service::Limits;
use http_body_util::{BodyExt, Full};

struct Args {
    licenses: usize,
    requests: usize,
    connections: usize,
    batch_lines: usize,
    verify_workers: usize,
    server_threads: usize,
}

fn args() -> Args {
    let mut a = Args {
        licenses: 20_000,
        requests: 200_000,
        connections: 64,
        batch_lines: 100_000,
        verify_workers: Limits::default().verify_workers,
        server_threads: 2,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v: usize = it
            .next()
            .and_then(|v| v.replace('_', "").parse().ok())
            .unwrap_or_else(|| panic!("{flag} needs a number"));
        match flag.as_str() {
            "--licenses" => a.licenses = v.max(1),
            "--requests" => a.requests = v.max(1),
            "--connections" => a.connections = v.max(1),
            "--batch-lines" => a.batch_lines = v.max(1),
            "--verify-workers" => a.verify_workers = v.max(1),
            "--server-threads" => a.server_threads = v.max(1),
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

/// One connection's run: `n` sequential requests, their latencies and errors.
async fn drive(
    addr: SocketAddr,
    docs: Arc<Vec<Bytes>>,
    first: usize,
    n: usize,
) -> (Vec<Duration>, usize) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let io = hyper_util::rt::TokioIo::new(stream);
    let (mut tx, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
    tokio::spawn(conn);
    let mut lat = Vec::with_capacity(n);
    let mut errors = 0;
    for k in 0..n {
        let doc = docs[(first + k) % docs.len()].clone();
        let req = hyper::Request::post("/v1/verify")
            .header("host", "127.0.0.1")
            .header("content-type", "application/json")
            .body(Full::new(doc))
            .unwrap();
        let started = Instant::now();
        let ok = match tx.send_request(req).await {
            Ok(resp) => {
                let status = resp.status();
                match resp.into_body().collect().await {
                    Ok(body) => status == 200 && body.to_bytes().starts_with(b"{\"code\":0,"),
                    Err(_) => false,
                }
            }
            Err(_) => false,
        };
        lat.push(started.elapsed());
        if !ok {
            errors += 1;
            // A broken connection stays broken: count the rest as errors.
            if tx.ready().await.is_err() {
                errors += n - k - 1;
                break;
            }
        }
    }
    (lat, errors)
}

async fn verify_load(
    addr: SocketAddr,
    docs: &Arc<Vec<Bytes>>,
    requests: usize,
    connections: usize,
) -> (f64, Vec<Duration>, usize) {
    let per = requests.div_ceil(connections);
    let started = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|c| tokio::spawn(drive(addr, Arc::clone(docs), c * per, per)))
        .collect();
    let mut lat = Vec::with_capacity(per * connections);
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.unwrap();
        lat.extend(l);
        errors += e;
    }
    let secs = started.elapsed().as_secs_f64();
    lat.sort_unstable();
    (lat.len() as f64 / secs, lat, errors)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

/// Posts `body` to the batch route; licenses per second and lines not valid.
async fn batch_load(addr: SocketAddr, body: Bytes, lines: usize) -> (f64, usize) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let io = hyper_util::rt::TokioIo::new(stream);
    let (mut tx, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
    tokio::spawn(conn);
    let req = hyper::Request::post("/v1/verify/batch")
        .header("host", "127.0.0.1")
        .header("content-type", "application/x-ndjson")
        .body(Full::new(body))
        .unwrap();
    let started = Instant::now();
    let resp = tx.send_request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    let mut body = resp.into_body();
    let (mut seen, mut invalid) = (0usize, 0usize);
    let mut tail = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.unwrap().into_data() else {
            continue;
        };
        tail.extend_from_slice(&data);
        let mut start = 0;
        while let Some(nl) = tail[start..].iter().position(|&b| b == b'\n') {
            let line = &tail[start..start + nl];
            seen += 1;
            if !line.windows(12).any(|w| w == b"\"valid\":true") {
                invalid += 1;
            }
            start += nl + 1;
        }
        tail.drain(..start);
    }
    let secs = started.elapsed().as_secs_f64();
    (seen as f64 / secs, invalid + lines.abs_diff(seen))
}

fn main() {
    let a = args();
    println!(
        "service_report: {} licenses in SQLite, {} POST /v1/verify on {} keep-alive connections, a batch of {} lines",
        a.licenses, a.requests, a.connections, a.batch_lines
    );
    let dir = tempfile::tempdir().unwrap();
    let made = Instant::now();
    let store = SqliteStore::open(dir.path().join("library.db")).unwrap();
    let ledger = store.ledger();
    let (lib, _orgs, signed) = support::library(store, Box::new(ledger), a.licenses);
    println!(
        "  issued and stored {} sealed licenses in {:.1} s ({} bytes each on average)",
        signed.len(),
        made.elapsed().as_secs_f64(),
        signed.iter().map(|d| d.as_bytes().len()).sum::<usize>() / signed.len()
    );
    let docs: Arc<Vec<Bytes>> = Arc::new(
        signed
            .iter()
            .map(|d| Bytes::copy_from_slice(d.as_bytes()))
            .collect(),
    );
    drop(signed);
    let mut batch = Vec::new();
    for i in 0..a.batch_lines {
        batch.extend_from_slice(&docs[i % docs.len()]);
        batch.push(b'\n');
    }
    let batch = Bytes::from(batch);
    let at = support::at();
    let mut limits = Limits::default();
    limits.verify_workers = a.verify_workers;
    let service = support::service(lib, limits);

    // ---- the library in process, same documents, same machine ----
    let lib = service.library();
    let n_single = a.requests.min(10_000);
    let started = Instant::now();
    let mut bad = 0;
    for i in 0..n_single {
        if !lib
            .verify_bytes(&docs[i % docs.len()], at)
            .unwrap()
            .is_valid()
        {
            bad += 1;
        }
    }
    let lib_single = n_single as f64 / started.elapsed().as_secs_f64();
    assert_eq!(bad, 0, "every document verifies in process");
    let refs: Vec<&[u8]> = (0..a.requests.min(100_000))
        .map(|i| docs[i % docs.len()].as_ref())
        .collect();
    let started = Instant::now();
    let results = lib
        .verify_bytes_batch(service.batch_verifier(), &refs, at)
        .unwrap();
    let lib_coalesced = refs.len() as f64 / started.elapsed().as_secs_f64();
    assert!(results.iter().all(VerifyResult::is_valid));
    drop(refs);
    println!(
        "  library in process: ResourceLibrary::verify_bytes (one thread) {lib_single:.0}/s; verify_bytes_batch (what the coalescer calls) {lib_coalesced:.0}/s"
    );
    let in_process_batch = || {
        let started = Instant::now();
        let summary = service
            .batch_verifier()
            .verify_lines(std::io::BufReader::new(batch.as_ref()), at, |_| {})
            .unwrap();
        assert_eq!(summary.valid, a.batch_lines);
        summary.total as f64 / started.elapsed().as_secs_f64()
    };

    // ---- the service on loopback ----
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(a.server_threads)
        .enable_all()
        .thread_name("server")
        .build()
        .unwrap();
    let server = server_rt.block_on(async { support::start(service.clone()).await });
    let addr = server.addr;
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("client")
        .build()
        .unwrap();
    let (rps, lat, errors) = client_rt.block_on(async {
        // Warm-up: connections, caches, the coalescer's threads.
        let _ = verify_load(addr, &docs, a.connections * 50, a.connections).await;
        verify_load(addr, &docs, a.requests, a.connections).await
    });
    let (p50, p99, max) = (pct(&lat, 0.50), pct(&lat, 0.99), pct(&lat, 1.0));
    println!(
        "  POST /v1/verify: {} requests, {rps:.0} requests/s, p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms, {errors} errors",
        lat.len()
    );
    // The batch route and the in-process batch verifier, alternately, three
    // times (the machine is shared: the best of each is compared).
    let (mut lib_batch, mut batch_rate, mut batch_errors) = (0f64, 0f64, 0);
    for round in 1..=3 {
        let lib_rate = in_process_batch();
        let (rate, bad) =
            client_rt.block_on(async { batch_load(addr, batch.clone(), a.batch_lines).await });
        println!(
            "  round {round}: BatchVerifier::verify_lines in process {lib_rate:.0} licenses/s; POST /v1/verify/batch {} lines, {rate:.0} licenses/s, {bad} not valid or missing",
            a.batch_lines
        );
        lib_batch = lib_batch.max(lib_rate);
        batch_rate = batch_rate.max(rate);
        batch_errors += bad;
    }
    let mut server = server;
    if let Some(stop) = server.stop.take() {
        let _ = stop.send(());
    }
    drop(client_rt);
    drop(server_rt);
    let errors = errors + batch_errors;
    println!(
        "  best of 3: in-process BatchVerifier {lib_batch:.0}/s, batch route {batch_rate:.0}/s; ratios: verify route / library verify_bytes (1 thread) {:.2}; batch route / in-process BatchVerifier {:.2}",
        rps / lib_single,
        batch_rate / lib_batch
    );
    println!(
        "service_report: verify_rps={rps:.0} verify_p99_ms={p99:.2} batch_licenses_per_s={batch_rate:.0} errors={errors} vs_library={:.2}",
        batch_rate / lib_batch
    );
}
