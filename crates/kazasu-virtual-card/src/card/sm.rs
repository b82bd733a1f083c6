//! Secure messaging of the 券面事項入力補助AP: the session, its cipher and the decoder of SM commands.
//!
//! - **Key exchange**: `80 AE 00 00 00 01 00 <256 bytes>` (extended Lc) carries RSAES-OAEP (SHA-256 and
//!   MGF1-SHA-256, empty label) of `A0 22 80 20 <S>` (32 random bytes) under the key of EF `0006`. The
//!   session key is K = S\[0..16\]; the counter N starts at 1. The card does not require the PIN first; a
//!   terminal VERIFYs it in clear before (secure messaging does not carry it).
//! - **Each SM command** (class `08`) uses IV = AES-128-ECB_K(N as 16-byte big-endian) and AES-128-CBC with
//!   ISO 7816-4 padding (always added). N increases after every SM command, even a rejected one. The answer
//!   to a command uses that command's IV.
//! - `08 20 00 (80|id) Lc 86 L 01 <E(PIN)>`: VERIFY; `08 A4 02 0C 13 86 11 01 <E(FID)>`: SELECT EF;
//!   `08 B0 P1 P2 00 00 05 96 03 00 <len hi> <len lo> 00 00`: READ BINARY of `len` bytes (0 = to the end of
//!   the file), answered `86 L 01 <E(data)>` and a plain status word.
//! - One data object per command; a wrong tag, length, padding indicator or padding (which is what a
//!   wrong counter gives) answers `6988` and kills the session: every SM command after it gets `69FC`
//!   until a new key exchange. Class `0C` (header authentication) gets `6987`. A SELECT by AID, a reset
//!   and a power-off end the session; SM outside a session gets `6982`.
//!
//! Nothing authenticates the data (no MAC), as the card specification describes it.

use aes::Aes128;
use aes::cipher::block_padding::Iso7816;
use aes::cipher::{BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit};
use kazasu_apdu::Command;
use zeroize::Zeroizing;

/// The class byte of an SM command.
pub const SM_CLASS: u8 = 0x08;

/// The state of secure messaging.
#[derive(Default)]
pub(crate) enum State {
    /// No session.
    #[default]
    Closed,
    /// A session with its key and the counter of the next command.
    Open(Session),
    /// A session killed by a bad command (`69FC` until a new key exchange).
    Dead,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            State::Closed => "Closed",
            State::Open(_) => "Open(REDACTED)",
            State::Dead => "Dead",
        })
    }
}

/// An open session: the AES key (zeroized on drop) and the counter of the next command.
pub(crate) struct Session {
    pub(crate) key: Zeroizing<[u8; 16]>,
    pub(crate) counter: u128,
}

/// The 36-byte plaintext of the key exchange, `A0 22 80 20 <S>`, split: S\[0..16\] is the key.
pub(crate) fn session_from_exchange(plain: &[u8]) -> Option<Session> {
    let secret = plain.strip_prefix(&[0xA0, 0x22, 0x80, 0x20])?;
    if secret.len() != 32 {
        return None;
    }
    let mut key = Zeroizing::new([0u8; 16]);
    key.copy_from_slice(secret.get(..16)?);
    Some(Session { key, counter: 1 })
}

/// IV = AES-128-ECB_K(N as 16-byte big-endian).
pub fn iv(key: &[u8; 16], counter: u128) -> [u8; 16] {
    let cipher = Aes128::new(key.into());
    let mut block = counter.to_be_bytes().into();
    cipher.encrypt_block(&mut block);
    block.into()
}

/// AES-128-CBC with ISO 7816-4 padding under `key` with the IV of `counter`.
pub fn encrypt(key: &[u8; 16], counter: u128, plain: &[u8]) -> Vec<u8> {
    let iv = iv(key, counter);
    cbc::Encryptor::<Aes128>::new(key.into(), &iv.into()).encrypt_padded_vec::<Iso7816>(plain)
}

