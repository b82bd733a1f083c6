//! Online insurance eligibility confirmation (医療保険のオンライン資格確認), the service side.

use kazasu_pki::{AuthAssertion, CertificateId, MemoryChallengeStore, Verifier};
use time::{Date, OffsetDateTime, UtcOffset};

use crate::HealthError;
use crate::clinic::Presentation;
use crate::model::{
    AgencyCode, Binding, EligibilityAnswer, FacilityCode, Qualification, QualificationValidity,
    yyyymmdd,
};
use crate::store::EligibilityStore;
use crate::verify::{VerificationSetup, authenticate};

/// Japan Standard Time: qualification dates are Japanese calendar days.
pub(crate) const JST: UtcOffset = match UtcOffset::from_hms(9, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// The eligibility service: verifies what cards present, finds the person through the certificate
/// link made at enrolment, answers with the official codes.
#[derive(Debug)]
pub struct EligibilityService<S> {
    setup: VerificationSetup,
    verifier: Verifier,
    challenges: MemoryChallengeStore,
    store: S,
}

impl<S: EligibilityStore> EligibilityService<S> {
    /// A service verifying with `setup` (trust anchors, revocation, policy), keeping data in `store`;
    /// challenges live `challenge_lifetime`.
    pub fn new(setup: VerificationSetup, store: S, challenge_lifetime: time::Duration) -> Self {
        Self {
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

    /// A fresh single-use challenge for a card to sign.
    pub fn issue_challenge(&self, at: OffsetDateTime) -> Result<Vec<u8>, HealthError> {
        Ok(self.challenges.issue(at)?)
    }

    /// 健康保険証利用登録: binds the verified certificate to the person `agency` (once, with the PIN).
    /// A rejected assertion writes nothing.
    pub fn enrol(
        &self,
        assertion: &AuthAssertion,
        agency: &AgencyCode,
        at: OffsetDateTime,
    ) -> Result<CertificateId, HealthError> {
        if self.store.person(agency)?.is_none() {
            return Err(HealthError::Invalid {
                field: "agency code",
                reason: format!("no person {agency} in the eligibility system"),
            });
        }
        let presented = Presentation::Assertion(assertion.clone());
        let (id, _) = authenticate(
            &self.setup,
            &self.verifier,
            &self.challenges,
            &presented,
            at,
            false,
            false,
        )?;
        self.store.link_certificate(&id, agency, at)?;
        tracing::info!(target: "kazasu_health", certificate = %id, "enrolled");
        Ok(id)
    }

    /// Registers the facility's 照会番号 (typically its patient-card number) for the card holder; it
    /// comes back with later answers. Needs a verified assertion.
    pub fn register_reference_number(
        &self,
        facility: &FacilityCode,
        assertion: &AuthAssertion,
        reference: &str,
        at: OffsetDateTime,
    ) -> Result<(), HealthError> {
        if reference.is_empty() || reference.len() > 32 {
            return Err(HealthError::Invalid {
                field: "reference number",
                reason: "must be 1 to 32 characters".into(),
            });
        }
        let presented = Presentation::Assertion(assertion.clone());
        let (id, _) = authenticate(
            &self.setup,
            &self.verifier,
            &self.challenges,
            &presented,
            at,
            false,
            false,
        )?;
        let agency = self.store.resolve(&id)?.ok_or(HealthError::NotEnrolled)?;
        self.store
            .set_reference_number(facility, &agency, reference)?;
        Ok(())
    }

    /// Confirms eligibility for what the card presented at `facility`, at `at`.
    ///
    /// A PIN assertion must carry a challenge this service issued, unexpired and unused (a replay is
    /// refused). A staff-checked certificate is accepted, and the answer says so. Up to three months
    /// after the authentication certificate expired the answer carries qualification data only; after
    /// that the card is refused.
    pub fn confirm(
        &self,
        facility: &FacilityCode,
        presented: &Presentation,
        at: OffsetDateTime,
    ) -> Result<EligibilityAnswer, HealthError> {
        let (id, binding) = authenticate(
            &self.setup,
            &self.verifier,
            &self.challenges,
            presented,
            at,
            true,
            true,
        )?;
        let agency = self.store.resolve(&id)?.ok_or(HealthError::NotEnrolled)?;
        let (person, qualifications) = self
            .store
            .person(&agency)?
            .ok_or(HealthError::NotEnrolled)?;
        let day = at.to_offset(JST).date();
        let (validity, chosen) = judge(&qualifications, day);
        let personal = binding != Binding::ExpiredCertificateGrace;
        let reference_number = self.store.reference_number(facility, &agency)?;
        Ok(EligibilityAnswer {
            processing_result_status: "1",
            reference_classification: "1",
            qualification_validity: validity,
            insurer_number: chosen.map(|q| q.insurer_number.clone()),
            insured_card_symbol: chosen.map(|q| q.insured_card_symbol.clone()),
            insured_identification_number: chosen.map(|q| q.insured_identification_number.clone()),
            insured_branch_number: chosen.map(|q| q.insured_branch_number.clone()),
            name: personal.then(|| person.name.clone()),
            name_kana: personal.then(|| person.name_kana.clone()),
            sex: personal.then(|| person.sex.clone()),
            birthdate: personal.then(|| yyyymmdd(person.birth_date)),
            insured_card_valid_date: chosen.map(|q| yyyymmdd(q.valid_from)),
            insured_card_expiration_date: chosen.and_then(|q| q.valid_until.map(yyyymmdd)),
            personal_family_classification: chosen
                .map(|q| q.personal_family_classification.clone()),
            insured_partial_contribution_ratio: chosen
                .and_then(|q| q.insured_partial_contribution_ratio.clone()),
            reference_number,
            binding,
        })
    }
}

/// QualificationValidity on `day`, and the qualification the answer describes.
fn judge(
    qualifications: &[Qualification],
    day: Date,
) -> (QualificationValidity, Option<&Qualification>) {
    let valid: Vec<&Qualification> = qualifications.iter().filter(|q| q.valid_on(day)).collect();
    match valid.as_slice() {
        [one] => return (QualificationValidity::Valid, Some(one)),
        [_, _, ..] => return (QualificationValidity::Multiple, None),
        [] => {}
    }
    let latest = qualifications.iter().max_by_key(|q| q.valid_from);
    match latest {
        None => (QualificationValidity::NoQualification, None),
        Some(q) if q.valid_from > day => (QualificationValidity::InvalidNewerExists, Some(q)),
        Some(q) => (QualificationValidity::Invalid, Some(q)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn q(from: Date, until: Option<Date>) -> Qualification {
        Qualification {
            insurer_number: "06139999".into(),
            insured_card_symbol: "記号".into(),
            insured_identification_number: "12345".into(),
            insured_branch_number: "01".into(),
            valid_from: from,
            valid_until: until,
            personal_family_classification: "1".into(),
            insured_partial_contribution_ratio: None,
        }
    }

    #[test]
    fn validity_codes() {
        let day = date!(2026 - 11 - 26);
        assert_eq!(judge(&[], day).0, QualificationValidity::NoQualification);
        assert_eq!(
            judge(&[q(date!(2020 - 04 - 01), None)], day).0,
            QualificationValidity::Valid
        );
        assert_eq!(
            judge(
                &[q(date!(2020 - 04 - 01), Some(date!(2026 - 03 - 31)))],
                day
            )
            .0,
            QualificationValidity::Invalid
        );
        assert_eq!(
            judge(
                &[
                    q(date!(2020 - 04 - 01), Some(date!(2026 - 03 - 31))),
                    q(date!(2026 - 12 - 01), None)
                ],
                day
            )
            .0,
            QualificationValidity::InvalidNewerExists
        );
        assert_eq!(
            judge(
                &[
                    q(date!(2020 - 04 - 01), None),
                    q(date!(2021 - 04 - 01), None)
                ],
                day
            )
            .0,
            QualificationValidity::Multiple
        );
        assert_eq!(
            judge(&[q(day, Some(day))], day).0,
            QualificationValidity::Valid
        );
    }
}
