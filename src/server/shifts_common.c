/* shifts_common.c - what the Shifts service's files share: rows to messages, lookups, who may act for whom. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/session.h"
#include "server/shifts.h"
#include "server/validate.h"

baton_status shifts_oom(rpc_call *call)
{
	return status_set(&call->status, BATON_RESOURCE_EXHAUSTED, "out of memory");
}

char *shifts_col(rpc_call *call, const PGresult *res, int row, int c)
{
	return arena_strndup(call->arena, PQgetvalue(res, row, c), (size_t)PQgetlength(res, row, c));
}

int64_t shifts_int(const PGresult *res, int row, int c)
{
	return strtoll(PQgetvalue(res, row, c), NULL, 10);
}

baton_status shifts_slot_from_row(rpc_call *call, const PGresult *res, int row, int c, Baton__V1__Slot **out)
{
	Baton__V1__Slot *s = arena_alloc(call->arena, sizeof(*s));

	if (s == NULL)
		return shifts_oom(call);
	baton__v1__slot__init(s);
	s->id = shifts_col(call, res, row, c + 0);
	s->queue = shifts_col(call, res, row, c + 1);
	s->language = shifts_col(call, res, row, c + 2);
	s->starts_unix_ms = shifts_int(res, row, c + 3);
	s->ends_unix_ms = shifts_int(res, row, c + 4);
	s->seats = (int32_t)shifts_int(res, row, c + 5);
	s->seats_taken = (int32_t)shifts_int(res, row, c + 6);
	s->open_to_orgs = arena_split(call->arena, PQgetvalue(res, row, c + 7), &s->n_open_to_orgs);
	s->open_to_kinds = arena_split(call->arena, PQgetvalue(res, row, c + 8), &s->n_open_to_kinds);
	s->swap_approval = shifts_col(call, res, row, c + 9);
	s->release_cutoff_s = shifts_int(res, row, c + 10);
	s->note = shifts_col(call, res, row, c + 11);
	s->series_id = shifts_col(call, res, row, c + 12);
	s->cancelled_unix_ms = shifts_int(res, row, c + 13);
	s->cancelled_reason = shifts_col(call, res, row, c + 14);
	s->created_unix_ms = shifts_int(res, row, c + 15);
	if (s->id == NULL || s->queue == NULL || s->language == NULL || s->open_to_orgs == NULL ||
	    s->open_to_kinds == NULL || s->swap_approval == NULL || s->note == NULL || s->series_id == NULL ||
	    s->cancelled_reason == NULL)
		return shifts_oom(call);
	*out = s;
	return BATON_OK;
}

baton_status shifts_claim_from_row(rpc_call *call, const PGresult *res, int row, int c, Baton__V1__Claim **out)
{
	Baton__V1__Claim *k = arena_alloc(call->arena, sizeof(*k));

	if (k == NULL)
		return shifts_oom(call);
	baton__v1__claim__init(k);
	k->id = shifts_col(call, res, row, c + 0);
	k->slot_id = shifts_col(call, res, row, c + 1);
	k->principal_id = shifts_col(call, res, row, c + 2);
	k->handle = shifts_col(call, res, row, c + 3);
	k->org_id = shifts_col(call, res, row, c + 4);
	k->org_name = shifts_col(call, res, row, c + 5);
	k->starts_unix_ms = shifts_int(res, row, c + 6);
	k->ends_unix_ms = shifts_int(res, row, c + 7);
	k->queue = shifts_col(call, res, row, c + 8);
	k->language = shifts_col(call, res, row, c + 9);
	k->claimed_by = shifts_col(call, res, row, c + 10);
	k->via_swap = shifts_col(call, res, row, c + 11);
	k->created_unix_ms = shifts_int(res, row, c + 12);
	k->released_unix_ms = shifts_int(res, row, c + 13);
	k->released_by = shifts_col(call, res, row, c + 14);
	k->released_reason = shifts_col(call, res, row, c + 15);
	if (k->id == NULL || k->slot_id == NULL || k->principal_id == NULL || k->handle == NULL ||
	    k->org_id == NULL || k->org_name == NULL || k->queue == NULL || k->language == NULL ||
	    k->claimed_by == NULL || k->via_swap == NULL || k->released_by == NULL || k->released_reason == NULL)
		return shifts_oom(call);
	*out = k;
	return BATON_OK;
}

baton_status shifts_person_find(rpc_call *call, const char *handle_or_id, shifts_person *out)
{
	const char *who = handle_or_id != NULL && handle_or_id[0] != '\0' ? handle_or_id : call->caller.principal_id;
	const char *params[1] = { who };
	PGresult *res;
	baton_status s;

	memset(out, 0, sizeof(*out));
	s = db_exec_prepared(call->db, &res,
	    validate_uuid_shaped(who)
	        ? "SELECT p.id, p.handle, p.org_id, o.name, o.kind, p.role, p.disabled_at IS NOT NULL"
	          " FROM principal p JOIN org o ON o.id = p.org_id WHERE p.id = $1::uuid"
	        : "SELECT p.id, p.handle, p.org_id, o.name, o.kind, p.role, p.disabled_at IS NOT NULL"
	          " FROM principal p JOIN org o ON o.id = p.org_id WHERE p.handle = $1",
	    1, params, &call->status);
	if (s != BATON_OK)
		return s;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return status_set(&call->status, BATON_NOT_FOUND, "no principal '%.80s'", who);
	}
	snprintf(out->id, sizeof(out->id), "%s", PQgetvalue(res, 0, 0));
	snprintf(out->handle, sizeof(out->handle), "%s", PQgetvalue(res, 0, 1));
	snprintf(out->org_id, sizeof(out->org_id), "%s", PQgetvalue(res, 0, 2));
	snprintf(out->org_name, sizeof(out->org_name), "%s", PQgetvalue(res, 0, 3));
	snprintf(out->org_kind, sizeof(out->org_kind), "%s", PQgetvalue(res, 0, 4));
	out->role = session_role_from_str(PQgetvalue(res, 0, 5));
	out->disabled = PQgetvalue(res, 0, 6)[0] == 't';
	PQclear(res);
	return BATON_OK;
}

baton_status shifts_slot_get(rpc_call *call, const char *slot_id, bool lock, Baton__V1__Slot **out)
{
	const char *params[1] = { slot_id };
	PGresult *res;
	baton_status s;

	if (!validate_uuid_shaped(slot_id))
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "'%.80s' is not a slot id", slot_id);
	s = db_exec_prepared(call->db, &res,
	    lock ? "SELECT " SHIFTS_SLOT_COLS " FROM slot s WHERE s.id = $1::uuid FOR UPDATE OF s"
	         : "SELECT " SHIFTS_SLOT_COLS " FROM slot s WHERE s.id = $1::uuid",
	    1, params, &call->status);
	if (s != BATON_OK)
		return s;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return status_set(&call->status, BATON_NOT_FOUND, "no slot %s", slot_id);
	}
	s = shifts_slot_from_row(call, res, 0, 0, out);
	PQclear(res);
	return s;
}

static baton_status claim_query(rpc_call *call, const char *where, int n, const char *const *params,
    const char *missing, Baton__V1__Claim **out)
{
	char sql[2048];
	PGresult *res;
	baton_status s;

	snprintf(sql, sizeof(sql), "SELECT " SHIFTS_CLAIM_COLS " FROM " SHIFTS_CLAIM_FROM " WHERE %s", where);
	if ((s = db_exec_prepared(call->db, &res, sql, n, params, &call->status)) != BATON_OK)
		return s;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return status_set(&call->status, BATON_NOT_FOUND, "%s", missing);
	}
	s = shifts_claim_from_row(call, res, 0, 0, out);
	PQclear(res);
	return s;
}

baton_status shifts_claim_get(rpc_call *call, const char *claim_id, Baton__V1__Claim **out)
{
	char missing[120];
	const char *params[1] = { claim_id };

	if (!validate_uuid_shaped(claim_id))
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "'%.80s' is not a claim id", claim_id);
	snprintf(missing, sizeof(missing), "no claim %s", claim_id);
	return claim_query(call, "c.id = $1::uuid", 1, params, missing, out);
}

baton_status shifts_claim_of(rpc_call *call, const char *slot_id, const shifts_person *person,
    Baton__V1__Claim **out)
{
	char missing[200];
	const char *params[2] = { slot_id, person->id };

	if (!validate_uuid_shaped(slot_id))
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "'%.80s' is not a slot or claim id", slot_id);
	snprintf(missing, sizeof(missing), "%s holds no seat on slot %s", person->handle, slot_id);
	return claim_query(call, "c.slot_id = $1::uuid AND c.principal_id = $2::uuid AND c.released_at IS NULL", 2,
	    params, missing, out);
}

bool shifts_acts_for(const rpc_call *call, const shifts_person *p)
{
	const session_caller *me = &call->caller;

	if (strcmp(me->principal_id, p->id) == 0)
		return true;
	if (me->in_house && (me->role == ROLE_LEAD || me->role == ROLE_ADMIN))
		return true;
	return me->role == ROLE_MANAGER && strcmp(me->org_id, p->org_id) == 0;
}

baton_status shifts_scope_all(rpc_call *call)
{
	return db_exec_prepared(call->db, NULL, "SELECT set_config('baton.scope', 'all', true)", 0, NULL, &call->status);
}

baton_status shifts_scope_caller(rpc_call *call)
{
	return db_exec_prepared(call->db, NULL,
	    call->caller.in_house ? "SELECT set_config('baton.scope', 'all', true)"
	                          : "SELECT set_config('baton.scope', 'org', true)",
	    0, NULL, &call->status);
}
