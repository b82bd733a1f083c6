//! [`HpkiCardBuilder`]: a ready HPKI card for a holder of the HPKI test PKI.

use zeroize::Zeroizing;

use crate::Error;
use crate::card::{CardConfig, HPKI_DEFAULT_TRIES, HpkiApContents, HpkiCardContents, VirtualCard};
use crate::pki::{HpkiCredentials, HpkiHolder, HpkiTestPki, PkiError};

/// Builds an HPKI card: both APs, certificates from [`HpkiTestPki`], PIN `1234` with
/// [`HPKI_DEFAULT_TRIES`] tries on both unless told otherwise.
#[derive(Clone, Debug)]
pub struct HpkiCardBuilder {
    holder: HpkiHolder,
    sign_pin: Zeroizing<String>,
    auth_pin: Zeroizing<String>,
    tries: u8,
    config: CardConfig,
    signature_ap: bool,
    authentication_ap: bool,
}

/// An HPKI card and what a test needs to know about it.
#[derive(Debug)]
pub struct IssuedHpkiCard {
    /// The card.
    pub card: VirtualCard,
    /// The PKI that issued its certificates.
    pub pki: HpkiTestPki,
    /// The holder (name, HPKI ID, roles, knobs).
    pub holder: HpkiHolder,
    /// The two certificates and keys (both issued even when an AP is left off the card).
    pub credentials: HpkiCredentials,
    /// The signature AP's PIN.
    pub sign_pin: Zeroizing<String>,
    /// The authentication AP's PIN.
    pub auth_pin: Zeroizing<String>,
    /// Tries each PIN allows.
    pub tries: u8,
}

impl HpkiCardBuilder {
    /// A card for [`HpkiHolder::from_seed`]`(seed)`.
    pub fn new(seed: u64) -> Self {
        Self {
            holder: HpkiHolder::from_seed(seed),
            sign_pin: Zeroizing::new("1234".into()),
            auth_pin: Zeroizing::new("1234".into()),
            tries: HPKI_DEFAULT_TRIES,
            config: CardConfig::default(),
            signature_ap: true,
            authentication_ap: true,
        }
    }

    /// Another holder (roles, policy, validity and the other certificate knobs live there).
    #[must_use]
    pub fn holder(mut self, holder: HpkiHolder) -> Self {
        self.holder = holder;
        self
    }

    /// The same PIN for both APs (4–8 digits).
    #[must_use]
    pub fn pin(mut self, pin: &str) -> Self {
        self.sign_pin = Zeroizing::new(pin.into());
        self.auth_pin = Zeroizing::new(pin.into());
        self
    }

    /// PINs per AP.
    #[must_use]
    pub fn pins(mut self, sign: &str, auth: &str) -> Self {
        self.sign_pin = Zeroizing::new(sign.into());
        self.auth_pin = Zeroizing::new(auth.into());
        self
    }

    /// Tries each PIN allows.
    #[must_use]
    pub fn tries(mut self, tries: u8) -> Self {
        self.tries = tries;
        self
    }

    /// Whether extended APDUs are accepted.
    #[must_use]
    pub fn extended_apdus(mut self, on: bool) -> Self {
        self.config.extended_apdus = on;
        self
    }

    /// Answers longer than `n` come in parts behind `61xx`.
    #[must_use]
    pub fn response_chunk(mut self, n: Option<usize>) -> Self {
        self.config.response_chunk = n;
        self
    }

    /// Leaves the signature AP off the card.
    #[must_use]
    pub fn without_signature_ap(mut self) -> Self {
        self.signature_ap = false;
        self
    }

    /// Leaves the authentication AP off the card.
    #[must_use]
    pub fn without_authentication_ap(mut self) -> Self {
        self.authentication_ap = false;
        self
    }

    /// Issues the certificates and builds the card.
    pub fn build(self) -> Result<IssuedHpkiCard, Error> {
        for pin in [&self.sign_pin, &self.auth_pin] {
            if !(4..=8).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
                return Err(PkiError::Invalid("an HPKI PIN is 4 to 8 digits".into()).into());
            }
        }
        let pki = HpkiTestPki::new()?;
        let credentials = pki.issue(&self.holder)?;
        let contents = HpkiCardContents {
            signature: self.signature_ap.then(|| HpkiApContents {
                certificate: credentials.sign_certificate.clone(),
                key: credentials.sign_key.clone(),
                pin: self.sign_pin.clone(),
                tries: self.tries,
            }),
            authentication: self.authentication_ap.then(|| HpkiApContents {
                certificate: credentials.auth_certificate.clone(),
                key: credentials.auth_key.clone(),
                pin: self.auth_pin.clone(),
                tries: self.tries,
            }),
        };
        Ok(IssuedHpkiCard {
            card: VirtualCard::hpki(contents, self.config),
            pki,
            holder: self.holder,
            credentials,
            sign_pin: self.sign_pin,
            auth_pin: self.auth_pin,
            tries: self.tries,
        })
    }
}
