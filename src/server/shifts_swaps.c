/* shifts_swaps.c - swaps of seats: rows, listing, offer, take, decide, withdraw (execution and undo: shifts_swap_exec.c). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "server/session.h"
#include "server/shifts_swap.h"
#include "server/validate.h"

/* The holder is the offered claim's principal: a partner sees the seats of
 * its own organization only, so another organization's people come out "". */
#define SWAP_FROM \
	"swap w LEFT JOIN slot s ON s.id = w.slot_id LEFT JOIN claim c ON c.id = w.claim_id" \
	" LEFT JOIN principal hp ON hp.id = c.principal_id LEFT JOIN principal ob ON ob.id = w.offered_by" \
	" LEFT JOIN principal ot ON ot.id = w.offered_to LEFT JOIN principal tk ON tk.id = w.taker_id" \
	" LEFT JOIN principal dc ON dc.id = w.decided_by LEFT JOIN principal ub ON ub.id = w.undone_by"

/* The Swap message's 23 fields in order, then what the rules need. The
 * claim's copy of the slot's range stands in for a slot no longer open to
 * the caller. */
#define SWAP_DURING "coalesce(s.during, c.during)"
#define SWAP_COLS \
	"w.id, w.slot_id, w.claim_id, coalesce(hp.handle, ''), coalesce(ob.handle, ''), coalesce(ot.handle, '')," \
	" w.note, w.approval, w.state, coalesce(tk.handle, ''), coalesce(" SQL_MS("w.taken_at") ", 0)," \
	" coalesce(dc.handle, ''), coalesce(" SQL_MS("w.decided_at") ", 0), w.decision_note," \
	" coalesce(w.new_claim_id::text, ''), coalesce(ub.handle, ''), coalesce(" SQL_MS("w.undone_at") ", 0)," \
	" coalesce(w.restored_claim_id::text, ''), " SQL_MS("w.created_at") "," \
	" coalesce(" SQL_MS("lower(" SWAP_DURING ")") ", 0), coalesce(" SQL_MS("upper(" SWAP_DURING ")") ", 0)," \
	" coalesce(s.queue, ''), coalesce(s.language, '')," \
	" w.org_id, coalesce(w.taker_org_id::text, ''), coalesce(c.principal_id::text, '')," \
	" coalesce(w.offered_to::text, ''), coalesce(w.taker_id::text, '')," \
	" coalesce(lower(" SWAP_DURING ") <= now(), false), s.cancelled_at IS NOT NULL"

#define SWAP_LIMIT_DEFAULT 200
#define SWAP_LIMIT_MAX     1000

static const char *const swap_states[] = { "offered", "awaiting_approval", "done", "withdrawn", "undone" };

/* Columns 0..22 to a message in call->arena. */
static baton_status swap_from_row(rpc_call *call, const PGresult *res, int row, Baton__V1__Swap **out)
{
	static const struct {
		size_t offset;
		int    col;
	} text[] = {
		{ offsetof(Baton__V1__Swap, id), 0 },
		{ offsetof(Baton__V1__Swap, slot_id), 1 },
		{ offsetof(Baton__V1__Swap, claim_id), 2 },
		{ offsetof(Baton__V1__Swap, holder), 3 },
		{ offsetof(Baton__V1__Swap, offered_by), 4 },
		{ offsetof(Baton__V1__Swap, offered_to), 5 },
		{ offsetof(Baton__V1__Swap, note), 6 },
		{ offsetof(Baton__V1__Swap, approval), 7 },
		{ offsetof(Baton__V1__Swap, state), 8 },
		{ offsetof(Baton__V1__Swap, taker), 9 },
		{ offsetof(Baton__V1__Swap, decided_by), 11 },
		{ offsetof(Baton__V1__Swap, decision_note), 13 },
		{ offsetof(Baton__V1__Swap, new_claim_id), 14 },
		{ offsetof(Baton__V1__Swap, undone_by), 15 },
		{ offsetof(Baton__V1__Swap, restored_claim_id), 17 },
		{ offsetof(Baton__V1__Swap, queue), 21 },
		{ offsetof(Baton__V1__Swap, language), 22 },
	};
	Baton__V1__Swap *w = arena_alloc(call->arena, sizeof(*w));

	if (w == NULL)
		return shifts_oom(call);
	baton__v1__swap__init(w);
	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
		char *v = shifts_col(call, res, row, text[i].col);
		if (v == NULL)
			return shifts_oom(call);
		*(char **)(void *)((char *)w + text[i].offset) = v;
	}
	w->taken_unix_ms = shifts_int(res, row, 10);
	w->decided_unix_ms = shifts_int(res, row, 12);
	w->undone_unix_ms = shifts_int(res, row, 16);
	w->created_unix_ms = shifts_int(res, row, 18);
	w->starts_unix_ms = shifts_int(res, row, 19);
	w->ends_unix_ms = shifts_int(res, row, 20);
	*out = w;
	return BATON_OK;
}

