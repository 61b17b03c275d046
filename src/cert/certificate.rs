//! [`Certificate`]: an X.509 certificate parsed once, eagerly, into owned fields.

use core::fmt;
use core::ops::Range;
use std::sync::Arc;

use sha2::Digest as _;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;
use x509_parser::time::ASN1Time;
use x509_parser::x509::{AlgorithmIdentifier, SubjectPublicKeyInfo};

use super::error::CertError;
use super::{name, pem};
use crate::date::Timestamp;
use crate::ids::Uscc;
use crate::sign::{KeyError, PublicKey, Signature};

/// Largest certificate DER accepted; larger input is refused before parsing.
pub(super) const MAX_DER_BYTES: usize = 16 * 1024;
/// Most certificates in one PEM bundle.
pub(super) const MAX_BUNDLE_CERTS: usize = 64;
/// Largest PEM text per certificate (16 KiB of DER is about 22 KiB of base64,
/// plus room for line breaks and explanatory text).
const MAX_PEM_BYTES_PER_CERT: usize = 32 * 1024;

/// id-Ed25519 (RFC 8410).
const ED25519: &str = "1.3.101.112";

/// Extensions whose meaning this crate enforces (or that carry no constraint
/// for it), so they may be critical.
const UNDERSTOOD_EXTENSIONS: [&str; 5] = [
    "2.5.29.19", // basicConstraints
    "2.5.29.15", // keyUsage
    "2.5.29.14", // subjectKeyIdentifier
    "2.5.29.35", // authorityKeyIdentifier
    "2.5.29.17", // subjectAltName (names are not used for path building)
];

/// The keyUsage extension (RFC 5280 §4.2.1.3).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyUsage(u16);

impl KeyUsage {
    fn bit(self, n: u16) -> bool {
        (self.0 >> n) & 1 == 1
    }

    /// digitalSignature.
    pub fn digital_signature(&self) -> bool {
        self.bit(0)
    }

    /// nonRepudiation (contentCommitment).
    pub fn non_repudiation(&self) -> bool {
        self.bit(1)
    }

    /// keyEncipherment.
    pub fn key_encipherment(&self) -> bool {
        self.bit(2)
    }

    /// keyCertSign: the key signs certificates.
    pub fn key_cert_sign(&self) -> bool {
        self.bit(5)
    }

    /// cRLSign: the key signs revocation lists.
    pub fn crl_sign(&self) -> bool {
        self.bit(6)
    }
}

impl fmt::Debug for KeyUsage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [&str; 9] = [
            "digitalSignature",
            "nonRepudiation",
            "keyEncipherment",
            "dataEncipherment",
            "keyAgreement",
            "keyCertSign",
            "cRLSign",
            "encipherOnly",
            "decipherOnly",
        ];
        let mut list = f.debug_set();
        for (n, name) in (0u16..).zip(NAMES) {
            if self.bit(n) {
                list.entry(&format_args!("{name}"));
            }
        }
        list.finish()
    }
}

/// The signature algorithm of a certificate, as far as we care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SignatureAlgorithm {
    Ed25519,
    /// SM2-with-SM3 (GM/T 0015), verified with the standard user id.
    #[cfg(feature = "gm")]
    Sm2Sm3,
    Unsupported(String),
}

/// An X.509 certificate.
///
/// Parsed once, eagerly, when made: every field this crate reads is extracted
/// then, and the DER is kept byte for byte. Cloning is cheap (shared).
/// Equality and hashing are on the DER. `Debug` shows the subject and the
/// SHA-256 fingerprint.
///
/// The organisation a certificate belongs to is named by the subject attribute
/// organizationIdentifier; see [`Certificate::organization`].
#[derive(Clone)]
pub struct Certificate {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    der: Box<[u8]>,
    tbs: Range<usize>,
    fingerprint: [u8; 32],
    subject: String,
    issuer: String,
    subject_raw: Box<[u8]>,
    issuer_raw: Box<[u8]>,
    serial_hex: String,
    not_before: Timestamp,
    not_after: Timestamp,
    signature_algorithm: SignatureAlgorithm,
    signature: Option<Signature>,
    key: Result<PublicKey, CertError>,
    #[cfg(feature = "gm")]
    sm2: Option<Sm2Parts>,
    basic_constraints: Option<(bool, Option<u32>)>,
    key_usage: Option<KeyUsage>,
    subject_key_id: Option<Box<[u8]>>,
    authority_key_id: Option<Box<[u8]>>,
    unsupported_critical: Option<String>,
    organization: Option<Uscc>,
    organization_name: Option<String>,
    common_name: Option<String>,
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.inner.der == other.inner.der
    }
}
impl Eq for Certificate {}
impl core::hash::Hash for Certificate {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.inner.der.hash(state);
    }
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.inner.subject)
            .field("fingerprint", &crate::model::hex(&self.inner.fingerprint))
            .finish()
    }
}

