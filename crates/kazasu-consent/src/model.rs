//! The consent record: who, whom, what, why, when, and who gave it.

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};

use crate::ConsentError;

/// Age of majority in Japan (民法 since 2022-04-01): a representative's authority ends then.
pub const MAJORITY_AGE: i32 = 18;

/// How long a consent given at the eligibility reader lasts.
pub const READER_CONSENT_LIFETIME: Duration = Duration::hours(24);

/// Longest identifier accepted (ids, codes, names, URIs).
pub const MAX_FIELD_LEN: usize = 512;

/// Checks a free-text field: not empty, bounded, no control characters (the canonical document is
/// line-based).
pub(crate) fn text_field(field: &'static str, value: &str) -> Result<(), ConsentError> {
    if value.trim().is_empty() {
        return Err(ConsentError::invalid(field, "empty"));
    }
    if value.len() > MAX_FIELD_LEN {
        return Err(ConsentError::invalid(field, "too long"));
    }
    if value.chars().any(char::is_control) {
        return Err(ConsentError::invalid(field, "control characters"));
    }
    Ok(())
}

/// A JPKI identity: the certificate's issuer key id and serial (hex, `issuer:serial`), the way
/// `kazasu-pki`'s `CertificateId` names a card certificate. Never an insurance number, never the
/// My Number.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JpkiIdentity(String);

impl JpkiIdentity {
    /// Parses `issuerkeyid:serial` (both lower-case hex).
    pub fn new(text: &str) -> Result<Self, ConsentError> {
        let (issuer, serial) = text
            .split_once(':')
            .ok_or_else(|| ConsentError::invalid("JPKI identity", "expected issuer:serial"))?;
        let hex_ok = |s: &str| {
            !s.is_empty()
                && s.len() <= 128
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        if !hex_ok(issuer) || !hex_ok(serial) {
            return Err(ConsentError::invalid(
                "JPKI identity",
                "issuer key id and serial must be lower-case hex",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// The identity of a card certificate.
    pub fn of(certificate: &kazasu_pki::Certificate) -> Result<Self, ConsentError> {
        let id = certificate.id().ok_or_else(|| {
            ConsentError::invalid("JPKI identity", "the certificate has no authority key id")
        })?;
        Self::new(&format!("{}:{}", id.issuer_key_id_hex(), id.serial_hex()))
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The patient: the network's own patient id and the JPKI identity the patient (or the child's
/// card) presented, with the birth date that decides minority.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Patient {
    /// The network's patient id.
    pub network_id: String,
    /// The patient's JPKI identity.
    pub jpki: JpkiIdentity,
    /// The birth date (from the JPKI signature certificate or the network's record).
    pub birth_date: Date,
}

/// Age in whole years on `day`.
pub fn age_on(birth: Date, day: Date) -> i32 {
    let mut age = day.year() - birth.year();
    if (day.month() as u8, day.day()) < (birth.month() as u8, birth.day()) {
        age -= 1;
    }
    age
}

impl Patient {
    /// Whether the patient is a minor on `at`'s date.
    pub fn is_minor(&self, at: OffsetDateTime) -> bool {
        age_on(self.birth_date, at.date()) < MAJORITY_AGE
    }
}

/// Whom a consent lets see the records.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Grantee {
    /// A facility (医療機関コード or the network's facility id).
    Facility(String),
    /// A clinician by HPKI identity (the HPKI certificate's issuer key id and serial, or the
    /// network's HPKI-linked id).
    Clinician(String),
    /// Another network (for queries between networks).
    Network(String),
}

impl Grantee {
    fn validate(&self) -> Result<(), ConsentError> {
        match self {
            Grantee::Facility(s) => text_field("facility", s),
            Grantee::Clinician(s) => text_field("clinician", s),
            Grantee::Network(s) => text_field("network", s),
        }
    }
}

/// Who asks to see a record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// A facility's system.
    Facility {
        /// The facility.
        facility: String,
    },
    /// A clinician (HPKI identity) working at a facility.
    Clinician {
        /// The clinician's HPKI identity.
        hpki: String,
        /// The facility the clinician works at.
        facility: String,
    },
    /// Another network asking on behalf of one of its members.
    Network {
        /// The network.
        network: String,
    },
}

/// The consent patterns regional networks use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    /// Every member facility of the network at once (一括).
    AllMembers,
    /// A listed set of facilities, clinicians or networks (リスト).
    Listed,
    /// One facility (施設ごと).
    PerFacility,
    /// One clinician (個人単位).
    PerClinician,
}

impl Pattern {
    /// The code used in documents and FHIR.
    pub fn code(self) -> &'static str {
        match self {
            Pattern::AllMembers => "all_members",
            Pattern::Listed => "listed",
            Pattern::PerFacility => "per_facility",
            Pattern::PerClinician => "per_clinician",
        }
    }

    /// Parses [`Pattern::code`].
    pub fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "all_members" => Pattern::AllMembers,
            "listed" => Pattern::Listed,
            "per_facility" => Pattern::PerFacility,
            "per_clinician" => Pattern::PerClinician,
            _ => return None,
        })
    }

    fn japanese(self) -> &'static str {
        match self {
            Pattern::AllMembers => "一括",
            Pattern::Listed => "リスト",
            Pattern::PerFacility => "施設ごと",
            Pattern::PerClinician => "個人単位",
        }
    }
}

