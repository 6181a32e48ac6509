//! How a client connects: timeouts, which certificates it trusts, proxies,
//! and the User-Agent. Every setter validates its input and names the problem.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

use crate::bounded_read::read_file;
use crate::error::Error;
use crate::proxy::Proxy;

/// Default time allowed to establish a connection (DNS, TCP and TLS).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed for a whole call, from DNS lookup to the last body byte.
pub const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest timeout a caller may set.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(600);
/// The User-Agent header, before any suffix.
pub const USER_AGENT: &str = concat!("ovok/", env!("CARGO_PKG_VERSION"));
/// Larger CA files or PEM buffers are refused (Debian's whole system
/// bundle is about 220 KB).
pub const MAX_CA_PEM_LEN: usize = 4 * 1024 * 1024;

/// Which certificates a client trusts for https.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trust {
    /// The operating system's: its verifier on Apple platforms, Android and
    /// Windows (rustls-platform-verifier), its CA file elsewhere. The default.
    Platform,
    /// The Mozilla root certificates bundled in the library (cargo feature
    /// `bundled-roots`): the same on every system.
    BundledRoots,
    /// Only the CA certificates the caller added.
    AddedCertificates,
}

pub(crate) use crate::proxy::ProxyChoice;

/// The settings of a client. `ClientConfig::default()` is what `ovok_login` uses.
#[derive(Clone)]
pub struct ClientConfig {
    pub(crate) connect_timeout: Duration,
    pub(crate) total_timeout: Duration,
    /// `None` until set: the platform's store, which added CAs replace.
    pub(crate) platform_trust: Option<bool>,
    pub(crate) ca_certificates: Vec<Vec<u8>>,
    pub(crate) proxy: ProxyChoice,
    pub(crate) user_agent: String,
}

