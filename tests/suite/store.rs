//! The license store: one conformance suite run against every backend
//! (in-memory model, SQLite, and PostgreSQL when `ELICENSE_TEST_PG_URL` is
//! set), durability under SIGKILL, readers beside a writer, retries, and the
//! model-vs-SQLite fuzz property on random operation sequences.

mod conformance;
mod durability;
#[cfg(feature = "postgres")]
mod postgres;
pub mod support;

/// The fuzz property (model and SQLite agree) on pseudo-random operation
/// sequences, so `cargo test` exercises it beyond the committed corpus.
#[test]
fn store_ops_random_sequences() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..120 {
        let len = 40 + round * 3;
        let data: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        elicense::fuzzing::store_ops(&data);
    }
}