static void copy_id(char dst[40], const PGresult *res, int row, int col)
{
	snprintf(dst, 40, "%s", PQgetvalue(res, row, col));
}

baton_status swap_load(rpc_call *call, const char *swap_id, bool lock, swap_row *out)
{
	const char *params[1] = { swap_id };
	PGresult *res;
	baton_status s;

	memset(out, 0, sizeof(*out));
	if (swap_id == NULL || swap_id[0] == '\0')
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "swap: a swap id is required");
	if (!validate_uuid_shaped(swap_id))
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "'%.80s' is not a swap id", swap_id);
	/* FOR UPDATE: two takers (or a taker and a withdrawal) queue on the
	 * row, and the second one reads the state the first one left. */
	s = db_exec(call->db, &res,
	    lock ? "SELECT " SWAP_COLS " FROM " SWAP_FROM " WHERE w.id = $1::uuid FOR UPDATE OF w"
	         : "SELECT " SWAP_COLS " FROM " SWAP_FROM " WHERE w.id = $1::uuid",
	    1, params, &call->status);
	if (s != BATON_OK)
		return s;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return status_set(&call->status, BATON_NOT_FOUND, "no swap %s", swap_id);
	}
	if ((s = swap_from_row(call, res, 0, &out->msg)) == BATON_OK) {
		copy_id(out->org_id, res, 0, 23);
		copy_id(out->taker_org_id, res, 0, 24);
		copy_id(out->holder_id, res, 0, 25);
		copy_id(out->offered_to_id, res, 0, 26);
		copy_id(out->taker_id, res, 0, 27);
		out->started = PQgetvalue(res, 0, 28)[0] == 't';
		out->cancelled = PQgetvalue(res, 0, 29)[0] == 't';
	}
	PQclear(res);
	return s;
}

baton_status swap_note_check(rpc_call *call, const char *what, const char *note)
{
	/* The schema's length() counts characters, not bytes: count the
	 * UTF-8 lead bytes. */
	size_t chars = 0;

	for (const unsigned char *p = (const unsigned char *)note; *p; p++)
		chars += (*p & 0xC0) != 0x80;
	if (chars > 500)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "%s is %zu characters; at most 500", what,
		    chars);
	return BATON_OK;
}

/* The swaps the caller may see, newest first; limit NULL: all of them. */
static baton_status swap_list(rpc_call *call, const char *state, const char *slot_id, const char *limit,
    Baton__V1__Swap ***out, size_t *n)
{
	const char *params[3] = { state, slot_id, limit };
	PGresult *res;
	baton_status s;
	int rows;

	*out = NULL;
	*n = 0;
	s = db_exec(call->db, &res,
	    "SELECT " SWAP_COLS " FROM " SWAP_FROM
	    " WHERE CASE $1 WHEN '' THEN w.state IN ('offered', 'awaiting_approval') WHEN 'all' THEN true"
	    "                ELSE w.state = $1 END"
	    "   AND ($2 = '' OR w.slot_id = nullif($2, '')::uuid)"
	    " ORDER BY w.created_at DESC, w.id DESC LIMIT $3::int",
	    3, params, &call->status);
	if (s != BATON_OK)
		return s;
	rows = PQntuples(res);
	if ((*out = arena_alloc(call->arena, (size_t)(rows + 1) * sizeof(**out))) == NULL) {
		PQclear(res);
		return shifts_oom(call);
	}
	for (int r = 0; r < rows && s == BATON_OK; r++)
		if ((s = swap_from_row(call, res, r, &(*out)[*n])) == BATON_OK)
			(*n)++;
	PQclear(res);
	return s;
}

