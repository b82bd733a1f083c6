//! [`TestPki`]: the four JPKI roots and the holder certificates and CRLs they issue.

use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime, UtcOffset};

use super::cert::{
    CaCertificate, CertTemplate, Generation, IssuerMaterial, KeyChoice, Purpose, build_certificate,
    default_holder_not_before, key_identifier,
};
use super::crl::{CrlSpec, build_crl};
use super::{FIXTURE_KEY_COUNT, Issuer, Persona, PkiError};

/// Number of holder key slots: slot `s` uses fixture keys `4 + 2s` (authentication) and `5 + 2s`
/// (signature); keys 0–3 are the roots, key 23 and keys 24–35 belong to the card-face applications and
/// the CVC hierarchy ([`crate::pki::cvc`]).
pub const HOLDER_SLOTS: usize = 9;

/// The fixture key of the 券面事項入力補助AP issuer key (it signs that AP's records and is certified by the
/// test CVC CA `6000033`); the X.509 PKI never uses it.
pub const CARD_SIGNER_KEY: usize = 23;

/// How to issue a holder's pair of certificates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssueSpec {
    /// Which root generation issues them.
    pub generation: Generation,
    /// Holder key slot, `0..HOLDER_SLOTS` (see [`HOLDER_SLOTS`]).
    pub key_slot: usize,
    /// Serial of the authentication certificate; the signature certificate gets `serial + 1`.
    /// `None` derives both from the PKI seed, the persona, the slot and the generation.
    pub serial: Option<u64>,
    /// Validity start of both certificates.
    pub not_before: OffsetDateTime,
    /// Validity end of both certificates. `None` follows JPKI's rule: the holder's 5th birthday
    /// after `not_before`, 23:59:59 JST (see [`jpki_not_after`]).
    pub not_after: Option<OffsetDateTime>,
}

impl Default for IssueSpec {
    /// Generation 2023, slot 0, derived serials, from 2025-01-01T00:00:00Z to the holder's 5th
    /// birthday after that, 23:59:59 JST.
    fn default() -> Self {
        Self {
            generation: Generation::G2023,
            key_slot: 0,
            serial: None,
            not_before: default_holder_not_before(),
            not_after: None,
        }
    }
}

/// JPKI's expiry rule for holder certificates: the holder's 5th birthday after `issued`, at
/// 23:59:59 JST. A birthday on 29 February counts as 28 February in common years.
pub fn jpki_not_after(birth_date: Date, issued: OffsetDateTime) -> OffsetDateTime {
    let jst = UtcOffset::from_hms(9, 0, 0).unwrap_or(UtcOffset::UTC);
    let issue_day = issued.to_offset(jst).date();
    let birthday_in = |year: i32| {
        let day = birth_date
            .day()
            .min(time::util::days_in_month(birth_date.month(), year));
        Date::from_calendar_date(year, birth_date.month(), day).unwrap_or(issue_day)
    };
    // The first birthday strictly after the issue day, then four more.
    let mut year = issue_day.year();
    if birthday_in(year) <= issue_day {
        year += 1;
    }
    let last = birthday_in(year + 4);
    last.with_hms(23, 59, 59)
        .map(|t| t.assume_offset(jst))
        .unwrap_or(issued)
}

impl IssueSpec {
    /// The `notAfter` these certificates get for `persona`.
    pub fn not_after_for(&self, persona: &Persona) -> OffsetDateTime {
        self.not_after
            .unwrap_or_else(|| jpki_not_after(persona.birth_date, self.not_before))
    }
}

impl IssueSpec {
    /// The fixture key index of the holder's key for `purpose`.
    pub fn key_index(&self, purpose: Purpose) -> Result<usize, PkiError> {
        if self.key_slot >= HOLDER_SLOTS {
            return Err(PkiError::Invalid(format!(
                "key slot {} out of range 0..{HOLDER_SLOTS}",
                self.key_slot
            )));
        }
        let base = 4 + 2 * self.key_slot;
        match purpose {
            Purpose::Authentication => Ok(base),
            Purpose::Signature => Ok(base + 1),
            other => Err(PkiError::Invalid(format!(
                "the test PKI issues no {other} certificates"
            ))),
        }
    }
}

