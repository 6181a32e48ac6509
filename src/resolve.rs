//! Name resolution for connecting: IP literals without a lookup, a short
//! cache, and the loopback gate for plain http.
//!
//! - An IP literal (with or without IPv6 brackets) is its own answer.
//! - A name is looked up on the calling thread, never on a thread of its
//!   own, and its answer kept for [`CACHE_TTL`] (curl's default DNS cache
//!   timeout), at most [`CACHE_ENTRIES`] names. The system resolver has no
//!   timeout of its own to pass: its wait is bounded by its configuration
//!   (glibc: `timeout` × `attempts` in resolv.conf, 5 s × 2 by default), and
//!   the connect deadline is checked as soon as it answers.
//! - `localhost`, `*.localhost` (and with a trailing dot) are `::1` and
//!   `127.0.0.1` without a lookup, as RFC 6761 recommends and curl does: no
//!   resolver, hostile or misconfigured, can send them elsewhere.
//! - IPv4-mapped IPv6 answers (`::ffff:a.b.c.d`) become the IPv4 address
//!   they reach, so every rule below sees what the kernel will connect to.
//! - The loopback gate ([`Allowed::LoopbackOnly`], for plain http): every
//!   address must be loopback, else the request fails before anything is
//!   sent. Otherwise `localhost.` or a hostile resolver could send a
//!   password in plain text onto the network. Cached answers pass the gate
//!   on every use.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::proxy::{canonical, is_localhost_name, is_loopback_ip};
use crate::status::OvokStatus;

/// How long a looked-up answer is reused.
pub(crate) const CACHE_TTL: Duration = Duration::from_secs(60);
/// Names cached at most; past it, expired answers go first, then the oldest.
pub(crate) const CACHE_ENTRIES: usize = 64;

/// Which addresses a destination may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Allowed {
    /// Any address: https, or the proxy itself.
    Any,
    /// Loopback only: plain http, which carries the password in clear.
    LoopbackOnly,
}

/// Why a name gave no address to connect to.
#[derive(Debug)]
pub(crate) enum ResolveError {
    /// The resolver answered with no address.
    NotFound,
    /// The resolver failed (unknown name, no network, ...).
    Lookup(io::Error),
    /// Plain http to a name with an address that is not loopback.
    NotLoopback,
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResolveError::NotFound => f.write_str("could not resolve the host"),
            ResolveError::Lookup(error) => write!(f, "could not resolve the host ({error})"),
            ResolveError::NotLoopback => f.write_str(
                "the host resolves to an address that is not loopback, and plain http is \
                 only sent to loopback; nothing was sent (use https)",
            ),
        }
    }
}

impl ResolveError {
    /// `OVOK_STATUS_CONNECTION` with the message above.
    pub(crate) fn to_error(&self) -> Error {
        Error::new(OvokStatus::Connection, self.to_string())
    }
}

/// Looks a name and port up: `ToSocketAddrs` in production, a table in tests.
pub(crate) type Lookup = dyn Fn(&str, u16) -> io::Result<Vec<SocketAddr>> + Send + Sync;

/// (lower-case name, port) to when it was looked up and the answer.
type Cache = HashMap<(String, u16), (Instant, Arc<[SocketAddr]>)>;

/// A resolver with its cache; one per client.
pub(crate) struct Resolver {
    lookup: Box<Lookup>,
    cache: Mutex<Cache>,
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolver").finish_non_exhaustive()
    }
}

impl Default for Resolver {
    fn default() -> Resolver {
        Resolver::with_lookup(system_lookup)
    }
}

/// The system resolver (getaddrinfo), on the calling thread.
fn system_lookup(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    (host, port).to_socket_addrs().map(Iterator::collect)
}

impl Resolver {
    /// A resolver that asks `lookup` about names.
    pub(crate) fn with_lookup(
        lookup: impl Fn(&str, u16) -> io::Result<Vec<SocketAddr>> + Send + Sync + 'static,
    ) -> Resolver {
        Resolver {
            lookup: Box::new(lookup),
            cache: Mutex::default(),
        }
    }

    /// The addresses of `host:port` in the resolver's order, every one
    /// allowed by `allowed`. `host` may carry IPv6 brackets.
    pub(crate) fn resolve(
        &self,
        host: &str,
        port: u16,
        allowed: Allowed,
    ) -> Result<Arc<[SocketAddr]>, ResolveError> {
        self.resolve_at(host, port, allowed, Instant::now())
    }

    fn resolve_at(
        &self,
        host: &str,
        port: u16,
        allowed: Allowed,
        now: Instant,
    ) -> Result<Arc<[SocketAddr]>, ResolveError> {
        let unbracketed = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let addresses = match unbracketed.parse::<IpAddr>() {
            Ok(ip) => Arc::from([SocketAddr::new(canonical(ip), port)]),
            Err(_) if is_localhost_name(host) => Arc::from([
                SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
                SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
            ]),
            Err(_) => self.cached_or_looked_up(host, port, now)?,
        };
        check(&addresses, allowed)?;
        Ok(addresses)
    }

