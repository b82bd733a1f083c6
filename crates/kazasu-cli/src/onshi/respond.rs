//! From a request file to its answer file, and from a card visit to its face-folder result.
//!
//! A request that cannot be processed — not readable as a request, a result file put into `req`,
//! required search fields missing, another facility's — gets an error answer (SegmentOfResult `9`,
//! ProcessingResultStatus `2`, kazasu-onshi's `O…` code or one of [`codes`]) and is moved aside. A
//! request that was processed answers with what the eligibility system found, even when it found
//! no one.

use kazasu_health::{EligibilityAnswer, EligibilityStore};
use kazasu_onshi::codes::{ProcessingResultStatus, ReferenceClassification, SegmentOfResult};
use kazasu_onshi::{
    AnswerContext, BulkConfirmUnit, Message, OnshiDateTime, OnshiError,
    QualificationConfirmSearchInfo, ReferenceNumberRegistrationInfo, RequestEcho, ResultBody,
    ResultMessage, TextEncoding,
};
use time::OffsetDateTime;

use super::Clock;
use super::spool::{Answer, Responder};
use super::system::{CardData, System, jst};
use crate::Failure;

/// The double's own ProcessingResultCodes (the national code list is not public).
pub(crate) mod codes {
    /// The request names another facility than the one served.
    pub(crate) const OTHER_FACILITY: &str = "S0001";
    /// No insured person matches the insurance-card data.
    pub(crate) const NO_SUCH_INSURED: &str = "S0002";
    /// The eligibility system failed (its store).
    pub(crate) const SYSTEM_FAILED: &str = "S0003";
}

/// Answers requests from the sandbox eligibility system.
pub(crate) struct OnshiResponder<S> {
    system: System<S>,
    clock: Clock,
}

/// What processing a request produced: the answer, or why it cannot be processed.
type Processed = Result<(ResultMessage, String), (String, String)>;

impl<S: EligibilityStore> OnshiResponder<S> {
    pub(crate) fn new(system: System<S>, clock: Clock) -> Self {
        Self { system, clock }
    }

    fn process(
        &self,
        message: &Message,
        echo: &RequestEcho,
        at: OffsetDateTime,
        processed_at: OnshiDateTime,
    ) -> Processed {
        let served = self.system.facility.as_str();
        match echo.medical_institution_code.as_deref() {
            Some(code) if code == served => {}
            other => {
                return Err((
                    codes::OTHER_FACILITY.to_owned(),
                    format!(
                        "MedicalInstitutionCode {:?} is not the facility served ({served})",
                        other.unwrap_or("")
                    ),
                ));
            }
        }
        match message {
            Message::ConfirmationRequest(request) => {
                let search = request
                    .body
                    .as_ref()
                    .and_then(|b| b.search.as_ref())
                    .ok_or_else(|| missing("XmlMsg/MessageBody/QualificationConfirmSearchInfo"))?;
                let card = card_from_search(search)?;
                let answer = self
                    .system
                    .confirm_by_card(&card, at)
                    .map_err(|e| (codes::SYSTEM_FAILED.to_owned(), e))?;
                let mut result = ResultMessage::from_eligibility(
                    &answer,
                    &AnswerContext {
                        processed_at,
                        echo: echo.clone(),
                    },
                )
                .map_err(|e| (e.code().to_owned(), e.to_string()))?;
                if let Some(body) = result.body.as_mut() {
                    body.qualification_confirm_search_info = Some(search.clone());
                }
                Ok((result, describe(&answer)))
            }
            Message::RegistrationRequest(request) => {
                let info = request
                    .body
                    .as_ref()
                    .ok_or_else(|| missing("XmlMsg/MessageBody"))?;
                let unit = self.register(info);
                let summary = match &unit.processing_result_message {
                    Some(why) => format!("照会番号 not registered: {why}"),
                    None => format!(
                        "照会番号 {} registered",
                        unit.reference_number.as_deref().unwrap_or("")
                    ),
                };
                let body = ResultBody {
                    processing_result_status: unit.processing_result_status,
                    processing_result_code: unit.processing_result_code,
                    processing_result_message: unit.processing_result_message,
                    ..ResultBody::default()
                };
                Ok((done(echo, processed_at, body), summary))
            }
            Message::BulkRegistrationRequest(request) => {
                let units: Vec<BulkConfirmUnit> = request
                    .body
                    .iter()
                    .flat_map(|b| b.registrations.iter())
                    .map(|info| self.register(info))
                    .collect();
                let registered = units
                    .iter()
                    .filter(|u| u.processing_result_status == Some(ProcessingResultStatus::Normal))
                    .count();
                let summary = format!("{registered} of {} 照会番号 registered", units.len());
                let body = ResultBody {
                    processing_result_status: Some(ProcessingResultStatus::Normal),
                    bulk_confirm_units: units,
                    ..ResultBody::default()
                };
                Ok((done(echo, processed_at, body), summary))
            }
            Message::Result(_) => Err((
                OnshiError::Kind(String::new()).code().to_owned(),
                "a result message is not a request".to_owned(),
            )),
            _ => Err((
                OnshiError::Kind(String::new()).code().to_owned(),
                format!("{:?} is not answered by this terminal", message.kind()),
            )),
        }
    }

