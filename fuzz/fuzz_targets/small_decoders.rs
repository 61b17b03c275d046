#![no_main]
//! Arbitrary bytes → license-type JSON, PKCS#8/SPKI keys, dates, timestamps.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    elicense::fuzzing::small_decoders(data);
});
