//! Online insurance eligibility confirmation (医療保険のオンライン資格確認), the service side.

use std::sync::Arc;

use kazasu_pki::{
    CertificateId, ChallengeStore, HashAlgorithm, MemoryChallengeStore, Purpose, Verifier,
};
use time::{Date, OffsetDateTime, UtcOffset};

use crate::HealthError;
use crate::audit::{AuditEntry, LookupMode};
use crate::clinic::{CardHolderProof, Presentation};
use crate::facility::{ApprovalPurpose, verify_approval};
use crate::identity::{RecordIdentity, match_identity};
use crate::links::{CardLinkSource, TrustedLinkImport};
use crate::model::{
    AgencyCode, Binding, EligibilityAnswer, FacilityCode, Person, Qualification,
    QualificationValidity, ResultOfQualificationConfirmation, yyyymmdd,
};
use crate::store::EligibilityStore;
use crate::verify::{Accept, VerificationSetup, authenticate, grace_end, refuse_if_revoked_now};
use kazasu_auth::{AssertionPurpose, AuthError, BoundAssertion, RelyingParty};
use kazasu_pki::Rejection;

/// Japan Standard Time: qualification dates are Japanese calendar days.
pub(crate) const JST: UtcOffset = match UtcOffset::from_hms(9, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// How many lookups of one kind a facility may make in a window.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct RateLimit {
    /// Lookups allowed per window.
    pub max: u32,
    /// The window.
    pub window: time::Duration,
}

impl RateLimit {
    /// At most `max` lookups per `window`.
    pub fn new(max: u32, window: time::Duration) -> Self {
        Self { max, window }
    }
}

impl Default for RateLimit {
    /// 60 staff-visual lookups per facility per 10 minutes.
    fn default() -> Self {
        Self {
            max: 60,
            window: time::Duration::minutes(10),
        }
    }
}

/// The eligibility service: verifies what cards present, finds the person through the certificate
/// link made at a verified enrolment, answers with the official codes, and records every lookup.
pub struct EligibilityService<S> {
    setup: VerificationSetup,
    verifier: Verifier,
    challenges: Arc<dyn ChallengeStore>,
    card_links: Arc<dyn CardLinkSource>,
    staff_limit: RateLimit,
    require_genuineness: bool,
    relying_party: Option<RelyingParty>,
    store: S,
}

impl<S> std::fmt::Debug for EligibilityService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EligibilityService")
            .field("setup", &self.setup)
            .field("staff_limit", &self.staff_limit)
            .finish_non_exhaustive()
    }
}

impl<S: EligibilityStore> EligibilityService<S> {
    /// A service verifying with `setup`, keeping data in `store`, asking `card_links` which
    /// certificates are one card's. Challenges live 5 minutes in memory (see
    /// [`EligibilityService::with_challenge_store`] to share them between instances).
    pub fn new(setup: VerificationSetup, store: S, card_links: Arc<dyn CardLinkSource>) -> Self {
        Self {
            verifier: setup.verifier(),
            setup,
            challenges: Arc::new(MemoryChallengeStore::new(time::Duration::minutes(5))),
            card_links,
            staff_limit: RateLimit::default(),
            require_genuineness: false,
            relying_party: None,
            store,
        }
    }

    /// Accepts bound assertions ([`EligibilityService::confirm_bound`]) made for relying party
    /// `id` at one of `origins`, with nonces from this service's challenge store and its verifier.
    pub fn with_relying_party(mut self, id: &str, origins: &[&str]) -> Result<Self, HealthError> {
        self.relying_party = Some(RelyingParty::new(
            id,
            origins,
            self.verifier.clone(),
            self.challenges.clone(),
        )?);
        Ok(self)
    }

    /// Keeps challenges in `challenges` (e.g. a [`crate::SqliteChallengeStore`] shared by several
    /// instances).
    pub fn with_challenge_store(mut self, challenges: Arc<dyn ChallengeStore>) -> Self {
        self.relying_party = self
            .relying_party
            .map(|rp| rp.with_nonces(challenges.clone()));
        self.challenges = challenges;
        self
    }

