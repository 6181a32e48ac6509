//! The HTTP exchange: a client owns one connection pool and makes the
//! login and refresh calls through it.

use std::io::{self, Read};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ureq::http::header::{CONTENT_TYPE, LOCATION, RETRY_AFTER};
use ureq::http::Response;
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::unversioned::transport::{Connector, DefaultConnector};
use ureq::{Agent, Body};
use zeroize::Zeroizing;

use crate::base_url::{BaseUrl, LOGIN_ROUTE, REFRESH_ROUTE};
use crate::config::{ClientConfig, ProxyChoice, Trust};
use crate::crypto;
use crate::error::Error;
use crate::request::{self, Credentials};
use crate::response::{self, Tokens, MAX_BODY_LEN};
use crate::status::OvokStatus;
use crate::transport::{CachingResolver, CoalescingConnector};

/// Test builds only: logging in with this email panics inside the core,
/// which the C boundary must turn into `OVOK_STATUS_INTERNAL`.
#[cfg(feature = "test-hooks")]
pub const TEST_PANIC_EMAIL: &str = "panic@test-hooks.invalid";

/// Bytes of request a connection buffers before writing; larger requests
/// are written in pieces.
const OUTPUT_BUFFER_SIZE: usize = 16 * 1024;

/// A configured client with its own connection pool. Cheap to clone (the
/// clones share the pool) and safe to use from many threads at once.
#[derive(Clone, Debug)]
pub struct Client {
    agent: Agent,
    timeouts: (Duration, Duration),
}

