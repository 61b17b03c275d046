#![no_main]
//! Arbitrary bytes → X.509 DER parser and certificate path validation: never
//! panics, and whatever parses keeps its exact bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    elicense::fuzzing::cert_chain(data);
});
