/* A response's header block as Lua values; see result.h. Lua and the packed block only, no libcurl. */
#include "result.h"

#include <string.h>

#include <lauxlib.h>

#include "compat.h"

#define HUM_HEAD_MT "humanitec.core.head"

const char *hum_result_framing(const hum_head_state *st, const char **kind) {
  /* libcurl reports success for an answer cut inside its header block, and picks one of two Content-Length
   * values that disagree: neither is an answer to act on. */
  if (!st->ended) {
    *kind = "partial";
    return "the response ended inside its header block";
  }
  if (st->conflict) {
    *kind = "protocol";
    return "the response gave Content-Length values that disagree";
  }
  *kind = NULL;
  return NULL;
}

/* One field of the packed header block (name NUL value NUL ...) at *pos, which it moves past the field; 0
 * at the end. Bounded by the block's length: a block cut inside a field (memory ran out half-way through
 * adding it) ends before that field rather than past the buffer. */
typedef struct header_field {
  const char *name, *value;
  size_t name_len, value_len;
} header_field;

static int next_header(const hum_buffer *head, size_t *pos, header_field *f) {
  if (*pos >= head->len) return 0;
  const char *end = head->data + head->len;
  f->name = head->data + *pos;
  const char *name_end = memchr(f->name, '\0', (size_t)(end - f->name));
  if (name_end == NULL || name_end + 1 >= end) return 0;
  f->value = name_end + 1;
  const char *value_end = memchr(f->value, '\0', (size_t)(end - f->value));
  if (value_end == NULL) return 0;
  f->name_len = (size_t)(name_end - f->name);
  f->value_len = (size_t)(value_end - f->value);
  *pos = (size_t)(value_end - head->data) + 1;
  return 1;
}

void hum_result_push_headers(lua_State *L, const hum_buffer *head) {
  /* Sized for every field at once (a repeated name needs less): no rehash while it fills. */
  int fields = 0;
  size_t pos = 0;
  header_field f;
  while (next_header(head, &pos, &f)) fields++;
  luaL_checkstack(L, 4, "pushing response headers");
  lua_createtable(L, 0, fields);
  pos = 0;
  while (next_header(head, &pos, &f)) {
    lua_pushlstring(L, f.name, f.name_len);
    lua_pushvalue(L, -1);
    lua_rawget(L, -3);
    int existing = lua_type(L, -1);
    if (existing == LUA_TNIL) {
      lua_pop(L, 1);
      lua_pushlstring(L, f.value, f.value_len);
      lua_rawset(L, -3);
    } else if (existing == LUA_TSTRING) {
      lua_createtable(L, 2, 0);
      lua_insert(L, -2);
      lua_rawseti(L, -2, 1);
      lua_pushlstring(L, f.value, f.value_len);
      lua_rawseti(L, -2, 2);
      lua_rawset(L, -3);
    } else {
      int n = (int)hum_rawlen(L, -1);
      lua_pushlstring(L, f.value, f.value_len);
      lua_rawseti(L, -2, n + 1);
      lua_pop(L, 2);
    }
  }
}

void hum_result_push_timings(lua_State *L, const hum_timings *tm) {
  lua_createtable(L, 0, 6);
  lua_pushnumber(L, tm->total);
  lua_setfield(L, -2, "total");
  lua_pushnumber(L, tm->connect);
  lua_setfield(L, -2, "connect");
  lua_pushnumber(L, tm->tls);
  lua_setfield(L, -2, "tls");
  lua_pushnumber(L, tm->first_byte);
  lua_setfield(L, -2, "first_byte");
  lua_pushstring(L, tm->http_version);
  lua_setfield(L, -2, "http_version");
}

/* White space as Lua's %s reads it (the client's test splits the media type off with it). */
static int is_lua_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

