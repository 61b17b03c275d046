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
//! A failing batch is split in halves until every bad signature is found (the
//! halves keep their coefficients, so each test is still wrong with
//! probability ≤ 2⁻¹²⁸, and a right half's sum is its parent's minus the
//! left's); small
//! groups are checked one by one with the single rule itself.

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use sha2::{Digest, Sha512};

use crate::sign::ed25519::{self, Prepared};
use crate::sign::{PublicKey, Signature};

/// Groups of at most this many are checked one by one.
const SINGLE_BELOW: usize = 4;

/// One signature ready for a batch: its key (an index into the batch's key
/// table), its `R` (encoding), its `S`, where its challenge's input
/// `R ‖ A ‖ M` lies in the batch's byte arena, and the challenge `k` once
/// [`verify_items`] has hashed it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Item {
    pub(crate) key: usize,
    r: [u8; 32],
    s: Scalar,
    k: Scalar,
    input: (usize, usize),
}

/// The `y` coordinates (bit 255 clear) of the eight points of small order:
/// an encoding that is a point is of small order iff its `y` is one of them
/// (the sign bit only chooses between `P` and `−P`, both of small order).
fn small_order_ys() -> &'static [[u8; 32]] {
    static YS: std::sync::OnceLock<Vec<[u8; 32]>> = std::sync::OnceLock::new();
    YS.get_or_init(|| {
        let mut ys: Vec<[u8; 32]> = EIGHT_TORSION
            .iter()
            .map(|t| {
                let mut y = t.compress().to_bytes();
                if let Some(top) = y.last_mut() {
                    *top &= 0x7f;
                }
                y
            })
            .collect();
        ys.sort_unstable();
        ys.dedup();
        ys
    })
}

fn is_small_order_y(r: &[u8; 32]) -> bool {
    let mut y = *r;
    if let Some(top) = y.last_mut() {
        *top &= 0x7f;
    }
    small_order_ys().contains(&y)
}

impl Item {
    /// Rules 1 and 3 and the canonical-`y` half of rule 2 for `sig` over
    /// `message` under `keys[key]`; `None` when the signature is invalid by
    /// them. The challenge's input is appended to `arena`; it is hashed, and
    /// `R` decompressed, by [`verify_items`], many at a time.
    pub(crate) fn new(
        keys: &[PublicKey],
        key: usize,
        message: &[&[u8]],
        sig: &Signature,
        arena: &mut Vec<u8>,
    ) -> Option<Item> {
        let public = keys.get(key)?;
        let s = ed25519::canonical_encodings(sig)?;
        let r = sig.r_bytes();
        if is_small_order_y(&r) {
            return None;
        }
        let start = arena.len();
        arena.extend_from_slice(&r);
        arena.extend_from_slice(public.as_bytes());
        for part in message {
            arena.extend_from_slice(part);
        }
        Some(Item {
            key,
            r,
            s,
            k: Scalar::ZERO,
            input: (start, arena.len()),
        })
    }

    /// The single rule's prepared form (curve25519-dalek's decompression);
    /// `None` if `R` is not a point.
    fn prepared(&self) -> Option<Prepared> {
        let r = CompressedEdwardsY(self.r).decompress()?;
        Some(Prepared { r, s: self.s })
    }
}

