//! The DER structures of GB/T 38540-2020 (version 5) and GM/T 0031-2014
//! (version 4): `SES_Seal` and `SES_Signature`. docs/FORMAT.md §10 lists
//! every element.
//!
//! Decoding is strict DER (see `der`), checks every element's type and the
//! limits below, and keeps what it read so that [`SesSeal::encode`] and
//! [`SesSignature::encode`] give back the input byte for byte.

use std::sync::Arc;

use super::der::{self, Reader, TimeKind, tag};
use super::error::SesError;
use crate::cert::Certificate;
use crate::date::Timestamp;

/// Limits on SES structures from outside.
pub mod ses_limits {
    /// Largest encoded seal or seal signature.
    pub const BYTES: usize = 512 * 1024;
    /// Largest picture.
    pub const PICTURE_BYTES: usize = 256 * 1024;
    /// Most entries in a seal's certificate list.
    pub const CERTS: usize = 16;
    /// Most extensions in one list.
    pub const EXTENSIONS: usize = 16;
    /// Largest extension value.
    pub const EXTENSION_BYTES: usize = 16 * 1024;
    /// Longest text element (esID, vendor, name, picture type, property info), in bytes.
    pub const TEXT_BYTES: usize = 1024;
    /// Nesting depth budget (the standard's structures need 7).
    pub const DEPTH: usize = 10;
}

/// OID of SM2-with-SM3 signatures (GM/T 0006: 1.2.156.10197.1.501).
pub const SM2_WITH_SM3: &str = "1.2.156.10197.1.501";

/// Which edition of the structures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SesVersion {
    /// GM/T 0031-2014 (header version 4).
    V4,
    /// GB/T 38540-2020 (header version 5).
    V5,
}

impl SesVersion {
    /// The version number written in the structures.
    pub fn number(self) -> u64 {
        match self {
            SesVersion::V4 => 4,
            SesVersion::V5 => 5,
        }
    }

    fn from_number(field: &'static str, n: u64) -> Result<SesVersion, SesError> {
        match n {
            4 => Ok(SesVersion::V4),
            5 => Ok(SesVersion::V5),
            found => Err(SesError::UnsupportedVersion { field, found }),
        }
    }
}

/// An entry of a seal's certificate list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SesCertRef {
    /// A whole certificate (its DER).
    Certificate(Vec<u8>),
    /// A certificate digest: the algorithm name (PrintableString) and value.
    Digest {
        /// Digest algorithm name, e.g. `sm3`.
        algorithm: String,
        /// The digest.
        value: Vec<u8>,
    },
}

/// A time element and the ASN.1 type it was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SesTime {
    /// The instant (UTC, whole seconds).
    pub at: Timestamp,
    /// GeneralizedTime or UTCTime.
    pub kind: TimeKind,
}

/// An extension (ExtData): OID, critical flag (DEFAULT FALSE), value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SesExtension {
    oid: Vec<u8>,
    critical: bool,
    value: Vec<u8>,
}

impl SesExtension {
    /// An extension with a dotted OID.
    pub fn new(oid: &str, critical: bool, value: Vec<u8>) -> Result<SesExtension, SesError> {
        let oid = der::oid_bytes(oid).ok_or(SesError::Invalid {
            field: "extDatas.extnID",
            reason: "not a dotted OID",
        })?;
        if value.len() > ses_limits::EXTENSION_BYTES {
            return Err(SesError::TooLarge {
                what: "extension value",
                limit: ses_limits::EXTENSION_BYTES,
                found: value.len(),
            });
        }
        Ok(SesExtension {
            oid,
            critical,
            value,
        })
    }
    /// The dotted OID.
    pub fn oid(&self) -> String {
        der::oid_text(&self.oid)
    }
    /// Critical?
    pub fn critical(&self) -> bool {
        self.critical
    }
    /// The value.
    pub fn value(&self) -> &[u8] {
        &self.value
    }
}

/// The seal picture (SES_ESPictrueInfo).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SesPicture {
    /// Image type, e.g. `PNG`, `SVG`, `OFD`.
    pub kind: String,
    /// Image bytes.
    pub data: Vec<u8>,
    /// Display width in millimetres.
    pub width_mm: u64,
    /// Display height in millimetres.
    pub height_mm: u64,
}

