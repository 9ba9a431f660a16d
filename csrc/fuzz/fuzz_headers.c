/* libFuzzer harness for hum_headers_take_line (and so hum_headers_add_line): the input is split into lines as
 * libcurl would deliver them. Checks that the packed block stays well formed (name NUL value NUL pairs,
 * lower-case names, never past its limit), which push_headers relies on when it walks the block, and that
 * nothing after the final block's end (a trailer) changes it. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../buffer.h"
#include "../headers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  hum_buffer out;
  hum_buffer_init(&out, 4096);
  hum_head_state st;
  hum_head_state_reset(&st);
  size_t pos = 0, len_at_end = 0;
  while (pos < size) {
    const uint8_t *nl = memchr(data + pos, '\n', size - pos);
    size_t end = nl ? (size_t)(nl - data) + 1 : size;
    int ended = st.ended;
    hum_headers_take_line(&st, &out, (const char *)data + pos, end - pos);
    if (ended) assert(out.len == len_at_end); /* a trailer never changes the headers */
    if (st.ended && !ended) len_at_end = out.len;
    assert(st.length_len < sizeof st.length);
    pos = end;
  }
  assert(out.len <= out.limit);
  size_t at = 0, fields = 0;
  while (at < out.len) {
    const char *name = out.data + at;
    const char *name_end = memchr(name, '\0', out.len - at);
    assert(name_end != NULL);
    for (const char *c = name; c < name_end; c++) assert(!(*c >= 'A' && *c <= 'Z'));
    at = (size_t)(name_end - out.data) + 1;
    const char *value_end = memchr(out.data + at, '\0', out.len - at);
    assert(value_end != NULL);
    at = (size_t)(value_end - out.data) + 1;
    fields++;
  }
  (void)fields;
  hum_buffer_free(&out);
  return 0;
}
