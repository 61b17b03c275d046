//! Signed, compressed license status snapshots (状态快照) for offline
//! verification.
//!
//! An issuer publishes, at `issued_at`, which of its licenses are not in
//! force, valid until `next_update`. A verifier without network access loads
//! the snapshot once ([`StatusSnapshot::from_signed_bytes`], which checks the
//! issuer's Ed25519 signature) and answers license status from it through
//! [`SnapshotStatus`], a [`StatusSource`] for the single and the batch
//! verifier alike.
//!
//! Design: a license is named in a snapshot by the first 48 bits of the
//! SHA-256 of its identifier. The licenses not in force, grouped by status,
//! are sorted sets of these 48-bit names, written as Golomb–Rice coded gaps
//! (about 36 bits a license for 10,000 names: 1,000,000 licenses with 1%
//! revoked take about 45 KB). Every license of the issuer that is not listed
//! is in force. This needs no index allocated at issue time and no change to
//! a license's signed form; the cost is a false "not in force" with
//! probability about n / 2^48 per lookup (3.6 × 10^-11 for n = 10,000),
//! which denies and never accepts. Decoded, the names are one sorted array:
//! a lookup hashes the identifier on the stack and binary-searches, with no
//! allocation. The byte layout is in docs/FORMAT.md §11.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::catalog::Query;
use crate::cert::Certificate;
use crate::date::Timestamp;
use crate::ids::{IssuerCode, LicenseId, Uscc};
use crate::model::LicenseStatus;
use crate::sign::{PublicKey, SignError, Signature, Signer};
use crate::status::{LicenseStanding, RevocationStatus, StatusSource};
use crate::store::LicenseStore;

/// The first bytes of every snapshot.
pub const SNAPSHOT_MAGIC: &[u8; 4] = b"ELS1";
/// Work budget: a larger snapshot is refused unread.
pub const MAX_SNAPSHOT_BYTES: usize = 4 << 20;
/// Work budget: most names (licenses not in force) a snapshot may list.
pub const MAX_SNAPSHOT_ENTRIES: u32 = 1 << 22;
/// Bits of a license's name in a snapshot.
const NAME_BITS: u32 = 48;
const NAME_SPACE: u64 = 1 << NAME_BITS;
const SIGNATURE_LEN: usize = 64;

/// Why a snapshot was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// Larger than [`MAX_SNAPSHOT_BYTES`].
    #[error("snapshot of {found} bytes exceeds the limit of {limit}")]
    TooLarge {
        /// Its size.
        found: usize,
        /// The limit.
        limit: usize,
    },
    /// A section claims more names than [`MAX_SNAPSHOT_ENTRIES`], or more than
    /// its coded bytes can hold (a decompression bomb).
    #[error("snapshot section claims {claimed} entries, more than allowed or than its data holds")]
    TooManyEntries {
        /// Entries claimed.
        claimed: u64,
    },
    /// Not a snapshot: wrong magic, truncated, or trailing bytes.
    #[error("malformed snapshot: {what}")]
    Malformed {
        /// What was wrong.
        what: &'static str,
    },
    /// The issuer code is not a USCC or region code.
    #[error("snapshot issuer code is invalid")]
    Issuer,
    /// A status code that is not a not-in-force status.
    #[error("snapshot section has status code {code}")]
    Status {
        /// The code byte.
        code: u8,
    },
    /// The signature does not verify under the key given.
    #[error("snapshot signature does not verify")]
    InvalidSignature,
    /// `next_update` is before `issued_at`.
    #[error("snapshot next-update is before its issued-at")]
    Window,
    /// The store failed while the snapshot was being made.
    #[error("store failed while making a snapshot: {0}")]
    Store(String),
    /// The signer failed.
    #[error("snapshot signer failed: {0}")]
    Sign(String),
}

impl From<SignError> for SnapshotError {
    fn from(e: SignError) -> Self {
        SnapshotError::Sign(e.to_string())
    }
}

