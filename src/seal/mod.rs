//! Electronic seals (电子印章), modelled on GB/T 38540-2020's `SES_Seal`.
//!
//! A seal is made by a seal maker (制章机构) for an organisation: header
//! (`"ES"`, version, vendor), seal id (esID), property (type, name, holder,
//! the list of signing certificates allowed to use it — whole certificates or
//! their SHA-256 digests — made-at, valid from, valid to), picture (PNG or SVG,
//! size in mm), extensions; the maker signs it, and the maker's certificate
//! travels with it. Real seals use SM2/SM3; ours use Ed25519/SHA-256.
//!
//! Wire form (canonical JSON, docs/FORMAT.md §5):
//! `{"alg":"Ed25519","info":{…},"maker":{"cert":…,"chain":[…]},"sig":…}`; the
//! maker signs `"elicense/1/seal\0" ‖ info bytes`, and `info` binds the
//! maker's certificate by digest.

use base64::Engine as _;
use sha2::Digest;

use crate::canonical::{Parser, Writer};
use crate::cert::Certificate;
use crate::date::Timestamp;
use crate::document::{Algorithm, BASE64, MAX_DEPTH, b64_fixed};
use crate::error::DecodeError;
use crate::ids::Uscc;
use crate::model::{Organisation, hex, unhex32};
use crate::sign::{PublicKey, SignError, Signature, Signer};

/// Domain separation prefix of a seal maker's signature:
/// the message is `SEAL_CONTEXT ‖ canonical info bytes`.
pub const SEAL_CONTEXT: &[u8] = b"elicense/1/seal\0";

/// Limits on seals from outside.
pub mod limits {
    /// Maximum picture size in bytes.
    pub const PICTURE_BYTES: usize = 64 * 1024;
    /// Maximum encoded seal size in bytes.
    pub const SEAL_BYTES: usize = 128 * 1024;
    /// Maximum entries in the certificate list.
    pub const CERTS: usize = 16;
    /// Maximum intermediate certificates carried with a certificate.
    pub const CHAIN: usize = 4;
    /// Maximum extensions.
    pub const EXTENSIONS: usize = 16;
    /// Maximum bytes of one extension value.
    pub const EXTENSION_BYTES: usize = 4096;
    /// Maximum characters of a seal id.
    pub const ID_CHARS: usize = 64;
    /// Maximum picture width or height in millimetres.
    pub const PICTURE_MM: u64 = 1000;
}

/// Seal header identifier (GB/T 38540 `ID`).
pub const SEAL_HEADER_ID: &str = "ES";
/// Seal format version written by this library (GB/T 38540-2020 is version 4).
pub const SEAL_VERSION: u64 = 4;

/// A seal could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// An element is malformed or out of its limits.
    #[error("seal {field}: {reason}")]
    Invalid {
        /// Which element.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// The maker's signer key is not the key of the maker's certificate.
    #[error("the seal maker's signer key does not match its certificate")]
    MakerKeyMismatch,
    /// The maker's certificate has no usable Ed25519 key.
    #[error("seal maker certificate: {0}")]
    MakerCertificate(String),
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// Seal type (印章类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SealType {
    /// 法定名称章 (公章) — the organisation's official seal.
    OfficialName,
    /// 证照专用章 — for issuing licenses.
    License,
    /// 财务专用章.
    Finance,
    /// 发票专用章.
    Invoice,
    /// 合同专用章.
    Contract,
    /// 业务专用章.
    Business,
    /// 个人名章 — a person's name seal.
    PersonalName,
    /// 其他.
    Other,
}

impl SealType {
    /// Every type.
    pub const ALL: &'static [SealType] = &[
        SealType::OfficialName,
        SealType::License,
        SealType::Finance,
        SealType::Invoice,
        SealType::Contract,
        SealType::Business,
        SealType::PersonalName,
        SealType::Other,
    ];

    /// Wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            SealType::OfficialName => "official_name",
            SealType::License => "license",
            SealType::Finance => "finance",
            SealType::Invoice => "invoice",
            SealType::Contract => "contract",
            SealType::Business => "business",
            SealType::PersonalName => "personal_name",
            SealType::Other => "other",
        }
    }

    /// Chinese name.
    pub fn name_zh(&self) -> &'static str {
        match self {
            SealType::OfficialName => "法定名称章",
            SealType::License => "证照专用章",
            SealType::Finance => "财务专用章",
            SealType::Invoice => "发票专用章",
            SealType::Contract => "合同专用章",
            SealType::Business => "业务专用章",
            SealType::PersonalName => "个人名章",
            SealType::Other => "其他",
        }
    }

    fn parse(s: &str) -> Option<SealType> {
        SealType::ALL.iter().copied().find(|t| t.as_str() == s)
    }
}

