//! `ovok-emulator` command line. Prints the base URL as the first (and only)
//! stdout line so scripts can `read` it, then serves until killed.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use ovok_emulator::{load_users, Config, Emulator, TlsIdentity};

const USAGE: &str = "\
Offline emulator of the Ovok API auth endpoints.

Usage: ovok-emulator [OPTIONS]

Options:
  --listen ADDR             Address to bind [default: 127.0.0.1:8080]; port 0 picks a free port
  --users FILE              JSON array of users (default: the built-in demo user)
  --tls-cert PEM            Serve HTTPS with this certificate chain (needs --tls-key)
  --tls-key PEM             Private key for --tls-cert
  --token-lifetime SECS     Access-token lifetime, reported as expiresIn [default: 3600]
  --refresh-lifetime SECS   Refresh-token lifetime [default: 2592000]
  --latency MS              Wait this many milliseconds before every answer [default: 0]
  --fail-rate P             Answer this fraction (0.0-1.0) of requests with a 500 [default: 0]
  --seed N                  Seed for --fail-rate: the same seed fails the same requests [default: 0]
  --quiet                   Do not log requests to stderr
  -h, --help                Show this help
  -V, --version             Show the version

The first line on stdout is the base URL, e.g. http://127.0.0.1:43817.
Request logs (method, path, status, time; never bodies or tokens) go to stderr.
Demo user: john.doe@mail.com / password1234, clientId 5e505642-9024-474d-9434-e5a44f505cc5.
";

/// Parsed command line.
#[derive(Debug)]
struct Args {
    listen: String,
    users: Option<PathBuf>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    token_lifetime: u64,
    refresh_lifetime: u64,
    latency_ms: u64,
    fail_rate: f64,
    seed: u64,
    quiet: bool,
}

#[derive(Debug)]
enum Parsed {
    Run(Args),
    Help,
    Version,
}

fn parse_args(mut argv: impl Iterator<Item = String>) -> Result<Parsed, String> {
    let mut args = Args {
        listen: "127.0.0.1:8080".to_owned(),
        users: None,
        tls_cert: None,
        tls_key: None,
        token_lifetime: ovok_emulator::DEFAULT_ACCESS_LIFETIME.as_secs(),
        refresh_lifetime: ovok_emulator::DEFAULT_REFRESH_LIFETIME.as_secs(),
        latency_ms: 0,
        fail_rate: 0.0,
        seed: 0,
        quiet: false,
    };
    while let Some(arg) = argv.next() {
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_owned(), Some(value.into())),
            _ => (arg, None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| argv.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "-V" | "--version" => return Ok(Parsed::Version),
            "--quiet" | "-q" => args.quiet = true,
            "--listen" => args.listen = value("--listen")?,
            "--users" => args.users = Some(value("--users")?.into()),
            "--tls-cert" => args.tls_cert = Some(value("--tls-cert")?.into()),
            "--tls-key" => args.tls_key = Some(value("--tls-key")?.into()),
            "--token-lifetime" => {
                args.token_lifetime = seconds("--token-lifetime", &value("--token-lifetime")?)?
            }
            "--refresh-lifetime" => {
                args.refresh_lifetime =
                    seconds("--refresh-lifetime", &value("--refresh-lifetime")?)?
            }
            "--latency" => args.latency_ms = number("--latency", &value("--latency")?)?,
            "--seed" => args.seed = number("--seed", &value("--seed")?)?,
            "--fail-rate" => args.fail_rate = fail_rate(&value("--fail-rate")?)?,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if args.tls_cert.is_some() != args.tls_key.is_some() {
        return Err("--tls-cert and --tls-key must be given together".to_owned());
    }
    Ok(Parsed::Run(args))
}

fn seconds(name: &str, text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(secs) if secs > 0 => Ok(secs),
        _ => Err(format!(
            "{name} must be a positive whole number of seconds, got `{text}`"
        )),
    }
}

fn number(name: &str, text: &str) -> Result<u64, String> {
    text.parse::<u64>()
        .map_err(|_| format!("{name} must be a whole number, got `{text}`"))
}

fn fail_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err(format!(
            "--fail-rate must be a number from 0 to 1, got `{text}`"
        )),
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
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Parsed::Run(args)) => args,
        Ok(Parsed::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Parsed::Version) => {
            println!("ovok-emulator {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("ovok-emulator: {e}\nTry `ovok-emulator --help`.");
            return ExitCode::from(2);
        }
    };
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

    fn parse(args: &[&str]) -> Result<Parsed, String> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_and_flags() {
        let Ok(Parsed::Run(args)) = parse(&[]) else {
            panic!()
        };
        assert_eq!(args.listen, "127.0.0.1:8080");
        assert_eq!(args.token_lifetime, 3600);
        assert_eq!(args.refresh_lifetime, 2_592_000);
        assert!(!args.quiet);

        let Ok(Parsed::Run(args)) = parse(&[
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
        ]) else {
            panic!()
        };
        assert_eq!(args.latency_ms, 25);
        assert_eq!(args.fail_rate, 0.5);
        assert_eq!(args.seed, 7);
        assert_eq!(args.listen, "127.0.0.1:0");
        assert_eq!(args.token_lifetime, 60);
        assert_eq!(args.refresh_lifetime, 120);
        assert!(args.quiet);
        assert_eq!(args.users, Some(PathBuf::from("u.json")));
    }

    #[test]
    fn help_and_errors() {
        assert!(matches!(parse(&["--help"]), Ok(Parsed::Help)));
        assert!(matches!(parse(&["-V"]), Ok(Parsed::Version)));
        assert!(parse(&["--bogus"]).unwrap_err().contains("--bogus"));
        assert!(parse(&["--listen"]).unwrap_err().contains("needs a value"));
        assert!(parse(&["--token-lifetime", "0"]).is_err());
        assert!(parse(&["--token-lifetime", "abc"]).is_err());
        assert!(parse(&["--fail-rate", "1.5"]).is_err());
        assert!(parse(&["--fail-rate", "x"]).is_err());
        assert!(parse(&["--latency", "-1"]).is_err());
        assert!(parse(&["--seed", "1.5"]).is_err());
        assert!(parse(&["--tls-cert", "c.pem"])
            .unwrap_err()
            .contains("together"));
    }
}
