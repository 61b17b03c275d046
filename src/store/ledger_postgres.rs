//! The resource library's ledger in a PostgreSQL store's database.

use core::fmt;
use std::collections::HashMap;
use std::sync::Arc;

use postgres::{Statement, Transaction};

use crate::date::Timestamp;
use crate::ids::{HolderCode, LicenseId, Uscc};
use crate::resource::{Dispute, DisputeId, DisputeState, Grant, Ledger, ResourceError, UseRecord};
use crate::store::StoreError;
use crate::store::ledger_sql::{
    DisputeCols, GrantCols, ID_DISPUTE, ID_GRANT, ID_USE, KIND_ID, KIND_SERIAL, SERIAL_OVERFLOW,
    StateCols, UseCols, fields_json, from_i64, store_err, to_i64,
};
use crate::store::postgres::{PgDb, pg_err, prepare};
use crate::store::sql::Param;

/// A [`Ledger`] in a `PostgresStore`'s database (and schema), made by
/// `PostgresStore::ledger`: grants, the use record, disputes and serial
/// counters survive a restart.
///
/// Every change is one transaction, retried from the start on a
/// serialization failure like the store's; counters advance with one
/// `INSERT … ON CONFLICT DO UPDATE … RETURNING`, so ledgers on any number of
/// connections never hand out the same serial or dispute number. Database
/// failures are [`ResourceError::Store`].
pub struct PostgresLedger {
    db: Arc<PgDb>,
}

impl fmt::Debug for PostgresLedger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresLedger").finish_non_exhaustive()
    }
}

type Statements = HashMap<String, Statement>;

const ADVANCE: &str = "INSERT INTO ledger_counters (kind, name, last) VALUES ($1, $2, $3) \
     ON CONFLICT (kind, name) DO UPDATE SET last = ledger_counters.last + excluded.last \
     WHERE ledger_counters.last <= $4 RETURNING last";

/// Advances counter (`kind`, `name`) by `by` in `tx`: the new value, or
/// `None` when it would overflow.
fn advance(
    tx: &mut Transaction<'_>,
    statements: &mut Statements,
    kind: &str,
    name: &str,
    by: i64,
) -> Result<Option<i64>, StoreError> {
    let limit = i64::MAX - by;
    let stmt = prepare(statements, tx, ADVANCE)?;
    let row = tx
        .query_opt(&stmt, &[&kind, &name, &by, &limit])
        .map_err(pg_err)?;
    row.map(|r| r.try_get(0).map_err(pg_err)).transpose()
}

/// The next row number of a table.
fn next_id(
    tx: &mut Transaction<'_>,
    statements: &mut Statements,
    name: &str,
) -> Result<Option<i64>, StoreError> {
    advance(tx, statements, KIND_ID, name, 1)
}

const USE_COLUMNS: &str = "id, accessor, accessor_name, action, holder_code_type, holder_code, \
     type_code, license_id, at, purpose, result, count";
const DISPUTE_COLUMNS: &str = "id, license_id, fields, reason, raised_at, state, corrected, \
     decision, decided_at";

fn get<'a, T: postgres::types::FromSql<'a>>(
    r: &'a postgres::Row,
    i: usize,
) -> Result<T, ResourceError> {
    r.try_get(i).map_err(|e| store_err(pg_err(e)))
}

fn dispute_row(r: &postgres::Row) -> Result<DisputeCols, ResourceError> {
    Ok(DisputeCols {
        id: get(r, 0)?,
        license_id: get(r, 1)?,
        fields: get(r, 2)?,
        reason: get(r, 3)?,
        raised_at: get(r, 4)?,
        state: get(r, 5)?,
        corrected: get(r, 6)?,
        decision: get(r, 7)?,
        decided_at: get(r, 8)?,
    })
}

impl PostgresLedger {
    pub(crate) fn new(db: Arc<PgDb>) -> PostgresLedger {
        PostgresLedger { db }
    }

