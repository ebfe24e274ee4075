/* svc_health.c - baton.v1.Health, mirroring grpc.health.v1.Health/Check. */
#include <string.h>

#include "baton/v1/health.pb-c.h"
#include "server/services.h"

static baton_status check(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__HealthCheckRequest *req = (const Baton__V1__HealthCheckRequest *)request;
	Baton__V1__HealthCheckResponse *rep = (Baton__V1__HealthCheckResponse *)reply;
	status_msg why;

	/* As grpc.health.v1: an unknown service is NOT_FOUND. */
	if (req->service[0] != '\0' && !rpc_table_has_service(&call->server->table, req->service))
		return status_set(&call->status, BATON_NOT_FOUND, "unknown service '%.100s'",
		    req->service);

	if (atomic_load(&call->server->draining))
		rep->status = BATON__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
	else if (call->db == NULL || db_ping(call->db, &why) != BATON_OK)
		rep->status = BATON__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
	else
		rep->status = BATON__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
	return BATON_OK;
}

static const rpc_method_impl methods[] = {
	{ "Check", check, RPC_DURING_DRAIN | RPC_NO_SESSION, 0 },
};

const rpc_service_impl svc_health = {
	&baton__v1__health__descriptor,
	methods,
	sizeof(methods) / sizeof(methods[0]),
};
