//! What every handler shares: the library, the batch verifier, the clock,
//! the limits, the metrics and the verification queue.

use std::sync::Arc;
use std::time::Duration;

use elicense::{BatchVerifier, ResourceLibrary, Signer, Timestamp, Uscc};

use crate::ServiceStore;
use crate::coalesce::Coalescer;
use crate::distribution::Distribution;
use crate::metrics::Metrics;

/// Where the service takes "now" from: the verification time and the time
/// of every change it makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Clock {
    /// The system clock (default).
    #[default]
    System,
    /// A fixed time (tests, or replaying a day's requests).
    Fixed(Timestamp),
}

impl Clock {
    /// The time now by this clock.
    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            Clock::Fixed(t) => *t,
        }
    }
}

/// Bounds on what one request may ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest request body, in bytes, on every route but the batch route
    /// (default 1 MiB; a sealed license is about 5 KB).
    pub body_bytes: usize,
    /// Time allowed for a request on every route but the batch route
    /// (default 30 s; 408 after it).
    pub timeout: Duration,
    /// Longest line of a batch body, in bytes (default 1 MiB): a longer line
    /// is answered as rejected at decoding without being held.
    pub batch_line_bytes: usize,
    /// Most `POST /v1/verify` requests verified together (default 256).
    pub coalesce_max: usize,
    /// Threads verifying queued `POST /v1/verify` requests (default 2).
    pub verify_workers: usize,
    /// Validity of a published status snapshot, from its issued-at to its
    /// next-update (default 24 h); one is made again after half of it.
    pub status_valid_for: Duration,
    /// Longest time a published status snapshot is answered without asking
    /// the store again (default 60 s; changes through the service are seen
    /// at once), and the `max-age` of distribution answers.
    pub status_recheck: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 1 << 20,
            timeout: Duration::from_secs(30),
            batch_line_bytes: 1 << 20,
            coalesce_max: 256,
            verify_workers: 2,
            status_valid_for: Duration::from_secs(24 * 3600),
            status_recheck: Duration::from_secs(60),
        }
    }
}

pub(crate) struct Inner<S: ServiceStore> {
    pub(crate) lib: Arc<ResourceLibrary<S>>,
    pub(crate) batch: Arc<BatchVerifier>,
    pub(crate) clock: Clock,
    pub(crate) limits: Limits,
    pub(crate) metrics: Metrics,
    pub(crate) queue: Coalescer,
    pub(crate) dist: Distribution,
}

/// The service's shared state: cheap to clone (one `Arc`).
pub struct Service<S: ServiceStore> {
    pub(crate) inner: Arc<Inner<S>>,
}

impl<S: ServiceStore> Clone for Service<S> {
    fn clone(&self) -> Self {
        Service {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<S: ServiceStore> core::fmt::Debug for Service<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Service")
            .field("clock", &self.inner.clock)
            .field("limits", &self.inner.limits)
            .finish_non_exhaustive()
    }
}

impl<S: ServiceStore> Service<S> {
    /// The service over `lib` with the system clock and default limits.
    pub fn new(lib: ResourceLibrary<S>) -> Service<S> {
        Service::with(lib, Clock::System, Limits::default())
    }

    /// The service over `lib` with `clock` and `limits`.
    pub fn with(lib: ResourceLibrary<S>, clock: Clock, limits: Limits) -> Service<S> {
        let lib = Arc::new(lib);
        let batch = Arc::new(BatchVerifier::new(lib.verifier().clone()));
        let queue = Coalescer::start(
            Arc::clone(&lib),
            Arc::clone(&batch),
            limits.coalesce_max.max(1),
            limits.verify_workers.max(1),
        );
        Service {
            inner: Arc::new(Inner {
                lib,
                batch,
                clock,
                limits,
                metrics: Metrics::default(),
                queue,
                dist: Distribution::default(),
            }),
        }
    }

    /// Publishes `issuer`'s status snapshots at `GET /v1/status/{issuer}`,
    /// signed by `signer` (the key verifiers are given for the issuer's
    /// snapshots). Replaces an earlier signer for the issuer.
    pub fn with_status_signer(self, issuer: Uscc, signer: Arc<dyn Signer>) -> Service<S> {
        self.inner.dist.add_signer(issuer, signer);
        self
    }

    /// Serves the trust lists in `dir` (`{publisher USCC}.trust`, opaque
    /// signed bytes) at `GET /v1/trust-lists/{publisher}`.
    pub fn with_trust_lists(self, dir: impl Into<std::path::PathBuf>) -> Service<S> {
        self.inner.dist.set_trust_dir(dir.into());
        self
    }

    /// The issuers whose status snapshots are published.
    pub fn status_issuers(&self) -> Vec<Uscc> {
        self.inner.dist.issuers()
    }

    /// The library served.
    pub fn library(&self) -> &ResourceLibrary<S> {
        &self.inner.lib
    }

    /// The batch verifier the batch route uses (over the library's verifier).
    pub fn batch_verifier(&self) -> &BatchVerifier {
        &self.inner.batch
    }

    /// The time now by the service's clock.
    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }
}
