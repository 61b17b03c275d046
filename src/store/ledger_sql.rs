//! What the SQL ledgers share: how grants, uses and disputes become columns
//! and how stored columns become them again (checked like input: a row that
//! no longer decodes is [`StoreError::Corrupt`], named by its row number,
//! never by a personal identifier).
//!
//! The tables (schema version 2) are:
//!
//! * `ledger_counters (kind, name, last)`: serial counters (`kind` `serial`,
//!   `name` the scope) and the row numbers of the other tables (`kind` `id`);
//! * `ledger_grants`, `ledger_uses`, `ledger_disputes`, keyed by a row number
//!   taken from `ledger_counters` in the same transaction as the insert, so
//!   row order is insertion order and no database sequence is used.

use crate::date::Timestamp;
use crate::ids::{HolderCode, LicenseId, LicenseTypeCode, Uscc};
use crate::resource::{
    Dispute, DisputeId, DisputeState, Grant, GrantSource, ResourceError, UseAction, UseRecord,
    UseResult,
};
use crate::store::StoreError;

/// `ledger_counters.kind` of a serial counter.
pub(crate) const KIND_SERIAL: &str = "serial";
/// `ledger_counters.kind` of a table's row numbers.
pub(crate) const KIND_ID: &str = "id";
/// `ledger_counters.name` of the grants' row numbers.
pub(crate) const ID_GRANT: &str = "grant";
/// `ledger_counters.name` of the uses' row numbers.
pub(crate) const ID_USE: &str = "use";
/// `ledger_counters.name` of the dispute numbers.
pub(crate) const ID_DISPUTE: &str = "dispute";

/// A serial or row counter that would pass what the database holds (as
/// [`MemoryLedger`](crate::MemoryLedger) reports a counter past `u64::MAX`).
pub(crate) const SERIAL_OVERFLOW: ResourceError = ResourceError::Ledger {
    reason: "the serial counter would overflow",
};

/// A store failure of a ledger operation.
pub(crate) fn store_err(e: StoreError) -> ResourceError {
    ResourceError::Store(e)
}

/// A counter value as the databases hold it.
pub(crate) fn to_i64(n: u64) -> Result<i64, ResourceError> {
    i64::try_from(n).map_err(|_| ResourceError::Ledger {
        reason: "a serial number or count is larger than the database can hold",
    })
}

/// A counter value read back.
pub(crate) fn from_i64(n: i64, what: &'static str) -> Result<u64, ResourceError> {
    u64::try_from(n).map_err(|_| corrupt(what, n))
}

fn corrupt(what: &'static str, row: i64) -> ResourceError {
    ResourceError::Store(StoreError::Corrupt {
        what,
        key: row.to_string(),
    })
}

/// The columns of a grant.
pub(crate) struct GrantCols {
    pub(crate) accessor: String,
    pub(crate) type_code: String,
    pub(crate) holder_code_type: Option<String>,
    pub(crate) holder_code: Option<String>,
    pub(crate) source: String,
    pub(crate) until: Option<i64>,
}

impl GrantCols {
    pub(crate) fn new(g: &Grant) -> GrantCols {
        GrantCols {
            accessor: g.accessor().as_str().to_owned(),
            type_code: g.type_code().as_str().to_owned(),
            holder_code_type: g.holder().map(|h| h.code_type().as_str().to_owned()),
            holder_code: g.holder().map(|h| h.value().to_owned()),
            source: match g.source() {
                GrantSource::Holder => "holder",
                GrantSource::Policy => "policy",
            }
            .to_owned(),
            until: g.until().map(|t| t.unix()),
        }
    }

    /// The grant stored in row `row`.
    pub(crate) fn into_grant(self, row: i64) -> Result<Grant, ResourceError> {
        let bad = || corrupt("ledger grant", row);
        let accessor = Uscc::parse(&self.accessor).map_err(|_| bad())?;
        let type_code = LicenseTypeCode::parse(&self.type_code).map_err(|_| bad())?;
        let until = self
            .until
            .map(Timestamp::from_unix)
            .transpose()
            .map_err(|_| bad())?;
        let holder = holder(self.holder_code_type, self.holder_code).ok_or_else(bad)?;
        match (self.source.as_str(), holder) {
            ("holder", Some(h)) => Ok(Grant::by_holder(h, accessor, type_code, until)),
            ("policy", None) => Ok(Grant::by_policy(accessor, type_code, until)),
            _ => Err(bad()),
        }
    }
}

/// A holder code from its two nullable columns: `None` when they do not
/// decode, `Some(None)` for no holder.
fn holder(code_type: Option<String>, code: Option<String>) -> Option<Option<HolderCode>> {
    match (code_type, code) {
        (None, None) => Some(None),
        (Some(t), Some(c)) => HolderCode::new(&t, &c).ok().map(Some),
        _ => None,
    }
}

/// The columns of a use.
pub(crate) struct UseCols {
    pub(crate) accessor: String,
    pub(crate) accessor_name: String,
    pub(crate) action: String,
    pub(crate) holder_code_type: Option<String>,
    pub(crate) holder_code: Option<String>,
    pub(crate) type_code: Option<String>,
    pub(crate) license_id: Option<String>,
    pub(crate) at: i64,
    pub(crate) purpose: String,
    pub(crate) result: String,
    pub(crate) count: Option<i64>,
}

