//! Entry points shared by the fuzz targets under `fuzz/` and by the test that
//! replays their corpora. Not a stable API. Each function panics only when a
//! property of the crate is violated — that is what the fuzzer looks for.

use crate::document::SignedLicense;
use crate::ids::{
    CitizenId, HolderCode, HolderCodeType, LicenseId, LicenseTypeCode, RegionCode, Uscc,
};

/// Arbitrary bytes through the document decoder: never panics; whatever
/// decodes has a license whose canonical encoding is exactly the bytes it was
/// decoded from, and verification of it (with no trust) fails cleanly.
#[expect(clippy::panic, reason = "a fuzz property violation must abort")]
pub fn license_decode(data: &[u8]) {
    if let Ok(doc) = SignedLicense::decode(data) {
        if doc.license().to_canonical_bytes() != doc.license_bytes() {
            panic!("decoded license does not re-encode to its bytes");
        }
        if doc.as_bytes() != data {
            panic!("document bytes changed by decoding");
        }
        let verifier = crate::Verifier::new(crate::LicenseTypes::new());
        if verifier.verify(data, crate::Timestamp::MIN).is_ok() {
            panic!("a document verified with no trusted key");
        }
    }
}

/// Arbitrary text through every identifier parser: never panics, and what
/// parses prints back as the same text.
#[expect(clippy::panic, reason = "a fuzz property violation must abort")]
pub fn id_parse(data: &[u8]) {
    let Ok(s) = core::str::from_utf8(data) else {
        return;
    };
    fn same(ok: bool) {
        if !ok {
            panic!("identifier does not print back as parsed");
        }
    }
    if let Ok(v) = Uscc::parse(s) {
        same(v.as_str() == s);
    }
    if let Ok(v) = CitizenId::parse(s) {
        same(v.as_str() == s);
    }
    if let Ok(v) = RegionCode::parse(s) {
        same(v.as_str() == s);
    }
    if let Ok(v) = LicenseTypeCode::parse(s) {
        same(v.as_str() == s);
    }
    if let Ok(v) = LicenseId::parse(s) {
        same(v.as_str() == s);
        let rebuilt = LicenseId::from_parts(*v.type_code(), *v.issuer(), v.serial(), v.version());
        same(rebuilt.is_ok_and(|r| r == v));
    }
    if let Ok(t) = HolderCodeType::parse(s) {
        same(t.as_str() == s);
    }
    if let Some((t, v)) = s.split_once(':')
        && let Ok(code) = HolderCode::new(t, v)
    {
        same(code.value() == v && code.code_type().as_str() == t);
    }
}
