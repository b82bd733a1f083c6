-- People, qualifications, certificate links, renewals, 照会番号, patient cards, reservations,
-- queue numbers and check-ins.
CREATE TABLE persons (
    agency_code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_kana TEXT NOT NULL,
    sex TEXT NOT NULL,
    birth_date TEXT NOT NULL
);
CREATE TABLE qualifications (
    id INTEGER PRIMARY KEY,
    agency_code TEXT NOT NULL REFERENCES persons(agency_code) ON DELETE CASCADE,
    insurer_number TEXT NOT NULL,
    symbol TEXT NOT NULL,
    number TEXT NOT NULL,
    branch TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_until TEXT,
    family_class TEXT NOT NULL,
    contribution_ratio TEXT
);
CREATE INDEX qualifications_by_person ON qualifications(agency_code);
CREATE TABLE certificate_links (
    issuer TEXT NOT NULL,
    serial TEXT NOT NULL,
    agency_code TEXT NOT NULL REFERENCES persons(agency_code),
    linked_at TEXT NOT NULL,
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
    linked_at TEXT NOT NULL,
    PRIMARY KEY (facility, issuer, serial)
);
CREATE TABLE reservations (
    id INTEGER PRIMARY KEY,
    facility TEXT NOT NULL,
    patient_card TEXT NOT NULL,
    day TEXT NOT NULL,
    time TEXT NOT NULL,
    department TEXT NOT NULL
);
CREATE INDEX reservations_by_day ON reservations(facility, patient_card, day);
CREATE TABLE queue_counters (
    facility TEXT NOT NULL,
    day TEXT NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (facility, day)
);
CREATE TABLE checkins (
    facility TEXT NOT NULL,
    day TEXT NOT NULL,
    queue_number INTEGER NOT NULL,
    patient_card TEXT NOT NULL,
    checked_in_at TEXT NOT NULL,
    PRIMARY KEY (facility, day, queue_number)
);
