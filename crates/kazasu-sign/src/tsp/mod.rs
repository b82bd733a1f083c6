//! RFC 3161 timestamps: the [`TimeStampAuthority`] trait, requests and responses
//! ([`request`], [`response_token`]), a [`LocalTsa`] that signs tokens with a key of its own, an
//! HTTP client ([`HttpTsa`], feature `http`), and [`verify_token`].

mod authority;
#[cfg(feature = "http")]
mod http;
mod protocol;
mod token;

pub use authority::{LOCAL_TSA_POLICY, LocalTsa, TimeStampAuthority};
#[cfg(feature = "http")]
pub use http::HttpTsa;
pub use protocol::{MAX_TSA_RESPONSE_LEN, request, response_token, token_of};
pub(crate) use token::rejection_verdict;
pub use token::{TokenReport, verify_token};
