//! [`AuthError`]: every refusal of this crate, each with a named reason.

use kazasu_pki::{ChallengeProblem, Rejection};
use time::OffsetDateTime;

use crate::message::AssertionPurpose;

/// Why the bytes of a bound message are not a v1 message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    /// The bytes do not start with the v1 format tag.
    #[error("not a bound assertion: the format tag is missing")]
    NotBoundAssertion,
    /// A version this crate does not read.
    #[error("unsupported bound-assertion version {0}")]
    UnsupportedVersion(u8),
    /// A purpose code this crate does not know.
    #[error("unknown purpose code {0}")]
    UnknownPurpose(u8),
    /// The bytes end inside a field.
    #[error("truncated in the {field}")]
    Truncated {
        /// The field.
        field: &'static str,
    },
    /// A nonce shorter than 16 or longer than 64 bytes.
    #[error("a nonce of {0} bytes (16 to 64 allowed)")]
    NonceLength(usize),
    /// A text field that is empty or too long.
    #[error("the {field} has {length} bytes, outside the allowed range")]
    FieldLength {
        /// The field.
        field: &'static str,
        /// Its length.
        length: usize,
    },
    /// A text field with bytes outside printable ASCII without space.
    #[error("the {field} has bytes outside printable ASCII")]
    FieldCharacters {
        /// The field.
        field: &'static str,
    },
    /// Bytes after the origin.
    #[error("{0} bytes after the end of the message")]
    TrailingBytes(usize),
    /// More bytes than the longest v1 message.
    #[error("{0} bytes is longer than any v1 message")]
    TooLong(usize),
}

/// Why an assertion, a login, an enrolment or a gate touch is refused, or a store failed.
/// [`AuthError::code`] gives a stable machine-readable reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The signed bytes are not a v1 bound message.
    #[error("malformed bound assertion: {0}")]
    Malformed(#[from] Malformed),
    /// Made for another relying party: a relay.
    #[error("made for relying party {found:?}, not {expected:?}")]
    WrongRelyingParty {
        /// This relying party.
        expected: String,
        /// What the message names.
        found: String,
    },
    /// Made at an origin this relying party does not serve: a relay through another site.
    #[error("made at origin {found:?}, which this relying party does not serve")]
    WrongOrigin {
        /// What the message names.
        found: String,
    },
    /// Made for another purpose.
    #[error("made for {found}, not {expected}")]
    WrongPurpose {
        /// The purpose asked for.
        expected: AssertionPurpose,
        /// What the message names.
        found: AssertionPurpose,
    },
    /// Issued too long ago.
    #[error("issued at unix time {issued_at}, before the oldest accepted {oldest}")]
    Stale {
        /// The message's issue time (Unix seconds).
        issued_at: i64,
        /// The oldest accepted (Unix seconds).
        oldest: i64,
    },
    /// Issued in the future, beyond the allowed clock skew.
    #[error("issued at unix time {issued_at}, after the latest accepted {latest}")]
    FromTheFuture {
        /// The message's issue time (Unix seconds).
        issued_at: i64,
        /// The latest accepted (Unix seconds).
        latest: i64,
    },
    /// The nonce was never issued here (or was purged).
    #[error("the nonce was not issued by this relying party")]
    NonceUnknown,
    /// The nonce expired.
    #[error("the nonce expired")]
    NonceExpired {
        /// When.
        expired_at: OffsetDateTime,
    },
    /// The nonce was used already: a replay.
    #[error("the nonce was used already (replay)")]
    NonceReplayed,
    /// The signature does not verify with the certificate's key.
    #[error("the signature does not verify with the certificate's key")]
    BadSignature,
    /// The certificate (or its path, or its revocation status) is not trusted.
    #[error("certificate refused: {0}")]
    Certificate(Rejection),
    /// A bare-challenge assertion, and this relying party does not accept that old form.
    #[error("a bare-challenge assertion, and the old form is not accepted here")]
    LegacyRefused,
    /// Enrolment: the signature and authentication certificates are not one card's.
    #[error("the signature and authentication certificates are not from one card")]
    NotSameCard,
    /// Enrolment: the signature certificate carries no 基本4情報.
    #[error("the signature certificate carries no personal data")]
    NoPersonalData,
    /// Enrolment: the card is bound to an account already.
    #[error("the card is bound to an account already")]
    AlreadyBound,
    /// Login: no account is bound to this card (nor to a certificate it renewed).
    #[error("no account is bound to this card")]
    NotBound,
    /// The certificate links of a renewal go on longer than allowed.
    #[error("the renewal chain is longer than {limit} steps")]
    RenewalChainTooLong {
        /// The limit.
        limit: usize,
    },
    /// Gate: no ticket is bound to this card.
    #[error("no ticket is bound to this card")]
    NoTicket,
    /// Gate: the card's tickets are for other events.
    #[error("the card's ticket is for another event")]
    WrongEvent,
    /// Gate: the ticket was used already.
    #[error("ticket {ticket} was admitted already at gate {gate:?}")]
    AlreadyAdmitted {
        /// The ticket.
        ticket: u64,
        /// The gate that admitted it.
        gate: String,
        /// When.
        at: OffsetDateTime,
    },
    /// Purchase: the card holds a ticket for this event already.
    #[error("the card holds a ticket for this event already")]
    AlreadyHasTicket,
    /// Offline gate: more tickets than the offline list may hold.
    #[error("the event has more tickets than the offline list holds ({capacity})")]
    OfflineListFull {
        /// The bound.
        capacity: usize,
    },
    /// Offline gate: the snapshot is for another event.
    #[error("the snapshot is for event {found:?}, not {expected:?}")]
    SnapshotForAnotherEvent {
        /// The gate's event.
        expected: String,
        /// The snapshot's.
        found: String,
    },
    /// Invalid configuration or input (an empty relying-party id, …).
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// What.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// A store or source failed; its text.
    #[error("store failed: {0}")]
    Store(String),
}

