//! Verification reports: each check by name, its outcome, and the first failure.

use core::fmt;

use crate::cert::ChainError;
use crate::date::{Date, Timestamp};
use crate::error::DecodeError;
use crate::ids::LicenseId;
use crate::ids::{LicenseTypeCode, Uscc};
use crate::model::{LicenseStatus, SchemaError, hex};

/// A named verification step, in the order they run: the GB/T 38540
/// verification order (解析 → 签章值 → 签章人证书属于印章 → 制章签名 → 制章证书 →
/// 印章有效期 → 签章人证书 → 原文摘要), then the license's own checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Step {
    /// Size limits, canonical JSON, document structure (解析).
    Parse,
    /// Identifiers valid and consistent with each other (标识校验).
    Identifiers,
    /// Each signature value under its signer's key; the to-be-signed block names
    /// the signer and the seal carried; not signed after the verification time (签章值).
    SignatureValue,
    /// Each seal signature's certificate is in its seal's certificate list (签章人证书属于印章).
    SignerInSeal,
    /// Each seal's maker signature, over the seal info that binds the maker's
    /// certificate (制章者签名).
    SealMakerSignature,
    /// Each seal maker's certificate: chain to a trust anchor, validity, key
    /// usage and revocation when the seal was made (制章者证书).
    SealMakerCertificate,
    /// Each seal's validity covers the signing time, the seal is not revoked at
    /// it, it was made before it, and has no unknown critical extension (印章有效期).
    SealValidity,
    /// Each signer: certificate chain, validity, key usage and revocation at
    /// the signing time; or a raw key the verifier trusts (签章人证书).
    SignerCertificate,
    /// Each signature's data hash equals SHA-256 of the license bytes (原文摘要).
    DataHash,
    /// Conformance to the license type's schema (证照类型校验).
    Schema,
    /// The license's validity window covers the verification time (证照有效期).
    Validity,
    /// One organisation throughout: the issuer's seal holder is the issuer, each
    /// signer certificate belongs to its seal's holder, the printed sealing
    /// information matches (主体一致).
    Organisation,
    /// A trust list recognises the issuer, with the key or certificate it
    /// signed with, for the license's type and region at the verification
    /// time (跨域互认). Not applicable without trust lists
    /// ([`Verifier::with_recognition`](crate::Verifier::with_recognition)).
    Recognition,
    /// The license is in force (有效) at the verification time according to
    /// the status source — not suspended, revoked, cancelled, superseded, …
    /// (证照状态). Not applicable when the source keeps no license status.
    LicenseStatus,
}

