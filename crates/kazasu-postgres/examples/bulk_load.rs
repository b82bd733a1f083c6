//! Times loading enrolled people with `BulkEnrol`, into SQLite and (given a URL) PostgreSQL:
//!
//! ```text
//! cargo run --release -p kazasu-postgres --example bulk_load -- [COUNT] [POSTGRES_URL]
//! ```
//!
//! COUNT defaults to 1,000,000. The PostgreSQL load goes into a fresh schema, dropped afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use kazasu_health::SqliteStore;
use kazasu_health::model::{AgencyCode, InsuranceSex, InsurerNumber, Person, Qualification};
use kazasu_health::store::{BulkEnrol, EligibilityStore, EnrolledPerson};
use kazasu_pki::CertificateId;
use kazasu_postgres::PgDatabase;
use time::macros::{date, datetime};

fn people(count: u64) -> impl Iterator<Item = EnrolledPerson> {
    (0..count).map(|n| {
        let mut p = Person::new(
            AgencyCode::new(&format!("AGC{n:013}")).unwrap(),
            format!("山田\u{3000}太郎{n}"),
            "ﾔﾏﾀﾞ ﾀﾛｳ",
            InsuranceSex::Male,
            InsuranceSex::Male,
            date!(1985 - 04 - 12),
        );
        p.address = Some(format!("東京都千代田区{n}"));
        let q = Qualification::new(
            InsurerNumber::new("06139992").unwrap(),
            "記号",
            format!("{n}"),
            "00",
            date!(2024 - 04 - 01),
        );
        let cert = CertificateId::from_hex_parts("a1b2c3d4", &format!("{:x}", n + 1)).unwrap();
        EnrolledPerson::new(p, vec![q], cert, datetime!(2026-11-26 10:00 +09:00))
    })
}

fn check(store: &dyn EligibilityStore, count: u64) {
    let last = count - 1;
    let cert = CertificateId::from_hex_parts("a1b2c3d4", &format!("{:x}", last + 1)).unwrap();
    let agency = store
        .resolve(&cert)
        .unwrap()
        .expect("the last person resolves");
    assert_eq!(agency.as_str(), format!("AGC{last:013}"));
    assert!(store.person(&agency).unwrap().is_some());
}

fn main() {
    let mut args = std::env::args().skip(1);
    let count: u64 = args.next().map_or(1_000_000, |c| c.parse().expect("COUNT"));
    let url = args.next();

    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(dir.path().join("bulk.db")).unwrap();
    let start = Instant::now();
    let n = sqlite.bulk_enrol(&mut people(count)).unwrap();
    let took = start.elapsed();
    check(&sqlite, count);
    println!(
        "SQLite: {n} people in {:.1} s ({:.0} per second)",
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64()
    );

    if let Some(url) = url {
        let schema = "bulk_load_example";
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .unwrap();
        let db = PgDatabase::connect_in_schema(&url, schema, 2).unwrap();
        let store = db.store();
        let start = Instant::now();
        let n = store.bulk_enrol(&mut people(count)).unwrap();
        let took = start.elapsed();
        check(&store, count);
        println!(
            "PostgreSQL: {n} people in {:.1} s ({:.0} per second)",
            took.as_secs_f64(),
            n as f64 / took.as_secs_f64()
        );
        drop(store);
        drop(db);
        c.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            .unwrap();
    }
}
