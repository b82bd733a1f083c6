//! The proof that the patient (or representative) performed an act, kept in the ledger so that it
//! can be verified again later, offline.
//!
//! - [`Evidence::Cms`]: the canonical document signed as CMS/CAdES with the JPKI **signature** key,
//!   timestamped (B-T) and carrying the revocation data of the signing time (CRLs in SignedData,
//!   which makes it B-LT): certificate, signature and revocation evidence in one structure.
//! - [`Evidence::Assertion`]: where only the authentication PIN exists (a child's card, a phone),
//!   the authentication key signs [`assertion_message`] — SHA-256 of a domain-separation label and
//!   the document's hash — so the signature can never be replayed as a login answer, and a login
//!   answer can never be presented as a consent. The certificate and the CRLs of the time are kept.

use std::sync::Arc;

use kazasu_pki::{Certificate, CrlSet, HashAlgorithm, Purpose, TrustStore, Verifier};
use kazasu_sign::cms::{CmsVerifier, ParsedSignedData, SignOptions, ValidationData, sign};
use kazasu_sign::tsp::TimeStampAuthority;
use kazasu_sign::{DocumentSigner, Verdict};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::ConsentError;
use crate::document::ConsentDocument;
use crate::model::JpkiIdentity;

/// How far the proven time of a signature may be from the time the document states.
pub const CLOCK_SKEW: time::Duration = time::Duration::minutes(10);

/// The label authentication-key consent signatures are made over.
pub const ASSERTION_DOMAIN: &[u8] = b"kazasu-consent/v1/authentication-assertion\0";

/// What the authentication key signs for a consent document: SHA-256(label ‖ SHA-256(document)).
pub fn assertion_message(document: &[u8]) -> [u8; 32] {
    let doc_hash: [u8; 32] = Sha256::digest(document).into();
    let mut h = Sha256::new();
    h.update(ASSERTION_DOMAIN);
    h.update(doc_hash);
    h.finalize().into()
}

/// How an act is proven.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    /// CMS/CAdES over the document with the JPKI signature key, with the content attached.
    Cms {
        /// DER ContentInfo (hex in JSON).
        #[serde(with = "hex")]
        cms: Vec<u8>,
    },
    /// An authentication-key signature over [`assertion_message`].
    Assertion {
        /// The authentication certificate, DER.
        #[serde(with = "hex")]
        certificate: Vec<u8>,
        /// PKCS#1 v1.5 SHA-256 signature over [`assertion_message`].
        #[serde(with = "hex")]
        signature: Vec<u8>,
        /// The CRLs that showed the certificate unrevoked when it was recorded, DER.
        crls: Vec<HexBytes>,
    },
}

/// Bytes written as hex in JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HexBytes(#[serde(with = "hex")] pub Vec<u8>);

/// Signs `document` as CAdES with the JPKI signature key (`signer`), timestamped by `tsa`, with the
/// CRLs of the moment (`crls`) embedded.
pub fn sign_document(
    document: &ConsentDocument,
    signer: &mut dyn DocumentSigner,
    tsa: &dyn TimeStampAuthority,
    crls: &[Vec<u8>],
) -> Result<(Vec<u8>, Evidence), ConsentError> {
    let bytes = document.to_canonical()?;
    let mut validation = ValidationData::new();
    validation.crls = crls.to_vec();
    let mut options = SignOptions::default();
    options.attached = true;
    options.signing_time = Some(document.at);
    options.tsa = Some(tsa);
    options.validation = Some(&validation);
    let cms = sign(&bytes, signer, &options).map_err(|e| ConsentError::Evidence(e.to_string()))?;
    Ok((bytes, Evidence::Cms { cms }))
}

/// The assertion evidence from an authentication signature made over
/// [`assertion_message`]`(document)`.
pub fn assertion_evidence(certificate: &[u8], signature: &[u8], crls: &[Vec<u8>]) -> Evidence {
    Evidence::Assertion {
        certificate: certificate.to_vec(),
        signature: signature.to_vec(),
        crls: crls.iter().cloned().map(HexBytes).collect(),
    }
}

/// Verifies evidence offline: against JPKI roots and TSA roots only, with the revocation data the
/// evidence carries.
#[derive(Clone, Debug)]
pub struct EvidenceVerifier {
    roots: TrustStore,
    tsa: Vec<Certificate>,
}

