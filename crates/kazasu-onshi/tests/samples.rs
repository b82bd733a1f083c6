//! Hand-written samples of every message kind, in UTF-8 and Shift_JIS: parse, check the values that
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! must survive exactly, write, parse again, compare.

use kazasu_onshi::codes::{
    CharacterCode, InsuredCardClassification, LimitApplicationCertificateClassificationFlag,
    ReaderConsent, SegmentOfResult, Sex,
};
use kazasu_onshi::{
    Message, MessageKind, OnshiDate, OnshiError, ResultMessage, TextEncoding, parse, parse_file,
};

const RESULT: &str = include_str!("data/result.xml");
const CONFIRMATION: &str = include_str!("data/confirmation.xml");
const REGISTRATION: &str = include_str!("data/registration.xml");
const BULK: &str = include_str!("data/bulk_registration.xml");

/// The same sample in Shift_JIS: declaration and identifier say so, bytes transcoded.
fn shift_jis(sample: &str) -> Vec<u8> {
    let text = sample
        .replace("encoding=\"UTF-8\"", "encoding=\"Shift_JIS\"")
        .replace(
            "<CharacterCodeIdentifier>0</CharacterCodeIdentifier>",
            "<CharacterCodeIdentifier>1</CharacterCodeIdentifier>",
        );
    let (bytes, _, errors) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!errors, "the sample is Shift_JIS-encodable");
    bytes.into_owned()
}

fn round_trip(bytes: &[u8], kind: MessageKind, encoding: TextEncoding) -> Message {
    let parsed = parse(bytes).unwrap();
    assert_eq!(parsed.message.kind(), kind);
    assert_eq!(parsed.encoding, encoding);
    let written = parsed.message.to_xml_in(encoding).unwrap();
    let again = parse(&written).unwrap();
    assert_eq!(again.encoding, encoding);
    assert_eq!(
        again.message, parsed.message,
        "write → parse gives the same message"
    );
    // Writing is deterministic: the second write is the same bytes.
    assert_eq!(again.message.to_xml_in(encoding).unwrap(), written);
    parsed.message
}

#[test]
fn every_kind_round_trips_in_both_encodings() {
    for (sample, kind) in [
        (RESULT, MessageKind::Result),
        (CONFIRMATION, MessageKind::ConfirmationRequest),
        (REGISTRATION, MessageKind::RegistrationRequest),
        (BULK, MessageKind::BulkRegistrationRequest),
    ] {
        let utf8 = round_trip(sample.as_bytes(), kind, TextEncoding::Utf8);
        let sjis = round_trip(&shift_jis(sample), kind, TextEncoding::ShiftJis);
        // Same values whichever encoding carried them (the identifier aside).
        let (mut a, mut b) = (utf8, sjis);
        if let (Message::Result(a), Message::Result(b)) = (&mut a, &mut b) {
            a.header.character_code_identifier = None;
            b.header.character_code_identifier = None;
        }
        assert_eq!(a, b);
    }
}

#[test]
fn padded_insurer_number_half_width_kana_and_consent_flags_survive() {
    for (bytes, encoding) in [
        (RESULT.as_bytes().to_vec(), TextEncoding::Utf8),
        (shift_jis(RESULT), TextEncoding::ShiftJis),
    ] {
        let m = ResultMessage::parse(&bytes).unwrap();
        let written = m.to_xml().unwrap();
        let m = ResultMessage::parse(&written).unwrap();
        assert_eq!(m.encoding(), Some(encoding));
        let r = &m
            .body
            .as_ref()
            .unwrap()
            .result_list
            .as_ref()
            .unwrap()
            .results[0];
        assert_eq!(r.insurer_number.as_deref(), Some("  138057"));
        assert_eq!(r.name_kana.as_deref(), Some("ｶｸｳ ﾀﾛｳ"));
        assert_eq!(r.name.as_deref(), Some("架空\u{3000}太郎"));
        assert_eq!(r.insured_identification_number.as_deref(), Some("0012345"));
        assert_eq!(r.insured_branch_number.as_deref(), Some("00"));
        assert_eq!(r.reference_number.as_deref(), Some("0000012345"));
        assert_eq!(r.pharmacists_info_cons_flg, Some(ReaderConsent::Given));
        assert_eq!(
            r.pharmacists_info_available_time.unwrap().to_string(),
            "20250402093000"
        );
        assert_eq!(
            r.specific_health_checkups_info_cons_flg,
            Some(ReaderConsent::NotGiven)
        );
        assert_eq!(r.diagnosis_info_cons_flg, Some(ReaderConsent::Given));
        assert_eq!(
            r.operation_info_cons_flg,
            Some(ReaderConsent::NotObtainable)
        );
        assert_eq!(
            r.insured_card_classification,
            Some(InsuredCardClassification::General)
        );
        assert_eq!(
            (r.sex1.clone(), r.sex2.clone()),
            (Some(Sex::Male), Some(Sex::Male))
        );
        assert_eq!(
            r.limit_application_certificate_related_info
                .as_ref()
                .unwrap()
                .classification_flag,
            Some(LimitApplicationCertificateClassificationFlag::A03)
        );
        assert_eq!(
            r.elderly_recipient_certificate_info
                .as_ref()
                .unwrap()
                .contribution_ratio
                .as_deref(),
            Some("020")
        );
        assert_eq!(r.birthdate, Some(OnshiDate::parse("19800115").unwrap()));
        // The unknown element is kept with its attribute and text.
        assert_eq!(r.extra.elements.len(), 1);
        assert_eq!(r.extra.elements[0].name, "FutureElement");
        assert_eq!(
            r.extra.elements[0].attributes,
            [("attr".into(), "x".into())]
        );
        assert_eq!(r.extra.elements[0].text, "kept & written back");
        // The bytes carry the padding and the kana as they were.
        let text = match encoding {
            TextEncoding::Utf8 => String::from_utf8(written).unwrap(),
            TextEncoding::ShiftJis => encoding_rs::SHIFT_JIS.decode(&written).0.into_owned(),
        };
        assert!(text.contains("<InsurerNumber>  138057</InsurerNumber>"));
        assert!(text.contains("<NameKana>ｶｸｳ ﾀﾛｳ</NameKana>"));
        assert!(text.contains(&format!("encoding=\"{}\"", encoding.label())));
    }
}

