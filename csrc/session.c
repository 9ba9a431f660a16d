/* The session userdata: the settings every request applies, the bearer token (which stays here and is never
 * handed back to Lua), and one libcurl easy handle reused by blocking requests (keep-alive, TLS session
 * reuse). multi.c adds the transfers that run many at once.
 *
 * Lua never runs inside a libcurl callback: the callbacks below only copy bytes into buffers owned by the
 * transfer, and results are pushed to Lua after libcurl has returned. Environmental failures come back as
 * `nil, message, kind`; misuse (bad arguments, a closed session) raises, always before the session is
 * entered, so a raise never leaves it marked busy. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c99 */

#include "session.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "headers.h"

#define HUM_DEFAULT_MAX_BODY ((curl_off_t)64 * 1024 * 1024)
#define HUM_MAX_BODY_LIMIT ((curl_off_t)1 << 62)
#define HUM_HEAD_LIMIT ((size_t)256 * 1024) /* all response headers together */
#define HUM_TRACE_LIMIT ((size_t)1024 * 1024)
/* Longer waits are clamped to this (about 23 days), so every time in milliseconds fits a long. */
#define HUM_MAX_SECONDS 2000000.0

double hum_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds as libcurl's milliseconds: 0 stays "no limit", anything above 0 is at least 1 ms. */
static long seconds_to_ms(double seconds) {
  if (!(seconds > 0)) return 0;
  if (seconds > HUM_MAX_SECONDS) seconds = HUM_MAX_SECONDS;
  long ms = (long)ceil(seconds * 1000.0);
  return ms < 1 ? 1 : ms;
}

/* ---- settings ---------------------------------------------------------------------------------------- */

static void wipe(char *s) {
  if (s == NULL) return;
  /* volatile so the compiler cannot drop the stores as dead before free */
  volatile char *p = s;
  while (*p) *p++ = 0;
}

static void settings_free(hum_settings *s) {
  wipe(s->token);
  free(s->token);
  free(s->ca_file);
  free(s->ca_path);
  s->token = s->ca_file = s->ca_path = NULL;
}

/* A copy of the string option at the top of the stack; raises naming the option if it is not a string or
 * holds a byte a header or path must not. */
static char *option_string(lua_State *L, const char *name) {
  size_t len;
  if (lua_type(L, -1) != LUA_TSTRING)
    luaL_error(L, "bad option '%s' (string expected, got %s)", name, luaL_typename(L, -1));
  const char *s = lua_tolstring(L, -1, &len);
  if (strlen(s) != len || strpbrk(s, "\r\n") != NULL)
    luaL_error(L, "bad option '%s' (must not contain CR, LF or NUL)", name);
  char *copy = malloc(len + 1);
  if (copy == NULL) luaL_error(L, "not enough memory");
  memcpy(copy, s, len + 1);
  return copy;
}

/* A finite number of at least `min`; raises naming the option otherwise. */
static double option_number(lua_State *L, const char *name, double min) {
  if (lua_type(L, -1) != LUA_TNUMBER)
    luaL_error(L, "bad option '%s' (number expected, got %s)", name, luaL_typename(L, -1));
  double v = (double)lua_tonumber(L, -1);
  if (!(v >= min) || !isfinite(v))
    luaL_error(L, "bad option '%s' (must be a finite number, at least %f)", name, min);
  return v;
}

static int option_boolean(lua_State *L, const char *name) {
  if (lua_type(L, -1) != LUA_TBOOLEAN)
    luaL_error(L, "bad option '%s' (boolean expected, got %s)", name, luaL_typename(L, -1));
  return lua_toboolean(L, -1);
}

/* Reads the options table at `idx` into `s`. The strings it copies belong to the session userdata already
 * (s points into it), so a raise half-way leaves nothing unowned: __gc frees what was copied. */
