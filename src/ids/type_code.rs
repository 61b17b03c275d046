//! 证照类型代码, license type codes.

use std::fmt;

use super::{IdError, IdKind, Uscc, ascii_str, check_chars, digits_value, take_array};

/// 证照类型代码, a license type code: the 18-character USCC of the type
/// definer (证照定义机构, e.g. a ministry) followed by a 3-digit sequence number
/// (`000`–`999`), 21 characters in all, e.g. `11100000000013338W009`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LicenseTypeCode([u8; 21]);

impl LicenseTypeCode {
    /// Parses a 21-character type code.
    ///
    /// # Errors
    /// [`IdError::Length`] (kind [`IdKind::LicenseTypeCode`]); any error of
    /// [`Uscc::parse`] for the first 18 characters (kind [`IdKind::Uscc`]);
    /// [`IdError::InvalidChar`] for a non-digit in positions 18–20.
    pub fn parse(s: &str) -> Result<LicenseTypeCode, IdError> {
        let kind = IdKind::LicenseTypeCode;
        let found = s.chars().count();
        if found != 21 {
            return Err(IdError::Length {
                kind,
                expected: "21",
                found,
            });
        }
        // Split after the 18th character (a char boundary even in bad input).
        let split = s.char_indices().nth(18).map_or(s.len(), |(i, _)| i);
        let (definer, seq) = s.split_at_checked(split).unwrap_or((s, ""));
        Uscc::parse(definer)?;
        check_chars(kind, seq, 18, |_, b| b.is_ascii_digit())?;
        Ok(LicenseTypeCode(take_array(s.as_bytes())))
    }

    /// Builds the code of the `seq`-th (0..=999) license type defined by `definer`.
    ///
    /// # Errors
    /// [`IdError::NumberOutOfRange`] if `seq` > 999.
    pub fn from_parts(definer: &Uscc, seq: u16) -> Result<LicenseTypeCode, IdError> {
        if seq > 999 {
            return Err(IdError::NumberOutOfRange {
                kind: IdKind::LicenseTypeCode,
                field: "sequence number",
                value: seq,
                max: 999,
            });
        }
        let text = format!("{}{seq:03}", definer.as_str());
        Ok(LicenseTypeCode(take_array(text.as_bytes())))
    }

    /// The type definer's (证照定义机构) USCC, the first 18 characters.
    pub fn definer(&self) -> Uscc {
        // The first 18 bytes were validated as a USCC on construction.
        Uscc::from_validated(take_array(&self.0))
    }

    /// The 3-digit sequence number (0..=999).
    pub fn seq(&self) -> u16 {
        // Three digits: at most 999.
        digits_value(self.0.iter().skip(18)) as u16
    }

    /// The code as a string.
    pub fn as_str(&self) -> &str {
        ascii_str(&self.0)
    }
}

impl fmt::Display for LicenseTypeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for LicenseTypeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LicenseTypeCode")
            .field(&self.as_str())
            .finish()
    }
}

impl AsRef<str> for LicenseTypeCode {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

super::string_id_impls!(LicenseTypeCode, "a license type code (证照类型代码)");

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

    #[test]
    fn real_examples() {
        for (s, seq) in [
            ("11100000000013338W009", 9),
            ("11100000000013338W011", 11),
            ("11100000000013338W032", 32),
            ("11100000MB03271699022", 22),
        ] {
            let t = LicenseTypeCode::parse(s).unwrap();
            assert_eq!(t.as_str(), s);
            assert_eq!(t.seq(), seq);
            assert_eq!(t.definer().as_str(), &s[..18]);
            assert_eq!(LicenseTypeCode::from_parts(&t.definer(), seq), Ok(t));
            assert_eq!(s.parse::<LicenseTypeCode>(), Ok(t));
            assert_eq!(t.to_string(), s);
            assert_eq!(t.as_ref(), s);
        }
        let t = LicenseTypeCode::parse("11100000000013338W999").unwrap();
        assert_eq!(t.seq(), 999);
        assert_eq!(
            format!("{t:?}"),
            "LicenseTypeCode(\"11100000000013338W999\")"
        );
    }

    #[test]
    fn errors() {
        let k = IdKind::LicenseTypeCode;
        assert_eq!(
            LicenseTypeCode::parse("11100000000013338W09"),
            Err(IdError::Length {
                kind: k,
                expected: "21",
                found: 20
            })
        );
        assert_eq!(
            LicenseTypeCode::parse("11100000000013338X009"),
            Err(IdError::CheckMismatch {
                kind: IdKind::Uscc,
                expected: 'W',
                found: 'X'
            })
        );
        assert_eq!(
            LicenseTypeCode::parse("11100000000013338W0A9"),
            Err(IdError::InvalidChar {
                kind: k,
                position: 19,
                found: 'A'
            })
        );
        assert_eq!(
            LicenseTypeCode::parse("11100000000013338W00９"),
            Err(IdError::InvalidChar {
                kind: k,
                position: 20,
                found: '９'
            })
        );
        assert_eq!(
            LicenseTypeCode::parse("1110000000001333８W009"),
            Err(IdError::InvalidChar {
                kind: IdKind::Uscc,
                position: 16,
                found: '８'
            })
        );
        let u = Uscc::parse("11100000000013338W").unwrap();
        assert_eq!(
            LicenseTypeCode::from_parts(&u, 1000),
            Err(IdError::NumberOutOfRange {
                kind: k,
                field: "sequence number",
                value: 1000,
                max: 999
            })
        );
    }

    #[test]
    fn serde_round_trip() {
        let t = LicenseTypeCode::parse("11100000000013338W009").unwrap();
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"11100000000013338W009\"");
        assert_eq!(serde_json::from_str::<LicenseTypeCode>(&json).unwrap(), t);
        assert!(serde_json::from_str::<LicenseTypeCode>("\"11100000000013338W09\"").is_err());
    }

    pub(crate) fn type_code_strategy() -> impl Strategy<Value = LicenseTypeCode> {
        (super::super::uscc::tests::body_strategy(), 0u16..=999).prop_map(|(body, seq)| {
            LicenseTypeCode::from_parts(&Uscc::from_body(&body).unwrap(), seq).unwrap()
        })
    }

    proptest! {
        #[test]
        fn round_trip(body in super::super::uscc::tests::body_strategy(), seq in 0u16..=999) {
            let definer = Uscc::from_body(&body).unwrap();
            let t = LicenseTypeCode::from_parts(&definer, seq).unwrap();
            prop_assert_eq!(LicenseTypeCode::parse(t.as_str()), Ok(t));
            prop_assert_eq!(t.definer(), definer);
            prop_assert_eq!(t.seq(), seq);
        }
    }
}
