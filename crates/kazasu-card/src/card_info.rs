//! The 券面事項入力補助AP: the My Number and 基本4情報 (name, address, birth date, sex).
//!
//! | EF | Content | Opened by |
//! |---|---|---|
//! | `0001` | My Number: `FF 10 0C` + 12 digits + 2 filler bytes (17 bytes, all hashed) | PIN or 照合番号A |
//! | `0002` | 基本4情報 `FF 20 { DF21 offsets, DF22 name, DF23 address, DF24 birth date, DF25 sex }` | PIN or 照合番号B |
//! | `0003` | integrity record: DF31/DF32 hashes, DF33 signature | PIN, 照合番号A or B |
//! | `0004` | card-verifiable certificate of the issuer key | free |
//! | `0005` | AP basic data (unsigned) | free |
//! | `0006` | RSA key for secure-messaging key transport | free |
//! | `0007` | the chip's key (DF51) signed by the issuer key (DF52) | free |
//!
//! Keys: `0011` PIN, `0013` the chip's signing key, `0014` 照合番号A, `0015` 照合番号B.

use kazasu_apdu::Transport;
use kazasu_cvc::records::{BasicInfoRecord, IntegrityRecord, MY_NUMBER_EF_LEN, my_number_digits};
use kazasu_cvc::{
    Application, CertifiedIssuer, Challenge, Cvc, CvcError, CvcTrust, GenuinenessReport, KeyId,
    SignedRecord, VerifiedCvc,
};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::CardError;
use crate::kenmen::{CardDate, Sex, sex_from_digit};
use crate::mynumber::MyNumber;
use crate::secret::{CardInfoPin, Secret, VerificationCodeA, VerificationCodeB};
use crate::session::{LastTry, PinStatus, Session};
use crate::sm::{self, SmKeys};

/// AID of the 券面事項入力補助AP.
pub const CARD_INFO_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08];

const EF_MY_NUMBER: u16 = 0x0001;
const EF_BASIC_INFO: u16 = 0x0002;
const EF_INTEGRITY: u16 = 0x0003;
const EF_CVC: u16 = 0x0004;
const EF_SM_KEY: u16 = 0x0006;
const EF_CARD_KEY: u16 = 0x0007;
const KEY_PIN: u16 = 0x0011;
const KEY_CODE_A: u16 = 0x0014;
const KEY_CODE_B: u16 = 0x0015;
/// `80 2A 00 00`: P2 `00` names the application's own chip key (`0013`).
const CHIP_KEY_P2: u8 = 0x00;

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

/// Which secret of this application a status is about.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum CardInfoKey {
    /// The PIN `0011`.
    Pin,
    /// 照合番号A `0014`.
    CodeA,
    /// 照合番号B `0015`.
    CodeB,
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

/// How far the integrity record (EF `0003`) was checked.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum IntegrityCheck {
    /// DF31 and DF32 match the data, and DF33 verifies with the issuer key certified by a
    /// configured CA.
    Verified(VerifiedCvc),
    /// The hashes match, but the certificate's issuer is not among the configured CA keys, so the
    /// signature — the only part that proves anything — was not checked.
    NotChecked {
        /// The issuer the application's certificate names.
        issuer: KeyId,
    },
}

