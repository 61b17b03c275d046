//! The SQLite backend: one file in WAL mode (or a database in memory).
//!
//! One writer connection takes every change as an `IMMEDIATE` transaction;
//! reads go through a small pool of read-only connections, each reading a
//! consistent snapshot, so readers never wait for a writer and never see half
//! a batch. Commits are durable (`synchronous = FULL`).

use core::fmt;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};

use crate::catalog::{CatalogEntry, Page, Query};
use crate::date::Timestamp;
use crate::document::SignedLicense;
use crate::ids::{LicenseId, LicenseTypeCode};
use crate::model::{LicenseStatus, LicenseType, Operation};
use crate::store::memory::{
    NextStatus, check_attachment_len, check_batch_len, next_status, next_superseded,
};
use crate::store::sql::{self, Dialect, EntryRow, Param};
use crate::store::tokens::{self, AccessToken, TokenStore};
use crate::store::{
    BackendError, Inserted, LicenseStore, RecordedEvent, STORE_SCHEMA_VERSION, SqliteLedger,
    StatusEvent, StatusHistory, StoreError, check_issued, check_successor, limits,
};

/// Idle read connections kept open.
const IDLE_READERS: usize = 8;
/// How long a connection waits for a lock held by another process.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Schema version 1. `pk` is SQLite's own row key (never exposed, never
/// shared): it joins a license to its document and its full-text row.
const V1: &str = r#"
CREATE TABLE license_types (
    code TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    definition TEXT NOT NULL,
    PRIMARY KEY (code, version)
) WITHOUT ROWID;

CREATE TABLE licenses (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    type_code TEXT NOT NULL,
    name TEXT NOT NULL,
    number TEXT NOT NULL,
    holder_name TEXT NOT NULL,
    holder_code_type TEXT NOT NULL,
    holder_code TEXT NOT NULL,
    issuer_name TEXT NOT NULL,
    issuer_code TEXT NOT NULL,
    region TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    status TEXT NOT NULL,
    document_sha256 BLOB NOT NULL
);
CREATE INDEX licenses_holder ON licenses (holder_code, holder_code_type, id);
CREATE INDEX licenses_type ON licenses (type_code, status, id);
CREATE INDEX licenses_issuer ON licenses (issuer_code, id);
CREATE INDEX licenses_region ON licenses (region, id);

CREATE TABLE documents (
    pk INTEGER PRIMARY KEY,
    bytes BLOB NOT NULL
);

CREATE VIRTUAL TABLE licenses_fts USING fts5 (
    name, holder_name,
    content = 'licenses', content_rowid = 'pk',
    tokenize = 'trigram case_sensitive 1'
);

CREATE TABLE status_events (
    license_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    operation TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    PRIMARY KEY (license_id, seq)
) WITHOUT ROWID;

