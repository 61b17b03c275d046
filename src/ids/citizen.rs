//! 公民身份号码, citizen identity numbers (GB 11643-1999). Personal data.

use std::fmt;

use super::{IdError, IdKind, ascii_str, check_chars, digits_value, fixed_ascii};

/// Weights of positions 1..=17.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// Accepted birth years.
const YEARS: std::ops::RangeInclusive<u32> = 1800..=2199;

/// Check character of validated digits (only the first 17 are read).
fn check_byte(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b.wrapping_sub(b'0')) * w)
        .sum();
    match (12 - sum % 11) % 11 {
        10 => b'X',
        // 0..=9
        v => b'0' + v as u8,
    }
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

/// Checks the region part and the birth date of validated digits.
fn check_fields(digits: &[u8]) -> Result<(), IdError> {
    let kind = IdKind::CitizenId;
    if let [a, b, ..] = *digits
        && !super::region::is_province(a, b)
    {
        return Err(IdError::InvalidRegion {
            kind,
            code: format!("{}{}****", char::from(a), char::from(b)),
        });
    }
    let year = digits_value(digits.iter().skip(6).take(4));
    let month = digits_value(digits.iter().skip(10).take(2));
    let day = digits_value(digits.iter().skip(12).take(2));
    let reason = if !YEARS.contains(&year) {
        "birth year outside 1800..=2199"
    } else if !(1..=12).contains(&month) {
        "birth month outside 1..=12"
    } else {
        let days = match month {
            2 if is_leap(year) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if (1..=days).contains(&day) {
            return Ok(());
        }
        "birth day does not exist in that month"
    };
    Err(IdError::InvalidDate { kind, reason })
}

/// 公民身份号码, a citizen identity number (GB 11643-1999): **personal data**.
///
/// 18 characters: 6-digit address code (地址码, the first two digits a province
/// code) + 8-digit birth date `YYYYMMDD` (出生日期码, a real date in
/// 1800..=2199) + 3-digit sequence (顺序码, odd for men) + check character
/// (校验码, `0-9` or upper-case `X`). Lower-case `x` and 15-digit legacy numbers
/// are rejected.
///
/// `Display` and `Debug` print only the [masked](CitizenId::masked) form, so the
/// number cannot leak into logs by accident; [`as_str`](CitizenId::as_str) and
/// serde give the full number. There is deliberately no `AsRef<str>`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CitizenId([u8; 18]);

impl CitizenId {
    /// Parses an 18-character citizen identity number.
    ///
    /// # Errors
    /// With kind [`IdKind::CitizenId`]: [`IdError::LegacyCitizenId`] for 15
    /// digits, [`IdError::Length`], [`IdError::InvalidChar`] (digits shown as
    /// `*`), [`IdError::LowerCase`] (`x`), [`IdError::InvalidRegion`],
    /// [`IdError::InvalidDate`] or [`IdError::CheckMismatch`].
    pub fn parse(s: &str) -> Result<CitizenId, IdError> {
        let kind = IdKind::CitizenId;
        if s.len() == 15 && s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError::LegacyCitizenId);
        }
        let bytes: [u8; 18] = fixed_ascii(kind, s, "18", |i, b| {
            b.is_ascii_digit() || (i == 17 && b == b'X')
        })?;
        check_fields(&bytes)?;
        let [.., found] = bytes;
        let expected = check_byte(&bytes);
        if expected != found {
            return Err(IdError::CheckMismatch {
                kind,
                expected: char::from(expected),
                found: char::from(found),
            });
        }
        Ok(CitizenId(bytes))
    }

    /// Builds a number from its first 17 digits, computing the check character.
    ///
    /// # Errors
    /// As [`parse`](CitizenId::parse), with [`IdError::Length`] expecting 17,
    /// and no check mismatch.
    pub fn from_body(body17: &str) -> Result<CitizenId, IdError> {
        let body: [u8; 17] =
            fixed_ascii(IdKind::CitizenId, body17, "17", |_, b| b.is_ascii_digit())?;
        check_fields(&body)?;
        let mut bytes = [0u8; 18];
        for (o, b) in bytes
            .iter_mut()
            .zip(body.iter().chain([check_byte(&body)].iter()))
        {
            *o = *b;
        }
        Ok(CitizenId(bytes))
    }

    /// The full number. **Personal data**: do not log it; `Display` and `Debug`
    /// give the masked form.
    pub fn as_str(&self) -> &str {
        ascii_str(&self.0)
    }

    /// The masked form: the first 3 and the last character, `*` for the 14 in
    /// between (`110**************X`, always 18 characters).
    pub fn masked(&self) -> String {
        self.0
            .iter()
            .enumerate()
            .map(|(i, &b)| if i < 3 || i == 17 { char::from(b) } else { '*' })
            .collect()
    }

    /// 出生日期, the birth date as (year, month, day).
    pub fn birth_date(&self) -> (u16, u8, u8) {
        let part = |skip, take| digits_value(self.0.iter().skip(skip).take(take));
        // Validated: year ≤ 2199, month ≤ 12, day ≤ 31.
        (part(6, 4) as u16, part(10, 2) as u8, part(12, 2) as u8)
    }

    /// Whether the sequence code (17th digit) is odd, i.e. the holder is male (男).
    pub fn is_male(&self) -> bool {
        matches!(self.0.get(16), Some(d) if d % 2 == 1)
    }
}

