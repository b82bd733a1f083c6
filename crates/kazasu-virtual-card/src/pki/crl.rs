//! X.509 v2 CRLs signed by a test PKI root.
//!
//! The `revokedCertificates` list is written straight into one buffer, entry by entry, so a CRL
//! with a million entries costs about one pass over ~40 MB plus one RSA signature; nothing builds a
//! million `x509-cert` structures. [`GeneratedRevocations`] produces entries on the fly so
//! benchmarks need not allocate the list first.

use der::Encode;
use der::asn1::{OctetString, Uint};
use der::oid::db::rfc5280;
use rsa::PrivateKey;
use time::{Duration, OffsetDateTime};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, CrlNumber, CrlReason};

use super::PkiError;
use super::cert::{
    KeyChoice, SignatureAlgorithm, assemble_signed, extension, push_len, push_time,
    push_unsigned_integer, tlv, utc,
};
use super::persona::splitmix64;

/// One revoked certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevokedEntry {
    /// The certificate serial, unsigned big-endian.
    pub serial: Vec<u8>,
    /// When it was revoked.
    pub revocation_date: OffsetDateTime,
    /// The `reasonCode` entry extension, if any.
    pub reason: Option<CrlReason>,
}

impl RevokedEntry {
    /// An entry for a numeric serial, without a reason code.
    pub fn new(serial: u64, revocation_date: OffsetDateTime) -> Self {
        Self::from_bytes(&serial.to_be_bytes(), revocation_date)
    }

    /// An entry for a serial given as unsigned big-endian bytes (e.g. [`super::HolderCredentials::auth_serial`]).
    pub fn from_bytes(serial: &[u8], revocation_date: OffsetDateTime) -> Self {
        Self {
            serial: serial.to_vec(),
            revocation_date,
            reason: None,
        }
    }

    /// Adds a reason code.
    #[must_use]
    pub fn with_reason(mut self, reason: CrlReason) -> Self {
        self.reason = Some(reason);
        self
    }
}

/// Entries generated on the fly: serials `first_serial`, `first_serial + 1`, … (`count` of them),
/// each with a revocation date up to 400 days before `thisUpdate` and a reason code (or none),
/// both derived from `seed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GeneratedRevocations {
    /// Number of entries.
    pub count: usize,
    /// Serial of the first entry.
    pub first_serial: u64,
    /// Seed of the dates and reasons.
    pub seed: u64,
}

/// What a CRL contains and how it is signed.
#[derive(Clone, Debug)]
pub struct CrlSpec {
    /// `thisUpdate`.
    pub this_update: OffsetDateTime,
    /// `nextUpdate` (`None` omits it).
    pub next_update: Option<OffsetDateTime>,
    /// The `cRLNumber` extension value.
    pub crl_number: u64,
    /// Explicit entries, written first.
    pub revoked: Vec<RevokedEntry>,
    /// Generated entries, written after the explicit ones.
    pub generated: Option<GeneratedRevocations>,
    /// Signature algorithm (named in both places and used to sign).
    pub signature_algorithm: SignatureAlgorithm,
    /// If set, this key signs instead of the root's (issuer name and AKI still claim the root).
    pub sign_with: Option<KeyChoice>,
    /// Flip one bit of the signature after signing.
    pub corrupt_signature: bool,
}

impl Default for CrlSpec {
    /// An empty CRL for 2025-06-01T00:00:00Z .. 2025-06-02T00:00:00Z, CRL number 1.
    fn default() -> Self {
        Self {
            this_update: utc(2025, 6, 1, 0, 0, 0),
            next_update: Some(utc(2025, 6, 2, 0, 0, 0)),
            crl_number: 1,
            revoked: Vec::new(),
            generated: None,
            signature_algorithm: SignatureAlgorithm::Sha256WithRsa,
            sign_with: None,
            corrupt_signature: false,
        }
    }
}

impl CrlSpec {
    /// An empty CRL current at `at`: `thisUpdate = at − 1 h`, `nextUpdate = at + 23 h`.
    pub fn valid_at(at: OffsetDateTime) -> Self {
        Self {
            this_update: at - Duration::hours(1),
            next_update: Some(at + Duration::hours(23)),
            ..Self::default()
        }
    }

    /// An empty CRL already stale at `at`: `thisUpdate = at − 2 days`, `nextUpdate = at − 1 day`.
    pub fn expired_at(at: OffsetDateTime) -> Self {
        Self {
            this_update: at - Duration::days(2),
            next_update: Some(at - Duration::days(1)),
            ..Self::default()
        }
    }