CREATE TABLE attachments (
    sha256 BLOB NOT NULL PRIMARY KEY,
    size INTEGER NOT NULL,
    chunks INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE attachment_chunks (
    sha256 BLOB NOT NULL,
    idx INTEGER NOT NULL,
    data BLOB NOT NULL,
    UNIQUE (sha256, idx)
);
"#;

/// Schema version 2: the resource library's ledger (see `ledger_sql`).
const V2: &str = r#"
CREATE TABLE ledger_counters (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (kind, name)
) WITHOUT ROWID;

CREATE TABLE ledger_grants (
    id INTEGER NOT NULL PRIMARY KEY,
    accessor TEXT NOT NULL,
    type_code TEXT NOT NULL,
    holder_code_type TEXT,
    holder_code TEXT,
    source TEXT NOT NULL,
    until INTEGER
);
CREATE INDEX ledger_grants_accessor ON ledger_grants (accessor, id);

CREATE TABLE ledger_uses (
    id INTEGER NOT NULL PRIMARY KEY,
    accessor TEXT NOT NULL,
    accessor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    holder_code_type TEXT,
    holder_code TEXT,
    type_code TEXT,
    license_id TEXT,
    at INTEGER NOT NULL,
    purpose TEXT NOT NULL,
    result TEXT NOT NULL,
    count INTEGER
);
CREATE INDEX ledger_uses_holder ON ledger_uses (holder_code, holder_code_type, id);

CREATE TABLE ledger_disputes (
    id INTEGER NOT NULL PRIMARY KEY,
    license_id TEXT NOT NULL,
    fields TEXT NOT NULL,
    reason TEXT NOT NULL,
    raised_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    corrected TEXT,
    decision TEXT,
    decided_at INTEGER
);
CREATE INDEX ledger_disputes_license ON ledger_disputes (license_id, id);
"#;

/// Schema version 3 (issue 12, the HTTP service): API access tokens, stored
/// as the SHA-256 of their secret (see `tokens`). Self-contained: it creates
/// one table and touches nothing else.
const V3_ACCESS_TOKENS: &str = r#"
CREATE TABLE access_tokens (
    key_id TEXT NOT NULL PRIMARY KEY,
    digest TEXT NOT NULL,
    accessor_name TEXT NOT NULL,
    accessor TEXT NOT NULL,
    grants TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
"#;

/// Migrations by the version they lead to.
const MIGRATIONS: &[(i64, &str)] = &[(1, V1), (2, V2), (3, V3_ACCESS_TOKENS)];

pub(crate) fn sql_err(e: rusqlite::Error) -> StoreError {
    let code = match &e {
        rusqlite::Error::SqliteFailure(f, _) => Some(f.extended_code.to_string()),
        _ => None,
    };
    StoreError::Backend(BackendError::new("sqlite", code, e.to_string()))
}

fn to_value(p: &Param) -> rusqlite::types::Value {
    match p {
        Param::Text(s) => rusqlite::types::Value::Text(s.clone()),
        Param::Int(i) => rusqlite::types::Value::Integer(*i),
    }
}

fn entry_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<EntryRow> {
    Ok(EntryRow {
        id: r.get(0)?,
        type_code: r.get(1)?,
        name: r.get(2)?,
        number: r.get(3)?,
        holder_name: r.get(4)?,
        holder_code_type: r.get(5)?,
        holder_code: r.get(6)?,
        issuer_name: r.get(7)?,
        issuer_code: r.get(8)?,
        region: r.get(9)?,
        issue_date: r.get(10)?,
        valid_from: r.get(11)?,
        valid_to: r.get(12)?,
        status: r.get(13)?,
    })
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic cannot leave a transaction half applied: an unfinished
    // transaction rolls back when it is dropped.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A license store in one SQLite database file (WAL mode), or in memory.
///
/// Several `SqliteStore`s, in one process or several, may open the same file;
/// one of them writes at a time (others wait up to 30 s), any number read.
pub struct SqliteStore {
    db: Arc<SqliteDb>,
}

/// The connections of a store, shared with its [`SqliteLedger`].
pub(crate) struct SqliteDb {
    writer: Mutex<Connection>,
    readers: Option<ReaderPool>,
}

struct ReaderPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.db.readers.as_ref().map(|r| r.path.as_path()))
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the store in the file at `path`, migrating
    /// its schema to [`STORE_SCHEMA_VERSION`].
    ///
    /// # Errors
    /// [`StoreError::SchemaTooNew`] for a store written by a newer library;
    /// [`StoreError::Backend`] if SQLite cannot open or migrate the file.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref().to_path_buf();
        let mut conn = Connection::open(&path).map_err(sql_err)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(sql_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Config {
                reason: "the SQLite file cannot be put in WAL mode",
            });
        }
        setup(&conn)?;
        migrate(&mut conn)?;
        Ok(SqliteStore {
            db: Arc::new(SqliteDb {
                writer: Mutex::new(conn),
                readers: Some(ReaderPool {
                    path,
                    idle: Mutex::new(Vec::new()),
                }),
            }),
        })
    }

    /// A store in memory (one connection; gone when dropped).
    ///
    /// # Errors
    /// [`StoreError::Backend`] if SQLite fails.
    pub fn open_in_memory() -> Result<SqliteStore, StoreError> {
        let mut conn = Connection::open_in_memory().map_err(sql_err)?;
        setup(&conn)?;
        migrate(&mut conn)?;
        Ok(SqliteStore {
            db: Arc::new(SqliteDb {
                writer: Mutex::new(conn),
                readers: None,
            }),
        })
    }

    /// The resource library's [`Ledger`](crate::Ledger) (grants, use record,
    /// disputes, serial counters) in this store's database, sharing its
    /// connections: pass it to
    /// [`ResourceLibrary::with_ledger`](crate::ResourceLibrary::with_ledger)
    /// to keep them across restarts.
    pub fn ledger(&self) -> SqliteLedger {
        SqliteLedger::new(Arc::clone(&self.db))
    }

    fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.db.write(f)
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.db.read(f)
    }
}

