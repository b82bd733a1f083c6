//! The virtual card: a My Number Card (or the Android smartphone token) answering APDU bytes.
//!
//! The card holds three applications, as the real one does:
//!
//! | AID | application | files |
//! |---|---|---|
//! | [`JPKI_AID`] | 公的個人認証AP | `000A` auth cert, `000B` auth CA, `0001` sign cert (after `001B`), `0002` sign CA, `0006` token info, `0008` cert presence, keys `0017`/`001A`, PINs `0018` (4 digits, 3 tries) / `001B` (6–16 `A–Z0–9`, 5 tries) |
//! | [`TEXT_AID`] | 券面事項入力補助AP | `0001` My Number, `0002` 基本4情報, `0003` integrity, `0005` AP info; PIN `0011`, 照合番号A `0014`, 照合番号B `0015` |
//! | [`VISUAL_AID`] | 券面事項確認AP | `0002` card face, `0003` AP info, `0005` My Number image; 照合番号A `0013`, 照合番号B `0012` |
//!
//! Every input, however malformed, gets a status word; nothing panics (see the `virtual_card` fuzz target).
//! Verified PINs last until power-off or reset; retry counters persist like the card's EEPROM.

mod commands;
mod faults;
pub(crate) mod fs;

use std::collections::BTreeSet;
use std::fmt;

use rsa::PrivateKey;
use zeroize::Zeroizing;

pub use faults::{Answer, FaultPlan};

use crate::kenmen::{TextApFiles, VisualApFiles};
use fs::{Access, Application, Pin, PinFormat, with_filler};

/// AID of the JPKI AP (公的個人認証AP).
pub const JPKI_AID: [u8; 10] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
/// AID of the 券面事項入力補助AP (card-info input support).
pub const TEXT_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08];
/// AID of the 券面事項確認AP (card face).
pub const VISUAL_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02];
/// The My Number Card's ATR (T=1 only), the one OpenSC's `jpki` driver matches.
pub const ATR: [u8; 9] = [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14];

/// Tries a verification code (照合番号) allows. The card specification gives none; we chose 10.
pub const VERIFICATION_CODE_TRIES: u8 = 10;

/// Which JPKI token the card presents.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum TokenKind {
    /// The My Number Card (`JPKIAPICCTOKEN2`) with both card-face applications.
    MyNumberCard,
    /// The Android smartphone certificate (`JPKIAPGPSETOKEN`): the auth certificate needs the auth PIN
    /// first, and there are no card-face applications.
    AndroidSmartphone,
}

impl TokenKind {
    /// The label at the start of EF `0006`.
    pub fn label(self) -> &'static str {
        match self {
            TokenKind::MyNumberCard => "JPKIAPICCTOKEN2",
            TokenKind::AndroidSmartphone => "JPKIAPGPSETOKEN",
        }
    }
}

/// How the card behaves on the wire.
#[derive(Clone, Debug)]
pub struct CardConfig {
    /// The token kind.
    pub token: TokenKind,
    /// Whether extended length APDUs are accepted (turn off to model readers such as the ACR122U).
    pub extended_apdus: bool,
    /// When set, responses longer than this are returned in parts behind `61xx` (T=0 style), to
    /// exercise GET RESPONSE handling.
    pub response_chunk: Option<usize>,
}

impl Default for CardConfig {
    fn default() -> Self {
        Self {
            token: TokenKind::MyNumberCard,
            extended_apdus: true,
            response_chunk: None,
        }
    }
}

/// The signature (署名用) half of the JPKI AP; absent for holders under 15.
pub struct SignContents {
    /// Signature certificate DER.
    pub certificate: Vec<u8>,
    /// Its private key.
    pub key: PrivateKey,
    /// The signature password.
    pub password: Zeroizing<String>,
}

/// The 券面事項入力補助AP and its secrets.
pub struct TextApContents {
    /// File contents.
    pub files: TextApFiles,
    /// The 4-digit card-info PIN.
    pub pin: Zeroizing<String>,
    /// 照合番号A (the My Number).
    pub code_a: Zeroizing<String>,
    /// 照合番号B.
    pub code_b: Zeroizing<String>,
}

/// The 券面事項確認AP and its secrets.
pub struct VisualApContents {
    /// File contents.
    pub files: VisualApFiles,
    /// 照合番号A.
    pub code_a: Zeroizing<String>,
    /// 照合番号B.
    pub code_b: Zeroizing<String>,
}

