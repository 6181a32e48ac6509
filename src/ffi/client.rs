//! `OvokClientBuilder` and `OvokClient`: configured clients for C.
//!
//! Options are set one function at a time on an opaque builder, so adding
//! an option later never changes a struct layout that a compiled program
//! depends on.

use std::ffi::{c_char, CString};
use std::path::Path;
use std::ptr;
use std::sync::Arc;
use std::time::Duration;

use super::panic;
use super::strings::{optional_str, required_str};
use crate::client::Client;
use crate::config::ClientConfig;
use crate::error::Error;
use crate::status::OvokStatus;

/// Collects the settings for an `OvokClient`.
///
/// Methods: `ovok_client_builder_new`, `ovok_client_builder_set_connect_timeout_ms`,
/// `ovok_client_builder_set_total_timeout_ms`, `ovok_client_builder_set_platform_trust`,
/// `ovok_client_builder_add_ca_file`, `ovok_client_builder_add_ca_pem`,
/// `ovok_client_builder_set_proxy`, `ovok_client_builder_set_proxy_from_env`,
/// `ovok_client_builder_set_user_agent_suffix`, `ovok_client_builder_last_error`,
/// `ovok_client_build`, `ovok_client_builder_free`.
///
/// Defaults: 10 s connect timeout, 30 s total timeout, the operating
/// system's trusted certificates, TLS 1.3, the proxy from
/// `ALL_PROXY`/`HTTPS_PROXY`/`HTTP_PROXY` (honouring `NO_PROXY`), User-Agent
/// `ovok/<version>`.
///
/// A builder is not thread-safe: use it from one thread at a time. Each
/// setter returns `OVOK_STATUS_OK` or `OVOK_STATUS_INVALID_ARGUMENT` (a NULL
/// builder, or a value it refuses, which leaves the setting unchanged);
/// `ovok_client_builder_last_error` then says why.
pub struct OvokClientBuilder {
    config: ClientConfig,
    last_error: Option<CString>,
}

/// A configured client with its own connection pool.
///
/// Made by `ovok_client_build`, used with `ovok_client_login`,
/// `ovok_client_refresh` and `ovok_session_new`, freed with
/// `ovok_client_free`. Safe to use from many threads at once. Each client
/// holds its own pool of open connections (a few hundred KiB once used), so
/// build one and share it rather than building one per call.
///
/// A client is reference counted inside: every running call and every
/// session holds its own reference, so `ovok_client_free` while calls run
/// is safe. They finish normally, and the pool closes when the last one ends.
pub struct OvokClient {
    client: Client,
}

impl OvokClient {
    /// Takes a reference of its own on a client, for the length of a call.
    ///
    /// # Safety
    /// `client` is NULL or a live client from `ovok_client_build`.
    pub(crate) unsafe fn acquire(client: *const OvokClient) -> Result<Arc<OvokClient>, Error> {
        if client.is_null() {
            return Err(Error::invalid_argument("client is NULL"));
        }
        // SAFETY: a live client came from `Arc::into_raw` in
        // `ovok_client_build`, and the caller still holds its reference.
        unsafe {
            Arc::increment_strong_count(client);
            Ok(Arc::from_raw(client))
        }
    }

    /// The core client behind this C handle.
    pub(crate) fn core(&self) -> &Client {
        &self.client
    }
}

/// Runs a setter on a builder, recording its error message.
///
/// # Safety
/// `builder` is NULL or a live builder, used by no other thread.
unsafe fn configure(
    builder: *mut OvokClientBuilder,
    set: impl FnOnce(&mut ClientConfig) -> Result<(), Error>,
) -> OvokStatus {
    panic::guard(
        || OvokStatus::Internal,
        || {
            // SAFETY: as promised by the caller.
            let Some(builder) = (unsafe { builder.as_mut() }) else {
                return OvokStatus::InvalidArgument;
            };
            match set(&mut builder.config) {
                Ok(()) => {
                    builder.last_error = None;
                    OvokStatus::Ok
                }
                Err(error) => {
                    builder.last_error = CString::new(error.message.replace('\0', " ")).ok();
                    error.status
                }
            }
        },
    )
}

/// A new builder with the default settings. Never NULL. Free it with
/// `ovok_client_builder_free`.
#[no_mangle]
pub extern "C" fn ovok_client_builder_new() -> *mut OvokClientBuilder {
    let builder = OvokClientBuilder {
        config: ClientConfig::default(),
        last_error: None,
    };
    Box::into_raw(Box::new(builder))
}