/// What is signed by the seal maker (SES_SealInfo), as fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SesSealInfo {
    /// Edition (the header version).
    pub version: SesVersion,
    /// Vendor id (Vid).
    pub vendor: String,
    /// Seal id (esID).
    pub id: String,
    /// Seal type (1 official, 2 special, 3 … as the platform defines).
    pub seal_type: u64,
    /// Seal name.
    pub name: String,
    /// certListType (1 certificates, 2 digests); absent in some version 4 seals.
    pub cert_list_type: Option<u64>,
    /// The signers' certificates (whole or by digest).
    pub certs: Vec<SesCertRef>,
    /// Made at.
    pub created: SesTime,
    /// Valid from.
    pub valid_from: SesTime,
    /// Valid to.
    pub valid_to: SesTime,
    /// Picture.
    pub picture: SesPicture,
    /// Extensions (`None`: absent; an empty list is not DER-distinct and is refused).
    pub extensions: Option<Vec<SesExtension>>,
}

/// A decoded electronic seal (SES_Seal / SESeal). Cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SesSeal(Arc<SealInner>);

#[derive(Debug, PartialEq, Eq)]
struct SealInner {
    info: SesSealInfo,
    maker: Certificate,
    algorithm: Vec<u8>,
    signature: Vec<u8>,
    bytes: Vec<u8>,
    info_len: (usize, usize),
}

fn check_len(what: &'static str, limit: usize, found: usize) -> Result<(), SesError> {
    if found > limit {
        Err(SesError::TooLarge { what, limit, found })
    } else {
        Ok(())
    }
}

fn text<'a>(field: &'static str, s: &'a str) -> Result<&'a str, SesError> {
    check_len(field, ses_limits::TEXT_BYTES, s.len())?;
    Ok(s)
}

fn cert(field: &'static str, der: &[u8]) -> Result<Certificate, SesError> {
    Certificate::from_der(der).map_err(|_| SesError::Invalid {
        field,
        reason: "not an X.509 certificate this library can read",
    })
}

fn read_extensions(r: &mut Reader<'_>, field: &'static str) -> Result<Vec<SesExtension>, SesError> {
    let mut list = r.sequence(field)?;
    let mut out = Vec::new();
    while !list.is_empty() {
        if out.len() == ses_limits::EXTENSIONS {
            return Err(SesError::TooMany {
                field,
                limit: ses_limits::EXTENSIONS,
            });
        }
        let mut e = list.sequence(field)?;
        let oid = e.oid("extDatas.extnID")?.to_vec();
        let critical = if e.peek() == Some(tag::BOOLEAN) {
            if !e.boolean("extDatas.critical")? {
                return Err(SesError::Invalid {
                    field: "extDatas.critical",
                    reason: "FALSE is the default and is not written in DER",
                });
            }
            true
        } else {
            false
        };
        let value = e.octets("extDatas.extnValue")?;
        check_len("extension value", ses_limits::EXTENSION_BYTES, value.len())?;
        e.end_of(field)?;
        out.push(SesExtension {
            oid,
            critical,
            value: value.to_vec(),
        });
    }
    if out.is_empty() {
        return Err(SesError::Invalid {
            field,
            reason: "an empty list is omitted",
        });
    }
    Ok(out)
}

fn write_extensions(out: &mut Vec<u8>, list: &[SesExtension]) {
    der::write_constructed(out, tag::SEQUENCE, |o| {
        for e in list {
            der::write_constructed(o, tag::SEQUENCE, |o| {
                der::write_tlv(o, tag::OID, &e.oid);
                if e.critical {
                    der::write_bool(o, true);
                }
                der::write_tlv(o, tag::OCTET_STRING, &e.value);
            });
        }
    });
}

fn read_time(r: &mut Reader<'_>, field: &'static str) -> Result<SesTime, SesError> {
    let (at, kind) = r.time(field)?;
    Ok(SesTime { at, kind })
}

