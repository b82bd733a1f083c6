//! Verifying CAdES signatures: [`CmsVerifier`] and its [`SignatureReport`].

use std::sync::Arc;

use cms::signed_data::SignerInfo;
use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912;
use der::Encode;
use der::asn1::OctetString;
use kazasu_pki::{
    Certificate, CertificateKind, Crl, CrlSet, HpkiVerifier, Purpose, RevocationPolicy,
    RevocationSource, Verifier,
};
use kazasu_types::HashAlgorithm;
use serde::Serialize;
use time::OffsetDateTime;

use super::attributes::{hash_from_oid, single_value};
use super::{
    ID_AA_SIGNATURE_TIME_STAMP_TOKEN, ID_AA_SIGNING_CERTIFICATE, ID_AA_SIGNING_CERTIFICATE_V2,
    ID_CONTENT_TYPE, ID_MESSAGE_DIGEST, ID_SIGNING_TIME, ParsedSignedData,
    signing_certificate_v2_matches,
};
use crate::asn1::ess::SigningCertificateV2;
use crate::revocation::AnySource;
use crate::tsp::{TokenReport, verify_token};
use crate::{SignError, Verdict, overall};

/// Where the time a signature was checked at came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SigningTimeSource {
    /// A valid signature timestamp proves the signature existed then.
    Timestamp,
    /// The signer's own signingTime attribute: claimed, not proven.
    Claimed,
    /// Neither: the verification time (the caller's, or now).
    VerificationTime,
}

/// The time a signature was checked at, and where it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SigningTime {
    /// The time.
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// Its source.
    pub source: SigningTimeSource,
}

/// Who signed, as far as the certificate says.
#[derive(Clone, Debug, Default, Serialize)]
#[non_exhaustive]
pub struct SignerSummary {
    /// The certificate subject (RFC 4514).
    pub subject: String,
    /// The issuer (RFC 4514).
    pub issuer: String,
    /// The serial, hex.
    pub serial: String,
    /// `jpki_signature`, `hpki_holder`, … (see `kazasu_pki::CertificateKind`).
    pub kind: String,
    /// The name: a JPKI signature certificate's 氏名, an HPKI holder's kanji or romanized name.
    pub name: Option<String>,
    /// HPKI hcRoles (e.g. `Medical Doctor`), empty for JPKI.
    pub hc_roles: Vec<String>,
}

/// One verdict per part of a CAdES signature.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct SignatureReport {
    /// The CMS structure and the presence of what CAdES needs (signed attributes, content).
    pub structure: Verdict,
    /// The messageDigest attribute against the content.
    pub digest: Verdict,
    /// The signature over the signed attributes, with the signer certificate's key.
    pub signature: Verdict,
    /// The signer certificate: signingCertificateV2 names it, and its path and purpose validate at
    /// the signing time (JPKI signature purpose, or HPKI with its hcRole).
    pub signer_certificate: Verdict,
    /// The signature timestamp (`None`: the signature has none).
    pub timestamp: Option<Verdict>,
    /// Revocation of the signer's path at the signing time (embedded data first, then the caller's).
    pub revocation: Verdict,
    /// The time the signature was checked at.
    pub signing_time: Option<SigningTime>,
    /// The signer.
    pub signer: Option<SignerSummary>,
    /// The timestamp's details, when there is one.
    pub timestamp_token: Option<TokenReport>,
    /// `B-B`, `B-T` or `B-LT`: what the signature carries (B-T needs a valid timestamp, B-LT also
    /// embedded revocation data that answered).
    pub level: &'static str,
    /// Whether the content was inside the SignedData.
    pub attached: bool,
}

impl SignatureReport {
    fn unreadable(structure: Verdict) -> Self {
        let not_checked =
            || Verdict::Indeterminate("not checked: the structure is unusable".into());
        Self {
            structure,
            digest: not_checked(),
            signature: not_checked(),
            signer_certificate: not_checked(),
            timestamp: None,
            revocation: not_checked(),
            signing_time: None,
            signer: None,
            timestamp_token: None,
            level: "none",
            attached: false,
        }
    }

    /// The worst verdict of all parts.
    pub fn verdict(&self) -> Verdict {
        overall(
            [
                &self.structure,
                &self.digest,
                &self.signature,
                &self.signer_certificate,
                &self.revocation,
            ]
            .into_iter()
            .chain(self.timestamp.as_ref()),
        )
    }
}

