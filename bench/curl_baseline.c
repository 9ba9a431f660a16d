/* The benchmark's limit: the same transfers straight on libcurl, with nothing between the program and it.
 *   curl_baseline get URL N [CA]            N GETs on one reused easy handle (keep-alive, TLS session reuse)
 *   curl_baseline multi URL_PREFIX N CONC   N GETs of URL_PREFIX<i> on a multi handle, CONC at a time
 * Built three times by bench/run: plain, and with -DWITH_CJSON, where each body is also decoded by lua-cjson
 * inside an embedded Lua 5.4 or LuaJIT, the way the SDK decodes it (the "+ cjson" baselines, one per
 * interpreter the SDK is measured on).
 * Each request carries exactly the headers an SDK call sends: Accept, User-Agent and Humanitec-User-Agent
 * (their values from the environment, BENCH_USER_AGENT and BENCH_HUMANITEC_USER_AGENT, which bench/run takes
 * from the SDK), Accept-Encoding: gzip, and the token.
 * Prints "RESULT <milliseconds> <peak RSS in KiB> <bytes received>" on success. */
#define _POSIX_C_SOURCE 200809L

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef WITH_CJSON
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#endif

/* A body buffer per transfer; reused (len = 0) between requests, grown as needed, freed at exit. */
typedef struct {
  char *data;
  size_t len, cap;
} buffer;

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata) {
  buffer *b = userdata;
  size_t n = size * nmemb;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 16384;
    while (cap < b->len + n) cap *= 2;
    char *grown = realloc(b->data, cap);
    if (grown == NULL) return 0;
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, data, n);
  b->len += n;
  return n;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long peak_rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  if (f == NULL) return -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "VmHWM:", 6) == 0) kb = strtol(line + 6, NULL, 10);
  fclose(f);
  return kb;
}

#ifdef WITH_CJSON
static lua_State *L;

/* cjson.decode(body); the result is dropped at once, as a caller that reads it and lets it go would. */
static void decode(const buffer *b) {
  lua_pushvalue(L, 1);
  lua_pushlstring(L, b->data ? b->data : "", b->len);
  if (lua_pcall(L, 1, 1, 0) != 0 || lua_type(L, -1) != LUA_TTABLE) {
    fprintf(stderr, "decode failed: %s\n", lua_tostring(L, -1));
    exit(1);
  }
  lua_pop(L, 1);
}
#else
static void decode(const buffer *b) { (void)b; }
#endif

/* The request headers of an API call, the same for every tool; made once in main, freed at exit. */
static struct curl_slist *request_headers;

static void setup(CURL *e, buffer *b, const char *ca) {
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, request_headers);
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "gzip"); /* as the SDK's core asks */
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, b);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  if (ca) curl_easy_setopt(e, CURLOPT_CAINFO, ca);
}

static int run_get(const char *url, long n, const char *ca) {
  buffer b = {0};
  CURL *e = curl_easy_init();
  long status = 0;
  size_t bytes = 0;
  setup(e, &b, ca);
  curl_easy_setopt(e, CURLOPT_URL, url);
  double start = now_ms();
  for (long i = 0; i < n; i++) {
    b.len = 0;
    CURLcode rc = curl_easy_perform(e);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != 200) {
      fprintf(stderr, "request %ld: %s, status %ld\n", i, curl_easy_strerror(rc), status);
      return 1;
    }
    bytes += b.len;
    decode(&b);
  }
  double elapsed = now_ms() - start;
  printf("RESULT %.3f %ld %zu\n", elapsed, peak_rss_kb(), bytes);
  curl_easy_cleanup(e);
  free(b.data);
  return 0;
}

static int run_multi(const char *prefix, long n, long conc) {
  CURLM *m = curl_multi_init();
  CURL **easy = calloc((size_t)conc, sizeof *easy);
  buffer *bufs = calloc((size_t)conc, sizeof *bufs);
  char url[2048];
  long next = 0, done = 0;
  size_t bytes = 0;
  double start = now_ms();
  for (long i = 0; i < conc && next < n; i++, next++) {
    easy[i] = curl_easy_init();
    setup(easy[i], &bufs[i], NULL);
    curl_easy_setopt(easy[i], CURLOPT_PRIVATE, (void *)&bufs[i]);
    snprintf(url, sizeof url, "%s%ld", prefix, next + 1);
    curl_easy_setopt(easy[i], CURLOPT_URL, url);
    curl_multi_add_handle(m, easy[i]);
  }
  while (done < n) {
    int running = 0, left = 0;
    curl_multi_perform(m, &running);
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(m, &left)) != NULL) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL *e = msg->easy_handle;
      long status = 0;
      buffer *b;
      curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
      curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&b);
      if (msg->data.result != CURLE_OK || status != 200) {
        fprintf(stderr, "transfer: %s, status %ld\n", curl_easy_strerror(msg->data.result), status);
        return 1;
      }
      bytes += b->len;
      decode(b);
      b->len = 0;
      done++;
      curl_multi_remove_handle(m, e);
      if (next < n) { /* the same handle, and so its connection, takes the next request */
        snprintf(url, sizeof url, "%s%ld", prefix, ++next);
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_multi_add_handle(m, e);
      }
    }
    if (done < n) curl_multi_poll(m, NULL, 0, 1000, NULL);
  }
  double elapsed = now_ms() - start;
  printf("RESULT %.3f %ld %zu\n", elapsed, peak_rss_kb(), bytes);
  for (long i = 0; i < conc; i++) {
    if (easy[i]) curl_easy_cleanup(easy[i]);
    free(bufs[i].data);
  }
  curl_multi_cleanup(m);
  free(easy);
  free(bufs);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s get URL N [CA] | multi URL_PREFIX N CONC | version\n", argv[0]);
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  request_headers = curl_slist_append(NULL, "Accept: application/json");
  request_headers = curl_slist_append(request_headers, "Authorization: Bearer bench-token");
  static char ua[512], hua[512];
  const char *ua_value = getenv("BENCH_USER_AGENT"), *hua_value = getenv("BENCH_HUMANITEC_USER_AGENT");
  if (ua_value) {
    snprintf(ua, sizeof ua, "User-Agent: %s", ua_value);
    request_headers = curl_slist_append(request_headers, ua);
  }
  if (hua_value) {
    snprintf(hua, sizeof hua, "Humanitec-User-Agent: %s", hua_value);
    request_headers = curl_slist_append(request_headers, hua);
  }
#ifdef WITH_CJSON
  L = luaL_newstate();
  luaL_openlibs(L);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "cjson");
  if (lua_pcall(L, 1, 1, 0) != 0) {
    fprintf(stderr, "cannot load cjson: %s\n", lua_tostring(L, -1));
    return 1;
  }
  lua_getfield(L, -1, "decode");
  lua_replace(L, 1); /* cjson.decode stays at index 1 */
  lua_settop(L, 1);
#endif
  int rc;
  if (strcmp(argv[1], "get") == 0)
    rc = run_get(argv[2], atol(argv[3]), argc > 4 ? argv[4] : NULL);
  else if (strcmp(argv[1], "multi") == 0 && argc > 4)
    rc = run_multi(argv[2], atol(argv[3]), atol(argv[4]));
  else {
    fprintf(stderr, "unknown mode %s\n", argv[1]);
    rc = 2;
  }
#ifdef WITH_CJSON
  lua_close(L);
#endif
  curl_slist_free_all(request_headers);
  curl_global_cleanup();
  return rc;
}
