//! A login session: the one token lifecycle that every language shares.
//!
//! The rules, kept here once so that wrappers stay thin:
//! - **Single flight.** Callers that find the access token too close to
//!   expiry while a refresh is running wait for it and get its outcome;
//!   exactly one refresh request goes out. Ovok rotates refresh tokens, so a
//!   second refresh with the same token would be refused and sign the user out.
//! - **A refused refresh signs out.** HTTP 400, 401 and 422 mean the server
//!   read the refresh token and rejected it: the tokens are cleared, the
//!   listener hears `None`, and the call fails with
//!   [`OvokStatus::LoginRequired`].
//! - **A failed refresh is not a logout.** Connection errors, timeouts, TLS
//!   failures, 5xx and every other status (404 and 403 included: a gateway or
//!   a captive portal can answer them) keep the tokens for a later try.
//! - **No password is kept.** Logging in again is the caller's business.
//! - **Logout clears locally first**, always, and then asks the server to
//!   revoke the access token.
//! - **No lock is held** while the network is used or the listener runs.
//!
//! The listener runs on the thread that changed the tokens. Changes reach it
//! one at a time and in the order they happened: when two threads change the
//! tokens at once, an older change that would arrive after a newer one is
//! skipped, so the listener's last call always holds the current tokens.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, ThreadId};

use zeroize::Zeroizing;

use crate::base_url::BaseUrl;
use crate::client::{unix_now, Client};
use crate::error::Error;
use crate::request::{self, Credentials};
use crate::response::Tokens;
use crate::status::OvokStatus;

/// The three calls a session makes. [`Client`] makes them over HTTP; tests
/// put a fake in its place.
pub trait Authenticator: Send + Sync {
    /// `POST /v2/auth/login`.
    fn login(&self, base_url: Option<&str>, credentials: &Credentials<'_>)
        -> Result<Tokens, Error>;
    /// `POST /auth/refresh-token`.
    fn refresh(&self, base_url: Option<&str>, refresh_token: &str) -> Result<Tokens, Error>;
    /// `POST /auth/logout` with the access token as Bearer; the 2xx status.
    fn logout(&self, base_url: Option<&str>, access_token: &str) -> Result<u16, Error>;
}

impl Authenticator for Client {
    fn login(
        &self,
        base_url: Option<&str>,
        credentials: &Credentials<'_>,
    ) -> Result<Tokens, Error> {
        Client::login(self, base_url, credentials)
    }

    fn refresh(&self, base_url: Option<&str>, refresh_token: &str) -> Result<Tokens, Error> {
        Client::refresh(self, base_url, refresh_token)
    }

    fn logout(&self, base_url: Option<&str>, access_token: &str) -> Result<u16, Error> {
        Client::logout(self, base_url, access_token)
    }
}

/// Hears every change of a session's tokens: the new tokens, or `None`
/// when they were cleared.
pub type TokenListener = Arc<dyn Fn(Option<&Tokens>) + Send + Sync>;

/// A user's tokens and the rules that keep them fresh. Every method may be
/// called from any thread.
pub struct Session<A> {
    authenticator: A,
    base_url: Option<String>,
    /// Why the base URL is unusable; every call then fails with it.
    base_url_error: Option<Error>,
    state: Mutex<State>,
    /// Signalled when a refresh finishes.
    refreshed: Condvar,
    listener: Mutex<Option<TokenListener>>,
    notifier: Notifier,
}

impl<A> std::fmt::Debug for Session<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct State {
    /// The last access token with its expiry; `refresh_token` inside it
    /// mirrors `refresh_token` below.
    access: Option<Tokens>,
    refresh_token: Option<Zeroizing<String>>,
    /// The API refused the access token: refresh before handing it out again.
    stale: bool,
    /// Counts changes of the tokens, so that a refresh that raced a login,
    /// restore or logout is dropped, and notifications keep their order.
    generation: u64,
    refreshing: bool,
    /// Counts finished refreshes; waiters wait for it to move.
    refreshes: u64,
    /// What the last finished refresh gave its waiters.
    last_refresh: Option<Result<Tokens, Error>>,
    /// Callers waiting for the refresh in flight (tests observe it).
    waiters: usize,
}

impl State {
    fn usable(&self, min_ttl_seconds: i64, now: i64) -> Option<&Tokens> {
        let access = self.access.as_ref().filter(|_| !self.stale)?;
        let expires_at = access.expires_at?;
        (expires_at.saturating_sub(now) >= min_ttl_seconds.max(0)).then_some(access)
    }