/// The outcome of checking one SignerInfo against a certificate and content.
pub(crate) struct SignerCheck {
    pub(crate) digest: Verdict,
    pub(crate) signature: Verdict,
    pub(crate) certificate_reference: Verdict,
    pub(crate) claimed_time: Option<OffsetDateTime>,
}

/// Checks a SignerInfo: signed attributes present with contentType (equal to `content_type` when
/// given) and messageDigest (equal to the hash of `content`), the signature over their DER with
/// `cert_der`'s key, and — when `require_reference` — a signingCertificate(V2) naming `cert_der`.
pub(crate) fn check_signer_info(
    info: &SignerInfo,
    cert_der: &[u8],
    content: &[u8],
    content_type: Option<ObjectIdentifier>,
    require_reference: bool,
) -> SignerCheck {
    let mut check = SignerCheck {
        digest: Verdict::Valid,
        signature: Verdict::Valid,
        certificate_reference: Verdict::Valid,
        claimed_time: None,
    };
    let Some(hash) = hash_from_oid(&info.digest_alg) else {
        check.digest = Verdict::Invalid(format!(
            "unsupported digest algorithm {}",
            info.digest_alg.oid
        ));
        check.signature = Verdict::Indeterminate("digest algorithm unsupported".into());
        return check;
    };
    let Some(attrs) = &info.signed_attrs else {
        check.digest = Verdict::Invalid("no signed attributes (CAdES requires them)".into());
        check.signature = Verdict::Indeterminate("no signed attributes".into());
        check.certificate_reference = Verdict::Invalid("no signingCertificateV2".into());
        return check;
    };
    // messageDigest and contentType.
    check.digest = match single_value(attrs, ID_MESSAGE_DIGEST, "messageDigest") {
        Err(e) => Verdict::Invalid(e),
        Ok(None) => Verdict::Invalid("no messageDigest attribute".into()),
        Ok(Some(v)) => match v.decode_as::<OctetString>() {
            Err(e) => Verdict::Invalid(format!("messageDigest unreadable: {e}")),
            Ok(d) if d.as_bytes() == hash.digest(content).as_slice() => Verdict::Valid,
            Ok(_) => Verdict::Invalid("the content does not match messageDigest".into()),
        },
    };
    match single_value(attrs, ID_CONTENT_TYPE, "contentType") {
        Err(e) => check.digest = check.digest.clone().and(Verdict::Invalid(e)),
        Ok(None) => {
            check.digest = check
                .digest
                .clone()
                .and(Verdict::Invalid("no contentType attribute".into()))
        }
        Ok(Some(v)) => match (v.decode_as::<ObjectIdentifier>(), content_type) {
            (Err(e), _) => {
                check.digest = check
                    .digest
                    .clone()
                    .and(Verdict::Invalid(format!("contentType unreadable: {e}")))
            }
            (Ok(found), Some(expected)) if found != expected => {
                check.digest = check.digest.clone().and(Verdict::Invalid(format!(
                    "contentType {found} is not the eContentType {expected}"
                )))
            }
            _ => {}
        },
    }
    if let Ok(Some(v)) = single_value(attrs, ID_SIGNING_TIME, "signingTime")
        && let Ok(t) = v.decode_as::<x509_cert::time::Time>()
    {
        let system = t.to_system_time();
        check.claimed_time = Some(OffsetDateTime::from(system));
    }
    // The signature.
    check.signature = match signature_hash(&info.signature_algorithm, hash) {
        Err(e) => Verdict::Invalid(e),
        Ok(sig_hash) => match (attrs.to_der(), Certificate::from_der(cert_der)) {
            (Err(e), _) => Verdict::Invalid(format!("signed attributes cannot be encoded: {e}")),
            (_, Err(e)) => Verdict::Indeterminate(format!("signer certificate unreadable: {e}")),
            (Ok(signed), Ok(cert)) => {
                match cert.verify_message(sig_hash, &signed, info.signature.as_bytes()) {
                    Ok(()) => Verdict::Valid,
                    Err(r) => Verdict::Invalid(format!("the signature does not verify: {r}")),
                }
            }
        },
    };
    // signingCertificateV2 (or the SHA-1 signingCertificate some TSAs still write).
    if require_reference {
        check.certificate_reference =
            match single_value(attrs, ID_AA_SIGNING_CERTIFICATE_V2, "signingCertificateV2") {
                Err(e) => Verdict::Invalid(e),
                Ok(Some(v)) => match v.decode_as::<SigningCertificateV2>() {
                    Err(e) => Verdict::Invalid(format!("signingCertificateV2 unreadable: {e}")),
                    Ok(sc) => match signing_certificate_v2_matches(&sc, cert_der) {
                        Ok(()) => Verdict::Valid,
                        Err(e) => Verdict::Invalid(e),
                    },
                },
                Ok(None) => match single_value(
                    attrs,
                    ID_AA_SIGNING_CERTIFICATE,
                    "signingCertificate",
                ) {
                    Ok(Some(v)) => ess_v1_matches(v, cert_der),
                    Ok(None) => Verdict::Invalid(
                        "no signingCertificateV2 attribute: the signer certificate is not bound"
                            .into(),
                    ),
                    Err(e) => Verdict::Invalid(e),
                },
            };
    }
    check
}

