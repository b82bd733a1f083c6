//! ISO 7816-4 APDUs for the My Number Card and the HPKI card.
//!
//! This crate is the wire layer of kazasu. It holds:
//!
//! - [`Command`]: command APDUs of every ISO 7816-4 case (1, 2, 3, 4; short and extended), built with
//!   validated lengths, encoded to bytes and decoded from bytes (the card side needs that too).
//! - [`Response`] and [`StatusWord`]: response data and the status word, classified into the classes
//!   that matter for JPKI (`9000`, `61xx`, `6Cxx`, warnings, `63Cx` retries left, errors).
//! - [`CommandData::Sensitive`]: command data such as PINs, zeroized on drop and printed as `REDACTED`.
//! - [`Transport`]: what every card source implements (PC/SC, the virtual card, later NFC).
//! - [`Exchange`]: one exchange loop over any transport that follows `61xx` with GET RESPONSE, resends on
//!   `6Cxx`, counts commands and bytes each way, and traces every exchange with PINs redacted.
//!
//! ```
//! use kazasu_apdu::{Command, Le};
//!
//! // READ BINARY of 256 bytes at offset 0, short form.
//! let read = Command::new(0x00, 0xB0, 0x00, 0x00).with_le(Le::new(256)?);
//! assert_eq!(read.to_bytes().as_slice(), &[0x00, 0xB0, 0x00, 0x00, 0x00]);
//! // The card side decodes the same bytes back.
//! assert_eq!(Command::from_bytes(&read.to_bytes())?, read);
//! # Ok::<(), kazasu_apdu::ApduError>(())
//! ```
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod command;
mod error;
mod exchange;
mod response;
mod status;
mod transport;

pub use command::{Command, CommandData, Le, LengthForm};
pub use error::{ApduError, TransportError, TransportErrorKind};
pub use exchange::{Exchange, ExchangeStats};
pub use response::Response;
pub use status::{StatusClass, StatusWord};
pub use transport::{Capabilities, Transport};
