//! Path building and validation: [`verify_chain`].

use super::certificate::{Certificate, SignatureAlgorithm};
use super::error::{CertError, ChainError};
use crate::date::Timestamp;
use crate::sign::ed25519;
use crate::status::{RevocationStatus, StatusSource, UnknownStatus};

/// What the end-entity certificate of a path is to be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CertUsage {
    /// An end entity that signs seals or licenses (a seal maker, a 签章者): its
    /// keyUsage extension must be present and include digitalSignature or
    /// nonRepudiation.
    Signer,
}

/// The certificates trusted as path ends (roots), given by the caller.
///
/// An anchor is trusted as given: its own signature is not checked, but it
/// must be valid at the verification time and be a CA (basicConstraints
/// `CA:true`, keyUsage with keyCertSign) with an Ed25519 key.
#[derive(Debug, Clone, Default)]
pub struct TrustAnchors {
    certs: Vec<Certificate>,
}

impl TrustAnchors {
    /// No anchors.
    pub fn new() -> TrustAnchors {
        TrustAnchors::default()
    }

    /// Adds an anchor (a certificate already present is not added twice).
    pub fn add(&mut self, cert: Certificate) -> &mut Self {
        if !self.certs.contains(&cert) {
            self.certs.push(cert);
        }
        self
    }

    /// With one more anchor.
    pub fn with(mut self, cert: Certificate) -> Self {
        self.add(cert);
        self
    }

    /// Every `CERTIFICATE` block of a PEM text (at most 64).
    pub fn from_pem_bundle(pem: &str) -> Result<TrustAnchors, CertError> {
        let mut anchors = TrustAnchors::new();
        for cert in Certificate::pem_bundle(pem)? {
            anchors.add(cert);
        }
        Ok(anchors)
    }

    /// How many anchors.
    pub fn len(&self) -> usize {
        self.certs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    /// The anchors, in the order added.
    pub fn iter(&self) -> impl Iterator<Item = &Certificate> {
        self.certs.iter()
    }
}

/// Work limits for [`verify_chain`] on untrusted input. Reaching one is its
/// own error ([`ChainError::MaximumDepthExceeded`],
/// [`ChainError::MaximumSignatureChecksExceeded`]) and ends the search.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChainPolicy {
    /// Most certificates in a path, leaf and anchor included (default 5).
    pub max_depth: usize,
    /// Most signature verifications while building a path (default 16).
    pub max_signature_checks: usize,
}

impl Default for ChainPolicy {
    fn default() -> Self {
        ChainPolicy {
            max_depth: 5,
            max_signature_checks: 16,
        }
    }
}

impl ChainPolicy {
    /// With another maximum depth.
    pub fn with_max_depth(mut self, max: usize) -> Self {
        self.max_depth = max;
        self
    }

    /// With another signature-check budget.
    pub fn with_max_signature_checks(mut self, max: usize) -> Self {
        self.max_signature_checks = max;
        self
    }
}

/// A validated path, leaf first and trust anchor last. Only [`verify_chain`]
/// makes one.
#[derive(Debug, Clone)]
pub struct VerifiedChain {
    certs: Vec<Certificate>,
    leaf: Certificate,
    anchor: Certificate,
}

impl VerifiedChain {
    /// The end-entity certificate.
    pub fn leaf(&self) -> &Certificate {
        &self.leaf
    }

    /// The trust anchor the path ends at.
    pub fn anchor(&self) -> &Certificate {
        &self.anchor
    }

    /// The whole path: leaf first, anchor last (at least two certificates).
    pub fn certificates(&self) -> &[Certificate] {
        &self.certs
    }
}

const NEED_SIGNER: &str = "digitalSignature or nonRepudiation";
const NEED_CA: &str = "keyCertSign";

