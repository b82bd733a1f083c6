//! The one error enum of the APDU layer, and the error a [`Transport`](crate::Transport) reports.

use alloc::boxed::Box;
use alloc::string::String;

/// Everything that can go wrong while building, decoding or exchanging an APDU.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApduError {
    /// A command APDU needs at least CLA, INS, P1 and P2.
    #[error("command APDU of {len} bytes is shorter than the 4-byte header")]
    TooShort {
        /// Bytes received.
        len: usize,
    },
    /// The Lc field does not match the number of bytes that follow it.
    #[error("Lc announces {lc} data bytes but the body holds {available} after it")]
    LcMismatch {
        /// Number of data bytes Lc announced.
        lc: usize,
        /// Bytes present after the Lc field.
        available: usize,
    },
    /// A body that starts with `00` (extended form) is cut short.
    #[error("extended length field truncated: body of {body} bytes")]
    ExtendedTruncated {
        /// Length of the body after the header.
        body: usize,
    },
    /// Extended Lc of zero is not a valid encoding.
    #[error("extended Lc of zero")]
    ZeroExtendedLc,
    /// Command data longer than Lc can express.
    #[error("command data of {len} bytes exceeds the 65535 bytes Lc can express")]
    DataTooLong {
        /// Requested data length.
        len: usize,
    },
    /// Le outside 1..=65536.
    #[error("Le {value} is outside 1..=65536")]
    InvalidLe {
        /// Requested Le.
        value: u32,
    },
    /// A response needs at least its two status bytes.
    #[error("response of {len} bytes has no status word")]
    ResponseTooShort {
        /// Bytes received.
        len: usize,
    },
    /// The command needs extended lengths and the transport cannot carry them.
    #[error("command needs extended length fields but the transport only carries short APDUs")]
    ExtendedUnsupported,
    /// The card kept announcing more data (`61xx`) past a sane bound.
    #[error("card kept answering 61xx past {limit} bytes of response data")]
    ResponseTooLong {
        /// The bound in bytes.
        limit: usize,
    },
    /// The card answered `6Cxx` again after a resend with the Le it asked for.
    #[error("card answered 6Cxx again after the resend with its own Le")]
    WrongLengthLoop,
    /// The transport failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
}

/// What kind of failure a transport reports; callers branch on this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The card left the reader (or the virtual card's peer went away).
    CardRemoved,
    /// The card was reset or powered off by someone else; the exchange did not happen.
    CardReset,
    /// No answer in time.
    Timeout,
    /// The service behind the transport (e.g. pcscd) is not reachable.
    ServiceUnavailable,
    /// Another process holds the card exclusively.
    SharingViolation,
    /// Anything else; the message says what.
    Other,
}

/// A transport failure: a kind to branch on, a message for people, and the underlying cause.
#[derive(Debug, thiserror::Error)]
#[error("{kind:?}: {message}")]
pub struct TransportError {
    kind: TransportErrorKind,
    message: String,
    #[source]
    source: Option<Box<dyn core::error::Error + Send + Sync + 'static>>,
}

impl TransportError {
    /// A transport error of `kind` with a message for people.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Attaches the underlying cause.
    #[must_use]
    pub fn with_source(mut self, source: impl core::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// The message for people.
    pub fn message(&self) -> &str {
        &self.message
    }
}