impl SqliteDb {
    /// Runs `f` in one IMMEDIATE transaction: committed if it returns `Ok`,
    /// rolled back otherwise.
    pub(crate) fn write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = lock(&self.writer);
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_err)?;
        let out = f(&tx)?;
        tx.commit().map_err(sql_err)?;
        Ok(out)
    }

    /// Runs `f` on a read connection inside one read transaction (a snapshot).
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let Some(pool) = &self.readers else {
            let conn = lock(&self.writer);
            return snapshot(&conn, f);
        };
        let idle = lock(&pool.idle).pop();
        let conn = match idle {
            Some(c) => c,
            None => open_reader(&pool.path)?,
        };
        let out = snapshot(&conn, f);
        let mut idle = lock(&pool.idle);
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
        out
    }
}

fn snapshot<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let tx = conn.unchecked_transaction().map_err(sql_err)?;
    let out = f(&tx);
    // Nothing was written: ending the read transaction cannot lose anything.
    let _ = tx.finish();
    out
}

fn setup(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sql_err)?;
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -65536;",
    )
    .map_err(sql_err)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql_err)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sql_err)?;
    conn.execute_batch("PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY;")
        .map_err(sql_err)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql_err)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS elicense_schema (
             id INTEGER PRIMARY KEY CHECK (id = 1),
             version INTEGER NOT NULL
         );
         INSERT INTO elicense_schema (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;",
    )
    .map_err(sql_err)?;
    let found: i64 = tx
        .query_row(
            "SELECT version FROM elicense_schema WHERE id = 1",
            [],
            |r| r.get(0),
        )
        .map_err(sql_err)?;
    if found > STORE_SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: STORE_SCHEMA_VERSION,
        });
    }
    for (version, script) in MIGRATIONS {
        if *version > found {
            tx.execute_batch(script).map_err(sql_err)?;
            tx.execute(
                "UPDATE elicense_schema SET version = ?1 WHERE id = 1",
                [version],
            )
            .map_err(sql_err)?;
        }
    }
    tx.commit().map_err(sql_err)
}

fn corrupt_type(code: &str) -> StoreError {
    StoreError::Corrupt {
        what: "license type definition",
        key: code.chars().take(32).collect(),
    }
}

impl LicenseStore for SqliteStore {
    fn refresh_statistics(&self) -> Result<(), StoreError> {
        let conn = lock(&self.db.writer);
        // Sampled (at most this many entries per index), and only the tables
        // queries plan over: counting the document table would read every byte.
        conn.execute_batch(
            "PRAGMA analysis_limit = 2000; ANALYZE licenses; ANALYZE status_events; \
             ANALYZE license_types;",
        )
        .map_err(sql_err)
    }

