//! The virtual card: a My Number Card (or the Android smartphone token) answering APDU bytes.
//!
//! The card holds these applications, as the real one does:
//!
//! | AID | application | files |
//! |---|---|---|
//! | [`JPKI_AID`] | 公的個人認証AP | `000A` auth cert, `000B` auth CA, `0001` sign cert (after `001B`), `0002` sign CA, `0006` token info, `0008` cert presence, keys `0017`/`001A`, PINs `0018` (4 digits, 3 tries) / `001B` (6–16 `A–Z0–9`, 5 tries) |
//! | [`TEXT_AID`] | 券面事項入力補助AP | `0001` My Number, `0002` 基本4情報, `0003` integrity, `0004` CVC, `0005` AP basic data, `0006` secure-messaging key, `0007` card key record; PIN `0011` (4 digits, 3 tries), `0012` (blocked from issue), chip key `0013`, 照合番号A `0014`, 照合番号B `0015` |
//! | [`VISUAL_AID`] | 券面事項確認AP | `0001` age record, `0002` card face, `0003` AP basic data, `0004` CVC, `0005` My Number image; birth-date key `0011`, 照合番号B `0012`, 照合番号A `0013`, chip key `001A` |
//! | [`COMMON_AID`] | 共通AP | record EF `0001` (card serial, municipality code, expiry); 個人番号カード用 PIN `001C` |
//! | [`RESIDENT_AID`] | 住基AP | 個人番号カード用 PIN `001C` (the same PIN object as the 共通AP's: one value, one counter) |
//!
//! An HPKI card ([`VirtualCard::hpki`]) holds only the two HPKI APs instead (see [`HPKI_ATR`] and the
//! `hpki` module docs): PIN `0002`, key `000C`, certificate `0016` under each, VERIFY with P2 `88`.
//!
//! What opens what: 券面事項入力補助AP — the PIN opens every file, 照合番号A opens `0001` and `0003`, 照合番号B
//! opens `0002` and `0003`, `0004`–`0007` are free. 券面事項確認AP — 照合番号A opens `0002` and `0005`,
//! 照合番号B opens `0002`, the birth-date key opens `0001`, `0003` and `0004` are free. The chip keys
//! (`0013`, `001A`) sign without any credential. The master file answers GET DATA (`00F0`, `00F2`,
//! `0045`, `00F7`, `00F8`, `7F21`, `5F51`) in any state.
//!
//! # Commands
//!
//! SELECT (by AID `04 0C`, EF `02 0C`, the master file `00 0C` with no data or `3F 00`), READ BINARY (offset or short EF id `80|id` in P1, short or
//! extended Le), READ RECORD (`00 B2 n 04`, or `(sfi << 3) | 4`), VERIFY (`00 20 00 80` on the
//! selected EF or `00 20 00 (80|id)`; empty data reads the counter without spending a try), CHANGE
//! REFERENCE DATA `00 24 01 (80|id)`, CHANGE KEY `80 32 00 (80|id)`, COMPUTE DIGITAL SIGNATURE `80 2A 00
//! P2`, GET CHALLENGE `00 84 00 00 Le`, GET DATA `00 CA P1 P2 Le`, GET RESPONSE, and the secure
//! messaging of the 券面事項入力補助AP ([`sm`]).
//!
//! - **CHANGE KEY** (`80 32`): the card specification names only the instruction and no public source we
//!   found gives its APDU, so this card takes `80 32 00 (80|id) Lc <new PIN ASCII>` (P2 `80` = the
//!   selected EF) after a VERIFY of that key in this power session: `9000`, `6982` not verified, `6A80`
//!   wrong form (4 digits), `6984` blocked, `6985` for a key that cannot be changed (照合番号).
//! - **COMPUTE DIGITAL SIGNATURE**: only P1 `00` (the DigestInfo is given; the card adds the PKCS#1
//!   v1.5 padding). No public source we found describes the variants where the card hashes (P1 `01`–`05`),
//!   so they answer `6A86`. P2 `80` signs with the selected key EF, `80|id` names it, `00` uses the selected
//!   key EF or else the AP's chip key (`001A` / `0013`).
//! - **GET DATA** answers `6700` when Le is shorter than the object, so a terminal resends with extended
//!   Le; the two CVC objects come without their `7F21` wrapper. **GET CHALLENGE** returns Le bytes from a
//!   deterministic generator (seeded per card): fine for a test card, never for a real one.
//!
//! # Security status
//!
//! A VERIFY lasts until the card loses power: a warm [`VirtualCard::reset`] (what `SCARD_RESET_CARD`
//! and a reconnect do) keeps it; [`VirtualCard::power_off`] / [`VirtualCard::power_cycle`] (what
//! `SCARD_UNPOWER_CARD` does, and a removal) clear it. Selecting another AP clears the status of every
//! other AP (re-selecting the same AP keeps it); selecting the master file clears all of it. Retry counters persist like the card's EEPROM.
//!
//! Every input, however malformed, gets a status word; nothing panics (see the `virtual_card` fuzz target).

