/* once.h - exactly once: (principal, request id) recorded with the reply in the transaction of the effect. */
#ifndef BATON_SERVER_ONCE_H
#define BATON_SERVER_ONCE_H

#include <stdbool.h>

#include "server/rpc.h"

/*
 * Inside the call's transaction, before the handler: claims the call's
 * request id for its principal. Returns BATON_OK with *done false when the
 * call is new (run it; the claim holds off concurrent resends until the
 * transaction ends), or with *done true and *reply holding the first
 * call's reply (in call->arena) when it already ran. INVALID_ARGUMENT when
 * the id was used for another method or another payload.
 */
baton_status once_claim(rpc_call *call, bool *done, ProtobufCBinaryData *reply)
    __attribute__((warn_unused_result));

/* Inside the same transaction, after the handler succeeded: stores its
 * packed reply with the claim. */
baton_status once_record(rpc_call *call, const ProtobufCBinaryData *reply)
    __attribute__((warn_unused_result));

/* Hex of b[0..n) in call->arena (for bytea parameters), or NULL. */
char *once_hex(rpc_call *call, const uint8_t *b, size_t n);

#endif