impl Step {
    /// All steps in order.
    pub const ALL: &'static [Step] = &[
        Step::Parse,
        Step::Identifiers,
        Step::SignatureValue,
        Step::SignerInSeal,
        Step::SealMakerSignature,
        Step::SealMakerCertificate,
        Step::SealValidity,
        Step::SignerCertificate,
        Step::DataHash,
        Step::Schema,
        Step::Validity,
        Step::Organisation,
        Step::Recognition,
        Step::LicenseStatus,
    ];

    /// snake_case name.
    pub fn name(&self) -> &'static str {
        match self {
            Step::Parse => "parse",
            Step::Identifiers => "identifiers",
            Step::SignatureValue => "signature_value",
            Step::SignerInSeal => "signer_in_seal",
            Step::SealMakerSignature => "seal_maker_signature",
            Step::SealMakerCertificate => "seal_maker_certificate",
            Step::SealValidity => "seal_validity",
            Step::SignerCertificate => "signer_certificate",
            Step::DataHash => "data_hash",
            Step::Schema => "schema",
            Step::Validity => "license_validity",
            Step::Organisation => "organisation",
            Step::LicenseStatus => "license_status",
            Step::Recognition => "recognition",
        }
    }

    /// Whether the step only concerns seals (not applicable to a license
    /// signed with raw keys only).
    pub fn is_seal_step(&self) -> bool {
        matches!(
            self,
            Step::SignerInSeal
                | Step::SealMakerSignature
                | Step::SealMakerCertificate
                | Step::SealValidity
        )
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a step failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// The document could not be decoded (step `parse`, or `identifiers` when
    /// an identifier is at fault).
    #[error("{0}")]
    Decode(DecodeError),
    /// A GB/T 38540 DER seal or signature could not be decoded (feature `gm`).
    #[cfg(feature = "gm")]
    #[error("{0}")]
    Ses(crate::gm::SesError),
    /// A signature's to-be-signed block names another signer than the one carried.
    #[error("signature {index}: the to-be-signed block names another signer")]
    SignerDigestMismatch {
        /// Which signature (0-based).
        index: usize,
    },
    /// A seal signature's to-be-signed block names another seal than the one carried.
    #[error("signature {index}: the to-be-signed block names another seal")]
    SealDigestMismatch {
        /// Which signature.
        index: usize,
    },
    /// The signer certificate's key is not a usable Ed25519 key.
    #[error("signature {index}: signer certificate: {reason}")]
    SignerKey {
        /// Which signature.
        index: usize,
        /// Why (names the algorithm when it is not Ed25519).
        reason: String,
    },
    /// A signature claims to be made after the verification time.
    #[error("signature {index}: signed at {signed_at}, after the verification time {at}")]
    SignedAfterVerificationTime {
        /// Which signature.
        index: usize,
        /// Its signing time.
        signed_at: Timestamp,
        /// The verification time.
        at: Timestamp,
    },
    /// A signature or seal is in an algorithm this build does not verify
    /// (`SM2-SM3` without feature `gm`): at the signature-value step for a
    /// signature, the seal-maker-signature step for a seal.
    #[error(
        "signature {index}: unsupported signature algorithm {algorithm} (built without feature gm)"
    )]
    UnsupportedAlgorithm {
        /// Which signature.
        index: usize,
        /// The algorithm named.
        algorithm: crate::document::Algorithm,
    },
    /// The signature is invalid (deliberately no detail).
    #[error("signature {index}: invalid signature")]
    InvalidSignature {
        /// Which signature.
        index: usize,
    },
    /// The signer certificate is not in the seal's certificate list.
    #[error("signature {index}: the signer certificate is not in the seal's certificate list")]
    SignerNotInSeal {
        /// Which signature.
        index: usize,
    },
    /// The seal info does not bind the maker certificate carried with it.
    #[error("signature {index}: the seal does not name the maker certificate it carries")]
    SealMakerNotBound {
        /// Which signature.
        index: usize,
    },
    /// The seal maker's certificate has no usable Ed25519 key.
    #[error("signature {index}: seal maker certificate: {reason}")]
    SealMakerKey {
        /// Which signature.
        index: usize,
        /// Why (names the algorithm when it is not Ed25519).
        reason: String,
    },
    /// The seal maker's signature is invalid.
    #[error("signature {index}: the seal maker's signature is invalid")]
    InvalidSealSignature {
        /// Which signature.
        index: usize,
    },
    /// The seal maker's certificate failed (key, chain, validity, usage or revocation).
    #[error("signature {index}: seal maker certificate: {error}")]
    SealMakerCertificate {
        /// Which signature.
        index: usize,
        /// What failed.
        error: ChainError,
    },
    /// The seal is not valid at the signing time.
    #[error(
        "signature {index}: the seal is valid {valid_from} to {valid_to}, not at the signing time {signed_at}"
    )]
    SealNotValidAtSigning {
        /// Which signature.
        index: usize,
        /// Seal valid from.
        valid_from: Timestamp,
        /// Seal valid to.
        valid_to: Timestamp,
        /// Signing time.
        signed_at: Timestamp,
    },
    /// The seal was made after the signing time.
    #[error(
        "signature {index}: the seal was made at {created_at}, after the signing time {signed_at}"
    )]
    SealMadeAfterSigning {
        /// Which signature.
        index: usize,
        /// Seal made at.
        created_at: Timestamp,
        /// Signing time.
        signed_at: Timestamp,
    },
    /// The seal was revoked before the signing time.
    #[error("signature {index}: seal {seal_id} revoked since {since}")]
    SealRevoked {
        /// Which signature.
        index: usize,
        /// Seal id.
        seal_id: String,
        /// Revoked since.
        since: Timestamp,
    },
    /// The status source does not know the seal (and unknown status is denied).
    #[error("signature {index}: status of seal {seal_id} is unknown")]
    SealStatusUnknown {
        /// Which signature.
        index: usize,
        /// Seal id.
        seal_id: String,
    },
    /// The seal has a critical extension this library does not understand.
    #[error("signature {index}: the seal has an unknown critical extension {id}")]
    UnknownCriticalExtension {
        /// Which signature.
        index: usize,
        /// The extension's OID.
        id: String,
    },
    /// The signer's certificate failed (chain, validity, usage or revocation at
    /// the signing time).
    #[error("signature {index}: signer certificate: {error}")]
    SignerCertificate {
        /// Which signature.
        index: usize,
        /// What failed.
        error: ChainError,
    },
    /// A raw signing key is not trusted.
    #[error("signature {index}: key {} is not trusted", hex(fingerprint))]
    UntrustedSigner {
        /// Which signature.
        index: usize,
        /// SHA-256 of the key.
        fingerprint: [u8; 32],
    },
    /// The signature covers other license bytes than those carried.
    #[error("signature {index}: data hash differs from the license's canonical bytes")]
    DataHashMismatch {
        /// Which signature.
        index: usize,
    },
    /// A signer belongs to another organisation than its seal's holder.
    #[error("signature {index}: signer belongs to {}, the seal to {seal_holder}", found.map_or("no organisation".to_string(), |u| u.to_string()))]
    SignerOrganisationMismatch {
        /// Which signature.
        index: usize,
        /// The seal holder's code.
        seal_holder: Uscc,
        /// The organisation the signer certificate names.
        found: Option<Uscc>,
    },
    /// The sealing information printed on the license does not match the issuer's seal signature.
    #[error(
        "the license's printed sealing information ({what}) does not match the issuer's seal signature"
    )]
    SealInfoMismatch {
        /// Which element differs.
        what: &'static str,
    },
    /// No signature is by the license's issuer.
    #[error("no signature is by the issuer {issuer}")]
    NoIssuerSignature {
        /// The license's issuer.
        issuer: Uscc,
    },
    /// The license type is not known to the verifier.
    #[error("license type {code} is not known to this verifier")]
    UnknownType {
        /// The license's type code.
        code: LicenseTypeCode,
    },
    /// The license does not conform to its type.
    #[error("{0}")]
    Schema(SchemaError),
    /// The verification time is before the validity window.
    #[error("not valid before {valid_from} (China Standard Time); verification time {at}")]
    NotYetValid {
        /// First day of validity.
        valid_from: Date,
        /// The verification time.
        at: Timestamp,
    },
    /// The verification time is after the validity window.
    #[error("expired after {valid_to} (China Standard Time); verification time {at}")]
    Expired {
        /// Last day of validity.
        valid_to: Date,
        /// The verification time.
        at: Timestamp,
    },
    /// The license is not in force at the verification time.
    #[error("license {id} is not in force: {status} since {since}")]
    LicenseNotInForce {
        /// The license.
        id: LicenseId,
        /// Its status then.
        status: LicenseStatus,
        /// Since when.
        since: Timestamp,
    },
    /// The status source keeps license status but does not know this license
    /// (and unknown status is denied).
    #[error("status of license {id} is unknown")]
    LicenseStatusUnknown {
        /// The license.
        id: LicenseId,
    },
    /// No trust list recognises the issuer for this license.
    #[error("issuer {issuer} is not recognised: {reason}")]
    NotRecognised {
        /// The license's issuer.
        issuer: Uscc,
        /// Why.
        reason: crate::trustlist::NotRecognisedReason,
    },
}

