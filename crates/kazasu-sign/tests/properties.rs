#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Properties of CMS signing and parsing: round trips, any change of content caught, truncated or
//! arbitrary input never VALID and never a panic.

mod common;

use std::sync::OnceLock;

use common::*;
use der::{Decode, Encode};
use kazasu_sign::asn1::tsp::TimeStampReq;
use kazasu_sign::cms::{CmsVerifier, ParsedSignedData, SignOptions, sign};
use kazasu_sign::tsp::{request, token_of, verify_token};
use proptest::prelude::*;

struct World {
    verifier: CmsVerifier,
    signed: Vec<u8>,
    content: Vec<u8>,
    jpki: Jpki,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let (j, h) = (jpki(), hpki());
        let content = b"consent form v1".to_vec();
        let mut o = SignOptions::default();
        o.signing_time = Some(AT);
        let signed = sign(&content, &mut j.signer(), &o).unwrap();
        World {
            verifier: verifier(&j, &h),
            signed,
            content,
            jpki: j,
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn sign_then_verify_round_trips(content in proptest::collection::vec(any::<u8>(), 0..2048), attached in any::<bool>()) {
        let w = world();
        let mut o = SignOptions::default();
        o.signing_time = Some(AT);
        o.attached = attached;
        let cms = sign(&content, &mut w.jpki.signer(), &o).unwrap();
        let report = w.verifier.verify(&cms, if attached { None } else { Some(&content) });
        prop_assert!(report.verdict().is_valid(), "{:?}", report);
        prop_assert_eq!(report.attached, attached);
        let parsed = ParsedSignedData::from_der(&cms).unwrap();
        prop_assert_eq!(parsed.content.is_some(), attached);
    }

    #[test]
    fn any_change_of_the_content_is_caught(at in 0usize..15, bit in 0u8..8) {
        let w = world();
        let mut other = w.content.clone();
        other[at] ^= 1 << bit;
        let report = w.verifier.verify(&w.signed, Some(&other));
        prop_assert!(!report.digest.is_valid());
        prop_assert!(!report.verdict().is_valid());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn truncated_signatures_are_never_valid(cut in 0usize..4000) {
        let w = world();
        let cut = cut.min(w.signed.len() - 1);
        let report = w.verifier.verify(&w.signed[..cut], Some(&w.content));
        prop_assert!(!report.verdict().is_valid());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let w = world();
        let _ = ParsedSignedData::from_der(&bytes);
        prop_assert!(!w.verifier.verify(&bytes, Some(&w.content)).verdict().is_valid());
        let _ = token_of(&bytes);
        prop_assert!(!verify_token(&bytes, b"data", None, &[]).verdict.is_valid());
    }

    #[test]
    fn timestamp_requests_round_trip(digest in proptest::array::uniform32(any::<u8>()), nonce in proptest::collection::vec(any::<u8>(), 1..20)) {
        let der = request(kazasu_pki::HashAlgorithm::Sha256, &digest, Some(&nonce)).unwrap();
        let req = TimeStampReq::from_der(&der).unwrap();
        prop_assert_eq!(req.message_imprint.hashed_message.as_bytes(), &digest[..]);
        prop_assert!(req.cert_req);
        prop_assert_eq!(req.to_der().unwrap(), der);
    }
}
