//! The resource library (资源库): the service other systems call. It owns a
//! [`LicenseStore`], the catalog of license types, a [`Verifier`] and an
//! issuing identity (a [`Sealer`]) per issuer, and offers the operations of
//! the one-network plans:
//!
//! | operation | method |
//! |---|---|
//! | issue and seal (新发) | [`issue`](ResourceLibrary::issue), [`issue_batch`](ResourceLibrary::issue_batch) |
//! | status changes (暂扣, 暂扣发还, 吊销, 注销, 撤销, 过期失效) | [`set_status`](ResourceLibrary::set_status) and its shorthands |
//! | renew, change, transfer in (延续, 变更, 转入) | [`renew`](ResourceLibrary::renew), [`change`](ResourceLibrary::change), [`transfer_in`](ResourceLibrary::transfer_in); [`versions`](ResourceLibrary::versions) |
//! | verification service (核验), codes 0–7 | [`verify_id`](ResourceLibrary::verify_id), [`verify_bytes`](ResourceLibrary::verify_bytes), [`verify_data`](ResourceLibrary::verify_data) |
//! | authorised retrieval (检索, 获取) | [`query_by_holder`](ResourceLibrary::query_by_holder), [`fetch`](ResourceLibrary::fetch), [`uses_of`](ResourceLibrary::uses_of) |
//! | disputes and corrections (异议, 更正) | [`raise_dispute`](ResourceLibrary::raise_dispute), [`uphold_dispute`](ResourceLibrary::uphold_dispute), [`reject_dispute`](ResourceLibrary::reject_dispute) |
//! | annotated copies (加注件) | [`annotated_copy`](ResourceLibrary::annotated_copy), [`verify_copy`](ResourceLibrary::verify_copy) |
//!
//! **Atomicity.** Every change of the license store is one store
//! transaction: an issue stores the licenses with their 新发 events
//! ([`LicenseStore::insert_issued`]); a status change is one event; a
//! renewal, change, transfer in or correction is one
//! [`LicenseStore::insert_successor`] (the new license and the predecessor's
//! event together). A refused operation changes nothing. Grants, the use
//! record, disputes and serial counters live in a [`Ledger`] (in memory by
//! default), each change of which is a single step after the store's.
//!
//! **Status in verification.** The library's [`Verifier`] asks a
//! [`StoreStatus`] over the store for the license's status at the time asked
//! (step `license_status`; certificate and seal revocation still come from
//! the source the library was given): a suspended license gives code 2, any
//! other status than 有效 (revoked, cancelled, superseded, …) code 3, a
//! license the store does not hold code 5, with [`StatusProblem`] saying why.
//!
//! **Time is an argument** of every operation: nothing here reads the clock.

mod archive;
mod copy;
mod error;
mod ledger;
mod verify;

pub use archive::{ArchiveRejection, ArchiveReport};
pub use copy::{AnnotatedCopy, CopyCheck, CopyRequest};
pub use error::ResourceError;
pub use ledger::{
    Dispute, DisputeId, DisputeState, Grant, GrantSource, Ledger, MemoryLedger, UseAction,
    UseRecord, UseResult,
};
pub use verify::{StatusProblem, VerifyCode, VerifyResult};

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use rayon::prelude::*;

use crate::catalog::{CatalogEntry, LicenseTypes, Query};
use crate::date::{Date, Timestamp};
use crate::document::{Sealer, SignedLicense};
use crate::ids::{HolderCode, IssuerCode, LicenseId, LicenseTypeCode, RegionCode, Uscc};
use crate::model::{
    Attachment, FieldValue, Holder, License, LicenseData, LicenseStatus, LicenseType, Operation,
    Organisation, SealInfo,
};
use crate::sign::Signer;
use crate::store::{LicenseStore, StatusEvent, StoreStatus, limits as store_limits};
use crate::verify::{Failure, Rejected, Report, Step, Verifier};

/// Longest purpose (用证事由), in characters.
pub const PURPOSE_CHARS: usize = 200;
/// Longest dispute reason or rejection reason, in characters.
pub const DISPUTE_REASON_CHARS: usize = 512;

/// How serial numbers (the serial part of a GB/T 36904 identifier) are allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum SerialPolicy {
    /// A sequence per (type, issuer): `0000000001`, `0000000002`, … (default).
    #[default]
    Sequence,
    /// The issue day (CST) and a counter per (type, issuer, day):
    /// `20250522000001`, …
    DateCounter,
}

/// What an issuer fills in to issue a license; the library adds the
/// identifier, name, issuer, region, dates and sealing information.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueRequest {
    /// The license type.
    pub type_code: LicenseTypeCode,
    /// 证照编号 — the number printed on the license.
    pub number: String,
    /// The holder.
    pub holder: Holder,
    /// First day of validity.
    pub valid_from: Date,
    /// Last day of validity (`None`: open-ended).
    pub valid_to: Option<Date>,
    /// Surface fields (`KZ_*`).
    pub fields: BTreeMap<String, FieldValue>,
    /// Files.
    pub attachments: Vec<Attachment>,
}

/// Changes made by a renewal, change, transfer in or correction; what is not
/// named is carried over from the predecessor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Amendment {
    /// A new printed number.
    pub number: Option<String>,
    /// A new holder name or code.
    pub holder: Option<Holder>,
    /// A new first day of validity.
    pub valid_from: Option<Date>,
    /// A new last day of validity (`Some(None)`: open-ended).
    pub valid_to: Option<Option<Date>>,
    /// Fields set (added or replaced).
    pub set_fields: BTreeMap<String, FieldValue>,
    /// Fields removed.
    pub remove_fields: Vec<String>,
}

impl Amendment {
    /// No change.
    pub fn new() -> Amendment {
        Amendment::default()
    }

