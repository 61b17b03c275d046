//! 电子证照标识, electronic license identifiers (GB/T 36904-2018).

use std::fmt;

use super::mod37::{self, ROOT_DIGITS, is_alnum_upper};
use super::{
    IdError, IdKind, LicenseIdPart, LicenseTypeCode, NonStandardVariant, RegionCode, Uscc,
    check_chars, digits_value, fixed_ascii,
};

/// The root (根) of every license identifier, GB/T 36904-2018.
pub const LICENSE_ID_ROOT: &str = "1.2.156.3005.2";

/// The root followed by its separating dot.
const ROOT_PREFIX: &str = "1.2.156.3005.2.";
/// The root of [`NonStandardVariant::Root3003`] followed by its dot.
const ROOT_3003_PREFIX: &str = "1.2.156.3003.2.";
/// Work budget: longer input is rejected unread. The longest valid identifier
/// (18-character issuer, 32-character serial) has 94 characters.
const MAX_LEN: usize = 128;
/// Longest accepted serial.
const MAX_SERIAL: usize = 32;

/// 颁发机构代码, the issuer part of a license identifier: normally the
/// issuer's 18-character USCC; one real deployment puts a 6-digit region code
/// (行政区划代码) there instead, which is accepted too.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IssuerCode {
    /// The issuer's 统一社会信用代码.
    Uscc(Uscc),
    /// A 行政区划代码 in place of the issuer's USCC.
    Region(RegionCode),
}

impl IssuerCode {
    /// Parses an issuer code: 18 characters as a [`Uscc`], 6 as a [`RegionCode`].
    ///
    /// # Errors
    /// [`IdError::Length`] (kind [`IdKind::IssuerCode`]) for any other length;
    /// otherwise the errors of [`Uscc::parse`] or [`RegionCode::parse`].
    pub fn parse(s: &str) -> Result<IssuerCode, IdError> {
        match s.chars().count() {
            18 => Uscc::parse(s).map(IssuerCode::Uscc),
            6 => RegionCode::parse(s).map(IssuerCode::Region),
            found => Err(IdError::Length {
                kind: IdKind::IssuerCode,
                expected: "18 (USCC) or 6 (region code)",
                found,
            }),
        }
    }

    /// The code as a string.
    pub fn as_str(&self) -> &str {
        match self {
            IssuerCode::Uscc(u) => u.as_str(),
            IssuerCode::Region(r) => r.as_str(),
        }
    }
}

impl From<Uscc> for IssuerCode {
    fn from(u: Uscc) -> Self {
        IssuerCode::Uscc(u)
    }
}

impl From<RegionCode> for IssuerCode {
    fn from(r: RegionCode) -> Self {
        IssuerCode::Region(r)
    }
}

impl fmt::Display for IssuerCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for IssuerCode {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

super::string_id_impls!(IssuerCode, "an issuer code (颁发机构代码)");

/// 电子证照标识, an electronic license identifier (GB/T 36904-2018):
///
/// `1.2.156.3005.2.<type code>.<issuer>.<serial>.<version>.<check>`
///
/// - type code: a [`LicenseTypeCode`] (21 characters);
/// - issuer: an [`IssuerCode`] (18-character USCC or 6-digit region code);
/// - serial (序列号): 1..=32 characters of upper-case `0-9A-Z`;
/// - version (版本号): 3 digits, bumped when the license is renewed or changed;
/// - check (校验位): ISO/IEC 7064 MOD 37,36 ([`mod37_36_check`](super::mod37_36_check))
///   over type code + issuer + serial + version, without dots or root.
///
/// Input longer than 128 bytes is rejected before it is read. Identifiers
/// that fail the standard but match a known [`NonStandardVariant`] are
/// rejected with [`IdError::NonStandardLicenseId`] naming the variant.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LicenseId {
    text: Box<str>,
    type_code: LicenseTypeCode,
    issuer: IssuerCode,
    version: u16,
    serial_len: u8,
    check: u8,
}

/// The validated parts of an identifier after its root.
struct Parts<'a> {
    type_code: LicenseTypeCode,
    issuer: IssuerCode,
    serial: &'a str,
    version_text: &'a str,
    version: u16,
    check: char,
}

