//! Which proxy a request goes through, by curl's rules, and what is sent to it.
//!
//! [`choose`] decides per request:
//!
//! 1. A loopback destination (`127.0.0.0/8`, `::1`, `::ffff:127.x.y.z`,
//!    `localhost`, `localhost.`, `*.localhost`) is never proxied, not even
//!    through an explicit proxy: a proxy would see a plain http login.
//! 2. An explicit proxy, configured on the client, wins over the environment,
//!    `NO_PROXY` included.
//! 3. Otherwise `no_proxy`/`NO_PROXY` can exempt the host, and the proxy is
//!    `https_proxy`/`HTTPS_PROXY` for https, `http_proxy` for http (never
//!    `HTTP_PROXY`: CGI servers put a request's `Proxy:` header there, the
//!    "httpoxy" hole), then `all_proxy`/`ALL_PROXY`. Lowercase first and an
//!    empty variable counts as unset, as in curl.
//!
//! The environment is read on every request, as curl does on every
//! transfer: a program that changes it before a call gets what it set. An
//! unset variable costs a lookup without allocation.
//!
//! Only `http://` proxies are supported (a URL without a scheme means
//! `http://`, as in curl). A SOCKS or `https://` proxy URL is an error, never
//! skipped: an explicit one is refused when configured, one in the
//! environment fails the request with a message naming the variable.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::status::OvokStatus;

/// The scheme of the request being sent, which picks the variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    Http,
    Https,
}

/// What a client was configured to do about proxies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ProxyChoice {
    /// The proxy variables of the environment, read per request.
    FromEnvironment,
    /// Always connect directly.
    Direct,
    /// This proxy, for every destination but loopback.
    Explicit(Proxy),
}

impl ProxyChoice {
    /// The proxy for a request to `host:port`, or `None` to connect directly.
    pub(crate) fn for_request(
        &self,
        scheme: Scheme,
        host: &str,
        port: u16,
    ) -> Result<Option<Cow<'_, Proxy>>, ProxyError> {
        match self {
            ProxyChoice::FromEnvironment => choose(scheme, host, port, None, &environment),
            ProxyChoice::Direct => Ok(None),
            ProxyChoice::Explicit(proxy) => choose(scheme, host, port, Some(proxy), &|_| None),
        }
    }
}

/// The process environment; a value that is not UTF-8 counts as unset.
pub(crate) fn environment(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The proxy for a request with `scheme` to `host:port`: `explicit` if
/// given, else what `env` names; `None` to connect directly. `host` may
/// carry IPv6 brackets and a trailing dot. `env` is `std::env::var` in
/// production ([`environment`]) and a table in tests.
pub(crate) fn choose<'a>(
    scheme: Scheme,
    host: &str,
    port: u16,
    explicit: Option<&'a Proxy>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Cow<'a, Proxy>>, ProxyError> {
    let host = Host::new(host);
    if host.is_loopback() {
        return Ok(None);
    }
    if let Some(proxy) = explicit {
        return Ok(Some(Cow::Borrowed(proxy)));
    }
    let set = |name: &str| env(name).filter(|value| !value.trim().is_empty());
    if let Some(no_proxy) = set("no_proxy").or_else(|| set("NO_PROXY")) {
        if no_proxy_matches(&no_proxy, &host, port) {
            return Ok(None);
        }
    }
    let candidates: &[&'static str] = match scheme {
        Scheme::Https => &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"],
        Scheme::Http => &["http_proxy", "all_proxy", "ALL_PROXY"],
    };
    let Some((variable, url)) = candidates
        .iter()
        .find_map(|name| set(name).map(|value| (*name, Zeroizing::new(value))))
    else {
        return Ok(None);
    };
    Proxy::parse(&url)
        .map(|proxy| Some(Cow::Owned(proxy)))
        .map_err(|problem| ProxyError::Environment { variable, problem })
}

/// Why a proxy URL cannot be used. Never holds the URL: it may hold a password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ProxyUrlError {
    /// `socks4://`, `socks4a://`, `socks5://` or `socks5h://`; the scheme.
    Socks(&'static str),
    /// `https://`: TLS to the proxy itself is not supported.
    Https,
    /// Another scheme, or not `[http://][user:password@]host[:port][/]`.
    Malformed,
}

impl fmt::Display for ProxyUrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyUrlError::Socks(scheme) => write!(
                f,
                "is a SOCKS proxy ({scheme}://), which ovok does not support; use an http:// proxy"
            ),
            ProxyUrlError::Https => f.write_str(
                "is an https:// proxy, which ovok does not support; use an http:// proxy \
                 (https requests are still encrypted end to end through it)",
            ),
            ProxyUrlError::Malformed => {
                f.write_str("is invalid; expected http://[user:password@]host[:port]")
            }
        }
    }
}

