//! `ovok_login` over https against the emulator with a certificate that the
//! bundled Mozilla roots do not trust.

mod common;

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
