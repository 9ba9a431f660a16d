/* The session userdata and the transfer it reuses: shared by core.c (registration) and session.c. */
#ifndef HUM_SESSION_H
#define HUM_SESSION_H

#include <curl/curl.h>
#include <lua.h>

#include "buffer.h"

#define HUM_SESSION_MT "humanitec.core.session"

/* Settings fixed when the session is made; every transfer of the session applies them. Strings are owned
 * (malloc'd) and freed, the token wiped first, in hum_session_close. */
typedef struct hum_settings {
  char *token; /* bearer token; never leaves C */
  char *ca_file;
  char *ca_path;
  long connect_timeout_ms;
  curl_off_t max_body;
  int insecure;
  int trace;
} hum_settings;

/* One request's worth of state. Everything allocated for a request hangs off this struct, so closing or
 * collecting the session frees it even when a Lua error cut a request short. */
typedef struct hum_transfer {
  CURL *easy;
  struct curl_slist *headers; /* request headers; must outlive perform */
  hum_buffer body;            /* response body, capped at max_body */
  hum_buffer head;            /* response headers, packed by hum_headers_add_line */
  hum_buffer trace;           /* redacted libcurl trace, when tracing */
  const hum_settings *settings;
  int too_large; /* the write callback refused data over max_body */
  int head_full; /* the response headers passed their cap */
  int out_of_memory;
  int got_bytes; /* any response byte arrived: a failure after this is not a clean reset */
  char errbuf[CURL_ERROR_SIZE];
} hum_transfer;

typedef struct hum_session {
  hum_settings settings;
  hum_transfer transfer; /* reused by every blocking request: keeps the connection and TLS session alive */
  int closed;
} hum_session;

int hum_session_new(lua_State *L);
void hum_session_register(lua_State *L);

#endif
