//! HTTP/1.1 plumbing: a small thread-per-connection server. One thread
//! accepts; each connection gets its own thread that parses request heads
//! with `httparse`, reads the body (Content-Length or chunked, capped at
//! [`MAX_BODY_BYTES`]), calls [`routes`] and writes the response with a single
//! `write_all`. With TLS, the connection thread wraps the socket in a rustls
//! stream and runs the same loop over it.
//!
//! We used tiny_http 0.12 before; its connection pool can lose the wake-up for
//! a connection accepted right after another one, leaving that keep-alive
//! connection unserved until some other connection closes.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{
    IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs,
};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rustls::{ServerConfig, ServerConnection, StreamOwned};
use socket2::{Domain, Protocol, Socket, Type};

use crate::faults::{self, Faults};
use crate::routes::{self, App, Request, MAX_BODY_BYTES};
use crate::{tls, Config, Stats};

/// Connections served at once; further ones are closed right after accept.
const MAX_CONNECTIONS: usize = 512;
/// A connection that sends nothing (or reads nothing) for this long is closed.
/// Also bounds the TLS handshake.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest request head (request line + headers); also the read buffer size.
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// More header lines than this is answered like an oversized head.
const MAX_HEADERS: usize = 64;
/// After an error response we stop reading requests but keep draining (and
/// discarding) what the client still sends for a little while, so closing
/// with unread input does not reset the connection before the client has
/// read our answer. Bounded in time and bytes; nothing is buffered.
const LINGER_TIME: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 16 * 1024 * 1024;
/// Per-connection body/response buffers shrink back to this after a big request.
const KEEP_CAPACITY: usize = 64 * 1024;
/// How long `shutdown` waits for connection threads to notice their closed sockets.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// A running emulator. Dropping it (or [`Emulator::shutdown`]) stops it.
pub struct Emulator {
    url: String,
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    accept_thread: Option<JoinHandle<()>>,
}

/// State shared by the accept thread and every connection thread.
struct Shared {
    app: App,
    faults: Faults,
    tls: Option<Arc<ServerConfig>>,
    log: bool,
    stopping: AtomicBool,
    served: AtomicU64,
    accepted: AtomicU64,
    /// Clones of the open client sockets, so shutdown can close them.
    open: Mutex<HashMap<u64, TcpStream>>,
    /// Signalled whenever a connection leaves `open`.
    closed: Condvar,
}

