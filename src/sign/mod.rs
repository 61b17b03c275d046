//! Keys, signatures and issuing: Ed25519 over documented canonical bytes.
//!
//! * [`SigningKey`] / [`PublicKey`] / [`Signature`] wrap ed25519-dalek.
//! * [`Signer`] is what an HSM implements: it is handed the exact message bytes.
//! * The signature rule (strict encodings, cofactored equation) is the same for
//!   single and batch verification; see docs/ARCHITECTURE.md.

pub(crate) mod ed25519;
mod keys;

pub use keys::{KeyError, PublicKey, Signature, SignatureError, SigningKey};

/// Signing failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The signing backend (an HSM, a remote signer) failed.
    #[error("signing backend failed: {reason}")]
    Backend {
        /// What the backend said (must not contain secrets).
        reason: String,
    },
    /// The backend returned a signature that does not verify under its own
    /// public key (a faulty or misconfigured signer); nothing was issued.
    #[error("the signer returned a signature that does not verify under its public key")]
    FaultySignature,
    /// Too many signatures on one document.
    #[error("a document carries at most {max} signatures")]
    TooManySignatures {
        /// The limit.
        max: usize,
    },
    /// The document could not be built (an element out of its limits).
    #[error("{reason}")]
    Document {
        /// Why.
        reason: String,
    },
}

impl SignError {
    /// A backend failure, for [`Signer`] implementations.
    pub fn backend(reason: impl core::fmt::Display) -> SignError {
        SignError::Backend {
            reason: reason.to_string(),
        }
    }
}

/// Something that makes Ed25519 signatures with one key: an in-memory
/// [`SigningKey`], an HSM, a remote signing service.
///
/// It is given the exact bytes to sign (docs/FORMAT.md, "signature message") and
/// must return a pure Ed25519 (RFC 8032) signature over them. Every signature is
/// verified under [`Signer::public_key`] before it is used, so a faulty signer
/// cannot issue an unverifiable license.
pub trait Signer: Send + Sync {
    /// The public key whose signatures this signer makes.
    fn public_key(&self) -> PublicKey;

    /// Signs `message` with Ed25519.
    fn sign(&self, message: &[u8]) -> Result<Signature, SignError>;
}

impl<S: Signer + ?Sized> Signer for &S {
    fn public_key(&self) -> PublicKey {
        (**self).public_key()
    }
    fn sign(&self, message: &[u8]) -> Result<Signature, SignError> {
        (**self).sign(message)
    }
}

impl<S: Signer + ?Sized> Signer for Box<S> {
    fn public_key(&self) -> PublicKey {
        (**self).public_key()
    }
    fn sign(&self, message: &[u8]) -> Result<Signature, SignError> {
        (**self).sign(message)
    }
}

impl<S: Signer + ?Sized> Signer for std::sync::Arc<S> {
    fn public_key(&self) -> PublicKey {
        (**self).public_key()
    }
    fn sign(&self, message: &[u8]) -> Result<Signature, SignError> {
        (**self).sign(message)
    }
}
