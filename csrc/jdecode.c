/* A JSON decoder (RFC 8259) straight into Lua values, in one pass over the text.
 *
 * It never recurses: open containers are frames on a small C stack (a userdata past 32 levels), at most 1000
 * deep. Each container's elements wait on the Lua stack until it closes, so its table is made once at its
 * exact size (lua_createtable) and never rehashed; a container with more elements than the stack may hold
 * (PENDING_LIMIT slots in all) gets its table early and grows it. Strings without escapes are pushed from the
 * text itself; strings with escapes are decoded into one scratch userdata, grown by doubling. So the extra
 * memory is at most the Lua stack's bound plus twice the longest escaped string, and time is linear.
 *
 * Values:
 *   - objects and arrays are tables; an empty array gets `array_mt`; a name given twice, the last one wins;
 *   - `null` is the `null` value given; true and false are booleans;
 *   - strings are their bytes: escapes (surrogate pairs included) are decoded exactly to UTF-8, a lone
 *     surrogate is an error, and bytes that are not valid UTF-8 pass through unchecked, as Lua strings are
 *     bytes; a raw control character (below 0x20) in a string is an error, as RFC 8259 says;
 *   - numbers without fraction or exponent that fit in 64 bits are integers on Lua 5.3 and 5.4; all others
 *     are floats, correctly rounded (30-digit integers too); 1e400 is math.huge (its sign kept), 1e-400 is
 *     0.0; `-0` is the float -0.0 (as in JavaScript), since the integer 0 has no sign. On Lua 5.1 and
 *     LuaJIT every number is a double. The decimal point is '.', whatever the C locale says.
 *   - a byte-order mark, anything but white space after the value (a NUL included), and an empty text are
 *     errors.
 * Every error is nil, message, offset: the byte offset (from 0) where the text went wrong. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "jdecode.h"

/* lua-cjson's default nesting limit: the SDK has always accepted exactly what it accepts. */
#define MAX_DEPTH 1000
#define SHALLOW 32

/* How many slots the Lua stack may hold while decoding, before waiting elements go into their table early.
 * Lua 5.1 and LuaJIT refuse a C function more than 8000 slots; with 1000 open objects holding a table and a
 * name each (2000 slots) 5000 stays clear of that. Lua 5.3 and 5.4 allow a million. */
#if LUA_VERSION_NUM >= 503
#define PENDING_LIMIT 60000
#else
#define PENDING_LIMIT 5000
#endif

/* The entry's stack: its arguments, then two slots it owns, then the values being built. */
enum { ARG_TEXT = 1, ARG_LEN, ARG_MT, ARG_NULL, SLOT_SCRATCH, SLOT_FRAMES, FIRST_FREE };

/* An open container. `base` is its stack slot: nil until its table is made, then the table. Elements not yet
 * in the table (all of them, until it is made) lie above it: a value each for an array, a name and a value
 * each for an object. */
typedef struct {
  int base;
  int is_object;
  int made;
  int count; /* elements (name-value pairs) so far */
} frame;

typedef struct {
  lua_State *L;
  const char *text, *end;
  frame *frames;
  int depth, frames_cap;
  int room; /* the stack has space up to this index */
  char *scratch;
  size_t scratch_size;
  const char *error; /* what went wrong, and where */
  const char *error_at;
} decoder;

static int fail(decoder *d, const char *what, const char *at) {
  d->error = what;
  d->error_at = at;
  return 0;
}

/* Room for n more values on the Lua stack. */
static int ensure(decoder *d, int n) {
  int top = lua_gettop(d->L);
  if (top + n <= d->room) return 1;
  if (!lua_checkstack(d->L, n + 64)) return 0;
  d->room = top + n + 64;
  return 1;
}

static int is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

static const char *skip_space(const char *p, const char *end) {
  while (p < end && is_space(*p)) p++;
  return p;
}

/* The first '"', '\\' or control character (below 0x20) at or after p, or end. Strings are most of an API
 * answer's bytes, so this looks at eight at a time where it can: a byte of v ^ (c in every byte) is zero
 * where v holds c, (x - 0x01..01) & ~x & 0x80..80 flags the lowest zero byte of x, and (v - 0x20..20) & ~v &
 * 0x80..80 the lowest byte below 0x20 (bits above the lowest may be wrong, so only the lowest counts). */
