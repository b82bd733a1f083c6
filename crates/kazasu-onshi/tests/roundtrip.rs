//! Properties: every message kind, written in either encoding and parsed back, is the same message;
//! arbitrary bytes never panic the parser.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kazasu_onshi::codes::{
    CharacterCode, InsuredCardClassification, LimitApplicationCertificateClassification,
    LimitApplicationCertificateClassificationFlag, PersonalFamilyClassification,
    PrescriptionIssueSelect, ProcessingResultStatus, QualificationValidity, ReaderConsent,
    ReasonOfLoss, ReferenceClassification, SegmentOfResult, Sex, SpecificDiseaseCategory,
};
use kazasu_onshi::{
    BulkConfirmUnit, BulkRegistrationBody, BulkRegistrationRequest, ConfirmationBody,
    ConfirmationRequest, ElderlyRecipientCertificateInfo, Element, Extra,
    LimitApplicationCertificateRelatedInfo, Message, OnshiDate, OnshiDateTime,
    QualificationConfirmSearchInfo, ReferenceNumberRegistrationInfo, RegistrationRequest,
    RequestHeader, ResultBody, ResultHeader, ResultList, ResultMessage,
    ResultOfQualificationConfirmation, SpecificDiseasesCertificateInfo,
    SpecificDiseasesCertificateList, TextEncoding, parse,
};
use proptest::prelude::*;
use proptest::strategy::ValueTree;

// Characters Shift_JIS has, with the ones XML escapes or normalises (`<&>"'`, CR, LF, tab) and
// spaces at either end.
const TEXT: &str = "[ -~\t\r\nｱ-ﾝﾞﾟ\u{3000}あ-ん架空太郎花子東京都０-９]{0,10}";

fn text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(TEXT)
}

fn date() -> impl Strategy<Value = Option<OnshiDate>> {
    proptest::option::of(
        (1900i32..2100, 1u8..=12, 1u8..=31).prop_filter_map("a day", |(y, m, d)| {
            OnshiDate::parse(&format!("{y:04}{m:02}{d:02}")).ok()
        }),
    )
}

fn time() -> impl Strategy<Value = Option<OnshiDateTime>> {
    proptest::option::of(
        (date(), 0u8..24, 0u8..60, 0u8..60).prop_filter_map("a time", |(d, h, mi, s)| {
            OnshiDateTime::parse(&format!("{}{h:02}{mi:02}{s:02}", d?)).ok()
        }),
    )
}

/// A known code or anything else (kept as `Other`).
fn code<T: std::fmt::Debug + Clone + 'static>(
    known: &'static [&'static str],
    from: fn(&str) -> T,
) -> impl Strategy<Value = Option<T>> {
    proptest::option::of(prop_oneof![
        proptest::sample::select(known).prop_map(|s| s.to_owned()),
        "[0-9A-Z ]{0,4}",
    ])
    .prop_map(move |c| c.map(|c| from(&c)))
}

fn extra() -> impl Strategy<Value = Extra> {
    let leaf = (
        "Xtra[A-Za-z]{0,5}",
        TEXT,
        proptest::collection::vec(("x[a-z]{0,3}", TEXT), 0..2),
    )
        .prop_map(|(name, text, attributes)| {
            let mut attributes = attributes;
            attributes.sort();
            attributes.dedup_by(|a, b| a.0 == b.0);
            Element {
                name,
                attributes,
                text,
                children: Vec::new(),
            }
        });
    let element = leaf.prop_recursive(2, 6, 3, |inner| {
        ("Xtra[A-Za-z]{0,5}", proptest::collection::vec(inner, 1..3)).prop_map(
            |(name, children)| Element {
                name,
                children,
                ..Element::default()
            },
        )
    });
    proptest::collection::vec(element, 0..2).prop_map(|elements| Extra {
        attributes: Vec::new(),
        elements,
    })
}

fn texts(n: usize) -> impl Strategy<Value = Vec<Option<String>>> {
    proptest::collection::vec(text(), n)
}

fn dates(n: usize) -> impl Strategy<Value = Vec<Option<OnshiDate>>> {
    proptest::collection::vec(date(), n)
}

