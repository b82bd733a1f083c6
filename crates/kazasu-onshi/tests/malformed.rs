//! Malformed, truncated, wrongly encoded, oversized and deeply nested input: a typed error, never a
//! panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kazasu_onshi::{Limits, OnshiError, TextEncoding, parse, parse_with};

const RESULT: &str = include_str!("data/result.xml");

fn err(text: &str) -> OnshiError {
    parse(text.as_bytes()).unwrap_err()
}

#[test]
fn every_truncation_is_an_error() {
    for sample in [
        RESULT,
        include_str!("data/confirmation.xml"),
        include_str!("data/bulk_registration.xml"),
    ] {
        let bytes = sample.trim_end().as_bytes();
        for len in 0..bytes.len() - 1 {
            // Cut inside a UTF-8 sequence or inside the markup: either way an error.
            assert!(
                parse(&bytes[..len]).is_err(),
                "prefix of {len} bytes was accepted"
            );
        }
        assert!(parse(bytes).is_ok());
    }
}

#[test]
fn sizes_and_depth_are_limited() {
    let limits = Limits {
        max_bytes: 100,
        ..Limits::default()
    };
    assert_eq!(
        parse_with(RESULT.as_bytes(), &limits),
        Err(OnshiError::TooLarge {
            size: RESULT.len(),
            limit: 100
        })
    );
    let big = vec![b' '; (1 << 20) + 1];
    assert!(matches!(parse(&big), Err(OnshiError::TooLarge { .. })));
    let deep = format!("{}{}", "<a>".repeat(10_000), "</a>".repeat(10_000));
    assert_eq!(
        parse(deep.as_bytes()),
        Err(OnshiError::TooDeep { limit: 16 })
    );
    let many = format!("<XmlMsg>{}</XmlMsg>", "<x/>".repeat(60_000));
    assert_eq!(
        parse(many.as_bytes()),
        Err(OnshiError::TooManyElements { limit: 50_000 })
    );
}

#[test]
fn encodings_other_than_utf8_and_shift_jis_are_refused() {
    let decl = RESULT.replace("encoding=\"UTF-8\"", "encoding=\"EUC-JP\"");
    assert_eq!(err(&decl), OnshiError::UnsupportedEncoding("EUC-JP".into()));
    assert!(matches!(
        parse(b"\xFF\xFE<\0X\0"),
        Err(OnshiError::UnsupportedEncoding(_))
    ));
    // Invalid Shift_JIS bytes.
    let mut bytes = RESULT
        .replace("encoding=\"UTF-8\"", "encoding=\"Shift_JIS\"")
        .replace("<CharacterCodeIdentifier>0<", "<CharacterCodeIdentifier>1<")
        .into_bytes();
    let at = RESULT.find("<InsurerName>").unwrap() + "<InsurerName>".len();
    bytes.splice(at..at + 3, [0x81, 0x20, 0x20]);
    assert_eq!(
        parse(&bytes),
        Err(OnshiError::MalformedText(TextEncoding::ShiftJis))
    );
    // A UTF-8 byte order mark before a Shift_JIS declaration.
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><XmlMsg/>");
    assert!(matches!(
        parse(&bom),
        Err(OnshiError::EncodingMismatch { .. })
    ));
}

#[test]
fn malformed_documents_are_typed_errors() {
    for (text, what) in [
        ("", "empty"),
        ("<XmlMsg>", "unclosed"),
        ("<XmlMsg></Other>", "mismatched end"),
        ("<XmlMsg/><XmlMsg/>", "two roots"),
        ("text<XmlMsg/>", "text before the root"),
        ("<!DOCTYPE x [<!ENTITY a \"b\">]><XmlMsg/>", "a DTD"),
        (
            "<XmlMsg><MessageHeader>&bogus;</MessageHeader></XmlMsg>",
            "unknown entity",
        ),
        ("<XmlMsg>&#1;</XmlMsg>", "control character reference"),
        ("<XmlMsg>\u{1}</XmlMsg>", "control character"),
        (
            "<XmlMsg><MessageHeader>a<b/></MessageHeader></XmlMsg>",
            "mixed content",
        ),
        ("<XmlMsg><a x='1' x='2'/></XmlMsg>", "duplicate attribute"),
    ] {
        assert!(
            matches!(parse(text.as_bytes()), Err(OnshiError::Xml(_))),
            "{what}: {:?}",
            parse(text.as_bytes())
        );
    }
    assert_eq!(err("<Other/>"), OnshiError::WrongRoot("Other".into()));
    assert!(matches!(
        err("<XmlMsg><MessageBody/></XmlMsg>"),
        OnshiError::Kind(_)
    ));
}

#[test]
fn wrong_content_names_its_place() {
    let path = |e: OnshiError| match e {
        OnshiError::Invalid { path, .. } => path,
        other => panic!("{other:?}"),
    };
    let twice = RESULT.replace("<Sex2>1</Sex2>", "<Sex2>1</Sex2><Sex2>2</Sex2>");
    assert_eq!(
        path(err(&twice)),
        "XmlMsg/MessageBody/ResultList/ResultOfQualificationConfirmation/Sex2"
    );
    let bad_date = RESULT.replace("<Birthdate>19800115<", "<Birthdate>19800230<");
    assert!(path(err(&bad_date)).ends_with("/Birthdate"));
    let bad_time = RESULT.replace("20250401093015", "20250401093060");
    assert_eq!(
        path(err(&bad_time)),
        "XmlMsg/MessageHeader/ProcessExecutionTime"
    );
    let nested = RESULT.replace("<Sex1>1</Sex1>", "<Sex1><x/></Sex1>");
    assert!(path(err(&nested)).ends_with("/Sex1"));
    let text_in_node = RESULT.replace("<ResultList>", "<ResultList>text");
    assert!(matches!(err(&text_in_node), OnshiError::Xml(_)));
    let no_header = "<XmlMsg><MessageBody><ProcessingResultStatus>1</ProcessingResultStatus></MessageBody></XmlMsg>";
    assert_eq!(path(err(no_header)), "XmlMsg/MessageHeader");
}

#[test]
fn an_empty_date_is_absent() {
    let text = RESULT.replace(
        "<InsuredCardExpirationDate>20260331</InsuredCardExpirationDate>",
        "<InsuredCardExpirationDate/>",
    );
    let m = kazasu_onshi::ResultMessage::parse(text.as_bytes()).unwrap();
    let r = &m.body.unwrap().result_list.unwrap().results[0];
    assert_eq!(r.insured_card_expiration_date, None);
}
