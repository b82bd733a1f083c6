//! The HPKI card (医師資格証 and the other HPKI cards): two APs, each with a PIN, a key and a
//! certificate, answering with the same command code as the My Number Card.
//!
//! | AID | AP | files |
//! |---|---|---|
//! | [`HPKI_SIGN_AID`] | signature | PIN `0002` (4–8 digits), key `000C` (after the PIN), certificate `0016` (free) |
//! | [`HPKI_AUTH_AID`] | authentication | the same three EFs |
//!
//! VERIFY and CHANGE REFERENCE DATA use P2 `88` on the selected PIN EF (`00 20 00 88`; the JPKI form
//! `80` answers `6A86` here); an empty VERIFY reads the counter (`63 Cx`, `9000` when verified)
//! without spending a try. Signing is `80 2A 00 80 Lc <DigestInfo> 00` on the selected key EF (or P2
//! `00`, which this card takes as the AP's key). The card holds no JPKI or card-face application, so
//! selecting those answers `6A82`.

use std::collections::BTreeMap;
use std::fmt;

use rsa::PrivateKey;
use zeroize::Zeroizing;

use super::fs::{Access, Application, Pin, PinFormat, with_filler};
use super::{CERT_FILLER, CardConfig, Session, VirtualCard};
use crate::pki::{HPKI_AUTH_AID, HPKI_CERT_EF, HPKI_KEY_EF, HPKI_PIN_EF, HPKI_SIGN_AID};

/// The HPKI card's ATR: T=1, historical bytes `KAZASU-HPKI`. Chosen for this card, not measured on
/// a real HPKI card (none is published); software should detect the card by its AIDs, not its ATR.
pub const HPKI_ATR: [u8; 16] = [
    0x3B, 0x8B, 0x80, 0x01, 0x4B, 0x41, 0x5A, 0x41, 0x53, 0x55, 0x2D, 0x48, 0x50, 0x4B, 0x49, 0x2A,
];

/// Tries an HPKI PIN allows unless the contents say otherwise. The card specification gives no
/// number; we chose 5.
pub const HPKI_DEFAULT_TRIES: u8 = 5;

/// One AP of an HPKI card.
pub struct HpkiApContents {
    /// The holder certificate, DER (EF `0016`).
    pub certificate: Vec<u8>,
    /// The private key (EF `000C`).
    pub key: PrivateKey,
    /// The PIN (EF `0002`), 4–8 ASCII digits.
    pub pin: Zeroizing<String>,
    /// Tries the PIN allows.
    pub tries: u8,
}

impl fmt::Debug for HpkiApContents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HpkiApContents")
            .field(
                "certificate",
                &format_args!("{} bytes", self.certificate.len()),
            )
            .field("key", &"REDACTED")
            .field("pin", &"REDACTED")
            .field("tries", &self.tries)
            .finish()
    }
}

/// Everything an HPKI card holds; an absent AP answers `6A82` to its SELECT.
#[derive(Debug)]
pub struct HpkiCardContents {
    /// The signature AP.
    pub signature: Option<HpkiApContents>,
    /// The authentication AP.
    pub authentication: Option<HpkiApContents>,
}

fn application(aid: &[u8], contents: HpkiApContents) -> Application {
    let mut app = Application::new(aid);
    app.binary(
        HPKI_CERT_EF,
        with_filler(contents.certificate, 0xFF, CERT_FILLER),
        Access::Free,
    )
    .pin(
        HPKI_PIN_EF,
        Pin::new(
            contents.pin.as_bytes(),
            contents.tries,
            PinFormat::DigitRange(4, 8),
        ),
    )
    .key(HPKI_KEY_EF, contents.key, Access::AnyOf(vec![HPKI_PIN_EF]));
    app.default_key = Some(HPKI_KEY_EF);
    app.p2_88 = true;
    app
}

impl VirtualCard {
    /// An HPKI card holding `contents`. Of `config`, only `extended_apdus` and `response_chunk` matter.
    pub fn hpki(contents: HpkiCardContents, config: CardConfig) -> Self {
        let mut apps = Vec::new();
        if let Some(sign) = contents.signature {
            apps.push(application(&HPKI_SIGN_AID, sign));
        }
        if let Some(auth) = contents.authentication {
            apps.push(application(&HPKI_AUTH_AID, auth));
        }
        Self {
            config,
            atr: &HPKI_ATR,
            apps,
            shared_pins: Vec::new(),
            get_data: BTreeMap::new(),
            challenge_seed: 0,
            challenges: 0,
            session: Session::default(),
            powered: true,
            present: true,
            resets: 0,
            commands: 0,
            faults: super::FaultPlan::default(),
        }
    }
}
