//! # elicense — government electronic licenses (电子证照) and electronic seals (电子印章)
//!
//! A library for the three layers of an electronic license library and the
//! cryptography around them:
//!
//! | layer | module | what it holds |
//! |---|---|---|
//! | identifiers | `ids` | GB 32100 USCC, GB 11643 citizen ids, GB/T 2260 regions, GB/T 36904 license identifiers |
//! | model | `model` | license types with field schema, licenses with GB/T 36903 metadata, statuses, operations |
//! | canonical form | `canonical`, `document` | RFC 8785 canonical JSON; the signed license document |
//! | signing | `sign` | Ed25519 keys, the [`Signer`] trait (HSMs), the one signature rule |
//! | certificates | `cert` | X.509 ([`Certificate`]), chains to [`TrustAnchors`] with a work budget |
//! | electronic seals (电子印章) | `seal`, `status` | GB/T 38540 [`Seal`]s, [`SealMaker`], [`Sealer`]; revocation via [`StatusSource`] |
//! | verification | `verify` | [`Verifier`] in the GB/T 38540 order, step-by-step [`Report`], the [`Verified`] proof type |
//! | cross-region recognition (互通互认) | `trustlist` | signed [`TrustList`]s of recognised issuers, merged into a [`Recognition`] for [`Verifier::with_recognition`] |
//! | batch verification | `batch` | [`BatchVerifier`]: many licenses on all cores, verdicts identical to single |
//! | catalog (目录库) | `catalog` | license types ([`LicenseTypes`], built-in templates), directory [`Query`] |
//! | license store (证照库) | `store` | [`LicenseStore`]: [`MemoryStore`], [`SqliteStore`], `PostgresStore` |
//!
//! ## Design
//!
//! * **What is signed is what is on the wire.** Documents are canonical JSON
//!   (RFC 8785); the decoder accepts only that exact form, so the signed bytes
//!   are slices of the received bytes — no re-serialisation, no ambiguity.
//!   docs/FORMAT.md specifies the bytes for implementers in other languages.
//! * **Verification is a pure function** of the bytes, the verification time
//!   (an argument — nothing reads the clock), and what the verifier was given.
//! * **A failed verification is data**: a [`Report`] names every step and the
//!   one that failed. Only the verifier makes a [`Verified`] value.
//! * **Invalid values cannot be constructed**: identifiers check their check
//!   characters, licenses their invariants, keys refuse weak points.
//! * **No panics on input**: every decoder has size limits, typed errors and a
//!   fuzz target.
//!
//! ## Cargo features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `postgres` | no | the PostgreSQL license-store backend |
//! | `gm` | no | real GB/T 38540 seals: SM2/SM3, the standard's DER `SES_Seal` / `SES_Signature` (v4, v5), SM2 certificates in chains; SM2 seals and seal signatures in the crate's own form (`"SM2-SM3"`: `SealMaker::sm2`, `Sealer::sm2`), verified single and batch |
//!
//! For speed, build with curve25519-dalek's AVX-512 IFMA backend (detected at
//! run time, safe on any x86-64): put this in your project's `.cargo/config.toml`:
//!
//! ```toml
//! [build]
//! rustflags = ["--cfg", 'curve25519_dalek_backend="avx512"']
//! ```
//!
//! ## Example: issue, sign, verify
//!
//! ```
//! use elicense::*;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let samr: Uscc = "11100000000013338W".parse()?;
//! let bureau: Uscc = "11330105002500287C".parse()?;
//! let company: Uscc = "91350100M000100Y43".parse()?;
//!
//! // The type definer publishes a license type (normally loaded from JSON).
//! let food = LicenseType::new(
//!     LicenseTypeCode::from_parts(&samr, 9)?,
//!     "食品经营许可证",
//!     Organisation::new("国家市场监督管理总局", samr)?,
//!     1,
//!     None,
//!     HolderKind::Organisation,
//!     ValidityRule::MaxYears { years: 5 },
//!     vec![FieldSpec {
//!         key: "KZ_JYCS".into(),
//!         label: "经营场所".into(),
//!         kind: FieldKind::Text { max_chars: 200 },
//!         required: true,
//!         personal: false,
//!     }],
//! )?;
//!
//! // The issuing bureau fills in a license and signs it.
//! let key = SigningKey::generate()?;
//! let license = License::new(LicenseData {
//!     id: LicenseId::from_parts(*food.code(), IssuerCode::Uscc(bureau), "2025052201", 2)?,
//!     name: "食品经营许可证".into(),
//!     type_code: *food.code(),
//!     number: "JY13301050012345".into(),
//!     issuer: Organisation::new("杭州市上城区市场监督管理局", bureau)?,
//!     issue_date: Date::parse("2025-05-22")?,
//!     holder: Holder::new("某某食品有限公司", HolderCode::from(company))?,
//!     valid_from: Date::parse("2025-05-22")?,
//!     valid_to: Some(Date::parse("2030-05-21")?),
//!     region: "330102".parse()?,
//!     seal: None,
//!     created_at: Timestamp::parse("2025-05-22T01:00:00Z")?,
//!     fields: [("KZ_JYCS".to_string(), FieldValue::from("杭州市上城区某路1号"))].into(),
//!     attachments: vec![],
//!     predecessor: None,
//! })?;
//! let signed = SignedLicense::sign(license, &key, Timestamp::parse("2025-05-22T02:00:00Z")?)?;
//!
//! // A verifier elsewhere trusts the bureau's key and knows the type.
//! let verifier = Verifier::new(LicenseTypes::new().with(food))
//!     .with_trusted_keys(TrustedKeys::new().with(key.public_key(), bureau));
//! let at = Timestamp::parse("2026-01-01T00:00:00Z")?;
//! let verified = verifier.verify(signed.as_bytes(), at)?;
//! assert_eq!(verified.license().number(), "JY13301050012345");
//!
//! // Ten years on it has expired; the report says so.
//! let later = Timestamp::parse("2035-01-01T00:00:00Z")?;
//! let rejected = verifier.verify(signed.as_bytes(), later).unwrap_err();
//! assert_eq!(rejected.step(), Step::Validity);
//! # Ok(())
//! # }
//! ```

