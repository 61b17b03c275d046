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
use crate::cert::Certificate;
use crate::date::Timestamp;
use crate::error::DecodeError;
use crate::ids::{LicenseId, PartsMemo};
use crate::model::{License, StringPool, hex, unhex32};
use crate::seal::{Seal, SealError};
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
    s: &[u8],
) -> Result<[u8; N], DecodeError> {
    // Straight into the array; only input decoding to more than N bytes takes
    // the general path (which reports how many).
    let mut out = [0u8; N];
    match BASE64.decode_slice(s, &mut out) {
        Ok(found) if found == N => return Ok(out),
        Ok(found) => {
            return Err(DecodeError::Length {
                field,
                expected: N,
                found,
            });
        }
        Err(base64::DecodeSliceError::DecodeError(_)) => {
            return Err(DecodeError::Encoding {
                field,
                encoding: "canonical base64",
            });
        }
        Err(_) => {}
    }
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
    /// SM2 with SM3 (GB/T 32918.2, GB/T 35276) for the standard user id
    /// `1234567812345678`, by a certificate with an SM2 key. Read always;
    /// verified and made with feature `gm` (without it, a verifier refuses
    /// it with [`Failure::UnsupportedAlgorithm`](crate::Failure::UnsupportedAlgorithm)).
    Sm2Sm3,
}

impl Algorithm {
    /// Wire name: `"Ed25519"` or `"SM2-SM3"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Algorithm::Ed25519 => "Ed25519",
            Algorithm::Sm2Sm3 => "SM2-SM3",
        }
    }

    /// The algorithm of a wire name.
    pub(crate) fn from_wire(name: &[u8]) -> Option<Algorithm> {
        match name {
            b"Ed25519" => Some(Algorithm::Ed25519),
            b"SM2-SM3" => Some(Algorithm::Sm2Sm3),
            _ => None,
        }
    }
}

impl core::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who made a signature.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignerRef {
    /// A raw Ed25519 public key (32 bytes as carried; not yet validated),
    /// trusted only if the verifier is told to trust it.
    Key([u8; 32]),
    /// A signing certificate (签章人证书) with intermediates toward a trust anchor.
    Certificate {
        /// The signer's certificate.
        cert: Certificate,
        /// Intermediate certificates (may be empty).
        chain: Vec<Certificate>,
    },
}

impl SignerRef {
    /// SHA-256 of the signer material — the raw key bytes, or the
    /// certificate's DER: what the to-be-signed block's `signer` must equal.
    pub fn digest(&self) -> [u8; 32] {
        match self {
            SignerRef::Key(k) => sha2::Sha256::digest(k).into(),
            SignerRef::Certificate { cert, .. } => cert.fingerprint(),
        }
    }

    /// The certificate, for certificate signers.
    pub fn certificate(&self) -> Option<&Certificate> {
        match self {
            SignerRef::Key(_) => None,
            SignerRef::Certificate { cert, .. } => Some(cert),
        }
    }
}

/// The to-be-signed block of a signature (docs/FORMAT.md §4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ToBeSigned {
    algorithm: Algorithm,
    data_hash: [u8; 32],
    property: Option<String>,
    seal: Option<[u8; 32]>,
    signed_at: Timestamp,
    signer: [u8; 32],
}

