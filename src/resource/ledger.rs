//! What the resource library keeps beside the license store: serial counters,
//! grants (用证授权), the use record (用证记录) and disputes (异议).
//!
//! They sit behind the [`Ledger`] trait; [`MemoryLedger`] keeps them in
//! memory. To keep them across restarts, in the license store's own
//! database, use [`SqliteStore::ledger`](crate::SqliteStore::ledger) or
//! `PostgresStore::ledger` (feature `postgres`).

use core::fmt;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use crate::date::Timestamp;
use crate::ids::{HolderCode, LicenseId, LicenseTypeCode, Uscc};

use super::ResourceError;

/// Who granted a permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GrantSource {
    /// The holder authorised this accessor (for the holder's own licenses).
    Holder,
    /// A policy (a regulation or an agreement between departments).
    Policy,
}

/// A permission (授权): `accessor` may retrieve licenses of `type_code` —
/// of one holder, or of every holder when granted by policy — until `until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    accessor: Uscc,
    type_code: LicenseTypeCode,
    holder: Option<HolderCode>,
    source: GrantSource,
    until: Option<Timestamp>,
}

impl Grant {
    /// The holder authorises `accessor` to retrieve the holder's licenses of
    /// `type_code`, until `until` (open-ended when `None`).
    pub fn by_holder(
        holder: HolderCode,
        accessor: Uscc,
        type_code: LicenseTypeCode,
        until: Option<Timestamp>,
    ) -> Grant {
        Grant {
            accessor,
            type_code,
            holder: Some(holder),
            source: GrantSource::Holder,
            until,
        }
    }

    /// A policy lets `accessor` retrieve every holder's licenses of `type_code`.
    pub fn by_policy(
        accessor: Uscc,
        type_code: LicenseTypeCode,
        until: Option<Timestamp>,
    ) -> Grant {
        Grant {
            accessor,
            type_code,
            holder: None,
            source: GrantSource::Policy,
            until,
        }
    }

    /// The accessor (用证方).
    pub fn accessor(&self) -> &Uscc {
        &self.accessor
    }
    /// The license type.
    pub fn type_code(&self) -> &LicenseTypeCode {
        &self.type_code
    }
    /// The holder, for a holder's grant.
    pub fn holder(&self) -> Option<&HolderCode> {
        self.holder.as_ref()
    }
    /// Who granted it.
    pub fn source(&self) -> GrantSource {
        self.source
    }
    /// Until when (inclusive); `None` is open-ended.
    pub fn until(&self) -> Option<Timestamp> {
        self.until
    }

    /// Whether this grant allows `accessor` to retrieve a license of
    /// `type_code` held by `holder` at `at`.
    pub fn allows(
        &self,
        accessor: &Uscc,
        type_code: &LicenseTypeCode,
        holder: &HolderCode,
        at: Timestamp,
    ) -> bool {
        self.accessor == *accessor
            && self.type_code == *type_code
            && self.holder.as_ref().is_none_or(|h| h == holder)
            && self.until.is_none_or(|u| at <= u)
    }
}

/// What an accessor did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UseAction {
    /// Queried a holder's licenses (检索).
    Query,
    /// Fetched one license (获取).
    Fetch,
}

/// How a use ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UseResult {
    /// Allowed: `count` licenses were returned.
    Allowed {
        /// Licenses returned.
        count: usize,
    },
    /// Refused: no permission for that license type and holder.
    NoPermission,
    /// Refused: no such license.
    NotFound,
}

/// One entry of the use record (用证记录): who, what, when, why, and the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseRecord {
    pub(crate) accessor: Uscc,
    pub(crate) accessor_name: String,
    pub(crate) action: UseAction,
    pub(crate) holder: Option<HolderCode>,
    pub(crate) type_code: Option<LicenseTypeCode>,
    pub(crate) license: Option<LicenseId>,
    pub(crate) at: Timestamp,
    pub(crate) purpose: String,
    pub(crate) result: UseResult,
}

