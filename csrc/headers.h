/* Response header lines in, a Lua table out; and redaction of header lines written to a trace. Kept apart
 * from libcurl and from Lua where possible so the fuzz harnesses can drive the parsers directly. */
#ifndef HUM_HEADERS_H
#define HUM_HEADERS_H

#include <stddef.h>

#include "buffer.h"

/* Adds one raw header line as libcurl delivers it ("Name: value\r\n") to `out`, packed as
 * "name\0value\0" with the name lowercased and the value trimmed. A status line ("HTTP/...") empties `out`,
 * since it starts a new response (after a 1xx one, say). Lines without a colon are ignored.
 * Returns a HUM_BUFFER_* code. */
int hum_headers_add_line(hum_buffer *out, const char *line, size_t len);

/* Appends `data` (one or more lines libcurl traced) to `out`, each line prefixed with `prefix`, with the
 * value of any Authorization or Proxy-Authorization header replaced, and every occurrence of `secret` (when
 * not NULL or empty) masked. A full `out` drops the rest silently: a trace is a diagnostic, never a failure.
 */
void hum_trace_append(hum_buffer *out, const char *prefix, const char *data, size_t size, const char *secret);

#endif