impl std::fmt::Display for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.code(), self.japanese())
    }
}

/// A class of medical data. Extensible: [`DataClass::Other`] carries a network-defined code.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum DataClass {
    /// 薬剤情報.
    Medication,
    /// 診療情報 (diagnoses and care).
    DiagnosesAndCare,
    /// 手術情報.
    Surgery,
    /// 特定健診等情報 (check-ups).
    CheckUps,
    /// 検査結果 (laboratory results).
    Labs,
    /// 画像 (images).
    Images,
    /// A network-defined class (a code of lower-case letters, digits, `-` and `_`).
    Other(String),
}

impl DataClass {
    /// The code used in documents and FHIR.
    pub fn code(&self) -> &str {
        match self {
            DataClass::Medication => "medication",
            DataClass::DiagnosesAndCare => "diagnoses-care",
            DataClass::Surgery => "surgery",
            DataClass::CheckUps => "check-ups",
            DataClass::Labs => "labs",
            DataClass::Images => "images",
            DataClass::Other(c) => c,
        }
    }

    /// Parses a code.
    pub fn from_code(code: &str) -> Result<Self, ConsentError> {
        Ok(match code {
            "medication" => DataClass::Medication,
            "diagnoses-care" => DataClass::DiagnosesAndCare,
            "surgery" => DataClass::Surgery,
            "check-ups" => DataClass::CheckUps,
            "labs" => DataClass::Labs,
            "images" => DataClass::Images,
            other => {
                let ok = !other.is_empty()
                    && other.len() <= 64
                    && other.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                    });
                if !ok {
                    return Err(ConsentError::invalid("data class", other.to_owned()));
                }
                DataClass::Other(other.to_owned())
            }
        })
    }

    /// The classes the eligibility reader asks about (medication, diagnoses and care, surgery,
    /// check-ups).
    pub fn reader_classes() -> Vec<DataClass> {
        vec![
            DataClass::Medication,
            DataClass::DiagnosesAndCare,
            DataClass::Surgery,
            DataClass::CheckUps,
        ]
    }
}

impl From<DataClass> for String {
    fn from(c: DataClass) -> String {
        c.code().to_owned()
    }
}

impl TryFrom<String> for DataClass {
    type Error = ConsentError;
    fn try_from(s: String) -> Result<Self, ConsentError> {
        DataClass::from_code(&s)
    }
}