baton_status shifts_list_swaps(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__ListSwapsRequest *req = (const Baton__V1__ListSwapsRequest *)request;
	Baton__V1__ListSwapsReply *rep = (Baton__V1__ListSwapsReply *)reply;
	bool known = req->state[0] == '\0' || strcmp(req->state, "all") == 0;
	char limit[16];

	for (size_t i = 0; i < sizeof(swap_states) / sizeof(swap_states[0]); i++)
		known = known || strcmp(req->state, swap_states[i]) == 0;
	if (!known)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "state '%.40s' is not one of offered, awaiting_approval, done, withdrawn, undone, all "
		    "(empty: the open ones)", req->state);
	if (req->slot[0] != '\0' && !validate_uuid_shaped(req->slot))
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "'%.80s' is not a slot id", req->slot);
	if (req->limit < 0 || req->limit > SWAP_LIMIT_MAX)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "limit %d must be 1 to %d (0: %d)", (int)req->limit,
		    SWAP_LIMIT_MAX, SWAP_LIMIT_DEFAULT);
	snprintf(limit, sizeof(limit), "%d", req->limit == 0 ? SWAP_LIMIT_DEFAULT : (int)req->limit);
	return swap_list(call, req->state, req->slot, limit, &rep->swaps, &rep->n_swaps);
}

baton_status shifts_swaps_of_slot(rpc_call *call, const char *slot_id, Baton__V1__Swap ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!validate_uuid_shaped(slot_id))
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "'%.80s' is not a slot id", slot_id);
	return swap_list(call, "all", slot_id, NULL, out, n);
}

/* The reply's swap, read again in the caller's scope after a change. */
static baton_status swap_reload(rpc_call *call, const char *swap_id, Baton__V1__Swap **out)
{
	swap_row w;
	baton_status s = swap_load(call, swap_id, false, &w);

	*out = w.msg;
	return s;
}

/* OfferSwap's claim: a claim id, or a slot id for the caller's own seat. */
static baton_status offered_claim(rpc_call *call, const char *id, Baton__V1__Claim **out)
{
	shifts_person me;
	baton_status s;

	if (id[0] == '\0')
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "claim: a claim id, or a slot id for your own seat on it, is required");
	if (!validate_uuid_shaped(id))
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "'%.80s' is neither a claim id nor a slot id",
		    id);
	if ((s = shifts_claim_get(call, id, out)) != BATON_NOT_FOUND)
		return s;
	status_clear(&call->status);
	if ((s = shifts_person_find(call, "", &me)) != BATON_OK)
		return s;
	if ((s = shifts_claim_of(call, id, &me, out)) == BATON_NOT_FOUND)
		return status_set(&call->status, BATON_NOT_FOUND, "no claim %s, and %s holds no seat on slot %s", id,
		    me.handle, id);
	return s;
}

/* What OfferSwap needs of the slot, by the database's clock. */
static baton_status offer_slot_state(rpc_call *call, const char *slot_id, char approval[16], bool *started,
    bool *cancelled)
{
	const char *params[1] = { slot_id };
	PGresult *res;
	baton_status s;

	s = db_exec(call->db, &res,
	    "SELECT s.swap_approval, lower(s.during) <= now(), s.cancelled_at IS NOT NULL FROM slot s"
	    " WHERE s.id = $1::uuid",
	    1, params, &call->status);
	if (s != BATON_OK)
		return s;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return status_set(&call->status, BATON_NOT_FOUND, "no slot %s", slot_id);
	}
	snprintf(approval, 16, "%s", PQgetvalue(res, 0, 0));
	*started = PQgetvalue(res, 0, 1)[0] == 't';
	*cancelled = PQgetvalue(res, 0, 2)[0] == 't';
	PQclear(res);
	return BATON_OK;
}

