//! Login: an account bound to a card on first use (identity proofed with the signature
//! certificate's 基本4情報), later logins with the authentication assertion only, renewals
//! followed through [`CardLinks`].

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, RwLock};

use kazasu_pki::{Certificate, CertificateId, HashAlgorithm, PersonalData, Purpose};
use time::OffsetDateTime;

use crate::error::{AuthError, poisoned};
use crate::message::AssertionPurpose;
use crate::relying_party::{BoundAssertion, Presented, RelyingParty};

/// An account number, given by the [`AccountStore`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(pub u64);

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "account-{}", self.0)
    }
}

/// The card holder's 基本4情報, read from a signature certificate whose path and signature
/// verified: an identity-proofing claim, with where and when it was verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedClaim {
    /// Name, address, birth date, sex (and the substitute-character forms).
    pub personal: PersonalData,
    /// The signature certificate they were read from.
    pub source: CertificateId,
    /// When it was verified.
    pub verified_at: OffsetDateTime,
}

/// An account bound to a card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Its number.
    pub id: AccountId,
    /// The authentication certificate logins are accepted from.
    pub authentication: CertificateId,
    /// The identity proofed at binding.
    pub claim: VerifiedClaim,
}

/// Where accounts live. Implementations must be safe to share between threads and make
/// [`AccountStore::create`] and [`AccountStore::rebind`] atomic.
pub trait AccountStore: Send + Sync {
    /// Creates an account for `authentication`; [`AuthError::AlreadyBound`] when one exists.
    fn create(
        &self,
        authentication: &CertificateId,
        claim: &VerifiedClaim,
    ) -> Result<Account, AuthError>;

    /// The account bound to `authentication`.
    fn find(&self, authentication: &CertificateId) -> Result<Option<Account>, AuthError>;

    /// Moves the account bound to `old` onto `new` (a renewed certificate); `None` when no account
    /// is bound to `old` any more; [`AuthError::AlreadyBound`] when `new` has an account.
    fn rebind(
        &self,
        old: &CertificateId,
        new: &CertificateId,
    ) -> Result<Option<Account>, AuthError>;
}

/// A shared store (several services, or a service and an administration tool) is a store.
impl<T: AccountStore + ?Sized> AccountStore for Arc<T> {
    fn create(
        &self,
        authentication: &CertificateId,
        claim: &VerifiedClaim,
    ) -> Result<Account, AuthError> {
        (**self).create(authentication, claim)
    }

    fn find(&self, authentication: &CertificateId) -> Result<Option<Account>, AuthError> {
        (**self).find(authentication)
    }

    fn rebind(
        &self,
        old: &CertificateId,
        new: &CertificateId,
    ) -> Result<Option<Account>, AuthError> {
        (**self).rebind(old, new)
    }
}

/// An in-memory [`AccountStore`].
#[derive(Debug, Default)]
pub struct MemoryAccountStore {
    inner: Mutex<Accounts>,
}

#[derive(Debug, Default)]
struct Accounts {
    next: u64,
    by_auth: HashMap<CertificateId, Account>,
}

impl MemoryAccountStore {
    /// No accounts.
    pub fn new() -> Self {
        Self::default()
    }
}

impl AccountStore for MemoryAccountStore {
    fn create(
        &self,
        authentication: &CertificateId,
        claim: &VerifiedClaim,
    ) -> Result<Account, AuthError> {
        let mut inner = self.inner.lock().map_err(poisoned)?;
        if inner.by_auth.contains_key(authentication) {
            return Err(AuthError::AlreadyBound);
        }
        inner.next += 1;
        let account = Account {
            id: AccountId(inner.next),
            authentication: authentication.clone(),
            claim: claim.clone(),
        };
        inner
            .by_auth
            .insert(authentication.clone(), account.clone());
        Ok(account)
    }

    fn find(&self, authentication: &CertificateId) -> Result<Option<Account>, AuthError> {
        let inner = self.inner.lock().map_err(poisoned)?;
        Ok(inner.by_auth.get(authentication).cloned())
    }

    fn rebind(
        &self,
        old: &CertificateId,
        new: &CertificateId,
    ) -> Result<Option<Account>, AuthError> {
        let mut inner = self.inner.lock().map_err(poisoned)?;
        if inner.by_auth.contains_key(new) {
            return Err(AuthError::AlreadyBound);
        }
        let Some(mut account) = inner.by_auth.remove(old) else {
            return Ok(None);
        };
        account.authentication = new.clone();
        inner.by_auth.insert(new.clone(), account.clone());
        Ok(Some(account))
    }
}

/// What the service trusts to say which certificates belong together, as J-LIS tells platform
/// operators: the authentication certificate issued on one card with a signature certificate, and
/// the certificate a renewed one replaced.
pub trait CardLinks: Send + Sync {
    /// The authentication certificate issued with `signature` on one card, if known.
    fn authentication_for(
        &self,
        signature: &CertificateId,
    ) -> Result<Option<CertificateId>, AuthError>;

    /// The authentication certificate that `renewed` replaced, if known.
    fn renewed_from(&self, renewed: &CertificateId) -> Result<Option<CertificateId>, AuthError>;
}

/// An in-memory [`CardLinks`] (tests, or a cache filled from J-LIS answers).
#[derive(Debug, Default)]
pub struct MemoryCardLinks {
    cards: RwLock<HashMap<CertificateId, CertificateId>>,
    renewals: RwLock<HashMap<CertificateId, CertificateId>>,
}

impl MemoryCardLinks {
    /// No links.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `signature` and `authentication` were issued on one card.
    pub fn insert_card(
        &self,
        signature: CertificateId,
        authentication: CertificateId,
    ) -> Result<(), AuthError> {
        self.cards
            .write()
            .map_err(poisoned)?
            .insert(signature, authentication);
        Ok(())
    }

