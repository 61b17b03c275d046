//! Signed trust lists (信任列表) for cross-region mutual recognition
//! (跨地区互通互认).
//!
//! A list operator (a national or provincial platform) publishes, as a
//! canonical-JSON document signed with its Ed25519 certificate, which
//! organisations it recognises: for each, a GB/T 2260 region, a role (issuer,
//! seal maker, status publisher, or a lower list operator), its certificates
//! or raw keys, the license types it may issue, and a validity window. The
//! list carries a sequence number (rollback protection, [`AcceptedSequences`])
//! and a next-update instant (a list past it is stale and refused unless the
//! caller takes [`crate::danger::accept_stale_trust_list`]).
//!
//! Several lists merge into a [`Recognition`]: the anchors and keys a
//! [`Verifier`](crate::Verifier) uses, plus, per organisation, what it is
//! recognised for. With [`Verifier::with_recognition`](crate::Verifier::with_recognition)
//! a license verifies only if a list entry recognises its issuer, with the
//! signing key or certificate that entry lists, for the license's type and
//! its region (the license's signed `region` field, which must lie inside the
//! entry's region) at the verification time; the report names the list and
//! the entry ([`Report::recognised_by`](crate::Report::recognised_by)).
//!
//! Hierarchy: a verifier names only the national operator's anchor. A
//! national list may carry `list_operator` entries; a list whose operator
//! certificate chains to such an entry's certificates (and not to the
//! verifier's anchors) is accepted *under* that entry: its publisher must be
//! the entry's organisation and every one of its entries must lie in the
//! entry's region. The byte layout is in docs/FORMAT.md §11.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::canonical::{Parser, read_value, to_canonical_vec};
use crate::cert::{
    CertUsage, Certificate, ChainError, ChainPolicy, TrustAnchors, VerifiedChain, verify_chain,
};
use crate::date::Timestamp;
use crate::document::{BASE64, DocView, SignerRef};
use crate::ids::{LicenseTypeCode, RegionCode, Uscc};
use crate::model::Organisation;
use crate::sign::{PublicKey, SignError, Signature, Signer};
use crate::status::{InMemoryStatus, StatusSource, UnknownStatus};
use crate::trust::TrustedKeys;

/// The `format` member of every trust list.
pub const TRUST_LIST_FORMAT: &str = "elicense-trustlist/1";
/// Domain separation of the operator's signature.
pub const TRUST_LIST_CONTEXT: &[u8] = b"elicense/1/trustlist\0";
/// Work budget: a larger list is refused unread.
pub const MAX_TRUST_LIST_BYTES: usize = 4 << 20;
/// Work budget: most entries in one list.
pub const MAX_TRUST_LIST_ENTRIES: usize = 4096;
/// Work budget: most certificates, keys or license types in one entry, and
/// certificates in the operator's chain.
pub const MAX_ENTRY_ITEMS: usize = 64;
/// Work budget: most lists merged into one [`Recognition`].
pub const MAX_MERGED_LISTS: usize = 256;
const MAX_DEPTH: usize = 8;
const MAX_TEXT_CHARS: usize = 200;

/// Why a trust list (or a merge of lists) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustListError {
    /// Larger than [`MAX_TRUST_LIST_BYTES`], or over another budget.
    #[error("trust list over its budget: {what} {found} > {limit}")]
    TooLarge {
        /// What was counted.
        what: &'static str,
        /// How many.
        found: usize,
        /// The limit.
        limit: usize,
    },
    /// Not a trust list: not canonical JSON, a missing or unknown member, a
    /// bad value.
    #[error("malformed trust list: {what}")]
    Malformed {
        /// What was wrong.
        what: String,
    },
    /// The operator's signature does not verify under its certificate's key.
    #[error("trust list signature does not verify")]
    BadSignature,
    /// The operator's certificate does not chain to a trusted anchor.
    #[error("trust list operator certificate rejected: {0}")]
    ChainRejected(ChainError),
    /// The operator certificate names another organisation than the
    /// publisher, or the list was accepted under a `list_operator` entry of
    /// another organisation.
    #[error("trust list publisher {publisher} is not the operator's organisation")]
    WrongPublisher {
        /// The publisher the list names.
        publisher: Uscc,
    },
    /// A list accepted under a `list_operator` entry has an entry outside
    /// that entry's region.
    #[error("trust list entry {entry} (region {region}) is outside its operator's region {scope}")]
    OutOfScope {
        /// The entry's index.
        entry: usize,
        /// Its region.
        region: RegionCode,
        /// The operator entry's region.
        scope: RegionCode,
    },
    /// The verification time is after the list's next-update.
    #[error("trust list is stale: next update was due {next_update}, verification time {at}")]
    Stale {
        /// When the next list was due.
        next_update: Timestamp,
        /// The verification time.
        at: Timestamp,
    },
    /// The list was issued after the verification time.
    #[error("trust list issued at {issued_at}, after the verification time {at}")]
    NotYetIssued {
        /// Its issued-at.
        issued_at: Timestamp,
        /// The verification time.
        at: Timestamp,
    },
    /// A lower sequence number than one already accepted from this publisher.
    #[error("trust list rollback: sequence {got} is below the accepted {accepted}")]
    Rollback {
        /// The highest sequence accepted before.
        accepted: u64,
        /// The list's sequence.
        got: u64,
    },
    /// The same sequence number as an accepted list, with other contents.
    #[error("trust list sequence {sequence} was already accepted with other contents")]
    SequenceReused {
        /// The sequence number.
        sequence: u64,
    },
    /// The operator certificate's key is not the signer's key (building).
    #[error("the operator certificate does not carry the signer's key")]
    OperatorKey,
    /// The signer failed (building).
    #[error("trust list signer failed: {0}")]
    Sign(String),
    /// One of several merged lists was refused.
    #[error("trust list {index}: {error}")]
    InList {
        /// Which list (0-based, in the order given).
        index: usize,
        /// Why.
        error: Box<TrustListError>,
    },
}

impl From<SignError> for TrustListError {
    fn from(e: SignError) -> Self {
        TrustListError::Sign(e.to_string())
    }
}

