//! The calls that talk to Ovok: log in and refresh, through the shared
//! default client or a configured one.

use std::ffi::c_char;

use super::client::OvokClient;
use super::panic;
use super::result::OvokResult;
use super::strings::{optional_str, required_str};
use crate::client::Client;
use crate::error::Error;
use crate::request::Credentials;
use crate::response::Tokens;

/// Logs in to Ovok with `POST {base_url}/v2/auth/login`.
///
/// - `base_url`: NULL or "" for Ovok's sandbox, `https://api.sandbox.ovok.com`.
///   Otherwise an https URL, optionally with a path prefix
///   (`https://gw.example/ovok` posts to `/ovok/v2/auth/login`); a trailing
///   slash is fine. A query, a fragment, user info or another scheme gives
///   `OVOK_STATUS_INVALID_ARGUMENT`. Plain `http://` is accepted only for
///   loopback hosts (127.0.0.0/8, ::1, localhost).
/// - `email`, `password`, `client_id`: required NUL-terminated UTF-8 strings of
///   1 to 4096 bytes. The library does not keep them after the call returns.
///
/// Never returns NULL, even when every argument is NULL: check `status`. The
/// caller owns the result and must free it with `ovok_result_free`.
///
/// Uses the default settings (see `OvokClientBuilder`): at most 10 s to
/// connect and 30 s in total, the operating system's trusted certificates,
/// the proxy from the environment. Redirects are never followed. Connections are pooled and
/// reused across calls. Safe to call from many threads at once.
///
/// # Safety
/// Each argument is NULL or a NUL-terminated string that stays valid for
/// the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn ovok_login(
    base_url: *const c_char,
    email: *const c_char,
    password: *const c_char,
    client_id: *const c_char,
) -> *mut OvokResult {
    // SAFETY: the caller passes NULL or valid C strings.
    result_of(|| unsafe { login_with(Client::shared(), base_url, email, password, client_id) })
}

/// Like `ovok_login`, through a configured client (its timeouts, trust,
/// proxy and connection pool). A NULL `client` gives
/// `OVOK_STATUS_INVALID_ARGUMENT`. Safe to call from many threads at once,
/// with the same client.
///
/// # Safety
/// `client` is NULL or a live client from `ovok_client_build`; the strings
/// are as for `ovok_login`.
#[no_mangle]
pub unsafe extern "C" fn ovok_client_login(
    client: *const OvokClient,
    base_url: *const c_char,
    email: *const c_char,
    password: *const c_char,
    client_id: *const c_char,
) -> *mut OvokResult {
    // SAFETY: the caller passes NULL or a live client, and valid strings.
    result_of(|| unsafe {
        login_with(
            OvokClient::acquire(client)?.core(),
            base_url,
            email,
            password,
            client_id,
        )
    })
}

/// Exchanges a refresh token for new tokens with
/// `POST {base_url}/auth/refresh-token`.
///
/// Refresh before `expires_at` (Ovok's access tokens live about an hour; a
/// minute of margin is sensible), or after a call fails with 401. Ovok
/// rotates refresh tokens: the result's `refresh_token` replaces the one you
/// passed, which the server will reject if it is used again. On
/// `OVOK_STATUS_UNAUTHORIZED` the refresh token is expired, unknown or
/// already used: log in again.
///
/// `refresh_token` is required: 1 to 16384 bytes of UTF-8. `base_url`
/// follows the rules of `ovok_login`. The result has no
/// `project_*` or `profile_*` fields. Never returns NULL; free the result
/// with `ovok_result_free`. Safe to call from many threads at once.
///
/// # Safety
/// Each argument is NULL or a NUL-terminated string that stays valid for
/// the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn ovok_refresh(
    base_url: *const c_char,
    refresh_token: *const c_char,
) -> *mut OvokResult {
    // SAFETY: the caller passes NULL or valid C strings.
    result_of(|| unsafe { refresh_with(Client::shared(), base_url, refresh_token) })
}

/// Like `ovok_refresh`, through a configured client.
///
/// # Safety
/// `client` is NULL or a live client from `ovok_client_build`; the strings
/// are as for `ovok_refresh`.
#[no_mangle]
pub unsafe extern "C" fn ovok_client_refresh(
    client: *const OvokClient,
    base_url: *const c_char,
    refresh_token: *const c_char,
) -> *mut OvokResult {
    // SAFETY: the caller passes NULL or a live client, and valid strings.
    result_of(|| unsafe {
        refresh_with(OvokClient::acquire(client)?.core(), base_url, refresh_token)
    })
}

/// Runs a call inside the panic boundary and hands its outcome to C.
fn result_of(call: impl FnOnce() -> Result<Tokens, Error>) -> *mut OvokResult {
    panic::guard(OvokResult::internal_error, || OvokResult::into_raw(call()))
}

/// # Safety
/// The pointers are NULL or valid C strings for the duration of the call.
unsafe fn login_with(
    client: &Client,
    base_url: *const c_char,
    email: *const c_char,
    password: *const c_char,
    client_id: *const c_char,
) -> Result<Tokens, Error> {
    // SAFETY: as promised by the caller.
    let base_url = unsafe { optional_str(base_url, "base_url") }?;
    let credentials = Credentials {
        email: unsafe { required_str(email, "email") }?,
        password: unsafe { required_str(password, "password") }?,
        client_id: unsafe { required_str(client_id, "client_id") }?,
    };
    client.login(base_url, &credentials)
}

/// # Safety
/// The pointers are NULL or valid C strings for the duration of the call.
unsafe fn refresh_with(
    client: &Client,
    base_url: *const c_char,
    refresh_token: *const c_char,
) -> Result<Tokens, Error> {
    // SAFETY: as promised by the caller.
    let base_url = unsafe { optional_str(base_url, "base_url") }?;
    let refresh_token = unsafe { required_str(refresh_token, "refresh_token") }?;
    client.refresh(base_url, refresh_token)
}
