//! Request-body checks mirroring the NestJS `ValidationPipe` + class-validator
//! behaviour of the real API: every problem is reported, one string per
//! problem, so the SDK's error mapping sees the same shape it gets in production.

use serde_json::{Map, Value};

/// Largest accepted password, in characters (class-validator `@Length` counts chars).
pub const MAX_PASSWORD_CHARS: usize = 128;

/// A well-formed `LoginDto`.
#[derive(Debug, PartialEq, Eq)]
pub struct LoginRequest<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub client_id: &'a str,
}

/// Why a request body was rejected before validation (HTTP 400).
#[derive(Debug, PartialEq, Eq)]
pub enum BodyError {
    ContentType,
    InvalidJson,
    NotAnObject,
}

impl BodyError {
    pub fn message(&self) -> &'static str {
        match self {
            BodyError::ContentType => "Content-Type must be application/json",
            BodyError::InvalidJson => "Request body is not valid JSON",
            BodyError::NotAnObject => "Request body must be a JSON object",
        }
    }
}

/// True for `application/json` with optional parameters, in any letter case.
pub fn is_json_content_type(value: Option<&str>) -> bool {
    let Some(value) = value else { return false };
    let media_type = value.split(';').next().unwrap_or("").trim();
    media_type.eq_ignore_ascii_case("application/json")
}

/// Parses a body that must be a JSON object.
pub fn parse_object(body: &[u8]) -> Result<Map<String, Value>, BodyError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(BodyError::NotAnObject),
        Err(_) => Err(BodyError::InvalidJson),
    }
}

/// Validates a `LoginDto`; `Err` carries every class-validator style message.
pub fn validate_login(body: &Map<String, Value>) -> Result<LoginRequest<'_>, Vec<String>> {
    let mut problems = Vec::new();

    let email = string_field(body, "email", &mut problems);
    if let Some(email) = email {
        if !is_email(email) {
            problems.push("email must be an email".to_owned());
        }
    }

    let password = string_field(body, "password", &mut problems);
    if let Some(password) = password {
        let chars = password.chars().count();
        if chars < 1 {
            problems.push("password must be longer than or equal to 1 characters".to_owned());
        } else if chars > MAX_PASSWORD_CHARS {
            problems.push(format!(
                "password must be shorter than or equal to {MAX_PASSWORD_CHARS} characters"
            ));
        }
    }

    let client_id = string_field(body, "clientId", &mut problems);
    if let Some(client_id) = client_id {
        if !is_uuid(client_id) {
            problems.push("clientId must be a UUID".to_owned());
        }
    }

    match (email, password, client_id) {
        (Some(email), Some(password), Some(client_id)) if problems.is_empty() => Ok(LoginRequest {
            email,
            password,
            client_id,
        }),
        _ => Err(problems),
    }
}

/// Validates the refresh body `{"refresh_token": "..."}`.
pub fn validate_refresh(body: &Map<String, Value>) -> Result<&str, Vec<String>> {
    let mut problems = Vec::new();
    match string_field(body, "refresh_token", &mut problems) {
        Some("") => Err(vec!["refresh_token should not be empty".to_owned()]),
        Some(token) => Ok(token),
        None => Err(problems),
    }
}

/// Missing, `null` and non-string values all get the same `@IsString` message.
fn string_field<'a>(
    body: &'a Map<String, Value>,
    name: &str,
    problems: &mut Vec<String>,
) -> Option<&'a str> {
    match body.get(name) {
        Some(Value::String(s)) => Some(s),
        _ => {
            problems.push(format!("{name} must be a string"));
            None
        }
    }
}

/// Deliberately simple: one `@`, non-empty local part, dotted domain with
/// non-empty labels, no whitespace. Enough to match what tests send.
pub fn is_email(value: &str) -> bool {
    if value.chars().any(char::is_whitespace) {
        return false;
    }
    let mut parts = value.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !local.is_empty() && domain.contains('.') && domain.split('.').all(|label| !label.is_empty())
}

/// Password length rule, in characters rather than bytes.
pub fn password_length_ok(value: &str) -> bool {
    (1..=MAX_PASSWORD_CHARS).contains(&value.chars().count())
}

