#![no_main]
//! Arbitrary bytes → signed-license decoder and verifier: never panics, and
//! whatever decodes re-encodes to exactly the input bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    elicense::fuzzing::license_decode(data);
});
