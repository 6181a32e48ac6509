/*
 * login: log in to Ovok through the C ABI and print the result, tokens redacted.
 *
 *   login [--base-url URL] EMAIL CLIENT_ID
 *
 * The password comes from the OVOK_PASSWORD environment variable, or else
 * from the first line of standard input. The exit code is 0 on success, the
 * OvokStatus value (1-12) on failure, and 64 for a usage error.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ovok.h"

#define EXIT_USAGE 64

/* Shows a token by its first 8 characters only. */
static void print_redacted(const char *label, const char *token) {
  if (token == NULL) {
    printf("%-15s (none)\n", label);
    return;
  }
  printf("%-15s %.8s... (%zu chars, redacted)\n", label, token, strlen(token));
}

/* Overwrites a secret in a way the compiler may not optimise away. */
static void wipe(char *secret, size_t length) {
  volatile char *p = secret;
  while (length-- > 0) {
    *p++ = 0;
  }
}

static int usage(void) {
  fprintf(stderr,
          "usage: login [--base-url URL] EMAIL CLIENT_ID\n"
          "  password: OVOK_PASSWORD environment variable, or the first line of stdin\n");
  return EXIT_USAGE;
}

int main(int argc, char **argv) {
  const char *base_url = NULL;
  int arg = 1;
  if (arg < argc && strcmp(argv[arg], "--base-url") == 0) {
    if (arg + 1 >= argc) {
      return usage();
    }
    base_url = argv[arg + 1];
    arg += 2;
  }
  if (argc - arg != 2) {
    return usage();
  }
  const char *email = argv[arg];
  const char *client_id = argv[arg + 1];

  char password[4098] = {0};
  const char *from_env = getenv("OVOK_PASSWORD");
  if (from_env != NULL) {
    if (strlen(from_env) >= sizeof password) {
      fprintf(stderr, "login: OVOK_PASSWORD is too long\n");
      return EXIT_USAGE;
    }
    strcpy(password, from_env);
  } else if (fgets(password, sizeof password, stdin) != NULL) {
    password[strcspn(password, "\r\n")] = '\0';
  }

  OvokResult *result = ovok_login(base_url, email, password, client_id);
  wipe(password, sizeof password);

  int status = (int)result->status;
  printf("%-15s %s (HTTP %u)\n", "status", ovok_status_name(result->status),
         (unsigned)result->http_status);
  if (result->status == OVOK_STATUS_OK) {
    printf("%-15s %s (%s)\n", "profile", result->profile_display, result->profile_reference);
    printf("%-15s %s (%s)\n", "project", result->project_display, result->project_reference);
    if (result->expires_at >= 0) {
      time_t expires_at = (time_t)result->expires_at;
      struct tm utc;
      char when[32] = "?";
      if (gmtime_r(&expires_at, &utc) != NULL) {
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &utc);
      }
      printf("%-15s in %lld s, at %s\n", "expires", (long long)result->expires_in, when);
    } else {
      printf("%-15s unknown\n", "expires");
    }
    print_redacted("access token", result->access_token);
    print_redacted("refresh token", result->refresh_token);
  } else {
    printf("%-15s %s\n", "error", result->error_message);
  }
  ovok_result_free(result);
  return status;
}
