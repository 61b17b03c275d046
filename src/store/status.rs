//! A [`StatusSource`] that answers license status from a license store.

use std::ops::Deref;
use std::sync::Arc;

use crate::cert::Certificate;
use crate::date::Timestamp;
use crate::ids::LicenseId;
use crate::status::{LicenseStanding, RevocationStatus, StatusSource, standing_at};

use super::LicenseStore;

/// License status from a [`LicenseStore`]'s status events; certificate and
/// seal revocation from another source.
///
/// The standing of a license at an instant is its status after the last
/// event at or before it (有效 before any event), so a license suspended
/// today still verifies at yesterday's date. A license the store does not
/// hold is [`LicenseStanding::Unknown`], and so is every license while the
/// store fails to answer: verification then fails unless unknown status is
/// accepted ([`crate::danger::accept_unknown_status`]).
///
/// `P` is any pointer to a store: `Arc<SqliteStore>`, `&dyn LicenseStore`, ….
/// Each answer reads the store (one small query, two for a license without
/// events); the resource library composes one over its own store
/// automatically.
pub struct StoreStatus<P> {
    store: P,
    inner: Arc<dyn StatusSource>,
}

impl<P> StoreStatus<P>
where
    P: Deref,
    P::Target: LicenseStore,
{
    /// License status from `store`; certificates and seals from `inner`.
    pub fn new(store: P, inner: Arc<dyn StatusSource>) -> StoreStatus<P> {
        StoreStatus { store, inner }
    }

    /// The store answered from.
    pub fn store(&self) -> &P::Target {
        &self.store
    }
}

impl<P> core::fmt::Debug for StoreStatus<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StoreStatus").finish_non_exhaustive()
    }
}

impl<P> StatusSource for StoreStatus<P>
where
    P: Deref + Send + Sync,
    P::Target: LicenseStore,
{
    fn certificate_status(&self, cert: &Certificate, at: Timestamp) -> RevocationStatus {
        self.inner.certificate_status(cert, at)
    }

    fn seal_status(&self, seal_id: &str, at: Timestamp) -> RevocationStatus {
        self.inner.seal_status(seal_id, at)
    }

    fn tracks_licenses(&self) -> bool {
        true
    }

    fn license_status(&self, id: &LicenseId, at: Timestamp) -> LicenseStanding {
        let Ok(events) = self.store.events(id) else {
            return LicenseStanding::Unknown;
        };
        if events.is_empty() && !matches!(self.store.entry(id), Ok(Some(_))) {
            return LicenseStanding::Unknown;
        }
        standing_at(events.iter().map(|e| (e.event().at(), e.status())), at)
    }

    fn license_statuses(&self, ids: &[&LicenseId], at: Timestamp) -> Vec<LicenseStanding> {
        let mut out = Vec::with_capacity(ids.len());
        for part in ids.chunks(super::limits::BATCH_LICENSES) {
            match self.store.status_histories(part) {
                Ok(histories) if histories.len() == part.len() => {
                    out.extend(histories.into_iter().map(|h| match h {
                        None => LicenseStanding::Unknown,
                        Some(h) => standing_at(h.into_iter(), at),
                    }));
                }
                _ => out.extend(part.iter().map(|_| LicenseStanding::Unknown)),
            }
        }
        out
    }
}
