/* A growable byte buffer with a hard cap, for response bodies, header blocks and traces. */
#ifndef HUM_BUFFER_H
#define HUM_BUFFER_H

#include <stddef.h>

typedef struct hum_buffer {
  char *data;   /* owned; NULL until the first append */
  size_t len;   /* bytes in use */
  size_t cap;   /* bytes allocated */
  size_t limit; /* appends that would pass this fail with HUM_BUFFER_FULL */
} hum_buffer;

enum { HUM_BUFFER_OK = 0, HUM_BUFFER_FULL = -1, HUM_BUFFER_NOMEM = -2 };

void hum_buffer_init(hum_buffer *b, size_t limit);
int hum_buffer_append(hum_buffer *b, const void *data, size_t size);
/* Makes room for `size` bytes in all (never past the limit), so appends up to that need no realloc. */
int hum_buffer_reserve(hum_buffer *b, size_t size);
/* Empties the buffer; keeps a small allocation for reuse and gives a large one back. */
void hum_buffer_reset(hum_buffer *b);
void hum_buffer_free(hum_buffer *b);

#endif
