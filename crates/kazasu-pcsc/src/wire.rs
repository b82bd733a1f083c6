//! One APDU through the card handle, or through a transaction on it: sending it, and tracking what
//! the connection must remember across exchanges (a reset by someone else, a PIN presented).

use kazasu_apdu::TransportError;
use pcsc::{Card, Context, Disposition, Protocols, ShareMode};

use crate::Error;
use crate::pin_use::presents_pin;
use crate::removal::diagnose;

/// Where the card is: the reader, the context the connection was made through, the share mode.
pub(crate) struct Slot {
    pub(crate) context: Context,
    pub(crate) reader: String,
    pub(crate) share: ShareMode,
}

/// The card handle, where it is, and the response buffer (sized for extended APDUs).
pub(crate) struct Wire {
    pub(crate) card: Card,
    pub(crate) slot: Slot,
    pub(crate) buffer: Vec<u8>,
}

/// What the connection remembers across exchanges and transactions.
#[derive(Debug, Default)]
pub(crate) struct Tracked {
    /// The card was reset by someone else and nobody has been told yet
    /// ([`take_reset_event`](kazasu_apdu::Transport::take_reset_event)).
    pub(crate) reset_seen: bool,
    /// A PIN was presented: disconnecting powers the card down (when the options say so).
    pub(crate) pin_used: bool,
}

/// What commands go through: the connection's card handle, or a transaction on it.
pub(crate) trait Handle {
    /// The card handle.
    fn card(&self) -> &Card;
    /// `SCardReconnect` with `disposition`.
    fn reconnect(&mut self, share: ShareMode, disposition: Disposition) -> Result<(), pcsc::Error>;
}

impl Handle for Card {
    fn card(&self) -> &Card {
        self
    }

    fn reconnect(&mut self, share: ShareMode, disposition: Disposition) -> Result<(), pcsc::Error> {
        Card::reconnect(self, share, Protocols::ANY, disposition)
    }
}

impl Handle for pcsc::Transaction<'_> {
    fn card(&self) -> &Card {
        self
    }

    fn reconnect(&mut self, share: ShareMode, disposition: Disposition) -> Result<(), pcsc::Error> {
        pcsc::Transaction::reconnect(self, share, Protocols::ANY, disposition)
    }
}

/// Sends one command APDU through `handle` and returns the response APDU.
///
/// A card reset by someone else is reconnected to, leaving the card as it is, and reported as
/// [`Error::CardReset`] (the command was not executed) and through `tracked.reset_seen`.
pub(crate) fn transmit(
    handle: &mut impl Handle,
    slot: &Slot,
    buffer: &mut [u8],
    tracked: &mut Tracked,
    command: &[u8],
) -> Result<Vec<u8>, TransportError> {
    if presents_pin(command) {
        tracked.pin_used = true;
    }
    let error = match handle.card().transmit(command, buffer) {
        Ok(response) if response.len() >= 2 => return Ok(response.to_vec()),
        // No status word: the card (or the link to it) went away mid-exchange.
        Ok(_) => diagnose(handle.card(), slot, None),
        Err(pcsc::Error::ResetCard) => {
            tracked.reset_seen = true;
            reconnect_after_reset(handle, slot)
        }
        Err(e) => diagnose(handle.card(), slot, Some(e)),
    };
    Err(error.into())
}

/// Reconnects after a reset by someone else, leaving the card as it is; the error to report.
pub(crate) fn reconnect_after_reset(handle: &mut impl Handle, slot: &Slot) -> Error {
    let reader = slot.reader.as_str();
    match handle.reconnect(slot.share, Disposition::LeaveCard) {
        Ok(()) => {
            tracing::debug!(target: "kazasu_pcsc", reader, "card reset by another program; reconnected");
            Error::CardReset {
                reader: reader.to_owned(),
            }
        }
        Err(e) => Error::from_pcsc(e, "SCardReconnect", Some(reader)),
    }
}
