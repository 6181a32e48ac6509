//! Names to addresses, plugged into ureq as its `Resolver`: IP literals
//! without a lookup, names cached for [`DNS_CACHE_TTL`], so a warm call
//! neither looks up nor starts a thread. ureq's own resolver starts a thread
//! for every call that has a timeout, and keeps nothing.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

use crate::transport::{deadline_of, Failure, Network, Target};

/// How long a resolved name is reused: curl's default DNS cache timeout.
const DNS_CACHE_TTL: Duration = Duration::from_secs(60);
/// Names cached at most; the cache is cleared when it is full.
const DNS_CACHE_ENTRIES: usize = 64;
/// Addresses kept per name (ureq's limit).
const MAX_ADDRESSES: usize = 16;

/// (lower-case name, port) to when it was resolved and what it resolved to.
type DnsCache = HashMap<(String, u16), (Instant, Arc<[SocketAddr]>)>;

/// Resolves IP literals directly and caches what the system resolver says
/// about names, as curl does.
#[derive(Debug, Default)]
pub(crate) struct CachingResolver {
    cache: Mutex<DnsCache>,
}

impl CachingResolver {
    pub(crate) fn resolve(
        &self,
        host: &str,
        port: u16,
        deadline: Instant,
    ) -> Result<Arc<[SocketAddr]>, Failure> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(Arc::new([SocketAddr::new(ip, port)]));
        }
        let key = (host.to_ascii_lowercase(), port);
        let now = Instant::now();
        if let Some((resolved_at, addresses)) = self.lock().get(&key) {
            if now.duration_since(*resolved_at) < DNS_CACHE_TTL {
                return Ok(addresses.clone());
            }
        }
        let addresses = lookup(key.0.clone(), port, deadline)?;
        let mut cache = self.lock();
        if cache.len() >= DNS_CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(key, (now, addresses.clone()));
        Ok(addresses)
    }

    fn lock(&self) -> MutexGuard<'_, DnsCache> {
        // The map is valid even if a holder panicked: every update is one insert.
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The system resolver on a thread of its own, since it has no timeout.
/// A lookup that outlives the deadline finishes on its own and is dropped.
fn lookup(host: String, port: u16, deadline: Instant) -> Result<Arc<[SocketAddr]>, Failure> {
    type Answer = Mutex<Option<Option<Arc<[SocketAddr]>>>>;
    let answer: Arc<(Answer, Condvar)> = Arc::default();
    let resolver_side = answer.clone();
    let resolve = move || {
        let found: Option<Arc<[SocketAddr]>> = (host.as_str(), port)
            .to_socket_addrs()
            .ok()
            .map(|addresses| addresses.take(MAX_ADDRESSES).collect())
            .filter(|addresses: &Arc<[SocketAddr]>| !addresses.is_empty());
        let (slot, ready) = &*resolver_side;
        *slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(found);
        ready.notify_one();
    };
    thread::Builder::new()
        .name("ovok-dns".into())
        .spawn(resolve)
        .map_err(Failure::Io)?;

    let (slot, ready) = &*answer;
    let mut slot = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    loop {
        if let Some(found) = slot.take() {
            return found.ok_or(Failure::HostNotFound);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure::ConnectTimeout);
        }
        slot = ready
            .wait_timeout(slot, left)
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .0;
    }
}

/// The resolver ureq calls before every request. A request that goes
/// through a proxy resolves nothing here: the connector resolves the proxy,
/// and the proxy the origin.
#[derive(Debug)]
pub(crate) struct OvokResolver(pub(crate) Arc<Network>);

impl Resolver for OvokResolver {
    fn resolve(
        &self,
        uri: &Uri,
        _config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let target = Target::of(uri)?;
        let mut resolved = self.empty();
        if self.0.proxy_for(&target).is_some() {
            return Ok(resolved);
        }
        if let Ok(ip) = target.host.parse::<IpAddr>() {
            // The common case, without the `Arc` of the cache's answers.
            resolved.push(SocketAddr::new(ip, target.port));
            return Ok(resolved);
        }
        let addresses = self
            .0
            .resolver
            .resolve(target.host, target.port, deadline_of(timeout))
            .map_err(Failure::into_ureq)?;
        for address in addresses.iter().take(MAX_ADDRESSES) {
            resolved.push(*address);
        }
        Ok(resolved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    #[test]
    fn ip_literals_resolve_without_a_lookup_and_names_are_cached() {
        let resolver = CachingResolver::default();
        for (host, port, expected) in [
            ("127.0.0.1", 8080, "127.0.0.1:8080"),
            ("::1", 443, "[::1]:443"),
            ("10.1.2.3", 80, "10.1.2.3:80"),
        ] {
            let addresses = resolver.resolve(host, port, soon()).unwrap();
            let shown: Vec<String> = addresses.iter().map(|a| a.to_string()).collect();
            assert_eq!(shown, [expected]);
        }
        assert!(resolver.lock().is_empty(), "literals are not cached");

        let first = resolver.resolve("LocalHost", 8080, soon()).unwrap();
        assert!(resolver
            .lock()
            .contains_key(&("localhost".to_string(), 8080)));
        let second = resolver.resolve("localhost", 8080, soon()).unwrap();
        assert!(
            Arc::ptr_eq(&first, &second),
            "the second answer is the cached one"
        );
    }

    #[test]
    fn an_unknown_name_is_host_not_found() {
        let resolver = CachingResolver::default();
        let failure = resolver
            .resolve("no-such-host.invalid", 443, soon())
            .unwrap_err();
        assert!(matches!(failure, Failure::HostNotFound), "{failure:?}");
    }
}
