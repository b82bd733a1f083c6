//! Reading a CMS `ContentInfo(SignedData)` into what verification needs.

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::revocation::RevocationInfoChoice;
use cms::signed_data::{SignedData, SignerInfo};
use der::{Decode, Encode};

use super::{ID_RI_OCSP_RESPONSE, ID_SIGNED_DATA};
use crate::SignError;

/// Largest CMS structure accepted (checked before parsing): 64 MiB, room for an attached document
/// and its validation data.
pub const MAX_CMS_LEN: usize = 64 * 1024 * 1024;

/// A parsed `SignedData` with its certificates, CRLs and OCSP responses as DER.
#[derive(Clone, Debug)]
pub struct ParsedSignedData {
    /// The SignedData.
    pub signed_data: SignedData,
    /// The encapsulated content, when attached.
    pub content: Option<Vec<u8>>,
    /// Every certificate of the `certificates` field, DER.
    pub certificates: Vec<Vec<u8>>,
    /// Every CRL of the `crls` field, DER.
    pub crls: Vec<Vec<u8>>,
    /// Every OCSP response (RFC 5940 `id-ri-ocsp-response`) of the `crls` field, DER.
    pub ocsp_responses: Vec<Vec<u8>>,
}

impl ParsedSignedData {
    /// Parses DER `ContentInfo` holding `SignedData`.
    pub fn from_der(der: &[u8]) -> Result<Self, SignError> {
        SignError::check_size("CMS structure", der.len(), MAX_CMS_LEN)?;
        let info = ContentInfo::from_der(der).map_err(|e| SignError::der("CMS ContentInfo", e))?;
        if info.content_type != ID_SIGNED_DATA {
            return Err(SignError::Malformed {
                what: "CMS ContentInfo",
                reason: format!("content type {} is not signedData", info.content_type),
            });
        }
        let signed_data = info
            .content
            .decode_as::<SignedData>()
            .map_err(|e| SignError::der("CMS SignedData", e))?;
        Self::from_signed_data(signed_data)
    }

    /// Collects the parts of an already decoded `SignedData`.
    pub fn from_signed_data(signed_data: SignedData) -> Result<Self, SignError> {
        let content = match &signed_data.encap_content_info.econtent {
            None => None,
            Some(any) => Some(
                any.decode_as::<der::asn1::OctetString>()
                    .map_err(|e| SignError::der("eContent", e))?
                    .as_bytes()
                    .to_vec(),
            ),
        };
        let mut certificates = Vec::new();
        if let Some(set) = &signed_data.certificates {
            for choice in set.0.iter() {
                if let CertificateChoices::Certificate(c) = choice {
                    certificates.push(c.to_der().map_err(|e| SignError::der("certificate", e))?);
                }
            }
        }
        let (mut crls, mut ocsp_responses) = (Vec::new(), Vec::new());
        if let Some(set) = &signed_data.crls {
            for choice in set.0.iter() {
                match choice {
                    RevocationInfoChoice::Crl(crl) => {
                        crls.push(crl.to_der().map_err(|e| SignError::der("CRL", e))?)
                    }
                    RevocationInfoChoice::Other(other)
                        if other.other_format.oid == ID_RI_OCSP_RESPONSE =>
                    {
                        ocsp_responses.push(
                            other
                                .other
                                .to_der()
                                .map_err(|e| SignError::der("OCSP", e))?,
                        );
                    }
                    RevocationInfoChoice::Other(_) => {}
                }
            }
        }
        for info in signed_data.signer_infos.0.iter() {
            collect_revocation_values(info, &mut crls, &mut ocsp_responses)?;
        }
        Ok(Self {
            signed_data,
            content,
            certificates,
            crls,
            ocsp_responses,
        })
    }

    /// The signer infos.
    pub fn signer_infos(&self) -> impl Iterator<Item = &SignerInfo> {
        self.signed_data.signer_infos.0.iter()
    }

    /// The certificate (DER) a signer info names: by issuer and serial, or by subject key id.
    pub fn signer_certificate(&self, info: &SignerInfo) -> Option<&[u8]> {
        use cms::signed_data::SignerIdentifier;
        self.certificates.iter().map(Vec::as_slice).find(|der| {
            let Ok(cert) = x509_cert::Certificate::from_der(der) else {
                return false;
            };
            let tbs = cert.tbs_certificate();
            match &info.sid {
                SignerIdentifier::IssuerAndSerialNumber(ias) => {
                    ias.issuer == *tbs.issuer() && ias.serial_number == *tbs.serial_number()
                }
                SignerIdentifier::SubjectKeyIdentifier(ski) => {
                    kazasu_pki::Certificate::from_der(der)
                        .ok()
                        .and_then(|c| c.subject_key_id().map(|k| k == ski.0.as_bytes()))
                        .unwrap_or(false)
                }
            }
        })
    }
}

/// CRLs and OCSP responses from a SignerInfo's revocationValues attribute (RFC 5126), the OCSP
/// ones wrapped back into OCSPResponse so they verify like any other.
fn collect_revocation_values(
    info: &SignerInfo,
    crls: &mut Vec<Vec<u8>>,
    ocsp: &mut Vec<Vec<u8>>,
) -> Result<(), SignError> {
    use crate::asn1::ess::{ID_AA_ETS_REVOCATION_VALUES, RevocationValues};
    use crate::asn1::ocsp::{ID_PKIX_OCSP_BASIC, OcspResponse, OcspResponseStatus, ResponseBytes};
    let Some(attrs) = &info.unsigned_attrs else {
        return Ok(());
    };
    for attr in attrs
        .iter()
        .filter(|a| a.oid == ID_AA_ETS_REVOCATION_VALUES)
    {
        for value in attr.values.iter() {
            let values = value
                .decode_as::<RevocationValues>()
                .map_err(|e| SignError::der("revocationValues", e))?;
            for crl in values.crl_vals.iter().flatten() {
                crls.push(crl.to_der().map_err(|e| SignError::der("CRL", e))?);
            }
            for basic in values.ocsp_vals.iter().flatten() {
                let response = OcspResponse {
                    response_status: OcspResponseStatus::Successful,
                    response_bytes: Some(ResponseBytes {
                        response_type: ID_PKIX_OCSP_BASIC,
                        response: der::asn1::OctetString::new(
                            basic.to_der().map_err(|e| SignError::der("OCSP", e))?,
                        )
                        .map_err(|e| SignError::der("OCSP", e))?,
                    }),
                };
                ocsp.push(response.to_der().map_err(|e| SignError::der("OCSP", e))?);
            }
        }
    }
    Ok(())
}
