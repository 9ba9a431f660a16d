/* A response's header block as Lua values: the headers table, the head userdata (headers and timings made
 * when read) and the verdict on the block's framing. Knows the packed block headers.c makes and nothing of
 * libcurl, so the fuzz harness (csrc/fuzz/fuzz_result.c) drives the same code a transfer does. */
#ifndef HUM_RESULT_H
#define HUM_RESULT_H

#include <stddef.h>

#include <lua.h>

#include "buffer.h"
#include "headers.h"

/* A transfer's timings, in seconds, and its HTTP version (a literal: "1.0", "1.1" or "2"). */
typedef struct hum_timings {
  lua_Number total, connect, tls, first_byte;
  const char *http_version;
} hum_timings;

/* For an answer libcurl reported complete: NULL when its header block is one to act on; otherwise why not,
 * with *kind set to "partial" (the block never ended) or "protocol" (Content-Length values that disagree). */
const char *hum_result_framing(const hum_head_state *st, const char **kind);

/* Pushes the packed block as a table: name -> value, or name -> { values... } in order when repeated. */
void hum_result_push_headers(lua_State *L, const hum_buffer *head);

/* Pushes { total, connect, tls, first_byte, http_version }. */
void hum_result_push_timings(lua_State *L, const hum_timings *tm);

/* Pushes a "humanitec.core.head" userdata holding copies of the block and of the trace (trace NULL: none):
 * head:headers() and head:timings() make the tables hum_result_push_headers and hum_result_push_timings
 * make (timings with .trace when there is one), head:header(name) finds a header's first value without
 * case, head.trace is the trace or nil. One allocation; changes nothing outside Lua. */
void hum_result_push_head(lua_State *L, const hum_buffer *head, const hum_timings *tm, const char *trace,
                          size_t trace_len);

/* Whether the block's first Content-Type names JSON: application/json or a type ending in +json, with any
 * parameters; the client's test for bodies that reach it as text. */
int hum_result_is_json(const hum_buffer *head);

/* The head userdata's metatable; once, when the core is opened. */
void hum_result_register(lua_State *L);

#endif
