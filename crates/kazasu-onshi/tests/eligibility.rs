//! Between `EligibilityAnswer` and the result message, and error answers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kazasu_health::{EligibilityAnswer, InsuranceSex, QualificationValidity};
use kazasu_onshi::codes::{ProcessingResultStatus, ReaderConsent, SegmentOfResult};
use kazasu_onshi::{
    AnswerContext, MessageKind, OnshiDateTime, OnshiError, RequestEcho, ResultMessage,
    TextEncoding, parse,
};

fn entry(
    insurer: &str,
    reference: Option<&str>,
) -> kazasu_health::ResultOfQualificationConfirmation {
    let mut e = kazasu_health::ResultOfQualificationConfirmation::default();
    e.insurer_number = insurer.into();
    e.insured_card_symbol = "０１".into();
    e.insured_identification_number = "0012345".into();
    e.insured_branch_number = "00".into();
    e.personal_family_classification = "2".into();
    e.name = "架空\u{3000}花子".into();
    e.name_kana = "ｶｸｳ ﾊﾅｺ".into();
    e.sex1 = InsuranceSex::Female;
    e.sex2 = InsuranceSex::Unset;
    e.birthdate = "20120229".into();
    e.insured_card_valid_date = "20240401".into();
    e.insured_card_expiration_date = Some("20260331".into());
    e.insured_partial_contribution_ratio = None;
    e.elderly_recipient_contribution_ratio = Some("020".into());
    e.reference_number = reference.map(str::to_owned);
    e
}

fn answer(sharing_available: bool) -> EligibilityAnswer {
    let mut a = EligibilityAnswer::default();
    a.processing_result_status = "1";
    a.processing_result_code = None;
    a.processing_result_message = None;
    a.reference_classification = "1";
    a.qualification_validity = Some(QualificationValidity::Multiple);
    a.result_list = vec![
        entry("  138057", Some("0000012345")),
        entry("39131014", None),
    ];
    a.sharing_available = sharing_available;
    a.binding = None;
    a
}

fn context(encoding: TextEncoding) -> AnswerContext {
    AnswerContext {
        processed_at: OnshiDateTime::parse("20250401093015").unwrap(),
        echo: RequestEcho {
            qualification_confirmation_date: None,
            medical_institution_code: Some("1312345678".into()),
            arbitrary_file_identifier: Some("000777".into()),
            encoding: Some(encoding),
        },
    }
}

#[test]
fn an_answer_goes_to_the_official_format_and_back() {
    for encoding in [TextEncoding::Utf8, TextEncoding::ShiftJis] {
        for sharing in [true, false] {
            let original = answer(sharing);
            let message = ResultMessage::from_eligibility(&original, &context(encoding)).unwrap();
            let bytes = message.to_xml().unwrap();
            let parsed = parse(&bytes).unwrap();
            assert_eq!(parsed.encoding, encoding);
            assert_eq!(parsed.message.kind(), MessageKind::Result);
            let read = ResultMessage::parse(&bytes).unwrap();
            assert_eq!(read, message);
            assert_eq!(read.to_eligibility().unwrap(), original);
            let h = &read.header;
            assert_eq!(h.arbitrary_file_identifier.as_deref(), Some("000777"));
            assert_eq!(h.segment_of_result, Some(SegmentOfResult::Done));
            // QualificationConfirmationDate defaults to the JST day of the processing.
            assert_eq!(
                h.qualification_confirmation_date.unwrap().to_string(),
                "20250401"
            );
            let results = &read
                .body
                .as_ref()
                .unwrap()
                .result_list
                .as_ref()
                .unwrap()
                .results;
            assert_eq!(results[0].insurer_number.as_deref(), Some("  138057"));
            let flag = if sharing {
                None
            } else {
                Some(ReaderConsent::NotObtainable)
            };
            assert_eq!(results[1].pharmacists_info_cons_flg, flag);
            assert_eq!(results[1].operation_info_cons_flg, flag);
        }
    }
}

