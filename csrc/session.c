/* The session userdata: the settings every request applies, the bearer token (which stays here and is never
 * handed back to Lua), one transfer reused by blocking requests (keep-alive, TLS session reuse), and, made
 * on the first start(), the multi that runs many at once. Depends on transfer.c and multi.c; neither knows
 * the session.
 *
 * Environmental failures come back as `nil, message, kind`; misuse (bad arguments, a closed session)
 * raises, before any C state changes. The work of every method that touches C state runs under lua_pcall
 * with the session marked busy (see call_busy), so the mark is taken off whether or not the work raised. */
#include "session.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "jdecode.h"
#include "multi.h"
#include "transfer.h"

#define HUM_SESSION_MT "humanitec.core.session"
#define HUM_DEFAULT_MAX_BODY ((curl_off_t)64 * 1024 * 1024)
#define HUM_MAX_BODY_LIMIT ((curl_off_t)1 << 62)
/* Longer waits are clamped to this (about 23 days), so every time in milliseconds fits a long. */
#define HUM_MAX_SECONDS 2000000.0

typedef struct hum_session {
  hum_settings settings;
  hum_transfer transfer; /* reused by every blocking request: keeps the connection and TLS session alive */
  CURLSH *share;         /* DNS and TLS session caches, shared by the blocking handle and the multi's */
  hum_multi *multi;      /* made on the first start() */
  /* Set while a method's work runs (call_busy). A collection during that work can run another object's
   * __gc, which may call close(): close then only marks the session, and call_busy frees it after the work,
   * whether it returned or raised. */
  int busy, closed, close_pending;
  int freed; /* everything above released: only the userdata's memory is left */
} hum_session;

/* Seconds as libcurl's milliseconds: 0 stays "no limit", anything above 0 is at least 1 ms. */
static long seconds_to_ms(double seconds) {
  if (!(seconds > 0)) return 0;
  if (seconds > HUM_MAX_SECONDS) seconds = HUM_MAX_SECONDS;
  long ms = (long)ceil(seconds * 1000.0);
  return ms < 1 ? 1 : ms;
}

/* ---- settings ---------------------------------------------------------------------------------------- */

static void settings_free(hum_settings *s) {
  hum_wipe(s->token);
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
    } else if (strcmp(key, "lazy_head") == 0) {
      s->lazy_head = option_boolean(L, key);
    } else if (strcmp(key, "json") == 0) {
      /* { array_mt = table, null = value }: hum_session_new keeps them; here only the check. */
      if (lua_type(L, -1) != LUA_TTABLE) luaL_error(L, "bad option 'json' (table expected)");
      lua_getfield(L, -1, "array_mt");
      if (lua_type(L, -1) != LUA_TTABLE) luaL_error(L, "bad option 'json' (array_mt: table expected)");
      lua_pop(L, 1);
      s->json = 1;
    } else {
      luaL_error(L, "unknown option '%s'", key);
    }
    lua_pop(L, 1);
  }
}

/* ---- request arguments --------------------------------------------------------------------------------- */

static int valid_method(const char *m, size_t len) {
  if (len == 0 || len > 32) return 0;
  for (size_t i = 0; i < len; i++)
    if (m[i] < 'A' || m[i] > 'Z') return 0;
  return 1;
}

/* A tchar of RFC 9110: what a header field name is made of. */
static int is_token_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int equals_ci(const char *s, size_t len, const char *lower_name) {
  size_t n = strlen(lower_name);
  if (len != n) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
    if (c != lower_name[i]) return 0;
  }
  return 1;
}

/* Raises "bad argument #<idx> to '<method>' (header #i: <what>)". */
static int header_error(lua_State *L, int idx, size_t i, const char *what) {
  return luaL_argerror(L, idx, lua_pushfstring(L, "header #%d: %s", (int)i, what));
}

/* Checks the request's headers at `idx`: a list of { name, value } pairs of strings, each name a token and
 * each value free of CR, LF and NUL. The names are compared here, once, without case: an Authorization pair
 * raises (the session's token makes that line), a Content-Type pair stands in for the core's empty one. */
