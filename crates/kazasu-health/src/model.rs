//! The data of the flows, with the official field names and codes kept as strings.

use std::fmt;

use serde::{Deserialize, Serialize};
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

/// Sex as the eligibility system codes it (Sex1 as printed on the card, Sex2 the actual one).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
pub enum InsuranceSex {
    /// `1` 男.
    #[serde(rename = "1")]
    Male,
    /// `2` 女.
    #[serde(rename = "2")]
    Female,
    /// `3` 未設定 (not set).
    #[serde(rename = "3")]
    #[default]
    Unset,
}

impl InsuranceSex {
    /// The official one-digit code.
    pub fn code(self) -> &'static str {
        match self {
            InsuranceSex::Male => "1",
            InsuranceSex::Female => "2",
            InsuranceSex::Unset => "3",
        }
    }

    /// Parses the official code.
    pub fn from_code(code: &str) -> Result<Self, HealthError> {
        match code {
            "1" => Ok(InsuranceSex::Male),
            "2" => Ok(InsuranceSex::Female),
            "3" => Ok(InsuranceSex::Unset),
            other => Err(HealthError::Invalid {
                field: "sex",
                reason: format!("{other:?} is not 1, 2 or 3"),
            }),
        }
    }

    /// The code for a JPKI (ISO 5218) sex: 1 male, 2 female; 0 and 9 are not set.
    pub fn from_jpki(sex: kazasu_types::Sex) -> Self {
        Self::from(sex)
    }
}

impl From<kazasu_types::Sex> for InsuranceSex {
    /// ISO 5218 `1` → `1`, `2` → `2`; `0` (not known) and `9` (not applicable) → `3` (not set).
    fn from(sex: kazasu_types::Sex) -> Self {
        match sex {
            kazasu_types::Sex::Male => InsuranceSex::Male,
            kazasu_types::Sex::Female => InsuranceSex::Female,
            kazasu_types::Sex::NotKnown | kazasu_types::Sex::NotApplicable => InsuranceSex::Unset,
        }
    }
}

/// 保険者番号: 8 digits, or a 6-digit 国民健康保険 number (sent padded with two leading spaces); the
/// last digit is a check digit (保険者番号設定要領: over the other digits from the right, weights 2, 1,
/// 2, 1…, the digits of each product summed; check digit = (10 − sum mod 10) mod 10).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize)]
#[serde(transparent)]
pub struct InsurerNumber(String);

impl InsurerNumber {
    /// Validates the number: 8 digits, 6 digits, or 6 digits after two spaces; check digit correct.
    pub fn new(code: &str) -> Result<Self, HealthError> {
        let digits = code.strip_prefix("  ").unwrap_or(code);
        let bad = |reason: String| HealthError::Invalid {
            field: "insurer number",
            reason,
        };
        if !(digits.len() == 8 || digits.len() == 6) || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad(format!("{code:?} is not 8 or 6 digits")));
        }
        let (body, check) = digits.split_at(digits.len() - 1);
        let expected = insurer_check_digit(body);
        if check.as_bytes().first().map(|b| b - b'0') != Some(expected) {
            return Err(bad(format!("{code:?}: check digit should be {expected}")));
        }
        Ok(Self(digits.to_owned()))
    }

    /// The digits (6 or 8).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// As the XML sends it: 8 characters, a 6-digit number after two spaces.
    pub fn padded(&self) -> String {
        format!("{:>8}", self.0)
    }

    /// Whether it is a 後期高齢者医療 insurer (`39…`).
    pub fn is_late_elderly(&self) -> bool {
        self.0.len() == 8 && self.0.starts_with("39")
    }
}

impl fmt::Display for InsurerNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The check digit of an insurer number's other digits.
pub fn insurer_check_digit(body: &str) -> u8 {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let product = u32::from(b.saturating_sub(b'0')) * if i % 2 == 0 { 2 } else { 1 };
            product / 10 + product % 10
        })
        .sum();
    u8::try_from((10 - sum % 10) % 10).unwrap_or(0)
}

/// A person in the eligibility system.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[non_exhaustive]
pub struct Person {
    /// 機関別符号.
    pub agency_code: AgencyCode,
    /// Name (kanji), family and given name separated by U+3000 as the system sends it.
    pub name: String,
    /// Name in half-width katakana, as the system sends it.
    pub name_kana: String,
    /// Sex1: as printed on the card.
    pub sex1: InsuranceSex,
    /// Sex2: the actual one.
    pub sex2: InsuranceSex,
    /// Date of birth.
    pub birth_date: Date,
    /// Address, where the insurer has it (matched at enrolment only when present).
    pub address: Option<String>,
}