/// Validates a path from `leaf` through some of `intermediates` to one of
/// `anchors`, at time `at`, for `usage`.
///
/// * **Building**: from the leaf, candidates for each issuer are the anchors,
///   then the intermediates, whose subject name equals the certificate's issuer
///   name byte for byte (and whose subjectKeyIdentifier equals its
///   authorityKeyIdentifier when both are present). Candidates are tried
///   depth-first; a certificate appears at most once in a path. The search
///   stops at once when `policy`'s depth or signature-check budget would be
///   exceeded.
/// * **Every certificate** in the path, anchor included, must be valid at `at`
///   and have an Ed25519 key. Every certificate but the anchor must be signed
///   with Ed25519 (verified over its raw TBS bytes with this crate's signature
///   rule) and carry no critical extension other than basicConstraints,
///   keyUsage, the key identifiers and subjectAltName.
/// * **Issuers** (every certificate above the leaf, anchor included) must have
///   basicConstraints `CA:true`, a keyUsage extension with keyCertSign, and a
///   pathLenConstraint (if any) no smaller than the number of intermediates
///   below them. The anchor's own signature is not checked.
/// * **The leaf** must satisfy `usage`.
/// * **Revocation**: once a path reaches an anchor, `status` is asked about
///   every certificate in it except the anchor; revoked fails, unknown fails
///   unless `unknown` is the (dangerous) accepting policy.
/// * **A pinned leaf**: a leaf that is byte for byte one of the anchors is
///   accepted without an issuer once its own checks and its status pass.
///
/// The checks of one certificate run in this order: validity; signature
/// algorithm and critical extensions; role (usage for the leaf, CA for
/// issuers); key; then its signature under the candidate issuer's key.
/// If every candidate path fails, the error of the first that failed for a
/// reason other than an unknown issuer is returned, else
/// [`ChainError::UnknownIssuer`].
#[expect(
    clippy::too_many_arguments,
    reason = "the brief's signature: each input is explicit"
)]
pub fn verify_chain(
    leaf: &Certificate,
    intermediates: &[Certificate],
    anchors: &TrustAnchors,
    at: Timestamp,
    usage: CertUsage,
    policy: &ChainPolicy,
    status: &dyn StatusSource,
    unknown: UnknownStatus,
) -> Result<VerifiedChain, ChainError> {
    check_validity(leaf, at)?;
    check_signed(leaf)?;
    check_usage(leaf, usage)?;
    check_key(leaf)?;
    let mut search = Search {
        intermediates,
        anchors,
        at,
        policy,
        status,
        unknown,
        signature_checks: 0,
    };
    let mut path = vec![leaf];
    // A leaf that is itself an anchor (a pinned certificate) needs no issuer;
    // its revocation status is still asked.
    if anchors.iter().any(|a| a.der() == leaf.der()) {
        let below = [leaf, leaf];
        search.check_status(&below)?;
        return Ok(VerifiedChain {
            leaf: leaf.clone(),
            anchor: leaf.clone(),
            certs: vec![leaf.clone()],
        });
    }
    search.extend(&mut path)
}

fn subject(cert: &Certificate) -> String {
    cert.subject().to_owned()
}

fn check_validity(cert: &Certificate, at: Timestamp) -> Result<(), ChainError> {
    if at < cert.not_before() {
        return Err(ChainError::NotYetValid {
            subject: subject(cert),
            not_before: cert.not_before(),
            at,
        });
    }
    if at > cert.not_after() {
        return Err(ChainError::Expired {
            subject: subject(cert),
            not_after: cert.not_after(),
            at,
        });
    }
    Ok(())
}

fn check_usage(cert: &Certificate, usage: CertUsage) -> Result<(), ChainError> {
    match usage {
        CertUsage::Signer => {
            let ok = cert
                .key_usage()
                .is_some_and(|ku| ku.digital_signature() || ku.non_repudiation());
            if !ok {
                return Err(ChainError::MissingKeyUsage {
                    subject: subject(cert),
                    needed: NEED_SIGNER,
                });
            }
        }
    }
    Ok(())
}

/// What a certificate that is verified under an issuer's key must satisfy on
/// its own: an Ed25519 signature and no critical extension we do not process.
fn check_signed(cert: &Certificate) -> Result<(), ChainError> {
    if let SignatureAlgorithm::Unsupported(algorithm) = cert.signature_algorithm() {
        return Err(ChainError::UnsupportedSignatureAlgorithm {
            subject: subject(cert),
            algorithm: algorithm.clone(),
        });
    }
    if let Some(oid) = cert.unsupported_critical_extension() {
        return Err(ChainError::UnsupportedCriticalExtension {
            subject: subject(cert),
            oid: oid.to_owned(),
        });
    }
    Ok(())
}

/// A key a certificate in a path may have.
#[derive(Clone, Copy)]
enum PathKey<'a> {
    Ed25519(&'a crate::sign::PublicKey),
    #[cfg(feature = "gm")]
    Sm2(&'a crate::gm::Sm2PublicKey),
}

/// Whether `child` is signed by `key` (its signature algorithm must fit the key).
fn signed_by(child: &Certificate, key: PathKey<'_>) -> bool {
    let Some(tbs) = child.tbs() else {
        return false;
    };
    match (key, child.signature_algorithm()) {
        (PathKey::Ed25519(k), SignatureAlgorithm::Ed25519) => child
            .signature()
            .is_some_and(|sig| ed25519::verify(k, &[tbs], sig).is_ok()),
        #[cfg(feature = "gm")]
        (PathKey::Sm2(k), SignatureAlgorithm::Sm2Sm3) => child
            .sm2_signature()
            .is_some_and(|sig| k.verify(tbs, sig).is_ok()),
        _ => false,
    }
}

fn check_key(cert: &Certificate) -> Result<PathKey<'_>, ChainError> {
    #[cfg(feature = "gm")]
    if let Ok(k) = cert.sm2_key() {
        return Ok(PathKey::Sm2(k));
    }
    cert.ed25519_key()
        .map(PathKey::Ed25519)
        .map_err(|e| match e {
            CertError::UnsupportedKeyAlgorithm { algorithm } => {
                ChainError::UnsupportedKeyAlgorithm {
                    subject: subject(cert),
                    algorithm,
                }
            }
            problem => ChainError::InvalidKey {
                subject: subject(cert),
                problem,
            },
        })
}

