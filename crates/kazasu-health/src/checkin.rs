//! The card as a common patient card (共通診察券): link once, then touch to check in.

use kazasu_pki::{AuthAssertion, CertificateId, MemoryChallengeStore, Verifier};
use time::OffsetDateTime;

use crate::HealthError;
use crate::clinic::Presentation;
use crate::eligibility::JST;
use crate::model::{FacilityCode, PatientCardNumber, Receipt};
use crate::store::CheckinStore;
use crate::verify::{VerificationSetup, authenticate};

/// A facility's check-in service. Links are keyed on the authentication certificate's (issuer,
/// serial) — never on insurance numbers or the My Number — and survive renewal through the store's
/// old → new links or a fresh authenticated re-link.
#[derive(Debug)]
pub struct CheckinService<S> {
    facility: FacilityCode,
    setup: VerificationSetup,
    verifier: Verifier,
    challenges: MemoryChallengeStore,
    store: S,
}

impl<S: CheckinStore> CheckinService<S> {
    /// The check-in service of `facility`.
    pub fn new(
        facility: FacilityCode,
        setup: VerificationSetup,
        store: S,
        challenge_lifetime: time::Duration,
    ) -> Self {
        Self {
            facility,
            verifier: setup.verifier(),
            setup,
            challenges: MemoryChallengeStore::new(challenge_lifetime),
            store,
        }
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
            &self.challenges,
            &presented,
            at,
            false,
            false,
        )
        .map(|(id, _)| id)
    }

    /// Links the verified card holder to `card` (the first time, or again after a renewal).
    pub fn link(
        &self,
        assertion: &AuthAssertion,
        card: &PatientCardNumber,
        at: OffsetDateTime,
    ) -> Result<CertificateId, HealthError> {
        let id = self.verified(assertion, at)?;
        self.store
            .link_patient_card(&self.facility, &id, card, at)?;
        Ok(id)
    }

    /// Card touch → verified assertion → patient card → the day's reservations → a receipt with the
    /// next queue number of the day.
    pub fn check_in(
        &self,
        assertion: &AuthAssertion,
        at: OffsetDateTime,
    ) -> Result<Receipt, HealthError> {
        let id = self.verified(assertion, at)?;
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
