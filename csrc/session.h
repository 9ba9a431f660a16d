/* The session userdata and its transfers: shared by core.c (registration), session.c (settings, the blocking
 * request, results) and multi.c (many transfers at once, the event-loop pump). */
#ifndef HUM_SESSION_H
#define HUM_SESSION_H

#include <curl/curl.h>
#include <lua.h>

#include "buffer.h"

#define HUM_SESSION_MT "humanitec.core.session"

/* Settings fixed when the session is made; every transfer of the session applies them. Strings are owned
 * (malloc'd) and freed, the token wiped first, when the session is freed. */
typedef struct hum_settings {
  char *token; /* bearer token; never leaves C */
  char *ca_file;
  char *ca_path;
  long connect_timeout_ms;
  curl_off_t max_body;
  int insecure;
  int trace;
  int http2; /* this libcurl speaks HTTP/2: asked once, not on every request */
} hum_settings;

/* One request's worth of state. Everything allocated for a request hangs off this struct, so freeing the
 * session frees it even when a Lua error cut a request short. */
typedef struct hum_transfer {
  CURL *easy;
  /* Request headers; must outlive the transfer. Kept after it, since the next request of a client almost
   * always sends the same ones: hum_transfer_prepare rebuilds the list only when they differ. */
  struct curl_slist *headers;
  /* The handle holds the session's settings and, beyond them, only options every request sets again (URL,
   * headers, timeout, GET): the next GET can skip curl_easy_reset and the settings. */
  int configured;
  hum_buffer body;            /* response body, capped at max_body */
  hum_buffer head;            /* response headers, packed by hum_headers_add_line */
  hum_buffer trace;           /* redacted libcurl trace, when tracing */
  const hum_settings *settings;
  CURLSH *share; /* the session's, or NULL */
  int too_large; /* the write callback refused data over max_body */
  int head_full; /* the response headers passed their cap */
  int out_of_memory;
  int got_bytes; /* any response byte arrived: a failure after this is not a clean reset */
  char errbuf[CURL_ERROR_SIZE];
  /* Only for transfers of the multi handle: */
  lua_Integer id;
  CURLcode result;           /* set when libcurl reports the transfer done */
  struct hum_transfer *next; /* link in the done list or the free pool */
} hum_transfer;

/* A socket libcurl wants watched, and for what (CURL_POLL_IN, _OUT, _INOUT). `gen` changes whenever libcurl
 * starts watching a socket anew, so an event loop can tell a reused descriptor number from the old socket. */
typedef struct hum_watch {
  curl_socket_t fd;
  int what;
  lua_Integer gen;
} hum_watch;

typedef struct hum_session {
  hum_settings settings;
  hum_transfer transfer; /* reused by every blocking request: keeps the connection and TLS session alive */
  CURLSH *share;         /* DNS and TLS session caches, shared by the blocking handle and the multi's */
  /* The multi handle and its transfers, made on the first start(). */
  CURLM *multi;
  hum_transfer **active; /* in the multi handle now */
  size_t nactive, active_cap;
  hum_transfer *done_head, *done_tail; /* finished, waiting for completed() */
  hum_transfer *pool;                  /* finished and collected, kept for reuse */
  size_t pool_size;
  hum_watch *watches;
  size_t nwatches, watches_cap;
  lua_Integer next_id, next_gen;
  /* A method in progress sets busy; close() then only marks the session, and the method frees it on the way
   * out. (A collection during a method can run another object's __gc, which may call close.) */
  int busy, closed, close_pending;
  int freed; /* everything above released: only the userdata's memory is left */
} hum_session;

/* What session:request and session:start were asked for, checked and converted. */
typedef struct hum_request_args {
  const char *method;
  const char *url;
  const char *body; /* NULL for none */
  size_t body_len;
  long timeout_ms; /* 0: no limit */
  int headers_idx; /* stack index of the headers table, or 0 */
  int has_content_type;
  int has_idempotency_key; /* the request may be repeated although its method is not idempotent */
} hum_request_args;

int hum_session_new(lua_State *L);
void hum_session_register(lua_State *L);

/* session.c, for multi.c */
double hum_now(void);
hum_session *hum_session_enter(lua_State *L);
void hum_session_leave(hum_session *s);
void hum_check_request(lua_State *L, int first, hum_request_args *a);
int hum_transfer_init(hum_transfer *t, hum_session *s);
void hum_transfer_clear(hum_transfer *t);
void hum_transfer_free(hum_transfer *t);
int hum_transfer_prepare(lua_State *L, hum_transfer *t, const hum_request_args *a, int copy_body);
int hum_transfer_push(lua_State *L, hum_transfer *t, CURLcode rc);

/* multi.c */
void hum_multi_free(hum_session *s);
void hum_multi_register(lua_State *L);

#endif
