#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Properties of the identity text form, the CRL entry-extension scan and duplicate-extension
//! detection, on generated input.

mod common;

use std::collections::HashSet;

use common::vc;
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use kazasu_pki::{Certificate, CertificateId, Crl, Error, LegacyCertificateId};
use proptest::prelude::*;
use vc::x509_cert::crl::{CertificateList, RevokedCert};
use vc::x509_cert::ext::Extension;
use vc::x509_cert::serial_number::SerialNumber;

/// Extension OIDs to draw from: reasonCode, invalidityDate (understood in CRL entries), two
/// unknown ones.
const POOL: [&str; 4] = [
    "2.5.29.21",
    "2.5.29.24",
    "1.3.6.1.4.1.32473.9.1",
    "1.3.6.1.4.1.32473.9.2",
];

fn ext(oid: &str, critical: bool) -> Extension {
    Extension {
        extn_id: ObjectIdentifier::new_unwrap(oid),
        critical,
        extn_value: OctetString::new([0x05, 0x00]).unwrap(),
    }
}

/// A fixture CRL (signature not valid: parsing does not check it) whose entries carry `entries`.
fn crl_with(entries: &[Vec<(usize, bool)>]) -> Vec<u8> {
    let f = common::Fixture::new();
    let der = f
        .pki
        .crl(
            vc::Purpose::Authentication,
            vc::Generation::G2023,
            &vc::CrlSpec::valid_at(common::at()),
        )
        .unwrap();
    let mut list: CertificateList = CertificateList::from_der(&der).unwrap();
    let revoked: Vec<RevokedCert> = entries
        .iter()
        .enumerate()
        .map(|(i, exts)| RevokedCert {
            serial_number: SerialNumber::new(&[0x10, u8::try_from(i).unwrap()]).unwrap(),
            revocation_date: list.tbs_cert_list.this_update,
            crl_entry_extensions: (!exts.is_empty())
                .then(|| exts.iter().map(|&(o, c)| ext(POOL[o], c)).collect()),
        })
        .collect();
    list.tbs_cert_list.revoked_certificates = (!revoked.is_empty()).then_some(revoked);
    list.to_der().unwrap()
}

fn entry_exts() -> impl Strategy<Value = Vec<(usize, bool)>> {
    prop::collection::vec((0..POOL.len(), any::<bool>()), 0..3)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn certificate_ids_round_trip(
        key_id in prop::collection::vec(any::<u8>(), 1..40),
        serial in prop::collection::vec(any::<u8>(), 0..21),
    ) {
        let id = CertificateId::new(&key_id, &serial).unwrap();
        let text = id.to_string();
        prop_assert!(text.starts_with(kazasu_pki::CERTIFICATE_ID_PREFIX));
        prop_assert_eq!(text.parse::<CertificateId>().unwrap(), id.clone());
        prop_assert_eq!(
            CertificateId::from_hex_parts(&id.issuer_key_id_hex(), &id.serial_hex()).unwrap(),
            id.clone()
        );
        let json = serde_json::to_string(&id).unwrap();
        prop_assert_eq!(serde_json::from_str::<CertificateId>(&json).unwrap(), id.clone());
        prop_assert!(text.parse::<LegacyCertificateId>().is_err());
        // Leading zero octets of the serial do not change the id.
        let mut padded = vec![0u8; 2];
        padded.extend_from_slice(&serial);
        prop_assert_eq!(CertificateId::new(&key_id, &padded).unwrap(), id);
    }

    #[test]
    fn id_parsing_never_panics_and_is_canonical(s in "(kid:)?[0-9a-fA-F@:]{0,24}") {
        if let Ok(id) = s.parse::<CertificateId>() {
            prop_assert_eq!(id.to_string(), s);
        }
    }

    #[test]
    fn crl_entry_extension_scan_finds_the_first_unsupported_critical_one(
        entries in prop::collection::vec(entry_exts(), 0..6),
    ) {
        let crl = Crl::from_der_vec(crl_with(&entries)).unwrap();
        prop_assert_eq!(crl.len(), entries.len());
        let expected = entries.iter().enumerate().find_map(|(i, exts)| {
            exts.iter()
                .find(|&&(o, critical)| critical && o >= 2)
                .map(|&(o, _)| (format!("10{i:02x}"), POOL[o].to_owned()))
        });
        let got = crl
            .unsupported_critical_entry_extension()
            .map(|(s, o)| (s.to_owned(), o.to_owned()));
        prop_assert_eq!(got, expected);
        // Every entry is still found.
        for i in 0..entries.len() {
            prop_assert!(crl.contains(&[0x10, u8::try_from(i).unwrap()]));
        }
    }

    #[test]
    fn duplicate_extensions_are_rejected_wherever_they_are(
        picks in prop::collection::vec(0usize..12, 0..12),
    ) {
        let f = common::Fixture::new();
        let mut t = f.auth_template();
        t.extra_extensions = picks
            .iter()
            .map(|p| ext(&format!("1.3.6.1.4.1.32473.8.{p}"), false))
            .collect();
        let der = f.pki.issue_with(&t).unwrap();
        let unique: HashSet<usize> = picks.iter().copied().collect();
        match Certificate::from_der(&der) {
            Ok(cert) => {
                prop_assert_eq!(unique.len(), picks.len());
                prop_assert_eq!(cert.der(), &der[..]);
            }
            Err(Error::Der { reason, .. }) => {
                prop_assert!(unique.len() < picks.len(), "{}", reason);
                prop_assert!(reason.contains("appears twice"), "{}", reason);
            }
            Err(e) => prop_assert!(false, "{e}"),
        }
    }
}