impl Parts<'_> {
    /// The data the check character covers, in order.
    fn data(&self) -> [&str; 4] {
        [
            self.type_code.as_str(),
            self.issuer.as_str(),
            self.serial,
            self.version_text,
        ]
    }

    /// Parses what follows the root (and its dot).
    fn parse(rest: &str) -> Result<Parts<'_>, IdError> {
        Parts::parse_memo(rest, &mut PartsMemo::default())
    }

    /// As [`Parts::parse`], reusing the type code and issuer of `memo` when
    /// their text recurs (parsing is a function of the text) and remembering
    /// the ones parsed.
    fn parse_memo<'a>(rest: &'a str, memo: &mut PartsMemo) -> Result<Parts<'a>, IdError> {
        use LicenseIdPart as P;
        let mut it = rest.split('.');
        let (Some(t), Some(i), Some(serial), Some(v), Some(c), None) = (
            it.next(),
            it.next(),
            it.next(),
            it.next(),
            it.next(),
            it.next(),
        ) else {
            return Err(IdError::Syntax {
                kind: IdKind::LicenseId,
                reason: "expected 5 dot-separated parts after the root: \
                         type code, issuer, serial, version, check",
            });
        };
        let type_code = match memo.type_code {
            Some(known) if known.as_str() == t => known,
            _ => {
                let code = LicenseTypeCode::parse(t).map_err(IdError::in_part(P::TypeCode))?;
                memo.type_code = Some(code);
                code
            }
        };
        let issuer = match memo.issuer {
            Some(known) if known.as_str() == i => known,
            _ => {
                let code = IssuerCode::parse(i).map_err(IdError::in_part(P::Issuer))?;
                memo.issuer = Some(code);
                code
            }
        };
        check_serial(serial).map_err(IdError::in_part(P::Serial))?;
        let version: [u8; 3] = fixed_ascii(IdKind::LicenseId, v, "3", |_, b| b.is_ascii_digit())
            .map_err(IdError::in_part(P::Version))?;
        let [check]: [u8; 1] = fixed_ascii(IdKind::LicenseId, c, "1", |_, b| is_alnum_upper(b))
            .map_err(IdError::in_part(P::Check))?;
        Ok(Parts {
            type_code,
            issuer,
            serial,
            version_text: v,
            // Three digits: at most 999.
            version: digits_value(&version) as u16,
            check: char::from(check),
        })
    }

    /// Verifies the check character, naming a non-standard variant if one matches.
    fn verify(&self) -> Result<(), IdError> {
        let data = self.data();
        let expected = mod37::check_of(&data);
        let found = self.check;
        if expected == found {
            return Ok(());
        }
        let [t, i, s, v] = data;
        let variant = if mod37::check_of(&[ROOT_DIGITS, t, i, s, v]) == found {
            NonStandardVariant::RootInChecksum
        } else if mod37::letter_values_plus_one_check(&data) == found {
            NonStandardVariant::LetterValuesPlusOne
        } else {
            return Err(IdError::CheckMismatch {
                kind: IdKind::LicenseId,
                expected,
                found,
            });
        };
        Err(IdError::NonStandardLicenseId { variant })
    }
}

/// The type code and issuer of the identifier parsed last (see
/// [`LicenseId::parse_memo`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct PartsMemo {
    type_code: Option<LicenseTypeCode>,
    issuer: Option<IssuerCode>,
}

/// Checks a serial: 1..=32 characters of `0-9A-Z`.
fn check_serial(serial: &str) -> Result<(), IdError> {
    let found = serial.chars().count();
    if !(1..=MAX_SERIAL).contains(&found) {
        return Err(IdError::Length {
            kind: IdKind::LicenseId,
            expected: "1..=32",
            found,
        });
    }
    check_chars(IdKind::LicenseId, serial, 0, |_, b| is_alnum_upper(b))
}

impl LicenseId {
    /// Parses and verifies an identifier.
    ///
    /// # Errors
    /// With kind [`IdKind::LicenseId`] unless said otherwise:
    /// [`IdError::InputTooLong`] (over 128 bytes);
    /// [`IdError::WrongLicenseIdRoot`]; [`IdError::Syntax`] (not 5 parts after
    /// the root); [`IdError::InLicenseIdPart`] wrapping the error of the first
    /// invalid part; [`IdError::NonStandardLicenseId`] for a known non-standard
    /// variant (checked in the order `Root3003`, `RootInChecksum`,
    /// `LetterValuesPlusOne`); otherwise [`IdError::CheckMismatch`].
    pub fn parse(s: &str) -> Result<LicenseId, IdError> {
        LicenseId::parse_memo(s, &mut PartsMemo::default())
    }

