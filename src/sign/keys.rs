//! Ed25519 keys and signatures, wrapped so no dependency type is in our API.

use core::fmt;

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use ed25519_dalek::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey,
    spki::der::pem::LineEnding,
};
use sha2::Digest;
use zeroize::Zeroizing;

use super::{SignError, Signer};

/// A key could not be generated, imported or exported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The bytes are not an Ed25519 point.
    #[error("not an Ed25519 public key (the point does not decompress)")]
    NotOnCurve,
    /// A public key of small order: it would make signatures that verify for
    /// almost any message, so it is refused.
    #[error("weak public key (small-order point) refused")]
    WeakKey,
    /// Wrong length.
    #[error("expected {expected} bytes, found {found}")]
    Length {
        /// Expected length.
        expected: usize,
        /// Actual length.
        found: usize,
    },
    /// PKCS#8 / SPKI DER or PEM that could not be read or written (the message
    /// never contains key material).
    #[error("PKCS#8/SPKI encoding: {reason}")]
    Encoding {
        /// What the decoder said.
        reason: String,
    },
    /// Not an SM2 key on the recommended curve (feature `gm`).
    #[cfg(feature = "gm")]
    #[error("not an SM2 key: {reason}")]
    Sm2 {
        /// Why.
        reason: &'static str,
    },
    /// The operating system's random source failed.
    #[error("random source failed: {reason}")]
    Random {
        /// What failed.
        reason: String,
    },
}

/// An Ed25519 signature (64 bytes, `R || S`). Its validity is only decided by
/// verification; any 64 bytes can be held.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature([u8; 64]);

impl Signature {
    /// From its 64 bytes.
    pub fn from_bytes(bytes: [u8; 64]) -> Signature {
        Signature(bytes)
    }

    /// From a slice of exactly 64 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Signature, KeyError> {
        <[u8; 64]>::try_from(bytes)
            .map(Signature)
            .map_err(|_| KeyError::Length {
                expected: 64,
                found: bytes.len(),
            })
    }

    /// The 64 bytes.
    pub fn to_bytes(&self) -> [u8; 64] {
        self.0
    }

    /// The 64 bytes, borrowed.
    pub fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }

    /// `R`, the first half.
    pub(crate) fn r_bytes(&self) -> [u8; 32] {
        let mut r = [0u8; 32];
        r.copy_from_slice(self.0.get(..32).unwrap_or(&[0u8; 32]));
        r
    }

    /// `S`, the second half.
    pub(crate) fn s_bytes(&self) -> [u8; 32] {
        let mut s = [0u8; 32];
        s.copy_from_slice(self.0.get(32..).unwrap_or(&[0u8; 32]));
        s
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", crate::model::hex(&self.0))
    }
}

/// An Ed25519 public key that is a valid point and not of small order.
///
/// Equality and hashing are on the 32-byte encoding.
#[derive(Clone, Copy)]
pub struct PublicKey {
    bytes: [u8; 32],
    point: EdwardsPoint,
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}
impl Eq for PublicKey {}
impl core::hash::Hash for PublicKey {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

impl PublicKey {
    /// From the 32-byte encoding. Refuses bytes that are not a point and
    /// small-order ("weak") points.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<PublicKey, KeyError> {
        let point = CompressedEdwardsY(*bytes)
            .decompress()
            .ok_or(KeyError::NotOnCurve)?;
        if point.is_small_order() {
            return Err(KeyError::WeakKey);
        }
        Ok(PublicKey {
            bytes: *bytes,
            point,
        })
    }

    /// From a slice of exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<PublicKey, KeyError> {
        let arr = <[u8; 32]>::try_from(bytes).map_err(|_| KeyError::Length {
            expected: 32,
            found: bytes.len(),
        })?;
        PublicKey::from_bytes(&arr)
    }

    /// From a `PUBLIC KEY` PEM (SubjectPublicKeyInfo, RFC 8410).
    pub fn from_public_key_pem(pem: &str) -> Result<PublicKey, KeyError> {
        let vk = ed25519_dalek::VerifyingKey::from_public_key_pem(pem).map_err(encoding)?;
        PublicKey::from_bytes(vk.as_bytes())
    }

    /// From SubjectPublicKeyInfo DER (RFC 8410).
    pub fn from_public_key_der(der: &[u8]) -> Result<PublicKey, KeyError> {
        let vk = ed25519_dalek::VerifyingKey::from_public_key_der(der).map_err(encoding)?;
        PublicKey::from_bytes(vk.as_bytes())
    }

    /// As a `PUBLIC KEY` PEM (SubjectPublicKeyInfo, RFC 8410), LF line endings.
    pub fn to_public_key_pem(&self) -> Result<String, KeyError> {
        self.dalek()?
            .to_public_key_pem(LineEnding::LF)
            .map_err(encoding)
    }

    fn dalek(&self) -> Result<ed25519_dalek::VerifyingKey, KeyError> {
        ed25519_dalek::VerifyingKey::from_bytes(&self.bytes).map_err(|_| KeyError::NotOnCurve)
    }

    /// The 32-byte encoding.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// SHA-256 of the 32-byte encoding: how documents name a raw signing key.
    pub fn fingerprint(&self) -> [u8; 32] {
        sha2::Sha256::digest(self.bytes).into()
    }

    /// Verifies `signature` over `message` under this crate's signature rule
    /// (docs/ARCHITECTURE.md, "The signature rule"): the same verdict as the batch
    /// verifier gives.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), SignatureError> {
        super::ed25519::verify(self, &[message], signature)
    }

    pub(crate) fn point(&self) -> &EdwardsPoint {
        &self.point
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", crate::model::hex(&self.bytes))
    }
}

