//! The HTTP exchange: a client owns one `ureq::Agent` (its connection
//! pool) and makes the login, refresh and logout calls through it.

use std::io::{self, Read};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ureq::http::header::{ACCEPT, USER_AGENT};
use ureq::http::{HeaderMap, HeaderValue, Uri};
use ureq::{Agent, Body, Timeout};
use zeroize::Zeroizing;

use crate::base_url::{BaseUrl, LOGIN_ROUTE, LOGOUT_ROUTE, REFRESH_ROUTE};
use crate::config::ClientConfig;
use crate::error::Error;
use crate::redact::Secrets;
use crate::request::{self, Credentials};
use crate::response::{self, Tokens, MAX_BODY_LEN};
use crate::status::OvokStatus;
use crate::transport::{DeferredResolver, Failure, Network, OvokConnector, OUTPUT_BUFFER};

/// Test builds only: logging in with this email panics inside the core,
/// which the C boundary must turn into `OVOK_STATUS_INTERNAL`.
#[cfg(feature = "test-hooks")]
pub const TEST_PANIC_EMAIL: &str = "panic@test-hooks.invalid";

const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// The response head (status line and headers) must fit in this.
pub(crate) const MAX_HEAD_LEN: usize = 64 * 1024;
/// Idle connections kept per origin, and in all; how long one stays.
const MAX_IDLE_PER_ORIGIN: usize = 16;
const MAX_IDLE: usize = 32;
const MAX_IDLE_AGE: Duration = Duration::from_secs(15);

/// A configured client with its own connection pool. Cheap to clone (the
/// clones share the pool) and safe to use from many threads at once.
#[derive(Clone)]
pub struct Client {
    agent: Agent,
    /// The last base URL parsed, as given: most programs use one.
    last_base_url: Arc<Mutex<Option<ParsedBaseUrl>>>,
    user_agent: String,
    /// The same, as ovok sets it on every request: a clone shares the bytes,
    /// where ureq would copy its configured string into a new header value.
    user_agent_header: HeaderValue,
    timeouts: (Duration, Duration),
}

/// A base URL as the caller gave it, and parsed.
type ParsedBaseUrl = (String, Arc<Routes>);

/// The URIs of a base URL's routes, parsed once: a `Uri` is cloned
/// without a copy, a `String` would be parsed again on every call.
#[derive(Debug)]
struct Routes {
    login: Uri,
    refresh: Uri,
    logout: Uri,
}

impl Routes {
    fn new(base: BaseUrl) -> Result<Routes, Error> {
        let uri = |route: &str| {
            Uri::try_from(base.join(route))
                .map_err(|_| Error::invalid_argument("base_url is not a valid URI"))
        };
        Ok(Routes {
            login: uri(LOGIN_ROUTE)?,
            refresh: uri(REFRESH_ROUTE)?,
            logout: uri(LOGOUT_ROUTE)?,
        })
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("user_agent", &self.user_agent)
            .field("timeouts", &self.timeouts)
            .finish_non_exhaustive()
    }
}

/// Whether a request may go out a second time (see `Client::send`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Resend {
    /// Once more on a new connection, when a pooled one failed before any
    /// response byte: a login changes nothing on the server.
    OnStaleConnection,
    /// Never: a refresh token may already be spent, a logout done.
    Never,
}

impl Client {
    /// Builds a client; fails when the configuration is contradictory.
    pub fn new(config: &ClientConfig) -> Result<Client, Error> {
        config.validate()?;
        let (connect_timeout, total_timeout) = config.timeouts();
        let agent_config = agent_config(connect_timeout, total_timeout, &config.user_agent);
        let connector = OvokConnector::new(
            Network::new(config.proxy.clone()),
            config.trust(),
            config.ca_certificates.clone(),
        );
        Ok(Client {
            agent: Agent::with_parts(agent_config, connector, DeferredResolver),
            last_base_url: Arc::default(),
            user_agent: config.user_agent.clone(),
            user_agent_header: HeaderValue::from_str(&config.user_agent)
                .map_err(|_| Error::invalid_argument("user agent is not a valid header value"))?,
            timeouts: (connect_timeout, total_timeout),
        })
    }

