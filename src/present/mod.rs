//! Mobile display (亮证): a compact signed presentation of a license for a
//! QR code, verified on the spot.
//!
//! A [`Presentation`] carries what a counter needs to see — the license's
//! identifier and type, the holder's name (masked for a person), the fields
//! the holder chose to show, the validity window, the issuer — plus a short
//! expiry, a nonce and an Ed25519 signature by the issuing system (the
//! default for a holder's phone) or by the issuer's sealing key. Everything
//! else is bound by a digest of the full canonical license, so a verifier
//! holding the document can check that the presentation belongs to it
//! ([`Presentation::matches`]). The binary form and its string form
//! (`EL1:` + Base45, QR alphanumeric characters only) are specified in
//! docs/FORMAT.md §9; a typical presentation fits a QR code of version 11 at
//! error correction level Q.

mod base45;
mod qr;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sha2::Digest;

use crate::catalog::LicenseTypes;
use crate::cert::{CertUsage, Certificate, ChainPolicy, TrustAnchors, verify_chain};
use crate::date::{Date, Timestamp};
use crate::document::SignedLicense;
use crate::ids::{IssuerCode, LicenseId, LicenseTypeCode, RegionCode, Uscc};
use crate::model::{HolderKind, LicenseStatus};
use crate::sign::{PublicKey, Signature, Signer};
use crate::status::{InMemoryStatus, LicenseStanding, StatusSource, UnknownStatus};

pub use qr::{QrImage, QrRenderError};

/// The string form's prefix: format version 1.
pub const PREFIX: &str = "EL1:";
/// Largest scanned string accepted (a version-40 QR code holds 4,296
/// alphanumeric characters; a presentation is a few hundred).
pub const MAX_STRING_CHARS: usize = 1_200;
/// Largest binary presentation accepted.
pub const MAX_PAYLOAD_BYTES: usize = 800;
/// Longest expiry a presentation may have, in minutes (one day).
pub const MAX_MINUTES: u32 = 1_440;
/// Fields a presentation may show.
pub const MAX_SHOWN_FIELDS: usize = 8;
/// Bytes of the license digest carried (a truncated SHA-256).
pub const DIGEST_BYTES: usize = 16;
/// Bytes of the nonce.
pub const NONCE_BYTES: usize = 8;
/// What the signature signs: this context, a zero byte, then the payload
/// before the signature.
const CONTEXT: &[u8] = b"elicense/presentation/1\0";
/// Format version byte.
const VERSION: u8 = 1;
/// Characters of USCCs and type codes, five bits each.
const ALNUM31: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Characters of serials and region codes, six bits each.
const ALNUM36: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Who signed a presentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PresentRole {
    /// The issuing system's presentation key, on the holder's request (the
    /// default for a holder's phone).
    IssuingSystem,
    /// The issuer's sealing key.
    Seal,
}

/// Why a presentation could not be made, read or accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PresentError {
    /// The scanned string or payload is larger than the limit.
    #[error("presentation too large: {len} > {max}")]
    TooLarge {
        /// Its size (characters or bytes).
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The string does not start with a known version prefix.
    #[error("not an elicense presentation (expected the prefix {PREFIX})")]
    Prefix,
    /// The string is not Base45.
    #[error("not Base45 at character {at}")]
    Base45 {
        /// Position after the prefix.
        at: usize,
    },
    /// The payload ends early.
    #[error("presentation truncated while reading {what}")]
    Truncated {
        /// The element being read.
        what: &'static str,
    },
    /// An element is malformed.
    #[error("presentation element {what} is malformed")]
    Malformed {
        /// The element.
        what: &'static str,
    },
    /// The payload's version is not supported.
    #[error("presentation format version {0} is not supported")]
    Version(u8),
    /// A value cannot be put in a presentation (a field not in the license,
    /// an expiry out of range, …).
    #[error("cannot present: {0}")]
    Unpresentable(String),
    /// Signing failed.
    #[error("signing the presentation failed: {0}")]
    Sign(String),
    /// No key of the issuer is recognised.
    #[error("issuer {issuer} is not recognised")]
    UnknownIssuer {
        /// The issuer named.
        issuer: Uscc,
    },
    /// The trust lists name the issuer but recognise no presentation key of
    /// it for this license type at this time.
    #[error("issuer {issuer} is not recognised by the trust lists: {reason}")]
    NotRecognised {
        /// The issuer.
        issuer: Uscc,
        /// Why (no entry, other types only, outside the entry's window…).
        reason: Box<crate::trustlist::NotRecognisedReason>,
    },
    /// The signature does not verify under any recognised key of the issuer.
    #[error("the signature does not verify under the keys of issuer {issuer}")]
    BadSignature {
        /// The issuer named.
        issuer: Uscc,
    },
    /// The presentation expired.
    #[error("presentation expired at {expired}, checked at {at}")]
    Expired {
        /// When it expired.
        expired: Timestamp,
        /// The verification time.
        at: Timestamp,
    },
    /// The presentation was made after the verification time.
    #[error("presentation made at {made}, after the verification time {at}")]
    NotYetMade {
        /// When it claims to be made.
        made: Timestamp,
        /// The verification time.
        at: Timestamp,
    },
    /// The nonce was seen before: a replayed presentation.
    #[error("presentation nonce seen before (a replay)")]
    Replayed,
    /// The license is outside its validity window.
    #[error("license not within its validity window at {at}")]
    LicenseNotValid {
        /// The verification time.
        at: Timestamp,
    },
    /// The license is not in force.
    #[error("license {id} is not in force: {status} since {since}")]
    NotInForce {
        /// The license.
        id: LicenseId,
        /// Its status.
        status: LicenseStatus,
        /// Since when.
        since: Timestamp,
    },
    /// The status source does not know the license.
    #[error("status of license {id} is unknown")]
    StatusUnknown {
        /// The license.
        id: LicenseId,
    },
}

