//! `ovok-emulator` command line. Prints the base URL as the first (and only)
//! stdout line so scripts can `read` it, then serves until killed.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

mod certs;

use clap::Parser;
use ovok_emulator::{load_users, Config, Emulator, TlsIdentity};

/// Offline emulator of the Ovok API auth endpoints.
#[derive(Debug, Parser)]
#[command(
    name = "ovok-emulator",
    version,
    after_help = "\
The first line on stdout is the base URL, e.g. http://127.0.0.1:43817.
Request logs (method, path, status, time; never bodies or tokens) go to stderr.
Demo user: john.doe@mail.com / password1234, clientId 5e505642-9024-474d-9434-e5a44f505cc5."
)]
struct Args {
    /// Address to bind; port 0 picks a free port
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: String,
    /// JSON array of users (default: the built-in demo user)
    #[arg(long, value_name = "FILE")]
    users: Option<PathBuf>,
    /// Serve HTTPS with this certificate chain
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// Private key for --tls-cert
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Access-token lifetime, reported as expiresIn
    #[arg(long, value_name = "SECS", default_value_t = ovok_emulator::DEFAULT_ACCESS_LIFETIME.as_secs(), value_parser = seconds)]
    token_lifetime: u64,
    /// Refresh-token lifetime
    #[arg(long, value_name = "SECS", default_value_t = ovok_emulator::DEFAULT_REFRESH_LIFETIME.as_secs(), value_parser = seconds)]
    refresh_lifetime: u64,
    /// Wait this many milliseconds before every answer
    #[arg(long = "latency", value_name = "MS", default_value_t = 0)]
    latency_ms: u64,
    /// Answer this fraction (0.0-1.0) of requests with a 500
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = fail_rate)]
    fail_rate: f64,
    /// Seed for --fail-rate: the same seed fails the same requests
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,
    /// Do not log requests to stderr
    #[arg(long, short)]
    quiet: bool,
    /// Write a test CA (ca.pem) and a server certificate it signed
    /// (server.pem, server.key) into DIR, then exit
    #[arg(long, value_name = "DIR")]
    generate_cert: Option<PathBuf>,
    /// A DNS name or IP address for --generate-cert's server certificate;
    /// repeatable [default: localhost, 127.0.0.1, ::1]
    #[arg(long, value_name = "NAME", requires = "generate_cert")]
    cert_name: Vec<String>,
}

fn seconds(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(secs) if secs > 0 => Ok(secs),
        _ => Err(format!(
            "must be a positive whole number of seconds, got `{text}`"
        )),
    }
}

fn fail_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err(format!("must be a number from 0 to 1, got `{text}`")),
    }
}

/// Turns arguments into a [`Config`]; errors are user mistakes (exit 2).
fn build_config(args: &Args) -> Result<Config, String> {
    let mut config = Config {
        access_lifetime: Duration::from_secs(args.token_lifetime),
        refresh_lifetime: Duration::from_secs(args.refresh_lifetime),
        log_requests: !args.quiet,
        latency: Duration::from_millis(args.latency_ms),
        fail_rate: args.fail_rate,
        seed: args.seed,
        ..Config::default()
    };
    if let Some(path) = &args.users {
        config.users = load_users(path)?;
    }
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        let read = |path: &PathBuf| {
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
        };
        config.tls = Some(TlsIdentity {
            cert_pem: read(cert)?,
            key_pem: read(key)?,
        });
    }
    Ok(config)
}

fn main() -> ExitCode {
    // clap prints help and version to stdout (exit 0) and usage errors to
    // stderr (exit 2).
    let args = Args::parse();
    if let Some(dir) = &args.generate_cert {
        let names = if args.cert_name.is_empty() {
            certs::DEFAULT_NAMES.map(String::from).to_vec()
        } else {
            args.cert_name.clone()
        };
        return match certs::generate(dir, &names) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("ovok-emulator: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let config = match build_config(&args) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("ovok-emulator: {e}");
            return ExitCode::from(2);
        }
    };
    let users = config.users.len();
    let emulator = match Emulator::start(&args.listen, config) {
        Ok(emulator) => emulator,
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
            eprintln!("ovok-emulator: {e}");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("ovok-emulator: cannot listen on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    // A closed stdout only means nobody wants the URL; keep serving.
    let _ = writeln!(stdout, "{}", emulator.url());
    let _ = stdout.flush();
    drop(stdout);
    if !args.quiet {
        eprintln!(
            "ovok-emulator: listening on {} ({users} user{})",
            emulator.url(),
            if users == 1 { "" } else { "s" }
        );
    }
    // Serve until a signal ends the process; the default SIGINT/SIGTERM
    // disposition kills it outright, and there is nothing on disk to clean up.
    loop {
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("ovok-emulator").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_and_flags() {
        let args = parse(&[]).unwrap();
        assert_eq!(args.listen, "127.0.0.1:8080");
        assert_eq!(args.token_lifetime, 3600);
        assert_eq!(args.refresh_lifetime, 2_592_000);
        assert!(!args.quiet);

        let args = parse(&[
            "--listen",
            "127.0.0.1:0",
            "--token-lifetime=60",
            "--refresh-lifetime",
            "120",
            "--quiet",
            "--users",
            "u.json",
            "--latency",
            "25",
            "--fail-rate=0.5",
            "--seed",
            "7",
        ])
        .unwrap();
        assert_eq!(args.listen, "127.0.0.1:0");
        assert_eq!(args.token_lifetime, 60);
        assert_eq!(args.refresh_lifetime, 120);
        assert!(args.quiet);
        assert_eq!(args.users, Some(PathBuf::from("u.json")));
        assert_eq!(args.latency_ms, 25);
        assert_eq!(args.fail_rate, 0.5);
        assert_eq!(args.seed, 7);
    }

    #[test]
    fn help_and_errors() {
        use clap::error::ErrorKind;
        assert_eq!(
            parse(&["--help"]).unwrap_err().kind(),
            ErrorKind::DisplayHelp
        );
        assert_eq!(
            parse(&["-V"]).unwrap_err().kind(),
            ErrorKind::DisplayVersion
        );
        assert!(parse(&["--bogus"])
            .unwrap_err()
            .to_string()
            .contains("--bogus"));
        assert!(parse(&["--listen"]).is_err());
        for bad in [
            &["--token-lifetime", "0"][..],
            &["--token-lifetime", "abc"],
            &["--fail-rate", "1.5"],
            &["--fail-rate", "x"],
            &["--latency", "-1"],
            &["--seed", "1.5"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        assert!(parse(&["--tls-cert", "c.pem"])
            .unwrap_err()
            .to_string()
            .contains("--tls-key"));
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Args::command().debug_assert();
    }
}
