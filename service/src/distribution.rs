//! Status distribution (状态分发): issuers' signed status snapshots and
//! publishers' signed trust lists, public and cacheable.
//!
//! `GET /v1/status/{issuer}` answers the issuer's [`StatusSnapshot`], signed
//! with the status key the service was given for that issuer. A snapshot is
//! kept per issuer and made again only when it must be: when the licenses
//! not in force changed (the store is asked again after a change made through
//! the service, and at most every [`Limits::status_recheck`] otherwise, for
//! writers beside the service), and when half its validity has passed. While
//! nothing changes, the bytes, and so the ETag, stay the same.
//!
//! `GET /v1/trust-lists/{publisher}` answers the file `{publisher}.trust` of
//! the trust-list directory, byte for byte (its format and signature are the
//! reader's business). The publisher must be a valid USCC, so the name can
//! never leave the directory.
//!
//! Both answer with a strong ETag (the SHA-256 of the bytes, in hex) and
//! `304 Not Modified` to a matching `If-None-Match`.
//!
//! [`Limits::status_recheck`]: crate::Limits::status_recheck

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use elicense::{
    IssuerCode, LicenseId, LicenseStatus, LicenseStore, Query, Signer, StatusSnapshot, Timestamp,
    Uscc,
};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// Largest trust-list file served (a larger one is an operator's mistake).
pub(crate) const MAX_TRUST_LIST_BYTES: u64 = 16 << 20;

/// One issuer's snapshot as last made.
struct Snapshot {
    bytes: Bytes,
    etag: HeaderValue,
    issued_at: Timestamp,
    next_update: Timestamp,
    /// The licenses not in force it lists, sorted.
    listing: Vec<(String, LicenseStatus)>,
    /// When the store was last asked, and the change count then.
    checked_at: Timestamp,
    checked_generation: u64,
}

/// A trust-list file as last read.
struct TrustFile {
    modified: Option<SystemTime>,
    len: u64,
    bytes: Bytes,
    etag: HeaderValue,
}

/// What the distribution routes share.
#[derive(Default)]
pub(crate) struct Distribution {
    signers: RwLock<HashMap<Uscc, Arc<dyn Signer>>>,
    trust_dir: RwLock<Option<PathBuf>>,
    snapshots: Mutex<HashMap<Uscc, Arc<Snapshot>>>,
    trust_files: Mutex<HashMap<Uscc, Arc<TrustFile>>>,
    /// Changes made through the service (a change ends trust in the cache).
    generation: AtomicU64,
}

/// A cacheable answer: its bytes, ETag and lifetime.
pub(crate) struct Published {
    bytes: Bytes,
    etag: HeaderValue,
    max_age: u64,
}

fn etag_of(bytes: &[u8]) -> HeaderValue {
    let digest: [u8; 32] = Sha256::digest(bytes).into();
    etag_hex(&digest)
}

fn etag_hex(digest: &[u8; 32]) -> HeaderValue {
    let mut s = String::with_capacity(66);
    s.push('"');
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s.push('"');
    HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

/// Whether `If-None-Match` names `etag` (weak comparison, as RFC 9110 asks
/// for this header; `*` matches any).
fn matches(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let Some(want) = etag.to_str().ok() else {
        return false;
    };
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == want)
}

impl Published {
    /// 200 with the bytes, or 304 when the client holds them already.
    pub(crate) fn answer(self, headers: &HeaderMap) -> Response {
        let not_modified = matches(headers, &self.etag);
        let mut r = if not_modified {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            (StatusCode::OK, self.bytes).into_response()
        };
        let h = r.headers_mut();
        if !not_modified {
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
        }
        h.insert(header::ETAG, self.etag);
        if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={}", self.max_age)) {
            h.insert(header::CACHE_CONTROL, v);
        }
        r
    }
}

/// The licenses of `issuer` not in force, as the store's catalogue has them,
/// sorted by identifier.
fn listing(
    store: &dyn LicenseStore,
    issuer: &Uscc,
) -> Result<Vec<(LicenseId, LicenseStatus)>, ApiError> {
    let mut out = Vec::new();
    for status in LicenseStatus::ALL.iter().filter(|s| !s.is_in_force()) {
        let base = Query::new().issuer(*issuer).status(*status).limit(1000)?;
        let mut q = base.clone();
        loop {
            let page = store.query(&q)?;
            out.extend(page.entries().iter().map(|e| (e.id().clone(), e.status())));
            match page.next() {
                Some(c) => q = base.clone().after(c.clone()),
                None => break,
            }
        }
    }
    out.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    Ok(out)
}