/// A presentation (亮证码).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presentation {
    role: PresentRole,
    id: LicenseId,
    issuer: Uscc,
    holder_name: String,
    shown: Vec<(String, String)>,
    valid_from: Date,
    valid_to: Option<Date>,
    made_at: Timestamp,
    minutes: u32,
    nonce: [u8; NONCE_BYTES],
    digest: [u8; DIGEST_BYTES],
    signature: Signature,
    /// The encoded payload (signature last).
    bytes: Vec<u8>,
}

/// What a presentation shows, before it is signed.
#[derive(Debug, Clone)]
pub struct PresentRequest<'a> {
    /// Keys of the fields to show (at most [`MAX_SHOWN_FIELDS`]).
    pub show: &'a [&'a str],
    /// When the presentation is made.
    pub made_at: Timestamp,
    /// Minutes until it expires (1..=[`MAX_MINUTES`]).
    pub minutes: u32,
    /// The nonce; `None` draws a random one.
    pub nonce: Option<[u8; NONCE_BYTES]>,
    /// Who signs.
    pub role: PresentRole,
}

/// Masks a person's name for display: the first character, `*` for the rest.
fn mask_name(name: &str) -> String {
    name.chars()
        .enumerate()
        .map(|(i, c)| if i == 0 { c } else { '*' })
        .collect()
}

fn field_text(v: &crate::model::FieldValue) -> String {
    match v {
        crate::model::FieldValue::Text(s) => s.clone(),
        crate::model::FieldValue::Integer(i) => i.to_string(),
        crate::model::FieldValue::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
        #[allow(unreachable_patterns)]
        _ => String::new(),
    }
}

/// The digest binding a presentation to its full license.
fn license_digest(doc: &SignedLicense) -> [u8; DIGEST_BYTES] {
    let full: [u8; 32] = sha2::Sha256::digest(doc.license_bytes()).into();
    let mut d = [0u8; DIGEST_BYTES];
    d.copy_from_slice(full.get(..DIGEST_BYTES).unwrap_or(&[0; DIGEST_BYTES]));
    d
}

impl Presentation {
    /// Makes a presentation of `doc` signed by `signer`. `types` gives the
    /// license type: personal fields may be shown only when the holder asks
    /// (they are, when named in `request.show`); a person's name is masked.
    ///
    /// # Errors
    /// [`PresentError::Unpresentable`] for a field the license lacks, too
    /// many fields, an expiry out of range, an issuer code that is a region;
    /// [`PresentError::Sign`]; [`PresentError::TooLarge`].
    pub fn create(
        doc: &SignedLicense,
        types: &LicenseTypes,
        request: &PresentRequest<'_>,
        signer: &dyn Signer,
    ) -> Result<Presentation, PresentError> {
        let l = doc.license();
        if !(1..=MAX_MINUTES).contains(&request.minutes) {
            return Err(PresentError::Unpresentable(format!(
                "expiry of {} minutes (1..={MAX_MINUTES})",
                request.minutes
            )));
        }
        if request.show.len() > MAX_SHOWN_FIELDS {
            return Err(PresentError::Unpresentable(format!(
                "{} fields shown (at most {MAX_SHOWN_FIELDS})",
                request.show.len()
            )));
        }
        let person = types
            .get(l.type_code())
            .is_some_and(|t| t.holder_kind() == HolderKind::Person)
            || l.holder().code().is_personal();
        let holder_name = if person {
            mask_name(l.holder().name())
        } else {
            l.holder().name().to_owned()
        };
        let mut shown = Vec::with_capacity(request.show.len());
        for key in request.show {
            let v = l.field(key).ok_or_else(|| {
                PresentError::Unpresentable(format!("the license has no field {key}"))
            })?;
            shown.push(((*key).to_owned(), field_text(v)));
        }
        let nonce = match request.nonce {
            Some(n) => n,
            None => {
                let mut n = [0u8; NONCE_BYTES];
                getrandom::fill(&mut n).map_err(|e| PresentError::Sign(e.to_string()))?;
                n
            }
        };
        let mut p = Presentation {
            role: request.role,
            id: l.id().clone(),
            issuer: *l.issuer().code(),
            holder_name,
            shown,
            valid_from: l.valid_from(),
            valid_to: l.valid_to(),
            made_at: request.made_at,
            minutes: request.minutes,
            nonce,
            digest: license_digest(doc),
            signature: Signature::from_bytes([0; 64]),
            bytes: Vec::new(),
        };
        let mut body = p.encode_body()?;
        let mut message = Vec::with_capacity(CONTEXT.len() + body.len());
        message.extend_from_slice(CONTEXT);
        message.extend_from_slice(&body);
        p.signature = signer
            .sign(&message)
            .map_err(|e| PresentError::Sign(e.to_string()))?;
        body.extend_from_slice(p.signature.as_bytes());
        if body.len() > MAX_PAYLOAD_BYTES {
            return Err(PresentError::TooLarge {
                len: body.len(),
                max: MAX_PAYLOAD_BYTES,
            });
        }
        p.bytes = body;
        Ok(p)
    }

