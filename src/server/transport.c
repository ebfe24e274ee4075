/* transport.c - rep0 socket, pipe policy and the workers: callback-driven contexts, a thread per worker for database calls. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "common/clock.h"
#include "server/log.h"
#include "server/transport.h"

/* First arena block per worker: most calls fit without another malloc. */
#define WORKER_ARENA_BYTES (64 * 1024)

/*
 * A worker is one nng context driven by aio callbacks, plus a thread that
 * owns the worker's PostgreSQL connection. A call whose method needs no
 * database (RPC_INLINE) is served on nng's callback thread; any other is
 * handed to the worker's thread. One call at a time per worker.
 *
 *   RECV --msg--> (inline) ----------------------> SEND --sent--> RECV
 *            \--> BUSY (worker thread serves it) --/
 *   RECV/SEND --stopping--> DONE
 */
typedef enum worker_state {
	WORKER_DONE = 0, /* not receiving; transport_stop may free it */
	WORKER_RECV,     /* a receive is pending on the context */
	WORKER_BUSY,     /* the worker's thread is serving a call */
	WORKER_SEND,     /* the reply is being sent */
} worker_state;

typedef struct worker {
	transport      *owner;
	int             index;
	nng_ctx         ctx;
	nng_aio        *aio; /* completes on nng's threads: worker_cb */
	db_conn        *db;  /* used only on the worker's thread */
	metrics_db_seen db_seen; /* db's state as last reported to metrics (worker's thread) */
	arena           arena;
	pthread_t       thread;
	bool            thread_started;
	pthread_mutex_t mtx; /* guards the fields below */
	pthread_cond_t  cv;
	worker_state    state;
	bool            stopping;    /* finish the current call, then DONE */
	bool            job;         /* a call waits for the worker's thread */
	bool            thread_exit;
	/* The call in progress (owned by whoever the state says). */
	nng_msg                 *msg;
	Baton__V1__RequestFrame *req;
	rpc_call                 call;
	nng_pipe                 pipe; /* the caller's connection, for logs */
} worker;

struct transport {
	rpc_server *server;
	nng_socket  sock;
	bool        sock_open;
	worker     *workers;
	int         n_workers;
};

/* The peer's address ("host:port"; with_port false: just "host"), looked
 * up only when needed. */
static void peer_address_of(nng_pipe p, char *buf, size_t len, bool with_port)
{
	nng_sockaddr sa;

	snprintf(buf, len, "?");
	if (nng_pipe_id(p) < 0 || nng_pipe_get_addr(p, NNG_OPT_REMADDR, &sa) != 0)
		return;
	if (sa.s_family == NNG_AF_INET) {
		char ip[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &sa.s_in.sa_addr, ip, sizeof(ip));
		if (with_port)
			snprintf(buf, len, "%s:%u", ip, ntohs(sa.s_in.sa_port));
		else
			snprintf(buf, len, "%s", ip);
	} else if (sa.s_family == NNG_AF_INET6) {
		char ip[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, sa.s_in6.sa_addr, ip, sizeof(ip));
		if (with_port)
			snprintf(buf, len, "[%s]:%u", ip, ntohs(sa.s_in6.sa_port));
		else
			snprintf(buf, len, "%s", ip);
	} else if (sa.s_family == NNG_AF_IPC) {
		snprintf(buf, len, "ipc");
	}
}

static void peer_address(nng_pipe p, char *buf, size_t len)
{
	peer_address_of(p, buf, len, true);
}

/* Starts the next receive, or ends the worker if it is stopping. */
static void worker_next(worker *w)
{
	pthread_mutex_lock(&w->mtx);
	if (w->stopping) {
		w->state = WORKER_DONE;
		pthread_cond_broadcast(&w->cv);
	} else {
		w->state = WORKER_RECV;
		nng_ctx_recv(w->ctx, w->aio);
	}
	pthread_mutex_unlock(&w->mtx);
}

/* Finishes the call in w and sends its reply (from either thread). */
static void worker_reply(worker *w)
{
	Baton__V1__ReplyFrame reply;
	nng_msg *msg = w->msg;
	int rv;

	rpc_frame_serve(&w->call, w->req, &reply);
	/* Reuse the request message for the reply; rep0 keeps the routing
	 * header in the context, so only the body changes. */
	nng_msg_clear(msg);
	if ((rv = nng_msg_realloc(msg, baton__v1__reply_frame__get_packed_size(&reply))) != 0) {
		nng_msg_free(msg);
		w->msg = NULL;
		log_error("reply_alloc_failed", LOG_S("method", w->call.method_name),
		    LOG_S("error", nng_strerror(rv)));
		arena_reset(&w->arena);
		worker_next(w);
		return;
	}
	baton__v1__reply_frame__pack(&reply, nng_msg_body(msg));
	pthread_mutex_lock(&w->mtx);
	w->state = WORKER_SEND;
	nng_aio_set_msg(w->aio, msg);
	nng_ctx_send(w->ctx, w->aio);
	pthread_mutex_unlock(&w->mtx);
}