/// Maximum characters of a signature's property info.
pub const PROPERTY_CHARS: usize = 256;

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
    /// SHA-256 of the seal's canonical bytes, for seal signatures.
    pub fn seal_digest(&self) -> Option<&[u8; 32]> {
        self.seal.as_ref()
    }
    /// Property info (签章属性信息), e.g. where the seal is placed.
    pub fn property(&self) -> Option<&str> {
        self.property.as_deref()
    }

    fn encode(&self, w: &mut Writer<'_>) {
        w.begin_object();
        w.field_str("alg", self.algorithm.as_str());
        w.key("dataHash");
        w.str(&hex(&self.data_hash));
        if let Some(p) = &self.property {
            w.field_str("property", p);
        }
        if let Some(d) = &self.seal {
            w.key("seal");
            w.str(&hex(d));
        }
        w.key("signedAt");
        w.str(&self.signed_at.to_string());
        w.key("signer");
        w.str(&hex(&self.signer));
        w.field_u64("v", TBS_VERSION);
        w.end_object();
    }

    fn decode(p: &mut Parser<'_>) -> Result<ToBeSigned, DecodeError> {
        let mut o = p.object()?;
        // Hex, base64 and the algorithm's name are read as bytes, their UTF-8
        // unchecked: only ASCII is accepted (see `Parser::str_bytes`).
        let algorithm =
            Algorithm::from_wire(&o.field("alg")?.str_bytes()?).ok_or(DecodeError::Invalid {
                field: "signatures.tbs.alg",
                reason: "unknown signature algorithm (\"Ed25519\" or \"SM2-SM3\")",
            })?;
        let data_hash = unhex32(
            "signatures.tbs.dataHash",
            &o.field("dataHash")?.str_bytes()?,
        )?;
        let property = match o.optional("property")? {
            Some(p) => {
                let v = p.str()?.into_owned();
                if v.is_empty()
                    || v.chars().count() > PROPERTY_CHARS
                    || v.chars().any(char::is_control)
                {
                    return Err(DecodeError::Invalid {
                        field: "signatures.tbs.property",
                        reason: "1–256 characters without control characters",
                    });
                }
                Some(v)
            }
            None => None,
        };
        let seal = match o.optional("seal")? {
            Some(p) => Some(unhex32("signatures.tbs.seal", &p.str_bytes()?)?),
            None => None,
        };
        let signed_at =
            Timestamp::parse(&o.field("signedAt")?.str()?).map_err(|source| DecodeError::Date {
                field: "signatures.tbs.signedAt",
                source,
            })?;
        let signer = unhex32("signatures.tbs.signer", &o.field("signer")?.str_bytes()?)?;
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
            property,
            seal,
            signed_at,
            signer,
        })
    }
}

/// One signature on a license document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseSignature {
    seal: Option<Seal>,
    signer: SignerRef,
    signature: Signature,
    tbs: ToBeSigned,
    tbs_bytes: Box<[u8]>,
}

