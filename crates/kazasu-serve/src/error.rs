//! The server's one error type.

use std::path::PathBuf;

/// What can stop the server from starting or running.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The configuration file is unreadable or invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// A file the configuration names could not be read or parsed.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// TLS set-up failed (certificates, keys, the facility CA).
    #[error("TLS: {0}")]
    Tls(String),
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Database(String),
    /// A library service could not be built.
    #[error("service set-up: {0}")]
    Service(String),
    /// Listening or serving failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

impl ServeError {
    pub(crate) fn file(path: &std::path::Path, reason: impl std::fmt::Display) -> Self {
        ServeError::File {
            path: path.to_owned(),
            reason: reason.to_string(),
        }
    }
}