/// A signature is invalid. Deliberately opaque, as in ed25519-dalek: which
/// internal check failed is not reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid signature")]
pub struct SignatureError;

fn encoding<E: fmt::Display>(e: E) -> KeyError {
    KeyError::Encoding {
        reason: e.to_string(),
    }
}

/// An Ed25519 signing key held in memory. The secret is zeroized on drop and
/// never printed (`Debug` shows the public key only).
pub struct SigningKey {
    inner: ed25519_dalek::SigningKey,
    public: PublicKey,
}

impl SigningKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<SigningKey, KeyError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut_slice()).map_err(|e| KeyError::Random {
            reason: e.to_string(),
        })?;
        Ok(SigningKey::from_seed(&seed))
    }

    /// From a 32-byte seed (RFC 8032 private key). Keep the seed secret.
    pub fn from_seed(seed: &[u8; 32]) -> SigningKey {
        SigningKey::from_dalek(ed25519_dalek::SigningKey::from_bytes(seed))
    }

    fn from_dalek(inner: ed25519_dalek::SigningKey) -> SigningKey {
        let vk = inner.verifying_key();
        // A clamped secret scalar times the base point has prime order, so this
        // cannot fail; fall back to the unchecked point rather than panic.
        let public = PublicKey::from_bytes(vk.as_bytes()).unwrap_or(PublicKey {
            bytes: vk.to_bytes(),
            point: vk.to_edwards(),
        });
        SigningKey { inner, public }
    }

    /// From an unencrypted PKCS#8 `PRIVATE KEY` PEM (RFC 8410). If the document
    /// carries the public key too, it must match.
    pub fn from_pkcs8_pem(pem: &str) -> Result<SigningKey, KeyError> {
        ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
            .map(SigningKey::from_dalek)
            .map_err(encoding)
    }

    /// From unencrypted PKCS#8 DER (RFC 8410).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<SigningKey, KeyError> {
        ed25519_dalek::SigningKey::from_pkcs8_der(der)
            .map(SigningKey::from_dalek)
            .map_err(encoding)
    }

    /// As an unencrypted PKCS#8 v2 `PRIVATE KEY` PEM (with the public key), LF
    /// line endings; zeroized when dropped.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        self.inner.to_pkcs8_pem(LineEnding::LF).map_err(encoding)
    }

    /// As unencrypted PKCS#8 v2 DER; zeroized when dropped.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        self.inner
            .to_pkcs8_der()
            .map(|doc| Zeroizing::new(doc.as_bytes().to_vec()))
            .map_err(encoding)
    }

    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        self.public
    }

    /// Signs a message (RFC 8032 Ed25519, deterministic).
    pub fn sign_message(&self, message: &[u8]) -> Signature {
        use ed25519_dalek::Signer as _;
        Signature(self.inner.sign(message).to_bytes())
    }

    /// The secret scalar and nonce prefix, for tests that must craft signatures
    /// no honest signer makes (torsion components).
    #[cfg(test)]
    pub(crate) fn dalek(&self) -> &ed25519_dalek::SigningKey {
        &self.inner
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl Signer for SigningKey {
    fn public_key(&self) -> PublicKey {
        self.public
    }

    fn sign(&self, message: &[u8]) -> Result<Signature, SignError> {
        Ok(self.sign_message(message))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn pkcs8_round_trip_and_no_secret_in_debug() {
        let key = SigningKey::from_seed(&[7u8; 32]);
        let pem = key.to_pkcs8_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let back = SigningKey::from_pkcs8_pem(&pem).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        let der = key.to_pkcs8_der().unwrap();
        assert_eq!(
            SigningKey::from_pkcs8_der(&der).unwrap().public_key(),
            key.public_key()
        );
        let debug = format!("{key:?}");
        assert!(debug.contains("PublicKey("));
        assert!(!debug.contains(&crate::model::hex(&[7u8; 32])));
        let pub_pem = key.public_key().to_public_key_pem().unwrap();
        assert_eq!(
            PublicKey::from_public_key_pem(&pub_pem).unwrap(),
            key.public_key()
        );
    }

    #[test]
    fn pkcs8_errors_are_typed() {
        assert!(matches!(
            SigningKey::from_pkcs8_pem(
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
            ),
            Err(KeyError::Encoding { .. })
        ));
        assert!(matches!(
            SigningKey::from_pkcs8_der(&[0x30, 0x03, 0x02, 0x01, 0x00]),
            Err(KeyError::Encoding { .. })
        ));
    }

    #[test]
    fn weak_keys_refused() {
        // The identity (0, 1) and the order-2 point (0, -1): small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(PublicKey::from_bytes(&identity), Err(KeyError::WeakKey));
        let minus_one: [u8; 32] = {
            let mut b = [0xffu8; 32];
            b[0] = 0xec;
            b[31] = 0x7f;
            b
        };
        assert_eq!(PublicKey::from_bytes(&minus_one), Err(KeyError::WeakKey));
        // Every small-order point is refused.
        for t in crate::sign::ed25519::tests::eight_torsion() {
            assert_eq!(
                PublicKey::from_bytes(&t.compress().to_bytes()),
                Err(KeyError::WeakKey)
            );
        }
        assert_eq!(
            PublicKey::from_slice(&[1u8; 31]),
            Err(KeyError::Length {
                expected: 32,
                found: 31
            })
        );
    }

    #[test]
    fn generated_keys_sign_and_verify() {
        let key = SigningKey::generate().unwrap();
        let sig = key.sign_message(b"hello");
        key.public_key().verify(b"hello", &sig).unwrap();
        assert_eq!(key.public_key().verify(b"hellO", &sig), Err(SignatureError));
    }
}