/// Frees a builder. Clients built from it stay valid. NULL is fine.
///
/// # Safety
/// `builder` is NULL or a live builder, freed only once.
#[no_mangle]
pub unsafe extern "C" fn ovok_client_builder_free(builder: *mut OvokClientBuilder) {
    panic::guard(
        || (),
        || {
            if !builder.is_null() {
                // SAFETY: as promised by the caller.
                drop(unsafe { Box::from_raw(builder) });
            }
        },
    );
}

/// Sets how long establishing a connection (DNS, TCP, TLS) may take, in
/// milliseconds: 1 to 600000. Default 10000.
///
/// # Safety
/// `builder` is NULL or a live builder, used by no other thread.
#[no_mangle]
pub unsafe extern "C" fn ovok_client_builder_set_connect_timeout_ms(
    builder: *mut OvokClientBuilder,
    milliseconds: u32,
) -> OvokStatus {
    let timeout = Duration::from_millis(u64::from(milliseconds));
    // SAFETY: as promised by the caller.
    unsafe { configure(builder, |config| config.set_connect_timeout(timeout)) }
}

/// Sets how long a whole call may take, from the DNS lookup to the last
/// byte of the response, in milliseconds: 1 to 600000. Default 30000.
///
/// # Safety
/// `builder` is NULL or a live builder, used by no other thread.
#[no_mangle]
pub unsafe extern "C" fn ovok_client_builder_set_total_timeout_ms(
    builder: *mut OvokClientBuilder,
    milliseconds: u32,
) -> OvokStatus {
    let timeout = Duration::from_millis(u64::from(milliseconds));
    // SAFETY: as promised by the caller.
    unsafe { configure(builder, |config| config.set_total_timeout(timeout)) }
}

/// `true` (the default): trust the operating system's certificates. On
/// Apple platforms, Android and Windows the system verifies them; elsewhere
/// they are read from `SSL_CERT_FILE` or the system's CA bundle
/// (`/etc/ssl/certs/ca-certificates.crt` and the like) on the first https
/// call. Setting `true` explicitly and adding CA certificates is refused at
/// build time as contradictory.
///
/// `false`: trust the Mozilla roots bundled in the library instead; only
/// builds with the `bundled-roots` cargo feature have them, others refuse
/// this with `OVOK_STATUS_INVALID_ARGUMENT`.
///
/// # Safety
/// `builder` is NULL or a live builder, used by no other thread.
#[no_mangle]
pub unsafe extern "C" fn ovok_client_builder_set_platform_trust(
    builder: *mut OvokClientBuilder,
    use_platform: bool,
) -> OvokStatus {
    // SAFETY: as promised by the caller.
    unsafe { configure(builder, |config| config.set_platform_trust(use_platform)) }
}

/// Trusts the CA certificates in a PEM file. Once any CA is added, only the
/// added CAs are trusted (like curl's `--cacert`), not the system's.
/// The file is read now; an unreadable file, or one with no usable
/// certificate, is refused with a message naming the file and the problem.
///
/// # Safety
/// `builder` is NULL or a live builder, used by no other thread; `path` is
/// NULL or a NUL-terminated UTF-8 string.
#[no_mangle]
pub unsafe extern "C" fn ovok_client_builder_add_ca_file(
    builder: *mut OvokClientBuilder,
    path: *const c_char,
) -> OvokStatus {
    // SAFETY: as promised by the caller.
    unsafe {
        configure(builder, |config| {
            let path = required_str(path, "path")?;
            config.add_ca_file(Path::new(path)).map(drop)
        })
    }
}

/// Trusts the CA certificates in a PEM buffer of `length` bytes (no NUL
/// terminator needed). Same rules as `ovok_client_builder_add_ca_file`.
///
/// # Safety
/// `builder` is NULL or a live builder, used by no other thread; `pem` is
/// NULL or points to `length` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn ovok_client_builder_add_ca_pem(
    builder: *mut OvokClientBuilder,
    pem: *const u8,
    length: usize,
) -> OvokStatus {
    // SAFETY: as promised by the caller.
    unsafe {
        configure(builder, |config| {
            if pem.is_null() {
                return Err(Error::invalid_argument("pem is NULL"));
            }
            // SAFETY: non-NULL, and the caller promises `length` bytes.
            let pem = std::slice::from_raw_parts(pem, length);
            config.add_ca_pem(pem).map(drop)
        })
    }
}

