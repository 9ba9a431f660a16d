/* The one thing lua-cjson cannot do for the SDK: tell `[]` from `{}` when decoding (it makes both an empty
 * table, unmarked). humanitec.json keeps them apart by marking each table that was an empty JSON array with
 * the SDK's array metatable. cjson decodes the text as it is; then, only when the text holds an empty array
 * at all, one pass over the text follows its structure, and at each empty array looks up the table cjson made
 * for it (by the keys and indexes on the way there) and marks it.
 *
 * Empty objects are looked up too, and lose a mark: with a name given twice in one object, cjson keeps the
 * last value, so of `"a":[]` followed by `"a":{}`, the `{}` must win. Taking the empty containers in text
 * order makes the last one win, as in cjson.
 *
 *   core.json_decoder(decode, array_mt) -> function(text) -> value | nil, err
 *
 * `decode` is the codec's decode function, `array_mt` the metatable that marks an array; they are the
 * closure's upvalues. The text's own decode runs first, so errors and their positions are cjson's. */
#include <stdint.h>
#include <string.h>

#include "compat.h"
#include "json.h"

#define DECODE_FN lua_upvalueindex(1)
#define ARRAY_MT lua_upvalueindex(2)

/* cjson's default nesting limit, which the SDK's codec keeps: a text it decoded is never deeper. */
#define MAX_DEPTH 1000

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* At text[i], an opening bracket: the index just past its closing one when only white space lies between
 * (an empty array or object), else 0. */
static size_t empty_end(const char *text, size_t len, size_t i, char close) {
  size_t j = i + 1;
  while (j < len && is_space(text[j])) j++;
  return (j < len && text[j] == close) ? j + 1 : 0;
}

/* Whether any `[` ws `]` is in the text, strings included: the cheap test for the common case of none. */
static int has_empty_array(const char *text, size_t len) {
  const char *p = text, *end = text + len;
  while ((p = memchr(p, '[', (size_t)(end - p))) != NULL) {
    if (empty_end(text, len, (size_t)(p - text), ']')) return 1;
    p++;
  }
  return 0;
}

/* The index of the first '"' or '\\' at or after j, or len (or j, when j is past len). Strings are most of an
 * API answer's bytes, so this looks at eight at a time where it can: a byte of v ^ (0x22 in every byte) is
 * zero exactly where v holds a '"', and (x - 0x01..01) & ~x & 0x80..80 sets the high bit of the lowest zero
 * byte of x (bits above it may be wrong, so only the lowest counts). On other compilers and on big-endian
 * machines, byte by byte. */
static size_t quote_or_backslash(const char *text, size_t len, size_t j) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
  while (j < len && len - j >= 8) {
    uint64_t v;
    memcpy(&v, text + j, 8);
    uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
    uint64_t hit = ((q - ones) & ~q) | ((b - ones) & ~b);
    hit &= highs;
    if (hit) return j + (size_t)(__builtin_ctzll(hit) >> 3);
    j += 8;
  }
#endif
  while (j < len && text[j] != '"' && text[j] != '\\') j++;
  return j;
}

/* One step of the way from the decoded value to the container being read: a key of an object (key != NULL,
 * the bytes between the quotes) or an index of an array. */
typedef struct {
  const char *key;
  size_t key_len;
  int key_escaped; /* the key holds escapes, so its bytes are not the decoded name */
  int in_object;
  lua_Integer index;
} step;

/* Pushes the decoded name of a key whose text holds escapes, decoded by cjson itself. */
static void push_escaped_key(lua_State *L, const step *s) {
  lua_pushvalue(L, DECODE_FN);
  /* The key with its quotes is a JSON string, and a valid one: the text it is part of was decoded. */
  lua_pushlstring(L, s->key - 1, s->key_len + 2);
  lua_call(L, 1, 1);
}

/* Pushes the value at the end of the path steps[0..depth) from the value at `root`, or nil when the way is
 * not there (a later value of a name given twice replaced it). */
static void push_at(lua_State *L, int root, const step *steps, int depth) {
  lua_pushvalue(L, root);
  for (int d = 0; d < depth; d++) {
    if (lua_type(L, -1) != LUA_TTABLE) {
      lua_pop(L, 1);
      lua_pushnil(L);
      return;
    }
    const step *s = &steps[d];
    if (s->in_object) {
      if (s->key_escaped)
        push_escaped_key(L, s);
      else
        lua_pushlstring(L, s->key, s->key_len);
      lua_rawget(L, -2);
    } else {
      lua_rawgeti(L, -1, s->index);
    }
    lua_remove(L, -2);
  }
}