impl Failure {
    /// A stable snake_case name of the reason (`invalid_signature`,
    /// `expired`, …), for machine-readable reports: the variant's name.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::Decode(_) => "decode",
            #[cfg(feature = "gm")]
            Failure::Ses(_) => "decode",
            Failure::SignerDigestMismatch { .. } => "signer_digest_mismatch",
            Failure::SealDigestMismatch { .. } => "seal_digest_mismatch",
            Failure::SignerKey { .. } => "signer_key",
            Failure::SignedAfterVerificationTime { .. } => "signed_after_verification_time",
            Failure::InvalidSignature { .. } => "invalid_signature",
            Failure::UnsupportedAlgorithm { .. } => "unsupported_algorithm",
            Failure::SignerNotInSeal { .. } => "signer_not_in_seal",
            Failure::SealMakerNotBound { .. } => "seal_maker_not_bound",
            Failure::SealMakerKey { .. } => "seal_maker_key",
            Failure::InvalidSealSignature { .. } => "invalid_seal_signature",
            Failure::SealMakerCertificate { .. } => "seal_maker_certificate",
            Failure::SealNotValidAtSigning { .. } => "seal_not_valid_at_signing",
            Failure::SealMadeAfterSigning { .. } => "seal_made_after_signing",
            Failure::SealRevoked { .. } => "seal_revoked",
            Failure::SealStatusUnknown { .. } => "seal_status_unknown",
            Failure::UnknownCriticalExtension { .. } => "unknown_critical_extension",
            Failure::SignerCertificate { .. } => "signer_certificate",
            Failure::UntrustedSigner { .. } => "untrusted_signer",
            Failure::DataHashMismatch { .. } => "data_hash_mismatch",
            Failure::SignerOrganisationMismatch { .. } => "signer_organisation_mismatch",
            Failure::SealInfoMismatch { .. } => "seal_info_mismatch",
            Failure::NoIssuerSignature { .. } => "no_issuer_signature",
            Failure::UnknownType { .. } => "unknown_type",
            Failure::Schema(_) => "schema",
            Failure::NotYetValid { .. } => "not_yet_valid",
            Failure::Expired { .. } => "expired",
            Failure::LicenseNotInForce { .. } => "license_not_in_force",
            Failure::LicenseStatusUnknown { .. } => "license_status_unknown",
            Failure::NotRecognised { .. } => "not_recognised",
        }
    }
}

