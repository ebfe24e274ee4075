/* event.c - the one INSERT INTO event, carrying the actor and the signed request bytes. */
#include "server/event.h"
#include "server/once.h"

baton_status event_append(rpc_call *call, const char *org_id, const char *kind,
    const char *subject_id, const char *body_json)
{
	return event_append_for(call, org_id, NULL, kind, subject_id, body_json);
}

baton_status event_append_for(rpc_call *call, const char *org_id, const char *also_org_id, const char *kind,
    const char *subject_id, const char *body_json)
{
	bool signed_call = call->sealed && call->signature != NULL;
	const char *params[12] = { org_id, kind, subject_id, body_json, NULL, NULL, NULL, NULL, NULL,
		NULL, NULL, also_org_id };

	if (signed_call) {
		params[4] = call->caller.principal_id;
		params[5] = call->caller.key_id;
		params[6] = call->method_name;
		params[7] = once_hex(call, call->request_id, CHAN_REQUEST_ID_BYTES);
		params[8] = once_hex(call, call->payload.data, call->payload.len);
		params[9] = once_hex(call, call->keys.binding, CHAN_HASH_BYTES);
		params[10] = once_hex(call, call->signature, CHAN_SIG_BYTES);
		for (int i = 7; i < 11; i++)
			if (params[i] == NULL)
				return status_set(&call->status, BATON_RESOURCE_EXHAUSTED, "out of memory");
	}
	return db_exec_prepared(call->db, NULL,
	    "INSERT INTO event (org_id, kind, subject_id, body, actor_id, actor_key_id, method,"
	    "                   request_id, request_payload, session_binding, signature, also_org_id)"
	    " VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, decode($8, 'hex'), decode($9, 'hex'),"
	    "         decode($10, 'hex'), decode($11, 'hex'), $12)",
	    12, params, &call->status);
}