    fn encode_body(&self) -> Result<Vec<u8>, PresentError> {
        let mut w = Vec::with_capacity(200);
        let same_issuer = matches!(self.id.issuer(), IssuerCode::Uscc(u) if *u == self.issuer);
        let mut flags = 0u8;
        if self.role == PresentRole::Seal {
            flags |= 1;
        }
        if same_issuer {
            flags |= 2;
        }
        if self.valid_to.is_some() {
            flags |= 4;
        }
        w.push(VERSION);
        w.push(flags);
        pack(&mut w, ALNUM31, 5, self.id.type_code().as_str())?;
        pack(&mut w, ALNUM31, 5, self.issuer.as_str())?;
        if !same_issuer {
            match self.id.issuer() {
                IssuerCode::Region(r) => pack(&mut w, ALNUM36, 6, r.as_str())?,
                IssuerCode::Uscc(u) => pack(&mut w, ALNUM31, 5, u.as_str())?,
            }
        }
        pack(&mut w, ALNUM36, 6, self.id.serial())?;
        varint(&mut w, u64::from(self.id.version()));
        text(&mut w, &self.holder_name)?;
        varint(&mut w, self.shown.len() as u64);
        for (k, v) in &self.shown {
            text(&mut w, k)?;
            text(&mut w, v)?;
        }
        varint(&mut w, days(self.valid_from)?);
        if let Some(to) = self.valid_to {
            varint(&mut w, days(to)?);
        }
        varint(
            &mut w,
            u64::try_from(self.made_at.unix())
                .map_err(|_| PresentError::Unpresentable("a time before 1970".into()))?,
        );
        varint(&mut w, u64::from(self.minutes));
        w.extend_from_slice(&self.nonce);
        w.extend_from_slice(&self.digest);
        Ok(w)
    }