static void check_headers(lua_State *L, int idx, hum_request_args *a) {
  luaL_checktype(L, idx, LUA_TTABLE);
  a->headers_idx = idx;
  size_t n = hum_rawlen(L, idx);
  for (size_t i = 1; i <= n; i++) {
    lua_rawgeti(L, idx, (int)i);
    if (lua_type(L, -1) != LUA_TTABLE)
      header_error(L, idx, i, lua_pushfstring(L, "{ name, value } expected, got %s", luaL_typename(L, -1)));
    lua_rawgeti(L, -1, 1);
    lua_rawgeti(L, -2, 2);
    if (lua_type(L, -2) != LUA_TSTRING)
      header_error(L, idx, i, lua_pushfstring(L, "name: string expected, got %s", luaL_typename(L, -2)));
    if (lua_type(L, -1) != LUA_TSTRING)
      header_error(L, idx, i, lua_pushfstring(L, "value: string expected, got %s", luaL_typename(L, -1)));
    size_t name_len, value_len;
    const char *name = lua_tolstring(L, -2, &name_len);
    const char *value = lua_tolstring(L, -1, &value_len);
    if (name_len == 0) header_error(L, idx, i, "name is empty");
    for (size_t k = 0; k < name_len; k++)
      if (!is_token_byte((unsigned char)name[k]))
        header_error(L, idx, i, "name must be letters, digits or !#$%&'*+-.^_`|~");
    for (size_t k = 0; k < value_len; k++)
      if (value[k] == '\r' || value[k] == '\n' || value[k] == '\0')
        header_error(L, idx, i, "value must not contain CR, LF or NUL");
    if (equals_ci(name, name_len, "authorization"))
      header_error(L, idx, i, "Authorization comes from the session's token");
    if (equals_ci(name, name_len, "content-type")) a->has_content_type = 1;
    lua_pop(L, 3);
  }
}

/* Checks the arguments of request and start, at `first` (method) to `first + 5` (repeatable), converting
 * what needs converting. Whether a request may be sent twice is the caller's to say (its retry policy knows
 * methods and Idempotency-Key); the core only acts on the flag. Raises on misuse; this is the only part that
 * may, and it runs before the session is entered. */
static void check_request(lua_State *L, int first, hum_request_args *a) {
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
  a->repeatable = lua_toboolean(L, first + 5);
  if (!lua_isnoneornil(L, first + 2)) check_headers(L, first + 2, a);
}

/* ---- the userdata ----------------------------------------------------------------------------------------
 */

/* Releases everything the session holds; safe to call twice. */
static void session_free(hum_session *s) {
  s->closed = 1;
  if (s->freed) return;
  s->freed = 1;
  hum_multi_free(s->multi);
  s->multi = NULL;
  hum_transfer_free(&s->transfer);
  if (s->share) curl_share_cleanup(s->share); /* after every handle that used it */
  s->share = NULL;
  settings_free(&s->settings);
}

/* The session at index 1, open and not inside another method's work. Raises otherwise, changing nothing. A
 * method entered again while busy can only be a finalizer run by that work's allocations: it would change
 * the lists the work is reading. */
static hum_session *check_open(lua_State *L) {
  hum_session *s = luaL_checkudata(L, 1, HUM_SESSION_MT);
  if (s->closed) luaL_error(L, "attempt to use a closed session");
  if (s->busy) luaL_error(L, "attempt to use a session from a finalizer run inside one of its methods");
  return s;
}

/* Runs `work` on the stack as it is (the session at 1 and the method's arguments) under lua_pcall, with the
 * session busy meanwhile, and returns what `work` returned. The mark comes off on every path, then a close()
 * that came meanwhile takes effect, then an error `work` raised goes on. Everything that may raise before
 * the mark is set (checking, lua_pushcfunction) is done first. */
