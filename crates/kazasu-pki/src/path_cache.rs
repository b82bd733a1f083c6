//! The validated-path cache of a [`crate::Verifier`]: paths of certificates seen before, reused
//! while the verification time lies inside the window they hold for and the revocation data is
//! unchanged.
//!
//! Sharded (readers of different shards never meet; readers of one shard share a read lock) and
//! bounded: each shard evicts with the CLOCK rule (a hit marks its entry; the eviction hand spares
//! marked entries once), so a full cache keeps the cards seen again and drops those seen once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::revocation::{RevocationStatus, TimeWindow};
use crate::{Certificate, Purpose};

/// Shards of a cache that holds at least this many entries.
const SHARDS: usize = 16;

/// What a cached validation answers: the certificates' bytes and the question asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    /// SHA-256 of the leaf's DER.
    leaf: [u8; 32],
    /// SHA-256 over the intermediates offered (length-prefixed DER each), zero without any.
    intermediates: [u8; 32],
    purpose: Purpose,
}

impl Key {
    pub(crate) fn new(leaf: &Certificate, intermediates: &[Certificate], purpose: Purpose) -> Self {
        let mut others = [0u8; 32];
        if !intermediates.is_empty() {
            let mut h = Sha256::new();
            for c in intermediates {
                h.update(
                    u64::try_from(c.der().len())
                        .unwrap_or(u64::MAX)
                        .to_be_bytes(),
                );
                h.update(c.der());
            }
            others = h.finalize().into();
        }
        Self {
            leaf: *leaf.sha256(),
            intermediates: others,
            purpose,
        }
    }

    /// The key of a certificate given as DER, without intermediates.
    pub(crate) fn of_der(der: &[u8], purpose: Purpose) -> Self {
        Self {
            leaf: Sha256::digest(der).into(),
            intermediates: [0u8; 32],
            purpose,
        }
    }

    pub(crate) fn leaf_sha256(&self) -> [u8; 32] {
        self.leaf
    }

    fn shard(&self, shards: usize) -> usize {
        usize::from(self.leaf[0]) % shards
    }
}

/// A validation that succeeded.
#[derive(Debug)]
pub(crate) struct Entry {
    /// Leaf first, anchor last.
    pub(crate) chain: Arc<[Certificate]>,
    pub(crate) revocation: Arc<[RevocationStatus]>,
    /// Times at which every certificate of the chain is valid and the revocation answers hold.
    pub(crate) window: TimeWindow,
    /// The revocation source's generation when the validation started.
    pub(crate) generation: u64,
}

struct Slot {
    key: Key,
    entry: Arc<Entry>,
    referenced: AtomicBool,
}

#[derive(Default)]
struct Shard {
    index: HashMap<Key, usize>,
    slots: Vec<Slot>,
    hand: usize,
}

impl Shard {
    fn insert(&mut self, key: Key, entry: Arc<Entry>, capacity: usize) {
        if let Some(&i) = self.index.get(&key)
            && let Some(slot) = self.slots.get_mut(i)
        {
            slot.entry = entry;
            return;
        }
        let fresh = Slot {
            key,
            entry,
            referenced: AtomicBool::new(false),
        };
        if self.slots.len() < capacity {
            self.index.insert(key, self.slots.len());
            self.slots.push(fresh);
            return;
        }
        // CLOCK: spare each marked entry once; two turns find an unmarked one.
        for _ in 0..2 * self.slots.len() {
            let i = self.hand % self.slots.len();
            self.hand = i + 1;
            let Some(slot) = self.slots.get_mut(i) else {
                return;
            };
            if slot.referenced.swap(false, Ordering::Relaxed) {
                continue;
            }
            self.index.remove(&slot.key);
            self.index.insert(key, i);
            *slot = fresh;
            return;
        }
    }
}

/// Counters of a path cache (see [`crate::Verifier::path_cache_stats`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PathCacheStats {
    /// Validations answered from the cache.
    pub hits: u64,
    /// Validations that looked and found nothing usable (absent, outside its window, an older
    /// revocation generation).
    pub misses: u64,
    /// Entries held now.
    pub len: usize,
    /// Most entries held.
    pub capacity: usize,
}

/// One shard with its own counters (no counter is shared by all threads).
#[derive(Default)]
struct ShardCell {
    lock: RwLock<Shard>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// The cache itself (shared by clones of one verifier).
pub(crate) struct PathCache {
    shards: Box<[ShardCell]>,
    per_shard: usize,
}

impl std::fmt::Debug for PathCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PathCache")
            .field("capacity", &self.capacity())
            .finish_non_exhaustive()
    }
}

impl PathCache {
    /// A cache of at most `capacity` entries (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        let shards = if capacity >= 4 * SHARDS { SHARDS } else { 1 };
        Self {
            shards: (0..shards).map(|_| ShardCell::default()).collect(),
            per_shard: capacity.div_ceil(shards),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.per_shard * self.shards.len()
    }

    fn shard(&self, key: &Key) -> Option<&ShardCell> {
        self.shards.get(key.shard(self.shards.len()))
    }

    /// The entry for `key` if it holds for `leaf` at `at` under `generation`.
    pub(crate) fn get(
        &self,
        key: &Key,
        leaf_der: &[u8],
        at: OffsetDateTime,
        generation: u64,
    ) -> Option<Arc<Entry>> {
        let cell = self.shard(key)?;
        let found = (|| {
            let shard = cell.lock.read().ok()?;
            let slot = shard.slots.get(*shard.index.get(key)?)?;
            let e = &slot.entry;
            // The DER comparison makes a hit independent of SHA-256's collision resistance.
            let usable = e.generation == generation
                && e.window.contains(at)
                && e.chain.first().is_some_and(|c| c.der() == leaf_der);
            if usable {
                slot.referenced.store(true, Ordering::Relaxed);
            }
            usable.then(|| Arc::clone(e))
        })();
        let counter = if found.is_some() {
            &cell.hits
        } else {
            &cell.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// The parsed leaf of the entry for `key` if its DER is `der` (whatever the time and the
    /// revocation generation: the same bytes parse to the same certificate).
    pub(crate) fn leaf(&self, key: &Key, der: &[u8]) -> Option<Certificate> {
        let shard = self.shard(key)?.lock.read().ok()?;
        let slot = shard.slots.get(*shard.index.get(key)?)?;
        slot.entry.chain.first().filter(|c| c.der() == der).cloned()
    }

    pub(crate) fn insert(&self, key: Key, entry: Entry) {
        if let Some(cell) = self.shard(&key)
            && let Ok(mut shard) = cell.lock.write()
        {
            shard.insert(key, Arc::new(entry), self.per_shard);
        }
    }

    pub(crate) fn clear(&self) {
        for cell in &self.shards {
            if let Ok(mut s) = cell.lock.write() {
                *s = Shard::default();
            }
        }
    }

    pub(crate) fn stats(&self) -> PathCacheStats {
        let sum = |f: &dyn Fn(&ShardCell) -> u64| self.shards.iter().map(f).sum();
        PathCacheStats {
            hits: sum(&|c| c.hits.load(Ordering::Relaxed)),
            misses: sum(&|c| c.misses.load(Ordering::Relaxed)),
            len: self
                .shards
                .iter()
                .map(|c| c.lock.read().map_or(0, |s| s.slots.len()))
                .sum(),
            capacity: self.capacity(),
        }
    }
}