/// `signingCertificate` (RFC 2634): SEQUENCE { certs SEQUENCE OF ESSCertID { certHash (SHA-1),
/// issuerSerial OPTIONAL } … }: only the hash of the first is compared.
fn ess_v1_matches(value: &der::Any, cert_der: &[u8]) -> Verdict {
    use sha1::Digest;
    #[derive(der::Sequence)]
    struct EssCertId {
        cert_hash: OctetString,
        #[asn1(optional = "true")]
        issuer_serial: Option<der::Any>,
    }
    #[derive(der::Sequence)]
    struct SigningCertificate {
        certs: Vec<EssCertId>,
        #[asn1(optional = "true")]
        policies: Option<der::Any>,
    }
    match value.decode_as::<SigningCertificate>() {
        Err(e) => Verdict::Invalid(format!("signingCertificate unreadable: {e}")),
        Ok(sc) => match sc.certs.first() {
            Some(id) if id.cert_hash.as_bytes() == sha1::Sha1::digest(cert_der).as_slice() => {
                Verdict::Valid
            }
            _ => Verdict::Invalid("signingCertificate names another certificate".into()),
        },
    }
}

/// The hash a SignerInfo's signatureAlgorithm signs with: rsaEncryption takes the digest
/// algorithm's; shaNWithRSAEncryption must agree with it.
fn signature_hash(
    alg: &x509_cert::spki::AlgorithmIdentifierOwned,
    digest: HashAlgorithm,
) -> Result<HashAlgorithm, String> {
    let named = match alg.oid {
        o if o == rfc5912::RSA_ENCRYPTION => return Ok(digest),
        o if o == rfc5912::SHA_256_WITH_RSA_ENCRYPTION => HashAlgorithm::Sha256,
        o if o == rfc5912::SHA_384_WITH_RSA_ENCRYPTION => HashAlgorithm::Sha384,
        o if o == rfc5912::SHA_512_WITH_RSA_ENCRYPTION => HashAlgorithm::Sha512,
        o => return Err(format!("unsupported signature algorithm {o}")),
    };
    if named != digest {
        return Err(format!(
            "signature algorithm hashes with {named} but the digest algorithm is {digest}"
        ));
    }
    Ok(named)
}

/// Verifies CAdES signatures against JPKI and HPKI trust, a TSA trust, and revocation data.
///
/// Built with no trust at all, every signer certificate is INDETERMINATE: add the J-LIS roots
/// ([`CmsVerifier::with_jpki`]), the HPKI root ([`CmsVerifier::with_hpki`]) and TSA anchors
/// ([`CmsVerifier::with_tsa`]) as the application trusts them.
#[derive(Clone, Default)]
pub struct CmsVerifier {
    jpki: Option<Verifier>,
    hpki: Option<HpkiVerifier>,
    tsa: Option<Verifier>,
    crls: Option<Arc<CrlSet>>,
    sources: Vec<Arc<dyn RevocationSource>>,
    at: Option<OffsetDateTime>,
    embedded: bool,
    intermediates: Vec<Certificate>,
}

impl std::fmt::Debug for CmsVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CmsVerifier")
            .field("jpki", &self.jpki.is_some())
            .field("hpki", &self.hpki.is_some())
            .field("tsa", &self.tsa.is_some())
            .field("crls", &self.crls.as_ref().map(|c| c.len()))
            .field("sources", &self.sources.len())
            .field("at", &self.at)
            .field("embedded", &self.embedded)
            .field("intermediates", &self.intermediates.len())
            .finish()
    }
}

impl CmsVerifier {
    /// No trust anchors; embedded validation data used.
    pub fn new() -> Self {
        Self {
            embedded: true,
            ..Self::default()
        }
    }

