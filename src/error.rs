//! The error type of the safe core: a status plus a message that is safe to log.

use std::fmt;

use crate::status::OvokStatus;

/// A failed call. The message never contains the password or a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// What kind of failure this is.
    pub status: OvokStatus,
    /// The HTTP status code, or 0 when no HTTP response was received.
    pub http_status: u16,
    /// A readable description, safe to show and to log.
    pub message: String,
}

impl Error {
    pub(crate) fn new(status: OvokStatus, message: impl Into<String>) -> Error {
        Error {
            status,
            http_status: 0,
            message: message.into(),
        }
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> Error {
        Error::new(OvokStatus::InvalidArgument, message)
    }

    pub(crate) fn invalid_response(message: impl Into<String>) -> Error {
        Error::new(OvokStatus::InvalidResponse, message)
    }

    pub(crate) fn with_http_status(mut self, http_status: u16) -> Error {
        self.http_status = http_status;
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status.name(), self.message)
    }
}

impl std::error::Error for Error {}
