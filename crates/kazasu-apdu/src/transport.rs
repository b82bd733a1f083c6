//! The trait every card source implements.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::{TransportError, TransportErrorKind};

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

    /// Runs `f` exactly once on a transport holding exclusive access to the card (a PC/SC
    /// transaction), so no other client can slip commands between a VERIFY and the operation it
    /// opens. Access ends when `f` returns.
    ///
    /// This is the form implementors override: it takes `dyn` arguments so that `Transport` stays
    /// usable as `dyn Transport`. Callers use [`Transport::exclusive`], which returns `f`'s result.
    ///
    /// Returns an error, without running `f`, when exclusive access cannot be had. Paths without
    /// other clients (the default) run `f` on `self`; so does a transport that already holds
    /// exclusive access, which makes nested calls harmless.
    fn run_exclusive(
        &mut self,
        f: &mut dyn FnMut(&mut dyn Transport),
    ) -> Result<(), TransportError> {
        let mut this = self;
        f(&mut this);
        Ok(())
    }

    /// Runs `f` on a transport holding exclusive access to the card and returns its result (see
    /// [`Transport::run_exclusive`]).
    ///
    /// ```
    /// use kazasu_apdu::{Capabilities, Transport, TransportError};
    ///
    /// struct Echo;
    /// impl Transport for Echo {
    ///     fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
    ///         Ok([command, &[0x90, 0x00]].concat())
    ///     }
    ///     fn capabilities(&self) -> Capabilities {
    ///         Capabilities::short_only()
    ///     }
    /// }
    ///
    /// let answer = Echo.exclusive(|card| card.transmit(&[0x00, 0xA4, 0x04, 0x0C]))??;
    /// assert_eq!(answer, [0x00, 0xA4, 0x04, 0x0C, 0x90, 0x00]);
    /// # Ok::<(), TransportError>(())
    /// ```
    fn exclusive<R>(&mut self, f: impl FnOnce(&mut dyn Transport) -> R) -> Result<R, TransportError>
    where
        Self: Sized,
    {
        let mut f = Some(f);
        let mut out = None;
        self.run_exclusive(&mut |t| {
            if let Some(f) = f.take() {
                out = Some(f(t));
            }
        })?;
        out.ok_or_else(|| {
            TransportError::new(
                TransportErrorKind::Other,
                "the transport ended exclusive access without running the operation",
            )
        })
    }

    /// Tells the transport a PIN was verified on this connection, so that when the connection ends
    /// it can clear the card's security state (PC/SC: disconnect powering the card down).
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
    fn run_exclusive(
        &mut self,
        f: &mut dyn FnMut(&mut dyn Transport),
    ) -> Result<(), TransportError> {
        (**self).run_exclusive(f)
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
    fn run_exclusive(
        &mut self,
        f: &mut dyn FnMut(&mut dyn Transport),
    ) -> Result<(), TransportError> {
        (**self).run_exclusive(f)
    }
    fn note_pin_used(&mut self) {
        (**self).note_pin_used()
    }
}