    /// Trusts JPKI signature certificates through `verifier`'s anchors (e.g. `Verifier::jlis()`).
    /// Its revocation source is replaced by the embedded data and the caller's sources.
    #[must_use]
    pub fn with_jpki(mut self, verifier: Verifier) -> Self {
        self.jpki = Some(verifier);
        self
    }

    /// Trusts HPKI holders through `verifier` (e.g. `HpkiVerifier::new()`, the MHLW root).
    #[must_use]
    pub fn with_hpki(mut self, verifier: HpkiVerifier) -> Self {
        self.hpki = Some(verifier);
        self
    }

    /// Trusts TSA certificates chaining to `anchors` (validated for [`Purpose::TimeStamping`] at
    /// genTime; TSA revocation is not checked).
    #[must_use]
    pub fn with_tsa(mut self, anchors: impl IntoIterator<Item = Certificate>) -> Self {
        let mut store = kazasu_pki::TrustStore::new();
        for a in anchors {
            store.add_for(a, [Purpose::TimeStamping]);
        }
        let mut options = kazasu_pki::VerifierOptions::default();
        options.revocation = RevocationPolicy::Off;
        self.tsa = Some(Verifier::new(store).with_options(options));
        self
    }

    /// The caller's CRLs (asked after the embedded ones), shared: a national-scale CRL is
    /// parsed and indexed once.
    #[must_use]
    pub fn with_crls(mut self, crls: Arc<CrlSet>) -> Self {
        self.crls = Some(crls);
        self
    }

    /// Adds a revocation source (e.g. OCSP over HTTP).
    #[must_use]
    pub fn with_revocation_source(mut self, source: Arc<dyn RevocationSource>) -> Self {
        self.sources.push(source);
        self
    }

    /// Checks at `at` when the signature proves no time (no valid timestamp, no signingTime),
    /// instead of now.
    #[must_use]
    pub fn at(mut self, at: OffsetDateTime) -> Self {
        self.at = Some(at);
        self
    }

    /// CA certificates to build paths with when a signature does not carry them (e.g. the HPKI
    /// signature CA of a card that holds only the holder certificate).
    #[must_use]
    pub fn with_intermediates(mut self, cas: impl IntoIterator<Item = Certificate>) -> Self {
        self.intermediates.extend(cas);
        self
    }

    /// Ignores validation data embedded in signatures (to prove a check needs the caller's).
    #[must_use]
    pub fn ignore_embedded_validation_data(mut self) -> Self {
        self.embedded = false;
        self
    }

    /// Verifies a CMS signature with exactly one signer. `detached_content` is required when the
    /// content is not inside; when both are present they must be equal.
    pub fn verify(&self, cms: &[u8], detached_content: Option<&[u8]>) -> SignatureReport {
        let parsed = match ParsedSignedData::from_der(cms) {
            Ok(p) => p,
            Err(e) => return SignatureReport::unreadable(Verdict::Invalid(e.to_string())),
        };
        let mut infos = parsed.signer_infos();
        let info = match (infos.next(), infos.next()) {
            (Some(i), None) => i,
            (None, _) => {
                return SignatureReport::unreadable(Verdict::Invalid("no SignerInfo".into()));
            }
            (Some(_), Some(_)) => {
                return SignatureReport::unreadable(Verdict::Invalid(
                    "several SignerInfos: use verify_all".into(),
                ));
            }
        };
        self.verify_signer(&parsed, info, detached_content)
    }

    /// Verifies every SignerInfo of a CMS signature.
    pub fn verify_all(
        &self,
        cms: &[u8],
        detached_content: Option<&[u8]>,
    ) -> Result<Vec<SignatureReport>, SignError> {
        let parsed = ParsedSignedData::from_der(cms)?;
        Ok(parsed
            .signer_infos()
            .map(|i| self.verify_signer(&parsed, i, detached_content))
            .collect())
    }

