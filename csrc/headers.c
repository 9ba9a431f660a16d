/* Header line parsing and trace redaction; see headers.h. Pure C over byte ranges, no libcurl, no Lua. */
#include "headers.h"

#include <string.h>

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

/* Case-insensitive: does data[0..len) contain `needle` (lowercase)? */
static int contains_ci(const char *data, size_t len, const char *needle) {
  size_t n = strlen(needle);
  for (size_t i = 0; i + n <= len; i++) {
    size_t k = 0;
    while (k < n && lower(data[i + k]) == needle[k]) k++;
    if (k == n) return 1;
  }
  return 0;
}

/* Case-insensitive: does data[0..len) start with `prefix` (lowercase)? */
static int starts_with_ci(const char *data, size_t len, const char *prefix) {
  size_t n = strlen(prefix);
  if (len < n) return 0;
  for (size_t i = 0; i < n; i++)
    if (lower(data[i]) != prefix[i]) return 0;
  return 1;
}

int hum_headers_add_line(hum_buffer *out, const char *line, size_t len) {
  while (len > 0 && is_space(line[len - 1])) len--;
  if (len == 0) return HUM_BUFFER_OK;
  if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
    out->len = 0;
    return HUM_BUFFER_OK;
  }
  /* A NUL would cut the packed pair short, and push_headers would then walk off the block. libcurl 7.88
   * refuses such lines itself; older ones may not. */
  if (memchr(line, '\0', len) != NULL) return HUM_BUFFER_OK;
  const char *colon = memchr(line, ':', len);
  if (colon == NULL || colon == line) return HUM_BUFFER_OK;
  size_t name_len = (size_t)(colon - line);
  /* A name with white space in it (or an obsolete folded continuation line) is not a header field. */
  for (size_t i = 0; i < name_len; i++)
    if (is_space(line[i])) return HUM_BUFFER_OK;
  const char *value = colon + 1;
  size_t value_len = len - name_len - 1;
  while (value_len > 0 && is_space(*value)) {
    value++;
    value_len--;
  }
  /* Room for name, value and both terminators, checked up front so a full buffer never holds half a pair. */
  if (out->len + name_len + value_len + 2 > out->limit) return HUM_BUFFER_FULL;
  char name[64];
  for (size_t done = 0; done < name_len;) {
    size_t chunk = name_len - done < sizeof name ? name_len - done : sizeof name;
    for (size_t i = 0; i < chunk; i++) name[i] = lower(line[done + i]);
    int rc = hum_buffer_append(out, name, chunk);
    if (rc != HUM_BUFFER_OK) return rc;
    done += chunk;
  }
  int rc = hum_buffer_append(out, "", 1);
  if (rc == HUM_BUFFER_OK) rc = hum_buffer_append(out, value, value_len);
  if (rc == HUM_BUFFER_OK) rc = hum_buffer_append(out, "", 1);
  return rc;
}

void hum_head_state_reset(hum_head_state *st) {
  st->interim = st->ended = st->conflict = 0;
  st->length_len = 0;
}

/* The status code of a status line ("HTTP/1.1 204 No Content"), or 0 when it has none. */
static int status_code(const char *line, size_t len) {
  const char *space = memchr(line, ' ', len);
  if (space == NULL) return 0;
  size_t at = (size_t)(space - line) + 1;
  if (len - at < 3) return 0;
  int code = 0;
  for (size_t i = at; i < at + 3; i++) {
    if (line[i] < '0' || line[i] > '9') return 0;
    code = code * 10 + (line[i] - '0');
  }
  return code;
}

/* One Content-Length value (a comma-separated list counts as its items): every item must equal the first
 * value of the block. */
static void check_length(hum_head_state *st, const char *value, size_t len) {
  size_t pos = 0;
  while (pos <= len) {
    const char *comma = memchr(value + pos, ',', len - pos);
    size_t end = comma ? (size_t)(comma - value) : len;
    size_t a = pos, b = end;
    while (a < b && is_space(value[a])) a++;
    while (b > a && is_space(value[b - 1])) b--;
    size_t n = b - a;
    if (n == 0 || n >= sizeof st->length) {
      st->conflict = 1;
    } else if (st->length_len == 0) {
      memcpy(st->length, value + a, n);
      st->length_len = n;
    } else if (n != st->length_len || memcmp(st->length, value + a, n) != 0) {
      st->conflict = 1;
    }
    pos = end + 1;
  }
}

