#![no_main]
//! Arbitrary bytes as an RFC 3161 TimeStampResp or TimeStampToken: extract the token, check it
//! against a request, and verify it over data taken from the input.

use kazasu_pki::HashAlgorithm;
use kazasu_sign::tsp::{request, response_token, token_of, verify_token};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let req = request(HashAlgorithm::Sha256, &[0x5A; 32], Some(&[1, 2, 3])).expect("request builds");
    let _ = response_token(data, &req);
    let token = token_of(data).unwrap_or_else(|_| data.to_vec());
    let report = verify_token(&token, &data[..data.len().min(32)], None, &[]);
    let _ = (report.verdict.label(), report.gen_time);
});
