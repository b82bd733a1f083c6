//! The eligibility system behind the test double: the sandbox's PKI, people and clinic, over any
//! [`EligibilityStore`].
//!
//! The sandbox people are seeds 0 to 7 of the virtual card's personas (seed 0, 山田 花子, is the card
//! `kazasu virtual-card serve` puts in a reader; seed 2 has two qualifications in force). Each
//! one's card (key slot 0) is linked to their record as an insurer's feed would link it, so a touch
//! of any of these cards finds its person. Lookups by insurance-card data search the same records:
//! the eligibility store is keyed by agency code and has no such search.

use kazasu_health::sandbox::{SANDBOX_TERMINAL, Sandbox, overlapping_record, person_record};
use kazasu_health::{
    AgencyCode, EligibilityAnswer, EligibilityService, EligibilityStore, FacilityCode,
    FacilityTerminal, InsurerNumber, Person, Qualification, QualificationValidity,
    ResultOfQualificationConfirmation, TrustedLinkImport,
};
use kazasu_pki::Certificate;
use kazasu_virtual_card::pki::{IssueSpec, PersonaBuilder};
use time::{Date, OffsetDateTime, UtcOffset};

/// How many sandbox people there are (persona seeds 0 to 7).
const PEOPLE: u64 = 8;
/// The person with two qualifications in force (複数該当).
const OVERLAPPING: u64 = 2;
/// The test fixture key the clinic's terminal signs staff approvals with.
const TERMINAL_KEY: usize = 22;

/// Japan Standard Time: the file interface's dates and times are JST.
pub(crate) fn jst() -> UtcOffset {
    UtcOffset::from_hms(9, 0, 0).unwrap_or(UtcOffset::UTC)
}

/// The sandbox agency code of persona `seed`.
pub(crate) fn agency_of(seed: u64) -> String {
    format!("AGC{seed:013}")
}

/// The insurance-card data a clinic sends to look a person up (保険証の記号・番号等).
#[derive(Debug, Clone)]
pub(crate) struct CardData {
    /// As it arrived (a 6-digit number may come padded with two spaces).
    pub(crate) insurer_number: String,
    pub(crate) symbol: String,
    pub(crate) number: String,
    pub(crate) branch: Option<String>,
    pub(crate) birthdate: Date,
}

/// The sandbox eligibility system, one clinic, and its reception terminal.
pub(crate) struct System<S> {
    pub(crate) service: EligibilityService<S>,
    pub(crate) facility: FacilityCode,
    pub(crate) terminal: FacilityTerminal,
    records: Vec<(Person, Vec<Qualification>)>,
}

impl<S: EligibilityStore> System<S> {
    /// The sandbox as of `at`, answering for `facility`, keeping its data in `store`.
    pub(crate) fn new(
        at: OffsetDateTime,
        facility: FacilityCode,
        store: S,
    ) -> Result<Self, String> {
        let e = |e: &dyn std::fmt::Display| e.to_string();
        let sandbox = Sandbox::new(0, at, &[]).map_err(|x| e(&x))?;
        let service =
            EligibilityService::new(sandbox.setup.clone(), store, sandbox.card_links.clone());
        // The clinic's reception terminal (for staff-checked touches), registered for the facility
        // served; its key is a public test fixture.
        let key = kazasu_virtual_card::pki::fixture_key(TERMINAL_KEY).map_err(|x| e(&x))?;
        let terminal =
            FacilityTerminal::new(facility.clone(), SANDBOX_TERMINAL, key).map_err(|x| e(&x))?;
        let der = terminal.public_key_der().map_err(|x| e(&x))?;
        service
            .store()
            .register_terminal(&facility, terminal.terminal(), &der, at)
            .map_err(|x| e(&x))?;
        let day = at.to_offset(jst()).date();
        let mut records = Vec::new();
        let mut links = Vec::new();
        for seed in 0..PEOPLE {
            let persona = PersonaBuilder::from_seed(seed).build().map_err(|x| e(&x))?;
            let agency = AgencyCode::new(&agency_of(seed)).map_err(|x| e(&x))?;
            let record = if seed == OVERLAPPING {
                overlapping_record(&persona, &agency, day)
            } else {
                person_record(&persona, &agency, day)
            };
            let (person, qualifications) = record.map_err(|x| e(&x))?;
            service
                .store()
                .put_person(&person, &qualifications)
                .map_err(|x| e(&x))?;
            let holder = sandbox
                .credentials(&persona, &IssueSpec::default())
                .map_err(|x| e(&x))?;
            let id = Certificate::from_der(&holder.auth_certificate)
                .map_err(|x| e(&x))?
                .id()
                .ok_or("a sandbox certificate has no AuthorityKeyIdentifier")?;
            links.push((id, agency));
            records.push((person, qualifications));
        }
        service
            .import_trusted_links(
                &TrustedLinkImport::from_trusted_feed("sandbox insurers", links),
                at,
            )
            .map_err(|x| e(&x))?;
        Ok(Self {
            service,
            facility,
            terminal,
            records,
        })
    }

