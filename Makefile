# The two commands in the README: `make demo` and `make test`.
# `make bench` (not part of `make test`) measures performance.

CARGO ?= cargo
RELEASE := target/release
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)

CFLAGS := -std=c99 -Wall -Wextra -Wpedantic -Werror -O1 -g -pthread -Iinclude -Itests/c
CXXFLAGS := -std=c++11 -Wall -Wextra -Werror -Iinclude
# What `rustc --print native-static-libs` reports for libovok.a on Linux;
# `make check-native-libs` verifies it.
NATIVE_STATIC_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
# Valgrind runs on the same optimised build with its symbols kept, so that
# reports are readable and tests/c/valgrind.supp can name what it suppresses.
CHECKED := target/release-with-symbols
link_shared = -L$(1) -lovok -Wl,-rpath,$(abspath $(1))
link_static = $(1)/libovok.a $(NATIVE_STATIC_LIBS)
LINK_SHARED := $(call link_shared,$(RELEASE))
VALGRIND := valgrind --quiet --error-exitcode=1 --leak-check=full \
	--show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible \
	--suppressions=tests/c/valgrind.supp

# The same build with the `test-hooks` feature, whose deliberate panic proves the panic boundary.
HOOKED := target/test-hooks/release-with-symbols
C_BIN := $(RELEASE)/c-tests
EXAMPLES_BIN := $(RELEASE)/examples-c
WITH_EMULATOR := scripts/with-emulator.sh

.PHONY: emulator-contract emulator-load test-swift
.PHONY: all build demo test deps lint rust-test c-test sanitizers python-test budgets bench fuzz check-native-libs clean

all: build

deps:
	@scripts/install-deps.sh gcc g++ valgrind tinyproxy openssl
	@scripts/install-deps.sh clang++ cmake pkg-config readelf

build:
	$(CARGO) build --release -p ovok -p ovok-emulator
	$(call soname_link,$(RELEASE))

$(EXAMPLES_BIN)/login: examples/login.c include/ovok.h build
	@mkdir -p $(EXAMPLES_BIN)
	gcc $(CFLAGS) $< -o $@ $(LINK_SHARED)

demo: deps build $(EXAMPLES_BIN)/login
	@scripts/demo.sh

test: deps lint rust-test c-test cpp-test test-install sanitizers python-test budgets emulator-contract emulator-load test-swift
	@echo "make test: all suites passed"

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy -p ovok --all-targets --features bundled-roots,tls12 -- -D warnings

# The optional features (bundled Mozilla roots, TLS 1.2) get the tests that
# they change: the TLS settings and the trust options.
rust-test:
	$(CARGO) test --workspace
	$(CARGO) test -p ovok --features test-hooks --test panic_boundary
	$(CARGO) test -p ovok --features bundled-roots,tls12 --lib --test client_ffi --test login_tls

# The emulator against its published contract (schemathesis, pinned, in a
# venv under target/), and under load (wrk, 64 keep-alive connections: counts
# errors and timeouts, asserts no speed).
emulator-contract: build
	scripts/emulator-contract.sh

emulator-load: build
	scripts/emulator-load.sh 5

TEST_LOGIN_C := $(CFLAGS) -DOVOK_EXPECTED_VERSION='"$(VERSION)"' tests/c/test_login.c

