//! [`SqliteAuthStore`]: accounts and tickets in one SQLite database (feature `sqlite`).

use std::path::Path;
use std::sync::Mutex;

use kazasu_pki::CertificateId;
use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};
use time::OffsetDateTime;

use crate::error::{AuthError, poisoned};
use crate::login::{Account, AccountId, AccountStore, VerifiedClaim};
use crate::ticket::{Admission, Ticket, TicketStore};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    authentication TEXT NOT NULL UNIQUE,
    personal TEXT NOT NULL,
    source TEXT NOT NULL,
    verified_at_ns INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tickets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event TEXT NOT NULL,
    holder TEXT NOT NULL,
    admitted_gate TEXT,
    admitted_at_ns INTEGER,
    UNIQUE (event, holder)
);
CREATE INDEX IF NOT EXISTS tickets_holder ON tickets (holder);
";

/// Accounts ([`AccountStore`]) and tickets ([`TicketStore`]) in SQLite (bundled: no system
/// library). Several processes or gates may open the same file: creating an account, moving it
/// onto a renewed certificate and admitting a ticket each run in an immediate transaction, so of
/// concurrent admissions of one ticket exactly one succeeds.
#[derive(Debug)]
pub struct SqliteAuthStore {
    conn: Mutex<Connection>,
}

fn db(e: rusqlite::Error) -> AuthError {
    AuthError::Store(e.to_string())
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation)
}

fn nanos(t: OffsetDateTime) -> Result<i64, AuthError> {
    i64::try_from(t.unix_timestamp_nanos()).map_err(|_| AuthError::Invalid {
        field: "time",
        reason: "outside what the store keeps".into(),
    })
}

fn time_of(ns: i64) -> Result<OffsetDateTime, AuthError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns))
        .map_err(|e| AuthError::Store(format!("corrupt time: {e}")))
}

fn id_of(text: &str) -> Result<CertificateId, AuthError> {
    text.parse()
        .map_err(|e| AuthError::Store(format!("corrupt certificate id: {e}")))
}

impl SqliteAuthStore {
    /// Opens (creating when needed) the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, AuthError> {
        Self::with(Connection::open(path).map_err(db)?)
    }

    /// A private in-memory database.
    pub fn in_memory() -> Result<Self, AuthError> {
        Self::with(Connection::open_in_memory().map_err(db)?)
    }

    fn with(conn: Connection) -> Result<Self, AuthError> {
        // Other connections may hold the write lock for a moment: wait instead of failing.
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db)?;
        conn.execute_batch(SCHEMA).map_err(db)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn account_row(
        row: &rusqlite::Row<'_>,
    ) -> rusqlite::Result<(i64, String, String, String, i64)> {
        Ok((
            row.get(0)?,
            row.get(1)?,
            row.get(2)?,
            row.get(3)?,
            row.get(4)?,
        ))
    }

    fn account(row: (i64, String, String, String, i64)) -> Result<Account, AuthError> {
        let (id, authentication, personal, source, verified_at) = row;
        Ok(Account {
            id: AccountId(
                u64::try_from(id).map_err(|_| AuthError::Store("corrupt account id".into()))?,
            ),
            authentication: id_of(&authentication)?,
            claim: VerifiedClaim {
                personal: serde_json::from_str(&personal)
                    .map_err(|e| AuthError::Store(format!("corrupt claim: {e}")))?,
                source: id_of(&source)?,
                verified_at: time_of(verified_at)?,
            },
        })
    }

    fn find_in(conn: &Connection, authentication: &str) -> Result<Option<Account>, AuthError> {
        conn.query_row(
            "SELECT id, authentication, personal, source, verified_at_ns FROM accounts
             WHERE authentication = ?1",
            params![authentication],
            Self::account_row,
        )
        .optional()
        .map_err(db)?
        .map(Self::account)
        .transpose()
    }

    fn ticket(id: i64, event: String, holder: &str) -> Result<Ticket, AuthError> {
        Ok(Ticket {
            id: u64::try_from(id).map_err(|_| AuthError::Store("corrupt ticket id".into()))?,
            event,
            holder: id_of(holder)?,
        })
    }
}

impl AccountStore for SqliteAuthStore {
    fn create(
        &self,
        authentication: &CertificateId,
        claim: &VerifiedClaim,
    ) -> Result<Account, AuthError> {
        let personal =
            serde_json::to_string(&claim.personal).map_err(|e| AuthError::Store(e.to_string()))?;
        let conn = self.conn.lock().map_err(poisoned)?;
        match conn.execute(
            "INSERT INTO accounts (authentication, personal, source, verified_at_ns)
             VALUES (?1, ?2, ?3, ?4)",
            params![
                authentication.to_string(),
                personal,
                claim.source.to_string(),
                nanos(claim.verified_at)?
            ],
        ) {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Err(AuthError::AlreadyBound),
            Err(e) => return Err(db(e)),
        }
        Ok(Account {
            id: AccountId(
                u64::try_from(conn.last_insert_rowid())
                    .map_err(|_| AuthError::Store("corrupt account id".into()))?,
            ),
            authentication: authentication.clone(),
            claim: claim.clone(),
        })
    }