    /// Decodes a binary presentation (not verified: see
    /// [`PresentationVerifier`]).
    ///
    /// # Errors
    /// [`PresentError::TooLarge`], [`PresentError::Truncated`],
    /// [`PresentError::Malformed`], [`PresentError::Version`].
    pub fn decode(bytes: &[u8]) -> Result<Presentation, PresentError> {
        if bytes.len() > MAX_PAYLOAD_BYTES {
            return Err(PresentError::TooLarge {
                len: bytes.len(),
                max: MAX_PAYLOAD_BYTES,
            });
        }
        let mut r = Reader { b: bytes, at: 0 };
        let version = r.byte("version")?;
        if version != VERSION {
            return Err(PresentError::Version(version));
        }
        let flags = r.byte("flags")?;
        if flags & !7 != 0 {
            return Err(PresentError::Malformed { what: "flags" });
        }
        fn bad<E>(what: &'static str) -> impl Fn(E) -> PresentError {
            move |_| PresentError::Malformed { what }
        }
        let type_code: LicenseTypeCode = r
            .unpack(ALNUM31, 5, "type code")?
            .parse()
            .map_err(bad("type code"))?;
        let issuer: Uscc = r
            .unpack(ALNUM31, 5, "issuer")?
            .parse()
            .map_err(bad("issuer"))?;
        let id_issuer = if flags & 2 != 0 {
            IssuerCode::Uscc(issuer)
        } else {
            // A region code's digits are in the 6-bit alphabet, a USCC's in
            // the 5-bit one: the length tells them apart.
            let save = r.at;
            match r.unpack(ALNUM36, 6, "license issuer") {
                Ok(s) if s.len() == 6 => {
                    IssuerCode::Region(s.parse::<RegionCode>().map_err(bad("license issuer"))?)
                }
                _ => {
                    r.at = save;
                    let s = r.unpack(ALNUM31, 5, "license issuer")?;
                    IssuerCode::Uscc(s.parse().map_err(bad("license issuer"))?)
                }
            }
        };
        let serial = r.unpack(ALNUM36, 6, "serial")?;
        let version = u16::try_from(r.varint("version")?).map_err(bad("version"))?;
        let id = LicenseId::from_parts(type_code, id_issuer, &serial, version)
            .map_err(bad("license id"))?;
        let holder_name = r.text("holder name")?;
        let n = r.varint("field count")?;
        if n > MAX_SHOWN_FIELDS as u64 {
            return Err(PresentError::Malformed {
                what: "field count",
            });
        }
        let mut shown = Vec::new();
        for _ in 0..n {
            shown.push((r.text("field key")?, r.text("field value")?));
        }
        let valid_from = from_days(r.varint("valid from")?)?;
        let valid_to = if flags & 4 != 0 {
            Some(from_days(r.varint("valid to")?)?)
        } else {
            None
        };
        let made = r.varint("made at")?;
        let made_at = i64::try_from(made)
            .ok()
            .and_then(|s| Timestamp::from_unix(s).ok())
            .ok_or(PresentError::Malformed { what: "made at" })?;
        let minutes = u32::try_from(r.varint("expiry")?).map_err(bad("expiry"))?;
        if !(1..=MAX_MINUTES).contains(&minutes) {
            return Err(PresentError::Malformed { what: "expiry" });
        }
        let nonce: [u8; NONCE_BYTES] = r.array("nonce")?;
        let digest: [u8; DIGEST_BYTES] = r.array("digest")?;
        let sig: [u8; 64] = r.array("signature")?;
        if r.at != bytes.len() {
            return Err(PresentError::Malformed {
                what: "trailing bytes",
            });
        }
        let p = Presentation {
            role: if flags & 1 != 0 {
                PresentRole::Seal
            } else {
                PresentRole::IssuingSystem
            },
            id,
            issuer,
            holder_name,
            shown,
            valid_from,
            valid_to,
            made_at,
            minutes,
            nonce,
            digest,
            signature: Signature::from_bytes(sig),
            bytes: bytes.to_vec(),
        };
        // Exactly one encoding per presentation: what was read re-encodes
        // to the same bytes (no padding bits, no long varints).
        let body = p.encode_body()?;
        if bytes.get(..bytes.len().saturating_sub(64)) != Some(body.as_slice()) {
            return Err(PresentError::Malformed {
                what: "non-canonical encoding",
            });
        }
        Ok(p)
    }

    /// Decodes a scanned string: the prefix, Base45, then [`decode`](Self::decode).
    ///
    /// # Errors
    /// [`PresentError::TooLarge`] over [`MAX_STRING_CHARS`],
    /// [`PresentError::Prefix`], [`PresentError::Base45`], and those of
    /// [`decode`](Self::decode).
    pub fn from_qr_string(s: &str) -> Result<Presentation, PresentError> {
        if s.len() > MAX_STRING_CHARS {
            return Err(PresentError::TooLarge {
                len: s.len(),
                max: MAX_STRING_CHARS,
            });
        }
        let body = s.strip_prefix(PREFIX).ok_or(PresentError::Prefix)?;
        let bytes = base45::decode(body.as_bytes()).map_err(|e| match e {
            base45::Base45Error::Char(at) | base45::Base45Error::Overflow(at) => {
                PresentError::Base45 { at }
            }
            base45::Base45Error::Length => PresentError::Base45 { at: body.len() },
        })?;
        Presentation::decode(&bytes)
    }

    /// The string for the QR code: [`PREFIX`] and the Base45 of the bytes.
    pub fn to_qr_string(&self) -> String {
        format!("{PREFIX}{}", base45::encode(&self.bytes))
    }

    /// The binary form.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The QR code of [`to_qr_string`](Self::to_qr_string) at error
    /// correction level Q.
    ///
    /// # Errors
    /// [`QrRenderError`] if the string does not fit a QR code.
    pub fn qr(&self) -> Result<QrImage, QrRenderError> {
        QrImage::new(&self.to_qr_string())
    }

    /// Whether this presentation belongs to `doc` (its digest is that of
    /// the document's license, and the identifier is the same).
    pub fn matches(&self, doc: &SignedLicense) -> bool {
        doc.license().id() == &self.id && license_digest(doc) == self.digest
    }

