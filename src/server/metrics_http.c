/* metrics_http.c - /metrics and /healthz on nng's HTTP server: answers from memory, never from the database. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

#include "common/clock.h"
#include "server/metrics_http.h"

#define PROMETHEUS_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define PLAIN_TEXT      "text/plain; charset=utf-8"
/* The exposition's first buffer, doubled while the text does not fit. */
#define BODY_FIRST_BYTES (64 * 1024)
#define BODY_MAX_BYTES   (16 * 1024 * 1024)

/*
 * What the handler reads. nng may run the handler for a request that was
 * already on its way when metrics_http_stop() returned, and keeps the
 * handler until its last connection is gone; so this is the handler's
 * data, freed by nng with it (scrape_free), and `stopped` (under mtx)
 * keeps such late requests away from the server and its metrics.
 */
typedef struct scrape {
	pthread_mutex_t mtx;
	bool            stopped;
	rpc_server     *server;
} scrape;

struct metrics_http {
	nng_http_server *http;
	scrape          *scrape; /* owned by the handler, which the server owns */
};

static void scrape_free(void *arg)
{
	scrape *sc = arg;

	pthread_mutex_destroy(&sc->mtx);
	free(sc);
}

/* Finishes the request with status and body[0..len); on any failure nng
 * drops the connection instead. */
static void respond(nng_aio *aio, uint16_t status, const char *content_type, const char *body, size_t len)
{
	nng_http_res *res = NULL;
	int rv;

	if ((rv = nng_http_res_alloc(&res)) != 0 ||
	    (rv = nng_http_res_set_status(res, status)) != 0 ||
	    (rv = nng_http_res_set_header(res, "Content-Type", content_type)) != 0 ||
	    (rv = nng_http_res_set_header(res, "Cache-Control", "no-store")) != 0 ||
	    (status == NNG_HTTP_STATUS_METHOD_NOT_ALLOWED &&
	        (rv = nng_http_res_set_header(res, "Allow", "GET, HEAD")) != 0) ||
	    (rv = nng_http_res_copy_data(res, body, len)) != 0 ||
	    (rv = nng_aio_set_output(aio, 0, res)) != 0) {
		if (res != NULL)
			nng_http_res_free(res);
		nng_aio_finish(aio, rv);
		return;
	}
	nng_aio_finish(aio, 0);
}

/* The exposition in a buffer the caller frees; NULL if out of memory. */
static char *render(rpc_server *server, const metrics_state *state, size_t *len)
{
	for (size_t cap = BODY_FIRST_BYTES; cap <= BODY_MAX_BYTES; cap *= 2) {
		char *buf = malloc(cap);
		textbuf out;

		if (buf == NULL)
			return NULL;
		textbuf_init(&out, buf, cap);
		metrics_render(server->metrics, state, &out);
		if (!out.truncated) {
			*len = out.len;
			return buf;
		}
		free(buf);
	}
	return NULL;
}

/* Under sc->mtx, with batond still running. */
static void serve(nng_aio *aio, rpc_server *server, bool want_metrics)
{
	metrics_state state = {
		.sessions = server->sessions != NULL ? session_count(server->sessions) : 0,
		.draining = atomic_load(&server->draining),
	};
	char reason[200];
	size_t len;

	if (want_metrics) {
		char *body = render(server, &state, &len);
		if (body == NULL) {
			nng_aio_finish(aio, NNG_ENOMEM);
			return;
		}
		respond(aio, NNG_HTTP_STATUS_OK, PROMETHEUS_TEXT, body, len);
		free(body);
		return;
	}
	if (metrics_health(server->metrics, &state, clock_monotonic_ns(), reason, sizeof(reason) - 1)) {
		respond(aio, NNG_HTTP_STATUS_OK, PLAIN_TEXT, "ok\n", 3);
		return;
	}
	len = strlen(reason);
	reason[len++] = '\n';
	respond(aio, NNG_HTTP_STATUS_SERVICE_UNAVAILABLE, PLAIN_TEXT, reason, len);
}

/* Runs on nng's threads for every request, whatever its path and method
 * (one handler for the whole tree), so the answers to the wrong ones are
 * ours too. */
