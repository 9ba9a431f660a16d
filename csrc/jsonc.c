/* luaopen_humanitec_jsonc: the JSON decoder alone (jdecode.c), for code that reads JSON and makes no HTTP
 * requests, so that it does not load libcurl. humanitec.core offers the same function. */
#include "compat.h"
#include "jdecode.h"

static const luaL_Reg jsonc_functions[] = {
    {"decoder", hum_jdecode_decoder},
    {NULL, NULL},
};

/* The one exported symbol. */
#if defined(__GNUC__)
__attribute__((visibility("default")))
#endif
int luaopen_humanitec_jsonc(lua_State *L);

int luaopen_humanitec_jsonc(lua_State *L) {
  lua_newtable(L);
  hum_setfuncs(L, jsonc_functions);
  lua_pushliteral(L, "humanitec.jsonc");
  lua_setfield(L, -2, "_NAME");
  return 1;
}
