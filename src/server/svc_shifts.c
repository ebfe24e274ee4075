/* svc_shifts.c - baton.v1.Shifts: the method table, and listing, showing, editing and cancelling slots. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton/v1/shifts.pb-c.h"
#include "server/event.h"
#include "server/services.h"
#include "server/shifts_internal.h"
#include "server/shifts_swap.h"
#include "server/validate.h"

/* A slot, where it stands in time, and its row as JSON. */
#define SLOT_LOAD \
	"SELECT " SHIFTS_SLOT_COLS ", lower(s.during) <= now(), upper(s.during) <= now()," \
	" lower(s.during) - s.release_cutoff <= now(), to_jsonb(s)::text FROM slot s WHERE s.id = $1::uuid"

baton_status shifts_slot_load(rpc_call *call, const char *slot_id, bool lock, shifts_slot_row *out)
{
	const char *params[1] = { slot_id };
	PGresult *res;
	baton_status s;

	memset(out, 0, sizeof(*out));
	if (!validate_uuid_shaped(slot_id))
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "'%.80s' is not a slot id", slot_id);
	if ((s = db_exec(call->db, &res, lock ? SLOT_LOAD " FOR UPDATE OF s" : SLOT_LOAD, 1, params, &call->status)) !=
	    BATON_OK)
		return s;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return status_set(&call->status, BATON_NOT_FOUND, "no slot %s", slot_id);
	}
	if ((s = shifts_slot_from_row(call, res, 0, 0, &out->slot)) == BATON_OK) {
		out->started = PQgetvalue(res, 0, SHIFTS_N_SLOT_COLS)[0] == 't';
		out->ended = PQgetvalue(res, 0, SHIFTS_N_SLOT_COLS + 1)[0] == 't';
		out->cutoff_passed = PQgetvalue(res, 0, SHIFTS_N_SLOT_COLS + 2)[0] == 't';
		if ((out->json = shifts_col(call, res, 0, SHIFTS_N_SLOT_COLS + 3)) == NULL)
			s = shifts_oom(call);
	}
	PQclear(res);
	return s;
}

baton_status shifts_limit(rpc_call *call, int32_t limit, int32_t *out)
{
	if (limit < 0 || limit > SHIFTS_LIMIT_MAX)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "limit %d must be 1 to %d (0: %d)", (int)limit,
		    SHIFTS_LIMIT_MAX, SHIFTS_LIMIT_DEFAULT);
	*out = limit == 0 ? SHIFTS_LIMIT_DEFAULT : limit;
	return BATON_OK;
}

/* Appends one event per row of res: (subject id, org id or NULL, body). */
static baton_status events_from_rows(rpc_call *call, const PGresult *res, const char *kind)
{
	baton_status s = BATON_OK;

	for (int r = 0; r < PQntuples(res) && s == BATON_OK; r++)
		s = event_append(call, PQgetisnull(res, r, 1) ? NULL : PQgetvalue(res, r, 1), kind, PQgetvalue(res, r, 0),
		    PQgetvalue(res, r, 2));
	return s;
}

baton_status shifts_withdraw_offers(rpc_call *call, const char *claim_ids, const char *note, int *n)
{
	const char *params[3] = { claim_ids, call->caller.principal_id, note };
	PGresult *res;
	baton_status s;

	/* The schema keeps a taker on awaiting, done and undone swaps only; a
	 * taker waiting for approval is told through the swap's events. */
	if ((s = db_exec(call->db, &res,
	         "UPDATE swap sw SET state = 'withdrawn', taker_id = NULL, taker_org_id = NULL, taken_at = NULL,"
	         "                   decided_by = $2::uuid, decided_at = now(), decision_note = $3"
	         "  FROM (SELECT o.id, o.taker_id FROM swap o"
	         "         WHERE o.claim_id = ANY ($1::uuid[]) AND o.state IN ('offered', 'awaiting_approval')"
	         "         ORDER BY o.id FOR UPDATE) old"
	         " WHERE sw.id = old.id RETURNING sw.id, coalesce(old.taker_id::text, '')",
	         3, params, &call->status)) != BATON_OK)
		return s;
	if (n != NULL)
		*n = PQntuples(res);
	if (PQntuples(res) > 0 && (s = shifts_scope_all(call)) == BATON_OK) {
		for (int r = 0; r < PQntuples(res) && s == BATON_OK; r++)
			s = swap_events(call, PQgetvalue(res, r, 0), "swap.withdrawn", note, PQgetvalue(res, r, 1));
		if (s == BATON_OK)
			s = shifts_scope_caller(call);
	}
	PQclear(res);
	return s;
}

