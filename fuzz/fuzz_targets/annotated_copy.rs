#![no_main]
//! Arbitrary bytes → annotated-copy (加注件) verification: never panics, never
//! accepts a copy the library's copy maker did not make.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    elicense::fuzzing::annotated_copy(data);
});
