//! Between result messages and `kazasu_health::EligibilityAnswer`, and error answers.

use kazasu_health::{EligibilityAnswer, InsuranceSex, QualificationValidity as HealthValidity};

use crate::codes::{
    PersonalFamilyClassification, ProcessingResultStatus, QualificationValidity, ReaderConsent,
    ReferenceClassification, SegmentOfResult, Sex,
};
use crate::result::{
    ElderlyRecipientCertificateInfo, ResultBody, ResultHeader, ResultList,
    ResultOfQualificationConfirmation,
};
use crate::{OnshiDate, OnshiDateTime, OnshiError, RequestEcho, ResultMessage, TextEncoding};

/// What an answer needs beyond the `EligibilityAnswer`: when it was made, what the request said,
/// the encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnswerContext {
    /// ProcessExecutionTime.
    pub processed_at: OnshiDateTime,
    /// The request's echoed fields; QualificationConfirmationDate defaults to the JST day of
    /// `processed_at`, the encoding to UTF-8.
    pub echo: RequestEcho,
}

// kazasu-health's result codes (`HealthError::result_code`): `EligibilityAnswer` holds them as
// `&'static str`, so a code read back must be one of these.
const HEALTH_RESULT_CODES: &[&str] = &[
    "K0001", "K1001", "K1002", "K1003", "K1004", "K1005", "K2001", "K2002", "K2003", "K2004",
    "K2005", "K3001", "K3002", "K3003", "K9001", "K9002",
];

fn conversion(reason: impl Into<String>) -> OnshiError {
    OnshiError::Conversion(reason.into())
}

fn date(text: &str, field: &str) -> Result<OnshiDate, OnshiError> {
    OnshiDate::parse(text).map_err(|_| conversion(format!("{field} {text:?} is not yyyyMMdd")))
}

fn header(echo: &RequestEcho, processed_at: OnshiDateTime) -> ResultHeader {
    let encoding = echo.encoding.unwrap_or_default();
    ResultHeader {
        process_execution_time: Some(processed_at),
        qualification_confirmation_date: Some(
            echo.qualification_confirmation_date
                .unwrap_or(processed_at.date()),
        ),
        medical_institution_code: echo.medical_institution_code.clone(),
        arbitrary_file_identifier: echo.arbitrary_file_identifier.clone(),
        character_code_identifier: Some(encoding.identifier()),
        ..ResultHeader::default()
    }
}

fn sex_from(sex: InsuranceSex) -> Sex {
    Sex::from_code(sex.code())
}

fn sex_to(sex: &Option<Sex>, field: &str) -> Result<InsuranceSex, OnshiError> {
    let code = sex
        .as_ref()
        .ok_or_else(|| conversion(format!("{field} missing")))?;
    InsuranceSex::from_code(code.code()).map_err(|e| conversion(format!("{field}: {e}")))
}

fn result_from(
    r: &kazasu_health::ResultOfQualificationConfirmation,
    sharing_available: bool,
) -> Result<ResultOfQualificationConfirmation, OnshiError> {
    let mut out = ResultOfQualificationConfirmation {
        insurer_number: Some(r.insurer_number.clone()),
        insured_card_symbol: Some(r.insured_card_symbol.clone()),
        insured_identification_number: Some(r.insured_identification_number.clone()),
        insured_branch_number: Some(r.insured_branch_number.clone()),
        personal_family_classification: Some(PersonalFamilyClassification::from_code(
            &r.personal_family_classification,
        )),
        name: Some(r.name.clone()),
        name_kana: Some(r.name_kana.clone()),
        sex1: Some(sex_from(r.sex1)),
        sex2: Some(sex_from(r.sex2)),
        birthdate: Some(date(&r.birthdate, "Birthdate")?),
        insured_card_valid_date: Some(date(&r.insured_card_valid_date, "InsuredCardValidDate")?),
        insured_card_expiration_date: r
            .insured_card_expiration_date
            .as_deref()
            .map(|d| date(d, "InsuredCardExpirationDate"))
            .transpose()?,
        insured_partial_contribution_ratio: r.insured_partial_contribution_ratio.clone(),
        elderly_recipient_certificate_info: r.elderly_recipient_contribution_ratio.as_ref().map(
            |ratio| ElderlyRecipientCertificateInfo {
                contribution_ratio: Some(ratio.clone()),
                ..ElderlyRecipientCertificateInfo::default()
            },
        ),
        reference_number: r.reference_number.clone(),
        ..ResultOfQualificationConfirmation::default()
    };
    if !sharing_available {
        // The grace period: the reader consent cannot be obtained.
        let flag = Some(ReaderConsent::NotObtainable);
        out.pharmacists_info_cons_flg = flag.clone();
        out.specific_health_checkups_info_cons_flg = flag.clone();
        out.diagnosis_info_cons_flg = flag.clone();
        out.operation_info_cons_flg = flag;
    }
    Ok(out)
}