/// Where the batch finds each item's `R` as a point.
enum Points<'a> {
    /// Decompressed by curve25519-dalek (`None`: not a point).
    Dalek(&'a [Option<EdwardsPoint>]),
    /// Decompressed on AVX-512 IFMA lanes, in Niels form.
    #[cfg(target_arch = "x86_64")]
    Ifma(&'a [super::ifma::NielsLimbs]),
}

/// Coefficients derived from the whole batch — its challenges `kᵢ` (which hash
/// `Rᵢ`, the key and the message) and its `Sᵢ` — so the verdict is a
/// deterministic function of the input. The halves of a failed batch keep
/// their coefficients.
fn coefficients(all: &[Item], idx: &[usize]) -> Vec<u128> {
    let mut t = Sha512::new();
    t.update(b"elicense/1/batch-coefficients");
    for it in idx.iter().filter_map(|&i| all.get(i)) {
        t.update(it.k.as_bytes());
        t.update(it.s.as_bytes());
    }
    let seed: [u8; 64] = t.finalize().into();
    let mut out = Vec::with_capacity(idx.len());
    let mut counter: u64 = 0;
    while out.len() < idx.len() {
        let block: [u8; 64] = Sha512::new()
            .chain_update(seed)
            .chain_update(counter.to_le_bytes())
            .finalize()
            .into();
        counter += 1;
        for chunk in block.chunks_exact(16) {
            if out.len() == idx.len() {
                break;
            }
            let mut b = [0u8; 16];
            b.copy_from_slice(chunk);
            out.push(u128::from_le_bytes(b));
        }
    }
    out
}

/// The batch equation's left side for `idx` (indices into `all`, whose `R`
/// are points) with coefficients `z` (same length):
/// `Σᵢ zᵢ·Rᵢ + Σ_κ (Σ zᵢ·kᵢ)·A_κ − (Σᵢ zᵢ·Sᵢ)·B`, before the cofactor.
/// `None` if an index or key is missing (never, for well-formed input).
fn equation(
    keys: &[PublicKey],
    all: &[Item],
    points: &Points<'_>,
    idx: &[usize],
    z: &[u128],
) -> Option<EdwardsPoint> {
    let mut b_coeff = Wide::default();
    let mut key_coeff: Vec<(usize, Wide)> = Vec::new();
    let mut scalars: Vec<Scalar> = Vec::new();
    let mut terms: Vec<EdwardsPoint> = Vec::new();
    for (&i, &zi) in idx.iter().zip(z) {
        let it = all.get(i)?;
        b_coeff.add_product(zi, it.s.as_bytes());
        let c = match key_coeff.iter().position(|(k, _)| *k == it.key) {
            Some(p) => p,
            None => {
                key_coeff.push((it.key, Wide::default()));
                key_coeff.len() - 1
            }
        };
        if let Some((_, c)) = key_coeff.get_mut(c) {
            c.add_product(zi, it.k.as_bytes());
        }
        if let Points::Dalek(r) = points {
            let r = r.get(i)?.as_ref()?;
            scalars.push(Scalar::from(zi));
            terms.push(*r);
        }
    }
    for (k, c) in key_coeff {
        scalars.push(c.reduce());
        terms.push(*keys.get(k)?.point());
    }
    scalars.push(-b_coeff.reduce());
    terms.push(ED25519_BASEPOINT_POINT);
    let mut total = EdwardsPoint::vartime_multiscalar_mul(scalars, terms);
    #[cfg(target_arch = "x86_64")]
    if let Points::Ifma(table) = points {
        // Σ zᵢ·Rᵢ, handed over as an encoding of the point it is.
        total +=
            super::ifma::sum(table, idx, z).and_then(|e| CompressedEdwardsY(e).decompress())?;
    }
    Some(total)
}

/// A sum of products `z·x` (128-bit `z`, 256-bit `x`) as a 512-bit integer,
/// reduced modulo `L` once at the end: cheaper than a modular product per
/// term. Sums of fewer than 2¹²⁸ terms cannot overflow.
#[derive(Clone, Copy, Default)]
struct Wide([u64; 8]);

impl Wide {
    #[allow(
        clippy::indexing_slicing,
        reason = "i < 2 and j < 4 index an array of 8"
    )]
    fn add_product(&mut self, z: u128, x: &[u8; 32]) {
        let mut xs = [0u64; 4];
        for (w, c) in xs.iter_mut().zip(x.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            *w = u64::from_le_bytes(b);
        }
        for (i, zi) in [z as u64, (z >> 64) as u64].into_iter().enumerate() {
            let mut carry = 0u128;
            for (j, &xj) in xs.iter().enumerate() {
                let t = u128::from(zi) * u128::from(xj) + u128::from(self.0[i + j]) + carry;
                self.0[i + j] = t as u64;
                carry = t >> 64;
            }
            for limb in self.0.iter_mut().skip(i + 4) {
                if carry == 0 {
                    break;
                }
                let t = u128::from(*limb) + carry;
                *limb = t as u64;
                carry = t >> 64;
            }
        }
    }

    fn reduce(&self) -> Scalar {
        let mut bytes = [0u8; 64];
        for (c, w) in bytes.chunks_exact_mut(8).zip(self.0) {
            c.copy_from_slice(&w.to_le_bytes());
        }
        Scalar::from_bytes_mod_order_wide(&bytes)
    }
}

fn holds(total: &EdwardsPoint) -> bool {
    total.mul_by_cofactor().is_identity()
}

