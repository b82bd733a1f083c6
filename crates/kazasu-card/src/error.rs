//! The one error enum of the card layer.

use kazasu_apdu::{ApduError, StatusWord};

use crate::secret::SecretKind;

/// Everything a card operation can fail with. Status words become the variant that names the reason,
/// together with the operation that caused it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CardError {
    /// A secret was refused before any APDU was sent.
    #[error("invalid {kind}: {reason}")]
    InvalidSecret {
        /// Which secret.
        kind: SecretKind,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// VERIFY failed; the card counted a wrong try.
    #[error("wrong {kind}: {} left", tries(*.tries_left))]
    WrongSecret {
        /// Which secret.
        kind: SecretKind,
        /// Tries left after this one.
        tries_left: u8,
    },
    /// The secret is blocked (`63C0`, `6984` or `6983`).
    #[error("the {kind} is blocked; {}", reset_hint(*.kind))]
    Blocked {
        /// Which secret.
        kind: SecretKind,
    },
    /// The lockout guard refused to spend the last try.
    #[error(
        "refused to verify the {kind}: only one try is left; allow the last try explicitly to go on"
    )]
    LastTryRefused {
        /// Which secret.
        kind: SecretKind,
    },
    /// The operation needs a secret verified first (`6982`).
    #[error("{operation}: security status not satisfied (6982); verify the {needs} first")]
    NotAuthorized {
        /// What was attempted.
        operation: &'static str,
        /// What opens it.
        needs: &'static str,
    },
    /// The file or application does not exist on this card (`6A82`).
    #[error("{operation}: not on this card (6A82)")]
    NotFound {
        /// What was attempted.
        operation: &'static str,
    },
    /// Any other status word.
    #[error("{operation}: the card answered {sw}")]
    Refused {
        /// What was attempted.
        operation: &'static str,
        /// The status word.
        sw: StatusWord,
    },
    /// The card was reset or power-cycled during the operation; nothing is assumed verified any more.
    #[error("{operation}: the card was reset during the operation; try again")]
    CardReset {
        /// What was attempted.
        operation: &'static str,
    },
    /// A file read was cut short or inconsistent; no partial data is returned.
    #[error("torn read of EF {ef:04X}: {reason}")]
    TornRead {
        /// The file.
        ef: u16,
        /// What happened.
        reason: String,
    },
    /// A file's content does not have the expected structure.
    #[error("EF {ef:04X}: malformed content: {reason}")]
    Malformed {
        /// The file.
        ef: u16,
        /// What is wrong.
        reason: String,
    },
    /// Input to sign is not a usable DigestInfo.
    #[error("invalid DigestInfo: {0}")]
    InvalidDigestInfo(&'static str),
    /// The integrity record does not match the data read.
    #[error("integrity check failed: {0}")]
    Integrity(String),
    /// A certificate, signed record or challenge answer was refused (or, for an unknown CA, not
    /// checked): the reason is in the inner error.
    #[error(transparent)]
    Verification(#[from] kazasu_cvc::CvcError),
    /// Secure messaging failed; the session is over.
    #[error("secure messaging: {0}")]
    SecureMessaging(crate::sm::SmError),
    /// The APDU layer or the transport failed.
    #[error(transparent)]
    Apdu(#[from] ApduError),
}

impl CardError {
    /// Whether this is a refusal by the card or by the lockout guard (CLI exit code 1) rather than a
    /// usage or transport problem (exit code 2).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            CardError::WrongSecret { .. }
                | CardError::Blocked { .. }
                | CardError::LastTryRefused { .. }
                | CardError::NotAuthorized { .. }
                | CardError::NotFound { .. }
                | CardError::Refused { .. }
                | CardError::Integrity(_)
                | CardError::Verification(_)
                | CardError::SecureMessaging(_)
        )
    }
}

/// Who can unblock a secret: JPKI secrets only the municipal office, HPKI PINs the card's issuer.
fn reset_hint(kind: SecretKind) -> &'static str {
    match kind {
        SecretKind::HpkiPin => "only the card's certification authority can reset it",
        _ => "only the issuing municipal office can reset it",
    }
}

fn tries(n: u8) -> String {
    if n == 1 {
        "1 try".to_owned()
    } else {
        format!("{n} tries")
    }
}
