//! Reading the server's answer: the login body on success, the message on failure.
//!
//! Parsing goes through `serde_json::Value` and never echoes serde's own
//! messages, which can quote the offending value (and so a token).

use std::fmt;

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::error::Error;
use crate::jwt;
use crate::redact::{self, Secrets};

/// Larger response bodies are refused.
pub const MAX_BODY_LEN: usize = 1024 * 1024;

pub use crate::redact::MAX_MESSAGE_LEN;

/// The longest access-token lifetime believed: ten years (of 365 days) in
/// seconds. A larger `expiresIn` is clamped to it, and so is an expiry read
/// from the token's `exp` claim that lies further ahead; an `exp` before
/// 1970 is ignored. A server cannot make `expires_at` a date that C's
/// `time_t` helpers, Python's `datetime` or Swift's `Date` cannot hold.
pub const MAX_TOKEN_LIFETIME: i64 = 10 * 365 * 24 * 60 * 60;

/// A FHIR reference with its display name, e.g. `Patient/de5c...` and `Max Mustermann`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// The FHIR reference, e.g. `Project/f6f4da8d-...`.
    pub reference: String,
    /// The human-readable name.
    pub display: String,
}

/// The tokens from a successful login or refresh. They are zeroized when
/// this is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Tokens {
    /// The bearer token (a JWT, valid for about an hour).
    pub access_token: Zeroizing<String>,
    /// The refresh token, when the server sent one.
    pub refresh_token: Option<Zeroizing<String>>,
    /// Seconds until the access token expires, when the server said.
    pub expires_in: Option<i64>,
    /// Unix seconds at which the access token expires: receipt time plus
    /// `expires_in`, or else the token's own `exp` claim (advisory, unverified).
    pub expires_at: Option<i64>,
    /// The Ovok project the user belongs to; `None` after a refresh.
    pub project: Option<Reference>,
    /// The user's FHIR profile, e.g. a `Patient`; `None` after a refresh.
    pub profile: Option<Reference>,
    /// The 2xx HTTP status the server answered with (Ovok documents 200).
    pub http_status: u16,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("access_token", &"<redacted>")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expires_in", &self.expires_in)
            .field("expires_at", &self.expires_at)
            .field("project", &self.project)
            .field("profile", &self.profile)
            .field("http_status", &self.http_status)
            .finish()
    }
}

/// The JSON field names of one response shape: login is camelCase,
/// refresh is snake_case.
struct Fields {
    what: &'static str,
    access_token: &'static str,
    refresh_token: &'static str,
    expires_in: &'static str,
}

const LOGIN: Fields = Fields {
    what: "login",
    access_token: "accessToken",
    refresh_token: "refreshToken",
    expires_in: "expiresIn",
};

const REFRESH: Fields = Fields {
    what: "refresh",
    access_token: "access_token",
    refresh_token: "refresh_token",
    expires_in: "expires_in",
};

/// Parses a 2xx login body received at `received_at` (Unix seconds).
pub fn parse_login_success(body: &[u8], received_at: i64) -> Result<Tokens, Error> {
    match fast::login(body, received_at) {
        Some(tokens) => Ok(tokens),
        None => parse_login_value(body, received_at),
    }
}

fn parse_login_value(body: &[u8], received_at: i64) -> Result<Tokens, Error> {
    let mut root = parse_object(body, &LOGIN)?;
    let mut tokens = take_tokens(&mut root, &LOGIN, received_at)?;
    tokens.project = Some(take_reference(&mut root, "project")?);
    tokens.profile = Some(take_reference(&mut root, "profile")?);
    Ok(tokens)
}

/// Parses a 2xx body of `POST /auth/refresh-token` received at `received_at`.
///
/// The docs mark `expires_in` as required; it is read leniently, like
/// login's `expiresIn`, with the token's `exp` claim as the fallback.
pub fn parse_refresh_success(body: &[u8], received_at: i64) -> Result<Tokens, Error> {
    match fast::refresh(body, received_at) {
        Some(tokens) => Ok(tokens),
        None => parse_refresh_value(body, received_at),
    }
}