fn required(value: &Option<String>, field: &str) -> Result<String, OnshiError> {
    value
        .clone()
        .ok_or_else(|| conversion(format!("{field} missing")))
}

fn result_to(
    r: &ResultOfQualificationConfirmation,
) -> Result<kazasu_health::ResultOfQualificationConfirmation, OnshiError> {
    let pfc = r
        .personal_family_classification
        .as_ref()
        .ok_or_else(|| conversion("PersonalFamilyClassification missing"))?;
    if !pfc.is_known() {
        return Err(conversion(format!(
            "PersonalFamilyClassification {:?} is not 1 or 2",
            pfc.code()
        )));
    }
    // Built field by field: the health type is non-exhaustive (it grows with the official list).
    let mut out = kazasu_health::ResultOfQualificationConfirmation::default();
    out.insurer_number = required(&r.insurer_number, "InsurerNumber")?;
    out.insured_card_symbol = required(&r.insured_card_symbol, "InsuredCardSymbol")?;
    out.insured_identification_number = required(
        &r.insured_identification_number,
        "InsuredIdentificationNumber",
    )?;
    out.insured_branch_number = required(&r.insured_branch_number, "InsuredBranchNumber")?;
    out.personal_family_classification = pfc.code().to_owned();
    out.name = required(&r.name, "Name")?;
    out.name_kana = required(&r.name_kana, "NameKana")?;
    out.sex1 = sex_to(&r.sex1, "Sex1")?;
    out.sex2 = sex_to(&r.sex2, "Sex2")?;
    out.birthdate = r
        .birthdate
        .ok_or_else(|| conversion("Birthdate missing"))?
        .to_string();
    out.insured_card_valid_date = r
        .insured_card_valid_date
        .ok_or_else(|| conversion("InsuredCardValidDate missing"))?
        .to_string();
    out.insured_card_expiration_date = r.insured_card_expiration_date.map(|d| d.to_string());
    out.insured_partial_contribution_ratio = r.insured_partial_contribution_ratio.clone();
    out.elderly_recipient_contribution_ratio = r
        .elderly_recipient_certificate_info
        .as_ref()
        .and_then(|e| e.contribution_ratio.clone());
    out.reference_number = r.reference_number.clone();
    Ok(out)
}

fn consent_not_obtainable(r: &ResultOfQualificationConfirmation) -> bool {
    [
        &r.pharmacists_info_cons_flg,
        &r.specific_health_checkups_info_cons_flg,
        &r.diagnosis_info_cons_flg,
        &r.operation_info_cons_flg,
    ]
    .iter()
    .any(|f| matches!(f, Some(ReaderConsent::NotObtainable)))
}

impl ResultMessage {
    /// The result message for an eligibility answer. SegmentOfResult is `1` (done) — a refusal is a
    /// completed answer with ProcessingResultStatus `2`. When the medication / care information is not
    /// available (the grace period), every reader-consent flag is `3` (could not be obtained); when it
    /// is, the flags are left out (the consent is given at the reader, not known to the service).
    pub fn from_eligibility(
        answer: &EligibilityAnswer,
        context: &AnswerContext,
    ) -> Result<Self, OnshiError> {
        let mut header = header(&context.echo, context.processed_at);
        header.reference_classification = Some(ReferenceClassification::from_code(
            answer.reference_classification,
        ));
        header.segment_of_result = Some(SegmentOfResult::Done);
        let results = answer
            .result_list
            .iter()
            .map(|r| result_from(r, answer.sharing_available))
            .collect::<Result<Vec<_>, _>>()?;
        let body = ResultBody {
            processing_result_status: Some(ProcessingResultStatus::from_code(
                answer.processing_result_status,
            )),
            processing_result_code: answer.processing_result_code.map(str::to_owned),
            processing_result_message: answer.processing_result_message.clone(),
            qualification_validity: answer
                .qualification_validity
                .map(|v| QualificationValidity::from_code(v.code())),
            result_list: (!results.is_empty()).then_some(ResultList {
                results,
                ..ResultList::default()
            }),
            ..ResultBody::default()
        };
        Ok(Self {
            header,
            body: Some(body),
            ..Self::default()
        })
    }

