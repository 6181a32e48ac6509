/*
 * Per-call latency of three C login clients against the same server, measured
 * in alternating rounds (A B C A B C ...) inside one process:
 *
 *   ovok   ovok_login() through the C ABI (libovok.so)
 *   curl   libcurl, one reused easy handle per thread, POST + accessToken extraction
 *   floor  pre-built request bytes written to an open keep-alive socket, response
 *          read up to Content-Length; no JSON parsing, no TLS (nothing is faster)
 *
 * Usage: bench_c --url URL --clients ovok,curl,floor [--rounds R] [--calls N]
 *                [--warmup W] [--threads T] [--cold] [--cacert PEM]
 *                [--rotate-urls U1,U2,...] [--server-pid PID]
 *
 * --cold makes every call open a new connection (and do a full TLS handshake over
 * https): curl with CURLOPT_FRESH_CONNECT + CURLOPT_FORBID_REUSE and its TLS
 * session cache off; ovok has no switch for that, so --rotate-urls gives it a
 * list of base URLs (distinct loopback addresses of one server) that it cycles
 * through: ovok's pool keeps at most 32 idle connections, so with more than 32
 * addresses the connection for the next address has always been evicted.
 *
 * Output, one line per (round, client): "R round client threads wall_ns calls
 * server_cpu_ns lat_ns..." (latencies of every call of every thread). The driver
 * (bench/run_bench.py) turns these into medians, p99s, ratios and throughput.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ovok.h"

#define EMAIL "john.doe@mail.com"
#define PASSWORD "password1234"
#define CLIENT_ID "5e505642-9024-474d-9434-e5a44f505cc5"
#define BODY "{\"email\":\"" EMAIL "\",\"password\":\"" PASSWORD "\",\"clientId\":\"" CLIENT_ID "\"}"
#define MAX_THREADS 16

static const char *g_url;
static const char *g_cacert;
static int g_cold;
static char **g_rotate;
static int g_rotate_n;
static long g_server_pid;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "bench_c: %s\n", what);
  exit(2);
}

/* CPU time of every live thread of the server, from /proc/PID/task/TID/schedstat (ns). */
static uint64_t server_cpu_ns(void) {
  if (g_server_pid <= 0) return 0;
  char path[64];
  snprintf(path, sizeof path, "/proc/%ld/task", g_server_pid);
  DIR *dir = opendir(path);
  if (!dir) return 0;
  uint64_t total = 0;
  struct dirent *entry;
  while ((entry = readdir(dir))) {
    if (entry->d_name[0] == '.') continue;
    char file[320];
    snprintf(file, sizeof file, "/proc/%ld/task/%s/schedstat", g_server_pid, entry->d_name);
    FILE *f = fopen(file, "r");
    if (!f) continue;
    unsigned long long ns = 0;
    if (fscanf(f, "%llu", &ns) == 1) total += ns;
    fclose(f);
  }
  closedir(dir);
  return total;
}

/* ---------------------------------------------------------------- ovok */

/* Over https the server's throwaway certificate has to be trusted, which needs a
 * client with an added CA (ovok_client_builder_add_ca_file). scripts/bench.sh
 * defines OVOK_BENCH_CLIENT_API when include/ovok.h has it. One client is
 * shared by every thread, as ovok_login shares its default one. */
#ifdef OVOK_BENCH_CLIENT_API
static OvokClient *g_ovok_client;
static pthread_once_t g_ovok_once = PTHREAD_ONCE_INIT;
static void ovok_build_client(void) {
  OvokClientBuilder *b = ovok_client_builder_new();
  if (ovok_client_builder_add_ca_file(b, g_cacert) != OVOK_STATUS_OK) die(ovok_client_builder_last_error(b));
  if (ovok_client_build(b, &g_ovok_client) != OVOK_STATUS_OK) die(ovok_client_builder_last_error(b));
  ovok_client_builder_free(b);
}
#endif