/// A verified status snapshot of one issuer's licenses.
#[derive(Clone)]
pub struct StatusSnapshot {
    issuer: IssuerCode,
    issued_at: Timestamp,
    next_update: Timestamp,
    names: Vec<u64>,
    statuses: Vec<LicenseStatus>,
    bytes: Vec<u8>,
}

impl core::fmt::Debug for StatusSnapshot {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StatusSnapshot")
            .field("issuer", &self.issuer)
            .field("issued_at", &self.issued_at)
            .field("next_update", &self.next_update)
            .field("not_in_force", &self.names.len())
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// The 48-bit name of a license in a snapshot.
fn name_of(id: &LicenseId) -> u64 {
    let digest = Sha256::digest(id.as_str().as_bytes());
    let mut out = 0u64;
    for b in digest.iter().take(6) {
        out = (out << 8) | u64::from(*b);
    }
    out
}

fn status_byte(status: LicenseStatus) -> u8 {
    let code = status.code().as_bytes();
    let tens = code.first().map_or(0, |c| c.wrapping_sub(b'0'));
    let ones = code.get(1).map_or(0, |c| c.wrapping_sub(b'0'));
    tens.wrapping_mul(10).wrapping_add(ones)
}

fn status_of_byte(code: u8) -> Option<LicenseStatus> {
    LicenseStatus::ALL
        .iter()
        .copied()
        .find(|s| !s.is_in_force() && status_byte(*s) == code)
}

/// The Rice parameter for `n` names spread over the name space.
fn rice_k(n: usize) -> u8 {
    let n = u64::try_from(n).unwrap_or(u64::MAX).max(1);
    let mean = NAME_SPACE / n;
    // k ≈ log2(mean · ln 2): about 0.69 · mean.
    let target = (mean / 10).saturating_mul(7).max(1);
    let k = 63 - target.leading_zeros();
    u8::try_from(k.min(NAME_BITS)).unwrap_or(0)
}

struct BitWriter {
    out: Vec<u8>,
    acc: u8,
    used: u32,
}

impl BitWriter {
    fn bit(&mut self, b: bool) {
        self.acc = (self.acc << 1) | u8::from(b);
        self.used += 1;
        if self.used == 8 {
            self.out.push(self.acc);
            self.acc = 0;
            self.used = 0;
        }
    }
    fn finish(mut self) -> Vec<u8> {
        if self.used > 0 {
            self.out.push(self.acc << (8 - self.used));
        }
        self.out
    }
}

struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl BitReader<'_> {
    fn bit(&mut self) -> Option<bool> {
        let byte = self.data.get(self.pos / 8)?;
        let b = (byte >> (7 - (self.pos % 8))) & 1 == 1;
        self.pos += 1;
        Some(b)
    }
}

fn encode_names(names: &[u64], k: u8) -> Vec<u8> {
    let mut w = BitWriter {
        out: Vec::with_capacity(names.len() * (usize::from(k) + 2) / 8 + 1),
        acc: 0,
        used: 0,
    };
    let mut prev: Option<u64> = None;
    for &v in names {
        let gap = match prev {
            None => v,
            Some(p) => v - p - 1,
        };
        prev = Some(v);
        for _ in 0..(gap >> k) {
            w.bit(true);
        }
        w.bit(false);
        for i in (0..k).rev() {
            w.bit((gap >> i) & 1 == 1);
        }
    }
    w.finish()
}

fn decode_names(data: &[u8], n: u32, k: u8, out: &mut Vec<u64>) -> Result<(), SnapshotError> {
    let bad = SnapshotError::Malformed {
        what: "coded names",
    };
    let mut r = BitReader { data, pos: 0 };
    let mut prev: Option<u64> = None;
    for _ in 0..n {
        let mut q = 0u64;
        loop {
            match r.bit() {
                Some(true) => {
                    q += 1;
                    if (q << k) >= NAME_SPACE {
                        return Err(bad);
                    }
                }
                Some(false) => break,
                None => return Err(bad),
            }
        }
        let mut rem = 0u64;
        for _ in 0..k {
            rem = (rem << 1) | u64::from(r.bit().ok_or(bad.clone())?);
        }
        let gap = (q << k) | rem;
        let v = match prev {
            None => gap,
            Some(p) => p
                .checked_add(gap)
                .and_then(|x| x.checked_add(1))
                .ok_or(bad.clone())?,
        };
        if v >= NAME_SPACE {
            return Err(bad);
        }
        prev = Some(v);
        out.push(v);
    }
    // Padding only: fewer than 8 bits left, all zero.
    if data.len() != r.pos.div_ceil(8) {
        return Err(bad);
    }
    while !r.pos.is_multiple_of(8) {
        if r.bit() != Some(false) {
            return Err(bad);
        }
    }
    Ok(())
}