fn parse_refresh_value(body: &[u8], received_at: i64) -> Result<Tokens, Error> {
    let mut root = parse_object(body, &REFRESH)?;
    take_tokens(&mut root, &REFRESH, received_at)
}

/// The fast path: typed deserialization of a body that is exactly as
/// documented, without building a `Value` tree. It accepts only bodies the
/// `Value` path would accept, and returns `None` for anything else, which the
/// `Value` path then reads again to name the problem.
mod fast {
    use serde::Deserialize;
    use zeroize::Zeroizing;

    use super::{expiry, Reference, Tokens, MAX_TOKEN_LIFETIME};

    type Secret = Option<Zeroizing<String>>;

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Login {
        access_token: Secret,
        refresh_token: Secret,
        expires_in: Option<i64>,
        project: Option<WireReference>,
        profile: Option<WireReference>,
    }

    #[derive(Deserialize)]
    struct Refresh {
        access_token: Secret,
        refresh_token: Secret,
        expires_in: Option<i64>,
    }

    #[derive(Deserialize)]
    struct WireReference {
        reference: Option<String>,
        display: Option<String>,
    }

    pub(super) fn login(body: &[u8], received_at: i64) -> Option<Tokens> {
        let wire: Login = serde_json::from_slice(body).ok()?;
        let mut tokens = tokens(
            wire.access_token,
            wire.refresh_token,
            wire.expires_in,
            received_at,
        )?;
        tokens.project = Some(reference(wire.project?)?);
        tokens.profile = Some(reference(wire.profile?)?);
        Some(tokens)
    }

    pub(super) fn refresh(body: &[u8], received_at: i64) -> Option<Tokens> {
        let wire: Refresh = serde_json::from_slice(body).ok()?;
        tokens(
            wire.access_token,
            wire.refresh_token,
            wire.expires_in,
            received_at,
        )
    }

    fn tokens(
        access_token: Secret,
        refresh_token: Secret,
        expires_in: Option<i64>,
        received_at: i64,
    ) -> Option<Tokens> {
        let access_token = access_token.filter(|t| !t.is_empty() && !t.contains('\0'))?;
        if refresh_token.as_ref().is_some_and(|t| t.contains('\0')) {
            return None;
        }
        if expires_in.is_some_and(|seconds| seconds < 0) {
            return None;
        }
        let expires_in = expires_in.map(|seconds| seconds.min(MAX_TOKEN_LIFETIME));
        Some(Tokens {
            expires_at: expiry(&access_token, expires_in, received_at),
            access_token,
            refresh_token,
            expires_in,
            project: None,
            profile: None,
            http_status: 200,
        })
    }

    fn reference(wire: WireReference) -> Option<Reference> {
        let clean = |text: Option<String>| text.filter(|t| !t.contains('\0'));
        Some(Reference {
            reference: clean(wire.reference)?,
            display: clean(wire.display)?,
        })
    }
}

/// Receipt time plus `expires_in`, or else the token's own `exp` claim;
/// never more than [`MAX_TOKEN_LIFETIME`] after receipt, never before 1970.
fn expiry(access_token: &str, expires_in: Option<i64>, received_at: i64) -> Option<i64> {
    let latest = received_at.saturating_add(MAX_TOKEN_LIFETIME);
    match expires_in {
        Some(seconds) => Some(received_at.saturating_add(seconds).min(latest)),
        None => jwt::expiry(access_token)
            .filter(|exp| *exp >= 0)
            .map(|exp| exp.min(latest)),
    }
}

fn parse_object(body: &[u8], fields: &Fields) -> Result<Map<String, Value>, Error> {
    let what = fields.what;
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(Error::invalid_response(format!(
            "{what} response is not a JSON object"
        ))),
        Err(_) if body.is_empty() => Err(Error::invalid_response(format!(
            "{what} response body is empty"
        ))),
        Err(error) => Err(Error::invalid_response(format!(
            "{what} response is not valid JSON ({} at line {} column {})",
            describe_json_error(&error),
            error.line(),
            error.column()
        ))),
    }
}

