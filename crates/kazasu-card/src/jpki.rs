//! The JPKI AP (公的個人認証AP): certificates, PINs and the two signing keys.

use std::fmt;

use kazasu_apdu::{Command, Le, Transport};

use crate::CardError;
use crate::digest::{DigestInfo, HashAlgorithm};
use crate::secret::{AuthPin, Secret, SecretKind, SignPassword};
use crate::session::{LastTry, PinStatus, Session, status_error};

/// AID of the JPKI AP.
pub const JPKI_AID: [u8; 10] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];

const EF_SIGN_CERT: u16 = 0x0001;
const EF_SIGN_CA: u16 = 0x0002;
const EF_TOKEN_INFO: u16 = 0x0006;
const EF_PRESENCE: u16 = 0x0008;
const EF_AUTH_CERT: u16 = 0x000A;
const EF_AUTH_CA: u16 = 0x000B;
const EF_AUTH_KEY: u16 = 0x0017;
const EF_AUTH_PIN: u16 = 0x0018;
const EF_SIGN_KEY: u16 = 0x001A;
const EF_SIGN_PIN: u16 = 0x001B;
/// JPKI VERIFY uses P2 = 80 (the HPKI card uses 88).
const PIN_P2: u8 = 0x80;

/// Which JPKI token answered, from the label in EF `0006`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum TokenKind {
    /// The My Number Card (`JPKIAPICCTOKEN2`).
    MyNumberCard,
    /// The old Basic Resident Registration card (住基カード, `JPKIAPICCTOKEN`).
    ResidentRegistryCard,
    /// The Android smartphone certificate (`JPKIAPGPSETOKEN`).
    AndroidSmartphone,
    /// The iPhone smartphone certificate (`JPKIAPIOSTOKEN`).
    IPhone,
    /// A label this crate does not know.
    Other(String),
}

impl TokenKind {
    fn from_label(label: &str) -> Self {
        match label {
            "JPKIAPICCTOKEN2" => TokenKind::MyNumberCard,
            "JPKIAPICCTOKEN" => TokenKind::ResidentRegistryCard,
            "JPKIAPGPSETOKEN" => TokenKind::AndroidSmartphone,
            "JPKIAPIOSTOKEN" => TokenKind::IPhone,
            other => TokenKind::Other(other.to_owned()),
        }
    }

    /// Whether the authentication certificate can only be read after the auth PIN (smartphone tokens).
    pub fn auth_certificate_needs_pin(&self) -> bool {
        matches!(self, TokenKind::AndroidSmartphone | TokenKind::IPhone)
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenKind::MyNumberCard => f.write_str("My Number Card"),
            TokenKind::ResidentRegistryCard => f.write_str("Basic Resident Registration card"),
            TokenKind::AndroidSmartphone => f.write_str("Android smartphone certificate"),
            TokenKind::IPhone => f.write_str("iPhone smartphone certificate"),
            TokenKind::Other(l) => write!(f, "unknown JPKI token ({l})"),
        }
    }
}

macro_rules! certificate_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name(Vec<u8>);

        impl $name {
            /// The DER bytes, exactly the certificate (filler trimmed).
            pub fn as_der(&self) -> &[u8] {
                &self.0
            }

            /// Takes the DER bytes.
            pub fn into_der(self) -> Vec<u8> {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({} bytes DER)"), self.0.len())
            }
        }

        /// The DER bytes, for a verifier (`kazasu_pki::Certificate::try_from(cert.as_ref())`).
        impl AsRef<[u8]> for $name {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }
    };
}

pub(crate) use certificate_type;

certificate_type!(
    /// The authentication certificate (利用者証明用電子証明書): no personal data, an opaque subject.
    AuthCertificate
);
certificate_type!(
    /// The signature certificate (署名用電子証明書): carries name, address, birth date and sex.
    SignCertificate
);
certificate_type!(
    /// The CA certificate that issued the authentication certificate.
    AuthCaCertificate
);
certificate_type!(
    /// The CA certificate that issued the signature certificate.
    SignCaCertificate
);

/// What [`Jpki::authenticate`] read and signed, and which token did it.
#[derive(Clone, Debug)]
pub struct Authentication {
    /// The token that answered (a card or a smartphone).
    pub token: TokenKind,
    /// The authentication certificate.
    pub certificate: AuthCertificate,
    /// The authentication key's signature.
    pub signature: Signature,
}

