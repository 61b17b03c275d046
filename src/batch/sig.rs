//! Batched Ed25519 verification under the crate's signature rule, with exact
//! attribution of bad signatures.
//!
//! For signatures `(Rᵢ, Sᵢ)` under keys `A_{κ(i)}` with challenges `kᵢ`, a batch
//! is accepted iff
//!
//! ```text
//! [8]( Σᵢ zᵢ·Rᵢ + Σ_κ (Σ_{i: κ(i)=κ} zᵢ·kᵢ)·A_κ − (Σᵢ zᵢ·Sᵢ)·B ) = 0
//! ```
//!
//! with 128-bit coefficients `zᵢ` derived from a hash of the whole batch. All
//! signatures under one key share one `A` term, so a batch signed mostly by one
//! issuer costs about one point per signature instead of two.
//!
//! Each signature first passes rules 1–3 of the single rule (canonical `S`,
//! canonical `R`, `R` not of small order; keys are never of small order), else
//! it is invalid without entering a batch. Given that, each signature's defect
//! `Dᵢ = [Sᵢ]B − Rᵢ − [kᵢ]A` is valid under the single rule iff `[8]Dᵢ = 0`. The
//! batch sum is `−Σ zᵢ[8]Dᵢ` of points in the prime-order subgroup: it is zero
//! when every signature is valid, and when one is not it is zero for at most one
//! value of that signature's `zᵢ` modulo `L`, i.e. with probability ≤ 2⁻¹²⁸.
//! A failing batch is split in halves until every bad signature is found; small
//! groups are checked one by one with the single rule itself.

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use sha2::{Digest, Sha512};

use crate::sign::ed25519::{self, Prepared};
use crate::sign::{PublicKey, Signature};

/// Groups of at most this many are checked one by one.
const SINGLE_BELOW: usize = 4;

/// One signature ready for a batch: its key (an index into the batch's key
/// table), its prepared `R` and `S`, and its challenge `k`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Item {
    pub(crate) key: usize,
    pub(crate) prepared: Prepared,
    pub(crate) k: Scalar,
}

impl Item {
    /// Rules 1–3 and the challenge for `sig` over `message` under `keys[key]`;
    /// `None` when the signature is invalid by rules 1–3.
    pub(crate) fn new(
        keys: &[PublicKey],
        key: usize,
        message: &[&[u8]],
        sig: &Signature,
    ) -> Option<Item> {
        let public = keys.get(key)?;
        let prepared = ed25519::prepare(sig)?;
        let k = ed25519::challenge(&sig.r_bytes(), public.as_bytes(), message);
        Some(Item { key, prepared, k })
    }
}

/// Coefficients derived from the whole batch — its challenges `kᵢ` (which hash
/// `Rᵢ`, the key and the message) and its `Sᵢ` — so the verdict is a
/// deterministic function of the input.
fn coefficients(items: &[Item]) -> Vec<Scalar> {
    let mut t = Sha512::new();
    t.update(b"elicense/1/batch-coefficients");
    for it in items {
        t.update(it.k.as_bytes());
        t.update(it.prepared.s.as_bytes());
    }
    let seed: [u8; 64] = t.finalize().into();
    let mut out = Vec::with_capacity(items.len());
    let mut counter: u64 = 0;
    while out.len() < items.len() {
        let block: [u8; 64] = Sha512::new()
            .chain_update(seed)
            .chain_update(counter.to_le_bytes())
            .finalize()
            .into();
        counter += 1;
        for chunk in block.chunks_exact(16) {
            if out.len() == items.len() {
                break;
            }
            let mut wide = [0u8; 32];
            if let Some(lo) = wide.get_mut(..16) {
                lo.copy_from_slice(chunk);
            }
            out.push(Scalar::from_bytes_mod_order(wide));
        }
    }
    out
}

/// Whether the batch equation holds for `items` (all indices into `all`).
fn batch_holds(keys: &[PublicKey], all: &[Item], idx: &[usize]) -> bool {
    let items: Vec<Item> = idx.iter().filter_map(|&i| all.get(i).copied()).collect();
    if items.len() != idx.len() {
        return false;
    }
    let z = coefficients(&items);
    let mut b_coeff = Scalar::ZERO;
    let mut key_coeff: Vec<(usize, Scalar)> = Vec::new();
    let mut scalars: Vec<Scalar> = Vec::with_capacity(items.len() + 8);
    let mut points: Vec<EdwardsPoint> = Vec::with_capacity(items.len() + 8);
    for (it, zi) in items.iter().zip(&z) {
        b_coeff -= zi * it.prepared.s;
        let zk = zi * it.k;
        match key_coeff.iter_mut().find(|(k, _)| *k == it.key) {
            Some((_, c)) => *c += zk,
            None => key_coeff.push((it.key, zk)),
        }
        scalars.push(*zi);
        points.push(it.prepared.r);
    }
    for (k, c) in key_coeff {
        let Some(public) = keys.get(k) else {
            return false;
        };
        scalars.push(c);
        points.push(*public.point());
    }
    scalars.push(b_coeff);
    points.push(ED25519_BASEPOINT_POINT);
    EdwardsPoint::vartime_multiscalar_mul(scalars, points)
        .mul_by_cofactor()
        .is_identity()
}

