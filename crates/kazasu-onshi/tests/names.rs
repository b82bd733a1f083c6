//! Request and answer file names.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kazasu_onshi::MessageKind;
use kazasu_onshi::names::{
    FileName, answer_file_name, face_result_file_name, is_request_file_name,
};

#[test]
fn kinds_from_names() {
    assert_eq!(
        MessageKind::from_file_name("OQSsiimm01req_20250401093015.xml"),
        Some(MessageKind::RegistrationRequest)
    );
    assert_eq!(
        MessageKind::from_file_name("OQSmuimm01req_1.xml"),
        Some(MessageKind::BulkRegistrationRequest)
    );
    assert_eq!(
        MessageKind::from_file_name("OQSsiqcf01req_abc-1.xml"),
        Some(MessageKind::ConfirmationRequest)
    );
    assert_eq!(
        MessageKind::from_file_name("OQSsiimm01res_1.xml"),
        Some(MessageKind::Result)
    );
    assert_eq!(MessageKind::from_file_name("OQSzzzz01req_1.xml"), None);
    for bad in [
        "",
        "x.xml",
        "OQSsiimm01req_.xml",
        "OQSsiimm01req_1.txt",
        "OQSreq_1.xml",
        "OQSsiimm01req_../x.xml",
        "OQSsiimm01_1.xml",
    ] {
        assert_eq!(FileName::parse(bad), None, "{bad}");
        assert!(!is_request_file_name(bad));
    }
    assert!(is_request_file_name("OQSzzzz01req_1.xml"));
    assert!(!is_request_file_name("OQSsiimm01res_1.xml"));
}

#[test]
fn answers_replace_req_by_res() {
    assert_eq!(
        answer_file_name("OQSsiimm01req_0001.xml").unwrap(),
        "OQSsiimm01res_0001.xml"
    );
    assert_eq!(
        answer_file_name("OQSmuimm01req_a_b.XML").unwrap(),
        "OQSmuimm01res_a_b.XML"
    );
    assert!(answer_file_name("OQSsiimm01res_0001.xml").is_err());
    assert!(answer_file_name("dir/OQSsiimm01req_1.xml").is_err());
    assert_eq!(face_result_file_name("42").unwrap(), "OQSsifce01res_42.xml");
    assert!(face_result_file_name("../x").is_err());
    for kind in [
        MessageKind::ConfirmationRequest,
        MessageKind::RegistrationRequest,
        MessageKind::BulkRegistrationRequest,
    ] {
        let name = kind.request_file_name("77").unwrap().unwrap();
        assert_eq!(MessageKind::from_file_name(&name), Some(kind));
    }
}
