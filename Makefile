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

.PHONY: all build demo test deps lint rust-test c-test sanitizers python-test budgets bench fuzz check-native-libs clean

all: build

deps:
	@scripts/install-deps.sh gcc g++ valgrind tinyproxy openssl

build:
	$(CARGO) build --release -p ovok -p ovok-emulator

$(EXAMPLES_BIN)/login: examples/login.c include/ovok.h build
	@mkdir -p $(EXAMPLES_BIN)
	gcc $(CFLAGS) $< -o $@ $(LINK_SHARED)

demo: deps build $(EXAMPLES_BIN)/login
	@scripts/demo.sh

test: deps lint rust-test c-test sanitizers python-test budgets
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

TEST_LOGIN_C := $(CFLAGS) -DOVOK_EXPECTED_VERSION='"$(VERSION)"' tests/c/test_login.c

c-test: build $(EXAMPLES_BIN)/login
	$(CARGO) build --profile release-with-symbols -p ovok
	@mkdir -p $(C_BIN)
	gcc $(TEST_LOGIN_C) -o $(C_BIN)/test_login_shared $(LINK_SHARED)
	gcc $(TEST_LOGIN_C) -o $(C_BIN)/test_login_static $(call link_static,$(RELEASE))
	gcc $(TEST_LOGIN_C) -o $(C_BIN)/test_login_shared_checked $(call link_shared,$(CHECKED))
	gcc $(TEST_LOGIN_C) -o $(C_BIN)/test_login_static_checked $(call link_static,$(CHECKED))
	g++ $(CXXFLAGS) tests/c/header_cpp.cpp -o $(C_BIN)/header_cpp $(LINK_SHARED)
	gcc $(CFLAGS) examples/quickstart.c -o $(C_BIN)/quickstart $(call link_static,$(RELEASE))
	$(C_BIN)/header_cpp
	scripts/check-readme-example.sh README.md examples/quickstart.c
	$(WITH_EMULATOR) tests/c/test_examples.sh $(EXAMPLES_BIN)/login $(C_BIN)/quickstart
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

# Builds the wheel, installs it into target/python-venv, runs mypy --strict and pytest on it.
python-test: build
	bindings/python/run_tests.sh

# Size and memory budgets (deterministic); part of `make test`.
budgets: build
	scripts/check-budgets.sh

# Latency against libcurl, requests, httpx and a raw-socket floor; writes docs/BENCHMARKS.md.
bench: build
	scripts/bench.sh

# Fuzzes response parsing, base URLs and JWT expiry for SECONDS each (default 60); not in `make test`.
fuzz:
	scripts/fuzz.sh $(SECONDS)

check-native-libs:
	@reported=$$($(CARGO) rustc --release -p ovok --lib --crate-type staticlib --target-dir target/native-libs \
		-- --print native-static-libs 2>&1 | sed -n 's/.*native-static-libs: //p'); \
	for lib in $$reported; do case " $(NATIVE_STATIC_LIBS) " in *" $$lib "*) ;; \
		*) echo "NATIVE_STATIC_LIBS lacks $$lib (rustc reports: $$reported)"; exit 1;; esac; done; \
	echo "native static libs match: $$reported"

clean:
	$(CARGO) clean
