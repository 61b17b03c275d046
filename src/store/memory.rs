//! The in-memory store: the reference model every backend is compared with.

use core::fmt;
use std::collections::{BTreeMap, HashMap};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use sha2::Digest;

use crate::catalog::{CatalogEntry, Page, Query};
use crate::document::SignedLicense;
use crate::ids::{LicenseId, LicenseTypeCode};
use crate::model::{LicenseStatus, LicenseType};
use crate::store::tokens::{AccessToken, TokenStore};
use crate::store::{
    Inserted, LicenseStore, RecordedEvent, StatusEvent, StoreError, limits, status_after,
    superseded_after,
};

/// A license store in memory: simple enough to be obviously right, so the
/// conformance suite and the fuzzer compare the database backends with it.
/// Nothing is persisted.
#[derive(Default)]
pub struct MemoryStore {
    model: RwLock<Model>,
}

#[derive(Default)]
struct Model {
    types: BTreeMap<(LicenseTypeCode, u16), LicenseType>,
    licenses: BTreeMap<String, Record>,
    attachments: HashMap<[u8; 32], Vec<u8>>,
    tokens: BTreeMap<String, AccessToken>,
}

impl Model {
    /// `Ok` when some version of type `code` is registered.
    fn check_type(&self, code: &LicenseTypeCode) -> Result<(), StoreError> {
        match self.types.range((*code, 0)..=(*code, u16::MAX)).next() {
            Some(_) => Ok(()),
            None => Err(StoreError::UnknownType { code: *code }),
        }
    }
}

struct Record {
    bytes: Vec<u8>,
    entry: CatalogEntry,
    events: Vec<RecordedEvent>,
}

