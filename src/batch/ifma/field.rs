//! Eight elements of GF(2²⁵⁵ − 19) at once, one per 64-bit lane of AVX-512
//! registers, multiplied with the 52-bit fused multiply-adds of AVX-512 IFMA.
//!
//! An element is five limbs in radix 2⁵¹ (`Σ lₖ·2⁵¹ᵏ`). IFMA multiplies the
//! low 52 bits of two lanes into a 104-bit product and adds its low or high
//! 52 bits to an accumulator, so every input of a multiplication must have
//! all limbs below 2⁵². Every operation here returns limbs below
//! 2⁵¹ + 2¹⁸, whatever limbs below 2⁵² it was given: the invariant holds
//! everywhere without checks. Only [`Fe::freeze`] gives the canonical
//! representative (limbs below 2⁵¹, value below p), for comparisons and
//! encodings.
//!
//! Bounds of a product `a·b`: with `lo[k]`, `hi[k]` the sums over `i + j = k`
//! of the low and high 52-bit halves of `aᵢ·bⱼ` (at most five terms each,
//! every term below 2⁵²), the product is `Σₖ 2⁵¹ᵏ·(lo[k] + 2·hi[k−1])`
//! because `2⁵² = 2·2⁵¹`. Each `cₖ = lo[k] + 2·hi[k−1] < 5·2⁵² + 10·2⁵² < 2⁵⁶`;
//! folding `c₅…c₉` back with `2²⁵⁵ ≡ 19` gives limbs below `2⁵⁶ + 19·2⁵⁶ < 2⁶¹`,
//! and one parallel carry brings them below 2⁵¹ + 19·2¹⁰.

#![allow(
    clippy::indexing_slicing,
    reason = "fixed-size arrays indexed by loop counters within their bounds"
)]

use core::arch::x86_64::*;

pub(super) const MASK51: u64 = (1 << 51) - 1;

/// `d = −121665/121666`, the Edwards curve constant.
pub(super) const EDWARDS_D: [u64; 5] = [
    929_955_233_495_203,
    466_365_720_129_213,
    1_662_059_464_998_953,
    2_033_849_074_728_123,
    1_442_794_654_840_575,
];

/// `2·d`.
pub(super) const EDWARDS_D2: [u64; 5] = [
    1_859_910_466_990_425,
    932_731_440_258_426,
    1_072_319_116_312_658,
    1_815_898_335_770_999,
    633_789_495_995_903,
];

/// A square root of −1.
pub(super) const SQRT_M1: [u64; 5] = [
    1_718_705_420_411_056,
    234_908_883_556_509,
    2_233_514_472_574_048,
    2_117_202_627_021_982,
    765_476_049_583_133,
];

/// Eight field elements, lane `i` of every limb belonging to element `i`.
#[derive(Clone, Copy)]
pub(super) struct Fe(pub(super) [__m512i; 5]);

/// Lanes of a register as an array.
#[target_feature(enable = "avx512f")]
#[inline]
pub(super) fn lanes(v: __m512i) -> [u64; 8] {
    let mut out = [0u64; 8];
    // SAFETY: `out` is 64 writable bytes; the store is unaligned.
    unsafe { _mm512_storeu_si512(out.as_mut_ptr().cast(), v) };
    out
}

/// A register from eight lanes.
#[target_feature(enable = "avx512f")]
#[inline]
pub(super) fn from_lanes(a: &[u64; 8]) -> __m512i {
    // SAFETY: `a` is 64 readable bytes; the load is unaligned.
    unsafe { _mm512_loadu_si512(a.as_ptr().cast()) }
}

#[target_feature(enable = "avx512f")]
#[inline]
fn splat(x: u64) -> __m512i {
    _mm512_set1_epi64(x as i64)
}

#[target_feature(enable = "avx512f,avx512dq")]
#[inline]
fn times19(x: __m512i) -> __m512i {
    _mm512_mullo_epi64(x, splat(19))
}

#[target_feature(enable = "avx512f")]
#[inline]
fn shr51(v: __m512i) -> __m512i {
    _mm512_srli_epi64::<51>(v)
}

/// Carries limbs 0..4 into their successors one after another, leaving
/// limbs 0..3 below 2⁵¹ and the excess of limb 4 in place.
#[target_feature(enable = "avx512f")]
#[inline]
fn carry_limbs(mut l: [__m512i; 5]) -> [__m512i; 5] {
    let m = splat(MASK51);
    for k in 0..4 {
        l[k + 1] = _mm512_add_epi64(l[k + 1], shr51(l[k]));
        l[k] = _mm512_and_si512(l[k], m);
    }
    l
}

