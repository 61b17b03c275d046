//! X.509 certificates of seal makers (制章机构) and signers (签章者), and
//! certificate path validation.
//!
//! * [`Certificate`] wraps one DER certificate, parsed once (x509-parser inside;
//!   no x509-parser type appears in this API). DER over 16 KiB is refused before
//!   parsing; PEM bundles hold at most 64 certificates.
//! * [`verify_chain`] builds and validates a path from a leaf through caller
//!   supplied intermediates to one of the caller's [`TrustAnchors`], at a time
//!   given as an argument (nothing reads the clock), with a work budget
//!   ([`ChainPolicy`]) and revocation status from a
//!   [`StatusSource`](crate::StatusSource). Success yields a [`VerifiedChain`],
//!   which only [`verify_chain`] makes.
//!
//! ## Algorithms
//!
//! Only Ed25519 (OID 1.3.101.112, RFC 8410, parameters absent) is supported,
//! for both subject keys and certificate signatures. Signatures are verified
//! over the certificate's raw TBS bytes with this crate's one signature rule
//! (`sign::ed25519`). Any other algorithm is reported by name
//! ([`ChainError::UnsupportedSignatureAlgorithm`],
//! [`ChainError::UnsupportedKeyAlgorithm`]). Real Chinese deployments use SM2
//! with SM3; those certificates parse, and are reported as unsupported.
//!
//! ## Which organisation a certificate belongs to
//!
//! A certificate names the organisation it acts for by the organisation's
//! unified social credit code (统一社会信用代码, GB 32100) in the subject
//! attribute **organizationIdentifier** (OID 2.5.4.97), in the form of ETSI
//! EN 319 412-1 §5.1.4: `NTRCN-<USCC>` (`NTR` = national trade register, `CN` =
//! China), for example `NTRCN-11330105002500287C`. A bare 18-character USCC is
//! accepted too. [`Certificate::organization`] returns the parsed code, or
//! `None` when the attribute is absent, repeated, or not a valid USCC (check
//! character included). The organisation's name is the subject's
//! organizationName (O), for display only.
//!
//! Path validation does not look at the organisation; callers that need a
//! certificate to speak for an organisation compare
//! [`Certificate::organization`] of the verified leaf.

mod certificate;
mod chain;
mod error;
mod name;
mod pem;

pub use certificate::{Certificate, KeyUsage};
pub(crate) use chain::issued_by;
pub use chain::{CertUsage, ChainPolicy, TrustAnchors, VerifiedChain, verify_chain};
pub use error::{CertError, ChainError};

#[cfg(test)]
mod tests;
