//! Signature algorithms other than Ed25519 in the crate's own signed form:
//! SM2-SM3 with feature `gm` (src/gm/license.rs), refused with
//! [`Failure::UnsupportedAlgorithm`] without it. The single and batch paths
//! both come here, so their verdicts agree.

use crate::document::{Algorithm, LicenseSignature};
use crate::seal::Seal;
use crate::sign::ed25519;

use super::Failure;

/// The signature-value checks of signature `index`, whose algorithm is not
/// Ed25519 (key, then signature).
pub(crate) fn check_signature(index: usize, s: &LicenseSignature) -> Result<(), Failure> {
    match s.tbs().algorithm() {
        #[cfg(feature = "gm")]
        Algorithm::Sm2Sm3 => crate::gm::license::verify_signature(index, s),
        algorithm => Err(Failure::UnsupportedAlgorithm { index, algorithm }),
    }
}

/// Whether the seal maker's certificate has a key of the seal's algorithm.
pub(crate) fn seal_maker_key(index: usize, seal: &Seal) -> Result<(), Failure> {
    let key = match seal.algorithm() {
        Algorithm::Ed25519 => seal
            .maker()
            .ed25519_key()
            .map(|_| ())
            .map_err(|e| e.to_string()),
        #[cfg(feature = "gm")]
        Algorithm::Sm2Sm3 => crate::gm::license::seal_maker_key(seal),
        #[allow(unreachable_patterns)]
        algorithm => return Err(Failure::UnsupportedAlgorithm { index, algorithm }),
    };
    key.map_err(|reason| Failure::SealMakerKey { index, reason })
}

/// Whether the seal maker's signature is valid (fresh; caches call this).
pub(crate) fn seal_signature_valid(seal: &Seal) -> bool {
    match seal.algorithm() {
        Algorithm::Ed25519 => seal.maker().ed25519_key().is_ok_and(|key| {
            ed25519::verify(
                key,
                &[crate::seal::SEAL_CONTEXT, seal.info_bytes()],
                seal.signature(),
            )
            .is_ok()
        }),
        #[cfg(feature = "gm")]
        Algorithm::Sm2Sm3 => crate::gm::license::seal_signature_valid(seal),
        #[allow(unreachable_patterns)]
        _ => false,
    }
}