/// What verified evidence proves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedEvidence {
    /// Whose key signed.
    pub signer: JpkiIdentity,
    /// The time the act is proven at (the timestamp's time for CMS; the recording time for an
    /// assertion).
    pub at: OffsetDateTime,
}

impl EvidenceVerifier {
    /// Trusts JPKI certificates under `roots` (DER) and timestamps under `tsa_roots` (DER).
    pub fn new(roots: &[Vec<u8>], tsa_roots: &[Vec<u8>]) -> Result<Self, ConsentError> {
        let roots =
            TrustStore::from_der_all(roots).map_err(|e| ConsentError::Evidence(e.to_string()))?;
        let tsa = tsa_roots
            .iter()
            .map(|d| Certificate::from_der(d))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ConsentError::Evidence(e.to_string()))?;
        Ok(Self { roots, tsa })
    }

    /// Verifies that `evidence` proves `document` (its canonical bytes `bytes`), signed by the
    /// identity the document names, when it was recorded at `recorded_at`.
    pub fn verify(
        &self,
        document: &ConsentDocument,
        bytes: &[u8],
        evidence: &Evidence,
        recorded_at: OffsetDateTime,
    ) -> Result<VerifiedEvidence, ConsentError> {
        let refuse = |why: String| Err(ConsentError::Evidence(why));
        let (certificate, at) = match evidence {
            Evidence::Cms { cms } => {
                let parsed = ParsedSignedData::from_der(cms)
                    .map_err(|e| ConsentError::Evidence(e.to_string()))?;
                if parsed.content.as_deref() != Some(bytes) {
                    return refuse("the CMS does not carry this document".into());
                }
                // Only the embedded CRLs: the check must give the same answer years later.
                let verifier = CmsVerifier::new()
                    .with_jpki(Verifier::new(self.roots.clone()))
                    .with_tsa(self.tsa.iter().cloned())
                    .at(recorded_at);
                let report = verifier.verify(cms, None);
                if report.timestamp.is_none() {
                    return refuse("the signature has no timestamp (B-T needed)".into());
                }
                match report.verdict() {
                    Verdict::Valid => {}
                    v => return refuse(format!("CMS signature: {v}")),
                }
                let at = report.signing_time.map(|t| t.time).unwrap_or(recorded_at);
                // The timestamp proves when the signature existed: not before the act it states,
                // and not after the network recorded it.
                if at < document.at - CLOCK_SKEW || at > recorded_at + CLOCK_SKEW {
                    return refuse(format!(
                        "the timestamp ({at}) does not fit the document's time ({}) and the recording time ({recorded_at})",
                        document.at
                    ));
                }
                let signer = report
                    .signer
                    .ok_or_else(|| ConsentError::Evidence("no signer".into()))?;
                let cert = parsed
                    .certificates
                    .iter()
                    .filter_map(|d| Certificate::from_der(d).ok())
                    .find(|c| c.serial_hex() == signer.serial && c.issuer() == signer.issuer)
                    .ok_or_else(|| ConsentError::Evidence("signer certificate missing".into()))?;
                if signer.kind != "jpki_signature" {
                    return refuse(format!("signed with a {} certificate", signer.kind));
                }
                (cert, at)
            }
            Evidence::Assertion {
                certificate,
                signature,
                crls,
            } => {
                let cert = Certificate::from_der(certificate)
                    .map_err(|e| ConsentError::Evidence(e.to_string()))?;
                let crls = CrlSet::from_der_all(&crls.iter().map(|c| &c.0).collect::<Vec<_>>())
                    .map_err(|e| ConsentError::Evidence(e.to_string()))?;
                let verifier =
                    Verifier::new(self.roots.clone()).with_shared_revocation(Arc::new(crls));
                verifier
                    .validate(&cert, Purpose::Authentication, recorded_at)
                    .map_err(|e| ConsentError::Evidence(e.to_string()))?;
                cert.verify_message(HashAlgorithm::Sha256, &assertion_message(bytes), signature)
                    .map_err(|e| ConsentError::Evidence(e.to_string()))?;
                (cert, recorded_at)
            }
        };
        let signer = JpkiIdentity::of(&certificate)?;
        if &signer != document.signer_identity() {
            return refuse(format!(
                "signed by {}, but the document names {}",
                signer.as_str(),
                document.signer_identity().as_str()
            ));
        }
        Ok(VerifiedEvidence { signer, at })
    }
}
