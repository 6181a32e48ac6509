//! No message and no `Debug` output ever shows the password, a token or a
//! proxy password.
//!
//! Collects every error message of the hostile-server matrices (the same
//! table as tests/hostile_server.rs, run again here), of the emulator's own
//! errors, and of servers that echo secrets on purpose, plus the `Debug`
//! output of the Rust types that hold secrets, and scans them all.

mod common;

use common::hostile::{
    json_response, leaked_secrets, login_matrix, matrix_client, refresh_matrix, run_matrix,
    HostileServer, Ran, CONNECT_TIMEOUT_MS, PASSWORD, SECRETS, TOTAL_TIMEOUT_MS,
};
use ovok::{ClientConfig, Credentials, OvokStatus};
use ovok_emulator::{Config, Emulator, DEMO_CLIENT_ID, DEMO_EMAIL, DEMO_PASSWORD};
use serde_json::{json, Value};

const PROXY_PASSWORD: &str = "Pr0xy-S3cret-7d41e9";

fn assert_clean(what: &str, text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(
            !text.contains(secret),
            "{what} shows the secret {secret:?}: {text}"
        );
    }
}

#[test]
fn no_message_of_the_hostile_matrices_contains_a_secret() {
    let client = matrix_client();
    let timeouts = (CONNECT_TIMEOUT_MS, TOTAL_TIMEOUT_MS);
    let mut ran: Vec<Ran> = run_matrix(&client, login_matrix(), timeouts);
    ran.extend(run_matrix(&client, refresh_matrix(), timeouts));
    let messages = ran
        .iter()
        .filter(|r| r.outcome.error_message.is_some())
        .count();
    assert!(messages >= 50, "only {messages} messages collected");
    let leaks = leaked_secrets(&ran, &SECRETS);
    assert!(leaks.is_empty(), "secrets in messages: {leaks:?}");
}

#[test]
fn no_message_of_the_emulator_contains_a_secret() {
    let emulator = Emulator::start("127.0.0.1:0", Config::default()).unwrap();
    let url = emulator.url();
    let good = common::login(url, DEMO_PASSWORD);
    assert_eq!(good.status, OvokStatus::Ok);
    let (access, refresh) = (good.access_token.unwrap(), good.refresh_token.unwrap());
    let rotated = common::refresh_raw(Some(url), Some(&refresh));
    assert_eq!(rotated.status, OvokStatus::Ok);
    let new_access = rotated.access_token.unwrap();
    let new_refresh = rotated.refresh_token.unwrap();

    let wrong_password = "Wrong-Password-4b7c1e";
    let outcomes = [
        common::login(url, wrong_password),
        common::login_raw(
            Some(url),
            Some("not-an-email"),
            Some(wrong_password),
            Some(DEMO_CLIENT_ID),
        ),
        common::login_raw(
            Some(url),
            Some(DEMO_EMAIL),
            Some(wrong_password),
            Some("00000000-0000-4000-8000-000000000000"),
        ),
        common::login_raw(Some(url), Some(DEMO_EMAIL), Some("short"), Some("x")),
        // The used refresh token, an access token as a refresh token.
        common::refresh_raw(Some(url), Some(&refresh)),
        common::refresh_raw(Some(url), Some(&access)),
        common::refresh_raw(Some(url), Some(&format!("{refresh}x"))),
    ];
    let secrets = [
        wrong_password,
        DEMO_PASSWORD,
        &access,
        &refresh,
        &new_access,
        &new_refresh,
        "short",
    ];
    for outcome in &outcomes {
        assert_ne!(outcome.status, OvokStatus::Ok, "{outcome:?}");
        let message = outcome.error_message.as_deref().expect("a message");
        assert_clean("an emulator error", message, &secrets);
    }
}

