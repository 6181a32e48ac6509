"""`Client`: a configured libovok client (timeouts, trust, proxy, User-Agent)."""

from __future__ import annotations

import ctypes
import math
import os

from . import _ffi
from ._errors import InternalError, OvokStatus, error_for
from ._login import encode, login_arguments, refresh_arguments, take
from ._managed import Managed
from ._tracebacks import async_without_secret_frames, without_secret_frames

# typing.TYPE_CHECKING without importing typing, which costs import time;
# type checkers recognise the name.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Any, Optional, Union

    from ._tokens import LoginResult, TokenResult

# Like `._login`, this imports `asyncio` and `._tokens` only where they are used.

_UINT32_MAX = 2**32 - 1


def _milliseconds(name: str, seconds: object) -> int:
    """Seconds as whole milliseconds for a `uint32_t` parameter.

    Only the type is judged here. A value a uint32 cannot hold is clamped to
    one the library refuses too (0 or UINT32_MAX), so that the message is
    always the library's.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"{name} must be int or float seconds, not {type(seconds).__name__}")
    milliseconds = seconds * 1000
    if math.isnan(milliseconds) or milliseconds <= 0:
        return 0
    if milliseconds >= _UINT32_MAX:
        return _UINT32_MAX
    return round(milliseconds)


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be bool, not {type(value).__name__}")
    return value


def _pem_bytes(value: object) -> bytes:
    if isinstance(value, str):
        return encode("ca_pem", value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"ca_pem must be bytes or str, not {type(value).__name__}")


def _path_text(value: object) -> bytes:
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"ca_file must be str or os.PathLike, not {type(value).__name__}")
    path = os.fspath(value)
    if not isinstance(path, str):
        raise TypeError("ca_file must be a str path, not bytes")
    return encode("ca_file", path)


class _Builder:
    """An `OvokClientBuilder` for the duration of one `Client.__init__`."""

    def __init__(self) -> None:
        self.pointer: Any = _ffi.lib.ovok_client_builder_new()
        if not self.pointer:
            raise InternalError(
                "ovok_client_builder_new returned NULL, which its header rules out",
                status=OvokStatus.INTERNAL,
            )

    def check(self, status: int) -> None:
        """Raises the builder's own message when a setter or the build failed."""
        if status != OvokStatus.OK:
            message = _ffi.read_string(
                _ffi.lib.ovok_client_builder_last_error(self.pointer)
            ) or _ffi.status_name(status)
            raise error_for(status, 0, message)

    def free(self) -> None:
        _ffi.lib.ovok_client_builder_free(self.pointer)


