#![no_main]
//! Arbitrary bytes as a FHIR R4 `Consent`: a typed error, or a consent that exports and imports
//! back to itself; never a panic. The same bytes as a canonical consent document too.

use kazasu_consent::{ConsentDocument, ConsentState, fhir};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = ConsentDocument::from_canonical(data) {
        assert_eq!(doc.to_canonical().expect("a read document writes"), data);
    }
    let Ok(imported) = fhir::import(data) else {
        return;
    };
    let state = ConsentState {
        record: imported.record.clone(),
        status: imported.status,
        granted_seq: 0,
        granted_at: imported.recorded_at,
        ended_seq: None,
        document: String::from_utf8(imported.document.clone()).expect("documents are UTF-8"),
        evidence: imported.evidence.clone(),
    };
    let json = serde_json::to_vec(&fhir::export(&state)).expect("serializes");
    let again = fhir::import(&json).expect("what was exported imports");
    assert_eq!(again, imported);
});
