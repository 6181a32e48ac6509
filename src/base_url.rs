//! Which base URLs are accepted, and how routes are joined onto them.
//!
//! The rules are strict on purpose: the login request carries a password, so
//! it may only travel over https, except to this machine.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use crate::error::Error;

/// The base URL used when the caller gives none: Ovok's sandbox.
pub const DEFAULT_BASE_URL: &str = "https://api.sandbox.ovok.com";

/// Longer base URLs are rejected; real ones are far shorter.
pub const MAX_BASE_URL_LEN: usize = 2048;

/// The route of the login call, relative to the base URL.
pub const LOGIN_ROUTE: &str = "/v2/auth/login";

/// The route of the refresh call; Ovok has no `/v2` version of it.
pub const REFRESH_ROUTE: &str = "/auth/refresh-token";

/// The route that revokes an access token (Bearer), also unversioned.
pub const LOGOUT_ROUTE: &str = "/auth/logout";

/// A validated base URL: an http(s) origin plus an optional path prefix,
/// with no trailing slash, no query, no fragment and no user info.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseUrl {
    url: String,
    /// Where `url`'s path starts (after `scheme://authority`).
    path_start: usize,
    /// Shared with the idle connections to it, which are keyed by it.
    origin: Arc<Origin>,
}

/// Where requests for a base URL go: what a connection is made to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    pub https: bool,
    /// The host name or IP address, without IPv6 brackets: for DNS and SNI.
    pub host: String,
    pub port: u16,
    /// `host[:port]` as the URL spells it: the `Host` header.
    pub authority: String,
}

impl BaseUrl {
    /// Parses a base URL. `None` or `""` means [`DEFAULT_BASE_URL`].
    pub fn parse(base_url: Option<&str>) -> Result<BaseUrl, Error> {
        let raw = match base_url {
            None | Some("") => DEFAULT_BASE_URL,
            Some(raw) => raw,
        };
        if raw.len() > MAX_BASE_URL_LEN {
            return Err(invalid(format!("is longer than {MAX_BASE_URL_LEN} bytes")));
        }
        if let Some(bad) = raw.chars().find(|c| !c.is_ascii_graphic()) {
            return Err(invalid(format!(
                "contains {bad:?}; percent-encode it or remove it"
            )));
        }

        let (scheme, rest) = raw
            .split_once("://")
            .ok_or_else(|| invalid("has no scheme; it must start with https://".to_string()))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "https" && scheme != "http" {
            return Err(invalid(format!(
                "uses the scheme {scheme:?}; only https (and http to loopback) is allowed"
            )));
        }
        if rest.contains('#') {
            return Err(invalid("has a fragment (#...)".to_string()));
        }
        if rest.contains('?') {
            return Err(invalid("has a query (?...)".to_string()));
        }

        let (authority, path) = match rest.find('/') {
            Some(slash) => rest.split_at(slash),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(invalid(
                "has user info (user@host); credentials never go in the URL".to_string(),
            ));
        }
        let (host, port) = parse_authority(authority)?;
        if scheme == "http" && !host.is_loopback() {
            return Err(invalid(
                "uses plain http to a host that is not loopback; use https".to_string(),
            ));
        }

        check_path(path)?;
        let path = path.trim_end_matches('/');
        let https = scheme == "https";
        let origin = Origin {
            https,
            host: match host {
                Host::Name(name) => name.to_ascii_lowercase(),
                Host::V4(ip) => ip.to_string(),
                Host::V6(ip) => ip.to_string(),
            },
            port: port.unwrap_or(if https { 443 } else { 80 }),
            authority: authority.to_string(),
        };
        Ok(BaseUrl {
            path_start: scheme.len() + "://".len() + authority.len(),
            url: format!("{scheme}://{authority}{path}"),
            origin: Arc::new(origin),
        })
    }

    /// The full URL of a route such as [`LOGIN_ROUTE`].
    pub fn join(&self, route: &str) -> String {
        format!("{}{}", self.url, route)
    }

    /// The request target (path) of a route, e.g. `/prefix/v2/auth/login`.
    pub(crate) fn path_of(&self, route: &str) -> String {
        format!("{}{}", &self.url[self.path_start..], route)
    }

    /// The origin that requests go to.
    pub fn origin(&self) -> &Arc<Origin> {
        &self.origin
    }

    /// The base URL itself, normalised (lower-case scheme, no trailing slash).
    pub fn as_str(&self) -> &str {
        &self.url
    }
}

enum Host<'a> {
    Name(&'a str),
    V4(Ipv4Addr),
    V6(Ipv6Addr),
}

