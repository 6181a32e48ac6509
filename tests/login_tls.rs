//! `ovok_login` over https against servers it must refuse: a certificate
//! that the system does not trust, and a server without TLS 1.3.

mod common;

use std::sync::Arc;

use common::login;
use ovok::OvokStatus;
use ovok_emulator::{Config, Emulator, TlsIdentity, DEMO_PASSWORD};

fn self_signed_emulator() -> Emulator {
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let certified = rcgen::generate_simple_self_signed(names).expect("rcgen makes a certificate");
    let tls = TlsIdentity {
        cert_pem: certified.cert.pem().into_bytes(),
        key_pem: certified.signing_key.serialize_pem().into_bytes(),
    };
    let config = Config {
        tls: Some(tls),
        ..Config::default()
    };
    Emulator::start("127.0.0.1:0", config).expect("the TLS emulator starts")
}

#[test]
fn an_untrusted_certificate_is_a_tls_error_and_sends_nothing() {
    let emulator = self_signed_emulator();
    assert!(emulator.url().starts_with("https://"));
    let outcome = login(emulator.url(), DEMO_PASSWORD);
    assert_eq!(
        (outcome.status, outcome.http_status),
        (OvokStatus::Tls, 0),
        "{outcome:?}"
    );
    let message = outcome.error_message.unwrap();
    assert!(message.contains("certificate"), "{message}");
    assert_eq!(
        emulator.requests_served(),
        0,
        "the password must not reach an untrusted server"
    );
}

/// A server that speaks only TLS 1.2, with a certificate the client trusts.
/// Returns its https URL.
fn tls12_only_server(ca: &common::pki::TestCa) -> String {
    let config = ca.server_config(&["localhost", "127.0.0.1"], &rustls::version::TLS12);
    // The hostile server's raw socket, with rustls's handshake on top.
    let server = common::hostile::HostileServer::start(move |conn| {
        let mut tls = rustls::ServerConnection::new(Arc::clone(&config)).unwrap();
        while tls.is_handshaking() {
            if tls.complete_io(conn.raw()).is_err() {
                break;
            }
        }
    });
    server.https_url()
}

#[test]
fn a_server_without_tls_1_3_is_a_tls_error_that_names_the_cause() {
    let ca = common::pki::TestCa::new("ovok test CA");
    let url = tls12_only_server(&ca);
    let builder = common::Builder::new();
    assert_eq!(builder.add_ca_pem(&ca.pem()), OvokStatus::Ok);
    let outcome = builder.build().unwrap().login(&url, DEMO_PASSWORD);
    if cfg!(feature = "tls12") {
        // The handshake succeeds; the server then hangs up without answering.
        assert_eq!(outcome.status, OvokStatus::Connection, "{outcome:?}");
        return;
    }
    assert_eq!(
        (outcome.status, outcome.http_status),
        (OvokStatus::Tls, 0),
        "{outcome:?}"
    );
    let message = outcome.error_message.unwrap();
    assert!(
        message.contains("ProtocolVersion") && message.contains("does not speak TLS 1.3"),
        "{message}"
    );
    assert!(message.contains("tls12 cargo feature"), "{message}");
}
