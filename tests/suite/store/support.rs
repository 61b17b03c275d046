//! Licenses to store, and the backends the conformance suite runs against,
//! each with the raw access a test needs (corrupting a chunk, changing the
//! schema version, reopening).

use std::path::PathBuf;
use std::sync::OnceLock;

use elicense::*;

use crate::fixtures::*;
use crate::seal::{sealed_license, sealer_a};

pub fn sealer() -> &'static Sealer<SigningKey> {
    static SEALER: OnceLock<Sealer<SigningKey>> = OnceLock::new();
    SEALER.get_or_init(sealer_a)
}

pub const SEALED_AT: &str = "2025-05-22T02:00:00Z";

/// An organisation holder, distinct for each `i`.
pub fn org(i: u32) -> HolderCode {
    HolderCode::from(Uscc::from_body(&format!("91330102MA{i:07}")).unwrap())
}

/// A person holder (citizen identity number), distinct for each `i < 1000`.
pub fn citizen(i: u32) -> HolderCode {
    let body = format!("330102199001{:02}{:03}", 1 + i % 28, i % 1000);
    HolderCode::from(CitizenId::from_body(&body).unwrap())
}

/// A 食品经营许可证 like the fixture, with serial `T<i>`, sealed by `sealer_a`.
pub fn food(
    i: u32,
    holder: (&str, HolderCode),
    region: &str,
    valid: (&str, Option<&str>),
) -> License {
    let mut d = sealed_license().to_data();
    d.id = LicenseId::from_parts(
        d.type_code,
        IssuerCode::Uscc(bureau()),
        &format!("T{i:08}"),
        1,
    )
    .unwrap();
    d.number = format!("JY1330105{i:07}");
    d.holder = Holder::new(holder.0, holder.1).unwrap();
    d.region = region.parse().unwrap();
    d.valid_from = date(valid.0);
    d.valid_to = valid.1.map(date);
    d.predecessor = None;
    License::new(d).unwrap()
}

pub fn seal(license: License) -> SignedLicense {
    SignedLicense::seal(license, sealer(), ts(SEALED_AT)).unwrap()
}

/// The same license sealed a day later: same identifier, different bytes.
pub fn reseal(doc: &SignedLicense) -> SignedLicense {
    SignedLicense::seal(doc.license().clone(), sealer(), ts("2025-05-23T02:00:00Z")).unwrap()
}

/// A simple sealed license for holder `org(i)` in 上城区.
pub fn simple(i: u32) -> SignedLicense {
    seal(food(
        i,
        ("杭州某某餐饮管理有限公司", org(i)),
        "330102",
        ("2025-05-22", Some("2030-05-21")),
    ))
}

/// The built-in 营业执照 type.
pub fn business_type() -> LicenseType {
    BUILTIN_TEMPLATES
        .iter()
        .find(|t| t.name == "营业执照")
        .unwrap()
        .license_type()
        .unwrap()
}

/// A 营业执照 signed with the issuer's raw key (the store does not care how
/// a license is signed).
pub fn business(i: u32, issuer: Uscc, holder: (&str, HolderCode), region: &str) -> SignedLicense {
    let code = *business_type().code();
    let license = License::new(LicenseData {
        id: LicenseId::from_parts(code, IssuerCode::Uscc(issuer), &format!("B{i:08}"), 1).unwrap(),
        name: "营业执照".into(),
        type_code: code,
        number: format!("{i:018}"),
        issuer: Organisation::new("某市场监督管理局", issuer).unwrap(),
        issue_date: date("2024-03-01"),
        holder: Holder::new(holder.0, holder.1).unwrap(),
        valid_from: date("2024-03-01"),
        valid_to: None,
        region: region.parse().unwrap(),
        seal: None,
        created_at: ts("2024-03-01T01:00:00Z"),
        fields: Default::default(),
        attachments: vec![],
        predecessor: None,
    })
    .unwrap();
    SignedLicense::sign(license, &issuer_key(), ts("2024-03-01T02:00:00Z")).unwrap()
}

