//! The session's rules against a fake server that counts its calls.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;

use super::*;

/// What the fake answers to a refresh.
#[derive(Clone, Copy, PartialEq)]
enum Answer {
    Rotate,
    Fail(OvokStatus, u16),
}

/// A server that rotates refresh tokens and refuses a reused one, as Ovok does.
struct Fake {
    refreshes: AtomicUsize,
    logins: AtomicUsize,
    /// The refresh token it will accept next.
    valid_refresh: Mutex<String>,
    answer: Mutex<Answer>,
    logouts: Mutex<Vec<String>>,
    logout_answer: Mutex<Result<u16, OvokStatus>>,
    /// While closed, refreshes block after being counted.
    gate: Mutex<bool>,
    gate_moved: Condvar,
}

impl Fake {
    fn new() -> Arc<Fake> {
        Arc::new(Fake {
            refreshes: AtomicUsize::new(0),
            logins: AtomicUsize::new(0),
            valid_refresh: Mutex::new("r0".into()),
            answer: Mutex::new(Answer::Rotate),
            logouts: Mutex::default(),
            logout_answer: Mutex::new(Ok(204)),
            gate: Mutex::new(true),
            gate_moved: Condvar::new(),
        })
    }

    fn refreshes(&self) -> usize {
        self.refreshes.load(Ordering::SeqCst)
    }

    fn answer(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }

    fn set_gate(&self, open: bool) {
        *self.gate.lock().unwrap() = open;
        self.gate_moved.notify_all();
    }

    fn tokens(n: usize) -> Tokens {
        Tokens {
            access_token: Zeroizing::new(format!("a{n}")),
            refresh_token: Some(Zeroizing::new(format!("r{n}"))),
            expires_in: Some(3600),
            expires_at: Some(unix_now() + 3600),
            project: None,
            profile: None,
            http_status: 200,
        }
    }
}

impl Authenticator for Arc<Fake> {
    fn login(&self, _: Option<&str>, credentials: &Credentials<'_>) -> Result<Tokens, Error> {
        if credentials.password != "right" {
            return Err(
                Error::new(OvokStatus::Unauthorized, "wrong password").with_http_status(401)
            );
        }
        self.logins.fetch_add(1, Ordering::SeqCst);
        let n = 1000 + self.logins.load(Ordering::SeqCst);
        *self.valid_refresh.lock().unwrap() = format!("r{n}");
        Ok(Fake::tokens(n))
    }

    fn refresh(&self, _: Option<&str>, refresh_token: &str) -> Result<Tokens, Error> {
        let n = self.refreshes.fetch_add(1, Ordering::SeqCst) + 1;
        let mut open = self.gate.lock().unwrap();
        while !*open {
            open = self.gate_moved.wait(open).unwrap();
        }
        drop(open);
        if let Answer::Fail(status, http) = *self.answer.lock().unwrap() {
            return Err(Error::new(status, "injected failure").with_http_status(http));
        }
        let mut valid = self.valid_refresh.lock().unwrap();
        if *valid != refresh_token {
            return Err(Error::new(OvokStatus::Unauthorized, "reused").with_http_status(401));
        }
        *valid = format!("r{n}");
        Ok(Fake::tokens(n))
    }

    fn logout(&self, _: Option<&str>, access_token: &str) -> Result<u16, Error> {
        self.logouts.lock().unwrap().push(access_token.to_owned());
        (*self.logout_answer.lock().unwrap()).map_err(|status| Error::new(status, "injected"))
    }
}

/// The access tokens a listener heard, `None` for a clearing.
type Heard = Arc<Mutex<Vec<Option<String>>>>;

/// A session restored from `r0` alone, with a listener that records what it hears.
fn restored() -> (Arc<Fake>, Arc<Session<Arc<Fake>>>, Heard) {
    let fake = Fake::new();
    let session = Arc::new(Session::new(Arc::clone(&fake), Some("http://127.0.0.1:1")));
    let heard = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&heard);
    session.set_token_listener(Some(Arc::new(move |tokens: Option<&Tokens>| {
        let access = tokens.map(|t| t.access_token.to_string());
        sink.lock().unwrap().push(access);
    })));
    session.restore("r0", None, None).unwrap();
    (fake, session, heard)
}

