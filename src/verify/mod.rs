//! Single-license verification with a step-by-step report.
//!
//! Verification is a pure function of the document bytes, the verification
//! time, and what the verifier was given (trusted keys, license types): it
//! never reads the clock, the disk or the network.

mod report;

use core::ops::Deref;

use sha2::Digest;

pub use report::{Check, Failure, Outcome, Report, Step};

use crate::catalog::LicenseTypes;
use crate::date::Timestamp;
use crate::document::{DecodeLimits, SIGNATURE_CONTEXT, SignedLicense};
use crate::sign::ed25519;
use crate::trust::TrustedKeys;

/// Options of a [`Verifier`]. Every check runs; options only set limits.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct VerifyOptions {
    /// Size and work limits for decoding.
    pub limits: DecodeLimits,
}

impl VerifyOptions {
    /// Options with other decoding limits.
    pub fn with_limits(mut self, limits: DecodeLimits) -> Self {
        self.limits = limits;
        self
    }
}

/// Proof that a value passed verification at a given time. Only the verifier
/// makes one, so code that needs a verified license can ask for this type.
#[derive(Debug, Clone)]
pub struct Verified<T> {
    value: T,
    report: Report,
    at: Timestamp,
}

impl<T> Verified<T> {
    /// The report (every step passed).
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// The verification time it was verified for.
    pub fn verified_at(&self) -> Timestamp {
        self.at
    }

    /// The value, giving up the proof.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> Deref for Verified<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// A license that failed verification, with the report saying where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("license rejected at step {}: {}", self.step(), self.failure())]
pub struct Rejected {
    report: Report,
}

impl Rejected {
    /// The full report.
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// The step that failed.
    pub fn step(&self) -> Step {
        self.report.failed_step().unwrap_or(Step::Parse)
    }

    /// Why it failed.
    pub fn failure(&self) -> &Failure {
        match self.report.failure() {
            Some((_, f)) => f,
            // A `Rejected` is only made from a failed report.
            None => &Failure::InvalidSignature { index: 0 },
        }
    }
}

/// Verifies signed licenses against trusted keys and known license types.
#[derive(Debug, Clone)]
pub struct Verifier {
    keys: TrustedKeys,
    types: LicenseTypes,
    options: VerifyOptions,
}

impl Verifier {
    /// A verifier trusting `keys` and checking licenses against `types`
    /// (a license of a type not in `types` is rejected at the schema step).
    pub fn new(keys: TrustedKeys, types: LicenseTypes) -> Verifier {
        Verifier {
            keys,
            types,
            options: VerifyOptions::default(),
        }
    }

    /// With other options.
    pub fn with_options(mut self, options: VerifyOptions) -> Verifier {
        self.options = options;
        self
    }

    /// The trusted keys.
    pub fn trusted_keys(&self) -> &TrustedKeys {
        &self.keys
    }

    /// The license types.
    pub fn license_types(&self) -> &LicenseTypes {
        &self.types
    }

    /// Decodes and verifies a document at time `at`.
    pub fn verify(&self, bytes: &[u8], at: Timestamp) -> Result<Verified<SignedLicense>, Rejected> {
        match SignedLicense::decode_with(bytes, &self.options.limits) {
            Ok(doc) => self.verify_document(doc, at),
            Err(e) => {
                let step = if e.is_identifier_problem() {
                    Step::Identifiers
                } else {
                    Step::Parse
                };
                Err(Rejected {
                    report: Report::new(Err((step, Failure::Decode(e)))),
                })
            }
        }
    }

    /// Verifies an already decoded document at time `at`.
    pub fn verify_document(
        &self,
        doc: SignedLicense,
        at: Timestamp,
    ) -> Result<Verified<SignedLicense>, Rejected> {
        let report = Report::new(self.check(&doc, at));
        if report.passed() {
            Ok(Verified {
                value: doc,
                report,
                at,
            })
        } else {
            Err(Rejected { report })
        }
    }

    fn check(&self, doc: &SignedLicense, at: Timestamp) -> Result<(), (Step, Failure)> {
        self.check_signatures(doc, at)
            .map_err(|f| (Step::Signature, f))?;
        let license = doc.license();
        let ty = self.types.get(license.type_code()).ok_or((
            Step::Schema,
            Failure::UnknownType {
                code: *license.type_code(),
            },
        ))?;
        ty.check(license)
            .map_err(|e| (Step::Schema, Failure::Schema(e)))?;
        if at < license.valid_from().start() {
            return Err((
                Step::Validity,
                Failure::NotYetValid {
                    valid_from: license.valid_from(),
                    at,
                },
            ));
        }
        if let Some(to) = license.valid_to()
            && at >= to.end()
        {
            return Err((Step::Validity, Failure::Expired { valid_to: to, at }));
        }
        Ok(())
    }

    fn check_signatures(&self, doc: &SignedLicense, at: Timestamp) -> Result<(), Failure> {
        let data_hash: [u8; 32] = sha2::Sha256::digest(doc.license_bytes()).into();
        let issuer = *doc.license().issuer().code();
        let mut by_issuer = false;
        for (index, s) in doc.signatures().iter().enumerate() {
            let tbs = s.tbs();
            if tbs.signer_digest() != &s.signer().digest() {
                return Err(Failure::SignerDigestMismatch { index });
            }
            let Some((key, org)) = self.keys.lookup(s.signer().key_bytes()) else {
                return Err(Failure::UntrustedSigner {
                    index,
                    fingerprint: s.signer().digest(),
                });
            };
            if tbs.signed_at() > at {
                return Err(Failure::SignedAfterVerificationTime {
                    index,
                    signed_at: tbs.signed_at(),
                    at,
                });
            }
            ed25519::verify(key, &[SIGNATURE_CONTEXT, s.tbs_bytes()], s.signature())
                .map_err(|_| Failure::InvalidSignature { index })?;
            if tbs.data_hash() != &data_hash {
                return Err(Failure::DataHashMismatch { index });
            }
            by_issuer |= *org == issuer;
        }
        if by_issuer {
            Ok(())
        } else {
            Err(Failure::NoIssuerSignature { issuer })
        }
    }
}