/// One parallel carry: limbs below 2⁶³ in, below 2⁵¹ + 19·2¹² out.
#[target_feature(enable = "avx512f,avx512dq")]
#[inline]
fn carry(c: [__m512i; 5]) -> Fe {
    let m = splat(MASK51);
    Fe([
        _mm512_add_epi64(_mm512_and_si512(c[0], m), times19(shr51(c[4]))),
        _mm512_add_epi64(_mm512_and_si512(c[1], m), shr51(c[0])),
        _mm512_add_epi64(_mm512_and_si512(c[2], m), shr51(c[1])),
        _mm512_add_epi64(_mm512_and_si512(c[3], m), shr51(c[2])),
        _mm512_add_epi64(_mm512_and_si512(c[4], m), shr51(c[3])),
    ])
}

/// Folds the ten column sums of a product (`lo`, and `hi` one column up and
/// doubled) into five limbs and carries once.
#[target_feature(enable = "avx512f,avx512dq")]
#[inline]
fn fold(lo: [__m512i; 9], hi: [__m512i; 9]) -> Fe {
    let z = _mm512_setzero_si512();
    let mut c = [z; 10];
    for k in 0..9 {
        c[k] = _mm512_add_epi64(c[k], lo[k]);
        c[k + 1] = _mm512_add_epi64(c[k + 1], _mm512_slli_epi64::<1>(hi[k]));
    }
    let mut r = [z; 5];
    for k in 0..5 {
        r[k] = _mm512_add_epi64(c[k], times19(c[k + 5]));
    }
    carry(r)
}

