//! Throwaway certificates for TLS tests, made fresh by rcgen on every run.

use ovok_emulator::TlsIdentity;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, SignatureAlgorithm,
};

/// A private certificate authority.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
    algorithm: &'static SignatureAlgorithm,
}

impl TestCa {
    /// A CA whose keys, and its servers' keys, are ECDSA P-256.
    pub fn new(name: &str) -> TestCa {
        TestCa::with_algorithm(name, &rcgen::PKCS_ECDSA_P256_SHA256)
    }

    /// A CA whose keys, and its servers' keys, use `algorithm`.
    pub fn with_algorithm(name: &str, algorithm: &'static SignatureAlgorithm) -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let key = KeyPair::generate_for(algorithm).unwrap();
        let issuer = CertifiedIssuer::self_signed(params, key).unwrap();
        TestCa { issuer, algorithm }
    }

    /// The CA certificate, PEM.
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server certificate for `names`, signed by this CA.
    pub fn server_identity(&self, names: &[&str]) -> TlsIdentity {
        self.identity(names, false)
    }

    /// A rustls server config for `names` (signed by this CA) that speaks
    /// only `version`, for test servers written on raw sockets.
    pub fn server_config(
        &self,
        names: &[&str],
        version: &'static rustls::SupportedProtocolVersion,
    ) -> std::sync::Arc<rustls::ServerConfig> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};

        let identity = self.server_identity(names);
        let certs = CertificateDer::pem_slice_iter(&identity.cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_slice(&identity.key_pem).unwrap();
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[version])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        std::sync::Arc::new(config)
    }

    /// A server certificate whose validity ended in 2001.
    pub fn expired_identity(&self, names: &[&str]) -> TlsIdentity {
        self.identity(names, true)
    }

    fn identity(&self, names: &[&str], expired: bool) -> TlsIdentity {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        if expired {
            params.not_before = rcgen::date_time_ymd(2000, 1, 1);
            params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        }
        let key = KeyPair::generate_for(self.algorithm).unwrap();
        let certificate = params.signed_by(&key, &self.issuer).unwrap();
        TlsIdentity {
            cert_pem: certificate.pem().into_bytes(),
            key_pem: key.serialize_pem().into_bytes(),
        }
    }
}