static void worker_log_call(worker *w)
{
	char rid[33] = "", peer[64];

	if (!log_enabled(LOG_INFO))
		return;
	peer_address(w->pipe, peer, sizeof(peer));
	for (size_t i = 0; i < w->call.request_id_len; i++)
		snprintf(rid + 2 * i, 3, "%02x", w->call.request_id[i]);
	log_info("call", LOG_S("method", w->call.method_name),
	    LOG_S("status", baton_status_str(w->call.status.status)),
	    LOG_I("duration_us", (clock_monotonic_ns() - w->call.started_ns) / 1000), LOG_S("peer", peer),
	    LOG_S("request_id", rid), LOG_S("principal", w->call.sealed ? w->call.caller.handle : NULL),
	    LOG_S("replayed", w->call.replayed ? "true" : NULL),
	    LOG_S("message", w->call.status.status == BATON_OK ? NULL : w->call.status.text));
}

/* Runs on nng's threads whenever w's receive or send completes. */
static void worker_cb(void *arg)
{
	worker *w = arg;
	int rv = nng_aio_result(w->aio);
	worker_state state;

	pthread_mutex_lock(&w->mtx);
	state = w->state;
	pthread_mutex_unlock(&w->mtx);

	if (state == WORKER_SEND) {
		if (rv != 0) {
			char peer[64];
			nng_msg_free(nng_aio_get_msg(w->aio));
			peer_address(w->pipe, peer, sizeof(peer));
			log_warn("reply_not_sent", LOG_S("method", w->call.method_name), LOG_S("peer", peer),
			    LOG_S("error", nng_strerror(rv)));
		}
		w->msg = NULL;
		worker_log_call(w);
		arena_reset(&w->arena);
		worker_next(w);
		return;
	}
	/* WORKER_RECV */
	if (rv != 0) {
		if (rv != NNG_ECANCELED && rv != NNG_ECLOSED)
			log_warn("receive_failed", LOG_I("worker", w->index), LOG_S("error", nng_strerror(rv)));
		if (rv == NNG_ECLOSED) {
			pthread_mutex_lock(&w->mtx);
			w->stopping = true;
			pthread_mutex_unlock(&w->mtx);
		}
		worker_next(w); /* cancelled or closed: stopping is set, so DONE */
		return;
	}
	w->msg = nng_aio_get_msg(w->aio);
	w->pipe = nng_msg_get_pipe(w->msg);
	w->call = (rpc_call){ .server = w->owner->server, .db = w->db, .arena = &w->arena };
	w->req = rpc_frame_read(&w->call, nng_msg_body(w->msg), nng_msg_len(w->msg));
	if (rpc_call_is_inline(&w->call)) {
		worker_reply(w);
		return;
	}
	peer_address_of(w->pipe, w->call.peer_host, sizeof(w->call.peer_host), false);
	pthread_mutex_lock(&w->mtx);
	w->state = WORKER_BUSY;
	w->job = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mtx);
}

/* The worker's thread: owns the database connection, serves handed calls. */
static void *worker_main(void *arg)
{
	worker *w = arg;
	metrics *mx = w->owner->server->metrics;
	status_msg m;

	if (db_connect(w->db, &m) != BATON_OK)
		log_warn("worker_db_unavailable", LOG_I("worker", w->index), LOG_S("reason", m.text));
	metrics_db_report(mx, &w->db_seen, db_pg(w->db) != NULL, db_conn_connects(w->db));
	for (;;) {
		pthread_mutex_lock(&w->mtx);
		while (!w->job && !w->thread_exit)
			pthread_cond_wait(&w->cv, &w->mtx);
		if (!w->job) {
			pthread_mutex_unlock(&w->mtx);
			break;
		}
		w->job = false;
		pthread_mutex_unlock(&w->mtx);
		metrics_db_busy(mx, 1);
		worker_reply(w);
		metrics_db_busy(mx, -1);
		metrics_db_report(mx, &w->db_seen, db_pg(w->db) != NULL, db_conn_connects(w->db));
	}
	return NULL;
}

/* While draining, new connections are closed before they carry a call. */
static void pipe_added(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	transport *t = arg;
	(void)ev;
	/* NNG_ECLOSED here means the pipe is gone already: nothing to do. */
	if (atomic_load(&t->server->draining))
		(void)nng_pipe_close(p);
}

