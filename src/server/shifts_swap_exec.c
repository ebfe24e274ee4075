/* shifts_swap_exec.c - moving a seat by swap and back (UndoSwap), and the events that tell both organizations. */
#include <stdio.h>
#include <string.h>

#include "server/event.h"
#include "server/session.h"
#include "server/shifts_internal.h"
#include "server/shifts_swap.h"

/*
 * One body per organization told (the holder's first): ids always, handles
 * only of that organization's own people, as row-level security would
 * show them to it.
 */
baton_status swap_events(rpc_call *call, const char *swap_id, const char *kind, const char *note,
    const char *waiting_taker_id)
{
	const char *params[3] = { swap_id, note != NULL ? note : "", waiting_taker_id != NULL ? waiting_taker_id : "" };
	PGresult *res;
	baton_status s;

	s = db_exec(call->db, &res,
	    "SELECT x.org_id, jsonb_build_object("
	    "         'swap_id', w.id, 'slot_id', w.slot_id, 'claim_id', w.claim_id, 'state', w.state,"
	    "         'approval', w.approval, 'queue', s.queue, 'language', s.language,"
	    "         'starts', lower(s.during), 'ends', upper(s.during),"
	    "         'holder_id', c.principal_id, 'holder', CASE WHEN hp.org_id = x.org_id THEN hp.handle ELSE '' END,"
	    "         'offered_to_id', w.offered_to,"
	    "         'offered_to', CASE WHEN ot.org_id = x.org_id THEN ot.handle ELSE '' END,"
	    "         'taker_id', tk.id, 'taker', CASE WHEN tk.org_id = x.org_id THEN tk.handle ELSE '' END,"
	    "         'new_claim_id', w.new_claim_id, 'restored_claim_id', w.restored_claim_id,"
	    "         'note', $2::text)::text"
	    "  FROM swap w JOIN slot s ON s.id = w.slot_id JOIN claim c ON c.id = w.claim_id"
	    "  JOIN principal hp ON hp.id = c.principal_id LEFT JOIN principal ot ON ot.id = w.offered_to"
	    "  LEFT JOIN principal tk ON tk.id = coalesce(w.taker_id, nullif($3, '')::uuid)"
	    " CROSS JOIN LATERAL (SELECT DISTINCT o FROM unnest(ARRAY[w.org_id, tk.org_id]) AS o"
	    "                      WHERE o IS NOT NULL) AS x(org_id)"
	    " WHERE w.id = $1::uuid"
	    " ORDER BY x.org_id = w.org_id DESC",
	    3, params, &call->status);
	if (s != BATON_OK)
		return s;
	if (PQntuples(res) == 0)
		s = status_set(&call->status, BATON_INTERNAL, "swap %s is not there to tell about", swap_id);
	for (int r = 0; r < PQntuples(res) && s == BATON_OK; r++)
		s = event_append(call, PQgetvalue(res, r, 0), kind, swap_id, PQgetvalue(res, r, 1));
	PQclear(res);
	return s;
}

baton_status swap_reply_claim(rpc_call *call, const char *claim_id, Baton__V1__Claim **out)
{
	baton_status s = shifts_claim_get(call, claim_id, out);

	if (s == BATON_NOT_FOUND) { /* another organization's seat */
		*out = NULL;
		status_clear(&call->status);
		return BATON_OK;
	}
	return s;
}

/* A handle seen in the widened scope (people of another organization). */
static baton_status handle_of(rpc_call *call, const char *principal_id, char handle[64])
{
	const char *params[1] = { principal_id };
	PGresult *res;
	baton_status s;

	s = db_exec(call->db, &res, "SELECT handle FROM principal WHERE id = $1::uuid", 1, params, &call->status);
	if (s != BATON_OK)
		return s;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return status_set(&call->status, BATON_NOT_FOUND, "no principal %s", principal_id);
	}
	snprintf(handle, 64, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return BATON_OK;
}

/* Releases a held claim; FAILED_PRECONDITION with gone if it was not held. */
static baton_status release_claim(rpc_call *call, const char *claim_id, const char *reason, const char *gone)
{
	const char *params[3] = { claim_id, call->caller.principal_id, reason };
	PGresult *res;
	baton_status s;
	int rows;

	s = db_exec(call->db, &res,
	    "UPDATE claim SET released_at = now(), released_by = $2::uuid, released_reason = $3"
	    " WHERE id = $1::uuid AND released_at IS NULL RETURNING id",
	    3, params, &call->status);
	if (s != BATON_OK)
		return s;
	rows = PQntuples(res);
	PQclear(res);
	if (rows != 1)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "%s", gone);
	return BATON_OK;
}

