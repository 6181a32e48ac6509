//! `--generate-cert DIR`: a throwaway certificate authority and a server
//! certificate signed by it, for running the emulator over HTTPS in tests
//! and scripts without the `openssl` command.

use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};

/// Names the server certificate is for when none are given.
pub const DEFAULT_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Writes `ca.pem` (what clients trust), `server.pem` and `server.key`
/// (what `--tls-cert`/`--tls-key` take) into `dir`. `names` are DNS names
/// or IP addresses; each becomes a subject alternative name.
pub fn generate(dir: &Path, names: &[String]) -> Result<(), String> {
    let failed = |e: rcgen::Error| format!("cannot make the certificate: {e}");
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name
        .push(DnType::CommonName, "ovok-emulator test CA");
    let ca =
        CertifiedIssuer::self_signed(ca, KeyPair::generate().map_err(failed)?).map_err(failed)?;

    let mut server = CertificateParams::new(names.to_vec()).map_err(failed)?;
    server.distinguished_name.push(
        DnType::CommonName,
        names.first().map_or("localhost", String::as_str),
    );
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().map_err(failed)?;
    let certificate = server.signed_by(&key, &ca).map_err(failed)?;

    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for (name, contents) in [
        ("ca.pem", ca.pem()),
        ("server.pem", certificate.pem()),
        ("server.key", key.serialize_pem()),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, contents)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}
