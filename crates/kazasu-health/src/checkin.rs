//! The card as a common patient card (共通診察券): link once, then touch to check in.

use std::sync::Arc;

use kazasu_pki::{
    AuthAssertion, CertificateId, ChallengeStore, HashAlgorithm, MemoryChallengeStore, Purpose,
    Verifier,
};
use time::OffsetDateTime;

use crate::HealthError;
use crate::audit::{AuditEntry, LookupMode};
use crate::clinic::{CardHolderProof, Presentation};
use crate::eligibility::JST;
use crate::facility::{ApprovalPurpose, StaffApproval, verify_approval};
use crate::identity::{RecordIdentity, match_identity};
use crate::links::CardLinkSource;
use crate::model::{FacilityCode, PatientCardNumber, Receipt};
use crate::store::CheckinStore;
use crate::verify::{Accept, VerificationSetup, authenticate};
use kazasu_auth::{AssertionPurpose, BoundAssertion, RelyingParty};

/// Why the desk may link this card to this patient card: a card can never link itself to an
/// arbitrary number.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum LinkApproval {
    /// Staff at the desk checked the patient and approved on a registered facility terminal.
    Staff(StaffApproval),
    /// The card holder's verified identity (the signature certificate's 基本4情報, both keys
    /// signing one challenge) matches the facility's record of the patient.
    IdentityMatch {
        /// The signature certificate.
        signature_certificate: kazasu_pki::Certificate,
        /// Its signature over the assertion's challenge.
        signature: Vec<u8>,
    },
}

impl LinkApproval {
    /// The identity-match approval carried by a [`CardHolderProof`] (whose authentication
    /// assertion is the one to link).
    pub fn from_proof(proof: &CardHolderProof) -> Self {
        LinkApproval::IdentityMatch {
            signature_certificate: proof.signature_certificate.clone(),
            signature: proof.signature.clone(),
        }
    }
}

/// A facility's check-in service. Links are keyed on the authentication certificate's identity —
/// never on insurance numbers or the My Number — and survive renewal through the store's old → new
/// links or a fresh approved re-link.
pub struct CheckinService<S> {
    facility: FacilityCode,
    setup: VerificationSetup,
    verifier: Verifier,
    challenges: Arc<dyn ChallengeStore>,
    card_links: Option<Arc<dyn CardLinkSource>>,
    relying_party: Option<RelyingParty>,
    store: S,
}

impl<S> std::fmt::Debug for CheckinService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckinService")
            .field("facility", &self.facility)
            .field("setup", &self.setup)
            .finish_non_exhaustive()
    }
}

impl<S: CheckinStore> CheckinService<S> {
    /// The check-in service of `facility`; challenges live 5 minutes in memory.
    pub fn new(facility: FacilityCode, setup: VerificationSetup, store: S) -> Self {
        Self {
            facility,
            verifier: setup.verifier(),
            setup,
            challenges: Arc::new(MemoryChallengeStore::new(time::Duration::minutes(5))),
            card_links: None,
            relying_party: None,
            store,
        }
    }

    /// Accepts bound assertions ([`CheckinService::check_in_bound`]) made for relying party `id`
    /// at one of `origins`, with nonces from this desk's challenge store.
    pub fn with_relying_party(mut self, id: &str, origins: &[&str]) -> Result<Self, HealthError> {
        self.relying_party = Some(RelyingParty::new(
            id,
            origins,
            self.verifier.clone(),
            self.challenges.clone(),
        )?);
        Ok(self)
    }

    /// Lets patients link their card by identity match ([`LinkApproval::IdentityMatch`]): `links`
    /// tells which signature and authentication certificates are one card's. Without it, only the
    /// desk's approval links cards.
    pub fn with_card_links(mut self, links: Arc<dyn CardLinkSource>) -> Self {
        self.card_links = Some(links);
        self
    }

