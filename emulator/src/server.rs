//! HTTP/1.1 plumbing on hyper: an accept task and one hyper connection task
//! per client, on a small tokio runtime the [`Emulator`] owns, so that
//! callers stay synchronous. hyper does all the HTTP (request heads,
//! keep-alive, chunked bodies, `Expect: 100-continue`, malformed input); this
//! file only moves a request's method, path, two headers and body (capped at
//! [`MAX_BODY_BYTES`]) into [`routes`], and the reply back out.

use std::convert::Infallible;
use std::io;
use std::net::{SocketAddr, TcpListener as StdTcpListener, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Body, Bytes, Incoming};
use hyper::header::{HeaderValue, AUTHORIZATION, CONNECTION, CONTENT_TYPE, SERVER};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::faults::{self, Faults};
use crate::routes::{self, App, Reply, Request, MAX_BODY_BYTES};
use crate::{tls, Config, Stats};

/// Connections served at once; further ones are closed right after accept.
const MAX_CONNECTIONS: usize = 512;
/// A client that takes longer than this to send a request head (or to
/// finish the TLS handshake) is disconnected.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest request head hyper buffers; a bigger one gets hyper's 431.
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// More header lines than this also gets a 431.
const MAX_HEADERS: usize = 64;
/// How long `shutdown` lets running tasks finish before dropping them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// Worker threads of the emulator's runtime: enough for tests and the load
/// run on a small machine, without taking one thread per core of a big one.
const WORKER_THREADS: usize = 2;

/// A running emulator. Dropping it (or [`Emulator::shutdown`]) stops it.
pub struct Emulator {
    url: String,
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    runtime: Option<Runtime>,
    /// Set to `true` to stop: the accept task ends and connections close
    /// once their current request is answered.
    stopping: watch::Sender<bool>,
}

/// State shared by the accept task and every connection task.
struct Shared {
    app: App,
    faults: Faults,
    tls: Option<TlsAcceptor>,
    log: bool,
    served: AtomicU64,
    accepted: AtomicU64,
    open: AtomicUsize,
    stopping: watch::Receiver<bool>,
}

impl Emulator {
    /// Binds `listen` (e.g. `127.0.0.1:0`), starts serving on a background
    /// runtime and returns once the socket accepts connections.
    pub fn start(listen: &str, config: Config) -> io::Result<Emulator> {
        crate::users::check_users(&config.users)
            .and_then(|()| faults::check_fail_rate(config.fail_rate))
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let tls = config.tls.as_ref().map(tls::server_config).transpose()?;
        let listener = bind(listen)?;
        let local_addr = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKER_THREADS)
            .thread_name("ovok-emulator")
            .enable_io()
            .enable_time()
            .build()?;
        let listener = {
            let _entered = runtime.enter();
            TcpListener::from_std(listener)?
        };
        let (stopping, stop_signal) = watch::channel(false);
        let shared = Arc::new(Shared {
            app: App::new(&config)?,
            faults: Faults::new(config.latency, config.fail_rate, config.seed),
            tls: tls.map(TlsAcceptor::from),
            log: config.log_requests,
            served: AtomicU64::new(0),
            accepted: AtomicU64::new(0),
            open: AtomicUsize::new(0),
            stopping: stop_signal,
        });
        runtime.spawn(accept_loop(listener, Arc::clone(&shared)));
        Ok(Emulator {
            url: format!("{scheme}://{local_addr}"),
            local_addr,
            shared,
            runtime: Some(runtime),
            stopping,
        })
    }

    /// Base URL such as `http://127.0.0.1:43817`, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Requests answered so far, of any status.
    pub fn requests_served(&self) -> u64 {
        self.shared.served.load(Ordering::SeqCst)
    }

    /// Requests received per route so far (also `GET /_emulator/stats`).
    pub fn stats(&self) -> Stats {
        self.shared.app.stats()
    }

    /// Refresh requests received so far, of any outcome.
    pub fn refresh_requests(&self) -> u64 {
        self.stats().refresh_requests
    }

    /// Login requests received so far, of any outcome.
    pub fn login_requests(&self) -> u64 {
        self.stats().login_requests
    }

    /// Logout requests received so far, of any outcome.
    pub fn logout_requests(&self) -> u64 {
        self.stats().logout_requests
    }

    /// `/auth/me` requests received so far, of any outcome.
    pub fn me_requests(&self) -> u64 {
        self.stats().me_requests
    }

    /// TCP connections accepted so far. With keep-alive, many requests share
    /// one connection, so this shows whether a client reuses connections.
    pub fn connections_accepted(&self) -> u64 {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Stops accepting and closes every connection, idle or not.
    pub fn shutdown(self) {}
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let Some(runtime) = self.runtime.take() else {
            return;
        };
        // Connections end cleanly (TLS close_notify, FIN) after their current
        // answer; whatever is still running after the grace period (say, an
        // answer held back by --latency) is dropped with the runtime.
        self.stopping.send_replace(true);
        // Inside a caller's own tokio runtime (a #[tokio::test]) we may not
        // block: the connections are then dropped without the grace period.
        if tokio::runtime::Handle::try_current().is_err() {
            self.wait_for_connections(&runtime);
        }
        runtime.shutdown_background();
    }
}

