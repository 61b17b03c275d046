#![no_main]
//! Arbitrary text → every identifier parser: never panics, and what parses
//! prints back to the same text.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    elicense::fuzzing::id_parse(data);
});
