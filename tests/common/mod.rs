//! Shared helpers for the integration tests: calling the C ABI safely, and
//! small raw-socket servers that answer with whatever a test needs.

#![allow(dead_code)]

pub mod hostile;
pub mod pki;

use std::ffi::{c_char, CStr, CString};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use ovok::ffi::{
    ovok_client_build, ovok_client_builder_add_ca_pem, ovok_client_builder_free,
    ovok_client_builder_last_error, ovok_client_builder_new, ovok_client_free, ovok_client_login,
    ovok_client_refresh, ovok_login, ovok_refresh, ovok_result_free, OvokClient, OvokClientBuilder,
    OvokResult,
};
use ovok::OvokStatus;

/// An `OvokResult` copied into Rust values, after the result was freed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: OvokStatus,
    pub http_status: u16,
    pub error_message: Option<String>,
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub expires_in: i64,
    pub expires_at: i64,
    pub project_reference: Option<String>,
    pub project_display: Option<String>,
    pub profile_reference: Option<String>,
    pub profile_display: Option<String>,
}

fn copy(ptr: *const c_char) -> Option<String> {
    // SAFETY: the library hands out NULL or NUL-terminated UTF-8 it owns.
    (!ptr.is_null()).then(|| unsafe { CStr::from_ptr(ptr) }.to_str().unwrap().to_owned())
}

fn c(value: Option<&str>) -> Option<CString> {
    value.map(|v| CString::new(v).unwrap())
}

fn ptr(value: &Option<CString>) -> *const c_char {
    value.as_ref().map_or(std::ptr::null(), |v| v.as_ptr())
}

/// Calls `ovok_login` through the C ABI; `None` passes NULL.
pub fn login_raw(
    base_url: Option<&str>,
    email: Option<&str>,
    password: Option<&str>,
    client_id: Option<&str>,
) -> Outcome {
    let (base_url, email, password, client_id) = (c(base_url), c(email), c(password), c(client_id));
    // SAFETY: every argument is NULL or a live C string.
    take(unsafe { ovok_login(ptr(&base_url), ptr(&email), ptr(&password), ptr(&client_id)) })
}

/// Calls `ovok_refresh` through the C ABI; `None` passes NULL.
pub fn refresh_raw(base_url: Option<&str>, refresh_token: Option<&str>) -> Outcome {
    let (base_url, refresh_token) = (c(base_url), c(refresh_token));
    // SAFETY: every argument is NULL or a live C string.
    take(unsafe { ovok_refresh(ptr(&base_url), ptr(&refresh_token)) })
}

/// Copies a result out and frees it.
pub fn take(result: *mut OvokResult) -> Outcome {
    assert!(!result.is_null(), "the library returned a NULL result");
    // SAFETY: non-NULL results are valid until freed.
    let outcome = unsafe { read_result(&*result) };
    // SAFETY: freed exactly once.
    unsafe { ovok_result_free(result) };
    outcome
}

/// An `OvokClientBuilder` that frees itself.
pub struct Builder(pub *mut OvokClientBuilder);

impl Builder {
    pub fn new() -> Builder {
        Builder(ovok_client_builder_new())
    }

    /// `ovok_client_builder_add_ca_pem` with these PEM bytes.
    pub fn add_ca_pem(&self, pem: &str) -> OvokStatus {
        // SAFETY: a live builder and a live buffer of that length.
        unsafe { ovok_client_builder_add_ca_pem(self.0, pem.as_ptr(), pem.len()) }
    }

    /// The builder's last error message, if any.
    pub fn last_error(&self) -> Option<String> {
        // SAFETY: a live builder.
        copy(unsafe { ovok_client_builder_last_error(self.0) })
    }

    /// Builds a client, or returns the status and message.
    pub fn build(&self) -> Result<Client, (OvokStatus, Option<String>)> {
        let mut client = std::ptr::null_mut();
        // SAFETY: a live builder and a writable out-pointer.
        let status = unsafe { ovok_client_build(self.0, &mut client) };
        if status == OvokStatus::Ok {
            assert!(!client.is_null());
            Ok(Client(client))
        } else {
            assert!(client.is_null(), "a failed build must leave NULL");
            Err((status, self.last_error()))
        }
    }
}

