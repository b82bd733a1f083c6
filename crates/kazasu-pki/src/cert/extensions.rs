//! The certificate extensions this crate reads, decoded with `x509-cert`'s types.

use const_oid::db::rfc5280;
use der::Decode;
use der::asn1::ObjectIdentifier;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies, ExtendedKeyUsage,
    KeyUsage as X509KeyUsage, SubjectKeyIdentifier,
};

use super::name::directory_names;
use crate::Error;
use crate::hex_form::strip_zeros;

/// KeyUsage bits (RFC 5280 §4.2.1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct KeyUsage(u16);

impl KeyUsage {
    const NAMES: [&'static str; 9] = [
        "digitalSignature",
        "nonRepudiation",
        "keyEncipherment",
        "dataEncipherment",
        "keyAgreement",
        "keyCertSign",
        "cRLSign",
        "encipherOnly",
        "decipherOnly",
    ];

    fn has(self, bit: u16) -> bool {
        self.0 & (1 << bit) != 0
    }

    /// digitalSignature.
    pub fn digital_signature(self) -> bool {
        self.has(0)
    }
    /// nonRepudiation (contentCommitment).
    pub fn non_repudiation(self) -> bool {
        self.has(1)
    }
    /// keyCertSign.
    pub fn key_cert_sign(self) -> bool {
        self.has(5)
    }
    /// cRLSign.
    pub fn crl_sign(self) -> bool {
        self.has(6)
    }

    /// The names of the bits set, in bit order.
    pub fn names(self) -> Vec<&'static str> {
        (0u16..9)
            .filter(|&b| self.has(b))
            .filter_map(|b| Self::NAMES.get(usize::from(b)).copied())
            .collect()
    }
}

/// The AuthorityKeyIdentifier extension.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct AuthorityKeyId {
    /// keyIdentifier.
    pub key_id: Option<Vec<u8>>,
    /// authorityCertIssuer directory names (RFC 4514).
    pub issuer: Vec<String>,
    /// authorityCertSerialNumber, unsigned big-endian.
    pub serial: Option<Vec<u8>>,
}

/// The extensions this crate reads.
#[derive(Default)]
pub(super) struct Exts {
    pub(super) ski: Option<Vec<u8>>,
    /// AuthorityKeyIdentifier as decoded; its RFC 4514 issuer names are written on first use.
    pub(super) aki_decoded: Option<AuthorityKeyIdentifier>,
    pub(super) aki: std::sync::OnceLock<Option<AuthorityKeyId>>,
    pub(super) key_usage: Option<KeyUsage>,
    pub(super) basic_constraints: Option<BasicConstraints>,
    pub(super) policies: Option<Vec<ObjectIdentifier>>,
    pub(super) extended_key_usage: Option<Vec<ObjectIdentifier>>,
    pub(super) extended_key_usage_critical: bool,
    /// DER of the subjectAltName value, decoded on demand.
    pub(super) subject_alt_name: Option<Vec<u8>>,
    /// DER of the authorityInfoAccess value, decoded on demand.
    pub(super) authority_info_access: Option<Vec<u8>>,
    /// DER of the subjectDirectoryAttributes value (HPKI hcRole), decoded on demand.
    pub(super) subject_directory_attributes: Option<Vec<u8>>,
    /// DER of the cRLDistributionPoints value, decoded on demand (CRL scope checks).
    pub(super) crl_distribution_points: Option<Vec<u8>>,
    pub(super) unknown_critical: Vec<ObjectIdentifier>,
}

impl Exts {
    /// The AuthorityKeyIdentifier's keyIdentifier (path building needs no more).
    pub(super) fn aki_key_id(&self) -> Option<&[u8]> {
        self.aki_decoded
            .as_ref()?
            .key_identifier
            .as_ref()
            .map(|k| k.as_bytes())
    }

