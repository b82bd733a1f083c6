//! [`PgAuthStore`]: kazasu-auth's accounts and tickets on PostgreSQL.

use kazasu_auth::{
    Account, AccountId, AccountStore, Admission, AuthError, Ticket, TicketStore, VerifiedClaim,
};
use kazasu_pki::CertificateId;
use postgres::GenericClient;
use time::OffsetDateTime;

use crate::database::{Isolation, PgDatabase};
use crate::error::{Txn, unique_violation};

type R<T> = Result<T, Txn<AuthError>>;

/// Accounts ([`AccountStore`]) and tickets ([`TicketStore`]) on PostgreSQL, with the semantics of
/// kazasu-auth's `SqliteAuthStore`: an authentication certificate has one account, a card one
/// ticket per event, and of concurrent admissions of one ticket (from any instance) exactly one
/// succeeds. Get one from [`PgDatabase::auth_store`].
#[derive(Clone, Debug)]
pub struct PgAuthStore {
    db: PgDatabase,
}

impl PgAuthStore {
    pub(crate) fn new(db: PgDatabase) -> Self {
        Self { db }
    }
}

fn store(reason: impl Into<String>) -> Txn<AuthError> {
    Txn::Fail(AuthError::Store(reason.into()))
}

fn nanos(t: OffsetDateTime) -> Result<i64, AuthError> {
    i64::try_from(t.unix_timestamp_nanos()).map_err(|_| AuthError::Invalid {
        field: "time",
        reason: "outside what the store keeps".into(),
    })
}

fn time_of(ns: i64) -> R<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns)).map_err(|_| store("corrupt time"))
}

fn id_of(text: &str) -> R<CertificateId> {
    text.parse().map_err(|_| store("corrupt certificate id"))
}

fn col<'a, T: postgres::types::FromSql<'a>>(r: &'a postgres::Row, i: usize) -> R<T> {
    r.try_get(i).map_err(|_| store("a row cannot be read"))
}

fn account(r: &postgres::Row) -> R<Account> {
    let id: i64 = col(r, 0)?;
    let authentication: String = col(r, 1)?;
    let personal: String = col(r, 2)?;
    let source: String = col(r, 3)?;
    Ok(Account {
        id: AccountId(u64::try_from(id).map_err(|_| store("corrupt account id"))?),
        authentication: id_of(&authentication)?,
        claim: VerifiedClaim {
            // The text of a JSON error could quote personal data: name the failure only.
            personal: serde_json::from_str(&personal).map_err(|_| store("corrupt claim"))?,
            source: id_of(&source)?,
            verified_at: time_of(col(r, 4)?)?,
        },
    })
}

fn find_in(c: &mut impl GenericClient, authentication: &str) -> R<Option<Account>> {
    c.query_opt(
        "SELECT id, authentication, personal, source, verified_at_ns FROM accounts WHERE authentication = $1",
        &[&authentication],
    )?
    .as_ref()
    .map(account)
    .transpose()
}

fn ticket_id(id: i64) -> R<u64> {
    u64::try_from(id).map_err(|_| store("corrupt ticket id"))
}

impl AccountStore for PgAuthStore {
    fn create(
        &self,
        authentication: &CertificateId,
        claim: &VerifiedClaim,
    ) -> Result<Account, AuthError> {
        let personal = serde_json::to_string(&claim.personal)
            .map_err(|_| AuthError::Store("the claim cannot be written".into()))?;
        let verified_at = nanos(claim.verified_at)?;
        self.db.run(Isolation::ReadCommitted, |tx| {
            // The unique key decides between racing instances.
            let r = match tx.query_one(
                "INSERT INTO accounts (authentication, personal, source, verified_at_ns) VALUES ($1, $2, $3, $4)
                 RETURNING id",
                &[&authentication.to_string(), &personal, &claim.source.to_string(), &verified_at],
            ) {
                Ok(r) => r,
                Err(e) if unique_violation(&e) => return Err(Txn::Fail(AuthError::AlreadyBound)),
                Err(e) => return Err(Txn::Pg(e)),
            };
            let id: i64 = col(&r, 0)?;
            Ok(Account {
                id: AccountId(u64::try_from(id).map_err(|_| store("corrupt account id"))?),
                authentication: authentication.clone(),
                claim: claim.clone(),
            })
        })
    }

