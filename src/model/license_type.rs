//! License types (证照类型) and their field schema (照面信息项定义).
//!
//! A license type is data, defined by a type definer (证照定义机构) and loaded
//! from JSON; [`LicenseType::check`] tells whether a license conforms.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use super::license::{FieldValue, License, ModelError, Organisation, TextProblem, limits};
use crate::date::Date;
use crate::ids::{CitizenId, LicenseTypeCode, RegionCode, Uscc};

/// The kind of value a surface field holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldKind {
    /// Free text, at most `max_chars` characters (default and cap: 2048).
    Text {
        /// Maximum characters.
        max_chars: u32,
    },
    /// A civil date as text `YYYY-MM-DD`.
    Date,
    /// An integer (JSON number).
    Integer,
    /// A decimal as text: `-?(0|[1-9][0-9]*)(\.[0-9]+)?` — never a binary float.
    Decimal,
    /// A yes/no value (JSON boolean).
    Boolean,
    /// One of a fixed list of text values (e.g. 经营项目 categories).
    Enum {
        /// The allowed values.
        values: Vec<String>,
    },
    /// An administrative region code (GB/T 2260) as text.
    RegionCode,
    /// A unified social credit code as text.
    Uscc,
    /// A citizen identity number as text (personal data).
    CitizenId,
}

fn default_text_max() -> u32 {
    limits::FIELD_TEXT_CHARS as u32
}

impl FieldKind {
    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            FieldKind::Text { .. } => "text",
            FieldKind::Date => "date",
            FieldKind::Integer => "integer",
            FieldKind::Decimal => "decimal",
            FieldKind::Boolean => "boolean",
            FieldKind::Enum { .. } => "enum",
            FieldKind::RegionCode => "region code",
            FieldKind::Uscc => "unified social credit code",
            FieldKind::CitizenId => "citizen identity number",
        }
    }

    fn accepts(&self, value: &FieldValue) -> bool {
        match (self, value) {
            (FieldKind::Text { max_chars }, FieldValue::Text(s)) => {
                // Bytes bound the characters: counted only when it matters.
                s.len() <= *max_chars as usize || s.chars().count() <= *max_chars as usize
            }
            (FieldKind::Date, FieldValue::Text(s)) => Date::parse(s).is_ok(),
            (FieldKind::Integer, FieldValue::Integer(_)) => true,
            (FieldKind::Decimal, FieldValue::Text(s)) => is_decimal(s),
            (FieldKind::Boolean, FieldValue::Bool(_)) => true,
            (FieldKind::Enum { values }, FieldValue::Text(s)) => values.iter().any(|v| v == s),
            (FieldKind::RegionCode, FieldValue::Text(s)) => RegionCode::parse(s).is_ok(),
            (FieldKind::Uscc, FieldValue::Text(s)) => Uscc::parse(s).is_ok(),
            (FieldKind::CitizenId, FieldValue::Text(s)) => CitizenId::parse(s).is_ok(),
            _ => false,
        }
    }
}

fn is_decimal(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let int_ok = int == "0"
        || (!int.is_empty() && !int.starts_with('0') && int.bytes().all(|b| b.is_ascii_digit()));
    let frac_ok = frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    int_ok && frac_ok && s.len() <= 64
}

