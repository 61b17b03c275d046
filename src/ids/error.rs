//! The error type of every identifier parser in [`crate::ids`].
//!
//! Errors carry structured fields and never echo the input: at most one
//! character (masked for citizen id digits), a length, or a short code is kept,
//! so an error can be logged even when the input was personal data.

use std::fmt;

/// Which kind of identifier an [`IdError`] is about.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdKind {
    /// 统一社会信用代码, unified social credit code (GB 32100-2015): [`Uscc`](crate::ids::Uscc).
    Uscc,
    /// 公民身份号码, citizen identity number (GB 11643-1999): [`CitizenId`](crate::ids::CitizenId).
    CitizenId,
    /// 行政区划代码, administrative region code (GB/T 2260): [`RegionCode`](crate::ids::RegionCode).
    RegionCode,
    /// 证照类型代码, license type code: [`LicenseTypeCode`](crate::ids::LicenseTypeCode).
    LicenseTypeCode,
    /// 电子证照标识, electronic license identifier (GB/T 36904-2018): [`LicenseId`](crate::ids::LicenseId).
    LicenseId,
    /// 持证主体代码, holder code: [`HolderCode`](crate::ids::HolderCode).
    HolderCode,
    /// 颁发机构代码, the issuer part of a license identifier: [`IssuerCode`](crate::ids::IssuerCode).
    IssuerCode,
    /// 持证主体代码类型, holder code type: [`HolderCodeType`](crate::ids::HolderCodeType).
    HolderCodeType,
}

impl fmt::Display for IdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Uscc => "unified social credit code (统一社会信用代码)",
            Self::CitizenId => "citizen identity number (公民身份号码)",
            Self::RegionCode => "region code (行政区划代码)",
            Self::LicenseTypeCode => "license type code (证照类型代码)",
            Self::LicenseId => "license identifier (电子证照标识)",
            Self::HolderCode => "holder code (持证主体代码)",
            Self::IssuerCode => "issuer code (颁发机构代码)",
            Self::HolderCodeType => "holder code type (持证主体代码类型)",
        })
    }
}

/// A part of a license identifier (电子证照标识), named in
/// [`IdError::InLicenseIdPart`].
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LicenseIdPart {
    /// 证照类型代码, the 21-character license type code.
    TypeCode,
    /// 颁发机构代码, the issuer's USCC or region code.
    Issuer,
    /// 证照序列号, the serial.
    Serial,
    /// 版本号, the 3-digit version.
    Version,
    /// 校验位, the check character.
    Check,
}

impl fmt::Display for LicenseIdPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TypeCode => "type code (证照类型代码)",
            Self::Issuer => "issuer code (颁发机构代码)",
            Self::Serial => "serial (序列号)",
            Self::Version => "version (版本号)",
            Self::Check => "check character (校验位)",
        })
    }
}

/// A non-standard license identifier seen in real deployments, recognised so
/// that the error can say what went wrong (see [`IdError::NonStandardLicenseId`]).
///
/// These names and exact definitions are ours (elicense's), written down from
/// identifiers observed in the wild; no standard defines them. They are only
/// ever reported, never accepted.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NonStandardVariant {
    /// The root is `1.2.156.3003.2` instead of `1.2.156.3005.2`, and everything
    /// after the root is a valid identifier under the standard check.
    Root3003,
    /// The check character is ISO/IEC 7064 MOD 37,36 computed over the root
    /// without dots (`12156300052`) followed by the standard data
    /// (type code + issuer + serial + version), instead of over the data alone.
    RootInChecksum,
    /// The check character is computed by a mistaken algorithm: digits keep
    /// their value, letters take their index in `0-9A-Z` plus one (`A` = 11 …
    /// `Z` = 36), and each step reduces `t = (p + a) mod 37` (instead of
    /// `mod 36`); the rest is as in the standard (`p` starts at 36; `t == 0` →
    /// 36; `p = 2t mod 37`; check value `(37 − p) mod 36`, written in `0-9A-Z`).
    LetterValuesPlusOne,
}

impl fmt::Display for NonStandardVariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Root3003 => "root 1.2.156.3003.2 instead of 1.2.156.3005.2",
            Self::RootInChecksum => "check character computed with the root included",
            Self::LetterValuesPlusOne => {
                "check character computed with letters valued index+1 and modulus 37"
            }
        })
    }
}

