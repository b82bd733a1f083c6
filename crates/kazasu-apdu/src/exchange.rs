//! The one exchange loop: GET RESPONSE on `61xx`, resend on `6Cxx`, counters and redacted traces.

use core::ops::Sub;

use crate::{ApduError, Command, Le, LengthForm, Response, StatusClass, Transport, TransportError};

/// Default bound on the data gathered through `61xx` chains (a JPKI file is a few KiB).
const DEFAULT_RESPONSE_LIMIT: usize = 1 << 20;

/// Commands and bytes exchanged, counted on the wire (GET RESPONSE and resends included).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct ExchangeStats {
    /// Command APDUs sent.
    pub commands: u64,
    /// Bytes of command APDUs sent.
    pub bytes_sent: u64,
    /// Bytes of response APDUs received, status words included.
    pub bytes_received: u64,
}

impl Sub for ExchangeStats {
    type Output = ExchangeStats;

    fn sub(self, rhs: Self) -> Self::Output {
        ExchangeStats {
            commands: self.commands.saturating_sub(rhs.commands),
            bytes_sent: self.bytes_sent.saturating_sub(rhs.bytes_sent),
            bytes_received: self.bytes_received.saturating_sub(rhs.bytes_received),
        }
    }
}

/// Exchanges [`Command`]s over a [`Transport`], hiding `61xx` and `6Cxx`, counting everything.
///
/// Every exchange is traced at `trace` level on target `kazasu_apdu`: the command with sensitive data
/// shown as `REDACTED`, and the response as its length and status word. Response bytes are traced only
/// after [`Exchange::trace_response_data`] opts in, since they can hold personal data.
#[derive(Debug)]
pub struct Exchange<T> {
    transport: T,
    stats: ExchangeStats,
    response_limit: usize,
    trace_data: bool,
    reset_pending: bool,
}

impl<T: Transport> Exchange<T> {
    /// Wraps a transport.
    pub fn new(transport: T) -> Self {
        Self {
            transport,
            stats: ExchangeStats::default(),
            response_limit: DEFAULT_RESPONSE_LIMIT,
            trace_data: false,
            reset_pending: false,
        }
    }

    /// Bounds the response data gathered through `61xx` chains (default 1 MiB).
    #[must_use]
    pub fn with_response_limit(mut self, limit: usize) -> Self {
        self.response_limit = limit;
        self
    }

