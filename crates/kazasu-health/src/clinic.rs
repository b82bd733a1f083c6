//! The clinic terminal's side: the card at the reader answers the service's challenge.

use kazasu_apdu::Transport;
use kazasu_auth::{BoundAssertion, BoundMessage};
use kazasu_card::cvc::GenuinenessReport;
use kazasu_card::{AuthPin, DigestInfo, HashAlgorithm, Jpki, LastTry, SignPassword};
use kazasu_pki::{AuthAssertion, Certificate};
use time::OffsetDateTime;

use crate::HealthError;
use crate::facility::{ApprovalPurpose, FacilityTerminal, StaffApproval};

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
    /// Staff checked the person against the card-face photo (目視確認): the certificate is only read,
    /// and the facility terminal signs the staff member's approval of this lookup.
    StaffVerified {
        /// The facility terminal (its key is registered with the service).
        terminal: &'a FacilityTerminal,
        /// The staff member.
        staff: &'a str,
        /// The time of the approval.
        at: OffsetDateTime,
        /// The chip-genuineness result, if staff checked the chip (recorded as evidence).
        genuineness: Option<&'a GenuinenessReport>,
    },
}

/// What the card presented to the service.
#[derive(Clone, Debug)]
pub enum Presentation {
    /// Certificate, challenge and the card's signature over it.
    Assertion(AuthAssertion),
    /// The certificate alone, with the facility terminal's signed staff approval.
    StaffChecked {
        /// The authentication certificate read from the card.
        certificate: Certificate,
        /// The approval.
        approval: StaffApproval,
    },
}

impl Presentation {
    /// The authentication certificate presented.
    pub fn certificate(&self) -> &Certificate {
        match self {
            Presentation::Assertion(a) => &a.certificate,
            Presentation::StaffChecked { certificate, .. } => certificate,
        }
    }
}

/// What a card holder presents to prove the card is theirs (enrolment, linking by identity): both
/// keys of one card signed the same service challenge, in one card session. The signature
/// certificate carries the holder's 基本4情報.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CardHolderProof {
    /// The authentication assertion over the challenge.
    pub authentication: AuthAssertion,
    /// The signature certificate (署名用電子証明書).
    pub signature_certificate: Certificate,
    /// The signature key's PKCS#1 v1.5 SHA-256 signature over the same challenge.
    pub signature: Vec<u8>,
}

impl CardHolderProof {
    /// A proof from its parts (e.g. received from a clinic terminal).
    pub fn new(
        authentication: AuthAssertion,
        signature_certificate: Certificate,
        signature: Vec<u8>,
    ) -> Self {
        Self {
            authentication,
            signature_certificate,
            signature,
        }
    }
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
        IdentityCheck::StaffVerified {
            terminal,
            staff,
            at,
            genuineness,
        } => {
            let approval = terminal.approve_with(
                staff,
                ApprovalPurpose::StaffVisualLookup,
                &certificate,
                genuineness,
                at,
            )?;
            Presentation::StaffChecked {
                certificate,
                approval,
            }
        }
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

/// The client side of a bound assertion: reads the authentication certificate and has the card's
/// authentication key sign `message` (PKCS#1 v1.5 over its SHA-256 DigestInfo), through the
/// lockout guard, in the order the token needs ([`Jpki::authenticate`]: smartphone tokens, whose
/// authentication certificate is readable only after the PIN, get the PIN first).
pub fn present_bound<T: Transport>(
    transport: T,
    message: &BoundMessage,
    pin: &AuthPin,
    last_try: LastTry,
) -> Result<(BoundAssertion, kazasu_apdu::ExchangeStats), HealthError> {
    let mut jpki = Jpki::open(transport)?;
    let bytes = message.encode();
    let digest_info = DigestInfo::of_message(HashAlgorithm::Sha256, &bytes);
    let done = jpki.authenticate(pin, &digest_info, last_try)?;
    let certificate = Certificate::from_der(done.certificate.as_der())?;
    Ok((
        BoundAssertion::new(certificate, bytes, done.signature.into_bytes()),
        jpki.session().stats(),
    ))
}

/// Proves the card is the holder's: in one card session, reads both certificates and signs
/// `challenge` with the authentication key (PIN) and the signature key (password). Both secrets go
/// through the lockout guard.
pub fn prove_card_holder<T: Transport>(
    transport: T,
    challenge: &[u8],
    pin: &AuthPin,
    password: &SignPassword,
    last_try: LastTry,
) -> Result<(CardHolderProof, kazasu_apdu::ExchangeStats), HealthError> {
    let mut jpki = Jpki::open(transport)?;
    let auth = Certificate::from_der(jpki.read_auth_certificate()?.as_der())?;
    let sign = Certificate::from_der(jpki.read_sign_certificate(password, last_try)?.as_der())?;
    let auth_signature =
        jpki.sign_message_with_auth_key(pin, HashAlgorithm::Sha256, challenge, last_try)?;
    let sign_signature =
        jpki.sign_message_with_sign_key(password, HashAlgorithm::Sha256, challenge, last_try)?;
    Ok((
        CardHolderProof {
            authentication: AuthAssertion::new(
                auth,
                challenge.to_vec(),
                auth_signature.into_bytes(),
            ),
            signature_certificate: sign,
            signature: sign_signature.into_bytes(),
        },
        jpki.session().stats(),
    ))
}
