//! 持证主体代码, holder codes, and their types (持证主体代码类型).

use std::fmt;

use super::{CitizenId, IdError, IdKind, Uscc, ascii_str, check_chars};

/// Longest accepted value of an [`OtherHolderCode`].
const MAX_OTHER_LEN: usize = 64;

/// 持证主体代码类型, the type of a holder code: 3 ASCII digits.
///
/// Deployments use GB/T 22116-style document codes; the constants below are
/// the common ones. Any 3-digit code is accepted. Every type except
/// [`USCC`](Self::USCC) and [`OTHER_ORG_CODE`](Self::OTHER_ORG_CODE) is a
/// person's document, whose value is personal data.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HolderCodeType([u8; 3]);

impl HolderCodeType {
    /// `111` 居民身份证: the value is a [`CitizenId`] (公民身份号码).
    pub const CITIZEN_ID: HolderCodeType = HolderCodeType(*b"111");
    /// `001` 统一社会信用代码: the value is a [`Uscc`].
    pub const USCC: HolderCodeType = HolderCodeType(*b"001");
    /// `099` 其他法人或组织代码, another code of a legal person or organisation.
    pub const OTHER_ORG_CODE: HolderCodeType = HolderCodeType(*b"099");
    /// `414` 普通护照, ordinary passport.
    pub const PASSPORT: HolderCodeType = HolderCodeType(*b"414");
    /// `511` 台湾居民来往大陆通行证, mainland travel permit for Taiwan residents.
    pub const TAIWAN_TRAVEL_PERMIT: HolderCodeType = HolderCodeType(*b"511");
    /// `516` 港澳居民来往内地通行证, mainland travel permit for Hong Kong and Macao residents.
    pub const HK_MACAO_TRAVEL_PERMIT: HolderCodeType = HolderCodeType(*b"516");
    /// `553` 外国人永久居留身份证, foreign permanent resident ID card.
    pub const FOREIGN_PERMANENT_RESIDENT: HolderCodeType = HolderCodeType(*b"553");

    /// Parses a code type: exactly 3 ASCII digits.
    ///
    /// # Errors
    /// [`IdError::UnsupportedHolderCodeType`], quoting at most the first 8
    /// characters of the input.
    pub fn parse(s: &str) -> Result<HolderCodeType, IdError> {
        let bytes = s.as_bytes();
        match bytes {
            [a, b, c] if bytes.iter().all(u8::is_ascii_digit) => Ok(HolderCodeType([*a, *b, *c])),
            _ => {
                // Cut: the input might be something else entirely, e.g. a
                // citizen id passed in the wrong argument.
                let mut code_type: String = s.chars().take(8).collect();
                if s.chars().nth(8).is_some() {
                    code_type.push('…');
                }
                Err(IdError::UnsupportedHolderCodeType { code_type })
            }
        }
    }

    /// The code as a string.
    pub fn as_str(&self) -> &str {
        ascii_str(&self.0)
    }

    /// Whether a value of this type identifies a person (personal data):
    /// every type except `001` and `099`.
    pub fn is_personal(&self) -> bool {
        *self != Self::USCC && *self != Self::OTHER_ORG_CODE
    }
}

impl fmt::Display for HolderCodeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for HolderCodeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("HolderCodeType")
            .field(&self.as_str())
            .finish()
    }
}

impl AsRef<str> for HolderCodeType {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

super::string_id_impls!(HolderCodeType, "a holder code type (持证主体代码类型)");

/// A holder code of a type other than `111` and `001`: 1..=64 characters of
/// `[0-9A-Za-z-]`. Only built by [`HolderCode::new`].
///
/// `Debug` masks the value when the type [is personal](HolderCodeType::is_personal).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OtherHolderCode {
    code_type: HolderCodeType,
    value: Box<str>,
}

impl OtherHolderCode {
    /// 持证主体代码类型, the code type.
    pub fn code_type(&self) -> HolderCodeType {
        self.code_type
    }

    /// The full value: **personal data** when [`is_personal`](Self::is_personal).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Whether the value is personal data.
    pub fn is_personal(&self) -> bool {
        self.code_type.is_personal()
    }

    /// The value, masked if personal: its first 2 characters and `*` for the
    /// rest; values shorter than 6 characters are masked entirely.
    pub fn masked(&self) -> String {
        if !self.is_personal() {
            return self.value.to_string();
        }
        let shown = if self.value.len() >= 6 { 2 } else { 0 };
        self.value
            .chars()
            .enumerate()
            .map(|(i, c)| if i < shown { c } else { '*' })
            .collect()
    }
}

