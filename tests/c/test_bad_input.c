/*
 * The bad-input matrix of the ovok C ABI: every argument of every entry
 * point given NULL, "", invalid UTF-8 and 1 MiB, hostile base URLs, and
 * builder misuse. Each case must not crash, must give its specific status,
 * and must explain itself with a message that never holds the password (or
 * the refresh token, or the proxy's password) that was passed in.
 *
 *   test_bad_input BASE_URL
 *
 * BASE_URL is the emulator's http URL (scripts/with-emulator.sh passes it).
 * Nothing here leaves the machine: network cases use the emulator, refused
 * loopback ports (127.0.0.1:1, [::1]), an explicit proxy on a refused
 * loopback port (so the sandbox default is exercised without contacting
 * it), or a `.invalid` name, which fails at DNS.
 *
 * Built with -std=c99 -Wall -Wextra -Wpedantic -Werror against
 * include/ovok.h, and run under valgrind and the sanitizers.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ovok.h"

/* What the refresh cases pass as a token; no message may repeat it. */
#define REFRESH_SECRET "not-a-real-refresh-token-0815"
/* The password inside the proxy URLs; no message may repeat it. */
#define PROXY_SECRET "pr0xy-s3cret"
/* A loopback port where nothing listens. */
#define REFUSED "http://127.0.0.1:1"

#define MIB ((size_t)1024 * 1024)

static const char *base_url;
static int cases_run = 0;
static int verbose = 0; /* OVOK_TEST_VERBOSE=1 prints every case's message */

/* 0xC3 starts a two-byte sequence; 0x28 cannot continue it. */
static const char bad_utf8[] = {'j', (char)0xC3, (char)0x28, '@', 'x', '.', 'y', 0};
static const char bad_utf8_url[] = {'h', 't', 't', 'p', ':', '/', '/', '1', '2', '7', '.', '0',
                                    '.', '0', '.', '1', ':', '1', '/', (char)0xFF, 0};

/* Whether `haystack` contains one of the '|'-separated alternatives. */
static int contains_any(const char *haystack, const char *alternatives) {
  char one[128];
  while (alternatives != NULL && haystack != NULL) {
    const char *bar = strchr(alternatives, '|');
    size_t length = bar ? (size_t)(bar - alternatives) : strlen(alternatives);
    if (length >= sizeof one) {
      return 0;
    }
    memcpy(one, alternatives, length);
    one[length] = '\0';
    if (strstr(haystack, one) != NULL) {
      return 1;
    }
    alternatives = bar ? bar + 1 : NULL;
  }
  return 0;
}

/* A heap string of exactly `length` bytes: `prefix`, then `fill` repeated. */
static char *huge_string(const char *prefix, const char *fill, size_t length) {
  char *text = malloc(length + 1);
  if (text == NULL) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
  size_t prefix_len = strlen(prefix);
  size_t fill_len = strlen(fill);
  memcpy(text, prefix, prefix_len);
  for (size_t i = prefix_len; i < length; i++) {
    text[i] = fill[(i - prefix_len) % fill_len];
  }
  text[length] = '\0';
  return text;
}

/* A message is safe when it holds none of the secrets any case passed in. */
static int message_is_safe(const char *message) {
  return !contains(message, PASSWORD) && !contains(message, REFRESH_SECRET) &&
         !contains(message, PROXY_SECRET);
}

/* ---- ovok_login, ovok_refresh and their client variants ---------------- */

enum call {
  LOGIN,          /* ovok_login(base_url, email, password, client_id) */
  CLIENT_LOGIN,   /* ovok_client_login(client, ...) */
  REFRESH,        /* ovok_refresh(base_url, refresh_token) */
  CLIENT_REFRESH, /* ovok_client_refresh(client, ...) */
};

/* Which client the CLIENT_* calls use. */
enum which_client {
  NO_CLIENT,      /* a NULL client */
  SANDBOX_CLIENT, /* default settings, but every request goes to a refused proxy */
};

struct call_case {
  const char *name;
  enum call call;
  enum which_client client;
  const char *base_url;
  const char *email;         /* login only */
  const char *password;      /* login only */
  const char *client_id;     /* login only */
  const char *refresh_token; /* refresh only */
  OvokStatus status;
  unsigned http_status;
  const char *message_part; /* the message must contain this ('|' separates alternatives) */
};

