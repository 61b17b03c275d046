//! The catalog (目录库): license types with their field schema.

use std::collections::HashMap;

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
