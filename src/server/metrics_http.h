/* metrics_http.h - /metrics and /healthz over HTTP, on nng's HTTP server. */
#ifndef BATON_SERVER_METRICS_HTTP_H
#define BATON_SERVER_METRICS_HTTP_H

#include "common/status_msg.h"
#include "server/rpc.h"

typedef struct metrics_http metrics_http;

/*
 * Serves, on url (http://host:port, checked by the config), GET or HEAD
 * of /metrics (server->metrics as Prometheus text) and /healthz (200 "ok"
 * or 503 with the reason, from metrics_health()); other paths get 404 and
 * other methods 405. Answers come from memory only, never the database.
 * server and its metrics must stay valid until metrics_http_stop().
 * BATON_OK with *out set; otherwise *out is NULL and m says why:
 * BATON_UNAVAILABLE when the address cannot be bound (in use, not local),
 * BATON_INVALID_ARGUMENT for a URL nng refuses, BATON_INTERNAL otherwise.
 */
baton_status metrics_http_start(metrics_http **out, const char *url, rpc_server *server, status_msg *m)
    __attribute__((warn_unused_result));

/* Stops serving and frees; once it returns no request reads server or its
 * metrics any more (one arriving late is answered 503 from nng's threads
 * until nng has let the last connection go). NULL is fine. */
void metrics_http_stop(metrics_http *h);

#endif