/* At an empty array (or object) in the text, at the path steps[0..depth): marks the table cjson made for it
 * as an array (or takes the mark off). */
static void mark_at(lua_State *L, int root, const step *steps, int depth, int is_array) {
  push_at(L, root, steps, depth);
  if (lua_type(L, -1) == LUA_TTABLE) {
    lua_pushnil(L);
    int empty = lua_next(L, -2) == 0;
    if (!empty) lua_pop(L, 2);
    if (empty && is_array) {
      lua_pushvalue(L, ARRAY_MT);
      lua_setmetatable(L, -2);
    } else if (empty && lua_getmetatable(L, -1)) {
      int marked = lua_rawequal(L, -1, ARRAY_MT);
      lua_pop(L, 1);
      if (marked) {
        lua_pushnil(L);
        lua_setmetatable(L, -2);
      }
    }
  }
  lua_pop(L, 1);
}

/* Follows the structure of a text cjson has decoded (so it is valid JSON) to mark the value at `root`. */
static void mark_empty_arrays(lua_State *L, int root, const char *text, size_t len) {
  step shallow[32];
  step *steps = shallow; /* for deeper text, a userdata on the stack, collected after the call */
  int capacity = 32;
  int depth = 0;      /* containers open around the current position */
  int expect_key = 0; /* in an object, before a name */
  luaL_checkstack(L, 10, "decoding JSON");
  size_t i = 0;
  while (i < len) {
    char c = text[i];
    switch (c) {
    case '"': {
      size_t end = i + 1;
      int escaped = 0;
      for (;;) { /* to the closing quote, stepping over escapes */
        end = quote_or_backslash(text, len, end);
        if (end >= len || text[end] == '"') break;
        escaped = 1;
        end += 2;
      }
      if (depth > 0 && steps[depth - 1].in_object && expect_key) {
        step *s = &steps[depth - 1];
        s->key = text + i + 1;
        s->key_len = end - i - 1;
        s->key_escaped = escaped;
        expect_key = 0;
      }
      i = end + 1;
      break;
    }
    case '[':
    case '{': {
      int is_array = c == '[';
      size_t end = empty_end(text, len, i, is_array ? ']' : '}');
      if (end) {
        mark_at(L, root, steps, depth, is_array);
        i = end;
        break;
      }
      if (depth == capacity) {
        if (capacity == MAX_DEPTH) return; /* cannot happen: cjson refuses deeper text */
        step *deep = lua_newuserdata(L, MAX_DEPTH * sizeof *deep);
        memcpy(deep, steps, (size_t)depth * sizeof *deep);
        steps = deep;
        capacity = MAX_DEPTH;
      }
      step *s = &steps[depth++];
      s->in_object = !is_array;
      s->key = NULL;
      s->key_len = 0;
      s->key_escaped = 0;
      s->index = 1;
      expect_key = !is_array;
      i++;
      break;
    }
    case ']':
    case '}':
      if (depth > 0) depth--;
      expect_key = 0;
      i++;
      break;
    case ',':
      if (depth > 0) {
        if (steps[depth - 1].in_object)
          expect_key = 1;
        else
          steps[depth - 1].index++;
      }
      i++;
      break;
    /* ':', white space, numbers, true, false, null */
    default: i++; break;
    }
  }
}

/* decoder(text) -> value | nil, err: `text` is a string (humanitec.json checks it). */
static int decoder_call(lua_State *L) {
  size_t len;
  const char *text = luaL_checklstring(L, 1, &len);
  lua_settop(L, 1);
  lua_pushvalue(L, DECODE_FN);
  lua_pushvalue(L, 1);
  if (lua_pcall(L, 1, 1, 0) != 0) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  if (lua_type(L, 2) == LUA_TTABLE && has_empty_array(text, len)) mark_empty_arrays(L, 2, text, len);
  lua_settop(L, 2);
  return 1;
}

/* core.json_decoder(decode, array_mt) -> decoder */
int hum_json_decoder(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  lua_pushcclosure(L, decoder_call, 2);
  return 1;
}
