/* libFuzzer harness for building a response's results from its raw header block, with the code
 * hum_transfer_push runs: the input, split into lines as libcurl hands them to the header callback, goes
 * through hum_headers_take_line (as the transfer's on_header does), then hum_result_framing, and the block
 * becomes the eager headers table (hum_result_push_headers) and the lazy head userdata (hum_result_push_head)
 * in an embedded Lua 5.4. Each input runs twice: under the transfer's cap on the block, with the input as the
 * trace, and under a small cap, without a trace, so that a full block is met as well.
 *
 * Checks (a failure aborts): the packed block is well formed and never past its cap; a trailer never
 * changes it; the framing verdict matches the block's state; the stack is balanced; the eager table holds
 * every field in order (repeated names as lists), lower-case names only; head:headers() builds the same
 * table, head:header(NAME) finds each first value without case, head.trace and head:timings() give back
 * what went in; without a conflict every Content-Length item agrees; and a block called JSON has a JSON
 * Content-Type as the client reads it. Runs from the repository root (make fuzz, make fuzz-replay). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "../buffer.h"
#include "../headers.h"
#include "../result.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SMALL_LIMIT 200

/* The harness's one interpreter, made once: only test code keeps state like this. */
static lua_State *interpreter;
static int check_ref = LUA_NOREF;

/* check(eager, head, fields, ended, conflict, is_json, trace): raises on the first broken invariant. */
static const char checker[] =
    "local eager, head, fields, ended, conflict, is_json, trace = ...\n"
    "local function fail(what) error(what, 0) end\n"
    "local function same(a, b)\n"
    "  if type(a) ~= type(b) then return false end\n"
    "  if type(a) ~= 'table' then return a == b end\n"
    "  for k, v in pairs(a) do if not same(v, b[k]) then return false end end\n"
    "  for k in pairs(b) do if a[k] == nil then return false end end\n"
    "  return true\n"
    "end\n"
    "local seen, first, distinct = {}, {}, 0\n"
    "for i = 1, #fields do\n"
    "  local name, value = fields[i][1], fields[i][2]\n"
    "  if name == '' or name:find('[ \\t\\r\\nA-Z:]') then fail('bad name in the block: ' .. name) end\n"
    "  if seen[name] == nil then seen[name], first[name], distinct = {}, value, distinct + 1 end\n"
    "  local list = seen[name]\n"
    "  list[#list + 1] = value\n"
    "end\n"
    "local keys = 0\n"
    "for name, v in pairs(eager) do\n"
    "  keys = keys + 1\n"
    "  local list = seen[name]\n"
    "  if list == nil then fail('a header the block does not hold: ' .. tostring(name)) end\n"
    "  if #list == 1 then\n"
    "    if v ~= list[1] then fail('value of ' .. name) end\n"
    "  elseif type(v) ~= 'table' or not same(v, list) then\n"
    "    fail('repeated ' .. name .. ' is not the list of its values in order')\n"
    "  end\n"
    "end\n"
    "if keys ~= distinct then fail('the table has ' .. keys .. ' names, the block ' .. distinct) end\n"
    "if not same(head:headers(), eager) then fail('head:headers() differs from the eager table') end\n"
    "for name, value in pairs(first) do\n"
    "  if head:header(name:upper()) ~= value then fail('head:header(' .. name:upper() .. ')') end\n"
    "end\n"
    "if head:header('x-not-there-at-all') ~= nil and first['x-not-there-at-all'] == nil then\n"
    "  fail('head:header found a name the block does not hold')\n"
    "end\n"
    "if head.trace ~= trace then fail('head.trace') end\n"
    "local t = head:timings()\n"
    "if t.total ~= 1 or t.connect ~= 0.25 or t.http_version ~= '1.1' or t.trace ~= trace then\n"
    "  fail('head:timings()')\n"
    "end\n"
    "if ended and not conflict then\n"
    "  local agreed\n"
    "  for _, value in ipairs(seen['content-length'] or {}) do\n"
    "    for item in (value .. ','):gmatch('([^,]*),') do\n"
    "      item = item:match('^[ \\t\\r\\n]*(.-)[ \\t\\r\\n]*$')\n"
    "      if item == '' or #item >= 24 then fail('Content-Length item accepted: ' .. item) end\n"
    "      agreed = agreed or item\n"
    "      if item ~= agreed then fail('Content-Length values disagree, yet no conflict') end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "local ctype = first['content-type']\n"
    "-- as the client reads a Content-Type (pipeline.lua's is_json), for bodies that reach it as text\n"
    "local media = ctype and ctype:match('^%s*([^;%s]+)') or ''\n"
    "media = media:lower()\n"
    "local json_media = media == 'application/json' or media:find('%+json$') ~= nil\n"
    "if is_json and not json_media then fail('JSON without a JSON Content-Type: ' .. tostring(ctype)) end\n"
    "if json_media and #media < 64 and not is_json then fail('a JSON Content-Type not seen: ' .. ctype) "
    "end\n";

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  hum_result_register(L);
  if (luaL_loadstring(L, checker) != 0) {
    fprintf(stderr, "fuzz_result: %s\n", lua_tostring(L, -1));
    abort();
  }
  check_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  interpreter = L;
  return 0;
}