impl AuthError {
    /// A stable snake_case code for machines.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Malformed(_) => "malformed",
            AuthError::WrongRelyingParty { .. } => "wrong_relying_party",
            AuthError::WrongOrigin { .. } => "wrong_origin",
            AuthError::WrongPurpose { .. } => "wrong_purpose",
            AuthError::Stale { .. } => "stale",
            AuthError::FromTheFuture { .. } => "from_the_future",
            AuthError::NonceUnknown => "nonce_unknown",
            AuthError::NonceExpired { .. } => "nonce_expired",
            AuthError::NonceReplayed => "nonce_replayed",
            AuthError::BadSignature => "bad_signature",
            AuthError::Certificate(r) => r.code(),
            AuthError::LegacyRefused => "legacy_refused",
            AuthError::NotSameCard => "not_same_card",
            AuthError::NoPersonalData => "no_personal_data",
            AuthError::AlreadyBound => "already_bound",
            AuthError::NotBound => "not_bound",
            AuthError::RenewalChainTooLong { .. } => "renewal_chain_too_long",
            AuthError::NoTicket => "no_ticket",
            AuthError::WrongEvent => "wrong_event",
            AuthError::AlreadyAdmitted { .. } => "already_admitted",
            AuthError::AlreadyHasTicket => "already_has_ticket",
            AuthError::OfflineListFull { .. } => "offline_list_full",
            AuthError::SnapshotForAnotherEvent { .. } => "snapshot_for_another_event",
            AuthError::Invalid { .. } => "invalid",
            AuthError::Store(_) => "store_failed",
        }
    }
}

impl From<ChallengeProblem> for AuthError {
    fn from(p: ChallengeProblem) -> Self {
        match p {
            ChallengeProblem::Expired { expired_at } => AuthError::NonceExpired { expired_at },
            ChallengeProblem::Replayed => AuthError::NonceReplayed,
            _ => AuthError::NonceUnknown,
        }
    }
}

impl From<Rejection> for AuthError {
    fn from(r: Rejection) -> Self {
        match r {
            Rejection::MessageSignatureInvalid => AuthError::BadSignature,
            Rejection::ChallengeUnknown => AuthError::NonceUnknown,
            Rejection::ChallengeExpired { expired_at } => AuthError::NonceExpired { expired_at },
            Rejection::ChallengeReplayed => AuthError::NonceReplayed,
            other => AuthError::Certificate(other),
        }
    }
}

impl From<kazasu_pki::Error> for AuthError {
    fn from(e: kazasu_pki::Error) -> Self {
        AuthError::Store(e.to_string())
    }
}

/// A poisoned lock: another thread panicked while holding it; refuse rather than guess.
pub(crate) fn poisoned<T>(_: T) -> AuthError {
    AuthError::Store("a lock was poisoned".into())
}
