//! The CA keys a verifier trusts, and certificate verification against them.

use alloc::vec::Vec;

use crate::CvcError;
use crate::card_key::CardKey;
use crate::cvc::Cvc;
use crate::key_id::{Hierarchy, KeyId};

/// A CA key the verifier takes as configuration (J-LIS does not publish these keys).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CaKey {
    /// The CA's key id, as certificates name their issuer.
    pub id: KeyId,
    /// The CA's public key.
    pub key: CardKey,
}

/// A certificate that verified: who issued it, what it certifies.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct VerifiedCvc {
    /// The CA that signed (a configured key, or the previous link of a chain).
    pub issuer: KeyId,
    /// The certified key's id.
    pub subject: KeyId,
    /// The certified key.
    pub key: CardKey,
    /// Production or test, from the issuer id of the chain's first link.
    pub hierarchy: Hierarchy,
}

/// The CA key table supplied by the caller, and whether the test hierarchy is acceptable.
///
/// Verification rejects by default: an issuer not in the table is [`CvcError::UnknownIssuer`]
/// ("not checked"), a `6…` issuer is [`CvcError::TestHierarchyRefused`] unless
/// [`CvcTrust::allow_test_hierarchy`] was called, a wrong signature is [`CvcError::BadSignature`].
#[derive(Clone, Debug, Default)]
pub struct CvcTrust {
    cas: Vec<CaKey>,
    allow_test: bool,
}

impl CvcTrust {
    /// An empty table: every certificate is "not checked" until CA keys are added.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a CA key (a later key with the same id replaces the earlier one).
    #[must_use]
    pub fn with_ca(mut self, ca: CaKey) -> Self {
        self.add(ca);
        self
    }

    /// Adds a CA key in place.
    pub fn add(&mut self, ca: CaKey) {
        self.cas.retain(|c| c.id != ca.id);
        self.cas.push(ca);
    }

    /// Accepts certificates from the JPKI test hierarchy (`6…`): for test cards only.
    #[must_use]
    pub fn allow_test_hierarchy(mut self, allow: bool) -> Self {
        self.allow_test = allow;
        self
    }

    /// Whether the test hierarchy is accepted.
    pub fn allows_test_hierarchy(&self) -> bool {
        self.allow_test
    }

    /// The configured CA keys.
    pub fn cas(&self) -> &[CaKey] {
        &self.cas
    }

    /// The key for `id`, compared on all 16 bytes.
    pub fn ca(&self, id: &KeyId) -> Option<&CaKey> {
        self.cas.iter().find(|c| &c.id == id)
    }

    /// Verifies one certificate issued directly by a configured CA.
    pub fn verify(&self, cvc: &Cvc) -> Result<VerifiedCvc, CvcError> {
        let issuer = cvc.issuer();
        let hierarchy = issuer.hierarchy();
        if hierarchy == Hierarchy::Test && !self.allow_test {
            return Err(CvcError::TestHierarchyRefused { issuer });
        }
        let ca = self.ca(&issuer).ok_or(CvcError::UnknownIssuer { issuer })?;
        if !cvc.is_signed_by(&ca.key) {
            return Err(CvcError::BadSignature { issuer });
        }
        // A test CA certifying a production id (or the reverse) is not a hierarchy anyone issues.
        if cvc.subject().hierarchy() != hierarchy {
            return Err(CvcError::Malformed {
                reason: "CVC: subject and issuer belong to different hierarchies",
            });
        }
        Ok(VerifiedCvc {
            issuer,
            subject: cvc.subject(),
            key: cvc.key().clone(),
            hierarchy,
        })
    }

    /// Verifies a certificate read from an application's EF `0004`, which must be issued by the CA
    /// that certifies that application (`role`: `"000023"` for the 券面事項確認AP, `"000033"` for the
    /// 券面事項入力補助AP, either hierarchy).
    pub fn verify_for(
        &self,
        cvc: &Cvc,
        role: &str,
        application: &'static str,
    ) -> Result<VerifiedCvc, CvcError> {
        // An unknown issuer stays "not checked" whatever its number: check the signature first.
        let verified = self.verify(cvc)?;
        if cvc.issuer().role() != role {
            return Err(CvcError::WrongIssuer {
                issuer: cvc.issuer(),
                expected: application,
            });
        }
        Ok(verified)
    }

    /// Verifies a chain: the first certificate by a configured CA (the master file's `00F8`, root →
    /// intermediate), each next one by the key the previous one certifies (`7F21`, intermediate →
    /// lower key). Returns the last link.
    pub fn verify_chain(&self, chain: &[Cvc]) -> Result<VerifiedCvc, CvcError> {
        let (first, rest) = chain.split_first().ok_or(CvcError::Malformed {
            reason: "empty certificate chain",
        })?;
        let mut last = self.verify(first)?;
        for link in rest {
            if link.issuer() != last.subject {
                return Err(CvcError::BrokenChain {
                    issuer: link.issuer(),
                    previous_subject: last.subject,
                });
            }
            if !link.is_signed_by(&last.key) {
                return Err(CvcError::BadSignature {
                    issuer: link.issuer(),
                });
            }
            if link.subject().hierarchy() != last.hierarchy {
                return Err(CvcError::Malformed {
                    reason: "CVC: a chain link leaves its hierarchy",
                });
            }
            last = VerifiedCvc {
                issuer: link.issuer(),
                subject: link.subject(),
                key: link.key().clone(),
                hierarchy: last.hierarchy,
            };
        }
        Ok(last)
    }
}
