//! Between networks: a patient is named by a keyed, one-way, per-network-pair pseudonym of their
//! healthcare ID, so network A can ask network B about a patient without either learning the
//! other's patient ids (or seeing the healthcare ID on the wire).
//!
//! Both networks of a pair hold the same pair key (agreed bilaterally) and derive
//! HMAC-SHA-256(key, label ‖ the two network ids in order ‖ healthcare ID). Another pair's key
//! gives unrelated values, so pseudonyms cannot be joined across pairs. B answers only when the
//! patient's consent in B names network A.

use std::collections::HashMap;
use std::sync::RwLock;

use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use sha2::Sha256;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::ConsentError;
use crate::ledger::{ConsentLedger, Decision, DenyReason};
use crate::model::{Actor, DataClass, Purpose, text_field};
use crate::store::LedgerStore;

const PSEUDONYM_DOMAIN: &[u8] = b"kazasu-consent/v1/pair-pseudonym\0";

/// The secret two networks share to derive their pair's pseudonyms (32 bytes or more).
pub struct PairKey(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for PairKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PairKey(REDACTED)")
    }
}

impl PairKey {
    /// Wraps a key of at least 32 bytes.
    pub fn new(key: &[u8]) -> Result<Self, ConsentError> {
        if key.len() < 32 {
            return Err(ConsentError::invalid("pair key", "at least 32 bytes"));
        }
        Ok(Self(Zeroizing::new(key.to_vec())))
    }
}

/// A pair pseudonym.
pub type Pseudonym = [u8; 32];

/// The pseudonym of `healthcare_id` (opaque, from the caller) for the pair of networks `a` and `b`
/// (order does not matter).
pub fn pair_pseudonym(
    key: &PairKey,
    a: &str,
    b: &str,
    healthcare_id: &[u8],
) -> Result<Pseudonym, ConsentError> {
    let (first, second) = if a <= b { (a, b) } else { (b, a) };
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key.0)
        .map_err(|e| ConsentError::invalid("pair key", e.to_string()))?;
    mac.update(PSEUDONYM_DOMAIN);
    for part in [first.as_bytes(), second.as_bytes(), healthcare_id] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    Ok(mac.finalize().into_bytes().into())
}

/// A network's directory of its peers: pair keys, and its patients' pseudonyms per peer.
#[derive(Debug)]
pub struct PeerDirectory {
    network: String,
    peers: HashMap<String, PairKey>,
    // (peer, pseudonym) → own patient id
    index: RwLock<HashMap<(String, Pseudonym), String>>,
}

/// A question from another network.
#[derive(Clone, Debug)]
pub struct PeerQuery {
    /// The asking network.
    pub from: String,
    /// The patient's pseudonym for this pair.
    pub pseudonym: Pseudonym,
    /// The data asked for.
    pub class: DataClass,
    /// Why.
    pub purpose: Purpose,
}

/// The answer: no patient id of ours in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum PeerAnswer {
    /// The patient's consent in this network covers the asking network.
    Permit {
        /// The consent's id.
        consent_id: String,
    },
    /// Refused (an unknown patient looks like one without consent).
    Deny {
        /// Why.
        reason: DenyReason,
    },
}

impl PeerDirectory {
    /// The directory of `network`.
    pub fn new(network: &str) -> Self {
        Self {
            network: network.to_owned(),
            peers: HashMap::new(),
            index: RwLock::new(HashMap::new()),
        }
    }

    /// Adds a peer network and the key the pair shares.
    pub fn add_peer(&mut self, peer: &str, key: PairKey) -> Result<(), ConsentError> {
        text_field("peer network", peer)?;
        self.peers.insert(peer.to_owned(), key);
        Ok(())
    }

    /// Our pseudonym of `healthcare_id` for `peer`.
    pub fn pseudonym(&self, peer: &str, healthcare_id: &[u8]) -> Result<Pseudonym, ConsentError> {
        let key = self
            .peers
            .get(peer)
            .ok_or_else(|| ConsentError::Refused(format!("unknown peer network {peer}")))?;
        pair_pseudonym(key, &self.network, peer, healthcare_id)
    }

    /// Registers our patient `patient` with their healthcare ID under every peer's pseudonym (the
    /// healthcare ID itself is not kept).
    pub fn enrol(&self, patient: &str, healthcare_id: &[u8]) -> Result<(), ConsentError> {
        text_field("patient", patient)?;
        let mut index = self
            .index
            .write()
            .map_err(|_| ConsentError::Store("poisoned".into()))?;
        for (peer, key) in &self.peers {
            let p = pair_pseudonym(key, &self.network, peer, healthcare_id)?;
            index.insert((peer.clone(), p), patient.to_owned());
        }
        Ok(())
    }

    /// Answers `query` from our `ledger` at `at`.
    pub fn answer<S: LedgerStore>(
        &self,
        ledger: &ConsentLedger<S>,
        query: &PeerQuery,
        at: OffsetDateTime,
    ) -> Result<PeerAnswer, ConsentError> {
        if !self.peers.contains_key(&query.from) {
            return Err(ConsentError::Refused(format!(
                "unknown peer network {}",
                query.from
            )));
        }
        let patient = self
            .index
            .read()
            .map_err(|_| ConsentError::Store("poisoned".into()))?
            .get(&(query.from.clone(), query.pseudonym))
            .cloned();
        let Some(patient) = patient else {
            return Ok(PeerAnswer::Deny {
                reason: DenyReason::NoConsent,
            });
        };
        let actor = Actor::Network {
            network: query.from.clone(),
        };
        Ok(
            match ledger.check(&patient, &actor, &query.class, &query.purpose, at)? {
                Decision::Permit { consent_id, .. } => PeerAnswer::Permit { consent_id },
                Decision::Deny { reason } => PeerAnswer::Deny { reason },
            },
        )
    }
}
