"""The exception hierarchy, without any network."""

from __future__ import annotations

import builtins
import copy
import pickle

import pytest

import ovok
from ovok import _errors

EXPECTED_CLASSES = {
    ovok.OvokStatus.INVALID_ARGUMENT: ovok.InvalidArgumentError,
    ovok.OvokStatus.BAD_REQUEST: ovok.BadRequestError,
    ovok.OvokStatus.UNAUTHORIZED: ovok.AuthenticationError,
    ovok.OvokStatus.NOT_FOUND: ovok.NotFoundError,
    ovok.OvokStatus.UNPROCESSABLE: ovok.ValidationError,
    ovok.OvokStatus.SERVER_ERROR: ovok.ServerError,
    ovok.OvokStatus.HTTP_ERROR: ovok.HTTPError,
    ovok.OvokStatus.CONNECTION: ovok.ConnectionError,
    ovok.OvokStatus.TIMEOUT: ovok.TimeoutError,
    ovok.OvokStatus.TLS: ovok.TLSError,
    ovok.OvokStatus.INVALID_RESPONSE: ovok.InvalidResponseError,
    ovok.OvokStatus.INTERNAL: ovok.InternalError,
    ovok.OvokStatus.LOGIN_REQUIRED: ovok.LoginRequiredError,
}


def test_one_class_per_failure_status() -> None:
    assert set(EXPECTED_CLASSES) == set(ovok.OvokStatus) - {ovok.OvokStatus.OK}
    for status, cls in EXPECTED_CLASSES.items():
        error = _errors.error_for(status.value, 0, "boom")
        assert type(error) is cls
        assert isinstance(error, ovok.OvokError)
        assert error.status is status
        assert str(error) == error.message == "boom"


def test_an_unknown_future_status_is_a_plain_ovok_error() -> None:
    error = _errors.error_for(99, 418, "new kind of failure")
    assert type(error) is ovok.OvokError
    assert error.status == 99
    assert error.http_status == 418


def test_shadowing_names_also_subclass_the_builtins() -> None:
    assert issubclass(ovok.ConnectionError, builtins.ConnectionError)
    assert issubclass(ovok.ConnectionError, OSError)
    assert issubclass(ovok.TimeoutError, builtins.TimeoutError)
    assert issubclass(ovok.TimeoutError, OSError)
    with pytest.raises(builtins.ConnectionError):
        raise _errors.error_for(ovok.OvokStatus.CONNECTION, 0, "refused")
    with pytest.raises(builtins.TimeoutError):
        raise _errors.error_for(ovok.OvokStatus.TIMEOUT, 0, "slow")


def test_repr_shows_class_status_and_http_status() -> None:
    error = _errors.error_for(ovok.OvokStatus.UNAUTHORIZED, 401, "Invalid email or password")
    assert repr(error) == (
        "AuthenticationError('Invalid email or password', "
        "status=<OvokStatus.UNAUTHORIZED: 3>, http_status=401)"
    )


@pytest.mark.parametrize("status", list(EXPECTED_CLASSES))
def test_errors_survive_pickle_and_copy(status: ovok.OvokStatus) -> None:
    error = _errors.error_for(status, 503, "unavailable")
    for clone in (pickle.loads(pickle.dumps(error)), copy.copy(error)):
        assert type(clone) is type(error)
        assert (clone.status, clone.http_status, clone.message) == (status, 503, "unavailable")


def test_public_names() -> None:
    for name in ovok.__all__:
        assert hasattr(ovok, name), name
    for cls in EXPECTED_CLASSES.values():
        assert cls.__name__ in ovok.__all__