    fn find(&self, authentication: &CertificateId) -> Result<Option<Account>, AuthError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            find_in(tx, &authentication.to_string())
        })
    }

    fn rebind(
        &self,
        old: &CertificateId,
        new: &CertificateId,
    ) -> Result<Option<Account>, AuthError> {
        self.db.run(Isolation::Serializable, |tx| {
            // As the other stores: a certificate that has an account already takes no other.
            if find_in(tx, &new.to_string())?.is_some() {
                return Err(Txn::Fail(AuthError::AlreadyBound));
            }
            let moved = match tx.execute(
                "UPDATE accounts SET authentication = $2 WHERE authentication = $1",
                &[&old.to_string(), &new.to_string()],
            ) {
                Ok(n) => n,
                Err(e) if unique_violation(&e) => return Err(Txn::Fail(AuthError::AlreadyBound)),
                Err(e) => return Err(Txn::Pg(e)),
            };
            if moved == 1 {
                find_in(tx, &new.to_string())
            } else {
                Ok(None)
            }
        })
    }
}

impl TicketStore for PgAuthStore {
    fn bind(&self, event: &str, holder: &CertificateId) -> Result<Ticket, AuthError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            let r = match tx.query_one(
                "INSERT INTO tickets (event, holder) VALUES ($1, $2) RETURNING id",
                &[&event, &holder.to_string()],
            ) {
                Ok(r) => r,
                Err(e) if unique_violation(&e) => {
                    return Err(Txn::Fail(AuthError::AlreadyHasTicket));
                }
                Err(e) => return Err(Txn::Pg(e)),
            };
            Ok(Ticket {
                id: ticket_id(col(&r, 0)?)?,
                event: event.to_owned(),
                holder: holder.clone(),
            })
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
        let at_ns = nanos(at)?;
        self.db.run(Isolation::ReadCommitted, |tx| {
            // The row lock orders concurrent admissions: the second reads the first's result.
            let row = tx.query_opt(
                "SELECT id, admitted_gate, admitted_at_ns FROM tickets WHERE event = $1 AND holder = $2 FOR UPDATE",
                &[&event, &holder_text],
            )?;
            let Some(row) = row else {
                let any: i64 = col(
                    &tx.query_one(
                        "SELECT COUNT(*) FROM tickets WHERE holder = $1",
                        &[&holder_text],
                    )?,
                    0,
                )?;
                return Err(Txn::Fail(if any > 0 {
                    AuthError::WrongEvent
                } else {
                    AuthError::NoTicket
                }));
            };
            let id: i64 = col(&row, 0)?;
            let ticket = Ticket {
                id: ticket_id(id)?,
                event: event.to_owned(),
                holder: id_of(&holder_text)?,
            };
            let by: Option<String> = col(&row, 1)?;
            let when: Option<i64> = col(&row, 2)?;
            if let (Some(by), Some(when)) = (by, when) {
                return Err(Txn::Fail(AuthError::AlreadyAdmitted {
                    ticket: ticket.id,
                    gate: by,
                    at: time_of(when)?,
                }));
            }
            tx.execute(
                "UPDATE tickets SET admitted_gate = $2, admitted_at_ns = $3 WHERE id = $1 AND admitted_at_ns IS NULL",
                &[&id, &gate, &at_ns],
            )?;
            Ok(Admission {
                ticket,
                gate: gate.to_owned(),
                at,
            })
        })
    }

    fn unused(&self, event: &str, limit: usize) -> Result<Vec<Ticket>, AuthError> {
        self.db.run(Isolation::ReadCommitted, |tx| {
            tx.query(
                "SELECT id, holder FROM tickets WHERE event = $1 AND admitted_at_ns IS NULL ORDER BY id LIMIT $2",
                &[&event, &i64::try_from(limit).unwrap_or(i64::MAX)],
            )?
            .iter()
            .map(|r| {
                let holder: String = col(r, 1)?;
                Ok(Ticket {
                    id: ticket_id(col(r, 0)?)?,
                    event: event.to_owned(),
                    holder: id_of(&holder)?,
                })
            })
            .collect()
        })
    }
}