class Client(Managed):
    """A configured client with its own connection pool.

    Every option is keyword-only; None (or the default) keeps libovok's
    default:

    - `connect_timeout`: seconds to establish a connection (DNS, TCP, TLS).
      Default 10.
    - `total_timeout`: seconds for a whole call, from the DNS lookup to the
      last byte of the response. Default 30.
    - `ca_file`, `ca_pem`: trust the CA certificates in this PEM file / these
      PEM bytes. Once any CA is given, *only* the given CAs are trusted (like
      curl's ``--cacert``), not the system's. Default: none.
    - `platform_trust`: None or True trusts the operating system's
      certificates (on Linux, ``SSL_CERT_FILE`` or the system's CA bundle).
      True cannot be combined with `ca_file`/`ca_pem`. False asks for the
      Mozilla roots bundled in libovok, which only builds with the
      ``bundled-roots`` cargo feature have. Default None.
    - `proxy`: send every request but those to loopback through this HTTP
      proxy, ``http://[user:password@]host[:port]`` or ``host:port`` (https goes through
      CONNECT). SOCKS proxies are refused. Default None: the proxy from the
      environment, if any.
    - `proxy_from_env`: False ignores the proxy variables and connects
      directly. Default True: curl's rules, read on every request
      (``https_proxy``/``HTTPS_PROXY`` for https, then ``all_proxy``/``ALL_PROXY``;
      ``no_proxy``/``NO_PROXY`` exempts hosts; loopback is never proxied).
      An explicit `proxy` always wins.
    - `user_agent_suffix`: appended to the User-Agent, e.g. ``"myapp/2.1"``
      gives ``"ovok/0.1.0 myapp/2.1"``. Default None: ``ovok/<version>``.

    Only the types are checked in Python (TypeError). libovok judges the
    values, and a value it refuses (a timeout of 0 or over 600 s, a missing
    CA file, a malformed proxy URL, ...) raises `InvalidArgumentError` with
    a message naming the problem.

    A client may be used from many threads at once. Close it with `close()`
    or a ``with`` block to release its connection pool; calls in flight
    finish first, and a `Session` made with it keeps the pool alive for as
    long as it needs it (libovok counts the references). It cannot be
    copied or pickled (TypeError). Any call after `close()` raises ValueError. An unclosed
    client is freed when it is garbage-collected.
    """

    @without_secret_frames
    def __init__(
        self,
        *,
        connect_timeout: Optional[float] = None,
        total_timeout: Optional[float] = None,
        ca_file: Optional[Union[str, os.PathLike[str]]] = None,
        ca_pem: Optional[Union[bytes, str]] = None,
        platform_trust: Optional[bool] = None,
        proxy: Optional[str] = None,
        proxy_from_env: bool = True,
        user_agent_suffix: Optional[str] = None,
    ) -> None:
        # Convert everything first, so that a TypeError needs no builder.
        connect_ms = None if connect_timeout is None else _milliseconds(
            "connect_timeout", connect_timeout
        )
        total_ms = None if total_timeout is None else _milliseconds(
            "total_timeout", total_timeout
        )
        ca_file_c = None if ca_file is None else _path_text(ca_file)
        ca_pem_c = None if ca_pem is None else _pem_bytes(ca_pem)
        if platform_trust is not None:
            platform_trust = _flag("platform_trust", platform_trust)
        proxy_c = None if proxy is None else encode("proxy", proxy)
        proxy_from_env = _flag("proxy_from_env", proxy_from_env)
        suffix_c = None if user_agent_suffix is None else encode(
            "user_agent_suffix", user_agent_suffix
        )

        lib = _ffi.lib
        builder = _Builder()
        try:
            if connect_ms is not None:
                builder.check(
                    lib.ovok_client_builder_set_connect_timeout_ms(builder.pointer, connect_ms)
                )
            if total_ms is not None:
                builder.check(
                    lib.ovok_client_builder_set_total_timeout_ms(builder.pointer, total_ms)
                )
            if ca_file_c is not None:
                builder.check(lib.ovok_client_builder_add_ca_file(builder.pointer, ca_file_c))
            if ca_pem_c is not None:
                builder.check(
                    lib.ovok_client_builder_add_ca_pem(builder.pointer, ca_pem_c, len(ca_pem_c))
                )
            if platform_trust is not None:
                builder.check(
                    lib.ovok_client_builder_set_platform_trust(builder.pointer, platform_trust)
                )
            builder.check(
                lib.ovok_client_builder_set_proxy_from_env(builder.pointer, proxy_from_env)
            )
            if proxy_c is not None:
                builder.check(lib.ovok_client_builder_set_proxy(builder.pointer, proxy_c))
            if suffix_c is not None:
                builder.check(
                    lib.ovok_client_builder_set_user_agent_suffix(builder.pointer, suffix_c)
                )
            pointer = _ffi.ClientPointer()
            builder.check(lib.ovok_client_build(builder.pointer, ctypes.byref(pointer)))
            if not pointer:
                raise InternalError(
                    "ovok_client_build succeeded without a client", status=OvokStatus.INTERNAL
                )
        finally:
            builder.free()
        super().__init__(pointer, lib.ovok_client_free)

        shown = []
        for name, value in (
            ("connect_timeout", connect_timeout),
            ("total_timeout", total_timeout),
            ("ca_file", None if ca_file is None else os.fspath(ca_file)),
        ):
            if value is not None:
                shown.append(f"{name}={value!r}")
        if ca_pem_c is not None:
            shown.append(f"ca_pem=<{len(ca_pem_c)} bytes>")
        if platform_trust is not None:
            shown.append(f"platform_trust={platform_trust}")
        if proxy is not None:
            # A proxy URL may carry a password; libovok never prints it either.
            shown.append("proxy=<set>")
        if not proxy_from_env:
            shown.append("proxy_from_env=False")
        if user_agent_suffix is not None:
            shown.append(f"user_agent_suffix={user_agent_suffix!r}")
        self._shown_options = " ".join(shown)

    def __copy__(self) -> Client:
        raise TypeError("an ovok.Client cannot be copied; share the one you have")

    def __deepcopy__(self, memo: object) -> Client:
        raise TypeError("an ovok.Client cannot be copied; share the one you have")

    def __reduce_ex__(self, protocol: object) -> tuple[object, ...]:
        raise TypeError("an ovok.Client cannot be pickled")

    def __repr__(self) -> str:
        options = f" {self._shown_options}" if self._shown_options else ""
        return f"<ovok.Client{options} {'closed' if self.closed else 'open'}>"

    @without_secret_frames
    def login(
        self, email: str, password: str, client_id: str, *, base_url: Optional[str] = None
    ) -> LoginResult:
        """Like `ovok.login`, through this client's settings and connection pool.

        Raises:
            TypeError: an argument is not a str.
            ValueError: the client is closed.
            OvokError: the login failed; the subclass says why.
        """
        from ._tokens import login_result

        arguments = login_arguments(email, password, client_id, base_url)
        with self._borrow() as client:
            return take(_ffi.lib.ovok_client_login(client, *arguments), login_result)

    @without_secret_frames
    def refresh(self, refresh_token: str, *, base_url: Optional[str] = None) -> TokenResult:
        """Like `ovok.refresh`, through this client's settings and connection pool.

        Raises:
            TypeError: an argument is not a str.
            ValueError: the client is closed.
            AuthenticationError: the refresh token is expired, unknown or
                already used; log in again.
            OvokError: any other failure; the subclass says why.
        """
        from ._tokens import token_result

        arguments = refresh_arguments(refresh_token, base_url)
        with self._borrow() as client:
            return take(_ffi.lib.ovok_client_refresh(client, *arguments), token_result)

    @async_without_secret_frames
    async def login_async(
        self, email: str, password: str, client_id: str, *, base_url: Optional[str] = None
    ) -> LoginResult:
        """`login` in the event loop's default thread pool (`asyncio.to_thread`)."""
        login_arguments(email, password, client_id, base_url)
        import asyncio

        return await asyncio.to_thread(
            self.login, email, password, client_id, base_url=base_url
        )

    @async_without_secret_frames
    async def refresh_async(
        self, refresh_token: str, *, base_url: Optional[str] = None
    ) -> TokenResult:
        """`refresh` in the event loop's default thread pool (`asyncio.to_thread`)."""
        refresh_arguments(refresh_token, base_url)
        import asyncio

        return await asyncio.to_thread(self.refresh, refresh_token, base_url=base_url)
