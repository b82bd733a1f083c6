//! The My Number Card's and the HPKI card's applications over any APDU
//! [`Transport`](kazasu_apdu::Transport): safe with PINs, frugal with APDUs.
//!
//! - [`Jpki`]: the JPKI AP — token kind, the four certificates (typed so an authentication certificate
//!   cannot be passed where a signature certificate is expected), PIN status without spending a try,
//!   VERIFY behind a lockout guard, PIN change, and signatures with either key.
//! - [`CardInfo`]: the 券面事項入力補助AP — My Number and 基本4情報 as typed values, the integrity
//!   record verified through the AP's certificate, secure messaging, PIN change, a PIN-less
//!   genuineness proof.
//! - [`CardFace`]: the 券面事項確認AP — the age record, the card face (birth date, sex, photo,
//!   name/address images, the chip's key; the expiry is unsigned), the My Number image, and
//!   [`CardFace::prove_genuine`]: the chip holds the key its signed records certify.
//! - [`CommonAp`]: the 共通AP's card record, the master file's GET DATA objects and certificate chain,
//!   the 個人番号カード用 PIN.
//! - [`Hpki`]: the HPKI card's signature and authentication applications — certificates without a
//!   PIN, PIN status without spending a try, VERIFY behind the lockout guard, signatures.
//! - [`CardKind::detect`]: tells a My Number Card from an HPKI card by SELECT, spending nothing.
//! - [`cvc`] (the `kazasu-cvc` crate): certificates, signed records, challenges, reports.
//!
//! Secrets ([`AuthPin`], [`SignPassword`], [`CardInfoPin`], [`CardPin`], [`VerificationCodeA`],
//! [`VerificationCodeB`], [`BirthDateKey`], [`HpkiPin`])
//! are validated before any APDU is sent, zeroized on drop, and print as `REDACTED`. Before a VERIFY the
//! counter is read; with one try left the guard refuses unless the caller passes [`LastTry::Allow`].
//!
//! Reads cost one extended READ BINARY per file when the transport carries extended APDUs, otherwise
//! 256-byte chunks with an exact last Le; redundant SELECTs are skipped; a card reset is noticed, the
//! session re-selects and treats every PIN as unverified; a torn read is an error, never a short file.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod card_face;
mod card_info;
mod card_kind;
mod common;
mod digest;
mod error;
mod hpki;
mod jpki;
mod kenmen;
mod mynumber;
mod secret;
mod session;
mod sm;
mod tlv;

pub use card_face::{
    AgeRecordData, CARD_FACE_AID, CardFace, CardFaceData, CardFaceKey, CardFaceUnlock,
    GenuineUnlock,
};
pub use card_info::{
    BasicInfo, BasicInfoUnlock, CARD_INFO_AID, CardInfo, CardInfoKey, CardInfoRead, IntegrityCheck,
    MyNumberUnlock, SecureCardInfo, parse_certificate,
};
pub use card_kind::{CardKind, MY_NUMBER_CARD_ATR};
pub use common::{COMMON_AID, CardPinAp, CardRecord, CommonAp, JUKI_AID, MfObject};
pub use digest::{DigestInfo, HashAlgorithm};
pub use error::CardError;
pub use hpki::{
    HPKI_AUTH_AID, HPKI_SIGN_AID, Hpki, HpkiAp, HpkiAuthCertificate, HpkiPinStatus,
    HpkiSignCertificate,
};
pub use jpki::{
    AuthCaCertificate, AuthCertificate, Authentication, CertificatePresence, JPKI_AID, Jpki,
    JpkiPinStatus, SignCaCertificate, SignCertificate, Signature, TokenKind,
};
/// The verifier: certificates, signed records, challenges, genuineness reports.
pub use kazasu_cvc as cvc;
pub use kenmen::{CardDate, Sex};
pub use mynumber::{MyNumber, check_digit};
pub use secret::{
    AuthPin, BirthDateKey, CardInfoPin, CardPin, HpkiPin, Secret, SecretKind, SignPassword,
    VerificationCodeA, VerificationCodeB,
};
pub use session::{LastTry, PinStatus, Session};
pub use sm::SmError;