static void read_settings(lua_State *L, int idx, hum_settings *s) {
  s->max_body = HUM_DEFAULT_MAX_BODY;
  s->http2 = (curl_version_info(CURLVERSION_NOW)->features & CURL_VERSION_HTTP2) != 0;
  s->connect_timeout_ms = 10000;
  if (lua_isnoneornil(L, idx)) return;
  luaL_checktype(L, idx, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "bad option (string keys expected)");
    const char *key = lua_tostring(L, -2);
    if (strcmp(key, "token") == 0) {
      free(s->token);
      s->token = option_string(L, key);
    } else if (strcmp(key, "ca_file") == 0) {
      free(s->ca_file);
      s->ca_file = option_string(L, key);
    } else if (strcmp(key, "ca_path") == 0) {
      free(s->ca_path);
      s->ca_path = option_string(L, key);
    } else if (strcmp(key, "connect_timeout") == 0) {
      s->connect_timeout_ms = seconds_to_ms(option_number(L, key, 0));
    } else if (strcmp(key, "max_body") == 0) {
      double v = option_number(L, key, 1);
      s->max_body = v >= (double)HUM_MAX_BODY_LIMIT ? HUM_MAX_BODY_LIMIT : (curl_off_t)v;
    } else if (strcmp(key, "insecure") == 0) {
      s->insecure = option_boolean(L, key);
    } else if (strcmp(key, "trace") == 0) {
      s->trace = option_boolean(L, key);
    } else {
      luaL_error(L, "unknown option '%s'", key);
    }
    lua_pop(L, 1);
  }
}

/* ---- libcurl callbacks: bytes into buffers, nothing else ----------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata) {
  hum_transfer *t = userdata;
  size_t n = size * nmemb;
  t->got_bytes = 1;
  if (t->body.len == 0) {
    /* Room for the whole body at once when its length is known, rather than growing to it step by step.
     * Never more than max_body; for a compressed answer this is a start, not the end. */
    curl_off_t length = -1;
    if (curl_easy_getinfo(t->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK && length > 0) {
      size_t want = length < (curl_off_t)t->body.limit ? (size_t)length : t->body.limit;
      if (hum_buffer_reserve(&t->body, want) != HUM_BUFFER_OK) {
        t->out_of_memory = 1;
        return 0;
      }
    }
  }
  int rc = hum_buffer_append(&t->body, data, n);
  if (rc == HUM_BUFFER_OK) return n;
  if (rc == HUM_BUFFER_FULL)
    t->too_large = 1;
  else
    t->out_of_memory = 1;
  return 0; /* anything but n makes libcurl stop with CURLE_WRITE_ERROR */
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata) {
  hum_transfer *t = userdata;
  size_t n = size * nmemb;
  t->got_bytes = 1;
  int rc = hum_headers_add_line(&t->head, data, n);
  if (rc == HUM_BUFFER_OK) return n;
  if (rc == HUM_BUFFER_FULL)
    t->head_full = 1;
  else
    t->out_of_memory = 1;
  return 0;
}

static int on_debug(CURL *easy, curl_infotype type, char *data, size_t size, void *userdata) {
  hum_transfer *t = userdata;
  (void)easy;
  const char *prefix;
  switch (type) {
  case CURLINFO_TEXT: prefix = "* "; break;
  case CURLINFO_HEADER_OUT: prefix = "> "; break;
  case CURLINFO_HEADER_IN: prefix = "< "; break;
  default: return 0; /* bodies and TLS records stay out of traces */
  }
  hum_trace_append(&t->trace, prefix, data, size, t->settings->token);
  return 0;
}

/* ---- transfers ----------------------------------------------------------------------------------------- */

int hum_transfer_init(hum_transfer *t, hum_session *s) {
  t->settings = &s->settings;
  t->share = s->share;
  t->headers = NULL;
  t->configured = 0;
  hum_buffer_init(&t->body, (size_t)s->settings.max_body);
  hum_buffer_init(&t->head, HUM_HEAD_LIMIT);
  hum_buffer_init(&t->trace, HUM_TRACE_LIMIT);
  t->easy = curl_easy_init();
  return t->easy != NULL;
}