/// A PKCS#1 v1.5 RSA-2048 signature made by the card.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Signature(Vec<u8>);

impl Signature {
    /// Wraps the bytes the card returned (checked to be 256 by the session).
    pub(crate) fn from_card(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The 256 signature bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Takes the bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

/// Status of both JPKI secrets, read without spending a try.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct JpkiPinStatus {
    /// The authentication PIN.
    pub auth: PinStatus,
    /// The signature password; `None` when the card has no signature half (holders under 15).
    pub sign: Option<PinStatus>,
}

/// Which certificates the card holds (EF `0008`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CertificatePresence {
    /// The signature certificate is issued.
    pub sign: bool,
    /// The authentication certificate is issued.
    pub auth: bool,
}

/// The JPKI AP over a [`Session`].
///
/// ```
/// # use kazasu_virtual_card::{VirtualCardBuilder, VirtualTransport};
/// use kazasu_card::{AuthPin, DigestInfo, HashAlgorithm, Jpki, LastTry};
///
/// # let transport = VirtualTransport::new(VirtualCardBuilder::new(0).build()?.card);
/// let mut jpki = Jpki::open(transport)?;
/// let certificate = jpki.read_auth_certificate()?;
/// let challenge = DigestInfo::of_message(HashAlgorithm::Sha256, b"challenge from the server");
/// let signature = jpki.sign_with_auth_key(&AuthPin::new("1234")?, &challenge, LastTry::Refuse)?;
/// assert_eq!(signature.as_bytes().len(), 256);
/// # let _ = certificate;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Jpki<T> {
    session: Session<T>,
    token: Option<TokenKind>,
}

impl<T: Transport> Jpki<T> {
    /// Opens a session on `transport` and selects the JPKI AP.
    pub fn open(transport: T) -> Result<Self, CardError> {
        Self::from_session(Session::new(transport))
    }

    /// Selects the JPKI AP in an existing session (skipped if already selected).
    pub fn from_session(mut session: Session<T>) -> Result<Self, CardError> {
        session.retrying(|s| s.select_ap(&JPKI_AID, "SELECT JPKI AP"))?;
        Ok(Self {
            session,
            token: None,
        })
    }

    /// The session (for its APDU counters).
    pub fn session(&self) -> &Session<T> {
        &self.session
    }

    /// Gives the session back, to use another application on the same card.
    pub fn into_session(self) -> Session<T> {
        self.session
    }

    /// The token kind, from the label in EF `0006` (read once per session).
    pub fn token_kind(&mut self) -> Result<TokenKind, CardError> {
        if let Some(t) = &self.token {
            return Ok(t.clone());
        }
        let label = self.session.retrying(|s| {
            s.select_ef(&JPKI_AID, EF_TOKEN_INFO, "read token info")?;
            let r = s.send(
                &Command::new(0x00, 0xB0, 0x00, 0x00).with_le(Le::new(32)?),
                "read token info",
            )?;
            if !matches!(r.sw().value(), 0x9000 | 0x6282) {
                return Err(status_error(r.sw(), "read token info", ""));
            }
            Ok(r.into_data())
        })?;
        let text: String = label
            .iter()
            .take(32)
            .take_while(|b| b.is_ascii_graphic() || **b == b' ')
            .map(|b| char::from(*b))
            .collect();
        let kind = TokenKind::from_label(text.trim_end());
        self.token = Some(kind.clone());
        Ok(kind)
    }

    /// Which certificates are issued (EF `0008`).
    pub fn certificate_presence(&mut self) -> Result<CertificatePresence, CardError> {
        let data = self.session.retrying(|s| {
            s.select_ef(&JPKI_AID, EF_PRESENCE, "read certificate presence")?;
            let r = s.send(
                &Command::new(0x00, 0xB0, 0x00, 0x00).with_le(Le::new(3)?),
                "read certificate presence",
            )?;
            if !r.is_success() {
                return Err(status_error(r.sw(), "read certificate presence", ""));
            }
            Ok(r.into_data())
        })?;
        match data.as_slice() {
            [sign, auth, ..] => Ok(CertificatePresence {
                sign: *sign != 0x00,
                auth: *auth != 0x00,
            }),
            _ => Err(CardError::Malformed {
                ef: EF_PRESENCE,
                reason: format!("{} bytes, expected 3", data.len()),
            }),
        }
    }

