-- HPKI ↔ JPKI linkages: one row per professional, the certificates as indexed keys (issuer key id
-- hex ":" serial hex), the whole linkage as JSON.
CREATE TABLE linkages (
    id TEXT PRIMARY KEY,
    jpki_signature TEXT NOT NULL UNIQUE,
    jpki_authentication TEXT NOT NULL UNIQUE,
    licence TEXT NOT NULL UNIQUE,
    hpki_signature TEXT UNIQUE,
    hpki_authentication TEXT UNIQUE,
    state TEXT NOT NULL,
    body TEXT NOT NULL
);
