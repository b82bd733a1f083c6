//! PostgreSQL stores (`kazasu-postgres`): several instances on one database.

use std::sync::Arc;

use kazasu_postgres::PgDatabase;

use crate::ServeError;
use crate::config::Config;
use crate::stores::Stores;

pub(crate) fn open(
    config: &Config,
    lifetime: time::Duration,
    capacity: usize,
) -> Result<Stores, ServeError> {
    // The URL may carry a password: errors name the failure, never the URL.
    let db = PgDatabase::connect(&config.database.url, config.database.pool_size)
        .map_err(|e| ServeError::Database(e.to_string()))?;
    let store = Arc::new(db.store());
    Ok(Stores {
        health: store.clone(),
        bulk: store,
        challenges: Arc::new(db.challenge_store(lifetime, capacity)),
        ledger: Arc::new(db.ledger_store()),
        accounts: Arc::new(db.auth_store()),
        backend: "postgres",
    })
}
