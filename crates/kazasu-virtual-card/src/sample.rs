//! Ready-made cards: a persona, the test PKI, and a card holding both, in one call — genuine, or one of
//! the counterfeits a verifier must catch.

use std::collections::BTreeMap;

use rsa::{PrivateKey, PublicKey};
use zeroize::Zeroizing;

use crate::card::{
    ATR, CardContents, CommonContents, SignContents, TextApContents, VisualApContents,
};
use crate::kenmen::{ApKeys, common_record, flip_element, text_ap_files, visual_ap_files};
use crate::pki::cvc::{CvcCa, card_keys, issued_key_id};
use crate::pki::{
    CvcHierarchy, CvcKeyId, Generation, HolderCredentials, IssueSpec, Persona, PersonaBuilder,
    PkiError, Purpose, TestPki, build_cvc, fixture_key,
};
use crate::{CardConfig, Error, TokenKind, VirtualCard};

/// A counterfeit card, for tests of verifiers. Genuine files on another chip fail the challenge (the
/// chip's answer does not verify with the card key of the signed records); a self-made card fails its
/// CVC (unknown issuer, or a signature the CA key does not verify); everything else about it is consistent.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum Counterfeit {
    /// Genuine files (records, CVCs) copied onto another chip: the chip keys that answer the challenge
    /// (`001A` of the 券面事項確認AP, `0013` of the 券面事項入力補助AP) are another key
    /// ([`card_keys::OTHER_CHIP`]) than the one the signed records carry.
    CopiedToOtherChip,
    /// A self-made card: the records are signed by the maker's own issuer key and its CVCs by a CA key
    /// outside the hierarchy ([`card_keys::ROGUE_CA`]) under issuer ids the hierarchy does not have
    /// (`6999920`, `6999923`, `6999933`). Records and chip keys are consistent with each other.
    SelfMadeUnknownIssuer,
    /// As [`Counterfeit::SelfMadeUnknownIssuer`], but the CVCs name the genuine CA ids (`6000020/23/33`):
    /// their signatures do not verify with the CA keys.
    SelfMadeWrongSignature,
    /// As [`Counterfeit::SelfMadeUnknownIssuer`], with production-looking ids (`5000020/23/33`).
    SelfMadeProductionIds,
}

/// Which card-face application a [`Tamper`] applies to.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum KenmenAp {
    /// 券面事項入力補助AP.
    Text,
    /// 券面事項確認AP.
    Visual,
}

/// A record changed after it was hashed and signed: the lowest bit of the last value byte of element
/// `tag` of EF `ef` is flipped (e.g. `(Text, 0x0002, 0xDF22)`: the name no longer matches `DF32`;
/// `(Visual, 0x0001, 0xDF13)`: the age record's signature is broken).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Tamper {
    /// The application.
    pub ap: KenmenAp,
    /// The EF.
    pub ef: u16,
    /// The element's 2-byte tag.
    pub tag: u16,
}

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
    counterfeit: Option<Counterfeit>,
    tampers: Vec<Tamper>,
}

/// A card and everything it was made from, so tests can check what the card says.
#[derive(Debug)]
pub struct IssuedCard {
    /// The card.
    pub card: VirtualCard,
    /// The PKI that issued its certificates.
    pub pki: TestPki,
    /// The test CVC hierarchy (the CA keys a verifier is configured with).
    pub cvc: CvcHierarchy,
    /// The person it belongs to.
    pub persona: Persona,
    /// Its certificates and keys.
    pub holder: HolderCredentials,
    /// The 15-digit card serial (共通AP record, GET DATA `0045`).
    pub card_serial: String,
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
            counterfeit: None,
            tampers: Vec::new(),
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

    /// Makes a counterfeit card of this kind.
    #[must_use]
    pub fn counterfeit(mut self, kind: Counterfeit) -> Self {
        self.counterfeit = Some(kind);
        self
    }

    /// Changes a record after signing (may be given several times).
    #[must_use]
    pub fn tamper(mut self, tamper: Tamper) -> Self {
        self.tampers.push(tamper);
        self
    }

    /// Issues the certificates and builds the card.
    pub fn build(self) -> Result<IssuedCard, Error> {
        let persona = match self.persona {
            Some(p) => p,
            None => PersonaBuilder::from_seed(self.seed).build()?,
        };
        let pki = TestPki::new(self.seed)?;
        let cvc = CvcHierarchy::new()?;
        let holder = pki.issue(&persona, &self.spec)?;
        let generation: Generation = self.spec.generation;
        let auth_ca = pki.root(Purpose::Authentication, generation).der.clone();
        let sign_ca = pki.root(Purpose::Signature, generation).der.clone();
        let card_serial = card_serial(self.seed);
        let card_face = self.config.token == TokenKind::MyNumberCard;

        let issuer = Issuer::new(&cvc, self.counterfeit)?;
        let (text_ap, visual_ap, common) = if card_face {
            let made = kenmen_contents(
                &persona,
                &issuer,
                self.counterfeit,
                &self.tampers,
                self.config.extended_apdus,
            )?;
            let common = common_contents(&persona, &issuer, &card_serial)?;
            (Some(made.0), Some(made.1), Some(common))
        } else {
            (None, None, None)
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
            common,
            challenge_seed: self.seed,
        };
        Ok(IssuedCard {
            card: VirtualCard::new(contents, self.config),
            pki,
            cvc,
            persona,
            holder,
            card_serial,
        })
    }
}