impl Shared {
    fn open(&self) -> MutexGuard<'_, HashMap<u64, TcpStream>> {
        // Only inserts/removes happen under this lock; a poisoned map is intact.
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Emulator {
    /// Binds `listen` (e.g. `127.0.0.1:0`), starts the accept thread and
    /// returns once the socket accepts connections.
    pub fn start(listen: &str, config: Config) -> io::Result<Emulator> {
        crate::users::check_users(&config.users)
            .and_then(|()| faults::check_fail_rate(config.fail_rate))
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let tls_config = config.tls.as_ref().map(tls::server_config).transpose()?;
        let listener = bind(listen)?;
        let local_addr = listener.local_addr()?;
        let scheme = if tls_config.is_some() {
            "https"
        } else {
            "http"
        };
        let shared = Arc::new(Shared {
            app: App::new(&config)?,
            faults: Faults::new(config.latency, config.fail_rate, config.seed),
            tls: tls_config,
            log: config.log_requests,
            stopping: AtomicBool::new(false),
            served: AtomicU64::new(0),
            accepted: AtomicU64::new(0),
            open: Mutex::new(HashMap::new()),
            closed: Condvar::new(),
        });
        let accept_thread = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name("ovok-accept".into())
                .spawn(move || accept_loop(&listener, &shared))?
        };
        Ok(Emulator {
            url: format!("{scheme}://{local_addr}"),
            local_addr,
            shared,
            accept_thread: Some(accept_thread),
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

    /// Stops accepting, closes open connections and waits for their threads.
    pub fn shutdown(self) {}

    fn stop(&mut self) {
        let Some(accept_thread) = self.accept_thread.take() else {
            return;
        };
        self.shared.stopping.store(true, Ordering::SeqCst);
        // accept() has no timeout; a throwaway connection wakes it up.
        let _ = TcpStream::connect_timeout(&connectable(self.local_addr), Duration::from_secs(1));
        let _ = accept_thread.join();
        // Every connection was registered before its thread started, and the
        // accept thread is gone, so this reaches all of them. Closing the read
        // side wakes threads blocked in read, which then end their sessions
        // themselves (TLS close_notify, FIN); a thread stuck writing to a
        // client that does not read is cut off completely after a moment.
        let started = Instant::now();
        let mut open = self.shared.open();
        for stream in open.values() {
            let _ = stream.shutdown(Shutdown::Read);
        }
        open = self.wait_for_connections(open, started + SHUTDOWN_GRACE / 4);
        for stream in open.values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        drop(self.wait_for_connections(open, started + SHUTDOWN_GRACE));
    }

    /// Waits until every connection thread has finished, or `deadline`.
    fn wait_for_connections<'a>(
        &'a self,
        mut open: MutexGuard<'a, HashMap<u64, TcpStream>>,
        deadline: Instant,
    ) -> MutexGuard<'a, HashMap<u64, TcpStream>> {
        while !open.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            open = self
                .shared
                .closed
                .wait_timeout(open, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        open
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
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
fn bind(listen: &str) -> io::Result<TcpListener> {
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

fn bind_one(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.set_tcp_nodelay(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

/// An address we can connect to in order to reach `addr` (0.0.0.0 -> loopback).
fn connectable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, addr.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, addr.port()).into(),
        _ => addr,
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    loop {
        let accepted = listener.accept();
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let tcp = match accepted {
            Ok((tcp, _)) => tcp,
            // Usually out of file descriptors: back off instead of spinning.
            Err(_) => {
                thread::sleep(Duration::from_millis(20));
                continue;
            }
        };
        let id = shared.accepted.fetch_add(1, Ordering::SeqCst);
        let Ok(registered) = tcp.try_clone() else {
            continue;
        };
        {
            let mut open = shared.open();
            if open.len() >= MAX_CONNECTIONS {
                // Refused: dropping `tcp` closes it.
                continue;
            }
            open.insert(id, registered);
        }
        let shared_for_thread = Arc::clone(shared);
        let spawned = thread::Builder::new()
            .name("ovok-conn".into())
            .spawn(move || {
                let _registration = Registration {
                    shared: &shared_for_thread,
                    id,
                };
                connection(&shared_for_thread, tcp);
            });
        if spawned.is_err() {
            shared.open().remove(&id);
        }
    }
}

/// Removes a connection from the registry when its thread ends, even by panic.
struct Registration<'a> {
    shared: &'a Shared,
    id: u64,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.shared.open().remove(&self.id);
        self.shared.closed.notify_all();
    }
}

/// Runs one accepted connection to its end, over TLS if configured.
fn connection(shared: &Shared, tcp: TcpStream) {
    let setup = tcp
        .set_nodelay(true)
        .and_then(|()| tcp.set_read_timeout(Some(IDLE_TIMEOUT)))
        .and_then(|()| tcp.set_write_timeout(Some(IDLE_TIMEOUT)));
    if setup.is_err() {
        return;
    }
    match &shared.tls {
        None => {
            let mut tcp = tcp;
            if serve(shared, &mut tcp) == Ending::Linger {
                linger(&tcp);
            }
        }
        Some(config) => {
            let Ok(conn) = ServerConnection::new(Arc::clone(config)) else {
                return;
            };
            // The handshake runs on the first read, under the idle timeout.
            let mut stream = StreamOwned::new(conn, tcp);
            let ending = serve(shared, &mut stream);
            if ending != Ending::Broken {
                stream.conn.send_close_notify();
                let _ = stream.flush();
            }
            if ending == Ending::Linger {
                linger(&stream.sock);
            }
        }
    }
}

/// Stops sending, then reads and discards what the client still sends until
/// it closes (or time/byte limits are hit), so our final response is not
/// destroyed by a TCP reset. Never buffers what it reads.
fn linger(tcp: &TcpStream) {
    let _ = tcp.shutdown(Shutdown::Write);
    let deadline = Instant::now() + LINGER_TIME;
    let mut scratch = [0u8; 8192];
    let mut drained = 0;
    while drained < LINGER_BYTES {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || tcp.set_read_timeout(Some(left)).is_err() {
            return;
        }
        match (&*tcp).read(&mut scratch) {
            Ok(0) => return,
            Ok(n) => drained += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// How a connection's request loop ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    /// The client closed, or asked us to close after a complete exchange.
    Clean,
    /// We answered an error and stopped reading mid-stream: drain, then close.
    Linger,
    /// I/O failed or timed out; just drop the connection.
    Broken,
}

/// What to do after one request.
enum Next {
    KeepAlive,
    End(Ending),
}

/// The request loop, shared by plain TCP and TLS connections.
fn serve<S: Read + Write>(shared: &Shared, stream: &mut S) -> Ending {
    let mut conn = Connection::new();
    loop {
        match conn.exchange(shared, stream) {
            Ok(Next::KeepAlive) => {}
            Ok(Next::End(ending)) => return ending,
            Err(_) => return Ending::Broken,
        }
    }
}

/// A connection's buffers, reused across its requests: in steady state the
/// HTTP layer allocates nothing per request (the request body and response
/// buffers keep their capacity); only [`routes`] builds its reply.
struct Connection {
    /// Read buffer; bytes `start..end` are received but not yet consumed.
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    head: Head,
    body: Vec<u8>,
    out: Vec<u8>,
}

/// What the request loop needs from a request head.
#[derive(Default)]
struct Head {
    method: String,
    target: String,
    content_type: String,
    has_content_type: bool,
    authorization: String,
    has_authorization: bool,
    http10: bool,
    content_length: Option<u64>,
    chunked: bool,
    /// Close after this exchange (asked for, HTTP/1.0 default, or ambiguous framing).
    close: bool,
    expect_continue: bool,
}

enum HeadError {
    /// Malformed request line/headers or unsupported framing: 400.
    Malformed,
    /// Head over [`MAX_HEAD_BYTES`] or more than [`MAX_HEADERS`] headers: 431.
    TooLarge,
}

enum BodyError {
    /// Over [`MAX_BODY_BYTES`]: 413.
    TooLarge,
    /// Bad chunked encoding: 400.
    Malformed,
    /// The client stopped sending (EOF, timeout, reset).
    Io,
}

impl From<io::Error> for BodyError {
    fn from(_: io::Error) -> BodyError {
        BodyError::Io
    }
}

/// The status line for each status [`routes`] can produce.
fn status_line(status: u16) -> &'static [u8] {
    match status {
        200 => b"HTTP/1.1 200 OK\r\n",
        204 => b"HTTP/1.1 204 No Content\r\n",
        400 => b"HTTP/1.1 400 Bad Request\r\n",
        401 => b"HTTP/1.1 401 Unauthorized\r\n",
        404 => b"HTTP/1.1 404 Not Found\r\n",
        413 => b"HTTP/1.1 413 Payload Too Large\r\n",
        422 => b"HTTP/1.1 422 Unprocessable Entity\r\n",
        431 => b"HTTP/1.1 431 Request Header Fields Too Large\r\n",
        _ => b"HTTP/1.1 500 Internal Server Error\r\n",
    }
}

const FIXED_HEADERS: &[u8] =
    b"Server: ovok-emulator\r\nContent-Type: application/json; charset=utf-8\r\n";

impl Connection {
    fn new() -> Connection {
        Connection {
            buf: vec![0; MAX_HEAD_BYTES].into_boxed_slice(),
            start: 0,
            end: 0,
            head: Head::default(),
            body: Vec::new(),
            out: Vec::with_capacity(1024),
        }
    }

    /// Reads one request and answers it.
    fn exchange<S: Read + Write>(&mut self, shared: &Shared, stream: &mut S) -> io::Result<Next> {
        let head_len = match self.read_head(stream)? {
            Ok(Some(len)) => len,
            // The client closed between requests.
            Ok(None) => return Ok(Next::End(Ending::Clean)),
            Err(HeadError::Malformed) => {
                let reply = routes::error(400, "malformed HTTP request");
                return self.fail(shared, stream, "-", "-", Instant::now(), reply);
            }
            Err(HeadError::TooLarge) => {
                let reply = routes::error(431, "request header fields too large");
                return self.fail(shared, stream, "-", "-", Instant::now(), reply);
            }
        };
        let started = Instant::now();
        self.consume(head_len);

        let head = std::mem::take(&mut self.head);
        let result = self.answer(shared, stream, &head, started);
        self.head = head;
        result
    }

    fn answer<S: Read + Write>(
        &mut self,
        shared: &Shared,
        stream: &mut S,
        head: &Head,
        started: Instant,
    ) -> io::Result<Next> {
        let (method, target) = (head.method.as_str(), head.target.as_str());
        let routed = routes::route(method, target);
        if let Ok(route) = routed {
            shared.app.count(route);
        }
        let faulty = routed.as_ref().map_or(true, |route| route.takes_faults());
        self.body.clear();
        if self.body.capacity() > KEEP_CAPACITY {
            self.body.shrink_to(KEEP_CAPACITY);
        }
        let body_result = if head.chunked {
            if head.expect_continue && !head.http10 {
                stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
                stream.flush()?;
            }
            self.read_chunked(stream)
        } else {
            match head.content_length {
                Some(len) if len > MAX_BODY_BYTES as u64 => Err(BodyError::TooLarge),
                Some(len) if len > 0 => {
                    if head.expect_continue && !head.http10 {
                        stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
                        stream.flush()?;
                    }
                    // `len` fits: it is at most MAX_BODY_BYTES.
                    self.read_exact_body(stream, len as usize)
                        .map_err(BodyError::from)
                }
                _ => Ok(()),
            }
        };
        match body_result {
            Ok(()) => {}
            Err(BodyError::Io) => return Ok(Next::End(Ending::Broken)),
            Err(BodyError::TooLarge) => {
                delay(shared, faulty);
                return self.fail(shared, stream, method, target, started, routes::too_large());
            }
            Err(BodyError::Malformed) => {
                delay(shared, faulty);
                let reply = routes::error(400, "malformed chunked request body");
                return self.fail(shared, stream, method, target, started, reply);
            }
        }

        let reply = match routed {
            _ if faulty && shared.faults.should_fail() => faults::injected_failure(),
            Err(reply) => reply,
            Ok(route) => {
                let request = Request {
                    content_type: head.has_content_type.then_some(head.content_type.as_str()),
                    authorization: head
                        .has_authorization
                        .then_some(head.authorization.as_str()),
                    body: &self.body,
                };
                shared.app.answer(route, &request)
            }
        };
        delay(shared, faulty);
        let connection_header: &[u8] = if head.close {
            b"Connection: close\r\n"
        } else if head.http10 {
            b"Connection: keep-alive\r\n"
        } else {
            b""
        };
        // Counted before the write so a client that has its answer also sees the count.
        shared.served.fetch_add(1, Ordering::SeqCst);
        self.respond(
            stream,
            reply.status,
            reply.body.as_bytes(),
            connection_header,
            method == "HEAD",
        )?;
        log(shared, method, target, started, reply.status);
        Ok(if head.close {
            Next::End(Ending::Clean)
        } else {
            Next::KeepAlive
        })
    }

    /// Answers an error after which the rest of the input is not trusted or
    /// not wanted, and ends the connection.
    fn fail<S: Write>(
        &mut self,
        shared: &Shared,
        stream: &mut S,
        method: &str,
        target: &str,
        started: Instant,
        reply: routes::Reply,
    ) -> io::Result<Next> {
        shared.served.fetch_add(1, Ordering::SeqCst);
        self.respond(
            stream,
            reply.status,
            reply.body.as_bytes(),
            b"Connection: close\r\n",
            method == "HEAD",
        )?;
        log(shared, method, target, started, reply.status);
        Ok(Next::End(Ending::Linger))
    }

    /// Assembles head and body in one buffer and writes it with one call, so
    /// a response never waits on Nagle or delayed ACKs.
    fn respond<S: Write>(
        &mut self,
        stream: &mut S,
        status: u16,
        body: &[u8],
        connection_header: &[u8],
        head_only: bool,
    ) -> io::Result<()> {
        if self.out.capacity() > KEEP_CAPACITY {
            self.out = Vec::with_capacity(1024);
        }
        let out = &mut self.out;
        out.clear();
        out.extend_from_slice(status_line(status));
        out.extend_from_slice(FIXED_HEADERS);
        out.extend_from_slice(connection_header);
        if status == 204 {
            // RFC 9110 §8.6: no Content-Length on a 204.
            out.extend_from_slice(b"\r\n");
        } else {
            write!(out, "Content-Length: {}\r\n\r\n", body.len())?;
        }
        if !head_only {
            out.extend_from_slice(body);
        }
        stream.write_all(out)?;
        stream.flush()
    }

    /// Reads until a complete head is buffered. `Ok(Ok(None))` is a clean
    /// close before any byte of a new request.
    fn read_head<S: Read>(
        &mut self,
        stream: &mut S,
    ) -> io::Result<Result<Option<usize>, HeadError>> {
        loop {
            if self.start < self.end {
                match parse_head(&self.buf[self.start..self.end], &mut self.head) {
                    Ok(Some(len)) => return Ok(Ok(Some(len))),
                    Ok(None) if self.end - self.start >= self.buf.len() => {
                        return Ok(Err(HeadError::TooLarge))
                    }
                    Ok(None) => {}
                    Err(e) => return Ok(Err(e)),
                }
            }
            match self.fill(stream) {
                Ok(0) if self.start == self.end => return Ok(Ok(None)),
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(_) => {}
                // A timeout or reset while idle between requests is just the
                // end of the connection.
                Err(e) if self.start == self.end => {
                    return match e.kind() {
                        io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::ConnectionReset
                        | io::ErrorKind::ConnectionAborted
                        | io::ErrorKind::UnexpectedEof => Ok(Ok(None)),
                        _ => Err(e),
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn buffered(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Reads more input after what is buffered; 0 means EOF. The caller
    /// makes sure the buffer is not already full of unconsumed bytes.
    fn fill<S: Read>(&mut self, stream: &mut S) -> io::Result<usize> {
        if self.end == self.buf.len() && self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        loop {
            match stream.read(&mut self.buf[self.end..]) {
                Ok(n) => {
                    self.end += n;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Appends exactly `len` body bytes: first what is buffered, then the
    /// rest straight from the stream into `self.body`.
    fn read_exact_body<S: Read>(&mut self, stream: &mut S, len: usize) -> io::Result<()> {
        let from_buffer = len.min(self.end - self.start);
        self.body
            .extend_from_slice(&self.buf[self.start..self.start + from_buffer]);
        self.consume(from_buffer);
        let rest = len - from_buffer;
        if rest > 0 {
            let old = self.body.len();
            self.body.resize(old + rest, 0);
            stream.read_exact(&mut self.body[old..])?;
        }
        Ok(())
    }

    /// Decodes a chunked body into `self.body`, refusing more than
    /// [`MAX_BODY_BYTES`] without reading the excess.
    fn read_chunked<S: Read>(&mut self, stream: &mut S) -> Result<(), BodyError> {
        loop {
            let (line_len, size) = loop {
                match httparse::parse_chunk_size(self.buffered()) {
                    Ok(httparse::Status::Complete(found)) => break found,
                    Ok(httparse::Status::Partial) => self.fill_more(stream)?,
                    Err(httparse::InvalidChunkSize) => return Err(BodyError::Malformed),
                }
            };
            self.consume(line_len);
            if size == 0 {
                break;
            }
            if size > (MAX_BODY_BYTES - self.body.len()) as u64 {
                return Err(BodyError::TooLarge);
            }
            // Fits: at most MAX_BODY_BYTES.
            self.read_exact_body(stream, size as usize)?;
            while self.end - self.start < 2 {
                self.fill_more(stream)?;
            }
            if self.buffered()[..2] != *b"\r\n" {
                return Err(BodyError::Malformed);
            }
            self.consume(2);
        }
        // Trailer fields (usually none), then the final empty line.
        loop {
            let mut trailers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            match httparse::parse_headers(self.buffered(), &mut trailers) {
                Ok(httparse::Status::Complete((len, _))) => {
                    self.consume(len);
                    return Ok(());
                }
                Ok(httparse::Status::Partial) => self.fill_more(stream)?,
                Err(_) => return Err(BodyError::Malformed),
            }
        }
    }

    /// [`Connection::fill`] for body framing: a full buffer means a line too
    /// long to be legitimate, EOF means the client gave up.
    fn fill_more<S: Read>(&mut self, stream: &mut S) -> Result<(), BodyError> {
        if self.end - self.start >= self.buf.len() {
            return Err(BodyError::Malformed);
        }
        match self.fill(stream)? {
            0 => Err(BodyError::Io),
            _ => Ok(()),
        }
    }
}

/// Parses a request head into `head` (reusing its strings). `Ok(None)`: more
/// bytes needed. Returns the head's length in bytes.
fn parse_head(bytes: &[u8], head: &mut Head) -> Result<Option<usize>, HeadError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let len = match request.parse(bytes) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(HeadError::TooLarge),
        Err(_) => return Err(HeadError::Malformed),
    };
    let (Some(method), Some(target), Some(version)) =
        (request.method, request.path, request.version)
    else {
        return Err(HeadError::Malformed);
    };
    head.method.clear();
    head.method.push_str(method);
    head.target.clear();
    head.target.push_str(target);
    head.http10 = version == 0;
    head.content_type.clear();
    head.has_content_type = false;
    head.authorization.clear();
    head.has_authorization = false;
    head.content_length = None;
    head.chunked = false;
    head.expect_continue = false;
    let (mut close_asked, mut keep_alive_asked) = (false, false);

    for header in request.headers.iter() {
        let name = header.name;
        let value = trim(header.value);
        if name.eq_ignore_ascii_case("content-length") {
            let len = parse_content_length(value).ok_or(HeadError::Malformed)?;
            if head.content_length.is_some_and(|seen| seen != len) {
                return Err(HeadError::Malformed);
            }
            head.content_length = Some(len);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            // Only plain `chunked`, once; anything else we cannot frame.
            if head.chunked || !value.eq_ignore_ascii_case(b"chunked") {
                return Err(HeadError::Malformed);
            }
            head.chunked = true;
        } else if name.eq_ignore_ascii_case("connection") {
            for token in value.split(|&b| b == b',').map(trim) {
                close_asked |= token.eq_ignore_ascii_case(b"close");
                keep_alive_asked |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if name.eq_ignore_ascii_case("expect") {
            head.expect_continue = value.eq_ignore_ascii_case(b"100-continue");
        } else if name.eq_ignore_ascii_case("authorization") && !head.has_authorization {
            if let Ok(text) = std::str::from_utf8(value) {
                head.authorization.push_str(text);
                head.has_authorization = true;
            }
        } else if name.eq_ignore_ascii_case("content-type") && !head.has_content_type {
            // A non-UTF-8 Content-Type is not JSON's; treat it as absent (400).
            if let Ok(text) = std::str::from_utf8(value) {
                head.content_type.push_str(text);
                head.has_content_type = true;
            }
        }
    }
    head.close = if head.http10 {
        !keep_alive_asked
    } else {
        close_asked
    };
    if head.chunked && head.content_length.is_some() {
        // Conflicting framing (RFC 9112 §6.1): chunked wins, and we close after.
        head.content_length = None;
        head.close = true;
    }
    Ok(Some(len))
}

/// Digits only; a value too big for u64 is "huge" (413), not malformed.
fn parse_content_length(value: &[u8]) -> Option<u64> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(value.iter().try_fold(0u64, |acc, &digit| {
        acc.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
    }))
    .map(|parsed| parsed.unwrap_or(u64::MAX))
}

fn trim(bytes: &[u8]) -> &[u8] {
    let is_space = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes
        .iter()
        .position(|b| !is_space(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// `--latency`: waits before an answer that takes faults. Each connection has
/// its own thread, so only this connection waits.
fn delay(shared: &Shared, faulty: bool) {
    if faulty && !shared.faults.latency.is_zero() {
        thread::sleep(shared.faults.latency);
    }
}

fn log(shared: &Shared, method: &str, target: &str, started: Instant, status: u16) {
    if shared.log {
        let elapsed = started.elapsed();
        eprintln!(
            "{} {} {status} {:.3}ms",
            loggable(method),
            loggable(target.split('?').next().unwrap_or("")),
            elapsed.as_secs_f64() * 1000.0
        );
    }
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
        assert_eq!(loggable("/auth/login"), "/auth/login");
        assert_eq!(loggable("/a\nb\x1b"), "/a\\nb\\u{1b}");
        assert_eq!(loggable(&"x".repeat(500)).chars().count(), 201);
    }

    #[test]
    fn connectable_maps_unspecified_to_loopback() {
        let any: SocketAddr = "0.0.0.0:80".parse().unwrap();
        assert_eq!(connectable(any), "127.0.0.1:80".parse().unwrap());
        let any6: SocketAddr = "[::]:80".parse().unwrap();
        assert_eq!(connectable(any6), "[::1]:80".parse().unwrap());
    }

    #[test]
    fn content_length_parsing() {
        assert_eq!(parse_content_length(b"0"), Some(0));
        assert_eq!(parse_content_length(b"1048577"), Some(1_048_577));
        assert_eq!(
            parse_content_length(b"99999999999999999999999"),
            Some(u64::MAX)
        );
        assert_eq!(parse_content_length(b""), None);
        assert_eq!(parse_content_length(b"+5"), None);
        assert_eq!(parse_content_length(b"5, 5"), None);
        assert_eq!(parse_content_length(b"-1"), None);
    }

    fn parsed(raw: &[u8]) -> Result<Option<usize>, HeadError> {
        parse_head(raw, &mut Head::default())
    }

    #[test]
    fn head_parsing() {
        let mut head = Head::default();
        let raw =
            b"POST /auth/login?x=1 HTTP/1.1\r\nHost: t\r\ncontent-type:  application/json \r\n\
                    Content-Length: 12\r\nConnection: Keep-Alive, Close\r\n\r\n{\"a\":1}";
        let len = parse_head(raw, &mut head).ok().flatten().unwrap();
        assert_eq!(&raw[len..], b"{\"a\":1}");
        assert_eq!(head.method, "POST");
        assert_eq!(head.target, "/auth/login?x=1");
        assert_eq!(head.content_type, "application/json");
        assert_eq!(head.content_length, Some(12));
        assert!(head.close && !head.http10 && !head.chunked);

        let raw = b"GET / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\
                    Content-Length: 3\r\nExpect: 100-Continue\r\n\r\n";
        parse_head(raw, &mut head).ok().flatten().unwrap();
        assert!(head.http10 && head.chunked && head.expect_continue);
        assert!(!head.has_content_type);
        // Both framings: chunked wins, connection closes.
        assert_eq!(head.content_length, None);
        assert!(head.close);

        parse_head(b"GET / HTTP/1.0\r\n\r\n", &mut head)
            .ok()
            .flatten()
            .unwrap();
        assert!(head.close, "HTTP/1.0 closes by default");

        assert!(matches!(parsed(b"POST /x HTTP/1.1\r\nHost"), Ok(None)));
        assert!(matches!(
            parsed(b"BAD REQUEST\r\n\r\n"),
            Err(HeadError::Malformed)
        ));
        assert!(matches!(
            parsed(b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            Err(HeadError::Malformed)
        ));
        assert!(matches!(
            parsed(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            Err(HeadError::Malformed)
        ));
        let many: String = (0..=MAX_HEADERS).map(|i| format!("X-{i}: y\r\n")).collect();
        let raw = format!("GET / HTTP/1.1\r\n{many}\r\n");
        assert!(matches!(parsed(raw.as_bytes()), Err(HeadError::TooLarge)));
    }

    #[test]
    fn trim_strips_spaces_and_tabs() {
        assert_eq!(trim(b" \tab c\t "), b"ab c");
        assert_eq!(trim(b"   "), b"");
        assert_eq!(trim(b""), b"");
    }
}