// `unsafe` is denied everywhere but in the batch verifier's AVX-512 IFMA
// arithmetic (src/batch/ifma), which needs intrinsics; see its module docs.
#![deny(unsafe_code)]
#![deny(missing_docs)]

mod batch;
mod canonical;
mod catalog;
mod cert;
mod date;
mod document;
mod error;
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "gm")]
mod gm;
mod ids;
mod model;
pub mod present;
mod resource;
mod seal;
mod sign;
mod snapshot;
mod status;
mod store;
mod trust;
mod trustlist;
mod verify;

pub use batch::{BatchError, BatchOutcome, BatchSummary, BatchVerifier, verify_signatures};
pub use canonical::{JsonError, JsonErrorKind, NonCanonical, ValueKind};
pub use catalog::{
    BUILTIN_TEMPLATES, BuiltinTemplate, CatalogEntry, Cursor, LicenseTypes, Page, Query,
};
pub use cert::{
    CertError, CertUsage, Certificate, ChainError, ChainPolicy, KeyUsage, TrustAnchors,
    VerifiedChain, verify_chain,
};
pub use date::{CST_OFFSET_SECONDS, Date, DateError, Timestamp};
pub use document::{
    Algorithm, DecodeLimits, FORMAT, LicenseSignature, PROPERTY_CHARS, SIGNATURE_CONTEXT,
    SealedLicense, Sealer, SignedLicense, SignerRef, TBS_VERSION, ToBeSigned,
};
pub use error::{DecodeError, Error};
#[cfg(feature = "gm")]
pub use gm::{
    SM2_DEFAULT_USER_ID, SM2_WITH_SM3, SesCertRef, SesError, SesExtension, SesPicture, SesSeal,
    SesSealInfo, SesSealMaker, SesSealer, SesSignature, SesTime, SesToSign, SesVersion,
    Sm2CertificateSpec, Sm2PublicKey, Sm2Signature, Sm2SigningKey, TimeKind, issue_sm2_certificate,
    ses_limits, sm3,
};
pub use ids::{
    CitizenId, HolderCode, HolderCodeType, IdError, IdKind, IssuerCode, LICENSE_ID_ROOT, LicenseId,
    LicenseIdPart, LicenseTypeCode, NonStandardVariant, OtherHolderCode, RegionCode, RegionLevel,
    Uscc, citizen_id_check_char, mod37_36_check, uscc_check_char,
};
pub use model::{
    Attachment, AttachmentRole, FieldKind, FieldSpec, FieldValue, Holder, HolderKind, License,
    LicenseData, LicenseStatus, LicenseType, LicenseTypeError, ModelError, Operation, Organisation,
    SchemaError, SealInfo, TextProblem, UnknownCode, ValidityRule, limits,
};
pub use resource::{
    Amendment, AnnotatedCopy, ArchiveRejection, ArchiveReport, CopyCheck, CopyRequest,
    DISPUTE_REASON_CHARS, DataCheck, Dispute, DisputeId, DisputeState, Grant, GrantSource,
    IssueRequest, Ledger, MemoryLedger, PURPOSE_CHARS, Purpose, ResourceError, ResourceLibrary,
    SerialPolicy, StatusProblem, UseAction, UseRecord, UseResult, VerifyCode, VerifyResult,
};
pub use seal::{
    PictureType, SEAL_CONTEXT, SEAL_HEADER_ID, SEAL_VERSION, Seal, SealCertRef, SealError,
    SealExtension, SealMaker, SealPicture, SealSpec, SealType, limits as seal_limits,
};
pub use sign::{KeyError, PublicKey, SignError, Signature, SignatureError, Signer, SigningKey};
pub use snapshot::{
    MAX_SNAPSHOT_BYTES, MAX_SNAPSHOT_ENTRIES, SNAPSHOT_MAGIC, SnapshotError, SnapshotStatus,
    StatusSnapshot,
};
pub use status::{InMemoryStatus, LicenseStanding, RevocationStatus, StatusSource, UnknownStatus};
pub use store::SqliteLedger;
pub use store::{
    AccessToken, TOKEN_MAX_BYTES, TOKEN_MAX_GRANTS, TokenRole, TokenSecret, TokenStore,
};
pub use store::{
    BackendError, Inserted, LicenseStore, MemoryStore, RecordedEvent, STORE_SCHEMA_VERSION,
    SqliteStore, StatusEvent, StatusHistory, StoreError, StoreStatus, limits as store_limits,
    status_after, superseded_after,
};
#[cfg(feature = "postgres")]
pub use store::{PostgresLedger, PostgresOptions, PostgresStore};
pub use trust::TrustedKeys;
pub use trustlist::{
    AcceptedSequences, MAX_ENTRY_ITEMS, MAX_MERGED_LISTS, MAX_TRUST_LIST_BYTES,
    MAX_TRUST_LIST_ENTRIES, MergedList, NotRecognisedReason, RecognisedBy, Recognition, StaleLists,
    TRUST_LIST_CONTEXT, TRUST_LIST_FORMAT, TrustEntry, TrustList, TrustListBuilder, TrustListError,
    TrustListVerifier, TrustRole,
};
pub use verify::{
    Check, Failure, Outcome, Rejected, Report, Step, Verified, Verifier, VerifyCache, VerifyOptions,
};