/*
 * A new claim on slot_id for principal_id by the caller, given by swap_id.
 * The claim_check trigger and claim_no_overlap refuse what may not be held;
 * their refusal is told as the checks before them would have told it,
 * naming who (after prefix).
 */
static baton_status insert_claim(rpc_call *call, const char *slot_id, const char *principal_id,
    const char *swap_id, const char *who, const char *prefix, char claim_id[40])
{
	const char *params[4] = { slot_id, principal_id, call->caller.principal_id, swap_id };
	char why[sizeof(call->status.text)];
	PGresult *res;
	baton_status s;

	s = db_exec(call->db, &res,
	    "INSERT INTO claim (slot_id, principal_id, claimed_by, via_swap)"
	    " VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid) RETURNING id",
	    4, params, &call->status);
	if (s == BATON_OK) {
		snprintf(claim_id, 40, "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		return BATON_OK;
	}
	if (s != BATON_FAILED_PRECONDITION)
		return s;
	snprintf(why, sizeof(why), "%s", call->status.text);
	if (strstr(why, "claim_no_overlap") != NULL)
		return status_set(&call->status, s, "%s%s already holds an overlapping shift", prefix, who);
	if (strstr(why, "slot_capacity") != NULL) /* not while the offered seat is released first */
		return status_set(&call->status, s, "%sslot %s is full", prefix, slot_id);
	if (strstr(why, "slot_cancelled_is_empty") != NULL)
		return status_set(&call->status, s, "%sslot %s is cancelled", prefix, slot_id);
	return status_set(&call->status, s, "%s%s", prefix, why);
}

baton_status swap_execute(rpc_call *call, const swap_row *w, const char *taker_id, bool decided,
    const char *decision_note, char new_claim_id[40])
{
	char taker[64], reason[96];
	baton_status s;

	if (decision_note == NULL)
		decision_note = "";
	/* The taker may be of another organization than the holder's seat. */
	if ((s = shifts_scope_all(call)) != BATON_OK || (s = handle_of(call, taker_id, taker)) != BATON_OK)
		return s;
	snprintf(reason, sizeof(reason), "swapped to %s", taker);
	/* Release first: the slot's capacity is never exceeded, not even
	 * within the transaction. */
	if ((s = release_claim(call, w->msg->claim_id, reason, "the seat is no longer held")) != BATON_OK ||
	    (s = insert_claim(call, w->msg->slot_id, taker_id, w->msg->id, taker, "", new_claim_id)) != BATON_OK)
		return s;
	const char *params[6] = { w->msg->id, taker_id, new_claim_id, decided ? "t" : "f", call->caller.principal_id,
		decision_note };
	s = db_exec(call->db, NULL,
	    "UPDATE swap SET state = 'done', taker_id = $2::uuid,"
	    "                taker_org_id = (SELECT p.org_id FROM principal p WHERE p.id = $2::uuid),"
	    "                taken_at = coalesce(taken_at, now()), new_claim_id = $3::uuid,"
	    "                decided_by = CASE WHEN $4::boolean THEN $5::uuid ELSE decided_by END,"
	    "                decided_at = CASE WHEN $4::boolean THEN now() ELSE decided_at END,"
	    "                decision_note = CASE WHEN $4::boolean THEN $6 ELSE decision_note END"
	    " WHERE id = $1::uuid",
	    6, params, &call->status);
	if (s != BATON_OK ||
	    (decided && (s = swap_events(call, w->msg->id, "swap.approved", decision_note, NULL)) != BATON_OK) ||
	    (s = swap_events(call, w->msg->id, "swap.done", decision_note, NULL)) != BATON_OK)
		return s;
	return shifts_scope_caller(call);
}

/* Whether the caller acts for the person principal_id, if it may see them. */
static baton_status acts_for_id(rpc_call *call, const char *principal_id, bool *yes)
{
	shifts_person p;
	baton_status s;

	*yes = false;
	if (principal_id[0] == '\0') /* another organization's seat */
		return BATON_OK;
	s = shifts_person_find(call, principal_id, &p);
	if (s == BATON_NOT_FOUND) {
		status_clear(&call->status);
		return BATON_OK;
	}
	if (s == BATON_OK)
		*yes = shifts_acts_for(call, &p);
	return s;
}

/* The holder, the taker, someone acting for either (their managers), or an
 * in-house lead or admin. */
static baton_status may_undo(rpc_call *call, const swap_row *w)
{
	bool holder_side, taker_side;
	baton_status s;

	if ((s = acts_for_id(call, w->holder_id, &holder_side)) != BATON_OK ||
	    (s = acts_for_id(call, w->taker_id, &taker_side)) != BATON_OK)
		return s;
	if (!holder_side && !taker_side)
		return status_set(&call->status, BATON_PERMISSION_DENIED,
		    "only the holder, the taker, their managers or a lead may undo this swap");
	return BATON_OK;
}

/* The seat back to its holder, in the widened scope (the holder and the
 * taker may be of different organizations). */
static baton_status undo_execute(rpc_call *call, const swap_row *w, const char *note, char restored_id[40])
{
	char taker_claims[48];
	const char *holder_params[1] = { w->msg->claim_id };
	char holder_id[40], holder[64];
	PGresult *res;
	baton_status s;

	if ((s = shifts_scope_all(call)) != BATON_OK)
		return s;
	s = db_exec(call->db, &res,
	    "SELECT c.principal_id, p.handle FROM claim c JOIN principal p ON p.id = c.principal_id"
	    " WHERE c.id = $1::uuid",
	    1, holder_params, &call->status);
	if (s != BATON_OK)
		return s;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return status_set(&call->status, BATON_INTERNAL, "the seat of swap %s is missing", w->msg->id);
	}
	snprintf(holder_id, sizeof(holder_id), "%s", PQgetvalue(res, 0, 0));
	snprintf(holder, sizeof(holder), "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	snprintf(taker_claims, sizeof(taker_claims), "{%s}", w->msg->new_claim_id);
	/* The taker may have offered the seat on meanwhile: that offer goes
	 * with the seat (withdrawing narrows the scope back, so widen again). */
	if ((s = release_claim(call, w->msg->new_claim_id, "swap undone",
	         "the seat the swap gave is no longer held; there is nothing to undo")) != BATON_OK ||
	    (s = shifts_withdraw_offers(call, taker_claims, "swap undone", NULL)) != BATON_OK ||
	    (s = shifts_scope_all(call)) != BATON_OK ||
	    (s = insert_claim(call, w->msg->slot_id, holder_id, w->msg->id, holder, "cannot give the seat back: ",
	         restored_id)) != BATON_OK)
		return s;
	const char *params[3] = { w->msg->id, call->caller.principal_id, restored_id };
	s = db_exec(call->db, NULL,
	    "UPDATE swap SET state = 'undone', undone_by = $2::uuid, undone_at = now(), restored_claim_id = $3::uuid"
	    " WHERE id = $1::uuid",
	    3, params, &call->status);
	if (s != BATON_OK || (s = swap_events(call, w->msg->id, "swap.undone", note, NULL)) != BATON_OK)
		return s;
	return shifts_scope_caller(call);
}

baton_status shifts_undo_swap(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__UndoSwapRequest *req = (const Baton__V1__UndoSwapRequest *)request;
	Baton__V1__UndoSwapReply *rep = (Baton__V1__UndoSwapReply *)reply;
	char restored_id[40];
	swap_row w, after;
	baton_status s;

	if ((s = swap_note_check(call, "note", req->note)) != BATON_OK ||
	    (s = swap_load(call, req->swap, true, &w)) != BATON_OK)
		return s;
	if (strcmp(w.msg->state, "done") != 0)
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "swap %s is %s; only a done swap can be undone", w.msg->id, w.msg->state);
	if (w.started)
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "an accepted swap can be undone only before the shift starts");
	if (w.cancelled)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "slot %s is cancelled", w.msg->slot_id);
	if ((s = may_undo(call, &w)) != BATON_OK || (s = undo_execute(call, &w, req->note, restored_id)) != BATON_OK ||
	    (s = swap_load(call, w.msg->id, false, &after)) != BATON_OK)
		return s;
	rep->swap = after.msg;
	return swap_reply_claim(call, restored_id, &rep->claim);
}
