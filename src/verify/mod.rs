//! Single-license verification with a step-by-step report, in the order of
//! GB/T 38540 (see [`Step`]).
//!
//! Verification is a pure function of the document bytes, the verification
//! time, and what the verifier was given (trust anchors, trusted keys, license
//! types, a status source): it never reads the clock, the disk or the network.

mod alg;
mod cache;
mod report;
#[cfg(feature = "gm")]
mod ses;

use core::ops::Deref;
use std::sync::Arc;

use sha2::Digest;

pub use cache::VerifyCache;
pub use report::{Check, Failure, Outcome, Report, Step};

use crate::catalog::LicenseTypes;
use crate::cert::{
    CertUsage, Certificate, ChainError, ChainPolicy, TrustAnchors, VerifiedChain, verify_chain,
};
use crate::date::Timestamp;
use crate::document::{
    DecodeLimits, DocView, LicenseSignature, SIGNATURE_CONTEXT, SignedLicense, SignerRef,
};
use crate::ids::Uscc;
use crate::seal::Seal;
use crate::sign::{PublicKey, ed25519};
use crate::status::{
    InMemoryStatus, LicenseStanding, RevocationStatus, StatusSource, UnknownStatus,
};
use crate::trust::TrustedKeys;
use crate::trustlist::Recognition;

/// Options of a [`Verifier`]. Every check runs; options only set limits.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct VerifyOptions {
    /// Size and work limits for decoding.
    pub limits: DecodeLimits,
    /// Work limits for certificate chains.
    pub chain_policy: ChainPolicy,
}