fn times(n: usize) -> impl Strategy<Value = Vec<Option<OnshiDateTime>>> {
    proptest::collection::vec(time(), n)
}

fn consents() -> impl Strategy<Value = Vec<Option<ReaderConsent>>> {
    proptest::collection::vec(code(ReaderConsent::KNOWN, ReaderConsent::from_code), 4)
}

fn entry() -> impl Strategy<Value = ResultOfQualificationConfirmation> {
    (
        (texts(15), dates(5), times(10), consents()),
        (
            code(
                InsuredCardClassification::KNOWN,
                InsuredCardClassification::from_code,
            ),
            code(
                PersonalFamilyClassification::KNOWN,
                PersonalFamilyClassification::from_code,
            ),
            code(Sex::KNOWN, Sex::from_code),
            code(Sex::KNOWN, Sex::from_code),
            code(ReasonOfLoss::KNOWN, ReasonOfLoss::from_code),
        ),
        (
            proptest::option::of((dates(3), text(), extra())),
            proptest::option::of((
                code(
                    LimitApplicationCertificateClassification::KNOWN,
                    LimitApplicationCertificateClassification::from_code,
                ),
                code(
                    LimitApplicationCertificateClassificationFlag::KNOWN,
                    LimitApplicationCertificateClassificationFlag::from_code,
                ),
                dates(4),
            )),
            proptest::option::of(proptest::collection::vec(
                (
                    code(
                        SpecificDiseaseCategory::KNOWN,
                        SpecificDiseaseCategory::from_code,
                    ),
                    dates(3),
                ),
                0..3,
            )),
            extra(),
        ),
    )
        .prop_map(
            |((t, d, tm, c), (class, pfc, sex1, sex2, loss), (elderly, limit, diseases, extra))| {
                ResultOfQualificationConfirmation {
                    insured_card_classification: class,
                    insurer_number: t[0].clone(),
                    insurer_name: t[1].clone(),
                    insured_card_symbol: t[2].clone(),
                    insured_identification_number: t[3].clone(),
                    insured_branch_number: t[4].clone(),
                    personal_family_classification: pfc,
                    insured_name: t[5].clone(),
                    name: t[6].clone(),
                    name_of_other: t[7].clone(),
                    name_kana: t[8].clone(),
                    name_of_other_kana: t[9].clone(),
                    sex1,
                    sex2,
                    birthdate: d[0],
                    address: t[10].clone(),
                    post_number: t[11].clone(),
                    insured_certificate_issuance_date: d[1],
                    insured_card_valid_date: d[2],
                    insured_card_expiration_date: d[3],
                    insured_partial_contribution_ratio: t[12].clone(),
                    preschool_classification: t[13].clone(),
                    reason_of_loss: loss,
                    elderly_recipient_certificate_info: elderly.map(|(d, ratio, extra)| {
                        ElderlyRecipientCertificateInfo {
                            certificate_date: d[0],
                            valid_start_date: d[1],
                            valid_end_date: d[2],
                            contribution_ratio: ratio,
                            extra,
                        }
                    }),
                    limit_application_certificate_related_cons_flg: t[14].clone(),
                    limit_application_certificate_related_cons_time: tm[0],
                    limit_application_certificate_related_info: limit.map(
                        |(classification, flag, d)| LimitApplicationCertificateRelatedInfo {
                            classification,
                            classification_flag: flag,
                            date: d[0],
                            valid_start_date: d[1],
                            valid_end_date: d[2],
                            long_term_date: d[3],
                            extra: Extra::default(),
                        },
                    ),
                    specific_diseases_certificate_related_cons_flg: t[0].clone(),
                    specific_diseases_certificate_related_cons_time: tm[1],
                    specific_diseases_certificate_list: diseases.map(|list| {
                        SpecificDiseasesCertificateList {
                            certificates: list
                                .into_iter()
                                .map(|(category, d)| SpecificDiseasesCertificateInfo {
                                    disease_category: category,
                                    certificate_date: d[0],
                                    valid_start_date: d[1],
                                    valid_end_date: d[2],
                                    extra: Extra::default(),
                                })
                                .collect(),
                            extra: Extra::default(),
                        }
                    }),
                    reference_number: t[1].clone(),
                    pharmacists_info_cons_flg: c[0].clone(),
                    pharmacists_info_cons_time: tm[2],
                    pharmacists_info_available_time: tm[3],
                    specific_health_checkups_info_cons_flg: c[1].clone(),
                    specific_health_checkups_info_cons_time: tm[4],
                    specific_health_checkups_info_available_time: tm[5],
                    diagnosis_info_cons_flg: c[2].clone(),
                    diagnosis_info_cons_time: tm[6],
                    diagnosis_info_available_time: tm[7],
                    operation_info_cons_flg: c[3].clone(),
                    operation_info_cons_time: tm[8],
                    operation_info_available_time: tm[9],
                    extra,
                }
            },
        )
}