    fn write<T>(
        &self,
        f: impl FnMut(&mut Transaction<'_>, &mut Statements) -> Result<T, StoreError>,
    ) -> Result<T, ResourceError> {
        self.db.write(f).map_err(store_err)
    }

    fn read(&self, text: &str, params: &[Param]) -> Result<Vec<postgres::Row>, ResourceError> {
        self.db.read_rows(text, params).map_err(store_err)
    }

    /// Inserts a row numbered by counter `name` with `insert` (whose `$1` is
    /// the number and whose other parameters are `params`); the number.
    fn insert_numbered(
        &self,
        name: &str,
        insert: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<i64, ResourceError> {
        let id = self.write(|tx, statements| {
            let Some(id) = next_id(tx, statements, name)? else {
                return Ok(None);
            };
            let stmt = prepare(statements, tx, insert)?;
            let mut all: Vec<&(dyn postgres::types::ToSql + Sync)> =
                Vec::with_capacity(params.len() + 1);
            all.push(&id);
            all.extend_from_slice(params);
            tx.execute(&stmt, &all).map_err(pg_err)?;
            Ok(Some(id))
        })?;
        id.ok_or(SERIAL_OVERFLOW)
    }
}

impl Ledger for PostgresLedger {
    fn last_serial(&self, scope: &str) -> Result<u64, ResourceError> {
        let rows = self.read(
            "SELECT last FROM ledger_counters WHERE kind = $1 AND name = $2",
            &[
                Param::Text(KIND_SERIAL.to_owned()),
                Param::Text(scope.to_owned()),
            ],
        )?;
        match rows.first() {
            None => Ok(0),
            Some(r) => from_i64(get(r, 0)?, "ledger counter"),
        }
    }

    fn set_last_serial(&self, scope: &str, n: u64) -> Result<(), ResourceError> {
        let n = to_i64(n)?;
        self.write(|tx, statements| {
            let stmt = prepare(
                statements,
                tx,
                "INSERT INTO ledger_counters (kind, name, last) VALUES ($1, $2, $3) \
                 ON CONFLICT (kind, name) DO UPDATE SET last = excluded.last",
            )?;
            tx.execute(&stmt, &[&KIND_SERIAL, &scope, &n])
                .map_err(pg_err)?;
            Ok(())
        })
    }

    fn advance_serial(&self, scope: &str, count: u64) -> Result<u64, ResourceError> {
        let by = to_i64(count)?;
        let last = self.write(|tx, statements| advance(tx, statements, KIND_SERIAL, scope, by))?;
        from_i64(last.ok_or(SERIAL_OVERFLOW)?, "ledger counter")
    }

    fn add_grant(&self, grant: Grant) -> Result<(), ResourceError> {
        let g = GrantCols::new(&grant);
        self.insert_numbered(
            ID_GRANT,
            "INSERT INTO ledger_grants (id, accessor, type_code, holder_code_type, \
             holder_code, source, until) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &g.accessor,
                &g.type_code,
                &g.holder_code_type,
                &g.holder_code,
                &g.source,
                &g.until,
            ],
        )?;
        Ok(())
    }

    fn remove_grant(&self, grant: &Grant) -> Result<usize, ResourceError> {
        let g = GrantCols::new(grant);
        let n = self.write(|tx, statements| {
            let stmt = prepare(
                statements,
                tx,
                "DELETE FROM ledger_grants WHERE accessor = $1 AND type_code = $2 \
                 AND holder_code_type IS NOT DISTINCT FROM $3 \
                 AND holder_code IS NOT DISTINCT FROM $4 AND source = $5 \
                 AND until IS NOT DISTINCT FROM $6",
            )?;
            tx.execute(
                &stmt,
                &[
                    &g.accessor,
                    &g.type_code,
                    &g.holder_code_type,
                    &g.holder_code,
                    &g.source,
                    &g.until,
                ],
            )
            .map_err(pg_err)
        })?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn grants_of(&self, accessor: &Uscc) -> Result<Vec<Grant>, ResourceError> {
        let rows = self.read(
            "SELECT id, accessor, type_code, holder_code_type, holder_code, source, until \
             FROM ledger_grants WHERE accessor = $1 ORDER BY id",
            &[Param::Text(accessor.as_str().to_owned())],
        )?;
        rows.iter()
            .map(|r| {
                GrantCols {
                    accessor: get(r, 1)?,
                    type_code: get(r, 2)?,
                    holder_code_type: get(r, 3)?,
                    holder_code: get(r, 4)?,
                    source: get(r, 5)?,
                    until: get(r, 6)?,
                }
                .into_grant(get(r, 0)?)
            })
            .collect()
    }

    fn append_use(&self, record: UseRecord) -> Result<(), ResourceError> {
        let u = UseCols::new(&record)?;
        self.insert_numbered(
            ID_USE,
            &format!(
                "INSERT INTO ledger_uses ({USE_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
            ),
            &[
                &u.accessor,
                &u.accessor_name,
                &u.action,
                &u.holder_code_type,
                &u.holder_code,
                &u.type_code,
                &u.license_id,
                &u.at,
                &u.purpose,
                &u.result,
                &u.count,
            ],
        )?;
        Ok(())
    }

    fn uses_of(&self, holder: &HolderCode) -> Result<Vec<UseRecord>, ResourceError> {
        let rows = self.read(
            &format!(
                "SELECT {USE_COLUMNS} FROM ledger_uses \
                 WHERE holder_code = $1 AND holder_code_type = $2 ORDER BY id"
            ),
            &[
                Param::Text(holder.value().to_owned()),
                Param::Text(holder.code_type().as_str().to_owned()),
            ],
        )?;
        rows.iter()
            .map(|r| {
                UseCols {
                    accessor: get(r, 1)?,
                    accessor_name: get(r, 2)?,
                    action: get(r, 3)?,
                    holder_code_type: get(r, 4)?,
                    holder_code: get(r, 5)?,
                    type_code: get(r, 6)?,
                    license_id: get(r, 7)?,
                    at: get(r, 8)?,
                    purpose: get(r, 9)?,
                    result: get(r, 10)?,
                    count: get(r, 11)?,
                }
                .into_use(get(r, 0)?)
            })
            .collect()
    }

    fn add_dispute(
        &self,
        license: LicenseId,
        fields: Vec<String>,
        reason: String,
        raised_at: Timestamp,
    ) -> Result<DisputeId, ResourceError> {
        let fields = fields_json(&fields)?;
        let st = StateCols::new(&DisputeState::UnderReview);
        let id = self.insert_numbered(
            ID_DISPUTE,
            &format!(
                "INSERT INTO ledger_disputes ({DISPUTE_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            ),
            &[
                &license.as_str(),
                &fields,
                &reason,
                &raised_at.unix(),
                &st.state,
                &st.corrected,
                &st.decision,
                &st.decided_at,
            ],
        )?;
        Ok(DisputeId(from_i64(id, "ledger dispute")?))
    }

    fn dispute(&self, id: DisputeId) -> Result<Option<Dispute>, ResourceError> {
        let Ok(key) = i64::try_from(id.get()) else {
            return Ok(None);
        };
        let rows = self.read(
            &format!("SELECT {DISPUTE_COLUMNS} FROM ledger_disputes WHERE id = $1"),
            &[Param::Int(key)],
        )?;
        rows.first()
            .map(|r| dispute_row(r).and_then(DisputeCols::into_dispute))
            .transpose()
    }

    fn set_dispute_state(&self, id: DisputeId, state: DisputeState) -> Result<(), ResourceError> {
        let key = i64::try_from(id.get()).map_err(|_| ResourceError::UnknownDispute(id))?;
        let st = StateCols::new(&state);
        let n = self.write(|tx, statements| {
            let stmt = prepare(
                statements,
                tx,
                "UPDATE ledger_disputes SET state = $1, corrected = $2, decision = $3, \
                 decided_at = $4 WHERE id = $5",
            )?;
            tx.execute(
                &stmt,
                &[&st.state, &st.corrected, &st.decision, &st.decided_at, &key],
            )
            .map_err(pg_err)
        })?;
        if n == 0 {
            return Err(ResourceError::UnknownDispute(id));
        }
        Ok(())
    }

    fn disputes_of(&self, license: &LicenseId) -> Result<Vec<Dispute>, ResourceError> {
        let rows = self.read(
            &format!(
                "SELECT {DISPUTE_COLUMNS} FROM ledger_disputes WHERE license_id = $1 ORDER BY id"
            ),
            &[Param::Text(license.as_str().to_owned())],
        )?;
        rows.iter()
            .map(|r| dispute_row(r).and_then(DisputeCols::into_dispute))
            .collect()
    }
}