/// One surface field of a license type (照面信息项).
///
/// JSON form: `{"key":"KZ_JYCS","label":"经营场所","kind":"text","maxChars":200,
/// "required":true,"personal":false}`; `maxChars` only with `text`, `values`
/// only with `enum`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "FieldSpecRepr", into = "FieldSpecRepr")]
pub struct FieldSpec {
    /// Key, `KZ_[A-Z0-9_]+`.
    pub key: String,
    /// Printed label (中文名称), e.g. 经营场所.
    pub label: String,
    /// Kind of value.
    pub kind: FieldKind,
    /// Whether every license of the type must carry it.
    pub required: bool,
    /// Whether the value is personal data (masked in logs, never in error texts).
    pub personal: bool,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FieldSpecRepr {
    key: String,
    label: String,
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_chars: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    values: Option<Vec<String>>,
    required: bool,
    personal: bool,
}

impl TryFrom<FieldSpecRepr> for FieldSpec {
    type Error = String;
    fn try_from(r: FieldSpecRepr) -> Result<Self, String> {
        let kind = match (r.kind.as_str(), r.max_chars, r.values) {
            ("text", max, None) => FieldKind::Text {
                max_chars: max.unwrap_or_else(default_text_max),
            },
            ("enum", None, Some(values)) => FieldKind::Enum { values },
            ("date", None, None) => FieldKind::Date,
            ("integer", None, None) => FieldKind::Integer,
            ("decimal", None, None) => FieldKind::Decimal,
            ("boolean", None, None) => FieldKind::Boolean,
            ("regionCode", None, None) => FieldKind::RegionCode,
            ("uscc", None, None) => FieldKind::Uscc,
            ("citizenId", None, None) => FieldKind::CitizenId,
            (k, _, _) => {
                return Err(format!(
                    "field {}: kind {k:?} is unknown or has members it does not take \
                     (maxChars only with text, values only with enum)",
                    r.key
                ));
            }
        };
        Ok(FieldSpec {
            key: r.key,
            label: r.label,
            kind,
            required: r.required,
            personal: r.personal,
        })
    }
}

impl From<FieldSpec> for FieldSpecRepr {
    fn from(f: FieldSpec) -> Self {
        let (kind, max_chars, values) = match f.kind {
            FieldKind::Text { max_chars } => ("text", Some(max_chars), None),
            FieldKind::Enum { values } => ("enum", None, Some(values)),
            FieldKind::Date => ("date", None, None),
            FieldKind::Integer => ("integer", None, None),
            FieldKind::Decimal => ("decimal", None, None),
            FieldKind::Boolean => ("boolean", None, None),
            FieldKind::RegionCode => ("regionCode", None, None),
            FieldKind::Uscc => ("uscc", None, None),
            FieldKind::CitizenId => ("citizenId", None, None),
        };
        FieldSpecRepr {
            key: f.key,
            label: f.label,
            kind: kind.to_owned(),
            max_chars,
            values,
            required: f.required,
            personal: f.personal,
        }
    }
}

/// Who may hold a license of a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HolderKind {
    /// Natural persons (code types other than 001/099).
    Person,
    /// Organisations (USCC, or code type 099).
    Organisation,
    /// Either.
    Any,
}

/// How the validity window of a license type is bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub enum ValidityRule {
    /// 长期有效: no end date.
    LongTerm,
    /// Exactly this many years: `valid_to` is the day before the same date `years` later.
    FixedYears {
        /// Years.
        years: u16,
    },
    /// An end date is required, at most this many years after the start.
    MaxYears {
        /// Years.
        years: u16,
    },
    /// Either open-ended or any end date.
    Unrestricted,
}

/// A license that does not conform to its license type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The license names another type.
    #[error("license is of type {found}, not {expected}")]
    WrongType {
        /// The type checked against.
        expected: LicenseTypeCode,
        /// The license's type code.
        found: LicenseTypeCode,
    },
    /// The license name differs from the type's name.
    #[error("license name {found:?} differs from the type's name {expected:?}")]
    WrongName {
        /// The type's name.
        expected: String,
        /// The license's name.
        found: String,
    },
    /// The holder is not of the kind the type allows.
    #[error("holder code type {code_type} is not allowed: the type is for {expected:?} holders")]
    HolderKind {
        /// What the type allows.
        expected: HolderKind,
        /// The holder's code type.
        code_type: String,
    },
    /// The validity window breaks the type's rule.
    #[error("validity window breaks the rule {rule:?}")]
    Validity {
        /// The rule.
        rule: ValidityRule,
    },
    /// The license's region is outside the type's region.
    #[error("region {found} is outside the type's region {expected}")]
    Region {
        /// The type's region.
        expected: RegionCode,
        /// The license's region.
        found: RegionCode,
    },
    /// A field the type does not define.
    #[error("field {key} is not defined by the license type")]
    UnknownField {
        /// The key.
        key: String,
    },
    /// A required field is missing.
    #[error("required field {key} ({label}) is missing")]
    MissingField {
        /// The key.
        key: String,
        /// Its label.
        label: String,
    },
    /// A field value of the wrong kind (the value itself is never shown).
    #[error("field {key} ({label}) must be a {expected}")]
    FieldKind {
        /// The key.
        key: String,
        /// Its label.
        label: String,
        /// The kind expected.
        expected: &'static str,
    },
}

/// A license type definition is itself inconsistent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LicenseTypeError {
    /// A text element is malformed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The definer's USCC is not the one inside the type code.
    #[error("definer code {definer} differs from the definer part of type code {code}")]
    DefinerMismatch {
        /// Type code.
        code: LicenseTypeCode,
        /// Definer's code.
        definer: Uscc,
    },
    /// Two fields share a key.
    #[error("field {key} is defined twice")]
    DuplicateField {
        /// The key.
        key: String,
    },
    /// An enum field without values, or a text field allowing more than 2048 characters.
    #[error("field {key}: {reason}")]
    BadField {
        /// The key.
        key: String,
        /// Why.
        reason: &'static str,
    },
    /// Zero years in a validity rule.
    #[error("a validity rule needs at least one year")]
    ZeroYears,
}

