//! Batch verification: many sealed licenses at once, on all cores, with a
//! verdict per license identical to [`Verifier::verify`]'s.
//!
//! A chunk of documents is split into runs of 512, each taken through four
//! passes by one thread (nothing allocated on one thread is freed on another):
//!
//! 1. **decode** — the strict decoder, reusing byte-identical seals and signer
//!    certificates already decoded (a `memcmp` instead of a parse);
//! 2. **prepare** — each signature's encoding rules and challenge;
//! 3. **batched signatures** — one cofactored multiscalar check for the run,
//!    with one folded term per signing key; a failing batch is bisected until
//!    every bad signature is found (see `sig.rs` for the equation and why it
//!    agrees with single checks);
//! 4. **checks** — the single verifier's own step sequence,
//!    `Verifier::check`, fed the signature verdicts of pass 3 and a shared
//!    cache of seal-maker signatures and certificate chains (verified once per
//!    distinct seal and chain, exactly as `VerifyCache` does).
//!
//! Because pass 4 *is* the single path's code and passes 1–3 supply exactly
//! the values the single path computes, batch and single verdicts — including
//! the failing step and the report — are the same.

mod sig;

use std::collections::BTreeMap;
use std::io::BufRead;
use std::sync::RwLock;

use rayon::prelude::*;
use sha2::Digest;

pub use sig::verify_signatures;

use crate::cert::{Certificate, ChainError};
use crate::date::Timestamp;
use crate::document::{DecodeCache, LicenseSignature, SIGNATURE_CONTEXT, SignedLicense, SignerRef};
use crate::error::DecodeError;
use crate::ids::LicenseId;
use crate::seal::Seal;
use crate::sign::PublicKey;
use crate::verify::{ChainFn, Rejected, Step, Verifier, VerifyCache, Work};

/// Documents per parallel task; their signatures form one batch equation.
const TASK: usize = 512;

/// The verdict for one input of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOutcome {
    index: usize,
    id: Option<LicenseId>,
    result: Result<(), Rejected>,
}

impl BatchOutcome {
    /// Position of the input (0-based; the line number minus one for JSON Lines).
    pub fn index(&self) -> usize {
        self.index
    }

    /// The license identifier, when the input was readable far enough to find it.
    pub fn id(&self) -> Option<&LicenseId> {
        self.id.as_ref()
    }

    /// `Ok` when the license verified; else the rejection, with the failing
    /// step and the full report — exactly what [`Verifier::verify`] returns.
    pub fn result(&self) -> &Result<(), Rejected> {
        &self.result
    }

    /// Whether the license verified.
    pub fn is_valid(&self) -> bool {
        self.result.is_ok()
    }

    /// The failing step, if any.
    pub fn failed_step(&self) -> Option<Step> {
        self.result.as_ref().err().map(Rejected::step)
    }
}

/// Counts over a batch run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchSummary {
    /// Inputs seen.
    pub total: usize,
    /// Inputs that verified.
    pub valid: usize,
    /// Rejections by failing step.
    pub rejected_by_step: BTreeMap<Step, usize>,
}

impl BatchSummary {
    fn add(&mut self, o: &BatchOutcome) {
        self.total += 1;
        match o.failed_step() {
            None => self.valid += 1,
            Some(step) => *self.rejected_by_step.entry(step).or_insert(0) += 1,
        }
    }

    /// Inputs rejected.
    pub fn rejected(&self) -> usize {
        self.total - self.valid
    }
}

/// A batch run could not read its input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// Reading the input failed.
    #[error("reading input: {0}")]
    Io(#[from] std::io::Error),
}

/// Verifies many licenses at once; see the module docs.
pub struct BatchVerifier {
    verifier: Verifier,
    chunk_size: usize,
    cache: RwLock<VerifyCache>,
    /// Seals and signers seen so far: cloned into every parallel decoder so
    /// none of them parses a known seal or certificate again.
    seen: std::sync::Mutex<DecodeCache>,
}

impl core::fmt::Debug for BatchVerifier {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BatchVerifier")
            .field("verifier", &self.verifier)
            .field("chunk_size", &self.chunk_size)
            .finish_non_exhaustive()
    }
}

impl BatchVerifier {
    /// A batch verifier with the trust, types and options of `verifier`.
    pub fn new(verifier: Verifier) -> BatchVerifier {
        BatchVerifier {
            verifier,
            chunk_size: 4096,
            cache: RwLock::new(VerifyCache::new()),
            seen: std::sync::Mutex::new(DecodeCache::default()),
        }
    }

    /// Documents held in memory at once (default 4096; at least 1). Memory is
    /// about this many documents, whatever the input's length.
    pub fn with_chunk_size(mut self, n: usize) -> BatchVerifier {
        self.chunk_size = n.clamp(1, 1 << 20);
        self
    }

