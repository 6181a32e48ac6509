//! Logging in through a real HTTP proxy: tinyproxy from Debian's packages,
//! started by `scripts/start-tinyproxy.sh` (which installs it when missing).
//!
//! Every proxied request goes through a CONNECT tunnel, http targets
//! included, so tinyproxy's log has one `CONNECT 127.0.0.1:PORT` line per
//! tunnel: that is how these tests prove a request went through the proxy
//! (and, with `set_proxy_from_env(false)` or `NO_PROXY`, that it did not).
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
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::hostile::short_timeout_client;
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

/// A running tinyproxy; killed (and its directory removed) on drop.
struct Tinyproxy {
    child: Child,
    url: String,
    dir: PathBuf,
    _stdout: BufReader<ChildStdout>,
}

impl Tinyproxy {
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

    /// How many CONNECT tunnels to `target` the proxy has logged, waiting up
    /// to a second for the count to reach `expected` (the log is written by
    /// the proxy's own thread).
    fn connects_to(&self, target: SocketAddr, expected: usize) -> usize {
        let needle = format!("CONNECT {target} ");
        let deadline = Instant::now() + Duration::from_secs(1);
        loop {
            let count = self.log().lines().filter(|l| l.contains(&needle)).count();
            if count >= expected || Instant::now() > deadline {
                return count;
            }
            thread::sleep(Duration::from_millis(20));
        }
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
fn login_and_refresh_over_http_through_tinyproxy() {
    let Some(proxy) = Tinyproxy::start(&[]) else {
        return;
    };
    let emulator = emulator(Config::default());
    let client = proxied_client(&proxy.url, None);

    let outcome = client.login(emulator.url(), DEMO_PASSWORD);
    assert_eq!(
        (outcome.status, outcome.http_status),
        (OvokStatus::Ok, 200),
        "{outcome:?}\n{}",
        proxy.log()
    );
    assert_eq!(emulator.requests_served(), 1, "the emulator saw the login");
    assert_eq!(
        proxy.connects_to(emulator.local_addr(), 1),
        1,
        "the login went through the proxy:\n{}",
        proxy.log()
    );

    let refreshed = client.refresh(emulator.url(), &outcome.refresh_token.unwrap());
    assert_eq!(refreshed.status, OvokStatus::Ok, "{refreshed:?}");
    assert_eq!(emulator.requests_served(), 2);
    assert_eq!(
        proxy.connects_to(emulator.local_addr(), 1),
        1,
        "the refresh reused the tunnel (the pool keeps proxied connections too)"
    );
}

#[test]
fn login_over_https_through_a_tinyproxy_connect_tunnel() {
    let Some(proxy) = Tinyproxy::start(&[]) else {
        return;
    };
    let ca = TestCa::new("ovok proxy test CA");
    let emulator = emulator(Config {
        tls: Some(ca.server_identity(&["localhost", "127.0.0.1"])),
        ..Config::default()
    });
    assert!(emulator.url().starts_with("https://"));

    let client = proxied_client(&proxy.url, Some(&ca.pem()));
    let outcome = client.login(emulator.url(), DEMO_PASSWORD);
    assert_eq!(
        (outcome.status, outcome.http_status),
        (OvokStatus::Ok, 200),
        "{outcome:?}\n{}",
        proxy.log()
    );
    assert_eq!(emulator.requests_served(), 1);
    assert_eq!(proxy.connects_to(emulator.local_addr(), 1), 1);

    // Through the tunnel, the certificate is still checked end to end.
    let untrusting = proxied_client(&proxy.url, None);
    let outcome = untrusting.login(emulator.url(), DEMO_PASSWORD);
    assert_eq!(
        (outcome.status, outcome.http_status),
        (OvokStatus::Tls, 0),
        "{outcome:?}"
    );
    assert_eq!(emulator.requests_served(), 1, "nothing was sent in clear");
}

#[test]
fn a_proxy_url_with_a_wrong_port_is_a_connection_error() {
    let Some(proxy) = Tinyproxy::start(&[]) else {
        return;
    };
    let emulator = emulator(Config::default());
    let wrong_port = refused_url();
    let wrong = format!(
        "http://{}:{}",
        proxy.addr().ip(),
        wrong_port.rsplit(':').next().unwrap()
    );
    let started = Instant::now();
    let outcome = proxied_client(&wrong, None).login(emulator.url(), DEMO_PASSWORD);
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
    let Some(proxy) = Tinyproxy::start(&["ConnectPort 443", "ConnectPort 563"]) else {
        return;
    };
    let emulator = emulator(Config::default());
    let outcome = proxied_client(&proxy.url, None).login(emulator.url(), DEMO_PASSWORD);
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
    let auth = format!("BasicAuth {PROXY_USER} {PROXY_PASSWORD}");
    let Some(proxy) = Tinyproxy::start(&[&auth]) else {
        return;
    };
    let emulator = emulator(Config::default());
    let addr = proxy.addr();

    let good = format!("http://{PROXY_USER}:{PROXY_PASSWORD}@{addr}");
    let outcome = proxied_client(&good, None).login(emulator.url(), DEMO_PASSWORD);
    assert_eq!(
        outcome.status,
        OvokStatus::Ok,
        "{outcome:?}\n{}",
        proxy.log()
    );
    assert_eq!(emulator.requests_served(), 1);

    // tinyproxy answers 407 without credentials and 401 for wrong ones.
    for (url, code) in [
        (
            format!("http://{PROXY_USER}:wrong-{PROXY_PASSWORD}@{addr}"),
            401,
        ),
        (format!("http://{addr}"), 407),
    ] {
        let outcome = proxied_client(&url, None).login(emulator.url(), DEMO_PASSWORD);
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

    // The builder refuses nothing here, and never echoes the URL when it does.
    let builder = Builder::new();
    let bad = CString::new(format!("socks9://{PROXY_USER}:{PROXY_PASSWORD}@{addr}")).unwrap();
    let status = unsafe { ovok_client_builder_set_proxy(builder.0, bad.as_ptr()) };
    assert_eq!(status, OvokStatus::InvalidArgument);
    assert_no_proxy_password(builder.last_error().as_deref());
}

// --- the proxy environment variables, in a child process --------------------

/// Which scenario the child runs; unset outside the child.
const SCENARIO: &str = "OVOK_PROXY_TEST_SCENARIO";
/// The proxy's log file, for the child to count tunnels.
const PROXY_LOG: &str = "OVOK_PROXY_TEST_LOG";

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
/// its proxy environment, and asserts that it passed.
fn run_child(scenario: &str, vars: &[(&str, &str)], log: Option<&PathBuf>) {
    common::run_in_child("child_process_proxy_environment", scenario, |command| {
        for name in PROXY_VARIABLES {
            command.env_remove(name);
        }
        command.env(SCENARIO, scenario).envs(vars.iter().copied());
        if let Some(log) = log {
            command.env(PROXY_LOG, log);
        }
    });
}

#[test]
fn https_proxy_in_the_environment_is_honoured_by_default_and_ignored_on_request() {
    let Some(proxy) = Tinyproxy::start(&[]) else {
        return;
    };
    let log = proxy.dir.join("tinyproxy.log");
    run_child("honoured", &[("HTTPS_PROXY", &proxy.url)], Some(&log));
}

#[test]
fn no_proxy_exempts_the_host() {
    let Some(proxy) = Tinyproxy::start(&[]) else {
        return;
    };
    let log = proxy.dir.join("tinyproxy.log");
    run_child(
        "exempt",
        &[("HTTPS_PROXY", &proxy.url), ("NO_PROXY", "127.0.0.1")],
        Some(&log),
    );
}

#[test]
fn a_dead_proxy_in_the_environment_fails_by_default_and_is_bypassed_on_request() {
    let dead = refused_url();
    run_child("dead", &[("HTTPS_PROXY", &dead)], None);
}

fn count_connects(log: &str, target: SocketAddr, expected: usize) -> usize {
    let needle = format!("CONNECT {target} ");
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

/// A client with default settings except short timeouts: it honours the
/// environment's proxy.
fn default_proxy_client() -> Client {
    let builder = Builder::new();
    unsafe {
        assert_eq!(
            ovok_client_builder_set_total_timeout_ms(builder.0, 5_000),
            OvokStatus::Ok
        );
    }
    builder.build().unwrap()
}

/// A client that ignores the environment's proxy
/// (`ovok_client_builder_set_proxy_from_env(false)`).
fn direct_client() -> Client {
    short_timeout_client(2_000, 5_000)
}

#[test]
#[ignore = "runs in a child process with proxy variables set; started by the tests above"]
fn child_process_proxy_environment() {
    let Ok(scenario) = std::env::var(SCENARIO) else {
        eprintln!("not in a child process started by tests/proxy.rs: nothing to do");
        return;
    };
    let emulator = emulator(Config::default());
    let target = emulator.local_addr();
    let url = emulator.url();
    match scenario.as_str() {
        "honoured" => {
            let log = std::env::var(PROXY_LOG).unwrap();
            let outcome = default_proxy_client().login(url, DEMO_PASSWORD);
            assert_eq!(outcome.status, OvokStatus::Ok, "{outcome:?}");
            assert_eq!(
                count_connects(&log, target, 1),
                1,
                "a default configured client uses HTTPS_PROXY"
            );
            let outcome = login(url, DEMO_PASSWORD);
            assert_eq!(outcome.status, OvokStatus::Ok, "{outcome:?}");
            assert_eq!(
                count_connects(&log, target, 2),
                2,
                "ovok_login uses HTTPS_PROXY"
            );
            let outcome = direct_client().login(url, DEMO_PASSWORD);
            assert_eq!(outcome.status, OvokStatus::Ok, "{outcome:?}");
            thread::sleep(Duration::from_millis(300));
            assert_eq!(
                count_connects(&log, target, 3),
                2,
                "set_proxy_from_env(false) connects directly"
            );
            assert_eq!(emulator.requests_served(), 3);
        }
        "exempt" => {
            let log = std::env::var(PROXY_LOG).unwrap();
            let outcome = default_proxy_client().login(url, DEMO_PASSWORD);
            assert_eq!(outcome.status, OvokStatus::Ok, "{outcome:?}");
            let outcome = login(url, DEMO_PASSWORD);
            assert_eq!(outcome.status, OvokStatus::Ok, "{outcome:?}");
            thread::sleep(Duration::from_millis(300));
            assert_eq!(
                count_connects(&log, target, 1),
                0,
                "NO_PROXY=127.0.0.1 bypasses the proxy"
            );
        }
        "dead" => {
            let outcome = default_proxy_client().login(url, DEMO_PASSWORD);
            assert_eq!(
                (outcome.status, outcome.http_status),
                (OvokStatus::Connection, 0),
                "a default configured client uses HTTPS_PROXY: {outcome:?}"
            );
            let outcome = login(url, DEMO_PASSWORD);
            assert_eq!(
                outcome.status,
                OvokStatus::Connection,
                "ovok_login uses HTTPS_PROXY: {outcome:?}"
            );
            assert_eq!(emulator.connections_accepted(), 0);
            let outcome = direct_client().login(url, DEMO_PASSWORD);
            assert_eq!(outcome.status, OvokStatus::Ok, "{outcome:?}");
            assert_eq!(emulator.requests_served(), 1);
        }
        other => panic!("unknown scenario {other}"),
    }
}
