//! [`Crl`]: X.509 v2 CRLs parsed once and indexed for O(log n) serial lookup.
//!
//! The JPKI CRLs list millions of certificates. [`Crl`] keeps the DER it was given as its only copy
//! of the entries and builds, in one bounds-checked scan of `revokedCertificates`, two parallel
//! sorted arrays: the serial as a `u64` key and the byte offset of its entry (12 bytes per entry).
//! Serials longer than 8 octets go to a fallback list of offsets ordered by the serial bytes. The
//! revocation date and reason are decoded only when a lookup hits.

use std::cmp::Ordering;
use std::fmt;
use std::ops::Range;
use std::sync::{OnceLock, RwLock};

use const_oid::db::rfc5280;
use der::Decode;
use der::asn1::{GeneralizedTime, ObjectIdentifier};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use x509_cert::ext::Extensions;
use x509_cert::ext::pkix::crl::dp::IssuingDistributionPoint;
use x509_cert::ext::pkix::name::DistributionPointName;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, CrlDistributionPoints, CrlNumber, CrlReason};
use x509_cert::name::Name;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_cert::time::Time;

use crate::crypto::{PublicKey, SignatureAlgorithm};
use crate::hex_form::{colon_hex, serial_hex, strip_zeros};
use crate::rejection::UnknownReason;
use crate::tlv::{self, Reader, tag};
use crate::{Certificate, Error, pem};

/// CRLs larger than this are refused (entry offsets are 32-bit).
pub const MAX_CRL_LEN: usize = 1 << 31;

/// reasonCode of a CRL entry (RFC 5280 §5.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum RevocationReason {
    /// 0.
    Unspecified,
    /// 1.
    KeyCompromise,
    /// 2.
    CaCompromise,
    /// 3.
    AffiliationChanged,
    /// 4.
    Superseded,
    /// 5.
    CessationOfOperation,
    /// 6.
    CertificateHold,
    /// 8.
    RemoveFromCrl,
    /// 9.
    PrivilegeWithdrawn,
    /// 10.
    AaCompromise,
}

impl From<CrlReason> for RevocationReason {
    fn from(r: CrlReason) -> Self {
        match r {
            CrlReason::Unspecified => Self::Unspecified,
            CrlReason::KeyCompromise => Self::KeyCompromise,
            CrlReason::CaCompromise => Self::CaCompromise,
            CrlReason::AffiliationChanged => Self::AffiliationChanged,
            CrlReason::Superseded => Self::Superseded,
            CrlReason::CessationOfOperation => Self::CessationOfOperation,
            CrlReason::CertificateHold => Self::CertificateHold,
            CrlReason::RemoveFromCRL => Self::RemoveFromCrl,
            CrlReason::PrivilegeWithdrawn => Self::PrivilegeWithdrawn,
            CrlReason::AaCompromise => Self::AaCompromise,
        }
    }
}

impl fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unspecified => "unspecified",
            Self::KeyCompromise => "keyCompromise",
            Self::CaCompromise => "cACompromise",
            Self::AffiliationChanged => "affiliationChanged",
            Self::Superseded => "superseded",
            Self::CessationOfOperation => "cessationOfOperation",
            Self::CertificateHold => "certificateHold",
            Self::RemoveFromCrl => "removeFromCRL",
            Self::PrivilegeWithdrawn => "privilegeWithdrawn",
            Self::AaCompromise => "aACompromise",
        })
    }
}

/// One revoked certificate, decoded on demand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevokedEntry {
    /// The serial, unsigned big-endian without leading zeros.
    pub serial: Vec<u8>,
    /// revocationDate.
    pub revoked_at: OffsetDateTime,
    /// reasonCode, if present.
    pub reason: Option<RevocationReason>,
    /// invalidityDate, if present.
    pub invalidity_date: Option<OffsetDateTime>,
}

impl RevokedEntry {
    /// The serial in lower-case hex.
    pub fn serial_hex(&self) -> String {
        serial_hex(&self.serial)
    }
}