    /// The license identifier.
    pub fn license_id(&self) -> &LicenseId {
        &self.id
    }
    /// The issuer (颁证单位) whose key signed.
    pub fn issuer(&self) -> &Uscc {
        &self.issuer
    }
    /// Who signed.
    pub fn role(&self) -> PresentRole {
        self.role
    }
    /// The holder's name, masked for a person.
    pub fn holder_name(&self) -> &str {
        &self.holder_name
    }
    /// The fields shown, as (key, value).
    pub fn shown(&self) -> &[(String, String)] {
        &self.shown
    }
    /// The license's validity window.
    pub fn validity(&self) -> (Date, Option<Date>) {
        (self.valid_from, self.valid_to)
    }
    /// When the presentation was made.
    pub fn made_at(&self) -> Timestamp {
        self.made_at
    }
    /// When it expires.
    pub fn expires_at(&self) -> Timestamp {
        self.made_at.saturating_add(i64::from(self.minutes) * 60)
    }
    /// The nonce.
    pub fn nonce(&self) -> &[u8; NONCE_BYTES] {
        &self.nonce
    }

    fn signed_message(&self) -> Vec<u8> {
        let body = self
            .bytes
            .get(..self.bytes.len().saturating_sub(64))
            .unwrap_or_default();
        let mut m = Vec::with_capacity(CONTEXT.len() + body.len());
        m.extend_from_slice(CONTEXT);
        m.extend_from_slice(body);
        m
    }
}

fn days(d: Date) -> Result<u64, PresentError> {
    u64::try_from(d.days_since_epoch())
        .map_err(|_| PresentError::Unpresentable("a date before 1970".into()))
}

fn from_days(n: u64) -> Result<Date, PresentError> {
    let bad = PresentError::Malformed { what: "date" };
    let n = i64::try_from(n).map_err(|_| bad.clone())?;
    Date::new(1970, 1, 1)
        .ok()
        .and_then(|d| d.add_days(n))
        .ok_or(bad)
}

fn varint(w: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            w.push(b);
            return;
        }
        w.push(b | 0x80);
    }
}

/// Text: a varint of (byte length × 2 + encoding), encoding 0 = UTF-8,
/// 1 = UTF-16BE (the shorter; Chinese text is 2 bytes a character in it).
fn text(w: &mut Vec<u8>, s: &str) -> Result<(), PresentError> {
    let utf16: Vec<u16> = s.encode_utf16().collect();
    if utf16.len() * 2 < s.len() {
        varint(w, (utf16.len() as u64 * 2) << 1 | 1);
        for u in utf16 {
            w.extend_from_slice(&u.to_be_bytes());
        }
    } else {
        varint(w, (s.len() as u64) << 1);
        w.extend_from_slice(s.as_bytes());
    }
    Ok(())
}

/// A string of `alphabet` characters, `bits` each: a length byte, then the
/// bits, most significant first, zero-padded to a byte.
fn pack(w: &mut Vec<u8>, alphabet: &[u8], bits: u32, s: &str) -> Result<(), PresentError> {
    let len = u8::try_from(s.len())
        .map_err(|_| PresentError::Unpresentable(format!("identifier {s} too long")))?;
    w.push(len);
    let mut acc: u32 = 0;
    let mut n: u32 = 0;
    for c in s.bytes() {
        let v = alphabet
            .iter()
            .position(|&a| a == c)
            .ok_or_else(|| PresentError::Unpresentable(format!("character {c:#x} in {s}")))?;
        acc = (acc << bits) | v as u32;
        n += bits;
        while n >= 8 {
            n -= 8;
            w.push((acc >> n) as u8);
            acc &= (1 << n) - 1;
        }
    }
    if n > 0 {
        w.push((acc << (8 - n)) as u8);
    }
    Ok(())
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&[u8], PresentError> {
        let end = self
            .at
            .checked_add(n)
            .ok_or(PresentError::Truncated { what })?;
        let s = self
            .b
            .get(self.at..end)
            .ok_or(PresentError::Truncated { what })?;
        self.at = end;
        Ok(s)
    }

    fn byte(&mut self, what: &'static str) -> Result<u8, PresentError> {
        Ok(self.take(1, what)?.first().copied().unwrap_or(0))
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], PresentError> {
        let s = self.take(N, what)?;
        s.try_into().map_err(|_| PresentError::Truncated { what })
    }

    fn varint(&mut self, what: &'static str) -> Result<u64, PresentError> {
        let mut v: u64 = 0;
        for i in 0..10 {
            let b = self.byte(what)?;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(PresentError::Malformed { what })
    }

    fn text(&mut self, what: &'static str) -> Result<String, PresentError> {
        let tag = self.varint(what)?;
        let len = usize::try_from(tag >> 1).map_err(|_| PresentError::Malformed { what })?;
        if len > MAX_PAYLOAD_BYTES {
            return Err(PresentError::Truncated { what });
        }
        let bytes = self.take(len, what)?;
        let s = if tag & 1 == 0 {
            String::from_utf8(bytes.to_vec()).map_err(|_| PresentError::Malformed { what })?
        } else {
            if len % 2 != 0 {
                return Err(PresentError::Malformed { what });
            }
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| {
                    u16::from_be_bytes([
                        c.first().copied().unwrap_or(0),
                        c.get(1).copied().unwrap_or(0),
                    ])
                })
                .collect();
            String::from_utf16(&units).map_err(|_| PresentError::Malformed { what })?
        };
        if s.chars().any(char::is_control) {
            return Err(PresentError::Malformed { what });
        }
        Ok(s)
    }

    fn unpack(
        &mut self,
        alphabet: &[u8],
        bits: u32,
        what: &'static str,
    ) -> Result<String, PresentError> {
        let len = usize::from(self.byte(what)?);
        let nbytes = (len * bits as usize).div_ceil(8);
        let data = self.take(nbytes, what)?;
        let mut out = String::with_capacity(len);
        let mut acc: u32 = 0;
        let mut n: u32 = 0;
        let mut it = data.iter();
        for _ in 0..len {
            while n < bits {
                acc = (acc << 8) | u32::from(*it.next().ok_or(PresentError::Truncated { what })?);
                n += 8;
            }
            n -= bits;
            let v = (acc >> n) as usize;
            acc &= (1 << n) - 1;
            let c = alphabet.get(v).ok_or(PresentError::Malformed { what })?;
            out.push(char::from(*c));
        }
        Ok(out)
    }
}

