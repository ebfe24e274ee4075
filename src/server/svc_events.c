/* svc_events.c - STUB: baton.v1.Events (Watch), being written (issue 5). */
#include "server/services.h"
#include "server/tickets.h"

static baton_status watch(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "Watch: not yet");
}

static const rpc_method_impl methods[] = {
	{ "Watch", watch, 0, ROLES_ANY },
};

const rpc_service_impl svc_events = {
	&baton__v1__events__descriptor,
	methods,
	sizeof(methods) / sizeof(methods[0]),
};
