//! The 共通AP (card record, the 個人番号カード用 PIN) and the master file's GET DATA objects.

use kazasu_apdu::Transport;
use kazasu_cvc::{Cvc, CvcTrust, VerifiedCvc};

use crate::CardError;
use crate::kenmen::CardDate;
use crate::secret::{CardPin, Secret};
use crate::session::{LastTry, PinStatus, Session};

/// AID of the 共通AP (共通カードAP).
pub const COMMON_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x01, 0x00];
/// AID of the 住基AP.
pub const JUKI_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x01];

const EF_CARD_RECORD: u16 = 0x0001;
const KEY_CARD_PIN: u16 = 0x001C;

/// Master-file GET DATA objects (`00 CA P1 P2 00`). None is signed except the two certificates.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum MfObject {
    /// `00F0` municipality code.
    MunicipalityCode,
    /// `00F2` expiry.
    Expiry,
    /// `0045` card number.
    CardNumber,
    /// `00F7` key id of the intermediate.
    IntermediateKeyId,
    /// `00F8` CVC root → intermediate.
    RootCertificate,
    /// `7F21` CVC intermediate → lower key (absent on older cards).
    IntermediateCertificate,
    /// `5F51` contact ATR.
    ContactAtr,
}

impl MfObject {
    fn tag(self) -> u16 {
        match self {
            MfObject::MunicipalityCode => 0x00F0,
            MfObject::Expiry => 0x00F2,
            MfObject::CardNumber => 0x0045,
            MfObject::IntermediateKeyId => 0x00F7,
            MfObject::RootCertificate => 0x00F8,
            MfObject::IntermediateCertificate => 0x7F21,
            MfObject::ContactAtr => 0x5F51,
        }
    }
}

/// Record 1 of the 共通AP's EF `0001` (unsigned).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CardRecord {
    /// The card's serial number (15 digits).
    pub serial: String,
    /// The issuing municipality's code (5 digits).
    pub municipality: String,
    /// The card's expiry (not signed).
    pub expiry_unsigned: CardDate,
}

/// Which application holds the 個人番号カード用 PIN object (the two share it).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum CardPinAp {
    /// 共通AP.
    #[default]
    Common,
    /// 住基AP.
    Juki,
}

impl CardPinAp {
    fn aid(self) -> &'static [u8] {
        match self {
            CardPinAp::Common => &COMMON_AID,
            CardPinAp::Juki => &JUKI_AID,
        }
    }
}

/// The 共通AP and the master file over a [`Session`].
#[derive(Debug)]
pub struct CommonAp<T> {
    session: Session<T>,
}

impl<T: Transport> CommonAp<T> {
    /// Opens a session on `transport` (nothing selected until the first command).
    pub fn open(transport: T) -> Self {
        Self::from_session(Session::new(transport))
    }

    /// Uses an existing session.
    pub fn from_session(session: Session<T>) -> Self {
        Self { session }
    }

    /// The session.
    pub fn session(&self) -> &Session<T> {
        &self.session
    }

    /// Gives the session back.
    pub fn into_session(self) -> Session<T> {
        self.session
    }

    /// Record 1 of EF `0001` (READ RECORD `00 B2 01 04 00`): `01 1C` + 28 ASCII digits = serial (15),
    /// municipality code (5), expiry `YYYYMMDD`.
    pub fn card_record(&mut self) -> Result<CardRecord, CardError> {
        let data = self
            .session
            .read_record(&COMMON_AID, EF_CARD_RECORD, 1, "read card record")?;
        parse_card_record(&data)
    }

    /// One master-file GET DATA object, as returned.
    pub fn mf_object(&mut self, object: MfObject) -> Result<Vec<u8>, CardError> {
        self.session.mf_get_data(object.tag())
    }

    /// Verifies the master file's chain `00F8` (root → intermediate) then `7F21` (intermediate →
    /// lower key, when the card has it) against `trust`.
    pub fn verify_mf_chain(&mut self, trust: &CvcTrust) -> Result<VerifiedCvc, CardError> {
        let root = Cvc::parse(&self.mf_object(MfObject::RootCertificate)?)?;
        let mut chain = vec![root];
        match self.mf_object(MfObject::IntermediateCertificate) {
            Ok(bytes) => chain.push(Cvc::parse(&bytes)?),
            Err(CardError::NotFound { .. }) => {}
            Err(CardError::Refused { sw, .. }) if sw.value() == 0x6A88 => {}
            Err(e) => return Err(e),
        }
        Ok(trust.verify_chain(&chain)?)
    }

    /// Status of the 個人番号カード用 PIN, without spending a try.
    pub fn card_pin_status(&mut self, ap: CardPinAp) -> Result<PinStatus, CardError> {
        self.session
            .key_status(ap.aid(), KEY_CARD_PIN, "card PIN status")
    }

    /// Changes the 個人番号カード用 PIN (key `001C`): VERIFY behind the lockout guard, then JICSAP
    /// CHANGE KEY `80 32 00 9C <new>`.
    pub fn change_card_pin(
        &mut self,
        ap: CardPinAp,
        current: &CardPin,
        new: &CardPin,
        last_try: LastTry,
    ) -> Result<(), CardError> {
        self.session.exclusive(|s| {
            s.verify_key(ap.aid(), KEY_CARD_PIN, current, last_try)?;
            s.change_key(ap.aid(), KEY_CARD_PIN, new.bytes(), CardPin::KIND)
        })
    }
}

fn parse_card_record(data: &[u8]) -> Result<CardRecord, CardError> {
    let bad = |reason: &str| CardError::Malformed {
        ef: EF_CARD_RECORD,
        reason: reason.into(),
    };
    let digits = match data {
        [0x01, 0x1C, rest @ ..] if rest.len() == 28 => rest,
        _ => return Err(bad("expected 01 1C and 28 digits")),
    };
    let text = std::str::from_utf8(digits)
        .ok()
        .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| bad("not ASCII digits"))?;
    Ok(CardRecord {
        serial: text[..15].to_owned(),
        municipality: text[15..20].to_owned(),
        expiry_unsigned: CardDate::parse(&text[20..])
            .ok_or_else(|| bad("the expiry is not a date"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn card_record_layout() {
        let mut r = vec![0x01, 0x1C];
        r.extend_from_slice(b"123456789012345131012034");
        r.extend_from_slice(b"0412");
        let c = parse_card_record(&r).unwrap();
        assert_eq!(c.serial, "123456789012345");
        assert_eq!(c.municipality, "13101");
        assert_eq!(c.expiry_unsigned.to_string(), "2034-04-12");
        r[5] = b'x';
        assert!(parse_card_record(&r).is_err());
        assert!(parse_card_record(&r[..20]).is_err());
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = parse_card_record(&bytes);
        }
    }
}
