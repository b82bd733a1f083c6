//! Secure messaging, terminal side, for the 券面事項入力補助AP.
//!
//! The PIN is verified in clear first (SM does not protect it). Then the terminal reads the RSA key
//! in EF `0006`, draws 32 random bytes S, sends `A0 22 80 20 <S>` encrypted with RSAES-OAEP
//! (SHA-256, MGF1-SHA-256, empty label) in `80 AE 00 00 00 01 00 <256>`; the session key K is
//! S[0..16]. Every SM command uses IV = AES-128-ECB_K(N) with N a 16-byte big-endian counter that
//! starts at 1 and increases after every SM command, rejected or not; data travel AES-128-CBC with
//! ISO 7816-4 padding (always added) in a `86 L 01 <cryptogram>` object; the class byte is `08`.

use aes::Aes128;
use aes::cipher::block_padding::Iso7816;
use aes::cipher::{BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit};
use kazasu_apdu::{Command, Le, LengthForm, Transport};
use zeroize::Zeroizing;

use crate::CardError;
use crate::session::{Session, status_error};

/// What went wrong in secure messaging. The card ends the session on `6988`; afterwards it answers `69FC`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SmError {
    /// `6988`: the card rejected the SM data (counter, tag or padding); the SM session is dead.
    #[error("the card rejected the secure-messaging data (6988); the session is over")]
    Rejected,
    /// `69FC`: the SM session had already ended.
    #[error("the secure-messaging session has ended (69FC)")]
    SessionEnded,
    /// `6987`: expected SM data objects are missing.
    #[error("the card expected secure-messaging data objects (6987)")]
    MissingSmObjects,
    /// The key-transport key in EF `0006` is unusable.
    #[error("EF 0006 does not hold a usable RSA-2048 key")]
    BadTransportKey,
    /// An answer is not a well-formed `86 L 01 <cryptogram>` or does not decrypt.
    #[error("malformed secure-messaging answer: {0}")]
    BadAnswer(&'static str),
    /// The operating system's random source failed.
    #[error("no random session key: the operating system's random source failed")]
    Random,
}

impl From<SmError> for CardError {
    fn from(e: SmError) -> Self {
        CardError::SecureMessaging(e)
    }
}

/// The session key and counter. Zeroized on drop; never printed.
pub(crate) struct SmKeys {
    key: Zeroizing<[u8; 16]>,
    counter: u128,
}

impl std::fmt::Debug for SmKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SmKeys(REDACTED, counter {})", self.counter)
    }
}

/// Parses EF `0006`: `A1 { 90 03 e, 91 82 01 00 n }`.
pub(crate) fn transport_key(ef: &[u8]) -> Result<rsa::PublicKey, SmError> {
    let (outer, _) = kazasu_cvc::tlv::element(ef).map_err(|_| SmError::BadTransportKey)?;
    if outer.tag != 0xA1 {
        return Err(SmError::BadTransportKey);
    }
    let key = kazasu_cvc::CardKey::parse(outer.value).map_err(|_| SmError::BadTransportKey)?;
    Ok(key.rsa().clone())
}

impl SmKeys {
    /// A session from the 32 random bytes S (K = S[0..16]), counter 1.
    pub(crate) fn from_secret(s: &[u8; 32]) -> Self {
        let mut key = Zeroizing::new([0u8; 16]);
        key.copy_from_slice(&s[..16]);
        Self { key, counter: 1 }
    }

    fn iv(&self) -> [u8; 16] {
        let cipher = Aes128::new(&(*self.key).into());
        let mut block = self.counter.to_be_bytes().into();
        cipher.encrypt_block(&mut block);
        block.into()
    }

    /// Encrypts `plain` for command N (CBC, ISO 7816-4 padding always added).
    pub(crate) fn encrypt(&self, plain: &[u8]) -> Vec<u8> {
        cbc::Encryptor::<Aes128>::new(&(*self.key).into(), &self.iv().into())
            .encrypt_padded_vec::<Iso7816>(plain)
    }

