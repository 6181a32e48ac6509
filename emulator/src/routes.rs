//! The API itself, free of any HTTP library: a request's method, URL,
//! Content-Type, Authorization and body go in, a status and JSON body come
//! out. Keeping this pure makes every error case unit-testable without sockets.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use serde_json::{json, Value};

use crate::jwt::{self, Signer, ACCESS_TYP, REFRESH_TYP};
use crate::tokens::{IssuedPair, TokenStore};
use crate::users::{Reference, User};
use crate::validation::{self, BodyError};
use crate::{Config, Stats};

/// Largest accepted request body; matches the real API's body-parser limit.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A finished response: status code and JSON text (empty for 204).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

/// The endpoints that exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Login,
    Refresh,
    Logout,
    Me,
    /// `GET /_emulator/stats`: the emulator's own counters, never delayed or failed.
    Stats,
}

impl Route {
    /// Whether `--latency` and `--fail-rate` apply to this route.
    pub fn takes_faults(self) -> bool {
        self != Route::Stats
    }
}

/// The parts of a request the routes read.
#[derive(Clone, Copy, Debug, Default)]
pub struct Request<'a> {
    pub content_type: Option<&'a str>,
    pub authorization: Option<&'a str>,
    pub body: &'a [u8],
}

/// Resolves a request line to a route, or the NestJS-style 404 for anything
/// else (including a known path with the wrong method, as Express does).
pub fn route(method: &str, url: &str) -> Result<Route, Reply> {
    let path = url.split(['?', '#']).next().unwrap_or("");
    // Express matches with or without one trailing slash.
    let path = match path.strip_suffix('/') {
        Some(stripped) if !stripped.is_empty() => stripped,
        _ => path,
    };
    let route = match path {
        "/v2/auth/login" | "/auth/login" => Some((Route::Login, "POST")),
        "/auth/refresh-token" => Some((Route::Refresh, "POST")),
        "/auth/logout" | "/v1/auth/logout" => Some((Route::Logout, "POST")),
        "/auth/me" => Some((Route::Me, "GET")),
        "/_emulator/stats" => Some((Route::Stats, "GET")),
        _ => None,
    };
    match route {
        Some((route, expected)) if method == expected => Ok(route),
        _ => Err(error(404, format!("Cannot {method} {url}"))),
    }
}

/// NestJS's error envelope; a struct so the keys keep NestJS's order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    status_code: u16,
    message: Value,
    error: &'static str,
}

/// Builds the exact NestJS error envelope.
pub fn error(status: u16, message: impl Into<Value>) -> Reply {
    let body = ErrorBody {
        status_code: status,
        message: message.into(),
        error: reason_phrase(status),
    };
    Reply {
        status,
        // Serializing a struct of plain values cannot fail; keep a valid body anyway.
        body: serde_json::to_string(&body).unwrap_or_else(|_| {
            format!(r#"{{"statusCode":{status},"message":"error","error":"Error"}}"#)
        }),
    }
}

/// The 413 for bodies over [`MAX_BODY_BYTES`].
pub fn too_large() -> Reply {
    error(413, "request entity too large")
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        431 => "Request Header Fields Too Large",
        _ => "Internal Server Error",
    }
}

fn internal_error() -> Reply {
    error(500, "Internal server error")
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LoginResponse<'a> {
    access_token: String,
    refresh_token: String,
    expires_in: u64,
    project: &'a Reference,
    profile: &'a Reference,
}

#[derive(Serialize)]
struct RefreshResponse {
    access_token: String,
    refresh_token: String,
    expires_in: u64,
}

/// Requests per route, of any outcome.
#[derive(Default)]
struct Counters {
    login: AtomicU64,
    refresh: AtomicU64,
    logout: AtomicU64,
    me: AtomicU64,
}

/// Shared state of one emulator instance.
pub struct App {
    users: Vec<User>,
    signer: Signer,
    access_secs: u64,
    refresh_secs: u64,
    tokens: Mutex<TokenStore>,
    counters: Counters,
}

impl App {
    pub fn new(config: &Config) -> std::io::Result<App> {
        Ok(App::with_signer(config, Signer::random()?))
    }

    pub fn with_signer(config: &Config, signer: Signer) -> App {
        App {
            users: config.users.clone(),
            signer,
            access_secs: config.access_lifetime.as_secs(),
            refresh_secs: config.refresh_lifetime.as_secs(),
            tokens: Mutex::new(TokenStore::default()),
            counters: Counters::default(),
        }
    }

