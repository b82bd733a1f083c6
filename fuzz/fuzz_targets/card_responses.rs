#![no_main]
//! A hostile or broken card: every response comes from the fuzz input. kazasu-card must turn any of
//! it into a value or a typed error, never a panic or a runaway loop.

use kazasu_apdu::{Capabilities, Transport, TransportError, TransportErrorKind};
use kazasu_card::cvc::{Challenge, CvcTrust};
use kazasu_card::{
    AuthPin, BirthDateKey, CardFace, CardFaceUnlock, CardInfo, CardInfoPin, CommonAp, DigestInfo,
    GenuineUnlock, HashAlgorithm, Jpki, LastTry, SignPassword, VerificationCodeB,
};
use libfuzzer_sys::fuzz_target;

struct Hostile {
    data: Vec<u8>,
    pos: usize,
    extended: bool,
    sent: usize,
}

impl Transport for Hostile {
    fn transmit(&mut self, _command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.sent += 1;
        // Each response: a 2-byte length then that many bytes; the end of input is a removed card.
        let header = self.data.get(self.pos..self.pos + 2).ok_or_else(|| {
            TransportError::new(TransportErrorKind::CardRemoved, "end of fuzz input")
        })?;
        let len = usize::from(u16::from_be_bytes([header[0], header[1]])) % 4096;
        let start = self.pos + 2;
        let end = (start + len).min(self.data.len());
        self.pos = end;
        Ok(self.data[start..end].to_vec())
    }
    fn capabilities(&self) -> Capabilities {
        if self.extended { Capabilities::extended(65_536) } else { Capabilities::short_only() }
    }
    fn take_reset_event(&mut self) -> bool {
        // Every 7th exchange pretends the card was reset.
        self.sent % 7 == 0
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, data)) = input.split_first() else { return };
    let t = Hostile { data: data.to_vec(), pos: 0, extended: mode & 1 == 1, sent: 0 };
    let pin = AuthPin::new("1234").unwrap();
    let password = SignPassword::new("ABC123").unwrap();
    match mode >> 1 & 7 {
        0 => {
            if let Ok(mut jpki) = Jpki::open(t) {
                let _ = jpki.token_kind();
                let _ = jpki.read_auth_certificate();
                let _ = jpki.pin_status();
                let _ = jpki.certificate_presence();
                let _ = jpki.read_sign_certificate(&password, LastTry::Refuse);
                let di = DigestInfo::of_message(HashAlgorithm::Sha256, b"x");
                let _ = jpki.sign_with_auth_key(&pin, &di, LastTry::Allow);
            }
        }
        1 => {
            if let Ok(mut ap) = CardInfo::open(t) {
                let trust = CvcTrust::new().allow_test_hierarchy(true);
                let _ = ap.read_verified(&CardInfoPin::new("1234").unwrap(), &trust, LastTry::Allow);
                let _ = ap.prove_genuine(&trust, Challenge::from_bytes([1; 32]));
            }
        }
        2 => {
            if let Ok(mut ap) = CardInfo::open(t) {
                if let Ok(mut sm) = ap.secure_messaging(&CardInfoPin::new("1234").unwrap(), LastTry::Allow) {
                    let _ = sm.my_number();
                    let _ = sm.basic_info();
                }
            }
        }
        3 => {
            let mut common = CommonAp::open(t);
            let _ = common.card_record();
            let _ = common.verify_mf_chain(&CvcTrust::new());
        }
        4 => {
            if let Ok(mut face) = CardFace::open(t) {
                let key = BirthDateKey::new("600412").unwrap();
                let trust = CvcTrust::new().allow_test_hierarchy(true);
                let _ = face.prove_genuine(&trust, GenuineUnlock::BirthDate(&key), Challenge::from_bytes([2; 32]), LastTry::Allow);
                let _ = face.age_record(&key, LastTry::Allow);
            }
        }
        _ => {
            if let Ok(mut face) = CardFace::open(t) {
                let code = VerificationCodeB::new("60041220341234").unwrap();
                let _ = face.read(CardFaceUnlock::CodeB(&code), LastTry::Allow);
            }
        }
    }
});
