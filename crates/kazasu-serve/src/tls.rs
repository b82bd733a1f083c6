//! Mutual TLS: the server's certificate, and facility client certificates issued by the
//! configured facility CA. The facility a request speaks for is the client certificate's subject
//! commonName (a 10-digit 医療機関コード); nothing in the request body can change it.
//!
//! Why mutual TLS rather than signed requests: a facility is authenticated once per connection by
//! rustls and webpki (chain, validity, key usage), and every request on a kept-alive connection
//! then costs no signature verification — at peak the server answers thousands of confirmations a
//! second and each RSA verification counts. What must be bound to one request and kept as evidence
//! (a staff member's approval of a lookup without PIN, the card's own signatures) is signed inside
//! the request by the library's own formats.

use std::path::Path;
use std::sync::Arc;

use der::Decode;
use kazasu_health::FacilityCode;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::ServeError;

/// The facility a connection's client certificate names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facility(pub FacilityCode);

fn tls(e: impl std::fmt::Display) -> ServeError {
    ServeError::Tls(e.to_string())
}

fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, ServeError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| ServeError::file(path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServeError::file(path, e))?;
    if certs.is_empty() {
        return Err(ServeError::file(path, "no certificate in the file"));
    }
    Ok(certs)
}

/// The rustls server configuration: our chain and key, client certificates required and
/// verified against `facility_ca`; HTTP/1.1.
pub fn server_config(
    certificate: &Path,
    key: &Path,
    facility_ca: &Path,
) -> Result<Arc<rustls::ServerConfig>, ServeError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let chain = certs(certificate)?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| ServeError::file(key, e))?;
    let mut roots = rustls::RootCertStore::empty();
    for ca in certs(facility_ca)? {
        roots.add(ca).map_err(tls)?;
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(tls)?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(tls)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The facility code in a verified client certificate: its subject commonName.
pub fn facility_of(certificate: &CertificateDer<'_>) -> Result<Facility, String> {
    let cert = x509_cert::Certificate::from_der(certificate.as_ref())
        .map_err(|e| format!("client certificate: {e}"))?;
    let cn = cert
        .tbs_certificate()
        .subject()
        .common_name()
        .map_err(|_| "client certificate: commonName is not a string".to_string())?
        .ok_or_else(|| "client certificate: no commonName".to_string())?;
    FacilityCode::new(&cn.value())
        .map(Facility)
        .map_err(|e| format!("client certificate: {e}"))
}
