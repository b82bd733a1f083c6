//! Revocation: the [`RevocationSource`] trait and [`CrlSet`], its CRL implementation.
//!
//! A source answers one question — is this certificate, issued by that CA, revoked at time t? — so
//! OCSP or a database of revoked serials can be added later without changing callers.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::Certificate;
use crate::crl::{Crl, RevokedEntry};
use crate::rejection::UnknownReason;

/// What a [`RevocationSource`] is asked.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct RevocationQuery<'a> {
    /// The certificate whose status is wanted.
    pub certificate: &'a Certificate,
    /// Its issuer, already validated (the signer of CRLs or OCSP responses to accept).
    pub issuer: &'a Certificate,
    /// The verification time.
    pub at: OffsetDateTime,
    /// Whether SHA-1 signatures (on CRLs, responses) are acceptable.
    pub allow_sha1: bool,
}

impl<'a> RevocationQuery<'a> {
    /// A query with SHA-1 refused.
    pub fn new(certificate: &'a Certificate, issuer: &'a Certificate, at: OffsetDateTime) -> Self {
        Self {
            certificate,
            issuer,
            at,
            allow_sha1: false,
        }
    }
}

/// The answer of a [`RevocationSource`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevocationStatus {
    /// Not revoked according to a current, authentic source.
    Good {
        /// Which source said so (e.g. "CRL #5 of …, thisUpdate …").
        source: String,
    },
    /// Revoked.
    Revoked(RevokedEntry),
    /// Could not be established.
    Unknown(UnknownReason),
}

/// Something that knows whether certificates are revoked: CRLs, later OCSP or a database.
pub trait RevocationSource: Send + Sync {
    /// The status of `query.certificate` at `query.at`.
    fn status(&self, query: &RevocationQuery<'_>) -> RevocationStatus;
}

impl<T: RevocationSource + ?Sized> RevocationSource for Arc<T> {
    fn status(&self, query: &RevocationQuery<'_>) -> RevocationStatus {
        (**self).status(query)
    }
}

impl<T: RevocationSource + ?Sized> RevocationSource for &T {
    fn status(&self, query: &RevocationQuery<'_>) -> RevocationStatus {
        (**self).status(query)
    }
}

/// A set of CRLs, possibly of several CAs and generations. For each query it picks the CRLs that
/// name the issuer, drops those signed by another key of the same name (another generation, told
/// apart by the CRL's AuthorityKeyIdentifier), checks the signature and the thisUpdate/nextUpdate
/// window, and looks the serial up in the freshest usable one.
///
/// A CRL with an issuingDistributionPoint is used only for the certificates its scope covers
/// ([`Crl::covers`]); for the others it is [`UnknownReason::CrlOutOfScope`].
///
/// Fail-closed rules: a CRL with an unsupported critical extension, or without nextUpdate, is not
/// used; a CRL with an entry carrying an unsupported critical entry extension is not used to call
/// any certificate good (RFC 5280 §5.3), but a certificate it lists is reported revoked.
#[derive(Debug, Default)]
pub struct CrlSet {
    crls: Vec<Crl>,
}

impl CrlSet {
    /// An empty set (every query answers [`UnknownReason::NoCrlForIssuer`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a CRL.
    pub fn add(&mut self, crl: Crl) {
        self.crls.push(crl);
    }

    /// Adds a CRL (builder style).
    #[must_use]
    pub fn with(mut self, crl: Crl) -> Self {
        self.add(crl);
        self
    }

    /// The CRLs.
    pub fn crls(&self) -> &[Crl] {
        &self.crls
    }

    /// Number of CRLs.
    pub fn len(&self) -> usize {
        self.crls.len()
    }

