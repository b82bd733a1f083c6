//! The consent ledger: append-only, hash-chained, checkpointed by the network; decisions and the
//! audit read it.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePublicKey, EncodePublicKey};
use rsa::signature::{Keypair, SignatureEncoding, Signer, Verifier as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::ConsentError;
use crate::document::{Action, ConsentDocument};
use crate::evidence::{Evidence, EvidenceVerifier};
use crate::model::{
    Actor, ConsentKind, ConsentRecord, DataClass, Grantee, Pattern, Performer, Purpose, Status,
    text_field,
};
use crate::store::{Checkpoint, LedgerRow, LedgerStore};

const ENTRY_DOMAIN: &[u8] = b"kazasu-consent/v1/ledger-entry\0";
const CHECKPOINT_DOMAIN: &[u8] = b"kazasu-consent/v1/checkpoint\0";

/// Shortest reason break-glass access accepts.
pub const MIN_BREAK_GLASS_REASON: usize = 8;

/// One ledger entry's content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EntryBody {
    /// A signed grant or withdrawal.
    Act {
        /// The canonical document, as signed.
        document: String,
        /// Its evidence.
        evidence: Evidence,
    },
    /// The network marks a consent as recorded by mistake.
    EnteredInError {
        /// The consent.
        consent_id: String,
        /// The patient.
        patient: String,
        /// Why.
        reason: String,
    },
    /// Emergency access without (or beyond) consent.
    BreakGlass {
        /// The patient.
        patient: String,
        /// Who accessed.
        actor: Actor,
        /// Which data.
        class: DataClass,
        /// The stated reason.
        reason: String,
    },
}

/// A ledger entry: when the network recorded it, and what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// When the network recorded it.
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    /// What.
    pub body: EntryBody,
}

impl Entry {
    /// The patient it concerns.
    pub fn patient(&self) -> Result<String, ConsentError> {
        Ok(match &self.body {
            EntryBody::Act { document, .. } => {
                ConsentDocument::from_canonical(document.as_bytes())?
                    .record
                    .patient
                    .network_id
            }
            EntryBody::EnteredInError { patient, .. } | EntryBody::BreakGlass { patient, .. } => {
                patient.clone()
            }
        })
    }
}

/// The hash of row `seq` with `prev` and `body`.
pub fn entry_hash(seq: u64, prev: &[u8; 32], body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(ENTRY_DOMAIN);
    h.update(seq.to_be_bytes());
    h.update(prev);
    h.update(body);
    h.finalize().into()
}

fn checkpoint_message(network: &str, seq: u64, head: &[u8; 32], at: OffsetDateTime) -> Vec<u8> {
    let mut m = CHECKPOINT_DOMAIN.to_vec();
    m.extend_from_slice(network.as_bytes());
    m.push(0);
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(head);
    m.extend_from_slice(at.format(&Rfc3339).unwrap_or_default().as_bytes());
    m
}

/// The network's checkpoint key (RSA, PKCS#1 v1.5 SHA-256).
pub struct NetworkKey {
    key: SigningKey<Sha256>,
}

impl std::fmt::Debug for NetworkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NetworkKey(REDACTED)")
    }
}

impl NetworkKey {
    /// Wraps an RSA key of 2048 bits or more.
    pub fn new(key: rsa::PrivateKey) -> Result<Self, ConsentError> {
        use rsa::traits::PublicKeyParts;
        if key.size() < 256 {
            return Err(ConsentError::invalid(
                "network key",
                "RSA keys must have at least 2048 bits",
            ));
        }
        Ok(Self {
            key: SigningKey::new(key),
        })
    }

    /// The public key (SubjectPublicKeyInfo DER) auditors check checkpoints with.
    pub fn public_key_der(&self) -> Result<Vec<u8>, ConsentError> {
        self.key
            .verifying_key()
            .to_public_key_der()
            .map(|d| d.as_bytes().to_vec())
            .map_err(|e| ConsentError::invalid("network key", e.to_string()))
    }
}

