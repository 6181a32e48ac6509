//! HTTPS (rustls per connection), with a throwaway self-signed cert.

mod common;

use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use common::{demo_login_body, Http};
use ovok_emulator::{Config, Emulator, TlsIdentity};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use serde_json::json;

fn identity() -> (TlsIdentity, rustls::pki_types::CertificateDer<'static>) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let identity = TlsIdentity {
        cert_pem: certified.cert.pem().into_bytes(),
        key_pem: certified.signing_key.serialize_pem().into_bytes(),
    };
    (identity, certified.cert.der().clone())
}

fn client(
    emulator: &Emulator,
    cert: rustls::pki_types::CertificateDer<'static>,
    name: &str,
) -> Http<StreamOwned<ClientConnection, TcpStream>> {
    let tcp = TcpStream::connect(emulator.local_addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    Http::over(StreamOwned::new(connection(cert, name), tcp))
}

/// A rustls client that trusts only `cert`.
fn connection(cert: rustls::pki_types::CertificateDer<'static>, name: &str) -> ClientConnection {
    let mut roots = RootCertStore::empty();
    roots.add(cert).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let server_name = ServerName::try_from(name.to_owned()).unwrap();
    ClientConnection::new(Arc::new(config), server_name).unwrap()
}

#[test]
fn https_login_and_refresh_on_one_connection() {
    let (identity, cert) = identity();
    let config = Config {
        tls: Some(identity),
        ..Config::default()
    };
    let emulator = Emulator::start("127.0.0.1:0", config).unwrap();
    assert!(emulator.url().starts_with("https://127.0.0.1:"));

    for name in ["localhost", "127.0.0.1"] {
        let mut http = client(&emulator, cert.clone(), name);
        let login = http.post_json("/v2/auth/login", &demo_login_body());
        assert_eq!(login.status, 200, "{}", login.body);
        let refresh = http.post_json(
            "/auth/refresh-token",
            &json!({"refresh_token": login.json()["refreshToken"]}),
        );
        assert_eq!(refresh.status, 200, "{}", refresh.body);
        let missing = http.request("GET", "/nope", &[], b"");
        assert_eq!(missing.json()["message"], "Cannot GET /nope");
    }
    assert_eq!(emulator.requests_served(), 6);
}

#[test]
fn https_keep_alive_413_and_shutdown() {
    let (identity, cert) = identity();
    let config = Config {
        tls: Some(identity),
        ..Config::default()
    };
    let emulator = Emulator::start("127.0.0.1:0", config).unwrap();
    let mut http = client(&emulator, cert.clone(), "localhost");
    for _ in 0..20 {
        assert_eq!(
            http.post_json("/v2/auth/login", &demo_login_body()).status,
            200
        );
    }
    assert_eq!(emulator.connections_accepted(), 1);

    let mut huge = client(&emulator, cert, "localhost");
    huge.write_raw(
        b"POST /v2/auth/login HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000000000\r\n\r\n",
    );
    let response = huge.read_response();
    assert_eq!(response.status, 413);
    assert_eq!(response.header("Connection"), Some("close"));
    // A clean TLS close (close_notify), not a truncation.
    assert!(huge.closed_by_server());

    assert_eq!(
        http.post_json("/v2/auth/login", &demo_login_body()).status,
        200
    );
    emulator.shutdown();
    assert!(http.closed_by_server());
}

#[test]
fn plaintext_to_the_https_port_is_refused() {
    let (identity, _) = identity();
    let config = Config {
        tls: Some(identity),
        ..Config::default()
    };
    let emulator = Emulator::start("127.0.0.1:0", config).unwrap();
    let mut tcp = TcpStream::connect(emulator.local_addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    use std::io::{Read, Write};
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut buf = Vec::new();
    let _ = tcp.read_to_end(&mut buf);
    assert!(!buf.starts_with(b"HTTP/"), "plaintext was served");
    assert_eq!(emulator.requests_served(), 0);
}

#[test]
fn bad_pem_is_invalid_input() {
    let config = Config {
        tls: Some(TlsIdentity {
            cert_pem: b"not a cert".to_vec(),
            key_pem: b"not a key".to_vec(),
        }),
        ..Config::default()
    };
    let err = Emulator::start("127.0.0.1:0", config).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn binary_serves_https_with_a_generated_certificate() {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let binary = env!("CARGO_BIN_EXE_ovok-emulator");
    let dir = std::env::temp_dir().join(format!("ovok-emulator-tls-{}", std::process::id()));
    let generated = Command::new(binary)
        .arg("--generate-cert")
        .arg(&dir)
        .status()
        .unwrap();
    assert!(generated.success());
    let ca = CertificateDer::from_pem_file(dir.join("ca.pem")).unwrap();

    let mut child = Command::new(binary)
        .args(["--listen", "127.0.0.1:0", "--quiet", "--tls-cert"])
        .arg(dir.join("server.pem"))
        .arg("--tls-key")
        .arg(dir.join("server.key"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let result = std::panic::catch_unwind(|| {
        let port = url
            .trim()
            .strip_prefix("https://127.0.0.1:")
            .unwrap_or_else(|| panic!("unexpected URL line {url:?}"));
        let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        // The server certificate names both, and chains to the generated CA.
        for name in ["localhost", "127.0.0.1"] {
            let tcp = TcpStream::connect(addr).unwrap();
            tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut http = Http::over(StreamOwned::new(connection(ca.clone(), name), tcp));
            assert_eq!(
                http.post_json("/auth/login", &demo_login_body()).status,
                200
            );
        }
    });
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    result.unwrap();
}
