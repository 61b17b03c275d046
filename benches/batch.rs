//! Batch verification of sealed licenses (all threads) beside raw
//! ed25519-dalek `verify_batch` (1024) and a `verify_strict` loop over the
//! same (message, signature, key) triples, in the same run.
//! `cargo bench --bench batch`; examples/batch_report.rs prints the full table.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a benchmark harness, not library code"
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use elicense::*;
use rayon::prelude::*;

#[path = "../tests/suite/fixtures.rs"]
mod fixtures;
#[path = "../tests/suite/seal.rs"]
mod seal;

const N: usize = 4096;

fn docs() -> Vec<SignedLicense> {
    (0..N)
        .into_par_iter()
        .map(|i| {
            let mut d = seal::sealed_license().to_data();
            d.number = format!("JY1{i:015}");
            d.id = LicenseId::from_parts(d.type_code, *d.id.issuer(), &format!("25{i:08}"), 1)
                .unwrap();
            d.predecessor = None;
            let at = fixtures::ts("2025-05-22T02:00:00Z");
            SignedLicense::seal(License::new(d).unwrap(), &seal::sealer_a(), at).unwrap()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let docs = docs();
    let bytes: Vec<Vec<u8>> = docs.iter().map(|d| d.as_bytes().to_vec()).collect();
    let trip: Vec<(
        Vec<u8>,
        ed25519_dalek::Signature,
        ed25519_dalek::VerifyingKey,
    )> = docs
        .iter()
        .map(|d| {
            let s = &d.signatures()[0];
            let k = s.signer().certificate().unwrap().ed25519_key().unwrap();
            (
                s.message(),
                ed25519_dalek::Signature::from_bytes(s.signature().as_bytes()),
                ed25519_dalek::VerifyingKey::from_bytes(k.as_bytes()).unwrap(),
            )
        })
        .collect();
    let batch = BatchVerifier::new(seal::seal_verifier());
    let at = fixtures::now();
    assert!(
        batch
            .verify_slice(&bytes, at)
            .iter()
            .all(BatchOutcome::is_valid)
    );

    let mut g = c.benchmark_group("batch_4096_sealed_licenses");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(10);
    g.bench_function("elicense_batch_verifier", |b| {
        b.iter(|| batch.verify_slice(black_box(&bytes), at).len())
    });
    g.bench_function("baseline_dalek_verify_batch_1024", |b| {
        b.iter(|| {
            trip.par_chunks(1024)
                .map(|c| {
                    let m: Vec<&[u8]> = c.iter().map(|t| t.0.as_slice()).collect();
                    let s: Vec<_> = c.iter().map(|t| t.1).collect();
                    let k: Vec<_> = c.iter().map(|t| t.2).collect();
                    ed25519_dalek::verify_batch(&m, &s, &k).is_ok()
                })
                .filter(|ok| *ok)
                .count()
        })
    });
    g.bench_function("baseline_dalek_verify_strict_loop", |b| {
        b.iter(|| {
            trip.par_iter()
                .filter(|t| t.2.verify_strict(&t.0, &t.1).is_ok())
                .count()
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
