//! Turning what the card presented into a verified certificate identity, with the grace period.

use std::sync::Arc;

use kazasu_pki::{
    CertificateId, ChallengeStore, Purpose, Rejection, RevocationQuery, RevocationSource,
    RevocationStatus, TrustStore, Verifier, VerifierOptions,
};
use time::{Date, Month, OffsetDateTime};

use crate::HealthError;
use crate::clinic::Presentation;
use crate::model::Binding;

/// How long after its authentication certificate expires a card still answers qualification queries.
pub const GRACE_MONTHS: u8 = 3;

/// What a service verifies cards with: trust anchors, a revocation source and the policy.
#[derive(Clone)]
pub struct VerificationSetup {
    /// Trust anchors (the J-LIS roots in production).
    pub trust: TrustStore,
    /// Where revocation status comes from (CRLs, later OCSP or a database).
    pub revocation: Arc<dyn RevocationSource>,
    /// Policy (strict by default: revocation required, no SHA-1, RSA ≥ 2048).
    pub options: VerifierOptions,
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
    /// The verifier for ordinary checks at the request time.
    pub fn verifier(&self) -> Verifier {
        Verifier::new(self.trust.clone())
            .with_shared_revocation(Arc::clone(&self.revocation))
            .with_options(self.options.clone())
    }

    /// A verifier that checks a path as of an expired certificate's last valid second but asks the
    /// revocation source about `now`: a card revoked since must not get the grace period.
    fn grace_verifier(&self, now: OffsetDateTime) -> Verifier {
        Verifier::new(self.trust.clone())
            .with_revocation(StatusNow {
                inner: Arc::clone(&self.revocation),
                now,
            })
            .with_options(self.options.clone())
    }
}

struct StatusNow {
    inner: Arc<dyn RevocationSource>,
    now: OffsetDateTime,
}

impl RevocationSource for StatusNow {
    fn status(&self, query: &RevocationQuery<'_>) -> RevocationStatus {
        let mut q = *query;
        q.at = self.now;
        self.inner.status(&q)
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

/// Verifies a presentation at `at`. `allow_staff` and `allow_grace` say what the caller accepts.
pub(crate) fn authenticate(
    setup: &VerificationSetup,
    verifier: &Verifier,
    challenges: &dyn ChallengeStore,
    presented: &Presentation,
    at: OffsetDateTime,
    allow_staff: bool,
    allow_grace: bool,
) -> Result<(CertificateId, Binding), HealthError> {
    let (certificate, first) = match presented {
        Presentation::Assertion(a) => (
            &a.certificate,
            verifier
                .verify_assertion(a, challenges, at)
                .map(|v| (v.id, Binding::CardHolder)),
        ),
        Presentation::StaffChecked(c) => {
            if !allow_staff {
                return Err(HealthError::Invalid {
                    field: "presentation",
                    reason: "this flow needs the card holder's PIN".into(),
                });
            }
            (
                c,
                verifier
                    .validate(c, Purpose::Authentication, at)
                    .map(|path| (path.leaf_id(), Binding::StaffChecked)),
            )
        }
    };
    match first {
        Ok(ok) => Ok(ok),
        Err(Rejection::Expired { not_after, .. })
            if allow_grace && not_after == certificate.not_after() =>
        {
            let limit = add_months(not_after.date(), GRACE_MONTHS);
            if at.date() > limit {
                return Err(HealthError::GraceOver {
                    expired: not_after.date(),
                });
            }
            // Everything else must hold as it did on the certificate's last valid second, and the
            // card must not be revoked now.
            let last_valid = not_after;
            let verifier = setup.grace_verifier(at);
            let id = match presented {
                Presentation::Assertion(a) => {
                    verifier.verify_assertion(a, challenges, last_valid)?.id
                }
                Presentation::StaffChecked(c) => verifier
                    .validate(c, Purpose::Authentication, last_valid)?
                    .leaf_id(),
            };
            Ok((id, Binding::ExpiredCertificateGrace))
        }
        Err(rejection) => Err(rejection.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn months_clamp_to_the_month_end() {
        assert_eq!(add_months(date!(2026 - 01 - 31), 3), date!(2026 - 04 - 30));
        assert_eq!(add_months(date!(2026 - 11 - 30), 3), date!(2027 - 02 - 28));
        assert_eq!(add_months(date!(2027 - 11 - 30), 3), date!(2028 - 02 - 29));
        assert_eq!(add_months(date!(2026 - 10 - 15), 3), date!(2027 - 01 - 15));
    }
}