/* Frees the header list, wiping each line first: one of them carries the token. */
static void free_headers(hum_transfer *t) {
  for (struct curl_slist *item = t->headers; item; item = item->next) wipe(item->data);
  curl_slist_free_all(t->headers);
  t->headers = NULL;
}

/* Drops what one request left behind; keeps the easy handle and its connections, and the header list. */
void hum_transfer_clear(hum_transfer *t) {
  hum_buffer_reset(&t->body);
  hum_buffer_reset(&t->head);
  hum_buffer_reset(&t->trace);
  t->too_large = t->head_full = t->out_of_memory = t->got_bytes = 0;
  t->errbuf[0] = '\0';
}

void hum_transfer_free(hum_transfer *t) {
  hum_transfer_clear(t);
  free_headers(t);
  hum_buffer_free(&t->body);
  hum_buffer_free(&t->head);
  hum_buffer_free(&t->trace);
  if (t->easy) curl_easy_cleanup(t->easy);
  t->easy = NULL;
}

/* The options every request of the session carries. curl_easy_reset before this keeps connections, the TLS
 * session cache and the DNS cache, and clears whatever the previous request set. */
static void apply_settings(hum_transfer *t) {
  CURL *e = t->easy;
  const hum_settings *s = t->settings;
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  /* gzip, which every server offers. ("" would list every encoding this libcurl has, a longer header that
   * libcurl formats again for each request, for no gain with JSON.) */
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "gzip");
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  if (s->http2) curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
  if (t->share) curl_easy_setopt(e, CURLOPT_SHARE, t->share);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, s->connect_timeout_ms);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, s->insecure ? 0L : 1L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, s->insecure ? 0L : 2L);
  /* A CA given is the only one trusted: libcurl would otherwise keep its built-in folder beside a file. */
  if (s->ca_file) curl_easy_setopt(e, CURLOPT_CAINFO, s->ca_file);
  if (s->ca_path) curl_easy_setopt(e, CURLOPT_CAPATH, s->ca_path);
  if (s->ca_file && !s->ca_path) curl_easy_setopt(e, CURLOPT_CAPATH, (char *)NULL);
  if (s->ca_path && !s->ca_file) curl_easy_setopt(e, CURLOPT_CAINFO, (char *)NULL);
  curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, s->max_body);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
  curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)t);
  if (s->trace) {
    curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(e, CURLOPT_DEBUGDATA, t);
    curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
  }
}

static int valid_method(const char *m, size_t len) {
  if (len == 0 || len > 32) return 0;
  for (size_t i = 0; i < len; i++)
    if (m[i] < 'A' || m[i] > 'Z') return 0;
  return 1;
}

static int starts_with_ci(const char *s, const char *prefix) {
  for (; *prefix; s++, prefix++) {
    char c = (*s >= 'A' && *s <= 'Z') ? (char)(*s - 'A' + 'a') : *s;
    if (c != *prefix) return 0;
  }
  return 1;
}

/* Checks the arguments of request and start, at `first` (method) to `first + 4` (timeout), converting what
 * needs converting. Raises on misuse; this is the only part that may, and it runs before the session is
 * entered. */
