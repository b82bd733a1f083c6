//! Properties of the v1 format and of verification.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, OnceLock};

use common::{Holder, ORIGIN, RP, World, at, nonces};
use kazasu_auth::time::OffsetDateTime;
use kazasu_auth::{AssertionPurpose, AuthError, BoundAssertion, BoundMessage, RelyingParty};
use kazasu_pki::{ChallengeStore, MemoryChallengeStore};
use proptest::prelude::*;

fn purpose() -> impl Strategy<Value = AssertionPurpose> {
    proptest::sample::select(AssertionPurpose::ALL.to_vec())
}

fn message() -> impl Strategy<Value = BoundMessage> {
    (
        "[!-~]{1,253}",
        "[!-~]{1,200}",
        purpose(),
        proptest::collection::vec(any::<u8>(), 16..=64),
        -377_705_116_800i64..=253_402_300_799i64,
    )
        .prop_map(|(rp, origin, purpose, nonce, t)| {
            BoundMessage::new(
                &rp,
                &origin,
                purpose,
                &nonce,
                OffsetDateTime::from_unix_timestamp(t).unwrap(),
            )
            .unwrap()
        })
}

proptest! {
    #[test]
    fn encode_then_parse_is_the_identity(m in message()) {
        let bytes = m.encode();
        prop_assert!(bytes.len() <= kazasu_auth::MAX_MESSAGE_LEN);
        prop_assert_eq!(BoundMessage::parse(&bytes).unwrap(), m);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(m) = BoundMessage::parse(&bytes) {
            prop_assert_eq!(m.encode(), bytes.clone());
        }
        // The same behind a valid tag and version, so the parser gets past the header.
        let mut tagged = kazasu_auth::FORMAT_TAG.to_vec();
        tagged.push(kazasu_auth::FORMAT_VERSION);
        tagged.extend_from_slice(&bytes);
        if let Ok(m) = BoundMessage::parse(&tagged) {
            prop_assert_eq!(m.encode(), tagged);
        }
    }
}

/// One assertion signed once (RSA signing is slow), the nonce issued by a shared store.
struct Signed {
    world: World,
    alice: Holder,
    store: Arc<MemoryChallengeStore>,
    message: BoundMessage,
    assertion: BoundAssertion,
}

fn signed() -> &'static Signed {
    static S: OnceLock<Signed> = OnceLock::new();
    S.get_or_init(|| {
        let world = World::new();
        let alice = world.holder(0, 0);
        let store = nonces();
        let nonce = store.issue(at()).unwrap();
        let assertion = alice.assert(AssertionPurpose::Login, &nonce, at());
        let message = BoundMessage::parse(&assertion.message).unwrap();
        Signed {
            world,
            alice,
            store,
            message,
            assertion,
        }
    })
}

/// A relying party that expects exactly `m` (its id, origin) and shares the signed nonce store.
fn rp_expecting(s: &Signed, m: &BoundMessage) -> RelyingParty {
    s.world.rp_with(
        m.rp_id(),
        m.origin(),
        s.world.verifier(&[]),
        s.store.clone(),
    )
}

#[derive(Clone, Debug)]
enum Change {
    RpId(String),
    Origin(String),
    Purpose(AssertionPurpose),
    Time(i64),
    Nonce(Vec<u8>),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        "[!-~]{1,40}".prop_map(Change::RpId),
        "[!-~]{1,60}".prop_map(Change::Origin),
        purpose().prop_map(Change::Purpose),
        (-30i64..=30).prop_map(Change::Time),
        proptest::collection::vec(any::<u8>(), 16..=64).prop_map(Change::Nonce),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Change any one field and present the original signature to a relying party that expects the
    /// changed value: refused (the signature covers every field; a new nonce is unknown).
    #[test]
    fn any_changed_field_is_refused(c in change()) {
        let s = signed();
        let m = &s.message;
        let t = OffsetDateTime::from_unix_timestamp(m.issued_at_unix()).unwrap();
        let (rp_id, origin, purpose, nonce, time) = (m.rp_id(), m.origin(), m.purpose(), m.nonce(), t);
        let changed = match &c {
            Change::RpId(v) => BoundMessage::new(v, origin, purpose, nonce, time),
            Change::Origin(v) => BoundMessage::new(rp_id, v, purpose, nonce, time),
            Change::Purpose(v) => BoundMessage::new(rp_id, origin, *v, nonce, time),
            Change::Time(d) => BoundMessage::new(rp_id, origin, purpose, nonce, time + kazasu_pki::time::Duration::seconds(*d)),
            Change::Nonce(v) => BoundMessage::new(rp_id, origin, purpose, v, time),
        }.unwrap();
        prop_assume!(&changed != m);
        let forged = BoundAssertion::new(s.alice.auth.clone(), changed.encode(), s.assertion.signature.clone());
        let rp = rp_expecting(s, &changed);
        let err = rp.verify_bound(&forged, changed.purpose(), at()).unwrap_err();
        prop_assert!(matches!(err, AuthError::BadSignature | AuthError::NonceUnknown), "{:?}", err);
        // The genuine assertion is still good for its own relying party (nothing was used up).
        let genuine = s.world.rp_with(RP, ORIGIN, s.world.verifier(&[]), s.store.clone());
        prop_assert!(genuine.check_message(&s.assertion.message, AssertionPurpose::Login, at()).is_ok());
        prop_assert!(s.store.check(m.nonce(), at()).is_ok());
    }

    /// Flip any bit of the signed bytes: refused.
    #[test]
    fn any_flipped_bit_is_refused(i in 0usize..4096) {
        let s = signed();
        let mut bytes = s.assertion.message.clone();
        let bit = i % (bytes.len() * 8);
        bytes[bit / 8] ^= 1 << (bit % 8);
        let forged = BoundAssertion::new(s.alice.auth.clone(), bytes, s.assertion.signature.clone());
        let rp = s.world.rp_with(RP, ORIGIN, s.world.verifier(&[]), s.store.clone());
        prop_assert!(rp.verify_bound(&forged, AssertionPurpose::Login, at()).is_err());
    }
}
