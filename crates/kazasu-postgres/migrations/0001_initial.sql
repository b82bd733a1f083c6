-- kazasu's tables on PostgreSQL: the eligibility and check-in data, facility terminals, nonces and
-- the audit trail, challenges, HPKI ↔ JPKI linkages, the consent ledger, accounts and tickets.
CREATE TABLE persons (
    agency_code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_kana TEXT NOT NULL,
    sex1 TEXT NOT NULL,
    sex2 TEXT NOT NULL,
    birth_date DATE NOT NULL,
    address TEXT
);
CREATE TABLE qualifications (
    id BIGSERIAL PRIMARY KEY,
    agency_code TEXT NOT NULL REFERENCES persons(agency_code) ON DELETE CASCADE,
    insurer_number TEXT NOT NULL,
    symbol TEXT NOT NULL,
    number TEXT NOT NULL,
    branch TEXT NOT NULL,
    valid_from DATE NOT NULL,
    valid_until DATE,
    family_class TEXT NOT NULL,
    contribution_ratio TEXT,
    elderly_ratio TEXT
);
CREATE INDEX qualifications_by_person ON qualifications(agency_code);
CREATE INDEX qualifications_by_insurer ON qualifications(insurer_number);
CREATE TABLE certificate_links (
    issuer TEXT NOT NULL,
    serial TEXT NOT NULL,
    agency_code TEXT NOT NULL REFERENCES persons(agency_code),
    linked_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (issuer, serial)
);
CREATE TABLE renewals (
    new_issuer TEXT NOT NULL,
    new_serial TEXT NOT NULL,
    old_issuer TEXT NOT NULL,
    old_serial TEXT NOT NULL,
    PRIMARY KEY (new_issuer, new_serial)
);
CREATE TABLE reference_numbers (
    facility TEXT NOT NULL,
    agency_code TEXT NOT NULL,
    reference_number TEXT NOT NULL,
    PRIMARY KEY (facility, agency_code)
);
CREATE TABLE patient_cards (
    facility TEXT NOT NULL,
    issuer TEXT NOT NULL,
    serial TEXT NOT NULL,
    patient_card TEXT NOT NULL,
    linked_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (facility, issuer, serial)
);
CREATE INDEX patient_cards_by_card ON patient_cards(facility, patient_card);
CREATE TABLE patients (
    facility TEXT NOT NULL,
    patient_card TEXT NOT NULL,
    name TEXT NOT NULL,
    birth_date DATE NOT NULL,
    sex TEXT NOT NULL,
    PRIMARY KEY (facility, patient_card)
);
CREATE TABLE reservations (
    id BIGSERIAL PRIMARY KEY,
    facility TEXT NOT NULL,
    patient_card TEXT NOT NULL,
    day DATE NOT NULL,
    time TEXT NOT NULL,
    department TEXT NOT NULL
);
CREATE INDEX reservations_by_day ON reservations(facility, patient_card, day);
-- One row per facility and day: check-ins lock it, so numbers are handed out one at a time.
CREATE TABLE queue_counters (
    facility TEXT NOT NULL,
    day DATE NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (facility, day)
);
CREATE TABLE checkins (
    facility TEXT NOT NULL,
    day DATE NOT NULL,
    queue_number INTEGER NOT NULL,
    patient_card TEXT NOT NULL,
    checked_in_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (facility, day, queue_number),
    UNIQUE (facility, day, patient_card)
);
CREATE TABLE terminals (
    facility TEXT NOT NULL,
    terminal TEXT NOT NULL,
    public_key BYTEA NOT NULL,
    registered_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (facility, terminal)
);
CREATE TABLE approval_nonces (
    facility TEXT NOT NULL,
    nonce BYTEA NOT NULL,
    keep_until BIGINT NOT NULL,
    PRIMARY KEY (facility, nonce)
);
CREATE INDEX approval_nonces_by_expiry ON approval_nonces(keep_until);
CREATE TABLE audit (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    facility TEXT NOT NULL,
    terminal TEXT,
    staff TEXT,
    certificate TEXT,
    mode TEXT NOT NULL,
    result TEXT NOT NULL,
    evidence TEXT
);
CREATE INDEX audit_by_facility ON audit(facility, mode, at);
CREATE TABLE challenges (
    challenge BYTEA PRIMARY KEY,
    expires_at BIGINT NOT NULL,
    used BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX challenges_by_expiry ON challenges(expires_at);
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
CREATE TABLE ledger (
    seq BIGINT PRIMARY KEY,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL,
    patient TEXT NOT NULL,
    body BYTEA NOT NULL
);
CREATE INDEX ledger_by_patient ON ledger(patient, seq);
-- The signed time is kept as the RFC 3339 text that was signed (its offset is part of it).
CREATE TABLE checkpoints (
    seq BIGINT PRIMARY KEY,
    head BYTEA NOT NULL,
    at TEXT NOT NULL,
    signature BYTEA NOT NULL
);
CREATE TABLE accounts (
    id BIGSERIAL PRIMARY KEY,
    authentication TEXT NOT NULL UNIQUE,
    personal TEXT NOT NULL,
    source TEXT NOT NULL,
    verified_at_ns BIGINT NOT NULL
);
CREATE TABLE tickets (
    id BIGSERIAL PRIMARY KEY,
    event TEXT NOT NULL,
    holder TEXT NOT NULL,
    admitted_gate TEXT,
    admitted_at_ns BIGINT,
    UNIQUE (event, holder)
);
CREATE INDEX tickets_holder ON tickets(holder);
