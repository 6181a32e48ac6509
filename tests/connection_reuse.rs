//! Connection reuse against servers that send bytes nobody asked for: a
//! pooled connection must never hand one caller's answer to the next.
//!
//! The servers answer each login with tokens made from the email in its
//! request, so a result with another user's tokens is seen at once. A
//! "stale" answer is a complete, valid response for an intruder, sent after
//! the real one: a client that reused the connection would read it as the
//! answer to its own request.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::hostile::{json_response, login_body, HostileServer, Request};
use ovok::{Client, ClientConfig, Credentials, OvokStatus};
use serde_json::Value;

const PASSWORD: &str = "Reuse-Pa55word-93b1";
const CLIENT_ID: &str = "5e505642-9024-474d-9434-e5a44f505cc5";
const INTRUDER: &str = "intruder@example.com";

fn access_token_of(email: &str) -> String {
    format!("access-for-{email}")
}

/// The answer to a login, carrying tokens of the user it names.
fn answer_for(email: &str) -> Vec<u8> {
    let mut body = login_body();
    body["accessToken"] = Value::String(access_token_of(email));
    body["refreshToken"] = Value::String(format!("refresh-for-{email}"));
    json_response("200 OK", &body.to_string())
}

fn email_of(request: &Request) -> String {
    let body: Value = serde_json::from_slice(&request.body).expect("a JSON login body");
    body["email"].as_str().expect("an email").to_string()
}

fn client() -> Client {
    let mut config = ClientConfig::default();
    config.set_proxy_from_environment(false);
    config.set_total_timeout(Duration::from_secs(5)).unwrap();
    Client::new(&config).unwrap()
}

fn login(client: &Client, url: &str, email: &str) -> Result<String, (OvokStatus, String)> {
    let credentials = Credentials {
        email,
        password: PASSWORD,
        client_id: CLIENT_ID,
    };
    client
        .login(Some(url), &credentials)
        .map(|tokens| tokens.access_token.to_string())
        .map_err(|error| (error.status, error.message))
}

/// Bytes that arrived after a response ended are found by the check on
/// reuse: the next login goes on a new connection and gets its own answer.
#[test]
fn bytes_that_arrive_while_a_connection_is_idle_keep_it_out_of_use() {
    let (written, wait_written) = mpsc::channel::<()>();
    let written = Mutex::new(written);
    let server = HostileServer::start(move |conn| {
        while let Some(request) = conn.read_request() {
            let email = email_of(&request);
            if !conn.write(&answer_for(&email)) {
                return;
            }
            // Later, while the connection sits idle in the pool.
            thread::sleep(Duration::from_millis(50));
            conn.write(&answer_for(INTRUDER));
            written.lock().unwrap().send(()).unwrap();
        }
    });
    let client = client();
    let first = login(&client, &server.url(), "first@example.com");
    assert_eq!(first, Ok(access_token_of("first@example.com")));
    wait_written.recv().unwrap();
    let second = login(&client, &server.url(), "second@example.com");
    assert_eq!(second, Ok(access_token_of("second@example.com")));
    assert_eq!(
        server.connections(),
        2,
        "the first connection was not reused"
    );
}

/// Bytes that come in the same read as the response (a second response
/// right behind the first) make the connection unfit for the pool.
#[test]
fn bytes_read_together_with_the_response_keep_the_connection_out_of_the_pool() {
    let server = HostileServer::start(|conn| {
        while let Some(request) = conn.read_request() {
            let mut both = answer_for(&email_of(&request));
            both.extend_from_slice(&answer_for(INTRUDER));
            if !conn.write(&both) {
                return;
            }
        }
    });
    let client = client();
    for user in ["a@example.com", "b@example.com", "c@example.com"] {
        assert_eq!(
            login(&client, &server.url(), user),
            Ok(access_token_of(user))
        );
    }
    assert_eq!(server.connections(), 3, "no connection was reused");
}

