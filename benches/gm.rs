//! SM2-sealed licenses (`"alg":"SM2-SM3"`) verified single and through the
//! batch verifier, beside Ed25519-sealed licenses single and batch, in the
//! same run. SM2 has no batch equation: the batch verifier checks SM2
//! signatures one by one (on all threads), Ed25519 ones in one equation per
//! run of 512. `cargo bench --features gm --bench gm` prints
//! `gm_report: sm2_verify_per_s=… ed25519_single_per_s=… ed25519_batch_per_s=… sm2_batch_per_s=… sm2_vs_ed25519_single=…`.
//!
//! "single" is one thread through `Verifier::verify_cached` (seal-maker
//! signatures and certificate chains remembered, as a long-running verifier
//! does: one license signature per document); "fresh" is `Verifier::verify`
//! (every seal and certificate signature checked again: four signatures per
//! document); "batch" is `BatchVerifier::verify_slice` on every thread.
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
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use elicense::*;
use rayon::prelude::*;

#[path = "../tests/suite/fixtures.rs"]
mod fixtures;
#[path = "../tests/suite/gm_license.rs"]
mod gm_license;
#[path = "../tests/suite/seal.rs"]
mod seal;

/// Documents per batch measurement.
const N: usize = 2048;

fn numbered(i: usize) -> License {
    let mut d = seal::sealed_license().to_data();
    d.number = format!("JY1{i:015}");
    d.id = LicenseId::from_parts(d.type_code, *d.id.issuer(), &format!("25{i:08}"), 1).unwrap();
    d.predecessor = None;
    License::new(d).unwrap()
}

fn docs(sealer: &Sealer<Box<dyn Signer>>) -> Vec<Vec<u8>> {
    let at = fixtures::ts("2025-05-22T02:00:00Z");
    (0..N)
        .into_par_iter()
        .map(|i| {
            SignedLicense::seal(numbered(i), sealer, at)
                .unwrap()
                .into_bytes()
        })
        .collect()
}

/// Best of `rounds` runs of `f` over `n` documents, in documents per second.
fn rate(n: usize, rounds: usize, mut f: impl FnMut()) -> f64 {
    (0..rounds)
        .map(|_| {
            let t = Instant::now();
            f();
            n as f64 / t.elapsed().as_secs_f64()
        })
        .fold(0.0, f64::max)
}

fn bench(c: &mut Criterion) {
    let pki = gm_license::sm2_pki(0x31);
    let verifier = gm_license::verifier_for(&pki);
    let sm2 = docs(&gm_license::sm2_sealer(&pki));
    let ed = docs(&seal::sealer_a().boxed());
    let at = fixtures::now();
    let batch = BatchVerifier::new(verifier.clone());
    for set in [&sm2, &ed] {
        assert!(
            batch
                .verify_slice(set, at)
                .iter()
                .all(BatchOutcome::is_valid)
        );
        assert!(verifier.verify(&set[0], at).is_ok());
    }

    // One thread, cached and fresh.
    let single = |set: &[Vec<u8>]| {
        let mut cache = VerifyCache::new();
        for d in set {
            assert!(verifier.verify_cached(black_box(d), at, &mut cache).is_ok());
        }
    };
    let fresh = |set: &[Vec<u8>]| {
        for d in set {
            assert!(verifier.verify(black_box(d), at).is_ok());
        }
    };
    let few = 256;
    let sm2_single = rate(few, 5, || single(&sm2[..few]));
    let ed_single = rate(few, 5, || single(&ed[..few]));
    let sm2_fresh = rate(few, 3, || fresh(&sm2[..few]));
    let ed_fresh = rate(few, 3, || fresh(&ed[..few]));
    // All threads through the batch verifier.
    let ed_batch = rate(N, 5, || {
        black_box(batch.verify_slice(&ed, at).len());
    });
    let sm2_batch = rate(N, 3, || {
        black_box(batch.verify_slice(&sm2, at).len());
    });
    // Half and half, interleaved.
    let mixed: Vec<&[u8]> = sm2
        .iter()
        .zip(&ed)
        .flat_map(|(a, b)| [a.as_slice(), b.as_slice()])
        .take(N)
        .collect();
    let mixed_batch = rate(N, 3, || {
        black_box(batch.verify_slice(&mixed, at).len());
    });
    println!(
        "gm_report: sm2_verify_per_s={sm2_single:.0} ed25519_single_per_s={ed_single:.0} \
         ed25519_batch_per_s={ed_batch:.0} sm2_batch_per_s={sm2_batch:.0} \
         sm2_vs_ed25519_single={:.3} sm2_fresh_per_s={sm2_fresh:.0} \
         ed25519_fresh_per_s={ed_fresh:.0} mixed_batch_per_s={mixed_batch:.0} threads={}",
        sm2_single / ed_single,
        rayon::current_num_threads()
    );

    let mut g = c.benchmark_group("gm_sealed_licenses_single_thread_256");
    g.throughput(Throughput::Elements(few as u64));
    g.sample_size(10);
    g.bench_function("sm2_verify_cached", |b| b.iter(|| single(&sm2[..few])));
    g.bench_function("ed25519_verify_cached", |b| b.iter(|| single(&ed[..few])));
    g.finish();
    let mut g = c.benchmark_group("gm_sealed_licenses_batch_2048");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(10);
    g.bench_function("sm2_batch_verifier", |b| {
        b.iter(|| batch.verify_slice(black_box(&sm2), at).len())
    });
    g.bench_function("ed25519_batch_verifier", |b| {
        b.iter(|| batch.verify_slice(black_box(&ed), at).len())
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
