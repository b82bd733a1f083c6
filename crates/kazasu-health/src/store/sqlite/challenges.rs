//! [`SqliteChallengeStore`]: challenges in a database file that several service processes share.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use kazasu_pki::{ChallengeProblem, ChallengeStore, Error as PkiError, random_challenge};
use rusqlite::{Connection, OptionalExtension, params};
use time::{Duration, OffsetDateTime};

use super::SqliteStore;
use crate::StoreError;

/// A bounded [`ChallengeStore`] in SQLite: a challenge issued by one service instance can be
/// answered to another that opened the same file; using one is a single conditional `UPDATE`, so
/// two instances racing on one challenge cannot both accept it. Expired challenges are deleted
/// when the store fills up (and by [`ChallengeStore::purge`]).
#[derive(Debug)]
pub struct SqliteChallengeStore {
    conn: Mutex<Connection>,
    lifetime: Duration,
    capacity: usize,
}

impl SqliteChallengeStore {
    /// Opens the challenge table in the store database at `path` (migrating it like
    /// [`SqliteStore::open`]); challenges live `lifetime`, at most `capacity` at a time.
    pub fn open(
        path: impl AsRef<Path>,
        lifetime: Duration,
        capacity: usize,
    ) -> Result<Self, StoreError> {
        // Opening through the store runs the migrations and sets the pragmas.
        drop(SqliteStore::open(path.as_ref())?);
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        Ok(Self {
            conn: Mutex::new(conn),
            lifetime,
            capacity: capacity.max(1),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Challenges remembered (live or used, not purged).
    pub fn len(&self) -> Result<usize, StoreError> {
        let n: i64 = self
            .lock()
            .query_row("SELECT COUNT(*) FROM challenges", [], |r| r.get(0))?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// None remembered.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len()? == 0)
    }
}

fn db(e: rusqlite::Error) -> PkiError {
    PkiError::Unsupported {
        what: "challenge store",
        detail: e.to_string(),
    }
}

fn unix_ns(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos()).unwrap_or(i64::MAX)
}

impl ChallengeStore for SqliteChallengeStore {
    fn issue(&self, at: OffsetDateTime) -> Result<Vec<u8>, PkiError> {
        let challenge = random_challenge()?;
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db)?;
        let count = |tx: &rusqlite::Transaction<'_>| -> Result<usize, PkiError> {
            let n: i64 = tx
                .query_row("SELECT COUNT(*) FROM challenges", [], |r| r.get(0))
                .map_err(db)?;
            Ok(usize::try_from(n).unwrap_or(usize::MAX))
        };
        if count(&tx)? >= self.capacity {
            tx.execute(
                "DELETE FROM challenges WHERE expires_at <= ?1",
                params![unix_ns(at)],
            )
            .map_err(db)?;
            if count(&tx)? >= self.capacity {
                return Err(PkiError::ChallengeCapacity {
                    capacity: self.capacity,
                });
            }
        }
        tx.execute(
            "INSERT INTO challenges (challenge, expires_at, used) VALUES (?1, ?2, 0)",
            params![challenge, unix_ns(at + self.lifetime)],
        )
        .map_err(db)?;
        tx.commit().map_err(db)?;
        Ok(challenge)
    }

    fn purge(&self, at: OffsetDateTime) -> Result<usize, PkiError> {
        self.lock()
            .execute(
                "DELETE FROM challenges WHERE expires_at <= ?1",
                params![unix_ns(at)],
            )
            .map_err(db)
    }

    fn check(&self, challenge: &[u8], at: OffsetDateTime) -> Result<(), ChallengeProblem> {
        let row: Option<(i64, bool)> = self
            .lock()
            .query_row(
                "SELECT expires_at, used FROM challenges WHERE challenge = ?1",
                params![challenge],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|_| ChallengeProblem::Unknown)?;
        judge(row, at)
    }

    fn consume(&self, challenge: &[u8], at: OffsetDateTime) -> Result<(), ChallengeProblem> {
        let conn = self.lock();
        let used = conn
            .execute(
                "UPDATE challenges SET used = 1 WHERE challenge = ?1 AND used = 0 AND expires_at > ?2",
                params![challenge, unix_ns(at)],
            )
            .map_err(|_| ChallengeProblem::Unknown)?;
        if used == 1 {
            return Ok(());
        }
        let row: Option<(i64, bool)> = conn
            .query_row(
                "SELECT expires_at, used FROM challenges WHERE challenge = ?1",
                params![challenge],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|_| ChallengeProblem::Unknown)?;
        // The update did nothing: say why (and never accept).
        match judge(row, at) {
            Ok(()) => Err(ChallengeProblem::Replayed),
            Err(p) => Err(p),
        }
    }
}

fn judge(row: Option<(i64, bool)>, at: OffsetDateTime) -> Result<(), ChallengeProblem> {
    let (expires_at, used) = row.ok_or(ChallengeProblem::Unknown)?;
    if used {
        return Err(ChallengeProblem::Replayed);
    }
    if unix_ns(at) >= expires_at {
        let expired_at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(expires_at))
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        return Err(ChallengeProblem::Expired { expired_at });
    }
    Ok(())
}