fn der_error(reason: impl fmt::Display) -> CertError {
    CertError::Der {
        reason: reason.to_string(),
    }
}

/// Offset of `inner` within `outer`, when it is a sub-slice of it.
fn range_in(outer: &[u8], inner: &[u8]) -> Option<Range<usize>> {
    let start = inner.as_ptr().addr().checked_sub(outer.as_ptr().addr())?;
    let end = start.checked_add(inner.len())?;
    (end <= outer.len()).then_some(start..end)
}

fn timestamp(t: ASN1Time) -> Timestamp {
    let unix = t.timestamp();
    Timestamp::from_unix(unix).unwrap_or(if unix < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// An SM2 subject key and the certificate's SM2 signature, when present.
#[cfg(feature = "gm")]
#[derive(Clone)]
struct Sm2Parts {
    key: Option<crate::gm::Sm2PublicKey>,
    signature: Option<crate::gm::Sm2Signature>,
}

/// id-ecPublicKey with the SM2 curve (or the SM2 key OID some issuers write).
#[cfg(feature = "gm")]
fn sm2_parts(x509: &X509Certificate<'_>) -> Option<Sm2Parts> {
    let spki = &x509.tbs_certificate.subject_pki;
    let alg = spki.algorithm.algorithm.to_id_string();
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| o.to_id_string());
    let sm2_key = (alg == "1.2.840.10045.2.1" && curve.as_deref() == Some("1.2.156.10197.1.301"))
        || alg == "1.2.156.10197.1.301";
    let key = (sm2_key && spki.subject_public_key.unused_bits == 0)
        .then(|| crate::gm::Sm2PublicKey::from_sec1(&spki.subject_public_key.data).ok())
        .flatten();
    let signature = (x509.signature_algorithm.algorithm.to_id_string() == crate::gm::SM2_WITH_SM3
        && x509.signature_value.unused_bits == 0)
        .then(|| crate::gm::Sm2Signature::from_der(&x509.signature_value.data).ok())
        .flatten();
    (key.is_some() || signature.is_some()).then_some(Sm2Parts { key, signature })
}

/// The name of a signature algorithm: known names, else the dotted OID.
fn signature_algorithm(alg: &AlgorithmIdentifier<'_>) -> SignatureAlgorithm {
    let oid = alg.algorithm.to_id_string();
    if oid == ED25519 {
        // RFC 8410 §3: the parameters MUST be absent.
        return match alg.parameters {
            None => SignatureAlgorithm::Ed25519,
            Some(_) => SignatureAlgorithm::Unsupported("Ed25519 with parameters".into()),
        };
    }
    let name = match oid.as_str() {
        "1.3.101.113" => "Ed448",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        #[cfg(feature = "gm")]
        "1.2.156.10197.1.501" => return SignatureAlgorithm::Sm2Sm3,
        #[cfg(not(feature = "gm"))]
        "1.2.156.10197.1.501" => "SM2-with-SM3 (build with feature gm)",
        _ => return SignatureAlgorithm::Unsupported(oid),
    };
    SignatureAlgorithm::Unsupported(name.into())
}

/// The subject key if it is a usable Ed25519 key, else why not.
fn subject_key(spki: &SubjectPublicKeyInfo<'_>) -> Result<PublicKey, CertError> {
    let oid = spki.algorithm.algorithm.to_id_string();
    if oid != ED25519 {
        let name = match oid.as_str() {
            "1.2.840.10045.2.1" => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .map(|o| o.to_id_string());
                let curve = match curve.as_deref() {
                    Some("1.2.840.10045.3.1.7") => "P-256".to_owned(),
                    Some("1.3.132.0.34") => "P-384".to_owned(),
                    Some("1.3.132.0.35") => "P-521".to_owned(),
                    Some("1.2.156.10197.1.301") => "SM2".to_owned(),
                    Some(other) => other.to_owned(),
                    None => "no named curve".to_owned(),
                };
                format!("id-ecPublicKey ({curve})")
            }
            "1.2.840.113549.1.1.1" => "rsaEncryption".into(),
            "1.2.840.113549.1.1.10" => "RSASSA-PSS".into(),
            "1.3.101.110" => "X25519".into(),
            "1.3.101.111" => "X448".into(),
            "1.3.101.113" => "Ed448".into(),
            "1.2.156.10197.1.301" => "SM2".into(),
            _ => oid,
        };
        return Err(CertError::UnsupportedKeyAlgorithm { algorithm: name });
    }
    if spki.algorithm.parameters.is_some() || spki.subject_public_key.unused_bits != 0 {
        return Err(CertError::InvalidKey);
    }
    PublicKey::from_slice(&spki.subject_public_key.data).map_err(|e| match e {
        KeyError::WeakKey => CertError::WeakKey,
        _ => CertError::InvalidKey,
    })
}

