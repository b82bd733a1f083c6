//! [`Certificate`]: a parsed X.509 certificate with what JPKI verification needs at hand.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use der::asn1::{
    Ia5StringRef, ObjectIdentifier, PrintableStringRef, TeletexStringRef, Utf8StringRef,
};
use der::{Any, Decode, Encode, Tag, Tagged};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies,
    ExtendedKeyUsage, KeyUsage as X509KeyUsage, SubjectKeyIdentifier,
};
use x509_cert::name::Name;

use crate::crypto::{Hash, PublicKey, SignatureAlgorithm};
use crate::personal::PersonalData;
use crate::tlv::{self, tag};
use crate::{Error, HashAlgorithm, Rejection, oids, pem};

/// Certificates larger than this are refused before parsing (real JPKI certificates are ~1.5 KB).
pub const MAX_CERTIFICATE_LEN: usize = 64 * 1024;

pub use kazasu_types::Purpose;

/// What a certificate is, judged from its policies, constraints and name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CertificateKind {
    /// A JPKI authentication (利用者証明用) holder certificate.
    JpkiAuthentication,
    /// A JPKI signature (署名用) holder certificate.
    JpkiSignature,
    /// A J-LIS CA certificate (a root of either purpose, any generation).
    JpkiCa,
    /// Anything else.
    Other,
}

impl CertificateKind {
    /// The purpose a JPKI holder certificate serves.
    pub fn purpose(self) -> Option<Purpose> {
        match self {
            CertificateKind::JpkiAuthentication => Some(Purpose::Authentication),
            CertificateKind::JpkiSignature => Some(Purpose::Signature),
            _ => None,
        }
    }
}

impl fmt::Display for CertificateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CertificateKind::JpkiAuthentication => "JPKI authentication certificate (利用者証明用)",
            CertificateKind::JpkiSignature => "JPKI signature certificate (署名用)",
            CertificateKind::JpkiCa => "JPKI certification authority",
            CertificateKind::Other => "other certificate",
        })
    }
}

/// The prefix of [`CertificateId`]'s text form. The legacy form (`<serial>@<RFC 4514 issuer>`,
/// [`LegacyCertificateId`]) starts with a lower-case hex digit, never with `k`, so the two cannot be
/// confused.
pub const CERTIFICATE_ID_PREFIX: &str = "kid:";

/// A certificate's identity for linking records: its serial and the **key identifier of its
/// issuer**, so CA generations that share a name (the J-LIS roots of 2015, 2019 and 2023) and may
/// reuse serials never collide.
///
/// The issuer key identifier is defined as follows (RFC 5280 §4.2.1.1–2):
///
/// - [`Certificate::id`]: the certificate's AuthorityKeyIdentifier `keyIdentifier` (every JPKI
///   certificate has one); `None` when it has none.
/// - [`Certificate::id_issued_by`] and [`crate::ValidatedPath::leaf_id`]: the issuer certificate's
///   [`Certificate::key_id`] — its SubjectKeyIdentifier, or, when it has none, SHA-1 of its
///   `subjectPublicKey` BIT STRING contents (RFC 5280 method 1). Path validation only accepts an
///   issuer whose key identifier equals the AKI `keyIdentifier`, so for a validated certificate
///   with an AKI all three give the same id; without an AKI only the path-based forms exist.
///
/// Text form (`Display` / `FromStr`, and serde as that string), stable for stores:
/// `kid:<serial>@<issuer key id>`, both lower-case hex — the serial without leading zeros (`0` for
/// zero), the key identifier as all its octets (even length). Example:
/// `kid:6d18006@1ac1f4a8…`. Ids stored in the older `<serial>@<issuer DN>` form are
/// [`LegacyCertificateId`]s; [`Certificate::legacy_id`] gives that form to find and rewrite them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CertificateId {
    issuer_key_id: Vec<u8>,
    serial: Vec<u8>,
}

impl CertificateId {
    /// The id of the certificate with `serial` (unsigned big-endian; leading zeros are ignored)
    /// issued by the key `issuer_key_id`. Fails when the key identifier is empty.
    pub fn new(issuer_key_id: &[u8], serial: &[u8]) -> Result<Self, Error> {
        if issuer_key_id.is_empty() {
            return Err(Error::der("certificate id", "empty issuer key identifier"));
        }
        Ok(Self {
            issuer_key_id: issuer_key_id.to_vec(),
            serial: strip_zeros(serial).to_vec(),
        })
    }

    /// The issuer's key identifier.
    pub fn issuer_key_id(&self) -> &[u8] {
        &self.issuer_key_id
    }

    /// The serial, unsigned big-endian without leading zeros (empty for zero).
    pub fn serial(&self) -> &[u8] {
        &self.serial
    }

    /// The issuer's key identifier in lower-case hex (all octets).
    pub fn issuer_key_id_hex(&self) -> String {
        lower_hex(&self.issuer_key_id)
    }