baton_status transport_start(transport **out, rpc_server *server, const batond_config *cfg,
    status_msg *m)
{
	transport *t;
	baton_status s;
	int rv;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->workers = calloc((size_t)cfg->workers, sizeof(*t->workers))) == NULL) {
		free(t);
		return status_set(m, BATON_INTERNAL, "out of memory");
	}
	t->server = server;

	if ((rv = nng_rep0_open(&t->sock)) != 0) {
		status_set(m, BATON_INTERNAL, "nng_rep0_open: %s", nng_strerror(rv));
		goto fail;
	}
	t->sock_open = true;
	if ((rv = nng_socket_set_size(t->sock, NNG_OPT_RECVMAXSZ, (size_t)cfg->max_message_bytes)) != 0 ||
	    (rv = nng_pipe_notify(t->sock, NNG_PIPE_EV_ADD_PRE, pipe_added, t)) != 0) {
		status_set(m, BATON_INTERNAL, "configuring the socket: %s", nng_strerror(rv));
		goto fail;
	}

	for (int i = 0; i < (int)cfg->workers; i++) {
		worker *w = &t->workers[i];
		w->owner = t;
		w->index = i;
		if (pthread_mutex_init(&w->mtx, NULL) != 0) {
			status_set(m, BATON_INTERNAL, "pthread_mutex_init failed");
			goto fail;
		}
		if (pthread_cond_init(&w->cv, NULL) != 0) {
			pthread_mutex_destroy(&w->mtx);
			status_set(m, BATON_INTERNAL, "pthread_cond_init failed");
			goto fail;
		}
		t->n_workers = i + 1; /* from here transport_stop cleans it up */
		/* The socket's close also closes its contexts. */
		if ((rv = nng_ctx_open(&w->ctx, t->sock)) != 0 ||
		    (rv = nng_aio_alloc(&w->aio, worker_cb, w)) != 0) {
			status_set(m, BATON_INTERNAL, "worker %d: %s", i, nng_strerror(rv));
			goto fail;
		}
		if ((w->db = db_conn_new(cfg->database_url)) == NULL ||
		    arena_init(&w->arena, WORKER_ARENA_BYTES) != 0) {
			status_set(m, BATON_INTERNAL, "worker %d: out of memory", i);
			goto fail;
		}
	}
	for (int i = 0; i < t->n_workers; i++) {
		worker *w = &t->workers[i];
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			status_set(m, BATON_INTERNAL, "cannot start worker thread %d", i);
			goto fail;
		}
		w->thread_started = true;
	}
	for (int i = 0; i < t->n_workers; i++)
		worker_next(&t->workers[i]);
	if ((rv = nng_listen(t->sock, cfg->listen, NULL, 0)) != 0) {
		s = (rv == NNG_EADDRINVAL || rv == NNG_ENOTSUP || rv == NNG_EINVAL) ? BATON_INVALID_ARGUMENT
		                                                                     : BATON_UNAVAILABLE;
		status_set(m, s, "cannot listen on '%s': %s", cfg->listen, nng_strerror(rv));
		goto fail;
	}
	*out = t;
	return BATON_OK;
fail:
	transport_stop(t);
	return m->status;
}

void transport_stop(transport *t)
{
	if (t == NULL)
		return;
	/* Stop each worker between calls: a receiving one has its receive
	 * cancelled; a busy one finishes, answers, and then stops. */
	for (int i = 0; i < t->n_workers; i++) {
		worker *w = &t->workers[i];
		pthread_mutex_lock(&w->mtx);
		w->stopping = true;
		if (w->state == WORKER_RECV)
			nng_aio_cancel(w->aio);
		pthread_mutex_unlock(&w->mtx);
	}
	for (int i = 0; i < t->n_workers; i++) {
		worker *w = &t->workers[i];
		pthread_mutex_lock(&w->mtx);
		while (w->state != WORKER_DONE)
			pthread_cond_wait(&w->cv, &w->mtx);
		w->thread_exit = true;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mtx);
		if (w->thread_started)
			pthread_join(w->thread, NULL);
	}
	if (t->sock_open) {
		int rv = nng_close(t->sock);
		if (rv != 0)
			log_warn("socket_close_failed", LOG_S("error", nng_strerror(rv)));
	}
	for (int i = 0; i < t->n_workers; i++) {
		worker *w = &t->workers[i];
		nng_aio_free(w->aio); /* waits for a callback still returning */
		db_conn_free(w->db);
		arena_fini(&w->arena);
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mtx);
	}
	free(t->workers);
	free(t);
}