fn single_holds(keys: &[PublicKey], it: &Item) -> bool {
    match (keys.get(it.key), it.prepared()) {
        (Some(key), Some(p)) => ed25519::equation_holds(key, &p, &it.k),
        _ => false,
    }
}

/// Marks every item of `idx` valid or not. A group whose equation fails is
/// split in halves; the right half's equation is the group's minus the left
/// half's (one set of coefficients for the whole batch), so each split costs
/// one sum. Groups of at most [`SINGLE_BELOW`] are checked one by one.
fn settle(
    keys: &[PublicKey],
    all: &[Item],
    points: &Points<'_>,
    idx: &[usize],
    z: &[u128],
    known: Option<EdwardsPoint>,
    out: &mut [bool],
) {
    if idx.len() <= SINGLE_BELOW {
        for &i in idx {
            let ok = all.get(i).is_some_and(|it| single_holds(keys, it));
            if let Some(o) = out.get_mut(i) {
                *o = ok;
            }
        }
        return;
    }
    let total = known.or_else(|| equation(keys, all, points, idx, z));
    if total.as_ref().is_some_and(holds) {
        for &i in idx {
            if let Some(o) = out.get_mut(i) {
                *o = true;
            }
        }
        return;
    }
    let half = idx.len() / 2;
    let (left, right) = idx.split_at(half);
    let (zl, zr) = z.split_at(half.min(z.len()));
    let t_left = equation(keys, all, points, left, zl);
    let t_right = match (total, t_left) {
        (Some(t), Some(l)) => Some(t - l),
        _ => None,
    };
    settle(keys, all, points, left, zl, t_left, out);
    settle(keys, all, points, right, zr, t_right, out);
}

/// Verdicts for `items` (same order), whose challenge inputs are in
/// `arena`: valid under the single rule or not.
pub(crate) fn verify_items(keys: &[PublicKey], items: &mut [Item], arena: &[u8]) -> Vec<bool> {
    verify_items_with(keys, items, arena, ifma_available())
}

/// `kᵢ = SHA-512(Rᵢ ‖ A ‖ Mᵢ) mod L` for every item, eight at a time on the
/// IFMA path's lanes.
fn challenges(items: &mut [Item], arena: &[u8], ifma: bool) {
    let input = |it: &Item| arena.get(it.input.0..it.input.1).unwrap_or_default();
    #[cfg(target_arch = "x86_64")]
    if ifma {
        let inputs: Vec<&[u8]> = items.iter().map(input).collect();
        if let Some(digests) = super::ifma::sha512_many(&inputs) {
            for (it, d) in items.iter_mut().zip(&digests) {
                it.k = Scalar::from_bytes_mod_order_wide(d);
            }
            return;
        }
    }
    let _ = ifma;
    for it in items.iter_mut() {
        it.k = ed25519::challenge_of(input(it));
    }
}

fn ifma_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        super::ifma::available()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// [`verify_items`], on the IFMA lanes or not.
fn verify_items_with(
    keys: &[PublicKey],
    items: &mut [Item],
    arena: &[u8],
    ifma: bool,
) -> Vec<bool> {
    challenges(items, arena, ifma);
    let items: &[Item] = items;
    let mut out = vec![false; items.len()];
    #[cfg(target_arch = "x86_64")]
    let decompressed = ifma
        .then(|| {
            let encodings: Vec<[u8; 32]> = items.iter().map(|it| it.r).collect();
            let mut table = vec![[0u64; 16]; items.len()];
            let ok = super::ifma::decompress_all(&encodings, &mut table)?;
            Some((table, ok))
        })
        .flatten();
    #[cfg(target_arch = "x86_64")]
    if let Some((table, ok)) = decompressed {
        let idx: Vec<usize> = (0..items.len())
            .filter(|&i| ok.get(i).copied().unwrap_or(false))
            .collect();
        let z = coefficients(items, &idx);
        settle(keys, items, &Points::Ifma(&table), &idx, &z, None, &mut out);
        return out;
    }
    let _ = ifma;
    let points: Vec<Option<EdwardsPoint>> = items
        .iter()
        .map(|it| CompressedEdwardsY(it.r).decompress())
        .collect();
    let idx: Vec<usize> = (0..items.len())
        .filter(|&i| points.get(i).is_some_and(Option::is_some))
        .collect();
    let z = coefficients(items, &idx);
    settle(
        keys,
        items,
        &Points::Dalek(&points),
        &idx,
        &z,
        None,
        &mut out,
    );
    out
}