/* The id of the claim's open swap into open_id ("" if none). */
static baton_status open_swap_of(rpc_call *call, const char *claim_id, char open_id[40])
{
	const char *params[1] = { claim_id };
	PGresult *res;
	baton_status s;

	open_id[0] = '\0';
	s = db_exec(call->db, &res,
	    "SELECT id FROM swap WHERE claim_id = $1::uuid AND state IN ('offered', 'awaiting_approval')", 1,
	    params, &call->status);
	if (s != BATON_OK)
		return s;
	if (PQntuples(res) > 0)
		copy_id(open_id, res, 0, 0);
	PQclear(res);
	return BATON_OK;
}

/* Who may offer a seat: its holder or someone acting for them. */
static baton_status offer_checks(rpc_call *call, const Baton__V1__OfferSwapRequest *req,
    const Baton__V1__Claim *claim, shifts_person *to, char approval[16])
{
	shifts_person holder;
	char open_id[40];
	bool started = false, cancelled = false;
	baton_status s;

	if (claim->released_unix_ms != 0)
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "claim %s was released; only a held seat can be offered", claim->id);
	if ((s = shifts_person_find(call, claim->principal_id, &holder)) != BATON_OK)
		return s;
	if (!shifts_acts_for(call, &holder))
		return status_set(&call->status, BATON_PERMISSION_DENIED,
		    "only %s, a manager of their organization or a lead may offer this seat", holder.handle);
	if ((s = offer_slot_state(call, claim->slot_id, approval, &started, &cancelled)) != BATON_OK)
		return s;
	if (cancelled)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "slot %s is cancelled", claim->slot_id);
	if (started)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "the shift has started; ask a lead");
	memset(to, 0, sizeof(*to));
	if (req->to[0] != '\0') {
		if ((s = shifts_person_find(call, req->to, to)) != BATON_OK)
			return s;
		if (strcmp(to->id, holder.id) == 0)
			return status_set(&call->status, BATON_INVALID_ARGUMENT,
			    "%s holds this seat; offer it to someone else", holder.handle);
	}
	if ((s = open_swap_of(call, claim->id, open_id)) != BATON_OK)
		return s;
	if (open_id[0] != '\0')
		return status_set(&call->status, BATON_ALREADY_EXISTS,
		    "this seat is already offered in swap %s; withdraw that offer first", open_id);
	return BATON_OK;
}

baton_status shifts_offer_swap(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__OfferSwapRequest *req = (const Baton__V1__OfferSwapRequest *)request;
	Baton__V1__OfferSwapReply *rep = (Baton__V1__OfferSwapReply *)reply;
	Baton__V1__Claim *claim;
	shifts_person to;
	char approval[16], swap_id[40];
	PGresult *res;
	baton_status s;

	if ((s = swap_note_check(call, "note", req->note)) != BATON_OK ||
	    (s = offered_claim(call, req->claim, &claim)) != BATON_OK ||
	    (s = offer_checks(call, req, claim, &to, approval)) != BATON_OK)
		return s;
	const char *params[7] = { claim->slot_id, claim->id, claim->org_id, call->caller.principal_id, to.id,
		req->note, approval };
	s = db_exec(call->db, &res,
	    "INSERT INTO swap (slot_id, claim_id, org_id, offered_by, offered_to, note, approval)"
	    " VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, nullif($5, '')::uuid, $6, $7) RETURNING id",
	    7, params, &call->status);
	if (s == BATON_ALREADY_EXISTS) /* swap_one_open: an offer made at the same moment */
		return status_set(&call->status, s, "this seat was just offered in another swap; withdraw that offer first");
	if (s != BATON_OK)
		return s;
	copy_id(swap_id, res, 0, 0);
	PQclear(res);
	if ((s = shifts_scope_all(call)) != BATON_OK ||
	    (s = swap_events(call, swap_id, "swap.offered", req->note, NULL)) != BATON_OK ||
	    (s = shifts_scope_caller(call)) != BATON_OK)
		return s;
	return swap_reload(call, swap_id, &rep->swap);
}

