//! Results of the verification service (在线核验), with the result codes of
//! the share service (DOMAIN.md §7).

use crate::ids::LicenseId;
use crate::model::LicenseStatus;
use crate::verify::{Report, Step};

use super::ledger::DisputeId;

/// A verification result code (核验结果), 0–7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
#[repr(u8)]
pub enum VerifyCode {
    /// 0 — correct and valid (正确有效).
    Valid = 0,
    /// 1 — not yet in force (未生效).
    NotActivated = 1,
    /// 2 — temporarily invalid (暂时无效): suspended.
    TemporarilyInvalid = 2,
    /// 3 — invalid (无效): expired, cancelled, withdrawn, revoked, superseded,
    /// or the seal or signature does not verify.
    Invalid = 3,
    /// 4 — incomplete (信息不完整): the license lacks a field asked about.
    Incomplete = 4,
    /// 5 — not found (不存在).
    NotFound = 5,
    /// 6 — a required parameter is missing (参数缺失).
    MissingParameter = 6,
    /// 7 — partly wrong (部分信息有误): some submitted fields differ.
    PartlyWrong = 7,
}

impl VerifyCode {
    /// The numeric code.
    pub fn code(&self) -> u8 {
        *self as u8
    }
}

/// Why a license that passed the [`Verifier`](crate::Verifier) is still not
/// valid: its status in the library.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusProblem {
    /// The stored status is not 有效 (suspended, revoked, superseded, …).
    Status(LicenseStatus),
    /// The submitted license is not the one the library holds under its identifier.
    DiffersFromStored,
}

/// What the verification service says about a license.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyResult {
    pub(crate) code: VerifyCode,
    pub(crate) id: Option<LicenseId>,
    pub(crate) report: Option<Report>,
    pub(crate) status: Option<LicenseStatus>,
    pub(crate) problem: Option<StatusProblem>,
    pub(crate) under_review: Vec<DisputeId>,
    pub(crate) mismatched: Vec<String>,
    pub(crate) missing: Vec<&'static str>,
}

impl VerifyResult {
    pub(crate) fn code_only(code: VerifyCode, id: Option<LicenseId>) -> VerifyResult {
        VerifyResult {
            code,
            id,
            report: None,
            status: None,
            problem: None,
            under_review: Vec::new(),
            mismatched: Vec::new(),
            missing: Vec::new(),
        }
    }

    /// The result code.
    pub fn code(&self) -> VerifyCode {
        self.code
    }
    /// Whether the license is correct and valid (code 0).
    pub fn is_valid(&self) -> bool {
        self.code == VerifyCode::Valid
    }
    /// The license, when found.
    pub fn id(&self) -> Option<&LicenseId> {
        self.id.as_ref()
    }
    /// The cryptographic verification report, when the license was verified.
    pub fn report(&self) -> Option<&Report> {
        self.report.as_ref()
    }
    /// The step the cryptographic verification failed at, if it did.
    pub fn failed_step(&self) -> Option<Step> {
        self.report.as_ref().and_then(Report::failed_step)
    }
    /// The license's status in the library, when it is stored.
    pub fn status(&self) -> Option<LicenseStatus> {
        self.status
    }
    /// Why a license that verified is still not valid.
    pub fn status_problem(&self) -> Option<&StatusProblem> {
        self.problem.as_ref()
    }
    /// Disputes under review on this license (flagged, whatever the code).
    pub fn under_review(&self) -> &[DisputeId] {
        &self.under_review
    }
    /// Submitted fields that differ from the license (code 7).
    pub fn mismatched(&self) -> &[String] {
        &self.mismatched
    }
    /// Missing parameters (code 6).
    pub fn missing(&self) -> &[&'static str] {
        &self.missing
    }
}
