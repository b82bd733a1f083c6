//! [`PgDatabase`]: the connection pool, the migrations, and the transaction runner every store uses.

use std::time::Duration;

use postgres::{IsolationLevel, NoTls, Transaction};
use r2d2::Pool;
use r2d2_postgres::PostgresConnectionManager;

use crate::error::{Failure, PgError, PgFailure, Txn, retryable};

/// The migrations, in order; `schema_version` records which ran.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_initial.sql")),
    (2, include_str!("../migrations/0002_lookup_indexes.sql")),
];

/// How many migrations this version knows.
pub const SCHEMA_VERSION: i64 = 2;

/// The advisory lock key migrations hold ("kazasu" in ASCII), so instances starting together
/// migrate one after the other.
const MIGRATION_LOCK: i64 = 0x0000_6b61_7a61_7375;

/// How often a transaction that lost a serialization race (SQLSTATE 40001/40P01) is run again.
const TRIES: u32 = 24;

type Manager = PostgresConnectionManager<NoTls>;

/// A pool of connections to one PostgreSQL database, migrated to this version's schema. Cheap to
/// clone (clones share the pool); hand out stores with [`PgDatabase::store`],
/// [`PgDatabase::challenge_store`], [`PgDatabase::ledger_store`] and [`PgDatabase::auth_store`].
#[derive(Clone)]
pub struct PgDatabase {
    pool: Pool<Manager>,
}

impl std::fmt::Debug for PgDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password: never print it.
        f.debug_struct("PgDatabase")
            .field("max_size", &self.pool.max_size())
            .finish_non_exhaustive()
    }
}

impl PgDatabase {
    /// Connects to `url` (`postgres://user@host:port/db` or a key=value string) with at most
    /// `pool_size` connections, and migrates the schema (under an advisory lock, so several
    /// instances may start at once).
    pub fn connect(url: &str, pool_size: u32) -> Result<Self, PgError> {
        Self::open(url, None, pool_size)
    }

    /// As [`PgDatabase::connect`], with every table in `schema` (created when missing): several
    /// independent stores in one database (tests, tenants). `schema` is letters, digits and `_`.
    pub fn connect_in_schema(url: &str, schema: &str, pool_size: u32) -> Result<Self, PgError> {
        let valid = !schema.is_empty()
            && schema.len() <= 63
            && schema
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !schema.as_bytes()[0].is_ascii_digit();
        if !valid {
            return Err(PgError::Config(
                "a schema name is 1 to 63 letters, digits or _, not starting with a digit".into(),
            ));
        }
        Self::open(url, Some(schema), pool_size)
    }