/* Whether the caller may take a swap for taker: an agent for themself, a
 * manager for people of their own organization, a lead or admin for anyone. */
static baton_status may_take_for(rpc_call *call, const shifts_person *taker)
{
	if (shifts_acts_for(call, taker))
		return BATON_OK;
	if (call->caller.role == ROLE_AGENT)
		return status_set(&call->status, BATON_PERMISSION_DENIED, "an agent takes a swap only for themself");
	if (call->caller.role == ROLE_MANAGER)
		return status_set(&call->status, BATON_PERMISSION_DENIED,
		    "a manager takes a swap only for people of their own organization, and %s is not one", taker->handle);
	return status_set(&call->status, BATON_PERMISSION_DENIED, "you may not take a swap for %s", taker->handle);
}

/*
 * Whether taker may hold a seat of the swap's slot, checked in the
 * caller's scope and told as ClaimSeat tells it; the claim_check trigger
 * and claim_no_overlap stay the backstop.
 */
static baton_status taker_fits(rpc_call *call, const swap_row *w, const shifts_person *taker)
{
	const char *params[3] = { w->msg->slot_id, taker->org_id, taker->id };
	PGresult *res;
	baton_status s;

	if (taker->role != ROLE_AGENT && taker->role != ROLE_MANAGER)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "%s is a %s; seats are for agents and managers",
		    taker->handle, session_role_str(taker->role));
	if (taker->disabled)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "%s is disabled", taker->handle);
	s = db_exec(call->db, &res,
	    "SELECT baton_slot_open_to(s.open_to_orgs, s.open_to_kinds, o.id),"
	    "       baton_language_covers(o.languages, s.language), s.language,"
	    "       coalesce(nullif(array_to_string(o.languages, ','), ''), 'no language'),"
	    "       EXISTS (SELECT 1 FROM claim c WHERE c.slot_id = s.id AND c.principal_id = $3::uuid"
	    "                  AND c.released_at IS NULL),"
	    "       coalesce((SELECT 'slot ' || c.slot_id || ' '"
	    "                        || to_char(lower(c.during) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || '-'"
	    "                        || to_char(upper(c.during) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC'"
	    "                   FROM claim c WHERE c.principal_id = $3::uuid AND c.released_at IS NULL"
	    "                    AND c.during && s.during ORDER BY lower(c.during) LIMIT 1), '')"
	    "  FROM slot s, org o WHERE s.id = $1::uuid AND o.id = $2::uuid",
	    3, params, &call->status);
	if (s != BATON_OK)
		return s;
	if (PQntuples(res) != 1 || PQgetvalue(res, 0, 0)[0] != 't')
		s = status_set(&call->status, BATON_FAILED_PRECONDITION, "slot %s is not open to %s, the organization of %s",
		    w->msg->slot_id, taker->org_name, taker->handle);
	else if (PQgetvalue(res, 0, 1)[0] != 't')
		s = status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "slot %s needs %s; %s, the organization of %s, speaks %.200s", w->msg->slot_id, PQgetvalue(res, 0, 2),
		    taker->org_name, taker->handle, PQgetvalue(res, 0, 3));
	else if (PQgetvalue(res, 0, 4)[0] == 't')
		s = status_set(&call->status, BATON_FAILED_PRECONDITION, "%s already holds a seat on slot %s",
		    taker->handle, w->msg->slot_id);
	else if (PQgetvalue(res, 0, 5)[0] != '\0')
		s = status_set(&call->status, BATON_FAILED_PRECONDITION, "%s already holds an overlapping shift: %.200s",
		    taker->handle, PQgetvalue(res, 0, 5));
	PQclear(res);
	return s;
}