/// A step of presentation verification, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum PresentStep {
    /// Prefix, Base45, size limits, structure (解码).
    Decode,
    /// The issuer has a recognised key (签发方识别).
    Issuer,
    /// The signature verifies under one of the issuer's keys (签名).
    Signature,
    /// Made before, and not expired at, the verification time (时效).
    Expiry,
    /// The nonce was not seen before (防重放).
    Replay,
    /// The license's validity window covers the verification time (证照有效期).
    LicenseValidity,
    /// The license is in force per the status source (证照状态).
    LicenseStatus,
}

impl PresentStep {
    /// Every step in order.
    pub const ALL: &'static [PresentStep] = &[
        PresentStep::Decode,
        PresentStep::Issuer,
        PresentStep::Signature,
        PresentStep::Expiry,
        PresentStep::Replay,
        PresentStep::LicenseValidity,
        PresentStep::LicenseStatus,
    ];

    /// snake_case name.
    pub fn name(&self) -> &'static str {
        match self {
            PresentStep::Decode => "decode",
            PresentStep::Issuer => "issuer",
            PresentStep::Signature => "signature",
            PresentStep::Expiry => "expiry",
            PresentStep::Replay => "replay",
            PresentStep::LicenseValidity => "license_validity",
            PresentStep::LicenseStatus => "license_status",
        }
    }
}

impl core::fmt::Display for PresentStep {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// What presentation verification did: each step passed, failed (then
/// nothing after it ran) or did not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentReport {
    reached: usize,
    failure: Option<PresentError>,
    skipped_replay: bool,
    recognised_by: Option<Box<crate::trustlist::RecognisedBy>>,
}

impl PresentReport {
    /// The trust list and entry whose key the presentation verified under,
    /// when the key came from trust lists
    /// ([`PresentationVerifier::with_recognition`]).
    pub fn recognised_by(&self) -> Option<&crate::trustlist::RecognisedBy> {
        self.recognised_by.as_deref()
    }

    /// Each step with its outcome: `Ok(true)` passed, `Ok(false)` not run
    /// (or, for `replay`, no seen-nonce set given), `Err` failed.
    pub fn steps(&self) -> Vec<(PresentStep, Result<bool, &PresentError>)> {
        PresentStep::ALL
            .iter()
            .enumerate()
            .map(|(i, &s)| {
                let outcome = if i < self.reached {
                    Ok(!(s == PresentStep::Replay && self.skipped_replay))
                } else if i == self.reached {
                    match &self.failure {
                        Some(e) => Err(e),
                        None => Ok(false),
                    }
                } else {
                    Ok(false)
                };
                (s, outcome)
            })
            .collect()
    }

    /// The failing step and why.
    pub fn failure(&self) -> Option<(PresentStep, &PresentError)> {
        let e = self.failure.as_ref()?;
        PresentStep::ALL.get(self.reached).map(|&s| (s, e))
    }

    /// Whether every step passed.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

impl core::fmt::Display for PresentReport {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for (s, o) in self.steps() {
            match o {
                Ok(true) => writeln!(f, "  [pass] {s}")?,
                Ok(false) if s == PresentStep::Replay && self.reached > 4 => {
                    writeln!(f, "  [ na ] {s} (no seen-nonce set)")?
                }
                Ok(false) => writeln!(f, "  [ -- ] {s} (not run)")?,
                Err(e) => writeln!(f, "  [FAIL] {s}: {e}")?,
            }
        }
        Ok(())
    }
}

/// Nonces of presentations already accepted, until they expire.
#[derive(Debug, Default)]
pub struct SeenNonces {
    seen: Mutex<HashMap<[u8; NONCE_BYTES], Timestamp>>,
}

impl SeenNonces {
    /// An empty set.
    pub fn new() -> SeenNonces {
        SeenNonces::default()
    }

