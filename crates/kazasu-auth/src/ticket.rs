//! E-tickets bound to a card: bought with a [`AssertionPurpose::Purchase`] assertion, admitted
//! once at a [`Gate`] with a [`AssertionPurpose::Ticket`] assertion, or at an [`OfflineGate`] that
//! works from a [`GateSnapshot`] and reconciles when back online.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use kazasu_pki::{CertificateId, CrlSet};
use time::OffsetDateTime;

use crate::error::{AuthError, poisoned};
use crate::message::AssertionPurpose;
use crate::relying_party::{BoundAssertion, RelyingParty};

/// A ticket for one event, bound to the authentication certificate of the card that bought it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ticket {
    /// Its number, given by the store.
    pub id: u64,
    /// The event.
    pub event: String,
    /// The card it is bound to.
    pub holder: CertificateId,
}

/// A ticket let in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admission {
    /// The ticket.
    pub ticket: Ticket,
    /// The gate.
    pub gate: String,
    /// When.
    pub at: OffsetDateTime,
}

/// Where tickets live. Implementations must be safe to share between threads (several gates use
/// one store) and make [`TicketStore::admit`] atomic: of concurrent admissions of one ticket,
/// exactly one succeeds.
pub trait TicketStore: Send + Sync {
    /// Binds a new ticket for `event` to `holder`; [`AuthError::AlreadyHasTicket`] when the card
    /// holds one for that event.
    fn bind(&self, event: &str, holder: &CertificateId) -> Result<Ticket, AuthError>;

    /// Admits `holder`'s ticket for `event` once: [`AuthError::AlreadyAdmitted`] on a second
    /// admission, [`AuthError::WrongEvent`] when the card's tickets are for other events,
    /// [`AuthError::NoTicket`] when it has none.
    fn admit(
        &self,
        event: &str,
        holder: &CertificateId,
        gate: &str,
        at: OffsetDateTime,
    ) -> Result<Admission, AuthError>;

    /// Up to `limit` tickets of `event` not admitted yet, in ticket order.
    fn unused(&self, event: &str, limit: usize) -> Result<Vec<Ticket>, AuthError>;
}

#[derive(Debug)]
struct Slot {
    ticket: Ticket,
    admitted: Option<(String, OffsetDateTime)>,
}

/// An in-memory [`TicketStore`]: one lock, so admission is atomic across gates of one process.
#[derive(Debug, Default)]
pub struct MemoryTicketStore {
    inner: Mutex<Tickets>,
}

#[derive(Debug, Default)]
struct Tickets {
    next: u64,
    by_holder: HashMap<CertificateId, Vec<Slot>>,
}

impl MemoryTicketStore {
    /// No tickets.
    pub fn new() -> Self {
        Self::default()
    }
}

impl TicketStore for MemoryTicketStore {
    fn bind(&self, event: &str, holder: &CertificateId) -> Result<Ticket, AuthError> {
        let mut inner = self.inner.lock().map_err(poisoned)?;
        if inner
            .by_holder
            .get(holder)
            .is_some_and(|s| s.iter().any(|s| s.ticket.event == event))
        {
            return Err(AuthError::AlreadyHasTicket);
        }
        inner.next += 1;
        let ticket = Ticket {
            id: inner.next,
            event: event.to_owned(),
            holder: holder.clone(),
        };
        inner
            .by_holder
            .entry(holder.clone())
            .or_default()
            .push(Slot {
                ticket: ticket.clone(),
                admitted: None,
            });
        Ok(ticket)
    }

    fn admit(
        &self,
        event: &str,
        holder: &CertificateId,
        gate: &str,
        at: OffsetDateTime,
    ) -> Result<Admission, AuthError> {
        let mut inner = self.inner.lock().map_err(poisoned)?;
        let slots = inner.by_holder.get_mut(holder).ok_or(AuthError::NoTicket)?;
        let slot = slots
            .iter_mut()
            .find(|s| s.ticket.event == event)
            .ok_or(AuthError::WrongEvent)?;
        if let Some((by, when)) = &slot.admitted {
            return Err(AuthError::AlreadyAdmitted {
                ticket: slot.ticket.id,
                gate: by.clone(),
                at: *when,
            });
        }
        slot.admitted = Some((gate.to_owned(), at));
        Ok(Admission {
            ticket: slot.ticket.clone(),
            gate: gate.to_owned(),
            at,
        })
    }

