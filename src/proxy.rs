//! HTTP proxies: the proxy URL, the environment variables that name one,
//! `NO_PROXY`, and the `CONNECT` request that opens a tunnel through it.
//!
//! Every request through a proxy goes through a tunnel, plain http ones
//! included, so the proxy never sees the login body in the clear when the
//! target is https, and sees one behaviour either way.

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::base_url::Origin;

/// The variables read, in this order; the first that holds a valid proxy
/// URL is used for every request, http and https alike.
const PROXY_VARIABLES: [&str; 6] = [
    "ALL_PROXY",
    "all_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
];

/// An HTTP proxy, with the hosts it is not used for.
pub(crate) struct Proxy {
    host: String,
    port: u16,
    /// `Basic <base64>` when the URL has user info; wiped on drop.
    authorization: Option<Zeroizing<String>>,
    no_proxy: Vec<String>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The host is not shown either: a proxy URL is configuration that
        // may name internal infrastructure, and it is never needed to debug.
        f.write_str("Proxy { .. }")
    }
}

impl Proxy {
    /// Parses `http://[user:password@]host[:port]` (port 80 when absent).
    /// `None` for anything else; the caller names the problem without
    /// quoting the URL, which may hold a password.
    pub(crate) fn parse(url: &str) -> Option<Proxy> {
        let rest = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("HTTP://"))?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#']) || rest.chars().any(|c| !c.is_ascii_graphic()) {
            return None;
        }
        let (user_info, host_port) = match rest.rsplit_once('@') {
            Some((user_info, host_port)) => (Some(user_info), host_port),
            None => (None, rest),
        };
        let (host, port) = split_host_port(host_port)?;
        let authorization = user_info.map(|user_info| {
            let decoded = Zeroizing::new(percent_decode(user_info));
            let encoded =
                Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(&*decoded));
            Zeroizing::new(format!("Basic {}", &*encoded))
        });
        Some(Proxy {
            host: host.to_string(),
            port,
            authorization,
            no_proxy: Vec::new(),
        })
    }

    /// The proxy the environment names, with `NO_PROXY`/`no_proxy`; `None`
    /// when no variable holds a valid proxy URL.
    pub(crate) fn from_environment() -> Option<Proxy> {
        let mut proxy = PROXY_VARIABLES
            .iter()
            .filter_map(|name| std::env::var(name).ok())
            .find_map(|value| Proxy::parse(value.trim()))?;
        let no_proxy = std::env::var("NO_PROXY")
            .or_else(|_| std::env::var("no_proxy"))
            .unwrap_or_default();
        proxy.no_proxy = no_proxy
            .split(',')
            .map(|entry| entry.trim().to_ascii_lowercase())
            .filter(|entry| !entry.is_empty())
            .collect();
        Some(proxy)
    }

    /// Whether requests to `origin` go through this proxy.
    pub(crate) fn applies_to(&self, origin: &Origin) -> bool {
        !self
            .no_proxy
            .iter()
            .any(|entry| no_proxy_matches(entry, &origin.host))
    }

    /// The proxy's host and port, to connect to.
    pub(crate) fn address(&self) -> (&str, u16) {
        (&self.host, self.port)
    }

    /// The `CONNECT` request that opens a tunnel to `origin`. Holds the
    /// proxy credentials, so it is wiped on drop.
    pub(crate) fn connect_request(&self, origin: &Origin) -> Zeroizing<Vec<u8>> {
        let target = match origin.host.contains(':') {
            true => format!("[{}]:{}", origin.host, origin.port),
            false => format!("{}:{}", origin.host, origin.port),
        };
        let mut request = Zeroizing::new(Vec::with_capacity(256));
        request.extend_from_slice(
            format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n").as_bytes(),
        );
        if let Some(authorization) = &self.authorization {
            request.extend_from_slice(b"Proxy-Authorization: ");
            request.extend_from_slice(authorization.as_bytes());
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"\r\n");
        request
    }
}

/// `host[:port]` or `[v6][:port]`; port 80 when absent.
fn split_host_port(host_port: &str) -> Option<(&str, u16)> {
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']')?;
        (host, after.strip_prefix(':'))
    } else {
        match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    let port = match port {
        Some(port) => port.parse::<u16>().ok().filter(|port| *port != 0)?,
        None => 80,
    };
    (!host.is_empty()).then_some((host, port))
}

