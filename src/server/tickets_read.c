/* tickets_read.c - STUB: being written (issue 5). */
#include "server/tickets.h"

baton_status tickets_list(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "tickets_list: not yet");
}

baton_status tickets_show(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "tickets_show: not yet");
}

baton_status tickets_policy_set(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "tickets_policy_set: not yet");
}

baton_status tickets_policy_list(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "tickets_policy_list: not yet");
}

