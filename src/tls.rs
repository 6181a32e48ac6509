//! TLS settings: which certificates are trusted, and the crypto provider.
//!
//! The provider is ring, trimmed to what logging in to a web API needs.
//! What is left out is left out of the binary too:
//!
//! - TLS 1.2, unless the `tls12` cargo feature is on: TLS 1.3 only;
//! - ChaCha20-Poly1305: every TLS 1.3 server must offer AES-128-GCM;
//! - key exchange other than P-256 (secp256r1), the group every TLS 1.3
//!   implementation must support (RFC 8446, section 9.1). Its code is needed
//!   anyway to verify P-256 certificates; X25519 would add about 45 KB;
//! - Ed25519 certificates: public CAs do not issue them. P-256, P-384 and
//!   RSA certificates are all verified;
//! - private keys: the client never signs (no client certificates), so
//!   ring's signing code stays out.

use std::sync::Arc;

use rustls::client::ClientConfig;
use rustls::crypto::ring::{cipher_suite, kx_group};
use rustls::crypto::{
    CryptoProvider, GetRandomFailed, KeyProvider, SecureRandom, WebPkiSupportedAlgorithms,
};
use rustls::pki_types::PrivateKeyDer;
use rustls::sign::SigningKey;
use rustls::RootCertStore;
use rustls::SignatureScheme;
use webpki::ring as alg;

use crate::config::Trust;

/// TLS 1.3, and 1.2 with the `tls12` feature. Named here rather than taken
/// from rustls, whose TLS 1.2 support another crate in a build may switch on.
#[cfg(not(feature = "tls12"))]
const VERSIONS: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13];
#[cfg(feature = "tls12")]
const VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// The rustls configuration for a client that trusts what `trust` says;
/// `added` holds the DER certificates for [`Trust::AddedCertificates`].
/// The error says why the trusted certificates could not be loaded.
pub(crate) fn client_config(trust: Trust, added: &[Vec<u8>]) -> Result<Arc<ClientConfig>, String> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(VERSIONS)
        .map_err(|error| format!("TLS setup failed: {error}"))?;
    let builder = match trust {
        Trust::AddedCertificates => {
            let mut roots = RootCertStore::empty();
            roots.add_parsable_certificates(added.iter().map(|der| der.clone().into()));
            builder.with_root_certificates(roots)
        }
        #[cfg(feature = "bundled-roots")]
        Trust::BundledRoots => builder.with_root_certificates(RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        }),
        #[cfg(not(feature = "bundled-roots"))]
        Trust::BundledRoots => return Err("this build of ovok has no bundled roots".into()),
        #[cfg(any(target_vendor = "apple", target_os = "android", windows))]
        Trust::Platform => {
            let verifier = rustls_platform_verifier::Verifier::new(provider)
                .map_err(|error| format!("the platform's certificate verifier failed: {error}"))?;
            builder
                .dangerous() // Not dangerous: the platform verifies.
                .with_custom_certificate_verifier(Arc::new(verifier))
        }
        #[cfg(not(any(target_vendor = "apple", target_os = "android", windows)))]
        Trust::Platform => builder.with_root_certificates(system_ca_file::roots()?),
    };
    Ok(Arc::new(builder.with_no_client_auth()))
}

/// The system's CA bundle, where OpenSSL-based programs find it too.
#[cfg(not(any(target_vendor = "apple", target_os = "android", windows)))]
mod system_ca_file {
    use std::path::Path;

    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    use rustls::RootCertStore;

    use crate::bounded_read::read_file;
    use crate::config::MAX_CA_PEM_LEN;

    /// Where systems keep the bundle, tried in order after `SSL_CERT_FILE`
    /// (the list Go's crypto/x509 uses on Linux, plus the BSDs').
    pub(super) const CA_FILES: [&str; 7] = [
        "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Arch, Gentoo, Alpine
        "/etc/pki/tls/certs/ca-bundle.crt",   // Fedora, RHEL 6
        "/etc/ssl/ca-bundle.pem",             // openSUSE
        "/etc/pki/tls/cacert.pem",            // OpenELEC
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS, RHEL 7+
        "/etc/ssl/cert.pem",                  // Alpine, OpenBSD
        "/usr/local/share/certs/ca-root-nss.crt", // FreeBSD
    ];