void hum_check_request(lua_State *L, int first, hum_request_args *a) {
  size_t method_len, url_len;
  a->method = luaL_checklstring(L, first, &method_len);
  a->url = luaL_checklstring(L, first + 1, &url_len);
  a->body = luaL_optlstring(L, first + 3, NULL, &a->body_len);
  lua_Number timeout = luaL_optnumber(L, first + 4, 0);
  if (!valid_method(a->method, method_len)) luaL_argerror(L, first, "method must be upper-case letters");
  if (strlen(a->url) != url_len || strpbrk(a->url, "\r\n \t") != NULL)
    luaL_argerror(L, first + 1, "URL must not contain white space or NUL");
  if (!(timeout >= 0)) luaL_argerror(L, first + 4, "timeout must be a non-negative number");
  a->timeout_ms = seconds_to_ms((double)timeout);
  if (a->body != NULL && (strcmp(a->method, "GET") == 0 || strcmp(a->method, "HEAD") == 0))
    luaL_argerror(L, first + 3, "GET and HEAD requests take no body");
  a->headers_idx = 0;
  a->has_content_type = 0;
  a->has_idempotency_key = 0;
  int idx = first + 2;
  if (lua_isnoneornil(L, idx)) return;
  luaL_checktype(L, idx, LUA_TTABLE);
  a->headers_idx = idx;
  size_t n = hum_rawlen(L, idx);
  for (size_t i = 1; i <= n; i++) {
    lua_rawgeti(L, idx, (int)i);
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "bad header #%d (string expected, got %s)", (int)i, luaL_typename(L, -1));
    size_t len;
    const char *h = lua_tolstring(L, -1, &len);
    if (strlen(h) != len || strpbrk(h, "\r\n") != NULL)
      luaL_error(L, "bad header #%d (must not contain CR, LF or NUL)", (int)i);
    if (memchr(h, ':', len) == NULL) luaL_error(L, "bad header #%d (expected 'Name: value')", (int)i);
    if (starts_with_ci(h, "authorization:"))
      luaL_error(L, "bad header #%d (Authorization comes from the session's token)", (int)i);
    if (starts_with_ci(h, "content-type:")) a->has_content_type = 1;
    if (starts_with_ci(h, "idempotency-key:")) a->has_idempotency_key = 1;
    lua_pop(L, 1);
  }
}

static int append_header(hum_transfer *t, const char *line) {
  struct curl_slist *next = curl_slist_append(t->headers, line);
  if (next == NULL) return -1;
  t->headers = next;
  return 0;
}

/* The lines a request sends after the caller's. The token's, written here rather than by libcurl's bearer
 * support, which costs more per request for the same line; either way it goes only to the URL's host, as
 * redirects are never followed. Then, with a body, no "Expect: 100-continue" round trip for a large one, and
 * no form Content-Type libcurl would add. */
static const char AUTH_PREFIX[] = "Authorization: Bearer ";
static const char *const EXPECT_NONE = "Expect:";
static const char *const CONTENT_TYPE_NONE = "Content-Type:";

/* Whether the transfer's header list already holds exactly the lines this request sends. */
static int headers_unchanged(lua_State *L, const hum_transfer *t, const hum_request_args *a, int has_body) {
  const struct curl_slist *item = t->headers;
  const char *token = t->settings->token;
  size_t n = a->headers_idx ? hum_rawlen(L, a->headers_idx) : 0;
  for (size_t i = 1; i <= n; i++, item = item->next) {
    if (item == NULL) return 0;
    lua_rawgeti(L, a->headers_idx, (int)i);
    int same = strcmp(item->data, lua_tostring(L, -1)) == 0;
    lua_pop(L, 1);
    if (!same) return 0;
  }
  if (token) {
    if (item == NULL || strncmp(item->data, AUTH_PREFIX, sizeof AUTH_PREFIX - 1) != 0 ||
        strcmp(item->data + sizeof AUTH_PREFIX - 1, token) != 0)
      return 0;
    item = item->next;
  }
  if (!has_body) return item == NULL;
  if (item == NULL || strcmp(item->data, EXPECT_NONE) != 0) return 0;
  item = item->next;
  if (!a->has_content_type) {
    if (item == NULL || strcmp(item->data, CONTENT_TYPE_NONE) != 0) return 0;
    item = item->next;
  }
  return item == NULL;
}

