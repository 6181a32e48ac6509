/*
 * C tests of the ovok ABI against a running emulator.
 *
 *   test_login BASE_URL
 *
 * BASE_URL is the emulator's http URL; it serves the built-in demo user.
 * Built with -Werror against include/ovok.h, linked to the .so and the .a,
 * and run under valgrind and the sanitizers by the Makefile.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "ovok.h"

#define WRONG_PASSWORD "not-the-password-4711"

static const char *base_url;

static int count_char(const char *text, char wanted) {
  int count = 0;
  for (; text != NULL && *text != '\0'; text++) {
    count += *text == wanted;
  }
  return count;
}

/* Every failure carries a message and no token or project data. */
static void check_failure_shape(const OvokResult *result) {
  CHECK(result->status != OVOK_STATUS_OK);
  CHECK(result->error_message != NULL && result->error_message[0] != '\0');
  CHECK(result->access_token == NULL);
  CHECK(result->refresh_token == NULL);
  CHECK(result->project_reference == NULL && result->project_display == NULL);
  CHECK(result->profile_reference == NULL && result->profile_display == NULL);
  CHECK(result->expires_in == -1 && result->expires_at == -1);
  CHECK(!contains(result->error_message, PASSWORD));
  CHECK(!contains(result->error_message, WRONG_PASSWORD));
}

static void expect_failure(const char *url, const char *email, const char *password,
                           const char *client_id, OvokStatus status, unsigned http_status,
                           const char *message_part) {
  OvokResult *result = ovok_login(url, email, password, client_id);
  CHECK(result != NULL);
  if (result == NULL) {
    return;
  }
  if (result->status != status) {
    fprintf(stderr, "  expected %s, got %s: %s\n", ovok_status_name(status),
            ovok_status_name(result->status),
            result->error_message ? result->error_message : "(no message)");
  }
  CHECK(result->status == status);
  CHECK(result->http_status == http_status);
  check_failure_shape(result);
  if (!contains(result->error_message, message_part)) {
    fprintf(stderr, "  message %s lacks \"%s\"\n",
            result->error_message ? result->error_message : "(null)", message_part);
  }
  CHECK(contains(result->error_message, message_part));
  ovok_result_free(result);
}

static void test_version_and_status_names(void) {
  CHECK(strcmp(ovok_version(), OVOK_EXPECTED_VERSION) == 0);
  CHECK(strcmp(ovok_status_name(OVOK_STATUS_OK), "OVOK_STATUS_OK") == 0);
  CHECK(strcmp(ovok_status_name(OVOK_STATUS_UNAUTHORIZED), "OVOK_STATUS_UNAUTHORIZED") == 0);
  CHECK(strcmp(ovok_status_name(OVOK_STATUS_INTERNAL), "OVOK_STATUS_INTERNAL") == 0);
  for (int raw = 0; raw <= (int)OVOK_STATUS_LOGIN_REQUIRED; raw++) {
    CHECK(strncmp(ovok_status_name((OvokStatus)raw), "OVOK_STATUS_", 12) == 0);
    CHECK(strcmp(ovok_status_name((OvokStatus)raw), "OVOK_STATUS_UNKNOWN") != 0);
  }
  /* Values outside the enum, as a C caller may pass them. */
  const int outside[] = {-1, 14, 99, INT32_MAX, INT32_MIN};
  for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
    CHECK(strcmp(ovok_status_name((OvokStatus)outside[i]), "OVOK_STATUS_UNKNOWN") == 0);
  }
}

static void test_success(void) {
  time_t before = time(NULL);
  OvokResult *result = ovok_login(base_url, EMAIL, PASSWORD, CLIENT_ID);
  time_t after = time(NULL);
  CHECK(result != NULL);
  CHECK(result->status == OVOK_STATUS_OK);
  if (result->status != OVOK_STATUS_OK) {
    fprintf(stderr, "  login failed: %s\n", result->error_message);
  }
  CHECK(result->http_status == 200);
  CHECK(result->error_message == NULL);
  CHECK(result->access_token != NULL && count_char(result->access_token, '.') == 2);
  CHECK(result->refresh_token != NULL && count_char(result->refresh_token, '.') == 2);
  CHECK(result->access_token != NULL && result->refresh_token != NULL &&
        strcmp(result->access_token, result->refresh_token) != 0);
  CHECK(result->expires_in == 3600);
  CHECK(result->expires_at >= (int64_t)before + 3600 && result->expires_at <= (int64_t)after + 3600);
  CHECK(result->project_reference != NULL &&
        strcmp(result->project_reference, "Project/f6f4da8d-93e8-8a08-220e-03b7810451d3") == 0);
  CHECK(result->project_display != NULL && strcmp(result->project_display, "My Medical Project") == 0);
  CHECK(result->profile_reference != NULL &&
        strcmp(result->profile_reference, "Patient/de5c57ff-7257-57b0-13ab-aab6f5f91498") == 0);
  CHECK(result->profile_display != NULL && strcmp(result->profile_display, "Max Mustermann") == 0);
  ovok_result_free(result);
}