static OvokClient *sandbox_client;

static OvokResult *run_call(const struct call_case *c) {
  const OvokClient *client = c->client == SANDBOX_CLIENT ? sandbox_client : NULL;
  switch (c->call) {
    case LOGIN:
      return ovok_login(c->base_url, c->email, c->password, c->client_id);
    case CLIENT_LOGIN:
      return ovok_client_login(client, c->base_url, c->email, c->password, c->client_id);
    case REFRESH:
      return ovok_refresh(c->base_url, c->refresh_token);
    case CLIENT_REFRESH:
      return ovok_client_refresh(client, c->base_url, c->refresh_token);
  }
  return NULL;
}

static void check_call_case(const struct call_case *c) {
  cases_run++;
  OvokResult *result = run_call(c);
  CHECK(result != NULL);
  if (result == NULL) {
    fprintf(stderr, "  [%s] returned NULL\n", c->name);
    return;
  }
  const char *message = result->error_message;
  int ok = result->status == c->status && result->http_status == c->http_status &&
           message != NULL && message[0] != '\0' && contains_any(message, c->message_part) &&
           message_is_safe(message);
  if (!ok) {
    fprintf(stderr, "  [%s] expected %s (HTTP %u) with \"%s\", got %s (HTTP %u): %.300s\n",
            c->name, ovok_status_name(c->status), c->http_status, c->message_part,
            ovok_status_name(result->status), (unsigned)result->http_status,
            message ? message : "(no message)");
  }
  if (verbose) {
    printf("  [%s] %s: %.200s\n", c->name, ovok_status_name(result->status),
           message ? message : "(no message)");
  }
  CHECK(result->status == c->status);
  CHECK(result->http_status == c->http_status);
  CHECK(message != NULL && message[0] != '\0');
  CHECK(contains_any(message, c->message_part));
  CHECK(message_is_safe(message));
  /* A failure carries nothing else. */
  CHECK(result->access_token == NULL && result->refresh_token == NULL);
  CHECK(result->project_reference == NULL && result->profile_reference == NULL);
  CHECK(result->expires_in == -1 && result->expires_at == -1);
  ovok_result_free(result);
}