    /// Counts a request to `route`, whatever its outcome will be.
    pub fn count(&self, route: Route) {
        let counter = match route {
            Route::Login => &self.counters.login,
            Route::Refresh => &self.counters.refresh,
            Route::Logout => &self.counters.logout,
            Route::Me => &self.counters.me,
            Route::Stats => return,
        };
        counter.fetch_add(1, Ordering::SeqCst);
    }

    /// Requests counted so far, per route.
    pub fn stats(&self) -> Stats {
        let load = |counter: &AtomicU64| counter.load(Ordering::SeqCst);
        Stats {
            login_requests: load(&self.counters.login),
            refresh_requests: load(&self.counters.refresh),
            logout_requests: load(&self.counters.logout),
            me_requests: load(&self.counters.me),
        }
    }

    /// Answers a routed request whose body is already known to fit the limit.
    pub fn answer(&self, route: Route, request: &Request<'_>) -> Reply {
        match route {
            Route::Login | Route::Refresh => self.handle(route, request.content_type, request.body),
            Route::Logout => self.logout(request.authorization),
            Route::Me => self.me(request.authorization),
            Route::Stats => json_reply(&self.stats()),
        }
    }

    /// Handles a JSON-body route (login or refresh).
    pub fn handle(&self, route: Route, content_type: Option<&str>, body: &[u8]) -> Reply {
        let object = match parse_json_body(content_type, body) {
            Ok(object) => object,
            Err(e) => return error(400, e.message()),
        };
        match route {
            Route::Refresh => self.refresh(&object),
            _ => self.login(&object),
        }
    }

    fn login(&self, body: &serde_json::Map<String, Value>) -> Reply {
        let login = match validation::validate_login(body) {
            Ok(login) => login,
            Err(problems) => return error(422, problems),
        };
        let mut client_known = false;
        let user = self.users.iter().position(|user| {
            if !user.client_id.eq_ignore_ascii_case(login.client_id) {
                return false;
            }
            client_known = true;
            user.email.eq_ignore_ascii_case(login.email)
                && constant_time_eq(user.password.as_bytes(), login.password.as_bytes())
        });
        match user {
            Some(index) => self.issue_login(index),
            None if client_known => error(401, "Invalid email or password"),
            None => error(404, "Client application not found"),
        }
    }

    fn issue_login(&self, user_index: usize) -> Reply {
        let session = self.lock_tokens().new_session();
        let Some((access_token, refresh_token)) = self.issue_pair(user_index, session) else {
            return internal_error();
        };
        let user = &self.users[user_index];
        json_reply(&LoginResponse {
            access_token,
            refresh_token,
            expires_in: self.access_secs,
            project: &user.project,
            profile: &user.profile,
        })
    }

    fn refresh(&self, body: &serde_json::Map<String, Value>) -> Reply {
        let token = match validation::validate_refresh(body) {
            Ok(token) => token,
            Err(problems) => return error(422, problems),
        };
        let Some((user_index, session)) = self.redeem(token) else {
            return error(401, "Invalid refresh token");
        };
        let Some((access_token, refresh_token)) = self.issue_pair(user_index, session) else {
            return internal_error();
        };
        json_reply(&RefreshResponse {
            access_token,
            refresh_token,
            expires_in: self.access_secs,
        })
    }

    /// Consumes a refresh token, returning whose it was and its session.
    /// Every failure mode (bad signature, wrong type, expired, unknown,
    /// reused, logged out) looks the same.
    fn redeem(&self, token: &str) -> Option<(usize, u64)> {
        let jti = verified_jti(&self.signer, token, REFRESH_TYP)?;
        self.lock_tokens().redeem(jti, jwt::now())
    }

    fn issue_pair(&self, user_index: usize, session: u64) -> Option<(String, String)> {
        let sub = &self.users[user_index].profile.reference;
        let now = jwt::now();
        let (access, access_jti) = self
            .signer
            .issue(ACCESS_TYP, sub, now, self.access_secs)
            .ok()?;
        let (refresh, refresh_jti) = self
            .signer
            .issue(REFRESH_TYP, sub, now, self.refresh_secs)
            .ok()?;
        let pair = IssuedPair {
            user: user_index,
            session,
            access_jti,
            access_exp: now.saturating_add(self.access_secs),
            refresh_jti,
            refresh_exp: now.saturating_add(self.refresh_secs),
        };
        self.lock_tokens().insert_pair(pair, now);
        Some((access, refresh))
    }