    /// The serial in lower-case hex without leading zeros (`"0"` for zero).
    pub fn serial_hex(&self) -> String {
        serial_hex(&self.serial)
    }

    /// Rebuilds an id from the two hex parts of its text form (e.g. two database columns):
    /// `serial` lower-case hex without leading zeros, `issuer_key_id` lower-case hex of even length.
    pub fn from_hex_parts(issuer_key_id: &str, serial: &str) -> Result<Self, Error> {
        let serial_ok = !serial.is_empty()
            && is_lower_hex(serial)
            && (serial == "0" || !serial.starts_with('0'));
        if !serial_ok {
            return Err(Error::der(
                "certificate id",
                "serial must be lower-case hex without leading zeros",
            ));
        }
        if issuer_key_id.is_empty()
            || !issuer_key_id.len().is_multiple_of(2)
            || !is_lower_hex(issuer_key_id)
        {
            return Err(Error::der(
                "certificate id",
                "issuer key id must be non-empty lower-case hex of even length",
            ));
        }
        let padded = if !serial.len().is_multiple_of(2) {
            format!("0{serial}")
        } else {
            serial.to_owned()
        };
        Self::new(&from_hex(issuer_key_id), &from_hex(&padded))
    }
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Decodes lower-case hex the caller has checked (even length, hex digits only).
fn from_hex(s: &str) -> Vec<u8> {
    let nibble = |b: u8| match b {
        b'0'..=b'9' => b - b'0',
        _ => b.wrapping_sub(b'a').wrapping_add(10),
    };
    s.as_bytes()
        .chunks_exact(2)
        .map(|p| (nibble(p[0]) << 4) | nibble(p[1]))
        .collect()
}

fn lower_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

impl fmt::Display for CertificateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{CERTIFICATE_ID_PREFIX}{}@{}",
            self.serial_hex(),
            self.issuer_key_id_hex()
        )
    }
}

impl FromStr for CertificateId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let (serial, key_id) = s
            .strip_prefix(CERTIFICATE_ID_PREFIX)
            .and_then(|rest| rest.split_once('@'))
            .ok_or_else(|| {
                Error::der(
                    "certificate id",
                    "expected kid:<serial hex>@<issuer key id hex>",
                )
            })?;
        Self::from_hex_parts(key_id, serial)
    }
}

impl Serialize for CertificateId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CertificateId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The identity [`CertificateId`] replaced: the issuer *name* (RFC 4514) and the serial. It cannot
/// tell CA generations that share a name apart; it exists so stores can find rows written with it
/// ([`Certificate::legacy_id`]) and rewrite them to the [`CertificateId`].
/// `Display` / `FromStr` use `<serial>@<issuer>`; serde the struct `{issuer, serial}` as before.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LegacyCertificateId {
    /// The issuer's distinguished name, RFC 4514.
    pub issuer: String,
    /// The serial number, lower-case hex without leading zeros (`"0"` for zero).
    pub serial: String,
}

impl fmt::Display for LegacyCertificateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.serial, self.issuer)
    }
}

impl FromStr for LegacyCertificateId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let (serial, issuer) = s
            .split_once('@')
            .ok_or_else(|| Error::der("certificate id", "expected <serial>@<issuer>"))?;
        let ok = !serial.is_empty()
            && is_lower_hex(serial)
            && (serial == "0" || !serial.starts_with('0'));
        if !ok || issuer.is_empty() {
            return Err(Error::der(
                "certificate id",
                "serial must be lower-case hex without leading zeros, issuer non-empty",
            ));
        }
        Ok(Self {
            issuer: issuer.to_owned(),
            serial: serial.to_owned(),
        })
    }
}

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

/// A parsed certificate. Cheap to clone (the parsed form is shared).
#[derive(Clone)]
pub struct Certificate(Arc<Inner>);

struct Inner {
    der: Vec<u8>,
    tbs: Range<usize>,
    issuer_der: Range<usize>,
    subject_der: Range<usize>,
    signature: Range<usize>,
    x509: x509_cert::Certificate,
    subject: OnceLock<String>,
    issuer: OnceLock<String>,
    serial: Vec<u8>,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    signature_algorithm: SignatureAlgorithm,
    tbs_signature_algorithm: SignatureAlgorithm,
    key: PublicKey,
    key_id: Vec<u8>,
    ext: Exts,
    kind: CertificateKind,
}

/// The extensions this crate reads.
#[derive(Default)]
struct Exts {
    ski: Option<Vec<u8>>,
    aki: Option<AuthorityKeyId>,
    key_usage: Option<KeyUsage>,
    basic_constraints: Option<BasicConstraints>,
    policies: Option<Vec<ObjectIdentifier>>,
    extended_key_usage: Option<Vec<ObjectIdentifier>>,
    /// DER of the subjectAltName value, decoded on demand.
    subject_alt_name: Option<Vec<u8>>,
    /// DER of the authorityInfoAccess value, decoded on demand.
    authority_info_access: Option<Vec<u8>>,
    unknown_critical: Vec<ObjectIdentifier>,
}

