/* libFuzzer harness for the JSON decoder (jdecode.c): each input is decoded by it and by lua-cjson, in an
 * embedded Lua 5.4, and judged by spec/support/json_reference.lua, the differential spec's own judge: equal
 * values and empty-array marks when the decoder accepts, and a refusal only where cjson is lenient. A
 * mismatch aborts. Runs from the repository root (make fuzz, make fuzz-replay). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "../jdecode.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int luaopen_humanitec_jsonc(lua_State *L);

/* The harness's one interpreter, made once: only test code keeps state like this. */
static lua_State *interpreter;
static int compare_ref = LUA_NOREF;

static const char setup[] = "package.path = './lua/?.lua;./lua/?/init.lua;./spec/?.lua;' .. package.path\n"
                            "package.preload['humanitec.jsonc'] = ...\n"
                            "local reference = require 'support.json_reference'\n"
                            "local decode = require('humanitec.json').decode\n"
                            "return function(text) return reference.compare(decode, text, 'input') end\n";

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  if (luaL_loadstring(L, setup) != 0) goto failed;
  lua_pushcfunction(L, luaopen_humanitec_jsonc);
  if (lua_pcall(L, 1, 1, 0) != 0) goto failed;
  compare_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  interpreter = L;
  return 0;
failed:
  fprintf(stderr, "fuzz_jdecode: %s\n", lua_tostring(L, -1));
  abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lua_State *L = interpreter;
  lua_rawgeti(L, LUA_REGISTRYINDEX, compare_ref);
  lua_pushlstring(L, (const char *)data, size);
  if (lua_pcall(L, 1, 0, 0) != 0) {
    fprintf(stderr, "fuzz_jdecode: %s\n", lua_tostring(L, -1));
    abort();
  }
  lua_settop(L, 0);
  return 0;
}
