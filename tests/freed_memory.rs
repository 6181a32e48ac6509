//! No call, failed or successful, leaves a copy of the password or of the
//! refresh token in memory it frees.
//!
//! This test binary's global allocator searches every block that is freed
//! (or given up by a reallocation) on the calling thread while a call runs,
//! for the call's secret as sent and in its base64 spelling. The servers
//! (the emulator, the echoing server) run on other threads, whose frees are
//! not searched: they are the server's memory, not the client's.
//!
//! The test goes through the public API only, so it keeps checking whatever
//! transport is underneath.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ovok::{Client, ClientConfig, Credentials, OvokStatus};
use ovok_emulator::{Config, Emulator, DEMO_CLIENT_ID, DEMO_EMAIL, DEMO_PASSWORD};

const MAX_NEEDLE: usize = 2048;
const NEEDLES: usize = 2;

/// What the allocator looks for: up to two byte strings.
static NEEDLE: [[AtomicU8; MAX_NEEDLE]; NEEDLES] =
    [const { [const { AtomicU8::new(0) }; MAX_NEEDLE] }; NEEDLES];
static NEEDLE_LEN: [AtomicUsize; NEEDLES] = [const { AtomicUsize::new(0) }; NEEDLES];
/// Freed blocks that held a needle, and bytes searched.
static HITS: AtomicUsize = AtomicUsize::new(0);
static SEARCHED: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static SEARCHING: Cell<bool> = const { Cell::new(false) };
}

struct SearchingAllocator;

