//! The batch equation's `Σ zᵢ·Rᵢ` on eight lanes of AVX-512 IFMA: the
//! signatures' `R` are decompressed eight at a time and summed with a
//! bucket (Pippenger) method whose bucket additions run eight at a time.
//!
//! curve25519-dalek decompresses points one at a time (a 255-step square
//! root each, the largest cost of a batch) and keeps its point coordinates
//! private, so this module carries its own field and point arithmetic for
//! these two jobs and hands the sum to curve25519-dalek as a compressed
//! point. What it computes is checked against curve25519-dalek in tests:
//! decompression verdicts on edge and random encodings, and whole sums.
//!
//! Runs only where the CPU has AVX-512 F, DQ and IFMA (checked at run time);
//! [`available`] says whether it does. Elsewhere the batch uses
//! curve25519-dalek alone, with the same verdicts.

#![allow(
    unsafe_code,
    reason = "AVX-512 intrinsics: loads, stores and gathers of checked memory, and calls into functions compiled for a CPU feature the caller has checked"
)]
#![allow(
    clippy::indexing_slicing,
    reason = "fixed-size arrays indexed by loop counters within their bounds"
)]

mod field;
mod sha512;

use core::arch::x86_64::*;

use field::{EDWARDS_D, EDWARDS_D2, Fe, bytes_from_limbs, lanes, limbs_from_bytes};

/// Whether this CPU runs the IFMA path: it has AVX-512 F, DQ and IFMA, and
/// the environment variable `ELICENSE_NO_IFMA` was not set when first asked
/// (a diagnostic switch: the portable path gives the same verdicts, and CI
/// runs the batch tests on both).
pub(crate) fn available() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| {
        std::env::var_os("ELICENSE_NO_IFMA").is_none()
            && std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512dq")
            && std::is_x86_feature_detected!("avx512ifma")
    })
}

/// Eight points in extended coordinates `(X : Y : Z : T)`, `x = X/Z`,
/// `y = Y/Z`, `xy = T/Z`.
#[derive(Clone, Copy)]
struct Point {
    x: Fe,
    y: Fe,
    z: Fe,
    t: Fe,
}

/// Eight affine points as `(y + x, y − x, 2d·x·y)`, ready to be added.
#[derive(Clone, Copy)]
struct Niels {
    y_plus_x: Fe,
    y_minus_x: Fe,
    xy2d: Fe,
}

/// A decompressed point, as the limbs of its [`Niels`] form: 15 limbs,
/// padded to 16 so each point fills two cache lines.
pub(crate) type NielsLimbs = [u64; 16];

impl Point {
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn identity() -> Point {
        Point {
            x: Fe::zero(),
            y: Fe::one(),
            z: Fe::one(),
            t: Fe::zero(),
        }
    }

    /// The end of both additions: from `A = (Y₁−X₁)(Y₂−X₂)`,
    /// `B = (Y₁+X₁)(Y₂+X₂)`, `C = 2d·T₁T₂`, `D = 2Z₁Z₂`, with
    /// `E = B − A`, `F = D − C`, `G = D + C`, `H = B + A`, the sum is
    /// `(EF : GH : FG : EH)`.
    #[target_feature(enable = "avx512f,avx512dq,avx512ifma")]
    #[inline]
    fn from_abcd(a: Fe, b: Fe, c: Fe, d: Fe) -> Point {
        Point::from_efgh(b.sub(a), d.sub(c), d.add(c), b.add(a))
    }

    /// `(EF : GH : FG : EH)`, the common end of the addition and doubling
    /// formulas.
    #[target_feature(enable = "avx512f,avx512dq,avx512ifma")]
    #[inline]
    fn from_efgh(e: Fe, f: Fe, g: Fe, h: Fe) -> Point {
        Point {
            x: e.mul(f),
            y: g.mul(h),
            z: f.mul(g),
            t: e.mul(h),
        }
    }