fn malformed(what: impl Into<String>) -> TrustListError {
    TrustListError::Malformed { what: what.into() }
}

/// What an entry recognises an organisation as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrustRole {
    /// 颁发机构: issues licenses of the listed types in the listed region.
    Issuer,
    /// 制章机构: makes seals; its certificates are anchors for seal makers.
    SealMaker,
    /// Publishes license status (snapshots) for the organisation; its raw keys
    /// verify [`StatusSnapshot`](crate::StatusSnapshot)s.
    StatusPublisher,
    /// Operates a lower trust list (a province under the national list).
    ListOperator,
}

impl TrustRole {
    /// The name in the document (`issuer`, `seal_maker`, `status_publisher`,
    /// `list_operator`).
    pub fn name(&self) -> &'static str {
        match self {
            TrustRole::Issuer => "issuer",
            TrustRole::SealMaker => "seal_maker",
            TrustRole::StatusPublisher => "status_publisher",
            TrustRole::ListOperator => "list_operator",
        }
    }

    /// The role of a name.
    pub fn parse(s: &str) -> Option<TrustRole> {
        [
            TrustRole::Issuer,
            TrustRole::SealMaker,
            TrustRole::StatusPublisher,
            TrustRole::ListOperator,
        ]
        .into_iter()
        .find(|r| r.name() == s)
    }
}

impl core::fmt::Display for TrustRole {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// One recognised organisation in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustEntry {
    region: RegionCode,
    organisation: Organisation,
    role: TrustRole,
    certificates: Vec<Certificate>,
    keys: Vec<PublicKey>,
    license_types: Vec<LicenseTypeCode>,
    valid_from: Timestamp,
    valid_to: Timestamp,
}

impl TrustEntry {
    /// An entry recognising `organisation` in `region` as `role` from
    /// `valid_from` to `valid_to` (inclusive), with no key material or types yet.
    ///
    /// # Errors
    /// [`TrustListError::Malformed`] if `valid_to < valid_from`.
    pub fn new(
        region: RegionCode,
        organisation: Organisation,
        role: TrustRole,
        valid_from: Timestamp,
        valid_to: Timestamp,
    ) -> Result<TrustEntry, TrustListError> {
        if valid_to < valid_from {
            return Err(malformed("entry valid_to is before valid_from"));
        }
        Ok(TrustEntry {
            region,
            organisation,
            role,
            certificates: Vec::new(),
            keys: Vec::new(),
            license_types: Vec::new(),
            valid_from,
            valid_to,
        })
    }

    /// With one more certificate (a CA or a pinned signing certificate).
    pub fn with_certificate(mut self, cert: Certificate) -> Self {
        self.certificates.push(cert);
        self
    }

    /// With one more raw Ed25519 key.
    pub fn with_key(mut self, key: PublicKey) -> Self {
        self.keys.push(key);
        self
    }

    /// With one more license type the organisation may issue.
    pub fn with_license_type(mut self, code: LicenseTypeCode) -> Self {
        self.license_types.push(code);
        self
    }

    /// The region (GB/T 2260) the recognition covers: it and everything in it.
    pub fn region(&self) -> &RegionCode {
        &self.region
    }
    /// The organisation.
    pub fn organisation(&self) -> &Organisation {
        &self.organisation
    }
    /// The role.
    pub fn role(&self) -> TrustRole {
        self.role
    }
    /// Its certificates.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }
    /// Its raw keys.
    pub fn keys(&self) -> &[PublicKey] {
        &self.keys
    }
    /// The license types it may issue.
    pub fn license_types(&self) -> &[LicenseTypeCode] {
        &self.license_types
    }
    /// First instant of recognition.
    pub fn valid_from(&self) -> Timestamp {
        self.valid_from
    }
    /// Last instant of recognition.
    pub fn valid_to(&self) -> Timestamp {
        self.valid_to
    }
    /// Whether the window covers `at`.
    pub fn is_valid_at(&self, at: Timestamp) -> bool {
        self.valid_from <= at && at <= self.valid_to
    }
}