    /// As [`LicenseId::parse`] (the same result for the same text), skipping
    /// the check of a type code or issuer equal to those in `memo`.
    pub(crate) fn parse_memo(s: &str, memo: &mut PartsMemo) -> Result<LicenseId, IdError> {
        if s.len() > MAX_LEN {
            return Err(IdError::InputTooLong {
                kind: IdKind::LicenseId,
                max: MAX_LEN,
                found: s.len(),
            });
        }
        let Some(rest) = s.strip_prefix(ROOT_PREFIX) else {
            let root_3003 = s
                .strip_prefix(ROOT_3003_PREFIX)
                .is_some_and(|rest| Parts::parse(rest).and_then(|p| p.verify()).is_ok());
            return Err(if root_3003 {
                IdError::NonStandardLicenseId {
                    variant: NonStandardVariant::Root3003,
                }
            } else {
                IdError::WrongLicenseIdRoot
            });
        };
        let parts = Parts::parse_memo(rest, memo)?;
        parts.verify()?;
        Ok(LicenseId {
            text: s.into(),
            type_code: parts.type_code,
            issuer: parts.issuer,
            version: parts.version,
            // At most 32.
            serial_len: parts.serial.len() as u8,
            check: parts.check as u8,
        })
    }

    /// Builds an identifier from its parts, computing the check character.
    ///
    /// # Errors
    /// [`IdError::InLicenseIdPart`] (part [`LicenseIdPart::Serial`]) for an
    /// invalid serial; [`IdError::NumberOutOfRange`] if `version` > 999.
    pub fn from_parts(
        type_code: LicenseTypeCode,
        issuer: IssuerCode,
        serial: &str,
        version: u16,
    ) -> Result<LicenseId, IdError> {
        check_serial(serial).map_err(IdError::in_part(LicenseIdPart::Serial))?;
        if version > 999 {
            return Err(IdError::NumberOutOfRange {
                kind: IdKind::LicenseId,
                field: "version",
                value: version,
                max: 999,
            });
        }
        let version_text = format!("{version:03}");
        let check = mod37::check_of(&[type_code.as_str(), issuer.as_str(), serial, &version_text]);
        let text =
            format!("{LICENSE_ID_ROOT}.{type_code}.{issuer}.{serial}.{version_text}.{check}");
        Ok(LicenseId {
            text: text.into_boxed_str(),
            type_code,
            issuer,
            version,
            // At most 32.
            serial_len: serial.len() as u8,
            check: check as u8,
        })
    }

    /// The same license (type, issuer, serial) at another version, with the
    /// check recomputed: the identifier of a renewed or changed license
    /// (延续/变更).
    ///
    /// # Errors
    /// [`IdError::NumberOutOfRange`] if `version` > 999.
    pub fn with_version(&self, version: u16) -> Result<LicenseId, IdError> {
        Self::from_parts(self.type_code, self.issuer, self.serial(), version)
    }

    /// 证照类型代码, the license type code.
    pub fn type_code(&self) -> &LicenseTypeCode {
        &self.type_code
    }

    /// 颁发机构代码, the issuer code.
    pub fn issuer(&self) -> &IssuerCode {
        &self.issuer
    }

    /// 序列号, the serial.
    pub fn serial(&self) -> &str {
        // Root, dot, type code, dot, issuer, dot.
        let start = ROOT_PREFIX.len() + 21 + 1 + self.issuer.as_str().len() + 1;
        self.text
            .get(start..start + usize::from(self.serial_len))
            .unwrap_or_default()
    }

    /// 版本号, the version (0..=999).
    pub fn version(&self) -> u16 {
        self.version
    }

    /// 校验位, the check character.
    pub fn check_char(&self) -> char {
        char::from(self.check)
    }

    /// The whole identifier, root included.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for LicenseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for LicenseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LicenseId").field(&self.as_str()).finish()
    }
}

impl AsRef<str> for LicenseId {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

super::string_id_impls!(LicenseId, "a license identifier (电子证照标识)");

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;
    use crate::ids::mod37::tests::{ALPHABET, state_after, transposition_undetected, value_of};
    use crate::ids::mod37_36_check;
    use proptest::prelude::*;

    /// The real identifiers of DOMAIN.md §3.
    const REAL: [&str; 4] = [
        "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
        "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
        "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F",
        "1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.9",
    ];

    fn id(s: &str) -> LicenseId {
        LicenseId::parse(s).unwrap()
    }

    fn part(part: LicenseIdPart, error: IdError) -> IdError {
        IdError::InLicenseIdPart {
            part,
            error: Box::new(error),
        }
    }