/// My Number and 基本4情報 read with the PIN, and how far their integrity was checked.
#[derive(Clone, Debug)]
pub struct CardInfoRead {
    /// The My Number (check digit verified).
    pub my_number: MyNumber,
    /// 基本4情報.
    pub basic_info: BasicInfo,
    /// The integrity record's verdict.
    pub integrity: IntegrityCheck,
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
        self.key_status(CardInfoKey::Pin)
    }

    /// Status of one of the application's secrets, without spending a try.
    pub fn key_status(&mut self, key: CardInfoKey) -> Result<PinStatus, CardError> {
        let ef = match key {
            CardInfoKey::Pin => KEY_PIN,
            CardInfoKey::CodeA => KEY_CODE_A,
            CardInfoKey::CodeB => KEY_CODE_B,
        };
        self.session
            .key_status(&CARD_INFO_AID, ef, "券面事項入力補助AP key status")
    }

    /// Reads the My Number (check digit verified).
    pub fn my_number(
        &mut self,
        unlock: MyNumberUnlock<'_>,
        last_try: LastTry,
    ) -> Result<MyNumber, CardError> {
        let physical = self.session.exclusive(|s| {
            match unlock {
                MyNumberUnlock::Pin(p) => s.verify_key(&CARD_INFO_AID, KEY_PIN, p, last_try)?,
                MyNumberUnlock::CodeA(c) => {
                    s.verify_key(&CARD_INFO_AID, KEY_CODE_A, c, last_try)?
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
                BasicInfoUnlock::Pin(p) => s.verify_key(&CARD_INFO_AID, KEY_PIN, p, last_try)?,
                BasicInfoUnlock::CodeB(c) => {
                    s.verify_key(&CARD_INFO_AID, KEY_CODE_B, c, last_try)?
                }
            }
            s.read_object_sfi(
                &CARD_INFO_AID,
                EF_BASIC_INFO,
                "read 基本4情報",
                "card-info PIN or verification code B",
            )
        })?;
        parse_basic_info(&bytes)
    }

    /// The card-verifiable certificate of the issuer key (EF `0004`, free).
    pub fn certificate(&mut self) -> Result<Vec<u8>, CardError> {
        self.session
            .read_object_sfi(&CARD_INFO_AID, EF_CVC, "read 補助AP certificate", "")
    }

    /// Reads the My Number, 基本4情報 and the integrity record with the PIN, and the certificate;
    /// recomputes DF31 (over EF `0001`'s 17 stored bytes) and DF32 (over EF `0002` from DF22 to the
    /// end of DF25) and verifies DF33 with the certified issuer key.
    ///
    /// A certificate whose issuer is not in `trust` gives [`IntegrityCheck::NotChecked`] (the hashes
    /// are still compared); a wrong hash, a bad signature, a refused test hierarchy are errors.
    pub fn read_verified(
        &mut self,
        pin: &CardInfoPin,
        trust: &CvcTrust,
        last_try: LastTry,
    ) -> Result<CardInfoRead, CardError> {
        let (physical, basic, integrity, cvc) = self.session.exclusive(|s| {
            s.verify_key(&CARD_INFO_AID, KEY_PIN, pin, last_try)?;
            let physical = read_my_number_ef(s)?;
            let basic = s.read_object_sfi(
                &CARD_INFO_AID,
                EF_BASIC_INFO,
                "read 基本4情報",
                "card-info PIN",
            )?;
            let integrity = s.read_object_sfi(
                &CARD_INFO_AID,
                EF_INTEGRITY,
                "read integrity record",
                "card-info PIN",
            )?;
            let cvc = s.read_object_sfi(&CARD_INFO_AID, EF_CVC, "read 補助AP certificate", "")?;
            Ok((physical, basic, integrity, cvc))
        })?;
        let record = IntegrityRecord::parse(&integrity)?;
        let integrity = match CertifiedIssuer::verify(trust, Application::CardInfo, &cvc) {
            Ok(issuer) => {
                record.verify(&physical, &basic, issuer.issuer_key())?;
                IntegrityCheck::Verified(issuer.certificate().clone())
            }
            Err(CvcError::UnknownIssuer { issuer }) => {
                if Sha256::digest(&physical).as_slice() != record.my_number_hash {
                    return Err(CvcError::HashMismatch("the My Number does not match DF31").into());
                }
                let b = BasicInfoRecord::parse(&basic)?;
                if Sha256::digest(b.hashed_span()).as_slice() != record.basic_info_hash {
                    return Err(CvcError::HashMismatch("基本4情報 does not match DF32").into());
                }
                IntegrityCheck::NotChecked { issuer }
            }
            Err(e) => return Err(e.into()),
        };
        Ok(CardInfoRead {
            my_number: parse_my_number(&physical)?,
            basic_info: parse_basic_info(&basic)?,
            integrity,
        })
    }

    /// Proves the chip genuine without any secret: the certificate (EF `0004`) verifies with a
    /// configured CA, the card key record (EF `0007`) with the certified issuer key, and the chip
    /// key (`0013`, `80 2A 00 00`) signs the verifier's `challenge`. 4 APDUs with extended APDUs
    /// (SELECT, READ `0004`, READ `0007`, `80 2A`).
    pub fn prove_genuine(
        &mut self,
        trust: &CvcTrust,
        challenge: Challenge,
    ) -> Result<GenuinenessReport, CardError> {
        let digest_info = challenge.digest_info();
        let (certified, answer) = self.session.exclusive(|s| {
            let cvc = s.read_object_sfi(&CARD_INFO_AID, EF_CVC, "read 補助AP certificate", "")?;
            let issuer = CertifiedIssuer::verify(trust, Application::CardInfo, &cvc)?;
            let record = s.read_object_sfi(
                &CARD_INFO_AID,
                EF_CARD_KEY,
                "read 補助AP card key record",
                "",
            )?;
            let certified = issuer.card_key(SignedRecord::CardKeyRecord(&record))?;
            let answer = s.compute_signature(
                &CARD_INFO_AID,
                CHIP_KEY_P2,
                &digest_info,
                "challenge the chip key",
                "",
            )?;
            Ok((certified, answer))
        })?;
        Ok(certified.check_answer(challenge, &answer)?)
    }

    /// Changes the card-info PIN: verifies `current` (behind the lockout guard), then JICSAP CHANGE
    /// KEY `80 32 00 91 <new>`.
    pub fn change_pin(
        &mut self,
        current: &CardInfoPin,
        new: &CardInfoPin,
        last_try: LastTry,
    ) -> Result<(), CardError> {
        self.session.exclusive(|s| {
            s.verify_key(&CARD_INFO_AID, KEY_PIN, current, last_try)?;
            s.change_key(&CARD_INFO_AID, KEY_PIN, new.bytes(), CardInfoPin::KIND)
        })
    }

    /// Opens secure messaging: VERIFY of the PIN in clear (behind the guard; SM does not protect
    /// it), EF `0006` read, the session key sent with RSAES-OAEP in `80 AE`.
    pub fn secure_messaging(
        &mut self,
        pin: &CardInfoPin,
        last_try: LastTry,
    ) -> Result<SecureCardInfo<'_, T>, CardError> {
        let keys = self.session.exclusive(|s| {
            s.verify_key(&CARD_INFO_AID, KEY_PIN, pin, last_try)?;
            let ef = s.read_object_sfi(&CARD_INFO_AID, EF_SM_KEY, "read SM key (EF 0006)", "")?;
            sm::establish(s, &CARD_INFO_AID, &ef)
        })?;
        Ok(SecureCardInfo { ap: self, keys })
    }
}