static void *ovok_init(int thread) {
  (void)thread;
  if (g_cacert) {
#ifdef OVOK_BENCH_CLIENT_API
    pthread_once(&g_ovok_once, ovok_build_client);
#else
    die("ovok over https needs ovok_client_builder_add_ca_file, which include/ovok.h lacks");
#endif
  }
  return (void *)1;
}

static int ovok_call(void *state, long i) {
  (void)state;
  const char *url = g_url;
  if (g_cold) {
    if (!g_rotate_n) die("--cold with the ovok client needs --rotate-urls");
    url = g_rotate[i % g_rotate_n];
  }
#ifdef OVOK_BENCH_CLIENT_API
  OvokResult *r = g_ovok_client ? ovok_client_login(g_ovok_client, url, EMAIL, PASSWORD, CLIENT_ID)
                                : ovok_login(url, EMAIL, PASSWORD, CLIENT_ID);
#else
  OvokResult *r = ovok_login(url, EMAIL, PASSWORD, CLIENT_ID);
#endif
  int ok = r->status == OVOK_STATUS_OK && r->access_token && r->access_token[0];
  if (!ok) fprintf(stderr, "ovok: %s: %s\n", ovok_status_name(r->status), r->error_message);
  ovok_result_free(r);
  return ok;
}

static void ovok_fini(void *state) { (void)state; }

/* ---------------------------------------------------------------- curl */

typedef struct {
  CURL *easy;
  struct curl_slist *headers;
  char *buf;
  size_t len, cap;
} curl_state;

static size_t curl_write(char *data, size_t size, size_t n, void *user) {
  curl_state *s = user;
  size_t add = size * n;
  if (s->len + add + 1 > s->cap) {
    size_t cap = s->cap ? s->cap : 4096;
    while (s->len + add + 1 > cap) cap *= 2;
    char *grown = realloc(s->buf, cap);
    if (!grown) return 0;
    s->buf = grown;
    s->cap = cap;
  }
  memcpy(s->buf + s->len, data, add);
  s->len += add;
  s->buf[s->len] = 0;
  return add;
}

static void *curl_init(int thread) {
  (void)thread;
  curl_state *s = calloc(1, sizeof *s);
  char url[512];
  snprintf(url, sizeof url, "%s/v2/auth/login", g_url);
  s->easy = curl_easy_init();
  s->headers = curl_slist_append(NULL, "Content-Type: application/json");
  s->headers = curl_slist_append(s->headers, "Accept: application/json");
  curl_easy_setopt(s->easy, CURLOPT_URL, url);
  curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
  curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, BODY);
  curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(BODY));
  curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, curl_write);
  curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
  curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(s->easy, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(s->easy, CURLOPT_TIMEOUT, 30L);
  if (g_cacert) curl_easy_setopt(s->easy, CURLOPT_CAINFO, g_cacert);
  if (g_cold) {
    curl_easy_setopt(s->easy, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(s->easy, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(s->easy, CURLOPT_SSL_SESSIONID_CACHE, 0L);
  }
  return s;
}

/* What a C developer would write to pull the token out of a small JSON body:
 * find the key, copy the string value. Cheaper than a real JSON parser (which
 * ovok runs), so it flatters libcurl, if anything. */
static char *extract_access_token(const char *json) {
  const char *key = strstr(json, "\"accessToken\"");
  if (!key) return NULL;
  const char *p = key + strlen("\"accessToken\"");
  while (*p == ' ' || *p == ':') p++;
  if (*p != '"') return NULL;
  const char *start = ++p;
  while (*p && *p != '"') p++;
  if (!*p) return NULL;
  return strndup(start, (size_t)(p - start));
}

static int curl_call(void *state, long i) {
  (void)i;
  curl_state *s = state;
  s->len = 0;
  CURLcode rc = curl_easy_perform(s->easy);
  long code = 0;
  curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
  if (rc != CURLE_OK || code != 200 || !s->buf) {
    fprintf(stderr, "curl: %s (HTTP %ld)\n", curl_easy_strerror(rc), code);
    return 0;
  }
  char *token = extract_access_token(s->buf);
  int ok = token && token[0];
  free(token);
  return ok;
}

static void curl_fini(void *state) {
  curl_state *s = state;
  curl_easy_cleanup(s->easy);
  curl_slist_free_all(s->headers);
  free(s->buf);
  free(s);
}

/* ---------------------------------------------------------------- floor */

typedef struct {
  int fd;
  char *request;
  size_t request_len;
  char buf[16384];
} floor_state;

static void *floor_init(int thread) {
  (void)thread;
  floor_state *s = calloc(1, sizeof *s);
  char host[256];
  int port = 0;
  if (sscanf(g_url, "http://%255[^:]:%d", host, &port) != 2) die("the floor client needs http://HOST:PORT");
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) die("the floor client needs an IPv4 address");
  s->fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(s->fd, (struct sockaddr *)&addr, sizeof addr) != 0) die("floor: connect failed");
  int one = 1;
  setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  size_t cap = 1024;
  s->request = malloc(cap);
  s->request_len = (size_t)snprintf(s->request, cap,
                                    "POST /v2/auth/login HTTP/1.1\r\nHost: %s:%d\r\n"
                                    "Content-Type: application/json\r\nAccept: application/json\r\n"
                                    "Content-Length: %zu\r\n\r\n%s",
                                    host, port, strlen(BODY), BODY);
  return s;
}

