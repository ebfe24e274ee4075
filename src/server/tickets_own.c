/* tickets_own.c - STUB: being written (issue 5). */
#include "server/tickets.h"

baton_status tickets_take(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "tickets_take: not yet");
}

baton_status tickets_pass(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "tickets_pass: not yet");
}

