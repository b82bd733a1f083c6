//! [`HttpTsa`]: an RFC 3161 TSA over HTTP (RFC 3161 §3.4: POST `application/timestamp-query`).

use std::io::Read;
use std::time::Duration;

use kazasu_types::HashAlgorithm;

use super::TimeStampAuthority;
use super::protocol::{MAX_TSA_RESPONSE_LEN, request, response_token};
use crate::SignError;

/// A TSA reached at a URL. Each request carries a fresh 16-byte nonce that the answer must echo.
#[derive(Clone, Debug)]
pub struct HttpTsa {
    url: String,
    timeout: Duration,
}

impl HttpTsa {
    /// A TSA at `url` (`http://…`), with a 10-second timeout.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            timeout: Duration::from_secs(10),
        }
    }

    /// Sets the timeout of the whole exchange.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// POSTs `body` to `url` with `content_type`, expecting `accept`; the answer is capped at `max`.
pub(crate) fn post(
    url: &str,
    content_type: &str,
    accept: &str,
    body: &[u8],
    timeout: Duration,
    max: usize,
) -> Result<Vec<u8>, SignError> {
    let http = |reason: String| SignError::Http {
        url: url.to_owned(),
        reason,
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(true)
        .build()
        .into();
    let response = agent
        .post(url)
        .header("Content-Type", content_type)
        .header("Accept", accept)
        .send(body)
        .map_err(|e| http(e.to_string()))?;
    let got = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if !got.starts_with(accept) {
        return Err(http(format!("answered {got:?}, not {accept}")));
    }
    let mut out = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    response
        .into_body()
        .into_reader()
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| http(e.to_string()))?;
    SignError::check_size("HTTP answer", out.len(), max)?;
    Ok(out)
}

impl TimeStampAuthority for HttpTsa {
    fn timestamp(&self, hash: HashAlgorithm, digest: &[u8]) -> Result<Vec<u8>, SignError> {
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).map_err(|e| SignError::Tsa(format!("no randomness: {e}")))?;
        let req = request(hash, digest, Some(&nonce))?;
        let resp = post(
            &self.url,
            "application/timestamp-query",
            "application/timestamp-reply",
            &req,
            self.timeout,
            MAX_TSA_RESPONSE_LEN,
        )?;
        response_token(&resp, &req)
    }
}