impl LicenseSignature {
    /// The seal, for a seal signature (签章).
    pub fn seal(&self) -> Option<&Seal> {
        self.seal.as_ref()
    }
    /// Who signed.
    pub fn signer(&self) -> &SignerRef {
        &self.signer
    }
    /// The signature value: 64 bytes, Ed25519's `R ‖ S`, or for
    /// [`Algorithm::Sm2Sm3`] SM2's `r ‖ s` (big-endian), held in the same type.
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

/// A sealed license (盖章的电子证照): the same document type, named for what a
/// license in circulation is.
pub type SealedLicense = SignedLicense;

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
        SignedLicense::decode_cached(bytes, limits, &mut DecodeCache::default())
    }

    /// Decodes a document, reusing seals and signers byte-identical to ones in
    /// `cache` (and remembering new ones). The result is exactly
    /// [`SignedLicense::decode_with`]'s: a sub-document's decoding depends on
    /// its bytes alone.
    pub(crate) fn decode_cached(
        bytes: &[u8],
        limits: &DecodeLimits,
        cache: &mut DecodeCache,
    ) -> Result<SignedLicense, DecodeError> {
        let d = Decoded::decode(bytes, limits, cache)?;
        Ok(SignedLicense {
            bytes: bytes.to_vec(),
            license: d.license,
            license_span: d.license_span,
            signatures: d.signatures,
        })
    }

    /// The document as the verifier's checks read it.
    pub(crate) fn view(&self) -> DocView<'_> {
        DocView {
            bytes: &self.bytes,
            license: &self.license,
            license_span: self.license_span,
            signatures: &self.signatures,
        }
    }

    /// Signs a license with a raw key: the first signature, normally the
    /// issuer's. (Licenses for circulation are sealed: see [`SignedLicense::seal`].)
    ///
    /// The signature is checked under the signer's public key before the
    /// document is made, so a faulty signer cannot issue a broken license.
    pub fn sign(
        license: License,
        signer: &dyn Signer,
        signed_at: Timestamp,
    ) -> Result<SignedLicense, SignError> {
        let license_bytes = license.to_canonical_bytes();
        let entry = make_signature(
            &license_bytes,
            Signing::Ed25519(signer),
            None,
            None,
            signed_at,
        )?;
        assemble(&license_bytes, &[entry])
    }

    /// Seals a license (签章): a seal signature by `sealer` — its seal, its
    /// signing certificate and the certificate's key — at `signed_at`.
    pub fn seal<S: Signer>(
        license: License,
        sealer: &Sealer<S>,
        signed_at: Timestamp,
    ) -> Result<SignedLicense, SignError> {
        let license_bytes = license.to_canonical_bytes();
        let entry = make_signature(
            &license_bytes,
            sealer.signing(),
            Some((&sealer.seal, &sealer.cert, &sealer.chain)),
            sealer.property.as_deref(),
            signed_at,
        )?;
        assemble(&license_bytes, &[entry])
    }

    /// Adds a raw-key signature over the same license bytes.
    pub fn add_signature(
        &self,
        signer: &dyn Signer,
        signed_at: Timestamp,
    ) -> Result<SignedLicense, SignError> {
        let entry = make_signature(
            self.license_bytes(),
            Signing::Ed25519(signer),
            None,
            None,
            signed_at,
        )?;
        self.with_entry(entry)
    }

    /// Adds a seal signature (a co-issuer's seal) over the same license bytes.
    pub fn add_seal<S: Signer>(
        &self,
        sealer: &Sealer<S>,
        signed_at: Timestamp,
    ) -> Result<SignedLicense, SignError> {
        let entry = make_signature(
            self.license_bytes(),
            sealer.signing(),
            Some((&sealer.seal, &sealer.cert, &sealer.chain)),
            sealer.property.as_deref(),
            signed_at,
        )?;
        self.with_entry(entry)
    }

    /// Adds a seal signature by `sealer` carrying `property` (instead of the
    /// sealer's own) as its property info.
    pub(crate) fn add_seal_with_property<S: Signer>(
        &self,
        sealer: &Sealer<S>,
        property: &str,
        signed_at: Timestamp,
    ) -> Result<SignedLicense, SignError> {
        let entry = make_signature(
            self.license_bytes(),
            sealer.signing(),
            Some((&sealer.seal, &sealer.cert, &sealer.chain)),
            Some(property),
            signed_at,
        )?;
        self.with_entry(entry)
    }

    /// The document without its last signature: being canonical, exactly the
    /// bytes it had before that signature was added. `None` for a document
    /// with one signature.
    pub(crate) fn without_last_signature(&self) -> Option<SignedLicense> {
        let (_, rest) = self.signatures.split_last()?;
        if rest.is_empty() {
            return None;
        }
        let entries: Vec<Entry<'_>> = rest.iter().map(Entry::from).collect();
        assemble(self.license_bytes(), &entries).ok()
    }

    fn with_entry(&self, entry: Entry<'_>) -> Result<SignedLicense, SignError> {
        let max = DecodeLimits::default().max_signatures;
        if self.signatures.len() >= max {
            return Err(SignError::TooManySignatures { max });
        }
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

/// A decoded document whose bytes stay with the caller (the batch verifier
/// judges documents where they are, without copying them).
#[derive(Debug)]
pub(crate) struct Decoded {
    license: License,
    license_span: (usize, usize),
    signatures: Vec<LicenseSignature>,
}

impl Decoded {
    /// Decodes `bytes` as [`SignedLicense::decode_cached`] does.
    pub(crate) fn decode(
        bytes: &[u8],
        limits: &DecodeLimits,
        cache: &mut DecodeCache,
    ) -> Result<Decoded, DecodeError> {
        // UTF-8 is checked as strings are read, so the seals and signers skipped
        // as byte-equal to cached ones (checked when first decoded) are not
        // checked again; input that is not UTF-8 fails with the error of the
        // up-front check all the same, whatever error the decoder met first.
        let p = Parser::new_lazy_utf8(bytes, limits.max_document_bytes, MAX_DEPTH)?;
        Decoded::decode_from(p, bytes, limits, cache).map_err(
            |e| match crate::canonical::utf8_error(bytes) {
                Some(utf8) => DecodeError::Json(utf8),
                None => e,
            },
        )
    }

    fn decode_from(
        mut p: Parser<'_>,
        bytes: &[u8],
        limits: &DecodeLimits,
        cache: &mut DecodeCache,
    ) -> Result<Decoded, DecodeError> {
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
        let license = License::decode_memo(lp, &mut cache.ids, &mut cache.strings)?;
        let license_span = (start, lp.offset());
        // The vector of the document judged last, else one sized for one
        // signature (the usual case: a small block, not a 1 KiB one).
        let mut signatures = std::mem::take(&mut cache.signatures);
        if signatures.capacity() == 0 {
            signatures.reserve_exact(1);
        }
        {
            let mut arr = o
                .field("signatures")?
                .array()?
                .with_max_items(limits.max_signatures);
            while let Some(sp) = arr.next()? {
                signatures.push(decode_signature(sp, bytes, cache)?);
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
        Ok(Decoded {
            license,
            license_span,
            signatures,
        })
    }

    /// The document as the verifier's checks read it; `bytes` are the bytes
    /// it was decoded from.
    pub(crate) fn view<'a>(&'a self, bytes: &'a [u8]) -> DocView<'a> {
        DocView {
            bytes,
            license: &self.license,
            license_span: self.license_span,
            signatures: &self.signatures,
        }
    }

    /// The license's identifier; the buffers of its strings and signatures
    /// go to `cache` for the next document decoded with it.
    pub(crate) fn recycle(self, cache: &mut DecodeCache) -> LicenseId {
        let mut signatures = self.signatures;
        signatures.clear();
        cache.signatures = signatures;
        self.license.recycle(&mut cache.strings)
    }
}

/// A decoded document and its bytes, wherever they are kept: what the
/// verifier's checks read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DocView<'a> {
    bytes: &'a [u8],
    license: &'a License,
    license_span: (usize, usize),
    signatures: &'a [LicenseSignature],
}

impl<'a> DocView<'a> {
    /// The license.
    pub(crate) fn license(&self) -> &'a License {
        self.license
    }

    /// The license's canonical bytes (a slice of the document).
    pub(crate) fn license_bytes(&self) -> &'a [u8] {
        self.bytes
            .get(self.license_span.0..self.license_span.1)
            .unwrap_or_default()
    }

    /// The signatures, in document order.
    pub(crate) fn signatures(&self) -> &'a [LicenseSignature] {
        self.signatures
    }
}

