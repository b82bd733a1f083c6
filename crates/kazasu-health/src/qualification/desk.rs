//! [`QualificationDesk`]: the HPKI registration desk and the relying services' checks, over one
//! [`LinkageStore`].

use std::collections::HashMap;
use std::sync::Arc;

use kazasu_pki::{
    AuthAssertion, Certificate, CertificateKind, ChallengeStore, Crl, HcRole, HpkiVerifier,
    MemoryChallengeStore, Purpose, RevocationSource, Verifier,
};
use kazasu_sign::cms::{CmsVerifier, ParsedSignedData, SignatureReport, SigningTimeSource};
use serde::Serialize;
use time::OffsetDateTime;

use super::Refusal;
use super::application::Application;
use super::linkage::{JpkiRevocationCause, Linkage, LinkageId, LinkageState, SuspensionReason};
use super::registry::{LicenceStatus, QualificationRegistry};
use super::store::{LinkageKey, LinkageStore};
use super::suspension::{JpkiCertificate, LinkageIndex, RevocationHit};
use crate::identity::{RecordIdentity, match_identity, normalise};
use crate::links::CardLinkSource;
use crate::verify::VerificationSetup;
use crate::{HealthError, StoreError};

/// A linkage newly suspended by a check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Suspension {
    /// The linkage.
    pub linkage: LinkageId,
    /// Why.
    pub reason: SuspensionReason,
    /// Since when.
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
}

/// A professional signed in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SignedIn {
    /// The linkage both cards map to.
    pub linkage: LinkageId,
    /// The name (as applied and matched).
    pub name: String,
    /// The roles the HPKI certificate's hcRole states.
    pub roles: Vec<String>,
    /// The linkage state (`active`).
    pub state: &'static str,
}

/// A referral letter accepted at the receiving hospital.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ReferralCheck {
    /// The signer's linkage.
    pub linkage: LinkageId,
    /// The signer's name (from the linkage).
    pub signer: String,
    /// The signer's hcRoles.
    pub roles: Vec<String>,
    /// The signing time the timestamp proves.
    #[serde(with = "time::serde::rfc3339")]
    pub signed_at: OffsetDateTime,
    /// The linkage state now (a letter signed while active stays valid after a suspension).
    pub state_now: &'static str,
}

/// The roles a referral letter (紹介状) needs: Medical Doctor or Dentist.
pub const REFERRAL_ROLES: [HcRole; 2] = [HcRole::MedicalDoctor, HcRole::Dentist];

fn conflict(e: StoreError) -> HealthError {
    match e {
        StoreError::Conflict(why) => Refusal::AlreadyLinked(why).into(),
        other => other.into(),
    }
}

/// The HPKI registration desk and the checks services make against its linkages.
pub struct QualificationDesk<S> {
    setup: VerificationSetup,
    verifier: Verifier,
    hpki: HpkiVerifier,
    tsa: Vec<Certificate>,
    revocation: Vec<Arc<dyn RevocationSource>>,
    card_links: Arc<dyn CardLinkSource>,
    registry: Arc<dyn QualificationRegistry>,
    challenges: Arc<dyn ChallengeStore>,
    store: S,
}

impl<S> std::fmt::Debug for QualificationDesk<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QualificationDesk")
            .field("setup", &self.setup)
            .field("tsa", &self.tsa.len())
            .finish_non_exhaustive()
    }
}

impl<S: LinkageStore> QualificationDesk<S> {
    /// A desk verifying JPKI with `setup`, HPKI with `hpki`, asking `card_links` which
    /// authentication certificate is the same card's and `registry` about licences, keeping
    /// linkages in `store`. Sign-in challenges live 5 minutes in memory.
    pub fn new(
        setup: VerificationSetup,
        hpki: HpkiVerifier,
        card_links: Arc<dyn CardLinkSource>,
        registry: Arc<dyn QualificationRegistry>,
        store: S,
    ) -> Self {
        Self {
            verifier: setup.verifier(),
            setup,
            hpki,
            tsa: Vec::new(),
            revocation: Vec::new(),
            card_links,
            registry,
            challenges: Arc::new(MemoryChallengeStore::new(time::Duration::minutes(5))),
            store,
        }
    }