#[test]
fn debug_output_of_the_rust_types_hides_secrets() {
    let emulator = Emulator::start("127.0.0.1:0", Config::default()).unwrap();
    let credentials = Credentials {
        email: DEMO_EMAIL,
        password: DEMO_PASSWORD,
        client_id: DEMO_CLIENT_ID,
    };
    let shown = format!("{credentials:?}");
    assert_clean("Credentials", &shown, &[DEMO_PASSWORD]);
    assert!(shown.contains(DEMO_EMAIL), "{shown}");

    let mut config = ClientConfig::default();
    config.set_proxy_from_environment(false);
    let client = ovok::Client::new(&config).unwrap();
    let tokens = client
        .login(Some(emulator.url()), &credentials)
        .expect("the emulator logs in");
    let secrets = [
        tokens.access_token.as_str(),
        tokens.refresh_token.as_deref().unwrap().as_str(),
        DEMO_PASSWORD,
    ];
    let shown = format!("{tokens:?} {tokens:#?}");
    assert_clean("Tokens", &shown, &secrets);
    assert!(shown.contains("Max Mustermann"), "{shown}");

    let proxy = format!("http://proxy-user:{PROXY_PASSWORD}@proxy.example:3128");
    config.set_proxy(Some(&proxy)).unwrap();
    let shown = format!("{config:?} {config:#?}");
    assert_clean("ClientConfig", &shown, &[PROXY_PASSWORD]);
    let client = ovok::Client::new(&config).unwrap();
    let shown = format!("{client:?} {client:#?}");
    assert_clean("Client", &shown, &[PROXY_PASSWORD]);

    let error = ovok::Client::new(&ClientConfig::default())
        .unwrap()
        .login(
            Some(emulator.url()),
            &Credentials {
                password: "Wrong-Password-4b7c1e",
                ..credentials
            },
        )
        .unwrap_err();
    let shown = format!("{error:?} {error}");
    assert_clean("Error", &shown, &["Wrong-Password-4b7c1e"]);
}

/// A server that answers 400 with a NestJS message quoting the password it
/// received, like a careless validation layer would.
fn echoing_server() -> HostileServer {
    HostileServer::start(|conn| {
        if let Some(request) = conn.read_request() {
            let sent: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
            let password = sent["password"].as_str().unwrap_or("?");
            let body = json!({
                "statusCode": 400,
                "message": [format!("password {password} is not allowed"), format!("retry-after {password}")],
                "error": "Bad Request"
            });
            conn.write(&json_response("400 Bad Request", &body.to_string()));
        }
    })
}

