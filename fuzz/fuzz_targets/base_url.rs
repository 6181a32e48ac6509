//! Base-URL parsing on arbitrary strings: `ovok::BaseUrl::parse`.
//!
//! Invariants of an accepted base URL (the login carries a password, so these
//! are the security rules, not style):
//! - the login URL starts with `https://`, or with `http://` to a loopback host
//!   (127.0.0.0/8, `localhost`, `[::1]`);
//! - no `?` or `#` anywhere, no `@` in the authority, only visible ASCII;
//! - parsing the normalised form again gives the same base URL (round trip);
//! - a standard URL parser (`http::Uri`) sees the scheme, host and port that
//!   `BaseUrl::origin` connects to: the host that was checked is the host
//!   that gets connected to.
//!
//! A refused one is `InvalidArgument` with a message starting "base_url ".
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use ovok::base_url::LOGIN_ROUTE;
use ovok::{BaseUrl, OvokStatus};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let base = match BaseUrl::parse(Some(input)) {
        Ok(base) => base,
        Err(error) => {
            assert_eq!(error.status, OvokStatus::InvalidArgument);
            assert!(error.message.starts_with("base_url "), "{}", error.message);
            return;
        }
    };
    let normalised = base.as_str();
    let login = base.join(LOGIN_ROUTE);
    assert!(login.ends_with(LOGIN_ROUTE));
    assert!(!normalised.ends_with('/'), "{normalised}");
    assert!(
        login.bytes().all(|b| b.is_ascii_graphic()),
        "{login:?} has a byte that is not visible ASCII"
    );
    assert!(!login.contains('?') && !login.contains('#'), "{login}");

    let (scheme, rest) = login.split_once("://").expect("a scheme");
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    assert!(!authority.contains('@'), "user info in {login}");
    let (host, port) = split_host_port(authority);
    assert!(!host.is_empty(), "no host in {login}");
    match scheme {
        "https" => {}
        "http" => assert!(is_loopback(host), "plain http to {host:?} in {login}"),
        other => panic!("scheme {other:?} accepted in {login}"),
    }

    // Round trip: the normalised form is a fixed point.
    assert_eq!(
        BaseUrl::parse(Some(normalised)).as_ref(),
        Ok(&base),
        "{normalised}"
    );

    // A standard URL parser sees the origin that ovok connects to.
    let uri: http::Uri = login
        .parse()
        .unwrap_or_else(|error| panic!("accepted {login:?}, but http::Uri refuses it: {error}"));
    let origin = base.origin();
    assert_eq!(uri.scheme_str(), Some(scheme), "{login}");
    assert_eq!(origin.https, scheme == "https", "{login}");
    let uri_host = uri
        .host()
        .unwrap_or_else(|| panic!("http::Uri finds no host in {login}"));
    assert!(
        uri_host.eq_ignore_ascii_case(host),
        "{login}: checked {host:?}, http::Uri sees {uri_host:?}"
    );
    let bare = uri_host.trim_start_matches('[').trim_end_matches(']');
    let same_host = match (bare.parse::<IpAddr>(), origin.host.parse::<IpAddr>()) {
        // An IP address is connected to in its canonical spelling.
        (Ok(seen), Ok(connected)) => seen == connected,
        _ => origin.host.eq_ignore_ascii_case(bare),
    };
    assert!(
        same_host,
        "{login}: connects to {:?}, http::Uri sees {uri_host:?}",
        origin.host
    );
    assert_eq!(
        uri.port_u16(),
        port.map(|p| p.parse::<u16>().expect("a valid port")),
        "{login}"
    );
    let default_port = if origin.https { 443 } else { 80 };
    assert_eq!(origin.port, uri.port_u16().unwrap_or(default_port), "{login}");
    assert_eq!(uri.query(), None, "{login}");
});

/// `host[:port]` or `[v6][:port]`, host with its brackets.
fn split_host_port(authority: &str) -> (&str, Option<&str>) {
    if authority.starts_with('[') {
        let close = authority.find(']').expect("a closing bracket");
        let (host, after) = authority.split_at(close + 1);
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    }
}

fn is_loopback(host: &str) -> bool {
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback());
    }
    if let Ok(v4) = host.parse::<Ipv4Addr>() {
        return v4.is_loopback();
    }
    host.strip_suffix('.')
        .unwrap_or(host)
        .eq_ignore_ascii_case("localhost")
}
