//! The one error type of the crate.

use crate::TextEncoding;

/// Why a file could not be read, written, named or converted. Every bad input ends here, never in a
/// panic.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OnshiError {
    /// The file is larger than [`crate::Limits::max_bytes`].
    #[error("the file is {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Elements nest deeper than [`crate::Limits::max_depth`].
    #[error("elements nest deeper than {limit}")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// More elements than [`crate::Limits::max_elements`].
    #[error("more than {limit} elements")]
    TooManyElements {
        /// The limit.
        limit: usize,
    },
    /// The declaration names an encoding other than UTF-8 and Shift_JIS (or the file is UTF-16).
    #[error("the encoding {0:?} is neither UTF-8 nor Shift_JIS")]
    UnsupportedEncoding(String),
    /// The bytes are not valid in the declared encoding.
    #[error("the bytes are not valid {0}")]
    MalformedText(TextEncoding),
    /// The header's CharacterCodeIdentifier contradicts the encoding of the file (or the one asked for).
    #[error("CharacterCodeIdentifier {identifier:?} contradicts the {encoding} encoding")]
    EncodingMismatch {
        /// The identifier as it arrived.
        identifier: String,
        /// The encoding of the file.
        encoding: TextEncoding,
    },
    /// Not well-formed XML (syntax, unbalanced tags, a DTD, text outside the root…).
    #[error("not well-formed XML: {0}")]
    Xml(String),
    /// The root element is not `XmlMsg`.
    #[error("the root element is {0:?}, not XmlMsg")]
    WrongRoot(String),
    /// An element is missing, repeated, of the wrong shape, or holds a value that does not parse.
    #[error("{path}: {reason}")]
    Invalid {
        /// Where, as `XmlMsg/MessageBody/…`.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The content does not say which kind of message it is, or is not the kind asked for.
    #[error("message kind: {0}")]
    Kind(String),
    /// The file name and the content name different kinds of message.
    #[error("the file name says {by_name:?} but the content is {by_content:?}")]
    KindMismatch {
        /// The kind the name says.
        by_name: crate::MessageKind,
        /// The kind the content says.
        by_content: crate::MessageKind,
    },
    /// Not a file name of the `OQS…req_<id>.xml` pattern (or an id that cannot be used in one).
    #[error("{0:?} is not a usable OQS…req_<id>.xml / OQS…res_<id>.xml file name")]
    FileName(String),
    /// A value cannot be written: a character XML does not allow, or one the encoding lacks.
    #[error("cannot write the message: {0}")]
    Unwritable(String),
    /// A message does not convert to or from an `EligibilityAnswer`.
    #[error("conversion: {0}")]
    Conversion(String),
}

impl OnshiError {
    /// kazasu's own ProcessingResultCode / ErrorCode for an answer to a file that failed this way
    /// (the national code list is not public): `O0001` too large, `O0002` too deep or too many
    /// elements, `O0003` encoding, `O0004` not well-formed, `O0005` invalid content, `O0006` unknown or
    /// contradictory kind or file name, `O0007` unwritable, `O0008` conversion.
    pub fn code(&self) -> &'static str {
        match self {
            OnshiError::TooLarge { .. } => "O0001",
            OnshiError::TooDeep { .. } | OnshiError::TooManyElements { .. } => "O0002",
            OnshiError::UnsupportedEncoding(_)
            | OnshiError::MalformedText(_)
            | OnshiError::EncodingMismatch { .. } => "O0003",
            OnshiError::Xml(_) | OnshiError::WrongRoot(_) => "O0004",
            OnshiError::Invalid { .. } => "O0005",
            OnshiError::Kind(_) | OnshiError::KindMismatch { .. } | OnshiError::FileName(_) => {
                "O0006"
            }
            OnshiError::Unwritable(_) => "O0007",
            OnshiError::Conversion(_) => "O0008",
        }
    }

    pub(crate) fn invalid(path: impl Into<String>, reason: impl Into<String>) -> Self {
        OnshiError::Invalid {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
