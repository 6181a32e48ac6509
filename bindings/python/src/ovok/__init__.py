"""Log in to the Ovok healthcare API, and stay logged in.

>>> import ovok
>>> result = ovok.login("john.doe@mail.com", "password1234",
...                     "5e505642-9024-474d-9434-e5a44f505cc5")
>>> result.profile.display
'Max Mustermann'
>>> session = ovok.Session("john.doe@mail.com", "password1234",
...                        "5e505642-9024-474d-9434-e5a44f505cc5")
>>> session.authorization_header()  # logs in, later refreshes
{'Authorization': 'Bearer eyJ...'}

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
from ._client import Client
from ._ffi import version as _library_version
from ._login import login, login_async, refresh, refresh_async
from ._session import Session
from ._tokens import LoginResult, Reference, TokenResult

__version__: str = _library_version()

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "Client",
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
    "Session",
    "TLSError",
    "TimeoutError",
    "TokenResult",
    "ValidationError",
    "__version__",
    "login",
    "login_async",
    "refresh",
    "refresh_async",
]
