//! A complete test world for demos, examples and tests: the virtual card's test PKI as trust anchors,
//! its CRLs (current and a year of monthly archives) as the revocation source, the card links of
//! every card it issues, a registered facility terminal, and eligibility records that follow the
//! system's rules.
//!
//! Nothing here is for production: the keys are public fixtures.

use std::sync::Arc;

use kazasu_card::cvc::{CaKey, CardKey, CvcTrust, KeyId};
use kazasu_pki::{Certificate, Crl, CrlSet, TrustStore};
use kazasu_virtual_card::pki::{
    CrlSpec, CvcHierarchy, Generation, HolderCredentials, IssueSpec, Persona, Purpose,
    RevokedEntry, TestPki, fixture_key,
};
use kazasu_virtual_card::{IssuedCard, VirtualCardBuilder};
use time::{Date, Duration, OffsetDateTime};

use crate::HealthError;
use crate::facility::FacilityTerminal;
use crate::links::MemoryCardLinks;
use crate::model::{AgencyCode, FacilityCode, InsuranceSex, InsurerNumber, Person, Qualification};
use crate::verify::VerificationSetup;

/// The sandbox clinic's facility code.
pub const SANDBOX_FACILITY: &str = "1310000019";
/// The sandbox clinic's reception terminal id.
pub const SANDBOX_TERMINAL: &str = "reception-1";
/// The fixture key of the sandbox terminal.
const TERMINAL_KEY: usize = 22;
/// How many monthly CRLs before `at` the sandbox keeps (for checks as of a past time).
const ARCHIVED_MONTHS: i64 = 12;

/// The test PKI plus a verification setup that trusts it.
#[derive(Debug)]
pub struct Sandbox {
    /// The PKI that issues the cards.
    pub pki: TestPki,
    /// What services verify with: the test roots (both generations), the current CRLs and a
    /// year of monthly ones before them.
    pub setup: VerificationSetup,
    /// The sandbox's "now".
    pub at: OffsetDateTime,
    /// Signature → authentication certificate of every card this sandbox issued.
    pub card_links: Arc<MemoryCardLinks>,
}

fn err(e: impl std::fmt::Display) -> HealthError {
    HealthError::Invalid {
        field: "sandbox",
        reason: e.to_string(),
    }
}

impl Sandbox {
    /// A sandbox at time `at`; the authentication CRLs of both generations list `revoked` serials
    /// (as [`HolderCredentials::auth_serial`] bytes), revoked ten days before `at`.
    pub fn new(seed: u64, at: OffsetDateTime, revoked: &[Vec<u8>]) -> Result<Self, HealthError> {
        let dated: Vec<(Vec<u8>, OffsetDateTime)> = revoked
            .iter()
            .map(|s| (s.clone(), at - Duration::days(10)))
            .collect();
        Self::with_revocations(seed, at, &dated)
    }

    /// A sandbox whose authentication CRLs list each serial from its revocation time on.
    pub fn with_revocations(
        seed: u64,
        at: OffsetDateTime,
        revoked: &[(Vec<u8>, OffsetDateTime)],
    ) -> Result<Self, HealthError> {
        let pki = TestPki::new(seed).map_err(err)?;
        let mut trust = TrustStore::new();
        let mut crls = CrlSet::new();
        for generation in [Generation::G2015, Generation::G2023] {
            for purpose in [Purpose::Authentication, Purpose::Signature] {
                let root = pki.root(purpose, generation);
                trust.add(Certificate::from_der(&root.der)?);
                for month in 0..=ARCHIVED_MONTHS {
                    let mut spec = if month == 0 {
                        CrlSpec::valid_at(at)
                    } else {
                        CrlSpec {
                            this_update: at - Duration::days(30 * month),
                            next_update: Some(at - Duration::days(30 * (month - 1))),
                            ..CrlSpec::valid_at(at)
                        }
                    };
                    spec.crl_number = u64::try_from(ARCHIVED_MONTHS - month + 1).unwrap_or(1);
                    if purpose == Purpose::Authentication {
                        for (serial, when) in revoked {
                            if *when <= spec.this_update {
                                spec = spec.revoke(RevokedEntry::from_bytes(serial, *when));
                            }
                        }
                    }
                    let der = pki.crl(purpose, generation, &spec).map_err(err)?;
                    crls.add(Crl::from_der(&der)?);
                }
            }
        }
        Ok(Self {
            pki,
            setup: VerificationSetup::new(trust, crls),
            at,
            card_links: Arc::new(MemoryCardLinks::new()),
        })
    }

