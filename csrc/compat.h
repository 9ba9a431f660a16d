/* Prefixed shims so one source builds for Lua 5.1 (and LuaJIT), 5.2, 5.3 and 5.4. Only what the core uses. */
#ifndef HUM_COMPAT_H
#define HUM_COMPAT_H

#include <lauxlib.h>
#include <lua.h>

#if LUA_VERSION_NUM < 502
#define hum_rawlen(L, i) lua_objlen((L), (i))
/* A userdata's one Lua value (a table on 5.1): its environment there, its user value later. */
#define hum_getuservalue(L, i) lua_getfenv((L), (i))
#define hum_setuservalue(L, i) lua_setfenv((L), (i))

/* luaL_setfuncs with no upvalues: all the core needs. */
static inline void hum_setfuncs(lua_State *L, const luaL_Reg *l) {
  for (; l->name != NULL; l++) {
    lua_pushcfunction(L, l->func);
    lua_setfield(L, -2, l->name);
  }
}

#else
#define hum_rawlen(L, i) lua_rawlen((L), (i))
#define hum_getuservalue(L, i) ((void)lua_getuservalue((L), (i)))
#define hum_setuservalue(L, i) ((void)lua_setuservalue((L), (i)))
#define hum_setfuncs(L, l) luaL_setfuncs((L), (l), 0)
#endif

#endif