    /// Adds an explicit entry.
    #[must_use]
    pub fn revoke(mut self, entry: RevokedEntry) -> Self {
        self.revoked.push(entry);
        self
    }

    /// Total number of entries the CRL will list.
    pub fn entry_count(&self) -> usize {
        self.revoked.len() + self.generated.map_or(0, |g| g.count)
    }
}

const GENERATED_REASONS: [Option<CrlReason>; 6] = [
    None,
    Some(CrlReason::KeyCompromise),
    Some(CrlReason::AffiliationChanged),
    Some(CrlReason::Superseded),
    Some(CrlReason::CessationOfOperation),
    None,
];

/// Builds and signs a CRL. `issuer_name` is the DER of the root subject, `key_id` its key identifier.
pub(super) fn build_crl(
    issuer_name: &[u8],
    key_id: &[u8],
    key: &PrivateKey,
    spec: &CrlSpec,
) -> Result<Vec<u8>, PkiError> {
    build_crl_with(issuer_name, key_id, key, spec, &[])
}

/// [`build_crl`] with further CRL extensions after the cRLNumber (the HPKI ARLs' issuingDistributionPoint).
pub(super) fn build_crl_with(
    issuer_name: &[u8],
    key_id: &[u8],
    key: &PrivateKey,
    spec: &CrlSpec,
    extra_extensions: &[Extension],
) -> Result<Vec<u8>, PkiError> {
    let algorithm = spec.signature_algorithm.algorithm_identifier_der()?;

    // revokedCertificates, streamed.
    let mut entries = Vec::with_capacity(spec.entry_count().saturating_mul(40));
    for e in &spec.revoked {
        push_entry(&mut entries, &e.serial, e.revocation_date, e.reason)?;
    }
    if let Some(g) = spec.generated {
        const WINDOW: i64 = 400 * 86_400;
        let base = spec.this_update - Duration::seconds(1);
        for i in 0..g.count {
            let index = i as u64;
            let mut state = g.seed ^ index.wrapping_mul(0xD6E8_FEB8_6659_FD93);
            let h = splitmix64(&mut state);
            let back = i64::try_from(h % WINDOW as u64).unwrap_or(0);
            let reason = GENERATED_REASONS[usize::try_from((h >> 40) % 6).unwrap_or(0)];
            let serial = u128::from(g.first_serial) + u128::from(index);
            push_entry(
                &mut entries,
                &serial.to_be_bytes(),
                base - Duration::seconds(back),
                reason,
            )?;
        }
    }

    let mut extensions = vec![
        extension(
            rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER,
            false,
            &AuthorityKeyIdentifier {
                key_identifier: Some(OctetString::new(key_id)?),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            },
        )?,
        extension(
            rfc5280::ID_CE_CRL_NUMBER,
            false,
            &CrlNumber(Uint::new(&spec.crl_number.to_be_bytes())?),
        )?,
    ];
    extensions.extend_from_slice(extra_extensions);
    let extensions = tlv(0xA0, &extensions.to_der()?);

    let mut head = Vec::with_capacity(256);
    head.extend_from_slice(&[0x02, 0x01, 0x01]); // Version v2
    head.extend_from_slice(&algorithm);
    head.extend_from_slice(issuer_name);
    push_time(&mut head, spec.this_update)?;
    if let Some(next) = spec.next_update {
        push_time(&mut head, next)?;
    }
    let mut list_header = Vec::with_capacity(6);
    if !entries.is_empty() {
        list_header.push(0x30);
        push_len(&mut list_header, entries.len());
    }
    let body_len = head.len() + list_header.len() + entries.len() + extensions.len();
    let mut tbs = Vec::with_capacity(body_len + 6);
    tbs.push(0x30);
    push_len(&mut tbs, body_len);
    tbs.extend_from_slice(&head);
    tbs.extend_from_slice(&list_header);
    tbs.extend_from_slice(&entries);
    drop(entries);
    tbs.extend_from_slice(&extensions);

    let signing_key = match spec.sign_with {
        Some(k) => Some(k.load()?),
        None => None,
    };
    let signature = spec
        .signature_algorithm
        .sign(signing_key.as_ref().unwrap_or(key), &tbs)?;
    assemble_signed(
        &tbs,
        spec.signature_algorithm.algorithm_identifier(),
        signature,
        spec.corrupt_signature,
    )
}

