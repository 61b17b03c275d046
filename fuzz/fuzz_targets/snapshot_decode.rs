#![no_main]
//! Arbitrary bytes → status snapshot decoder: never panics, and whatever
//! decodes re-encodes to its own body.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    elicense::fuzzing::snapshot_decode(data);
});