/// Recently decoded seals and certificate signers, reused when a document
/// carries byte-identical ones (a JSON value is self-delimiting, so a
/// byte-equal prefix is that value).
#[derive(Debug, Default, Clone)]
pub(crate) struct DecodeCache {
    seals: Vec<Seal>,
    signers: Vec<(Box<[u8]>, SignerRef)>,
    /// Entries remembered since this copy was made.
    learned: usize,
    /// Identifier parts of the license decoded last.
    ids: PartsMemo,
    /// Buffers of the strings of licenses judged and dropped.
    strings: StringPool,
    /// The (emptied) signature vector of the document judged last.
    signatures: Vec<LicenseSignature>,
}

/// Entries of each kind a [`DecodeCache`] keeps.
const DECODE_CACHE_ENTRIES: usize = 8;

impl DecodeCache {
    /// A copy whose values share no reference counts with `self`, so that
    /// threads cloning them per document do not contend.
    pub(crate) fn detached(&self) -> DecodeCache {
        DecodeCache {
            seals: self.seals.iter().map(Seal::detached).collect(),
            signers: self
                .signers
                .iter()
                .map(|(b, s)| {
                    let s = match s {
                        SignerRef::Certificate { cert, chain } => SignerRef::Certificate {
                            cert: cert.detached(),
                            chain: chain.iter().map(Certificate::detached).collect(),
                        },
                        other => other.clone(),
                    };
                    (b.clone(), s)
                })
                .collect(),
            learned: 0,
            ids: PartsMemo::default(),
            strings: StringPool::default(),
            signatures: Vec::new(),
        }
    }