static baton_status list_slots(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__ListSlotsRequest *req = (const Baton__V1__ListSlotsRequest *)request;
	Baton__V1__ListSlotsReply *rep = (Baton__V1__ListSlotsReply *)reply;
	char from[24], to[24], limit_text[16];
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
	if (req->series_id[0] != '\0' && !validate_uuid_shaped(req->series_id))
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "'%.80s' is not a series id", req->series_id);
	snprintf(from, sizeof(from), "%lld", (long long)req->from_unix_ms);
	snprintf(to, sizeof(to), "%lld", (long long)req->to_unix_ms);
	snprintf(limit_text, sizeof(limit_text), "%d", (int)limit);
	const char *params[10] = { from, to, req->queue, req->language, req->include_cancelled ? "t" : "f",
		req->only_free ? "t" : "f", req->mine ? "t" : "f", call->caller.principal_id, req->series_id, limit_text };
	if ((s = db_exec(call->db, &res,
	         "SELECT " SHIFTS_SLOT_COLS " FROM slot s"
	         " WHERE upper(s.during) > CASE WHEN $1::bigint = 0 THEN now() ELSE to_timestamp($1::bigint / 1000.0) END"
	         "   AND ($2::bigint = 0 OR lower(s.during) < to_timestamp($2::bigint / 1000.0))"
	         "   AND ($3 = '' OR s.queue = $3)"
	         "   AND ($4 = '' OR lower(s.language) = lower($4))"
	         "   AND ($5::boolean OR s.cancelled_at IS NULL)"
	         "   AND (NOT $6::boolean OR (s.seats_taken < s.seats AND s.cancelled_at IS NULL"
	         "                            AND upper(s.during) > now()))"
	         "   AND (NOT $7::boolean OR EXISTS (SELECT 1 FROM claim c WHERE c.slot_id = s.id"
	         "                                   AND c.principal_id = $8::uuid AND c.released_at IS NULL))"
	         "   AND ($9 = '' OR s.series_id = nullif($9, '')::uuid)"
	         " ORDER BY lower(s.during), s.queue, s.id LIMIT $10::int",
	         10, params, &call->status)) != BATON_OK)
		return s;
	int rows = PQntuples(res);
	if ((rep->slots = arena_alloc(call->arena, (size_t)(rows + 1) * sizeof(*rep->slots))) == NULL) {
		PQclear(res);
		return shifts_oom(call);
	}
	for (int r = 0; r < rows && s == BATON_OK; r++)
		s = shifts_slot_from_row(call, res, r, 0, &rep->slots[rep->n_slots++]);
	PQclear(res);
	return s;
}

static baton_status show_slot(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__ShowSlotRequest *req = (const Baton__V1__ShowSlotRequest *)request;
	Baton__V1__ShowSlotReply *rep = (Baton__V1__ShowSlotReply *)reply;
	PGresult *res;
	baton_status s;

	if ((s = shifts_slot_get(call, req->slot, false, &rep->slot)) != BATON_OK)
		return s;
	const char *params[1] = { rep->slot->id };
	if ((s = db_exec(call->db, &res,
	         "SELECT " SHIFTS_CLAIM_COLS " FROM " SHIFTS_CLAIM_FROM " WHERE c.slot_id = $1::uuid"
	         " ORDER BY c.released_at IS NOT NULL, c.created_at, c.id",
	         1, params, &call->status)) != BATON_OK)
		return s;
	int rows = PQntuples(res);
	Baton__V1__Slot *slot = rep->slot;
	if ((slot->claims = arena_alloc(call->arena, (size_t)(rows + 1) * sizeof(*slot->claims))) == NULL) {
		PQclear(res);
		return shifts_oom(call);
	}
	for (int r = 0; r < rows && s == BATON_OK; r++)
		s = shifts_claim_from_row(call, res, r, 0, &slot->claims[slot->n_claims++]);
	PQclear(res);
	if (s != BATON_OK)
		return s;
	return shifts_swaps_of_slot(call, slot->id, &rep->swaps, &rep->n_swaps);
}

/* ---- CancelSlot ---------------------------------------------------------- */

