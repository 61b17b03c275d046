#![no_main]
//! Arbitrary signature records → the batch equation (IFMA lanes where the
//! CPU has them) gives every signature the single rule's verdict.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    elicense::fuzzing::batch_signatures(data);
});
