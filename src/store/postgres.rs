//! The PostgreSQL backend (feature `postgres`), also for PostgreSQL-compatible
//! distributed databases: keys chosen by the application (no sequences),
//! every transaction retried from the start on a serialization failure.
//!
//! Name search uses `LIKE '%…%'`, served by pg_trgm GIN indexes when the
//! extension can be installed (`CREATE EXTENSION IF NOT EXISTS pg_trgm`),
//! and by a scan otherwise; the results are the same either way.

use core::fmt;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use postgres::types::ToSql;
use postgres::{Client, NoTls, Statement, Transaction};

use crate::catalog::{CatalogEntry, Page, Query};
use crate::date::Timestamp;
use crate::document::SignedLicense;
use crate::ids::{LicenseId, LicenseTypeCode};
use crate::model::{LicenseStatus, LicenseType, Operation};
use crate::store::memory::{
    NextStatus, check_attachment_len, check_batch_len, next_status, next_superseded,
};
use crate::store::retry::{RetryPolicy, with_retries};
use crate::store::sql::{self, Dialect, EntryRow, Param};
use crate::store::sqlite::{event_from_columns, history_entry};
use crate::store::tokens::{self, AccessToken, TokenStore};
use crate::store::{
    BackendError, Inserted, LicenseStore, PostgresLedger, RecordedEvent, STORE_SCHEMA_VERSION,
    StatusEvent, StatusHistory, StoreError, check_issued, check_successor, limits,
};

/// Licenses per multi-row INSERT (16 parameters each, well under 65535).
const ROWS_PER_INSERT: usize = 500;
/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 256;

const V1: &str = r#"
CREATE TABLE license_types (
    code TEXT COLLATE "C" NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    definition TEXT NOT NULL,
    PRIMARY KEY (code, version)
);

CREATE TABLE licenses (
    id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    type_code TEXT COLLATE "C" NOT NULL,
    name TEXT NOT NULL,
    number TEXT NOT NULL,
    holder_name TEXT NOT NULL,
    holder_code_type TEXT COLLATE "C" NOT NULL,
    holder_code TEXT COLLATE "C" NOT NULL,
    issuer_name TEXT NOT NULL,
    issuer_code TEXT COLLATE "C" NOT NULL,
    region TEXT COLLATE "C" NOT NULL,
    issue_date TEXT COLLATE "C" NOT NULL,
    valid_from TEXT COLLATE "C" NOT NULL,
    valid_to TEXT COLLATE "C",
    status TEXT COLLATE "C" NOT NULL,
    document_sha256 BYTEA NOT NULL,
    document BYTEA NOT NULL
);
ALTER TABLE licenses ALTER COLUMN document SET STORAGE EXTERNAL;
CREATE INDEX licenses_holder ON licenses (holder_code, holder_code_type, id);
CREATE INDEX licenses_type ON licenses (type_code, status, id);
CREATE INDEX licenses_issuer ON licenses (issuer_code, id);
CREATE INDEX licenses_region ON licenses (region, id);

CREATE TABLE status_events (
    license_id TEXT COLLATE "C" NOT NULL,
    seq INTEGER NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    operation TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    reason TEXT,
    PRIMARY KEY (license_id, seq)
);

CREATE TABLE attachments (
    sha256 BYTEA NOT NULL PRIMARY KEY,
    size BIGINT NOT NULL,
    chunks INTEGER NOT NULL
);

CREATE TABLE attachment_chunks (
    sha256 BYTEA NOT NULL,
    idx INTEGER NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (sha256, idx)
);
ALTER TABLE attachment_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
"#;

/// Schema version 2: the resource library's ledger (see `ledger_sql`).
const V2: &str = r#"
CREATE TABLE ledger_counters (
    kind TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (kind, name)
);

CREATE TABLE ledger_grants (
    id BIGINT NOT NULL PRIMARY KEY,
    accessor TEXT COLLATE "C" NOT NULL,
    type_code TEXT COLLATE "C" NOT NULL,
    holder_code_type TEXT COLLATE "C",
    holder_code TEXT COLLATE "C",
    source TEXT COLLATE "C" NOT NULL,
    until BIGINT
);
CREATE INDEX ledger_grants_accessor ON ledger_grants (accessor, id);