/// Picture format (图片类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PictureType {
    /// PNG.
    Png,
    /// SVG.
    Svg,
}

impl PictureType {
    /// Wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            PictureType::Png => "png",
            PictureType::Svg => "svg",
        }
    }
}

/// The seal's picture (印章图像): image bytes and printed size in millimetres.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SealPicture {
    kind: PictureType,
    data: Vec<u8>,
    width_mm: u32,
    height_mm: u32,
}

impl SealPicture {
    /// A picture; checks the format's signature bytes and the size limits.
    pub fn new(
        kind: PictureType,
        data: Vec<u8>,
        width_mm: u32,
        height_mm: u32,
    ) -> Result<SealPicture, SealError> {
        let bad = |reason| SealError::Invalid {
            field: "picture",
            reason,
        };
        if data.is_empty() || data.len() > limits::PICTURE_BYTES {
            return Err(bad("picture must be 1 byte to 64 KiB"));
        }
        let ok = match kind {
            PictureType::Png => data.starts_with(b"\x89PNG\r\n\x1a\n"),
            PictureType::Svg => {
                let head = data.get(..data.len().min(256)).unwrap_or_default();
                let head = String::from_utf8_lossy(head);
                let t = head.trim_start();
                t.starts_with("<svg") || t.starts_with("<?xml")
            }
        };
        if !ok {
            return Err(bad("picture bytes are not of the stated type"));
        }
        if width_mm == 0
            || height_mm == 0
            || u64::from(width_mm) > limits::PICTURE_MM
            || u64::from(height_mm) > limits::PICTURE_MM
        {
            return Err(bad("width and height must be 1..=1000 mm"));
        }
        Ok(SealPicture {
            kind,
            data,
            width_mm,
            height_mm,
        })
    }
    /// Format.
    pub fn kind(&self) -> PictureType {
        self.kind
    }
    /// Image bytes.
    pub fn data(&self) -> &[u8] {
        &self.data
    }
    /// Width in mm.
    pub fn width_mm(&self) -> u32 {
        self.width_mm
    }
    /// Height in mm.
    pub fn height_mm(&self) -> u32 {
        self.height_mm
    }
}

/// An entry of the seal's certificate list (签章人证书列表): the certificates
/// whose holders may sign with this seal, whole or by SHA-256 digest.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealCertRef {
    /// A whole certificate.
    Certificate(Certificate),
    /// The SHA-256 digest of a certificate's DER.
    Digest([u8; 32]),
}

impl SealCertRef {
    /// Whether this entry names `cert`.
    pub fn matches(&self, cert: &Certificate) -> bool {
        match self {
            SealCertRef::Certificate(c) => c.der() == cert.der(),
            SealCertRef::Digest(d) => *d == cert.fingerprint(),
        }
    }
}

/// An extension (扩展数据): an OID, whether it is critical, and a value.
/// A verifier rejects a seal with a critical extension it does not understand
/// (this library understands none).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SealExtension {
    id: String,
    critical: bool,
    value: Vec<u8>,
}

impl SealExtension {
    /// An extension; `id` is a dotted OID.
    pub fn new(id: &str, critical: bool, value: Vec<u8>) -> Result<SealExtension, SealError> {
        let oid_ok = id.len() <= 128
            && id.split('.').count() >= 2
            && id
                .split('.')
                .all(|arc| !arc.is_empty() && arc.bytes().all(|b| b.is_ascii_digit()));
        if !oid_ok {
            return Err(SealError::Invalid {
                field: "extensions.id",
                reason: "must be a dotted OID",
            });
        }
        if value.len() > limits::EXTENSION_BYTES {
            return Err(SealError::Invalid {
                field: "extensions.value",
                reason: "at most 4096 bytes",
            });
        }
        Ok(SealExtension {
            id: id.to_owned(),
            critical,
            value,
        })
    }
    /// OID.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// Critical?
    pub fn critical(&self) -> bool {
        self.critical
    }
    /// Value.
    pub fn value(&self) -> &[u8] {
        &self.value
    }
}

