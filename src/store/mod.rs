//! The license store (证照库): sealed licenses byte for byte, their catalog
//! entries, their files and their status history, behind one trait,
//! [`LicenseStore`], with three backends:
//!
//! | backend | for | notes |
//! |---|---|---|
//! | [`MemoryStore`] | tests, the reference model | the meaning every backend must match |
//! | [`SqliteStore`] | a city, embedded | one file (WAL) or in memory; readers never wait for the writer |
//! | `PostgresStore` (feature `postgres`) | a province | PostgreSQL and compatible distributed databases; retries serialization failures |
//!
//! What is stored:
//!
//! * **license types** by (code, version);
//! * **sealed licenses** as their exact bytes (never re-serialised), with the
//!   catalog columns taken from the decoded document ([`CatalogEntry`]) and a
//!   SHA-256 of the bytes, checked on every read;
//! * **attachments** (版式文件 and other files) content-addressed by SHA-256,
//!   stored once however many licenses name them, in chunks of
//!   [`limits::ATTACHMENT_CHUNK_BYTES`], checked against the digest on read;
//! * **status events**, append-only (who, when, operation, reason); the
//!   current status is the status after the last event.
//!
//! Keys are chosen by the application (license identifiers, digests, and a
//! per-license event number), never by a database sequence, so the schema can
//! be sharded by license identifier. Every multi-row change is one
//! transaction: a batch is stored whole or not at all.
//!
//! The store does not verify signatures: verify a license
//! ([`Verifier`](crate::Verifier)) before you store it, or after you fetch it.
//!
//! ## From async code
//!
//! The trait is synchronous. An async service calls it on the blocking pool,
//! never on an async worker thread (a synchronous PostgreSQL client panics
//! there):
//!
//! ```ignore
//! let store: Arc<dyn LicenseStore> = Arc::new(SqliteStore::open("licenses.db")?);
//! let s = Arc::clone(&store);
//! let page = tokio::task::spawn_blocking(move || s.query(&Query::new().holder(code)))
//!     .await??;
//! ```

mod error;
mod event;
#[cfg(feature = "postgres")]
mod ledger_postgres;
mod ledger_sql;
mod ledger_sqlite;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
mod retry;
mod sql;
mod sqlite;
mod status;
mod tokens;

pub use error::{BackendError, StoreError};
pub use event::{RecordedEvent, StatusEvent, status_after, superseded_after};
#[cfg(feature = "postgres")]
pub use ledger_postgres::PostgresLedger;
pub use ledger_sqlite::SqliteLedger;
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::{PostgresOptions, PostgresStore};
pub use sqlite::SqliteStore;
pub use status::StoreStatus;
pub use tokens::{
    AccessToken, TOKEN_MAX_BYTES, TOKEN_MAX_GRANTS, TokenRole, TokenSecret, TokenStore,
};

use crate::catalog::{CatalogEntry, LicenseTypes, Page, Query};
use crate::document::SignedLicense;
use crate::ids::{LicenseId, LicenseTypeCode};
use crate::model::{LicenseStatus, LicenseType, Operation};

/// The schema version this library writes. Opening a store whose schema is
/// newer fails with [`StoreError::SchemaTooNew`]; an older one is migrated.
///
/// Version 1: license types, licenses, documents, status events and
/// attachments. Version 2 adds the resource library's ledger (grants, use
/// record, disputes, serial counters: [`SqliteStore::ledger`]). Version 3
/// adds the HTTP service's access tokens ([`TokenStore`]).
pub const STORE_SCHEMA_VERSION: i64 = 3;

/// Bounds on what one call may ask of a store.
pub mod limits {
    /// Most licenses in one [`insert_batch`](super::LicenseStore::insert_batch).
    pub const BATCH_LICENSES: usize = 10_000;
    /// Largest page a [`Query`](crate::Query) may ask for.
    pub const MAX_PAGE_SIZE: u32 = 1_000;
    /// Page size of a new [`Query`](crate::Query).
    pub const DEFAULT_PAGE_SIZE: u32 = 100;
    /// Longest name text a [`Query`](crate::Query) may search for, in characters.
    pub const QUERY_TEXT_CHARS: usize = 64;
    /// Largest attachment, in bytes (64 MiB).
    pub const ATTACHMENT_BYTES: usize = 64 * 1024 * 1024;
    /// Attachments are stored in chunks of this many bytes (256 KiB).
    pub const ATTACHMENT_CHUNK_BYTES: usize = 256 * 1024;
    /// Most status events one license may have.
    pub const EVENTS_PER_LICENSE: usize = 1_000;
    /// Longest actor (who) of a status event, in characters.
    pub const ACTOR_CHARS: usize = 128;
    /// Longest reason of a status event, in characters.
    pub const REASON_CHARS: usize = 512;
}

/// A license's status changes: each event's time and the status after it,
/// oldest first (see [`LicenseStore::status_histories`]).
pub type StatusHistory = Vec<(crate::date::Timestamp, LicenseStatus)>;