/// The signed body of a snapshot: `named` sorted by name, one entry a name.
fn encode_body(
    issuer: &IssuerCode,
    issued_at: Timestamp,
    next_update: Timestamp,
    named: &[(u64, LicenseStatus)],
) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(SNAPSHOT_MAGIC);
    let code = issuer.as_str().as_bytes();
    out.push(u8::try_from(code.len()).unwrap_or(0));
    out.extend_from_slice(code);
    out.extend_from_slice(&issued_at.unix().to_be_bytes());
    out.extend_from_slice(&next_update.unix().to_be_bytes());
    let classes: Vec<LicenseStatus> = LicenseStatus::ALL
        .iter()
        .copied()
        .filter(|s| named.iter().any(|(_, t)| t == s))
        .collect();
    out.push(u8::try_from(classes.len()).unwrap_or(0));
    for class in classes {
        let names: Vec<u64> = named
            .iter()
            .filter(|(_, t)| *t == class)
            .map(|(n, _)| *n)
            .collect();
        let k = rice_k(names.len());
        let data = encode_names(&names, k);
        out.push(status_byte(class));
        out.extend_from_slice(&u32::try_from(names.len()).unwrap_or(0).to_be_bytes());
        out.push(k);
        out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(&data);
    }
    out
}

struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SnapshotError> {
        if self.rest.len() < n {
            return Err(SnapshotError::Malformed { what: "truncated" });
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, SnapshotError> {
        Ok(self.take(1)?.first().copied().unwrap_or(0))
    }
    fn u32(&mut self) -> Result<u32, SnapshotError> {
        let b = self.take(4)?;
        let mut a = [0u8; 4];
        a.copy_from_slice(b);
        Ok(u32::from_be_bytes(a))
    }
    fn i64(&mut self) -> Result<i64, SnapshotError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(i64::from_be_bytes(a))
    }
}

impl StatusSnapshot {
    /// Builds and signs the snapshot of `issuer`'s licenses at `issued_at`,
    /// valid until `next_update`, listing `not_in_force` (license and its
    /// status; licenses in force and licenses of other issuers are skipped; a
    /// license listed twice keeps its last status).
    ///
    /// # Errors
    /// [`SnapshotError::Window`] if `next_update < issued_at`,
    /// [`SnapshotError::TooManyEntries`] over the budget, and the signer's error.
    pub fn build<'a>(
        issuer: &IssuerCode,
        issued_at: Timestamp,
        next_update: Timestamp,
        not_in_force: impl IntoIterator<Item = (&'a LicenseId, LicenseStatus)>,
        signer: &dyn Signer,
    ) -> Result<StatusSnapshot, SnapshotError> {
        if next_update < issued_at {
            return Err(SnapshotError::Window);
        }
        let mut named: Vec<(u64, LicenseStatus)> = Vec::new();
        let mut seen = std::collections::HashMap::new();
        for (id, status) in not_in_force {
            if id.issuer() != issuer || status.is_in_force() {
                continue;
            }
            seen.insert(id.as_str().to_owned(), (name_of(id), status));
        }
        named.extend(seen.into_values());
        named.sort_unstable_by_key(|(n, _)| *n);
        // Identifiers sharing a name: one entry (either denies).
        named.dedup_by_key(|(n, _)| *n);
        let claimed = u64::try_from(named.len()).unwrap_or(u64::MAX);
        if claimed > u64::from(MAX_SNAPSHOT_ENTRIES) {
            return Err(SnapshotError::TooManyEntries { claimed });
        }
        let mut out = encode_body(issuer, issued_at, next_update, &named);
        let signature = signer.sign(&out)?;
        out.extend_from_slice(signature.as_bytes());
        if out.len() > MAX_SNAPSHOT_BYTES {
            return Err(SnapshotError::TooLarge {
                found: out.len(),
                limit: MAX_SNAPSHOT_BYTES,
            });
        }
        StatusSnapshot::from_signed_bytes(&out, &signer.public_key())
    }

