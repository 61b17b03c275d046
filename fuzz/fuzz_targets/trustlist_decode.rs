#![no_main]
//! Arbitrary bytes → trust list decoder: never panics, and whatever decodes
//! re-encodes to the same bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    elicense::fuzzing::trustlist_decode(data);
});