fn read_seal_info(r: &mut Reader<'_>) -> Result<SesSealInfo, SesError> {
    let mut si = r.sequence("SES_SealInfo")?;
    let mut h = si.sequence("SES_Header")?;
    if h.ia5("SES_Header.ID")? != "ES" {
        return Err(SesError::Invalid {
            field: "SES_Header.ID",
            reason: "must be \"ES\"",
        });
    }
    let version = SesVersion::from_number("SES_Header.version", h.uint("SES_Header.version")?)?;
    let vendor = text("SES_Header.Vid", h.ia5("SES_Header.Vid")?)?.to_owned();
    h.end_of("SES_Header")?;
    let id = text("esID", si.ia5("esID")?)?.to_owned();
    let mut p = si.sequence("SES_ESPropertyInfo")?;
    let seal_type = p.uint("SES_ESPropertyInfo.type")?;
    let name = text(
        "SES_ESPropertyInfo.name",
        p.utf8("SES_ESPropertyInfo.name")?,
    )?
    .to_owned();
    let cert_list_type = match (version, p.peek()) {
        (SesVersion::V4, Some(t)) if t != tag::INTEGER => None,
        _ => Some(p.uint("SES_ESPropertyInfo.certListType")?),
    };
    let mut certs = Vec::new();
    let mut list = p.sequence("SES_ESPropertyInfo.certList")?;
    while !list.is_empty() {
        if certs.len() == ses_limits::CERTS {
            return Err(SesError::TooMany {
                field: "SES_ESPropertyInfo.certList",
                limit: ses_limits::CERTS,
            });
        }
        if list.peek() == Some(tag::SEQUENCE) {
            let mut d = list.sequence("CertDigestObj")?;
            let algorithm =
                text("CertDigestObj.type", d.printable("CertDigestObj.type")?)?.to_owned();
            let value = d.octets("CertDigestObj.value")?.to_vec();
            check_len("certificate digest", 64, value.len())?;
            d.end_of("CertDigestObj")?;
            certs.push(SesCertRef::Digest { algorithm, value });
        } else {
            let c = list.octets("SES_ESPropertyInfo.certList")?;
            cert("SES_ESPropertyInfo.certList", c)?;
            certs.push(SesCertRef::Certificate(c.to_vec()));
        }
    }
    if certs.is_empty() {
        return Err(SesError::Invalid {
            field: "SES_ESPropertyInfo.certList",
            reason: "names no certificate",
        });
    }
    let digests = certs
        .iter()
        .filter(|c| matches!(c, SesCertRef::Digest { .. }))
        .count();
    let expect_digests = match cert_list_type {
        Some(1) | None => 0,
        Some(2) => certs.len(),
        Some(_) => {
            return Err(SesError::Invalid {
                field: "SES_ESPropertyInfo.certListType",
                reason: "must be 1 (certificates) or 2 (digests)",
            });
        }
    };
    if digests != expect_digests {
        return Err(SesError::Invalid {
            field: "SES_ESPropertyInfo.certList",
            reason: "entries do not match certListType",
        });
    }
    let created = read_time(&mut p, "SES_ESPropertyInfo.createDate")?;
    let valid_from = read_time(&mut p, "SES_ESPropertyInfo.validStart")?;
    let valid_to = read_time(&mut p, "SES_ESPropertyInfo.validEnd")?;
    p.end_of("SES_ESPropertyInfo")?;
    let mut pic = si.sequence("SES_ESPictrueInfo")?;
    let kind = text("SES_ESPictrueInfo.type", pic.ia5("SES_ESPictrueInfo.type")?)?.to_owned();
    let data = pic.octets("SES_ESPictrueInfo.data")?;
    check_len("picture", ses_limits::PICTURE_BYTES, data.len())?;
    let width_mm = pic.uint("SES_ESPictrueInfo.width")?;
    let height_mm = pic.uint("SES_ESPictrueInfo.height")?;
    pic.end_of("SES_ESPictrueInfo")?;
    let extensions = if si.is_empty() {
        None
    } else {
        Some(read_extensions(&mut si, "SES_SealInfo.extDatas")?)
    };
    si.end_of("SES_SealInfo")?;
    Ok(SesSealInfo {
        version,
        vendor,
        id,
        seal_type,
        name,
        cert_list_type,
        certs,
        created,
        valid_from,
        valid_to,
        picture: SesPicture {
            kind,
            data: data.to_vec(),
            width_mm,
            height_mm,
        },
        extensions,
    })
}

