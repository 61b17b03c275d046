//! SM3 hashing and SM2 signatures (GB/T 32905, GB/T 32918) over RustCrypto's
//! `sm2` and `sm3`, wrapped so their types stay out of our public API.

use sm2::dsa::signature::{Signer as _, Verifier as _};
use sm3::Digest as _;
use zeroize::Zeroize as _;

use crate::sign::{KeyError, SignatureError};

/// The user id (distinguishing identifier) GB/T 35276 and GB/T 38540 use when
/// none is agreed: `1234567812345678`.
pub const SM2_DEFAULT_USER_ID: &str = "1234567812345678";

/// SM3 of `data` (GB/T 32905).
pub fn sm3(data: &[u8]) -> [u8; 32] {
    sm3::Sm3::digest(data).into()
}

/// SM3 of the concatenation of `parts`.
pub(crate) fn sm3_parts(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = sm3::Sm3::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// An SM2 signature `(r, s)`, two 32-byte big-endian integers in `[1, n−1]`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sm2Signature {
    r: [u8; 32],
    s: [u8; 32],
}

impl core::fmt::Debug for Sm2Signature {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Sm2Signature({})", crate::model::hex(&self.to_bytes()))
    }
}

impl Sm2Signature {
    /// From `r ‖ s` (64 bytes).
    pub fn from_bytes(bytes: &[u8; 64]) -> Sm2Signature {
        let mut r = [0u8; 32];
        let mut s = [0u8; 32];
        r.copy_from_slice(bytes.get(..32).unwrap_or(&[0; 32]));
        s.copy_from_slice(bytes.get(32..).unwrap_or(&[0; 32]));
        Sm2Signature { r, s }
    }

    /// `r ‖ s`.
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out.get_mut(..32)
            .unwrap_or_default()
            .copy_from_slice(&self.r);
        out.get_mut(32..)
            .unwrap_or_default()
            .copy_from_slice(&self.s);
        out
    }

    /// From the DER `SEQUENCE { INTEGER r, INTEGER s }` (GB/T 35276 §7.3),
    /// strictly: minimal lengths and integers, nothing after.
    pub fn from_der(der: &[u8]) -> Result<Sm2Signature, SignatureError> {
        let mut outer = super::der::Reader::new(der, 2).map_err(|_| SignatureError)?;
        let mut seq = outer
            .sequence("sm2 signature")
            .map_err(|_| SignatureError)?;
        let r = seq.uint32("r").map_err(|_| SignatureError)?;
        let s = seq.uint32("s").map_err(|_| SignatureError)?;
        seq.end().map_err(|_| SignatureError)?;
        outer.end().map_err(|_| SignatureError)?;
        Ok(Sm2Signature { r, s })
    }

    /// The DER `SEQUENCE { INTEGER r, INTEGER s }`.
    pub fn to_der(&self) -> Vec<u8> {
        let mut body = Vec::with_capacity(72);
        super::der::write_uint(&mut body, &self.r);
        super::der::write_uint(&mut body, &self.s);
        let mut out = Vec::with_capacity(74);
        super::der::write_tlv(&mut out, super::der::tag::SEQUENCE, &body);
        out
    }

    fn inner(&self) -> Result<sm2::dsa::Signature, SignatureError> {
        sm2::dsa::Signature::from_bytes(&self.to_bytes().into()).map_err(|_| SignatureError)
    }
}

/// An SM2 public key on the recommended curve, with the user id it verifies
/// for (the standard one unless another is named).
#[derive(Clone)]
pub struct Sm2PublicKey {
    key: sm2::dsa::VerifyingKey,
    point: [u8; 65],
}

impl PartialEq for Sm2PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.point == other.point && self.key.distid() == other.key.distid()
    }
}
impl Eq for Sm2PublicKey {}

impl core::fmt::Debug for Sm2PublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Sm2PublicKey({})", crate::model::hex(&self.point))
    }
}

impl Sm2PublicKey {
    /// From a SEC1 point (`04 ‖ x ‖ y`, or compressed), for the standard user id.
    pub fn from_sec1(bytes: &[u8]) -> Result<Sm2PublicKey, KeyError> {
        Sm2PublicKey::from_sec1_with_id(bytes, SM2_DEFAULT_USER_ID)
    }

