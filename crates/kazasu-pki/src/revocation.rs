//! Revocation: the [`RevocationSource`] trait and [`CrlSet`], its CRL implementation.
//!
//! A source answers one question — is this certificate, issued by that CA, revoked at time t? — so
//! OCSP or a database of revoked serials can be added later without changing callers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use time::{Duration, OffsetDateTime};

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

/// Verification times over which an answer stays the same: from `from` (inclusive) until `until`
/// (exclusive); `None` leaves that end open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TimeWindow {
    /// The first time inside the window (`None`: no lower bound).
    pub from: Option<OffsetDateTime>,
    /// The first time after the window (`None`: no upper bound).
    pub until: Option<OffsetDateTime>,
}

impl TimeWindow {
    /// Every time.
    pub const ALWAYS: TimeWindow = TimeWindow {
        from: None,
        until: None,
    };

    /// From `from` (inclusive) until `until` (exclusive).
    pub fn new(from: Option<OffsetDateTime>, until: Option<OffsetDateTime>) -> Self {
        Self { from, until }
    }

    /// From `first` to `last`, both inclusive (a certificate's notBefore and notAfter).
    pub fn inclusive(first: OffsetDateTime, last: OffsetDateTime) -> Self {
        Self {
            from: Some(first),
            until: last.checked_add(Duration::nanoseconds(1)),
        }
    }

    /// Whether `t` lies inside.
    pub fn contains(&self, t: OffsetDateTime) -> bool {
        self.from.is_none_or(|f| f <= t) && self.until.is_none_or(|u| t < u)
    }

    /// The times inside both.
    #[must_use]
    pub fn intersect(self, other: TimeWindow) -> Self {
        let later = |a: Option<OffsetDateTime>, b: Option<OffsetDateTime>| match (a, b) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let earlier = |a: Option<OffsetDateTime>, b: Option<OffsetDateTime>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Self {
            from: later(self.from, other.from),
            until: earlier(self.until, other.until),
        }
    }
}

/// Something that knows whether certificates are revoked: CRLs, later OCSP or a database.
///
/// A verifier with a path cache ([`crate::Verifier::with_path_cache`]) reuses a validation only
/// for sources that say when their answers change: [`RevocationSource::generation`] (which must
/// change whenever the revocation data does) and [`RevocationSource::status_window`] (the times
/// over which an answer holds). The defaults say nothing, so paths checked against such a source
/// are never cached.
pub trait RevocationSource: Send + Sync {
    /// The status of `query.certificate` at `query.at`.
    fn status(&self, query: &RevocationQuery<'_>) -> RevocationStatus;

    /// A number that changes whenever the revocation data changes (a CRL added or replaced), so
    /// that answers given under another generation are not reused. `None` (the default): the
    /// source does not track its changes, and no answer of it may be reused.
    fn generation(&self) -> Option<u64> {
        None
    }

    /// [`RevocationSource::status`], and the verification times over which the same answer holds
    /// while [`RevocationSource::generation`] stays the same. `None` (the default): the answer is
    /// known to hold at `query.at` only.
    fn status_window(&self, query: &RevocationQuery<'_>) -> (RevocationStatus, Option<TimeWindow>) {
        (self.status(query), None)
    }
}

impl<T: RevocationSource + ?Sized> RevocationSource for Arc<T> {
    fn status(&self, query: &RevocationQuery<'_>) -> RevocationStatus {
        (**self).status(query)
    }

    fn generation(&self) -> Option<u64> {
        (**self).generation()
    }

    fn status_window(&self, query: &RevocationQuery<'_>) -> (RevocationStatus, Option<TimeWindow>) {
        (**self).status_window(query)
    }
}

impl<T: RevocationSource + ?Sized> RevocationSource for &T {
    fn status(&self, query: &RevocationQuery<'_>) -> RevocationStatus {
        (**self).status(query)
    }

    fn generation(&self) -> Option<u64> {
        (**self).generation()
    }

