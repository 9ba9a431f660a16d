/* Growable byte buffer with a cap. Growth doubles, so appending n bytes costs O(n) overall. */
#include "buffer.h"

#include <stdlib.h>
#include <string.h>

/* Allocations up to this size survive a reset: the next response of the same size needs no malloc. */
#define HUM_BUFFER_KEEP (256 * 1024)

void hum_buffer_init(hum_buffer *b, size_t limit) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->limit = limit;
}

int hum_buffer_append(hum_buffer *b, const void *data, size_t size) {
  if (size > b->limit || b->len > b->limit - size) return HUM_BUFFER_FULL;
  if (b->len + size > b->cap) {
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + size) {
      if (cap > ((size_t)-1) / 2) {
        cap = b->len + size;
        break;
      }
      cap *= 2;
    }
    if (cap > b->limit) cap = b->limit; /* never allocate past what the cap lets in */
    char *grown = realloc(b->data, cap);
    if (grown == NULL) return HUM_BUFFER_NOMEM;
    b->data = grown;
    b->cap = cap;
  }
  if (size > 0) memcpy(b->data + b->len, data, size);
  b->len += size;
  return HUM_BUFFER_OK;
}

int hum_buffer_reserve(hum_buffer *b, size_t size) {
  if (size > b->limit) size = b->limit;
  if (size <= b->cap) return HUM_BUFFER_OK;
  char *grown = realloc(b->data, size);
  if (grown == NULL) return HUM_BUFFER_NOMEM;
  b->data = grown;
  b->cap = size;
  return HUM_BUFFER_OK;
}

void hum_buffer_reset(hum_buffer *b) {
  if (b->cap > HUM_BUFFER_KEEP) {
    free(b->data);
    b->data = NULL;
    b->cap = 0;
  }
  b->len = 0;
}

void hum_buffer_free(hum_buffer *b) {
  free(b->data);
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
}
