/*
 * The panic boundary, seen from C: a panic inside the Rust core becomes
 * OVOK_STATUS_INTERNAL, never an unwind into C or an abort, and the library
 * keeps working afterwards.
 *
 *   test_panic_boundary BASE_URL
 *
 * Needs a library built with the `test-hooks` cargo feature, where logging
 * in with the email panic@test-hooks.invalid panics inside the core:
 *
 *   cargo build --profile release-with-symbols -p ovok --features test-hooks \
 *       --target-dir target/test-hooks
 *
 * Against a shipping build the hook is absent and that login is just a
 * wrong email (UNAUTHORIZED): the test says so and fails. BASE_URL is the
 * emulator's http URL. Each panic prints the default panic message on
 * stderr ("thread ... panicked at src/client.rs ... test hook"); that is
 * expected.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "ovok.h"

#define PANIC_EMAIL "panic@test-hooks.invalid"

static const char *base_url;

/* An INTERNAL result: a message that says it is a bug, no data, no password. */
static int check_internal(OvokResult *result, const char *how) {
  CHECK(result != NULL);
  if (result == NULL) {
    return 0;
  }
  int ok = result->status == OVOK_STATUS_INTERNAL;
  if (!ok) {
    fprintf(stderr, "  %s: expected OVOK_STATUS_INTERNAL, got %s: %s%s\n", how,
            ovok_status_name(result->status),
            result->error_message ? result->error_message : "(no message)",
            result->status == OVOK_STATUS_UNAUTHORIZED
                ? " (is the library built with --features test-hooks?)"
                : "");
  }
  CHECK(result->status == OVOK_STATUS_INTERNAL);
  CHECK(result->http_status == 0);
  CHECK(result->error_message != NULL && result->error_message[0] != '\0');
  CHECK(contains(result->error_message, "internal error"));
  CHECK(!contains(result->error_message, PASSWORD));
  CHECK(result->access_token == NULL && result->refresh_token == NULL);
  CHECK(result->project_reference == NULL && result->profile_reference == NULL);
  CHECK(result->expires_in == -1 && result->expires_at == -1);
  ovok_result_free(result);
  return ok;
}

static int check_ok(OvokResult *result, const char *how) {
  int ok = result != NULL && result->status == OVOK_STATUS_OK && result->access_token != NULL;
  if (!ok) {
    fprintf(stderr, "  %s: expected OVOK_STATUS_OK, got %s: %s\n", how,
            result ? ovok_status_name(result->status) : "NULL",
            result && result->error_message ? result->error_message : "(no message)");
  }
  CHECK(ok);
  ovok_result_free(result);
  return ok;
}

/* The shared client: a panic, then a normal login on the same thread. */
static void test_panic_then_login(void) {
  check_internal(ovok_login(base_url, PANIC_EMAIL, PASSWORD, CLIENT_ID), "ovok_login");
  check_ok(ovok_login(base_url, EMAIL, PASSWORD, CLIENT_ID), "login after the panic");
}

/* Several panics in a row leave nothing poisoned. */
static void test_repeated_panics(void) {
  for (int i = 0; i < 5; i++) {
    check_internal(ovok_login(base_url, PANIC_EMAIL, PASSWORD, CLIENT_ID), "repeated panic");
  }
  check_ok(ovok_login(base_url, EMAIL, PASSWORD, CLIENT_ID), "login after repeated panics");
}

/* A configured client: its pool survives a panic in a call through it. */
static void test_panic_through_a_client(void) {
  OvokClientBuilder *builder = ovok_client_builder_new();
  OvokClient *client = NULL;
  CHECK(ovok_client_builder_set_proxy_from_env(builder, false) == OVOK_STATUS_OK);
  CHECK(ovok_client_build(builder, &client) == OVOK_STATUS_OK);
  ovok_client_builder_free(builder);
  if (client == NULL) {
    return;
  }
  check_ok(ovok_client_login(client, base_url, EMAIL, PASSWORD, CLIENT_ID),
           "client login before the panic");
  check_internal(ovok_client_login(client, base_url, PANIC_EMAIL, PASSWORD, CLIENT_ID),
                 "ovok_client_login");
  check_ok(ovok_client_login(client, base_url, EMAIL, PASSWORD, CLIENT_ID),
           "client login after the panic");
  ovok_client_free(client);
}

/* A panic on a thread that C created (Rust's runtime never saw it start). */
static void *panic_on_a_c_thread(void *arg) {
  int *internal = arg;
  OvokResult *result = ovok_login(base_url, PANIC_EMAIL, PASSWORD, CLIENT_ID);
  *internal = result->status == OVOK_STATUS_INTERNAL;
  ovok_result_free(result);
  result = ovok_login(base_url, EMAIL, PASSWORD, CLIENT_ID);
  *internal += result->status == OVOK_STATUS_OK;
  ovok_result_free(result);
  return NULL;
}

static void test_panic_on_c_threads(void) {
  enum { THREADS = 4 };
  pthread_t threads[THREADS];
  int outcome[THREADS] = {0};
  for (int i = 0; i < THREADS; i++) {
    CHECK(pthread_create(&threads[i], NULL, panic_on_a_c_thread, &outcome[i]) == 0);
  }
  for (int i = 0; i < THREADS; i++) {
    CHECK(pthread_join(threads[i], NULL) == 0);
    /* 2: the panic became INTERNAL, and the next login succeeded. */
    CHECK(outcome[i] == 2);
  }
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: test_panic_boundary BASE_URL\n");
    return 2;
  }
  base_url = argv[1];
  test_panic_then_login();
  test_repeated_panics();
  test_panic_through_a_client();
  test_panic_on_c_threads();
  /* Reaching this line is the point: the process was neither aborted nor unwound. */
  check_ok(ovok_login(base_url, EMAIL, PASSWORD, CLIENT_ID), "final login");
  return check_summary("test_panic_boundary");
}
