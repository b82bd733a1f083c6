//! Where the ledger lives: a trait, an in-memory store for tests and benches, and SQLite (feature
//! `sqlite`, the default).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use time::OffsetDateTime;

use crate::ConsentError;

/// One stored ledger row. `hash` = SHA-256 over the domain label, `seq`, `prev_hash` and `body`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerRow {
    /// Position, from 0.
    pub seq: u64,
    /// The previous row's hash (zeros for the first).
    pub prev_hash: [u8; 32],
    /// This row's hash.
    pub hash: [u8; 32],
    /// The network patient id the row concerns (an index; the body is authoritative).
    pub patient: String,
    /// The entry, JSON.
    pub body: Vec<u8>,
}

/// The network's signature over the ledger head at `seq`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The last row covered.
    pub seq: u64,
    /// That row's hash.
    pub head: [u8; 32],
    /// When the network signed.
    pub at: OffsetDateTime,
    /// PKCS#1 v1.5 SHA-256 signature by the network key.
    pub signature: Vec<u8>,
}

/// An append-only ledger store. There is no update and no delete.
pub trait LedgerStore: Send + Sync {
    /// Appends `row`; refuses unless `row.seq` is the next position. A position already taken is
    /// [`ConsentError::PositionTaken`] (another writer got there first), whatever the backend; any
    /// other wrong position is [`ConsentError::Store`].
    fn append(&self, row: &LedgerRow) -> Result<(), ConsentError>;
    /// How many rows.
    fn len(&self) -> Result<u64, ConsentError>;
    /// Whether there are no rows.
    fn is_empty(&self) -> Result<bool, ConsentError> {
        Ok(self.len()? == 0)
    }
    /// Up to `limit` rows from `from`, in order.
    fn rows(&self, from: u64, limit: usize) -> Result<Vec<LedgerRow>, ConsentError>;
    /// Every row stored under `patient`, in order.
    fn rows_for_patient(&self, patient: &str) -> Result<Vec<LedgerRow>, ConsentError>;
    /// Stores a checkpoint.
    fn add_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), ConsentError>;
    /// Every checkpoint, by `seq`.
    fn checkpoints(&self) -> Result<Vec<Checkpoint>, ConsentError>;
}

/// An in-memory [`LedgerStore`] (tests, benches, one process).
#[derive(Debug, Default)]
pub struct MemoryLedgerStore {
    inner: Mutex<Memory>,
}

#[derive(Debug, Default)]
struct Memory {
    rows: Vec<LedgerRow>,
    by_patient: HashMap<String, Vec<usize>>,
    checkpoints: Vec<Checkpoint>,
}

impl MemoryLedgerStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, Memory>, ConsentError> {
        self.inner
            .lock()
            .map_err(|_| ConsentError::Store("poisoned".into()))
    }
}

impl LedgerStore for MemoryLedgerStore {
    fn append(&self, row: &LedgerRow) -> Result<(), ConsentError> {
        let mut m = self.lock()?;
        let next = m.rows.len() as u64;
        if row.seq < next {
            return Err(ConsentError::PositionTaken { seq: row.seq });
        }
        if row.seq != next {
            return Err(ConsentError::Store(format!(
                "row {} is not the next position {next}",
                row.seq
            )));
        }
        let index = m.rows.len();
        m.by_patient
            .entry(row.patient.clone())
            .or_default()
            .push(index);
        m.rows.push(row.clone());
        Ok(())
    }

    fn len(&self) -> Result<u64, ConsentError> {
        Ok(self.lock()?.rows.len() as u64)
    }

    fn rows(&self, from: u64, limit: usize) -> Result<Vec<LedgerRow>, ConsentError> {
        let m = self.lock()?;
        let from = usize::try_from(from).unwrap_or(usize::MAX);
        Ok(m.rows.iter().skip(from).take(limit).cloned().collect())
    }

    fn rows_for_patient(&self, patient: &str) -> Result<Vec<LedgerRow>, ConsentError> {
        let m = self.lock()?;
        Ok(m.by_patient
            .get(patient)
            .map(|ix| ix.iter().filter_map(|&i| m.rows.get(i).cloned()).collect())
            .unwrap_or_default())
    }

    fn add_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), ConsentError> {
        let mut m = self.lock()?;
        m.checkpoints.push(checkpoint.clone());
        m.checkpoints.sort_by_key(|c| c.seq);
        Ok(())
    }

    fn checkpoints(&self) -> Result<Vec<Checkpoint>, ConsentError> {
        Ok(self.lock()?.checkpoints.clone())
    }
}

impl<S: LedgerStore + ?Sized> LedgerStore for std::sync::Arc<S> {
    fn append(&self, row: &LedgerRow) -> Result<(), ConsentError> {
        (**self).append(row)
    }
    fn len(&self) -> Result<u64, ConsentError> {
        (**self).len()
    }
    fn rows(&self, from: u64, limit: usize) -> Result<Vec<LedgerRow>, ConsentError> {
        (**self).rows(from, limit)
    }
    fn rows_for_patient(&self, patient: &str) -> Result<Vec<LedgerRow>, ConsentError> {
        (**self).rows_for_patient(patient)
    }
    fn add_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), ConsentError> {
        (**self).add_checkpoint(checkpoint)
    }
    fn checkpoints(&self) -> Result<Vec<Checkpoint>, ConsentError> {
        (**self).checkpoints()
    }
}
