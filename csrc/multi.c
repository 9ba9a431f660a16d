/* Many transfers at once on the session's libcurl multi handle, in libcurl's socket-action design: libcurl
 * says which sockets it wants watched and when it wants a timeout; whoever runs the event loop (an outside
 * one through watched/timer/act, or the blocking wait here) tells it what became ready. Finished transfers
 * queue up until completed() hands them to Lua.
 *
 * The libcurl callbacks only record state in the session; Lua runs only after libcurl has returned. A
 * transfer is removed from the multi handle (cancelled, or finished) only from a method, never from within a
 * libcurl callback. Freed easy handles are kept in a small pool for reuse. */
#define _POSIX_C_SOURCE 200809L /* poll */

#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "session.h"

#define HUM_POOL_MAX 64 /* idle transfers kept for reuse */

/* libcurl's CURLMOPT_SOCKETFUNCTION: keep the table of watched sockets up to date. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
  hum_session *s = userp;
  (void)easy;
  (void)socketp;
  size_t i = 0;
  while (i < s->nwatches && s->watches[i].fd != fd) i++;
  if (what == CURL_POLL_REMOVE) {
    if (i < s->nwatches) s->watches[i] = s->watches[--s->nwatches];
    return 0;
  }
  if (i == s->nwatches) {
    if (s->nwatches == s->watches_cap) {
      size_t cap = s->watches_cap ? s->watches_cap * 2 : 16;
      hum_watch *grown = realloc(s->watches, cap * sizeof *grown);
      if (grown == NULL) return -1; /* libcurl fails the transfer that wanted the socket */
      s->watches = grown;
      s->watches_cap = cap;
    }
    s->watches[i].fd = fd;
    s->watches[i].gen = ++s->next_gen;
    s->nwatches++;
  }
  s->watches[i].what = what;
  return 0;
}

static int ensure_multi(hum_session *s) {
  if (s->multi) return 1;
  s->multi = curl_multi_init();
  if (s->multi == NULL) return 0;
  curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, (void *)s);
  curl_multi_setopt(s->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
  return 1;
}

/* A transfer ready for a new request: from the pool, or new. NULL when memory ran out. */
static hum_transfer *take_transfer(hum_session *s) {
  hum_transfer *t = s->pool;
  if (t) {
    s->pool = t->next;
    s->pool_size--;
    t->next = NULL;
    return t;
  }
  t = calloc(1, sizeof *t);
  if (t == NULL) return NULL;
  if (!hum_transfer_init(t, s)) {
    hum_transfer_free(t);
    free(t);
    return NULL;
  }
  return t;
}

/* Gives back a transfer no longer in the multi handle. */
static void recycle(hum_session *s, hum_transfer *t) {
  hum_transfer_clear(t);
  t->id = 0;
  if (s->pool_size < HUM_POOL_MAX) {
    t->next = s->pool;
    s->pool = t;
    s->pool_size++;
  } else {
    hum_transfer_free(t);
    free(t);
  }
}

static void remove_active(hum_session *s, size_t i) { s->active[i] = s->active[--s->nactive]; }

/* Moves what libcurl reports finished from the active list to the end of the done list. */
static void collect_finished(hum_session *s) {
  CURLMsg *msg;
  int left;
  while ((msg = curl_multi_info_read(s->multi, &left)) != NULL) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL *easy = msg->easy_handle;
    CURLcode result = msg->data.result; /* msg is invalid once the handle is removed */
    curl_multi_remove_handle(s->multi, easy);
    for (size_t i = 0; i < s->nactive; i++) {
      hum_transfer *t = s->active[i];
      if (t->easy != easy) continue;
      remove_active(s, i);
      t->result = result;
      t->next = NULL;
      if (s->done_tail)
        s->done_tail->next = t;
      else
        s->done_head = t;
      s->done_tail = t;
      break;
    }
  }
}

static int action(hum_session *s, curl_socket_t fd, int events) {
  int running = 0;
  CURLMcode rc = curl_multi_socket_action(s->multi, fd, events, &running);
  collect_finished(s);
  return rc == CURLM_OK ? 0 : -1;
}

/* session:start(method, url, headers, body, timeout) -> id   |   nil, message, kind
 * Starts a transfer on the multi handle; it makes progress when act() or wait() runs. */