static void handle(nng_aio *aio)
{
	static const char not_found[] = "not found: batond serves /metrics and /healthz\n";
	static const char not_allowed[] = "method not allowed: use GET or HEAD\n";
	static const char stopping[] = "stopping\n";
	nng_http_req *req = nng_aio_get_input(aio, 0);
	scrape *sc = nng_http_handler_get_data(nng_aio_get_input(aio, 1));
	const char *uri = nng_http_req_get_uri(req), *method = nng_http_req_get_method(req);
	size_t path_len = strcspn(uri, "?#");
	bool want_metrics = path_len == strlen("/metrics") && memcmp(uri, "/metrics", path_len) == 0;
	bool want_health = path_len == strlen("/healthz") && memcmp(uri, "/healthz", path_len) == 0;

	if (!want_metrics && !want_health) {
		respond(aio, NNG_HTTP_STATUS_NOT_FOUND, PLAIN_TEXT, not_found, sizeof(not_found) - 1);
		return;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		respond(aio, NNG_HTTP_STATUS_METHOD_NOT_ALLOWED, PLAIN_TEXT, not_allowed, sizeof(not_allowed) - 1);
		return;
	}
	pthread_mutex_lock(&sc->mtx);
	if (sc->stopped)
		respond(aio, NNG_HTTP_STATUS_SERVICE_UNAVAILABLE, PLAIN_TEXT, stopping, sizeof(stopping) - 1);
	else
		serve(aio, sc->server, want_metrics);
	pthread_mutex_unlock(&sc->mtx);
}

/* A handler for every path and method, owning sc (freed here on failure). */
static int handler_new(nng_http_handler **out, scrape *sc)
{
	nng_http_handler *h;
	int rv;

	if ((rv = nng_http_handler_alloc(&h, "/", handle)) != 0) {
		scrape_free(sc);
		return rv;
	}
	/* Bodies up to 1 KiB are read and ignored, so that a POST gets its
	 * 405 rather than a 400. */
	if ((rv = nng_http_handler_set_method(h, NULL)) != 0 || (rv = nng_http_handler_set_tree(h)) != 0 ||
	    (rv = nng_http_handler_collect_body(h, true, 1024)) != 0) {
		nng_http_handler_free(h);
		scrape_free(sc);
		return rv;
	}
	if ((rv = nng_http_handler_set_data(h, sc, scrape_free)) != 0) {
		nng_http_handler_free(h);
		scrape_free(sc);
		return rv;
	}
	*out = h;
	return 0;
}

baton_status metrics_http_start(metrics_http **out, const char *url, rpc_server *server, status_msg *m)
{
	metrics_http *mh = calloc(1, sizeof(*mh));
	scrape *sc = calloc(1, sizeof(*sc));
	nng_http_handler *handler;
	nng_url *u = NULL;
	baton_status s;
	int rv;

	*out = NULL;
	if (mh == NULL || sc == NULL || pthread_mutex_init(&sc->mtx, NULL) != 0) {
		free(mh);
		free(sc);
		return status_set(m, BATON_INTERNAL, "out of memory");
	}
	sc->server = server;
	mh->scrape = sc;
	if ((rv = handler_new(&handler, sc)) != 0) {
		free(mh);
		return status_set(m, BATON_INTERNAL, "metrics handler: %s", nng_strerror(rv));
	}
	if ((rv = nng_url_parse(&u, url)) != 0 || (rv = nng_http_server_hold(&mh->http, u)) != 0) {
		if (u != NULL)
			nng_url_free(u);
		nng_http_handler_free(handler);
		free(mh);
		s = (rv == NNG_EADDRINVAL || rv == NNG_EINVAL || rv == NNG_ENOTSUP) ? BATON_INVALID_ARGUMENT
		                                                                     : BATON_INTERNAL;
		return status_set(m, s, "cannot serve metrics on '%s': %s", url, nng_strerror(rv));
	}
	nng_url_free(u);
	/* From here the server owns the handler (and with it sc). */
	if ((rv = nng_http_server_add_handler(mh->http, handler)) != 0) {
		nng_http_handler_free(handler);
		s = status_set(m, BATON_INTERNAL, "metrics handler: %s", nng_strerror(rv));
		goto fail;
	}
	if ((rv = nng_http_server_start(mh->http)) != 0) {
		s = status_set(m, BATON_UNAVAILABLE, "cannot serve metrics on '%s': %s", url, nng_strerror(rv));
		goto fail;
	}
	*out = mh;
	return BATON_OK;
fail:
	nng_http_server_release(mh->http);
	free(mh);
	return s;
}

void metrics_http_stop(metrics_http *mh)
{
	if (mh == NULL)
		return;
	pthread_mutex_lock(&mh->scrape->mtx);
	mh->scrape->stopped = true;
	pthread_mutex_unlock(&mh->scrape->mtx);
	/* Closes the listener and every connection; nng frees the server, the
	 * handler and the scrape once the last connection is gone. */
	nng_http_server_stop(mh->http);
	nng_http_server_release(mh->http);
	free(mh);
}
