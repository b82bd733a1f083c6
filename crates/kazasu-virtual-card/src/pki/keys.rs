//! The committed RSA fixture keys (generating RSA-2048 keys in tests would take seconds each).

use std::sync::OnceLock;

use rsa::PrivateKey;
use rsa::pkcs8::DecodePrivateKey;

use super::PkiError;

include!("fixture_list.rs");

/// Number of committed RSA-2048 fixture keys.
pub const FIXTURE_KEY_COUNT: usize = FIXTURE_PEMS.len();

static CACHE: [OnceLock<Result<PrivateKey, String>>; FIXTURE_KEY_COUNT] =
    [const { OnceLock::new() }; FIXTURE_KEY_COUNT];

static WEAK: OnceLock<Result<PrivateKey, String>> = OnceLock::new();

/// The committed RSA-2048 key number `index` (0-based), parsed once and cached.
pub fn fixture_key(index: usize) -> Result<PrivateKey, PkiError> {
    let slot = CACHE.get(index).ok_or(PkiError::NoSuchKey {
        index,
        count: FIXTURE_KEY_COUNT,
    })?;
    let pem = FIXTURE_PEMS.get(index).copied().unwrap_or_default();
    slot.get_or_init(|| PrivateKey::from_pkcs8_pem(pem).map_err(|e| e.to_string()))
        .clone()
        .map_err(|reason| PkiError::BadFixture { index, reason })
}

/// A committed RSA-1024 key, for certificates that key-size policy must reject.
pub fn weak_fixture_key() -> Result<PrivateKey, PkiError> {
    WEAK.get_or_init(|| {
        PrivateKey::from_pkcs8_pem(include_str!("../../fixtures/keys/weak1024.pem"))
            .map_err(|e| e.to_string())
    })
    .clone()
    .map_err(|reason| PkiError::BadFixture {
        index: usize::MAX,
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::traits::PublicKeyParts;

    #[test]
    fn every_fixture_parses_as_rsa_2048_with_f4() {
        for i in 0..FIXTURE_KEY_COUNT {
            let k = fixture_key(i).unwrap();
            assert_eq!(k.size(), 256, "key {i}");
            assert_eq!(k.e().to_be_bytes_trimmed_vartime().as_ref(), &[1, 0, 1]);
        }
        assert!(matches!(
            fixture_key(FIXTURE_KEY_COUNT),
            Err(PkiError::NoSuchKey { .. })
        ));
        assert_eq!(weak_fixture_key().unwrap().size(), 128);
    }
}