/// A proxy that cannot be used for a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ProxyError {
    /// The variable `variable` names a proxy that cannot be used.
    Environment {
        variable: &'static str,
        problem: ProxyUrlError,
    },
}

impl ProxyError {
    /// `OVOK_STATUS_CONNECTION`, naming the variable but never its value.
    pub(crate) fn to_error(&self) -> Error {
        match self {
            ProxyError::Environment { variable, problem } => Error::new(
                OvokStatus::Connection,
                format!("the proxy in the environment variable {variable} {problem}"),
            ),
        }
    }
}

/// An `http://` proxy. Credentials in its URL become `Proxy-Authorization:
/// Basic`, kept in memory that is wiped on drop and never shown.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Proxy {
    host: String,
    port: u16,
    /// `Basic <base64>` when the URL has user info.
    authorization: Option<Zeroizing<String>>,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The host is not shown either: a proxy URL is configuration that
        // may name internal infrastructure, and it is never needed to debug.
        f.write_str("Proxy { .. }")
    }
}

/// Scheme prefixes of SOCKS proxy URLs, as curl spells them.
const SOCKS_SCHEMES: [&str; 4] = ["socks4a", "socks4", "socks5h", "socks5"];

impl Proxy {
    /// Parses `http://[user:password@]host[:port][/]`, port 1080 when
    /// absent as in curl, or the same without `http://` but with the port.
    /// User info is percent-decoded.
    pub(crate) fn parse(url: &str) -> Result<Proxy, ProxyUrlError> {
        let url = url.trim();
        let rest = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) if scheme.eq_ignore_ascii_case("https") => {
                return Err(ProxyUrlError::Https)
            }
            Some((scheme, _)) => {
                return Err(SOCKS_SCHEMES
                    .into_iter()
                    .find(|socks| scheme.eq_ignore_ascii_case(socks))
                    .map_or(ProxyUrlError::Malformed, ProxyUrlError::Socks))
            }
            // curl reads a URL without a scheme as http://. A bare word is
            // nearly always a mistake, so without a scheme the port is required.
            None if url
                .rsplit_once(':')
                .is_some_and(|(_, port)| !port.is_empty()) =>
            {
                url
            }
            None => return Err(ProxyUrlError::Malformed),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#']) || rest.chars().any(|c| !c.is_ascii_graphic()) {
            return Err(ProxyUrlError::Malformed);
        }
        let (user_info, host_port) = match rest.rsplit_once('@') {
            Some((user_info, host_port)) => (Some(user_info), host_port),
            None => (None, rest),
        };
        let (host, port) = split_host_port(host_port).ok_or(ProxyUrlError::Malformed)?;
        let authorization = user_info.map(|user_info| {
            let decoded = Zeroizing::new(percent_decode(user_info));
            let encoded =
                Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(&*decoded));
            let mut value = Zeroizing::new(String::with_capacity(6 + encoded.len()));
            value.push_str("Basic ");
            value.push_str(&encoded);
            value
        });
        Ok(Proxy {
            host: host.to_string(),
            port,
            authorization,
        })
    }

    /// The proxy's host name or IP address, without IPv6 brackets.
    pub(crate) fn host(&self) -> &str {
        &self.host
    }

    /// The proxy's port.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// The `Proxy-Authorization` header value (`Basic ...`), if the URL had
    /// credentials. Borrowed from memory that is wiped on drop: copy it
    /// only into buffers that are wiped too.
    pub(crate) fn authorization(&self) -> Option<&str> {
        self.authorization.as_deref().map(String::as_str)
    }

    /// The `CONNECT` request that opens a tunnel to `host:port` (`host`
    /// without brackets). Holds the proxy credentials, so it is wiped on drop.
    pub(crate) fn connect_request(&self, host: &str, port: u16) -> Zeroizing<Vec<u8>> {
        let target = match host.contains(':') {
            true => format!("[{host}]:{port}"),
            false => format!("{host}:{port}"),
        };
        let mut request = Zeroizing::new(Vec::with_capacity(128));
        for piece in ["CONNECT ", &target, " HTTP/1.1\r\nHost: ", &target, "\r\n"] {
            request.extend_from_slice(piece.as_bytes());
        }
        if let Some(authorization) = self.authorization() {
            request.extend_from_slice(b"Proxy-Authorization: ");
            request.extend_from_slice(authorization.as_bytes());
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"\r\n");
        request
    }
}