/// Serial index: `keys[i]` is the serial of the entry at byte offset `offsets[i]`, ascending.
#[derive(Default)]
struct SerialIndex {
    keys: Vec<u64>,
    offsets: Vec<u32>,
    /// Entries whose serial does not fit 8 octets, ordered by (length, bytes) of the serial.
    long: Vec<u32>,
}

/// A parsed, indexed CRL.
pub struct Crl {
    der: Vec<u8>,
    tbs: Range<usize>,
    signature: Range<usize>,
    issuer_der: Range<usize>,
    issuer: String,
    this_update: OffsetDateTime,
    next_update: Option<OffsetDateTime>,
    signature_algorithm: SignatureAlgorithm,
    tbs_signature_algorithm: SignatureAlgorithm,
    authority_key_id: Option<Vec<u8>>,
    crl_number: Option<Vec<u8>>,
    unsupported_critical: Option<String>,
    /// issuingDistributionPoint, when present.
    scope: Option<IssuingDistributionPoint>,
    /// The first entry with a critical entry extension not understood: (serial hex, OID).
    unsupported_critical_entry: Option<(String, String)>,
    count: usize,
    index: SerialIndex,
    /// Signature checks already made: (issuer certificate, verified).
    checked: RwLock<Vec<(Certificate, bool)>>,
    /// The `source` of a good status from this CRL, formatted once.
    good_source: OnceLock<String>,
}

impl fmt::Debug for Crl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Crl")
            .field("issuer", &self.issuer)
            .field("this_update", &self.this_update)
            .field("next_update", &self.next_update)
            .field("entries", &self.count)
            .finish_non_exhaustive()
    }
}

fn crl_err(e: impl ToString) -> Error {
    Error::der("CRL", e)
}

fn time_of(t: Time) -> Result<OffsetDateTime, Error> {
    let secs =
        i64::try_from(t.to_unix_duration().as_secs()).map_err(|_| crl_err("time out of range"))?;
    OffsetDateTime::from_unix_timestamp(secs).map_err(crl_err)
}

/// The index key of a serial's content octets: its magnitude as `u64` when it fits.
fn short_key(magnitude: &[u8]) -> Option<u64> {
    if magnitude.len() > 8 {
        return None;
    }
    Some(
        magnitude
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)),
    )
}

fn cmp_serial(a: &[u8], b: &[u8]) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Content octets of the entry extensions this crate understands: reasonCode (2.5.29.21) and
/// invalidityDate (2.5.29.24).
const KNOWN_ENTRY_EXTENSIONS: [&[u8]; 2] = [
    rfc5280::ID_CE_CRL_REASONS.as_bytes(),
    rfc5280::ID_CE_INVALIDITY_DATE.as_bytes(),
];

/// Walks an entry's `crlEntryExtensions` and returns the OID of the first critical one this crate
/// does not understand.
fn unsupported_critical_entry_extension(exts: &tlv::Tlv<'_>) -> Result<Option<String>, Error> {
    let mut r = exts.reader();
    while !r.is_empty() {
        let ext = r.expect(tag::SEQUENCE).map_err(crl_err)?;
        let mut e = ext.reader();
        let oid = e.expect(tag::OID).map_err(crl_err)?;
        let critical = match e.optional(tag::BOOLEAN).map_err(crl_err)? {
            None => false,
            Some(b) => match b.value {
                [0x00] => false,
                [_] => true,
                _ => return Err(crl_err("malformed BOOLEAN in an entry extension")),
            },
        };
        e.expect(tag::OCTET_STRING).map_err(crl_err)?;
        if !e.is_empty() {
            return Err(crl_err("unexpected element in an entry extension"));
        }
        if critical && !KNOWN_ENTRY_EXTENSIONS.contains(&oid.value) {
            let name = ObjectIdentifier::from_bytes(oid.value)
                .map(|o| o.to_string())
                .unwrap_or_else(|_| format!("(undecodable OID {})", colon_hex(oid.value)));
            return Ok(Some(name));
        }
    }
    Ok(None)
}

