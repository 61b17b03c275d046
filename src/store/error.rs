//! Errors of the license store. Texts never carry personal data: licenses are
//! named by identifier, files by digest, and database messages keep the
//! server's message without its detail (which may quote values).

use core::fmt;

use crate::date::Timestamp;
use crate::error::DecodeError;
use crate::ids::{LicenseId, LicenseTypeCode};
use crate::model::{LicenseStatus, Operation, TextProblem, hex};

/// Why a license store refused or failed an operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Bytes given to store are not a signed license.
    #[error("not a signed license: {0}")]
    Decode(#[from] DecodeError),
    /// A license with this identifier is stored with different bytes.
    #[error("license {id} is already stored with different bytes")]
    Conflict {
        /// The identifier.
        id: LicenseId,
    },
    /// A license of a type that is not registered.
    #[error("license type {code} is not registered")]
    UnknownType {
        /// The type code.
        code: LicenseTypeCode,
    },
    /// A license type version is registered with another definition.
    #[error("license type {code} version {version} is already registered with another definition")]
    TypeConflict {
        /// The type code.
        code: LicenseTypeCode,
        /// The version.
        version: u16,
    },
    /// No license with this identifier is stored.
    #[error("license {id} is not in the store")]
    NotFound {
        /// The identifier.
        id: LicenseId,
    },
    /// The operation is not allowed in the license's current status.
    #[error("operation {operation} is not allowed on license {id} in status {from}")]
    Transition {
        /// The license.
        id: LicenseId,
        /// Its current status.
        from: LicenseStatus,
        /// The operation refused.
        operation: Operation,
    },
    /// A status event earlier than the license's last one.
    #[error("status event at {at} for license {id} is earlier than its last event at {last}")]
    EventOrder {
        /// The license.
        id: LicenseId,
        /// The last event's time.
        last: Timestamp,
        /// The refused event's time.
        at: Timestamp,
    },
    /// A text argument is malformed.
    #[error("{what} {problem}")]
    Text {
        /// Which argument.
        what: &'static str,
        /// What is wrong.
        problem: TextProblem,
    },
    /// A bound of [`limits`](crate::store_limits) was exceeded.
    #[error("{what}: {found} is over the limit of {max}")]
    Limit {
        /// What was counted.
        what: &'static str,
        /// The limit.
        max: u64,
        /// What was asked.
        found: u64,
    },
    /// A stored file does not hash to its digest, or chunks are missing.
    #[error("attachment {} is corrupt: its bytes do not match the digest", hex(.sha256))]
    AttachmentCorrupt {
        /// The digest the file is stored under.
        sha256: [u8; 32],
    },
    /// Stored data no longer reads back as it was written.
    #[error("stored {what} {key} is corrupt")]
    Corrupt {
        /// What is corrupt.
        what: &'static str,
        /// Its key: a license identifier, a type code or a digest.
        key: String,
    },
    /// The store's schema is newer than this library.
    #[error(
        "store schema version {found} is newer than this library supports ({supported}): \
         upgrade elicense to open it"
    )]
    SchemaTooNew {
        /// The version found.
        found: i64,
        /// The newest version this library knows.
        supported: i64,
    },
    /// A transaction kept failing with serialization failures (SQLSTATE 40001
    /// or 40P01) and was given up.
    #[error("transaction given up after {attempts} attempts: {last}")]
    RetriesExhausted {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: BackendError,
    },
    /// A license given to
    /// [`insert_successor`](crate::LicenseStore::insert_successor) does not
    /// succeed the event's license (its predecessor differs, or the operation
    /// does not issue a new license).
    #[error("license {id} is not a successor made by {operation} of the event's license")]
    NotSuccessor {
        /// The successor given.
        id: LicenseId,
        /// The event's operation.
        operation: Operation,
    },
    /// An event given to
    /// [`insert_issued`](crate::LicenseStore::insert_issued) is not the 新发
    /// (issue) event of its license (another operation, another license, or
    /// not one event per license).
    #[error("license {id}: an issued license needs its own 新发 event, found {operation}")]
    NotIssue {
        /// The license concerned.
        id: LicenseId,
        /// The event's operation.
        operation: Operation,
    },
    /// The store was opened with an invalid setting.
    #[error("invalid store configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: &'static str,
    },
    /// The database failed.
    #[error(transparent)]
    Backend(BackendError),
}

/// A database error, without the database library's types: which backend, its
/// error code (SQLSTATE for PostgreSQL, the extended result code for SQLite)
/// and the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct BackendError {
    backend: &'static str,
    code: Option<String>,
    message: String,
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{} error {code}: {}", self.backend, self.message),
            None => write!(f, "{} error: {}", self.backend, self.message),
        }
    }
}

impl BackendError {
    pub(crate) fn new(
        backend: &'static str,
        code: Option<String>,
        message: impl Into<String>,
    ) -> BackendError {
        BackendError {
            backend,
            code,
            message: message.into(),
        }
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// The error code: a SQLSTATE (PostgreSQL) or an extended result code (SQLite).
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The database's message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether retrying the whole transaction may succeed: a serialization
    /// failure (`40001`) or a deadlock (`40P01`).
    pub fn is_serialization_failure(&self) -> bool {
        matches!(self.code.as_deref(), Some("40001" | "40P01"))
    }
}
