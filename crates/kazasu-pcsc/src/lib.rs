//! Real smart card readers for the My Number Card (JPKI), through PC/SC (`pcscd` on Linux).
//!
//! - [`Readers`]: a connection to pcscd. [`Readers::list`] every reader and whether it holds a card;
//!   [`Readers::wait_for_card`] (readers plugged in while waiting included) and
//!   [`Readers::wait_for_removal`], with timeouts; a [`Canceller`] to stop a wait from another thread.
//! - [`PcscTransport`]: the card behind [`kazasu_apdu::Transport`], connected with any protocol to the
//!   reader a [`ReaderChoice`] names (or the first with a card). Extended APDUs when the reader carries
//!   them ([`ExtendedApdus`]); a card reset by another program is reported as a
//!   [`CardReset`](kazasu_apdu::TransportErrorKind::CardReset) error and through
//!   [`take_reset_event`](kazasu_apdu::Transport::take_reset_event) so the session re-selects.
//! - Exclusive access held across SELECT / VERIFY / SIGN, always scoped: [`Transport::exclusive`]
//!   (what `kazasu-card` sessions call) runs a closure inside a PC/SC transaction; the
//!   [`PcscTransaction`] guard ([`PcscTransport::transaction`]) ends it when dropped;
//!   [`PcscTransport::with_transaction`] runs a closure on the guard. After a PIN was presented,
//!   dropping the connection powers the card down (`SCARD_UNPOWER_CARD`) so the verified state
//!   does not outlive the session ([`Options::unpower_on_drop_after_pin`]): the card keeps a VERIFY
//!   until it loses power, so a warm reset (`SCARD_RESET_CARD`) or a reconnect would leave it verified.
//! - [`Error`]: every PC/SC failure, typed, with a message that says what to do (pcscd not running,
//!   no reader, no card, card removed, sharing violation, timeout, …), convertible into a
//!   [`kazasu_apdu::TransportError`] of the matching kind.
//!
//! Building needs `libpcsclite-dev` (and `pkg-config`); running needs `pcscd`.
//!
//! The PC/SC transaction lives on the caller's stack: the guard borrows the connection (so nothing
//! else uses the connection meanwhile) and sends its commands through the `pcsc::Transaction`, and
//! the transaction ends when the guard goes away, whatever way the closure or block is left.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use kazasu_apdu::{Command, Exchange, Le};
//! use kazasu_pcsc::{Options, ReaderChoice, Readers};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let readers = Readers::establish()?; // Error::ServiceUnavailable says how to start pcscd
//! for r in readers.list()? {
//!     println!("{} {}", r.name, if r.has_card { "card" } else { "empty" });
//! }
//! let reader = readers.wait_for_card(&ReaderChoice::FirstWithCard, Duration::from_secs(30))?;
//! let card = readers.connect(&ReaderChoice::Named(reader.name), &Options::default())?;
//! let mut ex = Exchange::new(card);
//! // SELECT the JPKI AP, SELECT the authentication certificate, one extended READ BINARY.
//! let jpki = vec![0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
//! ex.transmit(&Command::new(0x00, 0xA4, 0x04, 0x0C).with_data(jpki)?)?;
//! ex.transmit(&Command::new(0x00, 0xA4, 0x02, 0x0C).with_data(vec![0x00, 0x0A])?)?;
//! let cert = ex.transmit(&Command::new(0x00, 0xB0, 0x00, 0x00).with_le(Le::new(65_536)?))?;
//! println!("{} bytes in {} APDUs", cert.data().len(), ex.stats().commands);
//! # Ok(()) }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(doc)]
use kazasu_apdu::Transport;

mod connection;
mod error;
mod extended;
mod options;
mod pin_use;
mod readers;
mod removal;
mod transaction;
mod wire;

pub use connection::PcscTransport;
pub use error::{Error, Result, START_PCSCD};
pub use options::{ExtendedApdus, Options, Share};
pub use readers::{Canceller, ReaderChoice, ReaderInfo, Readers};
pub use transaction::PcscTransaction;

/// The `pcsc` crate this one is built on, for its [`Protocol`](pcsc::Protocol) and error types.
pub use pcsc;
