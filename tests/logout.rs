//! `Client::logout`: `POST {base}/auth/logout` with the access token as a
//! bearer token and an empty body; a 2xx is its HTTP status, anything else
//! the error login and refresh would give, without the token in it.

mod common;

use std::time::Duration;

use common::hostile::{json_response, HostileServer};
use ovok::{Client, ClientConfig, OvokStatus};

const TOKEN: &str = "access-token-for-logout-4e1f";

fn client() -> Client {
    let mut config = ClientConfig::default();
    config.set_proxy_from_environment(false);
    config.set_total_timeout(Duration::from_secs(5)).unwrap();
    Client::new(&config).unwrap()
}

#[test]
fn a_logout_posts_the_bearer_token_with_an_empty_body_and_returns_the_status() {
    let server = HostileServer::answering(b"HTTP/1.1 204 No Content\r\n\r\n".to_vec());
    let status = client().logout(Some(&format!("{}/gw", server.url())), TOKEN);
    assert_eq!(status.ok(), Some(204));
    let received = server.received();
    let request = received.first().expect("one request");
    assert_eq!(request.request_line(), "POST /gw/auth/logout HTTP/1.1");
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(request.content_length(), 0);
    assert!(request.body.is_empty());
}

#[test]
fn a_refused_logout_is_the_usual_error_without_the_token() {
    let body =
        format!(r#"{{"statusCode":401,"message":"token {TOKEN} expired","error":"Unauthorized"}}"#);
    let server = HostileServer::answering(json_response("401 Unauthorized", &body));
    let error = client().logout(Some(&server.url()), TOKEN).unwrap_err();
    assert_eq!(error.status, OvokStatus::from_http_error(401));
    assert_eq!(error.http_status, 401);
    assert!(error.message.contains("expired"), "{}", error.message);
    assert!(!error.message.contains(TOKEN), "{}", error.message);
}

#[test]
fn a_token_that_cannot_be_a_header_value_is_refused_before_sending() {
    let server = HostileServer::counting();
    for bad in ["", "two words", "line\r\nX-Injected: 1"] {
        let error = client().logout(Some(&server.url()), bad).unwrap_err();
        assert_eq!(error.status, OvokStatus::InvalidArgument, "{bad:?}");
    }
    assert_eq!(server.connections(), 0);
}