/* The slots a cancellation covers, as a uuid[] literal: the slot, and with
 * rest the later ones of its series that have not started (locked). */
static baton_status cancel_targets(rpc_call *call, const shifts_slot_row *first, bool rest, char **ids)
{
	const char *params[2] = { first->slot->series_id, first->slot->id };
	PGresult *res;
	baton_status s;

	if (!rest) {
		if ((*ids = arena_alloc(call->arena, 64)) == NULL)
			return shifts_oom(call);
		snprintf(*ids, 64, "{%s}", first->slot->id);
		return BATON_OK;
	}
	if (first->slot->series_id[0] == '\0')
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "slot %s was not published weekly; it has no rest of series", first->slot->id);
	if ((s = db_exec(call->db, &res,
	         "SELECT s.id FROM slot s"
	         " WHERE s.id = $2::uuid"
	         "    OR (s.series_id = $1::uuid AND s.cancelled_at IS NULL AND lower(s.during) > now()"
	         "        AND lower(s.during) > (SELECT lower(f.during) FROM slot f WHERE f.id = $2::uuid))"
	         " ORDER BY s.id <> $2::uuid, lower(s.during) FOR UPDATE OF s",
	         2, params, &call->status)) != BATON_OK)
		return s;
	int rows = PQntuples(res);
	size_t len = 0, cap = (size_t)rows * 40 + 3;
	if ((*ids = arena_alloc(call->arena, cap)) == NULL) {
		PQclear(res);
		return shifts_oom(call);
	}
	(*ids)[len++] = '{';
	for (int r = 0; r < rows; r++)
		len += (size_t)snprintf(*ids + len, cap - len, "%s%s", r ? "," : "", PQgetvalue(res, r, 0));
	snprintf(*ids + len, cap - len, "}");
	PQclear(res);
	return BATON_OK;
}

/* Releases every active claim of the slots (withdrawing their open offers
 * first), with a 'claim.cancelled' event for each. */
static baton_status cancel_claims(rpc_call *call, const char *ids, const char *reason, int32_t *released)
{
	const char *params[4] = { ids, call->caller.principal_id, reason, call->caller.handle };
	PGresult *res;
	baton_status s;

	if ((s = db_exec(call->db, &res,
	         "SELECT coalesce(array_agg(c.id)::text, '{}') FROM claim c"
	         " WHERE c.slot_id = ANY ($1::uuid[]) AND c.released_at IS NULL",
	         1, params, &call->status)) != BATON_OK)
		return s;
	char *claims = shifts_col(call, res, 0, 0);
	PQclear(res);
	if (claims == NULL)
		return shifts_oom(call);
	if ((s = shifts_withdraw_offers(call, claims, "slot cancelled", NULL)) != BATON_OK)
		return s;
	if ((s = db_exec(call->db, &res,
	         "WITH r AS (UPDATE claim c SET released_at = now(), released_by = $2::uuid,"
	         "             released_reason = CASE WHEN $3 = '' THEN 'slot cancelled' ELSE 'slot cancelled: ' || $3 END"
	         "            WHERE c.slot_id = ANY ($1::uuid[]) AND c.released_at IS NULL"
	         "            RETURNING c.id, c.org_id, c.slot_id, c.principal_id)"
	         " SELECT r.id, r.org_id, jsonb_build_object('slot_id', r.slot_id, 'holder', p.handle,"
	         "        'cancelled_by', $4::text, 'reason', $3::text)::text"
	         "   FROM r JOIN principal p ON p.id = r.principal_id ORDER BY r.slot_id, p.handle",
	         4, params, &call->status)) != BATON_OK)
		return s;
	*released = PQntuples(res);
	s = events_from_rows(call, res, "claim.cancelled");
	PQclear(res);
	return s;
}

