//! End-to-end tests: a real emulator on a loopback port, raw HTTP over TCP.

mod common;

use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{demo_login_body, jwt_claims, Http};
use ovok_emulator::{Config, Emulator, DEMO_PROFILE_REFERENCE, DEMO_PROJECT_REFERENCE};
use serde_json::json;

fn start() -> Emulator {
    Emulator::start("127.0.0.1:0", Config::default()).expect("start emulator")
}

#[test]
fn emulator_can_live_in_a_static() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Emulator>();
}

#[test]
fn starts_and_stops_inside_a_callers_tokio_runtime() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let emulator = start();
        let mut http = Http::connect(emulator.local_addr());
        assert_eq!(
            http.post_json("/v2/auth/login", &demo_login_body()).status,
            200
        );
        drop(emulator); // must not panic for blocking inside a runtime
        assert!(http.closed_by_server());
    });
}

#[test]
fn url_is_the_bound_address() {
    let emulator = start();
    assert_eq!(
        emulator.url(),
        format!("http://127.0.0.1:{}", emulator.local_addr().port())
    );
    assert!(!emulator.url().ends_with('/'));
}

#[test]
fn login_on_both_paths() {
    let emulator = start();
    for path in ["/v2/auth/login", "/auth/login"] {
        let mut http = Http::connect(emulator.local_addr());
        let response = http.post_json(path, &demo_login_body());
        assert_eq!(response.status, 200, "{path}: {}", response.body);
        assert!(response
            .header("Content-Type")
            .unwrap()
            .starts_with("application/json"));
        let body = response.json();
        assert_eq!(body["expiresIn"], 3600);
        assert_eq!(body["project"]["reference"], DEMO_PROJECT_REFERENCE);
        assert_eq!(body["profile"]["display"], "Max Mustermann");
        let claims = jwt_claims(body["accessToken"].as_str().unwrap());
        assert_eq!(claims["sub"], DEMO_PROFILE_REFERENCE);
        for claim in ["iat", "exp", "jti"] {
            assert!(!claims[claim].is_null(), "missing {claim}");
        }
        let refresh = jwt_claims(body["refreshToken"].as_str().unwrap());
        assert_eq!(refresh["typ"], "refresh");
    }
    assert_eq!(emulator.requests_served(), 2);
}

#[test]
fn keep_alive_login_then_refresh_on_one_connection() {
    let emulator = start();
    let mut http = Http::connect(emulator.local_addr());
    let login = http.post_json("/v2/auth/login", &demo_login_body()).json();
    let refreshed = http.post_json(
        "/auth/refresh-token",
        &json!({"refresh_token": login["refreshToken"]}),
    );
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    let refreshed = refreshed.json();
    assert_eq!(refreshed["expires_in"], 3600);
    assert!(refreshed["access_token"].is_string());
    // Rotation: the old refresh token is spent, on the same connection too.
    let reuse = http.post_json(
        "/auth/refresh-token",
        &json!({"refresh_token": login["refreshToken"]}),
    );
    assert_eq!(
        reuse.json(),
        json!({"statusCode": 401, "message": "Invalid refresh token", "error": "Unauthorized"})
    );
    assert_eq!(emulator.requests_served(), 3);
}

