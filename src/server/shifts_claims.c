/* shifts_claims.c - seats: claiming (ClaimSeat), releasing (ReleaseSeat) and listing (ListClaims). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/event.h"
#include "server/session.h"
#include "server/shifts_internal.h"
#include "server/validate.h"

/* A claim (SHIFTS_CLAIM_COLS) and, after it, an event body with the slot's
 * details, of claim $1; $2 is the acting caller's handle. */
#define CLAIM_WITH_BODY(extra) \
	"SELECT " SHIFTS_CLAIM_COLS ", jsonb_build_object('slot_id', c.slot_id, 'holder', p.handle," \
	"        'queue', s.queue, 'language', s.language, 'starts', " SQL_ISO("lower(c.during)") "," \
	"        'ends', " SQL_ISO("upper(c.during)") ", " extra ")::text" \
	"  FROM " SHIFTS_CLAIM_FROM " WHERE c.id = $1::uuid"

/* The claim of row 0 into *out, then its event (body in the last column). */
static baton_status claim_and_event(rpc_call *call, PGresult *res, const char *kind, Baton__V1__Claim **out)
{
	baton_status s;

	if (PQntuples(res) != 1)
		return status_set(&call->status, BATON_INTERNAL, "a claim just written is not visible");
	if ((s = shifts_claim_from_row(call, res, 0, 0, out)) != BATON_OK)
		return s;
	return event_append(call, (*out)->org_id, kind, (*out)->id, PQgetvalue(res, 0, SHIFTS_N_CLAIM_COLS));
}

/* "an agent", "a manager". */
static const char *a_role(unsigned role)
{
	switch (role) {
	case ROLE_AGENT:
		return "an agent";
	case ROLE_MANAGER:
		return "a manager";
	case ROLE_LEAD:
		return "a lead";
	case ROLE_ADMIN:
		return "an admin";
	case ROLE_INTEGRATION:
		return "an integration";
	default:
		return "someone";
	}
}

/* ---- ClaimSeat ----------------------------------------------------------- */

/* Who may claim a seat for whom, and whether that person may hold one. */
static baton_status claim_who_check(rpc_call *call, const shifts_person *p)
{
	const session_caller *me = &call->caller;

	if (strcmp(me->principal_id, p->id) != 0) {
		if (me->role == ROLE_AGENT)
			return status_set(&call->status, BATON_PERMISSION_DENIED,
			    "an agent claims seats only for themself, not for %s", p->handle);
		if (!shifts_acts_for(call, p))
			return status_set(&call->status, BATON_PERMISSION_DENIED,
			    "%s claims seats only for people of their own organization; %s is of %s", a_role(me->role),
			    p->handle, p->org_name);
	}
	if (p->role != ROLE_AGENT && p->role != ROLE_MANAGER)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "%s is a %s; seats are for agents and managers",
		    p->handle, session_role_str(p->role));
	if (p->disabled)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "%s is disabled", p->handle);
	return BATON_OK;
}

/* The rules the claim triggers also keep, checked first to say clearly
 * which one a claim breaks. */