/// Checks one `revokedCertificates` entry and returns its serial's magnitude and its
/// `crlEntryExtensions`, if any.
fn scan_entry<'a>(entry: &tlv::Tlv<'a>) -> Result<(&'a [u8], Option<tlv::Tlv<'a>>), Error> {
    if entry.tag != tag::SEQUENCE {
        return Err(crl_err("revoked entry is not a SEQUENCE"));
    }
    let mut r = entry.reader();
    let serial = r.expect(tag::INTEGER).map_err(crl_err)?;
    if serial.value.is_empty() {
        return Err(crl_err("empty serial INTEGER"));
    }
    let date = r.read().map_err(crl_err)?;
    let ok = matches!(
        (date.tag, date.value.len()),
        (tag::UTC_TIME, 13) | (tag::GENERALIZED_TIME, 15)
    );
    if !ok {
        return Err(crl_err(
            "revocationDate is not a UTCTime or GeneralizedTime",
        ));
    }
    let exts = r.optional(tag::SEQUENCE).map_err(crl_err)?;
    if !r.is_empty() {
        return Err(crl_err("unexpected element in a revoked entry"));
    }
    Ok((strip_zeros(serial.value), exts))
}

impl Crl {
    /// Parses and indexes a DER CRL (copied once).
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        Self::from_der_vec(der.to_vec())
    }

    /// Parses and indexes a DER CRL, keeping `der` as its one copy.
    pub fn from_der_vec(der: Vec<u8>) -> Result<Self, Error> {
        if der.len() > MAX_CRL_LEN {
            return Err(Error::TooLarge {
                what: "CRL",
                len: der.len(),
                limit: MAX_CRL_LEN,
            });
        }
        let outer = tlv::single(&der, tag::SEQUENCE).map_err(crl_err)?;
        let mut r = outer.reader();
        let tbs = r.expect(tag::SEQUENCE).map_err(crl_err)?;
        let alg = r.expect(tag::SEQUENCE).map_err(crl_err)?;
        let sig = r.expect(tag::BIT_STRING).map_err(crl_err)?;
        if !r.is_empty() {
            return Err(crl_err("trailing data after the signature"));
        }
        if sig.value.first() != Some(&0) {
            return Err(crl_err("signature BIT STRING has unused bits"));
        }
        let outer_alg = AlgorithmIdentifierOwned::from_der(alg.raw).map_err(crl_err)?;

        let mut t = tbs.reader();
        let version = t.optional(tag::INTEGER).map_err(crl_err)?;
        let v2 = match version.map(|v| v.value) {
            None => false,
            Some([1]) => true,
            Some(_) => return Err(crl_err("version is not v2")),
        };
        let inner_alg_tlv = t.expect(tag::SEQUENCE).map_err(crl_err)?;
        let inner_alg = AlgorithmIdentifierOwned::from_der(inner_alg_tlv.raw).map_err(crl_err)?;
        let issuer_tlv = t.expect(tag::SEQUENCE).map_err(crl_err)?;
        let issuer = Name::from_der(issuer_tlv.raw).map_err(crl_err)?;
        let this_tlv = t.read().map_err(crl_err)?;
        let this_update = time_of(Time::from_der(this_tlv.raw).map_err(crl_err)?)?;
        let next_update = match t.peek_tag() {
            Some(tag::UTC_TIME | tag::GENERALIZED_TIME) => {
                let n = t.read().map_err(crl_err)?;
                Some(time_of(Time::from_der(n.raw).map_err(crl_err)?)?)
            }
            _ => None,
        };
        let revoked = t.optional(tag::SEQUENCE).map_err(crl_err)?;
        let exts = t.optional(tag::CONTEXT_0).map_err(crl_err)?;
        if !t.is_empty() {
            return Err(crl_err("unexpected element at the end of tbsCertList"));
        }

        let mut authority_key_id = None;
        let mut crl_number = None;
        let mut unsupported_critical = None;
        let mut scope = None;
        if let Some(exts) = exts {
            if !v2 {
                return Err(Error::Unsupported {
                    what: "CRL",
                    detail: "v1 CRL with extensions".into(),
                });
            }
            let exts = Extensions::from_der(exts.value).map_err(crl_err)?;
            for e in &exts {
                let value = e.extn_value.as_bytes();
                match e.extn_id {
                    o if o == rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER => {
                        let aki = AuthorityKeyIdentifier::from_der(value).map_err(crl_err)?;
                        authority_key_id = aki.key_identifier.map(|k| k.as_bytes().to_vec());
                    }
                    o if o == rfc5280::ID_CE_CRL_NUMBER => {
                        let n = CrlNumber::from_der(value).map_err(crl_err)?;
                        crl_number = Some(strip_zeros(n.0.as_bytes()).to_vec());
                    }
                    o if o == rfc5280::ID_CE_ISSUING_DISTRIBUTION_POINT => {
                        scope = Some(IssuingDistributionPoint::from_der(value).map_err(crl_err)?);
                    }
                    other if e.critical && unsupported_critical.is_none() => {
                        unsupported_critical = Some(other.to_string());
                    }
                    _ => {}
                }
            }
        }

        let (count, index, unsupported_critical_entry) = match revoked {
            Some(list) => Self::index(&list)?,
            None => (0, SerialIndex::default(), None),
        };
        let sig_range = sig.value_range();
        Ok(Self {
            tbs: tbs.range(),
            signature: sig_range.start + 1..sig_range.end,
            issuer_der: issuer_tlv.range(),
            issuer: crate::cert::rfc4514(&issuer),
            this_update,
            next_update,
            signature_algorithm: SignatureAlgorithm::from_identifier(&outer_alg),
            tbs_signature_algorithm: SignatureAlgorithm::from_identifier(&inner_alg),
            authority_key_id,
            crl_number,
            unsupported_critical,
            scope,
            unsupported_critical_entry,
            count,
            index,
            checked: RwLock::new(Vec::new()),
            good_source: OnceLock::new(),
            der,
        })
    }

    /// Indexes `revokedCertificates`; also returns the first entry with an unsupported critical
    /// entry extension.
    #[allow(clippy::type_complexity)]
    fn index(list: &tlv::Tlv<'_>) -> Result<(usize, SerialIndex, Option<(String, String)>), Error> {
        // Pass 1: count and check every entry (extensions included), so the arrays are allocated
        // once at their final size.
        let mut count = 0usize;
        let mut long = 0usize;
        let mut unsupported = None;
        let mut r = list.reader();
        while !r.is_empty() {
            let entry = r.read().map_err(crl_err)?;
            let (magnitude, exts) = scan_entry(&entry)?;
            if magnitude.len() > 8 {
                long += 1;
            }
            if let Some(exts) = exts
                && let Some(oid) = unsupported_critical_entry_extension(&exts)?
                && unsupported.is_none()
            {
                unsupported = Some((serial_hex(magnitude), oid));
            }
            count += 1;
        }
        let mut keys = Vec::with_capacity(count - long);
        let mut offsets = Vec::with_capacity(count - long);
        let mut long_offsets = Vec::with_capacity(long);
        let mut sorted = true;
        let mut r = list.reader();
        while !r.is_empty() {
            let entry = r.read().map_err(crl_err)?;
            let (magnitude, _) = scan_entry(&entry)?;
            let offset = u32::try_from(entry.start).map_err(|_| crl_err("CRL too large"))?;
            match short_key(magnitude) {
                Some(k) => {
                    if keys.last().is_some_and(|&last| last > k) {
                        sorted = false;
                    }
                    keys.push(k);
                    offsets.push(offset);
                }
                None => long_offsets.push(offset),
            }
        }
        if !sorted {
            let mut pairs: Vec<(u64, u32)> = keys.into_iter().zip(offsets).collect();
            pairs.sort_unstable();
            (keys, offsets) = pairs.into_iter().unzip();
        }
        let mut index = SerialIndex {
            keys,
            offsets,
            long: long_offsets,
        };
        if !index.long.is_empty() {
            let mut long = std::mem::take(&mut index.long);
            // Offsets were produced by the scan above, so reading them back cannot fail; a failure
            // would sort the entry first and make it unreachable, never wrongly reachable.
            long.sort_by(|&a, &b| {
                cmp_serial(
                    Self::serial_at_raw(list, a).unwrap_or_default(),
                    Self::serial_at_raw(list, b).unwrap_or_default(),
                )
            });
            index.long = long;
        }
        Ok((count, index, unsupported))
    }

    fn serial_at_raw<'a>(list: &tlv::Tlv<'a>, offset: u32) -> Option<&'a [u8]> {
        // `list.value` starts at absolute offset `list.value_start`.
        let rel = usize::try_from(offset)
            .ok()?
            .checked_sub(list.value_start)?;
        let entry = Reader::new(list.value.get(rel..)?).read().ok()?;
        let serial = entry.reader().expect(tag::INTEGER).ok()?;
        Some(strip_zeros(serial.value))
    }

    fn entry_at(&self, offset: u32) -> Result<tlv::Tlv<'_>, Error> {
        let start = usize::try_from(offset).map_err(crl_err)?;
        let bytes = self.der.get(start..).ok_or_else(|| crl_err("bad index"))?;
        Reader::new(bytes).read().map_err(crl_err)
    }

    fn serial_at(&self, offset: u32) -> Result<&[u8], Error> {
        let entry = self.entry_at(offset)?;
        let serial = entry.reader().expect(tag::INTEGER).map_err(crl_err)?;
        Ok(strip_zeros(serial.value))
    }

    fn decode_entry(&self, offset: u32) -> Result<RevokedEntry, Error> {
        let entry = self.entry_at(offset)?;
        let mut r = entry.reader();
        let serial = r.expect(tag::INTEGER).map_err(crl_err)?;
        let date = r.read().map_err(crl_err)?;
        let revoked_at = time_of(Time::from_der(date.raw).map_err(crl_err)?)?;
        let mut reason = None;
        let mut invalidity_date = None;
        if let Some(exts) = r.optional(tag::SEQUENCE).map_err(crl_err)? {
            for e in Extensions::from_der(exts.raw).map_err(crl_err)? {
                if e.extn_id == rfc5280::ID_CE_CRL_REASONS {
                    reason = Some(
                        CrlReason::from_der(e.extn_value.as_bytes())
                            .map_err(crl_err)?
                            .into(),
                    );
                } else if e.extn_id == rfc5280::ID_CE_INVALIDITY_DATE {
                    let t = GeneralizedTime::from_der(e.extn_value.as_bytes()).map_err(crl_err)?;
                    invalidity_date = Some(time_of(Time::GeneralTime(t))?);
                }
            }
        }
        Ok(RevokedEntry {
            serial: strip_zeros(serial.value).to_vec(),
            revoked_at,
            reason,
            invalidity_date,
        })
    }

    /// Parses PEM text holding one `X509 CRL` block.
    pub fn from_pem(text: &str) -> Result<Self, Error> {
        Self::from_der_vec(pem::decode_first(text.as_bytes(), pem::X509_CRL)?)
    }

    /// Parses DER or PEM.
    pub fn parse(input: &[u8]) -> Result<Self, Error> {
        match pem::sniff(input)? {
            pem::Format::Der => Self::from_der(input),
            pem::Format::Pem => Self::from_der_vec(pem::decode_first(input, pem::X509_CRL)?),
        }
    }

    /// Like [`Crl::parse`], taking ownership so DER input is not copied.
    pub fn parse_vec(input: Vec<u8>) -> Result<Self, Error> {
        match pem::sniff(&input)? {
            pem::Format::Der => Self::from_der_vec(input),
            pem::Format::Pem => Self::from_der_vec(pem::decode_first(&input, pem::X509_CRL)?),
        }
    }

    /// The DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Issuer, RFC 4514.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// DER of the issuer name as received.
    pub fn issuer_der(&self) -> &[u8] {
        &self.der[self.issuer_der.clone()]
    }

    /// thisUpdate.
    pub fn this_update(&self) -> OffsetDateTime {
        self.this_update
    }

    /// nextUpdate (a CRL without one parses, but [`crate::CrlSet`] does not use it).
    pub fn next_update(&self) -> Option<OffsetDateTime> {
        self.next_update
    }

    /// The AuthorityKeyIdentifier keyIdentifier (which CA key, i.e. which generation, signed it).
    pub fn authority_key_id(&self) -> Option<&[u8]> {
        self.authority_key_id.as_deref()
    }

    /// cRLNumber, unsigned big-endian.
    pub fn crl_number(&self) -> Option<&[u8]> {
        self.crl_number.as_deref()
    }

    /// The signature algorithm.
    pub fn signature_algorithm(&self) -> &SignatureAlgorithm {
        &self.signature_algorithm
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.count
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Whether the CRL's issuingDistributionPoint scope covers `cert` completely (RFC 5280 §5.2.5,
    /// §6.3.3 (b)): `Ok` without the extension; otherwise the certificate must be of the kind the
    /// CRL lists (only user / only CA certificates; never attribute certificates), the CRL must
    /// cover every reason and be direct, and when the CRL names a distribution point, one of its
    /// names must equal a name of a distribution point in the certificate's cRLDistributionPoints.
    /// A CRL that does not cover the certificate is no evidence either way; the `Err` says why.
    /// `nameRelativeToCRLIssuer` forms are not matched (never covered: fail closed).
    pub fn covers(&self, cert: &Certificate) -> Result<(), String> {
        let Some(idp) = &self.scope else {
            return Ok(());
        };
        if idp.only_contains_attribute_certs {
            return Err("it lists only attribute certificates".into());
        }
        if idp.only_contains_user_certs && cert.is_ca() {
            return Err("it lists only end-entity certificates and this is a CA".into());
        }
        if idp.only_contains_ca_certs && !cert.is_ca() {
            return Err("it lists only CA certificates and this is an end entity".into());
        }
        if idp.indirect_crl {
            return Err("indirect CRLs are not supported".into());
        }
        self.covers_reasons()?;
        let Some(dp) = &idp.distribution_point else {
            return Ok(());
        };
        let DistributionPointName::FullName(crl_names) = dp else {
            return Err("nameRelativeToCRLIssuer is not supported".into());
        };
        let Some(cdp) = cert.crl_distribution_points_der() else {
            return Err("it is for a distribution point and the certificate names none".into());
        };
        let cdp = CrlDistributionPoints::from_der(cdp)
            .map_err(|e| format!("the certificate's cRLDistributionPoints do not decode: {e}"))?;
        let matches = cdp.0.iter().any(|point| match &point.distribution_point {
            Some(DistributionPointName::FullName(names)) => {
                names.iter().any(|n| crl_names.contains(n))
            }
            _ => false,
        });
        if matches {
            Ok(())
        } else {
            Err("its distribution point is not one the certificate names".into())
        }
    }

    /// `Err` when the issuingDistributionPoint limits the CRL to some reasons.
    fn covers_reasons(&self) -> Result<(), String> {
        match self.scope.as_ref().and_then(|s| s.only_some_reasons) {
            Some(_) => Err("it covers only some revocation reasons".into()),
            None => Ok(()),
        }
    }

    /// The issuingDistributionPoint extension, when the CRL has one.
    pub fn issuing_distribution_point(&self) -> Option<&IssuingDistributionPoint> {
        self.scope.as_ref()
    }

    /// The first critical CRL extension this crate does not process, if any.
    pub fn unsupported_critical_extension(&self) -> Option<&str> {
        self.unsupported_critical.as_deref()
    }

    /// The first entry (its serial, lower-case hex) with a critical entry extension this crate
    /// does not process, and that extension's OID. Such a CRL is not used to call any certificate
    /// good ([`crate::CrlSet`] reports
    /// [`UnknownReason::CrlUnsupportedCriticalEntryExtension`]); a certificate it lists is still
    /// reported revoked.
    pub fn unsupported_critical_entry_extension(&self) -> Option<(&str, &str)> {
        self.unsupported_critical_entry
            .as_ref()
            .map(|(serial, oid)| (serial.as_str(), oid.as_str()))
    }

    /// What a good status from this CRL names as its source (formatted once).
    pub(crate) fn good_source(&self) -> &str {
        self.good_source.get_or_init(|| {
            format!(
                "CRL{} of {} (thisUpdate {}, {} entries)",
                self.crl_number()
                    .map(|n| format!(" #{}", serial_hex(n)))
                    .unwrap_or_default(),
                self.issuer(),
                crate::rejection::rfc3339(&self.this_update()),
                self.len()
            )
        })
    }

    /// Whether `serial` (big-endian, leading zeros ignored) is listed. O(log n), decodes nothing.
    pub fn contains(&self, serial: &[u8]) -> bool {
        self.find(strip_zeros(serial)).is_some()
    }

    fn find(&self, magnitude: &[u8]) -> Option<u32> {
        match short_key(magnitude) {
            Some(k) => {
                let i = self.index.keys.binary_search(&k).ok()?;
                self.index.offsets.get(i).copied()
            }
            None => {
                let i = self
                    .index
                    .long
                    .binary_search_by(|&off| {
                        cmp_serial(self.serial_at(off).unwrap_or_default(), magnitude)
                    })
                    .ok()?;
                self.index.long.get(i).copied()
            }
        }
    }

    /// Looks `serial` up (big-endian, leading zeros ignored) and decodes the entry on a hit.
    pub fn lookup(&self, serial: &[u8]) -> Result<Option<RevokedEntry>, Error> {
        match self.find(strip_zeros(serial)) {
            Some(offset) => self.decode_entry(offset).map(Some),
            None => Ok(None),
        }
    }

    /// Checks that `issuer` signed this CRL: the algorithm is allowed, the issuer may sign CRLs,
    /// and the signature verifies. The result is remembered per issuer certificate.
    pub fn verify_signature(
        &self,
        issuer: &Certificate,
        allow_sha1: bool,
    ) -> Result<(), UnknownReason> {
        match &self.signature_algorithm {
            SignatureAlgorithm::RsaPkcs1Sha1 if !allow_sha1 => {
                return Err(UnknownReason::CrlAlgorithmNotAllowed(
                    self.signature_algorithm.to_string(),
                ));
            }
            SignatureAlgorithm::Other(_) => {
                return Err(UnknownReason::CrlAlgorithmNotAllowed(
                    self.signature_algorithm.to_string(),
                ));
            }
            _ => {}
        }
        if self.tbs_signature_algorithm != self.signature_algorithm {
            return Err(UnknownReason::CrlBadSignature);
        }
        if !issuer.key_usage().is_some_and(|ku| ku.crl_sign()) {
            return Err(UnknownReason::CrlIssuerNotAuthorized);
        }
        // Read-locked on the hot path (many threads verify at once); written once per issuer.
        let cached = self
            .checked
            .read()
            .ok()
            .and_then(|c| c.iter().find(|(c, _)| c == issuer).map(|(_, ok)| *ok));
        let ok = match cached {
            Some(ok) => ok,
            None => {
                let ok = self.signature_verifies(issuer);
                if let Ok(mut c) = self.checked.write() {
                    c.push((issuer.clone(), ok));
                }
                ok
            }
        };
        if ok {
            Ok(())
        } else {
            Err(UnknownReason::CrlBadSignature)
        }
    }

    fn signature_verifies(&self, issuer: &Certificate) -> bool {
        let Some(hash) = self.signature_algorithm.hash() else {
            return false;
        };
        match issuer.public_key() {
            PublicKey::Rsa(k) => k.verify_message(
                hash,
                &self.der[self.tbs.clone()],
                &self.der[self.signature.clone()],
            ),
            PublicKey::Other(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_order() {
        assert_eq!(short_key(&[]), Some(0));
        assert_eq!(short_key(&[1, 2]), Some(0x0102));
        assert_eq!(short_key(&[0xFF; 8]), Some(u64::MAX));
        assert_eq!(short_key(&[1; 9]), None);
        assert_eq!(cmp_serial(&[2], &[1, 0]), Ordering::Less);
        assert_eq!(cmp_serial(&[1, 1], &[1, 0]), Ordering::Greater);
    }

    #[test]
    fn garbage_is_an_error() {
        for bad in [
            &[][..],
            &[0x30, 0x00],
            &[0x30, 0x03, 0x30, 0x01, 0x00],
            b"xyz",
        ] {
            assert!(Crl::from_der(bad).is_err(), "{bad:?}");
        }
    }
}
