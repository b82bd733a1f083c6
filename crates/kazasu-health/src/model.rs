//! The data of the flows, with the official field names and codes kept as strings.

use std::fmt;

use serde::Serialize;
use time::Date;

use crate::HealthError;

macro_rules! code_type {
    ($(#[$doc:meta])* $name:ident, $field:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps the code.
            pub fn new(code: &str) -> Result<Self, HealthError> {
                let check: fn(&str) -> bool = $check;
                if check(code) {
                    Ok(Self(code.to_owned()))
                } else {
                    Err(HealthError::Invalid { field: $field, reason: format!("{code:?} is not valid") })
                }
            }

            /// The code.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

fn printable(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_graphic())
}

code_type!(
    /// The agency-specific code (機関別符号) that identifies a person to the eligibility system. Bound
    /// 1:1 to an authentication certificate at enrolment; never the My Number.
    AgencyCode,
    "agency code",
    |s| printable(s, 64)
);
code_type!(
    /// A medical facility's code (医療機関コード, 10 digits).
    FacilityCode,
    "facility code",
    |s| s.len() == 10 && s.bytes().all(|b| b.is_ascii_digit())
);
code_type!(
    /// A facility's patient-card number (診察券番号).
    PatientCardNumber,
    "patient card number",
    |s| printable(s, 32)
);

/// A person in the eligibility system.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Person {
    /// 機関別符号.
    pub agency_code: AgencyCode,
    /// Name (kanji).
    pub name: String,
    /// Name in katakana.
    pub name_kana: String,
    /// `1` male, `2` female.
    pub sex: String,
    /// Date of birth.
    pub birth_date: Date,
}

/// One insurance qualification (資格) of a person.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Qualification {
    /// 保険者番号 (8 characters; leading zeros matter).
    pub insurer_number: String,
    /// 被保険者証記号.
    pub insured_card_symbol: String,
    /// 被保険者証番号.
    pub insured_identification_number: String,
    /// 枝番 (2 digits).
    pub insured_branch_number: String,
    /// First day of validity.
    pub valid_from: Date,
    /// Last day of validity, if it ended.
    pub valid_until: Option<Date>,
    /// `1` 本人 (the insured), `2` 家族 (a dependant).
    pub personal_family_classification: String,
    /// 一部負担金割合 for 後期高齢者 (e.g. `010` = 10 %).
    pub insured_partial_contribution_ratio: Option<String>,
}

impl Qualification {
    /// Whether it is in force on `day`.
    pub fn valid_on(&self, day: Date) -> bool {
        self.valid_from <= day && self.valid_until.is_none_or(|u| day <= u)
    }

    /// Validates the codes.
    pub fn validate(&self) -> Result<(), HealthError> {
        let bad = |field, reason: &str| {
            Err(HealthError::Invalid {
                field,
                reason: reason.into(),
            })
        };
        if self.insurer_number.len() != 8
            || !self.insurer_number.bytes().all(|b| b.is_ascii_digit())
        {
            return bad("insurer number", "must be 8 digits");
        }
        if self.insured_branch_number.len() != 2
            || !self
                .insured_branch_number
                .bytes()
                .all(|b| b.is_ascii_digit())
        {
            return bad("branch number", "must be 2 digits");
        }
        if !matches!(self.personal_family_classification.as_str(), "1" | "2") {
            return bad("personal/family classification", "must be 1 or 2");
        }
        if let Some(r) = &self.insured_partial_contribution_ratio
            && (r.len() != 3 || !r.bytes().all(|b| b.is_ascii_digit()))
        {
            return bad("contribution ratio", "must be 3 digits");
        }
        Ok(())
    }
}

/// QualificationValidity (資格有効性).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize)]
pub enum QualificationValidity {
    /// `1` 有効.
    #[serde(rename = "1")]
    Valid,
    /// `2` 無効.
    #[serde(rename = "2")]
    Invalid,
    /// `3` 無効・新しい資格あり.
    #[serde(rename = "3")]
    InvalidNewerExists,
    /// `4` 該当資格なし.
    #[serde(rename = "4")]
    NoQualification,
    /// `5` 複数該当.
    #[serde(rename = "5")]
    Multiple,
}

impl QualificationValidity {
    /// The official one-digit code.
    pub fn code(self) -> &'static str {
        match self {
            QualificationValidity::Valid => "1",
            QualificationValidity::Invalid => "2",
            QualificationValidity::InvalidNewerExists => "3",
            QualificationValidity::NoQualification => "4",
            QualificationValidity::Multiple => "5",
        }
    }
}

/// How the answer was obtained.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize)]
pub enum Binding {
    /// The card holder proved possession with the PIN (the card signed the service's challenge).
    CardHolder,
    /// Staff checked the person (face or documents); the card was only read.
    StaffChecked,
    /// The authentication certificate expired less than three months ago: qualification data only.
    ExpiredCertificateGrace,
}

/// The answer of an eligibility confirmation, with the field names of the public client libraries.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EligibilityAnswer {
    /// ProcessingResultStatus: `1` ok.
    pub processing_result_status: &'static str,
    /// ReferenceClassification: `1` My Number Card.
    pub reference_classification: &'static str,
    /// QualificationValidity.
    pub qualification_validity: QualificationValidity,
    /// InsurerNumber.
    pub insurer_number: Option<String>,
    /// InsuredCardSymbol.
    pub insured_card_symbol: Option<String>,
    /// InsuredIdentificationNumber.
    pub insured_identification_number: Option<String>,
    /// InsuredBranchNumber.
    pub insured_branch_number: Option<String>,
    /// Name (omitted in the grace period).
    pub name: Option<String>,
    /// NameKana (omitted in the grace period).
    pub name_kana: Option<String>,
    /// Sex.
    pub sex: Option<String>,
    /// Birthdate, `yyyyMMdd`.
    pub birthdate: Option<String>,
    /// InsuredCardValidDate, `yyyyMMdd`.
    pub insured_card_valid_date: Option<String>,
    /// InsuredCardExpirationDate, `yyyyMMdd`.
    pub insured_card_expiration_date: Option<String>,
    /// PersonalFamilyClassification.
    pub personal_family_classification: Option<String>,
    /// InsuredPartialContributionRatio.
    pub insured_partial_contribution_ratio: Option<String>,
    /// ReferenceNumber: the clinic's 照会番号, if it registered one.
    pub reference_number: Option<String>,
    /// How the person was bound to the card.
    pub binding: Binding,
}

/// A reservation at a facility.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Reservation {
    /// Day.
    pub day: Date,
    /// Time of day, `HH:MM`.
    pub time: String,
    /// Department.
    pub department: String,
}

/// What the desk hands the patient after a card check-in.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Receipt {
    /// The facility.
    pub facility: FacilityCode,
    /// The patient card found through the card.
    pub patient_card: PatientCardNumber,
    /// The day.
    pub day: Date,
    /// Queue number, unique per facility and day.
    pub queue_number: u32,
    /// The day's reservations.
    pub reservations: Vec<Reservation>,
}

/// `yyyyMMdd`.
pub(crate) fn yyyymmdd(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day())
}
