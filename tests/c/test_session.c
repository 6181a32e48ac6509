/* OvokSession against the emulator, under valgrind in `make c-test`.
 * Usage: test_session BASE_URL (the emulator's http://127.0.0.1:PORT). */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ovok.h"

static const char *base_url;

/* GETs `path` from the emulator (loopback http only), with a Bearer token
 * when one is given; returns the HTTP status and copies the body. */
static int http_get(const char *path, const char *bearer, char *body, size_t body_size) {
  unsigned port = 0;
  if (sscanf(base_url, "http://127.0.0.1:%u", &port) != 1) return -1;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_port = htons((uint16_t)port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  char request[8192];
  int length = snprintf(request, sizeof request,
                        "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s%s%s\r\n",
                        path, bearer ? "Authorization: Bearer " : "", bearer ? bearer : "",
                        bearer ? "\r\n" : "");
  if (write(fd, request, (size_t)length) != length) {
    close(fd);
    return -1;
  }
  static char response[16384];
  size_t received = 0;
  ssize_t n;
  while (received < sizeof response - 1 &&
         (n = read(fd, response + received, sizeof response - 1 - received)) > 0) {
    received += (size_t)n;
  }
  close(fd);
  response[received] = '\0';
  int status = -1;
  if (sscanf(response, "HTTP/1.1 %d", &status) != 1) return -1;
  const char *start = strstr(response, "\r\n\r\n");
  if (body != NULL && body_size > 0) {
    snprintf(body, body_size, "%s", start ? start + 4 : "");
  }
  return status;
}

/* One of the emulator's request counts, e.g. "refreshRequests". */
static long requests(const char *counter) {
  char body[1024], field[64];
  if (http_get("/_emulator/stats", NULL, body, sizeof body) != 200) return -1;
  snprintf(field, sizeof field, "\"%s\":", counter);
  const char *found = strstr(body, field);
  return found ? strtol(found + strlen(field), NULL, 10) : -1;
}

static long refresh_requests(void) { return requests("refreshRequests"); }

/* What a listener heard: a copy of each access token, "" for NULL. */
struct heard {
  pthread_mutex_t lock;
  int calls;
  char tokens[16][2048];
};

static void record(void *context, const OvokResult *tokens) {
  struct heard *heard = context;
  pthread_mutex_lock(&heard->lock);
  if (heard->calls < 16) {
    snprintf(heard->tokens[heard->calls], sizeof heard->tokens[0], "%s",
             tokens ? tokens->access_token : "");
  }
  heard->calls++;
  pthread_mutex_unlock(&heard->lock);
}

static void reset(struct heard *heard) {
  pthread_mutex_lock(&heard->lock);
  heard->calls = 0;
  pthread_mutex_unlock(&heard->lock);
}

static OvokSession *logged_in(struct heard *heard, char *access_out, size_t size) {
  OvokSession *session = ovok_session_new(NULL, base_url);
  if (heard) ovok_session_set_token_listener(session, record, heard);
  OvokResult *login = ovok_session_login(session, EMAIL, PASSWORD, CLIENT_ID);
  CHECK(login->status == OVOK_STATUS_OK);
  CHECK(login->refresh_token != NULL);
  if (access_out) snprintf(access_out, size, "%s", login->access_token ? login->access_token : "");
  ovok_result_free(login);
  return session;
}

static void test_version_macros(void) {
  char expected[64];
  snprintf(expected, sizeof expected, "%d.%d.%d", OVOK_VERSION_MAJOR, OVOK_VERSION_MINOR,
           OVOK_VERSION_PATCH);
  CHECK(strcmp(ovok_version(), expected) == 0);
  CHECK(sizeof(OvokStatus) == 4);
  CHECK(OVOK_STATUS_LOGIN_REQUIRED == 13);
  CHECK(strcmp(ovok_status_name(OVOK_STATUS_LOGIN_REQUIRED), "OVOK_STATUS_LOGIN_REQUIRED") == 0);
}

static void test_null_and_bad_arguments(void) {
  OvokResult *result = ovok_session_access_token(NULL, 60);
  CHECK(result->status == OVOK_STATUS_INVALID_ARGUMENT);
  CHECK(contains(result->error_message, "session is NULL"));
  ovok_result_free(result);
  result = ovok_session_login(NULL, EMAIL, PASSWORD, CLIENT_ID);
  CHECK(result->status == OVOK_STATUS_INVALID_ARGUMENT);
  ovok_result_free(result);
  result = ovok_session_logout(NULL);
  CHECK(result->status == OVOK_STATUS_INVALID_ARGUMENT);
  ovok_result_free(result);
  CHECK(ovok_session_restore(NULL, "r", NULL, -1) == OVOK_STATUS_INVALID_ARGUMENT);
  ovok_session_invalidate(NULL);
  ovok_session_invalidate_token(NULL, NULL);
  ovok_session_invalidate_token(NULL, "a token");
  ovok_session_set_token_listener(NULL, record, NULL);
  ovok_session_free(NULL);

  OvokSession *session = ovok_session_new(NULL, base_url);
  CHECK(ovok_session_restore(session, NULL, NULL, -1) == OVOK_STATUS_INVALID_ARGUMENT);
  CHECK(ovok_session_restore(session, "", NULL, -1) == OVOK_STATUS_INVALID_ARGUMENT);
  result = ovok_session_login(session, EMAIL, NULL, CLIENT_ID);
  CHECK(result->status == OVOK_STATUS_INVALID_ARGUMENT);
  CHECK(contains(result->error_message, "password is NULL"));
  ovok_result_free(result);
  result = ovok_session_access_token(session, 60);
  CHECK(result->status == OVOK_STATUS_LOGIN_REQUIRED);
  CHECK(result->access_token == NULL);
  ovok_result_free(result);
  ovok_session_free(session);

  session = ovok_session_new(NULL, "ftp://example.com");
  result = ovok_session_login(session, EMAIL, PASSWORD, CLIENT_ID);
  CHECK(result->status == OVOK_STATUS_INVALID_ARGUMENT);
  CHECK(result->error_message != NULL);
  ovok_result_free(result);
  CHECK(ovok_session_restore(session, "r", NULL, -1) == OVOK_STATUS_INVALID_ARGUMENT);
  ovok_session_free(session);
}

struct shared_call {
  OvokSession *session;
  pthread_barrier_t *start;
  OvokStatus status;
  char access_token[2048];
};

static void *ask_for_token(void *argument) {
  struct shared_call *call = argument;
  pthread_barrier_wait(call->start);
  OvokResult *result = ovok_session_access_token(call->session, 60);
  call->status = result->status;
  snprintf(call->access_token, sizeof call->access_token, "%s",
           result->access_token ? result->access_token : "");
  ovok_result_free(result);
  return NULL;
}

static void test_32_threads_share_one_refresh(void) {
  struct heard heard = {PTHREAD_MUTEX_INITIALIZER, 0, {{0}}};
  OvokSession *session = logged_in(&heard, NULL, 0);
  ovok_session_invalidate(session);
  reset(&heard);
  long before = refresh_requests();

  enum { THREADS = 32 };
  pthread_t threads[THREADS];
  static struct shared_call calls[THREADS];
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, THREADS);
  for (int i = 0; i < THREADS; i++) {
    calls[i].session = session;
    calls[i].start = &start;
    pthread_create(&threads[i], NULL, ask_for_token, &calls[i]);
  }
  for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
  pthread_barrier_destroy(&start);

  CHECK(before >= 0);
  CHECK(refresh_requests() - before == 1);
  for (int i = 0; i < THREADS; i++) {
    CHECK(calls[i].status == OVOK_STATUS_OK);
    CHECK(strcmp(calls[i].access_token, calls[0].access_token) == 0);
  }
  CHECK(heard.calls == 1);
  CHECK(strcmp(heard.tokens[0], calls[0].access_token) == 0);
  ovok_session_free(session);
}