static baton_status cancel_slot(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__CancelSlotRequest *req = (const Baton__V1__CancelSlotRequest *)request;
	Baton__V1__CancelSlotReply *rep = (Baton__V1__CancelSlotReply *)reply;
	shifts_slot_row first;
	char *ids;
	PGresult *res;
	baton_status s;

	if ((s = shifts_check_note(call, "reason", req->reason)) != BATON_OK ||
	    (s = shifts_slot_load(call, req->slot, true, &first)) != BATON_OK)
		return s;
	if (first.slot->cancelled_unix_ms != 0)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "slot %s is already cancelled", first.slot->id);
	if (first.ended)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "slot %s has ended; it stays as it was",
		    first.slot->id);
	if ((s = cancel_targets(call, &first, req->rest_of_series, &ids)) != BATON_OK ||
	    (s = cancel_claims(call, ids, req->reason, &rep->claims_released)) != BATON_OK)
		return s;
	/* Only now: slot_cancelled_is_empty wants the seats released first. */
	const char *params[2] = { ids, req->reason };
	if ((s = db_exec(call->db, &res,
	         "WITH u AS (UPDATE slot s SET cancelled_at = now(), cancelled_reason = nullif($2, '')"
	         "            WHERE s.id = ANY ($1::uuid[]) RETURNING *)"
	         " SELECT " SHIFTS_SLOT_COLS ", jsonb_build_object('reason', $2::text, 'queue', s.queue,"
	         "        'language', s.language, 'starts', " SQL_ISO("lower(s.during)") ","
	         "        'ends', " SQL_ISO("upper(s.during)") ", 'series_id', s.series_id,"
	         "        'claims_released', (SELECT count(*) FROM claim c WHERE c.slot_id = s.id"
	         "                            AND c.released_at = now()))::text"
	         "   FROM u s ORDER BY lower(s.during), s.id",
	         2, params, &call->status)) != BATON_OK)
		return s;
	int rows = PQntuples(res);
	if ((rep->slots = arena_alloc(call->arena, (size_t)(rows + 1) * sizeof(*rep->slots))) == NULL) {
		PQclear(res);
		return shifts_oom(call);
	}
	for (int r = 0; r < rows && s == BATON_OK; r++)
		s = shifts_slot_from_row(call, res, r, 0, &rep->slots[rep->n_slots++]);
	for (int r = 0; r < rows && s == BATON_OK; r++)
		s = event_append(call, NULL, "slot.cancelled", PQgetvalue(res, r, 0), PQgetvalue(res, r, SHIFTS_N_SLOT_COLS));
	PQclear(res);
	return s;
}

/* ---- EditSlot ------------------------------------------------------------ */

enum {
	CH_QUEUE = 1 << 0,
	CH_LANGUAGE = 1 << 1,
	CH_TIME = 1 << 2,
	CH_SEATS = 1 << 3,
	CH_OPEN_TO = 1 << 4,
	CH_SWAP_APPROVAL = 1 << 5,
	CH_CUTOFF = 1 << 6,
	CH_NOTE = 1 << 7,
};
static const char *const change_names[] = { "queue", "language", "time", "seats", "open_to", "swap_approval",
	"release_cutoff", "note" };
#define N_CHANGES (sizeof(change_names) / sizeof(change_names[0]))
#define CHANGE_LIST "queue, language, time, seats, open_to, swap_approval, release_cutoff, note"

/* The field mask as bits and as a text[] literal. */
static baton_status parse_change(rpc_call *call, char *const *names, size_t n, unsigned *mask, char list[128])
{
	size_t len = 0;

	*mask = 0;
	if (n == 0)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "change names no field; name some of " CHANGE_LIST);
	list[len++] = '{';
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < N_CHANGES && strcmp(names[i], change_names[k]) != 0)
			k++;
		if (k == N_CHANGES)
			return status_set(&call->status, BATON_INVALID_ARGUMENT,
			    "change names an unknown field '%.40s' (known: " CHANGE_LIST ")", names[i]);
		if (*mask & (1u << k))
			return status_set(&call->status, BATON_INVALID_ARGUMENT, "change names '%s' twice", change_names[k]);
		*mask |= 1u << k;
		len += (size_t)snprintf(list + len, 128 - len, "%s%s", len > 1 ? "," : "", change_names[k]);
	}
	snprintf(list + len, 128 - len, "}");
	return BATON_OK;
}

/* The new values of an edit, checked, as text parameters. */
typedef struct slot_edit {
	unsigned    mask;
	char        changed[128];
	char        starts[24], ends[24], seats[16], cutoff_s[24];
	const char *approval;
	char       *orgs, *kinds;
} slot_edit;

