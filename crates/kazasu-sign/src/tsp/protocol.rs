//! TimeStampReq / TimeStampResp.

use der::asn1::{Int, OctetString};
use der::{Decode, Encode};
use kazasu_types::HashAlgorithm;

use crate::SignError;
use crate::asn1::tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion};
use crate::cms::ParsedSignedData;

/// Largest TimeStampResp accepted from a TSA (checked before parsing): 1 MiB.
pub const MAX_TSA_RESPONSE_LEN: usize = 1024 * 1024;

/// A DER TimeStampReq for `digest` (made with `hash`), asking for the TSA certificate, with `nonce`
/// (big-endian, positive) when given.
pub fn request(
    hash: HashAlgorithm,
    digest: &[u8],
    nonce: Option<&[u8]>,
) -> Result<Vec<u8>, SignError> {
    let nonce = match nonce {
        None => None,
        Some(n) => Some(Int::new(&positive(n)).map_err(|e| SignError::der("nonce", e))?),
    };
    TimeStampReq {
        version: TspVersion::V1,
        message_imprint: imprint(hash, digest)?,
        req_policy: None,
        nonce,
        cert_req: true,
        extensions: None,
    }
    .to_der()
    .map_err(|e| SignError::der("TimeStampReq", e))
}

/// A MessageImprint.
pub(crate) fn imprint(hash: HashAlgorithm, digest: &[u8]) -> Result<MessageImprint, SignError> {
    Ok(MessageImprint {
        hash_algorithm: crate::cms::digest_algorithm(hash),
        hashed_message: OctetString::new(digest).map_err(|e| SignError::der("imprint", e))?,
    })
}

/// A leading zero when the top bit is set, so the INTEGER stays positive.
pub(crate) fn positive(bytes: &[u8]) -> Vec<u8> {
    let trimmed: &[u8] = {
        let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
        bytes.get(first..).unwrap_or_default()
    };
    match trimmed.first() {
        None => vec![0],
        Some(b) if b & 0x80 != 0 => [&[0u8][..], trimmed].concat(),
        Some(_) => trimmed.to_vec(),
    }
}

/// The token (DER ContentInfo) of a granted TimeStampResp, after checking that it time-stamps what
/// `request_der` asked for (same imprint, same nonce). The token's signature is not checked here:
/// that is [`super::verify_token`]'s job.
pub fn response_token(response_der: &[u8], request_der: &[u8]) -> Result<Vec<u8>, SignError> {
    SignError::check_size("TimeStampResp", response_der.len(), MAX_TSA_RESPONSE_LEN)?;
    let request =
        TimeStampReq::from_der(request_der).map_err(|e| SignError::der("TimeStampReq", e))?;
    let response =
        TimeStampResp::from_der(response_der).map_err(|e| SignError::der("TimeStampResp", e))?;
    if response.status.status > 1 {
        let text = response
            .status
            .status_string
            .iter()
            .flatten()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        return Err(SignError::Tsa(format!(
            "status {}{}",
            response.status.status,
            if text.is_empty() {
                String::new()
            } else {
                format!(": {text}")
            }
        )));
    }
    let token = response
        .time_stamp_token
        .ok_or_else(|| SignError::Tsa("granted without a token".into()))?
        .to_der()
        .map_err(|e| SignError::der("TimeStampToken", e))?;
    let info = super::token::tst_info(&ParsedSignedData::from_der(&token)?)?;
    if info.message_imprint != request.message_imprint {
        return Err(SignError::Tsa("the token time-stamps other data".into()));
    }
    if info.nonce != request.nonce {
        return Err(SignError::Tsa("the token does not carry our nonce".into()));
    }
    Ok(token)
}

/// The token of `der`, which is either a TimeStampResp (granted) or a TimeStampToken already.
pub fn token_of(der: &[u8]) -> Result<Vec<u8>, SignError> {
    SignError::check_size("timestamp", der.len(), MAX_TSA_RESPONSE_LEN)?;
    if let Ok(response) = TimeStampResp::from_der(der) {
        if response.status.status > 1 {
            return Err(SignError::Tsa(format!("status {}", response.status.status)));
        }
        return response
            .time_stamp_token
            .ok_or_else(|| SignError::Tsa("granted without a token".into()))?
            .to_der()
            .map_err(|e| SignError::der("TimeStampToken", e));
    }
    ParsedSignedData::from_der(der)?;
    Ok(der.to_vec())
}