/// Verifies many raw signatures at once; the verdict for each is exactly
/// [`crate::verify_signature`]'s. Inputs of the wrong length, keys that are
/// not points or of small order, and signatures failing the encoding rules are
/// invalid without entering the batch.
pub fn verify_signatures(items: &[(&[u8], &[u8], &[u8])]) -> Vec<bool> {
    let mut keys: Vec<PublicKey> = Vec::new();
    let mut prepared: Vec<Item> = Vec::new();
    let mut arena: Vec<u8> = Vec::new();
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
            Item::new(&keys, k, &[msg], &sig, &mut arena)
        });
        slot.push(entry.map(|it| {
            prepared.push(it);
            prepared.len() - 1
        }));
    }
    let verdicts = verify_items(&keys, &mut prepared, &arena);
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

    #[test]
    fn small_order_ys_are_the_small_order_points() {
        let ys = small_order_ys();
        assert_eq!(ys.len(), 5);
        for y in ys {
            for sign in [0u8, 0x80] {
                let mut e = *y;
                e[31] |= sign;
                let p = CompressedEdwardsY(e).decompress().expect("a point");
                assert!(p.is_small_order());
                assert!(is_small_order_y(&e));
            }
        }
        let key = SigningKey::from_seed(&[7u8; 32]);
        assert!(!is_small_order_y(key.public_key().as_bytes()));
    }

    /// The IFMA lanes and curve25519-dalek alone give the same verdicts on a
    /// mix of valid, tampered, torsion, not-a-point and wrong-key signatures.
    #[test]
    fn ifma_and_portable_paths_agree() {
        let keys: Vec<SigningKey> = (0..3u8)
            .map(|i| SigningKey::from_seed(&[i + 21; 32]))
            .collect();
        let publics: Vec<PublicKey> = keys.iter().map(|k| k.public_key()).collect();
        let torsion = eight_torsion();
        let mut arena = Vec::new();
        let mut items = Vec::new();
        let mut expect = Vec::new();
        for i in 0..700usize {
            let m = (i as u32).to_le_bytes().repeat(7);
            let k = i % 3;
            let mut sig = keys[k].sign_message(&m).to_bytes();
            let mut key = k;
            match i % 23 {
                5 => sig[3] ^= 0x10,    // R changed: usually not a point at all
                6 => sig[40] ^= 0x01,   // S changed
                7 => key = (k + 1) % 3, // wrong key
                8 => {
                    let t = torsion_signature(&keys[k], &[&m], &torsion[i % 8], i as u64 + 3);
                    sig = t.to_bytes();
                }
                _ => {}
            }
            let sig = Signature::from_bytes(sig);
            expect
                .push(crate::verify_signature(publics[key].as_bytes(), &m, sig.as_bytes()).is_ok());
            if let Some(it) = Item::new(&publics, key, &[&m], &sig, &mut arena) {
                items.push((items.len(), it));
            } else {
                items.push((
                    usize::MAX,
                    Item::new(
                        &publics,
                        0,
                        &[b"x"],
                        &keys[0].sign_message(b"y"),
                        &mut arena,
                    )
                    .unwrap(),
                ));
            }
        }
        let mut list: Vec<Item> = items.iter().map(|(_, it)| *it).collect();
        let mut list2 = list.clone();
        let portable = verify_items_with(&publics, &mut list, &arena, false);
        let lanes = verify_items_with(&publics, &mut list2, &arena, ifma_available());
        assert_eq!(portable, lanes);
        for (i, ((slot, _), e)) in items.iter().zip(&expect).enumerate() {
            let got = *slot != usize::MAX && portable[i];
            assert_eq!(got, *e, "{i}");
        }
    }

    #[test]
    fn wide_sums_reduce_like_scalar_arithmetic() {
        let mut w = Wide::default();
        let mut expect = Scalar::ZERO;
        let mut x = Scalar::from(0xdead_beef_u64) * Scalar::from(u128::MAX);
        for i in 0..1000u128 {
            let z = u128::MAX - i * 0x1234_5678_9abc_def1;
            x = x * x + Scalar::ONE;
            w.add_product(z, x.as_bytes());
            expect += Scalar::from(z) * x;
        }
        assert_eq!(w.reduce(), expect);
    }
}