    /// Reads the authentication certificate. Smartphone tokens need [`Jpki::verify_auth_pin`] first.
    pub fn read_auth_certificate(&mut self) -> Result<AuthCertificate, CardError> {
        self.session
            .read_object(
                &JPKI_AID,
                EF_AUTH_CERT,
                "read authentication certificate",
                "authentication PIN",
            )
            .map(AuthCertificate)
    }

    /// Reads the authentication CA certificate.
    pub fn read_auth_ca_certificate(&mut self) -> Result<AuthCaCertificate, CardError> {
        self.session
            .read_object(
                &JPKI_AID,
                EF_AUTH_CA,
                "read authentication CA certificate",
                "",
            )
            .map(AuthCaCertificate)
    }

    /// Reads the signature CA certificate.
    pub fn read_sign_ca_certificate(&mut self) -> Result<SignCaCertificate, CardError> {
        self.session
            .read_object(&JPKI_AID, EF_SIGN_CA, "read signature CA certificate", "")
            .map(SignCaCertificate)
    }

    /// Verifies the signature password (behind the lockout guard), then reads the signature
    /// certificate, holding exclusive access throughout.
    pub fn read_sign_certificate(
        &mut self,
        password: &SignPassword,
        last_try: LastTry,
    ) -> Result<SignCertificate, CardError> {
        self.session.exclusive(|s| {
            s.verify_once(&JPKI_AID, EF_SIGN_PIN, PIN_P2, password, last_try)?;
            s.read_object(
                &JPKI_AID,
                EF_SIGN_CERT,
                "read signature certificate",
                "signature password",
            )
            .map(SignCertificate)
        })
    }

