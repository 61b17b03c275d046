use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, VartimeMultiscalarMul};
use proptest::prelude::*;

use super::*;

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn bytes(&mut self) -> [u8; 32] {
        let mut b = [0u8; 32];
        for c in b.chunks_mut(8) {
            c.copy_from_slice(&self.next().to_le_bytes());
        }
        b
    }
    fn u128(&mut self) -> u128 {
        (u128::from(self.next()) << 64) | u128::from(self.next())
    }
}

fn skip() -> bool {
    if !available() {
        eprintln!("IFMA path off (no AVX-512 IFMA, or ELICENSE_NO_IFMA set): IFMA tests skipped");
        return true;
    }
    false
}

/// Edge encodings: small-order points (both sign bits), y near 0, 1, p−1,
/// p and above (non-canonical), all ones.
fn edge_encodings() -> Vec<[u8; 32]> {
    let mut v = Vec::new();
    for t in EIGHT_TORSION.iter() {
        let e = t.compress().to_bytes();
        v.push(e);
        let mut f = e;
        f[31] ^= 0x80;
        v.push(f);
    }
    let p_minus = |k: u8| {
        let mut b = [0xffu8; 32];
        b[31] = 0x7f;
        b[0] = 0xed - k;
        b
    };
    for y in [
        [0u8; 32],
        {
            let mut b = [0u8; 32];
            b[0] = 1;
            b
        },
        {
            let mut b = [0u8; 32];
            b[0] = 2;
            b
        },
        p_minus(1),
        p_minus(2),
        p_minus(0),
        {
            let mut b = p_minus(0);
            b[0] = 0xee;
            b
        },
        [0xffu8; 32],
    ] {
        v.push(y);
        let mut f = y;
        f[31] ^= 0x80;
        v.push(f);
    }
    v
}

fn check_decompress(encodings: &[[u8; 32]]) {
    let mut table = vec![[0u64; 16]; encodings.len()];
    let ok = decompress_all(encodings, &mut table).unwrap();
    for (i, e) in encodings.iter().enumerate() {
        let reference = CompressedEdwardsY(*e).decompress();
        assert_eq!(ok[i], reference.is_some(), "validity of {e:02x?}");
        if let Some(pt) = reference {
            // 1·P and 2·P through our sum agree with curve25519-dalek: the
            // whole point, not just y, was recovered.
            let one = sum(&table, &[i], &[1]).unwrap();
            assert_eq!(one, pt.compress().to_bytes(), "1·P of {e:02x?}");
            let two = sum(&table, &[i], &[2]).unwrap();
            assert_eq!(two, (pt + pt).compress().to_bytes(), "2·P of {e:02x?}");
        }
    }
}

#[test]
fn decompression_agrees_on_edge_encodings() {
    if skip() {
        return;
    }
    check_decompress(&edge_encodings());
}

#[test]
fn decompression_agrees_on_random_encodings() {
    if skip() {
        return;
    }
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut encodings = Vec::new();
    for i in 0..300u64 {
        // Random bytes (about half are not points), and real points, some
        // with a torsion component.
        encodings.push(rng.bytes());
        let p = EdwardsPoint::mul_base(&Scalar::from(rng.next())) + EIGHT_TORSION[(i % 8) as usize];
        encodings.push(p.compress().to_bytes());
    }
    check_decompress(&encodings);
}

#[test]
fn constants_are_the_curve_constants() {
    if skip() {
        return;
    }
    // Check through decompression of known points: the base point.
    let b = ED25519_BASEPOINT_POINT;
    check_decompress(&[b.compress().to_bytes(), (-b).compress().to_bytes()]);
}

fn reference_sum(points: &[EdwardsPoint], idx: &[usize], z: &[u128]) -> [u8; 32] {
    let pts: Vec<EdwardsPoint> = idx.iter().map(|&i| points[i]).collect();
    let sc: Vec<Scalar> = z.iter().map(|&x| Scalar::from(x)).collect();
    EdwardsPoint::vartime_multiscalar_mul(sc, pts)
        .compress()
        .to_bytes()
}

fn check_sum(seed: u64, n: usize, repeats: bool) {
    let mut rng = Rng(seed | 1);
    let points: Vec<EdwardsPoint> = (0..n.max(1))
        .map(|i| EdwardsPoint::mul_base(&Scalar::from(rng.u128())) + EIGHT_TORSION[i % 8])
        .collect();
    let enc: Vec<[u8; 32]> = points.iter().map(|p| p.compress().to_bytes()).collect();
    let mut table = vec![[0u64; 16]; enc.len()];
    assert!(decompress_all(&enc, &mut table).unwrap().iter().all(|&b| b));
    let idx: Vec<usize> = (0..n)
        .map(|i| {
            if repeats {
                (rng.next() as usize) % n.max(1)
            } else {
                i
            }
        })
        .collect();
    let z: Vec<u128> = (0..n)
        .map(|i| match i % 5 {
            0 => rng.u128(),
            1 => u128::MAX - (rng.next() as u128 & 0xff),
            2 => rng.next() as u128 & 0x3f,
            _ => rng.u128() >> (rng.next() % 128),
        })
        .collect();
    assert_eq!(
        sum(&table, &idx, &z).unwrap(),
        reference_sum(&points, &idx, &z),
        "n = {n}"
    );
}

#[test]
fn sums_agree_with_curve25519_dalek() {
    if skip() {
        return;
    }
    for (seed, n) in [
        (1u64, 0usize),
        (2, 1),
        (3, 2),
        (4, 7),
        (5, 8),
        (6, 9),
        (7, 64),
        (8, 513),
    ] {
        check_sum(seed, n, false);
        check_sum(seed + 100, n, true);
    }
    // The empty sum is the identity.
    let table: Vec<NielsLimbs> = Vec::new();
    assert_eq!(
        sum(&table, &[], &[]).unwrap(),
        EdwardsPoint::identity().compress().to_bytes()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn sums_agree_random(seed in any::<u64>(), n in 0usize..200, repeats in any::<bool>()) {
        if !skip() {
            check_sum(seed, n, repeats);
        }
    }

    #[test]
    fn decompression_agrees_random(raw in proptest::collection::vec(any::<[u8; 32]>(), 1..40)) {
        if !skip() {
            check_decompress(&raw);
        }
    }
}