fn take_tokens(
    root: &mut Map<String, Value>,
    fields: &Fields,
    received_at: i64,
) -> Result<Tokens, Error> {
    let access_token = Zeroizing::new(
        take_string(root, fields.access_token, "")?
            .ok_or_else(|| missing(fields.what, fields.access_token))?,
    );
    if access_token.is_empty() {
        return Err(Error::invalid_response(format!(
            "{} response has an empty {}",
            fields.what, fields.access_token
        )));
    }
    let refresh_token = take_string(root, fields.refresh_token, "")?.map(Zeroizing::new);
    let expires_in =
        match root.get(fields.expires_in) {
            None | Some(Value::Null) => None,
            Some(value) => Some(value.as_i64().filter(|seconds| *seconds >= 0).ok_or_else(
                || {
                    Error::invalid_response(format!(
                        "{} response field {} is not a non-negative integer",
                        fields.what, fields.expires_in
                    ))
                },
            )?),
        };
    let expires_in = expires_in.map(|seconds| seconds.min(MAX_TOKEN_LIFETIME));
    let expires_at = expiry(&access_token, expires_in, received_at);
    Ok(Tokens {
        access_token,
        refresh_token,
        expires_in,
        expires_at,
        project: None,
        profile: None,
        http_status: 200,
    })
}

/// The message to report for a non-2xx response; every piece the server
/// wrote has passed `secrets`' [`Secrets::server_text`].
///
/// NestJS sends `{"statusCode":N,"message":"..."|["..."],"error":"..."}`;
/// anything else is described rather than quoted.
pub fn error_message(
    secrets: &Secrets<'_>,
    http_status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> String {
    if let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) {
        let message = describe_error_body(secrets, http_status, &object);
        wipe(Value::Object(object));
        return message;
    }
    match (content_type, body.is_empty()) {
        (_, true) => format!("HTTP {http_status} with an empty body"),
        (Some(content_type), false) => format!(
            "expected JSON, got {} ({http_status})",
            mime_type(secrets, content_type)
        ),
        (None, false) => format!("expected JSON, got a body with no content type ({http_status})"),
    }
}

