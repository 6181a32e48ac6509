//! A client for logging in to the Ovok healthcare API.
//!
//! The safe core (`base_url`, `config`, `request`, `client`, `response`,
//! `jwt`, `redact`, `status`) holds all of the logic. The `ffi` module turns it into the stable C ABI
//! declared in `include/ovok.h`, and is the only place with `unsafe`.

#![deny(unsafe_code)]

pub mod base_url;
mod bounded_read;
mod buffers;
pub mod client;
pub mod config;
mod connect;
pub mod error;
pub mod ffi;
pub mod jwt;
mod proxy;
pub mod redact;
pub mod request;
mod resolve;
pub mod response;
pub mod session;
pub mod status;
mod tls;
mod transport;

/// Entry points for the fuzz targets in `fuzz/` (cargo feature `fuzzing`); not an API.
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;

pub use base_url::{BaseUrl, DEFAULT_BASE_URL};
pub use client::{login, refresh, Client};
pub use config::{ClientConfig, Trust};
pub use error::Error;
pub use request::Credentials;
pub use response::{Reference, Tokens};
pub use session::{Authenticator, Session, TokenListener};
pub use status::OvokStatus;

/// The crate version, as `ovok_version()` reports it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