    /// The person and qualification the insurance-card data names, if any.
    fn find(&self, card: &CardData) -> Option<(&Person, &[Qualification], &Qualification)> {
        let insurer = InsurerNumber::new(&card.insurer_number).ok()?;
        let trimmed = |s: &str| s.trim().to_owned();
        self.records.iter().find_map(|(person, qualifications)| {
            if person.birth_date != card.birthdate {
                return None;
            }
            qualifications
                .iter()
                .find(|q| {
                    q.insurer_number == insurer
                        && trimmed(&q.insured_card_symbol) == trimmed(&card.symbol)
                        && trimmed(&q.insured_identification_number) == trimmed(&card.number)
                        && card.branch.as_deref().is_none_or(|b| {
                            b.trim().is_empty() || b.trim() == q.insured_branch_number
                        })
                })
                .map(|q| (person, qualifications.as_slice(), q))
        })
    }

    /// Confirmation by insurance-card data (ReferenceClassification `2`) on `at`'s JST day: `1`
    /// when that qualification is in force, `3` when it ended and a newer one exists, `2` when it
    /// ended, `4` when no insured person matches.
    pub(crate) fn confirm_by_card(
        &self,
        card: &CardData,
        at: OffsetDateTime,
    ) -> Result<EligibilityAnswer, String> {
        let day = at.to_offset(jst()).date();
        let Some((person, all, q)) = self.find(card) else {
            return Ok(answer(QualificationValidity::NoQualification, Vec::new()));
        };
        let validity = if q.valid_on(day) {
            QualificationValidity::Valid
        } else if all.iter().any(|other| {
            other.valid_from > q.valid_from && other.valid_until.is_none_or(|u| day <= u)
        }) {
            QualificationValidity::InvalidNewerExists
        } else {
            QualificationValidity::Invalid
        };
        let reference = self
            .service
            .store()
            .reference_number(&self.facility, &person.agency_code)
            .map_err(|e| e.to_string())?;
        Ok(answer(validity, vec![result_of(person, q, reference)]))
    }

    /// Registers the clinic's 照会番号 for the insured person the card data names; `Ok(false)` when
    /// no one matches.
    pub(crate) fn register_reference(
        &self,
        card: &CardData,
        reference: &str,
    ) -> Result<bool, String> {
        if reference.is_empty() || reference.len() > 32 {
            return Err("the reference number must be 1 to 32 characters".into());
        }
        let Some((person, _, _)) = self.find(card) else {
            return Ok(false);
        };
        self.service
            .store()
            .set_reference_number(&self.facility, &person.agency_code, reference)
            .map_err(|e| e.to_string())?;
        Ok(true)
    }
}

fn answer(
    validity: QualificationValidity,
    result_list: Vec<ResultOfQualificationConfirmation>,
) -> EligibilityAnswer {
    EligibilityAnswer {
        processing_result_status: "1",
        processing_result_code: None,
        processing_result_message: None,
        reference_classification: "2",
        qualification_validity: Some(validity),
        result_list,
        // Medication and care information go with the card and the reader consent only.
        sharing_available: false,
        binding: None,
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

/// A date as the file interface writes it.
pub(crate) fn yyyymmdd(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day())
}