/// The 15-digit serial of the seed's card: `6` (a test card) and 14 digits from the seed.
fn card_serial(seed: u64) -> String {
    let mut s = seed ^ 0x4B41_5A41_5355_0011;
    let a = crate::pki::splitmix64(&mut s) % 100_000_000_000_000;
    format!("6{a:014}")
}

/// Who issues the CVCs: the hierarchy, or a counterfeiter.
struct Issuer<'a> {
    hierarchy: &'a CvcHierarchy,
    counterfeit: Option<Counterfeit>,
    rogue_ca: Option<PrivateKey>,
}

impl<'a> Issuer<'a> {
    fn new(hierarchy: &'a CvcHierarchy, counterfeit: Option<Counterfeit>) -> Result<Self, Error> {
        let self_made = matches!(
            counterfeit,
            Some(
                Counterfeit::SelfMadeUnknownIssuer
                    | Counterfeit::SelfMadeWrongSignature
                    | Counterfeit::SelfMadeProductionIds
            )
        );
        let rogue_ca = if self_made {
            Some(fixture_key(card_keys::ROGUE_CA)?)
        } else {
            None
        };
        Ok(Self {
            hierarchy,
            counterfeit,
            rogue_ca,
        })
    }

    /// The id the CA `ca` goes by on this card.
    fn ca_id(&self, ca: CvcCa) -> CvcKeyId {
        let mut id = ca.key_id();
        match self.counterfeit {
            Some(Counterfeit::SelfMadeUnknownIssuer) => id.0[1..5].copy_from_slice(b"9999"),
            Some(Counterfeit::SelfMadeProductionIds) => id.0[0] = b'5',
            _ => {}
        }
        id
    }

    /// The id of the key issued under `ca` on this card.
    fn subject_id(&self, ca: CvcCa) -> CvcKeyId {
        let mut id = issued_key_id(ca);
        id.0[..7].copy_from_slice(&self.ca_id(ca).0[..7]);
        id
    }

    /// A CVC by `ca` (or by the counterfeiter's CA under `ca`'s id on this card).
    fn issue(
        &self,
        ca: CvcCa,
        subject: &CvcKeyId,
        subject_key: &PublicKey,
    ) -> Result<Vec<u8>, PkiError> {
        match &self.rogue_ca {
            Some(rogue) => build_cvc(&self.ca_id(ca), subject, subject_key, rogue),
            None => self.hierarchy.issue(ca, subject, subject_key),
        }
    }
}