    /// Records `nonce` (valid until `expires`); false if it was seen and
    /// has not expired at `at`. Expired nonces are forgotten.
    pub fn insert(&self, nonce: [u8; NONCE_BYTES], expires: Timestamp, at: Timestamp) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() > 4096 {
            seen.retain(|_, e| *e > at);
        }
        match seen.get(&nonce) {
            Some(e) if *e > at => false,
            _ => {
                seen.insert(nonce, expires);
                true
            }
        }
    }

    /// Nonces held.
    pub fn len(&self) -> usize {
        self.seen.lock().map(|s| s.len()).unwrap_or(0)
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Verifies scanned presentations.
pub struct PresentationVerifier {
    keys: HashMap<Uscc, Vec<PublicKey>>,
    recognition: Option<Arc<crate::trustlist::Recognition>>,
    status: Arc<dyn StatusSource>,
    unknown: UnknownStatus,
    seen: Option<Arc<SeenNonces>>,
}

impl core::fmt::Debug for PresentationVerifier {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PresentationVerifier")
            .field("issuers", &self.keys.len())
            .finish_non_exhaustive()
    }
}

/// A verified presentation.
#[derive(Debug, Clone)]
pub struct VerifiedPresentation {
    /// The presentation.
    pub presentation: Presentation,
    /// The report (every step passed).
    pub report: PresentReport,
}

/// A refused presentation: the report names the failing step.
#[derive(Debug, Clone, thiserror::Error)]
#[error("presentation refused at {}: {}", .report.failure().map(|(s, _)| s.name()).unwrap_or("?"), .report.failure().map(|(_, e)| e.to_string()).unwrap_or_default())]
pub struct PresentRejected {
    /// The presentation, when it decoded.
    pub presentation: Option<Box<Presentation>>,
    /// The report.
    pub report: PresentReport,
}

impl PresentRejected {
    /// The failing step.
    pub fn step(&self) -> PresentStep {
        self.report
            .failure()
            .map(|(s, _)| s)
            .unwrap_or(PresentStep::Decode)
    }
    /// Why.
    pub fn error(&self) -> Option<&PresentError> {
        self.report.failure.as_ref()
    }
}

impl PresentationVerifier {
    /// A verifier that recognises no issuer yet and asks `status` for
    /// license status (a source that keeps none denies every presentation
    /// unless [`with_unknown_status`](Self::with_unknown_status) names the
    /// danger option).
    pub fn new(status: Arc<dyn StatusSource>) -> PresentationVerifier {
        PresentationVerifier {
            keys: HashMap::new(),
            recognition: None,
            status,
            unknown: UnknownStatus::Deny,
            seen: None,
        }
    }

    /// A verifier without any license status: every presentation is
    /// refused at `license_status` unless the unknown status is accepted.
    pub fn without_status() -> PresentationVerifier {
        PresentationVerifier::new(Arc::new(InMemoryStatus::new()))
    }

    /// Recognises `key` as a presentation key of `issuer`.
    pub fn with_issuer_key(mut self, issuer: Uscc, key: PublicKey) -> PresentationVerifier {
        self.keys.entry(issuer).or_default().push(key);
        self
    }

    /// Recognises the key of `cert` for its organisation, once its chain to
    /// `anchors` verifies at `at` (with `status` for revocation).
    ///
    /// # Errors
    /// The chain error, or a certificate without an organisation or an
    /// Ed25519 key.
    pub fn with_certificate(
        self,
        cert: &Certificate,
        intermediates: &[Certificate],
        anchors: &TrustAnchors,
        at: Timestamp,
        status: &dyn StatusSource,
    ) -> Result<PresentationVerifier, crate::cert::ChainError> {
        verify_chain(
            cert,
            intermediates,
            anchors,
            at,
            CertUsage::Signer,
            &ChainPolicy::default(),
            status,
            UnknownStatus::Deny,
        )?;
        let (Some(org), Ok(key)) = (cert.organization(), cert.ed25519_key()) else {
            return Err(crate::cert::ChainError::UnknownIssuer {
                subject: cert.subject().to_owned(),
            });
        };
        Ok(self.with_issuer_key(*org, *key))
    }

    /// Recognises issuers from verified, merged trust lists
    /// ([`Recognition`](crate::trustlist::Recognition)): a presentation
    /// verifies under a raw key that an issuer entry lists for the license's
    /// issuer, for the license's type, with the entry valid at the
    /// verification time; the report names that list and entry. (A
    /// presentation carries its license's identifier — issuer and type — but
    /// not the license's region, so the region binding is checked where the
    /// full document is: [`Presentation::matches`] and the full verifier.)
    /// Keys given by [`with_issuer_key`](Self::with_issuer_key) or
    /// [`with_certificate`](Self::with_certificate) are tried first.
    pub fn with_recognition(
        mut self,
        recognition: Arc<crate::trustlist::Recognition>,
    ) -> PresentationVerifier {
        self.recognition = Some(recognition);
        self
    }

