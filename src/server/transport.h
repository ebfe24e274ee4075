/* transport.h - the nng rep0 socket and its worker pool (one nng context and one PostgreSQL connection per worker). */
#ifndef BATON_SERVER_TRANSPORT_H
#define BATON_SERVER_TRANSPORT_H

#include "common/status_msg.h"
#include "server/config.h"
#include "server/rpc.h"

typedef struct transport transport;

/*
 * Opens the rep0 socket with NNG_OPT_RECVMAXSZ set, starts cfg->workers
 * workers (each connects to the database; one that cannot retries on its
 * next call) and listens on cfg->listen. On success *out is the running
 * transport (stop it with transport_stop). On failure returns the status
 * and leaves nothing running.
 */
baton_status transport_start(transport **out, rpc_server *server, const batond_config *cfg,
    status_msg *m) __attribute__((warn_unused_result));

/* Stops receiving: each worker finishes (and answers) the call it is
 * serving, then exits; then the socket closes. Frees t; NULL is fine. */
void transport_stop(transport *t);

#endif