    /// Limits staff-visual lookups per facility.
    pub fn with_staff_visual_limit(mut self, limit: RateLimit) -> Self {
        self.staff_limit = limit;
        self
    }

    /// Refuses staff-visual lookups whose approval carries no chip-genuineness result (staff must
    /// prove the chip genuine before comparing the person with the card-face photo).
    pub fn require_genuineness(mut self, required: bool) -> Self {
        self.require_genuineness = required;
        self
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// A fresh single-use challenge for a card to sign.
    pub fn issue_challenge(&self, at: OffsetDateTime) -> Result<Vec<u8>, HealthError> {
        Ok(self.challenges.issue(at)?)
    }

    /// 健康保険証利用登録: binds the card to the person `agency`, once the card holder proved it is
    /// theirs. Both keys of the card signed one challenge this service issued; the signature
    /// certificate validates for the signature purpose; the card-link source confirms both
    /// certificates are one card's; and the signature certificate's 基本4情報 match the person's
    /// record (name, birth date, sex; the address where the insurer has it). Any refusal writes
    /// nothing.
    pub fn enrol(
        &self,
        agency: &AgencyCode,
        proof: &CardHolderProof,
        at: OffsetDateTime,
    ) -> Result<CertificateId, HealthError> {
        let (person, _) = self
            .store
            .person(agency)?
            .ok_or_else(|| HealthError::Invalid {
                field: "agency code",
                reason: format!("no person {agency} in the eligibility system"),
            })?;
        let challenge = &proof.authentication.challenge;
        self.challenges
            .check(challenge, at)
            .map_err(|p| HealthError::Rejected(kazasu_pki::Rejection::from(p)))?;
        let sign = &proof.signature_certificate;
        let sign_id = self
            .verifier
            .validate(sign, Purpose::Signature, at)?
            .leaf_id();
        sign.verify_message(HashAlgorithm::Sha256, challenge, &proof.signature)?;
        let auth =
            self.verifier
                .verify_assertion(&proof.authentication, self.challenges.as_ref(), at)?;
        if self.card_links.authentication_for(&sign_id)? != Some(auth.id.clone()) {
            return Err(HealthError::NotSameCard);
        }
        let personal = sign.personal_data()?.ok_or_else(|| HealthError::Invalid {
            field: "signature certificate",
            reason: "carries no personal data".into(),
        })?;
        match_identity(&personal, &record_of(&person))?;
        self.store.link_certificate(&auth.id, agency, at)?;
        tracing::info!(target: "kazasu_health", certificate = %auth.id, "enrolled");
        Ok(auth.id)
    }

    /// Binds certificates to people from a trusted feed (the insurer / J-LIS route), without a card
    /// holder present; returns how many links were written.
    pub fn import_trusted_links(
        &self,
        import: &TrustedLinkImport,
        at: OffsetDateTime,
    ) -> Result<usize, HealthError> {
        for (id, agency) in import.links() {
            self.store.link_certificate(id, agency, at)?;
        }
        tracing::info!(target: "kazasu_health", origin = import.origin(), links = import.links().len(), "trusted links imported");
        Ok(import.links().len())
    }

    /// Registers the facility's 照会番号 (typically its patient-card number) for the card holder; it
    /// comes back with later answers. Needs a verified assertion.
    pub fn register_reference_number(
        &self,
        facility: &FacilityCode,
        assertion: &kazasu_pki::AuthAssertion,
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
            self.challenges.as_ref(),
            &presented,
            at,
            Accept::PinOnly,
        )?;
        let agency = self.store.resolve(&id)?.ok_or(HealthError::NotEnrolled)?;
        self.store
            .set_reference_number(facility, &agency, reference)?;
        Ok(())
    }