/// What an issuer must satisfy, `below` being the number of intermediate
/// certificates between it and the leaf.
fn check_issuer(cert: &Certificate, below: usize) -> Result<(), ChainError> {
    if !cert.is_ca() {
        return Err(ChainError::NotCa {
            subject: subject(cert),
        });
    }
    if !cert.key_usage().is_some_and(|ku| ku.key_cert_sign()) {
        return Err(ChainError::MissingKeyUsage {
            subject: subject(cert),
            needed: NEED_CA,
        });
    }
    if let Some(max) = cert.path_len_constraint()
        && u64::try_from(below).unwrap_or(u64::MAX) > u64::from(max)
    {
        return Err(ChainError::PathLengthExceeded {
            subject: subject(cert),
        });
    }
    Ok(())
}

struct Search<'a> {
    intermediates: &'a [Certificate],
    anchors: &'a TrustAnchors,
    at: Timestamp,
    policy: &'a ChainPolicy,
    status: &'a dyn StatusSource,
    unknown: UnknownStatus,
    signature_checks: usize,
}

impl<'a> Search<'a> {
    /// Extends `path` (whose last certificate still needs an issuer) to an anchor.
    fn extend(&mut self, path: &mut Vec<&'a Certificate>) -> Result<VerifiedChain, ChainError> {
        let Some(child) = path.last().copied() else {
            return Err(ChainError::UnknownIssuer {
                subject: String::new(),
            });
        };
        let anchors = self.anchors.iter().map(|c| (c, true));
        let intermediates = self.intermediates.iter().map(|c| (c, false));
        let mut first_error: Option<ChainError> = None;
        for (candidate, is_anchor) in anchors.chain(intermediates) {
            if !child.may_be_issued_by(candidate) || path.contains(&candidate) {
                continue;
            }
            if path.len() >= self.policy.max_depth {
                return Err(ChainError::MaximumDepthExceeded {
                    max: self.policy.max_depth,
                });
            }
            match self.try_issuer(path, child, candidate, is_anchor) {
                Ok(chain) => return Ok(chain),
                Err(e) if e.is_fatal() => return Err(e),
                Err(e) => {
                    let replace = match &first_error {
                        None => true,
                        Some(ChainError::UnknownIssuer { .. }) => {
                            !matches!(e, ChainError::UnknownIssuer { .. })
                        }
                        Some(_) => false,
                    };
                    if replace {
                        first_error = Some(e);
                    }
                }
            }
        }
        Err(first_error.unwrap_or_else(|| ChainError::UnknownIssuer {
            subject: subject(child),
        }))
    }

    fn try_issuer(
        &mut self,
        path: &mut Vec<&'a Certificate>,
        child: &Certificate,
        candidate: &'a Certificate,
        is_anchor: bool,
    ) -> Result<VerifiedChain, ChainError> {
        check_validity(candidate, self.at)?;
        if !is_anchor {
            check_signed(candidate)?;
        }
        check_issuer(candidate, path.len().saturating_sub(1))?;
        let key = check_key(candidate)?;

        if self.signature_checks >= self.policy.max_signature_checks {
            return Err(ChainError::MaximumSignatureChecksExceeded {
                max: self.policy.max_signature_checks,
            });
        }
        self.signature_checks += 1;
        if !signed_by(child, key) {
            return Err(ChainError::BadSignature {
                subject: subject(child),
            });
        }

        path.push(candidate);
        let result = if is_anchor {
            self.check_status(path).map(|()| {
                let certs: Vec<Certificate> = path.iter().map(|c| (*c).clone()).collect();
                VerifiedChain {
                    leaf: path
                        .first()
                        .map_or_else(|| candidate.clone(), |c| (*c).clone()),
                    anchor: candidate.clone(),
                    certs,
                }
            })
        } else {
            self.extend(path)
        };
        path.pop();
        result
    }

    /// Revocation status of every certificate of a complete path but the anchor.
    fn check_status(&self, path: &[&Certificate]) -> Result<(), ChainError> {
        let Some((_anchor, below)) = path.split_last() else {
            return Ok(());
        };
        for cert in below {
            match self.status.certificate_status(cert, self.at) {
                RevocationStatus::Good => {}
                RevocationStatus::Revoked { since } => {
                    return Err(ChainError::Revoked {
                        subject: subject(cert),
                        since,
                    });
                }
                RevocationStatus::Unknown => {
                    if !matches!(self.unknown, UnknownStatus::DangerAccept(_)) {
                        return Err(ChainError::StatusUnknown {
                            subject: subject(cert),
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

/// Whether `parent` issued `child`: its name and key identifiers fit, and
/// `child`'s signature verifies under `parent`'s key (nothing else of a
/// path is checked here; the trust lists use it to tie a verified path to a
/// listed certificate).
pub(crate) fn issued_by(child: &Certificate, parent: &Certificate) -> bool {
    child.may_be_issued_by(parent) && check_key(parent).is_ok_and(|k| signed_by(child, k))
}