    fn status_window(&self, query: &RevocationQuery<'_>) -> (RevocationStatus, Option<TimeWindow>) {
        (**self).status_window(query)
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
///
/// Its [`RevocationSource::generation`] counts the CRLs added; an answer holds between the
/// consecutive thisUpdate / nextUpdate times of the issuer's CRLs ([`RevocationSource::status_window`]).
/// To add CRLs while verifiers use the set, share a [`SharedCrlSet`].
#[derive(Debug, Default)]
pub struct CrlSet {
    crls: Vec<Crl>,
    generation: u64,
}

impl CrlSet {
    /// An empty set (every query answers [`UnknownReason::NoCrlForIssuer`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a CRL.
    pub fn add(&mut self, crl: Crl) {
        self.crls.push(crl);
        self.generation = self.generation.wrapping_add(1);
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
        let crls: Vec<Crl> = iter.into_iter().collect();
        Self {
            generation: u64::try_from(crls.len()).unwrap_or(u64::MAX),
            crls,
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

/// The times around `q.at` over which no CRL of `q.issuer`'s name starts or stops being current:
/// between two consecutive thisUpdate / nextUpdate times the set of usable CRLs, and so the
/// answer, stays the same.
fn window_in<'a>(crls: impl Iterator<Item = &'a Crl>, q: &RevocationQuery<'_>) -> TimeWindow {
    let mut window = TimeWindow::ALWAYS;
    let bounds = crls
        .filter(|c| c.issuer_der() == q.issuer.subject_der())
        .flat_map(|c| [Some(c.this_update()), c.next_update()])
        .flatten();
    for b in bounds {
        if b <= q.at {
            window.from = Some(window.from.map_or(b, |f| f.max(b)));
        } else {
            window.until = Some(window.until.map_or(b, |u| u.min(b)));
        }
    }
    window
}

impl RevocationSource for CrlSet {
    fn status(&self, q: &RevocationQuery<'_>) -> RevocationStatus {
        status_in(self.crls.iter(), q)
    }

    fn generation(&self) -> Option<u64> {
        Some(self.generation)
    }

    fn status_window(&self, q: &RevocationQuery<'_>) -> (RevocationStatus, Option<TimeWindow>) {
        (
            status_in(self.crls.iter(), q),
            Some(window_in(self.crls.iter(), q)),
        )
    }
}

/// The answer of [`CrlSet`] over these CRLs.
fn status_in<'a>(crls: impl Iterator<Item = &'a Crl>, q: &RevocationQuery<'_>) -> RevocationStatus {
    let mut best: Option<&Crl> = None;
    let mut problem: Option<UnknownReason> = None;
    let mut note = |r: UnknownReason| {
        if problem.as_ref().is_none_or(|p| weight(&r) > weight(p)) {
            problem = Some(r);
        }
    };
    for crl in crls.filter(|c| c.issuer_der() == q.issuer.subject_der()) {
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
            source: crl.good_source().to_owned(),
        },
        found => revoked(crl, q, found.ok().flatten()),
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

/// CRLs that can be updated while verifiers use them (a [`CrlSet`] behind a lock): adding or
/// replacing CRLs bumps its [`RevocationSource::generation`], so a path cache stops reusing
/// validations made before (a card revoked by the new CRL is refused at once). Answers are those
/// of a [`CrlSet`] holding the same CRLs.
#[derive(Debug, Default)]
pub struct SharedCrlSet {
    crls: RwLock<Arc<Vec<Arc<Crl>>>>,
    generation: AtomicU64,
}

impl SharedCrlSet {
    /// A shared set starting with the CRLs of `set`.
    pub fn new(set: CrlSet) -> Self {
        Self {
            crls: RwLock::new(Arc::new(set.crls.into_iter().map(Arc::new).collect())),
            generation: AtomicU64::new(0),
        }
    }

    /// The CRLs now in use.
    pub fn crls(&self) -> Arc<Vec<Arc<Crl>>> {
        match self.crls.read() {
            Ok(crls) => Arc::clone(&crls),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Adds a CRL (the ones already there stay; the freshest usable one answers).
    pub fn add(&self, crl: Crl) {
        self.update(|crls| crls.push(Arc::new(crl)));
    }

    /// Replaces every CRL with those of `set`.
    pub fn replace(&self, set: CrlSet) {
        self.update(|crls| *crls = set.crls.into_iter().map(Arc::new).collect());
    }

    /// Runs `f` over a copy of the list, installs it, then bumps the generation (in that order and
    /// under the lock: a reader that sees the new generation also sees the new CRLs).
    fn update(&self, f: impl FnOnce(&mut Vec<Arc<Crl>>)) {
        let mut guard = match self.crls.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut crls = Vec::clone(&guard);
        f(&mut crls);
        *guard = Arc::new(crls);
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

impl From<CrlSet> for SharedCrlSet {
    fn from(set: CrlSet) -> Self {
        Self::new(set)
    }
}

impl RevocationSource for SharedCrlSet {
    fn status(&self, q: &RevocationQuery<'_>) -> RevocationStatus {
        status_in(self.crls().iter().map(AsRef::as_ref), q)
    }

    fn generation(&self) -> Option<u64> {
        Some(self.generation.load(Ordering::Acquire))
    }

    fn status_window(&self, q: &RevocationQuery<'_>) -> (RevocationStatus, Option<TimeWindow>) {
        let crls = self.crls();
        (
            status_in(crls.iter().map(AsRef::as_ref), q),
            Some(window_in(crls.iter().map(AsRef::as_ref), q)),
        )
    }
}

/// No revocation information at all: every query is [`UnknownReason::NoSource`].
#[derive(Clone, Copy, Debug, Default)]
pub struct NoRevocation;

impl RevocationSource for NoRevocation {
    fn status(&self, _: &RevocationQuery<'_>) -> RevocationStatus {
        RevocationStatus::Unknown(UnknownReason::NoSource)
    }

    fn generation(&self) -> Option<u64> {
        Some(0)
    }

    fn status_window(&self, q: &RevocationQuery<'_>) -> (RevocationStatus, Option<TimeWindow>) {
        (self.status(q), Some(TimeWindow::ALWAYS))
    }
}