/// A license type (证照类型): code, name, definer, version, region, who may hold
/// it, how long it may be valid, and its surface-field schema.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "LicenseTypeRepr", into = "LicenseTypeRepr")]
pub struct LicenseType {
    repr: LicenseTypeRepr,
    /// Indices of `repr.fields` in key order, the order of a license's
    /// fields: [`LicenseType::check`] walks both at once.
    by_key: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LicenseTypeRepr {
    code: LicenseTypeCode,
    name: String,
    definer: Organisation,
    version: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    region: Option<RegionCode>,
    holder_kind: HolderKind,
    validity: ValidityRule,
    fields: Vec<FieldSpec>,
}

impl TryFrom<LicenseTypeRepr> for LicenseType {
    type Error = LicenseTypeError;
    fn try_from(repr: LicenseTypeRepr) -> Result<Self, LicenseTypeError> {
        LicenseType::new(
            repr.code,
            repr.name,
            repr.definer,
            repr.version,
            repr.region,
            repr.holder_kind,
            repr.validity,
            repr.fields,
        )
    }
}

impl From<LicenseType> for LicenseTypeRepr {
    fn from(t: LicenseType) -> Self {
        t.repr
    }
}

impl LicenseType {
    /// Defines a license type, checking it is consistent.
    #[expect(
        clippy::too_many_arguments,
        reason = "mirrors the definition's elements one to one"
    )]
    pub fn new(
        code: LicenseTypeCode,
        name: impl Into<String>,
        definer: Organisation,
        version: u16,
        region: Option<RegionCode>,
        holder_kind: HolderKind,
        validity: ValidityRule,
        fields: Vec<FieldSpec>,
    ) -> Result<LicenseType, LicenseTypeError> {
        let name = name.into();
        if &code.definer() != definer.code() {
            return Err(LicenseTypeError::DefinerMismatch {
                code,
                definer: *definer.code(),
            });
        }
        if name.is_empty() || name.chars().count() > limits::NAME_CHARS {
            return Err(ModelError::Text {
                field: "licenseType.name".into(),
                problem: TextProblem::TooLong {
                    max: limits::NAME_CHARS,
                },
            }
            .into());
        }
        if let ValidityRule::FixedYears { years: 0 } | ValidityRule::MaxYears { years: 0 } =
            validity
        {
            return Err(LicenseTypeError::ZeroYears);
        }
        if fields.len() > limits::FIELDS {
            return Err(ModelError::TooMany {
                what: "surface fields",
                max: limits::FIELDS,
            }
            .into());
        }
        let mut seen = BTreeSet::new();
        for f in &fields {
            if !seen.insert(f.key.as_str()) {
                return Err(LicenseTypeError::DuplicateField { key: f.key.clone() });
            }
            let key_ok = f.key.len() <= limits::FIELD_KEY_CHARS
                && f.key.strip_prefix("KZ_").is_some_and(|r| {
                    !r.is_empty()
                        && r.bytes()
                            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
                });
            if !key_ok {
                return Err(ModelError::FieldKey {
                    key: f.key.chars().take(64).collect(),
                }
                .into());
            }
            if f.label.is_empty() || f.label.chars().count() > limits::NAME_CHARS {
                return Err(LicenseTypeError::BadField {
                    key: f.key.clone(),
                    reason: "label must be 1–128 characters",
                });
            }
            match &f.kind {
                FieldKind::Enum { values } if values.is_empty() => {
                    return Err(LicenseTypeError::BadField {
                        key: f.key.clone(),
                        reason: "an enum needs at least one value",
                    });
                }
                FieldKind::Text { max_chars }
                    if *max_chars == 0 || *max_chars as usize > limits::FIELD_TEXT_CHARS =>
                {
                    return Err(LicenseTypeError::BadField {
                        key: f.key.clone(),
                        reason: "maxChars must be 1..=2048",
                    });
                }
                _ => {}
            }
        }
        let mut by_key: Vec<usize> = (0..fields.len()).collect();
        by_key.sort_by(|&a, &b| {
            let key = |i: usize| fields.get(i).map(|f| f.key.as_str());
            key(a).cmp(&key(b))
        });
        Ok(LicenseType {
            by_key,
            repr: LicenseTypeRepr {
                code,
                name,
                definer,
                version,
                region,
                holder_kind,
                validity,
                fields,
            },
        })
    }

    /// Parses a type definition from JSON (the format of the built-in templates).
    pub fn from_json(json: &str) -> Result<LicenseType, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The definition as JSON, in the format [`LicenseType::from_json`] reads
    /// (pretty-printed, for a types directory a person may edit).
    pub fn to_json(&self) -> String {
        // Serialising plain strings, numbers and vectors cannot fail.
        serde_json::to_string_pretty(&self.repr).unwrap_or_default()
    }

    /// 证照类型代码.
    pub fn code(&self) -> &LicenseTypeCode {
        &self.repr.code
    }
    /// 证照类型名称.
    pub fn name(&self) -> &str {
        &self.repr.name
    }
    /// 证照定义机构.
    pub fn definer(&self) -> &Organisation {
        &self.repr.definer
    }
    /// Version of the definition.
    pub fn version(&self) -> u16 {
        self.repr.version
    }
    /// The region the type is defined for (`None`: nationwide).
    pub fn region(&self) -> Option<&RegionCode> {
        self.repr.region.as_ref()
    }
    /// Who may hold it.
    pub fn holder_kind(&self) -> HolderKind {
        self.repr.holder_kind
    }
    /// How its validity is bounded.
    pub fn validity(&self) -> ValidityRule {
        self.repr.validity
    }
    /// Its surface fields.
    pub fn fields(&self) -> &[FieldSpec] {
        &self.repr.fields
    }
    /// One field's definition.
    pub fn field(&self, key: &str) -> Option<&FieldSpec> {
        self.repr.fields.iter().find(|f| f.key == key)
    }

    /// Checks that `license` conforms: same type code and name, holder kind,
    /// validity rule, region inside the type's region, every field defined and of
    /// its kind, every required field present.
    pub fn check(&self, license: &License) -> Result<(), SchemaError> {
        let r = &self.repr;
        if license.type_code() != &r.code {
            return Err(SchemaError::WrongType {
                expected: r.code,
                found: *license.type_code(),
            });
        }
        if license.name() != r.name {
            return Err(SchemaError::WrongName {
                expected: r.name.clone(),
                found: license.name().to_owned(),
            });
        }
        let code = license.holder().code();
        let holder_ok = match r.holder_kind {
            HolderKind::Any => true,
            HolderKind::Person => code.is_personal(),
            HolderKind::Organisation => !code.is_personal(),
        };
        if !holder_ok {
            return Err(SchemaError::HolderKind {
                expected: r.holder_kind,
                code_type: code.code_type().as_str().to_owned(),
            });
        }
        let (from, to) = (license.valid_from(), license.valid_to());
        let validity_ok = match r.validity {
            ValidityRule::LongTerm => to.is_none(),
            ValidityRule::FixedYears { years } => to.is_some_and(|to| {
                from.add_years(u32::from(years))
                    .and_then(|d| d.add_days(-1))
                    .is_some_and(|end| end == to)
            }),
            ValidityRule::MaxYears { years } => to.is_some_and(|to| {
                from.add_years(u32::from(years))
                    .and_then(|d| d.add_days(-1))
                    .is_none_or(|end| to <= end)
            }),
            ValidityRule::Unrestricted => true,
        };
        if !validity_ok {
            return Err(SchemaError::Validity { rule: r.validity });
        }
        if let Some(region) = &r.region
            && !region.contains(license.region())
        {
            return Err(SchemaError::Region {
                expected: *region,
                found: *license.region(),
            });
        }
        // The license's fields and the definitions, both in key order, in one
        // walk; the definitions of required fields met are counted.
        let mut specs = self
            .by_key
            .iter()
            .filter_map(|&i| r.fields.get(i))
            .peekable();
        let mut required_met = 0;
        for (key, value) in license.fields() {
            let spec = loop {
                match specs.peek().map(|s| s.key.as_str().cmp(key)) {
                    Some(Ordering::Less) => {
                        specs.next();
                    }
                    Some(Ordering::Equal) => break specs.next(),
                    _ => break None,
                }
            };
            let Some(spec) = spec else {
                return Err(SchemaError::UnknownField { key: key.clone() });
            };
            if !spec.kind.accepts(value) {
                return Err(SchemaError::FieldKind {
                    key: key.clone(),
                    label: spec.label.clone(),
                    expected: spec.kind.name(),
                });
            }
            required_met += usize::from(spec.required);
        }
        // Some required field is missing: the first, in definition order.
        let required = r.fields.iter().filter(|f| f.required).count();
        if required_met < required
            && let Some(missing) = r
                .fields
                .iter()
                .find(|f| f.required && !license.fields().contains_key(&f.key))
        {
            return Err(SchemaError::MissingField {
                key: missing.key.clone(),
                label: missing.label.clone(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        for ok in ["0", "1", "-1", "10.50", "0.001", "123456789.12"] {
            assert!(is_decimal(ok), "{ok}");
        }
        for bad in ["", "-", "01", "1.", ".5", "1e3", "1,000", "+1", "1.2.3"] {
            assert!(!is_decimal(bad), "{bad}");
        }
    }
}