    /// Whether entries were remembered since this copy was made.
    pub(crate) fn learned(&self) -> bool {
        self.learned > 0
    }

    /// Remembers the entries of `other` that `self` lacks (a task's copy
    /// handing back what it learned).
    pub(crate) fn absorb(&mut self, other: &DecodeCache) {
        for seal in &other.seals {
            if !self.seals.iter().any(|s| s.as_bytes() == seal.as_bytes()) {
                self.remember_seal(seal);
            }
        }
        for (bytes, signer) in &other.signers {
            if !self.signers.iter().any(|(b, _)| b == bytes) {
                self.remember_signer(bytes, signer);
            }
        }
    }

    fn seal(&self, p: &mut Parser<'_>) -> Option<Seal> {
        self.seals
            .iter()
            .find(|s| p.skip_if_equal(s.as_bytes()))
            .cloned()
    }

    fn signer(&self, p: &mut Parser<'_>) -> Option<SignerRef> {
        self.signers
            .iter()
            .find(|(b, _)| p.skip_if_equal(b))
            .map(|(_, s)| s.clone())
    }

    fn remember_seal(&mut self, seal: &Seal) {
        if self.seals.len() >= DECODE_CACHE_ENTRIES {
            self.seals.remove(0);
        }
        self.seals.push(seal.clone());
        self.learned += 1;
    }

    fn remember_signer(&mut self, bytes: &[u8], signer: &SignerRef) {
        if self.signers.len() >= DECODE_CACHE_ENTRIES {
            self.signers.remove(0);
        }
        self.signers.push((bytes.into(), signer.clone()));
        self.learned += 1;
    }
}

fn decode_signature(
    p: &mut Parser<'_>,
    doc: &[u8],
    cache: &mut DecodeCache,
) -> Result<LicenseSignature, DecodeError> {
    let mut o = p.object()?;
    let seal = match o.optional("seal")? {
        Some(sp) => match cache.seal(sp) {
            Some(seal) => Some(seal),
            None => {
                let start = sp.offset();
                let seal = Seal::decode_from(sp, doc, start)?;
                cache.remember_seal(&seal);
                Some(seal)
            }
        },
        None => None,
    };
    let signature = Signature::from_bytes(b64_fixed::<64>(
        "signatures.sig",
        &o.field("sig")?.str_bytes()?,
    )?);
    let signer = {
        let sp = o.field("signer")?;
        if seal.is_some() {
            match cache.signer(sp) {
                Some(signer) => signer,
                None => {
                    let start = sp.offset();
                    let (cert, chain) =
                        crate::seal::decode_cert_and_chain(sp, "signatures.signer")?;
                    let signer = SignerRef::Certificate { cert, chain };
                    let raw = doc.get(start..sp.offset()).unwrap_or_default();
                    cache.remember_signer(raw, &signer);
                    signer
                }
            }
        } else {
            let mut s = sp.object()?;
            let key = b64_fixed::<32>("signatures.signer.key", &s.field("key")?.str_bytes()?)?;
            s.end()?;
            SignerRef::Key(key)
        }
    };
    let tp = o.field("tbs")?;
    let start = tp.offset();
    let tbs = ToBeSigned::decode(tp)?;
    let tbs_bytes: Box<[u8]> = doc.get(start..tp.offset()).unwrap_or_default().into();
    o.end()?;
    if tbs.seal.is_some() != seal.is_some() {
        return Err(DecodeError::Invalid {
            field: "signatures.tbs.seal",
            reason: "a seal signature names its seal in the to-be-signed block, a key signature does not",
        });
    }
    Ok(LicenseSignature {
        seal,
        signer,
        signature,
        tbs,
        tbs_bytes,
    })
}

