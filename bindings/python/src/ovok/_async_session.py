"""`AsyncSession`: the API of `Session` for asyncio, without blocking the event loop."""

from __future__ import annotations

from ._session import Session

# typing.TYPE_CHECKING without importing typing, which costs import time;
# type checkers recognise the name.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from datetime import datetime
    from types import TracebackType
    from typing import Callable, Optional, TypeVar, Union

    from ._client import Client
    from ._session import TokenCallback
    from ._tokens import TokenResult

    T = TypeVar("T")


async def _in_thread(call: Callable[[], T]) -> T:
    """`call()` in the loop's default executor; the loop runs on meanwhile.

    Cancelling the awaiting task does not interrupt the call (Python cannot
    stop a thread): a call already running finishes in its thread, the
    session keeps what it got (a refresh's rotated token is not lost), the
    native result is freed as always, and only the Python value is dropped.
    A call still queued for a thread is dropped without running.
    """
    # Imported here: `import ovok` stays free of asyncio (tests/test_import_cost.py).
    import asyncio

    return await asyncio.get_running_loop().run_in_executor(None, call)


class AsyncSession:
    """`Session` for asyncio: the same session, its blocking calls in threads.

    Every method that may reach the network, or wait for another caller's
    refresh, is a coroutine that runs the `Session` call in the event loop's
    default executor, so the loop never blocks. Refreshes are single-flight
    across tasks and threads alike: 100 tasks awaiting `access_token()` on an
    expired session cause one refresh, and all get its token.

    Cancellation-safe: cancelling a task that awaits a call neither breaks
    the session nor leaks (see `_in_thread`).

    Build one with the arguments of `Session`, or wrap an existing one with
    `AsyncSession.wrap(session)` to share it with threaded code.
    """

    __slots__ = ("_session",)

    def __init__(
        self,
        email: Optional[str] = None,
        password: Optional[str] = None,
        client_id: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        refresh_margin: float = 60,
        client: Optional[Client] = None,
        on_tokens: Optional[TokenCallback] = None,
    ) -> None:
        self._session = Session(
            email,
            password,
            client_id,
            base_url=base_url,
            refresh_margin=refresh_margin,
            client=client,
            on_tokens=on_tokens,
        )

    @classmethod
    def wrap(cls, session: Session) -> AsyncSession:
        """An `AsyncSession` over `session`: both see the same tokens."""
        if not isinstance(session, Session):
            raise TypeError(f"session must be an ovok.Session, not {type(session).__name__}")
        wrapped = cls.__new__(cls)
        wrapped._session = session
        return wrapped

    @property
    def session(self) -> Session:
        """The underlying thread-based `Session` (for threads, or a sync library)."""
        return self._session

    async def access_token(self) -> str:
        """A valid access token, renewed first if needed (see `Session.access_token`)."""
        session = self._session
        return await _in_thread(lambda: session.access_token)

    async def tokens(self) -> TokenResult:
        """The current tokens, renewed first if needed (see `Session.tokens`)."""
        return await _in_thread(self._session.tokens)

    async def authorization_header(self) -> dict[str, str]:
        """``{"Authorization": "Bearer <access token>"}``, renewed first if needed."""
        return {"Authorization": f"Bearer {await self.access_token()}"}

    async def invalidate(self, access_token: Optional[str] = None) -> None:
        """Marks the access token stale, as `Session.invalidate` does."""
        await _in_thread(lambda: self._session.invalidate(access_token))

    async def restore(
        self,
        refresh_token: str,
        access_token: Optional[str] = None,
        expires_at: Optional[Union[datetime, int, float]] = None,
    ) -> None:
        """Adopts tokens saved earlier (see `Session.restore`)."""
        await _in_thread(lambda: self._session.restore(refresh_token, access_token, expires_at))

    async def logout(self) -> None:
        """Signs out, clearing the tokens first (see `Session.logout`)."""
        await _in_thread(self._session.logout)

    async def close(self) -> None:
        """Closes the underlying session (see `Session.close`). Idempotent."""
        await _in_thread(self._session.close)

    @property
    def closed(self) -> bool:
        return self._session.closed

    async def __aenter__(self) -> AsyncSession:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<ovok.AsyncSession over {self._session!r}>"


def underlying_session(session: Union[Session, AsyncSession]) -> Session:
    """The `Session` behind `session`, for the auth classes; TypeError otherwise."""
    if isinstance(session, AsyncSession):
        session = session.session
    if not isinstance(session, Session):
        raise TypeError(
            "session must be an ovok.Session or an ovok.AsyncSession, "
            f"not {type(session).__name__}"
        )
    return session
