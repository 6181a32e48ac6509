//! `ovok_refresh` through the C ABI against the emulator: rotation, expiry,
//! unknown and malformed tokens, and the JWT expiry fallback.

mod common;

use std::time::Duration;

use common::hostile::HostileServer;
use common::{login, refresh_raw};
use ovok::OvokStatus;
use ovok_emulator::{Config, Emulator, DEMO_PASSWORD};

fn emulator(config: Config) -> Emulator {
    Emulator::start("127.0.0.1:0", config).expect("the emulator starts")
}

fn refresh_token_of_a_login(emulator: &Emulator) -> String {
    let outcome = login(emulator.url(), DEMO_PASSWORD);
    assert_eq!(outcome.status, OvokStatus::Ok, "{outcome:?}");
    outcome
        .refresh_token
        .expect("login returns a refresh token")
}

#[test]
fn a_refresh_returns_new_tokens_without_references() {
    let emulator = emulator(Config::default());
    let first = refresh_token_of_a_login(&emulator);
    let outcome = refresh_raw(Some(emulator.url()), Some(&first));
    assert_eq!(
        (outcome.status, outcome.http_status),
        (OvokStatus::Ok, 200),
        "{outcome:?}"
    );
    let access = outcome.access_token.unwrap();
    assert_eq!(access.split('.').count(), 3);
    let rotated = outcome.refresh_token.expect("a rotated refresh token");
    assert_ne!(rotated, first);
    assert_eq!(outcome.expires_in, 3600);
    assert!(outcome.expires_at > 0);
    assert_eq!(outcome.project_reference, None);
    assert_eq!(outcome.profile_display, None);
}

#[test]
fn a_used_refresh_token_is_rejected_and_the_rotated_one_works() {
    let emulator = emulator(Config::default());
    let first = refresh_token_of_a_login(&emulator);
    let rotated = refresh_raw(Some(emulator.url()), Some(&first))
        .refresh_token
        .unwrap();

    let reused = refresh_raw(Some(emulator.url()), Some(&first));
    assert_eq!(
        (reused.status, reused.http_status),
        (OvokStatus::Unauthorized, 401)
    );
    let message = reused.error_message.unwrap();
    assert!(
        !message.contains(&first),
        "the token must not be echoed: {message}"
    );

    let next = refresh_raw(Some(emulator.url()), Some(&rotated));
    assert_eq!(next.status, OvokStatus::Ok, "{next:?}");
}

#[test]
fn unknown_malformed_and_expired_tokens_are_unauthorized() {
    let emulator = emulator(Config {
        refresh_lifetime: Duration::from_secs(1),
        ..Config::default()
    });
    let expiring = refresh_token_of_a_login(&emulator);
    let access_token = login(emulator.url(), DEMO_PASSWORD).access_token.unwrap();
    std::thread::sleep(Duration::from_millis(2100));
    let cases = [
        ("expired", expiring.as_str()),
        ("an access token", access_token.as_str()),
        ("malformed", "not-a-jwt"),
        (
            "unknown",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
        ),
    ];
    for (what, token) in cases {
        let outcome = refresh_raw(Some(emulator.url()), Some(token));
        assert_eq!(
            (outcome.status, outcome.http_status),
            (OvokStatus::Unauthorized, 401),
            "{what}: {outcome:?}"
        );
    }
}

#[test]
fn bad_arguments_are_rejected_before_any_network_io() {
    let cases = [
        (None, "refresh_token is NULL"),
        (Some(""), "refresh_token is empty"),
    ];
    for (token, message) in cases {
        let outcome = refresh_raw(Some("http://127.0.0.1:1"), token);
        assert_eq!(
            (outcome.status, outcome.http_status),
            (OvokStatus::InvalidArgument, 0)
        );
        assert_eq!(outcome.error_message.as_deref(), Some(message));
    }
    let outcome = refresh_raw(Some("http://example.com"), Some("x.y.z"));
    assert_eq!(outcome.status, OvokStatus::InvalidArgument);
}

#[test]
fn without_expires_in_the_expiry_falls_back_to_the_exp_claim() {
    // {"sub":"Patient/1","exp":1779354571}
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJQYXRpZW50LzEiLCJleHAiOjE3NzkzNTQ1NzF9.c2ln";
    let server = HostileServer::with_body(
        "200 OK",
        "application/json",
        &format!(r#"{{"access_token":"{jwt}"}}"#),
    );
    let outcome = refresh_raw(Some(&server.url()), Some("r.e.f"));
    assert_eq!(outcome.status, OvokStatus::Ok, "{outcome:?}");
    assert_eq!(
        (outcome.expires_in, outcome.expires_at),
        (-1, 1_779_354_571)
    );
    assert_eq!(outcome.refresh_token, None);
}
