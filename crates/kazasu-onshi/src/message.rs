//! The four message kinds, their `XmlMsg` roots, reading and writing.

use quick_xml::events::{BytesDecl, Event};
use serde::Serialize;

use crate::codes::CharacterCode;
use crate::encoding::decode;
use crate::node::Node;
use crate::request::{
    BulkRegistrationBody, ConfirmationBody, ReferenceNumberRegistrationInfo, RequestHeader,
};
use crate::result::{ResultBody, ResultHeader};
use crate::tree::{self, Element, Extra, Limits, XmlWriter};
use crate::{OnshiDate, OnshiError, TextEncoding};

/// The root element of every message.
pub const ROOT: &str = "XmlMsg";
const HEADER: &str = "MessageHeader";
const BODY: &str = "MessageBody";

/// Which message a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum MessageKind {
    /// A result (answer) message.
    Result,
    /// A confirmation request by insurance-card data.
    ConfirmationRequest,
    /// A 照会番号 registration for one patient.
    RegistrationRequest,
    /// A bulk 照会番号 registration.
    BulkRegistrationRequest,
}

macro_rules! root {
    ($(#[$m:meta])* $name:ident, $kind:ident, $header:ty, $body:ty, $body_required:literal) => {
        $(#[$m])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
        pub struct $name {
            /// `MessageHeader`.
            #[serde(rename = "MessageHeader")]
            pub header: $header,
            /// `MessageBody`.
            #[serde(rename = "MessageBody", skip_serializing_if = "Option::is_none")]
            pub body: Option<$body>,
            /// Attributes of `XmlMsg` and unknown elements under it.
            #[serde(skip_serializing_if = "Extra::is_empty")]
            pub extra: Extra,
        }

        impl $name {
            /// Reads the message (UTF-8 or Shift_JIS, default [`Limits`]); a file of another kind is an error.
            pub fn parse(bytes: &[u8]) -> Result<Self, OnshiError> {
                match parse(bytes)?.message {
                    Message::$kind(m) => Ok(m),
                    other => Err(OnshiError::Kind(format!(
                        "expected {:?}, found {:?}",
                        MessageKind::$kind,
                        other.kind()
                    ))),
                }
            }

            /// Writes the message in the encoding its CharacterCodeIdentifier names (UTF-8 without one).
            pub fn to_xml(&self) -> Result<Vec<u8>, OnshiError> {
                let encoding = match &self.header.character_code_identifier {
                    None => TextEncoding::Utf8,
                    Some(code) => TextEncoding::from_identifier(code).ok_or_else(|| {
                        OnshiError::Unwritable(format!(
                            "CharacterCodeIdentifier {:?} names no known encoding",
                            code.code()
                        ))
                    })?,
                };
                self.to_xml_in(encoding)
            }

            /// Writes the message in `encoding`; a CharacterCodeIdentifier naming another one is an error.
            pub fn to_xml_in(&self, encoding: TextEncoding) -> Result<Vec<u8>, OnshiError> {
                check_identifier(self.header.character_code_identifier.as_ref(), encoding)?;
                write_document(encoding, &self.extra, &self.header, self.body.as_ref())
            }

            fn from_root(root: Element) -> Result<Self, OnshiError> {
                let parts = split_root(root)?;
                let header = parts
                    .header
                    .map(|h| <$header>::from_element(h, "XmlMsg/MessageHeader"))
                    .transpose()?
                    .ok_or_else(|| OnshiError::invalid("XmlMsg/MessageHeader", "missing"))?;
                let body = parts
                    .body
                    .map(|b| <$body>::from_element(b, "XmlMsg/MessageBody"))
                    .transpose()?;
                if $body_required && body.is_none() {
                    return Err(OnshiError::invalid("XmlMsg/MessageBody", "missing"));
                }
                Ok(Self { header, body, extra: parts.extra })
            }
        }

        impl From<$name> for Message {
            fn from(m: $name) -> Self {
                Message::$kind(m)
            }
        }
    };
}

root!(
    /// The result message: the answer to a request, or a face-reader visit's result.
    ResultMessage, Result, ResultHeader, ResultBody, false
);
root!(
    /// A confirmation request by insurance-card data.
    ConfirmationRequest, ConfirmationRequest, RequestHeader, ConfirmationBody, true
);
root!(
    /// A 照会番号 registration for one patient (`OQSsiimm01req_*.xml`): the registration's fields
    /// sit directly in `MessageBody`.
    RegistrationRequest, RegistrationRequest, RequestHeader, ReferenceNumberRegistrationInfo, true
);
root!(
    /// A bulk 照会番号 registration (`OQSmuimm01req_*.xml`): one `ReferenceNumberRegistrationInfo`
    /// per patient in `MessageBody`.
    BulkRegistrationRequest, BulkRegistrationRequest, RequestHeader, BulkRegistrationBody, true
);

/// Any message of the interface.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "XmlMsg")]
#[non_exhaustive]
// One message per file, moved rarely: boxing would only add a pointer chase for callers.
#[allow(clippy::large_enum_variant)]
pub enum Message {
    /// A result message.
    Result(ResultMessage),
    /// A confirmation request by insurance-card data.
    ConfirmationRequest(ConfirmationRequest),
    /// A single 照会番号 registration.
    RegistrationRequest(RegistrationRequest),
    /// A bulk 照会番号 registration.
    BulkRegistrationRequest(BulkRegistrationRequest),
}

/// The fields of a request an answer echoes, and the encoding to answer in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RequestEcho {
    /// QualificationConfirmationDate.
    pub qualification_confirmation_date: Option<OnshiDate>,
    /// MedicalInstitutionCode.
    pub medical_institution_code: Option<String>,
    /// ArbitraryFileIdentifier.
    pub arbitrary_file_identifier: Option<String>,
    /// The encoding of the request (the answer uses the same).
    pub encoding: Option<TextEncoding>,
}

impl Message {
    /// Its kind.
    pub fn kind(&self) -> MessageKind {
        match self {
            Message::Result(_) => MessageKind::Result,
            Message::ConfirmationRequest(_) => MessageKind::ConfirmationRequest,
            Message::RegistrationRequest(_) => MessageKind::RegistrationRequest,
            Message::BulkRegistrationRequest(_) => MessageKind::BulkRegistrationRequest,
        }
    }

    /// Writes the message (see [`ResultMessage::to_xml`]).
    pub fn to_xml(&self) -> Result<Vec<u8>, OnshiError> {
        match self {
            Message::Result(m) => m.to_xml(),
            Message::ConfirmationRequest(m) => m.to_xml(),
            Message::RegistrationRequest(m) => m.to_xml(),
            Message::BulkRegistrationRequest(m) => m.to_xml(),
        }
    }

    /// Writes the message in `encoding` (see [`ResultMessage::to_xml_in`]).
    pub fn to_xml_in(&self, encoding: TextEncoding) -> Result<Vec<u8>, OnshiError> {
        match self {
            Message::Result(m) => m.to_xml_in(encoding),
            Message::ConfirmationRequest(m) => m.to_xml_in(encoding),
            Message::RegistrationRequest(m) => m.to_xml_in(encoding),
            Message::BulkRegistrationRequest(m) => m.to_xml_in(encoding),
        }
    }

    fn echo_of(h: &RequestHeader) -> RequestEcho {
        RequestEcho {
            qualification_confirmation_date: h.qualification_confirmation_date,
            medical_institution_code: h.medical_institution_code.clone(),
            arbitrary_file_identifier: h.arbitrary_file_identifier.clone(),
            encoding: h
                .character_code_identifier
                .as_ref()
                .and_then(TextEncoding::from_identifier),
        }
    }

    /// What an answer to it echoes (the encoding from its CharacterCodeIdentifier, if any; prefer
    /// [`Parsed::echo`], which knows the file's encoding).
    pub fn echo(&self) -> RequestEcho {
        match self {
            Message::Result(m) => RequestEcho {
                qualification_confirmation_date: m.header.qualification_confirmation_date,
                medical_institution_code: m.header.medical_institution_code.clone(),
                arbitrary_file_identifier: m.header.arbitrary_file_identifier.clone(),
                encoding: m
                    .header
                    .character_code_identifier
                    .as_ref()
                    .and_then(TextEncoding::from_identifier),
            },
            Message::ConfirmationRequest(m) => Self::echo_of(&m.header),
            Message::RegistrationRequest(m) => Self::echo_of(&m.header),
            Message::BulkRegistrationRequest(m) => Self::echo_of(&m.header),
        }
    }
}

/// A message and the encoding its file was in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Parsed {
    /// The message.
    pub message: Message,
    /// The encoding of the file.
    pub encoding: TextEncoding,
}