/// The inverse of [`encrypt`]; `None` for a length that is not a positive multiple of 16 or bad padding.
pub fn decrypt(key: &[u8; 16], counter: u128, cryptogram: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if cryptogram.is_empty() || !cryptogram.len().is_multiple_of(16) {
        return None;
    }
    let iv = iv(key, counter);
    cbc::Decryptor::<Aes128>::new(key.into(), &iv.into())
        .decrypt_padded_vec::<Iso7816>(cryptogram)
        .ok()
        .map(Zeroizing::new)
}

/// An SM command, decoded but not decrypted.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum SmCommand {
    /// VERIFY: P2 and the cryptogram of the PIN (`None`: no data, a counter query).
    Verify {
        /// P2: `80` (selected EF) or `80|id`.
        p2: u8,
        /// The cryptogram (without the padding indicator).
        cryptogram: Option<Vec<u8>>,
    },
    /// SELECT EF: the cryptogram of the 2-byte FID.
    SelectEf {
        /// The cryptogram.
        cryptogram: Vec<u8>,
    },
    /// READ BINARY.
    ReadBinary {
        /// P1.
        p1: u8,
        /// P2.
        p2: u8,
        /// Bytes asked for; 0 = to the end of the file.
        length: u16,
    },
}

/// Why an SM command was refused before any cryptography.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SmError {
    /// Not a well-formed APDU.
    #[error("malformed APDU")]
    Malformed,
    /// Class byte other than `08`.
    #[error("class is not 08")]
    Class,
    /// An instruction secure messaging does not carry.
    #[error("instruction not supported under secure messaging")]
    Instruction,
    /// Wrong P1/P2 for the instruction.
    #[error("wrong P1/P2")]
    Parameters,
    /// The data is not exactly the one data object the instruction takes (tag, length, padding
    /// indicator): the card answers `6988` and ends the session.
    #[error("wrong secure-messaging data object")]
    DataObject,
}

/// Decodes the structure of an SM command APDU (no decryption).
///
/// # Errors
///
/// See [`SmError`].
pub fn decode(apdu: &[u8]) -> Result<SmCommand, SmError> {
    let cmd = Command::from_bytes(apdu).map_err(|_| SmError::Malformed)?;
    decode_command(&cmd)
}

pub(crate) fn decode_command(cmd: &Command) -> Result<SmCommand, SmError> {
    if cmd.cla() != SM_CLASS {
        return Err(SmError::Class);
    }
    let data = cmd.data().as_bytes();
    match cmd.ins() {
        0x20 => {
            if cmd.p1() != 0x00 || cmd.p2() & 0x80 == 0 || cmd.p2() & 0x60 != 0 {
                return Err(SmError::Parameters);
            }
            let cryptogram = if data.is_empty() {
                None
            } else {
                Some(cryptogram_object(data)?.to_vec())
            };
            Ok(SmCommand::Verify {
                p2: cmd.p2(),
                cryptogram,
            })
        }
        0xA4 => {
            if (cmd.p1(), cmd.p2()) != (0x02, 0x0C) {
                return Err(SmError::Parameters);
            }
            Ok(SmCommand::SelectEf {
                cryptogram: cryptogram_object(data)?.to_vec(),
            })
        }
        0xB0 => {
            let value = single_object(data, 0x96)?;
            let [0x00, hi, lo] = value else {
                return Err(SmError::DataObject);
            };
            if cmd.le().is_none() {
                return Err(SmError::DataObject);
            }
            Ok(SmCommand::ReadBinary {
                p1: cmd.p1(),
                p2: cmd.p2(),
                length: u16::from_be_bytes([*hi, *lo]),
            })
        }
        _ => Err(SmError::Instruction),
    }
}

/// The cryptogram of `86 L 01 <cryptogram>`, which must be the whole data field.
fn cryptogram_object(data: &[u8]) -> Result<&[u8], SmError> {
    let value = single_object(data, 0x86)?;
    match value.split_first() {
        Some((0x01, cryptogram)) if !cryptogram.is_empty() => Ok(cryptogram),
        _ => Err(SmError::DataObject),
    }
}