    /// `BaseUrl::parse`, remembering the last success.
    fn base_url(&self, raw: Option<&str>) -> Result<Arc<Routes>, Error> {
        let key = raw.unwrap_or("");
        let mut last = self
            .last_base_url
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((cached_key, parsed)) = last.as_ref() {
            if cached_key == key {
                return Ok(Arc::clone(parsed));
            }
        }
        let parsed = Arc::new(Routes::new(BaseUrl::parse(raw)?)?);
        *last = Some((key.to_string(), Arc::clone(&parsed)));
        Ok(parsed)
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
        let url = self.base_url(base_url)?;
        credentials.validate()?;
        #[cfg(feature = "test-hooks")]
        if credentials.email == TEST_PANIC_EMAIL {
            panic!("test hook: a deliberate panic inside the core");
        }
        let body = credentials.login_body();
        let given = [credentials.password];
        let (http_status, body) = self.post(
            &url.login,
            Some(&body),
            None,
            &Secrets::new(&given),
            Resend::OnStaleConnection,
        )?;
        let tokens = response::parse_login_success(&body, unix_now());
        with_http_status(tokens, http_status)
    }

    /// Exchanges a refresh token with `POST {base_url}/auth/refresh-token`.
    ///
    /// Ovok rotates refresh tokens: use the new one from the result next time.
    pub fn refresh(&self, base_url: Option<&str>, refresh_token: &str) -> Result<Tokens, Error> {
        let url = self.base_url(base_url)?;
        request::validate_refresh_token(refresh_token)?;
        let body = request::refresh_body(refresh_token);
        let given = [refresh_token];
        let (http_status, body) = self.post(
            &url.refresh,
            Some(&body),
            None,
            &Secrets::new(&given),
            Resend::Never,
        )?;
        let tokens = response::parse_refresh_success(&body, unix_now());
        with_http_status(tokens, http_status)
    }

    /// Ends a session with `POST {base_url}/auth/logout`, the access token
    /// as `Authorization: Bearer`, and an empty body. `Ok` holds the HTTP
    /// status of a 2xx answer; anything else is an error, as for login.
    pub fn logout(&self, base_url: Option<&str>, access_token: &str) -> Result<u16, Error> {
        let url = self.base_url(base_url)?;
        request::validate_access_token(access_token)?;
        let mut authorization = Zeroizing::new(String::with_capacity(7 + access_token.len()));
        authorization.push_str("Bearer ");
        authorization.push_str(access_token);
        let (http_status, _body) = self.post(
            &url.logout,
            None,
            Some(&authorization),
            &Secrets::new(&[access_token]),
            Resend::Never,
        )?;
        Ok(http_status)
    }

    /// POSTs `body` (JSON) or nothing to `uri`; returns a 2xx
    /// status with its body, or the error for anything else. Every message
    /// that holds server text is sanitized against `secrets`.
    fn post(
        &self,
        uri: &Uri,
        body: Option<&[u8]>,
        authorization: Option<&str>,
        secrets: &Secrets<'_>,
        resend: Resend,
    ) -> Result<(u16, Zeroizing<Vec<u8>>), Error> {
        let send = |fresh_connection: bool| {
            let mut request = self
                .agent
                .post(uri)
                .header(USER_AGENT, self.user_agent_header.clone())
                .header(ACCEPT, JSON);
            if fresh_connection {
                // No idle connection is young enough: a new one is made.
                request = request.config().max_idle_age(Duration::ZERO).build();
            }
            if let Some(authorization) = authorization {
                request = request.header("Authorization", authorization);
            }
            match body {
                Some(body) => request.content_type(JSON).send(body),
                None => request.send(&[][..]),
            }
        };
        let sent = match send(false) {
            Err(ureq::Error::Other(failure))
                if resend == Resend::OnStaleConnection
                    && matches!(failure.downcast_ref(), Some(Failure::Stale(_))) =>
            {
                send(true)
            }
            other => other,
        };
        let (head, mut response_body) = sent
            .map_err(|error| self.failure(error, secrets))?
            .into_parts();

        let http_status = head.status.as_u16();
        // Only visible ASCII; what a message quotes is sanitized below.
        let header = |name: &str| head.headers.get(name).and_then(|value| value.to_str().ok());
        let (content_type, location, retry_after) = (
            header("content-type"),
            header("location"),
            header("retry-after"),
        );
        let received = read_body(&head.headers, &mut response_body)
            .map_err(|error| self.failure(error, secrets).with_http_status(http_status));
        if !(200..300).contains(&http_status) {
            let message = match (&received, (300..400).contains(&http_status)) {
                (_, true) => redirect_message(
                    http_status,
                    location.map(|location| secrets.server_text(location)),
                ),
                (Ok(body), false) => {
                    response::error_message(secrets, http_status, content_type, body)
                }
                (Err(error), false) => format!("HTTP {http_status}; {}", error.message),
            };
            let message = match retry_after {
                Some(retry_after) => format!(
                    "{message} (Retry-After: {})",
                    secrets.server_text(retry_after)
                ),
                None => message,
            };
            return Err(Error::new(
                OvokStatus::from_http_error(http_status),
                secrets.message(&message),
            )
            .with_http_status(http_status));
        }

        let body = received?;
        if let Some(content_type) = content_type.filter(|ct| !response::is_json(ct)) {
            if body.is_empty() {
                // Nothing to misread; login and refresh say that it is empty.
                return Ok((http_status, body));
            }
            let message = format!(
                "expected JSON, got {} ({http_status})",
                response::mime_type(secrets, content_type)
            );
            return Err(
                Error::invalid_response(secrets.message(&message)).with_http_status(http_status)
            );
        }
        Ok((http_status, body))
    }