/// Everything a card holds.
pub struct CardContents {
    /// Authentication certificate DER.
    pub auth_certificate: Vec<u8>,
    /// Authentication private key.
    pub auth_key: PrivateKey,
    /// The 4-digit authentication PIN.
    pub auth_pin: Zeroizing<String>,
    /// Authentication CA certificate DER.
    pub auth_ca_certificate: Vec<u8>,
    /// Signature CA certificate DER.
    pub sign_ca_certificate: Vec<u8>,
    /// The signature half, if issued.
    pub sign: Option<SignContents>,
    /// The 券面事項入力補助AP (My Number Card only).
    pub text_ap: Option<TextApContents>,
    /// The 券面事項確認AP (My Number Card only).
    pub visual_ap: Option<VisualApContents>,
}

impl fmt::Debug for CardContents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardContents")
            .field("auth_certificate", &self.auth_certificate.len())
            .field("sign", &self.sign.is_some())
            .field("secrets", &"REDACTED")
            .finish_non_exhaustive()
    }
}

#[derive(Default, Debug)]
struct Session {
    app: Option<usize>,
    ef: Option<u16>,
    verified: BTreeSet<(usize, u16)>,
    pending: Vec<u8>,
}

/// The virtual card.
pub struct VirtualCard {
    config: CardConfig,
    apps: Vec<Application>,
    session: Session,
    powered: bool,
    present: bool,
    resets: u64,
    commands: u64,
    faults: FaultPlan,
}

impl fmt::Debug for VirtualCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VirtualCard")
            .field("config", &self.config)
            .field("powered", &self.powered)
            .field("present", &self.present)
            .field("commands", &self.commands)
            .finish_non_exhaustive()
    }
}

/// Filler after each DER file, like the oversized EFs of a real card.
const CERT_FILLER: usize = 96;

impl VirtualCard {
    /// A card holding `contents`, behaving as `config` says.
    pub fn new(contents: CardContents, config: CardConfig) -> Self {
        let android = config.token == TokenKind::AndroidSmartphone;
        let mut apps = Vec::new();

        let mut jpki = Application::new(&JPKI_AID);
        let auth_read = if android {
            Access::AnyOf(vec![0x0018])
        } else {
            Access::Free
        };
        let mut label = config.token.label().as_bytes().to_vec();
        label.resize(32, b' ');
        let presence = [
            if contents.sign.is_some() { 0x8F } else { 0x00 },
            0x8F,
            0x00,
        ];
        jpki.binary(
            0x000A,
            with_filler(contents.auth_certificate, 0xFF, CERT_FILLER),
            auth_read,
        )
        .binary(
            0x000B,
            with_filler(contents.auth_ca_certificate, 0xFF, CERT_FILLER),
            Access::Free,
        )
        .binary(
            0x0002,
            with_filler(contents.sign_ca_certificate, 0xFF, CERT_FILLER),
            Access::Free,
        )
        .binary(0x0006, with_filler(label, 0x00, 32), Access::Free)
        .binary(0x0008, presence.to_vec(), Access::Free)
        .pin(
            0x0018,
            Pin::new(contents.auth_pin.as_bytes(), 3, PinFormat::Digits(4)),
        )
        .key(0x0017, contents.auth_key, Access::AnyOf(vec![0x0018]));
        if let Some(sign) = contents.sign {
            jpki.binary(
                0x0001,
                with_filler(sign.certificate, 0xFF, CERT_FILLER),
                Access::AnyOf(vec![0x001B]),
            )
            .pin(
                0x001B,
                Pin::new(sign.password.as_bytes(), 5, PinFormat::SignPassword),
            )
            .key(0x001A, sign.key, Access::AnyOf(vec![0x001B]));
        }
        apps.push(jpki);

        if !android {
            if let Some(text) = contents.text_ap {
                let mut app = Application::new(&TEXT_AID);
                let f = text.files;
                app.pin(
                    0x0011,
                    Pin::new(text.pin.as_bytes(), 3, PinFormat::Digits(4)),
                )
                .pin(0x0014, code(&text.code_a))
                .pin(0x0015, code(&text.code_b))
                .binary(0x0001, f.my_number, Access::AnyOf(vec![0x0011, 0x0014]))
                .binary(0x0002, f.basic_info, Access::AnyOf(vec![0x0011, 0x0015]))
                .binary(0x0003, f.integrity, Access::AnyOf(vec![0x0011]))
                .binary(0x0005, f.ap_info, Access::Free);
                apps.push(app);
            }
            if let Some(visual) = contents.visual_ap {
                let mut app = Application::new(&VISUAL_AID);
                let f = visual.files;
                app.pin(0x0013, code(&visual.code_a))
                    .pin(0x0012, code(&visual.code_b))
                    .binary(0x0002, f.card_face, Access::AnyOf(vec![0x0013, 0x0012]))
                    .binary(0x0003, f.ap_info, Access::Free)
                    .binary(0x0005, f.my_number_image, Access::AnyOf(vec![0x0013]));
                apps.push(app);
            }
        }

        Self {
            config,
            apps,
            session: Session::default(),
            powered: true,
            present: true,
            resets: 0,
            commands: 0,
            faults: FaultPlan::default(),
        }
    }