    /// The underlying single verifier.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Verifies every document of `docs` at `at`; outcomes in input order.
    pub fn verify_slice<D: AsRef<[u8]> + Sync>(
        &self,
        docs: &[D],
        at: Timestamp,
    ) -> Vec<BatchOutcome> {
        let mut out = Vec::with_capacity(docs.len());
        for (c, chunk) in docs.chunks(self.chunk_size).enumerate() {
            let refs: Vec<&[u8]> = chunk.iter().map(AsRef::as_ref).collect();
            out.extend(self.run_chunk(&refs, c * self.chunk_size, at));
        }
        out
    }

    /// Verifies a stream of JSON Lines (one document per line; a final `\r`
    /// is dropped with the `\n`) at `at`, calling `sink` with each outcome in
    /// input order. Memory stays bounded by the chunk size: a line longer than
    /// the decoding limit is rejected without being held.
    pub fn verify_lines<R: BufRead>(
        &self,
        reader: R,
        at: Timestamp,
        mut sink: impl FnMut(BatchOutcome),
    ) -> Result<BatchSummary, BatchError> {
        self.verify_lines_with_input(reader, at, |o, _| sink(o))
    }

    /// As [`BatchVerifier::verify_lines`], also handing `sink` each line's
    /// bytes (without its terminator; empty for a line over the size limit),
    /// e.g. to store the licenses that verified.
    pub fn verify_lines_with_input<R: BufRead>(
        &self,
        mut reader: R,
        at: Timestamp,
        mut sink: impl FnMut(BatchOutcome, &[u8]),
    ) -> Result<BatchSummary, BatchError> {
        let max = self.verifier.options().limits.max_document_bytes;
        let mut summary = BatchSummary::default();
        let mut index = 0;
        loop {
            let mut lines: Vec<Line> = Vec::with_capacity(self.chunk_size);
            while lines.len() < self.chunk_size {
                match read_line(&mut reader, max)? {
                    Some(line) => lines.push(line),
                    None => break,
                }
            }
            if lines.is_empty() {
                return Ok(summary);
            }
            let refs: Vec<&[u8]> = lines
                .iter()
                .map(|l| match l {
                    Line::Kept(b) => b.as_slice(),
                    Line::TooLong(_) => &[],
                })
                .collect();
            let mut outcomes = self.run_chunk(&refs, index, at);
            for (o, l) in outcomes.iter_mut().zip(&lines) {
                if let Line::TooLong(len) = l {
                    o.result = Err(Rejected::too_large(*len, max));
                    o.id = None;
                }
            }
            index += lines.len();
            for (o, line) in outcomes.into_iter().zip(&refs) {
                summary.add(&o);
                sink(o, line);
            }
        }
    }

    fn run_chunk(&self, docs: &[&[u8]], first: usize, at: Timestamp) -> Vec<BatchOutcome> {
        let limits = self.verifier.options().limits;
        // The first document warms the shared cache of seen seals and signers
        // (cheaply, when they are known already); every task starts from it.
        let seed = {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(first) = docs.first() {
                let _ = SignedLicense::decode_cached(first, &limits, &mut seen);
            }
            seen.clone()
        };
        // Each task takes a contiguous run of documents through every pass on
        // one thread, so nothing allocated by one thread is freed by another.
        docs.par_chunks(TASK)
            .enumerate()
            .flat_map_iter(|(k, run)| self.run_task(run, first + k * TASK, at, seed.detached()))
            .collect()
    }

