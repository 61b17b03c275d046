//! Micro-batches for `POST /v1/verify`: requests that arrive together are
//! verified together.
//!
//! Handlers put each document on a queue and wait for its answer; worker
//! threads take whatever has queued up (at most `max` at a time) and verify
//! it with [`ResourceLibrary::verify_bytes_batch`] — one batch signature
//! equation for the lot, and the batch verifier's cache of verified seals
//! and certificate chains, so a lone request too goes this way (about 8×
//! cheaper than [`ResourceLibrary::verify_bytes`], which checks every chain
//! again). Both give the same verdict for the same bytes, so coalescing
//! changes the speed, never the verdict. Under light
//! load a request waits for nobody: a worker blocked on an empty queue takes
//! it at once.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use elicense::{BatchVerifier, ResourceError, ResourceLibrary, Timestamp, VerifyResult};
use tokio::sync::oneshot;

use crate::ServiceStore;

/// Requests waiting at most (beyond this, handlers wait to enqueue).
const QUEUE: usize = 4096;

pub(crate) struct Job {
    bytes: Bytes,
    at: Timestamp,
    reply: oneshot::Sender<Result<VerifyResult, ResourceError>>,
}

/// The queue's sending end; dropping it stops the workers.
pub(crate) struct Coalescer {
    tx: SyncSender<Job>,
}

/// Why a document could not be queued: the workers are gone.
#[derive(Debug)]
pub(crate) struct Stopped;

impl Coalescer {
    pub(crate) fn start<S: ServiceStore>(
        lib: Arc<ResourceLibrary<S>>,
        batch: Arc<BatchVerifier>,
        max: usize,
        workers: usize,
    ) -> Coalescer {
        let (tx, rx) = sync_channel::<Job>(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        for n in 0..workers {
            let (lib, batch, rx) = (Arc::clone(&lib), Arc::clone(&batch), Arc::clone(&rx));
            let spawned = std::thread::Builder::new()
                .name(format!("elicense-verify-{n}"))
                .spawn(move || work(&lib, &batch, &rx, max));
            if spawned.is_err() {
                tracing::error!("cannot start a verification worker thread");
            }
        }
        Coalescer { tx }
    }

    /// Verifies `bytes` at `at` with whatever else is queued.
    pub(crate) async fn verify(
        &self,
        bytes: Bytes,
        at: Timestamp,
    ) -> Result<Result<VerifyResult, ResourceError>, Stopped> {
        let (reply, answer) = oneshot::channel();
        let mut job = Job { bytes, at, reply };
        loop {
            match self.tx.try_send(job) {
                Ok(()) => break,
                Err(TrySendError::Full(j)) => {
                    job = j;
                    tokio::task::yield_now().await;
                }
                Err(TrySendError::Disconnected(_)) => return Err(Stopped),
            }
        }
        answer.await.map_err(|_| Stopped)
    }
}

fn work<S: ServiceStore>(
    lib: &ResourceLibrary<S>,
    batch: &BatchVerifier,
    rx: &Mutex<Receiver<Job>>,
    max: usize,
) {
    let mut jobs: Vec<Job> = Vec::with_capacity(max);
    loop {
        {
            let rx = rx.lock().unwrap_or_else(|e| e.into_inner());
            match rx.recv() {
                Ok(j) => jobs.push(j),
                Err(_) => return,
            }
            while jobs.len() < max {
                match rx.try_recv() {
                    Ok(j) => jobs.push(j),
                    Err(_) => break,
                }
            }
        }
        run(lib, batch, &mut jobs);
    }
}

fn run<S: ServiceStore>(lib: &ResourceLibrary<S>, batch: &BatchVerifier, jobs: &mut Vec<Job>) {
    // One verification time per call: split the jobs by it (with a real clock
    // they share the second).
    while !jobs.is_empty() {
        let at = jobs.first().map(|j| j.at);
        let split = jobs
            .iter()
            .position(|j| Some(j.at) != at)
            .unwrap_or(jobs.len());
        let group: Vec<Job> = jobs.drain(..split).collect();
        let Some(at) = at else { return };
        let docs: Vec<&[u8]> = group.iter().map(|j| j.bytes.as_ref()).collect();
        match lib.verify_bytes_batch(batch, &docs, at) {
            Ok(results) => {
                for (j, r) in group.into_iter().zip(results) {
                    let _ = j.reply.send(Ok(r));
                }
            }
            Err(e) => {
                for j in group {
                    let _ = j.reply.send(Err(e.clone()));
                }
            }
        }
    }
}
