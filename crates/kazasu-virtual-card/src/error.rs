//! The one error enum of the virtual card crate.

use crate::pki::PkiError;
use crate::transcript::TranscriptError;

/// Everything that can go wrong around the virtual card (the card itself answers status words).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The test PKI could not build something.
    #[error(transparent)]
    Pki(#[from] PkiError),
    /// A transcript file is malformed.
    #[error(transparent)]
    Transcript(#[from] TranscriptError),
    /// I/O failed (vpcd socket, export directory).
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}
