//! Identifiers of the electronic license domain, validated on construction.
//!
//! | type | Chinese name | standard |
//! | --- | --- | --- |
//! | [`Uscc`] | 统一社会信用代码 | GB 32100-2015 |
//! | [`CitizenId`] | 公民身份号码 (personal data) | GB 11643-1999 |
//! | [`RegionCode`] | 行政区划代码 | GB/T 2260 |
//! | [`LicenseTypeCode`] | 证照类型代码 | GB/T 36904-2018 |
//! | [`LicenseId`], [`IssuerCode`] | 电子证照标识, 颁发机构代码 | GB/T 36904-2018 |
//! | [`HolderCodeType`], [`HolderCode`] | 持证主体代码类型, 持证主体代码 | GB/T 36903 as deployed |
//!
//! Every type here can only hold a valid value: fields are private and every
//! constructor (`parse`, `from_body`, `from_parts`, serde) checks. Parsing is
//! pure and never panics; failures are an [`IdError`] that never contains a
//! full citizen identity number.
//!
//! Personal identifiers ([`CitizenId`], personal [`HolderCode`]s) print masked
//! through `Display` and `Debug`; their full value is only available through
//! an explicit accessor (`as_str`, `value`) and through serde (serialising is
//! not logging).

mod citizen;
mod error;
mod holder;
mod license_id;
mod mod37;
mod region;
mod type_code;
mod uscc;

pub use citizen::{CitizenId, citizen_id_check_char};
pub use error::{IdError, IdKind, LicenseIdPart, NonStandardVariant};
pub use holder::{HolderCode, HolderCodeType, OtherHolderCode};
pub(crate) use license_id::PartsMemo;
pub use license_id::{IssuerCode, LICENSE_ID_ROOT, LicenseId};
pub use mod37::mod37_36_check;
pub use region::{RegionCode, RegionLevel};
pub use type_code::LicenseTypeCode;
pub use uscc::{Uscc, uscc_check_char};

/// Checks every character of `s` with `ok(index, byte)`; `offset` is added to
/// reported positions. A lower-case letter whose upper case would be accepted
/// is reported as [`IdError::LowerCase`].
fn check_chars(
    kind: IdKind,
    s: &str,
    offset: usize,
    ok: impl Fn(usize, u8) -> bool,
) -> Result<(), IdError> {
    // Fast path: all ASCII and accepted (characters are bytes then); any
    // other input takes the loop below, which finds the exact error.
    if s.bytes().enumerate().all(|(i, b)| b.is_ascii() && ok(i, b)) {
        return Ok(());
    }
    for (i, c) in s.chars().enumerate() {
        let position = offset.saturating_add(i);
        if c.is_ascii() && ok(i, c as u8) {
            continue;
        }
        if c.is_ascii_lowercase() && ok(i, c.to_ascii_uppercase() as u8) {
            return Err(IdError::LowerCase {
                kind,
                position,
                found: c,
            });
        }
        return Err(IdError::invalid_char(kind, position, c));
    }
    Ok(())
}

/// Checks that `s` is exactly `N` characters accepted by `ok` and returns them.
fn fixed_ascii<const N: usize>(
    kind: IdKind,
    s: &str,
    expected: &'static str,
    ok: impl Fn(usize, u8) -> bool,
) -> Result<[u8; N], IdError> {
    // Fast path: N accepted ASCII bytes; anything else is reported below.
    if let Ok(bytes) = <[u8; N]>::try_from(s.as_bytes())
        && bytes
            .iter()
            .enumerate()
            .all(|(i, &b)| b.is_ascii() && ok(i, b))
    {
        return Ok(bytes);
    }
    let found = s.chars().count();
    if found != N {
        return Err(IdError::Length {
            kind,
            expected,
            found,
        });
    }
    check_chars(kind, s, 0, ok)?;
    // All N characters are ASCII, so `s` is exactly N bytes.
    Ok(take_array(s.as_bytes()))
}

/// The first `N` bytes of `src` (zero-padded if shorter; callers pass at least `N`).
fn take_array<const N: usize>(src: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    for (o, b) in out.iter_mut().zip(src) {
        *o = *b;
    }
    out
}

/// The decimal value of a run of ASCII digits.
fn digits_value<'a>(digits: impl IntoIterator<Item = &'a u8>) -> u32 {
    digits.into_iter().fold(0u32, |acc, b| {
        acc.wrapping_mul(10)
            .wrapping_add(u32::from(b.wrapping_sub(b'0')))
    })
}

/// Views validated ASCII storage as `&str`.
fn ascii_str(bytes: &[u8]) -> &str {
    // Storage is validated ASCII, so this never falls back.
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// Replaces a deserializer's error that may quote a number long enough to be
/// a citizen id (e.g. serde_json's "invalid type: integer `…`") by one that
/// does not.
fn redact_long_numbers<E: serde::de::Error>(err: E, what: &str) -> E {
    let mut run = 0usize;
    for b in err.to_string().bytes() {
        if b.is_ascii_digit() {
            run += 1;
            if run >= 15 {
                return E::custom(format_args!(
                    "invalid {what}: expected a string (value withheld: personal data)"
                ));
            }
        } else {
            run = 0;
        }
    }
    err
}

/// `FromStr` and serde as a plain string for a type with `parse` and `as_str`.
macro_rules! string_id_impls {
    ($ty:ident, $expecting:literal) => {
        $crate::ids::string_id_impls!($ty, $expecting, |e| e);
    };
    ($ty:ident, $expecting:literal, $post:expr) => {
        impl ::std::str::FromStr for $ty {
            type Err = $crate::ids::IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                struct Visitor;
                impl ::serde::de::Visitor<'_> for Visitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: ::serde::de::Error>(self, v: &str) -> Result<$ty, E> {
                        $ty::parse(v).map_err(E::custom)
                    }
                }
                deserializer.deserialize_str(Visitor).map_err($post)
            }
        }
    };
}
use string_id_impls;