static int floor_call(void *state, long i) {
  (void)i;
  floor_state *s = state;
  size_t off = 0;
  while (off < s->request_len) {
    ssize_t n = write(s->fd, s->request + off, s->request_len - off);
    if (n <= 0) return 0;
    off += (size_t)n;
  }
  size_t got = 0, need = 0;
  for (;;) {
    ssize_t n = read(s->fd, s->buf + got, sizeof s->buf - 1 - got);
    if (n <= 0) return 0;
    got += (size_t)n;
    s->buf[got] = 0;
    if (!need) {
      char *end = strstr(s->buf, "\r\n\r\n");
      if (!end) continue;
      char *cl = strcasestr(s->buf, "\r\ncontent-length:");
      if (!cl || cl > end) return 0;
      need = (size_t)(end + 4 - s->buf) + strtoul(cl + 17, NULL, 10);
    }
    if (got >= need) break;
  }
  return strncmp(s->buf, "HTTP/1.1 200", 12) == 0;
}

static void floor_fini(void *state) {
  floor_state *s = state;
  close(s->fd);
  free(s->request);
  free(s);
}

/* ---------------------------------------------------------------- driver */

typedef struct {
  const char *name;
  void *(*init)(int thread);
  int (*call)(void *state, long i);
  void (*fini)(void *state);
} client;

static const client CLIENTS[] = {
    {"ovok", ovok_init, ovok_call, ovok_fini},
    {"curl", curl_init, curl_call, curl_fini},
    {"floor", floor_init, floor_call, floor_fini},
};

typedef struct {
  const client *c;
  void *state;
  long calls;
  long warmup;
  long base; /* call index offset (rotates URLs across threads and rounds) */
  uint64_t *lat;
  int failed;
  pthread_barrier_t *start;
} job;

static void *run_job(void *arg) {
  job *j = arg;
  for (long i = 0; i < j->warmup; i++)
    if (!j->c->call(j->state, j->base + i)) j->failed = 1;
  pthread_barrier_wait(j->start);
  for (long i = 0; i < j->calls; i++) {
    uint64_t t0 = now_ns();
    if (!j->c->call(j->state, j->base + j->warmup + i)) j->failed = 1;
    j->lat[i] = now_ns() - t0;
  }
  return NULL;
}