    fn cached_or_looked_up(
        &self,
        host: &str,
        port: u16,
        now: Instant,
    ) -> Result<Arc<[SocketAddr]>, ResolveError> {
        let key = (host.to_ascii_lowercase(), port);
        if let Some((looked_up, addresses)) = self.lock().get(&key) {
            if now.saturating_duration_since(*looked_up) < CACHE_TTL {
                return Ok(Arc::clone(addresses));
            }
        }
        // The lock is not held while the resolver works: other names need not wait.
        let addresses: Arc<[SocketAddr]> = (self.lookup)(&key.0, port)
            .map_err(ResolveError::Lookup)?
            .into_iter()
            .map(|address| SocketAddr::new(canonical(address.ip()), address.port()))
            .collect();
        if addresses.is_empty() {
            return Err(ResolveError::NotFound);
        }
        let mut cache = self.lock();
        if cache.len() >= CACHE_ENTRIES && !cache.contains_key(&key) {
            cache.retain(|_, (looked_up, _)| now.saturating_duration_since(*looked_up) < CACHE_TTL);
            if cache.len() >= CACHE_ENTRIES {
                let oldest = cache
                    .iter()
                    .min_by_key(|(_, (looked_up, _))| *looked_up)
                    .map(|(key, _)| key.clone());
                if let Some(oldest) = oldest {
                    cache.remove(&oldest);
                }
            }
        }
        cache.insert(key, (now, Arc::clone(&addresses)));
        Ok(addresses)
    }

