//! The HPKI test PKI: a root modelled on the MHLW HPKI Root CA V2, a signature CA and an
//! authentication CA modelled on the MEDIS / JMA CAs, holder certificates with the HPKI profile, the
//! CAs' CRLs and the root's authority revocation lists (SARL, RARL).
//!
//! # Profile
//!
//! - **Root**: `C=JP, O=Ministry of Health, Labour and Welfare, OU=Director-General for Policy
//!   Planning and Evaluation, OU=kazasu Test HPKI Root CA` (four RDNs, no `CN`, like the real root; the
//!   last `OU` says it is a test root so nobody mistakes it for the real one), serial 1, KeyUsage critical
//!   {keyCertSign, cRLSign}, BasicConstraints critical CA, subjectAltName DirName in kanji, CRL DP
//!   DirName `<root>, CN=RARL` and a URL, AKI (keyid + DirName + serial), SKI.
//! - **CAs**: `C=JP, O=kazasu Test HPKI, OU=kazasu Test HPKI CA, CN=HPKI-01-KazasuSignCA-forNonRepudiation`
//!   (serial 4, policy `1.2.392.100495.1.5.1.1.3.1`) and
//!   `…, CN=HPKI-01-KazasuAuthCA-forAuthentication-forIndividual` (serial 5, policy `…1.5.1.2.3.1`);
//!   certificatePolicies critical with a CPS URL, KeyUsage critical {keyCertSign, cRLSign},
//!   BasicConstraints critical CA, CRL DP DirName `<root>, CN=SARL` and a URL, full AKI, SKI.
//! - **Holders**: subject `C=JP, CN=<romanized name>, serialNumber=<HPKI ID>`; KeyUsage critical
//!   nonRepudiation (signature) or digitalSignature (authentication); certificatePolicies critical
//!   `1.2.392.100495.1.5.1.1.0.1` (signature) or `…1.5.1.2.0.1` (authentication, modelled);
//!   subjectAltName DirName `C=JP, CN=<kanji name>, serialNumber=<HPKI ID>`; subjectDirectoryAttributes
//!   with the hcRole ([`hc_role_extension_value`]); CRL DP URL of the CA; AKI keyid + the CA's issuer
//!   DirName + the CA's serial; SKI.
//! - **CRLs**: each CA signs a CRL of holder certificates; the root signs the SARL (CA certificates)
//!   and the RARL (the root's own certificates), each with a critical issuingDistributionPoint naming
//!   its DirName and URL with onlyContainsCACerts ([`IdpScope`] varies it).
//!
//! # Negative knobs
//!
//! [`HpkiHolder`] sets the policy, the roles, the coding scheme, or drops the hcRole;
//! [`HpkiTestPki::holder_template`] returns the [`CertTemplate`](super::CertTemplate) to change
//! anything else (validity for "expired", `authority_key_id = Omit` for "missing AKI", the key usage);
//! the authentication certificate itself is the "authentication certificate used as signature" case;
//! [`HpkiTestPki::ca_crl`] revokes holders, [`HpkiTestPki::arl`] revokes a CA
//! ([`HpkiTestPki::ca_serial`]) with an [`IdpScope`].

mod roles;
mod test_pki;

pub use roles::{HcRole, hc_role_attribute, hc_role_extension_value};
pub use test_pki::{
    ArlKind, HPKI_HOLDER_SLOTS, HpkiCa, HpkiCredentials, HpkiHolder, HpkiTestPki,
    HpkiVerificationMaterial, IdpScope,
};

/// AID of the HPKI card's signature AP.
pub const HPKI_SIGN_AID: [u8; 16] = [
    0xE8, 0x28, 0xBD, 0x08, 0x0F, 0xA0, 0x00, 0x00, 0x03, 0x91, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
];
/// AID of the HPKI card's authentication AP.
pub const HPKI_AUTH_AID: [u8; 16] = [
    0xE8, 0x28, 0xBD, 0x08, 0x0F, 0xA0, 0x00, 0x00, 0x03, 0x91, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
];
/// The PIN EF under each HPKI AP.
pub const HPKI_PIN_EF: u16 = 0x0002;
/// The private key EF under each HPKI AP.
pub const HPKI_KEY_EF: u16 = 0x000C;
/// The certificate EF under each HPKI AP.
pub const HPKI_CERT_EF: u16 = 0x0016;

/// The two applications of an HPKI card (and the two holder certificates and CAs of the test PKI).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HpkiAp {
    /// The signature AP: nonRepudiation key, certificate under the signature CA.
    Signature,
    /// The authentication AP: digitalSignature key, certificate under the authentication CA.
    Authentication,
}

impl HpkiAp {
    /// Signature first.
    pub const ALL: [HpkiAp; 2] = [HpkiAp::Signature, HpkiAp::Authentication];

    /// The AP's AID.
    pub fn aid(self) -> [u8; 16] {
        match self {
            HpkiAp::Signature => HPKI_SIGN_AID,
            HpkiAp::Authentication => HPKI_AUTH_AID,
        }
    }

    /// `signature` or `authentication`.
    pub fn name(self) -> &'static str {
        match self {
            HpkiAp::Signature => "signature",
            HpkiAp::Authentication => "authentication",
        }
    }
}
