//! Turning what the card presented into a verified certificate identity, with the grace period.

use std::sync::Arc;

use kazasu_pki::{
    CertificateId, ChallengeStore, Purpose, Rejection, RevocationQuery, RevocationSource,
    RevocationStatus, TrustStore, ValidatedPath, Verifier, VerifierOptions,
};
use time::{Date, Month, OffsetDateTime, Time};

use crate::HealthError;
use crate::clinic::Presentation;
use crate::model::Binding;

/// How long after its authentication certificate expires a card still answers qualification queries:
/// to the end of the third month after the month of expiry (JST).
pub const GRACE_MONTHS: u8 = 3;

/// The last second of a card's grace period: the end of the [`GRACE_MONTHS`]th month after the month
/// (in JST) in which the authentication certificate expired, 23:59:59 JST. Expiry 4/12 → 7/31.
pub fn grace_end(not_after: OffsetDateTime) -> OffsetDateTime {
    let expired = not_after.to_offset(crate::eligibility::JST).date();
    let first = Date::from_calendar_date(expired.year(), expired.month(), 1).unwrap_or(expired);
    let month = add_months(first, GRACE_MONTHS);
    let last = Date::from_calendar_date(
        month.year(),
        month.month(),
        time::util::days_in_month(month.month(), month.year()),
    )
    .unwrap_or(month);
    last.with_time(Time::from_hms(23, 59, 59).unwrap_or(Time::MIDNIGHT))
        .assume_offset(crate::eligibility::JST)
}

/// What a service verifies cards with: trust anchors, a revocation source and the policy.
#[derive(Clone)]
pub struct VerificationSetup {
    /// Trust anchors (the J-LIS roots in production).
    pub trust: TrustStore,
    /// Where revocation status comes from (CRLs, later OCSP or a database).
    pub revocation: Arc<dyn RevocationSource>,
    /// Policy (strict by default: revocation required, no SHA-1, RSA ≥ 2048).
    pub options: VerifierOptions,
    /// One verifier with a validated-path cache, shared by every service built from this setup
    /// ([`VerificationSetup::with_path_cache`]); `None`: each service gets its own, uncached.
    shared: Option<Verifier>,
}

impl std::fmt::Debug for VerificationSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerificationSetup")
            .field("anchors", &self.trust.len())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl VerificationSetup {
    /// Trust `trust`, ask `revocation` (anything a [`Verifier`] accepts: a [`kazasu_pki::CrlSet`],
    /// an OCSP client, a database), strict default policy.
    pub fn new(trust: TrustStore, revocation: impl RevocationSource + 'static) -> Self {
        Self::with_shared_revocation(trust, Arc::new(revocation))
    }

    /// [`VerificationSetup::new`] with a revocation source shared with other services.
    pub fn with_shared_revocation(
        trust: TrustStore,
        revocation: Arc<dyn RevocationSource>,
    ) -> Self {
        Self {
            trust,
            revocation,
            options: VerifierOptions::default(),
            shared: None,
        }
    }

    /// A setup from DER: trust anchors (purposes from their names) and CRLs.
    pub fn from_der<A: AsRef<[u8]>, C: AsRef<[u8]>>(
        anchors: &[A],
        crls: &[C],
    ) -> Result<Self, HealthError> {
        Ok(Self::new(
            TrustStore::from_der_all(anchors)?,
            kazasu_pki::CrlSet::from_der_all(crls)?,
        ))
    }

    /// With policy `options` (a path cache set before starts empty again).
    pub fn with_options(mut self, options: VerifierOptions) -> Self {
        self.options = options;
        self.shared = None;
        self
    }

    /// Every service built from this setup verifies through one verifier whose validated-path
    /// cache holds `capacity` cards ([`Verifier::with_path_cache`]): a card seen before costs one
    /// RSA verification (its signature), as long as the revocation source tracks its changes
    /// (a [`kazasu_pki::CrlSet`] does) and the time is inside the cached validity. A server
    /// wants this; `0` turns it off.
    pub fn with_path_cache(mut self, capacity: usize) -> Self {
        self.shared = (capacity > 0).then(|| self.uncached().with_path_cache(capacity));
        self
    }

    fn uncached(&self) -> Verifier {
        Verifier::new(self.trust.clone())
            .with_shared_revocation(Arc::clone(&self.revocation))
            .with_options(self.options.clone())
    }

    /// The verifier for ordinary checks at the request time (sharing the path cache, when the
    /// setup has one).
    pub fn verifier(&self) -> Verifier {
        match &self.shared {
            Some(v) => v.clone(),
            None => self.uncached(),
        }
    }
}