/// Decodes `%XX` escapes in proxy user info; other bytes are kept.
fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escape = bytes
            .get(index + 1..index + 3)
            .filter(|_| bytes[index] == b'%')
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match escape {
            Some(byte) => {
                decoded.push(byte);
                index += 3;
            }
            None => {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
    }
    decoded
}

/// One `NO_PROXY` entry against a host: `*` matches every host, `example.com`,
/// `.example.com` and `*.example.com` match the domain and its subdomains,
/// and an IP address matches itself. A `:port` on the entry is ignored.
fn no_proxy_matches(entry: &str, host: &str) -> bool {
    if entry == "*" {
        return true;
    }
    let entry = entry.trim_start_matches('[');
    let entry = match entry.split_once(']') {
        Some((v6, _)) => v6,
        None if entry.matches(':').count() == 1 => entry.split_once(':').map_or(entry, |(h, _)| h),
        None => entry,
    };
    let domain = entry.trim_start_matches("*.").trim_start_matches('.');
    let host = host.trim_end_matches('.');
    host.eq_ignore_ascii_case(domain)
        || (host.len() > domain.len()
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
            && host[host.len() - domain.len()..].eq_ignore_ascii_case(domain))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(host: &str, port: u16) -> Origin {
        Origin {
            https: true,
            host: host.to_string(),
            port,
            authority: format!("{host}:{port}"),
        }
    }

    #[test]
    fn proxy_urls() {
        let proxy = Proxy::parse("http://proxy.example:3128").unwrap();
        assert_eq!(proxy.address(), ("proxy.example", 3128));
        assert!(proxy.authorization.is_none());
        assert_eq!(
            Proxy::parse("http://proxy.example/").unwrap().address(),
            ("proxy.example", 80)
        );
        assert_eq!(
            Proxy::parse("http://[::1]:8080").unwrap().address(),
            ("::1", 8080)
        );
        for bad in [
            "proxy.example:3128",
            "ftp://proxy.example",
            "https://proxy.example:3128",
            "http://",
            "http://proxy.example:0",
            "http://proxy.example:99999",
            "http://proxy.example:3128/path",
            "http://proxy example:3128",
        ] {
            assert!(Proxy::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn credentials_become_basic_authorization_and_are_never_shown() {
        let proxy = Proxy::parse("http://us%65r:p%40ss:word@proxy.example:3128").unwrap();
        // base64("user:p@ss:word")
        assert_eq!(
            proxy.authorization.as_deref().map(String::as_str),
            Some("Basic dXNlcjpwQHNzOndvcmQ=")
        );
        let request = proxy.connect_request(&origin("api.ovok.com", 443));
        assert_eq!(
            std::str::from_utf8(&request).unwrap(),
            "CONNECT api.ovok.com:443 HTTP/1.1\r\nHost: api.ovok.com:443\r\n\
             Proxy-Authorization: Basic dXNlcjpwQHNzOndvcmQ=\r\n\r\n"
        );
        assert_eq!(format!("{proxy:?}"), "Proxy { .. }");
    }

    #[test]
    fn ipv6_targets_are_bracketed() {
        let proxy = Proxy::parse("http://proxy.example:3128").unwrap();
        let request = proxy.connect_request(&origin("::1", 8443));
        assert!(request.starts_with(b"CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n"));
    }

    #[test]
    fn no_proxy_entries() {
        for (entry, host, expected) in [
            ("*", "api.ovok.com", true),
            ("ovok.com", "api.ovok.com", true),
            ("ovok.com", "ovok.com", true),
            (".ovok.com", "api.ovok.com", true),
            ("*.ovok.com", "api.ovok.com", true),
            ("ovok.com", "notovok.com", false),
            ("ovok.com:443", "api.ovok.com", true),
            ("127.0.0.1", "127.0.0.1", true),
            ("127.0.0.1", "127.0.0.2", false),
            ("[::1]:8080", "::1", true),
            ("::1", "::1", true),
            ("localhost", "localhost.", true),
        ] {
            assert_eq!(no_proxy_matches(entry, host), expected, "{entry} vs {host}");
        }
    }
}