#[test]
fn the_header_and_declaration_must_agree() {
    // Shift_JIS declaration, identifier 0.
    let text = RESULT.replace("encoding=\"UTF-8\"", "encoding=\"Shift_JIS\"");
    let bytes = encoding_rs::SHIFT_JIS.encode(&text).0.into_owned();
    assert!(matches!(
        parse(&bytes),
        Err(OnshiError::EncodingMismatch {
            encoding: TextEncoding::ShiftJis,
            ..
        })
    ));
    // UTF-8 declaration, identifier 1.
    let text = RESULT.replace(
        "<CharacterCodeIdentifier>0</CharacterCodeIdentifier>",
        "<CharacterCodeIdentifier>1</CharacterCodeIdentifier>",
    );
    assert!(matches!(
        parse(text.as_bytes()),
        Err(OnshiError::EncodingMismatch {
            encoding: TextEncoding::Utf8,
            ..
        })
    ));
    // Shift_JIS bytes under a UTF-8 declaration are not valid UTF-8.
    let bytes = encoding_rs::SHIFT_JIS.encode(RESULT).0.into_owned();
    assert_eq!(
        parse(&bytes),
        Err(OnshiError::MalformedText(TextEncoding::Utf8))
    );
    // Writing in the encoding the identifier does not name is refused.
    let m = ResultMessage::parse(RESULT.as_bytes()).unwrap();
    assert!(matches!(
        m.to_xml_in(TextEncoding::ShiftJis),
        Err(OnshiError::EncodingMismatch { .. })
    ));
}

#[test]
fn values_are_not_trimmed_and_unknown_codes_are_kept() {
    let text = RESULT
        .replace("<SegmentOfResult>1<", "<SegmentOfResult>7<")
        .replace("<Sex2>1<", "<Sex2> 1<")
        .replace("<InsurerName>架空市国民健康保険<", "<InsurerName> 架空 <");
    let m = ResultMessage::parse(text.as_bytes()).unwrap();
    assert_eq!(
        m.header.segment_of_result,
        Some(SegmentOfResult::Other("7".into()))
    );
    let r = &m
        .body
        .as_ref()
        .unwrap()
        .result_list
        .as_ref()
        .unwrap()
        .results[0];
    assert_eq!(r.sex2, Some(Sex::Other(" 1".into())));
    assert_eq!(r.insurer_name.as_deref(), Some(" 架空 "));
    let again = ResultMessage::parse(&m.to_xml().unwrap()).unwrap();
    assert_eq!(again, m);
    assert_eq!(
        m.header.character_code_identifier,
        Some(CharacterCode::Utf8)
    );
}

#[test]
fn file_names_must_agree_with_the_content() {
    let bulk = parse_file("OQSmuimm01req_20250401.xml", BULK.as_bytes()).unwrap();
    assert_eq!(bulk.message.kind(), MessageKind::BulkRegistrationRequest);
    assert!(matches!(
        parse_file("OQSsiimm01req_1.xml", BULK.as_bytes()),
        Err(OnshiError::KindMismatch {
            by_name: MessageKind::RegistrationRequest,
            by_content: MessageKind::BulkRegistrationRequest
        })
    ));
    assert!(parse_file("OQSsiqcf01req_1.xml", CONFIRMATION.as_bytes()).is_ok());
    assert!(parse_file("OQSsiimm01res_1.xml", RESULT.as_bytes()).is_ok());
    // A name that tells nothing leaves the content to decide.
    assert!(parse_file("other.xml", REGISTRATION.as_bytes()).is_ok());
}
