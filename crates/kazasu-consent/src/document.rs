//! The consent document that is signed: canonical human-readable text followed by the same act in
//! structured form (JSON). Parsing re-renders and requires the same bytes, so a signed document
//! has exactly one reading.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::ConsentError;
use crate::model::{ConsentRecord, Grantee, Performer, text_field};

/// The line between the text and the structured form.
pub const STRUCTURED_SEPARATOR: &str = "\n--- structured form (JSON) ---\n";

/// The first line of every document.
pub const HEADER: &str = "KAZASU CONSENT DOCUMENT v1";

/// Largest document accepted.
pub const MAX_DOCUMENT_LEN: usize = 64 * 1024;

/// Grant or withdraw.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Give the consent.
    Grant,
    /// Withdraw it.
    Withdraw,
}

/// One signed act over a consent record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentDocument {
    /// Grant or withdraw.
    pub action: Action,
    /// When the act was performed (as the signer states it).
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who performs this act (for a grant, the record's performer).
    pub performer: Performer,
    /// The consent concerned.
    pub record: ConsentRecord,
}

fn time_text(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| "?".into())
}

fn performer_text(p: &Performer) -> String {
    match p {
        Performer::Patient => "the patient (本人)".into(),
        Performer::Representative {
            name,
            relationship,
            jpki,
        } => format!(
            "representative (代理人) {name}, relationship {relationship}, JPKI {}",
            jpki.as_str()
        ),
    }
}

impl ConsentDocument {
    /// The canonical bytes that are signed.
    pub fn to_canonical(&self) -> Result<Vec<u8>, ConsentError> {
        let r = &self.record;
        let mut t = String::new();
        let mut line = |s: String| {
            t.push_str(&s);
            t.push('\n');
        };
        line(HEADER.into());
        line(match self.action {
            Action::Grant => "医療情報の共有に同意します / I consent to sharing my medical information".into(),
            Action::Withdraw => "医療情報の共有への同意を撤回します / I withdraw my consent to sharing my medical information".into(),
        });
        line(format!(
            "Action: {}",
            match self.action {
                Action::Grant => "grant",
                Action::Withdraw => "withdraw",
            }
        ));
        line(format!("Consent: {} ({:?})", r.id, r.kind));
        line(format!("Network: {}", r.network));
        line(format!(
            "Patient: {} (JPKI {}), born {}",
            r.patient.network_id,
            r.patient.jpki.as_str(),
            r.patient.birth_date
        ));
        line(format!("Pattern: {}", r.pattern));
        let grantees: Vec<String> = r
            .grantees
            .iter()
            .map(|g| match g {
                Grantee::Facility(f) => format!("facility {f}"),
                Grantee::Clinician(c) => format!("clinician (HPKI) {c}"),
                Grantee::Network(n) => format!("network {n}"),
            })
            .collect();
        line(format!(
            "Who may see: {}",
            if grantees.is_empty() {
                "every member facility of the network".into()
            } else {
                grantees.join("; ")
            }
        ));
        let classes: Vec<&str> = r.classes.iter().map(|c| c.code()).collect();
        line(format!("Data: {}", classes.join(", ")));
        let purposes: Vec<&str> = r.purposes.iter().map(|p| p.code()).collect();
        line(format!("Purpose: {}", purposes.join(", ")));
        line(format!(
            "Period: from {} until {}",
            time_text(r.period.start),
            r.period
                .end
                .map(time_text)
                .unwrap_or_else(|| "withdrawn".into())
        ));
        line(format!("Given by: {}", performer_text(&r.performer)));
        line(format!("Performed by: {}", performer_text(&self.performer)));
        line(format!(
            "Terms: {} version {}",
            r.policy.uri, r.policy.version
        ));
        line(format!("Signed at: {}", time_text(self.at)));
        let json = serde_json::to_string(self)
            .map_err(|e| ConsentError::invalid("document", e.to_string()))?;
        t.truncate(t.len().saturating_sub(1));
        t.push_str(STRUCTURED_SEPARATOR);
        t.push_str(&json);
        t.push('\n');
        Ok(t.into_bytes())
    }

    /// Reads canonical bytes back; refuses anything that is not exactly what
    /// [`ConsentDocument::to_canonical`] writes.
    pub fn from_canonical(bytes: &[u8]) -> Result<Self, ConsentError> {
        if bytes.len() > MAX_DOCUMENT_LEN {
            return Err(ConsentError::invalid("document", "too large"));
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|_| ConsentError::invalid("document", "not UTF-8"))?;
        // JSON escapes newlines, so the last separator is the real one.
        let split = text
            .rfind(STRUCTURED_SEPARATOR)
            .ok_or_else(|| ConsentError::invalid("document", "no structured form"))?;
        let json = text
            .get(split + STRUCTURED_SEPARATOR.len()..)
            .unwrap_or_default();
        let document: ConsentDocument = serde_json::from_str(json.trim_end_matches('\n'))
            .map_err(|e| ConsentError::invalid("document", e.to_string()))?;
        if document.to_canonical()? != bytes {
            return Err(ConsentError::invalid(
                "document",
                "the text does not match its structured form",
            ));
        }
        Ok(document)
    }

    /// Reads only the structured form of a document the ledger already accepted (decisions read
    /// it on every check; [`ConsentDocument::from_canonical`] also re-renders and compares the text,
    /// which the audit does).
    pub fn structured(bytes: &[u8]) -> Result<Self, ConsentError> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| ConsentError::invalid("document", "not UTF-8"))?;
        let split = text
            .rfind(STRUCTURED_SEPARATOR)
            .ok_or_else(|| ConsentError::invalid("document", "no structured form"))?;
        let json = text
            .get(split + STRUCTURED_SEPARATOR.len()..)
            .unwrap_or_default();
        serde_json::from_str(json.trim_end_matches('\n'))
            .map_err(|e| ConsentError::invalid("document", e.to_string()))
    }

    /// Checks the act: the record's shape, a grant's performer is the record's, and names have no
    /// control characters.
    pub fn validate(&self) -> Result<(), ConsentError> {
        self.record.validate(self.at)?;
        if let Performer::Representative { name, .. } = &self.performer {
            text_field("representative name", name)?;
        }
        if self.action == Action::Grant && self.performer != self.record.performer {
            return Err(ConsentError::invalid(
                "performer",
                "a grant is performed by the record's performer",
            ));
        }
        Ok(())
    }

    /// The JPKI identity whose key must sign this act.
    pub fn signer_identity(&self) -> &crate::model::JpkiIdentity {
        match &self.performer {
            Performer::Patient => &self.record.patient.jpki,
            Performer::Representative { jpki, .. } => jpki,
        }
    }
}