// The wire form: members named and ordered as docs/FORMAT.md §11 says (the
// canonical writer sorts them).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireDoc {
    format: String,
    list: serde_json::Value,
    signature: WireSig,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireSig {
    algorithm: String,
    certificate: String,
    chain: Vec<String>,
    value: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireList {
    entries: Vec<WireEntry>,
    issued_at: String,
    next_update: String,
    publisher: WirePublisher,
    sequence: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WirePublisher {
    name: String,
    region: String,
    uscc: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireEntry {
    certificates: Vec<String>,
    keys: Vec<String>,
    license_types: Vec<String>,
    organisation: WireOrg,
    region: String,
    role: String,
    valid_from: String,
    valid_to: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireOrg {
    name: String,
    uscc: String,
}

/// The list body (everything the operator signs).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Body {
    publisher: Organisation,
    region: RegionCode,
    sequence: u64,
    issued_at: Timestamp,
    next_update: Timestamp,
    entries: Vec<TrustEntry>,
}

impl Body {
    fn to_wire(&self) -> WireList {
        WireList {
            entries: self
                .entries
                .iter()
                .map(|e| WireEntry {
                    certificates: e
                        .certificates
                        .iter()
                        .map(|c| BASE64.encode(c.der()))
                        .collect(),
                    keys: e.keys.iter().map(|k| BASE64.encode(k.as_bytes())).collect(),
                    license_types: e
                        .license_types
                        .iter()
                        .map(|t| t.as_str().to_owned())
                        .collect(),
                    organisation: WireOrg {
                        name: e.organisation.name().to_owned(),
                        uscc: e.organisation.code().as_str().to_owned(),
                    },
                    region: e.region.as_str().to_owned(),
                    role: e.role.name().to_owned(),
                    valid_from: e.valid_from.to_string(),
                    valid_to: e.valid_to.to_string(),
                })
                .collect(),
            issued_at: self.issued_at.to_string(),
            next_update: self.next_update.to_string(),
            publisher: WirePublisher {
                name: self.publisher.name().to_owned(),
                region: self.region.as_str().to_owned(),
                uscc: self.publisher.code().as_str().to_owned(),
            },
            sequence: self.sequence,
        }
    }

    fn canonical(&self) -> Result<Vec<u8>, TrustListError> {
        let v = serde_json::to_value(self.to_wire()).map_err(|e| malformed(e.to_string()))?;
        to_canonical_vec(&v).map_err(|e| malformed(e.to_string()))
    }

    fn from_wire(w: WireList) -> Result<Body, TrustListError> {
        if w.entries.len() > MAX_TRUST_LIST_ENTRIES {
            return Err(TrustListError::TooLarge {
                what: "entries",
                found: w.entries.len(),
                limit: MAX_TRUST_LIST_ENTRIES,
            });
        }
        if w.sequence > crate::canonical::MAX_SAFE_INTEGER {
            return Err(malformed("sequence"));
        }
        let publisher = organisation(&w.publisher.name, &w.publisher.uscc, "publisher")?;
        let region = region(&w.publisher.region, "publisher.region")?;
        let issued_at = timestamp(&w.issued_at, "issued_at")?;
        let next_update = timestamp(&w.next_update, "next_update")?;
        if next_update < issued_at {
            return Err(malformed("next_update is before issued_at"));
        }
        let mut entries = Vec::with_capacity(w.entries.len());
        for (i, e) in w.entries.into_iter().enumerate() {
            entries.push(entry_from_wire(e).map_err(|err| match err {
                TrustListError::Malformed { what } => malformed(format!("entry {i}: {what}")),
                other => other,
            })?);
        }
        Ok(Body {
            publisher,
            region,
            sequence: w.sequence,
            issued_at,
            next_update,
            entries,
        })
    }
}

fn budget(what: &'static str, found: usize) -> Result<(), TrustListError> {
    if found > MAX_ENTRY_ITEMS {
        return Err(TrustListError::TooLarge {
            what,
            found,
            limit: MAX_ENTRY_ITEMS,
        });
    }
    Ok(())
}

fn organisation(name: &str, uscc: &str, what: &str) -> Result<Organisation, TrustListError> {
    if name.chars().count() > MAX_TEXT_CHARS {
        return Err(malformed(format!("{what}.name is too long")));
    }
    let code = Uscc::parse(uscc).map_err(|e| malformed(format!("{what}.uscc: {e}")))?;
    let org = Organisation::new(name, code).map_err(|e| malformed(format!("{what}.name: {e}")))?;
    // One spelling per value.
    if org.code().as_str() != uscc || org.name() != name {
        return Err(malformed(format!("{what}: not in its normal form")));
    }
    Ok(org)
}

fn region(s: &str, what: &str) -> Result<RegionCode, TrustListError> {
    let r = RegionCode::parse(s).map_err(|e| malformed(format!("{what}: {e}")))?;
    if r.as_str() != s {
        return Err(malformed(format!("{what}: not in its normal form")));
    }
    Ok(r)
}

fn timestamp(s: &str, what: &str) -> Result<Timestamp, TrustListError> {
    let t = Timestamp::parse(s).map_err(|e| malformed(format!("{what}: {e}")))?;
    // One spelling per instant.
    if t.to_string() != s {
        return Err(malformed(format!(
            "{what}: not in the form YYYY-MM-DDTHH:MM:SSZ"
        )));
    }
    Ok(t)
}

fn b64(s: &str, what: &str) -> Result<Vec<u8>, TrustListError> {
    BASE64
        .decode(s)
        .map_err(|_| malformed(format!("{what}: not canonical base64")))
}

fn entry_from_wire(e: WireEntry) -> Result<TrustEntry, TrustListError> {
    budget("entry certificates", e.certificates.len())?;
    budget("entry keys", e.keys.len())?;
    budget("entry license types", e.license_types.len())?;
    let role = TrustRole::parse(&e.role).ok_or_else(|| malformed("role"))?;
    let mut entry = TrustEntry::new(
        region(&e.region, "region")?,
        organisation(&e.organisation.name, &e.organisation.uscc, "organisation")?,
        role,
        timestamp(&e.valid_from, "valid_from")?,
        timestamp(&e.valid_to, "valid_to")?,
    )?;
    for c in &e.certificates {
        let der = b64(c, "certificates")?;
        let cert =
            Certificate::from_der(&der).map_err(|err| malformed(format!("certificates: {err}")))?;
        entry.certificates.push(cert);
    }
    for k in &e.keys {
        let raw = b64(k, "keys")?;
        let key = PublicKey::from_slice(&raw).map_err(|err| malformed(format!("keys: {err}")))?;
        entry.keys.push(key);
    }
    for t in &e.license_types {
        let code =
            LicenseTypeCode::parse(t).map_err(|err| malformed(format!("license_types: {err}")))?;
        if code.as_str() != t {
            return Err(malformed("license_types: not in its normal form"));
        }
        if entry.license_types.contains(&code) {
            return Err(malformed("license_types: a type listed twice"));
        }
        entry.license_types.push(code);
    }
    if entry.certificates.is_empty() && entry.keys.is_empty() {
        return Err(malformed("an entry needs a certificate or a key"));
    }
    if role == TrustRole::Issuer && entry.license_types.is_empty() {
        return Err(malformed("an issuer entry needs license types"));
    }
    Ok(entry)
}

/// A trust list that decoded and whose operator signature verified (and,
/// made by [`TrustListVerifier::verify`], whose chain, freshness and sequence
/// passed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustList {
    body: Body,
    operator: Certificate,
    chain: Vec<Certificate>,
    bytes: Vec<u8>,
}

/// Builds and signs a trust list.
#[derive(Debug, Clone)]
pub struct TrustListBuilder {
    body: Body,
}

impl TrustListBuilder {
    /// A list by `publisher` (the operator's organisation) of `region`, with
    /// `sequence`, issued at `issued_at`, to be replaced by `next_update`.
    pub fn new(
        publisher: Organisation,
        region: RegionCode,
        sequence: u64,
        issued_at: Timestamp,
        next_update: Timestamp,
    ) -> TrustListBuilder {
        TrustListBuilder {
            body: Body {
                publisher,
                region,
                sequence,
                issued_at,
                next_update,
                entries: Vec::new(),
            },
        }
    }

    /// With one more entry.
    pub fn entry(mut self, entry: TrustEntry) -> Self {
        self.body.entries.push(entry);
        self
    }

    /// Signs with `signer`, whose key `operator` certifies; `chain` holds
    /// intermediates up to (not including) the anchor. The result is checked
    /// the way a verifier decodes it (not its chain or freshness).
    ///
    /// # Errors
    /// [`TrustListError::OperatorKey`] if the certificate has another key, a
    /// malformed body (bad window, over a budget), or the signer's error.
    pub fn sign(
        self,
        signer: &dyn Signer,
        operator: &Certificate,
        chain: &[Certificate],
    ) -> Result<TrustList, TrustListError> {
        if operator.ed25519_key().ok() != Some(&signer.public_key()) {
            return Err(TrustListError::OperatorKey);
        }
        if self.body.next_update < self.body.issued_at {
            return Err(malformed("next_update is before issued_at"));
        }
        budget("chain certificates", chain.len())?;
        let list = self.body.canonical()?;
        let message = signed_message(operator, &list);
        let signature = signer.sign(&message)?;
        let bytes = encode(&self.body, operator, chain, signature.as_bytes())?;
        TrustList::from_signed_bytes(&bytes)
    }
}

/// The signed document's bytes: the list, the operator's certificate and
/// chain, the signature value (FORMAT.md §11).
fn encode(
    body: &Body,
    operator: &Certificate,
    chain: &[Certificate],
    signature: &[u8],
) -> Result<Vec<u8>, TrustListError> {
    let doc = WireDoc {
        format: TRUST_LIST_FORMAT.to_owned(),
        list: serde_json::to_value(body.to_wire()).map_err(|e| malformed(e.to_string()))?,
        signature: WireSig {
            algorithm: "Ed25519".to_owned(),
            certificate: BASE64.encode(operator.der()),
            chain: chain.iter().map(|c| BASE64.encode(c.der())).collect(),
            value: BASE64.encode(signature),
        },
    };
    let v = serde_json::to_value(doc).map_err(|e| malformed(e.to_string()))?;
    to_canonical_vec(&v).map_err(|e| malformed(e.to_string()))
}

/// What the operator signs: context ‖ SHA-256(operator certificate DER) ‖ list.
fn signed_message(operator: &Certificate, list: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(TRUST_LIST_CONTEXT.len() + 32 + list.len());
    m.extend_from_slice(TRUST_LIST_CONTEXT);
    m.extend_from_slice(&operator.fingerprint());
    m.extend_from_slice(list);
    m
}

impl TrustList {
    /// Decodes a list and checks its operator signature under the operator
    /// certificate it carries. This does not say the operator is trusted:
    /// use [`TrustListVerifier::verify`] (or [`Recognition::merge`]).
    ///
    /// # Errors
    /// A [`TrustListError`]; nothing is kept.
    pub fn from_signed_bytes(bytes: &[u8]) -> Result<TrustList, TrustListError> {
        let (list, doc_sig, list_bytes) = decode(bytes)?;
        let key = list
            .operator
            .ed25519_key()
            .map_err(|_| TrustListError::BadSignature)?;
        key.verify(&signed_message(&list.operator, &list_bytes), &doc_sig)
            .map_err(|_| TrustListError::BadSignature)?;
        Ok(list)
    }

    /// The publisher (the list operator's organisation).
    pub fn publisher(&self) -> &Organisation {
        &self.body.publisher
    }
    /// The publisher's region.
    pub fn region(&self) -> &RegionCode {
        &self.body.region
    }
    /// The sequence number (higher is newer).
    pub fn sequence(&self) -> u64 {
        self.body.sequence
    }
    /// When it was issued.
    pub fn issued_at(&self) -> Timestamp {
        self.body.issued_at
    }
    /// When the next list is due; after it this one is stale.
    pub fn next_update(&self) -> Timestamp {
        self.body.next_update
    }
    /// The entries, in order.
    pub fn entries(&self) -> &[TrustEntry] {
        &self.body.entries
    }
    /// The operator's certificate.
    pub fn operator(&self) -> &Certificate {
        &self.operator
    }
    /// The intermediates the list carries.
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }
    /// The signed bytes, as published.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
    /// SHA-256 of [`as_bytes`](Self::as_bytes).
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(&self.bytes).into()
    }

    /// Re-encodes the decoded document (the fuzz target's round-trip check).
    pub(crate) fn reencode(&self, signature: &[u8]) -> Result<Vec<u8>, TrustListError> {
        encode(&self.body, &self.operator, &self.chain, signature)
    }
}