static baton_status claim_rules_check(rpc_call *call, const Baton__V1__Slot *slot, const shifts_person *p)
{
	const char *params[3] = { slot->id, p->id, p->org_id };
	PGresult *res;
	baton_status s;

	if ((s = db_exec(call->db, &res,
	         "SELECT EXISTS (SELECT 1 FROM claim c WHERE c.slot_id = s.id AND c.principal_id = $2::uuid"
	         "               AND c.released_at IS NULL),"
	         "       baton_slot_open_to(s.open_to_orgs, s.open_to_kinds, o.id),"
	         "       baton_language_covers(o.languages, s.language),"
	         "       coalesce(nullif(array_to_string(o.languages, ','), ''), 'no language'),"
	         "       coalesce((SELECT 'slot ' || oc.slot_id || ' ' || " SQL_SPAN("oc.during") " || ' UTC'"
	         "                   FROM claim oc WHERE oc.principal_id = $2::uuid AND oc.released_at IS NULL"
	         "                    AND oc.slot_id <> s.id AND oc.during && s.during"
	         "                  ORDER BY lower(oc.during) LIMIT 1), '')"
	         "  FROM slot s, org o WHERE s.id = $1::uuid AND o.id = $3::uuid",
	         3, params, &call->status)) != BATON_OK)
		return s;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return status_set(&call->status, BATON_NOT_FOUND, "no slot %s", slot->id);
	}
	if (PQgetvalue(res, 0, 0)[0] == 't')
		s = status_set(&call->status, BATON_FAILED_PRECONDITION, "%s already holds a seat on slot %s", p->handle,
		    slot->id);
	else if (PQgetvalue(res, 0, 1)[0] != 't')
		s = status_set(&call->status, BATON_FAILED_PRECONDITION, "slot %s is not open to %s", slot->id, p->org_name);
	else if (PQgetvalue(res, 0, 2)[0] != 't')
		s = status_set(&call->status, BATON_FAILED_PRECONDITION, "slot %s needs %s; %s speaks %.200s", slot->id,
		    slot->language, p->org_name, PQgetvalue(res, 0, 3));
	else if (PQgetvalue(res, 0, 4)[0] != '\0')
		s = status_set(&call->status, BATON_FAILED_PRECONDITION, "%s already holds an overlapping shift: %.200s",
		    p->handle, PQgetvalue(res, 0, 4));
	else if (slot->seats_taken >= slot->seats)
		s = status_set(&call->status, BATON_FAILED_PRECONDITION, "slot %s is full (%d of %d seats claimed)", slot->id,
		    (int)slot->seats_taken, (int)slot->seats);
	PQclear(res);
	return s;
}

/* The constraints refused the claim after the checks passed: someone got
 * there at the same moment. Say so as the checks would have. */
static baton_status claim_race_message(rpc_call *call, baton_status s, const Baton__V1__Slot *slot,
    const shifts_person *p)
{
	if (s != BATON_FAILED_PRECONDITION)
		return s;
	if (strstr(call->status.text, "slot_capacity") != NULL)
		return status_set(&call->status, s, "slot %s is full (%d of %d seats claimed)", slot->id, (int)slot->seats,
		    (int)slot->seats);
	if (strstr(call->status.text, "claim_no_overlap") != NULL)
		return status_set(&call->status, s, "%s already holds an overlapping shift", p->handle);
	if (strstr(call->status.text, "slot_cancelled_is_empty") != NULL)
		return status_set(&call->status, s, "slot %s is cancelled", slot->id);
	return s;
}

baton_status shifts_claim_seat(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__ClaimSeatRequest *req = (const Baton__V1__ClaimSeatRequest *)request;
	Baton__V1__ClaimSeatReply *rep = (Baton__V1__ClaimSeatReply *)reply;
	shifts_person p;
	shifts_slot_row slot;
	PGresult *res;
	baton_status s;

	if (!validate_uuid_shaped(req->slot))
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "'%.80s' is not a slot id", req->slot);
	if ((s = shifts_person_find(call, req->for_principal, &p)) != BATON_OK ||
	    (s = claim_who_check(call, &p)) != BATON_OK || (s = shifts_slot_load(call, req->slot, false, &slot)) != BATON_OK)
		return s;
	if (slot.slot->cancelled_unix_ms != 0)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "slot %s is cancelled", slot.slot->id);
	if (slot.ended)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "slot %s has ended", slot.slot->id);
	if ((s = claim_rules_check(call, slot.slot, &p)) != BATON_OK)
		return s;
	const char *ins[3] = { slot.slot->id, p.id, call->caller.principal_id };
	s = db_exec(call->db, &res, "INSERT INTO claim (slot_id, principal_id, claimed_by) VALUES ($1, $2, $3) RETURNING id",
	    3, ins, &call->status);
	if (s != BATON_OK)
		return claim_race_message(call, s, slot.slot, &p);
	char *id = shifts_col(call, res, 0, 0);
	PQclear(res);
	if (id == NULL)
		return shifts_oom(call);
	const char *params[2] = { id, call->caller.handle };
	if ((s = db_exec(call->db, &res, CLAIM_WITH_BODY("'claimed_by', $2::text"), 2, params, &call->status)) != BATON_OK)
		return s;
	s = claim_and_event(call, res, "claim.added", &rep->claim);
	PQclear(res);
	return s;
}

/* ---- ReleaseSeat --------------------------------------------------------- */

/* The claim a release names: a claim id, or a slot id and a person ("" is
 * the caller). */
