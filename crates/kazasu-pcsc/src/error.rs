//! The one error enum of the crate: every PC/SC failure, typed, with a message that says what to do.

use std::time::Duration;

use kazasu_apdu::{TransportError, TransportErrorKind};

/// What a person should do when pcscd is not reachable.
pub const START_PCSCD: &str =
    "pcscd is not running: start it with `pcscd` (or `systemctl start pcscd`)";

/// Everything that can go wrong talking to readers and cards through PC/SC.
///
/// Each message says what happened and what to do about it; [`Error::transport_kind`] tells the
/// layer above how to react (retry after a reset, ask for the card again, …).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The PC/SC service (pcscd) is not running, or stopped while in use.
    #[error("{START_PCSCD} (install it with `apt-get install pcscd` if it is missing)")]
    ServiceUnavailable {
        /// What PC/SC reported (`NoService`, `ServiceStopped`, …).
        #[source]
        source: pcsc::Error,
    },
    /// pcscd runs but sees no reader.
    #[error(
        "no smart card reader found: plug one in (and check it with `kazasu readers`; \
         a reader plugged in while pcscd runs appears after a second)"
    )]
    NoReaders,
    /// No reader has this name.
    #[error("no reader named {name:?}: choose one of {available:?} (see `kazasu readers`)")]
    UnknownReader {
        /// The name asked for.
        name: String,
        /// The readers pcscd knows.
        available: Vec<String>,
    },
    /// Several readers contain the name asked for, and none is called exactly that.
    #[error("{name:?} matches several readers {matches:?}: give the full name")]
    AmbiguousReader {
        /// The name asked for.
        name: String,
        /// The readers whose names contain it.
        matches: Vec<String>,
    },
    /// The reader went away (unplugged) while in use.
    #[error("reader {reader:?} is no longer available: plug it in again and retry")]
    ReaderUnavailable {
        /// The reader.
        reader: String,
    },
    /// No card in the reader (or in any reader).
    #[error("no card in {}: put the My Number Card on the reader and try again", reader_or_any(.reader))]
    NoCard {
        /// The reader, if one was chosen.
        reader: Option<String>,
    },
    /// The card left the reader during the operation; the operation returned no data.
    #[error(
        "the card was removed from {reader:?} during the operation: nothing was returned; \
         put the card back, keep it still, and try again"
    )]
    CardRemoved {
        /// The reader.
        reader: String,
    },
    /// The card answered nothing (not even a status word) and is still in the reader.
    #[error(
        "the card in {reader:?} gave no answer: take it off the reader, put it back, and try again"
    )]
    NoResponse {
        /// The reader.
        reader: String,
    },
    /// Another program reset the card; the command was not executed.
    #[error(
        "the card in {reader:?} was reset by another program and the command was not executed: \
         select the application again and retry (verified PINs were forgotten)"
    )]
    CardReset {
        /// The reader.
        reader: String,
    },
    /// Another program holds the card exclusively.
    #[error(
        "another program is using the card in {reader:?} exclusively: close it (a JPKI client, \
         a browser with a smart card module, another kazasu) and try again"
    )]
    SharingViolation {
        /// The reader.
        reader: String,
    },
    /// The card does not answer (mute, upside down, or not a contact/contactless card the reader can power).
    #[error(
        "the card in {reader:?} does not answer: take it off the reader, check it is a My Number Card \
         the right way round, and put it back"
    )]
    CardUnresponsive {
        /// The reader.
        reader: String,
    },
    /// The reader cannot talk to this card with any protocol it offers.
    #[error("the card in {reader:?} is not supported by the reader ({source}): try another reader")]
    CardUnsupported {
        /// The reader.
        reader: String,
        /// What PC/SC reported.
        #[source]
        source: pcsc::Error,
    },
    /// Nothing happened before the timeout.
    #[error("{what} did not happen within {waited:?}: {hint}")]
    Timeout {
        /// What was waited for.
        what: &'static str,
        /// How long.
        waited: Duration,
        /// What to do.
        hint: &'static str,
    },
    /// A wait was cancelled through a [`Canceller`](crate::Canceller).
    #[error("the wait was cancelled")]
    Cancelled,
    /// The connection was already closed.
    #[error("the connection to {reader:?} is closed: connect again")]
    Disconnected {
        /// The reader.
        reader: String,
    },
    /// Any other PC/SC failure.
    #[error("PC/SC {operation} failed{}: {source}", on_reader(.reader))]
    Pcsc {
        /// The PC/SC call (`SCardTransmit`, …).
        operation: &'static str,
        /// The reader, when one was involved.
        reader: Option<String>,
        /// What PC/SC reported.
        #[source]
        source: pcsc::Error,
    },
}

fn reader_or_any(reader: &Option<String>) -> String {
    match reader {
        Some(r) => format!("{r:?}"),
        None => "any reader".into(),
    }
}

fn on_reader(reader: &Option<String>) -> String {
    match reader {
        Some(r) => format!(" on {r:?}"),
        None => String::new(),
    }
}

