//! What the SQL backends share: the catalog columns of a license, reading
//! them back, and the WHERE clause of a directory query. Every value reaches
//! the database as a bound parameter; the SQL text is made of fixed fragments.

use core::fmt::Write as _;

use sha2::Digest;

use crate::catalog::{CatalogEntry, Query, region_bounds};
use crate::date::Date;
use crate::document::SignedLicense;
use crate::ids::{HolderCode, LicenseId, LicenseTypeCode, RegionCode, Uscc};
use crate::model::{Holder, LicenseStatus, Organisation};
use crate::store::StoreError;

/// The catalog columns of `licenses` (alias `l`), in [`EntryRow`] order.
pub(crate) const ENTRY_COLUMNS: &str = "l.id, l.type_code, l.name, l.number, l.holder_name, \
     l.holder_code_type, l.holder_code, l.issuer_name, l.issuer_code, l.region, l.issue_date, \
     l.valid_from, l.valid_to, l.status";

/// The values stored for one license.
pub(crate) struct LicenseRow<'a> {
    pub(crate) id: &'a str,
    pub(crate) type_code: &'a str,
    pub(crate) name: &'a str,
    pub(crate) number: &'a str,
    pub(crate) holder_name: &'a str,
    pub(crate) holder_code_type: String,
    pub(crate) holder_code: &'a str,
    pub(crate) issuer_name: &'a str,
    pub(crate) issuer_code: &'a str,
    pub(crate) region: &'a str,
    pub(crate) issue_date: String,
    pub(crate) valid_from: String,
    pub(crate) valid_to: Option<String>,
    pub(crate) sha256: [u8; 32],
    pub(crate) document: &'a [u8],
}

impl<'a> LicenseRow<'a> {
    pub(crate) fn new(doc: &'a SignedLicense) -> LicenseRow<'a> {
        let l = doc.license();
        LicenseRow {
            id: l.id().as_str(),
            type_code: l.type_code().as_str(),
            name: l.name(),
            number: l.number(),
            holder_name: l.holder().name(),
            holder_code_type: l.holder().code().code_type().as_str().to_owned(),
            holder_code: l.holder().code().value(),
            issuer_name: l.issuer().name(),
            issuer_code: l.issuer().code().as_str(),
            region: l.region().as_str(),
            issue_date: l.issue_date().to_string(),
            valid_from: l.valid_from().to_string(),
            valid_to: l.valid_to().map(|d| d.to_string()),
            sha256: sha256(doc.as_bytes()),
            document: doc.as_bytes(),
        }
    }
}

/// The rows of a batch; digests are computed in parallel for large batches.
pub(crate) fn rows(licenses: &[SignedLicense]) -> Vec<LicenseRow<'_>> {
    use rayon::prelude::*;
    if licenses.len() >= 64 {
        licenses.par_iter().map(LicenseRow::new).collect()
    } else {
        licenses.iter().map(LicenseRow::new).collect()
    }
}

pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(bytes).into()
}

/// The catalog columns as read back, in [`ENTRY_COLUMNS`] order.
pub(crate) struct EntryRow {
    pub(crate) id: String,
    pub(crate) type_code: String,
    pub(crate) name: String,
    pub(crate) number: String,
    pub(crate) holder_name: String,
    pub(crate) holder_code_type: String,
    pub(crate) holder_code: String,
    pub(crate) issuer_name: String,
    pub(crate) issuer_code: String,
    pub(crate) region: String,
    pub(crate) issue_date: String,
    pub(crate) valid_from: String,
    pub(crate) valid_to: Option<String>,
    pub(crate) status: String,
}

impl EntryRow {
    /// Checks every column again (what is read is validated like input).
    pub(crate) fn into_entry(self) -> Result<CatalogEntry, StoreError> {
        let key: String = self.id.chars().take(128).collect();
        let corrupt = || StoreError::Corrupt {
            what: "catalog entry",
            key: key.clone(),
        };
        let id = LicenseId::parse(&self.id).map_err(|_| corrupt())?;
        let type_code = LicenseTypeCode::parse(&self.type_code).map_err(|_| corrupt())?;
        let code =
            HolderCode::new(&self.holder_code_type, &self.holder_code).map_err(|_| corrupt())?;
        let holder = Holder::new(self.holder_name, code).map_err(|_| corrupt())?;
        let issuer_code = Uscc::parse(&self.issuer_code).map_err(|_| corrupt())?;
        let issuer = Organisation::new(self.issuer_name, issuer_code).map_err(|_| corrupt())?;
        let region = RegionCode::parse(&self.region).map_err(|_| corrupt())?;
        let issue_date = Date::parse(&self.issue_date).map_err(|_| corrupt())?;
        let valid_from = Date::parse(&self.valid_from).map_err(|_| corrupt())?;
        let valid_to = match &self.valid_to {
            Some(s) => Some(Date::parse(s).map_err(|_| corrupt())?),
            None => None,
        };
        let status = LicenseStatus::from_code(&self.status).map_err(|_| corrupt())?;
        Ok(CatalogEntry::from_parts(
            id,
            type_code,
            self.name,
            self.number,
            holder,
            issuer,
            region,
            (issue_date, valid_from, valid_to),
            status,
        ))
    }
}

/// Which placeholder syntax and name search to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// `?N` placeholders; name search through the FTS5 trigram table.
    Sqlite,
    /// `$N` placeholders; name search with LIKE (served by pg_trgm when present).
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Postgres,
}

