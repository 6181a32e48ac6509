//! `OvokSession` through the C ABI against the emulator: single flight,
//! rotation, refused and failed refreshes, restore, logout, and the client's
//! reference count. Request counts are the emulator's own.

mod common;

use std::ffi::{c_void, CString};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;

use common::{take, Builder, Outcome};
use ovok::ffi::*;
use ovok::OvokStatus;
use ovok_emulator::{Config, Emulator, DEMO_CLIENT_ID, DEMO_EMAIL, DEMO_PASSWORD};

fn emulator() -> Emulator {
    Emulator::start("127.0.0.1:0", Config::default()).expect("the emulator starts")
}

/// An `OvokSession` that frees itself; shared by threads as the header allows.
struct Session(*mut OvokSession);

// SAFETY: the header promises every session function but free may run on any thread.
unsafe impl Send for Session {}
unsafe impl Sync for Session {}

impl Session {
    fn new(client: *const OvokClient, base_url: &str) -> Session {
        let base_url = CString::new(base_url).unwrap();
        // SAFETY: a live client or NULL, and a C string.
        Session(unsafe { ovok_session_new(client, base_url.as_ptr()) })
    }

    fn login(&self) -> Outcome {
        let (email, password, client_id) = (
            CString::new(DEMO_EMAIL).unwrap(),
            CString::new(DEMO_PASSWORD).unwrap(),
            CString::new(DEMO_CLIENT_ID).unwrap(),
        );
        // SAFETY: a live session and C strings.
        take(unsafe {
            ovok_session_login(
                self.0,
                email.as_ptr(),
                password.as_ptr(),
                client_id.as_ptr(),
            )
        })
    }

    fn restore(
        &self,
        refresh_token: &str,
        access_token: Option<&str>,
        expires_at: i64,
    ) -> OvokStatus {
        let refresh_token = CString::new(refresh_token).unwrap();
        let access_token = access_token.map(|token| CString::new(token).unwrap());
        let access = access_token
            .as_ref()
            .map_or(ptr::null(), |token| token.as_ptr());
        // SAFETY: a live session and C strings or NULL.
        unsafe { ovok_session_restore(self.0, refresh_token.as_ptr(), access, expires_at) }
    }

    fn access_token(&self, min_ttl_seconds: i64) -> Outcome {
        // SAFETY: a live session.
        take(unsafe { ovok_session_access_token(self.0, min_ttl_seconds) })
    }

    fn invalidate(&self) {
        // SAFETY: a live session.
        unsafe { ovok_session_invalidate(self.0) }
    }

    fn invalidate_token(&self, rejected: &[u8]) {
        let rejected = CString::new(rejected).unwrap();
        // SAFETY: a live session and a C string.
        unsafe { ovok_session_invalidate_token(self.0, rejected.as_ptr()) }
    }

    fn logout(&self) -> Outcome {
        // SAFETY: a live session.
        take(unsafe { ovok_session_logout(self.0) })
    }

    /// Records the access token of every change, `None` for a clearing.
    fn listen(&self) -> Arc<Heard> {
        let heard = Arc::new(Heard::default());
        let context = Arc::as_ptr(&heard).cast_mut().cast::<c_void>();
        // SAFETY: `heard` outlives the session in every test (dropped after it).
        unsafe { ovok_session_set_token_listener(self.0, Some(record), context) };
        heard
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // SAFETY: freed once, after every thread using it has finished.
        unsafe { ovok_session_free(self.0) }
    }
}

#[derive(Default)]
struct Heard(Mutex<Vec<Option<String>>>);

impl Heard {
    fn tokens(&self) -> Vec<Option<String>> {
        self.0.lock().unwrap().clone()
    }
}

unsafe extern "C" fn record(context: *mut c_void, tokens: *const OvokResult) {
    // SAFETY: the context is the `Heard` given to `listen`, alive for the session.
    let heard = unsafe { &*context.cast::<Heard>() };
    // SAFETY: NULL or a result valid during this call.
    let access = unsafe { tokens.as_ref() }.map(|tokens| {
        assert_eq!(tokens.status, OvokStatus::Ok);
        // SAFETY: an OK result holds a C string.
        unsafe { std::ffi::CStr::from_ptr(tokens.access_token) }
            .to_str()
            .unwrap()
            .to_owned()
    });
    heard.0.lock().unwrap().push(access);
}