/// A holder's two certificates and private keys, as a card carries them.
#[derive(Clone, Debug)]
pub struct HolderCredentials {
    /// 利用者証明用電子証明書, DER.
    pub auth_certificate: Vec<u8>,
    /// Its private key.
    pub auth_key: rsa::PrivateKey,
    /// 署名用電子証明書, DER.
    pub sign_certificate: Vec<u8>,
    /// Its private key.
    pub sign_key: rsa::PrivateKey,
    /// Serial of the authentication certificate, unsigned big-endian.
    pub auth_serial: Vec<u8>,
    /// Serial of the signature certificate, unsigned big-endian.
    pub sign_serial: Vec<u8>,
}

/// Trust anchors and CRLs of a [`TestPki`], as DER ([`TestPki::verification_material`]).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct VerificationMaterial {
    /// The four root certificates.
    pub roots: Vec<Vec<u8>>,
    /// One current CRL per root.
    pub crls: Vec<Vec<u8>>,
}

/// A deterministic JPKI-profile test PKI: the same seed gives byte-identical certificates and CRLs.
///
/// The four roots (authentication/signature × 2015/2023) are the same for every seed; the seed
/// chooses holder serials and opaque subject IDs.
#[derive(Clone, Debug)]
pub struct TestPki {
    seed: u64,
    roots: [CaCertificate; 4],
}

impl TestPki {
    /// Builds the four roots on fixture keys 0–3.
    pub fn new(seed: u64) -> Result<Self, PkiError> {
        let root = |purpose, generation| -> Result<CaCertificate, PkiError> {
            let template = CertTemplate::jpki_root(purpose, generation)?;
            Ok(CaCertificate {
                der: build_certificate(&template, None)?,
                key: template.subject_key.load()?,
                purpose,
                generation,
            })
        };
        Ok(Self {
            seed,
            roots: [
                root(Purpose::Authentication, Generation::G2015)?,
                root(Purpose::Authentication, Generation::G2023)?,
                root(Purpose::Signature, Generation::G2015)?,
                root(Purpose::Signature, Generation::G2023)?,
            ],
        })
    }

    /// The seed this PKI was built from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The root of `purpose` and `generation`.
    pub fn root(&self, purpose: Purpose, generation: Generation) -> &CaCertificate {
        let [auth15, auth23, sign15, sign23] = &self.roots;
        match (purpose, generation) {
            (Purpose::Authentication, Generation::G2015) => auth15,
            (Purpose::Authentication, Generation::G2023) => auth23,
            // Signature; the test PKI has no hierarchy of another purpose.
            (_, Generation::G2015) => sign15,
            (_, Generation::G2023) => sign23,
        }
    }

    /// All four roots.
    pub fn roots(&self) -> &[CaCertificate] {
        &self.roots
    }

    /// What a verifier needs to trust this PKI at `at`, as DER: the four roots and, for each, an
    /// empty CRL current at `at` (`CrlSpec::valid_at`). Feed them to `kazasu_pki`'s
    /// `TrustStore::from_der_all` and `CrlSet::from_der_all` — no sandbox needed.
    pub fn verification_material(
        &self,
        at: OffsetDateTime,
    ) -> Result<VerificationMaterial, PkiError> {
        let mut crls = Vec::with_capacity(self.roots.len());
        for root in &self.roots {
            crls.push(self.crl(root.purpose, root.generation, &CrlSpec::valid_at(at))?);
        }
        Ok(VerificationMaterial {
            roots: self.roots.iter().map(|r| r.der.clone()).collect(),
            crls,
        })
    }

    /// The opaque subject `CN` of a holder certificate: 20 upper-case hex digits derived from the
    /// seed, the persona's My Number, the purpose, the generation and the key slot.
    pub fn opaque_id(&self, persona: &Persona, spec: &IssueSpec, purpose: Purpose) -> String {
        let h = self.derive(b"opaque-id", persona, spec, purpose);
        h.iter().take(10).map(|b| format!("{b:02X}")).collect()
    }