mod commands;
mod faults;
pub(crate) mod fs;
mod hpki;
pub mod sm;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use rsa::PrivateKey;
use zeroize::Zeroizing;

pub use faults::{Answer, FaultPlan};
pub use hpki::{HPKI_ATR, HPKI_DEFAULT_TRIES, HpkiApContents, HpkiCardContents};

use crate::kenmen::{TextApFiles, VisualApFiles};
use fs::{Access, Application, Pin, PinFormat, with_filler};

/// AID of the JPKI AP (公的個人認証AP).
pub const JPKI_AID: [u8; 10] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
/// AID of the 券面事項入力補助AP (card-info input support).
pub const TEXT_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08];
/// AID of the 券面事項確認AP (card face).
pub const VISUAL_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02];
/// AID of the 共通AP (common card AP).
pub const COMMON_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x01, 0x00];
/// AID of the 住基AP (residents' register AP).
pub const RESIDENT_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x01];
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
    /// The iPhone smartphone certificate (`JPKIAPIOSTOKEN`): the same AID and files as the Android
    /// token, no card-face applications. The card specification states the PIN-before-reading rule
    /// for the Android token only; this virtual token applies it too, so clients are exercised
    /// against the stricter behaviour.
    IPhone,
}

impl TokenKind {
    /// The label at the start of EF `0006`.
    pub fn label(self) -> &'static str {
        match self {
            TokenKind::MyNumberCard => "JPKIAPICCTOKEN2",
            TokenKind::AndroidSmartphone => "JPKIAPGPSETOKEN",
            TokenKind::IPhone => "JPKIAPIOSTOKEN",
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
    /// The 4-digit card-info PIN (key `0011`).
    pub pin: Zeroizing<String>,
    /// 照合番号A (the My Number, key `0014`).
    pub code_a: Zeroizing<String>,
    /// 照合番号B (key `0015`).
    pub code_b: Zeroizing<String>,
    /// The chip key (key `0013`): answers `80 2A 00 00` without a credential.
    pub chip_key: PrivateKey,
    /// The private half of EF `0006`: decrypts the terminal's secure-messaging key (`80 AE`).
    pub sm_key: PrivateKey,
}

/// The 券面事項確認AP and its secrets.
pub struct VisualApContents {
    /// File contents.
    pub files: VisualApFiles,
    /// 照合番号A (key `0013`).
    pub code_a: Zeroizing<String>,
    /// 照合番号B (key `0012`).
    pub code_b: Zeroizing<String>,
    /// The birth-date key (key `0011`): era `YYMMDD`, 6 ASCII digits.
    pub birth_date_key: Zeroizing<String>,
    /// The chip key (key `001A`): answers `80 2A 00 00` without a credential.
    pub chip_key: PrivateKey,
}

/// The 共通AP, the 住基AP and the master file.
pub struct CommonContents {
    /// Record 1 of the 共通AP EF `0001`.
    pub record: Vec<u8>,
    /// The 個人番号カード用 PIN (key `001C` of both APs, one counter).
    pub resident_pin: Zeroizing<String>,
    /// The master file's GET DATA objects, by tag (`00F0`, `00F2`, `0045`, `00F7`, `00F8`, `7F21`, `5F51`),
    /// each as GET DATA returns it.
    pub get_data: BTreeMap<u16, Vec<u8>>,
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
    /// The 共通AP, 住基AP and master file (My Number Card only).
    pub common: Option<CommonContents>,
    /// Seeds the GET CHALLENGE generator.
    pub challenge_seed: u64,
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

/// What the card holds in RAM: lost at power-off. A warm reset loses only the selections, pending
/// GET RESPONSE data and the secure-messaging session; the security status survives it.
#[derive(Default, Debug)]
struct Session {
    app: Option<usize>,
    ef: Option<u16>,
    verified: BTreeSet<(usize, u16)>,
    pending: Vec<u8>,
    sm: sm::State,
}

impl Session {
    /// A warm reset: back to the master file, security status kept.
    fn warm_reset(&mut self) {
        self.app = None;
        self.ef = None;
        self.pending.clear();
        self.sm = sm::State::default();
    }
}

/// The virtual card.
pub struct VirtualCard {
    config: CardConfig,
    atr: &'static [u8],
    apps: Vec<Application>,
    shared_pins: Vec<Pin>,
    get_data: BTreeMap<u16, Vec<u8>>,
    challenge_seed: u64,
    challenges: u64,
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
        // Smartphone tokens: the auth certificate after the PIN, no card-face applications.
        let android = matches!(
            config.token,
            TokenKind::AndroidSmartphone | TokenKind::IPhone
        );
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
                .pin(0x0012, Pin::blocked(3))
                .pin(0x0014, code(&text.code_a))
                .pin(0x0015, code(&text.code_b))
                .binary(0x0001, f.my_number, Access::AnyOf(vec![0x0011, 0x0014]))
                .binary(0x0002, f.basic_info, Access::AnyOf(vec![0x0011, 0x0015]))
                .binary(
                    0x0003,
                    f.integrity,
                    Access::AnyOf(vec![0x0011, 0x0014, 0x0015]),
                )
                .binary(0x0004, f.cvc, Access::Free)
                .binary(0x0005, f.ap_info, Access::Free)
                .binary(0x0006, f.sm_public_key, Access::Free)
                .binary(0x0007, f.card_key, Access::Free)
                .key(0x0013, text.chip_key, Access::Free);
                app.default_key = Some(0x0013);
                app.sm_key = Some(Box::new(text.sm_key));
                apps.push(app);
            }
            if let Some(visual) = contents.visual_ap {
                let mut app = Application::new(&VISUAL_AID);
                let f = visual.files;
                app.pin(0x0013, code(&visual.code_a))
                    .pin(0x0012, code(&visual.code_b))
                    .pin(0x0011, code(&visual.birth_date_key))
                    .binary(0x0001, f.age, Access::AnyOf(vec![0x0011]))
                    .binary(0x0002, f.card_face, Access::AnyOf(vec![0x0013, 0x0012]))
                    .binary(0x0003, f.ap_info, Access::Free)
                    .binary(0x0004, f.cvc, Access::Free)
                    .binary(0x0005, f.my_number_image, Access::AnyOf(vec![0x0013]))
                    .key(0x001A, visual.chip_key, Access::Free);
                app.default_key = Some(0x001A);
                apps.push(app);
            }
        }