CREATE TABLE ledger_uses (
    id BIGINT NOT NULL PRIMARY KEY,
    accessor TEXT COLLATE "C" NOT NULL,
    accessor_name TEXT NOT NULL,
    action TEXT COLLATE "C" NOT NULL,
    holder_code_type TEXT COLLATE "C",
    holder_code TEXT COLLATE "C",
    type_code TEXT COLLATE "C",
    license_id TEXT COLLATE "C",
    at BIGINT NOT NULL,
    purpose TEXT NOT NULL,
    result TEXT COLLATE "C" NOT NULL,
    count BIGINT
);
CREATE INDEX ledger_uses_holder ON ledger_uses (holder_code, holder_code_type, id);

CREATE TABLE ledger_disputes (
    id BIGINT NOT NULL PRIMARY KEY,
    license_id TEXT COLLATE "C" NOT NULL,
    fields TEXT NOT NULL,
    reason TEXT NOT NULL,
    raised_at BIGINT NOT NULL,
    state TEXT COLLATE "C" NOT NULL,
    corrected TEXT COLLATE "C",
    decision TEXT,
    decided_at BIGINT
);
CREATE INDEX ledger_disputes_license ON ledger_disputes (license_id, id);
"#;

/// Schema version 3 (issue 12, the HTTP service): API access tokens, stored
/// as the SHA-256 of their secret (see `tokens`). Self-contained: it creates
/// one table and touches nothing else.
const V3_ACCESS_TOKENS: &str = r#"
CREATE TABLE access_tokens (
    key_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    digest TEXT COLLATE "C" NOT NULL,
    accessor_name TEXT NOT NULL,
    accessor TEXT COLLATE "C" NOT NULL,
    grants TEXT COLLATE "C" NOT NULL,
    role TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL
);
"#;

/// Migrations by the version they lead to.
const MIGRATIONS: &[(i64, &str)] = &[(1, V1), (2, V2), (3, V3_ACCESS_TOKENS)];

pub(crate) fn pg_err(e: postgres::Error) -> StoreError {
    let code = e.code().map(|c| c.code().to_owned());
    // The message only: a server error's DETAIL may quote row values.
    let message = match e.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => e.to_string(),
    };
    StoreError::Backend(BackendError::new("postgres", code, message))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // An unfinished transaction rolls back when dropped; the client is reusable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Settings of a [`PostgresStore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresOptions {
    schema: Option<String>,
    max_attempts: u32,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            schema: None,
            max_attempts: RetryPolicy::default().max_attempts,
        }
    }
}

impl PostgresOptions {
    /// Defaults: the connection's `search_path`, 10 attempts per transaction.
    pub fn new() -> PostgresOptions {
        PostgresOptions::default()
    }

    /// Keep the store's tables in this schema (created if missing): 1–63
    /// characters of `[a-z0-9_]`, not starting with a digit.
    ///
    /// # Errors
    /// [`StoreError::Config`] for another name.
    pub fn schema(mut self, name: &str) -> Result<PostgresOptions, StoreError> {
        let ok = !name.is_empty()
            && name.len() <= 63
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(StoreError::Config {
                reason: "a schema name is 1-63 characters of [a-z0-9_], not starting with a digit",
            });
        }
        self.schema = Some(name.to_owned());
        Ok(self)
    }

    /// Attempts per transaction when the database reports serialization
    /// failures (at least 1).
    pub fn max_attempts(mut self, n: u32) -> PostgresOptions {
        self.max_attempts = n.max(1);
        self
    }
}

struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
}

/// Prepares `text` once per connection.
pub(crate) fn prepare(
    statements: &mut HashMap<String, Statement>,
    client: &mut impl postgres::GenericClient,
    text: &str,
) -> Result<Statement, StoreError> {
    if let Some(s) = statements.get(text) {
        return Ok(s.clone());
    }
    let s = client.prepare(text).map_err(pg_err)?;
    if statements.len() >= STATEMENT_CACHE {
        statements.clear();
    }
    statements.insert(text.to_owned(), s.clone());
    Ok(s)
}

fn boxed(params: &[Param]) -> Vec<Box<dyn ToSql + Sync>> {
    params
        .iter()
        .map(|p| -> Box<dyn ToSql + Sync> {
            match p {
                Param::Text(s) => Box::new(s.clone()),
                Param::Int(i) => Box::new(*i),
            }
        })
        .collect()
}

