/* The out-of-memory harness: a small Lua 5.4 host with the core built in. It runs a scenario script again
 * and again, each time in a new Lua state whose allocator fails the Nth allocation after the script calls
 * oom.arm(), and the one after it (Lua 5.4 collects and tries a failed allocation again once: failing only
 * the Nth would test nothing), for N = first, first + step, ... until a run ends with no failure injected:
 * then the armed part has run out of memory at each of its allocations. Memory comes back after that, as it
 * does for a host whose collector freed some: what follows must find every object consistent. Built with AddressSanitizer (make oom): a crash, a leak or
 * a memory error in any run fails the whole harness.
 *
 *   oom_host SCENARIO.lua [first [step]]
 *
 * The script sees `oom.arm()`, `oom.disarm() -> injected` and `oom.n`; it checks its own invariants (the
 * session is not left busy, close() frees at once, every call ends once) and raises when one fails. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int luaopen_humanitec_core(lua_State *L);

typedef struct control {
  int armed;
  long count;   /* allocations (and growths) since oom.arm() */
  long fail_at; /* the first that fails, with the retry after it */
  int injected; /* it has */
} control;

/* Fails the Nth allocation or growth once armed, and Lua's retry of it; frees and shrinks always succeed,
 * as Lua requires. */
static void *oom_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  control *c = ud;
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  if (c->armed && (ptr == NULL || nsize > osize) && ++c->count >= c->fail_at &&
      c->count <= c->fail_at + 1) {
    c->injected = 1;
    return NULL;
  }
  return realloc(ptr, nsize);
}

static control *get_control(lua_State *L) {
  void *ud;
  lua_getallocf(L, &ud);
  return ud;
}

static int oom_arm(lua_State *L) {
  control *c = get_control(L);
  c->armed = 1;
  c->count = 0;
  return 0;
}

static int oom_disarm(lua_State *L) {
  control *c = get_control(L);
  c->armed = 0;
  lua_pushboolean(L, c->injected);
  return 1;
}

static int traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  luaL_traceback(L, L, msg ? msg : "(an error that is not a string)", 1);
  return 1;
}

/* One run with the failure at `n`: 0 when the script ended well, 1 when it raised. *injected tells whether
 * the failure happened at all. */
static int run_once(const char *script, long n, int *injected) {
  control c = {0, 0, n, 0};
  lua_State *L = lua_newstate(oom_alloc, &c);
  if (L == NULL) {
    fprintf(stderr, "oom_host: cannot make a Lua state\n");
    exit(2);
  }
  luaL_openlibs(L);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_humanitec_core);
  lua_setfield(L, -2, "humanitec.core");
  lua_pop(L, 1);
  lua_createtable(L, 0, 3);
  lua_pushcfunction(L, oom_arm);
  lua_setfield(L, -2, "arm");
  lua_pushcfunction(L, oom_disarm);
  lua_setfield(L, -2, "disarm");
  lua_pushinteger(L, (lua_Integer)n);
  lua_setfield(L, -2, "n");
  lua_setglobal(L, "oom");
  lua_pushcfunction(L, traceback);
  int failed = luaL_loadfile(L, script) != LUA_OK || lua_pcall(L, 0, 0, 1) != LUA_OK;
  if (failed) fprintf(stderr, "oom_host: %s, failure at allocation %ld: %s\n", script, n, lua_tostring(L, -1));
  c.armed = 0;
  lua_close(L);
  *injected = c.injected;
  return failed;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: oom_host SCENARIO.lua [first [step]]\n");
    return 2;
  }
  long first = argc > 2 ? atol(argv[2]) : 1;
  long step = argc > 3 ? atol(argv[3]) : 1;
  if (first < 1) first = 1;
  if (step < 1) step = 1;
  long runs = 0, failures = 0, n = first;
  for (;; n += step) {
    int injected = 0;
    failures += run_once(argv[1], n, &injected);
    runs++;
    if (!injected) break; /* the armed part needs fewer than n allocations: all were covered */
    if (n > 10000000) {
      fprintf(stderr, "oom_host: %s never ran out of allocations to fail\n", argv[1]);
      return 1;
    }
  }
  printf("oom_host: %s: %ld runs, allocations %ld to %ld (step %ld), %ld failed\n", argv[1], runs, first, n - 1,
         step, failures);
  return failures ? 1 : 0;
}