    fn register_type(&self, t: &LicenseType) -> Result<Inserted, StoreError> {
        let code = t.code().as_str();
        let json = serde_json::to_string(t).map_err(|_| corrupt_type(code))?;
        self.write(|tx| {
            let existing: Option<String> = tx
                .query_row(
                    "SELECT definition FROM license_types WHERE code = ?1 AND version = ?2",
                    rusqlite::params![code, t.version()],
                    |r| r.get(0),
                )
                .optional()
                .map_err(sql_err)?;
            match existing {
                Some(def) => {
                    let stored = LicenseType::from_json(&def).map_err(|_| corrupt_type(code))?;
                    if &stored == t {
                        Ok(Inserted::Duplicate)
                    } else {
                        Err(StoreError::TypeConflict {
                            code: *t.code(),
                            version: t.version(),
                        })
                    }
                }
                None => {
                    tx.execute(
                        "INSERT INTO license_types (code, version, name, definition) \
                         VALUES (?1, ?2, ?3, ?4)",
                        rusqlite::params![code, t.version(), t.name(), json],
                    )
                    .map_err(sql_err)?;
                    Ok(Inserted::New)
                }
            }
        })
    }

    fn license_type(&self, code: &LicenseTypeCode) -> Result<Option<LicenseType>, StoreError> {
        let def: Option<String> = self.read(|c| {
            c.query_row(
                "SELECT definition FROM license_types WHERE code = ?1 \
                 ORDER BY version DESC LIMIT 1",
                [code.as_str()],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql_err)
        })?;
        def.map(|d| LicenseType::from_json(&d).map_err(|_| corrupt_type(code.as_str())))
            .transpose()
    }

