//! What ovok plugs into ureq's transport API: the connector that makes a
//! connection (proxy tunnel, loopback rule for plain http, TCP, TLS with
//! `tls`'s provider) and the connection itself, with wiped buffers and a
//! liveness check that ureq's pool runs on every reuse.
//!
//! ureq does the rest: the pool, the HTTP framing (ureq-proto), timeouts,
//! redirects and limits.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Read, Write};
use std::mem::MaybeUninit;
use std::net::TcpStream;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection};
use socket2::SockRef;
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver as UreqResolver};
use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};
use zeroize::{Zeroize, Zeroizing};

use crate::buffers::{WipedBuffers, MAX_INPUT};
use crate::config::Trust;
use crate::connect;
use crate::proxy::{Proxy, ProxyChoice, ProxyError, Scheme};
use crate::resolve::{Allowed, ResolveError, Resolver};
use crate::tls;

/// The request head must fit in this (ureq writes it whole); the body goes
/// out in pieces of this size.
pub(crate) const OUTPUT_BUFFER: usize = 16 * 1024;
/// What a chunk-size or trailer line may take at most: the input buffer.
pub(crate) const MAX_LINE: usize = MAX_INPUT;
/// The proxy's answer to CONNECT must fit in this.
const MAX_CONNECT_RESPONSE: usize = 8 * 1024;
/// The largest TLS record (RFC 8446, section 5.2) with its header.
const MAX_TLS_RECORD: usize = 5 + (1 << 14) + 256;

/// Why a connection could not be made or used, where ureq has no error
/// that says it. Travels through ureq as `ureq::Error::Other`; `client`
/// turns it into a status and a message.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The connect timeout ran out (DNS, TCP, proxy or TLS handshake).
    ConnectTimeout,
    /// No address to connect to, or plain http to one that is not loopback.
    Resolve(ResolveError),
    /// The environment names a proxy that cannot be used.
    Proxy(ProxyError),
    /// The URI is not one ovok makes (not reached: ovok builds them).
    BadTarget,
    /// A line the framing waits for whole (a chunk size, a trailer) is
    /// longer than the input buffer holds.
    LineTooLong,
    /// The trusted certificates could not be loaded; says why.
    TrustStore(String),
    /// The proxy answered CONNECT with this status.
    ProxyRefused(u16),
    /// The proxy's answer to CONNECT was not HTTP.
    ProxyMalformed,
    /// A pooled connection failed before the first byte of the response:
    /// a server closing it while idle looks like this. The request may be
    /// sent again on a new connection, if it may be sent twice at all.
    Stale(io::Error),
    Tls(rustls::Error),
    Io(io::Error),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `client` writes the messages; this is for ureq's Debug/Display only.
        write!(f, "{self:?}")
    }
}

impl std::error::Error for Failure {}

impl Failure {
    pub(crate) fn into_ureq(self) -> ureq::Error {
        ureq::Error::Other(Box::new(self))
    }
}

/// The scheme, host (no IPv6 brackets) and port a URI names.
#[derive(Debug)]
pub(crate) struct Target<'a> {
    pub(crate) https: bool,
    pub(crate) host: &'a str,
    pub(crate) port: u16,
}

impl<'a> Target<'a> {
    pub(crate) fn of(uri: &'a Uri) -> Result<Target<'a>, ureq::Error> {
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(ureq::Error::BadUri("not http or https".into())),
        };
        let authority = uri
            .authority()
            .ok_or_else(|| ureq::Error::BadUri("no host".into()))?;
        let host = authority.host();
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        Ok(Target { https, host, port })
    }

    fn scheme(&self) -> Scheme {
        match self.https {
            true => Scheme::Https,
            false => Scheme::Http,
        }
    }
}

/// Where the connections of one agent go: the proxy choice and the resolver.
#[derive(Debug)]
pub(crate) struct Network {
    resolver: Resolver,
    proxy: ProxyChoice,
}

impl Network {
    pub(crate) fn new(proxy: ProxyChoice) -> Network {
        Network {
            resolver: Resolver::default(),
            proxy,
        }
    }

