//! A cache of the expensive, repeatable parts of verification: seal makers'
//! signatures and certificate chains. Results are exactly those of the
//! single path (see [`VerifyCache`]).

use std::collections::HashMap;

use sha2::Digest;

use super::{ChainFn, Verifier, Work};
use crate::cert::{Certificate, ChainError};
use crate::date::Timestamp;
use crate::document::{DecodeCache, LicenseSignature, SIGNATURE_CONTEXT, SignedLicense};
use crate::seal::{SEAL_CONTEXT, Seal};
use crate::sign::{PublicKey, ed25519};
use crate::status::RevocationStatus;

/// Entries kept before the cache starts over (bounded memory).
const MAX_ENTRIES: usize = 16_384;

/// Remembers decoded seals and signer certificates (reused when a document
/// carries byte-identical ones), seal-maker signature verdicts (by seal digest)
/// and certificate chain verdicts, for one [`Verifier`].
///
/// A chain verdict is remembered under everything it depends on: the leaf and
/// carried certificates, and — at the signing time asked about — the validity
/// of every certificate the search may consider and the status source's answer
/// for each. The same inputs give the same verdict, so a cached answer is the
/// single path's answer. A cached *failure* is recomputed, so error details
/// (which name the time) are exactly the single path's too.
///
/// Use one cache with one verifier; it notices when used with another and
/// starts over.
#[derive(Debug, Default, Clone)]
pub struct VerifyCache {
    verifier: u64,
    decoded: DecodeCache,
    seals: HashMap<[u8; 32], bool>,
    chains: HashMap<ChainKey, bool>,
    hits: u64,
    misses: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ChainKey {
    certs: Vec<[u8; 32]>,
    time: Vec<(bool, i64)>,
}

impl VerifyCache {
    /// An empty cache.
    pub fn new() -> VerifyCache {
        VerifyCache::default()
    }

    /// Cache hits and misses so far.
    pub fn stats(&self) -> (u64, u64) {
        (self.hits, self.misses)
    }

    pub(crate) fn bind(&mut self, verifier: &Verifier) {
        if self.verifier != verifier.id {
            *self = VerifyCache {
                verifier: verifier.id,
                ..VerifyCache::default()
            };
        }
        if self.seals.len() + self.chains.len() > MAX_ENTRIES {
            self.seals.clear();
            self.chains.clear();
        }
    }

    /// Seals and signer certificates decoded before, reused for byte-identical ones.
    pub(crate) fn decoded(&mut self) -> &mut DecodeCache {
        &mut self.decoded
    }

    pub(crate) fn work<'c>(&'c mut self, verifier: &'c Verifier) -> Cached<'c> {
        self.bind(verifier);
        Cached {
            cache: self,
            verifier,
        }
    }
}

/// [`Work`] that consults a [`VerifyCache`].
pub(crate) struct Cached<'c> {
    cache: &'c mut VerifyCache,
    verifier: &'c Verifier,
}

fn status_code(s: RevocationStatus) -> i64 {
    match s {
        RevocationStatus::Good => 0,
        RevocationStatus::Unknown => 1,
        // A revocation time of the minimum instant cannot collide with 0 or 1.
        RevocationStatus::Revoked { since } => since.unix().saturating_mul(2).saturating_add(3),
    }
}

/// Everything a chain verdict depends on (see [`VerifyCache`]).
fn chain_key(v: &Verifier, leaf: &Certificate, carried: &[Certificate], at: Timestamp) -> ChainKey {
    let considered = || {
        core::iter::once(leaf)
            .chain(carried)
            .chain(v.intermediates.iter())
    };
    let certs = considered().map(Certificate::fingerprint).collect();
    let valid = |c: &Certificate| c.not_before() <= at && at <= c.not_after();
    let mut time: Vec<(bool, i64)> = considered()
        .map(|c| (valid(c), status_code(v.status.certificate_status(c, at))))
        .collect();
    time.extend(v.anchors.iter().map(|a| (valid(a), 0)));
    ChainKey { certs, time }
}

impl VerifyCache {
    /// The seal maker's signature verdict, remembered by seal digest.
    pub(crate) fn seal_ok(&mut self, seal: &Seal) -> bool {
        let digest = seal.digest();
        if let Some(ok) = self.seals.get(&digest) {
            self.hits += 1;
            return *ok;
        }
        self.misses += 1;
        let ok = seal.maker().ed25519_key().is_ok_and(|key| {
            ed25519::verify(key, &[SEAL_CONTEXT, seal.info_bytes()], seal.signature()).is_ok()
        });
        self.seals.insert(digest, ok);
        ok
    }

    /// Takes in the entries of `other` (a task's private copy).
    pub(crate) fn merge(&mut self, other: VerifyCache) {
        if other.verifier == self.verifier {
            self.seals.extend(other.seals);
            self.chains.extend(other.chains);
        }
    }

    /// Number of remembered verdicts.
    pub(crate) fn len(&self) -> usize {
        self.seals.len() + self.chains.len()
    }

    /// A chain verdict: remembered when it passed, computed fresh otherwise.
    pub(crate) fn chain(
        &mut self,
        verifier: &Verifier,
        leaf: &Certificate,
        carried: &[Certificate],
        at: Timestamp,
        verify: &mut ChainFn<'_>,
    ) -> Result<(), ChainError> {
        let key = chain_key(verifier, leaf, carried, at);
        if self.chains.get(&key) == Some(&true) {
            self.hits += 1;
            return Ok(());
        }
        self.misses += 1;
        let result = verify(leaf, carried, at).map(|_| ());
        self.chains.insert(key, result.is_ok());
        result
    }
}

impl Work for Cached<'_> {
    fn signature_ok(&mut self, _: usize, sig: &LicenseSignature, key: &PublicKey) -> bool {
        ed25519::verify(key, &[SIGNATURE_CONTEXT, sig.tbs_bytes()], sig.signature()).is_ok()
    }

    fn seal_signature_ok(&mut self, seal: &Seal) -> bool {
        self.cache.seal_ok(seal)
    }

    fn chain(
        &mut self,
        leaf: &Certificate,
        carried: &[Certificate],
        at: Timestamp,
        verify: &mut ChainFn<'_>,
    ) -> Result<(), ChainError> {
        self.cache.chain(self.verifier, leaf, carried, at, verify)
    }

    fn data_hash(&mut self, doc: &SignedLicense) -> [u8; 32] {
        sha2::Sha256::digest(doc.license_bytes()).into()
    }
}
