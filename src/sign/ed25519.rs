//! The one Ed25519 verification rule of this crate, used by the single and the
//! batch verifier alike (docs/ARCHITECTURE.md, "The signature rule").
//!
//! A signature `(R, S)` on message `M` under key `A` is valid iff
//! 1. `S` is canonical (`S < L`);
//! 2. `R` is a canonical encoding (its y coordinate `< p`) of a curve point;
//! 3. neither `R` nor `A` has small order (`A` is checked when the key is made);
//! 4. `[8]([S]B − R − [k]A) = 0` with `k = SHA-512(R ‖ A ‖ M) mod L`.
//!
//! Rules 1–3 are exactly the input rules of ed25519-dalek's `verify_strict`;
//! rule 4 is RFC 8032 §5.1.7's cofactored group equation. The two agree on
//! every signature except one whose defect `[S]B − R − [k]A` is a non-zero
//! point of order dividing 8 — which only the holder of the secret key can
//! produce, and which `verify_strict` rejects. We take the cofactored equation
//! because it is the only one a randomised batch check provably agrees with:
//! with the cofactorless equation a batch cannot tell whether such small-order
//! defects cancel, so batch and single verdicts could differ.

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use sha2::{Digest, Sha512};

use super::keys::{PublicKey, Signature, SignatureError};

/// A signature that passed rules 1–3, ready for the group equation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Prepared {
    pub(crate) r: EdwardsPoint,
    pub(crate) s: Scalar,
}

/// Whether a 32-byte Edwards y encoding (sign bit ignored) is below p = 2^255 − 19.
fn y_is_canonical(bytes: &[u8; 32]) -> bool {
    let mut y = *bytes;
    if let Some(last) = y.last_mut() {
        *last &= 0x7f;
    }
    // y >= p iff y = 2^255 - 19 + t for t in 0..19, i.e. the top byte is 0x7f,
    // bytes 1..=30 are 0xff, and byte 0 is at least 0xed.
    let (first, rest) = y.split_first().unwrap_or((&0, &[]));
    let (top, middle) = rest.split_last().unwrap_or((&0, &[]));
    !(*top == 0x7f && middle.iter().all(|&b| b == 0xff) && *first >= 0xed)
}

/// Rule 1 and the encoding half of rule 2: `S` canonical (returned) and
/// `R`'s `y` below p. Whether `R` is a point, and of small order, is left to
/// the caller (the batch decompresses many at once).
pub(crate) fn canonical_encodings(sig: &Signature) -> Option<Scalar> {
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(sig.s_bytes()))?;
    y_is_canonical(&sig.r_bytes()).then_some(s)
}

/// Rules 1–3 for the signature half: canonical `S`, canonical `R`, `R` not of small order.
pub(crate) fn prepare(sig: &Signature) -> Option<Prepared> {
    let s = canonical_encodings(sig)?;
    let r = CompressedEdwardsY(sig.r_bytes()).decompress()?;
    // With x = 0 and the sign bit set, the encoding is non-canonical; such points
    // are (0, ±1), of small order, and refused just below.
    if r.is_small_order() {
        return None;
    }
    Some(Prepared { r, s })
}

/// `k = SHA-512(R ‖ A ‖ M) mod L`, the message given in parts.
pub(crate) fn challenge(r: &[u8; 32], a: &[u8; 32], message: &[&[u8]]) -> Scalar {
    let mut h = Sha512::new();
    h.update(r);
    h.update(a);
    for part in message {
        h.update(part);
    }
    let wide: [u8; 64] = h.finalize().into();
    Scalar::from_bytes_mod_order_wide(&wide)
}

/// `k = SHA-512(input) mod L` for the whole input `R ‖ A ‖ M` at once.
pub(crate) fn challenge_of(input: &[u8]) -> Scalar {
    let wide: [u8; 64] = Sha512::digest(input).into();
    Scalar::from_bytes_mod_order_wide(&wide)
}

/// Rule 4 for one prepared signature.
pub(crate) fn equation_holds(key: &PublicKey, p: &Prepared, k: &Scalar) -> bool {
    let sb_minus_ka = EdwardsPoint::vartime_double_scalar_mul_basepoint(k, &-key.point(), &p.s);
    (sb_minus_ka - p.r).mul_by_cofactor().is_identity()
}

