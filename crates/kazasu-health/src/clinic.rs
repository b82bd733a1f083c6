//! The clinic terminal's side: the card at the reader answers the service's challenge.

use kazasu_apdu::Transport;
use kazasu_card::{AuthPin, HashAlgorithm, Jpki, LastTry};
use kazasu_pki::{AuthAssertion, Certificate};

use crate::HealthError;

/// How the person at the reader is identified.
#[derive(Clone, Copy, Debug)]
pub enum IdentityCheck<'a> {
    /// The 4-digit authentication PIN (the rule): the card signs the service's challenge.
    Pin {
        /// The PIN the person entered.
        pin: &'a AuthPin,
        /// Whether the last try may be spent.
        last_try: LastTry,
    },
    /// Staff checked the person (face match with the card-face photo, or documents): the certificate
    /// is only read, and the answer says so.
    StaffVerified,
}

/// What the card presented to the service.
#[derive(Clone, Debug)]
pub enum Presentation {
    /// Certificate, challenge and the card's signature over it.
    Assertion(AuthAssertion),
    /// The certificate alone, after a staff check.
    StaffChecked(Certificate),
}

/// Reads the authentication certificate and, with a PIN, signs `challenge` (SHA-256) with the
/// authentication key: certificate read, counter check, VERIFY, signature.
pub fn present_card<T: Transport>(
    transport: T,
    challenge: &[u8],
    check: IdentityCheck<'_>,
) -> Result<(Presentation, kazasu_apdu::ExchangeStats), HealthError> {
    let mut jpki = Jpki::open(transport)?;
    let der = jpki.read_auth_certificate()?.into_der();
    let certificate = Certificate::from_der(&der)?;
    let presentation = match check {
        IdentityCheck::StaffVerified => Presentation::StaffChecked(certificate),
        IdentityCheck::Pin { pin, last_try } => {
            let signature =
                jpki.sign_message_with_auth_key(pin, HashAlgorithm::Sha256, challenge, last_try)?;
            Presentation::Assertion(AuthAssertion::new(
                certificate,
                challenge.to_vec(),
                signature.into_bytes(),
            ))
        }
    };
    Ok((presentation, jpki.session().stats()))
}