    fn unused(&self, event: &str, limit: usize) -> Result<Vec<Ticket>, AuthError> {
        let inner = self.inner.lock().map_err(poisoned)?;
        let mut tickets: Vec<Ticket> = inner
            .by_holder
            .values()
            .flatten()
            .filter(|s| s.ticket.event == event && s.admitted.is_none())
            .map(|s| s.ticket.clone())
            .collect();
        tickets.sort_by_key(|t| t.id);
        tickets.truncate(limit);
        Ok(tickets)
    }
}

/// Sells tickets: binds one to the card whose [`AssertionPurpose::Purchase`] assertion verified.
pub struct BoxOffice<S> {
    rp: RelyingParty,
    store: Arc<S>,
}

impl<S> fmt::Debug for BoxOffice<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoxOffice")
            .field("rp", &self.rp)
            .finish_non_exhaustive()
    }
}

impl<S: TicketStore> BoxOffice<S> {
    /// A box office of `rp` writing to `store`.
    pub fn new(rp: RelyingParty, store: Arc<S>) -> Self {
        Self { rp, store }
    }

    /// The relying party (to issue nonces).
    pub fn relying_party(&self) -> &RelyingParty {
        &self.rp
    }

    /// Verifies `assertion` for [`AssertionPurpose::Purchase`] and binds a ticket for `event`.
    pub fn purchase(
        &self,
        assertion: &BoundAssertion,
        event: &str,
        at: OffsetDateTime,
    ) -> Result<Ticket, AuthError> {
        let verified = self
            .rp
            .verify_bound(assertion, AssertionPurpose::Purchase, at)?;
        self.store.bind(event, &verified.id)
    }
}

/// An online gate of one event: a touch with the card (or a phone carrying the authentication
/// function) verifies an [`AssertionPurpose::Ticket`] assertion — path and revocation at the time
/// of the touch — then admits the card's ticket once in the shared store.
pub struct Gate<S> {
    name: String,
    event: String,
    rp: RelyingParty,
    store: Arc<S>,
}

impl<S> fmt::Debug for Gate<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gate")
            .field("name", &self.name)
            .field("event", &self.event)
            .field("rp", &self.rp)
            .finish_non_exhaustive()
    }
}

impl<S: TicketStore> Gate<S> {
    /// Gate `name` of `event`, verifying with `rp`, admitting in `store`.
    pub fn new(name: &str, event: &str, rp: RelyingParty, store: Arc<S>) -> Self {
        Self {
            name: name.to_owned(),
            event: event.to_owned(),
            rp,
            store,
        }
    }

    /// A nonce for the next touch.
    pub fn issue_nonce(&self, at: OffsetDateTime) -> Result<Vec<u8>, AuthError> {
        self.rp.issue_nonce(at)
    }

    /// The relying party.
    pub fn relying_party(&self) -> &RelyingParty {
        &self.rp
    }

    /// The gate's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The event it admits to.
    pub fn event(&self) -> &str {
        &self.event
    }

    /// Verifies the touch and admits the card's ticket for this gate's event.
    pub fn check(
        &self,
        assertion: &BoundAssertion,
        at: OffsetDateTime,
    ) -> Result<Admission, AuthError> {
        let verified = self
            .rp
            .verify_bound(assertion, AssertionPurpose::Ticket, at)?;
        self.store.admit(&self.event, &verified.id, &self.name, at)
    }
}

/// What an offline gate takes with it: the event's unused tickets (at most a bound) and a CRL
/// snapshot. Revocation after the snapshot is not seen offline; the CRLs' nextUpdate bounds how
/// long the gate can work (a strict verifier refuses once they expire).
#[derive(Clone, Debug)]
pub struct GateSnapshot {
    event: String,
    tickets: HashMap<CertificateId, Ticket>,
    crls: Arc<CrlSet>,
    taken_at: OffsetDateTime,
}

impl GateSnapshot {
    /// Takes the unused tickets of `event` from `store` with `crls`; refuses with
    /// [`AuthError::OfflineListFull`] when there are more than `capacity`.
    pub fn take(
        store: &dyn TicketStore,
        event: &str,
        crls: CrlSet,
        capacity: usize,
        at: OffsetDateTime,
    ) -> Result<Self, AuthError> {
        let tickets = store.unused(event, capacity.saturating_add(1))?;
        if tickets.len() > capacity {
            return Err(AuthError::OfflineListFull { capacity });
        }
        Ok(Self {
            event: event.to_owned(),
            tickets: tickets.into_iter().map(|t| (t.holder.clone(), t)).collect(),
            crls: Arc::new(crls),
            taken_at: at,
        })
    }

