//! The linkage flow's test world, on [`crate::sandbox::Sandbox`]: the HPKI test PKI, the test TSA,
//! a registry with doctors, dentists and pharmacists (one licence revoked), and a desk over them.
//!
//! Nothing here is for production: the keys are public fixtures.

use std::sync::Arc;

use kazasu_pki::{Certificate, CrlSet, HpkiVerifier, Purpose, TrustStore};
use kazasu_sign::SoftwareSigner;
use kazasu_sign::tsp::LocalTsa;
use kazasu_virtual_card::pki::x509_cert::ext::pkix::CrlReason;
use kazasu_virtual_card::pki::{
    CrlSpec, Generation, HolderCredentials, HpkiAp, HpkiHolder, HpkiTestPki, Persona,
    PersonaBuilder, RevokedEntry, services::TestTsa,
};
use kazasu_virtual_card::{HpkiCardBuilder, IssuedHpkiCard};
use time::OffsetDateTime;

use super::{LicenceRecord, Linkage, LinkageStore, MemoryRegistry, Profession, QualificationDesk};
use crate::HealthError;
use crate::model::InsuranceSex;
use crate::sandbox::Sandbox;

fn err(e: impl std::fmt::Display) -> HealthError {
    HealthError::Invalid {
        field: "qualification sandbox",
        reason: e.to_string(),
    }
}

/// One professional of the sandbox registry: the persona (their My Number Card) and the licence.
#[derive(Clone, Debug)]
pub struct Professional {
    /// The person (virtual card seed in [`Professional::seed`]).
    pub persona: Persona,
    /// The virtual card seed.
    pub seed: u64,
    /// The profession.
    pub profession: Profession,
    /// The registration number.
    pub registration_number: &'static str,
}

/// The sandbox registry's people: seed 0 a medical doctor (`100001`), seed 1 a dentist
/// (`200002`), seed 2 a pharmacist (`300003`), seed 3 a medical doctor whose licence was revoked
/// (`100004`).
pub fn professionals() -> Result<Vec<Professional>, HealthError> {
    let list = [
        (0, Profession::MedicalDoctor, "100001"),
        (1, Profession::Dentist, "200002"),
        (2, Profession::Pharmacist, "300003"),
        (3, Profession::MedicalDoctor, "100004"),
    ];
    list.into_iter()
        .map(|(seed, profession, registration_number)| {
            Ok(Professional {
                persona: PersonaBuilder::from_seed(seed).build().map_err(err)?,
                seed,
                profession,
                registration_number,
            })
        })
        .collect()
}

/// The sex code of a persona.
pub fn sex_of(persona: &Persona) -> InsuranceSex {
    match persona.sex.code() {
        '1' => InsuranceSex::Male,
        '2' => InsuranceSex::Female,
        _ => InsuranceSex::Unset,
    }
}

/// The sandbox registry (see [`professionals`]); the revoked licence ended 30 days before `at`.
pub fn registry(at: OffsetDateTime) -> Result<MemoryRegistry, HealthError> {
    let registry = MemoryRegistry::new();
    for p in professionals()? {
        registry.insert(LicenceRecord::active(
            p.profession,
            p.registration_number,
            p.persona.name.clone(),
            p.persona.birth_date,
            sex_of(&p.persona),
        ));
    }
    registry.revoke(
        Profession::MedicalDoctor,
        "100004",
        at - time::Duration::days(30),
        "免許取消 (licence revoked)",
    );
    Ok(registry)
}

/// The HPKI side of the sandbox: its PKI, a verifier trusting it (CRLs current at `at`), and the
/// test TSA.
#[derive(Debug)]
pub struct HpkiSandbox {
    /// The HPKI test PKI (the sandbox HPKI CA).
    pub pki: HpkiTestPki,
    /// A verifier trusting its root, with its CAs and current CRLs.
    pub verifier: HpkiVerifier,
    /// The test TSA's root.
    pub tsa_root: Certificate,
    /// The HPKI CRLs and ARLs current at the sandbox's time.
    pub crls: Arc<CrlSet>,
    tsa: TestTsa,
}

impl HpkiSandbox {
    /// The HPKI test PKI with CRLs current at `at`.
    pub fn new(at: OffsetDateTime) -> Result<Self, HealthError> {
        let pki = HpkiTestPki::new().map_err(err)?;
        let m = pki.verification_material(at).map_err(err)?;
        let mut crls = m.crls.clone();
        crls.push(m.sarl.clone());
        crls.push(m.rarl.clone());
        let root = Certificate::from_der(&m.root)?;
        let cas = m
            .cas
            .iter()
            .map(|d| Certificate::from_der(d))
            .collect::<Result<Vec<_>, _>>()?;
        let crls = Arc::new(CrlSet::from_der_all(&crls)?);
        let verifier = HpkiVerifier::with_trust(TrustStore::new().with_for(root, Purpose::HPKI))
            .with_intermediates(cas)
            .with_revocation(Arc::clone(&crls));
        let tsa = TestTsa::new().map_err(err)?;
        Ok(Self {
            tsa_root: Certificate::from_der(&tsa.root)?,
            pki,
            verifier,
            crls,
            tsa,
        })
    }

