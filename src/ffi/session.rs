//! `OvokSession`: the core session (src/session.rs) for C.

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use super::client::OvokClient;
use super::panic;
use super::result::OvokResult;
use super::strings::{optional_str, required_str};
use crate::client::Client;
use crate::error::Error;
use crate::request::Credentials;
use crate::response::Tokens;
use crate::session::Session;
use crate::status::OvokStatus;

/// A user's tokens, kept fresh: log in (or restore saved tokens) once, then
/// ask `ovok_session_access_token` before each API call.
///
/// Made by `ovok_session_new`, freed with `ovok_session_free`. Every function
/// may be called from any thread, at the same time; only
/// `ovok_session_free` must wait until no other call on the session runs.
/// The session holds its own reference to its client, so the client may be
/// freed first. It never stores the password.
pub struct OvokSession {
    session: Session<Client>,
}

/// Hears every change of a session's tokens; see
/// `ovok_session_set_token_listener`.
pub type OvokTokenListener =
    Option<unsafe extern "C" fn(context: *mut c_void, tokens: *const OvokResult)>;

/// A C listener with its context.
struct CListener {
    call: unsafe extern "C" fn(*mut c_void, *const OvokResult),
    context: *mut c_void,
}

// SAFETY: `ovok_session_set_token_listener` documents that the listener is
// called from any thread with this context; the caller promises it may be.
unsafe impl Send for CListener {}
// SAFETY: as above; the library only passes the pointer on, never reads it.
unsafe impl Sync for CListener {}

impl CListener {
    fn hear(&self, tokens: Option<&Tokens>) {
        let result = tokens.map_or(std::ptr::null_mut(), |tokens| {
            OvokResult::into_raw(Ok(tokens.clone()))
        });
        // SAFETY: the caller gave a function of this signature, and `result`
        // is NULL or a live result until it is freed below.
        unsafe { (self.call)(self.context, result) };
        if !result.is_null() {
            // SAFETY: made by `into_raw` above and freed only here.
            unsafe { OvokResult::free(result) };
        }
    }
}

/// Borrows a session, or says that it is NULL.
///
/// # Safety
/// `session` is NULL or a live session.
unsafe fn session<'a>(session: *const OvokSession) -> Result<&'a Session<Client>, Error> {
    // SAFETY: as promised by the caller.
    unsafe { session.as_ref() }
        .map(|s| &s.session)
        .ok_or_else(|| Error::invalid_argument("session is NULL"))
}

/// A new, signed-out session.
///
/// - `client`: NULL for the shared default client (the settings of
///   `ovok_login`), or a client from `ovok_client_build`; the session keeps
///   its own reference to it.
/// - `base_url`: NULL or "" for Ovok's sandbox, otherwise as for
///   `ovok_login`. An invalid base URL makes every later call return
///   `OVOK_STATUS_INVALID_ARGUMENT`, with a message saying why.
///
/// Never returns NULL. Free it with `ovok_session_free`.
///
/// # Safety
/// `client` is NULL or a live client; `base_url` is NULL or a NUL-terminated
/// string, valid for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn ovok_session_new(
    client: *const OvokClient,
    base_url: *const c_char,
) -> *mut OvokSession {
    let session = panic::guard(
        || {
            let error = Error::new(OvokStatus::Internal, "internal error creating the session");
            Session::refusing(Client::shared().clone(), error)
        },
        || {
            let client = if client.is_null() {
                Client::shared().clone()
            } else {
                // SAFETY: as promised by the caller.
                unsafe { OvokClient::acquire(client) }
                    .map(|client| client.core().clone())
                    .unwrap_or_else(|_| Client::shared().clone())
            };
            // SAFETY: as promised by the caller.
            match unsafe { optional_str(base_url, "base_url") } {
                Ok(base_url) => Session::new(client, base_url),
                Err(error) => Session::refusing(client, error),
            }
        },
    );
    Box::into_raw(Box::new(OvokSession { session }))
}

