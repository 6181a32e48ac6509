//! Two refinements of ureq's transport that make a warm login cost what
//! libcurl's does:
//!
//! - [`CachingResolver`]: ureq resolves the host on every call, before it
//!   looks in its pool, and with a timeout set it does so on a new thread.
//!   IP literals need no lookup at all, and names are cached for 60 s, as
//!   curl does by default.
//! - [`Coalescing`]: ureq transmits the request head and body in separate
//!   writes, so the server wakes twice and TLS sends two records. Output is
//!   held until the response is awaited and then sent in one write. The
//!   held bytes, which include the password, are zeroized once sent.
//!
//! Both use ureq's `unversioned` API, which may change between minor
//! releases; Cargo.toml pins ureq to 3.5.x for that reason.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};
use zeroize::{Zeroize, Zeroizing};

/// How long a resolved name is reused: curl's default DNS cache timeout.
const DNS_CACHE_TTL: Duration = Duration::from_secs(60);
/// Names cached at most; the cache is cleared when it is full.
const DNS_CACHE_ENTRIES: usize = 64;
/// Requests up to this size are sent in one write.
const COALESCE_LIMIT: usize = 16 * 1024;

/// Resolves IP literals directly and caches what the system resolver says
/// about names.
#[derive(Debug, Default)]
pub(crate) struct CachingResolver {
    system: DefaultResolver,
    cache: Mutex<HashMap<String, (Instant, ResolvedSocketAddrs)>>,
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let Some(authority) = uri.authority() else {
            return self.system.resolve(uri, config, timeout);
        };
        let port = authority.port_u16().or(match uri.scheme_str() {
            Some("https") => Some(443),
            Some("http") => Some(80),
            _ => None,
        });
        let host = authority.host();
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let (Ok(ip), Some(port)) = (bare.parse::<IpAddr>(), port) {
            let mut addresses = self.empty();
            addresses.push(SocketAddr::new(ip, port));
            return Ok(addresses);
        }

        let key = format!("{host}:{}", port.unwrap_or(0));
        let now = Instant::now();
        if let Some((resolved_at, addresses)) = self.lock().get(&key) {
            if now.duration_since(*resolved_at) < DNS_CACHE_TTL {
                return Ok(addresses.clone());
            }
        }
        // The system resolver reports "no such host" as a bare I/O error.
        let addresses = match self.system.resolve(uri, config, timeout) {
            Err(ureq::Error::Io(_)) => return Err(ureq::Error::HostNotFound),
            other => other?,
        };
        let mut cache = self.lock();
        if cache.len() >= DNS_CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(key, (now, addresses.clone()));
        Ok(addresses)
    }
}

impl CachingResolver {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, ResolvedSocketAddrs)>> {
        // The map is valid even if a holder panicked: every update is one insert.
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Wraps every connection (plain or TLS) in a [`Coalescing`] transport.
#[derive(Debug)]
pub(crate) struct CoalescingConnector;

impl<In: Transport> Connector<In> for CoalescingConnector {
    type Out = Coalescing<In>;

    fn connect(
        &self,
        _details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        Ok(chained.map(|inner| Coalescing {
            inner,
            held: Zeroizing::new(Vec::new()),
        }))
    }
}

/// Holds output until input is awaited, then sends it in one write.
#[derive(Debug)]
pub(crate) struct Coalescing<T> {
    inner: T,
    /// Never grows past its first capacity, so it is never reallocated and
    /// leaves no unwiped copy behind.
    held: Zeroizing<Vec<u8>>,
}

impl<T: Transport> Coalescing<T> {
    /// Sends `held` through the inner transport, then wipes both copies.
    fn flush(&mut self, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let mut sent = 0;
        while sent < self.held.len() {
            let output = self.inner.buffers().output();
            let amount = output.len().min(self.held.len() - sent);
            output[..amount].copy_from_slice(&self.held[sent..sent + amount]);
            self.inner.transmit_output(amount, timeout)?;
            self.inner.buffers().output()[..amount].zeroize();
            sent += amount;
        }
        // Only the used part: the rest of the capacity is still zero, and
        // wiping all of it on every request would cost more than the request.
        self.held.as_mut_slice().zeroize();
        self.held.clear();
        Ok(())
    }