    /// With a new validity window.
    pub fn validity(mut self, from: Date, to: Option<Date>) -> Amendment {
        self.valid_from = Some(from);
        self.valid_to = Some(to);
        self
    }

    /// With a field set.
    pub fn field(mut self, key: impl Into<String>, value: impl Into<FieldValue>) -> Amendment {
        self.set_fields.insert(key.into(), value.into());
        self
    }

    fn apply(&self, d: &mut LicenseData) {
        if let Some(n) = &self.number {
            d.number.clone_from(n);
        }
        if let Some(h) = &self.holder {
            d.holder = h.clone();
        }
        if let Some(f) = self.valid_from {
            d.valid_from = f;
        }
        if let Some(t) = self.valid_to {
            d.valid_to = t;
        }
        for k in &self.remove_fields {
            d.fields.remove(k);
        }
        for (k, v) in &self.set_fields {
            d.fields.insert(k.clone(), v.clone());
        }
    }
}

/// A stated purpose of use (用证事由): 1–200 characters, no control
/// characters, no outer whitespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Purpose(String);

impl Purpose {
    /// Checks and makes a purpose.
    ///
    /// # Errors
    /// [`ResourceError::Text`] for an empty, too long or malformed purpose.
    pub fn new(text: impl Into<String>) -> Result<Purpose, ResourceError> {
        let text = text.into();
        check_text("purpose", &text, PURPOSE_CHARS)?;
        Ok(Purpose(text))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_text(what: &'static str, s: &str, max: usize) -> Result<(), ResourceError> {
    let n = s.chars().count();
    if n == 0
        || n > max
        || s.chars().any(|c| c.is_control() && c != '\n')
        || s.starts_with(char::is_whitespace)
        || s.ends_with(char::is_whitespace)
    {
        return Err(ResourceError::Text { what, max });
    }
    Ok(())
}

/// Submitted data to verify (核验证照信息): which license, and the fields
/// to compare with it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DataCheck {
    /// The license type (required).
    pub type_code: Option<LicenseTypeCode>,
    /// The holder's code (required).
    pub holder: Option<HolderCode>,
    /// The printed number (required).
    pub number: Option<String>,
    /// Fields to compare (`KZ_*`), possibly none.
    pub fields: BTreeMap<String, FieldValue>,
}

struct Issuer {
    org: Organisation,
    region: RegionCode,
    sealer: Sealer<Box<dyn Signer>>,
}

/// The resource library over a license store; see the module docs.
pub struct ResourceLibrary<S: LicenseStore> {
    store: Arc<S>,
    types: LicenseTypes,
    /// The verifier given, with the store as license status source.
    verifier: Verifier,
    /// The verifier given, unchanged: documents on their own (bulk import).
    documents: Verifier,
    issuers: HashMap<Uscc, Issuer>,
    serial: SerialPolicy,
    ledger: Box<dyn Ledger>,
    copy_maker: Option<Sealer<Box<dyn Signer>>>,
    // Serialises the library's own writes (serial allocation, disputes).
    write: Mutex<()>,
}

impl<S: LicenseStore> core::fmt::Debug for ResourceLibrary<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ResourceLibrary")
            .field("types", &self.types.len())
            .field("issuers", &self.issuers.len())
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

const SUCCESSOR: &str = "successor: ";

impl<S: LicenseStore> ResourceLibrary<S> {
    /// A library over `store`, registering every type of `verifier`'s catalog
    /// in the store. Issuers are added with [`with_issuer`](Self::with_issuer).
    ///
    /// The library verifies with `verifier`, its status source extended by
    /// the store: certificate and seal revocation are still asked of
    /// `verifier`'s source, license status of the store ([`StoreStatus`]),
    /// so every verification the library makes — and every verification made
    /// with [`verifier`](Self::verifier), batch ones included — fails for a
    /// license that is suspended, revoked or superseded at the time asked.
    ///
    /// # Errors
    /// [`ResourceError::Store`] when a type cannot be registered (e.g. the
    /// store has another definition of that code and version).
    pub fn new(store: S, verifier: Verifier) -> Result<ResourceLibrary<S>, ResourceError>
    where
        S: 'static,
    {
        let types = verifier.license_types().clone();
        for t in types.iter() {
            store.register_type(t)?;
        }
        let store = Arc::new(store);
        let status = StoreStatus::new(Arc::clone(&store), verifier.status_source());
        let documents = verifier.clone();
        let verifier = verifier.with_shared_status(Arc::new(status));
        Ok(ResourceLibrary {
            store,
            types,
            verifier,
            documents,
            issuers: HashMap::new(),
            serial: SerialPolicy::default(),
            ledger: Box::new(MemoryLedger::new()),
            copy_maker: None,
            write: Mutex::new(()),
        })
    }

    /// Adds an issuing identity: `issuer` issues in `region` and seals with
    /// `sealer`, whose seal must belong to `issuer`.
    ///
    /// # Errors
    /// [`ResourceError::Sealer`] when the seal belongs to another organisation.
    pub fn with_issuer(
        mut self,
        issuer: Organisation,
        region: RegionCode,
        sealer: Sealer<Box<dyn Signer>>,
    ) -> Result<ResourceLibrary<S>, ResourceError> {
        if sealer.seal().holder().code() != issuer.code() {
            return Err(ResourceError::Sealer(crate::seal::SealError::Invalid {
                field: "holder",
                reason: "the seal does not belong to the issuer",
            }));
        }
        self.issuers.insert(
            *issuer.code(),
            Issuer {
                org: issuer,
                region,
                sealer,
            },
        );
        Ok(self)
    }

    /// With a serial policy (default [`SerialPolicy::Sequence`]).
    pub fn with_serial_policy(mut self, policy: SerialPolicy) -> ResourceLibrary<S> {
        self.serial = policy;
        self
    }

