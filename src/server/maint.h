/* maint.h - batond's housekeeping thread: old sessions and records, revocations made elsewhere, gap events, ticket timers, SLA warnings and breaches, escalation expiry, sealing the audit trail. */
#ifndef BATON_SERVER_MAINT_H
#define BATON_SERVER_MAINT_H

#include <stdint.h>

#include "common/audit.h"
#include "server/config.h"
#include "server/rpc.h"

typedef struct maint maint;

/* Starts the thread (its own database connection). It keeps a copy of the
 * server's key pair (secret_key, public_key) to sign audit checkpoints,
 * never logs it, and wipes it in maint_stop() (or here on failure). */
baton_status maint_start(maint **out, rpc_server *server, const batond_config *cfg,
    const uint8_t secret_key[AUDIT_SK_BYTES], const uint8_t public_key[AUDIT_PK_BYTES], status_msg *m)
    __attribute__((warn_unused_result));

/* Stops and joins it, wiping its copy of the key; NULL is fine. */
void maint_stop(maint *mt);

#endif
