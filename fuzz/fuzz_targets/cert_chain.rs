#![no_main]
//! Arbitrary bytes → X.509 DER parser and certificate path validation against
//! the test PKI's root: never panics, and whatever parses keeps its exact bytes.
use libfuzzer_sys::fuzz_target;

const ROOT: &str = include_str!("../../tests/data/pki/root.cert.pem");
const SIGNER_CA: &str = include_str!("../../tests/data/pki/signer_ca.cert.pem");

fuzz_target!(|data: &[u8]| {
    elicense::fuzzing::cert_chain(data, ROOT, SIGNER_CA);
});