/// Decodes without checking the signature: the list, its signature, and the
/// list member's canonical bytes. (The fuzz target's entry.)
pub(crate) fn decode(bytes: &[u8]) -> Result<(TrustList, Signature, Vec<u8>), TrustListError> {
    if bytes.len() > MAX_TRUST_LIST_BYTES {
        return Err(TrustListError::TooLarge {
            what: "bytes",
            found: bytes.len(),
            limit: MAX_TRUST_LIST_BYTES,
        });
    }
    // Strict canonical JSON (the same reader as licenses), then typed.
    let mut p = Parser::new(bytes, MAX_TRUST_LIST_BYTES, MAX_DEPTH)
        .map_err(|e| malformed(e.to_string()))?;
    let value = read_value(&mut p).map_err(|e| malformed(e.to_string()))?;
    p.finish().map_err(|e| malformed(e.to_string()))?;
    let doc: WireDoc = serde_json::from_value(value).map_err(|e| malformed(e.to_string()))?;
    if doc.format != TRUST_LIST_FORMAT {
        return Err(malformed("format"));
    }
    if doc.signature.algorithm != "Ed25519" {
        return Err(malformed("signature.algorithm"));
    }
    budget("chain certificates", doc.signature.chain.len())?;
    // The list member's bytes in the document: it is canonical, so its
    // canonical re-encoding is exactly the bytes received.
    let list_bytes = to_canonical_vec(&doc.list).map_err(|e| malformed(e.to_string()))?;
    let wire: WireList = serde_json::from_value(doc.list).map_err(|e| malformed(e.to_string()))?;
    let body = Body::from_wire(wire)?;
    let operator =
        Certificate::from_der(&b64(&doc.signature.certificate, "signature.certificate")?)
            .map_err(|e| malformed(format!("signature.certificate: {e}")))?;
    let mut chain = Vec::with_capacity(doc.signature.chain.len());
    for c in &doc.signature.chain {
        chain.push(
            Certificate::from_der(&b64(c, "signature.chain")?)
                .map_err(|e| malformed(format!("signature.chain: {e}")))?,
        );
    }
    let sig = Signature::from_slice(&b64(&doc.signature.value, "signature.value")?)
        .map_err(|_| malformed("signature.value"))?;
    Ok((
        TrustList {
            body,
            operator,
            chain,
            bytes: bytes.to_vec(),
        },
        sig,
        list_bytes,
    ))
}