    /// The event.
    pub fn event(&self) -> &str {
        &self.event
    }

    /// How many tickets it holds.
    pub fn len(&self) -> usize {
        self.tickets.len()
    }

    /// None.
    pub fn is_empty(&self) -> bool {
        self.tickets.is_empty()
    }

    /// When it was taken.
    pub fn taken_at(&self) -> OffsetDateTime {
        self.taken_at
    }
}

/// What reconciliation did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reconciliation {
    /// Offline admissions now recorded in the store.
    pub recorded: Vec<Admission>,
    /// Offline admissions the store refused (the ticket was admitted elsewhere meanwhile: a
    /// double entry to follow up), with the store's reason.
    pub conflicts: Vec<(Admission, AuthError)>,
}

/// A gate without a network: verifies touches against its [`GateSnapshot`]'s CRLs (the relying
/// party's revocation source is replaced by them), admits each snapshot ticket once locally, and
/// records the admissions in the shared store at [`OfflineGate::reconcile`].
pub struct OfflineGate {
    name: String,
    rp: RelyingParty,
    snapshot: GateSnapshot,
    admitted: Mutex<HashMap<CertificateId, Admission>>,
    pending: Mutex<Vec<Admission>>,
}

impl fmt::Debug for OfflineGate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OfflineGate")
            .field("name", &self.name)
            .field("event", &self.snapshot.event)
            .field("tickets", &self.snapshot.len())
            .finish_non_exhaustive()
    }
}

impl OfflineGate {
    /// Offline gate `name` working from `snapshot`; `rp`'s verifier keeps its trust anchors and
    /// options but checks revocation against the snapshot's CRLs.
    pub fn new(name: &str, snapshot: GateSnapshot, rp: RelyingParty) -> Self {
        let verifier = rp
            .verifier()
            .clone()
            .with_shared_revocation(snapshot.crls.clone());
        Self {
            name: name.to_owned(),
            rp: rp.with_verifier(verifier),
            snapshot,
            admitted: Mutex::new(HashMap::new()),
            pending: Mutex::new(Vec::new()),
        }
    }

    /// A nonce for the next touch (from the relying party's local store).
    pub fn issue_nonce(&self, at: OffsetDateTime) -> Result<Vec<u8>, AuthError> {
        self.rp.issue_nonce(at)
    }

    /// Verifies the touch offline and admits the card's snapshot ticket once.
    pub fn check(
        &self,
        assertion: &BoundAssertion,
        at: OffsetDateTime,
    ) -> Result<Admission, AuthError> {
        let verified = self
            .rp
            .verify_bound(assertion, AssertionPurpose::Ticket, at)?;
        let ticket = self
            .snapshot
            .tickets
            .get(&verified.id)
            .ok_or(AuthError::NoTicket)?;
        let mut admitted = self.admitted.lock().map_err(poisoned)?;
        if let Some(before) = admitted.get(&verified.id) {
            return Err(AuthError::AlreadyAdmitted {
                ticket: before.ticket.id,
                gate: before.gate.clone(),
                at: before.at,
            });
        }
        let admission = Admission {
            ticket: ticket.clone(),
            gate: self.name.clone(),
            at,
        };
        admitted.insert(verified.id, admission.clone());
        self.pending
            .lock()
            .map_err(poisoned)?
            .push(admission.clone());
        Ok(admission)
    }

    /// Admissions not yet reconciled.
    pub fn pending(&self) -> Result<Vec<Admission>, AuthError> {
        Ok(self.pending.lock().map_err(poisoned)?.clone())
    }

    /// Back online: records every pending admission in `store`. Those the store refuses as
    /// admitted already are reported as conflicts; a store failure stops and leaves the rest
    /// pending.
    pub fn reconcile(&self, store: &dyn TicketStore) -> Result<Reconciliation, AuthError> {
        let mut pending = self.pending.lock().map_err(poisoned)?;
        let mut report = Reconciliation::default();
        while let Some(admission) = pending.first().cloned() {
            match store.admit(
                &admission.ticket.event,
                &admission.ticket.holder,
                &admission.gate,
                admission.at,
            ) {
                Ok(recorded) => report.recorded.push(recorded),
                Err(e @ AuthError::AlreadyAdmitted { .. }) => {
                    report.conflicts.push((admission, e));
                }
                Err(e) => return Err(e),
            }
            pending.remove(0);
        }
        Ok(report)
    }
}