    /// `POST /auth/logout`: 204, the bearer denylisted and its session's
    /// refresh token revoked; idempotent.
    fn logout(&self, authorization: Option<&str>) -> Reply {
        let Some(jti) = self.bearer_jti(authorization) else {
            return unauthorized();
        };
        match self.lock_tokens().logout(jti, jwt::now()) {
            Ok(()) => Reply {
                status: 204,
                body: String::new(),
            },
            Err(_) => unauthorized(),
        }
    }

    /// `GET /auth/me`: who the bearer is, or 401.
    fn me(&self, authorization: Option<&str>) -> Reply {
        let Some(jti) = self.bearer_jti(authorization) else {
            return unauthorized();
        };
        let tokens = self.lock_tokens();
        let Ok((user, session)) = tokens.check_access(jti, jwt::now()) else {
            return unauthorized();
        };
        let sessions = tokens.live_sessions(user);
        drop(tokens);
        json_reply(&me_body(&self.users[user], session, &sessions))
    }

    /// The `jti` of a verified access token in an `Authorization: Bearer` header.
    fn bearer_jti(&self, authorization: Option<&str>) -> Option<u128> {
        verified_jti(&self.signer, bearer(authorization)?, ACCESS_TYP)
    }

    fn lock_tokens(&self) -> std::sync::MutexGuard<'_, TokenStore> {
        // A panic while holding this lock cannot leave the maps inconsistent
        // in a way that matters to a test double; a poisoned lock is still usable.
        self.tokens.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Number of refresh tokens issued and not yet used (or swept).
    #[cfg(test)]
    pub fn outstanding_refresh_tokens(&self) -> usize {
        self.lock_tokens().outstanding_refresh_tokens()
    }
}

