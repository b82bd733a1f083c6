#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! HPKI qualification: the virtual card's HPKI test PKI (root, signature and authentication CAs,
//! holders, CA CRLs and the root's ARLs), one valid baseline and a negative suite where each case
//! changes one thing and asserts its exact rejection.

use kazasu_pki::{
    Certificate, Crl, CrlSet, HcRole, HpkiVerifier, Purpose, QualificationRejection, Rejection,
    RevocationStatus, TrustStore, UnknownReason, Verifier,
};
use kazasu_virtual_card::pki as vc;
use time::{Duration, OffsetDateTime, macros::datetime};
use vc::x509_cert::ext::pkix::{KeyUsage, KeyUsages};
use vc::{ArlKind, CrlSpec, Ext, HpkiAp, HpkiHolder, HpkiTestPki, IdpScope, RevokedEntry};

fn at() -> OffsetDateTime {
    datetime!(2026-06-01 00:00 UTC)
}

struct Fixture {
    pki: HpkiTestPki,
}

/// How the root's SARL (the ARL covering the CAs) is made.
struct Arl {
    spec: CrlSpec,
    scope: IdpScope,
}

impl Fixture {
    fn new() -> Self {
        Self {
            pki: HpkiTestPki::new().unwrap(),
        }
    }

    fn root(&self) -> Certificate {
        Certificate::from_der(&self.pki.root().der).unwrap()
    }

    fn cas(&self) -> Vec<Certificate> {
        HpkiAp::ALL
            .iter()
            .map(|ap| Certificate::from_der(&self.pki.ca(*ap).der).unwrap())
            .collect()
    }

    fn holder(&self, holder: &HpkiHolder, ap: HpkiAp) -> Certificate {
        let t = self.pki.holder_template(holder, ap).unwrap();
        Certificate::from_der(&self.pki.issue_with(&t).unwrap()).unwrap()
    }

    fn crl(&self, ap: HpkiAp, spec: &CrlSpec) -> Crl {
        Crl::from_der(&self.pki.ca_crl(ap, spec).unwrap()).unwrap()
    }

    fn sarl(&self, arl: &Arl) -> Crl {
        Crl::from_der(&self.pki.arl(ArlKind::Sarl, &arl.spec, arl.scope).unwrap()).unwrap()
    }

    /// Current CA CRLs and a current SARL.
    fn crls(&self) -> CrlSet {
        self.crls_with(&CrlSpec::valid_at(at()), &self.good_arl())
    }

    fn good_arl(&self) -> Arl {
        Arl {
            spec: CrlSpec::valid_at(at()),
            scope: IdpScope::OnlyCaCerts,
        }
    }

    fn crls_with(&self, ca_spec: &CrlSpec, arl: &Arl) -> CrlSet {
        CrlSet::new()
            .with(self.crl(HpkiAp::Signature, ca_spec))
            .with(self.crl(HpkiAp::Authentication, ca_spec))
            .with(self.sarl(arl))
    }

    fn verifier(&self, crls: CrlSet) -> HpkiVerifier {
        HpkiVerifier::with_trust(TrustStore::new().with_for(self.root(), Purpose::HPKI))
            .with_revocation(crls)
    }

    fn verify(
        &self,
        crls: CrlSet,
        cert: &Certificate,
        required: &[HcRole],
    ) -> Result<kazasu_pki::Qualification, QualificationRejection> {
        self.verifier(crls)
            .verify_qualification(cert, &self.cas(), at(), required)
    }

    fn reject(&self, cert: &Certificate, required: &[HcRole]) -> QualificationRejection {
        self.verify(self.crls(), cert, required)
            .expect_err("must be rejected")
    }
}

fn doctor() -> HpkiHolder {
    HpkiHolder::sample()
}

#[test]
fn baseline_signature_certificate_proves_a_medical_doctor() {
    let f = Fixture::new();
    let h = doctor();
    let cert = f.holder(&h, HpkiAp::Signature);
    let q = f.verify(f.crls(), &cert, &[HcRole::MedicalDoctor]).unwrap();
    assert_eq!(q.roles, [HcRole::MedicalDoctor]);
    assert_eq!(q.matched_roles, [HcRole::MedicalDoctor]);
    assert_eq!(q.purpose, Purpose::HpkiSignature);
    assert_eq!(q.name_romanized.as_deref(), Some(h.romanized_name.as_str()));
    assert_eq!(q.name_kanji.as_deref(), Some(h.kanji_name.as_str()));
    assert_eq!(q.hpki_id.as_deref(), Some(h.hpki_id.as_str()));
    assert_eq!(q.issuing_ca, f.cas()[0].subject());
    assert_eq!(q.anchor, f.root().subject());
    // Evidence for the holder (the CA's CRL) and for the CA (the root's ARL).
    assert_eq!(q.revocation().len(), 2);
    assert!(
        q.revocation()
            .iter()
            .all(|s| matches!(s, RevocationStatus::Good { .. }))
    );
}