impl Exts {
    fn read(&mut self, ext: &x509_cert::ext::Extension) -> Result<(), Error> {
        let value = ext.extn_value.as_bytes();
        let bad =
            |e: der::Error| Error::der("certificate extension", format!("{}: {e}", ext.extn_id));
        match ext.extn_id {
            o if o == oids::EXT_SUBJECT_KEY_ID => {
                let ski = SubjectKeyIdentifier::from_der(value).map_err(bad)?;
                self.ski = Some(ski.0.as_bytes().to_vec());
            }
            o if o == oids::EXT_AUTHORITY_KEY_ID => {
                let aki = AuthorityKeyIdentifier::from_der(value).map_err(bad)?;
                self.aki = Some(AuthorityKeyId {
                    key_id: aki.key_identifier.map(|k| k.as_bytes().to_vec()),
                    issuer: aki
                        .authority_cert_issuer
                        .as_deref()
                        .map(directory_names)
                        .unwrap_or_default(),
                    serial: aki
                        .authority_cert_serial_number
                        .map(|s| strip_zeros(s.as_bytes()).to_vec()),
                });
            }
            o if o == oids::EXT_KEY_USAGE => {
                let ku = X509KeyUsage::from_der(value).map_err(bad)?;
                self.key_usage = Some(KeyUsage(ku.0.bits()));
            }
            o if o == oids::EXT_BASIC_CONSTRAINTS => {
                self.basic_constraints = Some(BasicConstraints::from_der(value).map_err(bad)?);
            }
            o if o == oids::EXT_CERTIFICATE_POLICIES => {
                let cp = CertificatePolicies::from_der(value).map_err(bad)?;
                self.policies = Some(cp.0.iter().map(|p| p.policy_identifier).collect());
            }
            o if o == oids::EXT_EXTENDED_KEY_USAGE => {
                self.extended_key_usage = Some(ExtendedKeyUsage::from_der(value).map_err(bad)?.0);
            }
            // Decoded when asked for (personal data, OCSP URIs): path validation does not need them.
            o if o == oids::EXT_SUBJECT_ALT_NAME => self.subject_alt_name = Some(value.to_vec()),
            o if o == oids::EXT_AUTHORITY_INFO_ACCESS => {
                self.authority_info_access = Some(value.to_vec());
            }
            // Informational, not processed (JPKI: DirNames; RFC 5280 has both non-critical).
            o if o == oids::EXT_ISSUER_ALT_NAME || o == oids::EXT_CRL_DISTRIBUTION_POINTS => {}
            other if ext.critical => self.unknown_critical.push(other),
            _ => {}
        }
        Ok(())
    }
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject())
            .field("issuer", &self.issuer())
            .field("serial", &self.serial_hex())
            .field("kind", &self.0.kind)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.0.der == other.0.der
    }
}
impl Eq for Certificate {}

/// The J-LIS CA name: `C=JP, O=JPKI, OU=<purpose>, OU=Japan Agency for Local Authority Information Systems`.
fn jpki_ca_name_purpose(name: &Name) -> Option<Purpose> {
    let values: Vec<(ObjectIdentifier, Option<&str>)> = name
        .iter()
        .map(|atv| (atv.oid, string_value(&atv.value)))
        .collect();
    let [
        (c, Some("JP")),
        (o, Some("JPKI")),
        (ou1, Some(purpose)),
        (ou2, Some(jlis)),
    ] = values.as_slice()
    else {
        return None;
    };
    let names_ok = *c == oids::AT_COUNTRY
        && *o == oids::AT_ORGANIZATION
        && *ou1 == oids::AT_ORGANIZATIONAL_UNIT
        && *ou2 == oids::AT_ORGANIZATIONAL_UNIT
        && *jlis == "Japan Agency for Local Authority Information Systems";
    match *purpose {
        "JPKI for user authentication" if names_ok => Some(Purpose::Authentication),
        "JPKI for digital signature" if names_ok => Some(Purpose::Signature),
        _ => None,
    }
}

/// The text of a directory string value (UTF8String, PrintableString, IA5String, TeletexString).
fn string_value(value: &Any) -> Option<&str> {
    match value.tag() {
        Tag::Utf8String => Utf8StringRef::try_from(value).ok().map(|s| s.as_str()),
        Tag::PrintableString => PrintableStringRef::try_from(value).ok().map(|s| s.as_str()),
        Tag::Ia5String => Ia5StringRef::try_from(value).ok().map(|s| s.as_str()),
        Tag::TeletexString => TeletexStringRef::try_from(value).ok().map(|s| s.as_str()),
        _ => None,
    }
}