impl fmt::Debug for MemoryStore {
    /// Counts only: the contents are personal data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.read();
        f.debug_struct("MemoryStore")
            .field("types", &m.types.len())
            .field("licenses", &m.licenses.len())
            .field("attachments", &m.attachments.len())
            .finish()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    // A panic while holding the lock cannot leave a half-made change: every
    // change is computed first and applied without fallible steps.
    fn read(&self) -> RwLockReadGuard<'_, Model> {
        self.model.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Model> {
        self.model.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// Checks the batch bound; shared by every backend so they fail alike.
pub(crate) fn check_batch_len(n: usize) -> Result<(), StoreError> {
    if n > limits::BATCH_LICENSES {
        return Err(StoreError::Limit {
            what: "licenses in one batch",
            max: limits::BATCH_LICENSES as u64,
            found: n as u64,
        });
    }
    Ok(())
}

/// Checks the attachment bound; shared by every backend.
pub(crate) fn check_attachment_len(n: usize) -> Result<(), StoreError> {
    if n > limits::ATTACHMENT_BYTES {
        return Err(StoreError::Limit {
            what: "attachment bytes",
            max: limits::ATTACHMENT_BYTES as u64,
            found: n as u64,
        });
    }
    Ok(())
}

/// The new status after `event` given the license's current status, last event
/// time and event count; shared by every backend.
pub(crate) fn next_status(
    event: &StatusEvent,
    current: LicenseStatus,
    last: Option<crate::date::Timestamp>,
    count: usize,
) -> Result<LicenseStatus, StoreError> {
    next_status_by(event, current, last, count, status_after)
}

/// The predecessor's new status after a supersession `event` (see
/// [`superseded_after`]); shared by every backend.
pub(crate) fn next_superseded(
    event: &StatusEvent,
    current: LicenseStatus,
    last: Option<crate::date::Timestamp>,
    count: usize,
) -> Result<LicenseStatus, StoreError> {
    next_status_by(event, current, last, count, superseded_after)
}

/// The status a backend's event step computes: [`next_status`] or [`next_superseded`].
pub(crate) type NextStatus = fn(
    &StatusEvent,
    LicenseStatus,
    Option<crate::date::Timestamp>,
    usize,
) -> Result<LicenseStatus, StoreError>;

fn next_status_by(
    event: &StatusEvent,
    current: LicenseStatus,
    last: Option<crate::date::Timestamp>,
    count: usize,
    table: fn(LicenseStatus, crate::model::Operation) -> Option<LicenseStatus>,
) -> Result<LicenseStatus, StoreError> {
    if count >= limits::EVENTS_PER_LICENSE {
        return Err(StoreError::Limit {
            what: "status events of one license",
            max: limits::EVENTS_PER_LICENSE as u64,
            found: count as u64 + 1,
        });
    }
    if let Some(last) = last
        && event.at() < last
    {
        return Err(StoreError::EventOrder {
            id: event.license().clone(),
            last,
            at: event.at(),
        });
    }
    table(current, event.operation()).ok_or_else(|| StoreError::Transition {
        id: event.license().clone(),
        from: current,
        operation: event.operation(),
    })
}

impl LicenseStore for MemoryStore {
    fn register_type(&self, t: &LicenseType) -> Result<Inserted, StoreError> {
        let mut m = self.write();
        let key = (*t.code(), t.version());
        match m.types.get(&key) {
            Some(existing) if existing == t => Ok(Inserted::Duplicate),
            Some(_) => Err(StoreError::TypeConflict {
                code: *t.code(),
                version: t.version(),
            }),
            None => {
                m.types.insert(key, t.clone());
                Ok(Inserted::New)
            }
        }
    }

    fn license_type(&self, code: &LicenseTypeCode) -> Result<Option<LicenseType>, StoreError> {
        let m = self.read();
        Ok(m.types
            .range((*code, 0)..=(*code, u16::MAX))
            .next_back()
            .map(|(_, t)| t.clone()))
    }

    fn license_types(&self) -> Result<Vec<LicenseType>, StoreError> {
        let m = self.read();
        let mut latest: BTreeMap<&str, &LicenseType> = BTreeMap::new();
        for ((code, _), t) in &m.types {
            latest.insert(code.as_str(), t);
        }
        Ok(latest.into_values().cloned().collect())
    }

    fn insert_batch(&self, licenses: &[SignedLicense]) -> Result<Vec<Inserted>, StoreError> {
        check_batch_len(licenses.len())?;
        let mut m = self.write();
        // Decide everything first; apply only if the whole batch is accepted.
        let mut staged: BTreeMap<&str, &SignedLicense> = BTreeMap::new();
        let mut outcomes = Vec::with_capacity(licenses.len());
        for doc in licenses {
            let l = doc.license();
            let code = l.type_code();
            m.check_type(code)?;
            let id = l.id().as_str();
            let stored = m
                .licenses
                .get(id)
                .map(|r| r.bytes.as_slice())
                .or_else(|| staged.get(id).map(|d| d.as_bytes()));
            match stored {
                Some(bytes) if bytes == doc.as_bytes() => outcomes.push(Inserted::Duplicate),
                Some(_) => return Err(StoreError::Conflict { id: l.id().clone() }),
                None => {
                    staged.insert(id, doc);
                    outcomes.push(Inserted::New);
                }
            }
        }
        for (id, doc) in staged {
            m.licenses.insert(
                id.to_owned(),
                Record {
                    bytes: doc.as_bytes().to_vec(),
                    entry: CatalogEntry::new(doc.license(), LicenseStatus::Valid),
                    events: Vec::new(),
                },
            );
        }
        Ok(outcomes)
    }

    fn document(&self, id: &LicenseId) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .read()
            .licenses
            .get(id.as_str())
            .map(|r| r.bytes.clone()))
    }

    fn entry(&self, id: &LicenseId) -> Result<Option<CatalogEntry>, StoreError> {
        Ok(self
            .read()
            .licenses
            .get(id.as_str())
            .map(|r| r.entry.clone()))
    }

    fn query(&self, q: &Query) -> Result<Page, StoreError> {
        let m = self.read();
        let limit = q.page_size();
        let start = match q.cursor() {
            Some(c) => core::ops::Bound::Excluded(c.as_str()),
            None => core::ops::Bound::Unbounded,
        };
        let entries = m
            .licenses
            .range::<str, _>((start, core::ops::Bound::Unbounded))
            .map(|(_, r)| &r.entry)
            .filter(|e| q.matches(e))
            .take(limit as usize + 1)
            .cloned()
            .collect();
        Ok(Page::from_overfetch(entries, limit))
    }

    fn count(&self, q: &Query) -> Result<u64, StoreError> {
        let m = self.read();
        Ok(m.licenses.values().filter(|r| q.matches(&r.entry)).count() as u64)
    }

