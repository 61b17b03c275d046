//! The resource library's ledger in a SQLite store's database.

use core::fmt;
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, Transaction};

use crate::date::Timestamp;
use crate::ids::{HolderCode, LicenseId, Uscc};
use crate::resource::{Dispute, DisputeId, DisputeState, Grant, Ledger, ResourceError, UseRecord};
use crate::store::StoreError;
use crate::store::ledger_sql::{
    DisputeCols, GrantCols, ID_DISPUTE, ID_GRANT, ID_USE, KIND_ID, KIND_SERIAL, SERIAL_OVERFLOW,
    StateCols, UseCols, fields_json, from_i64, store_err, to_i64,
};
use crate::store::sqlite::{SqliteDb, sql_err};

/// A [`Ledger`] in a [`SqliteStore`](crate::SqliteStore)'s database, made by
/// [`SqliteStore::ledger`](crate::SqliteStore::ledger): grants, the use
/// record, disputes and serial counters survive a restart.
///
/// Every change is one `IMMEDIATE` transaction on the store's writer
/// connection, so ledgers of several processes sharing the file never hand
/// out the same serial or dispute number. Database failures are
/// [`ResourceError::Store`].
pub struct SqliteLedger {
    db: Arc<SqliteDb>,
}

impl fmt::Debug for SqliteLedger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteLedger").finish_non_exhaustive()
    }
}

/// Advances counter (`kind`, `name`) by `by` in `tx`; the new value.
fn advance(tx: &Transaction<'_>, kind: &str, name: &str, by: u64) -> Result<u64, ResourceError> {
    let by = to_i64(by)?;
    let limit = i64::MAX - by;
    let last: Option<i64> = tx
        .prepare_cached(
            "INSERT INTO ledger_counters (kind, name, last) VALUES (?1, ?2, ?3) \
             ON CONFLICT (kind, name) DO UPDATE SET last = ledger_counters.last + excluded.last \
             WHERE ledger_counters.last <= ?4 RETURNING last",
        )
        .and_then(|mut s| {
            s.query_row(rusqlite::params![kind, name, by, limit], |r| r.get(0))
                .optional()
        })
        .map_err(|e| store_err(sql_err(e)))?;
    let last = last.ok_or(SERIAL_OVERFLOW)?;
    from_i64(last, "ledger counter")
}

fn next_id(tx: &Transaction<'_>, name: &str) -> Result<i64, ResourceError> {
    to_i64(advance(tx, KIND_ID, name, 1)?)
}

const USE_COLUMNS: &str = "id, accessor, accessor_name, action, holder_code_type, holder_code, \
     type_code, license_id, at, purpose, result, count";
const DISPUTE_COLUMNS: &str = "id, license_id, fields, reason, raised_at, state, corrected, \
     decision, decided_at";

fn dispute_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DisputeCols> {
    Ok(DisputeCols {
        id: r.get(0)?,
        license_id: r.get(1)?,
        fields: r.get(2)?,
        reason: r.get(3)?,
        raised_at: r.get(4)?,
        state: r.get(5)?,
        corrected: r.get(6)?,
        decision: r.get(7)?,
        decided_at: r.get(8)?,
    })
}

impl SqliteLedger {
    pub(crate) fn new(db: Arc<SqliteDb>) -> SqliteLedger {
        SqliteLedger { db }
    }

    fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, ResourceError>,
    ) -> Result<T, ResourceError> {
        self.db.write(f)
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, ResourceError> {
        self.db.read(f).map_err(store_err)
    }
}

impl Ledger for SqliteLedger {
    fn last_serial(&self, scope: &str) -> Result<u64, ResourceError> {
        let last: Option<i64> = self.read(|c| {
            c.prepare_cached("SELECT last FROM ledger_counters WHERE kind = ?1 AND name = ?2")
                .and_then(|mut s| s.query_row([KIND_SERIAL, scope], |r| r.get(0)).optional())
                .map_err(sql_err)
        })?;
        last.map_or(Ok(0), |n| from_i64(n, "ledger counter"))
    }

