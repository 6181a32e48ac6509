//! A small scriptable raw-socket server for hostile-server tests.
//!
//! [`HostileServer::start`] binds a loopback port and runs a behaviour
//! closure on a thread for every accepted connection. The closure gets a
//! [`Conn`] with a few primitives (read the request head, write bytes,
//! trickle, stall, close, reset) and can do whatever it likes with them. The
//! server counts connections and complete request heads, so a test can prove
//! that nothing reached it (a redirect target, say).
//!
//! What "close" and "reset" really do on the wire (Linux):
//! - [`Conn::close`] shuts the socket down and drops it after everything sent
//!   was queued: an orderly FIN. The client reads EOF.
//! - [`Conn::reset`] drops the socket while the client's request *body* is
//!   still unread in our receive buffer. Linux then answers with an RST
//!   instead of a FIN (RFC 2525 §2.17), and the client's next read fails with
//!   `ECONNRESET`. `SO_LINGER` with a zero timeout would be the usual way,
//!   but `TcpStream::set_linger` is unstable and `socket2` is not a
//!   dev-dependency of `ovok`; leaving unread input is the portable trick.
//!   That is why [`Conn::read_head`] reads the head byte by byte and leaves
//!   the body alone: the body is the unread input.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Longest request head we read; a client sending more is misbehaving.
const MAX_HEAD: usize = 64 * 1024;

/// A request head as received, plus the body when it was read.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// Request line and headers, up to and including the blank line.
    pub head: String,
    /// The body, if [`Conn::read_request`] read it (empty otherwise).
    pub body: Vec<u8>,
}

impl Request {
    /// The request line, e.g. `POST /v2/auth/login HTTP/1.1`.
    pub fn request_line(&self) -> &str {
        self.head.lines().next().unwrap_or("")
    }

    /// A header's value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }

    pub fn content_length(&self) -> usize {
        self.header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

/// One accepted connection, handed to the behaviour closure.
pub struct Conn {
    stream: Option<TcpStream>,
    requests: Arc<AtomicUsize>,
    log: Arc<Mutex<Vec<Request>>>,
}

impl Conn {
    fn stream(&mut self) -> &mut TcpStream {
        self.stream.as_mut().expect("the connection is open")
    }

    /// Reads one request head, byte by byte so that the body stays unread
    /// in the kernel buffer (see [`Conn::reset`]). `None` on EOF or error.
    pub fn read_head(&mut self) -> Option<Request> {
        let mut head = Vec::with_capacity(512);
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if head.len() >= MAX_HEAD {
                return None;
            }
            match self.stream().read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                _ => return None,
            }
        }
        let request = Request {
            head: String::from_utf8_lossy(&head).into_owned(),
            body: Vec::new(),
        };
        self.requests.fetch_add(1, Ordering::SeqCst);
        self.log.lock().unwrap().push(request.clone());
        Some(request)
    }

    /// Reads one complete request (head and Content-Length body).
    pub fn read_request(&mut self) -> Option<Request> {
        let mut request = self.read_head()?;
        let mut body = vec![0; request.content_length()];
        self.stream().read_exact(&mut body).ok()?;
        request.body = body;
        if let Some(last) = self.log.lock().unwrap().last_mut() {
            last.body = request.body.clone();
        }
        Some(request)
    }

    /// Waits until the client's request body has arrived (so it is unread
    /// input for [`Conn::reset`]); a short sleep is enough on loopback.
    pub fn let_the_body_arrive(&mut self) {
        thread::sleep(Duration::from_millis(100));
    }

    /// Writes bytes; `false` once the client has gone.
    pub fn write(&mut self, bytes: &[u8]) -> bool {
        let stream = self.stream();
        stream
            .write_all(bytes)
            .and_then(|()| stream.flush())
            .is_ok()
    }

    /// Writes `bytes` one at a time, `every` apart, until done or the client goes.
    pub fn trickle(&mut self, bytes: &[u8], every: Duration) -> bool {
        for byte in bytes {
            if !self.write(std::slice::from_ref(byte)) {
                return false;
            }
            thread::sleep(every);
        }
        true
    }

    /// Writes `total` bytes of `fill` in 64 KiB pieces, stopping early when
    /// the client closes. Returns how many bytes were written.
    pub fn write_filler(&mut self, total: usize, fill: u8) -> usize {
        let piece = vec![fill; 64 * 1024];
        let mut written = 0;
        while written < total {
            let n = piece.len().min(total - written);
            if !self.write(&piece[..n]) {
                break;
            }
            written += n;
        }
        written
    }

    /// Keeps the connection open without sending anything, for `how_long`
    /// or until the client closes it, whichever comes first.
    pub fn stall(&mut self, how_long: Duration) {
        let deadline = Instant::now() + how_long;
        let stream = self.stream();
        let mut sink = [0u8; 4096];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            let _ = stream.set_read_timeout(Some(left.min(Duration::from_millis(200))));
            match stream.read(&mut sink) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => return,
            }
        }
    }

    /// An orderly close: FIN after everything written.
    pub fn close(&mut self) {
        if let Some(stream) = self.stream.take() {
            let _ = stream.shutdown(Shutdown::Write);
            // Drain what the client still sends, briefly, so the close stays a
            // FIN (unread input would turn it into an RST).
            let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
            let mut sink = [0u8; 4096];
            let mut stream = stream;
            while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
        }
    }

    /// An abortive close: drops the socket with unread input, so the kernel
    /// sends an RST. Call it before reading the body (or with no read at all,
    /// after the request arrived).
    pub fn reset(&mut self) {
        drop(self.stream.take());
    }

    /// The raw stream, for behaviours the helpers do not cover.
    pub fn raw(&mut self) -> &mut TcpStream {
        self.stream()
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        // Ending a behaviour without an explicit close/reset: close politely.
        self.close();
    }
}