    /// Confirms eligibility for what the card presented at `facility`, at `at`; every lookup,
    /// answered or refused, is audited.
    ///
    /// A PIN assertion must carry a challenge this service issued, unexpired and unused (a replay is
    /// refused). A staff-checked certificate needs the signed approval of a terminal registered for
    /// `facility`, within the facility's rate limit. Until the end of the third month after the
    /// month in which the authentication certificate expired (JST), the card still answers with its
    /// qualification data, but not the information that needs the reader consent.
    pub fn confirm(
        &self,
        facility: &FacilityCode,
        presented: &Presentation,
        at: OffsetDateTime,
    ) -> Result<EligibilityAnswer, HealthError> {
        let result = self.lookup(facility, presented, at);
        let (mode, approval) = match presented {
            Presentation::Assertion(_) => (LookupMode::Pin, None),
            Presentation::StaffChecked { approval, .. } => {
                (LookupMode::StaffVisual, Some(approval))
            }
        };
        self.store.append_audit(&AuditEntry::of(
            at,
            facility,
            mode,
            presented.certificate(),
            approval,
            &result,
        ))?;
        result
    }

    /// [`EligibilityService::confirm`] for a bound assertion: the card signed a v1 message naming
    /// this service (see [`EligibilityService::with_relying_party`]), the origin the terminal saw,
    /// purpose [`AssertionPurpose::Confirm`] and a nonce from [`EligibilityService::issue_challenge`].
    /// An assertion made for another service, another origin or another purpose (check-in,
    /// consent…), a stale one or a replay is refused; so is every bound assertion when no relying
    /// party is configured. The grace period after expiry applies as for a PIN assertion. Audited
    /// as a PIN lookup.
    pub fn confirm_bound(
        &self,
        facility: &FacilityCode,
        assertion: &BoundAssertion,
        at: OffsetDateTime,
    ) -> Result<EligibilityAnswer, HealthError> {
        let result = self.lookup_bound(facility, assertion, at);
        self.store.append_audit(&AuditEntry::of(
            at,
            facility,
            LookupMode::Pin,
            &assertion.certificate,
            None,
            &result,
        ))?;
        result
    }

    fn lookup_bound(
        &self,
        facility: &FacilityCode,
        assertion: &BoundAssertion,
        at: OffsetDateTime,
    ) -> Result<EligibilityAnswer, HealthError> {
        let rp = self
            .relying_party
            .as_ref()
            .ok_or_else(|| HealthError::Invalid {
                field: "presentation",
                reason: "this service takes no bound assertions (no relying party configured)"
                    .into(),
            })?;
        let certificate = &assertion.certificate;
        let (id, binding) = match rp.verify_bound(assertion, AssertionPurpose::Confirm, at) {
            Ok(v) => (v.id, Binding::CardHolder),
            Err(AuthError::Certificate(Rejection::Expired { not_after, .. }))
                if not_after == certificate.not_after() =>
            {
                if at > grace_end(not_after) {
                    return Err(HealthError::GraceOver {
                        expired: not_after.to_offset(JST).date(),
                    });
                }
                // As for PIN assertions: the path must have held on the last valid second, and
                // a revocation known today (dated before expiry) ends the grace too.
                let v = rp.verify_bound_with_path_at(
                    assertion,
                    AssertionPurpose::Confirm,
                    at,
                    not_after,
                )?;
                refuse_if_revoked_now(&self.setup, &v.path, at)?;
                (v.id, Binding::ExpiredCertificateGrace)
            }
            Err(e) => return Err(e.into()),
        };
        self.answer_for(facility, certificate, &id, binding, at)
    }

    /// Confirmation by insurance-card data (ReferenceClassification `2`), audited like every
    /// lookup: `1` when the named qualification is in force on `at`'s JST day, `3` when it ended
    /// and a newer one exists, `2` when it ended, `4` when nobody holds it, `5` when several people
    /// match.
    pub fn confirm_by_insurance_card(
        &self,
        facility: &FacilityCode,
        query: &crate::model::InsuranceCardQuery,
        at: OffsetDateTime,
    ) -> Result<EligibilityAnswer, HealthError> {
        let result = self.card_data_lookup(facility, query, at);
        let entry = AuditEntry::new(
            at,
            facility.clone(),
            LookupMode::InsuranceCardData,
            match &result {
                Ok(_) => "1",
                Err(e) => e.result_code(),
            },
        );
        self.store.append_audit(&entry)?;
        result
    }

