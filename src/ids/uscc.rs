//! 统一社会信用代码, the unified social credit code of organisations (GB 32100-2015).

use std::fmt;

use super::{IdError, IdKind, ascii_str, fixed_ascii};

/// The 31 characters of a USCC (no I, O, S, V, Z); a character's value is its index.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights of positions 1..=17.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn value(b: u8) -> Option<u32> {
    ALPHABET.iter().position(|&c| c == b).map(|i| i as u32)
}

fn is_uscc_char(b: u8) -> bool {
    value(b).is_some()
}

/// Check character of a validated body (only its first 17 bytes are read).
fn check_byte(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .filter_map(|(b, w)| value(*b).map(|v| v * w))
        .sum();
    let index = (31 - sum % 31) % 31;
    // index < 31 = ALPHABET.len(), so the fallback is never taken.
    ALPHABET.get(index as usize).copied().unwrap_or(b'0')
}

/// 统一社会信用代码, a unified social credit code (GB 32100-2015): the
/// identifier of an organisation.
///
/// 18 characters of `0123456789ABCDEFGHJKLMNPQRTUWXY`: 1 registration
/// authority (登记管理部门) + 1 organisation type (机构类别) + 6 region
/// (登记管理机关行政区划码, GB/T 2260) + 9 organisation code (主体标识码) + 1
/// check character (校验码). Only the upper-case canonical form is accepted.
/// The region part is not checked against [`RegionCode`](super::RegionCode):
/// central registrations use values such as `100000`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uscc([u8; 18]);

impl Uscc {
    /// Parses an 18-character code, checking the alphabet and the check character.
    ///
    /// # Errors
    /// [`IdError::Length`], [`IdError::LowerCase`], [`IdError::InvalidChar`] or
    /// [`IdError::CheckMismatch`], all with kind [`IdKind::Uscc`].
    pub fn parse(s: &str) -> Result<Uscc, IdError> {
        let bytes: [u8; 18] = fixed_ascii(IdKind::Uscc, s, "18", |_, b| is_uscc_char(b))?;
        let [.., found] = bytes;
        // `check_byte` reads the first 17 bytes only.
        let expected = check_byte(&bytes);
        if expected != found {
            return Err(IdError::CheckMismatch {
                kind: IdKind::Uscc,
                expected: char::from(expected),
                found: char::from(found),
            });
        }
        Ok(Uscc(bytes))
    }

    /// Builds a code from its first 17 characters, computing the check character.
    ///
    /// # Errors
    /// [`IdError::Length`] (17 expected), [`IdError::LowerCase`] or
    /// [`IdError::InvalidChar`], with kind [`IdKind::Uscc`].
    pub fn from_body(body17: &str) -> Result<Uscc, IdError> {
        let body: [u8; 17] = fixed_ascii(IdKind::Uscc, body17, "17", |_, b| is_uscc_char(b))?;
        let mut bytes = [0u8; 18];
        for (o, b) in bytes
            .iter_mut()
            .zip(body.iter().chain([check_byte(&body)].iter()))
        {
            *o = *b;
        }
        Ok(Uscc(bytes))
    }

    /// Wraps bytes that were validated as a USCC before (by `parse` or `from_body`).
    pub(super) fn from_validated(bytes: [u8; 18]) -> Uscc {
        Uscc(bytes)
    }

    /// The code as a string.
    pub fn as_str(&self) -> &str {
        ascii_str(&self.0)
    }

    /// 登记管理部门代码, the registration authority (1st character, e.g. `9` = 工商).
    pub fn registration_authority(&self) -> char {
        let [c, ..] = self.0;
        char::from(c)
    }

    /// 机构类别代码, the organisation type (2nd character).
    pub fn org_type(&self) -> char {
        let [_, c, ..] = self.0;
        char::from(c)
    }

    /// 登记管理机关行政区划码, the region part (characters 3–8).
    pub fn region_part(&self) -> &str {
        self.as_str().get(2..8).unwrap_or_default()
    }

    /// 主体标识码, the organisation code (characters 9–17; the former 组织机构代码).
    pub fn org_code(&self) -> &str {
        self.as_str().get(8..17).unwrap_or_default()
    }

    /// 校验码, the check character (18th character).
    pub fn check_char(&self) -> char {
        let [.., c] = self.0;
        char::from(c)
    }
}

/// The check character (校验码) of a USCC body of 17 characters (GB 32100-2015):
/// `31 − (Σ aᵢ·wᵢ mod 31)`, with 31 → 0.
///
/// # Errors
/// As [`Uscc::from_body`].
pub fn uscc_check_char(body17: &str) -> Result<char, IdError> {
    Uscc::from_body(body17).map(|u| u.check_char())
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Uscc").field(&self.as_str()).finish()
    }
}

impl AsRef<str> for Uscc {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

super::string_id_impls!(Uscc, "a unified social credit code (统一社会信用代码)");

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
pub(super) mod tests {
    use super::*;
    use proptest::prelude::*;

