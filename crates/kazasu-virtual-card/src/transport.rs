//! The in-process transport: the virtual card behind the same [`Transport`] trait as a PC/SC reader.

use std::sync::{Arc, Mutex, MutexGuard};

use kazasu_apdu::{Capabilities, Transport, TransportError, TransportErrorKind};

use crate::card::{Answer, VirtualCard};

/// A shareable handle on a virtual card; clone it to give several clients the same card.
pub type SharedCard = Arc<Mutex<VirtualCard>>;

/// A [`Transport`] to a virtual card in the same process.
///
/// Capabilities follow the card's configuration: with extended APDUs switched off the transport
/// reports a short-only path (like an ACS ACR122U), so the layers above must chunk their reads.
#[derive(Debug, Clone)]
pub struct VirtualTransport {
    card: SharedCard,
    seen_resets: u64,
}

impl VirtualTransport {
    /// A transport to a card owned by this transport alone.
    pub fn new(card: VirtualCard) -> Self {
        Self::shared(Arc::new(Mutex::new(card)))
    }

    /// A transport to a shared card.
    pub fn shared(card: SharedCard) -> Self {
        let seen_resets = lock(&card).reset_count();
        Self { card, seen_resets }
    }

    /// The card handle, to inspect or change the card between exchanges.
    pub fn card(&self) -> &SharedCard {
        &self.card
    }

    /// A warm reset of the card (`SCARD_RESET_CARD`, a reconnect): selections are lost, verified PINs
    /// stay in force. Reported once by [`Transport::take_reset_event`].
    pub fn reset(&self) {
        lock(&self.card).reset();
    }

    /// Powers the card off (`SCARD_UNPOWER_CARD`): everything verified is forgotten. The next command
    /// powers it on again. Reported once by [`Transport::take_reset_event`].
    pub fn power_off(&self) {
        lock(&self.card).power_off();
    }

    /// Powers the card off and on: everything verified is forgotten.
    pub fn power_cycle(&self) {
        lock(&self.card).power_cycle();
    }

    /// Runs `f` on the card.
    pub fn with_card<R>(&self, f: impl FnOnce(&mut VirtualCard) -> R) -> R {
        f(&mut lock(&self.card))
    }
}

/// Locks the card even if a previous holder panicked (the card state stays usable).
pub(crate) fn lock(card: &SharedCard) -> MutexGuard<'_, VirtualCard> {
    card.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Transport for VirtualTransport {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let answer = lock(&self.card).transmit(command);
        match answer {
            Answer::Response(bytes) => Ok(bytes),
            Answer::Removed => Err(TransportError::new(
                TransportErrorKind::CardRemoved,
                "the virtual card was removed from the reader",
            )),
            Answer::PowerCycled => Err(TransportError::new(
                TransportErrorKind::CardReset,
                "the virtual card was reset; the command was not executed",
            )),
        }
    }

    fn capabilities(&self) -> Capabilities {
        if lock(&self.card).config().extended_apdus {
            Capabilities::extended(65_536)
        } else {
            Capabilities::short_only()
        }
    }

    fn take_reset_event(&mut self) -> bool {
        let now = lock(&self.card).reset_count();
        let reset = now != self.seen_resets;
        self.seen_resets = now;
        reset
    }
}
