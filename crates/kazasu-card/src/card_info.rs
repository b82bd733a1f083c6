//! The 券面事項入力補助AP: the My Number and 基本4情報 (name, address, birth date, sex).

use kazasu_apdu::{Command, Le, Transport};
use sha2::{Digest, Sha256};

use crate::CardError;
use crate::kenmen::{CardDate, Sex, record, text};
use crate::mynumber::MyNumber;
use crate::secret::{CardInfoPin, VerificationCodeA, VerificationCodeB};
use crate::session::{LastTry, PinStatus, Session, status_error};

/// AID of the 券面事項入力補助AP.
pub const CARD_INFO_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08];

const EF_MY_NUMBER: u16 = 0x0001;
const EF_BASIC_INFO: u16 = 0x0002;
const EF_INTEGRITY: u16 = 0x0003;
const EF_PIN: u16 = 0x0011;
const EF_CODE_A: u16 = 0x0014;
const EF_CODE_B: u16 = 0x0015;
/// The My Number EF is read as its 17 physical bytes: the integrity record hashes all of them.
const MY_NUMBER_EF_LEN: u32 = 17;

/// What opens the My Number.
#[derive(Clone, Copy, Debug)]
pub enum MyNumberUnlock<'a> {
    /// The 4-digit card-info PIN.
    Pin(&'a CardInfoPin),
    /// 照合番号A.
    CodeA(&'a VerificationCodeA),
}

/// What opens 基本4情報.
#[derive(Clone, Copy, Debug)]
pub enum BasicInfoUnlock<'a> {
    /// The 4-digit card-info PIN.
    Pin(&'a CardInfoPin),
    /// 照合番号B.
    CodeB(&'a VerificationCodeB),
}

/// 基本4情報 as typed values.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct BasicInfo {
    /// Name (UTF-8 as on the card).
    pub name: String,
    /// Address.
    pub address: String,
    /// Date of birth.
    pub birth_date: CardDate,
    /// Sex.
    pub sex: Sex,
}

/// The 券面事項入力補助AP over a [`Session`].
#[derive(Debug)]
pub struct CardInfo<T> {
    session: Session<T>,
}

impl<T: Transport> CardInfo<T> {
    /// Opens a session on `transport` and selects the application.
    pub fn open(transport: T) -> Result<Self, CardError> {
        Self::from_session(Session::new(transport))
    }

    /// Selects the application in an existing session.
    pub fn from_session(mut session: Session<T>) -> Result<Self, CardError> {
        session.retrying(|s| s.select_ap(&CARD_INFO_AID, "SELECT 券面事項入力補助AP"))?;
        Ok(Self { session })
    }

    /// The session.
    pub fn session(&self) -> &Session<T> {
        &self.session
    }

    /// Gives the session back.
    pub fn into_session(self) -> Session<T> {
        self.session
    }

    /// Status of the card-info PIN, without spending a try.
    pub fn pin_status(&mut self) -> Result<PinStatus, CardError> {
        self.session
            .pin_status(&CARD_INFO_AID, EF_PIN, 0x80, "card-info PIN status")
    }

    /// Reads the My Number (check digit verified).
    pub fn my_number(
        &mut self,
        unlock: MyNumberUnlock<'_>,
        last_try: LastTry,
    ) -> Result<MyNumber, CardError> {
        let physical = self.session.exclusive(|s| {
            match unlock {
                MyNumberUnlock::Pin(p) => {
                    s.verify_once(&CARD_INFO_AID, EF_PIN, 0x80, p, last_try)?
                }
                MyNumberUnlock::CodeA(c) => {
                    s.verify_once(&CARD_INFO_AID, EF_CODE_A, 0x80, c, last_try)?
                }
            }
            read_my_number_ef(s)
        })?;
        parse_my_number(&physical)
    }

    /// Reads 基本4情報.
    pub fn basic_info(
        &mut self,
        unlock: BasicInfoUnlock<'_>,
        last_try: LastTry,
    ) -> Result<BasicInfo, CardError> {
        let bytes = self.session.exclusive(|s| {
            match unlock {
                BasicInfoUnlock::Pin(p) => {
                    s.verify_once(&CARD_INFO_AID, EF_PIN, 0x80, p, last_try)?
                }
                BasicInfoUnlock::CodeB(c) => {
                    s.verify_once(&CARD_INFO_AID, EF_CODE_B, 0x80, c, last_try)?
                }
            }
            s.read_object(
                &CARD_INFO_AID,
                EF_BASIC_INFO,
                "read 基本4情報",
                "card-info PIN or verification code B",
            )
        })?;
        parse_basic_info(&bytes).map(|(info, _)| info)
    }

    /// Reads the My Number, 基本4情報 and the integrity record with the PIN, and checks the record's
    /// hashes against the data read. The record's signature is returned for callers that hold the
    /// issuer's key.
    pub fn read_verified(
        &mut self,
        pin: &CardInfoPin,
        last_try: LastTry,
    ) -> Result<(MyNumber, BasicInfo, Vec<u8>), CardError> {
        let (physical, basic, integrity) = self.session.exclusive(|s| {
            s.verify_once(&CARD_INFO_AID, EF_PIN, 0x80, pin, last_try)?;
            let physical = read_my_number_ef(s)?;
            let basic = s.read_object(
                &CARD_INFO_AID,
                EF_BASIC_INFO,
                "read 基本4情報",
                "card-info PIN",
            )?;
            let integrity = s.read_object(
                &CARD_INFO_AID,
                EF_INTEGRITY,
                "read integrity record",
                "card-info PIN",
            )?;
            Ok((physical, basic, integrity))
        })?;
        let number = parse_my_number(&physical)?;
        let (info, signed_part) = parse_basic_info(&basic)?;
        let children = record(EF_INTEGRITY, 0xFF30, &integrity)?;
        let want_number = crate::kenmen::field(EF_INTEGRITY, &children, 0xDF31)?;
        let want_basic = crate::kenmen::field(EF_INTEGRITY, &children, 0xDF32)?;
        let signature = crate::kenmen::field(EF_INTEGRITY, &children, 0xDF33)?.to_vec();
        if Sha256::digest(&physical).as_slice() != want_number {
            return Err(CardError::Integrity(
                "the My Number does not match its hash".into(),
            ));
        }
        if Sha256::digest(&signed_part).as_slice() != want_basic {
            return Err(CardError::Integrity(
                "基本4情報 does not match its hash".into(),
            ));
        }
        Ok((number, info, signature))
    }
}

fn read_my_number_ef<T: Transport>(s: &mut Session<T>) -> Result<Vec<u8>, CardError> {
    s.retrying(|s| {
        s.select_ef(&CARD_INFO_AID, EF_MY_NUMBER, "read My Number")?;
        let cmd = Command::new(0x00, 0xB0, 0x00, 0x00).with_le(Le::new(MY_NUMBER_EF_LEN)?);
        let r = s.send(&cmd, "read My Number")?;
        if !r.is_success() {
            return Err(status_error(
                r.sw(),
                "read My Number",
                "card-info PIN or verification code A",
            ));
        }
        Ok(r.into_data())
    })
}

fn parse_my_number(physical: &[u8]) -> Result<MyNumber, CardError> {
    let malformed = |reason: &str| CardError::Malformed {
        ef: EF_MY_NUMBER,
        reason: reason.into(),
    };
    let digits = match physical {
        [0xFF, 0x10, 0x0C, rest @ ..] if rest.len() >= 12 => rest.get(..12).unwrap_or_default(),
        _ => return Err(malformed("expected FF 10 0C and 12 digits")),
    };
    let s = std::str::from_utf8(digits).map_err(|_| malformed("digits are not ASCII"))?;
    MyNumber::parse(s).ok_or_else(|| malformed("not 12 digits with a valid check digit"))
}

/// Parses 基本4情報 and returns the bytes the integrity hash covers (DF22 through DF25).
fn parse_basic_info(bytes: &[u8]) -> Result<(BasicInfo, Vec<u8>), CardError> {
    let ef = EF_BASIC_INFO;
    let children = record(ef, 0xFF20, bytes)?;
    let info = BasicInfo {
        name: text(ef, &children, 0xDF22)?,
        address: text(ef, &children, 0xDF23)?,
        birth_date: CardDate::field(ef, &children, 0xDF24)?,
        sex: Sex::field(ef, &children, 0xDF25)?,
    };
    let signed: Vec<u8> = children
        .iter()
        .filter(|c| (0xDF22..=0xDF25).contains(&c.tag))
        .flat_map(|c| c.raw.iter().copied())
        .collect();
    Ok((info, signed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn my_number_layout() {
        let mut ef = vec![0xFF, 0x10, 0x0C];
        ef.extend_from_slice(b"123456789018");
        ef.extend_from_slice(&[0xFF, 0xFF]);
        assert_eq!(parse_my_number(&ef).unwrap().expose(), "123456789018");
        ef[14] = b'9';
        assert!(matches!(
            parse_my_number(&ef),
            Err(CardError::Malformed { .. })
        ));
        assert!(parse_my_number(&[0xFF, 0x10]).is_err());
    }

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse_basic_info(&bytes);
            let _ = parse_my_number(&bytes);
            let _ = record(1, 0xFF30, &bytes);
        }
    }
}