static baton_status take_checks(rpc_call *call, const swap_row *w, const shifts_person *taker)
{
	baton_status s;

	if ((s = may_take_for(call, taker)) != BATON_OK)
		return s;
	if (strcmp(taker->id, w->holder_id) == 0)
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "%s holds this seat; a swap goes to someone else", taker->handle);
	if (w->offered_to_id[0] != '\0' && strcmp(taker->id, w->offered_to_id) != 0)
		return status_set(&call->status, BATON_PERMISSION_DENIED, "this offer is for %s only",
		    w->msg->offered_to[0] != '\0' ? w->msg->offered_to : "someone else");
	if (w->cancelled)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "slot %s is cancelled", w->msg->slot_id);
	if (w->started)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "the shift has started; ask a lead");
	return taker_fits(call, w, taker);
}

/* A swap that needs approval waits with its taker. */
static baton_status take_for_approval(rpc_call *call, const swap_row *w, const shifts_person *taker)
{
	const char *params[3] = { w->msg->id, taker->id, taker->org_id };
	baton_status s;

	if ((s = shifts_scope_all(call)) != BATON_OK)
		return s;
	s = db_exec(call->db, NULL,
	    "UPDATE swap SET state = 'awaiting_approval', taker_id = $2::uuid, taker_org_id = $3::uuid,"
	    "                taken_at = now()"
	    " WHERE id = $1::uuid",
	    3, params, &call->status);
	if (s != BATON_OK || (s = swap_events(call, w->msg->id, "swap.taken", "", NULL)) != BATON_OK)
		return s;
	return shifts_scope_caller(call);
}

baton_status shifts_take_swap(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__TakeSwapRequest *req = (const Baton__V1__TakeSwapRequest *)request;
	Baton__V1__TakeSwapReply *rep = (Baton__V1__TakeSwapReply *)reply;
	shifts_person taker;
	char new_claim_id[40];
	swap_row w;
	baton_status s;

	if ((s = swap_load(call, req->swap, true, &w)) != BATON_OK)
		return s;
	if (strcmp(w.msg->state, "offered") != 0)
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "swap %s is %s; only an offered swap can be taken", w.msg->id, w.msg->state);
	if ((s = shifts_person_find(call, req->for_principal, &taker)) != BATON_OK ||
	    (s = take_checks(call, &w, &taker)) != BATON_OK)
		return s;
	if (strcmp(w.msg->approval, "none") != 0) {
		if ((s = take_for_approval(call, &w, &taker)) != BATON_OK)
			return s;
		return swap_reload(call, w.msg->id, &rep->swap);
	}
	if ((s = swap_execute(call, &w, taker.id, false, NULL, new_claim_id)) != BATON_OK ||
	    (s = swap_reload(call, w.msg->id, &rep->swap)) != BATON_OK)
		return s;
	return swap_reply_claim(call, new_claim_id, &rep->claim);
}

/* approval "manager": a manager of the holder's organization; leads and
 * in-house admins always. */
static baton_status may_decide(rpc_call *call, const swap_row *w)
{
	const session_caller *me = &call->caller;

	if (me->in_house && (me->role == ROLE_LEAD || me->role == ROLE_ADMIN))
		return BATON_OK;
	if (strcmp(w->msg->approval, "manager") == 0) {
		if (me->role == ROLE_MANAGER && strcmp(me->org_id, w->org_id) == 0)
			return BATON_OK;
		return status_set(&call->status, BATON_PERMISSION_DENIED,
		    "this swap is decided by a manager of the holder's organization or a lead");
	}
	return status_set(&call->status, BATON_PERMISSION_DENIED, "this swap is decided by a lead");
}

