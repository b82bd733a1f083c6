//! The オンライン資格確認 file interface: the XML files a clinic system (レセコン / 電子カルテ) exchanges
//! with the eligibility terminal — requests in the `req` folder, answers in `res`.
//!
//! - Typed messages under the root `XmlMsg` with the official element names: [`ResultMessage`]
//!   (header, body, `ResultList` of [`ResultOfQualificationConfirmation`] with every known field and
//!   the 24-hour reader-consent flags), [`ConfirmationRequest`] (by insurance-card data),
//!   [`RegistrationRequest`] and [`BulkRegistrationRequest`] (照会番号 registration).
//! - [`parse`] reads UTF-8 or Shift_JIS as the XML declaration says (UTF-8 without one); the header's
//!   CharacterCodeIdentifier (`0` UTF-8, `1` Shift_JIS) must agree. Every value stays the string it
//!   was (no trimming: the 6-digit insurer number padded with two spaces survives), codes are enums
//!   that keep unknown codes ([`codes`]), dates and times are [`OnshiDate`] / [`OnshiDateTime`] in JST.
//!   An empty date or time element reads as absent.
//! - **Unknown elements are preserved**: each struct keeps the attributes and child elements it does
//!   not know in its `extra` ([`Extra`]), in order, and writes them back after its known children.
//!   Known elements are written in the official order whatever order they arrived in. Comments and
//!   processing instructions are dropped; a DTD is refused.
//! - Bad input is a typed [`OnshiError`], never a panic: size ([`Limits::max_bytes`], 1 MiB), depth
//!   and element count are checked while the tree is read, before typed values are built.
//! - [`ResultMessage::from_eligibility`] answers an `kazasu_health::EligibilityAnswer` in the official
//!   format; [`ResultMessage::to_eligibility`] goes back; [`ResultMessage::error_answer`] answers a
//!   request that could not be processed.
//! - File names ([`names`]): `OQSsiimm01req_<id>.xml` (one 照会番号), `OQSmuimm01req_<id>.xml` (bulk),
//!   `OQSsiqcf01req_<id>.xml` (confirmation by insurance-card data: kazasu's choice, the official
//!   name is not public); answers replace `req` by `res`.
//!
//! ```
//! use kazasu_onshi::{Message, OnshiDateTime, ResultMessage, names, parse_file};
//!
//! let request = br#"<?xml version="1.0" encoding="UTF-8" standalone="no"?>
//! <XmlMsg><MessageHeader><MedicalInstitutionCode>1312345678</MedicalInstitutionCode>
//! <ArbitraryFileIdentifier>000042</ArbitraryFileIdentifier></MessageHeader>
//! <MessageBody><InsurerNumber>  138057</InsurerNumber><ReferenceNumber>0012</ReferenceNumber>
//! </MessageBody></XmlMsg>"#;
//! let name = "OQSsiimm01req_000042.xml";
//! let parsed = parse_file(name, request)?;
//! let Message::RegistrationRequest(registration) = &parsed.message else { unreachable!() };
//! let body = registration.body.as_ref().unwrap();
//! assert_eq!(body.insurer_number.as_deref(), Some("  138057"));
//!
//! // Say the registration could not be done: an error answer, in the request's encoding.
//! let at = OnshiDateTime::parse("20250401093000")?;
//! let answer = ResultMessage::error_answer(&parsed.echo(), "X0001", "not registered", at);
//! assert_eq!(names::answer_file_name(name)?, "OQSsiimm01res_000042.xml");
//! let bytes = answer.to_xml()?;
//! assert_eq!(ResultMessage::parse(&bytes)?, answer);
//! # Ok::<(), kazasu_onshi::OnshiError>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod answer;
pub mod codes;
mod encoding;
mod error;
mod message;
pub mod names;
mod node;
pub mod request;
pub mod result;
mod tree;
mod value;

pub use answer::AnswerContext;
pub use encoding::{TextEncoding, sniff_encoding};
pub use error::OnshiError;
pub use message::{
    BulkRegistrationRequest, ConfirmationRequest, Message, MessageKind, Parsed, ROOT,
    RegistrationRequest, RequestEcho, ResultMessage, parse, parse_file, parse_with,
};
pub use request::{
    BulkRegistrationBody, ConfirmationBody, QualificationConfirmSearchInfo,
    ReferenceNumberRegistrationInfo, RequestHeader,
};
pub use result::{
    BulkConfirmUnit, ElderlyRecipientCertificateInfo, LimitApplicationCertificateRelatedInfo,
    ResultBody, ResultHeader, ResultList, ResultOfQualificationConfirmation,
    SpecificDiseasesCertificateInfo, SpecificDiseasesCertificateList,
};
pub use tree::{Element, Extra, Limits};
pub use value::{JST, OnshiDate, OnshiDateTime};
