//! Status events (业务操作记录): append-only; the current status of a license is
//! the status after its last event.

use crate::date::Timestamp;
use crate::ids::LicenseId;
use crate::model::{LicenseStatus, Operation, TextProblem};
use crate::store::{StoreError, limits};

/// A lifecycle operation on a stored license: who did what, when, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEvent {
    license: LicenseId,
    operation: Operation,
    at: Timestamp,
    actor: String,
    reason: Option<String>,
}

fn check_text(
    what: &'static str,
    s: &str,
    max: usize,
    allow_newline: bool,
) -> Result<(), StoreError> {
    let problem = if s.is_empty() {
        Some(TextProblem::Empty)
    } else if s.chars().count() > max {
        Some(TextProblem::TooLong { max })
    } else if s
        .chars()
        .any(|c| c.is_control() && !(allow_newline && c == '\n'))
    {
        Some(TextProblem::ControlChar)
    } else if s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace) {
        Some(TextProblem::OuterWhitespace)
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(StoreError::Text { what, problem }),
    }
}

impl StatusEvent {
    /// An event: `actor` (who: an operator or department, 1–128 characters)
    /// performed `operation` on `license` at `at`.
    ///
    /// # Errors
    /// [`StoreError::Text`] for a malformed actor.
    pub fn new(
        license: LicenseId,
        operation: Operation,
        at: Timestamp,
        actor: impl Into<String>,
    ) -> Result<StatusEvent, StoreError> {
        let actor = actor.into();
        check_text("event actor", &actor, limits::ACTOR_CHARS, false)?;
        Ok(StatusEvent {
            license,
            operation,
            at,
            actor,
            reason: None,
        })
    }

    /// With a reason (1–512 characters; line breaks allowed).
    ///
    /// # Errors
    /// [`StoreError::Text`] for a malformed reason.
    pub fn with_reason(mut self, reason: impl Into<String>) -> Result<StatusEvent, StoreError> {
        let reason = reason.into();
        check_text("event reason", &reason, limits::REASON_CHARS, true)?;
        self.reason = Some(reason);
        Ok(self)
    }

    pub(crate) fn from_stored(
        license: LicenseId,
        operation: Operation,
        at: Timestamp,
        actor: String,
        reason: Option<String>,
    ) -> StatusEvent {
        StatusEvent {
            license,
            operation,
            at,
            actor,
            reason,
        }
    }

    /// The license.
    pub fn license(&self) -> &LicenseId {
        &self.license
    }
    /// The operation (业务操作).
    pub fn operation(&self) -> Operation {
        self.operation
    }
    /// When.
    pub fn at(&self) -> Timestamp {
        self.at
    }
    /// Who.
    pub fn actor(&self) -> &str {
        &self.actor
    }
    /// Why.
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }
}

/// A stored status event: its number (1, 2, … per license), the event, and
/// the status it led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEvent {
    seq: u32,
    event: StatusEvent,
    status: LicenseStatus,
}

impl RecordedEvent {
    pub(crate) fn new(seq: u32, event: StatusEvent, status: LicenseStatus) -> RecordedEvent {
        RecordedEvent { seq, event, status }
    }
    /// The event's number for its license, from 1.
    pub fn seq(&self) -> u32 {
        self.seq
    }
    /// The event.
    pub fn event(&self) -> &StatusEvent {
        &self.event
    }
    /// The license's status after the event.
    pub fn status(&self) -> LicenseStatus {
        self.status
    }
}

