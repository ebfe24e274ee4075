/* svc_shifts.c - baton.v1.Shifts (being written: every method answers UNIMPLEMENTED for now). */
#include "baton/v1/shifts.pb-c.h"
#include "server/services.h"
#include "server/shifts.h"

static baton_status add_slot(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "AddSlot is not written yet");
}

static baton_status publish_weekly(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "PublishWeekly is not written yet");
}

static baton_status list_slots(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "ListSlots is not written yet");
}

static baton_status show_slot(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "ShowSlot is not written yet");
}

static baton_status edit_slot(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "EditSlot is not written yet");
}

static baton_status cancel_slot(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "CancelSlot is not written yet");
}

static baton_status claim_seat(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "ClaimSeat is not written yet");
}

static baton_status release_seat(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "ReleaseSeat is not written yet");
}

static baton_status list_claims(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "ListClaims is not written yet");
}

static baton_status coverage(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "Coverage is not written yet");
}

static const rpc_method_impl methods[] = {
	{ "AddSlot", add_slot, RPC_TX, ROLES_ANY },
	{ "PublishWeekly", publish_weekly, RPC_TX, ROLES_ANY },
	{ "ListSlots", list_slots, RPC_TX, ROLES_ANY },
	{ "ShowSlot", show_slot, RPC_TX, ROLES_ANY },
	{ "EditSlot", edit_slot, RPC_TX, ROLES_ANY },
	{ "CancelSlot", cancel_slot, RPC_TX, ROLES_ANY },
	{ "ClaimSeat", claim_seat, RPC_TX, ROLES_ANY },
	{ "ReleaseSeat", release_seat, RPC_TX, ROLES_ANY },
	{ "ListClaims", list_claims, RPC_TX, ROLES_ANY },
	{ "OfferSwap", shifts_offer_swap, RPC_TX, ROLES_ANY },
	{ "TakeSwap", shifts_take_swap, RPC_TX, ROLES_ANY },
	{ "DecideSwap", shifts_decide_swap, RPC_TX, ROLES_ANY },
	{ "WithdrawSwap", shifts_withdraw_swap, RPC_TX, ROLES_ANY },
	{ "UndoSwap", shifts_undo_swap, RPC_TX, ROLES_ANY },
	{ "ListSwaps", shifts_list_swaps, RPC_TX, ROLES_ANY },
	{ "Coverage", coverage, RPC_TX, ROLES_ANY },
};

const rpc_service_impl svc_shifts = {
	&baton__v1__shifts__descriptor,
	methods,
	sizeof(methods) / sizeof(methods[0]),
};