static int build_headers(lua_State *L, hum_transfer *t, const hum_request_args *a, int has_body) {
  free_headers(t);
  if (a->headers_idx) {
    size_t n = hum_rawlen(L, a->headers_idx);
    for (size_t i = 1; i <= n; i++) {
      lua_rawgeti(L, a->headers_idx, (int)i);
      int rc = append_header(t, lua_tostring(L, -1));
      lua_pop(L, 1);
      if (rc != 0) return -1;
    }
  }
  const char *token = t->settings->token;
  if (token) {
    size_t len = sizeof AUTH_PREFIX - 1 + strlen(token);
    char *line = malloc(len + 1);
    if (line == NULL) return -1;
    memcpy(line, AUTH_PREFIX, sizeof AUTH_PREFIX - 1);
    strcpy(line + sizeof AUTH_PREFIX - 1, token);
    int rc = append_header(t, line); /* the list keeps a copy, wiped when the list is freed */
    wipe(line);
    free(line);
    if (rc != 0) return -1;
  }
  if (!has_body) return 0;
  if (append_header(t, EXPECT_NONE) != 0) return -1;
  if (!a->has_content_type && append_header(t, CONTENT_TYPE_NONE) != 0) return -1;
  return 0;
}

/* Readies the transfer for a request checked by hum_check_request. Allocates no Lua memory (the header
 * strings were checked to be strings already), so no collection can run in between. Returns 0, or -1 when
 * memory ran out. With copy_body, libcurl keeps its own copy of the body, for transfers that outlive the
 * call; otherwise the Lua string on the stack must stay alive until the transfer is done. */
int hum_transfer_prepare(lua_State *L, hum_transfer *t, const hum_request_args *a, int copy_body) {
  int is_get = strcmp(a->method, "GET") == 0;
  int is_head = strcmp(a->method, "HEAD") == 0;
  int is_post = strcmp(a->method, "POST") == 0;
  /* POST, PUT and PATCH always carry a body, if an empty one, so the server sees Content-Length: 0. */
  int has_body = !is_get && !is_head &&
                 (a->body != NULL || is_post || strcmp(a->method, "PUT") == 0 || strcmp(a->method, "PATCH") == 0);
  hum_transfer_clear(t);
  if (!headers_unchanged(L, t, a, has_body) && build_headers(L, t, a, has_body) != 0) {
    free_headers(t);
    return -1;
  }

  CURL *e = t->easy;
  /* A GET after a GET changes only what every request sets below; anything else starts from a clean
   * handle. (curl_easy_reset and the settings cost about as much as the rest of a small request.) */
  if (!(t->configured && is_get)) {
    curl_easy_reset(e);
    apply_settings(t);
  }
  t->configured = is_get;
  curl_easy_setopt(e, CURLOPT_URL, a->url);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, a->timeout_ms);
  if (is_get) {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else if (is_head) {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)0); /* no body comes, whatever its length */
  } else {
    if (!is_post) curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, a->method);
    if (has_body) {
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)a->body_len);
      if (copy_body) {
        if (curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, a->body ? a->body : "") != CURLE_OK) return -1;
      } else {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, a->body ? a->body : "");
      }
    }
  }
  /* libcurl sends a request again, unasked, when a reused connection turns out to have died before any
   * answer. A request that must never arrive twice (not idempotent, no Idempotency-Key) therefore gets a
   * connection of its own, which libcurl has no reason to retry on. */
  static const char *const idempotent[] = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS", NULL};
  int repeatable = a->has_idempotency_key;
  for (int i = 0; idempotent[i] && !repeatable; i++) repeatable = strcmp(a->method, idempotent[i]) == 0;
  if (!repeatable) curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
  /* Over TLS, where HTTP/2 is negotiated, wait to multiplex on a connection being made rather than open
   * another. Plain http stays HTTP/1.1, where waiting would only queue requests behind each other. */
  if (t->settings->http2)
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, strncmp(a->url, "https://", 8) == 0 ? 1L : 0L);
  return 0;
}