/// Writes SES_SealInfo.
pub(crate) fn write_seal_info(out: &mut Vec<u8>, i: &SesSealInfo) {
    der::write_constructed(out, tag::SEQUENCE, |o| {
        der::write_constructed(o, tag::SEQUENCE, |o| {
            der::write_tlv(o, tag::IA5_STRING, b"ES");
            der::write_u64(o, i.version.number());
            der::write_tlv(o, tag::IA5_STRING, i.vendor.as_bytes());
        });
        der::write_tlv(o, tag::IA5_STRING, i.id.as_bytes());
        der::write_constructed(o, tag::SEQUENCE, |o| {
            der::write_u64(o, i.seal_type);
            der::write_tlv(o, tag::UTF8_STRING, i.name.as_bytes());
            if let Some(t) = i.cert_list_type {
                der::write_u64(o, t);
            }
            der::write_constructed(o, tag::SEQUENCE, |o| {
                for c in &i.certs {
                    match c {
                        SesCertRef::Certificate(d) => der::write_tlv(o, tag::OCTET_STRING, d),
                        SesCertRef::Digest { algorithm, value } => {
                            der::write_constructed(o, tag::SEQUENCE, |o| {
                                der::write_tlv(o, tag::PRINTABLE_STRING, algorithm.as_bytes());
                                der::write_tlv(o, tag::OCTET_STRING, value);
                            });
                        }
                    }
                }
            });
            for t in [i.created, i.valid_from, i.valid_to] {
                der::write_time(o, t.at, t.kind);
            }
        });
        der::write_constructed(o, tag::SEQUENCE, |o| {
            der::write_tlv(o, tag::IA5_STRING, i.picture.kind.as_bytes());
            der::write_tlv(o, tag::OCTET_STRING, &i.picture.data);
            der::write_u64(o, i.picture.width_mm);
            der::write_u64(o, i.picture.height_mm);
        });
        if let Some(list) = &i.extensions {
            write_extensions(o, list);
        }
    });
}

impl SesSeal {
    /// Decodes a seal (strict DER, limits in [`ses_limits`]).
    pub fn decode(bytes: &[u8]) -> Result<SesSeal, SesError> {
        check_len("seal", ses_limits::BYTES, bytes.len())?;
        let mut top = Reader::new(bytes, ses_limits::DEPTH)?;
        let seal = SesSeal::read(&mut top)?;
        top.end()?;
        Ok(seal)
    }

    fn read(r: &mut Reader<'_>) -> Result<SesSeal, SesError> {
        let (mut s, whole) = r.sequence_with_bytes("SES_Seal")?;
        let before = s.clone();
        let info = read_seal_info(&mut s)?;
        let info_len = before.remaining().saturating_sub(s.remaining());
        let maker_der = s.octets("SES_Seal.cert")?;
        let maker = cert("SES_Seal.cert", maker_der)?;
        let algorithm = s.oid("SES_Seal.signAlgID")?.to_vec();
        let signature = s.bits("SES_Seal.signedValue")?.to_vec();
        check_len("seal signature", 1024, signature.len())?;
        s.end_of("SES_Seal")?;
        let header = whole.len().saturating_sub(before.remaining());
        Ok(SesSeal(Arc::new(SealInner {
            info,
            maker,
            algorithm,
            signature,
            bytes: whole.to_vec(),
            info_len: (header, header + info_len),
        })))
    }

