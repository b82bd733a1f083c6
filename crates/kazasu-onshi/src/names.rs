//! File names of the `req` / `res` folders: `OQS<kind>req_<id>.xml`, answered by `OQS<kind>res_<id>.xml`.

use crate::{MessageKind, OnshiError};

/// Stem of a single 照会番号 registration request.
pub const REGISTRATION: &str = "OQSsiimm01";
/// Stem of a bulk 照会番号 registration request.
pub const BULK_REGISTRATION: &str = "OQSmuimm01";
/// Stem of a confirmation request by insurance-card data (kazasu's choice in the same pattern; the
/// official name is not public).
pub const CONFIRMATION: &str = "OQSsiqcf01";
/// Stem of a result written for a face-reader visit (kazasu's choice in the same pattern).
pub const FACE_RESULT: &str = "OQSsifce01";

/// The parts of a file name `OQS<x>req_<id>.xml` or `OQS<x>res_<id>.xml`: stem (`OQS<x>`), whether
/// it is a request, and the id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileName<'a> {
    /// `OQS` and the kind letters, e.g. `OQSsiimm01`.
    pub stem: &'a str,
    /// `true` for `req`, `false` for `res`.
    pub request: bool,
    /// The identifier between `_` and `.xml`.
    pub id: &'a str,
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl<'a> FileName<'a> {
    /// Splits a bare file name (no directory); `None` when it does not follow the pattern.
    pub fn parse(name: &'a str) -> Option<Self> {
        let base = name
            .strip_suffix(".xml")
            .or_else(|| name.strip_suffix(".XML"))?;
        let (head, id) = base.split_once('_')?;
        let (stem, request) = match (head.strip_suffix("req"), head.strip_suffix("res")) {
            (Some(stem), _) => (stem, true),
            (None, Some(stem)) => (stem, false),
            (None, None) => return None,
        };
        let letters = stem.strip_prefix("OQS")?;
        (!letters.is_empty() && letters.bytes().all(|b| b.is_ascii_alphanumeric()) && valid_id(id))
            .then_some(Self { stem, request, id })
    }
}

impl MessageKind {
    /// The kind a file name tells: the three request stems above, or any `OQS…res_<id>.xml` as a
    /// result. Other names (and other `OQS…req` stems) tell nothing: the content decides.
    pub fn from_file_name(name: &str) -> Option<MessageKind> {
        let parsed = FileName::parse(name)?;
        if !parsed.request {
            return Some(MessageKind::Result);
        }
        match parsed.stem {
            REGISTRATION => Some(MessageKind::RegistrationRequest),
            BULK_REGISTRATION => Some(MessageKind::BulkRegistrationRequest),
            CONFIRMATION => Some(MessageKind::ConfirmationRequest),
            _ => None,
        }
    }

    /// The request file name of this kind for `id` (`None` for [`MessageKind::Result`]).
    pub fn request_file_name(self, id: &str) -> Result<Option<String>, OnshiError> {
        if !valid_id(id) {
            return Err(OnshiError::FileName(id.to_owned()));
        }
        Ok(match self {
            MessageKind::Result => None,
            MessageKind::ConfirmationRequest => Some(format!("{CONFIRMATION}req_{id}.xml")),
            MessageKind::RegistrationRequest => Some(format!("{REGISTRATION}req_{id}.xml")),
            MessageKind::BulkRegistrationRequest => {
                Some(format!("{BULK_REGISTRATION}req_{id}.xml"))
            }
        })
    }
}

/// Whether `name` is a request file name (`OQS…req_<id>.xml`).
pub fn is_request_file_name(name: &str) -> bool {
    FileName::parse(name).is_some_and(|n| n.request)
}

/// The answer's file name for a request's: `OQSsiimm01req_X.xml` → `OQSsiimm01res_X.xml`.
pub fn answer_file_name(request: &str) -> Result<String, OnshiError> {
    match FileName::parse(request) {
        Some(n) if n.request => {
            let ext = &request[request.len() - 4..];
            Ok(format!("{}res_{}{ext}", n.stem, n.id))
        }
        _ => Err(OnshiError::FileName(request.to_owned())),
    }
}

/// The file name of a face-reader visit's result: `OQSsifce01res_<id>.xml`.
pub fn face_result_file_name(id: &str) -> Result<String, OnshiError> {
    if valid_id(id) {
        Ok(format!("{FACE_RESULT}res_{id}.xml"))
    } else {
        Err(OnshiError::FileName(id.to_owned()))
    }
}