static const char *error_kind(CURLcode rc, const hum_transfer *t) {
  if (t->too_large) return "too_large";
  if (t->head_full) return "too_large";
  if (t->out_of_memory) return "memory";
  switch (rc) {
  case CURLE_OPERATION_TIMEDOUT: return "timeout";
  case CURLE_COULDNT_CONNECT: return "connect";
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY: return "resolve";
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ENGINE_NOTFOUND:
  case CURLE_SSL_ENGINE_SETFAILED:
  case CURLE_SSL_ENGINE_INITFAILED:
  case CURLE_SSL_SHUTDOWN_FAILED:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_CLIENTCERT:
  case CURLE_USE_SSL_FAILED: return "tls";
  case CURLE_FILESIZE_EXCEEDED: return "too_large";
  case CURLE_ABORTED_BY_CALLBACK: return "aborted";
  case CURLE_UNSUPPORTED_PROTOCOL: return "protocol";
  case CURLE_URL_MALFORMAT: return "url";
  case CURLE_OUT_OF_MEMORY:
    /* libcurl answers a single header line over its own limit (100 KB) with this code. */
    return t->body.len == 0 && t->got_bytes ? "too_large" : "memory";
  case CURLE_BAD_CONTENT_ENCODING: return "encoding";
  case CURLE_PARTIAL_FILE: return "partial";
  case CURLE_GOT_NOTHING:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
    /* Dropped before the server said anything: the request may not have been processed. After the first
     * response byte it was, and the answer was cut short. */
    return t->got_bytes ? "partial" : "reset";
  case CURLE_WEIRD_SERVER_REPLY:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM: return "protocol";
  default: return "network";
  }
}

/* Pushes nil, message, kind for a failed transfer. */
static int push_failure(lua_State *L, CURLcode rc, const hum_transfer *t) {
  lua_pushnil(L);
  if (t->too_large || rc == CURLE_FILESIZE_EXCEEDED)
    lua_pushfstring(L, "response body exceeds max_body (%f bytes)", (lua_Number)t->settings->max_body);
  else if (t->head_full)
    lua_pushfstring(L, "response headers exceed %f bytes", (lua_Number)t->head.limit);
  else if (rc == CURLE_OUT_OF_MEMORY && t->body.len == 0 && t->got_bytes)
    lua_pushliteral(L, "a response header line is longer than libcurl accepts");
  else if (t->errbuf[0])
    lua_pushstring(L, t->errbuf);
  else
    lua_pushstring(L, curl_easy_strerror(rc));
  lua_pushstring(L, error_kind(rc, t));
  return 3;
}

/* Pushes the packed header block as a table: name -> value, or name -> { values... } when repeated. */
static void push_headers(lua_State *L, const hum_buffer *head) {
  lua_newtable(L);
  size_t pos = 0;
  while (pos < head->len) {
    const char *name = head->data + pos;
    size_t name_len = strlen(name);
    const char *value = name + name_len + 1;
    size_t value_len = strlen(value);
    pos += name_len + value_len + 2;
    lua_pushlstring(L, name, name_len);
    lua_pushvalue(L, -1);
    lua_rawget(L, -3);
    int existing = lua_type(L, -1);
    if (existing == LUA_TNIL) {
      lua_pop(L, 1);
      lua_pushlstring(L, value, value_len);
      lua_rawset(L, -3);
    } else if (existing == LUA_TSTRING) {
      lua_createtable(L, 2, 0);
      lua_insert(L, -2);
      lua_rawseti(L, -2, 1);
      lua_pushlstring(L, value, value_len);
      lua_rawseti(L, -2, 2);
      lua_rawset(L, -3);
    } else {
      int n = (int)hum_rawlen(L, -1);
      lua_pushlstring(L, value, value_len);
      lua_rawseti(L, -2, n + 1);
      lua_pop(L, 2);
    }
  }
}