/// The status a license in status `from` has after `operation`, or `None`
/// when the operation is not allowed then.
///
/// | operation | allowed from | leads to |
/// |---|---|---|
/// | 03 暂扣 suspend | 有效 | 暂扣 |
/// | 06 暂扣发还 resume | 暂扣 | 有效 |
/// | 04 过期失效 expire | 有效, 暂扣 | 失效 |
/// | 07 转出 transfer out | 有效 | 办理转出 |
/// | 10 取消转出 cancel transfer out | 办理转出 | 有效 |
/// | 05 注销 cancel | 有效, 暂扣, 失效, 办理转出 | 注销 |
/// | 11 撤销 withdraw | 有效, 暂扣, 失效, 办理转出 | 撤销 |
/// | 12 吊销 revoke | 有效, 暂扣 | 吊销 |
///
/// 注销, 撤销 and 吊销 are final. Operations that issue a license are not
/// status changes: 01 新发 is a license's first event, recorded with it by
/// [`LicenseStore::insert_issued`](crate::LicenseStore::insert_issued); 02
/// 延续, 08 转入, 09 变更 and 13 更正 make a new license linked to its
/// predecessor ([`superseded_after`]).
pub fn status_after(from: LicenseStatus, operation: Operation) -> Option<LicenseStatus> {
    use LicenseStatus as S;
    use Operation as O;
    let live = matches!(from, S::Valid | S::Suspended);
    let open = live || matches!(from, S::Expired | S::TransferredOut);
    match operation {
        O::Suspend if from == S::Valid => Some(S::Suspended),
        O::Resume if from == S::Suspended => Some(S::Valid),
        O::Expire if live => Some(S::Expired),
        O::TransferOut if from == S::Valid => Some(S::TransferredOut),
        O::CancelTransferOut if from == S::TransferredOut => Some(S::Valid),
        O::Cancel if open => Some(S::Cancelled),
        O::Withdraw if open => Some(S::Withdrawn),
        O::Revoke if live => Some(S::Revoked),
        _ => None,
    }
}

/// The status a license in status `from` has after it is superseded by a new
/// license made by `operation` (延续, 变更, 转入, 更正), or `None` when it cannot
/// be superseded then. The superseded license is no longer current: its status
/// becomes 99 其他 (the event's reason names the successor), which is final.
///
/// | operation | allowed from |
/// |---|---|
/// | 02 延续 renew | 有效, 失效 |
/// | 09 变更 change | 有效 |
/// | 08 转入 transfer in | 有效, 办理转出 |
/// | 13 更正 correct | 有效, 暂扣, 失效 |
///
/// Used only by [`LicenseStore::insert_successor`](crate::LicenseStore::insert_successor),
/// which stores the successor in the same transaction; [`status_after`] refuses
/// these operations as plain events.
pub fn superseded_after(from: LicenseStatus, operation: Operation) -> Option<LicenseStatus> {
    use LicenseStatus as S;
    use Operation as O;
    let allowed = match operation {
        O::Renew => matches!(from, S::Valid | S::Expired),
        O::Change => from == S::Valid,
        O::TransferIn => matches!(from, S::Valid | S::TransferredOut),
        O::Correct => matches!(from, S::Valid | S::Suspended | S::Expired),
        _ => false,
    };
    allowed.then_some(S::Other)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle() {
        use LicenseStatus as S;
        use Operation as O;
        assert_eq!(status_after(S::Valid, O::Suspend), Some(S::Suspended));
        assert_eq!(status_after(S::Suspended, O::Resume), Some(S::Valid));
        assert_eq!(status_after(S::Valid, O::Resume), None);
        assert_eq!(status_after(S::Valid, O::Issue), None);
        for end in [S::Cancelled, S::Withdrawn, S::Revoked] {
            for op in Operation::ALL {
                assert_eq!(status_after(end, *op), None, "{end} {op}");
            }
        }
        // Every status reachable by an event is reached by some operation.
        for s in [
            S::Suspended,
            S::Expired,
            S::TransferredOut,
            S::Cancelled,
            S::Withdrawn,
            S::Revoked,
        ] {
            assert!(LicenseStatus::ALL.iter().any(|f| {
                Operation::ALL
                    .iter()
                    .any(|o| status_after(*f, *o) == Some(s))
            }));
        }
    }

    #[test]
    fn event_text() {
        let id = LicenseId::parse(
            "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
        )
        .unwrap();
        let at = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        assert!(StatusEvent::new(id.clone(), Operation::Suspend, at, "").is_err());
        assert!(StatusEvent::new(id.clone(), Operation::Suspend, at, " x").is_err());
        let e = StatusEvent::new(id, Operation::Suspend, at, "上城区市场监管局 张三").unwrap();
        assert!(e.clone().with_reason("a\nb").is_ok());
        assert!(e.clone().with_reason("a\u{7}b").is_err());
        assert!(e.with_reason("x".repeat(513)).is_err());
    }
}