    /// The certificates of `SSL_CERT_FILE` if it is set, else of the first
    /// bundle in [`CA_FILES`] that exists. Only a regular file of at most
    /// [`MAX_CA_PEM_LEN`] bytes is read (see `bounded_read`).
    pub(super) fn roots() -> Result<RootCertStore, String> {
        roots_from(std::env::var_os("SSL_CERT_FILE"), &CA_FILES)
    }

    pub(super) fn roots_from(
        ssl_cert_file: Option<std::ffi::OsString>,
        candidates: &[&str],
    ) -> Result<RootCertStore, String> {
        let from_env = ssl_cert_file.filter(|path| !path.is_empty());
        let path = match &from_env {
            Some(path) => Path::new(path),
            None => candidates
                .iter()
                .map(Path::new)
                .find(|path| path.is_file())
                .ok_or_else(|| {
                    format!(
                        "no system CA certificates: none of {} exists; install the \
                         ca-certificates package, set SSL_CERT_FILE, or add a CA",
                        candidates.join(", ")
                    )
                })?,
        };
        let shown = match &from_env {
            Some(_) => format!("SSL_CERT_FILE {}", path.display()),
            None => path.display().to_string(),
        };
        let pem = read_file(path, MAX_CA_PEM_LEN).map_err(|problem| format!("{shown}{problem}"))?;
        let mut roots = RootCertStore::empty();
        let certificates = CertificateDer::pem_slice_iter(&pem).filter_map(Result::ok);
        roots.add_parsable_certificates(certificates);
        if roots.is_empty() {
            return Err(format!("{shown} holds no usable CA certificate"));
        }
        Ok(roots)
    }
}

/// The provider every client uses, in its order of preference.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(CryptoProvider {
        cipher_suites: vec![
            cipher_suite::TLS13_AES_128_GCM_SHA256,
            cipher_suite::TLS13_AES_256_GCM_SHA384,
            #[cfg(feature = "tls12")]
            cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            #[cfg(feature = "tls12")]
            cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            #[cfg(feature = "tls12")]
            cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            #[cfg(feature = "tls12")]
            cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        ],
        kx_groups: vec![kx_group::SECP256R1],
        signature_verification_algorithms: SIGNATURE_ALGORITHMS,
        secure_random: &SystemRandom,
        key_provider: &NoPrivateKeys,
    })
}

/// rustls's ring table without Ed25519.
static SIGNATURE_ALGORITHMS: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
    all: &[
        alg::ECDSA_P256_SHA256,
        alg::ECDSA_P256_SHA384,
        alg::ECDSA_P384_SHA256,
        alg::ECDSA_P384_SHA384,
        alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
        alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
        alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
        alg::RSA_PKCS1_2048_8192_SHA256,
        alg::RSA_PKCS1_2048_8192_SHA384,
        alg::RSA_PKCS1_2048_8192_SHA512,
        alg::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
        alg::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
        alg::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
    ],
    mapping: &[
        // TLS 1.2 does not tie an ECDSA scheme to a curve; TLS 1.3 does.
        (
            SignatureScheme::ECDSA_NISTP384_SHA384,
            &[alg::ECDSA_P384_SHA384, alg::ECDSA_P256_SHA384],
        ),
        (
            SignatureScheme::ECDSA_NISTP256_SHA256,
            &[alg::ECDSA_P256_SHA256, alg::ECDSA_P384_SHA256],
        ),
        (
            SignatureScheme::RSA_PSS_SHA512,
            &[alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PSS_SHA384,
            &[alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PSS_SHA256,
            &[alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA512,
            &[alg::RSA_PKCS1_2048_8192_SHA512],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA384,
            &[alg::RSA_PKCS1_2048_8192_SHA384],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA256,
            &[alg::RSA_PKCS1_2048_8192_SHA256],
        ),
    ],
};

/// The operating system's random numbers, through ring.
#[derive(Debug)]
struct SystemRandom;

impl SecureRandom for SystemRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
        use ring::rand::SecureRandom as _;
        ring::rand::SystemRandom::new()
            .fill(buf)
            .map_err(|_| GetRandomFailed)
    }
}

/// Refuses every private key: the client authenticates with a password,
/// never with a certificate.
#[derive(Debug)]
struct NoPrivateKeys;