/// A backend under test, with raw access for what the API must not allow.
pub trait Backend {
    fn name(&self) -> &'static str;
    fn store(&self) -> &dyn LicenseStore;
    /// Flips a byte of chunk `idx` of an attachment; false if not possible.
    fn corrupt_chunk(&self, _sha256: &[u8; 32], _idx: i64) -> bool {
        false
    }
    /// Deletes chunk `idx` of an attachment; false if not possible.
    fn delete_chunk(&self, _sha256: &[u8; 32], _idx: i64) -> bool {
        false
    }
    /// Flips a byte of a stored license document; false if not possible.
    fn corrupt_document(&self, _id: &LicenseId) -> bool {
        false
    }
    /// Sets the recorded schema version; false if not possible.
    fn set_schema_version(&self, _version: i64) -> bool {
        false
    }
    /// Opens the same store again; `None` if there is nothing to reopen.
    fn reopen(&self) -> Option<Result<Box<dyn LicenseStore>, StoreError>> {
        None
    }
}

pub struct Memory(MemoryStore);

impl Memory {
    pub fn new() -> Option<Memory> {
        Some(Memory(MemoryStore::new()))
    }
}

impl Backend for Memory {
    fn name(&self) -> &'static str {
        "memory"
    }
    fn store(&self) -> &dyn LicenseStore {
        &self.0
    }
}

pub struct Sqlite {
    _dir: tempfile::TempDir,
    path: PathBuf,
    store: SqliteStore,
}

impl Sqlite {
    pub fn new() -> Option<Sqlite> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("licenses.db");
        let store = SqliteStore::open(&path).unwrap();
        Some(Sqlite {
            _dir: dir,
            path,
            store,
        })
    }

    fn raw(&self) -> rusqlite::Connection {
        let c = rusqlite::Connection::open(&self.path).unwrap();
        c.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
        c
    }
}

