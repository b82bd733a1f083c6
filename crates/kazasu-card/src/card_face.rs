//! The 券面事項確認AP: what is printed on the card face, with the photo.

use kazasu_apdu::Transport;

use crate::CardError;
use crate::kenmen::{CardDate, Sex, field, record};
use crate::secret::{VerificationCodeA, VerificationCodeB};
use crate::session::{LastTry, Session};

/// AID of the 券面事項確認AP.
pub const CARD_FACE_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02];

const EF_FACE: u16 = 0x0002;
const EF_MY_NUMBER_IMAGE: u16 = 0x0005;
const EF_CODE_B: u16 = 0x0012;
const EF_CODE_A: u16 = 0x0013;

/// What opens the card face.
#[derive(Clone, Copy, Debug)]
pub enum CardFaceUnlock<'a> {
    /// 照合番号A (also opens the My Number image).
    CodeA(&'a VerificationCodeA),
    /// 照合番号B.
    CodeB(&'a VerificationCodeB),
}

/// The card face.
#[derive(Clone, PartialEq, Eq)]
pub struct CardFaceData {
    /// Date of birth.
    pub birth_date: CardDate,
    /// Sex.
    pub sex: Sex,
    /// The card's expiry date.
    pub expiry: CardDate,
    /// The face photo (JPEG 2000).
    pub photo_jp2: Vec<u8>,
    /// The name as printed (PNG).
    pub name_png: Vec<u8>,
    /// The address as printed (PNG).
    pub address_png: Vec<u8>,
    /// The security code as printed (PNG), if present.
    pub security_code_png: Option<Vec<u8>>,
    /// The issuer's public key stored beside the data (DER SubjectPublicKeyInfo).
    pub public_key: Vec<u8>,
    /// The issuer's signature.
    pub signature: Vec<u8>,
    /// The bytes the signature covers (the DF22–DF27 records as stored).
    pub signed_bytes: Vec<u8>,
}

impl std::fmt::Debug for CardFaceData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardFaceData")
            .field("birth_date", &self.birth_date)
            .field("sex", &self.sex)
            .field("expiry", &self.expiry)
            .field("photo_jp2", &self.photo_jp2.len())
            .finish_non_exhaustive()
    }
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

    /// Reads the card face.
    pub fn read(
        &mut self,
        unlock: CardFaceUnlock<'_>,
        last_try: LastTry,
    ) -> Result<CardFaceData, CardError> {
        let bytes = self.session.exclusive(|s| {
            match unlock {
                CardFaceUnlock::CodeA(c) => {
                    s.verify_once(&CARD_FACE_AID, EF_CODE_A, 0x80, c, last_try)?
                }
                CardFaceUnlock::CodeB(c) => {
                    s.verify_once(&CARD_FACE_AID, EF_CODE_B, 0x80, c, last_try)?
                }
            }
            s.read_object(
                &CARD_FACE_AID,
                EF_FACE,
                "read card face",
                "verification code A or B",
            )
        })?;
        parse_face(&bytes)
    }

    /// Reads the image of the My Number (PNG); only 照合番号A opens it.
    pub fn my_number_image(
        &mut self,
        code_a: &VerificationCodeA,
        last_try: LastTry,
    ) -> Result<Vec<u8>, CardError> {
        let bytes = self.session.exclusive(|s| {
            s.verify_once(&CARD_FACE_AID, EF_CODE_A, 0x80, code_a, last_try)?;
            s.read_object(
                &CARD_FACE_AID,
                EF_MY_NUMBER_IMAGE,
                "read My Number image",
                "verification code A",
            )
        })?;
        let children = record(EF_MY_NUMBER_IMAGE, 0xFF40, &bytes)?;
        field(EF_MY_NUMBER_IMAGE, &children, 0xDF41).map(<[u8]>::to_vec)
    }
}

fn parse_face(bytes: &[u8]) -> Result<CardFaceData, CardError> {
    let ef = EF_FACE;
    let children = record(ef, 0xFF20, bytes)?;
    let get = |tag| field(ef, &children, tag).map(<[u8]>::to_vec);
    let signed_bytes = children
        .iter()
        .filter(|c| (0xDF22..=0xDF27).contains(&c.tag))
        .flat_map(|c| c.raw.iter().copied())
        .collect();
    Ok(CardFaceData {
        birth_date: CardDate::field(ef, &children, 0xDF22)?,
        sex: Sex::field(ef, &children, 0xDF23)?,
        public_key: get(0xDF24)?,
        name_png: get(0xDF25)?,
        address_png: get(0xDF26)?,
        photo_jp2: get(0xDF27)?,
        signature: get(0xDF28)?,
        expiry: CardDate::field(ef, &children, 0xDF29)?,
        security_code_png: get(0xDF2A).ok(),
        signed_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse_face(&bytes);
        }
    }
}
