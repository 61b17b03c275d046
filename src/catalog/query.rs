//! The directory (目录): one [`CatalogEntry`] per stored license, and the
//! [`Query`] that finds entries, a [`Page`] at a time.
//!
//! A query is a conjunction of criteria; every store backend answers it with
//! the same results in the same order (license identifier, byte order), and
//! [`Query::matches`] is the reference meaning of each criterion.

use core::fmt;
use std::str::FromStr;

use crate::date::Date;
use crate::ids::{HolderCode, IdError, LicenseId, LicenseTypeCode, RegionCode, RegionLevel, Uscc};
use crate::model::{Holder, License, LicenseStatus, Organisation, TextProblem};
use crate::store::{StoreError, limits};

/// A directory entry (目录项): the catalog columns of one stored license and its
/// current status.
///
/// `Debug` masks personal holder codes (citizen identity numbers and other
/// personal documents); [`CatalogEntry::holder`] gives the full value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogEntry {
    id: LicenseId,
    type_code: LicenseTypeCode,
    name: String,
    number: String,
    holder: Holder,
    issuer: Organisation,
    region: RegionCode,
    issue_date: Date,
    valid_from: Date,
    valid_to: Option<Date>,
    status: LicenseStatus,
}

impl CatalogEntry {
    /// The entry of `license` in status `status`.
    pub fn new(license: &License, status: LicenseStatus) -> CatalogEntry {
        CatalogEntry {
            id: license.id().clone(),
            type_code: *license.type_code(),
            name: license.name().to_owned(),
            number: license.number().to_owned(),
            holder: license.holder().clone(),
            issuer: license.issuer().clone(),
            region: *license.region(),
            issue_date: license.issue_date(),
            valid_from: license.valid_from(),
            valid_to: license.valid_to(),
            status,
        }
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per stored column, checked by the caller"
    )]
    pub(crate) fn from_parts(
        id: LicenseId,
        type_code: LicenseTypeCode,
        name: String,
        number: String,
        holder: Holder,
        issuer: Organisation,
        region: RegionCode,
        dates: (Date, Date, Option<Date>),
        status: LicenseStatus,
    ) -> CatalogEntry {
        let (issue_date, valid_from, valid_to) = dates;
        CatalogEntry {
            id,
            type_code,
            name,
            number,
            holder,
            issuer,
            region,
            issue_date,
            valid_from,
            valid_to,
            status,
        }
    }

    pub(crate) fn set_status(&mut self, status: LicenseStatus) {
        self.status = status;
    }

    /// 证照标识.
    pub fn id(&self) -> &LicenseId {
        &self.id
    }
    /// 证照类型代码.
    pub fn type_code(&self) -> &LicenseTypeCode {
        &self.type_code
    }
    /// 证照名称.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// 证照编号.
    pub fn number(&self) -> &str {
        &self.number
    }
    /// 持证主体 with its code (personal data for persons).
    pub fn holder(&self) -> &Holder {
        &self.holder
    }
    /// 颁发机构.
    pub fn issuer(&self) -> &Organisation {
        &self.issuer
    }
    /// 行政区划代码 of the issuing jurisdiction.
    pub fn region(&self) -> &RegionCode {
        &self.region
    }
    /// 颁发日期.
    pub fn issue_date(&self) -> Date {
        self.issue_date
    }
    /// 有效期起始日期.
    pub fn valid_from(&self) -> Date {
        self.valid_from
    }
    /// 有效期截止日期 (`None`: open-ended).
    pub fn valid_to(&self) -> Option<Date> {
        self.valid_to
    }
    /// 证照状态: the status after the last recorded status event
    /// ([`LicenseStatus::Valid`] when there is none).
    pub fn status(&self) -> LicenseStatus {
        self.status
    }
}

/// Where the next page starts: after the license with this identifier.
/// Pages are ordered by identifier (byte order), so a cursor stays valid
/// while licenses are added: keyset pagination never skips or repeats an
/// entry that existed when the first page was read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cursor(LicenseId);

impl Cursor {
    /// The cursor that starts after `id`.
    pub fn after(id: &LicenseId) -> Cursor {
        Cursor(id.clone())
    }

    /// The identifier the next page starts after.
    pub fn last_id(&self) -> &LicenseId {
        &self.0
    }

    /// The cursor as text (a license identifier), for a URL or a form.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Cursor {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Cursor, IdError> {
        LicenseId::parse(s).map(Cursor)
    }
}

/// One page of query results.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    entries: Vec<CatalogEntry>,
    next: Option<Cursor>,
}