fn credentials(password: &str) -> Credentials<'_> {
    Credentials {
        email: "demo@example.com",
        password,
        client_id: "00000000-0000-4000-8000-000000000000",
    }
}

#[test]
fn a_new_session_needs_a_login_and_makes_no_call() {
    let fake = Fake::new();
    let session = Session::new(Arc::clone(&fake), None);
    assert_eq!(
        session.access_token(60).unwrap_err().status,
        OvokStatus::LoginRequired
    );
    assert_eq!(fake.refreshes(), 0);
}

#[test]
fn restore_from_a_refresh_token_alone_refreshes_first_and_once() {
    let (fake, session, heard) = restored();
    assert_eq!(
        session.access_token(60).unwrap().access_token.as_str(),
        "a1"
    );
    assert_eq!(
        session.access_token(60).unwrap().access_token.as_str(),
        "a1"
    );
    assert_eq!(fake.refreshes(), 1);
    assert_eq!(*heard.lock().unwrap(), [Some("a1".to_string())]);
}

#[test]
fn restored_tokens_that_are_fresh_enough_are_used_as_they_are() {
    let fake = Fake::new();
    let session = Session::new(Arc::clone(&fake), None);
    session
        .restore("r0", Some("saved"), Some(unix_now() + 600))
        .unwrap();
    assert_eq!(
        session.access_token(60).unwrap().access_token.as_str(),
        "saved"
    );
    assert_eq!(fake.refreshes(), 0);
    // Asking for more time than is left refreshes.
    assert_eq!(
        session.access_token(601).unwrap().access_token.as_str(),
        "a1"
    );
    assert_eq!(fake.refreshes(), 1);
}

#[test]
fn thirty_two_threads_on_an_expired_session_share_one_refresh() {
    let (fake, session, heard) = restored();
    fake.set_gate(false);
    let threads: Vec<_> = (0..32)
        .map(|_| {
            let session = Arc::clone(&session);
            thread::spawn(move || session.access_token(60).map(|t| t.access_token.to_string()))
        })
        .collect();
    // Open the gate only once the other 31 wait for the one refresh.
    while !(fake.refreshes() == 1 && session.waiting_callers() == 31) {
        thread::yield_now();
    }
    fake.set_gate(true);
    for thread in threads {
        assert_eq!(thread.join().unwrap().unwrap(), "a1");
    }
    assert_eq!(fake.refreshes(), 1);
    assert_eq!(heard.lock().unwrap().len(), 1);
}

#[test]
fn a_refused_refresh_clears_the_tokens_and_tells_the_listener() {
    for (status, http) in [
        (OvokStatus::Unauthorized, 401),
        (OvokStatus::BadRequest, 400),
        (OvokStatus::Unprocessable, 422),
    ] {
        let (fake, session, heard) = restored();
        fake.answer(Answer::Fail(status, http));
        let error = session.access_token(60).unwrap_err();
        assert_eq!(error.status, OvokStatus::LoginRequired);
        assert_eq!(error.http_status, http);
        assert_eq!(*heard.lock().unwrap(), [None]);
        // Signed out: the next call makes no request.
        fake.answer(Answer::Rotate);
        assert_eq!(
            session.access_token(60).unwrap_err().status,
            OvokStatus::LoginRequired
        );
        assert_eq!(fake.refreshes(), 1);
    }
}

#[test]
fn a_failed_refresh_keeps_the_tokens_for_the_next_try() {
    for (status, http) in [
        (OvokStatus::Connection, 0),
        (OvokStatus::Timeout, 0),
        (OvokStatus::Tls, 0),
        (OvokStatus::ServerError, 503),
        (OvokStatus::NotFound, 404),
        (OvokStatus::HttpError, 429),
    ] {
        let (fake, session, heard) = restored();
        fake.answer(Answer::Fail(status, http));
        assert_eq!(session.access_token(60).unwrap_err().status, status);
        assert!(heard.lock().unwrap().is_empty());
        fake.answer(Answer::Rotate);
        // The kept refresh token r0 is still the one the server accepts.
        assert_eq!(
            session.access_token(60).unwrap().access_token.as_str(),
            "a2"
        );
    }
}