int hum_result_is_json(const hum_buffer *head) {
  size_t pos = 0;
  header_field f;
  while (next_header(head, &pos, &f)) {
    if (f.name_len != 12 || memcmp(f.name, "content-type", 12) != 0) continue;
    const char *value = f.value;
    while (is_lua_space(*value)) value++;
    size_t n = 0;
    while (value[n] && value[n] != ';' && !is_lua_space(value[n])) n++;
    char media[64];
    if (n == 0 || n >= sizeof media) return 0;
    for (size_t i = 0; i < n; i++)
      media[i] = (value[i] >= 'A' && value[i] <= 'Z') ? (char)(value[i] + 32) : value[i];
    media[n] = '\0';
    return strcmp(media, "application/json") == 0 || (n >= 5 && memcmp(media + n - 5, "+json", 5) == 0);
  }
  return 0;
}

/* What a response's headers and timings are made from, kept until someone reads them (the lazy_head
 * option): the packed header block, the timings and, when tracing, the trace, copied in when it is made. */
typedef struct hum_head {
  hum_timings timings; /* http_version is a literal */
  size_t head_len;
  size_t trace_len;
  int has_trace;
  char data[]; /* the header block, then the trace */
} hum_head;

void hum_result_push_head(lua_State *L, const hum_buffer *head, const hum_timings *tm, const char *trace,
                          size_t trace_len) {
  if (trace == NULL) trace_len = 0;
  hum_head *h = lua_newuserdata(L, sizeof *h + head->len + trace_len);
  h->timings = *tm;
  h->head_len = head->len;
  h->trace_len = trace_len;
  h->has_trace = trace != NULL;
  if (head->len) memcpy(h->data, head->data, head->len);
  if (trace_len) memcpy(h->data + head->len, trace, trace_len);
  luaL_getmetatable(L, HUM_HEAD_MT);
  lua_setmetatable(L, -2);
}

static hum_head *check_head(lua_State *L) { return luaL_checkudata(L, 1, HUM_HEAD_MT); }

static hum_buffer head_block(const hum_head *h) {
  hum_buffer b = {(char *)h->data, h->head_len, h->head_len, h->head_len};
  return b;
}

/* head:headers() -> the table the eager path makes. */
static int head_headers(lua_State *L) {
  hum_buffer b = head_block(check_head(L));
  hum_result_push_headers(L, &b);
  return 1;
}

/* head:header(name) -> the first value of a header, names compared without case; or nil. */
static int head_header(lua_State *L) {
  hum_head *h = check_head(L);
  size_t len;
  const char *name = luaL_checklstring(L, 2, &len);
  hum_buffer b = head_block(h);
  size_t pos = 0;
  header_field f;
  while (next_header(&b, &pos, &f)) {
    if (f.name_len != len) continue;
    size_t i = 0;
    while (i < len) {
      char c = name[i];
      if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
      if (c != f.name[i]) break;
      i++;
    }
    if (i == len) {
      lua_pushlstring(L, f.value, f.value_len);
      return 1;
    }
  }
  lua_pushnil(L);
  return 1;
}

/* head:timings() -> { total, connect, tls, first_byte, http_version [, trace] }, as the eager info. */
static int head_timings(lua_State *L) {
  hum_head *h = check_head(L);
  hum_result_push_timings(L, &h->timings);
  if (h->has_trace) {
    lua_pushlstring(L, h->data + h->head_len, h->trace_len);
    lua_setfield(L, -2, "trace");
  }
  return 1;
}

/* head.trace is the trace (or nil), as info.trace is on the eager path; any other key is a method. */
static int head_index(lua_State *L) {
  hum_head *h = check_head(L);
  if (lua_type(L, 2) == LUA_TSTRING && strcmp(lua_tostring(L, 2), "trace") == 0) {
    if (h->has_trace)
      lua_pushlstring(L, h->data + h->head_len, h->trace_len);
    else
      lua_pushnil(L);
    return 1;
  }
  lua_settop(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  return 1;
}

static const luaL_Reg head_methods[] = {
    {"headers", head_headers},
    {"header", head_header},
    {"timings", head_timings},
    {NULL, NULL},
};

void hum_result_register(lua_State *L) {
  luaL_newmetatable(L, HUM_HEAD_MT);
  lua_pushliteral(L, "humanitec.core.head");
  lua_setfield(L, -2, "__name");
  lua_newtable(L);
  hum_setfuncs(L, head_methods);
  lua_pushcclosure(L, head_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}