/// A 204 or 304 that carries a body, and a 101: the connection is closed
/// after them, never reused.
#[test]
fn a_connection_after_a_bodied_204_or_a_101_is_not_reused() {
    for head in [
        "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 304 Not Modified\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: ovok\r\nConnection: upgrade\r\n\r\n",
    ] {
        let answered = AtomicBool::new(false);
        let server = HostileServer::start(move |conn| {
            while let Some(request) = conn.read_request() {
                let mut bytes = Vec::new();
                if !answered.swap(true, Ordering::SeqCst) {
                    // Odd head, then what a lax parser would take as the
                    // next response: another user's tokens.
                    bytes.extend_from_slice(head.as_bytes());
                    bytes.extend_from_slice(&answer_for(INTRUDER));
                } else {
                    bytes = answer_for(&email_of(&request));
                }
                if !conn.write(&bytes) {
                    return;
                }
            }
        });
        let client = client();
        let first = login(&client, &server.url(), "first@example.com");
        assert!(first.is_err(), "{head:?}: {first:?}");
        let second = login(&client, &server.url(), "second@example.com");
        assert_eq!(
            second,
            Ok(access_token_of("second@example.com")),
            "{head:?}"
        );
        assert_eq!(server.connections(), 2, "{head:?}: a new connection");
    }
}

/// A server that answers the first request on each connection and closes
/// the connection, without an answer, when the second one arrives.
fn answers_once_per_connection(
    answer: impl Fn(&Request) -> Vec<u8> + Send + Sync + 'static,
) -> HostileServer {
    HostileServer::start(move |conn| {
        if let Some(request) = conn.read_request() {
            if conn.write(&answer(&request)) && conn.read_request().is_some() {
                conn.close();
            }
        }
    })
}

/// A login that broke on a reused connection before any byte of its answer
/// goes once more, on a new connection.
#[test]
fn a_login_on_a_reused_connection_that_broke_is_sent_once_more_on_a_new_one() {
    let server = answers_once_per_connection(|request| answer_for(&email_of(request)));
    let client = client();
    for user in ["a@example.com", "b@example.com"] {
        assert_eq!(
            login(&client, &server.url(), user),
            Ok(access_token_of(user))
        );
    }
    assert_eq!(server.requests(), 3, "the second login went twice");
    assert_eq!(server.connections(), 2);
}

/// A refresh is never sent twice, not even when a reused connection broke
/// before any byte of its answer: the token may already be spent.
#[test]
fn a_refresh_on_a_reused_connection_that_broke_is_not_sent_again() {
    let body = r#"{"access_token":"new-access","refresh_token":"new-refresh"}"#;
    let server = answers_once_per_connection(move |_| json_response("200 OK", body));
    let client = client();
    let first = client.refresh(Some(&server.url()), "refresh-token-1");
    assert!(first.is_ok(), "{first:?}");
    let second = client.refresh(Some(&server.url()), "refresh-token-2");
    let error = second.expect_err("the connection closed without an answer");
    assert_eq!(error.status, OvokStatus::Connection, "{error:?}");
    assert_eq!(server.requests(), 2, "the second refresh went once");
    assert_eq!(
        server.connections(),
        1,
        "and no new connection was made for it"
    );
}