#[test]
fn the_listener_hears_every_rotation_in_order() {
    let (fake, session, heard) = restored();
    for _ in 0..10 {
        session.invalidate();
        session.access_token(60).unwrap();
    }
    let expected: Vec<_> = (1..=10).map(|n| Some(format!("a{n}"))).collect();
    assert_eq!(*heard.lock().unwrap(), expected);
    assert_eq!(fake.refreshes(), 10);
}

#[test]
fn login_keeps_no_password_and_a_failed_login_changes_nothing() {
    let (fake, session, heard) = restored();
    assert_eq!(
        session.login(&credentials("wrong")).unwrap_err().status,
        OvokStatus::Unauthorized
    );
    assert!(heard.lock().unwrap().is_empty());
    let tokens = session.login(&credentials("right")).unwrap();
    assert_eq!(tokens.access_token.as_str(), "a1001");
    assert_eq!(
        session.access_token(60).unwrap().access_token.as_str(),
        "a1001"
    );
    assert_eq!(*heard.lock().unwrap(), [Some("a1001".to_string())]);
    // The refresh after the login uses the login's refresh token.
    session.invalidate();
    assert_eq!(
        session.access_token(60).unwrap().access_token.as_str(),
        "a1"
    );
    assert_eq!(fake.refreshes(), 1);
}

#[test]
fn logout_clears_first_even_when_the_server_fails() {
    let (fake, session, heard) = restored();
    session.access_token(60).unwrap();
    *fake.logout_answer.lock().unwrap() = Err(OvokStatus::Connection);
    assert_eq!(session.logout().unwrap_err().status, OvokStatus::Connection);
    assert_eq!(*fake.logouts.lock().unwrap(), ["a1"]);
    assert_eq!(*heard.lock().unwrap(), [Some("a1".to_string()), None]);
    assert_eq!(
        session.access_token(60).unwrap_err().status,
        OvokStatus::LoginRequired
    );
    // Nothing left to revoke: no second call, no second notification.
    assert_eq!(
        session.logout().unwrap_err().status,
        OvokStatus::LoginRequired
    );
    assert_eq!(fake.logouts.lock().unwrap().len(), 1);
    assert_eq!(heard.lock().unwrap().len(), 2);
}

#[test]
fn logout_reports_the_servers_answer() {
    let (_fake, session, _heard) = restored();
    session.access_token(60).unwrap();
    assert_eq!(session.logout().unwrap(), 204);
}

#[test]
fn a_refresh_that_races_a_logout_does_not_sign_the_user_back_in() {
    let (fake, session, heard) = restored();
    fake.set_gate(false);
    let caller = {
        let session = Arc::clone(&session);
        thread::spawn(move || session.access_token(60))
    };
    while fake.refreshes() == 0 {
        thread::yield_now();
    }
    assert_eq!(
        session.logout().unwrap_err().status,
        OvokStatus::LoginRequired
    );
    fake.set_gate(true);
    assert_eq!(
        caller.join().unwrap().unwrap_err().status,
        OvokStatus::LoginRequired
    );
    assert_eq!(
        session.access_token(60).unwrap_err().status,
        OvokStatus::LoginRequired
    );
    assert_eq!(*heard.lock().unwrap(), [None]);
}

#[test]
fn a_listener_may_change_the_tokens_itself() {
    let fake = Fake::new();
    let session = Arc::new(Session::new(Arc::clone(&fake), None));
    let inner = Arc::downgrade(&session);
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    session.set_token_listener(Some(Arc::new(move |tokens: Option<&Tokens>| {
        counted.fetch_add(1, Ordering::SeqCst);
        if tokens.is_some() {
            if let Some(session) = inner.upgrade() {
                let _ = session.logout();
            }
        }
    })));
    session.login(&credentials("right")).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(
        session.access_token(0).unwrap_err().status,
        OvokStatus::LoginRequired
    );
}

