//! Hardening: `ovok_client_login` and `ovok_client_refresh` against servers
//! that misbehave on purpose, through the C ABI.
//!
//! The behaviours and their expected outcomes are one table in
//! `tests/common/hostile.rs` (shared with `tests/secrets.rs`); this file runs
//! it and adds the cases that need more than a table row: memory and bytes
//! for the 50 MiB body, and TLS against servers that are not TLS servers.
//!
//! Every case runs through a configured client with a 1 s connect and 1.5 s
//! total timeout, all cases at once on their own threads, so the file takes
//! a few seconds. A case is checked for its status, HTTP status, a message
//! fragment, that the message is sanitized, its timing (decided well before
//! the timeout, or bounded by it), that the server saw exactly one
//! connection (no retry) and any extra check of its own.

mod common;

use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::hostile::{
    assert_no_problems, leaked_secrets, login_matrix, matrix_client, refresh_matrix, run_matrix,
    short_timeout_client, Call, Case, HostileServer, Timing, CONNECT_TIMEOUT_MS, PASSWORD, SECRETS,
    TOTAL_TIMEOUT_MS,
};
use ovok::response::MAX_BODY_LEN;
use ovok::OvokStatus;

const TIMEOUTS: (u32, u32) = (CONNECT_TIMEOUT_MS, TOTAL_TIMEOUT_MS);

fn assert_no_secret_in(ran: &[common::hostile::Ran]) {
    let leaks = leaked_secrets(ran, &SECRETS);
    assert!(leaks.is_empty(), "secrets in messages: {leaks:?}");
}

#[test]
fn login_against_hostile_servers() {
    let cases = login_matrix();
    assert!(cases.len() >= 20, "the matrix shrank to {}", cases.len());
    let client = matrix_client();
    let started = Instant::now();
    let ran = run_matrix(&client, cases, TIMEOUTS);
    eprintln!("{} login cases in {:?}", ran.len(), started.elapsed());
    assert_no_problems(&ran);
    assert_no_secret_in(&ran);
}

#[test]
fn refresh_against_hostile_servers() {
    let cases = refresh_matrix();
    let client = matrix_client();
    let ran = run_matrix(&client, cases, TIMEOUTS);
    assert_no_problems(&ran);
    assert_no_secret_in(&ran);
}

/// Peak resident memory of this process, in KiB (Linux only).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Set in a child process started by [`in_a_child_process`].
const ISOLATED: &str = "OVOK_TEST_ISOLATED";

/// Runs `test` (this binary's test of that name) alone in a child process
/// and asserts that it passed. Peak memory is process-wide, and the other
/// tests of this file run at the same time on other threads (the matrix
/// alone moves the peak by some 20 MiB), so a measurement needs a process
/// of its own.
fn in_a_child_process(test: &str) {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(ISOLATED, "1")
        .output()
        .expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{test} failed in its child process:\n{stdout}\n{stderr}"
    );
    eprint!("{stderr}");
}

/// The 50 MiB row of the matrix proves the status; this proves the cost: the
/// call returns long before a generous timeout, the client stops reading
/// once it is past the cap (the server cannot push the whole body), and the
/// process does not grow by the body's size. Runs in a child process of its
/// own so that the memory peak is this call's alone.
#[test]
fn a_50_mib_body_is_refused_quickly_reading_little_and_holding_little() {
    if std::env::var_os(ISOLATED).is_none() {
        return in_a_child_process(
            "a_50_mib_body_is_refused_quickly_reading_little_and_holding_little",
        );
    }
    const BIG: usize = 50 * 1024 * 1024;
    let written = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let (counter, done) = (written.clone(), finished.clone());
    let server = HostileServer::start(move |conn| {
        if conn.read_request().is_some() {
            conn.write(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {BIG}\r\n\r\n"
                )
                .as_bytes(),
            );
            counter.store(conn.write_filler(BIG, b' '), Ordering::SeqCst);
            done.store(1, Ordering::SeqCst);
        }
    });
    let client = short_timeout_client(1000, 20_000);
    let before = peak_rss_kib();
    let started = Instant::now();
    let outcome = client.login(&server.url(), PASSWORD);
    let elapsed = started.elapsed();
    let after = peak_rss_kib();

    assert_eq!(
        (outcome.status, outcome.http_status),
        (OvokStatus::InvalidResponse, 200),
        "{outcome:?}"
    );
    assert_eq!(
        outcome.error_message.as_deref(),
        Some("response body is larger than 1048576 bytes")
    );
    assert!(
        elapsed < Duration::from_secs(3),
        "took {elapsed:?} with a 20 s timeout"
    );
    // The server's writes end when the client closes the socket.
    let deadline = Instant::now() + Duration::from_secs(5);
    while finished.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    let pushed = written.load(Ordering::SeqCst);
    assert!(
        finished.load(Ordering::SeqCst) == 1 && pushed < BIG / 2,
        "the server pushed {pushed} bytes: the client kept reading past the {MAX_BODY_LEN}-byte cap"
    );
    if let (Some(before), Some(after)) = (before, after) {
        let grown_mib = (after.saturating_sub(before)) / 1024;
        eprintln!("peak memory grew by {grown_mib} MiB while refusing a 50 MiB body");
        assert!(
            grown_mib < 16,
            "peak memory grew by {grown_mib} MiB while refusing a 50 MiB body"
        );
    }
}

