-- Lookups by certificate alone: adopting a legacy id on every presentation, and following a
-- renewal chain backwards, must not scan the tables.
CREATE INDEX patient_cards_by_certificate ON patient_cards(issuer, serial);
CREATE INDEX renewals_by_old ON renewals(old_issuer, old_serial);
