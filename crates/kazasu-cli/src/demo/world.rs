//! The demo's world: the sandbox PKI, the eligibility system, one clinic, and the people.

use kazasu_apdu::Transport;
use kazasu_card::{AuthPin, LastTry, SignPassword};
use kazasu_health::sandbox::{Sandbox, overlapping_record, person_record};
use kazasu_health::{
    AgencyCode, CardHolderProof, CheckinService, EligibilityService, EligibilityStore,
    FacilityCode, FacilityStore, FacilityTerminal, HealthError, IdentityCheck, PatientCardNumber,
    Presentation, SqliteStore, present_card, prove_card_holder,
};
use kazasu_pki::AuthAssertion;
use kazasu_virtual_card::VirtualTransport;
use kazasu_virtual_card::pki::{IssueSpec, Persona, PersonaBuilder};
use time::{Duration, OffsetDateTime};

use crate::Failure;

pub(crate) fn failure(e: impl std::fmt::Display) -> Failure {
    Failure::usage(format!("demo setup failed: {e}"))
}

/// Everything the steps share.
pub(crate) struct World {
    pub(crate) at: OffsetDateTime,
    pub(crate) reader: Option<String>,
    pub(crate) sandbox: Sandbox,
    pub(crate) eligibility: EligibilityService<SqliteStore>,
    pub(crate) desk: CheckinService<SqliteStore>,
    pub(crate) facility: FacilityCode,
    pub(crate) terminal: FacilityTerminal,
    pub(crate) pin: AuthPin,
    pub(crate) password: SignPassword,
    /// 山田 花子, the patient (seed 0).
    pub(crate) patient: Persona,
    pub(crate) agency: AgencyCode,
    pub(crate) patient_card: PatientCardNumber,
    /// Someone with a valid card of their own, trying to enrol it to the patient's record.
    pub(crate) attacker: Persona,
    /// A card revoked on the CRL.
    pub(crate) revoked: Persona,
    pub(crate) revoked_spec: IssueSpec,
    /// A card whose authentication certificate expired 20 days ago (grace period).
    pub(crate) expired: Persona,
    pub(crate) expired_spec: IssueSpec,
    /// A person with two qualifications in force (複数該当).
    pub(crate) overlapping: Persona,
    /// The first enrolment's assertion (for the replay step) and certificate.
    pub(crate) first: Option<AuthAssertion>,
    /// The HPKI ↔ JPKI linkage world, made by its first step.
    pub(crate) link: Option<Box<super::qualification::LinkState>>,
    /// The consent steps' network (made by the first of them).
    pub(crate) consent: Option<super::consent_steps::ConsentDemo>,
}

pub(crate) const PATIENT_AGENCY: &str = "AGC0000000000001";