fn entry_row(r: &postgres::Row) -> Result<EntryRow, StoreError> {
    Ok(EntryRow {
        id: r.try_get(0).map_err(pg_err)?,
        type_code: r.try_get(1).map_err(pg_err)?,
        name: r.try_get(2).map_err(pg_err)?,
        number: r.try_get(3).map_err(pg_err)?,
        holder_name: r.try_get(4).map_err(pg_err)?,
        holder_code_type: r.try_get(5).map_err(pg_err)?,
        holder_code: r.try_get(6).map_err(pg_err)?,
        issuer_name: r.try_get(7).map_err(pg_err)?,
        issuer_code: r.try_get(8).map_err(pg_err)?,
        region: r.try_get(9).map_err(pg_err)?,
        issue_date: r.try_get(10).map_err(pg_err)?,
        valid_from: r.try_get(11).map_err(pg_err)?,
        valid_to: r.try_get(12).map_err(pg_err)?,
        status: r.try_get(13).map_err(pg_err)?,
    })
}

/// A license store in a PostgreSQL database (or a PostgreSQL-compatible one).
///
/// Uses the synchronous `postgres` client: call it from ordinary threads or
/// through `tokio::task::spawn_blocking`, never on an async worker thread
/// (the client panics there). One store is one connection; open several for
/// parallel work.
pub struct PostgresStore {
    db: Arc<PgDb>,
    schema: Option<String>,
    trigram: bool,
}

/// A store's connection and retry policy, shared with its [`PostgresLedger`].
pub(crate) struct PgDb {
    conn: Mutex<Conn>,
    policy: RetryPolicy,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("schema", &self.schema)
            .field("trigram_index", &self.trigram)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects (without TLS: use a local socket, loopback or a tunnel) and
    /// migrates the schema, with default [`PostgresOptions`].
    /// `url` is a libpq-style URL or key-value string.
    ///
    /// # Errors
    /// [`StoreError::Backend`] if the server cannot be reached or refuses;
    /// [`StoreError::SchemaTooNew`] for a store written by a newer library.
    pub fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        PostgresStore::connect_with(url, &PostgresOptions::default())
    }

    /// Connects with `options`.
    ///
    /// # Errors
    /// As [`PostgresStore::connect`].
    pub fn connect_with(url: &str, options: &PostgresOptions) -> Result<PostgresStore, StoreError> {
        let mut client = Client::connect(url, NoTls).map_err(pg_err)?;
        if let Some(schema) = &options.schema {
            let q = quote_ident(schema);
            // Two sessions may race to create it: only its absence afterwards matters.
            let _ = client.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {q}"));
            client
                .batch_execute(&format!("SET search_path TO {q}"))
                .map_err(pg_err)?;
        }
        let policy = RetryPolicy {
            max_attempts: options.max_attempts,
            ..RetryPolicy::default()
        };
        with_retries(&policy, |_| migrate(&mut client))?;
        let trigram = trigram_indexes(&mut client);
        Ok(PostgresStore {
            db: Arc::new(PgDb {
                conn: Mutex::new(Conn {
                    client,
                    statements: HashMap::new(),
                }),
                policy,
            }),
            schema: options.schema.clone(),
            trigram,
        })
    }

    /// The resource library's [`Ledger`](crate::Ledger) (grants, use record,
    /// disputes, serial counters) in this store's database and schema,
    /// sharing its connection: pass it to
    /// [`ResourceLibrary::with_ledger`](crate::ResourceLibrary::with_ledger)
    /// to keep them across restarts.
    pub fn ledger(&self) -> PostgresLedger {
        PostgresLedger::new(Arc::clone(&self.db))
    }

    /// The schema the tables are in (`None`: the connection's search path).
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// Whether name search is served by pg_trgm indexes (otherwise by a scan).
    pub fn has_trigram_index(&self) -> bool {
        self.trigram
    }

    fn write<T>(
        &self,
        f: impl FnMut(&mut Transaction<'_>, &mut HashMap<String, Statement>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.db.write(f)
    }

    fn read_rows(&self, text: &str, params: &[Param]) -> Result<Vec<postgres::Row>, StoreError> {
        self.db.read_rows(text, params)
    }
}

impl PgDb {
    /// Runs `f` in a transaction, from the start again on a serialization failure.
    pub(crate) fn write<T>(
        &self,
        mut f: impl FnMut(
            &mut Transaction<'_>,
            &mut HashMap<String, Statement>,
        ) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut guard = lock(&self.conn);
        let Conn { client, statements } = &mut *guard;
        with_retries(&self.policy, |_| {
            let mut tx = client.transaction().map_err(pg_err)?;
            let out = f(&mut tx, statements)?;
            tx.commit().map_err(pg_err)?;
            Ok(out)
        })
    }

