/* tickets_intake.c - STUB: being written (issue 5). */
#include "server/tickets.h"

baton_status tickets_create(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "tickets_create: not yet");
}

baton_status tickets_customer_reply(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "tickets_customer_reply: not yet");
}