/// The headline case: 16 threads share one client against a server that
/// now and then puts another user's answer right behind the real one, or
/// sends stray bytes later. Every OK result carries its own user's tokens.
#[test]
fn sixteen_threads_sharing_one_client_each_get_their_own_tokens() {
    const THREADS: usize = 16;
    const LOGINS: usize = 40;
    let server = HostileServer::start(|conn| {
        let mut served = 0usize;
        while let Some(request) = conn.read_request() {
            served += 1;
            let mut bytes = answer_for(&email_of(&request));
            if served % 3 == 0 {
                bytes.extend_from_slice(&answer_for(INTRUDER));
            }
            if !conn.write(&bytes) {
                return;
            }
            if served % 4 == 0 {
                // Not a response: if the client's next request is already
                // out, it fails to parse; if not, the check on reuse sees it.
                thread::sleep(Duration::from_millis(1));
                conn.write(b"\0stray");
            }
        }
    });
    let client = Arc::new(client());
    let url = server.url();
    let results: Vec<(usize, usize)> = thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|thread| {
                let (client, url) = (Arc::clone(&client), url.clone());
                scope.spawn(move || {
                    let mut ok = 0;
                    for call in 0..LOGINS {
                        let email = format!("user-{thread}-{call}@example.com");
                        match login(&client, &url, &email) {
                            Ok(token) => {
                                assert_eq!(token, access_token_of(&email), "someone else's tokens");
                                ok += 1;
                            }
                            Err((status, message)) => assert!(
                                matches!(
                                    status,
                                    OvokStatus::Connection | OvokStatus::InvalidResponse
                                ),
                                "{status:?}: {message}"
                            ),
                        }
                    }
                    (thread, ok)
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let ok: usize = results.iter().map(|(_, ok)| ok).sum();
    assert!(
        ok >= THREADS * LOGINS / 2,
        "only {ok} of {} logins succeeded",
        THREADS * LOGINS
    );
    assert!(
        server.connections() < THREADS * LOGINS,
        "connections were reused at all ({} for {} logins)",
        server.connections(),
        THREADS * LOGINS
    );
}

/// Over https, stray bytes can hide where a socket check cannot see them:
/// decrypted inside TLS, or as a part of a TLS record. Either keeps the
/// connection out of use.
#[test]
fn over_tls_a_stray_answer_or_a_part_of_a_record_keeps_the_connection_out_of_use() {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::sync::atomic::AtomicUsize;

    let ca = common::pki::TestCa::new("ovok reuse test CA");
    let server_config = ca.server_config(&["localhost", "127.0.0.1"], &rustls::version::TLS13);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&connections);
    thread::spawn(move || {
        for (round, tcp) in listener.incoming().flatten().enumerate() {
            counted.fetch_add(1, Ordering::SeqCst);
            let config = Arc::clone(&server_config);
            thread::spawn(move || {
                let mut tcp = tcp;
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, tcp.try_clone().unwrap());
                let mut received = Vec::new();
                let mut buffer = [0u8; 4096];
                loop {
                    let Ok(read) = tls.read(&mut buffer) else {
                        return;
                    };
                    if read == 0 {
                        return;
                    }
                    received.extend_from_slice(&buffer[..read]);
                    let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&received[..end]).to_ascii_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if received.len() < end + 4 + length {
                        continue;
                    }
                    let body = &received[end + 4..end + 4 + length];
                    let request = Request {
                        head: String::new(),
                        body: body.to_vec(),
                    };
                    let mut answer = answer_for(&email_of(&request));
                    received.clear();
                    if round == 0 {
                        // Another answer in the same TLS record as the real one.
                        answer.extend_from_slice(&answer_for(INTRUDER));
                        let _ = tls.write_all(&answer);
                    } else if round == 1 {
                        let _ = tls.write_all(&answer);
                        let _ = tls.flush();
                        // The header and a few bytes of an application-data record.
                        thread::sleep(Duration::from_millis(50));
                        let _ = tcp.write_all(&[23, 3, 3, 0, 200, 1, 2, 3]);
                    } else {
                        let _ = tls.write_all(&answer);
                    }
                    let _ = tls.flush();
                }
            });
        }
    });

    let mut config = ClientConfig::default();
    config.set_proxy_from_environment(false);
    config.add_ca_pem(ca.pem().as_bytes()).unwrap();
    let client = Client::new(&config).unwrap();
    for (user, connections_after) in [
        ("a@example.com", 1),
        ("b@example.com", 2),
        ("c@example.com", 3),
    ] {
        assert_eq!(login(&client, &url, user), Ok(access_token_of(user)));
        if user == "b@example.com" {
            // Let the part of a record arrive while the connection is idle.
            thread::sleep(Duration::from_millis(300));
        }
        assert_eq!(
            connections.load(Ordering::SeqCst),
            connections_after,
            "after {user}"
        );
    }
}
