//! The default trust: the operating system's CA file, read on the first
//! https call, or `SSL_CERT_FILE` when it is set.
//!
//! `SSL_CERT_FILE` is process-global and the shared client behind
//! `ovok_login` reads it once, so each scenario runs in a child process: this
//! test binary again, filtered to the ignored test `child_process_trust`,
//! with the variable set by `Command::env` before it starts (as
//! tests/proxy.rs does for the proxy variables).

mod common;

use common::pki::TestCa;
use common::{login, Builder};
use ovok::ffi::ovok_client_builder_set_platform_trust;
use ovok::OvokStatus;
use ovok_emulator::{Config, Emulator, TlsIdentity, DEMO_PASSWORD};

const SCENARIO: &str = "OVOK_TRUST_TEST_SCENARIO";
const CA_PEM: &str = "OVOK_TRUST_TEST_CA_PEM";
const SERVER_CERT: &str = "OVOK_TRUST_TEST_SERVER_CERT";
const SERVER_KEY: &str = "OVOK_TRUST_TEST_SERVER_KEY";

/// Runs `child_process_trust` with `SSL_CERT_FILE` set to `ssl_cert_file`.
fn run_child(scenario: &str, ssl_cert_file: &str, ca: &TestCa, identity: &TlsIdentity) {
    common::run_in_child("child_process_trust", scenario, |command| {
        command
            .env(SCENARIO, scenario)
            .env("SSL_CERT_FILE", ssl_cert_file)
            .env(CA_PEM, ca.pem())
            .env(
                SERVER_CERT,
                String::from_utf8_lossy(&identity.cert_pem).as_ref(),
            )
            .env(
                SERVER_KEY,
                String::from_utf8_lossy(&identity.key_pem).as_ref(),
            );
    });
}

#[test]
fn ssl_cert_file_is_the_default_trust_store() {
    let ca = TestCa::new("ovok system CA");
    let identity = ca.server_identity(&["localhost", "127.0.0.1"]);
    let file = std::env::temp_dir().join(format!("ovok-system-ca-{}.pem", std::process::id()));
    std::fs::write(&file, ca.pem()).unwrap();
    run_child("trusted", file.to_str().unwrap(), &ca, &identity);
    std::fs::remove_file(&file).unwrap();
}

#[test]
fn a_missing_ssl_cert_file_is_a_tls_error_naming_it_and_http_still_works() {
    let ca = TestCa::new("ovok system CA");
    let identity = ca.server_identity(&["localhost", "127.0.0.1"]);
    run_child("missing", "/nonexistent/ovok-ca.pem", &ca, &identity);
}

#[cfg(unix)]
#[test]
fn an_ssl_cert_file_that_is_a_device_is_a_tls_error_and_is_never_read() {
    let ca = TestCa::new("ovok system CA");
    let identity = ca.server_identity(&["localhost", "127.0.0.1"]);
    run_child("device", "/dev/zero", &ca, &identity);
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by the parent"))
}

#[test]
#[ignore = "run by the tests above in a child process"]
fn child_process_trust() {
    let Ok(scenario) = std::env::var(SCENARIO) else {
        eprintln!("not in a child process started by tests/system_trust.rs: nothing to do");
        return;
    };
    let identity = TlsIdentity {
        cert_pem: env(SERVER_CERT).into_bytes(),
        key_pem: env(SERVER_KEY).into_bytes(),
    };
    let https = Emulator::start(
        "127.0.0.1:0",
        Config {
            tls: Some(identity),
            ..Config::default()
        },
    )
    .expect("the TLS emulator starts");
    let explicit_platform_trust = || {
        let builder = Builder::new();
        // SAFETY: a live builder.
        let set = unsafe { ovok_client_builder_set_platform_trust(builder.0, true) };
        assert_eq!(set, OvokStatus::Ok);
        builder.build().unwrap()
    };
    match scenario.as_str() {
        "trusted" => {
            let outcome = login(https.url(), DEMO_PASSWORD);
            assert_eq!(outcome.status, OvokStatus::Ok, "ovok_login: {outcome:?}");
            let outcome = Builder::new()
                .build()
                .unwrap()
                .login(https.url(), DEMO_PASSWORD);
            assert_eq!(
                outcome.status,
                OvokStatus::Ok,
                "default client: {outcome:?}"
            );
            let outcome = explicit_platform_trust().login(https.url(), DEMO_PASSWORD);
            assert_eq!(
                outcome.status,
                OvokStatus::Ok,
                "platform trust: {outcome:?}"
            );
        }
        "missing" => {
            let expected = "SSL_CERT_FILE /nonexistent/ovok-ca.pem: No such file";
            let outcome = login(https.url(), DEMO_PASSWORD);
            assert_eq!(
                (outcome.status, outcome.http_status),
                (OvokStatus::Tls, 0),
                "{outcome:?}"
            );
            let message = outcome.error_message.unwrap();
            assert!(message.starts_with(expected), "{message}");
            assert_eq!(https.connections_accepted(), 0, "nothing was sent");

            let http = Emulator::start("127.0.0.1:0", Config::default()).unwrap();
            let outcome = login(http.url(), DEMO_PASSWORD);
            assert_eq!(outcome.status, OvokStatus::Ok, "loopback http: {outcome:?}");

            // Added CAs replace the system store, so they still work.
            let builder = Builder::new();
            assert_eq!(builder.add_ca_pem(&env(CA_PEM)), OvokStatus::Ok);
            let outcome = builder.build().unwrap().login(https.url(), DEMO_PASSWORD);
            assert_eq!(outcome.status, OvokStatus::Ok, "added CA: {outcome:?}");
        }
        "device" => {
            // /dev/zero never ends: reading it whole would never return.
            for outcome in [
                login(https.url(), DEMO_PASSWORD),
                Builder::new()
                    .build()
                    .unwrap()
                    .login(https.url(), DEMO_PASSWORD),
            ] {
                assert_eq!(
                    (outcome.status, outcome.http_status),
                    (OvokStatus::Tls, 0),
                    "{outcome:?}"
                );
                assert_eq!(
                    outcome.error_message.as_deref(),
                    Some("SSL_CERT_FILE /dev/zero is a character device, not a regular file")
                );
            }
            assert_eq!(https.connections_accepted(), 0, "nothing was sent");
        }
        other => panic!("unknown scenario {other}"),
    }
}