    fn verify_signer(
        &self,
        parsed: &ParsedSignedData,
        info: &SignerInfo,
        detached: Option<&[u8]>,
    ) -> SignatureReport {
        let attached = parsed.content.is_some();
        let content = match (parsed.content.as_deref(), detached) {
            (Some(a), Some(d)) if a != d => {
                return SignatureReport::unreadable(Verdict::Invalid(
                    "the attached content differs from the content given".into(),
                ));
            }
            (Some(a), _) => a,
            (None, Some(d)) => d,
            (None, None) => {
                return SignatureReport::unreadable(Verdict::Indeterminate(
                    "a detached signature: the signed content is needed".into(),
                ));
            }
        };
        let mut report = SignatureReport::unreadable(Verdict::Valid);
        report.attached = attached;
        let Some(cert_der) = parsed.signer_certificate(info).map(<[u8]>::to_vec) else {
            report.signer_certificate =
                Verdict::Indeterminate("the signer certificate is not included".into());
            return report;
        };
        let econtent_type = parsed.signed_data.encap_content_info.econtent_type;
        let check = check_signer_info(info, &cert_der, content, Some(econtent_type), true);
        report.digest = check.digest;
        report.signature = check.signature;

        // The signature timestamp, over the signature value.
        let token = info.unsigned_attrs.as_ref().map(|attrs| {
            single_value(
                attrs,
                ID_AA_SIGNATURE_TIME_STAMP_TOKEN,
                "signatureTimeStampToken",
            )
        });
        let mut proven = None;
        match token {
            None | Some(Ok(None)) => {}
            Some(Err(e)) => report.timestamp = Some(Verdict::Invalid(e)),
            Some(Ok(Some(any))) => match any.to_der() {
                Err(e) => report.timestamp = Some(Verdict::Invalid(e.to_string())),
                Ok(token) => {
                    let t = verify_token(
                        &token,
                        info.signature.as_bytes(),
                        self.tsa.as_ref(),
                        &parsed.certificates,
                    );
                    if t.verdict.is_valid() {
                        proven = t.gen_time;
                    }
                    report.timestamp = Some(t.verdict.clone());
                    report.timestamp_token = Some(t);
                }
            },
        }
        let signing_time = match (proven, check.claimed_time) {
            (Some(t), _) => SigningTime {
                time: t,
                source: SigningTimeSource::Timestamp,
            },
            (None, Some(t)) => SigningTime {
                time: t,
                source: SigningTimeSource::Claimed,
            },
            (None, None) => SigningTime {
                time: self.at.unwrap_or_else(OffsetDateTime::now_utc),
                source: SigningTimeSource::VerificationTime,
            },
        };
        report.signing_time = Some(signing_time);

        let cert = match Certificate::from_der(&cert_der) {
            Ok(c) => c,
            Err(e) => {
                report.signer_certificate = Verdict::Invalid(format!("unreadable: {e}"));
                return report;
            }
        };
        let mut summary = SignerSummary {
            subject: cert.subject().to_owned(),
            issuer: cert.issuer().to_owned(),
            serial: cert.serial_hex(),
            kind: kind_name(cert.kind()).to_owned(),
            ..SignerSummary::default()
        };
        let intermediates: Vec<Certificate> = parsed
            .certificates
            .iter()
            .filter(|d| **d != cert_der)
            .filter_map(|d| Certificate::from_der(d).ok())
            .chain(self.intermediates.iter().cloned())
            .collect();
        let revocation = self.revocation_sources(parsed);
        let (path, rev) = self.check_path(
            &cert,
            &intermediates,
            signing_time.time,
            &revocation,
            &mut summary,
        );
        report.signer_certificate = check.certificate_reference.and(path);
        report.revocation = rev;
        report.signer = Some(summary);
        let embedded = !parsed.crls.is_empty() || !parsed.ocsp_responses.is_empty();
        report.level = match (&report.timestamp, embedded && report.revocation.is_valid()) {
            (Some(Verdict::Valid), true) => "B-LT",
            (Some(Verdict::Valid), false) => "B-T",
            _ => "B-B",
        };
        report
    }

    fn revocation_sources(&self, parsed: &ParsedSignedData) -> AnySource {
        let mut crls = CrlSet::new();
        let mut ocsp = Vec::new();
        if self.embedded {
            for der in &parsed.crls {
                if let Ok(crl) = Crl::from_der(der) {
                    crls.add(crl);
                }
            }
            ocsp.extend(parsed.ocsp_responses.iter().cloned());
        }
        AnySource::new(crls, ocsp, self.crls.clone(), self.sources.clone())
    }

