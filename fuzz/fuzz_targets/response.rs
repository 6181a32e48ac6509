//! Response parsing on arbitrary bytes: `parse_login_success`,
//! `parse_refresh_success`, `error_message` and the `redact::Secrets` sanitizer.
//!
//! Input: either a bare body, or `CONTENT_TYPE \0 SECRET \0 BODY` (the first
//! two NULs split it), so that the seeds can be real bodies and the fuzzer can
//! still vary the Content-Type and the secret to redact.
//!
//! Invariants, beyond "no panic":
//! - a parsed success has a non-empty access token, and no string holds a NUL
//!   (C would cut it short);
//! - a refused body is `InvalidResponse`, and its message never quotes a
//!   token value from the body (serde's own messages can; the parser must not);
//! - a sanitized message has no Cc, Cf, Zl or Zp characters, is at most
//!   `MAX_MESSAGE_LEN` bytes plus "...", and contains the secret neither as
//!   it is nor with its invisible characters neutralised, however short.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ovok::redact::{self, Secrets};
use ovok::response::{error_message, parse_login_success, parse_refresh_success, MAX_MESSAGE_LEN};
use ovok::{OvokStatus, Tokens};
use serde_json::Value;

const RECEIVED_AT: i64 = 1_779_350_971;

/// The words the parser's own messages are made of (longer than 7 bytes, no
/// spaces). A token value equal to a part of one of them may "appear" in a
/// message without having been quoted.
const MESSAGE_WORDS: &[&str] = &[
    "accessToken",
    "refreshToken",
    "expiresIn",
    "access_token",
    "refresh_token",
    "expires_in",
    "project.reference",
    "project.display",
    "profile.reference",
    "profile.display",
    "response",
    "required",
    "character",
    "non-negative",
    "integer",
    "(syntax",
    "(unexpected",
    "(read",
];

const TOKEN_KEYS: &[&str] = &[
    "accessToken",
    "refreshToken",
    "access_token",
    "refresh_token",
];

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == 0);
    let (content_type, secret, body) = match (parts.next(), parts.next(), parts.next()) {
        (Some(ct), Some(secret), Some(body)) => (
            std::str::from_utf8(ct).ok(),
            std::str::from_utf8(secret).unwrap_or(""),
            body,
        ),
        _ => (Some("application/json; charset=utf-8"), "", data),
    };

    let token_values = token_values(body);
    for (what, parsed) in [
        ("login", parse_login_success(body, RECEIVED_AT)),
        ("refresh", parse_refresh_success(body, RECEIVED_AT)),
    ] {
        match parsed {
            Ok(tokens) => check_tokens(what, &tokens),
            Err(error) => {
                assert_eq!(
                    error.status,
                    OvokStatus::InvalidResponse,
                    "{what}: {error:?}"
                );
                assert!(!error.message.is_empty());
                for value in &token_values {
                    assert!(
                        !error.message.contains(value.as_str()),
                        "{what} error message quotes the body's token value {value:?}: {}",
                        error.message
                    );
                }
            }
        }
    }

    // A non-2xx body: whatever the server says, after sanitizing.
    let http_status = 400 + (data.len() % 200) as u16;
    let given = [secret];
    let secrets = Secrets::new(&given);
    let message = error_message(&secrets, http_status, content_type, body);
    let clean = secrets.message(&message);
    assert!(
        !clean.chars().any(redact::is_invisible),
        "invisible character in {clean:?}"
    );
    assert!(clean.len() <= MAX_MESSAGE_LEN + 3, "{} bytes", clean.len());
    // Any server text alone, however short the secret: never shown.
    let piece = secrets.server_text(&String::from_utf8_lossy(body));
    if redactable(secret) {
        assert!(!piece.contains(secret), "secret {secret:?} in {piece:?}");
    }
    if redactable(secret) && secret.len() >= redact::MIN_REPLACED_LEN {
        // Neither as sent nor as sanitizing would print it (a tab in the
        // password must not survive as a space).
        let neutral = redact::neutralise(secret);
        assert!(
            !clean.contains(secret) && (neutral.trim().is_empty() || !clean.contains(neutral.as_str())),
            "secret {secret:?} survived sanitizing: {clean:?}"
        );
    }
});

fn check_tokens(what: &str, tokens: &Tokens) {
    assert!(
        !tokens.access_token.is_empty(),
        "{what}: empty access token accepted"
    );
    let mut strings: Vec<&str> = vec![tokens.access_token.as_str()];
    if let Some(refresh) = &tokens.refresh_token {
        strings.push(refresh.as_str());
    }
    for reference in [&tokens.project, &tokens.profile].into_iter().flatten() {
        strings.push(&reference.reference);
        strings.push(&reference.display);
    }
    for s in strings {
        assert!(!s.contains('\0'), "{what}: a NUL reached a result string");
    }
    if let Some(expires_in) = tokens.expires_in {
        assert!(expires_in >= 0, "{what}: negative expires_in {expires_in}");
        assert_eq!(
            tokens.expires_at,
            Some(RECEIVED_AT.saturating_add(expires_in))
        );
    }
    if what == "login" {
        assert!(tokens.project.is_some() && tokens.profile.is_some());
    }
}

/// The string values under token keys anywhere in the body, when it is JSON,
/// that could not appear in a message by coincidence.
fn token_values(body: &[u8]) -> Vec<String> {
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    if let (true, Value::String(text)) = (TOKEN_KEYS.contains(&key.as_str()), value)
                    {
                        let coincidence = MESSAGE_WORDS
                            .iter()
                            .any(|word| word.contains(text.as_str()));
                        if text.len() >= 8 && !text.contains(' ') && !coincidence {
                            out.push(text.clone());
                        }
                    }
                    walk(value, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|item| walk(item, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        walk(&value, &mut out);
    }
    out
}

/// Secrets that the sanitizer promises to remove. Left out: secrets made of
/// the markers' or the messages' own text (`<redacted>` would "contain" them).
fn redactable(secret: &str) -> bool {
    let ours = [redact::REDACTED, redact::WITHHELD, "expected JSON, got", "HTTP "];
    !secret.is_empty()
        && !secret.contains(['<', '>'])
        && !ours.iter().any(|text| text.contains(secret))
        && !secret.chars().all(|c| c.is_ascii_digit() || c == ' ')
}