    fn open(url: &str, schema: Option<&str>, pool_size: u32) -> Result<Self, PgError> {
        let mut config: postgres::Config = url
            .parse()
            .map_err(|_| PgError::Config("the connection string cannot be read".into()))?;
        if let Some(schema) = schema {
            // Create it first, through a plain connection, so the pool's search_path finds it.
            // Under the migration lock: two instances creating it at once would collide.
            let mut client = config.connect(NoTls).map_err(PgFailure::from)?;
            let mut tx = client.transaction().map_err(PgFailure::from)?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
                .map_err(PgFailure::from)?;
            tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                .map_err(PgFailure::from)?;
            tx.commit().map_err(PgFailure::from)?;
            config.options(&format!("-c search_path={schema}"));
        }
        let pool = Pool::builder()
            .max_size(pool_size.max(1))
            .min_idle(Some(0))
            // No round trip to test a connection on every checkout: a connection that broke
            // fails its statement, the request answers 503 (safe to retry) and the pool drops it.
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(30))
            .build(PostgresConnectionManager::new(config, NoTls))
            .map_err(|e| PgError::Pool(e.to_string()))?;
        let db = Self { pool };
        db.migrate()?;
        Ok(db)
    }

    fn migrate(&self) -> Result<(), PgError> {
        let mut conn = self.pool.get().map_err(|e| PgError::Pool(e.to_string()))?;
        conn.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
            .map_err(PgFailure::from)?;
        let result = Self::migrate_locked(&mut conn);
        let unlocked = conn
            .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
            .map_err(PgFailure::from);
        result?;
        unlocked?;
        Ok(())
    }

    fn migrate_locked(conn: &mut postgres::Client) -> Result<(), PgError> {
        conn.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .map_err(PgFailure::from)?;
        let found: i64 = conn
            .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
            .and_then(|r| r.try_get(0))
            .map_err(PgFailure::from)?;
        if found > SCHEMA_VERSION {
            return Err(PgError::SchemaTooNew {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
            let mut tx = conn.transaction().map_err(PgFailure::from)?;
            tx.batch_execute(sql).map_err(PgFailure::from)?;
            tx.execute(
                "INSERT INTO schema_version (version) VALUES ($1)",
                &[version],
            )
            .map_err(PgFailure::from)?;
            tx.commit().map_err(PgFailure::from)?;
        }
        Ok(())
    }

    /// The schema version in force.
    pub fn schema_version(&self) -> Result<i64, PgError> {
        self.run(Isolation::ReadCommitted, |tx| {
            Ok(tx
                .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])?
                .try_get(0)?)
        })
    }

    /// The eligibility, check-in and linkage store ([`crate::PgStore`]) on this pool.
    pub fn store(&self) -> crate::PgStore {
        crate::PgStore::new(self.clone())
    }

    /// A challenge store on this pool: challenges live `lifetime`, at most `capacity` at a time.
    pub fn challenge_store(
        &self,
        lifetime: time::Duration,
        capacity: usize,
    ) -> crate::PgChallengeStore {
        crate::PgChallengeStore::new(self.clone(), lifetime, capacity)
    }

    /// The consent ledger store on this pool.
    pub fn ledger_store(&self) -> crate::PgLedgerStore {
        crate::PgLedgerStore::new(self.clone())
    }

    /// The accounts and tickets store on this pool.
    pub fn auth_store(&self) -> crate::PgAuthStore {
        crate::PgAuthStore::new(self.clone())
    }

    /// A connection from the pool, for work the store traits do not cover (bulk loads).
    pub(crate) fn connection(&self) -> Result<r2d2::PooledConnection<Manager>, PgFailure> {
        Ok(self.pool.get()?)
    }

    /// Runs `body` in a transaction at `isolation`, committing when it returns `Ok`; a
    /// serialization failure or deadlock (in the body or at commit) runs it again, up to a bound.
    pub(crate) fn run<T, E: Failure>(
        &self,
        isolation: Isolation,
        mut body: impl FnMut(&mut Transaction<'_>) -> Result<T, Txn<E>>,
    ) -> Result<T, E> {
        let mut conn = self
            .pool
            .get()
            .map_err(|e| E::database(PgFailure::from(e)))?;
        let mut tries = 0;
        loop {
            tries += 1;
            let again = tries < TRIES;
            let mut tx = conn
                .build_transaction()
                .isolation_level(match isolation {
                    Isolation::ReadCommitted => IsolationLevel::ReadCommitted,
                    Isolation::Serializable => IsolationLevel::Serializable,
                })
                .start()
                .map_err(|e| E::database(e.into()))?;
            match body(&mut tx) {
                Ok(value) => match tx.commit() {
                    Ok(()) => return Ok(value),
                    Err(e) if again && retryable(&e) => {}
                    Err(e) => return Err(E::database(e.into())),
                },
                Err(Txn::Pg(e)) if again && retryable(&e) => drop(tx),
                Err(Txn::Pg(e)) => return Err(E::database(e.into())),
                Err(Txn::Fail(e)) => return Err(e),
            }
            // Let the winner finish before trying again; a little jitter keeps losers apart.
            std::thread::sleep(Duration::from_micros(
                200 * u64::from(tries) + u64::from(jitter()) % 500,
            ));
        }
    }
}

fn jitter() -> u16 {
    let mut b = [0u8; 2];
    // No randomness available only shortens the pause.
    if kazasu_pki::random_challenge()
        .map(|c| b.copy_from_slice(&c[..2]))
        .is_err()
    {
        return 0;
    }
    u16::from_le_bytes(b)
}

/// The isolation a store transaction runs at.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Isolation {
    /// Single statements, or row locks taken explicitly.
    ReadCommitted,
    /// Read, check, then write: PostgreSQL aborts one of two racing transactions (and the runner
    /// retries it).
    Serializable,
}