static const char *string_stop(const char *p, const char *end) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
  while (end - p >= 8) {
    uint64_t v;
    memcpy(&v, p, 8);
    uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
    uint64_t hit = (((q - ones) & ~q) | ((b - ones) & ~b) | ((v - ones * 0x20) & ~v)) & highs;
    if (hit) return p + (__builtin_ctzll(hit) >> 3);
    p += 8;
  }
#endif
  while (p < end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20) p++;
  return p;
}

static int hex4(const char *p, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (unsigned)(c - '0');
    else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
      v |= (unsigned)((c | 0x20) - 'a' + 10);
    else
      return 0;
  }
  *out = v;
  return 1;
}

static char *put_utf8(char *o, unsigned c) {
  if (c < 0x80) {
    *o++ = (char)c;
  } else if (c < 0x800) {
    *o++ = (char)(0xC0 | (c >> 6));
    *o++ = (char)(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    *o++ = (char)(0xE0 | (c >> 12));
    *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
    *o++ = (char)(0x80 | (c & 0x3F));
  } else {
    *o++ = (char)(0xF0 | (c >> 18));
    *o++ = (char)(0x80 | ((c >> 12) & 0x3F));
    *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
    *o++ = (char)(0x80 | (c & 0x3F));
  }
  return o;
}

/* Pushes the string s..e (between the quotes, holding escapes, no raw control characters), decoded. Its
 * decoded form is never longer than its text, so the scratch needs e - s bytes. */
static int push_escaped(decoder *d, const char *s, const char *e) {
  lua_State *L = d->L;
  size_t need = (size_t)(e - s);
  if (need > d->scratch_size) {
    size_t size = d->scratch_size * 2;
    if (size < need) size = need;
    if (size < 256) size = 256;
    d->scratch = lua_newuserdata(L, size); /* the old one is garbage now */
    lua_replace(L, SLOT_SCRATCH);
    d->scratch_size = size;
  }
  char *o = d->scratch;
  const char *p = s;
  while (p < e) {
    const char *bs = memchr(p, '\\', (size_t)(e - p));
    if (bs == NULL) bs = e;
    memcpy(o, p, (size_t)(bs - p));
    o += bs - p;
    p = bs;
    if (p == e) break;
    /* p at a backslash, and a byte follows it (the scan saw to that) */
    char c = p[1];
    switch (c) {
    case '"': *o++ = '"'; break;
    case '\\': *o++ = '\\'; break;
    case '/': *o++ = '/'; break;
    case 'b': *o++ = '\b'; break;
    case 'f': *o++ = '\f'; break;
    case 'n': *o++ = '\n'; break;
    case 'r': *o++ = '\r'; break;
    case 't': *o++ = '\t'; break;
    case 'u': {
      unsigned cp, low;
      if (e - p < 6 || !hex4(p + 2, &cp)) return fail(d, "invalid \\u escape", p);
      if (cp >= 0xDC00 && cp <= 0xDFFF) return fail(d, "lone low surrogate in \\u escape", p);
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (e - p < 12 || p[6] != '\\' || p[7] != 'u' || !hex4(p + 8, &low) || low < 0xDC00 || low > 0xDFFF)
          return fail(d, "high surrogate without its low surrogate in \\u escape", p);
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        p += 6;
      }
      o = put_utf8(o, cp);
      p += 4; /* and 2 below */
      break;
    }
    default: return fail(d, "invalid escape in a string", p);
    }
    p += 2;
  }
  lua_pushlstring(L, d->scratch, (size_t)(o - d->scratch));
  return 1;
}