    fn set_last_serial(&self, scope: &str, n: u64) -> Result<(), ResourceError> {
        let n = to_i64(n)?;
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO ledger_counters (kind, name, last) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (kind, name) DO UPDATE SET last = excluded.last",
            )
            .and_then(|mut s| s.execute(rusqlite::params![KIND_SERIAL, scope, n]))
            .map_err(|e| store_err(sql_err(e)))?;
            Ok(())
        })
    }

    fn advance_serial(&self, scope: &str, count: u64) -> Result<u64, ResourceError> {
        self.write(|tx| advance(tx, KIND_SERIAL, scope, count))
    }

    fn add_grant(&self, grant: Grant) -> Result<(), ResourceError> {
        let g = GrantCols::new(&grant);
        self.write(|tx| {
            let id = next_id(tx, ID_GRANT)?;
            tx.prepare_cached(
                "INSERT INTO ledger_grants (id, accessor, type_code, holder_code_type, \
                 holder_code, source, until) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut s| {
                s.execute(rusqlite::params![
                    id,
                    g.accessor,
                    g.type_code,
                    g.holder_code_type,
                    g.holder_code,
                    g.source,
                    g.until,
                ])
            })
            .map_err(|e| store_err(sql_err(e)))?;
            Ok(())
        })
    }

    fn remove_grant(&self, grant: &Grant) -> Result<usize, ResourceError> {
        let g = GrantCols::new(grant);
        self.write(|tx| {
            tx.prepare_cached(
                "DELETE FROM ledger_grants WHERE accessor = ?1 AND type_code = ?2 \
                 AND holder_code_type IS ?3 AND holder_code IS ?4 AND source = ?5 \
                 AND until IS ?6",
            )
            .and_then(|mut s| {
                s.execute(rusqlite::params![
                    g.accessor,
                    g.type_code,
                    g.holder_code_type,
                    g.holder_code,
                    g.source,
                    g.until,
                ])
            })
            .map_err(|e| store_err(sql_err(e)))
        })
    }

    fn grants_of(&self, accessor: &Uscc) -> Result<Vec<Grant>, ResourceError> {
        let rows: Vec<(i64, GrantCols)> = self.read(|c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id, accessor, type_code, holder_code_type, holder_code, source, \
                     until FROM ledger_grants WHERE accessor = ?1 ORDER BY id",
                )
                .map_err(sql_err)?;
            let rows = stmt
                .query_map([accessor.as_str()], |r| {
                    Ok((
                        r.get(0)?,
                        GrantCols {
                            accessor: r.get(1)?,
                            type_code: r.get(2)?,
                            holder_code_type: r.get(3)?,
                            holder_code: r.get(4)?,
                            source: r.get(5)?,
                            until: r.get(6)?,
                        },
                    ))
                })
                .map_err(sql_err)?;
            rows.collect::<Result<_, _>>().map_err(sql_err)
        })?;
        rows.into_iter().map(|(id, g)| g.into_grant(id)).collect()
    }

    fn append_use(&self, record: UseRecord) -> Result<(), ResourceError> {
        let u = UseCols::new(&record)?;
        self.write(|tx| {
            let id = next_id(tx, ID_USE)?;
            tx.prepare_cached(&format!(
                "INSERT INTO ledger_uses ({USE_COLUMNS}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
            ))
            .and_then(|mut s| {
                s.execute(rusqlite::params![
                    id,
                    u.accessor,
                    u.accessor_name,
                    u.action,
                    u.holder_code_type,
                    u.holder_code,
                    u.type_code,
                    u.license_id,
                    u.at,
                    u.purpose,
                    u.result,
                    u.count,
                ])
            })
            .map_err(|e| store_err(sql_err(e)))?;
            Ok(())
        })
    }

    fn uses_of(&self, holder: &HolderCode) -> Result<Vec<UseRecord>, ResourceError> {
        let rows: Vec<(i64, UseCols)> = self.read(|c| {
            let mut stmt = c
                .prepare_cached(&format!(
                    "SELECT {USE_COLUMNS} FROM ledger_uses \
                     WHERE holder_code = ?1 AND holder_code_type = ?2 ORDER BY id"
                ))
                .map_err(sql_err)?;
            let rows = stmt
                .query_map([holder.value(), holder.code_type().as_str()], |r| {
                    Ok((
                        r.get(0)?,
                        UseCols {
                            accessor: r.get(1)?,
                            accessor_name: r.get(2)?,
                            action: r.get(3)?,
                            holder_code_type: r.get(4)?,
                            holder_code: r.get(5)?,
                            type_code: r.get(6)?,
                            license_id: r.get(7)?,
                            at: r.get(8)?,
                            purpose: r.get(9)?,
                            result: r.get(10)?,
                            count: r.get(11)?,
                        },
                    ))
                })
                .map_err(sql_err)?;
            rows.collect::<Result<_, _>>().map_err(sql_err)
        })?;
        rows.into_iter().map(|(id, u)| u.into_use(id)).collect()
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
        self.write(|tx| {
            let id = next_id(tx, ID_DISPUTE)?;
            tx.prepare_cached(&format!(
                "INSERT INTO ledger_disputes ({DISPUTE_COLUMNS}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
            ))
            .and_then(|mut s| {
                s.execute(rusqlite::params![
                    id,
                    license.as_str(),
                    fields,
                    reason,
                    raised_at.unix(),
                    st.state,
                    st.corrected,
                    st.decision,
                    st.decided_at,
                ])
            })
            .map_err(|e| store_err(sql_err(e)))?;
            Ok(DisputeId(from_i64(id, "ledger dispute")?))
        })
    }

    fn dispute(&self, id: DisputeId) -> Result<Option<Dispute>, ResourceError> {
        let Ok(key) = i64::try_from(id.get()) else {
            return Ok(None);
        };
        let row = self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {DISPUTE_COLUMNS} FROM ledger_disputes WHERE id = ?1"
            ))
            .and_then(|mut s| s.query_row([key], dispute_row).optional())
            .map_err(sql_err)
        })?;
        row.map(DisputeCols::into_dispute).transpose()
    }

    fn set_dispute_state(&self, id: DisputeId, state: DisputeState) -> Result<(), ResourceError> {
        let key = i64::try_from(id.get()).map_err(|_| ResourceError::UnknownDispute(id))?;
        let st = StateCols::new(&state);
        let n = self.write(|tx| {
            tx.prepare_cached(
                "UPDATE ledger_disputes SET state = ?1, corrected = ?2, decision = ?3, \
                 decided_at = ?4 WHERE id = ?5",
            )
            .and_then(|mut s| {
                s.execute(rusqlite::params![
                    st.state,
                    st.corrected,
                    st.decision,
                    st.decided_at,
                    key
                ])
            })
            .map_err(|e| store_err(sql_err(e)))
        })?;
        if n == 0 {
            return Err(ResourceError::UnknownDispute(id));
        }
        Ok(())
    }

    fn disputes_of(&self, license: &LicenseId) -> Result<Vec<Dispute>, ResourceError> {
        let rows: Vec<DisputeCols> = self.read(|c| {
            let mut stmt = c
                .prepare_cached(&format!(
                    "SELECT {DISPUTE_COLUMNS} FROM ledger_disputes \
                     WHERE license_id = +?1 ORDER BY id"
                ))
                .map_err(sql_err)?;
            let rows = stmt
                .query_map([license.as_str()], dispute_row)
                .map_err(sql_err)?;
            rows.collect::<Result<_, _>>().map_err(sql_err)
        })?;
        rows.into_iter().map(DisputeCols::into_dispute).collect()
    }
}