    /// `self + q` for affine `q` (madd-2008-hwcd-3 with `k = 2d`; complete
    /// on this curve, so identity and small-order points need no care).
    #[target_feature(enable = "avx512f,avx512dq,avx512ifma")]
    #[inline]
    fn add_niels(self, q: &Niels) -> Point {
        let a = self.y.sub(self.x).mul(q.y_minus_x);
        let b = self.y.add(self.x).mul(q.y_plus_x);
        let c = self.t.mul(q.xy2d);
        let d = self.z.add(self.z);
        Point::from_abcd(a, b, c, d)
    }

    /// `self + q` (add-2008-hwcd-3, complete on this curve).
    #[target_feature(enable = "avx512f,avx512dq,avx512ifma")]
    #[inline]
    fn add(self, q: &Point) -> Point {
        let a = self.y.sub(self.x).mul(q.y.sub(q.x));
        let b = self.y.add(self.x).mul(q.y.add(q.x));
        let c = self.t.mul(q.t).mul(Fe::splat(EDWARDS_D2));
        let zz = self.z.mul(q.z);
        let d = zz.add(zz);
        Point::from_abcd(a, b, c, d)
    }

    /// `2·self` (dbl-2008-hwcd with `a = −1`).
    #[target_feature(enable = "avx512f,avx512dq,avx512ifma")]
    #[inline]
    fn double(self) -> Point {
        let a = self.x.square();
        let b = self.y.square();
        let zz = self.z.square();
        let c = zz.add(zz);
        let e = self.x.add(self.y).square().sub(a).sub(b);
        let g = b.sub(a); // a·A + B with a = −1
        let f = g.sub(c);
        let h = Fe::zero().sub(a).sub(b); // a·A − B
        Point::from_efgh(e, f, g, h)
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    fn select(self, mask: __mmask8, b: &Point) -> Point {
        Point {
            x: self.x.select(mask, b.x),
            y: self.y.select(mask, b.y),
            z: self.z.select(mask, b.z),
            t: self.t.select(mask, b.t),
        }
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    fn broadcast_lane(self, lane: usize) -> Point {
        Point {
            x: self.x.broadcast_lane(lane),
            y: self.y.broadcast_lane(lane),
            z: self.z.broadcast_lane(lane),
            t: self.t.broadcast_lane(lane),
        }
    }

    /// The 20 limb registers, in the order of [`Point::from_regs`].
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn regs(&self) -> [__m512i; 20] {
        let mut out = [_mm512_setzero_si512(); 20];
        for (k, fe) in [self.x, self.y, self.z, self.t].iter().enumerate() {
            for (l, v) in fe.0.iter().enumerate() {
                out[5 * k + l] = *v;
            }
        }
        out
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    fn from_regs(r: &[__m512i; 20]) -> Point {
        let fe = |k: usize| {
            Fe([
                r[5 * k],
                r[5 * k + 1],
                r[5 * k + 2],
                r[5 * k + 3],
                r[5 * k + 4],
            ])
        };
        Point {
            x: fe(0),
            y: fe(1),
            z: fe(2),
            t: fe(3),
        }
    }

    /// The encoding of lane 0.
    #[target_feature(enable = "avx512f,avx512dq,avx512ifma")]
    fn compress_lane0(self) -> [u8; 32] {
        let zinv = self.z.invert();
        let x = self.x.mul(zinv).freeze();
        let y = self.y.mul(zinv).freeze();
        let sign = lanes(x.0[0])[0] & 1;
        let ys = y.to_elements();
        let mut out = bytes_from_limbs(&ys[0]);
        out[31] |= (sign as u8) << 7;
        out
    }
}

/// Decompresses eight encodings (`y` with the sign of `x` in bit 255) exactly
/// as curve25519-dalek's `CompressedEdwardsY::decompress`: the mask has the
/// lanes that are points; their Niels forms are written to `out`.
#[target_feature(enable = "avx512f,avx512dq,avx512ifma")]
fn decompress8(encodings: &[[u8; 32]; 8], out: &mut [NielsLimbs; 8]) -> __mmask8 {
    let mut ys = [[0u64; 5]; 8];
    let mut sign: __mmask8 = 0;
    for (i, (y, e)) in ys.iter_mut().zip(encodings).enumerate() {
        *y = limbs_from_bytes(e);
        sign |= (e[31] >> 7) << i;
    }
    let y = Fe::from_elements(&ys);
    let one = Fe::one();
    let yy = y.square();
    let u = yy.sub(one);
    let v = yy.mul(Fe::splat(EDWARDS_D)).add(one);
    let (ok, x) = Fe::sqrt_ratio_i(u, v);
    let x = x.select(sign, x.neg());
    let n = Niels {
        y_plus_x: y.add(x),
        y_minus_x: y.sub(x),
        xy2d: x.mul(y).mul(Fe::splat(EDWARDS_D2)),
    };
    let parts = [
        n.y_plus_x.to_elements(),
        n.y_minus_x.to_elements(),
        n.xy2d.to_elements(),
    ];
    for (lane, o) in out.iter_mut().enumerate() {
        for (k, part) in parts.iter().enumerate() {
            for l in 0..5 {
                o[5 * k + l] = part[lane][l];
            }
        }
        o[15] = 0;
    }
    ok
}

/// Decompresses `encodings`, writing each point's Niels limbs to `out` (same
/// length) and returning which are points; `None` where the IFMA path is off.
/// Lengths that differ leave the rest untouched and report `false` for it.
pub(crate) fn decompress_all(encodings: &[[u8; 32]], out: &mut [NielsLimbs]) -> Option<Vec<bool>> {
    if !available() {
        return None;
    }
    let mut ok = vec![false; encodings.len()];
    for ((enc, dst), flags) in encodings
        .chunks(8)
        .zip(out.chunks_mut(8))
        .zip(ok.chunks_mut(8))
    {
        let mut e = [[0u8; 32]; 8];
        for (slot, src) in e.iter_mut().zip(enc) {
            *slot = *src;
        }
        let mut o = [[0u64; 16]; 8];
        // SAFETY: the CPU features were checked above.
        let mask = unsafe { decompress8(&e, &mut o) };
        for (i, ((d, src), f)) in dst.iter_mut().zip(&o).zip(flags.iter_mut()).enumerate() {
            *d = *src;
            *f = mask & (1 << i) != 0;
        }
    }
    Some(ok)
}

/// The Niels point whose limbs start at `base + offset` in each lane.
///
/// # Safety
/// Every lane's `offset..offset + 15` must index `u64`s of one allocation
/// starting at `base`.
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn gather_niels(base: *const i64, offsets: __m512i) -> Niels {
    let z = _mm512_setzero_si512();
    let mut limbs = [z; 15];
    for (j, v) in limbs.iter_mut().enumerate() {
        // SAFETY: the caller's promise, with `j < 15`.
        *v = unsafe { _mm512_i64gather_epi64::<8>(offsets, base.add(j)) };
    }
    Niels {
        y_plus_x: Fe([limbs[0], limbs[1], limbs[2], limbs[3], limbs[4]]),
        y_minus_x: Fe([limbs[5], limbs[6], limbs[7], limbs[8], limbs[9]]),
        xy2d: Fe([limbs[10], limbs[11], limbs[12], limbs[13], limbs[14]]),
    }
}

/// SHA-512 digests of `inputs` (eight at a time); `None` where the IFMA
/// path is off.
pub(crate) fn sha512_many(inputs: &[&[u8]]) -> Option<Vec<[u8; 64]>> {
    if !available() {
        return None;
    }
    let mut out = vec![[0u8; 64]; inputs.len()];
    SCRATCH.with(|s| {
        let mut own = Vec::new();
        let mut guard = s.try_borrow_mut();
        let buf = match guard.as_mut() {
            Ok(s) => &mut s.sha,
            Err(_) => &mut own,
        };
        for (chunk, o) in inputs.chunks(8).zip(out.chunks_mut(8)) {
            // SAFETY: AVX-512 F was checked above.
            unsafe { sha512::sha512x8(chunk, o, buf) };
        }
    });
    Some(out)
}

/// Bits per bucket window for a sum of `n` points: larger windows mean
/// fewer bucket additions per point but more buckets to combine.
fn window_bits(n: usize) -> usize {
    match n {
        0..16 => 3,
        16..64 => 4,
        64..200 => 5,
        _ => 6,
    }
}

/// Buffers reused by the sums of one thread.
#[derive(Default)]
struct Scratch {
    starts: Vec<u32>,
    fill: Vec<u32>,
    order: Vec<u32>,
    sums: Vec<[[u64; 8]; 20]>,
    sha: Vec<u8>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// `Σ zᵢ·Pᵢ` for the points `table[idx[i]]` and 128-bit `z[i]`, as an
/// encoding (the sum is always a curve point).
pub(crate) fn sum(table: &[NielsLimbs], idx: &[usize], z: &[u128]) -> Option<[u8; 32]> {
    if !available() || idx.len() != z.len() || idx.iter().any(|&i| i >= table.len()) {
        return None;
    }
    let run = |scratch: &mut Scratch| {
        // SAFETY: the CPU features were checked just above; every index is
        // below `table.len()`.
        unsafe { sum_inner(table, idx, z, scratch) }
    };
    Some(SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut s) => run(&mut s),
        Err(_) => run(&mut Scratch::default()),
    }))
}

#[target_feature(enable = "avx512f,avx512dq,avx512ifma")]
fn sum_inner(table: &[NielsLimbs], idx: &[usize], z: &[u128], scratch: &mut Scratch) -> [u8; 32] {
    let window = window_bits(idx.len());
    let windows = 128usize.div_ceil(window);
    let buckets = 1usize << window;
    // 1. Sort (window, digit) pairs: `order` lists point indices grouped by
    //    bucket, buckets in (window, digit) order; `starts[g]` opens group g
    //    (g = window·buckets + digit).
    let groups = windows * buckets;
    let Scratch {
        starts,
        fill,
        order,
        sums,
        ..
    } = scratch;
    starts.clear();
    starts.resize(groups + 1, 0);
    let counts = starts;
    let digit = |zi: u128, w: usize| ((zi >> (window * w)) as usize) & (buckets - 1);
    for &zi in z {
        for w in 0..windows {
            let d = digit(zi, w);
            if let Some(c) = counts.get_mut(w * buckets + d + 1).filter(|_| d != 0) {
                *c += 1;
            }
        }
    }
    for g in 0..groups {
        counts[g + 1] += counts[g];
    }
    let starts: &[u32] = counts;
    let total = starts[groups] as usize;
    fill.clear();
    fill.extend_from_slice(starts);
    order.clear();
    order.resize(total, 0);
    for (&i, &zi) in idx.iter().zip(z) {
        for w in 0..windows {
            let d = digit(zi, w);
            if let Some(f) = fill.get_mut(w * buckets + d).filter(|_| d != 0) {
                if let Some(o) = order.get_mut(*f as usize) {
                    *o = i as u32;
                }
                *f += 1;
            }
        }
    }

    // 2. Eight lanes walk contiguous runs of whole groups, adding each
    //    group's points into a lane accumulator and writing the group's sum
    //    out when it ends.
    let mut bounds = [0usize; 9];
    {
        let mut g = 0usize;
        for (l, b) in bounds.iter_mut().enumerate().skip(1) {
            let target = total * l / 8;
            while g < groups && (starts[g] as usize) < target {
                g += 1;
            }
            *b = g;
        }
        bounds[8] = groups;
    }
    // Bucket sums: for window group `wg` (windows 8·wg..8·wg + 7, one per
    // lane) and digit `d`, the 20 limb registers' lanes.
    let wgroups = windows.div_ceil(8);
    let id_regs = Point::identity().regs();
    let mut id_lanes = [[0u64; 8]; 20];
    for (dst, r) in id_lanes.iter_mut().zip(id_regs) {
        *dst = lanes(r);
    }
    sums.clear();
    sums.resize(wgroups * buckets, id_lanes);

    let mut group = [0usize; 8];
    let mut pos = [0usize; 8];
    let mut end_group = [0usize; 8];
    for l in 0..8 {
        group[l] = bounds[l];
        end_group[l] = bounds[l + 1];
        pos[l] = starts[group[l]] as usize;
    }
    let mut acc = Point::identity();
    let base: *const i64 = table.as_ptr().cast();
    let max_index = _mm512_set1_epi64((table.len() as i64 - 1).max(0));
    loop {
        // Skip empty groups (writing nothing: their sums stay the identity).
        let mut active: __mmask8 = 0;
        let mut at = [0u64; 8];
        for l in 0..8 {
            while group[l] < end_group[l] && pos[l] >= starts[group[l] + 1] as usize {
                group[l] += 1;
            }
            if group[l] < end_group[l] {
                active |= 1 << l;
                at[l] = u64::from(order[pos[l]]) * 16;
            }
        }
        if active == 0 {
            break;
        }
        let offsets = _mm512_min_epu64(field::from_lanes(&at), _mm512_slli_epi64::<4>(max_index));
        // SAFETY: every offset is at most 16·(table.len() − 1) (clamped just
        // above), and `gather_niels` reads limbs 0..15 from there.
        let q = unsafe { gather_niels(base, offsets) };
        let next = acc.add_niels(&q);
        acc = acc.select(active, &next);
        // Advance; lanes whose group ended write it out and restart.
        let mut ended: __mmask8 = 0;
        for l in 0..8 {
            if active & (1 << l) != 0 {
                pos[l] += 1;
                if pos[l] >= starts[group[l] + 1] as usize {
                    ended |= 1 << l;
                }
            }
        }
        if ended != 0 {
            let mut regs = [[0u64; 8]; 20];
            for (dst, r) in regs.iter_mut().zip(acc.regs()) {
                *dst = lanes(r);
            }
            for l in 0..8 {
                if ended & (1 << l) != 0 {
                    let g = group[l];
                    let (w, d) = (g / buckets, g % buckets);
                    if let Some(s) = sums.get_mut((w / 8) * buckets + d) {
                        for (dst, src) in s.iter_mut().zip(&regs) {
                            dst[w % 8] = src[l];
                        }
                    }
                    group[l] += 1;
                }
            }
            acc = acc.select(ended, &Point::identity());
        }
    }

    // 3. Per window (a lane each): Σ_d d·S_d by running sums.
    let mut per_window = Vec::with_capacity(wgroups);
    for wg in 0..wgroups {
        let mut running = Point::identity();
        let mut total = Point::identity();
        for d in (1..buckets).rev() {
            if let Some(s) = sums.get(wg * buckets + d) {
                let mut regs = [_mm512_setzero_si512(); 20];
                for (dst, l) in regs.iter_mut().zip(s) {
                    *dst = field::from_lanes(l);
                }
                running = running.add(&Point::from_regs(&regs));
            }
            total = total.add(&running);
        }
        per_window.push(total);
    }

    // 4. Σ_w 2^(6w)·W_w, Horner from the top window, every lane alike.
    let mut acc = Point::identity();
    for w in (0..windows).rev() {
        for _ in 0..window {
            acc = acc.double();
        }
        if let Some(wp) = per_window.get(w / 8) {
            acc = acc.add(&wp.broadcast_lane(w % 8));
        }
    }
    acc.compress_lane0()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