    /// The signed seal information.
    pub fn info(&self) -> &SesSealInfo {
        &self.0.info
    }
    /// Edition.
    pub fn version(&self) -> SesVersion {
        self.0.info.version
    }
    /// The maker's certificate.
    pub fn maker(&self) -> &Certificate {
        &self.0.maker
    }
    /// The maker's signature algorithm (dotted OID).
    pub fn signature_algorithm(&self) -> String {
        der::oid_text(&self.0.algorithm)
    }
    /// The maker's signature value (for SM2, the DER `SEQUENCE { r, s }`).
    pub fn signature(&self) -> &[u8] {
        &self.0.signature
    }
    /// The seal's DER.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0.bytes
    }
    /// The DER of SES_SealInfo as it was read.
    pub fn info_bytes(&self) -> &[u8] {
        self.0
            .bytes
            .get(self.0.info_len.0..self.0.info_len.1)
            .unwrap_or_default()
    }
    /// Re-encodes the seal from its fields (equal to the input it was decoded from).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.0.bytes.len());
        der::write_constructed(&mut out, tag::SEQUENCE, |o| {
            write_seal_info(o, &self.0.info);
            der::write_tlv(o, tag::OCTET_STRING, self.0.maker.der());
            der::write_tlv(o, tag::OID, &self.0.algorithm);
            der::write_bits(o, &self.0.signature);
        });
        out
    }

    /// Assembles a seal from its parts and decodes the result (so it obeys every limit).
    pub(crate) fn assemble(
        info: &SesSealInfo,
        maker: &Certificate,
        signature: &[u8],
    ) -> Result<SesSeal, SesError> {
        let mut out = Vec::new();
        der::write_constructed(&mut out, tag::SEQUENCE, |o| {
            write_seal_info(o, info);
            der::write_tlv(o, tag::OCTET_STRING, maker.der());
            der::write_tlv(o, tag::OID, &sm2_with_sm3_oid());
            der::write_bits(o, signature);
        });
        SesSeal::decode(&out)
    }
}

/// The DER contents of the SM2-with-SM3 OID.
pub(crate) fn sm2_with_sm3_oid() -> Vec<u8> {
    der::oid_bytes(SM2_WITH_SM3).unwrap_or_default()
}

/// What the signer signs (TBS_Sign), as fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SesToSign {
    /// Edition (TBS_Sign.version).
    pub version: SesVersion,
    /// The seal.
    pub seal: SesSeal,
    /// Signing time (timeInfo).
    pub time: SesTime,
    /// Digest of the signed data (dataHash), SM3 for SM2 signatures.
    pub data_hash: Vec<u8>,
    /// What was signed, e.g. the path of an OFD signature file (propertyInfo).
    pub property_info: String,
    /// Extensions (version 5 only).
    pub extensions: Option<Vec<SesExtension>>,
}

/// A decoded electronic seal signature (SES_Signature). Cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SesSignature(Arc<SigInner>);

#[derive(Debug, PartialEq, Eq)]
struct SigInner {
    tbs: SesToSign,
    signer: Certificate,
    algorithm: Vec<u8>,
    signature: Vec<u8>,
    timestamp: Option<Vec<u8>>,
    bytes: Vec<u8>,
    tbs_span: (usize, usize),
}

/// Writes TBS_Sign.
pub(crate) fn write_tbs(out: &mut Vec<u8>, t: &SesToSign) {
    der::write_constructed(out, tag::SEQUENCE, |o| {
        der::write_u64(o, t.version.number());
        o.extend_from_slice(t.seal.as_bytes());
        der::write_time(o, t.time.at, t.time.kind);
        der::write_bits(o, &t.data_hash);
        der::write_tlv(o, tag::IA5_STRING, t.property_info.as_bytes());
        if let Some(list) = &t.extensions {
            write_extensions(o, list);
        }
    });
}

/// Context tag [0] constructed (the explicit timeStamp).
const TIMESTAMP_TAG: u8 = 0xa0;

