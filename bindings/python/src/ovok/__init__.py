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
    LoginRequiredError,
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

__version__: str = _library_version()

# The result classes are dataclasses, and `dataclasses` takes longer to import
# than the rest of ovok together, so `._tokens` is imported on first use: by
# the first login or refresh, or by the first access to one of these names
# (`ovok.LoginResult`, `from ovok import LoginResult`), through `__getattr__`.
_LAZY = ("LoginResult", "Reference", "TokenResult")

# typing.TYPE_CHECKING without importing typing, which costs import time;
# type checkers recognise the name.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from ._tokens import LoginResult, Reference, TokenResult
else:
    # Hidden from type checkers, which see the import above instead: a
    # visible module __getattr__ would make them accept any `ovok.<name>`.

    def __getattr__(name: str) -> object:
        if name in _LAZY:
            from . import _tokens

            value = getattr(_tokens, name)
            globals()[name] = value  # later lookups do not come back here
            return value
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(_LAZY))

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ConnectionError",
    "HTTPError",
    "InternalError",
    "InvalidArgumentError",
    "InvalidResponseError",
    "LoginRequiredError",
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
