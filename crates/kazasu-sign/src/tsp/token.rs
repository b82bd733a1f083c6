//! Verifying an RFC 3161 TimeStampToken.

use der::Decode;
use kazasu_pki::{Certificate, Purpose, Rejection, Verifier};
use serde::Serialize;
use time::OffsetDateTime;

use crate::asn1::tsp::{ID_CT_TST_INFO, TstInfo};
use crate::cms::{ParsedSignedData, check_signer_info, hash_from_oid};
use crate::{SignError, Verdict};

/// What [`verify_token`] found.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct TokenReport {
    /// VALID only when the imprint, the token signature and the TSA certificate all check out.
    pub verdict: Verdict,
    /// genTime, when the token could be read (trust it only when `verdict` is VALID).
    #[serde(with = "time::serde::rfc3339::option")]
    pub gen_time: Option<OffsetDateTime>,
    /// The TSA certificate's subject.
    pub tsa: Option<String>,
    /// The token serial, hex.
    pub serial: Option<String>,
    /// The TSA policy.
    pub policy: Option<String>,
}

impl TokenReport {
    fn failed(verdict: Verdict) -> Self {
        Self {
            verdict,
            gen_time: None,
            tsa: None,
            serial: None,
            policy: None,
        }
    }
}

/// The TSTInfo of a parsed token.
pub(crate) fn tst_info(parsed: &ParsedSignedData) -> Result<TstInfo, SignError> {
    if parsed.signed_data.encap_content_info.econtent_type != ID_CT_TST_INFO {
        return Err(SignError::Malformed {
            what: "TimeStampToken",
            reason: "eContentType is not id-ct-TSTInfo".into(),
        });
    }
    let content = parsed.content.as_deref().ok_or(SignError::Malformed {
        what: "TimeStampToken",
        reason: "no TSTInfo inside".into(),
    })?;
    TstInfo::from_der(content).map_err(|e| SignError::der("TSTInfo", e))
}

/// Verifies a TimeStampToken (DER ContentInfo) over `data`: the imprint is the hash of `data` (with
/// the token's algorithm), the token is signed by the certificate it names (signingCertificate or
/// signingCertificateV2 matching), and that certificate validates for
/// [`Purpose::TimeStamping`] at genTime with `tsa_trust` (critical EKU timeStamping only). Without
/// `tsa_trust` the verdict is at best INDETERMINATE. `extra_certificates` may supply the TSA
/// certificate and its CAs when the token omits them.
pub fn verify_token(
    token: &[u8],
    data: &[u8],
    tsa_trust: Option<&Verifier>,
    extra_certificates: &[Vec<u8>],
) -> TokenReport {
    let parsed = match ParsedSignedData::from_der(token) {
        Ok(p) => p,
        Err(e) => return TokenReport::failed(Verdict::Invalid(format!("token unreadable: {e}"))),
    };
    let info = match tst_info(&parsed) {
        Ok(i) => i,
        Err(e) => return TokenReport::failed(Verdict::Invalid(e.to_string())),
    };
    let gen_time = info.gen_time.to_offset();
    let mut report = TokenReport {
        verdict: Verdict::Valid,
        gen_time: Some(gen_time),
        tsa: None,
        serial: Some(hex::encode_upper(info.serial_number.as_bytes())),
        policy: Some(info.policy.to_string()),
    };
    let Some(hash) = hash_from_oid(&info.message_imprint.hash_algorithm) else {
        report.verdict = Verdict::Invalid(format!(
            "unsupported imprint hash {}",
            info.message_imprint.hash_algorithm.oid
        ));
        return report;
    };
    if hash.digest(data) != info.message_imprint.hashed_message.as_bytes() {
        report.verdict =
            Verdict::Invalid("the timestamp covers other data (imprint mismatch)".into());
        return report;
    }
    let mut infos = parsed.signer_infos();
    let (Some(signer_info), None) = (infos.next(), infos.next()) else {
        report.verdict = Verdict::Invalid("a token has exactly one SignerInfo".into());
        return report;
    };
    let mut pool: Vec<Vec<u8>> = parsed.certificates.clone();
    pool.extend(extra_certificates.iter().cloned());
    let with_pool = ParsedSignedData {
        certificates: pool.clone(),
        ..parsed.clone()
    };
    let Some(cert_der) = with_pool
        .signer_certificate(signer_info)
        .map(<[u8]>::to_vec)
    else {
        report.verdict =
            Verdict::Indeterminate("the TSA certificate is neither in the token nor given".into());
        return report;
    };
    let content = parsed.content.as_deref().unwrap_or_default();
    let check = check_signer_info(signer_info, &cert_der, content, Some(ID_CT_TST_INFO), true);
    let verdict = check
        .digest
        .and(check.signature)
        .and(check.certificate_reference);
    if !verdict.is_valid() {
        report.verdict = verdict;
        return report;
    }
    let cert = match Certificate::from_der(&cert_der) {
        Ok(c) => c,
        Err(e) => {
            report.verdict = Verdict::Invalid(format!("TSA certificate unreadable: {e}"));
            return report;
        }
    };
    report.tsa = Some(cert.subject().to_owned());
    let Some(trust) = tsa_trust else {
        report.verdict = Verdict::Indeterminate("no TSA trust anchor configured".into());
        return report;
    };
    let intermediates: Vec<Certificate> = pool
        .iter()
        .filter(|d| **d != cert_der)
        .filter_map(|d| Certificate::from_der(d).ok())
        .collect();
    report.verdict =
        match trust.validate_with(&cert, &intermediates, Purpose::TimeStamping, gen_time) {
            Ok(_) => Verdict::Valid,
            Err(r) => rejection_verdict("TSA certificate", &r),
        };
    report
}

/// INDETERMINATE for what missing data explains (no trusted anchor, no revocation information),
/// INVALID for the rest.
pub(crate) fn rejection_verdict(what: &str, r: &Rejection) -> Verdict {
    match r.code() {
        "untrusted_issuer" | "revocation_unknown" | "anchor_purpose_mismatch" => {
            Verdict::Indeterminate(format!("{what}: {r}"))
        }
        _ => Verdict::Invalid(format!("{what}: {r}")),
    }
}
