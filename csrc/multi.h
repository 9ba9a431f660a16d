/* Many transfers at once on one libcurl multi handle. The multi owns its transfers (running, finished and
 * waiting to be handed over, and a pool of idle ones); the session sees only this interface. */
#ifndef HUM_MULTI_H
#define HUM_MULTI_H

#include <curl/curl.h>
#include <lua.h>

#include "transfer.h"

typedef struct hum_multi hum_multi;

/* NULL when memory ran out. `settings` and `share` must outlive the multi. */
hum_multi *hum_multi_new(const hum_settings *settings, CURLSH *share);
/* Frees every transfer (wiping their header lines) and the multi handle. NULL is fine. */
void hum_multi_free(hum_multi *m);

/* Starts a request: its id (above 0), or 0 with *failure saying why (memory). Allocates no Lua memory. */
lua_Integer hum_multi_start(lua_State *L, hum_multi *m, const hum_request_args *a, const char **failure);
/* Tells libcurl a socket is ready (or, with CURL_SOCKET_TIMEOUT, that its timer ran out); with the epoll
 * descriptor, hands libcurl what its sockets reported (`events` unused). */
void hum_multi_act(hum_multi *m, curl_socket_t fd, int events);
/* Waits up to `max` seconds for a watched socket or libcurl's timer, then acts on what is ready. */
void hum_multi_wait(hum_multi *m, double max);
/* Milliseconds until libcurl wants hum_multi_act without a socket; -1 for no timer. */
long hum_multi_timeout_ms(hum_multi *m);
size_t hum_multi_running(const hum_multi *m);
/* Transfers started and not yet handed over. */
size_t hum_multi_pending(const hum_multi *m);
/* 1 when the transfer was there (running, or finished and not handed over) and is now gone. */
int hum_multi_cancel(hum_multi *m, lua_Integer id);

/* Pushes { [fd] = { what = ..., gen = n } } for what an outside loop watches: on Linux the epoll descriptor
 * (while libcurl has sockets), which hum_multi_act then takes as the fd; elsewhere libcurl's sockets. Changes
 * nothing. */
void hum_multi_push_watched(lua_State *L, const hum_multi *m);
/* Pushes the list of finished transfers' results, in the order they finished, and returns how many it
 * holds; `json` as for hum_transfer_push. With a `budget` (bytes; 0 for none) it stops once the bodies pushed
 * reach it, after one at least: decoding is the costly part, and an event loop's host would wait for all of
 * it. Changes nothing but each transfer's body_out: the caller then calls hum_multi_drop_completed with that
 * count, once every Lua value is made, so a memory error while pushing loses no result and leaks no
 * transfer. */
int hum_multi_push_completed(lua_State *L, hum_multi *m, const hum_json_args *json, size_t budget);
/* Finished transfers not handed over yet. */
size_t hum_multi_completed_count(const hum_multi *m);
void hum_multi_drop_completed(hum_multi *m, int count);

#endif
