//! Revocation status of certificates and seals, asked of a [`StatusSource`].
//!
//! Verification never fetches status itself: the caller passes a source (an
//! in-memory list here; the license store provides one). A status that the
//! source does not know is handled by a named policy, [`UnknownStatus`],
//! which denies by default.

use std::collections::HashMap;

use crate::cert::Certificate;
use crate::date::Timestamp;

/// What a status source says about a certificate or a seal at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RevocationStatus {
    /// Not revoked at that instant.
    Good,
    /// Revoked since the given instant (at or before the instant asked about).
    Revoked {
        /// When it was revoked.
        since: Timestamp,
    },
    /// The source has no information.
    Unknown,
}

/// What to do when a status source does not know a certificate or seal.
///
/// Only [`UnknownStatus::Deny`] is offered here; accepting unknown status
/// weakens verification and lives in [`crate::danger`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum UnknownStatus {
    /// Treat unknown status as a failure (default).
    #[default]
    Deny,
    /// Treat unknown status as good — weakens verification. Only
    /// [`crate::danger::accept_unknown_status`] can make this value.
    DangerAccept(crate::danger::Acknowledged),
}

/// Where verification asks whether a certificate or a seal is revoked.
///
/// Certificates are named by the SHA-256 of their DER, seals by their seal id
/// (esID). `at` is the instant the answer is for (a signing time): something
/// revoked after `at` was good at `at`.
pub trait StatusSource: Send + Sync {
    /// Status of a certificate at `at`.
    fn certificate_status(&self, cert: &Certificate, at: Timestamp) -> RevocationStatus;

    /// Status of a seal (by seal id) at `at`.
    fn seal_status(&self, seal_id: &str, at: Timestamp) -> RevocationStatus;
}

/// An in-memory status source: explicit good and revoked entries, and what to
/// say about everything else (unknown, or good as a complete revocation list
/// would).
#[derive(Debug, Clone, Default)]
pub struct InMemoryStatus {
    certs: HashMap<[u8; 32], Option<Timestamp>>,
    seals: HashMap<String, Option<Timestamp>>,
    complete: bool,
}

impl InMemoryStatus {
    /// A source that knows nothing (every answer is unknown until entries are added).
    pub fn new() -> InMemoryStatus {
        InMemoryStatus::default()
    }

    /// A source that is a complete revocation list: whatever is not listed as
    /// revoked is good.
    pub fn complete_revocation_list() -> InMemoryStatus {
        InMemoryStatus {
            complete: true,
            ..InMemoryStatus::default()
        }
    }

    /// Marks a certificate good.
    pub fn good_certificate(&mut self, cert: &Certificate) -> &mut Self {
        self.certs.insert(cert.fingerprint(), None);
        self
    }

    /// Marks a certificate revoked since `since`.
    pub fn revoke_certificate(&mut self, cert: &Certificate, since: Timestamp) -> &mut Self {
        self.certs.insert(cert.fingerprint(), Some(since));
        self
    }

    /// Marks a seal good.
    pub fn good_seal(&mut self, seal_id: &str) -> &mut Self {
        self.seals.insert(seal_id.to_owned(), None);
        self
    }

    /// Marks a seal revoked since `since`.
    pub fn revoke_seal(&mut self, seal_id: &str, since: Timestamp) -> &mut Self {
        self.seals.insert(seal_id.to_owned(), Some(since));
        self
    }

    fn answer(&self, entry: Option<&Option<Timestamp>>, at: Timestamp) -> RevocationStatus {
        match entry {
            Some(Some(since)) if *since <= at => RevocationStatus::Revoked { since: *since },
            Some(_) => RevocationStatus::Good,
            None if self.complete => RevocationStatus::Good,
            None => RevocationStatus::Unknown,
        }
    }
}

impl StatusSource for InMemoryStatus {
    fn certificate_status(&self, cert: &Certificate, at: Timestamp) -> RevocationStatus {
        self.answer(self.certs.get(&cert.fingerprint()), at)
    }

    fn seal_status(&self, seal_id: &str, at: Timestamp) -> RevocationStatus {
        self.answer(self.seals.get(seal_id), at)
    }
}