    /// The proxy a request to `target` goes through, by curl's rules (`proxy`).
    fn proxy_for(&self, target: &Target<'_>) -> Result<Option<Cow<'_, Proxy>>, Failure> {
        self.proxy
            .for_request(target.scheme(), target.host, target.port)
            .map_err(Failure::Proxy)
    }
}

/// The resolver ureq calls before every request, also when the pool has a
/// connection for it: it resolves nothing. [`OvokConnector`] resolves
/// (through `resolve`, with its cache and loopback gate) only when a
/// connection is made, so a warm call neither looks up nor allocates.
#[derive(Debug)]
pub(crate) struct DeferredResolver;

impl UreqResolver for DeferredResolver {
    fn resolve(
        &self,
        _uri: &Uri,
        _config: &Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        Ok(self.empty())
    }
}

/// The deadline a ureq timeout names; far in the future for none.
pub(crate) fn deadline_of(timeout: NextTimeout) -> Instant {
    let now = Instant::now();
    now.checked_add(*timeout.after)
        .unwrap_or_else(|| now + Duration::from_secs(24 * 3600))
}

/// Makes connections for one agent.
pub(crate) struct OvokConnector {
    network: Network,
    trust: Trust,
    added_cas: Vec<Vec<u8>>,
    /// Built on the first https connection: a client that only ever talks
    /// to loopback http needs no CA store.
    tls: OnceLock<Arc<ClientConfig>>,
}

impl fmt::Debug for OvokConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OvokConnector").finish_non_exhaustive()
    }
}

impl OvokConnector {
    pub(crate) fn new(network: Network, trust: Trust, added_cas: Vec<Vec<u8>>) -> Self {
        OvokConnector {
            network,
            trust,
            added_cas,
            tls: OnceLock::new(),
        }
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

    fn open(&self, details: &ConnectionDetails<'_>) -> Result<Connection, Failure> {
        let target = Target::of(details.uri).map_err(|_| Failure::BadTarget)?;
        let deadline = deadline_of(details.timeout);
        // Trust problems (no CA store) show before any byte goes out.
        let tls_config = match target.https {
            true => Some(self.tls_config()?),
            false => None,
        };
        let tcp = match self.network.proxy_for(&target)? {
            Some(proxy) => {
                let addresses = self
                    .network
                    .resolver
                    .resolve(proxy.host(), proxy.port(), Allowed::Any)
                    .map_err(Failure::Resolve)?;
                let tcp = connect::connect(&addresses, deadline).map_err(Failure::Io)?;
                open_tunnel(&tcp, &proxy, &target, deadline)?;
                tcp
            }
            None => {
                // Plain http carries the password in clear: loopback only,
                // every address the name has.
                let allowed = match target.https {
                    true => Allowed::Any,
                    false => Allowed::LoopbackOnly,
                };
                let addresses = self
                    .network
                    .resolver
                    .resolve(target.host, target.port, allowed)
                    .map_err(Failure::Resolve)?;
                connect::connect(&addresses, deadline).map_err(Failure::Io)?
            }
        };
        let io = match tls_config {
            None => Io::Plain,
            Some(config) => {
                let name = ServerName::try_from(target.host.to_string())
                    .map_err(|_| Failure::BadTarget)?;
                let conn = ClientConnection::new(config, name).map_err(Failure::Tls)?;
                let mut tls = Box::new(TlsState {
                    conn,
                    staged: Vec::new(),
                });
                tls.handshake(&tcp, deadline)?;
                Io::Tls(tls)
            }
        };
        Ok(Connection {
            tcp,
            io,
            buffers: WipedBuffers::new(OUTPUT_BUFFER),
            read_timeout: None,
            write_timeout: None,
            pooled: false,
            in_pool: false,
            awaiting_response: false,
            unsent: Zeroizing::new(Vec::new()),
            unsent_timeout: NextTimeout::default(),
        })
    }
}

impl Connector<()> for OvokConnector {
    type Out = Connection;

