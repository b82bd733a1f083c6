//! [`PdfError`]: why a PDF cannot be read or signed.

/// Errors of the PDF layer, carried in [`crate::SignError::Pdf`].
///
/// A signature that does not verify, or a ByteRange that does not hold, is not an error: it is a
/// verdict in the [`super::PdfReport`]. These errors are for files that cannot be used at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PdfError {
    /// The PDF parser refused the file.
    #[error("not a readable PDF: {0}")]
    Parse(String),
    /// The file is encrypted (a `/Encrypt` dictionary in the trailer): kazasu neither decrypts
    /// nor signs encrypted PDFs.
    #[error("the PDF is encrypted; decrypt it first")]
    Encrypted,
    /// The cross-reference data is damaged (the parser had to repair or rebuild it): an
    /// incremental update would point at the wrong objects.
    #[error(
        "the PDF's cross-reference data is damaged; repair it (e.g. `qpdf in.pdf out.pdf`) before signing"
    )]
    DamagedXref,
    /// A required object is missing or of the wrong type.
    #[error("the PDF has no usable {0}")]
    Missing(&'static str),
    /// The CMS signature is larger than the space reserved for `/Contents`.
    #[error("the CMS signature is {needed} bytes but only {reserved} were reserved for /Contents")]
    ContentsTooSmall {
        /// DER length of the CMS.
        needed: usize,
        /// Bytes reserved.
        reserved: usize,
    },
    /// More revisions than the verifier looks at.
    #[error("the PDF has more than {0} revisions")]
    TooManyRevisions(usize),
}
