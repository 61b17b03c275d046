//! 行政区划代码, administrative region codes (GB/T 2260).

use std::fmt;

use super::{IdError, IdKind, ascii_str, digits_value, fixed_ascii};

/// Province-level codes (省级行政区划代码), the first two digits of every region code.
const PROVINCES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

/// Whether the two ASCII digits `a`, `b` form a province code.
pub(super) fn is_province(a: u8, b: u8) -> bool {
    let code = digits_value(&[a, b]);
    PROVINCES.iter().any(|&p| u32::from(p) == code)
}

/// The level of a [`RegionCode`] (行政区划级别).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RegionLevel {
    /// 省级 province, autonomous region or municipality (`xx0000`).
    Province,
    /// 地级 prefecture (`xxyy00`).
    Prefecture,
    /// 县级 county (`xxyyzz`, `zz` ≠ `00`).
    County,
}

/// 行政区划代码, an administrative region code (GB/T 2260): 6 ASCII digits.
///
/// The first two digits must be a province code; digits 3–4 (prefecture) and
/// 5–6 (county) are `00` or any two digits, except that a county part needs a
/// prefecture part (`xx00zz` with `zz` ≠ `00` is rejected). Whether the code
/// is currently assigned is not checked (codes change every year).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode([u8; 6]);

impl RegionCode {
    /// Parses a 6-digit region code.
    ///
    /// # Errors
    /// [`IdError::Length`], [`IdError::InvalidChar`], [`IdError::InvalidRegion`]
    /// (unknown province) or [`IdError::Syntax`] (`xx00zz`), with kind
    /// [`IdKind::RegionCode`].
    pub fn parse(s: &str) -> Result<RegionCode, IdError> {
        let bytes: [u8; 6] = fixed_ascii(IdKind::RegionCode, s, "6", |_, b| b.is_ascii_digit())?;
        let [a, b, c, d, e, f] = bytes;
        if !is_province(a, b) {
            return Err(IdError::InvalidRegion {
                kind: IdKind::RegionCode,
                code: ascii_str(&bytes).to_owned(),
            });
        }
        if [c, d] == *b"00" && [e, f] != *b"00" {
            return Err(IdError::Syntax {
                kind: IdKind::RegionCode,
                reason: "county digits without prefecture digits (xx00zz)",
            });
        }
        Ok(RegionCode(bytes))
    }

    /// The code as a string.
    pub fn as_str(&self) -> &str {
        ascii_str(&self.0)
    }

    /// 级别: province (`xx0000`), prefecture (`xxyy00`) or county.
    pub fn level(&self) -> RegionLevel {
        match self.0 {
            [_, _, b'0', b'0', b'0', b'0'] => RegionLevel::Province,
            [_, _, _, _, b'0', b'0'] => RegionLevel::Prefecture,
            _ => RegionLevel::County,
        }
    }

    /// The province (省级) this region belongs to (itself for a province).
    pub fn province(&self) -> RegionCode {
        let [a, b, ..] = self.0;
        RegionCode([a, b, b'0', b'0', b'0', b'0'])
    }

    /// The prefecture (地级) this region belongs to (itself for a prefecture);
    /// `None` for a province.
    pub fn prefecture(&self) -> Option<RegionCode> {
        let [a, b, c, d, ..] = self.0;
        match self.level() {
            RegionLevel::Province => None,
            _ => Some(RegionCode([a, b, c, d, b'0', b'0'])),
        }
    }

    /// Whether `other` is this region or lies within it (a province contains
    /// its prefectures and counties, a prefecture its counties).
    pub fn contains(&self, other: &RegionCode) -> bool {
        match self.level() {
            RegionLevel::Province => other.province() == *self,
            RegionLevel::Prefecture => other.prefecture() == Some(*self),
            RegionLevel::County => other == self,
        }
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RegionCode").field(&self.as_str()).finish()
    }
}

impl AsRef<str> for RegionCode {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

super::string_id_impls!(RegionCode, "a region code (行政区划代码)");

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

    fn r(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn real_examples() {
        for s in [
            "610300", "610400", "511400", "330900", "340100", "110000", "110105",
        ] {
            assert_eq!(r(s).as_str(), s);
            assert_eq!(s.parse::<RegionCode>(), Ok(r(s)));
        }
        assert_eq!(r("610300").level(), RegionLevel::Prefecture);
        assert_eq!(r("610000").level(), RegionLevel::Province);
        assert_eq!(r("610302").level(), RegionLevel::County);
        assert_eq!(r("610302").province(), r("610000"));
        assert_eq!(r("610302").prefecture(), Some(r("610300")));
        assert_eq!(r("610300").prefecture(), Some(r("610300")));
        assert_eq!(r("610000").prefecture(), None);
        assert!(r("610000").contains(&r("610302")));
        assert!(r("610000").contains(&r("610300")));
        assert!(r("610000").contains(&r("610000")));
        assert!(r("610300").contains(&r("610302")));
        assert!(!r("610300").contains(&r("610402")));
        assert!(!r("610300").contains(&r("610000")));
        assert!(!r("610302").contains(&r("610300")));
        assert!(!r("620000").contains(&r("610302")));
        assert_eq!(r("330900").to_string(), "330900");
        assert_eq!(format!("{:?}", r("330900")), "RegionCode(\"330900\")");
    }

    #[test]
    fn errors() {
        let k = IdKind::RegionCode;
        assert_eq!(
            RegionCode::parse("61030"),
            Err(IdError::Length {
                kind: k,
                expected: "6",
                found: 5
            })
        );
        assert_eq!(
            RegionCode::parse("6103A0"),
            Err(IdError::InvalidChar {
                kind: k,
                position: 4,
                found: 'A'
            })
        );
        assert_eq!(
            RegionCode::parse("100000"),
            Err(IdError::InvalidRegion {
                kind: k,
                code: "100000".into()
            })
        );
        assert_eq!(
            RegionCode::parse("610001"),
            Err(IdError::Syntax {
                kind: k,
                reason: "county digits without prefecture digits (xx00zz)"
            })
        );
    }

    #[test]
    fn serde_round_trip() {
        let c = r("511400");
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, "\"511400\"");
        assert_eq!(serde_json::from_str::<RegionCode>(&json).unwrap(), c);
        assert!(serde_json::from_str::<RegionCode>("\"991400\"").is_err());
    }

    pub(crate) fn region_strategy() -> impl Strategy<Value = String> {
        (prop::sample::select(PROVINCES.to_vec()), 0u8..100, 0u8..100).prop_map(
            |(p, pref, county)| {
                let county = if pref == 0 { 0 } else { county };
                format!("{p:02}{pref:02}{county:02}")
            },
        )
    }

    proptest! {
        #[test]
        fn round_trip_and_hierarchy(s in region_strategy()) {
            let c = RegionCode::parse(&s).unwrap();
            prop_assert_eq!(c.as_str(), s.as_str());
            prop_assert_eq!(RegionCode::parse(c.as_str()), Ok(c));
            prop_assert!(c.contains(&c));
            prop_assert!(c.province().contains(&c));
            if let Some(p) = c.prefecture() {
                prop_assert!(p.contains(&c));
                prop_assert_eq!(p.level(), RegionLevel::Prefecture);
                prop_assert!(c.province().contains(&p));
            } else {
                prop_assert_eq!(c.level(), RegionLevel::Province);
            }
        }
    }
}
