"""Exceptions leave ovok without the frames that hold secrets.

Crash reporters record the local variables of every frame in a traceback
(Sentry does by default), and the frames of a failed login hold the password:
as a parameter, in the tuple of encoded C arguments, in `bytes` buffers. So a
public call that takes or handles a secret is wrapped: when it fails, the
exception (and its `__cause__` and `__context__`) loses the traceback below
the wrapper, the wrapper deletes its own arguments, and only then re-raises.
What the exception says (its class, status and message) is unchanged; the
frames inside ovok are what is given up.
"""

from __future__ import annotations

# typing.TYPE_CHECKING without importing typing, which costs import time.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Any, Callable, TypeVar

    F = TypeVar("F", bound=Callable[..., Any])


def _detach(error: BaseException) -> BaseException:
    """`error` and every exception chained to it, without their tracebacks."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        current.__traceback__ = None
        pending.extend((current.__cause__, current.__context__))
    return error


def _like(wrapper: Any, function: Any) -> None:
    for name in ("__module__", "__name__", "__qualname__", "__doc__", "__annotations__"):
        setattr(wrapper, name, getattr(function, name))
    wrapper.__wrapped__ = function


def without_secret_frames(function: F) -> F:
    """Wraps a function that takes or handles a secret (see the module docs)."""

    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except BaseException as error:
            failure = _detach(error)
        del args, kwargs
        raise failure

    _like(call, function)
    return call  # type: ignore[return-value]


def async_without_secret_frames(function: F) -> F:
    """`without_secret_frames` for a coroutine function."""

    async def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return await function(*args, **kwargs)
        except BaseException as error:
            failure = _detach(error)
        del args, kwargs
        raise failure

    _like(call, function)
    return call  # type: ignore[return-value]
