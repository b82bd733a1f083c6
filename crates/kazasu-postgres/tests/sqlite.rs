//! The store suite on the SQLite stores (kazasu-health, kazasu-consent, kazasu-auth): files in a
//! temporary directory, a new connection per handle.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod suite;

use std::path::PathBuf;

use kazasu_auth::SqliteAuthStore;
use kazasu_consent::SqliteLedgerStore;
use kazasu_health::{SqliteChallengeStore, SqliteStore};
use time::Duration;

struct SqliteDb {
    dir: tempfile::TempDir,
}

impl SqliteDb {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn fresh() -> SqliteDb {
    SqliteDb {
        dir: tempfile::tempdir().unwrap(),
    }
}

impl suite::Db for SqliteDb {
    type Store = SqliteStore;
    type Challenges = SqliteChallengeStore;
    type Ledger = SqliteLedgerStore;
    type Auth = SqliteAuthStore;

    fn store(&self) -> SqliteStore {
        SqliteStore::open(self.path("store.db")).unwrap()
    }

    fn challenges(&self, lifetime: Duration, capacity: usize) -> SqliteChallengeStore {
        SqliteChallengeStore::open(self.path("store.db"), lifetime, capacity).unwrap()
    }

    fn ledger(&self) -> SqliteLedgerStore {
        SqliteLedgerStore::open(self.path("ledger.db")).unwrap()
    }

    fn auth(&self) -> SqliteAuthStore {
        SqliteAuthStore::open(self.path("auth.db")).unwrap()
    }

    fn execute(&self, sql: &str) {
        let conn = rusqlite::Connection::open(self.path("store.db")).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .unwrap();
        conn.execute_batch(sql).unwrap();
    }
}

store_suite!(fresh);