static int call_busy(lua_State *L, hum_session *s, lua_CFunction work) {
  int nargs = lua_gettop(L);
  lua_pushcfunction(L, work);
  lua_insert(L, 1);
  s->busy = 1;
  int status = lua_pcall(L, nargs, LUA_MULTRET, 0);
  s->busy = 0;
  if (s->close_pending) session_free(s);
  if (status != 0) return lua_error(L);
  return lua_gettop(L);
}

/* With the json option, pushes the decoder's values kept in the session's user value (the session is at 1)
 * and points `json` at them; else NULL. */
static const hum_json_args *push_json_args(lua_State *L, const hum_session *s, hum_json_args *json) {
  if (!s->settings.json) return NULL;
  luaL_checkstack(L, 8, "decoding a response");
  hum_getuservalue(L, 1);
  int at = lua_gettop(L);
  lua_rawgeti(L, at, 1);
  lua_rawgeti(L, at, 2);
  lua_rawgeti(L, at, 3);
  json->entry = at + 1;
  json->array_mt = at + 2;
  json->null = at + 3;
  return json;
}

/* The checked arguments of request and start travel to the work as a light userdata at index 8. */
#define ARGS_INDEX 8

static int request_work(lua_State *L) {
  hum_session *s = lua_touserdata(L, 1);
  const hum_request_args *a = lua_touserdata(L, ARGS_INDEX);
  hum_transfer *t = &s->transfer;
  if (hum_transfer_prepare(L, t, a, 0) != 0) {
    hum_transfer_clear(t);
    return luaL_error(L, "not enough memory");
  }
  CURLcode rc = curl_easy_perform(t->easy); /* the body string stays on the stack until here */
  hum_json_args json;
  int n = hum_transfer_push(L, t, rc, push_json_args(L, s, &json));
  hum_transfer_hand_over(t); /* after every value is pushed */
  hum_transfer_clear(t);
  return n;
}

/* session:request(method, url, headers, body, timeout, repeatable)
 *   -> status, headers, body, info   |   nil, message, kind [, trace]
 * `headers` (or nil) is a list of name/value pairs, { { "Accept", "application/json" }, ... }, sent in that
 * order; the core writes each line itself. A name is a token, a value has no CR, LF or NUL, and an empty
 * value sends the header empty. Authorization is refused (the session's token makes it); a Content-Type pair
 * replaces the empty one a body otherwise gets. A bad pair raises naming the argument and the pair's index.
 * With the json option and a JSON response: status, headers, body (a userdata; tostring() gives the text),
 * info, and the decoded value, or nil and the decoder's message. */