/// What a seal maker fills in to make a seal.
#[derive(Debug, Clone)]
pub struct SealSpec {
    /// Vendor id (厂商标识) of the sealing system.
    pub vendor: String,
    /// Seal id (印章标识, esID): 1–64 of `[0-9A-Za-z-]`.
    pub id: String,
    /// Seal type.
    pub seal_type: SealType,
    /// Seal name (印章名称), e.g. 某某局证照专用章.
    pub name: String,
    /// The organisation the seal belongs to.
    pub holder: Organisation,
    /// Certificates allowed to sign with the seal (1–16).
    pub certs: Vec<SealCertRef>,
    /// When it was made (制作日期).
    pub created_at: Timestamp,
    /// First instant of validity.
    pub valid_from: Timestamp,
    /// Last instant of validity (inclusive).
    pub valid_to: Timestamp,
    /// The picture.
    pub picture: SealPicture,
    /// Extensions.
    pub extensions: Vec<SealExtension>,
}

/// An electronic seal as signed by its maker. Decoding checks form, not
/// trust; the verifier checks the maker's signature and certificate.
///
/// Cheap to clone (shared); its digest is computed once, when decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seal(std::sync::Arc<SealInner>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct SealInner {
    algorithm: Algorithm,
    spec: SealSpecData,
    maker: Certificate,
    maker_chain: Vec<Certificate>,
    signature: Signature,
    bytes: Vec<u8>,
    info_span: (usize, usize),
    digest: [u8; 32],
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct SealSpecData {
    version: u64,
    vendor: String,
    id: String,
    seal_type: SealType,
    name: String,
    holder: Organisation,
    certs: Vec<SealCertRef>,
    created_at: Timestamp,
    valid_from: Timestamp,
    valid_to: Timestamp,
    picture: SealPicture,
    extensions: Vec<SealExtension>,
    maker_digest: [u8; 32],
}

fn check_spec(s: &SealSpec) -> Result<(), SealError> {
    let bad = |field, reason| SealError::Invalid { field, reason };
    let id_ok = !s.id.is_empty()
        && s.id.len() <= limits::ID_CHARS
        && s.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !id_ok {
        return Err(bad("id", "1–64 of [0-9A-Za-z-]"));
    }
    let text_ok = |t: &str, max: usize| {
        !t.is_empty()
            && t.chars().count() <= max
            && !t.chars().any(char::is_control)
            && t.trim() == t
    };
    if !text_ok(&s.vendor, 64) {
        return Err(bad("header.vendor", "1–64 printable characters"));
    }
    if !text_ok(&s.name, 128) {
        return Err(bad("property.name", "1–128 printable characters"));
    }
    if s.certs.is_empty() || s.certs.len() > limits::CERTS {
        return Err(bad("property.certs", "1–16 certificates"));
    }
    if s.valid_to < s.valid_from {
        return Err(bad("property.validTo", "ends before it starts"));
    }
    if s.extensions.len() > limits::EXTENSIONS {
        return Err(bad("extensions", "at most 16"));
    }
    Ok(())
}

impl Seal {
    /// A copy that shares no reference count with `self`.
    pub(crate) fn detached(&self) -> Seal {
        Seal(std::sync::Arc::new((*self.0).clone()))
    }