    fn record_event(&self, event: &StatusEvent) -> Result<LicenseStatus, StoreError> {
        let mut m = self.write();
        let Some(record) = m.licenses.get_mut(event.license().as_str()) else {
            return Err(StoreError::NotFound {
                id: event.license().clone(),
            });
        };
        let last = record.events.last().map(|e| e.event().at());
        let status = next_status(event, record.entry.status(), last, record.events.len())?;
        let seq = record.events.len() as u32 + 1;
        record
            .events
            .push(RecordedEvent::new(seq, event.clone(), status));
        record.entry.set_status(status);
        Ok(status)
    }

    fn insert_successor(
        &self,
        successor: &SignedLicense,
        event: &StatusEvent,
    ) -> Result<LicenseStatus, StoreError> {
        crate::store::check_successor(successor, event)?;
        let mut m = self.write();
        let l = successor.license();
        let code = l.type_code();
        m.check_type(code)?;
        // The predecessor's event first, then the successor, as the SQL backends do.
        let Some(record) = m.licenses.get_mut(event.license().as_str()) else {
            return Err(StoreError::NotFound {
                id: event.license().clone(),
            });
        };
        let last = record.events.last().map(|e| e.event().at());
        let status = next_superseded(event, record.entry.status(), last, record.events.len())?;
        if m.licenses.contains_key(l.id().as_str()) {
            return Err(StoreError::Conflict { id: l.id().clone() });
        }
        let Some(record) = m.licenses.get_mut(event.license().as_str()) else {
            return Err(StoreError::NotFound {
                id: event.license().clone(),
            });
        };
        let seq = record.events.len() as u32 + 1;
        record
            .events
            .push(RecordedEvent::new(seq, event.clone(), status));
        record.entry.set_status(status);
        m.licenses.insert(
            l.id().as_str().to_owned(),
            Record {
                bytes: successor.as_bytes().to_vec(),
                entry: CatalogEntry::new(l, LicenseStatus::Valid),
                events: Vec::new(),
            },
        );
        Ok(status)
    }

    fn insert_issued(
        &self,
        licenses: &[SignedLicense],
        events: &[StatusEvent],
    ) -> Result<(), StoreError> {
        crate::store::check_issued(licenses, events)?;
        let mut m = self.write();
        for doc in licenses {
            let l = doc.license();
            let code = l.type_code();
            m.check_type(code)?;
            if m.licenses.contains_key(l.id().as_str()) {
                return Err(StoreError::Conflict { id: l.id().clone() });
            }
        }
        for (doc, event) in licenses.iter().zip(events) {
            let l = doc.license();
            m.licenses.insert(
                l.id().as_str().to_owned(),
                Record {
                    bytes: doc.as_bytes().to_vec(),
                    entry: CatalogEntry::new(l, LicenseStatus::Valid),
                    events: vec![RecordedEvent::new(1, event.clone(), LicenseStatus::Valid)],
                },
            );
        }
        Ok(())
    }

    fn events(&self, id: &LicenseId) -> Result<Vec<RecordedEvent>, StoreError> {
        Ok(self
            .read()
            .licenses
            .get(id.as_str())
            .map(|r| r.events.clone())
            .unwrap_or_default())
    }

    fn put_attachment(&self, bytes: &[u8]) -> Result<Inserted, StoreError> {
        check_attachment_len(bytes.len())?;
        let digest: [u8; 32] = sha2::Sha256::digest(bytes).into();
        let mut m = self.write();
        if m.attachments.contains_key(&digest) {
            return Ok(Inserted::Duplicate);
        }
        m.attachments.insert(digest, bytes.to_vec());
        Ok(Inserted::New)
    }

    fn attachment(&self, sha256: &[u8; 32]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.read().attachments.get(sha256).cloned())
    }
}

impl TokenStore for MemoryStore {
    fn add_token(&self, token: &AccessToken) -> Result<(), StoreError> {
        let mut m = self.write();
        if m.tokens.contains_key(token.key_id()) {
            return Err(StoreError::Config {
                reason: "an access token with this key id is already stored",
            });
        }
        m.tokens.insert(token.key_id().to_owned(), token.clone());
        Ok(())
    }

    fn token(&self, key_id: &str) -> Result<Option<AccessToken>, StoreError> {
        Ok(self.read().tokens.get(key_id).cloned())
    }

    fn tokens(&self) -> Result<Vec<AccessToken>, StoreError> {
        Ok(self.read().tokens.values().cloned().collect())
    }

    fn remove_token(&self, key_id: &str) -> Result<bool, StoreError> {
        Ok(self.write().tokens.remove(key_id).is_some())
    }
}