    /// What to do when the status source does not know a license.
    pub fn with_unknown_status(mut self, policy: UnknownStatus) -> PresentationVerifier {
        self.unknown = policy;
        self
    }

    /// Refuses a presentation whose nonce is in `seen` (and records each
    /// accepted one there).
    pub fn with_seen_nonces(mut self, seen: Arc<SeenNonces>) -> PresentationVerifier {
        self.seen = Some(seen);
        self
    }

    /// Verifies a scanned string at `at`.
    ///
    /// # Errors
    /// [`PresentRejected`] with the report.
    pub fn verify_str(
        &self,
        s: &str,
        at: Timestamp,
    ) -> Result<VerifiedPresentation, PresentRejected> {
        match Presentation::from_qr_string(s) {
            Ok(p) => self.verify(p, at),
            Err(e) => Err(PresentRejected {
                presentation: None,
                report: PresentReport {
                    reached: 0,
                    failure: Some(e),
                    skipped_replay: false,
                    recognised_by: None,
                },
            }),
        }
    }

    /// Verifies a decoded presentation at `at`.
    ///
    /// # Errors
    /// [`PresentRejected`] with the report.
    pub fn verify(
        &self,
        p: Presentation,
        at: Timestamp,
    ) -> Result<VerifiedPresentation, PresentRejected> {
        let skipped_replay = self.seen.is_none();
        let mut reached = 1; // decoded
        let mut recognised_by = None;
        let result = self.check(&p, at, &mut reached, &mut recognised_by);
        let report = PresentReport {
            reached,
            failure: result.err(),
            skipped_replay,
            recognised_by,
        };
        if report.passed() {
            Ok(VerifiedPresentation {
                presentation: p,
                report,
            })
        } else {
            Err(PresentRejected {
                presentation: Some(Box::new(p)),
                report,
            })
        }
    }

    fn check(
        &self,
        p: &Presentation,
        at: Timestamp,
        reached: &mut usize,
        recognised_by: &mut Option<Box<crate::trustlist::RecognisedBy>>,
    ) -> Result<(), PresentError> {
        let keys: &[PublicKey] = self.keys.get(&p.issuer).map_or(&[], Vec::as_slice);
        let listed = match &self.recognition {
            None => Vec::new(),
            Some(r) => match r.presentation_keys(&p.issuer, p.id.type_code(), at) {
                Ok(listed) => listed,
                // Named by hand: the lists need not know the issuer.
                Err(_) if !keys.is_empty() => Vec::new(),
                Err(crate::trustlist::NotRecognisedReason::NotListed) => {
                    return Err(PresentError::UnknownIssuer { issuer: p.issuer });
                }
                Err(reason) => {
                    return Err(PresentError::NotRecognised {
                        issuer: p.issuer,
                        reason: Box::new(reason),
                    });
                }
            },
        };
        if keys.is_empty() && listed.is_empty() {
            return Err(PresentError::UnknownIssuer { issuer: p.issuer });
        }
        *reached = 2;
        let message = p.signed_message();
        let by_hand = keys
            .iter()
            .any(|k| k.verify(&message, &p.signature).is_ok());
        if !by_hand {
            match listed
                .iter()
                .find(|(k, _)| k.verify(&message, &p.signature).is_ok())
            {
                Some((_, by)) => *recognised_by = Some(Box::new(by.clone())),
                None => return Err(PresentError::BadSignature { issuer: p.issuer }),
            }
        }
        *reached = 3;
        if p.made_at > at {
            return Err(PresentError::NotYetMade {
                made: p.made_at,
                at,
            });
        }
        if at >= p.expires_at() {
            return Err(PresentError::Expired {
                expired: p.expires_at(),
                at,
            });
        }
        *reached = 4;
        if let Some(seen) = &self.seen
            && !seen.insert(p.nonce, p.expires_at(), at)
        {
            return Err(PresentError::Replayed);
        }
        *reached = 5;
        let in_window = at >= p.valid_from.start() && p.valid_to.is_none_or(|to| at < to.end());
        if !in_window {
            return Err(PresentError::LicenseNotValid { at });
        }
        *reached = 6;
        let standing = if self.status.tracks_licenses() {
            self.status.license_status(&p.id, at)
        } else {
            LicenseStanding::Unknown
        };
        match standing {
            LicenseStanding::InForce => {}
            LicenseStanding::NotInForce { status, since } => {
                return Err(PresentError::NotInForce {
                    id: p.id.clone(),
                    status,
                    since,
                });
            }
            _ => {
                if !matches!(self.unknown, UnknownStatus::DangerAccept(_)) {
                    return Err(PresentError::StatusUnknown { id: p.id.clone() });
                }
            }
        }
        *reached = 7;
        Ok(())
    }
}
