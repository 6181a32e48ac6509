//! `OvokResult`: the one heap object the C ABI hands out.

use std::ffi::{c_char, CString};
use std::ptr;

use zeroize::Zeroize;

use crate::error::Error;
use crate::response::{Reference, Tokens};
use crate::status::OvokStatus;

/// The outcome of a login or a refresh.
///
/// Allocated by the library and owned by the caller, who must release it
/// with `ovok_result_free` exactly once. Every string in it is owned by the
/// result, is NUL-terminated UTF-8, and stays valid until that call; copy
/// what you need before freeing. A result is immutable, so it may be read
/// from several threads at once.
#[repr(C)]
pub struct OvokResult {
    /// `OVOK_STATUS_OK` on success; otherwise what went wrong.
    pub status: OvokStatus,
    /// The HTTP status code, or 0 when no HTTP response was received.
    pub http_status: u16,
    /// NULL on success; otherwise a readable message, safe to log: it never
    /// contains the password or a token.
    pub error_message: *const c_char,
    /// The bearer access token (a JWT). Non-NULL exactly when `status` is
    /// `OVOK_STATUS_OK`, except in the result of `ovok_session_logout`,
    /// which never holds tokens.
    pub access_token: *const c_char,
    /// The refresh token; NULL when the server sent none.
    pub refresh_token: *const c_char,
    /// Seconds until the access token expires; -1 when the server did not say.
    /// At most 315360000 (ten years): a larger `expiresIn` is clamped to it.
    pub expires_in: i64,
    /// Unix time (seconds) at which the access token expires: the time the
    /// response arrived plus `expires_in`. When the server sent no expiry,
    /// the access token's own `exp` claim (read without verifying the
    /// signature: advisory only); -1 when neither is known. Never more than
    /// ten years after the response arrived (a later `exp` is clamped), and
    /// an `exp` before 1970 counts as unknown.
    pub expires_at: i64,
    /// The project reference, e.g. "Project/f6f4..."; NULL unless a login
    /// succeeded (a refresh does not return it).
    pub project_reference: *const c_char,
    /// The project's display name; NULL unless a login succeeded.
    pub project_display: *const c_char,
    /// The user's profile reference, e.g. "Patient/de5c..."; NULL unless a
    /// login succeeded.
    pub profile_reference: *const c_char,
    /// The profile's display name; NULL unless a login succeeded.
    pub profile_display: *const c_char,
}

impl OvokResult {
    fn empty(status: OvokStatus, http_status: u16) -> OvokResult {
        OvokResult {
            status,
            http_status,
            error_message: ptr::null(),
            access_token: ptr::null(),
            refresh_token: ptr::null(),
            expires_in: -1,
            expires_at: -1,
            project_reference: ptr::null(),
            project_display: ptr::null(),
            profile_reference: ptr::null(),
            profile_display: ptr::null(),
        }
    }

    /// Moves an outcome of the core onto the heap for C.
    pub(crate) fn into_raw(outcome: Result<Tokens, Error>) -> *mut OvokResult {
        let result = match outcome {
            Ok(success) => OvokResult::from_success(success),
            Err(error) => OvokResult::from_error(&error),
        };
        Box::into_raw(Box::new(result))
    }

    /// A result with a status and no tokens, for calls such as a logout.
    pub(crate) fn status_only(outcome: Result<u16, Error>) -> *mut OvokResult {
        let result = match outcome {
            Ok(http_status) => OvokResult::empty(OvokStatus::Ok, http_status),
            Err(error) => OvokResult::from_error(&error),
        };
        Box::into_raw(Box::new(result))
    }

    /// The result returned when a panic was caught.
    pub(crate) fn internal_error() -> *mut OvokResult {
        OvokResult::into_raw(Err(Error::new(
            OvokStatus::Internal,
            "internal error in the ovok library (a bug; please report it)",
        )))
    }

    fn from_success(tokens: Tokens) -> OvokResult {
        let (project_reference, project_display) = owned_reference(tokens.project.as_ref());
        let (profile_reference, profile_display) = owned_reference(tokens.profile.as_ref());
        OvokResult {
            access_token: owned(tokens.access_token.as_str()),
            refresh_token: tokens
                .refresh_token
                .as_ref()
                .map_or(ptr::null(), |token| owned(token.as_str())),
            expires_in: tokens.expires_in.unwrap_or(-1),
            expires_at: tokens.expires_at.unwrap_or(-1),
            project_reference,
            project_display,
            profile_reference,
            profile_display,
            ..OvokResult::empty(OvokStatus::Ok, tokens.http_status)
        }
    }

    fn from_error(error: &Error) -> OvokResult {
        OvokResult {
            error_message: owned(&error.message),
            ..OvokResult::empty(error.status, error.http_status)
        }
    }

    /// Frees a result made by [`OvokResult::into_raw`], zeroizing its strings.
    ///
    /// # Safety
    /// `result` came from `into_raw` and has not been freed yet.
    pub(crate) unsafe fn free(result: *mut OvokResult) {
        // SAFETY: the caller promises `result` is a live Box from `into_raw`.
        let result = unsafe { Box::from_raw(result) };
        for field in [
            result.error_message,
            result.access_token,
            result.refresh_token,
            result.project_reference,
            result.project_display,
            result.profile_reference,
            result.profile_display,
        ] {
            if !field.is_null() {
                // SAFETY: every non-NULL string field was made by `owned`.
                let string = unsafe { CString::from_raw(field.cast_mut()) };
                string.into_bytes_with_nul().zeroize();
            }
        }
    }
}

fn owned_reference(reference: Option<&Reference>) -> (*const c_char, *const c_char) {
    reference.map_or((ptr::null(), ptr::null()), |r| {
        (owned(&r.reference), owned(&r.display))
    })
}

/// Frees a result returned by `ovok_login`, `ovok_refresh` or their client
/// variants, zeroizing every string in it.
///
/// Calling with NULL is fine and does nothing. Must not be called twice on
/// the same result, and no string taken from the result may be used after it.
///
/// # Safety
/// `result` is NULL or a result from this library that has not been freed.
#[no_mangle]
pub unsafe extern "C" fn ovok_result_free(result: *mut OvokResult) {
    super::panic::guard(
        || (),
        || {
            if !result.is_null() {
                // SAFETY: the caller passes a result from this library, once.
                unsafe { OvokResult::free(result) }
            }
        },
    );
}

/// Copies a string into a C string owned by a result.
///
/// The core has already refused strings with NUL (they cannot be carried in C),
/// so the fallback of cutting at the first NUL never drops data in practice.
fn owned(text: &str) -> *const c_char {
    let c_string = CString::new(text).or_else(|error| {
        let cut = error.nul_position();
        // The refused copy may hold a token: wipe it before it is freed.
        error.into_vec().zeroize();
        CString::new(&text.as_bytes()[..cut])
    });
    c_string.map_or(ptr::null(), |c| c.into_raw().cast_const())
}
