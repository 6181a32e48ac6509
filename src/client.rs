//! The HTTP exchange: a client owns one connection pool and makes the
//! login and refresh calls through it.

use std::io;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use zeroize::Zeroizing;

use crate::base_url::{BaseUrl, LOGIN_ROUTE, LOGOUT_ROUTE, REFRESH_ROUTE};
use crate::config::{ClientConfig, ProxyChoice};
use crate::error::Error;
use crate::http::{self, Request};
use crate::proxy::Proxy;
use crate::redact::Secrets;
use crate::request::{self, Credentials};
use crate::response::{self, Tokens, MAX_BODY_LEN};
use crate::status::OvokStatus;
use crate::transport::{Connector, Failure};

/// Test builds only: logging in with this email panics inside the core,
/// which the C boundary must turn into `OVOK_STATUS_INTERNAL`.
#[cfg(feature = "test-hooks")]
pub const TEST_PANIC_EMAIL: &str = "panic@test-hooks.invalid";

/// A configured client with its own connection pool. Cheap to clone (the
/// clones share the pool) and safe to use from many threads at once.
#[derive(Clone)]
pub struct Client {
    connector: Arc<Connector>,
    /// The last base URL parsed, as given: most programs use one.
    last_base_url: Arc<Mutex<Option<ParsedBaseUrl>>>,
    user_agent: String,
    timeouts: (Duration, Duration),
}