struct late_rejection {
  OvokSession *session;
  pthread_barrier_t *start;
  const char *rejected;
  OvokStatus status;
  char access_token[2048];
};

static void *reject_then_ask(void *argument) {
  struct late_rejection *call = argument;
  pthread_barrier_wait(call->start);
  ovok_session_invalidate_token(call->session, call->rejected);
  OvokResult *result = ovok_session_access_token(call->session, 60);
  call->status = result->status;
  snprintf(call->access_token, sizeof call->access_token, "%s",
           result->access_token ? result->access_token : "");
  ovok_result_free(result);
  return NULL;
}

static void test_32_late_rejections_of_one_token_make_one_refresh(void) {
  char old[2048];
  OvokSession *session = logged_in(NULL, old, sizeof old);
  long before = refresh_requests();

  enum { THREADS = 32 };
  pthread_t threads[THREADS];
  static struct late_rejection calls[THREADS];
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, THREADS);
  for (int i = 0; i < THREADS; i++) {
    calls[i].session = session;
    calls[i].start = &start;
    calls[i].rejected = old;
    pthread_create(&threads[i], NULL, reject_then_ask, &calls[i]);
  }
  for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
  pthread_barrier_destroy(&start);

  CHECK(before >= 0);
  CHECK(refresh_requests() - before == 1);
  CHECK(strcmp(calls[0].access_token, old) != 0);
  for (int i = 0; i < THREADS; i++) {
    CHECK(calls[i].status == OVOK_STATUS_OK);
    CHECK(strcmp(calls[i].access_token, calls[0].access_token) == 0);
  }
  ovok_session_free(session);
}

