//! [`Purpose`] (from the shared domain types) and what the test PKI derives from it.

pub use kazasu_types::Purpose;

use crate::pki::PkiError;

/// The OCSP responder URI put in holder certificates' AuthorityInfoAccess.
///
/// The authentication URI is the one of the JPKI profile; the signature one follows the same naming
/// (`ocspsignnorm`) and is an assumption of this test PKI. Other purposes are not issued here.
pub fn ocsp_uri(purpose: Purpose) -> Result<&'static str, PkiError> {
    match purpose {
        Purpose::Authentication => Ok("http://ocspauthnorm.jpki.go.jp"),
        Purpose::Signature => Ok("http://ocspsignnorm.jpki.go.jp"),
        other => Err(PkiError::Invalid(format!(
            "the test PKI issues no {other} certificates"
        ))),
    }
}