#[test]
fn baseline_authentication_certificate() {
    let f = Fixture::new();
    let cert = f.holder(&doctor(), HpkiAp::Authentication);
    let q = f.verify(f.crls(), &cert, &[]).unwrap();
    assert_eq!(q.purpose, Purpose::HpkiAuthentication);
    assert_eq!(q.issuing_ca, f.cas()[1].subject());
}

#[test]
fn any_of_the_required_roles_is_enough() {
    let f = Fixture::new();
    let h = doctor().with_roles(&[vc::HcRole::Dentist]);
    let q = f
        .verify(
            f.crls(),
            &f.holder(&h, HpkiAp::Signature),
            &[HcRole::MedicalDoctor, HcRole::Dentist],
        )
        .unwrap();
    assert_eq!(q.matched_roles, [HcRole::Dentist]);
}

#[test]
fn an_unlisted_role_string_is_other() {
    let f = Fixture::new();
    let mut h = doctor();
    h.roles = vec!["Nurse".into()];
    let cert = f.holder(&h, HpkiAp::Signature);
    let q = f
        .verify(f.crls(), &cert, &[HcRole::Other("Nurse".into())])
        .unwrap();
    assert_eq!(q.roles, [HcRole::Other("Nurse".into())]);
}

#[test]
fn the_shipped_mhlw_root_does_not_anchor_the_test_pki() {
    let f = Fixture::new();
    let cert = f.holder(&doctor(), HpkiAp::Signature);
    let err = HpkiVerifier::new()
        .unwrap()
        .with_revocation(f.crls())
        .verify_qualification(&cert, &f.cas(), at(), &[])
        .unwrap_err();
    assert!(
        matches!(
            err,
            QualificationRejection::Untrusted(Rejection::UntrustedIssuer { .. })
        ),
        "{err:?}"
    );
}