static baton_status release_target(rpc_call *call, const Baton__V1__ReleaseSeatRequest *req, Baton__V1__Claim **out)
{
	shifts_person p;
	baton_status s;

	if (!validate_uuid_shaped(req->claim))
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "'%.80s' is not a claim or slot id", req->claim);
	if (req->for_principal[0] == '\0') {
		if ((s = shifts_claim_get(call, req->claim, out)) != BATON_NOT_FOUND)
			return s;
		status_clear(&call->status);
	}
	if ((s = shifts_person_find(call, req->for_principal, &p)) != BATON_OK)
		return s;
	s = shifts_claim_of(call, req->claim, &p, out);
	if (s == BATON_NOT_FOUND && req->for_principal[0] == '\0')
		return status_set(&call->status, s, "no claim %s, and you hold no seat on a slot of that id", req->claim);
	return s;
}

/* "24 h", "90 min", "45 s". */
static void cutoff_text(int64_t s, char out[32])
{
	if (s % 3600 == 0)
		snprintf(out, 32, "%lld h", (long long)(s / 3600));
	else if (s % 60 == 0)
		snprintf(out, 32, "%lld min", (long long)(s / 60));
	else
		snprintf(out, 32, "%lld s", (long long)s);
}

/* Who may release for whom: the holder, their manager, an in-house lead
 * or admin. */
static baton_status release_who_check(rpc_call *call, const shifts_person *holder)
{
	const session_caller *me = &call->caller;

	if (strcmp(me->principal_id, holder->id) == 0)
		return BATON_OK;
	if (me->role == ROLE_AGENT)
		return status_set(&call->status, BATON_PERMISSION_DENIED, "an agent releases only their own seat, not %s's",
		    holder->handle);
	if (!shifts_acts_for(call, holder))
		return status_set(&call->status, BATON_PERMISSION_DENIED,
		    "%s releases seats only of people of their own organization; %s is of %s", a_role(me->role),
		    holder->handle, holder->org_name);
	return BATON_OK;
}

/* Until the cut-off anyone release_who_check allows; after it, until the
 * end, only an in-house lead or admin. */
static baton_status release_when_check(rpc_call *call, const shifts_slot_row *slot)
{
	const session_caller *me = &call->caller;
	char cut[32];

	if (slot->ended)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "slot %s has ended", slot->slot->id);
	if (slot->cutoff_passed && !(me->in_house && (me->role == ROLE_LEAD || me->role == ROLE_ADMIN))) {
		cutoff_text(slot->slot->release_cutoff_s, cut);
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "the release cut-off (%s before the start) has passed; offer a swap or ask a lead", cut);
	}
	return BATON_OK;
}

baton_status shifts_release_seat(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__ReleaseSeatRequest *req = (const Baton__V1__ReleaseSeatRequest *)request;
	Baton__V1__ReleaseSeatReply *rep = (Baton__V1__ReleaseSeatReply *)reply;
	Baton__V1__Claim *claim;
	shifts_person holder;
	shifts_slot_row slot;
	char ids[48];
	PGresult *res;
	baton_status s;

	if ((s = shifts_check_note(call, "reason", req->reason)) != BATON_OK ||
	    (s = release_target(call, req, &claim)) != BATON_OK)
		return s;
	if ((s = shifts_person_find(call, claim->principal_id, &holder)) != BATON_OK ||
	    (s = release_who_check(call, &holder)) != BATON_OK)
		return s;
	if (claim->released_unix_ms != 0)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "claim %s is already released", claim->id);
	if ((s = shifts_slot_load(call, claim->slot_id, false, &slot)) != BATON_OK ||
	    (s = release_when_check(call, &slot)) != BATON_OK)
		return s;
	/* The condition is in the UPDATE: of two racing releases one wins. */
	const char *upd[3] = { claim->id, call->caller.principal_id, req->reason };
	if ((s = db_exec(call->db, &res,
	         "UPDATE claim SET released_at = now(), released_by = $2::uuid, released_reason = nullif($3, '')"
	         " WHERE id = $1::uuid AND released_at IS NULL RETURNING id",
	         3, upd, &call->status)) != BATON_OK)
		return s;
	bool released = PQntuples(res) == 1;
	PQclear(res);
	if (!released)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "claim %s is already released", claim->id);
	snprintf(ids, sizeof(ids), "{%s}", claim->id);
	if ((s = shifts_withdraw_offers(call, ids, "seat released", NULL)) != BATON_OK)
		return s;
	const char *params[3] = { claim->id, call->caller.handle, req->reason };
	if ((s = db_exec(call->db, &res, CLAIM_WITH_BODY("'released_by', $2::text, 'reason', $3::text"), 3, params,
	         &call->status)) != BATON_OK)
		return s;
	s = claim_and_event(call, res, "claim.released", &rep->claim);
	PQclear(res);
	return s;
}

