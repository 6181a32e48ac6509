//! Logging in through a real HTTP proxy: tinyproxy from Debian's packages,
//! started by `scripts/start-tinyproxy.sh` (which installs it when missing).
//!
//! Loopback is never proxied, so the proxied requests go to a name that is
//! not loopback, [`EMULATOR_NAME`], which nothing resolves: tinyproxy hands
//! every tunnel to an upstream proxy of this file ([`Upstream`]), which
//! plays the proxy's DNS and connects it to the emulator on loopback. The
//! tunnel is still tinyproxy's: its CONNECT parsing, its `BasicAuth` and
//! `ConnectPort` checks, and its log, with one `CONNECT NAME:PORT` line per
//! tunnel: that is how these tests prove a request went through the proxy
//! (and, with `set_proxy_from_env(false)`, `NO_PROXY` or a loopback target,
//! that it did not).
//!
//! When tinyproxy cannot be installed the tests fail, unless
//! `OVOK_ALLOW_SKIP_PROXY=1` is set: then they print a loud SKIPPED line and
//! pass.
//!
//! Proxy environment variables are process-global, so the tests about
//! `HTTPS_PROXY` and `NO_PROXY` run in a child process: this test binary
//! again, filtered to the ignored test `child_process_proxy_environment`,
//! with the variables set by `Command::env` before it starts. Setting them
//! with `std::env::set_var` in this process would race every other test
//! running on another thread (reading the environment while another thread
//! writes it is undefined behaviour on glibc, and `set_var` is `unsafe` in
//! edition 2024), and the shared default client behind `ovok_login` reads
//! the environment once, on first use, so a second scenario in the same
//! process could not change it anyway. A dedicated test file would fix only
//! the first problem.

mod common;

use std::ffi::CString;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::hostile::{short_timeout_client, Conn, HostileServer};
use common::pki::TestCa;
use common::{login, refused_url, Builder, Client};
use ovok::ffi::{
    ovok_client_builder_set_connect_timeout_ms, ovok_client_builder_set_proxy,
    ovok_client_builder_set_total_timeout_ms,
};
use ovok::OvokStatus;
use ovok_emulator::{Config, Emulator, DEMO_PASSWORD};

const PROXY_USER: &str = "ovok-proxy-user";
const PROXY_PASSWORD: &str = "Pr0xy-S3cret-7d41e9";
/// A destination that is not loopback; only [`Upstream`] knows where it is.
const EMULATOR_NAME: &str = "emulator.ovok-proxy.test";

/// A running tinyproxy; killed (and its directory removed) on drop.
struct Tinyproxy {
    child: Child,
    url: String,
    dir: PathBuf,
    _stdout: BufReader<ChildStdout>,
}

impl Tinyproxy {
    /// Starts tinyproxy with extra configuration lines, its tunnels
    /// handed to `upstream`. `None` when it is not available and skipping is
    /// allowed.
    fn start_with(upstream: &Upstream, extra_config: &[&str]) -> Option<Tinyproxy> {
        let upstream_line = format!("Upstream http {}", upstream.addr);
        let mut config = vec![upstream_line.as_str()];
        config.extend_from_slice(extra_config);
        Tinyproxy::start(&config)
    }