    fn lock(&self) -> MutexGuard<'_, Cache> {
        // The map is valid even if a holder panicked: every update is one call.
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The loopback gate.
fn check(addresses: &[SocketAddr], allowed: Allowed) -> Result<(), ResolveError> {
    if addresses.is_empty() {
        return Err(ResolveError::NotFound);
    }
    match allowed {
        Allowed::Any => Ok(()),
        Allowed::LoopbackOnly if addresses.iter().all(|a| is_loopback_ip(a.ip())) => Ok(()),
        Allowed::LoopbackOnly => Err(ResolveError::NotLoopback),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A resolver answering from `table` (name to addresses without port),
    /// and the number of lookups it made.
    fn fake(table: &[(&str, &[&str])]) -> (Resolver, Arc<AtomicUsize>) {
        let table: HashMap<String, Vec<IpAddr>> = table
            .iter()
            .map(|(name, ips)| {
                let ips = ips.iter().map(|ip| ip.parse().unwrap()).collect();
                (name.to_string(), ips)
            })
            .collect();
        let lookups = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&lookups);
        let resolver = Resolver::with_lookup(move |host, port| {
            counted.fetch_add(1, Ordering::SeqCst);
            match table.get(host) {
                Some(ips) => Ok(ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect()),
                None => Err(io::Error::other("no such name")),
            }
        });
        (resolver, lookups)
    }

    fn shown(addresses: &[SocketAddr]) -> Vec<String> {
        addresses.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn ip_literals_are_their_own_answer_without_a_lookup() {
        let (resolver, lookups) = fake(&[]);
        for (host, expected) in [
            ("127.0.0.1", "127.0.0.1:8080"),
            ("::1", "[::1]:8080"),
            ("[::1]", "[::1]:8080"),
            ("10.1.2.3", "10.1.2.3:8080"),
            ("::ffff:127.0.0.1", "127.0.0.1:8080"),
        ] {
            let addresses = resolver.resolve(host, 8080, Allowed::Any).unwrap();
            assert_eq!(shown(&addresses), [expected], "{host}");
        }
        assert_eq!(lookups.load(Ordering::SeqCst), 0);
        assert!(resolver.lock().is_empty(), "literals are not cached");
    }

    #[test]
    fn localhost_names_are_loopback_whatever_the_resolver_says() {
        let (resolver, lookups) = fake(&[
            ("localhost", &["203.0.113.1"]),
            ("localhost.", &["203.0.113.1"]),
            ("api.localhost", &["203.0.113.1"]),
        ]);
        for host in ["localhost", "LocalHost.", "api.localhost", "a.b.localhost."] {
            let addresses = resolver.resolve(host, 8080, Allowed::LoopbackOnly).unwrap();
            assert_eq!(
                shown(&addresses),
                ["[::1]:8080", "127.0.0.1:8080"],
                "{host}"
            );
        }
        assert_eq!(lookups.load(Ordering::SeqCst), 0);
        let public = resolver.resolve("localhost.example", 80, Allowed::LoopbackOnly);
        assert!(matches!(public, Err(ResolveError::Lookup(_))), "{public:?}");
    }

    #[test]
    fn names_are_cached_for_the_ttl_case_insensitively() {
        let (resolver, lookups) = fake(&[("api.ovok.test", &["203.0.113.7", "2001:db8::7"])]);
        let start = Instant::now();
        let first = resolver
            .resolve_at("API.ovok.test", 443, Allowed::Any, start)
            .unwrap();
        assert_eq!(shown(&first), ["203.0.113.7:443", "[2001:db8::7]:443"]);
        let cached = resolver
            .resolve_at("api.ovok.test", 443, Allowed::Any, start + CACHE_TTL / 2)
            .unwrap();
        assert!(Arc::ptr_eq(&first, &cached));
        assert_eq!(lookups.load(Ordering::SeqCst), 1);
        let other_port = resolver
            .resolve_at("api.ovok.test", 8443, Allowed::Any, start)
            .unwrap();
        assert_eq!(other_port[0].port(), 8443);
        assert_eq!(lookups.load(Ordering::SeqCst), 2);
        let expired = resolver
            .resolve_at("api.ovok.test", 443, Allowed::Any, start + CACHE_TTL)
            .unwrap();
        assert!(!Arc::ptr_eq(&first, &expired));
        assert_eq!(lookups.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn the_cache_is_bounded_and_drops_the_oldest_first() {
        let names: Vec<String> = (0..=CACHE_ENTRIES).map(|n| format!("h{n}.test")).collect();
        let table: Vec<(&str, &[&str])> = names
            .iter()
            .map(|name| (name.as_str(), &["203.0.113.1"][..]))
            .collect();
        let (resolver, lookups) = fake(&table);
        let start = Instant::now();
        for (n, name) in names.iter().enumerate() {
            let at = start + Duration::from_millis(n as u64);
            resolver.resolve_at(name, 443, Allowed::Any, at).unwrap();
        }
        assert_eq!(resolver.lock().len(), CACHE_ENTRIES);
        assert!(!resolver.lock().contains_key(&("h0.test".to_string(), 443)));
        let late = start + Duration::from_secs(1);
        resolver
            .resolve_at(&names[1], 443, Allowed::Any, late)
            .unwrap();
        assert_eq!(
            lookups.load(Ordering::SeqCst),
            CACHE_ENTRIES + 1,
            "h1 still cached"
        );
    }

    #[test]
    fn plain_http_needs_every_address_to_be_loopback() {
        let (resolver, _) = fake(&[
            ("loopback.test", &["127.0.0.1", "::1"]),
            ("mapped.test", &["::ffff:127.0.0.1"]),
            ("mixed.test", &["127.0.0.1", "203.0.113.9"]),
            ("mixed-v6.test", &["::1", "2001:db8::1"]),
            ("public.test", &["203.0.113.9"]),
            ("mapped-public.test", &["::ffff:203.0.113.9"]),
            ("unspecified.test", &["0.0.0.0"]),
            ("empty.test", &[]),
        ]);
        let http = |host| resolver.resolve(host, 80, Allowed::LoopbackOnly);
        assert_eq!(
            shown(&http("loopback.test").unwrap()),
            ["127.0.0.1:80", "[::1]:80"]
        );
        assert_eq!(shown(&http("mapped.test").unwrap()), ["127.0.0.1:80"]);
        for host in [
            "mixed.test",
            "mixed-v6.test",
            "public.test",
            "mapped-public.test",
            "unspecified.test",
            "203.0.113.9",
            "::ffff:203.0.113.9",
        ] {
            assert!(
                matches!(http(host), Err(ResolveError::NotLoopback)),
                "{host}: {:?}",
                http(host)
            );
            // The same answers are fine where the traffic is encrypted.
            assert!(resolver.resolve(host, 443, Allowed::Any).is_ok(), "{host}");
        }
        assert!(matches!(http("empty.test"), Err(ResolveError::NotFound)));
        assert!(matches!(http("unknown.test"), Err(ResolveError::Lookup(_))));
        let error = http("mixed.test").unwrap_err().to_error();
        assert_eq!(error.status, OvokStatus::Connection);
        assert!(error.message.contains("not loopback"), "{}", error.message);
    }

    #[test]
    fn the_gate_applies_to_cached_answers_too() {
        let (resolver, lookups) = fake(&[("mixed.test", &["127.0.0.1", "203.0.113.9"])]);
        assert!(resolver.resolve("mixed.test", 80, Allowed::Any).is_ok());
        let gated = resolver.resolve("mixed.test", 80, Allowed::LoopbackOnly);
        assert!(matches!(gated, Err(ResolveError::NotLoopback)));
        assert_eq!(
            lookups.load(Ordering::SeqCst),
            1,
            "the second answer came from the cache"
        );
    }

    #[test]
    fn the_system_resolver_knows_localhost_and_not_invalid_names() {
        let resolver = Resolver::default();
        let addresses = resolver
            .resolve("localhost", 8080, Allowed::LoopbackOnly)
            .unwrap();
        assert!(addresses.iter().all(|a| a.port() == 8080));
        let failure = resolver
            .resolve("no-such-host.invalid", 443, Allowed::Any)
            .unwrap_err();
        assert!(
            matches!(failure, ResolveError::Lookup(_) | ResolveError::NotFound),
            "{failure:?}"
        );
    }
}