    /// From a SEC1 point, for `user_id` (at most 8191 bytes, as ENTL is 16 bits of bit length).
    pub fn from_sec1_with_id(bytes: &[u8], user_id: &str) -> Result<Sm2PublicKey, KeyError> {
        let key =
            sm2::dsa::VerifyingKey::from_sec1_bytes(user_id, bytes).map_err(|_| KeyError::Sm2 {
                reason: "the point is not on the curve (or the user id is too long)",
            })?;
        let enc = key.to_sec1_bytes();
        let mut point = [0u8; 65];
        if enc.len() != 65 {
            return Err(KeyError::Sm2 {
                reason: "unexpected point encoding",
            });
        }
        point.copy_from_slice(&enc);
        Ok(Sm2PublicKey { key, point })
    }

    /// The same key for another user id.
    pub fn with_user_id(&self, user_id: &str) -> Result<Sm2PublicKey, KeyError> {
        Sm2PublicKey::from_sec1_with_id(&self.point, user_id)
    }

    /// The uncompressed point `04 ‖ x ‖ y`.
    pub fn to_sec1(&self) -> [u8; 65] {
        self.point
    }

    /// The user id this key verifies for.
    pub fn user_id(&self) -> &str {
        self.key.distid()
    }

    /// `Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA)` (GB/T 32918.2 §5.5).
    pub fn z_value(&self) -> [u8; 32] {
        const A: [u8; 32] =
            hex32("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC");
        const B: [u8; 32] =
            hex32("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93");
        const XG: [u8; 32] =
            hex32("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7");
        const YG: [u8; 32] =
            hex32("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0");
        let id = self.key.distid().as_bytes();
        let entl = u16::try_from(id.len().saturating_mul(8)).unwrap_or(u16::MAX);
        sm3_parts(&[
            &entl.to_be_bytes(),
            id,
            &A,
            &B,
            &XG,
            &YG,
            self.point.get(1..).unwrap_or_default(),
        ])
    }

    /// Verifies an SM2 signature over `message` (SM3 of `Z ‖ message`).
    /// Failure is opaque.
    pub fn verify(&self, message: &[u8], signature: &Sm2Signature) -> Result<(), SignatureError> {
        self.key
            .verify(message, &signature.inner()?)
            .map_err(|_| SignatureError)
    }
}

#[expect(
    clippy::indexing_slicing,
    reason = "const evaluation of fixed 64-digit literals; an index error fails the build"
)]
const fn hex32(s: &str) -> [u8; 32] {
    let b = s.as_bytes();
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nibble(b[2 * i]) << 4) | nibble(b[2 * i + 1]);
        i += 1;
    }
    out
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    }
}

/// An SM2 private key; never printed. (The `sm2` crate does not wipe its
/// scalar on drop; hold long-lived issuing keys in an HSM behind a signer.)
#[derive(Clone)]
pub struct Sm2SigningKey {
    key: sm2::dsa::SigningKey,
    public: Sm2PublicKey,
}

