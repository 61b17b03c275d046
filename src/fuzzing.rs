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

/// Arbitrary bytes through the seal decoder: never panics; whatever decodes
/// keeps exactly the input as its bytes, and its info bytes are a slice of them.
#[expect(clippy::panic, reason = "a fuzz property violation must abort")]
pub fn seal_decode(data: &[u8]) {
    if let Ok(seal) = crate::seal::Seal::decode(data) {
        if seal.as_bytes() != data {
            panic!("seal bytes changed by decoding");
        }
        let info = seal.info_bytes();
        if info.is_empty() || !data.windows(info.len()).any(|w| w == info) {
            panic!("seal info bytes are not a slice of the seal");
        }
        let _ = seal.binds_maker();
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

/// Arbitrary bytes as a DER certificate: never panics; whatever parses keeps
/// its exact bytes and round-trips through PEM, and path validation of it
/// (against the given root, with the given intermediate and itself as
/// intermediates, a small budget) ends in a verdict.
#[expect(clippy::panic, reason = "a fuzz property violation must abort")]
pub fn cert_chain(data: &[u8], root_pem: &str, intermediate_pem: &str) {
    use crate::cert::{CertUsage, Certificate, ChainPolicy, TrustAnchors, verify_chain};
    use crate::status::{InMemoryStatus, UnknownStatus};

    let Ok(cert) = Certificate::from_der(data) else {
        return;
    };
    if cert.der() != data {
        panic!("certificate bytes changed by parsing");
    }
    if Certificate::from_pem(&cert.to_pem()).ok().as_ref() != Some(&cert) {
        panic!("certificate does not round-trip through PEM");
    }
    let (Ok(root), Ok(signer_ca)) = (
        Certificate::from_pem(root_pem),
        Certificate::from_pem(intermediate_pem),
    ) else {
        panic!("the anchor or intermediate given to the target does not parse");
    };
    let at = crate::Timestamp::from_unix(1_772_323_200).unwrap_or(crate::Timestamp::MIN);
    let policy = ChainPolicy::default()
        .with_max_depth(4)
        .with_max_signature_checks(4);
    let result = verify_chain(
        &cert,
        &[signer_ca, cert.clone()],
        &TrustAnchors::new().with(root),
        at,
        CertUsage::Signer,
        &policy,
        &InMemoryStatus::complete_revocation_list(),
        UnknownStatus::Deny,
    );
    match result {
        Ok(chain) => {
            if chain.leaf() != &cert || chain.certificates().len() < 2 {
                panic!("a verified chain does not start at its leaf");
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}