    /// Builds and signs the snapshot of `issuer`'s licenses held in `store`,
    /// as their status stands in the store's catalogue (the result of its
    /// status events): one query per not-in-force status, paged.
    ///
    /// # Errors
    /// [`SnapshotError::Store`] when the store fails, and the errors of
    /// [`build`](Self::build).
    pub fn from_store(
        store: &dyn LicenseStore,
        issuer: &Uscc,
        issued_at: Timestamp,
        next_update: Timestamp,
        signer: &dyn Signer,
    ) -> Result<StatusSnapshot, SnapshotError> {
        let mut listed: Vec<(LicenseId, LicenseStatus)> = Vec::new();
        for status in LicenseStatus::ALL.iter().filter(|s| !s.is_in_force()) {
            let base = Query::new()
                .issuer(*issuer)
                .status(*status)
                .limit(crate::store::limits::MAX_PAGE_SIZE)
                .map_err(|e| SnapshotError::Store(e.to_string()))?;
            let mut query = base.clone();
            loop {
                let page = store
                    .query(&query)
                    .map_err(|e| SnapshotError::Store(e.to_string()))?;
                listed.extend(page.entries().iter().map(|e| (e.id().clone(), e.status())));
                match page.next() {
                    Some(cursor) => query = base.clone().after(cursor.clone()),
                    None => break,
                }
            }
        }
        let code = IssuerCode::Uscc(*issuer);
        StatusSnapshot::build(
            &code,
            issued_at,
            next_update,
            listed.iter().map(|(id, s)| (id, *s)),
            signer,
        )
    }

    /// Decodes a snapshot and checks its signature under `key` (the issuer's
    /// status publishing key).
    ///
    /// # Errors
    /// A [`SnapshotError`] naming what is wrong; nothing is kept.
    pub fn from_signed_bytes(
        bytes: &[u8],
        key: &PublicKey,
    ) -> Result<StatusSnapshot, SnapshotError> {
        let mut snapshot = StatusSnapshot::decode(bytes)?;
        let body_len = bytes.len() - SIGNATURE_LEN;
        let (body, sig) = bytes.split_at(body_len);
        let sig = Signature::from_slice(sig).map_err(|_| SnapshotError::InvalidSignature)?;
        key.verify(body, &sig)
            .map_err(|_| SnapshotError::InvalidSignature)?;
        snapshot.bytes = bytes.to_vec();
        Ok(snapshot)
    }