type Behaviour = dyn Fn(&mut Conn) + Send + Sync + 'static;

/// A loopback server running a behaviour on every connection.
pub struct HostileServer {
    pub addr: std::net::SocketAddr,
    connections: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    log: Arc<Mutex<Vec<Request>>>,
}

impl HostileServer {
    pub fn start(behaviour: impl Fn(&mut Conn) + Send + Sync + 'static) -> HostileServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let log = Arc::new(Mutex::new(Vec::new()));
        let behaviour: Arc<Behaviour> = Arc::new(behaviour);
        let (counter, request_counter, request_log) =
            (connections.clone(), requests.clone(), log.clone());
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                counter.fetch_add(1, Ordering::SeqCst);
                let behaviour = Arc::clone(&behaviour);
                let mut conn = Conn {
                    stream: Some(stream),
                    requests: request_counter.clone(),
                    log: request_log.clone(),
                };
                thread::spawn(move || behaviour(&mut conn));
            }
        });
        HostileServer {
            addr,
            connections,
            requests,
            log,
        }
    }

    /// A server that answers every request on a connection with `response`
    /// (keep-alive), reading each request completely first.
    pub fn answering(response: Vec<u8>) -> HostileServer {
        HostileServer::start(move |conn| {
            while conn.read_request().is_some() {
                if !conn.write(&response) {
                    return;
                }
            }
        })
    }

    /// [`HostileServer::answering`] with a response of `status`, a
    /// Content-Type and a correct Content-Length.
    pub fn with_body(status: &str, content_type: &str, body: &str) -> HostileServer {
        HostileServer::answering(typed_response(status, content_type, &[], body.as_bytes()))
    }

    /// A server that accepts connections, reads what comes and never answers.
    pub fn silent() -> HostileServer {
        HostileServer::start(|conn| conn.stall(Duration::from_secs(3600)))
    }

    /// A server that counts connections and request heads and answers
    /// nothing useful: the target of redirects that must not be followed.
    pub fn counting() -> HostileServer {
        HostileServer::start(|conn| {
            if conn.read_request().is_some() {
                conn.write(b"HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\n\r\n");
            }
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The same server addressed as https (for TLS tests against plain TCP).
    pub fn https_url(&self) -> String {
        format!("https://{}", self.addr)
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Request heads read so far (by any behaviour that reads them).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Every request head (and body, when read) received so far.
    pub fn received(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }
}

/// A complete response head + body with an explicit header list (no
/// automatic Content-Length).
pub fn raw_response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut bytes = format!("HTTP/1.1 {status}\r\n").into_bytes();
    for (name, value) in headers {
        bytes.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    bytes.extend_from_slice(b"\r\n");
    bytes.extend_from_slice(body);
    bytes
}

/// A response with these headers and a correct Content-Length after them.
pub fn sized_response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let length = body.len().to_string();
    let mut headers = headers.to_vec();
    headers.push(("Content-Length", &length));
    raw_response(status, &headers, body)
}

/// A response with a Content-Type, extra headers and a correct Content-Length.
pub fn typed_response(
    status: &str,
    content_type: &str,
    extra: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut headers = vec![("Content-Type", content_type)];
    headers.extend_from_slice(extra);
    sized_response(status, &headers, body)
}

/// A JSON response with a correct Content-Length.
pub fn json_response(status: &str, body: &str) -> Vec<u8> {
    typed_response(
        status,
        "application/json; charset=utf-8",
        &[],
        body.as_bytes(),
    )
}

// ---------------------------------------------------------------------------
// The hostile-server matrix: shared by tests/hostile_server.rs (which checks
// every status, message and timing) and tests/secrets.rs (which scans every
// message for secrets).
// ---------------------------------------------------------------------------

use ovok::ffi::{
    ovok_client_builder_set_connect_timeout_ms, ovok_client_builder_set_proxy_from_env,
    ovok_client_builder_set_total_timeout_ms,
};
use ovok::OvokStatus;
use serde_json::{json, Value};

use super::{Builder, Client, Outcome};

/// The password every matrix call sends. Unique, so a scan finds any echo.
pub const PASSWORD: &str = "Hostile-Pa55word-7f3a91";
/// The access token hostile servers hand out.
pub const SERVER_ACCESS_TOKEN: &str = "srv-access-token-5b8e0c1d";
/// The refresh token hostile servers hand out.
pub const SERVER_REFRESH_TOKEN: &str = "srv-refresh-token-a94f22e7";
/// The refresh token the refresh matrix sends.
pub const CLIENT_REFRESH_TOKEN: &str = "client-refresh-token-6c1d9e";

/// Every value that must never appear in a message.
pub const SECRETS: [&str; 4] = [
    PASSWORD,
    SERVER_ACCESS_TOKEN,
    SERVER_REFRESH_TOKEN,
    CLIENT_REFRESH_TOKEN,
];

/// The matrix client's timeouts: short, so the whole matrix runs in seconds.
pub const CONNECT_TIMEOUT_MS: u32 = 1000;
pub const TOTAL_TIMEOUT_MS: u32 = 1500;
/// What the library says when the total timeout runs out.
pub const TOTAL_TIMEOUT_MESSAGE: &str = "no complete response within the 1500 ms total timeout";

/// A configured client with the matrix timeouts that connects directly,
/// whatever proxy the environment names.
pub fn matrix_client() -> Client {
    short_timeout_client(CONNECT_TIMEOUT_MS, TOTAL_TIMEOUT_MS)
}

pub fn short_timeout_client(connect_ms: u32, total_ms: u32) -> Client {
    let builder = Builder::new();
    // SAFETY: a live builder.
    unsafe {
        assert_eq!(
            ovok_client_builder_set_connect_timeout_ms(builder.0, connect_ms),
            OvokStatus::Ok
        );
        assert_eq!(
            ovok_client_builder_set_total_timeout_ms(builder.0, total_ms),
            OvokStatus::Ok
        );
        assert_eq!(
            ovok_client_builder_set_proxy_from_env(builder.0, false),
            OvokStatus::Ok
        );
    }
    builder.build().expect("the matrix client builds")
}

/// The documented login body, with the server's token values.
pub fn login_body() -> Value {
    json!({
        "accessToken": SERVER_ACCESS_TOKEN,
        "refreshToken": SERVER_REFRESH_TOKEN,
        "expiresIn": 3600,
        "project": {"reference": "Project/f6f4da8d-93e8-8a08-220e-03b7810451d3", "display": "My Medical Project"},
        "profile": {"reference": "Patient/de5c57ff-7257-57b0-13ab-aab6f5f91498", "display": "Max Mustermann"}
    })
}

/// The documented refresh body (snake_case).
pub fn refresh_body() -> Value {
    json!({
        "access_token": SERVER_ACCESS_TOKEN,
        "refresh_token": SERVER_REFRESH_TOKEN,
        "expires_in": 3600
    })
}

/// Which call a case makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    Login,
    Refresh,
}

/// How long a case may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timing {
    /// Decided well before the total timeout (< 2/3 of it).
    Fast,
    /// Bounded by the total (or connect) timeout: at least the timeout, and
    /// not much more.
    TimesOut,
}

