//! The HTTP exchange: one shared connection pool, one request, one response.

use std::io::{self, Read};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ureq::http::header::{CONTENT_TYPE, LOCATION, RETRY_AFTER};
use ureq::http::Response;
use ureq::{Agent, Body};
use zeroize::Zeroizing;

use crate::base_url::{BaseUrl, LOGIN_ROUTE};
use crate::credentials::Credentials;
use crate::error::Error;
use crate::response::{self, LoginSuccess, MAX_BODY_LEN};
use crate::status::OvokStatus;

/// How long establishing a connection (DNS, TCP and TLS) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a whole call may take, from the first DNS lookup to the last body byte.
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(30);
/// The User-Agent header sent with every request.
pub const USER_AGENT: &str = concat!("ovok/", env!("CARGO_PKG_VERSION"));

/// The agent shared by every `login` call, created on first use, so that
/// later calls to the same host reuse an open connection.
fn shared_agent() -> &'static Agent {
    static AGENT: OnceLock<Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(TOTAL_TIMEOUT))
            .user_agent(USER_AGENT)
            .accept("application/json")
            .max_idle_connections_per_host(16)
            .max_idle_connections(32)
            .build()
            .new_agent()
    })
}

/// Logs in with `POST {base_url}/v2/auth/login`.
///
/// `base_url` of `None` or `""` means Ovok's sandbox. Never follows redirects.
pub fn login(base_url: Option<&str>, credentials: &Credentials<'_>) -> Result<LoginSuccess, Error> {
    let url = BaseUrl::parse(base_url)?.join(LOGIN_ROUTE);
    credentials.validate()?;
    let secrets = [credentials.password];
    let body = credentials.login_body();

    let mut response = shared_agent()
        .post(&url)
        .header(CONTENT_TYPE, "application/json")
        .send(&body[..])
        .map_err(|error| transport_error(&error, &secrets))?;
    drop(body);

    let http_status = response.status().as_u16();
    let content_type = header(&response, CONTENT_TYPE.as_str());
    let received = read_body(&mut response).map_err(|error| error.with_http_status(http_status));

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
            response::sanitize_message(&message, &secrets),
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
    response::parse_login_success(&body, unix_now())
        .map_err(|error| error.with_http_status(http_status))
}

/// Reads at most [`MAX_BODY_LEN`] bytes into a buffer that is zeroized on drop.
fn read_body(response: &mut Response<Body>) -> Result<Zeroizing<Vec<u8>>, Error> {
    let expected = response.body().content_length().unwrap_or(0);
    let capacity = usize::try_from(expected)
        .unwrap_or(MAX_BODY_LEN)
        .min(MAX_BODY_LEN);
    let mut buffer = Zeroizing::new(Vec::with_capacity(capacity));
    let limit = MAX_BODY_LEN as u64 + 1;
    let reader = response.body_mut().with_config().limit(limit).reader();
    // Read one byte past the cap so that "too large" is told apart from "exactly 1 MiB".
    match reader.take(limit).read_to_end(&mut buffer) {
        Ok(_) if buffer.len() > MAX_BODY_LEN => Err(too_large()),
        Ok(_) => Ok(buffer),
        Err(error) => match ureq::Error::from(error) {
            ureq::Error::BodyExceedsLimit(_) => Err(too_large()),
            other => Err(transport_error(&other, &[])),
        },
    }
}

fn too_large() -> Error {
    Error::invalid_response(format!("response body is larger than {MAX_BODY_LEN} bytes"))
}

fn header(response: &Response<Body>, name: &str) -> Option<String> {
    let value = response.headers().get(name)?.to_str().ok()?;
    Some(response::sanitize_message(value, &[]))
}

fn redirect_message(http_status: u16, location: Option<String>) -> String {
    match location {
        Some(location) => format!(
            "HTTP {http_status} redirect to {location} was not followed; check the base URL"
        ),
        None => format!("HTTP {http_status} redirect was not followed; check the base URL"),
    }
}

/// Sorts a transport failure into a status with a readable message.
fn transport_error(error: &ureq::Error, secrets: &[&str]) -> Error {
    let (status, message) = match error {
        ureq::Error::Timeout(which) => (OvokStatus::Timeout, timeout_message(*which)),
        ureq::Error::HostNotFound => (OvokStatus::Connection, "could not resolve the host".into()),
        ureq::Error::ConnectionFailed => (OvokStatus::Connection, "could not connect".into()),
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

fn timeout_message(which: ureq::Timeout) -> String {
    match which {
        ureq::Timeout::Connect | ureq::Timeout::Resolve => format!(
            "could not connect within the {} s connect timeout",
            CONNECT_TIMEOUT.as_secs()
        ),
        _ => format!(
            "no complete response within the {} s total timeout",
            TOTAL_TIMEOUT.as_secs()
        ),
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}
