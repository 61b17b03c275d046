//! Errors of certificate parsing ([`CertError`]) and path validation ([`ChainError`]).

use crate::date::Timestamp;

/// A certificate (or a PEM text of certificates) could not be read, or its
/// key cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    /// The input is larger than the limit; nothing was parsed.
    #[error("{what} of {found} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// What was too large (`"certificate DER"`, `"PEM text"`).
        what: &'static str,
        /// The limit in bytes.
        max: usize,
        /// The size found.
        found: usize,
    },
    /// A PEM bundle holds more certificates than allowed.
    #[error("more than {max} certificates in one PEM bundle")]
    TooManyCertificates {
        /// The limit.
        max: usize,
    },
    /// The PEM text is malformed (no or several `CERTIFICATE` blocks where one
    /// is expected, an unterminated block, another label, bad base64).
    #[error("PEM: {reason}")]
    Pem {
        /// What is wrong.
        reason: &'static str,
    },
    /// The bytes are not a DER X.509 certificate.
    #[error("not a DER X.509 certificate: {reason}")]
    Der {
        /// What the decoder said.
        reason: String,
    },
    /// Bytes follow the certificate's outer DER SEQUENCE.
    #[error("{bytes} trailing bytes after the certificate")]
    TrailingData {
        /// How many.
        bytes: usize,
    },
    /// The signature algorithm inside the signed part differs from the one
    /// outside it (RFC 5280 §4.1.1.2 requires them equal).
    #[error("the signature algorithm inside and outside the signed part differ")]
    SignatureAlgorithmMismatch,
    /// The subject key is not an Ed25519 key.
    #[error("unsupported subject key algorithm {algorithm} (only Ed25519 is supported)")]
    UnsupportedKeyAlgorithm {
        /// The algorithm, by name where known (`"id-ecPublicKey (P-256)"`,
        /// `"rsaEncryption"`), else its dotted OID.
        algorithm: String,
    },
    /// The Ed25519 subject key is a small-order point, which would verify
    /// forged signatures; refused.
    #[error("weak Ed25519 subject key (small-order point) refused")]
    WeakKey,
    /// The Ed25519 subject key is malformed (wrong length, parameters present,
    /// not a curve point).
    #[error("malformed Ed25519 subject key")]
    InvalidKey,
}

/// A certificate path could not be validated. Each variant names the
/// certificate at fault by its subject (RFC 4514 form, [`Certificate::subject`](super::Certificate::subject)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The certificate expired before the verification time.
    #[error("certificate {subject} expired at {not_after} (verification time {at})")]
    Expired {
        /// The certificate.
        subject: String,
        /// Its notAfter.
        not_after: Timestamp,
        /// The verification time.
        at: Timestamp,
    },
    /// The certificate is not yet valid at the verification time.
    #[error("certificate {subject} is valid from {not_before} only (verification time {at})")]
    NotYetValid {
        /// The certificate.
        subject: String,
        /// Its notBefore.
        not_before: Timestamp,
        /// The verification time.
        at: Timestamp,
    },
    /// A certificate used as an issuer is not a CA (basicConstraints absent or `CA:false`).
    #[error("certificate {subject} is not a CA but issued a certificate in the path")]
    NotCa {
        /// The certificate.
        subject: String,
    },
    /// A key usage required for the certificate's role is missing (or the
    /// keyUsage extension is absent).
    #[error("certificate {subject} lacks key usage {needed}")]
    MissingKeyUsage {
        /// The certificate.
        subject: String,
        /// What was needed (`"keyCertSign"`, `"digitalSignature or nonRepudiation"`).
        needed: &'static str,
    },
    /// More intermediate CAs below this CA than its pathLenConstraint allows.
    #[error("the path length constraint of CA {subject} is exceeded")]
    PathLengthExceeded {
        /// The CA whose constraint is exceeded.
        subject: String,
    },
    /// The certificate is signed with an algorithm other than Ed25519.
    #[error("certificate {subject} is signed with unsupported algorithm {algorithm}")]
    UnsupportedSignatureAlgorithm {
        /// The certificate.
        subject: String,
        /// The algorithm, by name where known, else its dotted OID.
        algorithm: String,
    },
    /// The certificate's subject key is not an Ed25519 key.
    #[error("certificate {subject} has unsupported key algorithm {algorithm}")]
    UnsupportedKeyAlgorithm {
        /// The certificate.
        subject: String,
        /// The algorithm, by name where known, else its dotted OID.
        algorithm: String,
    },
    /// The certificate's Ed25519 key is weak or malformed.
    #[error("certificate {subject}: {problem}")]
    InvalidKey {
        /// The certificate.
        subject: String,
        /// [`CertError::WeakKey`] or [`CertError::InvalidKey`].
        problem: CertError,
    },
    /// The certificate carries a critical extension this verifier does not
    /// process (RFC 5280 §4.2 requires rejecting it).
    #[error("certificate {subject} has an unsupported critical extension {oid}")]
    UnsupportedCriticalExtension {
        /// The certificate.
        subject: String,
        /// The extension's dotted OID.
        oid: String,
    },
    /// The certificate's signature does not verify under its issuer's key.
    #[error("the signature on certificate {subject} is invalid")]
    BadSignature {
        /// The certificate whose signature failed.
        subject: String,
    },
    /// No issuer of this certificate leads to a trust anchor.
    #[error("no path from certificate {subject} to a trust anchor")]
    UnknownIssuer {
        /// The last certificate for which no usable issuer was found.
        subject: String,
    },
    /// Building the path would exceed the policy's maximum depth.
    #[error("certificate path longer than {max} certificates")]
    MaximumDepthExceeded {
        /// The limit.
        max: usize,
    },
    /// Building the path would exceed the policy's signature-check budget.
    #[error("more than {max} signature checks needed to build the path")]
    MaximumSignatureChecksExceeded {
        /// The limit.
        max: usize,
    },
    /// The certificate is revoked.
    #[error("certificate {subject} is revoked since {since}")]
    Revoked {
        /// The certificate.
        subject: String,
        /// Since when.
        since: Timestamp,
    },
    /// The status source does not know the certificate and the policy denies unknown status.
    #[error("revocation status of certificate {subject} is unknown")]
    StatusUnknown {
        /// The certificate.
        subject: String,
    },
}

impl ChainError {
    /// Budget errors end the search at once; others let it try another issuer.
    pub(super) fn is_fatal(&self) -> bool {
        matches!(
            self,
            ChainError::MaximumDepthExceeded { .. }
                | ChainError::MaximumSignatureChecksExceeded { .. }
        )
    }
}
