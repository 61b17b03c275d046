#![no_main]
//! Arbitrary bytes → seal decoder: never panics, and whatever decodes is its
//! own canonical bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    elicense::fuzzing::seal_decode(data);
});