    /// Keeps challenges in `challenges` (shared between desks or instances).
    pub fn with_challenge_store(mut self, challenges: Arc<dyn ChallengeStore>) -> Self {
        self.relying_party = self
            .relying_party
            .map(|rp| rp.with_nonces(challenges.clone()));
        self.challenges = challenges;
        self
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The facility.
    pub fn facility(&self) -> &FacilityCode {
        &self.facility
    }

    /// A fresh single-use challenge.
    pub fn issue_challenge(&self, at: OffsetDateTime) -> Result<Vec<u8>, HealthError> {
        Ok(self.challenges.issue(at)?)
    }

    fn verified(
        &self,
        assertion: &AuthAssertion,
        at: OffsetDateTime,
    ) -> Result<CertificateId, HealthError> {
        let presented = Presentation::Assertion(assertion.clone());
        authenticate(
            &self.setup,
            &self.verifier,
            self.challenges.as_ref(),
            &presented,
            at,
            Accept::PinOnly,
        )
        .map(|(id, _)| id)
    }

    /// Links the verified card holder to `card` (the first time, or again after a renewal), with
    /// the desk's approval or an identity match. A patient card already linked to another card is
    /// a conflict (unless this card renewed that one). Audited; a refusal writes no link.
    pub fn link(
        &self,
        assertion: &AuthAssertion,
        card: &PatientCardNumber,
        approval: &LinkApproval,
        at: OffsetDateTime,
    ) -> Result<CertificateId, HealthError> {
        let result = self.link_inner(assertion, card, approval, at);
        let staff = match approval {
            LinkApproval::Staff(a) => Some(a),
            LinkApproval::IdentityMatch { .. } => None,
        };
        self.store.append_audit(&AuditEntry::of(
            at,
            &self.facility,
            LookupMode::PatientCardLink,
            &assertion.certificate,
            staff,
            &result,
        ))?;
        result
    }

    fn link_inner(
        &self,
        assertion: &AuthAssertion,
        card: &PatientCardNumber,
        approval: &LinkApproval,
        at: OffsetDateTime,
    ) -> Result<CertificateId, HealthError> {
        match approval {
            LinkApproval::Staff(a) => {
                verify_approval(
                    &self.store,
                    a,
                    &self.facility,
                    &ApprovalPurpose::LinkPatientCard(card.clone()),
                    &assertion.certificate,
                    at,
                )?;
                let id = self.verified(assertion, at)?;
                self.store
                    .link_patient_card(&self.facility, &id, card, at)?;
                Ok(id)
            }
            LinkApproval::IdentityMatch {
                signature_certificate,
                signature,
            } => {
                let record = self.store.patient(&self.facility, card)?.ok_or_else(|| {
                    HealthError::Invalid {
                        field: "patient card number",
                        reason: format!("no patient {card} at this facility"),
                    }
                })?;
                self.challenges
                    .check(&assertion.challenge, at)
                    .map_err(|p| HealthError::Rejected(p.into()))?;
                let Some(links) = &self.card_links else {
                    return Err(HealthError::NotSameCard);
                };
                let sign_id = self
                    .verifier
                    .validate(signature_certificate, Purpose::Signature, at)?
                    .leaf_id();
                signature_certificate.verify_message(
                    HashAlgorithm::Sha256,
                    &assertion.challenge,
                    signature,
                )?;
                let personal =
                    signature_certificate
                        .personal_data()?
                        .ok_or_else(|| HealthError::Invalid {
                            field: "signature certificate",
                            reason: "carries no personal data".into(),
                        })?;
                match_identity(
                    &personal,
                    &RecordIdentity {
                        name: &record.name,
                        birth_date: record.birth_date,
                        sex: record.sex,
                        address: None,
                    },
                )?;
                let id = self.verified(assertion, at)?;
                // The two certificates must be one card's, or one card's holder could link another.
                if links.authentication_for(&sign_id)? != Some(id.clone()) {
                    return Err(HealthError::NotSameCard);
                }
                self.store
                    .link_patient_card(&self.facility, &id, card, at)?;
                Ok(id)
            }
        }
    }

    /// Card touch → verified assertion → patient card → the day's reservations → a receipt with the
    /// queue number of the day (the same one again if the patient already checked in today).
    pub fn check_in(
        &self,
        assertion: &AuthAssertion,
        at: OffsetDateTime,
    ) -> Result<Receipt, HealthError> {
        let id = self.verified(assertion, at)?;
        self.receipt(&assertion.certificate, &id, at)
    }

    /// [`CheckinService::check_in`] for a bound assertion: the card signed a message naming this
    /// desk's relying party (see [`CheckinService::with_relying_party`]), the terminal's origin,
    /// the purpose [`AssertionPurpose::CheckIn`] and a nonce from
    /// [`CheckinService::issue_challenge`]. An assertion made for eligibility, consent or another
    /// service, a stale one or a replay is refused, as is every bound assertion when no relying
    /// party is configured.
    pub fn check_in_bound(
        &self,
        assertion: &BoundAssertion,
        at: OffsetDateTime,
    ) -> Result<Receipt, HealthError> {
        let rp = self
            .relying_party
            .as_ref()
            .ok_or_else(|| HealthError::Invalid {
                field: "presentation",
                reason: "this desk takes no bound assertions (no relying party configured)".into(),
            })?;
        let verified = rp.verify_bound(assertion, AssertionPurpose::CheckIn, at)?;
        self.receipt(&assertion.certificate, &verified.id, at)
    }

    fn receipt(
        &self,
        certificate: &kazasu_pki::Certificate,
        id: &CertificateId,
        at: OffsetDateTime,
    ) -> Result<Receipt, HealthError> {
        let id = id.clone();
        self.store.adopt_legacy_id(&certificate.legacy_id(), &id)?;
        let card = self
            .store
            .patient_card(&self.facility, &id)?
            .ok_or_else(|| HealthError::NotLinked {
                facility: self.facility.to_string(),
            })?;
        let day = at.to_offset(JST).date();
        let reservations = self.store.reservations(&self.facility, &card, day)?;
        let queue_number = self.store.check_in(&self.facility, &card, day, at)?;
        Ok(Receipt {
            facility: self.facility.clone(),
            patient_card: card,
            day,
            queue_number,
            reservations,
        })
    }
}