/// The highest sequence number accepted per publisher, and that list's
/// digest: the rollback state a caller keeps between runs (JSON, e.g. a file).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptedSequences {
    accepted: BTreeMap<String, AcceptedEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptedEntry {
    sequence: u64,
    digest: String,
}

impl AcceptedSequences {
    /// Nothing accepted yet.
    pub fn new() -> AcceptedSequences {
        AcceptedSequences::default()
    }

    /// The state as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// State read back from [`to_json`](Self::to_json) (at most 1 MiB).
    ///
    /// # Errors
    /// [`TrustListError::Malformed`] for anything else.
    pub fn from_json(s: &str) -> Result<AcceptedSequences, TrustListError> {
        if s.len() > 1 << 20 {
            return Err(TrustListError::TooLarge {
                what: "state bytes",
                found: s.len(),
                limit: 1 << 20,
            });
        }
        let state: AcceptedSequences =
            serde_json::from_str(s).map_err(|e| malformed(format!("state: {e}")))?;
        if state.accepted.keys().any(|k| Uscc::parse(k).is_err()) {
            return Err(malformed("state: a publisher that is not a USCC"));
        }
        let hex_digest = |d: &str| {
            d.len() == 64
                && d.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        if state.accepted.values().any(|e| !hex_digest(&e.digest)) {
            return Err(malformed(
                "state: a digest that is not 64 lower-case hex digits",
            ));
        }
        Ok(state)
    }

    /// The highest sequence accepted from `publisher`.
    pub fn accepted(&self, publisher: &Uscc) -> Option<u64> {
        self.accepted.get(publisher.as_str()).map(|e| e.sequence)
    }

    /// Whether `list` may be accepted: not below the accepted sequence, and
    /// the same contents at the same sequence.
    ///
    /// # Errors
    /// [`TrustListError::Rollback`] or [`TrustListError::SequenceReused`].
    pub fn check(&self, list: &TrustList) -> Result<(), TrustListError> {
        let Some(prev) = self.accepted.get(list.publisher().code().as_str()) else {
            return Ok(());
        };
        if list.sequence() < prev.sequence {
            return Err(TrustListError::Rollback {
                accepted: prev.sequence,
                got: list.sequence(),
            });
        }
        if list.sequence() == prev.sequence && prev.digest != hex(&list.digest()) {
            return Err(TrustListError::SequenceReused {
                sequence: list.sequence(),
            });
        }
        Ok(())
    }

    /// Records `list` as accepted (after [`check`](Self::check) passed).
    pub fn record(&mut self, list: &TrustList) {
        self.accepted.insert(
            list.publisher().code().as_str().to_owned(),
            AcceptedEntry {
                sequence: list.sequence(),
                digest: hex(&list.digest()),
            },
        );
    }
}

fn hex(bytes: &[u8]) -> String {
    crate::model::hex(bytes)
}

/// Whether a stale list is refused (the default) or accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StaleLists {
    /// A list past its next-update is refused.
    #[default]
    Refuse,
    /// Accepted anyway: only [`crate::danger::accept_stale_trust_list`] makes it.
    DangerAccept(crate::danger::Acknowledged),
}

/// What a trust list's operator must chain to, and how lists are judged.
#[derive(Clone)]
pub struct TrustListVerifier {
    anchors: TrustAnchors,
    intermediates: Vec<Certificate>,
    status: Arc<dyn StatusSource>,
    unknown: UnknownStatus,
    policy: ChainPolicy,
    stale: StaleLists,
}

impl core::fmt::Debug for TrustListVerifier {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TrustListVerifier")
            .field("anchors", &self.anchors.len())
            .field("stale", &self.stale)
            .finish_non_exhaustive()
    }
}

impl TrustListVerifier {
    /// Operators must chain to `anchors`. The revocation status of operator
    /// certificates is asked of an empty source until
    /// [`with_status`](Self::with_status) gives one (so it is unknown, and
    /// denied).
    pub fn new(anchors: TrustAnchors) -> TrustListVerifier {
        TrustListVerifier {
            anchors,
            intermediates: Vec::new(),
            status: Arc::new(InMemoryStatus::new()),
            unknown: UnknownStatus::Deny,
            policy: ChainPolicy::default(),
            stale: StaleLists::Refuse,
        }
    }

    /// Asks `status` about operator certificates.
    pub fn with_status(mut self, status: Arc<dyn StatusSource>) -> Self {
        self.status = status;
        self
    }

    /// What to do when the status source does not know a certificate.
    pub fn with_unknown_status(mut self, unknown: UnknownStatus) -> Self {
        self.unknown = unknown;
        self
    }

    /// More intermediates to build operator chains with.
    pub fn with_intermediates(mut self, certs: Vec<Certificate>) -> Self {
        self.intermediates = certs;
        self
    }

    /// Whether stale lists are refused (default) or, with the danger option, accepted.
    pub fn with_stale(mut self, stale: StaleLists) -> Self {
        self.stale = stale;
        self
    }

    fn chain(
        &self,
        list: &TrustList,
        anchors: &TrustAnchors,
        at: Timestamp,
    ) -> Result<VerifiedChain, ChainError> {
        let mut pool = list.chain.clone();
        pool.extend(self.intermediates.iter().cloned());
        verify_chain(
            &list.operator,
            &pool,
            anchors,
            at,
            CertUsage::Signer,
            &self.policy,
            self.status.as_ref(),
            self.unknown,
        )
    }

