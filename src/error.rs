//! Errors: one top-level [`Error`] and one error type per area.

use crate::canonical::JsonError;
use crate::date::DateError;
use crate::ids::IdError;
use crate::model::{LicenseTypeError, ModelError, SchemaError};
use crate::sign::{KeyError, SignError};

/// A document that could not be decoded: malformed or non-canonical JSON, an
/// unknown or missing member, or a member whose value is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not our canonical JSON, or the wrong members (the JSON error says where).
    #[error("{0}")]
    Json(#[from] JsonError),
    /// An identifier is invalid.
    #[error("{field}: {source}")]
    Id {
        /// Which member.
        field: &'static str,
        /// Why.
        source: IdError,
    },
    /// A date or timestamp is invalid.
    #[error("{field}: {source}")]
    Date {
        /// Which member.
        field: &'static str,
        /// Why.
        source: DateError,
    },
    /// The license breaks an invariant of the model.
    #[error("{0}")]
    Model(ModelError),
    /// Binary data in the wrong encoding.
    #[error("{field}: expected {encoding}")]
    Encoding {
        /// Which member.
        field: &'static str,
        /// The expected encoding.
        encoding: &'static str,
    },
    /// Binary data of the wrong length.
    #[error("{field}: expected {expected} bytes, found {found}")]
    Length {
        /// Which member.
        field: &'static str,
        /// Expected length.
        expected: usize,
        /// Actual length.
        found: usize,
    },
    /// A document format this library does not read.
    #[error("unsupported document format {found:?}; this library reads {expected:?}")]
    Format {
        /// The format named by the document (at most 32 characters kept).
        found: String,
        /// The format this library reads.
        expected: &'static str,
    },
    /// Any other invalid member value.
    #[error("{field}: {reason}")]
    Invalid {
        /// Which member.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
}

impl DecodeError {
    /// Whether the problem is an identifier (reported as the identifier check).
    pub fn is_identifier_problem(&self) -> bool {
        matches!(
            self,
            DecodeError::Id { .. } | DecodeError::Model(ModelError::IdentifierMismatch { .. })
        )
    }
}

/// Any error of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An identifier is invalid.
    #[error(transparent)]
    Id(#[from] IdError),
    /// A date or timestamp is invalid.
    #[error(transparent)]
    Date(#[from] DateError),
    /// A document could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A license breaks an invariant of the model.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A license does not conform to its type.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// A license type definition is inconsistent.
    #[error(transparent)]
    LicenseType(#[from] LicenseTypeError),
    /// A key could not be imported, exported or generated.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// A certificate could not be read.
    #[error(transparent)]
    Certificate(#[from] crate::cert::CertError),
    /// A certificate chain did not verify.
    #[error(transparent)]
    Chain(#[from] crate::cert::ChainError),
    /// A seal could not be made.
    #[error(transparent)]
    Seal(#[from] crate::seal::SealError),
    /// The license store failed or refused an operation.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A batch run could not read its input.
    #[error(transparent)]
    Batch(#[from] crate::batch::BatchError),
    /// Verification rejected a license (the report says which step failed).
    #[error(transparent)]
    Rejected(#[from] Box<crate::verify::Rejected>),
}
