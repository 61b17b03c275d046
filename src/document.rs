//! The signed license document: one distributable, versioned JSON document in
//! canonical form (docs/FORMAT.md §3) carrying a license and its signatures.
//!
//! ```text
//! {"format":"elicense/1","license":{…},"signatures":[{"sig":"…","signer":{"key":"…"},"tbs":{…}}]}
//! ```
//!
//! The document's bytes are kept as received: the license's canonical bytes
//! (which the data hash covers) and each signature's to-be-signed bytes are
//! slices of them, so nothing is re-serialised to be verified.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use sha2::Digest;

use crate::canonical::{Parser, Writer};
use crate::date::Timestamp;
use crate::error::DecodeError;
use crate::model::{License, hex, unhex32};
use crate::sign::{PublicKey, SignError, Signature, Signer};

/// The document format this library reads and writes.
pub const FORMAT: &str = "elicense/1";

/// Domain separation prefix of every signature message:
/// the message is `SIGNATURE_CONTEXT ‖ canonical to-be-signed bytes`.
pub const SIGNATURE_CONTEXT: &[u8] = b"elicense/1/signature\0";

/// Maximum JSON nesting of our documents.
pub(crate) const MAX_DEPTH: usize = 16;

/// Work and size limits for decoding documents from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeLimits {
    /// Maximum document size in bytes (checked before anything is parsed).
    pub max_document_bytes: usize,
    /// Maximum number of signatures on one document.
    pub max_signatures: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_document_bytes: 256 * 1024,
            max_signatures: 8,
        }
    }
}

impl DecodeLimits {
    /// Limits with another maximum document size.
    pub fn with_max_document_bytes(mut self, max: usize) -> Self {
        self.max_document_bytes = max;
        self
    }
}

/// Base64 (RFC 4648 §4, standard alphabet) with canonical padding only.
pub(crate) const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

pub(crate) fn b64_fixed<const N: usize>(
    field: &'static str,
    s: &str,
) -> Result<[u8; N], DecodeError> {
    let bytes = BASE64.decode(s).map_err(|_| DecodeError::Encoding {
        field,
        encoding: "canonical base64",
    })?;
    let found = bytes.len();
    <[u8; N]>::try_from(bytes).map_err(|_| DecodeError::Length {
        field,
        expected: N,
        found,
    })
}

/// The signature algorithm named in a to-be-signed block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// Ed25519 (RFC 8032) under this crate's signature rule.
    Ed25519,
}

impl Algorithm {
    /// Wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Algorithm::Ed25519 => "Ed25519",
        }
    }
}

/// Who made a signature.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignerRef {
    /// A raw Ed25519 public key (32 bytes as carried; not yet validated).
    Key([u8; 32]),
}

impl SignerRef {
    /// SHA-256 of the signer material (the raw key bytes): what the
    /// to-be-signed block's `signer` member must equal.
    pub fn digest(&self) -> [u8; 32] {
        match self {
            SignerRef::Key(k) => sha2::Sha256::digest(k).into(),
        }
    }

    /// The raw public key bytes.
    pub fn key_bytes(&self) -> &[u8; 32] {
        match self {
            SignerRef::Key(k) => k,
        }
    }
}

/// The to-be-signed block of a signature (docs/FORMAT.md §4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ToBeSigned {
    algorithm: Algorithm,
    data_hash: [u8; 32],
    signed_at: Timestamp,
    signer: [u8; 32],
}

/// Version of the to-be-signed block.
pub const TBS_VERSION: u64 = 1;

impl ToBeSigned {
    /// Signature algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
    /// SHA-256 of the license's canonical bytes.
    pub fn data_hash(&self) -> &[u8; 32] {
        &self.data_hash
    }
    /// When it was signed (签章时间).
    pub fn signed_at(&self) -> Timestamp {
        self.signed_at
    }
    /// SHA-256 of the signer material.
    pub fn signer_digest(&self) -> &[u8; 32] {
        &self.signer
    }

    fn encode(&self, w: &mut Writer<'_>) {
        w.begin_object();
        w.field_str("alg", self.algorithm.as_str());
        w.key("dataHash");
        w.str(&hex(&self.data_hash));
        w.key("signedAt");
        w.str(&self.signed_at.to_string());
        w.key("signer");
        w.str(&hex(&self.signer));
        w.field_u64("v", TBS_VERSION);
        w.end_object();
    }

