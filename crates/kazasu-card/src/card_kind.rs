//! Which card is in the reader: a My Number Card or an HPKI card, told by SELECT (and hinted by the
//! ATR) without touching any secret.

use std::fmt;

use kazasu_apdu::Transport;

use crate::CardError;
use crate::hpki::HpkiAp;
use crate::jpki::JPKI_AID;
use crate::session::Session;

/// The My Number Card's ATR (T=1 only).
///
/// Only this ATR is known; no public source gives the HPKI card's, so an HPKI card is recognised by
/// SELECT alone ([`CardKind::detect`]).
pub const MY_NUMBER_CARD_ATR: [u8; 9] = [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14];

/// What kind of card answered.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum CardKind {
    /// A card with the JPKI AP: the My Number Card.
    MyNumber,
    /// A card with an HPKI application (signature or authentication).
    Hpki,
    /// Neither application answered.
    Unknown,
}

impl CardKind {
    /// A hint from the ATR alone: [`CardKind::MyNumber`] for the My Number Card's ATR, otherwise
    /// [`CardKind::Unknown`] (the HPKI card's ATR is not known; [`CardKind::detect`] decides).
    pub fn hint_from_atr(atr: &[u8]) -> CardKind {
        if atr == MY_NUMBER_CARD_ATR {
            CardKind::MyNumber
        } else {
            CardKind::Unknown
        }
    }

    /// SELECTs the JPKI AP, then the HPKI signature and authentication applications, and stops at
    /// the first that answers `9000`: 1 to 3 APDUs, no PIN, no counter read. The application found
    /// stays selected, so [`Jpki::from_session`](crate::Jpki::from_session) or
    /// [`Hpki::from_session`](crate::Hpki::from_session) go on without another SELECT.
    ///
    /// A refusal of a SELECT (`6A82` and the like) means "not this application"; transport
    /// failures are errors.
    pub fn detect<T: Transport>(session: &mut Session<T>) -> Result<CardKind, CardError> {
        let candidates = [
            (&JPKI_AID[..], CardKind::MyNumber, "SELECT JPKI AP"),
            (
                &HpkiAp::Signature.aid()[..],
                CardKind::Hpki,
                "SELECT HPKI signature AP",
            ),
            (
                &HpkiAp::Authentication.aid()[..],
                CardKind::Hpki,
                "SELECT HPKI authentication AP",
            ),
        ];
        for (aid, kind, operation) in candidates {
            match session.retrying(|s| s.select_ap(aid, operation)) {
                Ok(()) => return Ok(kind),
                Err(e) if e.is_refusal() => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(CardKind::Unknown)
    }
}

impl fmt::Display for CardKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CardKind::MyNumber => "My Number Card",
            CardKind::Hpki => "HPKI card",
            CardKind::Unknown => "unknown card",
        })
    }
}