    /// The identifier with each part replaced as given (`None` keeps it).
    fn replace(s: &str, index: usize, new: &str) -> String {
        let rest = s.strip_prefix(ROOT_PREFIX).unwrap();
        let mut parts: Vec<&str> = rest.split('.').collect();
        parts[index] = new;
        format!("{ROOT_PREFIX}{}", parts.join("."))
    }

    /// The data covered by the check and the lengths of its parts.
    fn data_of(id: &LicenseId) -> (String, [usize; 4]) {
        let v = format!("{:03}", id.version());
        let parts = [
            id.type_code().as_str(),
            id.issuer().as_str(),
            id.serial(),
            &v,
        ];
        (parts.concat(), parts.map(str::len))
    }

    /// An identifier string with `data` split back into parts and `check`.
    fn assemble(data: &str, lens: [usize; 4], check: char) -> String {
        let mut out = String::from(LICENSE_ID_ROOT);
        let mut at = 0;
        for len in lens {
            out.push('.');
            out.push_str(&data[at..at + len]);
            at += len;
        }
        format!("{out}.{check}")
    }

    #[test]
    fn real_examples() {
        let a = id(REAL[0]);
        assert_eq!(a.as_str(), REAL[0]);
        assert_eq!(a.type_code().as_str(), "11100000000013338W009");
        assert_eq!(
            a.issuer(),
            &IssuerCode::Uscc(Uscc::parse("11330105002500287C").unwrap())
        );
        assert_eq!(a.serial(), "2025052201");
        assert_eq!(a.version(), 2);
        assert_eq!(a.check_char(), '0');

        let b = id(REAL[1]);
        assert_eq!(b.type_code().seq(), 11);
        assert_eq!(b.issuer().as_str(), "11430000006122244L");
        assert_eq!(b.serial(), "20230000403");
        assert_eq!(b.version(), 1);
        assert_eq!(b.check_char(), 'U');

        let c = id(REAL[2]);
        assert_eq!(c.type_code().as_str(), "11100000000013338W032");
        assert_eq!(c.issuer().as_str(), "11220000013544541J");
        assert_eq!(c.serial(), "2430599");
        assert_eq!(c.check_char(), 'F');

        let d = id(REAL[3]);
        assert_eq!(d.type_code().as_str(), "11100000MB03271699022");
        assert_eq!(d.type_code().definer().as_str(), "11100000MB03271699");
        assert_eq!(
            d.issuer(),
            &IssuerCode::Region(RegionCode::parse("340100").unwrap())
        );
        assert_eq!(d.serial(), "000000016");
        assert_eq!(d.version(), 1);
        assert_eq!(d.check_char(), '9');

        for s in REAL {
            let l = id(s);
            assert_eq!(
                LicenseId::from_parts(*l.type_code(), *l.issuer(), l.serial(), l.version()),
                Ok(l.clone())
            );
            assert_eq!(s.parse::<LicenseId>(), Ok(l.clone()));
            assert_eq!(l.to_string(), s);
            assert_eq!(l.as_ref(), s);
            assert_eq!(format!("{l:?}"), format!("LicenseId({s:?})"));
        }
    }

    #[test]
    fn with_version_recomputes_check() {
        let a = id(REAL[0]);
        let next = a.with_version(3).unwrap();
        assert_eq!(next.version(), 3);
        assert_eq!(next.serial(), a.serial());
        assert_eq!(next.type_code(), a.type_code());
        assert_eq!(next.issuer(), a.issuer());
        assert!(next.as_str().starts_with(
            "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.003."
        ));
        assert_eq!(LicenseId::parse(next.as_str()), Ok(next.clone()));
        assert_eq!(next.with_version(2), Ok(a));
        let d = id(REAL[3]);
        assert_eq!(d.with_version(1), Ok(d.clone()));
        assert_eq!(
            d.with_version(1000),
            Err(IdError::NumberOutOfRange {
                kind: IdKind::LicenseId,
                field: "version",
                value: 1000,
                max: 999
            })
        );
    }