/// `host[:port]` or `[v6][:port]`; port 1080 when absent.
fn split_host_port(host_port: &str) -> Option<(&str, u16)> {
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']')?;
        host.parse::<Ipv6Addr>().ok()?;
        match after {
            "" => (host, None),
            after => (host, Some(after.strip_prefix(':')?)),
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    let port = match port {
        Some(port) if port.bytes().all(|b| b.is_ascii_digit()) => {
            port.parse::<u16>().ok().filter(|port| *port != 0)?
        }
        Some(_) => return None,
        None => 1080,
    };
    let valid_name = host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._:".contains(&b));
    (!host.is_empty() && valid_name).then_some((host, port))
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

/// A destination host, normalised for matching: no brackets, no trailing dot.
enum Host<'a> {
    Ip(IpAddr),
    Name(&'a str),
}

impl<'a> Host<'a> {
    fn new(host: &'a str) -> Host<'a> {
        let host = host.trim();
        let unbracketed = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        match unbracketed.parse::<IpAddr>() {
            Ok(ip) => Host::Ip(canonical(ip)),
            Err(_) => Host::Name(host.strip_suffix('.').unwrap_or(host)),
        }
    }

    fn is_loopback(&self) -> bool {
        match self {
            Host::Ip(ip) => ip.is_loopback(),
            Host::Name(name) => is_localhost_name(name),
        }
    }
}

/// `localhost`, `*.localhost`, with or without a trailing dot: names that
/// RFC 6761 reserves for loopback.
pub(crate) fn is_localhost_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    name.eq_ignore_ascii_case("localhost")
        || (name.len() > ".localhost".len()
            && name.as_bytes()[name.len() - ".localhost".len()] == b'.'
            && name[name.len() - "localhost".len()..].eq_ignore_ascii_case("localhost"))
}

/// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as the IPv4 address it
/// reaches; other addresses as they are.
pub(crate) fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// Whether any entry of a `NO_PROXY` list exempts `host:port`. Entries are
/// separated by commas (and whitespace around them) and matched without
/// regard to case:
///
/// - `*`: every host;
/// - `example.com`, `.example.com`, `*.example.com`: the domain and its
///   subdomains, on label boundaries (not `badexample.com`);
/// - an IP address, with or without IPv6 brackets, or a CIDR range
///   (`10.0.0.0/8`, `fd00::/8`): addresses, never names;
/// - any of these with `:port`: only that port.
fn no_proxy_matches(list: &str, host: &Host<'_>, port: u16) -> bool {
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .any(|entry| entry_matches(entry, host, port))
}

fn entry_matches(entry: &str, host: &Host<'_>, port: u16) -> bool {
    if entry == "*" {
        return true;
    }
    let Some((pattern, entry_port)) = split_entry_port(entry) else {
        return false;
    };
    if entry_port.is_some_and(|entry_port| entry_port != port) {
        return false;
    }
    match host {
        Host::Ip(ip) => ip_matches(pattern, *ip),
        Host::Name(name) => {
            let domain = pattern.trim_start_matches("*.").trim_start_matches('.');
            let domain = domain.strip_suffix('.').unwrap_or(domain);
            !domain.is_empty()
                && (name.eq_ignore_ascii_case(domain)
                    || (name.len() > domain.len()
                        && name.as_bytes()[name.len() - domain.len() - 1] == b'.'
                        && name[name.len() - domain.len()..].eq_ignore_ascii_case(domain)))
        }
    }
}

/// An entry without its `:port`, and the port. `None` for a port that is
/// not a number. A bare IPv6 address (more than one colon, no brackets)
/// has no port.
fn split_entry_port(entry: &str) -> Option<(&str, Option<u16>)> {
    if let Some(bracketed) = entry.strip_prefix('[') {
        let (inside, after) = bracketed.split_once(']')?;
        return match after {
            "" => Some((inside, None)),
            // `[fd00::]/8`: the prefix length follows the brackets.
            after if after.starts_with('/') => Some((entry, None)),
            after => Some((inside, Some(after.strip_prefix(':')?.parse().ok()?))),
        };
    }
    match entry.matches(':').count() {
        1 => {
            let (pattern, port) = entry.split_once(':')?;
            Some((pattern, Some(port.parse().ok()?)))
        }
        _ => Some((entry, None)),
    }
}

/// An IP address or CIDR range (`10.0.0.0/8`, `fd00::/8`, `[fd00::]/8`)
/// against an address; IPv4-mapped addresses compare as IPv4.
fn ip_matches(pattern: &str, ip: IpAddr) -> bool {
    let (address, prefix) = match pattern.split_once('/') {
        Some((address, prefix)) => match prefix.parse::<u8>() {
            Ok(prefix) => (address, Some(prefix)),
            Err(_) => return false,
        },
        None => (pattern, None),
    };
    let address = address.trim_start_matches('[').trim_end_matches(']');
    let Ok(network) = address.parse::<IpAddr>() else {
        return false;
    };
    match (canonical(network), ip) {
        (IpAddr::V4(network), IpAddr::V4(ip)) => {
            prefix_matches(&network.octets(), &ip.octets(), prefix.unwrap_or(32))
        }
        (IpAddr::V6(network), IpAddr::V6(ip)) => {
            prefix_matches(&network.octets(), &ip.octets(), prefix.unwrap_or(128))
        }
        _ => false,
    }
}

/// Whether the first `prefix` bits agree; a prefix longer than the address
/// matches nothing.
fn prefix_matches(network: &[u8], ip: &[u8], prefix: u8) -> bool {
    let prefix = usize::from(prefix);
    if prefix > network.len() * 8 {
        return false;
    }
    let (whole, bits) = (prefix / 8, prefix % 8);
    if network[..whole] != ip[..whole] {
        return false;
    }
    bits == 0 || {
        let mask = 0xffu8 << (8 - bits);
        network[whole] & mask == ip[whole] & mask
    }
}

/// Loopback in every form the kernel routes to the loopback interface:
/// `127.0.0.0/8`, `::1` and IPv4-mapped `::ffff:127.0.0.0/104`.
pub(crate) fn is_loopback_ip(ip: IpAddr) -> bool {
    canonical(ip).is_loopback()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        let map: HashMap<&str, &str> = vars.iter().copied().collect();
        move |name| map.get(name).map(|value| value.to_string())
    }

    /// The proxy's `host:port` that `choose` picks with `vars`, or `None`.
    fn chosen(scheme: Scheme, host: &str, port: u16, vars: &[(&str, &str)]) -> Option<String> {
        choose(scheme, host, port, None, &env_of(vars))
            .unwrap()
            .map(|proxy| format!("{}:{}", proxy.host(), proxy.port()))
    }

    #[test]
    fn the_variable_follows_the_scheme_and_uppercase_http_proxy_is_ignored() {
        use Scheme::*;
        let all = [
            ("https_proxy", "http://lower-https:1"),
            ("HTTPS_PROXY", "http://upper-https:2"),
            ("http_proxy", "http://lower-http:3"),
            ("HTTP_PROXY", "http://upper-http:4"),
            ("all_proxy", "http://lower-all:5"),
            ("ALL_PROXY", "http://upper-all:6"),
        ];
        let h = "api.ovok.test";
        assert_eq!(
            chosen(Https, h, 443, &all).as_deref(),
            Some("lower-https:1")
        );
        assert_eq!(
            chosen(Https, h, 443, &all[1..]).as_deref(),
            Some("upper-https:2")
        );
        assert_eq!(
            chosen(Https, h, 443, &all[2..]).as_deref(),
            Some("lower-all:5")
        );
        assert_eq!(
            chosen(Https, h, 443, &all[5..]).as_deref(),
            Some("upper-all:6")
        );
        assert_eq!(chosen(Http, h, 80, &all).as_deref(), Some("lower-http:3"));
        // httpoxy: HTTP_PROXY alone is never used; ALL_PROXY is.
        assert_eq!(
            chosen(Http, h, 80, &all[3..]).as_deref(),
            Some("lower-all:5")
        );
        assert_eq!(chosen(Http, h, 80, &all[3..4]), None);
        assert_eq!(
            chosen(Https, h, 443, &all[2..4]),
            None,
            "http_proxy is not for https"
        );
        assert_eq!(chosen(Https, h, 443, &[]), None);
        // Empty counts as unset, as in curl.
        let empty = [
            ("https_proxy", " "),
            ("HTTPS_PROXY", "http://upper-https:2"),
        ];
        assert_eq!(
            chosen(Https, h, 443, &empty).as_deref(),
            Some("upper-https:2")
        );
    }

    #[test]
    fn loopback_is_never_proxied_not_even_through_an_explicit_proxy() {
        let vars = [
            ("https_proxy", "http://p:1"),
            ("http_proxy", "http://p:1"),
            ("all_proxy", "http://p:1"),
        ];
        let explicit = Proxy::parse("http://explicit:3128").unwrap();
        for host in [
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
            "::ffff:127.0.0.1",
            "localhost",
            "LOCALHOST.",
            "api.localhost",
            "a.b.LocalHost.",
        ] {
            for scheme in [Scheme::Http, Scheme::Https] {
                assert_eq!(chosen(scheme, host, 80, &vars), None, "{host}");
                let picked = choose(scheme, host, 80, Some(&explicit), &env_of(&vars)).unwrap();
                assert!(picked.is_none(), "{host} through the explicit proxy");
            }
        }
        for host in [
            "localhost.evil.com",
            "notlocalhost",
            "128.0.0.1",
            "::2",
            "xlocalhost",
        ] {
            assert!(chosen(Scheme::Https, host, 443, &vars).is_some(), "{host}");
        }
    }

    #[test]
    fn an_explicit_proxy_wins_over_the_environment_and_no_proxy() {
        let explicit = Proxy::parse("http://explicit:3128").unwrap();
        let vars = [("https_proxy", "socks5://bad:1"), ("no_proxy", "*")];
        let picked = choose(
            Scheme::Https,
            "api.ovok.test",
            443,
            Some(&explicit),
            &env_of(&vars),
        )
        .unwrap()
        .unwrap();
        assert!(matches!(picked, Cow::Borrowed(_)), "no copy per request");
        assert_eq!((picked.host(), picked.port()), ("explicit", 3128));
    }

    #[test]
    fn proxy_choice_modes() {
        let explicit = ProxyChoice::Explicit(Proxy::parse("http://explicit:3128").unwrap());
        let picked = explicit
            .for_request(Scheme::Https, "api.ovok.test", 443)
            .unwrap();
        assert_eq!(picked.unwrap().host(), "explicit");
        assert!(explicit
            .for_request(Scheme::Http, "127.0.0.1", 80)
            .unwrap()
            .is_none());
        assert!(ProxyChoice::Direct
            .for_request(Scheme::Https, "api.ovok.test", 443)
            .unwrap()
            .is_none());
    }

    #[test]
    fn no_proxy_matches_domains_on_label_boundaries() {
        let h = |host| Host::new(host);
        for (list, host, port, expected) in [
            ("*", "api.ovok.test", 443, true),
            ("example.com", "example.com", 443, true),
            ("example.com", "api.example.com", 443, true),
            ("example.com", "badexample.com", 443, false),
            ("example.com", "example.com.evil.test", 443, false),
            (".example.com", "api.example.com", 443, true),
            (".example.com", "example.com", 443, true),
            ("*.example.com", "a.b.example.com", 443, true),
            ("EXAMPLE.com.", "Api.Example.COM.", 443, true),
            ("example.com", "Api.Example.COM.", 443, true),
            ("  other.test , example.com  ", "api.example.com", 443, true),
            ("other.test,,", "api.example.com", 443, false),
            ("example.com:443", "api.example.com", 443, true),
            ("example.com:8443", "api.example.com", 443, false),
            ("example.com:x", "api.example.com", 443, false),
            ("10.1.2.3", "10.1.2.3", 443, true),
            ("10.1.2.3", "10.1.2.4", 443, false),
            ("10.0.0.0/8", "10.200.1.1", 443, true),
            ("10.0.0.0/8", "11.0.0.1", 443, false),
            ("192.168.0.0/16:443", "192.168.4.4", 443, true),
            ("192.168.0.0/16:443", "192.168.4.4", 80, false),
            ("10.0.0.0/33", "10.0.0.1", 443, false),
            ("0.0.0.0/0", "203.0.113.9", 443, true),
            ("10.0.0.0/8", "::ffff:10.1.1.1", 443, true),
            ("2001:db8::1", "2001:db8::1", 443, true),
            ("2001:db8::1", "[2001:db8::1]", 443, true),
            ("[2001:db8::1]", "2001:db8::1", 443, true),
            ("[2001:db8::1]:443", "2001:db8::1", 443, true),
            ("[2001:db8::1]:80", "2001:db8::1", 443, false),
            ("2001:db8::/32", "2001:db8:ffff::1", 443, true),
            ("2001:db8::/32", "2001:db9::1", 443, false),
            ("[2001:db8::]/32", "2001:db8::5", 443, true),
            ("fd00::/7", "fdff::1", 443, true),
            ("2001:db8::/129", "2001:db8::1", 443, false),
            ("10.0.0.0/8", "ten.example", 443, false),
            ("example.com", "10.0.0.1", 443, false),
            ("", "example.com", 443, false),
            (".", "example.com", 443, false),
        ] {
            assert_eq!(
                no_proxy_matches(list, &h(host), port),
                expected,
                "NO_PROXY={list:?} vs {host}:{port}"
            );
        }
    }

    #[test]
    fn no_proxy_from_either_variable_exempts_the_host() {
        let h = "api.internal.test";
        let lower = [("https_proxy", "http://p:1"), ("no_proxy", "internal.test")];
        let upper = [
            ("https_proxy", "http://p:1"),
            ("NO_PROXY", ".internal.test"),
        ];
        assert_eq!(chosen(Scheme::Https, h, 443, &lower), None);
        assert_eq!(chosen(Scheme::Https, h, 443, &upper), None);
        assert_eq!(
            chosen(Scheme::Https, "api.ovok.test", 443, &upper).as_deref(),
            Some("p:1")
        );
        // An exempt host never looks at the proxy URL, even a bad one.
        let bad = [("https_proxy", "socks5://p:1"), ("no_proxy", "*")];
        assert_eq!(chosen(Scheme::Https, h, 443, &bad), None);
    }

    #[test]
    fn proxy_urls() {
        for (url, host, port) in [
            ("http://proxy.example:3128", "proxy.example", 3128),
            ("HTTP://proxy.example:3128/", "proxy.example", 3128),
            ("http://proxy.example", "proxy.example", 1080),
            ("proxy.example:3128", "proxy.example", 3128),
            ("  http://10.0.0.1:8080  ", "10.0.0.1", 8080),
            ("http://[::1]:8080", "::1", 8080),
            ("http://[2001:db8::1]", "2001:db8::1", 1080),
        ] {
            let proxy = Proxy::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!((proxy.host(), proxy.port()), (host, port), "{url}");
            assert!(proxy.authorization().is_none());
        }
        for bad in [
            "ftp://proxy.example",
            "http://",
            "",
            "http://proxy.example:0",
            "http://proxy.example:99999",
            "http://proxy.example:+80",
            "http://proxy.example:3128/path",
            "http://proxy example:3128",
            "http://[::1",
            "http://[zz]:80",
            "http://[::1]x",
            "http://pro\u{e9}xy:80",
            "nonsense",
            "proxy.example",
            "proxy.example:",
        ] {
            assert_eq!(Proxy::parse(bad), Err(ProxyUrlError::Malformed), "{bad:?}");
        }
        assert_eq!(Proxy::parse("https://p:443"), Err(ProxyUrlError::Https));
        for (url, scheme) in [
            ("socks4://p:1080", "socks4"),
            ("socks4a://p:1080", "socks4a"),
            ("SOCKS5://p:1080", "socks5"),
            ("socks5h://user:pw@p:1080", "socks5h"),
        ] {
            assert_eq!(
                Proxy::parse(url),
                Err(ProxyUrlError::Socks(scheme)),
                "{url}"
            );
        }
    }

    #[test]
    fn socks_or_invalid_urls_in_the_environment_are_connection_errors_naming_the_variable() {
        for (vars, variable, needle) in [
            (
                [("https_proxy", "socks5h://user:Secr3t@p:1080")],
                "https_proxy",
                "SOCKS proxy (socks5h://)",
            ),
            (
                [("ALL_PROXY", "socks4://p:1080")],
                "ALL_PROXY",
                "SOCKS proxy (socks4://)",
            ),
            (
                [("HTTPS_PROXY", "http://user:Secr3t@p:1/x")],
                "HTTPS_PROXY",
                "is invalid",
            ),
            (
                [("all_proxy", "https://p:1")],
                "all_proxy",
                "https:// proxy",
            ),
        ] {
            let failure =
                choose(Scheme::Https, "api.ovok.test", 443, None, &env_of(&vars)).unwrap_err();
            assert_eq!(
                failure,
                ProxyError::Environment {
                    variable,
                    problem: Proxy::parse(vars[0].1).unwrap_err()
                }
            );
            let error = failure.to_error();
            assert_eq!(error.status, OvokStatus::Connection);
            assert!(error.message.contains(variable), "{}", error.message);
            assert!(error.message.contains(needle), "{}", error.message);
            assert!(!error.message.contains("Secr3t"), "{}", error.message);
            assert!(!error.message.contains("p:1"), "{}", error.message);
        }
    }

    #[test]
    fn credentials_become_basic_authorization_and_are_never_shown() {
        let proxy = Proxy::parse("http://us%65r:p%40ss:word@proxy.example:3128").unwrap();
        // base64("user:p@ss:word")
        assert_eq!(proxy.authorization(), Some("Basic dXNlcjpwQHNzOndvcmQ="));
        let request = proxy.connect_request("api.ovok.com", 443);
        assert_eq!(
            std::str::from_utf8(&request).unwrap(),
            "CONNECT api.ovok.com:443 HTTP/1.1\r\nHost: api.ovok.com:443\r\n\
             Proxy-Authorization: Basic dXNlcjpwQHNzOndvcmQ=\r\n\r\n"
        );
        assert_eq!(format!("{proxy:?}"), "Proxy { .. }");
        let choice = ProxyChoice::Explicit(proxy);
        assert!(!format!("{choice:?}").contains("dXNlcjpwQHNzOndvcmQ"));
    }

    #[test]
    fn ipv6_targets_are_bracketed() {
        let proxy = Proxy::parse("http://proxy.example:3128").unwrap();
        let request = proxy.connect_request("2001:db8::1", 8443);
        assert_eq!(
            &request[..],
            b"CONNECT [2001:db8::1]:8443 HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\n\r\n"
        );
    }

    #[test]
    fn loopback_ips_include_ipv4_mapped_ones() {
        for (ip, expected) in [
            ("127.0.0.1", true),
            ("127.255.0.9", true),
            ("::1", true),
            ("::ffff:127.0.0.1", true),
            ("::ffff:10.0.0.1", false),
            ("10.0.0.1", false),
            ("0.0.0.0", false),
            ("::", false),
        ] {
            assert_eq!(is_loopback_ip(ip.parse().unwrap()), expected, "{ip}");
        }
    }
}
