"""Log in to the Ovok healthcare API.

>>> import ovok
>>> session = ovok.login("john.doe@mail.com", "password1234",
...                      "5e505642-9024-474d-9434-e5a44f505cc5")
>>> session.profile.display
'Max Mustermann'

A thin ctypes wrapper: every behaviour comes from the bundled native library,
libovok, through its C ABI.
"""

from ._errors import (
    AuthenticationError,
    BadRequestError,
    ConnectionError,
    HTTPError,
    InternalError,
    InvalidArgumentError,
    InvalidResponseError,
    NotFoundError,
    OvokError,
    OvokStatus,
    ServerError,
    TimeoutError,
    TLSError,
    ValidationError,
)
from ._ffi import version as _library_version
from ._login import LoginResult, Reference, login, login_async

__version__: str = _library_version()

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "ConnectionError",
    "HTTPError",
    "InternalError",
    "InvalidArgumentError",
    "InvalidResponseError",
    "LoginResult",
    "NotFoundError",
    "OvokError",
    "OvokStatus",
    "Reference",
    "ServerError",
    "TLSError",
    "TimeoutError",
    "ValidationError",
    "__version__",
    "login",
    "login_async",
]