static void test_trailing_slash_is_tolerated(void) {
  char url[512];
  snprintf(url, sizeof url, "%s/", base_url);
  OvokResult *result = ovok_login(url, EMAIL, PASSWORD, CLIENT_ID);
  CHECK(result->status == OVOK_STATUS_OK);
  ovok_result_free(result);
}

static void test_server_errors(void) {
  char wrong_path[512];
  snprintf(wrong_path, sizeof wrong_path, "%s/not-ovok", base_url);
  expect_failure(base_url, EMAIL, WRONG_PASSWORD, CLIENT_ID, OVOK_STATUS_UNAUTHORIZED, 401, "");
  expect_failure(base_url, "nobody@example.com", PASSWORD, CLIENT_ID, OVOK_STATUS_UNAUTHORIZED,
                 401, "");
  expect_failure(base_url, EMAIL, PASSWORD, "00000000-0000-4000-8000-000000000000",
                 OVOK_STATUS_NOT_FOUND, 404, "");
  expect_failure(base_url, "not-an-email", PASSWORD, CLIENT_ID, OVOK_STATUS_UNPROCESSABLE, 422,
                 "email");
  expect_failure(base_url, EMAIL, PASSWORD, "not-a-uuid", OVOK_STATUS_UNPROCESSABLE, 422,
                 "clientId");
  expect_failure(wrong_path, EMAIL, PASSWORD, CLIENT_ID, OVOK_STATUS_NOT_FOUND, 404, "Cannot POST");
}

static void test_invalid_arguments(void) {
  static const char bad_utf8[] = {'j', (char)0xC3, (char)0x28, '@', 'x', '.', 'y', 0};
  expect_failure(NULL, NULL, NULL, NULL, OVOK_STATUS_INVALID_ARGUMENT, 0, "email is NULL");
  expect_failure(base_url, EMAIL, NULL, CLIENT_ID, OVOK_STATUS_INVALID_ARGUMENT, 0,
                 "password is NULL");
  expect_failure(base_url, EMAIL, PASSWORD, NULL, OVOK_STATUS_INVALID_ARGUMENT, 0,
                 "client_id is NULL");
  expect_failure(base_url, "", PASSWORD, CLIENT_ID, OVOK_STATUS_INVALID_ARGUMENT, 0,
                 "email is empty");
  expect_failure(base_url, bad_utf8, PASSWORD, CLIENT_ID, OVOK_STATUS_INVALID_ARGUMENT, 0,
                 "email is not valid UTF-8");
  expect_failure(bad_utf8, EMAIL, PASSWORD, CLIENT_ID, OVOK_STATUS_INVALID_ARGUMENT, 0,
                 "base_url is not valid UTF-8");
  expect_failure("http://example.com", EMAIL, PASSWORD, CLIENT_ID, OVOK_STATUS_INVALID_ARGUMENT,
                 0, "not loopback");
  expect_failure("ftp://127.0.0.1", EMAIL, PASSWORD, CLIENT_ID, OVOK_STATUS_INVALID_ARGUMENT, 0,
                 "scheme");
  expect_failure("https://u:p@127.0.0.1", EMAIL, PASSWORD, CLIENT_ID,
                 OVOK_STATUS_INVALID_ARGUMENT, 0, "user info");
}

static void test_transport_errors(void) {
  /* Port 1 on loopback: nothing listens there. */
  expect_failure("http://127.0.0.1:1", EMAIL, PASSWORD, CLIENT_ID, OVOK_STATUS_CONNECTION, 0,
                 "refused");
}