    fn replace(&mut self, access: Option<Tokens>, refresh_token: Option<Zeroizing<String>>) {
        self.access = access;
        self.refresh_token = refresh_token;
        self.stale = false;
        self.generation += 1;
    }

    /// Applies the outcome of a refresh that started at `generation`.
    /// Returns what the caller and the waiters get (`None`: look again) and
    /// the change for the listener, if the tokens changed.
    fn settle(
        &mut self,
        outcome: Result<Tokens, Error>,
        generation: u64,
    ) -> (Option<Result<Tokens, Error>>, Option<Option<Tokens>>) {
        if self.generation != generation {
            return (None, None);
        }
        match outcome {
            Ok(mut tokens) => {
                if tokens.refresh_token.is_none() {
                    tokens.refresh_token = self.refresh_token.clone();
                }
                if let Some(previous) = &self.access {
                    tokens.project = tokens.project.take().or_else(|| previous.project.clone());
                    tokens.profile = tokens.profile.take().or_else(|| previous.profile.clone());
                }
                let refresh_token = tokens.refresh_token.clone();
                self.replace(Some(tokens.clone()), refresh_token);
                (Some(Ok(tokens.clone())), Some(Some(tokens)))
            }
            Err(error) if refused(&error) => {
                self.replace(None, None);
                let error = Error::new(
                    OvokStatus::LoginRequired,
                    format!(
                        "the server refused the refresh token ({}); log in again",
                        error.message
                    ),
                )
                .with_http_status(error.http_status);
                (Some(Err(error)), Some(None))
            }
            Err(error) => (Some(Err(error)), None),
        }
    }
}

/// Whether a failed refresh means the refresh token itself is no good.
fn refused(error: &Error) -> bool {
    matches!(
        error.status,
        OvokStatus::Unauthorized | OvokStatus::BadRequest | OvokStatus::Unprocessable
    )
}

fn login_required(message: &str) -> Error {
    Error::new(OvokStatus::LoginRequired, message)
}

impl<A: Authenticator> Session<A> {
    /// A signed-out session that talks to `base_url` (`None` or `""`: the
    /// sandbox). An invalid base URL makes every later call fail with why.
    pub fn new(authenticator: A, base_url: Option<&str>) -> Session<A> {
        let base_url_error = BaseUrl::parse(base_url).err();
        let base_url = base_url.filter(|url| !url.is_empty()).map(str::to_owned);
        Session::build(authenticator, base_url, base_url_error)
    }

    /// A session whose every call fails with `error`, for a base URL that
    /// could not even be read.
    pub fn refusing(authenticator: A, error: Error) -> Session<A> {
        Session::build(authenticator, None, Some(error))
    }

    fn build(authenticator: A, base_url: Option<String>, error: Option<Error>) -> Session<A> {
        Session {
            authenticator,
            base_url,
            base_url_error: error,
            state: Mutex::default(),
            refreshed: Condvar::new(),
            listener: Mutex::default(),
            notifier: Notifier::default(),
        }
    }

