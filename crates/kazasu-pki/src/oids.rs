//! Object identifiers of the JPKI profile.
//!
//! The PKIX and PKCS#1 identifiers this crate reads (`rsaEncryption`, `sha256WithRSAEncryption`,
//! the RFC 5280 extensions and RFC 4519 attribute types) are not restated here: the code names
//! them from `const-oid`'s database (`const_oid::db::rfc5280`, `rfc5912`, `rfc4519`). Only the
//! JPKI arcs, which no public database holds, are listed, and they live in `kazasu-types`.

pub use kazasu_types::oid::{
    HC_ROLE, HPKI_POLICY_ARC, HPKI_ROLE_CODING_SCHEME, JPKI_ADDRESS, JPKI_ADDRESS_SUBSTITUTE,
    JPKI_AUTH_POLICY, JPKI_BIRTH_DATE, JPKI_NAME, JPKI_NAME_SUBSTITUTE, JPKI_SEX, JPKI_SIGN_POLICY,
};