impl Client {
    /// Builds a client; fails when the configuration is contradictory.
    pub fn new(config: &ClientConfig) -> Result<Client, Error> {
        config.validate()?;
        let root_certs = match config.trust() {
            Trust::BundledRoots => RootCerts::WebPki,
            Trust::Platform => RootCerts::PlatformVerifier,
            Trust::AddedCertificates => RootCerts::new_with_certs(
                &config
                    .ca_certificates
                    .iter()
                    .map(|der| Certificate::from_der(der).to_owned())
                    .collect::<Vec<_>>(),
            ),
        };
        let proxy = match &config.proxy {
            ProxyChoice::FromEnvironment => ureq::Proxy::try_from_env(),
            ProxyChoice::Direct => None,
            ProxyChoice::Url(url) => Some(ureq::Proxy::new(url).map_err(|_| {
                Error::invalid_argument("proxy URL is invalid; expected http://host:port")
            })?),
        };
        let agent_config = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.total_timeout))
            .user_agent(config.user_agent.as_str())
            .accept("application/json")
            .tls_config(
                TlsConfig::builder()
                    .root_certs(root_certs)
                    .unversioned_rustls_crypto_provider(crypto::provider())
                    .build(),
            )
            .proxy(proxy)
            .max_idle_connections_per_host(16)
            .max_idle_connections(32)
            // A login request is well under 1 KiB; ureq's default of 128 KiB
            // per pooled connection would be spent for nothing.
            .output_buffer_size(OUTPUT_BUFFER_SIZE)
            .build();
        let connector = DefaultConnector::new().chain(CoalescingConnector);
        let agent = Agent::with_parts(agent_config, connector, CachingResolver::default());
        Ok(Client {
            agent,
            timeouts: config.timeouts(),
        })
    }

    /// The client behind `ovok_login` and `ovok_refresh`: default settings,
    /// created on first use, shared by every caller.
    pub fn shared() -> &'static Client {
        static SHARED: OnceLock<Client> = OnceLock::new();
        SHARED.get_or_init(|| {
            // The default configuration is valid; a failure here is a bug.
            Client::new(&ClientConfig::default()).expect("the default configuration is valid")
        })
    }

    /// Logs in with `POST {base_url}/v2/auth/login`.
    ///
    /// `base_url` of `None` or `""` means Ovok's sandbox. Never follows redirects.
    pub fn login(
        &self,
        base_url: Option<&str>,
        credentials: &Credentials<'_>,
    ) -> Result<Tokens, Error> {
        let url = BaseUrl::parse(base_url)?.join(LOGIN_ROUTE);
        credentials.validate()?;
        #[cfg(feature = "test-hooks")]
        if credentials.email == TEST_PANIC_EMAIL {
            panic!("test hook: a deliberate panic inside the core");
        }
        let body = credentials.login_body();
        let (http_status, body) = self.post_json(&url, body, &[credentials.password])?;
        let tokens = response::parse_login_success(&body, unix_now());
        with_http_status(tokens, http_status)
    }

    /// Exchanges a refresh token with `POST {base_url}/auth/refresh-token`.
    ///
    /// Ovok rotates refresh tokens: use the new one from the result next time.
    pub fn refresh(&self, base_url: Option<&str>, refresh_token: &str) -> Result<Tokens, Error> {
        let url = BaseUrl::parse(base_url)?.join(REFRESH_ROUTE);
        request::validate_refresh_token(refresh_token)?;
        let body = request::refresh_body(refresh_token);
        let (http_status, body) = self.post_json(&url, body, &[refresh_token])?;
        let tokens = response::parse_refresh_success(&body, unix_now());
        with_http_status(tokens, http_status)
    }

    /// POSTs a JSON body holding `secrets`; returns a 2xx status with its
    /// JSON body, or the error for anything else.
    fn post_json(
        &self,
        url: &str,
        body: Zeroizing<Vec<u8>>,
        secrets: &[&str],
    ) -> Result<(u16, Zeroizing<Vec<u8>>), Error> {
        let mut response = self
            .agent
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .send(&body[..])
            .map_err(|error| self.transport_error(&error, secrets))?;
        drop(body);

        let http_status = response.status().as_u16();
        let content_type = header(&response, CONTENT_TYPE.as_str());
        let received = self
            .read_body(&mut response)
            .map_err(|error| error.with_http_status(http_status));

        if !response.status().is_success() {
            let message = match (&received, response.status().is_redirection()) {
                (_, true) => redirect_message(http_status, header(&response, LOCATION.as_str())),
                (Ok(body), false) => {
                    response::error_message(http_status, content_type.as_deref(), body)
                }
                (Err(error), false) => format!("HTTP {http_status}; {}", error.message),
            };
            let message = match header(&response, RETRY_AFTER.as_str()) {
                Some(retry_after) => format!("{message} (Retry-After: {retry_after})"),
                None => message,
            };
            return Err(Error::new(
                OvokStatus::from_http_error(http_status),
                response::sanitize_message(&message, secrets),
            )
            .with_http_status(http_status));
        }

        let body = received?;
        if let Some(content_type) = content_type.filter(|ct| !response::is_json(ct)) {
            return Err(Error::invalid_response(format!(
                "expected JSON, got {} ({http_status})",
                response::mime_type(&content_type)
            ))
            .with_http_status(http_status));
        }
        Ok((http_status, body))
    }

    /// Reads at most [`MAX_BODY_LEN`] bytes into a buffer that is zeroized on drop.
    ///
    /// The buffer grows by hand, never by `Vec`'s own reallocation, so that
    /// no outgrown copy of a token is freed without being wiped first: each
    /// read is limited to the room left.
    fn read_body(&self, response: &mut Response<Body>) -> Result<Zeroizing<Vec<u8>>, Error> {
        // One byte past the cap tells "too large" apart from "exactly 1 MiB".
        let most = MAX_BODY_LEN + 1;
        let expected = response.body().content_length().unwrap_or(0);
        let expected = usize::try_from(expected).unwrap_or(most);
        let mut buffer = Zeroizing::new(Vec::with_capacity(expected.clamp(1024, most)));
        let mut reader = response.body_mut().with_config().reader();
        loop {
            let room = buffer.capacity() - buffer.len();
            if room == 0 {
                if buffer.len() > MAX_BODY_LEN {
                    return Err(too_large());
                }
                let mut grown = Zeroizing::new(Vec::with_capacity(
                    (buffer.capacity() * 2).clamp(buffer.len() + 1, most),
                ));
                grown.extend_from_slice(&buffer);
                buffer = grown;
                continue;
            }
            let before = buffer.len();
            if let Err(error) = (&mut reader).take(room as u64).read_to_end(&mut buffer) {
                return Err(self.transport_error(&ureq::Error::from(error), &[]));
            }
            if buffer.len() > MAX_BODY_LEN {
                return Err(too_large());
            }
            if buffer.len() - before < room {
                return Ok(buffer);
            }
        }
    }

    /// Sorts a transport failure into a status with a readable message.
    fn transport_error(&self, error: &ureq::Error, secrets: &[&str]) -> Error {
        let (connect_timeout, total_timeout) = self.timeouts;
        let (status, message) = match error {
            ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => (
                OvokStatus::Timeout,
                format!(
                    "could not connect within the {} connect timeout",
                    describe(connect_timeout)
                ),
            ),
            ureq::Error::Timeout(_) => (
                OvokStatus::Timeout,
                format!(
                    "no complete response within the {} total timeout",
                    describe(total_timeout)
                ),
            ),
            ureq::Error::HostNotFound => {
                (OvokStatus::Connection, "could not resolve the host".into())
            }
            ureq::Error::ConnectionFailed => (OvokStatus::Connection, "could not connect".into()),
            ureq::Error::ConnectProxyFailed(_) => (
                OvokStatus::Connection,
                "the proxy refused the CONNECT request".into(),
            ),
            ureq::Error::Io(io_error) => io_failure(io_error),
            ureq::Error::Protocol(problem) => (
                OvokStatus::Connection,
                format!("the server sent malformed HTTP ({problem})"),
            ),
            ureq::Error::Tls(problem) => (OvokStatus::Tls, format!("TLS failed: {problem}")),
            ureq::Error::Rustls(problem) => (OvokStatus::Tls, format!("TLS failed: {problem}")),
            ureq::Error::Pem(_) => (OvokStatus::Tls, "TLS failed: unreadable certificate".into()),
            ureq::Error::LargeResponseHeader(_, limit) => (
                OvokStatus::InvalidResponse,
                format!("response headers are larger than {limit} bytes"),
            ),
            ureq::Error::BodyExceedsLimit(_) => return too_large(),
            other => (OvokStatus::Connection, format!("request failed: {other}")),
        };
        Error::new(status, response::sanitize_message(&message, secrets))
    }
}

