#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod api;
pub mod app;
#[cfg(feature = "sandbox")]
mod bulk;
#[cfg(feature = "sandbox")]
pub mod check;
pub mod config;
mod error;
#[cfg(feature = "sandbox")]
pub mod load;
pub mod metrics;
mod postgres;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod server;
pub mod stores;
pub mod tls;

pub use app::App;
pub use config::Config;
pub use error::ServeError;
pub use server::{Running, Shutdown, run, start, start_with};
pub use stores::{HealthStore, Stores};