#[test]
fn unknown_paths_and_methods_are_nest_404s() {
    let emulator = start();
    let mut http = Http::connect(emulator.local_addr());
    let response = http.request("GET", "/foo", &[], b"");
    assert_eq!(response.status, 404);
    assert_eq!(
        response.header("Content-Type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(
        response.json(),
        json!({"statusCode": 404, "message": "Cannot GET /foo", "error": "Not Found"})
    );
    let response = http.request("GET", "/v2/auth/login", &[], b"");
    assert_eq!(response.json()["message"], "Cannot GET /v2/auth/login");
    let response = http.post_json("/v2/auth/logout", &json!({}));
    assert_eq!(response.json()["message"], "Cannot POST /v2/auth/logout");
}

#[test]
fn error_statuses_over_http() {
    let emulator = start();
    let mut http = Http::connect(emulator.local_addr());

    let response = http.request(
        "POST",
        "/v2/auth/login",
        &[("Content-Type", "text/plain")],
        demo_login_body().to_string().as_bytes(),
    );
    assert_eq!(response.status, 400);
    assert_eq!(response.json()["error"], "Bad Request");

    let response = http.request(
        "POST",
        "/v2/auth/login",
        &[("Content-Type", "application/json")],
        b"{oops",
    );
    assert_eq!(response.status, 400);

    let response = http.post_json("/v2/auth/login", &json!({"email": "nope"}));
    assert_eq!(response.status, 422);
    assert_eq!(
        response.json()["message"],
        json!([
            "email must be an email",
            "password must be a string",
            "clientId must be a string"
        ])
    );

    let mut body = demo_login_body();
    body["clientId"] = json!("00000000-0000-4000-8000-000000000000");
    let response = http.post_json("/v2/auth/login", &body);
    assert_eq!(response.status, 404);
    assert_eq!(response.json()["error"], "Not Found");

    let mut body = demo_login_body();
    body["password"] = json!("hunter2-not-it");
    let response = http.post_json("/v2/auth/login", &body);
    assert_eq!(response.status, 401);
    assert!(!response.body.contains("hunter2"));
    assert_eq!(
        response.header("Content-Type"),
        Some("application/json; charset=utf-8")
    );
}

#[test]
fn declared_oversized_body_is_413_without_reading_it() {
    let emulator = start();
    let mut http = Http::connect(emulator.local_addr());
    // Only the headers are sent; the server must answer without waiting.
    http.write_raw(
        b"POST /v2/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
          Content-Length: 1048577\r\n\r\n",
    );
    let response = http.read_response();
    assert_eq!(response.status, 413);
    assert_eq!(
        response.json(),
        json!({"statusCode": 413, "message": "request entity too large", "error": "Payload Too Large"})
    );
}

#[test]
fn oversized_body_is_413_and_closes_the_connection() {
    let emulator = start();
    let mut http = Http::connect(emulator.local_addr());
    let big = vec![b' '; 1024 * 1024 + 512];
    let response = http.request(
        "POST",
        "/v2/auth/login",
        &[("Content-Type", "application/json")],
        &big,
    );
    assert_eq!(response.status, 413);
    assert_eq!(response.header("Connection"), Some("close"));
    // The unread body would desync the connection, so the server ends it.
    assert!(http.closed_by_server());
    let mut http = Http::connect(emulator.local_addr());
    let response = http.post_json("/v2/auth/login", &demo_login_body());
    assert_eq!(response.status, 200);
}

/// tiny_http 0.12 allocated the declared Content-Length to drain the body,
/// so this request aborted the whole process.
#[test]
fn absurd_content_length_is_413_and_others_are_still_served() {
    let emulator = start();
    let mut other = Http::connect(emulator.local_addr());
    assert_eq!(
        other.post_json("/v2/auth/login", &demo_login_body()).status,
        200
    );

    let mut http = Http::connect(emulator.local_addr());
    http.write_raw(
        b"POST /v2/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
          Content-Length: 100000000000000\r\n\r\n{\"email\":",
    );
    let response = http.read_response();
    assert_eq!(response.status, 413);
    assert_eq!(
        response.json(),
        json!({"statusCode": 413, "message": "request entity too large", "error": "Payload Too Large"})
    );
    drop(http);

    // A length that does not even fit in 64 bits is hyper's malformed request.
    let mut http = Http::connect(emulator.local_addr());
    http.write_raw(
        b"POST /v2/auth/login HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\n",
    );
    assert_eq!(http.read_response().status, 400);
    assert!(http.closed_by_server());

    // The existing keep-alive connection and new ones keep working.
    assert_eq!(
        other.post_json("/v2/auth/login", &demo_login_body()).status,
        200
    );
    let mut fresh = Http::connect(emulator.local_addr());
    assert_eq!(
        fresh.post_json("/v2/auth/login", &demo_login_body()).status,
        200
    );
}

#[test]
fn chunked_request_bodies_are_decoded() {
    let emulator = start();
    let mut http = Http::connect(emulator.local_addr());
    let body = demo_login_body().to_string();
    let (a, rest) = body.split_at(7);
    let (b, c) = rest.split_at(20);
    let raw = format!(
        "POST /v2/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n\
         {:x}\r\n{a}\r\n{:X};name=value\r\n{b}\r\n{:x}\r\n{c}\r\n0\r\nX-Trailer: yes\r\n\r\n",
        a.len(),
        b.len(),
        c.len()
    );
    // Byte by byte, so every framing state sees partial input.
    for byte in raw.as_bytes() {
        http.write_raw(std::slice::from_ref(byte));
    }
    let response = http.read_response();
    assert_eq!(response.status, 200, "{}", response.body);
    assert!(response.json()["accessToken"].is_string());

    // The connection stays in sync: a chunked request with Expect, then a plain one.
    http.write_raw(
        b"POST /auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
          Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n",
    );
    assert_eq!(http.read_response().status, 100);
    http.write_raw(format!("{:x}\r\n{body}\r\n0\r\n\r\n", body.len()).as_bytes());
    assert_eq!(http.read_response().status, 200);
    assert_eq!(
        http.post_json("/v2/auth/login", &demo_login_body()).status,
        200
    );
    assert_eq!(emulator.connections_accepted(), 1);

    // Broken chunk framing is a 400 and ends the connection.
    http.write_raw(
        b"POST /auth/login HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    );
    let response = http.read_response();
    assert_eq!(response.status, 400);
    assert_eq!(response.json()["error"], "Bad Request");
    assert!(http.closed_by_server());
}

#[test]
fn one_keep_alive_connection_serves_many_requests() {
    let emulator = start();
    let mut http = Http::connect(emulator.local_addr());
    for _ in 0..50 {
        let response = http.post_json("/v2/auth/login", &demo_login_body());
        assert_eq!(response.status, 200);
        assert_eq!(response.header("Connection"), None);
        assert_eq!(emulator.connections_accepted(), 1);
    }
    assert_eq!(emulator.requests_served(), 50);
    let _second = Http::connect(emulator.local_addr())
        .request("GET", "/", &[], b"")
        .status;
    assert_eq!(emulator.connections_accepted(), 2);
}

#[test]
fn connection_close_and_http_1_0_are_honoured() {
    let emulator = start();
    let mut http = Http::connect(emulator.local_addr());
    let response = http.request("GET", "/", &[("Connection", "close")], b"");
    assert_eq!(response.status, 404);
    assert_eq!(response.header("Connection"), Some("close"));
    assert!(http.closed_by_server());

    // HTTP/1.0 closes by default...
    let mut http = Http::connect(emulator.local_addr());
    http.write_raw(b"GET /x HTTP/1.0\r\n\r\n");
    let response = http.read_response();
    assert_eq!(response.status, 404);
    assert_eq!(
        response.header("Content-Length"),
        Some(response.body.len().to_string().as_str())
    );
    assert!(http.closed_by_server());

    // ...unless it asks for keep-alive.
    let mut http = Http::connect(emulator.local_addr());
    for _ in 0..2 {
        http.write_raw(b"GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        let response = http.read_response();
        assert_eq!(response.status, 404);
        assert_eq!(response.header("Connection"), Some("keep-alive"));
    }
    assert_eq!(emulator.connections_accepted(), 3);
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let emulator = start();
    let mut http = Http::connect(emulator.local_addr());
    let body = demo_login_body().to_string();
    let login = format!(
        "POST /v2/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let raw = format!(
        "{login}GET /first HTTP/1.1\r\nHost: t\r\n\r\n{login}HEAD /second HTTP/1.1\r\n\r\n"
    );
    http.write_raw(raw.as_bytes());
    assert_eq!(http.read_response().status, 200);
    assert_eq!(http.read_response().json()["message"], "Cannot GET /first");
    assert_eq!(http.read_response().status, 200);
    // HEAD gets the headers (with the real Content-Length) but no body; our
    // test client does not know about HEAD and reads that many bytes, which
    // must therefore be the start of the next response.
    http.write_raw(b"GET /third HTTP/1.1\r\n\r\n");
    let head = http.read_response();
    assert_eq!(head.status, 404);
    assert!(head.body.starts_with("HTTP/1.1 404"), "{}", head.body);
}

#[test]
fn malformed_and_oversized_heads_are_rejected() {
    let emulator = start();
    let mut http = Http::connect(emulator.local_addr());
    http.write_raw(b"NOT HTTP AT ALL\r\n\r\n");
    // hyper answers what it cannot parse itself, with an empty body.
    let response = http.read_response();
    assert_eq!(response.status, 400);
    assert!(response.body.is_empty());
    assert!(http.closed_by_server());

    let mut http = Http::connect(emulator.local_addr());
    let big_header = format!("GET / HTTP/1.1\r\nX-Big: {}\r\n\r\n", "a".repeat(20_000));
    http.write_raw(big_header.as_bytes());
    let response = http.read_response();
    assert_eq!(response.status, 431);
    assert!(http.closed_by_server());

    let mut http = Http::connect(emulator.local_addr());
    let many_headers: String = (0..80).map(|i| format!("X-{i}: v\r\n")).collect();
    http.write_raw(format!("GET / HTTP/1.1\r\n{many_headers}\r\n").as_bytes());
    assert_eq!(http.read_response().status, 431);
    assert!(http.closed_by_server());

    let mut http = Http::connect(emulator.local_addr());
    http.write_raw(b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n");
    assert_eq!(http.read_response().status, 400);
}

#[test]
fn shutdown_closes_idle_keep_alive_connections() {
    let emulator = start();
    let mut http = Http::connect(emulator.local_addr());
    assert_eq!(http.request("GET", "/", &[], b"").status, 404);
    let started = Instant::now();
    emulator.shutdown();
    assert!(started.elapsed() < Duration::from_secs(2));
    // The server side is gone: the client sees EOF promptly, not a timeout.
    assert!(http.closed_by_server());
}

#[test]
fn chunked_oversized_body_is_413() {
    let emulator = start();
    let mut http = Http::connect(emulator.local_addr());
    let mut raw = b"POST /v2/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
                    Transfer-Encoding: chunked\r\n\r\n"
        .to_vec();
    // 1 MiB + 16 bytes: barely over, so the unread tail fits in socket
    // buffers and our single write cannot block.
    let mut chunks = vec![vec![b' '; 64 * 1024]; 16];
    chunks.push(vec![b' '; 16]);
    for chunk in chunks {
        raw.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        raw.extend_from_slice(&chunk);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    http.write_raw(&raw);
    assert_eq!(http.read_response().status, 413);
}

#[test]
fn body_just_under_the_limit_is_parsed() {
    let emulator = start();
    let mut http = Http::connect(emulator.local_addr());
    let mut body = demo_login_body().to_string().into_bytes();
    body.resize(ovok_emulator::MAX_BODY_BYTES, b' ');
    let response = http.request(
        "POST",
        "/v2/auth/login",
        &[("Content-Type", "application/json; charset=UTF-8")],
        &body,
    );
    assert_eq!(response.status, 200, "{}", response.body);
}

#[test]
fn expect_100_continue_is_honoured() {
    let emulator = start();
    let mut http = Http::connect(emulator.local_addr());
    let body = demo_login_body().to_string();
    http.write_raw(
        format!(
            "POST /auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
             Expect: 100-continue\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    let interim = http.read_response();
    assert_eq!(interim.status, 100);
    http.write_raw(body.as_bytes());
    assert_eq!(http.read_response().status, 200);
}

/// Guards against Nagle/delayed-ACK stalls (~40 ms per request): 1000
/// sequential keep-alive logins take well under a second on loopback. The
/// bound is loose so a busy CI box cannot flake, yet stalls would take 40 s.
#[test]
fn sequential_keep_alive_requests_are_fast() {
    let emulator = start();
    let mut http = Http::connect(emulator.local_addr());
    let body = demo_login_body();
    let started = Instant::now();
    for _ in 0..1000 {
        let response = http.post_json("/v2/auth/login", &body);
        assert_eq!(response.status, 200);
    }
    let elapsed = started.elapsed();
    eprintln!("1000 keep-alive logins in {elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert_eq!(emulator.requests_served(), 1000);
}

/// Responses larger than one small segment must not wait for delayed ACKs
/// (with tiny_http's 1 KiB write buffer and no TCP_NODELAY, 200 took ~9 s).
#[test]
fn multi_segment_responses_do_not_stall() {
    let mut user = ovok_emulator::User::demo();
    user.profile.display = "x".repeat(1500);
    let config = Config {
        users: vec![user],
        ..Config::default()
    };
    let emulator = Emulator::start("127.0.0.1:0", config).unwrap();
    let mut http = Http::connect(emulator.local_addr());
    let body = demo_login_body();
    let started = Instant::now();
    for _ in 0..200 {
        let response = http.post_json("/v2/auth/login", &body);
        assert!(response.body.len() > 2048);
    }
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
}

#[test]
fn concurrent_clients_do_not_block_each_other() {
    let emulator = start();
    let addr = emulator.local_addr();
    // One idle keep-alive connection must not hold anyone up.
    let _idle = TcpStream::connect(addr).unwrap();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                let mut http = Http::connect(addr);
                for _ in 0..50 {
                    let response = http.post_json("/v2/auth/login", &demo_login_body());
                    assert_eq!(response.status, 200);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(emulator.requests_served(), 400);
}

#[test]
fn shutdown_releases_the_port() {
    let emulator = start();
    let addr = emulator.local_addr();
    let mut http = Http::connect(addr);
    assert_eq!(http.request("GET", "/", &[], b"").status, 404);
    emulator.shutdown();
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(addr).is_ok() {
        assert!(Instant::now() < deadline, "still accepting after shutdown");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn custom_users_and_lifetimes() {
    let users = ovok_emulator::parse_users(
        r#"[{"email":"ada@example.org","password":"lovelace","clientId":"11111111-2222-4333-8444-555555555555",
             "project":{"reference":"Project/p1","display":"Engines"},
             "profile":{"reference":"Practitioner/ada","display":"Ada"}}]"#,
    )
    .unwrap();
    let config = Config {
        users,
        access_lifetime: Duration::from_secs(60),
        ..Config::default()
    };
    let emulator = Emulator::start("127.0.0.1:0", config).unwrap();
    let mut http = Http::connect(emulator.local_addr());
    let response = http.post_json(
        "/v2/auth/login",
        &json!({"email": "ada@example.org", "password": "lovelace",
                "clientId": "11111111-2222-4333-8444-555555555555"}),
    );
    assert_eq!(response.status, 200, "{}", response.body);
    let body = response.json();
    assert_eq!(body["expiresIn"], 60);
    let claims = jwt_claims(body["accessToken"].as_str().unwrap());
    assert_eq!(claims["sub"], "Practitioner/ada");
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        60
    );
    // The demo user is not there any more.
    assert_eq!(
        http.post_json("/v2/auth/login", &demo_login_body()).status,
        404
    );
}

#[test]
fn start_rejects_an_empty_user_list() {
    let config = Config {
        users: Vec::new(),
        ..Config::default()
    };
    let err = Emulator::start("127.0.0.1:0", config).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

/// Regression: tiny_http 0.12's task pool could lose the wake-up for a
/// connection accepted right after another one; that connection's first
/// request then waited until some *other* connection closed. 16 clients
/// connect and send at once, each on its own keep-alive connection, and (like
/// a pooling SDK client) keep their connections open until all are done, so a
/// starved connection shows up as a read timeout rather than a delay.
#[test]
fn simultaneous_keep_alive_connections_are_all_served() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};

    const CONNECTIONS: usize = 16;
    const REQUESTS: usize = 200;

    /// Counts a client as finished even if it panics, so nobody waits forever.
    struct Finished(Arc<AtomicUsize>);
    impl Drop for Finished {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    let emulator = start();
    let addr = emulator.local_addr();
    let barrier = Arc::new(Barrier::new(CONNECTIONS));
    let finished = Arc::new(AtomicUsize::new(0));
    let body = demo_login_body().to_string();
    let request = format!(
        "POST /v2/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let started = Instant::now();
    let threads: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (barrier, finished) = (Arc::clone(&barrier), Arc::clone(&finished));
            let request = request.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let stream = TcpStream::connect(addr).unwrap();
                stream.set_nodelay(true).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                let mut http = Http::over(stream);
                let first = {
                    let _done = Finished(Arc::clone(&finished));
                    let mut first = Duration::ZERO;
                    for i in 0..REQUESTS {
                        let sent = Instant::now();
                        http.write_raw(request.as_bytes());
                        let response = http.read_response();
                        assert_eq!(response.status, 200, "{}", response.body);
                        if i == 0 {
                            first = sent.elapsed();
                        }
                    }
                    first
                };
                // Keep the connection open until every client is done.
                let deadline = Instant::now() + Duration::from_secs(30);
                while finished.load(Ordering::SeqCst) < CONNECTIONS && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
                drop(http);
                first
            })
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join()).collect();
    let elapsed = started.elapsed();
    let failed = results.iter().filter(|r| r.is_err()).count();
    let slowest_first = results.iter().flatten().max().copied();
    eprintln!(
        "{CONNECTIONS}x{REQUESTS} keep-alive logins in {elapsed:?}, \
         slowest first response {slowest_first:?}, {failed} clients failed"
    );
    assert_eq!(failed, 0, "some connections were never answered");
    assert_eq!(emulator.requests_served(), (CONNECTIONS * REQUESTS) as u64);
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
}