impl Backend for Sqlite {
    fn name(&self) -> &'static str {
        "sqlite"
    }
    fn store(&self) -> &dyn LicenseStore {
        &self.store
    }
    fn corrupt_chunk(&self, sha256: &[u8; 32], idx: i64) -> bool {
        let c = self.raw();
        let mut data: Vec<u8> = c
            .query_row(
                "SELECT data FROM attachment_chunks WHERE sha256 = ?1 AND idx = ?2",
                rusqlite::params![&sha256[..], idx],
                |r| r.get(0),
            )
            .unwrap();
        data[0] ^= 1;
        c.execute(
            "UPDATE attachment_chunks SET data = ?1 WHERE sha256 = ?2 AND idx = ?3",
            rusqlite::params![data, &sha256[..], idx],
        )
        .unwrap()
            == 1
    }
    fn delete_chunk(&self, sha256: &[u8; 32], idx: i64) -> bool {
        self.raw()
            .execute(
                "DELETE FROM attachment_chunks WHERE sha256 = ?1 AND idx = ?2",
                rusqlite::params![&sha256[..], idx],
            )
            .unwrap()
            == 1
    }
    fn corrupt_document(&self, id: &LicenseId) -> bool {
        let c = self.raw();
        let (pk, mut bytes): (i64, Vec<u8>) = c
            .query_row(
                "SELECT d.pk, d.bytes FROM documents d JOIN licenses l ON l.pk = d.pk \
                 WHERE l.id = ?1",
                [id.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let n = bytes.len();
        bytes[n / 2] ^= 0x20;
        c.execute(
            "UPDATE documents SET bytes = ?1 WHERE pk = ?2",
            rusqlite::params![bytes, pk],
        )
        .unwrap()
            == 1
    }
    fn set_schema_version(&self, version: i64) -> bool {
        self.raw()
            .execute("UPDATE elicense_schema SET version = ?1", [version])
            .unwrap()
            == 1
    }
    fn reopen(&self) -> Option<Result<Box<dyn LicenseStore>, StoreError>> {
        Some(SqliteStore::open(&self.path).map(|s| Box::new(s) as Box<dyn LicenseStore>))
    }
}

#[cfg(feature = "postgres")]
pub use pg::Postgres;

#[cfg(feature = "postgres")]
mod pg {
    use super::*;

    pub const URL_VAR: &str = "ELICENSE_TEST_PG_URL";

    /// A PostgreSQL store in a schema of its own (random name), dropped after.
    pub struct Postgres {
        pub url: String,
        pub schema: String,
        pub store: PostgresStore,
    }

    impl Postgres {
        /// `None` (with a notice) when `ELICENSE_TEST_PG_URL` is unset; a
        /// failing test when it is set and the server cannot be used.
        pub fn new() -> Option<Postgres> {
            Postgres::with(|o| o)
        }

        pub fn with(options: impl FnOnce(PostgresOptions) -> PostgresOptions) -> Option<Postgres> {
            let Ok(url) = std::env::var(URL_VAR) else {
                eprintln!(
                    "SKIPPED: PostgreSQL store tests: set {URL_VAR} \
                     (e.g. postgres://postgres@127.0.0.1:5432/test) to run them"
                );
                return None;
            };
            let schema = format!(
                "elicense_test_{:08x}_{:016x}",
                std::process::id(),
                getrandom::u64().unwrap()
            );
            let opts = options(PostgresOptions::new().schema(&schema).unwrap());
            let store = PostgresStore::connect_with(&url, &opts).unwrap_or_else(|e| {
                panic!("{URL_VAR} is set but the PostgreSQL store cannot be opened: {e}")
            });
            Some(Postgres { url, schema, store })
        }

        pub fn raw(&self) -> postgres::Client {
            let mut c = postgres::Client::connect(&self.url, postgres::NoTls).unwrap();
            c.batch_execute(&format!("SET search_path TO \"{}\"", self.schema))
                .unwrap();
            c
        }

        pub fn open_again(&self, options: PostgresOptions) -> Result<PostgresStore, StoreError> {
            PostgresStore::connect_with(&self.url, &options.schema(&self.schema).unwrap())
        }
    }

    impl Drop for Postgres {
        fn drop(&mut self) {
            if let Ok(mut c) = postgres::Client::connect(&self.url, postgres::NoTls) {
                let _ = c.batch_execute(&format!(
                    "DROP SCHEMA IF EXISTS \"{}\" CASCADE",
                    self.schema
                ));
            }
        }
    }

    impl Backend for Postgres {
        fn name(&self) -> &'static str {
            "postgres"
        }
        fn store(&self) -> &dyn LicenseStore {
            &self.store
        }
        fn corrupt_chunk(&self, sha256: &[u8; 32], idx: i64) -> bool {
            let idx = idx as i32;
            let key = &sha256[..];
            self.raw()
                .execute(
                    "UPDATE attachment_chunks \
                     SET data = set_byte(data, 0, get_byte(data, 0) # 1) \
                     WHERE sha256 = $1 AND idx = $2",
                    &[&key, &idx],
                )
                .unwrap()
                == 1
        }
        fn delete_chunk(&self, sha256: &[u8; 32], idx: i64) -> bool {
            let idx = idx as i32;
            let key = &sha256[..];
            self.raw()
                .execute(
                    "DELETE FROM attachment_chunks WHERE sha256 = $1 AND idx = $2",
                    &[&key, &idx],
                )
                .unwrap()
                == 1
        }
        fn corrupt_document(&self, id: &LicenseId) -> bool {
            self.raw()
                .execute(
                    "UPDATE licenses SET document = set_byte(document, length(document) / 2, \
                     get_byte(document, length(document) / 2) # 32) WHERE id = $1",
                    &[&id.as_str()],
                )
                .unwrap()
                == 1
        }
        fn set_schema_version(&self, version: i64) -> bool {
            self.raw()
                .execute("UPDATE elicense_schema SET version = $1", &[&version])
                .unwrap()
                == 1
        }
        fn reopen(&self) -> Option<Result<Box<dyn LicenseStore>, StoreError>> {
            Some(
                self.open_again(PostgresOptions::new())
                    .map(|s| Box::new(s) as Box<dyn LicenseStore>),
            )
        }
    }
}