    /// The AuthorityKeyIdentifier, its names written out once.
    pub(super) fn aki(&self) -> Option<&AuthorityKeyId> {
        self.aki
            .get_or_init(|| {
                self.aki_decoded.as_ref().map(|aki| AuthorityKeyId {
                    key_id: aki.key_identifier.as_ref().map(|k| k.as_bytes().to_vec()),
                    issuer: aki
                        .authority_cert_issuer
                        .as_deref()
                        .map(directory_names)
                        .unwrap_or_default(),
                    serial: aki
                        .authority_cert_serial_number
                        .as_ref()
                        .map(|s| strip_zeros(s.as_bytes()).to_vec()),
                })
            })
            .as_ref()
    }

    pub(super) fn read(&mut self, ext: &x509_cert::ext::Extension) -> Result<(), Error> {
        let value = ext.extn_value.as_bytes();
        let bad =
            |e: der::Error| Error::der("certificate extension", format!("{}: {e}", ext.extn_id));
        match ext.extn_id {
            o if o == rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER => {
                let ski = SubjectKeyIdentifier::from_der(value).map_err(bad)?;
                self.ski = Some(ski.0.as_bytes().to_vec());
            }
            o if o == rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER => {
                self.aki_decoded = Some(AuthorityKeyIdentifier::from_der(value).map_err(bad)?);
            }
            o if o == rfc5280::ID_CE_KEY_USAGE => {
                let ku = X509KeyUsage::from_der(value).map_err(bad)?;
                self.key_usage = Some(KeyUsage(ku.0.bits()));
            }
            o if o == rfc5280::ID_CE_BASIC_CONSTRAINTS => {
                self.basic_constraints = Some(BasicConstraints::from_der(value).map_err(bad)?);
            }
            o if o == rfc5280::ID_CE_CERTIFICATE_POLICIES => {
                let cp = CertificatePolicies::from_der(value).map_err(bad)?;
                self.policies = Some(cp.0.iter().map(|p| p.policy_identifier).collect());
            }
            o if o == rfc5280::ID_CE_EXT_KEY_USAGE => {
                self.extended_key_usage = Some(ExtendedKeyUsage::from_der(value).map_err(bad)?.0);
                self.extended_key_usage_critical = ext.critical;
            }
            // Decoded when asked for (personal data, OCSP URIs): path validation does not need them.
            o if o == rfc5280::ID_CE_SUBJECT_ALT_NAME => {
                self.subject_alt_name = Some(value.to_vec())
            }
            o if o == rfc5280::ID_PE_AUTHORITY_INFO_ACCESS => {
                self.authority_info_access = Some(value.to_vec());
            }
            o if o == rfc5280::ID_CE_SUBJECT_DIRECTORY_ATTRIBUTES => {
                self.subject_directory_attributes = Some(value.to_vec());
            }
            o if o == rfc5280::ID_CE_CRL_DISTRIBUTION_POINTS => {
                self.crl_distribution_points = Some(value.to_vec());
            }
            // Informational, not processed (JPKI: DirNames; RFC 5280 has it non-critical).
            o if o == rfc5280::ID_CE_ISSUER_ALT_NAME => {}
            other if ext.critical => self.unknown_critical.push(other),
            _ => {}
        }
        Ok(())
    }
}

/// The first extension OID (in sort order) that occurs more than once. Sorting makes this
/// O(n log n) in the number of extensions, where comparing each against all before it was
/// quadratic (a 64 KiB certificate holds thousands of tiny extensions).
pub(super) fn duplicate_extension(
    extensions: &[x509_cert::ext::Extension],
) -> Option<ObjectIdentifier> {
    let mut ids: Vec<ObjectIdentifier> = extensions.iter().map(|e| e.extn_id).collect();
    ids.sort_unstable();
    ids.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_usage_names() {
        let ku = KeyUsage((1 << 5) | (1 << 6));
        assert_eq!(ku.names(), ["keyCertSign", "cRLSign"]);
        assert!(ku.key_cert_sign() && ku.crl_sign() && !ku.digital_signature());
    }
}
