//! A client for logging in to the Ovok healthcare API.
//!
//! The safe core (`base_url`, `credentials`, `client`, `response`, `status`)
//! holds all of the logic. The `ffi` module turns it into the stable C ABI
//! declared in `include/ovok.h`, and is the only place with `unsafe`.

#![deny(unsafe_code)]

pub mod base_url;
pub mod client;
pub mod credentials;
pub mod error;
pub mod ffi;
pub mod response;
pub mod status;

pub use base_url::{BaseUrl, DEFAULT_BASE_URL};
pub use client::login;
pub use credentials::Credentials;
pub use error::Error;
pub use response::{LoginSuccess, Reference};
pub use status::OvokStatus;

/// The crate version, as `ovok_version()` reports it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
