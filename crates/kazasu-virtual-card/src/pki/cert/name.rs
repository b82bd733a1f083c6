//! [`DistinguishedName`]: names encoded exactly as given, one attribute per RDN.

use der::asn1::{ObjectIdentifier, PrintableStringRef, Utf8StringRef};
use der::oid::db::rfc4519;
use der::{Decode, Encode};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;

use super::Purpose;
use super::der_writer::tlv;
use crate::pki::PkiError;

/// A directory-string attribute value and the ASN.1 string type it is encoded with.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DnValue {
    /// `PrintableString` (J-LIS uses it for `C`).
    Printable(String),
    /// `UTF8String` (J-LIS uses it for every other attribute).
    Utf8(String),
}

/// A distinguished name, one attribute per RDN, in order. Encodes exactly as given.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct DistinguishedName {
    /// `(attribute type, value)` pairs, most significant first.
    pub attributes: Vec<(ObjectIdentifier, DnValue)>,
}

impl DistinguishedName {
    /// An empty name.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends any attribute.
    #[must_use]
    pub fn with(mut self, oid: ObjectIdentifier, value: DnValue) -> Self {
        self.attributes.push((oid, value));
        self
    }

    /// Appends `C=` as a PrintableString.
    #[must_use]
    pub fn country(self, code: &str) -> Self {
        self.with(rfc4519::COUNTRY_NAME, DnValue::Printable(code.into()))
    }

    /// Appends `O=` as a UTF8String.
    #[must_use]
    pub fn organization(self, value: &str) -> Self {
        self.with(rfc4519::ORGANIZATION_NAME, DnValue::Utf8(value.into()))
    }

    /// Appends `OU=` as a UTF8String.
    #[must_use]
    pub fn organizational_unit(self, value: &str) -> Self {
        self.with(
            rfc4519::ORGANIZATIONAL_UNIT_NAME,
            DnValue::Utf8(value.into()),
        )
    }

    /// Appends `L=` as a UTF8String.
    #[must_use]
    pub fn locality(self, value: &str) -> Self {
        self.with(rfc4519::LOCALITY_NAME, DnValue::Utf8(value.into()))
    }

    /// Appends `CN=` as a UTF8String.
    #[must_use]
    pub fn common_name(self, value: &str) -> Self {
        self.with(rfc4519::COMMON_NAME, DnValue::Utf8(value.into()))
    }

    /// The root CA name: `C=JP, O=JPKI, OU=<purpose>, OU=Japan Agency for Local Authority Information Systems`.
    pub fn jpki_root(purpose: Purpose) -> Self {
        Self::new()
            .country("JP")
            .organization("JPKI")
            .organizational_unit(purpose.organizational_unit())
            .organizational_unit("Japan Agency for Local Authority Information Systems")
    }

    /// The 公的個人認証サービス directory name of the root subjectAltName and the holder issuerAltName:
    /// `C=JP, O=公的個人認証サービス, OU=公的個人認証サービス利用者証明用|署名用, OU=地方公共団体情報システム機構`
    /// (the two `OU`s are those of the public J-LIS roots).
    pub fn jpki_service(purpose: Purpose) -> Self {
        Self::new()
            .country("JP")
            .organization("公的個人認証サービス")
            .organizational_unit(purpose.organizational_unit_ja())
            .organizational_unit("地方公共団体情報システム機構")
    }

    /// The holder certificates' CRL distribution point name:
    /// `C=JP, O=JPKI, OU=<purpose>, OU=CRL Distribution Points` (modelled, not taken from a real card).
    pub fn jpki_holder_crl_dp(purpose: Purpose) -> Self {
        Self::new()
            .country("JP")
            .organization("JPKI")
            .organizational_unit(purpose.organizational_unit())
            .organizational_unit("CRL Distribution Points")
    }

    /// DER encoding (`RDNSequence`).
    pub fn to_der(&self) -> Result<Vec<u8>, PkiError> {
        let mut body = Vec::new();
        for (oid, value) in &self.attributes {
            let mut atv = oid.to_der()?;
            match value {
                DnValue::Printable(s) => atv.extend(PrintableStringRef::new(s)?.to_der()?),
                DnValue::Utf8(s) => atv.extend(Utf8StringRef::new(s)?.to_der()?),
            }
            body.extend(tlv(0x31, &tlv(0x30, &atv)));
        }
        Ok(tlv(0x30, &body))
    }

    /// As an `x509-cert` [`Name`].
    pub fn to_name(&self) -> Result<Name, PkiError> {
        Ok(Name::from_der(&self.to_der()?)?)
    }

    /// As a `directoryName` GeneralName.
    pub fn to_general_name(&self) -> Result<GeneralName, PkiError> {
        Ok(GeneralName::DirectoryName(self.to_name()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_encode_like_the_jlis_roots() {
        // Subject of the public 2023 authentication root (shared/data/jpki-roots/auth_ca_2023.pem).
        let want = hex::decode(concat!(
            "308182310b3009060355040613024a50310d300b060355040a0c044a504b4931",
            "253023060355040b0c1c4a504b4920666f7220757365722061757468656e7469",
            "636174696f6e313d303b060355040b0c344a6170616e204167656e637920666f",
            "72204c6f63616c20417574686f7269747920496e666f726d6174696f6e205379",
            "7374656d73"
        ))
        .unwrap();
        assert_eq!(
            DistinguishedName::jpki_root(Purpose::Authentication)
                .to_der()
                .unwrap(),
            want
        );
        let name = DistinguishedName::jpki_root(Purpose::Signature)
            .to_name()
            .unwrap();
        assert_eq!(
            name.to_string(),
            "OU=Japan Agency for Local Authority Information Systems,OU=JPKI for digital signature,O=JPKI,C=JP"
        );
    }
}
