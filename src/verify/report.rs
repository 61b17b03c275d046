//! Verification reports: each check by name, its outcome, and the first failure.

use core::fmt;

use crate::date::{Date, Timestamp};
use crate::error::DecodeError;
use crate::ids::{LicenseTypeCode, Uscc};
use crate::model::{SchemaError, hex};

/// A named verification step, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Step {
    /// Size limits, canonical JSON, document structure (解析).
    Parse,
    /// Identifiers valid and consistent with each other (标识校验).
    Identifiers,
    /// Every signature: signer named correctly and trusted, signed no later than
    /// the verification time, Ed25519 valid, data hash equal to the license's
    /// canonical bytes; and one signature is the issuer's (签名验证).
    Signature,
    /// Conformance to the license type's schema (证照类型校验).
    Schema,
    /// The validity window covers the verification time (有效期校验).
    Validity,
}

impl Step {
    /// All steps in order.
    pub const ALL: &'static [Step] = &[
        Step::Parse,
        Step::Identifiers,
        Step::Signature,
        Step::Schema,
        Step::Validity,
    ];

    /// snake_case name.
    pub fn name(&self) -> &'static str {
        match self {
            Step::Parse => "parse",
            Step::Identifiers => "identifiers",
            Step::Signature => "signature",
            Step::Schema => "schema",
            Step::Validity => "validity",
        }
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
    /// A signature's to-be-signed block names another signer than the one carried.
    #[error("signature {index}: the to-be-signed block names another signer")]
    SignerDigestMismatch {
        /// Which signature (0-based).
        index: usize,
    },
    /// A signature's key is not trusted.
    #[error("signature {index}: key {} is not trusted", hex(fingerprint))]
    UntrustedSigner {
        /// Which signature.
        index: usize,
        /// SHA-256 of the key.
        fingerprint: [u8; 32],
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
    /// The Ed25519 signature is invalid (deliberately no detail).
    #[error("signature {index}: invalid signature")]
    InvalidSignature {
        /// Which signature.
        index: usize,
    },
    /// The signature covers other license bytes than those carried.
    #[error("signature {index}: data hash differs from the license's canonical bytes")]
    DataHashMismatch {
        /// Which signature.
        index: usize,
    },
    /// No valid signature is by the license's issuer.
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
}

impl Report {
    /// A report where `failed_at` (if any) failed with `failure`, earlier steps
    /// passed and later ones did not run.
    pub(crate) fn new(result: Result<(), (Step, Failure)>) -> Report {
        let mut failure = result.err();
        let mut failed = false;
        let checks = Step::ALL
            .iter()
            .map(|&step| {
                let outcome = if failed {
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
        Report { checks }
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
                Outcome::Passed => writeln!(f, "  [pass] {}", c.step)?,
                Outcome::Failed(why) => writeln!(f, "  [FAIL] {}: {why}", c.step)?,
                Outcome::NotRun => writeln!(f, "  [ -- ] {} (not run)", c.step)?,
            }
        }
        Ok(())
    }
}
