//! [`OcspServer`]: [`OcspResponder`]s on a loopback HTTP port (RFC 6960 Appendix A: POST of the
//! DER request, or GET with the request base64- and URL-encoded in the path).

use std::io::Read;
use std::sync::Arc;
use std::thread::JoinHandle;

use super::request::MAX_REQUEST_LEN;
use super::responder::{OcspResponder, respond_any, status_only};
use crate::SignError;
use crate::asn1::ocsp::OcspResponseStatus;

/// A running HTTP server answering OCSP requests with a set of responders (each for its CA; a
/// request about another CA is answered unknown). Stops when [`OcspServer::stop`] is called or it
/// is dropped.
pub struct OcspServer {
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
    url: String,
    port: u16,
}

impl std::fmt::Debug for OcspServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OcspServer")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl OcspServer {
    /// Starts serving on `address` (e.g. `127.0.0.1:0` for a free loopback port).
    pub fn start(responders: Vec<OcspResponder>, address: &str) -> Result<Self, SignError> {
        if responders.is_empty() {
            return Err(SignError::Unsupported {
                what: "OCSP server",
                detail: "no responder to serve".into(),
            });
        }
        let server = tiny_http::Server::http(address).map_err(|e| SignError::Http {
            url: address.to_owned(),
            reason: e.to_string(),
        })?;
        let addr = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| SignError::Http {
                url: address.to_owned(),
                reason: "not an IP listener".into(),
            })?;
        let server = Arc::new(server);
        let thread = {
            let server = Arc::clone(&server);
            std::thread::spawn(move || {
                // `unblock` (from `stop`/drop) ends this iterator.
                for request in server.incoming_requests() {
                    handle(&responders, request);
                }
            })
        };
        Ok(Self {
            server,
            thread: Some(thread),
            url: format!("http://{addr}/"),
            port: addr.port(),
        })
    }

    /// The base URL, `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops serving and waits for the server thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            // A panicked server thread has nothing left to clean up.
            let _ = t.join();
        }
    }
}

impl Drop for OcspServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn handle(responders: &[OcspResponder], mut request: tiny_http::Request) {
    let body = match request.method() {
        tiny_http::Method::Post => {
            let mut body = Vec::new();
            let limit = u64::try_from(MAX_REQUEST_LEN + 1).unwrap_or(u64::MAX);
            match request.as_reader().take(limit).read_to_end(&mut body) {
                Ok(_) => Some(body),
                Err(_) => None,
            }
        }
        tiny_http::Method::Get => from_get_path(request.url()),
        _ => {
            let _ = request.respond(tiny_http::Response::empty(405));
            return;
        }
    };
    let answer = match body {
        Some(b) => respond_any(responders, &b)
            .unwrap_or_else(|| status_only(OcspResponseStatus::InternalError)),
        None => status_only(OcspResponseStatus::MalformedRequest),
    };
    let mut response = tiny_http::Response::from_data(answer);
    if let Ok(h) = tiny_http::Header::from_bytes("Content-Type", "application/ocsp-response") {
        response.add_header(h);
    }
    // A client that went away needs no answer.
    let _ = request.respond(response);
}

/// The DER request of a GET path: the last segment, URL-decoded, then base64-decoded.
pub(crate) fn from_get_path(url: &str) -> Option<Vec<u8>> {
    let encoded = url.rsplit('/').next()?;
    if encoded.len() > MAX_REQUEST_LEN * 2 {
        return None;
    }
    let decoded = percent_decode(encoded)?;
    use base64ct::Encoding;
    base64ct::Base64::decode_vec(&decoded).ok()
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_paths_decode() {
        assert_eq!(
            from_get_path("/MAMCAQA%3D").unwrap(),
            [0x30, 0x03, 0x02, 0x01, 0x00]
        );
        assert_eq!(
            from_get_path("/ocsp/MAMCAQA=").unwrap(),
            [0x30, 0x03, 0x02, 0x01, 0x00]
        );
        assert!(from_get_path("/%zz").is_none());
        assert!(from_get_path("/%4").is_none());
    }
}