fn with_http_status(tokens: Result<Tokens, Error>, http_status: u16) -> Result<Tokens, Error> {
    match tokens {
        Ok(tokens) => Ok(Tokens {
            http_status,
            ..tokens
        }),
        Err(error) => Err(error.with_http_status(http_status)),
    }
}

/// `30 s`, or `250 ms` for timeouts that are not whole seconds.
fn describe(timeout: Duration) -> String {
    if timeout.subsec_millis() == 0 {
        format!("{} s", timeout.as_secs())
    } else {
        format!("{} ms", timeout.as_millis())
    }
}

/// Logs in through the shared default client; see [`Client::login`].
pub fn login(base_url: Option<&str>, credentials: &Credentials<'_>) -> Result<Tokens, Error> {
    Client::shared().login(base_url, credentials)
}

/// Refreshes through the shared default client; see [`Client::refresh`].
pub fn refresh(base_url: Option<&str>, refresh_token: &str) -> Result<Tokens, Error> {
    Client::shared().refresh(base_url, refresh_token)
}

fn too_large() -> Error {
    Error::invalid_response(format!("response body is larger than {MAX_BODY_LEN} bytes"))
}

/// A header's value, when it is visible ASCII. Messages built from it are
/// sanitized as a whole before they are handed out.
fn header(response: &Response<Body>, name: &str) -> Option<String> {
    Some(response.headers().get(name)?.to_str().ok()?.to_string())
}

fn redirect_message(http_status: u16, location: Option<String>) -> String {
    match location {
        Some(location) => format!(
            "HTTP {http_status} redirect to {location} was not followed; check the base URL"
        ),
        None => format!("HTTP {http_status} redirect was not followed; check the base URL"),
    }
}

fn io_failure(error: &io::Error) -> (OvokStatus, String) {
    if let Some(tls) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return (OvokStatus::Tls, format!("TLS failed: {tls}"));
    }
    let what = match error.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            return (OvokStatus::Timeout, format!("timed out: {error}"))
        }
        io::ErrorKind::ConnectionRefused => "the connection was refused",
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
            "the connection was reset"
        }
        io::ErrorKind::UnexpectedEof | io::ErrorKind::BrokenPipe => {
            "the server closed the connection early"
        }
        _ => "the connection failed",
    };
    (OvokStatus::Connection, format!("{what} ({error})"))
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}
