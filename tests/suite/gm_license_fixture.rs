//! An SM2-sealed license document (tests/data/gm/, made by
//! `gm_license::generate`), read with or without feature `gm`: without it,
//! both verifiers refuse it with a typed unsupported-algorithm failure.

#[cfg(not(feature = "gm"))]
use crate::fixtures::*;
use elicense::*;

pub fn load() -> (Vec<u8>, Certificate) {
    let dir = format!("{}/tests/data/gm", env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read(format!("{dir}/sm2_sealed.json")).unwrap();
    let root =
        Certificate::from_der(&std::fs::read(format!("{dir}/sm2_root.der")).unwrap()).unwrap();
    (doc, root)
}

#[test]
fn the_document_decodes_in_every_build() {
    let (doc, _) = load();
    let d = SignedLicense::decode(&doc).unwrap();
    assert_eq!(d.signatures()[0].tbs().algorithm(), Algorithm::Sm2Sm3);
    assert_eq!(
        d.signatures()[0].seal().unwrap().algorithm(),
        Algorithm::Sm2Sm3
    );
    assert_eq!(Algorithm::Sm2Sm3.as_str(), "SM2-SM3");
}

#[cfg(not(feature = "gm"))]
#[test]
fn without_gm_both_paths_refuse_it_as_unsupported() {
    let (doc, root) = load();
    let v = Verifier::new(LicenseTypes::new().with(food_type()))
        .with_trust_anchors(TrustAnchors::new().with(root))
        .with_status(InMemoryStatus::complete_revocation_list());
    let r = v.verify(&doc, now()).unwrap_err();
    assert_eq!(r.step(), Step::SignatureValue);
    assert_eq!(
        r.failure(),
        &Failure::UnsupportedAlgorithm {
            index: 0,
            algorithm: Algorithm::Sm2Sm3
        }
    );
    assert_eq!(r.failure().kind(), "unsupported_algorithm");
    let out = BatchVerifier::new(v.clone()).verify_slice(&[&doc, &doc], now());
    for o in out {
        assert_eq!(o.result(), &Err(r.clone()));
    }
}