/// The RFC 4514 keyword of an attribute type, if the RFC defines one.
fn rfc4514_keyword(oid: &ObjectIdentifier) -> Option<&'static str> {
    const KEYWORDS: [(ObjectIdentifier, &str); 9] = [
        (ObjectIdentifier::new_unwrap("2.5.4.3"), "CN"),
        (ObjectIdentifier::new_unwrap("2.5.4.7"), "L"),
        (ObjectIdentifier::new_unwrap("2.5.4.8"), "ST"),
        (ObjectIdentifier::new_unwrap("2.5.4.10"), "O"),
        (ObjectIdentifier::new_unwrap("2.5.4.11"), "OU"),
        (ObjectIdentifier::new_unwrap("2.5.4.6"), "C"),
        (ObjectIdentifier::new_unwrap("2.5.4.9"), "STREET"),
        (
            ObjectIdentifier::new_unwrap("0.9.2342.19200300.100.1.25"),
            "DC",
        ),
        (
            ObjectIdentifier::new_unwrap("0.9.2342.19200300.100.1.1"),
            "UID",
        ),
    ];
    KEYWORDS.iter().find(|(o, _)| o == oid).map(|(_, k)| *k)
}

/// RFC 4514 string of a name: RDNs last to first; the RFC's keywords (`CN`, `L`, `ST`, `O`, `OU`,
/// `C`, `STREET`, `DC`, `UID`) or the dotted OID; string values escaped, others as `#` + DER hex.
pub(crate) fn rfc4514(name: &Name) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(128);
    let rdns: Vec<_> = name.iter_rdn().collect();
    for (i, rdn) in rdns.into_iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, atv) in rdn.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            match rfc4514_keyword(&atv.oid) {
                Some(k) => out.push_str(k),
                None => {
                    let _ = write!(out, "{}", atv.oid);
                }
            }
            out.push('=');
            let Some(value) = string_value(&atv.value) else {
                out.push('#');
                for b in atv.value.to_der().unwrap_or_default() {
                    let _ = write!(out, "{b:02x}");
                }
                continue;
            };
            let mut chars = value.char_indices().peekable();
            while let Some((k, c)) = chars.next() {
                match c {
                    '#' if k == 0 => out.push_str("\\#"),
                    ' ' if k == 0 || chars.peek().is_none() => out.push_str("\\ "),
                    '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                        out.push('\\');
                        out.push(c);
                    }
                    '\x00'..='\x1f' | '\x7f' => {
                        let _ = write!(out, "\\{:02x}", u32::from(c));
                    }
                    _ => out.push(c),
                }
            }
        }
    }
    out
}

fn unix(t: x509_cert::time::Time) -> Result<OffsetDateTime, Error> {
    let secs = i64::try_from(t.to_unix_duration().as_secs())
        .map_err(|_| Error::der("certificate", "time out of range"))?;
    OffsetDateTime::from_unix_timestamp(secs).map_err(|e| Error::der("certificate", e))
}

/// Strips the leading zero octets of an INTEGER's content (the positive-sign pad of DER).
pub(crate) fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    &bytes[skip..]
}

/// Lower-case hex, no leading zeros; `"0"` for zero.
pub(crate) fn serial_hex(magnitude: &[u8]) -> String {
    let m = strip_zeros(magnitude);
    if m.is_empty() {
        return "0".into();
    }
    let mut s: String = m.iter().map(|b| format!("{b:02x}")).collect();
    if s.starts_with('0') {
        s.remove(0);
    }
    s
}

/// Colon-separated upper-case hex (for key identifiers).
pub(crate) fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The first extension OID (in sort order) that occurs more than once. Sorting makes this
/// O(n log n) in the number of extensions, where comparing each against all before it was
/// quadratic (a 64 KiB certificate holds thousands of tiny extensions).
fn duplicate_extension(extensions: &[x509_cert::ext::Extension]) -> Option<ObjectIdentifier> {
    let mut ids: Vec<ObjectIdentifier> = extensions.iter().map(|e| e.extn_id).collect();
    ids.sort_unstable();
    ids.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
}

fn tlv_err(e: tlv::TlvError) -> Error {
    Error::der("certificate", e)
}

fn directory_names(names: &[GeneralName]) -> Vec<String> {
    names
        .iter()
        .filter_map(|n| match n {
            GeneralName::DirectoryName(name) => Some(rfc4514(name)),
            _ => None,
        })
        .collect()
}

/// The first CN of a name as a string (UTF8String or PrintableString).
fn common_name(name: &Name) -> Option<String> {
    name.iter()
        .filter(|atv| atv.oid == oids::AT_COMMON_NAME)
        .find_map(|atv| string_value(&atv.value).map(str::to_owned))
}