/// Why access is refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DenyReason {
    /// No consent for this patient.
    NoConsent,
    /// No consent names this actor.
    ActorNotCovered,
    /// The consents covering the actor do not include the data class.
    ClassNotCovered,
    /// … nor the purpose.
    PurposeNotCovered,
    /// The covering consent was marked entered in error.
    EnteredInError,
    /// The covering consent was withdrawn (entry `seq`).
    Withdrawn {
        /// The withdrawal's ledger position.
        seq: u64,
    },
    /// The covering consent starts later.
    NotYetValid,
    /// The covering consent's period ended (a reader consent after 24 hours).
    Expired,
    /// A representative consented and the patient has since come of age.
    RepresentativeAuthorityEnded,
}

impl std::fmt::Display for DenyReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DenyReason::NoConsent => f.write_str("no consent"),
            DenyReason::ActorNotCovered => f.write_str("actor not covered"),
            DenyReason::ClassNotCovered => f.write_str("data class not covered"),
            DenyReason::PurposeNotCovered => f.write_str("purpose not covered"),
            DenyReason::EnteredInError => f.write_str("consent entered in error"),
            DenyReason::Withdrawn { seq } => write!(f, "consent withdrawn (entry {seq})"),
            DenyReason::NotYetValid => f.write_str("consent not yet in force"),
            DenyReason::Expired => f.write_str("consent expired"),
            DenyReason::RepresentativeAuthorityEnded => {
                f.write_str("the representative's authority ended at the patient's majority")
            }
        }
    }
}

impl DenyReason {
    // How far a consent got in matching the request: the most relevant refusal is reported.
    fn stage(&self) -> u8 {
        match self {
            DenyReason::NoConsent => 0,
            DenyReason::ActorNotCovered => 1,
            DenyReason::ClassNotCovered => 2,
            DenyReason::PurposeNotCovered => 3,
            DenyReason::EnteredInError => 4,
            DenyReason::Withdrawn { .. } => 5,
            DenyReason::NotYetValid | DenyReason::Expired => 6,
            DenyReason::RepresentativeAuthorityEnded => 7,
        }
    }
}

/// What allowed access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// A network consent.
    Consent,
    /// The 24-hour reader consent.
    ReaderConsent,
    /// Break-glass (emergency), audited.
    BreakGlass,
}

/// A decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// Allowed by the entry at `seq`.
    Permit {
        /// The ledger position of the permitting entry.
        seq: u64,
        /// The consent's id (empty for break-glass).
        consent_id: String,
        /// What allowed it.
        basis: Basis,
    },
    /// Refused.
    Deny {
        /// Why.
        #[serde(flatten)]
        reason: DenyReason,
    },
}

impl Decision {
    /// Whether access is allowed.
    pub fn is_permit(&self) -> bool {
        matches!(self, Decision::Permit { .. })
    }
}

/// A consent as the ledger sees it at a time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentState {
    /// The record.
    pub record: ConsentRecord,
    /// Its status.
    pub status: Status,
    /// The grant's ledger position.
    pub granted_seq: u64,
    /// When the grant was recorded.
    pub granted_at: OffsetDateTime,
    /// The withdrawal's (or error mark's) position.
    pub ended_seq: Option<u64>,
    /// The grant's canonical document.
    pub document: String,
    /// The grant's evidence.
    pub evidence: Evidence,
}

/// Where the audit found the chain or a signature broken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditBreak {
    /// The row (or checkpoint row) concerned.
    pub seq: u64,
    /// What is wrong.
    pub problem: String,
}

/// The audit's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    /// Rows read.
    pub rows: u64,
    /// Signatures (evidence) verified.
    pub signatures: u64,
    /// Checkpoints verified.
    pub checkpoints: u64,
    /// The first break, if any.
    pub first_break: Option<AuditBreak>,
}

impl AuditReport {
    /// Whether the ledger is intact.
    pub fn is_intact(&self) -> bool {
        self.first_break.is_none()
    }
}