/// The USCC of an organizationIdentifier value: `NTRCN-<USCC>` (ETSI EN
/// 319 412-1 §5.1.4) or a bare USCC.
pub(super) fn organization_uscc(value: &str) -> Option<Uscc> {
    Uscc::parse(value.strip_prefix("NTRCN-").unwrap_or(value)).ok()
}

impl Certificate {
    /// Parses one DER certificate. Input over 16 KiB is refused before parsing;
    /// bytes after the certificate's outer SEQUENCE are an error.
    pub fn from_der(der: &[u8]) -> Result<Certificate, CertError> {
        if der.len() > MAX_DER_BYTES {
            return Err(CertError::TooLarge {
                what: "certificate DER",
                max: MAX_DER_BYTES,
                found: der.len(),
            });
        }
        let der: Box<[u8]> = der.into();
        let (rest, x509) = x509_parser::parse_x509_certificate(&der).map_err(der_error)?;
        if !rest.is_empty() {
            return Err(CertError::TrailingData { bytes: rest.len() });
        }
        let inner = Self::extract(&der, &x509)?;
        drop(x509);
        Ok(Certificate {
            inner: Arc::new(Inner { der, ..inner }),
        })
    }

    fn extract(der: &[u8], x509: &X509Certificate<'_>) -> Result<Inner, CertError> {
        let tbs = &x509.tbs_certificate;
        if tbs.signature != x509.signature_algorithm {
            return Err(CertError::SignatureAlgorithmMismatch);
        }
        let tbs_range = range_in(der, tbs.as_ref()).ok_or_else(|| der_error("TBS not found"))?;

        let mut basic_constraints = None;
        let mut key_usage = None;
        let mut subject_key_id = None;
        let mut authority_key_id = None;
        let mut unsupported_critical = None;
        let mut seen: Vec<String> = Vec::new();
        for ext in tbs.extensions() {
            let oid = ext.oid.to_id_string();
            if seen.contains(&oid) {
                return Err(der_error(format!("duplicate extension {oid}")));
            }
            match ext.parsed_extension() {
                ParsedExtension::BasicConstraints(bc) => {
                    basic_constraints = Some((bc.ca, bc.path_len_constraint));
                }
                ParsedExtension::KeyUsage(ku) => key_usage = Some(KeyUsage(ku.flags)),
                ParsedExtension::SubjectKeyIdentifier(id) => subject_key_id = Some(id.0.into()),
                ParsedExtension::AuthorityKeyIdentifier(aki) => {
                    authority_key_id = aki.key_identifier.as_ref().map(|id| id.0.into());
                }
                ParsedExtension::ParseError { error }
                    if ext.critical || UNDERSTOOD_EXTENSIONS.contains(&oid.as_str()) =>
                {
                    return Err(der_error(format!("extension {oid}: {error}")));
                }
                _ => {}
            }
            if ext.critical
                && !UNDERSTOOD_EXTENSIONS.contains(&oid.as_str())
                && unsupported_critical.is_none()
            {
                unsupported_critical = Some(oid.clone());
            }
            seen.push(oid);
        }

        let subject = &tbs.subject;
        let signature = (x509.signature_value.unused_bits == 0)
            .then(|| Signature::from_slice(&x509.signature_value.data).ok())
            .flatten();
        Ok(Inner {
            der: Box::default(),
            tbs: tbs_range,
            fingerprint: sha2::Sha256::digest(der).into(),
            subject: name::display(subject),
            issuer: name::display(&tbs.issuer),
            subject_raw: subject.as_raw().into(),
            issuer_raw: tbs.issuer.as_raw().into(),
            serial_hex: crate::model::hex(tbs.raw_serial()),
            not_before: timestamp(tbs.validity.not_before),
            not_after: timestamp(tbs.validity.not_after),
            signature_algorithm: signature_algorithm(&x509.signature_algorithm),
            signature,
            key: subject_key(&tbs.subject_pki),
            #[cfg(feature = "gm")]
            sm2: sm2_parts(x509),
            basic_constraints,
            key_usage,
            subject_key_id,
            authority_key_id,
            unsupported_critical,
            organization: name::single_text(subject, name::ORGANIZATION_IDENTIFIER)
                .as_deref()
                .and_then(organization_uscc),
            organization_name: name::single_text(subject, name::ORGANIZATION_NAME),
            common_name: name::single_text(subject, name::COMMON_NAME),
        })
    }