/// The 券面事項入力補助AP under secure messaging: data read here travel encrypted. Dropping it
/// zeroizes the session key; selecting another application or removing the card ends the session
/// on the card too.
#[derive(Debug)]
pub struct SecureCardInfo<'a, T> {
    ap: &'a mut CardInfo<T>,
    keys: SmKeys,
}

impl<T: Transport> SecureCardInfo<'_, T> {
    fn read_ef(
        &mut self,
        ef: u16,
        operation: &'static str,
    ) -> Result<Zeroizing<Vec<u8>>, CardError> {
        let keys = &mut self.keys;
        self.ap.session.exclusive(|s| {
            sm::select_ef(s, keys, ef)?;
            s.forget_ef();
            sm::read_binary(s, keys, 0, operation)
        })
    }

    /// The My Number, read over SM (EF `0001`, all 17 bytes).
    pub fn my_number(&mut self) -> Result<MyNumber, CardError> {
        let plain = self.read_ef(EF_MY_NUMBER, "SM read My Number")?;
        parse_my_number(&plain)
    }

    /// 基本4情報, read over SM (EF `0002`).
    pub fn basic_info(&mut self) -> Result<BasicInfo, CardError> {
        let plain = self.read_ef(EF_BASIC_INFO, "SM read 基本4情報")?;
        let (e, _filler) = kazasu_cvc::tlv::element(&plain)?;
        parse_basic_info(e.raw)
    }

    /// VERIFY of another key over SM (`08 20 00 (80|id)`), e.g. 照合番号B; returns the status word.
    pub fn verify_code_b(
        &mut self,
        code_b: &VerificationCodeB,
    ) -> Result<kazasu_apdu::StatusWord, CardError> {
        let keys = &mut self.keys;
        self.ap
            .session
            .exclusive(|s| sm::verify(s, keys, KEY_CODE_B, code_b.bytes()))
    }
}

