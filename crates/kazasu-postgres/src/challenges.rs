//! [`PgChallengeStore`]: challenges shared by every instance on one database.

use kazasu_pki::{ChallengeProblem, ChallengeStore, Error as PkiError, random_challenge};
use time::{Duration, OffsetDateTime};

use crate::database::{Isolation, PgDatabase};
use crate::error::Txn;

/// A bounded [`ChallengeStore`] on PostgreSQL: a challenge issued by one instance can be answered
/// to any other on the same database, and using it is one conditional `UPDATE … RETURNING`, so of
/// two instances presented the same challenge exactly one accepts it. Expired challenges are
/// deleted when the store fills up (and by [`ChallengeStore::purge`]). Get one from
/// [`PgDatabase::challenge_store`].
///
/// The capacity is checked exactly (count, purge, count, under an advisory lock) on every
/// [`CHECK_EVERY`]-th issue of a store handle — every issue for capacities under
/// `64 × CHECK_EVERY`, and every issue while the last check found the table full — and otherwise
/// an issue is one `INSERT`. So the table holds at most about the capacity plus
/// [`CHECK_EVERY`] per instance, and issuing is not serialised between instances.
#[derive(Clone, Debug)]
pub struct PgChallengeStore {
    db: PgDatabase,
    lifetime: Duration,
    capacity: usize,
    since_check: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    full: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// How many issues of one store handle may pass between two exact capacity checks.
pub const CHECK_EVERY: usize = 1024;

fn unix_ns(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos()).unwrap_or(i64::MAX)
}

/// Advisory lock key of issuing ("chal" in ASCII): the count-then-insert of one issue must not
/// interleave with another instance's, or both could pass the capacity check.
const ISSUE_LOCK: i64 = 0x6368_616c;

impl PgChallengeStore {
    pub(crate) fn new(db: PgDatabase, lifetime: Duration, capacity: usize) -> Self {
        Self {
            db,
            lifetime,
            capacity: capacity.max(1),
            since_check: std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0)),
            full: std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
        }
    }

    /// Challenges remembered (live or used, not purged).
    pub fn len(&self) -> Result<usize, PkiError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            let n: i64 = tx
                .query_one("SELECT COUNT(*) FROM challenges", &[])?
                .try_get(0)?;
            Ok(usize::try_from(n).unwrap_or(usize::MAX))
        })
    }

    /// None remembered.
    pub fn is_empty(&self) -> Result<bool, PkiError> {
        Ok(self.len()? == 0)
    }

    fn row(&self, challenge: &[u8]) -> Result<Option<(i64, bool)>, ChallengeProblem> {
        self.db
            .run::<_, PkiError>(Isolation::ReadCommitted, |tx| {
                let row = tx.query_opt(
                    "SELECT expires_at, used FROM challenges WHERE challenge = $1",
                    &[&challenge],
                )?;
                Ok(match row {
                    Some(r) => Some((r.try_get(0)?, r.try_get(1)?)),
                    None => None,
                })
            })
            // A store that cannot answer never accepts.
            .map_err(|_| ChallengeProblem::Unknown)
    }
}

impl ChallengeStore for PgChallengeStore {
    fn issue(&self, at: OffsetDateTime) -> Result<Vec<u8>, PkiError> {
        use std::sync::atomic::Ordering;
        let challenge = random_challenge()?;
        let capacity = i64::try_from(self.capacity).unwrap_or(i64::MAX);
        let every = if self.capacity < 64 * CHECK_EVERY {
            1
        } else {
            CHECK_EVERY
        };
        let exact = self.full.load(Ordering::Relaxed)
            || self
                .since_check
                .fetch_add(1, Ordering::Relaxed)
                .is_multiple_of(every);
        let expires = unix_ns(at + self.lifetime);
        if !exact {
            self.db.run(Isolation::ReadCommitted, |tx| {
                tx.execute(
                    "INSERT INTO challenges (challenge, expires_at, used) VALUES ($1, $2, false)",
                    &[&challenge, &expires],
                )?;
                Ok(())
            })?;
            return Ok(challenge);
        }
        let full = &self.full;
        self.db.run(Isolation::ReadCommitted, |tx| {
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&ISSUE_LOCK])?;
            let count = |tx: &mut postgres::Transaction<'_>| -> Result<i64, postgres::Error> {
                tx.query_one("SELECT COUNT(*) FROM challenges", &[])?
                    .try_get(0)
            };
            if count(tx)? >= capacity {
                tx.execute(
                    "DELETE FROM challenges WHERE expires_at <= $1",
                    &[&unix_ns(at)],
                )?;
                if count(tx)? >= capacity {
                    full.store(true, Ordering::Relaxed);
                    return Err(Txn::Fail(PkiError::ChallengeCapacity {
                        capacity: self.capacity,
                    }));
                }
            }
            full.store(false, Ordering::Relaxed);
            tx.execute(
                "INSERT INTO challenges (challenge, expires_at, used) VALUES ($1, $2, false)",
                &[&challenge, &expires],
            )?;
            Ok(())
        })?;
        Ok(challenge)
    }

    fn purge(&self, at: OffsetDateTime) -> Result<usize, PkiError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            let n = tx.execute(
                "DELETE FROM challenges WHERE expires_at <= $1",
                &[&unix_ns(at)],
            )?;
            Ok(usize::try_from(n).unwrap_or(usize::MAX))
        })
    }

    fn check(&self, challenge: &[u8], at: OffsetDateTime) -> Result<(), ChallengeProblem> {
        judge(self.row(challenge)?, at)
    }

    fn consume(&self, challenge: &[u8], at: OffsetDateTime) -> Result<(), ChallengeProblem> {
        let used = self
            .db
            .run::<_, PkiError>(Isolation::ReadCommitted, |tx| {
                // One statement: the row lock makes a second instance wait, re-check `used`, and
                // find it taken.
                Ok(tx
                    .query_opt(
                        "UPDATE challenges SET used = true WHERE challenge = $1 AND NOT used AND expires_at > $2
                         RETURNING challenge",
                        &[&challenge, &unix_ns(at)],
                    )?
                    .is_some())
            })
            .map_err(|_| ChallengeProblem::Unknown)?;
        if used {
            return Ok(());
        }
        // The update did nothing: say why (and never accept).
        match judge(self.row(challenge)?, at) {
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