        let mut shared_pins = Vec::new();
        let mut get_data = BTreeMap::new();
        if let (false, Some(common)) = (android, contents.common) {
            shared_pins.push(Pin::new(
                common.resident_pin.as_bytes(),
                3,
                PinFormat::Digits(4),
            ));
            let mut app = Application::new(&COMMON_AID);
            app.records(0x0001, vec![common.record], Access::Free)
                .shared_pin(0x001C, 0);
            apps.push(app);
            let mut app = Application::new(&RESIDENT_AID);
            app.shared_pin(0x001C, 0);
            apps.push(app);
            get_data = common.get_data;
        }

        Self {
            config,
            atr: &ATR,
            apps,
            shared_pins,
            get_data,
            challenge_seed: contents.challenge_seed,
            challenges: 0,
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
        self.atr
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

    /// Powers the card off (`SCARD_UNPOWER_CARD`, vpcd control `00`): selections, verified PINs and the
    /// secure-messaging session are lost; retry counters persist.
    pub fn power_off(&mut self) {
        self.powered = false;
        self.session = Session::default();
    }

    /// Powers the card on.
    pub fn power_on(&mut self) {
        // Powering an already powered card changes nothing (the security status survives).
        if !self.powered {
            self.resets += 1;
            self.powered = true;
            self.session = Session::default();
        }
    }

    /// A warm reset (`SCARD_RESET_CARD`, a reconnect, vpcd control `02`): selections, pending answers
    /// and the secure-messaging session are lost, but verified PINs stay in force until power-off.
    pub fn reset(&mut self) {
        self.resets += 1;
        if self.powered {
            self.session.warm_reset();
        } else {
            self.powered = true;
            self.session = Session::default();
        }
    }

    /// Whether the card is powered.
    pub fn is_powered(&self) -> bool {
        self.powered
    }

    /// Power off then on: everything verified is forgotten.
    pub fn power_cycle(&mut self) {
        self.power_off();
        self.power_on();
    }

    /// Tries left on a PIN EF of an application, for tests and the `serve` status line.
    pub fn tries_left(&self, aid: &[u8], pin_ef: u16) -> Option<u8> {
        let app = self.apps.iter().find(|a| a.aid == aid)?;
        match app.files.get(&pin_ef)? {
            fs::Ef::Pin(p) => Some(p.tries_left),
            fs::Ef::SharedPin(i) => self.shared_pins.get(*i).map(|p| p.tries_left),
            _ => None,
        }
    }

    /// Whether key `id` of the application `aid` is verified in this power session.
    pub fn is_verified(&self, aid: &[u8], id: u16) -> bool {
        self.apps
            .iter()
            .position(|a| a.aid == aid)
            .is_some_and(|i| self.session.verified.contains(&(i, id)))
    }

    /// Whether a secure-messaging session is open.
    pub fn secure_messaging_open(&self) -> bool {
        matches!(self.session.sm, sm::State::Open(_))
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