impl World {
    pub(crate) fn new(at: OffsetDateTime, reader: Option<String>) -> Result<Self, Failure> {
        let persona = |seed| PersonaBuilder::from_seed(seed).build().map_err(failure);
        let patient = persona(0)?;
        let revoked = persona(5)?;
        let revoked_spec = IssueSpec {
            key_slot: 4,
            ..IssueSpec::default()
        };
        let expired = persona(1)?;
        let expired_spec = IssueSpec {
            key_slot: 5,
            not_after: Some(at - Duration::days(20)),
            ..IssueSpec::default()
        };
        let probe = Sandbox::new(0, at, &[]).map_err(failure)?;
        let revoked_serial = probe
            .credentials(&revoked, &revoked_spec)
            .map_err(failure)?
            .auth_serial;
        let sandbox = Sandbox::new(0, at, &[revoked_serial]).map_err(failure)?;
        // The patient's card may sit in a reader (`--reader`): J-LIS's card links must know it
        // all the same, as they know every card issued.
        sandbox
            .credentials(&patient, &IssueSpec::default())
            .map_err(failure)?;
        let eligibility = EligibilityService::new(
            sandbox.setup.clone(),
            SqliteStore::in_memory().map_err(failure)?,
            sandbox.card_links.clone(),
        );
        let facility = sandbox.facility().map_err(failure)?;
        let terminal = sandbox.terminal().map_err(failure)?;
        let desk = CheckinService::new(
            facility.clone(),
            sandbox.setup.clone(),
            SqliteStore::in_memory().map_err(failure)?,
        );
        let key = terminal.public_key_der().map_err(failure)?;
        for store in [eligibility.store(), desk.store()] {
            store
                .register_terminal(&facility, terminal.terminal(), &key, at)
                .map_err(failure)?;
        }
        let agency = AgencyCode::new(PATIENT_AGENCY).map_err(failure)?;
        let day = at.date();
        let records = [
            person_record(&patient, &agency, day),
            person_record(
                &revoked,
                &AgencyCode::new("AGC0000000000005").map_err(failure)?,
                day,
            ),
            person_record(
                &expired,
                &AgencyCode::new("AGC0000000000011").map_err(failure)?,
                day,
            ),
        ];
        for record in records {
            let (person, qualifications) = record.map_err(failure)?;
            eligibility
                .store()
                .put_person(&person, &qualifications)
                .map_err(failure)?;
        }
        let overlapping = persona(2)?;
        let (person, qualifications) = overlapping_record(
            &overlapping,
            &AgencyCode::new("AGC0000000000022").map_err(failure)?,
            day,
        )
        .map_err(failure)?;
        eligibility
            .store()
            .put_person(&person, &qualifications)
            .map_err(failure)?;
        Ok(Self {
            at,
            reader,
            sandbox,
            eligibility,
            desk,
            facility,
            terminal,
            pin: AuthPin::new("1234").map_err(failure)?,
            password: SignPassword::new("ABC123").map_err(failure)?,
            patient,
            agency,
            patient_card: PatientCardNumber::new("P-000123").map_err(failure)?,
            attacker: persona(3)?,
            revoked,
            revoked_spec,
            expired,
            expired_spec,
            overlapping,
            first: None,
            link: None,
            consent: None,
        })
    }

    /// A touch of `persona`'s card issued with `spec`: the reader for the patient's seed-0 card when
    /// one was named, otherwise a fresh virtual card.
    pub(crate) fn touch(
        &self,
        persona: &Persona,
        spec: &IssueSpec,
    ) -> Result<Box<dyn Transport>, Failure> {
        match &self.reader {
            Some(name) if spec.key_slot == 0 && persona.name == self.patient.name => {
                crate::source::reader(name)
            }
            _ => {
                let card = self.sandbox.card(persona, spec.clone()).map_err(failure)?;
                Ok(Box::new(VirtualTransport::new(card.card)))
            }
        }
    }

    pub(crate) fn with_pin(&self) -> IdentityCheck<'_> {
        IdentityCheck::Pin {
            pin: &self.pin,
            last_try: LastTry::Refuse,
        }
    }

    /// A PIN assertion over a fresh challenge of `issue`.
    pub(crate) fn assertion(
        &self,
        persona: &Persona,
        spec: &IssueSpec,
        challenge: &[u8],
    ) -> Result<(AuthAssertion, u64), HealthError> {
        let transport = self
            .touch(persona, spec)
            .map_err(|e| HealthError::Invalid {
                field: "card",
                reason: e.message().to_owned(),
            })?;
        let (presented, stats) = present_card(transport, challenge, self.with_pin())?;
        match presented {
            Presentation::Assertion(a) => Ok((a, stats.commands)),
            Presentation::StaffChecked { .. } => Err(HealthError::Invalid {
                field: "identity check",
                reason: "a PIN is needed".into(),
            }),
        }
    }

    /// Both keys of `persona`'s card over `challenge`.
    pub(crate) fn proof(
        &self,
        persona: &Persona,
        spec: &IssueSpec,
        challenge: &[u8],
    ) -> Result<(CardHolderProof, u64), HealthError> {
        let transport = self
            .touch(persona, spec)
            .map_err(|e| HealthError::Invalid {
                field: "card",
                reason: e.message().to_owned(),
            })?;
        let (proof, stats) = prove_card_holder(
            transport,
            challenge,
            &self.pin,
            &self.password,
            LastTry::Refuse,
        )?;
        Ok((proof, stats.commands))
    }
}
