//! The trait every card source implements.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::TransportError;

/// What a transport can carry.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Capabilities {
    extended: bool,
    max_response: usize,
}

impl Capabilities {
    /// Short APDUs only: at most 256 response data bytes per exchange (e.g. the ACS ACR122U).
    pub const fn short_only() -> Self {
        Self {
            extended: false,
            max_response: 256,
        }
    }

    /// Extended APDUs, with the largest response data the path can return.
    pub const fn extended(max_response: usize) -> Self {
        Self {
            extended: true,
            max_response,
        }
    }

    /// Whether extended length fields reach the card.
    pub const fn supports_extended(&self) -> bool {
        self.extended
    }

    /// The largest response data (without status word) one exchange can return.
    pub const fn max_response(&self) -> usize {
        self.max_response
    }
}

/// A path to a card: PC/SC, the virtual card in process, later NFC.
///
/// Implementations send exactly the bytes they are given and return exactly the bytes the card
/// answered (data and status word); GET RESPONSE and `6Cxx` handling live in
/// [`Exchange`](crate::Exchange), once, for every transport.
pub trait Transport {
    /// Sends one command APDU and returns the raw response APDU (data followed by SW1 SW2).
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError>;

    /// What this path can carry.
    fn capabilities(&self) -> Capabilities;

    /// Returns `true` once if the card was reset or powered off since the previous call, so the
    /// layer above re-selects its application and forgets verified PINs.
    fn take_reset_event(&mut self) -> bool {
        false
    }

    /// Starts exclusive access (a PC/SC transaction) so no other client can slip commands between
    /// a VERIFY and the operation it opens. Paths without other clients need do nothing.
    fn begin_exclusive(&mut self) -> Result<(), TransportError> {
        Ok(())
    }

    /// Ends exclusive access started by [`Transport::begin_exclusive`].
    fn end_exclusive(&mut self) {}

    /// Tells the transport a PIN was verified on this connection, so that when the connection ends
    /// it can clear the card's security state (PC/SC: disconnect with a card reset).
    fn note_pin_used(&mut self) {}
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(command)
    }
    fn capabilities(&self) -> Capabilities {
        (**self).capabilities()
    }
    fn take_reset_event(&mut self) -> bool {
        (**self).take_reset_event()
    }
    fn begin_exclusive(&mut self) -> Result<(), TransportError> {
        (**self).begin_exclusive()
    }
    fn end_exclusive(&mut self) {
        (**self).end_exclusive()
    }
    fn note_pin_used(&mut self) {
        (**self).note_pin_used()
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(command)
    }
    fn capabilities(&self) -> Capabilities {
        (**self).capabilities()
    }
    fn take_reset_event(&mut self) -> bool {
        (**self).take_reset_event()
    }
    fn begin_exclusive(&mut self) -> Result<(), TransportError> {
        (**self).begin_exclusive()
    }
    fn end_exclusive(&mut self) {
        (**self).end_exclusive()
    }
    fn note_pin_used(&mut self) {
        (**self).note_pin_used()
    }
}