c-test: build $(EXAMPLES_BIN)/login
	$(CARGO) build --profile release-with-symbols -p ovok
	$(call soname_link,$(CHECKED))
	@mkdir -p $(C_BIN)
	gcc $(TEST_LOGIN_C) -o $(C_BIN)/test_login_shared $(LINK_SHARED)
	gcc $(TEST_LOGIN_C) -o $(C_BIN)/test_login_static $(call link_static,$(RELEASE))
	gcc $(TEST_LOGIN_C) -o $(C_BIN)/test_login_shared_checked $(call link_shared,$(CHECKED))
	gcc $(TEST_LOGIN_C) -o $(C_BIN)/test_login_static_checked $(call link_static,$(CHECKED))
	g++ $(CXXFLAGS) tests/c/header_cpp.cpp -o $(C_BIN)/header_cpp $(LINK_SHARED)
	gcc $(CFLAGS) examples/quickstart.c -o $(C_BIN)/quickstart $(call link_static,$(RELEASE))
	g++ $(CXX17FLAGS) examples/quickstart.cpp -o $(C_BIN)/quickstart_cpp $(LINK_SHARED)
	$(C_BIN)/header_cpp
	scripts/check-readme-example.sh README.md examples/quickstart.c
	scripts/check-readme-example.sh README.md examples/quickstart.cpp
	$(WITH_EMULATOR) tests/c/test_examples.sh $(EXAMPLES_BIN)/login $(C_BIN)/quickstart $(C_BIN)/quickstart_cpp
	$(WITH_EMULATOR) sh -c '$(C_BIN)/test_login_shared "$$OVOK_BASE_URL"'
	$(WITH_EMULATOR) sh -c '$(C_BIN)/test_login_static "$$OVOK_BASE_URL"'
	$(WITH_EMULATOR) sh -c '$(VALGRIND) $(C_BIN)/test_login_shared_checked "$$OVOK_BASE_URL"'
	$(WITH_EMULATOR) sh -c '$(VALGRIND) $(C_BIN)/test_login_static_checked "$$OVOK_BASE_URL"'
	$(CARGO) build --profile release-with-symbols -p ovok --features test-hooks --target-dir target/test-hooks
	gcc $(CFLAGS) tests/c/test_bad_input.c -o $(C_BIN)/test_bad_input_shared $(LINK_SHARED)
	gcc $(CFLAGS) tests/c/test_bad_input.c -o $(C_BIN)/test_bad_input_static $(call link_static,$(RELEASE))
	gcc $(CFLAGS) tests/c/test_bad_input.c -o $(C_BIN)/test_bad_input_static_checked $(call link_static,$(CHECKED))
	gcc $(CFLAGS) tests/c/test_panic_boundary.c -o $(C_BIN)/test_panic_boundary $(call link_static,$(HOOKED))
	$(WITH_EMULATOR) sh -c '$(C_BIN)/test_bad_input_shared "$$OVOK_BASE_URL"'
	$(WITH_EMULATOR) sh -c '$(C_BIN)/test_bad_input_static "$$OVOK_BASE_URL"'
	$(WITH_EMULATOR) sh -c '$(VALGRIND) $(C_BIN)/test_bad_input_static_checked "$$OVOK_BASE_URL"'
	$(WITH_EMULATOR) sh -c '$(VALGRIND) $(C_BIN)/test_panic_boundary "$$OVOK_BASE_URL"'
	# Sessions (issue 11): single flight, rotation, logout, freeing a client mid-call.
	gcc $(CFLAGS) tests/c/test_session.c -o $(C_BIN)/test_session_checked $(call link_shared,$(CHECKED))
	$(WITH_EMULATOR) --latency 50 -- sh -c '$(VALGRIND) $(C_BIN)/test_session_checked "$$OVOK_BASE_URL"'

# The C tests again, built by clang with AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer.
sanitizers: c-test
	scripts/sanitizers.sh

# Builds the manylinux2014 wheel (glibc 2.17 via cargo-zigbuild), checks it with auditwheel,
# runs mypy --strict, and runs pytest on the wheel installed into a fresh venv.
python-test: build
	bindings/python/run_tests.sh

# The Swift package (bindings/swift): `swift test` against the emulator, with swift from PATH
# or, on Linux without it, a Debian 13 root with Debian's swiftlang (made once; needs root).
test-swift: build
	@scripts/install-deps.sh shellcheck python3
	shellcheck scripts/swift-toolchain.sh scripts/swift-test.sh bindings/swift/build-xcframework.sh
	scripts/swift-test.sh

# Size and memory budgets (deterministic); part of `make test`.
budgets: build
	scripts/check-budgets.sh

# Latency against libcurl, requests, httpx and a raw-socket floor; writes docs/BENCHMARKS.md.
bench: build
	scripts/bench.sh

# Fuzzes response parsing, base URLs and JWT expiry for SECONDS each (default 60); not in `make test`.
fuzz:
	scripts/fuzz.sh $(SECONDS)

# ---- C++ (include/ovok.hpp) and installing (make install, make uninstall) ----
.PHONY: cpp-test install uninstall test-install

