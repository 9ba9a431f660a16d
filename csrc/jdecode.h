/* The JSON decoder: text straight into Lua values, see jdecode.c. */
#ifndef HUM_JDECODE_H
#define HUM_JDECODE_H

#include <stddef.h>

#include <lua.h>

/* The protected part, a lua_CFunction: (text as light userdata, length, array_mt, null) -> value, or
 * nil, message, offset. It raises only when memory runs out, so callers run it under lua_pcall; it is a
 * value they push (or keep, where pushing a C function could allocate, as on Lua 5.1). */
int hum_jdecode_entry(lua_State *L);

/* Decodes text[0..len) with `entry` (the stack index of hum_jdecode_entry), `array_mt` and `null` (stack
 * indexes too) under lua_pcall. Pushes the value and returns 1, or pushes nil, message, offset and returns 3;
 * never raises. The text must stay alive and unchanged during the call. Needs 6 free stack slots. */
int hum_jdecode(lua_State *L, int entry, const char *text, size_t len, int array_mt, int null);

/* Lua: decoder(array_mt, null) -> function(text) -> value | nil, message, offset */
int hum_jdecode_decoder(lua_State *L);

#endif