    /// The card's configuration.
    pub fn config(&self) -> &CardConfig {
        &self.config
    }

    /// Changes whether extended APDUs are accepted.
    pub fn set_extended_apdus(&mut self, on: bool) {
        self.config.extended_apdus = on;
    }

    /// The ATR.
    pub fn atr(&self) -> &'static [u8] {
        &ATR
    }

    /// Commands received since creation (including those lost to faults).
    pub fn command_count(&self) -> u64 {
        self.commands
    }

    /// How many times the card was reset or power-cycled.
    pub fn reset_count(&self) -> u64 {
        self.resets
    }

    /// Installs a fault plan; command numbers count from the next command (1 = the next one).
    pub fn set_faults(&mut self, mut plan: FaultPlan) {
        plan.rebase(self.commands);
        self.faults = plan;
    }

    /// Whether the card is in the reader.
    pub fn is_present(&self) -> bool {
        self.present
    }

    /// Puts a removed card back (powered, nothing verified).
    pub fn insert(&mut self) {
        self.present = true;
        self.power_cycle();
    }

    /// Takes the card out of the reader.
    pub fn remove(&mut self) {
        self.present = false;
        self.power_off();
    }

    /// Powers the card off: selections and verified PINs are lost; retry counters persist.
    pub fn power_off(&mut self) {
        self.powered = false;
        self.session = Session::default();
    }

    /// Powers the card on.
    pub fn power_on(&mut self) {
        if !self.powered {
            self.resets += 1;
        }
        self.powered = true;
        self.session = Session::default();
    }

    /// A warm reset: like a power cycle for the card's volatile state.
    pub fn reset(&mut self) {
        self.resets += 1;
        self.powered = true;
        self.session = Session::default();
    }

    /// Power off then on.
    pub fn power_cycle(&mut self) {
        self.power_off();
        self.power_on();
    }

    /// Tries left on a PIN EF of an application, for tests and the `serve` status line.
    pub fn tries_left(&self, aid: &[u8], pin_ef: u16) -> Option<u8> {
        let app = self.apps.iter().find(|a| a.aid == aid)?;
        match app.files.get(&pin_ef)? {
            fs::Ef::Pin(p) => Some(p.tries_left),
            _ => None,
        }
    }

    /// One exchange with the fault plan applied: what a reader would see.
    pub fn transmit(&mut self, apdu: &[u8]) -> Answer {
        self.commands += 1;
        let n = self.commands;
        if !self.present || self.faults.remove_at.is_some_and(|at| n >= at) {
            self.faults.remove_at = None;
            self.remove();
            return Answer::Removed;
        }
        if let Some(delay) = self.faults.delay {
            std::thread::sleep(delay);
        }
        if self.faults.power_cycle_at == Some(n) {
            self.power_cycle();
            return Answer::PowerCycled;
        }
        if let Some(sw) = self.faults.forced_at(n) {
            return Answer::Response(sw.to_bytes().to_vec());
        }
        Answer::Response(self.process(apdu))
    }

    /// Processes one command APDU and returns the response APDU bytes. Never panics.
    pub fn process(&mut self, apdu: &[u8]) -> Vec<u8> {
        if !self.powered {
            self.power_on();
        }
        let response = commands::process(self, apdu);
        tracing::trace!(target: "kazasu_virtual_card", len = response.data().len(), sw = %response.sw(), "answered");
        response.to_bytes()
    }
}

fn code(value: &str) -> Pin {
    Pin::new(value.as_bytes(), VERIFICATION_CODE_TRIES, PinFormat::Fixed)
}
