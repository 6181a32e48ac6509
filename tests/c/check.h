/* What the C tests share: the emulator's demo user, CHECK (which records a
 * failure and carries on) and a substring test. */
#ifndef OVOK_TEST_CHECK_H
#define OVOK_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

/* The emulator's built-in demo user. */
#define EMAIL "john.doe@mail.com"
#define PASSWORD "password1234"
#define CLIENT_ID "5e505642-9024-474d-9434-e5a44f505cc5"

static int checks_passed = 0;
static int checks_failed = 0;

#define CHECK(condition)                                                   \
  do {                                                                     \
    if (condition) {                                                       \
      checks_passed++;                                                     \
    } else {                                                               \
      checks_failed++;                                                     \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #condition); \
    }                                                                      \
  } while (0)

/* Whether `haystack` contains `needle`; false when either is NULL. */
static int contains(const char *haystack, const char *needle) {
  return haystack != NULL && needle != NULL && strstr(haystack, needle) != NULL;
}

/* Prints the closing line the CI reads and returns the exit code. */
static int check_summary(const char *suite) {
  printf("%s: %d passed, %d failed\n", suite, checks_passed, checks_failed);
  return checks_failed == 0 ? 0 : 1;
}

#endif