static void test_refresh_rotates_the_refresh_token(void) {
  OvokResult *login = ovok_login(base_url, EMAIL, PASSWORD, CLIENT_ID);
  CHECK(login->status == OVOK_STATUS_OK && login->refresh_token != NULL);
  if (login->refresh_token == NULL) {
    ovok_result_free(login);
    return;
  }
  OvokResult *refreshed = ovok_refresh(base_url, login->refresh_token);
  CHECK(refreshed->status == OVOK_STATUS_OK);
  CHECK(refreshed->access_token != NULL && count_char(refreshed->access_token, '.') == 2);
  CHECK(refreshed->refresh_token != NULL &&
        strcmp(refreshed->refresh_token, login->refresh_token) != 0);
  CHECK(refreshed->expires_in == 3600 && refreshed->expires_at > 0);
  CHECK(refreshed->project_reference == NULL && refreshed->profile_reference == NULL);

  /* The first refresh token was used up by the refresh above. */
  OvokResult *reused = ovok_refresh(base_url, login->refresh_token);
  CHECK(reused->status == OVOK_STATUS_UNAUTHORIZED && reused->http_status == 401);
  CHECK(!contains(reused->error_message, login->refresh_token));
  check_failure_shape(reused);

  ovok_result_free(reused);
  ovok_result_free(refreshed);
  ovok_result_free(login);
}

static void test_configured_client(void) {
  OvokClientBuilder *builder = ovok_client_builder_new();
  CHECK(builder != NULL);
  CHECK(ovok_client_builder_set_connect_timeout_ms(builder, 2000) == OVOK_STATUS_OK);
  CHECK(ovok_client_builder_set_total_timeout_ms(builder, 5000) == OVOK_STATUS_OK);
  CHECK(ovok_client_builder_set_user_agent_suffix(builder, "c-tests/1.0") == OVOK_STATUS_OK);
  CHECK(ovok_client_builder_set_proxy_from_env(builder, false) == OVOK_STATUS_OK);
  CHECK(ovok_client_builder_set_total_timeout_ms(builder, 0) == OVOK_STATUS_INVALID_ARGUMENT);
  CHECK(contains(ovok_client_builder_last_error(builder), "total timeout"));

  OvokClient *client = NULL;
  CHECK(ovok_client_build(builder, &client) == OVOK_STATUS_OK && client != NULL);
  CHECK(ovok_client_builder_last_error(builder) == NULL);
  ovok_client_builder_free(builder);

  OvokResult *result = ovok_client_login(client, base_url, EMAIL, PASSWORD, CLIENT_ID);
  CHECK(result->status == OVOK_STATUS_OK && result->refresh_token != NULL);
  OvokResult *refreshed = ovok_client_refresh(client, base_url, result->refresh_token);
  CHECK(refreshed->status == OVOK_STATUS_OK);
  ovok_result_free(refreshed);
  ovok_result_free(result);
  ovok_client_free(client);
}

#define THREADS 8
#define LOGINS_PER_THREAD 25

static void *login_repeatedly(void *arg) {
  int *successes = arg;
  for (int i = 0; i < LOGINS_PER_THREAD; i++) {
    OvokResult *result = ovok_login(base_url, EMAIL, PASSWORD, CLIENT_ID);
    if (result->status == OVOK_STATUS_OK && result->access_token != NULL) {
      *successes += 1;
    } else {
      fprintf(stderr, "  concurrent login failed: %s: %s\n", ovok_status_name(result->status),
              result->error_message);
    }
    ovok_result_free(result);
  }
  return NULL;
}

static void test_many_threads_at_once(void) {
  pthread_t threads[THREADS];
  int successes[THREADS] = {0};
  for (int i = 0; i < THREADS; i++) {
    CHECK(pthread_create(&threads[i], NULL, login_repeatedly, &successes[i]) == 0);
  }
  int total = 0;
  for (int i = 0; i < THREADS; i++) {
    CHECK(pthread_join(threads[i], NULL) == 0);
    total += successes[i];
  }
  CHECK(total == THREADS * LOGINS_PER_THREAD);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: test_login BASE_URL\n");
    return 2;
  }
  base_url = argv[1];
  ovok_result_free(NULL);
  test_version_and_status_names();
  test_success();
  test_trailing_slash_is_tolerated();
  test_server_errors();
  test_invalid_arguments();
  test_transport_errors();
  test_refresh_rotates_the_refresh_token();
  test_configured_client();
  test_many_threads_at_once();
  return check_summary("test_login");
}