CXX17FLAGS := -std=c++17 -Wall -Wextra -Wpedantic -Werror -O1 -g -pthread -Iinclude -Itests/c
CPP_BIN := $(RELEASE)/cpp-tests
TEST_CPP := $(CXX17FLAGS) -DOVOK_EXPECTED_VERSION='"$(VERSION)"' tests/c/test_cpp.cpp
TEST_CPP_NOEXCEPT := $(CXX17FLAGS) -fno-exceptions tests/c/test_cpp_noexcept.cpp
# Debian's valgrind cannot read the DWARF 5 that clang writes by default.
CLANG_FOR_VALGRIND := -gdwarf-4
# build.rs gives libovok.so the SONAME libovok.so.<major>, the name that programs
# linked against it look for at run time; this link lets them find it in a build directory.
soname_link = ln -sfn libovok.so $(1)/libovok.so.$(firstword $(subst ., ,$(VERSION)))

# The C++ tests, by g++ and clang++, against the shared, static, valgrind and
# test-hooks builds; scripts/sanitizers.sh runs them under ASan/UBSan.
cpp-test: build
	@scripts/install-deps.sh g++ clang++
	$(CARGO) build --profile release-with-symbols -p ovok
	$(call soname_link,$(CHECKED))
	$(CARGO) build --profile release-with-symbols -p ovok --features test-hooks --target-dir target/test-hooks
	@mkdir -p $(CPP_BIN)
	g++ $(TEST_CPP) -o $(CPP_BIN)/test_cpp_gcc $(LINK_SHARED)
	clang++ $(TEST_CPP) -o $(CPP_BIN)/test_cpp_clang $(call link_static,$(RELEASE))
	g++ $(TEST_CPP) -o $(CPP_BIN)/test_cpp_checked $(call link_shared,$(CHECKED))
	clang++ $(TEST_CPP) $(CLANG_FOR_VALGRIND) -DOVOK_TEST_HOOKS -o $(CPP_BIN)/test_cpp_hooked $(call link_static,$(HOOKED))
	g++ $(TEST_CPP_NOEXCEPT) -o $(CPP_BIN)/test_cpp_noexcept_gcc $(LINK_SHARED)
	clang++ $(TEST_CPP_NOEXCEPT) $(CLANG_FOR_VALGRIND) -o $(CPP_BIN)/test_cpp_noexcept_clang $(call link_static,$(CHECKED))
	$(WITH_EMULATOR) sh -c '$(CPP_BIN)/test_cpp_gcc "$$OVOK_BASE_URL"'
	$(WITH_EMULATOR) sh -c '$(CPP_BIN)/test_cpp_clang "$$OVOK_BASE_URL"'
	$(WITH_EMULATOR) sh -c '$(VALGRIND) $(CPP_BIN)/test_cpp_checked "$$OVOK_BASE_URL"'
	$(WITH_EMULATOR) sh -c 'RUST_BACKTRACE=0 $(VALGRIND) $(CPP_BIN)/test_cpp_hooked "$$OVOK_BASE_URL"'
	$(WITH_EMULATOR) sh -c '$(CPP_BIN)/test_cpp_noexcept_gcc "$$OVOK_BASE_URL"'
	$(WITH_EMULATOR) sh -c '$(VALGRIND) $(CPP_BIN)/test_cpp_noexcept_clang "$$OVOK_BASE_URL"'

# make install PREFIX=/usr/local DESTDIR= (also LIBDIR, INCLUDEDIR): see scripts/install.sh.
PREFIX ?= /usr/local
INSTALL_ENV = PREFIX='$(PREFIX)' DESTDIR='$(DESTDIR)' LIBDIR='$(LIBDIR)' INCLUDEDIR='$(INCLUDEDIR)' CARGO='$(CARGO)'

install: build
	@$(INSTALL_ENV) scripts/install.sh install

uninstall:
	@$(INSTALL_ENV) scripts/install.sh uninstall

# Installs into scratch prefixes and builds pkg-config and CMake consumers from there.
test-install: build
	@scripts/install-deps.sh gcc cmake pkg-config readelf
	$(WITH_EMULATOR) tests/c/test_install.sh

check-native-libs:
	@reported=$$($(CARGO) rustc --release -p ovok --lib --crate-type staticlib --target-dir target/native-libs \
		-- --print native-static-libs 2>&1 | sed -n 's/.*native-static-libs: //p'); \
	for lib in $$reported; do case " $(NATIVE_STATIC_LIBS) " in *" $$lib "*) ;; \
		*) echo "NATIVE_STATIC_LIBS lacks $$lib (rustc reports: $$reported)"; exit 1;; esac; done; \
	echo "native static libs match: $$reported"

clean:
	$(CARGO) clean