    /// Decrypts the answer to command N.
    pub(crate) fn decrypt(&self, cryptogram: &[u8]) -> Result<Zeroizing<Vec<u8>>, SmError> {
        cbc::Decryptor::<Aes128>::new(&(*self.key).into(), &self.iv().into())
            .decrypt_padded_vec::<Iso7816>(cryptogram)
            .map(Zeroizing::new)
            .map_err(|_| SmError::BadAnswer("the cryptogram does not decrypt to padded data"))
    }

    /// `86 L 01 <cryptogram>` around `E(plain)`.
    pub(crate) fn wrap(&self, plain: &[u8]) -> Vec<u8> {
        let c = self.encrypt(plain);
        let mut out = vec![0x86];
        push_len(&mut out, c.len() + 1);
        out.push(0x01);
        out.extend_from_slice(&c);
        out
    }

    /// The plaintext in `86 L 01 <cryptogram>`.
    pub(crate) fn unwrap(&self, data: &[u8]) -> Result<Zeroizing<Vec<u8>>, SmError> {
        let (e, rest) =
            kazasu_cvc::tlv::element(data).map_err(|_| SmError::BadAnswer("not a BER object"))?;
        if e.tag != 0x86 || !rest.is_empty() {
            return Err(SmError::BadAnswer("expected one 86 object"));
        }
        match e.value.split_first() {
            Some((0x01, c)) if !c.is_empty() && c.len() % 16 == 0 => self.decrypt(c),
            _ => Err(SmError::BadAnswer(
                "86 does not hold 01 and whole AES blocks",
            )),
        }
    }

    /// The counter after a command, sent or refused.
    pub(crate) fn step(&mut self) {
        self.counter = self.counter.wrapping_add(1);
    }
}

fn push_len(out: &mut Vec<u8>, n: usize) {
    let bytes = n.to_be_bytes();
    let [.., hi, lo] = bytes;
    if n < 0x80 {
        out.push(lo);
    } else if n < 0x100 {
        out.extend_from_slice(&[0x81, lo]);
    } else {
        // APDU data stay below 65 536 bytes.
        out.extend_from_slice(&[0x82, hi, lo]);
    }
}

fn sm_status(sw: u16) -> Option<SmError> {
    match sw {
        0x6988 => Some(SmError::Rejected),
        0x69FC => Some(SmError::SessionEnded),
        0x6987 => Some(SmError::MissingSmObjects),
        _ => None,
    }
}

/// Opens the SM session: key transport with `80 AE`. The PIN must be verified already.
pub(crate) fn establish<T: Transport>(
    s: &mut Session<T>,
    aid: &[u8],
    transport_key_ef: &[u8],
) -> Result<SmKeys, CardError> {
    let key = transport_key(transport_key_ef)?;
    let mut secret = Zeroizing::new([0u8; 32]);
    getrandom::fill(&mut secret[..]).map_err(|_| SmError::Random)?;
    let mut plain = Zeroizing::new(vec![0xA0, 0x22, 0x80, 0x20]);
    plain.extend_from_slice(&secret[..]);
    let encrypted = key
        .oaep_encrypt::<sha2::Sha256>(&plain)
        .map_err(|_| SmError::BadTransportKey)?;
    let operation = "secure messaging key transport";
    s.select_ap(aid, operation)?;
    let cmd = Command::new(0x80, 0xAE, 0x00, 0x00)
        .with_sensitive_data(Zeroizing::new(encrypted))?
        .with_form(LengthForm::Extended);
    let r = s.send(&cmd, operation)?;
    if !r.is_success() {
        return Err(status_error(r.sw(), operation, "card-info PIN"));
    }
    Ok(SmKeys::from_secret(&secret))
}

/// Sends one SM command and returns its answer data; the counter steps whatever happens.
fn send_sm<T: Transport>(
    s: &mut Session<T>,
    keys: &mut SmKeys,
    cmd: &Command,
    operation: &'static str,
) -> Result<kazasu_apdu::Response, CardError> {
    let result = s.send(cmd, operation);
    keys.step();
    let r = result?;
    if let Some(e) = sm_status(r.sw().value()) {
        return Err(e.into());
    }
    Ok(r)
}