static void set_time_field(lua_State *L, CURL *e, CURLINFO what, const char *field) {
  curl_off_t us = 0;
  curl_easy_getinfo(e, what, &us);
  lua_pushnumber(L, (lua_Number)us / 1e6);
  lua_setfield(L, -2, field);
}

static void push_trace(lua_State *L, const hum_transfer *t) {
  lua_pushlstring(L, t->trace.data ? t->trace.data : "", t->trace.len);
}

static void push_info(lua_State *L, const hum_transfer *t) {
  lua_createtable(L, 0, 6);
  set_time_field(L, t->easy, CURLINFO_TOTAL_TIME_T, "total");
  set_time_field(L, t->easy, CURLINFO_CONNECT_TIME_T, "connect");
  set_time_field(L, t->easy, CURLINFO_APPCONNECT_TIME_T, "tls");
  set_time_field(L, t->easy, CURLINFO_STARTTRANSFER_TIME_T, "first_byte");
  long version = 0;
  curl_easy_getinfo(t->easy, CURLINFO_HTTP_VERSION, &version);
  lua_pushstring(L, version == CURL_HTTP_VERSION_2_0   ? "2"
                    : version == CURL_HTTP_VERSION_1_0 ? "1.0"
                                                       : "1.1");
  lua_setfield(L, -2, "http_version");
  if (t->settings->trace) {
    push_trace(L, t);
    lua_setfield(L, -2, "trace");
  }
}

/* Pushes a finished transfer's results: status, headers, body, info; or nil, message, kind and, when
 * tracing, the trace. Returns how many values it pushed. The session must be entered: pushing allocates. */
int hum_transfer_push(lua_State *L, hum_transfer *t, CURLcode rc) {
  if (rc != CURLE_OK) {
    int n = push_failure(L, rc, t);
    if (t->settings->trace) {
      push_trace(L, t);
      n++;
    }
    return n;
  }
  long status = 0;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
  lua_pushinteger(L, (lua_Integer)status);
  push_headers(L, &t->head);
  lua_pushlstring(L, t->body.data ? t->body.data : "", t->body.len);
  push_info(L, t);
  return 4;
}

/* ---- the userdata ----------------------------------------------------------------------------------------
 */

/* Releases everything the session holds; safe to call twice. */
static void session_free(hum_session *s) {
  s->closed = 1;
  if (s->freed) return;
  s->freed = 1;
  hum_multi_free(s);
  hum_transfer_free(&s->transfer);
  if (s->share) curl_share_cleanup(s->share); /* after every handle that used it */
  s->share = NULL;
  settings_free(&s->settings);
}

/* For a method's body: the session at index 1, marked busy so that a close() from a __gc run by the
 * method's own allocations waits until hum_session_leave. Raises when the session is closed. */
hum_session *hum_session_enter(lua_State *L) {
  hum_session *s = luaL_checkudata(L, 1, HUM_SESSION_MT);
  if (s->closed) luaL_error(L, "attempt to use a closed session");
  s->busy++;
  return s;
}

void hum_session_leave(hum_session *s) {
  if (--s->busy == 0 && s->close_pending) session_free(s);
}

/* session:request(method, url, headers, body, timeout)
 *   -> status, headers, body, info   |   nil, message, kind [, trace] */
static int session_request(lua_State *L) {
  lua_settop(L, 6);
  hum_request_args a;
  hum_check_request(L, 2, &a);
  hum_session *s = hum_session_enter(L);
  hum_transfer *t = &s->transfer;
  if (hum_transfer_prepare(L, t, &a, 0) != 0) {
    hum_transfer_clear(t);
    hum_session_leave(s);
    return luaL_error(L, "not enough memory");
  }
  CURLcode rc = curl_easy_perform(t->easy); /* the body string stays on the stack until here */
  int n = hum_transfer_push(L, t, rc);
  hum_transfer_clear(t);
  hum_session_leave(s);
  return n;
}

