/* luaopen_humanitec_core: the module table, a libcurl version check, and curl_global_init, once per process
 * (libcurl counts the calls, so a second interpreter loading the module is fine). The core knows HTTP and
 * nothing about Humanitec. */
#define _POSIX_C_SOURCE 200809L /* nanosleep, clock_gettime under -std=c99 */

#include <curl/curl.h>
#include <errno.h>
#include <time.h>

#include "compat.h"
#include "jdecode.h"
#include "session.h"
#include "transfer.h"

/* CURLINFO_*_TIME_T arrived in 7.61.0. */
#define HUM_MIN_CURL 0x073d00

static int core_version(lua_State *L) {
  const curl_version_info_data *info = curl_version_info(CURLVERSION_NOW);
  lua_createtable(L, 0, 5);
  lua_pushstring(L, info->version);
  lua_setfield(L, -2, "libcurl");
  lua_pushstring(L, info->ssl_version ? info->ssl_version : "");
  lua_setfield(L, -2, "ssl");
  lua_pushboolean(L, (info->features & CURL_VERSION_HTTP2) != 0);
  lua_setfield(L, -2, "http2");
  lua_pushboolean(L, (info->features & CURL_VERSION_LIBZ) != 0);
  lua_setfield(L, -2, "zlib");
  lua_pushboolean(L, (info->features & CURL_VERSION_SSL) != 0);
  lua_setfield(L, -2, "tls");
  return 1;
}

/* core.now() -> seconds on a monotonic clock, for deadlines that wall-clock changes cannot stretch. */
static int core_now(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
  return 1;
}

/* Longer sleeps are cut to this (about 23 days): a time_t cannot hold every double (math.huge, say), and
 * converting one it cannot hold is undefined. */
#define HUM_MAX_SLEEP 2000000.0

/* core.sleep(seconds): blocks the thread; what waiting helpers use between polls in plain scripts. */
static int core_sleep(lua_State *L) {
  lua_Number seconds = luaL_checknumber(L, 1);
  if (!(seconds >= 0)) return luaL_argerror(L, 1, "must be a non-negative number");
  if (seconds > HUM_MAX_SLEEP) seconds = HUM_MAX_SLEEP;
  struct timespec ts;
  ts.tv_sec = (time_t)seconds;
  ts.tv_nsec = (long)((seconds - (lua_Number)ts.tv_sec) * 1e9);
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
  return 0;
}

static const luaL_Reg core_functions[] = {
    {"now", core_now},
    {"sleep", core_sleep},
    {"session", hum_session_new},
    {"version", core_version},
    {"json_decoder", hum_jdecode_decoder},
    {NULL, NULL},
};

/* The one exported symbol. */
#if defined(__GNUC__)
__attribute__((visibility("default")))
#endif
int luaopen_humanitec_core(lua_State *L);

int luaopen_humanitec_core(lua_State *L) {
  const curl_version_info_data *info = curl_version_info(CURLVERSION_NOW);
  if (info->version_num < HUM_MIN_CURL)
    return luaL_error(L, "humanitec.core needs libcurl 7.61.0 or newer, found %s", info->version);
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return luaL_error(L, "curl_global_init failed");
  hum_session_register(L);
  hum_transfer_register(L);
  lua_newtable(L);
  hum_setfuncs(L, core_functions);
  lua_pushliteral(L, "humanitec.core");
  lua_setfield(L, -2, "_NAME");
  return 1;
}