    /// The serial [`TestPki::issue`] gives the holder certificate of `purpose`.
    pub fn holder_serial(
        &self,
        persona: &Persona,
        spec: &IssueSpec,
        purpose: Purpose,
    ) -> Result<u64, PkiError> {
        if let Some(serial) = spec.serial {
            return match purpose {
                Purpose::Authentication => Ok(serial),
                Purpose::Signature => serial
                    .checked_add(1)
                    .ok_or_else(|| PkiError::Invalid("serial + 1 overflows".into())),
                other => Err(PkiError::Invalid(format!(
                    "the test PKI issues no {other} certificates"
                ))),
            };
        }
        let h = self.derive(b"serial", persona, spec, purpose);
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&h[..8]);
        // Always 8 significant bytes and positive: top byte in 0x01..=0x7F.
        Ok((u64::from_be_bytes(bytes) & 0x7FFF_FFFF_FFFF_FFFF) | 0x0100_0000_0000_0000)
    }

    fn derive(
        &self,
        label: &[u8],
        persona: &Persona,
        spec: &IssueSpec,
        purpose: Purpose,
    ) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"kazasu test PKI\0");
        h.update(label);
        h.update(self.seed.to_be_bytes());
        h.update(persona.my_number.as_str().as_bytes());
        h.update([
            match purpose {
                Purpose::Authentication => 1,
                Purpose::Signature => 2,
                // Any other purpose derives values of its own.
                _ => 0,
            },
            match spec.generation {
                Generation::G2015 => 15,
                Generation::G2023 => 23,
            },
        ]);
        h.update((spec.key_slot as u64).to_be_bytes());
        h.finalize().into()
    }

    /// The template [`TestPki::issue`] uses for the authentication certificate; tweak it for
    /// negative tests and pass it to [`TestPki::issue_with`].
    pub fn auth_template(
        &self,
        persona: &Persona,
        spec: &IssueSpec,
    ) -> Result<CertTemplate, PkiError> {
        let purpose = Purpose::Authentication;
        let mut t = CertTemplate::jpki_auth(
            spec.generation,
            KeyChoice::Fixture(spec.key_index(purpose)?),
            self.holder_serial(persona, spec, purpose)?,
            &self.opaque_id(persona, spec, purpose),
        )?;
        t.not_before = spec.not_before;
        t.not_after = spec.not_after_for(persona);
        Ok(t)
    }

    /// The template [`TestPki::issue`] uses for the signature certificate.
    pub fn sign_template(
        &self,
        persona: &Persona,
        spec: &IssueSpec,
    ) -> Result<CertTemplate, PkiError> {
        let purpose = Purpose::Signature;
        let mut t = CertTemplate::jpki_sign(
            spec.generation,
            KeyChoice::Fixture(spec.key_index(purpose)?),
            self.holder_serial(persona, spec, purpose)?,
            &self.opaque_id(persona, spec, purpose),
            persona,
        )?;
        t.not_before = spec.not_before;
        t.not_after = spec.not_after_for(persona);
        Ok(t)
    }

    /// Issues `persona`'s authentication and signature certificates.
    pub fn issue(
        &self,
        persona: &Persona,
        spec: &IssueSpec,
    ) -> Result<HolderCredentials, PkiError> {
        let auth = self.auth_template(persona, spec)?;
        let sign = self.sign_template(persona, spec)?;
        Ok(HolderCredentials {
            auth_certificate: self.issue_with(&auth)?,
            auth_key: auth.subject_key.load()?,
            sign_certificate: self.issue_with(&sign)?,
            sign_key: sign.subject_key.load()?,
            auth_serial: auth.serial,
            sign_serial: sign.serial,
        })
    }

    /// Issues exactly what `template` describes.
    pub fn issue_with(&self, template: &CertTemplate) -> Result<Vec<u8>, PkiError> {
        let issuer = match &template.issuer {
            Issuer::Root {
                purpose,
                generation,
            } => {
                let root = self.root(*purpose, *generation);
                Some(IssuerMaterial::from_certificate(
                    &root.der,
                    root.key.clone(),
                )?)
            }
            Issuer::SelfSigned => None,
            Issuer::Certificate { certificate, key } => {
                Some(IssuerMaterial::from_certificate(certificate, key.load()?)?)
            }
        };
        build_certificate(template, issuer)
    }

    /// A CRL of the `purpose`/`generation` root (issuer = root subject, AKI = root key identifier).
    pub fn crl(
        &self,
        purpose: Purpose,
        generation: Generation,
        spec: &CrlSpec,
    ) -> Result<Vec<u8>, PkiError> {
        let root = self.root(purpose, generation);
        let issuer = IssuerMaterial::from_certificate(&root.der, root.key.clone())?;
        build_crl(&issuer.name, &key_identifier(&root.key)?, &root.key, spec)
    }
}

