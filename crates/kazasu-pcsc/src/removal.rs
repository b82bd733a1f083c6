//! Telling a card that left the reader from other failed exchanges.

use std::ffi::CString;
use std::time::{Duration, Instant};

use pcsc::{Card, Context, ReaderState, State};

use crate::Error;
use crate::wire::Slot;

/// How long a failed exchange waits for pcscd to notice that the card left (pcscd polls some
/// readers, vpcd's among them, a few times a second).
const REMOVAL_SETTLE: Duration = Duration::from_secs(2);

/// Turns a failed exchange into what happened to the card. pcscd reports a card pulled mid-exchange
/// as `RemovedCard` only once it has noticed; before that a driver may answer with nothing or with a
/// communication failure. So unless the failure says what it is, look at the reader, giving pcscd a
/// moment to notice a removal: a card that left is [`Error::CardRemoved`], whatever the first report.
pub(crate) fn diagnose(card: &Card, slot: &Slot, cause: Option<pcsc::Error>) -> Error {
    let reader = slot.reader.as_str();
    let mapped = match cause {
        Some(e) => Error::from_pcsc(e, "SCardTransmit", Some(reader)),
        None => Error::NoResponse {
            reader: reader.to_owned(),
        },
    };
    if !matches!(
        mapped,
        Error::Pcsc { .. } | Error::CardUnresponsive { .. } | Error::NoResponse { .. }
    ) {
        return mapped;
    }
    let removed = match card.status2_owned() {
        Err(pcsc::Error::RemovedCard | pcsc::Error::NoSmartcard) => true,
        Ok(status) if status.status().contains(pcsc::Status::ABSENT) => true,
        _ => card_leaves(&slot.context, reader, REMOVAL_SETTLE),
    };
    if removed {
        Error::CardRemoved {
            reader: reader.to_owned(),
        }
    } else {
        mapped
    }
}

/// Whether the reader is empty now or becomes empty within `settle`.
fn card_leaves(context: &Context, reader: &str, settle: Duration) -> bool {
    let Ok(name) = CString::new(reader) else {
        return false;
    };
    let mut states = [ReaderState::new(name, State::UNAWARE)];
    let deadline = Instant::now() + settle;
    let mut wait = Duration::ZERO;
    loop {
        match context.get_status_change(wait, &mut states) {
            Ok(()) => {}
            Err(pcsc::Error::UnknownReader | pcsc::Error::ReaderUnavailable) => return true,
            Err(_) => return false,
        }
        let [state] = &mut states;
        let event = state.event_state();
        if event.intersects(State::EMPTY | State::UNKNOWN | State::UNAVAILABLE) {
            return true;
        }
        state.sync_current_state();
        wait = deadline.saturating_duration_since(Instant::now());
        if wait.is_zero() {
            return false;
        }
    }
}