/// `GET /auth/me` with a bearer token: its HTTP status.
fn me(emulator: &Emulator, access_token: &str) -> u16 {
    let mut stream = TcpStream::connect(emulator.local_addr()).unwrap();
    write!(
        stream,
        "GET /auth/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {access_token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response[9..12].parse().unwrap()
}

#[test]
fn thirty_two_threads_on_an_expired_session_make_one_refresh() {
    let emulator = emulator();
    let session = Arc::new(Session::new(ptr::null(), emulator.url()));
    let heard = session.listen();
    let login = session.login();
    assert_eq!(login.status, OvokStatus::Ok, "{login:?}");
    session.invalidate();
    let before = emulator.refresh_requests();
    let start = Arc::new(Barrier::new(32));
    let threads: Vec<_> = (0..32)
        .map(|_| {
            let (session, start) = (Arc::clone(&session), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                session.access_token(60)
            })
        })
        .collect();
    let outcomes: Vec<Outcome> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(emulator.refresh_requests() - before, 1);
    let token = outcomes[0].access_token.clone().expect("a token");
    assert_ne!(Some(&token), login.access_token.as_ref());
    for outcome in &outcomes {
        assert_eq!(outcome.access_token.as_ref(), Some(&token), "{outcome:?}");
    }
    assert_eq!(heard.tokens(), [login.access_token, Some(token)]);
}

#[test]
fn thirty_two_late_rejections_of_one_token_make_one_refresh() {
    let emulator = emulator();
    let session = Arc::new(Session::new(ptr::null(), emulator.url()));
    let login = session.login();
    let old = login.access_token.clone().expect("a token");
    let before = emulator.refresh_requests();
    let start = Arc::new(Barrier::new(32));
    let threads: Vec<_> = (0..32)
        .map(|_| {
            let (session, start, old) = (Arc::clone(&session), Arc::clone(&start), old.clone());
            thread::spawn(move || {
                start.wait();
                session.invalidate_token(old.as_bytes());
                session.access_token(60)
            })
        })
        .collect();
    let outcomes: Vec<Outcome> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(emulator.refresh_requests() - before, 1);
    let token = outcomes[0].access_token.clone().expect("a token");
    assert_ne!(token, old);
    for outcome in &outcomes {
        assert_eq!(outcome.access_token.as_ref(), Some(&token), "{outcome:?}");
    }
}

#[test]
fn a_rejected_token_that_is_no_longer_current_is_ignored() {
    let emulator = emulator();
    let session = Session::new(ptr::null(), emulator.url());
    let old = session.login().access_token.expect("a token");
    session.invalidate_token(old.as_bytes());
    let current = session.access_token(60).access_token.expect("a token");
    assert_ne!(current, old);
    let before = emulator.refresh_requests();
    // Renewed already, a prefix, never held, not UTF-8: all ignored.
    for rejected in [
        old.as_bytes(),
        &current.as_bytes()[1..],
        b"elsewhere",
        b"\xff\xfe",
    ] {
        session.invalidate_token(rejected);
        assert_eq!(
            session.access_token(60).access_token.as_ref(),
            Some(&current)
        );
    }
    assert_eq!(emulator.refresh_requests(), before);
    // NULL is `ovok_session_invalidate`.
    // SAFETY: a live session; NULL is allowed.
    unsafe { ovok_session_invalidate_token(session.0, ptr::null()) };
    assert_ne!(session.access_token(60).access_token, Some(current));
    assert_eq!(emulator.refresh_requests(), before + 1);
}

#[test]
fn the_listener_sees_every_rotation() {
    let emulator = emulator();
    let session = Session::new(ptr::null(), emulator.url());
    let heard = session.listen();
    let mut expected = vec![session.login().access_token];
    let mut refresh_tokens = Vec::new();
    for _ in 0..5 {
        session.invalidate();
        let outcome = session.access_token(60);
        assert_eq!(outcome.status, OvokStatus::Ok, "{outcome:?}");
        expected.push(outcome.access_token);
        refresh_tokens.push(outcome.refresh_token.unwrap());
    }
    assert_eq!(heard.tokens(), expected);
    refresh_tokens.dedup();
    assert_eq!(refresh_tokens.len(), 5, "every refresh rotates the token");
    assert_eq!(emulator.refresh_requests(), 5);
}