    /// Seal id (esID).
    pub fn id(&self) -> &str {
        &self.0.spec.id
    }
    /// Header version.
    pub fn version(&self) -> u64 {
        self.0.spec.version
    }
    /// Vendor id.
    pub fn vendor(&self) -> &str {
        &self.0.spec.vendor
    }
    /// Seal type.
    pub fn seal_type(&self) -> SealType {
        self.0.spec.seal_type
    }
    /// Seal name (印章名称).
    pub fn name(&self) -> &str {
        &self.0.spec.name
    }
    /// The organisation the seal belongs to.
    pub fn holder(&self) -> &Organisation {
        &self.0.spec.holder
    }
    /// Certificates allowed to sign with it.
    pub fn certs(&self) -> &[SealCertRef] {
        &self.0.spec.certs
    }
    /// Made at.
    pub fn created_at(&self) -> Timestamp {
        self.0.spec.created_at
    }
    /// Valid from (inclusive).
    pub fn valid_from(&self) -> Timestamp {
        self.0.spec.valid_from
    }
    /// Valid to (inclusive).
    pub fn valid_to(&self) -> Timestamp {
        self.0.spec.valid_to
    }
    /// Whether the validity window covers `at`.
    pub fn is_valid_at(&self, at: Timestamp) -> bool {
        self.0.spec.valid_from <= at && at <= self.0.spec.valid_to
    }
    /// Picture.
    pub fn picture(&self) -> &SealPicture {
        &self.0.spec.picture
    }
    /// Extensions.
    pub fn extensions(&self) -> &[SealExtension] {
        &self.0.spec.extensions
    }
    /// The seal maker's certificate.
    pub fn maker(&self) -> &Certificate {
        &self.0.maker
    }
    /// Intermediate certificates carried for the maker's chain.
    pub fn maker_chain(&self) -> &[Certificate] {
        &self.0.maker_chain
    }
    /// Whether the signed info binds the carried maker certificate.
    pub fn binds_maker(&self) -> bool {
        self.0.spec.maker_digest == self.0.maker.fingerprint()
    }
    /// The algorithm of the maker's signature.
    pub fn algorithm(&self) -> Algorithm {
        self.0.algorithm
    }
    /// The maker's signature (64 bytes: Ed25519's `R ‖ S`, or SM2's `r ‖ s`
    /// for [`Algorithm::Sm2Sm3`]).
    pub fn signature(&self) -> &Signature {
        &self.0.signature
    }
    /// The canonical bytes of the whole seal.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0.bytes
    }
    /// The canonical bytes of the signed info.
    pub fn info_bytes(&self) -> &[u8] {
        self.0
            .bytes
            .get(self.0.info_span.0..self.0.info_span.1)
            .unwrap_or_default()
    }
    /// SHA-256 of the seal's canonical bytes: how a seal signature names it.
    pub fn digest(&self) -> [u8; 32] {
        self.0.digest
    }
    /// The message the maker signed.
    pub fn message(&self) -> Vec<u8> {
        [SEAL_CONTEXT, self.info_bytes()].concat()
    }

    /// Decodes a seal from its canonical bytes (strict).
    pub fn decode(bytes: &[u8]) -> Result<Seal, DecodeError> {
        let mut p = Parser::new(bytes, limits::SEAL_BYTES, MAX_DEPTH)?;
        let start = p.offset();
        let seal = Seal::decode_from(&mut p, bytes, start)?;
        p.finish()?;
        Ok(seal)
    }

    /// Decodes the seal value at the parser's position; `doc` is the whole input.
    pub(crate) fn decode_from(
        p: &mut Parser<'_>,
        doc: &[u8],
        start: usize,
    ) -> Result<Seal, DecodeError> {
        let mut o = p.object()?;
        let algorithm =
            Algorithm::from_wire(&o.field("alg")?.str_bytes()?).ok_or(DecodeError::Invalid {
                field: "seal.alg",
                reason: "unknown signature algorithm (\"Ed25519\" or \"SM2-SM3\")",
            })?;
        let ip = o.field("info")?;
        let info_start = ip.offset();
        let spec = decode_info(ip)?;
        let info_end = ip.offset();
        let (maker, maker_chain) = decode_cert_and_chain(o.field("maker")?, "seal.maker")?;
        let signature = Signature::from_bytes(b64_fixed::<64>(
            "seal.sig",
            o.field("sig")?.str()?.as_bytes(),
        )?);
        o.end()?;
        let end = p.offset();
        let bytes = doc.get(start..end).unwrap_or_default().to_vec();
        let digest = sha2::Sha256::digest(&bytes).into();
        Ok(Seal(std::sync::Arc::new(SealInner {
            algorithm,
            spec,
            maker,
            maker_chain,
            signature,
            bytes,
            info_span: (
                info_start.saturating_sub(start),
                info_end.saturating_sub(start),
            ),
            digest,
        })))
    }
}

pub(crate) fn decode_cert(field: &'static str, s: &str) -> Result<Certificate, DecodeError> {
    let der = BASE64.decode(s).map_err(|_| DecodeError::Encoding {
        field,
        encoding: "canonical base64",
    })?;
    Certificate::from_der(&der).map_err(|_| DecodeError::Invalid {
        field,
        reason: "not a certificate this library can read",
    })
}