#[test]
fn an_invalid_base_url_fails_every_call_with_why() {
    let fake = Fake::new();
    let session = Session::new(Arc::clone(&fake), Some("ftp://example.com"));
    for error in [
        session.restore("r0", None, None).unwrap_err(),
        session.access_token(0).unwrap_err(),
        session.login(&credentials("right")).unwrap_err(),
    ] {
        assert_eq!(error.status, OvokStatus::InvalidArgument);
        assert!(!error.message.is_empty());
    }
    assert_eq!(fake.refreshes() + fake.logins.load(Ordering::SeqCst), 0);
}

#[test]
fn restore_refuses_tokens_that_cannot_be_sent() {
    let fake = Fake::new();
    let session = Session::new(fake, None);
    assert!(session.restore("", None, None).is_err());
    assert!(session.restore("r0", Some("two\r\nlines"), None).is_err());
}

#[test]
fn thirty_two_late_rejections_of_one_token_cause_one_refresh() {
    let (fake, session, _heard) = restored();
    let old = session.access_token(60).unwrap().access_token.to_string();
    assert_eq!(fake.refreshes(), 1);
    let start = Arc::new(std::sync::Barrier::new(32));
    let threads: Vec<_> = (0..32)
        .map(|_| {
            let (session, start, old) = (Arc::clone(&session), Arc::clone(&start), old.clone());
            thread::spawn(move || {
                start.wait();
                session.invalidate_token(&old);
                session.access_token(60).map(|t| t.access_token.to_string())
            })
        })
        .collect();
    for thread in threads {
        assert_eq!(thread.join().unwrap().unwrap(), "a2");
    }
    assert_eq!(fake.refreshes(), 2);
}

#[test]
fn a_rejection_during_the_refresh_of_that_token_adds_no_refresh() {
    let (fake, session, _heard) = restored();
    session.access_token(60).unwrap();
    session.invalidate();
    fake.set_gate(false);
    let renewing = {
        let session = Arc::clone(&session);
        thread::spawn(move || session.access_token(60).map(|t| t.access_token.to_string()))
    };
    while fake.refreshes() != 2 {
        thread::yield_now();
    }
    // "a1" is still the current token while its refresh is in flight.
    assert!(session.invalidate_token("a1"));
    fake.set_gate(true);
    assert_eq!(renewing.join().unwrap().unwrap(), "a2");
    assert_eq!(
        session.access_token(60).unwrap().access_token.as_str(),
        "a2"
    );
    assert_eq!(fake.refreshes(), 2);
}

#[test]
fn a_rejected_token_that_was_already_renewed_is_ignored() {
    let (fake, session, _heard) = restored();
    session.access_token(60).unwrap();
    session.invalidate();
    assert_eq!(
        session.access_token(60).unwrap().access_token.as_str(),
        "a2"
    );
    assert!(!session.invalidate_token("a1"));
    assert_eq!(
        session.access_token(60).unwrap().access_token.as_str(),
        "a2"
    );
    assert_eq!(fake.refreshes(), 2);
    // The current one is honoured.
    assert!(session.invalidate_token("a2"));
    assert_eq!(
        session.access_token(60).unwrap().access_token.as_str(),
        "a3"
    );
    assert_eq!(fake.refreshes(), 3);
}

#[test]
fn an_unknown_rejected_token_is_ignored() {
    let (fake, session, _heard) = restored();
    // No access token yet: nothing to match.
    assert!(!session.invalidate_token("a1"));
    session.access_token(60).unwrap();
    for unknown in ["", "a", "a10", "A1", "a1 ", "elsewhere"] {
        assert!(!session.invalidate_token(unknown), "{unknown:?}");
    }
    assert_eq!(
        session.access_token(60).unwrap().access_token.as_str(),
        "a1"
    );
    assert_eq!(fake.refreshes(), 1);
    session.logout().unwrap();
    assert!(!session.invalidate_token("a1"));
}