    fn card_data_lookup(
        &self,
        facility: &FacilityCode,
        query: &crate::model::InsuranceCardQuery,
        at: OffsetDateTime,
    ) -> Result<EligibilityAnswer, HealthError> {
        let day = at.to_offset(JST).date();
        let agencies = self.store.find_by_insurance_card(query)?;
        let mut matched = Vec::new();
        for agency in &agencies {
            if let Some((person, qualifications)) = self.store.person(agency)? {
                matched.push((agency.clone(), person, qualifications));
            }
        }
        let (validity, results) = match matched.as_slice() {
            [] => (QualificationValidity::NoQualification, Vec::new()),
            [(agency, person, all)] => {
                let named: Vec<&Qualification> = all
                    .iter()
                    .filter(|q| query.names(q, person.birth_date))
                    .collect();
                let validity = if named.iter().any(|q| q.valid_on(day)) {
                    QualificationValidity::Valid
                } else if all.iter().any(|other| {
                    named.iter().all(|q| other.valid_from > q.valid_from)
                        && other.valid_until.is_none_or(|u| day <= u)
                }) {
                    QualificationValidity::InvalidNewerExists
                } else {
                    QualificationValidity::Invalid
                };
                let reference = self.store.reference_number(facility, agency)?;
                let shown = named
                    .iter()
                    .find(|q| q.valid_on(day))
                    .or(named.first())
                    .map(|q| vec![result_of(person, q, reference)])
                    .unwrap_or_default();
                (validity, shown)
            }
            several => (
                QualificationValidity::Multiple,
                several
                    .iter()
                    .flat_map(|(_, person, all)| {
                        all.iter()
                            .filter(|q| query.names(q, person.birth_date))
                            .map(|q| result_of(person, q, None))
                            .collect::<Vec<_>>()
                    })
                    .collect(),
            ),
        };
        Ok(EligibilityAnswer {
            processing_result_status: "1",
            processing_result_code: None,
            processing_result_message: None,
            reference_classification: "2",
            qualification_validity: Some(validity),
            result_list: results,
            sharing_available: false,
            binding: None,
        })
    }

    /// [`EligibilityService::confirm`], with a refusal turned into the error answer
    /// (ProcessingResultStatus `2`, ProcessingResultCode, message), as the system answers.
    pub fn answer(
        &self,
        facility: &FacilityCode,
        presented: &Presentation,
        at: OffsetDateTime,
    ) -> EligibilityAnswer {
        self.confirm(facility, presented, at)
            .unwrap_or_else(|e| EligibilityAnswer::error(&e))
    }

    fn lookup(
        &self,
        facility: &FacilityCode,
        presented: &Presentation,
        at: OffsetDateTime,
    ) -> Result<EligibilityAnswer, HealthError> {
        if let Presentation::StaffChecked {
            certificate,
            approval,
        } = presented
        {
            // The approval first: only an authenticated terminal can use up its facility's quota.
            verify_approval(
                &self.store,
                approval,
                facility,
                &ApprovalPurpose::StaffVisualLookup,
                certificate,
                at,
            )?;
            if self.require_genuineness && approval.genuineness.is_none() {
                return Err(HealthError::GenuinenessRequired);
            }
            let since = at - self.staff_limit.window;
            if self
                .store
                .count_lookups(facility, LookupMode::StaffVisual, since)?
                >= self.staff_limit.max
            {
                return Err(HealthError::RateLimited {
                    facility: facility.to_string(),
                    limit: self.staff_limit.max,
                    window_seconds: self.staff_limit.window.whole_seconds(),
                });
            }
        }
        let (id, binding) = authenticate(
            &self.setup,
            &self.verifier,
            self.challenges.as_ref(),
            presented,
            at,
            Accept::StaffAndGrace,
        )?;
        self.answer_for(facility, presented.certificate(), &id, binding, at)
    }