int hum_headers_take_line(hum_head_state *st, hum_buffer *out, const char *line, size_t len) {
  size_t trimmed = len;
  while (trimmed > 0 && is_space(line[trimmed - 1])) trimmed--;
  if (st->ended) return HUM_BUFFER_OK; /* a trailer */
  if (trimmed == 0) {                  /* the blank line that ends a block */
    if (st->interim)
      st->interim = 0; /* the final answer's status line comes next */
    else
      st->ended = 1;
    return HUM_BUFFER_OK;
  }
  if (trimmed >= 5 && memcmp(line, "HTTP/", 5) == 0) { /* a new answer: only the last one's headers count */
    int code = status_code(line, trimmed);
    st->interim = code >= 100 && code < 200;
    st->length_len = 0;
    st->conflict = 0;
  } else if (starts_with_ci(line, trimmed, "content-length:")) {
    check_length(st, line + 15, trimmed - 15);
  }
  return hum_headers_add_line(out, line, len);
}

static const char REDACTED[] = "[redacted]";

/* Appends one line (without its line ending) with the secret masked wherever it occurs. */
static int append_masked(hum_buffer *out, const char *data, size_t len, const char *secret) {
  size_t secret_len = secret ? strlen(secret) : 0;
  size_t start = 0;
  if (secret_len > 0) {
    for (size_t i = 0; i + secret_len <= len;) {
      if (memcmp(data + i, secret, secret_len) == 0) {
        if (hum_buffer_append(out, data + start, i - start) != HUM_BUFFER_OK) return -1;
        if (hum_buffer_append(out, REDACTED, sizeof REDACTED - 1) != HUM_BUFFER_OK) return -1;
        i += secret_len;
        start = i;
      } else {
        i++;
      }
    }
  }
  return hum_buffer_append(out, data + start, len - start) == HUM_BUFFER_OK ? 0 : -1;
}

void hum_trace_append(hum_buffer *out, const char *prefix, const char *data, size_t size,
                      const char *secret) {
  size_t prefix_len = strlen(prefix);
  size_t pos = 0;
  while (pos < size) {
    const char *nl = memchr(data + pos, '\n', size - pos);
    size_t end = nl ? (size_t)(nl - data) : size;
    size_t len = end - pos;
    while (len > 0 && data[pos + len - 1] == '\r') len--;
    const char *line = data + pos;
    if (len == 0) { /* the blank line that ends a header block says nothing */
      pos = end + 1;
      continue;
    }
    if (hum_buffer_append(out, prefix, prefix_len) != HUM_BUFFER_OK) return;
    if (starts_with_ci(line, len, "authorization:") || starts_with_ci(line, len, "proxy-authorization:")) {
      const char *colon = memchr(line, ':', len);
      if (hum_buffer_append(out, line, (size_t)(colon - line) + 1) != HUM_BUFFER_OK) return;
      if (hum_buffer_append(out, " ", 1) != HUM_BUFFER_OK) return;
      if (hum_buffer_append(out, REDACTED, sizeof REDACTED - 1) != HUM_BUFFER_OK) return;
    } else if (contains_ci(line, len, "authorization")) {
      /* Any other line about the header (libcurl's HTTP/2 text "h2h3 [authorization: Bearer ...]", say),
       * where a long token may also have been cut short, so masking the whole token would miss it. */
      if (hum_buffer_append(out, REDACTED, sizeof REDACTED - 1) != HUM_BUFFER_OK) return;
    } else if (append_masked(out, line, len, secret) != 0) {
      return;
    }
    if (hum_buffer_append(out, "\n", 1) != HUM_BUFFER_OK) return;
    pos = end + 1;
  }
}
