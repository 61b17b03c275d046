//! Single verification of a sealed license — seal, seal maker's chain and
//! signer's chain included — fresh and with seal and chain verdicts cached,
//! each beside raw ed25519-dalek `verify_strict` of the same seal-signature
//! message in the same run. `cargo bench --bench seal`.

#![allow(
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a benchmark harness, not library code"
)]

use std::hint::black_box;
use std::time::Duration;

mod util;
use util::per_call;

use criterion::{Criterion, criterion_group};
use elicense::*;

#[path = "../tests/suite/fixtures.rs"]
#[allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]
mod fixtures;
#[path = "../tests/suite/seal.rs"]
#[allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod seal;

struct Inputs {
    bytes: Vec<u8>,
    verifier: Verifier,
    at: Timestamp,
    vk: ed25519_dalek::VerifyingKey,
    message: Vec<u8>,
    sig: ed25519_dalek::Signature,
}

fn inputs() -> Inputs {
    let doc = seal::sealed_food();
    let s = &doc.signatures()[0];
    let key = s
        .signer()
        .certificate()
        .and_then(|c| c.ed25519_key().ok())
        .copied();
    let vk = key
        .and_then(|k| ed25519_dalek::VerifyingKey::from_bytes(k.as_bytes()).ok())
        .unwrap_or_default();
    Inputs {
        message: s.message(),
        sig: ed25519_dalek::Signature::from_bytes(s.signature().as_bytes()),
        bytes: doc.into_bytes(),
        verifier: seal::seal_verifier(),
        at: fixtures::now(),
        vk,
    }
}

fn benches(c: &mut Criterion) {
    let i = inputs();
    assert!(i.verifier.verify(&i.bytes, i.at).is_ok());
    let mut g = c.benchmark_group("sealed_single_verify");
    g.bench_function("elicense_fresh", |b| {
        b.iter(|| i.verifier.verify(black_box(&i.bytes), i.at).is_ok())
    });
    let mut cache = VerifyCache::new();
    g.bench_function("elicense_cached", |b| {
        b.iter(|| {
            i.verifier
                .verify_cached(black_box(&i.bytes), i.at, &mut cache)
                .is_ok()
        })
    });
    g.bench_function("baseline_dalek_verify_strict", |b| {
        b.iter(|| i.vk.verify_strict(black_box(&i.message), &i.sig).is_ok())
    });
    g.finish();
}

fn summary() {
    let i = inputs();
    let mut cache = VerifyCache::new();
    let fresh = per_call(500, 9, || {
        black_box(i.verifier.verify(black_box(&i.bytes), i.at).is_ok());
    });
    let cached = per_call(2_000, 9, || {
        black_box(
            i.verifier
                .verify_cached(black_box(&i.bytes), i.at, &mut cache)
                .is_ok(),
        );
    });
    let strict = per_call(2_000, 9, || {
        black_box(i.vk.verify_strict(black_box(&i.message), &i.sig).is_ok());
    });
    println!(
        "\nsealed single verification (same run, medians, 1 thread, {} byte document)",
        i.bytes.len()
    );
    println!("{:<44} {:>10} {:>12}", "", "µs/license", "vs strict");
    for (name, ns) in [
        ("elicense verify (seal + both chains fresh)", fresh),
        ("elicense verify_cached (seal, chains cached)", cached),
        ("raw ed25519-dalek verify_strict", strict),
    ] {
        println!("{name:<44} {:>10.1} {:>11.2}x", ns / 1000.0, ns / strict);
    }
}

criterion_group! {
    name = group;
    config = Criterion::default()
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    targets = benches
}

fn main() {
    group();
    Criterion::default().final_summary();
    summary();
}