/* The current access token, or "" (copied into `out`). */
static void current_token(OvokSession *session, char *out, size_t size) {
  OvokResult *result = ovok_session_access_token(session, 60);
  CHECK(result->status == OVOK_STATUS_OK);
  snprintf(out, size, "%s", result->access_token ? result->access_token : "");
  ovok_result_free(result);
}

static void test_a_rejected_token_no_longer_current_is_ignored(void) {
  char old[2048], current[2048], now[2048];
  OvokSession *session = logged_in(NULL, old, sizeof old);
  ovok_session_invalidate_token(session, old);
  current_token(session, current, sizeof current);
  CHECK(strcmp(current, old) != 0);
  long before = refresh_requests();
  const char *ignored[] = {old, current + 1, "elsewhere", "\xff\xfe", ""};
  for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++) {
    ovok_session_invalidate_token(session, ignored[i]);
    current_token(session, now, sizeof now);
    CHECK(strcmp(now, current) == 0);
  }
  CHECK(refresh_requests() == before);
  /* NULL is ovok_session_invalidate. */
  ovok_session_invalidate_token(session, NULL);
  current_token(session, now, sizeof now);
  CHECK(strcmp(now, current) != 0);
  CHECK(refresh_requests() == before + 1);
  ovok_session_free(session);
}

static void test_the_listener_sees_every_rotation(void) {
  struct heard heard = {PTHREAD_MUTEX_INITIALIZER, 0, {{0}}};
  char first[2048];
  OvokSession *session = logged_in(&heard, first, sizeof first);
  CHECK(heard.calls == 1);
  CHECK(strcmp(heard.tokens[0], first) == 0);
  for (int round = 1; round <= 5; round++) {
    ovok_session_invalidate(session);
    OvokResult *result = ovok_session_access_token(session, 60);
    CHECK(result->status == OVOK_STATUS_OK);
    CHECK(result->refresh_token != NULL);
    CHECK(heard.calls == round + 1);
    CHECK(result->access_token && strcmp(heard.tokens[round], result->access_token) == 0);
    ovok_result_free(result);
  }
  ovok_session_free(session);
}

static void test_a_refused_refresh_requires_a_login(void) {
  struct heard heard = {PTHREAD_MUTEX_INITIALIZER, 0, {{0}}};
  OvokSession *session = ovok_session_new(NULL, base_url);
  ovok_session_set_token_listener(session, record, &heard);
  CHECK(ovok_session_restore(session, "not-a-refresh-token", NULL, -1) == OVOK_STATUS_OK);
  OvokResult *result = ovok_session_access_token(session, 60);
  CHECK(result->status == OVOK_STATUS_LOGIN_REQUIRED);
  CHECK(result->http_status == 401);
  CHECK(!contains(result->error_message, "not-a-refresh-token"));
  ovok_result_free(result);
  CHECK(heard.calls == 1);
  CHECK(strcmp(heard.tokens[0], "") == 0);
  long before = refresh_requests();
  result = ovok_session_access_token(session, 60);
  CHECK(result->status == OVOK_STATUS_LOGIN_REQUIRED);
  ovok_result_free(result);
  CHECK(refresh_requests() == before);
  ovok_session_free(session);
}

static void test_restore_from_a_refresh_token_alone(void) {
  OvokResult *login = ovok_login(base_url, EMAIL, PASSWORD, CLIENT_ID);
  CHECK(login->status == OVOK_STATUS_OK);
  OvokSession *session = ovok_session_new(NULL, base_url);
  CHECK(ovok_session_restore(session, login->refresh_token, NULL, -1) == OVOK_STATUS_OK);
  long before = refresh_requests();
  OvokResult *result = ovok_session_access_token(session, 60);
  CHECK(result->status == OVOK_STATUS_OK);
  CHECK(refresh_requests() - before == 1);
  CHECK(result->access_token && strcmp(result->access_token, login->access_token) != 0);
  CHECK(result->refresh_token && strcmp(result->refresh_token, login->refresh_token) != 0);
  ovok_result_free(result);
  /* Fresh now: no second refresh. */
  result = ovok_session_access_token(session, 60);
  CHECK(result->status == OVOK_STATUS_OK);
  ovok_result_free(result);
  CHECK(refresh_requests() - before == 1);

  /* Saved tokens that are still fresh are used as they are. */
  OvokSession *saved = ovok_session_new(NULL, base_url);
  CHECK(ovok_session_restore(saved, "unused", login->access_token, login->expires_at) ==
        OVOK_STATUS_OK);
  result = ovok_session_access_token(saved, 60);
  CHECK(result->status == OVOK_STATUS_OK);
  CHECK(result->access_token && strcmp(result->access_token, login->access_token) == 0);
  ovok_result_free(result);
  CHECK(refresh_requests() - before == 1);
  ovok_session_free(saved);
  ovok_result_free(login);
  ovok_session_free(session);
}