/// Why the data is seen: HL7 v3 ActReason codes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Purpose {
    /// `TREAT`: treatment.
    Treatment,
    /// `ETREAT`: emergency treatment.
    EmergencyTreatment,
    /// `HPAYMT`: payment.
    Payment,
    /// `HRESCH`: research.
    Research,
}

impl Purpose {
    /// The HL7 v3 ActReason code.
    pub fn code(&self) -> &'static str {
        match self {
            Purpose::Treatment => "TREAT",
            Purpose::EmergencyTreatment => "ETREAT",
            Purpose::Payment => "HPAYMT",
            Purpose::Research => "HRESCH",
        }
    }

    /// Parses an ActReason code.
    pub fn from_code(code: &str) -> Result<Self, ConsentError> {
        Ok(match code {
            "TREAT" => Purpose::Treatment,
            "ETREAT" => Purpose::EmergencyTreatment,
            "HPAYMT" => Purpose::Payment,
            "HRESCH" => Purpose::Research,
            other => return Err(ConsentError::invalid("purpose", other.to_owned())),
        })
    }
}

impl From<Purpose> for String {
    fn from(p: Purpose) -> String {
        p.code().to_owned()
    }
}

impl TryFrom<String> for Purpose {
    type Error = ConsentError;
    fn try_from(s: String) -> Result<Self, ConsentError> {
        Purpose::from_code(&s)
    }
}

/// When a consent applies: from `start`, until `end` (exclusive) when there is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// Start.
    #[serde(with = "time::serde::rfc3339")]
    pub start: OffsetDateTime,
    /// End (exclusive), or none.
    #[serde(with = "time::serde::rfc3339::option")]
    pub end: Option<OffsetDateTime>,
}

/// Who performed the act: the patient, or a representative with their own JPKI identity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Performer {
    /// The patient.
    Patient,
    /// A representative (a parent for a child, a guardian).
    Representative {
        /// Their name.
        name: String,
        /// Relationship to the patient (HL7 v3 RoleCode: `PRN` parent, `GUARD` guardian, …).
        relationship: String,
        /// Their own JPKI identity.
        jpki: JpkiIdentity,
    },
}

/// The network's terms the consent was given under.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The terms' URI.
    pub uri: String,
    /// Their version.
    pub version: String,
}

/// The consent's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentKind {
    /// A network consent, signed by the patient (or representative), valid for its period.
    Network,
    /// The consent given at the eligibility reader: one facility, the reader classes, and it ends
    /// by itself [`READER_CONSENT_LIFETIME`] after it was given.
    Reader24h,
}

/// A consent's status (FHIR: `active`, `inactive`, `entered-in-error`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// In force (within its period).
    Active,
    /// Withdrawn by a later ledger entry.
    Withdrawn,
    /// Recorded by mistake (marked by the network with a later entry).
    EnteredInError,
}

/// A consent record: everything a decision needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecord {
    /// The consent's id (unique in the network).
    pub id: String,
    /// The network that holds it.
    pub network: String,
    /// Its kind.
    pub kind: ConsentKind,
    /// The patient.
    pub patient: Patient,
    /// The pattern.
    pub pattern: Pattern,
    /// Who may see (empty for [`Pattern::AllMembers`]).
    pub grantees: Vec<Grantee>,
    /// The data classes.
    pub classes: Vec<DataClass>,
    /// The purposes.
    pub purposes: Vec<Purpose>,
    /// When it applies.
    pub period: Period,
    /// Who gave it.
    pub performer: Performer,
    /// The terms.
    pub policy: Policy,
}