    /// The eligibility answer a result message carries. Codes `EligibilityAnswer` cannot hold (an
    /// unknown status, validity, sex, or a ProcessingResultCode that is not one of kazasu-health's)
    /// are errors. `sharing_available` is false for an error answer and when any entry's reader-consent
    /// flag is `3`;
    /// `binding` is not in the file and is `None`.
    pub fn to_eligibility(&self) -> Result<EligibilityAnswer, OnshiError> {
        let body = self
            .body
            .as_ref()
            .ok_or_else(|| conversion("MessageBody missing"))?;
        let processing_result_status = match &body.processing_result_status {
            Some(ProcessingResultStatus::Normal) => "1",
            Some(ProcessingResultStatus::Error) => "2",
            other => {
                return Err(conversion(format!(
                    "ProcessingResultStatus {:?}",
                    other.as_ref().map(|c| c.code())
                )));
            }
        };
        let processing_result_code = body
            .processing_result_code
            .as_deref()
            .map(|code| {
                HEALTH_RESULT_CODES
                    .iter()
                    .copied()
                    .find(|k| *k == code)
                    .ok_or_else(|| {
                        conversion(format!(
                            "ProcessingResultCode {code:?} is not kazasu-health's"
                        ))
                    })
            })
            .transpose()?;
        let reference_classification = match &self.header.reference_classification {
            Some(ReferenceClassification::MyNumberCard) => "1",
            Some(ReferenceClassification::InsuranceCard) => "2",
            other => {
                return Err(conversion(format!(
                    "ReferenceClassification {:?}",
                    other.as_ref().map(|c| c.code())
                )));
            }
        };
        let qualification_validity = body
            .qualification_validity
            .as_ref()
            .map(|v| match v {
                QualificationValidity::Valid => Ok(HealthValidity::Valid),
                QualificationValidity::Invalid => Ok(HealthValidity::Invalid),
                QualificationValidity::InvalidNewerExists => Ok(HealthValidity::InvalidNewerExists),
                QualificationValidity::NoQualification => Ok(HealthValidity::NoQualification),
                QualificationValidity::Multiple => Ok(HealthValidity::Multiple),
                other => Err(conversion(format!(
                    "QualificationValidity {:?}",
                    other.code()
                ))),
            })
            .transpose()?;
        let entries = body
            .result_list
            .as_ref()
            .map(|l| l.results.as_slice())
            .unwrap_or_default();
        let mut answer = EligibilityAnswer::default();
        answer.processing_result_status = processing_result_status;
        answer.processing_result_code = processing_result_code;
        answer.processing_result_message = body.processing_result_message.clone();
        answer.reference_classification = reference_classification;
        answer.qualification_validity = qualification_validity;
        answer.result_list = entries.iter().map(result_to).collect::<Result<_, _>>()?;
        answer.sharing_available =
            processing_result_status == "1" && !entries.iter().any(consent_not_obtainable);
        answer.binding = None;
        Ok(answer)
    }

    /// The answer to a request that could not be processed: SegmentOfResult `9` (abnormal end) with
    /// ErrorCode / ErrorMessage, and ProcessingResultStatus `2` with the same code and message. Pass
    /// `RequestEcho::default()` when the request could not be read at all (answered in UTF-8).
    pub fn error_answer(
        echo: &RequestEcho,
        code: &str,
        message: &str,
        processed_at: OnshiDateTime,
    ) -> Self {
        let mut header = header(echo, processed_at);
        header.segment_of_result = Some(SegmentOfResult::AbnormalEnd);
        header.error_code = Some(code.to_owned());
        header.error_message = Some(message.to_owned());
        Self {
            header,
            body: Some(ResultBody {
                processing_result_status: Some(ProcessingResultStatus::Error),
                processing_result_code: Some(code.to_owned()),
                processing_result_message: Some(message.to_owned()),
                ..ResultBody::default()
            }),
            ..Self::default()
        }
    }

    /// The error answer for a file this crate refused, with [`OnshiError::code`] and its message.
    pub fn error_answer_for(
        echo: &RequestEcho,
        error: &OnshiError,
        processed_at: OnshiDateTime,
    ) -> Self {
        Self::error_answer(echo, error.code(), &error.to_string(), processed_at)
    }

    /// The encoding [`ResultMessage::to_xml`] uses.
    pub fn encoding(&self) -> Option<TextEncoding> {
        match &self.header.character_code_identifier {
            None => Some(TextEncoding::Utf8),
            Some(code) => TextEncoding::from_identifier(code),
        }
    }
}