static baton_status edit_check(rpc_call *call, const Baton__V1__EditSlotRequest *req, slot_edit *e)
{
	int64_t cutoff = 0;
	baton_status s;

	e->approval = "none";
	e->orgs = "{}";
	e->kinds = "{}";
	if ((s = parse_change(call, req->change, req->n_change, &e->mask, e->changed)) != BATON_OK)
		return s;
	if (((e->mask & CH_QUEUE) && (s = shifts_check_queue(call, req->queue)) != BATON_OK) ||
	    ((e->mask & CH_LANGUAGE) && (s = shifts_check_language(call, req->language)) != BATON_OK) ||
	    ((e->mask & CH_SEATS) && (s = shifts_check_seats(call, req->seats)) != BATON_OK) ||
	    ((e->mask & CH_SWAP_APPROVAL) && (s = shifts_check_swap_approval(call, req->swap_approval, &e->approval)) !=
	                                         BATON_OK) ||
	    ((e->mask & CH_CUTOFF) && (s = shifts_check_cutoff(call, req->release_cutoff_s, &cutoff)) != BATON_OK) ||
	    ((e->mask & CH_NOTE) && (s = shifts_check_note(call, "note", req->note)) != BATON_OK) ||
	    ((e->mask & CH_TIME) && (s = shifts_check_instants(call, req->starts_unix_ms, req->ends_unix_ms)) != BATON_OK) ||
	    ((e->mask & CH_OPEN_TO) && (s = shifts_open_to(call, req->open_to_orgs, req->n_open_to_orgs,
	                                    req->open_to_kinds, req->n_open_to_kinds, &e->orgs, &e->kinds)) != BATON_OK))
		return s;
	snprintf(e->starts, sizeof(e->starts), "%lld", (long long)((e->mask & CH_TIME) ? req->starts_unix_ms : 0));
	snprintf(e->ends, sizeof(e->ends), "%lld", (long long)((e->mask & CH_TIME) ? req->ends_unix_ms : 0));
	snprintf(e->seats, sizeof(e->seats), "%d", (int)((e->mask & CH_SEATS) ? req->seats : 1));
	snprintf(e->cutoff_s, sizeof(e->cutoff_s), "%lld", (long long)cutoff);
	return BATON_OK;
}

/* A text column of one row, "" when there is none; NULL if out of memory. */
static char *one_text(rpc_call *call, const char *sql, int n, const char *const *params, baton_status *s)
{
	PGresult *res;
	char *out;

	if ((*s = db_exec(call->db, &res, sql, n, params, &call->status)) != BATON_OK)
		return NULL;
	out = PQntuples(res) > 0 ? shifts_col(call, res, 0, 0) : arena_strndup(call->arena, "", 0);
	PQclear(res);
	if (out == NULL)
		*s = shifts_oom(call);
	return out;
}

#define HOLDERS_FROM " FROM claim c JOIN principal p ON p.id = c.principal_id JOIN org o ON o.id = c.org_id"
#define HOLDERS_WHERE " WHERE c.slot_id = $1::uuid AND c.released_at IS NULL"
#define HOLDERS HOLDERS_FROM HOLDERS_WHERE

/* Refuses an edit that the slot's holders would not survive. */
static baton_status edit_holders_check(rpc_call *call, const shifts_slot_row *cur, const Baton__V1__EditSlotRequest *req,
    const slot_edit *e)
{
	const char *id = cur->slot->id;
	baton_status s = BATON_OK;
	char *who;

	if (e->mask & CH_TIME) {
		if (cur->started)
			return status_set(&call->status, BATON_FAILED_PRECONDITION,
			    "slot %s has started; its time can no longer change", id);
		const char *params[3] = { id, e->starts, e->ends };
		if ((who = one_text(call,
		         "SELECT p.handle || ' already holds an overlapping shift: slot ' || oc.slot_id || ' ' || "
		         SQL_SPAN("oc.during") " || ' UTC'" HOLDERS_FROM
		         " JOIN claim oc ON oc.principal_id = c.principal_id AND oc.released_at IS NULL AND oc.slot_id <> c.slot_id"
		         "  AND oc.during && tstzrange(to_timestamp($2::bigint / 1000.0), to_timestamp($3::bigint / 1000.0))"
		         HOLDERS_WHERE " ORDER BY p.handle LIMIT 1",
		         3, params, &s)) == NULL)
			return s;
		if (who[0] != '\0')
			return status_set(&call->status, BATON_FAILED_PRECONDITION, "slot %s cannot move: %s", id, who);
	}
	if ((e->mask & CH_SEATS) && req->seats < cur->slot->seats_taken)
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "slot %s cannot have %d seats: %d seats are claimed; release some first", id, (int)req->seats,
		    (int)cur->slot->seats_taken);
	if (e->mask & CH_LANGUAGE) {
		const char *params[2] = { id, req->language };
		if ((who = one_text(call,
		         "SELECT string_agg(p.handle || ' (' || o.name || ' speaks '"
		         "       || coalesce(nullif(array_to_string(o.languages, ','), ''), 'no language') || ')', ', '"
		         "       ORDER BY p.handle)" HOLDERS " AND NOT baton_language_covers(o.languages, $2)",
		         2, params, &s)) == NULL)
			return s;
		if (who[0] != '\0')
			return status_set(&call->status, BATON_FAILED_PRECONDITION,
			    "slot %s cannot need %s: these holders' organizations do not speak it: %.250s; release their "
			    "seats first", id, req->language, who);
	}
	if (e->mask & CH_OPEN_TO) {
		const char *params[3] = { id, e->orgs, e->kinds };
		if ((who = one_text(call,
		         "SELECT string_agg(p.handle || ' (' || o.name || ')', ', ' ORDER BY p.handle)" HOLDERS
		         " AND NOT baton_slot_open_to($2::uuid[], $3::text[], c.org_id)",
		         3, params, &s)) == NULL)
			return s;
		if (who[0] != '\0')
			return status_set(&call->status, BATON_FAILED_PRECONDITION,
			    "slot %s would no longer be open to these holders: %.250s; release their seats first", id, who);
	}
	return BATON_OK;
}

