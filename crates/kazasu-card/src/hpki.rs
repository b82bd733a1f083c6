//! The HPKI card (医師資格証 and the other healthcare qualification cards): its signature and
//! authentication applications.
//!
//! Each application holds one RSA-2048 key (EF `000C`), its certificate (EF `0016`, readable
//! without a PIN) and its PIN (EF `0002`, 4–8 digits). VERIFY names the PIN with P2 `88` (the JPKI
//! AP uses `80`); COMPUTE DIGITAL SIGNATURE is `80 2A 00 80 Lc <DigestInfo> 00` on the selected key EF.

use std::fmt;

use kazasu_apdu::Transport;

use crate::CardError;
use crate::digest::{DigestInfo, HashAlgorithm};
use crate::jpki::{Signature, certificate_type};
use crate::secret::HpkiPin;
use crate::session::{LastTry, PinStatus, Session};

/// AID of the HPKI signature application (署名用).
pub const HPKI_SIGN_AID: [u8; 16] = [
    0xE8, 0x28, 0xBD, 0x08, 0x0F, 0xA0, 0x00, 0x00, 0x03, 0x91, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
];
/// AID of the HPKI authentication application (認証用).
pub const HPKI_AUTH_AID: [u8; 16] = [
    0xE8, 0x28, 0xBD, 0x08, 0x0F, 0xA0, 0x00, 0x00, 0x03, 0x91, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
];

const EF_PIN: u16 = 0x0002;
const EF_KEY: u16 = 0x000C;
const EF_CERT: u16 = 0x0016;
/// HPKI VERIFY uses P2 = 88 (JPKI uses 80).
const PIN_P2: u8 = 0x88;
/// COMPUTE DIGITAL SIGNATURE with P2 = 80: the key is the selected EF, not named by a short id.
const SIGN_P2: u8 = 0x80;

/// One of the two applications of an HPKI card.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum HpkiAp {
    /// The signature application (`…00 01`): the key behind a nonRepudiation certificate.
    Signature,
    /// The authentication application (`…00 02`): the key behind a digitalSignature certificate.
    Authentication,
}

impl HpkiAp {
    /// Both applications, signature first.
    pub const ALL: [HpkiAp; 2] = [HpkiAp::Signature, HpkiAp::Authentication];

    /// The application's AID.
    pub const fn aid(self) -> &'static [u8; 16] {
        match self {
            HpkiAp::Signature => &HPKI_SIGN_AID,
            HpkiAp::Authentication => &HPKI_AUTH_AID,
        }
    }

    fn select_operation(self) -> &'static str {
        match self {
            HpkiAp::Signature => "SELECT HPKI signature AP",
            HpkiAp::Authentication => "SELECT HPKI authentication AP",
        }
    }

    fn status_operation(self) -> &'static str {
        match self {
            HpkiAp::Signature => "HPKI signature PIN status",
            HpkiAp::Authentication => "HPKI authentication PIN status",
        }
    }
}

impl fmt::Display for HpkiAp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HpkiAp::Signature => "signature",
            HpkiAp::Authentication => "authentication",
        })
    }
}

certificate_type!(
    /// The certificate of the HPKI signature key (KeyUsage nonRepudiation; carries the holder's
    /// qualification).
    HpkiSignCertificate
);
certificate_type!(
    /// The certificate of the HPKI authentication key (KeyUsage digitalSignature).
    HpkiAuthCertificate
);

/// Status of the PINs of both applications, read without spending a try.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct HpkiPinStatus {
    /// The signature application's PIN; `None` when the card has no signature application.
    pub sign: Option<PinStatus>,
    /// The authentication application's PIN; `None` when the card has no authentication application.
    pub auth: Option<PinStatus>,
}

