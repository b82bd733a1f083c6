//! What a status word means for an operation: the error that names its reason.

use kazasu_apdu::StatusWord;

use crate::CardError;

/// `Ok` on success, otherwise the error that names the reason.
pub(super) fn expect_ok(
    sw: StatusWord,
    operation: &'static str,
    needs: &'static str,
) -> Result<(), CardError> {
    if sw.is_success() {
        Ok(())
    } else {
        Err(status_error(sw, operation, needs))
    }
}

/// Maps a status word to the error that names its reason.
pub(crate) fn status_error(
    sw: StatusWord,
    operation: &'static str,
    needs: &'static str,
) -> CardError {
    match sw.value() {
        0x6982 => CardError::NotAuthorized {
            operation,
            needs: if needs.is_empty() {
                "required secret"
            } else {
                needs
            },
        },
        0x6A82 => CardError::NotFound { operation },
        _ => CardError::Refused { operation, sw },
    }
}
