//! The advisory expiry of a JWT: its `exp` claim, read without verifying
//! the signature.
//!
//! This is only a hint for when to refresh, used when the server does not
//! say `expiresIn`. The server stays the authority on whether a token is valid.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use zeroize::Zeroizing;

/// The `exp` claim (Unix seconds) of a JWT, or `None` when the token is not a
/// JWT or has no integer `exp`.
pub fn expiry(token: &str) -> Option<i64> {
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    // Some encoders keep the padding; base64url without it is the standard.
    let payload = payload.trim_end_matches('=');
    let decoded = Zeroizing::new(URL_SAFE_NO_PAD.decode(payload).ok()?);
    match serde_json::from_slice::<Value>(&decoded).ok()?.get("exp")? {
        Value::Number(exp) => exp.as_i64(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(payload: &str) -> String {
        format!(
            "eyJhbGciOiJIUzI1NiJ9.{}.c2ln",
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn reads_the_exp_claim() {
        assert_eq!(
            expiry(&token(r#"{"sub":"Patient/1","exp":1779354571}"#)),
            Some(1_779_354_571)
        );
    }

    #[test]
    fn the_docs_example_token_decodes() {
        let example = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3NzkzNTA5NzEsImV4cCI6MTc3OTM1NDU3MX0.PO6ZkOtyOEugGyNuZUyg_YxUt3ozpJ_QOdJuriC14uY";
        assert_eq!(expiry(example), Some(1_779_354_571));
    }

    #[test]
    fn anything_else_has_no_expiry() {
        for not_a_jwt in [
            "",
            "opaque-token",
            "a.b",
            "a.b.c.d",
            "a.!!!.c",
            &token("not json"),
            &token(r#"{"exp":"tomorrow"}"#),
            &token(r#"{"exp":1.5}"#),
            &token(r#"{"iat":1}"#),
            &token(r#"[1,2]"#),
        ] {
            assert_eq!(expiry(not_a_jwt), None, "{not_a_jwt}");
        }
    }
}