    /// No CRLs.
    pub fn is_empty(&self) -> bool {
        self.crls.is_empty()
    }
}

impl FromIterator<Crl> for CrlSet {
    fn from_iter<I: IntoIterator<Item = Crl>>(iter: I) -> Self {
        Self {
            crls: iter.into_iter().collect(),
        }
    }
}

/// How telling a failure is, to report the most useful one when no CRL is usable.
fn weight(r: &UnknownReason) -> u8 {
    match r {
        UnknownReason::CrlNotApplicable => 1,
        _ => 2,
    }
}

impl RevocationSource for CrlSet {
    fn status(&self, q: &RevocationQuery<'_>) -> RevocationStatus {
        let mut best: Option<&Crl> = None;
        let mut problem: Option<UnknownReason> = None;
        let mut note = |r: UnknownReason| {
            if problem.as_ref().is_none_or(|p| weight(&r) > weight(p)) {
                problem = Some(r);
            }
        };
        for crl in self
            .crls
            .iter()
            .filter(|c| c.issuer_der() == q.issuer.subject_der())
        {
            if crl
                .authority_key_id()
                .is_some_and(|id| id != q.issuer.key_id())
            {
                note(UnknownReason::CrlNotApplicable);
                continue;
            }
            // A CRL whose issuingDistributionPoint scope leaves the certificate out is no evidence.
            if let Err(why) = crl.covers(q.certificate) {
                note(UnknownReason::CrlOutOfScope(why));
                continue;
            }
            if let Some(oid) = crl.unsupported_critical_extension() {
                note(UnknownReason::CrlUnsupportedCriticalExtension(
                    oid.to_owned(),
                ));
                continue;
            }
            if let Err(r) = crl.verify_signature(q.issuer, q.allow_sha1) {
                note(r);
                continue;
            }
            if q.at < crl.this_update() {
                note(UnknownReason::CrlNotYetValid {
                    this_update: crl.this_update(),
                });
                continue;
            }
            // RFC 5280 lets nextUpdate be absent, but then nothing says when the CRL stops being
            // current: fail closed rather than trust it forever.
            let Some(next) = crl.next_update() else {
                note(UnknownReason::CrlWithoutNextUpdate);
                continue;
            };
            if q.at >= next {
                note(UnknownReason::CrlExpired { next_update: next });
                continue;
            }
            // RFC 5280 §5.3: a CRL with a critical entry extension we cannot process must not
            // decide anyone's status. A certificate it lists is still never called good.
            if let Some((serial, oid)) = crl.unsupported_critical_entry_extension() {
                if crl.contains(q.certificate.serial()) {
                    return revoked(crl, q, crl.lookup(q.certificate.serial()).ok().flatten());
                }
                note(UnknownReason::CrlUnsupportedCriticalEntryExtension {
                    serial: serial.to_owned(),
                    oid: oid.to_owned(),
                });
                continue;
            }
            if best.is_none_or(|b| crl.this_update() > b.this_update()) {
                best = Some(crl);
            }
        }
        let Some(crl) = best else {
            return RevocationStatus::Unknown(problem.unwrap_or(UnknownReason::NoCrlForIssuer));
        };
        match crl.lookup(q.certificate.serial()) {
            Ok(None) => RevocationStatus::Good {
                source: format!(
                    "CRL{} of {} (thisUpdate {}, {} entries)",
                    crl.crl_number()
                        .map(|n| format!(" #{}", crate::hex_form::serial_hex(n)))
                        .unwrap_or_default(),
                    crl.issuer(),
                    crate::rejection::rfc3339(&crl.this_update()),
                    crl.len()
                ),
            },
            found => revoked(crl, q, found.ok().flatten()),
        }
    }
}

/// The status of a certificate `crl` lists: revoked, with the decoded `entry`. Without one (the
/// entry's date or extensions do not decode) a listed certificate is still never good: revoked
/// as of the CRL's thisUpdate, without a reason.
fn revoked(crl: &Crl, q: &RevocationQuery<'_>, entry: Option<RevokedEntry>) -> RevocationStatus {
    RevocationStatus::Revoked(entry.unwrap_or_else(|| RevokedEntry {
        serial: q.certificate.serial().to_vec(),
        revoked_at: crl.this_update(),
        reason: None,
        invalidity_date: None,
    }))
}

/// No revocation information at all: every query is [`UnknownReason::NoSource`].
#[derive(Clone, Copy, Debug, Default)]
pub struct NoRevocation;

impl RevocationSource for NoRevocation {
    fn status(&self, _: &RevocationQuery<'_>) -> RevocationStatus {
        RevocationStatus::Unknown(UnknownReason::NoSource)
    }
}
