//! OCSP (RFC 6960): requests, verified responses, a [`RevocationSource`](kazasu_pki::RevocationSource),
//! and a local responder.
//!
//! - [`OcspRequest`]: a request for one certificate with a [`CertIdHash::Sha1`] (the default,
//!   what most responders index by) or [`CertIdHash::Sha256`] CertID and a random nonce.
//! - [`verify_response_to`] / [`verify_response`]: a response checked against the request (or,
//!   for responses embedded in signatures, against the certificate alone): size before parsing,
//!   responseStatus, a BasicOCSPResponse, a responder that is the issuing CA (byName or byKey) or
//!   a certificate in `certs` that the CA issued directly with id-kp-OCSPSigning and that was
//!   valid when the response was produced, the signature over tbsResponseData
//!   (sha256/384/512WithRSAEncryption; SHA-1 only when allowed), no unknown critical extension,
//!   the nonce echoed, the SingleResponse for the CertID, thisUpdate not in the future (with a
//!   configurable skew), nextUpdate not passed (or, without one, thisUpdate not older than a
//!   maximum age). Every refusal is an [`OcspRejection`].
//! - [`OcspSource`]: good → `Good`, revoked → `Revoked`, anything else → `Unknown` with the reason,
//!   from responses at hand and (feature `http`) fetched by POST from a URL or the certificate's
//!   AIA OCSP URI, with a timeout and a size cap.
//! - [`OcspResponder`]: answers requests for one CA, signed by the CA or a delegated responder;
//!   with feature `serve`, `OcspServer` serves responders on a loopback port.

#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod http;
mod request;
mod responder;
#[cfg(feature = "serve")]
mod serve;
mod source;
mod verify;

pub use request::{CertIdHash, MAX_REQUEST_LEN, NONCE_LEN, OcspRequest, cert_id, same_cert_id};
pub use responder::{OcspResponder, ResponderIdForm, respond_any, status_only};
#[cfg(feature = "serve")]
#[cfg_attr(docsrs, doc(cfg(feature = "serve")))]
pub use serve::OcspServer;
pub use source::{OcspSource, to_revocation_status};
pub use verify::{
    MAX_RESPONSE_LEN, OcspRejection, OcspStatus, ResponderKind, VerifiedResponse, VerifyOptions,
    verify_response, verify_response_to,
};
