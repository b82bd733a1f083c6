//! Reading the input PDF with `lopdf`: the size cap, encryption, and the objects an incremental
//! update has to extend (catalog, first page, AcroForm).

use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId, xref::XrefType};

use super::PdfError;
use crate::SignError;

/// The largest PDF accepted for signing or verification (checked before parsing).
pub const MAX_PDF_LEN: usize = 64 * 1024 * 1024;

/// Parses `pdf` after the size check; refuses encrypted files.
pub(crate) fn load(pdf: &[u8]) -> Result<Document, SignError> {
    SignError::check_size("PDF", pdf.len(), MAX_PDF_LEN)?;
    let options = LoadOptions {
        // A stream never legitimately inflates past the size cap of the whole file by much;
        // bound it so a small crafted file cannot allocate gigabytes.
        max_decompressed_size: Some(4 * MAX_PDF_LEN),
        ..LoadOptions::default()
    };
    let doc = Document::load_mem_with_options(pdf, options).map_err(|e| match e {
        lopdf::Error::Decryption(_)
        | lopdf::Error::InvalidPassword
        | lopdf::Error::UnsupportedSecurityHandler(_) => PdfError::Encrypted,
        other => PdfError::Parse(other.to_string()),
    })?;
    if doc.trailer.has(b"Encrypt") || doc.encryption_state.is_some() {
        return Err(PdfError::Encrypted.into());
    }
    Ok(doc)
}

/// What an incremental update needs to know about the newest revision.
pub(crate) struct Base {
    pub doc: Document,
    /// Offset of the newest cross-reference section (`startxref`).
    pub startxref: usize,
    /// Whether the newest section is a cross-reference stream.
    pub xref_stream: bool,
    /// `/Size` of the newest trailer: the first free object number.
    pub size: u32,
    pub root: ObjectId,
    pub first_page: ObjectId,
}

impl Base {
    pub(crate) fn read(pdf: &[u8]) -> Result<Self, SignError> {
        let doc = load(pdf)?;
        if doc.xref_recovery.is_some() {
            return Err(PdfError::DamagedXref.into());
        }
        let root = doc
            .trailer
            .get(b"Root")
            .and_then(Object::as_reference)
            .map_err(|_| PdfError::Missing("/Root in the trailer"))?;
        doc.get_dictionary(root)
            .map_err(|_| PdfError::Missing("document catalog"))?;
        let first_page = doc.page_iter().next().ok_or(PdfError::Missing("page"))?;
        let trailer_size = doc
            .trailer
            .get(b"Size")
            .and_then(Object::as_i64)
            .ok()
            .and_then(|s| u32::try_from(s).ok())
            .unwrap_or(0);
        // Never reuse a number in use, whatever /Size claims.
        let size = trailer_size
            .max(doc.max_id.saturating_add(1))
            .max(doc.reference_table.size);
        let xref_stream = matches!(
            doc.reference_table.cross_reference_type,
            XrefType::CrossReferenceStream
        );
        Ok(Self {
            startxref: doc.xref_start,
            xref_stream,
            size,
            root,
            first_page,
            doc,
        })
    }

    /// The catalog dictionary.
    pub(crate) fn catalog(&self) -> Result<&Dictionary, SignError> {
        Ok(self
            .doc
            .get_dictionary(self.root)
            .map_err(|_| PdfError::Missing("document catalog"))?)
    }
}

/// Follows a reference (at most a few hops) to the object it names.
pub(crate) fn resolve<'a>(doc: &'a Document, object: &'a Object) -> Option<&'a Object> {
    doc.dereference(object).ok().map(|(_, o)| o)
}

/// Text of a PDF text string (`/T` field names): UTF-16BE with a BOM, else PDFDocEncoding read
/// as Latin-1 (close enough for names, which are ASCII in practice).
pub(crate) fn text_string(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    bytes.iter().map(|&b| char::from(b)).collect()
}
