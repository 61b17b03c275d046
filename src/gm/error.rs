//! Errors of the GB/T 38540 DER structures.

/// A GB/T 38540 / GM/T 0031 seal or seal signature could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SesError {
    /// The input is larger than the limit for its kind.
    #[error("{what} of {found} bytes exceeds the limit of {limit}")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// The limit in bytes.
        limit: usize,
        /// The size found.
        found: usize,
    },
    /// Nesting deeper than the structure allows.
    #[error("{field}: nested too deeply")]
    TooDeep {
        /// Where.
        field: &'static str,
    },
    /// The input ends inside an element.
    #[error("{field}: truncated")]
    Truncated {
        /// Which element.
        field: &'static str,
    },
    /// An element of the wrong ASN.1 type.
    #[error("{field}: expected tag {expected:#04x}, found {found:#04x}")]
    UnexpectedTag {
        /// Which element.
        field: &'static str,
        /// The tag the standard gives it.
        expected: u8,
        /// The tag found.
        found: u8,
    },
    /// Bytes after the outermost structure.
    #[error("bytes after the end of the structure")]
    TrailingBytes,
    /// A version this library does not read.
    #[error("{field}: unsupported version {found} (4 and 5 are read)")]
    UnsupportedVersion {
        /// Which version field.
        field: &'static str,
        /// The version found.
        found: u64,
    },
    /// Too many elements in a list.
    #[error("{field}: more than {limit} elements")]
    TooMany {
        /// Which list.
        field: &'static str,
        /// The limit.
        limit: usize,
    },
    /// An element breaks DER or the standard.
    #[error("{field}: {reason}")]
    Invalid {
        /// Which element.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
}