fn search() -> impl Strategy<Value = QualificationConfirmSearchInfo> {
    (texts(5), date(), extra()).prop_map(|(t, birthdate, extra)| QualificationConfirmSearchInfo {
        insurer_number: t[0].clone(),
        insured_card_symbol: t[1].clone(),
        insured_identification_number: t[2].clone(),
        insured_branch_number: t[3].clone(),
        birthdate,
        limit_application_certificate_related_cons_flg: t[4].clone(),
        extra,
    })
}

fn encoding() -> impl Strategy<Value = TextEncoding> {
    prop_oneof![Just(TextEncoding::Utf8), Just(TextEncoding::ShiftJis)]
}

/// The identifier, when present, names the encoding (a mismatch is an error, tested elsewhere).
fn identifier(encoding: TextEncoding, present: bool) -> Option<CharacterCode> {
    present.then(|| encoding.identifier())
}

fn result_message() -> impl Strategy<Value = (ResultMessage, TextEncoding)> {
    (
        encoding(),
        (any::<bool>(), time(), date(), texts(4), extra()),
        (
            code(
                ReferenceClassification::KNOWN,
                ReferenceClassification::from_code,
            ),
            code(SegmentOfResult::KNOWN, SegmentOfResult::from_code)
                .prop_map(|s| s.or(Some(SegmentOfResult::Done))),
        ),
        proptest::option::of((
            (
                code(
                    ProcessingResultStatus::KNOWN,
                    ProcessingResultStatus::from_code,
                ),
                texts(2),
                code(
                    QualificationValidity::KNOWN,
                    QualificationValidity::from_code,
                ),
                code(
                    PrescriptionIssueSelect::KNOWN,
                    PrescriptionIssueSelect::from_code,
                ),
            ),
            proptest::option::of(search()),
            proptest::option::of(proptest::collection::vec(entry(), 0..3)),
            proptest::collection::vec(
                (
                    code(
                        ProcessingResultStatus::KNOWN,
                        ProcessingResultStatus::from_code,
                    ),
                    texts(3),
                ),
                0..3,
            ),
            extra(),
        )),
        extra(),
    )
        .prop_map(
            |(enc, (with_id, time, date, t, header_extra), (rc, seg), body, extra)| {
                let header = ResultHeader {
                    process_execution_time: time,
                    qualification_confirmation_date: date,
                    medical_institution_code: t[0].clone(),
                    arbitrary_file_identifier: t[1].clone(),
                    reference_classification: rc,
                    segment_of_result: seg,
                    error_code: t[2].clone(),
                    error_message: t[3].clone(),
                    character_code_identifier: identifier(enc, with_id),
                    extra: header_extra,
                };
                let body = body.map(
                    |((status, t, validity, select), search, list, units, extra)| ResultBody {
                        processing_result_status: status,
                        processing_result_code: t[0].clone(),
                        processing_result_message: t[1].clone(),
                        qualification_validity: validity,
                        prescription_issue_select: select,
                        qualification_confirm_search_info: search,
                        result_list: list.map(|results| ResultList {
                            results,
                            extra: Extra::default(),
                        }),
                        bulk_confirm_units: units
                            .into_iter()
                            .map(|(status, t)| BulkConfirmUnit {
                                processing_result_status: status,
                                processing_result_code: t[0].clone(),
                                processing_result_message: t[1].clone(),
                                reference_number: t[2].clone(),
                                extra: Extra::default(),
                            })
                            .collect(),
                        extra,
                    },
                );
                (
                    ResultMessage {
                        header,
                        body,
                        extra,
                    },
                    enc,
                )
            },
        )
}