    /// Runs one read statement (no explicit transaction), retried like a write.
    pub(crate) fn read_rows(
        &self,
        text: &str,
        params: &[Param],
    ) -> Result<Vec<postgres::Row>, StoreError> {
        let values = boxed(params);
        let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|b| b.as_ref()).collect();
        let mut guard = lock(&self.conn);
        let Conn { client, statements } = &mut *guard;
        with_retries(&self.policy, |_| {
            let stmt = prepare(statements, client, text)?;
            client.query(&stmt, &refs).map_err(pg_err)
        })
    }
}

fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let mut tx = client.transaction().map_err(pg_err)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS elicense_schema (
             id INTEGER PRIMARY KEY CHECK (id = 1),
             version BIGINT NOT NULL
         );
         INSERT INTO elicense_schema (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;",
    )
    .map_err(pg_err)?;
    let found: i64 = tx
        .query_one(
            "SELECT version FROM elicense_schema WHERE id = 1 FOR UPDATE",
            &[],
        )
        .and_then(|r| r.try_get(0))
        .map_err(pg_err)?;
    if found > STORE_SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: STORE_SCHEMA_VERSION,
        });
    }
    for (version, script) in MIGRATIONS {
        if *version > found {
            tx.batch_execute(script).map_err(pg_err)?;
            tx.execute(
                "UPDATE elicense_schema SET version = $1 WHERE id = 1",
                &[version],
            )
            .map_err(pg_err)?;
        }
    }
    tx.commit().map_err(pg_err)
}

/// Installs pg_trgm if allowed and indexes the names with it; whether the
/// indexes exist afterwards.
fn trigram_indexes(client: &mut Client) -> bool {
    let _ = client.batch_execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public");
    let schema: Option<String> = client
        .query_opt(
            "SELECT n.nspname::text FROM pg_extension e \
             JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'",
            &[],
        )
        .ok()
        .flatten()
        .and_then(|r| r.try_get(0).ok());
    let Some(schema) = schema else {
        return false;
    };
    let ops = format!("{}.gin_trgm_ops", quote_ident(&schema));
    client
        .batch_execute(&format!(
            "CREATE INDEX IF NOT EXISTS licenses_name_trgm ON licenses USING gin (name {ops});
             CREATE INDEX IF NOT EXISTS licenses_holder_name_trgm ON licenses \
             USING gin (holder_name {ops});"
        ))
        .is_ok()
}

fn insert_sql(rows: usize) -> String {
    let mut s = String::from(
        "INSERT INTO licenses (id, type_code, name, number, holder_name, holder_code_type, \
         holder_code, issuer_name, issuer_code, region, issue_date, valid_from, valid_to, \
         status, document_sha256, document) VALUES ",
    );
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..16 {
            if c > 0 {
                s.push(',');
            }
            s.push('$');
            s.push_str(&(r * 16 + c + 1).to_string());
        }
        s.push(')');
    }
    s.push_str(" ON CONFLICT (id) DO NOTHING RETURNING id");
    s
}

fn corrupt_type(code: &str) -> StoreError {
    StoreError::Corrupt {
        what: "license type definition",
        key: code.chars().take(32).collect(),
    }
}

impl LicenseStore for PostgresStore {
    fn refresh_statistics(&self) -> Result<(), StoreError> {
        let mut guard = lock(&self.db.conn);
        with_retries(&self.db.policy, |_| {
            guard
                .client
                .batch_execute(
                    "ANALYZE licenses, status_events, attachments, attachment_chunks, \
                     license_types",
                )
                .map_err(pg_err)
        })
    }

    fn register_type(&self, t: &LicenseType) -> Result<Inserted, StoreError> {
        let code = t.code().as_str();
        let json = serde_json::to_string(t).map_err(|_| corrupt_type(code))?;
        let version = i32::from(t.version());
        self.write(|tx, _| {
            let inserted = tx
                .execute(
                    "INSERT INTO license_types (code, version, name, definition) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (code, version) DO NOTHING",
                    &[&code, &version, &t.name(), &json],
                )
                .map_err(pg_err)?;
            if inserted == 1 {
                return Ok(Inserted::New);
            }
            let def: String = tx
                .query_one(
                    "SELECT definition FROM license_types WHERE code = $1 AND version = $2",
                    &[&code, &version],
                )
                .and_then(|r| r.try_get(0))
                .map_err(pg_err)?;
            let stored = LicenseType::from_json(&def).map_err(|_| corrupt_type(code))?;
            if &stored == t {
                Ok(Inserted::Duplicate)
            } else {
                Err(StoreError::TypeConflict {
                    code: *t.code(),
                    version: t.version(),
                })
            }
        })
    }