/* ---- ListClaims ---------------------------------------------------------- */

/* Whose claims a listing covers: "all", "org" (the caller's organization)
 * or "one" (*id). */
static baton_status list_whose(rpc_call *call, const char *principal, const char **scope, char id[40])
{
	const session_caller *me = &call->caller;
	shifts_person p;
	baton_status s;

	snprintf(id, 40, "%s", me->principal_id);
	*scope = "one";
	if (strcmp(principal, "*") == 0) {
		if (me->in_house && (me->role == ROLE_LEAD || me->role == ROLE_ADMIN))
			*scope = "all";
		else if (me->role == ROLE_MANAGER)
			*scope = "org";
		else
			return status_set(&call->status, BATON_PERMISSION_DENIED,
			    "%s lists only their own claims; \"*\" is for managers, leads and admins", a_role(me->role));
		return BATON_OK;
	}
	if (principal[0] == '\0')
		return BATON_OK;
	if ((s = shifts_person_find(call, principal, &p)) != BATON_OK)
		return s;
	if (!shifts_acts_for(call, &p))
		return status_set(&call->status, BATON_PERMISSION_DENIED, "%s may not list the claims of %s (%s of %s)",
		    a_role(me->role), p.handle, session_role_str(p.role), p.org_name);
	snprintf(id, 40, "%s", p.id);
	return BATON_OK;
}

baton_status shifts_list_claims(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__ListClaimsRequest *req = (const Baton__V1__ListClaimsRequest *)request;
	Baton__V1__ListClaimsReply *rep = (Baton__V1__ListClaimsReply *)reply;
	char id[40], from[24], to[24], limit_text[16];
	const char *scope;
	int32_t limit = 0;
	PGresult *res;
	baton_status s;

	if ((s = shifts_limit(call, req->limit, &limit)) != BATON_OK)
		return s;
	if (req->from_unix_ms < 0 || req->to_unix_ms < 0)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "from and to are ms since the epoch (0: unset)");
	if (req->from_unix_ms != 0 && req->to_unix_ms != 0 && req->to_unix_ms <= req->from_unix_ms)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "to (%lld) must be after from (%lld)",
		    (long long)req->to_unix_ms, (long long)req->from_unix_ms);
	if ((s = list_whose(call, req->principal, &scope, id)) != BATON_OK)
		return s;
	snprintf(from, sizeof(from), "%lld", (long long)req->from_unix_ms);
	snprintf(to, sizeof(to), "%lld", (long long)req->to_unix_ms);
	snprintf(limit_text, sizeof(limit_text), "%d", (int)limit);
	const char *params[7] = { scope, call->caller.org_id, id, from, to, req->include_released ? "t" : "f",
		limit_text };
	if ((s = db_exec(call->db, &res,
	         "SELECT " SHIFTS_CLAIM_COLS " FROM " SHIFTS_CLAIM_FROM
	         " WHERE ($1 = 'all' OR ($1 = 'org' AND c.org_id = $2::uuid) OR ($1 = 'one' AND c.principal_id = $3::uuid))"
	         "   AND ($4::bigint = 0 OR upper(c.during) > to_timestamp($4::bigint / 1000.0))"
	         "   AND ($5::bigint = 0 OR lower(c.during) < to_timestamp($5::bigint / 1000.0))"
	         "   AND ($6::boolean OR c.released_at IS NULL)"
	         " ORDER BY lower(c.during), c.created_at, c.id LIMIT $7::int",
	         7, params, &call->status)) != BATON_OK)
		return s;
	int rows = PQntuples(res);
	if ((rep->claims = arena_alloc(call->arena, (size_t)(rows + 1) * sizeof(*rep->claims))) == NULL) {
		PQclear(res);
		return shifts_oom(call);
	}
	for (int r = 0; r < rows && s == BATON_OK; r++)
		s = shifts_claim_from_row(call, res, r, 0, &rep->claims[rep->n_claims++]);
	PQclear(res);
	return s;
}