    /// A virtual card for `persona` issued by this sandbox's PKI (its two certificates recorded
    /// as one card's in [`Sandbox::card_links`]).
    pub fn card(&self, persona: &Persona, spec: IssueSpec) -> Result<IssuedCard, HealthError> {
        let card = VirtualCardBuilder::new(self.pki.seed())
            .persona(persona.clone())
            .issue_spec(spec)
            .build()
            .map_err(err)?;
        self.record_link(&card.holder)?;
        Ok(card)
    }

    /// The certificates a persona would get, without building a card (links recorded too).
    pub fn credentials(
        &self,
        persona: &Persona,
        spec: &IssueSpec,
    ) -> Result<HolderCredentials, HealthError> {
        let holder = self.pki.issue(persona, spec).map_err(err)?;
        self.record_link(&holder)?;
        Ok(holder)
    }

    fn record_link(&self, holder: &HolderCredentials) -> Result<(), HealthError> {
        let auth = Certificate::from_der(&holder.auth_certificate)?;
        let sign = Certificate::from_der(&holder.sign_certificate)?;
        let (Some(sign), Some(auth)) = (sign.id(), auth.id()) else {
            return Err(err("test certificates carry an AuthorityKeyIdentifier"));
        };
        self.card_links.insert(sign, auth);
        Ok(())
    }

    /// The sandbox clinic's facility code.
    pub fn facility(&self) -> Result<FacilityCode, HealthError> {
        FacilityCode::new(SANDBOX_FACILITY)
    }

    /// Trust for chip-genuineness checks of the sandbox's virtual cards: the virtual card's test
    /// CVC CA keys, with the test hierarchy allowed (never for production cards).
    pub fn cvc_trust(&self) -> Result<CvcTrust, HealthError> {
        let hierarchy = CvcHierarchy::new().map_err(err)?;
        let mut trust = CvcTrust::new().allow_test_hierarchy(true);
        for ca in hierarchy.cas() {
            let id = KeyId::new(ca.key_id.0).map_err(err)?;
            let key = CardKey::from_components(&ca.exponent(), &ca.modulus()).map_err(err)?;
            trust.add(CaKey { id, key });
        }
        Ok(trust)
    }

    /// The sandbox clinic's reception terminal (register its key with a service's store).
    pub fn terminal(&self) -> Result<FacilityTerminal, HealthError> {
        let key = fixture_key(TERMINAL_KEY).map_err(err)?;
        FacilityTerminal::new(self.facility()?, SANDBOX_TERMINAL, key)
    }
}

/// Age in whole years on `day`.
pub fn age_on(birth: Date, day: Date) -> i32 {
    let had_birthday = (u8::from(day.month()), day.day()) >= (u8::from(birth.month()), birth.day());
    day.year() - birth.year() - i32::from(!had_birthday)
}

fn insurer(code: &str) -> Result<InsurerNumber, HealthError> {
    InsurerNumber::new(code)
}

/// The eligibility record of a persona as of `day`, following the system's rules: 75 and older in
/// 後期高齢者医療 (insurer `39130141`, 10 %), 70–74 insured with a 高齢受給者 ratio (20 %), under
/// 18 a dependant (家族) on a parent's insurance, everyone else insured (本人) since 2020-04-01 with
/// employees' health insurance `06139992`. Names use U+3000 between family and given name; NameKana
/// is half-width katakana.
pub fn person_record(
    persona: &Persona,
    agency: &AgencyCode,
    day: Date,
) -> Result<(Person, Vec<Qualification>), HealthError> {
    let sex = match persona.sex.code() {
        '1' => InsuranceSex::Male,
        '2' => InsuranceSex::Female,
        _ => InsuranceSex::Unset,
    };
    let person = Person {
        agency_code: agency.clone(),
        name: persona.name.replace(' ', "\u{3000}"),
        name_kana: kana_for(&persona.name).to_owned(),
        sex1: sex,
        sex2: sex,
        birth_date: persona.birth_date,
        address: None,
    };
    let since = Date::from_calendar_date(2020, time::Month::April, 1).unwrap_or(persona.birth_date);
    let age = age_on(persona.birth_date, day);
    let mut q = Qualification {
        insurer_number: insurer("06139992")?,
        insured_card_symbol: "12".into(),
        insured_identification_number: insured_number(agency),
        insured_branch_number: "00".into(),
        valid_from: since.max(persona.birth_date),
        valid_until: None,
        personal_family_classification: "1".into(),
        insured_partial_contribution_ratio: None,
        elderly_recipient_contribution_ratio: None,
    };
    if age >= 75 {
        q.insurer_number = insurer("39130141")?;
        q.insured_card_symbol = String::new();
        q.insured_identification_number = "00012345".into();
        q.insured_partial_contribution_ratio = Some("010".into());
    } else if age >= 70 {
        q.elderly_recipient_contribution_ratio = Some("020".into());
    } else if age < 18 {
        q.personal_family_classification = "2".into();
        q.insured_branch_number = "02".into();
    }
    q.validate()?;
    Ok((person, vec![q]))
}

