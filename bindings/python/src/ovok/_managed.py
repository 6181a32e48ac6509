"""`Managed`: the base of Python objects that own a native libovok object."""

from __future__ import annotations

import contextlib
import threading
import weakref
# typing.TYPE_CHECKING without importing typing, which costs import time;
# type checkers recognise the name.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import TracebackType
    from typing import Any, Callable, Optional, TypeVar

    M = TypeVar("M", bound="Managed")


class Managed:
    """Owns one native object and frees it exactly once.

    Freed by `close()` (idempotent), by leaving a ``with`` block, or, as a
    fallback, by a finalizer when the Python object is garbage-collected.

    libovok forbids freeing an object while a call is using it, and Python
    cannot stop a thread mid-call, so `close()` does not free under a call in
    flight: calls `_borrow()` the pointer, and whichever of `close()` and the
    last borrower comes second frees it. New borrows after `close()` raise
    ValueError, like a closed file does.
    """

    def __init__(self, pointer: Any, free: Callable[[Any], None]) -> None:
        self.__lock = threading.Lock()
        self.__pointer = pointer
        self.__borrowers = 0
        self.__closed = False
        # The finalizer holds `free` and the pointer, never `self`.
        self.__finalizer = weakref.finalize(self, free, pointer)
        # Not at interpreter exit: a daemon thread may still be inside a call
        # then, and the process is about to hand all memory back anyway.
        # (setattr because typeshed declares `atexit` without its setter.)
        setattr(self.__finalizer, "atexit", False)

    @property
    def closed(self) -> bool:
        """True once `close()` has been called."""
        return self.__closed

    def close(self) -> None:
        """Frees the native object; calls in flight finish first. Safe to call twice."""
        with self.__lock:
            self.__closed = True
            idle = self.__borrowers == 0
        if idle:
            self.__finalizer()  # runs `free` at most once, ever

    @contextlib.contextmanager
    def _borrow(self) -> Iterator[Any]:
        """The pointer, kept alive until the ``with`` block ends.

        Raises:
            ValueError: the object is closed.
        """
        with self.__lock:
            if self.__closed:
                raise ValueError(f"this ovok.{type(self).__name__} is closed")
            self.__borrowers += 1
        try:
            yield self.__pointer
        finally:
            with self.__lock:
                self.__borrowers -= 1
                last = self.__closed and self.__borrowers == 0
            if last:
                self.__finalizer()

    def __enter__(self: M) -> M:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()