/// An HPKI card over a [`Session`].
///
/// ```
/// use kazasu_card::{DigestInfo, HashAlgorithm, Hpki, HpkiAp, HpkiPin, LastTry};
/// # use kazasu_virtual_card::{HpkiCardBuilder, VirtualTransport};
/// # let transport = VirtualTransport::new(HpkiCardBuilder::new(0).pin("123456").build()?.card);
///
/// // A reader's transport (kazasu-pcsc), or here the virtual HPKI card.
/// let mut hpki = Hpki::open(transport)?;
/// let certificate = hpki.read_sign_certificate()?;
/// let to_sign = DigestInfo::of_message(HashAlgorithm::Sha256, b"prescription");
/// let signature = hpki.sign(HpkiAp::Signature, &HpkiPin::new("123456")?, &to_sign, LastTry::Refuse)?;
/// assert_eq!(signature.as_bytes().len(), 256);
/// # let _ = certificate;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Hpki<T> {
    session: Session<T>,
}

impl<T: Transport> Hpki<T> {
    /// Opens a session on `transport` and selects the signature application
    /// ([`CardError::NotFound`] when the card has none).
    pub fn open(transport: T) -> Result<Self, CardError> {
        Self::open_ap(transport, HpkiAp::Signature)
    }

    /// Opens a session on `transport` and selects `ap` first (saves a SELECT when only that
    /// application is used).
    pub fn open_ap(transport: T, ap: HpkiAp) -> Result<Self, CardError> {
        let mut session = Session::new(transport);
        session.retrying(|s| s.select_ap(ap.aid(), ap.select_operation()))?;
        Ok(Self { session })
    }

    /// Uses an existing session; selects the signature application unless an HPKI application is
    /// already selected (as after [`CardKind::detect`](crate::CardKind::detect)).
    pub fn from_session(mut session: Session<T>) -> Result<Self, CardError> {
        let selected = session.selected_ap();
        if !HpkiAp::ALL.iter().any(|ap| selected == Some(&ap.aid()[..])) {
            let ap = HpkiAp::Signature;
            session.retrying(|s| s.select_ap(ap.aid(), ap.select_operation()))?;
        }
        Ok(Self { session })
    }

    /// The session (for its APDU counters).
    pub fn session(&self) -> &Session<T> {
        &self.session
    }

    /// Gives the session back.
    pub fn into_session(self) -> Session<T> {
        self.session
    }

    /// Reads the signature certificate (no PIN needed).
    pub fn read_sign_certificate(&mut self) -> Result<HpkiSignCertificate, CardError> {
        self.read_certificate(HpkiAp::Signature, "read HPKI signature certificate")
            .map(HpkiSignCertificate)
    }

    /// Reads the authentication certificate (no PIN needed).
    pub fn read_auth_certificate(&mut self) -> Result<HpkiAuthCertificate, CardError> {
        self.read_certificate(
            HpkiAp::Authentication,
            "read HPKI authentication certificate",
        )
        .map(HpkiAuthCertificate)
    }

    fn read_certificate(
        &mut self,
        ap: HpkiAp,
        operation: &'static str,
    ) -> Result<Vec<u8>, CardError> {
        self.session
            .read_object(ap.aid(), EF_CERT, operation, "HPKI PIN")
    }

    /// The PIN status of one application (an empty VERIFY: no try is spent).
    pub fn pin_status(&mut self, ap: HpkiAp) -> Result<PinStatus, CardError> {
        self.session
            .pin_status(ap.aid(), EF_PIN, PIN_P2, ap.status_operation())
    }