/// `date` plus `months` calendar months, clamped to the month's last day.
pub(crate) fn add_months(date: Date, months: u8) -> Date {
    let total = i32::from(u8::from(date.month())) - 1 + i32::from(months);
    let year = date.year() + total / 12;
    let month =
        Month::try_from(u8::try_from(total % 12 + 1).unwrap_or(1)).unwrap_or(Month::January);
    let day = date.day().min(time::util::days_in_month(month, year));
    Date::from_calendar_date(year, month, day).unwrap_or(date)
}

/// What a flow accepts besides a PIN assertion at the request time.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Accept {
    /// A PIN assertion with a valid certificate only.
    PinOnly,
    /// Also a staff-checked certificate (the caller checked the facility approval) and the grace
    /// period after the certificate's expiry.
    StaffAndGrace,
}

/// Verifies a presentation at `at`.
pub(crate) fn authenticate(
    setup: &VerificationSetup,
    verifier: &Verifier,
    challenges: &dyn ChallengeStore,
    presented: &Presentation,
    at: OffsetDateTime,
    accept: Accept,
) -> Result<(CertificateId, Binding), HealthError> {
    let certificate = presented.certificate();
    let first = match presented {
        Presentation::Assertion(a) => verifier
            .verify_assertion(a, challenges, at)
            .map(|v| (v.id, Binding::CardHolder)),
        Presentation::StaffChecked { certificate, .. } => {
            if accept == Accept::PinOnly {
                return Err(HealthError::Invalid {
                    field: "presentation",
                    reason: "this flow needs the card holder's PIN".into(),
                });
            }
            verifier
                .validate(certificate, Purpose::Authentication, at)
                .map(|path| (path.leaf_id(), Binding::StaffChecked))
        }
    };
    match first {
        Ok(ok) => Ok(ok),
        Err(Rejection::Expired { not_after, .. })
            if accept == Accept::StaffAndGrace && not_after == certificate.not_after() =>
        {
            if at > grace_end(not_after) {
                return Err(HealthError::GraceOver {
                    expired: not_after.to_offset(crate::eligibility::JST).date(),
                });
            }
            // Everything must have held on the certificate's last valid second, revocation
            // included: a card revoked before it expired gets no grace.
            let last_valid = not_after;
            let path = match presented {
                Presentation::Assertion(a) => {
                    verifier.verify_assertion(a, challenges, last_valid)?.path
                }
                Presentation::StaffChecked { certificate, .. } => {
                    verifier.validate(certificate, Purpose::Authentication, last_valid)?
                }
            };
            // And what is known today: a revocation listed now (dated before expiry) also ends it.
            refuse_if_revoked_now(setup, &path, at)?;
            Ok((path.leaf_id(), Binding::ExpiredCertificateGrace))
        }
        Err(rejection) => Err(rejection.into()),
    }
}

pub(crate) fn refuse_if_revoked_now(
    setup: &VerificationSetup,
    path: &ValidatedPath,
    now: OffsetDateTime,
) -> Result<(), HealthError> {
    let chain = path.chain();
    let (Some(leaf), Some(issuer)) = (chain.first(), chain.get(1)) else {
        return Ok(());
    };
    if let RevocationStatus::Revoked(entry) = setup
        .revocation
        .status(&RevocationQuery::new(leaf, issuer, now))
    {
        return Err(HealthError::Rejected(Rejection::Revoked {
            subject: leaf.subject().to_owned(),
            serial: leaf.serial_hex(),
            revoked_at: entry.revoked_at,
            reason: entry.reason,
        }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn months_clamp_to_the_month_end() {
        assert_eq!(add_months(date!(2026 - 01 - 31), 3), date!(2026 - 04 - 30));
        assert_eq!(add_months(date!(2026 - 11 - 30), 3), date!(2027 - 02 - 28));
        assert_eq!(add_months(date!(2027 - 11 - 30), 3), date!(2028 - 02 - 29));
        assert_eq!(add_months(date!(2026 - 10 - 15), 3), date!(2027 - 01 - 15));
    }

    #[test]
    fn grace_ends_with_the_third_month_after_expiry_jst() {
        // Expiry 4/12 (JST) → usable through 7/31 23:59:59 JST.
        assert_eq!(
            grace_end(datetime!(2026-04-12 23:59:59 +9)),
            datetime!(2026-07-31 23:59:59 +9)
        );
        // 4/30 23:00 UTC is already 5/1 in Japan.
        assert_eq!(
            grace_end(datetime!(2026-04-30 23:00 UTC)),
            datetime!(2026-08-31 23:59:59 +9)
        );
        assert_eq!(
            grace_end(datetime!(2026-11-30 12:00 +9)),
            datetime!(2027-02-28 23:59:59 +9)
        );
    }
}