    /// Decodes without checking the signature (the fuzz target's entry; a
    /// verifier only ever uses [`from_signed_bytes`](Self::from_signed_bytes)).
    pub(crate) fn decode(bytes: &[u8]) -> Result<StatusSnapshot, SnapshotError> {
        if bytes.len() > MAX_SNAPSHOT_BYTES {
            return Err(SnapshotError::TooLarge {
                found: bytes.len(),
                limit: MAX_SNAPSHOT_BYTES,
            });
        }
        if bytes.len() < SIGNATURE_LEN {
            return Err(SnapshotError::Malformed { what: "truncated" });
        }
        let mut c = Cursor {
            rest: bytes.get(..bytes.len() - SIGNATURE_LEN).unwrap_or(&[]),
        };
        if c.take(4)? != SNAPSHOT_MAGIC {
            return Err(SnapshotError::Malformed { what: "magic" });
        }
        let code_len = usize::from(c.u8()?);
        let code = std::str::from_utf8(c.take(code_len)?).map_err(|_| SnapshotError::Issuer)?;
        let issuer = IssuerCode::parse(code).map_err(|_| SnapshotError::Issuer)?;
        let issued_at = Timestamp::from_unix(c.i64()?)
            .map_err(|_| SnapshotError::Malformed { what: "issued-at" })?;
        let next_update = Timestamp::from_unix(c.i64()?).map_err(|_| SnapshotError::Malformed {
            what: "next-update",
        })?;
        if next_update < issued_at {
            return Err(SnapshotError::Window);
        }
        let classes = c.u8()?;
        let mut names = Vec::new();
        let mut statuses = Vec::new();
        let mut total = 0u64;
        let mut last_code = 0u8;
        for _ in 0..classes {
            let code = c.u8()?;
            let status = status_of_byte(code).ok_or(SnapshotError::Status { code })?;
            if code <= last_code {
                return Err(SnapshotError::Malformed {
                    what: "sections out of order",
                });
            }
            last_code = code;
            let n = c.u32()?;
            let k = c.u8()?;
            if u32::from(k) > NAME_BITS {
                return Err(SnapshotError::Malformed {
                    what: "Rice parameter",
                });
            }
            let len = usize::try_from(c.u32()?).unwrap_or(usize::MAX);
            let data = c.take(len)?;
            total += u64::from(n);
            // Each name takes at least k + 1 bits: refuse counts the data cannot hold.
            let min_bits = u64::from(n) * (u64::from(k) + 1);
            let have_bits = u64::try_from(data.len())
                .unwrap_or(u64::MAX)
                .saturating_mul(8);
            if total > u64::from(MAX_SNAPSHOT_ENTRIES) || min_bits > have_bits {
                return Err(SnapshotError::TooManyEntries { claimed: total });
            }
            // One encoding per status set: no empty section, the Rice
            // parameter the count implies.
            if n == 0 || k != rice_k(usize::try_from(n).unwrap_or(usize::MAX)) {
                return Err(SnapshotError::Malformed {
                    what: "empty section or Rice parameter not the one the count implies",
                });
            }
            let start = names.len();
            names.reserve(usize::try_from(n).unwrap_or(0));
            decode_names(data, n, k, &mut names)?;
            statuses.extend(std::iter::repeat_n(status, names.len() - start));
        }
        if !c.rest.is_empty() {
            return Err(SnapshotError::Malformed {
                what: "trailing bytes",
            });
        }
        // One sorted array for lookups; a name in two sections is ambiguous.
        let mut order: Vec<usize> = (0..names.len()).collect();
        order.sort_unstable_by_key(|&i| names.get(i).copied().unwrap_or(0));
        let mut sorted_names = Vec::with_capacity(names.len());
        let mut sorted_statuses = Vec::with_capacity(names.len());
        for i in order {
            let (Some(&n), Some(&s)) = (names.get(i), statuses.get(i)) else {
                continue;
            };
            if sorted_names.last() == Some(&n) {
                return Err(SnapshotError::Malformed {
                    what: "license in two sections",
                });
            }
            sorted_names.push(n);
            sorted_statuses.push(s);
        }
        Ok(StatusSnapshot {
            issuer,
            issued_at,
            next_update,
            names: sorted_names,
            statuses: sorted_statuses,
            bytes: Vec::new(),
        })
    }

    /// Re-encodes the decoded body (the fuzz target's round-trip check).
    pub(crate) fn encode_body(&self) -> Vec<u8> {
        let named: Vec<(u64, LicenseStatus)> = self
            .names
            .iter()
            .copied()
            .zip(self.statuses.iter().copied())
            .collect();
        encode_body(&self.issuer, self.issued_at, self.next_update, &named)
    }

    /// The issuer whose licenses this snapshot covers.
    pub fn issuer(&self) -> &IssuerCode {
        &self.issuer
    }

    /// When it was made.
    pub fn issued_at(&self) -> Timestamp {
        self.issued_at
    }

    /// After this instant the snapshot is stale and answers nothing.
    pub fn next_update(&self) -> Timestamp {
        self.next_update
    }

    /// How many licenses it lists as not in force.
    pub fn not_in_force_count(&self) -> usize {
        self.names.len()
    }