    fn decode(p: &mut Parser<'_>) -> Result<ToBeSigned, DecodeError> {
        let mut o = p.object()?;
        let algorithm = match o.field("alg")?.str()?.as_ref() {
            "Ed25519" => Algorithm::Ed25519,
            _ => {
                return Err(DecodeError::Invalid {
                    field: "signatures.tbs.alg",
                    reason: "unsupported signature algorithm (only \"Ed25519\")",
                });
            }
        };
        let data_hash = unhex32("signatures.tbs.dataHash", &o.field("dataHash")?.str()?)?;
        let signed_at =
            Timestamp::parse(&o.field("signedAt")?.str()?).map_err(|source| DecodeError::Date {
                field: "signatures.tbs.signedAt",
                source,
            })?;
        let signer = unhex32("signatures.tbs.signer", &o.field("signer")?.str()?)?;
        if o.field("v")?.u64()? != TBS_VERSION {
            return Err(DecodeError::Invalid {
                field: "signatures.tbs.v",
                reason: "unsupported to-be-signed version (only 1)",
            });
        }
        o.end()?;
        Ok(ToBeSigned {
            algorithm,
            data_hash,
            signed_at,
            signer,
        })
    }
}

/// One signature on a license document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseSignature {
    signer: SignerRef,
    signature: Signature,
    tbs: ToBeSigned,
    tbs_bytes: Box<[u8]>,
}

impl LicenseSignature {
    /// Who signed.
    pub fn signer(&self) -> &SignerRef {
        &self.signer
    }
    /// The Ed25519 signature value.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }
    /// The to-be-signed block.
    pub fn tbs(&self) -> &ToBeSigned {
        &self.tbs
    }
    /// The canonical bytes of the to-be-signed block as carried in the document.
    pub fn tbs_bytes(&self) -> &[u8] {
        &self.tbs_bytes
    }
    /// The exact message that was signed: [`SIGNATURE_CONTEXT`] ‖ [`Self::tbs_bytes`].
    pub fn message(&self) -> Vec<u8> {
        [SIGNATURE_CONTEXT, &self.tbs_bytes].concat()
    }
}

/// A license with its signatures, as one canonical JSON document.
///
/// Made by signing ([`SignedLicense::sign`]) or by decoding bytes
/// ([`SignedLicense::decode`]); either way the bytes are canonical and are what
/// is stored and shipped. Decoding checks form, not trust: use
/// [`crate::Verifier`] to decide whether to rely on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedLicense {
    bytes: Vec<u8>,
    license: License,
    license_span: (usize, usize),
    signatures: Vec<LicenseSignature>,
}

impl SignedLicense {
    /// Decodes a document with the default [`DecodeLimits`]. Anything but our
    /// exact canonical form, unknown members, duplicate keys, oversized input
    /// and invalid values are rejected.
    pub fn decode(bytes: &[u8]) -> Result<SignedLicense, DecodeError> {
        SignedLicense::decode_with(bytes, &DecodeLimits::default())
    }

    /// Decodes a document with the given limits.
    pub fn decode_with(bytes: &[u8], limits: &DecodeLimits) -> Result<SignedLicense, DecodeError> {
        let mut p = Parser::new(bytes, limits.max_document_bytes, MAX_DEPTH)?;
        let mut o = p.object()?;
        let format = o.field("format")?.str()?;
        if format != FORMAT {
            return Err(DecodeError::Format {
                found: format.chars().take(32).collect(),
                expected: FORMAT,
            });
        }
        let lp = o.field("license")?;
        let start = lp.offset();
        let license = License::decode(lp)?;
        let license_span = (start, lp.offset());
        let mut signatures = Vec::new();
        {
            let mut arr = o
                .field("signatures")?
                .array()?
                .with_max_items(limits.max_signatures);
            while let Some(sp) = arr.next()? {
                signatures.push(decode_signature(sp, bytes)?);
            }
            arr.end()?;
        }
        o.end()?;
        p.finish()?;
        if signatures.is_empty() {
            return Err(DecodeError::Invalid {
                field: "signatures",
                reason: "a signed license carries at least one signature",
            });
        }
        Ok(SignedLicense {
            bytes: bytes.to_vec(),
            license,
            license_span,
            signatures,
        })
    }

    /// Signs a license: the first signature, normally the issuer's.
    ///
    /// The signature is checked under the signer's public key before the
    /// document is made, so a faulty signer cannot issue a broken license.
    pub fn sign(
        license: License,
        signer: &dyn Signer,
        signed_at: Timestamp,
    ) -> Result<SignedLicense, SignError> {
        let license_bytes = license.to_canonical_bytes();
        let entry = make_signature(&license_bytes, signer, signed_at)?;
        assemble(&license_bytes, &[entry])
    }