    /// The answer for a certificate verified as `id` with `binding`.
    fn answer_for(
        &self,
        facility: &FacilityCode,
        certificate: &kazasu_pki::Certificate,
        id: &CertificateId,
        binding: Binding,
        at: OffsetDateTime,
    ) -> Result<EligibilityAnswer, HealthError> {
        self.store.adopt_legacy_id(&certificate.legacy_id(), id)?;
        let agency = self.store.resolve(id)?.ok_or(HealthError::NotEnrolled)?;
        let (person, qualifications) = self
            .store
            .person(&agency)?
            .ok_or(HealthError::NotEnrolled)?;
        let day = at.to_offset(JST).date();
        let (validity, chosen) = judge(&qualifications, day);
        let reference_number = self.store.reference_number(facility, &agency)?;
        Ok(EligibilityAnswer {
            processing_result_status: "1",
            processing_result_code: None,
            processing_result_message: None,
            reference_classification: "1",
            qualification_validity: Some(validity),
            result_list: chosen
                .into_iter()
                .map(|q| result_of(&person, q, reference_number.clone()))
                .collect(),
            sharing_available: binding != Binding::ExpiredCertificateGrace,
            binding: Some(binding),
        })
    }
}

fn record_of(person: &Person) -> RecordIdentity<'_> {
    RecordIdentity {
        name: &person.name,
        birth_date: person.birth_date,
        sex: person.sex1,
        address: person.address.as_deref(),
    }
}

fn result_of(
    person: &Person,
    q: &Qualification,
    reference_number: Option<String>,
) -> ResultOfQualificationConfirmation {
    ResultOfQualificationConfirmation {
        insurer_number: q.insurer_number.padded(),
        insured_card_symbol: q.insured_card_symbol.clone(),
        insured_identification_number: q.insured_identification_number.clone(),
        insured_branch_number: q.insured_branch_number.clone(),
        personal_family_classification: q.personal_family_classification.clone(),
        name: person.name.clone(),
        name_kana: person.name_kana.clone(),
        sex1: person.sex1,
        sex2: person.sex2,
        birthdate: yyyymmdd(person.birth_date),
        insured_card_valid_date: yyyymmdd(q.valid_from),
        insured_card_expiration_date: q.valid_until.map(yyyymmdd),
        insured_partial_contribution_ratio: q.insured_partial_contribution_ratio.clone(),
        elderly_recipient_contribution_ratio: q.elderly_recipient_contribution_ratio.clone(),
        reference_number,
    }
}

/// QualificationValidity on `day`, and the qualifications the answer lists (every match for `5`).
fn judge(
    qualifications: &[Qualification],
    day: Date,
) -> (QualificationValidity, Vec<&Qualification>) {
    let valid: Vec<&Qualification> = qualifications.iter().filter(|q| q.valid_on(day)).collect();
    match valid.len() {
        1 => return (QualificationValidity::Valid, valid),
        2.. => return (QualificationValidity::Multiple, valid),
        0 => {}
    }
    let latest = qualifications.iter().max_by_key(|q| q.valid_from);
    match latest {
        None => (QualificationValidity::NoQualification, Vec::new()),
        Some(q) if q.valid_from > day => (QualificationValidity::InvalidNewerExists, vec![q]),
        Some(q) => (QualificationValidity::Invalid, vec![q]),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::InsurerNumber;
    use time::macros::date;

    fn q(from: Date, until: Option<Date>) -> Qualification {
        Qualification {
            insurer_number: InsurerNumber::new("06139992").unwrap(),
            insured_card_symbol: "記号".into(),
            insured_identification_number: "12345".into(),
            insured_branch_number: "01".into(),
            valid_from: from,
            valid_until: until,
            personal_family_classification: "1".into(),
            insured_partial_contribution_ratio: None,
            elderly_recipient_contribution_ratio: None,
        }
    }

    #[test]
    fn multiple_matches_are_all_listed() {
        let day = date!(2026 - 11 - 26);
        let both = [
            q(date!(2020 - 04 - 01), None),
            q(date!(2021 - 04 - 01), None),
        ];
        let (validity, listed) = judge(&both, day);
        assert_eq!(validity, QualificationValidity::Multiple);
        assert_eq!(listed.len(), 2);
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
