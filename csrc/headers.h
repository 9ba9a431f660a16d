/* Response header lines in, a Lua table out; and redaction of header lines written to a trace. Kept apart
 * from libcurl and from Lua where possible so the fuzz harnesses can drive the parsers directly. */
#ifndef HUM_HEADERS_H
#define HUM_HEADERS_H

#include <stddef.h>

#include "buffer.h"

/* The cap on one response's packed header block (the transfer's, and the fuzz harnesses'). */
#define HUM_HEAD_LIMIT ((size_t)256 * 1024)

/* Adds one raw header line as libcurl delivers it ("Name: value\r\n") to `out`, packed as
 * "name\0value\0" with the name lowercased and the value trimmed. A status line ("HTTP/...") empties `out`,
 * since it starts a new response (after a 1xx one, say). Lines without a colon are ignored.
 * Returns a HUM_BUFFER_* code. */
int hum_headers_add_line(hum_buffer *out, const char *line, size_t len);

/* What the header lines of one response say about its framing, as libcurl hands them over: the header
 * blocks of any 1xx answers, the final block, and after a chunked body its trailers. */
typedef struct hum_head_state {
  int interim;       /* the block being read belongs to a 1xx answer */
  int ended;         /* the final block's blank line came: whatever follows is a trailer, never a header */
  int conflict;      /* Content-Length values that disagree (or one too long to be a length) */
  char length[24];   /* the first Content-Length value of the final block */
  size_t length_len; /* 0: none yet */
} hum_head_state;

void hum_head_state_reset(hum_head_state *st);

/* Takes one line libcurl delivered to the header callback: keeps `st` up to date and adds a header of the
 * response to `out` with hum_headers_add_line. Trailers (lines after the final block ended) are never added,
 * so they cannot change or wipe the response's headers. Returns a HUM_BUFFER_* code. */
int hum_headers_take_line(hum_head_state *st, hum_buffer *out, const char *line, size_t len);

/* Appends `data` (one or more lines libcurl traced) to `out`, each line prefixed with `prefix`, with the
 * value of any Authorization or Proxy-Authorization header replaced, and every occurrence of `secret` (when
 * not NULL or empty) masked. A full `out` drops the rest silently: a trace is a diagnostic, never a failure.
 */
void hum_trace_append(hum_buffer *out, const char *prefix, const char *data, size_t size, const char *secret);

#endif