/// One insurance qualification (資格) of a person.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[non_exhaustive]
pub struct Qualification {
    /// 保険者番号.
    pub insurer_number: InsurerNumber,
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
    /// 高齢受給者 contribution ratio for ages 70–74 (e.g. `020` = 20 %).
    pub elderly_recipient_contribution_ratio: Option<String>,
}

impl Person {
    /// A person as the insurer's data gives them (no address; set `address` where the insurer has
    /// one).
    pub fn new(
        agency_code: AgencyCode,
        name: impl Into<String>,
        name_kana: impl Into<String>,
        sex1: InsuranceSex,
        sex2: InsuranceSex,
        birth_date: Date,
    ) -> Self {
        Self {
            agency_code,
            name: name.into(),
            name_kana: name_kana.into(),
            sex1,
            sex2,
            birth_date,
            address: None,
        }
    }
}

impl Qualification {
    /// An insured person's (本人) qualification in force from `valid_from`, with no end and no
    /// contribution ratios; set the other fields as the insurer's data says.
    pub fn new(
        insurer_number: InsurerNumber,
        insured_card_symbol: impl Into<String>,
        insured_identification_number: impl Into<String>,
        insured_branch_number: impl Into<String>,
        valid_from: Date,
    ) -> Self {
        Self {
            insurer_number,
            insured_card_symbol: insured_card_symbol.into(),
            insured_identification_number: insured_identification_number.into(),
            insured_branch_number: insured_branch_number.into(),
            valid_from,
            valid_until: None,
            personal_family_classification: "1".into(),
            insured_partial_contribution_ratio: None,
            elderly_recipient_contribution_ratio: None,
        }
    }

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
        InsurerNumber::new(self.insurer_number.as_str())?;
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
        for r in [
            &self.insured_partial_contribution_ratio,
            &self.elderly_recipient_contribution_ratio,
        ]
        .into_iter()
        .flatten()
        {
            if r.len() != 3 || !r.bytes().all(|b| b.is_ascii_digit()) {
                return bad("contribution ratio", "must be 3 digits");
            }
        }
        if self.insured_partial_contribution_ratio.is_some()
            && !self.insurer_number.is_late_elderly()
        {
            return bad(
                "contribution ratio",
                "InsuredPartialContributionRatio is for 後期高齢者医療 (insurer 39…) only",
            );
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
    /// Staff at an authenticated facility terminal checked the person (目視確認); the card was only
    /// read.
    StaffChecked,
    /// The authentication certificate expired, and the card is within its grace period (to the end
    /// of the third month after the month of expiry, JST): qualification data is answered, the
    /// medication / care information and the consent to share it are not available.
    ExpiredCertificateGrace,
}

/// One entry of the ResultList (ResultOfQualificationConfirmation), with the official field names.
/// Conversions from other formats start from `default()` (every text empty, sexes `3`) and set
/// the fields.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ResultOfQualificationConfirmation {
    /// InsurerNumber, 8 characters (a 6-digit 国保 number after two spaces).
    pub insurer_number: String,
    /// InsuredCardSymbol.
    pub insured_card_symbol: String,
    /// InsuredIdentificationNumber.
    pub insured_identification_number: String,
    /// InsuredBranchNumber.
    pub insured_branch_number: String,
    /// PersonalFamilyClassification.
    pub personal_family_classification: String,
    /// Name (U+3000 between family and given name).
    pub name: String,
    /// NameKana (half-width katakana).
    pub name_kana: String,
    /// Sex1 (as printed on the card).
    pub sex1: InsuranceSex,
    /// Sex2 (the actual one).
    pub sex2: InsuranceSex,
    /// Birthdate, `yyyyMMdd`.
    pub birthdate: String,
    /// InsuredCardValidDate, `yyyyMMdd`.
    pub insured_card_valid_date: String,
    /// InsuredCardExpirationDate, `yyyyMMdd`.
    pub insured_card_expiration_date: Option<String>,
    /// InsuredPartialContributionRatio (後期高齢者 only).
    pub insured_partial_contribution_ratio: Option<String>,
    /// ElderlyRecipientContributionRatio (高齢受給者, 70–74).
    pub elderly_recipient_contribution_ratio: Option<String>,
    /// ReferenceNumber: the clinic's 照会番号, if it registered one.
    pub reference_number: Option<String>,
}