/// A network's consent ledger over a [`LedgerStore`].
pub struct ConsentLedger<S: LedgerStore> {
    network: String,
    members: HashSet<String>,
    store: S,
    verifier: EvidenceVerifier,
    key: NetworkKey,
    append: Mutex<()>,
}

impl<S: LedgerStore> std::fmt::Debug for ConsentLedger<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsentLedger")
            .field("network", &self.network)
            .field("members", &self.members.len())
            .finish_non_exhaustive()
    }
}

const AUDIT_BATCH: usize = 4096;

/// The ledger's head as an act found it, under this process's writer lock: the act's append must
/// land at `seq`.
struct Head<'a> {
    _writer: std::sync::MutexGuard<'a, ()>,
    seq: u64,
}

/// How often an act is tried when other writers (other instances on the same store) keep taking
/// the next position first.
const APPEND_TRIES: usize = 32;

impl<S: LedgerStore> ConsentLedger<S> {
    /// The ledger of `network`, whose member facilities are `members`, verifying evidence with
    /// `verifier` and signing checkpoints with `key`.
    pub fn new(
        network: &str,
        members: impl IntoIterator<Item = String>,
        store: S,
        verifier: EvidenceVerifier,
        key: NetworkKey,
    ) -> Result<Self, ConsentError> {
        text_field("network", network)?;
        Ok(Self {
            network: network.to_owned(),
            members: members.into_iter().collect(),
            store,
            verifier,
            key,
            append: Mutex::new(()),
        })
    }

    /// The network.
    pub fn network(&self) -> &str {
        &self.network
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The evidence verifier.
    pub fn verifier(&self) -> &EvidenceVerifier {
        &self.verifier
    }

    // One writer at a time: the checks an act needs (does the consent exist, is it active) and its
    // append happen under this lock, so two concurrent grants of one id cannot both pass.
    fn writer(&self) -> Result<std::sync::MutexGuard<'_, ()>, ConsentError> {
        self.append
            .lock()
            .map_err(|_| ConsentError::Store("poisoned".into()))
    }