impl Fe {
    /// The same element in every lane.
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(super) fn splat(limbs: [u64; 5]) -> Fe {
        Fe([
            splat(limbs[0]),
            splat(limbs[1]),
            splat(limbs[2]),
            splat(limbs[3]),
            splat(limbs[4]),
        ])
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(super) fn zero() -> Fe {
        Fe([_mm512_setzero_si512(); 5])
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(super) fn one() -> Fe {
        Fe::splat([1, 0, 0, 0, 0])
    }

    /// Lane `i` from `elements[i]` (limbs below 2⁵² each).
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(super) fn from_elements(elements: &[[u64; 5]; 8]) -> Fe {
        let mut limbs = [_mm512_setzero_si512(); 5];
        for (k, limb) in limbs.iter_mut().enumerate() {
            let mut l = [0u64; 8];
            for (lane, e) in l.iter_mut().zip(elements) {
                *lane = e[k];
            }
            *limb = from_lanes(&l);
        }
        Fe(limbs)
    }

    /// The limbs of every lane.
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(super) fn to_elements(self) -> [[u64; 5]; 8] {
        let mut out = [[0u64; 5]; 8];
        for k in 0..5 {
            for (e, l) in out.iter_mut().zip(lanes(self.0[k])) {
                e[k] = l;
            }
        }
        out
    }

    #[target_feature(enable = "avx512f,avx512dq")]
    #[inline]
    pub(super) fn add(self, b: Fe) -> Fe {
        let a = self.0;
        let b = b.0;
        let mut c = a;
        for k in 0..5 {
            c[k] = _mm512_add_epi64(a[k], b[k]);
        }
        carry(c)
    }

    /// `a − b`, computed as `a + 4p − b` so that no lane goes negative.
    #[target_feature(enable = "avx512f,avx512dq")]
    #[inline]
    pub(super) fn sub(self, b: Fe) -> Fe {
        const FOUR_P: [u64; 5] = [
            4 * ((1 << 51) - 19),
            4 * MASK51,
            4 * MASK51,
            4 * MASK51,
            4 * MASK51,
        ];
        let a = self.0;
        let b = b.0;
        let mut c = a;
        for k in 0..5 {
            c[k] = _mm512_sub_epi64(_mm512_add_epi64(a[k], splat(FOUR_P[k])), b[k]);
        }
        carry(c)
    }

    #[target_feature(enable = "avx512f,avx512dq")]
    #[inline]
    pub(super) fn neg(self) -> Fe {
        Fe::zero().sub(self)
    }

    #[target_feature(enable = "avx512f,avx512dq,avx512ifma")]
    #[inline]
    pub(super) fn mul(self, b: Fe) -> Fe {
        let a = self.0;
        let b = b.0;
        let z = _mm512_setzero_si512();
        let mut lo = [z; 9];
        let mut hi = [z; 9];
        for i in 0..5 {
            for j in 0..5 {
                lo[i + j] = _mm512_madd52lo_epu64(lo[i + j], a[i], b[j]);
                hi[i + j] = _mm512_madd52hi_epu64(hi[i + j], a[i], b[j]);
            }
        }
        fold(lo, hi)
    }

    #[target_feature(enable = "avx512f,avx512dq,avx512ifma")]
    #[inline]
    pub(super) fn square(self) -> Fe {
        let a = self.0;
        let z = _mm512_setzero_si512();
        let mut lo = [z; 9];
        let mut hi = [z; 9];
        // Cross products once, then doubled; the squares on top.
        for i in 0..5 {
            for j in (i + 1)..5 {
                lo[i + j] = _mm512_madd52lo_epu64(lo[i + j], a[i], a[j]);
                hi[i + j] = _mm512_madd52hi_epu64(hi[i + j], a[i], a[j]);
            }
        }
        for k in 0..9 {
            lo[k] = _mm512_slli_epi64::<1>(lo[k]);
            hi[k] = _mm512_slli_epi64::<1>(hi[k]);
        }
        for i in 0..5 {
            lo[2 * i] = _mm512_madd52lo_epu64(lo[2 * i], a[i], a[i]);
            hi[2 * i] = _mm512_madd52hi_epu64(hi[2 * i], a[i], a[i]);
        }
        fold(lo, hi)
    }

    /// `self^(2^k)`.
    #[target_feature(enable = "avx512f,avx512dq,avx512ifma")]
    #[inline]
    pub(super) fn pow2k(self, k: u32) -> Fe {
        let mut x = self;
        for _ in 0..k {
            x = x.square();
        }
        x
    }

    /// `(self^(2^250 − 1), self^11)`, the common part of inversion and square roots.
    #[target_feature(enable = "avx512f,avx512dq,avx512ifma")]
    fn pow22501(self) -> (Fe, Fe) {
        let t0 = self.square(); // 2
        let t1 = t0.square().square(); // 8
        let t2 = self.mul(t1); // 9
        let t3 = t0.mul(t2); // 11
        let t4 = t3.square(); // 22
        let t5 = t2.mul(t4); // 2^5 − 1
        let t6 = t5.pow2k(5);
        let t7 = t6.mul(t5); // 2^10 − 1
        let t8 = t7.pow2k(10);
        let t9 = t8.mul(t7); // 2^20 − 1
        let t10 = t9.pow2k(20);
        let t11 = t10.mul(t9); // 2^40 − 1
        let t12 = t11.pow2k(10);
        let t13 = t12.mul(t7); // 2^50 − 1
        let t14 = t13.pow2k(50);
        let t15 = t14.mul(t13); // 2^100 − 1
        let t16 = t15.pow2k(100);
        let t17 = t16.mul(t15); // 2^200 − 1
        let t18 = t17.pow2k(50);
        let t19 = t18.mul(t13); // 2^250 − 1
        (t19, t3)
    }

    /// `self^((p − 5)/8) = self^(2^252 − 3)`.
    #[target_feature(enable = "avx512f,avx512dq,avx512ifma")]
    pub(super) fn pow_p58(self) -> Fe {
        let (t19, _) = self.pow22501();
        self.mul(t19.pow2k(2))
    }

    /// `self^(p − 2)`, the inverse of a non-zero element (zero for zero).
    #[target_feature(enable = "avx512f,avx512dq,avx512ifma")]
    pub(super) fn invert(self) -> Fe {
        let (t19, t3) = self.pow22501();
        t19.pow2k(5).mul(t3)
    }

    /// The canonical representative: limbs below 2⁵¹, value below p.
    #[target_feature(enable = "avx512f,avx512dq")]
    #[inline]
    pub(super) fn freeze(self) -> Fe {
        let m = splat(MASK51);
        // Sequential carry: limbs below 2⁵¹ but the first, below 2⁵¹ + 38;
        // the value is below 2²⁵⁵ + 38 < 2p.
        let mut l = carry_limbs(self.0);
        l[0] = _mm512_add_epi64(l[0], times19(shr51(l[4])));
        l[4] = _mm512_and_si512(l[4], m);
        // q = ⌊(value + 19) / 2²⁵⁵⌋ is 1 exactly when value ≥ p.
        let mut q = shr51(_mm512_add_epi64(l[0], splat(19)));
        for v in &l[1..] {
            q = shr51(_mm512_add_epi64(*v, q));
        }
        // value − p = value + 19 − 2²⁵⁵: add 19q, carry, drop bit 255.
        l[0] = _mm512_add_epi64(l[0], times19(q));
        let mut l = carry_limbs(l);
        l[4] = _mm512_and_si512(l[4], m);
        Fe(l)
    }

    /// Lanes where two *frozen* elements are equal.
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(super) fn eq_frozen(self, b: Fe) -> __mmask8 {
        let mut m: __mmask8 = 0xff;
        for k in 0..5 {
            m &= _mm512_cmpeq_epi64_mask(self.0[k], b.0[k]);
        }
        m
    }

    /// Lanes where a *frozen* element is odd ("negative").
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(super) fn is_negative_frozen(self) -> __mmask8 {
        _mm512_test_epi64_mask(self.0[0], splat(1))
    }

    /// `b` in the lanes of `mask`, `self` elsewhere.
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(super) fn select(self, mask: __mmask8, b: Fe) -> Fe {
        let mut c = self.0;
        for (v, w) in c.iter_mut().zip(b.0) {
            *v = _mm512_mask_blend_epi64(mask, *v, w);
        }
        Fe(c)
    }

    /// Every lane set to lane `lane` of `self`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(super) fn broadcast_lane(self, lane: usize) -> Fe {
        let idx = splat(lane as u64 & 7);
        let mut c = self.0;
        for v in c.iter_mut() {
            *v = _mm512_permutexvar_epi64(idx, *v);
        }
        Fe(c)
    }

    /// `(was_square, r)` exactly as the reference `sqrt_ratio_i`: `r` the
    /// non-negative square root of `u/v` when it exists (`was_square` set;
    /// also for `u = 0`, with `r = 0`), else of `i·u/v` (`was_square` clear).
    #[target_feature(enable = "avx512f,avx512dq,avx512ifma")]
    pub(super) fn sqrt_ratio_i(u: Fe, v: Fe) -> (__mmask8, Fe) {
        let sqrt_m1 = Fe::splat(SQRT_M1);
        let v3 = v.square().mul(v);
        let v7 = v3.square().mul(v);
        let mut r = u.mul(v3).mul(u.mul(v7).pow_p58());
        let check = v.mul(r.square()).freeze();
        let neg_u = u.neg();
        let correct = check.eq_frozen(u.freeze());
        let flipped = check.eq_frozen(neg_u.freeze());
        let flipped_i = check.eq_frozen(neg_u.mul(sqrt_m1).freeze());
        r = r.select(flipped | flipped_i, r.mul(sqrt_m1));
        let r = r.freeze();
        let r = r.select(r.is_negative_frozen(), r.neg().freeze());
        (correct | flipped, r)
    }
}

/// Loads the 255-bit little-endian value of `bytes` (bit 255 ignored) as limbs.
pub(super) fn limbs_from_bytes(bytes: &[u8; 32]) -> [u64; 5] {
    let word = |i: usize| {
        let mut w = [0u8; 8];
        if let Some(src) = bytes.get(i..i + 8) {
            w.copy_from_slice(src);
        }
        u64::from_le_bytes(w)
    };
    [
        word(0) & MASK51,
        (word(6) >> 3) & MASK51,
        (word(12) >> 6) & MASK51,
        (word(19) >> 1) & MASK51,
        (word(24) >> 12) & MASK51,
    ]
}

/// The 32-byte little-endian encoding of canonical limbs.
pub(super) fn bytes_from_limbs(l: &[u64; 5]) -> [u8; 32] {
    let mut v = [0u8; 32];
    let mut acc: u128 = 0;
    let mut bits = 0u32;
    let mut out = 0usize;
    for &limb in l {
        acc |= u128::from(limb & MASK51) << bits;
        bits += 51;
        while bits >= 8 {
            if let Some(b) = v.get_mut(out) {
                *b = acc as u8;
            }
            out += 1;
            acc >>= 8;
            bits -= 8;
        }
    }
    if let Some(b) = v.get_mut(out) {
        *b = acc as u8;
    }
    v
}
