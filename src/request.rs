//! The request bodies: login credentials and refresh tokens, as JSON.

use std::fmt;

use serde::Serialize;
use zeroize::Zeroizing;

use crate::error::Error;

/// Longer fields are rejected before any network I/O. Real values are far
/// shorter (Ovok allows passwords of up to 128 characters).
pub const MAX_FIELD_LEN: usize = 4096;

/// Longer refresh tokens are rejected before any network I/O.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// What a user logs in with. It borrows the strings, so the password is
/// copied only into the request body, which is zeroized after sending.
#[derive(Clone, Copy)]
pub struct Credentials<'a> {
    /// The user's email address.
    pub email: &'a str,
    /// The user's password.
    pub password: &'a str,
    /// The id of the ClientApplication in the Ovok project (a UUID).
    pub client_id: &'a str,
}

impl fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("client_id", &self.client_id)
            .finish()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LoginBody<'a> {
    email: &'a str,
    password: &'a str,
    client_id: &'a str,
}

/// Ovok's refresh route takes snake_case, unlike login.
#[derive(Serialize)]
struct RefreshBody<'a> {
    refresh_token: &'a str,
}

impl Credentials<'_> {
    /// Rejects empty and overlong fields; the server judges everything else.
    pub fn validate(&self) -> Result<(), Error> {
        check_field("email", self.email, MAX_FIELD_LEN)?;
        check_field("password", self.password, MAX_FIELD_LEN)?;
        check_field("client_id", self.client_id, MAX_FIELD_LEN)
    }

    /// The JSON body of `POST /v2/auth/login`, zeroized on drop.
    pub fn login_body(&self) -> Zeroizing<Vec<u8>> {
        let body = LoginBody {
            email: self.email,
            password: self.password,
            client_id: self.client_id,
        };
        json_body(
            &body,
            self.email.len() + self.password.len() + self.client_id.len(),
        )
    }
}

/// Rejects an empty or overlong refresh token.
pub fn validate_refresh_token(refresh_token: &str) -> Result<(), Error> {
    check_field("refresh_token", refresh_token, MAX_TOKEN_LEN)
}

/// Rejects an access token that is empty, overlong, or not fit for an
/// `Authorization` header (anything but visible ASCII, e.g. a line break).
pub fn validate_access_token(access_token: &str) -> Result<(), Error> {
    check_field("access_token", access_token, MAX_TOKEN_LEN)?;
    if !access_token.bytes().all(|byte| byte.is_ascii_graphic()) {
        return Err(Error::invalid_argument(
            "access_token may hold only visible ASCII characters",
        ));
    }
    Ok(())
}

/// The JSON body of `POST /auth/refresh-token`, zeroized on drop.
pub fn refresh_body(refresh_token: &str) -> Zeroizing<Vec<u8>> {
    json_body(&RefreshBody { refresh_token }, refresh_token.len())
}

fn check_field(name: &str, value: &str, max_len: usize) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::invalid_argument(format!("{name} is empty")));
    }
    if value.len() > max_len {
        return Err(Error::invalid_argument(format!(
            "{name} is longer than {max_len} bytes"
        )));
    }
    Ok(())
}

/// Serializes a body holding secrets of `secret_len` bytes in all.
///
/// The buffer is sized up front for the worst case of JSON escaping (six
/// bytes per input byte), so it never reallocates and leaves no stray copy
/// of a secret behind in freed memory.
fn json_body(body: &impl Serialize, secret_len: usize) -> Zeroizing<Vec<u8>> {
    let mut buffer = Zeroizing::new(Vec::with_capacity(64 + 6 * secret_len));
    // Serializing borrowed strings into a Vec cannot fail.
    if serde_json::to_writer(&mut *buffer, body).is_err() {
        buffer.clear();
    }
    buffer
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::OvokStatus;

    const CREDENTIALS: Credentials<'static> = Credentials {
        email: "john.doe@mail.com",
        password: "password1234",
        client_id: "5e505642-9024-474d-9434-e5a44f505cc5",
    };

    #[test]
    fn body_is_the_documented_json() {
        let body = CREDENTIALS.login_body();
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "email": "john.doe@mail.com",
                "password": "password1234",
                "clientId": "5e505642-9024-474d-9434-e5a44f505cc5",
            })
        );
    }

    #[test]
    fn body_escapes_quotes_and_control_characters_without_reallocating() {
        let password = "\"\\\u{1}\u{1f}pässwörd\n".repeat(50);
        let credentials = Credentials {
            password: &password,
            ..CREDENTIALS
        };
        let body = credentials.login_body();
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["password"], password.as_str());
        let planned =
            64 + 6 * (CREDENTIALS.email.len() + password.len() + CREDENTIALS.client_id.len());
        assert_eq!(
            body.capacity(),
            planned,
            "the buffer grew, leaving a copy behind"
        );
    }

    #[test]
    fn refresh_body_is_snake_case() {
        let body = refresh_body("r.e.f");
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value, serde_json::json!({"refresh_token": "r.e.f"}));
        assert_eq!(
            validate_refresh_token("").unwrap_err().message,
            "refresh_token is empty"
        );
        let long = "t".repeat(MAX_TOKEN_LEN + 1);
        assert!(validate_refresh_token(&long)
            .unwrap_err()
            .message
            .contains("longer than"));
    }

    #[test]
    fn debug_output_hides_the_password() {
        let shown = format!("{CREDENTIALS:?}");
        assert!(!shown.contains("password1234"), "{shown}");
        assert!(shown.contains("john.doe@mail.com"));
    }

    #[test]
    fn empty_and_overlong_fields_are_invalid_arguments() {
        let long = "x".repeat(MAX_FIELD_LEN + 1);
        let cases = [
            (
                Credentials {
                    email: "",
                    ..CREDENTIALS
                },
                "email is empty",
            ),
            (
                Credentials {
                    password: "",
                    ..CREDENTIALS
                },
                "password is empty",
            ),
            (
                Credentials {
                    client_id: "",
                    ..CREDENTIALS
                },
                "client_id is empty",
            ),
            (
                Credentials {
                    password: &long,
                    ..CREDENTIALS
                },
                "password is longer than 4096 bytes",
            ),
        ];
        for (credentials, message) in cases {
            let error = credentials.validate().unwrap_err();
            assert_eq!(error.status, OvokStatus::InvalidArgument);
            assert_eq!(error.message, message);
        }
        let at_limit = "x".repeat(MAX_FIELD_LEN);
        assert!(Credentials {
            password: &at_limit,
            ..CREDENTIALS
        }
        .validate()
        .is_ok());
    }
}