#[test]
fn a_refused_refresh_requires_a_login_and_tells_the_listener() {
    let emulator = emulator();
    let session = Session::new(ptr::null(), emulator.url());
    let heard = session.listen();
    assert_eq!(
        session.restore("not-a-refresh-token", None, -1),
        OvokStatus::Ok
    );
    let outcome = session.access_token(60);
    assert_eq!(
        (outcome.status, outcome.http_status),
        (OvokStatus::LoginRequired, 401)
    );
    assert!(!outcome
        .error_message
        .unwrap()
        .contains("not-a-refresh-token"));
    assert_eq!(heard.tokens(), [None]);
    // Signed out: no second request.
    assert_eq!(session.access_token(60).status, OvokStatus::LoginRequired);
    assert_eq!(emulator.refresh_requests(), 1);
}

#[test]
fn restore_from_a_refresh_token_alone_refreshes_first() {
    let emulator = emulator();
    let saved = common::login(emulator.url(), DEMO_PASSWORD);
    let session = Session::new(ptr::null(), emulator.url());
    assert_eq!(
        session.restore(saved.refresh_token.as_deref().unwrap(), None, -1),
        OvokStatus::Ok
    );
    let first = session.access_token(60);
    assert_eq!(first.status, OvokStatus::Ok, "{first:?}");
    assert_ne!(first.access_token, saved.access_token);
    assert_eq!(session.access_token(60).access_token, first.access_token);
    assert_eq!(emulator.refresh_requests(), 1);
    // The saved access token with its expiry needs no refresh.
    let fresh = Session::new(ptr::null(), emulator.url());
    let status = fresh.restore("unused", saved.access_token.as_deref(), saved.expires_at);
    assert_eq!(status, OvokStatus::Ok);
    assert_eq!(fresh.access_token(60).access_token, saved.access_token);
    assert_eq!(emulator.refresh_requests(), 1);
}