    #[test]
    fn structural_errors() {
        let long = format!("{ROOT_PREFIX}{}", "A".repeat(200));
        assert_eq!(
            LicenseId::parse(&long),
            Err(IdError::InputTooLong {
                kind: IdKind::LicenseId,
                max: 128,
                found: long.len()
            })
        );
        // Exactly 128 bytes is read (and fails for another reason).
        let at_limit = format!("{ROOT_PREFIX}{}", "A".repeat(128 - ROOT_PREFIX.len()));
        assert!(matches!(
            LicenseId::parse(&at_limit),
            Err(IdError::Syntax { .. })
        ));
        for bad in [
            "",
            "1.2.156.3005.2",
            "1.2.156.3004.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
            " 1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
        ] {
            assert_eq!(
                LicenseId::parse(bad),
                Err(IdError::WrongLicenseIdRoot),
                "{bad}"
            );
        }
        let syntax = Err(IdError::Syntax {
            kind: IdKind::LicenseId,
            reason: "expected 5 dot-separated parts after the root: \
                     type code, issuer, serial, version, check",
        });
        assert_eq!(
            LicenseId::parse(
                "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002"
            ),
            syntax
        );
        assert_eq!(LicenseId::parse(&format!("{}.0", REAL[0])), syntax);
        assert_eq!(LicenseId::parse(ROOT_PREFIX), syntax);
    }