    fn license_type(&self, code: &LicenseTypeCode) -> Result<Option<LicenseType>, StoreError> {
        let rows = self.read_rows(
            "SELECT definition FROM license_types WHERE code = $1 ORDER BY version DESC LIMIT 1",
            &[Param::Text(code.as_str().to_owned())],
        )?;
        match rows.first() {
            None => Ok(None),
            Some(r) => {
                let def: String = r.try_get(0).map_err(pg_err)?;
                LicenseType::from_json(&def)
                    .map(Some)
                    .map_err(|_| corrupt_type(code.as_str()))
            }
        }
    }

    fn license_types(&self) -> Result<Vec<LicenseType>, StoreError> {
        let rows = self.read_rows(
            "SELECT DISTINCT ON (code) code, definition FROM license_types \
             ORDER BY code, version DESC",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                let code: String = r.try_get(0).map_err(pg_err)?;
                let def: String = r.try_get(1).map_err(pg_err)?;
                LicenseType::from_json(&def).map_err(|_| corrupt_type(&code))
            })
            .collect()
    }

    fn insert_batch(&self, licenses: &[SignedLicense]) -> Result<Vec<Inserted>, StoreError> {
        check_batch_len(licenses.len())?;
        if licenses.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sql::rows(licenses);
        self.write(|tx, statements| insert_rows(tx, statements, &rows, licenses))
    }

    fn document(&self, id: &LicenseId) -> Result<Option<Vec<u8>>, StoreError> {
        let rows = self.read_rows(
            "SELECT document, document_sha256 FROM licenses WHERE id = $1",
            &[Param::Text(id.as_str().to_owned())],
        )?;
        let Some(r) = rows.first() else {
            return Ok(None);
        };
        let bytes: Vec<u8> = r.try_get(0).map_err(pg_err)?;
        let digest: Vec<u8> = r.try_get(1).map_err(pg_err)?;
        if sql::sha256(&bytes)[..] == digest[..] {
            Ok(Some(bytes))
        } else {
            Err(StoreError::Corrupt {
                what: "license document",
                key: id.to_string(),
            })
        }
    }

    fn entry(&self, id: &LicenseId) -> Result<Option<CatalogEntry>, StoreError> {
        let rows = self.read_rows(
            &format!(
                "SELECT {} FROM licenses l WHERE l.id = $1",
                sql::ENTRY_COLUMNS
            ),
            &[Param::Text(id.as_str().to_owned())],
        )?;
        rows.first()
            .map(|r| entry_row(r).and_then(EntryRow::into_entry))
            .transpose()
    }

    fn query(&self, q: &Query) -> Result<Page, StoreError> {
        let (text, params) = sql::page_sql(q, Dialect::Postgres);
        let rows = self.read_rows(&text, &params)?;
        let entries = rows
            .iter()
            .map(|r| entry_row(r).and_then(EntryRow::into_entry))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(entries, q.page_size()))
    }

    fn count(&self, q: &Query) -> Result<u64, StoreError> {
        let (text, params) = sql::count_sql(q, Dialect::Postgres);
        let rows = self.read_rows(&text, &params)?;
        let n: i64 = match rows.first() {
            Some(r) => r.try_get(0).map_err(pg_err)?,
            None => 0,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn record_event(&self, event: &StatusEvent) -> Result<LicenseStatus, StoreError> {
        self.write(|tx, _| append_event(tx, event, next_status))
    }

    fn insert_successor(
        &self,
        successor: &SignedLicense,
        event: &StatusEvent,
    ) -> Result<LicenseStatus, StoreError> {
        check_successor(successor, event)?;
        let licenses = core::slice::from_ref(successor);
        let rows = sql::rows(licenses);
        self.write(|tx, statements| {
            let status = append_event(tx, event, next_superseded)?;
            if insert_rows(tx, statements, &rows, licenses)? != [Inserted::New] {
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
        let ids: Vec<&str> = events.iter().map(|e| e.license().as_str()).collect();
        let ats: Vec<i64> = events.iter().map(|e| e.at().unix()).collect();
        let actors: Vec<&str> = events.iter().map(StatusEvent::actor).collect();
        let reasons: Vec<Option<&str>> = events.iter().map(StatusEvent::reason).collect();
        let issue = Operation::Issue.code();
        let valid = LicenseStatus::Valid.code();
        self.write(|tx, statements| {
            for (outcome, doc) in insert_rows(tx, statements, &rows, licenses)?
                .iter()
                .zip(licenses)
            {
                if *outcome != Inserted::New {
                    return Err(StoreError::Conflict {
                        id: doc.license().id().clone(),
                    });
                }
            }
            // Each license is new in this transaction: its 新发 is event 1.
            tx.execute(
                "INSERT INTO status_events \
                 (license_id, seq, at, actor, operation, status, reason) \
                 SELECT l, 1, a, w, $4, $5, r \
                 FROM unnest($1::text[], $2::bigint[], $3::text[], $6::text[]) AS t(l, a, w, r)",
                &[&ids, &ats, &actors, &issue, &valid, &reasons],
            )
            .map_err(pg_err)?;
            Ok(())
        })
    }

    fn status_histories(
        &self,
        ids: &[&LicenseId],
    ) -> Result<Vec<Option<StatusHistory>>, StoreError> {
        check_batch_len(ids.len())?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let texts: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
        // One row per event, or one row of NULLs for a license without
        // events; no row for a license not stored.
        let rows = self.db.write(|tx, _| {
            tx.query(
                "SELECT l.id, e.at, e.status FROM licenses l \
                 LEFT JOIN status_events e ON e.license_id = l.id \
                 WHERE l.id = ANY($1) ORDER BY l.id, e.seq",
                &[&texts],
            )
            .map_err(pg_err)
        })?;
        let mut found: HashMap<String, StatusHistory> = HashMap::new();
        for r in &rows {
            let lid: String = r.try_get(0).map_err(pg_err)?;
            let at: Option<i64> = r.try_get(1).map_err(pg_err)?;
            let status: Option<String> = r.try_get(2).map_err(pg_err)?;
            let change = match (at, status) {
                (Some(at), Some(status)) => Some(history_entry(&lid, at, &status)?),
                _ => None,
            };
            let entry = found.entry(lid).or_default();
            entry.extend(change);
        }
        Ok(ids
            .iter()
            .map(|id| found.get(id.as_str()).cloned())
            .collect())
    }

    fn events(&self, id: &LicenseId) -> Result<Vec<RecordedEvent>, StoreError> {
        let rows = self.read_rows(
            "SELECT seq::bigint, at, actor, operation, status, reason FROM status_events \
             WHERE license_id = $1 ORDER BY seq LIMIT $2",
            &[
                Param::Text(id.as_str().to_owned()),
                Param::Int(limits::EVENTS_PER_LICENSE as i64),
            ],
        )?;
        rows.iter()
            .map(|r| {
                let op: String = r.try_get(3).map_err(pg_err)?;
                let status: String = r.try_get(4).map_err(pg_err)?;
                event_from_columns(
                    id,
                    r.try_get(0).map_err(pg_err)?,
                    r.try_get(1).map_err(pg_err)?,
                    r.try_get(2).map_err(pg_err)?,
                    &op,
                    &status,
                    r.try_get(5).map_err(pg_err)?,
                )
            })
            .collect()
    }

    fn put_attachment(&self, bytes: &[u8]) -> Result<Inserted, StoreError> {
        check_attachment_len(bytes.len())?;
        let digest = sql::sha256(bytes);
        let digest = &digest[..];
        let size = bytes.len() as i64;
        let chunks = bytes.chunks(limits::ATTACHMENT_CHUNK_BYTES).count() as i32;
        self.write(|tx, _| {
            // Claiming the digest first makes a concurrent writer of the same
            // file wait, then see it stored.
            let claimed = tx
                .execute(
                    "INSERT INTO attachments (sha256, size, chunks) VALUES ($1, $2, $3) \
                     ON CONFLICT (sha256) DO NOTHING",
                    &[&digest, &size, &chunks],
                )
                .map_err(pg_err)?;
            if claimed == 0 {
                return Ok(Inserted::Duplicate);
            }
            let stmt = tx
                .prepare("INSERT INTO attachment_chunks (sha256, idx, data) VALUES ($1, $2, $3)")
                .map_err(pg_err)?;
            for (idx, chunk) in bytes.chunks(limits::ATTACHMENT_CHUNK_BYTES).enumerate() {
                let idx = idx as i32;
                tx.execute(&stmt, &[&digest, &idx, &chunk])
                    .map_err(pg_err)?;
            }
            Ok(Inserted::New)
        })
    }

    fn attachment(&self, sha256: &[u8; 32]) -> Result<Option<Vec<u8>>, StoreError> {
        let corrupt = || StoreError::AttachmentCorrupt { sha256: *sha256 };
        let key = &sha256[..];
        self.write(|tx, _| {
            let meta = tx
                .query_opt(
                    "SELECT size, chunks FROM attachments WHERE sha256 = $1",
                    &[&key],
                )
                .map_err(pg_err)?;
            let Some(meta) = meta else {
                return Ok(None);
            };
            let size: i64 = meta.try_get(0).map_err(pg_err)?;
            let chunks: i32 = meta.try_get(1).map_err(pg_err)?;
            let size = usize::try_from(size).map_err(|_| corrupt())?;
            if size > limits::ATTACHMENT_BYTES {
                return Err(corrupt());
            }
            let mut data = Vec::with_capacity(size);
            let mut expected = 0i32;
            let rows = tx
                .query(
                    "SELECT idx, data FROM attachment_chunks WHERE sha256 = $1 ORDER BY idx",
                    &[&key],
                )
                .map_err(pg_err)?;
            for row in rows {
                let idx: i32 = row.try_get(0).map_err(pg_err)?;
                let chunk: &[u8] = row.try_get(1).map_err(pg_err)?;
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
    tx: &mut Transaction<'_>,
    statements: &mut HashMap<String, Statement>,
    rows: &[sql::LicenseRow<'_>],
    licenses: &[SignedLicense],
) -> Result<Vec<Inserted>, StoreError> {
    let type_codes: Vec<&str> = rows
        .iter()
        .map(|r| r.type_code)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let valid = LicenseStatus::Valid.code();
    let known: HashSet<String> = tx
        .query(
            "SELECT DISTINCT code FROM license_types WHERE code = ANY($1)",
            &[&type_codes],
        )
        .map_err(pg_err)?
        .iter()
        .map(|r| r.try_get::<_, String>(0))
        .collect::<Result<_, _>>()
        .map_err(pg_err)?;
    let mut inserted: HashSet<String> = HashSet::new();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let stmt = prepare(statements, tx, &insert_sql(chunk.len()))?;
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(chunk.len() * 16);
        let digests: Vec<&[u8]> = chunk.iter().map(|r| &r.sha256[..]).collect();
        for (r, digest) in chunk.iter().zip(&digests) {
            params.extend_from_slice(&[
                &r.id as &(dyn ToSql + Sync),
                &r.type_code,
                &r.name,
                &r.number,
                &r.holder_name,
                &r.holder_code_type,
                &r.holder_code,
                &r.issuer_name,
                &r.issuer_code,
                &r.region,
                &r.issue_date,
                &r.valid_from,
                &r.valid_to,
                &valid,
                digest,
                &r.document,
            ]);
        }
        for row in tx.query(&stmt, &params).map_err(pg_err)? {
            inserted.insert(row.try_get(0).map_err(pg_err)?);
        }
    }
    // Digests of the licenses that were there before.
    let others: Vec<&str> = rows
        .iter()
        .map(|r| r.id)
        .filter(|id| !inserted.contains(*id))
        .collect();
    let mut stored: HashMap<String, Vec<u8>> = HashMap::new();
    if !others.is_empty() {
        for row in tx
            .query(
                "SELECT id, document_sha256 FROM licenses WHERE id = ANY($1)",
                &[&others],
            )
            .map_err(pg_err)?
        {
            stored.insert(
                row.try_get(0).map_err(pg_err)?,
                row.try_get(1).map_err(pg_err)?,
            );
        }
    }
    // Outcomes in order, failing on the first bad license as every backend does.
    let mut staged: HashMap<&str, &[u8; 32]> = HashMap::new();
    let mut outcomes = Vec::with_capacity(rows.len());
    for (row, doc) in rows.iter().zip(licenses) {
        if !known.contains(row.type_code) {
            return Err(StoreError::UnknownType {
                code: *doc.license().type_code(),
            });
        }
        let previous: Option<&[u8]> = match staged.get(row.id) {
            Some(d) => Some(&d[..]),
            None if inserted.contains(row.id) => None,
            None => Some(
                stored
                    .get(row.id)
                    .map(Vec::as_slice)
                    .ok_or(StoreError::Corrupt {
                        what: "license row",
                        key: row.id.to_owned(),
                    })?,
            ),
        };
        match previous {
            None => {
                staged.insert(row.id, &row.sha256);
                outcomes.push(Inserted::New);
            }
            Some(d) if d == row.sha256 => outcomes.push(Inserted::Duplicate),
            Some(_) => {
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
    tx: &mut Transaction<'_>,
    event: &StatusEvent,
    next: NextStatus,
) -> Result<LicenseStatus, StoreError> {
    let id = event.license().as_str();
    // The row lock orders concurrent events on one license.
    let current = tx
        .query_opt(
            "SELECT status FROM licenses WHERE id = $1 FOR UPDATE",
            &[&id],
        )
        .map_err(pg_err)?;
    let Some(current) = current else {
        return Err(StoreError::NotFound {
            id: event.license().clone(),
        });
    };
    let current: String = current.try_get(0).map_err(pg_err)?;
    let current = LicenseStatus::from_code(&current).map_err(|_| StoreError::Corrupt {
        what: "license status",
        key: id.to_owned(),
    })?;
    let r = tx
        .query_one(
            "SELECT count(*), max(at) FROM status_events WHERE license_id = $1",
            &[&id],
        )
        .map_err(pg_err)?;
    let count: i64 = r.try_get(0).map_err(pg_err)?;
    let last: Option<i64> = r.try_get(1).map_err(pg_err)?;
    let last = last
        .map(Timestamp::from_unix)
        .transpose()
        .map_err(|_| StoreError::Corrupt {
            what: "status event time",
            key: id.to_owned(),
        })?;
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let status = next(event, current, last, count)?;
    let seq = i32::try_from(count + 1).unwrap_or(i32::MAX);
    tx.execute(
        "INSERT INTO status_events (license_id, seq, at, actor, operation, status, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &id,
            &seq,
            &event.at().unix(),
            &event.actor(),
            &event.operation().code(),
            &status.code(),
            &event.reason(),
        ],
    )
    .map_err(pg_err)?;
    tx.execute(
        "UPDATE licenses SET status = $1 WHERE id = $2",
        &[&status.code(), &id],
    )
    .map_err(pg_err)?;
    Ok(status)
}

const TOKEN_SELECT: &str =
    "SELECT key_id, digest, accessor_name, accessor, grants, role, created_at FROM access_tokens";

fn token_of(r: &postgres::Row) -> Result<AccessToken, StoreError> {
    let text = |i: usize| -> Result<String, StoreError> { r.try_get(i).map_err(pg_err) };
    let created: i64 = r.try_get(6).map_err(pg_err)?;
    tokens::from_columns(
        text(0)?,
        &text(1)?,
        &text(2)?,
        &text(3)?,
        &text(4)?,
        &text(5)?,
        created,
    )
}

impl TokenStore for PostgresStore {
    fn add_token(&self, t: &AccessToken) -> Result<(), StoreError> {
        let digest = tokens::digest_text(t);
        let grants = tokens::grants_text(t.grants());
        let created = t.created_at().unix();
        self.write(|tx, statements| {
            let stmt = prepare(
                statements,
                tx,
                "INSERT INTO access_tokens (key_id, digest, accessor_name, accessor, grants, \
                 role, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (key_id) DO NOTHING",
            )?;
            let n = tx
                .execute(
                    &stmt,
                    &[
                        &t.key_id(),
                        &digest,
                        &t.accessor().name(),
                        &t.accessor().code().as_str(),
                        &grants,
                        &t.role().as_str(),
                        &created,
                    ],
                )
                .map_err(pg_err)?;
            if n == 0 {
                return Err(StoreError::Config {
                    reason: "an access token with this key id is already stored",
                });
            }
            Ok(())
        })
    }

    fn token(&self, key_id: &str) -> Result<Option<AccessToken>, StoreError> {
        let rows = self.read_rows(
            &format!("{TOKEN_SELECT} WHERE key_id = $1"),
            &[Param::Text(key_id.to_owned())],
        )?;
        rows.first().map(token_of).transpose()
    }

    fn tokens(&self) -> Result<Vec<AccessToken>, StoreError> {
        let rows = self.read_rows(&format!("{TOKEN_SELECT} ORDER BY key_id"), &[])?;
        rows.iter().map(token_of).collect()
    }

    fn remove_token(&self, key_id: &str) -> Result<bool, StoreError> {
        self.write(|tx, statements| {
            let stmt = prepare(
                statements,
                tx,
                "DELETE FROM access_tokens WHERE key_id = $1",
            )?;
            tx.execute(&stmt, &[&key_id]).map(|n| n > 0).map_err(pg_err)
        })
    }
}
