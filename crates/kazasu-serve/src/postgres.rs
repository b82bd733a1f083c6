//! PostgreSQL stores (`kazasu-postgres`), for several instances on one database.

use crate::ServeError;
use crate::config::Config;
use crate::stores::Stores;

pub(crate) fn open(
    _config: &Config,
    _lifetime: time::Duration,
    _capacity: usize,
) -> Result<Stores, ServeError> {
    Err(ServeError::Config(
        "this build has no PostgreSQL stores".into(),
    ))
}
