#!/usr/bin/env bash
# Builds the C tests with clang's AddressSanitizer and UndefinedBehaviorSanitizer
# (LeakSanitizer included) and runs them against the emulator. Exits non-zero on
# any finding, or when a test itself fails.
#
# Usage: scripts/sanitizers.sh
#
# Only the C side is instrumented. The Rust library is linked as it ships
# (release-with-symbols, the release build with its symbols kept): its code is
# not compiled with the sanitizers, so an out-of-bounds access inside Rust code
# would go unseen here (safe Rust rules those out; the `unsafe` is confined to
# src/ffi). What is still checked across the boundary: every
# allocation goes through malloc, which ASan intercepts, so C reading a
# library-owned string past its end or after ovok_result_free, a double free,
# and memory the library never freed (LeakSanitizer) are all caught.
#
#   test_login           target/release-with-symbols/libovok.a
#   test_bad_input       target/release-with-symbols/libovok.a
#   test_panic_boundary  target/test-hooks/release-with-symbols/libovok.a
#                        (built with --features test-hooks)
#   test_cpp, test_cpp_noexcept   the C++ layer (include/ovok.hpp), by clang++,
#                        target/release-with-symbols/libovok.a
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
CARGO=${CARGO:-cargo}
started=$(date +%s.%N)

elapsed() { # seconds since $1, one decimal
  awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}

# --- clang and its sanitizer runtime, from Debian's packages -----------------
scripts/install-deps.sh clang clang++
probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT
printf 'int main(void) { return 0; }\n' >"$probe_dir/probe.c"
if ! clang -fsanitize=address,undefined "$probe_dir/probe.c" -o "$probe_dir/probe" 2>/dev/null; then
  # Debian ships the runtime (libclang_rt.asan...) apart from clang itself.
  major=$(clang -dumpversion | cut -d. -f1)
  scripts/install-deps.sh --package "libclang-rt-$major-dev"
  clang -fsanitize=address,undefined "$probe_dir/probe.c" -o "$probe_dir/probe"
fi

# --- the libraries and the emulator --------------------------------------------
step=$(date +%s.%N)
$CARGO build --release -p ovok-emulator
$CARGO build --profile release-with-symbols -p ovok
$CARGO build --profile release-with-symbols -p ovok --features test-hooks --target-dir target/test-hooks
echo "sanitizers: cargo builds took $(elapsed "$step") s"

# --- the instrumented test programs ---------------------------------------------
out=target/sanitizers
mkdir -p "$out"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
# shellcheck disable=SC2054 # one flag: -fsanitize takes a comma-separated list
sanitize=(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
cflags=(-std=c99 -Wall -Wextra -Wpedantic -Werror -O1 -g -pthread -Iinclude -Itests/c)
cxxflags=(-std=c++17 -Wall -Wextra -Wpedantic -Werror -O1 -g -pthread -Iinclude -Itests/c)
# What `rustc --print native-static-libs` reports (the Makefile's NATIVE_STATIC_LIBS).
native_libs=(-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc)
shipping=target/release-with-symbols/libovok.a
hooked=target/test-hooks/release-with-symbols/libovok.a

step=$(date +%s.%N)
clang "${cflags[@]}" "${sanitize[@]}" -DOVOK_EXPECTED_VERSION="\"$version\"" tests/c/test_login.c \
  -o "$out/test_login" "$shipping" "${native_libs[@]}"
clang "${cflags[@]}" "${sanitize[@]}" tests/c/test_bad_input.c \
  -o "$out/test_bad_input" "$shipping" "${native_libs[@]}"
clang "${cflags[@]}" "${sanitize[@]}" tests/c/test_panic_boundary.c \
  -o "$out/test_panic_boundary" "$hooked" "${native_libs[@]}"
clang++ "${cxxflags[@]}" "${sanitize[@]}" -DOVOK_EXPECTED_VERSION="\"$version\"" tests/c/test_cpp.cpp \
  -o "$out/test_cpp" "$shipping" "${native_libs[@]}"
clang++ "${cxxflags[@]}" "${sanitize[@]}" -fno-exceptions tests/c/test_cpp_noexcept.cpp \
  -o "$out/test_cpp_noexcept" "$shipping" "${native_libs[@]}"
echo "sanitizers: clang builds took $(elapsed "$step") s"

# --- run them -------------------------------------------------------------------
# The sanitizers share one exit code (their common `exitcode` flag), which tells
# a finding from a failed CHECK (exit 1); the report itself says which sanitizer.
finding_exit=86
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:exitcode=$finding_exit:strict_string_checks=1:check_initialization_order=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=$finding_exit"
export LSAN_OPTIONS="exitcode=$finding_exit"
# No LeakSanitizer suppression is needed today: the one-time Rust thread handle of
# the C main thread (see tests/c/valgrind.supp) is still referenced from its
# thread-local slot at exit, so LSan counts it as reachable. Add one here if that changes.
if [ -f tests/c/lsan.supp ]; then
  export LSAN_OPTIONS="$LSAN_OPTIONS:suppressions=$root/tests/c/lsan.supp:print_suppressions=0"
fi
# The panic test's deliberate panics print a message each; a backtrace adds nothing.
export RUST_BACKTRACE=0

failures=0
summary=()
for test in test_login test_bad_input test_panic_boundary test_cpp test_cpp_noexcept; do
  step=$(date +%s.%N)
  log="$out/$test.log"
  set +e
  # shellcheck disable=SC2016 # expanded by the inner shell, which with-emulator.sh gives OVOK_BASE_URL
  scripts/with-emulator.sh sh -c '"$0" "$OVOK_BASE_URL"' "$out/$test" 2>&1 | tee "$log"
  code=${PIPESTATUS[0]}
  set -e
  if [ "$code" -eq 0 ]; then
    verdict="clean"
  elif [ "$code" -eq "$finding_exit" ]; then
    kinds=$(grep -o -E 'ERROR: (AddressSanitizer|LeakSanitizer): [a-z-]+( [a-z-]+)*|runtime error' "$log" |
      sed 's/^ERROR: //' | sort -u | paste -sd, -)
    verdict="SANITIZER FINDING: ${kinds:-see the report above}"
  elif [ "$code" -eq 1 ]; then
    verdict="TEST FAILED (a CHECK failed; no sanitizer report)"
  else
    verdict="FAILED (exit $code)"
  fi
  [ "$code" -eq 0 ] || failures=$((failures + 1))
  summary+=("$(printf '%-20s %6s s  %s' "$test" "$(elapsed "$step")" "$verdict")")
done

echo
echo "sanitizers: address,undefined,leak on the C side; the Rust library is not instrumented"
printf '  %s\n' "${summary[@]}"
echo "sanitizers: $failures of ${#summary[@]} programs failed; total $(elapsed "$started") s"
[ "$failures" -eq 0 ]
