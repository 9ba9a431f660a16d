/* The session userdata (session.c), as core.c registers and makes it. */
#ifndef HUM_SESSION_H
#define HUM_SESSION_H

#include <lua.h>

int hum_session_new(lua_State *L);
void hum_session_register(lua_State *L);

#endif