/// SM SELECT EF: `08 A4 02 0C 13 86 11 01 <E(FID)>`.
pub(crate) fn select_ef<T: Transport>(
    s: &mut Session<T>,
    keys: &mut SmKeys,
    ef: u16,
) -> Result<(), CardError> {
    let operation = "SM SELECT EF";
    let cmd = Command::new(0x08, 0xA4, 0x02, 0x0C).with_data(keys.wrap(&ef.to_be_bytes()))?;
    let r = send_sm(s, keys, &cmd, operation)?;
    if !r.is_success() {
        return Err(status_error(r.sw(), operation, ""));
    }
    Ok(())
}

/// SM VERIFY: `08 20 00 (80|id) Lc 86 L 01 <E(secret)>`.
pub(crate) fn verify<T: Transport>(
    s: &mut Session<T>,
    keys: &mut SmKeys,
    key_ef: u16,
    secret: &[u8],
) -> Result<kazasu_apdu::StatusWord, CardError> {
    let p2 = 0x80 | u8::try_from(key_ef & 0x1F).unwrap_or(0);
    let cmd = Command::new(0x08, 0x20, 0x00, p2)
        .with_sensitive_data(Zeroizing::new(keys.wrap(secret)))?;
    let r = send_sm(s, keys, &cmd, "SM VERIFY")?;
    Ok(r.sw())
}

/// SM READ BINARY of the current EF from offset 0: `08 B0 00 00 00 00 05 96 03 00 <len> 00 00`
/// (len 0 = the whole file).
pub(crate) fn read_binary<T: Transport>(
    s: &mut Session<T>,
    keys: &mut SmKeys,
    len: u16,
    operation: &'static str,
) -> Result<Zeroizing<Vec<u8>>, CardError> {
    let [hi, lo] = len.to_be_bytes();
    let cmd = Command::new(0x08, 0xB0, 0x00, 0x00)
        .with_data(vec![0x96, 0x03, 0x00, hi, lo])?
        .with_le(Le::MAX_EXTENDED)
        .with_form(LengthForm::Extended);
    // Decrypt with the IV of this command, before the counter steps.
    let result = s.send(&cmd, operation);
    let plain = match &result {
        Ok(r) if r.is_success() => Some(keys.unwrap(r.data())),
        _ => None,
    };
    keys.step();
    let r = result?;
    if let Some(e) = sm_status(r.sw().value()) {
        return Err(e.into());
    }
    if !r.is_success() {
        return Err(status_error(r.sw(), operation, "card-info PIN"));
    }
    match plain {
        Some(p) => Ok(p?),
        None => Err(SmError::BadAnswer("no answer").into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iv_is_the_encrypted_counter_and_padding_is_always_added() {
        let keys = SmKeys::from_secret(&[0x11; 32]);
        // The IV for N = 1 is AES-128(K, 00..01), independent of the data.
        let cipher = Aes128::new(&[0x11u8; 16].into());
        let mut block = 1u128.to_be_bytes().into();
        cipher.encrypt_block(&mut block);
        let want: [u8; 16] = block.into();
        assert_eq!(keys.iv(), want);
        // 16 bytes of data gain a whole padding block.
        assert_eq!(keys.encrypt(&[0u8; 16]).len(), 32);
        assert_eq!(keys.encrypt(&[0x00, 0x01]).len(), 16);
        let wrapped = keys.wrap(&[0x00, 0x01]);
        assert_eq!(&wrapped[..3], &[0x86, 0x11, 0x01]);
        assert_eq!(keys.unwrap(&wrapped).unwrap().as_slice(), &[0x00, 0x01]);
        let mut next = SmKeys::from_secret(&[0x11; 32]);
        next.step();
        assert_ne!(next.iv(), keys.iv(), "a new IV for every command");
        assert!(
            next.unwrap(&wrapped).is_err() || next.unwrap(&wrapped).unwrap().as_slice() != [0, 1]
        );
        assert!(keys.unwrap(&[0x86, 0x02, 0x01, 0x00]).is_err());
        assert!(format!("{keys:?}").contains("REDACTED"));
    }
}
