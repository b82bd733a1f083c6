//! The SQLite [`LedgerStore`]: one file, migrations, one transaction per append.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, params};
use rusqlite_migration::{M, Migrations};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::ConsentError;
use crate::store::{Checkpoint, LedgerRow, LedgerStore};

const MIGRATIONS: &[M<'static>] = &[M::up(include_str!("../migrations/0001_ledger.sql"))];

/// A [`LedgerStore`] in an SQLite database.
#[derive(Debug)]
pub struct SqliteLedgerStore {
    conn: Mutex<Connection>,
}

/// A stored hash. One that is not 32 bytes was edited: it is read as a value no real hash can
/// equal, so the audit reports the row instead of failing to read the ledger.
fn hash32(v: Vec<u8>) -> Result<[u8; 32], ConsentError> {
    use sha2::Digest;
    Ok(v.clone().try_into().unwrap_or_else(|_| {
        let mut h = sha2::Sha256::new();
        h.update(b"kazasu-consent/v1/malformed-hash\0");
        h.update(&v);
        h.finalize().into()
    }))
}

impl SqliteLedgerStore {
    /// Opens (creating and migrating) the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ConsentError> {
        Self::init(Connection::open(path)?)
    }

    /// A private in-memory database.
    pub fn in_memory() -> Result<Self, ConsentError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Self, ConsentError> {
        // Several ledgers (processes) may share the file: wait for a writer instead of failing.
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        Migrations::from_slice(MIGRATIONS).to_latest(&mut conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>, ConsentError> {
        self.conn
            .lock()
            .map_err(|_| ConsentError::Store("poisoned".into()))
    }
}

/// Bytes of a BLOB or TEXT cell: an edited row may have changed its type, and the audit must
/// report the edit, not fail to read it.
fn bytes(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Vec<u8>> {
    Ok(match r.get_ref(i)? {
        rusqlite::types::ValueRef::Blob(b) | rusqlite::types::ValueRef::Text(b) => b.to_vec(),
        _ => Vec::new(),
    })
}

/// A row as read: seq, prev_hash, hash, patient, body.
type RawRow = (i64, Vec<u8>, Vec<u8>, String, Vec<u8>);

fn row_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
    Ok((
        r.get(0)?,
        bytes(r, 1)?,
        bytes(r, 2)?,
        r.get(3)?,
        bytes(r, 4)?,
    ))
}

fn to_row((seq, prev, hash, patient, body): RawRow) -> Result<LedgerRow, ConsentError> {
    Ok(LedgerRow {
        seq: u64::try_from(seq).map_err(|_| ConsentError::Store("negative seq".into()))?,
        prev_hash: hash32(prev)?,
        hash: hash32(hash)?,
        patient,
        body,
    })
}

fn seq_param(seq: u64) -> Result<i64, ConsentError> {
    i64::try_from(seq).map_err(|_| ConsentError::Store("seq out of range".into()))
}

impl LedgerStore for SqliteLedgerStore {
    fn append(&self, row: &LedgerRow) -> Result<(), ConsentError> {
        let mut conn = self.lock()?;
        // Immediate: the write lock is taken before counting, so two connections to one file
        // cannot both see the same next position.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let next: i64 = tx.query_row("SELECT COUNT(*) FROM ledger", [], |r| r.get(0))?;
        if seq_param(row.seq)? < next {
            return Err(ConsentError::PositionTaken { seq: row.seq });
        }
        if seq_param(row.seq)? != next {
            return Err(ConsentError::Store(format!(
                "row {} is not the next position {next}",
                row.seq
            )));
        }
        tx.execute(
            "INSERT INTO ledger (seq, prev_hash, hash, patient, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                seq_param(row.seq)?,
                &row.prev_hash[..],
                &row.hash[..],
                row.patient,
                row.body
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn len(&self) -> Result<u64, ConsentError> {
        let n: i64 = self
            .lock()?
            .query_row("SELECT COUNT(*) FROM ledger", [], |r| r.get(0))?;
        u64::try_from(n).map_err(|_| ConsentError::Store("negative count".into()))
    }

    fn rows(&self, from: u64, limit: usize) -> Result<Vec<LedgerRow>, ConsentError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached(
            "SELECT seq, prev_hash, hash, patient, body FROM ledger WHERE seq >= ?1 ORDER BY seq LIMIT ?2",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![seq_param(from)?, limit], row_of)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(to_row).collect()
    }

    fn rows_for_patient(&self, patient: &str) -> Result<Vec<LedgerRow>, ConsentError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached(
            "SELECT seq, prev_hash, hash, patient, body FROM ledger WHERE patient = ?1 ORDER BY seq",
        )?;
        let rows = stmt
            .query_map(params![patient], row_of)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(to_row).collect()
    }

    fn add_checkpoint(&self, c: &Checkpoint) -> Result<(), ConsentError> {
        let at =
            c.at.format(&Rfc3339)
                .map_err(|e| ConsentError::Store(e.to_string()))?;
        self.lock()?.execute(
            "INSERT OR REPLACE INTO checkpoints (seq, head, at, signature) VALUES (?1, ?2, ?3, ?4)",
            params![seq_param(c.seq)?, &c.head[..], at, c.signature],
        )?;
        Ok(())
    }

    fn checkpoints(&self) -> Result<Vec<Checkpoint>, ConsentError> {
        let conn = self.lock()?;
        let mut stmt =
            conn.prepare_cached("SELECT seq, head, at, signature FROM checkpoints ORDER BY seq")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    bytes(r, 1)?,
                    r.get::<_, String>(2)?,
                    bytes(r, 3)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(seq, head, at, signature)| {
                Ok(Checkpoint {
                    seq: u64::try_from(seq)
                        .map_err(|_| ConsentError::Store("negative seq".into()))?,
                    head: hash32(head)?,
                    at: OffsetDateTime::parse(&at, &Rfc3339)
                        .map_err(|e| ConsentError::Store(e.to_string()))?,
                    signature,
                })
            })
            .collect()
    }
}
