//! A cache of the expensive, repeatable parts of verification: seal makers'
//! signatures and certificate chains. Results are exactly those of the
//! single path (see [`VerifyCache`]).

use std::collections::HashMap;

use sha2::Digest;

use super::{ChainFn, Verifier, Work};
use crate::cert::{Certificate, ChainError};
use crate::date::Timestamp;
use crate::document::{DecodeCache, LicenseSignature, SIGNATURE_CONTEXT};
use crate::seal::Seal;
use crate::sign::{PublicKey, ed25519};
use crate::status::RevocationStatus;

/// Entries kept before the cache starts over (bounded memory).
const MAX_ENTRIES: usize = 16_384;

/// Passing chain keys compared before the map is consulted.
const RECENT_CHAINS: usize = 4;

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
    /// The key of the chain asked about last, rebuilt in place for each ask
    /// (no allocation once its vectors have grown).
    key: ChainKey,
    /// Keys of chains that passed, asked about lately: compared before the
    /// map is hashed into (documents of one run mostly share a few chains).
    recent: Vec<ChainKey>,
    hits: u64,
    misses: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
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
            self.recent.clear();
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

impl ChainKey {
    /// Everything a chain verdict depends on (see [`VerifyCache`]), written
    /// over `self`.
    fn set(&mut self, v: &Verifier, leaf: &Certificate, carried: &[Certificate], at: Timestamp) {
        let considered = || {
            core::iter::once(leaf)
                .chain(carried)
                .chain(v.intermediates.iter())
        };
        self.certs.clear();
        self.certs
            .extend(considered().map(Certificate::fingerprint));
        let valid = |c: &Certificate| c.not_before() <= at && at <= c.not_after();
        self.time.clear();
        self.time.extend(
            considered().map(|c| (valid(c), status_code(v.status.certificate_status(c, at)))),
        );
        self.time.extend(v.anchors.iter().map(|a| (valid(a), 0)));
    }
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
        let ok = super::alg::seal_signature_valid(seal);
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
        self.key.set(verifier, leaf, carried, at);
        if self.recent.contains(&self.key) {
            self.hits += 1;
            return Ok(());
        }
        if self.chains.get(&self.key) == Some(&true) {
            self.hits += 1;
            self.remember_recent();
            return Ok(());
        }
        self.misses += 1;
        let result = verify(leaf, carried, at).map(|_| ());
        self.chains.insert(self.key.clone(), result.is_ok());
        if result.is_ok() {
            self.remember_recent();
        }
        result
    }

    /// Adds the current key to the recent ones (dropping the oldest of four).
    fn remember_recent(&mut self) {
        if self.recent.len() >= RECENT_CHAINS {
            self.recent.remove(0);
        }
        self.recent.push(self.key.clone());
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

    fn data_hash(&mut self, license_bytes: &[u8]) -> [u8; 32] {
        sha2::Sha256::digest(license_bytes).into()
    }
}