    fn base_url(&self) -> Result<Option<&str>, Error> {
        match &self.base_url_error {
            Some(error) => Err(error.clone()),
            None => Ok(self.base_url.as_deref()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Logs in and adopts the tokens. The credentials are not kept. A failed
    /// login leaves the tokens as they were.
    pub fn login(&self, credentials: &Credentials<'_>) -> Result<Tokens, Error> {
        let tokens = self.authenticator.login(self.base_url()?, credentials)?;
        let generation = {
            let mut state = self.lock();
            state.replace(Some(tokens.clone()), tokens.refresh_token.clone());
            state.generation
        };
        self.notify(generation, Some(&tokens));
        Ok(tokens)
    }

    /// Adopts tokens saved earlier. Without an access token or its expiry,
    /// the next [`Session::access_token`] refreshes first. The listener is
    /// not called: the caller already has these tokens.
    pub fn restore(
        &self,
        refresh_token: &str,
        access_token: Option<&str>,
        expires_at: Option<i64>,
    ) -> Result<(), Error> {
        self.base_url()?;
        request::validate_refresh_token(refresh_token)?;
        if let Some(access_token) = access_token {
            request::validate_access_token(access_token)?;
        }
        let refresh_token = Zeroizing::new(refresh_token.to_owned());
        let access = access_token.map(|access_token| Tokens {
            access_token: Zeroizing::new(access_token.to_owned()),
            refresh_token: Some(refresh_token.clone()),
            expires_in: None,
            expires_at: expires_at.filter(|at| *at >= 0),
            project: None,
            profile: None,
            http_status: 0,
        });
        self.lock().replace(access, Some(refresh_token));
        Ok(())
    }

    /// Tokens whose access token stays valid for at least `min_ttl_seconds`
    /// by its `expires_at`, refreshing first when needed. Concurrent callers
    /// share one refresh and all get its outcome.
    pub fn access_token(&self, min_ttl_seconds: i64) -> Result<Tokens, Error> {
        let base_url = self.base_url()?;
        let mut state = self.lock();
        loop {
            if let Some(tokens) = state.usable(min_ttl_seconds, unix_now()) {
                return Ok(tokens.clone());
            }
            if state.refreshing {
                let round = state.refreshes;
                state.waiters += 1;
                while state.refreshing && state.refreshes == round {
                    state = self
                        .refreshed
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                state.waiters -= 1;
                if let Some(outcome) = state
                    .last_refresh
                    .clone()
                    .filter(|_| state.refreshes != round)
                {
                    return outcome;
                }
                continue;
            }
            let Some(refresh_token) = state.refresh_token.clone() else {
                return Err(login_required(
                    "the session holds no refresh token: log in or restore first",
                ));
            };
            state.refreshing = true;
            let generation = state.generation;
            drop(state);

            let flight = InFlight { session: self };
            let outcome = self.authenticator.refresh(base_url, &refresh_token);
            drop(refresh_token);

            state = self.lock();
            let (result, change) = state.settle(outcome, generation);
            state.last_refresh = result.clone();
            let generation = state.generation;
            flight.land(&mut state);
            if let Some(change) = change {
                drop(state);
                self.notify(generation, change.as_ref());
                state = self.lock();
            }
            if let Some(result) = result {
                return result;
            }
        }
    }

    /// The API refused the current access token: the next
    /// [`Session::access_token`] refreshes.
    pub fn invalidate(&self) {
        self.lock().stale = true;
    }

    /// The API refused `rejected_access_token`: the next
    /// [`Session::access_token`] refreshes, but only if that token is still
    /// the current one. A token that a refresh (or login, restore, logout)
    /// has replaced meanwhile is ignored, and so is a token the session never
    /// held: when many threads get a 401 for the same old token, the first
    /// one to report it causes the one refresh, and the later ones find the
    /// new token in place. Returns whether the token was marked stale.
    ///
    /// While a refresh is in flight the old token is still current, so a
    /// rejection of it marks it stale; the refresh's outcome then replaces it
    /// (and clears the mark), so it causes no second refresh.
    pub fn invalidate_token(&self, rejected_access_token: &str) -> bool {
        let mut state = self.lock();
        let current = state.access.as_ref().is_some_and(|access| {
            access.access_token.as_bytes() == rejected_access_token.as_bytes()
        });
        if current {
            state.stale = true;
        }
        current
    }

    /// Clears the tokens, always, then asks the server to revoke the access
    /// token. The result is the server's answer: its 2xx status, or why the
    /// revocation failed ([`OvokStatus::LoginRequired`] when there was no
    /// access token to revoke).
    pub fn logout(&self) -> Result<u16, Error> {
        let (access, generation) = {
            let mut state = self.lock();
            let access = state.access.take();
            let had_tokens = access.is_some() || state.refresh_token.is_some();
            state.replace(None, None);
            (access, had_tokens.then_some(state.generation))
        };
        if let Some(generation) = generation {
            self.notify(generation, None);
        }
        let Some(access) = access else {
            return Err(login_required(
                "the session held no access token to revoke; it is signed out",
            ));
        };
        self.authenticator
            .logout(self.base_url()?, &access.access_token)
    }

    /// Sets (or with `None` removes) the listener for token changes.
    pub fn set_token_listener(&self, listener: Option<TokenListener>) {
        *self.listener.lock().unwrap_or_else(PoisonError::into_inner) = listener;
    }

    /// Tells the listener about the change that produced `generation`,
    /// unless a newer change has reached it already.
    fn notify(&self, generation: u64, tokens: Option<&Tokens>) {
        let listener = self
            .listener
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(listener) = listener {
            self.notifier.deliver(generation, || listener(tokens));
        }
    }

    /// Callers now waiting for the refresh in flight.
    #[doc(hidden)]
    pub fn waiting_callers(&self) -> usize {
        self.lock().waiters
    }
}

/// Marks the end of a refresh, also when the refresh panicked, so that
/// waiters never wait forever.
struct InFlight<'a, A: Authenticator> {
    session: &'a Session<A>,
}

impl<A: Authenticator> InFlight<'_, A> {
    fn land(self, state: &mut State) {
        state.refreshing = false;
        state.refreshes += 1;
        self.session.refreshed.notify_all();
        std::mem::forget(self);
    }
}

impl<A: Authenticator> Drop for InFlight<'_, A> {
    fn drop(&mut self) {
        let mut state = self.session.lock();
        state.last_refresh = Some(Err(Error::new(
            OvokStatus::Internal,
            "the refresh failed inside the library (a bug; please report it)",
        )));
        state.refreshing = false;
        state.refreshes += 1;
        self.session.refreshed.notify_all();
    }
}

/// Serializes calls of the listener without holding a lock during them: a
/// thread takes the turn, calls, and gives the turn back. The thread holding
/// the turn may take it again, so a listener may change the tokens itself.
#[derive(Default)]
struct Notifier {
    turn: Mutex<Turn>,
    free: Condvar,
}

#[derive(Default)]
struct Turn {
    owner: Option<ThreadId>,
    depth: usize,
    /// The newest generation the listener has heard.
    delivered: u64,
}

impl Notifier {
    fn deliver(&self, generation: u64, call: impl FnOnce()) {
        let me = thread::current().id();
        {
            let mut turn = self.turn.lock().unwrap_or_else(PoisonError::into_inner);
            while turn.owner.is_some_and(|owner| owner != me) {
                turn = self.free.wait(turn).unwrap_or_else(PoisonError::into_inner);
            }
            if generation <= turn.delivered {
                return;
            }
            turn.delivered = generation;
            turn.owner = Some(me);
            turn.depth += 1;
        }
        let _release = TurnRelease { notifier: self };
        call();
    }
}

/// Gives the turn back when the listener returns or panics.
struct TurnRelease<'a> {
    notifier: &'a Notifier,
}

impl Drop for TurnRelease<'_> {
    fn drop(&mut self) {
        let mut turn = self
            .notifier
            .turn
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        turn.depth -= 1;
        if turn.depth == 0 {
            turn.owner = None;
            self.notifier.free.notify_all();
        }
    }
}

#[cfg(test)]
mod tests;