/* 'slot.edited' (in-house), and 'claim.slot_changed' for every holder's organization. */
static baton_status edit_events(rpc_call *call, const shifts_slot_row *before, const slot_edit *e)
{
	const char *params[3] = { before->slot->id, before->json, e->changed };
	PGresult *res;
	baton_status s;

	if ((s = db_exec(call->db, &res,
	         "SELECT jsonb_build_object('before', $2::jsonb, 'after', to_jsonb(s), 'changed', $3::text[])::text"
	         "  FROM slot s WHERE s.id = $1::uuid",
	         3, params, &call->status)) != BATON_OK)
		return s;
	s = PQntuples(res) == 1 ? event_append(call, NULL, "slot.edited", before->slot->id, PQgetvalue(res, 0, 0))
	                        : status_set(&call->status, BATON_INTERNAL, "slot %s vanished", before->slot->id);
	PQclear(res);
	if (s != BATON_OK)
		return s;
	const char *holders[2] = { before->slot->id, e->changed };
	if ((s = db_exec(call->db, &res,
	         "SELECT c.id, c.org_id, jsonb_build_object('slot_id', s.id, 'holder', p.handle, 'changed', $2::text[],"
	         "        'queue', s.queue, 'language', s.language, 'starts', " SQL_ISO("lower(s.during)") ","
	         "        'ends', " SQL_ISO("upper(s.during)") ", 'seats', s.seats, 'swap_approval', s.swap_approval,"
	         "        'release_cutoff_s', extract(epoch FROM s.release_cutoff)::bigint, 'note', s.note)::text"
	         "  FROM claim c JOIN slot s ON s.id = c.slot_id JOIN principal p ON p.id = c.principal_id"
	         " WHERE c.slot_id = $1::uuid AND c.released_at IS NULL ORDER BY c.created_at, c.id",
	         2, holders, &call->status)) != BATON_OK)
		return s;
	s = events_from_rows(call, res, "claim.slot_changed");
	PQclear(res);
	return s;
}

