/* transport.c - rep0 socket, pipe policy and the synchronous worker loop. */
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

typedef struct worker {
	transport      *owner;
	int             index;
	pthread_t       thread;
	bool            thread_started;
	nng_ctx         ctx;
	nng_aio        *aio;
	db_conn        *db;
	arena           arena;
	pthread_mutex_t mtx; /* guards receiving and stop */
	bool            receiving;
	bool            stop;
} worker;

struct transport {
	rpc_server *server;
	nng_socket  sock;
	bool        sock_open;
	worker     *workers;
	int         n_workers;
};

static void peer_address(nng_msg *msg, char *buf, size_t len)
{
	nng_pipe p = nng_msg_get_pipe(msg);
	nng_sockaddr sa;

	snprintf(buf, len, "?");
	if (nng_pipe_id(p) < 0 || nng_pipe_get_addr(p, NNG_OPT_REMADDR, &sa) != 0)
		return;
	if (sa.s_family == NNG_AF_INET) {
		char ip[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &sa.s_in.sa_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(sa.s_in.sa_port));
	} else if (sa.s_family == NNG_AF_INET6) {
		char ip[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, sa.s_in6.sa_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(sa.s_in6.sa_port));
	} else if (sa.s_family == NNG_AF_IPC) {
		snprintf(buf, len, "ipc");
	}
}

/* Answers one request; consumes msg whatever happens. */
static void worker_serve(worker *w, nng_msg *msg)
{
	uint64_t t0 = clock_monotonic_ns();
	rpc_call call = { .server = w->owner->server, .db = w->db, .arena = &w->arena };
	Baton__V1__ReplyFrame reply;
	char peer[64], rid[33] = "";
	size_t size;
	int rv;

	peer_address(msg, peer, sizeof(peer));
	rpc_dispatch(&call, nng_msg_body(msg), nng_msg_len(msg), &reply);

	/* Reuse the request message for the reply; rep0 keeps the routing
	 * header in the context, so only the body changes. */
	nng_msg_clear(msg);
	size = baton__v1__reply_frame__get_packed_size(&reply);
	if ((rv = nng_msg_realloc(msg, size)) != 0) {
		nng_msg_free(msg);
		log_error("reply_alloc_failed", LOG_S("method", call.method_name),
		    LOG_S("error", nng_strerror(rv)));
		goto out;
	}
	baton__v1__reply_frame__pack(&reply, nng_msg_body(msg));
	nng_aio_set_msg(w->aio, msg);
	nng_ctx_send(w->ctx, w->aio);
	nng_aio_wait(w->aio);
	if ((rv = nng_aio_result(w->aio)) != 0) {
		nng_msg_free(msg);
		log_warn("reply_not_sent", LOG_S("method", call.method_name), LOG_S("peer", peer),
		    LOG_S("error", nng_strerror(rv)));
	}
out:
	if (log_enabled(LOG_INFO)) {
		for (size_t i = 0; i < call.request_id_len; i++)
			snprintf(rid + 2 * i, 3, "%02x", call.request_id[i]);
		log_info("call", LOG_S("method", call.method_name),
		    LOG_S("status", baton_status_str(call.status.status)),
		    LOG_I("duration_us", (clock_monotonic_ns() - t0) / 1000), LOG_S("peer", peer),
		    LOG_S("request_id", rid),
		    LOG_S("message", call.status.status == BATON_OK ? NULL : call.status.text));
	}
	arena_reset(&w->arena);
}

static void *worker_main(void *arg)
{
	worker *w = arg;
	status_msg m;

	if (db_connect(w->db, &m) != BATON_OK)
		log_warn("worker_db_unavailable", LOG_I("worker", w->index), LOG_S("reason", m.text));

	for (;;) {
		pthread_mutex_lock(&w->mtx);
		if (w->stop) {
			pthread_mutex_unlock(&w->mtx);
			break;
		}
		w->receiving = true;
		nng_ctx_recv(w->ctx, w->aio);
		pthread_mutex_unlock(&w->mtx);

		nng_aio_wait(w->aio);

		pthread_mutex_lock(&w->mtx);
		w->receiving = false;
		pthread_mutex_unlock(&w->mtx);

		int rv = nng_aio_result(w->aio);
		if (rv == 0) {
			worker_serve(w, nng_aio_get_msg(w->aio));
			continue;
		}
		if (rv == NNG_ECANCELED || rv == NNG_ECLOSED)
			continue; /* stop is set; the loop head exits */
		log_warn("receive_failed", LOG_I("worker", w->index), LOG_S("error", nng_strerror(rv)));
	}
	return NULL;
}

/* While draining, new connections are closed before they carry a call. */
static void pipe_added(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	transport *t = arg;
	(void)ev;
	if (atomic_load(&t->server->draining))
		nng_pipe_close(p);
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
		if ((rv = pthread_mutex_init(&w->mtx, NULL)) != 0) {
			status_set(m, BATON_INTERNAL, "pthread_mutex_init failed");
			goto fail;
		}
		t->n_workers = i + 1; /* from here transport_stop cleans it up */
		/* The socket's close also closes its contexts. */
		if ((rv = nng_ctx_open(&w->ctx, t->sock)) != 0 ||
		    (rv = nng_aio_alloc(&w->aio, NULL, NULL)) != 0) {
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
	/* Stop each worker between calls: an idle one has its receive
	 * cancelled; a busy one finishes, answers and then sees stop. */
	for (int i = 0; i < t->n_workers; i++) {
		worker *w = &t->workers[i];
		pthread_mutex_lock(&w->mtx);
		w->stop = true;
		if (w->receiving)
			nng_aio_cancel(w->aio);
		pthread_mutex_unlock(&w->mtx);
	}
	for (int i = 0; i < t->n_workers; i++)
		if (t->workers[i].thread_started)
			pthread_join(t->workers[i].thread, NULL);
	if (t->sock_open)
		nng_close(t->sock);
	for (int i = 0; i < t->n_workers; i++) {
		worker *w = &t->workers[i];
		nng_aio_free(w->aio);
		db_conn_free(w->db);
		arena_fini(&w->arena);
		pthread_mutex_destroy(&w->mtx);
	}
	free(t->workers);
	free(t);
}
