#![no_main]
//! Arbitrary bytes → presentation (亮证码) decoder: never panics, and
//! whatever decodes round-trips and is refused without a known issuer.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    elicense::fuzzing::present_decode(data);
});
