//! `ovok_login` through the exported C functions, against the emulator and
//! against raw-socket servers that misbehave on purpose.

mod common;

use std::ffi::CStr;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use common::{http_response, login, login_raw, refused_url, silent_server, CannedServer};
use ovok::ffi::{ovok_status_name, ovok_version, OvokStatusValue};
use ovok::OvokStatus;
use ovok_emulator::{Config, Emulator, DEMO_CLIENT_ID, DEMO_EMAIL, DEMO_PASSWORD};

fn emulator() -> Emulator {
    Emulator::start("127.0.0.1:0", Config::default()).expect("the emulator starts")
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn login_returns_every_documented_field() {
    let emulator = emulator();
    let before = now();
    let outcome = login(emulator.url(), DEMO_PASSWORD);
    let after = now();

    assert_eq!(
        outcome.status,
        OvokStatus::Ok,
        "{:?}",
        outcome.error_message
    );
    assert_eq!(outcome.http_status, 200);
    assert_eq!(outcome.error_message, None);
    let access = outcome.access_token.expect("an access token");
    assert_eq!(access.split('.').count(), 3, "a JWT has three parts");
    let refresh = outcome.refresh_token.expect("a refresh token");
    assert_ne!(access, refresh);
    assert_eq!(outcome.expires_in, 3600);
    assert!((before + 3600..=after + 3600).contains(&outcome.expires_at));
    assert_eq!(
        outcome.project_reference.as_deref(),
        Some(ovok_emulator::DEMO_PROJECT_REFERENCE)
    );
    assert_eq!(
        outcome.project_display.as_deref(),
        Some(ovok_emulator::DEMO_PROJECT_DISPLAY)
    );
    assert_eq!(
        outcome.profile_reference.as_deref(),
        Some(ovok_emulator::DEMO_PROFILE_REFERENCE)
    );
    assert_eq!(
        outcome.profile_display.as_deref(),
        Some(ovok_emulator::DEMO_PROFILE_DISPLAY)
    );
}

#[test]
fn server_errors_map_to_their_status_with_the_server_message() {
    let emulator = emulator();
    let url = emulator.url();
    let wrong_path = format!("{url}/elsewhere");
    let unknown_client = "00000000-0000-4000-8000-000000000000";
    let cases = [
        (
            url,
            DEMO_EMAIL,
            "wrong-password-123",
            DEMO_CLIENT_ID,
            OvokStatus::Unauthorized,
            401,
        ),
        (
            url,
            "nobody@example.com",
            DEMO_PASSWORD,
            DEMO_CLIENT_ID,
            OvokStatus::Unauthorized,
            401,
        ),
        (
            url,
            DEMO_EMAIL,
            DEMO_PASSWORD,
            unknown_client,
            OvokStatus::NotFound,
            404,
        ),
        (
            url,
            "not-an-email",
            DEMO_PASSWORD,
            DEMO_CLIENT_ID,
            OvokStatus::Unprocessable,
            422,
        ),
        (
            url,
            DEMO_EMAIL,
            DEMO_PASSWORD,
            "not-a-uuid",
            OvokStatus::Unprocessable,
            422,
        ),
        (
            &wrong_path,
            DEMO_EMAIL,
            DEMO_PASSWORD,
            DEMO_CLIENT_ID,
            OvokStatus::NotFound,
            404,
        ),
    ];
    for (base, email, password, client_id, status, http_status) in cases {
        let outcome = login_raw(Some(base), Some(email), Some(password), Some(client_id));
        assert_eq!(
            (outcome.status, outcome.http_status),
            (status, http_status),
            "{outcome:?}"
        );
        let message = outcome.error_message.expect("a message");
        assert!(!message.is_empty());
        assert!(!message.contains(password), "{message}");
        assert_eq!(outcome.access_token, None);
        assert_eq!((outcome.expires_in, outcome.expires_at), (-1, -1));
    }
}

#[test]
fn a_422_joins_every_validation_message() {
    let emulator = emulator();
    let outcome = login_raw(Some(emulator.url()), Some("bad"), Some("pw"), Some("bad"));
    let message = outcome.error_message.unwrap();
    assert!(
        message.contains("email") && message.contains("clientId"),
        "{message}"
    );
    assert!(
        message.contains("; "),
        "array messages are joined: {message}"
    );
}

#[test]
fn a_400_carries_the_nest_message() {
    let server = CannedServer::with_body(
        "400 Bad Request",
        "application/json",
        r#"{"statusCode":400,"message":"Unexpected token } in JSON at position 12","error":"Bad Request"}"#,
    );
    let outcome = login(&server.url, DEMO_PASSWORD);
    assert_eq!(
        (outcome.status, outcome.http_status),
        (OvokStatus::BadRequest, 400)
    );
    assert_eq!(
        outcome.error_message.as_deref(),
        Some("Unexpected token } in JSON at position 12")
    );
}

#[test]
fn the_emulator_itself_answers_400_to_a_raw_invalid_body() {
    use std::io::{Read, Write};
    let emulator = emulator();
    let mut stream = std::net::TcpStream::connect(emulator.local_addr()).unwrap();
    let body = "{not json";
    write!(
        stream,
        "POST /v2/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains(r#""statusCode":400"#), "{answer}");
}

#[test]
fn non_json_and_odd_statuses_are_described() {
    let cases = [
        (
            CannedServer::with_body("502 Bad Gateway", "text/html", "<html>bad gateway</html>"),
            OvokStatus::ServerError,
            "expected JSON, got text/html (502)",
        ),
        (
            CannedServer::start(http_response(
                "302 Found",
                &[("Location", "https://elsewhere.example/login")],
                "",
            )),
            OvokStatus::HttpError,
            "HTTP 302 redirect to https://elsewhere.example/login was not followed",
        ),
        (
            CannedServer::start(http_response(
                "429 Too Many Requests",
                &[("Retry-After", "30"), ("Content-Type", "application/json")],
                r#"{"statusCode":429,"message":"slow down"}"#,
            )),
            OvokStatus::HttpError,
            "slow down (Retry-After: 30)",
        ),
        (
            CannedServer::with_body("200 OK", "text/html", "<html>captive portal</html>"),
            OvokStatus::InvalidResponse,
            "expected JSON, got text/html (200)",
        ),
        (
            CannedServer::with_body("200 OK", "application/json", r#"{"accessToken":"a.b.c"}"#),
            OvokStatus::InvalidResponse,
            "missing the required field project",
        ),
    ];
    for (server, status, message) in cases {
        let outcome = login(&server.url, DEMO_PASSWORD);
        assert_eq!(outcome.status, status, "{outcome:?}");
        let actual = outcome.error_message.unwrap();
        assert!(actual.contains(message), "{actual:?} lacks {message:?}");
    }
}

#[test]
fn a_body_over_one_mebibyte_is_refused() {
    let huge = format!(r#"{{"accessToken":"{}"}}"#, "a".repeat(1024 * 1024));
    let server = CannedServer::with_body("200 OK", "application/json", &huge);
    let outcome = login(&server.url, DEMO_PASSWORD);
    assert_eq!(outcome.status, OvokStatus::InvalidResponse);
    assert!(outcome
        .error_message
        .unwrap()
        .contains("larger than 1048576 bytes"));
}

#[test]
fn connections_are_reused_across_calls() {
    let body = r#"{"accessToken":"a.b.c","project":{"reference":"Project/1","display":"P"},"profile":{"reference":"Patient/1","display":"Q"}}"#;
    let server = CannedServer::with_body("200 OK", "application/json", body);
    for _ in 0..5 {
        let outcome = login(&server.url, DEMO_PASSWORD);
        assert_eq!(outcome.status, OvokStatus::Ok, "{outcome:?}");
        assert_eq!(
            (
                outcome.expires_in,
                outcome.expires_at,
                outcome.refresh_token
            ),
            (-1, -1, None)
        );
    }
    assert_eq!(
        server.connections(),
        1,
        "five logins should share one connection"
    );
}

#[test]
fn connection_refused_is_a_connection_error() {
    let outcome = login(&refused_url(), DEMO_PASSWORD);
    assert_eq!(
        (outcome.status, outcome.http_status),
        (OvokStatus::Connection, 0)
    );
    assert!(outcome.error_message.unwrap().contains("refused"));
}

#[test]
fn a_server_that_never_answers_times_out_after_the_total_timeout() {
    let url = silent_server();
    let started = Instant::now();
    let outcome = login(&url, DEMO_PASSWORD);
    let waited = started.elapsed().as_secs_f64();
    assert_eq!(outcome.status, OvokStatus::Timeout, "{outcome:?}");
    assert!((29.0..45.0).contains(&waited), "waited {waited} s");
    assert!(outcome
        .error_message
        .unwrap()
        .contains("30 s total timeout"));
}

#[test]
fn bad_arguments_are_rejected_before_any_network_io() {
    let refused = refused_url();
    let cases = [
        (None, None, None, None, "email is NULL"),
        (
            Some(refused.as_str()),
            Some(DEMO_EMAIL),
            None,
            Some(DEMO_CLIENT_ID),
            "password is NULL",
        ),
        (
            Some(refused.as_str()),
            Some(DEMO_EMAIL),
            Some(""),
            Some(DEMO_CLIENT_ID),
            "password is empty",
        ),
        (
            Some("http://example.com"),
            Some(DEMO_EMAIL),
            Some(DEMO_PASSWORD),
            Some(DEMO_CLIENT_ID),
            "not loopback",
        ),
        (
            Some("https://a.example?x=1"),
            Some(DEMO_EMAIL),
            Some(DEMO_PASSWORD),
            Some(DEMO_CLIENT_ID),
            "query",
        ),
    ];
    for (base, email, password, client_id, message) in cases {
        let outcome = login_raw(base, email, password, client_id);
        assert_eq!(
            (outcome.status, outcome.http_status),
            (OvokStatus::InvalidArgument, 0)
        );
        assert!(
            outcome.error_message.as_deref().unwrap().contains(message),
            "{outcome:?}"
        );
    }
}

#[test]
fn status_names_and_version_are_static_strings() {
    for status in OvokStatus::ALL {
        let name = unsafe { CStr::from_ptr(ovok_status_name(OvokStatusValue(status as u32))) };
        assert_eq!(name.to_str().unwrap(), status.name());
    }
    for raw in [14, 99, u32::MAX] {
        let name = unsafe { CStr::from_ptr(ovok_status_name(OvokStatusValue(raw))) };
        assert_eq!(name.to_str().unwrap(), "OVOK_STATUS_UNKNOWN");
    }
    let version = unsafe { CStr::from_ptr(ovok_version()) };
    assert_eq!(version.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}

#[test]
fn a_request_larger_than_the_output_buffer_arrives_whole() {
    let emulator = emulator();
    // 4096 control characters escape to 24 KiB of JSON: more than one write.
    let password = "\u{1}".repeat(4096);
    let outcome = login_raw(
        Some(emulator.url()),
        Some(DEMO_EMAIL),
        Some(&password),
        Some(DEMO_CLIENT_ID),
    );
    // Valid JSON with an over-long password: 422, not 400 (which a torn body would give).
    assert_eq!(
        (outcome.status, outcome.http_status),
        (OvokStatus::Unprocessable, 422),
        "{outcome:?}"
    );
    assert!(outcome.error_message.unwrap().contains("password"));
}