/// A base URL as the caller gave it, and parsed.
type ParsedBaseUrl = (String, Arc<BaseUrl>);

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("user_agent", &self.user_agent)
            .field("timeouts", &self.timeouts)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Builds a client; fails when the configuration is contradictory.
    pub fn new(config: &ClientConfig) -> Result<Client, Error> {
        config.validate()?;
        let proxy = match &config.proxy {
            ProxyChoice::FromEnvironment => Proxy::from_environment(),
            ProxyChoice::Direct => None,
            ProxyChoice::Url(url) => Some(Proxy::parse(url).ok_or_else(|| {
                Error::invalid_argument("proxy URL is invalid; expected http://host:port")
            })?),
        };
        Ok(Client {
            connector: Arc::new(Connector::new(
                config.trust(),
                config.ca_certificates.clone(),
                proxy,
                config.connect_timeout,
            )),
            last_base_url: Arc::default(),
            user_agent: config.user_agent.clone(),
            timeouts: config.timeouts(),
        })
    }

    /// `BaseUrl::parse`, remembering the last success.
    fn base_url(&self, raw: Option<&str>) -> Result<Arc<BaseUrl>, Error> {
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
        let parsed = Arc::new(BaseUrl::parse(raw)?);
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
        let (http_status, body) =
            self.post_json(&url, LOGIN_ROUTE, None, body, &Secrets::new(&given))?;
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
        let (http_status, body) =
            self.post_json(&url, REFRESH_ROUTE, None, body, &Secrets::new(&given))?;
        let tokens = response::parse_refresh_success(&body, unix_now());
        with_http_status(tokens, http_status)
    }

    /// Revokes an access token with `POST {base_url}/auth/logout` and
    /// `Authorization: Bearer <access_token>`; returns the 2xx status (Ovok
    /// answers 204). Errors map as for [`Client::login`].
    pub fn logout(&self, base_url: Option<&str>, access_token: &str) -> Result<u16, Error> {
        let url = self.base_url(base_url)?;
        request::validate_access_token(access_token)?;
        let empty = Zeroizing::new(Vec::new());
        let given = [access_token];
        let (http_status, _) = self.post_json(
            &url,
            LOGOUT_ROUTE,
            Some(access_token),
            empty,
            &Secrets::new(&given),
        )?;
        Ok(http_status)
    }

    /// POSTs a JSON body holding `secrets` to `route` under `base`; returns
    /// a 2xx status with its JSON body, or the error for anything else.
    fn post_json(
        &self,
        base: &BaseUrl,
        route: &str,
        bearer: Option<&str>,
        body: Zeroizing<Vec<u8>>,
        secrets: &Secrets<'_>,
    ) -> Result<(u16, Zeroizing<Vec<u8>>), Error> {
        let deadline = Instant::now() + self.timeouts.1;
        let origin = base.origin();
        let path = base.path_of(route);
        let request = Request {
            origin,
            path: &path,
            user_agent: &self.user_agent,
            bearer,
            body: &body,
        }
        .encode();
        drop(body);
        let failed = |failure| self.failure(failure, secrets);
        let mut stream = self
            .connector
            .connection(origin, deadline)
            .map_err(failed)?;
        let response = match http::exchange(&mut stream, &request, deadline) {
            // The server closed the idle connection we reused before it read
            // the request: send it again on a new one, once (as curl does).
            Err(Failure::NoResponse(_)) if stream.reused => {
                stream = self.connector.connect(origin, deadline).map_err(failed)?;
                http::exchange(&mut stream, &request, deadline)
            }
            other => other,
        }
        .map_err(failed)?;
        drop(request);
        if response.reusable {
            self.connector.keep(origin, stream);
        }

        let http_status = response.status;
        // Header values may echo a secret: wiped when dropped.
        let content_type = response.content_type.map(Zeroizing::new);
        let received = response
            .body
            .map_err(|failure| self.failure(failure, secrets).with_http_status(http_status));
        if !(200..300).contains(&http_status) {
            let message = match (&received, (300..400).contains(&http_status)) {
                (_, true) => redirect_message(
                    http_status,
                    response
                        .location
                        .map(|l| secrets.server_text(&Zeroizing::new(l))),
                ),
                (Ok(body), false) => response::error_message(
                    secrets,
                    http_status,
                    content_type.as_deref().map(String::as_str),
                    body,
                ),
                (Err(error), false) => format!("HTTP {http_status}; {}", error.message),
            };
            let message = match response.retry_after {
                Some(retry_after) => format!(
                    "{message} (Retry-After: {})",
                    secrets.server_text(&Zeroizing::new(retry_after))
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
            return Err(Error::invalid_response(secrets.message(&format!(
                "expected JSON, got {} ({http_status})",
                response::mime_type(secrets, &content_type)
            )))
            .with_http_status(http_status));
        }
        Ok((http_status, body))
    }

    /// Sorts a transport failure into a status with a readable message.
    fn failure(&self, failure: Failure, secrets: &Secrets<'_>) -> Error {
        let (connect_timeout, total_timeout) = self.timeouts;
        let (status, message) = match failure {
            Failure::ConnectTimeout => (
                OvokStatus::Timeout,
                format!(
                    "could not connect within the {} connect timeout",
                    describe(connect_timeout)
                ),
            ),
            Failure::TotalTimeout => (
                OvokStatus::Timeout,
                format!(
                    "no complete response within the {} total timeout",
                    describe(total_timeout)
                ),
            ),
            Failure::HostNotFound => (OvokStatus::Connection, "could not resolve the host".into()),
            Failure::ProxyRefused(code) => (
                OvokStatus::Connection,
                format!("the proxy refused the CONNECT request (HTTP {code})"),
            ),
            Failure::ProxyMalformed => (
                OvokStatus::Connection,
                "the proxy's answer to CONNECT is not HTTP".into(),
            ),
            Failure::TrustStore(problem) => (OvokStatus::Tls, problem),
            Failure::Tls(problem) => (OvokStatus::Tls, tls_message(&problem, secrets)),
            Failure::Io(error) | Failure::NoResponse(error) => describe_io(&error, secrets),
            Failure::Malformed(problem) => (
                OvokStatus::Connection,
                format!(
                    "the server sent malformed HTTP ({})",
                    secrets.server_text(&problem)
                ),
            ),
            Failure::HeadTooLarge(limit) => (
                OvokStatus::InvalidResponse,
                format!("response headers are larger than {limit} bytes"),
            ),
            Failure::BodyTooLarge => return too_large(),
        };
        Error::new(status, secrets.message(&message))
    }
}

/// `TLS failed: ...`, with the likely fix when the server is too old.
/// rustls's text can quote the server's certificate: it is server text.
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

/// Unix time in seconds, as `expires_at` counts it.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
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

/// The status and message for an I/O failure. An error that wraps another
/// (rustls's, through its stream) may quote the server; the operating
/// system's own texts do not.
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
        assert_eq!(other.origin().port, 9090);
        let sandbox = client.base_url(None).unwrap();
        assert_eq!(sandbox.as_str(), crate::DEFAULT_BASE_URL);
        assert!(Arc::ptr_eq(&sandbox, &client.base_url(Some("")).unwrap()));
    }
}
