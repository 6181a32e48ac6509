//! Configured clients through the C ABI: builder rules, timeouts, private
//! CAs, platform trust and proxies.

mod common;

use std::ffi::CString;
use std::time::{Duration, Instant};

use common::hostile::HostileServer;
use common::pki::TestCa;
use common::Builder;
use ovok::ffi::{
    ovok_client_build, ovok_client_builder_add_ca_file, ovok_client_builder_add_ca_pem,
    ovok_client_builder_set_connect_timeout_ms, ovok_client_builder_set_platform_trust,
    ovok_client_builder_set_proxy, ovok_client_builder_set_proxy_from_env,
    ovok_client_builder_set_total_timeout_ms, ovok_client_builder_set_user_agent_suffix,
    ovok_client_login,
};
use ovok::OvokStatus;
use ovok_emulator::{Config, Emulator, TlsIdentity, DEMO_PASSWORD};

fn tls_emulator(identity: TlsIdentity) -> Emulator {
    let config = Config {
        tls: Some(identity),
        ..Config::default()
    };
    Emulator::start("127.0.0.1:0", config).expect("the TLS emulator starts")
}

/// A client that trusts only `ca`.
fn trusting(ca: &TestCa) -> common::Client {
    let builder = Builder::new();
    assert_eq!(builder.add_ca_pem(&ca.pem()), OvokStatus::Ok);
    builder.build().unwrap()
}

#[test]
fn every_builder_function_refuses_null_without_crashing() {
    let null = std::ptr::null_mut();
    let text = CString::new("x").unwrap();
    unsafe {
        assert_eq!(
            ovok_client_builder_set_connect_timeout_ms(null, 10),
            OvokStatus::InvalidArgument
        );
        assert_eq!(
            ovok_client_builder_set_total_timeout_ms(null, 10),
            OvokStatus::InvalidArgument
        );
        assert_eq!(
            ovok_client_builder_set_platform_trust(null, true),
            OvokStatus::InvalidArgument
        );
        assert_eq!(
            ovok_client_builder_add_ca_file(null, text.as_ptr()),
            OvokStatus::InvalidArgument
        );
        assert_eq!(
            ovok_client_builder_add_ca_pem(null, std::ptr::null(), 0),
            OvokStatus::InvalidArgument
        );
        assert_eq!(
            ovok_client_builder_set_proxy(null, text.as_ptr()),
            OvokStatus::InvalidArgument
        );
        assert_eq!(
            ovok_client_builder_set_proxy_from_env(null, false),
            OvokStatus::InvalidArgument
        );
        assert_eq!(
            ovok_client_builder_set_user_agent_suffix(null, text.as_ptr()),
            OvokStatus::InvalidArgument
        );
        let mut client = std::ptr::null_mut();
        assert_eq!(
            ovok_client_build(null, &mut client),
            OvokStatus::InvalidArgument
        );
        assert!(client.is_null());
        let builder = Builder::new();
        assert_eq!(
            ovok_client_build(builder.0, std::ptr::null_mut()),
            OvokStatus::InvalidArgument
        );
        let result = ovok_client_login(
            std::ptr::null(),
            text.as_ptr(),
            text.as_ptr(),
            text.as_ptr(),
            text.as_ptr(),
        );
        assert_eq!((*result).status, OvokStatus::InvalidArgument);
        ovok::ffi::ovok_result_free(result);
    }
}

#[test]
fn refused_settings_are_explained_and_leave_the_builder_usable() {
    let builder = Builder::new();
    let missing = CString::new("/nonexistent/private-ca.pem").unwrap();
    let bad_proxy = CString::new("socks5://proxy.internal:1080").unwrap();
    let cases: [(OvokStatus, &str); 5] = unsafe {
        [
            (
                ovok_client_builder_set_total_timeout_ms(builder.0, 0),
                "total timeout must be between 1 ms and 600 s",
            ),
            (
                ovok_client_builder_set_connect_timeout_ms(builder.0, 600_001),
                "connect timeout must be between",
            ),
            (
                ovok_client_builder_add_ca_file(builder.0, missing.as_ptr()),
                "CA file /nonexistent/private-ca.pem: No such file",
            ),
            (
                builder.add_ca_pem("not a certificate"),
                "ca_pem holds no PEM certificate",
            ),
            (
                ovok_client_builder_set_proxy(builder.0, bad_proxy.as_ptr()),
                "proxy URL is a SOCKS proxy (socks5://), which ovok does not support",
            ),
        ]
    };
    for (status, needle) in cases {
        assert_eq!(status, OvokStatus::InvalidArgument, "{needle}");
    }
    // Only the last message is kept; check each right after its call instead.
    let again = unsafe { ovok_client_builder_add_ca_file(builder.0, missing.as_ptr()) };
    assert_eq!(again, OvokStatus::InvalidArgument);
    let message = builder.last_error().unwrap();
    assert!(
        message.contains("CA file /nonexistent/private-ca.pem: No such file"),
        "{message}"
    );
    let ok = unsafe { ovok_client_builder_set_total_timeout_ms(builder.0, 1000) };
    assert_eq!(ok, OvokStatus::Ok);
    assert_eq!(builder.last_error(), None, "success clears the message");
    assert!(builder.build().is_ok(), "refused settings changed nothing");
}