static void test_calls(void) {
  /* 1 MiB arguments, each built so that a leak of it into a message shows. */
  char *huge_url = huge_string("http://127.0.0.1:1/", "p", MIB);
  char *huge_email = huge_string("", "john.doe", MIB);
  char *huge_password = huge_string("", PASSWORD, MIB);
  char *huge_client_id = huge_string("", "5e505642-", MIB);
  char *huge_token = huge_string("", REFRESH_SECRET, MIB);
  memcpy(huge_email + MIB - 9, "@mail.com", 9);

  /* The emulator's port, on the IPv6 loopback where it does not listen. */
  char ipv6_emulator[64];
  const char *port = strrchr(base_url, ':');
  snprintf(ipv6_emulator, sizeof ipv6_emulator, "http://[::1]:%s", port ? port + 1 : "1");
  /* The secrets in the base URL path: the server's 404 echoes the path. */
  char password_in_path[512];
  char token_in_path[512];
  snprintf(password_in_path, sizeof password_in_path, "%s/%s", base_url, PASSWORD);
  snprintf(token_in_path, sizeof token_in_path, "%s/%s", base_url, REFRESH_SECRET);

  const OvokStatus INVALID = OVOK_STATUS_INVALID_ARGUMENT;
  const OvokStatus CONNECTION = OVOK_STATUS_CONNECTION;
  const char *B = base_url, *E = EMAIL, *P = PASSWORD, *C = CLIENT_ID, *T = REFRESH_SECRET;

  const struct call_case cases[] = {
      /* name                 call   client  base_url  email password client_id token
                              status  http  message_part */
      /* NULL: a NULL base URL is the sandbox, reached through the refused proxy. */
      {"login NULL base_url", CLIENT_LOGIN, SANDBOX_CLIENT, NULL, E, P, C, NULL, CONNECTION, 0,
       "connect"},
      {"login NULL email", LOGIN, NO_CLIENT, B, NULL, P, C, NULL, INVALID, 0, "email is NULL"},
      {"login NULL password", LOGIN, NO_CLIENT, B, E, NULL, C, NULL, INVALID, 0,
       "password is NULL"},
      {"login NULL client_id", LOGIN, NO_CLIENT, B, E, P, NULL, NULL, INVALID, 0,
       "client_id is NULL"},
      {"client_login NULL client", CLIENT_LOGIN, NO_CLIENT, B, E, P, C, NULL, INVALID, 0,
       "client is NULL"},
      {"client_login NULL everything", CLIENT_LOGIN, NO_CLIENT, NULL, NULL, NULL, NULL, NULL,
       INVALID, 0, "client is NULL"},
      {"refresh NULL base_url", CLIENT_REFRESH, SANDBOX_CLIENT, NULL, NULL, NULL, NULL, T,
       CONNECTION, 0, "connect"},
      {"refresh NULL token", REFRESH, NO_CLIENT, B, NULL, NULL, NULL, NULL, INVALID, 0,
       "refresh_token is NULL"},
      {"client_refresh NULL client", CLIENT_REFRESH, NO_CLIENT, B, NULL, NULL, NULL, T, INVALID,
       0, "client is NULL"},
      /* "": an empty base URL is the sandbox too. */
      {"login empty base_url", CLIENT_LOGIN, SANDBOX_CLIENT, "", E, P, C, NULL, CONNECTION, 0,
       "connect"},
      {"login empty email", LOGIN, NO_CLIENT, B, "", P, C, NULL, INVALID, 0, "email is empty"},
      {"login empty password", LOGIN, NO_CLIENT, B, E, "", C, NULL, INVALID, 0,
       "password is empty"},
      {"login empty client_id", LOGIN, NO_CLIENT, B, E, P, "", NULL, INVALID, 0,
       "client_id is empty"},
      {"refresh empty base_url", CLIENT_REFRESH, SANDBOX_CLIENT, "", NULL, NULL, NULL, T,
       CONNECTION, 0, "connect"},
      {"refresh empty token", REFRESH, NO_CLIENT, B, NULL, NULL, NULL, "", INVALID, 0,
       "refresh_token is empty"},
      /* Invalid UTF-8. */
      {"login bad UTF-8 base_url", LOGIN, NO_CLIENT, bad_utf8_url, E, P, C, NULL, INVALID, 0,
       "base_url is not valid UTF-8"},
      {"login bad UTF-8 email", LOGIN, NO_CLIENT, B, bad_utf8, P, C, NULL, INVALID, 0,
       "email is not valid UTF-8"},
      {"login bad UTF-8 password", LOGIN, NO_CLIENT, B, E, bad_utf8, C, NULL, INVALID, 0,
       "password is not valid UTF-8"},
      {"login bad UTF-8 client_id", LOGIN, NO_CLIENT, B, E, P, bad_utf8, NULL, INVALID, 0,
       "client_id is not valid UTF-8"},
      {"refresh bad UTF-8 base_url", REFRESH, NO_CLIENT, bad_utf8_url, NULL, NULL, NULL, T,
       INVALID, 0, "base_url is not valid UTF-8"},
      {"refresh bad UTF-8 token", REFRESH, NO_CLIENT, B, NULL, NULL, NULL, bad_utf8, INVALID, 0,
       "refresh_token is not valid UTF-8"},
      /* 1 MiB. */
      {"login 1 MiB base_url", LOGIN, NO_CLIENT, huge_url, E, P, C, NULL, INVALID, 0,
       "base_url is longer than 2048 bytes"},
      {"login 1 MiB email", LOGIN, NO_CLIENT, B, huge_email, P, C, NULL, INVALID, 0,
       "email is longer than 4096 bytes"},
      {"login 1 MiB password", LOGIN, NO_CLIENT, B, E, huge_password, C, NULL, INVALID, 0,
       "password is longer than 4096 bytes"},
      {"login 1 MiB client_id", LOGIN, NO_CLIENT, B, E, P, huge_client_id, NULL, INVALID, 0,
       "client_id is longer than 4096 bytes"},
      {"refresh 1 MiB base_url", REFRESH, NO_CLIENT, huge_url, NULL, NULL, NULL, T, INVALID, 0,
       "base_url is longer than 2048 bytes"},
      {"refresh 1 MiB token", REFRESH, NO_CLIENT, B, NULL, NULL, NULL, huge_token, INVALID, 0,
       "refresh_token is longer than 16384 bytes"},
      /* Base URLs that break the rules: refused before any network I/O. */
      {"base_url without scheme", LOGIN, NO_CLIENT, "127.0.0.1:1", E, P, C, NULL, INVALID, 0,
       "has no scheme"},
      {"base_url ftp://", LOGIN, NO_CLIENT, "ftp://127.0.0.1:1", E, P, C, NULL, INVALID, 0,
       "scheme \"ftp\""},
      {"base_url with user info holding the password", LOGIN, NO_CLIENT,
       "https://john:" PASSWORD "@api.ovok.com", E, P, C, NULL, INVALID, 0, "user info"},
      {"base_url with a query", LOGIN, NO_CLIENT, REFUSED "/?x=1", E, P, C, NULL, INVALID, 0,
       "has a query"},
      {"base_url with a fragment", LOGIN, NO_CLIENT, REFUSED "#top", E, P, C, NULL, INVALID, 0,
       "has a fragment"},
      {"base_url http to a non-loopback host", LOGIN, NO_CLIENT, "http://192.0.2.1", E, P, C,
       NULL, INVALID, 0, "not loopback"},
      {"base_url http to a name that starts with localhost", LOGIN, NO_CLIENT,
       "http://localhost.evil.example", E, P, C, NULL, INVALID, 0, "not loopback"},
      {"base_url port 0", LOGIN, NO_CLIENT, "https://127.0.0.1:0", E, P, C, NULL, INVALID, 0,
       "invalid port"},
      {"base_url port 65536", LOGIN, NO_CLIENT, "https://127.0.0.1:65536", E, P, C, NULL, INVALID,
       0, "invalid port"},
      {"base_url invalid IPv6 [::g]", LOGIN, NO_CLIENT, "https://[::g]", E, P, C, NULL, INVALID,
       0, "invalid IPv6"},
      {"base_url unclosed IPv6 [::1", LOGIN, NO_CLIENT, "https://[::1", E, P, C, NULL, INVALID, 0,
       "closing"},
      {"base_url with a newline", LOGIN, NO_CLIENT, REFUSED "/\n", E, P, C, NULL, INVALID, 0,
       "contains"},
      {"refresh base_url with a query", REFRESH, NO_CLIENT, REFUSED "/?t=1", NULL, NULL, NULL, T,
       INVALID, 0, "has a query"},
      /* Visible ASCII that RFC 3986 does not allow in a path: refused as a
       * bad argument, never sent in a request line. Found by
       * fuzz/fuzz_targets/base_url.rs. */
      {"base_url with a backtick in the path", LOGIN, NO_CLIENT, REFUSED "/`x", E, P, C, NULL,
       INVALID, 0, "base_url"},
      {"base_url with angle brackets in the path", REFRESH, NO_CLIENT, REFUSED "/<a>", NULL, NULL,
       NULL, T, INVALID, 0, "base_url"},
      /* Base URLs that pass the rules but lead nowhere. */
      {"base_url unresolvable host", LOGIN, NO_CLIENT, "https://no-such-host.invalid", E, P, C,
       NULL, CONNECTION, 0, "resolve|lookup|not known"},
      {"base_url valid IPv6 loopback, refused", LOGIN, NO_CLIENT, "http://[::1]:1", E, P, C, NULL,
       CONNECTION, 0, "connect"},
      {"base_url IPv6 loopback at the emulator's port", LOGIN, NO_CLIENT, ipv6_emulator, E, P, C,
       NULL, CONNECTION, 0, "connect"},
      /* The server's 404 echoes the path; the secret in it must be redacted. */
      {"password in the base URL path", LOGIN, NO_CLIENT, password_in_path, E, P, C, NULL,
       OVOK_STATUS_NOT_FOUND, 404, "<redacted>"},
      {"refresh token in the base URL path", REFRESH, NO_CLIENT, token_in_path, NULL, NULL, NULL,
       T, OVOK_STATUS_NOT_FOUND, 404, "<redacted>"},
      {"refresh with an unknown token", REFRESH, NO_CLIENT, B, NULL, NULL, NULL, T,
       OVOK_STATUS_UNAUTHORIZED, 401, "Invalid refresh token"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    check_call_case(&cases[i]);
  }

  free(huge_url);
  free(huge_email);
  free(huge_password);
  free(huge_client_id);
  free(huge_token);
}

/* ---- OvokClientBuilder misuse ------------------------------------------ */

enum setter {
  CONNECT_TIMEOUT,
  TOTAL_TIMEOUT,
  PLATFORM_TRUST,
  CA_FILE,
  CA_PEM,
  PROXY,
  PROXY_FROM_ENV,
  USER_AGENT_SUFFIX,
  BUILD,
  BUILD_NULL_OUT,
};

struct builder_case {
  const char *name;
  enum setter setter;
  int null_builder; /* pass NULL instead of the live builder */
  uint32_t number;  /* timeouts; non-zero = true for the booleans */
  const char *text; /* paths, proxy URLs, suffixes */
  const void *pem;
  size_t pem_length;
  OvokStatus status;
  /* With a live builder, ovok_client_builder_last_error must contain this.
   * With a NULL builder there is nowhere to keep a message: last_error(NULL)
   * must be NULL. */
  const char *message_part;
};

static OvokStatus run_setter(OvokClientBuilder *builder, const struct builder_case *c) {
  switch (c->setter) {
    case CONNECT_TIMEOUT:
      return ovok_client_builder_set_connect_timeout_ms(builder, c->number);
    case TOTAL_TIMEOUT:
      return ovok_client_builder_set_total_timeout_ms(builder, c->number);
    case PLATFORM_TRUST:
      return ovok_client_builder_set_platform_trust(builder, c->number != 0);
    case CA_FILE:
      return ovok_client_builder_add_ca_file(builder, c->text);
    case CA_PEM:
      return ovok_client_builder_add_ca_pem(builder, c->pem, c->pem_length);
    case PROXY:
      return ovok_client_builder_set_proxy(builder, c->text);
    case PROXY_FROM_ENV:
      return ovok_client_builder_set_proxy_from_env(builder, c->number != 0);
    case USER_AGENT_SUFFIX:
      return ovok_client_builder_set_user_agent_suffix(builder, c->text);
    case BUILD: {
      /* A stale non-NULL value must be overwritten with NULL. */
      static int sentinel;
      OvokClient *client = (OvokClient *)(void *)&sentinel;
      OvokStatus status = ovok_client_build(builder, &client);
      CHECK(client == NULL);
      if (client != NULL && client != (OvokClient *)(void *)&sentinel) {
        ovok_client_free(client);
      }
      return status;
    }
    case BUILD_NULL_OUT:
      return ovok_client_build(builder, NULL);
  }
  return OVOK_STATUS_OK;
}

static void check_builder_case(OvokClientBuilder *live, const struct builder_case *c) {
  cases_run++;
  OvokClientBuilder *builder = c->null_builder ? NULL : live;
  OvokStatus status = run_setter(builder, c);
  const char *message = ovok_client_builder_last_error(builder);
  int ok = status == c->status &&
           (c->null_builder ? message == NULL
                            : contains(message, c->message_part) && message_is_safe(message));
  if (!ok) {
    fprintf(stderr, "  [%s] expected %s with \"%s\", got %s: %.300s\n", c->name,
            ovok_status_name(c->status), c->null_builder ? "(no message)" : c->message_part,
            ovok_status_name(status), message ? message : "(no message)");
  }
  if (verbose) {
    printf("  [%s] %s: %.200s\n", c->name, ovok_status_name(status),
           message ? message : "(no message)");
  }
  CHECK(status == c->status);
  if (c->null_builder) {
    CHECK(message == NULL);
  } else {
    CHECK(message != NULL && message[0] != '\0');
    CHECK(contains(message, c->message_part));
    CHECK(message_is_safe(message));
  }
}

static void test_builder_misuse(void) {
  static const char garbage_pem[] = "hello, I am not a certificate";
  static const char bad_base64_pem[] =
      "-----BEGIN CERTIFICATE-----\n!!!! not base64 !!!!\n-----END CERTIFICATE-----\n";
  static const char not_a_ca_pem[] =
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  const size_t too_large_length = 4 * MIB + 1;
  char *too_large_pem = huge_string("", "A", too_large_length);
  char *huge_suffix = huge_string("", "x", MIB);

  const OvokStatus INVALID = OVOK_STATUS_INVALID_ARGUMENT;
  const struct builder_case cases[] = {
      /* name                    setter  null_builder number text pem pem_length status part */
      {"NULL builder: connect timeout", CONNECT_TIMEOUT, 1, 1000, NULL, NULL, 0, INVALID, NULL},
      {"NULL builder: total timeout", TOTAL_TIMEOUT, 1, 1000, NULL, NULL, 0, INVALID, NULL},
      {"NULL builder: platform trust", PLATFORM_TRUST, 1, 1, NULL, NULL, 0, INVALID, NULL},
      {"NULL builder: add CA file", CA_FILE, 1, 0, "/etc/hostname", NULL, 0, INVALID, NULL},
      {"NULL builder: add CA PEM", CA_PEM, 1, 0, NULL, garbage_pem, sizeof garbage_pem - 1,
       INVALID, NULL},
      {"NULL builder: proxy", PROXY, 1, 0, "http://127.0.0.1:3128", NULL, 0, INVALID, NULL},
      {"NULL builder: proxy from env", PROXY_FROM_ENV, 1, 0, NULL, NULL, 0, INVALID, NULL},
      {"NULL builder: user agent suffix", USER_AGENT_SUFFIX, 1, 0, "app/1", NULL, 0, INVALID,
       NULL},
      {"NULL builder: build", BUILD, 1, 0, NULL, NULL, 0, INVALID, NULL},
      {"connect timeout 0", CONNECT_TIMEOUT, 0, 0, NULL, NULL, 0, INVALID,
       "connect timeout must be between 1 ms and 600 s"},
      {"connect timeout 600001", CONNECT_TIMEOUT, 0, 600001, NULL, NULL, 0, INVALID,
       "connect timeout must be between 1 ms and 600 s"},
      {"total timeout 0", TOTAL_TIMEOUT, 0, 0, NULL, NULL, 0, INVALID,
       "total timeout must be between 1 ms and 600 s"},
      {"total timeout 600001", TOTAL_TIMEOUT, 0, 600001, NULL, NULL, 0, INVALID,
       "total timeout must be between 1 ms and 600 s"},
      /* Right after a refused setter: the message must be about the build. */
      {"build with a NULL out-pointer", BUILD_NULL_OUT, 0, 0, NULL, NULL, 0, INVALID,
       "client_out"},
      {"add CA PEM NULL pointer", CA_PEM, 0, 0, NULL, NULL, 64, INVALID, "pem is NULL"},
      {"add CA PEM garbage", CA_PEM, 0, 0, NULL, garbage_pem, sizeof garbage_pem - 1, INVALID,
       "ca_pem holds no PEM certificate"},
      {"add CA PEM length 0", CA_PEM, 0, 0, NULL, garbage_pem, 0, INVALID,
       "ca_pem holds no PEM certificate"},
      {"add CA PEM bad base64", CA_PEM, 0, 0, NULL, bad_base64_pem, sizeof bad_base64_pem - 1,
       INVALID, "ca_pem"},
      {"add CA PEM not a CA", CA_PEM, 0, 0, NULL, not_a_ca_pem, sizeof not_a_ca_pem - 1, INVALID,
       "certificate 1 is not a usable CA"},
      {"add CA PEM over 4 MiB", CA_PEM, 0, 0, NULL, too_large_pem, too_large_length, INVALID,
       "larger than 4194304 bytes"},
      {"add CA file missing", CA_FILE, 0, 0, "/nonexistent/ovok-bad-input/ca.pem", NULL, 0,
       INVALID, "CA file /nonexistent/ovok-bad-input/ca.pem: "},
      {"add CA file NULL path", CA_FILE, 0, 0, NULL, NULL, 0, INVALID, "path is NULL"},
      {"add CA file bad UTF-8 path", CA_FILE, 0, 0, bad_utf8, NULL, 0, INVALID,
       "path is not valid UTF-8"},
      {"add CA file that is a directory", CA_FILE, 0, 0, "/", NULL, 0, INVALID, "CA file /"},
      {"add CA file that is not PEM", CA_FILE, 0, 0, "/etc/hostname", NULL, 0, INVALID,
       "CA file /etc/hostname holds no PEM certificate"},
      {"proxy garbage", PROXY, 0, 0, "not a proxy at all", NULL, 0, INVALID,
       "proxy URL is invalid"},
      {"proxy with credentials and a bad scheme", PROXY, 0, 0,
       "ftp://user:" PROXY_SECRET "@127.0.0.1:21", NULL, 0, INVALID, "proxy URL is invalid"},
      {"proxy with credentials and no host", PROXY, 0, 0, "http://user:" PROXY_SECRET "@", NULL,
       0, INVALID, "proxy URL is invalid"},
      {"proxy bad UTF-8", PROXY, 0, 0, bad_utf8, NULL, 0, INVALID, "proxy_url is not valid UTF-8"},
      {"user agent suffix NULL", USER_AGENT_SUFFIX, 0, 0, NULL, NULL, 0, INVALID,
       "suffix is NULL"},
      {"user agent suffix header injection", USER_AGENT_SUFFIX, 0, 0, "app/1\r\nX-Injected: 1",
       NULL, 0, INVALID, "printable ASCII"},
      {"user agent suffix 1 MiB", USER_AGENT_SUFFIX, 0, 0, huge_suffix, NULL, 0, INVALID,
       "at most 256"},
  };

  OvokClientBuilder *builder = ovok_client_builder_new();
  CHECK(builder != NULL);
  CHECK(ovok_client_builder_last_error(builder) == NULL);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    check_builder_case(builder, &cases[i]);
  }

  /* Every refused setting left the builder as it was: it still builds a
   * client that logs in (a refused CA did not replace the trust, a refused
   * proxy did not reroute), and a success clears the message. */
  cases_run++;
  CHECK(ovok_client_builder_set_total_timeout_ms(builder, 20000) == OVOK_STATUS_OK);
  CHECK(ovok_client_builder_last_error(builder) == NULL);
  CHECK(ovok_client_builder_set_proxy_from_env(builder, 0) == OVOK_STATUS_OK);
  OvokClient *client = NULL;
  CHECK(ovok_client_build(builder, &client) == OVOK_STATUS_OK);
  CHECK(client != NULL);
  if (client != NULL) {
    OvokResult *result = ovok_client_login(client, base_url, EMAIL, PASSWORD, CLIENT_ID);
    if (result->status != OVOK_STATUS_OK) {
      fprintf(stderr, "  login through the abused builder's client failed: %s: %s\n",
              ovok_status_name(result->status), result->error_message);
    }
    CHECK(result->status == OVOK_STATUS_OK && result->access_token != NULL);
    ovok_result_free(result);
    ovok_client_free(client);
  }
  ovok_client_builder_free(builder);
  free(too_large_pem);
  free(huge_suffix);
}