    /// The PIN status of both applications; an application the card lacks is `None`.
    pub fn pin_statuses(&mut self) -> Result<HpkiPinStatus, CardError> {
        let mut one = |ap: HpkiAp| match self.pin_status(ap) {
            Ok(s) => Ok(Some(s)),
            Err(CardError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        };
        let sign = one(HpkiAp::Signature)?;
        let auth = one(HpkiAp::Authentication)?;
        Ok(HpkiPinStatus { sign, auth })
    }

    /// Verifies the PIN of `ap` behind the lockout guard (the counter is read first; with one try
    /// left it refuses unless `last_try` allows it).
    pub fn verify_pin(
        &mut self,
        ap: HpkiAp,
        pin: &HpkiPin,
        last_try: LastTry,
    ) -> Result<(), CardError> {
        self.session.verify(ap.aid(), EF_PIN, PIN_P2, pin, last_try)
    }

    /// Verifies the PIN of `ap` (behind the lockout guard) and has its key sign `digest_info`
    /// (PKCS#1 v1.5, padding added by the card), holding exclusive access throughout.
    pub fn sign(
        &mut self,
        ap: HpkiAp,
        pin: &HpkiPin,
        digest_info: &DigestInfo,
        last_try: LastTry,
    ) -> Result<Signature, CardError> {
        let aid = ap.aid();
        self.session.exclusive(|s| {
            s.verify(aid, EF_PIN, PIN_P2, pin, last_try)?;
            let operation = "COMPUTE DIGITAL SIGNATURE";
            s.select_ef(aid, EF_KEY, operation)?;
            s.compute_signature(aid, SIGN_P2, digest_info.as_der(), operation, "HPKI PIN")
                .map(Signature::from_card)
        })
    }

    /// Hashes `message` with `algorithm` and signs its DigestInfo with the key of `ap`.
    pub fn sign_message(
        &mut self,
        ap: HpkiAp,
        pin: &HpkiPin,
        algorithm: HashAlgorithm,
        message: &[u8],
        last_try: LastTry,
    ) -> Result<Signature, CardError> {
        self.sign(
            ap,
            pin,
            &DigestInfo::of_message(algorithm, message),
            last_try,
        )
    }
}

#[cfg(test)]
mod tests {
    //! Literal APDU bytes, written from the card's command set (not from any card implementation).
    use std::collections::VecDeque;

    use kazasu_apdu::{Capabilities, TransportError};

    use super::*;
    use crate::{CardKind, SecretKind};

    /// Answers a fixed script and checks every command byte for byte.
    struct Script {
        steps: VecDeque<(Vec<u8>, Vec<u8>)>,
        caps: Capabilities,
    }

    impl Script {
        fn new(caps: Capabilities, steps: Vec<(Vec<u8>, Vec<u8>)>) -> Self {
            Self {
                steps: steps.into(),
                caps,
            }
        }
    }

    impl Transport for Script {
        fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
            let (want, answer) = self.steps.pop_front().expect("no more commands expected");
            assert_eq!(hex(command), hex(&want), "unexpected command");
            Ok(answer)
        }

