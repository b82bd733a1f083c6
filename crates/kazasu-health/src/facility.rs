//! Facility terminals: how a service knows a request comes from a registered facility, and which
//! staff member stands behind it.
//!
//! Each facility terminal has its own RSA key, registered with the service out of band (as
//! eligibility terminals are registered with the operator). A request that skips the card holder's
//! PIN — the staff-visual mode (目視確認), or linking a card to a patient card at the desk — carries a
//! [`StaffApproval`] the terminal signed: facility, terminal, staff member, what is approved, the
//! SHA-256 of the presented certificate, the time and a nonce. The service checks the signature
//! with the registered key, the time (±[`APPROVAL_SKEW_SECONDS`]) and that the nonce is new, so an
//! approval can be neither forged by another machine nor replayed.
//!
//! Signed requests were chosen over mutual TLS here because the approval must bind the staff
//! member and the very certificate being looked up, and must be recorded as evidence; a TLS
//! session authenticates the connection only.

use kazasu_card::cvc::GenuinenessReport;
use kazasu_pki::Certificate;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePublicKey, EncodePublicKey};
use rsa::signature::{Keypair, SignatureEncoding, Signer, Verifier};
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::HealthError;
use crate::model::{FacilityCode, PatientCardNumber};
use crate::store::FacilityStore;

/// How far an approval's time may be from the service's clock.
pub const APPROVAL_SKEW_SECONDS: i64 = 120;

/// What a staff member approves.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum ApprovalPurpose {
    /// An eligibility lookup without the PIN: staff compared the person with the card-face photo.
    StaffVisualLookup,
    /// Linking the presented card to this patient card number at the desk.
    LinkPatientCard(PatientCardNumber),
}

impl ApprovalPurpose {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            ApprovalPurpose::StaffVisualLookup => out.extend_from_slice(b"staff-visual-lookup"),
            ApprovalPurpose::LinkPatientCard(card) => {
                out.extend_from_slice(b"link-patient-card:");
                out.extend_from_slice(card.as_str().as_bytes());
            }
        }
        out.push(0);
    }
}

/// A facility terminal's signed approval of one request.
#[derive(Clone, Debug)]
pub struct StaffApproval {
    /// The facility.
    pub facility: FacilityCode,
    /// The terminal, as registered.
    pub terminal: String,
    /// The staff member (the facility's own id for them).
    pub staff: String,
    /// What is approved.
    pub purpose: ApprovalPurpose,
    /// SHA-256 of the presented certificate's DER.
    pub certificate_sha256: [u8; 32],
    /// When the terminal signed it.
    pub issued_at: OffsetDateTime,
    /// 16 random bytes, single use.
    pub nonce: [u8; 16],
    /// Evidence the staff gathered, signed with the rest: the chip-genuineness result
    /// ([`genuineness_evidence`]) when staff checked the chip before looking at the photo.
    pub genuineness: Option<String>,
    /// RSA PKCS#1 v1.5 SHA-256 over [`StaffApproval::signed_bytes`].
    pub signature: Vec<u8>,
}

impl StaffApproval {
    /// The bytes the terminal signs (domain-separated, every field length-delimited by NUL or fixed
    /// size; identifiers are validated to hold no NUL).
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut out = b"kazasu facility approval v1\0".to_vec();
        for field in [
            self.facility.as_str(),
            self.terminal.as_str(),
            self.staff.as_str(),
        ] {
            out.extend_from_slice(field.as_bytes());
            out.push(0);
        }
        self.purpose.encode(&mut out);
        out.extend_from_slice(&self.certificate_sha256);
        out.extend_from_slice(&self.issued_at.unix_timestamp().to_be_bytes());
        out.extend_from_slice(&self.nonce);
        match &self.genuineness {
            None => out.push(0),
            Some(evidence) => {
                out.push(1);
                out.extend_from_slice(&(evidence.len() as u64).to_be_bytes());
                out.extend_from_slice(evidence.as_bytes());
            }
        }
        out
    }
}

/// The one-line record of a chip-genuineness result kept as evidence: which application, which CA
/// and hierarchy, the issuer key, the SHA-256 of the chip key and the verifier's challenge.
pub fn genuineness_evidence(report: &GenuinenessReport) -> String {
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    format!(
        "chip genuine: {} certificate by CA {} ({} hierarchy), issuer key {}, chip key sha256 {}, challenge {}",
        report.application.name(),
        report.ca,
        report.hierarchy,
        report.issuer_key_id,
        hex(&report.card_key_sha256),
        hex(&report.challenge),
    )
}

fn identifier(field: &'static str, value: &str) -> Result<(), HealthError> {
    if value.is_empty() || value.len() > 64 || value.chars().any(char::is_control) {
        return Err(HealthError::Invalid {
            field,
            reason: "must be 1 to 64 printable characters".into(),
        });
    }
    Ok(())
}

/// A facility terminal: its identity and signing key (lives at the facility, never at the service).
pub struct FacilityTerminal {
    facility: FacilityCode,
    terminal: String,
    key: SigningKey<Sha256>,
    public: VerifyingKey<Sha256>,
}