impl Emulator {
    /// Waits until every connection task has ended, or [`SHUTDOWN_GRACE`].
    fn wait_for_connections(&self, runtime: &Runtime) {
        let shared = &self.shared;
        runtime.block_on(async {
            let all_closed = async {
                while shared.open.load(Ordering::SeqCst) > 0 {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            };
            let _ = tokio::time::timeout(SHUTDOWN_GRACE, all_closed).await;
        });
    }
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("url", &self.url)
            .field("requests_served", &self.requests_served())
            .field("connections_accepted", &self.connections_accepted())
            .finish_non_exhaustive()
    }
}

/// Binds with `TCP_NODELAY` set on the listener (Linux copies it to accepted
/// sockets; we also set it on each accepted socket for other systems).
fn bind(listen: &str) -> io::Result<StdTcpListener> {
    let mut last_error = None;
    for addr in listen.to_socket_addrs()? {
        match bind_one(addr) {
            Ok(listener) => return Ok(listener),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{listen} resolves to no address"),
        )
    }))
}

fn bind_one(addr: SocketAddr) -> io::Result<StdTcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.set_tcp_nodelay(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut stopping = shared.stopping.clone();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopping.wait_for(|stop| *stop) => return,
        };
        let tcp = match accepted {
            Ok((tcp, _)) => tcp,
            // Usually out of file descriptors: back off instead of spinning.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        let Some(slot) = ConnectionSlot::take(&shared) else {
            continue; // refused: dropping `tcp` closes it
        };
        if tcp.set_nodelay(true).is_err() {
            continue;
        }
        tokio::spawn(connection(slot, tcp));
    }
}

/// One of the [`MAX_CONNECTIONS`] places, given back when its task ends.
struct ConnectionSlot(Arc<Shared>);

