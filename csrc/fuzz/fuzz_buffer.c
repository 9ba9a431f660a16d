/* libFuzzer harness for hum_buffer: the input is a program of appends and resets against a small limit.
 * (and reserves) Checks the invariants the rest of the core relies on: never past the limit, contents equal to what was
 * appended. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../buffer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  hum_buffer b;
  size_t limit = ((size_t)data[0] << 8 | data[1]) % 70000;
  hum_buffer_init(&b, limit);
  static char shadow[70000];
  size_t shadow_len = 0;
  size_t pos = 2;
  while (pos < size) {
    uint8_t op = data[pos++];
    if (op % 8 == 0) {
      hum_buffer_reset(&b);
      shadow_len = 0;
      continue;
    }
    if (op % 8 == 1) { /* a reserve, of a size before or past the limit */
      if (hum_buffer_reserve(&b, (size_t)op * 300) == HUM_BUFFER_OK)
        assert(b.cap >= ((size_t)op * 300 < limit ? (size_t)op * 300 : limit));
      continue;
    }
    size_t n = (size_t)op * 37;
    if (n > size - pos) n = size - pos;
    int rc = hum_buffer_append(&b, data + pos, n);
    if (rc == HUM_BUFFER_OK) {
      assert(shadow_len + n <= limit);
      memcpy(shadow + shadow_len, data + pos, n);
      shadow_len += n;
    } else {
      assert(rc == HUM_BUFFER_FULL && shadow_len + n > limit);
    }
    pos += n;
    assert(b.len == shadow_len && b.len <= b.limit && b.cap <= (b.limit > 1024 ? b.limit : 1024));
    assert(b.len == 0 || memcmp(b.data, shadow, b.len) == 0);
  }
  hum_buffer_free(&b);
  return 0;
}