impl Page {
    /// Makes a page from up to `limit + 1` entries in identifier order: the
    /// extra one only tells that there is a next page.
    pub(crate) fn from_overfetch(mut entries: Vec<CatalogEntry>, limit: u32) -> Page {
        let limit = limit as usize;
        let next = if entries.len() > limit {
            entries.truncate(limit);
            entries.last().map(|e| Cursor::after(e.id()))
        } else {
            None
        };
        Page { entries, next }
    }

    /// The entries, in identifier order.
    pub fn entries(&self) -> &[CatalogEntry] {
        &self.entries
    }

    /// The entries.
    pub fn into_entries(self) -> Vec<CatalogEntry> {
        self.entries
    }

    /// Where the next page starts; `None` when this is the last page.
    pub fn next(&self) -> Option<&Cursor> {
        self.next.as_ref()
    }
}

/// A directory query: every criterion given must hold (AND); results come in
/// license-identifier order, at most [`Query::page_size`] a page.
///
/// ```
/// use elicense::{LicenseStatus, Query};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let q = Query::new()
///     .type_code("11100000000013338W009".parse()?)
///     .region("330100".parse()?) // 杭州市 and its districts
///     .status(LicenseStatus::Valid)
///     .name_contains("餐饮")?
///     .limit(50)?;
/// # let _ = q;
/// # Ok(())
/// # }
/// ```
///
/// `Debug` masks a personal holder code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    holder: Option<HolderCode>,
    type_code: Option<LicenseTypeCode>,
    issuer: Option<Uscc>,
    status: Option<LicenseStatus>,
    region: Option<RegionCode>,
    valid_at: Option<Date>,
    name: Option<String>,
    after: Option<Cursor>,
    limit: u32,
}

impl Default for Query {
    fn default() -> Self {
        Query::new()
    }
}

impl Query {
    /// A query for everything, [`limits::DEFAULT_PAGE_SIZE`] entries a page.
    pub fn new() -> Query {
        Query {
            holder: None,
            type_code: None,
            issuer: None,
            status: None,
            region: None,
            valid_at: None,
            name: None,
            after: None,
            limit: limits::DEFAULT_PAGE_SIZE,
        }
    }

    /// Licenses held by this holder (code and code type both match).
    pub fn holder(mut self, code: HolderCode) -> Query {
        self.holder = Some(code);
        self
    }

    /// Licenses of this type.
    pub fn type_code(mut self, code: LicenseTypeCode) -> Query {
        self.type_code = Some(code);
        self
    }

    /// Licenses issued by this organisation (颁发机构代码).
    pub fn issuer(mut self, code: Uscc) -> Query {
        self.issuer = Some(code);
        self
    }

    /// Licenses currently in this status.
    pub fn status(mut self, status: LicenseStatus) -> Query {
        self.status = Some(status);
        self
    }

    /// Licenses issued in this region or within it: a province contains its
    /// prefectures and counties, a prefecture its counties
    /// ([`RegionCode::contains`]).
    pub fn region(mut self, region: RegionCode) -> Query {
        self.region = Some(region);
        self
    }

    /// Licenses whose validity window covers this day (valid from on or before
    /// it, valid to on or after it or open-ended). The status is a separate
    /// criterion.
    pub fn valid_at(mut self, day: Date) -> Query {
        self.valid_at = Some(day);
        self
    }

    /// Licenses whose name (证照名称) or holder name (持证主体名称) contains
    /// `text`, exactly (case-sensitive, as Chinese text has no case).
    ///
    /// # Errors
    /// [`StoreError::Text`] when `text` is empty, longer than
    /// [`limits::QUERY_TEXT_CHARS`] characters or has control characters.
    pub fn name_contains(mut self, text: impl Into<String>) -> Result<Query, StoreError> {
        let text = text.into();
        let problem = if text.is_empty() {
            Some(TextProblem::Empty)
        } else if text.chars().count() > limits::QUERY_TEXT_CHARS {
            Some(TextProblem::TooLong {
                max: limits::QUERY_TEXT_CHARS,
            })
        } else if text.chars().any(char::is_control) {
            Some(TextProblem::ControlChar)
        } else {
            None
        };
        match problem {
            Some(problem) => Err(StoreError::Text {
                what: "query name text",
                problem,
            }),
            None => {
                self.name = Some(text);
                Ok(self)
            }
        }
    }

    /// Starts after `cursor` (from [`Page::next`]).
    pub fn after(mut self, cursor: Cursor) -> Query {
        self.after = Some(cursor);
        self
    }

