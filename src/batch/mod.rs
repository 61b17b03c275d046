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

#[cfg(target_arch = "x86_64")]
mod ifma;
mod sig;

use std::collections::BTreeMap;
use std::io::BufRead;
use std::sync::RwLock;

use rayon::prelude::*;
use sha2::Digest;

pub use sig::verify_signatures;

use crate::cert::{Certificate, ChainError};
use crate::date::Timestamp;
use crate::document::{
    Algorithm, DecodeCache, Decoded, DocView, LicenseSignature, SIGNATURE_CONTEXT, SignerRef,
};
use crate::ids::{HolderCode, LicenseId};
use crate::seal::Seal;
use crate::sign::PublicKey;
use crate::status::{LicenseStanding, StatusSource};
use crate::verify::{ChainFn, Rejected, Step, Verifier, VerifyCache, Work};

/// Documents per parallel task; their signatures form one batch equation.
const TASK: usize = 512;

/// The verdict for one input of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOutcome {
    index: usize,
    id: Option<LicenseId>,
    holder: Option<HolderCode>,
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

    /// The holder's code (持证主体代码), when the input decoded: **personal
    /// data** for a citizen — show it [masked](HolderCode::masked).
    pub fn holder(&self) -> Option<&HolderCode> {
        self.holder.as_ref()
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

    /// Documents verified at once (default 4096; at least 1). Memory is about
    /// this many documents (twice that for JSON Lines, where the next chunk is
    /// read while one is verified), whatever the input's length.
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
        // Two chunks: the next one is read (on this thread) while the current
        // one is verified (on the pool), so reading is not a serial phase.
        let mut current = Chunk::default();
        let mut next = Chunk::default();
        current.read(&mut reader, max, self.chunk_size)?;
        while !current.lines.is_empty() {
            let refs: Vec<&[u8]> = current.lines.iter().map(|l| current.line(l)).collect();
            let mut outcomes = Vec::new();
            let read = rayon::in_place_scope(|s| {
                s.spawn(|_| outcomes = self.run_chunk(&refs, index, at));
                next.read(&mut reader, max, self.chunk_size)
            });
            for (o, l) in outcomes.iter_mut().zip(&current.lines) {
                if let Line::TooLong(len) = l {
                    o.result = Err(Rejected::too_large(*len, max));
                    o.id = None;
                    o.holder = None;
                }
            }
            index += current.lines.len();
            for (o, line) in outcomes.into_iter().zip(&refs) {
                summary.add(&o);
                sink(o, line);
            }
            // A read error comes after the outcomes of every line before it.
            read?;
            drop(refs);
            std::mem::swap(&mut current, &mut next);
        }
        Ok(summary)
    }

    fn run_chunk(&self, docs: &[&[u8]], first: usize, at: Timestamp) -> Vec<BatchOutcome> {
        let limits = self.verifier.options().limits;
        // The first document warms the shared cache of seen seals and signers
        // (cheaply, when they are known already); every task starts from it.
        let seed = {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(first) = docs.first() {
                let _ = Decoded::decode(first, &limits, &mut seen);
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

    // Out of line: one call per run of documents, and a frame profilers can
    // select (callgrind --toggle-collect).
    #[inline(never)]
    fn run_task(
        &self,
        docs: &[&[u8]],
        first: usize,
        at: Timestamp,
        mut seen: DecodeCache,
    ) -> Vec<BatchOutcome> {
        let limits = self.verifier.options().limits;
        // A private copy of the shared seal and chain verdicts (merged back
        // once, at the end).
        let mut cache = {
            let shared = self.cache.read().unwrap_or_else(|e| e.into_inner());
            shared.clone()
        };
        cache.bind(&self.verifier);
        let known = cache.len();

        // 1. One document at a time: decode, prepare its signatures, and judge
        //    it as if every prepared signature were valid; then drop it. Only
        //    the verdict and the prepared signatures are kept.
        // Sized for one signature per document, the usual case (growing the
        // vectors a doubling at a time copies them over and over).
        let mut sigs = Signatures {
            keys: Vec::new(),
            items: Vec::with_capacity(docs.len()),
            slots: Vec::with_capacity(docs.len()),
            // A challenge input is R ‖ A ‖ context ‖ to-be-signed block:
            // a few hundred bytes.
            arena: Vec::with_capacity(docs.len() * 512),
        };
        let mut outcomes: Vec<BatchOutcome> = Vec::with_capacity(docs.len());
        // Per document: its range in `sigs.slots` (empty if it did not decode).
        let mut ranges: Vec<(usize, usize)> = Vec::with_capacity(docs.len());
        // Documents that passed every step before the license status, which
        // was taken as in force: their status is asked once, for all of them.
        let mut pending: Vec<usize> = Vec::new();
        for (d, bytes) in docs.iter().enumerate() {
            let index = first + d;
            let start = sigs.slots.len();
            // Judged where it is: the document's bytes are not copied.
            let outcome = match Decoded::decode(bytes, &limits, &mut seen) {
                Err(e) => BatchOutcome {
                    index,
                    id: id_of(bytes),
                    holder: None,
                    result: Err(Rejected::from_decode(e)),
                },
                Ok(doc) => {
                    let view = doc.view(bytes);
                    sigs.add(view.signatures());
                    let slots = sigs.slots.get(start..).unwrap_or_default();
                    let (result, reached) = self.judge(view, at, slots, None, None, &mut cache);
                    if reached {
                        pending.push(d);
                    }
                    let holder = Some(view.license().holder().code().clone());
                    BatchOutcome {
                        index,
                        holder,
                        id: Some(doc.recycle(&mut seen)),
                        result,
                    }
                }
            };
            ranges.push((start, sigs.slots.len()));
            outcomes.push(outcome);
        }

        // 2. The prepared signatures as one batch.
        let verdicts = sig::verify_items(&sigs.keys, &mut sigs.items, &sigs.arena);

        // 3. The license status of the documents that reached that step, in
        //    one call to the status source.
        let mut standings: Vec<Option<LicenseStanding>> = vec![None; docs.len()];
        for &d in &pending {
            // Unknown unless the source answers (a short answer denies).
            if let Some(slot) = standings.get_mut(d) {
                *slot = Some(LicenseStanding::Unknown);
            }
        }
        if !pending.is_empty() {
            let asked: Vec<(usize, &LicenseId)> = pending
                .iter()
                .filter_map(|&d| Some((d, outcomes.get(d)?.id.as_ref()?)))
                .collect();
            let ids: Vec<&LicenseId> = asked.iter().map(|(_, id)| *id).collect();
            let answers = self.verifier.status_source().license_statuses(&ids, at);
            for (&(d, _), answer) in asked.iter().zip(answers) {
                if let Some(slot) = standings.get_mut(d) {
                    *slot = Some(answer);
                }
            }
        }

        // 4. A document with a signature found bad, or not in force, is
        //    decoded and judged again with the true verdicts and standing
        //    (rare; any other was judged with exactly these already).
        for (d, ((&(start, end), bytes), outcome)) in
            ranges.iter().zip(docs).zip(outcomes.iter_mut()).enumerate()
        {
            let slots = sigs.slots.get(start..end).unwrap_or_default();
            let all_good = slots
                .iter()
                .flatten()
                .all(|&k| verdicts.get(k).copied().unwrap_or(false));
            let standing = standings.get(d).copied().flatten();
            let in_force = standing.is_none_or(|s| s == LicenseStanding::InForce);
            if all_good && in_force {
                continue;
            }
            if let Ok(doc) = Decoded::decode(bytes, &limits, &mut seen) {
                outcome.result = self
                    .judge(
                        doc.view(bytes),
                        at,
                        slots,
                        Some(&verdicts),
                        standing,
                        &mut cache,
                    )
                    .0;
                doc.recycle(&mut seen);
            }
        }

        if cache.len() > known {
            let mut shared = self.cache.write().unwrap_or_else(|e| e.into_inner());
            shared.bind(&self.verifier);
            shared.merge(cache);
        }
        if seen.learned() {
            // Later chunks start with the seals and signers this task met.
            let mut shared = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            shared.absorb(&seen);
        }
        outcomes
    }

    /// The single verifier's checks of `doc`, whose signatures' slots are
    /// `slots`: with their batch `verdicts`, or, before the batch is checked,
    /// taking every prepared signature as valid.
    ///
    /// The license status is `standing` when known; before the batch is
    /// checked it is taken as in force, and the second value says whether
    /// the status step was reached (so must be asked).
    fn judge(
        &self,
        doc: DocView<'_>,
        at: Timestamp,
        slots: &[Option<usize>],
        verdicts: Option<&[bool]>,
        standing: Option<LicenseStanding>,
        cache: &mut VerifyCache,
    ) -> (Result<(), Rejected>, bool) {
        let mut work = BatchWork {
            slots,
            verdicts,
            standing,
            reached_status: false,
            cache,
            verifier: &self.verifier,
        };
        let result = self.verifier.judge(doc, at, &mut work);
        (result, work.reached_status)
    }
}

/// The signatures of a task's documents, prepared for one batch equation.
#[derive(Default)]
struct Signatures {
    /// Distinct signing keys.
    keys: Vec<PublicKey>,
    /// Signatures that passed the encoding rules, ready for the batch.
    items: Vec<sig::Item>,
    /// The items' challenge inputs `R ‖ A ‖ M`, one after another.
    arena: Vec<u8>,
    /// Every signature of every decoded document in order: its index in
    /// `items`, or `None` if it has no usable key or fails the encoding rules
    /// (then it is invalid whatever the batch says).
    slots: Vec<Option<usize>>,
}

impl Signatures {
    fn add(&mut self, signatures: &[LicenseSignature]) {
        for s in signatures {
            // Other algorithms (SM2) are verified one by one in the checks.
            if s.tbs().algorithm() != Algorithm::Ed25519 {
                self.slots.push(None);
                continue;
            }
            let item = self
                .key_index(s.signer())
                .and_then(|k| {
                    sig::Item::new(
                        &self.keys,
                        k,
                        &[SIGNATURE_CONTEXT, s.tbs_bytes()],
                        s.signature(),
                        &mut self.arena,
                    )
                })
                .map(|it| {
                    self.items.push(it);
                    self.items.len() - 1
                });
            self.slots.push(item);
        }
    }

    /// The index of the signer's key in `keys` (added if new); `None` if the
    /// signer has no valid Ed25519 key.
    fn key_index(&mut self, signer: &SignerRef) -> Option<usize> {
        let (raw, known) = match signer {
            SignerRef::Key(k) => (k, None),
            SignerRef::Certificate { cert, .. } => {
                let key = cert.ed25519_key().ok()?;
                (key.as_bytes(), Some(key))
            }
            #[allow(unreachable_patterns)]
            _ => return None,
        };
        if let Some(k) = self.keys.iter().position(|k| k.as_bytes() == raw) {
            return Some(k);
        }
        let key = match known {
            Some(key) => *key,
            None => PublicKey::from_bytes(raw).ok()?,
        };
        self.keys.push(key);
        Some(self.keys.len() - 1)
    }
}

/// The identifier of a document that failed to decode, if a lenient reading finds one.
fn id_of(bytes: &[u8]) -> Option<LicenseId> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    LicenseId::parse(v.pointer("/license/id")?.as_str()?).ok()
}

/// A line of a chunk: its range in the chunk's buffer, or the length of a
/// line over the size limit (consumed, not kept).
enum Line {
    Kept(usize, usize),
    TooLong(usize),
}

/// The lines of one chunk of JSON Lines, in one buffer reused from chunk to
/// chunk (no allocation per line).
#[derive(Default)]
struct Chunk {
    bytes: Vec<u8>,
    lines: Vec<Line>,
}

impl Chunk {
    /// Reads up to `n` lines (fewer at the end of the input), replacing the
    /// chunk's contents.
    fn read<R: BufRead>(&mut self, r: &mut R, max: usize, n: usize) -> std::io::Result<()> {
        self.bytes.clear();
        self.lines.clear();
        while self.lines.len() < n {
            match read_line(r, max, &mut self.bytes)? {
                Some(line) => self.lines.push(line),
                None => break,
            }
        }
        Ok(())
    }

    /// The bytes of `line` (empty for a line over the limit).
    fn line(&self, line: &Line) -> &[u8] {
        match *line {
            Line::Kept(start, end) => self.bytes.get(start..end).unwrap_or_default(),
            Line::TooLong(_) => &[],
        }
    }
}

/// Reads one line (without `\n` or `\r\n`) onto the end of `buf`; a line
/// longer than `max` is consumed but not kept.
fn read_line<R: BufRead>(
    r: &mut R,
    max: usize,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<Line>> {
    let start = buf.len();
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
        let (chunk, done) = match find_newline(available) {
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
            buf.truncate(start);
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
        if buf.len() > start && buf.last() == Some(&b'\r') {
            buf.pop();
        }
        len -= 1;
    }
    if len > max {
        buf.truncate(start);
        Ok(Some(Line::TooLong(len)))
    } else {
        Ok(Some(Line::Kept(start, buf.len())))
    }
}

/// The index of the first `\n` in `bytes`, a word at a time.
fn find_newline(bytes: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let (words, tail) = bytes.as_chunks::<8>();
    for (i, word) in words.iter().enumerate() {
        let x = u64::from_le_bytes(*word) ^ (LO * u64::from(b'\n'));
        // Non-zero iff some byte of `x` is zero; the lowest flagged byte is exact.
        let zero = x.wrapping_sub(LO) & !x & HI;
        if zero != 0 {
            return Some(i * 8 + (zero.trailing_zeros() / 8) as usize);
        }
    }
    tail.iter()
        .position(|&b| b == b'\n')
        .map(|i| words.len() * 8 + i)
}

/// [`Work`] for a document of a batch: signature verdicts from the batched
/// pass (or provisional ones), seal and chain verdicts from the task's copy of
/// the cache.
struct BatchWork<'a> {
    /// The document's signatures onward (see [`Signatures::slots`]).
    slots: &'a [Option<usize>],
    /// Verdicts of the batch, by item; `None` before it is checked: every
    /// prepared signature is then taken as valid.
    verdicts: Option<&'a [bool]>,
    /// The license's standing, when known.
    standing: Option<LicenseStanding>,
    /// Whether the status step asked for the standing.
    reached_status: bool,
    cache: &'a mut VerifyCache,
    verifier: &'a Verifier,
}

impl Work for BatchWork<'_> {
    fn signature_ok(&mut self, index: usize, _: &LicenseSignature, _: &PublicKey) -> bool {
        match (self.slots.get(index), self.verdicts) {
            (Some(Some(k)), Some(verdicts)) => verdicts.get(*k).copied().unwrap_or(false),
            (Some(Some(_)), None) => true,
            _ => false,
        }
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

    fn license_standing(
        &mut self,
        status: &dyn StatusSource,
        id: &LicenseId,
        at: Timestamp,
    ) -> LicenseStanding {
        self.reached_status = true;
        match (self.standing, self.verdicts) {
            (Some(s), _) => s,
            // Provisional: asked for the whole run afterwards.
            (None, None) => LicenseStanding::InForce,
            (None, Some(_)) => status.license_status(id, at),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn find_newline_is_position() {
        let mut bytes = vec![b'a'; 40];
        assert_eq!(find_newline(&bytes), None);
        for at in 0..40 {
            for other in [b'\n' ^ 0x80, 0x0b, 0x09, 0xff, 0x00] {
                bytes.fill(other);
                bytes[at] = b'\n';
                if at + 3 < 40 {
                    bytes[at + 3] = b'\n';
                }
                for len in 0..=40 {
                    let expected = bytes[..len].iter().position(|&b| b == b'\n');
                    assert_eq!(find_newline(&bytes[..len]), expected, "{at} {len}");
                }
            }
        }
    }

    #[test]
    fn lines_share_one_buffer() {
        let input = b"ab\r\n\n\rc\r\r\nxxxxxxxx\nend";
        let mut chunk = Chunk::default();
        chunk.read(&mut &input[..], 4, 10).unwrap();
        let got: Vec<_> = chunk
            .lines
            .iter()
            .map(|l| match l {
                Line::Kept(..) => Ok(chunk.line(l).to_vec()),
                Line::TooLong(n) => Err(*n),
            })
            .collect();
        let kept = |s: &[u8]| Ok(s.to_vec());
        assert_eq!(
            got,
            vec![kept(b"ab"), kept(b""), kept(b"\rc\r"), Err(8), kept(b"end")]
        );
    }
}