impl Host<'_> {
    fn is_loopback(&self) -> bool {
        match self {
            Host::Name(name) => {
                let name = name.strip_suffix('.').unwrap_or(name);
                name.eq_ignore_ascii_case("localhost")
            }
            Host::V4(ip) => ip.is_loopback(),
            Host::V6(ip) => ip.is_loopback(),
        }
    }
}

fn parse_authority(authority: &str) -> Result<(Host<'_>, Option<u16>), Error> {
    if authority.is_empty() {
        return Err(invalid("has no host".to_string()));
    }
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (literal, after) = bracketed
            .split_once(']')
            .ok_or_else(|| invalid("has an IPv6 address without a closing ']'".to_string()))?;
        let ip: Ipv6Addr = literal
            .parse()
            .map_err(|_| invalid("has an invalid IPv6 address".to_string()))?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or_else(|| {
                invalid("has text after the IPv6 address that is not a port".to_string())
            })?),
        };
        (Host::V6(ip), port)
    } else {
        let (name, port) = match authority.rsplit_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (authority, None),
        };
        (parse_host_name(name)?, port)
    };
    let port = port.map(check_port).transpose()?;
    Ok((host, port))
}

fn parse_host_name(name: &str) -> Result<Host<'_>, Error> {
    if name.is_empty() {
        return Err(invalid("has no host".to_string()));
    }
    if let Ok(ip) = name.parse::<Ipv4Addr>() {
        return Ok(Host::V4(ip));
    }
    let labels = name.strip_suffix('.').unwrap_or(name);
    let valid_label = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if labels.len() > 253 || !labels.split('.').all(valid_label) {
        return Err(invalid("has an invalid host name".to_string()));
    }
    Ok(Host::Name(name))
}

fn check_port(port: &str) -> Result<u16, Error> {
    let valid = !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit());
    match port.parse::<u16>() {
        Ok(port @ 1..) if valid => Ok(port),
        // The value is not quoted: a mistyped URL can put part of a
        // password where the port should be.
        _ => Err(invalid(
            "has an invalid port; a port is a number from 1 to 65535".to_string(),
        )),
    }
}

/// Allows what RFC 3986 allows in a path: unreserved characters, sub-delims,
/// ':', '@', '/' and percent-escapes.
fn check_path(path: &str) -> Result<(), Error> {
    let bytes = path.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte == b'%' {
            let escape = bytes.get(index + 1..index + 3);
            if !escape.is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)) {
                return Err(invalid(
                    "has a '%' in its path that does not start a %XX escape".to_string(),
                ));
            }
            index += 3;
            continue;
        }
        if !(byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&byte)) {
            return Err(invalid(format!(
                "has {:?} in its path; percent-encode it",
                char::from(byte)
            )));
        }
        index += 1;
    }
    Ok(())
}

