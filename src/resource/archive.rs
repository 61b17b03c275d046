//! Bulk archiving (存量归集): existing sealed licenses still in force are
//! imported from JSON Lines through the batch verifier.

use std::collections::BTreeMap;
use std::io::BufRead;

use super::{ResourceError, ResourceLibrary};
use crate::batch::BatchVerifier;
use crate::date::Timestamp;
use crate::document::SignedLicense;
use crate::ids::LicenseId;
use crate::store::{Inserted, LicenseStore, StoreError};
use crate::verify::Step;

/// Licenses stored per transaction while archiving.
const STORE_BATCH: usize = 1000;
/// Rejections described line by line in a report (all are counted).
const MAX_LISTED: usize = 1000;

/// One input line that was not archived, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveRejection {
    /// Line number (1-based).
    pub line: usize,
    /// The identifier, when the line was readable far enough to find it.
    pub id: Option<LicenseId>,
    /// The verification step that failed.
    pub step: Step,
    /// Why (the verification failure; personal numbers masked).
    pub reason: String,
}

/// What an archive run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveReport {
    /// Lines read.
    pub total: usize,
    /// Licenses stored by this run.
    pub imported: usize,
    /// Licenses already stored with identical bytes (nothing changed).
    pub duplicates: usize,
    /// Licenses whose identifier is stored with other bytes: reported, never
    /// overwritten (line number, identifier).
    pub conflicts: Vec<(usize, LicenseId)>,
    /// Rejections by failing verification step.
    pub rejected_by_step: BTreeMap<Step, usize>,
    /// The first rejections, line by line (at most 1000).
    pub rejected: Vec<ArchiveRejection>,
}

impl ArchiveReport {
    /// Lines rejected by verification.
    pub fn rejected_count(&self) -> usize {
        self.rejected_by_step.values().sum()
    }
}

impl<S: LicenseStore> ResourceLibrary<S> {
    /// Archives existing sealed licenses (存量归集) from JSON Lines, one
    /// document per line: each is verified at `at` by the batch verifier (the
    /// same verdict as single verification) with the
    /// [`document_verifier`](Self::document_verifier) — the licenses are not
    /// in the store yet, so its status is not asked; verified licenses are stored in
    /// batched transactions. A bad line is rejected with its reason and the
    /// run goes on; identical bytes already stored count as duplicates; a
    /// different license under a stored identifier is reported as a conflict
    /// and never overwrites it.
    ///
    /// # Errors
    /// [`ResourceError::Io`] if the input cannot be read, [`ResourceError::Store`]
    /// if the store fails; licenses stored before the failure stay stored.
    pub fn archive<R: BufRead>(
        &self,
        reader: R,
        at: Timestamp,
    ) -> Result<ArchiveReport, ResourceError> {
        let batch = BatchVerifier::new(self.documents.clone());
        let mut report = ArchiveReport::default();
        let mut pending: Vec<(usize, SignedLicense)> = Vec::with_capacity(STORE_BATCH);
        let mut failure: Option<ResourceError> = None;
        let summary = batch
            .verify_lines_with_input(reader, at, |outcome, line| {
                if failure.is_some() {
                    return;
                }
                let number = outcome.index() + 1;
                match outcome.result() {
                    Ok(()) => {
                        match SignedLicense::decode_with(line, &self.verifier.options().limits) {
                            Ok(doc) => pending.push((number, doc)),
                            // Verified bytes always decode; count it as a parse rejection if not.
                            Err(e) => record_rejection(
                                &mut report,
                                number,
                                None,
                                Step::Parse,
                                e.to_string(),
                            ),
                        }
                    }
                    Err(rejected) => record_rejection(
                        &mut report,
                        number,
                        outcome.id().cloned(),
                        rejected.step(),
                        rejected.failure().to_string(),
                    ),
                }
                if pending.len() >= STORE_BATCH
                    && let Err(e) = self.store_pending(&mut pending, &mut report)
                {
                    failure = Some(e);
                }
            })
            .map_err(|e| ResourceError::Io {
                reason: e.to_string(),
            })?;
        if let Some(e) = failure {
            return Err(e);
        }
        self.store_pending(&mut pending, &mut report)?;
        report.total = summary.total;
        Ok(report)
    }

    /// Stores the pending licenses in one transaction; when one of them
    /// conflicts, one by one so every conflict is attributed.
    fn store_pending(
        &self,
        pending: &mut Vec<(usize, SignedLicense)>,
        report: &mut ArchiveReport,
    ) -> Result<(), ResourceError> {
        if pending.is_empty() {
            return Ok(());
        }
        let docs: Vec<SignedLicense> = pending.iter().map(|(_, d)| d.clone()).collect();
        match self.store.insert_batch(&docs) {
            Ok(results) => {
                for r in results {
                    count(report, r);
                }
            }
            Err(StoreError::Conflict { .. }) => {
                for (line, doc) in pending.iter() {
                    match self.store.insert(doc) {
                        Ok(r) => count(report, r),
                        Err(StoreError::Conflict { id }) => report.conflicts.push((*line, id)),
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            Err(e) => return Err(e.into()),
        }
        pending.clear();
        Ok(())
    }
}

fn count(report: &mut ArchiveReport, r: Inserted) {
    match r {
        Inserted::New => report.imported += 1,
        _ => report.duplicates += 1,
    }
}

fn record_rejection(
    report: &mut ArchiveReport,
    line: usize,
    id: Option<LicenseId>,
    step: Step,
    reason: String,
) {
    *report.rejected_by_step.entry(step).or_insert(0) += 1;
    if report.rejected.len() < MAX_LISTED {
        report.rejected.push(ArchiveRejection {
            line,
            id,
            step,
            reason,
        });
    }
}
