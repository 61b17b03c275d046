#![no_main]
//! Arbitrary bytes as an annotated copy presented to a library with a real
//! copy maker's seal: never panics, never verifies.
use libfuzzer_sys::fuzz_target;

const PKI: elicense::fuzzing::CopyPki<'static> = elicense::fuzzing::CopyPki {
    root: include_str!("../../tests/data/pki/root.cert.pem"),
    seal_maker_cert: include_str!("../../tests/data/pki/seal_maker.cert.pem"),
    seal_maker_key: include_str!("../../tests/data/pki/seal_maker.key.pem"),
    signer_cert: include_str!("../../tests/data/pki/signer_b.cert.pem"),
    signer_key: include_str!("../../tests/data/pki/signer_b.key.pem"),
    signer_ca: include_str!("../../tests/data/pki/signer_ca.cert.pem"),
};

fuzz_target!(|data: &[u8]| {
    elicense::fuzzing::annotated_copy(data, &PKI);
});