impl Certificate {
    /// Parses a DER certificate (copied).
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        Self::from_der_vec(der.to_vec())
    }

    /// Parses a DER certificate, keeping `der` as its one copy.
    pub fn from_der_vec(der: Vec<u8>) -> Result<Self, Error> {
        if der.len() > MAX_CERTIFICATE_LEN {
            return Err(Error::TooLarge {
                what: "certificate",
                len: der.len(),
                limit: MAX_CERTIFICATE_LEN,
            });
        }
        // Byte positions of the signed part, the names and the signature, exactly as received.
        let outer = tlv::single(&der, tag::SEQUENCE).map_err(tlv_err)?;
        let mut r = outer.reader();
        let tbs = r.expect(tag::SEQUENCE).map_err(tlv_err)?;
        r.expect(tag::SEQUENCE).map_err(tlv_err)?;
        let sig = r.expect(tag::BIT_STRING).map_err(tlv_err)?;
        if !r.is_empty() {
            return Err(Error::der(
                "certificate",
                "trailing data after the signature",
            ));
        }
        let mut t = tbs.reader();
        t.optional(tag::CONTEXT_0).map_err(tlv_err)?;
        t.expect(tag::INTEGER).map_err(tlv_err)?;
        t.expect(tag::SEQUENCE).map_err(tlv_err)?;
        let issuer_der = t.expect(tag::SEQUENCE).map_err(tlv_err)?.range();
        t.expect(tag::SEQUENCE).map_err(tlv_err)?;
        let subject_der = t.expect(tag::SEQUENCE).map_err(tlv_err)?.range();
        let sig_range = sig.value_range();
        if sig.value.first() != Some(&0) {
            return Err(Error::der(
                "certificate",
                "signature BIT STRING has unused bits",
            ));
        }
        let signature = sig_range.start + 1..sig_range.end;
        let tbs = tbs.range();

        let x509 =
            x509_cert::Certificate::from_der(&der).map_err(|e| Error::der("certificate", e))?;
        let tbs_cert = x509.tbs_certificate();
        let key = PublicKey::from_spki(tbs_cert.subject_public_key_info())
            .map_err(|e| Error::der("subjectPublicKeyInfo", e))?;
        let spki_bits = tbs_cert
            .subject_public_key_info()
            .subject_public_key
            .raw_bytes();
        let validity = tbs_cert.validity();

        let extensions = tbs_cert.extensions().map_or(&[][..], |e| e.as_slice());
        if let Some(oid) = duplicate_extension(extensions) {
            return Err(Error::der(
                "certificate",
                format!("extension {oid} appears twice"),
            ));
        }
        let mut ext = Exts::default();
        for e in extensions {
            ext.read(e)?;
        }
        let kind = classify(&ext, tbs_cert.subject());
        let inner = Inner {
            tbs,
            issuer_der,
            subject_der,
            signature,
            subject: OnceLock::new(),
            issuer: OnceLock::new(),
            serial: strip_zeros(tbs_cert.serial_number().as_bytes()).to_vec(),
            not_before: unix(validity.not_before)?,
            not_after: unix(validity.not_after)?,
            signature_algorithm: SignatureAlgorithm::from_identifier(x509.signature_algorithm()),
            tbs_signature_algorithm: SignatureAlgorithm::from_identifier(tbs_cert.signature()),
            key,
            key_id: ext
                .ski
                .clone()
                .filter(|ski| !ski.is_empty())
                .unwrap_or_else(|| Hash::Sha1.digest(spki_bits)),
            ext,
            kind,
            x509,
            der,
        };
        Ok(Self(Arc::new(inner)))
    }

    /// Parses PEM text holding one `CERTIFICATE` block (the first one if there are several).
    pub fn from_pem(text: &str) -> Result<Self, Error> {
        let der = pem::decode_first(text.as_bytes(), pem::CERTIFICATE)?;
        Self::from_der_vec(der)
    }

    /// Parses DER or PEM (one certificate; with PEM, the first block).
    pub fn parse(input: &[u8]) -> Result<Self, Error> {
        match pem::sniff(input)? {
            pem::Format::Der => Self::from_der(input),
            pem::Format::Pem => Self::from_der_vec(pem::decode_first(input, pem::CERTIFICATE)?),
        }
    }

    /// Parses every certificate of a PEM bundle, or the single certificate of a DER file.
    pub fn parse_all(input: &[u8]) -> Result<Vec<Self>, Error> {
        match pem::sniff(input)? {
            pem::Format::Der => Ok(vec![Self::from_der(input)?]),
            pem::Format::Pem => pem::decode_all(input, pem::CERTIFICATE)?
                .into_iter()
                .map(Self::from_der_vec)
                .collect(),
        }
    }

    /// The DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.0.der
    }

    /// PEM (`CERTIFICATE`, LF line endings).
    pub fn to_pem(&self) -> Result<String, Error> {
        pem::encode(pem::CERTIFICATE, self.der())
    }

    /// The `x509-cert` form, for anything this type does not expose.
    pub fn x509(&self) -> &x509_cert::Certificate {
        &self.0.x509
    }

    /// The signed `tbsCertificate` bytes as received.
    pub fn tbs_der(&self) -> &[u8] {
        &self.0.der[self.0.tbs.clone()]
    }

    /// Subject, RFC 4514.
    pub fn subject(&self) -> &str {
        self.0
            .subject
            .get_or_init(|| rfc4514(self.0.x509.tbs_certificate().subject()))
    }

    /// Issuer, RFC 4514.
    pub fn issuer(&self) -> &str {
        self.0
            .issuer
            .get_or_init(|| rfc4514(self.0.x509.tbs_certificate().issuer()))
    }

    /// DER of the subject name as received (names chain by these bytes).
    pub fn subject_der(&self) -> &[u8] {
        &self.0.der[self.0.subject_der.clone()]
    }

    /// DER of the issuer name as received.
    pub fn issuer_der(&self) -> &[u8] {
        &self.0.der[self.0.issuer_der.clone()]
    }

    /// The serial number, unsigned big-endian without leading zeros.
    pub fn serial(&self) -> &[u8] {
        &self.0.serial
    }

    /// The serial number in lower-case hex without leading zeros.
    pub fn serial_hex(&self) -> String {
        serial_hex(&self.0.serial)
    }

    /// notBefore.
    pub fn not_before(&self) -> OffsetDateTime {
        self.0.not_before
    }

    /// notAfter.
    pub fn not_after(&self) -> OffsetDateTime {
        self.0.not_after
    }

    /// The outer signature algorithm.
    pub fn signature_algorithm(&self) -> &SignatureAlgorithm {
        &self.0.signature_algorithm
    }

    /// The signature algorithm named inside the signed part (must equal the outer one).
    pub fn tbs_signature_algorithm(&self) -> &SignatureAlgorithm {
        &self.0.tbs_signature_algorithm
    }

    /// The signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.0.der[self.0.signature.clone()]
    }

    /// "RSA-2048" or the OID of another key algorithm.
    pub fn public_key_description(&self) -> String {
        self.0.key.describe()
    }

    /// The RSA modulus size in bits (`None` for other keys).
    pub fn rsa_bits(&self) -> Option<usize> {
        match &self.0.key {
            PublicKey::Rsa(k) => Some(k.bits()),
            PublicKey::Other(_) => None,
        }
    }

    pub(crate) fn public_key(&self) -> &PublicKey {
        &self.0.key
    }

    /// The SubjectKeyIdentifier extension.
    pub fn subject_key_id(&self) -> Option<&[u8]> {
        self.0.ext.ski.as_deref()
    }

    /// The key identifier used for chaining and in [`CertificateId`]: the SubjectKeyIdentifier, or
    /// SHA-1 of the `subjectPublicKey` BIT STRING contents (RFC 5280 method 1) when there is none
    /// (or it is empty). Never empty.
    pub fn key_id(&self) -> &[u8] {
        &self.0.key_id
    }

    /// The AuthorityKeyIdentifier extension.
    pub fn authority_key_id(&self) -> Option<&AuthorityKeyId> {
        self.0.ext.aki.as_ref()
    }

    /// The KeyUsage extension.
    pub fn key_usage(&self) -> Option<KeyUsage> {
        self.0.ext.key_usage
    }

    /// BasicConstraints: `Some((ca, pathLenConstraint))` when present.
    pub fn basic_constraints(&self) -> Option<(bool, Option<u8>)> {
        self.0
            .ext
            .basic_constraints
            .as_ref()
            .map(|b| (b.ca, b.path_len_constraint))
    }

    /// Whether BasicConstraints says CA:TRUE.
    pub fn is_ca(&self) -> bool {
        self.0.ext.basic_constraints.as_ref().is_some_and(|b| b.ca)
    }

    /// The policy identifiers of CertificatePolicies (`None` without the extension).
    pub fn policies(&self) -> Option<&[ObjectIdentifier]> {
        self.0.ext.policies.as_deref()
    }

    /// The ExtendedKeyUsage purposes (`None` without the extension).
    pub fn extended_key_usage(&self) -> Option<&[ObjectIdentifier]> {
        self.0.ext.extended_key_usage.as_deref()
    }

    /// OCSP responder URIs of AuthorityInfoAccess.
    pub fn ocsp_uris(&self) -> Result<Vec<String>, Error> {
        let Some(der) = &self.0.ext.authority_info_access else {
            return Ok(Vec::new());
        };
        let aia = AuthorityInfoAccessSyntax::from_der(der)
            .map_err(|e| Error::der("authorityInfoAccess", e))?;
        Ok(aia
            .0
            .iter()
            .filter_map(|a| match &a.access_location {
                GeneralName::UniformResourceIdentifier(uri) => Some(uri.as_str().to_owned()),
                _ => None,
            })
            .collect())
    }

    /// Critical extensions this crate does not process (any makes path validation fail).
    pub fn unknown_critical_extensions(&self) -> &[ObjectIdentifier] {
        &self.0.ext.unknown_critical
    }

    /// What the certificate is.
    pub fn kind(&self) -> CertificateKind {
        self.0.kind
    }

    /// The (issuer key, serial) identity for linking, from this certificate alone: the issuer key
    /// is the AuthorityKeyIdentifier `keyIdentifier`. `None` without one (use
    /// [`crate::ValidatedPath::leaf_id`] or [`Certificate::id_issued_by`] then). See
    /// [`CertificateId`] for the definition.
    pub fn id(&self) -> Option<CertificateId> {
        let key_id = self.authority_key_id()?.key_id.as_deref()?;
        CertificateId::new(key_id, self.serial()).ok()
    }

    /// The identity of this certificate as issued by `issuer`: `issuer`'s [`Certificate::key_id`]
    /// (SubjectKeyIdentifier, or SHA-1 of its public key bits without one) + this serial. Give the
    /// issuer path validation chose ([`crate::ValidatedPath::leaf_id`] does).
    pub fn id_issued_by(&self, issuer: &Certificate) -> CertificateId {
        CertificateId {
            issuer_key_id: issuer.key_id().to_vec(),
            serial: self.serial().to_vec(),
        }
    }

    /// The older (issuer name, serial) identity, to find records stored before [`CertificateId`].
    pub fn legacy_id(&self) -> LegacyCertificateId {
        LegacyCertificateId {
            issuer: self.issuer().to_owned(),
            serial: self.serial_hex(),
        }
    }

    /// The subject's first common name. For an authentication certificate this is the opaque
    /// identity J-LIS assigns (the certificate carries no name).
    pub fn subject_common_name(&self) -> Option<String> {
        common_name(self.0.x509.tbs_certificate().subject())
    }

    /// The opaque identity of a JPKI authentication certificate (its subject CN).
    pub fn auth_identity(&self) -> Option<String> {
        (self.0.kind == CertificateKind::JpkiAuthentication)
            .then(|| self.subject_common_name())
            .flatten()
    }

    /// The personal data of a JPKI signature certificate; `Ok(None)` for other kinds.
    pub fn personal_data(&self) -> Result<Option<PersonalData>, Error> {
        if self.0.kind != CertificateKind::JpkiSignature {
            return Ok(None);
        }
        let names = self
            .0
            .ext
            .subject_alt_name
            .as_deref()
            .ok_or_else(|| Error::PersonalData("no subjectAltName".into()))?;
        PersonalData::from_subject_alt_name(names).map(Some)
    }

    /// SHA-256 of the DER.
    pub fn fingerprint_sha256(&self) -> Vec<u8> {
        Hash::Sha256.digest(&self.0.der)
    }

    /// Verifies a PKCS#1 v1.5 signature over `message` with this certificate's key. This checks the
    /// signature only: validate the certificate with [`crate::Verifier`] (which also applies the
    /// key-size policy) before trusting it.
    pub fn verify_message(
        &self,
        hash: HashAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Rejection> {
        match &self.0.key {
            PublicKey::Rsa(k)
                if Hash::of(hash).is_some_and(|h| k.verify_message(h, message, signature)) =>
            {
                Ok(())
            }
            PublicKey::Rsa(_) => Err(Rejection::MessageSignatureInvalid),
            PublicKey::Other(oid) => Err(Rejection::AlgorithmNotAllowed {
                subject: self.subject().to_owned(),
                algorithm: format!("public key algorithm {oid}"),
            }),
        }
    }

    /// Verifies a PKCS#1 v1.5 signature over a digest the caller computed with `hash`.
    pub fn verify_digest(
        &self,
        hash: HashAlgorithm,
        digest: &[u8],
        signature: &[u8],
    ) -> Result<(), Rejection> {
        if digest.len() != hash.output_len() {
            return Err(Rejection::DigestLengthMismatch {
                hash,
                expected: hash.output_len(),
                found: digest.len(),
            });
        }
        match &self.0.key {
            PublicKey::Rsa(k)
                if Hash::of(hash).is_some_and(|h| k.verify_digest(h, digest, signature)) =>
            {
                Ok(())
            }
            PublicKey::Rsa(_) => Err(Rejection::MessageSignatureInvalid),
            PublicKey::Other(oid) => Err(Rejection::AlgorithmNotAllowed {
                subject: self.subject().to_owned(),
                algorithm: format!("public key algorithm {oid}"),
            }),
        }
    }

    /// Whether `issuer`'s key verifies this certificate's signature (algorithm policy not applied).
    pub(crate) fn signed_by(&self, issuer: &Certificate) -> bool {
        let Some(hash) = self.0.signature_algorithm.hash() else {
            return false;
        };
        match issuer.public_key() {
            PublicKey::Rsa(k) => k.verify_message(hash, self.tbs_der(), self.signature()),
            PublicKey::Other(_) => false,
        }
    }

    /// The DER of the subjectAltName extension value (`GeneralNames`).
    pub fn subject_alt_name_der(&self) -> Option<&[u8]> {
        self.0.ext.subject_alt_name.as_deref()
    }
}