/// What an insert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Inserted {
    /// Stored.
    New,
    /// The same bytes (or the same definition) were already stored: nothing changed.
    Duplicate,
}

/// A license store: license types, sealed licenses with their catalog
/// entries, attachments and status events.
///
/// Implementations must behave exactly as [`MemoryStore`] does (the
/// conformance suite in `tests/suite/store` checks every backend against it).
/// Every method is one transaction.
pub trait LicenseStore: Send + Sync {
    /// Registers a license type (by code and version).
    ///
    /// # Errors
    /// [`StoreError::TypeConflict`] if that code and version are registered
    /// with another definition.
    fn register_type(&self, license_type: &LicenseType) -> Result<Inserted, StoreError>;

    /// The latest registered version of a license type.
    fn license_type(&self, code: &LicenseTypeCode) -> Result<Option<LicenseType>, StoreError>;

    /// The latest version of every registered license type, by code.
    fn license_types(&self) -> Result<Vec<LicenseType>, StoreError>;

    /// Stores licenses in one transaction, in order: all of them or none.
    /// A license whose exact bytes are already stored is a
    /// [`Inserted::Duplicate`]; the result has one outcome per license.
    ///
    /// # Errors
    /// [`StoreError::Limit`] for more than [`limits::BATCH_LICENSES`];
    /// [`StoreError::UnknownType`] for a license of an unregistered type;
    /// [`StoreError::Conflict`] when a license's identifier is stored (or
    /// earlier in the batch) with different bytes. Nothing is stored then.
    fn insert_batch(&self, licenses: &[SignedLicense]) -> Result<Vec<Inserted>, StoreError>;

    /// The exact bytes stored for a license.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] if the stored bytes no longer match their digest.
    fn document(&self, id: &LicenseId) -> Result<Option<Vec<u8>>, StoreError>;

    /// The directory entry of a license.
    fn entry(&self, id: &LicenseId) -> Result<Option<CatalogEntry>, StoreError>;

    /// One page of the entries that match `query`.
    fn query(&self, query: &Query) -> Result<Page, StoreError>;

    /// How many entries match `query` (its cursor and page size aside).
    fn count(&self, query: &Query) -> Result<u64, StoreError>;