/* close() and __close: free now, or when the method running on the session ends. */
static int session_close(lua_State *L) {
  hum_session *s = luaL_checkudata(L, 1, HUM_SESSION_MT);
  if (s->busy) {
    s->closed = 1;
    s->close_pending = 1;
  } else {
    session_free(s);
  }
  return 0;
}

/* __gc: no method can be running (it would hold the session on its stack), so free at once. */
static int session_gc(lua_State *L) {
  session_free(luaL_checkudata(L, 1, HUM_SESSION_MT));
  return 0;
}

static int session_tostring(lua_State *L) {
  hum_session *s = luaL_checkudata(L, 1, HUM_SESSION_MT);
  if (s->closed)
    lua_pushliteral(L, HUM_SESSION_MT " (closed)");
  else
    lua_pushfstring(L, HUM_SESSION_MT " (%p)", (void *)s);
  return 1;
}

/* session:redact(text) -> text with every occurrence of the token masked. The Lua layer runs what a server
 * sent back through this before putting it in an error, in case the server echoed the token. */
static int session_redact(lua_State *L) {
  size_t len;
  const char *text = luaL_checklstring(L, 2, &len);
  lua_settop(L, 2);
  hum_session *s = hum_session_enter(L);
  const char *token = s->settings.token;
  size_t token_len = token ? strlen(token) : 0;
  if (token_len == 0 || len < token_len) {
    hum_session_leave(s);
    return 1;
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  size_t start = 0;
  for (size_t i = 0; i + token_len <= len;) {
    if (memcmp(text + i, token, token_len) == 0) {
      luaL_addlstring(&b, text + start, i - start);
      luaL_addstring(&b, "[redacted]");
      i += token_len;
      start = i;
    } else {
      i++;
    }
  }
  luaL_addlstring(&b, text + start, len - start);
  luaL_pushresult(&b);
  hum_session_leave(s);
  return 1;
}

static int session_is_closed(lua_State *L) {
  hum_session *s = luaL_checkudata(L, 1, HUM_SESSION_MT);
  lua_pushboolean(L, s->closed);
  return 1;
}

/* core.session([options]) -> session. The userdata gets its metatable before anything is acquired, so a
 * raise while reading the options or a failed curl_easy_init leaves an object that __gc frees safely. */
int hum_session_new(lua_State *L) {
  lua_settop(L, 1); /* the options, or nil; the userdata goes above them */
  hum_session *s = lua_newuserdata(L, sizeof *s);
  memset(s, 0, sizeof *s); /* NULL everywhere: session_free copes with whatever was acquired so far */
  luaL_getmetatable(L, HUM_SESSION_MT);
  lua_setmetatable(L, -2);
  read_settings(L, 1, &s->settings);
  s->share = curl_share_init();
  if (s->share) {
    curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
  if (!hum_transfer_init(&s->transfer, s)) {
    lua_pushnil(L);
    lua_pushliteral(L, "could not create a libcurl handle");
    lua_pushliteral(L, "memory");
    return 3;
  }
  return 1;
}

static const luaL_Reg session_methods[] = {
    {"request", session_request},
    {"close", session_close},
    {"redact", session_redact},
    {"is_closed", session_is_closed},
    {NULL, NULL},
};

static const luaL_Reg session_meta[] = {
    {"__gc", session_gc},
    {"__close", session_close},
    {"__tostring", session_tostring},
    {NULL, NULL},
};

void hum_session_register(lua_State *L) {
  luaL_newmetatable(L, HUM_SESSION_MT);
  hum_setfuncs(L, session_meta);
  lua_newtable(L);
  hum_setfuncs(L, session_methods);
  hum_multi_register(L);
  lua_setfield(L, -2, "__index");
  lua_pushliteral(L, "humanitec.core.session");
  lua_setfield(L, -2, "__name");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable"); /* getmetatable() from Lua sees false, not our methods */
  lua_pop(L, 1);
}
