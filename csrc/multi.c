/* Many transfers at once on a libcurl multi handle, in libcurl's socket-action design: libcurl says which
 * sockets it wants watched and when it wants a timeout; whoever runs the event loop (an outside one through
 * the session's watched/timer/act, or hum_multi_wait here) tells it what became ready. Finished transfers
 * queue up until the session hands them to Lua.
 *
 * Ownership: every transfer belongs to the multi, in exactly one place: the active list (in the multi
 * handle), the done list (finished, not handed over) or the pool (idle, kept for reuse). The libcurl
 * callbacks only record state; a transfer is removed from the multi handle (cancelled, or finished) only
 * from a function here, never from within a libcurl callback.
 *
 * On Linux an outside event loop watches one descriptor, an epoll instance holding libcurl's sockets, and
 * never the sockets themselves: a socket that fails while a libuv poll watches it (a refused connection, a
 * reset) makes libuv report EBADF, and luv writes that to stderr. The epoll descriptor itself never fails;
 * when it is readable, hum_multi_act with it hands libcurl whatever its sockets reported, errors included. */
#define _POSIX_C_SOURCE 200809L /* poll */

#include "multi.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/epoll.h>
#define HUM_EPOLL 1
#define HUM_EPOLL_BATCH 64 /* socket events handed to libcurl per act on the epoll descriptor */
#endif

#include "compat.h"

#define HUM_POOL_MAX 64 /* idle transfers kept for reuse */

/* A transfer and what the multi keeps about it. */
typedef struct item {
  hum_transfer t; /* first: CURLOPT_PRIVATE points at it, and so at the item */
  lua_Integer id;
  CURLcode result;   /* set when libcurl reports the transfer done */
  struct item *next; /* link in the done list or the pool */
} item;

/* A socket libcurl wants watched, and for what (CURL_POLL_IN, _OUT, _INOUT). `gen` changes whenever libcurl
 * starts watching a socket anew, so an event loop can tell a reused descriptor number from the old socket. */
typedef struct watch {
  curl_socket_t fd;
  int what;
  lua_Integer gen;
} watch;

struct hum_multi {
  CURLM *handle;
  const hum_settings *settings;
  CURLSH *share;
  item **active; /* in the multi handle now */
  size_t nactive, active_cap;
  item *done_head, *done_tail; /* finished, waiting to be handed over */
  item *pool;                  /* idle, kept for reuse */
  size_t pool_size;
  watch *watches;
  size_t nwatches, watches_cap;
  lua_Integer next_id, next_gen;
  int epfd; /* the epoll instance holding every watched socket; -1 without one (then each is watched) */
};

#ifdef HUM_EPOLL
/* Keeps the epoll instance in line with libcurl's wish for `fd`. A descriptor closed behind libcurl's back is
 * already gone from the instance, and a new socket may reuse its number: ENOENT and EEXIST switch ADD and MOD.
 * Returns 0, or -1 when the kernel refused (then libcurl fails the transfer). */
static int epoll_update(hum_multi *m, curl_socket_t fd, int what) {
  if (m->epfd < 0) return 0;
  if (what == CURL_POLL_REMOVE) {
    epoll_ctl(m->epfd, EPOLL_CTL_DEL, fd, NULL); /* ENOENT/EBADF: closed already, which removed it */
    return 0;
  }
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
  ev.data.fd = fd;
  if (epoll_ctl(m->epfd, EPOLL_CTL_MOD, fd, &ev) == 0) return 0;
  if (errno == ENOENT && epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &ev) == 0) return 0;
  return -1;
}
#endif

/* libcurl's CURLMOPT_SOCKETFUNCTION: keep the table of watched sockets up to date. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
  hum_multi *m = userp;
  (void)easy;
  (void)socketp;
  size_t i = 0;
  while (i < m->nwatches && m->watches[i].fd != fd) i++;
#ifdef HUM_EPOLL
  if (epoll_update(m, fd, what) != 0) return -1; /* libcurl fails the transfer that wanted the socket */