impl SearchingAllocator {
    fn search(block: &[u8]) {
        SEARCHED.fetch_add(block.len(), Ordering::Relaxed);
        for (needle, len) in NEEDLE.iter().zip(&NEEDLE_LEN) {
            let len = len.load(Ordering::Relaxed);
            if len == 0 || len > block.len() {
                continue;
            }
            let first = needle[0].load(Ordering::Relaxed);
            let found = (0..=block.len() - len).any(|at| {
                block[at] == first
                    && (1..len).all(|i| block[at + i] == needle[i].load(Ordering::Relaxed))
            });
            if found {
                HITS.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

// SAFETY: every call is forwarded to the system allocator unchanged; the
// search only reads a block that is still allocated, before freeing it.
unsafe impl GlobalAlloc for SearchingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if SEARCHING.try_with(Cell::get).unwrap_or(false) {
            // SAFETY: `ptr` is a live block of `layout.size()` bytes.
            Self::search(unsafe { std::slice::from_raw_parts(ptr, layout.size()) });
        }
        // SAFETY: forwarded with the caller's pointer and layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    // `realloc` is left to the default, which allocates, copies and
    // `dealloc`s: every block a reallocation gives up is searched.
}

#[global_allocator]
static ALLOCATOR: SearchingAllocator = SearchingAllocator;

/// One call at a time: the needles and counters are global.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs `call` with the allocator searching this thread's frees for
/// `secret` and its base64; returns the blocks found holding one.
fn freed_copies(secret: &str, call: impl FnOnce()) -> usize {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let encoded = STANDARD.encode(secret);
    let prefix = &encoded.as_bytes()[..encoded.len().min(16)];
    for (i, needle) in [secret.as_bytes(), prefix].iter().enumerate() {
        assert!(needle.len() <= MAX_NEEDLE && needle.len() >= 8);
        for (slot, byte) in NEEDLE[i].iter().zip(needle.iter()) {
            slot.store(*byte, Ordering::Relaxed);
        }
        NEEDLE_LEN[i].store(needle.len(), Ordering::Relaxed);
    }
    HITS.store(0, Ordering::Relaxed);
    SEARCHED.store(0, Ordering::Relaxed);
    SEARCHING.with(|s| s.set(true));
    call();
    SEARCHING.with(|s| s.set(false));
    assert!(
        SEARCHED.load(Ordering::Relaxed) > 0,
        "the allocator searched nothing"
    );
    HITS.load(Ordering::Relaxed)
}

const WRONG_PASSWORD: &str = "Freed-Memory-Password-5e1f";
const BOGUS_REFRESH_TOKEN: &str = "freed-memory-refresh-token-0c9d27aa41";

fn client(total: Duration) -> Client {
    let mut config = ClientConfig::default();
    config.set_proxy_from_environment(false);
    config.set_total_timeout(total).unwrap();
    Client::new(&config).unwrap()
}

fn credentials(password: &str) -> Credentials<'_> {
    Credentials {
        email: DEMO_EMAIL,
        password,
        client_id: DEMO_CLIENT_ID,
    }
}

/// A loopback URL on which nothing listens.
fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

/// A listener that accepts and reads but never answers.
fn silent_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    url
}

/// A server that answers every request with 400 and a NestJS message that
/// quotes the whole request body, so the secret comes back in the response;
/// with `in_header`, a Retry-After header quotes it too.
fn echoing_url(in_header: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = vec![0u8; 64 * 1024];
            let mut len = 0;
            // Read until the JSON body's closing brace has arrived.
            while let Ok(n) = stream.read(&mut request[len..]) {
                len += n;
                if n == 0 || request[..len].ends_with(b"}") {
                    break;
                }
            }
            let text = String::from_utf8_lossy(&request[..len]).into_owned();
            let body_at = text.find("\r\n\r\n").map_or(0, |at| at + 4);
            // Base64 and percent-encoding too, so that the sanitizer builds
            // and decodes its spellings.
            let sent = &text[body_at..];
            let echo = format!(
                "you sent {} b64 {} pct {}",
                sent.replace('"', "'"),
                STANDARD.encode(sent),
                sent.replace('"', "%22"),
            );
            let body = format!(r#"{{"statusCode":400,"message":"{echo}","error":"Bad Request"}}"#);
            let retry_after = if in_header {
                format!("Retry-After: {sent}\r\n")
            } else {
                String::new()
            };
            let response = format!(
                "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\
                 {retry_after}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    url
}

/// Copies that ovok cannot wipe: a header value that echoes the secret is
/// parsed by ureq into the `http` crate's `HeaderValue`, whose bytes no safe
/// code can reach (SECURITY.md lists it). Exactly one such block per echoed
/// header; every other copy counts.
fn unwipeable(case: &str) -> usize {
    usize::from(case == "echoed in a header")
}

#[test]
fn failed_and_successful_logins_free_no_copy_of_the_password() {
    let emulator = Emulator::start("127.0.0.1:0", Config::default()).unwrap();
    let short = client(Duration::from_millis(300));
    let cases: [(&str, String, &str, OvokStatus); 6] = [
        (
            "401",
            emulator.url().to_string(),
            WRONG_PASSWORD,
            OvokStatus::Unauthorized,
        ),
        (
            "refused",
            refused_url(),
            WRONG_PASSWORD,
            OvokStatus::Connection,
        ),
        ("timeout", silent_url(), WRONG_PASSWORD, OvokStatus::Timeout),
        (
            "echoed in the body",
            echoing_url(false),
            WRONG_PASSWORD,
            OvokStatus::BadRequest,
        ),
        (
            "echoed in a header",
            echoing_url(true),
            WRONG_PASSWORD,
            OvokStatus::BadRequest,
        ),
        (
            "success",
            emulator.url().to_string(),
            DEMO_PASSWORD,
            OvokStatus::Ok,
        ),
    ];
    let mut problems = Vec::new();
    for (name, url, password, expected) in cases {
        let mut status = None;
        let copies = freed_copies(password, || {
            status = Some(match short.login(Some(&url), &credentials(password)) {
                Ok(tokens) => {
                    drop(tokens);
                    OvokStatus::Ok
                }
                Err(error) => error.status,
            });
        });
        assert_eq!(status, Some(expected), "{name}");
        if copies > unwipeable(name) {
            problems.push(format!("{name}: {copies} freed blocks held the password"));
        }
    }
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn failed_and_successful_refreshes_free_no_copy_of_the_refresh_token() {
    let emulator = Emulator::start("127.0.0.1:0", Config::default()).unwrap();
    let short = client(Duration::from_millis(300));
    let tokens = short
        .login(Some(emulator.url()), &credentials(DEMO_PASSWORD))
        .unwrap();
    let good = tokens.refresh_token.clone().unwrap();
    let cases: [(&str, String, &str, OvokStatus); 6] = [
        (
            "401",
            emulator.url().to_string(),
            BOGUS_REFRESH_TOKEN,
            OvokStatus::Unauthorized,
        ),
        (
            "refused",
            refused_url(),
            BOGUS_REFRESH_TOKEN,
            OvokStatus::Connection,
        ),
        (
            "timeout",
            silent_url(),
            BOGUS_REFRESH_TOKEN,
            OvokStatus::Timeout,
        ),
        (
            "echoed in the body",
            echoing_url(false),
            BOGUS_REFRESH_TOKEN,
            OvokStatus::BadRequest,
        ),
        (
            "echoed in a header",
            echoing_url(true),
            BOGUS_REFRESH_TOKEN,
            OvokStatus::BadRequest,
        ),
        (
            "success",
            emulator.url().to_string(),
            good.as_str(),
            OvokStatus::Ok,
        ),
    ];
    let mut problems = Vec::new();
    for (name, url, token, expected) in cases {
        let mut status = None;
        let copies = freed_copies(token, || {
            status = Some(match short.refresh(Some(&url), token) {
                Ok(_) => OvokStatus::Ok,
                Err(error) => error.status,
            });
        });
        assert_eq!(status, Some(expected), "{name}");
        if copies > unwipeable(name) {
            problems.push(format!(
                "{name}: {copies} freed blocks held the refresh token"
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:?}");
}

/// The search itself works: a secret freed unwiped is found.
#[test]
fn an_unwiped_copy_is_found() {
    let copies = freed_copies(WRONG_PASSWORD, || {
        let mut copy = String::with_capacity(64);
        copy.push_str(WRONG_PASSWORD);
        drop(std::hint::black_box(copy));
    });
    assert_eq!(copies, 1);
}