static int multi_start(lua_State *L) {
  lua_settop(L, 6);
  hum_request_args a;
  hum_check_request(L, 2, &a);
  hum_session *s = hum_session_enter(L);
  const char *failure = NULL;
  hum_transfer *t = NULL;
  if (!ensure_multi(s) || (t = take_transfer(s)) == NULL) {
    failure = "could not create a libcurl handle";
  } else if (hum_transfer_prepare(L, t, &a, 1) != 0) {
    failure = "not enough memory for the request";
  } else if (s->nactive == s->active_cap) {
    size_t cap = s->active_cap ? s->active_cap * 2 : 16;
    hum_transfer **grown = realloc(s->active, cap * sizeof *grown);
    if (grown == NULL) {
      failure = "not enough memory for the request";
    } else {
      s->active = grown;
      s->active_cap = cap;
    }
  }
  if (failure == NULL && curl_multi_add_handle(s->multi, t->easy) != CURLM_OK)
    failure = "could not start the request";
  if (failure) {
    if (t) recycle(s, t);
    hum_session_leave(s);
    lua_pushnil(L);
    lua_pushstring(L, failure);
    lua_pushliteral(L, "memory");
    return 3;
  }
  t->id = ++s->next_id;
  s->active[s->nactive++] = t;
  lua_Integer id = t->id;
  hum_session_leave(s);
  lua_pushinteger(L, id);
  return 1;
}

/* session:act([fd, readable, writable]) -> transfers still running
 * Tells libcurl a watched socket is ready, or with no socket that its timer has run out. */
static int multi_act(lua_State *L) {
  int has_fd = !lua_isnoneornil(L, 2);
  curl_socket_t fd = has_fd ? (curl_socket_t)luaL_checkinteger(L, 2) : CURL_SOCKET_TIMEOUT;
  int events = (lua_toboolean(L, 3) ? CURL_CSELECT_IN : 0) | (lua_toboolean(L, 4) ? CURL_CSELECT_OUT : 0);
  hum_session *s = hum_session_enter(L);
  if (s->multi) action(s, fd, has_fd ? events : 0);
  lua_Integer running = (lua_Integer)s->nactive;
  hum_session_leave(s);
  lua_pushinteger(L, running);
  return 1;
}

/* session:timer() -> seconds until libcurl wants act() without a socket, or nil for no timer. */
static int multi_timer(lua_State *L) {
  hum_session *s = hum_session_enter(L);
  long ms = -1;
  if (s->multi && s->nactive > 0) curl_multi_timeout(s->multi, &ms);
  hum_session_leave(s);
  if (ms < 0)
    lua_pushnil(L);
  else
    lua_pushnumber(L, (lua_Number)ms / 1000.0);
  return 1;
}

/* session:watched() -> { [fd] = { what = "in"|"out"|"inout", gen = n } }
 * The sockets libcurl wants watched now. A new `gen` for a descriptor means a new socket behind that number.
 */
static int multi_watched(lua_State *L) {
  hum_session *s = hum_session_enter(L);
  lua_createtable(L, 0, (int)s->nwatches);
  for (size_t i = 0; i < s->nwatches; i++) {
    const hum_watch *w = &s->watches[i];
    lua_createtable(L, 0, 2);
    lua_pushstring(L, w->what == CURL_POLL_IN ? "in" : w->what == CURL_POLL_OUT ? "out" : "inout");
    lua_setfield(L, -2, "what");
    lua_pushinteger(L, w->gen);
    lua_setfield(L, -2, "gen");
    lua_rawseti(L, -2, (int)w->fd);
  }
  hum_session_leave(s);
  return 1;
}

/* session:completed() -> { { id, status, headers, body, info }, { id, nil, message, kind [, trace] }, ... }
 * Hands over every finished transfer, in the order they finished. */
static int multi_completed(lua_State *L) {
  hum_session *s = hum_session_enter(L);
  lua_newtable(L);
  int list = lua_gettop(L);
  int count = 0;
  while (s->done_head) {
    hum_transfer *t = s->done_head;
    s->done_head = t->next;
    if (s->done_head == NULL) s->done_tail = NULL;
    t->next = NULL;
    lua_createtable(L, 6, 1);
    int entry = lua_gettop(L);
    lua_pushinteger(L, t->id);
    lua_rawseti(L, entry, 1);
    int n = hum_transfer_push(L, t, t->result);
    for (int k = n; k >= 1; k--) lua_rawseti(L, entry, k + 1);
    lua_pushinteger(L, n + 1);
    lua_setfield(L, entry, "n");
    lua_rawseti(L, list, ++count);
    recycle(s, t);
  }
  hum_session_leave(s);
  return 1;
}