impl UseRecord {
    /// An entry of the use record, as the library makes one for each
    /// retrieval: for importing a use record kept elsewhere, or for testing a
    /// [`Ledger`].
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        accessor: Uscc,
        accessor_name: impl Into<String>,
        action: UseAction,
        holder: Option<HolderCode>,
        type_code: Option<LicenseTypeCode>,
        license: Option<LicenseId>,
        at: Timestamp,
        purpose: impl Into<String>,
        result: UseResult,
    ) -> UseRecord {
        UseRecord {
            accessor,
            accessor_name: accessor_name.into(),
            action,
            holder,
            type_code,
            license,
            at,
            purpose: purpose.into(),
            result,
        }
    }

    /// The accessor's USCC.
    pub fn accessor(&self) -> &Uscc {
        &self.accessor
    }
    /// The accessor's name.
    pub fn accessor_name(&self) -> &str {
        &self.accessor_name
    }
    /// What was done.
    pub fn action(&self) -> UseAction {
        self.action
    }
    /// The holder whose licenses were asked for (unknown for a fetch of a
    /// license that does not exist).
    pub fn holder(&self) -> Option<&HolderCode> {
        self.holder.as_ref()
    }
    /// The license type asked for.
    pub fn type_code(&self) -> Option<&LicenseTypeCode> {
        self.type_code.as_ref()
    }
    /// The license fetched, for a fetch.
    pub fn license(&self) -> Option<&LicenseId> {
        self.license.as_ref()
    }
    /// When.
    pub fn at(&self) -> Timestamp {
        self.at
    }
    /// The stated purpose (用证事由).
    pub fn purpose(&self) -> &str {
        &self.purpose
    }
    /// The result.
    pub fn result(&self) -> UseResult {
        self.result
    }
}

/// A dispute's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DisputeId(pub(crate) u64);

impl DisputeId {
    /// The dispute numbered `n` (e.g. from a request naming it).
    pub fn new(n: u64) -> DisputeId {
        DisputeId(n)
    }

    /// The number.
    pub fn get(&self) -> u64 {
        self.0
    }
}

impl fmt::Display for DisputeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Where a dispute stands.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DisputeState {
    /// Under review (审核中): the license is flagged in verification results.
    UnderReview,
    /// Upheld: a corrected license was issued and the disputed one superseded.
    Upheld {
        /// The corrected license.
        corrected: LicenseId,
        /// When it was decided.
        at: Timestamp,
    },
    /// Rejected with a reason.
    Rejected {
        /// Why.
        reason: String,
        /// When it was decided.
        at: Timestamp,
    },
}

/// A dispute (异议) raised by a holder on named fields of a license.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispute {
    pub(crate) id: DisputeId,
    pub(crate) license: LicenseId,
    pub(crate) fields: Vec<String>,
    pub(crate) reason: String,
    pub(crate) raised_at: Timestamp,
    pub(crate) state: DisputeState,
}

impl Dispute {
    /// Its number.
    pub fn id(&self) -> DisputeId {
        self.id
    }
    /// The disputed license.
    pub fn license(&self) -> &LicenseId {
        &self.license
    }
    /// The disputed fields (`KZ_*` keys).
    pub fn fields(&self) -> &[String] {
        &self.fields
    }
    /// The holder's reason.
    pub fn reason(&self) -> &str {
        &self.reason
    }
    /// When it was raised.
    pub fn raised_at(&self) -> Timestamp {
        self.raised_at
    }
    /// Where it stands.
    pub fn state(&self) -> &DisputeState {
        &self.state
    }
    /// Whether it is still under review.
    pub fn is_open(&self) -> bool {
        self.state == DisputeState::UnderReview
    }
}

/// Storage for what the resource library keeps beside the license store.
/// Each method is atomic on its own.
pub trait Ledger: Send + Sync {
    /// The last serial number allocated in `scope` (0 if none).
    fn last_serial(&self, scope: &str) -> Result<u64, ResourceError>;
    /// Records `n` as the last serial number allocated in `scope`.
    fn set_last_serial(&self, scope: &str, n: u64) -> Result<(), ResourceError>;
    /// Adds a grant.
    fn add_grant(&self, grant: Grant) -> Result<(), ResourceError>;
    /// Removes every grant equal to `grant`; returns how many.
    fn remove_grant(&self, grant: &Grant) -> Result<usize, ResourceError>;
    /// The grants of an accessor.
    fn grants_of(&self, accessor: &Uscc) -> Result<Vec<Grant>, ResourceError>;
    /// Appends to the use record.
    fn append_use(&self, record: UseRecord) -> Result<(), ResourceError>;
    /// The use record of a holder's licenses, oldest first.
    fn uses_of(&self, holder: &HolderCode) -> Result<Vec<UseRecord>, ResourceError>;
    /// Stores a new dispute and returns its number.
    fn add_dispute(
        &self,
        license: LicenseId,
        fields: Vec<String>,
        reason: String,
        raised_at: Timestamp,
    ) -> Result<DisputeId, ResourceError>;
    /// A dispute.
    fn dispute(&self, id: DisputeId) -> Result<Option<Dispute>, ResourceError>;
    /// Changes a dispute's state.
    fn set_dispute_state(&self, id: DisputeId, state: DisputeState) -> Result<(), ResourceError>;
    /// The disputes of a license, oldest first.
    fn disputes_of(&self, license: &LicenseId) -> Result<Vec<Dispute>, ResourceError>;