/// The outcome of one step.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The step ran and passed.
    Passed,
    /// The step ran and failed; later steps did not run.
    Failed(Failure),
    /// The step did not run because an earlier one failed.
    NotRun,
    /// Nothing to check: a seal step on a license signed with raw keys only,
    /// or the license status step without a source that keeps license status.
    NotApplicable,
}

/// One line of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    step: Step,
    outcome: Outcome,
}

impl Check {
    /// The step.
    pub fn step(&self) -> Step {
        self.step
    }
    /// Its outcome.
    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }
}

/// What verification did: every step in order with its outcome. A report
/// either passes every step or has exactly one failed step, after which
/// nothing ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    checks: Vec<Check>,
    recognised_by: Option<crate::trustlist::RecognisedBy>,
}

impl Report {
    /// A report where `failed_at` (if any) failed with `failure`, earlier steps
    /// passed and later ones did not run.
    pub(crate) fn new(
        result: Result<(), (Step, Failure)>,
        sealed: bool,
        tracked: bool,
        recognising: bool,
    ) -> Report {
        let mut failure = result.err();
        let mut failed = false;
        let checks = Step::ALL
            .iter()
            .map(|&step| {
                let outcome = if failed {
                    Outcome::NotRun
                } else if (!sealed && step.is_seal_step())
                    || (!tracked && step == Step::LicenseStatus)
                    || (!recognising && step == Step::Recognition)
                {
                    Outcome::NotApplicable
                } else {
                    match failure.take_if(|(s, _)| *s == step) {
                        Some((_, f)) => {
                            failed = true;
                            Outcome::Failed(f)
                        }
                        None => Outcome::Passed,
                    }
                };
                Check { step, outcome }
            })
            .collect();
        Report {
            checks,
            recognised_by: None,
        }
    }

    /// A report over the steps `applies` keeps (others not applicable).
    #[cfg(feature = "gm")]
    pub(crate) fn for_steps(
        result: Result<(), (Step, Failure)>,
        applies: impl Fn(Step) -> bool,
    ) -> Report {
        let mut failure = result.err();
        let mut failed = false;
        let checks = Step::ALL
            .iter()
            .map(|&step| {
                let outcome = if !applies(step) {
                    Outcome::NotApplicable
                } else if failed {
                    Outcome::NotRun
                } else {
                    match failure.take_if(|(s, _)| *s == step) {
                        Some((_, f)) => {
                            failed = true;
                            Outcome::Failed(f)
                        }
                        None => Outcome::Passed,
                    }
                };
                Check { step, outcome }
            })
            .collect();
        Report {
            checks,
            recognised_by: None,
        }
    }

    /// The trust list and entry that recognised the issuer (a passed report
    /// of a verifier with trust lists).
    pub fn recognised_by(&self) -> Option<&crate::trustlist::RecognisedBy> {
        self.recognised_by.as_ref()
    }

    pub(crate) fn set_recognised_by(&mut self, by: Option<crate::trustlist::RecognisedBy>) {
        self.recognised_by = by;
    }

    /// Every step with its outcome.
    pub fn checks(&self) -> &[Check] {
        &self.checks
    }

    /// Whether every step passed.
    pub fn passed(&self) -> bool {
        self.failure().is_none()
    }

    /// The failed step and why.
    pub fn failure(&self) -> Option<(Step, &Failure)> {
        self.checks.iter().find_map(|c| match &c.outcome {
            Outcome::Failed(f) => Some((c.step, f)),
            _ => None,
        })
    }

    /// The failed step.
    pub fn failed_step(&self) -> Option<Step> {
        self.failure().map(|(s, _)| s)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.checks {
            match &c.outcome {
                Outcome::Passed if c.step == Step::Recognition => match &self.recognised_by {
                    Some(by) => writeln!(f, "  [pass] {} ({by})", c.step)?,
                    None => writeln!(f, "  [pass] {}", c.step)?,
                },
                Outcome::Passed => writeln!(f, "  [pass] {}", c.step)?,
                Outcome::Failed(why) => writeln!(f, "  [FAIL] {}: {why}", c.step)?,
                Outcome::NotRun => writeln!(f, "  [ -- ] {} (not run)", c.step)?,
                Outcome::NotApplicable if c.step == Step::LicenseStatus => {
                    writeln!(f, "  [ na ] {} (no license status source)", c.step)?;
                }
                Outcome::NotApplicable if c.step == Step::Recognition => {
                    writeln!(f, "  [ na ] {} (no trust list)", c.step)?;
                }
                Outcome::NotApplicable => writeln!(f, "  [ na ] {} (no seal)", c.step)?,
            }
        }
        Ok(())
    }
}
