/* svc_oncall.c - baton.v1.OnCall (being written: every method answers UNIMPLEMENTED for now). */
#include "baton/v1/oncall.pb-c.h"
#include "server/services.h"

static baton_status add_rotation(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "AddRotation is not written yet");
}

static baton_status list_rotations(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "ListRotations is not written yet");
}

static baton_status add_override(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "AddOverride is not written yet");
}

static baton_status who(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "Who is not written yet");
}

static const rpc_method_impl methods[] = {
	{ "AddRotation", add_rotation, RPC_TX, ROLES_ANY },
	{ "ListRotations", list_rotations, RPC_TX, ROLES_ANY },
	{ "AddOverride", add_override, RPC_TX, ROLES_ANY },
	{ "Who", who, RPC_TX, ROLES_ANY },
};

const rpc_service_impl svc_oncall = {
	&baton__v1__on_call__descriptor,
	methods,
	sizeof(methods) / sizeof(methods[0]),
};