#[test]
fn a_refusal_is_a_completed_error_answer() {
    let mut refusal = EligibilityAnswer::default();
    refusal.processing_result_status = "2";
    refusal.processing_result_code = Some("K2001");
    refusal.processing_result_message = Some("not enrolled".into());
    refusal.reference_classification = "1";
    refusal.qualification_validity = None;
    refusal.result_list = Vec::new();
    refusal.sharing_available = false;
    refusal.binding = None;
    let message = ResultMessage::from_eligibility(&refusal, &context(TextEncoding::Utf8)).unwrap();
    let body = message.body.as_ref().unwrap();
    assert_eq!(
        body.processing_result_status,
        Some(ProcessingResultStatus::Error)
    );
    assert_eq!(body.processing_result_code.as_deref(), Some("K2001"));
    assert!(body.result_list.is_none());
    let read = ResultMessage::parse(&message.to_xml().unwrap()).unwrap();
    assert_eq!(read.to_eligibility().unwrap(), refusal);
}

#[test]
fn what_an_eligibility_answer_cannot_hold_is_an_error() {
    let mut message =
        ResultMessage::from_eligibility(&answer(true), &context(TextEncoding::Utf8)).unwrap();
    let body = message.body.as_mut().unwrap();
    body.processing_result_code = Some("E9999".into());
    assert!(matches!(
        message.to_eligibility(),
        Err(OnshiError::Conversion(_))
    ));
    let mut message =
        ResultMessage::from_eligibility(&answer(true), &context(TextEncoding::Utf8)).unwrap();
    let r = &mut message
        .body
        .as_mut()
        .unwrap()
        .result_list
        .as_mut()
        .unwrap()
        .results[0];
    r.sex1 = Some(kazasu_onshi::codes::Sex::from_code("4"));
    assert!(matches!(
        message.to_eligibility(),
        Err(OnshiError::Conversion(_))
    ));
    // A birth date that is not a day cannot go into the file.
    let mut bad = answer(true);
    bad.result_list[0].birthdate = "20230229".into();
    assert!(matches!(
        ResultMessage::from_eligibility(&bad, &context(TextEncoding::Utf8)),
        Err(OnshiError::Conversion(_))
    ));
}

#[test]
fn error_answers_end_abnormally_and_echo_the_request() {
    let request = include_bytes!("data/confirmation.xml");
    let parsed = parse(request).unwrap();
    let echo = parsed.echo();
    let at = OnshiDateTime::parse("20250401120000").unwrap();
    let answer = ResultMessage::error_answer(&echo, "O0005", "bad <value> & more", at);
    let read = ResultMessage::parse(&answer.to_xml().unwrap()).unwrap();
    assert_eq!(read, answer);
    assert_eq!(
        read.header.segment_of_result,
        Some(SegmentOfResult::AbnormalEnd)
    );
    assert_eq!(read.header.error_code.as_deref(), Some("O0005"));
    assert_eq!(
        read.header.error_message.as_deref(),
        Some("bad <value> & more")
    );
    assert_eq!(
        read.header.arbitrary_file_identifier.as_deref(),
        Some("000124")
    );
    let body = read.body.as_ref().unwrap();
    assert_eq!(
        body.processing_result_status,
        Some(ProcessingResultStatus::Error)
    );
    assert_eq!(body.processing_result_code.as_deref(), Some("O0005"));
    // A request that could not be read at all is still answered (UTF-8, nothing echoed).
    let error = parse(b"<XmlMsg><MessageHeader>").unwrap_err();
    let answer = ResultMessage::error_answer_for(&RequestEcho::default(), &error, at);
    let read = ResultMessage::parse(&answer.to_xml().unwrap()).unwrap();
    assert_eq!(read.header.error_code.as_deref(), Some("O0004"));
    assert_eq!(read.encoding(), Some(TextEncoding::Utf8));
    // A Shift_JIS request is answered in Shift_JIS.
    let sjis = encoding_rs::SHIFT_JIS
        .encode(&String::from_utf8_lossy(request).replace("UTF-8", "Shift_JIS"))
        .0
        .into_owned();
    let echo = parse(&sjis).unwrap().echo();
    let answer = ResultMessage::error_answer(&echo, "X1", "見つかりません", at);
    let bytes = answer.to_xml().unwrap();
    assert_eq!(parse(&bytes).unwrap().encoding, TextEncoding::ShiftJis);
}