/// Logs in with `POST {base_url}/v2/auth/login` and keeps the tokens (not
/// the password). The strings are as for `ovok_login`. A failed login leaves
/// the session's tokens as they were. Never returns NULL; free the result
/// with `ovok_result_free`.
///
/// # Safety
/// `session` is NULL or a live session; the strings are NULL or
/// NUL-terminated, valid for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn ovok_session_login(
    session: *mut OvokSession,
    email: *const c_char,
    password: *const c_char,
    client_id: *const c_char,
) -> *mut OvokResult {
    result_of(|| {
        // SAFETY: as promised by the caller.
        let session = unsafe { self::session(session) }?;
        let credentials = Credentials {
            email: unsafe { required_str(email, "email") }?,
            password: unsafe { required_str(password, "password") }?,
            client_id: unsafe { required_str(client_id, "client_id") }?,
        };
        session.login(&credentials)
    })
}

/// Adopts tokens saved earlier (from the listener), e.g. when an app starts
/// again. `refresh_token` is required. `access_token` may be NULL and
/// `expires_at` -1 (unknown, as is any negative value): the next
/// `ovok_session_access_token` then refreshes first. The listener is not
/// called. Returns `OVOK_STATUS_OK` or `OVOK_STATUS_INVALID_ARGUMENT`.
///
/// # Safety
/// `session` is NULL or a live session; the strings are NULL or
/// NUL-terminated, valid for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn ovok_session_restore(
    session: *mut OvokSession,
    refresh_token: *const c_char,
    access_token: *const c_char,
    expires_at: i64,
) -> OvokStatus {
    panic::guard(
        || OvokStatus::Internal,
        || {
            let restored = (|| {
                // SAFETY: as promised by the caller.
                let session = unsafe { self::session(session) }?;
                let refresh_token = unsafe { required_str(refresh_token, "refresh_token") }?;
                let access_token = unsafe { optional_str(access_token, "access_token") }?;
                session.restore(refresh_token, access_token, Some(expires_at))
            })();
            restored.map_or_else(|error| error.status, |()| OvokStatus::Ok)
        },
    )
}

/// `OVOK_STATUS_OK` with an access token valid for at least
/// `min_ttl_seconds` by its `expires_at`, refreshing first when needed.
/// Concurrent callers share one refresh request and all get its outcome.
///
/// `OVOK_STATUS_LOGIN_REQUIRED` when the session has no usable refresh token
/// (never logged in, logged out, or the server refused the refresh token
/// with 400, 401 or 422; the tokens are then cleared and the listener gets
/// NULL). Any other failure (offline, a timeout, 5xx) keeps the tokens, so a
/// later call can try again. Never returns NULL; free the result with
/// `ovok_result_free`.
///
/// # Safety
/// `session` is NULL or a live session.
#[no_mangle]
pub unsafe extern "C" fn ovok_session_access_token(
    session: *mut OvokSession,
    min_ttl_seconds: i64,
) -> *mut OvokResult {
    // SAFETY: as promised by the caller.
    result_of(|| unsafe { self::session(session) }?.access_token(min_ttl_seconds))
}

/// The API answered 401 to the current access token: the next
/// `ovok_session_access_token` refreshes. NULL is fine.
///
/// # Safety
/// `session` is NULL or a live session.
#[no_mangle]
pub unsafe extern "C" fn ovok_session_invalidate(session: *mut OvokSession) {
    panic::guard(
        || (),
        || {
            // SAFETY: as promised by the caller.
            if let Ok(session) = unsafe { self::session(session) } {
                session.invalidate();
            }
        },
    );
}