fn classify(c: &Exts, subject: &Name) -> CertificateKind {
    let policies = c.policies.as_deref().unwrap_or_default();
    let ca = c.basic_constraints.as_ref().is_some_and(|b| b.ca);
    if !ca && policies.contains(&oids::JPKI_AUTH_POLICY) {
        CertificateKind::JpkiAuthentication
    } else if !ca && policies.contains(&oids::JPKI_SIGN_POLICY) {
        CertificateKind::JpkiSignature
    } else if ca && jpki_ca_name_purpose(subject).is_some() {
        CertificateKind::JpkiCa
    } else {
        CertificateKind::Other
    }
}

/// The purpose of a J-LIS CA from its name.
pub(crate) fn jpki_ca_purpose(cert: &Certificate) -> Option<Purpose> {
    jpki_ca_name_purpose(cert.0.x509.tbs_certificate().subject())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_hex_forms() {
        assert_eq!(serial_hex(&[]), "0");
        assert_eq!(serial_hex(&[0, 0]), "0");
        assert_eq!(serial_hex(&[0x06, 0xD1, 0x80, 0x06]), "6d18006");
        assert_eq!(serial_hex(&[0x00, 0x80]), "80");
        assert_eq!(colon_hex(&[0x1A, 0xC1]), "1A:C1");
    }

    #[test]
    fn certificate_id_round_trips() {
        let id = CertificateId::new(&[0x1A, 0x00, 0xC1], &[0x00, 0x06, 0xD1, 0x80, 0x06]).unwrap();
        assert_eq!(id.to_string(), "kid:6d18006@1a00c1");
        assert_eq!(id.serial(), [0x06, 0xD1, 0x80, 0x06]);
        assert_eq!(id.to_string().parse::<CertificateId>().unwrap(), id);
        assert_eq!(
            CertificateId::from_hex_parts("1a00c1", "6d18006").unwrap(),
            id
        );
        let zero = CertificateId::new(&[1], &[0]).unwrap();
        assert_eq!(zero.to_string(), "kid:0@01");
        assert_eq!("kid:0@01".parse::<CertificateId>().unwrap(), zero);
        assert!(CertificateId::new(&[], &[1]).is_err());
        for bad in [
            "",
            "kid:",
            "kid:@01",
            "kid:1@",
            "kid:06d@01",
            "kid:AB@01",
            "kid:1@1",
            "kid:1@0G",
            "kid:1@AB",
            "6d18006@OU=x,O=JPKI,C=JP",
            "1@01",
        ] {
            assert!(bad.parse::<CertificateId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn legacy_id_round_trips_and_is_not_a_certificate_id() {
        let id = LegacyCertificateId {
            issuer: "OU=x,O=JPKI,C=JP".into(),
            serial: "6d18006".into(),
        };
        assert_eq!(id.to_string().parse::<LegacyCertificateId>().unwrap(), id);
        assert!(id.to_string().parse::<CertificateId>().is_err());
        for bad in ["", "@x", "06d@x", "AB@x", "12", "12@"] {
            assert!(bad.parse::<LegacyCertificateId>().is_err(), "{bad}");
        }
        assert_eq!("0@x".parse::<LegacyCertificateId>().unwrap().serial, "0");
        // A new id never parses as a legacy one (its serial part starts with `kid:`).
        assert!("kid:1@01".parse::<LegacyCertificateId>().is_err());
    }

    #[test]
    fn rfc4514_agrees_with_x509_cert_for_common_names() {
        for text in [
            "OU=Japan Agency for Local Authority Information Systems,OU=JPKI for user authentication,O=JPKI,C=JP",
            "CN=8A173AFDEF928F230434,L=千代田区,C=JP",
            "CN=a\\,b\\+c,O=x\\;y,C=JP",
            "CN=\\#hash\\ ,ST=Tokyo+L=Chiyoda,DC=example",
        ] {
            let name: Name = text.parse().unwrap();
            assert_eq!(rfc4514(&name), name.to_string(), "{text}");
        }
        // Attribute types without an RFC 4514 keyword: dotted OID, value as #DER hex.
        let name: Name = "2.5.4.5=#130131".parse().unwrap();
        assert_eq!(rfc4514(&name), "2.5.4.5=1");
        let name: Name = "1.2.3.4=#020101".parse().unwrap();
        assert_eq!(rfc4514(&name), "1.2.3.4=#020101");
    }

    #[test]
    fn key_usage_names() {
        let ku = KeyUsage((1 << 5) | (1 << 6));
        assert_eq!(ku.names(), ["keyCertSign", "cRLSign"]);
        assert!(ku.key_cert_sign() && ku.crl_sign() && !ku.digital_signature());
    }

    #[test]
    fn unusable_input_is_an_error() {
        assert!(matches!(Certificate::from_der(&[]), Err(Error::Der { .. })));
        assert!(matches!(
            Certificate::from_der(&[0x30, 0x03, 0x02, 0x01, 0x01]),
            Err(Error::Der { .. })
        ));
        assert!(matches!(
            Certificate::from_der(&vec![0x30; MAX_CERTIFICATE_LEN + 1]),
            Err(Error::TooLarge { .. })
        ));
        assert!(matches!(
            Certificate::parse(b"hello"),
            Err(Error::NotDerOrPem)
        ));
    }
}