/// Wipes every string of a JSON tree (an error body may echo a secret).
/// serde_json's scratch buffer for strings with escapes is not wiped.
fn wipe(value: Value) {
    use zeroize::Zeroize;
    match value {
        Value::String(mut text) => text.zeroize(),
        Value::Array(items) => items.into_iter().for_each(wipe),
        Value::Object(object) => {
            for (mut key, value) in object {
                key.zeroize();
                wipe(value);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// The message of a NestJS error body: its `message` (a string or an array
/// of strings), else its `error`, else a description.
fn describe_error_body(
    secrets: &Secrets<'_>,
    http_status: u16,
    object: &Map<String, Value>,
) -> String {
    let message = match object.get("message") {
        Some(Value::String(text)) => Some(Zeroizing::new(text.clone())),
        Some(Value::Array(items)) => {
            let texts: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            (!texts.is_empty()).then(|| Zeroizing::new(texts.join("; ")))
        }
        _ => None,
    };
    if let Some(message) = message.filter(|m| !m.trim().is_empty()) {
        return secrets.server_text(&message);
    }
    match object.get("error").and_then(Value::as_str) {
        Some(reason) => format!(
            "HTTP {http_status} {} (no message in the body)",
            secrets.server_text(reason)
        ),
        None => format!("HTTP {http_status} with a JSON body that has no message"),
    }
}

/// `text/html; charset=utf-8` -> `text/html`, cleaned by `secrets` and cut
/// to 64 bytes (after cleaning, so that no secret is cut into a fragment
/// that no longer matches).
pub fn mime_type(secrets: &Secrets<'_>, content_type: &str) -> String {
    let mime = content_type.split(';').next().unwrap_or("").trim();
    redact::cut(&secrets.server_text(mime), 64).to_string()
}

/// Whether a Content-Type header names JSON (`application/json`, `application/problem+json`, ...).
pub fn is_json(content_type: &str) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

fn take_string(
    object: &mut Map<String, Value>,
    key: &str,
    prefix: &str,
) -> Result<Option<String>, Error> {
    match object.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.contains('\0') => Err(Error::invalid_response(format!(
            "response field {prefix}{key} contains a NUL character"
        ))),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(Error::invalid_response(format!(
            "response field {prefix}{key} is not a string"
        ))),
    }
}

fn take_reference(root: &mut Map<String, Value>, key: &str) -> Result<Reference, Error> {
    let mut object = match root.remove(key) {
        None | Some(Value::Null) => return Err(missing("login", key)),
        Some(Value::Object(object)) => object,
        Some(_) => {
            return Err(Error::invalid_response(format!(
                "response field {key} is not an object"
            )))
        }
    };
    let prefix = format!("{key}.");
    let mut required = |field: &str| {
        take_string(&mut object, field, &prefix)?
            .ok_or_else(|| missing("login", &format!("{prefix}{field}")))
    };
    Ok(Reference {
        reference: required("reference")?,
        display: required("display")?,
    })
}

fn missing(what: &str, field: &str) -> Error {
    Error::invalid_response(format!(
        "{what} response is missing the required field {field}"
    ))
}

fn describe_json_error(error: &serde_json::Error) -> &'static str {
    match error.classify() {
        serde_json::error::Category::Eof => "it ends early",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Io => "read error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::OvokStatus;
    use serde_json::json;

    const NOW: i64 = 1_779_350_971;

    fn documented_body() -> Value {
        json!({
            "accessToken": "access.jwt.value",
            "refreshToken": "refresh.jwt.value",
            "expiresIn": 3600,
            "project": {"reference": "Project/f6f4da8d-93e8-8a08-220e-03b7810451d3", "display": "My Medical Project"},
            "profile": {"reference": "Patient/de5c57ff-7257-57b0-13ab-aab6f5f91498", "display": "Max Mustermann"}
        })
    }

    fn parse(value: &Value) -> Result<Tokens, Error> {
        parse_login_success(value.to_string().as_bytes(), NOW)
    }

    #[test]
    fn every_field_of_the_documented_body_is_read() {
        let success = parse(&documented_body()).unwrap();
        assert_eq!(success.access_token.as_str(), "access.jwt.value");
        assert_eq!(
            success.refresh_token.as_deref().map(String::as_str),
            Some("refresh.jwt.value")
        );
        assert_eq!(success.expires_in, Some(3600));
        assert_eq!(success.expires_at, Some(NOW + 3600));
        let reference = |reference: &str, display: &str| Reference {
            reference: reference.into(),
            display: display.into(),
        };
        assert_eq!(
            success.project,
            Some(reference(
                "Project/f6f4da8d-93e8-8a08-220e-03b7810451d3",
                "My Medical Project"
            ))
        );
        assert_eq!(
            success.profile,
            Some(reference(
                "Patient/de5c57ff-7257-57b0-13ab-aab6f5f91498",
                "Max Mustermann"
            ))
        );
    }

    #[test]
    fn optional_fields_may_be_absent_or_null_and_unknown_fields_are_ignored() {
        let mut body = documented_body();
        let object = body.as_object_mut().unwrap();
        object.remove("refreshToken");
        object.insert("expiresIn".into(), Value::Null);
        object.insert("somethingNew".into(), json!({"nested": [1, 2]}));
        let success = parse(&body).unwrap();
        assert_eq!(success.refresh_token, None);
        assert_eq!(success.expires_in, None);
        assert_eq!(success.expires_at, None);
    }

    #[test]
    fn each_missing_required_field_is_named() {
        let fields = [
            ("accessToken", None),
            ("project", None),
            ("profile", None),
            ("project", Some("reference")),
            ("project", Some("display")),
            ("profile", Some("reference")),
            ("profile", Some("display")),
        ];
        for (field, inner) in fields {
            let mut body = documented_body();
            let name = match inner {
                None => {
                    body.as_object_mut().unwrap().remove(field);
                    field.to_string()
                }
                Some(inner) => {
                    body[field].as_object_mut().unwrap().remove(inner);
                    format!("{field}.{inner}")
                }
            };
            let error = parse(&body).unwrap_err();
            assert_eq!(error.status, OvokStatus::InvalidResponse);
            assert_eq!(
                error.message,
                format!("login response is missing the required field {name}")
            );
        }
    }

    #[test]
    fn wrong_types_are_named_without_quoting_the_value() {
        let cases = [
            ("accessToken", json!(42), "accessToken is not a string"),
            (
                "refreshToken",
                json!(["secret-refresh"]),
                "refreshToken is not a string",
            ),
            (
                "expiresIn",
                json!("secret-token-value"),
                "expiresIn is not a non-negative integer",
            ),
            (
                "expiresIn",
                json!(-5),
                "expiresIn is not a non-negative integer",
            ),
            (
                "expiresIn",
                json!(3600.5),
                "expiresIn is not a non-negative integer",
            ),
            ("project", json!("Project/1"), "project is not an object"),
            (
                "profile",
                json!({"reference": 1, "display": "x"}),
                "profile.reference is not a string",
            ),
        ];
        for (field, value, needle) in cases {
            let mut body = documented_body();
            body[field] = value;
            let error = parse(&body).unwrap_err();
            assert_eq!(error.status, OvokStatus::InvalidResponse, "{field}");
            assert!(error.message.contains(needle), "{field}: {}", error.message);
            assert!(!error.message.contains("secret"), "{}", error.message);
        }
    }

    #[test]
    fn bodies_that_are_not_the_documented_json_are_invalid_responses() {
        let cases: [(&[u8], &str); 6] = [
            (b"", "empty"),
            (b"{\"accessToken\": \"abc", "not valid JSON (it ends early"),
            (
                b"<html>502</html>",
                "not valid JSON (syntax error at line 1 column 1)",
            ),
            (b"[1,2]", "not a JSON object"),
            (b"null", "not a JSON object"),
            (
                b"{\"accessToken\": \"\", \"project\": {}, \"profile\": {}}",
                "empty accessToken",
            ),
        ];
        for (body, needle) in cases {
            let error = parse_login_success(body, NOW).unwrap_err();
            assert_eq!(error.status, OvokStatus::InvalidResponse);
            assert!(
                error.message.contains(needle),
                "{:?}: {}",
                body,
                error.message
            );
        }
    }

    #[test]
    fn a_nul_inside_a_string_is_refused_because_c_cannot_carry_it() {
        let mut body = documented_body();
        body["profile"]["display"] = json!("Max\u{0}Mustermann");
        let error = parse(&body).unwrap_err();
        assert!(
            error.message.contains("profile.display contains a NUL"),
            "{}",
            error.message
        );
    }

    #[test]
    fn refresh_bodies_are_snake_case_and_have_no_references() {
        let body = json!({"access_token": "a.b.c", "refresh_token": "r.s.t", "expires_in": 60});
        let tokens = parse_refresh_success(body.to_string().as_bytes(), NOW).unwrap();
        assert_eq!(tokens.access_token.as_str(), "a.b.c");
        assert_eq!(
            tokens.refresh_token.as_deref().map(String::as_str),
            Some("r.s.t")
        );
        assert_eq!(
            (tokens.expires_in, tokens.expires_at),
            (Some(60), Some(NOW + 60))
        );
        assert_eq!((tokens.project, tokens.profile), (None, None));

        let camel = json!({"accessToken": "a.b.c", "expires_in": 60});
        let error = parse_refresh_success(camel.to_string().as_bytes(), NOW).unwrap_err();
        assert_eq!(
            error.message,
            "refresh response is missing the required field access_token"
        );
    }

    #[test]
    fn without_expires_in_the_expiry_comes_from_the_jwt_exp_claim() {
        // {"sub":"Patient/1","exp":1779354571}
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJQYXRpZW50LzEiLCJleHAiOjE3NzkzNTQ1NzF9.c2ln";
        let mut body = documented_body();
        body["accessToken"] = json!(jwt);
        body.as_object_mut().unwrap().remove("expiresIn");
        let tokens = parse(&body).unwrap();
        assert_eq!(
            (tokens.expires_in, tokens.expires_at),
            (None, Some(1_779_354_571))
        );

        let refresh = json!({"access_token": jwt});
        let tokens = parse_refresh_success(refresh.to_string().as_bytes(), NOW).unwrap();
        assert_eq!(
            (tokens.expires_in, tokens.expires_at),
            (None, Some(1_779_354_571))
        );

        body["expiresIn"] = json!(10);
        assert_eq!(
            parse(&body).unwrap().expires_at,
            Some(NOW + 10),
            "expiresIn wins"
        );
    }

    #[test]
    fn the_fast_path_agrees_with_the_value_path() {
        let mut bodies = vec![documented_body()];
        let edits: [(&str, Value); 9] = [
            ("refreshToken", Value::Null),
            ("expiresIn", Value::Null),
            ("expiresIn", json!(0)),
            ("expiresIn", json!(-1)),
            ("expiresIn", json!(1.5)),
            ("accessToken", json!("")),
            ("accessToken", json!("a\u{0}b")),
            ("extra", json!({"nested": [1, {"x": null}]})),
            (
                "profile",
                json!({"reference": "Patient/1", "display": "P", "extra": 1}),
            ),
        ];
        for (field, value) in edits {
            let mut body = documented_body();
            body[field] = value;
            bodies.push(body);
        }
        let mut raw: Vec<Vec<u8>> = bodies.iter().map(|b| b.to_string().into_bytes()).collect();
        raw.push(br#"{"accessToken":"a","accessToken":"b","project":{"reference":"r","display":"d"},"profile":{"reference":"r","display":"d"}}"#.to_vec());
        raw.push(br#"{"accessToken":"a\"b\\c\u00e9","project":{"reference":"r","display":"d"},"profile":{"reference":"r","display":"d"}}"#.to_vec());
        let mut fast_hits = 0;
        for body in &raw {
            let slow = parse_login_value(body, NOW);
            if let Some(fast) = fast::login(body, NOW) {
                fast_hits += 1;
                assert_eq!(Ok(fast), slow, "{}", String::from_utf8_lossy(body));
            }
            assert_eq!(parse_login_success(body, NOW), slow);
        }
        assert!(
            fast_hits >= 6,
            "the fast path takes the ordinary bodies ({fast_hits})"
        );

        for body in [
            json!({"access_token": "a.b.c", "refresh_token": "r", "expires_in": 60}),
            json!({"access_token": "a.b.c"}),
            json!({"access_token": "a.b.c", "expires_in": -3}),
            json!({"accessToken": "a.b.c"}),
        ] {
            let body = body.to_string().into_bytes();
            let slow = parse_refresh_value(&body, NOW);
            if let Some(fast) = fast::refresh(&body, NOW) {
                assert_eq!(Ok(fast), slow);
            }
            assert_eq!(parse_refresh_success(&body, NOW), slow);
        }
    }

    #[test]
    fn absurd_expiries_are_clamped_to_ten_years() {
        let latest = NOW + MAX_TOKEN_LIFETIME;
        for seconds in [MAX_TOKEN_LIFETIME + 1, 1_000_000_000_000, i64::MAX] {
            let mut body = documented_body();
            body["expiresIn"] = json!(seconds);
            let tokens = parse(&body).unwrap();
            assert_eq!(tokens.expires_in, Some(MAX_TOKEN_LIFETIME), "{seconds}");
            assert_eq!(tokens.expires_at, Some(latest), "{seconds}");
            let refresh = json!({"access_token": "a.b.c", "expires_in": seconds});
            let tokens = parse_refresh_success(refresh.to_string().as_bytes(), NOW).unwrap();
            assert_eq!(tokens.expires_in, Some(MAX_TOKEN_LIFETIME), "{seconds}");
        }
        let mut body = documented_body();
        body["expiresIn"] = json!(3600);
        assert_eq!(parse(&body).unwrap().expires_at, Some(NOW + 3600));

        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine;
        let jwt = |exp: i64| {
            let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"exp":{exp}}}"#));
            format!("eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln")
        };
        for (exp, expected) in [
            (10_000_000_000_000, Some(latest)),
            (i64::MAX, Some(latest)),
            (NOW + 3600, Some(NOW + 3600)),
            (0, Some(0)),
            (-1, None),
            (-10_000_000_000_000, None),
        ] {
            let body = json!({"access_token": jwt(exp)}).to_string();
            let tokens = parse_refresh_success(body.as_bytes(), NOW).unwrap();
            assert_eq!(tokens.expires_at, expected, "exp {exp}");
            assert_eq!(tokens.expires_in, None);
        }
    }

    #[test]
    fn debug_output_hides_the_tokens() {
        let shown = format!("{:?}", parse(&documented_body()).unwrap());
        assert!(!shown.contains("jwt.value"), "{shown}");
        assert!(shown.contains("Max Mustermann"));
    }

    #[test]
    fn nest_error_messages_as_string_or_array() {
        let string =
            br#"{"statusCode":401,"message":"Invalid email or password","error":"Unauthorized"}"#;
        assert_eq!(
            error_message(&Secrets::none(), 401, Some("application/json"), string),
            "Invalid email or password"
        );
        let array = br#"{"statusCode":422,"message":["email must be an email","clientId must be a UUID"],"error":"Unprocessable Entity"}"#;
        assert_eq!(
            error_message(&Secrets::none(), 422, None, array),
            "email must be an email; clientId must be a UUID"
        );
    }

    #[test]
    fn other_error_bodies_are_described() {
        let cases: [(u16, Option<&str>, &[u8], &str); 6] = [
            (
                502,
                Some("text/html; charset=utf-8"),
                b"<h1>Bad Gateway</h1>",
                "expected JSON, got text/html (502)",
            ),
            (
                500,
                None,
                b"oops",
                "expected JSON, got a body with no content type (500)",
            ),
            (503, Some("text/plain"), b"", "HTTP 503 with an empty body"),
            (
                404,
                Some("application/json"),
                br#"{"statusCode":404,"error":"Not Found"}"#,
                "HTTP 404 Not Found (no message in the body)",
            ),
            (
                400,
                Some("application/json"),
                br#"{"message":[]}"#,
                "HTTP 400 with a JSON body that has no message",
            ),
            (
                418,
                Some("application/json"),
                br#"{"message":7}"#,
                "HTTP 418 with a JSON body that has no message",
            ),
        ];
        for (status, content_type, body, expected) in cases {
            assert_eq!(
                error_message(&Secrets::none(), status, content_type, body),
                expected
            );
        }
    }

    #[test]
    fn server_texts_of_error_bodies_are_cleaned() {
        let given = ["hunter22"];
        let secrets = Secrets::new(&given);
        let echo = br#"{"message":"bad password hunter22\u2028X-Injected: 1"}"#;
        assert_eq!(
            error_message(&secrets, 401, None, echo),
            "bad password <redacted> X-Injected: 1"
        );
        let reason = br#"{"error":"aHVudGVyMjI="}"#;
        assert_eq!(
            error_message(&secrets, 401, None, reason),
            "HTTP 401 <redacted> (no message in the body)"
        );
        let typed = error_message(&secrets, 500, Some("text/hunter22; x"), b"x");
        assert_eq!(typed, "expected JSON, got text/<redacted> (500)");
    }

    #[test]
    fn mime_types_are_cut_on_a_character_boundary() {
        let none = Secrets::none();
        let odd = format!("{}é/x", "a".repeat(63));
        assert_eq!(mime_type(&none, &odd), format!("{}...", "a".repeat(63)));
        assert_eq!(mime_type(&none, "text/html; charset=utf-8"), "text/html");
        let token = "t".repeat(40) + "0123456789abcdef0123456789";
        let given = [token.as_str()];
        let long = format!("text/{token}");
        assert_eq!(mime_type(&Secrets::new(&given), &long), "text/<redacted>");
    }

    #[test]
    fn json_content_types() {
        for yes in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/problem+json",
        ] {
            assert!(is_json(yes), "{yes}");
        }
        for no in ["text/html", "application/jsonp", "text/json+x", ""] {
            assert!(!is_json(no), "{no}");
        }
    }
}
