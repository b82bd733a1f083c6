//! Conversions from bytes, so certificates and CRLs read elsewhere (a card, a file, a network
//! answer) reach the verifier without a detour: `Certificate::try_from(card_cert.as_ref())`.

use crate::{Certificate, Crl, CrlSet, Error, TrustStore};

impl TryFrom<&[u8]> for Certificate {
    type Error = Error;

    /// Parses DER (exactly one certificate; filler after it is an error, as in
    /// [`Certificate::from_der`]).
    fn try_from(der: &[u8]) -> Result<Self, Error> {
        Certificate::from_der(der)
    }
}

impl TryFrom<&[u8]> for Crl {
    type Error = Error;

    /// Parses a DER CRL.
    fn try_from(der: &[u8]) -> Result<Self, Error> {
        Crl::from_der(der)
    }
}

impl TrustStore {
    /// A store of anchors given as DER, purposes derived from their names (see [`TrustStore`]).
    pub fn from_der_all<B: AsRef<[u8]>>(anchors: &[B]) -> Result<Self, Error> {
        let parsed = anchors
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::from_certificates(parsed))
    }
}

impl CrlSet {
    /// A set of CRLs given as DER.
    pub fn from_der_all<B: AsRef<[u8]>>(crls: &[B]) -> Result<Self, Error> {
        crls.iter().map(|der| Crl::from_der(der.as_ref())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(Certificate::try_from(&[0x30u8, 0x03, 0x02][..]).is_err());
        assert!(Crl::try_from(&[][..]).is_err());
        assert!(TrustStore::from_der_all(&[[0u8; 4]]).is_err());
        assert!(CrlSet::from_der_all(&[vec![0x30u8]]).is_err());
        assert!(CrlSet::from_der_all::<Vec<u8>>(&[]).is_ok_and(|s| s.is_empty()));
    }
}