/// The API answered 401 to `rejected_access_token`: the next
/// `ovok_session_access_token` refreshes, but only if that token is still
/// the session's current access token. A token that another thread's
/// refresh (or a login, restore or logout) has replaced meanwhile is
/// ignored, and so is a token the session never held. So when many threads
/// get a 401 for the same token at once, the session refreshes once. Pass
/// the exact token that the API rejected, as `ovok_session_access_token`
/// gave it.
///
/// Safe to call from any thread, also while a refresh runs; it never waits
/// for the network. `rejected_access_token` NULL: as
/// `ovok_session_invalidate`. A NULL session, and a token that is not valid
/// UTF-8 (so never one the session held), are ignored.
///
/// # Safety
/// `session` is NULL or a live session; `rejected_access_token` is NULL or
/// a NUL-terminated string, valid for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn ovok_session_invalidate_token(
    session: *mut OvokSession,
    rejected_access_token: *const c_char,
) {
    panic::guard(
        || (),
        || {
            // SAFETY: as promised by the caller.
            let Ok(session) = (unsafe { self::session(session) }) else {
                return;
            };
            // SAFETY: as promised by the caller.
            match unsafe { optional_str(rejected_access_token, "rejected_access_token") } {
                Ok(Some(rejected)) => {
                    session.invalidate_token(rejected);
                }
                Ok(None) => session.invalidate(),
                Err(_) => {}
            }
        },
    );
}

/// Clears the tokens locally first, always (the listener gets NULL), then
/// asks the server to revoke them with `POST {base_url}/auth/logout` and
/// `Authorization: Bearer <access token>`. The result reports the server's
/// answer: `OVOK_STATUS_OK` with `http_status` 204, or why the revocation
/// failed (`OVOK_STATUS_LOGIN_REQUIRED` when there was no access token to
/// revoke). It never holds tokens. Never returns NULL; free it with
/// `ovok_result_free`.
///
/// # Safety
/// `session` is NULL or a live session.
#[no_mangle]
pub unsafe extern "C" fn ovok_session_logout(session: *mut OvokSession) -> *mut OvokResult {
    panic::guard(OvokResult::internal_error, || {
        // SAFETY: as promised by the caller.
        OvokResult::status_only(unsafe { self::session(session) }.and_then(|s| s.logout()))
    })
}

/// Sets the listener that hears every change of the session's tokens
/// (login, refresh, logout, a refused refresh); NULL removes it. This is
/// how apps persist tokens, e.g. in the Keychain.
///
/// The listener is called on the thread that changed the tokens, with no
/// lock held, so it may call back into the session. `tokens` is NULL when
/// they were cleared; otherwise a result with `OVOK_STATUS_OK`, owned by the
/// library and valid only during the call (copy what you keep; do not free
/// it). Calls come one at a time, in the order of the changes; of two
/// changes at the same moment, an older one that would arrive after the
/// newer is skipped, so the last call always holds the current tokens.
/// `context` is passed as given and must be usable from any thread. A call
/// already running when the listener is replaced finishes with the old
/// listener and context.
///
/// # Safety
/// `session` is NULL or a live session; `listener` is NULL or a function
/// that may be called with `context` from any thread until it is replaced
/// or the session is freed.
#[no_mangle]
pub unsafe extern "C" fn ovok_session_set_token_listener(
    session: *mut OvokSession,
    listener: OvokTokenListener,
    context: *mut c_void,
) {
    panic::guard(
        || (),
        || {
            // SAFETY: as promised by the caller.
            let Ok(session) = (unsafe { self::session(session) }) else {
                return;
            };
            let listener = listener.map(|call| {
                let listener = CListener { call, context };
                Arc::new(move |tokens: Option<&Tokens>| listener.hear(tokens))
                    as crate::session::TokenListener
            });
            session.set_token_listener(listener);
        },
    );
}

/// Frees a session and wipes its tokens, without logging out (the saved
/// refresh token stays usable). NULL is fine. No other call on the session
/// may be running.
///
/// # Safety
/// `session` is NULL or a live session, freed only once.
#[no_mangle]
pub unsafe extern "C" fn ovok_session_free(session: *mut OvokSession) {
    panic::guard(
        || (),
        || {
            if !session.is_null() {
                // SAFETY: as promised by the caller.
                drop(unsafe { Box::from_raw(session) });
            }
        },
    );
}

/// Runs a call inside the panic boundary and hands its outcome to C.
fn result_of(call: impl FnOnce() -> Result<Tokens, Error>) -> *mut OvokResult {
    panic::guard(OvokResult::internal_error, || OvokResult::into_raw(call()))
}
