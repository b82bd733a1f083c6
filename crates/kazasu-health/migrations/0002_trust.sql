-- The system's sex codes (Sex1 as printed, Sex2 actual; 1 男 2 女 3 未設定), addresses, 高齢受給者
-- ratios, facility terminals, approval nonces, the audit trail, facilities' patient records, and
-- challenges shared between service instances.
ALTER TABLE persons ADD COLUMN sex1 TEXT NOT NULL DEFAULT '3';
ALTER TABLE persons ADD COLUMN sex2 TEXT NOT NULL DEFAULT '3';
ALTER TABLE persons ADD COLUMN address TEXT;
UPDATE persons SET sex1 = CASE sex WHEN '1' THEN '1' WHEN '2' THEN '2' ELSE '3' END;
UPDATE persons SET sex2 = sex1;
ALTER TABLE qualifications ADD COLUMN elderly_ratio TEXT;
CREATE TABLE terminals (
    facility TEXT NOT NULL,
    terminal TEXT NOT NULL,
    public_key BLOB NOT NULL,
    registered_at TEXT NOT NULL,
    PRIMARY KEY (facility, terminal)
);
CREATE TABLE approval_nonces (
    facility TEXT NOT NULL,
    nonce BLOB NOT NULL,
    keep_until INTEGER NOT NULL,
    PRIMARY KEY (facility, nonce)
);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    at_text TEXT NOT NULL,
    facility TEXT NOT NULL,
    terminal TEXT,
    staff TEXT,
    certificate TEXT,
    mode TEXT NOT NULL,
    result TEXT NOT NULL,
    evidence TEXT
);
CREATE INDEX audit_by_facility ON audit(facility, mode, at);
CREATE TABLE patients (
    facility TEXT NOT NULL,
    patient_card TEXT NOT NULL,
    name TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    sex TEXT NOT NULL,
    PRIMARY KEY (facility, patient_card)
);
CREATE INDEX patient_cards_by_card ON patient_cards(facility, patient_card);
CREATE INDEX checkins_by_card ON checkins(facility, day, patient_card);
CREATE TABLE challenges (
    challenge BLOB PRIMARY KEY,
    expires_at INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX challenges_by_expiry ON challenges(expires_at);