    // Runs an act (its checks and its append) under the writer lock. The lock serialises this
    // process only: another instance on the same store may append meanwhile. So the head
    // position is read before the act's checks and the append must land exactly there: if
    // another writer took it, the store refuses (`PositionTaken`) and the act is checked again
    // against the ledger as it now stands, at the new head.
    fn retrying<T>(
        &self,
        mut act: impl FnMut(&Head<'_>) -> Result<T, ConsentError>,
    ) -> Result<T, ConsentError> {
        let mut tries = 0;
        loop {
            let head = Head {
                _writer: self.writer()?,
                seq: self.store.len()?,
            };
            match act(&head) {
                Err(ConsentError::PositionTaken { .. }) if tries + 1 < APPEND_TRIES => tries += 1,
                other => return other,
            }
        }
    }

    fn append_entry(
        &self,
        head: &Head<'_>,
        entry: &Entry,
        patient: &str,
    ) -> Result<u64, ConsentError> {
        let body = serde_json::to_vec(entry).map_err(|e| ConsentError::Store(e.to_string()))?;
        let seq = head.seq;
        let prev = match seq.checked_sub(1) {
            None => [0; 32],
            Some(last) => {
                self.store
                    .rows(last, 1)?
                    .first()
                    .ok_or_else(|| ConsentError::Store("the head row is missing".into()))?
                    .hash
            }
        };
        let row = LedgerRow {
            seq,
            prev_hash: prev,
            hash: entry_hash(seq, &prev, &body),
            patient: patient.to_owned(),
            body,
        };
        self.store.append(&row)?;
        Ok(seq)
    }

    /// Records a signed grant or withdrawal (`document` = the canonical bytes) at `at`, after
    /// verifying the evidence; returns the ledger position.
    pub fn record(
        &self,
        document: &[u8],
        evidence: Evidence,
        at: OffsetDateTime,
    ) -> Result<u64, ConsentError> {
        let doc = ConsentDocument::from_canonical(document)?;
        doc.validate()?;
        if doc.record.network != self.network {
            return Err(ConsentError::Refused(format!(
                "the consent is for network {}",
                doc.record.network
            )));
        }
        self.verifier.verify(&doc, document, &evidence, at)?;
        let text = String::from_utf8(document.to_vec())
            .map_err(|_| ConsentError::invalid("document", "not UTF-8"))?;
        let patient = &doc.record.patient.network_id;
        self.retrying(|head| {
            self.check_act(&doc, patient, at)?;
            self.append_entry(
                head,
                &Entry {
                    recorded_at: at,
                    body: EntryBody::Act {
                        document: text.clone(),
                        evidence: evidence.clone(),
                    },
                },
                patient,
            )
        })
    }

    // The checks an act must pass against the ledger as it stands (run again on every retry).
    fn check_act(
        &self,
        doc: &ConsentDocument,
        patient: &str,
        at: OffsetDateTime,
    ) -> Result<(), ConsentError> {
        let states = self.states(patient, at)?;
        let existing = states.get(&doc.record.id);
        match doc.action {
            Action::Grant => {
                if existing.is_some() {
                    return Err(ConsentError::Refused(format!(
                        "consent {} already exists",
                        doc.record.id
                    )));
                }
            }
            Action::Withdraw => {
                let Some(state) = existing else {
                    return Err(ConsentError::Refused(format!(
                        "no consent {} to withdraw",
                        doc.record.id
                    )));
                };
                if state.status != Status::Active {
                    return Err(ConsentError::Refused(format!(
                        "consent {} is not active",
                        doc.record.id
                    )));
                }
                if state.record != doc.record {
                    return Err(ConsentError::Refused(
                        "the withdrawal names a different consent record".into(),
                    ));
                }
                if let Performer::Representative { jpki, .. } = &doc.performer {
                    if !doc.record.patient.is_minor(at) {
                        return Err(ConsentError::Refused(
                            "the patient is of age: only the patient may withdraw".into(),
                        ));
                    }
                    if !matches!(&doc.record.performer, Performer::Representative { jpki: j, .. } if j == jpki)
                    {
                        return Err(ConsentError::Refused(
                            "only the representative who consented may withdraw for the patient"
                                .into(),
                        ));
                    }
                } else if doc.record.patient.is_minor(at) {
                    return Err(ConsentError::Refused(
                        "the patient is a minor: a representative must withdraw".into(),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The network marks a consent as entered in error.
    pub fn mark_entered_in_error(
        &self,
        patient: &str,
        consent_id: &str,
        reason: &str,
        at: OffsetDateTime,
    ) -> Result<u64, ConsentError> {
        text_field("reason", reason)?;
        self.retrying(|head| {
            if !self.states(patient, at)?.contains_key(consent_id) {
                return Err(ConsentError::Refused(format!("no consent {consent_id}")));
            }
            self.append_entry(
                head,
                &Entry {
                    recorded_at: at,
                    body: EntryBody::EnteredInError {
                        consent_id: consent_id.to_owned(),
                        patient: patient.to_owned(),
                        reason: reason.to_owned(),
                    },
                },
                patient,
            )
        })
    }

    /// Every consent of `patient` as recorded up to `at`, by id.
    pub fn states(
        &self,
        patient: &str,
        at: OffsetDateTime,
    ) -> Result<BTreeMap<String, ConsentState>, ConsentError> {
        let mut states: BTreeMap<String, ConsentState> = BTreeMap::new();
        for row in self.store.rows_for_patient(patient)? {
            let entry: Entry = serde_json::from_slice(&row.body)
                .map_err(|e| ConsentError::Store(format!("row {}: {e}", row.seq)))?;
            if entry.recorded_at > at {
                continue;
            }
            match entry.body {
                EntryBody::Act { document, evidence } => {
                    let doc = ConsentDocument::structured(document.as_bytes())?;
                    if doc.record.patient.network_id != patient {
                        // The index column disagrees with the body: never let it move a consent.
                        continue;
                    }
                    match doc.action {
                        Action::Grant => {
                            states.insert(
                                doc.record.id.clone(),
                                ConsentState {
                                    record: doc.record,
                                    status: Status::Active,
                                    granted_seq: row.seq,
                                    granted_at: entry.recorded_at,
                                    ended_seq: None,
                                    document,
                                    evidence,
                                },
                            );
                        }
                        Action::Withdraw => {
                            if let Some(s) = states.get_mut(&doc.record.id)
                                && s.status == Status::Active
                            {
                                s.status = Status::Withdrawn;
                                s.ended_seq = Some(row.seq);
                            }
                        }
                    }
                }
                EntryBody::EnteredInError {
                    consent_id,
                    patient: p,
                    ..
                } => {
                    if p == patient
                        && let Some(s) = states.get_mut(&consent_id)
                    {
                        s.status = Status::EnteredInError;
                        s.ended_seq = Some(row.seq);
                    }
                }
                EntryBody::BreakGlass { .. } => {}
            }
        }
        Ok(states)
    }

    fn covers_actor(&self, record: &ConsentRecord, actor: &Actor) -> bool {
        let listed = |g: &Grantee| record.grantees.contains(g);
        match (record.pattern, actor) {
            (Pattern::AllMembers, Actor::Facility { facility })
            | (Pattern::AllMembers, Actor::Clinician { facility, .. }) => {
                self.members.contains(facility)
            }
            (Pattern::AllMembers, Actor::Network { .. }) => false,
            (Pattern::Listed | Pattern::PerFacility, Actor::Facility { facility }) => {
                listed(&Grantee::Facility(facility.clone()))
            }
            (Pattern::Listed | Pattern::PerFacility, Actor::Clinician { hpki, facility }) => {
                listed(&Grantee::Facility(facility.clone()))
                    || listed(&Grantee::Clinician(hpki.clone()))
            }
            (Pattern::Listed, Actor::Network { network }) => {
                listed(&Grantee::Network(network.clone()))
            }
            (Pattern::PerFacility | Pattern::PerClinician, Actor::Network { .. }) => false,
            (Pattern::PerClinician, Actor::Clinician { hpki, .. }) => {
                listed(&Grantee::Clinician(hpki.clone()))
            }
            (Pattern::PerClinician, Actor::Facility { .. }) => false,
        }
    }

    fn evaluate(
        &self,
        state: &ConsentState,
        actor: &Actor,
        class: &DataClass,
        purpose: &Purpose,
        at: OffsetDateTime,
    ) -> Result<(), DenyReason> {
        let r = &state.record;
        if !self.covers_actor(r, actor) {
            return Err(DenyReason::ActorNotCovered);
        }
        if !r.classes.contains(class) {
            return Err(DenyReason::ClassNotCovered);
        }
        if !r.purposes.contains(purpose) {
            return Err(DenyReason::PurposeNotCovered);
        }
        match state.status {
            Status::Active => {}
            Status::EnteredInError => return Err(DenyReason::EnteredInError),
            Status::Withdrawn => {
                return Err(DenyReason::Withdrawn {
                    seq: state.ended_seq.unwrap_or(state.granted_seq),
                });
            }
        }
        if at < r.period.start {
            return Err(DenyReason::NotYetValid);
        }
        if r.period.end.is_some_and(|end| at >= end) {
            return Err(DenyReason::Expired);
        }
        if matches!(r.performer, Performer::Representative { .. }) && !r.patient.is_minor(at) {
            return Err(DenyReason::RepresentativeAuthorityEnded);
        }
        Ok(())
    }

    /// May `actor` see `patient`'s `class` data for `purpose` at `at`? Permit names the consent
    /// entry that allows it; Deny names the most relevant reason.
    pub fn check(
        &self,
        patient: &str,
        actor: &Actor,
        class: &DataClass,
        purpose: &Purpose,
        at: OffsetDateTime,
    ) -> Result<Decision, ConsentError> {
        let states = self.states(patient, at)?;
        let mut best = DenyReason::NoConsent;
        for state in states.values() {
            match self.evaluate(state, actor, class, purpose, at) {
                Ok(()) => {
                    return Ok(Decision::Permit {
                        seq: state.granted_seq,
                        consent_id: state.record.id.clone(),
                        basis: match state.record.kind {
                            ConsentKind::Network => Basis::Consent,
                            ConsentKind::Reader24h => Basis::ReaderConsent,
                        },
                    });
                }
                Err(reason) if reason.stage() > best.stage() => best = reason,
                Err(_) => {}
            }
        }
        Ok(Decision::Deny { reason: best })
    }

    /// Emergency access: permitted only with a stated reason, and always recorded in the ledger.
    pub fn break_glass(
        &self,
        patient: &str,
        actor: &Actor,
        class: &DataClass,
        reason: &str,
        at: OffsetDateTime,
    ) -> Result<Decision, ConsentError> {
        text_field("patient", patient)?;
        if reason.trim().chars().count() < MIN_BREAK_GLASS_REASON {
            return Err(ConsentError::Refused(format!(
                "break-glass needs a stated reason (at least {MIN_BREAK_GLASS_REASON} characters)"
            )));
        }
        text_field("reason", reason)?;
        let seq = self.retrying(|head| {
            self.append_entry(
                head,
                &Entry {
                    recorded_at: at,
                    body: EntryBody::BreakGlass {
                        patient: patient.to_owned(),
                        actor: actor.clone(),
                        class: class.clone(),
                        reason: reason.to_owned(),
                    },
                },
                patient,
            )
        })?;
        Ok(Decision::Permit {
            seq,
            consent_id: String::new(),
            basis: Basis::BreakGlass,
        })
    }

    /// Signs the current head; returns the checkpoint (`None` when the ledger is empty).
    pub fn checkpoint(&self, at: OffsetDateTime) -> Result<Option<Checkpoint>, ConsentError> {
        let _writer = self.writer()?;
        let Some(seq) = self.store.len()?.checked_sub(1) else {
            return Ok(None);
        };
        let head = self
            .store
            .rows(seq, 1)?
            .first()
            .ok_or_else(|| ConsentError::Store("the head row is missing".into()))?
            .hash;
        let signature: Signature = self
            .key
            .key
            .try_sign(&checkpoint_message(&self.network, seq, &head, at))
            .map_err(|e| ConsentError::Store(e.to_string()))?;
        let checkpoint = Checkpoint {
            seq,
            head,
            at,
            signature: signature.to_vec(),
        };
        self.store.add_checkpoint(&checkpoint)?;
        Ok(Some(checkpoint))
    }

    /// The network's checkpoint public key (SubjectPublicKeyInfo DER).
    pub fn public_key_der(&self) -> Result<Vec<u8>, ConsentError> {
        self.key.public_key_der()
    }

    /// Re-verifies the whole ledger: the chain, every checkpoint against `network_key` (the
    /// network's SubjectPublicKeyInfo DER, as the auditor holds it) and, when `signatures`, every
    /// piece of evidence. Reports the first break.
    pub fn audit(&self, network_key: &[u8], signatures: bool) -> Result<AuditReport, ConsentError> {
        audit_store(
            &self.store,
            &self.network,
            network_key,
            signatures.then_some(&self.verifier),
        )
    }
}

/// [`ConsentLedger::audit`] over a bare store (an auditor's copy): chain, checkpoints against
/// `network_key`, and evidence when a verifier is given.
pub fn audit_store(
    store: &dyn LedgerStore,
    network: &str,
    network_key: &[u8],
    verifier: Option<&EvidenceVerifier>,
) -> Result<AuditReport, ConsentError> {
    let key = VerifyingKey::<Sha256>::from_public_key_der(network_key)
        .map_err(|e| ConsentError::invalid("network key", e.to_string()))?;
    let checkpoints = store.checkpoints()?;
    let mut report = AuditReport {
        rows: 0,
        signatures: 0,
        checkpoints: 0,
        first_break: None,
    };
    let mut prev = [0u8; 32];
    let mut next_seq = 0u64;
    let mut hashes_at_checkpoints: BTreeMap<u64, [u8; 32]> = BTreeMap::new();
    let wanted: HashSet<u64> = checkpoints.iter().map(|c| c.seq).collect();
    let broke = |report: &mut AuditReport, seq: u64, problem: String| {
        report.first_break = Some(AuditBreak { seq, problem });
    };
    'rows: loop {
        let batch = store.rows(next_seq, AUDIT_BATCH)?;
        if batch.is_empty() {
            break;
        }
        for row in batch {
            report.rows += 1;
            if row.seq != next_seq {
                broke(
                    &mut report,
                    next_seq,
                    format!("row {} found where {next_seq} belongs", row.seq),
                );
                break 'rows;
            }
            if row.prev_hash != prev {
                broke(
                    &mut report,
                    row.seq,
                    "not chained to the previous row (reordered, inserted or deleted)".into(),
                );
                break 'rows;
            }
            if entry_hash(row.seq, &row.prev_hash, &row.body) != row.hash {
                broke(
                    &mut report,
                    row.seq,
                    "content does not match its hash (tampered)".into(),
                );
                break 'rows;
            }
            let entry: Entry = match serde_json::from_slice(&row.body) {
                Ok(e) => e,
                Err(e) => {
                    broke(&mut report, row.seq, format!("unreadable entry: {e}"));
                    break 'rows;
                }
            };
            match entry.patient() {
                Ok(p) if p == row.patient => {}
                Ok(p) => {
                    broke(
                        &mut report,
                        row.seq,
                        format!("indexed under {} but concerns {p}", row.patient),
                    );
                    break 'rows;
                }
                Err(e) => {
                    broke(&mut report, row.seq, e.to_string());
                    break 'rows;
                }
            }
            if let (Some(verifier), EntryBody::Act { document, evidence }) = (verifier, &entry.body)
            {
                let checked =
                    ConsentDocument::from_canonical(document.as_bytes()).and_then(|doc| {
                        verifier.verify(&doc, document.as_bytes(), evidence, entry.recorded_at)
                    });
                if let Err(e) = checked {
                    broke(&mut report, row.seq, e.to_string());
                    break 'rows;
                }
                report.signatures += 1;
            }
            if wanted.contains(&row.seq) {
                hashes_at_checkpoints.insert(row.seq, row.hash);
            }
            prev = row.hash;
            next_seq += 1;
        }
    }
    for c in &checkpoints {
        let problem = match hashes_at_checkpoints.get(&c.seq) {
            None if report.first_break.is_some() => continue,
            None => Some("the checkpoint is beyond the ledger's end (rows deleted)".to_owned()),
            Some(h) if h != &c.head => {
                Some("the checkpoint's head differs from the row".to_owned())
            }
            Some(_) => {
                let ok = Signature::try_from(c.signature.as_slice())
                    .ok()
                    .is_some_and(|s| {
                        key.verify(&checkpoint_message(network, c.seq, &c.head, c.at), &s)
                            .is_ok()
                    });
                (!ok).then(|| "the checkpoint's signature does not verify (forged)".to_owned())
            }
        };
        match problem {
            Some(p) => {
                let earlier = report.first_break.as_ref().is_none_or(|b| c.seq < b.seq);
                if earlier {
                    report.first_break = Some(AuditBreak {
                        seq: c.seq,
                        problem: format!("checkpoint: {p}"),
                    });
                }
                break;
            }
            None => report.checkpoints += 1,
        }
    }
    Ok(report)
}