    fn find(&self, authentication: &CertificateId) -> Result<Option<Account>, AuthError> {
        let conn = self.conn.lock().map_err(poisoned)?;
        Self::find_in(&conn, &authentication.to_string())
    }

    fn rebind(
        &self,
        old: &CertificateId,
        new: &CertificateId,
    ) -> Result<Option<Account>, AuthError> {
        let mut conn = self.conn.lock().map_err(poisoned)?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        // As the in-memory store: a certificate that has an account already takes no other.
        if Self::find_in(&tx, &new.to_string())?.is_some() {
            return Err(AuthError::AlreadyBound);
        }
        let moved = match tx.execute(
            "UPDATE accounts SET authentication = ?2 WHERE authentication = ?1",
            params![old.to_string(), new.to_string()],
        ) {
            Ok(n) => n,
            Err(e) if is_unique_violation(&e) => return Err(AuthError::AlreadyBound),
            Err(e) => return Err(db(e)),
        };
        let account = if moved == 1 {
            Self::find_in(&tx, &new.to_string())?
        } else {
            None
        };
        tx.commit().map_err(db)?;
        Ok(account)
    }
}

impl TicketStore for SqliteAuthStore {
    fn bind(&self, event: &str, holder: &CertificateId) -> Result<Ticket, AuthError> {
        let conn = self.conn.lock().map_err(poisoned)?;
        match conn.execute(
            "INSERT INTO tickets (event, holder) VALUES (?1, ?2)",
            params![event, holder.to_string()],
        ) {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Err(AuthError::AlreadyHasTicket),
            Err(e) => return Err(db(e)),
        }
        Ok(Ticket {
            id: u64::try_from(conn.last_insert_rowid())
                .map_err(|_| AuthError::Store("corrupt ticket id".into()))?,
            event: event.to_owned(),
            holder: holder.clone(),
        })
    }

    fn admit(
        &self,
        event: &str,
        holder: &CertificateId,
        gate: &str,
        at: OffsetDateTime,
    ) -> Result<Admission, AuthError> {
        let holder_text = holder.to_string();
        let mut conn = self.conn.lock().map_err(poisoned)?;
        // Immediate: the write lock is taken before reading, so two connections cannot both see
        // the ticket unused.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let row: Option<(i64, Option<String>, Option<i64>)> = tx
            .query_row(
                "SELECT id, admitted_gate, admitted_at_ns FROM tickets
                 WHERE event = ?1 AND holder = ?2",
                params![event, holder_text],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(db)?;
        let Some((id, admitted_gate, admitted_at)) = row else {
            let any: i64 = tx
                .query_row(
                    "SELECT COUNT(*) FROM tickets WHERE holder = ?1",
                    params![holder_text],
                    |r| r.get(0),
                )
                .map_err(db)?;
            return Err(if any > 0 {
                AuthError::WrongEvent
            } else {
                AuthError::NoTicket
            });
        };
        let ticket = Self::ticket(id, event.to_owned(), &holder_text)?;
        if let (Some(by), Some(when)) = (admitted_gate, admitted_at) {
            return Err(AuthError::AlreadyAdmitted {
                ticket: ticket.id,
                gate: by,
                at: time_of(when)?,
            });
        }
        tx.execute(
            "UPDATE tickets SET admitted_gate = ?2, admitted_at_ns = ?3
             WHERE id = ?1 AND admitted_at_ns IS NULL",
            params![id, gate, nanos(at)?],
        )
        .map_err(db)?;
        tx.commit().map_err(db)?;
        Ok(Admission {
            ticket,
            gate: gate.to_owned(),
            at,
        })
    }

    fn unused(&self, event: &str, limit: usize) -> Result<Vec<Ticket>, AuthError> {
        let conn = self.conn.lock().map_err(poisoned)?;
        let mut stmt = conn
            .prepare(
                "SELECT id, holder FROM tickets WHERE event = ?1 AND admitted_at_ns IS NULL
                 ORDER BY id LIMIT ?2",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map(
                params![event, i64::try_from(limit).unwrap_or(i64::MAX)],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
            )
            .map_err(db)?;
        rows.map(|r| {
            let (id, holder) = r.map_err(db)?;
            Self::ticket(id, event.to_owned(), &holder)
        })
        .collect()
    }
}