impl SesSignature {
    /// Decodes a seal signature (strict DER, limits in [`ses_limits`]).
    pub fn decode(bytes: &[u8]) -> Result<SesSignature, SesError> {
        check_len("signature", ses_limits::BYTES, bytes.len())?;
        let mut top = Reader::new(bytes, ses_limits::DEPTH)?;
        let (mut s, whole) = top.sequence_with_bytes("SES_Signature")?;
        top.end()?;
        let before = s.remaining();
        let (mut t, tbs_whole) = s.sequence_with_bytes("TBS_Sign")?;
        let tbs_start = whole.len().saturating_sub(before);
        let version = SesVersion::from_number("TBS_Sign.version", t.uint("TBS_Sign.version")?)?;
        let seal = SesSeal::read(&mut t)?;
        if seal.version() != version {
            return Err(SesError::Invalid {
                field: "TBS_Sign.version",
                reason: "differs from the seal's version",
            });
        }
        let time = read_time(&mut t, "TBS_Sign.timeInfo")?;
        let data_hash = t.bits("TBS_Sign.dataHash")?.to_vec();
        check_len("data hash", 64, data_hash.len())?;
        let property_info =
            text("TBS_Sign.propertyInfo", t.ia5("TBS_Sign.propertyInfo")?)?.to_owned();
        let extensions = if t.is_empty() {
            None
        } else if version == SesVersion::V5 {
            Some(read_extensions(&mut t, "TBS_Sign.extDatas")?)
        } else {
            return Err(SesError::Invalid {
                field: "TBS_Sign",
                reason: "unexpected elements at the end",
            });
        };
        t.end_of("TBS_Sign")?;
        let signer_der = s.octets("SES_Signature.cert")?;
        let signer = cert("SES_Signature.cert", signer_der)?;
        let algorithm = s.oid("SES_Signature.signatureAlgID")?.to_vec();
        let signature = s.bits("SES_Signature.signature")?.to_vec();
        check_len("signature value", 1024, signature.len())?;
        let timestamp = if s.is_empty() || version == SesVersion::V4 {
            None
        } else {
            let mut ts = s.constructed(TIMESTAMP_TAG, "SES_Signature.timeStamp")?;
            let v = ts.bits("SES_Signature.timeStamp")?.to_vec();
            ts.end_of("SES_Signature.timeStamp")?;
            Some(v)
        };
        s.end_of("SES_Signature")?;
        Ok(SesSignature(Arc::new(SigInner {
            tbs: SesToSign {
                version,
                seal,
                time,
                data_hash,
                property_info,
                extensions,
            },
            signer,
            algorithm,
            signature,
            timestamp,
            bytes: whole.to_vec(),
            tbs_span: (tbs_start, tbs_start + tbs_whole.len()),
        })))
    }

    /// What was signed.
    pub fn to_sign(&self) -> &SesToSign {
        &self.0.tbs
    }
    /// Edition.
    pub fn version(&self) -> SesVersion {
        self.0.tbs.version
    }
    /// The seal used.
    pub fn seal(&self) -> &SesSeal {
        &self.0.tbs.seal
    }
    /// The signer's certificate.
    pub fn signer(&self) -> &Certificate {
        &self.0.signer
    }
    /// Signature algorithm (dotted OID).
    pub fn signature_algorithm(&self) -> String {
        der::oid_text(&self.0.algorithm)
    }
    /// The signature value (for SM2, the DER `SEQUENCE { r, s }`).
    pub fn signature(&self) -> &[u8] {
        &self.0.signature
    }
    /// The timestamp token over the signature, if any (version 5).
    pub fn timestamp(&self) -> Option<&[u8]> {
        self.0.timestamp.as_deref()
    }
    /// The signature's DER.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0.bytes
    }
    /// The DER of TBS_Sign as read: what the signer signed.
    pub fn tbs_bytes(&self) -> &[u8] {
        self.0
            .bytes
            .get(self.0.tbs_span.0..self.0.tbs_span.1)
            .unwrap_or_default()
    }

    /// Re-encodes the signature from its fields (equal to its input).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.0.bytes.len());
        der::write_constructed(&mut out, tag::SEQUENCE, |o| {
            write_tbs(o, &self.0.tbs);
            der::write_tlv(o, tag::OCTET_STRING, self.0.signer.der());
            der::write_tlv(o, tag::OID, &self.0.algorithm);
            der::write_bits(o, &self.0.signature);
            if let Some(ts) = &self.0.timestamp {
                der::write_constructed(o, TIMESTAMP_TAG, |o| der::write_bits(o, ts));
            }
        });
        out
    }

    /// Assembles a signature from its parts and decodes it.
    pub(crate) fn assemble(
        tbs: &SesToSign,
        signer: &Certificate,
        signature: &[u8],
    ) -> Result<SesSignature, SesError> {
        let mut out = Vec::new();
        der::write_constructed(&mut out, tag::SEQUENCE, |o| {
            write_tbs(o, tbs);
            der::write_tlv(o, tag::OCTET_STRING, signer.der());
            der::write_tlv(o, tag::OID, &sm2_with_sm3_oid());
            der::write_bits(o, signature);
        });
        SesSignature::decode(&out)
    }
}
