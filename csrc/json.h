/* Empty arrays through lua-cjson: see json.c. */
#ifndef HUM_JSON_H
#define HUM_JSON_H

#include <lua.h>

int hum_json_decoder(lua_State *L);

#endif