    /// Parses a PEM text holding exactly one `CERTIFICATE` block (explanatory
    /// text around it is ignored; other PEM blocks are an error).
    pub fn from_pem(pem: &str) -> Result<Certificate, CertError> {
        if pem.len() > MAX_PEM_BYTES_PER_CERT {
            return Err(CertError::TooLarge {
                what: "PEM text",
                max: MAX_PEM_BYTES_PER_CERT,
                found: pem.len(),
            });
        }
        let mut blocks = pem::blocks(pem, 2, MAX_DER_BYTES)
            .map_err(|e| match e {
                CertError::TooManyCertificates { .. } => CertError::Pem {
                    reason: "more than one CERTIFICATE block",
                },
                e => e,
            })?
            .into_iter();
        match (blocks.next(), blocks.next()) {
            (Some(der), None) => Certificate::from_der(&der),
            _ => Err(CertError::Pem {
                reason: "no CERTIFICATE block",
            }),
        }
    }

    /// Parses every `CERTIFICATE` block of a PEM text, in order (at most 64).
    pub fn pem_bundle(pem: &str) -> Result<Vec<Certificate>, CertError> {
        let max = MAX_BUNDLE_CERTS * MAX_PEM_BYTES_PER_CERT;
        if pem.len() > max {
            return Err(CertError::TooLarge {
                what: "PEM text",
                max,
                found: pem.len(),
            });
        }
        pem::blocks(pem, MAX_BUNDLE_CERTS, MAX_DER_BYTES)?
            .iter()
            .map(|der| Certificate::from_der(der))
            .collect()
    }

    /// As one PEM `CERTIFICATE` block (64-character lines, LF line endings).
    pub fn to_pem(&self) -> String {
        pem::encode(&self.inner.der)
    }

    /// The DER bytes, exactly as parsed.
    pub fn der(&self) -> &[u8] {
        &self.inner.der
    }

    /// A copy that shares nothing with `self` (its own reference count), for
    /// threads that would otherwise contend on one.
    pub(crate) fn detached(&self) -> Certificate {
        Certificate {
            inner: Arc::new((*self.inner).clone()),
        }
    }

    /// SHA-256 of the DER: how status sources and seals name a certificate.
    pub fn fingerprint(&self) -> [u8; 32] {
        self.inner.fingerprint
    }

    /// The subject name as an RFC 4514-style string (`CN=…,O=…,C=CN`: last RDN
    /// first, special characters escaped, non-string values as `#hex`).
    pub fn subject(&self) -> &str {
        &self.inner.subject
    }

    /// The issuer name, in the same form as [`Certificate::subject`].
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The serial number's DER content octets in lower-case hex.
    pub fn serial_hex(&self) -> &str {
        &self.inner.serial_hex
    }

    /// notBefore (times outside years 1000..=9999 are clamped to that range).
    pub fn not_before(&self) -> Timestamp {
        self.inner.not_before
    }

    /// notAfter (times outside years 1000..=9999 are clamped to that range).
    pub fn not_after(&self) -> Timestamp {
        self.inner.not_after
    }

