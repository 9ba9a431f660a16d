/* One HTTP request on a libcurl easy handle: the settings every request applies, the callbacks that copy
 * response bytes into buffers, readying a handle for a request, and pushing a finished request's results to
 * Lua (the header block's values are made by result.c, which knows no libcurl). Used by session.c (the
 * blocking request) and multi.c (many at once); knows neither. */
#ifndef HUM_TRANSFER_H
#define HUM_TRANSFER_H

#include <curl/curl.h>
#include <lua.h>

#include "buffer.h"
#include "headers.h"

/* Settings fixed when the session is made; every transfer of the session applies them. Strings are owned
 * (malloc'd) by the session and freed, the token wiped first, when it is freed. */
typedef struct hum_settings {
  char *token; /* bearer token; never leaves C */
  char *ca_file;
  char *ca_path;
  long connect_timeout_ms;
  curl_off_t max_body;
  int insecure;
  int trace;
  int http2; /* this libcurl speaks HTTP/2: asked once, not on every request */
  int json;  /* decode JSON bodies (the session keeps the decoder's Lua values) */
  int lazy_head; /* hand headers and timings over as one userdata that builds their tables when asked */
} hum_settings;

/* The JSON decoder's Lua values, as stack indexes: hum_jdecode_entry, the array mark, null. */
typedef struct hum_json_args {
  int entry, array_mt, null;
} hum_json_args;

/* A response body handed to Lua without a copy: the transfer's buffer, moved into the userdata (see
 * hum_transfer_hand_over). tostring() makes the Lua string, when someone asks for it. */
typedef struct hum_body {
  char *data; /* malloc'd, owned; NULL for none */
  size_t len;
} hum_body;

/* One request's worth of state. Everything allocated for a request hangs off this struct, so freeing its
 * owner frees it even when a Lua error cut a request short. */
typedef struct hum_transfer {
  CURL *easy;
  /* Request headers; must outlive the transfer. Kept after it, since the next request of a client almost
   * always sends the same ones: hum_transfer_prepare rebuilds the list only when they differ. */
  struct curl_slist *headers;
  /* The handle holds the session's settings and, beyond them, only options every request sets again (URL,
   * headers, timeout, GET): the next GET can skip curl_easy_reset and the settings. */
  int configured;
  hum_buffer body;           /* response body, capped at max_body */
  hum_buffer head;           /* response headers, packed by hum_headers_add_line */
  hum_head_state head_state; /* where the header blocks stand: ended, 1xx, Content-Length */
  hum_buffer trace;          /* redacted libcurl trace, when tracing */
  const hum_settings *settings;
  CURLSH *share; /* the session's, or NULL */
  int too_large; /* the write callback refused data over max_body */
  int head_full; /* the response headers passed their cap */
  int out_of_memory;
  int got_bytes; /* any response byte arrived: a failure after this is not a clean reset */
  /* The body userdata hum_transfer_push made for this response, waiting for the buffer; NULL otherwise.
   * Referenced from the Lua stack until hum_transfer_hand_over, which the owner calls right after the push.
   */
  hum_body *body_out;
  char errbuf[CURL_ERROR_SIZE];
} hum_transfer;

/* What session:request and session:start were asked for, checked and converted by the session. */
typedef struct hum_request_args {
  const char *method;
  const char *url;
  const char *body; /* NULL for none */
  size_t body_len;
  long timeout_ms;      /* 0: no limit */
  int headers_idx;      /* stack index of the checked list of { name, value } pairs, or 0 */
  int has_content_type; /* one of them is Content-Type */
  int repeatable;       /* the caller may send it twice (idempotent, or with an Idempotency-Key) */
} hum_request_args;

/* Overwrites a C string with zeros (the token, and header lines that carry it) before it is freed. */
void hum_wipe(char *s);

/* 1 when the handle was made, 0 when memory ran out; hum_transfer_free is safe either way. */
int hum_transfer_init(hum_transfer *t, const hum_settings *settings, CURLSH *share);
/* Drops what one request left behind; keeps the handle, its connections and the header list. */
void hum_transfer_clear(hum_transfer *t);
void hum_transfer_free(hum_transfer *t);
/* Readies the transfer for a request. Allocates no Lua memory. 0, or -1 when memory ran out. With copy_body
 * libcurl copies the body; otherwise the Lua string must stay alive until the transfer is done. */
int hum_transfer_prepare(lua_State *L, hum_transfer *t, const hum_request_args *a, int copy_body);
/* Pushes a finished transfer's results (status, headers, body, info; or nil, message, kind [, trace]) and
 * returns how many. With lazy_head, headers and info are one "humanitec.core.head" userdata (in both places;
 * see result.h). With `json` (or NULL) and a JSON response, the body is a hum_body userdata, still empty, and
 * the decoded value follows the info (or nil and the decoder's message): 5 or 6 values. Changes nothing in
 * `t` but body_out: a memory error half-way leaves the response as it was. */
int hum_transfer_push(lua_State *L, hum_transfer *t, CURLcode rc, const hum_json_args *json);
/* After every value of a push is a Lua value: moves the body buffer into the body userdata, if one was made.
 * Allocates nothing. */
void hum_transfer_hand_over(hum_transfer *t);
/* The body userdata's metatable; once, when the core is opened. */
void hum_transfer_register(lua_State *L);

#endif