    fn fresh(&self, list: &TrustList, at: Timestamp) -> Result<(), TrustListError> {
        if at < list.issued_at() {
            return Err(TrustListError::NotYetIssued {
                issued_at: list.issued_at(),
                at,
            });
        }
        if at > list.next_update() && self.stale == StaleLists::Refuse {
            return Err(TrustListError::Stale {
                next_update: list.next_update(),
                at,
            });
        }
        Ok(())
    }

    /// Verifies one list at `at`: signature, freshness, operator chain to the
    /// anchors, operator organisation = publisher, and sequence against
    /// `state` (recorded there when accepted).
    ///
    /// # Errors
    /// A [`TrustListError`]; `state` is unchanged.
    pub fn verify(
        &self,
        bytes: &[u8],
        at: Timestamp,
        state: &mut AcceptedSequences,
    ) -> Result<TrustList, TrustListError> {
        let list = TrustList::from_signed_bytes(bytes)?;
        self.fresh(&list, at)?;
        self.chain(&list, &self.anchors, at)
            .map_err(TrustListError::ChainRejected)?;
        same_publisher(&list)?;
        state.check(&list)?;
        state.record(&list);
        Ok(list)
    }
}

fn same_publisher(list: &TrustList) -> Result<(), TrustListError> {
    if list.operator.organization() != Some(list.publisher().code()) {
        return Err(TrustListError::WrongPublisher {
            publisher: *list.publisher().code(),
        });
    }
    Ok(())
}

/// Which list and entry recognised a license's issuer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecognisedBy {
    /// The list's publisher.
    pub publisher: Uscc,
    /// The list's sequence number.
    pub sequence: u64,
    /// The entry's index in that list.
    pub entry: usize,
}

impl core::fmt::Display for RecognisedBy {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "trust list of {} (sequence {}), entry {}",
            self.publisher, self.sequence, self.entry
        )
    }
}

/// Why no list recognises a license's issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotRecognisedReason {
    /// No issuer entry names the organisation.
    NotListed,
    /// Entries name the organisation, but none lists the key or certificate it signed with.
    SignerNotListed,
    /// Entries recognise the organisation, but not for this license type.
    OtherType,
    /// Entries recognise it for this type, but in other regions.
    OtherRegion {
        /// The regions they cover.
        listed: Vec<RegionCode>,
    },
    /// An entry would recognise it, but its window does not cover the time.
    OutsideValidity {
        /// That entry's window start.
        valid_from: Timestamp,
        /// That entry's window end.
        valid_to: Timestamp,
    },
}

impl NotRecognisedReason {
    /// A stable snake_case name.
    pub fn kind(&self) -> &'static str {
        match self {
            NotRecognisedReason::NotListed => "not_listed",
            NotRecognisedReason::SignerNotListed => "signer_not_listed",
            NotRecognisedReason::OtherType => "other_type",
            NotRecognisedReason::OtherRegion { .. } => "other_region",
            NotRecognisedReason::OutsideValidity { .. } => "outside_validity",
        }
    }
}

impl core::fmt::Display for NotRecognisedReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            NotRecognisedReason::NotListed => f.write_str("no trust list entry names the issuer"),
            NotRecognisedReason::SignerNotListed => {
                f.write_str("no trust list entry lists the issuer's signing key or certificate")
            }
            NotRecognisedReason::OtherType => {
                f.write_str("the issuer is recognised for other license types only")
            }
            NotRecognisedReason::OtherRegion { listed } => {
                f.write_str("the issuer is recognised for this type only in regions")?;
                for r in listed {
                    write!(f, " {r}")?;
                }
                Ok(())
            }
            NotRecognisedReason::OutsideValidity {
                valid_from,
                valid_to,
            } => write!(
                f,
                "the recognition is valid {valid_from} to {valid_to} only"
            ),
        }
    }
}

/// One list merged into a [`Recognition`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedList {
    /// Its publisher.
    pub publisher: Uscc,
    /// Its sequence number.
    pub sequence: u64,
    /// SHA-256 of its bytes.
    pub digest: [u8; 32],
    /// The list (publisher and sequence) whose `list_operator` entry it was
    /// accepted under; `None` for a list chaining to the verifier's anchors.
    pub under: Option<RecognisedBy>,
}

#[derive(Debug, Clone)]
struct Binding {
    by: RecognisedBy,
    region: RegionCode,
    types: Vec<LicenseTypeCode>,
    valid_from: Timestamp,
    valid_to: Timestamp,
    keys: Vec<[u8; 32]>,
    certs: Vec<Certificate>,
    fingerprints: Vec<[u8; 32]>,
}

/// Most certificates walked up from a signer to a listed one.
const MAX_WALK: usize = 5;
/// Most remembered "this certificate issued that one" verdicts.
const MAX_ISSUED_CACHE: usize = 1 << 16;

/// The fingerprints of a (child, parent) pair of certificates.
type CertPair = ([u8; 32], [u8; 32]);

/// Remembered issuance verdicts, by (child, parent) fingerprints: the batch
/// verifier meets the same few signer certificates again and again.
#[derive(Debug, Default)]
struct IssuedCache {
    verdicts: std::sync::RwLock<HashMap<CertPair, bool>>,
}

impl IssuedCache {
    fn issued(&self, child: &Certificate, parent: &Certificate) -> bool {
        let key = (child.fingerprint(), parent.fingerprint());
        if let Some(v) = self
            .verdicts
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return *v;
        }
        let v = crate::cert::issued_by(child, parent);
        let mut map = self.verdicts.write().unwrap_or_else(|e| e.into_inner());
        if map.len() < MAX_ISSUED_CACHE {
            map.insert(key, v);
        }
        v
    }
}