    fn connect(
        &self,
        details: &ConnectionDetails<'_>,
        _chained: Option<()>,
    ) -> Result<Option<Connection>, ureq::Error> {
        let connect_timeout = details.timeout.reason;
        self.open(details).map(Some).map_err(|failure| {
            // Running out of time while connecting is whichever timeout ended first.
            match failure {
                Failure::ConnectTimeout => ureq::Error::Timeout(connect_timeout),
                Failure::Io(error) if is_timeout(&error) => ureq::Error::Timeout(connect_timeout),
                other => other.into_ureq(),
            }
        })
    }
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

fn time_left(deadline: Instant) -> Result<Duration, Failure> {
    match deadline.saturating_duration_since(Instant::now()) {
        left if left.is_zero() => Err(Failure::ConnectTimeout),
        left => Ok(left),
    }
}

/// Makes every read and write on `tcp` give up at `deadline`.
fn set_deadline(tcp: &TcpStream, deadline: Instant) -> Result<(), Failure> {
    let left = time_left(deadline)?;
    tcp.set_read_timeout(Some(left)).map_err(Failure::Io)?;
    tcp.set_write_timeout(Some(left)).map_err(Failure::Io)
}

/// Sends CONNECT and reads the proxy's answer (parsed by ureq-proto),
/// which must be 2xx.
fn open_tunnel(
    mut tcp: &TcpStream,
    proxy: &Proxy,
    target: &Target<'_>,
    deadline: Instant,
) -> Result<(), Failure> {
    set_deadline(tcp, deadline)?;
    tcp.write_all(&proxy.connect_request(target.host, target.port))
        .map_err(Failure::Io)?;

    // Read byte-wise up to the end of the head, so that nothing the origin
    // sends after it (a TLS ServerHello) is consumed here.
    let mut head = Zeroizing::new(Vec::with_capacity(256));
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
    match ureq_proto::parser::try_parse_response::<32>(&head) {
        Ok(Some((_, response))) => match response.status().as_u16() {
            200..=299 => Ok(()),
            code => Err(Failure::ProxyRefused(code)),
        },
        _ => Err(Failure::ProxyMalformed),
    }
}

/// A TCP or TLS connection to an origin, as ureq's pool holds it.
pub(crate) struct Connection {
    tcp: TcpStream,
    io: Io,
    buffers: WipedBuffers,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    /// Has been in the pool: ureq asks `is_open` only then.
    pooled: bool,
    /// Sits in ureq's pool: the next `is_open` is the check before reuse.
    in_pool: bool,
    /// The request, gathered until the response is awaited: ureq hands
    /// over the head and the body separately, and one write puts them in
    /// one TCP segment (the server reads once, as with curl). Wiped once sent.
    unsent: Zeroizing<Vec<u8>>,
    /// The timeout of the last `transmit_output`, for sending `unsent`.
    unsent_timeout: NextTimeout,
    /// A request went out and no byte of its response has arrived.
    awaiting_response: bool,
}

enum Io {
    Plain,
    Tls(Box<TlsState>),
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("tls", &matches!(self.io, Io::Tls(_)))
            .field("pooled", &self.pooled)
            .finish_non_exhaustive()
    }
}

/// A socket timeout within this of the time left is not set again: a warm
/// call then costs no `setsockopt`, and a deadline is kept to within 1 ms.
const TIMEOUT_SLACK: Duration = Duration::from_millis(1);

fn needs_setting(set: Option<Duration>, left: Duration) -> bool {
    set.is_none_or(|set| set.abs_diff(left) > TIMEOUT_SLACK)
}

/// A ureq timeout as a socket timeout (at least 1 ms: zero means none).
fn socket_timeout(timeout: NextTimeout) -> Option<Duration> {
    if timeout.after.is_not_happening() {
        None
    } else {
        Some((*timeout.after).max(Duration::from_millis(1)))
    }
}

impl Connection {
    /// The error for a failed read or write: a pooled connection that
    /// broke before any response byte is `Stale`, a timeout is ureq's.
    fn failed(&self, error: io::Error, timeout: NextTimeout) -> ureq::Error {
        if is_timeout(&error) {
            return ureq::Error::Timeout(timeout.reason);
        }
        let error = match split_tls(error) {
            Ok(tls) => return Failure::Tls(tls).into_ureq(),
            Err(error) => error,
        };
        let broken = matches!(
            error.kind(),
            io::ErrorKind::UnexpectedEof
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
        );
        if broken && self.pooled && self.awaiting_response {
            return Failure::Stale(error).into_ureq();
        }
        if matches!(
            error.kind(),
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
        ) {
            // ureq takes a reset for the end of a body that ends with the
            // connection; it is a failure: what was sent may not all be here.
            return Failure::Io(error).into_ureq();
        }
        ureq::Error::Io(error)
    }