    #[test]
    fn part_errors() {
        let s = REAL[0];
        let k = IdKind::LicenseId;
        let cases = [
            (
                replace(s, 0, "11100000000013338X009"),
                part(
                    LicenseIdPart::TypeCode,
                    IdError::CheckMismatch {
                        kind: IdKind::Uscc,
                        expected: 'W',
                        found: 'X',
                    },
                ),
            ),
            (
                replace(s, 0, "11100000000013338W09"),
                part(
                    LicenseIdPart::TypeCode,
                    IdError::Length {
                        kind: IdKind::LicenseTypeCode,
                        expected: "21",
                        found: 20,
                    },
                ),
            ),
            (
                replace(s, 1, "3401001"),
                part(
                    LicenseIdPart::Issuer,
                    IdError::Length {
                        kind: IdKind::IssuerCode,
                        expected: "18 (USCC) or 6 (region code)",
                        found: 7,
                    },
                ),
            ),
            (
                replace(s, 1, "990100"),
                part(
                    LicenseIdPart::Issuer,
                    IdError::InvalidRegion {
                        kind: IdKind::RegionCode,
                        code: "990100".into(),
                    },
                ),
            ),
            (
                replace(s, 1, "11330105002500287c"),
                part(
                    LicenseIdPart::Issuer,
                    IdError::LowerCase {
                        kind: IdKind::Uscc,
                        position: 17,
                        found: 'c',
                    },
                ),
            ),
            (
                replace(s, 2, ""),
                part(
                    LicenseIdPart::Serial,
                    IdError::Length {
                        kind: k,
                        expected: "1..=32",
                        found: 0,
                    },
                ),
            ),
            (
                replace(s, 2, &"1".repeat(33)),
                part(
                    LicenseIdPart::Serial,
                    IdError::Length {
                        kind: k,
                        expected: "1..=32",
                        found: 33,
                    },
                ),
            ),
            (
                replace(s, 2, "2025a"),
                part(
                    LicenseIdPart::Serial,
                    IdError::LowerCase {
                        kind: k,
                        position: 4,
                        found: 'a',
                    },
                ),
            ),
            (
                replace(s, 2, "2025-05"),
                part(
                    LicenseIdPart::Serial,
                    IdError::InvalidChar {
                        kind: k,
                        position: 4,
                        found: '-',
                    },
                ),
            ),
            (
                replace(s, 3, "02"),
                part(
                    LicenseIdPart::Version,
                    IdError::Length {
                        kind: k,
                        expected: "3",
                        found: 2,
                    },
                ),
            ),
            (
                replace(s, 3, "0A2"),
                part(
                    LicenseIdPart::Version,
                    IdError::InvalidChar {
                        kind: k,
                        position: 1,
                        found: 'A',
                    },
                ),
            ),
            (
                replace(s, 4, "u"),
                part(
                    LicenseIdPart::Check,
                    IdError::LowerCase {
                        kind: k,
                        position: 0,
                        found: 'u',
                    },
                ),
            ),
            (
                replace(s, 4, "00"),
                part(
                    LicenseIdPart::Check,
                    IdError::Length {
                        kind: k,
                        expected: "1",
                        found: 2,
                    },
                ),
            ),
            (
                replace(s, 4, "#"),
                part(
                    LicenseIdPart::Check,
                    IdError::InvalidChar {
                        kind: k,
                        position: 0,
                        found: '#',
                    },
                ),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(LicenseId::parse(&input), Err(expected), "{input}");
        }
        let t = *id(s).type_code();
        let i = *id(s).issuer();
        assert_eq!(
            LicenseId::from_parts(t, i, "abc", 1),
            Err(part(
                LicenseIdPart::Serial,
                IdError::LowerCase {
                    kind: k,
                    position: 0,
                    found: 'a'
                }
            ))
        );
        assert_eq!(
            LicenseId::from_parts(t, i, "ABC", 1000),
            Err(IdError::NumberOutOfRange {
                kind: k,
                field: "version",
                value: 1000,
                max: 999
            })
        );
        assert!(LicenseId::from_parts(t, i, &"Z".repeat(32), 999).is_ok());
        assert!(LicenseId::from_parts(t, i, "0", 0).is_ok());
    }

    /// A plain check mismatch when no known variant matches either.
    #[test]
    fn check_mismatch() {
        for s in REAL {
            let l = id(s);
            let (data, _) = data_of(&l);
            let [t, i, se, v] = [
                l.type_code().as_str().to_owned(),
                l.issuer().as_str().to_owned(),
                l.serial().to_owned(),
                format!("{:03}", l.version()),
            ];
            let explained = [
                mod37::check_of(&[data.as_str()]),
                mod37::check_of(&[ROOT_DIGITS, &t, &i, &se, &v]),
                mod37::letter_values_plus_one_check(&[data.as_str()]),
            ];
            let mut tested = 0;
            for &c in ALPHABET {
                let c = char::from(c);
                if explained.contains(&c) {
                    continue;
                }
                tested += 1;
                assert_eq!(
                    LicenseId::parse(&replace(s, 4, &c.to_string())),
                    Err(IdError::CheckMismatch {
                        kind: IdKind::LicenseId,
                        expected: l.check_char(),
                        found: c
                    })
                );
            }
            assert!(tested >= 33);
        }
    }

    #[test]
    fn non_standard_root_3003() {
        for s in REAL {
            let odd = s.replacen("1.2.156.3005.2.", "1.2.156.3003.2.", 1);
            assert_eq!(
                LicenseId::parse(&odd),
                Err(IdError::NonStandardLicenseId {
                    variant: NonStandardVariant::Root3003
                })
            );
        }
        // With the 3003 root and a wrong check, it is just a wrong root.
        let odd = replace(REAL[0], 4, "1").replacen("3005", "3003", 1);
        assert_eq!(LicenseId::parse(&odd), Err(IdError::WrongLicenseIdRoot));
    }

    /// Builds the identifier of `l` with the check of `variant`, if it differs
    /// from the standard one (and from the variants tried before it).
    fn with_variant_check(l: &LicenseId, variant: NonStandardVariant) -> Option<String> {
        let (data, lens) = data_of(l);
        let root_in = mod37::check_of(&[ROOT_DIGITS, &data]);
        let plus_one = mod37::letter_values_plus_one_check(&[data.as_str()]);
        let check = match variant {
            NonStandardVariant::RootInChecksum => root_in,
            NonStandardVariant::LetterValuesPlusOne if plus_one != root_in => plus_one,
            _ => return None,
        };
        (check != l.check_char()).then(|| assemble(&data, lens, check))
    }

    #[test]
    fn non_standard_check_variants() {
        for variant in [
            NonStandardVariant::RootInChecksum,
            NonStandardVariant::LetterValuesPlusOne,
        ] {
            let mut tested = 0;
            for s in REAL {
                if let Some(odd) = with_variant_check(&id(s), variant) {
                    tested += 1;
                    assert_eq!(
                        LicenseId::parse(&odd),
                        Err(IdError::NonStandardLicenseId { variant }),
                        "{odd}"
                    );
                }
            }
            assert!(tested >= 2, "{variant:?}: {tested}");
        }
        // Root included, by hand: MOD 37,36 over "12156300052" + data.
        let l = id(REAL[0]);
        let check =
            mod37_36_check("1215630005211100000000013338W00911330105002500287C2025052201002")
                .unwrap();
        let odd = replace(REAL[0], 4, &check.to_string());
        assert_ne!(check, l.check_char());
        assert_eq!(
            LicenseId::parse(&odd),
            Err(IdError::NonStandardLicenseId {
                variant: NonStandardVariant::RootInChecksum
            })
        );
    }

    #[test]
    fn every_single_substitution_of_examples_rejected() {
        let mut tried = 0;
        for s in REAL {
            let l = id(s);
            let (data, _) = data_of(&l);
            let bytes = s.as_bytes();
            for i in ROOT_PREFIX.len()..bytes.len() {
                if bytes[i] == b'.' {
                    continue;
                }
                for &c in ALPHABET {
                    if bytes[i] == c {
                        continue;
                    }
                    let mut b = bytes.to_vec();
                    b[i] = c;
                    let t = String::from_utf8(b).unwrap();
                    assert!(LicenseId::parse(&t).is_err(), "{t}");
                    tried += 1;
                }
            }
            // And on the data alone, the check always changes.
            for i in 0..data.len() {
                for &c in ALPHABET {
                    let mut b = data.clone().into_bytes();
                    if b[i] == c {
                        continue;
                    }
                    b[i] = c;
                    let changed = String::from_utf8(b).unwrap();
                    assert_ne!(mod37_36_check(&changed), Ok(l.check_char()), "{changed}");
                }
            }
        }
        // 53 + 54 + 50 + 40 characters after the root, 35 substitutes each.
        assert_eq!(tried, 197 * 35);
    }

    #[test]
    fn adjacent_transpositions_of_examples() {
        let mut blind = 0;
        for s in REAL {
            let l = id(s);
            let (data, lens) = data_of(&l);
            let d = data.as_bytes();
            for i in 0..d.len() - 1 {
                if d[i] == d[i + 1] {
                    continue;
                }
                let mut b = d.to_vec();
                b.swap(i, i + 1);
                let swapped = String::from_utf8(b).unwrap();
                let t = assemble(&swapped, lens, l.check_char());
                let p = state_after(&d[..i]);
                if transposition_undetected(p, value_of(d[i]), value_of(d[i + 1])) {
                    blind += 1;
                    assert_eq!(mod37_36_check(&swapped), Ok(l.check_char()));
                    // The one blind spot in these examples falls inside the
                    // issuer's USCC, whose own check catches it.
                    assert!(
                        matches!(
                            LicenseId::parse(&t),
                            Err(IdError::InLicenseIdPart {
                                part: LicenseIdPart::Issuer,
                                ..
                            })
                        ),
                        "{t}"
                    );
                } else {
                    assert!(LicenseId::parse(&t).is_err(), "{t}");
                }
            }
        }
        // In the 3rd, issuer 11220000013544541J → 11220000013544451J ("54" → "45")
        // leaves the MOD 37,36 check unchanged.
        assert_eq!(blind, 1);
    }

    /// MOD 37,36 misses some adjacent transpositions: two different valid
    /// identifiers with the same check, differing by one swap in the serial.
    #[test]
    fn known_transposition_blind_spot() {
        let l = id(REAL[0]);
        let prefix = format!("{}{}", l.type_code(), l.issuer());
        let p = state_after(prefix.as_bytes());
        // p + x ≡ 18 (mod 36), y = x + 1.
        let x = (18 + 36 - p % 36) % 36;
        let y = (x + 1) % 36;
        let (cx, cy) = (mod37::char_of(x), mod37::char_of(y));
        let a =
            LicenseId::from_parts(*l.type_code(), *l.issuer(), &format!("{cx}{cy}"), 1).unwrap();
        let b =
            LicenseId::from_parts(*l.type_code(), *l.issuer(), &format!("{cy}{cx}"), 1).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.check_char(), b.check_char());
        assert!(LicenseId::parse(a.as_str()).is_ok());
        assert!(LicenseId::parse(b.as_str()).is_ok());
    }

