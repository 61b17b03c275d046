//! License status (证照状态) and lifecycle operations (业务操作), with the codes
//! of the ministry data specification (DOMAIN.md §5).

use core::fmt;

/// Why a status or operation code was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} code {code:?}")]
pub struct UnknownCode {
    /// `"status"` or `"operation"`.
    pub what: &'static str,
    /// The code as given (at most 8 characters kept).
    pub code: String,
}

macro_rules! coded_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, $zh:literal, $en:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// Every value, in code order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )* ];

            /// The two-character code.
            pub fn code(&self) -> &'static str {
                match self { $( $name::$variant => $code, )* }
            }

            /// The Chinese name.
            pub fn name_zh(&self) -> &'static str {
                match self { $( $name::$variant => $zh, )* }
            }

            /// A short English name (also the snake_case wire name used in reports).
            pub fn name_en(&self) -> &'static str {
                match self { $( $name::$variant => $en, )* }
            }

            /// Looks a value up by its code.
            pub fn from_code(code: &str) -> Result<$name, UnknownCode> {
                match code {
                    $( $code => Ok($name::$variant), )*
                    _ => Err(UnknownCode { what: $what, code: code.chars().take(8).collect() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} {}", self.code(), self.name_zh())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::from_code(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

coded_enum! {
    /// Status of an issued license (证照状态).
    LicenseStatus, "status" {
        /// 有效 — in force.
        Valid = "01", "有效", "valid";
        /// 暂扣 — temporarily suspended.
        Suspended = "02", "暂扣", "suspended";
        /// 撤销 — withdrawn (issuance annulled).
        Withdrawn = "03", "撤销", "withdrawn";
        /// 注销 — cancelled.
        Cancelled = "04", "注销", "cancelled";
        /// 失效 — expired.
        Expired = "05", "失效", "expired";
        /// 办理转出 — transferred out to another jurisdiction.
        TransferredOut = "06", "办理转出", "transferred_out";
        /// 吊销 — revoked as a penalty.
        Revoked = "07", "吊销", "revoked";
        /// 其他 — other (the reason text says what).
        Other = "99", "其他", "other";
    }
}

impl LicenseStatus {
    /// Whether a license in this status may be relied on.
    pub fn is_in_force(&self) -> bool {
        matches!(self, LicenseStatus::Valid)
    }
}

coded_enum! {
    /// A lifecycle operation (业务操作) recorded as a status event.
    ///
    /// Codes 01–06 and 08–10 are the ministry specification's. The specification
    /// leaves 07 unnamed; we infer it is 转出 (transfer out), since 10 cancels a
    /// transfer out and status 06 names it. Codes 11–13 are this crate's
    /// extensions for operations the status list implies but the operation list
    /// does not name (撤销, 吊销, 更正). These inferred and extension codes may change.
    Operation, "operation" {
        /// 新发 — issue.
        Issue = "01", "新发", "issue";
        /// 延续 — renew (new identifier linked to the previous one).
        Renew = "02", "延续", "renew";
        /// 暂扣 — suspend.
        Suspend = "03", "暂扣", "suspend";
        /// 过期失效 — expire.
        Expire = "04", "过期失效", "expire";
        /// 注销 — cancel.
        Cancel = "05", "注销", "cancel";
        /// 暂扣发还 — resume after suspension.
        Resume = "06", "暂扣发还", "resume";
        /// 转出 — transfer out (code inferred, see the type docs).
        TransferOut = "07", "转出", "transfer_out";
        /// 转入 — transfer in (new identifier linked to the previous one).
        TransferIn = "08", "转入", "transfer_in";
        /// 变更 — change (new identifier linked to the previous one).
        Change = "09", "变更", "change";
        /// 取消转出 — cancel a transfer out.
        CancelTransferOut = "10", "取消转出", "cancel_transfer_out";
        /// 撤销 — withdraw (this crate's code).
        Withdraw = "11", "撤销", "withdraw";
        /// 吊销 — revoke (this crate's code).
        Revoke = "12", "吊销", "revoke";
        /// 更正 — correction after an upheld dispute (this crate's code).
        Correct = "13", "更正", "correct";
    }
}

impl Operation {
    /// Whether this operation issues a new license (new identifier) that replaces
    /// a predecessor, which stops being current.
    pub fn supersedes(&self) -> bool {
        matches!(
            self,
            Operation::Renew | Operation::Change | Operation::TransferIn | Operation::Correct
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in LicenseStatus::ALL {
            assert_eq!(LicenseStatus::from_code(s.code()).unwrap(), *s);
        }
        for o in Operation::ALL {
            assert_eq!(Operation::from_code(o.code()).unwrap(), *o);
        }
        assert_eq!(LicenseStatus::Suspended.code(), "02");
        assert_eq!(Operation::Resume.code(), "06");
        assert!(LicenseStatus::from_code("08").is_err());
        assert!(Operation::from_code("1").is_err());
        assert_eq!(
            serde_json::to_string(&LicenseStatus::Revoked).unwrap(),
            "\"07\""
        );
    }
}