impl ConnectionSlot {
    fn take(shared: &Arc<Shared>) -> Option<ConnectionSlot> {
        let previous = shared.open.fetch_add(1, Ordering::SeqCst);
        let slot = ConnectionSlot(Arc::clone(shared));
        (previous < MAX_CONNECTIONS).then_some(slot)
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Runs one accepted connection to its end, over TLS if configured.
async fn connection(slot: ConnectionSlot, tcp: TcpStream) {
    let shared = Arc::clone(&slot.0);
    match &shared.tls {
        None => serve(shared.clone(), tcp).await,
        Some(acceptor) => {
            if let Ok(Ok(stream)) = tokio::time::timeout(IDLE_TIMEOUT, acceptor.accept(tcp)).await {
                serve(shared.clone(), stream).await;
            }
        }
    }
    drop(slot);
}

/// Serves HTTP/1.1 requests on one connection until it closes.
async fn serve<S>(shared: Arc<Shared>, stream: S)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut stopping = shared.stopping.clone();
    let service = service_fn(move |request| {
        let shared = Arc::clone(&shared);
        async move { Ok::<_, Infallible>(answer(&shared, request).await) }
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(IDLE_TIMEOUT)
        .max_buf_size(MAX_HEAD_BYTES)
        .max_headers(MAX_HEADERS)
        // One buffer per response, so a response is one write and never
        // waits on Nagle or delayed ACKs between its head and its body.
        .writev(false)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    // Errors are the client's business (it went away, sent garbage that
    // hyper already answered, or timed out); nothing to do with them here.
    tokio::select! {
        _ = connection.as_mut() => return,
        _ = stopping.wait_for(|stop| *stop) => {}
    }
    connection.as_mut().graceful_shutdown();
    let _ = connection.await;
}

/// Why a request body was not read to its end.
enum BodyError {
    TooLarge,
    Malformed,
}

/// Answers one request: routes it, reads its body within the limit, applies
/// the faults, logs it.
async fn answer(shared: &Shared, request: hyper::Request<Incoming>) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str();
    let target = parts
        .uri
        .path_and_query()
        .map_or("/", |target| target.as_str());
    let routed = routes::route(method, target);
    if let Ok(route) = routed {
        shared.app.count(route);
    }
    let faulty = routed.as_ref().map_or(true, |route| route.takes_faults());

    let (reply, close) = match read_body(body).await {
        Err(BodyError::TooLarge) => (routes::too_large(), true),
        Err(BodyError::Malformed) => (routes::error(400, "malformed request body"), true),
        Ok(_) if faulty && shared.faults.should_fail() => (faults::injected_failure(), false),
        Ok(body) => match routed {
            Err(reply) => (reply, false),
            Ok(route) => {
                let request = Request {
                    content_type: header(&parts.headers, CONTENT_TYPE),
                    authorization: header(&parts.headers, AUTHORIZATION),
                    body: &body,
                };
                (shared.app.answer(route, &request), false)
            }
        },
    };
    if faulty && !shared.faults.latency.is_zero() {
        tokio::time::sleep(shared.faults.latency).await;
    }
    // Counted before hyper writes, so a client that has its answer sees the count.
    shared.served.fetch_add(1, Ordering::SeqCst);
    if shared.log {
        log(method, target, started, reply.status);
    }
    response(reply, close)
}

/// The whole body, refusing more than [`MAX_BODY_BYTES`]: a declared length
/// over the limit is refused before reading a byte of it.
async fn read_body(body: Incoming) -> Result<Bytes, BodyError> {
    if body.size_hint().lower() > MAX_BODY_BYTES as u64 {
        return Err(BodyError::TooLarge);
    }
    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(BodyError::TooLarge),
        Err(_) => Err(BodyError::Malformed),
    }
}

/// A header's value as text; one that is not visible ASCII counts as absent.
fn header(headers: &HeaderMap, name: hyper::header::HeaderName) -> Option<&str> {
    headers.get(name)?.to_str().ok()
}

fn response(reply: Reply, close: bool) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = reply.content_type;
    let mut response = Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(SERVER, HeaderValue::from_static("ovok-emulator"));
    if status != StatusCode::NO_CONTENT {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    if close {
        // The rest of the input is unread; hyper closes after this answer.
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

fn log(method: &str, target: &str, started: Instant, status: u16) {
    let elapsed = started.elapsed();
    eprintln!(
        "{} {} {status} {:.3}ms",
        loggable(method),
        loggable(target.split('?').next().unwrap_or("")),
        elapsed.as_secs_f64() * 1000.0
    );
}

/// Keeps log lines to one line of printable text: no query strings (they may
/// hold secrets), no control characters, bounded length.
fn loggable(text: &str) -> String {
    const MAX: usize = 200;
    let mut out: String = text
        .chars()
        .take(MAX)
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    if text.chars().count() > MAX {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loggable_escapes_and_truncates() {
        assert_eq!(loggable("/a\nb"), "/a\\nb");
        let long = "x".repeat(300);
        assert_eq!(loggable(&long).chars().count(), 201);
    }

    #[test]
    fn replies_become_responses() {
        let ok = response(
            Reply {
                status: 200,
                content_type: routes::JSON,
                body: "{}".into(),
            },
            false,
        );
        assert_eq!(ok.status(), 200);
        assert_eq!(ok.headers()[CONTENT_TYPE], routes::JSON);
        assert!(ok.headers().get(CONNECTION).is_none());
        let empty = response(
            Reply {
                status: 204,
                content_type: routes::JSON,
                body: String::new(),
            },
            true,
        );
        assert!(empty.headers().get(CONTENT_TYPE).is_none());
        assert_eq!(empty.headers()[CONNECTION], "close");
    }
}
