//! The advisory JWT expiry, `ovok::jwt::expiry`, on arbitrary strings.
//!
//! Invariants, beyond "no panic":
//! - an expiry is only ever read from a token of exactly three dot-separated
//!   parts;
//! - a token built around any `exp` (from the first 8 input bytes) and any
//!   extra claim (the rest of the input) gives back exactly that `exp`.
#![no_main]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use ovok::jwt::expiry;

fuzz_target!(|data: &[u8]| {
    if let Ok(token) = std::str::from_utf8(data) {
        if expiry(token).is_some() {
            assert_eq!(token.split('.').count(), 3, "expiry read from {token:?}");
        }
    }

    if let Some((exp, rest)) = data.split_first_chunk::<8>() {
        let exp = i64::from_le_bytes(*exp);
        let claim = String::from_utf8_lossy(rest);
        let payload = serde_json::json!({ "sub": claim, "exp": exp }).to_string();
        let token = format!(
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{}.c2lnbmF0dXJl",
            URL_SAFE_NO_PAD.encode(payload)
        );
        assert_eq!(expiry(&token), Some(exp), "{token}");
    }
});