fn read_my_number_ef<T: Transport>(s: &mut Session<T>) -> Result<Vec<u8>, CardError> {
    s.retrying(|s| {
        s.select_ap(&CARD_INFO_AID, "read My Number")?;
        let data = s.read_short(
            EF_MY_NUMBER,
            MY_NUMBER_EF_LEN,
            "read My Number",
            "card-info PIN or verification code A",
        )?;
        s.forget_ef();
        if data.len() != MY_NUMBER_EF_LEN {
            return Err(CardError::Malformed {
                ef: EF_MY_NUMBER,
                reason: format!("{} bytes, expected the 17 stored bytes", data.len()),
            });
        }
        Ok(data)
    })
}

fn parse_my_number(physical: &[u8]) -> Result<MyNumber, CardError> {
    let malformed = |reason: &str| CardError::Malformed {
        ef: EF_MY_NUMBER,
        reason: reason.into(),
    };
    let digits =
        my_number_digits(physical).map_err(|_| malformed("expected FF 10 0C and 12 digits"))?;
    let s = std::str::from_utf8(&digits).map_err(|_| malformed("digits are not ASCII"))?;
    MyNumber::parse(s).map_err(|_| malformed("not 12 digits with a valid check digit"))
}

fn parse_basic_info(bytes: &[u8]) -> Result<BasicInfo, CardError> {
    let ef = EF_BASIC_INFO;
    let r = BasicInfoRecord::parse(bytes)?;
    let text = |v: Vec<u8>, what: &str| {
        String::from_utf8(v).map_err(|_| CardError::Malformed {
            ef,
            reason: format!("{what} is not UTF-8"),
        })
    };
    Ok(BasicInfo {
        name: text(r.name, "DF22 name")?,
        address: text(r.address, "DF23 address")?,
        birth_date: CardDate::from_bytes(ef, &r.birth_date)?,
        sex: sex_from_digit(ef, r.sex)?,
    })
}

/// Parses a certificate with `kazasu_cvc` (re-exported for callers that read EF `0004` themselves).
pub fn parse_certificate(bytes: &[u8]) -> Result<Cvc, CardError> {
    Ok(Cvc::parse(bytes)?)
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

    #[test]
    fn basic_info_offsets_count_from_the_file_start() {
        // FF 20 L { DF21 08 <4 offsets>, DF22 name, DF23 address, DF24 birth, DF25 sex }
        let name = "山田 花子".as_bytes();
        let address = "東京都".as_bytes();
        let mut body = vec![0xDF, 0x21, 0x08];
        let df22_at = 3 + 11;
        let df23_at = df22_at + 3 + name.len();
        let df24_at = df23_at + 3 + address.len();
        let df25_at = df24_at + 3 + 8;
        for at in [df22_at, df23_at, df24_at, df25_at] {
            body.extend_from_slice(&u16::try_from(at).unwrap().to_be_bytes());
        }
        for (tag, v) in [
            (0x22u8, name),
            (0x23, address),
            (0x24, b"19850412"),
            (0x25, b"2"),
        ] {
            body.extend_from_slice(&[0xDF, tag, u8::try_from(v.len()).unwrap()]);
            body.extend_from_slice(v);
        }
        let mut ef = vec![0xFF, 0x20, u8::try_from(body.len()).unwrap()];
        ef.extend_from_slice(&body);
        assert_eq!(df22_at, 14, "the test card's first offset");
        let info = parse_basic_info(&ef).unwrap();
        assert_eq!(info.name, "山田 花子");
        assert_eq!(info.sex, Sex::Female);
        // Offsets counted from DF21 instead (the old model) are refused.
        ef[5] -= 3;
        assert!(parse_basic_info(&ef).is_err());
    }

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse_basic_info(&bytes);
            let _ = parse_my_number(&bytes);
        }
    }
}
