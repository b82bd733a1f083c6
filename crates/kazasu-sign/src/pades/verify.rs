//! [`verify_pdf`]: every signature of a PDF checked by the CMS layer over its byte ranges, with
//! the ByteRange and what was appended after it as verdicts of their own.

use std::sync::Arc;

use serde::Serialize;

use super::dss::{Dss, read_dss};
use super::extract::{Coverage, PdfSignature, signatures};
use crate::cms::{CmsVerifier, SignatureReport};
use crate::{SignError, Verdict, overall};

/// SubFilters whose `/Contents` is a detached CMS over the ByteRange.
const DETACHED: &[&str] = &["ETSI.CAdES.detached", "adbe.pkcs7.detached"];

/// One signature of a PDF, verified.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct PdfSignatureReport {
    /// Where the signature is and what it covers.
    #[serde(flatten)]
    pub signature: PdfSignature,
    /// The ByteRange: VALID, or INVALID with the [`super::ByteRangeProblem`].
    pub byte_range: Verdict,
    /// What was appended after the signed range: VALID when nothing was, or only signatures and
    /// validation data (DSS); INVALID when later updates change the signed document.
    pub modification: Verdict,
    /// The CMS checked over the signed bytes (`None` when the ByteRange or the SubFilter did not
    /// allow a check; [`PdfSignatureReport::verdict`] then says why).
    pub cms: Option<SignatureReport>,
    /// Why the CMS was not checked, when it was not.
    pub cms_not_checked: Option<Verdict>,
}

impl PdfSignatureReport {
    /// The worst of the ByteRange, the modification and the CMS verdicts.
    pub fn verdict(&self) -> Verdict {
        let cms = match (&self.cms, &self.cms_not_checked) {
            (Some(r), _) => r.verdict(),
            (None, Some(v)) => v.clone(),
            (None, None) => Verdict::Indeterminate("the CMS was not checked".into()),
        };
        overall([&self.byte_range, &self.modification, &cms])
    }
}

/// Every signature of a PDF, verified.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct PdfReport {
    /// File length.
    pub len: u64,
    /// The signatures, in the order they were made.
    pub signatures: Vec<PdfSignatureReport>,
    /// The newest revision's DSS (validation data for long-term verification), when there is one.
    pub dss: Option<Dss>,
}

impl PdfReport {
    /// The worst verdict of all signatures; INVALID when the PDF has none (rejected by default).
    pub fn verdict(&self) -> Verdict {
        if self.signatures.is_empty() {
            return Verdict::Invalid("the PDF has no signature".into());
        }
        overall(
            self.signatures
                .iter()
                .map(|s| s.verdict())
                .collect::<Vec<_>>()
                .iter(),
        )
    }
}

impl std::fmt::Display for PdfReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "PDF: {} bytes, {} signature(s)",
            self.len,
            self.signatures.len()
        )?;
        for (i, s) in self.signatures.iter().enumerate() {
            let sig = &s.signature;
            writeln!(
                f,
                "signature {}: field {} ({}), SubFilter {}: {}",
                i + 1,
                sig.field_name.as_deref().unwrap_or("(no field)"),
                sig.object,
                sig.sub_filter.as_deref().unwrap_or("(none)"),
                s.verdict()
            )?;
            writeln!(f, "  ByteRange {:?}: {}", sig.byte_range, s.byte_range)?;
            match &sig.coverage {
                Coverage::WholeFile => writeln!(f, "  covers the whole file")?,
                Coverage::Appended(a) => writeln!(f, "  {a}")?,
                Coverage::Unknown => writeln!(f, "  coverage unknown")?,
            }
            writeln!(f, "  modification: {}", s.modification)?;
            if let Some(cms) = &s.cms {
                writeln!(
                    f,
                    "  CMS {}: structure {}, digest {}, signature {}, signer certificate {}, timestamp {}, revocation {}",
                    cms.level,
                    cms.structure,
                    cms.digest,
                    cms.signature,
                    cms.signer_certificate,
                    cms.timestamp
                        .as_ref()
                        .map_or_else(|| "none".to_owned(), ToString::to_string),
                    cms.revocation
                )?;
                if let Some(signer) = &cms.signer {
                    writeln!(f, "  signer: {}", signer.subject)?;
                    if !signer.hc_roles.is_empty() {
                        writeln!(f, "  hcRole: {}", signer.hc_roles.join(", "))?;
                    }
                }
            } else if let Some(why) = &s.cms_not_checked {
                writeln!(f, "  CMS not checked: {why}")?;
            }
        }
        if let Some(dss) = &self.dss {
            writeln!(
                f,
                "DSS: {} certificate(s), {} CRL(s), {} OCSP response(s)",
                dss.certificates.len(),
                dss.crls.len(),
                dss.ocsp_responses.len()
            )?;
        }
        Ok(())
    }
}

/// Verifies every signature of `pdf` with `verifier` (its trust anchors and revocation data;
/// CRLs in the PDF's DSS are added to its revocation sources).
///
/// Errors only when the file cannot be read at all; every check is a verdict in the report.
pub fn verify_pdf(pdf: &[u8], verifier: &CmsVerifier) -> Result<PdfReport, SignError> {
    let found = signatures(pdf)?;
    let dss = read_dss(pdf)?;
    let dss_crls = dss
        .as_ref()
        .filter(|d| !d.crls.is_empty())
        .and_then(|d| kazasu_pki::CrlSet::from_der_all(&d.crls).ok());
    let with_dss;
    let verifier = match dss_crls {
        Some(crls) => {
            with_dss = verifier.clone().with_revocation_source(Arc::new(crls));
            &with_dss
        }
        None => verifier,
    };
    let mut reports = Vec::with_capacity(found.len());
    for signature in found {
        let byte_range = match &signature.byte_range_problem {
            None => Verdict::Valid,
            Some(p) => Verdict::Invalid(p.to_string()),
        };
        let modification = match &signature.coverage {
            Coverage::WholeFile => Verdict::Valid,
            Coverage::Appended(a) if a.only_signatures_and_dss() => Verdict::Valid,
            Coverage::Appended(a) => Verdict::Invalid(a.to_string()),
            Coverage::Unknown => {
                Verdict::Indeterminate("not checked: the ByteRange is refused".into())
            }
        };
        let sub_filter = signature.sub_filter.as_deref().unwrap_or("");
        let (cms, cms_not_checked) = if !DETACHED.contains(&sub_filter) {
            (
                None,
                Some(Verdict::Indeterminate(format!(
                    "SubFilter {sub_filter:?} is not checked (only detached CMS: {})",
                    DETACHED.join(", ")
                ))),
            )
        } else {
            match signature.signed_bytes(pdf) {
                Some(content) => (Some(verifier.verify(&signature.cms, Some(&content))), None),
                None => (
                    None,
                    Some(Verdict::Invalid(
                        "not checked: the ByteRange does not say what was signed".into(),
                    )),
                ),
            }
        };
        reports.push(PdfSignatureReport {
            signature,
            byte_range,
            modification,
            cms,
            cms_not_checked,
        });
    }
    Ok(PdfReport {
        len: pdf.len() as u64,
        signatures: reports,
        dss,
    })
}