    /// At most `n` entries a page.
    ///
    /// # Errors
    /// [`StoreError::Limit`] unless `1 <= n <= `[`limits::MAX_PAGE_SIZE`].
    pub fn limit(mut self, n: u32) -> Result<Query, StoreError> {
        if n == 0 || n > limits::MAX_PAGE_SIZE {
            return Err(StoreError::Limit {
                what: "page size",
                max: u64::from(limits::MAX_PAGE_SIZE),
                found: u64::from(n),
            });
        }
        self.limit = n;
        Ok(self)
    }

    /// The holder criterion.
    pub fn holder_criterion(&self) -> Option<&HolderCode> {
        self.holder.as_ref()
    }
    /// The type criterion.
    pub fn type_criterion(&self) -> Option<&LicenseTypeCode> {
        self.type_code.as_ref()
    }
    /// The issuer criterion.
    pub fn issuer_criterion(&self) -> Option<&Uscc> {
        self.issuer.as_ref()
    }
    /// The status criterion.
    pub fn status_criterion(&self) -> Option<LicenseStatus> {
        self.status
    }
    /// The region criterion.
    pub fn region_criterion(&self) -> Option<&RegionCode> {
        self.region.as_ref()
    }
    /// The valid-at criterion.
    pub fn valid_at_criterion(&self) -> Option<Date> {
        self.valid_at
    }
    /// The name text criterion.
    pub fn name_criterion(&self) -> Option<&str> {
        self.name.as_deref()
    }
    /// Where the page starts.
    pub fn cursor(&self) -> Option<&Cursor> {
        self.after.as_ref()
    }
    /// Maximum entries a page.
    pub fn page_size(&self) -> u32 {
        self.limit
    }

    /// Whether `entry` meets every criterion (the cursor and page size aside):
    /// the reference meaning that every backend implements.
    pub fn matches(&self, entry: &CatalogEntry) -> bool {
        self.holder
            .as_ref()
            .is_none_or(|h| entry.holder.code() == h)
            && self.type_code.is_none_or(|t| entry.type_code == t)
            && self.issuer.is_none_or(|u| entry.issuer.code() == &u)
            && self.status.is_none_or(|s| entry.status == s)
            && self.region.is_none_or(|r| r.contains(&entry.region))
            && self
                .valid_at
                .is_none_or(|d| entry.valid_from <= d && entry.valid_to.is_none_or(|to| to >= d))
            && self
                .name
                .as_deref()
                .is_none_or(|t| entry.name.contains(t) || entry.holder.name().contains(t))
    }
}

/// The inclusive range of region codes that `region` contains, as text: a
/// province `33` is `330000..=339999`, a prefecture `3301` is
/// `330100..=330199`, a county only itself.
pub(crate) fn region_bounds(region: &RegionCode) -> (String, String) {
    let s = region.as_str();
    let keep = match region.level() {
        RegionLevel::Province => 2,
        RegionLevel::Prefecture => 4,
        _ => 6,
    };
    let prefix = s.get(..keep).unwrap_or(s);
    let low = format!("{prefix:0<6}");
    let high = format!("{prefix:9<6}");
    (low, high)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn region_bounds_agree_with_contains() {
        let r = |s: &str| RegionCode::parse(s).unwrap();
        assert_eq!(
            region_bounds(&r("330000")),
            ("330000".into(), "339999".into())
        );
        assert_eq!(
            region_bounds(&r("330100")),
            ("330100".into(), "330199".into())
        );
        assert_eq!(
            region_bounds(&r("330102")),
            ("330102".into(), "330102".into())
        );
        let all = [
            "330000", "330100", "330102", "330199", "330200", "339900", "340000", "110000",
            "110101", "330190",
        ];
        for a in all {
            let (lo, hi) = region_bounds(&r(a));
            for b in all {
                let inside = lo.as_str() <= b && b <= hi.as_str();
                assert_eq!(inside, r(a).contains(&r(b)), "{a} {b}");
            }
        }
    }

    #[test]
    fn query_limits() {
        assert!(Query::new().limit(0).is_err());
        assert!(Query::new().limit(limits::MAX_PAGE_SIZE + 1).is_err());
        assert_eq!(Query::new().limit(7).unwrap().page_size(), 7);
        assert!(Query::new().name_contains("").is_err());
        assert!(Query::new().name_contains("a\u{0}b").is_err());
        let long: String = "某".repeat(limits::QUERY_TEXT_CHARS + 1);
        assert!(matches!(
            Query::new().name_contains(long),
            Err(StoreError::Text {
                problem: TextProblem::TooLong { .. },
                ..
            })
        ));
        assert!(Query::new().name_contains("某".repeat(64)).is_ok());
    }
}
