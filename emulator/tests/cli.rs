//! Tests of the `ovok-emulator` binary as scripts use it.

mod common;

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{demo_login_body, Http};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_ovok-emulator");

/// Kills the child on drop so a failing test leaves no server behind.
struct Running {
    child: Child,
    url: String,
    stderr_lines: mpsc::Receiver<String>,
}

impl Running {
    fn start(args: &[&str]) -> Running {
        let mut child = Command::new(BIN)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ovok-emulator");
        let stdout = child.stdout.take().unwrap();
        let (url_tx, url_rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next().and_then(Result::ok);
            let _ = url_tx.send(first);
            // Anything further on stdout is a bug; report it.
            for line in lines.map_while(Result::ok) {
                let _ = url_tx.send(Some(format!("EXTRA STDOUT: {line}")));
            }
        });
        let stderr = child.stderr.take().unwrap();
        let (err_tx, stderr_lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = err_tx.send(line);
            }
        });
        let url = url_rx
            .recv_timeout(Duration::from_secs(20))
            .expect("URL line in time")
            .expect("a first stdout line");
        Running {
            child,
            url,
            stderr_lines,
        }
    }

    fn addr(&self) -> SocketAddr {
        let host_port = self.url.split_once("://").unwrap().1;
        host_port.parse().unwrap()
    }

    /// Collects stderr until a line containing `needle` shows up.
    fn stderr_until(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut seen = String::new();
        while Instant::now() < deadline {
            if let Ok(line) = self.stderr_lines.recv_timeout(Duration::from_millis(100)) {
                seen.push_str(&line);
                seen.push('\n');
                if line.contains(needle) {
                    return seen;
                }
            }
        }
        panic!("no stderr line containing {needle:?}; got:\n{seen}");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ovok-emulator-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn prints_url_first_and_logs_without_secrets() {
    let running = Running::start(&[]);
    let addr = running.addr();
    assert_eq!(running.url, format!("http://127.0.0.1:{}", addr.port()));

    let mut http = Http::connect(addr);
    let login = http.post_json("/v2/auth/login", &demo_login_body());
    assert_eq!(login.status, 200);
    let login = login.json();
    let refreshed = http
        .post_json(
            "/auth/refresh-token?refresh_token=in-query",
            &json!({"refresh_token": login["refreshToken"]}),
        )
        .json();

    let log = running.stderr_until("/auth/refresh-token");
    assert!(log.contains("POST /v2/auth/login 200"), "{log}");
    assert!(log.contains("POST /auth/refresh-token 200"), "{log}");
    let secrets = [
        ovok_emulator::DEMO_PASSWORD.to_owned(),
        "in-query".to_owned(),
        login["accessToken"].as_str().unwrap().to_owned(),
        login["refreshToken"].as_str().unwrap().to_owned(),
        refreshed["access_token"].as_str().unwrap().to_owned(),
        refreshed["refresh_token"].as_str().unwrap().to_owned(),
    ];
    for secret in &secrets {
        assert!(!log.contains(secret.as_str()), "log leaks {secret}:\n{log}");
    }
    // Token signatures alone must not appear either.
    let signature = secrets[2].rsplit('.').next().unwrap();
    assert!(!log.contains(signature));
}

#[test]
fn quiet_suppresses_request_logs() {
    let running = Running::start(&["--quiet"]);
    let mut http = Http::connect(running.addr());
    assert_eq!(http.request("GET", "/quiet-probe", &[], b"").status, 404);
    std::thread::sleep(Duration::from_millis(300));
    let logged: Vec<String> = running.stderr_lines.try_iter().collect();
    assert!(
        logged.iter().all(|line| !line.contains("/quiet-probe")),
        "{logged:?}"
    );
}

#[test]
fn users_file_and_lifetime_flags() {
    let users = temp_file(
        "users.json",
        br#"[{"email":"ada@example.org","password":"lovelace","clientId":"11111111-2222-4333-8444-555555555555",
             "project":{"reference":"Project/p1","display":"Engines"},
             "profile":{"reference":"Practitioner/ada","display":"Ada"}}]"#,
    );
    let running = Running::start(&[
        "--users",
        users.to_str().unwrap(),
        "--token-lifetime",
        "90",
        "--quiet",
    ]);
    let mut http = Http::connect(running.addr());
    let response = http.post_json(
        "/auth/login",
        &json!({"email": "ada@example.org", "password": "lovelace",
                "clientId": "11111111-2222-4333-8444-555555555555"}),
    );
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json()["expiresIn"], 90);
}

fn run_to_end(args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn invalid_users_file_exits_2_with_a_reason() {
    let users = temp_file("bad-users.json", br#"[{"email":"x"}]"#);
    let (code, stdout, stderr) = run_to_end(&[
        "--listen",
        "127.0.0.1:0",
        "--users",
        users.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2));
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("bad-users.json"), "{stderr}");
    assert!(stderr.contains("missing field"), "{stderr}");

    let (code, _, stderr) = run_to_end(&["--users", "/nonexistent/users.json"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("cannot read"), "{stderr}");
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let (code, stdout, _) = run_to_end(&["--help"]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("--listen"));
    assert!(stdout.contains("--refresh-lifetime"));
    for flag in ["--latency", "--fail-rate", "--seed"] {
        assert!(stdout.contains(flag), "{flag} missing from help");
    }

    let (code, _, stderr) = run_to_end(&["--fail-rate", "2"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--fail-rate"), "{stderr}");

    let (code, _, stderr) = run_to_end(&["--frobnicate"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--frobnicate"), "{stderr}");

    let (code, _, stderr) = run_to_end(&["--tls-cert", "x.pem"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--tls-key"), "{stderr}");
}

#[test]
fn fail_rate_and_latency_flags_take_effect() {
    let running = Running::start(&[
        "--quiet",
        "--fail-rate",
        "1",
        "--seed",
        "3",
        "--latency",
        "1",
    ]);
    let mut http = Http::connect(running.addr());
    let response = http.post_json("/v2/auth/login", &demo_login_body());
    assert_eq!(response.status, 500);
    assert_eq!(response.json()["error"], "Internal Server Error");
    let stats = http.request("GET", "/_emulator/stats", &[], b"").json();
    assert_eq!(stats["loginRequests"], 1);
}

#[test]
fn busy_port_is_a_clear_failure() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, stdout, stderr) = run_to_end(&["--listen", &addr]);
    assert_eq!(code, Some(1));
    assert!(stdout.is_empty());
    assert!(stderr.contains("cannot listen"), "{stderr}");
}

#[test]
fn dies_on_sigterm() {
    let mut running = Running::start(&["--quiet"]);
    let addr = running.addr();
    let status = Command::new("kill")
        .args(["-TERM", &running.child.id().to_string()])
        .status();
    if status.is_err() {
        return; // no `kill` binary on this system; nothing to check
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if running.child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(TcpStream::connect(addr).is_err());
}
