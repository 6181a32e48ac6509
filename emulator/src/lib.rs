//! Offline emulator of the Ovok API's auth endpoints (login, refresh,
//! logout and `/auth/me`).
//!
//! It exists so the SDK's tests, demos and benchmarks, and users' own CI, can
//! exercise real HTTP, real JSON error shapes and real (HS256) JWTs without
//! network access or credentials. Start one in-process with
//! [`Emulator::start`], or run the `ovok-emulator` binary.
//!
//! ```no_run
//! use ovok_emulator::{Config, Emulator};
//! let emulator = Emulator::start("127.0.0.1:0", Config::default())?;
//! println!("API at {}", emulator.url());
//! # Ok::<(), std::io::Error>(())
//! ```
#![forbid(unsafe_code)]

use std::fmt;
use std::time::Duration;

mod faults;
mod jwt;
mod routes;
mod server;
mod tls;
mod tokens;
pub mod users;
mod validation;

pub use routes::MAX_BODY_BYTES;
pub use server::Emulator;
pub use users::{
    load_users, parse_users, Reference, User, DEMO_CLIENT_ID, DEMO_EMAIL, DEMO_PASSWORD,
    DEMO_PROFILE_DISPLAY, DEMO_PROFILE_REFERENCE, DEMO_PROJECT_DISPLAY, DEMO_PROJECT_REFERENCE,
};

/// Default access-token lifetime, as the real API reports in `expiresIn`.
pub const DEFAULT_ACCESS_LIFETIME: Duration = Duration::from_secs(3600);
/// Default refresh-token lifetime (30 days).
pub const DEFAULT_REFRESH_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);

/// Certificate chain and private key, both PEM. `Debug` never shows the key.
#[derive(Clone)]
pub struct TlsIdentity {
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
}

impl fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("cert_pem", &format_args!("{} bytes", self.cert_pem.len()))
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

/// How an [`Emulator`] behaves. `Debug` redacts passwords and keys.
#[derive(Clone, Debug)]
pub struct Config {
    pub users: Vec<User>,
    /// Reported as `expiresIn`; whole seconds are used.
    pub access_lifetime: Duration,
    pub refresh_lifetime: Duration,
    /// `Some` serves HTTPS instead of HTTP.
    pub tls: Option<TlsIdentity>,
    /// One stderr line per request (method, path, status, time; never bodies).
    pub log_requests: bool,
    /// Waited before every answer except `/_emulator/stats` (slow-network tests).
    pub latency: Duration,
    /// Fraction (0.0–1.0) of requests answered with a NestJS 500 instead,
    /// except `/_emulator/stats` (retry tests).
    pub fail_rate: f64,
    /// Seeds the choice of failed requests: the same seed fails the same
    /// request numbers.
    pub seed: u64,
}

/// Requests received per route since start, whatever their outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// `POST /v2/auth/login` and `POST /auth/login`.
    pub login_requests: u64,
    /// `POST /auth/refresh-token`.
    pub refresh_requests: u64,
    /// `POST /auth/logout` and `POST /v1/auth/logout`.
    pub logout_requests: u64,
    /// `GET /auth/me`.
    pub me_requests: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            users: vec![User::demo()],
            access_lifetime: DEFAULT_ACCESS_LIFETIME,
            refresh_lifetime: DEFAULT_REFRESH_LIFETIME,
            tls: None,
            log_requests: false,
            latency: Duration::ZERO,
            fail_rate: 0.0,
            seed: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_debug_redacts_secrets() {
        let config = Config {
            tls: Some(TlsIdentity {
                cert_pem: b"CERT".to_vec(),
                key_pem: b"-----BEGIN PRIVATE KEY-----SECRET".to_vec(),
            }),
            ..Config::default()
        };
        let text = format!("{config:?}");
        assert!(!text.contains(DEMO_PASSWORD), "{text}");
        assert!(!text.contains("SECRET"), "{text}");
        assert!(text.contains("4 bytes"), "{text}");
    }

    #[test]
    fn defaults() {
        let config = Config::default();
        assert_eq!(config.users, vec![User::demo()]);
        assert_eq!(config.access_lifetime.as_secs(), 3600);
        assert_eq!(config.refresh_lifetime.as_secs(), 2_592_000);
        assert!(config.tls.is_none());
        assert!(!config.log_requests);
        assert_eq!(config.latency, Duration::ZERO);
        assert_eq!(config.fail_rate, 0.0);
    }
}