    /// The test TSA, its clock stopped at `at`.
    pub fn tsa_at(&self, at: OffsetDateTime) -> Result<LocalTsa, HealthError> {
        let signer = SoftwareSigner::new(
            self.tsa.signer.certificate.clone(),
            self.tsa.signer.key.clone(),
        )
        .map_err(err)?;
        Ok(LocalTsa::new(signer).with_clock(move || at))
    }

    /// The sandbox HPKI CA issues `linkage`'s person a virtual HPKI card (PIN 1234): hcRole of
    /// the profession applied for, the applicant's name, key slot `slot` (0 to 2).
    pub fn issue_card(&self, linkage: &Linkage, slot: u64) -> Result<IssuedHpkiCard, HealthError> {
        let mut holder = HpkiHolder::from_seed(slot);
        holder.kanji_name = linkage.application.name.clone();
        holder.romanized_name = format!("Kazasu Holder {slot}");
        holder.roles = vec![linkage.application.profession.hc_role().as_str().to_owned()];
        HpkiCardBuilder::new(slot)
            .holder(holder)
            .build()
            .map_err(err)
    }

    /// The signature CA certificate (to carry with signatures).
    pub fn signature_ca(&self) -> Vec<u8> {
        self.pki.ca(HpkiAp::Signature).der.clone()
    }
}

/// A desk over `sandbox` (JPKI trust, revocation and card links), `hpki`, the sandbox registry
/// and `store`.
pub fn desk<S: LinkageStore>(
    sandbox: &Sandbox,
    hpki: &HpkiSandbox,
    registry: Arc<MemoryRegistry>,
    store: S,
) -> QualificationDesk<S> {
    QualificationDesk::new(
        sandbox.setup.clone(),
        hpki.verifier.clone(),
        sandbox.card_links.clone(),
        registry,
        store,
    )
    .with_tsa([hpki.tsa_root.clone()])
    .with_revocation_source(hpki.crls.clone())
}

/// The My Number Card's signature key of `holder` as a signer (certificate and its CA).
pub fn jpki_signer(
    sandbox: &Sandbox,
    holder: &HolderCredentials,
) -> Result<SoftwareSigner, HealthError> {
    let ca = sandbox
        .pki
        .root(
            kazasu_virtual_card::pki::Purpose::Signature,
            Generation::G2023,
        )
        .der
        .clone();
    Ok(
        SoftwareSigner::new(holder.sign_certificate.clone(), holder.sign_key.clone())
            .map_err(err)?
            .with_chain(vec![ca]),
    )
}

/// How J-LIS revokes a card's certificates in the sandbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JpkiEvent {
    /// The holder died: both certificates revoked, cessationOfOperation.
    Death,
    /// The name or address changed: only the signature certificate, affiliationChanged.
    PersonalDataChanged,
}

/// New JPKI CRLs (signature and authentication CAs, both generations) current at `at` that list
/// `holder`'s certificates as `event` revokes them, revoked at `revoked_at`.
pub fn jpki_crls_for(
    sandbox: &Sandbox,
    holder: &HolderCredentials,
    event: JpkiEvent,
    revoked_at: OffsetDateTime,
    at: OffsetDateTime,
) -> Result<Vec<kazasu_pki::Crl>, HealthError> {
    let mut out = Vec::new();
    for generation in [Generation::G2015, Generation::G2023] {
        for purpose in [
            kazasu_virtual_card::pki::Purpose::Signature,
            kazasu_virtual_card::pki::Purpose::Authentication,
        ] {
            let mut spec = CrlSpec::valid_at(at);
            spec.crl_number = 100;
            let entry = match (purpose, event) {
                (kazasu_virtual_card::pki::Purpose::Signature, JpkiEvent::Death) => Some(
                    RevokedEntry::from_bytes(&holder.sign_serial, revoked_at)
                        .with_reason(CrlReason::CessationOfOperation),
                ),
                (kazasu_virtual_card::pki::Purpose::Authentication, JpkiEvent::Death) => Some(
                    RevokedEntry::from_bytes(&holder.auth_serial, revoked_at)
                        .with_reason(CrlReason::CessationOfOperation),
                ),
                (kazasu_virtual_card::pki::Purpose::Signature, JpkiEvent::PersonalDataChanged) => {
                    Some(
                        RevokedEntry::from_bytes(&holder.sign_serial, revoked_at)
                            .with_reason(CrlReason::AffiliationChanged),
                    )
                }
                _ => None,
            };
            if let Some(e) = entry {
                spec = spec.revoke(e);
            }
            let der = sandbox.pki.crl(purpose, generation, &spec).map_err(err)?;
            out.push(kazasu_pki::Crl::from_der(&der)?);
        }
    }
    Ok(out)
}