        fn capabilities(&self) -> Capabilities {
            self.caps
        }
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|b| format!("{b:02X}")).collect()
    }

    fn cat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    const OK: &[u8] = &[0x90, 0x00];

    fn select_ap(aid: &[u8; 16]) -> Vec<u8> {
        cat(&[&[0x00, 0xA4, 0x04, 0x0C, 0x10], aid])
    }

    fn select_ef(ef: u8) -> Vec<u8> {
        vec![0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, ef]
    }

    /// A 300-byte DER object (`30 82 01 28` + 296 content bytes).
    fn certificate() -> Vec<u8> {
        let mut c = vec![0x30, 0x82, 0x01, 0x28];
        c.extend((0..296u16).map(|i| (i % 251) as u8));
        c
    }

    /// Every scripted command was sent.
    fn done(hpki: Hpki<Script>) {
        assert!(hpki.into_session().into_transport().steps.is_empty());
    }

    #[test]
    fn certificate_in_three_apdus_with_extended_length() {
        let cert = certificate();
        // The file is longer than the certificate: filler after it must not come back.
        let mut file = cert.clone();
        file.extend([0xFF; 40]);
        let script = Script::new(
            Capabilities::extended(4096),
            vec![
                (select_ap(&HPKI_SIGN_AID), OK.to_vec()),
                (select_ef(0x16), OK.to_vec()),
                (
                    vec![0x00, 0xB0, 0x00, 0x00, 0x00, 0x10, 0x00],
                    cat(&[&file, OK]),
                ),
            ],
        );
        let mut hpki = Hpki::open(script).unwrap();
        assert_eq!(hpki.read_sign_certificate().unwrap().as_der(), &cert[..]);
        assert_eq!(hpki.session().stats().commands, 3);
        done(hpki);
    }

    #[test]
    fn certificate_in_chunks_without_extended_length() {
        let cert = certificate();
        let script = Script::new(
            Capabilities::short_only(),
            vec![
                (select_ap(&HPKI_AUTH_AID), OK.to_vec()),
                (select_ef(0x16), OK.to_vec()),
                (vec![0x00, 0xB0, 0x00, 0x00, 0x00], cat(&[&cert[..256], OK])),
                // Exact last Le: 300 - 256 = 44 bytes from offset 256.
                (vec![0x00, 0xB0, 0x01, 0x00, 0x2C], cat(&[&cert[256..], OK])),
            ],
        );
        let mut hpki = Hpki::open_ap(script, HpkiAp::Authentication).unwrap();
        assert_eq!(hpki.read_auth_certificate().unwrap().as_der(), &cert[..]);
        assert_eq!(hpki.session().stats().commands, 2 + 300u64.div_ceil(256));
        done(hpki);
    }

    #[test]
    fn pin_status_uses_an_empty_verify_with_p2_88() {
        let script = Script::new(
            Capabilities::short_only(),
            vec![
                (select_ap(&HPKI_SIGN_AID), OK.to_vec()),
                (select_ef(0x02), OK.to_vec()),
                (vec![0x00, 0x20, 0x00, 0x88], vec![0x63, 0xC5]),
                (select_ap(&HPKI_AUTH_AID), OK.to_vec()),
                (select_ef(0x02), OK.to_vec()),
                (vec![0x00, 0x20, 0x00, 0x88], vec![0x69, 0x84]),
            ],
        );
        let mut hpki = Hpki::open(script).unwrap();
        let s = hpki.pin_statuses().unwrap();
        assert_eq!(s.sign, Some(PinStatus::TriesLeft(5)));
        assert_eq!(s.auth, Some(PinStatus::Blocked));
        done(hpki);
    }

    #[test]
    fn signing_verifies_selects_the_key_and_sends_80_2a_00_80() {
        let di = DigestInfo::of_message(HashAlgorithm::Sha256, b"prescription");
        let signature: Vec<u8> = (0..=255u8).collect();
        let script = Script::new(
            Capabilities::short_only(),
            vec![
                (select_ap(&HPKI_SIGN_AID), OK.to_vec()),
                (select_ef(0x02), OK.to_vec()),
                (vec![0x00, 0x20, 0x00, 0x88], vec![0x63, 0xC3]),
                (
                    vec![
                        0x00, 0x20, 0x00, 0x88, 0x06, b'1', b'2', b'3', b'4', b'5', b'6',
                    ],
                    OK.to_vec(),
                ),
                (select_ef(0x0C), OK.to_vec()),
                (
                    cat(&[&[0x80, 0x2A, 0x00, 0x80, 0x33], di.as_der(), &[0x00]]),
                    cat(&[&signature, OK]),
                ),
            ],
        );
        let mut hpki = Hpki::open(script).unwrap();
        let pin = HpkiPin::new("123456").unwrap();
        let sig = hpki
            .sign(HpkiAp::Signature, &pin, &di, LastTry::Refuse)
            .unwrap();
        assert_eq!(sig.as_bytes(), &signature[..]);
        done(hpki);
    }

    #[test]
    fn wrong_pin_last_try_and_blocked() {
        let pin = HpkiPin::new("0000").unwrap();
        let script = Script::new(
            Capabilities::short_only(),
            vec![
                (select_ap(&HPKI_SIGN_AID), OK.to_vec()),
                (select_ef(0x02), OK.to_vec()),
                (vec![0x00, 0x20, 0x00, 0x88], vec![0x63, 0xC2]),
                (
                    vec![0x00, 0x20, 0x00, 0x88, 0x04, b'0', b'0', b'0', b'0'],
                    vec![0x63, 0xC1],
                ),
                // The guard reads the counter and sends no VERIFY with one try left.
                (vec![0x00, 0x20, 0x00, 0x88], vec![0x63, 0xC1]),
                (vec![0x00, 0x20, 0x00, 0x88], vec![0x63, 0xC1]),
                (
                    vec![0x00, 0x20, 0x00, 0x88, 0x04, b'0', b'0', b'0', b'0'],
                    vec![0x63, 0xC0],
                ),
                (vec![0x00, 0x20, 0x00, 0x88], vec![0x69, 0x84]),
            ],
        );
        let mut hpki = Hpki::open(script).unwrap();
        let ap = HpkiAp::Signature;
        assert!(matches!(
            hpki.verify_pin(ap, &pin, LastTry::Refuse),
            Err(CardError::WrongSecret {
                kind: SecretKind::HpkiPin,
                tries_left: 1
            })
        ));
        assert!(matches!(
            hpki.verify_pin(ap, &pin, LastTry::Refuse),
            Err(CardError::LastTryRefused {
                kind: SecretKind::HpkiPin
            })
        ));
        assert!(matches!(
            hpki.verify_pin(ap, &pin, LastTry::Allow),
            Err(CardError::Blocked {
                kind: SecretKind::HpkiPin
            })
        ));
        let blocked = hpki.verify_pin(ap, &pin, LastTry::Allow).unwrap_err();
        assert!(blocked.to_string().contains("certification authority"));
        done(hpki);
    }

    #[test]
    fn detection_selects_and_stops_at_the_first_application_found() {
        let script = Script::new(
            Capabilities::short_only(),
            vec![
                (
                    cat(&[&[0x00, 0xA4, 0x04, 0x0C, 0x0A], &crate::JPKI_AID]),
                    vec![0x6A, 0x82],
                ),
                (select_ap(&HPKI_SIGN_AID), OK.to_vec()),
                (select_ef(0x02), OK.to_vec()),
                (vec![0x00, 0x20, 0x00, 0x88], vec![0x63, 0xC5]),
            ],
        );
        let mut session = Session::new(script);
        assert_eq!(CardKind::detect(&mut session).unwrap(), CardKind::Hpki);
        // The application found stays selected: no second SELECT.
        let mut hpki = Hpki::from_session(session).unwrap();
        assert_eq!(
            hpki.pin_status(HpkiAp::Signature).unwrap(),
            PinStatus::TriesLeft(5)
        );
        done(hpki);

        let jpki = Script::new(
            Capabilities::short_only(),
            vec![(
                cat(&[&[0x00, 0xA4, 0x04, 0x0C, 0x0A], &crate::JPKI_AID]),
                OK.to_vec(),
            )],
        );
        assert_eq!(
            CardKind::detect(&mut Session::new(jpki)).unwrap(),
            CardKind::MyNumber
        );

        let neither = Script::new(
            Capabilities::short_only(),
            vec![
                (
                    cat(&[&[0x00, 0xA4, 0x04, 0x0C, 0x0A], &crate::JPKI_AID]),
                    vec![0x6A, 0x82],
                ),
                (select_ap(&HPKI_SIGN_AID), vec![0x6A, 0x82]),
                (select_ap(&HPKI_AUTH_AID), vec![0x6D, 0x00]),
            ],
        );
        assert_eq!(
            CardKind::detect(&mut Session::new(neither)).unwrap(),
            CardKind::Unknown
        );
    }

    #[test]
    fn atr_hint() {
        assert_eq!(
            CardKind::hint_from_atr(&crate::MY_NUMBER_CARD_ATR),
            CardKind::MyNumber
        );
        assert_eq!(
            CardKind::hint_from_atr(&[0x3B, 0x80, 0x80, 0x01, 0x01]),
            CardKind::Unknown
        );
    }
}
