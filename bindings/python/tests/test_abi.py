"""The ctypes declarations against include/ovok.h, the contract."""

from __future__ import annotations

import ctypes
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import ovok
from ovok import _ffi

from conftest import REPO_ROOT

HEADER = REPO_ROOT / "include" / "ovok.h"


def _without_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def _header() -> str:
    if not HEADER.is_file():
        pytest.fail(f"{HEADER} is missing")
    return _without_comments(HEADER.read_text(encoding="utf-8"))


def _header_struct_fields() -> list[str]:
    body = re.search(r"typedef struct OvokResult \{(.*?)\} OvokResult;", _header(), re.S)
    assert body is not None, "struct OvokResult not found in ovok.h"
    declarations = [d.strip() for d in body.group(1).split(";") if d.strip()]
    return [re.split(r"[\s*]+", declaration)[-1] for declaration in declarations]


def test_structure_field_names_match_the_header_in_order() -> None:
    names = [field[0] for field in _ffi.OvokResult._fields_]
    assert names == _header_struct_fields()


def test_structure_offsets_and_size_match_a_c_compiler(tmp_path: Path) -> None:
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        pytest.skip("no C compiler to ask for offsetof()")
    fields = _header_struct_fields()
    prints = "\n".join(
        f'    printf("{name} %zu\\n", offsetof(OvokResult, {name}));' for name in fields
    )
    source = tmp_path / "offsets.c"
    source.write_text(
        "#include <stddef.h>\n#include <stdio.h>\n#include \"ovok.h\"\n"
        "int main(void) {\n"
        f"{prints}\n"
        '    printf("sizeof %zu\\n", sizeof(OvokResult));\n'
        '    printf("enum %zu\\n", sizeof(OvokStatus));\n'
        "    return 0;\n}\n",
        encoding="utf-8",
    )
    program = tmp_path / "offsets"
    subprocess.run(
        [compiler, "-std=c99", "-I", str(HEADER.parent), str(source), "-o", str(program)],
        check=True,
    )
    output = subprocess.run([str(program)], check=True, capture_output=True, text=True).stdout
    expected = dict(line.split() for line in output.splitlines())

    actual = {name: getattr(_ffi.OvokResult, name).offset for name in fields}
    assert actual == {name: int(expected[name]) for name in fields}
    assert ctypes.sizeof(_ffi.OvokResult) == int(expected["sizeof"])
    assert ctypes.sizeof(ctypes.c_uint32) == int(expected["enum"])


def test_status_enum_mirrors_the_header() -> None:
    values = {
        name: int(value)
        for name, value in re.findall(r"OVOK_STATUS_(\w+) = (\d+)", _header())
    }
    assert values == {status.name: status.value for status in ovok.OvokStatus}


def test_status_names_come_from_the_library() -> None:
    for status in ovok.OvokStatus:
        assert _ffi.status_name(status) == f"OVOK_STATUS_{status.name}"
    assert _ffi.status_name(999) == "OVOK_STATUS_UNKNOWN"
    assert _ffi.status_name(-1) == "OVOK_STATUS_UNKNOWN"


def test_every_header_function_is_declared() -> None:
    functions = re.findall(r"\b(ovok_\w+)\s*\(", _header())
    assert sorted(set(functions)) == [
        "ovok_client_build",
        "ovok_client_builder_add_ca_file",
        "ovok_client_builder_add_ca_pem",
        "ovok_client_builder_free",
        "ovok_client_builder_last_error",
        "ovok_client_builder_new",
        "ovok_client_builder_set_connect_timeout_ms",
        "ovok_client_builder_set_platform_trust",
        "ovok_client_builder_set_proxy",
        "ovok_client_builder_set_proxy_from_env",
        "ovok_client_builder_set_total_timeout_ms",
        "ovok_client_builder_set_user_agent_suffix",
        "ovok_client_free",
        "ovok_client_login",
        "ovok_client_refresh",
        "ovok_login",
        "ovok_refresh",
        "ovok_result_free",
        "ovok_session_access_token",
        "ovok_session_free",
        "ovok_session_invalidate",
        "ovok_session_invalidate_token",
        "ovok_session_login",
        "ovok_session_logout",
        "ovok_session_new",
        "ovok_session_restore",
        "ovok_session_set_token_listener",
        "ovok_status_name",
        "ovok_version",
    ]
    for name in functions:
        function = getattr(_ffi.lib, name)
        assert function.argtypes is not None, f"{name} has no argtypes"
        # A c_char_p restype would copy the string and lose the pointer to free.
        assert function.restype is not ctypes.c_char_p, f"{name} returns c_char_p"
    result = ctypes.POINTER(_ffi.OvokResult)
    for name in ("ovok_login", "ovok_client_login", "ovok_refresh", "ovok_client_refresh"):
        assert getattr(_ffi.lib, name).restype == result, name
    for name in ("ovok_result_free", "ovok_client_builder_free", "ovok_client_free"):
        assert getattr(_ffi.lib, name).restype is None, name
    assert _ffi.lib.ovok_version.restype is ctypes.c_void_p
    assert _ffi.lib.ovok_status_name.restype is ctypes.c_void_p
    assert _ffi.lib.ovok_client_builder_last_error.restype is ctypes.c_void_p
    assert _ffi.lib.ovok_client_builder_new.restype == ctypes.POINTER(_ffi.OvokClientBuilder)


def test_argument_counts_match_the_header() -> None:
    declarations = re.findall(r"\b(ovok_\w+)\s*\(([^)]*)\)", _header())
    for name, parameters in declarations:
        count = 0 if parameters.strip() in ("", "void") else parameters.count(",") + 1
        assert len(getattr(_ffi.lib, name).argtypes) == count, name


def test_a_builder_is_not_accepted_where_a_client_is_expected() -> None:
    builder = _ffi.lib.ovok_client_builder_new()
    try:
        with pytest.raises(ctypes.ArgumentError):
            _ffi.lib.ovok_client_free(builder)
    finally:
        _ffi.lib.ovok_client_builder_free(builder)


def test_no_returned_string_field_is_c_char_p() -> None:
    for field in _ffi.OvokResult._fields_:
        assert field[1] is not ctypes.c_char_p, field[0]