impl std::fmt::Debug for FacilityTerminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FacilityTerminal")
            .field("facility", &self.facility)
            .field("terminal", &self.terminal)
            .field("key", &"REDACTED")
            .finish()
    }
}

impl FacilityTerminal {
    /// Terminal `terminal` of `facility`, signing with `key` (RSA, 2048 bits or more).
    pub fn new(
        facility: FacilityCode,
        terminal: &str,
        key: rsa::PrivateKey,
    ) -> Result<Self, HealthError> {
        identifier("terminal", terminal)?;
        if key.size() < 256 {
            return Err(HealthError::Invalid {
                field: "terminal key",
                reason: "RSA keys must have at least 2048 bits".into(),
            });
        }
        let key = SigningKey::<Sha256>::new(key);
        let public = key.verifying_key();
        Ok(Self {
            facility,
            terminal: terminal.to_owned(),
            key,
            public,
        })
    }

    /// The facility.
    pub fn facility(&self) -> &FacilityCode {
        &self.facility
    }

    /// The terminal id.
    pub fn terminal(&self) -> &str {
        &self.terminal
    }

    /// The public key to register with the service (SubjectPublicKeyInfo DER).
    pub fn public_key_der(&self) -> Result<Vec<u8>, HealthError> {
        self.public
            .to_public_key_der()
            .map(|d| d.as_bytes().to_vec())
            .map_err(|e| HealthError::Invalid {
                field: "terminal key",
                reason: e.to_string(),
            })
    }

    /// Signs `staff`'s approval of `purpose` for `certificate`, at `at`.
    pub fn approve(
        &self,
        staff: &str,
        purpose: ApprovalPurpose,
        certificate: &Certificate,
        at: OffsetDateTime,
    ) -> Result<StaffApproval, HealthError> {
        self.approve_with(staff, purpose, certificate, None, at)
    }

    /// [`FacilityTerminal::approve`], with the chip-genuineness result the staff obtained (it is
    /// signed with the approval and recorded in the audit trail).
    pub fn approve_with(
        &self,
        staff: &str,
        purpose: ApprovalPurpose,
        certificate: &Certificate,
        genuineness: Option<&GenuinenessReport>,
        at: OffsetDateTime,
    ) -> Result<StaffApproval, HealthError> {
        identifier("staff", staff)?;
        let random = kazasu_pki::random_challenge()?;
        let mut nonce = [0u8; 16];
        nonce.copy_from_slice(random.get(..16).unwrap_or(&[0; 16]));
        let mut approval = StaffApproval {
            facility: self.facility.clone(),
            terminal: self.terminal.clone(),
            staff: staff.to_owned(),
            purpose,
            certificate_sha256: Sha256::digest(certificate.der()).into(),
            issued_at: at,
            nonce,
            genuineness: genuineness.map(genuineness_evidence),
            signature: Vec::new(),
        };
        let signature: Signature =
            self.key
                .try_sign(&approval.signed_bytes())
                .map_err(|e| HealthError::Invalid {
                    field: "terminal key",
                    reason: e.to_string(),
                })?;
        approval.signature = signature.to_vec();
        Ok(approval)
    }
}

/// Checks `approval` for `purpose` on `certificate` at `facility`, at `at`: a registered terminal of
/// that facility signed it, recently, for exactly this, and its nonce is new (then used up).
pub(crate) fn verify_approval(
    store: &dyn FacilityStore,
    approval: &StaffApproval,
    facility: &FacilityCode,
    purpose: &ApprovalPurpose,
    certificate: &Certificate,
    at: OffsetDateTime,
) -> Result<(), HealthError> {
    let refuse = |why: &str| Err(HealthError::FacilityNotAuthenticated(why.to_owned()));
    if &approval.facility != facility {
        return refuse("the approval is for another facility");
    }
    if &approval.purpose != purpose {
        return refuse("the approval is for another request");
    }
    let digest: [u8; 32] = Sha256::digest(certificate.der()).into();
    if approval.certificate_sha256 != digest {
        return refuse("the approval is for another card");
    }
    let skew = (at - approval.issued_at).whole_seconds().abs();
    if skew > APPROVAL_SKEW_SECONDS {
        return refuse("the approval is too old or from the future");
    }
    let Some(der) = store.terminal_key(facility, &approval.terminal)? else {
        return refuse("no such terminal registered for this facility");
    };
    let key = VerifyingKey::<Sha256>::from_public_key_der(&der)
        .map_err(|_| HealthError::FacilityNotAuthenticated("registered key unusable".into()))?;
    let signature = Signature::try_from(approval.signature.as_slice())
        .map_err(|_| HealthError::FacilityNotAuthenticated("malformed signature".into()))?;
    if key.verify(&approval.signed_bytes(), &signature).is_err() {
        return refuse("the terminal's signature does not verify");
    }
    let until = approval.issued_at + time::Duration::seconds(2 * APPROVAL_SKEW_SECONDS);
    if !store.use_nonce(facility, &approval.nonce, until, at)? {
        return refuse("the approval was already used");
    }
    Ok(())
}
