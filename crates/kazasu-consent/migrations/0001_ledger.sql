-- The consent ledger: append-only rows, each hash-chained to the one before, and the network's
-- signed checkpoints of the head.
CREATE TABLE ledger (
    seq INTEGER PRIMARY KEY,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL,
    patient TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX ledger_by_patient ON ledger(patient);
CREATE TABLE checkpoints (
    seq INTEGER PRIMARY KEY,
    head BLOB NOT NULL,
    at TEXT NOT NULL,
    signature BLOB NOT NULL
);