/// Both card-face APs, with counterfeits and tampering applied.
fn kenmen_contents(
    persona: &Persona,
    issuer: &Issuer<'_>,
    counterfeit: Option<Counterfeit>,
    tampers: &[Tamper],
    extended_apdus: bool,
) -> Result<(TextApContents, VisualApContents), Error> {
    let self_made = issuer.rogue_ca.is_some();
    let (text_issuer, visual_issuer) = if self_made {
        (
            fixture_key(card_keys::ROGUE_ISSUER)?,
            fixture_key(card_keys::ROGUE_ISSUER)?,
        )
    } else {
        (
            fixture_key(card_keys::TEXT_ISSUER)?,
            fixture_key(card_keys::VISUAL_ISSUER)?,
        )
    };
    // The chip keys the records carry, and the ones the chip really signs with.
    let text_chip = fixture_key(card_keys::TEXT_CHIP)?;
    let visual_chip = fixture_key(card_keys::VISUAL_CHIP)?;
    let (text_signer, visual_signer) = if counterfeit == Some(Counterfeit::CopiedToOtherChip) {
        (
            fixture_key(card_keys::OTHER_CHIP)?,
            fixture_key(card_keys::OTHER_CHIP)?,
        )
    } else {
        (text_chip.clone(), visual_chip.clone())
    };
    let sm_key = fixture_key(card_keys::TEXT_SECURE_MESSAGING)?;

    let text_id = issuer.subject_id(CvcCa::Text);
    let text_cvc = issuer.issue(CvcCa::Text, &text_id, text_issuer.as_public_key())?;
    let mut text_files = text_ap_files(
        persona,
        &ApKeys {
            issuer: &text_issuer,
            issuer_key_id: text_id,
            cvc: &text_cvc,
            card_key: text_chip.as_public_key(),
        },
        sm_key.as_public_key(),
        extended_apdus,
    )?;
    let visual_id = issuer.subject_id(CvcCa::Visual);
    let visual_cvc = issuer.issue(CvcCa::Visual, &visual_id, visual_issuer.as_public_key())?;
    let mut visual_files = visual_ap_files(
        persona,
        &ApKeys {
            issuer: &visual_issuer,
            issuer_key_id: visual_id,
            cvc: &visual_cvc,
            card_key: visual_chip.as_public_key(),
        },
        extended_apdus,
    )?;

    for t in tampers {
        let file = match (t.ap, t.ef) {
            (KenmenAp::Text, 0x0001) => &mut text_files.my_number,
            (KenmenAp::Text, 0x0002) => &mut text_files.basic_info,
            (KenmenAp::Text, 0x0003) => &mut text_files.integrity,
            (KenmenAp::Text, 0x0005) => &mut text_files.ap_info,
            (KenmenAp::Text, 0x0007) => &mut text_files.card_key,
            (KenmenAp::Visual, 0x0001) => &mut visual_files.age,
            (KenmenAp::Visual, 0x0002) => &mut visual_files.card_face,
            (KenmenAp::Visual, 0x0003) => &mut visual_files.ap_info,
            (KenmenAp::Visual, 0x0005) => &mut visual_files.my_number_image,
            _ => return Err(PkiError::Invalid(format!("cannot tamper with {t:?}")).into()),
        };
        // EF 0001 of the text AP is `FF 10 0C` + digits: one 2-byte-tag object with no children.
        let done = if (t.ap, t.ef) == (KenmenAp::Text, 0x0001) {
            t.tag == 0xFF10 && flip_last_digit(file)
        } else {
            flip_element(file, t.tag)
        };
        if !done {
            return Err(PkiError::Invalid(format!("no element to tamper with: {t:?}")).into());
        }
    }

    let text = TextApContents {
        files: text_files,
        pin: persona.card_info_pin.clone(),
        code_a: persona.verification_code_a(),
        code_b: persona.verification_code_b(),
        chip_key: text_signer,
        sm_key,
    };
    let visual = VisualApContents {
        files: visual_files,
        code_a: persona.verification_code_a(),
        code_b: persona.verification_code_b(),
        birth_date_key: persona.birth_date_key(),
        chip_key: visual_signer,
    };
    Ok((text, visual))
}

/// Flips the lowest bit of the 12th digit of the text AP's EF `0001`.
fn flip_last_digit(file: &mut [u8]) -> bool {
    match file.get_mut(14) {
        Some(b) => {
            *b ^= 0x01;
            true
        }
        None => false,
    }
}

/// The 共通AP record, the 住基AP PIN and the master file's GET DATA objects.
fn common_contents(
    persona: &Persona,
    issuer: &Issuer<'_>,
    card_serial: &str,
) -> Result<CommonContents, Error> {
    let intermediate = fixture_key(CvcCa::MasterFileIntermediate.fixture_index())?;
    let lower = fixture_key(card_keys::MASTER_FILE_LOWER)?;
    let intermediate_id = issuer.ca_id(CvcCa::MasterFileIntermediate);
    let root_cvc = issuer.issue(
        CvcCa::MasterFileRoot,
        &intermediate_id,
        intermediate.as_public_key(),
    )?;
    let lower_id = issuer.subject_id(CvcCa::MasterFileIntermediate);
    let lower_cvc = issuer.issue(
        CvcCa::MasterFileIntermediate,
        &lower_id,
        lower.as_public_key(),
    )?;
    let expiry = persona.card_expiry;
    let record = common_record(card_serial, &persona.municipality_code, expiry)?;
    let mut get_data = BTreeMap::new();
    get_data.insert(0x00F0, persona.municipality_code.as_bytes().to_vec());
    get_data.insert(
        0x00F2,
        record.get(22..).unwrap_or_default().to_vec(), // the expiry digits of the record
    );
    get_data.insert(0x0045, card_serial.as_bytes().to_vec());
    get_data.insert(0x00F7, intermediate_id.0.to_vec());
    // GET DATA returns a CVC's content without the `7F 21 82 02 33` wrapper.
    get_data.insert(0x00F8, root_cvc.get(5..).unwrap_or_default().to_vec());
    get_data.insert(0x7F21, lower_cvc.get(5..).unwrap_or_default().to_vec());
    get_data.insert(0x5F51, ATR.to_vec());
    Ok(CommonContents {
        record,
        resident_pin: persona.resident_pin.clone(),
        get_data,
    })
}
