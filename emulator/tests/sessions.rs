//! End-to-end tests of logout, `/auth/me`, the request counters and the
//! injected latency and failures, over real HTTP on a loopback port.

mod common;

use std::time::{Duration, Instant};

use common::{demo_login_body, Http};
use ovok_emulator::{Config, Emulator, Stats, DEMO_EMAIL, DEMO_PROFILE_REFERENCE};
use serde_json::{json, Value};

fn start_with(config: Config) -> Emulator {
    Emulator::start("127.0.0.1:0", config).expect("start emulator")
}

fn start() -> Emulator {
    start_with(Config::default())
}

/// Logs the demo user in and returns (access token, refresh token).
fn login(http: &mut Http<std::net::TcpStream>) -> (String, String) {
    let body = http.post_json("/v2/auth/login", &demo_login_body()).json();
    (
        body["accessToken"].as_str().unwrap().to_owned(),
        body["refreshToken"].as_str().unwrap().to_owned(),
    )
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn me(http: &mut Http<std::net::TcpStream>, token: &str) -> common::HttpResponse {
    http.request("GET", "/auth/me", &[("Authorization", &bearer(token))], b"")
}

fn logout(http: &mut Http<std::net::TcpStream>, path: &str, token: &str) -> common::HttpResponse {
    http.request("POST", path, &[("Authorization", &bearer(token))], b"")
}

fn refresh(http: &mut Http<std::net::TcpStream>, token: &str) -> common::HttpResponse {
    http.post_json("/auth/refresh-token", &json!({ "refresh_token": token }))
}

fn unauthorized() -> Value {
    json!({"statusCode": 401, "message": "Unauthorized", "error": "Unauthorized"})
}

#[test]
fn me_answers_the_profile_for_a_live_token() {
    let emulator = start();
    let mut http = Http::connect(emulator.local_addr());
    let (access, _) = login(&mut http);
    let response = me(&mut http, &access);
    assert_eq!(response.status, 200, "{}", response.body);
    let body = response.json();
    for key in [
        "project",
        "membership",
        "profile",
        "config",
        "accessPolicy",
        "security",
    ] {
        assert!(body.get(key).is_some(), "no {key}: {body}");
    }
    assert_eq!(body["profile"]["resourceType"], "Patient");
    assert_eq!(
        format!("Patient/{}", body["profile"]["id"].as_str().unwrap()),
        DEMO_PROFILE_REFERENCE
    );
    assert_eq!(body["profile"]["name"][0]["text"], "Max Mustermann");
    assert_eq!(body["profile"]["telecom"][0]["value"], DEMO_EMAIL);
    assert_eq!(body["security"]["mfaEnrolled"], false);
    let sessions = body["security"]["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["current"], true);
}

#[test]
fn logout_denylists_the_access_token_and_revokes_its_refresh_token() {
    let emulator = start();
    let mut http = Http::connect(emulator.local_addr());
    let (access, refresh_token) = login(&mut http);
    let (other_access, _) = login(&mut http);

    let response = logout(&mut http, "/auth/logout", &access);
    assert_eq!(response.status, 204, "{}", response.body);
    assert_eq!(response.header("Content-Length"), None);
    assert!(response.body.is_empty());

    assert_eq!(me(&mut http, &access).json(), unauthorized());
    assert_eq!(refresh(&mut http, &refresh_token).status, 401);
    // Another session of the same user is untouched.
    assert_eq!(me(&mut http, &other_access).status, 200);
    // Idempotent, on both paths, and the connection stays usable.
    assert_eq!(logout(&mut http, "/auth/logout", &access).status, 204);
    assert_eq!(logout(&mut http, "/v1/auth/logout", &access).status, 204);
    assert_eq!(me(&mut http, &other_access).status, 200);
}

#[test]
fn logout_after_refresh_rotation_revokes_the_current_refresh_token() {
    let emulator = start();
    let mut http = Http::connect(emulator.local_addr());

    // Logging out with the rotated access token revokes the rotated refresh token.
    let (_, first_refresh) = login(&mut http);
    let rotated = refresh(&mut http, &first_refresh).json();
    let rotated_access = rotated["access_token"].as_str().unwrap();
    let rotated_refresh = rotated["refresh_token"].as_str().unwrap();
    assert_eq!(
        logout(&mut http, "/v1/auth/logout", rotated_access).status,
        204
    );
    assert_eq!(refresh(&mut http, rotated_refresh).status, 401);

    // Logging out with the session's first access token does too.
    let (first_access, first_refresh) = login(&mut http);
    let rotated = refresh(&mut http, &first_refresh).json();
    let rotated_refresh = rotated["refresh_token"].as_str().unwrap();
    assert_eq!(logout(&mut http, "/auth/logout", &first_access).status, 204);
    assert_eq!(refresh(&mut http, rotated_refresh).status, 401);
}

#[test]
fn missing_malformed_forged_expired_and_refresh_bearers_are_401() {
    let emulator = start_with(Config {
        access_lifetime: Duration::ZERO,
        ..Config::default()
    });
    let mut http = Http::connect(emulator.local_addr());
    let (expired, refresh_token) = login(&mut http);
    let other = start();
    let (foreign, _) = login(&mut Http::connect(other.local_addr()));
    let mut forged = expired.clone();
    forged.pop();
    forged.push(if expired.ends_with('A') { 'B' } else { 'A' });

    let headers: Vec<Vec<(&str, String)>> = vec![
        vec![],
        vec![("Authorization", String::new())],
        vec![("Authorization", "Bearer".to_owned())],
        vec![("Authorization", format!("Basic {expired}"))],
        vec![("Authorization", bearer("not-a-jwt"))],
        vec![("Authorization", bearer(&forged))],
        vec![("Authorization", bearer(&foreign))],
        vec![("Authorization", bearer(&expired))],
        vec![("Authorization", bearer(&refresh_token))],
    ];
    for header in &headers {
        let header: Vec<(&str, &str)> = header.iter().map(|(k, v)| (*k, v.as_str())).collect();
        for (method, path) in [
            ("POST", "/auth/logout"),
            ("POST", "/v1/auth/logout"),
            ("GET", "/auth/me"),
        ] {
            let response = http.request(method, path, &header, b"");
            assert_eq!(
                response.json(),
                unauthorized(),
                "{method} {path} {header:?}"
            );
        }
    }
    // A refused logout revokes nothing.
    assert_eq!(refresh(&mut http, &refresh_token).status, 200);
}

#[test]
fn stats_count_every_request_per_route() {
    let emulator = start();
    let mut http = Http::connect(emulator.local_addr());
    let (access, refresh_token) = login(&mut http);
    // Failures count too: a 422 login, a 401 refresh, a 401 me.
    http.post_json("/v2/auth/login", &json!({}));
    http.post_json("/auth/login", &demo_login_body());
    refresh(&mut http, &refresh_token);
    refresh(&mut http, &refresh_token);
    refresh(&mut http, "nonsense");
    me(&mut http, "nonsense");
    me(&mut http, &access);
    logout(&mut http, "/auth/logout", &access);
    http.request("GET", "/elsewhere", &[], b"");

    let expected = Stats {
        login_requests: 3,
        refresh_requests: 3,
        logout_requests: 1,
        me_requests: 2,
    };
    assert_eq!(emulator.stats(), expected);
    assert_eq!(emulator.refresh_requests(), 3);
    assert_eq!(emulator.login_requests(), 3);
    assert_eq!(emulator.logout_requests(), 1);
    assert_eq!(emulator.me_requests(), 2);

    let response = http.request("GET", "/_emulator/stats", &[], b"");
    assert_eq!(response.status, 200);
    assert_eq!(
        response.body,
        r#"{"loginRequests":3,"refreshRequests":3,"logoutRequests":1,"meRequests":2}"#
    );
    // Reading the stats is not counted anywhere.
    assert_eq!(emulator.stats(), expected);
    let response = http.request("POST", "/_emulator/stats", &[], b"");
    assert_eq!(response.status, 404);
}

/// Statuses of `n` logins, each on its own request.
fn login_statuses(emulator: &Emulator, n: usize) -> Vec<u16> {
    let mut http = Http::connect(emulator.local_addr());
    (0..n)
        .map(|_| http.post_json("/v2/auth/login", &demo_login_body()).status)
        .collect()
}

#[test]
fn fail_rate_one_fails_everything_but_the_stats() {
    let emulator = start_with(Config {
        fail_rate: 1.0,
        ..Config::default()
    });
    let mut http = Http::connect(emulator.local_addr());
    for (method, path) in [
        ("POST", "/v2/auth/login"),
        ("POST", "/auth/refresh-token"),
        ("POST", "/auth/logout"),
        ("GET", "/auth/me"),
        ("GET", "/nowhere"),
    ] {
        let response = http.request(method, path, &[("Content-Type", "application/json")], b"{}");
        assert_eq!(
            response.json(),
            json!({"statusCode": 500, "message": "Internal server error", "error": "Internal Server Error"}),
            "{method} {path}"
        );
    }
    let response = http.request("GET", "/_emulator/stats", &[], b"");
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["loginRequests"], 1);
}

#[test]
fn fail_rate_with_a_seed_is_repeatable() {
    let config = Config {
        fail_rate: 0.5,
        seed: 1234,
        ..Config::default()
    };
    let first = login_statuses(&start_with(config.clone()), 64);
    let second = login_statuses(&start_with(config.clone()), 64);
    assert_eq!(first, second);
    assert!(first.contains(&200) && first.contains(&500), "{first:?}");
    assert!(first.iter().all(|status| *status == 200 || *status == 500));
    let other_seed = login_statuses(&start_with(Config { seed: 99, ..config }), 64);
    assert_ne!(first, other_seed);
    assert_eq!(
        login_statuses(&start(), 8),
        vec![200; 8],
        "rate 0 by default"
    );
}

#[test]
fn start_rejects_a_fail_rate_outside_0_to_1() {
    for rate in [-0.5, 1.01, f64::NAN] {
        let error = Emulator::start(
            "127.0.0.1:0",
            Config {
                fail_rate: rate,
                ..Config::default()
            },
        )
        .unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{rate}");
    }
}

#[test]
fn latency_delays_answers() {
    let latency = Duration::from_millis(300);
    let emulator = start_with(Config {
        latency,
        ..Config::default()
    });
    let mut http = Http::connect(emulator.local_addr());
    for (method, path) in [("POST", "/v2/auth/login"), ("GET", "/nowhere")] {
        let started = Instant::now();
        http.request(method, path, &[("Content-Type", "application/json")], b"{}");
        assert!(started.elapsed() >= latency, "{method} {path}");
    }
}

#[test]
fn stats_are_never_delayed() {
    // An hour of latency: only an undelayed answer arrives within the test.
    let emulator = start_with(Config {
        latency: Duration::from_secs(3600),
        ..Config::default()
    });
    let mut http = Http::connect(emulator.local_addr());
    let response = http.request("GET", "/_emulator/stats", &[], b"");
    assert_eq!(response.status, 200);
}
