/* svc_system.c - baton.v1.System: Ping (no database) and Info (server and schema facts). */
#include <stdlib.h>
#include <string.h>

#include "baton/v1/system.pb-c.h"
#include "common/clock.h"
#include "server/services.h"
#include "server/version.h"

static baton_status ping(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)call;
	/* The payload lives in the call's arena until the reply is sent. */
	((Baton__V1__PingReply *)reply)->payload = ((const Baton__V1__PingRequest *)request)->payload;
	return BATON_OK;
}

static baton_status info(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	Baton__V1__InfoReply *rep = (Baton__V1__InfoReply *)reply;
	PGresult *res;
	baton_status s;

	(void)request;
	s = db_exec(call->db, &res,
	    "SELECT (SELECT max(version) FROM schema_migrations),"
	    " (SELECT value FROM baton_meta WHERE key = 'database_id'),"
	    " (extract(epoch FROM clock_timestamp()) * 1000)::bigint",
	    0, NULL, &call->status);
	if (s != BATON_OK)
		return s;
	rep->server_version = BATON_VERSION;
	rep->schema_version = atoi(PQgetvalue(res, 0, 0));
	rep->database_id = arena_strndup(call->arena, PQgetvalue(res, 0, 1),
	    (size_t)PQgetlength(res, 0, 1));
	rep->database_time_unix_ms = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	rep->uptime_seconds = (int64_t)((clock_monotonic_ns() - call->server->started_ns) / 1000000000u);
	PQclear(res);
	if (rep->database_id == NULL)
		return status_set(&call->status, BATON_RESOURCE_EXHAUSTED, "out of memory");
	return BATON_OK;
}

static const rpc_method_impl methods[] = {
	{ "Ping", ping, RPC_INLINE, ROLES_ANY },
	{ "Info", info, RPC_TX, ROLES_ANY },
};

const rpc_service_impl svc_system = {
	&baton__v1__system__descriptor,
	methods,
	sizeof(methods) / sizeof(methods[0]),
};