impl fmt::Debug for OtherHolderCode {
    /// The value masked if personal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtherHolderCode")
            .field("code_type", &self.code_type)
            .field("value", &self.masked())
            .finish()
    }
}

/// 持证主体代码, the code of a license holder (持证主体), validated by its type
/// (持证主体代码类型).
///
/// `Display` and `Debug` mask personal codes (see [`masked`](Self::masked));
/// [`value`](Self::value) and serde give the full value. Serialised as
/// `{"type": "111", "value": "…"}`.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HolderCode {
    /// `111`: a citizen identity number (公民身份号码), personal data.
    Citizen(CitizenId),
    /// `001`: an organisation's unified social credit code (统一社会信用代码).
    Org(Uscc),
    /// Any other code type.
    Other(OtherHolderCode),
}

impl HolderCode {
    /// Validates `value` according to `code_type`: `111` → [`CitizenId`],
    /// `001` → [`Uscc`], any other 3-digit type → 1..=64 characters of
    /// `[0-9A-Za-z-]`.
    ///
    /// # Errors
    /// [`IdError::UnsupportedHolderCodeType`] for a malformed type; the errors
    /// of [`CitizenId::parse`] or [`Uscc::parse`]; for other types
    /// [`IdError::Length`] or [`IdError::InvalidChar`] with kind
    /// [`IdKind::HolderCode`].
    pub fn new(code_type: &str, value: &str) -> Result<HolderCode, IdError> {
        Self::from_type(HolderCodeType::parse(code_type)?, value)
    }

    /// As [`new`](Self::new), with an already parsed type.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn from_type(code_type: HolderCodeType, value: &str) -> Result<HolderCode, IdError> {
        if code_type == HolderCodeType::CITIZEN_ID {
            return CitizenId::parse(value).map(HolderCode::Citizen);
        }
        if code_type == HolderCodeType::USCC {
            return Uscc::parse(value).map(HolderCode::Org);
        }
        let found = value.chars().count();
        if !(1..=MAX_OTHER_LEN).contains(&found) {
            return Err(IdError::Length {
                kind: IdKind::HolderCode,
                expected: "1..=64",
                found,
            });
        }
        check_chars(IdKind::HolderCode, value, 0, |_, b| {
            b.is_ascii_alphanumeric() || b == b'-'
        })?;
        Ok(HolderCode::Other(OtherHolderCode {
            code_type,
            value: value.into(),
        }))
    }

    /// 持证主体代码类型, the code type.
    pub fn code_type(&self) -> HolderCodeType {
        match self {
            HolderCode::Citizen(_) => HolderCodeType::CITIZEN_ID,
            HolderCode::Org(_) => HolderCodeType::USCC,
            HolderCode::Other(o) => o.code_type,
        }
    }

    /// The full value: **personal data** when [`is_personal`](Self::is_personal).
    pub fn value(&self) -> &str {
        match self {
            HolderCode::Citizen(c) => c.as_str(),
            HolderCode::Org(u) => u.as_str(),
            HolderCode::Other(o) => o.value(),
        }
    }

    /// Whether the value identifies a person (personal data).
    pub fn is_personal(&self) -> bool {
        self.code_type().is_personal()
    }

    /// The value for display: a citizen id [masked](CitizenId::masked), another
    /// personal value as its first 2 characters and `*` for the rest (all `*`
    /// under 6 characters), an organisation's code in full.
    pub fn masked(&self) -> String {
        match self {
            HolderCode::Citizen(c) => c.masked(),
            HolderCode::Org(u) => u.as_str().to_owned(),
            HolderCode::Other(o) => o.masked(),
        }
    }
}

impl From<Uscc> for HolderCode {
    fn from(u: Uscc) -> Self {
        HolderCode::Org(u)
    }
}

impl From<CitizenId> for HolderCode {
    fn from(c: CitizenId) -> Self {
        HolderCode::Citizen(c)
    }
}

impl fmt::Display for HolderCode {
    /// The value, [masked](HolderCode::masked) if personal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl serde::Serialize for HolderCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("HolderCode", 2)?;
        s.serialize_field("type", self.code_type().as_str())?;
        s.serialize_field("value", self.value())?;
        s.end()
    }
}

