//! Errors of the resource library. Texts never carry personal data: licenses
//! are named by identifier, holders by their masked code.

use crate::date::Timestamp;
use crate::ids::{IdError, LicenseId, LicenseTypeCode, Uscc};
use crate::model::{LicenseStatus, ModelError, Operation, SchemaError};
use crate::seal::SealError;
use crate::sign::SignError;
use crate::store::StoreError;

use super::ledger::DisputeId;

/// Why the resource library refused or failed an operation. A refused
/// operation changed nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResourceError {
    /// Reading an input (e.g. a JSON Lines archive) failed.
    #[error("reading input: {reason}")]
    Io {
        /// What the reader said.
        reason: String,
    },
    /// No issuing identity (sealer) is configured for this issuer.
    #[error("no sealer is configured for issuer {issuer}")]
    UnknownIssuer {
        /// The issuer's USCC.
        issuer: Uscc,
    },
    /// The license type is not in the library's catalog.
    #[error("license type {code} is not in the catalog")]
    UnknownType {
        /// The type code.
        code: LicenseTypeCode,
    },
    /// No license with this identifier is stored.
    #[error("license {id} is not in the library")]
    NotFound {
        /// The identifier.
        id: LicenseId,
    },
    /// The license data breaks the license model's invariants.
    #[error("license data: {0}")]
    Model(Box<ModelError>),
    /// The license data does not conform to its type's schema.
    #[error("the license does not conform to its type: {error}")]
    Schema {
        /// What is wrong.
        error: SchemaError,
    },
    /// An identifier could not be made (serial space or version exhausted).
    #[error("identifier: {0}")]
    Id(#[from] IdError),
    /// The serial policy has no serial left for this type and issuer.
    #[error("no serial left for type {code} and issuer {issuer}")]
    SerialsExhausted {
        /// The type code.
        code: LicenseTypeCode,
        /// The issuer.
        issuer: Uscc,
    },
    /// The operation is not allowed in the license's current status.
    #[error("operation {operation} is not allowed on license {id} in status {current}")]
    Transition {
        /// The license.
        id: LicenseId,
        /// Its current status.
        current: LicenseStatus,
        /// The operation refused.
        operation: Operation,
    },
    /// The operation is not a lifecycle status change (it issues a license:
    /// use renew, change, transfer in or a dispute).
    #[error("operation {operation} is not a status change")]
    NotAStatusChange {
        /// The operation.
        operation: Operation,
    },
    /// Sealing failed (the issuer's signer failed).
    #[error("sealing: {0}")]
    Seal(#[from] SignError),
    /// A seal or sealer could not be configured.
    #[error("sealer: {0}")]
    Sealer(#[from] SealError),
    /// The license store refused or failed.
    #[error("store: {0}")]
    Store(StoreError),
    /// A text argument (purpose, reason, name) is malformed.
    #[error("{what}: must be 1–{max} characters without control characters or outer whitespace")]
    Text {
        /// Which argument.
        what: &'static str,
        /// Its maximum length in characters.
        max: usize,
    },
    /// The accessor holds no permission for this license type (and holder).
    /// The refusal was recorded in the use record.
    #[error("{accessor} has no permission for license type {code} of holder {holder}")]
    NoPermission {
        /// The accessor's USCC.
        accessor: Uscc,
        /// The license type asked for.
        code: LicenseTypeCode,
        /// The holder, masked if personal.
        holder: String,
    },
    /// The dispute does not exist.
    #[error("dispute {0} does not exist")]
    UnknownDispute(DisputeId),
    /// The dispute is already decided.
    #[error("dispute {id} is already decided")]
    DisputeClosed {
        /// The dispute.
        id: DisputeId,
    },
    /// A dispute or correction names a field that is not in the license's
    /// type, or a correction changes a field that was not disputed.
    #[error("field {key} cannot be disputed or corrected here")]
    DisputeField {
        /// The field key.
        key: String,
    },
    /// Only the holder may raise a dispute on a license.
    #[error("only the holder may raise a dispute on license {id}")]
    NotHolder {
        /// The license.
        id: LicenseId,
    },
    /// The time given is earlier than the last recorded change it depends on.
    #[error("time {at} is earlier than {last}")]
    TimeOrder {
        /// The last relevant time.
        last: Timestamp,
        /// The time given.
        at: Timestamp,
    },
    /// An annotated copy cannot be made: the copy signer is not configured,
    /// or the validity ends before it starts.
    #[error("annotated copy: {reason}")]
    Copy {
        /// What is wrong.
        reason: &'static str,
    },
    /// The use record or another ledger failed.
    #[error("ledger: {reason}")]
    Ledger {
        /// What failed.
        reason: &'static str,
    },
}

impl From<ModelError> for ResourceError {
    fn from(e: ModelError) -> Self {
        ResourceError::Model(Box::new(e))
    }
}

impl From<StoreError> for ResourceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Transition {
                id,
                from,
                operation,
            } => ResourceError::Transition {
                id,
                current: from,
                operation,
            },
            StoreError::NotFound { id } => ResourceError::NotFound { id },
            other => ResourceError::Store(other),
        }
    }
}
