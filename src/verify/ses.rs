//! Verification of GB/T 38540 DER seals and seal signatures (feature `gm`),
//! in the standard's order, with the same steps and [`Report`] as this
//! crate's own seals. Steps about a license (identifiers, schema, validity,
//! organisation, status) are not applicable.

use super::{Fresh, Rejected, Verified, Verifier};
use crate::cert::Certificate;
use crate::date::Timestamp;
use crate::gm::{SM2_WITH_SM3, SesCertRef, SesSeal, SesSignature, Sm2Signature, sm3};
use crate::status::{RevocationStatus, UnknownStatus};
use crate::verify::report::{Failure, Report, Step};

type StepResult = Result<(), (Step, Failure)>;

fn signature_steps(step: Step) -> bool {
    matches!(
        step,
        Step::Parse
            | Step::SignatureValue
            | Step::SignerInSeal
            | Step::SealMakerSignature
            | Step::SealMakerCertificate
            | Step::SealValidity
            | Step::SignerCertificate
            | Step::DataHash
    )
}

fn seal_steps(step: Step) -> bool {
    matches!(
        step,
        Step::Parse | Step::SealMakerSignature | Step::SealMakerCertificate | Step::SealValidity
    )
}

/// Whether `entry` of a seal's certificate list names `cert`: the same DER,
/// or its SM3 (or SHA-256) digest.
fn lists(entry: &SesCertRef, cert: &Certificate) -> bool {
    match entry {
        SesCertRef::Certificate(der) => der.as_slice() == cert.der(),
        SesCertRef::Digest { algorithm, value } => match algorithm.to_ascii_lowercase().as_str() {
            "sm3" => value.as_slice() == sm3(cert.der()),
            "sha256" | "sha-256" => value.as_slice() == cert.fingerprint(),
            _ => false,
        },
    }
}

impl Verifier {
    /// Verifies a GB/T 38540 / GM/T 0031 seal signature (`SES_Signature`, DER)
    /// over `data` at time `at`, in the standard's order:
    ///
    /// parse → signature value (SM2 over TBS_Sign under the signer
    /// certificate's key; signing time not after `at`) → signer in the seal's
    /// certificate list → seal maker signature (SM2 over SES_SealInfo) → seal
    /// maker certificate (chain at the seal's creation) → seal validity
    /// (critical extensions, made before and valid at the signing time, not
    /// revoked) → signer certificate (chain, usage, revocation at the signing
    /// time) → data hash (SM3 of `data`).
    pub fn verify_ses_signature(
        &self,
        bytes: &[u8],
        data: &[u8],
        at: Timestamp,
    ) -> Result<Verified<SesSignature>, Rejected> {
        let sig = match SesSignature::decode(bytes) {
            Ok(s) => s,
            Err(e) => {
                return Err(Rejected {
                    report: Report::for_steps(Err((Step::Parse, Failure::Ses(e))), signature_steps),
                });
            }
        };
        let result = self.ses_signature_steps(&sig, data, at);
        let report = Report::for_steps(result, signature_steps);
        if report.passed() {
            Ok(Verified {
                value: sig,
                report,
                at,
            })
        } else {
            Err(Rejected { report })
        }
    }

    /// Verifies a GB/T 38540 / GM/T 0031 seal (`SES_Seal`, DER) on its own at
    /// `at`: maker signature, maker certificate (at the seal's creation), and
    /// the seal's validity at `at`.
    pub fn verify_ses_seal(
        &self,
        bytes: &[u8],
        at: Timestamp,
    ) -> Result<Verified<SesSeal>, Rejected> {
        let seal = match SesSeal::decode(bytes) {
            Ok(s) => s,
            Err(e) => {
                return Err(Rejected {
                    report: Report::for_steps(Err((Step::Parse, Failure::Ses(e))), seal_steps),
                });
            }
        };
        let result = self.ses_seal_steps(&seal, at);
        let report = Report::for_steps(result, seal_steps);
        if report.passed() {
            Ok(Verified {
                value: seal,
                report,
                at,
            })
        } else {
            Err(Rejected { report })
        }
    }