impl Binding {
    /// Whether the signer is this entry's: a listed raw key; or a signer
    /// certificate that is listed, or was issued by a listed certificate,
    /// directly or through certificates it carries, each one verified to
    /// have issued the one below (a carried certificate that is not on that
    /// path counts for nothing).
    fn lists_signer(&self, signer: &SignerRef, cache: &IssuedCache) -> bool {
        match signer {
            SignerRef::Key(k) => self.keys.contains(k),
            SignerRef::Certificate { cert, chain } => {
                let mut cur = cert;
                for _ in 0..MAX_WALK {
                    if self.fingerprints.contains(&cur.fingerprint())
                        || self.certs.iter().any(|c| cache.issued(cur, c))
                    {
                        return true;
                    }
                    match chain.iter().find(|p| cache.issued(cur, p)) {
                        Some(p) => cur = p,
                        None => return false,
                    }
                }
                false
            }
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }
}

/// Several verified trust lists merged: anchors and keys for a
/// [`Verifier`](crate::Verifier), and what each organisation is recognised for.
#[derive(Debug, Clone, Default)]
pub struct Recognition {
    lists: Vec<MergedList>,
    anchors: TrustAnchors,
    keys: TrustedKeys,
    issuers: HashMap<Uscc, Vec<Binding>>,
    status_keys: Vec<(Uscc, PublicKey, RecognisedBy)>,
    issued: Arc<IssuedCache>,
}

impl Recognition {
    /// Verifies and merges `lists` at `at` (in any order): each list's
    /// operator chains to `verifier`'s anchors, or to the certificates of a
    /// valid `list_operator` entry of another list merged here (it is then
    /// confined to that entry's organisation and region). Sequences are
    /// checked against `state`, which is updated only if every list is
    /// accepted.
    ///
    /// # Errors
    /// [`TrustListError::InList`] naming the first list refused and why.
    pub fn merge(
        lists: &[&[u8]],
        verifier: &TrustListVerifier,
        at: Timestamp,
        state: &mut AcceptedSequences,
    ) -> Result<Recognition, TrustListError> {
        if lists.len() > MAX_MERGED_LISTS {
            return Err(TrustListError::TooLarge {
                what: "lists",
                found: lists.len(),
                limit: MAX_MERGED_LISTS,
            });
        }
        let in_list = |index: usize| {
            move |e: TrustListError| TrustListError::InList {
                index,
                error: Box::new(e),
            }
        };
        let mut decoded = Vec::with_capacity(lists.len());
        for (i, bytes) in lists.iter().enumerate() {
            let list = TrustList::from_signed_bytes(bytes).map_err(in_list(i))?;
            verifier.fresh(&list, at).map_err(in_list(i))?;
            decoded.push(list);
        }
        let mut accepted: Vec<(usize, Option<RecognisedBy>)> = Vec::new();
        let mut first_error: Vec<Option<TrustListError>> = vec![None; decoded.len()];
        loop {
            let mut progress = false;
            for (i, list) in decoded.iter().enumerate() {
                if accepted.iter().any(|(j, _)| *j == i) {
                    continue;
                }
                match place(verifier, list, &decoded, &accepted, at) {
                    Ok(under) => {
                        accepted.push((i, under));
                        progress = true;
                    }
                    Err(e) => {
                        if let Some(slot) = first_error.get_mut(i) {
                            *slot = Some(e);
                        }
                    }
                }
            }
            if accepted.len() == decoded.len() {
                break;
            }
            if !progress {
                let (i, e) = first_error
                    .into_iter()
                    .enumerate()
                    .find(|(i, _)| !accepted.iter().any(|(j, _)| j == i))
                    .and_then(|(i, e)| Some((i, e?)))
                    .unwrap_or((0, TrustListError::BadSignature));
                return Err(in_list(i)(e));
            }
        }
        // Sequences, on a copy: the caller's state changes only on success.
        let mut next_state = state.clone();
        for (i, list) in decoded.iter().enumerate() {
            next_state.check(list).map_err(in_list(i))?;
            next_state.record(list);
        }
        let mut r = Recognition::default();
        accepted.sort_by_key(|(i, _)| *i);
        for (i, under) in accepted {
            let Some(list) = decoded.get(i) else { continue };
            r.add(list, under);
        }
        *state = next_state;
        Ok(r)
    }

    fn add(&mut self, list: &TrustList, under: Option<RecognisedBy>) {
        self.lists.push(MergedList {
            publisher: *list.publisher().code(),
            sequence: list.sequence(),
            digest: list.digest(),
            under,
        });
        for (index, e) in list.entries().iter().enumerate() {
            let by = RecognisedBy {
                publisher: *list.publisher().code(),
                sequence: list.sequence(),
                entry: index,
            };
            let org = *e.organisation().code();
            match e.role() {
                TrustRole::Issuer => {
                    for c in e.certificates() {
                        self.anchors.add(c.clone());
                    }
                    for k in e.keys() {
                        self.keys.insert(*k, org);
                    }
                    self.issuers.entry(org).or_default().push(Binding {
                        by,
                        region: *e.region(),
                        types: e.license_types().to_vec(),
                        valid_from: e.valid_from(),
                        valid_to: e.valid_to(),
                        keys: e.keys().iter().map(|k| *k.as_bytes()).collect(),
                        certs: e.certificates().to_vec(),
                        fingerprints: e
                            .certificates()
                            .iter()
                            .map(Certificate::fingerprint)
                            .collect(),
                    });
                }
                TrustRole::SealMaker => {
                    for c in e.certificates() {
                        self.anchors.add(c.clone());
                    }
                }
                TrustRole::StatusPublisher => {
                    for k in e.keys() {
                        self.status_keys.push((org, *k, by.clone()));
                    }
                }
                TrustRole::ListOperator => {}
            }
        }
    }

    /// The lists merged, in the order given.
    pub fn lists(&self) -> &[MergedList] {
        &self.lists
    }

    /// Certificates of issuer and seal-maker entries: anchors for a verifier.
    pub fn anchors(&self) -> &TrustAnchors {
        &self.anchors
    }

    /// Raw keys of issuer entries, each for its organisation.
    pub fn keys(&self) -> &TrustedKeys {
        &self.keys
    }

    /// The status-publishing keys listed for `org` (to verify its
    /// [`StatusSnapshot`](crate::StatusSnapshot)s).
    pub fn status_keys(&self, org: &Uscc) -> impl Iterator<Item = &PublicKey> {
        self.status_keys
            .iter()
            .filter(move |(o, _, _)| o == org)
            .map(|(_, k, _)| k)
    }

