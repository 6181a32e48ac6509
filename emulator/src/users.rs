//! The accounts the emulator knows: the built-in demo user and `--users FILE`.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::validation;

/// Demo account from Ovok's documentation examples.
pub const DEMO_EMAIL: &str = "john.doe@mail.com";
/// Password of the demo account.
pub const DEMO_PASSWORD: &str = "password1234";
/// Client application id of the demo account.
pub const DEMO_CLIENT_ID: &str = "5e505642-9024-474d-9434-e5a44f505cc5";
/// FHIR reference of the demo account's project.
pub const DEMO_PROJECT_REFERENCE: &str = "Project/f6f4da8d-93e8-8a08-220e-03b7810451d3";
/// Display name of the demo account's project.
pub const DEMO_PROJECT_DISPLAY: &str = "My Medical Project";
/// FHIR reference of the demo account's profile (the JWT `sub`).
pub const DEMO_PROFILE_REFERENCE: &str = "Patient/de5c57ff-7257-57b0-13ab-aab6f5f91498";
/// Display name of the demo account's profile.
pub const DEMO_PROFILE_DISPLAY: &str = "Max Mustermann";

/// A FHIR-style `{reference, display}` pair as returned by the login endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub reference: String,
    pub display: String,
}

/// One account. `Debug` is hand-written so the password never reaches a log.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct User {
    pub email: String,
    pub password: String,
    pub client_id: String,
    pub project: Reference,
    pub profile: Reference,
}

impl User {
    /// The documented demo user (see the `DEMO_*` constants).
    pub fn demo() -> User {
        User {
            email: DEMO_EMAIL.to_owned(),
            password: DEMO_PASSWORD.to_owned(),
            client_id: DEMO_CLIENT_ID.to_owned(),
            project: Reference {
                reference: DEMO_PROJECT_REFERENCE.to_owned(),
                display: DEMO_PROJECT_DISPLAY.to_owned(),
            },
            profile: Reference {
                reference: DEMO_PROFILE_REFERENCE.to_owned(),
                display: DEMO_PROFILE_DISPLAY.to_owned(),
            },
        }
    }
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("client_id", &self.client_id)
            .field("project", &self.project)
            .field("profile", &self.profile)
            .finish()
    }
}

/// Reads and checks a users file (a JSON array of [`User`] objects).
///
/// Users that could never log in (bad email, password length or clientId) and
/// duplicate email/clientId pairs are rejected here, because a silently
/// unusable account makes for confusing test failures later.
pub fn load_users(path: &Path) -> Result<Vec<User>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read users file {}: {e}", path.display()))?;
    parse_users(&text).map_err(|e| format!("invalid users file {}: {e}", path.display()))
}

/// [`load_users`] without the file system, for tests and embedding.
pub fn parse_users(text: &str) -> Result<Vec<User>, String> {
    let users: Vec<User> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    check_users(&users)?;
    Ok(users)
}

/// Rejects user lists the emulator could not serve sensibly.
pub(crate) fn check_users(users: &[User]) -> Result<(), String> {
    if users.is_empty() {
        return Err("the user list is empty".to_owned());
    }
    let mut seen = HashSet::new();
    for (i, user) in users.iter().enumerate() {
        let problem = if !validation::is_email(&user.email) {
            Some("email is not a valid email address")
        } else if !validation::password_length_ok(&user.password) {
            Some("password must be 1 to 128 characters long")
        } else if !validation::is_uuid(&user.client_id) {
            Some("clientId is not a UUID")
        } else if user.profile.reference.is_empty() || user.project.reference.is_empty() {
            Some("project and profile references must not be empty")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(format!("user #{i} ({}): {problem}", user.email));
        }
        let key = (
            user.email.to_ascii_lowercase(),
            user.client_id.to_ascii_lowercase(),
        );
        if !seen.insert(key) {
            return Err(format!(
                "user #{i} ({}): duplicate email for clientId {}",
                user.email, user.client_id
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_password() {
        let text = format!("{:?}", User::demo());
        assert!(!text.contains(DEMO_PASSWORD), "{text}");
        assert!(text.contains(DEMO_EMAIL));
    }

    #[test]
    fn parses_a_valid_file() {
        let users = parse_users(
            r#"[{"email":"a@b.co","password":"pw","clientId":"5E505642-9024-474D-9434-E5A44F505CC5",
                 "project":{"reference":"Project/1","display":"P"},
                 "profile":{"reference":"Patient/1","display":"Q"}}]"#,
        )
        .unwrap();
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].profile.reference, "Patient/1");
    }

    #[test]
    fn rejects_bad_files_with_a_reason() {
        let err = parse_users("{}").unwrap_err();
        assert!(err.contains("expected a sequence"), "{err}");
        assert!(parse_users("[]").unwrap_err().contains("empty"));
        let missing = parse_users(r#"[{"email":"a@b.co","password":"pw"}]"#).unwrap_err();
        assert!(missing.contains("missing field"), "{missing}");
        let bad_uuid = r#"[{"email":"a@b.co","password":"pw","clientId":"nope",
            "project":{"reference":"Project/1","display":"P"},
            "profile":{"reference":"Patient/1","display":"Q"}}]"#;
        assert!(parse_users(bad_uuid).unwrap_err().contains("UUID"));
        let one = r#"{"email":"a@b.co","password":"pw","clientId":"5e505642-9024-474d-9434-e5a44f505cc5",
            "project":{"reference":"Project/1","display":"P"},
            "profile":{"reference":"Patient/1","display":"Q"}}"#;
        let dup = format!("[{one},{one}]");
        assert!(parse_users(&dup).unwrap_err().contains("duplicate"));
    }

    #[test]
    fn load_users_names_the_file() {
        let err = load_users(Path::new("/nonexistent/users.json")).unwrap_err();
        assert!(err.contains("/nonexistent/users.json"), "{err}");
    }
}