    /// Also traces response data bytes (off by default: they can hold personal data).
    pub fn trace_response_data(&mut self, on: bool) {
        self.trace_data = on;
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The transport, mutably.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Gives the transport back.
    pub fn into_inner(self) -> T {
        self.transport
    }

    /// Counters since creation.
    pub fn stats(&self) -> ExchangeStats {
        self.stats
    }

    /// Whether the transport reported a card reset since the last call; clears the flag.
    pub fn take_reset_event(&mut self) -> bool {
        let seen = self.reset_pending || self.transport.take_reset_event();
        self.reset_pending = false;
        seen
    }

    /// Runs `f` holding exclusive access to the card ([`Transport::exclusive`]).
    ///
    /// `f` gets, by value, an exchange over the exclusive path that goes on from this one (same
    /// settings, same counters) and hands it back with its result, so it can be moved into a wrapper
    /// such as a card session for the duration. The commands it counted and a reset it saw are kept
    /// here afterwards. Fails, without running `f`, when exclusive access cannot be had.
    ///
    /// ```
    /// use kazasu_apdu::{Capabilities, Command, Exchange, Transport, TransportError};
    ///
    /// struct Card;
    /// impl Transport for Card {
    ///     fn transmit(&mut self, _: &[u8]) -> Result<Vec<u8>, TransportError> {
    ///         Ok(vec![0x90, 0x00])
    ///     }
    ///     fn capabilities(&self) -> Capabilities {
    ///         Capabilities::short_only()
    ///     }
    /// }
    ///
    /// let mut ex = Exchange::new(Card);
    /// let sw = ex.exclusive(|mut inner| {
    ///     let sw = inner.transmit(&Command::new(0x00, 0x20, 0x00, 0x80)).map(|r| r.sw());
    ///     (inner, sw)
    /// })??;
    /// assert_eq!(sw.value(), 0x9000);
    /// assert_eq!(ex.stats().commands, 1);
    /// # Ok::<(), kazasu_apdu::ApduError>(())
    /// ```
    pub fn exclusive<R>(
        &mut self,
        f: impl FnOnce(Exchange<&mut dyn Transport>) -> (Exchange<&mut dyn Transport>, R),
    ) -> Result<R, TransportError> {
        let Exchange {
            transport,
            stats,
            response_limit,
            trace_data,
            reset_pending,
        } = self;
        transport.exclusive(|t| {
            let scoped = Exchange {
                transport: t,
                stats: *stats,
                response_limit: *response_limit,
                trace_data: *trace_data,
                reset_pending: *reset_pending,
            };
            let (back, out) = f(scoped);
            *stats = back.stats;
            *reset_pending = back.reset_pending;
            out
        })
    }

    /// Sends `command` and returns the complete response.
    ///
    /// `61xx` is followed by GET RESPONSE until the card answers otherwise, and the data is joined;
    /// `6Cxx` makes one resend with the Le the card asked for. Any other status word is returned as
    /// is: interpreting it belongs to the layer above.
    pub fn transmit(&mut self, command: &Command) -> Result<Response, ApduError> {
        if command.form() == LengthForm::Extended
            && !self.transport.capabilities().supports_extended()
        {
            return Err(ApduError::ExtendedUnsupported);
        }
        let mut response = self.send_once(command)?;
        if let StatusClass::WrongLe(n) = response.sw().class() {
            let resend = command.clone().with_le(Le::new(u32::from(n))?);
            response = self.send_once(&resend)?;
            if matches!(response.sw().class(), StatusClass::WrongLe(_)) {
                return Err(ApduError::WrongLengthLoop);
            }
        }
        let mut sw = response.sw();
        let mut data = response.into_data();
        let mut get_le_retry = false;
        while let StatusClass::MoreData(n) = sw.class() {
            if data.len() > self.response_limit {
                return Err(ApduError::ResponseTooLong {
                    limit: self.response_limit,
                });
            }
            // GET RESPONSE on the same logical channel as the command.
            let get = Command::new(command.cla() & 0x03, 0xC0, 0x00, 0x00)
                .with_le(Le::new(u32::from(n))?);
            let mut part = self.send_once(&get)?;
            if let StatusClass::WrongLe(m) = part.sw().class() {
                if get_le_retry {
                    return Err(ApduError::WrongLengthLoop);
                }
                get_le_retry = true;
                part = self.send_once(&get.with_le(Le::new(u32::from(m))?))?;
            }
            sw = part.sw();
            data.extend_from_slice(part.data());
        }
        if data.len() > self.response_limit {
            return Err(ApduError::ResponseTooLong {
                limit: self.response_limit,
            });
        }
        Ok(Response::new(data, sw))
    }

    fn send_once(&mut self, command: &Command) -> Result<Response, ApduError> {
        let bytes = command.to_bytes();
        self.stats.commands += 1;
        self.stats.bytes_sent += bytes.len() as u64;
        tracing::trace!(target: "kazasu_apdu", command = %command, "C-APDU");
        let raw = self.transport.transmit(&bytes);
        if self.transport.take_reset_event() {
            self.reset_pending = true;
        }
        let raw = raw.map_err(|e| {
            tracing::trace!(target: "kazasu_apdu", error = %e, "transport failed");
            e
        })?;
        self.stats.bytes_received += raw.len() as u64;
        let response = Response::from_bytes(&raw)?;
        if self.trace_data {
            tracing::trace!(target: "kazasu_apdu", response = ?response, "R-APDU");
        } else {
            tracing::trace!(target: "kazasu_apdu", len = response.data().len(), sw = %response.sw(), "R-APDU");
        }
        Ok(response)
    }
}