fn single_holds(keys: &[PublicKey], it: &Item) -> bool {
    keys.get(it.key)
        .is_some_and(|key| ed25519::equation_holds(key, &it.prepared, &it.k))
}

/// Marks every item of `idx` valid or not, bisecting failed groups.
fn settle(keys: &[PublicKey], all: &[Item], idx: &[usize], out: &mut [bool]) {
    if idx.len() <= SINGLE_BELOW {
        for &i in idx {
            let ok = all.get(i).is_some_and(|it| single_holds(keys, it));
            if let Some(o) = out.get_mut(i) {
                *o = ok;
            }
        }
        return;
    }
    if batch_holds(keys, all, idx) {
        for &i in idx {
            if let Some(o) = out.get_mut(i) {
                *o = true;
            }
        }
        return;
    }
    let (left, right) = idx.split_at(idx.len() / 2);
    settle(keys, all, left, out);
    settle(keys, all, right, out);
}

/// Verdicts for `items` (same order): valid under the single rule or not.
pub(crate) fn verify_items(keys: &[PublicKey], items: &[Item]) -> Vec<bool> {
    let mut out = vec![false; items.len()];
    let idx: Vec<usize> = (0..items.len()).collect();
    settle(keys, items, &idx, &mut out);
    out
}

/// Verifies many raw signatures at once; the verdict for each is exactly
/// [`crate::verify_signature`]'s. Inputs of the wrong length, keys that are
/// not points or of small order, and signatures failing the encoding rules are
/// invalid without entering the batch.
pub fn verify_signatures(items: &[(&[u8], &[u8], &[u8])]) -> Vec<bool> {
    let mut keys: Vec<PublicKey> = Vec::new();
    let mut prepared: Vec<Item> = Vec::new();
    let mut slot: Vec<Option<usize>> = Vec::with_capacity(items.len());
    for (pk, msg, sig) in items {
        let entry = PublicKey::from_slice(pk).ok().and_then(|key| {
            let sig = Signature::from_slice(sig).ok()?;
            let k = match keys.iter().position(|x| x == &key) {
                Some(k) => k,
                None => {
                    keys.push(key);
                    keys.len() - 1
                }
            };
            Item::new(&keys, k, &[msg], &sig)
        });
        slot.push(entry.map(|it| {
            prepared.push(it);
            prepared.len() - 1
        }));
    }
    let verdicts = verify_items(&keys, &prepared);
    slot.into_iter()
        .map(|s| s.and_then(|i| verdicts.get(i).copied()).unwrap_or(false))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::sign::SigningKey;
    use crate::sign::ed25519::tests::{eight_torsion, torsion_signature};

    #[test]
    fn all_valid_and_one_bad_in_many() {
        let keys: Vec<SigningKey> = (0..3u8)
            .map(|i| SigningKey::from_seed(&[i + 1; 32]))
            .collect();
        let msgs: Vec<Vec<u8>> = (0..300u32).map(|i| i.to_le_bytes().repeat(5)).collect();
        let mut triples: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = msgs
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let k = &keys[i % 3];
                (
                    k.public_key().as_bytes().to_vec(),
                    m.clone(),
                    k.sign_message(m).to_bytes().to_vec(),
                )
            })
            .collect();
        let run = |t: &[(Vec<u8>, Vec<u8>, Vec<u8>)]| {
            let refs: Vec<(&[u8], &[u8], &[u8])> =
                t.iter().map(|(a, b, c)| (&a[..], &b[..], &c[..])).collect();
            verify_signatures(&refs)
        };
        assert!(run(&triples).iter().all(|&v| v));
        triples[137].1.push(0);
        triples[200].2[40] ^= 1;
        let v = run(&triples);
        for (i, ok) in v.iter().enumerate() {
            assert_eq!(*ok, i != 137 && i != 200, "{i}");
        }
    }

    #[test]
    fn torsion_defects_agree_with_single() {
        let key = SigningKey::from_seed(&[9u8; 32]);
        let pk = key.public_key().as_bytes().to_vec();
        let mut triples = Vec::new();
        for (i, t) in eight_torsion().iter().enumerate() {
            let m = vec![i as u8; 10];
            let sig = torsion_signature(&key, &[&m], t, i as u64 + 1);
            triples.push((pk.clone(), m.clone(), sig.to_bytes().to_vec()));
            triples.push((
                pk.clone(),
                m.clone(),
                key.sign_message(&m).to_bytes().to_vec(),
            ));
        }
        let refs: Vec<(&[u8], &[u8], &[u8])> = triples
            .iter()
            .map(|(a, b, c)| (&a[..], &b[..], &c[..]))
            .collect();
        let batch = verify_signatures(&refs);
        for (i, (a, b, c)) in refs.iter().enumerate() {
            assert_eq!(batch[i], crate::verify_signature(a, b, c).is_ok(), "{i}");
        }
    }
}
