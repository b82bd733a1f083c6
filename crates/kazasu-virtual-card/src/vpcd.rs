//! The vpcd client: puts the virtual card into a real `pcscd` reader (`vsmartcard-vpcd`).
//!
//! pcscd's vpcd driver listens (by default on TCP 35963 for reader `Virtual PCD 00 00`); the card
//! connects to it. Every message is a 2-byte big-endian length and a payload. A 1-byte payload is a
//! control message (`00` power off, `01` power on, `02` reset, `04` get ATR); anything else is a
//! command APDU, answered with the response APDU. Closing the socket removes the card.
//!
//! vpcd offers several readers: slot `n` listens on port `35963 + n` (reader `Virtual PCD 00 0n`).
//! Serve a My Number Card in slot 0 and an HPKI card in slot 1 ([`VpcdOptions::slot`]) to have both
//! in two readers at once.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::Error;
use crate::card::Answer;
use crate::transport::{SharedCard, lock};

/// How long to wait for one read before checking the stop flag.
const POLL: Duration = Duration::from_millis(200);

/// Options for [`serve`].
#[derive(Clone, Debug)]
pub struct VpcdOptions {
    /// Where pcscd's vpcd driver listens, e.g. `127.0.0.1:35963`.
    pub address: String,
    /// How long to keep trying to reach pcscd before giving up.
    pub connect_timeout: Duration,
    /// Reconnect after pcscd closes the connection (pcscd restarted); otherwise return.
    pub reconnect: bool,
}

/// The port of vpcd slot 0; slot `n` listens on `VPCD_BASE_PORT + n`.
pub const VPCD_BASE_PORT: u16 = 35963;

impl VpcdOptions {
    /// The default options for vpcd slot `slot` on this host (`127.0.0.1:35963 + slot`).
    pub fn slot(slot: u8) -> Self {
        Self {
            address: format!("127.0.0.1:{}", VPCD_BASE_PORT + u16::from(slot)),
            ..Self::default()
        }
    }
}

impl Default for VpcdOptions {
    fn default() -> Self {
        Self {
            address: "127.0.0.1:35963".into(),
            connect_timeout: Duration::from_secs(30),
            reconnect: true,
        }
    }
}

/// Why [`serve`] returned.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum ServeEnd {
    /// The stop flag was raised.
    Stopped,
    /// The card was removed by a fault plan.
    CardRemoved,
    /// pcscd closed the connection and reconnecting was not asked for.
    Disconnected,
}

/// Serves `card` to pcscd until `stop` is raised, the card is removed, or pcscd goes away.
pub fn serve(
    card: &SharedCard,
    options: &VpcdOptions,
    stop: &AtomicBool,
) -> Result<ServeEnd, Error> {
    loop {
        let mut stream = connect(options, stop)?;
        let Some(stream_ref) = stream.as_mut() else {
            return Ok(ServeEnd::Stopped);
        };
        tracing::info!(target: "kazasu_virtual_card", address = %options.address, "card inserted into vpcd reader");
        let end = session(card, stream_ref, stop)?;
        match end {
            Some(ServeEnd::Disconnected) if options.reconnect && !stop.load(Ordering::Relaxed) => {
                tracing::info!(target: "kazasu_virtual_card", "pcscd closed the connection; reconnecting");
            }
            Some(ServeEnd::Disconnected) if !options.reconnect => {
                return Ok(ServeEnd::Disconnected);
            }
            Some(ServeEnd::CardRemoved) => return Ok(ServeEnd::CardRemoved),
            Some(ServeEnd::Stopped) | None => {
                if stop.load(Ordering::Relaxed) {
                    return Ok(ServeEnd::Stopped);
                }
                // None: a fault power-cycled the card; reinsert it.
            }
            Some(_) => return Ok(ServeEnd::Stopped),
        }
    }
}

fn connect(options: &VpcdOptions, stop: &AtomicBool) -> Result<Option<TcpStream>, Error> {
    let deadline = Instant::now() + options.connect_timeout;
    loop {
        if stop.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let attempt = options
            .address
            .to_socket_addrs()
            .map_err(|e| Error::io(format!("resolve {}", options.address), e))?
            .find_map(|a| TcpStream::connect_timeout(&a, Duration::from_secs(1)).ok());
        if let Some(s) = attempt {
            s.set_nodelay(true)
                .and_then(|()| s.set_read_timeout(Some(POLL)))
                .map_err(|e| Error::io("configure vpcd socket", e))?;
            return Ok(Some(s));
        }
        if Instant::now() >= deadline {
            return Err(Error::io(
                format!(
                    "connect to vpcd at {} (is pcscd running with vsmartcard-vpcd installed?)",
                    options.address
                ),
                io::Error::from(io::ErrorKind::TimedOut),
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Reads exactly `buf.len()` bytes, polling the stop flag between timeouts.
/// `Ok(false)` means the peer closed the connection or stop was raised before any byte arrived.
fn read_full(stream: &mut TcpStream, buf: &mut [u8], stop: &AtomicBool) -> io::Result<bool> {
    let mut got = 0;
    while got < buf.len() {
        match stream.read(buf.get_mut(got..).unwrap_or_default()) {
            Ok(0) => return Ok(false),
            Ok(n) => got += n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                if stop.load(Ordering::Relaxed) && got == 0 {
                    return Ok(false);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

fn send(stream: &mut TcpStream, payload: &[u8]) -> io::Result<()> {
    let len = u16::try_from(payload.len()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "response longer than 65535 bytes",
        )
    })?;
    let mut frame = Vec::with_capacity(payload.len() + 2);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(payload);
    stream.write_all(&frame)
}

/// One connection. `Ok(None)` asks the caller to reconnect at once (a fault power-cycled the card).
fn session(
    card: &SharedCard,
    stream: &mut TcpStream,
    stop: &AtomicBool,
) -> Result<Option<ServeEnd>, Error> {
    let io_err = |e| Error::io("vpcd connection", e);
    loop {
        let mut header = [0u8; 2];
        if !read_full(stream, &mut header, stop).map_err(io_err)? {
            return Ok(Some(if stop.load(Ordering::Relaxed) {
                ServeEnd::Stopped
            } else {
                ServeEnd::Disconnected
            }));
        }
        let len = usize::from(u16::from_be_bytes(header));
        let mut payload = vec![0u8; len];
        if !read_full(stream, &mut payload, stop).map_err(io_err)? {
            return Ok(Some(ServeEnd::Disconnected));
        }
        match payload.as_slice() {
            [0x00] => lock(card).power_off(),
            [0x01] => lock(card).power_on(),
            [0x02] => lock(card).reset(),
            [0x04] => {
                let atr = lock(card).atr();
                send(stream, atr).map_err(io_err)?;
            }
            [other] => {
                tracing::debug!(target: "kazasu_virtual_card", control = other, "unknown vpcd control byte ignored");
            }
            apdu => {
                let answer = lock(card).transmit(apdu);
                match answer {
                    Answer::Response(r) => send(stream, &r).map_err(io_err)?,
                    Answer::Removed => return Ok(Some(ServeEnd::CardRemoved)),
                    Answer::PowerCycled => return Ok(None),
                }
            }
        }
    }
}