/// `8-4-4-4-12` hex digits, any letter case.
pub fn is_uuid(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    fn login_errors(value: Value) -> Vec<String> {
        validate_login(&obj(value)).unwrap_err()
    }

    #[test]
    fn content_type_rules() {
        assert!(is_json_content_type(Some("application/json")));
        assert!(is_json_content_type(Some(
            "Application/JSON; charset=utf-8"
        )));
        assert!(is_json_content_type(Some(
            " application/json ;charset=UTF-8"
        )));
        assert!(!is_json_content_type(None));
        assert!(!is_json_content_type(Some("text/plain")));
        assert!(!is_json_content_type(Some("application/jsonx")));
        assert!(!is_json_content_type(Some(
            "application/x-www-form-urlencoded"
        )));
    }

    #[test]
    fn body_must_be_a_json_object() {
        assert_eq!(parse_object(b"{"), Err(BodyError::InvalidJson));
        assert_eq!(parse_object(b""), Err(BodyError::InvalidJson));
        assert_eq!(parse_object(b"[1]"), Err(BodyError::NotAnObject));
        assert_eq!(parse_object(b"\"x\""), Err(BodyError::NotAnObject));
        assert_eq!(parse_object(b"null"), Err(BodyError::NotAnObject));
        assert!(parse_object(br#"{"a":1}"#).is_ok());
    }

    #[test]
    fn valid_login_passes() {
        let body = obj(json!({
            "email": "john.doe@mail.com",
            "password": "p",
            "clientId": "5E505642-9024-474d-9434-e5a44f505cc5",
            "extra": true
        }));
        let login = validate_login(&body).unwrap();
        assert_eq!(login.email, "john.doe@mail.com");
        assert_eq!(login.password, "p");
    }

    #[test]
    fn missing_fields_are_each_named() {
        assert_eq!(
            login_errors(json!({})),
            [
                "email must be a string",
                "password must be a string",
                "clientId must be a string"
            ]
        );
    }

    #[test]
    fn non_string_fields_are_each_named() {
        assert_eq!(
            login_errors(json!({"email": 1, "password": null, "clientId": ["x"]})),
            [
                "email must be a string",
                "password must be a string",
                "clientId must be a string"
            ]
        );
    }

    #[test]
    fn every_rule_reports_its_message() {
        let long = "é".repeat(129);
        assert_eq!(
            login_errors(json!({"email": "nope", "password": long, "clientId": "123"})),
            [
                "email must be an email",
                "password must be shorter than or equal to 128 characters",
                "clientId must be a UUID"
            ]
        );
        assert_eq!(
            login_errors(json!({
                "email": "a@b.co", "password": "",
                "clientId": "5e505642-9024-474d-9434-e5a44f505cc5"
            })),
            ["password must be longer than or equal to 1 characters"]
        );
    }

    #[test]
    fn password_length_counts_chars_not_bytes() {
        // 128 two-byte characters are 256 bytes but still allowed.
        let body = obj(json!({
            "email": "a@b.co", "password": "é".repeat(128),
            "clientId": "5e505642-9024-474d-9434-e5a44f505cc5"
        }));
        assert!(validate_login(&body).is_ok());
    }

    #[test]
    fn email_shapes() {
        for good in ["a@b.co", "john.doe@mail.com", "x+y@sub.example.org"] {
            assert!(is_email(good), "{good}");
        }
        for bad in [
            "", "a", "@b.co", "a@b", "a@@b.co", "a@b@c.co", "a b@c.co", "a@b.", "a@.co",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn uuid_shapes() {
        assert!(is_uuid("5e505642-9024-474d-9434-e5a44f505cc5"));
        assert!(is_uuid("5E505642-9024-474D-9434-E5A44F505CC5"));
        assert!(!is_uuid("5e505642-9024-474d-9434-e5a44f505cc"));
        assert!(!is_uuid("5e505642x9024-474d-9434-e5a44f505cc5"));
        assert!(!is_uuid("ge505642-9024-474d-9434-e5a44f505cc5"));
        assert!(!is_uuid("5e5056429024474d9434e5a44f505cc5"));
    }

    #[test]
    fn refresh_body_rules() {
        assert_eq!(
            validate_refresh(&obj(json!({}))),
            Err(vec!["refresh_token must be a string".to_owned()])
        );
        assert_eq!(
            validate_refresh(&obj(json!({"refresh_token": 5}))),
            Err(vec!["refresh_token must be a string".to_owned()])
        );
        assert_eq!(
            validate_refresh(&obj(json!({"refresh_token": ""}))),
            Err(vec!["refresh_token should not be empty".to_owned()])
        );
        assert_eq!(
            validate_refresh(&obj(json!({"refresh_token": "abc"}))),
            Ok("abc")
        );
    }
}