    /// Nothing has arrived and the peer has not closed: one `recv` with
    /// `MSG_PEEK | MSG_DONTWAIT`.
    fn socket_is_quiet(&self) -> bool {
        let mut byte = [MaybeUninit::<u8>::uninit()];
        let peeked = SockRef::from(&self.tcp)
            .recv_with_flags(&mut byte, libc::MSG_PEEK | libc::MSG_DONTWAIT);
        matches!(peeked, Err(error) if error.kind() == io::ErrorKind::WouldBlock)
    }
}

impl Connection {
    /// Writes what `transmit_output` gathered, in one write, and wipes it.
    fn send_unsent(&mut self) -> Result<(), ureq::Error> {
        let timeout = self.unsent_timeout.for_write();
        let wanted = socket_timeout(timeout);
        if wanted.is_none_or(|left| needs_setting(self.write_timeout, left)) {
            self.tcp.set_write_timeout(wanted)?;
            self.write_timeout = wanted;
        }
        let sent = match &mut self.io {
            Io::Plain => (&self.tcp).write_all(&self.unsent),
            Io::Tls(tls) => tls.write_all(&self.tcp, &self.unsent),
        };
        self.unsent.zeroize();
        sent.map_err(|error| self.failed(error, timeout))
    }
}

impl Transport for Connection {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.awaiting_response = true;
        self.unsent
            .extend_from_slice(&self.buffers.output()[..amount]);
        self.buffers.wipe_output(amount);
        self.buffers.wipe_tmp();
        self.unsent_timeout = timeout;
        if self.unsent.len() >= OUTPUT_BUFFER {
            return self.send_unsent();
        }
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        if !self.unsent.is_empty() {
            self.send_unsent()?;
        }
        let timeout = timeout.for_read();
        let wanted = socket_timeout(timeout);
        if wanted.is_none_or(|left| needs_setting(self.read_timeout, left)) {
            self.tcp.set_read_timeout(wanted)?;
            self.read_timeout = wanted;
        }
        if self.buffers.input_is_full() {
            return Err(Failure::LineTooLong.into_ureq());
        }
        let read = loop {
            let input = self.buffers.input_append_buf();
            let read = match &mut self.io {
                Io::Plain => (&self.tcp).read(input),
                Io::Tls(tls) => tls.read(&self.tcp, input),
            };
            match read {
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                other => break other,
            }
        };
        match read {
            // The end of the stream before any byte of a response: the
            // response never came.
            Ok(0) if self.awaiting_response => Err(self.failed(
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "closed before any response byte",
                ),
                timeout,
            )),
            Ok(amount) => {
                self.awaiting_response &= amount == 0;
                self.buffers.input_appended(amount);
                Ok(amount > 0)
            }
            Err(error) => Err(self.failed(error, timeout)),
        }
    }

    /// Called by ureq's pool when a connection is returned to it and again
    /// when it is taken out, so on every reuse: false if any byte is left
    /// over or has arrived since the response ended, or the server closed.
    fn is_open(&mut self) -> bool {
        self.pooled = true;
        if !self.buffers.input().is_empty() {
            return false;
        }
        // ureq asks when the connection goes into the pool and again when
        // it is taken out for a request. Only the second one decides what
        // the connection carries next, so only it costs a system call.
        self.in_pool = !self.in_pool;
        if self.in_pool {
            return true;
        }
        if let Io::Tls(tls) = &mut self.io {
            if !tls.is_quiet() {
                return false;
            }
        }
        self.socket_is_quiet()
    }

    fn is_tls(&self) -> bool {
        matches!(self.io, Io::Tls(_))
    }
}

/// The TLS session of a connection. Records reach rustls whole: the bytes
/// of a record that has not fully arrived wait in `staged`, where the
/// liveness check sees them (rustls does not say whether it holds a part
/// of a record).
struct TlsState {
    conn: ClientConnection,
    /// Ciphertext read from the socket that is not a whole record yet.
    staged: Vec<u8>,
}