#[test]
fn a_root_trusted_for_jpki_only_never_anchors_hpki() {
    let f = Fixture::new();
    let cert = f.holder(&doctor(), HpkiAp::Signature);
    let err = HpkiVerifier::with_trust(TrustStore::new().with_for(f.root(), Purpose::ALL))
        .with_revocation(f.crls())
        .verify_qualification(&cert, &f.cas(), at(), &[])
        .unwrap_err();
    match err {
        QualificationRejection::Untrusted(Rejection::AnchorPurposeMismatch { purpose, .. }) => {
            assert_eq!(purpose, Purpose::HpkiSignature);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_mhlw_root_never_anchors_jpki() {
    let trust = TrustStore::hpki().unwrap();
    assert_eq!(trust.purposes(&trust.anchors()[0]), Purpose::HPKI);
    // The same root added by name gets the HPKI purposes and nothing else.
    let by_name = TrustStore::from_certificates(trust.anchors().to_vec());
    assert_eq!(by_name.purposes(&by_name.anchors()[0]), Purpose::HPKI);
    // A path from a known HPKI CA, asked for a JPKI purpose, stops at the anchor.
    let medis = kazasu_pki::hpki_intermediates().unwrap();
    let err = Verifier::new(trust)
        .validate_with(&medis[0], &[], Purpose::Signature, at())
        .unwrap_err();
    assert_eq!(err.code(), "ca_as_end_entity");
}

#[test]
fn no_hc_role_is_role_missing() {
    let f = Fixture::new();
    let mut h = doctor();
    h.hc_role = false;
    let err = f.reject(&f.holder(&h, HpkiAp::Signature), &[]);
    assert!(
        matches!(err, QualificationRejection::RoleMissing { .. }),
        "{err:?}"
    );
}

#[test]
fn a_pharmacist_is_not_a_medical_doctor() {
    let f = Fixture::new();
    let h = doctor().with_roles(&[vc::HcRole::Pharmacist]);
    let err = f.reject(&f.holder(&h, HpkiAp::Signature), &[HcRole::MedicalDoctor]);
    match err {
        QualificationRejection::RoleNotAllowed { roles, allowed, .. } => {
            assert_eq!(roles, [HcRole::Pharmacist]);
            assert_eq!(allowed, [HcRole::MedicalDoctor]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn another_coding_scheme_is_role_malformed() {
    let f = Fixture::new();
    let mut h = doctor();
    h.coding_scheme = vc::x509_cert::der::asn1::ObjectIdentifier::new_unwrap("1.2.3.4");
    let err = f.reject(&f.holder(&h, HpkiAp::Signature), &[]);
    assert!(
        matches!(err, QualificationRejection::RoleMalformed { .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), "role_malformed");
}

#[test]
fn a_policy_outside_the_hpki_arc_is_policy_missing() {
    let f = Fixture::new();
    let mut h = doctor();
    h.sign_policy = vc::x509_cert::der::asn1::ObjectIdentifier::new_unwrap("1.2.392.100495.9.1");
    let err = f.reject(&f.holder(&h, HpkiAp::Signature), &[]);
    match err {
        QualificationRejection::PolicyMissing { found, .. } => {
            assert_eq!(found, ["1.2.392.100495.9.1"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_bare_arc_is_not_a_holder_policy() {
    let f = Fixture::new();
    let mut h = doctor();
    h.sign_policy = vc::x509_cert::der::asn1::ObjectIdentifier::new_unwrap("1.2.392.100495.1.5");
    let err = f.reject(&f.holder(&h, HpkiAp::Signature), &[]);
    assert_eq!(err.code(), "policy_missing");
}

#[test]
fn no_policy_and_no_role_is_not_hpki() {
    let f = Fixture::new();
    let mut h = doctor();
    h.hc_role = false;
    h.sign_policy = vc::x509_cert::der::asn1::ObjectIdentifier::new_unwrap("1.2.3.4");
    let err = f.reject(&f.holder(&h, HpkiAp::Signature), &[]);
    assert_eq!(err.code(), "not_hpki");
}

#[test]
fn a_ca_is_not_hpki_holder() {
    let f = Fixture::new();
    let err = f.reject(&f.cas()[0], &[]);
    assert_eq!(err.code(), "not_hpki");
}

#[test]
fn the_real_medis_ca_is_not_a_holder() {
    let f = Fixture::new();
    let medis = kazasu_pki::hpki_intermediates().unwrap();
    let err = HpkiVerifier::new()
        .unwrap()
        .verify_qualification(&medis[0], &[], at(), &[])
        .unwrap_err();
    assert_eq!(err.code(), "not_hpki");
    drop(f);
}

#[test]
fn an_expired_holder_is_expired() {
    let f = Fixture::new();
    let mut h = doctor();
    h.not_after = at() - Duration::days(1);
    h.not_before = at() - Duration::days(400);
    let err = f.reject(&f.holder(&h, HpkiAp::Signature), &[]);
    assert!(
        matches!(err, QualificationRejection::Expired { .. }),
        "{err:?}"
    );
}

#[test]
fn a_holder_not_yet_valid() {
    let f = Fixture::new();
    let mut h = doctor();
    h.not_before = at() + Duration::days(1);
    let err = f.reject(&f.holder(&h, HpkiAp::Signature), &[]);
    assert_eq!(err.code(), "not_yet_valid");
}

#[test]
fn a_holder_revoked_by_the_ca_crl() {
    let f = Fixture::new();
    let h = doctor();
    let cert = f.holder(&h, HpkiAp::Signature);
    let spec = CrlSpec::valid_at(at()).revoke(RevokedEntry::from_bytes(
        cert.serial(),
        at() - Duration::days(3),
    ));
    let err = f
        .verify(f.crls_with(&spec, &f.good_arl()), &cert, &[])
        .unwrap_err();
    match err {
        QualificationRejection::Revoked { subject, .. } => assert_eq!(subject, cert.subject()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_ca_revoked_by_the_root_arl() {
    let f = Fixture::new();
    let cert = f.holder(&doctor(), HpkiAp::Signature);
    let arl = Arl {
        spec: CrlSpec::valid_at(at()).revoke(RevokedEntry::from_bytes(
            f.pki.ca_serial(HpkiAp::Signature),
            at() - Duration::days(3),
        )),
        scope: IdpScope::OnlyCaCerts,
    };
    let err = f
        .verify(f.crls_with(&CrlSpec::valid_at(at()), &arl), &cert, &[])
        .unwrap_err();
    match err {
        QualificationRejection::Revoked { subject, .. } => {
            assert_eq!(subject, f.cas()[0].subject());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn no_crls_is_revocation_unknown() {
    let f = Fixture::new();
    let cert = f.holder(&doctor(), HpkiAp::Signature);
    let err = f.verify(CrlSet::new(), &cert, &[]).unwrap_err();
    match err {
        QualificationRejection::RevocationUnknown { subject, reason } => {
            assert_eq!(subject, cert.subject());
            assert_eq!(reason, UnknownReason::NoCrlForIssuer);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn no_arl_leaves_the_ca_unknown() {
    let f = Fixture::new();
    let cert = f.holder(&doctor(), HpkiAp::Signature);
    let crls = CrlSet::new().with(f.crl(HpkiAp::Signature, &CrlSpec::valid_at(at())));
    match f.verify(crls, &cert, &[]).unwrap_err() {
        QualificationRejection::RevocationUnknown { subject, .. } => {
            assert_eq!(subject, f.cas()[0].subject());
        }
        other => panic!("{other:?}"),
    }
}

fn arl_scope_rejection(scope: IdpScope) -> QualificationRejection {
    let f = Fixture::new();
    let cert = f.holder(&doctor(), HpkiAp::Signature);
    let arl = Arl {
        spec: CrlSpec::valid_at(at()),
        scope,
    };
    f.verify(f.crls_with(&CrlSpec::valid_at(at()), &arl), &cert, &[])
        .unwrap_err()
}

#[test]
fn an_arl_for_user_certificates_is_no_evidence_for_a_ca() {
    match arl_scope_rejection(IdpScope::OnlyUserCerts) {
        QualificationRejection::RevocationUnknown {
            reason: UnknownReason::CrlOutOfScope(why),
            ..
        } => assert!(why.contains("only end-entity"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_arl_naming_another_distribution_point_is_no_evidence() {
    match arl_scope_rejection(IdpScope::OtherName) {
        QualificationRejection::RevocationUnknown {
            reason: UnknownReason::CrlOutOfScope(why),
            ..
        } => assert!(why.contains("distribution point"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn arls_whose_scope_covers_the_ca_are_used() {
    let f = Fixture::new();
    let cert = f.holder(&doctor(), HpkiAp::Signature);
    for scope in [IdpScope::NoScope, IdpScope::Omit, IdpScope::NonCritical] {
        let arl = Arl {
            spec: CrlSpec::valid_at(at()),
            scope,
        };
        f.verify(f.crls_with(&CrlSpec::valid_at(at()), &arl), &cert, &[])
            .unwrap_or_else(|e| panic!("{scope:?}: {e}"));
    }
}

#[test]
fn a_stale_ca_crl_is_revocation_unknown() {
    let f = Fixture::new();
    let cert = f.holder(&doctor(), HpkiAp::Signature);
    let err = f
        .verify(
            f.crls_with(&CrlSpec::expired_at(at()), &f.good_arl()),
            &cert,
            &[],
        )
        .unwrap_err();
    match err {
        QualificationRejection::RevocationUnknown { reason, .. } => {
            assert!(
                matches!(reason, UnknownReason::CrlExpired { .. }),
                "{reason:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_holder_without_a_signing_key_usage_is_invalid() {
    let f = Fixture::new();
    let mut t = f.pki.holder_template(&doctor(), HpkiAp::Signature).unwrap();
    t.key_usage = Ext::critical(KeyUsage(KeyUsages::KeyEncipherment.into()));
    let cert = Certificate::from_der(&f.pki.issue_with(&t).unwrap()).unwrap();
    let err = f.reject(&cert, &[]);
    assert!(
        matches!(
            err,
            QualificationRejection::Invalid(Rejection::KeyUsageMismatch { .. })
        ),
        "{err:?}"
    );
}

#[test]
fn a_holder_signed_by_the_wrong_ca_key_is_untrusted() {
    let f = Fixture::new();
    let mut t = f.pki.holder_template(&doctor(), HpkiAp::Signature).unwrap();
    t.issuer = vc::Issuer::Certificate {
        certificate: f.pki.ca(HpkiAp::Signature).der.clone(),
        key: f.pki.ca(HpkiAp::Authentication).key_choice,
    };
    let cert = Certificate::from_der(&f.pki.issue_with(&t).unwrap()).unwrap();
    let err = f.reject(&cert, &[]);
    assert!(
        matches!(
            err,
            QualificationRejection::Untrusted(Rejection::BadSignature { .. })
        ),
        "{err:?}"
    );
}

#[test]
fn without_the_ca_certificate_the_path_is_untrusted() {
    let f = Fixture::new();
    let cert = f.holder(&doctor(), HpkiAp::Signature);
    let err = f
        .verifier(f.crls())
        .verify_qualification(&cert, &[], at(), &[])
        .unwrap_err();
    assert_eq!(err.code(), "untrusted");
}