impl VerifyOptions {
    /// Options with other decoding limits.
    pub fn with_limits(mut self, limits: DecodeLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Options with another chain policy.
    pub fn with_chain_policy(mut self, policy: ChainPolicy) -> Self {
        self.chain_policy = policy;
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
    /// The rejection of a document that does not decode.
    pub(crate) fn from_decode(e: crate::error::DecodeError) -> Rejected {
        Rejected {
            report: Report::new(Err(decode_failure(e)), true, true, true),
        }
    }

    /// The rejection of an input longer than the decoding limit — exactly what
    /// decoding it would say.
    pub(crate) fn too_large(len: usize, max: usize) -> Rejected {
        Rejected::from_decode(crate::error::DecodeError::Json(
            crate::canonical::JsonError::new(
                0,
                crate::canonical::JsonErrorKind::TooLarge { len, max },
            ),
        ))
    }

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

/// Verifies signed and sealed licenses.
///
/// It trusts nothing until told: certificate trust anchors (for seals), raw
/// keys (for key signatures), the license types it checks against, and a
/// status source for revocation (without one, every status is unknown, which
/// [`UnknownStatus::Deny`] — the default — rejects).
#[derive(Clone)]
pub struct Verifier {
    /// Changes whenever the configuration does, so caches can tell verifiers apart.
    id: u64,
    types: LicenseTypes,
    keys: TrustedKeys,
    anchors: TrustAnchors,
    intermediates: Vec<Certificate>,
    status: Arc<dyn StatusSource>,
    unknown: UnknownStatus,
    options: VerifyOptions,
    /// Trust lists: when set, a license's issuer must be recognised.
    recognition: Option<Arc<Recognition>>,
}

impl core::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Verifier")
            .field("types", &self.types.len())
            .field("keys", &self.keys.len())
            .field("anchors", &self.anchors.len())
            .field("intermediates", &self.intermediates.len())
            .field("unknown_status", &self.unknown)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier that checks licenses against `types` and trusts nothing yet.
    pub fn new(types: LicenseTypes) -> Verifier {
        Verifier {
            id: next_id(),
            types,
            keys: TrustedKeys::new(),
            anchors: TrustAnchors::new(),
            intermediates: Vec::new(),
            status: Arc::new(InMemoryStatus::new()),
            unknown: UnknownStatus::Deny,
            options: VerifyOptions::default(),
            recognition: None,
        }
    }

    /// Trusts these certificate anchors for seal makers and signers.
    pub fn with_trust_anchors(mut self, anchors: TrustAnchors) -> Verifier {
        self.id = next_id();
        self.anchors = anchors;
        self
    }

    /// Intermediate certificates to build chains with (documents may carry more).
    pub fn with_intermediates(mut self, certs: Vec<Certificate>) -> Verifier {
        self.id = next_id();
        self.intermediates = certs;
        self
    }

    /// Trusts these raw keys, each for its organisation.
    pub fn with_trusted_keys(mut self, keys: TrustedKeys) -> Verifier {
        self.id = next_id();
        self.keys = keys;
        self
    }

    /// Asks this source for the revocation status of certificates and seals.
    pub fn with_status(mut self, status: impl StatusSource + 'static) -> Verifier {
        self.id = next_id();
        self.status = Arc::new(status);
        self
    }

    /// Asks this shared source for revocation status.
    pub fn with_shared_status(mut self, status: Arc<dyn StatusSource>) -> Verifier {
        self.id = next_id();
        self.status = status;
        self
    }

    /// The status source asked (revocation, and license status when it keeps it).
    pub fn status_source(&self) -> Arc<dyn StatusSource> {
        Arc::clone(&self.status)
    }

    /// What to do when the status source does not know a certificate or seal.
    pub fn with_unknown_status(mut self, policy: UnknownStatus) -> Verifier {
        self.id = next_id();
        self.unknown = policy;
        self
    }

    /// Trusts what `recognition` lists — its anchors and raw keys are added to
    /// those already given (so call this after
    /// [`with_trust_anchors`](Self::with_trust_anchors) and
    /// [`with_trusted_keys`](Self::with_trusted_keys), which replace) — and
    /// from now on accepts a license only if a list entry recognises its
    /// issuer for its type and region (step [`Step::Recognition`]).
    pub fn with_recognition(mut self, recognition: Recognition) -> Verifier {
        self.id = next_id();
        for c in recognition.anchors().iter() {
            self.anchors.add(c.clone());
        }
        recognition.keys().extend_into(&mut self.keys);
        self.recognition = Some(Arc::new(recognition));
        self
    }

    /// The trust lists, when set.
    pub fn recognition(&self) -> Option<&Recognition> {
        self.recognition.as_deref()
    }

    /// With other options.
    pub fn with_options(mut self, options: VerifyOptions) -> Verifier {
        self.id = next_id();
        self.options = options;
        self
    }

    /// The license types.
    pub fn license_types(&self) -> &LicenseTypes {
        &self.types
    }

    /// The trust anchors.
    pub fn trust_anchors(&self) -> &TrustAnchors {
        &self.anchors
    }

    /// The trusted raw keys.
    pub fn trusted_keys(&self) -> &TrustedKeys {
        &self.keys
    }

    /// The options.
    pub fn options(&self) -> &VerifyOptions {
        &self.options
    }

    /// Decodes and verifies a document at time `at`.
    pub fn verify(&self, bytes: &[u8], at: Timestamp) -> Result<Verified<SignedLicense>, Rejected> {
        match SignedLicense::decode_with(bytes, &self.options.limits) {
            Ok(doc) => self.verify_document(doc, at),
            Err(e) => Err(Rejected::from_decode(e)),
        }
    }

    /// Verifies an already decoded document at time `at`.
    pub fn verify_document(
        &self,
        doc: SignedLicense,
        at: Timestamp,
    ) -> Result<Verified<SignedLicense>, Rejected> {
        self.finish(doc, at, &mut Fresh)
    }

    /// Decodes and verifies a document at time `at`, remembering seal-maker
    /// signatures and certificate chains in `cache` for the next documents.
    /// The verdict and report are exactly those of [`Verifier::verify`].
    pub fn verify_cached(
        &self,
        bytes: &[u8],
        at: Timestamp,
        cache: &mut VerifyCache,
    ) -> Result<Verified<SignedLicense>, Rejected> {
        cache.bind(self);
        match SignedLicense::decode_cached(bytes, &self.options.limits, cache.decoded()) {
            Ok(doc) => self.finish(doc, at, &mut cache.work(self)),
            Err(e) => Err(Rejected::from_decode(e)),
        }
    }

    /// The verdict on a decoded document, with `work` supplying the expensive parts.
    pub(crate) fn judge(
        &self,
        doc: DocView<'_>,
        at: Timestamp,
        work: &mut dyn Work,
    ) -> Result<(), Rejected> {
        // A passing license needs no report; a failing one gets the full one.
        let failure = self.check(doc, at, work).err();
        match failure {
            None => Ok(()),
            Some(f) => {
                let sealed = doc.signatures().iter().any(|s| s.seal().is_some());
                Err(Rejected {
                    report: Report::new(
                        Err(f),
                        sealed,
                        self.status.tracks_licenses(),
                        self.recognition.is_some(),
                    ),
                })
            }
        }
    }

    fn finish(
        &self,
        doc: SignedLicense,
        at: Timestamp,
        work: &mut dyn Work,
    ) -> Result<Verified<SignedLicense>, Rejected> {
        let sealed = doc.signatures().iter().any(|s| s.seal().is_some());
        let result = self.check(doc.view(), at, work);
        let mut report = Report::new(
            result,
            sealed,
            self.status.tracks_licenses(),
            self.recognition.is_some(),
        );
        if report.passed() {
            if let Some(r) = &self.recognition {
                report.set_recognised_by(r.recognise(doc.view(), at).ok());
            }
            Ok(Verified {
                value: doc,
                report,
                at,
            })
        } else {
            Err(Rejected { report })
        }
    }

    /// Every step after decoding, in order. `work` supplies the results of the
    /// expensive, time-independent parts (the batch verifier caches them).
    pub(crate) fn check(
        &self,
        doc: DocView<'_>,
        at: Timestamp,
        work: &mut dyn Work,
    ) -> Result<(), (Step, Failure)> {
        let sigs = doc.signatures();
        let license = doc.license();

        // Signature value: bindings, time, Ed25519.
        for (index, s) in sigs.iter().enumerate() {
            let fail = |f| (Step::SignatureValue, f);
            let tbs = s.tbs();
            if tbs.signer_digest() != &s.signer().digest() {
                return Err(fail(Failure::SignerDigestMismatch { index }));
            }
            if let Some(seal) = s.seal()
                && tbs.seal_digest() != Some(&seal.digest())
            {
                return Err(fail(Failure::SealDigestMismatch { index }));
            }
            if tbs.signed_at() > at {
                return Err(fail(Failure::SignedAfterVerificationTime {
                    index,
                    signed_at: tbs.signed_at(),
                    at,
                }));
            }
            if tbs.algorithm() != crate::document::Algorithm::Ed25519 {
                alg::check_signature(index, s).map_err(fail)?;
                continue;
            }
            let key = signer_key(s.signer())
                .map_err(|reason| fail(Failure::SignerKey { index, reason }))?;
            if !work.signature_ok(index, s, &key) {
                return Err(fail(Failure::InvalidSignature { index }));
            }
        }

        // Signer certificate in the seal's list.
        for (index, s) in sigs.iter().enumerate() {
            if let (Some(seal), Some(cert)) = (s.seal(), s.signer().certificate())
                && !seal.certs().iter().any(|c| c.matches(cert))
            {
                return Err((Step::SignerInSeal, Failure::SignerNotInSeal { index }));
            }
        }

        // Seal maker's signature.
        for (index, s) in sigs.iter().enumerate() {
            if let Some(seal) = s.seal() {
                let fail = |f| (Step::SealMakerSignature, f);
                if !seal.binds_maker() {
                    return Err(fail(Failure::SealMakerNotBound { index }));
                }
                alg::seal_maker_key(index, seal).map_err(fail)?;
                if !work.seal_signature_ok(seal) {
                    return Err(fail(Failure::InvalidSealSignature { index }));
                }
            }
        }

        // Seal maker's certificate, when the seal was made.
        for (index, s) in sigs.iter().enumerate() {
            if let Some(seal) = s.seal() {
                self.chain(work, seal.maker(), seal.maker_chain(), seal.created_at())
                    .map_err(|error| {
                        (
                            Step::SealMakerCertificate,
                            Failure::SealMakerCertificate { index, error },
                        )
                    })?;
            }
        }

        // Seal validity at the signing time.
        for (index, s) in sigs.iter().enumerate() {
            if let Some(seal) = s.seal() {
                self.seal_validity(index, seal, s.tbs().signed_at())
                    .map_err(|f| (Step::SealValidity, f))?;
            }
        }

        // Signer: certificate chain at the signing time, or a trusted raw key.
        // (A raw key's bytes are its key's, valid by now.)
        for (index, s) in sigs.iter().enumerate() {
            let fail = |f| (Step::SignerCertificate, f);
            match s.signer() {
                SignerRef::Key(k) => {
                    if self.keys.lookup(k).is_none() {
                        let fingerprint = signer_key(s.signer())
                            .map(|key| key.fingerprint())
                            .unwrap_or_default();
                        return Err(fail(Failure::UntrustedSigner { index, fingerprint }));
                    }
                }
                SignerRef::Certificate { cert, chain } => {
                    self.chain(work, cert, chain, s.tbs().signed_at())
                        .map_err(|error| fail(Failure::SignerCertificate { index, error }))?;
                }
            }
        }

        // Data hash.
        let data_hash = work.data_hash(doc.license_bytes());
        for (index, s) in sigs.iter().enumerate() {
            if s.tbs().data_hash() != &data_hash {
                return Err((Step::DataHash, Failure::DataHashMismatch { index }));
            }
        }

        // Schema.
        let ty = self.types.get(license.type_code()).ok_or((
            Step::Schema,
            Failure::UnknownType {
                code: *license.type_code(),
            },
        ))?;
        ty.check(license)
            .map_err(|e| (Step::Schema, Failure::Schema(e)))?;

        // License validity at the verification time.
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

        // One organisation throughout.
        self.organisation(doc)
            .map_err(|f| (Step::Organisation, f))?;

        // Recognition by a trust list.
        if let Some(r) = &self.recognition {
            r.recognise(doc, at).map_err(|reason| {
                (
                    Step::Recognition,
                    Failure::NotRecognised {
                        issuer: *license.issuer().code(),
                        reason,
                    },
                )
            })?;
        }

        // The license's status at the verification time.
        if self.status.tracks_licenses() {
            let id = license.id();
            match work.license_standing(self.status.as_ref(), id, at) {
                LicenseStanding::InForce => {}
                LicenseStanding::NotInForce { status, since } => {
                    return Err((
                        Step::LicenseStatus,
                        Failure::LicenseNotInForce {
                            id: id.clone(),
                            status,
                            since,
                        },
                    ));
                }
                _ if matches!(self.unknown, UnknownStatus::DangerAccept(_)) => {}
                _ => {
                    return Err((
                        Step::LicenseStatus,
                        Failure::LicenseStatusUnknown { id: id.clone() },
                    ));
                }
            }
        }

        Ok(())
    }

    fn chain(
        &self,
        work: &mut dyn Work,
        leaf: &Certificate,
        carried: &[Certificate],
        at: Timestamp,
    ) -> Result<(), ChainError> {
        work.chain(leaf, carried, at, &mut |leaf, carried, at| {
            let mut pool: Vec<Certificate> = carried.to_vec();
            pool.extend(self.intermediates.iter().cloned());
            verify_chain(
                leaf,
                &pool,
                &self.anchors,
                at,
                CertUsage::Signer,
                &self.options.chain_policy,
                self.status.as_ref(),
                self.unknown,
            )
        })
    }

    fn seal_validity(
        &self,
        index: usize,
        seal: &Seal,
        signed_at: Timestamp,
    ) -> Result<(), Failure> {
        if let Some(x) = seal.extensions().iter().find(|x| x.critical()) {
            return Err(Failure::UnknownCriticalExtension {
                index,
                id: x.id().to_owned(),
            });
        }
        if seal.created_at() > signed_at {
            return Err(Failure::SealMadeAfterSigning {
                index,
                created_at: seal.created_at(),
                signed_at,
            });
        }
        if !seal.is_valid_at(signed_at) {
            return Err(Failure::SealNotValidAtSigning {
                index,
                valid_from: seal.valid_from(),
                valid_to: seal.valid_to(),
                signed_at,
            });
        }
        match self.status.seal_status(seal.id(), signed_at) {
            RevocationStatus::Good => Ok(()),
            RevocationStatus::Revoked { since } => Err(Failure::SealRevoked {
                index,
                seal_id: seal.id().to_owned(),
                since,
            }),
            _ if matches!(self.unknown, UnknownStatus::DangerAccept(_)) => Ok(()),
            _ => Err(Failure::SealStatusUnknown {
                index,
                seal_id: seal.id().to_owned(),
            }),
        }
    }

    fn organisation(&self, doc: DocView<'_>) -> Result<(), Failure> {
        let license = doc.license();
        let issuer = *license.issuer().code();
        let mut issuer_signature: Option<&LicenseSignature> = None;
        for (index, s) in doc.signatures().iter().enumerate() {
            // The signer's organisation: the trusted key's or the certificate's.
            let org: Option<Uscc> = match s.signer() {
                SignerRef::Key(k) => self.keys.lookup(k).map(|(_, org)| *org),
                SignerRef::Certificate { cert, .. } => cert.organization().copied(),
            };
            let org = match s.seal() {
                Some(seal) => {
                    let holder = *seal.holder().code();
                    if org != Some(holder) {
                        return Err(Failure::SignerOrganisationMismatch {
                            index,
                            seal_holder: holder,
                            found: org,
                        });
                    }
                    Some(holder)
                }
                None => org,
            };
            if org == Some(issuer) && issuer_signature.is_none() {
                issuer_signature = Some(s);
            }
        }
        let Some(sig) = issuer_signature else {
            return Err(Failure::NoIssuerSignature { issuer });
        };
        if let Some(info) = license.seal() {
            if info.sealer().code() != &issuer {
                return Err(Failure::SealInfoMismatch { what: "sealer" });
            }
            if info.sealed_at() != sig.tbs().signed_at() {
                return Err(Failure::SealInfoMismatch { what: "sealed at" });
            }
            if let Some(seal) = sig.seal() {
                if info.seal_name() != seal.name() {
                    return Err(Failure::SealInfoMismatch { what: "seal name" });
                }
                if info.sealer().name() != seal.holder().name() {
                    return Err(Failure::SealInfoMismatch {
                        what: "sealer name",
                    });
                }
            }
        }
        Ok(())
    }
}

fn next_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn decode_failure(e: crate::error::DecodeError) -> (Step, Failure) {
    let step = if e.is_identifier_problem() {
        Step::Identifiers
    } else {
        Step::Parse
    };
    (step, Failure::Decode(e))
}

/// The signer's Ed25519 key: the raw key, or the certificate's.
fn signer_key(signer: &SignerRef) -> Result<PublicKey, String> {
    match signer {
        SignerRef::Key(bytes) => PublicKey::from_bytes(bytes).map_err(|e| e.to_string()),
        SignerRef::Certificate { cert, .. } => {
            cert.ed25519_key().copied().map_err(|e| e.to_string())
        }
    }
}

/// Fresh chain verification, as the cache calls it.
pub(crate) type ChainFn<'a> =
    dyn FnMut(&Certificate, &[Certificate], Timestamp) -> Result<VerifiedChain, ChainError> + 'a;

/// The expensive parts of verification, done fresh or supplied from a cache.
pub(crate) trait Work {
    /// Whether signature `index` is valid under `key`.
    fn signature_ok(&mut self, index: usize, sig: &LicenseSignature, key: &PublicKey) -> bool;
    /// Whether the seal maker's signature is valid.
    fn seal_signature_ok(&mut self, seal: &Seal) -> bool;
    /// Chain verification of `leaf` at `at`; `verify` does it fresh.
    fn chain(
        &mut self,
        leaf: &Certificate,
        carried: &[Certificate],
        at: Timestamp,
        verify: &mut ChainFn<'_>,
    ) -> Result<(), ChainError>;
    /// SHA-256 of the license bytes.
    fn data_hash(&mut self, license_bytes: &[u8]) -> [u8; 32];
    /// The license's standing at `at` (the batch verifier asks `status` once
    /// per run and answers from that).
    fn license_standing(
        &mut self,
        status: &dyn StatusSource,
        id: &crate::ids::LicenseId,
        at: Timestamp,
    ) -> LicenseStanding {
        status.license_status(id, at)
    }
}

/// Everything done fresh: the single path.
pub(crate) struct Fresh;

impl Work for Fresh {
    fn signature_ok(&mut self, _: usize, sig: &LicenseSignature, key: &PublicKey) -> bool {
        ed25519::verify(key, &[SIGNATURE_CONTEXT, sig.tbs_bytes()], sig.signature()).is_ok()
    }

    fn seal_signature_ok(&mut self, seal: &Seal) -> bool {
        alg::seal_signature_valid(seal)
    }

    fn chain(
        &mut self,
        leaf: &Certificate,
        carried: &[Certificate],
        at: Timestamp,
        verify: &mut ChainFn<'_>,
    ) -> Result<(), ChainError> {
        verify(leaf, carried, at).map(|_| ())
    }

    fn data_hash(&mut self, license_bytes: &[u8]) -> [u8; 32] {
        sha2::Sha256::digest(license_bytes).into()
    }
}