int main(int argc, char **argv) {
  char *clients = NULL;
  long rounds = 10, calls = 200, warmup = 50;
  int threads = 1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--cold")) { g_cold = 1; continue; }
    if (!v) die("missing value");
    i++;
    if (!strcmp(a, "--url")) g_url = v;
    else if (!strcmp(a, "--clients")) clients = strdup(v);
    else if (!strcmp(a, "--rounds")) rounds = atol(v);
    else if (!strcmp(a, "--calls")) calls = atol(v);
    else if (!strcmp(a, "--warmup")) warmup = atol(v);
    else if (!strcmp(a, "--threads")) threads = atoi(v);
    else if (!strcmp(a, "--cacert")) g_cacert = v;
    else if (!strcmp(a, "--server-pid")) g_server_pid = atol(v);
    else if (!strcmp(a, "--rotate-urls")) {
      char *list = strdup(v);
      for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        g_rotate = realloc(g_rotate, sizeof *g_rotate * (size_t)(g_rotate_n + 1));
        g_rotate[g_rotate_n++] = tok;
      }
    } else die("unknown option");
  }
  if (!g_url || !clients || threads < 1 || threads > MAX_THREADS) die("usage: see the comment at the top");
  curl_global_init(CURL_GLOBAL_DEFAULT);

  const client *order[8];
  int n_clients = 0;
  for (char *tok = strtok(clients, ","); tok && n_clients < 8; tok = strtok(NULL, ",")) {
    const client *found = NULL;
    for (size_t k = 0; k < sizeof CLIENTS / sizeof *CLIENTS; k++)
      if (!strcmp(CLIENTS[k].name, tok)) found = &CLIENTS[k];
    if (!found) die("unknown client");
    order[n_clients++] = found;
  }

  /* Per-thread client state lives for the whole run (warm: connections stay open). */
  void *states[8][MAX_THREADS];
  for (int c = 0; c < n_clients; c++)
    for (int t = 0; t < threads; t++) states[c][t] = order[c]->init(t);

  uint64_t *lat = malloc(sizeof *lat * (size_t)(calls * threads));
  long counter[8] = {0};
  int failed = 0;
  for (long r = -1; r < rounds; r++) { /* round -1: warm-up only, not reported */
    for (int c = 0; c < n_clients; c++) {
      pthread_barrier_t start;
      pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
      pthread_t tids[MAX_THREADS];
      job jobs[MAX_THREADS];
      long n = r < 0 ? 0 : calls;
      long w = r < 0 ? warmup : 2;
      for (int t = 0; t < threads; t++) {
        jobs[t] = (job){order[c], states[c][t], n, w, counter[c] + (long)t * (n + w), lat + (size_t)t * (size_t)calls, 0, &start};
        pthread_create(&tids[t], NULL, run_job, &jobs[t]);
      }
      counter[c] += (long)threads * (n + w);
      pthread_barrier_wait(&start);
      uint64_t cpu0 = server_cpu_ns();
      uint64_t t0 = now_ns();
      for (int t = 0; t < threads; t++) pthread_join(tids[t], NULL);
      uint64_t wall = now_ns() - t0;
      uint64_t cpu = server_cpu_ns() - cpu0;
      pthread_barrier_destroy(&start);
      for (int t = 0; t < threads; t++) failed |= jobs[t].failed;
      if (r < 0) continue;
      printf("R %ld %s %d %llu %ld %llu", r, order[c]->name, threads, (unsigned long long)wall,
             n * threads, (unsigned long long)cpu);
      for (long k = 0; k < n * threads; k++) printf(" %llu", (unsigned long long)lat[k]);
      printf("\n");
      fflush(stdout);
    }
  }
  for (int c = 0; c < n_clients; c++)
    for (int t = 0; t < threads; t++) order[c]->fini(states[c][t]);
  curl_global_cleanup();
  free(lat);
  if (failed) {
    fprintf(stderr, "bench_c: some calls failed\n");
    return 1;
  }
  return 0;
}