/* Back to offered for others; the rejected taker is told. */
static baton_status reject_swap(rpc_call *call, const swap_row *w, const char *note)
{
	const char *params[3] = { w->msg->id, call->caller.principal_id, note };
	baton_status s;

	if ((s = shifts_scope_all(call)) != BATON_OK)
		return s;
	s = db_exec(call->db, NULL,
	    "UPDATE swap SET state = 'offered', taker_id = NULL, taker_org_id = NULL, taken_at = NULL,"
	    "                decided_by = $2::uuid, decided_at = now(), decision_note = $3"
	    " WHERE id = $1::uuid",
	    3, params, &call->status);
	if (s != BATON_OK || (s = swap_events(call, w->msg->id, "swap.rejected", note, w->taker_id)) != BATON_OK)
		return s;
	return shifts_scope_caller(call);
}

baton_status shifts_decide_swap(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__DecideSwapRequest *req = (const Baton__V1__DecideSwapRequest *)request;
	Baton__V1__DecideSwapReply *rep = (Baton__V1__DecideSwapReply *)reply;
	char new_claim_id[40];
	swap_row w;
	baton_status s;

	if ((s = swap_note_check(call, "note", req->note)) != BATON_OK ||
	    (s = swap_load(call, req->swap, true, &w)) != BATON_OK)
		return s;
	if (strcmp(w.msg->state, "awaiting_approval") != 0)
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "swap %s is %s; only a swap awaiting approval can be decided", w.msg->id, w.msg->state);
	if ((s = may_decide(call, &w)) != BATON_OK)
		return s;
	if (req->reject) {
		if ((s = reject_swap(call, &w, req->note)) != BATON_OK)
			return s;
		return swap_reload(call, w.msg->id, &rep->swap);
	}
	if (w.cancelled)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "slot %s is cancelled", w.msg->slot_id);
	if (w.started)
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "the shift has started; the swap can no longer be approved");
	if ((s = swap_execute(call, &w, w.taker_id, true, req->note, new_claim_id)) != BATON_OK ||
	    (s = swap_reload(call, w.msg->id, &rep->swap)) != BATON_OK)
		return s;
	return swap_reply_claim(call, new_claim_id, &rep->claim);
}

baton_status shifts_withdraw_swap(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__WithdrawSwapRequest *req = (const Baton__V1__WithdrawSwapRequest *)request;
	Baton__V1__WithdrawSwapReply *rep = (Baton__V1__WithdrawSwapReply *)reply;
	shifts_person holder;
	swap_row w;
	baton_status s;

	if ((s = swap_note_check(call, "note", req->note)) != BATON_OK ||
	    (s = swap_load(call, req->swap, true, &w)) != BATON_OK)
		return s;
	/* The holder's seat is invisible to the other organizations. */
	s = w.holder_id[0] != '\0' ? shifts_person_find(call, w.holder_id, &holder) : BATON_NOT_FOUND;
	if (s != BATON_OK && s != BATON_NOT_FOUND)
		return s;
	if (s == BATON_NOT_FOUND || !shifts_acts_for(call, &holder))
		return status_set(&call->status, BATON_PERMISSION_DENIED,
		    "only the holder, a manager of their organization or a lead may withdraw this offer");
	if (strcmp(w.msg->state, "offered") != 0 && strcmp(w.msg->state, "awaiting_approval") != 0)
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "swap %s is %s; only an open offer can be withdrawn", w.msg->id, w.msg->state);
	const char *params[3] = { w.msg->id, call->caller.principal_id, req->note };
	if ((s = shifts_scope_all(call)) != BATON_OK)
		return s;
	/* The schema keeps a taker on awaiting, done and undone swaps only. */
	s = db_exec(call->db, NULL,
	    "UPDATE swap SET state = 'withdrawn', taker_id = NULL, taker_org_id = NULL, taken_at = NULL,"
	    "                decided_by = $2::uuid, decided_at = now(), decision_note = $3"
	    " WHERE id = $1::uuid",
	    3, params, &call->status);
	if (s != BATON_OK || (s = swap_events(call, w.msg->id, "swap.withdrawn", req->note, w.taker_id)) != BATON_OK ||
	    (s = shifts_scope_caller(call)) != BATON_OK)
		return s;
	return swap_reload(call, w.msg->id, &rep->swap);
}
