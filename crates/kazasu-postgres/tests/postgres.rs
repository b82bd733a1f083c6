//! The store suite on PostgreSQL (feature `postgres-tests`): each test in a fresh schema of the
//! database `KAZASU_TEST_PG_URL` names (scripts/test-postgres.sh starts one), each handle its own
//! pool, as separate server instances. A missing URL fails the tests: they never pass unrun.
#![cfg(feature = "postgres-tests")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod suite;

use kazasu_postgres::{
    PgAuthStore, PgChallengeStore, PgDatabase, PgError, PgLedgerStore, PgStore, SCHEMA_VERSION,
};
use suite::Db as _;
use time::Duration;

struct PgDb {
    url: String,
    schema: String,
}

fn url() -> String {
    std::env::var("KAZASU_TEST_PG_URL").expect(
        "KAZASU_TEST_PG_URL is not set: run scripts/test-postgres.sh (it starts a PostgreSQL cluster)",
    )
}

fn fresh() -> PgDb {
    let schema = format!("t_{}", hex(&kazasu_pki::random_challenge().unwrap()[..8]));
    PgDb { url: url(), schema }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl PgDb {
    fn database(&self) -> PgDatabase {
        PgDatabase::connect_in_schema(&self.url, &self.schema, 8).unwrap()
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.url, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

impl suite::Db for PgDb {
    type Store = PgStore;
    type Challenges = PgChallengeStore;
    type Ledger = PgLedgerStore;
    type Auth = PgAuthStore;

    fn store(&self) -> PgStore {
        self.database().store()
    }

    fn challenges(&self, lifetime: Duration, capacity: usize) -> PgChallengeStore {
        self.database().challenge_store(lifetime, capacity)
    }

    fn ledger(&self) -> PgLedgerStore {
        self.database().ledger_store()
    }

    fn auth(&self) -> PgAuthStore {
        self.database().auth_store()
    }

    fn execute(&self, sql: &str) {
        let mut c = postgres::Client::connect(&self.url, postgres::NoTls).unwrap();
        c.batch_execute(&format!("SET search_path = {}; {sql}", self.schema))
            .unwrap();
    }
}

store_suite!(fresh);

#[test]
fn instances_starting_together_migrate_once() {
    let db = fresh();
    let handles: Vec<PgDatabase> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..4).map(|_| sc.spawn(|| db.database())).collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for h in &handles {
        assert_eq!(h.schema_version().unwrap(), SCHEMA_VERSION);
    }
    let mut c = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let n: i64 = c
        .query_one(
            &format!("SELECT COUNT(*) FROM {}.schema_version", db.schema),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(n, SCHEMA_VERSION);
}

#[test]
fn a_newer_schema_is_refused() {
    let db = fresh();
    drop(db.database());
    db.execute("INSERT INTO schema_version (version) VALUES (99)");
    assert!(matches!(
        PgDatabase::connect_in_schema(&db.url, &db.schema, 1),
        Err(PgError::SchemaTooNew { found: 99, .. })
    ));
}

#[test]
fn errors_carry_no_row_values() {
    use kazasu_health::model::{AgencyCode, FacilityCode};
    use kazasu_health::store::EligibilityStore;
    let db = fresh();
    let s = db.database().store();
    // A rule the store does not expect, so the violation surfaces as a database error; PostgreSQL's
    // DETAIL would quote the value.
    db.execute("CREATE UNIQUE INDEX one_reference ON reference_numbers (reference_number)");
    let f = FacilityCode::new("1312345678").unwrap();
    let (a, b) = (
        AgencyCode::new("A1").unwrap(),
        AgencyCode::new("A2").unwrap(),
    );
    s.set_reference_number(&f, &a, "SECRET-REF-123").unwrap();
    let err = s
        .set_reference_number(&f, &b, "SECRET-REF-123")
        .unwrap_err();
    let mut text = format!("{err} {err:?}");
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        text.push_str(&format!(" {s} {s:?}"));
        source = s.source();
    }
    assert!(text.contains("23505"), "{text}");
    assert!(!text.contains("SECRET-REF"), "{text}");
}

#[test]
fn a_bad_schema_name_is_refused() {
    assert!(matches!(
        PgDatabase::connect_in_schema(&url(), "x; DROP TABLE persons", 1),
        Err(PgError::Config(_))
    ));
}