impl KeyProvider for NoPrivateKeys {
    fn load_private_key(
        &self,
        _key: PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn SigningKey>, rustls::Error> {
        Err(rustls::Error::General(
            "client certificates are not supported".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::{CipherSuite, NamedGroup};

    #[test]
    fn offers_only_aes_gcm_and_p256() {
        let provider = provider();
        let suites: Vec<CipherSuite> = provider.cipher_suites.iter().map(|s| s.suite()).collect();
        let expected = if cfg!(feature = "tls12") { 6 } else { 2 };
        assert_eq!(suites.len(), expected, "{suites:?}");
        assert!(
            suites.iter().all(|s| format!("{s:?}").contains("AES")),
            "{suites:?}"
        );
        let groups: Vec<NamedGroup> = provider.kx_groups.iter().map(|g| g.name()).collect();
        assert_eq!(groups, [NamedGroup::secp256r1]);
    }

    #[test]
    fn verifies_ecdsa_and_rsa_but_not_ed25519() {
        let schemes = SIGNATURE_ALGORITHMS.supported_schemes();
        for needed in [
            SignatureScheme::ECDSA_NISTP256_SHA256,
            SignatureScheme::ECDSA_NISTP384_SHA384,
            SignatureScheme::RSA_PSS_SHA256,
            SignatureScheme::RSA_PKCS1_SHA256,
        ] {
            assert!(schemes.contains(&needed), "{needed:?} missing");
        }
        assert!(!schemes.contains(&SignatureScheme::ED25519));
    }

    #[test]
    fn is_complete_for_its_tls_versions_and_random_works() {
        let provider = provider();
        let config = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(VERSIONS);
        assert!(config.is_ok(), "{:?}", config.err());
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        provider.secure_random.fill(&mut a).unwrap();
        provider.secure_random.fill(&mut b).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn refuses_private_keys() {
        let key = PrivateKeyDer::Pkcs8(vec![0u8; 8].into());
        let refused = provider().key_provider.load_private_key(key).err();
        assert!(format!("{refused:?}").contains("not supported"));
    }

    #[cfg(not(any(target_vendor = "apple", target_os = "android", windows)))]
    #[test]
    fn the_system_ca_file_is_ssl_cert_file_or_the_first_bundle_that_exists() {
        use super::system_ca_file::roots_from;

        let dir = std::env::temp_dir().join(format!("ovok-tls-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bundle = dir.join("bundle.pem");
        let ca = rcgen::generate_simple_self_signed(vec!["ca.test".to_string()]).unwrap();
        std::fs::write(&bundle, ca.cert.pem()).unwrap();
        let not_pem = dir.join("not-pem.txt");
        std::fs::write(&not_pem, "hello").unwrap();
        let missing = dir.join("missing.pem");
        let (bundle_s, missing_s) = (bundle.to_str().unwrap(), missing.to_str().unwrap());

        let roots = roots_from(None, &[missing_s, bundle_s]).unwrap();
        assert_eq!(roots.len(), 1, "the first bundle that exists");
        let roots = roots_from(Some(bundle.clone().into()), &[missing_s]).unwrap();
        assert_eq!(roots.len(), 1, "SSL_CERT_FILE wins");
        assert_eq!(roots_from(Some("".into()), &[bundle_s]).unwrap().len(), 1);

        let error = roots_from(Some(missing.clone().into()), &[bundle_s]).unwrap_err();
        assert!(
            error.starts_with(&format!("SSL_CERT_FILE {missing_s}: ")),
            "{error}"
        );
        let error = roots_from(None, &[missing_s]).unwrap_err();
        assert!(
            error.contains(missing_s) && error.contains("ca-certificates"),
            "{error}"
        );
        let error = roots_from(Some(not_pem.clone().into()), &[]).unwrap_err();
        assert!(error.ends_with("holds no usable CA certificate"), "{error}");
        let error = roots_from(Some("/dev/zero".into()), &[bundle_s]).unwrap_err();
        assert_eq!(
            error,
            "SSL_CERT_FILE /dev/zero is a character device, not a regular file"
        );
        let error = roots_from(Some(dir.clone().into()), &[bundle_s]).unwrap_err();
        assert!(
            error.ends_with("is a directory, not a regular file"),
            "{error}"
        );
        let huge = dir.join("huge.pem");
        std::fs::File::create(&huge)
            .unwrap()
            .set_len(crate::config::MAX_CA_PEM_LEN as u64 + 1)
            .unwrap();
        let error = roots_from(Some(huge.into()), &[bundle_s]).unwrap_err();
        assert!(error.ends_with("is larger than 4194304 bytes"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