    /// Sends `amount` bytes straight from the output buffer, then wipes them.
    fn transmit_now(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.inner.transmit_output(amount, timeout)?;
        self.inner.buffers().output()[..amount].zeroize();
        Ok(())
    }
}

impl<T: Transport> Transport for Coalescing<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if self.held.capacity() == 0 {
            self.held = Zeroizing::new(Vec::with_capacity(COALESCE_LIMIT));
        }
        if self.held.len() + amount > self.held.capacity() {
            // Too big to hold: send what is held, then this, as they come.
            if !self.held.is_empty() {
                let mut pending = Zeroizing::new(self.inner.buffers().output()[..amount].to_vec());
                self.flush(timeout)?;
                self.inner.buffers().output()[..amount].copy_from_slice(&pending);
                pending.zeroize();
            }
            return self.transmit_now(amount, timeout);
        }
        let output = self.inner.buffers().output();
        self.held.extend_from_slice(&output[..amount]);
        output[..amount].zeroize();
        Ok(())
    }

    fn maybe_await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.flush(timeout)?;
        self.inner.maybe_await_input(timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.flush(timeout)?;
        self.inner.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::unversioned::transport::LazyBuffers;

    /// A transport that records each write instead of sending it.
    #[derive(Debug)]
    struct Recorder {
        buffers: LazyBuffers,
        writes: Vec<Vec<u8>>,
    }

    impl Transport for Recorder {
        fn buffers(&mut self) -> &mut dyn Buffers {
            &mut self.buffers
        }
        fn transmit_output(&mut self, amount: usize, _: NextTimeout) -> Result<(), ureq::Error> {
            let output = self.buffers.output();
            self.writes.push(output[..amount].to_vec());
            Ok(())
        }
        fn await_input(&mut self, _: NextTimeout) -> Result<bool, ureq::Error> {
            Ok(false)
        }
        fn is_open(&mut self) -> bool {
            true
        }
    }

    fn timeout() -> NextTimeout {
        NextTimeout {
            after: std::time::Duration::from_secs(1).into(),
            reason: ureq::Timeout::Global,
            per_read: None,
            per_write: None,
        }
    }

    fn coalescing(output_size: usize) -> Coalescing<Recorder> {
        let recorder = Recorder {
            buffers: LazyBuffers::new(1024, output_size),
            writes: Vec::new(),
        };
        Coalescing {
            inner: recorder,
            held: Zeroizing::new(Vec::new()),
        }
    }

    fn write(transport: &mut Coalescing<Recorder>, bytes: &[u8]) {
        transport.buffers().output()[..bytes.len()].copy_from_slice(bytes);
        transport.transmit_output(bytes.len(), timeout()).unwrap();
    }

    #[test]
    fn head_and_body_leave_in_one_write_when_the_response_is_awaited() {
        let mut transport = coalescing(4096);
        write(&mut transport, b"POST /v2/auth/login HTTP/1.1\r\n\r\n");
        write(&mut transport, br#"{"password":"hunter22"}"#);
        assert!(
            transport.inner.writes.is_empty(),
            "nothing is sent before the response is awaited"
        );
        assert!(
            transport.buffers().output().iter().all(|b| *b == 0),
            "held bytes are wiped from ureq's buffer"
        );

        transport.await_input(timeout()).unwrap();
        let expected = b"POST /v2/auth/login HTTP/1.1\r\n\r\n{\"password\":\"hunter22\"}";
        assert_eq!(transport.inner.writes, vec![expected.to_vec()]);
        assert!(transport.held.is_empty());
        assert!(
            transport.buffers().output().iter().all(|b| *b == 0),
            "sent bytes are wiped"
        );
    }

    #[test]
    fn a_request_larger_than_the_hold_limit_still_arrives_whole_and_in_order() {
        let mut transport = coalescing(COALESCE_LIMIT + 100);
        let head = b"HEAD".repeat(10);
        let big = vec![7u8; COALESCE_LIMIT];
        write(&mut transport, &head);
        write(&mut transport, &big);
        write(&mut transport, b"tail");
        transport.maybe_await_input(timeout()).unwrap();
        let sent: Vec<u8> = transport.inner.writes.concat();
        assert_eq!(sent, [head.as_slice(), big.as_slice(), b"tail"].concat());
        assert_eq!(
            transport.held.capacity(),
            COALESCE_LIMIT,
            "the hold buffer never grew"
        );
    }

    #[test]
    fn ip_literals_resolve_without_a_lookup_and_names_are_cached() {
        let resolver = CachingResolver::default();
        let config = ureq::config::Config::builder().build();
        for (url, expected) in [
            ("http://127.0.0.1:8080/x", "127.0.0.1:8080"),
            ("https://[::1]/x", "[::1]:443"),
            ("http://10.1.2.3/x", "10.1.2.3:80"),
        ] {
            let uri: Uri = url.parse().unwrap();
            let addresses = resolver.resolve(&uri, &config, timeout()).unwrap();
            assert_eq!(
                addresses.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
                [expected]
            );
        }
        assert!(resolver.lock().is_empty(), "literals are not cached");

        let uri: Uri = "http://localhost:8080/x".parse().unwrap();
        let first = resolver.resolve(&uri, &config, timeout()).unwrap();
        assert!(resolver.lock().contains_key("localhost:8080"));
        let second = resolver.resolve(&uri, &config, timeout()).unwrap();
        assert_eq!(
            first.iter().collect::<Vec<_>>(),
            second.iter().collect::<Vec<_>>()
        );
    }
}
