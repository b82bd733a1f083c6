//! Ready-made cards: a persona, the test PKI, and a card holding both, in one call.

use zeroize::Zeroizing;

use crate::card::{CardContents, SignContents, TextApContents, VisualApContents};
use crate::kenmen::{text_ap_files, visual_ap_files};
use crate::pki::{
    Generation, HolderCredentials, IssueSpec, Persona, PersonaBuilder, Purpose, TestPki,
    fixture_key,
};
use crate::{CardConfig, Error, TokenKind, VirtualCard};

/// The fixture key that signs the card-face applications' integrity data.
const CARD_FACE_SIGNER: usize = 23;

/// Builds a virtual card for a persona, with certificates from the test PKI.
///
/// ```
/// use kazasu_virtual_card::VirtualCardBuilder;
///
/// let issued = VirtualCardBuilder::new(0).build()?;
/// assert_eq!(issued.persona.name, "山田 花子");
/// # Ok::<(), kazasu_virtual_card::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct VirtualCardBuilder {
    seed: u64,
    persona: Option<Persona>,
    config: CardConfig,
    spec: IssueSpec,
    with_signature: bool,
}

/// A card and everything it was made from, so tests can check what the card says.
#[derive(Debug)]
pub struct IssuedCard {
    /// The card.
    pub card: VirtualCard,
    /// The PKI that issued its certificates.
    pub pki: TestPki,
    /// The person it belongs to.
    pub persona: Persona,
    /// Its certificates and keys.
    pub holder: HolderCredentials,
}

impl VirtualCardBuilder {
    /// A builder whose PKI and default persona derive from `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            persona: None,
            config: CardConfig::default(),
            spec: IssueSpec::default(),
            with_signature: true,
        }
    }

    /// Uses this persona instead of the seed's.
    #[must_use]
    pub fn persona(mut self, persona: Persona) -> Self {
        self.persona = Some(persona);
        self
    }

    /// The token kind.
    #[must_use]
    pub fn token(mut self, token: TokenKind) -> Self {
        self.config.token = token;
        self
    }

    /// Whether extended APDUs are accepted.
    #[must_use]
    pub fn extended_apdus(mut self, on: bool) -> Self {
        self.config.extended_apdus = on;
        self
    }

    /// Answers longer than `n` bytes come in parts behind `61xx`.
    #[must_use]
    pub fn response_chunk(mut self, n: Option<usize>) -> Self {
        self.config.response_chunk = n;
        self
    }

    /// How the holder's certificates are issued (generation, key slot, serial, validity).
    #[must_use]
    pub fn issue_spec(mut self, spec: IssueSpec) -> Self {
        self.spec = spec;
        self
    }

    /// Without the signature certificate (a holder under 15).
    #[must_use]
    pub fn without_signature_certificate(mut self) -> Self {
        self.with_signature = false;
        self
    }

    /// Issues the certificates and builds the card.
    pub fn build(self) -> Result<IssuedCard, Error> {
        let persona = match self.persona {
            Some(p) => p,
            None => PersonaBuilder::from_seed(self.seed).build()?,
        };
        let pki = TestPki::new(self.seed)?;
        let holder = pki.issue(&persona, &self.spec)?;
        let generation: Generation = self.spec.generation;
        let auth_ca = pki.root(Purpose::Authentication, generation).der.clone();
        let sign_ca = pki.root(Purpose::Signature, generation).der.clone();
        let signer = fixture_key(CARD_FACE_SIGNER)?;
        let card_face = self.config.token == TokenKind::MyNumberCard;
        let text_ap = if card_face {
            Some(TextApContents {
                files: text_ap_files(&persona, &signer, self.config.extended_apdus)?,
                pin: persona.card_info_pin.clone(),
                code_a: persona.verification_code_a(),
                code_b: persona.verification_code_b(),
            })
        } else {
            None
        };
        let visual_ap = if card_face {
            Some(VisualApContents {
                files: visual_ap_files(&persona, &signer)?,
                code_a: persona.verification_code_a(),
                code_b: persona.verification_code_b(),
            })
        } else {
            None
        };
        let sign = self.with_signature.then(|| SignContents {
            certificate: holder.sign_certificate.clone(),
            key: holder.sign_key.clone(),
            password: Zeroizing::new(persona.sign_password.to_string()),
        });
        let contents = CardContents {
            auth_certificate: holder.auth_certificate.clone(),
            auth_key: holder.auth_key.clone(),
            auth_pin: persona.auth_pin.clone(),
            auth_ca_certificate: auth_ca,
            sign_ca_certificate: sign_ca,
            sign,
            text_ap,
            visual_ap,
        };
        Ok(IssuedCard {
            card: VirtualCard::new(contents, self.config),
            pki,
            persona,
            holder,
        })
    }
}