impl Parsed {
    /// What an answer echoes, in the encoding of the file.
    pub fn echo(&self) -> RequestEcho {
        RequestEcho {
            encoding: Some(self.encoding),
            ..self.message.echo()
        }
    }
}

/// Reads any message with the default [`Limits`].
pub fn parse(bytes: &[u8]) -> Result<Parsed, OnshiError> {
    parse_with(bytes, &Limits::default())
}

/// Reads any message: size limit first, then the encoding (declaration; CharacterCodeIdentifier must
/// agree), the element tree within the depth and count limits, the kind from the content, the typed
/// message.
pub fn parse_with(bytes: &[u8], limits: &Limits) -> Result<Parsed, OnshiError> {
    if bytes.len() > limits.max_bytes {
        return Err(OnshiError::TooLarge {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let (text, encoding) = decode(bytes)?;
    let root = tree::read(&text, limits)?;
    if root.name != ROOT {
        return Err(OnshiError::WrongRoot(root.name));
    }
    let message = match kind_of(&root)? {
        MessageKind::Result => Message::Result(ResultMessage::from_root(root)?),
        MessageKind::ConfirmationRequest => {
            Message::ConfirmationRequest(ConfirmationRequest::from_root(root)?)
        }
        MessageKind::RegistrationRequest => {
            Message::RegistrationRequest(RegistrationRequest::from_root(root)?)
        }
        MessageKind::BulkRegistrationRequest => {
            Message::BulkRegistrationRequest(BulkRegistrationRequest::from_root(root)?)
        }
    };
    let identifier = match &message {
        Message::Result(m) => m.header.character_code_identifier.as_ref(),
        Message::ConfirmationRequest(m) => m.header.character_code_identifier.as_ref(),
        Message::RegistrationRequest(m) => m.header.character_code_identifier.as_ref(),
        Message::BulkRegistrationRequest(m) => m.header.character_code_identifier.as_ref(),
    };
    check_identifier(identifier, encoding)?;
    Ok(Parsed { message, encoding })
}

/// Reads a file whose name follows the `OQS…req_<id>.xml` / `OQS…res_<id>.xml` pattern: when the
/// name tells a kind ([`MessageKind::from_file_name`]), the content must be of that kind.
pub fn parse_file(file_name: &str, bytes: &[u8]) -> Result<Parsed, OnshiError> {
    let parsed = parse(bytes)?;
    if let Some(by_name) = MessageKind::from_file_name(file_name) {
        let by_content = parsed.message.kind();
        if by_name != by_content {
            return Err(OnshiError::KindMismatch {
                by_name,
                by_content,
            });
        }
    }
    Ok(parsed)
}

/// A header identifier must name the encoding the file is in; one this version does not know is
/// kept and not checked.
fn check_identifier(
    identifier: Option<&CharacterCode>,
    encoding: TextEncoding,
) -> Result<(), OnshiError> {
    match identifier.map(|c| (c, TextEncoding::from_identifier(c))) {
        Some((code, Some(named))) if named != encoding => Err(OnshiError::EncodingMismatch {
            identifier: code.code().to_owned(),
            encoding,
        }),
        _ => Ok(()),
    }
}

fn child<'a>(element: &'a Element, name: &str) -> Option<&'a Element> {
    element.children.iter().find(|c| c.name == name)
}

/// The kind from the content: a result has SegmentOfResult / ProcessExecutionTime in its header or
/// ProcessingResultStatus in its body; otherwise the body's first telling child decides.
fn kind_of(root: &Element) -> Result<MessageKind, OnshiError> {
    let header = child(root, HEADER);
    let body = child(root, BODY);
    let has = |parent: Option<&Element>, name| parent.and_then(|p| child(p, name)).is_some();
    if has(header, "SegmentOfResult")
        || has(header, "ProcessExecutionTime")
        || has(body, "ProcessingResultStatus")
    {
        Ok(MessageKind::Result)
    } else if has(body, "ReferenceNumberRegistrationInfo") {
        Ok(MessageKind::BulkRegistrationRequest)
    } else if has(body, "QualificationConfirmSearchInfo") {
        Ok(MessageKind::ConfirmationRequest)
    } else if has(body, "ReferenceNumber") {
        Ok(MessageKind::RegistrationRequest)
    } else {
        Err(OnshiError::Kind(
            "the content matches no result or request message".into(),
        ))
    }
}

struct RootParts {
    header: Option<Element>,
    body: Option<Element>,
    extra: Extra,
}

fn split_root(root: Element) -> Result<RootParts, OnshiError> {
    crate::node::check_no_text(&root, ROOT)?;
    let mut parts = RootParts {
        header: None,
        body: None,
        extra: Extra {
            attributes: root.attributes,
            elements: Vec::new(),
        },
    };
    for element in root.children {
        let slot = match element.name.as_str() {
            HEADER => &mut parts.header,
            BODY => &mut parts.body,
            _ => {
                parts.extra.elements.push(element);
                continue;
            }
        };
        if slot.is_some() {
            return Err(OnshiError::invalid(
                format!("{ROOT}/{}", element.name),
                "appears twice",
            ));
        }
        *slot = Some(element);
    }
    Ok(parts)
}

fn write_document<H: Node, B: Node>(
    encoding: TextEncoding,
    extra: &Extra,
    header: &H,
    body: Option<&B>,
) -> Result<Vec<u8>, OnshiError> {
    let io = |e: std::io::Error| OnshiError::Unwritable(e.to_string());
    let mut w = XmlWriter::new_with_indent(Vec::with_capacity(4096), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new(
        "1.0",
        Some(encoding.label()),
        Some("no"),
    )))
    .map_err(io)?;
    crate::node::start_with_extra(&mut w, ROOT, extra)
        .write_inner_content(|w| {
            header.write_into(HEADER, w)?;
            if let Some(body) = body {
                body.write_into(BODY, w)?;
            }
            crate::node::write_extra_elements(w, extra)
        })
        .map_err(io)?;
    let mut bytes = w.into_inner();
    bytes.push(b'\n');
    let text = String::from_utf8(bytes).map_err(|e| OnshiError::Unwritable(e.to_string()))?;
    if let Some(c) = text.chars().find(|c| !tree::is_xml_char(*c)) {
        return Err(OnshiError::Unwritable(format!(
            "the character U+{:04X} is not allowed in XML",
            u32::from(c)
        )));
    }
    encoding.encode(text)
}