fn request_header(enc: TextEncoding) -> impl Strategy<Value = RequestHeader> {
    (date(), texts(2), any::<bool>(), extra()).prop_map(move |(date, t, with_id, extra)| {
        RequestHeader {
            qualification_confirmation_date: date,
            medical_institution_code: t[0].clone(),
            arbitrary_file_identifier: t[1].clone(),
            character_code_identifier: identifier(enc, with_id),
            extra,
        }
    })
}

fn registration() -> impl Strategy<Value = ReferenceNumberRegistrationInfo> {
    // The reference number is what makes a single registration one.
    (texts(4), date(), TEXT, extra()).prop_map(|(t, birthdate, reference, extra)| {
        ReferenceNumberRegistrationInfo {
            insurer_number: t[0].clone(),
            insured_card_symbol: t[1].clone(),
            insured_identification_number: t[2].clone(),
            insured_branch_number: t[3].clone(),
            birthdate,
            reference_number: Some(reference),
            extra,
        }
    })
}

fn request() -> impl Strategy<Value = (Message, TextEncoding)> {
    encoding().prop_flat_map(|enc| {
        prop_oneof![
            (request_header(enc), search(), extra(), extra()).prop_map(
                |(header, search, body_extra, extra)| {
                    Message::ConfirmationRequest(ConfirmationRequest {
                        header,
                        body: Some(ConfirmationBody {
                            search: Some(search),
                            extra: body_extra,
                        }),
                        extra,
                    })
                }
            ),
            (request_header(enc), registration(), extra()).prop_map(|(header, body, extra)| {
                Message::RegistrationRequest(RegistrationRequest {
                    header,
                    body: Some(body),
                    extra,
                })
            }),
            (
                request_header(enc),
                proptest::collection::vec(registration(), 1..4),
                extra()
            )
                .prop_map(|(header, registrations, extra)| {
                    Message::BulkRegistrationRequest(BulkRegistrationRequest {
                        header,
                        body: Some(BulkRegistrationBody {
                            registrations,
                            extra: Extra::default(),
                        }),
                        extra,
                    })
                }),
        ]
        .prop_map(move |m| (m, enc))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn result_messages_round_trip((message, enc) in result_message()) {
        let bytes = message.to_xml_in(enc).unwrap();
        let parsed = parse(&bytes).unwrap();
        prop_assert_eq!(parsed.encoding, enc);
        prop_assert_eq!(parsed.message, Message::Result(message));
    }

    #[test]
    fn requests_round_trip((message, enc) in request()) {
        let bytes = message.to_xml_in(enc).unwrap();
        let parsed = parse(&bytes).unwrap();
        prop_assert_eq!(parsed.encoding, enc);
        prop_assert_eq!(parsed.message, message);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn mutated_samples_never_panic(at in 0usize..4000, byte in any::<u8>(), cut in 0usize..4000) {
        let mut bytes = include_bytes!("data/result.xml").to_vec();
        let at = at % bytes.len();
        bytes[at] = byte;
        bytes.truncate(cut.max(at + 1));
        if let Ok(parsed) = parse(&bytes) {
            // Whatever parses writes back and parses to the same.
            let again = parse(&parsed.message.to_xml_in(parsed.encoding).unwrap()).unwrap();
            prop_assert_eq!(again.message, parsed.message);
        }
    }
}

#[test]
fn the_generators_reach_shift_jis_and_unknown_codes() {
    // Guard against a generator that silently stopped producing the interesting cases.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut sjis, mut other) = (false, false);
    for _ in 0..200 {
        let (m, enc) = result_message().new_tree(&mut runner).unwrap().current();
        sjis |= enc == TextEncoding::ShiftJis;
        other |= matches!(m.header.segment_of_result, Some(SegmentOfResult::Other(_)));
    }
    assert!(sjis && other);
}