    fn license_types(&self) -> Result<Vec<LicenseType>, StoreError> {
        let defs: Vec<(String, String)> = self.read(|c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT t.code, t.definition FROM license_types t \
                     WHERE t.version = (SELECT max(version) FROM license_types WHERE code = t.code) \
                     ORDER BY t.code",
                )
                .map_err(sql_err)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(sql_err)?;
            rows.collect::<Result<_, _>>().map_err(sql_err)
        })?;
        defs.iter()
            .map(|(code, d)| LicenseType::from_json(d).map_err(|_| corrupt_type(code)))
            .collect()
    }

    fn insert_batch(&self, licenses: &[SignedLicense]) -> Result<Vec<Inserted>, StoreError> {
        check_batch_len(licenses.len())?;
        if licenses.is_empty() {
            return Ok(Vec::new());
        }
        // Digests and columns outside the write lock, in parallel.
        let rows = sql::rows(licenses);
        self.write(|tx| insert_rows(tx, &rows, licenses))
    }

    fn document(&self, id: &LicenseId) -> Result<Option<Vec<u8>>, StoreError> {
        let found: Option<(Vec<u8>, Vec<u8>)> = self.read(|c| {
            c.prepare_cached(
                // `+?1`: the same plan, but SQLite (built with STAT4) would
                // otherwise prepare a join or ORDER BY on a bare parameter
                // again at every new binding.
                "SELECT d.bytes, l.document_sha256 FROM licenses l \
                 JOIN documents d ON d.pk = l.pk WHERE l.id = +?1",
            )
            .and_then(|mut s| {
                s.query_row([id.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(sql_err)
        })?;
        match found {
            None => Ok(None),
            Some((bytes, digest)) if sql::sha256(&bytes)[..] == digest[..] => Ok(Some(bytes)),
            Some(_) => Err(StoreError::Corrupt {
                what: "license document",
                key: id.to_string(),
            }),
        }
    }

    fn entry(&self, id: &LicenseId) -> Result<Option<CatalogEntry>, StoreError> {
        let row = self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {} FROM licenses l WHERE l.id = ?1",
                sql::ENTRY_COLUMNS
            ))
            .and_then(|mut s| s.query_row([id.as_str()], entry_row).optional())
            .map_err(sql_err)
        })?;
        row.map(EntryRow::into_entry).transpose()
    }

    fn query(&self, q: &Query) -> Result<Page, StoreError> {
        let (text, params) = sql::page_sql(q, Dialect::Sqlite);
        let rows: Vec<EntryRow> = self.read(|c| {
            let mut stmt = c.prepare_cached(&text).map_err(sql_err)?;
            let rows = stmt
                .query_map(
                    rusqlite::params_from_iter(params.iter().map(to_value)),
                    entry_row,
                )
                .map_err(sql_err)?;
            rows.collect::<Result<_, _>>().map_err(sql_err)
        })?;
        let entries = rows
            .into_iter()
            .map(EntryRow::into_entry)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(entries, q.page_size()))
    }

    fn count(&self, q: &Query) -> Result<u64, StoreError> {
        let (text, params) = sql::count_sql(q, Dialect::Sqlite);
        let n: i64 = self.read(|c| {
            c.prepare_cached(&text)
                .and_then(|mut s| {
                    s.query_row(
                        rusqlite::params_from_iter(params.iter().map(to_value)),
                        |r| r.get(0),
                    )
                })
                .map_err(sql_err)
        })?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn record_event(&self, event: &StatusEvent) -> Result<LicenseStatus, StoreError> {
        self.write(|tx| append_event(tx, event, next_status))
    }

    fn insert_successor(
        &self,
        successor: &SignedLicense,
        event: &StatusEvent,
    ) -> Result<LicenseStatus, StoreError> {
        check_successor(successor, event)?;
        let licenses = core::slice::from_ref(successor);
        let rows = sql::rows(licenses);
        self.write(|tx| {
            let status = append_event(tx, event, next_superseded)?;
            if insert_rows(tx, &rows, licenses)? != [Inserted::New] {
                return Err(StoreError::Conflict {
                    id: successor.license().id().clone(),
                });
            }
            Ok(status)
        })
    }

    fn insert_issued(
        &self,
        licenses: &[SignedLicense],
        events: &[StatusEvent],
    ) -> Result<(), StoreError> {
        check_issued(licenses, events)?;
        if licenses.is_empty() {
            return Ok(());
        }
        let rows = sql::rows(licenses);
        self.write(|tx| {
            for (outcome, doc) in insert_rows(tx, &rows, licenses)?.iter().zip(licenses) {
                if *outcome != Inserted::New {
                    return Err(StoreError::Conflict {
                        id: doc.license().id().clone(),
                    });
                }
            }
            // Each license is new in this transaction: its 新发 is event 1.
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO status_events \
                     (license_id, seq, at, actor, operation, status, reason) \
                     VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(sql_err)?;
            for e in events {
                insert
                    .execute(rusqlite::params![
                        e.license().as_str(),
                        e.at().unix(),
                        e.actor(),
                        e.operation().code(),
                        LicenseStatus::Valid.code(),
                        e.reason(),
                    ])
                    .map_err(sql_err)?;
            }
            Ok(())
        })
    }

    fn status_histories(
        &self,
        ids: &[&LicenseId],
    ) -> Result<Vec<Option<StatusHistory>>, StoreError> {
        check_batch_len(ids.len())?;
        self.read(|c| {
            // One row per event, or one row of NULLs for a license without
            // events; no row for a license not stored.
            let mut stmt = c
                .prepare_cached(
                    "SELECT e.at, e.status FROM licenses l \
                     LEFT JOIN status_events e ON e.license_id = l.id \
                     WHERE l.id = +?1 ORDER BY e.seq LIMIT ?2",
                )
                .map_err(sql_err)?;
            ids.iter()
                .map(|id| {
                    let rows = stmt
                        .query_map(
                            rusqlite::params![id.as_str(), limits::EVENTS_PER_LICENSE as i64],
                            |r| Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, Option<String>>(1)?)),
                        )
                        .map_err(sql_err)?;
                    let mut found = false;
                    let mut history = StatusHistory::new();
                    for row in rows {
                        found = true;
                        if let (Some(at), Some(status)) = row.map_err(sql_err)? {
                            history.push(history_entry(id.as_str(), at, &status)?);
                        }
                    }
                    Ok(found.then_some(history))
                })
                .collect()
        })
    }

    fn events(&self, id: &LicenseId) -> Result<Vec<RecordedEvent>, StoreError> {
        type Row = (i64, i64, String, String, String, Option<String>);
        let rows: Vec<Row> = self.read(|c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT seq, at, actor, operation, status, reason FROM status_events \
                     WHERE license_id = +?1 ORDER BY seq LIMIT ?2",
                )
                .map_err(sql_err)?;
            let rows = stmt
                .query_map(
                    rusqlite::params![id.as_str(), limits::EVENTS_PER_LICENSE as i64],
                    |r| {
                        Ok((
                            r.get(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get(4)?,
                            r.get(5)?,
                        ))
                    },
                )
                .map_err(sql_err)?;
            rows.collect::<Result<_, _>>().map_err(sql_err)
        })?;
        rows.into_iter()
            .map(|(seq, at, actor, op, status, reason)| {
                event_from_columns(id, seq, at, actor, &op, &status, reason)
            })
            .collect()
    }

    fn put_attachment(&self, bytes: &[u8]) -> Result<Inserted, StoreError> {
        check_attachment_len(bytes.len())?;
        let digest = sql::sha256(bytes);
        self.write(|tx| {
            let exists = tx
                .prepare_cached("SELECT 1 FROM attachments WHERE sha256 = ?1")
                .and_then(|mut s| s.exists([&digest[..]]))
                .map_err(sql_err)?;
            if exists {
                return Ok(Inserted::Duplicate);
            }
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO attachment_chunks (sha256, idx, data) VALUES (?1, ?2, ?3)",
                )
                .map_err(sql_err)?;
            let mut chunks = 0i64;
            for chunk in bytes.chunks(limits::ATTACHMENT_CHUNK_BYTES) {
                insert
                    .execute(rusqlite::params![&digest[..], chunks, chunk])
                    .map_err(sql_err)?;
                chunks += 1;
            }
            tx.execute(
                "INSERT INTO attachments (sha256, size, chunks) VALUES (?1, ?2, ?3)",
                rusqlite::params![&digest[..], bytes.len() as i64, chunks],
            )
            .map_err(sql_err)?;
            Ok(Inserted::New)
        })
    }

    fn attachment(&self, sha256: &[u8; 32]) -> Result<Option<Vec<u8>>, StoreError> {
        let corrupt = || StoreError::AttachmentCorrupt { sha256: *sha256 };
        self.read(|c| {
            let meta: Option<(i64, i64)> = c
                .query_row(
                    "SELECT size, chunks FROM attachments WHERE sha256 = ?1",
                    [&sha256[..]],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(sql_err)?;
            let Some((size, chunks)) = meta else {
                return Ok(None);
            };
            let size = usize::try_from(size).map_err(|_| corrupt())?;
            if size > limits::ATTACHMENT_BYTES {
                return Err(corrupt());
            }
            let mut data = Vec::with_capacity(size);
            let mut stmt = c
                .prepare_cached(
                    "SELECT idx, data FROM attachment_chunks WHERE sha256 = ?1 ORDER BY idx",
                )
                .map_err(sql_err)?;
            let mut rows = stmt.query([&sha256[..]]).map_err(sql_err)?;
            let mut expected = 0i64;
            while let Some(row) = rows.next().map_err(sql_err)? {
                let idx: i64 = row.get(0).map_err(sql_err)?;
                let chunk = row.get_ref(1).map_err(sql_err)?;
                let chunk = chunk.as_blob().map_err(|_| corrupt())?;
                if idx != expected || data.len() + chunk.len() > size {
                    return Err(corrupt());
                }
                data.extend_from_slice(chunk);
                expected += 1;
            }
            if expected != chunks || data.len() != size || &sql::sha256(&data) != sha256 {
                return Err(corrupt());
            }
            Ok(Some(data))
        })
    }
}