    const VALID: [&str; 2] = ["91350100M000100Y43", "11100000000013338W"];

    #[test]
    fn real_examples() {
        let u = Uscc::parse("91350100M000100Y43").unwrap();
        assert_eq!(u.as_str(), "91350100M000100Y43");
        assert_eq!(u.registration_authority(), '9');
        assert_eq!(u.org_type(), '1');
        assert_eq!(u.region_part(), "350100");
        assert_eq!(u.org_code(), "M000100Y4");
        assert_eq!(u.check_char(), '3');
        let v = Uscc::parse("11100000000013338W").unwrap();
        assert_eq!(v.region_part(), "100000");
        assert_eq!(v.org_code(), "000013338");
        assert_eq!(uscc_check_char("11100000000013338"), Ok('W'));
        assert_eq!(Uscc::from_body("91350100M000100Y4"), Ok(u));
        assert_eq!("11100000000013338W".parse::<Uscc>(), Ok(v));
        assert_eq!(v.to_string(), "11100000000013338W");
        assert_eq!(format!("{v:?}"), "Uscc(\"11100000000013338W\")");
        assert_eq!(v.as_ref(), "11100000000013338W");
    }

    #[test]
    fn errors() {
        let k = IdKind::Uscc;
        assert_eq!(
            Uscc::parse("91350100M000100Y4"),
            Err(IdError::Length {
                kind: k,
                expected: "18",
                found: 17
            })
        );
        assert_eq!(
            Uscc::parse(""),
            Err(IdError::Length {
                kind: k,
                expected: "18",
                found: 0
            })
        );
        assert_eq!(
            Uscc::parse("91350100m000100Y43"),
            Err(IdError::LowerCase {
                kind: k,
                position: 8,
                found: 'm'
            })
        );
        // I is not in the alphabet, in either case.
        assert_eq!(
            Uscc::parse("91350100I000100Y43"),
            Err(IdError::InvalidChar {
                kind: k,
                position: 8,
                found: 'I'
            })
        );
        assert_eq!(
            Uscc::parse("91350100i000100Y43"),
            Err(IdError::InvalidChar {
                kind: k,
                position: 8,
                found: 'i'
            })
        );
        assert_eq!(
            Uscc::parse("9135010０M000100Y43"),
            Err(IdError::InvalidChar {
                kind: k,
                position: 7,
                found: '０'
            })
        );
        assert_eq!(
            Uscc::parse("91350100M000100Y44"),
            Err(IdError::CheckMismatch {
                kind: k,
                expected: '3',
                found: '4'
            })
        );
        assert_eq!(
            Uscc::from_body("91350100M000100Y43"),
            Err(IdError::Length {
                kind: k,
                expected: "17",
                found: 18
            })
        );
        assert!(uscc_check_char("9135010OM000100Y4").is_err());
    }

    #[test]
    fn every_single_substitution_of_examples_rejected() {
        for s in VALID {
            for i in 0..18 {
                for &c in ALPHABET {
                    let mut b = s.as_bytes().to_vec();
                    if b[i] == c {
                        continue;
                    }
                    b[i] = c;
                    let t = String::from_utf8(b).unwrap();
                    assert!(Uscc::parse(&t).is_err(), "{t}");
                }
            }
        }
    }

    #[test]
    fn serde_round_trip() {
        let u = Uscc::parse(VALID[0]).unwrap();
        let json = serde_json::to_string(&u).unwrap();
        assert_eq!(json, "\"91350100M000100Y43\"");
        assert_eq!(serde_json::from_str::<Uscc>(&json).unwrap(), u);
        assert!(serde_json::from_str::<Uscc>("\"91350100M000100Y44\"").is_err());
        assert!(serde_json::from_str::<Uscc>("12").is_err());
    }

    pub(crate) fn body_strategy() -> impl Strategy<Value = String> {
        "[0-9A-HJ-NPQRTUWXY]{17}"
    }

    proptest! {
        #[test]
        fn round_trip(body in body_strategy()) {
            let u = Uscc::from_body(&body).unwrap();
            prop_assert_eq!(&u.as_str()[..17], body.as_str());
            prop_assert_eq!(Uscc::parse(u.as_str()), Ok(u));
        }

        #[test]
        fn single_substitution_rejected(
            body in body_strategy(),
            i in 0usize..18,
            c in prop::sample::select(ALPHABET.to_vec()),
        ) {
            let u = Uscc::from_body(&body).unwrap();
            let mut b = u.as_str().as_bytes().to_vec();
            prop_assume!(b[i] != c);
            b[i] = c;
            let t = String::from_utf8(b).unwrap();
            prop_assert!(
                matches!(Uscc::parse(&t), Err(IdError::CheckMismatch { .. })),
                "{}", t
            );
        }
    }
}
