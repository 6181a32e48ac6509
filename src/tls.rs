//! TLS settings: which certificates are trusted, and the crypto provider.
//!
//! The provider is ring, trimmed to what logging in to a web API needs.
//! What is left out is left out of the binary too (about 180 KB):
//!
//! - ChaCha20-Poly1305: every TLS 1.3 server must offer AES-128-GCM, and
//!   every TLS 1.2 server with an ECDHE suite offers AES-GCM;
//! - P-384 key exchange: X25519 and P-256 are what servers prefer;
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
use crate::error::Error;
use crate::status::OvokStatus;

/// The rustls configuration for a client that trusts what `trust` says;
/// `added` holds the DER certificates for [`Trust::AddedCertificates`].
pub(crate) fn client_config(trust: Trust, added: &[Vec<u8>]) -> Result<Arc<ClientConfig>, Error> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(|error| Error::new(OvokStatus::Tls, format!("TLS setup failed: {error}")))?;
    let builder = match trust {
        Trust::BundledRoots => builder.with_root_certificates(RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        }),
        Trust::AddedCertificates => {
            let mut roots = RootCertStore::empty();
            roots.add_parsable_certificates(added.iter().map(|der| der.clone().into()));
            builder.with_root_certificates(roots)
        }
        #[cfg(feature = "platform-verifier")]
        Trust::Platform => {
            let verifier = rustls_platform_verifier::Verifier::new(provider).map_err(|error| {
                Error::new(
                    OvokStatus::Tls,
                    format!("the platform's certificate store is unusable: {error}"),
                )
            })?;
            builder
                .dangerous() // Not dangerous: the platform verifies.
                .with_custom_certificate_verifier(Arc::new(verifier))
        }
        #[cfg(not(feature = "platform-verifier"))]
        Trust::Platform => {
            return Err(Error::invalid_argument(
                "platform trust needs the platform-verifier cargo feature",
            ))
        }
    };
    Ok(Arc::new(builder.with_no_client_auth()))
}

/// The provider every client uses, in its order of preference.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(CryptoProvider {
        cipher_suites: vec![
            cipher_suite::TLS13_AES_128_GCM_SHA256,
            cipher_suite::TLS13_AES_256_GCM_SHA384,
            cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        ],
        kx_groups: vec![kx_group::X25519, kx_group::SECP256R1],
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
    fn offers_only_aes_gcm_with_x25519_and_p256() {
        let provider = provider();
        let suites: Vec<CipherSuite> = provider.cipher_suites.iter().map(|s| s.suite()).collect();
        assert_eq!(suites.len(), 6);
        assert!(
            suites.iter().all(|s| format!("{s:?}").contains("AES")),
            "{suites:?}"
        );
        let groups: Vec<NamedGroup> = provider.kx_groups.iter().map(|g| g.name()).collect();
        assert_eq!(groups, [NamedGroup::X25519, NamedGroup::secp256r1]);
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
    fn is_complete_for_tls_1_2_and_1_3_and_random_works() {
        let provider = provider();
        let config = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(rustls::ALL_VERSIONS);
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
}