impl UseCols {
    pub(crate) fn new(u: &UseRecord) -> Result<UseCols, ResourceError> {
        let (result, count) = match u.result {
            UseResult::Allowed { count } => ("allowed", Some(to_i64(count as u64)?)),
            UseResult::NoPermission => ("no_permission", None),
            UseResult::NotFound => ("not_found", None),
        };
        Ok(UseCols {
            accessor: u.accessor.as_str().to_owned(),
            accessor_name: u.accessor_name.clone(),
            action: match u.action {
                UseAction::Query => "query",
                UseAction::Fetch => "fetch",
            }
            .to_owned(),
            holder_code_type: u.holder.as_ref().map(|h| h.code_type().as_str().to_owned()),
            holder_code: u.holder.as_ref().map(|h| h.value().to_owned()),
            type_code: u.type_code.map(|t| t.as_str().to_owned()),
            license_id: u.license.as_ref().map(|l| l.as_str().to_owned()),
            at: u.at.unix(),
            purpose: u.purpose.clone(),
            result: result.to_owned(),
            count,
        })
    }

    /// The use stored in row `row`.
    pub(crate) fn into_use(self, row: i64) -> Result<UseRecord, ResourceError> {
        let bad = || corrupt("ledger use", row);
        let action = match self.action.as_str() {
            "query" => UseAction::Query,
            "fetch" => UseAction::Fetch,
            _ => return Err(bad()),
        };
        let result = match (self.result.as_str(), self.count) {
            ("allowed", Some(n)) => UseResult::Allowed {
                count: usize::try_from(n).map_err(|_| bad())?,
            },
            ("no_permission", None) => UseResult::NoPermission,
            ("not_found", None) => UseResult::NotFound,
            _ => return Err(bad()),
        };
        Ok(UseRecord {
            accessor: Uscc::parse(&self.accessor).map_err(|_| bad())?,
            accessor_name: self.accessor_name,
            action,
            holder: holder(self.holder_code_type, self.holder_code).ok_or_else(bad)?,
            type_code: self
                .type_code
                .map(|t| LicenseTypeCode::parse(&t))
                .transpose()
                .map_err(|_| bad())?,
            license: self
                .license_id
                .map(|l| LicenseId::parse(&l))
                .transpose()
                .map_err(|_| bad())?,
            at: Timestamp::from_unix(self.at).map_err(|_| bad())?,
            purpose: self.purpose,
            result,
        })
    }
}

/// The state columns of a dispute: `state`, `corrected`, `decision`, `decided_at`.
pub(crate) struct StateCols {
    pub(crate) state: &'static str,
    pub(crate) corrected: Option<String>,
    pub(crate) decision: Option<String>,
    pub(crate) decided_at: Option<i64>,
}

impl StateCols {
    pub(crate) fn new(s: &DisputeState) -> StateCols {
        match s {
            DisputeState::UnderReview => StateCols {
                state: "under_review",
                corrected: None,
                decision: None,
                decided_at: None,
            },
            DisputeState::Upheld { corrected, at } => StateCols {
                state: "upheld",
                corrected: Some(corrected.as_str().to_owned()),
                decision: None,
                decided_at: Some(at.unix()),
            },
            DisputeState::Rejected { reason, at } => StateCols {
                state: "rejected",
                corrected: None,
                decision: Some(reason.clone()),
                decided_at: Some(at.unix()),
            },
        }
    }
}

/// The fields of a dispute as stored (a JSON array of strings).
pub(crate) fn fields_json(fields: &[String]) -> Result<String, ResourceError> {
    serde_json::to_string(fields).map_err(|_| ResourceError::Ledger {
        reason: "the disputed fields cannot be encoded",
    })
}

/// The columns of a dispute, as read.
pub(crate) struct DisputeCols {
    pub(crate) id: i64,
    pub(crate) license_id: String,
    pub(crate) fields: String,
    pub(crate) reason: String,
    pub(crate) raised_at: i64,
    pub(crate) state: String,
    pub(crate) corrected: Option<String>,
    pub(crate) decision: Option<String>,
    pub(crate) decided_at: Option<i64>,
}

impl DisputeCols {
    pub(crate) fn into_dispute(self) -> Result<Dispute, ResourceError> {
        let row = self.id;
        let bad = || corrupt("ledger dispute", row);
        let at = || {
            self.decided_at
                .map(Timestamp::from_unix)
                .and_then(Result::ok)
                .ok_or_else(bad)
        };
        let state = match (self.state.as_str(), self.corrected, self.decision) {
            ("under_review", None, None) if self.decided_at.is_none() => DisputeState::UnderReview,
            ("upheld", Some(c), None) => DisputeState::Upheld {
                corrected: LicenseId::parse(&c).map_err(|_| bad())?,
                at: at()?,
            },
            ("rejected", None, Some(reason)) => DisputeState::Rejected { reason, at: at()? },
            _ => return Err(bad()),
        };
        Ok(Dispute {
            id: DisputeId(u64::try_from(row).map_err(|_| bad())?),
            license: LicenseId::parse(&self.license_id).map_err(|_| bad())?,
            fields: serde_json::from_str(&self.fields).map_err(|_| bad())?,
            reason: self.reason,
            raised_at: Timestamp::from_unix(self.raised_at).map_err(|_| bad())?,
            state,
        })
    }
}
