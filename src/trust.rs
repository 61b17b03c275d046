//! What a verifier trusts: which keys sign for which organisation.
//!
//! [`TrustedKeys`] is the raw-key trust model: the verifier is told, out of
//! band, that a public key signs for an organisation (its USCC). Certificate
//! trust anchors for electronic seals build on this.

use std::collections::HashMap;

use crate::ids::Uscc;
use crate::sign::PublicKey;

/// Public keys the verifier trusts, each for one organisation.
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys {
    keys: HashMap<[u8; 32], (PublicKey, Uscc)>,
}

impl TrustedKeys {
    /// No trusted keys.
    pub fn new() -> TrustedKeys {
        TrustedKeys::default()
    }

    /// Trusts `key` to sign for the organisation `org`. A key signs for one
    /// organisation only; adding it again replaces the organisation.
    pub fn insert(&mut self, key: PublicKey, org: Uscc) -> &mut Self {
        self.keys.insert(*key.as_bytes(), (key, org));
        self
    }

    /// Builder form of [`TrustedKeys::insert`].
    pub fn with(mut self, key: PublicKey, org: Uscc) -> Self {
        self.insert(key, org);
        self
    }

    /// The organisation a raw key signs for, with the validated key.
    pub fn lookup(&self, key_bytes: &[u8; 32]) -> Option<&(PublicKey, Uscc)> {
        self.keys.get(key_bytes)
    }

    /// Adds every key of `self` to `other`.
    pub(crate) fn extend_into(&self, other: &mut TrustedKeys) {
        for (key, org) in self.keys.values() {
            other.insert(*key, *org);
        }
    }

    /// Number of trusted keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is trusted.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}