    /// With a ledger for grants, uses, disputes and serial counters (default
    /// a [`MemoryLedger`]).
    pub fn with_ledger(mut self, ledger: Box<dyn Ledger>) -> ResourceLibrary<S> {
        self.ledger = ledger;
        self
    }

    /// With the identity that seals annotated copies (加注件): the library
    /// operator's seal, signing certificate and key. Copies are checked with
    /// [`verify_copy`](Self::verify_copy); the seal and certificate must
    /// verify under the library's trust anchors.
    pub fn with_copy_maker(mut self, sealer: Sealer<Box<dyn Signer>>) -> ResourceLibrary<S> {
        self.copy_maker = Some(sealer);
        self
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The library's verifier: the one given, with the store's license
    /// status ([`StoreStatus`]) — a license fails unless the store holds it in
    /// force at the time asked.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// The verifier given to [`new`](Self::new), unchanged: it checks
    /// documents on their own (seals, certificates, schema, validity), not
    /// whether the store holds them; bulk archiving imports with it.
    pub fn document_verifier(&self) -> &Verifier {
        &self.documents
    }

    /// The catalog of license types.
    pub fn license_types(&self) -> &LicenseTypes {
        &self.types
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        self.write.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn issuer(&self, code: &Uscc) -> Result<&Issuer, ResourceError> {
        self.issuers
            .get(code)
            .ok_or(ResourceError::UnknownIssuer { issuer: *code })
    }

    fn license_type(&self, code: &LicenseTypeCode) -> Result<&LicenseType, ResourceError> {
        self.types
            .get(code)
            .ok_or(ResourceError::UnknownType { code: *code })
    }

    /// Checks `data` against the model and its type, and seals it.
    fn seal(
        &self,
        issuer: &Issuer,
        data: LicenseData,
        at: Timestamp,
    ) -> Result<SignedLicense, ResourceError> {
        let license = License::new(data)?;
        self.license_type(license.type_code())?
            .check(&license)
            .map_err(|error| ResourceError::Schema { error })?;
        Ok(SignedLicense::seal(license, &issuer.sealer, at)?)
    }

    fn base_data(
        &self,
        issuer: &Issuer,
        id: LicenseId,
        t: &LicenseType,
        at: Timestamp,
    ) -> Result<(LicenseData, SealInfo), ResourceError> {
        let seal = SealInfo::new(issuer.org.clone(), issuer.sealer.seal().name(), at)?;
        let data = LicenseData {
            id,
            name: t.name().to_owned(),
            type_code: *t.code(),
            number: String::new(),
            issuer: issuer.org.clone(),
            issue_date: Date::at(at),
            holder: Holder::new("-", HolderCode::from(*issuer.org.code()))?,
            valid_from: Date::at(at),
            valid_to: None,
            region: issuer.region,
            seal: Some(seal.clone()),
            created_at: at,
            fields: BTreeMap::new(),
            attachments: Vec::new(),
            predecessor: None,
        };
        Ok((data, seal))
    }

    fn serial_scope(
        &self,
        code: &LicenseTypeCode,
        issuer: &Uscc,
        at: Timestamp,
    ) -> (String, String) {
        let base = format!("{code}/{issuer}");
        match self.serial {
            SerialPolicy::Sequence => (base, String::new()),
            SerialPolicy::DateCounter => {
                let d = Date::at(at);
                let day = format!("{:04}{:02}{:02}", d.year(), d.month(), d.day());
                (format!("{base}/{day}"), day)
            }
        }
    }

    fn serial_text(&self, prefix: &str, n: u64) -> String {
        match self.serial {
            SerialPolicy::Sequence => format!("{n:010}"),
            SerialPolicy::DateCounter => format!("{prefix}{n:06}"),
        }
    }

    /// Allocates `count` unused identifiers (version 1) for one type and
    /// issuer. The numbers are reserved atomically in the ledger, so two
    /// issuers sharing it never draw the same one; identifiers already stored
    /// (e.g. after a restart with a fresh ledger) are skipped. A reservation
    /// whose issue then fails leaves a gap, never a duplicate.
    fn allocate(
        &self,
        code: &LicenseTypeCode,
        issuer: &Uscc,
        count: usize,
        at: Timestamp,
    ) -> Result<Vec<LicenseId>, ResourceError> {
        let (scope, prefix) = self.serial_scope(code, issuer, at);
        let max = match self.serial {
            SerialPolicy::Sequence => 9_999_999_999u64,
            SerialPolicy::DateCounter => 999_999,
        };
        let exhausted = || ResourceError::SerialsExhausted {
            code: *code,
            issuer: *issuer,
        };
        let mut ids = Vec::with_capacity(count);
        while ids.len() < count {
            let need = (count - ids.len()) as u64;
            let last = self.ledger.advance_serial(&scope, need)?;
            if last > max {
                return Err(exhausted());
            }
            for n in (last + 1).saturating_sub(need)..=last {
                let id = LicenseId::from_parts(
                    *code,
                    IssuerCode::Uscc(*issuer),
                    &self.serial_text(&prefix, n),
                    1,
                )?;
                if self.store.entry(&id)?.is_none() {
                    ids.push(id);
                }
            }
        }
        Ok(ids)
    }

    /// Issues (新发) one license: checks the request against the type's
    /// schema, allocates an identifier, seals it with `issuer`'s seal at
    /// `at` and stores it (one transaction).
    ///
    /// # Errors
    /// [`ResourceError::UnknownIssuer`], [`ResourceError::UnknownType`],
    /// [`ResourceError::Model`], [`ResourceError::Schema`],
    /// [`ResourceError::Seal`], [`ResourceError::Store`]. Nothing is stored then.
    pub fn issue(
        &self,
        issuer: &Uscc,
        request: IssueRequest,
        at: Timestamp,
    ) -> Result<SignedLicense, ResourceError> {
        let mut out = self.issue_batch(issuer, vec![request], at)?;
        out.pop().ok_or(ResourceError::Ledger {
            reason: "an issue made no license",
        })
    }

    /// Issues up to [`store_limits::BATCH_LICENSES`] licenses of one issuer
    /// in one store transaction (all or none), sealing them in parallel.
    ///
    /// # Errors
    /// Those of [`issue`](Self::issue) for the first bad request, and
    /// [`ResourceError::Store`] (a limit) for too many.
    pub fn issue_batch(
        &self,
        issuer: &Uscc,
        requests: Vec<IssueRequest>,
        at: Timestamp,
    ) -> Result<Vec<SignedLicense>, ResourceError> {
        if requests.len() > store_limits::BATCH_LICENSES {
            return Err(ResourceError::Store(crate::store::StoreError::Limit {
                what: "licenses in one batch",
                max: store_limits::BATCH_LICENSES as u64,
                found: requests.len() as u64,
            }));
        }
        let who = self.issuer(issuer)?;
        for r in &requests {
            self.license_type(&r.type_code)?;
        }
        let _guard = self.lock();
        // Identifiers per type, in request order.
        let mut by_type: BTreeMap<LicenseTypeCode, usize> = BTreeMap::new();
        for r in &requests {
            *by_type.entry(r.type_code).or_insert(0) += 1;
        }
        // Every request is checked (model and schema) under a provisional
        // identifier before any serial is reserved, so a refused issue uses
        // up nothing.
        let mut data = Vec::with_capacity(requests.len());
        for r in requests {
            let t = self.license_type(&r.type_code)?;
            let provisional =
                LicenseId::from_parts(r.type_code, IssuerCode::Uscc(*issuer), "0", 1)?;
            let (mut d, _) = self.base_data(who, provisional, t, at)?;
            d.number = r.number;
            d.holder = r.holder;
            d.valid_from = r.valid_from;
            d.valid_to = r.valid_to;
            d.fields = r.fields;
            d.attachments = r.attachments;
            let license = License::new(d)?;
            t.check(&license)
                .map_err(|error| ResourceError::Schema { error })?;
            data.push(license.into_data());
        }
        let mut ids: BTreeMap<LicenseTypeCode, std::vec::IntoIter<LicenseId>> = BTreeMap::new();
        for (code, count) in by_type {
            let list = self.allocate(&code, issuer, count, at)?;
            ids.insert(code, list.into_iter());
        }
        for d in &mut data {
            d.id = ids.get_mut(&d.type_code).and_then(Iterator::next).ok_or(
                ResourceError::Ledger {
                    reason: "identifier allocation fell short",
                },
            )?;
        }
        let sealed: Vec<SignedLicense> = data
            .into_par_iter()
            .map(|d| self.seal(who, d, at))
            .collect::<Result<_, _>>()?;
        // The 新发 events go in with the licenses, in one transaction.
        let events = sealed
            .iter()
            .map(|doc| {
                StatusEvent::new(
                    doc.license().id().clone(),
                    Operation::Issue,
                    at,
                    who.org.code().as_str(),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.store.insert_issued(&sealed, &events)?;
        Ok(sealed)
    }

    /// Records a status change (暂扣, 暂扣发还, 过期失效, 注销, 撤销, 吊销,
    /// 转出, 取消转出) by `actor` at `at`, following
    /// [`status_after`](crate::status_after). Returns the new status.
    ///
    /// # Errors
    /// [`ResourceError::NotAStatusChange`] for an operation that issues a
    /// license; [`ResourceError::Transition`] naming the current status when
    /// the operation is not allowed in it; [`ResourceError::NotFound`];
    /// [`ResourceError::Store`] (time order, malformed actor or reason).
    pub fn set_status(
        &self,
        id: &LicenseId,
        operation: Operation,
        actor: &str,
        reason: Option<&str>,
        at: Timestamp,
    ) -> Result<LicenseStatus, ResourceError> {
        if operation.supersedes() || operation == Operation::Issue {
            return Err(ResourceError::NotAStatusChange { operation });
        }
        let mut event = StatusEvent::new(id.clone(), operation, at, actor)?;
        if let Some(r) = reason {
            event = event.with_reason(r)?;
        }
        Ok(self.store.record_event(&event)?)
    }

    /// 暂扣: suspends a license.
    ///
    /// # Errors
    /// Those of [`set_status`](Self::set_status).
    pub fn suspend(
        &self,
        id: &LicenseId,
        actor: &str,
        reason: &str,
        at: Timestamp,
    ) -> Result<LicenseStatus, ResourceError> {
        self.set_status(id, Operation::Suspend, actor, Some(reason), at)
    }

    /// 暂扣发还: resumes a suspended license.
    ///
    /// # Errors
    /// Those of [`set_status`](Self::set_status).
    pub fn resume(
        &self,
        id: &LicenseId,
        actor: &str,
        at: Timestamp,
    ) -> Result<LicenseStatus, ResourceError> {
        self.set_status(id, Operation::Resume, actor, None, at)
    }

    /// 吊销: revokes a license (final).
    ///
    /// # Errors
    /// Those of [`set_status`](Self::set_status).
    pub fn revoke(
        &self,
        id: &LicenseId,
        actor: &str,
        reason: &str,
        at: Timestamp,
    ) -> Result<LicenseStatus, ResourceError> {
        self.set_status(id, Operation::Revoke, actor, Some(reason), at)
    }

    /// 注销: cancels a license (final).
    ///
    /// # Errors
    /// Those of [`set_status`](Self::set_status).
    pub fn cancel(
        &self,
        id: &LicenseId,
        actor: &str,
        reason: &str,
        at: Timestamp,
    ) -> Result<LicenseStatus, ResourceError> {
        self.set_status(id, Operation::Cancel, actor, Some(reason), at)
    }

    /// 过期失效: marks a license expired.
    ///
    /// # Errors
    /// Those of [`set_status`](Self::set_status).
    pub fn expire(
        &self,
        id: &LicenseId,
        actor: &str,
        at: Timestamp,
    ) -> Result<LicenseStatus, ResourceError> {
        self.set_status(id, Operation::Expire, actor, None, at)
    }

    /// 延续: renews a license — a new version (same type, issuer and serial,
    /// version + 1) linked to it, sealed at `at`; the old one stops being
    /// current. One store transaction.
    ///
    /// # Errors
    /// [`ResourceError::NotFound`], [`ResourceError::Transition`] (e.g. a
    /// suspended or already superseded license), the issue errors for the
    /// new version.
    pub fn renew(
        &self,
        id: &LicenseId,
        amendment: &Amendment,
        actor: &str,
        at: Timestamp,
    ) -> Result<SignedLicense, ResourceError> {
        self.supersede(id, Operation::Renew, None, amendment, actor, None, at)
    }

    /// 变更: changes a license's content — a new version, as for
    /// [`renew`](Self::renew).
    ///
    /// # Errors
    /// Those of [`renew`](Self::renew).
    pub fn change(
        &self,
        id: &LicenseId,
        amendment: &Amendment,
        actor: &str,
        at: Timestamp,
    ) -> Result<SignedLicense, ResourceError> {
        self.supersede(id, Operation::Change, None, amendment, actor, None, at)
    }

    /// 转入: a license moves to issuer `to` (in this library), which issues
    /// the new version (same type and serial, version + 1, `to`'s identifier
    /// part) in its region and under its seal.
    ///
    /// # Errors
    /// Those of [`renew`](Self::renew); [`ResourceError::UnknownIssuer`].
    pub fn transfer_in(
        &self,
        id: &LicenseId,
        to: &Uscc,
        amendment: &Amendment,
        actor: &str,
        at: Timestamp,
    ) -> Result<SignedLicense, ResourceError> {
        self.supersede(
            id,
            Operation::TransferIn,
            Some(to),
            amendment,
            actor,
            None,
            at,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn supersede(
        &self,
        id: &LicenseId,
        operation: Operation,
        to: Option<&Uscc>,
        amendment: &Amendment,
        actor: &str,
        reason: Option<&str>,
        at: Timestamp,
    ) -> Result<SignedLicense, ResourceError> {
        let old = self
            .store
            .get(id)?
            .ok_or_else(|| ResourceError::NotFound { id: id.clone() })?;
        let old = old.license();
        let issuer_code = to.unwrap_or(old.issuer().code());
        let who = self.issuer(issuer_code)?;
        let t = self.license_type(old.type_code())?;
        let version = id.version().saturating_add(1);
        let new_id = LicenseId::from_parts(
            *id.type_code(),
            IssuerCode::Uscc(*issuer_code),
            id.serial(),
            version,
        )?;
        let (base, seal) = self.base_data(who, new_id.clone(), t, at)?;
        let mut d = old.to_data();
        d.id = new_id.clone();
        d.name = base.name;
        d.issuer = base.issuer;
        d.region = if to.is_some() { base.region } else { d.region };
        d.issue_date = base.issue_date;
        d.created_at = at;
        d.seal = Some(seal);
        d.predecessor = Some(id.clone());
        amendment.apply(&mut d);
        let signed = self.seal(who, d, at)?;
        let text = match reason {
            Some(r) => format!("{r}\n{SUCCESSOR}{new_id}"),
            None => format!("{SUCCESSOR}{new_id}"),
        };
        let event = StatusEvent::new(id.clone(), operation, at, actor)?.with_reason(text)?;
        self.store.insert_successor(&signed, &event)?;
        Ok(signed)
    }

    /// The successor of a license, from the reason of its superseding event.
    fn successor(&self, id: &LicenseId) -> Result<Option<LicenseId>, ResourceError> {
        let events = self.store.events(id)?;
        let found = events
            .iter()
            .rev()
            .find(|e| e.event().operation().supersedes())
            .and_then(|e| e.event().reason())
            .and_then(|r| r.lines().find_map(|l| l.strip_prefix(SUCCESSOR)))
            .and_then(|s| LicenseId::parse(s).ok());
        Ok(found)
    }

    /// Every version of the license `id` belongs to (its predecessors and its
    /// successors), oldest first, with their current status. Each can be
    /// verified with [`verify_id`](Self::verify_id).
    ///
    /// # Errors
    /// [`ResourceError::NotFound`]; [`ResourceError::Store`].
    pub fn versions(&self, id: &LicenseId) -> Result<Vec<CatalogEntry>, ResourceError> {
        let first = self
            .store
            .entry(id)?
            .ok_or_else(|| ResourceError::NotFound { id: id.clone() })?;
        let mut back = Vec::new();
        let mut cursor = self
            .store
            .get(id)?
            .and_then(|l| l.license().predecessor().cloned());
        while let Some(p) = cursor {
            if back.len() > 1000 {
                break;
            }
            match self.store.entry(&p)? {
                Some(e) => back.push(e),
                // A predecessor archived elsewhere ends the chain here.
                None => break,
            }
            cursor = self
                .store
                .get(&p)?
                .and_then(|l| l.license().predecessor().cloned());
        }
        back.reverse();
        back.push(first);
        let mut next = self.successor(id)?;
        let mut forward = 0;
        while let Some(n) = next {
            forward += 1;
            if forward > 1000 {
                break;
            }
            match self.store.entry(&n)? {
                Some(e) => back.push(e),
                None => break,
            }
            next = self.successor(&n)?;
        }
        Ok(back)
    }

    // ---- verification service ----

    fn open_disputes(&self, id: &LicenseId) -> Result<Vec<DisputeId>, ResourceError> {
        Ok(self
            .ledger
            .disputes_of(id)?
            .into_iter()
            .filter(Dispute::is_open)
            .map(|d| d.id())
            .collect())
    }

    /// Verifies `bytes` at `at` (the license's status included, through the
    /// store's status source), then that they are the stored license.
    fn judge(
        &self,
        bytes: &[u8],
        at: Timestamp,
        stored: Option<&[u8]>,
    ) -> Result<VerifyResult, ResourceError> {
        let outcome = self
            .verifier
            .verify(bytes, at)
            .map(|v| (v.license().id().clone(), Some(v.report().clone())));
        self.judged(bytes, at, stored, outcome.as_ref())
    }

    /// The service's answer for `bytes` given the verifier's verdict
    /// (the license and, from the single path, its report; or the rejection).
    fn judged(
        &self,
        bytes: &[u8],
        at: Timestamp,
        stored: Option<&[u8]>,
        outcome: Result<&(LicenseId, Option<Report>), &Rejected>,
    ) -> Result<VerifyResult, ResourceError> {
        match outcome {
            Err(rejected) => {
                let decoded = SignedLicense::decode(bytes).ok();
                let id = decoded.as_ref().map(|d| d.license().id().clone());
                let not_yet = rejected.step() == Step::Validity
                    && decoded
                        .as_ref()
                        .is_some_and(|d| d.license().valid_from() > Date::at(at));
                let (code, problem) = match rejected.failure() {
                    _ if not_yet => (VerifyCode::NotActivated, None),
                    Failure::LicenseNotInForce { status, .. } => (
                        if *status == LicenseStatus::Suspended {
                            VerifyCode::TemporarilyInvalid
                        } else {
                            VerifyCode::Invalid
                        },
                        Some(StatusProblem::Status(*status)),
                    ),
                    Failure::LicenseStatusUnknown { .. } => (VerifyCode::NotFound, None),
                    _ => (VerifyCode::Invalid, None),
                };
                let mut r = VerifyResult::code_only(code, id.clone());
                r.report = Some(rejected.report().clone());
                r.problem = problem;
                if let Some(id) = &id {
                    r.status = self.store.entry(id)?.map(|e| e.status());
                    r.under_review = self.open_disputes(id)?;
                }
                Ok(r)
            }
            Ok((id, report)) => {
                let mut r = VerifyResult::code_only(VerifyCode::Valid, Some(id.clone()));
                r.report = report.clone();
                let Some(entry) = self.store.entry(id)? else {
                    r.code = VerifyCode::NotFound;
                    return Ok(r);
                };
                r.status = Some(entry.status());
                r.under_review = self.open_disputes(id)?;
                let same = match stored {
                    Some(s) => s == bytes,
                    None => self.store.document(id)?.as_deref() == Some(bytes),
                };
                if !same {
                    r.code = VerifyCode::Invalid;
                    r.problem = Some(StatusProblem::DiffersFromStored);
                }
                Ok(r)
            }
        }
    }

    /// Verifies the stored license `id` at `at`: seals, certificates and
    /// validity by the [`Verifier`], then its status in the store.
    ///
    /// # Errors
    /// [`ResourceError::Store`] when the store fails (a missing license is
    /// code 5, not an error).
    pub fn verify_id(&self, id: &LicenseId, at: Timestamp) -> Result<VerifyResult, ResourceError> {
        match self.store.document(id)? {
            None => Ok(VerifyResult::code_only(
                VerifyCode::NotFound,
                Some(id.clone()),
            )),
            Some(bytes) => self.judge(&bytes, at, Some(&bytes)),
        }
    }

    /// Verifies a submitted sealed license at `at`; it must also be the
    /// license the library holds under its identifier, in status 有效.
    ///
    /// # Errors
    /// [`ResourceError::Store`] when the store fails.
    pub fn verify_bytes(&self, bytes: &[u8], at: Timestamp) -> Result<VerifyResult, ResourceError> {
        self.judge(bytes, at, None)
    }

    /// [`verify_bytes`](Self::verify_bytes) for many submitted licenses at
    /// once: the cryptographic checks run through `batch` (a
    /// [`BatchVerifier`](crate::BatchVerifier) over this library's
    /// [`verifier`](Self::verifier)), the rest as `verify_bytes` does. Each
    /// result equals `verify_bytes`'s for the same bytes, except that a
    /// license that verified carries no step report (a rejected one does).
    ///
    /// # Errors
    /// [`ResourceError::Store`] when the store fails.
    pub fn verify_bytes_batch<D: AsRef<[u8]> + Sync>(
        &self,
        batch: &crate::BatchVerifier,
        docs: &[D],
        at: Timestamp,
    ) -> Result<Vec<VerifyResult>, ResourceError> {
        let outcomes = batch.verify_slice(docs, at);
        let mut out = Vec::with_capacity(docs.len());
        for (doc, o) in docs.iter().zip(outcomes) {
            let bytes = doc.as_ref();
            let r = match (o.result(), o.id()) {
                (Ok(()), Some(id)) => self.judged(bytes, at, None, Ok(&(id.clone(), None)))?,
                (Err(rejected), _) => self.judged(bytes, at, None, Err(rejected))?,
                // A verdict without an identifier cannot be valid: ask the
                // single path.
                (Ok(()), None) => self.judge(bytes, at, None)?,
            };
            out.push(r);
        }
        Ok(out)
    }

    /// Verifies submitted data (核验证照信息): the license of `type_code`,
    /// `holder` and `number` (the current version when there are several),
    /// verified as [`verify_id`](Self::verify_id) does, then each submitted
    /// field compared with it: 4 when the license lacks one, 7 when one differs.
    ///
    /// # Errors
    /// [`ResourceError::Store`] when the store fails.
    pub fn verify_data(
        &self,
        check: &DataCheck,
        at: Timestamp,
    ) -> Result<VerifyResult, ResourceError> {
        let mut missing = Vec::new();
        if check.type_code.is_none() {
            missing.push("type_code");
        }
        if check.holder.is_none() {
            missing.push("holder");
        }
        if check.number.as_deref().is_none_or(str::is_empty) {
            missing.push("number");
        }
        let (Some(code), Some(holder), Some(number), true) = (
            check.type_code,
            check.holder.as_ref(),
            check.number.as_deref(),
            missing.is_empty(),
        ) else {
            let mut r = VerifyResult::code_only(VerifyCode::MissingParameter, None);
            r.missing = missing;
            return Ok(r);
        };
        let entries = self.all(Query::new().holder(holder.clone()).type_code(code))?;
        let best = entries
            .iter()
            .filter(|e| e.number() == number)
            .max_by_key(|e| (e.status() == LicenseStatus::Valid, e.id().version()));
        let Some(entry) = best else {
            return Ok(VerifyResult::code_only(VerifyCode::NotFound, None));
        };
        let mut r = self.verify_id(entry.id(), at)?;
        if r.code != VerifyCode::Valid || check.fields.is_empty() {
            return Ok(r);
        }
        let Some(license) = self.store.get(entry.id())? else {
            return Ok(VerifyResult::code_only(VerifyCode::NotFound, None));
        };
        let mut absent = false;
        for (k, v) in &check.fields {
            match license.license().field(k) {
                None => absent = true,
                Some(found) if found != v => r.mismatched.push(k.clone()),
                Some(_) => {}
            }
        }
        if absent {
            r.code = VerifyCode::Incomplete;
        } else if !r.mismatched.is_empty() {
            r.code = VerifyCode::PartlyWrong;
        }
        Ok(r)
    }

    fn all(&self, mut q: Query) -> Result<Vec<CatalogEntry>, ResourceError> {
        q = q.limit(store_limits::MAX_PAGE_SIZE)?;
        let mut out = Vec::new();
        loop {
            let page = self.store.query(&q)?;
            let next = page.next().cloned();
            out.extend(page.into_entries());
            match next {
                Some(c) => q = q.after(c),
                None => return Ok(out),
            }
        }
    }

    // ---- authorised retrieval ----

    /// Grants a permission (by a holder or by policy).
    ///
    /// # Errors
    /// [`ResourceError::Ledger`] when the ledger fails.
    pub fn grant(&self, grant: Grant) -> Result<(), ResourceError> {
        self.ledger.add_grant(grant)
    }

    /// Withdraws a permission; returns how many equal grants were removed.
    ///
    /// # Errors
    /// [`ResourceError::Ledger`] when the ledger fails.
    pub fn revoke_grant(&self, grant: &Grant) -> Result<usize, ResourceError> {
        self.ledger.remove_grant(grant)
    }

    fn permitted(
        &self,
        accessor: &Uscc,
        code: &LicenseTypeCode,
        holder: &HolderCode,
        at: Timestamp,
    ) -> Result<bool, ResourceError> {
        Ok(self
            .ledger
            .grants_of(accessor)?
            .iter()
            .any(|g| g.allows(accessor, code, holder, at)))
    }

    #[allow(clippy::too_many_arguments)]
    fn record_use(
        &self,
        accessor: &Organisation,
        action: UseAction,
        holder: Option<&HolderCode>,
        type_code: Option<&LicenseTypeCode>,
        license: Option<&LicenseId>,
        purpose: &Purpose,
        result: UseResult,
        at: Timestamp,
    ) -> Result<(), ResourceError> {
        self.ledger.append_use(UseRecord {
            accessor: *accessor.code(),
            accessor_name: accessor.name().to_owned(),
            action,
            holder: holder.cloned(),
            type_code: type_code.copied(),
            license: license.cloned(),
            at,
            purpose: purpose.as_str().to_owned(),
            result,
        })
    }

    /// Retrieves (检索) a holder's licenses of one type for `accessor`, who
    /// states `purpose` and must hold a grant for that type (and holder) at
    /// `at`. Allowed or refused, the use is recorded.
    ///
    /// # Errors
    /// [`ResourceError::NoPermission`] (recorded); [`ResourceError::Store`].
    pub fn query_by_holder(
        &self,
        accessor: &Organisation,
        purpose: &Purpose,
        holder: &HolderCode,
        type_code: &LicenseTypeCode,
        at: Timestamp,
    ) -> Result<Vec<CatalogEntry>, ResourceError> {
        if !self.permitted(accessor.code(), type_code, holder, at)? {
            self.record_use(
                accessor,
                UseAction::Query,
                Some(holder),
                Some(type_code),
                None,
                purpose,
                UseResult::NoPermission,
                at,
            )?;
            return Err(ResourceError::NoPermission {
                accessor: *accessor.code(),
                code: *type_code,
                holder: holder.masked(),
            });
        }
        let entries = self.all(Query::new().holder(holder.clone()).type_code(*type_code))?;
        self.record_use(
            accessor,
            UseAction::Query,
            Some(holder),
            Some(type_code),
            None,
            purpose,
            UseResult::Allowed {
                count: entries.len(),
            },
            at,
        )?;
        Ok(entries)
    }

    /// Fetches (获取) one sealed license for `accessor`, who states `purpose`
    /// and must hold a grant for its type and holder at `at`. Allowed or
    /// refused, the use is recorded.
    ///
    /// # Errors
    /// [`ResourceError::NotFound`] and [`ResourceError::NoPermission`] (both
    /// recorded); [`ResourceError::Store`].
    pub fn fetch(
        &self,
        accessor: &Organisation,
        purpose: &Purpose,
        id: &LicenseId,
        at: Timestamp,
    ) -> Result<SignedLicense, ResourceError> {
        let entry = self.store.entry(id)?;
        let Some(entry) = entry else {
            self.record_use(
                accessor,
                UseAction::Fetch,
                None,
                Some(id.type_code()),
                Some(id),
                purpose,
                UseResult::NotFound,
                at,
            )?;
            return Err(ResourceError::NotFound { id: id.clone() });
        };
        let holder = entry.holder().code();
        if !self.permitted(accessor.code(), entry.type_code(), holder, at)? {
            self.record_use(
                accessor,
                UseAction::Fetch,
                Some(holder),
                Some(entry.type_code()),
                Some(id),
                purpose,
                UseResult::NoPermission,
                at,
            )?;
            return Err(ResourceError::NoPermission {
                accessor: *accessor.code(),
                code: *entry.type_code(),
                holder: holder.masked(),
            });
        }
        let license = self
            .store
            .get(id)?
            .ok_or_else(|| ResourceError::NotFound { id: id.clone() })?;
        self.record_use(
            accessor,
            UseAction::Fetch,
            Some(holder),
            Some(entry.type_code()),
            Some(id),
            purpose,
            UseResult::Allowed { count: 1 },
            at,
        )?;
        Ok(license)
    }

    /// Who used a holder's licenses: the use record, allowed and refused,
    /// oldest first.
    ///
    /// # Errors
    /// [`ResourceError::Ledger`] when the ledger fails.
    pub fn uses_of(&self, holder: &HolderCode) -> Result<Vec<UseRecord>, ResourceError> {
        self.ledger.uses_of(holder)
    }

    // ---- disputes and corrections ----

    /// The holder raises a dispute (异议) on named fields of a license; it is
    /// under review until upheld or rejected, and flagged in verification
    /// results meanwhile.
    ///
    /// # Errors
    /// [`ResourceError::NotFound`]; [`ResourceError::NotHolder`];
    /// [`ResourceError::DisputeField`] for no field or a field not in the
    /// license's type; [`ResourceError::Text`] for a malformed reason.
    pub fn raise_dispute(
        &self,
        id: &LicenseId,
        holder: &HolderCode,
        fields: Vec<String>,
        reason: &str,
        at: Timestamp,
    ) -> Result<DisputeId, ResourceError> {
        check_text("dispute reason", reason, DISPUTE_REASON_CHARS)?;
        let entry = self
            .store
            .entry(id)?
            .ok_or_else(|| ResourceError::NotFound { id: id.clone() })?;
        if entry.holder().code() != holder {
            return Err(ResourceError::NotHolder { id: id.clone() });
        }
        let t = self.license_type(entry.type_code())?;
        if fields.is_empty() {
            return Err(ResourceError::DisputeField { key: String::new() });
        }
        if let Some(bad) = fields.iter().find(|k| t.field(k).is_none()) {
            return Err(ResourceError::DisputeField { key: bad.clone() });
        }
        let _guard = self.lock();
        self.ledger
            .add_dispute(id.clone(), fields, reason.to_owned(), at)
    }

    /// A dispute.
    ///
    /// # Errors
    /// [`ResourceError::Ledger`] when the ledger fails.
    pub fn dispute(&self, id: DisputeId) -> Result<Option<Dispute>, ResourceError> {
        self.ledger.dispute(id)
    }

    fn open_dispute(&self, id: DisputeId, at: Timestamp) -> Result<Dispute, ResourceError> {
        let d = self
            .ledger
            .dispute(id)?
            .ok_or(ResourceError::UnknownDispute(id))?;
        if !d.is_open() {
            return Err(ResourceError::DisputeClosed { id });
        }
        if at < d.raised_at() {
            return Err(ResourceError::TimeOrder {
                last: d.raised_at(),
                at,
            });
        }
        Ok(d)
    }

    /// Upholds a dispute (反馈纠错): a corrected license (更正, a new version
    /// with `corrections` applied to disputed fields only) is issued and
    /// linked, the disputed one superseded — one store transaction — and
    /// the dispute closed.
    ///
    /// # Errors
    /// [`ResourceError::UnknownDispute`], [`ResourceError::DisputeClosed`],
    /// [`ResourceError::DisputeField`] for a correction of an undisputed
    /// field, and those of [`renew`](Self::renew).
    pub fn uphold_dispute(
        &self,
        dispute: DisputeId,
        corrections: BTreeMap<String, FieldValue>,
        actor: &str,
        at: Timestamp,
    ) -> Result<SignedLicense, ResourceError> {
        let _guard = self.lock();
        let d = self.open_dispute(dispute, at)?;
        if let Some(bad) = corrections.keys().find(|k| !d.fields().contains(k)) {
            return Err(ResourceError::DisputeField { key: bad.clone() });
        }
        let amendment = Amendment {
            set_fields: corrections,
            ..Amendment::default()
        };
        let corrected = self.supersede(
            d.license(),
            Operation::Correct,
            None,
            &amendment,
            actor,
            Some(&format!("dispute {dispute} upheld")),
            at,
        )?;
        self.ledger.set_dispute_state(
            dispute,
            DisputeState::Upheld {
                corrected: corrected.license().id().clone(),
                at,
            },
        )?;
        Ok(corrected)
    }

    /// Rejects a dispute with a reason; the license is unchanged.
    ///
    /// # Errors
    /// [`ResourceError::UnknownDispute`], [`ResourceError::DisputeClosed`],
    /// [`ResourceError::Text`] for a malformed reason.
    pub fn reject_dispute(
        &self,
        dispute: DisputeId,
        reason: &str,
        at: Timestamp,
    ) -> Result<(), ResourceError> {
        check_text("rejection reason", reason, DISPUTE_REASON_CHARS)?;
        let _guard = self.lock();
        self.open_dispute(dispute, at)?;
        self.ledger.set_dispute_state(
            dispute,
            DisputeState::Rejected {
                reason: reason.to_owned(),
                at,
            },
        )
    }
}