/// Sends every request through this HTTP proxy,
/// `http://[user:password@]host:port` (https goes through CONNECT). NULL or
/// "" returns to the environment's settings. The URL is never printed.
///
/// # Safety
/// `builder` is NULL or a live builder, used by no other thread;
/// `proxy_url` is NULL or a NUL-terminated UTF-8 string.
#[no_mangle]
pub unsafe extern "C" fn ovok_client_builder_set_proxy(
    builder: *mut OvokClientBuilder,
    proxy_url: *const c_char,
) -> OvokStatus {
    // SAFETY: as promised by the caller.
    unsafe {
        configure(builder, |config| {
            config.set_proxy(optional_str(proxy_url, "proxy_url")?)
        })
    }
}

/// `false`: ignore `ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`
/// and connect directly. Default `true`. An explicit proxy always wins.
///
/// # Safety
/// `builder` is NULL or a live builder, used by no other thread.
#[no_mangle]
pub unsafe extern "C" fn ovok_client_builder_set_proxy_from_env(
    builder: *mut OvokClientBuilder,
    honour: bool,
) -> OvokStatus {
    // SAFETY: as promised by the caller.
    unsafe {
        configure(builder, |config| {
            config.set_proxy_from_environment(honour);
            Ok(())
        })
    }
}

/// Appends a product token to the User-Agent, e.g. "myapp/2.1" gives
/// "ovok/0.1.0 myapp/2.1". At most 256 printable ASCII characters.
///
/// # Safety
/// `builder` is NULL or a live builder, used by no other thread; `suffix`
/// is NULL or a NUL-terminated UTF-8 string.
#[no_mangle]
pub unsafe extern "C" fn ovok_client_builder_set_user_agent_suffix(
    builder: *mut OvokClientBuilder,
    suffix: *const c_char,
) -> OvokStatus {
    // SAFETY: as promised by the caller.
    unsafe {
        configure(builder, |config| {
            config.set_user_agent_suffix(required_str(suffix, "suffix")?)
        })
    }
}

/// Why the last setter or `ovok_client_build` on this builder failed; NULL
/// when it succeeded. Owned by the builder: valid until the next call on it.
///
/// # Safety
/// `builder` is NULL or a live builder, used by no other thread.
#[no_mangle]
pub unsafe extern "C" fn ovok_client_builder_last_error(
    builder: *const OvokClientBuilder,
) -> *const c_char {
    panic::guard(ptr::null, || {
        // SAFETY: as promised by the caller.
        unsafe { builder.as_ref() }
            .and_then(|b| b.last_error.as_ref())
            .map_or(ptr::null(), |message| message.as_ptr())
    })
}

/// Builds a client from the builder's settings into `*client_out`.
///
/// Returns `OVOK_STATUS_OK`, or `OVOK_STATUS_INVALID_ARGUMENT` when a pointer
/// is NULL or the settings contradict each other (then `*client_out` is
/// NULL and `ovok_client_builder_last_error` says why). The builder stays
/// yours and can build more clients. Free the client with `ovok_client_free`.
///
/// # Safety
/// `builder` is NULL or a live builder, used by no other thread;
/// `client_out` is NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn ovok_client_build(
    builder: *mut OvokClientBuilder,
    client_out: *mut *mut OvokClient,
) -> OvokStatus {
    if !client_out.is_null() {
        // SAFETY: non-NULL and writable, as promised by the caller.
        unsafe { client_out.write(ptr::null_mut()) };
    }
    let mut built = None;
    // SAFETY: as promised by the caller.
    let status = unsafe {
        configure(builder, |config| {
            if client_out.is_null() {
                return Err(Error::invalid_argument("client_out is NULL"));
            }
            built = Some(Client::new(config)?);
            Ok(())
        })
    };
    if let Some(client) = built {
        // SAFETY: as above.
        let shared = Arc::into_raw(Arc::new(OvokClient { client }));
        unsafe { client_out.write(shared.cast_mut()) };
    }
    status
}

/// Gives up the caller's reference to a client. NULL is fine. Calls still
/// running on it, and sessions made from it, keep it alive on their own
/// references; its pooled connections close when the last one ends.
///
/// # Safety
/// `client` is NULL or a live client, freed only once.
#[no_mangle]
pub unsafe extern "C" fn ovok_client_free(client: *mut OvokClient) {
    panic::guard(
        || (),
        || {
            if !client.is_null() {
                // SAFETY: as promised by the caller; the pointer came from
                // `Arc::into_raw` in `ovok_client_build`.
                drop(unsafe { Arc::from_raw(client.cast_const()) });
            }
        },
    );
}
