//! The outcome of a call, shared by the Rust core and the C ABI.

use std::ffi::CStr;

/// What happened to a call. Every result carries exactly one of these.
///
/// The numeric values are part of the stable ABI: they never change and new
/// values are only ever appended. In C it is a `uint32_t` whatever the
/// compiler's enum size, so a value added later never changes a layout.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OvokStatus {
    /// The call succeeded and the result holds the tokens.
    Ok = 0,
    /// An argument was NULL, empty, not UTF-8, too long, or a base URL
    /// broke the URL rules. Rejected before any network I/O.
    InvalidArgument = 1,
    /// HTTP 400: the server could not read the request.
    BadRequest = 2,
    /// HTTP 401: wrong email or password.
    Unauthorized = 3,
    /// HTTP 404: unknown client ID, or a wrong base URL path.
    NotFound = 4,
    /// HTTP 422: the server rejected the fields (e.g. an email that is not an email).
    Unprocessable = 5,
    /// HTTP 5xx.
    ServerError = 6,
    /// Any other non-2xx status, including 3xx: redirects are never followed.
    HttpError = 7,
    /// DNS failure, connection refused, reset, or closed early.
    Connection = 8,
    /// The connect timeout or the total timeout ran out.
    Timeout = 9,
    /// TLS handshake or certificate failure.
    Tls = 10,
    /// A 2xx whose body is not the documented JSON, or is larger than 1 MiB.
    InvalidResponse = 11,
    /// A bug in this library: a panic was caught at the C boundary.
    Internal = 12,
    /// A session has no usable refresh token: it never logged in, it logged
    /// out, or the server refused its refresh token. Log in again.
    LoginRequired = 13,
}

impl OvokStatus {
    /// Every status, in numeric order.
    pub const ALL: [OvokStatus; 14] = [
        OvokStatus::Ok,
        OvokStatus::InvalidArgument,
        OvokStatus::BadRequest,
        OvokStatus::Unauthorized,
        OvokStatus::NotFound,
        OvokStatus::Unprocessable,
        OvokStatus::ServerError,
        OvokStatus::HttpError,
        OvokStatus::Connection,
        OvokStatus::Timeout,
        OvokStatus::Tls,
        OvokStatus::InvalidResponse,
        OvokStatus::Internal,
        OvokStatus::LoginRequired,
    ];

    /// The C name of the status, e.g. `"OVOK_STATUS_UNAUTHORIZED"`.
    pub fn name(self) -> &'static str {
        self.c_name().to_str().unwrap_or("OVOK_STATUS_UNKNOWN")
    }

    /// The C name as a NUL-terminated string, for the C ABI.
    pub const fn c_name(self) -> &'static CStr {
        match self {
            OvokStatus::Ok => c"OVOK_STATUS_OK",
            OvokStatus::InvalidArgument => c"OVOK_STATUS_INVALID_ARGUMENT",
            OvokStatus::BadRequest => c"OVOK_STATUS_BAD_REQUEST",
            OvokStatus::Unauthorized => c"OVOK_STATUS_UNAUTHORIZED",
            OvokStatus::NotFound => c"OVOK_STATUS_NOT_FOUND",
            OvokStatus::Unprocessable => c"OVOK_STATUS_UNPROCESSABLE",
            OvokStatus::ServerError => c"OVOK_STATUS_SERVER_ERROR",
            OvokStatus::HttpError => c"OVOK_STATUS_HTTP_ERROR",
            OvokStatus::Connection => c"OVOK_STATUS_CONNECTION",
            OvokStatus::Timeout => c"OVOK_STATUS_TIMEOUT",
            OvokStatus::Tls => c"OVOK_STATUS_TLS",
            OvokStatus::InvalidResponse => c"OVOK_STATUS_INVALID_RESPONSE",
            OvokStatus::Internal => c"OVOK_STATUS_INTERNAL",
            OvokStatus::LoginRequired => c"OVOK_STATUS_LOGIN_REQUIRED",
        }
    }

    /// The status for a raw integer that came from C, where any value is possible.
    pub fn from_raw(raw: i64) -> Option<OvokStatus> {
        usize::try_from(raw)
            .ok()
            .and_then(|index| OvokStatus::ALL.get(index).copied())
    }

    /// The status for a non-2xx HTTP response.
    pub fn from_http_error(http_status: u16) -> OvokStatus {
        match http_status {
            400 => OvokStatus::BadRequest,
            401 => OvokStatus::Unauthorized,
            404 => OvokStatus::NotFound,
            422 => OvokStatus::Unprocessable,
            500..=599 => OvokStatus::ServerError,
            _ => OvokStatus::HttpError,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_numeric_order() {
        for (index, status) in OvokStatus::ALL.iter().enumerate() {
            assert_eq!(*status as usize, index);
            assert_eq!(OvokStatus::from_raw(index as i64), Some(*status));
        }
    }

    #[test]
    fn raw_values_outside_the_enum_are_rejected() {
        for raw in [-1, 14, 99, i64::from(u32::MAX), i64::MIN, i64::MAX] {
            assert_eq!(OvokStatus::from_raw(raw), None, "{raw}");
        }
    }

    #[test]
    fn names_follow_the_c_spelling() {
        assert_eq!(OvokStatus::Unauthorized.name(), "OVOK_STATUS_UNAUTHORIZED");
        for status in OvokStatus::ALL {
            assert!(status.name().starts_with("OVOK_STATUS_"));
        }
    }

    #[test]
    fn http_codes_map_to_their_documented_status() {
        let cases = [
            (400, OvokStatus::BadRequest),
            (401, OvokStatus::Unauthorized),
            (403, OvokStatus::HttpError),
            (404, OvokStatus::NotFound),
            (422, OvokStatus::Unprocessable),
            (429, OvokStatus::HttpError),
            (500, OvokStatus::ServerError),
            (502, OvokStatus::ServerError),
            (599, OvokStatus::ServerError),
            (301, OvokStatus::HttpError),
            (308, OvokStatus::HttpError),
            (600, OvokStatus::HttpError),
        ];
        for (code, status) in cases {
            assert_eq!(OvokStatus::from_http_error(code), status, "{code}");
        }
    }
}