/// Stores decoded rows in `tx` (the body of an insert).
fn insert_rows(
    tx: &Transaction<'_>,
    rows: &[sql::LicenseRow<'_>],
    licenses: &[SignedLicense],
) -> Result<Vec<Inserted>, StoreError> {
    let mut type_known = tx
        .prepare_cached("SELECT 1 FROM license_types WHERE code = ?1 LIMIT 1")
        .map_err(sql_err)?;
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO licenses (id, type_code, name, number, holder_name, \
             holder_code_type, holder_code, issuer_name, issuer_code, region, issue_date, \
             valid_from, valid_to, status, document_sha256) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) \
             ON CONFLICT (id) DO NOTHING",
        )
        .map_err(sql_err)?;
    let mut insert_doc = tx
        .prepare_cached("INSERT INTO documents (pk, bytes) VALUES (?1, ?2)")
        .map_err(sql_err)?;
    let mut insert_fts = tx
        .prepare_cached("INSERT INTO licenses_fts (rowid, name, holder_name) VALUES (?1, ?2, ?3)")
        .map_err(sql_err)?;
    let mut stored_digest = tx
        .prepare_cached("SELECT document_sha256 FROM licenses WHERE id = ?1")
        .map_err(sql_err)?;
    let mut known: HashSet<&str> = HashSet::new();
    let mut outcomes = Vec::with_capacity(rows.len());
    for (row, doc) in rows.iter().zip(licenses) {
        if !known.contains(row.type_code) {
            if !type_known.exists([row.type_code]).map_err(sql_err)? {
                return Err(StoreError::UnknownType {
                    code: *doc.license().type_code(),
                });
            }
            known.insert(row.type_code);
        }
        let n = insert
            .execute(rusqlite::params![
                row.id,
                row.type_code,
                row.name,
                row.number,
                row.holder_name,
                row.holder_code_type,
                row.holder_code,
                row.issuer_name,
                row.issuer_code,
                row.region,
                row.issue_date,
                row.valid_from,
                row.valid_to,
                LicenseStatus::Valid.code(),
                &row.sha256[..],
            ])
            .map_err(sql_err)?;
        if n == 1 {
            let pk = tx.last_insert_rowid();
            insert_doc
                .execute(rusqlite::params![pk, row.document])
                .map_err(sql_err)?;
            insert_fts
                .execute(rusqlite::params![pk, row.name, row.holder_name])
                .map_err(sql_err)?;
            outcomes.push(Inserted::New);
        } else {
            let digest: Vec<u8> = stored_digest
                .query_row([row.id], |r| r.get(0))
                .map_err(sql_err)?;
            if digest == row.sha256 {
                outcomes.push(Inserted::Duplicate);
            } else {
                return Err(StoreError::Conflict {
                    id: doc.license().id().clone(),
                });
            }
        }
    }
    Ok(outcomes)
}

