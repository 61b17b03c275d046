//! Errors of the canonical JSON reader and writer.

use std::fmt;

/// Why a JSON document was rejected (or could not be written), and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at byte {offset}: {kind}")]
#[non_exhaustive]
pub struct JsonError {
    offset: usize,
    kind: JsonErrorKind,
}

impl JsonError {
    pub(crate) fn new(offset: usize, kind: JsonErrorKind) -> Self {
        Self { offset, kind }
    }

    /// Byte offset in the input where the problem was found (for the writer: in the output).
    #[must_use]
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What went wrong.
    #[must_use]
    pub fn kind(&self) -> &JsonErrorKind {
        &self.kind
    }
}

/// What went wrong while reading or writing canonical JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonErrorKind {
    /// The input is longer than the caller's limit; nothing was read.
    #[error("input of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Length of the input.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Objects and arrays are nested deeper than the caller's limit.
    #[error("nesting deeper than {max} levels")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// The input ends in the middle of a value.
    #[error("unexpected end of input")]
    UnexpectedEnd,
    /// A byte that cannot appear here in JSON.
    #[error("unexpected byte 0x{found:02x}, expected {expected}")]
    UnexpectedByte {
        /// The byte found.
        found: u8,
        /// What would have been valid here.
        expected: &'static str,
    },
    /// A string is not valid UTF-8.
    #[error("invalid UTF-8")]
    InvalidUtf8,
    /// Valid JSON, but not in canonical form.
    #[error("not canonical: {0}")]
    NotCanonical(NonCanonical),
    /// An object has two members with the same name.
    #[error("duplicate key {key:?}")]
    DuplicateKey {
        /// The name (its first 64 characters).
        key: String,
    },
    /// A number with a fraction or exponent; decimals are carried as strings.
    #[error("number is not an integer")]
    NumberNotInteger,
    /// An integer outside ±(2^53−1), or outside the range of the requested type.
    #[error("number out of range")]
    NumberOutOfRange,
    /// A value of another type than the decoder asked for.
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// The type asked for.
        expected: ValueKind,
        /// The type found.
        found: ValueKind,
    },
    /// An object member the decoder does not know.
    #[error("unknown field {field:?}")]
    UnknownField {
        /// The name (its first 64 characters).
        field: String,
    },
    /// A required object member is absent.
    #[error("missing field {field:?}")]
    MissingField {
        /// The name.
        field: &'static str,
    },
    /// An array has more elements than the decoder allows.
    #[error("more than {max} items")]
    TooManyItems {
        /// The limit.
        max: usize,
    },
    /// Bytes after the single top-level value.
    #[error("trailing bytes after the value")]
    TrailingBytes,
    /// The decoding code broke the reader's contract (a bug in the decoder, not in the
    /// document): a value handed out was not read, was read twice, or a nested object or
    /// array was abandoned before its end. The document is rejected rather than misread.
    #[error("decoder misuse: {0}")]
    Misuse(&'static str),
}

/// How a valid JSON text departs from the canonical form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NonCanonical {
    /// Whitespace between tokens.
    #[error("whitespace")]
    Whitespace,
    /// Object members not sorted by the UTF-16 code units of their names.
    #[error("object members out of order")]
    KeyOrder,
    /// An escape other than the one RFC 8785 prescribes (`\/`, `\u0041`, upper-case hex,
    /// `\u000a` instead of `\n`, surrogate escapes…).
    #[error("escape sequence not in canonical form")]
    Escape,
    /// An integer written with a leading zero or as `-0`.
    #[error("number not in canonical form")]
    NumberForm,
}

/// The type of a JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ValueKind {
    /// `{…}`
    Object,
    /// `[…]`
    Array,
    /// `"…"`
    String,
    /// An integer.
    Number,
    /// `true` or `false`.
    Bool,
    /// `null`.
    Null,
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Object => "object",
            Self::Array => "array",
            Self::String => "string",
            Self::Number => "number",
            Self::Bool => "boolean",
            Self::Null => "null",
        })
    }
}

/// The first 64 characters of a member name, for error messages.
pub(crate) fn clip(name: &str) -> String {
    name.chars().take(64).collect()
}