/// A loopback forwarder to the emulator. While down it accepts each
/// connection and closes it at once, and it cuts the ones already open.
struct Switch {
    url: String,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Switch {
    fn new(emulator: &Emulator) -> Switch {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (up, open) = (Arc::new(AtomicBool::new(true)), Arc::default());
        let target = emulator.local_addr();
        let (accepting, kept): (Arc<AtomicBool>, Arc<Mutex<Vec<TcpStream>>>) =
            (Arc::clone(&up), Arc::clone(&open));
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !accepting.load(Ordering::SeqCst) {
                    continue; // dropped: closed at once
                }
                let server = TcpStream::connect(target).unwrap();
                let mut open = kept.lock().unwrap();
                open.push(client.try_clone().unwrap());
                open.push(server.try_clone().unwrap());
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    thread::spawn(move || {
                        let _ = io::copy(&mut from, &mut to);
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Switch { url, up, open }
    }

    fn set(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
        if !up {
            for stream in self.open.lock().unwrap().drain(..) {
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
    }
}

#[test]
fn an_unreachable_server_keeps_the_tokens_until_it_is_back() {
    let emulator = emulator();
    let switch = Switch::new(&emulator);
    let session = Session::new(ptr::null(), &switch.url);
    let heard = session.listen();
    assert_eq!(session.login().status, OvokStatus::Ok);
    session.invalidate();
    switch.set(false);
    for _ in 0..2 {
        let outcome = session.access_token(60);
        assert_eq!(outcome.status, OvokStatus::Connection, "{outcome:?}");
    }
    assert_eq!(heard.tokens().len(), 1, "only the login changed the tokens");
    switch.set(true);
    let outcome = session.access_token(60);
    assert_eq!(outcome.status, OvokStatus::Ok, "{outcome:?}");
    assert_eq!(me(&emulator, outcome.access_token.as_deref().unwrap()), 200);
    assert_eq!(heard.tokens().len(), 2);
}

#[test]
fn after_logout_the_old_access_token_is_refused() {
    let emulator = emulator();
    let session = Session::new(ptr::null(), emulator.url());
    let heard = session.listen();
    let access = session.login().access_token.unwrap();
    assert_eq!(me(&emulator, &access), 200);
    let outcome = session.logout();
    assert_eq!((outcome.status, outcome.http_status), (OvokStatus::Ok, 204));
    assert_eq!(outcome.access_token, None);
    assert_eq!(heard.tokens().last(), Some(&None));
    assert_eq!(me(&emulator, &access), 401);
    assert_eq!(session.access_token(60).status, OvokStatus::LoginRequired);
    assert_eq!(emulator.logout_requests(), 1);
}

#[test]
fn logout_clears_locally_even_when_the_server_is_down() {
    let emulator = emulator();
    let switch = Switch::new(&emulator);
    let session = Session::new(ptr::null(), &switch.url);
    let heard = session.listen();
    assert_eq!(session.login().status, OvokStatus::Ok);
    switch.set(false);
    assert_eq!(session.logout().status, OvokStatus::Connection);
    assert_eq!(heard.tokens().last(), Some(&None));
    switch.set(true);
    assert_eq!(session.access_token(60).status, OvokStatus::LoginRequired);
}

#[test]
fn a_null_session_is_an_invalid_argument() {
    for result in [
        // SAFETY: NULL is allowed everywhere.
        unsafe { ovok_session_access_token(ptr::null_mut(), 60) },
        unsafe { ovok_session_logout(ptr::null_mut()) },
        unsafe { ovok_session_login(ptr::null_mut(), ptr::null(), ptr::null(), ptr::null()) },
    ] {
        let outcome = take(result);
        assert_eq!(outcome.status, OvokStatus::InvalidArgument);
        assert!(outcome.error_message.unwrap().contains("session is NULL"));
    }
    // SAFETY: NULL is allowed.
    let status = unsafe { ovok_session_restore(ptr::null_mut(), ptr::null(), ptr::null(), -1) };
    assert_eq!(status, OvokStatus::InvalidArgument);
    unsafe {
        ovok_session_invalidate(ptr::null_mut());
        ovok_session_invalidate_token(ptr::null_mut(), ptr::null());
        ovok_session_invalidate_token(ptr::null_mut(), c"a token".as_ptr());
        ovok_session_set_token_listener(ptr::null_mut(), None, ptr::null_mut());
        ovok_session_free(ptr::null_mut());
    }
}

#[test]
fn an_invalid_base_url_fails_every_call_with_why() {
    let session = Session::new(ptr::null(), "ftp://example.com");
    let outcome = session.login();
    assert_eq!(outcome.status, OvokStatus::InvalidArgument);
    assert!(outcome.error_message.is_some());
    assert_eq!(session.restore("r", None, -1), OvokStatus::InvalidArgument);
    assert_eq!(session.access_token(0).status, OvokStatus::InvalidArgument);
}

#[test]
fn a_client_freed_while_eight_threads_use_it_finishes_their_calls() {
    // Latency keeps the calls in flight; safety rests on the count below.
    let config = Config {
        latency: std::time::Duration::from_millis(200),
        ..Config::default()
    };
    let emulator = Emulator::start("127.0.0.1:0", config).expect("the emulator starts");
    let client = Builder::new().build().expect("a client");
    let raw = client.0;
    std::mem::forget(client); // freed below, by hand, while calls run
    let session = Session::new(raw, emulator.url());
    let shared = common::Client(raw);
    let start = Arc::new(Barrier::new(9));
    let shared = Arc::new(shared);
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (client, start, url) = (
                Arc::clone(&shared),
                Arc::clone(&start),
                emulator.url().to_owned(),
            );
            thread::spawn(move || {
                start.wait();
                client.login(&url, DEMO_PASSWORD).status
            })
        })
        .collect();
    start.wait();
    // Every call has reached the server, so each holds its own reference:
    // a call that had not yet started would use a freed pointer.
    while emulator.login_requests() < 8 {
        thread::yield_now();
    }
    // SAFETY: the caller's one reference, given up once; calls keep their own.
    unsafe { ovok_client_free(raw) };
    for thread in threads {
        assert_eq!(thread.join().unwrap(), OvokStatus::Ok);
    }
    // The session holds its own reference.
    assert_eq!(session.login().status, OvokStatus::Ok);
    // `shared` must not free the client a second time.
    std::mem::forget(
        Arc::try_unwrap(shared)
            .ok()
            .expect("every thread has finished"),
    );
}