/// A sealing identity (签章者): an organisation's seal, the signing
/// certificate listed in it, intermediates, and a signer holding the
/// certificate's key.
///
/// The key is Ed25519 (a [`Signer`], [`Sealer::new`]) or, with feature `gm`,
/// SM2 (`Sealer::sm2`): the same sealing identity either way.
pub struct Sealer<S: Signer> {
    seal: Seal,
    cert: Certificate,
    chain: Vec<Certificate>,
    signer: SealerKey<S>,
    property: Option<String>,
}

/// The key a [`Sealer`] signs with.
enum SealerKey<S> {
    Ed25519(S),
    #[cfg(feature = "gm")]
    Sm2(Box<crate::gm::Sm2SigningKey>),
}

/// How one signature is made.
enum Signing<'a> {
    Ed25519(&'a dyn Signer),
    #[cfg(feature = "gm")]
    Sm2(&'a crate::gm::Sm2SigningKey),
}

/// A sealer's certificate must be one the seal lists, as a verifier checks.
fn check_listed(seal: &Seal, cert: &Certificate) -> Result<(), SealError> {
    if seal.certs().iter().any(|c| c.matches(cert)) {
        Ok(())
    } else {
        Err(SealError::Invalid {
            field: "cert",
            reason: "the signing certificate is not in the seal's certificate list",
        })
    }
}

impl<S: Signer> core::fmt::Debug for Sealer<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Sealer")
            .field("seal", &self.seal.id())
            .field("cert", &self.cert)
            .finish_non_exhaustive()
    }
}

impl<S: Signer> Sealer<S> {
    /// A sealing identity. The certificate must carry the signer's Ed25519 key
    /// and be in the seal's certificate list.
    pub fn new(
        seal: Seal,
        cert: Certificate,
        chain: Vec<Certificate>,
        signer: S,
    ) -> Result<Sealer<S>, SealError> {
        let key = cert
            .ed25519_key()
            .map_err(|e| SealError::MakerCertificate(e.to_string()))?;
        if *key != signer.public_key() {
            return Err(SealError::Invalid {
                field: "signer",
                reason: "the signer's key is not the certificate's key",
            });
        }
        check_listed(&seal, &cert)?;
        Ok(Sealer {
            seal,
            cert,
            chain,
            signer: SealerKey::Ed25519(signer),
            property: None,
        })
    }

    fn signing(&self) -> Signing<'_> {
        match &self.signer {
            SealerKey::Ed25519(s) => Signing::Ed25519(s),
            #[cfg(feature = "gm")]
            SealerKey::Sm2(k) => Signing::Sm2(k),
        }
    }

    /// The algorithm of this sealer's signatures.
    pub fn algorithm(&self) -> Algorithm {
        match &self.signer {
            SealerKey::Ed25519(_) => Algorithm::Ed25519,
            #[cfg(feature = "gm")]
            SealerKey::Sm2(_) => Algorithm::Sm2Sm3,
        }
    }

    /// With property info (签章属性信息) written into every signature, e.g. the
    /// position of the seal on the layout file; 1–256 characters.
    pub fn with_property(mut self, property: impl Into<String>) -> Result<Self, SealError> {
        let p = property.into();
        if p.is_empty() || p.chars().count() > PROPERTY_CHARS || p.chars().any(char::is_control) {
            return Err(SealError::Invalid {
                field: "property",
                reason: "1–256 characters without control characters",
            });
        }
        self.property = Some(p);
        Ok(self)
    }

    /// The seal.
    pub fn seal(&self) -> &Seal {
        &self.seal
    }

    /// The same sealer behind a boxed signer (the form the resource library
    /// keeps).
    pub fn boxed(self) -> Sealer<Box<dyn Signer>>
    where
        S: 'static,
    {
        Sealer {
            seal: self.seal,
            cert: self.cert,
            chain: self.chain,
            signer: match self.signer {
                SealerKey::Ed25519(s) => SealerKey::Ed25519(Box::new(s) as Box<dyn Signer>),
                #[cfg(feature = "gm")]
                SealerKey::Sm2(k) => SealerKey::Sm2(k),
            },
            property: self.property,
        }
    }

    /// The signing certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.cert
    }
}

