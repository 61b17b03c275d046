#![no_main]
//! Arbitrary bytes → GB/T 38540 DER decoder (feature gm): never panics, and
//! whatever decodes re-encodes exactly and is refused without trust.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    elicense::fuzzing::ses_seal_decode(data);
});
