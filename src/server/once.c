/* once.c - the request_record table: claim a request id, answer resends with the first reply. */
#include <string.h>

#include <sodium.h>

#include "server/once.h"

char *once_hex(rpc_call *call, const uint8_t *b, size_t n)
{
	char *hex = arena_alloc(call->arena, 2 * n + 1);

	if (hex != NULL)
		sodium_bin2hex(hex, 2 * n + 1, b, n);
	return hex;
}

/* Reads a bytea column sent as hex ("\x..." or plain encode() output). */
static baton_status unhex(rpc_call *call, const char *hex, ProtobufCBinaryData *out)
{
	size_t len = strlen(hex), n;

	out->data = arena_alloc(call->arena, len / 2 + 1);
	if (out->data == NULL)
		return status_set(&call->status, BATON_RESOURCE_EXHAUSTED, "out of memory");
	if (sodium_hex2bin(out->data, len / 2 + 1, hex, len, NULL, &n, NULL) != 0)
		return status_set(&call->status, BATON_INTERNAL, "stored reply is not hex");
	out->len = n;
	return BATON_OK;
}

baton_status once_claim(rpc_call *call, bool *done, ProtobufCBinaryData *reply)
{
	char *rid = once_hex(call, call->request_id, sizeof(call->request_id));
	char *hash = once_hex(call, call->payload_hash, sizeof(call->payload_hash));
	const char *params[5] = { call->caller.principal_id, rid, call->method_name, hash, call->caller.org_id };
	PGresult *res = NULL;
	baton_status s;

	*done = false;
	if (rid == NULL || hash == NULL)
		return status_set(&call->status, BATON_RESOURCE_EXHAUSTED, "out of memory");
	/* Two statements on purpose: under READ COMMITTED the SELECT takes a
	 * new snapshot, so it sees the record a concurrent resend committed
	 * while the INSERT waited for it. */
	for (int attempt = 0; attempt < 2; attempt++) {
		s = db_exec_prepared(call->db, &res,
		    "INSERT INTO request_record (principal_id, request_id, method, payload_hash, org_id)"
		    " VALUES ($1, decode($2, 'hex'), $3, decode($4, 'hex'), $5)"
		    " ON CONFLICT DO NOTHING RETURNING true",
		    5, params, &call->status);
		if (s != BATON_OK)
			return s;
		bool claimed = PQntuples(res) == 1;
		PQclear(res);
		if (claimed)
			return BATON_OK;
		s = db_exec_prepared(call->db, &res,
		    "SELECT method, encode(payload_hash, 'hex'), encode(reply, 'hex') FROM request_record"
		    " WHERE principal_id = $1 AND request_id = decode($2, 'hex')",
		    2, params, &call->status);
		if (s != BATON_OK)
			return s;
		if (PQntuples(res) == 0) { /* cleaned up in between: claim again */
			PQclear(res);
			continue;
		}
		if (strcmp(PQgetvalue(res, 0, 0), call->method_name) != 0 ||
		    strcmp(PQgetvalue(res, 0, 1), hash) != 0) {
			if (strcmp(PQgetvalue(res, 0, 0), call->method_name) != 0)
				s = status_set(&call->status, BATON_INVALID_ARGUMENT,
				    "request id %s was already used for %s; a new call needs a new request id",
				    rid, PQgetvalue(res, 0, 0));
			else
				s = status_set(&call->status, BATON_INVALID_ARGUMENT,
				    "request id %s was already used with a different payload; a resend must "
				    "repeat the same request, a new call needs a new request id", rid);
			PQclear(res);
			return s;
		}
		s = unhex(call, PQgetvalue(res, 0, 2), reply);
		PQclear(res);
		if (s == BATON_OK)
			*done = true;
		return s;
	}
	return status_set(&call->status, BATON_ABORTED, "request record vanished twice; retry");
}

baton_status once_record(rpc_call *call, const ProtobufCBinaryData *reply)
{
	char *rid = once_hex(call, call->request_id, sizeof(call->request_id));
	char *rep = once_hex(call, reply->data, reply->len);
	const char *params[3] = { call->caller.principal_id, rid, rep };

	if (rid == NULL || rep == NULL)
		return status_set(&call->status, BATON_RESOURCE_EXHAUSTED, "out of memory");
	return db_exec_prepared(call->db, NULL,
	    "UPDATE request_record SET reply = decode($3, 'hex')"
	    " WHERE principal_id = $1 AND request_id = decode($2, 'hex')",
	    3, params, &call->status);
}
