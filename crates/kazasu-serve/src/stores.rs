//! The stores behind the services, opened from `[database] url`: SQLite for one instance,
//! PostgreSQL for several on one database. The services see only the library's store traits.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kazasu_auth::{AccountStore, SqliteAuthStore};
use kazasu_consent::{LedgerStore, SqliteLedgerStore};
use kazasu_health::SqliteStore;
use kazasu_health::store::{BulkEnrol, CheckinStore, EligibilityStore};
use kazasu_pki::{ChallengeStore, MemoryChallengeStore};

use crate::ServeError;
use crate::config::Config;

/// The eligibility and check-in data, as one store.
pub trait HealthStore: EligibilityStore + CheckinStore {}
impl<T: EligibilityStore + CheckinStore + ?Sized> HealthStore for T {}

/// Every store the server uses, shared by its services.
#[derive(Clone)]
pub struct Stores {
    /// People, certificate links, facilities, audit, patient cards, queue numbers.
    pub health: Arc<dyn HealthStore>,
    /// Single-use challenges (shared by instances on one database).
    pub challenges: Arc<dyn ChallengeStore>,
    /// The consent ledger.
    pub ledger: Arc<dyn LedgerStore>,
    /// Login accounts.
    pub accounts: Arc<dyn AccountStore>,
    /// Loading many enrolled people at once (the sandbox's bulk loader).
    pub bulk: Arc<dyn BulkEnrol + Send + Sync>,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
}

impl std::fmt::Debug for Stores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stores")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

/// The three SQLite files a `sqlite:PATH` URL stands for: PATH (eligibility and check-in), and the
/// consent ledger and the login accounts beside it. (Challenges stay in memory: SQLite is for one
/// instance.)
pub fn sqlite_paths(path: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "kazasu".into());
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    (
        path.to_owned(),
        dir.join(format!("{stem}-consent.sqlite")),
        dir.join(format!("{stem}-auth.sqlite")),
    )
}

impl Stores {
    /// Opens (and migrates) the stores `config` names.
    pub fn open(config: &Config) -> Result<Self, ServeError> {
        let url = config.database.url.as_str();
        let lifetime = time::Duration::seconds(config.service.challenge_lifetime_secs);
        let capacity = config.service.challenge_capacity;
        if let Some(path) = url.strip_prefix("sqlite:") {
            let (health, consent, auth) = sqlite_paths(&config.resolve(Path::new(path)));
            let db = |e: &dyn std::fmt::Display| ServeError::Database(e.to_string());
            let store = Arc::new(SqliteStore::open(&health).map_err(|e| db(&e))?);
            return Ok(Stores {
                health: store.clone(),
                bulk: store,
                // SQLite serves one instance: its challenges can live in memory, which spares
                // a synchronous commit per challenge. (A restart forgets outstanding challenges;
                // terminals ask again.)
                challenges: Arc::new(MemoryChallengeStore::with_capacity(lifetime, capacity)),
                ledger: Arc::new(SqliteLedgerStore::open(&consent).map_err(|e| db(&e))?),
                accounts: Arc::new(SqliteAuthStore::open(&auth).map_err(|e| db(&e))?),
                backend: "sqlite",
            });
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return crate::postgres::open(config, lifetime, capacity);
        }
        Err(ServeError::Config(
            "database url: sqlite:PATH or postgres://… expected".into(),
        ))
    }

    /// Whether the database answers (for the health endpoint): a read of the stores.
    pub fn ping(&self) -> Result<(), String> {
        self.ledger.len().map(|_| ()).map_err(|e| e.to_string())
    }
}