impl Distribution {
    pub(crate) fn add_signer(&self, issuer: Uscc, signer: Arc<dyn Signer>) {
        self.signers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(issuer, signer);
        self.snapshots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&issuer);
    }

    pub(crate) fn set_trust_dir(&self, dir: PathBuf) {
        *self.trust_dir.write().unwrap_or_else(|e| e.into_inner()) = Some(dir);
        self.trust_files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The issuers whose snapshots are served.
    pub(crate) fn issuers(&self) -> Vec<Uscc> {
        let mut v: Vec<Uscc> = self
            .signers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .copied()
            .collect();
        v.sort_by_key(ToString::to_string);
        v
    }

    /// A change was made through the service.
    pub(crate) fn changed(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    /// The current snapshot of `issuer` at `now` (blocking: may ask the store
    /// and sign).
    pub(crate) fn snapshot(
        &self,
        store: &dyn LicenseStore,
        issuer: &Uscc,
        now: Timestamp,
        valid_for: i64,
        recheck: i64,
    ) -> Result<Published, ApiError> {
        let signer = self
            .signers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(issuer)
            .cloned()
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "unknown_issuer",
                    format!("no status snapshot is published for issuer {issuer}"),
                )
            })?;
        let valid_for = valid_for.max(1);
        let generation = self.generation.load(Ordering::Relaxed);
        // One maker at a time; the others then find its work done.
        let mut cache = self.snapshots.lock().unwrap_or_else(|e| e.into_inner());
        let kept = cache.get(issuer).cloned();
        let published = |s: &Snapshot| Published {
            bytes: s.bytes.clone(),
            etag: s.etag.clone(),
            max_age: u64::try_from((s.next_update.unix() - now.unix()).clamp(0, recheck.max(0)))
                .unwrap_or(0),
        };
        // Young enough and nothing changed since the store was asked.
        let young = |s: &Snapshot| now.unix() < s.issued_at.unix() + valid_for / 2;
        if let Some(s) = &kept
            && young(s)
            && s.checked_generation == generation
            && now.unix() < s.checked_at.unix() + recheck
            && now >= s.issued_at
        {
            return Ok(published(s));
        }
        let listed = listing(store, issuer)?;
        let names: Vec<(String, LicenseStatus)> = listed
            .iter()
            .map(|(id, s)| (id.as_str().to_owned(), *s))
            .collect();
        if let Some(s) = &kept
            && young(s)
            && s.listing == names
            && now >= s.issued_at
        {
            let again = Arc::new(Snapshot {
                bytes: s.bytes.clone(),
                etag: s.etag.clone(),
                issued_at: s.issued_at,
                next_update: s.next_update,
                listing: names,
                checked_at: now,
                checked_generation: generation,
            });
            cache.insert(*issuer, Arc::clone(&again));
            return Ok(published(&again));
        }
        let next_update = now.saturating_add(valid_for);
        let made = StatusSnapshot::build(
            &IssuerCode::Uscc(*issuer),
            now,
            next_update,
            listed.iter().map(|(id, s)| (id, *s)),
            signer.as_ref(),
        )
        .map_err(|e| {
            tracing::error!(%issuer, error = %e, "cannot make the status snapshot");
            ApiError::internal()
        })?;
        let fresh = Arc::new(Snapshot {
            bytes: Bytes::copy_from_slice(made.as_bytes()),
            etag: etag_hex(&made.digest()),
            issued_at: made.issued_at(),
            next_update: made.next_update(),
            listing: names,
            checked_at: now,
            checked_generation: generation,
        });
        tracing::info!(%issuer, not_in_force = made.not_in_force_count(), "status snapshot made");
        cache.insert(*issuer, Arc::clone(&fresh));
        Ok(published(&fresh))
    }

    /// The trust list of `publisher` (blocking: reads a file).
    pub(crate) fn trust_list(&self, publisher: &Uscc, max_age: u64) -> Result<Published, ApiError> {
        let unknown = || {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_publisher",
                format!("no trust list is published for {publisher}"),
            )
        };
        let dir = self
            .trust_dir
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(unknown)?;
        // The name is the USCC's own text: 18 characters of [0-9A-Z].
        let path = dir.join(format!("{publisher}.trust"));
        let meta = match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => m,
            Ok(_) => return Err(unknown()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(unknown()),
            Err(e) => {
                tracing::error!(%publisher, error = %e, "cannot read the trust list");
                return Err(ApiError::internal());
            }
        };
        if meta.len() > MAX_TRUST_LIST_BYTES {
            tracing::error!(%publisher, bytes = meta.len(), "trust list too large to serve");
            return Err(ApiError::internal());
        }
        let modified = meta.modified().ok();
        let mut cache = self.trust_files.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(f) = cache.get(publisher)
            && f.modified.is_some()
            && f.modified == modified
            && f.len == meta.len()
        {
            return Ok(Published {
                bytes: f.bytes.clone(),
                etag: f.etag.clone(),
                max_age,
            });
        }
        let bytes = std::fs::read(&path).map_err(|e| {
            tracing::error!(%publisher, error = %e, "cannot read the trust list");
            ApiError::internal()
        })?;
        if bytes.len() as u64 > MAX_TRUST_LIST_BYTES {
            return Err(ApiError::internal());
        }
        let f = Arc::new(TrustFile {
            modified,
            len: bytes.len() as u64,
            etag: etag_of(&bytes),
            bytes: Bytes::from(bytes),
        });
        cache.insert(*publisher, Arc::clone(&f));
        Ok(Published {
            bytes: f.bytes.clone(),
            etag: f.etag.clone(),
            max_age,
        })
    }
}