/* session:cancel(id) -> true when the transfer was still there (running or finished but not collected). */
static int multi_cancel(lua_State *L) {
  lua_Integer id = luaL_checkinteger(L, 2);
  hum_session *s = hum_session_enter(L);
  int found = 0;
  for (size_t i = 0; i < s->nactive && !found; i++) {
    hum_transfer *t = s->active[i];
    if (t->id != id) continue;
    curl_multi_remove_handle(s->multi, t->easy);
    remove_active(s, i);
    recycle(s, t);
    found = 1;
  }
  for (hum_transfer **link = &s->done_head; *link && !found; link = &(*link)->next) {
    hum_transfer *t = *link;
    if (t->id != id) continue;
    *link = t->next;
    if (s->done_tail == t) {
      s->done_tail = NULL;
      for (hum_transfer *x = s->done_head; x; x = x->next) s->done_tail = x;
    }
    recycle(s, t);
    found = 1;
  }
  hum_session_leave(s);
  lua_pushboolean(L, found);
  return 1;
}

/* session:pending() -> transfers started and not yet handed over by completed(). */
static int multi_pending(lua_State *L) {
  hum_session *s = hum_session_enter(L);
  lua_Integer n = (lua_Integer)s->nactive;
  for (hum_transfer *t = s->done_head; t; t = t->next) n++;
  hum_session_leave(s);
  lua_pushinteger(L, n);
  return 1;
}

/* session:wait([seconds]) -> transfers still running
 * The event loop for plain scripts: waits up to `seconds` (1 by default) for a watched socket or libcurl's
 * timer, then acts on what is ready. Returns at once when nothing runs. */
static int multi_wait(lua_State *L) {
  lua_Number max = luaL_optnumber(L, 2, 1.0);
  if (!(max >= 0)) luaL_argerror(L, 2, "must be a non-negative number");
  if (max > 3600) max = 3600;
  hum_session *s = hum_session_enter(L);
  if (s->multi && s->nactive > 0) {
    long ms = -1;
    curl_multi_timeout(s->multi, &ms);
    double wait = (double)max;
    if (ms >= 0 && (double)ms / 1000.0 < wait) wait = (double)ms / 1000.0;
    size_t n = s->nwatches;
    struct pollfd *fds = n ? calloc(n, sizeof *fds) : NULL;
    if (n && fds == NULL) n = 0; /* out of memory: fall back to the timer alone */
    for (size_t i = 0; i < n; i++) {
      fds[i].fd = s->watches[i].fd;
      fds[i].events = (short)((s->watches[i].what & CURL_POLL_IN ? POLLIN : 0) |
                              (s->watches[i].what & CURL_POLL_OUT ? POLLOUT : 0));
    }
    int ready = poll(fds, (nfds_t)n, (int)ceil(wait * 1000.0));
    if (ready > 0) {
      for (size_t i = 0; i < n; i++) {
        short r = fds[i].revents;
        if (r == 0) continue;
        int events = ((r & (POLLIN | POLLHUP)) ? CURL_CSELECT_IN : 0) |
                     ((r & POLLOUT) ? CURL_CSELECT_OUT : 0) |
                     ((r & (POLLERR | POLLNVAL)) ? CURL_CSELECT_ERR : 0);
        action(s, fds[i].fd, events);
      }
    }
    free(fds);
    /* libcurl's timer, when it has run out (or nothing was ready), whatever the sockets did. */
    ms = -1;
    curl_multi_timeout(s->multi, &ms);
    if (ms == 0 || ready == 0) action(s, CURL_SOCKET_TIMEOUT, 0);
  }
  lua_Integer running = (lua_Integer)s->nactive;
  hum_session_leave(s);
  lua_pushinteger(L, running);
  return 1;
}

void hum_multi_free(hum_session *s) {
  for (size_t i = 0; i < s->nactive; i++) {
    curl_multi_remove_handle(s->multi, s->active[i]->easy);
    hum_transfer_free(s->active[i]);
    free(s->active[i]);
  }
  s->nactive = 0;
  hum_transfer *lists[2] = {s->done_head, s->pool};
  for (int k = 0; k < 2; k++) {
    for (hum_transfer *t = lists[k]; t;) {
      hum_transfer *next = t->next;
      hum_transfer_free(t);
      free(t);
      t = next;
    }
  }
  s->done_head = s->done_tail = s->pool = NULL;
  s->pool_size = 0;
  free(s->active);
  s->active = NULL;
  s->active_cap = 0;
  free(s->watches);
  s->watches = NULL;
  s->nwatches = s->watches_cap = 0;
  if (s->multi) curl_multi_cleanup(s->multi);
  s->multi = NULL;
}

static const luaL_Reg multi_methods[] = {
    {"start", multi_start},
    {"act", multi_act},
    {"timer", multi_timer},
    {"watched", multi_watched},
    {"completed", multi_completed},
    {"cancel", multi_cancel},
    {"pending", multi_pending},
    {"wait", multi_wait},
    {NULL, NULL},
};

/* Adds the methods above to the session's method table, at the top of the stack. */
void hum_multi_register(lua_State *L) { hum_setfuncs(L, multi_methods); }