/// The check character (校验码, `0-9` or `X`) of the first 17 digits of a citizen
/// identity number: `(12 − Σ aᵢ·wᵢ mod 11) mod 11`, 10 written `X`.
///
/// Only the characters are checked (not the region or the date).
///
/// # Errors
/// [`IdError::Length`] (17 expected) or [`IdError::InvalidChar`] (digits shown
/// as `*`), with kind [`IdKind::CitizenId`].
pub fn citizen_id_check_char(body17: &str) -> Result<char, IdError> {
    let kind = IdKind::CitizenId;
    let found = body17.chars().count();
    if found != 17 {
        return Err(IdError::Length {
            kind,
            expected: "17",
            found,
        });
    }
    check_chars(kind, body17, 0, |_, b| b.is_ascii_digit())?;
    Ok(char::from(check_byte(body17.as_bytes())))
}

impl fmt::Display for CitizenId {
    /// The masked form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for CitizenId {
    /// The masked form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CitizenId").field(&self.masked()).finish()
    }
}

super::string_id_impls!(
    CitizenId,
    "a citizen identity number (公民身份号码)",
    |e| super::redact_long_numbers(e, "citizen identity number (公民身份号码)")
);

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

    pub(crate) const VALID: [&str; 2] = ["11010519491231002X", "440524188001010014"];

    /// Asserts that no full number in `numbers` appears in `text`.
    pub(crate) fn assert_hidden(text: &str, numbers: &[&str]) {
        for n in numbers {
            assert!(!text.contains(n), "{text:?} reveals {n}");
            // Not even the 17 digits before the check character.
            assert!(!text.contains(&n[..17]), "{text:?} reveals the body of {n}");
        }
    }

    #[test]
    fn real_examples() {
        let a = CitizenId::parse("11010519491231002X").unwrap();
        assert_eq!(a.as_str(), "11010519491231002X");
        assert_eq!(a.birth_date(), (1949, 12, 31));
        assert!(!a.is_male());
        assert_eq!(a.masked(), "110**************X");
        assert_eq!(a.masked().len(), 18);
        let b = CitizenId::parse("440524188001010014").unwrap();
        assert_eq!(b.birth_date(), (1880, 1, 1));
        assert!(b.is_male());
        assert_eq!(b.masked(), "440**************4");
        assert_eq!(CitizenId::from_body("11010519491231002"), Ok(a));
        assert_eq!(citizen_id_check_char("44052418800101001"), Ok('4'));
        assert_eq!("440524188001010014".parse::<CitizenId>(), Ok(b));
    }

    #[test]
    fn invalid_example_has_check_7() {
        assert_eq!(
            CitizenId::parse("110101197608056896"),
            Err(IdError::CheckMismatch {
                kind: IdKind::CitizenId,
                expected: '7',
                found: '6'
            })
        );
        assert!(CitizenId::parse("110101197608056897").is_ok());
        assert_eq!(citizen_id_check_char("11010119760805689"), Ok('7'));
    }

    /// Every error variant a citizen id can produce.
    pub(crate) fn error_cases() -> Vec<(&'static str, IdError)> {
        let k = IdKind::CitizenId;
        vec![
            ("110105491231002", IdError::LegacyCitizenId),
            (
                "11010519491231002",
                IdError::Length {
                    kind: k,
                    expected: "18",
                    found: 17,
                },
            ),
            (
                "11010519491231002XX",
                IdError::Length {
                    kind: k,
                    expected: "18",
                    found: 19,
                },
            ),
            (
                "11010519491231002x",
                IdError::LowerCase {
                    kind: k,
                    position: 17,
                    found: 'x',
                },
            ),
            (
                "1101051949123100X2",
                IdError::InvalidChar {
                    kind: k,
                    position: 16,
                    found: 'X',
                },
            ),
            (
                "11010519491231002Y",
                IdError::InvalidChar {
                    kind: k,
                    position: 17,
                    found: 'Y',
                },
            ),
            (
                "11010519491231002８",
                IdError::InvalidChar {
                    kind: k,
                    position: 17,
                    found: '８',
                },
            ),
            (
                "10010519491231002X",
                IdError::InvalidRegion {
                    kind: k,
                    code: "10****".into(),
                },
            ),
            (
                "110105179912310023",
                IdError::InvalidDate {
                    kind: k,
                    reason: "birth year outside 1800..=2199",
                },
            ),
            (
                "110105194913310023",
                IdError::InvalidDate {
                    kind: k,
                    reason: "birth month outside 1..=12",
                },
            ),
            (
                "110105190002290023",
                IdError::InvalidDate {
                    kind: k,
                    reason: "birth day does not exist in that month",
                },
            ),
            (
                "110105194904310023",
                IdError::InvalidDate {
                    kind: k,
                    reason: "birth day does not exist in that month",
                },
            ),
            (
                "110105194912000023",
                IdError::InvalidDate {
                    kind: k,
                    reason: "birth day does not exist in that month",
                },
            ),
            (
                "110101197608056896",
                IdError::CheckMismatch {
                    kind: k,
                    expected: '7',
                    found: '6',
                },
            ),
        ]
    }

    #[test]
    fn errors() {
        for (input, expected) in error_cases() {
            assert_eq!(CitizenId::parse(input), Err(expected), "{input}");
        }
        // Leap years.
        assert!(CitizenId::from_body("11010520000229002").is_ok());
        assert!(CitizenId::from_body("11010519000229002").is_err());
        assert!(CitizenId::from_body("11010519960229002").is_ok());
        // A digit in the wrong place is masked in the error.
        assert_eq!(
            citizen_id_check_char("1101051949123100"),
            Err(IdError::Length {
                kind: IdKind::CitizenId,
                expected: "17",
                found: 16
            })
        );
        assert_eq!(
            IdError::invalid_char(IdKind::CitizenId, 3, '7'),
            IdError::InvalidChar {
                kind: IdKind::CitizenId,
                position: 3,
                found: '*'
            }
        );
    }

    #[test]
    fn formatting_never_reveals_the_number() {
        for s in VALID {
            let id = CitizenId::parse(s).unwrap();
            assert_hidden(&format!("{id}"), &VALID);
            assert_hidden(&format!("{id:?}"), &VALID);
            assert_hidden(&format!("{id:#?}"), &VALID);
            assert_eq!(id.to_string(), id.masked());
        }
        let mut inputs: Vec<String> = error_cases().iter().map(|(s, _)| s.to_string()).collect();
        // Corrupt each valid number at every position, in every way.
        for s in VALID {
            for i in 0..18 {
                for c in "0123456789XxA-８".chars() {
                    let mut t: Vec<char> = s.chars().collect();
                    t[i] = c;
                    inputs.push(t.into_iter().collect());
                }
            }
        }
        for input in &inputs {
            if let Err(e) = CitizenId::parse(input) {
                let shown = [format!("{e}"), format!("{e:?}"), format!("{e:#?}")];
                for text in shown {
                    assert_hidden(&text, &VALID);
                    assert!(!text.contains(input.as_str()), "{text}");
                }
            }
        }
    }

    #[test]
    fn serde_round_trip_and_redaction() {
        let id = CitizenId::parse(VALID[1]).unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"440524188001010014\"");
        assert_eq!(serde_json::from_str::<CitizenId>(&json).unwrap(), id);
        let e = serde_json::from_str::<CitizenId>("\"440524188001010015\"").unwrap_err();
        assert_hidden(&e.to_string(), &VALID);
        // serde_json would quote a number in its error; it is withheld.
        let e = serde_json::from_str::<CitizenId>("440524188001010014").unwrap_err();
        assert_hidden(&e.to_string(), &VALID);
        assert_hidden(&format!("{e:?}"), &VALID);
        assert!(e.to_string().contains("withheld"), "{e}");
    }

    pub(crate) fn body_strategy() -> impl Strategy<Value = String> {
        (
            super::super::region::tests::region_strategy(),
            1800u32..=2199,
            1u32..=12,
            1u32..=31,
            0u32..1000,
        )
            .prop_map(|(region, y, m, d, seq)| {
                let days = match m {
                    2 if is_leap(y) => 29,
                    2 => 28,
                    4 | 6 | 9 | 11 => 30,
                    _ => 31,
                };
                format!("{region}{y:04}{m:02}{:02}{seq:03}", d.min(days))
            })
    }

    proptest! {
        #[test]
        fn round_trip(body in body_strategy()) {
            let id = CitizenId::from_body(&body).unwrap();
            prop_assert_eq!(&id.as_str()[..17], body.as_str());
            prop_assert_eq!(CitizenId::parse(id.as_str()), Ok(id));
            let (y, m, d) = id.birth_date();
            prop_assert_eq!(format!("{y:04}{m:02}{d:02}"), &body[6..14]);
            prop_assert_eq!(id.masked().len(), 18);
            let debug = format!("{id:?}");
            prop_assert!(!debug.contains(id.as_str()));
        }

        #[test]
        fn digit_substitution_rejected(
            body in body_strategy(),
            i in 0usize..18,
            c in prop::sample::select(b"0123456789X".to_vec()),
        ) {
            let id = CitizenId::from_body(&body).unwrap();
            let mut b = id.as_str().as_bytes().to_vec();
            prop_assume!(b[i] != c && (c != b'X' || i == 17));
            b[i] = c;
            let t = String::from_utf8(b).unwrap();
            let err = CitizenId::parse(&t).unwrap_err();
            assert_hidden(&format!("{err} {err:?}"), &[id.as_str(), t.as_str()]);
        }
    }

    #[test]
    fn every_digit_substitution_of_examples_rejected() {
        for s in VALID {
            for i in 0..18 {
                for c in b"0123456789X" {
                    let mut b = s.as_bytes().to_vec();
                    if b[i] == *c || (*c == b'X' && i != 17) {
                        continue;
                    }
                    b[i] = *c;
                    let t = String::from_utf8(b).unwrap();
                    assert!(CitizenId::parse(&t).is_err(), "{}", &t[..3]);
                }
            }
        }
    }
}
