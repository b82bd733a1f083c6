//! [`TimeStampAuthority`] and [`LocalTsa`].

use std::sync::atomic::{AtomicU64, Ordering};

use const_oid::ObjectIdentifier;
use der::asn1::Int;
use der::{Decode, Encode};
use kazasu_types::HashAlgorithm;
use time::OffsetDateTime;

use crate::asn1::time::PreciseTime;
use crate::asn1::tsp::{
    Accuracy, ID_CT_TST_INFO, PkiStatusInfo, TimeStampReq, TimeStampResp, TspVersion, TstInfo,
};
use crate::cms::{SignOptions, sign};
use crate::{SignError, SoftwareSigner};

/// Something that time-stamps a digest: answers an RFC 3161 TimeStampToken (DER ContentInfo).
pub trait TimeStampAuthority {
    /// Time-stamps `digest`, made with `hash`.
    fn timestamp(&self, hash: HashAlgorithm, digest: &[u8]) -> Result<Vec<u8>, SignError>;
}

/// A time-stamping authority in this process, signing with a key and certificate of its own (the
/// certificate needs a critical ExtendedKeyUsage timeStamping). For tests and closed systems: the
/// MHLW guideline wants an accredited TSA for real documents.
pub struct LocalTsa {
    signer: SoftwareSigner,
    policy: ObjectIdentifier,
    clock: Box<dyn Fn() -> OffsetDateTime + Send + Sync>,
    serial: AtomicU64,
}

impl std::fmt::Debug for LocalTsa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTsa")
            .field("signer", &self.signer)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// The policy a [`LocalTsa`] states unless told otherwise (an OID under the kazasu test arc).
pub const LOCAL_TSA_POLICY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.59090.1.3161.1");

impl LocalTsa {
    /// A TSA signing with `signer`, stating [`LOCAL_TSA_POLICY`], on the system clock.
    pub fn new(signer: SoftwareSigner) -> Self {
        Self {
            signer,
            policy: LOCAL_TSA_POLICY,
            clock: Box::new(OffsetDateTime::now_utc),
            serial: AtomicU64::new(1),
        }
    }

    /// Uses `clock` for genTime (tests pin the time).
    #[must_use]
    pub fn with_clock(
        mut self,
        clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static,
    ) -> Self {
        self.clock = Box::new(clock);
        self
    }

    /// States `policy` in its tokens.
    #[must_use]
    pub fn with_policy(mut self, policy: ObjectIdentifier) -> Self {
        self.policy = policy;
        self
    }

    fn token(
        &self,
        imprint: crate::asn1::tsp::MessageImprint,
        nonce: Option<Int>,
    ) -> Result<Vec<u8>, SignError> {
        let now = (self.clock)();
        let serial = self.serial.fetch_add(1, Ordering::Relaxed);
        // Serial: the counter after 8 bytes of time, unique across restarts.
        let mut serial_bytes = now.unix_timestamp_nanos().to_be_bytes()[8..].to_vec();
        serial_bytes.extend_from_slice(&serial.to_be_bytes());
        let info = TstInfo {
            version: TspVersion::V1,
            policy: self.policy,
            message_imprint: imprint,
            serial_number: Int::new(&super::protocol::positive(&serial_bytes))
                .map_err(|e| SignError::der("serialNumber", e))?,
            // Whole milliseconds, accuracy one second: what a PC-class clock can claim.
            gen_time: PreciseTime(
                now.replace_nanosecond(now.millisecond() as u32 * 1_000_000)
                    .unwrap_or(now),
            ),
            accuracy: Some(Accuracy {
                seconds: Some(1),
                millis: None,
                micros: None,
            }),
            ordering: false,
            nonce,
            tsa: None,
            extensions: None,
        };
        let der = info.to_der().map_err(|e| SignError::der("TSTInfo", e))?;
        let mut signer = self.signer.clone();
        let options = SignOptions {
            attached: true,
            signing_time: Some(now),
            content_type: ID_CT_TST_INFO,
            ..SignOptions::default()
        };
        sign(&der, &mut signer, &options)
    }

    /// Answers a DER TimeStampReq with a DER TimeStampResp (granted, or rejection with
    /// badDataFormat / badAlg for requests it cannot serve), as an HTTP TSA would.
    pub fn respond(&self, request_der: &[u8]) -> Vec<u8> {
        let rejection = |bit: usize, text: &str| -> Vec<u8> {
            // PKIFailureInfo bits: badAlg(0), badRequest(2), badDataFormat(5).
            let mut bits = [0u8; 1];
            if let Some(b) = bits.first_mut() {
                *b = 0x80 >> bit;
            }
            let resp = TimeStampResp {
                status: PkiStatusInfo {
                    status: 2,
                    status_string: der::asn1::Utf8StringRef::new(text).ok().map(|s| vec![s]),
                    fail_info: der::asn1::BitString::new(
                        7 - u8::try_from(bit).unwrap_or(0),
                        bits.to_vec(),
                    )
                    .ok(),
                },
                time_stamp_token: None,
            };
            resp.to_der().unwrap_or_default()
        };
        let Ok(request) = TimeStampReq::from_der(request_der) else {
            return rejection(5, "the request is not a DER TimeStampReq");
        };
        let imprint = &request.message_imprint;
        let known = crate::cms::hash_from_oid(&imprint.hash_algorithm)
            .is_some_and(|h| h.output_len() == imprint.hashed_message.as_bytes().len());
        if !known {
            return rejection(0, "unsupported hash algorithm or imprint length");
        }
        match self.token(request.message_imprint.clone(), request.nonce.clone()) {
            Ok(token) => match der::Any::from_der(&token) {
                Ok(token) => TimeStampResp {
                    status: PkiStatusInfo {
                        status: 0,
                        status_string: None,
                        fail_info: None,
                    },
                    time_stamp_token: Some(token),
                }
                .to_der()
                .unwrap_or_default(),
                Err(_) => rejection(2, "internal error"),
            },
            Err(_) => rejection(2, "internal error"),
        }
    }
}

impl TimeStampAuthority for LocalTsa {
    fn timestamp(&self, hash: HashAlgorithm, digest: &[u8]) -> Result<Vec<u8>, SignError> {
        self.token(super::protocol::imprint(hash, digest)?, None)
    }
}
