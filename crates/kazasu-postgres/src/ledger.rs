//! [`PgLedgerStore`]: the consent ledger on PostgreSQL.

use kazasu_consent::{Checkpoint, ConsentError, LedgerRow, LedgerStore};
use sha2::Digest;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::database::{Isolation, PgDatabase};
use crate::error::{Txn, unique_violation};

/// An append-only [`LedgerStore`] on PostgreSQL. `seq` is the primary key: of two instances
/// appending at one position, one wins and the other gets [`ConsentError::PositionTaken`], which
/// `ConsentLedger` answers by checking its act again and appending at the new head. Get one from
/// [`PgDatabase::ledger_store`].
#[derive(Clone, Debug)]
pub struct PgLedgerStore {
    db: PgDatabase,
}

impl PgLedgerStore {
    pub(crate) fn new(db: PgDatabase) -> Self {
        Self { db }
    }
}

fn store(reason: impl Into<String>) -> Txn<ConsentError> {
    Txn::Fail(ConsentError::Store(reason.into()))
}

/// A stored hash. One that is not 32 bytes was edited: it is read as a value no real hash can
/// equal (as the SQLite store does), so the audit reports the row instead of failing to read.
fn hash32(v: Vec<u8>) -> [u8; 32] {
    v.clone().try_into().unwrap_or_else(|_| {
        let mut h = sha2::Sha256::new();
        h.update(b"kazasu-consent/v1/malformed-hash\0");
        h.update(&v);
        h.finalize().into()
    })
}

fn seq_param(seq: u64) -> Result<i64, Txn<ConsentError>> {
    i64::try_from(seq).map_err(|_| store("seq out of range"))
}

fn to_row(r: &postgres::Row) -> Result<LedgerRow, Txn<ConsentError>> {
    let bad = |_| store("a ledger row cannot be read");
    let seq: i64 = r.try_get(0).map_err(bad)?;
    Ok(LedgerRow {
        seq: u64::try_from(seq).map_err(|_| store("negative seq"))?,
        prev_hash: hash32(r.try_get(1).map_err(bad)?),
        hash: hash32(r.try_get(2).map_err(bad)?),
        patient: r.try_get(3).map_err(bad)?,
        body: r.try_get(4).map_err(bad)?,
    })
}

impl LedgerStore for PgLedgerStore {
    fn append(&self, row: &LedgerRow) -> Result<(), ConsentError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            let seq = seq_param(row.seq)?;
            let next: i64 = tx
                .query_one("SELECT COALESCE(MAX(seq) + 1, 0) FROM ledger", &[])?
                .try_get(0)?;
            if seq < next {
                return Err(Txn::Fail(ConsentError::PositionTaken { seq: row.seq }));
            }
            if seq != next {
                return Err(store(format!(
                    "row {} is not the next position {next}",
                    row.seq
                )));
            }
            // Another instance may insert this seq between the read and the insert: the primary
            // key refuses the second.
            match tx.execute(
                "INSERT INTO ledger (seq, prev_hash, hash, patient, body) VALUES ($1, $2, $3, $4, $5)",
                &[&seq, &&row.prev_hash[..], &&row.hash[..], &row.patient, &row.body],
            ) {
                Ok(_) => Ok(()),
                Err(e) if unique_violation(&e) => {
                    Err(Txn::Fail(ConsentError::PositionTaken { seq: row.seq }))
                }
                Err(e) => Err(Txn::Pg(e)),
            }
        })
    }

    fn len(&self) -> Result<u64, ConsentError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            let n: i64 = tx
                .query_one("SELECT COALESCE(MAX(seq) + 1, 0) FROM ledger", &[])?
                .try_get(0)?;
            u64::try_from(n).map_err(|_| store("negative count"))
        })
    }

    fn rows(&self, from: u64, limit: usize) -> Result<Vec<LedgerRow>, ConsentError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            tx.query(
                "SELECT seq, prev_hash, hash, patient, body FROM ledger WHERE seq >= $1 ORDER BY seq LIMIT $2",
                &[&seq_param(from)?, &limit],
            )?
            .iter()
            .map(to_row)
            .collect()
        })
    }

    fn rows_for_patient(&self, patient: &str) -> Result<Vec<LedgerRow>, ConsentError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            tx.query(
                "SELECT seq, prev_hash, hash, patient, body FROM ledger WHERE patient = $1 ORDER BY seq",
                &[&patient],
            )?
            .iter()
            .map(to_row)
            .collect()
        })
    }

    fn add_checkpoint(&self, c: &Checkpoint) -> Result<(), ConsentError> {
        let at =
            c.at.format(&Rfc3339)
                .map_err(|e| ConsentError::Store(e.to_string()))?;
        self.db.run(Isolation::ReadCommitted, |tx| {
            tx.execute(
                "INSERT INTO checkpoints (seq, head, at, signature) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (seq) DO UPDATE SET head = $2, at = $3, signature = $4",
                &[&seq_param(c.seq)?, &&c.head[..], &at, &c.signature],
            )?;
            Ok(())
        })
    }

    fn checkpoints(&self) -> Result<Vec<Checkpoint>, ConsentError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            tx.query(
                "SELECT seq, head, at, signature FROM checkpoints ORDER BY seq",
                &[],
            )?
            .iter()
            .map(|r| {
                let bad = |_| store("a checkpoint row cannot be read");
                let seq: i64 = r.try_get(0).map_err(bad)?;
                let at: String = r.try_get(2).map_err(bad)?;
                Ok(Checkpoint {
                    seq: u64::try_from(seq).map_err(|_| store("negative seq"))?,
                    head: hash32(r.try_get(1).map_err(bad)?),
                    at: OffsetDateTime::parse(&at, &Rfc3339)
                        .map_err(|_| store("a checkpoint time cannot be read"))?,
                    signature: r.try_get(3).map_err(bad)?,
                })
            })
            .collect()
        })
    }
}
