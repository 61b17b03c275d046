//! PostgreSQL only: transactions are retried on serialization failures
//! (SQLSTATE 40001), which the server raises here from a trigger.

use elicense::*;

use super::support::*;
use crate::fixtures::*;

/// Makes the server fail the next `n` license inserts with SQLSTATE 40001.
/// A sequence is not transactional, so the count survives the rollbacks.
fn inject_serialization_failures(b: &Postgres, n: i64) {
    let mut raw = b.raw();
    raw.batch_execute(&format!(
        "CREATE SEQUENCE IF NOT EXISTS injected_faults;
         CREATE OR REPLACE FUNCTION inject_fault() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF nextval('injected_faults') <= {n} THEN
                 RAISE EXCEPTION 'injected serialization failure'
                     USING ERRCODE = 'serialization_failure';
             END IF;
             RETURN NEW;
         END $$;
         DROP TRIGGER IF EXISTS inject ON licenses;
         CREATE TRIGGER inject BEFORE INSERT ON licenses
             FOR EACH ROW EXECUTE FUNCTION inject_fault();
         ALTER SEQUENCE injected_faults RESTART WITH 1;"
    ))
    .unwrap();
}

fn calls(b: &Postgres) -> i64 {
    b.raw()
        .query_one("SELECT last_value FROM injected_faults", &[])
        .unwrap()
        .get(0)
}

#[test]
fn serialization_failures_are_retried() {
    let Some(b) = Postgres::new() else { return };
    let s = &b.store;
    s.register_type(&food_type()).unwrap();
    inject_serialization_failures(&b, 2);
    let a = simple(1);
    assert_eq!(s.insert(&a).unwrap(), Inserted::New);
    assert_eq!(calls(&b), 3, "two failed attempts and one that succeeded");
    assert_eq!(s.document(a.license().id()).unwrap().unwrap(), a.as_bytes());
    assert_eq!(s.count(&Query::new()).unwrap(), 1);
}

#[test]
fn retries_give_up_and_store_nothing() {
    let Some(b) = Postgres::with(|o| o.max_attempts(3)) else {
        return;
    };
    let s = &b.store;
    s.register_type(&food_type()).unwrap();
    inject_serialization_failures(&b, 1_000);
    let batch = [simple(1), simple(2)];
    match s.insert_batch(&batch) {
        Err(StoreError::RetriesExhausted { attempts: 3, last }) => {
            assert_eq!(last.code(), Some("40001"));
            assert!(last.is_serialization_failure());
        }
        other => panic!("{other:?}"),
    }
    // Each attempt failed on its first row.
    assert_eq!(calls(&b), 3);
    assert_eq!(s.count(&Query::new()).unwrap(), 0);
}

#[test]
fn name_search_uses_trigrams_when_available() {
    let Some(b) = Postgres::new() else { return };
    // The local server has pg_trgm; elsewhere the LIKE scan gives the same results.
    eprintln!("pg_trgm index: {}", b.store.has_trigram_index());
    let s = &b.store;
    s.register_type(&food_type()).unwrap();
    s.insert_batch(&(0..5).map(simple).collect::<Vec<_>>())
        .unwrap();
    let q = Query::new().name_contains("某某餐饮").unwrap();
    assert_eq!(s.count(&q).unwrap(), 5);
}

#[test]
fn unreachable_server_is_a_clear_error() {
    if std::env::var("ELICENSE_TEST_PG_URL").is_err() {
        return;
    }
    // Nothing listens on port 1 of the loopback.
    let e = PostgresStore::connect("postgres://postgres@127.0.0.1:1/none").unwrap_err();
    match e {
        StoreError::Backend(b) => assert_eq!(b.backend(), "postgres"),
        other => panic!("{other:?}"),
    }
}