/* ---- Static strings and frees ------------------------------------------ */

static void test_status_names_and_frees(void) {
  /* test_login.c covers -1, 13, 99, INT32_MAX and INT32_MIN. */
  const int32_t outside[] = {14, 255, 256, 1000, -13, INT32_MIN + 1, INT32_MAX - 1};
  for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
    cases_run++;
    const char *name = ovok_status_name((OvokStatus)outside[i]);
    CHECK(name != NULL && strcmp(name, "OVOK_STATUS_UNKNOWN") == 0);
  }
  cases_run++;
  CHECK(ovok_version() != NULL && ovok_version()[0] != '\0');
  /* Freeing NULL does nothing, however often. */
  for (int i = 0; i < 3; i++) {
    ovok_result_free(NULL);
    ovok_client_free(NULL);
    ovok_client_builder_free(NULL);
  }
  cases_run += 3;
  CHECK(1);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: test_bad_input BASE_URL\n");
    return 2;
  }
  base_url = argv[1];
  verbose = getenv("OVOK_TEST_VERBOSE") != NULL;

  /* The sandbox default (NULL or "" base URL) through a refused proxy:
   * the URL rules are applied, and nothing reaches Ovok. */
  OvokClientBuilder *builder = ovok_client_builder_new();
  CHECK(ovok_client_builder_set_proxy(builder, REFUSED) == OVOK_STATUS_OK);
  CHECK(ovok_client_build(builder, &sandbox_client) == OVOK_STATUS_OK);
  ovok_client_builder_free(builder);
  if (sandbox_client == NULL) {
    fprintf(stderr, "could not build the proxied client\n");
    return 1;
  }

  /* The table's valid arguments really are valid. */
  OvokResult *baseline = ovok_login(base_url, EMAIL, PASSWORD, CLIENT_ID);
  CHECK(baseline->status == OVOK_STATUS_OK);
  ovok_result_free(baseline);

  test_calls();
  test_builder_misuse();
  test_status_names_and_frees();
  ovok_client_free(sandbox_client);

  printf("test_bad_input: %d cases\n", cases_run);
  return check_summary("test_bad_input");
}