    /// Sorts what ureq or ovok's transport reported into a status with a
    /// readable message.
    fn failure(&self, error: ureq::Error, secrets: &Secrets<'_>) -> Error {
        let (connect_timeout, total_timeout) = self.timeouts;
        let connect_timed_out = || {
            (
                OvokStatus::Timeout,
                format!(
                    "could not connect within the {} connect timeout",
                    describe(connect_timeout)
                ),
            )
        };
        let total_timed_out = || {
            (
                OvokStatus::Timeout,
                format!(
                    "no complete response within the {} total timeout",
                    describe(total_timeout)
                ),
            )
        };
        let (status, message) = match error {
            ureq::Error::Timeout(Timeout::Connect | Timeout::Resolve) => connect_timed_out(),
            ureq::Error::Timeout(_) => total_timed_out(),
            ureq::Error::HostNotFound => {
                (OvokStatus::Connection, "could not resolve the host".into())
            }
            ureq::Error::Io(error) => describe_io(&error, secrets),
            ureq::Error::Protocol(problem) => (
                OvokStatus::Connection,
                format!(
                    "the server sent malformed HTTP ({})",
                    secrets.server_text(&problem.to_string())
                ),
            ),
            ureq::Error::LargeResponseHeader(_, limit) => (
                OvokStatus::InvalidResponse,
                format!("response headers are larger than {limit} bytes"),
            ),
            ureq::Error::BodyExceedsLimit(_) => return too_large(),
            ureq::Error::Other(other) => match other.downcast::<Failure>() {
                Ok(failure) => match *failure {
                    Failure::ConnectTimeout => connect_timed_out(),
                    Failure::Resolve(problem) => return problem.to_error(),
                    Failure::Proxy(problem) => return problem.to_error(),
                    Failure::BadTarget => (
                        OvokStatus::InvalidArgument,
                        "base_url is not an http or https URL".into(),
                    ),
                    Failure::ProxyRefused(code) => (
                        OvokStatus::Connection,
                        format!("the proxy refused the CONNECT request (HTTP {code})"),
                    ),
                    Failure::ProxyMalformed => (
                        OvokStatus::Connection,
                        "the proxy's answer to CONNECT is not HTTP".into(),
                    ),
                    Failure::LineTooLong => (
                        OvokStatus::InvalidResponse,
                        format!(
                            "a chunk-size or trailer line of the response is longer than {} bytes",
                            crate::transport::MAX_LINE
                        ),
                    ),
                    Failure::TrustStore(problem) => (OvokStatus::Tls, problem),
                    Failure::Tls(problem) => (OvokStatus::Tls, tls_message(&problem, secrets)),
                    Failure::Io(error) | Failure::Stale(error) => describe_io(&error, secrets),
                },
                Err(other) => (
                    OvokStatus::Connection,
                    format!(
                        "the request failed: {}",
                        secrets.server_text(&other.to_string())
                    ),
                ),
            },
            other => (
                OvokStatus::Connection,
                format!(
                    "the request failed: {}",
                    secrets.server_text(&other.to_string())
                ),
            ),
        };
        Error::new(status, secrets.message(&message))
    }
}

/// ureq's settings for every agent ovok makes: statuses, redirects and
/// limits are ovok's to report.
pub(crate) fn agent_config(
    connect_timeout: Duration,
    total_timeout: Duration,
    user_agent: &str,
) -> ureq::config::Config {
    Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        // ureq would read the proxy variables itself; `transport` applies ovok's choice.
        .proxy(None)
        .max_response_header_size(MAX_HEAD_LEN)
        .output_buffer_size(OUTPUT_BUFFER)
        .timeout_global(Some(total_timeout))
        .timeout_resolve(Some(connect_timeout))
        .timeout_connect(Some(connect_timeout))
        .user_agent(user_agent)
        .accept("application/json")
        .max_idle_connections(MAX_IDLE)
        .max_idle_connections_per_host(MAX_IDLE_PER_ORIGIN)
        .max_idle_age(MAX_IDLE_AGE)
        .build()
}