    /// Registers one patient's 照会番号; the unit's outcome.
    fn register(&self, info: &ReferenceNumberRegistrationInfo) -> BulkConfirmUnit {
        let error = |code: &str, message: String| BulkConfirmUnit {
            processing_result_status: Some(ProcessingResultStatus::Error),
            processing_result_code: Some(code.to_owned()),
            processing_result_message: Some(message),
            reference_number: info.reference_number.clone(),
            ..BulkConfirmUnit::default()
        };
        let card = match card_from_registration(info) {
            Ok(card) => card,
            Err((code, message)) => return error(&code, message),
        };
        let Some(reference) = info.reference_number.as_deref() else {
            return error(
                OnshiError::Invalid {
                    path: String::new(),
                    reason: String::new(),
                }
                .code(),
                "ReferenceNumber: missing".to_owned(),
            );
        };
        match self.system.register_reference(&card, reference) {
            Ok(true) => BulkConfirmUnit {
                processing_result_status: Some(ProcessingResultStatus::Normal),
                reference_number: Some(reference.to_owned()),
                ..BulkConfirmUnit::default()
            },
            Ok(false) => error(
                codes::NO_SUCH_INSURED,
                "no insured person matches the insurance-card data".to_owned(),
            ),
            Err(e) => error(codes::SYSTEM_FAILED, e),
        }
    }
}

impl<S: EligibilityStore> Responder for OnshiResponder<S> {
    fn respond(&mut self, name: &str, request: &[u8]) -> Result<Answer, String> {
        let at = self.clock.now();
        let processed_at = processed_at(at)?;
        let (echo, processed) = match kazasu_onshi::parse_file(name, request) {
            Ok(parsed) => {
                let echo = parsed.echo();
                let processed = self.process(&parsed.message, &echo, at, processed_at);
                (echo, processed)
            }
            Err(e) => (
                RequestEcho::default(),
                Err((e.code().to_owned(), e.to_string())),
            ),
        };
        match processed {
            Ok((message, summary)) => match message.to_xml() {
                Ok(bytes) => Ok(Answer {
                    bytes,
                    failed: false,
                    summary,
                }),
                Err(e) => error_answer(&echo, e.code(), &e.to_string(), processed_at),
            },
            Err((code, why)) => error_answer(&echo, &code, &why, processed_at),
        }
    }
}

/// ProcessExecutionTime: `at` in JST (the clock is never outside the years 0000–9999 the file
/// interface can write, but if it were, nothing could be answered).
fn processed_at(at: OffsetDateTime) -> Result<OnshiDateTime, String> {
    OnshiDateTime::from_offset(at).map_err(|e| format!("cannot date the answer: {e}"))
}

/// The error answer, moved aside as failed. It echoes what could be read of the request and falls
/// back to UTF-8 when the request's encoding cannot carry the message.
fn error_answer(
    echo: &RequestEcho,
    code: &str,
    why: &str,
    processed_at: OnshiDateTime,
) -> Result<Answer, String> {
    let bytes = ResultMessage::error_answer(echo, code, why, processed_at)
        .to_xml()
        .or_else(|_| {
            let utf8 = RequestEcho {
                encoding: Some(TextEncoding::Utf8),
                ..echo.clone()
            };
            ResultMessage::error_answer(&utf8, code, why, processed_at).to_xml()
        })
        .map_err(|e| format!("cannot write the error answer: {e}"))?;
    Ok(Answer {
        bytes,
        failed: true,
        summary: format!("{code} {why}"),
    })
}

