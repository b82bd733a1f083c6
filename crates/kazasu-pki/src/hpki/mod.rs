//! HPKI (healthcare PKI): the hcRole qualification and its verification.

mod qualification;
mod role;

pub use qualification::{HpkiVerifier, Qualification, QualificationRejection};
pub use role::{HcActor, HcRole, parse_hc_role_attribute, parse_subject_directory_attributes};