    fn run_task(
        &self,
        docs: &[&[u8]],
        first: usize,
        at: Timestamp,
        mut seen: DecodeCache,
    ) -> Vec<BatchOutcome> {
        let limits = self.verifier.options().limits;

        // 1. Decode.
        let decoded: Vec<Result<SignedLicense, DecodeError>> = docs
            .iter()
            .map(|d| SignedLicense::decode_cached(d, &limits, &mut seen))
            .collect();

        // 2. Keys and signature jobs.
        let mut keys: Vec<PublicKey> = Vec::new();
        let mut jobs: Vec<(usize, usize, usize)> = Vec::new();
        let mut offsets: Vec<usize> = Vec::with_capacity(decoded.len() + 1);
        for (d, r) in decoded.iter().enumerate() {
            offsets.push(jobs.len());
            let Ok(doc) = r else { continue };
            for (i, s) in doc.signatures().iter().enumerate() {
                let raw = match s.signer() {
                    SignerRef::Key(k) => Some(*k),
                    SignerRef::Certificate { cert, .. } => {
                        cert.ed25519_key().ok().map(|k| *k.as_bytes())
                    }
                    #[allow(unreachable_patterns)]
                    _ => None,
                };
                let Some(raw) = raw else { continue };
                let k = match keys.iter().position(|k| k.as_bytes() == &raw) {
                    Some(k) => k,
                    None => match PublicKey::from_bytes(&raw) {
                        Ok(key) => {
                            keys.push(key);
                            keys.len() - 1
                        }
                        Err(_) => continue,
                    },
                };
                jobs.push((d, i, k));
            }
        }
        offsets.push(jobs.len());

        // 3. Prepare and verify the signatures as one batch.
        let items: Vec<Option<sig::Item>> = jobs
            .iter()
            .map(|&(d, i, k)| {
                let s = decoded
                    .get(d)
                    .and_then(|r| r.as_ref().ok())
                    .and_then(|doc| doc.signatures().get(i))?;
                sig::Item::new(&keys, k, &[SIGNATURE_CONTEXT, s.tbs_bytes()], s.signature())
            })
            .collect();
        let prepared: Vec<sig::Item> = items.iter().flatten().copied().collect();
        let mut prepared_verdicts = sig::verify_items(&keys, &prepared).into_iter();
        let verdicts: Vec<bool> = items
            .iter()
            .map(|it| it.is_some() && prepared_verdicts.next().unwrap_or(false))
            .collect();

        // 4. The single verifier's checks, with a private copy of the shared
        //    seal and chain verdicts (merged back once, at the end).
        let mut cache = {
            let shared = self.cache.read().unwrap_or_else(|e| e.into_inner());
            shared.clone()
        };
        cache.bind(&self.verifier);
        let known = cache.len();
        let outcomes = decoded
            .into_iter()
            .enumerate()
            .map(|(d, r)| {
                let index = first + d;
                match r {
                    Err(e) => BatchOutcome {
                        index,
                        id: docs.get(d).and_then(|b| id_of(b)),
                        result: Err(Rejected::from_decode(e)),
                    },
                    Ok(doc) => {
                        let range = offsets.get(d).copied().unwrap_or(0)
                            ..offsets.get(d + 1).copied().unwrap_or(0);
                        let mut work = BatchWork {
                            jobs: jobs.get(range.clone()).unwrap_or_default(),
                            verdicts: verdicts.get(range).unwrap_or_default(),
                            cache: &mut cache,
                            verifier: &self.verifier,
                        };
                        BatchOutcome {
                            index,
                            id: Some(doc.license().id().clone()),
                            result: self.verifier.judge(&doc, at, &mut work),
                        }
                    }
                }
            })
            .collect();
        if cache.len() > known {
            let mut shared = self.cache.write().unwrap_or_else(|e| e.into_inner());
            shared.bind(&self.verifier);
            shared.merge(cache);
        }
        outcomes
    }
}

/// The identifier of a document that failed to decode, if a lenient reading finds one.
fn id_of(bytes: &[u8]) -> Option<LicenseId> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    LicenseId::parse(v.pointer("/license/id")?.as_str()?).ok()
}

enum Line {
    Kept(Vec<u8>),
    TooLong(usize),
}

/// Reads one line (without `\n` or `\r\n`); a line longer than `max` is
/// consumed but not kept.
fn read_line<R: BufRead>(r: &mut R, max: usize) -> std::io::Result<Option<Line>> {
    let mut buf = Vec::new();
    let mut len = 0usize;
    let mut seen = false;
    // The line's last byte, whether or not the line is kept.
    let mut last: Option<u8> = None;
    loop {
        let available = r.fill_buf()?;
        if available.is_empty() {
            break;
        }
        seen = true;
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (available.get(..i).unwrap_or_default(), Some(i + 1)),
            None => (available, None),
        };
        len += chunk.len();
        if let Some(&b) = chunk.last() {
            last = Some(b);
        }
        if len <= max.saturating_add(1) {
            buf.extend_from_slice(chunk);
        } else {
            buf = Vec::new();
        }
        let consumed = done.unwrap_or(available.len());
        r.consume(consumed);
        if done.is_some() {
            break;
        }
    }
    if !seen {
        return Ok(None);
    }
    if last == Some(b'\r') {
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        len -= 1;
    }
    if len > max {
        Ok(Some(Line::TooLong(len)))
    } else {
        Ok(Some(Line::Kept(buf)))
    }
}

/// [`Work`] for a document of a batch: signature verdicts from the batched
/// pass, seal and chain verdicts from the task's copy of the cache.
struct BatchWork<'a> {
    jobs: &'a [(usize, usize, usize)],
    verdicts: &'a [bool],
    cache: &'a mut VerifyCache,
    verifier: &'a Verifier,
}

impl Work for BatchWork<'_> {
    fn signature_ok(&mut self, index: usize, _: &LicenseSignature, _: &PublicKey) -> bool {
        self.jobs
            .iter()
            .zip(self.verdicts)
            .find(|((_, i, _), _)| *i == index)
            .is_some_and(|(_, v)| *v)
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