impl core::fmt::Debug for Sm2SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Sm2SigningKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl Sm2SigningKey {
    /// A new random key from the operating system's generator, for the standard user id.
    pub fn generate() -> Result<Sm2SigningKey, KeyError> {
        for _ in 0..16 {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).map_err(|e| KeyError::Random {
                reason: e.to_string(),
            })?;
            let key = Sm2SigningKey::from_bytes(&bytes);
            bytes.zeroize();
            if let Ok(k) = key {
                return Ok(k);
            }
        }
        Err(KeyError::Sm2 {
            reason: "the random source gave no usable scalar",
        })
    }

    /// From the 32-byte big-endian secret scalar `d` (in `[1, n−2]`), standard user id.
    pub fn from_bytes(secret: &[u8; 32]) -> Result<Sm2SigningKey, KeyError> {
        Sm2SigningKey::from_bytes_with_id(secret, SM2_DEFAULT_USER_ID)
    }

    /// From the secret scalar, for `user_id`.
    pub fn from_bytes_with_id(secret: &[u8; 32], user_id: &str) -> Result<Sm2SigningKey, KeyError> {
        let key = sm2::dsa::SigningKey::from_slice(user_id, secret).map_err(|_| KeyError::Sm2 {
            reason: "the secret scalar is not in [1, n-2]",
        })?;
        let point = key.verifying_key().to_sec1_bytes();
        let public = Sm2PublicKey::from_sec1_with_id(&point, user_id)?;
        Ok(Sm2SigningKey { key, public })
    }

    /// The public key.
    pub fn public_key(&self) -> &Sm2PublicKey {
        &self.public
    }

    /// Signs `message` (deterministic nonce, RFC 6979 style, as the `sm2` crate does).
    pub fn sign(&self, message: &[u8]) -> Sm2Signature {
        let sig: sm2::dsa::Signature = self.key.sign(message);
        Sm2Signature::from_bytes(&sig.to_bytes().into())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // GB/T 32905-2016 Appendix A, examples 1 and 2.
    #[test]
    fn sm3_known_answers() {
        assert_eq!(
            sm3(b"abc").to_vec(),
            unhex("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
        );
        assert_eq!(
            sm3(&b"abcd".repeat(16)).to_vec(),
            unhex("debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732")
        );
        assert_ne!(sm3(b"abd"), sm3(b"abc"));
    }

    // GM/T 0003.5-2012 / GB/T 32918.5-2017 Appendix A: signature on the
    // recommended curve, message "message digest", user id 1234567812345678.
    const D: &str = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8";
    const PUB: &str = "0409F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13";
    const R: &str = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3";
    const S: &str = "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA";

    fn standard_signature() -> Sm2Signature {
        let mut rs = [0u8; 64];
        rs[..32].copy_from_slice(&unhex(R));
        rs[32..].copy_from_slice(&unhex(S));
        Sm2Signature::from_bytes(&rs)
    }

    #[test]
    fn sm2_standard_example_verifies() {
        let key = Sm2PublicKey::from_sec1(&unhex(PUB)).unwrap();
        assert_eq!(
            key.z_value().to_vec(),
            unhex("B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3")
        );
        // e = SM3(Z ‖ M)
        assert_eq!(
            sm3_parts(&[&key.z_value(), b"message digest"]).to_vec(),
            unhex("F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640")
        );
        let sig = standard_signature();
        key.verify(b"message digest", &sig).unwrap();
        assert!(key.verify(b"message digest!", &sig).is_err());
        let other = key.with_user_id("ALICE123@YAHOO.COM").unwrap();
        assert!(other.verify(b"message digest", &sig).is_err());
        let mut bad = sig.to_bytes();
        bad[63] ^= 1;
        assert!(
            key.verify(b"message digest", &Sm2Signature::from_bytes(&bad))
                .is_err()
        );
        // The private key of the example gives the example's public key.
        let d: [u8; 32] = unhex(D).try_into().unwrap();
        let sk = Sm2SigningKey::from_bytes(&d).unwrap();
        assert_eq!(sk.public_key().to_sec1().to_vec(), unhex(PUB));
        let mine = sk.sign(b"message digest");
        key.verify(b"message digest", &mine).unwrap();
    }

    #[test]
    fn der_signature_round_trip() {
        let sig = standard_signature();
        let der = sig.to_der();
        // r and s have their top bit set: each INTEGER gets a 00 byte.
        assert_eq!(der.len(), 2 + 2 * (2 + 33));
        assert_eq!(Sm2Signature::from_der(&der).unwrap(), sig);
        let mut trailing = der.clone();
        trailing.push(0);
        assert!(Sm2Signature::from_der(&trailing).is_err());
        // A non-minimal integer (extra 00) is not DER.
        let mut body = Vec::new();
        crate::gm::der::write_tlv(&mut body, 0x02, &[&[0u8, 0][..], &unhex(R)].concat());
        crate::gm::der::write_uint(&mut body, &unhex(S));
        let mut seq = Vec::new();
        crate::gm::der::write_tlv(&mut seq, 0x30, &body);
        assert!(Sm2Signature::from_der(&seq).is_err());
    }

    #[test]
    fn generated_keys_sign_and_verify() {
        let sk = Sm2SigningKey::generate().unwrap();
        let sig = sk.sign(b"hello");
        sk.public_key().verify(b"hello", &sig).unwrap();
        assert!(sk.public_key().verify(b"hellO", &sig).is_err());
        assert!(!format!("{sk:?}").contains("secret"));
    }
}