impl<'de> serde::Deserialize<'de> for HolderCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Repr {
            #[serde(rename = "type")]
            code_type: String,
            value: String,
        }
        let repr = Repr::deserialize(deserializer)
            .map_err(|e| super::redact_long_numbers(e, "holder code (持证主体代码)"))?;
        HolderCode::new(&repr.code_type, &repr.value).map_err(serde::de::Error::custom)
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
    use crate::ids::citizen::tests::{VALID, assert_hidden, error_cases};
    use proptest::prelude::*;

    #[test]
    fn code_types() {
        for (s, c, personal) in [
            ("111", HolderCodeType::CITIZEN_ID, true),
            ("001", HolderCodeType::USCC, false),
            ("099", HolderCodeType::OTHER_ORG_CODE, false),
            ("414", HolderCodeType::PASSPORT, true),
            ("511", HolderCodeType::TAIWAN_TRAVEL_PERMIT, true),
            ("516", HolderCodeType::HK_MACAO_TRAVEL_PERMIT, true),
            ("553", HolderCodeType::FOREIGN_PERMANENT_RESIDENT, true),
            ("990", HolderCodeType::parse("990").unwrap(), true),
        ] {
            assert_eq!(HolderCodeType::parse(s), Ok(c));
            assert_eq!(c.as_str(), s);
            assert_eq!(c.as_ref(), s);
            assert_eq!(c.to_string(), s);
            assert_eq!(c.is_personal(), personal, "{s}");
            assert_eq!(s.parse::<HolderCodeType>(), Ok(c));
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(serde_json::from_str::<HolderCodeType>(&json).unwrap(), c);
        }
        assert_eq!(
            format!("{:?}", HolderCodeType::USCC),
            "HolderCodeType(\"001\")"
        );
        for (bad, shown) in [
            ("", ""),
            ("11", "11"),
            ("1111", "1111"),
            ("1a1", "1a1"),
            ("１11", "１11"),
            ("440524188001010014", "44052418…"),
        ] {
            assert_eq!(
                HolderCodeType::parse(bad),
                Err(IdError::UnsupportedHolderCodeType {
                    code_type: shown.into()
                })
            );
        }
    }

    #[test]
    fn citizen_holder() {
        let h = HolderCode::new("111", VALID[0]).unwrap();
        assert_eq!(h, HolderCode::Citizen(CitizenId::parse(VALID[0]).unwrap()));
        assert_eq!(h, HolderCode::from(CitizenId::parse(VALID[0]).unwrap()));
        assert_eq!(h.code_type(), HolderCodeType::CITIZEN_ID);
        assert_eq!(h.value(), VALID[0]);
        assert!(h.is_personal());
        assert_eq!(h.masked(), "110**************X");
        assert_eq!(h.to_string(), "110**************X");
        for text in [format!("{h}"), format!("{h:?}"), format!("{h:#?}")] {
            assert_hidden(&text, &VALID);
        }
    }

    #[test]
    fn org_holder() {
        let h = HolderCode::new("001", "91350100M000100Y43").unwrap();
        assert_eq!(
            h,
            HolderCode::from(Uscc::parse("91350100M000100Y43").unwrap())
        );
        assert_eq!(h.code_type(), HolderCodeType::USCC);
        assert!(!h.is_personal());
        assert_eq!(h.value(), "91350100M000100Y43");
        assert_eq!(h.masked(), "91350100M000100Y43");
        assert_eq!(h.to_string(), "91350100M000100Y43");
        assert_eq!(
            HolderCode::new("001", "91350100M000100Y44"),
            Err(IdError::CheckMismatch {
                kind: IdKind::Uscc,
                expected: '3',
                found: '4'
            })
        );
    }

    #[test]
    fn other_holders() {
        let p = HolderCode::new("414", "E12345678").unwrap();
        assert_eq!(p.code_type(), HolderCodeType::PASSPORT);
        assert!(p.is_personal());
        assert_eq!(p.value(), "E12345678");
        assert_eq!(p.masked(), "E1*******");
        assert_eq!(p.to_string(), "E1*******");
        let debug = format!("{p:?}");
        assert!(!debug.contains("E12345678"), "{debug}");
        assert!(debug.contains("E1*******"), "{debug}");
        let HolderCode::Other(o) = &p else {
            panic!("{p:?}")
        };
        assert_eq!(o.code_type(), HolderCodeType::PASSPORT);
        assert_eq!(o.value(), "E12345678");
        // Short personal values are masked entirely.
        assert_eq!(HolderCode::new("516", "H123").unwrap().masked(), "****");
        let org = HolderCode::new("099", "ABC-123").unwrap();
        assert!(!org.is_personal());
        assert_eq!(org.masked(), "ABC-123");
        assert!(format!("{org:?}").contains("ABC-123"));
        assert!(HolderCode::new("553", &"a".repeat(64)).is_ok());

        let k = IdKind::HolderCode;
        assert_eq!(
            HolderCode::new("414", ""),
            Err(IdError::Length {
                kind: k,
                expected: "1..=64",
                found: 0
            })
        );
        assert_eq!(
            HolderCode::new("414", &"A".repeat(65)),
            Err(IdError::Length {
                kind: k,
                expected: "1..=64",
                found: 65
            })
        );
        assert_eq!(
            HolderCode::new("414", "E123 4567"),
            Err(IdError::InvalidChar {
                kind: k,
                position: 4,
                found: ' '
            })
        );
        assert_eq!(
            HolderCode::new("41", "E12345678"),
            Err(IdError::UnsupportedHolderCodeType {
                code_type: "41".into()
            })
        );
        // Arguments swapped by mistake: the error does not repeat the number.
        let e = HolderCode::new(VALID[1], "111").unwrap_err();
        assert_hidden(&format!("{e} {e:?}"), &VALID);
    }

    #[test]
    fn citizen_errors_through_holder_code_hide_the_number() {
        for (input, expected) in error_cases() {
            let e = HolderCode::new("111", input).unwrap_err();
            assert_eq!(e, expected);
            assert_hidden(&format!("{e} {e:?} {e:#?}"), &VALID);
        }
        let e = HolderCode::new("111", "11010519491231002x").unwrap_err();
        assert_eq!(
            e,
            IdError::LowerCase {
                kind: IdKind::CitizenId,
                position: 17,
                found: 'x'
            }
        );
    }

    #[test]
    fn serde_as_object() {
        let h = HolderCode::new("111", VALID[1]).unwrap();
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, r#"{"type":"111","value":"440524188001010014"}"#);
        assert_eq!(serde_json::from_str::<HolderCode>(&json).unwrap(), h);
        for h in [
            HolderCode::new("001", "11100000000013338W").unwrap(),
            HolderCode::new("414", "E12345678").unwrap(),
            HolderCode::new("099", "x-1").unwrap(),
        ] {
            let json = serde_json::to_string(&h).unwrap();
            assert_eq!(serde_json::from_str::<HolderCode>(&json).unwrap(), h);
        }
        for bad in [
            r#"{"type":"111","value":"440524188001010015"}"#,
            r#"{"type":"111","value":440524188001010014}"#,
            r#"{"type":"111","value":"440524188001010014","x":1}"#,
            r#"{"type":"11","value":"440524188001010014"}"#,
            r#"{"value":"440524188001010014"}"#,
            r#""440524188001010014""#,
        ] {
            let e = serde_json::from_str::<HolderCode>(bad).unwrap_err();
            assert_hidden(&format!("{e} {e:?}"), &VALID);
        }
    }

    proptest! {
        #[test]
        fn round_trip_other(code in "[0-9]{3}", value in "[0-9A-Za-z-]{1,64}") {
            prop_assume!(code != "111" && code != "001");
            let h = HolderCode::new(&code, &value).unwrap();
            prop_assert_eq!(h.code_type(), HolderCodeType::parse(&code).unwrap());
            prop_assert_eq!(h.value(), value.as_str());
            prop_assert_eq!(HolderCode::new(h.code_type().as_str(), h.value()), Ok(h.clone()));
            let json = serde_json::to_string(&h).unwrap();
            prop_assert_eq!(serde_json::from_str::<HolderCode>(&json).unwrap(), h.clone());
            let masked = h.masked();
            prop_assert_eq!(masked.len(), value.len());
            if h.is_personal() {
                prop_assert!(masked.chars().skip(2).all(|c| c == '*'));
                prop_assert_eq!(format!("{h}"), masked);
            } else {
                prop_assert_eq!(masked, value);
            }
        }

        #[test]
        fn round_trip_citizen(body in crate::ids::citizen::tests::body_strategy()) {
            let id = CitizenId::from_body(&body).unwrap();
            let h = HolderCode::new("111", id.as_str()).unwrap();
            prop_assert_eq!(&h, &HolderCode::Citizen(id));
            let json = serde_json::to_string(&h).unwrap();
            prop_assert_eq!(serde_json::from_str::<HolderCode>(&json).unwrap(), h.clone());
            let shown = format!("{h} {h:?}");
            prop_assert!(!shown.contains(id.as_str()));
        }
    }
}