/* At the opening quote p: pushes the string, returns the byte after the closing quote (NULL on error). */
static const char *read_string(decoder *d, const char *p) {
  const char *s = p + 1, *end = d->end;
  int escaped = 0;
  p = s;
  for (;;) {
    p = string_stop(p, end);
    if (p == end) return fail(d, "unterminated string", s - 1), NULL;
    if (*p == '"') break;
    if (*p != '\\') return fail(d, "control character in a string", p), NULL;
    if (end - p < 2) return fail(d, "unterminated string", s - 1), NULL;
    escaped = 1;
    p += 2;
  }
  if (!escaped)
    lua_pushlstring(d->L, s, (size_t)(p - s));
  else if (!push_escaped(d, s, p))
    return NULL;
  return p + 1;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Exact powers of ten as doubles: 10^22 is the largest. */
static const double powers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Significant digits kept for strtod: 767 decide the nearest double; one more stands for any dropped ones. */
#define KEPT_DIGITS 780

/* The number with the digits [int_s, int_e) and [frac_s, frac_e) (either may be empty) times 10^exp10,
 * correctly rounded. Fewer than 20 significant digits and a small exponent: exact double arithmetic
 * (Clinger's fast path). Otherwise strtod, on digits and an exponent only, so no decimal point is involved
 * and the locale cannot matter; at most KEPT_DIGITS + 1 digits are handed over, so its time is bounded. */
static double to_double(const char *int_s, const char *int_e, const char *frac_s, const char *frac_e,
                        long exp10) {
  char digits[KEPT_DIGITS + 32];
  int n = 0, sticky = 0;
  long point = 0; /* the value is 0.digits * 10^(point + exp10) */
  uint64_t m = 0;
  const char *p = int_s;
  while (p < int_e && *p == '0') p++;
  for (; p < int_e; p++) {
    if (n < KEPT_DIGITS)
      digits[n++] = *p;
    else if (*p != '0')
      sticky = 1;
    point++;
  }
  p = frac_s;
  if (n == 0)
    for (; p < frac_e && *p == '0'; p++) point--;
  for (; p < frac_e; p++) {
    if (n < KEPT_DIGITS)
      digits[n++] = *p;
    else if (*p != '0')
      sticky = 1;
  }
  if (n == 0) return 0.0;
  long e = point + exp10 - n; /* value = (integer digits) * 10^e */
  if (n <= 19 && !sticky) {
    for (int i = 0; i < n; i++) m = m * 10 + (uint64_t)(digits[i] - '0');
    if (m <= ((uint64_t)1 << 53)) {
      if (e >= 0 && e <= 22) return (double)m * powers[e];
      if (e < 0 && e >= -22) return (double)m / powers[-e];
    }
  }
  if (sticky) digits[n++] = '1', e--;
  snprintf(digits + n, 24, "e%ld", e);
  return strtod(digits, NULL);
}

/* At a '-' or digit: pushes the number, returns the byte after it (NULL on error). */
static const char *read_number(decoder *d, const char *p) {
  const char *s = p, *end = d->end;
  int negative = 0;
  if (*p == '-') negative = 1, p++;
  const char *int_s = p;
  if (p < end && *p == '0')
    p++;
  else if (p < end && *p >= '1' && *p <= '9')
    while (p < end && is_digit(*p)) p++;
  else
    return fail(d, "invalid number", s), NULL;
  const char *int_e = p, *frac_s = p, *frac_e = p;
  int is_float = 0;
  long exp10 = 0;
  if (p < end && *p == '.') {
    p++;
    frac_s = p;
    if (p == end || !is_digit(*p)) return fail(d, "invalid number", s), NULL;
    while (p < end && is_digit(*p)) p++;
    frac_e = p;
    is_float = 1;
  }
  if (p < end && (*p | 0x20) == 'e') {
    int exp_negative = 0;
    p++;
    if (p < end && (*p == '+' || *p == '-')) exp_negative = *p++ == '-';
    if (p == end || !is_digit(*p)) return fail(d, "invalid number", s), NULL;
    /* Past a million the value is 0 or infinite whatever the digits: the exponent stops growing there. */
    for (; p < end && is_digit(*p); p++)
      if (exp10 < 1000000) exp10 = exp10 * 10 + (*p - '0');
    if (exp_negative) exp10 = -exp10;
    is_float = 1;
  }
  if (!is_float && int_e - int_s <= 19) {
    uint64_t v = 0;
    for (const char *q = int_s; q < int_e; q++) v = v * 10 + (uint64_t)(*q - '0'); /* < 10^19 < 2^64 */
#if LUA_VERSION_NUM >= 503 && defined(LUA_MAXINTEGER)
    if (negative && v == 0) {
      lua_pushnumber(d->L, -0.0);
      return p;
    }
    if (!negative && v <= (uint64_t)LUA_MAXINTEGER) {
      lua_pushinteger(d->L, (lua_Integer)v);
      return p;
    }
    if (negative && v <= (uint64_t)LUA_MAXINTEGER + 1) {
      lua_pushinteger(d->L, (lua_Integer)(0 - v));
      return p;
    }
#endif
    lua_pushnumber(d->L, negative ? -(lua_Number)v : (lua_Number)v);
    return p;
  }
  double v = to_double(int_s, int_e, frac_s, frac_e, exp10);
  lua_pushnumber(d->L, negative ? -v : v);
  return p;
}

/* At t, f or n: pushes the literal, returns the byte after it (NULL on error). */
static const char *read_literal(decoder *d, const char *p) {
  size_t left = (size_t)(d->end - p);
  if (left >= 4 && memcmp(p, "true", 4) == 0) {
    lua_pushboolean(d->L, 1);
    return p + 4;
  }
  if (left >= 5 && memcmp(p, "false", 5) == 0) {
    lua_pushboolean(d->L, 0);
    return p + 5;
  }
  if (left >= 4 && memcmp(p, "null", 4) == 0) {
    lua_pushvalue(d->L, ARG_NULL);
    return p + 4;
  }
  return fail(d, "invalid literal", p), NULL;
}

/* Makes the table of frame f from the elements above its slot, which it leaves on top of its slot. Names go
 * in in text order, so of a name given twice the last value stays. */
static int make_table(decoder *d, frame *f) {
  lua_State *L = d->L;
  int n = f->count, base = f->base;
  if (!f->is_object) {
    lua_createtable(L, n, 0);
    if (n == 0) {
      lua_pushvalue(L, ARG_MT);
      lua_setmetatable(L, -2);
    }
    lua_replace(L, base);
    for (int i = n; i >= 1; i--) lua_rawseti(L, base, i);
  } else {
    if (!ensure(d, 2)) return fail(d, "nesting too deep for the Lua stack", NULL);
    lua_createtable(L, 0, n);
    lua_replace(L, base);
    for (int i = 0; i < n; i++) {
      lua_pushvalue(L, base + 1 + 2 * i);
      lua_pushvalue(L, base + 2 + 2 * i);
      lua_rawset(L, base);
    }
    lua_settop(L, base);
  }
  f->made = 1;
  return 1;
}

/* Opens a container at p ('[' or '{'). */
static int open_frame(decoder *d, const char *p) {
  if (d->depth == MAX_DEPTH) return fail(d, "nesting deeper than 1000", p);
  if (d->depth == d->frames_cap) {
    frame *deep = lua_newuserdata(d->L, MAX_DEPTH * sizeof *deep);
    memcpy(deep, d->frames, (size_t)d->depth * sizeof *deep);
    lua_replace(d->L, SLOT_FRAMES);
    d->frames = deep;
    d->frames_cap = MAX_DEPTH;
  }
  lua_pushnil(d->L);
  frame *f = &d->frames[d->depth++];
  f->base = lua_gettop(d->L);
  f->is_object = *p == '{';
  f->made = 0;
  f->count = 0;
  return 1;
}

/* Reads the one value of the text; leaves it on top of the stack. */
static int run(decoder *d) {
  lua_State *L = d->L;
  const char *p = d->text, *end = d->end;
  frame *f;
  if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) return fail(d, "byte-order mark before the text", p);
value:
  p = skip_space(p, end);
  if (p == end) return fail(d, "expected a value", p);
  if (!ensure(d, 4)) return fail(d, "nesting too deep for the Lua stack", p);
  switch (*p) {
  case '{':
  case '[':
    if (!open_frame(d, p)) return 0;
    f = &d->frames[d->depth - 1];
    p = skip_space(p + 1, end);
    if (p < end && *p == (f->is_object ? '}' : ']')) {
      p++;
      goto close;
    }
    if (f->is_object) goto name;
    goto value;
  case '"': p = read_string(d, p); break;
  case '-':
  case '0':
  case '1':
  case '2':
  case '3':
  case '4':
  case '5':
  case '6':
  case '7':
  case '8':
  case '9': p = read_number(d, p); break;
  case 't':
  case 'f':
  case 'n': p = read_literal(d, p); break;
  default: return fail(d, "expected a value", p);
  }
  if (p == NULL) return 0;

after: /* a value is on top of the stack; it belongs to the innermost container, if any */
  if (d->depth == 0) {
    p = skip_space(p, end);
    if (p != end) return fail(d, "content after the value", p);
    return 1;
  }
  f = &d->frames[d->depth - 1];
  if (f->made) {
    if (f->is_object)
      lua_rawset(L, f->base);
    else
      lua_rawseti(L, f->base, f->count + 1);
  }
  if (f->count == INT32_MAX) return fail(d, "too many elements", p);
  f->count++;
  if (!f->made && lua_gettop(L) > PENDING_LIMIT && !make_table(d, f)) return 0;
  p = skip_space(p, end);
  if (p == end) return fail(d, "unexpected end of the text", p);
  if (*p == ',') {
    p = skip_space(p + 1, end);
    if (f->is_object) goto name;
    goto value;
  }
  if (*p != (f->is_object ? '}' : ']'))
    return fail(d, f->is_object ? "expected ',' or '}'" : "expected ',' or ']'", p);
  p++;

close: /* the innermost container has just closed: its table becomes the value */
  f = &d->frames[d->depth - 1];
  if (!f->made && !make_table(d, f)) return 0;
  d->depth--;
  goto after;

name: /* in an object, at a name (white space skipped) */
  if (p == end || *p != '"') return fail(d, "expected a name in quotes", p);
  if (!ensure(d, 4)) return fail(d, "nesting too deep for the Lua stack", p);
  p = read_string(d, p);
  if (p == NULL) return 0;
  p = skip_space(p, end);
  if (p == end || *p != ':') return fail(d, "expected ':'", p);
  p++;
  goto value;
}