static void test_logout_revokes_the_access_token(void) {
  struct heard heard = {PTHREAD_MUTEX_INITIALIZER, 0, {{0}}};
  char access[2048];
  OvokSession *session = logged_in(&heard, access, sizeof access);
  CHECK(http_get("/auth/me", access, NULL, 0) == 200);
  OvokResult *result = ovok_session_logout(session);
  CHECK(result->status == OVOK_STATUS_OK);
  CHECK(result->http_status == 204);
  CHECK(result->access_token == NULL);
  ovok_result_free(result);
  CHECK(heard.calls == 2);
  CHECK(strcmp(heard.tokens[1], "") == 0);
  CHECK(http_get("/auth/me", access, NULL, 0) == 401);
  result = ovok_session_access_token(session, 60);
  CHECK(result->status == OVOK_STATUS_LOGIN_REQUIRED);
  ovok_result_free(result);
  ovok_session_free(session);
}

static void test_offline_keeps_the_tokens(void) {
  /* Nothing listens on port 1: every refresh fails to connect. */
  struct heard heard = {PTHREAD_MUTEX_INITIALIZER, 0, {{0}}};
  OvokSession *session = ovok_session_new(NULL, "http://127.0.0.1:1");
  ovok_session_set_token_listener(session, record, &heard);
  CHECK(ovok_session_restore(session, "kept", NULL, -1) == OVOK_STATUS_OK);
  for (int i = 0; i < 2; i++) {
    OvokResult *result = ovok_session_access_token(session, 60);
    CHECK(result->status == OVOK_STATUS_CONNECTION);
    ovok_result_free(result);
  }
  CHECK(heard.calls == 0);
  /* Logout still clears locally, though the server cannot be told. */
  OvokResult *result = ovok_session_logout(session);
  CHECK(result->status == OVOK_STATUS_LOGIN_REQUIRED);
  ovok_result_free(result);
  CHECK(heard.calls == 1);
  result = ovok_session_access_token(session, 60);
  CHECK(result->status == OVOK_STATUS_LOGIN_REQUIRED);
  ovok_result_free(result);
  ovok_session_free(session);
}

struct client_call {
  const OvokClient *client;
  pthread_barrier_t *start;
  OvokStatus status;
};

static void *log_in_through(void *argument) {
  struct client_call *call = argument;
  pthread_barrier_wait(call->start);
  OvokResult *result = ovok_client_login(call->client, base_url, EMAIL, PASSWORD, CLIENT_ID);
  call->status = result->status;
  ovok_result_free(result);
  return NULL;
}

static void test_freeing_the_client_while_calls_run(void) {
  OvokClientBuilder *builder = ovok_client_builder_new();
  OvokClient *client = NULL;
  CHECK(ovok_client_build(builder, &client) == OVOK_STATUS_OK);
  ovok_client_builder_free(builder);
  OvokSession *session = ovok_session_new(client, base_url);

  enum { THREADS = 8 };
  pthread_t threads[THREADS];
  struct client_call calls[THREADS];
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, THREADS + 1);
  long before = requests("loginRequests");
  for (int i = 0; i < THREADS; i++) {
    calls[i].client = client;
    calls[i].start = &start;
    pthread_create(&threads[i], NULL, log_in_through, &calls[i]);
  }
  pthread_barrier_wait(&start);
  /* Free only once every call has reached the server and so holds its own
   * reference (a call not yet started would use a freed pointer). Run with
   * the emulator's --latency, the calls are still in flight now. */
  while (requests("loginRequests") - before < THREADS) {
    struct timespec pause = {0, 1000000};
    nanosleep(&pause, NULL);
  }
  ovok_client_free(client);
  for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
  pthread_barrier_destroy(&start);
  for (int i = 0; i < THREADS; i++) CHECK(calls[i].status == OVOK_STATUS_OK);

  /* The session keeps its client alive. */
  OvokResult *result = ovok_session_login(session, EMAIL, PASSWORD, CLIENT_ID);
  CHECK(result->status == OVOK_STATUS_OK);
  ovok_result_free(result);
  ovok_session_free(session);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s BASE_URL\n", argv[0]);
    return 64;
  }
  base_url = argv[1];
  test_version_macros();
  test_null_and_bad_arguments();
  test_32_threads_share_one_refresh();
  test_32_late_rejections_of_one_token_make_one_refresh();
  test_a_rejected_token_no_longer_current_is_ignored();
  test_the_listener_sees_every_rotation();
  test_a_refused_refresh_requires_a_login();
  test_restore_from_a_refresh_token_alone();
  test_logout_revokes_the_access_token();
  test_offline_keeps_the_tokens();
  test_freeing_the_client_while_calls_run();
  return check_summary("test_session");
}