/// A completed answer (SegmentOfResult `1`) with `body`. kazasu-onshi builds the echoed header
/// only through its answer constructors, so this starts from an error answer and clears the error.
fn done(echo: &RequestEcho, processed_at: OnshiDateTime, body: ResultBody) -> ResultMessage {
    let mut message = ResultMessage::error_answer(echo, "", "", processed_at);
    message.header.segment_of_result = Some(SegmentOfResult::Done);
    message.header.error_code = None;
    message.header.error_message = None;
    message.body = Some(body);
    message
}

fn missing(path: &str) -> (String, String) {
    let e = OnshiError::Invalid {
        path: path.to_owned(),
        reason: "missing".to_owned(),
    };
    (e.code().to_owned(), e.to_string())
}

fn card_from_search(s: &QualificationConfirmSearchInfo) -> Result<CardData, (String, String)> {
    let at = "XmlMsg/MessageBody/QualificationConfirmSearchInfo";
    Ok(CardData {
        insurer_number: s
            .insurer_number
            .clone()
            .ok_or_else(|| missing(&format!("{at}/InsurerNumber")))?,
        symbol: s.insured_card_symbol.clone().unwrap_or_default(),
        number: s
            .insured_identification_number
            .clone()
            .ok_or_else(|| missing(&format!("{at}/InsuredIdentificationNumber")))?,
        branch: s.insured_branch_number.clone(),
        birthdate: s
            .birthdate
            .ok_or_else(|| missing(&format!("{at}/Birthdate")))?
            .date(),
    })
}

/// Where a registration's fields sit (the body of a single one; each unit of a bulk one).
const REGISTRATION: &str = "ReferenceNumberRegistrationInfo";

fn card_from_registration(
    r: &ReferenceNumberRegistrationInfo,
) -> Result<CardData, (String, String)> {
    Ok(CardData {
        insurer_number: r
            .insurer_number
            .clone()
            .ok_or_else(|| missing(&format!("{REGISTRATION}/InsurerNumber")))?,
        symbol: r.insured_card_symbol.clone().unwrap_or_default(),
        number: r
            .insured_identification_number
            .clone()
            .ok_or_else(|| missing(&format!("{REGISTRATION}/InsuredIdentificationNumber")))?,
        branch: r.insured_branch_number.clone(),
        birthdate: r
            .birthdate
            .ok_or_else(|| missing(&format!("{REGISTRATION}/Birthdate")))?
            .date(),
    })
}

/// One line about an eligibility answer.
fn describe(answer: &EligibilityAnswer) -> String {
    match answer.qualification_validity {
        Some(v) => format!(
            "QualificationValidity {}{}",
            v.code(),
            answer
                .result_list
                .iter()
                .map(|r| format!(" {} (insurer {})", r.name, r.insurer_number.trim()))
                .collect::<String>()
        ),
        None => format!(
            "ProcessingResultStatus {} {} {}",
            answer.processing_result_status,
            answer.processing_result_code.unwrap_or(""),
            answer.processing_result_message.as_deref().unwrap_or("")
        ),
    }
}

/// The face-folder result of a card visit: file name, bytes, one line about it. The file's
/// ArbitraryFileIdentifier and name carry the visit's id (JST time and process id).
pub(crate) fn face_result<S: EligibilityStore>(
    system: &System<S>,
    answer: &EligibilityAnswer,
    at: OffsetDateTime,
) -> Result<(String, Vec<u8>, String), Failure> {
    let local = at.to_offset(jst());
    let id = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}-{}",
        local.year(),
        u8::from(local.month()),
        local.day(),
        local.hour(),
        local.minute(),
        local.second(),
        std::process::id()
    );
    let name = kazasu_onshi::names::face_result_file_name(&id)
        .map_err(|e| Failure::usage(format!("cannot name the face result: {e}")))?;
    let context = AnswerContext {
        processed_at: processed_at(at).map_err(Failure::usage)?,
        echo: RequestEcho {
            medical_institution_code: Some(system.facility.to_string()),
            arbitrary_file_identifier: Some(id),
            ..RequestEcho::default()
        },
    };
    let mut message = ResultMessage::from_eligibility(answer, &context)
        .map_err(|e| Failure::usage(format!("cannot write the face result: {e}")))?;
    message.header.reference_classification = Some(ReferenceClassification::MyNumberCard);
    let bytes = message
        .to_xml()
        .map_err(|e| Failure::usage(format!("cannot write the face result: {e}")))?;
    Ok((name, bytes, describe(answer)))
}
