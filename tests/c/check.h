/* A tiny test harness: CHECK records a failure and carries on. */
#ifndef OVOK_TEST_CHECK_H
#define OVOK_TEST_CHECK_H

#include <stdio.h>

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

/* Prints the closing line the CI reads and returns the exit code. */
static int check_summary(const char *suite) {
  printf("%s: %d passed, %d failed\n", suite, checks_passed, checks_failed);
  return checks_failed == 0 ? 0 : 1;
}

#endif