static baton_status edit_slot(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__EditSlotRequest *req = (const Baton__V1__EditSlotRequest *)request;
	Baton__V1__EditSlotReply *rep = (Baton__V1__EditSlotReply *)reply;
	shifts_slot_row cur;
	slot_edit e;
	char mask[16];
	baton_status s;

	if ((s = edit_check(call, req, &e)) != BATON_OK || (s = shifts_slot_load(call, req->slot, true, &cur)) != BATON_OK)
		return s;
	if (cur.slot->cancelled_unix_ms != 0)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "slot %s is cancelled", cur.slot->id);
	if (cur.ended)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "slot %s has ended", cur.slot->id);
	if ((s = edit_holders_check(call, &cur, req, &e)) != BATON_OK)
		return s;
	snprintf(mask, sizeof(mask), "%u", e.mask);
	const char *params[12] = { cur.slot->id, mask, req->queue, req->language, e.starts, e.ends, e.seats, e.orgs,
		e.kinds, e.approval, e.cutoff_s, req->note };
	s = db_exec(call->db, NULL,
	    "UPDATE slot s SET"
	    "  queue = CASE WHEN ($2::int & 1) <> 0 THEN $3 ELSE s.queue END,"
	    "  language = CASE WHEN ($2::int & 2) <> 0 THEN $4 ELSE s.language END,"
	    "  during = CASE WHEN ($2::int & 4) <> 0"
	    "                THEN tstzrange(to_timestamp($5::bigint / 1000.0), to_timestamp($6::bigint / 1000.0))"
	    "                ELSE s.during END,"
	    "  seats = CASE WHEN ($2::int & 8) <> 0 THEN $7::int ELSE s.seats END,"
	    "  open_to_orgs = CASE WHEN ($2::int & 16) <> 0 THEN $8::uuid[] ELSE s.open_to_orgs END,"
	    "  open_to_kinds = CASE WHEN ($2::int & 16) <> 0 THEN $9::text[] ELSE s.open_to_kinds END,"
	    "  swap_approval = CASE WHEN ($2::int & 32) <> 0 THEN $10 ELSE s.swap_approval END,"
	    "  release_cutoff = CASE WHEN ($2::int & 64) <> 0 THEN $11::bigint * interval '1 second'"
	    "                        ELSE s.release_cutoff END,"
	    "  note = CASE WHEN ($2::int & 128) <> 0 THEN $12 ELSE s.note END"
	    " WHERE s.id = $1::uuid",
	    12, params, &call->status);
	/* The exclusion constraint is the backstop of the overlap check. */
	if (s == BATON_FAILED_PRECONDITION && strstr(call->status.text, "claim_no_overlap") != NULL)
		return status_set(&call->status, s, "slot %s cannot move: a holder would hold two overlapping shifts",
		    cur.slot->id);
	if (s != BATON_OK || (s = edit_events(call, &cur, &e)) != BATON_OK)
		return s;
	return shifts_slot_get(call, cur.slot->id, false, &rep->slot);
}

static const rpc_method_impl methods[] = {
	{ "AddSlot", shifts_add_slot, RPC_MUTATION, ROLE_LEAD | ROLE_ADMIN },
	{ "PublishWeekly", shifts_publish_weekly, RPC_MUTATION, ROLE_LEAD | ROLE_ADMIN },
	{ "ListSlots", list_slots, RPC_TX, ROLES_ANY },
	{ "ShowSlot", show_slot, RPC_TX, ROLES_ANY },
	{ "EditSlot", edit_slot, RPC_MUTATION, ROLE_LEAD | ROLE_ADMIN },
	{ "CancelSlot", cancel_slot, RPC_MUTATION, ROLE_LEAD | ROLE_ADMIN },
	{ "ClaimSeat", shifts_claim_seat, RPC_MUTATION, ROLE_AGENT | ROLE_MANAGER | ROLE_LEAD | ROLE_ADMIN },
	{ "ReleaseSeat", shifts_release_seat, RPC_MUTATION, ROLE_AGENT | ROLE_MANAGER | ROLE_LEAD | ROLE_ADMIN },
	{ "ListClaims", shifts_list_claims, RPC_TX, ROLES_ANY },
	{ "OfferSwap", shifts_offer_swap, RPC_MUTATION, ROLE_AGENT | ROLE_MANAGER | ROLE_LEAD | ROLE_ADMIN },
	{ "TakeSwap", shifts_take_swap, RPC_MUTATION, ROLE_AGENT | ROLE_MANAGER | ROLE_LEAD | ROLE_ADMIN },
	{ "DecideSwap", shifts_decide_swap, RPC_MUTATION, ROLE_MANAGER | ROLE_LEAD | ROLE_ADMIN },
	{ "WithdrawSwap", shifts_withdraw_swap, RPC_MUTATION, ROLE_AGENT | ROLE_MANAGER | ROLE_LEAD | ROLE_ADMIN },
	{ "UndoSwap", shifts_undo_swap, RPC_MUTATION, ROLE_AGENT | ROLE_MANAGER | ROLE_LEAD | ROLE_ADMIN },
	{ "ListSwaps", shifts_list_swaps, RPC_TX, ROLES_ANY },
	{ "Coverage", shifts_coverage, RPC_TX, ROLES_ANY },
};

const rpc_service_impl svc_shifts = {
	&baton__v1__shifts__descriptor,
	methods,
	sizeof(methods) / sizeof(methods[0]),
};
