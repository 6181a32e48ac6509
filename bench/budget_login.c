/*
 * Helpers for scripts/check-budgets.sh.
 *
 *   budget_login loop URL WARMUP N
 *       WARMUP logins, then N more; prints "rss_kib_after_warmup rss_kib_after_n".
 *       Run under valgrind, the difference between two N gives heap allocations
 *       per warm login; run natively with a large N, the RSS growth shows a leak.
 *   budget_login maxrss COMMAND [ARGS...]
 *       Runs COMMAND and prints its peak RSS in KiB (wait4's ru_maxrss), then
 *       exits with COMMAND's exit status.
 *
 * Every login must succeed (exit 1 otherwise).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ovok.h"

static long rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long kib = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
  fclose(f);
  return kib;
}

static int login_n(const char *url, long n) {
  for (long i = 0; i < n; i++) {
    OvokResult *r = ovok_login(url, "john.doe@mail.com", "password1234", "5e505642-9024-474d-9434-e5a44f505cc5");
    int ok = r->status == OVOK_STATUS_OK;
    if (!ok) fprintf(stderr, "budget_login: login %ld: %s: %s\n", i, ovok_status_name(r->status), r->error_message);
    ovok_result_free(r);
    if (!ok) return 0;
  }
  return 1;
}

int main(int argc, char **argv) {
  if (argc >= 5 && !strcmp(argv[1], "loop")) {
    const char *url = argv[2];
    long warmup = atol(argv[3]), n = atol(argv[4]);
    if (!login_n(url, warmup)) return 1;
    long before = rss_kib();
    if (!login_n(url, n)) return 1;
    printf("%ld %ld\n", before, rss_kib());
    return 0;
  }
  if (argc >= 3 && !strcmp(argv[1], "maxrss")) {
    pid_t pid = fork();
    if (pid == 0) {
      execvp(argv[2], argv + 2);
      perror("budget_login: exec");
      _exit(127);
    }
    int status = 0;
    struct rusage usage;
    if (pid < 0 || wait4(pid, &status, 0, &usage) < 0) return 1;
    printf("%ld\n", usage.ru_maxrss);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
  }
  fprintf(stderr, "usage: budget_login loop URL WARMUP N | budget_login maxrss COMMAND [ARGS...]\n");
  return 64;
}
