//! A complete test world for demos, examples and tests: the virtual card's test PKI as trust anchors,
//! its CRLs as the revocation source, and the eligibility data of its personas.
//!
//! Nothing here is for production: the keys are public fixtures.

use std::sync::Arc;

use kazasu_pki::{Certificate, Crl, CrlSet, TrustStore, VerifierOptions};
use kazasu_virtual_card::pki::{
    CrlSpec, Generation, HolderCredentials, IssueSpec, Persona, Purpose, RevokedEntry, TestPki,
};
use kazasu_virtual_card::{IssuedCard, VirtualCardBuilder};
use time::{Date, OffsetDateTime};

use crate::HealthError;
use crate::model::{AgencyCode, Person, Qualification};
use crate::verify::VerificationSetup;

/// The test PKI plus a verification setup that trusts it.
#[derive(Debug)]
pub struct Sandbox {
    /// The PKI that issues the cards.
    pub pki: TestPki,
    /// What services verify with: the test roots (both generations), CRLs valid at `at`.
    pub setup: VerificationSetup,
    /// The sandbox's "now".
    pub at: OffsetDateTime,
}

fn err(e: impl std::fmt::Display) -> HealthError {
    HealthError::Invalid {
        field: "sandbox",
        reason: e.to_string(),
    }
}

impl Sandbox {
    /// A sandbox at time `at`; the authentication CRLs of both generations list `revoked` serials
    /// (as [`HolderCredentials::auth_serial`] bytes).
    pub fn new(seed: u64, at: OffsetDateTime, revoked: &[Vec<u8>]) -> Result<Self, HealthError> {
        let pki = TestPki::new(seed).map_err(err)?;
        let mut trust = TrustStore::new();
        let mut crls = CrlSet::new();
        for generation in [Generation::G2015, Generation::G2023] {
            for purpose in [Purpose::Authentication, Purpose::Signature] {
                let root = pki.root(purpose, generation);
                trust.add(Certificate::from_der(&root.der)?);
                let mut spec = CrlSpec::valid_at(at);
                for serial in revoked {
                    spec = spec.revoke(RevokedEntry::from_bytes(
                        serial,
                        at - time::Duration::days(10),
                    ));
                }
                let der = pki.crl(purpose, generation, &spec).map_err(err)?;
                crls.add(Crl::from_der(&der)?);
            }
        }
        Ok(Self {
            pki,
            setup: VerificationSetup {
                trust,
                revocation: Arc::new(crls),
                options: VerifierOptions::default(),
            },
            at,
        })
    }

    /// A virtual card for `persona` issued by this sandbox's PKI.
    pub fn card(&self, persona: &Persona, spec: IssueSpec) -> Result<IssuedCard, HealthError> {
        VirtualCardBuilder::new(self.pki.seed())
            .persona(persona.clone())
            .issue_spec(spec)
            .build()
            .map_err(err)
    }

    /// The certificates a persona would get, without building a card.
    pub fn credentials(
        &self,
        persona: &Persona,
        spec: &IssueSpec,
    ) -> Result<HolderCredentials, HealthError> {
        self.pki.issue(persona, spec).map_err(err)
    }
}

/// The eligibility record of a persona: an employee's health insurance since 2020-04-01.
pub fn person_record(persona: &Persona, agency: &AgencyCode) -> (Person, Vec<Qualification>) {
    let person = Person {
        agency_code: agency.clone(),
        name: persona.name.clone(),
        name_kana: kana_for(&persona.name),
        sex: persona.sex.code().to_string(),
        birth_date: persona.birth_date,
    };
    let since = Date::from_calendar_date(2020, time::Month::April, 1).unwrap_or(persona.birth_date);
    let qualification = Qualification {
        insurer_number: "06139999".into(),
        insured_card_symbol: "12".into(),
        insured_identification_number: "3456".into(),
        insured_branch_number: "00".into(),
        valid_from: since,
        valid_until: None,
        personal_family_classification: "1".into(),
        insured_partial_contribution_ratio: None,
    };
    (person, vec![qualification])
}

fn kana_for(name: &str) -> String {
    match name {
        "山田 花子" => "ヤマダ ハナコ",
        "佐藤 太郎" => "サトウ タロウ",
        "鈴木 一郎" => "スズキ イチロウ",
        "高橋 美咲" => "タカハシ ミサキ",
        "田中 健太" => "タナカ ケンタ",
        "伊藤 さくら" => "イトウ サクラ",
        "渡辺 翼" => "ワタナベ ツバサ",
        "中村 陽子" => "ナカムラ ヨウコ",
        _ => "テスト",
    }
    .to_owned()
}
