//! The catalog (目录库): license types with their field schema, the built-in
//! type templates, and the directory (目录): one entry per stored license,
//! found by [`Query`] through a [`LicenseStore`](crate::LicenseStore).

mod query;
mod templates;

use std::collections::HashMap;

pub(crate) use query::region_bounds;
pub use query::{CatalogEntry, Cursor, Page, Query};
pub use templates::{BUILTIN_TEMPLATES, BuiltinTemplate};

use crate::ids::LicenseTypeCode;
use crate::model::LicenseType;

/// License types known to a verifier or a library, by type code.
#[derive(Debug, Clone, Default)]
pub struct LicenseTypes {
    types: HashMap<LicenseTypeCode, LicenseType>,
}

impl LicenseTypes {
    /// An empty registry.
    pub fn new() -> LicenseTypes {
        LicenseTypes::default()
    }

    /// The built-in templates ([`BUILTIN_TEMPLATES`]): 营业执照, 食品经营许可证,
    /// 居民身份证, 机动车驾驶证, 不动产权证书, 医师执业证书.
    pub fn builtin() -> LicenseTypes {
        BUILTIN_TEMPLATES
            .iter()
            .filter_map(|t| t.license_type().ok())
            .collect()
    }

    /// Adds a type, returning the one it replaces.
    pub fn insert(&mut self, t: LicenseType) -> Option<LicenseType> {
        self.types.insert(*t.code(), t)
    }

    /// Builder form of [`LicenseTypes::insert`].
    pub fn with(mut self, t: LicenseType) -> Self {
        self.insert(t);
        self
    }

    /// The type with this code.
    pub fn get(&self, code: &LicenseTypeCode) -> Option<&LicenseType> {
        self.types.get(code)
    }

    /// All types, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &LicenseType> {
        self.types.values()
    }

    /// Number of types.
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }
}

impl FromIterator<LicenseType> for LicenseTypes {
    fn from_iter<I: IntoIterator<Item = LicenseType>>(iter: I) -> Self {
        let mut t = LicenseTypes::new();
        for x in iter {
            t.insert(x);
        }
        t
    }
}