    #[test]
    fn issuer_code() {
        let u = IssuerCode::parse("11330105002500287C").unwrap();
        assert!(matches!(u, IssuerCode::Uscc(_)));
        let r = IssuerCode::parse("340100").unwrap();
        assert_eq!(r, IssuerCode::from(RegionCode::parse("340100").unwrap()));
        assert_eq!(r.to_string(), "340100");
        assert_eq!(r.as_ref(), "340100");
        assert_eq!("340100".parse::<IssuerCode>(), Ok(r));
        assert_eq!(
            IssuerCode::from(Uscc::parse("11330105002500287C").unwrap()),
            u
        );
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"340100\"");
        assert_eq!(
            serde_json::from_str::<IssuerCode>("\"11330105002500287C\"").unwrap(),
            u
        );
    }

    #[test]
    fn serde_round_trip() {
        for s in REAL {
            let l = id(s);
            let json = serde_json::to_string(&l).unwrap();
            assert_eq!(json, format!("\"{s}\""));
            assert_eq!(serde_json::from_str::<LicenseId>(&json).unwrap(), l);
        }
        let bad = format!("\"{}\"", replace(REAL[0], 4, "1"));
        let e = serde_json::from_str::<LicenseId>(&bad).unwrap_err();
        assert!(e.to_string().contains("check character"), "{e}");
    }

    fn issuer_strategy() -> impl Strategy<Value = IssuerCode> {
        prop_oneof![
            crate::ids::uscc::tests::body_strategy()
                .prop_map(|b| IssuerCode::Uscc(Uscc::from_body(&b).unwrap())),
            crate::ids::region::tests::region_strategy()
                .prop_map(|r| IssuerCode::Region(RegionCode::parse(&r).unwrap())),
        ]
    }

    fn license_strategy() -> impl Strategy<Value = LicenseId> {
        (
            crate::ids::type_code::tests::type_code_strategy(),
            issuer_strategy(),
            "[0-9A-Z]{1,32}",
            0u16..=999,
        )
            .prop_map(|(t, i, s, v)| LicenseId::from_parts(t, i, &s, v).unwrap())
    }

    proptest! {
        #[test]
        fn round_trip(
            t in crate::ids::type_code::tests::type_code_strategy(),
            i in issuer_strategy(),
            serial in "[0-9A-Z]{1,32}",
            v in 0u16..=999,
            v2 in 0u16..=999,
        ) {
            let l = LicenseId::from_parts(t, i, &serial, v).unwrap();
            prop_assert!(l.as_str().len() <= 94);
            prop_assert_eq!(LicenseId::parse(l.as_str()), Ok(l.clone()));
            prop_assert_eq!(l.type_code(), &t);
            prop_assert_eq!(l.issuer(), &i);
            prop_assert_eq!(l.serial(), serial.as_str());
            prop_assert_eq!(l.version(), v);
            let (data, _) = data_of(&l);
            prop_assert_eq!(mod37_36_check(&data), Ok(l.check_char()));
            let renewed = l.with_version(v2).unwrap();
            prop_assert_eq!(LicenseId::parse(renewed.as_str()), Ok(renewed.clone()));
            prop_assert_eq!(renewed.serial(), l.serial());
            prop_assert_eq!(renewed.version(), v2);
            let json = serde_json::to_string(&l).unwrap();
            prop_assert_eq!(serde_json::from_str::<LicenseId>(&json).unwrap(), l);
        }

        #[test]
        fn single_substitution_rejected(
            l in license_strategy(),
            pos in any::<prop::sample::Index>(),
            c in prop::sample::select(ALPHABET.to_vec()),
        ) {
            let s = l.as_str();
            let positions: Vec<usize> = (ROOT_PREFIX.len()..s.len())
                .filter(|&i| s.as_bytes()[i] != b'.')
                .collect();
            let i = positions[pos.index(positions.len())];
            prop_assume!(s.as_bytes()[i] != c);
            let mut b = s.as_bytes().to_vec();
            b[i] = c;
            let t = String::from_utf8(b).unwrap();
            prop_assert!(LicenseId::parse(&t).is_err(), "{}", t);
        }

        #[test]
        fn adjacent_transposition_rejected_outside_blind_spot(
            l in license_strategy(),
            pos in any::<prop::sample::Index>(),
        ) {
            let (data, lens) = data_of(&l);
            let d = data.as_bytes();
            let i = pos.index(d.len() - 1);
            prop_assume!(d[i] != d[i + 1]);
            let p = state_after(&d[..i]);
            prop_assume!(!transposition_undetected(p, value_of(d[i]), value_of(d[i + 1])));
            let mut b = d.to_vec();
            b.swap(i, i + 1);
            let t = assemble(&String::from_utf8(b).unwrap(), lens, l.check_char());
            prop_assert!(LicenseId::parse(&t).is_err(), "{}", t);
        }

        #[test]
        fn variants_are_named(l in license_strategy()) {
            for variant in [
                NonStandardVariant::RootInChecksum,
                NonStandardVariant::LetterValuesPlusOne,
            ] {
                if let Some(odd) = with_variant_check(&l, variant) {
                    prop_assert_eq!(
                        LicenseId::parse(&odd),
                        Err(IdError::NonStandardLicenseId { variant })
                    );
                }
            }
            let odd = l.as_str().replacen("3005", "3003", 1);
            prop_assert_eq!(
                LicenseId::parse(&odd),
                Err(IdError::NonStandardLicenseId { variant: NonStandardVariant::Root3003 })
            );
        }
    }
}
