//! The 券面事項確認AP: what is printed on the card face, the age record, and the chip's own key.
//!
//! | EF | Content | Opened by |
//! |---|---|---|
//! | `0001` | age record: birth date, card key, signature | birth-date key `0011` |
//! | `0002` | card face: birth date, sex, card key, name/address PNG, photo, signature, expiry (unsigned) | 照合番号A `0013` or B `0012` |
//! | `0003` | AP basic data (unsigned) | free |
//! | `0004` | card-verifiable certificate of the issuer key | free |
//! | `0005` | My Number image, card key, signature | 照合番号A only |
//! | `001A` | the chip's signing key (answers a challenge) | no credential |

use kazasu_apdu::Transport;
use kazasu_cvc::records::{AgeRecord, CardFaceRecord, MyNumberImageRecord};
use kazasu_cvc::{
    Application, CardKey, CertifiedIssuer, Challenge, CvcTrust, GenuinenessReport, SignedRecord,
    VerifiedCvc,
};

use crate::CardError;
use crate::kenmen::{CardDate, Sex, sex_from_digit};
use crate::secret::{BirthDateKey, VerificationCodeA, VerificationCodeB};
use crate::session::{LastTry, PinStatus, Session};

/// AID of the 券面事項確認AP.
pub const CARD_FACE_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02];

const EF_AGE: u16 = 0x0001;
const EF_FACE: u16 = 0x0002;
const EF_BASIC_DATA: u16 = 0x0003;
const EF_CVC: u16 = 0x0004;
const EF_MY_NUMBER_IMAGE: u16 = 0x0005;
const KEY_BIRTH_DATE: u16 = 0x0011;
const KEY_CODE_B: u16 = 0x0012;
const KEY_CODE_A: u16 = 0x0013;
/// `80 2A 00 00`: P2 `00` names the application's own chip key (`001A`).
const CHIP_KEY_P2: u8 = 0x00;

/// What opens the card face.
#[derive(Clone, Copy, Debug)]
pub enum CardFaceUnlock<'a> {
    /// 照合番号A (also opens the My Number image).
    CodeA(&'a VerificationCodeA),
    /// 照合番号B.
    CodeB(&'a VerificationCodeB),
}

/// What a genuineness check presents to open a signed record that names the chip's key.
#[derive(Clone, Copy, Debug)]
pub enum GenuineUnlock<'a> {
    /// The birth-date key: opens only the age record (least disclosure; the default).
    BirthDate(&'a BirthDateKey),
    /// 照合番号B: opens the card face (photo, name and address images are read too).
    CodeB(&'a VerificationCodeB),
    /// 照合番号A: opens the card face.
    CodeA(&'a VerificationCodeA),
}

/// Which secret of this application a status is about.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum CardFaceKey {
    /// The birth-date key `0011`.
    BirthDate,
    /// 照合番号B `0012`.
    CodeB,
    /// 照合番号A `0013`.
    CodeA,
}

/// The card face (EF `0002`).
#[derive(Clone, PartialEq, Eq)]
pub struct CardFaceData {
    /// Date of birth.
    pub birth_date: CardDate,
    /// Sex.
    pub sex: Sex,
    /// The card's expiry date (DF29). **Not signed**: never rely on it for a decision.
    pub expiry_unsigned: Option<CardDate>,
    /// The face photo (JPEG 2000).
    pub photo_jp2: Vec<u8>,
    /// The name as printed (PNG).
    pub name_png: Vec<u8>,
    /// The address as printed (PNG).
    pub address_png: Vec<u8>,
    /// The security code as printed (PNG), if present (not signed).
    pub security_code_png: Option<Vec<u8>>,
    /// The chip's own key (DF24).
    pub card_key: CardKey,
    /// The EF as read: verify it with [`kazasu_cvc::records::CardFaceRecord`] or
    /// [`CardFace::read_verified`].
    pub record: Vec<u8>,
}

impl std::fmt::Debug for CardFaceData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardFaceData")
            .field("birth_date", &self.birth_date)
            .field("sex", &self.sex)
            .field("expiry_unsigned", &self.expiry_unsigned)
            .field("photo_jp2", &self.photo_jp2.len())
            .finish_non_exhaustive()
    }
}

/// The age record (EF `0001`): the birth date and the chip's key, signed.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AgeRecordData {
    /// Date of birth (DF11).
    pub birth_date: CardDate,
    /// The chip's own key (DF12).
    pub card_key: CardKey,
    /// The EF as read.
    pub record: Vec<u8>,
}

/// The 券面事項確認AP over a [`Session`].
#[derive(Debug)]
pub struct CardFace<T> {
    session: Session<T>,
}