/// The token of `Authorization: Bearer <token>` (scheme in any case).
fn bearer(authorization: Option<&str>) -> Option<&str> {
    let (scheme, token) = authorization?.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The `jti` of a correctly signed token of type `typ`.
fn verified_jti(signer: &Signer, token: &str, typ: &str) -> Option<u128> {
    let claims = signer.verify(token)?;
    if claims.typ != typ {
        return None;
    }
    u128::from_str_radix(&claims.jti, 16).ok()
}

fn unauthorized() -> Reply {
    error(401, "Unauthorized")
}

/// A small `/auth/me` answer in the real API's shape: enough to prove a token works.
fn me_body(user: &User, session: u64, live_sessions: &[u64]) -> Value {
    let (resource_type, id) = user
        .profile
        .reference
        .split_once('/')
        .unwrap_or(("Patient", user.profile.reference.as_str()));
    let project_id = user
        .project
        .reference
        .split_once('/')
        .map_or(user.project.reference.as_str(), |(_, id)| id);
    let sessions: Vec<Value> = live_sessions
        .iter()
        .map(|id| json!({"id": format!("{id:016x}"), "current": *id == session}))
        .collect();
    json!({
        "project": {
            "resourceType": "Project",
            "id": project_id,
            "name": user.project.display,
        },
        "membership": {
            "resourceType": "ProjectMembership",
            "id": format!("{session:016x}"),
            "project": {"reference": user.project.reference, "display": user.project.display},
            "profile": {"reference": user.profile.reference, "display": user.profile.display},
        },
        "profile": {
            "resourceType": resource_type,
            "id": id,
            "name": [{"text": user.profile.display}],
            "telecom": [{"system": "email", "value": user.email}],
        },
        "config": {"resourceType": "UserConfiguration"},
        "accessPolicy": null,
        "security": {"mfaEnrolled": false, "sessions": sessions},
    })
}

fn parse_json_body(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<serde_json::Map<String, Value>, BodyError> {
    if !validation::is_json_content_type(content_type) {
        return Err(BodyError::ContentType);
    }
    validation::parse_object(body)
}

fn json_reply(value: &impl Serialize) -> Reply {
    match serde_json::to_string(value) {
        Ok(body) => Reply { status: 200, body },
        Err(_) => internal_error(),
    }
}

/// Password comparison whose time does not depend on where the bytes differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users::{DEMO_CLIENT_ID, DEMO_EMAIL, DEMO_PASSWORD, DEMO_PROFILE_REFERENCE};
    use serde_json::json;
    use std::time::Duration;

    const JSON: Option<&str> = Some("application/json");

    fn app() -> App {
        App::with_signer(&Config::default(), Signer::with_secret([1; 32]))
    }

    fn body(reply: &Reply) -> Value {
        serde_json::from_str(&reply.body).unwrap()
    }

    fn login_body(email: &str, password: &str, client_id: &str) -> Vec<u8> {
        json!({"email": email, "password": password, "clientId": client_id})
            .to_string()
            .into_bytes()
    }

    fn demo_login(app: &App) -> Value {
        let reply = app.handle(
            Route::Login,
            JSON,
            &login_body(DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        body(&reply)
    }

    fn refresh(app: &App, token: &Value) -> Reply {
        let request = json!({ "refresh_token": token }).to_string();
        app.handle(Route::Refresh, JSON, request.as_bytes())
    }

    #[test]
    fn routes() {
        assert_eq!(route("POST", "/v2/auth/login"), Ok(Route::Login));
        assert_eq!(route("POST", "/auth/login"), Ok(Route::Login));
        assert_eq!(route("POST", "/auth/login/"), Ok(Route::Login));
        assert_eq!(route("POST", "/auth/login?x=1"), Ok(Route::Login));
        assert_eq!(route("POST", "/auth/refresh-token"), Ok(Route::Refresh));
        let reply = route("GET", "/foo").unwrap_err();
        assert_eq!(reply.status, 404);
        assert_eq!(
            reply.body,
            r#"{"statusCode":404,"message":"Cannot GET /foo","error":"Not Found"}"#
        );
        assert_eq!(
            body(&reply),
            json!({"statusCode": 404, "message": "Cannot GET /foo", "error": "Not Found"})
        );
        let reply = route("GET", "/v2/auth/login").unwrap_err();
        assert_eq!(body(&reply)["message"], "Cannot GET /v2/auth/login");
        assert!(route("POST", "/v2/auth/loginx").is_err());
        assert!(route("POST", "/").is_err());
    }

    #[test]
    fn bad_bodies_are_400() {
        let app = app();
        let valid = login_body(DEMO_EMAIL, DEMO_PASSWORD, DEMO_CLIENT_ID);
        for (content_type, payload) in [
            (None, &valid[..]),
            (Some("text/plain"), &valid[..]),
            (JSON, b"{not json"),
            (JSON, b"[]"),
            (JSON, b"42"),
        ] {
            let reply = app.handle(Route::Login, content_type, payload);
            assert_eq!(reply.status, 400, "{content_type:?}");
            let value = body(&reply);
            assert_eq!(value["statusCode"], 400);
            assert_eq!(value["error"], "Bad Request");
            assert!(value["message"].is_string());
            assert_eq!(value.as_object().unwrap().len(), 3);
        }
        let reply = app.handle(
            Route::Login,
            Some("application/json; charset=utf-8"),
            &valid,
        );
        assert_eq!(reply.status, 200);
    }

    #[test]
    fn validation_is_422_with_array() {
        let reply = app().handle(Route::Login, JSON, br#"{"email":"x"}"#);
        assert_eq!(reply.status, 422);
        assert_eq!(
            body(&reply),
            json!({
                "statusCode": 422,
                "message": [
                    "email must be an email",
                    "password must be a string",
                    "clientId must be a string"
                ],
                "error": "Unprocessable Entity"
            })
        );
    }

    #[test]
    fn unknown_client_is_404_and_bad_credentials_401() {
        let app = app();
        let other_client = "00000000-0000-4000-8000-000000000000";
        let reply = app.handle(
            Route::Login,
            JSON,
            &login_body(DEMO_EMAIL, DEMO_PASSWORD, other_client),
        );
        assert_eq!(reply.status, 404);
        assert_eq!(body(&reply)["error"], "Not Found");

        let wrong_password = app.handle(
            Route::Login,
            JSON,
            &login_body(DEMO_EMAIL, "password12345", DEMO_CLIENT_ID),
        );
        let wrong_email = app.handle(
            Route::Login,
            JSON,
            &login_body("jane@mail.com", DEMO_PASSWORD, DEMO_CLIENT_ID),
        );
        assert_eq!(wrong_password, wrong_email, "same answer for both");
        assert_eq!(
            body(&wrong_password),
            json!({"statusCode": 401, "message": "Invalid email or password", "error": "Unauthorized"})
        );
        assert!(!wrong_password.body.contains("password12345"));
    }

    #[test]
    fn login_succeeds_case_insensitively_on_email_and_client() {
        let app = app();
        let reply = app.handle(
            Route::Login,
            JSON,
            &login_body(
                &DEMO_EMAIL.to_uppercase(),
                DEMO_PASSWORD,
                &DEMO_CLIENT_ID.to_uppercase(),
            ),
        );
        assert_eq!(reply.status, 200);
    }

    #[test]
    fn login_response_shape() {
        let app = app();
        let value = demo_login(&app);
        let mut keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "accessToken",
                "expiresIn",
                "profile",
                "project",
                "refreshToken"
            ]
        );
        assert_eq!(value["expiresIn"], 3600);
        assert_eq!(value["profile"]["reference"], DEMO_PROFILE_REFERENCE);
        assert_eq!(value["project"]["display"], "My Medical Project");
        let access = app
            .signer
            .verify(value["accessToken"].as_str().unwrap())
            .unwrap();
        assert_eq!(access.sub, DEMO_PROFILE_REFERENCE);
        assert_eq!(access.typ, "access");
        assert_eq!(access.exp - access.iat, 3600);
        let refresh = app
            .signer
            .verify(value["refreshToken"].as_str().unwrap())
            .unwrap();
        assert_eq!(refresh.typ, "refresh");
        assert_eq!(refresh.exp - refresh.iat, 30 * 24 * 3600);
    }

    #[test]
    fn two_logins_give_different_tokens() {
        let app = app();
        let a = demo_login(&app);
        let b = demo_login(&app);
        assert_ne!(a["accessToken"], b["accessToken"]);
        assert_ne!(a["refreshToken"], b["refreshToken"]);
    }

    #[test]
    fn refresh_rotates_and_rejects_reuse() {
        let app = app();
        let login = demo_login(&app);
        let first = refresh(&app, &login["refreshToken"]);
        assert_eq!(first.status, 200, "{}", first.body);
        let first = body(&first);
        assert_eq!(first["expires_in"], 3600);
        assert!(first["access_token"].is_string());
        assert_ne!(first["refresh_token"], login["refreshToken"]);

        let reuse = refresh(&app, &login["refreshToken"]);
        assert_eq!(
            body(&reuse),
            json!({"statusCode": 401, "message": "Invalid refresh token", "error": "Unauthorized"})
        );
        // The rotated token works exactly once too.
        assert_eq!(refresh(&app, &first["refresh_token"]).status, 200);
        assert_eq!(refresh(&app, &first["refresh_token"]).status, 401);
        assert_eq!(app.outstanding_refresh_tokens(), 1);
    }

    #[test]
    fn refresh_rejects_access_tokens_forgeries_and_expired() {
        let app = app();
        let login = demo_login(&app);
        assert_eq!(refresh(&app, &login["accessToken"]).status, 401);
        assert_eq!(refresh(&app, &json!("a.b.c")).status, 401);
        let other = App::with_signer(&Config::default(), Signer::with_secret([2; 32]));
        let foreign = demo_login(&other);
        assert_eq!(refresh(&app, &foreign["refreshToken"]).status, 401);

        let short = Config {
            refresh_lifetime: Duration::ZERO,
            ..Config::default()
        };
        let expiring = App::with_signer(&short, Signer::with_secret([3; 32]));
        let login = demo_login(&expiring);
        assert_eq!(refresh(&expiring, &login["refreshToken"]).status, 401);
    }

    #[test]
    fn refresh_validation() {
        let app = app();
        for (payload, message) in [
            (&b"{}"[..], "refresh_token must be a string"),
            (
                br#"{"refresh_token":null}"#,
                "refresh_token must be a string",
            ),
            (
                br#"{"refresh_token":""}"#,
                "refresh_token should not be empty",
            ),
        ] {
            let reply = app.handle(Route::Refresh, JSON, payload);
            assert_eq!(reply.status, 422);
            assert_eq!(body(&reply)["message"], json!([message]));
        }
    }

    #[test]
    fn configured_lifetime_is_reported() {
        let config = Config {
            access_lifetime: Duration::from_secs(60),
            ..Config::default()
        };
        let app = App::with_signer(&config, Signer::with_secret([4; 32]));
        assert_eq!(demo_login(&app)["expiresIn"], 60);
    }

    #[test]
    fn constant_time_eq_works() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