/// Why an identifier was rejected.
///
/// Neither `Display` nor `Debug` ever contains the input: a citizen identity
/// number (公民身份号码) can be logged through this error without leaking it.
/// Character positions are 0-based character indices within the value parsed
/// (for a license identifier part: within that part).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The input is longer than the work budget for this kind; rejected before
    /// anything else is looked at.
    #[error("{kind}: input of {found} bytes exceeds the limit of {max} bytes")]
    InputTooLong {
        /// What was being parsed.
        kind: IdKind,
        /// Largest accepted size in bytes.
        max: usize,
        /// Size of the input in bytes.
        found: usize,
    },
    /// Wrong number of characters.
    #[error("{kind}: expected {expected} characters, found {found}")]
    Length {
        /// What was being parsed.
        kind: IdKind,
        /// The accepted length(s), e.g. `"18"` or `"1..=32"`.
        expected: &'static str,
        /// Number of characters found.
        found: usize,
    },
    /// A character outside the alphabet of this position.
    #[error("{kind}: invalid character {found:?} at index {position}")]
    InvalidChar {
        /// What was being parsed.
        kind: IdKind,
        /// 0-based character index.
        position: usize,
        /// The character found; `'*'` in place of a digit of a citizen id.
        found: char,
    },
    /// A lower-case letter where only upper case is valid (the canonical
    /// form is upper case; we do not silently fix it).
    #[error("{kind}: lower-case {found:?} at index {position}; only upper case is valid")]
    LowerCase {
        /// What was being parsed.
        kind: IdKind,
        /// 0-based character index.
        position: usize,
        /// The lower-case letter found.
        found: char,
    },
    /// The check character (校验码) does not match the rest.
    #[error("{kind}: check character should be {expected:?}, found {found:?}")]
    CheckMismatch {
        /// What was being parsed.
        kind: IdKind,
        /// The check character computed from the rest.
        expected: char,
        /// The check character found.
        found: char,
    },
    /// A date (a citizen id's birth date, 出生日期) that is not a real calendar
    /// date or is outside the accepted years. The date itself is not kept.
    #[error("{kind}: invalid date ({reason})")]
    InvalidDate {
        /// What was being parsed.
        kind: IdKind,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A region code (行政区划代码) whose first two digits are not a province code.
    #[error("{kind}: {code:?} does not start with a province code")]
    InvalidRegion {
        /// What was being parsed.
        kind: IdKind,
        /// The region code; for a citizen id only its first two digits followed by `****`.
        code: String,
    },
    /// The shape of the input is wrong in a way described by `reason`.
    #[error("{kind}: {reason}")]
    Syntax {
        /// What was being parsed.
        kind: IdKind,
        /// What is wrong.
        reason: &'static str,
    },
    /// A number given to a constructor is out of range.
    #[error("{kind}: {field} {value} is out of range 0..={max}")]
    NumberOutOfRange {
        /// What was being built.
        kind: IdKind,
        /// Which number, e.g. `"version"`.
        field: &'static str,
        /// The value given.
        value: u16,
        /// Largest accepted value.
        max: u16,
    },
    /// A 15-digit citizen identity number of the old standard (GB 11643-1989);
    /// only the 18-character form is accepted.
    #[error(
        "citizen identity number (公民身份号码): 15-digit legacy number, the 18-character form is required"
    )]
    LegacyCitizenId,
    /// A license identifier that does not start with the root `1.2.156.3005.2.`
    /// (and is not a recognised [`NonStandardVariant`]).
    #[error("license identifier (电子证照标识): does not start with the root 1.2.156.3005.2")]
    WrongLicenseIdRoot,
    /// A license identifier that fails the standard but matches a known
    /// non-standard variant.
    #[error("license identifier (电子证照标识): non-standard identifier ({variant})")]
    NonStandardLicenseId {
        /// Which variant it matches.
        variant: NonStandardVariant,
    },
    /// One part of a license identifier is invalid; `error` says how
    /// (positions in it are relative to the part).
    #[error("license identifier (电子证照标识): in the {part}: {error}")]
    InLicenseIdPart {
        /// Which part.
        part: LicenseIdPart,
        /// What is wrong with it.
        error: Box<IdError>,
    },
    /// A holder code type (持证主体代码类型) that is not 3 ASCII digits.
    #[error("holder code type (持证主体代码类型) {code_type:?} is not 3 ASCII digits")]
    UnsupportedHolderCodeType {
        /// The code type given, cut to its first 8 characters.
        code_type: String,
    },
}

impl IdError {
    /// `InvalidChar`, hiding the digits of a citizen id.
    pub(super) fn invalid_char(kind: IdKind, position: usize, found: char) -> Self {
        let found = if kind == IdKind::CitizenId && found.is_ascii_digit() {
            '*'
        } else {
            found
        };
        Self::InvalidChar {
            kind,
            position,
            found,
        }
    }

    /// Wraps an error found in one part of a license identifier.
    pub(super) fn in_part(part: LicenseIdPart) -> impl Fn(IdError) -> IdError {
        move |error| Self::InLicenseIdPart {
            part,
            error: Box::new(error),
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;

    #[test]
    fn display_is_specific() {
        let inner = IdError::LowerCase {
            kind: IdKind::LicenseId,
            position: 4,
            found: 'a',
        };
        let e = IdError::InLicenseIdPart {
            part: LicenseIdPart::Serial,
            error: Box::new(inner.clone()),
        };
        let text = e.to_string();
        assert!(text.contains("serial"), "{text}");
        assert!(text.contains(&inner.to_string()), "{text}");
        assert_eq!(
            IdError::CheckMismatch {
                kind: IdKind::CitizenId,
                expected: '7',
                found: '6'
            }
            .to_string(),
            "citizen identity number (公民身份号码): check character should be '7', found '6'"
        );
        assert_eq!(
            IdError::NonStandardLicenseId {
                variant: NonStandardVariant::Root3003
            }
            .to_string(),
            "license identifier (电子证照标识): non-standard identifier \
             (root 1.2.156.3003.2 instead of 1.2.156.3005.2)"
        );
        assert_eq!(
            IdError::invalid_char(IdKind::CitizenId, 0, '1').to_string(),
            "citizen identity number (公民身份号码): invalid character '*' at index 0"
        );
        assert_eq!(
            IdError::invalid_char(IdKind::Uscc, 0, '\u{0}').to_string(),
            "unified social credit code (统一社会信用代码): invalid character '\\0' at index 0"
        );
    }
}
