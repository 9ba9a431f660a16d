/* libFuzzer harness for hum_trace_append: the first byte picks a secret length, the next bytes are the
 * secret, the rest is trace data fed in pieces. The property: the secret (when it has 4 bytes or more) never
 * appears in the redacted output, and no line that mentions authorization survives. */
#include <assert.h>
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../buffer.h"
#include "../headers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int mentions_authorization(const char *line, size_t len) {
  static const char word[] = "authorization";
  size_t n = sizeof word - 1;
  for (size_t i = 0; i + n <= len; i++) {
    size_t k = 0;
    while (k < n && tolower((unsigned char)line[i + k]) == word[k]) k++;
    if (k == n) return 1;
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t secret_len = data[0] % 32;
  if (secret_len + 1 > size) return 0;
  char secret[33];
  memcpy(secret, data + 1, secret_len);
  secret[secret_len] = '\0';
  /* Secrets shaped like real tokens: token characters, with a digit, so that no secret is a piece of the
   * words the redaction itself writes ("Authorization: [redacted]"). */
  int digit = 0;
  for (size_t i = 0; i < secret_len; i++) {
    unsigned char c = (unsigned char)secret[i];
    if (!(isalnum(c) || strchr("-._~+/=", c) != NULL) || c == '\0') return 0;
    if (isdigit(c)) digit = 1;
  }
  if (secret_len > 0 && !digit) return 0;
  const char *text = (const char *)data + 1 + secret_len;
  size_t text_len = size - 1 - secret_len;

  hum_buffer out;
  hum_buffer_init(&out, 1 << 20);
  /* Whole lines at a time, as libcurl hands the debug callback header lines. */
  size_t pos = 0;
  while (pos < text_len) {
    const char *nl = memchr(text + pos, '\n', text_len - pos);
    size_t end = nl ? (size_t)(nl - text) + 1 : text_len;
    hum_trace_append(&out, "> ", text + pos, end - pos, secret_len ? secret : NULL);
    pos = end;
  }
  if (secret_len >= 4 && out.len >= secret_len) {
    for (size_t i = 0; i + secret_len <= out.len; i++) assert(memcmp(out.data + i, secret, secret_len) != 0);
  }
  size_t at = 0;
  while (at < out.len) {
    const char *nl = memchr(out.data + at, '\n', out.len - at);
    size_t end = nl ? (size_t)(nl - out.data) : out.len;
    const char *line = out.data + at;
    size_t len = end - at;
    if (mentions_authorization(line, len)) {
      /* Only the redacted form of the header itself may still name it. */
      assert(len >= 10 && memcmp(line + len - 10, "[redacted]", 10) == 0);
    }
    at = end + 1;
  }
  hum_buffer_free(&out);
  return 0;
}
