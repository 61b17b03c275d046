//! SM2 in the crate's own signed form (docs/FORMAT.md §3–§5, algorithm
//! `"SM2-SM3"`): seals made and licenses sealed with SM2 keys of SM2
//! certificates, and their verification.
//!
//! The messages are the same as Ed25519's — `SIGNATURE_CONTEXT ‖ to-be-signed
//! bytes` for a license signature, `SEAL_CONTEXT ‖ info bytes` for a seal —
//! signed with SM2 (SM3 of `Z ‖ message`, GB/T 32918.2) for the standard user
//! id `1234567812345678`; the 64-byte value is `r ‖ s`.

use crate::cert::Certificate;
use crate::document::{LicenseSignature, SIGNATURE_CONTEXT, SignerRef};
use crate::seal::{SEAL_CONTEXT, Seal, SealError};
use crate::sign::{SignError, Signature};
use crate::verify::Failure;

use super::{SM2_DEFAULT_USER_ID, Sm2Signature, Sm2SigningKey};

/// Checks that `key` is the SM2 key of `cert`, for the standard user id.
pub(crate) fn check_sealer_key(cert: &Certificate, key: &Sm2SigningKey) -> Result<(), SealError> {
    let public = cert
        .sm2_key()
        .map_err(|e| SealError::MakerCertificate(e.to_string()))?;
    if key.public_key().user_id() != SM2_DEFAULT_USER_ID {
        return Err(SealError::Invalid {
            field: "signer",
            reason: "SM2 seals and seal signatures use the standard user id 1234567812345678",
        });
    }
    if public.to_sec1() != key.public_key().to_sec1() {
        return Err(SealError::MakerKeyMismatch);
    }
    Ok(())
}

/// Signs `message` with `key`, checking the signature before it is used.
pub(crate) fn sign(key: &Sm2SigningKey, message: &[u8]) -> Result<Signature, SignError> {
    let sig = key.sign(message);
    key.public_key()
        .verify(message, &sig)
        .map_err(|_| SignError::FaultySignature)?;
    Ok(Signature::from_bytes(sig.to_bytes()))
}

/// The key check and signature check of an `SM2-SM3` license signature,
/// with the failures of the signature-value step.
pub(crate) fn verify_signature(index: usize, s: &LicenseSignature) -> Result<(), Failure> {
    let SignerRef::Certificate { cert, .. } = s.signer() else {
        return Err(Failure::SignerKey {
            index,
            reason: "an SM2-SM3 signature is made by a certificate, not a raw key".into(),
        });
    };
    let key = cert.sm2_key().map_err(|e| Failure::SignerKey {
        index,
        reason: e.to_string(),
    })?;
    let sig = Sm2Signature::from_bytes(s.signature().as_bytes());
    let message = [SIGNATURE_CONTEXT, s.tbs_bytes()].concat();
    key.verify(&message, &sig)
        .map_err(|_| Failure::InvalidSignature { index })
}

/// Whether the seal maker's certificate has a usable SM2 key.
pub(crate) fn seal_maker_key(seal: &Seal) -> Result<(), String> {
    seal.maker()
        .sm2_key()
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Whether the seal maker's SM2 signature is valid.
pub(crate) fn seal_signature_valid(seal: &Seal) -> bool {
    seal.maker().sm2_key().is_ok_and(|key| {
        let sig = Sm2Signature::from_bytes(seal.signature().as_bytes());
        key.verify(&[SEAL_CONTEXT, seal.info_bytes()].concat(), &sig)
            .is_ok()
    })
}