#[test]
fn the_total_timeout_bounds_a_silent_server() {
    let builder = Builder::new();
    assert_eq!(
        unsafe { ovok_client_builder_set_total_timeout_ms(builder.0, 300) },
        OvokStatus::Ok
    );
    let client = builder.build().unwrap();
    let server = HostileServer::silent();
    let url = server.url();
    let started = Instant::now();
    let outcome = client.login(&url, DEMO_PASSWORD);
    let waited = started.elapsed();
    assert_eq!(outcome.status, OvokStatus::Timeout, "{outcome:?}");
    assert!(
        waited >= Duration::from_millis(290) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    assert_eq!(
        outcome.error_message.as_deref(),
        Some("no complete response within the 300 ms total timeout")
    );
}

#[test]
fn a_private_ca_is_trusted_only_when_added() {
    let ca = TestCa::new("ovok test CA");
    let emulator = tls_emulator(ca.server_identity(&["localhost", "127.0.0.1"]));

    let default_client = Builder::new().build().unwrap();
    let outcome = default_client.login(emulator.url(), DEMO_PASSWORD);
    assert_eq!(outcome.status, OvokStatus::Tls, "{outcome:?}");
    assert!(outcome.error_message.unwrap().contains("UnknownIssuer"));

    let builder = Builder::new();
    assert_eq!(
        builder.add_ca_pem(&ca.pem()),
        OvokStatus::Ok,
        "{:?}",
        builder.last_error()
    );
    let client = builder.build().unwrap();
    let outcome = client.login(emulator.url(), DEMO_PASSWORD);
    assert_eq!(outcome.status, OvokStatus::Ok, "{outcome:?}");
    let localhost = emulator.url().replace("127.0.0.1", "localhost");
    assert_eq!(
        client.login(&localhost, DEMO_PASSWORD).status,
        OvokStatus::Ok
    );

    let file = std::env::temp_dir().join(format!("ovok-test-ca-{}.pem", std::process::id()));
    std::fs::write(&file, ca.pem()).unwrap();
    let path = CString::new(file.to_str().unwrap()).unwrap();
    let from_file = Builder::new();
    assert_eq!(
        unsafe { ovok_client_builder_add_ca_file(from_file.0, path.as_ptr()) },
        OvokStatus::Ok
    );
    std::fs::remove_file(&file).unwrap();
    let outcome = from_file
        .build()
        .unwrap()
        .login(emulator.url(), DEMO_PASSWORD);
    assert_eq!(
        outcome.status,
        OvokStatus::Ok,
        "the file was read at configuration time"
    );
}

#[test]
fn a_trusted_ca_does_not_excuse_a_wrong_name_or_an_expired_certificate() {
    let ca = TestCa::new("ovok test CA");
    let cases = [
        (ca.server_identity(&["api.ovok.com"]), "not valid for name"),
        (
            ca.expired_identity(&["localhost", "127.0.0.1"]),
            "certificate expired",
        ),
    ];
    for (identity, needle) in cases {
        let emulator = tls_emulator(identity);
        let outcome = trusting(&ca).login(emulator.url(), DEMO_PASSWORD);
        assert_eq!(
            (outcome.status, outcome.http_status),
            (OvokStatus::Tls, 0),
            "{outcome:?}"
        );
        let message = outcome.error_message.unwrap();
        assert!(message.contains(needle), "{message} lacks {needle}");
        assert_eq!(emulator.requests_served(), 0);
    }
}

#[test]
fn p384_certificates_are_verified_and_ed25519_ones_refused() {
    // The client's crypto provider leaves Ed25519 out (public CAs do not
    // issue it): such a server is a TLS error before any byte of the login.
    let cases = [
        (&rcgen::PKCS_ECDSA_P384_SHA384, OvokStatus::Ok),
        (&rcgen::PKCS_ED25519, OvokStatus::Tls),
    ];
    for (algorithm, expected) in cases {
        let ca = TestCa::with_algorithm("ovok test CA", algorithm);
        let emulator = tls_emulator(ca.server_identity(&["localhost", "127.0.0.1"]));
        let outcome = trusting(&ca).login(emulator.url(), DEMO_PASSWORD);
        assert_eq!(outcome.status, expected, "{algorithm:?}: {outcome:?}");
        if expected == OvokStatus::Tls {
            let message = outcome.error_message.unwrap();
            assert!(message.contains("HandshakeFailure"), "{message}");
            assert_eq!(emulator.requests_served(), 0);
        }
    }
}

#[test]
fn bundled_roots_are_refused_by_a_build_without_them() {
    let builder = Builder::new();
    let status = unsafe { ovok_client_builder_set_platform_trust(builder.0, false) };
    if cfg!(feature = "bundled-roots") {
        assert_eq!(status, OvokStatus::Ok);
        return;
    }
    assert_eq!(status, OvokStatus::InvalidArgument);
    let message = builder.last_error().unwrap();
    assert!(message.contains("cargo feature bundled-roots"), "{message}");
    assert!(
        builder.build().is_ok(),
        "the refused setting changed nothing"
    );
}

#[test]
fn platform_trust_does_not_trust_a_private_ca_and_does_not_mix_with_added_cas() {
    let ca = TestCa::new("ovok test CA");
    let emulator = tls_emulator(ca.server_identity(&["localhost", "127.0.0.1"]));
    let builder = Builder::new();
    assert_eq!(
        unsafe { ovok_client_builder_set_platform_trust(builder.0, true) },
        OvokStatus::Ok
    );
    let outcome = builder
        .build()
        .unwrap()
        .login(emulator.url(), DEMO_PASSWORD);
    assert_eq!(outcome.status, OvokStatus::Tls, "{outcome:?}");

    assert_eq!(builder.add_ca_pem(&ca.pem()), OvokStatus::Ok);
    let (status, message) = builder.build().err().expect("contradictory settings");
    assert_eq!(status, OvokStatus::InvalidArgument);
    assert!(message.unwrap().contains("cannot be combined"));
}

#[test]
fn an_explicit_proxy_is_used_and_its_failure_is_a_connection_error() {
    let builder = Builder::new();
    let proxy = CString::new(common::refused_url()).unwrap();
    assert_eq!(
        unsafe { ovok_client_builder_set_proxy(builder.0, proxy.as_ptr()) },
        OvokStatus::Ok
    );
    let client = builder.build().unwrap();
    // A name that resolves nowhere: only the proxy could reach it.
    let outcome = client.login("https://api.ovok-proxy.test", DEMO_PASSWORD);
    assert_eq!(outcome.status, OvokStatus::Connection, "{outcome:?}");
    let message = outcome.error_message.unwrap_or_default();
    assert!(message.contains("refused"), "went to the proxy: {message}");

    // Loopback is never proxied: a proxy would see a plain http login.
    let server = HostileServer::with_body("200 OK", "application/json", "{}");
    let outcome = client.login(&server.url(), DEMO_PASSWORD);
    assert_eq!(outcome.http_status, 200, "{outcome:?}");
    assert_eq!(server.connections(), 1, "the request went to the server");
}

#[test]
fn a_proxy_url_without_a_scheme_is_http_as_in_curl() {
    let builder = Builder::new();
    let proxy = CString::new("proxy.internal:3128").unwrap();
    assert_eq!(
        unsafe { ovok_client_builder_set_proxy(builder.0, proxy.as_ptr()) },
        OvokStatus::Ok
    );
}

#[cfg(unix)]
#[test]
fn a_ca_file_that_is_a_device_or_a_directory_is_refused_without_reading_it() {
    for (path, what) in [("/dev/zero", "a character device"), ("/tmp", "a directory")] {
        let builder = Builder::new();
        let c_path = CString::new(path).unwrap();
        // SAFETY: a live builder and a live string.
        let status = unsafe { ovok_client_builder_add_ca_file(builder.0, c_path.as_ptr()) };
        assert_eq!(status, OvokStatus::InvalidArgument, "{path}");
        assert_eq!(
            builder.last_error(),
            Some(format!("CA file {path} is {what}, not a regular file"))
        );
    }
}