/// An extra check run after the call; returns a problem, if any.
pub type Check = Box<dyn Fn(&Outcome) -> Option<String> + Send + Sync>;

/// One row of the matrix.
pub struct Case {
    pub name: &'static str,
    pub call: Call,
    pub server: HostileServer,
    /// The base URL to call; `None` means the server's plain http URL.
    pub base_url: Option<String>,
    pub status: OvokStatus,
    pub http_status: u16,
    /// The message must contain this (ignored for `OvokStatus::Ok`).
    pub needle: String,
    pub timing: Timing,
    pub extra: Option<Check>,
}

impl Case {
    pub fn new(
        name: &'static str,
        call: Call,
        server: HostileServer,
        expected: (OvokStatus, u16, &str),
        timing: Timing,
    ) -> Case {
        Case {
            name,
            call,
            server,
            base_url: None,
            status: expected.0,
            http_status: expected.1,
            needle: expected.2.to_string(),
            timing,
            extra: None,
        }
    }

    fn login(
        name: &'static str,
        server: HostileServer,
        expected: (OvokStatus, u16, &str),
        timing: Timing,
    ) -> Case {
        Case::new(name, Call::Login, server, expected, timing)
    }

    fn refresh(
        name: &'static str,
        server: HostileServer,
        expected: (OvokStatus, u16, &str),
        timing: Timing,
    ) -> Case {
        Case::new(name, Call::Refresh, server, expected, timing)
    }

    pub fn with_check(
        mut self,
        check: impl Fn(&Outcome) -> Option<String> + Send + Sync + 'static,
    ) -> Case {
        self.extra = Some(Box::new(check));
        self
    }

    pub fn with_base_url(mut self, base_url: String) -> Case {
        self.base_url = Some(base_url);
        self
    }
}

/// What one case produced, and what was wrong with it.
#[derive(Debug)]
pub struct Ran {
    pub name: &'static str,
    pub outcome: Outcome,
    pub elapsed: Duration,
    pub problems: Vec<String>,
}

