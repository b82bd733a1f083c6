//! The audit trail: one row for every lookup of a person's data, refused or answered.

use kazasu_pki::{Certificate, CertificateId};
use serde::Serialize;
use time::OffsetDateTime;

use crate::HealthError;
use crate::facility::StaffApproval;
use crate::model::FacilityCode;

/// How the card was presented for a lookup.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LookupMode {
    /// The card holder's PIN (the card signed the service's challenge).
    Pin,
    /// Staff-visual mode (目視確認) at an authenticated facility terminal.
    StaffVisual,
    /// 健康保険証利用登録.
    Enrolment,
    /// Linking a card to a patient card at a facility.
    PatientCardLink,
    /// A confirmation by insurance-card data (no card presented).
    InsuranceCardData,
}

impl LookupMode {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            LookupMode::Pin => "pin",
            LookupMode::StaffVisual => "staff_visual",
            LookupMode::Enrolment => "enrolment",
            LookupMode::PatientCardLink => "patient_card_link",
            LookupMode::InsuranceCardData => "insurance_card_data",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pin" => LookupMode::Pin,
            "staff_visual" => LookupMode::StaffVisual,
            "enrolment" => LookupMode::Enrolment,
            "patient_card_link" => LookupMode::PatientCardLink,
            "insurance_card_data" => LookupMode::InsuranceCardData,
            _ => return None,
        })
    }
}

/// One audited lookup. Holds no personal data: the certificate id is an opaque reference.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[non_exhaustive]
pub struct AuditEntry {
    /// When.
    pub at: OffsetDateTime,
    /// Which facility asked.
    pub facility: FacilityCode,
    /// Which terminal (staff-approved requests).
    pub terminal: Option<String>,
    /// Which staff member (staff-approved requests).
    pub staff: Option<String>,
    /// Which card (its authentication certificate), when it could be read.
    pub certificate: Option<CertificateId>,
    /// How the card was presented.
    pub mode: LookupMode,
    /// `1` answered, or the ProcessingResultCode of the refusal.
    pub result: String,
    /// Evidence recorded with the lookup (e.g. a chip-genuineness result).
    pub evidence: Option<String>,
}

impl AuditEntry {
    /// An entry with no terminal, staff, certificate or evidence (set those fields as known); for
    /// stores that read entries back.
    pub fn new(
        at: OffsetDateTime,
        facility: FacilityCode,
        mode: LookupMode,
        result: impl Into<String>,
    ) -> Self {
        Self {
            at,
            facility,
            terminal: None,
            staff: None,
            certificate: None,
            mode,
            result: result.into(),
            evidence: None,
        }
    }

    /// The entry for a lookup of `certificate` at `facility` that ended in `result`, with the staff
    /// approval it came with. Evidence is kept only from an approval that verified: what an
    /// unauthenticated sender claims is not evidence.
    pub(crate) fn of<T>(
        at: OffsetDateTime,
        facility: &FacilityCode,
        mode: LookupMode,
        certificate: &Certificate,
        approval: Option<&StaffApproval>,
        result: &Result<T, HealthError>,
    ) -> Self {
        let authenticated = !matches!(result, Err(HealthError::FacilityNotAuthenticated(_)));
        Self {
            at,
            facility: facility.clone(),
            terminal: approval.map(|a| a.terminal.clone()),
            staff: approval.map(|a| a.staff.clone()),
            certificate: certificate.id(),
            mode,
            result: match result {
                Ok(_) => "1".to_owned(),
                Err(e) => e.result_code().to_owned(),
            },
            evidence: approval
                .filter(|_| authenticated)
                .and_then(|a| a.genuineness.clone()),
        }
    }
}