/// TLS against servers that do not speak TLS properly. The existing tests
/// (client_ffi.rs, login_tls.rs) cover certificates: untrusted CA, wrong
/// name, expired, trusted private CA.
///
/// - A plain-HTTP server on the https port answers the ClientHello with an
///   HTTP 400; rustls reads "HTTP" as a record of an unknown content type:
///   `TLS`, quickly.
/// - A fatal alert (handshake_failure) from the server: `TLS`.
/// - A server that reads the ClientHello and closes (FIN): `CONNECTION`
///   ("closed the connection early"). Nothing TLS-specific went wrong that
///   the client could see: the peer hung up, exactly like a close before an
///   HTTP response, and the header documents "closed early" as
///   `OVOK_STATUS_CONNECTION` (`TLS` is for a handshake or certificate
///   *failure* that was observed). Firewalls and overloaded load balancers
///   do this, and a retry may help, which `CONNECTION` suggests and `TLS`
///   does not.
/// - The same with an RST: `CONNECTION` ("reset").
/// - A server that never answers the ClientHello: the handshake is part of
///   connecting, so the connect timeout (1 s) bounds it: `TIMEOUT`.
#[test]
fn tls_against_servers_that_break_the_handshake() {
    fn read_client_hello(conn: &mut common::hostile::Conn) -> bool {
        let mut buffer = [0u8; 4096];
        // A ClientHello starts with a handshake record: 0x16 0x03 0x01.
        matches!(conn.raw().read(&mut buffer), Ok(n) if n >= 5 && buffer[0] == 0x16)
    }
    let tls_case = |name: &'static str,
                    server: HostileServer,
                    expected: (OvokStatus, &str),
                    timing: Timing| {
        let url = server.https_url();
        Case::new(
            name,
            Call::Login,
            server,
            (expected.0, 0, expected.1),
            timing,
        )
        .with_base_url(url)
    };
    let cases = vec![
        tls_case(
            "https to a plain-HTTP server",
            HostileServer::start(move |conn| {
                if read_client_hello(conn) {
                    conn.write(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 44\r\nConnection: close\r\n\r\nClient sent an HTTP request to an HTTPS port");
                    conn.close();
                }
            }),
            (OvokStatus::Tls, "TLS failed: "),
            Timing::Fast,
        ),
        tls_case(
            "https: a fatal handshake_failure alert",
            HostileServer::start(|conn| {
                if read_client_hello(conn) {
                    conn.write(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]);
                    conn.close();
                }
            }),
            (
                OvokStatus::Tls,
                "TLS failed: received fatal alert: HandshakeFailure",
            ),
            Timing::Fast,
        ),
        tls_case(
            "https: closed (FIN) during the handshake",
            HostileServer::start(|conn| {
                if read_client_hello(conn) {
                    conn.close();
                }
            }),
            (
                OvokStatus::Connection,
                "the server closed the connection early",
            ),
            Timing::Fast,
        ),
        tls_case(
            "https: reset (RST) during the handshake",
            HostileServer::start(|conn| {
                // Leave the ClientHello unread: dropping the socket then sends an RST.
                thread::sleep(Duration::from_millis(100));
                conn.reset();
            }),
            (OvokStatus::Connection, "the connection was reset"),
            Timing::Fast,
        ),
        tls_case(
            "https: the ClientHello is never answered",
            HostileServer::start(|conn| {
                if read_client_hello(conn) {
                    conn.stall(Duration::from_secs(10));
                }
            }),
            (
                OvokStatus::Timeout,
                "could not connect within the 1 s connect timeout",
            ),
            Timing::TimesOut,
        ),
    ];
    let client = matrix_client();
    let ran = run_matrix(&client, cases, TIMEOUTS);
    assert_no_problems(&ran);
    assert_no_secret_in(&ran);
}

/// A server may close a keep-alive connection while it sits idle in the
/// pool, and the client may send its next request before it notices. The
/// request then goes again on a new connection, once, and the caller sees no
/// error. A connection that is new when it fails is never retried (the
/// matrix above checks that each case saw exactly one connection).
#[test]
fn a_reused_connection_that_the_server_closed_is_retried_once_on_a_new_one() {
    let response =
        common::hostile::json_response("200 OK", &common::hostile::login_body().to_string());
    // Keep-alive by the headers (no `Connection: close`), closed all the same.
    let server = HostileServer::start(move |conn| {
        if conn.read_request().is_some() {
            conn.write(&response);
            conn.close();
        }
    });
    let client = matrix_client();
    for call in 1..=3 {
        let outcome = client.login(&server.url(), PASSWORD);
        assert_eq!(outcome.status, OvokStatus::Ok, "call {call}: {outcome:?}");
    }
    assert_eq!(server.requests(), 3, "each login was answered once");
    assert_eq!(
        server.connections(),
        3,
        "calls 2 and 3 each needed a new connection"
    );
}

/// ureq-proto waits for a chunk-size or trailer line whole; ovok's buffer
/// stops it at its limit with a named status instead of growing without end.
#[test]
fn an_endless_chunked_trailer_line_is_refused_at_the_buffer_limit() {
    let server = HostileServer::start(|conn| {
        if conn.read_request().is_some() {
            conn.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                  Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nX-Trailer: ",
            );
            conn.write_filler(1024 * 1024, b'a');
        }
    });
    let outcome = matrix_client().login(&server.url(), PASSWORD);
    assert_eq!(outcome.status, OvokStatus::InvalidResponse, "{outcome:?}");
    let message = outcome.error_message.unwrap_or_default();
    assert!(
        message.contains("trailer line of the response is longer than"),
        "{message}"
    );
}
