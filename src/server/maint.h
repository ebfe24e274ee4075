/* maint.h - batond's housekeeping thread: old sessions and records, revocations made elsewhere, gap events, ticket timers, SLA warnings and breaches, escalation expiry. */
#ifndef BATON_SERVER_MAINT_H
#define BATON_SERVER_MAINT_H

#include "server/config.h"
#include "server/rpc.h"

typedef struct maint maint;

/* Starts the thread (its own database connection). */
baton_status maint_start(maint **out, rpc_server *server, const batond_config *cfg, status_msg *m)
    __attribute__((warn_unused_result));

/* Stops and joins it; NULL is fine. */
void maint_stop(maint *mt);

#endif