    /// Status of both secrets, without spending a try.
    pub fn pin_status(&mut self) -> Result<JpkiPinStatus, CardError> {
        let auth =
            self.session
                .pin_status(&JPKI_AID, EF_AUTH_PIN, PIN_P2, "authentication PIN status")?;
        let sign = match self.session.pin_status(
            &JPKI_AID,
            EF_SIGN_PIN,
            PIN_P2,
            "signature password status",
        ) {
            Ok(s) => Some(s),
            Err(CardError::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        Ok(JpkiPinStatus { auth, sign })
    }

    /// Verifies the authentication PIN behind the lockout guard.
    pub fn verify_auth_pin(&mut self, pin: &AuthPin, last_try: LastTry) -> Result<(), CardError> {
        self.session
            .verify(&JPKI_AID, EF_AUTH_PIN, PIN_P2, pin, last_try)
    }

    /// Verifies the signature password behind the lockout guard.
    pub fn verify_sign_password(
        &mut self,
        password: &SignPassword,
        last_try: LastTry,
    ) -> Result<(), CardError> {
        self.session
            .verify(&JPKI_AID, EF_SIGN_PIN, PIN_P2, password, last_try)
    }

    /// Changes the authentication PIN: verifies `current` (behind the guard), then sets `new`.
    pub fn change_auth_pin(
        &mut self,
        current: &AuthPin,
        new: &AuthPin,
        last_try: LastTry,
    ) -> Result<(), CardError> {
        self.change(EF_AUTH_PIN, current, new.bytes(), last_try)
    }

    /// Changes the signature password: verifies `current` (behind the guard), then sets `new`.
    pub fn change_sign_password(
        &mut self,
        current: &SignPassword,
        new: &SignPassword,
        last_try: LastTry,
    ) -> Result<(), CardError> {
        self.change(EF_SIGN_PIN, current, new.bytes(), last_try)
    }

    fn change<S: Secret>(
        &mut self,
        pin_ef: u16,
        current: &S,
        new: &[u8],
        last_try: LastTry,
    ) -> Result<(), CardError> {
        self.session.exclusive(|s| {
            s.verify(&JPKI_AID, pin_ef, PIN_P2, current, last_try)?;
            s.change_reference_data(&JPKI_AID, pin_ef, new, S::KIND)
        })
    }

    /// Signs a DigestInfo with the authentication key: reads the PIN counter, verifies the PIN
    /// (behind the guard) and signs, holding exclusive access throughout.
    pub fn sign_with_auth_key(
        &mut self,
        pin: &AuthPin,
        digest_info: &DigestInfo,
        last_try: LastTry,
    ) -> Result<Signature, CardError> {
        self.sign(
            EF_AUTH_PIN,
            EF_AUTH_KEY,
            pin,
            digest_info,
            last_try,
            "authentication PIN",
        )
    }

    /// Reads the authentication certificate and signs `digest_info` with the authentication key,
    /// in the order the token needs, and says which token answered. A card gives its certificate
    /// without the PIN, so it is read first and the PIN is used only for the signature; a
    /// smartphone token ([`TokenKind::auth_certificate_needs_pin`]) gets the PIN first. Either way
    /// the PIN is verified once, behind the lockout guard.
    pub fn authenticate(
        &mut self,
        pin: &AuthPin,
        digest_info: &DigestInfo,
        last_try: LastTry,
    ) -> Result<Authentication, CardError> {
        let token = self.token_kind()?;
        let pin_first = token.auth_certificate_needs_pin();
        let key_p2 = 0x80 | u8::try_from(EF_AUTH_KEY).unwrap_or(0);
        let (certificate, signature) = self.session.exclusive(|s| {
            let read = |s: &mut Session<&mut dyn Transport>| {
                s.read_object(
                    &JPKI_AID,
                    EF_AUTH_CERT,
                    "read authentication certificate",
                    "authentication PIN",
                )
            };
            let certificate = if pin_first {
                s.verify(&JPKI_AID, EF_AUTH_PIN, PIN_P2, pin, last_try)?;
                read(s)?
            } else {
                let certificate = read(s)?;
                s.verify(&JPKI_AID, EF_AUTH_PIN, PIN_P2, pin, last_try)?;
                certificate
            };
            let signature = s.compute_signature(
                &JPKI_AID,
                key_p2,
                digest_info.as_der(),
                "COMPUTE DIGITAL SIGNATURE",
                "authentication PIN",
            )?;
            Ok((certificate, signature))
        })?;
        Ok(Authentication {
            token,
            certificate: AuthCertificate(certificate),
            signature: Signature(signature),
        })
    }

    /// Hashes `message` (SHA-256 by default) and signs it with the authentication key.
    pub fn sign_message_with_auth_key(
        &mut self,
        pin: &AuthPin,
        algorithm: HashAlgorithm,
        message: &[u8],
        last_try: LastTry,
    ) -> Result<Signature, CardError> {
        self.sign_with_auth_key(pin, &DigestInfo::of_message(algorithm, message), last_try)
    }

    /// Signs a DigestInfo with the signature key (verifying the signature password first).
    pub fn sign_with_sign_key(
        &mut self,
        password: &SignPassword,
        digest_info: &DigestInfo,
        last_try: LastTry,
    ) -> Result<Signature, CardError> {
        self.sign(
            EF_SIGN_PIN,
            EF_SIGN_KEY,
            password,
            digest_info,
            last_try,
            "signature password",
        )
    }

    /// Hashes `message` and signs it with the signature key.
    pub fn sign_message_with_sign_key(
        &mut self,
        password: &SignPassword,
        algorithm: HashAlgorithm,
        message: &[u8],
        last_try: LastTry,
    ) -> Result<Signature, CardError> {
        self.sign_with_sign_key(
            password,
            &DigestInfo::of_message(algorithm, message),
            last_try,
        )
    }

    fn sign<S: Secret>(
        &mut self,
        pin_ef: u16,
        key_ef: u16,
        secret: &S,
        digest_info: &DigestInfo,
        last_try: LastTry,
        needs: &'static str,
    ) -> Result<Signature, CardError> {
        debug_assert!(matches!(
            S::KIND,
            SecretKind::AuthPin | SecretKind::SignPassword
        ));
        // P2 = 80|id names the key: no SELECT of the key EF (one APDU fewer per signature).
        let key_p2 = 0x80 | u8::try_from(key_ef).unwrap_or(0);
        self.session.exclusive(|s| {
            s.verify(&JPKI_AID, pin_ef, PIN_P2, secret, last_try)?;
            s.compute_signature(
                &JPKI_AID,
                key_p2,
                digest_info.as_der(),
                "COMPUTE DIGITAL SIGNATURE",
                needs,
            )
            .map(Signature)
        })
    }
}