/// The password reaches the message only through the server's echo, and
/// the library redacts what it sent. It must still do so when the password
/// holds characters that sanitizing changes: control characters are turned
/// into spaces before the secrets are looked for, so a password with a tab
/// would otherwise come out with a space in its place, readable.
#[test]
fn an_echoed_password_is_redacted_whatever_characters_it_holds() {
    let client = matrix_client();
    let passwords = [
        PASSWORD.to_string(),
        "pässwörd-ünïcödé-✓".to_string(),
        "with \"quotes\" and \\backslashes\\".to_string(),
        "tab\there-and-more".to_string(),
        "newline\nhere-and-more".to_string(),
        "nel\u{85}here-and-more".to_string(),
        "p".repeat(2000),
    ];
    let mut problems = Vec::new();
    for password in &passwords {
        let server = echoing_server();
        let outcome = client.login(&server.url(), password);
        assert_eq!(outcome.status, OvokStatus::BadRequest, "{outcome:?}");
        let message = outcome.error_message.unwrap();
        let visible: String = password
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        // The raw password, or the password as sanitizing would print it.
        let long_enough_prefix: String = visible.chars().take(64).collect();
        if message.contains(password.as_str())
            || message.contains(&visible)
            || message.contains(&long_enough_prefix)
        {
            problems.push(format!("{password:?} shows in {message:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// How a hostile server spells the secret it echoes. Written here from the
/// encodings' definitions, independently of the library's own spellings.
fn echo_spellings(secret: &str) -> Vec<(&'static str, String)> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    use base64::Engine;
    let percent = |keep: &dyn Fn(u8) -> bool, upper: bool, plus: bool| -> String {
        secret
            .bytes()
            .map(|b| match b {
                b' ' if plus => "+".to_string(),
                b if keep(b) => char::from(b).to_string(),
                b if upper => format!("%{b:02X}"),
                b => format!("%{b:02x}"),
            })
            .collect()
    };
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
    let ascii_json = |upper: bool, html: bool| -> String {
        let mut out = String::new();
        for c in secret.chars() {
            // Python escapes all non-ASCII; Go keeps it, but escapes <, > and &.
            let escape = c.is_ascii_control()
                || if html {
                    "<>&\u{2028}\u{2029}".contains(c)
                } else {
                    !c.is_ascii()
                };
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if escape => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        out.push_str(&if upper {
                            format!("\\u{unit:04X}")
                        } else {
                            format!("\\u{unit:04x}")
                        });
                    }
                }
                c => out.push(c),
            }
        }
        out
    };
    // Upper hex for the first digit of each escape, lower for the second.
    let mixed_case: String = secret
        .bytes()
        .map(|b| match b {
            b if unreserved(b) => char::from(b).to_string(),
            b => format!("%{:X}{:x}", b >> 4, b & 0xF),
        })
        .collect();
    let basic = STANDARD.encode(format!("{}:{secret}", ovok_emulator::DEMO_EMAIL));
    let html: String = secret
        .chars()
        .map(|c| format!("&#{};", u32::from(c)))
        .collect();
    let html_hex: String = secret
        .chars()
        .map(|c| format!("&#x{:X};", u32::from(c)))
        .collect();
    vec![
        ("as sent", secret.to_string()),
        (
            "serde JSON",
            serde_json::to_string(secret)
                .unwrap()
                .trim_matches('"')
                .to_string(),
        ),
        ("Python json.dumps", ascii_json(false, false)),
        ("uppercase \\u", ascii_json(true, false)),
        ("Go HTML-safe", ascii_json(false, true)),
        ("percent, upper", percent(&unreserved, true, false)),
        ("percent, lower", percent(&unreserved, false, false)),
        ("percent, mixed hex case", mixed_case),
        ("form", percent(&unreserved, true, true)),
        (
            "percent, only non-ASCII",
            percent(&|b: u8| b.is_ascii(), true, false),
        ),
        (
            "percent, only reserved",
            percent(&|b: u8| !b.is_ascii() || unreserved(b), false, false),
        ),
        (
            "percent, everything",
            secret.bytes().map(|b| format!("%{b:02X}")).collect(),
        ),
        ("base64", STANDARD.encode(secret)),
        ("base64 no padding", STANDARD_NO_PAD.encode(secret)),
        ("base64url", URL_SAFE.encode(secret)),
        ("base64url no padding", URL_SAFE_NO_PAD.encode(secret)),
        ("Basic auth", basic),
        ("HTML decimal entities", html),
        ("HTML hex entities", html_hex),
    ]
}

/// Where a hostile server puts the echo.
#[derive(Clone, Copy, Debug)]
enum Place {
    Message,
    ErrorField,
    ContentTypeOf200,
    Location,
    RetryAfter,
}

fn echo_response(place: Place, echo: &str) -> Vec<u8> {
    use common::hostile::typed_response;
    let nest =
        |key: &str| json!({ "statusCode": 400, key: format!("bad {echo} here") }).to_string();
    match place {
        Place::Message => json_response("400 Bad Request", &nest("message")),
        Place::ErrorField => json_response("401 Unauthorized", &nest("error")),
        Place::ContentTypeOf200 => {
            typed_response("200 OK", &format!("text/{echo}; q=1"), &[], b"{}")
        }
        Place::Location => typed_response(
            "302 Found",
            "text/plain",
            &[("Location", &format!("https://evil.example/?p={echo}"))],
            b"",
        ),
        Place::RetryAfter => typed_response(
            "429 Too Many Requests",
            "text/plain",
            &[("Retry-After", &format!("{echo} 5"))],
            b"slow down",
        ),
    }
}

/// Every place × every spelling × passwords and refresh tokens, long and
/// short: the message never holds the secret or the echoed spelling, and a
/// secret under 4 bytes withholds the server's text.
#[test]
fn no_spelling_in_any_place_reaches_the_message() {
    let client = matrix_client();
    let passwords = [PASSWORD, "pä<ss wörd&😀/+", "x7", "Z"];
    let refresh_tokens = ["eyJhbGciOiJI.eyJzdWIiOiIx.c2ln-_+/", "a.b"];
    let places = [
        Place::Message,
        Place::ErrorField,
        Place::ContentTypeOf200,
        Place::Location,
        Place::RetryAfter,
    ];
    let mut problems = Vec::new();
    let mut checked = 0;
    let cases = passwords
        .iter()
        .map(|p| (true, *p))
        .chain(refresh_tokens.iter().map(|t| (false, *t)));
    for (is_password, secret) in cases {
        for (how, echo) in echo_spellings(secret) {
            for place in places {
                let in_header = !matches!(place, Place::Message | Place::ErrorField);
                if in_header && !echo.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b';') {
                    continue; // not a header value a server could send
                }
                let server = HostileServer::answering(echo_response(place, &echo));
                let outcome = if is_password {
                    client.login(&server.url(), secret)
                } else {
                    client.refresh(&server.url(), secret)
                };
                let message = outcome.error_message.unwrap_or_default();
                checked += 1;
                let short = secret.len() < ovok::redact::MIN_REPLACED_LEN;
                let leaked = (!short && message.contains(secret))
                    || (echo.len() >= 2 && message.contains(&echo))
                    || (short && !message.contains(ovok::redact::WITHHELD));
                if leaked {
                    problems.push(format!("{secret:?} {how} in {place:?}: {message:?}"));
                }
            }
        }
    }
    assert!(checked > 300, "only {checked} cases ran");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
