//! The eligibility system behind the test double: the sandbox's PKI, people and clinic, over any
//! [`EligibilityStore`].
//!
//! The sandbox people are seeds 0 to 7 of the virtual card's personas (seed 0, 山田 花子, is the card
//! `kazasu virtual-card serve` puts in a reader; seed 2 has two qualifications in force). Each
//! one's card (key slot 0) is linked to their record as an insurer's feed would link it, so a touch
//! of any of these cards finds its person. Lookups by insurance-card data go through the
//! eligibility service (`confirm_by_insurance_card`: any store, audited).

use kazasu_health::sandbox::{SANDBOX_TERMINAL, Sandbox, overlapping_record, person_record};
use kazasu_health::{
    AgencyCode, EligibilityAnswer, EligibilityService, EligibilityStore, FacilityCode,
    FacilityTerminal, InsuranceCardQuery, InsurerNumber, TrustedLinkImport,
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
        })
    }

    /// The card data as the service's query (`None`: the insurer number is not a valid one, so
    /// nobody can hold it).
    fn query(card: &CardData) -> Option<InsuranceCardQuery> {
        Some(InsuranceCardQuery::new(
            InsurerNumber::new(&card.insurer_number).ok()?,
            card.symbol.clone(),
            card.number.clone(),
            card.branch.clone(),
            card.birthdate,
        ))
    }

    /// Confirmation by insurance-card data (ReferenceClassification `2`) on `at`'s JST day, through
    /// the eligibility service (audited): `1` in force, `3` ended with a newer one, `2` ended, `4`
    /// nobody matches.
    pub(crate) fn confirm_by_card(
        &self,
        card: &CardData,
        at: OffsetDateTime,
    ) -> Result<EligibilityAnswer, String> {
        let Some(query) = Self::query(card) else {
            let mut none = EligibilityAnswer::default();
            none.reference_classification = "2";
            none.qualification_validity =
                Some(kazasu_health::QualificationValidity::NoQualification);
            return Ok(none);
        };
        self.service
            .confirm_by_insurance_card(&self.facility, &query, at)
            .map_err(|e| e.to_string())
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
        let Some(query) = Self::query(card) else {
            return Ok(false);
        };
        let found = self
            .service
            .store()
            .find_by_insurance_card(&query)
            .map_err(|e| e.to_string())?;
        let [agency] = found.as_slice() else {
            return Ok(false);
        };
        self.service
            .store()
            .set_reference_number(&self.facility, agency, reference)
            .map_err(|e| e.to_string())?;
        Ok(true)
    }
}
