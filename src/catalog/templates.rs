//! Built-in license-type templates: the field schemas of high-frequency
//! license types, shipped as JSON data files (`src/catalog/templates/`) in
//! the format of [`LicenseType::from_json`].
//!
//! The type codes are plausible, not official: each is the definer's USCC plus
//! three digits. Only 国家市场监督管理总局's code (`11100000000013338W`) is a
//! known real code; the other definers' codes are placeholders with valid check
//! characters. Replace them with the codes your type definers publish.

use crate::model::LicenseType;

/// A built-in license-type template: its name and its JSON definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinTemplate {
    /// 证照类型名称, e.g. 营业执照.
    pub name: &'static str,
    /// The definition, as [`LicenseType::from_json`] reads it.
    pub json: &'static str,
}

impl BuiltinTemplate {
    /// Parses the definition.
    ///
    /// # Errors
    /// Never for the shipped templates (a test parses each); the type of
    /// [`LicenseType::from_json`] otherwise.
    pub fn license_type(&self) -> Result<LicenseType, serde_json::Error> {
        LicenseType::from_json(self.json)
    }
}

/// The built-in templates: 营业执照, 食品经营许可证, 居民身份证, 机动车驾驶证,
/// 不动产权证书, 医师执业证书.
pub const BUILTIN_TEMPLATES: &[BuiltinTemplate] = &[
    BuiltinTemplate {
        name: "营业执照",
        json: include_str!("templates/business_license.json"),
    },
    BuiltinTemplate {
        name: "食品经营许可证",
        json: include_str!("templates/food_business_license.json"),
    },
    BuiltinTemplate {
        name: "居民身份证",
        json: include_str!("templates/resident_id_card.json"),
    },
    BuiltinTemplate {
        name: "机动车驾驶证",
        json: include_str!("templates/driving_license.json"),
    },
    BuiltinTemplate {
        name: "不动产权证书",
        json: include_str!("templates/real_estate_certificate.json"),
    },
    BuiltinTemplate {
        name: "医师执业证书",
        json: include_str!("templates/physician_practice_certificate.json"),
    },
];

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::model::{FieldKind, HolderKind};

    #[test]
    fn every_template_parses_and_is_named_as_listed() {
        let mut codes = std::collections::BTreeSet::new();
        for t in BUILTIN_TEMPLATES {
            let ty = t
                .license_type()
                .unwrap_or_else(|e| panic!("{}: {e}", t.name));
            assert_eq!(ty.name(), t.name);
            assert!(codes.insert(*ty.code()), "duplicate code {}", ty.code());
            assert!(!ty.fields().is_empty());
            assert!(ty.fields().iter().any(|f| f.required));
            // Round trip through JSON.
            let json = serde_json::to_string(&ty).unwrap();
            assert_eq!(LicenseType::from_json(&json).unwrap(), ty);
        }
        assert_eq!(codes.len(), 6);
    }

    #[test]
    fn person_types_mark_personal_fields() {
        for t in BUILTIN_TEMPLATES {
            let ty = t.license_type().unwrap();
            for f in ty.fields() {
                if matches!(f.kind, FieldKind::CitizenId) {
                    assert!(f.personal, "{}: {}", t.name, f.key);
                }
            }
            if ty.holder_kind() == HolderKind::Person {
                assert!(ty.fields().iter().any(|f| f.personal), "{}", t.name);
            }
        }
    }
}
