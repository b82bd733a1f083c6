//! The test PKI: personas, fixture keys, JPKI-profile certificates and CRLs, and the HPKI test PKI
//! ([`hpki`]).

mod cert;
mod crl;
pub mod cvc;
pub mod hpki;
mod keys;
pub mod oids;
mod persona;
pub mod services;
mod test_pki;

pub use cert::{
    AuthorityKeyId, CaCertificate, CertTemplate, DistinguishedName, DnValue, Ext, Generation,
    Issuer, KeyChoice, Purpose, SignatureAlgorithm, SubjectKeyId, crl_distribution_points,
    jpki_other_names, key_identifier, ocsp_access, ocsp_uri, policies, root_key_index,
};
pub use crl::{CrlSpec, GeneratedRevocations, RevokedEntry};
pub use cvc::{
    CvcCa, CvcCaKey, CvcHierarchy, CvcKeyId, build_cvc, card_key_form,
    public_key_from_card_key_form,
};
pub use hpki::{
    ArlKind, HPKI_AUTH_AID, HPKI_CERT_EF, HPKI_HOLDER_SLOTS, HPKI_KEY_EF, HPKI_PIN_EF,
    HPKI_SIGN_AID, HcRole, HpkiAp, HpkiCa, HpkiCredentials, HpkiHolder, HpkiTestPki,
    HpkiVerificationMaterial, IdpScope, hc_role_attribute, hc_role_extension_value,
};
pub use keys::{FIXTURE_KEY_COUNT, fixture_key, weak_fixture_key};
pub(crate) use persona::splitmix64;
pub use persona::{Era, JapaneseDate, MyNumber, Persona, PersonaBuilder, Sex};
pub use test_pki::{
    CARD_SIGNER_KEY, HOLDER_SLOTS, HolderCredentials, IssueSpec, TestPki, VerificationMaterial,
    jpki_not_after,
};
/// The `x509-cert` crate whose extension types [`CertTemplate`] uses.
pub use x509_cert;

/// Errors of the test PKI.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// A fixture key index past the committed set.
    #[error("no fixture key {index}: {count} are committed")]
    NoSuchKey {
        /// Requested index.
        index: usize,
        /// Keys available.
        count: usize,
    },
    /// A committed key failed to parse (the fixtures are damaged).
    #[error("fixture key {index} is unreadable: {reason}")]
    BadFixture {
        /// Key index.
        index: usize,
        /// Why.
        reason: String,
    },
    /// A persona field is invalid.
    #[error("invalid persona: {0}")]
    InvalidPersona(String),
    /// ASN.1 encoding failed.
    #[error("DER encoding failed: {0}")]
    Der(#[from] der::Error),
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signature(String),
    /// A key could not be encoded.
    #[error("key encoding failed: {0}")]
    Key(String),
    /// A template or spec asks for something that cannot be encoded or issued.
    #[error("invalid template or spec: {0}")]
    Invalid(String),
    /// A card file (e.g. of the 券面事項 APs) could not be encoded: a PNG image or a public key.
    #[error("card file encoding failed: {0}")]
    Encoding(String),
}