/// Appends one `SEQUENCE { userCertificate, revocationDate, [crlEntryExtensions] }`.
fn push_entry(
    out: &mut Vec<u8>,
    serial: &[u8],
    date: OffsetDateTime,
    reason: Option<CrlReason>,
) -> Result<(), PkiError> {
    // Write the content after a one-byte length placeholder and patch it; entries longer than
    // 127 bytes (only possible with very long explicit serials) get their long-form length spliced in.
    out.extend_from_slice(&[0x30, 0x00]);
    let start = out.len();
    push_unsigned_integer(out, serial);
    push_time(out, date)?;
    if let Some(r) = reason {
        // Extensions ::= SEQUENCE { Extension { id-ce-cRLReasons, OCTET STRING { ENUMERATED r } } }
        let code = u8::try_from(r as u32).unwrap_or(0);
        out.extend_from_slice(&[
            0x30, 0x0C, 0x30, 0x0A, 0x06, 0x03, 0x55, 0x1D, 0x15, 0x04, 0x03, 0x0A, 0x01, code,
        ]);
    }
    let len = out.len() - start;
    match u8::try_from(len) {
        Ok(short) if short < 0x80 => out[start - 1] = short,
        _ => {
            let mut long = Vec::with_capacity(9);
            push_len(&mut long, len);
            out.splice(start - 1..start, long);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Decode;
    use x509_cert::crl::CertificateList;

    #[test]
    fn reason_extension_bytes_match_x509_cert() {
        let ext = extension(rfc5280::ID_CE_CRL_REASONS, false, &CrlReason::Superseded).unwrap();
        let der = vec![ext].to_der().unwrap();
        assert_eq!(
            der,
            [
                0x30, 0x0C, 0x30, 0x0A, 0x06, 0x03, 0x55, 0x1D, 0x15, 0x04, 0x03, 0x0A, 0x01, 4
            ]
        );
    }

    #[test]
    fn entries_decode() {
        let key = super::super::fixture_key(0).unwrap();
        let spec = CrlSpec {
            generated: Some(GeneratedRevocations {
                count: 50,
                first_serial: u64::MAX - 10,
                seed: 7,
            }),
            ..CrlSpec::default()
        }
        .revoke(
            RevokedEntry::new(0x80, utc(2025, 5, 1, 0, 0, 0)).with_reason(CrlReason::KeyCompromise),
        )
        .revoke(RevokedEntry::from_bytes(&[], utc(2025, 5, 2, 0, 0, 0)));
        let name =
            super::super::cert::DistinguishedName::jpki_root(super::super::Purpose::Authentication)
                .to_der()
                .unwrap();
        let der = build_crl(&name, &[1, 2, 3], &key, &spec).unwrap();
        let crl: CertificateList = CertificateList::from_der(&der).unwrap();
        let revoked = crl.tbs_cert_list.revoked_certificates.unwrap();
        assert_eq!(revoked.len(), 52);
        assert_eq!(revoked[0].serial_number.as_bytes(), [0x00, 0x80]);
        assert_eq!(
            revoked[0].crl_entry_extensions.as_ref().unwrap()[0].extn_id,
            rfc5280::ID_CE_CRL_REASONS
        );
        assert_eq!(revoked[1].serial_number.as_bytes(), [0x00]);
        // u64::MAX - 10 + 49 overflows u64: encoded as a 9-byte magnitude.
        assert_eq!(
            revoked[51].serial_number.as_bytes(),
            &(u128::from(u64::MAX) + 39).to_be_bytes()[7..]
        );
    }

    #[test]
    fn long_entries_get_long_form_lengths() {
        // A 130-byte serial (far beyond RFC 5280's 20 octets) makes the entry longer than 127 bytes.
        let mut out = Vec::new();
        push_entry(&mut out, &[0x42; 130], utc(2025, 5, 3, 0, 0, 0), None).unwrap();
        let any = der::Any::from_der(&out).unwrap();
        assert_eq!(&out[..3], &[0x30, 0x81, 133 + 15]);
        let value = any.value();
        let int = der::asn1::Uint::from_der(&value[..133]).unwrap();
        assert_eq!(int.as_bytes(), [0x42; 130]);
        assert_eq!(&value[133..], b"\x17\x0d250503000000Z");
    }
}