static int session_request(lua_State *L) {
  lua_settop(L, 7);
  hum_request_args a;
  check_request(L, 2, &a);
  hum_session *s = check_open(L);
  lua_pushlightuserdata(L, &a);
  return call_busy(L, s, request_work);
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

/* Letters, digits and '_': what continues a word around an occurrence of the token. */
static int is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static int redact_work(lua_State *L) {
  hum_session *s = lua_touserdata(L, 1);
  size_t len;
  const char *text = lua_tolstring(L, 2, &len);
  const char *token = s->settings.token;
  size_t token_len = token ? strlen(token) : 0;
  if (token_len == 0 || len < token_len) {
    lua_settop(L, 2);
    return 1;
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  size_t start = 0;
  /* A whole token only: an occurrence that continues a word on either side ("tok" in "token") is part of that
   * word, not the token, and stays. The scan is linear apart from the memcmp, bounded by the token's length. */
  int word_first = is_word_byte((unsigned char)token[0]);
  int word_last = is_word_byte((unsigned char)token[token_len - 1]);
  for (size_t i = 0; i + token_len <= len;) {
    if (memcmp(text + i, token, token_len) == 0
        && !(word_first && i > 0 && is_word_byte((unsigned char)text[i - 1]))
        && !(word_last && i + token_len < len && is_word_byte((unsigned char)text[i + token_len]))) {
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
  return 1;
}

/* session:redact(text) -> text with every whole occurrence of the token masked. The Lua layer runs what a server
 * sent back through this before putting it in an error, in case the server echoed the token. */
static int session_redact(lua_State *L) {
  luaL_checkstring(L, 2);
  lua_settop(L, 2);
  hum_session *s = check_open(L);
  return call_busy(L, s, redact_work);
}

static int session_is_closed(lua_State *L) {
  hum_session *s = luaL_checkudata(L, 1, HUM_SESSION_MT);
  lua_pushboolean(L, s->closed);
  return 1;
}

/* ---- many at once: the multi's methods --------------------------------------------------------------- */

/* session:start(method, url, headers, body, timeout, repeatable) -> id   |   nil, message, kind
 * Starts a transfer on the multi handle; it makes progress when act() or wait() runs. Allocates no Lua
 * memory while it changes C state, so it needs no busy mark. */
static int session_start(lua_State *L) {
  lua_settop(L, 7);
  hum_request_args a;
  check_request(L, 2, &a);
  hum_session *s = check_open(L);
  const char *failure = "could not create a libcurl handle";
  lua_Integer id = 0;
  if (s->multi == NULL) s->multi = hum_multi_new(&s->settings, s->share);
  if (s->multi) id = hum_multi_start(L, s->multi, &a, &failure);
  if (id == 0) {
    lua_pushnil(L);
    lua_pushstring(L, failure);
    lua_pushliteral(L, "memory");
    return 3;
  }
  lua_pushinteger(L, id);
  return 1;
}

/* session:act([fd, readable, writable]) -> transfers still running
 * Tells libcurl a watched socket is ready, or with no socket that its timer has run out. */
static int session_act(lua_State *L) {
  int has_fd = !lua_isnoneornil(L, 2);
  curl_socket_t fd = has_fd ? (curl_socket_t)luaL_checkinteger(L, 2) : CURL_SOCKET_TIMEOUT;
  int events = (lua_toboolean(L, 3) ? CURL_CSELECT_IN : 0) | (lua_toboolean(L, 4) ? CURL_CSELECT_OUT : 0);
  hum_session *s = check_open(L);
  if (s->multi) hum_multi_act(s->multi, fd, has_fd ? events : 0);
  lua_pushinteger(L, s->multi ? (lua_Integer)hum_multi_running(s->multi) : 0);
  return 1;
}

/* session:timer() -> seconds until libcurl wants act() without a socket, or nil for no timer. */
static int session_timer(lua_State *L) {
  hum_session *s = check_open(L);
  long ms = s->multi ? hum_multi_timeout_ms(s->multi) : -1;
  if (ms < 0)
    lua_pushnil(L);
  else
    lua_pushnumber(L, (lua_Number)ms / 1000.0);
  return 1;
}

static int watched_work(lua_State *L) {
  hum_session *s = lua_touserdata(L, 1);
  if (s->multi)
    hum_multi_push_watched(L, s->multi);
  else
    lua_newtable(L);
  return 1;
}

/* session:watched() -> { [fd] = { what = "in"|"out"|"inout", gen = n } }
 * What to watch now: on Linux one epoll descriptor holding libcurl's sockets, elsewhere the sockets libcurl
 * wants watched. A new `gen` for a descriptor means a new socket behind that number. */
static int session_watched(lua_State *L) {
  lua_settop(L, 1);
  hum_session *s = check_open(L);
  return call_busy(L, s, watched_work);
}

static int completed_work(lua_State *L) {
  hum_session *s = lua_touserdata(L, 1);
  if (s->multi == NULL) {
    lua_newtable(L);
    return 1;
  }
  size_t budget = (size_t)lua_tointeger(L, 2);
  hum_json_args json;
  const hum_json_args *args = push_json_args(L, s, &json);
  int count = hum_multi_push_completed(L, s->multi, args, budget);
  lua_pushboolean(L, hum_multi_completed_count(s->multi) > (size_t)count);
  hum_multi_drop_completed(s->multi, count); /* only once every result is a Lua value */
  return 2;
}

/* session:completed([budget]) -> { { id, status, headers, body, info [, data | nil, message] },
 *                                  { id, nil, message, kind [, trace] }, ... }, more
 * Hands over the finished transfers, in the order they finished: every one, or with a budget (bytes of body)
 * those up to the one whose body reaches it; `more` tells whether some are left for the next call. */
static int session_completed(lua_State *L) {
  lua_Integer budget = luaL_optinteger(L, 2, 0);
  luaL_argcheck(L, budget >= 0, 2, "a non-negative number of bytes expected");
  lua_settop(L, 2);
  hum_session *s = check_open(L);
  return call_busy(L, s, completed_work);
}

/* session:cancel(id) -> true when the transfer was still there (running or finished but not collected). */
static int session_cancel(lua_State *L) {
  lua_Integer id = luaL_checkinteger(L, 2);
  hum_session *s = check_open(L);
  lua_pushboolean(L, s->multi ? hum_multi_cancel(s->multi, id) : 0);
  return 1;
}

/* session:pending() -> transfers started and not yet handed over by completed(). */
static int session_pending(lua_State *L) {
  hum_session *s = check_open(L);
  lua_pushinteger(L, s->multi ? (lua_Integer)hum_multi_pending(s->multi) : 0);
  return 1;
}

/* session:wait([seconds]) -> transfers still running
 * The event loop for plain scripts: waits up to `seconds` (1 by default) for a watched socket or libcurl's
 * timer, then acts on what is ready. Returns at once when nothing runs. */
static int session_wait(lua_State *L) {
  lua_Number max = luaL_optnumber(L, 2, 1.0);
  if (!(max >= 0)) luaL_argerror(L, 2, "must be a non-negative number");
  if (max > 3600) max = 3600;
  hum_session *s = check_open(L);
  if (s->multi) hum_multi_wait(s->multi, (double)max);
  lua_pushinteger(L, s->multi ? (lua_Integer)hum_multi_running(s->multi) : 0);
  return 1;
}

/* core.session([options]) -> session. Options: token, ca_file, ca_path, connect_timeout, max_body, insecure,
 * trace, json = { array_mt =, null = } to have JSON responses decoded here (jdecode.c), and lazy_head to have
 * headers and info as one userdata that makes their tables when asked (transfer.h). The userdata gets
 * its metatable before anything is acquired, so a raise while reading the options or a failed curl_easy_init
 * leaves an object that __gc frees safely. */
int hum_session_new(lua_State *L) {
  lua_settop(L, 1); /* the options, or nil; the userdata goes above them */
  hum_session *s = lua_newuserdata(L, sizeof *s);
  memset(s, 0, sizeof *s); /* NULL everywhere: session_free copes with whatever was acquired so far */
  luaL_getmetatable(L, HUM_SESSION_MT);
  lua_setmetatable(L, -2);
  read_settings(L, 1, &s->settings);
  if (s->settings.json) {
    /* The decoder's Lua values live in the session's user value: { entry, array_mt, null }. */
    lua_createtable(L, 3, 0);
    lua_pushcfunction(L, hum_jdecode_entry);
    lua_rawseti(L, -2, 1);
    lua_getfield(L, 1, "json");
    lua_getfield(L, -1, "array_mt");
    lua_rawseti(L, -3, 2);
    lua_getfield(L, -1, "null");
    lua_rawseti(L, -3, 3);
    lua_pop(L, 1);
    hum_setuservalue(L, 2);
  }
  s->share = curl_share_init();
  if (s->share) {
    curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
  if (!hum_transfer_init(&s->transfer, &s->settings, s->share)) {
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
    {"start", session_start},
    {"act", session_act},
    {"timer", session_timer},
    {"watched", session_watched},
    {"completed", session_completed},
    {"cancel", session_cancel},
    {"pending", session_pending},
    {"wait", session_wait},
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
  lua_setfield(L, -2, "__index");
  lua_pushliteral(L, "humanitec.core.session");
  lua_setfield(L, -2, "__name");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable"); /* getmetatable() from Lua sees false, not our methods */
  lua_pop(L, 1);
}
