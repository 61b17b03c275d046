//! Foundation benchmarks: canonical encoding, decoding, signing and single
//! verification, each beside its baseline measured in the same run
//! (serde_json_canonicalizer for the encoder, raw ed25519-dalek for signing and
//! `verify_strict` for verification, on the same message).
//!
//! `cargo bench --bench foundation`; a summary table with ratios is printed at
//! the end.

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
#[allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]
mod fixtures;

struct Inputs {
    license: License,
    doc: SignedLicense,
    verifier: Verifier,
    at: Timestamp,
    key: SigningKey,
    dalek_key: ed25519_dalek::SigningKey,
    message: Vec<u8>,
    dalek_sig: ed25519_dalek::Signature,
    value: serde_json::Value,
}

fn inputs() -> Inputs {
    let license = fixtures::food_license();
    let doc = fixtures::signed_food();
    let message = doc.signatures()[0].message();
    let dalek_key = ed25519_dalek::SigningKey::from_bytes(&[0x11; 32]);
    use ed25519_dalek::Signer as _;
    let dalek_sig = dalek_key.sign(&message);
    let value = serde_json::from_slice(doc.license_bytes()).unwrap_or_default();
    Inputs {
        license,
        doc,
        verifier: fixtures::verifier(),
        at: fixtures::now(),
        key: fixtures::issuer_key(),
        dalek_key,
        message,
        dalek_sig,
        value,
    }
}

fn benches(c: &mut Criterion) {
    let i = inputs();
    let mut g = c.benchmark_group("canonical_encode");
    g.bench_function("elicense", |b| {
        b.iter(|| black_box(&i.license).to_canonical_bytes())
    });
    g.bench_function("baseline_serde_json_canonicalizer", |b| {
        b.iter(|| serde_json_canonicalizer::to_vec(black_box(&i.value)))
    });
    g.finish();

    let mut g = c.benchmark_group("decode");
    g.bench_function("elicense_strict_decode", |b| {
        b.iter(|| SignedLicense::decode(black_box(i.doc.as_bytes())))
    });
    g.bench_function("baseline_serde_json_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(i.doc.as_bytes())))
    });
    g.finish();

    let mut g = c.benchmark_group("sign");
    g.bench_function("elicense_issue", |b| {
        b.iter(|| SignedLicense::sign(black_box(i.license.clone()), &i.key, i.at))
    });
    g.bench_function("baseline_dalek_sign", |b| {
        use ed25519_dalek::Signer as _;
        b.iter(|| i.dalek_key.sign(black_box(&i.message)))
    });
    g.finish();

    let mut g = c.benchmark_group("single_verify");
    g.bench_function("elicense_verify", |b| {
        b.iter(|| i.verifier.verify(black_box(i.doc.as_bytes()), i.at))
    });
    let vk = i.dalek_key.verifying_key();
    g.bench_function("baseline_dalek_verify_strict", |b| {
        b.iter(|| vk.verify_strict(black_box(&i.message), &i.dalek_sig))
    });
    g.finish();
}

fn summary() {
    let i = inputs();
    let vk = i.dalek_key.verifying_key();
    let rows = [
        (
            "canonical encode (license)",
            per_call(20_000, 9, || {
                black_box(black_box(&i.license).to_canonical_bytes());
            }),
            "serde_json_canonicalizer",
            per_call(5_000, 9, || {
                black_box(serde_json_canonicalizer::to_vec(black_box(&i.value)).ok());
            }),
        ),
        (
            "issue (encode + sign + self-check)",
            per_call(2_000, 9, || {
                black_box(SignedLicense::sign(i.license.clone(), &i.key, i.at).ok());
            }),
            "dalek sign",
            per_call(2_000, 9, || {
                use ed25519_dalek::Signer as _;
                black_box(i.dalek_key.sign(black_box(&i.message)));
            }),
        ),
        (
            "single verify (decode + all steps)",
            per_call(2_000, 9, || {
                black_box(i.verifier.verify(black_box(i.doc.as_bytes()), i.at).is_ok());
            }),
            "dalek verify_strict",
            per_call(2_000, 9, || {
                black_box(
                    vk.verify_strict(black_box(&i.message), &i.dalek_sig)
                        .is_ok(),
                );
            }),
        ),
    ];
    println!("\nfoundation summary (same run, medians, 1 thread)");
    println!(
        "{:<38} {:>10}   {:<26} {:>10}   {:>7}",
        "elicense", "ns/op", "baseline", "ns/op", "ratio"
    );
    for (ours, ns, base, base_ns) in rows {
        println!(
            "{ours:<38} {ns:>10.0}   {base:<26} {base_ns:>10.0}   {:>6.2}x",
            ns / base_ns
        );
    }
    println!("(ratio = elicense time / baseline time; lower is better)");
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