const _: () =
    assert!(4 + 2 * HOLDER_SLOTS <= CARD_SIGNER_KEY && CARD_SIGNER_KEY < FIXTURE_KEY_COUNT);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::PersonaBuilder;

    #[test]
    fn key_slots() {
        let mut spec = IssueSpec::default();
        assert_eq!(spec.key_index(Purpose::Authentication).unwrap(), 4);
        assert_eq!(spec.key_index(Purpose::Signature).unwrap(), 5);
        spec.key_slot = HOLDER_SLOTS - 1;
        assert_eq!(spec.key_index(Purpose::Signature).unwrap(), 21);
        spec.key_slot = HOLDER_SLOTS;
        assert!(spec.key_index(Purpose::Authentication).is_err());
    }

    #[test]
    fn serials_are_distinct_and_positive() {
        let pki = TestPki::new(3).unwrap();
        let mut seen = std::collections::HashSet::new();
        for seed in 0..4 {
            let persona = PersonaBuilder::from_seed(seed).build().unwrap();
            for generation in Generation::ALL {
                for key_slot in 0..HOLDER_SLOTS {
                    let spec = IssueSpec {
                        generation,
                        key_slot,
                        ..IssueSpec::default()
                    };
                    for purpose in Purpose::ALL {
                        let s = pki.holder_serial(&persona, &spec, purpose).unwrap();
                        assert!(s.to_be_bytes()[0] >= 1 && s.to_be_bytes()[0] < 0x80);
                        assert!(seen.insert(s));
                    }
                }
            }
        }
        let spec = IssueSpec {
            serial: Some(41),
            ..IssueSpec::default()
        };
        let persona = Persona::sample();
        assert_eq!(
            pki.holder_serial(&persona, &spec, Purpose::Authentication)
                .unwrap(),
            41
        );
        assert_eq!(
            pki.holder_serial(&persona, &spec, Purpose::Signature)
                .unwrap(),
            42
        );
    }

    #[test]
    fn holder_certificates_end_at_the_fifth_birthday_jst() {
        use time::macros::{date, datetime};
        let jst = |d: Date| {
            d.with_hms(23, 59, 59)
                .unwrap()
                .assume_offset(UtcOffset::from_hms(9, 0, 0).unwrap())
        };
        let issued = datetime!(2025-01-01 00:00 UTC);
        assert_eq!(
            jpki_not_after(date!(1990 - 04 - 12), issued),
            jst(date!(2029 - 04 - 12))
        );
        // A birthday on the (JST) issue day is not "after" it.
        assert_eq!(
            jpki_not_after(date!(1990 - 01 - 01), issued),
            jst(date!(2030 - 01 - 01))
        );
        assert_eq!(
            jpki_not_after(date!(1992 - 02 - 29), issued),
            jst(date!(2029 - 02 - 28))
        );
        let persona = Persona::sample();
        let pki = TestPki::new(0).unwrap();
        let spec = IssueSpec::default();
        let t = pki.auth_template(&persona, &spec).unwrap();
        assert_eq!(
            t.not_after,
            jpki_not_after(persona.birth_date, spec.not_before)
        );
        assert_eq!(
            t.not_after
                .to_offset(UtcOffset::from_hms(9, 0, 0).unwrap())
                .date()
                .day(),
            persona.birth_date.day()
        );
    }
}