// ---- the routes ----

use axum::extract::{Path, State};

use crate::ServiceStore;
use crate::api::blocking;
use crate::state::Service;

fn uscc_param(s: &str, what: &'static str) -> Result<Uscc, ApiError> {
    Uscc::parse(s).map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            what,
            "not a unified social credit code (18 characters)",
        )
    })
}

/// 状态快照: the issuer's signed status snapshot (docs/FORMAT.md, status
/// snapshots): which of its licenses are not in force, valid until its
/// next-update. Public; cache it by its ETag.
#[utoipa::path(get, path = "/v1/status/{issuer}", tag = "distribution",
    params(("issuer" = String, Path, description = "the issuer's USCC"),
        ("If-None-Match" = Option<String>, Header, description = "an ETag held")),
    responses(
        (status = 200, description = "the signed snapshot; ETag is the hex SHA-256 of the bytes",
            content_type = "application/octet-stream", body = Vec<u8>),
        (status = 304, description = "the ETag named is current"),
        (status = 404, description = "no snapshot published for this issuer", body = crate::error::ErrorBody)))]
pub(crate) async fn status_snapshot<S: ServiceStore>(
    State(s): State<Service<S>>,
    Path(issuer): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let issuer = uscc_param(&issuer, "unknown_issuer")?;
    let now = s.now();
    let limits = s.inner.limits;
    let valid_for = i64::try_from(limits.status_valid_for.as_secs()).unwrap_or(i64::MAX);
    let recheck = i64::try_from(limits.status_recheck.as_secs()).unwrap_or(i64::MAX);
    let published = blocking(move || {
        s.inner
            .dist
            .snapshot(s.inner.lib.store(), &issuer, now, valid_for, recheck)
    })
    .await?;
    Ok(published.answer(&headers))
}

/// 信任列表: a publisher's signed trust list, byte for byte as published.
/// Public; cache it by its ETag.
#[utoipa::path(get, path = "/v1/trust-lists/{publisher}", tag = "distribution",
    params(("publisher" = String, Path, description = "the publisher's USCC"),
        ("If-None-Match" = Option<String>, Header, description = "an ETag held")),
    responses(
        (status = 200, description = "the signed trust list; ETag is the hex SHA-256 of the bytes",
            content_type = "application/octet-stream", body = Vec<u8>),
        (status = 304, description = "the ETag named is current"),
        (status = 404, description = "no trust list published by this publisher", body = crate::error::ErrorBody)))]
pub(crate) async fn trust_list<S: ServiceStore>(
    State(s): State<Service<S>>,
    Path(publisher): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let publisher = uscc_param(&publisher, "unknown_publisher")?;
    let max_age = s.inner.limits.status_recheck.as_secs();
    let published = blocking(move || s.inner.dist.trust_list(&publisher, max_age)).await?;
    Ok(published.answer(&headers))
}