fn invalid(problem: String) -> Error {
    Error::invalid_argument(format!("base_url {problem}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::OvokStatus;

    fn login_url(base: Option<&str>) -> Result<String, Error> {
        BaseUrl::parse(base).map(|b| b.join(LOGIN_ROUTE))
    }

    #[test]
    fn null_and_empty_mean_the_sandbox() {
        let expected = "https://api.sandbox.ovok.com/v2/auth/login";
        assert_eq!(login_url(None).unwrap(), expected);
        assert_eq!(login_url(Some("")).unwrap(), expected);
    }

    #[test]
    fn accepted_base_urls_and_where_they_send_the_login() {
        let cases = [
            ("https://api.ovok.com", "https://api.ovok.com/v2/auth/login"),
            (
                "https://api.ovok.com/",
                "https://api.ovok.com/v2/auth/login",
            ),
            (
                "https://api.ovok.com//",
                "https://api.ovok.com/v2/auth/login",
            ),
            ("HTTPS://api.ovok.com", "https://api.ovok.com/v2/auth/login"),
            (
                "https://gw.example/ovok",
                "https://gw.example/ovok/v2/auth/login",
            ),
            (
                "https://gw.example/ovok/",
                "https://gw.example/ovok/v2/auth/login",
            ),
            (
                "https://gw.example:8443/a/b",
                "https://gw.example:8443/a/b/v2/auth/login",
            ),
            (
                "http://127.0.0.1:8080",
                "http://127.0.0.1:8080/v2/auth/login",
            ),
            ("http://127.8.9.10", "http://127.8.9.10/v2/auth/login"),
            ("http://localhost:1", "http://localhost:1/v2/auth/login"),
            (
                "http://LOCALHOST.:65535",
                "http://LOCALHOST.:65535/v2/auth/login",
            ),
            ("http://[::1]:8080/", "http://[::1]:8080/v2/auth/login"),
            (
                "https://[2001:db8::1]",
                "https://[2001:db8::1]/v2/auth/login",
            ),
            ("https://10.0.0.1", "https://10.0.0.1/v2/auth/login"),
            (
                "https://my_host.internal",
                "https://my_host.internal/v2/auth/login",
            ),
        ];
        for (base, expected) in cases {
            assert_eq!(login_url(Some(base)).as_deref(), Ok(expected), "{base}");
        }
    }

    #[test]
    fn the_origin_and_request_path_are_what_the_url_says() {
        for (base, https, host, port, authority, path) in [
            (
                "https://API.Ovok.com",
                true,
                "api.ovok.com",
                443,
                "API.Ovok.com",
                "/v2/auth/login",
            ),
            (
                "http://127.0.0.1:8080/",
                false,
                "127.0.0.1",
                8080,
                "127.0.0.1:8080",
                "/v2/auth/login",
            ),
            (
                "http://[::1]:9/gw/",
                false,
                "::1",
                9,
                "[::1]:9",
                "/gw/v2/auth/login",
            ),
            ("https://[::1]", true, "::1", 443, "[::1]", "/v2/auth/login"),
            (
                "http://localhost",
                false,
                "localhost",
                80,
                "localhost",
                "/v2/auth/login",
            ),
        ] {
            let parsed = BaseUrl::parse(Some(base)).unwrap();
            let origin = parsed.origin();
            assert_eq!(
                (
                    origin.https,
                    origin.host.as_str(),
                    origin.port,
                    origin.authority.as_str()
                ),
                (https, host, port, authority),
                "{base}"
            );
            assert_eq!(parsed.path_of(LOGIN_ROUTE), path, "{base}");
        }
    }

    #[test]
    fn rejected_base_urls_name_the_problem() {
        let cases = [
            ("api.ovok.com", "no scheme"),
            ("ftp://api.ovok.com", "scheme \"ftp\""),
            ("file:///etc/passwd", "scheme \"file\""),
            ("https://user:pw@api.ovok.com", "user info"),
            ("https://api.ovok.com?x=1", "query"),
            ("https://api.ovok.com/?", "query"),
            ("https://api.ovok.com#top", "fragment"),
            ("http://api.ovok.com", "not loopback"),
            ("http://10.0.0.1", "not loopback"),
            ("http://[2001:db8::1]", "not loopback"),
            ("http://localhost.evil.com", "not loopback"),
            ("http://127.0.0.1.nip.io", "not loopback"),
            ("https://", "no host"),
            ("https:///path", "no host"),
            ("https://:443", "no host"),
            ("https://api.ovok.com:0", "invalid port"),
            ("https://api.ovok.com:65536", "invalid port"),
            ("https://api.ovok.com:", "invalid port"),
            ("https://api.ovok.com:http", "invalid port"),
            (
                "https://user:pa/ss@api.ovok.com",
                "invalid port; a port is a number from 1 to 65535",
            ),
            ("https://api.ovok.com/a`b", "has '`' in its path"),
            ("https://api.ovok.com/<x>", "has '<' in its path"),
            ("https://api.ovok.com/a\"b", "has '\"' in its path"),
            ("https://api.ovok.com/a{b}", "has '{' in its path"),
            ("https://api.ovok.com/a%2", "does not start a %XX escape"),
            ("https://api.ovok.com/a%zz", "does not start a %XX escape"),
            ("https://[::1", "closing"),
            ("https://[::g]", "invalid IPv6"),
            ("https://[::1]x", "not a port"),
            ("https://a..b", "invalid host"),
            ("https://-a.com", "invalid host"),
            ("https://a b.com", "contains ' '"),
            ("https://api.ovok.com/\u{e9}", "contains '\u{e9}'"),
            ("https://api.ovok.com/\n", "contains '\\n'"),
        ];
        for (base, needle) in cases {
            let error = login_url(Some(base)).expect_err(base);
            assert_eq!(error.status, OvokStatus::InvalidArgument, "{base}");
            assert!(
                error.message.starts_with("base_url ") && error.message.contains(needle),
                "{base}: {}",
                error.message
            );
        }
    }

    #[test]
    fn overlong_base_url_is_rejected() {
        let long = format!("https://a.com/{}", "p".repeat(MAX_BASE_URL_LEN));
        let error = login_url(Some(&long)).unwrap_err();
        assert!(error.message.contains("longer than"), "{}", error.message);
    }
}