/// The value of the one BER object with one-byte `tag` that fills `data` exactly.
fn single_object(data: &[u8], tag: u8) -> Result<&[u8], SmError> {
    let (&t, rest) = data.split_first().ok_or(SmError::DataObject)?;
    if t != tag {
        return Err(SmError::DataObject);
    }
    let (len, rest) = match rest.split_first().ok_or(SmError::DataObject)? {
        (&l, rest) if l < 0x80 => (usize::from(l), rest),
        (0x81, rest) => {
            let (&l, rest) = rest.split_first().ok_or(SmError::DataObject)?;
            (usize::from(l), rest)
        }
        (0x82, [hi, lo, rest @ ..]) => (usize::from(u16::from_be_bytes([*hi, *lo])), rest),
        _ => return Err(SmError::DataObject),
    };
    if rest.len() != len {
        return Err(SmError::DataObject);
    }
    Ok(rest)
}

/// `86 L 01 <cryptogram>` around a cryptogram.
pub fn cryptogram_response(cryptogram: &[u8]) -> Vec<u8> {
    let len = cryptogram.len() + 1;
    let mut out = vec![0x86];
    if len < 0x80 {
        out.push(u8::try_from(len).unwrap_or(0));
    } else if let Ok(l) = u8::try_from(len) {
        out.extend_from_slice(&[0x81, l]);
    } else {
        let l = u16::try_from(len).unwrap_or(u16::MAX);
        out.push(0x82);
        out.extend_from_slice(&l.to_be_bytes());
    }
    out.push(0x01);
    out.extend_from_slice(cryptogram);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cipher_round_trips_and_always_pads() {
        let key = [7u8; 16];
        for n in 0..40 {
            let plain = vec![0x5A; n];
            let c = encrypt(&key, 3, &plain);
            assert_eq!(c.len(), (n / 16 + 1) * 16);
            assert_eq!(decrypt(&key, 3, &c).unwrap().as_slice(), plain.as_slice());
        }
        assert!(decrypt(&key, 3, &[0; 15]).is_none());
        assert!(decrypt(&key, 3, &[]).is_none());
        assert_ne!(iv(&key, 1), iv(&key, 2));
    }

    #[test]
    fn decoder_accepts_the_three_forms_and_refuses_the_rest() {
        let c = [0xAB; 16];
        let mut select = vec![0x08, 0xA4, 0x02, 0x0C, 0x13, 0x86, 0x11, 0x01];
        select.extend_from_slice(&c);
        assert_eq!(
            decode(&select).unwrap(),
            SmCommand::SelectEf {
                cryptogram: c.to_vec()
            }
        );
        let read = [
            0x08, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x05, 0x96, 0x03, 0x00, 0x01, 0x02, 0x00, 0x00,
        ];
        assert_eq!(
            decode(&read).unwrap(),
            SmCommand::ReadBinary {
                p1: 0,
                p2: 0,
                length: 0x0102
            }
        );
        let mut verify = vec![0x08, 0x20, 0x00, 0x91, 0x13, 0x86, 0x11, 0x01];
        verify.extend_from_slice(&c);
        assert!(matches!(
            decode(&verify),
            Ok(SmCommand::Verify { p2: 0x91, .. })
        ));
        // Wrong tag, wrong padding indicator, trailing bytes, two objects.
        let mut bad = select.clone();
        bad[5] = 0x87;
        assert_eq!(decode(&bad), Err(SmError::DataObject));
        let mut bad = select.clone();
        bad[7] = 0x02;
        assert_eq!(decode(&bad), Err(SmError::DataObject));
        let mut bad = select.clone();
        bad[4] = 0x14;
        bad.push(0x00);
        assert_eq!(decode(&bad), Err(SmError::DataObject));
        assert_eq!(decode(&[0x0C, 0xB0, 0, 0, 0]), Err(SmError::Class));
        assert_eq!(decode(&[0x08, 0x2A, 0, 0, 0]), Err(SmError::Instruction));
        assert_eq!(decode(&[0x08]), Err(SmError::Malformed));
        assert_eq!(cryptogram_response(&[1; 3]), vec![0x86, 4, 1, 1, 1, 1]);
        assert_eq!(&cryptogram_response(&[0; 160])[..4], &[0x86, 0x81, 161, 1]);
        assert_eq!(
            &cryptogram_response(&[0; 400])[..5],
            &[0x86, 0x82, 0x01, 0x91, 1]
        );
    }
}
