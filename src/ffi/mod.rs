//! The C ABI. Every export has the same shape: guard against panics, check
//! the pointers, call the safe core, hand back an owned result.

#![allow(unsafe_code)]

mod login;
mod result;

mod client;
mod panic;
mod session;
mod strings;

use std::ffi::{c_char, CStr};

pub use client::{
    ovok_client_build, ovok_client_builder_add_ca_file, ovok_client_builder_add_ca_pem,
    ovok_client_builder_free, ovok_client_builder_last_error, ovok_client_builder_new,
    ovok_client_builder_set_connect_timeout_ms, ovok_client_builder_set_platform_trust,
    ovok_client_builder_set_proxy, ovok_client_builder_set_proxy_from_env,
    ovok_client_builder_set_total_timeout_ms, ovok_client_builder_set_user_agent_suffix,
    ovok_client_free,
};
pub use client::{OvokClient, OvokClientBuilder};
pub use login::{ovok_client_login, ovok_client_refresh, ovok_login, ovok_refresh};
pub use result::{ovok_result_free, OvokResult};
pub use session::{
    ovok_session_access_token, ovok_session_free, ovok_session_invalidate,
    ovok_session_invalidate_token, ovok_session_login, ovok_session_logout, ovok_session_new,
    ovok_session_restore, ovok_session_set_token_listener, OvokSession, OvokTokenListener,
};

use crate::status::OvokStatus;

/// An `OvokStatus` as C passes it in: any `uint32_t`, valid or not. The
/// header calls it `OvokStatus`, the fixed-width type of the enum.
#[repr(transparent)]
#[derive(Clone, Copy, Debug)]
pub struct OvokStatusValue(pub u32);

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