    /// The signed bytes, as published (a file, an HTTP body).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// SHA-256 of [`as_bytes`](Self::as_bytes): an HTTP ETag, a file name.
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(&self.bytes).into()
    }

    /// The standing of `id` at `at`: unknown for another issuer's license or
    /// a stale snapshot (`at` after next-update); a listed license is not in
    /// force since the snapshot's issued-at (a snapshot keeps no history, so it
    /// denies at earlier instants too); any other license is in force.
    pub fn standing(&self, id: &LicenseId, at: Timestamp) -> LicenseStanding {
        if id.issuer() != &self.issuer || at > self.next_update {
            return LicenseStanding::Unknown;
        }
        match self.names.binary_search(&name_of(id)) {
            Ok(i) => match self.statuses.get(i) {
                Some(&status) => LicenseStanding::NotInForce {
                    status,
                    since: self.issued_at,
                },
                None => LicenseStanding::Unknown,
            },
            Err(_) => LicenseStanding::InForce,
        }
    }
}

/// A [`StatusSource`] answering license status from status snapshots (one per
/// issuer) and certificate and seal revocation from another source.
///
/// A license whose issuer has no snapshot here, or whose snapshot is stale,
/// is [`LicenseStanding::Unknown`]: verification then fails unless unknown
/// status is accepted ([`crate::danger::accept_unknown_status`]).
pub struct SnapshotStatus {
    snapshots: Vec<StatusSnapshot>,
    inner: Arc<dyn StatusSource>,
}

impl core::fmt::Debug for SnapshotStatus {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SnapshotStatus")
            .field("snapshots", &self.snapshots)
            .finish_non_exhaustive()
    }
}

impl SnapshotStatus {
    /// License status from `snapshots`; certificates and seals from `inner`.
    /// A later snapshot of the same issuer replaces an earlier one.
    pub fn new(
        snapshots: impl IntoIterator<Item = StatusSnapshot>,
        inner: Arc<dyn StatusSource>,
    ) -> SnapshotStatus {
        let mut kept: Vec<StatusSnapshot> = Vec::new();
        for s in snapshots {
            match kept.iter_mut().find(|k| k.issuer == s.issuer) {
                Some(k) if k.issued_at <= s.issued_at => *k = s,
                Some(_) => {}
                None => kept.push(s),
            }
        }
        SnapshotStatus {
            snapshots: kept,
            inner,
        }
    }

    /// The snapshots answered from.
    pub fn snapshots(&self) -> &[StatusSnapshot] {
        &self.snapshots
    }
}

impl StatusSource for SnapshotStatus {
    fn certificate_status(&self, cert: &Certificate, at: Timestamp) -> RevocationStatus {
        self.inner.certificate_status(cert, at)
    }

    fn seal_status(&self, seal_id: &str, at: Timestamp) -> RevocationStatus {
        self.inner.seal_status(seal_id, at)
    }

    fn tracks_licenses(&self) -> bool {
        true
    }

    fn license_status(&self, id: &LicenseId, at: Timestamp) -> LicenseStanding {
        match self.snapshots.iter().find(|s| &s.issuer == id.issuer()) {
            Some(s) => s.standing(id, at),
            None => LicenseStanding::Unknown,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn rice_round_trip_edges() {
        for names in [
            vec![],
            vec![0],
            vec![NAME_SPACE - 1],
            vec![0, 1, 2, NAME_SPACE - 1],
        ] {
            for k in [0u8, 1, 20, 47, 48] {
                if k < 20 && names.iter().any(|&v| v > 1 << 20) {
                    continue;
                }
                let data = encode_names(&names, k);
                let mut out = Vec::new();
                decode_names(&data, u32::try_from(names.len()).unwrap(), k, &mut out).unwrap();
                assert_eq!(out, names);
            }
        }
    }

    #[test]
    fn status_bytes_round_trip() {
        for s in LicenseStatus::ALL.iter().filter(|s| !s.is_in_force()) {
            assert_eq!(status_of_byte(status_byte(*s)), Some(*s));
        }
        assert_eq!(status_of_byte(1), None);
    }
}