    /// Trusts these TSA roots for the signature timestamps of referral letters.
    #[must_use]
    pub fn with_tsa(mut self, anchors: impl IntoIterator<Item = Certificate>) -> Self {
        self.tsa.extend(anchors);
        self
    }

    /// Adds a revocation source for the signatures this desk checks (the CMS verifier asks only
    /// the data a signature embeds and the sources given here, besides the JPKI setup's): the
    /// HPKI CAs' CRLs, an OCSP client.
    #[must_use]
    pub fn with_revocation_source(mut self, source: Arc<dyn RevocationSource>) -> Self {
        self.revocation.push(source);
        self
    }

    /// Keeps sign-in challenges in `challenges`.
    #[must_use]
    pub fn with_challenge_store(mut self, challenges: Arc<dyn ChallengeStore>) -> Self {
        self.challenges = challenges;
        self
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The CMS verifier this desk checks signatures with (JPKI, HPKI, its TSA roots, its JPKI
    /// revocation source), checking at `at` when a signature proves no time.
    pub fn cms_verifier(&self, at: OffsetDateTime) -> CmsVerifier {
        let mut v = CmsVerifier::new()
            .with_jpki(self.verifier.clone())
            .with_hpki(self.hpki.clone())
            .with_tsa(self.tsa.iter().cloned())
            .with_revocation_source(Arc::clone(&self.setup.revocation));
        for source in &self.revocation {
            v = v.with_revocation_source(Arc::clone(source));
        }
        v.at(at)
    }

    /// 発行申請: accepts an application signed (CMS, content attached) with the My Number Card's
    /// signature key and records the linkage in [`LinkageState::Applied`].
    ///
    /// In order: the CMS signature verifies; its signer is a JPKI signature certificate whose
    /// path and revocation validate for the signature purpose now; the content is an
    /// [`Application`]; J-LIS's card links name the same card's authentication certificate; the
    /// certificate's 基本4情報 match the application (substitute characters go to a person:
    /// [`HealthError::NeedsReview`]); the registry holds the licence, in force, for the same
    /// person; neither the certificates nor the licence are linked yet. Any refusal writes nothing.
    pub fn apply(&self, signed: &[u8], at: OffsetDateTime) -> Result<Linkage, HealthError> {
        let report = self.cms_verifier(at).verify(signed, None);
        for part in [&report.structure, &report.digest, &report.signature] {
            if !part.is_valid() {
                return Err(Refusal::ApplicationSignature(part.to_string()).into());
            }
        }
        let parsed = ParsedSignedData::from_der(signed)
            .map_err(|e| Refusal::ApplicationSignature(e.to_string()))?;
        let cert_der = parsed
            .signer_infos()
            .next()
            .and_then(|i| parsed.signer_certificate(i))
            .ok_or_else(|| Refusal::ApplicationSignature("no signer certificate".into()))?;
        let cert = Certificate::from_der(cert_der)?;
        if cert.kind() != CertificateKind::JpkiSignature {
            return Err(Refusal::NotJpkiSignature {
                kind: report
                    .signer
                    .as_ref()
                    .map(|s| s.kind.clone())
                    .unwrap_or_else(|| "unknown".into()),
            }
            .into());
        }
        // The path and revocation now, whatever time the signature claims.
        let sign_id = self
            .verifier
            .validate_with(
                &cert,
                &intermediates(&parsed, cert_der),
                Purpose::Signature,
                at,
            )?
            .leaf_id();
        let content = parsed
            .content
            .as_deref()
            .ok_or_else(|| Refusal::ApplicationUnreadable("the content is not attached".into()))?;
        let application = Application::parse(content)?;
        let auth_id = self
            .card_links
            .authentication_for(&sign_id)?
            .ok_or_else(|| Refusal::CardLinkUnknown {
                signature: sign_id.to_string(),
            })?;
        let personal = cert.personal_data()?.ok_or_else(|| HealthError::Invalid {
            field: "signature certificate",
            reason: "carries no personal data".into(),
        })?;
        match_identity(
            &personal,
            &RecordIdentity {
                name: &application.name,
                birth_date: application.birth_date,
                sex: application.sex,
                address: None,
            },
        )?;
        let number = &application.registration_number;
        let licence = self
            .registry
            .licence(application.profession, number)?
            .ok_or_else(|| Refusal::LicenceNotFound {
                profession: application.profession,
                number: number.clone(),
            })?;
        if let LicenceStatus::Revoked { since, .. } = licence.status {
            return Err(Refusal::LicenceRevoked {
                profession: application.profession,
                number: number.clone(),
                since,
            }
            .into());
        }
        if normalise(&licence.name) != normalise(&application.name) {
            return Err(Refusal::RegistryMismatch { field: "name" }.into());
        }
        if licence.birth_date != application.birth_date {
            return Err(Refusal::RegistryMismatch {
                field: "birth date",
            }
            .into());
        }
        if licence.sex != application.sex {
            return Err(Refusal::RegistryMismatch { field: "sex" }.into());
        }
        let linkage = Linkage::applied(application, sign_id, auth_id, at);
        self.store.insert_linkage(&linkage).map_err(conflict)?;
        tracing::info!(target: "kazasu_health", linkage = %linkage.id, "HPKI application accepted");
        Ok(linkage)
    }

    /// Links the HPKI certificates the CA issued (signature, and authentication where the card
    /// has that AP) and makes the linkage active. Each must prove the qualification applied for
    /// (path to the HPKI root, policy, revocation, the hcRole) and name the applicant (the
    /// kanji name, normalised).
    pub fn record_issuance(
        &self,
        id: &LinkageId,
        hpki_signature: &Certificate,
        hpki_authentication: Option<&Certificate>,
        at: OffsetDateTime,
    ) -> Result<Linkage, HealthError> {
        let linkage = self
            .store
            .find_linkage(LinkageKey::Id(id))?
            .ok_or_else(|| Refusal::NotLinked(format!("no linkage {id}")))?;
        if linkage.state != LinkageState::Applied {
            return Err(Refusal::WrongState {
                id: id.clone(),
                state: linkage.state.label(),
                needed: "applied",
            }
            .into());
        }
        let role = linkage.application.profession.hc_role();
        let mut ids = Vec::new();
        for (cert, purpose) in std::iter::once((hpki_signature, Purpose::HpkiSignature))
            .chain(hpki_authentication.map(|c| (c, Purpose::HpkiAuthentication)))
        {
            let q = self
                .hpki
                .verify_qualification(cert, &[], at, std::slice::from_ref(&role))
                .map_err(|e| Refusal::HpkiRejected(e.to_string()))?;
            if q.purpose != purpose {
                return Err(Refusal::HpkiRejected(format!(
                    "expected a certificate for {purpose:?}, got one for {:?}",
                    q.purpose
                ))
                .into());
            }
            let named = q.name_kanji.as_deref().map(normalise);
            if named.as_deref() != Some(normalise(&linkage.application.name).as_str()) {
                return Err(Refusal::HpkiHolderMismatch { field: "name" }.into());
            }
            ids.push(q.path.leaf_id());
        }
        let sign_id = ids
            .first()
            .cloned()
            .ok_or_else(|| Refusal::HpkiRejected("no certificate".into()))?;
        self.store
            .record_issuance(id, &sign_id, ids.get(1), at)
            .map_err(conflict)?;
        self.store
            .find_linkage(LinkageKey::Id(id))?
            .ok_or_else(|| Refusal::NotLinked(format!("no linkage {id}")).into())
    }

    /// Real-time loss of status from new JPKI CRLs (give the signature CA's and the
    /// authentication CA's: whether both certificates were revoked tells death from a change of
    /// name or address). Each CRL must be signed by a JPKI root this desk trusts and be in force
    /// at `at`. Every linkage one of its certificates is listed on is suspended since the entry's
    /// invalidity date (else its revocation date); returns the linkages newly suspended.
    pub fn apply_crls(
        &self,
        crls: &[Crl],
        at: OffsetDateTime,
    ) -> Result<Vec<Suspension>, HealthError> {
        let mut signers = Vec::new();
        for crl in crls {
            signers.push(self.crl_signer(crl, at)?);
        }
        let linkages = self.store.linkages()?;
        let index = LinkageIndex::new(&linkages);
        let mut hits: Vec<RevocationHit> = Vec::new();
        for (crl, key_id) in crls.iter().zip(&signers) {
            hits.extend(index.revoked_by(crl, key_id)?);
        }
        self.suspend_hits(hits)
    }

    /// Suspends the linkages of `hits` (from [`LinkageIndex::revoked_by`] over verified CRLs).
    pub fn suspend_hits(&self, hits: Vec<RevocationHit>) -> Result<Vec<Suspension>, HealthError> {
        type Pair = (
            Option<kazasu_pki::RevokedEntry>,
            Option<kazasu_pki::RevokedEntry>,
        );
        let mut per: HashMap<LinkageId, Pair> = HashMap::new();
        for hit in hits {
            let slot = per.entry(hit.linkage).or_default();
            match hit.certificate {
                JpkiCertificate::Signature => slot.0 = Some(hit.entry),
                JpkiCertificate::Authentication => slot.1 = Some(hit.entry),
            }
        }
        let mut out = Vec::new();
        let mut ids: Vec<_> = per.into_iter().collect();
        ids.sort_by(|a, b| a.0.cmp(&b.0));
        for (id, (sig, auth)) in ids {
            let cause = JpkiRevocationCause::classify(
                sig.as_ref().map(|e| e.reason),
                auth.as_ref().map(|e| e.reason),
            );
            let since = [&sig, &auth]
                .into_iter()
                .flatten()
                .map(|e| e.invalidity_date.unwrap_or(e.revoked_at))
                .min();
            let Some(since) = since else { continue };
            let reason = SuspensionReason::JpkiRevoked {
                cause,
                signature_reason: sig.as_ref().and_then(|e| e.reason),
                signature_revoked: sig.is_some(),
                authentication_revoked: auth.is_some(),
            };
            if self.store.suspend(&id, &reason, since)? {
                tracing::info!(target: "kazasu_health", linkage = %id, %reason, "linkage suspended");
                out.push(Suspension {
                    linkage: id,
                    reason,
                    since,
                });
            }
        }
        Ok(out)
    }

    /// The key id of the trusted JPKI root that signed `crl`, if it did and the CRL is in force.
    fn crl_signer(&self, crl: &Crl, at: OffsetDateTime) -> Result<Vec<u8>, HealthError> {
        let anchor = self
            .setup
            .trust
            .anchors()
            .iter()
            .filter(|a| a.subject_der() == crl.issuer_der())
            .filter(|a| crl.authority_key_id().is_none_or(|k| k == a.key_id()))
            .find(|a| crl.verify_signature(a, false).is_ok())
            .ok_or_else(|| {
                Refusal::Crl(format!(
                    "no trusted JPKI CA signed the CRL of {}",
                    crl.issuer()
                ))
            })?;
        if crl.this_update() > at {
            return Err(Refusal::Crl(format!("not valid before {}", crl.this_update())).into());
        }
        Ok(anchor.key_id().to_vec())
    }

    /// Asks the registry about every linked licence; suspends those revoked since.
    pub fn check_registry(&self) -> Result<Vec<Suspension>, HealthError> {
        let mut out = Vec::new();
        for l in self.store.linkages()? {
            let a = &l.application;
            let status = self
                .registry
                .licence(a.profession, &a.registration_number)?
                .map(|r| r.status);
            let (reason, since) = match status {
                Some(LicenceStatus::Revoked { since, reason }) => (reason, since),
                None => ("no longer in the registry".to_owned(), l.applied_at),
                Some(_) => continue,
            };
            let reason = SuspensionReason::LicenceRevoked { reason };
            if self.store.suspend(&l.id, &reason, since)? {
                out.push(Suspension {
                    linkage: l.id,
                    reason,
                    since,
                });
            }
        }
        Ok(out)
    }

    /// A fresh single-use challenge for sign-in.
    pub fn issue_challenge(&self, at: OffsetDateTime) -> Result<Vec<u8>, HealthError> {
        Ok(self.challenges.issue(at)?)
    }

    /// Sign-in of a professional: an HPKI assertion (the authentication AP's key, or the
    /// signature AP's where the card has only that) and a JPKI authentication assertion, both
    /// over one challenge this desk issued (used once), both certificates valid now, both mapping
    /// to one active linkage.
    pub fn sign_in(
        &self,
        hpki: &AuthAssertion,
        jpki: &AuthAssertion,
        at: OffsetDateTime,
    ) -> Result<SignedIn, HealthError> {
        if hpki.challenge != jpki.challenge {
            return Err(Refusal::Assertion(
                "the two assertions answer different challenges".into(),
            )
            .into());
        }
        self.challenges
            .check(&hpki.challenge, at)
            .map_err(|p| HealthError::Rejected(p.into()))?;
        let q = self
            .hpki
            .verify_qualification(&hpki.certificate, &[], at, &[])
            .map_err(|e| Refusal::HpkiRejected(e.to_string()))?;
        hpki.certificate
            .verify_message(hpki.hash, &hpki.challenge, &hpki.signature)
            .map_err(|e| Refusal::Assertion(format!("HPKI signature: {e}")))?;
        let jpki_ok = self
            .verifier
            .verify_assertion(jpki, self.challenges.as_ref(), at)?;
        let hpki_id = q.path.leaf_id();
        let by_hpki = self
            .store
            .find_linkage(LinkageKey::Hpki(&hpki_id))?
            .ok_or_else(|| Refusal::NotLinked(format!("HPKI certificate {hpki_id}")))?;
        let by_jpki = self
            .store
            .find_linkage(LinkageKey::JpkiAuthentication(&jpki_ok.id))?
            .ok_or_else(|| Refusal::NotLinked(format!("JPKI certificate {}", jpki_ok.id)))?;
        if by_hpki.id != by_jpki.id {
            return Err(Refusal::LinkageMismatch {
                hpki: by_hpki.id,
                jpki: by_jpki.id,
            }
            .into());
        }
        match &by_hpki.state {
            LinkageState::Active => {}
            LinkageState::Suspended { reason, since } => {
                return Err(Refusal::Suspended {
                    id: by_hpki.id.clone(),
                    reason: reason.clone(),
                    since: *since,
                }
                .into());
            }
            other => {
                return Err(Refusal::WrongState {
                    id: by_hpki.id.clone(),
                    state: other.label(),
                    needed: "active",
                }
                .into());
            }
        }
        Ok(SignedIn {
            linkage: by_hpki.id,
            name: by_hpki.application.name,
            roles: q.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            state: "active",
        })
    }

    /// A referral letter (紹介状) at the receiving hospital, from the report of its signature
    /// (CMS, or a PAdES signature's CMS) and the signer certificate: every part valid, the
    /// signing time proven by a timestamp, the signer a Medical Doctor or Dentist, and the
    /// signer's linkage active at that time (a later suspension does not reach back).
    pub fn check_referral(
        &self,
        report: &SignatureReport,
        signer: &Certificate,
    ) -> Result<ReferralCheck, HealthError> {
        let verdict = report.verdict();
        if !verdict.is_valid() {
            return Err(Refusal::LetterSignature(verdict.to_string()).into());
        }
        let signed_at = match report.signing_time {
            Some(t) if t.source == SigningTimeSource::Timestamp => t.time,
            _ => return Err(Refusal::LetterNotTimestamped.into()),
        };
        let roles = report
            .signer
            .as_ref()
            .map(|s| s.hc_roles.clone())
            .unwrap_or_default();
        let accepted = REFERRAL_ROLES
            .iter()
            .any(|r| roles.iter().any(|h| h == r.as_str()));
        if !accepted {
            return Err(Refusal::RoleNotAccepted {
                held: roles,
                required: REFERRAL_ROLES
                    .iter()
                    .map(|r| r.as_str().to_owned())
                    .collect(),
            }
            .into());
        }
        let id = signer.id().ok_or_else(|| {
            Refusal::NotLinked("the signer certificate has no issuer key id".into())
        })?;
        let linkage = self
            .store
            .find_linkage(LinkageKey::Hpki(&id))?
            .ok_or_else(|| Refusal::NotLinked(format!("HPKI certificate {id}")))?;
        linkage.active_at(signed_at)?;
        Ok(ReferralCheck {
            linkage: linkage.id,
            signer: linkage.application.name,
            roles,
            signed_at,
            state_now: linkage.state.label(),
        })
    }

    /// [`QualificationDesk::check_referral`] for a CMS signature over `content` (detached) or
    /// carrying it.
    pub fn check_referral_cms(
        &self,
        cms: &[u8],
        content: Option<&[u8]>,
        at: OffsetDateTime,
    ) -> Result<ReferralCheck, HealthError> {
        let report = self.cms_verifier(at).verify(cms, content);
        self.check_referral(&report, &signer_of(cms)?)
    }

    /// [`QualificationDesk::check_referral`] for a PDF letter signed with PAdES (JAHIS 17-004):
    /// every signature of the PDF must verify (ByteRange, nothing but signatures and validation
    /// data appended, CMS), and the first signature — the referring professional's — is judged.
    pub fn check_referral_pdf(
        &self,
        pdf: &[u8],
        at: OffsetDateTime,
    ) -> Result<ReferralCheck, HealthError> {
        let report = kazasu_sign::pades::verify_pdf(pdf, &self.cms_verifier(at))
            .map_err(|e| Refusal::LetterSignature(e.to_string()))?;
        let verdict = report.verdict();
        if !verdict.is_valid() {
            return Err(Refusal::LetterSignature(verdict.to_string()).into());
        }
        let first = report
            .signatures
            .first()
            .ok_or_else(|| Refusal::LetterSignature("the PDF has no signature".into()))?;
        let cms = first
            .cms
            .as_ref()
            .ok_or_else(|| Refusal::LetterSignature("the CMS was not checked".into()))?;
        self.check_referral(cms, &signer_of(&first.signature.cms)?)
    }
}

/// The signer certificate a CMS carries.
fn signer_of(cms: &[u8]) -> Result<Certificate, HealthError> {
    let parsed =
        ParsedSignedData::from_der(cms).map_err(|e| Refusal::LetterSignature(e.to_string()))?;
    let der = parsed
        .signer_infos()
        .next()
        .and_then(|i| parsed.signer_certificate(i))
        .ok_or_else(|| Refusal::LetterSignature("no signer certificate".into()))?;
    Ok(Certificate::from_der(der)?)
}

fn intermediates(parsed: &ParsedSignedData, leaf: &[u8]) -> Vec<Certificate> {
    parsed
        .certificates
        .iter()
        .filter(|d| d.as_slice() != leaf)
        .filter_map(|d| Certificate::from_der(d).ok())
        .collect()
}