    /// Records that the authentication certificate `new` replaced `old`.
    pub fn insert_renewal(&self, old: CertificateId, new: CertificateId) -> Result<(), AuthError> {
        self.renewals.write().map_err(poisoned)?.insert(new, old);
        Ok(())
    }
}

impl CardLinks for MemoryCardLinks {
    fn authentication_for(
        &self,
        signature: &CertificateId,
    ) -> Result<Option<CertificateId>, AuthError> {
        Ok(self.cards.read().map_err(poisoned)?.get(signature).cloned())
    }

    fn renewed_from(&self, renewed: &CertificateId) -> Result<Option<CertificateId>, AuthError> {
        Ok(self
            .renewals
            .read()
            .map_err(poisoned)?
            .get(renewed)
            .cloned())
    }
}

/// First use: both keys of one card signed one bound message (purpose
/// [`AssertionPurpose::Enrol`]). The authentication key's assertion is `authentication`; the
/// signature key (署名用, opened by its password) signed the same message bytes.
#[derive(Clone, Debug)]
pub struct Enrolment {
    /// The authentication key's bound assertion.
    pub authentication: BoundAssertion,
    /// The signature certificate, read from the card after the signature password.
    pub signature_certificate: Certificate,
    /// The signature key's PKCS#1 v1.5 signature over `authentication.message` (SHA-256).
    pub signature: Vec<u8>,
}

/// Who logged in: what the library vouches for. Sessions are the caller's business.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The account.
    pub account: AccountId,
    /// The authentication certificate that logged in.
    pub certificate: CertificateId,
    /// The identity proofed when the account was bound.
    pub claim: VerifiedClaim,
    /// The certificate the account was bound to before, when this login followed a renewal.
    pub renewed_from: Option<CertificateId>,
}

/// Most renewals followed for one login.
pub const MAX_RENEWAL_STEPS: usize = 8;

/// Account binding and login for one relying party.
pub struct LoginService<S> {
    rp: RelyingParty,
    store: S,
    links: Arc<dyn CardLinks>,
}

impl<S: fmt::Debug> fmt::Debug for LoginService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginService")
            .field("rp", &self.rp)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl<S: AccountStore> LoginService<S> {
    /// A login service for `rp`, keeping accounts in `store`, trusting `links` for card pairs and
    /// renewals.
    pub fn new(rp: RelyingParty, store: S, links: Arc<dyn CardLinks>) -> Self {
        Self { rp, store, links }
    }

    /// The relying party.
    pub fn relying_party(&self) -> &RelyingParty {
        &self.rp
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Binds a card to a new account. The signature certificate validates for the signature
    /// purpose at `at` (revocation per the verifier) and its key signed the enrolment message; the
    /// authentication assertion verifies for [`AssertionPurpose::Enrol`]; the links say both
    /// certificates are one card's; the signature certificate carries the 基本4情報, kept as the
    /// account's [`VerifiedClaim`]. Any refusal writes nothing.
    pub fn enrol(&self, enrolment: &Enrolment, at: OffsetDateTime) -> Result<Principal, AuthError> {
        let sign = &enrolment.signature_certificate;
        // Cheap field checks first: a relayed or stale message costs no RSA.
        self.rp.check_message(
            &enrolment.authentication.message,
            AssertionPurpose::Enrol,
            at,
        )?;
        let sign_id = self
            .rp
            .verifier()
            .validate(sign, Purpose::Signature, at)?
            .leaf_id();
        sign.verify_message(
            HashAlgorithm::Sha256,
            &enrolment.authentication.message,
            &enrolment.signature,
        )?;
        let personal = sign
            .personal_data()
            .map_err(|e| AuthError::Invalid {
                field: "signature certificate",
                reason: e.to_string(),
            })?
            .ok_or(AuthError::NoPersonalData)?;
        let auth = self
            .rp
            .verify_bound(&enrolment.authentication, AssertionPurpose::Enrol, at)?;
        if self.links.authentication_for(&sign_id)? != Some(auth.id.clone()) {
            return Err(AuthError::NotSameCard);
        }
        let claim = VerifiedClaim {
            personal,
            source: sign_id,
            verified_at: at,
        };
        let account = self.store.create(&auth.id, &claim)?;
        Ok(Principal {
            account: account.id,
            certificate: auth.id,
            claim,
            renewed_from: None,
        })
    }

    /// Logs in with the authentication assertion alone ([`AssertionPurpose::Login`]). A
    /// certificate no account is bound to is followed back through [`CardLinks::renewed_from`]
    /// (at most [`MAX_RENEWAL_STEPS`]); an account found there moves onto the new certificate.
    pub fn login(&self, presented: &Presented, at: OffsetDateTime) -> Result<Principal, AuthError> {
        let verified = self.rp.verify(presented, AssertionPurpose::Login, at)?;
        let id = verified.id;
        if let Some(account) = self.store.find(&id)? {
            return Ok(Principal {
                account: account.id,
                certificate: id,
                claim: account.claim,
                renewed_from: None,
            });
        }
        let mut older = id.clone();
        for _ in 0..MAX_RENEWAL_STEPS {
            let Some(previous) = self.links.renewed_from(&older)? else {
                return Err(AuthError::NotBound);
            };
            if self.store.find(&previous)?.is_some() {
                let account = self
                    .store
                    .rebind(&previous, &id)?
                    .ok_or(AuthError::NotBound)?;
                return Ok(Principal {
                    account: account.id,
                    certificate: id,
                    claim: account.claim,
                    renewed_from: Some(previous),
                });
            }
            older = previous;
        }
        Err(AuthError::RenewalChainTooLong {
            limit: MAX_RENEWAL_STEPS,
        })
    }
}