/// The answer of an eligibility confirmation, with the field names of the public client libraries.
///
/// Refusals are answers too: ProcessingResultStatus `2` with a ProcessingResultCode and message
/// (see [`crate::HealthError::result_code`]).
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct EligibilityAnswer {
    /// ProcessingResultStatus: `1` ok, `2` error.
    pub processing_result_status: &'static str,
    /// ProcessingResultCode (errors only).
    pub processing_result_code: Option<&'static str>,
    /// ProcessingResultMessage (errors only).
    pub processing_result_message: Option<String>,
    /// ReferenceClassification: `1` My Number Card, `2` insurance-card data.
    pub reference_classification: &'static str,
    /// QualificationValidity (absent on errors).
    pub qualification_validity: Option<QualificationValidity>,
    /// ResultList: one entry, or every match for `5` 複数該当.
    pub result_list: Vec<ResultOfQualificationConfirmation>,
    /// Whether medication / care information and the consent to share it may be obtained (not
    /// during the grace period).
    pub sharing_available: bool,
    /// How the person was bound to the card (absent on errors).
    pub binding: Option<Binding>,
}

impl Default for EligibilityAnswer {
    /// An empty successful My Number Card answer (status `1`, classification `1`, no validity, no
    /// results), for conversions from other formats to fill in.
    fn default() -> Self {
        Self {
            processing_result_status: "1",
            processing_result_code: None,
            processing_result_message: None,
            reference_classification: "1",
            qualification_validity: None,
            result_list: Vec::new(),
            sharing_available: false,
            binding: None,
        }
    }
}

impl EligibilityAnswer {
    /// The error answer for a refusal.
    pub fn error(error: &HealthError) -> Self {
        Self {
            processing_result_status: "2",
            processing_result_code: Some(error.result_code()),
            processing_result_message: Some(error.to_string()),
            reference_classification: "1",
            qualification_validity: None,
            result_list: Vec::new(),
            sharing_available: false,
            binding: None,
        }
    }
}

/// A confirmation by insurance-card data (ReferenceClassification `2`): what the clinic typed
/// from the card (QualificationConfirmSearchInfo).
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[non_exhaustive]
pub struct InsuranceCardQuery {
    /// InsurerNumber.
    pub insurer_number: InsurerNumber,
    /// InsuredCardSymbol (compared without surrounding spaces).
    pub insured_card_symbol: String,
    /// InsuredIdentificationNumber (compared without surrounding spaces).
    pub insured_identification_number: String,
    /// InsuredBranchNumber, when the card has one.
    pub insured_branch_number: Option<String>,
    /// Birthdate.
    pub birth_date: Date,
}

impl InsuranceCardQuery {
    /// The search for a card's data.
    pub fn new(
        insurer_number: InsurerNumber,
        insured_card_symbol: impl Into<String>,
        insured_identification_number: impl Into<String>,
        insured_branch_number: Option<String>,
        birth_date: Date,
    ) -> Self {
        Self {
            insurer_number,
            insured_card_symbol: insured_card_symbol.into(),
            insured_identification_number: insured_identification_number.into(),
            insured_branch_number,
            birth_date,
        }
    }

    /// Whether `q` of a person born on `birth_date` is the qualification the card names.
    pub fn names(&self, q: &Qualification, birth_date: Date) -> bool {
        birth_date == self.birth_date
            && q.insurer_number == self.insurer_number
            && q.insured_card_symbol.trim() == self.insured_card_symbol.trim()
            && q.insured_identification_number.trim() == self.insured_identification_number.trim()
            && self
                .insured_branch_number
                .as_deref()
                .is_none_or(|b| b.trim().is_empty() || b.trim() == q.insured_branch_number)
    }
}

/// A reservation at a facility.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[non_exhaustive]
pub struct Reservation {
    /// Day.
    pub day: Date,
    /// Time of day, `HH:MM`.
    pub time: String,
    /// Department.
    pub department: String,
}

impl Reservation {
    /// A reservation on `day` at `time` (`HH:MM`) in `department`.
    pub fn new(day: Date, time: impl Into<String>, department: impl Into<String>) -> Self {
        Self {
            day,
            time: time.into(),
            department: department.into(),
        }
    }
}

/// What the desk hands the patient after a card check-in.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[non_exhaustive]
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

#[cfg(test)]
mod tests {
    use super::*;
    use kazasu_types::Sex;

    #[test]
    fn insurance_sex_from_the_iso_5218_sex() {
        assert_eq!(InsuranceSex::from(Sex::Male).code(), "1");
        assert_eq!(InsuranceSex::from(Sex::Female).code(), "2");
        assert_eq!(InsuranceSex::from(Sex::NotKnown).code(), "3");
        assert_eq!(
            InsuranceSex::from_jpki(Sex::NotApplicable),
            InsuranceSex::Unset
        );
    }
}