    /// Adds a signature (a co-issuer's) over the same license bytes.
    pub fn add_signature(
        &self,
        signer: &dyn Signer,
        signed_at: Timestamp,
    ) -> Result<SignedLicense, SignError> {
        let max = DecodeLimits::default().max_signatures;
        if self.signatures.len() >= max {
            return Err(SignError::TooManySignatures { max });
        }
        let entry = make_signature(self.license_bytes(), signer, signed_at)?;
        let mut entries: Vec<Entry<'_>> = self.signatures.iter().map(Entry::from).collect();
        entries.push(entry);
        assemble(self.license_bytes(), &entries)
    }

    /// The document's canonical bytes (what is stored and shipped).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The document's canonical bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The license.
    pub fn license(&self) -> &License {
        &self.license
    }

    /// The license's canonical bytes (a slice of the document).
    pub fn license_bytes(&self) -> &[u8] {
        self.bytes
            .get(self.license_span.0..self.license_span.1)
            .unwrap_or_default()
    }

    /// SHA-256 of the license's canonical bytes.
    pub fn data_hash(&self) -> [u8; 32] {
        sha2::Sha256::digest(self.license_bytes()).into()
    }

    /// The signatures, in document order.
    pub fn signatures(&self) -> &[LicenseSignature] {
        &self.signatures
    }
}

fn decode_signature(p: &mut Parser<'_>, doc: &[u8]) -> Result<LicenseSignature, DecodeError> {
    let mut o = p.object()?;
    let signature =
        Signature::from_bytes(b64_fixed::<64>("signatures.sig", &o.field("sig")?.str()?)?);
    let signer = {
        let mut s = o.field("signer")?.object()?;
        let key = b64_fixed::<32>("signatures.signer.key", &s.field("key")?.str()?)?;
        s.end()?;
        SignerRef::Key(key)
    };
    let tp = o.field("tbs")?;
    let start = tp.offset();
    let tbs = ToBeSigned::decode(tp)?;
    let tbs_bytes: Box<[u8]> = doc.get(start..tp.offset()).unwrap_or_default().into();
    o.end()?;
    Ok(LicenseSignature {
        signer,
        signature,
        tbs,
        tbs_bytes,
    })
}

/// A signature entry to be written.
struct Entry<'a> {
    signer: std::borrow::Cow<'a, SignerRef>,
    signature: Signature,
    tbs_bytes: std::borrow::Cow<'a, [u8]>,
}

impl<'a> From<&'a LicenseSignature> for Entry<'a> {
    fn from(s: &'a LicenseSignature) -> Self {
        Entry {
            signer: std::borrow::Cow::Borrowed(&s.signer),
            signature: s.signature,
            tbs_bytes: std::borrow::Cow::Borrowed(&s.tbs_bytes),
        }
    }
}

fn make_signature<'a>(
    license_bytes: &[u8],
    signer: &dyn Signer,
    signed_at: Timestamp,
) -> Result<Entry<'a>, SignError> {
    let public: PublicKey = signer.public_key();
    let signer_ref = SignerRef::Key(*public.as_bytes());
    let tbs = ToBeSigned {
        algorithm: Algorithm::Ed25519,
        data_hash: sha2::Sha256::digest(license_bytes).into(),
        signed_at,
        signer: signer_ref.digest(),
    };
    let mut tbs_bytes = Vec::with_capacity(256);
    tbs.encode(&mut Writer::new(&mut tbs_bytes));
    let message = [SIGNATURE_CONTEXT, &tbs_bytes].concat();
    let signature = signer.sign(&message)?;
    public
        .verify(&message, &signature)
        .map_err(|_| SignError::FaultySignature)?;
    Ok(Entry {
        signer: std::borrow::Cow::Owned(signer_ref),
        signature,
        tbs_bytes: std::borrow::Cow::Owned(tbs_bytes),
    })
}

fn assemble(license_bytes: &[u8], entries: &[Entry<'_>]) -> Result<SignedLicense, SignError> {
    let mut out = Vec::with_capacity(license_bytes.len() + 512 * entries.len() + 64);
    {
        let mut w = Writer::new(&mut out);
        w.begin_object();
        w.field_str("format", FORMAT);
        w.key("license");
        w.raw(license_bytes);
        w.key("signatures");
        w.begin_array();
        for e in entries {
            w.begin_object();
            w.key("sig");
            w.str(&BASE64.encode(e.signature.as_bytes()));
            w.key("signer");
            w.begin_object();
            match e.signer.as_ref() {
                SignerRef::Key(k) => {
                    w.key("key");
                    w.str(&BASE64.encode(k));
                }
            }
            w.end_object();
            w.key("tbs");
            w.raw(&e.tbs_bytes);
            w.end_object();
        }
        w.end_array();
        w.end_object();
    }
    SignedLicense::decode(&out).map_err(|e| SignError::Document {
        reason: e.to_string(),
    })
}