    /// Every status-publishing key with its organisation.
    pub fn status_publishers(&self) -> impl Iterator<Item = (Uscc, PublicKey)> + '_ {
        self.status_keys.iter().map(|(o, k, _)| (*o, *k))
    }

    /// Whether some issuer entry names `org`.
    pub fn is_listed(&self, org: &Uscc) -> bool {
        self.issuers.contains_key(org)
    }

    /// Which entry recognises the issuer of `doc` (whose organisation step
    /// passed) for its type and region at `at`.
    pub(crate) fn recognise(
        &self,
        doc: DocView<'_>,
        at: Timestamp,
    ) -> Result<RecognisedBy, NotRecognisedReason> {
        let license = doc.license();
        let Some(bindings) = self.issuers.get(license.issuer().code()) else {
            return Err(NotRecognisedReason::NotListed);
        };
        let signed: Vec<&Binding> = bindings
            .iter()
            .filter(|b| {
                doc.signatures()
                    .iter()
                    .any(|s| b.lists_signer(s.signer(), &self.issued))
            })
            .collect();
        if signed.is_empty() {
            return Err(NotRecognisedReason::SignerNotListed);
        }
        let typed: Vec<&&Binding> = signed
            .iter()
            .filter(|b| b.types.contains(license.type_code()))
            .collect();
        if typed.is_empty() {
            return Err(NotRecognisedReason::OtherType);
        }
        let placed: Vec<&&&Binding> = typed
            .iter()
            .filter(|b| b.region.contains(license.region()))
            .collect();
        let Some(first) = placed.first() else {
            return Err(NotRecognisedReason::OtherRegion {
                listed: typed.iter().map(|b| b.region).collect(),
            });
        };
        match placed
            .iter()
            .find(|b| b.valid_from <= at && at <= b.valid_to)
        {
            Some(b) => Ok(b.by.clone()),
            None => Err(NotRecognisedReason::OutsideValidity {
                valid_from: first.valid_from,
                valid_to: first.valid_to,
            }),
        }
    }
}

impl Recognition {
    /// The raw keys issuer entries list for `org` that recognise it for
    /// licenses of `type_code` at `at`, each with its entry — for a
    /// presentation (亮证码), which names its license's issuer and type and
    /// carries no certificate. `Err` says why none does.
    pub(crate) fn presentation_keys(
        &self,
        org: &Uscc,
        type_code: &LicenseTypeCode,
        at: Timestamp,
    ) -> Result<Vec<(PublicKey, RecognisedBy)>, NotRecognisedReason> {
        let Some(bindings) = self.issuers.get(org) else {
            return Err(NotRecognisedReason::NotListed);
        };
        let keyed: Vec<&Binding> = bindings.iter().filter(|b| !b.keys.is_empty()).collect();
        if keyed.is_empty() {
            return Err(NotRecognisedReason::SignerNotListed);
        }
        let typed: Vec<&&Binding> = keyed
            .iter()
            .filter(|b| b.types.contains(type_code))
            .collect();
        let Some(first) = typed.first() else {
            return Err(NotRecognisedReason::OtherType);
        };
        let mut out = Vec::new();
        for b in typed
            .iter()
            .filter(|b| b.valid_from <= at && at <= b.valid_to)
        {
            for k in &b.keys {
                if let Some((key, _)) = self.keys.lookup(k) {
                    out.push((*key, b.by.clone()));
                }
            }
        }
        if out.is_empty() {
            return Err(NotRecognisedReason::OutsideValidity {
                valid_from: first.valid_from,
                valid_to: first.valid_to,
            });
        }
        Ok(out)
    }
}

/// Where `list` fits: under the verifier's anchors (`None`), or under a
/// `list_operator` entry of an accepted list.
fn place(
    verifier: &TrustListVerifier,
    list: &TrustList,
    decoded: &[TrustList],
    accepted: &[(usize, Option<RecognisedBy>)],
    at: Timestamp,
) -> Result<Option<RecognisedBy>, TrustListError> {
    let top = verifier.chain(list, &verifier.anchors, at);
    if top.is_ok() {
        same_publisher(list)?;
        return Ok(None);
    }
    for (j, _) in accepted {
        let Some(parent) = decoded.get(*j) else {
            continue;
        };
        for (index, e) in parent.entries().iter().enumerate() {
            if e.role() != TrustRole::ListOperator || !e.is_valid_at(at) {
                continue;
            }
            let anchors = e
                .certificates()
                .iter()
                .fold(TrustAnchors::new(), |a, c| a.with(c.clone()));
            if verifier.chain(list, &anchors, at).is_err() {
                continue;
            }
            if e.organisation().code() != list.publisher().code() {
                return Err(TrustListError::WrongPublisher {
                    publisher: *list.publisher().code(),
                });
            }
            same_publisher(list)?;
            for (k, inner) in list.entries().iter().enumerate() {
                if !e.region().contains(inner.region()) {
                    return Err(TrustListError::OutOfScope {
                        entry: k,
                        region: *inner.region(),
                        scope: *e.region(),
                    });
                }
            }
            return Ok(Some(RecognisedBy {
                publisher: *parent.publisher().code(),
                sequence: parent.sequence(),
                entry: index,
            }));
        }
    }
    match top {
        Err(e) => Err(TrustListError::ChainRejected(e)),
        Ok(_) => Ok(None),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for r in [
            TrustRole::Issuer,
            TrustRole::SealMaker,
            TrustRole::StatusPublisher,
            TrustRole::ListOperator,
        ] {
            assert_eq!(TrustRole::parse(r.name()), Some(r));
        }
        assert_eq!(TrustRole::parse("root"), None);
    }

    #[test]
    fn state_round_trips_and_refuses_junk() {
        let s = AcceptedSequences::new();
        assert_eq!(AcceptedSequences::from_json(&s.to_json()).unwrap(), s);
        assert!(
            AcceptedSequences::from_json("{\"accepted\":{\"x\":{\"sequence\":1,\"digest\":\"\"}}}")
                .is_err()
        );
        assert!(AcceptedSequences::from_json("[]").is_err());
    }
}