    /// Appends a status event and returns the license's new status
    /// ([`status_after`] the current one).
    ///
    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::Transition`] (the operation is
    /// not allowed in the current status), [`StoreError::EventOrder`] (earlier
    /// than the last event), [`StoreError::Limit`] (too many events).
    fn record_event(&self, event: &StatusEvent) -> Result<LicenseStatus, StoreError>;

    /// The status events of a license, oldest first (empty for an unknown license).
    fn events(&self, id: &LicenseId) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Stores a file under its SHA-256 (as in
    /// [`Attachment::for_bytes`](crate::Attachment::for_bytes)); a file already
    /// stored is a [`Inserted::Duplicate`].
    ///
    /// # Errors
    /// [`StoreError::Limit`] above [`limits::ATTACHMENT_BYTES`].
    fn put_attachment(&self, bytes: &[u8]) -> Result<Inserted, StoreError>;

    /// The file with this SHA-256.
    ///
    /// # Errors
    /// [`StoreError::AttachmentCorrupt`] when the stored bytes do not hash to
    /// `sha256` (or chunks are missing).
    fn attachment(&self, sha256: &[u8; 32]) -> Result<Option<Vec<u8>>, StoreError>;

    /// Supersedes a license in one transaction: records `event` (延续, 变更,
    /// 转入 or 更正) on its license, which stops being current
    /// ([`superseded_after`]: status 99 其他), and stores `successor`, whose
    /// `predecessor` must be that license. Both happen or neither.
    ///
    /// # Errors
    /// [`StoreError::NotSuccessor`] when `successor` does not name the event's
    /// license as predecessor or the operation does not issue a license;
    /// [`StoreError::Conflict`] when the successor's identifier is already
    /// stored (even with the same bytes); [`StoreError::UnknownType`]; and
    /// the errors of [`record_event`](Self::record_event) for the predecessor.
    /// The default implementation refuses with [`StoreError::Config`]: a
    /// backend must do this atomically or not at all.
    fn insert_successor(
        &self,
        successor: &SignedLicense,
        event: &StatusEvent,
    ) -> Result<LicenseStatus, StoreError> {
        check_successor(successor, event)?;
        Err(StoreError::Config {
            reason: "this backend cannot supersede a license atomically",
        })
    }

    /// Stores newly issued licenses (新发) with their issue events, in one
    /// transaction: `events[i]` is the [`Operation::Issue`] event of
    /// `licenses[i]` and becomes that license's first status event (status
    /// 有效). Every identifier must be new. All of it is stored, or nothing.
    ///
    /// # Errors
    /// [`StoreError::NotIssue`] when the events are not one 新发 event per
    /// license, in order; [`StoreError::Conflict`] when an identifier is
    /// already stored (even with the same bytes) or given twice; and those of
    /// [`insert_batch`](Self::insert_batch). The default implementation
    /// refuses with [`StoreError::Config`]: a backend must do this atomically
    /// or not at all.
    fn insert_issued(
        &self,
        licenses: &[SignedLicense],
        events: &[StatusEvent],
    ) -> Result<(), StoreError> {
        check_issued(licenses, events)?;
        Err(StoreError::Config {
            reason: "this backend cannot record issue events atomically",
        })
    }

    /// The status histories of several licenses at once (for a status source
    /// answering a batch): per identifier, in order, `None` when the store
    /// does not hold the license, else each event's time and the status after
    /// it, oldest first. One read snapshot for all of them.
    ///
    /// # Errors
    /// [`StoreError::Limit`] for more than [`limits::BATCH_LICENSES`]
    /// identifiers; backend failures.
    fn status_histories(
        &self,
        ids: &[&LicenseId],
    ) -> Result<Vec<Option<StatusHistory>>, StoreError> {
        memory::check_batch_len(ids.len())?;
        ids.iter()
            .map(|id| {
                let events = self.events(id)?;
                if events.is_empty() && self.entry(id)?.is_none() {
                    return Ok(None);
                }
                Ok(Some(
                    events
                        .iter()
                        .map(|e| (e.event().at(), e.status()))
                        .collect(),
                ))
            })
            .collect()
    }

    /// Refreshes the statistics the database plans queries with: call it
    /// after a bulk load (存量归集), so directory queries keep their
    /// index-ordered plans. SQLite runs `ANALYZE` (sampled), PostgreSQL
    /// `ANALYZE` on the store's tables (autovacuum does this too, later, when
    /// it is on). Nothing to do for the in-memory store.
    fn refresh_statistics(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Stores one license: [`insert_batch`](Self::insert_batch) of one.
    fn insert(&self, license: &SignedLicense) -> Result<Inserted, StoreError> {
        let mut outcomes = self.insert_batch(core::slice::from_ref(license))?;
        outcomes.pop().ok_or(StoreError::Config {
            reason: "a backend returned no outcome for an insert",
        })
    }

    /// Decodes `bytes` as a signed license and stores it.
    ///
    /// # Errors
    /// [`StoreError::Decode`] for bytes that are not a signed license (nothing
    /// is stored), or those of [`insert`](Self::insert).
    fn insert_bytes(&self, bytes: &[u8]) -> Result<Inserted, StoreError> {
        let license = SignedLicense::decode(bytes)?;
        self.insert(&license)
    }

    /// The stored license, decoded.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] if the stored bytes no longer decode or match
    /// their digest.
    fn get(&self, id: &LicenseId) -> Result<Option<SignedLicense>, StoreError> {
        match self.document(id)? {
            None => Ok(None),
            Some(bytes) => {
                SignedLicense::decode(&bytes)
                    .map(Some)
                    .map_err(|_| StoreError::Corrupt {
                        what: "license document",
                        key: id.to_string(),
                    })
            }
        }
    }

    /// The registered types as a registry for a [`Verifier`](crate::Verifier).
    fn types(&self) -> Result<LicenseTypes, StoreError> {
        Ok(self.license_types()?.into_iter().collect())
    }
}

/// Checks that `events` are the 新发 events of `licenses`, one each, in
/// order, and that no identifier is given twice; shared by every backend.
pub(crate) fn check_issued(
    licenses: &[SignedLicense],
    events: &[StatusEvent],
) -> Result<(), StoreError> {
    memory::check_batch_len(licenses.len())?;
    let mut seen = std::collections::HashSet::with_capacity(licenses.len());
    for (i, doc) in licenses.iter().enumerate() {
        let id = doc.license().id();
        match events.get(i) {
            Some(e) if e.operation() == Operation::Issue && e.license() == id => {}
            other => {
                return Err(StoreError::NotIssue {
                    id: id.clone(),
                    operation: other.map_or(Operation::Issue, StatusEvent::operation),
                });
            }
        }
        if !seen.insert(id.as_str()) {
            return Err(StoreError::Conflict { id: id.clone() });
        }
    }
    if let Some(extra) = events.get(licenses.len()) {
        return Err(StoreError::NotIssue {
            id: extra.license().clone(),
            operation: extra.operation(),
        });
    }
    Ok(())
}

/// Checks that `successor` succeeds the license of `event` by an operation
/// that issues a license; shared by every backend.
pub(crate) fn check_successor(
    successor: &SignedLicense,
    event: &StatusEvent,
) -> Result<(), StoreError> {
    let license = successor.license();
    if !event.operation().supersedes() || license.predecessor() != Some(event.license()) {
        return Err(StoreError::NotSuccessor {
            id: license.id().clone(),
            operation: event.operation(),
        });
    }
    Ok(())
}
