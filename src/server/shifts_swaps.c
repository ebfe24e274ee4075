/* shifts_swaps.c - swaps of seats (being written: every method answers UNIMPLEMENTED for now). */
#include "server/shifts.h"

baton_status shifts_offer_swap(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "OfferSwap is not written yet");
}

baton_status shifts_take_swap(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "TakeSwap is not written yet");
}

baton_status shifts_decide_swap(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "DecideSwap is not written yet");
}

baton_status shifts_withdraw_swap(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "WithdrawSwap is not written yet");
}

baton_status shifts_undo_swap(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "UndoSwap is not written yet");
}

baton_status shifts_list_swaps(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	(void)request;
	(void)reply;
	return status_set(&call->status, BATON_UNIMPLEMENTED, "ListSwaps is not written yet");
}

baton_status shifts_swaps_of_slot(rpc_call *call, const char *slot_id, Baton__V1__Swap ***out, size_t *n)
{
	(void)call;
	(void)slot_id;
	*out = NULL;
	*n = 0;
	return BATON_OK;
}