    fn ses_signature_steps(&self, sig: &SesSignature, data: &[u8], at: Timestamp) -> StepResult {
        let signed_at = sig.to_sign().time.at;
        let seal = sig.seal();
        // Signature value.
        if signed_at > at {
            return Err((
                Step::SignatureValue,
                Failure::SignedAfterVerificationTime {
                    index: 0,
                    signed_at,
                    at,
                },
            ));
        }
        if sig.signature_algorithm() != SM2_WITH_SM3 {
            return Err((
                Step::SignatureValue,
                Failure::SignerKey {
                    index: 0,
                    reason: format!(
                        "unsupported signature algorithm {}",
                        sig.signature_algorithm()
                    ),
                },
            ));
        }
        let key = sig.signer().sm2_key().map_err(|e| {
            (
                Step::SignatureValue,
                Failure::SignerKey {
                    index: 0,
                    reason: e.to_string(),
                },
            )
        })?;
        let ok = Sm2Signature::from_der(sig.signature())
            .and_then(|s| key.verify(sig.tbs_bytes(), &s))
            .is_ok();
        if !ok {
            return Err((Step::SignatureValue, Failure::InvalidSignature { index: 0 }));
        }
        // Signer in the seal's list.
        if !seal.info().certs.iter().any(|c| lists(c, sig.signer())) {
            return Err((Step::SignerInSeal, Failure::SignerNotInSeal { index: 0 }));
        }
        self.ses_maker_steps(seal)?;
        self.ses_validity(seal, signed_at)
            .map_err(|f| (Step::SealValidity, f))?;
        // Signer certificate at the signing time.
        self.chain(&mut Fresh, sig.signer(), &[], signed_at)
            .map_err(|error| {
                (
                    Step::SignerCertificate,
                    Failure::SignerCertificate { index: 0, error },
                )
            })?;
        // Data hash.
        if sig.to_sign().data_hash.as_slice() != sm3(data) {
            return Err((Step::DataHash, Failure::DataHashMismatch { index: 0 }));
        }
        Ok(())
    }

    fn ses_seal_steps(&self, seal: &SesSeal, at: Timestamp) -> StepResult {
        self.ses_maker_steps(seal)?;
        self.ses_validity(seal, at)
            .map_err(|f| (Step::SealValidity, f))
    }

    fn ses_maker_steps(&self, seal: &SesSeal) -> StepResult {
        let maker_key = |reason: String| {
            (
                Step::SealMakerSignature,
                Failure::SealMakerKey { index: 0, reason },
            )
        };
        if seal.signature_algorithm() != SM2_WITH_SM3 {
            return Err(maker_key(format!(
                "unsupported signature algorithm {}",
                seal.signature_algorithm()
            )));
        }
        let key = seal
            .maker()
            .sm2_key()
            .map_err(|e| maker_key(e.to_string()))?;
        let ok = Sm2Signature::from_der(seal.signature())
            .and_then(|s| key.verify(seal.info_bytes(), &s))
            .is_ok();
        if !ok {
            return Err((
                Step::SealMakerSignature,
                Failure::InvalidSealSignature { index: 0 },
            ));
        }
        self.chain(&mut Fresh, seal.maker(), &[], seal.info().created.at)
            .map_err(|error| {
                (
                    Step::SealMakerCertificate,
                    Failure::SealMakerCertificate { index: 0, error },
                )
            })
    }

    fn ses_validity(&self, seal: &SesSeal, signed_at: Timestamp) -> Result<(), Failure> {
        let info = seal.info();
        if let Some(x) = info.extensions.iter().flatten().find(|x| x.critical()) {
            return Err(Failure::UnknownCriticalExtension {
                index: 0,
                id: x.oid(),
            });
        }
        if info.created.at > signed_at {
            return Err(Failure::SealMadeAfterSigning {
                index: 0,
                created_at: info.created.at,
                signed_at,
            });
        }
        if !(info.valid_from.at <= signed_at && signed_at <= info.valid_to.at) {
            return Err(Failure::SealNotValidAtSigning {
                index: 0,
                valid_from: info.valid_from.at,
                valid_to: info.valid_to.at,
                signed_at,
            });
        }
        match self.status.seal_status(&info.id, signed_at) {
            RevocationStatus::Good => Ok(()),
            RevocationStatus::Revoked { since } => Err(Failure::SealRevoked {
                index: 0,
                seal_id: info.id.clone(),
                since,
            }),
            _ if matches!(self.unknown, UnknownStatus::DangerAccept(_)) => Ok(()),
            _ => Err(Failure::SealStatusUnknown {
                index: 0,
                seal_id: info.id.clone(),
            }),
        }
    }
}