impl TlsState {
    /// Runs the handshake to its end, so that its failures and its time
    /// belong to connecting.
    fn handshake(&mut self, tcp: &TcpStream, deadline: Instant) -> Result<(), Failure> {
        while self.conn.is_handshaking() {
            set_deadline(tcp, deadline)?;
            let mut wire = RecordFeed {
                tcp,
                staged: &mut self.staged,
            };
            match self.conn.complete_io(&mut wire) {
                Ok((0, 0)) if self.conn.is_handshaking() => {
                    return Err(Failure::Io(io::ErrorKind::UnexpectedEof.into()))
                }
                Ok(_) => {}
                Err(error) => {
                    return Err(match split_tls(error) {
                        Ok(tls) => Failure::Tls(tls),
                        Err(error) if is_timeout(&error) => Failure::ConnectTimeout,
                        Err(error) => Failure::Io(error),
                    })
                }
            }
        }
        Ok(())
    }

    fn write_all(&mut self, tcp: &TcpStream, bytes: &[u8]) -> io::Result<()> {
        self.conn.writer().write_all(bytes)?;
        let mut wire = RecordFeed {
            tcp,
            staged: &mut self.staged,
        };
        while self.conn.wants_write() {
            self.conn.write_tls(&mut wire)?;
        }
        Ok(())
    }

    fn read(&mut self, tcp: &TcpStream, buffer: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.conn.reader().read(buffer) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                // Ok(0): the server sent close_notify.
                other => return other,
            }
            let mut wire = RecordFeed {
                tcp,
                staged: &mut self.staged,
            };
            while self.conn.wants_write() {
                self.conn.write_tls(&mut wire)?;
            }
            self.conn.read_tls(&mut wire)?;
            if let Err(error) = self.conn.process_new_packets() {
                // Sends the alert that says why, if it can.
                let _ = self.conn.write_tls(&mut wire);
                return Err(io::Error::new(io::ErrorKind::InvalidData, error));
            }
        }
    }

    /// No part of a record is waiting and rustls holds no plaintext.
    fn is_quiet(&mut self) -> bool {
        if !self.staged.is_empty() {
            return false;
        }
        match self.conn.process_new_packets() {
            Ok(state) => state.plaintext_bytes_to_read() == 0 && !state.peer_has_closed(),
            Err(_) => false,
        }
    }
}

/// The socket as rustls sees it: writes go straight through; reads give
/// whole records only.
struct RecordFeed<'a> {
    tcp: &'a TcpStream,
    staged: &'a mut Vec<u8>,
}

impl RecordFeed<'_> {
    /// How much of `staged` to hand to rustls: the whole records at its
    /// start, or everything once a header is not TLS (so that rustls says
    /// what is wrong).
    fn ready(&self) -> usize {
        let mut at = 0;
        while let Some(header) = self.staged.get(at..at + 5) {
            let length = 5 + usize::from(u16::from_be_bytes([header[3], header[4]]));
            if !(20..=24).contains(&header[0]) || length > MAX_TLS_RECORD {
                return self.staged.len();
            }
            if self.staged.len() < at + length {
                break;
            }
            at += length;
        }
        at
    }

    fn hand_over(&mut self, amount: usize, buffer: &mut [u8]) -> usize {
        let amount = amount.min(buffer.len());
        buffer[..amount].copy_from_slice(&self.staged[..amount]);
        self.staged.drain(..amount);
        amount
    }
}

impl Read for RecordFeed<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        loop {
            let ready = self.ready();
            if ready > 0 {
                return Ok(self.hand_over(ready, buffer));
            }
            let mut chunk = [0u8; 4096];
            let read = (&*self.tcp).read(&mut chunk)?;
            if read == 0 {
                // The end: a part of a record is all rustls gets, and then
                // the end of the stream.
                let left = self.staged.len();
                return Ok(self.hand_over(left, buffer));
            }
            self.staged.extend_from_slice(&chunk[..read]);
        }
    }
}

impl Write for RecordFeed<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        (&*self.tcp).write(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The rustls error an I/O error carries, or the I/O error itself.
fn split_tls(error: io::Error) -> Result<rustls::Error, io::Error> {
    if !error
        .get_ref()
        .is_some_and(|inner| inner.is::<rustls::Error>())
    {
        return Err(error);
    }
    match error
        .into_inner()
        .map(|inner| inner.downcast::<rustls::Error>())
    {
        Some(Ok(tls)) => Ok(*tls),
        // Not reached: the inner error was checked to be a rustls::Error.
        _ => Err(io::ErrorKind::InvalidData.into()),
    }
}
