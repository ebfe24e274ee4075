/* event.h - appending the event a change causes, with its actor's signature. */
#ifndef BATON_SERVER_EVENT_H
#define BATON_SERVER_EVENT_H

#include "server/rpc.h"

/*
 * Inside the call's transaction: appends an event of kind about subject_id,
 * with body_json (a JSON object as text) as what changed. org_id (may be
 * NULL: visible in-house only) says whose event it is. The actor, the key,
 * the method, request id, request payload, session binding and signature
 * come from call (a state-changing sealed call), so the event can later be
 * verified against the actor's registered key. For a call without a
 * session (batond itself) they stay NULL.
 */
baton_status event_append(rpc_call *call, const char *org_id, const char *kind,
    const char *subject_id, const char *body_json) __attribute__((warn_unused_result));

/* event_append, visible also to organization also_org_id (may be NULL):
 * a ticket moving from one queue to another is news to both. */
baton_status event_append_for(rpc_call *call, const char *org_id, const char *also_org_id, const char *kind,
    const char *subject_id, const char *body_json) __attribute__((warn_unused_result));

#endif
