#![no_main]
//! Random operation sequences on the in-memory model and on SQLite (in
//! memory): every observable result must be the same.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    elicense::fuzzing::store_ops(data);
});
