/* One HTTP request on a libcurl easy handle; see transfer.h.
 *
 * Lua never runs inside a libcurl callback: the callbacks below only copy bytes into buffers owned by the
 * transfer, and results are pushed to Lua after libcurl has returned. */
#include "transfer.h"

#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "headers.h"
#include "jdecode.h"
#include "result.h"

#define HUM_BODY_MT "humanitec.core.body"

#define HUM_TRACE_LIMIT ((size_t)1024 * 1024)

void hum_wipe(char *s) {
  if (s == NULL) return;
  /* volatile so the compiler cannot drop the stores as dead before free */
  volatile char *p = s;
  while (*p) *p++ = 0;
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
  int rc = hum_headers_take_line(&t->head_state, &t->head, data, n);
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

int hum_transfer_init(hum_transfer *t, const hum_settings *settings, CURLSH *share) {
  t->settings = settings;
  t->share = share;
  t->headers = NULL;
  t->configured = 0;
  hum_buffer_init(&t->body, (size_t)settings->max_body);
  hum_buffer_init(&t->head, HUM_HEAD_LIMIT);
  hum_buffer_init(&t->trace, HUM_TRACE_LIMIT);
  t->easy = curl_easy_init();
  return t->easy != NULL;
}

/* Frees the header list, wiping each line first: one of them carries the token. */
static void free_headers(hum_transfer *t) {
  for (struct curl_slist *item = t->headers; item; item = item->next) hum_wipe(item->data);
  curl_slist_free_all(t->headers);
  t->headers = NULL;
}

/* Drops what one request left behind; keeps the easy handle and its connections, and the header list. */
void hum_transfer_clear(hum_transfer *t) {
  hum_buffer_reset(&t->body);
  hum_buffer_reset(&t->head);
  hum_buffer_reset(&t->trace);
  t->too_large = t->head_full = t->out_of_memory = t->got_bytes = 0;
  hum_head_state_reset(&t->head_state);
  t->body_out = NULL;
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

static int append_header(hum_transfer *t, const char *line) {
  struct curl_slist *next = curl_slist_append(t->headers, line);
  if (next == NULL) return -1;
  t->headers = next;
  return 0;
}

/* A value of only spaces and tabs, or none: libcurl takes "Name:" with nothing after the colon as "drop this
 * header", so such a field goes as "Name;", libcurl's form for a header sent empty. */
static int is_blank(const char *value, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (value[i] != ' ' && value[i] != '\t') return 0;
  return 1;
}

/* One header field as the caller or the session gave it: the line is name ": " prefix value. */
typedef struct field {
  const char *name, *prefix, *value;
  size_t name_len, prefix_len, value_len;
} field;

/* Appends the field's line, formed in a scratch copy that is wiped before it is freed: the token's line
 * passes through here. The list keeps a copy of its own, wiped when the list is freed. */
static int append_field(hum_transfer *t, const field *f) {
  int blank = f->prefix_len == 0 && is_blank(f->value, f->value_len);
  size_t len = f->name_len + (blank ? 1 : 2 + f->prefix_len + f->value_len);
  char *line = malloc(len + 1);
  if (line == NULL) return -1;
  memcpy(line, f->name, f->name_len);
  if (blank) {
    line[f->name_len] = ';';
  } else {
    memcpy(line + f->name_len, ": ", 2);
    memcpy(line + f->name_len + 2, f->prefix, f->prefix_len);
    memcpy(line + f->name_len + 2 + f->prefix_len, f->value, f->value_len);
  }
  line[len] = '\0';
  int rc = append_header(t, line);
  hum_wipe(line);
  free(line);
  return rc;
}

/* Whether `line` is the one append_field makes of the field. */
static int is_field_line(const char *line, const field *f) {
  if (strncmp(line, f->name, f->name_len) != 0) return 0;
  line += f->name_len;
  if (f->prefix_len == 0 && is_blank(f->value, f->value_len)) return strcmp(line, ";") == 0;
  if (line[0] != ':' || line[1] != ' ') return 0;
  line += 2;
  if (strncmp(line, f->prefix, f->prefix_len) != 0) return 0;
  line += f->prefix_len;
  return strncmp(line, f->value, f->value_len) == 0 && line[f->value_len] == '\0';
}

/* The caller's pair i (1-based) of the checked headers table; the strings stay referenced by the table. */
static void caller_field(lua_State *L, int idx, size_t i, field *f) {
  lua_rawgeti(L, idx, (int)i);
  lua_rawgeti(L, -1, 1);
  lua_rawgeti(L, -2, 2);
  f->name = lua_tolstring(L, -2, &f->name_len);
  f->value = lua_tolstring(L, -1, &f->value_len);
  f->prefix = "";
  f->prefix_len = 0;
  lua_pop(L, 3);
}

/* The lines a request sends after the caller's. The token's, written here rather than by libcurl's bearer
 * support, which costs more per request for the same line; either way it goes only to the URL's host, as
 * redirects are never followed. Then, with a body, no "Expect: 100-continue" round trip for a large one, and
 * no form Content-Type libcurl would add. */
static const char BEARER[] = "Bearer ";
static const char *const EXPECT_NONE = "Expect:";
static const char *const CONTENT_TYPE_NONE = "Content-Type:";

static void token_field(const char *token, field *f) {
  f->name = "Authorization";
  f->name_len = sizeof "Authorization" - 1;
  f->prefix = BEARER;
  f->prefix_len = sizeof BEARER - 1;
  f->value = token;
  f->value_len = strlen(token);
}

/* Whether the transfer's header list already holds exactly the lines this request sends. */
static int headers_unchanged(lua_State *L, const hum_transfer *t, const hum_request_args *a, int has_body) {
  const struct curl_slist *item = t->headers;
  const char *token = t->settings->token;
  size_t n = a->headers_idx ? hum_rawlen(L, a->headers_idx) : 0;
  field f;
  for (size_t i = 1; i <= n; i++, item = item->next) {
    if (item == NULL) return 0;
    caller_field(L, a->headers_idx, i, &f);
    if (!is_field_line(item->data, &f)) return 0;
  }
  if (token) {
    token_field(token, &f);
    if (item == NULL || !is_field_line(item->data, &f)) return 0;
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
  field f;
  size_t n = a->headers_idx ? hum_rawlen(L, a->headers_idx) : 0;
  for (size_t i = 1; i <= n; i++) {
    caller_field(L, a->headers_idx, i, &f);
    if (append_field(t, &f) != 0) return -1;
  }
  const char *token = t->settings->token;
  if (token) {
    token_field(token, &f);
    if (append_field(t, &f) != 0) return -1;
  }
  if (!has_body) return 0;
  if (append_header(t, EXPECT_NONE) != 0) return -1;
  if (!a->has_content_type && append_header(t, CONTENT_TYPE_NONE) != 0) return -1;
  return 0;
}

/* Readies the transfer for a request whose arguments the session checked. Allocates no Lua memory (the header
 * strings were checked to be strings already), so no collection can run in between. Returns 0, or -1 when
 * memory ran out. With copy_body, libcurl keeps its own copy of the body, for transfers that outlive the
 * call; otherwise the Lua string on the stack must stay alive until the transfer is done. */
int hum_transfer_prepare(lua_State *L, hum_transfer *t, const hum_request_args *a, int copy_body) {
  int is_get = strcmp(a->method, "GET") == 0;
  int is_head = strcmp(a->method, "HEAD") == 0;
  int is_post = strcmp(a->method, "POST") == 0;
  /* POST, PUT and PATCH always carry a body, if an empty one, so the server sees Content-Length: 0. */
  int has_body =
      !is_get && !is_head &&
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
   * answer. A request the caller did not mark repeatable therefore gets a connection of its own, which
   * libcurl has no reason to retry on. Set either way: a GET after a GET keeps the handle's options. */
  curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, a->repeatable ? 0L : 1L);
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

static void push_trace(lua_State *L, const hum_transfer *t) {
  lua_pushlstring(L, t->trace.data ? t->trace.data : "", t->trace.len);
}

static lua_Number time_of(CURL *e, CURLINFO what) {
  curl_off_t us = 0;
  curl_easy_getinfo(e, what, &us);
  return (lua_Number)us / 1e6;
}

static const char *http_version_of(CURL *e) {
  long version = 0;
  curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &version);
  return version == CURL_HTTP_VERSION_2_0 ? "2" : version == CURL_HTTP_VERSION_1_0 ? "1.0" : "1.1";
}

static hum_timings timings_of(const hum_transfer *t) {
  CURL *e = t->easy;
  hum_timings tm = {time_of(e, CURLINFO_TOTAL_TIME_T), time_of(e, CURLINFO_CONNECT_TIME_T),
                    time_of(e, CURLINFO_APPCONNECT_TIME_T), time_of(e, CURLINFO_STARTTRANSFER_TIME_T),
                    http_version_of(e)};
  return tm;
}

static void push_info(lua_State *L, const hum_transfer *t) {
  hum_timings tm = timings_of(t);
  hum_result_push_timings(L, &tm);
  if (t->settings->trace) {
    push_trace(L, t);
    lua_setfield(L, -2, "trace");
  }
}

/* Pushes the head userdata of a finished transfer: the header block and trace copied in, one allocation. */
static void push_head(lua_State *L, const hum_transfer *t) {
  hum_timings tm = timings_of(t);
  const char *trace = t->settings->trace ? (t->trace.data ? t->trace.data : "") : NULL;
  hum_result_push_head(L, &t->head, &tm, trace, t->trace.len);
}

/* Pushes a finished transfer's results: status, headers, body, info; or nil, message, kind and, when
 * tracing, the trace; with `json` and a JSON body, the body's userdata and then the decoded value or nil,
 * message. Returns how many values it pushed. Pushing allocates, so a collection may run finalizers: the
 * owner keeps `t` alive meanwhile, and changes it (hum_transfer_hand_over) only after this returned. */
int hum_transfer_push(lua_State *L, hum_transfer *t, CURLcode rc, const hum_json_args *json) {
  t->body_out = NULL;
  const char *kind;
  const char *framing = hum_result_framing(&t->head_state, &kind);
  if (rc == CURLE_OK && framing != NULL) {
    lua_pushnil(L);
    lua_pushstring(L, framing);
    lua_pushstring(L, kind);
    if (!t->settings->trace) return 3;
    push_trace(L, t);
    return 4;
  }
  if (rc != CURLE_OK) {
    int n = push_failure(L, rc, t);
    if (t->settings->trace) {
      push_trace(L, t);
      n++;
    }
    return n;
  }
  luaL_checkstack(L, 12, "pushing a response");
  long status = 0;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
  lua_pushinteger(L, (lua_Integer)status);
  int lazy = t->settings->lazy_head;
  if (lazy)
    push_head(L, t); /* in the info's place too, below */
  else
    hum_result_push_headers(L, &t->head);
  if (json == NULL || t->body.len == 0 || !hum_result_is_json(&t->head)) {
    lua_pushlstring(L, t->body.data ? t->body.data : "", t->body.len);
    if (lazy)
      lua_pushvalue(L, -2);
    else
      push_info(L, t);
    return 4;
  }
  hum_body *body = lua_newuserdata(L, sizeof *body);
  body->data = NULL;
  body->len = 0;
  luaL_getmetatable(L, HUM_BODY_MT);
  lua_setmetatable(L, -2);
  if (lazy)
    lua_pushvalue(L, -2);
  else
    push_info(L, t);
  /* Straight from libcurl's buffer: no Lua string of the body is made. */
  int n = hum_jdecode(L, json->entry, t->body.data, t->body.len, json->array_mt, json->null);
  if (n == 3) lua_pop(L, 1); /* the offset: the message names it */
  t->body_out = body;
  return n == 1 ? 5 : 6;
}

void hum_transfer_hand_over(hum_transfer *t) {
  hum_body *body = t->body_out;
  t->body_out = NULL;
  if (body == NULL) return;
  body->data = t->body.data;
  body->len = t->body.len;
  t->body.data = NULL;
  t->body.len = t->body.cap = 0;
}

static int body_gc(lua_State *L) {
  hum_body *body = luaL_checkudata(L, 1, HUM_BODY_MT);
  free(body->data);
  body->data = NULL;
  body->len = 0;
  return 0;
}

static int body_tostring(lua_State *L) {
  hum_body *body = luaL_checkudata(L, 1, HUM_BODY_MT);
  lua_pushlstring(L, body->data ? body->data : "", body->len);
  return 1;
}

static int body_len(lua_State *L) {
  hum_body *body = luaL_checkudata(L, 1, HUM_BODY_MT);
  lua_pushinteger(L, (lua_Integer)body->len);
  return 1;
}

static const luaL_Reg body_meta[] = {
    {"__gc", body_gc},
    {"__tostring", body_tostring},
    {"__len", body_len},
    {NULL, NULL},
};

void hum_transfer_register(lua_State *L) {
  hum_result_register(L);
  luaL_newmetatable(L, HUM_BODY_MT);
  hum_setfuncs(L, body_meta);
  lua_pushliteral(L, "humanitec.core.body");
  lua_setfield(L, -2, "__name");
  lua_pop(L, 1);
}
