//! The C ABI. Every export has the same shape: guard against panics, check
//! the pointers, call the safe core, hand back an owned result.

#![allow(unsafe_code)]

mod panic;
mod result;
mod strings;

use std::ffi::{c_char, c_int, CStr};

pub use result::OvokResult;

use crate::credentials::Credentials;
use crate::error::Error;
use crate::status::OvokStatus;

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
/// Blocks until done: at most 10 s to connect and 30 s in total. Redirects
/// are never followed. Connections are pooled and reused across calls.
/// Safe to call from many threads at once.
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
    panic::guard(OvokResult::internal_error, || {
        // SAFETY (all four): the caller passes NULL or valid C strings.
        let outcome = (|| -> Result<_, Error> {
            let base_url = unsafe { strings::optional_str(base_url, "base_url") }?;
            let credentials = Credentials {
                email: unsafe { strings::required_str(email, "email") }?,
                password: unsafe { strings::required_str(password, "password") }?,
                client_id: unsafe { strings::required_str(client_id, "client_id") }?,
            };
            crate::client::login(base_url, &credentials)
        })();
        OvokResult::into_raw(outcome)
    })
}

/// Frees a result returned by `ovok_login`, zeroizing every string in it.
///
/// Calling with NULL is fine and does nothing. Must not be called twice on
/// the same result, and no string taken from the result may be used after it.
///
/// # Safety
/// `result` is NULL or a result from this library that has not been freed.
#[no_mangle]
pub unsafe extern "C" fn ovok_result_free(result: *mut OvokResult) {
    panic::guard(
        || (),
        || {
            if !result.is_null() {
                // SAFETY: the caller passes a result from this library, once.
                unsafe { OvokResult::free(result) }
            }
        },
    );
}

/// The name of a status as a static string, e.g. "OVOK_STATUS_UNAUTHORIZED";
/// "OVOK_STATUS_UNKNOWN" for a value outside the enum. Never NULL; do not free.
#[no_mangle]
pub extern "C" fn ovok_status_name(status: OvokStatusValue) -> *const c_char {
    panic::guard(
        || c"OVOK_STATUS_UNKNOWN".as_ptr(),
        || match OvokStatus::from_raw(i64::from(status.0)) {
            Some(status) => status.c_name().as_ptr(),
            None => c"OVOK_STATUS_UNKNOWN".as_ptr(),
        },
    )
}

/// An `OvokStatus` as C passes it in: any int, valid or not. The header
/// calls it `OvokStatus`; C enums and ints share one ABI.
#[repr(transparent)]
#[derive(Clone, Copy, Debug)]
pub struct OvokStatusValue(pub c_int);

/// The library version, e.g. "0.1.0", as a static string. Never NULL; do not free.
#[no_mangle]
pub extern "C" fn ovok_version() -> *const c_char {
    VERSION_C.as_ptr()
}

const VERSION_C: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(version) => version,
        Err(_) => panic!("the crate version contains a NUL"),
    };