/// Appends a status event in `tx`, the new status computed by `next`.
fn append_event(
    tx: &Transaction<'_>,
    event: &StatusEvent,
    next: NextStatus,
) -> Result<LicenseStatus, StoreError> {
    let id = event.license();
    let current: Option<String> = tx
        .query_row(
            "SELECT status FROM licenses WHERE id = ?1",
            [id.as_str()],
            |r| r.get(0),
        )
        .optional()
        .map_err(sql_err)?;
    let Some(current) = current else {
        return Err(StoreError::NotFound { id: id.clone() });
    };
    let current = LicenseStatus::from_code(&current).map_err(|_| StoreError::Corrupt {
        what: "license status",
        key: id.to_string(),
    })?;
    let (count, last): (i64, Option<i64>) = tx
        .query_row(
            "SELECT count(*), max(at) FROM status_events WHERE license_id = ?1",
            [id.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(sql_err)?;
    let last = last
        .map(Timestamp::from_unix)
        .transpose()
        .map_err(|_| StoreError::Corrupt {
            what: "status event time",
            key: id.to_string(),
        })?;
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let status = next(event, current, last, count)?;
    tx.execute(
        "INSERT INTO status_events (license_id, seq, at, actor, operation, status, reason) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        rusqlite::params![
            id.as_str(),
            count as i64 + 1,
            event.at().unix(),
            event.actor(),
            event.operation().code(),
            status.code(),
            event.reason(),
        ],
    )
    .map_err(sql_err)?;
    tx.execute(
        "UPDATE licenses SET status = ?1 WHERE id = ?2",
        rusqlite::params![status.code(), id.as_str()],
    )
    .map_err(sql_err)?;
    Ok(status)
}

/// One entry of a status history from its columns.
pub(crate) fn history_entry(
    id: &str,
    at: i64,
    status: &str,
) -> Result<(Timestamp, LicenseStatus), StoreError> {
    match (Timestamp::from_unix(at), LicenseStatus::from_code(status)) {
        (Ok(at), Ok(status)) => Ok((at, status)),
        _ => Err(StoreError::Corrupt {
            what: "status event",
            key: id.to_owned(),
        }),
    }
}

/// A stored event from its columns (validated like input).
pub(crate) fn event_from_columns(
    id: &LicenseId,
    seq: i64,
    at: i64,
    actor: String,
    operation: &str,
    status: &str,
    reason: Option<String>,
) -> Result<RecordedEvent, StoreError> {
    let corrupt = || StoreError::Corrupt {
        what: "status event",
        key: id.to_string(),
    };
    let seq = u32::try_from(seq).map_err(|_| corrupt())?;
    let at = Timestamp::from_unix(at).map_err(|_| corrupt())?;
    let operation = Operation::from_code(operation).map_err(|_| corrupt())?;
    let status = LicenseStatus::from_code(status).map_err(|_| corrupt())?;
    Ok(RecordedEvent::new(
        seq,
        StatusEvent::from_stored(id.clone(), operation, at, actor, reason),
        status,
    ))
}

const TOKEN_COLUMNS: &str =
    "key_id, digest, accessor_name, accessor, grants, role, created_at FROM access_tokens";

fn token_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenCols> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

type TokenCols = (String, String, String, String, String, String, i64);

fn token_of(c: TokenCols) -> Result<AccessToken, StoreError> {
    tokens::from_columns(c.0, &c.1, &c.2, &c.3, &c.4, &c.5, c.6)
}

impl TokenStore for SqliteStore {
    fn add_token(&self, t: &AccessToken) -> Result<(), StoreError> {
        self.write(|tx| {
            let n = tx
                .prepare_cached(
                    "INSERT INTO access_tokens (key_id, digest, accessor_name, accessor, grants, \
                     role, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                     ON CONFLICT (key_id) DO NOTHING",
                )
                .and_then(|mut s| {
                    s.execute(rusqlite::params![
                        t.key_id(),
                        tokens::digest_text(t),
                        t.accessor().name(),
                        t.accessor().code().as_str(),
                        tokens::grants_text(t.grants()),
                        t.role().as_str(),
                        t.created_at().unix(),
                    ])
                })
                .map_err(sql_err)?;
            if n == 0 {
                return Err(StoreError::Config {
                    reason: "an access token with this key id is already stored",
                });
            }
            Ok(())
        })
    }

    fn token(&self, key_id: &str) -> Result<Option<AccessToken>, StoreError> {
        let row = self.read(|c| {
            c.prepare_cached(&format!("SELECT {TOKEN_COLUMNS} WHERE key_id = ?1"))
                .and_then(|mut s| s.query_row([key_id], token_row).optional())
                .map_err(sql_err)
        })?;
        row.map(token_of).transpose()
    }

    fn tokens(&self) -> Result<Vec<AccessToken>, StoreError> {
        let rows = self.read(|c| {
            c.prepare_cached(&format!("SELECT {TOKEN_COLUMNS} ORDER BY key_id"))
                .and_then(|mut s| s.query_map([], token_row)?.collect::<Result<Vec<_>, _>>())
                .map_err(sql_err)
        })?;
        rows.into_iter().map(token_of).collect()
    }

    fn remove_token(&self, key_id: &str) -> Result<bool, StoreError> {
        self.write(|tx| {
            tx.execute("DELETE FROM access_tokens WHERE key_id = ?1", [key_id])
                .map(|n| n > 0)
                .map_err(sql_err)
        })
    }
}