/// What a body without a Content-Length starts with.
const READ_SIZE: usize = 4 * 1024;

/// The body, read up to [`MAX_BODY_LEN`] into buffers that are wiped.
pub(crate) fn read_body(
    headers: &HeaderMap,
    body: &mut Body,
) -> Result<Zeroizing<Vec<u8>>, ureq::Error> {
    let announced = headers
        .get("content-length")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if announced.is_some_and(|length| length > MAX_BODY_LEN as u64) {
        return Err(ureq::Error::BodyExceedsLimit(MAX_BODY_LEN as u64));
    }
    // One byte more than announced, to see the end without growing.
    let capacity = announced.map_or(READ_SIZE, |length| length as usize + 1);
    let mut reader = body.with_config().limit(MAX_BODY_LEN as u64).reader();
    let mut body = Zeroizing::new(vec![0u8; capacity]);
    let mut length = 0;
    loop {
        if length == body.len() {
            // Grows by copying: the old buffer is wiped when it drops.
            let mut grown = Zeroizing::new(vec![0u8; 2 * body.len()]);
            grown[..length].copy_from_slice(&body[..length]);
            body = grown;
        }
        match reader.read(&mut body[length..]) {
            Ok(0) => break,
            Ok(read) => length += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(ureq::Error::from(error)),
        }
    }
    body.truncate(length);
    Ok(body)
}

/// `TLS failed: ...`, with the likely fix when the server is too old.
fn tls_message(problem: &rustls::Error, secrets: &Secrets<'_>) -> String {
    use rustls::{AlertDescription, Error, PeerIncompatible};
    let too_old = matches!(
        problem,
        Error::AlertReceived(AlertDescription::ProtocolVersion)
            | Error::PeerIncompatible(PeerIncompatible::SupportedVersionsExtensionRequired)
            | Error::PeerIncompatible(PeerIncompatible::ServerDoesNotSupportTls12Or13)
    );
    if too_old && !cfg!(feature = "tls12") {
        format!(
            "TLS failed: {}; the server does not speak TLS 1.3, the only version \
             this build speaks (the tls12 cargo feature adds TLS 1.2)",
            secrets.server_text(&problem.to_string())
        )
    } else {
        format!("TLS failed: {}", secrets.server_text(&problem.to_string()))
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

fn redirect_message(http_status: u16, location: Option<String>) -> String {
    match location {
        Some(location) => format!(
            "HTTP {http_status} redirect to {location} was not followed; check the base URL"
        ),
        None => format!("HTTP {http_status} redirect was not followed; check the base URL"),
    }
}

/// The status and message for an I/O failure.
fn describe_io(error: &io::Error, secrets: &Secrets<'_>) -> (OvokStatus, String) {
    let text = match error.get_ref() {
        Some(_) => secrets.server_text(&error.to_string()),
        None => error.to_string(),
    };
    let what = match error.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            return (OvokStatus::Timeout, format!("timed out: {text}"))
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
    (OvokStatus::Connection, format!("{what} ({text})"))
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_base_url_is_parsed_once_and_failures_are_not_kept() {
        let client = Client::new(&ClientConfig::default()).unwrap();
        let first = client.base_url(Some("http://127.0.0.1:8080/")).unwrap();
        let again = client.base_url(Some("http://127.0.0.1:8080/")).unwrap();
        assert!(Arc::ptr_eq(&first, &again));

        let refused = client.base_url(Some("http://example.com")).unwrap_err();
        assert_eq!(refused.status, OvokStatus::InvalidArgument);
        let other = client.base_url(Some("http://127.0.0.1:9090")).unwrap();
        assert_eq!(
            other.login.to_string(),
            "http://127.0.0.1:9090/v2/auth/login"
        );
        let sandbox = client.base_url(None).unwrap();
        assert_eq!(
            sandbox.login.to_string(),
            format!("{}{LOGIN_ROUTE}", crate::DEFAULT_BASE_URL)
        );
        assert!(Arc::ptr_eq(&sandbox, &client.base_url(Some("")).unwrap()));
    }
}