#endif
  if (what == CURL_POLL_REMOVE) {
    if (i < m->nwatches) m->watches[i] = m->watches[--m->nwatches];
    return 0;
  }
  if (i == m->nwatches) {
    if (m->nwatches == m->watches_cap) {
      size_t cap = m->watches_cap ? m->watches_cap * 2 : 16;
      watch *grown = realloc(m->watches, cap * sizeof *grown);
      if (grown == NULL) return -1; /* libcurl fails the transfer that wanted the socket */
      m->watches = grown;
      m->watches_cap = cap;
    }
    m->watches[i].fd = fd;
    m->watches[i].gen = ++m->next_gen;
    m->nwatches++;
  }
  m->watches[i].what = what;
  return 0;
}

hum_multi *hum_multi_new(const hum_settings *settings, CURLSH *share) {
  hum_multi *m = calloc(1, sizeof *m);
  if (m == NULL) return NULL;
  m->settings = settings;
  m->share = share;
  m->epfd = -1;
  m->handle = curl_multi_init();
  if (m->handle == NULL) {
    free(m);
    return NULL;
  }
#ifdef HUM_EPOLL
  m->epfd = epoll_create1(EPOLL_CLOEXEC); /* -1 (no descriptors left): each socket is watched instead */
#endif
  curl_multi_setopt(m->handle, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(m->handle, CURLMOPT_SOCKETDATA, (void *)m);
  curl_multi_setopt(m->handle, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
  return m;
}

static void free_item(item *it) {
  hum_transfer_free(&it->t);
  free(it);
}

/* A transfer ready for a new request: from the pool, or new. NULL when memory ran out. */
static item *take_item(hum_multi *m) {
  item *it = m->pool;
  if (it) {
    m->pool = it->next;
    m->pool_size--;
    it->next = NULL;
    return it;
  }
  it = calloc(1, sizeof *it);
  if (it == NULL) return NULL;
  if (!hum_transfer_init(&it->t, m->settings, m->share)) {
    free_item(it);
    return NULL;
  }
  return it;
}

/* Gives back a transfer no longer in the multi handle nor in any list. */
static void recycle(hum_multi *m, item *it) {
  hum_transfer_clear(&it->t);
  it->id = 0;
  if (m->pool_size < HUM_POOL_MAX) {
    it->next = m->pool;
    m->pool = it;
    m->pool_size++;
  } else {
    free_item(it);
  }
}

static void remove_active(hum_multi *m, size_t i) { m->active[i] = m->active[--m->nactive]; }

/* Moves what libcurl reports finished from the active list to the end of the done list. */
static void collect_finished(hum_multi *m) {
  CURLMsg *msg;
  int left;
  while ((msg = curl_multi_info_read(m->handle, &left)) != NULL) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL *easy = msg->easy_handle;
    CURLcode result = msg->data.result; /* msg is invalid once the handle is removed */
    curl_multi_remove_handle(m->handle, easy);
    for (size_t i = 0; i < m->nactive; i++) {
      item *it = m->active[i];
      if (it->t.easy != easy) continue;
      remove_active(m, i);
      it->result = result;
      it->next = NULL;
      if (m->done_tail)
        m->done_tail->next = it;
      else
        m->done_head = it;
      m->done_tail = it;
      break;
    }
  }
}

void hum_multi_act(hum_multi *m, curl_socket_t fd, int events) {
  int running = 0;
#ifdef HUM_EPOLL
  if (m->epfd >= 0 && fd == m->epfd) {
    /* One batch: what is left keeps the descriptor readable, so the loop comes back after its other work. An
     * event for a socket an earlier one in the batch closed reaches libcurl as a spurious wake-up at most. */
    struct epoll_event evs[HUM_EPOLL_BATCH];
    int n = epoll_wait(m->epfd, evs, HUM_EPOLL_BATCH, 0);
    for (int k = 0; k < n; k++) {
      unsigned r = evs[k].events;
      int ev = ((r & (EPOLLIN | EPOLLHUP)) ? CURL_CSELECT_IN : 0) | ((r & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
               ((r & EPOLLERR) ? CURL_CSELECT_ERR : 0);
      curl_multi_socket_action(m->handle, evs[k].data.fd, ev, &running);
    }
    collect_finished(m);
    return;
  }
#endif
  curl_multi_socket_action(m->handle, fd, events, &running);
  collect_finished(m);
}

lua_Integer hum_multi_start(lua_State *L, hum_multi *m, const hum_request_args *a, const char **failure) {
  item *it = NULL;
  *failure = NULL;
  if ((it = take_item(m)) == NULL) {
    *failure = "could not create a libcurl handle";
  } else if (hum_transfer_prepare(L, &it->t, a, 1) != 0) {
    *failure = "not enough memory for the request";
  } else if (m->nactive == m->active_cap) {
    size_t cap = m->active_cap ? m->active_cap * 2 : 16;
    item **grown = realloc(m->active, cap * sizeof *grown);
    if (grown == NULL) {
      *failure = "not enough memory for the request";
    } else {
      m->active = grown;
      m->active_cap = cap;
    }
  }
  if (*failure == NULL && curl_multi_add_handle(m->handle, it->t.easy) != CURLM_OK)
    *failure = "could not start the request";
  if (*failure) {
    if (it) recycle(m, it);
    return 0;
  }
  it->id = ++m->next_id;
  m->active[m->nactive++] = it;
  return it->id;
}

long hum_multi_timeout_ms(hum_multi *m) {
  long ms = -1;
  if (m->nactive > 0) curl_multi_timeout(m->handle, &ms);
  return ms;
}

size_t hum_multi_running(const hum_multi *m) { return m->nactive; }

size_t hum_multi_pending(const hum_multi *m) {
  size_t n = m->nactive;
  for (const item *it = m->done_head; it; it = it->next) n++;
  return n;
}

int hum_multi_cancel(hum_multi *m, lua_Integer id) {
  for (size_t i = 0; i < m->nactive; i++) {
    item *it = m->active[i];
    if (it->id != id) continue;
    curl_multi_remove_handle(m->handle, it->t.easy);
    remove_active(m, i);
    recycle(m, it);
    return 1;
  }
  item *prev = NULL;
  for (item *it = m->done_head; it; prev = it, it = it->next) {
    if (it->id != id) continue;
    if (prev)
      prev->next = it->next;
    else
      m->done_head = it->next;
    if (m->done_tail == it) m->done_tail = prev;
    recycle(m, it);
    return 1;
  }
  return 0;
}

void hum_multi_wait(hum_multi *m, double max) {
  if (m->nactive == 0) return;
  long ms = -1;
  curl_multi_timeout(m->handle, &ms);
  double wait = max;
  if (ms >= 0 && (double)ms / 1000.0 < wait) wait = (double)ms / 1000.0;
  size_t n = m->nwatches;
  struct pollfd *fds = n ? calloc(n, sizeof *fds) : NULL;
  if (n && fds == NULL) n = 0; /* out of memory: fall back to the timer alone */
  for (size_t i = 0; i < n; i++) {
    fds[i].fd = m->watches[i].fd;
    fds[i].events = (short)((m->watches[i].what & CURL_POLL_IN ? POLLIN : 0) |
                            (m->watches[i].what & CURL_POLL_OUT ? POLLOUT : 0));
  }
  int ready = poll(fds, (nfds_t)n, (int)ceil(wait * 1000.0));
  if (ready > 0) {
    for (size_t i = 0; i < n; i++) {
      short r = fds[i].revents;
      if (r == 0) continue;
      int events = ((r & (POLLIN | POLLHUP)) ? CURL_CSELECT_IN : 0) | ((r & POLLOUT) ? CURL_CSELECT_OUT : 0) |
                   ((r & (POLLERR | POLLNVAL)) ? CURL_CSELECT_ERR : 0);
      hum_multi_act(m, fds[i].fd, events);
    }
  }
  free(fds);
  /* libcurl's timer, when it has run out (or nothing was ready), whatever the sockets did. */
  ms = -1;
  curl_multi_timeout(m->handle, &ms);
  if (ms == 0 || ready == 0) hum_multi_act(m, CURL_SOCKET_TIMEOUT, 0);
}

void hum_multi_push_watched(lua_State *L, const hum_multi *m) {
  if (m->epfd >= 0) {
    /* The epoll instance stands for every socket (see the top of this file); nothing to watch when empty. */
    lua_createtable(L, 0, 1);
    if (m->nwatches == 0) return;
    lua_createtable(L, 0, 2);
    lua_pushliteral(L, "in");
    lua_setfield(L, -2, "what");
    lua_pushinteger(L, 0); /* the same descriptor for the multi's lifetime */
    lua_setfield(L, -2, "gen");
    lua_rawseti(L, -2, (int)m->epfd);
    return;
  }
  lua_createtable(L, 0, (int)m->nwatches);
  for (size_t i = 0; i < m->nwatches; i++) {
    const watch *w = &m->watches[i];
    lua_createtable(L, 0, 2);
    lua_pushstring(L, w->what == CURL_POLL_IN ? "in" : w->what == CURL_POLL_OUT ? "out" : "inout");
    lua_setfield(L, -2, "what");
    lua_pushinteger(L, w->gen);
    lua_setfield(L, -2, "gen");
    lua_rawseti(L, -2, (int)w->fd);
  }
}

int hum_multi_push_completed(lua_State *L, hum_multi *m, const hum_json_args *json, size_t budget) {
  lua_newtable(L);
  int list = lua_gettop(L);
  int count = 0;
  size_t bytes = 0;
  for (item *it = m->done_head; it && (budget == 0 || count == 0 || bytes < budget); it = it->next) {
    bytes += it->t.body.len;
    lua_createtable(L, 7, 1);
    int entry = lua_gettop(L);
    lua_pushinteger(L, it->id);
    lua_rawseti(L, entry, 1);
    int n = hum_transfer_push(L, &it->t, it->result, json);
    for (int k = n; k >= 1; k--) lua_rawseti(L, entry, k + 1);
    lua_pushinteger(L, n + 1);
    lua_setfield(L, entry, "n");
    lua_rawseti(L, list, ++count);
  }
  return count;
}

size_t hum_multi_completed_count(const hum_multi *m) {
  size_t n = 0;
  for (const item *it = m->done_head; it; it = it->next) n++;
  return n;
}

void hum_multi_drop_completed(hum_multi *m, int count) {
  for (int k = 0; k < count && m->done_head; k++) {
    item *it = m->done_head;
    m->done_head = it->next;
    if (m->done_head == NULL) m->done_tail = NULL;
    it->next = NULL;
    hum_transfer_hand_over(&it->t);
    recycle(m, it);
  }
}

void hum_multi_free(hum_multi *m) {
  if (m == NULL) return;
  for (size_t i = 0; i < m->nactive; i++) {
    curl_multi_remove_handle(m->handle, m->active[i]->t.easy);
    free_item(m->active[i]);
  }
  item *lists[2] = {m->done_head, m->pool};
  for (int k = 0; k < 2; k++) {
    for (item *it = lists[k]; it;) {
      item *next = it->next;
      free_item(it);
      it = next;
    }
  }
  free(m->active);
  free(m->watches);
  curl_multi_cleanup(m->handle);
  if (m->epfd >= 0) close(m->epfd); /* after cleanup, whose socket callbacks may still update it */
  free(m);
}