/// The full rule, message given in parts (they are hashed as one concatenation).
pub(crate) fn verify(
    key: &PublicKey,
    message: &[&[u8]],
    sig: &Signature,
) -> Result<(), SignatureError> {
    let p = prepare(sig).ok_or(SignatureError)?;
    let k = challenge(&sig.r_bytes(), key.as_bytes(), message);
    if equation_holds(key, &p, &k) {
        Ok(())
    } else {
        Err(SignatureError)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
pub(crate) mod tests {
    use super::*;
    use crate::sign::SigningKey;

    /// The eight points of order dividing 8, generated from one of order 8.
    pub(crate) fn eight_torsion() -> Vec<EdwardsPoint> {
        let mut g = [0u8; 32];
        let hexs = "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05";
        for (i, b) in g.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hexs[2 * i..2 * i + 2], 16).unwrap();
        }
        let t = CompressedEdwardsY(g).decompress().unwrap();
        let pts: Vec<EdwardsPoint> = (0..8u64).map(|i| t * Scalar::from(i)).collect();
        assert!(pts.iter().all(|p| p.mul_by_cofactor().is_identity()));
        assert!(!pts[4].is_identity() && !(pts[1] + pts[1] + pts[1] + pts[1]).is_identity());
        pts
    }

    /// Signs with the secret key but with `R' = rB + T` for a torsion point `T`:
    /// the key holder's "torsion signature" on which the cofactored and the
    /// cofactorless equations disagree.
    pub(crate) fn torsion_signature(
        key: &SigningKey,
        message: &[&[u8]],
        torsion: &EdwardsPoint,
        nonce: u64,
    ) -> Signature {
        let a = key.dalek().to_scalar();
        let r = Scalar::from(nonce.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let big_r = (EdwardsPoint::mul_base(&r) + torsion).compress().to_bytes();
        let k = challenge(&big_r, key.public_key().as_bytes(), message);
        let s = r + k * a;
        let mut bytes = [0u8; 64];
        bytes[..32].copy_from_slice(&big_r);
        bytes[32..].copy_from_slice(s.as_bytes());
        Signature::from_bytes(bytes)
    }

    #[test]
    fn agrees_with_dalek_on_honest_signatures() {
        let key = SigningKey::from_seed(&[3u8; 32]);
        for len in [0usize, 1, 31, 64, 1000] {
            let msg = vec![0x5a; len];
            let sig = key.sign_message(&msg);
            verify(&key.public_key(), &[&msg], &sig).unwrap();
            let vk = ed25519_dalek::VerifyingKey::from_bytes(key.public_key().as_bytes()).unwrap();
            vk.verify_strict(&msg, &ed25519_dalek::Signature::from_bytes(sig.as_bytes()))
                .unwrap();
            // The message parts are one concatenation.
            if len > 1 {
                let (a, b) = msg.split_at(len / 2);
                verify(&key.public_key(), &[a, b], &sig).unwrap();
            }
        }
    }

    #[test]
    fn rejects_non_canonical_s_and_r() {
        let key = SigningKey::from_seed(&[4u8; 32]);
        let sig = key.sign_message(b"m");
        // S + L is the same scalar, non-canonical.
        let l_bytes: [u8; 32] = {
            let mut l = (-Scalar::ONE).to_bytes();
            l[0] += 1; // L = (L - 1) + 1, no carry since L - 1 ends in 0xec
            l
        };
        let mut s_plus_l = [0u8; 32];
        let mut carry = 0u16;
        for i in 0..32 {
            let v = u16::from(sig.as_bytes()[32 + i]) + u16::from(l_bytes[i]) + carry;
            s_plus_l[i] = (v & 0xff) as u8;
            carry = v >> 8;
        }
        if carry == 0 && s_plus_l[31] & 0xe0 == 0 {
            let mut bad = sig.to_bytes();
            bad[32..].copy_from_slice(&s_plus_l);
            assert!(verify(&key.public_key(), &[b"m"], &Signature::from_bytes(bad)).is_err());
        }
        // R = identity (small order).
        let mut bad = sig.to_bytes();
        bad[..32].copy_from_slice(&EdwardsPoint::default().compress().to_bytes());
        assert!(verify(&key.public_key(), &[b"m"], &Signature::from_bytes(bad)).is_err());
        // Non-canonical y encodings are refused before decompression.
        let mut y = [0xffu8; 32];
        y[31] = 0x7f;
        y[0] = 0xed;
        assert!(!y_is_canonical(&y));
        y[0] = 0xec;
        assert!(y_is_canonical(&y));
    }

    #[test]
    fn torsion_signatures_are_the_documented_difference() {
        let key = SigningKey::from_seed(&[5u8; 32]);
        let vk = ed25519_dalek::VerifyingKey::from_bytes(key.public_key().as_bytes()).unwrap();
        for (i, t) in eight_torsion().iter().enumerate().skip(1) {
            let sig = torsion_signature(&key, &[b"msg"], t, i as u64);
            let strict = vk
                .verify_strict(
                    b"msg",
                    &ed25519_dalek::Signature::from_bytes(sig.as_bytes()),
                )
                .is_ok();
            let ours = verify(&key.public_key(), &[b"msg"], &sig).is_ok();
            assert!(!strict, "verify_strict rejects a torsion defect");
            assert!(ours, "the cofactored equation accepts it");
        }
    }
}