/// Each insured person's own 被保険者証番号: `3456` plus the number at the end of the agency code,
/// so people who share an insurer never share a card.
fn insured_number(agency: &AgencyCode) -> String {
    let digits: String = agency
        .as_str()
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let n = digits
        .get(digits.len().saturating_sub(5)..)
        .and_then(|d| d.parse::<u64>().ok())
        .unwrap_or(0);
    (3456 + n).to_string()
}

/// A record with two qualifications in force at once (a new job's insurance began before the old
/// one ended): confirmation answers `5` 複数該当 and lists both.
pub fn overlapping_record(
    persona: &Persona,
    agency: &AgencyCode,
    day: Date,
) -> Result<(Person, Vec<Qualification>), HealthError> {
    let (person, mut qualifications) = person_record(persona, agency, day)?;
    let mut second = qualifications
        .first()
        .cloned()
        .ok_or_else(|| err("no qualification"))?;
    second.insurer_number = insurer("01130012")?;
    second.insured_card_symbol = "7".into();
    second.insured_identification_number = "88".into();
    second.valid_from = day - Duration::days(10);
    qualifications.push(second);
    Ok((person, qualifications))
}

fn kana_for(name: &str) -> &'static str {
    match name {
        "山田 花子" => "ﾔﾏﾀﾞ ﾊﾅｺ",
        "佐藤 太郎" => "ｻﾄｳ ﾀﾛｳ",
        "鈴木 一郎" => "ｽｽﾞｷ ｲﾁﾛｳ",
        "高橋 美咲" => "ﾀｶﾊｼ ﾐｻｷ",
        "田中 健太" => "ﾀﾅｶ ｹﾝﾀ",
        "伊藤 さくら" => "ｲﾄｳ ｻｸﾗ",
        "渡辺 翼" => "ﾜﾀﾅﾍﾞ ﾂﾊﾞｻ",
        "中村 陽子" => "ﾅｶﾑﾗ ﾖｳｺ",
        _ => "ﾃｽﾄ",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use kazasu_virtual_card::pki::PersonaBuilder;
    use time::macros::date;

    #[test]
    fn sandbox_people_follow_the_rules() {
        let day = date!(2026 - 11 - 30);
        let agency = AgencyCode::new("A1").unwrap();
        let mut seen = [false; 4];
        for seed in 0..64 {
            let persona = PersonaBuilder::from_seed(seed).build().unwrap();
            let (person, qs) = person_record(&persona, &agency, day).unwrap();
            let q = &qs[0];
            assert!(person.name.contains('\u{3000}'), "{}", person.name);
            assert!(!person.name.contains(' '));
            assert!(
                person
                    .name_kana
                    .chars()
                    .all(|c| ('\u{FF61}'..='\u{FF9F}').contains(&c) || c == ' ')
            );
            InsurerNumber::new(q.insurer_number.as_str()).unwrap();
            let age = age_on(person.birth_date, day);
            if age >= 75 {
                assert!(q.insurer_number.is_late_elderly());
                assert_eq!(q.insured_partial_contribution_ratio.as_deref(), Some("010"));
                seen[0] = true;
            } else if age >= 70 {
                assert!(q.elderly_recipient_contribution_ratio.is_some());
                seen[1] = true;
            } else if age < 18 {
                assert_eq!(q.personal_family_classification, "2");
                seen[2] = true;
            } else {
                assert_eq!(q.personal_family_classification, "1");
                seen[3] = true;
            }
        }
        assert_eq!(seen, [true; 4], "the sandbox covers every age rule");
    }

    #[test]
    fn ages() {
        assert_eq!(age_on(date!(1952 - 11 - 03), date!(2026 - 11 - 02)), 73);
        assert_eq!(age_on(date!(1952 - 11 - 03), date!(2026 - 11 - 03)), 74);
    }
}