int hum_jdecode_entry(lua_State *L) {
  frame shallow[SHALLOW];
  decoder d;
  d.L = L;
  d.text = lua_touserdata(L, ARG_TEXT);
  d.end = d.text + (size_t)lua_tonumber(L, ARG_LEN);
  d.frames = shallow;
  d.depth = 0;
  d.frames_cap = SHALLOW;
  d.room = 0;
  d.scratch = NULL;
  d.scratch_size = 0;
  d.error = NULL;
  d.error_at = NULL;
  lua_settop(L, ARG_NULL);
  lua_pushnil(L); /* SLOT_SCRATCH */
  lua_pushnil(L); /* SLOT_FRAMES */
  if (run(&d)) return 1;
  lua_settop(L, FIRST_FREE - 1);
  size_t at = (size_t)((d.error_at ? d.error_at : d.end) - d.text);
  char message[96];
  snprintf(message, sizeof message, "%s at byte offset %lu", d.error, (unsigned long)at);
  lua_pushnil(L);
  lua_pushstring(L, message);
  lua_pushinteger(L, (lua_Integer)at);
  return 3;
}

int hum_jdecode(lua_State *L, int entry, const char *text, size_t len, int array_mt, int null) {
  int top = lua_gettop(L);
  lua_pushvalue(L, entry);
  lua_pushlightuserdata(L, (void *)text);
  lua_pushnumber(L, (lua_Number)len);
  lua_pushvalue(L, array_mt);
  lua_pushvalue(L, null);
  if (lua_pcall(L, 4, LUA_MULTRET, 0) == 0) return lua_gettop(L) - top;
  /* Only a memory error gets here; its message is a string Lua keeps ready for that. */
  lua_pushnil(L);
  lua_insert(L, -2);
  lua_pushinteger(L, 0);
  return 3;
}

/* decode(text): upvalues entry, array_mt, null. A programmer's error (text not a string) raises. */
static int decoder_call(lua_State *L) {
  size_t len;
  const char *text = luaL_checklstring(L, 1, &len);
  lua_settop(L, 1); /* the text stays referenced, so alive, during the call */
  return hum_jdecode(L, lua_upvalueindex(1), text, len, lua_upvalueindex(2), lua_upvalueindex(3));
}

int hum_jdecode_decoder(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  lua_settop(L, 2);
  lua_pushcfunction(L, hum_jdecode_entry);
  lua_insert(L, 1);
  lua_pushcclosure(L, decoder_call, 3);
  return 1;
}
