//! Connections: DNS (`resolve`), TCP, the proxy tunnel, the TLS handshake,
//! and a pool of idle keep-alive connections. `http` speaks HTTP over them.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};

use crate::base_url::Origin;
use crate::config::Trust;
use crate::connect;
use crate::proxy::{Proxy, ProxyChoice, ProxyError, Scheme};
use crate::resolve::{Allowed, ResolveError, Resolver};
use crate::tls;

/// Idle connections kept per origin, and in all.
const MAX_IDLE_PER_ORIGIN: usize = 16;
const MAX_IDLE: usize = 32;
/// An idle connection older than this is closed rather than reused.
const MAX_IDLE_AGE: Duration = Duration::from_secs(15);
/// An idle connection older than this is checked before it is reused.
const CHECK_IDLE_AFTER: Duration = Duration::from_secs(1);
/// The proxy's answer to CONNECT must fit in this.
const MAX_CONNECT_RESPONSE: usize = 8 * 1024;

/// Why a connection could not be made or used. `client` turns these into
/// statuses and messages.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The connect timeout ran out (DNS, TCP, proxy or TLS handshake).
    ConnectTimeout,
    /// The total timeout ran out.
    TotalTimeout,
    /// No address to connect to, or plain http to one that is not loopback.
    Resolve(ResolveError),
    /// The environment names a proxy that cannot be used.
    Proxy(ProxyError),
    /// The trusted certificates could not be loaded; says why.
    TrustStore(String),
    /// The proxy answered CONNECT with this status.
    ProxyRefused(u16),
    /// The connection failed before the first byte of a response: a write
    /// failed, or it was closed or reset. On a reused connection this is
    /// what a server closing it while idle looks like.
    NoResponse(io::Error),
    /// The proxy's answer to CONNECT was not HTTP.
    ProxyMalformed,
    Tls(rustls::Error),
    Io(io::Error),
    /// The server's bytes are not HTTP/1.x; says what is wrong.
    Malformed(String),
    /// The response head is larger than this many bytes.
    HeadTooLarge(usize),
    BodyTooLarge,
}

/// A TCP or TLS connection, with the socket timeouts it has set.
#[derive(Debug)]
pub(crate) struct Stream {
    io: Io,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    /// Came from the pool rather than from a new connection.
    pub(crate) reused: bool,
}

#[derive(Debug)]
enum Io {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

/// A socket timeout within this of the time left is not set again: a warm
/// call then costs no `setsockopt`, and a deadline is kept to within 1 ms.
const TIMEOUT_SLACK: Duration = Duration::from_millis(1);

impl Stream {
    fn new(io: Io) -> Stream {
        Stream {
            io,
            read_timeout: None,
            write_timeout: None,
            reused: false,
        }
    }

    fn tcp(&self) -> &TcpStream {
        match &self.io {
            Io::Plain(tcp) => tcp,
            Io::Tls(tls) => tls.get_ref(),
        }
    }

    /// Reads into `buffer`; `Ok(0)` at the end of the stream. Past the
    /// deadline it is `TotalTimeout`.
    pub(crate) fn read_before(
        &mut self,
        buffer: &mut [u8],
        deadline: Instant,
    ) -> Result<usize, Failure> {
        loop {
            let left = time_left(deadline)?;
            if needs_setting(self.read_timeout, left) {
                self.tcp()
                    .set_read_timeout(Some(left))
                    .map_err(Failure::Io)?;
                self.read_timeout = Some(left);
            }
            let read = match &mut self.io {
                Io::Plain(tcp) => tcp.read(buffer),
                Io::Tls(tls) => tls.read(buffer),
            };
            match read {
                Ok(read) => return Ok(read),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) if is_timeout(&error) => return Err(Failure::TotalTimeout),
                Err(error) => return Err(io_failure(error)),
            }
        }
    }

    /// Writes all of `bytes` and flushes them; past the deadline it is
    /// `TotalTimeout`.
    pub(crate) fn write_before(&mut self, bytes: &[u8], deadline: Instant) -> Result<(), Failure> {
        let left = time_left(deadline)?;
        if needs_setting(self.write_timeout, left) {
            self.tcp()
                .set_write_timeout(Some(left))
                .map_err(Failure::Io)?;
            self.write_timeout = Some(left);
        }
        let written = match &mut self.io {
            Io::Plain(tcp) => tcp.write_all(bytes).and_then(|()| tcp.flush()),
            Io::Tls(tls) => tls.write_all(bytes).and_then(|()| tls.flush()),
        };
        match written {
            Ok(()) => Ok(()),
            Err(error) if is_timeout(&error) => Err(Failure::TotalTimeout),
            Err(error) => Err(io_failure(error)),
        }
    }