    /// Allocates `count` serial numbers in `scope`: advances its counter by
    /// `count` and returns the new last number, so the numbers
    /// `last - count + 1 ..= last` belong to this caller alone.
    ///
    /// The default reads and then writes the counter (atomic only under the
    /// caller's own lock); [`MemoryLedger`] and the database ledgers
    /// (`SqliteLedger`, `PostgresLedger`) advance it in one atomic step, so
    /// two issuers sharing a ledger never get the same number.
    ///
    /// # Errors
    /// [`ResourceError::Ledger`] when the counter would overflow.
    fn advance_serial(&self, scope: &str, count: u64) -> Result<u64, ResourceError> {
        let last = self
            .last_serial(scope)?
            .checked_add(count)
            .ok_or(SERIAL_OVERFLOW)?;
        self.set_last_serial(scope, last)?;
        Ok(last)
    }
}

/// The error of a serial counter that would pass `u64::MAX` (or what a
/// database can hold).
const SERIAL_OVERFLOW: ResourceError = ResourceError::Ledger {
    reason: "the serial counter would overflow",
};

/// A [`Ledger`] in memory (nothing persisted).
#[derive(Default)]
pub struct MemoryLedger {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    serials: HashMap<String, u64>,
    grants: Vec<Grant>,
    uses: Vec<UseRecord>,
    disputes: BTreeMap<DisputeId, Dispute>,
}

impl fmt::Debug for MemoryLedger {
    /// Counts only: the contents are personal data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.lock();
        f.debug_struct("MemoryLedger")
            .field("grants", &m.grants.len())
            .field("uses", &m.uses.len())
            .field("disputes", &m.disputes.len())
            .finish()
    }
}

impl MemoryLedger {
    /// An empty ledger.
    pub fn new() -> MemoryLedger {
        MemoryLedger::default()
    }

    // Every change is a single infallible step, so a poisoned lock holds no
    // half-made change.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Ledger for MemoryLedger {
    fn last_serial(&self, scope: &str) -> Result<u64, ResourceError> {
        Ok(self.lock().serials.get(scope).copied().unwrap_or(0))
    }
    fn set_last_serial(&self, scope: &str, n: u64) -> Result<(), ResourceError> {
        self.lock().serials.insert(scope.to_owned(), n);
        Ok(())
    }
    fn add_grant(&self, grant: Grant) -> Result<(), ResourceError> {
        self.lock().grants.push(grant);
        Ok(())
    }
    fn remove_grant(&self, grant: &Grant) -> Result<usize, ResourceError> {
        let mut m = self.lock();
        let before = m.grants.len();
        m.grants.retain(|g| g != grant);
        Ok(before - m.grants.len())
    }
    fn grants_of(&self, accessor: &Uscc) -> Result<Vec<Grant>, ResourceError> {
        Ok(self
            .lock()
            .grants
            .iter()
            .filter(|g| g.accessor == *accessor)
            .cloned()
            .collect())
    }
    fn append_use(&self, record: UseRecord) -> Result<(), ResourceError> {
        self.lock().uses.push(record);
        Ok(())
    }
    fn uses_of(&self, holder: &HolderCode) -> Result<Vec<UseRecord>, ResourceError> {
        Ok(self
            .lock()
            .uses
            .iter()
            .filter(|u| u.holder.as_ref() == Some(holder))
            .cloned()
            .collect())
    }
    fn add_dispute(
        &self,
        license: LicenseId,
        fields: Vec<String>,
        reason: String,
        raised_at: Timestamp,
    ) -> Result<DisputeId, ResourceError> {
        let mut m = self.lock();
        let id = DisputeId(m.disputes.len() as u64 + 1);
        m.disputes.insert(
            id,
            Dispute {
                id,
                license,
                fields,
                reason,
                raised_at,
                state: DisputeState::UnderReview,
            },
        );
        Ok(id)
    }
    fn dispute(&self, id: DisputeId) -> Result<Option<Dispute>, ResourceError> {
        Ok(self.lock().disputes.get(&id).cloned())
    }
    fn set_dispute_state(&self, id: DisputeId, state: DisputeState) -> Result<(), ResourceError> {
        match self.lock().disputes.get_mut(&id) {
            Some(d) => {
                d.state = state;
                Ok(())
            }
            None => Err(ResourceError::UnknownDispute(id)),
        }
    }
    fn advance_serial(&self, scope: &str, count: u64) -> Result<u64, ResourceError> {
        let mut m = self.lock();
        let last = m
            .serials
            .get(scope)
            .copied()
            .unwrap_or(0)
            .checked_add(count)
            .ok_or(SERIAL_OVERFLOW)?;
        m.serials.insert(scope.to_owned(), last);
        Ok(last)
    }
    fn disputes_of(&self, license: &LicenseId) -> Result<Vec<Dispute>, ResourceError> {
        Ok(self
            .lock()
            .disputes
            .values()
            .filter(|d| d.license == *license)
            .cloned()
            .collect())
    }
}