#[cfg(feature = "gm")]
impl Sealer<Box<dyn Signer>> {
    /// An SM2 sealing identity (feature `gm`): its seal, the signing
    /// certificate (with an SM2 key, listed in the seal) and intermediates,
    /// and the certificate's SM2 key. Its seal signatures are
    /// [`Algorithm::Sm2Sm3`]; it is the form the resource library keeps.
    pub fn sm2(
        seal: Seal,
        cert: Certificate,
        chain: Vec<Certificate>,
        key: crate::gm::Sm2SigningKey,
    ) -> Result<Sealer<Box<dyn Signer>>, SealError> {
        crate::gm::license::check_sealer_key(&cert, &key)?;
        check_listed(&seal, &cert)?;
        Ok(Sealer {
            seal,
            cert,
            chain,
            signer: SealerKey::Sm2(Box::new(key)),
            property: None,
        })
    }
}

/// A signature entry to be written.
struct Entry<'a> {
    seal: Option<std::borrow::Cow<'a, Seal>>,
    signer: std::borrow::Cow<'a, SignerRef>,
    signature: Signature,
    tbs_bytes: std::borrow::Cow<'a, [u8]>,
}

impl<'a> From<&'a LicenseSignature> for Entry<'a> {
    fn from(s: &'a LicenseSignature) -> Self {
        Entry {
            seal: s.seal.as_ref().map(std::borrow::Cow::Borrowed),
            signer: std::borrow::Cow::Borrowed(&s.signer),
            signature: s.signature,
            tbs_bytes: std::borrow::Cow::Borrowed(&s.tbs_bytes),
        }
    }
}

fn make_signature<'a>(
    license_bytes: &[u8],
    signing: Signing<'_>,
    identity: Option<(&Seal, &Certificate, &[Certificate])>,
    property: Option<&str>,
    signed_at: Timestamp,
) -> Result<Entry<'a>, SignError> {
    let (algorithm, raw_key) = match &signing {
        Signing::Ed25519(signer) => (Algorithm::Ed25519, Some(*signer.public_key().as_bytes())),
        #[cfg(feature = "gm")]
        Signing::Sm2(_) => (Algorithm::Sm2Sm3, None),
    };
    let signer_ref = match (identity, raw_key) {
        (Some((_, cert, chain)), _) => SignerRef::Certificate {
            cert: cert.clone(),
            chain: chain.to_vec(),
        },
        (None, Some(key)) => SignerRef::Key(key),
        (None, None) => {
            return Err(SignError::Document {
                reason: "an SM2-SM3 signature is made by a certificate".into(),
            });
        }
    };
    let tbs = ToBeSigned {
        algorithm,
        data_hash: sha2::Sha256::digest(license_bytes).into(),
        property: property.map(str::to_owned),
        seal: identity.map(|(seal, _, _)| seal.digest()),
        signed_at,
        signer: signer_ref.digest(),
    };
    let mut tbs_bytes = Vec::with_capacity(256);
    tbs.encode(&mut Writer::new(&mut tbs_bytes));
    let message = [SIGNATURE_CONTEXT, &tbs_bytes].concat();
    let signature = match signing {
        Signing::Ed25519(signer) => {
            let public: PublicKey = signer.public_key();
            let signature = signer.sign(&message)?;
            public
                .verify(&message, &signature)
                .map_err(|_| SignError::FaultySignature)?;
            signature
        }
        #[cfg(feature = "gm")]
        Signing::Sm2(key) => crate::gm::license::sign(key, &message)?,
    };
    Ok(Entry {
        seal: identity.map(|(seal, _, _)| std::borrow::Cow::Owned(seal.clone())),
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
            if let Some(seal) = &e.seal {
                w.key("seal");
                w.raw(seal.as_bytes());
            }
            w.key("sig");
            w.str(&BASE64.encode(e.signature.as_bytes()));
            w.key("signer");
            match e.signer.as_ref() {
                SignerRef::Key(k) => {
                    w.begin_object();
                    w.key("key");
                    w.str(&BASE64.encode(k));
                    w.end_object();
                }
                SignerRef::Certificate { cert, chain } => {
                    crate::seal::encode_cert_and_chain(&mut w, cert, chain);
                }
            }
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
