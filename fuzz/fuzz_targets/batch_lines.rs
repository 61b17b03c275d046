#![no_main]
//! Arbitrary bytes as JSON Lines → batch verifier and single verifier give
//! every line the same result.
use libfuzzer_sys::fuzz_target;

const ROOT: &str = include_str!("../../tests/data/pki/root.cert.pem");
const FOOD_TYPE: &str = include_str!("../../tests/data/food_type.json");

fuzz_target!(|data: &[u8]| {
    elicense::fuzzing::batch_lines(data, ROOT, FOOD_TYPE);
});