/// A bound parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Param {
    Text(String),
    Int(i64),
}

/// A WHERE clause (with `WHERE`, or empty) and its parameters.
pub(crate) struct Filter {
    pub(crate) sql: String,
    pub(crate) params: Vec<Param>,
    dialect: Dialect,
}

impl Filter {
    fn new(dialect: Dialect) -> Filter {
        Filter {
            sql: String::new(),
            params: Vec::new(),
            dialect,
        }
    }

    /// Adds a parameter and returns its placeholder.
    pub(crate) fn bind(&mut self, p: Param) -> String {
        self.params.push(p);
        match self.dialect {
            Dialect::Sqlite => format!("?{}", self.params.len()),
            Dialect::Postgres => format!("${}", self.params.len()),
        }
    }

    fn and(&mut self, condition: &str) {
        self.sql.push_str(if self.sql.is_empty() {
            " WHERE "
        } else {
            " AND "
        });
        self.sql.push_str(condition);
    }

    fn eq(&mut self, column: &str, value: &str) {
        let p = self.bind(Param::Text(value.to_owned()));
        self.and(&format!("{column} = {p}"));
    }
}

/// Escapes `text` for a LIKE pattern with `\` as the escape character.
fn like_contains(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The WHERE clause of `q` over `licenses l`; with the cursor if `paged`.
pub(crate) fn filter(q: &Query, dialect: Dialect, paged: bool) -> Filter {
    let mut f = Filter::new(dialect);
    if let Some(h) = q.holder_criterion() {
        f.eq("l.holder_code", h.value());
        f.eq("l.holder_code_type", h.code_type().as_str());
    }
    if let Some(t) = q.type_criterion() {
        f.eq("l.type_code", t.as_str());
    }
    if let Some(s) = q.status_criterion() {
        f.eq("l.status", s.code());
    }
    if let Some(u) = q.issuer_criterion() {
        f.eq("l.issuer_code", u.as_str());
    }
    if let Some(r) = q.region_criterion() {
        let (low, high) = region_bounds(r);
        if low == high {
            f.eq("l.region", &low);
        } else {
            let a = f.bind(Param::Text(low));
            let b = f.bind(Param::Text(high));
            f.and(&format!("l.region BETWEEN {a} AND {b}"));
        }
    }
    if let Some(d) = q.valid_at_criterion() {
        let a = f.bind(Param::Text(d.to_string()));
        let b = f.bind(Param::Text(d.to_string()));
        f.and(&format!(
            "l.valid_from <= {a} AND (l.valid_to IS NULL OR l.valid_to >= {b})"
        ));
    }
    if let Some(text) = q.name_criterion() {
        match dialect {
            Dialect::Sqlite => {
                // The trigram index finds candidates for 3 or more characters;
                // instr() is the exact test (and the only one for shorter text).
                if text.chars().count() >= 3 {
                    let phrase = format!("\"{}\"", text.replace('"', "\"\""));
                    let p = f.bind(Param::Text(phrase));
                    f.and(&format!(
                        "l.pk IN (SELECT rowid FROM licenses_fts WHERE licenses_fts MATCH {p})"
                    ));
                }
                let p = f.bind(Param::Text(text.to_owned()));
                f.and(&format!(
                    "(instr(l.name, {p}) > 0 OR instr(l.holder_name, {p}) > 0)"
                ));
            }
            Dialect::Postgres => {
                let p = f.bind(Param::Text(like_contains(text)));
                f.and(&format!("(l.name LIKE {p} OR l.holder_name LIKE {p})"));
            }
        }
    }
    if paged && let Some(c) = q.cursor() {
        let p = f.bind(Param::Text(c.as_str().to_owned()));
        f.and(&format!("l.id > {p}"));
    }
    f
}

/// `SELECT <entry columns> FROM licenses l WHERE … ORDER BY l.id LIMIT n+1`.
pub(crate) fn page_sql(q: &Query, dialect: Dialect) -> (String, Vec<Param>) {
    let mut f = filter(q, dialect, true);
    let limit = f.bind(Param::Int(i64::from(q.page_size()) + 1));
    let mut sql = String::with_capacity(512);
    let _ = write!(
        sql,
        "SELECT {ENTRY_COLUMNS} FROM licenses l{} ORDER BY l.id LIMIT {limit}",
        f.sql
    );
    (sql, f.params)
}

/// `SELECT count(*) FROM licenses l WHERE …`.
pub(crate) fn count_sql(q: &Query, dialect: Dialect) -> (String, Vec<Param>) {
    let f = filter(q, dialect, false);
    (
        format!("SELECT count(*) FROM licenses l{}", f.sql),
        f.params,
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::LicenseStatus;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_contains("a%b_c\\d"), "%a\\%b\\_c\\\\d%");
        assert_eq!(like_contains("餐饮"), "%餐饮%");
    }

    #[test]
    fn user_text_only_in_parameters() {
        let evil = "x'; DROP TABLE licenses; --";
        let q = Query::new()
            .name_contains(evil)
            .unwrap()
            .status(LicenseStatus::Valid)
            .region("330100".parse().unwrap());
        for d in [Dialect::Sqlite, Dialect::Postgres] {
            let (sql, params) = page_sql(&q, d);
            assert!(!sql.contains("DROP"), "{sql}");
            assert!(
                params
                    .iter()
                    .any(|p| matches!(p, Param::Text(t) if t.contains("DROP")))
            );
        }
    }
}