/// Runs every case at once (each on its own thread, all through one client)
/// and checks status, HTTP status, message, timing, connection count and the
/// case's extra check.
pub fn run_matrix(client: &Client, cases: Vec<Case>, timeouts: (u32, u32)) -> Vec<Ran> {
    let (connect_ms, total_ms) = timeouts;
    thread::scope(|scope| {
        let handles: Vec<_> = cases
            .into_iter()
            .map(|case| {
                scope.spawn(move || {
                    let url = case.base_url.clone().unwrap_or_else(|| case.server.url());
                    let started = Instant::now();
                    let outcome = match case.call {
                        Call::Login => client.login(&url, PASSWORD),
                        Call::Refresh => client.refresh(&url, CLIENT_REFRESH_TOKEN),
                    };
                    let elapsed = started.elapsed();
                    let problems = judge(&case, &outcome, elapsed, connect_ms, total_ms);
                    Ran {
                        name: case.name,
                        outcome,
                        elapsed,
                        problems,
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn judge(
    case: &Case,
    outcome: &Outcome,
    elapsed: Duration,
    connect_ms: u32,
    total_ms: u32,
) -> Vec<String> {
    let mut problems = Vec::new();
    if (outcome.status, outcome.http_status) != (case.status, case.http_status) {
        problems.push(format!(
            "expected {:?}/{} but got {:?}/{}",
            case.status, case.http_status, outcome.status, outcome.http_status
        ));
    }
    match (&outcome.error_message, case.status) {
        (None, OvokStatus::Ok) => {
            if outcome.access_token.as_deref() != Some(SERVER_ACCESS_TOKEN) {
                problems.push(format!("wrong access token {:?}", outcome.access_token));
            }
        }
        (Some(message), OvokStatus::Ok) => problems.push(format!("unexpected message {message:?}")),
        (None, _) => problems.push("no error message".into()),
        (Some(message), _) => {
            if !message.contains(&case.needle) {
                problems.push(format!("message {message:?} lacks {:?}", case.needle));
            }
            if message.chars().any(char::is_control) {
                problems.push(format!("message {message:?} has control characters"));
            }
            if message.len() > ovok::response::MAX_MESSAGE_LEN + 3 {
                problems.push(format!("message is {} bytes long", message.len()));
            }
        }
    }
    if case.status != OvokStatus::Ok && outcome.access_token.is_some() {
        problems.push("a failure carried an access token".into());
    }
    let total = Duration::from_millis(total_ms.into());
    let bound = Duration::from_millis(connect_ms.min(total_ms).into());
    match case.timing {
        Timing::Fast if elapsed >= total * 2 / 3 => problems.push(format!(
            "took {elapsed:?}; expected well under the {total:?} timeout"
        )),
        Timing::TimesOut
            if elapsed + Duration::from_millis(20) < bound
                || elapsed > total + Duration::from_secs(2) =>
        {
            problems.push(format!("took {elapsed:?}; expected about the timeout"))
        }
        _ => {}
    }
    if case.server.connections() != 1 {
        problems.push(format!(
            "the server saw {} connections; expected exactly 1 (no retry, no reconnect)",
            case.server.connections()
        ));
    }
    if let Some(check) = &case.extra {
        problems.extend(check(outcome));
    }
    problems
}

/// Panics with every problem of every case, if there are any.
pub fn assert_no_problems(ran: &[Ran]) {
    let report: Vec<String> = ran
        .iter()
        .filter(|r| !r.problems.is_empty())
        .map(|r| {
            format!(
                "- {} ({:?}, {:?}, message {:?}):\n    {}",
                r.name,
                r.outcome.status,
                r.elapsed,
                r.outcome.error_message,
                r.problems.join("\n    ")
            )
        })
        .collect();
    assert!(
        report.is_empty(),
        "{} of {} cases failed:\n{}",
        report.len(),
        ran.len(),
        report.join("\n")
    );
}

/// Every secret found in any message, as `(case, secret)`.
pub fn leaked_secrets(ran: &[Ran], secrets: &[&str]) -> Vec<(String, String)> {
    ran.iter()
        .filter_map(|r| r.outcome.error_message.as_ref().map(|m| (r.name, m)))
        .flat_map(|(name, message)| {
            secrets
                .iter()
                .filter(|secret| message.contains(**secret))
                .map(move |secret| (name.to_string(), secret.to_string()))
        })
        .collect()
}

// --- behaviours -------------------------------------------------------------

/// Reads the request, then answers with `response` once.
fn answer(response: Vec<u8>) -> HostileServer {
    HostileServer::answering(response)
}

fn json_answer(status: &str, body: &Value) -> HostileServer {
    answer(json_response(status, &body.to_string()))
}

fn json_text_answer(status: &str, body: &str) -> HostileServer {
    answer(json_response(status, body))
}

/// Reads the request, writes `prefix`, then holds the connection open.
fn write_then_stall(prefix: Vec<u8>) -> HostileServer {
    HostileServer::start(move |conn| {
        if conn.read_request().is_some() && conn.write(&prefix) {
            conn.stall(Duration::from_secs(10));
        }
    })
}

/// Reads the request, writes `bytes`, then closes (FIN).
fn write_then_close(bytes: Vec<u8>) -> HostileServer {
    HostileServer::start(move |conn| {
        if conn.read_request().is_some() {
            conn.write(&bytes);
            conn.close();
        }
    })
}

fn without(field: &str, inner: Option<&str>) -> Value {
    let mut body = login_body();
    match inner {
        None => {
            body.as_object_mut().unwrap().remove(field);
        }
        Some(inner) => {
            body[field].as_object_mut().unwrap().remove(inner);
        }
    }
    body
}

fn with(field: &str, value: Value) -> Value {
    let mut body = login_body();
    body[field] = value;
    body
}

fn nest_error(status: u16, message: Value, error: &str) -> Value {
    json!({"statusCode": status, "message": message, "error": error})
}

fn redirect(code: &'static str, target: &HostileServer) -> HostileServer {
    let location = format!("{}/v2/auth/login", target.url());
    answer(raw_response(
        code,
        &[("Location", &location), ("Content-Length", "0")],
        b"",
    ))
}

/// A redirect case: the target server must never see a connection, so the
/// password is provably not re-sent.
fn redirect_case(name: &'static str, call: Call, code: &'static str, http_status: u16) -> Case {
    let target = Arc::new(HostileServer::counting());
    let server = redirect(code, &target);
    let needle = format!(
        "HTTP {http_status} redirect to {}/v2/auth/login was not followed; check the base URL",
        target.url()
    );
    let mut case = Case::new(
        name,
        call,
        server,
        (OvokStatus::HttpError, http_status, ""),
        Timing::Fast,
    );
    case.needle = needle;
    case.with_check(move |_| {
        // Give a stray follow-up request a moment to show up.
        thread::sleep(Duration::from_millis(100));
        (target.connections() != 0 || target.requests() != 0).then(|| {
            format!(
                "the redirect target saw {} connections and {} requests: the request was re-sent",
                target.connections(),
                target.requests()
            )
        })
    })
}

const BIG: usize = 50 * 1024 * 1024;

/// The login matrix: every hostile behaviour with its expected outcome.
pub fn login_matrix() -> Vec<Case> {
    use OvokStatus::*;
    use Timing::*;
    let ok_body = login_body().to_string();
    let half = ok_body[..ok_body.len() / 2].to_string();
    let mut cases = vec![
        // --- the response never arrives, or arrives too slowly ---
        Case::login(
            "headers never come",
            write_then_stall(Vec::new()),
            (Timeout, 0, TOTAL_TIMEOUT_MESSAGE),
            TimesOut,
        ),
        Case::login(
            "status line, then the headers never finish",
            write_then_stall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n".to_vec()),
            (Timeout, 0, TOTAL_TIMEOUT_MESSAGE),
            TimesOut,
        ),
        Case::login(
            "body trickles one byte a second",
            {
                let body = ok_body.clone();
                HostileServer::start(move |conn| {
                    if conn.read_request().is_some() {
                        let head = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                            body.len()
                        );
                        conn.write(head.as_bytes());
                        conn.trickle(body.as_bytes(), Duration::from_secs(1));
                    }
                })
            },
            (Timeout, 200, TOTAL_TIMEOUT_MESSAGE),
            TimesOut,
        ),
        Case::login(
            "chunked body that never ends",
            HostileServer::start(|conn| {
                if conn.read_request().is_some() {
                    conn.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"acc\r\n");
                    // A new chunk every 200 ms keeps the connection busy but never ends.
                    for _ in 0..50 {
                        thread::sleep(Duration::from_millis(200));
                        if !conn.write(b"1\r\n \r\n") {
                            return;
                        }
                    }
                }
            }),
            (Timeout, 200, TOTAL_TIMEOUT_MESSAGE),
            TimesOut,
        ),
        // --- the connection ends early ---
        Case::login(
            "closed (FIN) after reading the request, before any response",
            write_then_close(Vec::new()),
            (Connection, 0, "the server closed the connection early"),
            Fast,
        ),
        Case::login(
            "reset (RST) after the request arrived, before any response",
            HostileServer::start(|conn| {
                if conn.read_head().is_some() {
                    conn.let_the_body_arrive();
                    conn.reset();
                }
            }),
            (Connection, 0, "the connection was reset"),
            Fast,
        ),
        Case::login(
            "reset (RST) in the middle of the body",
            HostileServer::start(|conn| {
                if conn.read_head().is_some() {
                    conn.let_the_body_arrive();
                    conn.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"accessToken\":\"srv-");
                    thread::sleep(Duration::from_millis(200));
                    conn.reset();
                }
            }),
            // CONNECTION, reported at once: the transfer was cut, and
            // waiting for the timeout would be wrong. The RST is told apart
            // from a FIN (the next row).
            (Connection, 200, "the connection was reset"),
            Fast,
        ),
        Case::login(
            "truncated JSON: Content-Length larger than sent, then FIN",
            write_then_close({
                let mut bytes = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    ok_body.len()
                )
                .into_bytes();
                bytes.extend_from_slice(half.as_bytes());
                bytes
            }),
            (Connection, 200, "the server closed the connection early"),
            Fast,
        ),
        Case::login(
            "truncated JSON delimited by the close (no Content-Length)",
            write_then_close(raw_response(
                "200 OK",
                &[
                    ("Content-Type", "application/json"),
                    ("Connection", "close"),
                ],
                half.as_bytes(),
            )),
            (
                InvalidResponse,
                200,
                "login response is not valid JSON (it ends early",
            ),
            Fast,
        ),
        // --- too much ---
        Case::login(
            "a 50 MiB body with a Content-Length",
            HostileServer::start(|conn| {
                if conn.read_request().is_some() {
                    conn.write(format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {BIG}\r\n\r\n").as_bytes());
                    conn.write_filler(BIG, b' ');
                }
            }),
            (
                InvalidResponse,
                200,
                "response body is larger than 1048576 bytes",
            ),
            Fast,
        ),
        Case::login(
            "a chunked body past 50 MiB",
            HostileServer::start(|conn| {
                if conn.read_request().is_some() {
                    conn.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
                    let mut chunk = b"10000\r\n".to_vec();
                    chunk.extend(std::iter::repeat_n(b' ', 0x10000));
                    chunk.extend_from_slice(b"\r\n");
                    for _ in 0..BIG / 0x10000 {
                        if !conn.write(&chunk) {
                            return;
                        }
                    }
                }
            }),
            (
                InvalidResponse,
                200,
                "response body is larger than 1048576 bytes",
            ),
            Fast,
        ),
        Case::login(
            "response headers larger than the limit (100 KiB)",
            answer(raw_response(
                "200 OK",
                &[
                    ("Content-Type", "application/json"),
                    ("X-Padding", &"p".repeat(100 * 1024)),
                    ("Content-Length", "2"),
                ],
                b"{}",
            )),
            (InvalidResponse, 0, "response headers are larger than"),
            Fast,
        ),
        Case::login(
            "JSON nested 100000 deep (serde's recursion limit, not a stack overflow)",
            json_text_answer(
                "200 OK",
                &format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
            ),
            (InvalidResponse, 200, "login response is not valid JSON"),
            Fast,
        ),
        // --- not the documented JSON ---
        Case::login(
            "invalid JSON",
            json_text_answer("200 OK", r#"{"accessToken": srv-access-token-5b8e0c1d}"#),
            (
                InvalidResponse,
                200,
                "login response is not valid JSON (syntax error at line 1 column 17)",
            ),
            Fast,
        ),
        Case::login(
            "invalid UTF-8 inside a JSON string",
            answer({
                let mut body = br#"{"accessToken":"srv-access-token-5b8e0c1d"#.to_vec();
                body.extend_from_slice(b"\xff\xfe\"}");
                raw_response(
                    "200 OK",
                    &[
                        ("Content-Type", "application/json"),
                        ("Content-Length", &body.len().to_string()),
                    ],
                    &body,
                )
            }),
            (InvalidResponse, 200, "login response is not valid JSON"),
            Fast,
        ),
        Case::login(
            "JSON that is not an object",
            json_text_answer("200 OK", r#"["srv-access-token-5b8e0c1d"]"#),
            (InvalidResponse, 200, "login response is not a JSON object"),
            Fast,
        ),
        Case::login(
            "wrong type: accessToken is a number",
            json_answer("200 OK", &with("accessToken", json!(42))),
            (
                InvalidResponse,
                200,
                "response field accessToken is not a string",
            ),
            Fast,
        ),
        Case::login(
            "wrong type: refreshToken is an array holding the token",
            json_answer(
                "200 OK",
                &with("refreshToken", json!([SERVER_REFRESH_TOKEN])),
            ),
            (
                InvalidResponse,
                200,
                "response field refreshToken is not a string",
            ),
            Fast,
        ),
        Case::login(
            "wrong type: expiresIn is a string",
            json_answer("200 OK", &with("expiresIn", json!("3600"))),
            (
                InvalidResponse,
                200,
                "expiresIn is not a non-negative integer",
            ),
            Fast,
        ),
        Case::login(
            "wrong type: project is a string",
            json_answer("200 OK", &with("project", json!("Project/1"))),
            (
                InvalidResponse,
                200,
                "response field project is not an object",
            ),
            Fast,
        ),
        Case::login(
            "wrong type: profile.display is a number",
            json_answer("200 OK", &{
                let mut body = login_body();
                body["profile"]["display"] = json!(7);
                body
            }),
            (
                InvalidResponse,
                200,
                "response field profile.display is not a string",
            ),
            Fast,
        ),
        Case::login(
            "an empty accessToken",
            json_answer("200 OK", &with("accessToken", json!(""))),
            (
                InvalidResponse,
                200,
                "login response has an empty accessToken",
            ),
            Fast,
        ),
        Case::login(
            "a NUL inside profile.display",
            json_answer("200 OK", &{
                let mut body = login_body();
                body["profile"]["display"] = json!("Max\u{0}Mustermann");
                body
            }),
            (
                InvalidResponse,
                200,
                "profile.display contains a NUL character",
            ),
            Fast,
        ),
        Case::login(
            "unknown extra fields are ignored",
            json_answer("200 OK", &{
                let mut body = login_body();
                body["somethingNew"] = json!({"nested": [1, 2, {"deep": null}]});
                body["project"]["extra"] = json!(true);
                body["tokenType"] = json!("Bearer");
                body
            }),
            (Ok, 200, ""),
            Fast,
        )
        .with_check(|outcome| {
            (outcome.refresh_token.as_deref() != Some(SERVER_REFRESH_TOKEN)
                || outcome.profile_display.as_deref() != Some("Max Mustermann")
                || outcome.expires_in != 3600)
                .then(|| format!("fields not read: {outcome:?}"))
        }),
        Case::login(
            "a valid body with no Content-Type",
            answer(raw_response(
                "200 OK",
                &[("Content-Length", &ok_body.len().to_string())],
                ok_body.as_bytes(),
            )),
            (Ok, 200, ""),
            Fast,
        ),
        Case::login(
            "HTTP/1.0, body delimited by the close",
            write_then_close(
                format!("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{ok_body}")
                    .into_bytes(),
            ),
            (Ok, 200, ""),
            Fast,
        ),
        Case::login(
            "an empty 200",
            json_text_answer("200 OK", ""),
            (InvalidResponse, 200, "login response body is empty"),
            Fast,
        ),
        Case::login(
            "a 204 No Content",
            answer(b"HTTP/1.1 204 No Content\r\n\r\n".to_vec()),
            (InvalidResponse, 204, "login response body is empty"),
            Fast,
        ),
        Case::login(
            "a 200 with Content-Type text/html (captive portal)",
            answer(typed_response(
                "200 OK",
                "text/html; charset=utf-8",
                &[],
                b"<html><h1>Sign in to Wi-Fi</h1></html>\n",
            )),
            (InvalidResponse, 200, "expected JSON, got text/html (200)"),
            Fast,
        ),
        // --- error statuses ---
        Case::login(
            "an HTML 502 from a proxy",
            answer(typed_response(
                "502 Bad Gateway",
                "text/html",
                &[("Server", "nginx")],
                b"<html><body><h1>502 Bad Gateway</h1></body></html>",
            )),
            (ServerError, 502, "expected JSON, got text/html (502)"),
            Fast,
        ),
        Case::login(
            "401 with a NestJS string message",
            json_answer(
                "401 Unauthorized",
                &nest_error(401, json!("Invalid email or password"), "Unauthorized"),
            ),
            (Unauthorized, 401, "Invalid email or password"),
            Fast,
        ),
        Case::login(
            "401 with an empty body",
            answer(raw_response(
                "401 Unauthorized",
                &[("WWW-Authenticate", "Bearer"), ("Content-Length", "0")],
                b"",
            )),
            (Unauthorized, 401, "HTTP 401 with an empty body"),
            Fast,
        ),
        Case::login(
            "404 with a NestJS string message",
            json_answer(
                "404 Not Found",
                &nest_error(404, json!("Cannot POST /v2/auth/login"), "Not Found"),
            ),
            (NotFound, 404, "Cannot POST /v2/auth/login"),
            Fast,
        ),
        Case::login(
            "422 with a NestJS message array",
            json_answer(
                "422 Unprocessable Entity",
                &nest_error(
                    422,
                    json!(["email must be an email", "clientId must be a UUID"]),
                    "Unprocessable Entity",
                ),
            ),
            (
                Unprocessable,
                422,
                "email must be an email; clientId must be a UUID",
            ),
            Fast,
        ),
        Case::login(
            "500 with a NestJS string message",
            json_answer(
                "500 Internal Server Error",
                &nest_error(500, json!("Internal server error"), "Internal Server Error"),
            ),
            (ServerError, 500, "Internal server error"),
            Fast,
        ),
        Case::login(
            "500 with a NestJS message array",
            json_answer(
                "500 Internal Server Error",
                &nest_error(
                    500,
                    json!(["database unavailable", "try again later"]),
                    "Internal Server Error",
                ),
            ),
            (ServerError, 500, "database unavailable; try again later"),
            Fast,
        ),
        Case::login(
            "429 with Retry-After and a NestJS body",
            answer(typed_response(
                "429 Too Many Requests",
                "application/json",
                &[("Retry-After", "120")],
                br#"{"statusCode":429,"message":"ThrottlerException: Too Many Requests"}"#,
            )),
            (
                HttpError,
                429,
                "ThrottlerException: Too Many Requests (Retry-After: 120)",
            ),
            Fast,
        ),
        Case::login(
            "429 with Retry-After as an HTTP date and no body",
            answer(raw_response(
                "429 Too Many Requests",
                &[
                    ("Retry-After", "Wed, 21 Oct 2065 07:28:00 GMT"),
                    ("Content-Length", "0"),
                ],
                b"",
            )),
            (
                HttpError,
                429,
                "HTTP 429 with an empty body (Retry-After: Wed, 21 Oct 2065 07:28:00 GMT)",
            ),
            Fast,
        ),
        Case::login(
            "a NestJS message of 8 KiB with control characters",
            json_answer(
                "400 Bad Request",
                &nest_error(
                    400,
                    json!(format!(
                        "bad\r\nX-Injected: 1\u{7}\u{1b}[31m{}",
                        "x".repeat(8192)
                    )),
                    "Bad Request",
                ),
            ),
            (BadRequest, 400, "bad  X-Injected: 1  [31mxxx"),
            Fast,
        )
        .with_check(|outcome| {
            let message = outcome.error_message.as_deref().unwrap_or("");
            (!message.ends_with("...")).then(|| "a long message is not marked as cut".to_string())
        }),
        Case::login(
            "a 400 whose message echoes the password",
            HostileServer::start(|conn| {
                if let Some(request) = conn.read_request() {
                    let sent: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                    let echo = format!(
                        "password {} is not allowed",
                        sent["password"].as_str().unwrap_or("?")
                    );
                    conn.write(&json_response(
                        "400 Bad Request",
                        &nest_error(400, json!(echo), "Bad Request").to_string(),
                    ));
                }
            }),
            (BadRequest, 400, "password <redacted> is not allowed"),
            Fast,
        ),
        Case::login(
            "a redirect whose Location carries the password",
            answer(raw_response(
                "302 Found",
                &[
                    (
                        "Location",
                        &format!("https://evil.example/login?pw={PASSWORD}"),
                    ),
                    ("Content-Length", "0"),
                ],
                b"",
            )),
            (
                HttpError,
                302,
                "HTTP 302 redirect to https://evil.example/login?pw=<redacted> was not followed",
            ),
            Fast,
        ),
        // --- odd but legal, or subtly broken, HTTP ---
        Case::login(
            "an interim 100 Continue before the 200",
            answer([b"HTTP/1.1 100 Continue\r\n\r\n".to_vec(), json_response("200 OK", &ok_body)].concat()),
            (Ok, 200, ""),
            Fast,
        ),
        Case::login(
            "Content-Length and chunked together (chunked wins, RFC 9112)",
            answer(raw_response(
                "200 OK",
                &[
                    ("Content-Type", "application/json"),
                    ("Content-Length", "3"),
                    ("Transfer-Encoding", "chunked"),
                ],
                format!("{:x}\r\n{ok_body}\r\n0\r\n\r\n", ok_body.len()).as_bytes(),
            )),
            (Ok, 200, ""),
            Fast,
        ),
        Case::login(
            "two conflicting Content-Length headers (a smuggling attempt)",
            answer(raw_response(
                "200 OK",
                &[
                    ("Content-Type", "application/json"),
                    ("Content-Length", &ok_body.len().to_string()),
                    ("Content-Length", "5"),
                ],
                ok_body.as_bytes(),
            )),
            (Connection, 0, "the server sent malformed HTTP (conflicting content-length headers)"),
            Fast,
        ),
        Case::login(
            "a header line without a colon",
            answer(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nno colon here\r\nContent-Length: 2\r\n\r\n{}".to_vec()),
            (Connection, 0, "the server sent malformed HTTP"),
            Fast,
        ),
        Case::login(
            "an unknown status code 999 with an empty JSON object",
            json_text_answer("999 Whatever", "{}"),
            (HttpError, 999, "HTTP 999 with a JSON body that has no message"),
            Fast,
        ),
        // --- not HTTP at all ---
        Case::login(
            "garbage bytes, then FIN",
            write_then_close(b"\x00\x01\x02garbage\xff\xfe\r\n\r\n".to_vec()),
            (Connection, 0, "the server sent malformed HTTP"),
            Fast,
        ),
        Case::login(
            "an SSH banner, then silence",
            write_then_stall(b"SSH-2.0-OpenSSH_9.6p1 Debian-4\r\n".to_vec()),
            (Connection, 0, "the server sent malformed HTTP"),
            Fast,
        ),
    ];
    // Each required field missing in turn.
    for (name, field, inner, shown) in [
        ("missing accessToken", "accessToken", None, "accessToken"),
        ("missing project", "project", None, "project"),
        ("missing profile", "profile", None, "profile"),
        (
            "missing project.reference",
            "project",
            Some("reference"),
            "project.reference",
        ),
        (
            "missing project.display",
            "project",
            Some("display"),
            "project.display",
        ),
        (
            "missing profile.reference",
            "profile",
            Some("reference"),
            "profile.reference",
        ),
        (
            "missing profile.display",
            "profile",
            Some("display"),
            "profile.display",
        ),
    ] {
        cases.push(Case::login(
            name,
            json_answer("200 OK", &without(field, inner)),
            (
                InvalidResponse,
                200,
                &format!("login response is missing the required field {shown}"),
            ),
            Fast,
        ));
    }
    for (name, code, http_status) in [
        ("301 redirect is not followed", "301 Moved Permanently", 301),
        ("302 redirect is not followed", "302 Found", 302),
        (
            "307 redirect is not followed",
            "307 Temporary Redirect",
            307,
        ),
        (
            "308 redirect is not followed",
            "308 Permanent Redirect",
            308,
        ),
    ] {
        cases.push(redirect_case(name, Call::Login, code, http_status));
    }
    cases
}

/// The refresh matrix: `ovok_client_refresh` against a few of the same behaviours.
pub fn refresh_matrix() -> Vec<Case> {
    use OvokStatus::*;
    use Timing::*;
    let ok_body = refresh_body().to_string();
    vec![
        Case::refresh(
            "refresh: the snake_case body",
            json_answer("200 OK", &refresh_body()),
            (Ok, 200, ""),
            Fast,
        )
        .with_check(|outcome| {
            (outcome.refresh_token.as_deref() != Some(SERVER_REFRESH_TOKEN)
                || outcome.project_reference.is_some())
            .then(|| format!("fields not read: {outcome:?}"))
        }),
        Case::refresh(
            "refresh: a camelCase (login-shaped) body",
            json_answer("200 OK", &login_body()),
            (
                InvalidResponse,
                200,
                "refresh response is missing the required field access_token",
            ),
            Fast,
        ),
        Case::refresh(
            "refresh: access_token is a number",
            json_text_answer(
                "200 OK",
                r#"{"access_token":1,"refresh_token":"srv-refresh-token-a94f22e7"}"#,
            ),
            (
                InvalidResponse,
                200,
                "response field access_token is not a string",
            ),
            Fast,
        ),
        Case::refresh(
            "refresh: 401 with a NestJS message",
            json_answer(
                "401 Unauthorized",
                &nest_error(401, json!("Invalid refresh token"), "Unauthorized"),
            ),
            (Unauthorized, 401, "Invalid refresh token"),
            Fast,
        ),
        Case::refresh(
            "refresh: a 400 whose message echoes the refresh token",
            json_answer(
                "400 Bad Request",
                &nest_error(
                    400,
                    json!(format!("refresh_token {CLIENT_REFRESH_TOKEN} is malformed")),
                    "Bad Request",
                ),
            ),
            (BadRequest, 400, "refresh_token <redacted> is malformed"),
            Fast,
        ),
        Case::refresh(
            "refresh: body trickles one byte a second",
            HostileServer::start(move |conn| {
                if conn.read_request().is_some() {
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                        ok_body.len()
                    );
                    conn.write(head.as_bytes());
                    conn.trickle(ok_body.as_bytes(), Duration::from_secs(1));
                }
            }),
            (Timeout, 200, TOTAL_TIMEOUT_MESSAGE),
            TimesOut,
        ),
        Case::refresh(
            "refresh: reset before the response",
            HostileServer::start(|conn| {
                if conn.read_head().is_some() {
                    conn.let_the_body_arrive();
                    conn.reset();
                }
            }),
            (Connection, 0, "the connection was reset"),
            Fast,
        ),
        Case::refresh(
            "refresh: an HTML 503",
            answer(typed_response(
                "503 Service Unavailable",
                "text/html",
                &[],
                b"<h1>down for maintenance</h1>\n",
            )),
            (ServerError, 503, "expected JSON, got text/html (503)"),
            Fast,
        ),
        redirect_case(
            "refresh: 307 redirect is not followed",
            Call::Refresh,
            "307 Temporary Redirect",
            307,
        ),
        redirect_case(
            "refresh: 308 redirect is not followed",
            Call::Refresh,
            "308 Permanent Redirect",
            308,
        ),
    ]
}