/// `{"cert": b64, "chain": [b64…]?}`.
pub(crate) fn decode_cert_and_chain(
    p: &mut Parser<'_>,
    field: &'static str,
) -> Result<(Certificate, Vec<Certificate>), DecodeError> {
    let mut o = p.object()?;
    let cert = decode_cert(field, &o.field("cert")?.str()?)?;
    let mut chain = Vec::new();
    if let Some(cp) = o.optional("chain")? {
        let mut arr = cp.array()?.with_max_items(limits::CHAIN);
        while let Some(ep) = arr.next()? {
            chain.push(decode_cert(field, &ep.str()?)?);
        }
        arr.end()?;
        if chain.is_empty() {
            return Err(DecodeError::Invalid {
                field,
                reason: "an empty chain is omitted",
            });
        }
    }
    o.end()?;
    Ok((cert, chain))
}

pub(crate) fn encode_cert_and_chain(w: &mut Writer<'_>, cert: &Certificate, chain: &[Certificate]) {
    w.begin_object();
    w.key("cert");
    w.str(&BASE64.encode(cert.der()));
    if !chain.is_empty() {
        w.key("chain");
        w.begin_array();
        for c in chain {
            w.str(&BASE64.encode(c.der()));
        }
        w.end_array();
    }
    w.end_object();
}

fn encode_org(w: &mut Writer<'_>, o: &Organisation) {
    w.begin_object();
    w.field_str("code", o.code().as_str());
    w.field_str("name", o.name());
    w.end_object();
}

fn encode_info(w: &mut Writer<'_>, s: &SealSpecData) {
    w.begin_object();
    if !s.extensions.is_empty() {
        w.key("extensions");
        w.begin_array();
        for e in &s.extensions {
            w.begin_object();
            w.field_bool("critical", e.critical);
            w.field_str("id", &e.id);
            w.key("value");
            w.str(&BASE64.encode(&e.value));
            w.end_object();
        }
        w.end_array();
    }
    w.key("header");
    w.begin_object();
    w.field_str("id", SEAL_HEADER_ID);
    w.field_str("vendor", &s.vendor);
    w.field_u64("version", s.version);
    w.end_object();
    w.field_str("id", &s.id);
    w.key("maker");
    w.str(&hex(&s.maker_digest));
    w.key("picture");
    w.begin_object();
    w.key("data");
    w.str(&BASE64.encode(&s.picture.data));
    w.field_u64("heightMm", u64::from(s.picture.height_mm));
    w.field_str("type", s.picture.kind.as_str());
    w.field_u64("widthMm", u64::from(s.picture.width_mm));
    w.end_object();
    w.key("property");
    w.begin_object();
    w.key("certs");
    w.begin_array();
    for c in &s.certs {
        w.begin_object();
        match c {
            SealCertRef::Certificate(cert) => {
                w.key("cert");
                w.str(&BASE64.encode(cert.der()));
            }
            SealCertRef::Digest(d) => {
                w.key("sha256");
                w.str(&hex(d));
            }
        }
        w.end_object();
    }
    w.end_array();
    w.key("createdAt");
    w.str(&s.created_at.to_string());
    w.key("holder");
    encode_org(w, &s.holder);
    w.field_str("name", &s.name);
    w.field_str("type", s.seal_type.as_str());
    w.key("validFrom");
    w.str(&s.valid_from.to_string());
    w.key("validTo");
    w.str(&s.valid_to.to_string());
    w.end_object();
    w.end_object();
}

fn ts(field: &'static str, s: &str) -> Result<Timestamp, DecodeError> {
    Timestamp::parse(s).map_err(|source| DecodeError::Date { field, source })
}

fn invalid(field: &'static str) -> impl Fn(SealError) -> DecodeError {
    move |e| match e {
        SealError::Invalid { reason, .. } => DecodeError::Invalid { field, reason },
        _ => DecodeError::Invalid {
            field,
            reason: "invalid",
        },
    }
}