impl Default for ClientConfig {
    fn default() -> ClientConfig {
        ClientConfig {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            total_timeout: DEFAULT_TOTAL_TIMEOUT,
            platform_trust: None,
            ca_certificates: Vec::new(),
            proxy: ProxyChoice::FromEnvironment,
            user_agent: USER_AGENT.to_string(),
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proxy = match &self.proxy {
            ProxyChoice::FromEnvironment => "from the environment",
            ProxyChoice::Direct => "none",
            ProxyChoice::Explicit(_) => "<set>",
        };
        f.debug_struct("ClientConfig")
            .field("connect_timeout", &self.connect_timeout)
            .field("total_timeout", &self.total_timeout)
            .field("trust", &self.trust())
            .field("ca_certificates", &self.ca_certificates.len())
            .field("proxy", &proxy)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

impl ClientConfig {
    /// Sets how long establishing a connection may take (1 ms to 600 s).
    pub fn set_connect_timeout(&mut self, timeout: Duration) -> Result<(), Error> {
        self.connect_timeout = checked_timeout("connect timeout", timeout)?;
        Ok(())
    }

    /// Sets how long a whole call may take (1 ms to 600 s).
    pub fn set_total_timeout(&mut self, timeout: Duration) -> Result<(), Error> {
        self.total_timeout = checked_timeout("total timeout", timeout)?;
        Ok(())
    }

    /// `true` (the default) trusts the operating system's store; `false`
    /// the bundled Mozilla roots, in builds with the `bundled-roots` feature.
    pub fn set_platform_trust(&mut self, use_platform: bool) -> Result<(), Error> {
        if !use_platform && !cfg!(feature = "bundled-roots") {
            return Err(Error::invalid_argument(
                "this build of ovok has no bundled roots (cargo feature bundled-roots); \
                 it trusts the operating system's store or added CAs",
            ));
        }
        self.platform_trust = Some(use_platform);
        Ok(())
    }

    /// Adds the CA certificates in a PEM buffer; returns how many it held.
    ///
    /// Once any CA is added, only the added CAs are trusted, as with curl's
    /// `--cacert`: the right thing for a private CA or a TLS-inspecting gateway.
    pub fn add_ca_pem(&mut self, pem: &[u8]) -> Result<usize, Error> {
        self.add_ca_pem_from(pem, "ca_pem")
    }

    /// Adds the CA certificates in a PEM file; returns how many it held.
    /// Only a regular file of at most [`MAX_CA_PEM_LEN`] bytes is read: a
    /// directory, a device such as `/dev/zero` or a FIFO is refused.
    pub fn add_ca_file(&mut self, path: &Path) -> Result<usize, Error> {
        let shown = crate::redact::Secrets::none().message(&path.display().to_string());
        let pem = read_file(path, MAX_CA_PEM_LEN)
            .map_err(|problem| Error::invalid_argument(format!("CA file {shown}{problem}")))?;
        self.add_ca_pem_from(&pem, &format!("CA file {shown}"))
    }

    fn add_ca_pem_from(&mut self, pem: &[u8], source: &str) -> Result<usize, Error> {
        if pem.len() > MAX_CA_PEM_LEN {
            return Err(Error::invalid_argument(format!(
                "{source} is larger than {MAX_CA_PEM_LEN} bytes"
            )));
        }
        let mut found = Vec::new();
        for item in CertificateDer::pem_slice_iter(pem) {
            match item {
                Ok(certificate) => {
                    let der = certificate.to_vec();
                    let mut probe = rustls::RootCertStore::empty();
                    probe.add(der.clone().into()).map_err(|error| {
                        Error::invalid_argument(format!(
                            "{source}: certificate {} is not a usable CA ({error})",
                            found.len() + 1
                        ))
                    })?;
                    found.push(der);
                }
                Err(_) => {
                    return Err(Error::invalid_argument(format!(
                        "{source} is not valid PEM"
                    )))
                }
            }
        }
        if found.is_empty() {
            return Err(Error::invalid_argument(format!(
                "{source} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
            )));
        }
        let count = found.len();
        self.ca_certificates.extend(found);
        Ok(count)
    }

    /// Sends every request through this proxy (`http://[user:password@]host[:port]`
    /// or `host:port`),
    /// except to loopback, which is never proxied. `None` or `""` goes back
    /// to the environment's proxy settings. SOCKS and `https://` proxies are
    /// refused; the message never quotes the URL.
    pub fn set_proxy(&mut self, proxy_url: Option<&str>) -> Result<(), Error> {
        self.proxy = match proxy_url {
            None | Some("") => ProxyChoice::FromEnvironment,
            Some(url) => ProxyChoice::Explicit(
                Proxy::parse(url)
                    .map_err(|problem| Error::invalid_argument(format!("proxy URL {problem}")))?,
            ),
        };
        Ok(())
    }

    /// Whether `https_proxy`, `http_proxy`, `all_proxy` and `no_proxy` (see
    /// `proxy.rs` for curl's rules) are honoured (the default). An explicit
    /// proxy always wins.
    pub fn set_proxy_from_environment(&mut self, honour: bool) {
        if !matches!(self.proxy, ProxyChoice::Explicit(_)) {
            self.proxy = if honour {
                ProxyChoice::FromEnvironment
            } else {
                ProxyChoice::Direct
            };
        }
    }

    /// Appends ` suffix` to the User-Agent, e.g. `myapp/2.1`.
    pub fn set_user_agent_suffix(&mut self, suffix: &str) -> Result<(), Error> {
        if suffix.len() > 256 || !suffix.chars().all(|c| c == ' ' || c.is_ascii_graphic()) {
            return Err(Error::invalid_argument(
                "user agent suffix must be at most 256 printable ASCII characters",
            ));
        }
        self.user_agent = match suffix.trim() {
            "" => USER_AGENT.to_string(),
            suffix => format!("{USER_AGENT} {suffix}"),
        };
        Ok(())
    }

    /// Which certificates a client built from this configuration trusts.
    pub fn trust(&self) -> Trust {
        if !self.ca_certificates.is_empty() {
            Trust::AddedCertificates
        } else if self.platform_trust == Some(false) {
            Trust::BundledRoots
        } else {
            Trust::Platform
        }
    }

    /// The configured connect and total timeouts.
    pub fn timeouts(&self) -> (Duration, Duration) {
        (self.connect_timeout, self.total_timeout)
    }

    /// Checks combinations that no single setter can see.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.platform_trust == Some(true) && !self.ca_certificates.is_empty() {
            return Err(Error::invalid_argument(
                "the platform trust store and added CA certificates cannot be combined; choose one",
            ));
        }
        Ok(())
    }
}

fn checked_timeout(name: &str, timeout: Duration) -> Result<Duration, Error> {
    if timeout < Duration::from_millis(1) || timeout > MAX_TIMEOUT {
        return Err(Error::invalid_argument(format!(
            "{name} must be between 1 ms and {} s",
            MAX_TIMEOUT.as_secs()
        )));
    }
    Ok(timeout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::OvokStatus;

    #[test]
    fn defaults_are_the_documented_ones() {
        let config = ClientConfig::default();
        assert_eq!(
            config.timeouts(),
            (Duration::from_secs(10), Duration::from_secs(30))
        );
        assert_eq!(config.trust(), Trust::Platform);
        assert!(config.proxy == ProxyChoice::FromEnvironment);
        assert_eq!(
            config.user_agent,
            format!("ovok/{}", env!("CARGO_PKG_VERSION"))
        );
        assert!(config.validate().is_ok());
    }

    #[test]
    fn timeouts_outside_the_range_are_refused() {
        let mut config = ClientConfig::default();
        for bad in [
            Duration::ZERO,
            Duration::from_micros(999),
            Duration::from_secs(601),
        ] {
            let error = config.set_connect_timeout(bad).unwrap_err();
            assert_eq!(error.status, OvokStatus::InvalidArgument);
            assert!(error.message.contains("connect timeout"));
            assert!(config.set_total_timeout(bad).is_err());
        }
        config
            .set_total_timeout(Duration::from_millis(250))
            .unwrap();
        assert_eq!(config.timeouts().1, Duration::from_millis(250));
    }

    #[test]
    fn bad_ca_input_names_the_problem() {
        let mut config = ClientConfig::default();
        let cases: [(&[u8], &str); 3] = [
            (b"", "holds no PEM certificate"),
            (b"hello", "holds no PEM certificate"),
            (
                b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                "certificate 1 is not a usable CA",
            ),
        ];
        for (pem, needle) in cases {
            let error = config.add_ca_pem(pem).unwrap_err();
            assert!(error.message.contains(needle), "{}", error.message);
        }
        let error = config
            .add_ca_file(Path::new("/nonexistent/ca.pem"))
            .unwrap_err();
        assert!(
            error.message.starts_with("CA file /nonexistent/ca.pem: "),
            "{}",
            error.message
        );
        assert_eq!(error.status, OvokStatus::InvalidArgument);
        #[cfg(unix)]
        {
            let error = config.add_ca_file(Path::new("/dev/zero")).unwrap_err();
            assert_eq!(error.status, OvokStatus::InvalidArgument);
            assert_eq!(
                error.message,
                "CA file /dev/zero is a character device, not a regular file"
            );
        }
        let error = config.add_ca_file(&std::env::temp_dir()).unwrap_err();
        assert!(error
            .message
            .ends_with(" is a directory, not a regular file"));
        assert_eq!(
            config.trust(),
            Trust::Platform,
            "failed adds change nothing"
        );
    }

    #[test]
    fn proxy_urls_are_checked_and_never_echoed() {
        let mut config = ClientConfig::default();
        for bad in ["ftp://proxy.example", "http://", "http://a b"] {
            let error = config.set_proxy(Some(bad)).unwrap_err();
            assert!(error.message.starts_with("proxy URL is invalid"), "{bad}");
        }
        for socks in [
            "socks5://user:s3cret@proxy.example",
            "socks4://proxy.example",
        ] {
            let error = config.set_proxy(Some(socks)).unwrap_err();
            assert_eq!(error.status, OvokStatus::InvalidArgument);
            assert!(error.message.contains("SOCKS"), "{}", error.message);
            assert!(!error.message.contains("s3cret"), "{}", error.message);
        }
        config.set_proxy(Some("proxy.example:3128")).unwrap();
        config
            .set_proxy(Some("http://user:s3cret@proxy.example:3128"))
            .unwrap();
        assert!(!format!("{config:?}").contains("s3cret"));
        config.set_proxy_from_environment(false);
        assert!(
            matches!(config.proxy, ProxyChoice::Explicit(_)),
            "explicit proxy wins"
        );
        config.set_proxy(None).unwrap();
        config.set_proxy_from_environment(false);
        assert!(config.proxy == ProxyChoice::Direct);
    }

    #[test]
    fn user_agent_suffix() {
        let mut config = ClientConfig::default();
        config.set_user_agent_suffix("myapp/2.1").unwrap();
        assert_eq!(config.user_agent, format!("{USER_AGENT} myapp/2.1"));
        assert!(config
            .set_user_agent_suffix("bad\r\nX-Injected: 1")
            .is_err());
        assert!(config.set_user_agent_suffix(&"x".repeat(257)).is_err());
    }

    #[test]
    fn added_cas_replace_the_default_platform_store_but_do_not_mix_with_an_explicit_one() {
        let mut config = ClientConfig::default();
        config.ca_certificates.push(vec![1]);
        assert_eq!(config.trust(), Trust::AddedCertificates);
        assert!(config.validate().is_ok());

        config.set_platform_trust(true).unwrap();
        assert_eq!(config.trust(), Trust::AddedCertificates);
        assert!(config
            .validate()
            .unwrap_err()
            .message
            .contains("cannot be combined"));
    }
}

#[cfg(all(test, not(feature = "bundled-roots")))]
mod without_bundled_roots {
    use super::*;

    #[test]
    fn asking_for_bundled_roots_names_the_cargo_feature() {
        let mut config = ClientConfig::default();
        let error = config.set_platform_trust(false).unwrap_err();
        assert!(error.message.contains("bundled-roots"), "{}", error.message);
        assert_eq!(config.trust(), Trust::Platform, "the setting is unchanged");
    }
}