    /// Starts tinyproxy with extra configuration lines. `None` when it is not
    /// available and skipping is allowed.
    fn start(extra_config: &[&str]) -> Option<Tinyproxy> {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/start-tinyproxy.sh");
        let mut last_problem = String::new();
        for attempt in 0..3 {
            let dir = std::env::temp_dir().join(format!(
                "ovok-tinyproxy-{}-{:?}-{attempt}",
                std::process::id(),
                thread::current().id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            let stderr = File::create(dir.join("script.stderr")).unwrap();
            let mut child = Command::new("bash")
                .arg(script)
                .arg(&dir)
                .args(extra_config)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(stderr)
                .spawn()
                .expect("bash runs scripts/start-tinyproxy.sh");
            let mut stdout = BufReader::new(child.stdout.take().unwrap());
            let mut url = String::new();
            let _ = stdout.read_line(&mut url);
            let url = url.trim().to_string();
            if url.is_empty() {
                let status = child.wait().unwrap();
                let said = std::fs::read_to_string(dir.join("script.stderr")).unwrap_or_default();
                let _ = std::fs::remove_dir_all(&dir);
                if status.code() == Some(69) {
                    // tinyproxy is not installed and could not be installed.
                    let message = format!("tinyproxy is unavailable: {}", said.trim());
                    if std::env::var("OVOK_ALLOW_SKIP_PROXY").as_deref() == Ok("1") {
                        eprintln!(
                            "\n*** SKIPPED proxy test ({message}); OVOK_ALLOW_SKIP_PROXY=1 ***\n"
                        );
                        return None;
                    }
                    panic!("{message}. Set OVOK_ALLOW_SKIP_PROXY=1 to skip the proxy tests.");
                }
                panic!("scripts/start-tinyproxy.sh failed ({status}): {said}");
            }
            let mut proxy = Tinyproxy {
                child,
                url,
                dir,
                _stdout: stdout,
            };
            match proxy.wait_until_listening() {
                Ok(()) => return Some(proxy),
                // Most likely another process took the port first: try again.
                Err(problem) => last_problem = problem,
            }
        }
        panic!("tinyproxy did not start: {last_problem}");
    }

    fn addr(&self) -> SocketAddr {
        self.url.trim_start_matches("http://").parse().unwrap()
    }

    fn wait_until_listening(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut child_exited = false;
        while Instant::now() < deadline {
            if TcpStream::connect_timeout(&self.addr(), Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if let Ok(Some(_)) = self.child.try_wait() {
                child_exited = true;
                break;
            }
            thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "{} {}: {}",
            self.url,
            if child_exited {
                "exited"
            } else {
                "never listened"
            },
            self.log()
        ))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("tinyproxy.log")).unwrap_or_default()
    }

    /// How many CONNECT tunnels to `target` (`host:port`) the proxy has
    /// logged, waiting up to a second for the count to reach `expected` (the
    /// log is written by the proxy's own thread).
    fn connects_to(&self, target: &str, expected: usize) -> usize {
        count_connects(&self.dir.join("tinyproxy.log"), target, expected)
    }

    /// Every CONNECT request in the log, whatever its target.
    fn all_connects(&self) -> usize {
        self.log()
            .lines()
            .filter(|l| l.contains("): CONNECT "))
            .count()
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn emulator(config: Config) -> Emulator {
    Emulator::start("127.0.0.1:0", config).expect("the emulator starts")
}

/// An https emulator with a certificate for [`EMULATOR_NAME`], its CA, and
/// the upstream proxy that reaches it.
fn named_https_emulator() -> (Emulator, TestCa, Upstream) {
    let ca = TestCa::new("ovok proxy test CA");
    let emulator = emulator(Config {
        tls: Some(ca.server_identity(&[EMULATOR_NAME])),
        ..Config::default()
    });
    let upstream = Upstream::start(emulator.local_addr());
    (emulator, ca, upstream)
}

/// `https://EMULATOR_NAME:PORT` for an emulator, and the CONNECT target.
fn named_url(emulator: &Emulator) -> (String, String) {
    let target = format!("{EMULATOR_NAME}:{}", emulator.local_addr().port());
    (format!("https://{target}"), target)
}

/// The upstream proxy behind tinyproxy: answers every CONNECT with 200 and
/// relays the tunnel to one address, as if every name resolved to it.
/// Records the targets it was asked for.
struct Upstream {
    addr: SocketAddr,
    _server: HostileServer,
}

impl Upstream {
    fn start(destination: SocketAddr) -> Upstream {
        let server = HostileServer::start(move |conn| relay(conn, destination));
        Upstream {
            addr: server.addr,
            _server: server,
        }
    }
}

/// Reads one CONNECT head from `conn`, then copies bytes both ways between
/// it and `destination` until either side closes.
fn relay(conn: &mut Conn, destination: SocketAddr) {
    let Some(request) = conn.read_head() else {
        return;
    };
    if !request.head.starts_with("CONNECT ") {
        conn.write(b"HTTP/1.0 400 Bad Request\r\n\r\n");
        return;
    }
    let Ok(server) = TcpStream::connect(destination) else {
        conn.write(b"HTTP/1.0 502 Bad Gateway\r\n\r\n");
        return;
    };
    if !conn.write(b"HTTP/1.0 200 Connection established\r\n\r\n") {
        return;
    }
    let client = conn.raw();
    let (mut client_in, mut server_out) =
        (client.try_clone().unwrap(), server.try_clone().unwrap());
    let upstream = thread::spawn(move || {
        let _ = std::io::copy(&mut client_in, &mut server_out);
        let _ = server_out.shutdown(Shutdown::Write);
    });
    let mut server_in = server;
    let _ = std::io::copy(&mut server_in, client);
    let _ = client.shutdown(Shutdown::Write);
    let _ = upstream.join();
}

/// A configured client with short timeouts that goes through `proxy_url`,
/// trusting `ca_pem` when given.
fn proxied_client(proxy_url: &str, ca_pem: Option<&str>) -> Client {
    let builder = Builder::new();
    let proxy = CString::new(proxy_url).unwrap();
    // SAFETY: a live builder and live buffers.
    unsafe {
        assert_eq!(
            ovok_client_builder_set_connect_timeout_ms(builder.0, 2_000),
            OvokStatus::Ok
        );
        assert_eq!(
            ovok_client_builder_set_total_timeout_ms(builder.0, 5_000),
            OvokStatus::Ok
        );
        assert_eq!(
            ovok_client_builder_set_proxy(builder.0, proxy.as_ptr()),
            OvokStatus::Ok,
            "{:?}",
            builder.last_error()
        );
        if let Some(pem) = ca_pem {
            assert_eq!(builder.add_ca_pem(pem), OvokStatus::Ok);
        }
    }
    builder.build().expect("the proxied client builds")
}

fn assert_no_proxy_password(message: Option<&str>) {
    if let Some(message) = message {
        assert!(
            !message.contains(PROXY_PASSWORD) && !message.contains(DEMO_PASSWORD),
            "a secret in {message:?}"
        );
    }
}

#[test]
fn login_and_refresh_over_https_through_a_tinyproxy_connect_tunnel() {
    let (emulator, ca, upstream) = named_https_emulator();
    let Some(proxy) = Tinyproxy::start_with(&upstream, &[]) else {
        return;
    };
    let (url, target) = named_url(&emulator);
    let client = proxied_client(&proxy.url, Some(&ca.pem()));

    let outcome = client.login(&url, DEMO_PASSWORD);
    assert_eq!(
        (outcome.status, outcome.http_status),
        (OvokStatus::Ok, 200),
        "{outcome:?}\n{}",
        proxy.log()
    );
    assert_eq!(emulator.requests_served(), 1);
    assert_eq!(proxy.connects_to(&target, 1), 1, "{}", proxy.log());

    let refreshed = client.refresh(&url, &outcome.refresh_token.unwrap());
    assert_eq!(refreshed.status, OvokStatus::Ok, "{refreshed:?}");
    assert_eq!(emulator.requests_served(), 2);
    assert_eq!(
        proxy.connects_to(&target, 1),
        1,
        "the refresh reused the tunnel (the pool keeps proxied connections too)"
    );

    // Through the tunnel, the certificate is still checked end to end.
    let untrusting = proxied_client(&proxy.url, None);
    let outcome = untrusting.login(&url, DEMO_PASSWORD);
    assert_eq!(
        (outcome.status, outcome.http_status),
        (OvokStatus::Tls, 0),
        "{outcome:?}"
    );
    assert_eq!(emulator.requests_served(), 2, "nothing was sent in clear");
}

#[test]
fn loopback_is_never_proxied_even_through_an_explicit_proxy() {
    let Some(proxy) = Tinyproxy::start(&[]) else {
        return;
    };
    let plain = emulator(Config::default());
    let ca = TestCa::new("ovok loopback test CA");
    let tls = emulator(Config {
        tls: Some(ca.server_identity(&["localhost", "127.0.0.1"])),
        ..Config::default()
    });
    let client = proxied_client(&proxy.url, Some(&ca.pem()));
    let localhost = plain.url().replace("127.0.0.1", "localhost.");
    for url in [plain.url(), &localhost, tls.url()] {
        let outcome = client.login(url, DEMO_PASSWORD);
        assert_eq!(outcome.status, OvokStatus::Ok, "{url}: {outcome:?}");
    }
    assert_eq!(plain.requests_served(), 2);
    assert_eq!(tls.requests_served(), 1);
    thread::sleep(Duration::from_millis(300));
    assert_eq!(proxy.all_connects(), 0, "{}", proxy.log());
}

#[test]
fn a_proxy_url_with_a_wrong_port_is_a_connection_error() {
    let (emulator, ca, _upstream) = named_https_emulator();
    let (url, _) = named_url(&emulator);
    let wrong = refused_url();
    let started = Instant::now();
    let outcome = proxied_client(&wrong, Some(&ca.pem())).login(&url, DEMO_PASSWORD);
    assert_eq!(
        (outcome.status, outcome.http_status),
        (OvokStatus::Connection, 0),
        "{outcome:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(emulator.connections_accepted(), 0, "nothing went direct");
    assert_no_proxy_password(outcome.error_message.as_deref());
}

#[test]
fn a_proxy_that_refuses_the_connect_is_a_connection_error() {
    // Debian's default: CONNECT only to 443 and 563, so not to the emulator.
    let (emulator, ca, upstream) = named_https_emulator();
    let Some(proxy) = Tinyproxy::start_with(&upstream, &["ConnectPort 443", "ConnectPort 563"])
    else {
        return;
    };
    let (url, _) = named_url(&emulator);
    let outcome = proxied_client(&proxy.url, Some(&ca.pem())).login(&url, DEMO_PASSWORD);
    assert_eq!(
        (outcome.status, outcome.http_status),
        (OvokStatus::Connection, 0),
        "{outcome:?}"
    );
    assert_eq!(
        outcome.error_message.as_deref(),
        Some("the proxy refused the CONNECT request (HTTP 403)")
    );
    assert_eq!(emulator.connections_accepted(), 0);
}

#[test]
fn proxy_credentials_are_sent_and_never_shown() {
    let (emulator, ca, upstream) = named_https_emulator();
    let auth = format!("BasicAuth {PROXY_USER} {PROXY_PASSWORD}");
    let Some(proxy) = Tinyproxy::start_with(&upstream, &[&auth]) else {
        return;
    };
    let (url, _) = named_url(&emulator);
    let addr = proxy.addr();
    let pem = ca.pem();

    let good = format!("http://{PROXY_USER}:{PROXY_PASSWORD}@{addr}");
    let outcome = proxied_client(&good, Some(&pem)).login(&url, DEMO_PASSWORD);
    assert_eq!(
        outcome.status,
        OvokStatus::Ok,
        "{outcome:?}\n{}",
        proxy.log()
    );
    assert_eq!(emulator.requests_served(), 1);

    // tinyproxy answers 407 without credentials and 401 for wrong ones.
    for (proxy_url, code) in [
        (
            format!("http://{PROXY_USER}:wrong-{PROXY_PASSWORD}@{addr}"),
            401,
        ),
        (format!("http://{addr}"), 407),
    ] {
        let outcome = proxied_client(&proxy_url, Some(&pem)).login(&url, DEMO_PASSWORD);
        assert_eq!(
            (outcome.status, outcome.http_status),
            (OvokStatus::Connection, 0),
            "{outcome:?}"
        );
        assert_eq!(
            outcome.error_message,
            Some(format!(
                "the proxy refused the CONNECT request (HTTP {code})"
            ))
        );
        assert_no_proxy_password(outcome.error_message.as_deref());
    }
    assert_eq!(
        emulator.requests_served(),
        1,
        "refused tunnels sent nothing"
    );
}

#[test]
fn socks_and_https_proxy_urls_are_refused_by_the_builder_without_echoing_them() {
    for scheme in ["socks4", "socks4a", "socks5", "socks5h", "socks9", "https"] {
        let builder = Builder::new();
        let bad = CString::new(format!(
            "{scheme}://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:1080"
        ))
        .unwrap();
        // SAFETY: a live builder and a live string.
        let status = unsafe { ovok_client_builder_set_proxy(builder.0, bad.as_ptr()) };
        assert_eq!(status, OvokStatus::InvalidArgument, "{scheme}");
        let message = builder.last_error().unwrap_or_default();
        assert!(message.starts_with("proxy URL "), "{message}");
        if scheme.starts_with("socks") && scheme != "socks9" {
            assert!(message.contains("SOCKS"), "{message}");
        }
        assert!(!message.contains(PROXY_USER), "{message}");
        assert_no_proxy_password(Some(&message));
    }
}

// --- the proxy environment variables, in a child process --------------------

/// Which scenario the child runs; unset outside the child.
const SCENARIO: &str = "OVOK_PROXY_TEST_SCENARIO";
/// The proxy's log file, for the child to count tunnels.
const PROXY_LOG: &str = "OVOK_PROXY_TEST_LOG";
/// The emulator's CA, for the child to trust.
const CA_PEM: &str = "OVOK_PROXY_TEST_CA_PEM";
/// The emulator's address, for the child to name its port.
const EMULATOR_ADDR: &str = "OVOK_PROXY_TEST_EMULATOR";

const PROXY_VARIABLES: [&str; 8] = [
    "ALL_PROXY",
    "all_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// Runs `child_process_proxy_environment` in a child with exactly `vars` as
/// its proxy environment, and asserts that it passed. The child talks to
/// the emulator of `setup`, if given, by [`EMULATOR_NAME`].
fn run_child(
    scenario: &str,
    vars: &[(&str, &str)],
    setup: Option<(&Emulator, &TestCa, &Tinyproxy)>,
) {
    common::run_in_child("child_process_proxy_environment", scenario, |command| {
        for name in PROXY_VARIABLES {
            command.env_remove(name);
        }
        command.env(SCENARIO, scenario).envs(vars.iter().copied());
        if let Some((emulator, ca, proxy)) = setup {
            command
                .env(PROXY_LOG, proxy.dir.join("tinyproxy.log"))
                .env(CA_PEM, ca.pem())
                .env(EMULATOR_ADDR, emulator.local_addr().to_string());
        }
    });
}

#[test]
fn https_proxy_in_the_environment_is_honoured_by_default_and_ignored_on_request() {
    let (emulator, ca, upstream) = named_https_emulator();
    let Some(proxy) = Tinyproxy::start_with(&upstream, &[]) else {
        return;
    };
    for variable in ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
        let before = proxy.all_connects();
        run_child(
            "honoured",
            &[
                (variable, &proxy.url),
                ("OVOK_PROXY_TEST_BEFORE", &before.to_string()),
            ],
            Some((&emulator, &ca, &proxy)),
        );
    }
}

#[test]
fn http_proxy_is_not_for_https_and_loopback_is_never_proxied_from_the_environment() {
    let (emulator, ca, upstream) = named_https_emulator();
    let Some(proxy) = Tinyproxy::start_with(&upstream, &[]) else {
        return;
    };
    run_child(
        "loopback",
        &[
            ("http_proxy", &proxy.url),
            ("HTTP_PROXY", &proxy.url),
            ("HTTPS_PROXY", &proxy.url),
            ("ALL_PROXY", &proxy.url),
        ],
        Some((&emulator, &ca, &proxy)),
    );
    assert_eq!(proxy.all_connects(), 0, "{}", proxy.log());
    run_child(
        "not-for-https",
        &[("http_proxy", &proxy.url), ("HTTP_PROXY", &proxy.url)],
        Some((&emulator, &ca, &proxy)),
    );
    assert_eq!(proxy.all_connects(), 0, "{}", proxy.log());
}

#[test]
fn no_proxy_exempts_the_host() {
    let (emulator, ca, upstream) = named_https_emulator();
    let Some(proxy) = Tinyproxy::start_with(&upstream, &[]) else {
        return;
    };
    for no_proxy in [
        ("NO_PROXY", EMULATOR_NAME),
        ("no_proxy", ".ovok-proxy.test"),
        ("NO_PROXY", "other.test, OVOK-PROXY.TEST."),
        ("no_proxy", "*"),
    ] {
        run_child(
            "exempt",
            &[("HTTPS_PROXY", &proxy.url), no_proxy],
            Some((&emulator, &ca, &proxy)),
        );
    }
    assert_eq!(proxy.all_connects(), 0, "{}", proxy.log());
    run_child(
        "honoured",
        &[
            ("HTTPS_PROXY", &proxy.url),
            ("NO_PROXY", "badovok-proxy.test,emulator.ovok-proxy.test:1"),
            ("OVOK_PROXY_TEST_BEFORE", "0"),
        ],
        Some((&emulator, &ca, &proxy)),
    );
}

#[test]
fn a_dead_proxy_in_the_environment_fails_by_default_and_is_bypassed_on_request() {
    let dead = refused_url();
    run_child("dead", &[("HTTPS_PROXY", &dead)], None);
}

#[test]
fn a_socks_proxy_in_the_environment_is_an_error_naming_the_variable() {
    let socks = format!("socks5h://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:1080");
    run_child("socks", &[("https_proxy", &socks)], None);
}

fn count_connects(log: &std::path::Path, target: &str, expected: usize) -> usize {
    let needle = format!("): CONNECT {target} ");
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let count = text.lines().filter(|l| l.contains(&needle)).count();
        if count >= expected || Instant::now() > deadline {
            return count;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// A client with default settings except short timeouts and `ca_pem`: it
/// honours the environment's proxy.
fn default_proxy_client(ca_pem: Option<&str>) -> Client {
    let builder = Builder::new();
    // SAFETY: a live builder.
    unsafe {
        assert_eq!(
            ovok_client_builder_set_total_timeout_ms(builder.0, 5_000),
            OvokStatus::Ok
        );
    }
    if let Some(pem) = ca_pem {
        assert_eq!(builder.add_ca_pem(pem), OvokStatus::Ok);
    }
    builder.build().unwrap()
}

/// A client that ignores the environment's proxy
/// (`ovok_client_builder_set_proxy_from_env(false)`).
fn direct_client() -> Client {
    short_timeout_client(2_000, 5_000)
}

/// What a direct https login to [`EMULATOR_NAME`] gets: the name resolves nowhere.
fn assert_went_direct(outcome: &common::Outcome) {
    assert_eq!(outcome.status, OvokStatus::Connection, "{outcome:?}");
    let message = outcome.error_message.as_deref().unwrap_or_default();
    assert!(
        message.starts_with("could not resolve the host"),
        "{outcome:?}"
    );
}

#[test]
#[ignore = "runs in a child process with proxy variables set; started by the tests above"]
fn child_process_proxy_environment() {
    let Ok(scenario) = std::env::var(SCENARIO) else {
        eprintln!("not in a child process started by tests/proxy.rs: nothing to do");
        return;
    };
    let ca_pem = std::env::var(CA_PEM).ok();
    let log = std::env::var(PROXY_LOG).map(PathBuf::from);
    let target = std::env::var(EMULATOR_ADDR)
        .map(|addr| format!("{EMULATOR_NAME}:{}", addr.rsplit(':').next().unwrap()));
    let url = target
        .as_ref()
        .map_or(format!("https://{EMULATOR_NAME}:1"), |t| {
            format!("https://{t}")
        });
    match scenario.as_str() {
        "honoured" => {
            let (log, target) = (log.unwrap(), target.unwrap());
            let before: usize = std::env::var("OVOK_PROXY_TEST_BEFORE")
                .unwrap()
                .parse()
                .unwrap();
            let outcome = default_proxy_client(ca_pem.as_deref()).login(&url, DEMO_PASSWORD);
            assert_eq!(outcome.status, OvokStatus::Ok, "{outcome:?}");
            assert_eq!(
                count_connects(&log, &target, before + 1),
                before + 1,
                "a default configured client uses the variable"
            );
            // ovok_login's shared client trusts the system's CAs, not the
            // test CA: the TLS failure comes through the proxy's tunnel.
            let outcome = login(&url, DEMO_PASSWORD);
            assert_eq!(outcome.status, OvokStatus::Tls, "{outcome:?}");
            assert_eq!(
                count_connects(&log, &target, before + 2),
                before + 2,
                "ovok_login uses the variable"
            );
            assert_went_direct(&direct_client().login(&url, DEMO_PASSWORD));
            thread::sleep(Duration::from_millis(300));
            assert_eq!(
                count_connects(&log, &target, before + 3),
                before + 2,
                "set_proxy_from_env(false) connects directly"
            );
        }
        "exempt" => {
            assert_went_direct(&default_proxy_client(ca_pem.as_deref()).login(&url, DEMO_PASSWORD));
            assert_went_direct(&login(&url, DEMO_PASSWORD));
        }
        "not-for-https" => {
            assert_went_direct(&default_proxy_client(ca_pem.as_deref()).login(&url, DEMO_PASSWORD));
        }
        "loopback" => {
            let plain = emulator(Config::default());
            let outcome = default_proxy_client(None).login(plain.url(), DEMO_PASSWORD);
            assert_eq!(outcome.status, OvokStatus::Ok, "{outcome:?}");
            let outcome = login(plain.url(), DEMO_PASSWORD);
            assert_eq!(outcome.status, OvokStatus::Ok, "{outcome:?}");
            let localhost = plain.url().replace("127.0.0.1", "localhost");
            let outcome = login(&localhost, DEMO_PASSWORD);
            assert_eq!(outcome.status, OvokStatus::Ok, "{outcome:?}");
            assert_eq!(
                plain.requests_served(),
                3,
                "all went straight to the server"
            );
        }
        "dead" => {
            let outcome = default_proxy_client(None).login(&url, DEMO_PASSWORD);
            assert_eq!(
                (outcome.status, outcome.http_status),
                (OvokStatus::Connection, 0),
                "a default configured client uses HTTPS_PROXY: {outcome:?}"
            );
            let message = outcome.error_message.unwrap_or_default();
            assert!(message.contains("refused"), "{message}");
            let outcome = login(&url, DEMO_PASSWORD);
            assert_eq!(outcome.status, OvokStatus::Connection, "{outcome:?}");
            assert!(
                outcome
                    .error_message
                    .unwrap_or_default()
                    .contains("refused"),
                "ovok_login uses HTTPS_PROXY"
            );
            assert_went_direct(&direct_client().login(&url, DEMO_PASSWORD));
        }
        "socks" => {
            for outcome in [
                default_proxy_client(None).login(&url, DEMO_PASSWORD),
                login(&url, DEMO_PASSWORD),
            ] {
                assert_eq!(
                    (outcome.status, outcome.http_status),
                    (OvokStatus::Connection, 0),
                    "{outcome:?}"
                );
                let message = outcome.error_message.unwrap_or_default();
                assert!(message.contains("https_proxy"), "{message}");
                assert!(message.contains("SOCKS"), "{message}");
                assert!(!message.contains(PROXY_USER), "{message}");
                assert_no_proxy_password(Some(&message));
            }
            assert_went_direct(&direct_client().login(&url, DEMO_PASSWORD));
        }
        other => panic!("unknown scenario {other}"),
    }
}