fn decode_info(p: &mut Parser<'_>) -> Result<SealSpecData, DecodeError> {
    let mut o = p.object()?;
    let mut extensions = Vec::new();
    if let Some(ep) = o.optional("extensions")? {
        let mut arr = ep.array()?.with_max_items(limits::EXTENSIONS);
        while let Some(xp) = arr.next()? {
            let mut x = xp.object()?;
            let critical = x.field("critical")?.bool()?;
            let id = x.field("id")?.str()?;
            let value = BASE64
                .decode(x.field("value")?.str()?.as_bytes())
                .map_err(|_| DecodeError::Encoding {
                    field: "seal.info.extensions.value",
                    encoding: "canonical base64",
                })?;
            x.end()?;
            extensions.push(
                SealExtension::new(&id, critical, value)
                    .map_err(invalid("seal.info.extensions"))?,
            );
        }
        arr.end()?;
        if extensions.is_empty() {
            return Err(DecodeError::Invalid {
                field: "seal.info.extensions",
                reason: "an empty list is omitted",
            });
        }
    }
    let (vendor, version) = {
        let mut h = o.field("header")?.object()?;
        if h.field("id")?.str()? != SEAL_HEADER_ID {
            return Err(DecodeError::Invalid {
                field: "seal.info.header.id",
                reason: "must be \"ES\"",
            });
        }
        let vendor = h.field("vendor")?.str()?.into_owned();
        let version = h.field("version")?.u64()?;
        h.end()?;
        (vendor, version)
    };
    if version != SEAL_VERSION {
        return Err(DecodeError::Invalid {
            field: "seal.info.header.version",
            reason: "unsupported seal version (only 4)",
        });
    }
    let id = o.field("id")?.str()?.into_owned();
    let maker_digest = unhex32("seal.info.maker", o.field("maker")?.str()?.as_bytes())?;
    let picture = {
        let mut pp = o.field("picture")?.object()?;
        let data = BASE64
            .decode(pp.field("data")?.str()?.as_bytes())
            .map_err(|_| DecodeError::Encoding {
                field: "seal.info.picture.data",
                encoding: "canonical base64",
            })?;
        let height = pp.field("heightMm")?.u64()?;
        let kind = match pp.field("type")?.str()?.as_ref() {
            "png" => PictureType::Png,
            "svg" => PictureType::Svg,
            _ => {
                return Err(DecodeError::Invalid {
                    field: "seal.info.picture.type",
                    reason: "expected \"png\" or \"svg\"",
                });
            }
        };
        let width = pp.field("widthMm")?.u64()?;
        pp.end()?;
        let mm = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        SealPicture::new(kind, data, mm(width), mm(height)).map_err(invalid("seal.info.picture"))?
    };
    let mut pr = o.field("property")?.object()?;
    let mut certs = Vec::new();
    {
        let mut arr = pr.field("certs")?.array()?.with_max_items(limits::CERTS);
        while let Some(cp) = arr.next()? {
            let mut c = cp.object()?;
            if let Some(vp) = c.optional("cert")? {
                certs.push(SealCertRef::Certificate(decode_cert(
                    "seal.info.property.certs",
                    &vp.str()?,
                )?));
            } else {
                let d = unhex32(
                    "seal.info.property.certs.sha256",
                    c.field("sha256")?.str()?.as_bytes(),
                )?;
                certs.push(SealCertRef::Digest(d));
            }
            c.end()?;
        }
        arr.end()?;
    }
    let created_at = ts(
        "seal.info.property.createdAt",
        &pr.field("createdAt")?.str()?,
    )?;
    let holder = {
        let mut h = pr.field("holder")?.object()?;
        let code = Uscc::parse(&h.field("code")?.str()?).map_err(|source| DecodeError::Id {
            field: "seal.info.property.holder.code",
            source,
        })?;
        let name = h.field("name")?.str()?.into_owned();
        h.end()?;
        Organisation::new(name, code).map_err(DecodeError::Model)?
    };
    let name = pr.field("name")?.str()?.into_owned();
    let seal_type = SealType::parse(&pr.field("type")?.str()?).ok_or(DecodeError::Invalid {
        field: "seal.info.property.type",
        reason: "unknown seal type",
    })?;
    let valid_from = ts(
        "seal.info.property.validFrom",
        &pr.field("validFrom")?.str()?,
    )?;
    let valid_to = ts("seal.info.property.validTo", &pr.field("validTo")?.str()?)?;
    pr.end()?;
    o.end()?;
    let spec = SealSpec {
        vendor,
        id,
        seal_type,
        name,
        holder,
        certs,
        created_at,
        valid_from,
        valid_to,
        picture,
        extensions,
    };
    check_spec(&spec).map_err(invalid("seal.info"))?;
    Ok(SealSpecData {
        version,
        vendor: spec.vendor,
        id: spec.id,
        seal_type: spec.seal_type,
        name: spec.name,
        holder: spec.holder,
        certs: spec.certs,
        created_at: spec.created_at,
        valid_from: spec.valid_from,
        valid_to: spec.valid_to,
        picture: spec.picture,
        extensions: spec.extensions,
        maker_digest,
    })
}