impl ConsentRecord {
    /// Checks the record's shape: fields, pattern against grantees, minors need a representative
    /// (at `given_at`), the reader kind's fixed shape.
    pub fn validate(&self, given_at: OffsetDateTime) -> Result<(), ConsentError> {
        text_field("consent id", &self.id)?;
        text_field("network", &self.network)?;
        text_field("patient id", &self.patient.network_id)?;
        text_field("policy uri", &self.policy.uri)?;
        text_field("policy version", &self.policy.version)?;
        if self.policy.uri.contains('|') || self.policy.version.contains('|') {
            return Err(ConsentError::invalid(
                "policy",
                "`|` separates uri and version",
            ));
        }
        for g in &self.grantees {
            g.validate()?;
        }
        if self.classes.is_empty() {
            return Err(ConsentError::invalid("data classes", "none"));
        }
        if self.purposes.is_empty() {
            return Err(ConsentError::invalid("purposes", "none"));
        }
        if let Some(end) = self.period.end
            && end <= self.period.start
        {
            return Err(ConsentError::invalid("period", "ends before it starts"));
        }
        let facilities = self
            .grantees
            .iter()
            .filter(|g| matches!(g, Grantee::Facility(_)))
            .count();
        let clinicians = self
            .grantees
            .iter()
            .filter(|g| matches!(g, Grantee::Clinician(_)))
            .count();
        let shape_ok = match self.pattern {
            Pattern::AllMembers => self.grantees.is_empty(),
            Pattern::Listed => !self.grantees.is_empty(),
            Pattern::PerFacility => self.grantees.len() == 1 && facilities == 1,
            Pattern::PerClinician => self.grantees.len() == 1 && clinicians == 1,
        };
        if !shape_ok {
            return Err(ConsentError::invalid(
                "grantees",
                format!("do not fit the pattern {}", self.pattern.code()),
            ));
        }
        if let Performer::Representative {
            name,
            relationship,
            jpki,
        } = &self.performer
        {
            text_field("representative name", name)?;
            text_field("relationship", relationship)?;
            if jpki == &self.patient.jpki {
                return Err(ConsentError::invalid(
                    "representative",
                    "must prove their own identity, not the patient's",
                ));
            }
        }
        if self.patient.is_minor(given_at) && self.performer == Performer::Patient {
            return Err(ConsentError::Refused(
                "the patient is a minor: a representative must consent".into(),
            ));
        }
        if self.kind == ConsentKind::Reader24h {
            if self.pattern != Pattern::PerFacility {
                return Err(ConsentError::invalid(
                    "reader consent",
                    "is given for one facility",
                ));
            }
            if self.period.end != Some(self.period.start + READER_CONSENT_LIFETIME) {
                return Err(ConsentError::invalid("reader consent", "lasts 24 hours"));
            }
            let allowed = DataClass::reader_classes();
            if self.classes.iter().any(|c| !allowed.contains(c)) {
                return Err(ConsentError::invalid(
                    "reader consent",
                    "covers only medication, diagnoses and care, surgery and check-ups",
                ));
            }
        }
        Ok(())
    }

    /// The JPKI identity whose key must sign this record's grant.
    pub fn signer_identity(&self) -> &JpkiIdentity {
        match &self.performer {
            Performer::Patient => &self.patient.jpki,
            Performer::Representative { jpki, .. } => jpki,
        }
    }
}

/// What a facility's eligibility reader asks by default (the facility chooses which classes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReaderDefaults {
    /// The facility.
    pub facility: String,
    /// The classes its reader offers (a subset of [`DataClass::reader_classes`]).
    pub classes: Vec<DataClass>,
}

impl ReaderDefaults {
    /// The 24-hour reader consent `patient` gives at this facility's reader at `at`, under
    /// `policy`, for `network`.
    pub fn consent(
        &self,
        id: &str,
        network: &str,
        patient: Patient,
        policy: Policy,
        at: OffsetDateTime,
    ) -> ConsentRecord {
        ConsentRecord {
            id: id.to_owned(),
            network: network.to_owned(),
            kind: ConsentKind::Reader24h,
            patient,
            pattern: Pattern::PerFacility,
            grantees: vec![Grantee::Facility(self.facility.clone())],
            classes: self.classes.clone(),
            purposes: vec![Purpose::Treatment],
            period: Period {
                start: at,
                end: Some(at + READER_CONSENT_LIFETIME),
            },
            performer: Performer::Patient,
            policy,
        }
    }
}