/// Settings that weaken verification. Each one says what it gives up; use them
/// only where that is acceptable and documented.
pub mod danger {
    /// The policy that treats a certificate or seal whose revocation status the
    /// [`StatusSource`](crate::StatusSource) does not know as good.
    ///
    /// This weakens verification: a certificate or seal the source knows
    /// nothing about is accepted even if it has in fact been revoked. Prefer a
    /// complete status source and the default
    /// [`UnknownStatus::Deny`](crate::UnknownStatus::Deny).
    pub fn accept_unknown_status() -> crate::UnknownStatus {
        crate::UnknownStatus::DangerAccept(Acknowledged(()))
    }

    /// The policy that accepts a trust list past its next-update.
    ///
    /// This weakens verification: a stale list may still recognise an
    /// organisation its operator has since removed. Prefer fetching the
    /// current list.
    pub fn accept_stale_trust_list() -> crate::StaleLists {
        crate::StaleLists::DangerAccept(Acknowledged(()))
    }

    /// Proof that a weakening setting came from this module: it cannot be made
    /// anywhere else.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct Acknowledged(());
}

/// Verifies one raw Ed25519 signature under this crate's signature rule (strict
/// encodings, no small-order points, cofactored equation — docs/ARCHITECTURE.md).
/// Exposed for conformance testing (Wycheproof) and for callers that verify
/// raw signatures with the same verdicts as the batch verifier.
pub fn verify_signature(
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    let key = PublicKey::from_slice(public_key).map_err(|_| SignatureError)?;
    let sig = Signature::from_slice(signature).map_err(|_| SignatureError)?;
    key.verify(message, &sig)
}