    /// False when the server has closed the connection or sent bytes
    /// nobody asked for: either way it must not carry another request.
    fn is_reusable(&self) -> bool {
        let tcp = self.tcp();
        if tcp.set_nonblocking(true).is_err() {
            return false;
        }
        let quiet =
            matches!(tcp.peek(&mut [0u8; 1]), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        tcp.set_nonblocking(false).is_ok() && quiet
    }
}

/// The time until `deadline`; `TotalTimeout` once it has passed (which
/// `Connector::connect` renames when the connect timeout was the one).
fn time_left(deadline: Instant) -> Result<Duration, Failure> {
    match deadline.saturating_duration_since(Instant::now()) {
        left if left.is_zero() => Err(Failure::TotalTimeout),
        left => Ok(left),
    }
}

/// Makes every read and write on `tcp` give up at `deadline`; for the few
/// I/O calls of connecting (a `Stream` keeps its own timeouts).
fn set_deadline(tcp: &TcpStream, deadline: Instant) -> Result<(), Failure> {
    let left = time_left(deadline)?;
    tcp.set_read_timeout(Some(left)).map_err(Failure::Io)?;
    tcp.set_write_timeout(Some(left)).map_err(Failure::Io)
}

fn needs_setting(set: Option<Duration>, left: Duration) -> bool {
    set.is_none_or(|set| set.abs_diff(left) > TIMEOUT_SLACK)
}

/// Makes connections to origins, directly or through a proxy, and keeps
/// idle ones for reuse.
#[derive(Debug)]
pub(crate) struct Connector {
    trust: Trust,
    added_cas: Vec<Vec<u8>>,
    /// Built on the first https connection: a client that only ever talks
    /// to loopback http needs no CA store.
    tls: OnceLock<Arc<ClientConfig>>,
    proxy: ProxyChoice,
    connect_timeout: Duration,
    resolver: Resolver,
    idle: Mutex<Vec<Idle>>,
}

#[derive(Debug)]
struct Idle {
    origin: Arc<Origin>,
    since: Instant,
    stream: Stream,
}

impl Connector {
    pub(crate) fn new(
        trust: Trust,
        added_cas: Vec<Vec<u8>>,
        proxy: ProxyChoice,
        connect_timeout: Duration,
    ) -> Connector {
        Connector {
            trust,
            added_cas,
            tls: OnceLock::new(),
            proxy,
            connect_timeout,
            resolver: Resolver::default(),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// An idle connection to `origin` that is still open, or a new one.
    ///
    /// A connection idle for less than [`CHECK_IDLE_AFTER`] is reused
    /// without a check (three system calls); if the server closed it anyway,
    /// the caller retries on a new connection, as curl does.
    pub(crate) fn connection(&self, origin: &Origin, deadline: Instant) -> Result<Stream, Failure> {
        while let Some(mut idle) = self.take_idle(origin) {
            let idle_for = idle.since.elapsed();
            if idle_for < CHECK_IDLE_AFTER || (idle_for < MAX_IDLE_AGE && idle.stream.is_reusable())
            {
                idle.stream.reused = true;
                return Ok(idle.stream);
            }
        }
        self.connect(origin, deadline)
    }

    /// Keeps a connection whose response was read in full, for the next call.
    pub(crate) fn keep(&self, origin: &Arc<Origin>, stream: Stream) {
        let mut idle = self.lock_idle();
        let same_origin = idle.iter().filter(|i| same(&i.origin, origin)).count();
        if same_origin >= MAX_IDLE_PER_ORIGIN {
            return;
        }
        if idle.len() >= MAX_IDLE {
            idle.remove(0);
        }
        idle.push(Idle {
            origin: Arc::clone(origin),
            since: Instant::now(),
            stream,
        });
    }

    fn take_idle(&self, origin: &Origin) -> Option<Idle> {
        let mut idle = self.lock_idle();
        let newest = idle.iter().rposition(|i| same(&i.origin, origin))?;
        Some(idle.remove(newest))
    }

    fn lock_idle(&self) -> MutexGuard<'_, Vec<Idle>> {
        // A list of connections is valid even if a holder panicked.
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The TLS configuration, built once. A failure is not kept: the next
    /// call tries again (a CA file may have been installed meanwhile).
    fn tls_config(&self) -> Result<Arc<ClientConfig>, Failure> {
        if let Some(config) = self.tls.get() {
            return Ok(config.clone());
        }
        let config =
            tls::client_config(self.trust, &self.added_cas).map_err(Failure::TrustStore)?;
        Ok(self.tls.get_or_init(|| config).clone())
    }

    /// A new connection to `origin`.
    pub(crate) fn connect(
        &self,
        origin: &Origin,
        total_deadline: Instant,
    ) -> Result<Stream, Failure> {
        let connect_deadline = Instant::now() + self.connect_timeout;
        let deadline = connect_deadline.min(total_deadline);
        // Running out of time while connecting is whichever timeout ends first.
        let timed_out = |failure: Failure| {
            let out_of_time = match &failure {
                Failure::TotalTimeout => true,
                Failure::Io(error) => is_timeout(error),
                _ => false,
            };
            match out_of_time {
                true if connect_deadline <= total_deadline => Failure::ConnectTimeout,
                true => Failure::TotalTimeout,
                false => failure,
            }
        };

        // Trust problems (no CA store) show before any byte goes out.
        let tls_config = match origin.https {
            true => Some(self.tls_config()?),
            false => None,
        };
        let scheme = match origin.https {
            true => Scheme::Https,
            false => Scheme::Http,
        };
        let proxy = self
            .proxy
            .for_request(scheme, &origin.host, origin.port)
            .map_err(Failure::Proxy)?;
        let proxy = proxy.as_deref();
        let (host, port) = match proxy {
            Some(proxy) => (proxy.host(), proxy.port()),
            None => (origin.host.as_str(), origin.port),
        };
        // Plain http carries the password in clear: it goes to loopback only.
        let allowed = match (proxy, origin.https) {
            (None, false) => Allowed::LoopbackOnly,
            _ => Allowed::Any,
        };
        let addresses = self
            .resolver
            .resolve(host, port, allowed)
            .map_err(Failure::Resolve)?;
        let tcp = connect::connect(&addresses, deadline)
            .map_err(Failure::Io)
            .map_err(timed_out)?;
        if let Some(proxy) = proxy {
            open_tunnel(&tcp, proxy, origin, deadline).map_err(timed_out)?;
        }
        let Some(tls_config) = tls_config else {
            return Ok(Stream::new(Io::Plain(tcp)));
        };
        let name = ServerName::try_from(origin.host.clone())
            .map_err(|_| Failure::Malformed("the host is not a valid TLS server name".into()))?;
        let tls = ClientConnection::new(tls_config, name).map_err(Failure::Tls)?;
        let mut stream = StreamOwned::new(tls, tcp);
        handshake(&mut stream, deadline).map_err(timed_out)?;
        Ok(Stream::new(Io::Tls(Box::new(stream))))
    }
}

/// The same origin: usually the very same `Arc`, from a cached base URL.
fn same(a: &Arc<Origin>, b: &Origin) -> bool {
    std::ptr::eq(Arc::as_ptr(a), b) || **a == *b
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

/// Sends CONNECT and reads the proxy's answer, which must be 2xx.
fn open_tunnel(
    mut tcp: &TcpStream,
    proxy: &Proxy,
    origin: &Origin,
    deadline: Instant,
) -> Result<(), Failure> {
    set_deadline(tcp, deadline)?;
    tcp.write_all(&proxy.connect_request(&origin.host, origin.port))
        .map_err(Failure::Io)?;

    // Read byte-wise up to the end of the head, so that nothing the origin
    // sends after it (a TLS ServerHello) is consumed here.
    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_CONNECT_RESPONSE {
            return Err(Failure::ProxyMalformed);
        }
        match tcp.read(&mut byte) {
            Ok(0) => return Err(Failure::Io(io::ErrorKind::UnexpectedEof.into())),
            Ok(_) => head.push(byte[0]),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(Failure::Io(error)),
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(&head) {
        Ok(httparse::Status::Complete(_)) => match response.code {
            Some(200..=299) => Ok(()),
            Some(code) => Err(Failure::ProxyRefused(code)),
            None => Err(Failure::ProxyMalformed),
        },
        _ => Err(Failure::ProxyMalformed),
    }
}

/// Runs the TLS handshake to its end, so that its failures and its time
/// belong to connecting.
fn handshake(
    stream: &mut StreamOwned<ClientConnection, TcpStream>,
    deadline: Instant,
) -> Result<(), Failure> {
    while stream.conn.is_handshaking() {
        set_deadline(&stream.sock, deadline)?;
        match stream.conn.complete_io(&mut stream.sock) {
            Ok((0, 0)) if stream.conn.is_handshaking() => {
                return Err(Failure::Io(io::ErrorKind::UnexpectedEof.into()))
            }
            Ok(_) => {}
            Err(error) => return Err(io_failure(error)),
        }
    }
    Ok(())
}

/// An I/O error, or the TLS error that rustls wrapped in one.
pub(crate) fn io_failure(error: io::Error) -> Failure {
    if !error
        .get_ref()
        .is_some_and(|inner| inner.is::<rustls::Error>())
    {
        return Failure::Io(error);
    }
    match error
        .into_inner()
        .map(|inner| inner.downcast::<rustls::Error>())
    {
        Some(Ok(tls)) => Failure::Tls(*tls),
        // Not reached: the inner error was checked to be a rustls::Error.
        _ => Failure::Io(io::ErrorKind::InvalidData.into()),
    }
}