    /// Whether `at` lies in `[notBefore, notAfter]` (both inclusive, RFC 5280).
    pub fn is_valid_at(&self, at: Timestamp) -> bool {
        self.inner.not_before <= at && at <= self.inner.not_after
    }

    /// The subject's Ed25519 public key.
    ///
    /// # Errors
    /// [`CertError::UnsupportedKeyAlgorithm`] naming any other algorithm,
    /// [`CertError::WeakKey`] for a small-order point, [`CertError::InvalidKey`]
    /// for a malformed key.
    pub fn ed25519_key(&self) -> Result<&PublicKey, CertError> {
        self.inner.key.as_ref().map_err(Clone::clone)
    }

    /// The subject's SM2 public key (for the standard user id), feature `gm`.
    ///
    /// # Errors
    /// [`CertError::UnsupportedKeyAlgorithm`] when the key is not SM2, or
    /// [`CertError::InvalidKey`] when it is an SM2 key that is not a point.
    #[cfg(feature = "gm")]
    pub fn sm2_key(&self) -> Result<&crate::gm::Sm2PublicKey, CertError> {
        if let Some(k) = self.inner.sm2.as_ref().and_then(|p| p.key.as_ref()) {
            return Ok(k);
        }
        match &self.inner.key {
            Err(CertError::UnsupportedKeyAlgorithm { algorithm }) if algorithm.contains("SM2") => {
                Err(CertError::InvalidKey)
            }
            Err(e) => Err(e.clone()),
            Ok(_) => Err(CertError::UnsupportedKeyAlgorithm {
                algorithm: "Ed25519".into(),
            }),
        }
    }

    /// Whether basicConstraints says `CA:true`.
    pub fn is_ca(&self) -> bool {
        matches!(self.inner.basic_constraints, Some((true, _)))
    }

    /// basicConstraints' pathLenConstraint of a CA (`None` if absent or not a CA).
    pub fn path_len_constraint(&self) -> Option<u32> {
        match self.inner.basic_constraints {
            Some((true, len)) => len,
            _ => None,
        }
    }

    /// The keyUsage extension, if present.
    pub fn key_usage(&self) -> Option<KeyUsage> {
        self.inner.key_usage
    }

    /// The organisation the certificate belongs to: the USCC in the subject's
    /// organizationIdentifier (`NTRCN-<USCC>`, or a bare USCC). `None` if the
    /// attribute is absent, repeated, or not a valid USCC.
    pub fn organization(&self) -> Option<&Uscc> {
        self.inner.organization.as_ref()
    }

    /// The subject's organizationName (O), if exactly one is present.
    pub fn organization_name(&self) -> Option<&str> {
        self.inner.organization_name.as_deref()
    }

    /// The subject's commonName (CN), if exactly one is present.
    pub fn common_name(&self) -> Option<&str> {
        self.inner.common_name.as_deref()
    }

    // ----- for path building -----

    pub(super) fn tbs(&self) -> Option<&[u8]> {
        self.inner.der.get(self.inner.tbs.clone())
    }

    pub(super) fn signature(&self) -> Option<&Signature> {
        self.inner.signature.as_ref()
    }

    /// The subject name's DER (for issuing certificates under this one).
    #[cfg(feature = "gm")]
    pub(crate) fn subject_raw(&self) -> &[u8] {
        &self.inner.subject_raw
    }

    #[cfg(feature = "gm")]
    pub(super) fn sm2_signature(&self) -> Option<&crate::gm::Sm2Signature> {
        self.inner.sm2.as_ref().and_then(|p| p.signature.as_ref())
    }

    pub(super) fn signature_algorithm(&self) -> &SignatureAlgorithm {
        &self.inner.signature_algorithm
    }

    pub(super) fn unsupported_critical_extension(&self) -> Option<&str> {
        self.inner.unsupported_critical.as_deref()
    }

    /// Whether `issuer` may have issued this certificate: names equal byte for
    /// byte, and key identifiers equal when both are present.
    pub(super) fn may_be_issued_by(&self, issuer: &Certificate) -> bool {
        if self.inner.issuer_raw != issuer.inner.subject_raw {
            return false;
        }
        match (&self.inner.authority_key_id, &issuer.inner.subject_key_id) {
            (Some(aki), Some(ski)) => aki == ski,
            _ => true,
        }
    }
}