impl Drop for Builder {
    fn drop(&mut self) {
        // SAFETY: freed once.
        unsafe { ovok_client_builder_free(self.0) }
    }
}

/// An `OvokClient` that frees itself; shareable across threads like the C one.
pub struct Client(pub *mut OvokClient);

// SAFETY: the header promises OvokClient may be used from many threads.
unsafe impl Send for Client {}
unsafe impl Sync for Client {}

impl Client {
    pub fn login(&self, base_url: &str, password: &str) -> Outcome {
        let (base_url, email, password, client_id) = (
            c(Some(base_url)),
            c(Some(ovok_emulator::DEMO_EMAIL)),
            c(Some(password)),
            c(Some(ovok_emulator::DEMO_CLIENT_ID)),
        );
        // SAFETY: a live client and live C strings.
        take(unsafe {
            ovok_client_login(
                self.0,
                ptr(&base_url),
                ptr(&email),
                ptr(&password),
                ptr(&client_id),
            )
        })
    }

    pub fn refresh(&self, base_url: &str, refresh_token: &str) -> Outcome {
        let (base_url, refresh_token) = (c(Some(base_url)), c(Some(refresh_token)));
        // SAFETY: a live client and live C strings.
        take(unsafe { ovok_client_refresh(self.0, ptr(&base_url), ptr(&refresh_token)) })
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // SAFETY: freed once, after every user of the client is done.
        unsafe { ovok_client_free(self.0) }
    }
}

fn read_result(result: &OvokResult) -> Outcome {
    Outcome {
        status: result.status,
        http_status: result.http_status,
        error_message: copy(result.error_message),
        access_token: copy(result.access_token),
        refresh_token: copy(result.refresh_token),
        expires_in: result.expires_in,
        expires_at: result.expires_at,
        project_reference: copy(result.project_reference),
        project_display: copy(result.project_display),
        profile_reference: copy(result.profile_reference),
        profile_display: copy(result.profile_display),
    }
}

/// Logs in as the emulator's demo user, with the given password.
pub fn login(base_url: &str, password: &str) -> Outcome {
    login_raw(
        Some(base_url),
        Some(ovok_emulator::DEMO_EMAIL),
        Some(password),
        Some(ovok_emulator::DEMO_CLIENT_ID),
    )
}

/// A keep-alive HTTP/1.1 server on loopback that answers every request with
/// the same raw bytes, and counts the connections it accepted.
pub struct CannedServer {
    pub url: String,
    pub connections: Arc<AtomicUsize>,
}

impl CannedServer {
    pub fn start(response: Vec<u8>) -> CannedServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&connections);
        let response = Arc::new(response);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                counter.fetch_add(1, Ordering::SeqCst);
                let response = Arc::clone(&response);
                thread::spawn(move || answer_each_request(stream, &response));
            }
        });
        CannedServer { url, connections }
    }

    /// A server answering `status` with a body and content type.
    pub fn with_body(status: &str, content_type: &str, body: &str) -> CannedServer {
        CannedServer::start(http_response(
            status,
            &[("Content-Type", content_type)],
            body,
        ))
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Builds a complete HTTP/1.1 response with a Content-Length.
pub fn http_response(status: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut text = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    text.into_bytes()
}

fn answer_each_request(stream: TcpStream, response: &[u8]) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let mut content_length = 0usize;
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    content_length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; content_length];
        if reader.read_exact(&mut body).is_err() || writer.write_all(response).is_err() {
            return;
        }
    }
}

/// A server that accepts connections and reads requests but never answers.
pub fn silent_server() -> String {
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

/// A loopback URL on which nothing listens.
pub fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

/// Runs the ignored test `test` of this test binary in a child process,
/// with its environment changed by `configure`, and asserts that it passed.
/// For tests of process-global settings (environment variables that the
/// library reads once), which cannot run beside other tests.
pub fn run_in_child(
    test: &str,
    scenario: &str,
    configure: impl FnOnce(&mut std::process::Command),
) {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command.args([
        test,
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    configure(&mut command);
    let output = command.output().expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "scenario {scenario} failed in the child:\n{stdout}\n{stderr}"
    );
}