/// A seal maker (制章机构): its certificate (with intermediates) and a signer
/// holding the certificate's key.
///
/// The key is Ed25519 (a [`Signer`], [`SealMaker::new`]) or, with feature
/// `gm`, SM2 (`SealMaker::sm2`).
pub struct SealMaker<S: Signer> {
    cert: Certificate,
    chain: Vec<Certificate>,
    signer: MakerKey<S>,
}

enum MakerKey<S> {
    Ed25519(S),
    #[cfg(feature = "gm")]
    Sm2(Box<crate::gm::Sm2SigningKey>),
}

#[cfg(feature = "gm")]
impl SealMaker<Box<dyn Signer>> {
    /// An SM2 seal maker (feature `gm`): its certificate (with an SM2 key),
    /// intermediates, and the certificate's SM2 key. Its seals are signed
    /// [`Algorithm::Sm2Sm3`].
    pub fn sm2(
        cert: Certificate,
        chain: Vec<Certificate>,
        key: crate::gm::Sm2SigningKey,
    ) -> Result<Self, SealError> {
        crate::gm::license::check_sealer_key(&cert, &key)?;
        check_maker_chain(&chain)?;
        Ok(SealMaker {
            cert,
            chain,
            signer: MakerKey::Sm2(Box::new(key)),
        })
    }
}

/// A seal maker's intermediates are bounded like a decoded seal's.
fn check_maker_chain(chain: &[Certificate]) -> Result<(), SealError> {
    if chain.len() > limits::CHAIN {
        return Err(SealError::Invalid {
            field: "maker.chain",
            reason: "at most 4 intermediate certificates",
        });
    }
    Ok(())
}

impl<S: Signer> core::fmt::Debug for SealMaker<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SealMaker")
            .field("cert", &self.cert)
            .finish_non_exhaustive()
    }
}

impl<S: Signer> SealMaker<S> {
    /// A seal maker; the signer's public key must be the certificate's key.
    pub fn new(cert: Certificate, chain: Vec<Certificate>, signer: S) -> Result<Self, SealError> {
        let key: PublicKey = *cert
            .ed25519_key()
            .map_err(|e| SealError::MakerCertificate(e.to_string()))?;
        if key != signer.public_key() {
            return Err(SealError::MakerKeyMismatch);
        }
        check_maker_chain(&chain)?;
        Ok(SealMaker {
            cert,
            chain,
            signer: MakerKey::Ed25519(signer),
        })
    }

    /// Makes and signs a seal.
    pub fn make(&self, spec: SealSpec) -> Result<Seal, SealError> {
        check_spec(&spec)?;
        let data = SealSpecData {
            version: SEAL_VERSION,
            vendor: spec.vendor,
            id: spec.id,
            seal_type: spec.seal_type,
            name: spec.name,
            holder: spec.holder,
            certs: spec.certs,
            created_at: spec.created_at,
            valid_from: spec.valid_from,
            valid_to: spec.valid_to,
            picture: spec.picture,
            extensions: spec.extensions,
            maker_digest: self.cert.fingerprint(),
        };
        let mut info = Vec::with_capacity(2048);
        encode_info(&mut Writer::new(&mut info), &data);
        let message = [SEAL_CONTEXT, &info].concat();
        let (algorithm, signature) = match &self.signer {
            MakerKey::Ed25519(signer) => {
                let signature = signer.sign(&message)?;
                signer
                    .public_key()
                    .verify(&message, &signature)
                    .map_err(|_| SignError::FaultySignature)?;
                (Algorithm::Ed25519, signature)
            }
            #[cfg(feature = "gm")]
            MakerKey::Sm2(key) => (Algorithm::Sm2Sm3, crate::gm::license::sign(key, &message)?),
        };
        let mut out = Vec::with_capacity(info.len() + 1024);
        {
            let mut w = Writer::new(&mut out);
            w.begin_object();
            w.field_str("alg", algorithm.as_str());
            w.key("info");
            w.raw(&info);
            w.key("maker");
            encode_cert_and_chain(&mut w, &self.cert, &self.chain);
            w.key("sig");
            w.str(&BASE64.encode(signature.as_bytes()));
            w.end_object();
        }
        Seal::decode(&out).map_err(|_| SealError::Invalid {
            field: "seal",
            reason: "the made seal does not decode (exceeds a limit)",
        })
    }
}