    /// The path verdict (revocation off) and the revocation verdict (required), at `at`.
    fn check_path(
        &self,
        cert: &Certificate,
        intermediates: &[Certificate],
        at: OffsetDateTime,
        revocation: &AnySource,
        summary: &mut SignerSummary,
    ) -> (Verdict, Verdict) {
        let rev_not_checked =
            || Verdict::Indeterminate("not checked: the path is not valid".into());
        match cert.kind() {
            CertificateKind::JpkiSignature => {
                let Some(base) = &self.jpki else {
                    return (
                        Verdict::Indeterminate(
                            "JPKI signer, but no JPKI trust anchors configured".into(),
                        ),
                        rev_not_checked(),
                    );
                };
                if let Ok(Some(p)) = cert.personal_data() {
                    summary.name = Some(p.name);
                }
                let path = with_policy(base, RevocationPolicy::Off, None).validate_with(
                    cert,
                    intermediates,
                    Purpose::Signature,
                    at,
                );
                match path {
                    Err(r) => (
                        crate::tsp::rejection_verdict("signer certificate", &r),
                        rev_not_checked(),
                    ),
                    Ok(_) => {
                        let rev = with_policy(base, RevocationPolicy::Required, Some(revocation))
                            .validate_with(cert, intermediates, Purpose::Signature, at);
                        (
                            Verdict::Valid,
                            match rev {
                                Ok(_) => Verdict::Valid,
                                Err(r) => crate::tsp::rejection_verdict("revocation", &r),
                            },
                        )
                    }
                }
            }
            CertificateKind::JpkiAuthentication => (
                Verdict::Invalid(
                    "a JPKI authentication certificate identifies; it cannot sign documents".into(),
                ),
                rev_not_checked(),
            ),
            CertificateKind::HpkiHolder => {
                let Some(base) = &self.hpki else {
                    return (
                        Verdict::Indeterminate(
                            "HPKI signer, but no HPKI trust anchors configured".into(),
                        ),
                        rev_not_checked(),
                    );
                };
                let off = hpki_with_policy(base, RevocationPolicy::Off, None);
                match off.verify_qualification(cert, intermediates, at, &[]) {
                    Err(r) => (qualification_verdict(&r), rev_not_checked()),
                    Ok(q) => {
                        summary.hc_roles = q.roles.iter().map(|r| r.as_str().to_owned()).collect();
                        summary.name = q.name_kanji.or(q.name_romanized);
                        if q.purpose != Purpose::HpkiSignature {
                            return (
                                Verdict::Invalid(
                                    "an HPKI authentication certificate cannot sign documents (no nonRepudiation)".into(),
                                ),
                                rev_not_checked(),
                            );
                        }
                        let on =
                            hpki_with_policy(base, RevocationPolicy::Required, Some(revocation));
                        (
                            Verdict::Valid,
                            match on.verify_qualification(cert, intermediates, at, &[]) {
                                Ok(_) => Verdict::Valid,
                                Err(r) => qualification_verdict(&r),
                            },
                        )
                    }
                }
            }
            other => (
                Verdict::Indeterminate(format!(
                    "the signer certificate is neither a JPKI signature nor an HPKI certificate ({})",
                    kind_name(other)
                )),
                rev_not_checked(),
            ),
        }
    }
}

fn with_policy(base: &Verifier, policy: RevocationPolicy, source: Option<&AnySource>) -> Verifier {
    let mut options = base.options().clone();
    options.revocation = policy;
    let v = base.clone().with_options(options);
    match source {
        Some(s) => v.with_revocation(s.clone()),
        None => v,
    }
}

fn hpki_with_policy(
    base: &HpkiVerifier,
    policy: RevocationPolicy,
    source: Option<&AnySource>,
) -> HpkiVerifier {
    let mut options = base.verifier().options().clone();
    options.revocation = policy;
    let v = base.clone().with_options(options);
    match source {
        Some(s) => v.with_revocation(s.clone()),
        None => v,
    }
}

fn qualification_verdict(r: &kazasu_pki::QualificationRejection) -> Verdict {
    use kazasu_pki::QualificationRejection as Q;
    match r {
        Q::Untrusted(inner) => crate::tsp::rejection_verdict("signer certificate", inner),
        Q::RevocationUnknown { .. } => Verdict::Indeterminate(format!("signer certificate: {r}")),
        _ => Verdict::Invalid(format!("signer certificate: {r}")),
    }
}

fn kind_name(kind: CertificateKind) -> &'static str {
    match kind {
        CertificateKind::JpkiAuthentication => "jpki_authentication",
        CertificateKind::JpkiSignature => "jpki_signature",
        CertificateKind::JpkiCa => "jpki_ca",
        CertificateKind::HpkiHolder => "hpki_holder",
        CertificateKind::HpkiCa => "hpki_ca",
        _ => "other",
    }
}
