//! `kazasu serve --config FILE`: what the server reads at start. TOML; relative paths are taken
//! from the configuration file's directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::ServeError;

/// The whole configuration file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Config {
    /// Listeners, limits and shutdown.
    pub server: ServerSection,
    /// The server certificate and the facility CA (mutual TLS).
    pub tls: TlsSection,
    /// Where the stores live.
    pub database: DatabaseSection,
    /// Trust anchors, CRLs and the card-link feed.
    pub trust: TrustSection,
    /// The relying party that bound assertions must name, and challenges.
    pub service: ServiceSection,
    /// The consent network this server keeps the ledger of.
    pub consent: ConsentSection,
    #[serde(skip)]
    base: PathBuf,
}

/// `[server]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ServerSection {
    /// The facility API (mutual TLS), e.g. `127.0.0.1:8443`; port 0 takes any free port.
    pub listen: SocketAddr,
    /// Health and Prometheus metrics (plain HTTP; keep it on loopback or a management network).
    pub admin_listen: SocketAddr,
    /// A name for this instance in logs and metrics.
    #[serde(default = "default_instance")]
    pub instance: String,
    /// Largest request body accepted, in bytes.
    #[serde(default = "default_body_limit")]
    pub request_body_limit: usize,
    /// A request still running after this many milliseconds is answered 503 (its transaction
    /// either committed or did not; the client may retry: challenges are single-use and
    /// check-ins idempotent, so nothing happens twice).
    #[serde(default = "default_timeout")]
    pub request_timeout_ms: u64,
    /// How long a TLS handshake may take.
    #[serde(default = "default_handshake")]
    pub handshake_timeout_ms: u64,
    /// On SIGTERM / SIGINT: stop accepting, let requests in flight finish for at most this long.
    #[serde(default = "default_grace")]
    pub shutdown_grace_ms: u64,
    /// Threads for blocking work (verification and database calls); 0 = tokio's default.
    #[serde(default)]
    pub blocking_threads: usize,
    /// Write the bound API and admin ports here once listening (`API ADMIN`), for scripts.
    #[serde(default)]
    pub port_file: Option<PathBuf>,
}

fn default_instance() -> String {
    "kazasu".into()
}
fn default_body_limit() -> usize {
    64 * 1024
}
fn default_timeout() -> u64 {
    10_000
}
fn default_handshake() -> u64 {
    5_000
}
fn default_grace() -> u64 {
    10_000
}

/// `[tls]`: PEM files.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TlsSection {
    /// The server's certificate chain.
    pub certificate: PathBuf,
    /// The server's private key (PKCS#8).
    pub key: PathBuf,
    /// The CA that issues facility client certificates; the facility code is the client
    /// certificate's subject commonName.
    pub facility_ca: PathBuf,
}

/// `[database]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct DatabaseSection {
    /// `sqlite:PATH` (one instance) or `postgres://…` (several instances on one database).
    pub url: String,
    /// Connections in the PostgreSQL pool.
    #[serde(default = "default_pool")]
    pub pool_size: u32,
}

fn default_pool() -> u32 {
    16
}

/// `[trust]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TrustSection {
    /// JPKI root certificates (DER or PEM), one file each.
    pub anchors: Vec<PathBuf>,
    /// CRLs (DER), one file each.
    #[serde(default)]
    pub crls: Vec<PathBuf>,
    /// The card-link feed: lines `SIGNATURE-ID<TAB>AUTHENTICATION-ID` (certificate ids as
    /// `serial@issuer-key-id` in hex) telling which certificates one card carries.
    #[serde(default)]
    pub card_links: Option<PathBuf>,
    /// Cards whose validated path is remembered (one RSA verification for a card seen before;
    /// invalidated when the CRLs change); 0 turns the cache off.
    #[serde(default = "default_path_cache")]
    pub path_cache: usize,
}

fn default_path_cache() -> usize {
    100_000
}

/// `[service]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ServiceSection {
    /// The relying-party id bound assertions must name.
    pub relying_party: String,
    /// The origins terminals may report.
    pub origins: Vec<String>,
    /// How long a challenge lives.
    #[serde(default = "default_challenge_lifetime")]
    pub challenge_lifetime_secs: i64,
    /// Most live challenges kept.
    #[serde(default = "default_challenge_capacity")]
    pub challenge_capacity: usize,
}

fn default_challenge_lifetime() -> i64 {
    300
}
fn default_challenge_capacity() -> usize {
    1_000_000
}

/// `[consent]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ConsentSection {
    /// The network's name.
    pub network: String,
    /// Its member facilities (codes).
    pub members: Vec<String>,
    /// The network's checkpoint signing key (PKCS#8 DER or PEM).
    pub key: PathBuf,
}

impl Config {
    /// Reads and checks `path`.
    pub fn load(path: &Path) -> Result<Self, ServeError> {
        let text = std::fs::read_to_string(path).map_err(|e| ServeError::file(path, e))?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Self::parse(&text, &base)
    }

    /// Parses configuration text whose relative paths start at `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Self, ServeError> {
        let mut config: Config =
            toml::from_str(text).map_err(|e| ServeError::Config(e.to_string()))?;
        config.base = base.to_owned();
        if config.server.request_body_limit == 0 || config.server.request_timeout_ms == 0 {
            return Err(ServeError::Config(
                "request_body_limit and request_timeout_ms must be positive".into(),
            ));
        }
        if config.service.challenge_lifetime_secs <= 0 {
            return Err(ServeError::Config(
                "challenge_lifetime_secs must be positive".into(),
            ));
        }
        if config.database.pool_size == 0 {
            return Err(ServeError::Config("pool_size must be positive".into()));
        }
        Ok(config)
    }

    /// `path` resolved against the configuration file's directory.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_owned()
        } else {
            self.base.join(path)
        }
    }
}