impl<T: Transport> CardFace<T> {
    /// Opens a session on `transport` and selects the application.
    pub fn open(transport: T) -> Result<Self, CardError> {
        Self::from_session(Session::new(transport))
    }

    /// Selects the application in an existing session.
    pub fn from_session(mut session: Session<T>) -> Result<Self, CardError> {
        session.retrying(|s| s.select_ap(&CARD_FACE_AID, "SELECT 券面事項確認AP"))?;
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

    /// Status of one of the application's secrets, without spending a try.
    pub fn key_status(&mut self, key: CardFaceKey) -> Result<PinStatus, CardError> {
        let ef = match key {
            CardFaceKey::BirthDate => KEY_BIRTH_DATE,
            CardFaceKey::CodeB => KEY_CODE_B,
            CardFaceKey::CodeA => KEY_CODE_A,
        };
        self.session
            .key_status(&CARD_FACE_AID, ef, "券面事項確認AP key status")
    }

    /// The card-verifiable certificate of the issuer key (EF `0004`, free).
    pub fn certificate(&mut self) -> Result<Vec<u8>, CardError> {
        self.session
            .read_object_sfi(&CARD_FACE_AID, EF_CVC, "read 確認AP certificate", "")
    }

    /// The AP basic data (EF `0003`, free, unsigned) as read.
    pub fn basic_data(&mut self) -> Result<Vec<u8>, CardError> {
        self.session
            .read_object_sfi(&CARD_FACE_AID, EF_BASIC_DATA, "read 確認AP basic data", "")
    }

    fn unlock_face<U: Transport>(
        s: &mut Session<U>,
        unlock: CardFaceUnlock<'_>,
        last_try: LastTry,
    ) -> Result<(), CardError> {
        match unlock {
            CardFaceUnlock::CodeA(c) => s.verify_key(&CARD_FACE_AID, KEY_CODE_A, c, last_try),
            CardFaceUnlock::CodeB(c) => s.verify_key(&CARD_FACE_AID, KEY_CODE_B, c, last_try),
        }
    }

    /// Reads the card face (照合番号A or B).
    pub fn read(
        &mut self,
        unlock: CardFaceUnlock<'_>,
        last_try: LastTry,
    ) -> Result<CardFaceData, CardError> {
        let bytes = self.session.exclusive(|s| {
            Self::unlock_face(s, unlock, last_try)?;
            s.read_object_sfi(
                &CARD_FACE_AID,
                EF_FACE,
                "read card face",
                "verification code A or B",
            )
        })?;
        parse_face(bytes)
    }

    /// Reads the card face and verifies its signature (DF28) with the issuer key that the
    /// application's certificate (EF `0004`) certifies, the certificate checked against `trust`.
    /// The certificate is checked before any secret is presented.
    pub fn read_verified(
        &mut self,
        unlock: CardFaceUnlock<'_>,
        trust: &CvcTrust,
        last_try: LastTry,
    ) -> Result<(CardFaceData, VerifiedCvc), CardError> {
        let (issuer, bytes) = self.session.exclusive(|s| {
            let cvc = s.read_object_sfi(&CARD_FACE_AID, EF_CVC, "read 確認AP certificate", "")?;
            let issuer = CertifiedIssuer::verify(trust, Application::CardFace, &cvc)?;
            Self::unlock_face(s, unlock, last_try)?;
            let bytes = s.read_object_sfi(
                &CARD_FACE_AID,
                EF_FACE,
                "read card face",
                "verification code A or B",
            )?;
            Ok((issuer, bytes))
        })?;
        CardFaceRecord::parse(&bytes)?.verify(issuer.issuer_key())?;
        Ok((parse_face(bytes)?, issuer.certificate().clone()))
    }

    /// Reads the age record with the birth-date key: the least a verifier can see.
    pub fn age_record(
        &mut self,
        key: &BirthDateKey,
        last_try: LastTry,
    ) -> Result<AgeRecordData, CardError> {
        let bytes = self.session.exclusive(|s| {
            s.verify_key(&CARD_FACE_AID, KEY_BIRTH_DATE, key, last_try)?;
            s.read_object_sfi(&CARD_FACE_AID, EF_AGE, "read age record", "birth-date key")
        })?;
        let r = AgeRecord::parse(&bytes)?;
        Ok(AgeRecordData {
            birth_date: CardDate::from_bytes(EF_AGE, &r.birth_date)?,
            card_key: r.card_key,
            record: bytes,
        })
    }

    /// Reads the image of the My Number (PNG); only 照合番号A opens it.
    pub fn my_number_image(
        &mut self,
        code_a: &VerificationCodeA,
        last_try: LastTry,
    ) -> Result<Vec<u8>, CardError> {
        let bytes = self.read_my_number_image(code_a, last_try)?;
        Ok(MyNumberImageRecord::parse(&bytes)?.image_png)
    }

    /// Reads the My Number image and verifies its signature (DF43) through the certificate.
    pub fn my_number_image_verified(
        &mut self,
        code_a: &VerificationCodeA,
        trust: &CvcTrust,
        last_try: LastTry,
    ) -> Result<Vec<u8>, CardError> {
        let cvc = self.certificate()?;
        let issuer = CertifiedIssuer::verify(trust, Application::CardFace, &cvc)?;
        let bytes = self.read_my_number_image(code_a, last_try)?;
        let r = MyNumberImageRecord::parse(&bytes)?;
        r.verify(issuer.issuer_key())?;
        Ok(r.image_png)
    }

    fn read_my_number_image(
        &mut self,
        code_a: &VerificationCodeA,
        last_try: LastTry,
    ) -> Result<Vec<u8>, CardError> {
        self.session.exclusive(|s| {
            s.verify_key(&CARD_FACE_AID, KEY_CODE_A, code_a, last_try)?;
            s.read_object_sfi(
                &CARD_FACE_AID,
                EF_MY_NUMBER_IMAGE,
                "read My Number image",
                "verification code A",
            )
        })
    }

    /// Proves the chip genuine: reads and verifies the certificate (EF `0004`) **before** any
    /// secret is presented, opens one signed record with `unlock` (the birth-date key by default:
    /// only the age record), verifies the record's signature, sends the verifier's `challenge`
    /// to the chip key (`80 2A 00 00`) and verifies the answer with the card key from the record.
    ///
    /// The challenge is the caller's (drawn with [`Challenge::random`]); the card's GET CHALLENGE is
    /// never used. Costs 6 APDUs with extended APDUs (SELECT, READ `0004`, counter, VERIFY, READ the
    /// record, `80 2A`).
    pub fn prove_genuine(
        &mut self,
        trust: &CvcTrust,
        unlock: GenuineUnlock<'_>,
        challenge: Challenge,
        last_try: LastTry,
    ) -> Result<GenuinenessReport, CardError> {
        let digest_info = challenge.digest_info();
        let (certified, answer) = self.session.exclusive(|s| {
            let cvc = s.read_object_sfi(&CARD_FACE_AID, EF_CVC, "read 確認AP certificate", "")?;
            let issuer = CertifiedIssuer::verify(trust, Application::CardFace, &cvc)?;
            let (record, bytes) = match unlock {
                GenuineUnlock::BirthDate(k) => {
                    s.verify_key(&CARD_FACE_AID, KEY_BIRTH_DATE, k, last_try)?;
                    let b = s.read_object_sfi(
                        &CARD_FACE_AID,
                        EF_AGE,
                        "read age record",
                        "birth-date key",
                    )?;
                    (Kind::Age, b)
                }
                GenuineUnlock::CodeB(c) => {
                    Self::unlock_face(s, CardFaceUnlock::CodeB(c), last_try)?;
                    let b = s.read_object_sfi(&CARD_FACE_AID, EF_FACE, "read card face", "")?;
                    (Kind::Face, b)
                }
                GenuineUnlock::CodeA(c) => {
                    Self::unlock_face(s, CardFaceUnlock::CodeA(c), last_try)?;
                    let b = s.read_object_sfi(&CARD_FACE_AID, EF_FACE, "read card face", "")?;
                    (Kind::Face, b)
                }
            };
            let certified = issuer.card_key(match record {
                Kind::Age => SignedRecord::AgeRecord(&bytes),
                Kind::Face => SignedRecord::CardFace(&bytes),
            })?;
            let answer = s.compute_signature(
                &CARD_FACE_AID,
                CHIP_KEY_P2,
                &digest_info,
                "challenge the chip key",
                "",
            )?;
            Ok((certified, answer))
        })?;
        Ok(certified.check_answer(challenge, &answer)?)
    }
}

enum Kind {
    Age,
    Face,
}

fn parse_face(record: Vec<u8>) -> Result<CardFaceData, CardError> {
    let ef = EF_FACE;
    let r = CardFaceRecord::parse(&record)?;
    Ok(CardFaceData {
        birth_date: CardDate::from_bytes(ef, &r.birth_date)?,
        sex: sex_from_digit(ef, r.sex)?,
        expiry_unsigned: r
            .expiry_unsigned
            .map(|d| CardDate::from_bytes(ef, &d))
            .transpose()?,
        photo_jp2: r.photo,
        name_png: r.name_png,
        address_png: r.address_png,
        security_code_png: r.security_code_png_unsigned,
        card_key: r.card_key,
        record,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse_face(bytes);
        }
    }
}