/* What one run hands to build() under lua_pcall. */
typedef struct run {
  const hum_buffer *head;
  const char *trace;
  size_t trace_len;
} run;

/* build(run): pushes the eager table, then the head userdata, as hum_transfer_push makes them. */
static int build(lua_State *L) {
  const run *r = lua_touserdata(L, 1);
  hum_result_push_headers(L, r->head);
  hum_timings tm = {1, 0.25, 0, 0.5, "1.1"};
  hum_result_push_head(L, r->head, &tm, r->trace, r->trace_len);
  return 2;
}

/* The block's fields as the harness reads it, { { name, value }, ... }, without the code under test; aborts
 * on a block that is not whole name NUL value NUL pairs. */
static void push_fields(lua_State *L, const hum_buffer *head) {
  lua_newtable(L);
  size_t at = 0;
  int n = 0;
  while (at < head->len) {
    const char *name = head->data + at;
    const char *name_end = memchr(name, '\0', head->len - at);
    if (name_end == NULL) abort();
    at = (size_t)(name_end - head->data) + 1;
    const char *value = head->data + at;
    const char *value_end = memchr(value, '\0', head->len - at);
    if (value_end == NULL) abort();
    at = (size_t)(value_end - head->data) + 1;
    lua_createtable(L, 2, 0);
    lua_pushlstring(L, name, (size_t)(name_end - name));
    lua_rawseti(L, -2, 1);
    lua_pushlstring(L, value, (size_t)(value_end - value));
    lua_rawseti(L, -2, 2);
    lua_rawseti(L, -2, ++n);
  }
}

static void run_once(const uint8_t *data, size_t size, size_t limit, int with_trace) {
  lua_State *L = interpreter;
  hum_buffer head;
  hum_buffer_init(&head, limit);
  hum_head_state st;
  hum_head_state_reset(&st);
  int rc = HUM_BUFFER_OK;
  size_t pos = 0, len_at_end = 0;
  while (pos < size && rc == HUM_BUFFER_OK) {
    const uint8_t *nl = memchr(data + pos, '\n', size - pos);
    size_t end = nl ? (size_t)(nl - data) + 1 : size;
    int was_ended = st.ended;
    rc = hum_headers_take_line(&st, &head, (const char *)data + pos, end - pos);
    if (was_ended && head.len != len_at_end) abort(); /* a trailer changed the headers */
    if (st.ended && !was_ended) len_at_end = head.len;
    if (st.length_len >= sizeof st.length) abort();
    pos = end;
  }
  if (head.len > head.limit) abort();
  const char *kind;
  const char *framing = hum_result_framing(&st, &kind);
  if ((framing == NULL) != (st.ended && !st.conflict)) abort();
  if (framing != NULL && strcmp(kind, st.ended ? "protocol" : "partial") != 0) abort();
  /* A full block or a failed allocation fails the transfer (on_header stops libcurl): no result is built. */
  if (rc != HUM_BUFFER_OK) {
    push_fields(L, &head); /* still whole pairs */
    lua_settop(L, 0);
    hum_buffer_free(&head);
    return;
  }
  int top = lua_gettop(L);
  run r = {&head, with_trace ? (const char *)data : NULL, size};
  lua_pushcfunction(L, build);
  lua_pushlightuserdata(L, &r);
  if (lua_pcall(L, 1, 2, 0) != 0) {
    fprintf(stderr, "fuzz_result: building: %s\n", lua_tostring(L, -1));
    abort();
  }
  if (lua_gettop(L) != top + 2 || lua_type(L, -2) != LUA_TTABLE || lua_type(L, -1) != LUA_TUSERDATA) abort();
  int eager = lua_gettop(L) - 1;
  lua_rawgeti(L, LUA_REGISTRYINDEX, check_ref);
  lua_pushvalue(L, eager);
  lua_pushvalue(L, eager + 1);
  push_fields(L, &head);
  lua_pushboolean(L, st.ended);
  lua_pushboolean(L, st.conflict);
  lua_pushboolean(L, hum_result_is_json(&head));
  if (with_trace)
    lua_pushlstring(L, (const char *)data, size);
  else
    lua_pushnil(L);
  if (lua_pcall(L, 7, 0, 0) != 0) {
    fprintf(stderr, "fuzz_result: %s\n", lua_tostring(L, -1));
    abort();
  }
  if (lua_gettop(L) != top + 2) abort();
  lua_settop(L, 0);
  hum_buffer_free(&head);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  run_once(data, size, HUM_HEAD_LIMIT, 1);
  run_once(data, size, SMALL_LIMIT, 0);
  return 0;
}
