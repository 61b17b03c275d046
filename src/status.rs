//! Revocation status of certificates and seals, and the status of licenses,
//! asked of a [`StatusSource`].
//!
//! Verification never fetches status itself: the caller passes a source (an
//! in-memory list here; [`StoreStatus`](crate::StoreStatus) answers from a
//! license store). A status that the source does not know is handled by a
//! named policy, [`UnknownStatus`], which denies by default.
//!
//! License status (有效, 暂扣, 吊销, …) is a property of a registry, not of the
//! signed document: a source that keeps it says so
//! ([`StatusSource::tracks_licenses`]) and the verifier then runs its
//! `license_status` step; without one that step is reported not applicable.

use std::collections::HashMap;

use crate::cert::Certificate;
use crate::date::Timestamp;
use crate::ids::LicenseId;
use crate::model::LicenseStatus;

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

/// What a status source says about a license at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LicenseStanding {
    /// In force (有效) at that instant.
    InForce,
    /// Not in force at that instant: suspended, revoked, cancelled, withdrawn,
    /// expired, transferred out, or superseded (其他).
    NotInForce {
        /// Its status at that instant.
        status: LicenseStatus,
        /// Since when.
        since: Timestamp,
    },
    /// The source keeps license status but does not know this license.
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

    /// Whether this source keeps the status of licenses. When it does, the
    /// verifier asks [`license_status`](Self::license_status) for every
    /// license (step `license_status`); when it does not (the default), that
    /// step is reported not applicable.
    fn tracks_licenses(&self) -> bool {
        false
    }

    /// Status of the license `id` at `at` (a verification time). Asked only
    /// of a source that [`tracks_licenses`](Self::tracks_licenses); an
    /// unknown license fails verification unless unknown status is accepted
    /// ([`crate::danger::accept_unknown_status`]).
    fn license_status(&self, id: &LicenseId, at: Timestamp) -> LicenseStanding {
        let _ = (id, at);
        LicenseStanding::Unknown
    }

    /// [`license_status`](Self::license_status) of several licenses at once,
    /// in order — what the batch verifier asks, once per run of documents. A
    /// source over a database answers in one round trip; the answers must be
    /// those of `license_status`.
    fn license_statuses(&self, ids: &[&LicenseId], at: Timestamp) -> Vec<LicenseStanding> {
        ids.iter().map(|id| self.license_status(id, at)).collect()
    }
}

/// An in-memory status source: explicit good and revoked entries, and what to
/// say about everything else (unknown, or good as a complete revocation list
/// would).
#[derive(Debug, Clone, Default)]
pub struct InMemoryStatus {
    certs: HashMap<[u8; 32], Option<Timestamp>>,
    seals: HashMap<String, Option<Timestamp>>,
    licenses: HashMap<LicenseId, Vec<(Timestamp, LicenseStatus)>>,
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

    /// Records that the certificate whose SHA-256 fingerprint (of its DER
    /// encoding) is `fingerprint` is revoked since `since` — for revocation
    /// lists that name certificates by fingerprint.
    pub fn revoke_certificate_fingerprint(
        &mut self,
        fingerprint: [u8; 32],
        since: Timestamp,
    ) -> &mut Self {
        self.certs.insert(fingerprint, Some(since));
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

    /// Records that license `id` has `status` from `since` on (its history
    /// is kept, so earlier instants get earlier answers). Once any license is
    /// recorded, this source tracks licenses: one never recorded is unknown,
    /// or in force for a complete list
    /// ([`complete_revocation_list`](Self::complete_revocation_list)).
    pub fn set_license_status(
        &mut self,
        id: &LicenseId,
        status: LicenseStatus,
        since: Timestamp,
    ) -> &mut Self {
        let history = self.licenses.entry(id.clone()).or_default();
        let at = history.partition_point(|(t, _)| *t <= since);
        history.insert(at, (since, status));
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

    fn tracks_licenses(&self) -> bool {
        !self.licenses.is_empty()
    }

    fn license_status(&self, id: &LicenseId, at: Timestamp) -> LicenseStanding {
        match self.licenses.get(id) {
            Some(history) => standing_at(history.iter().copied(), at),
            None if self.complete => LicenseStanding::InForce,
            None => LicenseStanding::Unknown,
        }
    }
}

/// The standing at `at` given a license's status changes, oldest first: the
/// last change at or before `at`; 有效 before the first.
pub(crate) fn standing_at(
    history: impl Iterator<Item = (Timestamp, LicenseStatus)>,
    at: Timestamp,
) -> LicenseStanding {
    let last = history.take_while(|(t, _)| *t <= at).last();
    match last {
        None | Some((_, LicenseStatus::Valid)) => LicenseStanding::InForce,
        Some((since, status)) => LicenseStanding::NotInForce { status, since },
    }
}
