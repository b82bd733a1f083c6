//! PAdES: signed PDF documents such as referral letters (紹介状), ETSI EN 319 142 baseline.
//!
//! # Signing
//! [`sign_pdf`] leaves the original bytes untouched and appends one incremental update: an
//! invisible signature field (a widget with `/Rect [0 0 0 0]` and `/F 132` on the first page),
//! the AcroForm with the field added and `/SigFlags 3`, and a `/Sig` dictionary with
//! `/Filter /Adobe.PPKLite`, `/SubFilter /ETSI.CAdES.detached`, the claimed time in `/M`, a
//! `/ByteRange [0 a b c]` covering the whole file but the `/Contents` hex string, and in
//! `/Contents` a detached CMS over those bytes (no signingTime attribute: the PAdES baseline
//! keeps the claimed time in `/M`; with a time-stamping authority the CMS carries a signature
//! timestamp, B-T). The update's cross-reference section has the form of the one before it: a
//! table after a table, a cross-reference stream after a stream.
//!
//! # Verifying
//! [`signatures`] finds every signature dictionary in every revision (each revision is parsed
//! on its own, so a signature dropped from a later revision is still seen) and checks its
//! ByteRange: it starts at 0, the two ranges are ordered and within the file, the gap is exactly
//! this dictionary's `/Contents` hex string, and the signed bytes end at the end of a revision.
//! A refused ByteRange is named by a [`ByteRangeProblem`]. For each signature it tells whether
//! it covers the whole file or which bytes were appended after it ([`Appended`]): the new and
//! changed objects, and whether they go beyond adding signatures and validation data (DSS).
//!
//! Encrypted PDFs are refused ([`PdfError::Encrypted`]); files over [`MAX_PDF_LEN`] bytes are
//! refused before parsing.

mod changes;
mod dss;
mod error;
mod extract;
mod parse;
mod sample;
mod sign;
mod update;
mod verify;

pub use changes::Appended;
pub use dss::{Dss, add_dss};
pub use error::PdfError;
pub use extract::{
    ByteRangeProblem, Coverage, MAX_REVISIONS, PdfObjectId, PdfSignature, signatures,
};
pub use parse::MAX_PDF_LEN;
pub use sample::{sample_referral_letter, sample_referral_letter_compact};
pub use sign::DEFAULT_CONTENTS_SIZE;
pub use verify::{PdfReport, PdfSignatureReport, verify_pdf};

use time::OffsetDateTime;

use crate::cms::{SignOptions, ValidationData};
use crate::tsp::TimeStampAuthority;
use crate::{DocumentSigner, SignError};

/// Options for [`sign_pdf`]. Start from [`PadesOptions::default`] and set fields.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct PadesOptions<'a> {
    /// The claimed signing time written to `/M`; `None`: now.
    pub signing_time: Option<OffsetDateTime>,
    /// Bytes reserved for the DER CMS in `/Contents` (written as twice as many hex digits).
    pub contents_size: usize,
    /// The signature field's name; `None`: the first free `SignatureN`.
    pub field_name: Option<&'a str>,
    /// A time-stamping authority for a signature timestamp in the CMS (PAdES B-T).
    pub tsa: Option<&'a dyn TimeStampAuthority>,
    /// Validation data to embed in the CMS itself. For PAdES LT prefer [`add_dss`] after
    /// signing, which puts it in the document's DSS.
    pub validation: Option<&'a ValidationData>,
}

impl Default for PadesOptions<'_> {
    fn default() -> Self {
        Self {
            signing_time: None,
            contents_size: DEFAULT_CONTENTS_SIZE,
            field_name: None,
            tsa: None,
            validation: None,
        }
    }
}

impl std::fmt::Debug for PadesOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PadesOptions")
            .field("signing_time", &self.signing_time)
            .field("contents_size", &self.contents_size)
            .field("field_name", &self.field_name)
            .field("tsa", &self.tsa.is_some())
            .field("validation", &self.validation.is_some())
            .finish()
    }
}

/// Signs `pdf` with `signer` (a card or a software key): the incremental update of the
/// [module docs](self), with a detached CAdES signature in `/Contents` — no signingTime
/// attribute (the claimed time is `/M`), signingCertificateV2, and with `options.tsa` a
/// signature timestamp (B-T).
pub fn sign_pdf(
    pdf: &[u8],
    signer: &mut dyn DocumentSigner,
    options: &PadesOptions<'_>,
) -> Result<Vec<u8>, SignError> {
    let cms_options = SignOptions {
        tsa: options.tsa,
        validation: options.validation,
        ..SignOptions::default()
    };
    sign_pdf_with(pdf, options, |content| {
        crate::cms::sign(content, signer, &cms_options)
    })
}

/// Signs `pdf` with a detached CMS that `make_cms` produces over the bytes it is given (the
/// ByteRange's two ranges, concatenated): the incremental update of the [module docs](self)
/// with that CMS in `/Contents`.
///
/// Use it to sign with a CMS made elsewhere (a signing service); [`sign_pdf`] makes the CMS with
/// a card or a software key.
pub fn sign_pdf_with(
    pdf: &[u8],
    options: &PadesOptions<'_>,
    make_cms: impl FnOnce(&[u8]) -> Result<Vec<u8>, SignError>,
) -> Result<Vec<u8>, SignError> {
    let spec = sign::FieldSpec {
        signing_time: options.signing_time.unwrap_or_else(OffsetDateTime::now_utc),
        contents_size: options.contents_size,
        field_name: options.field_name,
    };
    let prepared = sign::prepare(pdf, &spec)?;
    let cms = make_cms(&prepared.signed_bytes())?;
    prepared.finish(&cms)
}