impl Error {
    /// Maps a PC/SC error from `operation` (an `SCard…` name) on `reader` to a typed error.
    pub(crate) fn from_pcsc(
        source: pcsc::Error,
        operation: &'static str,
        reader: Option<&str>,
    ) -> Self {
        let reader_name = || reader.unwrap_or_default().to_owned();
        match source {
            pcsc::Error::NoService | pcsc::Error::ServiceStopped | pcsc::Error::Shutdown => {
                Error::ServiceUnavailable { source }
            }
            pcsc::Error::NoReadersAvailable => Error::NoReaders,
            pcsc::Error::UnknownReader | pcsc::Error::ReaderUnavailable => match reader {
                Some(r) => Error::ReaderUnavailable {
                    reader: r.to_owned(),
                },
                None => Error::NoReaders,
            },
            pcsc::Error::NoSmartcard => Error::NoCard {
                reader: reader.map(str::to_owned),
            },
            pcsc::Error::RemovedCard => Error::CardRemoved {
                reader: reader_name(),
            },
            pcsc::Error::ResetCard => Error::CardReset {
                reader: reader_name(),
            },
            pcsc::Error::SharingViolation => Error::SharingViolation {
                reader: reader_name(),
            },
            pcsc::Error::UnresponsiveCard | pcsc::Error::UnpoweredCard => Error::CardUnresponsive {
                reader: reader_name(),
            },
            pcsc::Error::UnsupportedCard
            | pcsc::Error::ProtoMismatch
            | pcsc::Error::CardUnsupported => Error::CardUnsupported {
                reader: reader_name(),
                source,
            },
            pcsc::Error::Cancelled => Error::Cancelled,
            other => Error::Pcsc {
                operation,
                reader: reader.map(str::to_owned),
                source: other,
            },
        }
    }

    /// The [`TransportErrorKind`] the layer above branches on.
    pub fn transport_kind(&self) -> TransportErrorKind {
        match self {
            Error::ServiceUnavailable { .. } => TransportErrorKind::ServiceUnavailable,
            Error::NoCard { .. } | Error::CardRemoved { .. } | Error::ReaderUnavailable { .. } => {
                TransportErrorKind::CardRemoved
            }
            Error::CardReset { .. } => TransportErrorKind::CardReset,
            Error::SharingViolation { .. } => TransportErrorKind::SharingViolation,
            Error::Timeout { .. }
            | Error::Pcsc {
                source: pcsc::Error::Timeout,
                ..
            } => TransportErrorKind::Timeout,
            _ => TransportErrorKind::Other,
        }
    }

    /// The PC/SC error behind this one, if any.
    pub fn pcsc_error(&self) -> Option<pcsc::Error> {
        match self {
            Error::ServiceUnavailable { source }
            | Error::CardUnsupported { source, .. }
            | Error::Pcsc { source, .. } => Some(*source),
            _ => None,
        }
    }
}

impl From<Error> for TransportError {
    fn from(e: Error) -> Self {
        let error = TransportError::new(e.transport_kind(), e.to_string());
        match e.pcsc_error() {
            Some(source) => error.with_source(source),
            None => error,
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(e: pcsc::Error) -> TransportErrorKind {
        Error::from_pcsc(e, "SCardTransmit", Some("R")).transport_kind()
    }

    #[test]
    fn pcsc_errors_map_to_the_kinds_callers_branch_on() {
        use TransportErrorKind as K;
        assert_eq!(kind(pcsc::Error::NoService), K::ServiceUnavailable);
        assert_eq!(kind(pcsc::Error::ServiceStopped), K::ServiceUnavailable);
        assert_eq!(kind(pcsc::Error::RemovedCard), K::CardRemoved);
        assert_eq!(kind(pcsc::Error::NoSmartcard), K::CardRemoved);
        assert_eq!(kind(pcsc::Error::ResetCard), K::CardReset);
        assert_eq!(kind(pcsc::Error::SharingViolation), K::SharingViolation);
        assert_eq!(kind(pcsc::Error::Timeout), K::Timeout);
        assert_eq!(kind(pcsc::Error::UnresponsiveCard), K::Other);
        assert_eq!(kind(pcsc::Error::InternalError), K::Other);
        assert!(matches!(
            Error::from_pcsc(pcsc::Error::NoReadersAvailable, "SCardListReaders", None),
            Error::NoReaders
        ));
        assert!(matches!(
            Error::from_pcsc(pcsc::Error::Cancelled, "SCardGetStatusChange", None),
            Error::Cancelled
        ));
    }

    #[test]
    fn messages_say_what_to_do() {
        let e = Error::from_pcsc(pcsc::Error::NoService, "SCardEstablishContext", None);
        assert!(e.to_string().starts_with(
            "pcscd is not running: start it with `pcscd` (or `systemctl start pcscd`)"
        ));
        let t = TransportError::from(e);
        assert_eq!(t.kind(), TransportErrorKind::ServiceUnavailable);
        assert!(
            core::error::Error::source(&t).is_some(),
            "the PC/SC cause is kept"
        );
        let e = Error::from_pcsc(
            pcsc::Error::SharingViolation,
            "SCardConnect",
            Some("PaSoRi"),
        );
        assert!(e.to_string().contains("\"PaSoRi\" exclusively: close it"));
        let e = Error::from_pcsc(pcsc::Error::NoSmartcard, "SCardConnect", None);
        assert!(
            e.to_string()
                .contains("no card in any reader: put the My Number Card")
        );
        let e = Error::from_pcsc(pcsc::Error::InvalidValue, "SCardTransmit", Some("R"));
        assert!(
            e.to_string()
                .starts_with("PC/SC SCardTransmit failed on \"R\"")
        );
    }
}
